"""The provider emulators (videonb.testing.emulators) over raw HTTP (http.client only).

Every test runs inside ``loopback_only()``: a connection or DNS lookup for anything but
loopback fails the test.  Job timing is driven by the simulated clock
(``emu.clock.advance``) wherever possible, so nothing here sleeps for long; the few
real-time waits poll with a deadline.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import time
import urllib.parse
from typing import Any

import pytest

from videonb.testing.emulators import (
    GeminiEmulator,
    NetworkBlocked,
    OpenAIEmulator,
    RunwayEmulator,
    _answers,
    _media,
    _multipart,
    loopback_only,
    synthetic_mp4,
)
from videonb.testing.emulators.base import Clock, Job, JobScheduler

RUNWAY_HEADERS = {"Authorization": "Bearer key_test", "X-Runway-Version": "2024-11-06"}
OPENAI_HEADERS = {"Authorization": "Bearer sk-test"}
GEMINI_HEADERS = {"x-goog-api-key": "gm-test"}


@pytest.fixture(autouse=True)
def _no_network():
    with loopback_only() as connections:
        yield connections
    assert all(host in ("127.0.0.1", "::1", "localhost") for host, _ in connections)


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.body[:200]!r}>"


def call(
    base: str,
    method: str,
    path: str,
    *,
    body: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> Reply:
    """One request on a fresh connection; JSON *body* or raw *data*."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    h = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def poll(fn, until, *, deadline: float = 5.0, interval: float = 0.02):
    """Call fn() until until(result) or the deadline (then fail)."""
    end = time.monotonic() + deadline
    while True:
        result = fn()
        if until(result):
            return result
        if time.monotonic() > end:
            raise AssertionError(f"condition not met within {deadline} s; last: {result!r}")
        time.sleep(interval)


def probe_mp4(data: bytes) -> tuple[str, int, int, float]:
    import av

    with av.open(io.BytesIO(data)) as c:
        s = c.streams.video[0]
        return s.codec_context.name, s.width, s.height, c.duration / 1e6


def png_data_uri(w: int, h: int) -> str:
    return "data:image/png;base64," + base64.b64encode(_media.solid_png(w, h)).decode()


# ======================================================================================
# Base machinery
# ======================================================================================
def test_lifecycle_base_url_and_stop():
    emu = OpenAIEmulator()
    with pytest.raises(RuntimeError):
        _ = emu.base_url
    url = emu.start()
    assert url.startswith("http://127.0.0.1:") and url == emu.base_url and emu.running
    assert call(url, "GET", "/v1/models", headers=OPENAI_HEADERS).status == 200
    emu.stop()
    assert not emu.running
    with pytest.raises(OSError):
        call(url, "GET", "/v1/models", headers=OPENAI_HEADERS, timeout=2)
    emu.stop()  # idempotent


def test_only_loopback_hosts():
    with pytest.raises(ValueError):
        RunwayEmulator(host="0.0.0.0")


def test_loopback_only_blocks_other_hosts():
    import socket

    with pytest.raises(NetworkBlocked):
        socket.create_connection(("example.com", 443), timeout=1)
    s = socket.socket()
    try:
        with pytest.raises(NetworkBlocked):
            s.connect(("93.184.215.14", 80))
    finally:
        s.close()


def test_request_log_redacts_credentials():
    with GeminiEmulator() as emu:
        call(emu.base_url, "GET", "/v1beta/files?key=secret-1")
        call(
            emu.base_url,
            "GET",
            "/v1beta/files",
            headers={"x-goog-api-key": "secret-2", "Authorization": "Bearer s3"},
        )
        a, b = emu.requests
        assert a.method == "GET" and a.path == "/v1beta/files" and a.query["key"] == ["REDACTED"]
        assert (
            b.headers["x-goog-api-key"] == "REDACTED" and b.headers["authorization"] == "REDACTED"
        )
        assert a.status == b.status == 200 and a.body_size == 0
        assert "secret" not in repr(list(emu.requests)) + repr([r.headers for r in emu.requests])
        assert len(emu.requests.filter(method="GET", path="/files")) == 2
        emu.requests.clear()
        assert len(emu.requests) == 0


def test_unknown_fault_is_rejected():
    emu = RunwayEmulator()
    with pytest.raises(ValueError):
        emu.inject("418")
    with pytest.raises(ValueError):
        emu.inject("500", times=0)
    with pytest.raises(ValueError):
        OpenAIEmulator().inject("SAFETY.INPUT.TEXT")  # a Runway code, not an OpenAI one
    with pytest.raises(ValueError):
        emu.inject("malformed_json")  # Runway has no model-text endpoint
    with pytest.raises(ValueError):
        GeminiEmulator().inject("video_generation_failed")


# The cheapest authenticated GET of each provider, and how its error bodies look.
PROVIDERS = {
    "runway": (RunwayEmulator, "/v1/organization", RUNWAY_HEADERS),
    "openai": (OpenAIEmulator, "/v1/models", OPENAI_HEADERS),
    "gemini": (GeminiEmulator, "/v1beta/files", GEMINI_HEADERS),
}


def _error_shape(provider: str, reply: Reply) -> None:
    body = reply.json()
    if provider == "runway":
        assert isinstance(body["error"], str) and body["error"]
    elif provider == "openai":
        assert set(body["error"]) == {"message", "type", "param", "code"}
    else:
        assert body["error"]["code"] == reply.status and body["error"]["status"].isupper()


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", ["401", "429", "500", "503"])
def test_http_faults_use_provider_error_bodies(provider, status):
    cls, path, headers = PROVIDERS[provider]
    with cls() as emu:
        fault = emu.inject(status, retry_after=2)
        r = call(emu.base_url, "GET", path, headers=headers)
        assert r.status == int(status)
        _error_shape(provider, r)
        assert r.headers.get("retry-after") == "2"
        assert call(emu.base_url, "GET", path, headers=headers).status == 200  # times=1
        assert fault.hits == 1 and not fault.active and emu.faults == []
        assert emu.requests[0].fault == status and emu.requests[0].status == int(status)
    if provider == "openai" and status == "429":
        assert r.json()["error"]["code"] == "rate_limit_exceeded"
    if provider == "gemini" and status == "429":
        assert r.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
        assert r.json()["error"]["details"][0]["retryDelay"] == "2s"


def test_429_has_default_retry_after():
    with OpenAIEmulator() as emu:
        emu.inject("429")
        assert (
            call(emu.base_url, "GET", "/v1/models", headers=OPENAI_HEADERS).headers["retry-after"]
            == "1"
        )


def test_fault_times_and_match():
    with RunwayEmulator() as emu:
        emu.inject("500", times=2, match="GET /v1/organization")
        assert (
            call(emu.base_url, "POST", "/v1/text_to_video", body={}, headers=RUNWAY_HEADERS).status
            == 400
        )
        assert [
            call(emu.base_url, "GET", "/v1/organization", headers=RUNWAY_HEADERS).status
            for _ in range(3)
        ] == [500, 500, 200]
        forever = emu.inject("503", times=None, match=lambda method, path: method == "DELETE")
        for _ in range(3):
            assert call(emu.base_url, "DELETE", "/v1/tasks/x", headers=RUNWAY_HEADERS).status == 503
        assert forever.active and forever.hits == 3
        emu.clear_faults()
        assert call(emu.base_url, "DELETE", "/v1/tasks/x", headers=RUNWAY_HEADERS).status == 404


def test_reset_fault_drops_the_connection():
    with OpenAIEmulator() as emu:
        emu.inject("reset")
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            call(emu.base_url, "GET", "/v1/models", headers=OPENAI_HEADERS)
        assert call(emu.base_url, "GET", "/v1/models", headers=OPENAI_HEADERS).status == 200
        first = emu.requests[0]
        assert first.fault == "reset" and first.status is None


