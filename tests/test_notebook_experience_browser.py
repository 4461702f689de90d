"""Issue 14 in a real JupyterLab 4 and Notebook 7 (Debian's headless Chromium, Playwright):
short errors (point 1), tables that fit (3), widget and static outputs that agree (4), the
local preview's label where it is seen (5), emulated costs marked (6) and the doctor.

The server, browser and screenshot folder are the fixtures of ``test_jupyter_browser.py``
(one server for this module).  One notebook per UI is written into the server's root and run
with "run all"; its error cell is tagged ``raises-exception`` so the run goes on to ``%tb``.
Every wait is on a condition; element screenshots are saved for a look (``$BROWSER_SHOTS_DIR``
or a pytest temporary folder), and a failure screenshots the page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import test_jupyter_browser as _jb
from test_jupyter_browser import (
    KERNEL_IDLE,
    KNOWN_PAGE_ERRORS,
    TOKEN,
    ask_kernel,
    screenshot_on_failure,
    wait_for_video,
)

# The server, browser and screenshot fixtures, shared with test_jupyter_browser.py.
jupyter, browser, shots_dir = _jb.jupyter, _jb.browser, _jb.shots_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]

URLS = {"lab": "{base}/lab/tree/{folder}/experience.ipynb?token={token}&reset",
        "notebook": "{base}/notebooks/{folder}/experience.ipynb?token={token}"}

CELLS = [
    "import videonb\n%load_ext videonb",
    "videonb.providers()",
    "portrait = videonb.generate('a lighthouse at night, slow zoom in', ratio='9:16', seconds=2)\n"
    "portrait",
    "videonb.widgets.Player(portrait)",
    "from videonb.testing.emulators import RunwayEmulator\n"
    "with RunwayEmulator(job_seconds=0.2) as emu:\n"
    "    kite = videonb.generate('a red kite over the sea', provider='runway/gen4.5', seconds=5,\n"
    "                            api_key='placeholder-key', base_url=emu.base_url,\n"
    "                            poll_interval=0.05)\n"
    "kite",
    "videonb.jobs()",
    "from videonb.testing.clips import make_cut_clip\n"
    "make_cut_clip('clip.mp4', seconds=12, seed=3, dissolves=0, fades=1, stamp_ids=False)\n"
    "videonb.report('clip.mp4')",
    "ex = videonb.explore('clip.mp4')\nex",
    "doc = videonb.doctor()\ndoc",
    ("videonb.generate('a kite', provider='runway')", ["raises-exception"]),
    "%tb",
    "print('nbx all cells ran')",
]


@pytest.fixture(scope="module")
def notebooks(jupyter: dict[str, Any]) -> dict[str, Path]:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    for cell in CELLS:
        src, tags = (cell, []) if isinstance(cell, str) else cell
        c = nbformat.v4.new_code_cell(src)
        if tags:
            c.metadata["tags"] = tags
        nb.cells.append(c)
    out = {}
    for ui in URLS:
        folder = jupyter["root"] / f"nbx-{ui}"
        folder.mkdir()
        nbformat.write(nb, folder / "experience.ipynb")
        out[ui] = folder
    return out


def _cell(page: Any, text: str | re.Pattern[str]) -> Any:
    """The code cell whose source contains ``text`` (its input, not its outputs)."""
    source = page.locator(".jp-InputArea-editor", has_text=text)
    cell = page.locator(".jp-Notebook .jp-CodeCell").filter(has=source).first
    cell.scroll_into_view_if_needed()
    return cell


def _rect(locator: Any) -> dict[str, float]:
    return locator.evaluate("(el) => { const r = el.getBoundingClientRect(); "
                            "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, "
                            "width: r.width, height: r.height}; }")


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_notebook_experience_in_jupyter(ui: str, jupyter: dict[str, Any], browser: Any,
                                        shots_dir: Path, notebooks: dict[str, Path]) -> None:
    from playwright.sync_api import expect

    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = ctx.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda err: page_errors.append(str(err)))
    try:
        with screenshot_on_failure(page, shots_dir, f"nbx-{ui}-run-all"):
            page.goto(URLS[ui].format(base=jupyter["base"], folder=f"nbx-{ui}", token=TOKEN))
            page.wait_for_function(KERNEL_IDLE, timeout=90_000)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            expect(page.locator(".jp-OutputArea-output", has_text="nbx all cells ran")
                   ).to_be_visible(timeout=240_000)

        # --- point 1: the error is its message and fix; %tb has the traceback ----------------
        with screenshot_on_failure(page, shots_dir, f"nbx-{ui}-error"):
            err_cell = _cell(page, "videonb.generate('a kite', provider='runway')")
            err = err_cell.locator(".jp-OutputArea-output")
            expect(err).to_contain_text("MissingKeyError: No API key for 'runway'")
            text = err.text_content()
            lines = [ln for ln in text.splitlines() if ln.strip()]
            assert len(lines) <= 3 and "Traceback" not in text and "run_sync" not in text, lines
            assert "%tb" in text and "%videonb debug on" in text
            tb = _cell(page, re.compile(r"^\s*%tb\s*$")).locator(".jp-OutputArea-output")
            expect(tb).to_contain_text("Traceback")
            assert "resolve_key" in tb.text_content()
            err_cell.screenshot(path=str(shots_dir / f"nbx-{ui}-1-short-error.png"))

        # --- point 3: the providers table fits 800 px; details on demand -----------------
        with screenshot_on_failure(page, shots_dir, f"nbx-{ui}-providers"):
            cell = _cell(page, "videonb.providers()")
            out = cell.locator(".jp-OutputArea-output").filter(
                has=page.locator("table.vnb-compact")).first      # not a stderr line above it
            table = out.locator("table.vnb-compact").first    # retired models follow, apart
            expect(table).to_be_visible()
            r = _rect(table)
            assert r["width"] <= 800.5, r
            ready = table.locator("th", has_text="ready")
            assert _rect(ready)["right"] <= r["right"] + 0.5     # the last column is not cut off
            heights = table.locator("tbody tr").evaluate_all(
                "(rows) => rows.map((r) => r.getBoundingClientRect().height)")
            assert max(heights) < 30, heights                     # one line per row, no tall prices
            overflow = out.evaluate("(el) => el.scrollWidth - el.clientWidth")
            assert overflow <= 1, overflow                        # the output area does not scroll
            title = table.locator("td").nth(4).get_attribute("title")
            assert title and table.locator("td").nth(4).text_content().rstrip("…") in title
            out.screenshot(path=str(shots_dir / f"nbx-{ui}-3-providers.png"))
            out.locator("details.vnb-all summary").first.click()
            full = out.locator("details.vnb-all table").first
            expect(full).to_be_visible()
            expect(full).to_contain_text("1280:720")              # ratios: the details
            assert out.evaluate("(el) => el.scrollWidth - el.clientWidth") <= 1
            out.screenshot(path=str(shots_dir / f"nbx-{ui}-3-providers-details.png"))

        # --- points 4 and 5: portrait players, the preview's badge and caption -------------
        with screenshot_on_failure(page, shots_dir, f"nbx-{ui}-portrait"):
            for sel, badge_sel, cap_sel, code in [
                    (".vnb-player", ".vnb-badge", ".vnb-provenance", "portrait = videonb.generate"),
                    (".vnbw-player", ".vnbw-badge", ".vnbw-caption",
                     "videonb.widgets.Player(portrait)")]:
                player = _cell(page, code).locator(f".jp-OutputArea-output {sel}").first
                video = wait_for_video(page, player.locator("video"))
                vr = video.evaluate("(v) => { const r = v.getBoundingClientRect(); "
                                    "return {top: r.top, height: r.height, width: r.width}; }")
                assert vr["height"] <= 481 and vr["width"] < vr["height"], vr
                badge = player.locator(badge_sel)
                expect(badge).to_have_text("local preview · not a generative model")
                assert _rect(badge)["bottom"] <= vr["top"] + 0.5    # above, clear of the controls
                expect(player.locator(cap_sel).first).to_contain_text("local preview")
                player.screenshot(path=str(shots_dir / f"nbx-{ui}-5-{sel[1:]}.png"))

        # --- point 6: the emulated job says so, in its caption and in jobs() ------------------
        with screenshot_on_failure(page, shots_dir, f"nbx-{ui}-emulated"):
            kite = _cell(page, "with RunwayEmulator").locator(".jp-OutputArea-output")
            expect(kite.locator(".vnb-provenance")).to_contain_text("$0.60 emulated (not billed)")
            jobs = _cell(page, "videonb.jobs()").locator("table.vnb-compact")
            expect(jobs).to_contain_text("$0.60 emulated (not billed)")
            assert _rect(jobs)["width"] <= 800.5
            _cell(page, "videonb.jobs()").screenshot(path=str(shots_dir / f"nbx-{ui}-6-jobs.png"))

        # --- point 4: the static report highlights the clicked card --------------------------
        with screenshot_on_failure(page, shots_dir, f"nbx-{ui}-report"):
            report = _cell(page, "videonb.report('clip.mp4')").locator(".vnb-report")
            video = wait_for_video(page, report.locator("video"))
            frame = report.locator(".vnb-grid figure").nth(2)
            frame.click()
            active = re.compile(r"\bvnb-active\b")
            expect(frame).to_have_class(active)
            outline = frame.locator("img").evaluate("(i) => getComputedStyle(i).outlineStyle")
            assert outline not in ("", "none"), outline
            card = report.locator(".vnb-list li").filter(has_text="fade").first
            card.click()
            t = card.get_attribute("data-t")
            expect(card).to_have_class(active)
            expect(report.locator(f'.vnb-mark[data-t="{t}"]')).to_have_class(active)
            assert report.locator(".vnb-active").count() == 2     # the grid's frame let go
            page.wait_for_function("([v, t]) => Math.abs(v.currentTime - t) < 0.1",
                                   arg=[video, float(t)], timeout=10_000)
            report.screenshot(path=str(shots_dir / f"nbx-{ui}-4-report-highlight.png"))
            static_spans = report.locator(".vnb-list .vnb-t").all_text_contents()
            static_names = report.locator(".vnb-list li").all_text_contents()

        # --- point 4: the widget says the same as the static report ------------------------
        with screenshot_on_failure(page, shots_dir, f"nbx-{ui}-explorer"):
            explorer = page.locator(".vnbw-explorer")
            expect(explorer.locator(".vnbw-list .vnbw-t").first).to_be_visible()
            assert explorer.locator(".vnbw-list .vnbw-t").all_text_contents() == static_spans
            widget_names = explorer.locator(".vnbw-list .vnbw-item").all_text_contents()
            assert [" ".join(s.split()) for s in widget_names] == [
                " ".join(s.split()) for s in static_names]
            assert any("fade out" in s for s in widget_names) and not any(
                "fade_out" in s for s in widget_names)
            colors = {k: explorer.locator(f'.vnbw-mark[data-kind="{k}"]').first.evaluate(
                "(b) => getComputedStyle(b).backgroundColor") for k in ("fade_in", "fade_out")}
            assert colors["fade_in"] != colors["fade_out"], colors
            explorer.screenshot(path=str(shots_dir / f"nbx-{ui}-4-explorer.png"))

        # --- the doctor: the browser says what it plays, the kernel hears it ----------------
        with screenshot_on_failure(page, shots_dir, f"nbx-{ui}-doctor"):
            doc = _cell(page, "doc = videonb.doctor()").locator(".vnb-doctor")
            expect(doc.locator('td.vnb-probe[data-label="H.264"]')).to_contain_text("✓ yes")
            for label in ("VP9", "AV1"):
                expect(doc.locator(f'td.vnb-probe[data-label="{label}"]')).to_contain_text("✓")
            expect(doc.locator("td.vnb-widgets")).to_contain_text("✓ yes: this is the widget")
            seen = json.loads(ask_kernel(page, "import json; print(json.dumps({'r': doc.rendered, "
                                               "'p': doc.plays}))"))
            assert seen["r"] is True and seen["p"]["H.264"] and seen["p"]["AV1"], seen
            assert seen["p"]["HEVC"] is False          # Debian's Chromium: no HEVC decoder
            assert "placeholder-key" not in doc.text_content()
            doc.screenshot(path=str(shots_dir / f"nbx-{ui}-doctor.png"))

        unexpected = [e for e in page_errors if not any(k in e for k in KNOWN_PAGE_ERRORS)]
        assert not unexpected, unexpected
    finally:
        ctx.close()


def test_static_doctor_page_checks_with_scripts_and_says_so_without(browser: Any, tmp_path: Path,
                                                                    shots_dir: Path) -> None:
    """The doctor's static copy (a saved or exported notebook): with scripts it asks the browser
    itself; without, every playback cell says it could not check."""
    from videonb.display.doctor import NOT_CHECKED
    from videonb.display.html import page as html_page
    from videonb.notebook.doctor import checkup
    from videonb.notebook.widgets import Doctor

    saved = tmp_path / "doctor.html"
    saved.write_text(html_page(Doctor(checkup()).static_html()), encoding="utf-8")
    for scripts in (True, False):
        ctx = browser.new_context(java_script_enabled=scripts)
        page = ctx.new_page()
        try:
            page.goto(saved.as_uri())
            cell = page.locator('td.vnb-probe[data-label="H.264"]')
            if scripts:
                assert cell.text_content().startswith("✓ yes")
                hevc = page.locator('td.vnb-probe[data-label="HEVC"]').text_content()
                assert hevc.startswith("✗")
            else:
                assert cell.text_content() == NOT_CHECKED
            assert page.locator("td.vnb-widgets").text_content().startswith("no, or not yet")
            page.locator(".vnb-doctor").screenshot(
                path=str(shots_dir / f"doctor-static-{'scripts' if scripts else 'no-scripts'}.png"))
        finally:
            ctx.close()
