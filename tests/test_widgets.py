"""Widgets without a browser: the Python side of the comm protocol, on a bare interpreter.

Front-end messages are fed through ipywidgets' own message handler (exactly what the kernel
does when the browser sends them); messages to the browser are captured by a recording comm
installed through ``comm.create_comm``, the hook ipykernel itself uses.
"""

from __future__ import annotations

import threading

import comm
import pytest

import videonb
from videonb.testing.clips import sample_path
from videonb.testing.emulators import RunwayEmulator, loopback_only

KEY = "placeholder-not-a-key-widgets"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


class RecordingComm(comm.base_comm.BaseComm):
    sent: list = []

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        RecordingComm.sent.append((self.comm_id, msg_type, data, buffers))


@pytest.fixture(autouse=True)
def no_network():
    """Nothing in these tests may reach a host other than 127.0.0.1."""
    with loopback_only() as connections:
        yield connections


@pytest.fixture(autouse=True)
def recording_comm(monkeypatch):
    RecordingComm.sent = []
    monkeypatch.setattr(comm, "create_comm", lambda *a, **kw: RecordingComm(*a, **kw))
    return RecordingComm.sent


def custom_msgs(widget):
    return [d["content"] for cid, kind, d, _ in RecordingComm.sent
            if cid == widget.comm.comm_id and kind == "comm_msg" and d.get("method") == "custom"]


def from_browser(widget, **state):
    """What the kernel does when the browser runs ``model.set(...); model.save_changes()``."""
    widget._handle_msg({"content": {"data": {"method": "update", "state": state,
                                             "buffer_paths": []}}, "buffers": []})


def browser_sends(widget, content):
    """What the kernel does when the browser runs ``model.send(content)``."""
    widget._handle_msg({"content": {"data": {"method": "custom", "content": content}},
                        "buffers": []})


def wait_for(widget, name, predicate, timeout=60):
    """Block until ``predicate(widget.<name>)`` holds (event-driven, from trait changes)."""
    hit = threading.Event()

    def check(_change=None):
        if predicate(getattr(widget, name)):
            hit.set()

    widget.observe(check, names=name)
    check()
    try:
        assert hit.wait(timeout), f"{name} never satisfied the condition: {getattr(widget, name)!r}"
    finally:
        widget.unobserve(check, names=name)


# --- Player --------------------------------------------------------------------------------------
def test_player_state_commands_and_static_fallback(home):
    import shutil

    clip = home / "bikes.mp4"
    shutil.copy(sample_path("bikes"), clip)
    p = videonb.widgets.Player(str(clip))
    assert p.rel_path == "bikes.mp4" and p.path == clip.resolve().as_posix()
    assert p._data == b""                      # nothing sent until the browser asks
    assert p.poster.startswith("data:image/jpeg;base64,") and "640×272" in p.caption
    data, _meta = p._repr_mimebundle_()
    assert data[WIDGET_MIME]["model_id"] == p.model_id
    assert "<video" in data["text/html"] and "data:video/mp4;base64," in data["text/html"]

    p.seek(3.5)
    p.play()
    p.pause()
    assert custom_msgs(p) == [{"cmd": "seek", "time": 3.5}, {"cmd": "play"}, {"cmd": "pause"}]

    events = []
    p.on_event(events.append)
    from_browser(p, current_time=3.5, duration=10.0, playing=True, loaded_from="files")
    browser_sends(p, {"event": "play", "time": 3.5})
    assert (p.current_time, p.duration, p.playing, p.loaded_from) == (3.5, 10.0, True, "files")
    assert events == [{"event": "play", "time": 3.5}]