def test_slow_fault_delays_then_answers():
    with GeminiEmulator() as emu:
        emu.inject("slow", seconds=0.3, match="/files")
        t = time.monotonic()
        r = call(emu.base_url, "GET", "/v1beta/files", headers=GEMINI_HEADERS)
        assert r.status == 200 and time.monotonic() - t >= 0.3
        assert emu.requests[0].fault == "slow"


def test_unknown_route_and_method():
    with OpenAIEmulator() as emu:
        r = call(emu.base_url, "GET", "/v1/nope", headers=OPENAI_HEADERS)
        assert r.status == 404 and r.json()["error"]["message"] == "Invalid URL (GET /v1/nope)"
        assert call(emu.base_url, "PUT", "/v1/models", headers=OPENAI_HEADERS).status == 405
        assert emu.server_errors == []


def test_job_scheduler_throttles_and_cascades():
    clock = Clock()
    sched = JobScheduler(clock, concurrency=1)
    t0 = clock.now()
    a = sched.add(Job("a", t0, 1.0, 4.0))
    b = sched.add(Job("b", t0, 1.0, 4.0))
    assert (a.state(clock.now()), b.state(clock.now())) == ("pending", "pending")
    clock.advance(2)
    sched.tick()
    assert (a.state(clock.now()), b.state(clock.now())) == ("running", "throttled")
    clock.advance(10)  # a ends at t0+5, b runs 5..9: both done in one tick
    sched.tick()
    assert (a.state(clock.now()), b.state(clock.now())) == ("succeeded", "succeeded")
    assert b.started == pytest.approx(a.ended)
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_synthetic_mp4_is_real_h264_and_cached():
    data = synthetic_mp4(1280, 720)
    assert synthetic_mp4(1280, 720) is data
    codec, w, h, dur = probe_mp4(data)
    assert (codec, w, h) == ("h264", 320, 180) and dur == pytest.approx(1.0, abs=0.1)
    assert probe_mp4(synthetic_mp4(720, 1280, seconds=2))[1:3] == (180, 320)
    assert _media.scaled_size(1584, 672) == (320, 136)


def test_multipart_roundtrip():
    body, ctype = _multipart.encode(
        {
            "prompt": "hi ü",
            "input_reference[image_url]": "data:x",
            "f": ("a.png", b"\x89PNG", "image/png"),
        }
    )
    fields = _multipart.to_fields(_multipart.parse(body, ctype))
    assert fields["prompt"] == "hi ü" and fields["input_reference"] == {"image_url": "data:x"}
    assert fields["f"].filename == "a.png" and fields["f"].data == b"\x89PNG"
    with pytest.raises(_multipart.MultipartError):
        _multipart.parse(b"garbage", "multipart/form-data; boundary=zzz")


def test_schema_answers_follow_json_schema_and_gemini_schema():
    ctx = _answers.AnswerContext(question="Where is the box?", videos=1, video_seconds=90)
    json_schema = {
        "$defs": {
            "M": {
                "type": "object",
                "properties": {
                    "start": {"type": "string"},
                    "end": {"type": "string"},
                    "label": {"type": "string"},
                    "score": {"type": "number", "maximum": 1},
                },
            }
        },
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "moments": {"type": "array", "items": {"$ref": "#/$defs/M"}, "minItems": 3},
            "answer": {"anyOf": [{"type": "null"}, {"type": "string"}]},
            "kind": {"enum": ["a", "b"]},
        },
    }
    out = _answers.from_schema(json_schema, ctx)
    assert out["answer"] == "Emulated answer to: Where is the box?" and out["kind"] == "a"
    assert (
        len(out["moments"]) == 3
        and out["moments"][0]["start"] == "00:00"
        and out["moments"][1]["end"] == "01:30"
    )
    assert out["moments"][0]["score"] <= 1
    gemini_schema = {
        "type": "OBJECT",
        "properties": {"answer": {"type": "STRING"}, "n": {"type": "INTEGER"}},
        "property_ordering": ["n", "answer"],
    }
    assert list(_answers.from_schema(gemini_schema, ctx)) == ["n", "answer"]
    broken = _answers.break_json(json.dumps(out))
    with pytest.raises(ValueError):
        json.loads(broken)


# ======================================================================================
# Runway
# ======================================================================================
def rw(emu, method, path, body=None, headers=None, **kw):
    return call(
        emu.base_url, method, path, body=body, headers={**RUNWAY_HEADERS, **(headers or {})}, **kw
    )


def rw_upload(emu, filename: str, data: bytes) -> str:
    """An ephemeral upload over raw HTTP, as runwayml's uploads.create_ephemeral does it."""
    slot = rw(emu, "POST", "/v1/uploads", {"filename": filename, "type": "ephemeral"}).json()
    body, ctype = _multipart.encode({**slot["fields"], "file": (filename, data, "image/png")})
    r = call(emu.base_url, "POST", slot["uploadUrl"][len(emu.base_url) :], data=body,
             headers={"Content-Type": ctype})
    assert r.status == 204, r
    return slot["runwayUri"]


T2V = {
    "model": "gen4.5",
    "promptText": "a red kite over the sea",
    "ratio": "1280:720",
    "duration": 5,
}


def test_runway_status_progression_and_output():
    with RunwayEmulator(job_seconds=10) as emu:
        r = rw(emu, "POST", "/v1/text_to_video", T2V)
        assert r.status == 200 and set(r.json()) == {"id", "estimatedCost"}
        tid = r.json()["id"]
        task = rw(emu, "GET", f"/v1/tasks/{tid}").json()
        assert (
            task["status"] == "PENDING"
            and task["createdAt"].endswith("Z")
            and task["estimatedCost"] == {"credits": 60}
        )
        emu.clock.advance(2)  # pending phase is the first fifth
        task = rw(emu, "GET", f"/v1/tasks/{tid}").json()
        assert task["status"] == "RUNNING" and 0 <= task["progress"] < 0.2
        emu.clock.advance(4)
        task = rw(emu, "GET", f"/v1/tasks/{tid}").json()
        assert task["status"] == "RUNNING" and 0.4 < task["progress"] < 0.6
        emu.clock.advance(4.1)
        task = rw(emu, "GET", f"/v1/tasks/{tid}").json()
        assert task["status"] == "SUCCEEDED" and task["cost"] == {"credits": 60}
        (url,) = task["output"]
        assert url.startswith(emu.base_url + f"/outputs/{tid}.mp4?exp=")
        out = call(emu.base_url, "GET", url[len(emu.base_url) :])  # no auth: a signed URL
        assert out.status == 200 and out.headers["content-type"] == "video/mp4"
        assert probe_mp4(out.body)[:3] == ("h264", 320, 180)
        part = call(emu.base_url, "GET", url[len(emu.base_url) :], headers={"Range": "bytes=0-99"})
        assert part.status == 206 and part.body == out.body[:100]
        assert call(emu.base_url, "HEAD", url[len(emu.base_url) :]).status == 200
        assert emu.server_errors == []


def test_runway_real_time_job():
    with RunwayEmulator(job_seconds=0.2) as emu:
        tid = rw(emu, "POST", "/v1/text_to_video", T2V).json()["id"]
        seen = set()
        poll(
            lambda: rw(emu, "GET", f"/v1/tasks/{tid}").json(),
            lambda t: seen.add(t["status"]) or t["status"] == "SUCCEEDED",
        )
        assert "SUCCEEDED" in seen


