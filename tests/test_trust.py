"""Issue 8, point by point: no paid result lost or billed twice, no key sent where it does not
belong, every provider failure a clear error.  Each test names its point.

The providers are driven through the loopback emulators and through small misbehaving servers
these tests start themselves (``tests/loopback.py``): redirecting, HTML-serving, endless,
lying-length and 429-ing CDNs, and a socket that accepts and never answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import videonb
from videonb import errors
from videonb.providers import keys
from videonb.providers import ledger as ledger_mod
from videonb.testing.emulators import (
    GeminiEmulator,
    OpenAIEmulator,
    RunwayEmulator,
    synthetic_mp4,
)

from loopback import Loopback, Reply, Stall, endless

KEY = "placeholder-not-a-key-trust-0123456789"
FAST = dict(api_key=KEY, poll_interval=0.02, poll_max=0.1, progress=False)
MP4 = synthetic_mp4(seconds=1.0)


@pytest.fixture(autouse=True)
def _no_session_keys():
    keys.clear_keys()
    yield
    keys.clear_keys()


@pytest.fixture()
def runway(home):
    with RunwayEmulator(expected_key=KEY, job_seconds=0.1, concurrency=None) as emu:
        yield emu


def _gen(emu, prompt, **kw):
    opts = {**FAST, **kw}
    return videonb.generate(prompt, provider="runway", base_url=emu.base_url,
                            seconds=opts.pop("seconds", 5), **opts)


def _posts(emu):
    return [r for r in emu.requests.filter(method="POST") if r.status == 200]


def _fresh_process():
    """What a kernel restart does to videonb's in-memory state."""
    ledger_mod._LEDGER = None


def _start_then_kill_kernel(emu, prompt):
    """Submit a job and stop driving it once the provider has it (a kernel that died)."""
    async def run():
        placed = asyncio.Event()
        job = await videonb.generate_async(
            prompt, provider="runway", base_url=emu.base_url, seconds=5, api_key=KEY,
            poll_interval=0.02, wait=False,
            on_update=lambda rec: rec.remote_id and placed.set())
        await asyncio.wait_for(placed.wait(), 20)
        job._future.cancel()
        return job

    return asyncio.run(run())


class FakeRunway:
    """A loopback server speaking Runway's task wire format with scripted answers, for shapes
    and outputs the emulator does not produce (HTML pages, JSON lists, odd fields).

    ``tasks`` is a list of task bodies returned by successive polls (the last one repeats);
    ``output(seen) -> Reply`` answers the output URL."""

    def __init__(self, tasks, output=None, create=None):
        self.tasks = list(tasks)
        self.output = output or (lambda seen: Reply(200, MP4, {"Content-Type": "video/mp4"}))
        self.create = create or (lambda seen: Reply(200, b'{"id": "task-1"}',
                                                    {"Content-Type": "application/json"}))
        self.polls = 0
        self.srv = Loopback(self._answer)

    def _answer(self, seen):
        if seen.method == "POST":
            return self.create(seen)
        if seen.path.startswith("/v1/tasks/"):
            body = self.tasks[min(self.polls, len(self.tasks) - 1)]
            self.polls += 1
            if isinstance(body, Reply):
                return body
            text = json.dumps(body).replace("{OUT}", f"{self.srv.url}/out/video.mp4")
            return Reply(200, text.encode(), {"Content-Type": "application/json"})
        if seen.path.startswith("/out/"):
            return self.output(seen)
        return Reply(404, b'{"error": "not found"}')

    def __enter__(self):
        self.srv.__enter__()
        return self

    def __exit__(self, *exc):
        self.srv.__exit__(*exc)

    @property
    def url(self):
        return self.srv.url

    def posts(self):
        return [s for s in self.srv.seen if s.method == "POST"]


SUCCEEDED = {"id": "task-1", "status": "SUCCEEDED", "output": ["{OUT}"]}


# =============================================================================================
# Keys
# =============================================================================================
def _insert_row(led, **fields):
    """A ledger row written as a cloned repository could have written it."""
    now = time.time()
    row = {"id": "vnb_foreign00000001", "provider": "runway", "model": "gen4.5",
           "operation": "text_to_video", "cache_key": "k" * 64, "prompt_hash": None,
           "remote_id": None, "status": "created", "cost_estimate": 0.6, "session": "other",
           "created_at": now, "updated_at": now, "owner": "0" * 32, **fields}
    with sqlite3.connect(led.path) as c:
        cols = ", ".join(row)
        c.execute(f"INSERT INTO jobs ({cols}) VALUES ({','.join('?' * len(row))})",
                  tuple(row.values()))
    return row["id"]


def _request_json(endpoint, **kw):
    from videonb.providers.base import Request

    return Request("text_to_video", "runway", "gen4.5", prompt=kw.pop("prompt", "a kite"),
                   seconds=5, ratio="1280:720", endpoint=endpoint, **kw).to_json()