def test_player_sends_only_small_files_or_a_preview(home):
    big = sample_path("bigbuckbunny")
    videonb.config.embed_max_bytes, old = 200_000, videonb.config.embed_max_bytes
    try:
        p = videonb.widgets.Player(big)
        assert p.rel_path == ""                # outside the notebook folder: /files/ cannot serve it
        browser_sends(p, {"event": "need_bytes"})
        size = len(p._data)
        assert 0 < size <= 200_000 < big.stat().st_size
        assert p._data[4:8] == b"ftyp" and p.mime == "video/mp4"
        small = videonb.widgets.Player(sample_path("bikes"))
        videonb.config.embed_max_bytes = 10_000_000
        browser_sends(small, {"event": "need_bytes"})
        assert small._data == sample_path("bikes").read_bytes()   # small and playable: as is
    finally:
        videonb.config.embed_max_bytes = old


# --- Timeline, grid, explorer -------------------------------------------------------------------------
def test_timeline_click_seeks_the_linked_player(cut_clip, home):
    clip = cut_clip
    moments = videonb.detect(clip.path)
    player = videonb.widgets.Player(clip.path)
    tl = videonb.widgets.Timeline(moments, player=player)
    assert [m["start"] for m in tl.moments] == [round(m.start, 4) for m in moments.moments]
    assert len(tl.shots) == len(moments.shots) and all(s["thumb"] for s in tl.shots)
    assert tl.duration == pytest.approx(moments.info.duration)

    # A click seeks in the browser (the view reaches the player's model through player_id);
    # a front end that cannot do that asks the kernel, which seeks the player.
    assert tl.player_id == player.model_id
    target = next(m for m in tl.moments if m["kind"] == "cut")
    from_browser(tl, selected=target)           # the user clicked that marker ...
    assert tl.selected_moment is moments.moments[target["index"]]
    browser_sends(tl, {"event": "seek", "time": target["start"]})   # ... with no direct link
    assert custom_msgs(player)[-1] == {"cmd": "seek", "time": target["start"]}

    from_browser(player, current_time=2.25)     # the browser reports playback
    assert tl.playhead == 2.25
    tl.select(0)                                # selecting from Python seeks too
    assert custom_msgs(player)[-1] == {"cmd": "seek", "time": tl.moments[0]["start"]}
    html = tl._repr_mimebundle_()[0]["text/html"]
    assert html.count('class="vnb-mark') == len(moments.moments)


def test_frame_grid_click_seeks(home):
    frames = videonb.sample_frames(sample_path("bikes"), n=6, max_side=240)
    player = videonb.widgets.Player(sample_path("bikes"))
    grid = videonb.widgets.FrameGrid(frames, player=player)
    assert [it["time"] for it in grid.items] == [round(t, 4) for t in frames.times]
    assert grid.player_id == player.model_id
    from_browser(grid, selected={"index": 4, "time": grid.items[4]["time"]})
    assert grid.selected["index"] == 4
    browser_sends(grid, {"event": "seek", "time": grid.items[4]["time"]})
    assert custom_msgs(player)[-1] == {"cmd": "seek", "time": grid.items[4]["time"]}
    assert "exact timestamps" in grid.heading


def test_explore_links_everything_and_keeps_the_static_report(home):
    ex = videonb.explore(sample_path("bikes"), n_frames=6)
    assert ex.timeline.player is ex.player and ex.grid.player is ex.player
    data = ex._repr_mimebundle_()
    data = data[0] if isinstance(data, tuple) else data
    assert WIDGET_MIME in data
    html = data["text/html"]
    assert "<video" in html and "vnb-timeline" in html and "vnb-grid" in html


def test_model_text_is_escaped_in_widgets(home):
    from videonb.types import KeyMoment

    a = videonb.analyze(sample_path("bikes"))
    a.moments.append(KeyMoment(1.0, 1.0, "event", label="<img src=x onerror=alert(1)>"))
    tl = videonb.widgets.Timeline(a)
    html = tl._repr_mimebundle_()[0]["text/html"]
    assert "<img src=x" not in html and "&lt;img src=x" in html
    # In the widget the label travels as data and the view sets it with textContent.
    assert tl.moments[-1]["label"] == "<img src=x onerror=alert(1)>"
    assert "innerHTML" not in videonb.widgets._js.TIMELINE_ESM


