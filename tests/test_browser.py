"""videonb's static HTML in a real browser: Debian's Chromium, headless, driven by Playwright.

One clip with known cuts is built from real footage, then four standalone pages are saved with
``.save()``: a report (player + timeline + frame grid, wired together), a player alone, a frame
grid alone and a timeline (which includes its own player).  The pages are opened through
``file://`` URLs, exactly as a user opens a saved report, and checked for:

* the embedded ``<video>`` loads (``readyState >= 2``), has the clip's duration, plays and pauses;
* every timeline marker, a moment-list item, a shot and a grid frame seek the player to their time;
* the poster, the ``data:`` URIs, the thumbnails and the timestamp captions;
* no console errors and no page errors;
* with JavaScript disabled the report is still a readable static page (player, markers, times).

Everything waits on conditions in the page (``wait_for_function``), never on sleeps.  On a failure
the page is screenshotted and the screenshot's path is put into the assertion message
(``$BROWSER_SHOTS_DIR`` if set, else a pytest temporary folder).

The browser is Debian's ``chromium`` (``/usr/bin/chromium``, or ``$CHROMIUM``); never a browser
downloaded by ``playwright install``.  The tests skip only when that executable is absent.
Playwright is imported lazily, so collecting this file never needs it.
"""

from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",                 # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
SEED = 3
CLIP_SECONDS = 12
CLIP_SIZE = (320, 180)
GRID_FRAMES = 6
SEEK_TOLERANCE = 0.1          # seconds
WAIT_MS = 8_000               # per wait_for_function; the pages are local, all media inline
TIMESTAMP_RE = re.compile(r"^(\d+:)?\d+:\d{2}\.\d{2}$")   # videonb.types.format_time

JS_VIDEO_STATE = """() => { const v = document.querySelector('video');
    if (!v) return null;
    return {readyState: v.readyState, duration: v.duration, currentTime: v.currentTime,
            paused: v.paused, seeking: v.seeking, videoWidth: v.videoWidth,
            videoHeight: v.videoHeight, error: v.error && (v.error.code + ' ' + v.error.message),
            src: v.getAttribute('src').slice(0, 40), poster: (v.getAttribute('poster') || '').slice(0, 40)}; }"""


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} "
                    f"(apt-get install chromium; scripts/test.sh does this); it is absent")
    return CHROMIUM


@dataclass
class Pages:
    """The saved pages and what Python knows about their content."""

    dir: Path
    clip: Path
    truth: Any                          # videonb.testing.clips.GroundTruth
    duration: float                     # Video.info.duration
    report: Path
    player: Path
    grid: Path
    timeline: Path
    report_moments: list = field(default_factory=list)    # KeyMoment list shown in report.html
    timeline_moments: list = field(default_factory=list)  # KeyMoment list shown in timeline.html
    grid_times: list = field(default_factory=list)        # Frames.times of grid.html


@pytest.fixture(scope="module")
def vnb_pages(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pages]:
    """A 12 s clip with known cuts and four standalone pages made from it."""
    root = tmp_path_factory.mktemp("browser-pages")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIDEONB_CACHE_DIR", str(root / "cache"))
        import videonb
        from videonb.testing import clips

        clip = root / "clip.mp4"
        truth = clips.make_cut_clip(clip, seconds=CLIP_SECONDS, size=CLIP_SIZE, seed=SEED)
        video = videonb.Video(clip)
        rep = videonb.report(clip)
        rep.save(root / "report.html")
        videonb.Player(video).save(root / "player.html")
        frames = video.frames(n=GRID_FRAMES)
        frames.grid().save(root / "grid.html")
        moments = video.moments()
        moments.timeline().save(root / "timeline.html")
        pages = Pages(dir=root, clip=clip, truth=truth, duration=float(video.info.duration),
                      report=root / "report.html", player=root / "player.html",
                      grid=root / "grid.html", timeline=root / "timeline.html",
                      report_moments=list(rep.moments.moments),
                      timeline_moments=list(moments.moments),
                      grid_times=[float(t) for t in frames.times])
        yield pages


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = os.environ.get("BROWSER_SHOTS_DIR")
    if not path:
        return tmp_path_factory.mktemp("browser-shots")
    shots = Path(path)
    shots.mkdir(parents=True, exist_ok=True)
    return shots