def test_1_a_foreign_rows_server_gets_nothing(runway, home, monkeypatch):
    """Point 1: a row naming another server is resumed only when the user names that server."""
    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    led = ledger_mod.ledger()
    with Stall() as attacker:
        jid = _insert_row(led, request=_request_json(attacker.url), status="running",
                          remote_id="task-x")
        (out,) = videonb.resume(jid)
        assert isinstance(out, errors.JobOriginError)
        assert attacker.url in str(out) and "base_url=" in str(out)
        assert attacker.accepted == []          # not even a connection
    assert led.get(jid).status == "running"     # left alone, not marked anything


def test_1_a_row_for_the_configured_server_is_resumed(runway, home, monkeypatch):
    """Point 1: the provider's base-URL variable is 'configured now' too."""
    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    job = _start_then_kill_kernel(runway, "a kite for later")
    _fresh_process()
    monkeypatch.setenv("RUNWAYML_BASE_URL", runway.base_url)
    (video,) = videonb.resume(job.id, poll_interval=0.02)
    assert isinstance(video, videonb.Video)


def test_1_created_rows_of_others_are_not_submitted(runway, home):
    """Point 1: resume() submits a never-submitted job only if this user on this machine
    created it, or when its id is given."""
    led = ledger_mod.ledger()
    jid = _insert_row(led, request=_request_json(runway.base_url, prompt="their kite"))
    (out,) = videonb.resume(api_key=KEY, base_url=runway.base_url, poll_interval=0.02)
    assert isinstance(out, errors.JobOriginError) and jid in str(out)
    assert _posts(runway) == [] and led.get(jid).status == "created"
    (video,) = videonb.resume(jid, api_key=KEY, base_url=runway.base_url, poll_interval=0.02)
    assert isinstance(video, videonb.Video) and len(_posts(runway)) == 1


def test_1_own_created_rows_are_submitted_after_a_restart(runway, home):
    led = ledger_mod.ledger()
    from videonb.providers.base import Request

    req = Request("text_to_video", "runway", "gen4.5", prompt="mine", seconds=5,
                  ratio="1280:720", endpoint=runway.base_url)
    rec = led.create(provider="runway", model="gen4.5", operation=req.operation,
                     request_json=req.to_json(), cache_key=req.cache_key(runway.base_url),
                     prompt_hash=req.prompt_hash, cost_estimate=0.6)
    assert ledger_mod.owned(rec)
    _fresh_process()
    (video,) = videonb.resume(api_key=KEY, base_url=runway.base_url, poll_interval=0.02)
    assert isinstance(video, videonb.Video)


def test_1_an_input_file_whose_content_changed_is_not_uploaded(runway, home, tmp_path):
    """Point 1: a recorded input is uploaded only if its content hash still matches."""
    secret = tmp_path / "notes.png"
    secret.write_bytes(b"not the recorded image")
    led = ledger_mod.ledger()
    req = _request_json(runway.base_url, inputs={"image": "f" * 64},
                        input_paths={"image": str(secret)})
    jid = _insert_row(led, request=req)
    (out,) = videonb.resume(jid, api_key=KEY, base_url=runway.base_url)
    assert isinstance(out, errors.JobOriginError) and "changed" in str(out)
    assert _posts(runway) == []


def test_1_a_cached_row_never_serves_a_file_outside_the_store(home, tmp_path):
    """Point 1: outputs come only from the store, under their own content hash."""
    private = tmp_path / "diary.mp4"
    private.write_bytes(MP4)
    led = ledger_mod.ledger()
    digest = __import__("hashlib").sha256(MP4).hexdigest()
    _insert_row(led, id="vnb_foreign_cached1", request=_request_json(None), status="succeeded",
                cache_key="c" * 64, output_path=str(private), output_hash=digest)
    assert led.cached("c" * 64) is None
    link = led.store / digest[:2] / f"{digest}.mp4"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(private)                      # a symlink out of the store
    _insert_row(led, id="vnb_foreign_cached2", request=_request_json(None), status="succeeded",
                cache_key="d" * 64, output_path=str(link), output_hash=digest)
    assert led.cached("d" * 64) is None


def test_2_keys_are_stripped_and_control_characters_refused(runway, home, monkeypatch):
    """Point 2: a key read from a file (trailing newline) works; one with a line break inside is
    refused naming its source, and nothing is sent."""
    v = _gen(runway, "a kite from a key file", api_key=KEY + "\n")
    assert v.info.frame_count > 0
    monkeypatch.setenv("RUNWAYML_API_SECRET", f"  {KEY}\r\n")
    assert keys.find_key(["RUNWAYML_API_SECRET"]).value == KEY
    before = len(runway.requests)
    broken = KEY[:10] + "\n" + KEY[10:]
    with pytest.raises(errors.InvalidKeyError, match="api_key= argument") as info:
        _gen(runway, "never sent", api_key=broken)
    assert isinstance(info.value, errors.MissingKeyError)
    assert KEY[:10] not in str(info.value) and KEY[10:18] not in str(info.value)
    monkeypatch.setenv("RUNWAYML_API_SECRET", broken)
    with pytest.raises(errors.InvalidKeyError, match="environment variable RUNWAYML_API_SECRET"):
        videonb.generate("never sent", provider="runway", base_url=runway.base_url, seconds=5,
                         progress=False)
    assert len(runway.requests) == before
    assert "unusable" in next(r.key for r in videonb.providers() if r.provider == "runway")