# --- GeneratePanel ------------------------------------------------------------------------------------
def test_generate_panel_menus_come_from_capabilities(home):
    from videonb.providers.runway import RunwayProvider

    panel = videonb.GeneratePanel("a paper boat")
    assert panel.provider.options[0] == "local" and "runway" in panel.provider.options
    panel.provider.value = "runway"
    assert list(panel.model.options)[0] == RunwayProvider.default_model
    assert set(panel.model.options) <= set(RunwayProvider.models)
    spec = RunwayProvider.models[panel.model.value]
    lo, hi = spec.durations[0], spec.durations[-1]
    want = ([float(s) for s in range(int(lo), int(hi) + 1)] if spec.duration_range
            else [float(d) for d in spec.durations])
    assert [v for _label, v in panel.seconds.options] == want
    panel.model.value = next(m for m, s in RunwayProvider.models.items()
                             if not s.duration_range and s.durations and m in panel.model.options)
    spec = RunwayProvider.models[panel.model.value]
    assert [v for _label, v in panel.seconds.options] == [float(d) for d in spec.durations]
    assert list(panel.ratio.options) == list(spec.ratios)
    if "text_to_video" not in spec.operations:     # e.g. gen4_turbo: image to video only
        assert panel.generate_button.disabled and "cannot do text_to_video" in panel.message.value
    # No key set: the panel says which variable to set, and Generate stays disabled.
    panel.model.value = RunwayProvider.default_model
    assert videonb.GeneratePanel("x", provider="runway/veo3.1").model.value == "veo3.1"
    with pytest.raises(videonb.errors.InvalidOptionError, match="Models: "):
        videonb.GeneratePanel("x", provider="runway/nope")
    assert panel.generate_button.disabled and "RUNWAYML_API_SECRET" in panel.message.value


def test_generate_panel_validates_live(home, monkeypatch):
    panel = videonb.GeneratePanel("")
    assert panel.generate_button.disabled and "Write a prompt" in panel.message.value
    panel.prompt.value = "a kite"
    assert not panel.generate_button.disabled and "free" in panel.estimate.value
    panel.seed.value = "abc"
    assert panel.generate_button.disabled and "whole number" in panel.message.value
    panel.seed.value = "7"
    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    panel.provider.value = "runway"
    assert not panel.generate_button.disabled
    assert "$" in panel.estimate.value and "/s" in panel.estimate.value
    panel.prompt.value = "x" * 5000
    assert panel.generate_button.disabled and "Shorten it" in panel.message.value


def test_generate_panel_runs_on_local_with_progress_and_player(home, capsys):
    panel = videonb.GeneratePanel("a lighthouse at night, slow zoom in", seconds=2)
    seen = []
    panel.progress.observe(lambda ch: seen.append(ch["new"]), names="value")
    panel.generate_button.click()
    wait_for(panel.result_box, "children", lambda c: len(c) == 1)
    assert 'data-status="starting"' in seen[0]
    assert any('data-status="running"' in s and "local/local-v1: running" in s and "job vnb_" in s
               for s in seen), seen
    assert 'data-status="succeeded"' in panel.progress.value
    assert isinstance(panel.result_box.children[0], videonb.widgets.Player)
    assert panel.result.provenance["provider"] == "local"
    assert not panel.generate_button.disabled and panel.cancel_button.disabled
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err     # nothing printed from the loop thread
    html = panel._repr_mimebundle_()["text/html"]
    assert "<video" in html                          # the static output carries the result


def test_generate_panel_against_emulated_runway_and_cancel(home, monkeypatch):
    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    with RunwayEmulator(expected_key=KEY, job_seconds=0.2) as emu:
        opts = {"runway": {"base_url": emu.base_url, "poll_interval": 0.02}}
        panel = videonb.GeneratePanel("a red kite", provider="runway", provider_options=opts)
        panel.generate()
        wait_for(panel.result_box, "children", lambda c: len(c) == 1)
        assert panel.result.provenance["cost_usd"] == pytest.approx(0.60)
        assert len(emu.requests.filter(method="POST", path="/v1/text_to_video")) == 1

        emu.job_seconds = 120
        panel.prompt.value = "a slow kite"
        panel.generate()
        wait_for(panel.progress, "value", lambda v: 'data-status="running"' in v
                 or 'data-status="queued"' in v)
        panel.cancel_button.click()
        wait_for(panel.progress, "value", lambda v: 'data-status="failed"' in v)
        assert isinstance(panel.error, videonb.errors.JobCancelledError)
        assert videonb.jobs()[0].status == "cancelled"


