"""videonb's own provider clients against the loopback emulators (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import random

import pytest

import videonb
from videonb import errors
from videonb.providers import keys
from videonb.testing.emulators import GeminiEmulator, OpenAIEmulator, RunwayEmulator

KEY = "placeholder-not-a-key-emu7q9zx"  # no word at its ends: redact hides 8-char ends
FAST = dict(api_key=KEY, poll_interval=0.02, progress=False)




@pytest.fixture()
def runway(home):
    with RunwayEmulator(expected_key=KEY, job_seconds=0.15, concurrency=None) as emu:
        yield emu


def _gen(emu, prompt, **kw):
    return videonb.generate(prompt, provider="runway", base_url=emu.base_url, seconds=5, **FAST, **kw)


# --- Runway ----------------------------------------------------------------------------------
def test_runway_happy_path_downloads_and_records(runway, home):
    v = _gen(runway, "a red kite over the sea")
    assert v.info.codec == "h264" and v.info.frame_count > 0
    prov = v.provenance
    assert prov["provider"] == "runway" and prov["model"] == "gen4.5"
    assert prov["cost_usd"] == pytest.approx(0.60) and prov["remote_id"]
    rec = videonb.jobs()[0]
    assert rec.status == "succeeded" and rec.output_hash in str(v.path)
    posts = runway.requests.filter(method="POST")
    assert len(posts) == 1 and posts[0].path == "/v1/text_to_video"
    # the version header was sent (the emulator rejects requests without it)
    assert all(r.status < 400 for r in runway.requests)


def test_same_request_is_served_from_cache_not_billed_twice(runway):
    a = _gen(runway, "a paper boat")
    b = _gen(runway, "a  paper boat ")          # whitespace-normalised: same request
    assert b.provenance["cached"] is True and b.path == a.path
    assert len(runway.requests.filter(method="POST")) == 1
    c = _gen(runway, "a paper boat", refresh=True)
    assert c.provenance["cached"] is False
    assert len(runway.requests.filter(method="POST")) == 2


def test_moderation_is_not_retried(runway):
    runway.inject("SAFETY.INPUT.TEXT")
    with pytest.raises(errors.ModerationError, match="SAFETY.INPUT.TEXT"):
        _gen(runway, "something refused")
    assert len(runway.requests.filter(method="POST")) == 1
    assert videonb.jobs()[0].status == "failed"


def test_internal_failure_is_resubmitted(runway):
    runway.inject("INTERNAL.BAD_OUTPUT")
    v = _gen(runway, "try again please")
    assert v.info.frame_count > 0
    assert len(runway.requests.filter(method="POST")) == 2


@pytest.mark.parametrize("fault", ["429", "500", "503", "reset"])
def test_transient_http_faults_on_polling_are_survived(runway, fault):
    runway.inject(fault, match="GET /v1/tasks", retry_after=0.05)
    v = _gen(runway, f"survive {fault}")
    assert v.info.frame_count > 0


def test_429_on_submit_is_retried_after_retry_after(runway):
    runway.inject("429", match="POST /v1/text_to_video", retry_after=0.05)
    v = _gen(runway, "rate limited first")
    assert v.info.frame_count > 0
    statuses = [r.status for r in runway.requests.filter(method="POST")]
    assert statuses[0] == 429 and statuses[-1] == 200


def test_reset_during_submit_is_not_blindly_resubmitted(runway):
    runway.inject("reset", match="POST /v1/text_to_video")
    with pytest.raises(errors.ProviderHTTPError, match="dashboard"):
        _gen(runway, "ambiguous submit")


def test_wrong_key_is_authentication_error_without_the_key(runway):
    with pytest.raises(errors.AuthenticationError) as ei:
        videonb.generate("x", provider="runway", base_url=runway.base_url, seconds=5,
                         api_key="wrong_key_987654321", poll_interval=0.02, progress=False)
    assert "wrong_key_987654321" not in str(ei.value)


def test_expired_output_url_is_refetched(home):
    with RunwayEmulator(expected_key=KEY, job_seconds=0.1, output_ttl=0.0) as emu:
        with pytest.raises(errors.OutputExpiredError):
            _gen(emu, "expires instantly")
        rec = videonb.jobs()[0]
        assert rec.status == "failed" and rec.error_code == "OUTPUT_EXPIRED"


def test_cancel_a_running_job(runway):
    import asyncio

    runway.job_seconds = 30.0

    async def submit_then_cancel():
        at_provider = asyncio.Event()  # set by the job's own update, not by polling the test
        job = await videonb.generate_async(
            "long one", provider="runway", base_url=runway.base_url, seconds=5, api_key=KEY,
            poll_interval=0.02, wait=False,
            on_update=lambda rec: rec.remote_id and at_provider.set())
        assert isinstance(job, videonb.Job)
        await asyncio.wait_for(at_provider.wait(), 10)
        await job.cancel_async()
        return job

    job = asyncio.run(submit_then_cancel())
    assert job.status == "cancelled"
    assert runway.requests.filter(method="DELETE")


def test_timeout_leaves_job_resumable(runway):
    runway.job_seconds = 0.6
    with pytest.raises(errors.JobTimeoutError, match="resume"):
        _gen(runway, "slow", timeout=0.1)
    rec = videonb.jobs()[0]
    assert rec.status in ("queued", "running", "submitted") and rec.remote_id
    (out,) = videonb.resume(poll_interval=0.02, api_key=KEY, base_url=runway.base_url)
    assert isinstance(out, videonb.Video)
    assert videonb.jobs()[0].status == "succeeded"
    assert len(runway.requests.filter(method="POST")) == 1


def test_fifty_jobs_with_faults_and_a_restart(runway, home):
    """50 generations, ~10 % injected faults, a simulated kernel restart halfway: every job ends
    succeeded or with a clear terminal error; none lost, none billed twice; outputs on disk."""
    import asyncio

    from videonb.providers import ledger as ledger_mod

    rng = random.Random(7)
    runway.job_seconds = 0.3
    prompts = [f"shot {i}" for i in range(50)]
    faults = ["429", "503", "reset", "SAFETY.INPUT.TEXT", "INTERNAL.BAD_OUTPUT"]
    chosen = [rng.choice(faults) for _ in range(5)]
    for f in chosen:
        runway.inject(f, match="GET /v1/tasks" if f in ("429", "503", "reset") else None,
                      retry_after=0.05)

    async def submit_all(batch, on_update=None):
        jobs = [await videonb.generate_async(p, provider="runway", base_url=runway.base_url,
                                             seconds=5, api_key=KEY, poll_interval=0.02, wait=False,
                                             on_update=on_update)
                for p in batch]
        return jobs

    # first half: submit and let them start, then "restart the kernel" (drop every task)
    async def first_half():
        placed: set[str] = set()
        all_placed = asyncio.Event()

        def note(rec):  # each job reports when it is at the provider (or already over)
            if rec.remote_id or rec.terminal:
                placed.add(rec.id)
                if len(placed) == 25:
                    all_placed.set()

        jobs = await submit_all(prompts[:25], on_update=note)
        await asyncio.wait_for(all_placed.wait(), 20)
        for j in jobs:
            j._future.cancel()  # the kernel dies: in-memory polling stops mid-flight
        return jobs

    asyncio.run(first_half())
    ledger_mod._LEDGER = None  # a fresh process re-opens the ledger from disk
    unfinished = [r for r in videonb.jobs(limit=100) if not r.terminal]
    assert unfinished, "the restart should interrupt some jobs"
    results = videonb.resume(poll_interval=0.02, api_key=KEY, base_url=runway.base_url)
    assert len(results) == len(unfinished)

    async def second_half():
        jobs = await submit_all(prompts[25:])
        return await asyncio.gather(*(j.wait_async() for j in jobs), return_exceptions=True)

    asyncio.run(second_half())
    recs = videonb.jobs(limit=100)
    assert len(recs) == 50
    for r in recs:
        assert r.terminal, r
        if r.status == "succeeded":
            assert r.output_path and __import__("pathlib").Path(r.output_path).exists()
        else:
            assert r.error_code, r
    posts = runway.requests.filter(method="POST")
    created_ok = [p for p in posts if p.status == 200]
    # at most one extra task per INTERNAL resubmit; never a duplicate for the same job otherwise
    remote_ids = [r.remote_id for r in recs if r.remote_id]
    assert len(set(remote_ids)) == len(remote_ids)
    assert len(created_ok) <= 50 + chosen.count("INTERNAL.BAD_OUTPUT")
    # the only acceptable failures are the injected moderation refusals
    bad = [(r.status, r.error_code, r.error_message) for r in recs if r.status != "succeeded"]
    assert all(code and code.startswith("SAFETY") for _, code, _ in bad), bad
    assert len(bad) <= chosen.count("SAFETY.INPUT.TEXT")


# --- OpenAI-compatible: vision on frames, Videos wire format -------------------------------------
def test_openai_vision_on_frames_with_structured_output(home, cut_clips):
    clip = cut_clips[0]
    with OpenAIEmulator(expected_key=KEY) as emu:
        a = videonb.analyze(clip.path, provider="openai", base_url=emu.base_url + "/v1",
                            api_key=KEY, question="What happens?", frames=8)
        assert a.provider == "openai" and a.summary
        chats = emu.requests.filter(method="POST", path="/v1/chat/completions")
        assert len(chats) == 1
        assert a.raw["frames_sent"] <= 8 and a.raw["detail"] == "low"
        html = a._repr_html_()
        assert "<video" in html and "Answer" in html


def test_openai_vision_repairs_malformed_json_once(home, cut_clips):
    with OpenAIEmulator(expected_key=KEY) as emu:
        emu.inject("malformed_json")
        a = videonb.analyze(cut_clips[0].path, provider="openai", base_url=emu.base_url + "/v1",
                            api_key=KEY, frames=4)
        assert a.summary
        assert len(emu.requests.filter(method="POST", path="/v1/chat/completions")) == 2
        emu.inject("malformed_json", times=2)
        with pytest.raises(errors.ModelOutputError, match="repair"):
            videonb.analyze(cut_clips[0].path, provider="openai", base_url=emu.base_url + "/v1",
                            api_key=KEY, frames=4)


def test_openai_videos_gateway_generation(home):
    with OpenAIEmulator(expected_key=KEY, job_seconds=0.1) as emu:
        v = videonb.generate("a lighthouse", provider="openai/sora-2", seconds=4,
                             base_url=emu.base_url + "/v1", **FAST)
        assert v.info.codec == "h264"
        assert emu.requests.filter(method="GET", path="/content")


def test_model_text_is_escaped_in_html(home, cut_clips):
    evil = '{"summary": "<script>alert(1)</script>", "moments": [{"start": "00:01", "end": "00:02", "label": "<img src=x onerror=alert(2)>"}], "answer": "<b>hi</b>"}'
    with OpenAIEmulator(expected_key=KEY, responder=lambda req: evil) as emu:
        a = videonb.analyze(cut_clips[0].path, provider="openai", base_url=emu.base_url + "/v1",
                            api_key=KEY, frames=2)
    html = a._repr_html_()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html and "<b>hi</b>" not in html


# --- Gemini -------------------------------------------------------------------------------------
def test_gemini_inline_and_files_api(home, cut_clips):
    pytest.importorskip("google.genai")
    with GeminiEmulator(expected_key=KEY, file_processing_seconds=0.1) as emu:
        a = videonb.analyze(cut_clips[0].path, provider="gemini", base_url=emu.base_url,
                            api_key=KEY, question="What is shown?")
        assert a.provider == "gemini" and a.summary and a.moments is not None
        assert not emu.requests.filter(path="/upload/")
        b = videonb.analyze(cut_clips[0].path, provider="gemini", base_url=emu.base_url,
                            api_key=KEY, inline_limit=1000, file_poll=0.05)
        assert b.summary
        assert emu.requests.filter(path="/upload/")


def test_gemini_malformed_json_repaired(home, cut_clips):
    pytest.importorskip("google.genai")
    with GeminiEmulator(expected_key=KEY) as emu:
        emu.inject("malformed_json")
        a = videonb.analyze(cut_clips[0].path, provider="gemini", base_url=emu.base_url, api_key=KEY)
        assert a.summary
        assert len(emu.requests.filter(method="POST", path=":generateContent")) == 2


# --- no key anywhere ------------------------------------------------------------------------------
def test_key_never_reaches_ledger_cache_or_outputs(runway, home):
    keys.register_secret(KEY)
    v = _gen(runway, "scan for leaks")
    html = v._repr_html_()
    assert KEY not in html and KEY not in repr(v) and KEY not in repr(videonb.jobs())
    needle = KEY.encode()
    for p in (home / "home").rglob("*"):
        if p.is_file():
            assert needle not in p.read_bytes(), p


def test_estimate_is_shown_before_submit_and_progress_after(runway, capsys):
    v = videonb.generate("with progress", provider="runway", base_url=runway.base_url, seconds=5,
                         api_key=KEY, poll_interval=0.02)
    err = capsys.readouterr().err
    assert "estimated $0.60 (5 s × $0.120/s)" in err
    first_status = err.index("estimated")
    assert "runway/gen4.5" in err[first_status:]
    assert KEY not in err
    assert v.provenance["remote_id"] in videonb.jobs()[0].remote_id


@pytest.fixture(scope="module")
def still_png(tmp_path_factory):
    import cv2

    from videonb.testing.clips import sample_path

    img = videonb.sample_frames(sample_path("bikes"), times=[1.0], max_side=320).images[0]
    p = tmp_path_factory.mktemp("img") / "still.png"
    cv2.imwrite(str(p), img[:, :, ::-1])
    return p


def test_runway_image_to_video_and_video_to_video(runway, still_png, cut_clips):
    v = videonb.image_to_video(still_png, "slow push in", provider="runway", model="gen4_turbo",
                               base_url=runway.base_url, seconds=5, ratio="1280:720", **FAST)
    assert v.provenance["operation"] == "image_to_video"
    post = runway.requests.filter(method="POST")[-1]
    assert post.path == "/v1/image_to_video"
    styl = videonb.stylize(cut_clips[0].path, "watercolor", provider="runway", model="aleph2",
                           base_url=runway.base_url, **FAST)
    assert styl.info.frame_count > 0
    assert runway.requests.filter(method="POST")[-1].path == "/v1/video_to_video"


@pytest.mark.parametrize("code, error", [("ASSET.INVALID", errors.JobFailedError),
                                         ("SAFETY.OUTPUT.VIDEO", errors.ModerationError)])
def test_runway_failure_codes(runway, code, error):
    runway.inject(code)
    with pytest.raises(error, match=code.replace(".", r"\.")):
        _gen(runway, f"fails with {code}")
    assert len(runway.requests.filter(method="POST")) == 1   # neither is resubmitted


def test_slow_responses_are_waited_for(runway):
    runway.inject("slow", match="GET /v1/tasks", seconds=0.3)
    v = _gen(runway, "patience")
    assert v.info.frame_count > 0


def test_throttled_counts_as_queued(home):
    import asyncio

    seen: list[str] = []
    with RunwayEmulator(expected_key=KEY, job_seconds=0.3, concurrency=1) as emu:
        async def both():
            return await asyncio.gather(*(videonb.generate_async(
                p, provider="runway", base_url=emu.base_url, seconds=5, api_key=KEY,
                poll_interval=0.02, on_update=lambda rec: seen.append(rec.status))
                for p in ("first", "second", "third")))

        videos = asyncio.run(both())
        assert all(v.info.frame_count for v in videos)
        assert "queued" in seen and "running" in seen and seen.count("succeeded") == 3

        # The raw wire status of the waiting task is THROTTLED, and videonb reads it as queued.
        from videonb.providers.base import Request
        from videonb.providers.registry import get_provider

        prov = get_provider("runway", api_key=KEY, base_url=emu.base_url)
        emu.job_seconds = 5.0
        req = Request("text_to_video", "runway", "gen4.5", prompt="slot", seconds=5, ratio="1280:720")

        async def throttled():
            await prov.submit(req)
            second = await prov.submit(req)
            emu.clock.advance(2.5)  # past PENDING: the first runs, the second waits for the slot
            return await prov.poll(second)

        res = asyncio.run(throttled())
        assert (res.raw_status, res.status) == ("THROTTLED", "queued")


def test_gemini_video_metadata_is_sent_and_checked(home, cut_clips):
    pytest.importorskip("google.genai")
    with GeminiEmulator(expected_key=KEY) as emu:
        a = videonb.analyze(cut_clips[0].path, provider="gemini", base_url=emu.base_url,
                            api_key=KEY, fps=2, start=1.0, end=6.0)
        assert a.summary
        sent = emu.generate_requests[-1]
        # the sampling rate and the 1–6 s window reached the API as VideoMetadata
        assert sent["fps"] == [2.0] or sent["fps"] == 2.0, sent["fps"]
        assert sent["video_seconds"] and abs(sent["video_seconds"][0] - 5.0) < 0.1, sent["video_seconds"]
    with pytest.raises(errors.InvalidOptionError, match="between 0 and 24"):
        videonb.analyze(cut_clips[0].path, provider="gemini", base_url="http://127.0.0.1:9",
                        api_key=KEY, fps=60)


def test_openai_detail_control_and_frame_budget(home, cut_clips):
    with OpenAIEmulator(expected_key=KEY) as emu:
        a = videonb.analyze(cut_clips[0].path, provider="openai", base_url=emu.base_url + "/v1",
                            api_key=KEY, frames=5, detail="high")
        sent = emu.chat_requests[-1]
    assert a.raw["detail"] == "high" and a.raw["frames_sent"] == 5
    details = sent["details"]
    assert set(details) == {"high"} and len(details) == 5
    with pytest.raises(errors.InvalidOptionError, match="detail="):
        videonb.analyze(cut_clips[0].path, provider="openai", base_url=emu.base_url + "/v1",
                        api_key=KEY, detail="ultra")


def test_a_result_from_one_server_never_answers_for_another(runway, home):
    """The cache key includes the endpoint: an emulator's placeholder is never served as the
    cached result of a real (or another gateway's) job."""
    a = _gen(runway, "a kite over a harbour")
    with RunwayEmulator(expected_key=KEY, job_seconds=0.1) as other:
        b = _gen(other, "a kite over a harbour")
        assert b.provenance["cached"] is False
        assert len(other.requests.filter(method="POST")) == 1
    again = _gen(runway, "a kite over a harbour")
    assert again.provenance["cached"] is True and again.path == a.path


def test_resume_and_cancel_after_a_restart_go_only_to_the_configured_server(home, monkeypatch):
    """After a kernel restart, cancel() and resume() of a job recorded for another server than
    the configured one send nothing (the ledger is data: the key goes only where the user points
    it) and name the base_url= to pass; with it, they reach that server.  (This replaced a test
    that had resume() follow the row's server by itself: issue 8, point 1.)"""
    import asyncio

    from videonb.providers import ledger as ledger_mod
    from videonb.testing.emulators import loopback_only

    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    with RunwayEmulator(expected_key=KEY, job_seconds=1.0) as emu, loopback_only() as conns:
        async def start():
            placed: set[str] = set()
            both = asyncio.Event()

            def note(rec):
                if rec.remote_id:
                    placed.add(rec.id)
                    if len(placed) == 2:
                        both.set()

            jobs = [await videonb.generate_async(p, provider="runway", base_url=emu.base_url,
                                                 seconds=5, poll_interval=0.02, wait=False,
                                                 on_update=note)
                    for p in ("a kite to cancel", "a kite to resume")]
            await asyncio.wait_for(both.wait(), 20)
            for j in jobs:
                j._future.cancel()  # the kernel dies: in-memory polling stops
            return jobs

        to_cancel, to_resume = asyncio.run(start())
        ledger_mod._LEDGER = None  # a fresh process re-opens the ledger from disk
        sent_before = len(emu.requests)
        with pytest.raises(errors.JobOriginError, match=f"base_url='{emu.base_url}'"):
            videonb.cancel(to_cancel.id)
        (refused,) = videonb.resume(to_resume.id, poll_interval=0.02)
        assert isinstance(refused, errors.JobOriginError) and emu.base_url in str(refused)
        assert len(emu.requests) == sent_before           # nothing went anywhere
        assert {port for _, port in conns} == {emu.port_number}
        # Named by the user, the server is used.
        assert videonb.cancel(to_cancel.id, base_url=emu.base_url).status == "cancelled"
        deletes = emu.requests.filter(method="DELETE")
        assert len(deletes) == 1 and deletes[0].path.endswith(to_cancel.record.remote_id)
        (video,) = videonb.resume(to_resume.id, poll_interval=0.02, base_url=emu.base_url)
        assert isinstance(video, videonb.Video)
        assert video.provenance["remote_id"] == to_resume.record.remote_id
        assert {port for _, port in conns} == {emu.port_number}