def test_3_redaction_runs_before_truncation():
    """Point 3: an error body cut at 300 characters must not show any 8-character piece."""
    from videonb._redact import redact

    keys.register_secret(KEY)
    cut = ("x" * 290 + KEY)[:300]                  # the cut leaves the key's first 10 chars
    assert KEY[:10] in cut and KEY[:8] not in redact(cut)
    assert KEY[-9:] not in redact("…" + KEY[-9:] + " trailing")   # a cut at the start too
    assert redact("sk-short") == "sk-short"        # unrelated text is left alone


def test_3_long_error_bodies_quoting_the_key_are_redacted(home):
    """A plain-text error page that echoes the header, cut at 300 characters mid-key."""
    def echo(seen):
        auth = seen.headers.get("authorization", "")
        body = "x" * 270 + f" you sent {auth} which is wrong"
        return Reply(400, body.encode(), {"Content-Type": "text/plain"})

    with Loopback(echo) as srv:
        with pytest.raises(errors.ProviderHTTPError) as info:
            videonb.generate("a kite", provider="runway", base_url=srv.url, seconds=5, **FAST)
    text = str(info.value) + repr(info.value)
    for i in range(len(KEY) - 7):
        assert KEY[i:i + 8] not in text, (KEY[i:i + 8], text)


# --- point 4: every exception is a redacted VideonbError ---------------------------------------
@pytest.mark.parametrize("body", [
    Reply(200, b"<!doctype html><html><body>Sign in to the hotel wifi</body></html>",
          {"Content-Type": "text/html"}),
    Reply(200, b'[{"status": "RUNNING"}]', {"Content-Type": "application/json"}),
    Reply(200, b'{"status": "RUN', {"Content-Type": "application/json"}),
], ids=["html", "json-list", "truncated"])
def test_4_unusable_poll_answers_are_retried_then_reported_resumable(home, body):
    with FakeRunway([body]) as fake:
        with pytest.raises(errors.ProviderHTTPError, match="resume") as info:
            videonb.generate("a kite", provider="runway", base_url=fake.url, seconds=5, **FAST)
        assert fake.polls >= 3 and len(fake.posts()) == 1
    rec = videonb.jobs()[0]
    assert rec.status == "submitted" and rec.remote_id == "task-1"   # resumable, not failed
    assert info.value.retryable


def test_4_odd_fields_are_read_defensively(home):
    tasks = [{"id": "task-1", "status": "RUNNING", "progress": "half"},
             {"id": "task-1", "status": "RUNNING", "progress": {"done": 1}},
             SUCCEEDED]
    with FakeRunway(tasks) as fake:
        v = videonb.generate("a kite", provider="runway", base_url=fake.url, seconds=5, **FAST)
    assert v.info.frame_count > 0


def test_4_a_success_without_a_usable_output_stays_resumable(home):
    with FakeRunway([{"id": "task-1", "status": "SUCCEEDED", "output": {}}]) as fake:
        with pytest.raises(errors.DownloadError, match=r"videonb\.resume"):
            videonb.generate("a kite", provider="runway", base_url=fake.url, seconds=5, **FAST)
    rec = videonb.jobs()[0]
    assert rec.status == "downloading" and rec.cost == pytest.approx(0.6)


def test_4_a_submit_answered_with_a_web_page_never_stays_submitting(home):
    page = Reply(200, b"<html>proxy login</html>", {"Content-Type": "text/html"})
    with FakeRunway([SUCCEEDED], create=lambda seen: page) as fake:
        with pytest.raises(errors.ProviderHTTPError, match="web page"):
            videonb.generate("a kite", provider="runway", base_url=fake.url, seconds=5, **FAST)
    assert videonb.jobs()[0].status == "failed"


def test_4_gemini_connection_reset_is_a_videonb_error(home, cut_clips):
    pytest.importorskip("google.genai")
    with GeminiEmulator(expected_key=KEY) as emu:
        emu.inject("reset", match="generateContent", times=None)
        with pytest.raises(errors.ProviderHTTPError, match="gemini") as info:
            videonb.analyze(cut_clips[0].path, provider="gemini", base_url=emu.base_url,
                            api_key=KEY)
        # generateContent is billed: a reset is not blindly sent again
        assert len(emu.requests.filter(path="generateContent")) == 1
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_4_non_ascii_key_is_refused_before_anything_is_sent(home, runway):
    with pytest.raises(errors.InvalidKeyError, match="non-ASCII"):
        _gen(runway, "a kite", api_key="\u201cplaceholder-not-a-key-12345678\u201d")
    assert videonb.jobs() == [] and len(runway.requests) == 0


# --- point 5: a missing key never freezes a notebook -----------------------------------------
def test_5_missing_key_fails_at_once_and_names_set_key(home, monkeypatch):
    import getpass

    def no_prompt(*a, **k):
        raise AssertionError("videonb opened a prompt on its own")

    monkeypatch.setattr(getpass, "getpass", no_prompt)
    monkeypatch.setattr(keys, "_colab_secret", lambda names: None)
    with pytest.raises(errors.MissingKeyError, match=r"videonb\.set_key\('runway'\)") as info:
        videonb.generate("a kite", provider="runway", seconds=5, progress=False)
    assert "%videonb key runway" in str(info.value) and "RUNWAYML_API_SECRET" in str(info.value)
    with pytest.raises(errors.MissingKeyError, match="GEMINI_API_KEY"):
        videonb.analyze(_tiny_clip(home), provider="gemini")