# --- AnalyzePanel and ComparePanel ------------------------------------------------------------------
def test_analyze_panel_upload_and_local_analysis(cut_clip, home):
    panel = videonb.AnalyzePanel(question="how many shots?")
    data = cut_clip.path.read_bytes()
    # What the browser sends when a file is picked: metadata as JSON, the bytes as a buffer.
    panel.upload._handle_msg({"content": {"data": {
        "method": "update", "buffer_paths": [["value", 0, "content"]],
        "state": {"value": [{"name": "mine.mp4", "type": "video/mp4", "size": len(data),
                             "last_modified": 1_700_000_000_000}]}}},
        "buffers": [memoryview(data)]})
    assert panel.video.value == "uploads/mine.mp4" and (home / "uploads" / "mine.mp4").exists()
    panel.analyze_button.click()
    wait_for(panel.result_box, "children", lambda c: len(c) >= 3)
    kinds = [type(c).__name__ for c in panel.result_box.children]
    assert kinds[1:4] == ["Player", "Timeline", "FrameGrid"]
    assert panel.analysis.answer and "shot" in panel.analysis.answer
    found = [m.start for m in panel.analysis.moments if m.kind == "cut"]
    assert found == pytest.approx(cut_clip.truth.cuts, abs=0.05)


def test_compare_panel_side_by_side(home, monkeypatch):
    from videonb.providers.runway import RunwayProvider

    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    with RunwayEmulator(expected_key=KEY, job_seconds=0.1) as emu:
        panel = videonb.ComparePanel(
            "a paper boat on a pond", targets=["local", "runway/veo3.1_fast", "runway/gen4.5"],
            provider_options={"runway": {"base_url": emu.base_url, "poll_interval": 0.02}})
        panel.run_button.click()
        assert "estimated total $" in panel.summary.value
        wait_for(panel.run_button, "disabled", lambda d: d is False)
        assert set(panel.results) == {"local/local-v1", "runway/veo3.1_fast", "runway/gen4.5"}
        assert all(isinstance(v, videonb.Video) for v in panel.results.values()), panel.results
        cells = panel.grid.children
        assert len(cells) == 3 and all(isinstance(c.children[2].children[0], videonb.widgets.Player)
                                       for c in cells)
        spec = RunwayProvider.models["veo3.1_fast"]
        assert panel.results["runway/veo3.1_fast"].provenance["cost_usd"] == pytest.approx(
            spec.estimate(spec.default_duration))
        assert f"${spec.estimate(spec.default_duration):.2f}" in panel.grid.children[1].children[1].value

        panel.seconds.value = "5"                      # not a Veo duration: that cell says so
        panel.run()
        wait_for(panel.run_button, "disabled", lambda d: d is False)
        assert isinstance(panel.results["runway/veo3.1_fast"], videonb.errors.InvalidOptionError)
        assert "allowed: 4, 6, 8 s" in panel.grid.children[1].children[1].value
        assert isinstance(panel.results["runway/gen4.5"], videonb.Video)
        assert isinstance(panel.results["local/local-v1"], videonb.Video)
    with pytest.raises(videonb.errors.InvalidOptionError, match="Choose from: local/local-v1"):
        videonb.ComparePanel("x", targets=["runway/no-such-model"])


# --- magics ----------------------------------------------------------------------------------------
def test_videogen_no_wait_shows_a_live_job_view(home):
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "videonb")
    view = ip.run_cell_magic("videogen", "local --seconds 1 --no-wait --as job", "a quiet pond")
    assert isinstance(view, videonb.widgets.JobView) and ip.user_ns["job"] is view.job
    wait_for(view.result_box, "children", lambda c: len(c) == 1)
    assert 'data-status="succeeded"' in view.status.value and view.cancel_button.disabled
    assert f"job {view.job.id}: succeeded" == ip.run_line_magic("videonb", f"jobs cancel {view.job.id}")
    ip.user_ns.pop("job", None)