def test_runway_image_and_video_inputs():
    with RunwayEmulator(job_seconds=1) as emu:
        r = rw(
            emu,
            "POST",
            "/v1/image_to_video",
            {"model": "gen4_turbo", "promptImage": png_data_uri(64, 36), "ratio": "1584:672"},
        )
        assert r.status == 200, r
        r = rw(
            emu,
            "POST",
            "/v1/image_to_video",
            {
                "model": "veo3.1",
                "ratio": "720:1280",
                "duration": 6,
                "promptImage": [
                    {"uri": "https://example.com/a.png", "position": "first"},
                    {"uri": rw_upload(emu, "b.png", _media.solid_png(16, 16)), "position": "last"},
                ],
            },
        )
        assert r.status == 200, r
        emu.clock.advance(2)
        tid = r.json()["id"]
        task = rw(emu, "GET", f"/v1/tasks/{tid}").json()
        assert task["status"] == "SUCCEEDED"
        assert probe_mp4(call(emu.base_url, "GET", task["output"][0][len(emu.base_url) :]).body)[
            1:3
        ] == (180, 320)
        # An earlier output (served over http on loopback) is a valid videoUri, as Runway's CDN URLs are.
        r = rw(
            emu,
            "POST",
            "/v1/video_to_video",
            {"model": "aleph2", "videoUri": task["output"][0], "promptText": "make it snow"},
        )
        assert r.status == 200, r


@pytest.mark.parametrize(
    "endpoint, body, path, fragment",
    [
        ("text_to_video", {**T2V, "model": "gen3a_turbo"}, ["model"], "Invalid input"),
        ("text_to_video", {**T2V, "ratio": "1104:832"}, ["ratio"], '"1280:720"|"720:1280"'),
        ("text_to_video", {**T2V, "duration": 11}, ["duration"], "<=10"),
        ("text_to_video", {**T2V, "duration": "5"}, ["duration"], "expected int"),
        (
            "text_to_video",
            {k: v for k, v in T2V.items() if k != "duration"},
            ["duration"],
            "expected number",
        ),
        ("text_to_video", {**T2V, "promptText": "🎬" * 501}, ["promptText"], "<=1000"),
        ("text_to_video", {**T2V, "promptText": ""}, ["promptText"], ">=1"),
        (  # veo3 is not in runwayml 5.24's params any more: rejected like an unknown id
            "text_to_video",
            {"model": "veo3", "promptText": "x", "ratio": "1280:720", "duration": 8},
            ["model"],
            "Invalid input",
        ),
        (
            "text_to_video",
            {"model": "veo3.1", "promptText": "x", "ratio": "1280:720", "duration": 5},
            ["duration"],
            "8",
        ),
        (
            "image_to_video",
            {"model": "gen4.5", "promptText": "x", "ratio": "960:960", "duration": 5},
            ["promptImage"],
            "expected string",
        ),
        (
            "image_to_video",
            {"model": "gen4_turbo", "ratio": "960:960", "promptImage": "http://example.com/a.png"},
            ["promptImage"],
            "HTTPS",
        ),
        (
            "image_to_video",
            {"model": "gen4_turbo", "ratio": "960:960", "promptImage": "https://10.0.0.1/a.png"},
            ["promptImage"],
            "domain",
        ),
        (
            "image_to_video",
            {
                "model": "gen4_turbo",
                "ratio": "960:960",
                "promptImage": "data:image/gif;base64,R0lGODlh",
            },
            ["promptImage"],
            "Unsupported asset type",
        ),
        (
            "image_to_video",
            {"model": "gen4_turbo", "ratio": "960:960", "promptImage": "data:image/png;base64,!!!"},
            ["promptImage"],
            "base64",
        ),
        (
            "image_to_video",
            {
                "model": "gen4.5",
                "promptText": "x",
                "ratio": "960:960",
                "duration": 5,
                "promptImage": [{"uri": "https://example.com/a.png", "position": "last"}],
            },
            ["promptImage"],
            '"first"',
        ),
        ("video_to_video", {"model": "aleph2", "promptText": "x"}, ["videoUri"], "expected string"),
        (
            "video_to_video",
            {
                "model": "aleph2",
                "videoUri": "https://example.com/v.mp4",
                "targetAspectRatio": "5:4",
            },
            ["targetAspectRatio"],
            "16:9",
        ),
    ],
)
def test_runway_validation_errors(endpoint, body, path, fragment):
    with RunwayEmulator() as emu:
        r = rw(emu, "POST", f"/v1/{endpoint}", body)
        assert r.status == 400, r
        j = r.json()
        assert j["error"] == "Validation of body failed" and j["docUrl"].startswith(
            "https://docs.dev.runwayml.com"
        )
        issues = [i for i in j["issues"] if i["path"] == path]
        assert issues and any(fragment in i["message"] for i in issues), j
        assert len(emu.scheduler.all()) == 0


def test_runway_auth_and_version_header():
    with RunwayEmulator(expected_key="key_right") as emu:
        ok = {"Authorization": "Bearer key_right"}
        assert rw(emu, "GET", "/v1/organization", headers=ok).status == 200
        r = rw(emu, "GET", "/v1/organization", headers={"Authorization": "Bearer key_wrong"})
        assert r.status == 401 and isinstance(r.json()["error"], str)
        assert (
            call(
                emu.base_url, "GET", "/v1/organization", headers={"X-Runway-Version": "2024-11-06"}
            ).status
            == 401
        )
        r = call(emu.base_url, "GET", "/v1/organization", headers=ok)
        assert r.status == 400 and "X-Runway-Version" in r.json()["error"]
        r = rw(emu, "GET", "/v1/organization", headers={**ok, "X-Runway-Version": "2024-09-13"})
        assert r.status == 400 and "2024-09-13" in r.json()["error"]


def test_runway_throttling_with_concurrency():
    with RunwayEmulator(job_seconds=10, concurrency=1) as emu:
        a = rw(emu, "POST", "/v1/text_to_video", T2V).json()["id"]
        b = rw(emu, "POST", "/v1/text_to_video", T2V).json()["id"]
        status = lambda t: rw(emu, "GET", f"/v1/tasks/{t}").json()["status"]
        emu.clock.advance(3)
        assert (status(a), status(b)) == ("RUNNING", "THROTTLED")
        emu.clock.advance(8)  # a ends at 10 s, b starts then
        assert (status(a), status(b)) == ("SUCCEEDED", "RUNNING")
        emu.clock.advance(8)
        assert status(b) == "SUCCEEDED"
    with RunwayEmulator(job_seconds=10, concurrency=None) as emu:
        ids = [rw(emu, "POST", "/v1/text_to_video", T2V).json()["id"] for _ in range(5)]
        emu.clock.advance(3)
        assert {rw(emu, "GET", f"/v1/tasks/{t}").json()["status"] for t in ids} == {"RUNNING"}


def test_runway_cancel_and_delete():
    with RunwayEmulator(job_seconds=10) as emu:
        start = emu.credits
        tid = rw(emu, "POST", "/v1/text_to_video", T2V).json()["id"]
        assert emu.credits == start - 60
        r = rw(emu, "DELETE", f"/v1/tasks/{tid}")
        assert r.status == 204 and r.body == b""
        task = rw(emu, "GET", f"/v1/tasks/{tid}").json()
        assert task["status"] == "CANCELLED" and task["cost"] == {"credits": 0}
        assert emu.credits == start  # refunded: it never ran
        emu.clock.advance(20)
        assert rw(emu, "GET", f"/v1/tasks/{tid}").json()["status"] == "CANCELLED"
        assert rw(emu, "DELETE", f"/v1/tasks/{tid}").status == 204  # a terminal task: deleted
        assert rw(emu, "GET", f"/v1/tasks/{tid}").status == 404
        assert rw(emu, "DELETE", f"/v1/tasks/{tid}").status == 404
        # A succeeded task is deleted and its output goes with it.
        tid = rw(emu, "POST", "/v1/text_to_video", T2V).json()["id"]
        emu.clock.advance(11)
        url = rw(emu, "GET", f"/v1/tasks/{tid}").json()["output"][0][len(emu.base_url) :]
        assert rw(emu, "DELETE", f"/v1/tasks/{tid}").status == 204
        assert call(emu.base_url, "GET", url).status == 403