def _tiny_clip(home) -> Path:
    p = home / "tiny.mp4"
    p.write_bytes(MP4)
    return p


def test_5_set_key_prompts_only_when_called(runway, home, monkeypatch):
    import getpass

    asked = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": asked.append(prompt) or KEY + "\n")
    info = videonb.set_key("runway")
    assert asked and "hidden" in asked[0] and info.source == "set_key" and KEY not in repr(info)
    v = videonb.generate("a kite", provider="runway", base_url=runway.base_url, seconds=5,
                         poll_interval=0.02, progress=False)
    assert v.info.frame_count > 0
    with pytest.raises(errors.MissingKeyError, match="takes no key"):
        videonb.set_key("local", "x")


# =============================================================================================
# Paid results
# =============================================================================================
def _fetch(url, dest, **kw):
    from videonb.media.fetch import fetch

    return fetch(url, dest, **kw)


def test_6_redirects_drop_credentials_across_origins(tmp_path):
    with Loopback(lambda s: Reply(200, MP4, {"Content-Type": "video/mp4"})) as cdn:
        def hop(seen):
            if seen.path == "/same":
                return Reply(302, b"", {"Location": "/file.mp4"})
            if seen.path == "/file.mp4":
                return Reply(302, b"", {"Location": f"{cdn.url}/real.mp4"})
            return Reply(404)

        with Loopback(hop) as api:
            got = _fetch(f"{api.url}/same", tmp_path / "o.mp4",
                         headers={"Authorization": "Bearer " + KEY, "X-Trace": "1"})
        assert got.redirects == 2 and got.path.read_bytes() == MP4
        assert api.seen[1].headers.get("authorization") == "Bearer " + KEY  # same origin
        assert "authorization" not in cdn.seen[0].headers                   # other origin
        assert cdn.seen[0].headers.get("x-trace") == "1"


def test_6_redirect_loops_and_schemes_are_refused(tmp_path):
    with Loopback(lambda s: Reply(302, b"", {"Location": s.path + "x"})) as loop:
        with pytest.raises(errors.DownloadError, match="more than 5 redirects"):
            _fetch(loop.url + "/a", tmp_path / "o.mp4")
    for url in ("file:///etc/passwd", "ftp://example.invalid/a.mp4"):
        with pytest.raises(errors.DownloadError, match="only http"):
            _fetch(url, tmp_path / "o.mp4")
    with Loopback(lambda s: Reply(302, b"", {"Location": "file:///etc/passwd"})) as bad:
        with pytest.raises(errors.DownloadError, match="only http"):
            _fetch(bad.url + "/a", tmp_path / "o.mp4")
    with Loopback(lambda s: Reply(302, b"")) as empty:
        with pytest.raises(errors.DownloadError, match="without a Location"):
            _fetch(empty.url + "/a", tmp_path / "o.mp4")
    assert not list(tmp_path.glob("*.part"))


def test_6_429_and_5xx_are_retried_within_bounds(tmp_path):
    answers = iter([Reply(429, b"", {"Retry-After": "0"}), Reply(503, b"", {"Retry-After": "0"}),
                    Reply(200, MP4, {"Content-Type": "video/mp4"})])
    with Loopback(lambda s: next(answers)) as cdn:
        assert _fetch(cdn.url + "/a", tmp_path / "o.mp4").size == len(MP4)
        assert len(cdn.seen) == 3
    with Loopback(lambda s: Reply(500, b"", {"Retry-After": "0"})) as down:
        with pytest.raises(errors.DownloadError, match="HTTP 500 after 4 retries") as info:
            _fetch(down.url + "/a", tmp_path / "o.mp4")
        assert len(down.seen) == 5 and info.value.retryable
    with Loopback(lambda s: Reply(429, b"", {"Retry-After": "3600"})) as busy:
        t0 = time.monotonic()
        with pytest.raises(errors.DownloadError, match="time limit"):
            _fetch(busy.url + "/a", tmp_path / "o.mp4", total_timeout=30)
        assert time.monotonic() - t0 < 10 and len(busy.seen) == 1


def test_6_byte_cap_before_and_while_streaming(tmp_path):
    big = {"Content-Type": "video/mp4", "Content-Length": str(50 << 20)}
    with Loopback(lambda s: Reply(200, iter([MP4]), big)) as lying:
        with pytest.raises(errors.DownloadError, match="announced, above"):
            _fetch(lying.url + "/a", tmp_path / "o.mp4", max_bytes=1 << 20)
    with Loopback(lambda s: Reply(200, endless(), {"Content-Type": "video/mp4"})) as endless_cdn:
        with pytest.raises(errors.DownloadError, match="more than 1.0 MB arrived"):
            _fetch(endless_cdn.url + "/a", tmp_path / "o.mp4", max_bytes=1_000_000)
    short = {"Content-Type": "video/mp4", "Content-Length": str(len(MP4) + 5000)}
    with Loopback(lambda s: Reply(200, MP4, short)) as liar:
        with pytest.raises(errors.DownloadError, match=f"stopped at {len(MP4)} of"):
            _fetch(liar.url + "/a", tmp_path / "o.mp4")
    assert not list(tmp_path.iterdir())