def test_videonb_jobs_cancel_stops_a_running_job(home, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "videonb")
    with RunwayEmulator(expected_key=KEY, job_seconds=120) as emu:
        job = videonb.generate("a long kite", provider="runway", base_url=emu.base_url, seconds=5,
                               wait=False, poll_interval=0.02)
        view = videonb.widgets.JobView(job)
        wait_for(view.status, "value", lambda v: 'data-status="running"' in v
                 or 'data-status="queued"' in v)
        assert ip.run_line_magic("videonb", f"jobs cancel {job.id}") == f"job {job.id}: cancelled"
        assert emu.requests.filter(method="DELETE")
        wait_for(view.status, "value", lambda v: 'data-status="cancelled"' in v)


def test_interrupting_a_blocking_generate_cancels_the_job(home, monkeypatch):
    """The kernel's Interrupt button raises KeyboardInterrupt in the waiting cell: the job is
    cancelled at the provider, not left running (and billing) behind the user's back."""
    from videonb.display.progress import ProgressDisplay

    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    shown = ProgressDisplay.update

    def update_then_interrupt(self, rec):
        shown(self, rec)
        if rec.status in ("queued", "running"):   # the user sees it running and presses ■
            raise KeyboardInterrupt

    monkeypatch.setattr(ProgressDisplay, "update", update_then_interrupt)
    with RunwayEmulator(expected_key=KEY, job_seconds=120) as emu:
        with pytest.raises(KeyboardInterrupt):
            videonb.generate("an endless kite", provider="runway", base_url=emu.base_url,
                             seconds=5, poll_interval=0.02)
        assert len(emu.requests.filter(method="DELETE")) == 1
    assert videonb.jobs()[0].status == "cancelled"


def test_interrupt_racing_the_start_of_the_submit_cancels_the_job_at_the_provider(home,
                                                                                   monkeypatch):
    """Interrupt pressed before the blocking call heard of its job, while the runner is about
    to submit it: the submit goes out before the interrupt reaches the loop.  The job must still
    be cancelled at the provider, not left running (and billing) as a dropped wait."""
    from videonb.providers import runtime
    from videonb.providers.ledger import Ledger

    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    entered, pressed = threading.Event(), threading.Event()
    interrupted = threading.Event()
    real_begin_submit, real_run_sync = Ledger.begin_submit, runtime.run_sync
    caller = threading.current_thread()

    def begin_submit(self, jid):  # the runner's first step, before any update: hold it here
        entered.set()
        assert pressed.wait(30)
        return real_begin_submit(self, jid)

    def run_sync(coro, *, on_tick=None, tick=0.25, on_interrupt=None):
        def ticking():
            if entered.is_set() and not interrupted.is_set():
                interrupted.set()
                raise KeyboardInterrupt  # what the kernel's Interrupt raises in this thread
            if on_tick is not None:
                on_tick()
        return real_run_sync(coro, on_tick=ticking, tick=0.01, on_interrupt=on_interrupt)

    loop = runtime.loop()
    real_soon = loop.call_soon_threadsafe

    def call_soon_threadsafe(*args, **kwargs):
        # Whatever the interrupt hands the loop first is queued behind the runner's held step:
        # let that step (which starts the submit) go on only once it is.
        handle = real_soon(*args, **kwargs)
        if interrupted.is_set() and threading.current_thread() is caller:
            pressed.set()
        return handle

    monkeypatch.setattr(Ledger, "begin_submit", begin_submit)
    monkeypatch.setattr(runtime, "run_sync", run_sync)
    loop.call_soon_threadsafe = call_soon_threadsafe
    try:
        with RunwayEmulator(expected_key=KEY, job_seconds=60) as emu:
            emu.inject("slow", seconds=0.5, match="POST /v1/text_to_video")
            with pytest.raises(KeyboardInterrupt):
                videonb.generate("an interrupted kite", provider="runway", base_url=emu.base_url,
                                 seconds=5, poll_interval=0.02)
            assert pressed.is_set()
            [rec] = videonb.jobs()
            assert rec.status == "cancelled" and rec.remote_id, rec
            deletes = emu.requests.filter(method="DELETE")
            assert len(deletes) == 1 and deletes[0].path.endswith(rec.remote_id)
            assert videonb.resume(base_url=emu.base_url) == []
            assert len(emu.requests.filter(method="POST")) == 1
    finally:
        del loop.call_soon_threadsafe
        pressed.set()