@pytest.mark.parametrize(
    "fault, code, ran",
    [
        ("SAFETY.INPUT.TEXT", "SAFETY.INPUT.TEXT", False),
        ("moderation", "SAFETY.INPUT.TEXT", False),
        ("ASSET.INVALID", "ASSET.INVALID", False),
        ("INTERNAL.BAD_OUTPUT", "INTERNAL.BAD_OUTPUT", True),
        ("SAFETY.OUTPUT.VIDEO", "SAFETY.OUTPUT.VIDEO", True),
        ("INTERNAL", "INTERNAL", True),
    ],
)
def test_runway_failure_codes(fault, code, ran):
    with RunwayEmulator(job_seconds=10) as emu:
        start = emu.credits
        emu.inject(fault)
        tid = rw(emu, "POST", "/v1/text_to_video", T2V).json()["id"]
        ok = rw(emu, "POST", "/v1/text_to_video", T2V).json()["id"]  # the fault was used up
        emu.clock.advance(3)
        assert rw(emu, "GET", f"/v1/tasks/{tid}").json()["status"] == (
            "RUNNING" if ran else "FAILED"
        )
        emu.clock.advance(10)
        task = rw(emu, "GET", f"/v1/tasks/{tid}").json()
        assert task["status"] == "FAILED" and task["failureCode"] == code and task["failure"]
        assert task["cost"] == {"credits": 0} and "output" not in task
        assert rw(emu, "GET", f"/v1/tasks/{ok}").json()["status"] == "SUCCEEDED"
        assert emu.credits == start - 60  # the failed task was refunded


def test_runway_job_failure_with_custom_code():
    with RunwayEmulator(job_seconds=1) as emu:
        emu.inject(
            "job_failure",
            code="INTERNAL.BAD_OUTPUT.CODE99",
            message="custom text",
            match="/image_to_video",
        )
        assert emu.faults[0].kind == "job_failure"
        t2v = rw(emu, "POST", "/v1/text_to_video", T2V).json()["id"]  # not matched
        i2v = rw(
            emu,
            "POST",
            "/v1/image_to_video",
            {"model": "gen4_turbo", "ratio": "960:960", "promptImage": png_data_uri(8, 8)},
        ).json()["id"]
        emu.clock.advance(2)
        assert rw(emu, "GET", f"/v1/tasks/{t2v}").json()["status"] == "SUCCEEDED"
        task = rw(emu, "GET", f"/v1/tasks/{i2v}").json()
        assert (task["failureCode"], task["failure"]) == (
            "INTERNAL.BAD_OUTPUT.CODE99",
            "custom text",
        )


def test_runway_output_urls_expire():
    with RunwayEmulator(job_seconds=1, output_ttl=600) as emu:
        tid = rw(emu, "POST", "/v1/text_to_video", T2V).json()["id"]
        emu.clock.advance(2)
        url = rw(emu, "GET", f"/v1/tasks/{tid}").json()["output"][0][len(emu.base_url) :]
        assert call(emu.base_url, "GET", url).status == 200
        emu.inject("expired_output")
        r = call(emu.base_url, "GET", url)
        assert (
            r.status == 403
            and b"Request has expired" in r.body
            and r.headers["content-type"] == "application/xml"
        )
        assert call(emu.base_url, "GET", url).status == 200
        emu.clock.advance(601)
        assert call(emu.base_url, "GET", url).status == 403
        fresh = rw(emu, "GET", f"/v1/tasks/{tid}").json()["output"][0][len(emu.base_url) :]
        assert fresh != url and call(emu.base_url, "GET", fresh).status == 200
        tampered = fresh.replace("sig=", "sig=0")
        assert call(emu.base_url, "GET", tampered).status == 403


def test_runway_organization_credits_and_daily_limit():
    with RunwayEmulator(credits=100, daily_limit=1) as emu:
        org = rw(emu, "GET", "/v1/organization").json()
        assert (
            org["creditBalance"] == 100
            and org["tier"]["models"]["gen4.5"]["maxDailyGenerations"] == 1
        )
        assert rw(emu, "POST", "/v1/text_to_video", T2V).status == 200  # 60 credits
        r = rw(
            emu,
            "POST",
            "/v1/text_to_video",
            {**T2V, "model": "veo3.1_fast", "ratio": "1920:1080", "duration": 4, "audio": False},
        )
        assert r.status == 200  # 40 credits, other model
        org = rw(emu, "GET", "/v1/organization").json()
        assert (
            org["creditBalance"] == 0 and org["usage"]["models"]["gen4.5"]["dailyGenerations"] == 1
        )
        r = rw(emu, "POST", "/v1/text_to_video", T2V)
        assert r.status == 429  # daily cap for gen4.5
        r = rw(
            emu,
            "POST",
            "/v1/text_to_video",
            {**T2V, "model": "veo3.1", "ratio": "1920:1080", "duration": 4},
        )
        assert r.status == 400 and "credits" in r.json()["error"]


# ======================================================================================
# OpenAI
# ======================================================================================
def oa(emu, method, path, body=None, headers=None, **kw):
    return call(
        emu.base_url, method, path, body=body, headers={**OPENAI_HEADERS, **(headers or {})}, **kw
    )


MOMENTS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["summary", "moments", "answer"],
    "properties": {
        "summary": {"type": "string"},
        "answer": {"type": "string"},
        "moments": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["start", "end", "label"],
                "properties": {
                    "start": {"type": "string"},
                    "end": {"type": "string"},
                    "label": {"type": "string"},
                },
            },
        },
    },
}


def chat_body(*images, fmt=None, text="Describe these frames.", model="gpt-4o"):
    content = [{"type": "text", "text": text}] + [
        {"type": "image_url", "image_url": ({"url": u} if d is None else {"url": u, "detail": d})}
        for u, d in images
    ]
    body = {
        "model": model,
        "messages": [
            {"role": "system", "content": "You watch videos."},
            {"role": "user", "content": content},
        ],
    }
    if fmt is not None:
        body["response_format"] = fmt
    return body


SCHEMA_FMT = {
    "type": "json_schema",
    "json_schema": {"name": "frames", "strict": True, "schema": MOMENTS_SCHEMA},
}


def test_openai_chat_with_images_and_json_schema():
    jpeg = "data:image/jpeg;base64," + base64.b64encode(_media.spritesheet_jpeg(1280, 720)).decode()
    with OpenAIEmulator() as emu:
        r = oa(
            emu,
            "POST",
            "/v1/chat/completions",
            chat_body(
                (png_data_uri(1024, 1024), "high"),
                (jpeg, "low"),
                (png_data_uri(512, 512), None),
                fmt=SCHEMA_FMT,
            ),
        )
        assert r.status == 200, r
        j = r.json()
        assert (
            j["object"] == "chat.completion"
            and j["id"].startswith("chatcmpl-")
            and j["model"] == "gpt-4o"
        )
        choice = j["choices"][0]
        assert (
            choice["finish_reason"] == "stop"
            and choice["message"]["role"] == "assistant"
            and choice["message"]["refusal"] is None
        )
        answer = json.loads(choice["message"]["content"])
        assert set(answer) == {"summary", "moments", "answer"} and "3 images" in answer["summary"]
        assert {tuple(m) for m in answer["moments"]} == {("start", "end", "label")}
        try:
            import jsonschema
        except ImportError:  # pragma: no cover
            pass
        else:
            jsonschema.validate(answer, MOMENTS_SCHEMA)
        summary = emu.chat_requests[-1]
        assert summary["images"] == 3 and summary["details"] == ["high", "low", "auto"]
        assert (
            summary["image_sizes"][0] == (1024, 1024)
            and summary["response_format"] == "json_schema"
        )
        u = j["usage"]
        image_tokens = 765 + 85 + 255  # 1024² high (4 tiles), low, 512² auto (1 tile)
        assert (
            u["prompt_tokens"] > image_tokens
            and u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
        )