def test_6_a_stalled_cdn_is_bounded(tmp_path):
    with Stall() as stall:
        t0 = time.monotonic()
        with pytest.raises(errors.DownloadError, match="connection failed"):
            _fetch(stall.url + "/a", tmp_path / "o.mp4", read_timeout=0.3, transport_retries=1)
        assert time.monotonic() - t0 < 10


def test_6_7_a_429ing_cdn_never_loses_the_paid_result(runway, home):
    """Points 6 and 7: CDN 429s past the retries end in a DownloadError naming the job and
    resume(); the job stays billed and resumable, and resume() then delivers it."""
    runway.inject("429", match="/outputs/", times=None, retry_after=0)
    with pytest.raises(errors.DownloadError, match=r"videonb\.resume\('vnb_") as info:
        _gen(runway, "a kite behind a flaky CDN")
    rec = videonb.jobs()[0]
    assert rec.id in str(info.value)
    assert rec.status == "downloading" and rec.cost == pytest.approx(0.6)
    assert rec.error_code == "download_failed"
    runway.clear_faults()
    _fresh_process()
    (video,) = videonb.resume(rec.id, api_key=KEY, base_url=runway.base_url, poll_interval=0.02)
    assert isinstance(video, videonb.Video) and video.info.frame_count > 0
    done = videonb.jobs()[0]
    assert done.status == "succeeded" and done.error_code is None and done.error_message is None
    assert len(_posts(runway)) == 1


def test_7_an_expired_url_is_polled_again_once_then_reported(runway, home):
    runway.inject("expired_output", times=None)
    with pytest.raises(errors.OutputExpiredError):
        _gen(runway, "a kite too late")
    rec = videonb.jobs()[0]
    assert rec.status == "failed" and rec.error_code == "OUTPUT_EXPIRED"
    assert rec.cost == pytest.approx(0.6)             # billed: it counts toward the budget
    assert ledger_mod.ledger().spent() >= 0.6
    assert len(runway.requests.filter(path="/outputs/")) == 2


@pytest.mark.parametrize("output", [
    Reply(302, b""),
    Reply(200, b"<html><body>Your session expired</body></html>", {"Content-Type": "text/html"}),
    Reply(200, b"\0" * 5000, {"Content-Type": "video/mp4"}),
], ids=["empty-302", "html", "not-a-video"])
def test_8_junk_outputs_are_never_stored_or_cached(home, output):
    with FakeRunway([SUCCEEDED], output=lambda seen: output) as fake:
        with pytest.raises(errors.DownloadError, match="resume"):
            videonb.generate("a kite", provider="runway", base_url=fake.url, seconds=5, **FAST)
        rec = videonb.jobs()[0]
        assert rec.status == "downloading" and rec.output_path is None
        led = ledger_mod.ledger()
        assert not [p for p in led.store.rglob("*") if p.is_file()]
        # fixed at the CDN: the same request attaches to the billed job, no second submit
        fake.output = lambda seen: Reply(200, MP4, {"Content-Type": "video/mp4"})
        v = videonb.generate("a kite", provider="runway", base_url=fake.url, seconds=5, **FAST)
        assert v.info.frame_count > 0 and len(fake.posts()) == 1


def test_8_a_captive_portal_is_not_cached_for_a_url(home, _cache_dir):
    portal = [True]

    def answer(seen):
        if portal[0]:
            return Reply(200, b"<!DOCTYPE html><html>Accept the terms</html>",
                         {"Content-Type": "text/html"})
        return Reply(200, MP4, {"Content-Type": "video/mp4"})

    with Loopback(answer) as site:
        url = f"{site.url}/clips/cat.mp4"
        with pytest.raises(errors.DownloadError, match="web page, not a video") as info:
            videonb.Video(url, progress=lambda d, t: None)
        assert url in str(info.value) and str(_cache_dir) not in str(info.value)
        portal[0] = False
        assert videonb.Video(url, progress=lambda d, t: None).info.frame_count > 0


# --- points 9 and 10: one submit, and a budget that holds, under concurrency ----------------
def test_9_identical_concurrent_requests_are_one_submit(runway, home):
    async def three():
        return await asyncio.gather(*(videonb.generate_async(
            "the same kite", provider="runway", base_url=runway.base_url, seconds=5,
            api_key=KEY, poll_interval=0.02) for _ in range(3)))

    videos = asyncio.run(three())
    assert len({v.path for v in videos}) == 1 and len(_posts(runway)) == 1
    a = videonb.generate("another kite", provider="runway", base_url=runway.base_url,
                         seconds=5, wait=False, **FAST)
    b = videonb.generate("another kite", provider="runway", base_url=runway.base_url,
                         seconds=5, wait=False, **FAST)
    assert a.id == b.id
    assert a.result(timeout=20).path == b.result(timeout=20).path
    assert len(_posts(runway)) == 2


