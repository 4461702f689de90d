"""Binder, replayed: what repo2docker does with ``binder/``, then every tutorial in it.

repo2docker (mybinder.org) builds from a copy of the repository: a fresh environment with the
Python that ``binder/runtime.txt`` names, ``pip install -r binder/requirements.txt``, then
``binder/postBuild`` run from the repository's root.  This test does the same in a temporary
folder (a venv of that Python; the tracked and new files of this working tree copied in; no
PYTHONPATH, no user kernels, keys or videonb folders leaking in), then executes every notebook
with that venv's own kernel, offline, and fails on the first error, so a broken Binder fails CI.

In a full run it is the suite's one execution of the tutorials: ``tests/conftest.py`` then
skips ``test_notebooks.py::test_notebook_runs`` (run alone, that file still executes them
here, offline), and the saved notebooks get the same checks (``check_saved``).

Network: pip reaches the package index as configured on the machine (PyPI, local wheels);
``binder/requirements.txt`` uses pip's cache, ``postBuild`` asks for ``--no-cache-dir`` itself,
as on Binder.  The notebooks themselves reach nothing but loopback emulators.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_notebooks import binder_notebooks, check_saved

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"

RUN_ONE = r"""
import sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient

import videonb
print("videonb from", videonb.__file__, flush=True)
path = Path(sys.argv[1])
t0 = time.perf_counter()
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=300, kernel_name="python3",
               resources={"metadata": {"path": str(path.parent)}}).execute()
nbformat.write(nb, path)
errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
          if o.output_type == "error"]
assert not errors, (path.name, [f"{o.ename}: {o.evalue}" for o in errors])
print(f"ran {path.name} in {time.perf_counter() - t0:.1f} s", flush=True)
"""
#: Notebooks run two at a time (each in its own process and kernel; the machine has 2 cores).
PARALLEL = 2


def _python_for(runtime: str) -> str:
    m = re.fullmatch(r"python-(3)\.(\d+)(?:\.\d+)?", runtime.strip())
    assert m, f"binder/runtime.txt says {runtime!r}; repo2docker expects python-3.X"
    want = (int(m.group(1)), int(m.group(2)))
    if sys.version_info[:2] == want:
        return getattr(sys, "_base_executable", sys.executable)
    found = shutil.which(f"python{want[0]}.{want[1]}")
    assert found, (f"binder/runtime.txt asks for Python {want[0]}.{want[1]}, which this machine "
                   f"does not have; install it to replay the Binder build")
    return found


def _copy_repo(dest: Path) -> None:
    """The files a clone would have (tracked, plus new ones not ignored): as repo2docker sees it."""
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def test_binder_files_are_what_repo2docker_reads():
    runtime = (BINDER / "runtime.txt").read_text()
    _python_for(runtime)                    # a version repo2docker accepts, present here
    reqs = (BINDER / "requirements.txt").read_text()
    assert re.search(r"^jupyterlab", reqs, re.M)
    post = (BINDER / "postBuild").read_text()
    assert post.startswith("#!/usr/bin/env bash") and "-e '.[demo,gemini]'" in post
    # No torch on Binder: no GPU there, and PyPI's Linux torch is a multi-GB CUDA build.
    assert "torch" not in post.replace("# ", "").split("set -euo pipefail")[1]
    assert binder_notebooks() and set(binder_notebooks()) < {
        p.name for p in (ROOT / "notebooks").glob("*.ipynb")}


def test_binder_builds_and_runs_every_notebook(tmp_path):
    t_start = time.perf_counter()
    repo, env_dir = tmp_path / "repo", tmp_path / "env"
    _copy_repo(repo)
    python = _python_for((repo / "binder" / "runtime.txt").read_text())
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "JUPYTER_PATH")
           and (not k.startswith("VIDEONB_") or k == "VIDEONB_EMULATOR_TODAY")
           and not k.endswith("_API_KEY")
           and k not in ("RUNWAYML_API_SECRET", "OPENAI_BASE_URL", "RUNWAYML_BASE_URL")}
    for var, name in [("JUPYTER_CONFIG_DIR", "jupyter-config"),
                      ("JUPYTER_DATA_DIR", "jupyter-data"),
                      ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"), ("IPYTHONDIR", "ipython"),
                      ("VIDEONB_HOME", "videonb-home"), ("VIDEONB_CACHE_DIR", "videonb-cache"),
                      ("VIDEONB_CONFIG_DIR", "videonb-config")]:
        (tmp_path / name).mkdir()
        env[var] = str(tmp_path / name)
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    # pip skips byte-compiling (the .pyc files, made on first import instead): the packages
    # installed are the same, and the thousands of files of torch, transformers and jupyterlab
    # are not compiled up front.
    env["PIP_NO_COMPILE"] = "1"
    timings: dict[str, float] = {}

    def step(name: str, cmd: list[str], **kw) -> str:
        t0 = time.perf_counter()
        out = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, **kw)
        timings[name] = time.perf_counter() - t0
        assert out.returncode == 0, f"{name} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
        return out.stdout

    step("venv", [python, "-m", "venv", str(env_dir)])
    step("requirements", [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q",
                          "-r", "binder/requirements.txt"], timeout=1200)
    post = repo / "binder" / "postBuild"
    post.chmod(0o755)                       # repo2docker makes it executable, then runs it
    step("postBuild", [str(post)], timeout=1200)
    notebooks = [repo / "notebooks" / name for name in binder_notebooks()]
    t0 = time.perf_counter()
    waiting, running, outputs = list(notebooks), [], []
    try:
        while waiting or running:
            while waiting and len(running) < PARALLEL:
                nb = waiting.pop(0)
                own = {**env, "VIDEONB_HOME": str(tmp_path / "videonb-home" / nb.stem)}
                running.append((nb, subprocess.Popen(
                    [str(env_dir / "bin" / "python"), "-c", RUN_ONE, str(nb)], cwd=repo,
                    env=own, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
            nb, proc = running.pop(0)
            out, err = proc.communicate(timeout=900)
            assert proc.returncode == 0, (f"{nb.name} failed in the Binder:\n{out[-3000:]}\n"
                                          f"{err[-3000:]}")
            assert f"videonb from {repo / 'videonb'}" in out, out      # the Binder's own install
            check_saved(nb)                   # the same checks as tests/test_notebooks.py
            outputs.append(out)
    finally:
        for _, proc in running:                # a failure stops the notebooks still running
            proc.kill()
            proc.communicate()
    timings["notebooks"] = time.perf_counter() - t0
    ran = sorted(m for out in outputs for m in re.findall(r"^ran (\S+) in", out, re.M))
    assert ran == sorted(binder_notebooks()), outputs
    total = time.perf_counter() - t_start
    print(f"\nbinder replay: {', '.join(f'{k} {v:.0f} s' for k, v in timings.items())}; "
          f"total {total:.0f} s")
