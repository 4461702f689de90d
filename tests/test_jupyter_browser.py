"""The quickstart in a real JupyterLab 4 and Notebook 7, driven in Debian's headless Chromium.

One ``jupyter lab`` server runs on 127.0.0.1 with its own config, data, runtime, settings and
workspace folders (news and update checks off, extension manager read-only, so nothing reaches
the network).  Each UI opens its own copy of ``notebooks/01-quickstart.ipynb`` in a subfolder
and runs all cells, then:

* the static player plays (``readyState >= 2``, ``currentTime`` advances);
* the explorer's widget player loads its file through Jupyter's ``/files/`` route, and plays;
* hovering a cut in the widget timeline shows its thumbnail and label; clicking it seeks the
  player there even while the kernel is busy (the link is in the browser), and the kernel sees it: ``ex.timeline.selected`` is that cut and
  ``ex.player.current_time`` is its time; clicking a grid frame seeks the player too;
* a widget player of a file outside the server's root (no ``/files/`` URL, as in VS Code or
  Colab) gets the small clip's bytes from the kernel and plays it from a ``blob:`` URL;
* the GeneratePanel's Generate button runs a ``local`` generation with a visible progress
  display and then shows a playable player.

Element screenshots of the explorer and the panel are saved on success too, for a look.

The kernel is asked through ``kernel.requestExecute`` (what a cell does), so the answers come
from Python, not from the page.  Every wait is on a condition; on a failure the page is
screenshotted (``$BROWSER_SHOTS_DIR`` or a pytest temporary folder) and the path is in the message.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", "--autoplay-policy=no-user-gesture-required"]
TOKEN = "videonb-browser-test"
QUICKSTART = Path(__file__).resolve().parent.parent / "notebooks" / "01-quickstart.ipynb"
URLS = {"lab": "{base}/lab/tree/{folder}/quickstart.ipynb?token={token}&reset",
        "notebook": "{base}/notebooks/{folder}/quickstart.ipynb?token={token}"}
SEEK_TOLERANCE = 0.1
# Page errors Notebook 7 logs on load with no visible effect (see ../shared/reference/browser.md).
KNOWN_PAGE_ERRORS = ("reading 'schema'", "filebrowser:open-path")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (scripts/test.sh installs it)")
    work = tmp_path_factory.mktemp("jupyter")
    root = work / "root"
    import nbformat

    nb = nbformat.read(QUICKSTART, as_version=4)
    # One extra cell: a player of a file outside the server's root (as in VS Code or Colab,
    # where there is no /files/ route to it): the kernel must send it through the comm.
    at = next(i for i, c in enumerate(nb.cells) if c.source.startswith("### Self-check"))
    nb.cells.insert(at, nbformat.v4.new_code_cell(
        "from videonb.testing.clips import sample_path\n"
        "outside = videonb.widgets.Player(sample_path('bikes'))\noutside"))
    for ui in URLS:
        (root / ui).mkdir(parents=True)
        nbformat.write(nb, root / ui / "quickstart.ipynb")
    env = dict(os.environ)
    for var, name in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                      ("JUPYTER_DATA_DIR", "data"), ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
                      ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython"),
                      ("HOME", "home"), ("VIDEONB_HOME", "videonb-home")]:
        (work / name).mkdir()
        env[var] = str(work / name)
    for name in ("RUNWAYML_API_SECRET", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        env.pop(name, None)
    port = _free_port()
    (work / "config" / "jupyter_server_config.json").write_text(json.dumps({
        "ServerApp": {"ip": "127.0.0.1", "port": port, "port_retries": 0, "open_browser": False,
                      "root_dir": str(root)},
        "IdentityProvider": {"token": TOKEN},
        "LabApp": {"expose_app_in_browser": True, "news_url": None, "extension_manager": "readonly",
                   "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
        "JupyterNotebookApp": {"expose_app_in_browser": True},
    }))
    notif = work / "lab-settings" / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True)
    (notif / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(work / "server.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: {(work / 'server.log').read_text()[-3000:]}")
            try:
                req = urllib.request.Request(f"{base}/api/status",
                                             headers={"Authorization": f"token {TOKEN}"})
                with urllib.request.urlopen(req, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, (work / "server.log").read_text()[-3000:]
            time.sleep(0.2)  # waiting for a server process to bind, not timing a test
        yield {"base": base, "root": root, "log": work / "server.log", "work": work}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser(jupyter: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    home = jupyter["work"] / "home"
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_CACHE_HOME": str(home / ".cache")}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = os.environ.get("BROWSER_SHOTS_DIR")
    if not path:
        return tmp_path_factory.mktemp("jupyter-shots")
    Path(path).mkdir(parents=True, exist_ok=True)
    return Path(path)


@contextmanager
def screenshot_on_failure(page: Any, shots_dir: Path, name: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - pytest's own outcomes are BaseException
        shot = shots_dir / f"{name}.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
            where = str(shot)
        except Exception as shot_exc:  # noqa: BLE001
            where = f"<screenshot failed: {shot_exc}>"
        raise AssertionError(f"{type(exc).__name__}: {exc}\nscreenshot: {where}") from exc


KERNEL_IDLE = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel
              && w.sessionContext.session.kernel.status === 'idle'); }"""