def test_openai_chat_text_and_json_object_modes():
    with OpenAIEmulator() as emu:
        r = oa(
            emu,
            "POST",
            "/v1/chat/completions",
            chat_body(fmt={"type": "json_object"}, text="Answer in JSON please."),
        )
        assert set(json.loads(r.json()["choices"][0]["message"]["content"])) == {
            "summary",
            "moments",
            "answer",
        }
        r = oa(emu, "POST", "/v1/chat/completions", chat_body(text="Plain?"))
        assert "Emulated answer to: Plain?" in r.json()["choices"][0]["message"]["content"]
        r = oa(emu, "POST", "/v1/chat/completions", {**chat_body(text="two"), "n": 2})
        assert [c["index"] for c in r.json()["choices"]] == [0, 1]


def test_openai_chat_custom_responder_and_stream():
    seen = []

    def responder(body):
        seen.append(body)
        return {"answer": "42", "frames": len(body["messages"][-1]["content"]) - 1}

    with OpenAIEmulator(responder=responder) as emu:
        r = oa(emu, "POST", "/v1/chat/completions", chat_body((png_data_uri(8, 8), "low")))
        assert json.loads(r.json()["choices"][0]["message"]["content"]) == {
            "answer": "42",
            "frames": 1,
        }
        assert seen[0]["model"] == "gpt-4o"
        r = oa(
            emu,
            "POST",
            "/v1/chat/completions",
            {**chat_body(), "stream": True, "stream_options": {"include_usage": True}},
        )
        assert r.status == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in r.body.decode().split("\n\n") if line.startswith("data: ")]
        assert events[-1] == "[DONE]"
        chunks = [json.loads(e) for e in events[:-1]]
        text = "".join(
            c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]
        )
        assert json.loads(text)["answer"] == "42" and chunks[-1]["usage"]["total_tokens"] > 0


@pytest.mark.parametrize(
    "body, param, code",
    [
        ({"messages": [{"role": "user", "content": "x"}]}, None, None),
        ({"model": "gpt-4o"}, "messages", "missing_required_parameter"),
        ({"model": "gpt-4o", "messages": []}, "messages", "empty_array"),
        (
            chat_body(("data:image/png;base64," + png_data_uri(4, 4).split(",")[1], "ultra")),
            "messages[1].content[1].image_url.detail",
            "invalid_value",
        ),
        (
            chat_body(
                ("data:image/png;base64," + base64.b64encode(b"not an image").decode(), "low")
            ),
            None,
            "invalid_image_format",
        ),
        (
            chat_body(("ftp://x/y.png", "low")),
            "messages[1].content[1].image_url.url",
            "invalid_value",
        ),
        (chat_body(fmt={"type": "json_object"}, text="no keyword"), "messages", None),
        (
            chat_body(fmt={"type": "json_schema", "json_schema": {"schema": MOMENTS_SCHEMA}}),
            "response_format.json_schema.name",
            "missing_required_parameter",
        ),
        (
            chat_body(
                fmt={
                    "type": "json_schema",
                    "json_schema": {"name": "bad name!", "schema": MOMENTS_SCHEMA},
                }
            ),
            "response_format.json_schema.name",
            "invalid_value",
        ),
        (
            chat_body(
                fmt={
                    "type": "json_schema",
                    "json_schema": {
                        "name": "s",
                        "strict": True,
                        "schema": {"type": "object", "properties": {"a": {"type": "string"}}},
                    },
                }
            ),
            "response_format",
            "invalid_json_schema",
        ),
        (chat_body(fmt={"type": "yaml"}), "response_format.type", "invalid_value"),
    ],
)
def test_openai_chat_validation(body, param, code):
    with OpenAIEmulator() as emu:
        r = oa(emu, "POST", "/v1/chat/completions", body)
        assert r.status == 400, r
        err = r.json()["error"]
        assert (
            err["type"] == "invalid_request_error" and err["param"] == param and err["code"] == code
        )


def test_openai_chat_too_many_images():
    with OpenAIEmulator(max_images=2) as emu:
        img = (png_data_uri(8, 8), "low")
        assert oa(emu, "POST", "/v1/chat/completions", chat_body(img, img)).status == 200
        r = oa(emu, "POST", "/v1/chat/completions", chat_body(img, img, img))
        assert r.status == 400 and "Max is 2" in r.json()["error"]["message"]


def test_openai_chat_malformed_json_and_moderation_faults():
    with OpenAIEmulator() as emu:
        emu.inject("malformed_json")
        bad = oa(emu, "POST", "/v1/chat/completions", chat_body(fmt=SCHEMA_FMT)).json()["choices"][
            0
        ]["message"]["content"]
        with pytest.raises(json.JSONDecodeError):
            json.loads(bad)
        good = oa(emu, "POST", "/v1/chat/completions", chat_body(fmt=SCHEMA_FMT)).json()["choices"][
            0
        ]["message"]["content"]
        json.loads(good)
        emu.inject("moderation")
        msg = oa(emu, "POST", "/v1/chat/completions", chat_body(fmt=SCHEMA_FMT)).json()["choices"][
            0
        ]["message"]
        assert msg["content"] is None and "can't help" in msg["refusal"]


def test_openai_auth_errors():
    with OpenAIEmulator(expected_key="sk-right-key-123") as emu:
        r = call(emu.base_url, "GET", "/v1/models")
        assert r.status == 401 and "didn't provide an API key" in r.json()["error"]["message"]
        r = call(
            emu.base_url, "GET", "/v1/models", headers={"Authorization": "Bearer sk-wrong-key-456"}
        )
        err = r.json()["error"]
        assert (
            r.status == 401
            and err["code"] == "invalid_api_key"
            and "sk-*" in err["message"]
            and "-456" in err["message"]
            and "wrong" not in err["message"]
        )
        assert (
            call(
                emu.base_url,
                "GET",
                "/v1/models",
                headers={"Authorization": "Bearer sk-right-key-123"},
            ).status
            == 200
        )


def test_openai_video_lifecycle_json():
    with OpenAIEmulator(job_seconds=10, poll_after_ms=25) as emu:
        r = oa(
            emu,
            "POST",
            "/v1/videos",
            {"prompt": "a red kite", "model": "sora-2-pro", "seconds": "8", "size": "1792x1024"},
        )
        assert r.status == 200, r
        v = r.json()
        assert r.headers["openai-poll-after-ms"] == "25"
        assert (v["object"], v["status"], v["progress"], v["seconds"], v["size"]) == (
            "video",
            "queued",
            0,
            "8",
            "1792x1024",
        )
        assert v["id"].startswith("video_") and v["error"] is None and v["completed_at"] is None
        emu.clock.advance(6)
        v = oa(emu, "GET", f"/v1/videos/{v['id']}").json()
        assert v["status"] == "in_progress" and v["progress"] == 50
        r = oa(emu, "GET", f"/v1/videos/{v['id']}/content")
        assert r.status == 400 and r.json()["error"]["code"] == "video_not_ready"
        emu.clock.advance(5)
        v = oa(emu, "GET", f"/v1/videos/{v['id']}").json()
        assert (
            v["status"] == "completed"
            and v["progress"] == 100
            and v["expires_at"] - v["completed_at"] == 3600
        )
        mp4 = oa(emu, "GET", f"/v1/videos/{v['id']}/content")
        assert mp4.headers["content-type"] == "video/mp4" and probe_mp4(mp4.body)[1:3] == (320, 182)
        thumb = oa(emu, "GET", f"/v1/videos/{v['id']}/content?variant=thumbnail")
        assert (
            thumb.headers["content-type"] == "image/webp"
            and _media.image_info(thumb.body)[0] == "image/webp"
        )
        sprite = oa(emu, "GET", f"/v1/videos/{v['id']}/content?variant=spritesheet")
        assert _media.image_info(sprite.body)[0] == "image/jpeg"
        assert oa(emu, "GET", f"/v1/videos/{v['id']}/content?variant=gif").status == 400
        # remix, list, delete
        rem = oa(emu, "POST", f"/v1/videos/{v['id']}/remix", {"prompt": "now at night"}).json()
        assert (
            rem["remixed_from_video_id"] == v["id"]
            and rem["size"] == "1792x1024"
            and rem["status"] == "queued"
        )
        listing = oa(emu, "GET", "/v1/videos?limit=1").json()
        assert (
            listing["object"] == "list"
            and [x["id"] for x in listing["data"]] == [rem["id"]]
            and listing["has_more"]
        )
        page2 = oa(emu, "GET", f"/v1/videos?limit=5&after={rem['id']}").json()
        assert [x["id"] for x in page2["data"]] == [v["id"]] and not page2["has_more"]
        assert [x["id"] for x in oa(emu, "GET", "/v1/videos?order=asc").json()["data"]] == [
            v["id"],
            rem["id"],
        ]
        d = oa(emu, "DELETE", f"/v1/videos/{v['id']}").json()
        assert d == {"id": v["id"], "object": "video.deleted", "deleted": True}
        r = oa(emu, "GET", f"/v1/videos/{v['id']}")
        assert r.status == 404 and r.json()["error"]["code"] == "video_not_found"