def test_a_cancel_asked_during_the_submit_survives_its_task_being_dropped(home, monkeypatch):
    """Cancel asked while the POST is in flight (it waits for the task id), and then the task
    driving the job is cancelled too (an Interrupt whose cancel outlasted its wait, a dropped
    wait): the requested cancel is still carried out at the provider, not lost."""
    import asyncio

    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    with RunwayEmulator(expected_key=KEY, job_seconds=60) as emu:
        emu.inject("slow", seconds=0.5, match="POST /v1/text_to_video")

        async def run():
            submitting = asyncio.Event()
            job = await videonb.generate_async(
                "a twice-cancelled kite", provider="runway", base_url=emu.base_url, seconds=5,
                poll_interval=0.02, wait=False,
                on_update=lambda rec: rec.status == "submitting" and submitting.set())
            await asyncio.wait_for(submitting.wait(), 20)
            # The cancel's first step registers it (then it waits for the submit); the task's
            # cancellation is queued behind that step (call_soon runs in order).
            cancelling = asyncio.ensure_future(job.cancel_async())
            asyncio.get_running_loop().call_soon(job._future.cancel)
            await asyncio.wait_for(cancelling, 20)
            return job.id

        job_id = asyncio.run(run())
        [rec] = videonb.jobs()
        assert rec.id == job_id and rec.status == "cancelled" and rec.remote_id, rec
        deletes = emu.requests.filter(method="DELETE")
        assert len(deletes) == 1 and deletes[0].path.endswith(rec.remote_id)


def test_cancel_before_the_job_is_submitted_leaves_nothing_to_resume(home, monkeypatch):
    """Cancel pressed at once: whatever point the job reached, nothing stays 'created' for
    resume() to submit (and bill) later."""
    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    with RunwayEmulator(expected_key=KEY, job_seconds=60) as emu:
        opts = {"runway": {"base_url": emu.base_url, "poll_interval": 0.02}}
        panel = videonb.GeneratePanel("a kite", provider="runway", provider_options=opts)
        for i in range(5):
            panel.prompt.value = f"a kite, take {i}"
            panel.generate()
            panel.cancel()
            wait_for(panel.progress, "value", lambda v: 'data-status="failed"' in v
                     or 'data-status="cancelled"' in v)
            assert isinstance(panel.error, videonb.errors.JobCancelledError)
        states = {rec.status for rec in videonb.jobs()}
        assert states <= {"cancelled"}, states
        before = len(emu.requests.filter(method="POST"))
        assert videonb.resume(base_url=emu.base_url) == []
        assert len(emu.requests.filter(method="POST")) == before