@pytest.fixture(scope="module")
def vnb_browser(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Debian Chromium with its own HOME (Playwright gives it a fresh temporary profile).

    Module-scoped rather than session-scoped: the sync Playwright driver (and its event loop)
    lives only while this file's tests run, so it cannot meet other tests' asyncio code.
    """
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("chromium-home")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_CACHE_HOME": str(home / ".cache")}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, env=env,
                                    headless=True)
        try:
            yield browser
        finally:
            browser.close()
    shutil.rmtree(home, ignore_errors=True)


@dataclass
class Tab:
    """A page plus the console errors and page errors it produced."""

    page: Any
    name: str
    shots_dir: Path
    errors: list = field(default_factory=list)

    @contextmanager
    def screenshot_on_failure(self) -> Iterator[None]:
        """Re-raise any failure inside as an AssertionError naming a full-page screenshot."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - pytest outcomes are BaseException, not caught
            shot = self.shots_dir / f"{self.name}.png"
            try:
                self.page.screenshot(path=str(shot), full_page=True)
                where = str(shot)
            except Exception as shot_exc:  # noqa: BLE001
                where = f"<screenshot failed: {shot_exc}>"
            raise AssertionError(f"{type(exc).__name__}: {exc}\nscreenshot of {self.name}: {where}"
                                 ) from exc

    def assert_no_errors(self) -> None:
        assert not self.errors, f"console/page errors on {self.name}: {self.errors}"


@pytest.fixture
def open_page(vnb_browser: Any, shots_dir: Path) -> Iterator[Any]:
    """``open_page(path, name, js=True)`` -> :class:`Tab` in a fresh browser context."""
    contexts = []

    def _open(path: Path, name: str, *, js: bool = True) -> Tab:
        ctx = vnb_browser.new_context(viewport={"width": 1280, "height": 900},
                                      java_script_enabled=js)
        ctx.set_default_timeout(WAIT_MS)
        contexts.append(ctx)
        page = ctx.new_page()
        tab = Tab(page=page, name=name, shots_dir=shots_dir)
        page.on("console", lambda msg: tab.errors.append(f"console.{msg.type}: {msg.text}")
                if msg.type == "error" else None)
        page.on("pageerror", lambda err: tab.errors.append(f"pageerror: {err}"))
        page.goto(path.resolve().as_uri(), wait_until="load")
        return tab

    yield _open
    for ctx in contexts:
        ctx.close()


# --------------------------------------------------------------------------------------------
# Helpers (all waits are conditions in the page)
# --------------------------------------------------------------------------------------------
def video_state(page: Any) -> dict:
    return page.evaluate(JS_VIDEO_STATE)


def wait_video_ready(page: Any) -> dict:
    """Wait until the (first) <video> has decoded data (readyState >= 2) or failed."""
    page.wait_for_function("""() => { const v = document.querySelector('video');
        return v && (v.readyState >= 2 || v.error); }""", timeout=WAIT_MS)
    state = video_state(page)
    assert state["error"] is None and state["readyState"] >= 2, f"video did not load: {state}"
    return state


def click_and_expect_seek(page: Any, locator: Any, what: str, t: float | None = None) -> float:
    """Scroll ``locator`` into view, click it, wait until the player sits at ``t``
    (default: the element's ``data-t``)."""
    if t is None:
        t = float(locator.get_attribute("data-t"))
    locator.scroll_into_view_if_needed()
    locator.click()
    try:
        page.wait_for_function("""([t, tol]) => { const v = document.querySelector('video');
            return !v.seeking && Math.abs(v.currentTime - t) <= tol; }""",
                               arg=[t, SEEK_TOLERANCE], timeout=WAIT_MS)
    except Exception as exc:  # playwright TimeoutError: say where the player is instead
        raise AssertionError(f"click on {what} (data-t={t}) did not seek the player to "
                             f"{t}±{SEEK_TOLERANCE} s: {video_state(page)}") from exc
    return t


def check_markers_seek(tab: Tab, moments: list) -> None:
    page = tab.page
    marks = page.locator(".vnb-mark")
    expected = [f"{m.start:.4f}" for m in moments]
    assert [marks.nth(i).get_attribute("data-t") for i in range(marks.count())] == expected
    assert marks.count() > 0, "no timeline markers to click"
    for i in range(marks.count()):
        mark = marks.nth(i)
        t = click_and_expect_seek(page, mark, f"marker #{i} ({mark.get_attribute('data-kind')})")
        # the seek script marks the clicked element; the playhead follows the player
        assert "vnb-active" in (mark.get_attribute("class") or "")
        page.wait_for_function("""([t, d]) => { const ph = document.querySelector('.vnb-playhead');
            return Math.abs(parseFloat(ph.style.left) - 100 * t / d) < 1.5; }""",
                               arg=[t, video_state(page)["duration"]], timeout=WAIT_MS)


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------
def test_report_plays_and_every_target_seeks(open_page: Any, vnb_pages: Pages) -> None:
    tab = open_page(vnb_pages.report, "report")
    page = tab.page
    with tab.screenshot_on_failure():
        state = wait_video_ready(page)
        assert abs(state["duration"] - vnb_pages.duration) <= 0.1, state
        assert abs(state["duration"] - vnb_pages.truth.duration) <= 0.1, state
        poster = page.locator("video").get_attribute("poster") or ""
        assert poster.startswith("data:image/jpeg;base64,"), f"poster is {poster[:40]!r}"

        # the report shows the clip's known hard cuts as cut markers
        cut_ts = [float(t) for t in page.locator('.vnb-mark[data-kind="cut"]').evaluate_all(
            "els => els.map(e => e.getAttribute('data-t'))")]
        for cut in vnb_pages.truth.cuts:
            assert any(abs(cut - t) <= 0.1 for t in cut_ts), (cut, cut_ts)

        # play (the promise must resolve), time advances, pause
        played = page.evaluate("""async () => { const v = document.querySelector('video');
            await v.play(); return !v.paused; }""")
        assert played, video_state(page)
        page.wait_for_function("() => document.querySelector('video').currentTime > 0.2",
                               timeout=WAIT_MS)
        page.evaluate("() => document.querySelector('video').pause()")
        page.wait_for_function("() => document.querySelector('video').paused", timeout=WAIT_MS)

        check_markers_seek(tab, vnb_pages.report_moments)
        items = page.locator(".vnb-list li")
        assert items.count() == len(vnb_pages.report_moments)
        click_and_expect_seek(page, items.nth(items.count() // 2), "moment list item")
        click_and_expect_seek(page, page.locator(".vnb-tl-shot").last, "shot in the shot bar")
        figures = page.locator(".vnb-grid figure")
        assert figures.count() > 0
        click_and_expect_seek(page, figures.nth(1), "frame-grid figure")
        # a click on the picture inside the figure bubbles up to the figure
        fig = figures.nth(figures.count() - 2)
        click_and_expect_seek(page, fig.locator("img"), "frame-grid picture",
                              t=float(fig.get_attribute("data-t")))
        tab.assert_no_errors()


def test_player_page_embeds_playable_mp4(open_page: Any, vnb_pages: Pages) -> None:
    tab = open_page(vnb_pages.player, "player")
    page = tab.page
    with tab.screenshot_on_failure():
        assert page.locator("video").count() == 1
        state = wait_video_ready(page)
        src = page.locator("video").get_attribute("src") or ""
        assert src.startswith("data:video/mp4;base64,"), f"src is {src[:40]!r}"
        assert state["videoWidth"] > 0 and state["videoHeight"] > 0, state
        assert (state["videoWidth"], state["videoHeight"]) == CLIP_SIZE, state
        assert abs(state["duration"] - vnb_pages.duration) <= 0.1, state
        assert (page.locator("video").get_attribute("poster") or "").startswith("data:image/jpeg;")
        tab.assert_no_errors()


def test_frame_grid_page_images_and_timestamps(open_page: Any, vnb_pages: Pages) -> None:
    from videonb.types import format_time

    tab = open_page(vnb_pages.grid, "grid")
    page = tab.page
    with tab.screenshot_on_failure():
        page.wait_for_function("() => [...document.images].length > 0 && "
                               "[...document.images].every(i => i.complete)", timeout=WAIT_MS)
        widths = page.locator(".vnb-grid img").evaluate_all("els => els.map(e => e.naturalWidth)")
        assert len(widths) == GRID_FRAMES, widths
        assert all(w > 0 for w in widths), f"broken thumbnails: naturalWidth={widths}"
        captions = [c.strip() for c in page.locator(".vnb-grid figcaption").all_inner_texts()]
        assert len(captions) == GRID_FRAMES, captions
        for cap, t in zip(captions, vnb_pages.grid_times):
            assert TIMESTAMP_RE.match(cap), f"caption {cap!r} is not a timestamp"
            assert cap == format_time(t), f"caption {cap!r} for a frame at {t} s"
        assert page.locator("video").count() == 0
        tab.assert_no_errors()


def test_timeline_page_markers_seek(open_page: Any, vnb_pages: Pages) -> None:
    tab = open_page(vnb_pages.timeline, "timeline")
    page = tab.page
    with tab.screenshot_on_failure():
        state = wait_video_ready(page)
        assert abs(state["duration"] - vnb_pages.duration) <= 0.1, state
        check_markers_seek(tab, vnb_pages.timeline_moments)
        items = page.locator(".vnb-list li")
        click_and_expect_seek(page, items.first, "moment list item")
        tab.assert_no_errors()


def test_report_readable_without_javascript(open_page: Any, vnb_pages: Pages) -> None:
    """Untrusted notebooks, GitHub, nbviewer: no script runs; the structure must still show."""
    from videonb.types import format_time

    tab = open_page(vnb_pages.report, "report-nojs", js=False)
    page = tab.page
    with tab.screenshot_on_failure():
        video = page.locator("video")
        assert video.count() == 1
        assert video.is_visible()
        assert video.get_attribute("controls") is not None
        assert (video.get_attribute("src") or "").startswith("data:video/mp4;base64,")
        assert (video.get_attribute("poster") or "").startswith("data:image/jpeg;base64,")

        moments = vnb_pages.report_moments
        marks = page.locator(".vnb-mark")
        assert marks.count() == len(moments) > 0
        xs = []
        for i, m in enumerate(moments):
            mark = marks.nth(i)
            assert mark.is_visible(), f"marker #{i} is not visible"
            assert format_time(m.start) in (mark.get_attribute("title") or "")
            xs.append(mark.bounding_box()["x"])
        assert xs == sorted(xs), f"markers are not laid out in time order: {xs}"

        # the moment times are readable text, in order, one list item per moment
        times = [t.strip() for t in page.locator(".vnb-list li .vnb-t").all_inner_texts()]
        assert len(times) == len(moments)
        for text, m in zip(times, moments):
            assert text.startswith(format_time(m.start)), (text, m)
        body = page.locator("body").inner_text()
        for m in moments:
            assert format_time(m.start) in body
        captions = [c.strip() for c in page.locator(".vnb-grid figcaption").all_inner_texts()]
        assert captions and all(TIMESTAMP_RE.match(c) for c in captions), captions
        # no script leaks into the visible text
        assert "querySelectorAll" not in body and "addEventListener" not in body
        tab.assert_no_errors()