def test_openai_video_multipart_with_input_reference():
    with OpenAIEmulator(job_seconds=1) as emu:
        body, ctype = _multipart.encode(
            {
                "prompt": "pan across",
                "model": "sora-2",
                "seconds": "4",
                "size": "1280x720",
                "input_reference": ("ref.png", _media.solid_png(1280, 720), "image/png"),
            }
        )
        r = oa(emu, "POST", "/v1/videos", data=body, headers={"Content-Type": ctype})
        assert r.status == 200, r
        body, ctype = _multipart.encode(
            {
                "prompt": "x",
                "size": "1280x720",
                "input_reference": ("ref.png", _media.solid_png(640, 360), "image/png"),
            }
        )
        r = oa(emu, "POST", "/v1/videos", data=body, headers={"Content-Type": ctype})
        assert (
            r.status == 400
            and r.json()["error"]["message"]
            == "Inpaint image must match the requested width and height"
        )
        body, ctype = _multipart.encode(
            {
                "prompt": "x",
                "size": "720x1280",
                "input_reference[image_url]": png_data_uri(720, 1280),
            }
        )
        assert (
            oa(emu, "POST", "/v1/videos", data=body, headers={"Content-Type": ctype}).status == 200
        )
        r = oa(
            emu,
            "POST",
            "/v1/videos",
            {
                "prompt": "x",
                "input_reference": {"image_url": "https://example.com/a.png", "file_id": "file_1"},
            },
        )
        assert r.status == 400 and r.json()["error"]["param"] == "input_reference"


@pytest.mark.parametrize(
    "body, param, fragment",
    [
        ({"model": "sora-2"}, "prompt", "Missing required parameter"),
        (
            {"prompt": "x", "seconds": "10"},
            "seconds",
            "Invalid value: '10'. Supported values are: '4', '8', '12', '16', and '20'.",
        ),
        ({"prompt": "x", "seconds": 8}, None, None),
        ({"prompt": "x", "size": "640x480"}, "size", "Invalid value: '640x480'"),
        (
            {"prompt": "x", "model": "sora-2", "size": "1792x1024"},
            "size",
            "not supported by model 'sora-2'",
        ),
        (
            {"prompt": "x", "model": "sora-3"},
            "model",
            "Supported values are: 'sora-2' and 'sora-2-pro'",
        ),
        ({"prompt": "x" * 32001}, "prompt", "maximum length 32000"),
    ],
)
def test_openai_video_validation(body, param, fragment):
    with OpenAIEmulator() as emu:
        r = oa(emu, "POST", "/v1/videos", body)
        if fragment is None:
            assert r.status == 200 and r.json()["seconds"] == "8"
            return
        assert r.status == 400, r
        err = r.json()["error"]
        assert err["param"] == param and fragment in err["message"]


@pytest.mark.parametrize(
    "fault, code",
    [
        ("moderation", "moderation_blocked"),
        ("video_generation_failed", "video_generation_failed"),
        ("internal_error", "internal_error"),
    ],
)
def test_openai_video_failures(fault, code):
    with OpenAIEmulator(job_seconds=1) as emu:
        emu.inject(fault)
        vid = oa(emu, "POST", "/v1/videos", {"prompt": "x"}).json()["id"]
        emu.clock.advance(2)
        v = oa(emu, "GET", f"/v1/videos/{vid}").json()
        assert v["status"] == "failed" and v["error"]["code"] == code and v["error"]["message"]
        assert oa(emu, "GET", f"/v1/videos/{vid}/content").status == 404


def test_openai_video_expiry():
    with OpenAIEmulator(job_seconds=1, output_ttl=60) as emu:
        vid = oa(emu, "POST", "/v1/videos", {"prompt": "x"}).json()["id"]
        emu.clock.advance(2)
        assert oa(emu, "GET", f"/v1/videos/{vid}/content").status == 200
        emu.inject("expired_output", match="/content")
        r = oa(emu, "GET", f"/v1/videos/{vid}/content")
        assert r.status == 410 and r.json()["error"]["code"] == "video_expired"
        assert oa(emu, "GET", f"/v1/videos/{vid}/content").status == 200
        emu.clock.advance(61)
        assert oa(emu, "GET", f"/v1/videos/{vid}/content").status == 410


def test_openai_retired_videos_api():
    with OpenAIEmulator(retired=True) as emu:
        r = oa(emu, "POST", "/v1/videos", {"prompt": "x", "model": "sora-2-pro"})
        err = r.json()["error"]
        assert (
            r.status == 404
            and err["code"] == "model_not_found"
            and "`sora-2-pro` has been deprecated" in err["message"]
        )
        for method, path in [
            ("GET", "/v1/videos"),
            ("GET", "/v1/videos/video_abc"),
            ("GET", "/v1/videos/video_abc/content"),
            ("DELETE", "/v1/videos/video_abc"),
        ]:
            r = oa(emu, method, path)
            assert (
                r.status == 404 and r.json()["error"]["message"] == f"Invalid URL ({method} {path})"
            )
        assert "sora-2" not in [m["id"] for m in oa(emu, "GET", "/v1/models").json()["data"]]
        assert (
            oa(emu, "POST", "/v1/chat/completions", chat_body()).status == 200
        )  # the rest still works


# ======================================================================================
# Gemini
# ======================================================================================
def gm(emu, method, path, body=None, headers=None, **kw):
    return call(
        emu.base_url, method, path, body=body, headers={**GEMINI_HEADERS, **(headers or {})}, **kw
    )


GEMINI_SCHEMA = {
    "type": "OBJECT",
    "properties": {
        "summary": {"type": "STRING"},
        "moments": {
            "type": "ARRAY",
            "items": {
                "type": "OBJECT",
                "properties": {
                    "start": {"type": "STRING"},
                    "end": {"type": "STRING"},
                    "label": {"type": "STRING"},
                },
            },
        },
        "answer": {"type": "STRING"},
    },
    "required": ["summary", "moments", "answer"],
}


def video_part(data: bytes | None = None, **meta) -> dict[str, Any]:
    part: dict[str, Any] = {
        "inline_data": {
            "mime_type": "video/mp4",
            "data": base64.b64encode(data or synthetic_mp4(seconds=2)).decode(),
        }
    }
    if meta:
        part["video_metadata"] = meta
    return part


def gen_body(*parts, config=None):
    body: dict[str, Any] = {"contents": [{"role": "user", "parts": list(parts)}]}
    if config is not None:
        body["generationConfig"] = config
    return body


JSON_CONFIG = {"responseMimeType": "application/json", "responseSchema": GEMINI_SCHEMA}