_CHILD = textwrap.dedent("""
    import sys, videonb
    v = videonb.generate("one kite, two kernels", provider="runway", base_url=sys.argv[1],
                         seconds=5, api_key=sys.argv[2], poll_interval=0.02, progress=False)
    print(v.provenance["job_id"])
""")


def test_9_two_kernels_on_one_ledger_make_one_submit(home):
    with RunwayEmulator(expected_key=KEY, job_seconds=1.0, concurrency=None) as emu:
        env = {**os.environ, "VIDEONB_HOME": os.environ["VIDEONB_HOME"]}
        procs = [subprocess.Popen([sys.executable, "-c", _CHILD, emu.base_url, KEY], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        assert outs[0][0].strip() == outs[1][0].strip()      # the same job
        assert len(_posts(emu)) == 1


_OPENER = textwrap.dedent("""
    import sys
    from videonb.providers.ledger import Ledger
    Ledger(sys.argv[1]).create(provider="runway", model="m", operation="text_to_video",
                               request_json="{}", cache_key=sys.argv[2], prompt_hash=None,
                               cost_estimate=None)
""")


def test_9_kernels_opening_a_new_ledger_at_once_all_get_it(tmp_path):
    # CI once saw one of two kernels fail with "locked" while both created a fresh ledger:
    # SQLite answers a lock upgrade that could deadlock at once instead of waiting.
    for round_ in range(4):
        root = tmp_path / f"ledger{round_}"
        procs = [subprocess.Popen([sys.executable, "-c", _OPENER, str(root), f"k{i}"],
                                  stderr=subprocess.PIPE, text=True) for i in range(6)]
        errs = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0] * 6, errs
        assert len(ledger_mod.Ledger(root).all(limit=100)) == 6


def test_10_the_budget_holds_under_concurrency(runway, home, monkeypatch):
    monkeypatch.setattr(videonb.config, "budget_usd", 1.0)

    async def four():
        return await asyncio.gather(*(videonb.generate_async(
            f"kite {i}", provider="runway", base_url=runway.base_url, seconds=5, api_key=KEY,
            poll_interval=0.02) for i in range(4)), return_exceptions=True)

    results = asyncio.run(four())
    ok = [r for r in results if isinstance(r, videonb.Video)]
    refused = [r for r in results if isinstance(r, errors.BudgetExceededError)]
    assert len(ok) == 1 and len(refused) == 3, results
    assert len(_posts(runway)) == 1
    assert ledger_mod.ledger().spent() == pytest.approx(0.6)


# --- point 11: resume() leaves live jobs alone -----------------------------------------------
def test_11_resume_leaves_a_job_being_submitted_alone(runway, home):
    runway.inject("slow", match="POST /v1/text_to_video", seconds=0.5)
    job = videonb.generate("a slow submit", provider="runway", base_url=runway.base_url,
                           seconds=5, wait=False, **FAST)
    deadline = time.monotonic() + 10
    while videonb.jobs()[0].status != "submitting" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert videonb.jobs()[0].status == "submitting"
    (left,) = videonb.resume(api_key=KEY, base_url=runway.base_url)
    assert isinstance(left, videonb.Job) and left.id == job.id
    assert job.result(timeout=30).info.frame_count > 0
    rec = videonb.jobs()[0]
    assert rec.status == "succeeded" and rec.error_code is None
    assert len(_posts(runway)) == 1


_LIVE = textwrap.dedent("""
    import sys, videonb
    job = videonb.generate("driven by the other kernel", provider="runway", base_url=sys.argv[1],
                           seconds=5, api_key=sys.argv[2], poll_interval=0.05, wait=False,
                           progress=False)
    print(job.id, flush=True)
    job.result(timeout=60)
    print("done", flush=True)
""")


def test_11_resume_leaves_another_kernels_job_alone(home):
    with RunwayEmulator(expected_key=KEY, job_seconds=1.5, concurrency=None) as emu:
        proc = subprocess.Popen([sys.executable, "-c", _LIVE, emu.base_url, KEY],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        jid = proc.stdout.readline().strip()
        assert jid.startswith("vnb_"), proc.stderr.read()
        (left,) = videonb.resume(api_key=KEY, base_url=emu.base_url)
        assert isinstance(left, videonb.Job) and left.id == jid
        assert proc.stdout.readline().strip() == "done"
        proc.wait(timeout=30)
        assert ledger_mod.ledger().get(jid).status == "succeeded"
        assert len(_posts(emu)) == 1


# =============================================================================================
# Providers
# =============================================================================================
def test_12_a_silent_server_is_bounded_everywhere(home, cut_clips, monkeypatch):
    pytest.importorskip("google.genai")
    monkeypatch.setattr(videonb.config, "http_timeout", 0.5)
    with Stall() as stall:
        t0 = time.monotonic()
        with pytest.raises(errors.ProviderHTTPError, match="timeout"):
            videonb.analyze(cut_clips[0].path, provider="gemini", base_url=stall.url,
                            api_key=KEY, timeout=0.5)
        with pytest.raises(errors.ProviderHTTPError):
            videonb.analyze(cut_clips[0].path, provider="openai", base_url=stall.url + "/v1",
                            api_key=KEY, frames=2)
        with pytest.raises(errors.ProviderHTTPError):
            videonb.generate("a kite", provider="runway", base_url=stall.url, seconds=5, **FAST)
        assert time.monotonic() - t0 < 60
    assert videonb.jobs()[0].status == "failed"          # the submit never stays 'submitting'


def test_13_openai_refusal_is_moderation_without_repair(home, cut_clips):
    with OpenAIEmulator(expected_key=KEY) as emu:
        emu.inject("moderation")
        with pytest.raises(errors.ModerationError, match="refused"):
            videonb.analyze(cut_clips[0].path, provider="openai", base_url=emu.base_url + "/v1",
                            api_key=KEY, frames=4)
        assert len(emu.requests.filter(method="POST", path="/v1/chat/completions")) == 1


@pytest.mark.parametrize("stage", ["prompt", "output"])
def test_13_gemini_block_is_moderation_without_repair(home, cut_clips, stage):
    pytest.importorskip("google.genai")
    with GeminiEmulator(expected_key=KEY) as emu:
        emu.inject("moderation", **({"stage": "output"} if stage == "output" else {}))
        with pytest.raises(errors.ModerationError):
            videonb.analyze(cut_clips[0].path, provider="gemini", base_url=emu.base_url,
                            api_key=KEY)
        assert len(emu.requests.filter(path="generateContent")) == 1


def test_14_gemini_file_gone_is_uploaded_again(home, cut_clips):
    pytest.importorskip("google.genai")
    with GeminiEmulator(expected_key=KEY, file_processing_seconds=0.1) as emu:
        opts = dict(provider="gemini", base_url=emu.base_url, api_key=KEY, inline_limit=1,
                    file_poll=0.02)
        videonb.analyze(cut_clips[0].path, **opts)
        one = len(emu.requests.filter(method="POST", path="/upload/"))
        emu.requests.clear()
        emu.inject("expired_output")               # the next file lookup: 403, the file is gone
        a = videonb.analyze(cut_clips[0].path, **opts)
        assert a.summary
        assert len(emu.requests.filter(method="POST", path="/upload/")) == 2 * one


def test_15_runway_daily_cap_fails_fast(home):
    with RunwayEmulator(expected_key=KEY, job_seconds=0.1, daily_limit=1) as emu:
        _gen(emu, "the day's one kite")
        with pytest.raises(errors.RateLimitError, match="daily generation limit"):
            _gen(emu, "one kite too many")
        assert len(emu.requests.filter(method="POST")) == 2          # no retries


def test_16_gateway_model_deprecated_is_retired(home):
    gone = json.dumps({"error": {"message": "The model `sora-2` has been deprecated.",
                                 "type": "invalid_request_error", "code": "model_not_found"}})
    with Loopback(lambda s: Reply(404, gone.encode(), {"Content-Type": "application/json"})) as gw:
        with pytest.raises(errors.ProviderRetiredError, match="deprecated"):
            videonb.generate("a boat", provider="openai", base_url=gw.url + "/v1", seconds=4,
                             **FAST)


def test_17_runway_inline_limit_is_on_the_encoded_uri(runway, home, tmp_path):
    # 4.1 MiB of PNG is a 5.5 MiB data URI: over Runway's inline limit, so it goes through the
    # upload API (POST /v1/uploads, then the storage form) and the task names its runway:// URI.
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x05\0\0\0\x02\xd0"
                    + os.urandom(int(4.1 * 2**20)))
    v = videonb.image_to_video(big, "push in", provider="runway", model="gen4_turbo",
                               base_url=runway.base_url, seconds=5, ratio="1280:720", **FAST)
    assert v.info.frame_count > 0
    routes = [r.route for r in runway.requests if r.method == "POST"]
    assert routes == ["uploads.create_ephemeral", "uploads.storage", "image_to_video.create"]
    (submit,) = runway.requests.filter(method="POST", path="/v1/image_to_video")
    assert submit.body_size < 4096  # a runway:// URI, never the 5.5 MiB data URI
    assert "authorization" not in runway.requests.filter(path="/storage/")[0].headers
    # Over the upload limit (a sparse 201 MiB file): refused before any job exists.
    huge = tmp_path / "huge.png"
    with huge.open("wb") as f:
        f.write(big.read_bytes()[:64])
        f.truncate(201 * 2**20)
    jobs_before = len(videonb.jobs())
    posts_before = len(runway.requests.filter(method="POST"))
    with pytest.raises(errors.InvalidOptionError, match="upload API"):
        videonb.image_to_video(huge, "push in", provider="runway", model="gen4_turbo",
                               base_url=runway.base_url, seconds=5, ratio="1280:720", **FAST)
    assert len(runway.requests.filter(method="POST")) == posts_before
    assert len(videonb.jobs()) == jobs_before


# =============================================================================================
# Local state
# =============================================================================================
@pytest.mark.parametrize("content", ["garbage", "foreign", "foreign-jobs"])
def test_18_an_unusable_ledger_is_a_clear_error_and_local_work_goes_on(home, content):
    root = Path(os.environ["VIDEONB_HOME"])
    root.mkdir(parents=True, exist_ok=True)
    path = root / "ledger.sqlite3"
    if content == "garbage":
        path.write_bytes(b"this is not a database" * 100)
    else:
        with sqlite3.connect(path) as c:
            c.execute("CREATE TABLE jobs (id TEXT, name TEXT)" if content == "foreign-jobs"
                      else "CREATE TABLE users (id INTEGER, email TEXT)")
    _fresh_process()
    with pytest.raises(errors.LedgerError, match="ledger.sqlite3") as info:
        videonb.jobs()
    assert "Move it aside" in str(info.value)
    with pytest.raises(errors.LedgerError):
        videonb.generate("a kite", provider="runway", seconds=5, base_url="http://127.0.0.1:9",
                         **FAST)
    with pytest.warns(UserWarning, match="Local rendering goes on"):
        v = videonb.generate("a paper boat", provider="local", seconds=1, progress=False)
    assert v.info.frame_count > 0


_FULL_DISK = textwrap.dedent("""
    import resource, signal, sys, videonb
    from videonb import errors
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)     # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
    try:
        videonb.Video(sys.argv[1] + "/big.mp4", progress=lambda d, t: None)
    except errors.VideonbError as exc:
        print(type(exc).__name__, "|", exc)
""")


def test_19_a_full_disk_names_the_cache_variable_and_leaves_nothing(home, tmp_path):
    big = b"\0" * 600_000
    with Loopback(lambda s: Reply(200, MP4 + big, {"Content-Type": "video/mp4"})) as site:
        cache = tmp_path / "cache"
        out = subprocess.run([sys.executable, "-c", _FULL_DISK, site.url], capture_output=True,
                             text=True, timeout=60,
                             env={**os.environ, "VIDEONB_CACHE_DIR": str(cache)})
    assert "StorageError" in out.stdout and "VIDEONB_CACHE_DIR" in out.stdout, out
    assert not [p for p in cache.rglob("*") if p.is_file()]


def test_19_an_unwritable_cache_folder(home, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("VIDEONB_CACHE_DIR", str(blocker / "cache"))
    from videonb.media.encode import cache_dir

    with pytest.raises(errors.StorageError, match="VIDEONB_CACHE_DIR"):
        cache_dir("downloads", fallback=False)
    with pytest.warns(UserWarning, match="VIDEONB_CACHE_DIR"):
        assert cache_dir("previews").is_dir()       # display caches go on in a temp folder


def test_19_a_full_disk_during_an_output_download_keeps_the_job(runway, home, monkeypatch):
    """The store cannot be written: the error names VIDEONB_HOME, nothing half-written stays,
    and the billed job resumes once there is room."""
    import errno

    from videonb.media import fetch as fetch_mod

    real_open = open

    def full_disk_open(path, mode="r", *a, **k):
        if "w" in mode and str(path).endswith(".part"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, mode, *a, **k)

    with monkeypatch.context() as patch:
        patch.setattr(fetch_mod, "open", full_disk_open, raising=False)
        with pytest.raises(errors.StorageError, match="VIDEONB_HOME") as info:
            _gen(runway, "a kite on a full disk")
    assert "disk is full" in str(info.value) and "resume" in str(info.value)
    rec = videonb.jobs()[0]
    assert rec.status == "downloading"
    assert not list(ledger_mod.ledger().store.rglob("*.part"))
    (video,) = videonb.resume(rec.id, api_key=KEY, base_url=runway.base_url, poll_interval=0.02)
    assert isinstance(video, videonb.Video)


def test_5_magics_never_wait_for_a_key(home, monkeypatch, capsys):
    """Point 5, through the magics: %%videogen with no key fails at once, naming %videonb key;
    %videonb key asks (hidden) only because the user ran it."""
    import getpass

    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setattr(keys, "_colab_secret", lambda names: None)
    asked = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": asked.append(prompt) or KEY)
    ip = InteractiveShell.instance()
    ip.extension_manager.load_extension("videonb")
    assert ip.run_cell_magic("videogen", "runway --seconds 5", "a kite") is None
    err = capsys.readouterr().err
    assert "MissingKeyError" in err and "%videonb key runway" in err and not asked
    ip.run_line_magic("videonb", "key runway")
    out = capsys.readouterr().out
    assert len(asked) == 1 and "key is set" in out and KEY not in out
    assert keys.find_key(["RUNWAYML_API_SECRET"], provider="runway").source == "set_key"


def test_4_gemini_html_answer_is_a_provider_error(home, cut_clips):
    pytest.importorskip("google.genai")
    page = Reply(200, b"<!doctype html><html>Log in to the campus network</html>",
                 {"Content-Type": "text/html"})
    with Loopback(lambda seen: page) as portal:
        with pytest.raises(errors.ProviderHTTPError, match="could not be read|proxy"):
            videonb.analyze(cut_clips[0].path, provider="gemini", base_url=portal.url,
                            api_key=KEY)