RUN_IN_KERNEL = """async (code) => {
    const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const f = k.requestExecute({code, store_history: false});
    let out = '';
    f.onIOPub = (m) => {
        if (m.header.msg_type === 'stream') out += m.content.text;
        if (m.header.msg_type === 'error') out += 'ERROR ' + m.content.ename + ': ' + m.content.evalue;
    };
    await f.done;
    return out; }"""

VIDEO_READY = """(v) => v.readyState >= 2 && v.duration > 0"""

PLAY_A_LITTLE = """async (v) => {
    v.muted = true;
    const t0 = v.currentTime;
    await v.play();
    await new Promise((resolve) => {
        const check = () => (v.currentTime > t0 + 0.3 ? resolve() : requestAnimationFrame(check));
        check(); });
    v.pause();
    return {from: t0, to: v.currentTime, source: v.dataset.source || '', src: v.currentSrc}; }"""


def ask_kernel(page: Any, code: str) -> str:
    out = page.evaluate(RUN_IN_KERNEL, code)
    assert "ERROR" not in out, out
    return out


def wait_for_video(page: Any, locator: Any, timeout: int = 30_000) -> Any:
    locator.scroll_into_view_if_needed()
    handle = locator.element_handle()
    page.wait_for_function(VIDEO_READY, arg=handle, timeout=timeout)
    return handle


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_quickstart_in_jupyter(ui: str, jupyter: dict[str, Any], browser: Any,
                               shots_dir: Path) -> None:
    from playwright.sync_api import expect

    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = ctx.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda err: page_errors.append(str(err)))
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
        (jupyter["base"], "data:", "blob:")) else None)
    try:
        with screenshot_on_failure(page, shots_dir, f"{ui}-run-all"):
            page.goto(URLS[ui].format(base=jupyter["base"], folder=ui, token=TOKEN))
            page.wait_for_function(KERNEL_IDLE, timeout=90_000)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            # The last cell prints the self-check; everything above it has run by then.
            expect(page.locator(".jp-OutputArea-output", has_text="known cuts found")
                   ).to_be_visible(timeout=240_000)
            assert page.locator(".jp-OutputArea-output[data-mime-type="
                                "'application/vnd.jupyter.stderr']").count() == 0
            assert page.locator(".jp-OutputArea-output", has_text="Traceback").count() == 0

        with screenshot_on_failure(page, shots_dir, f"{ui}-static-player"):
            first = page.locator(".jp-OutputArea-output video").first
            played = page.evaluate(PLAY_A_LITTLE, wait_for_video(page, first))
            assert played["to"] > played["from"] + 0.3, played
            assert played["src"].startswith("data:video/mp4;base64,"), played["src"][:40]

        with screenshot_on_failure(page, shots_dir, f"{ui}-explorer"):
            explorer = page.locator(".vnbw-explorer")
            expect(explorer).to_have_count(1)
            video = wait_for_video(page, explorer.locator(".vnbw-player video"))
            played = page.evaluate(PLAY_A_LITTLE, video)
            # The widget streams the file through Jupyter's /files/ route (no bytes via the comm).
            assert played["source"] == "files", played
            assert f"/files/{ui}/quickstart-clip.mp4" in played["src"], played["src"]
            state = json.loads(ask_kernel(page, "import json; print(json.dumps({"
                                                "'d': ex.player.duration, 'from': ex.player.loaded_from}))"))
            assert state == {"d": pytest.approx(20.0, abs=0.1), "from": "files"}

            cut = explorer.locator('.vnbw-mark[data-kind="cut"]').nth(1)
            t = float(cut.get_attribute("data-t"))
            cut.hover()                  # hovering shows the moment's thumbnail and label
            tip = explorer.locator(".vnbw-timeline .vnbw-tip")
            expect(tip).to_be_visible()
            expect(tip).to_contain_text("cut: hard cut")
            expect(tip.locator("img")).to_have_count(1)
            # Keep Python busy: the seek happens in the browser, not through the kernel.
            page.evaluate("""() => {
                const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
                window.vnbSleeping = false; window.vnbSlept = false;
                const f = k.requestExecute({code: 'import time; time.sleep(8)', store_history: false});
                f.onIOPub = (m) => { if (m.header.msg_type === 'execute_input') window.vnbSleeping = true; };
                f.done.then(() => { window.vnbSlept = true; }); }""")
            page.wait_for_function("() => window.vnbSleeping", timeout=10_000)
            cut.click()
            page.wait_for_function(
                "([v, t, tol]) => !v.seeking && Math.abs(v.currentTime - t) <= tol",
                arg=[video, t, SEEK_TOLERANCE], timeout=10_000)
            assert page.evaluate("() => window.vnbSlept") is False   # seeked while Python slept
            expect(explorer.locator(".vnbw-marks .vnbw-selected")).to_have_count(1)
            # Python sees the click and the player's position.  The front end reports the
            # position after the seek completes, so ask until it has arrived (bounded).
            deadline = time.monotonic() + 15
            while True:
                seen = json.loads(ask_kernel(page, (
                    "import json; print(json.dumps({'kind': ex.timeline.selected.get('kind'), "
                    "'start': ex.timeline.selected.get('start'), 't': ex.player.current_time}))")))
                if abs(seen["t"] - t) <= SEEK_TOLERANCE or time.monotonic() > deadline:
                    break
            assert seen["kind"] == "cut" and seen["start"] == pytest.approx(t, abs=1e-3), seen
            assert seen["t"] == pytest.approx(t, abs=SEEK_TOLERANCE), seen
            # A frame of the grid seeks the same player.
            frame = explorer.locator(".vnbw-grid figure").nth(3)
            ft = float(frame.get_attribute("data-t"))
            frame.click()
            page.wait_for_function(
                "([v, t, tol]) => !v.seeking && Math.abs(v.currentTime - t) <= tol",
                arg=[video, ft, SEEK_TOLERANCE], timeout=10_000)
            explorer.screenshot(path=str(shots_dir / f"{ui}-explorer.png"))

        with screenshot_on_failure(page, shots_dir, f"{ui}-outside-root"):
            # No /files/ URL reaches site-packages: the browser asks, the kernel sends the clip
            # (bikes.mp4 is small and H.264) and the player plays it from a blob.
            far = page.locator('.vnbw-player video[data-source="bytes"]')
            expect(far).to_have_count(1, timeout=30_000)
            played = page.evaluate(PLAY_A_LITTLE, wait_for_video(page, far))
            assert played["src"].startswith("blob:") and played["to"] > played["from"], played
            from videonb.testing.clips import sample_path

            assert ask_kernel(page, "print(outside.loaded_from, len(outside._data))").split() == [
                "bytes", str(sample_path("bikes").stat().st_size)]

        with screenshot_on_failure(page, shots_dir, f"{ui}-generate-panel"):
            panel = page.locator(".vnbw-generate-panel")
            button = panel.locator("button.vnbw-generate")
            # A prompt of its own per UI (both share one ledger, and the same request would be
            # answered from the cache); typing into the form re-validates it.
            prompt = panel.locator(".vnbw-prompt textarea")
            prompt.fill("")
            expect(button).to_be_disabled()
            expect(panel.locator(".vnbw-message")).to_contain_text("Write a prompt")
            prompt.fill(f"a lighthouse at night seen from the {ui} interface, slow zoom in")
            expect(button).to_be_enabled()
            progress = panel.locator(".vnbw-progress")
            # Record every text the progress display shows (a job on local can finish in 0.3 s).
            progress.evaluate("""(el) => { window.vnbProgress = [];
                new MutationObserver(() => window.vnbProgress.push(el.textContent.trim()))
                    .observe(el, {subtree: true, childList: true, characterData: true}); }""")
            button.click()
            expect(progress).to_contain_text("done in", timeout=120_000)
            shown = page.evaluate("() => window.vnbProgress")
            running = [s for s in shown if "local/local-v1" in s and "job vnb_" in s
                       and ("running" in s or "succeeded" in s)]
            assert shown[0].startswith("local/local-v1: starting"), shown
            assert running, shown        # status, elapsed time and job id were on screen
            result = wait_for_video(page, panel.locator(".vnbw-result video"))
            played = page.evaluate(PLAY_A_LITTLE, result)
            assert played["to"] > played["from"], played
            out = ask_kernel(page, "print(panel.result.provenance['provider'], "
                                   "panel.result.info.duration)")
            assert out.split()[0] == "local" and float(out.split()[1]) == pytest.approx(2.0, abs=0.1)
            panel.screenshot(path=str(shots_dir / f"{ui}-generate-panel.png"))

        unexpected = [e for e in page_errors if not any(k in e for k in KNOWN_PAGE_ERRORS)]
        assert not unexpected, unexpected
        assert not outside, f"requests left 127.0.0.1: {outside[:5]}"
    finally:
        ctx.close()