def test_gemini_generate_with_inline_video():
    with GeminiEmulator() as emu:
        r = gm(
            emu,
            "POST",
            "/v1beta/models/gemini-2.5-flash:generateContent",
            gen_body(video_part(), {"text": "What happens?"}, config=JSON_CONFIG),
        )
        assert r.status == 200, r
        j = r.json()
        cand = j["candidates"][0]
        assert cand["finishReason"] == "STOP" and cand["content"]["role"] == "model"
        answer = json.loads(cand["content"]["parts"][0]["text"])
        assert (
            answer["answer"] == "Emulated answer to: What happens?"
            and answer["moments"][-1]["end"] == "00:02"
        )
        usage = j["usageMetadata"]
        video = next(d for d in usage["promptTokensDetails"] if d["modality"] == "VIDEO")
        assert video["tokenCount"] == 2 * 258  # 2 s at the default 1 fps
        assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
        assert j["modelVersion"] == "gemini-2.5-flash"
        s = emu.generate_requests[-1]
        assert (s["videos"], s["video_seconds"], s["schema_field"]) == (
            1,
            [pytest.approx(2.0, abs=0.05)],
            "responseSchema",
        )


def test_gemini_video_metadata_and_camel_case():
    with GeminiEmulator() as emu:
        part = {
            "inlineData": {
                "mimeType": "video/mp4",
                "data": base64.urlsafe_b64encode(synthetic_mp4(seconds=2)).decode().rstrip("="),
            },
            "videoMetadata": {"fps": 5, "startOffset": "0.5s", "endOffset": "1.5s"},
        }
        r = gm(
            emu,
            "POST",
            "/v1/models/gemini-3.5-flash:generateContent",
            gen_body(part, {"text": "q"}),
        )
        assert r.status == 200, r
        video = next(
            d for d in r.json()["usageMetadata"]["promptTokensDetails"] if d["modality"] == "VIDEO"
        )
        assert video["tokenCount"] == 5 * 70  # 1 s clip, 5 fps, Gemini 3 rate
        assert (
            "Emulated answer to: q" in r.json()["candidates"][0]["content"]["parts"][0]["text"]
        )  # plain text mode


def test_gemini_response_json_schema_and_enum():
    with GeminiEmulator() as emu:
        schema = {
            "type": "object",
            "properties": {
                "verdict": {"type": "string", "enum": ["yes", "no"]},
                "score": {"type": "integer", "minimum": 3},
            },
        }
        r = gm(
            emu,
            "POST",
            "/v1beta/models/gemini-2.5-pro:generateContent",
            gen_body(
                {"text": "ok?"},
                config={"responseMimeType": "application/json", "responseJsonSchema": schema},
            ),
        )
        assert json.loads(r.json()["candidates"][0]["content"]["parts"][0]["text"]) == {
            "verdict": "yes",
            "score": 3,
        }
        r = gm(
            emu,
            "POST",
            "/v1beta/models/gemini-2.5-pro:generateContent",
            gen_body(
                {"text": "ok?"},
                config={
                    "responseMimeType": "text/x.enum",
                    "responseSchema": {"type": "STRING", "enum": ["CAT", "DOG"]},
                },
            ),
        )
        assert r.json()["candidates"][0]["content"]["parts"][0]["text"] == "CAT"


def test_gemini_auth():
    with GeminiEmulator(expected_key="right") as emu:
        path = "/v1beta/models/gemini-2.5-flash:generateContent"
        body = gen_body({"text": "hi"})
        assert call(emu.base_url, "POST", path + "?key=right", body=body).status == 200
        assert (
            call(emu.base_url, "POST", path, body=body, headers={"x-goog-api-key": "right"}).status
            == 200
        )
        r = call(emu.base_url, "POST", path, body=body, headers={"x-goog-api-key": "wrong"})
        err = r.json()["error"]
        assert (
            r.status == 400
            and err["status"] == "INVALID_ARGUMENT"
            and err["details"][0]["reason"] == "API_KEY_INVALID"
        )
        r = call(emu.base_url, "POST", path, body=body)
        assert r.status == 403 and r.json()["error"]["status"] == "PERMISSION_DENIED"


@pytest.mark.parametrize(
    "model, body, status, fragment",
    [
        ("gpt-4o", gen_body({"text": "x"}), 404, "is not found for API version v1beta"),
        ("gemini-2.5-flash", {"contents": []}, 400, "contents is not specified"),
        (
            "gemini-2.5-flash",
            gen_body(video_part(b"definitely not a video")),
            400,
            "invalid argument",
        ),
        (
            "gemini-2.5-flash",
            gen_body({"inline_data": {"mime_type": "video/x-unknown", "data": "AAAA"}}),
            400,
            "Unsupported MIME type",
        ),
        (
            "gemini-2.5-flash",
            gen_body({"inline_data": {"mime_type": "video/mp4", "data": "***"}}),
            400,
            "Base64 decoding failed",
        ),
        ("gemini-2.5-flash", gen_body(video_part(fps=30)), 400, "(0, 24]"),
        (
            "gemini-2.5-flash",
            gen_body(video_part(start_offset="2s", end_offset="1s")),
            400,
            "end_offset",
        ),
        ("gemini-2.5-flash", gen_body(video_part(start_offset="soon")), 400, "invalid duration"),
        (
            "gemini-2.5-flash",
            gen_body({"text": "x"}, config={"responseSchema": GEMINI_SCHEMA}),
            400,
            "application/json",
        ),
        (
            "gemini-2.5-flash",
            gen_body({"text": "x"}, config={"responseMimeType": "application/xml"}),
            400,
            "allowed mimetypes",
        ),
        (
            "gemini-2.5-flash",
            gen_body(
                {"text": "x"},
                config={
                    "responseMimeType": "application/json",
                    "responseSchema": {},
                    "responseJsonSchema": {},
                },
            ),
            400,
            "Only one of",
        ),
        (
            "gemini-2.5-flash",
            gen_body({"file_data": {"file_uri": "https://x/v1beta/files/nope"}}),
            403,
            "may not exist",
        ),
    ],
)
def test_gemini_generate_validation(model, body, status, fragment):
    with GeminiEmulator() as emu:
        r = gm(emu, "POST", f"/v1beta/models/{model}:generateContent", body)
        assert r.status == status, r
        assert fragment in r.json()["error"]["message"]
        assert emu.server_errors == []


def test_gemini_request_size_limit():
    with GeminiEmulator(max_request_bytes=10_000) as emu:
        r = gm(
            emu, "POST", "/v1beta/models/gemini-2.5-flash:generateContent", gen_body(video_part())
        )
        assert (
            r.status == 400
            and r.json()["error"]["message"]
            == "Request payload size exceeds the limit: 10000 bytes."
        )


def test_gemini_youtube_file_uri_is_not_fetched():
    with GeminiEmulator() as emu:
        r = gm(
            emu,
            "POST",
            "/v1beta/models/gemini-2.5-flash:generateContent",
            gen_body(
                {"file_data": {"file_uri": "https://www.youtube.com/watch?v=abc"}}, {"text": "q"}
            ),
        )
        assert r.status == 200 and emu.generate_requests[-1]["videos"] == 1


def test_gemini_malformed_json_and_moderation():
    with GeminiEmulator() as emu:
        path = "/v1beta/models/gemini-2.5-flash:generateContent"
        emu.inject("malformed_json")
        text = gm(emu, "POST", path, gen_body({"text": "q"}, config=JSON_CONFIG)).json()[
            "candidates"
        ][0]["content"]["parts"][0]["text"]
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
        json.loads(
            gm(emu, "POST", path, gen_body({"text": "q"}, config=JSON_CONFIG)).json()["candidates"][
                0
            ]["content"]["parts"][0]["text"]
        )
        emu.inject("moderation")
        j = gm(emu, "POST", path, gen_body({"text": "q"})).json()
        assert j["promptFeedback"]["blockReason"] == "SAFETY" and "candidates" not in j
        emu.inject("moderation", stage="output")
        j = gm(emu, "POST", path, gen_body({"text": "q"})).json()
        assert (
            j["candidates"][0]["finishReason"] == "SAFETY" and "content" not in j["candidates"][0]
        )