def test_cancel_racing_the_start_of_the_submit_cancels_the_job_at_the_provider(home, monkeypatch):
    """Cancel pressed before the panel heard of the job (no job id yet), while the runner is
    about to submit it: the submit goes out before the cancel reaches the loop.  The cancel
    must still be the user's cancel — the task the provider created is cancelled there and the
    row says so — not a dropped wait that leaves a billed job running ('submitted')."""
    from videonb.providers.ledger import Ledger

    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    entered, pressed = threading.Event(), threading.Event()
    real_begin_submit = Ledger.begin_submit

    def begin_submit(self, jid):
        # On the loop thread, in the runner's first step (before any on_update): hold it here
        # until Cancel was pressed, so the click is decided while the panel knows no job id
        # and the runner's step that starts the submit runs before anything the click queued.
        entered.set()
        assert pressed.wait(30)
        return real_begin_submit(self, jid)

    monkeypatch.setattr(Ledger, "begin_submit", begin_submit)
    with RunwayEmulator(expected_key=KEY, job_seconds=60) as emu:
        emu.inject("slow", seconds=0.5, match="POST /v1/text_to_video")
        opts = {"runway": {"base_url": emu.base_url, "poll_interval": 0.02}}
        panel = videonb.GeneratePanel("a racing kite", provider="runway", provider_options=opts)
        panel.generate()
        assert entered.wait(30)
        assert panel._runner.job_id is None  # the interleaving this test is about
        panel.cancel()
        pressed.set()
        wait_for(panel.progress, "value", lambda v: 'data-status="failed"' in v
                 or 'data-status="cancelled"' in v)
        assert isinstance(panel.error, videonb.errors.JobCancelledError)
        [rec] = videonb.jobs()
        assert rec.status == "cancelled" and rec.remote_id, rec
        deletes = emu.requests.filter(method="DELETE")
        assert len(deletes) == 1 and deletes[0].path.endswith(rec.remote_id)
        assert len(emu.requests.filter(method="POST")) == 1
        assert videonb.resume(base_url=emu.base_url) == []
        assert len(emu.requests.filter(method="POST")) == 1


def test_cancel_during_the_submit_cancels_the_task_the_provider_created(home, monkeypatch):
    """A cancel while the POST is in flight must not lose the provider's task (it is billed):
    the submit completes, the task id is recorded, and the task is cancelled there."""
    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    with RunwayEmulator(expected_key=KEY, job_seconds=60) as emu:
        emu.inject("slow", seconds=1.0, match="POST /v1/text_to_video")
        opts = {"runway": {"base_url": emu.base_url, "poll_interval": 0.02}}
        panel = videonb.GeneratePanel("a slow submit", provider="runway", provider_options=opts)
        panel.generate()
        wait_for(panel.progress, "value", lambda v: 'data-status="submitting"' in v)
        panel.cancel_button.click()
        wait_for(panel.progress, "value", lambda v: 'data-status="failed"' in v)
        assert isinstance(panel.error, videonb.errors.JobCancelledError)
        rec = videonb.jobs()[0]
        assert rec.status == "cancelled" and rec.remote_id
        deletes = emu.requests.filter(method="DELETE")
        assert len(deletes) == 1 and deletes[0].path.endswith(rec.remote_id)


def test_interrupt_without_the_progress_display_cancels_the_job_too(home, monkeypatch):
    """generate(progress=False) interrupted while its job runs: the job is cancelled at the
    provider as with the display, not left queued there (red-team finding: only the wait was
    dropped, and the job went on, billed)."""
    from videonb.providers import runtime

    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    real_run_sync = runtime.run_sync
    seen: list[str] = []

    def run_sync(coro, *, on_tick=None, tick=0.25, on_interrupt=None):
        def ticking():
            if on_tick is not None:
                on_tick()
            recs = videonb.jobs()
            if recs and recs[0].status in ("submitted", "queued", "running"):
                seen.append(recs[0].status)
                raise KeyboardInterrupt  # what the kernel's Interrupt raises in this thread
        return real_run_sync(coro, on_tick=ticking, tick=0.02, on_interrupt=on_interrupt)

    monkeypatch.setattr(runtime, "run_sync", run_sync)
    with RunwayEmulator(expected_key=KEY, job_seconds=60) as emu:
        with pytest.raises(KeyboardInterrupt):
            videonb.generate("a quiet kite", provider="runway", base_url=emu.base_url,
                             seconds=5, poll_interval=0.02, progress=False)
        assert seen
        [rec] = videonb.jobs()
        assert rec.status == "cancelled" and rec.remote_id, rec
        assert len(emu.requests.filter(method="DELETE")) == 1
        assert len(emu.requests.filter(method="POST")) == 1