def test_saved_untrusted_notebook_keeps_the_static_outputs(jupyter: dict[str, Any], browser: Any,
                                                           shots_dir: Path) -> None:
    """Executed headless and opened later without a kernel and untrusted (the state of a notebook
    someone downloads): widget views cannot render, so every widget's static copy shows instead:
    players that play, timelines and grids with their times."""
    import nbformat
    from nbclient import NotebookClient
    from playwright.sync_api import expect

    folder = jupyter["root"] / "saved"
    folder.mkdir()
    nb = nbformat.read(QUICKSTART, as_version=4)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIDEONB_HOME", str(jupyter["work"] / "videonb-home-saved"))
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
    nbformat.write(nb, folder / "quickstart.ipynb")

    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = ctx.new_page()
    try:
        with screenshot_on_failure(page, shots_dir, "lab-saved-untrusted"):
            page.goto(f"{jupyter['base']}/lab/tree/saved/quickstart.ipynb?token={TOKEN}&reset")
            cell = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text="ex = videonb.explore(v)")
            expect(cell).to_have_count(1, timeout=60_000)
            out = cell.locator(".jp-OutputArea-output")
            expect(out.locator(".vnbw-explorer")).to_have_count(0)      # no widget without trust
            expect(out.locator(".vnb-timeline")).to_have_count(1)       # the static report
            assert out.locator(".vnb-mark").count() >= 5
            expect(out.locator(".vnb-grid figure")).to_have_count(12)
            played = page.evaluate(PLAY_A_LITTLE, wait_for_video(page, out.locator("video")))
            assert played["src"].startswith("data:video/mp4;base64,") and played["to"] > played["from"]
            panel = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text="panel = videonb.GeneratePanel(")
            expect(panel.locator(".jp-OutputArea-output")).to_contain_text(
                "GeneratePanel (interactive: run the notebook)")
    finally:
        ctx.close()