def test_gemini_stream_generate_content_sse():
    with GeminiEmulator() as emu:
        r = gm(
            emu,
            "POST",
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            gen_body({"text": "q"}, config=JSON_CONFIG),
        )
        assert r.status == 200 and r.headers["content-type"] == "text/event-stream"
        chunks = [
            json.loads(e[6:]) for e in r.body.decode().split("\r\n\r\n") if e.startswith("data: ")
        ]
        text = "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks)
        assert json.loads(text)["answer"] and chunks[-1]["candidates"][0]["finishReason"] == "STOP"
        assert "usageMetadata" in chunks[-1]


def start_upload(
    emu, size: int, mime: str = "video/mp4", name: str | None = None, display: str = "clip.mp4"
) -> Reply:
    meta: dict[str, Any] = {"display_name": display}
    if name:
        meta["name"] = name
    return gm(
        emu,
        "POST",
        "/upload/v1beta/files",
        {"file": meta},
        headers={
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(size),
            "X-Goog-Upload-Header-Content-Type": mime,
        },
    )


def upload_chunk(emu, url: str, data: bytes, offset: int, command: str) -> Reply:
    path = url[len(emu.base_url) :]
    return call(
        emu.base_url,
        "POST",
        path,
        data=data,
        headers={"X-Goog-Upload-Command": command, "X-Goog-Upload-Offset": str(offset)},
    )


def upload(emu, data: bytes, mime: str = "video/mp4", **kw) -> dict[str, Any]:
    start = start_upload(emu, len(data), mime, **kw)
    assert start.status == 200, start
    r = upload_chunk(emu, start.headers["x-goog-upload-url"], data, 0, "upload, finalize")
    assert r.status == 200 and r.headers["x-goog-upload-status"] == "final", r
    return r.json()["file"]


def test_gemini_files_resumable_upload_and_states():
    data = synthetic_mp4(seconds=2)
    with GeminiEmulator(job_seconds=10) as emu:
        start = start_upload(emu, len(data))
        assert start.status == 200 and start.headers["x-goog-upload-status"] == "active"
        url = start.headers["x-goog-upload-url"]
        assert url.startswith(emu.base_url + "/upload/v1beta/files?upload_id=")
        half = len(data) // 2
        r = upload_chunk(emu, url, data[:half], 0, "upload")
        assert r.status == 200 and r.headers["x-goog-upload-status"] == "active" and r.body == b""
        r = upload_chunk(emu, url, data[half:], 7, "upload, finalize")  # wrong offset
        assert r.status == 400 and r.headers["x-goog-upload-size-received"] == str(half)
        q = upload_chunk(emu, url, b"", 0, "query")
        assert q.headers["x-goog-upload-size-received"] == str(half)
        r = upload_chunk(emu, url, data[half:], half, "upload, finalize")
        assert r.status == 200 and r.headers["x-goog-upload-status"] == "final"
        f = r.json()["file"]
        assert (
            f["state"] == "PROCESSING"
            and f["mimeType"] == "video/mp4"
            and f["sizeBytes"] == str(len(data))
        )
        assert (
            f["displayName"] == "clip.mp4"
            and f["source"] == "UPLOADED"
            and f["name"].startswith("files/")
        )
        assert f["uri"] == f"{emu.base_url}/v1beta/{f['name']}"
        assert (
            upload_chunk(emu, url, b"", len(data), "upload, finalize").status == 404
        )  # session closed
        # Not ACTIVE yet: generateContent refuses the file.
        ref = {"file_data": {"file_uri": f["uri"], "mime_type": "video/mp4"}}
        r = gm(
            emu,
            "POST",
            "/v1beta/models/gemini-2.5-flash:generateContent",
            gen_body(ref, {"text": "q"}),
        )
        assert r.status == 400 and r.json()["error"]["status"] == "FAILED_PRECONDITION"
        emu.clock.advance(10)
        g = gm(emu, "GET", f"/v1beta/{f['name']}").json()
        assert g["state"] == "ACTIVE" and g["videoMetadata"]["videoDuration"] == "2s"
        r = gm(
            emu,
            "POST",
            "/v1beta/models/gemini-2.5-flash:generateContent",
            gen_body(ref, {"text": "q"}, config=JSON_CONFIG),
        )
        assert (
            r.status == 200
            and json.loads(r.json()["candidates"][0]["content"]["parts"][0]["text"])["moments"]
        )
        # "files/<id>" works as a reference too; list, delete, then 403.
        r = gm(
            emu,
            "POST",
            "/v1beta/models/gemini-2.5-flash:generateContent",
            gen_body({"file_data": {"file_uri": f["name"]}}, {"text": "q"}),
        )
        assert r.status == 200
        assert [x["name"] for x in gm(emu, "GET", "/v1beta/files").json()["files"]] == [f["name"]]
        assert gm(emu, "DELETE", f"/v1beta/{f['name']}").json() == {}
        assert gm(emu, "GET", f"/v1beta/{f['name']}").status == 403


def test_gemini_files_real_time_processing():
    with GeminiEmulator(job_seconds=0.2) as emu:
        f = upload(emu, synthetic_mp4())
        g = poll(
            lambda: gm(emu, "GET", f"/v1beta/{f['name']}").json(),
            lambda x: x["state"] != "PROCESSING",
        )
        assert g["state"] == "ACTIVE"


def test_gemini_files_failures_expiry_and_listing():
    with GeminiEmulator(job_seconds=1) as emu:
        bad = upload(emu, b"not a video at all", "video/mp4")
        emu.inject("file_processing_failed")
        failed = upload(emu, synthetic_mp4())
        named = upload(emu, b"hello", "text/plain", name="my-notes")
        assert named["name"] == "files/my-notes"
        assert start_upload(emu, 5, "text/plain", name="my-notes").status == 409
        assert start_upload(emu, 5, "text/plain", name="Bad_Name").status == 400
        emu.clock.advance(2)
        assert gm(emu, "GET", f"/v1beta/{bad['name']}").json()["state"] == "FAILED"
        g = gm(emu, "GET", f"/v1beta/{failed['name']}").json()
        assert g["state"] == "FAILED" and g["error"]["message"]
        assert gm(emu, "GET", f"/v1beta/{named['name']}").json()["state"] == "ACTIVE"
        page = gm(emu, "GET", "/v1beta/files?pageSize=2").json()
        assert len(page["files"]) == 2 and page["nextPageToken"]
        rest = gm(emu, "GET", f"/v1beta/files?pageSize=2&pageToken={page['nextPageToken']}").json()
        assert len(rest["files"]) == 1 and "nextPageToken" not in rest
        emu.inject("expired_output", match="/files/my-notes")
        assert gm(emu, "GET", f"/v1beta/{named['name']}").status == 403
        emu.clock.advance(48 * 3600)
        assert gm(emu, "GET", "/v1beta/files").json() == {"files": []}


def test_gemini_upload_protocol_errors():
    with GeminiEmulator(max_file_bytes=1000) as emu:
        r = gm(
            emu,
            "POST",
            "/upload/v1beta/files",
            {"file": {}},
            headers={"X-Goog-Upload-Protocol": "multipart"},
        )
        assert r.status == 400
        assert start_upload(emu, 1001).status == 400
        start = start_upload(emu, 10)
        url = start.headers["x-goog-upload-url"]
        r = upload_chunk(emu, url, b"x" * 5, 0, "upload, finalize")
        assert r.status == 400 and "declared" in r.json()["error"]["message"]
        # Without a key the start is refused; the session URL itself needs none.
        r = call(
            emu.base_url,
            "POST",
            "/upload/v1beta/files",
            body={},
            headers={"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start"},
        )
        assert r.status == 403
        assert emu.server_errors == []
