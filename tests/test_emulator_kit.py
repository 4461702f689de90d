"""The emulator kit itself (videonb.testing.emulators.kit): counters, download faults,
``output_base`` and the loopback CDN, stalls and endless bodies that never keep the
emulator from stopping, and the building blocks a new provider emulator is made of.

Every test runs inside ``loopback_only()``.  Nothing sleeps: job time moves with the
simulated clock, and the few real-time waits are bounded waits on events or counters
(or a client's own timeout) on another thread.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse
from typing import Any, ClassVar

import pytest
from test_emulators import Reply  # the raw-HTTP helpers of the emulator tests
from test_emulators import call as call_path

from videonb.testing.emulators import (
    CDN,
    GeminiEmulator,
    OpenAIEmulator,
    RunwayEmulator,
    loopback_only,
    synthetic_mp4,
)
from videonb.testing.emulators.kit import (
    Emulator,
    Header,
    Invalid,
    ModelTable,
    Problem,
    Request,
    Response,
    Wallet,
    check,
    media_response,
    openai_invalid,
    zod_issues,
)
from videonb.testing.emulators.kit.faults import PORTAL_HTML, PORTAL_PATH
from videonb.testing.emulators.kit.jobs import Clock
from videonb.testing.emulators.kit.uploads import UploadSessions

RUNWAY = {"Authorization": "Bearer key_test", "X-Runway-Version": "2024-11-06"}
T2V = {"model": "gen4.5", "promptText": "a red kite", "ratio": "1280:720", "duration": 5}


@pytest.fixture(autouse=True)
def _no_network():
    with loopback_only() as connections:
        yield connections
    assert all(host in ("127.0.0.1", "::1", "localhost") for host, _ in connections)


def call(url: str, method: str = "GET", **kw: Any) -> Reply:
    """One request on a fresh connection to an absolute URL."""
    u = urllib.parse.urlsplit(url)
    return call_path(f"http://{u.netloc}", method, u.path + (f"?{u.query}" if u.query else ""), **kw)


def finished_task(emu: RunwayEmulator) -> dict[str, Any]:
    """Submit one text-to-video task and move the clock past its end."""
    tid = call(emu.base_url + "/v1/text_to_video", "POST", body=T2V, headers=RUNWAY).json()["id"]
    emu.clock.advance(emu.job_seconds + 1)
    task = call(emu.base_url + f"/v1/tasks/{tid}", headers=RUNWAY).json()
    assert task["status"] == "SUCCEEDED", task
    return task


def in_thread(fn) -> tuple[threading.Thread, dict[str, Any]]:
    """Run fn() on a daemon thread; its result or exception lands in the dict."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


# ======================================================================================
# Counters and the request log
# ======================================================================================
def test_counts_submits_polls_downloads_jobs_and_faults():
    with RunwayEmulator(job_seconds=1) as emu:
        emu.inject("429", retry_after=0.01, match="POST /v1/text_to_video")
        assert call(emu.base_url + "/v1/text_to_video", "POST", body=T2V, headers=RUNWAY).status == 429
        task = finished_task(emu)
        assert call(task["output"][0]).status == 200
        bad = {**RUNWAY, "Authorization": "Bearer"}
        assert call(emu.base_url + "/v1/organization", headers=bad).status == 401
        c = emu.counts
        # Two submits reached the route (one answered by the fault), one job was billed.
        assert (c["submit"], c["text_to_video.create"], c["jobs"]) == (2, 2, 1)
        assert (c["poll"], c["tasks.retrieve"], c["download"]) == (1, 1, 1)
        assert (c["fault"], c["fault:429"], c["unauthorized"], c["requests"]) == (1, 1, 1, 5)
        assert c["never counted"] == 0 and "never counted" not in c
        assert [r.kind for r in emu.requests] == ["submit", "submit", "poll", "download", "account"]
        assert emu.requests.filter(kind="download")[0].route == "outputs.download"
        before = c.snapshot()
        finished_task(emu)
        assert c["jobs"] - before["jobs"] == 1
        c.clear()
        assert c["jobs"] == 0 and len(c) == 0


def test_counts_wait_is_bounded_and_wakes_on_the_count():
    with RunwayEmulator() as emu:
        assert emu.counts.wait("poll", 1, timeout=0.01) is False
        t, out = in_thread(lambda: emu.counts.wait("poll", 1, timeout=10))
        call(emu.base_url + "/v1/tasks/nope", headers=RUNWAY)
        t.join(10)
        assert out["result"] is True


def test_every_route_has_a_name_and_kind():
    names = {
        RunwayEmulator: {"text_to_video.create": "submit", "tasks.retrieve": "poll",
                         "tasks.delete": "cancel", "outputs.download": "download"},
        OpenAIEmulator: {"chat.completions.create": "generate", "videos.create": "submit",
                         "videos.retrieve": "poll", "videos.download_content": "download"},
        GeminiEmulator: {"models.generate_content": "generate", "files.upload": "upload",
                         "files.get": "poll", "files.list": "list"},
    }
    for cls, expected in names.items():
        routes = {name: kind for _, _, name, kind in cls().endpoints()}
        assert expected.items() <= routes.items(), (cls, routes)


# ======================================================================================
# HTTP faults the kit added: 502, 504, stall
# ======================================================================================
@pytest.mark.parametrize("status", ["502", "504"])
@pytest.mark.parametrize(
    "cls, path, headers",
    [
        (RunwayEmulator, "/v1/organization", RUNWAY),
        (OpenAIEmulator, "/v1/models", {"Authorization": "Bearer sk-test"}),
        (GeminiEmulator, "/v1beta/files", {"x-goog-api-key": "gm-test"}),
    ],
)
def test_502_and_504_use_provider_error_bodies(cls, path, headers, status):
    with cls() as emu:
        emu.inject(status, retry_after=3)
        r = call(emu.base_url + path, headers=headers)
        assert r.status == int(status) and r.headers["retry-after"] == "3"
        err = r.json()["error"]
        if cls is RunwayEmulator:
            assert isinstance(err, str) and err
        elif cls is OpenAIEmulator:
            assert set(err) == {"message", "type", "param", "code"}
        else:
            assert err["code"] == int(status) and err["status"] in ("UNAVAILABLE", "DEADLINE_EXCEEDED")
        assert call(emu.base_url + path, headers=headers).status == 200


def test_stall_holds_the_request_until_the_client_gives_up():
    with OpenAIEmulator() as emu:
        emu.inject("stall", match="/v1/models")
        with pytest.raises(TimeoutError):  # the client's own timeout ends the wait
            call(emu.base_url + "/v1/models", headers={"Authorization": "Bearer k"}, timeout=0.3)
        assert call(emu.base_url + "/v1/models", headers={"Authorization": "Bearer k"}).status == 200
        first = emu.requests[0]
        assert first.fault == "stall" and first.status is None and emu.counts["fault:stall"] == 1
        assert emu.server_errors == []


@pytest.mark.parametrize("fault", ["stall", "slow"])
def test_stop_returns_at_once_while_a_request_is_held(fault):
    emu = RunwayEmulator(job_seconds=1)
    emu.start()
    url = finished_task(emu)["output"][0]
    emu.inject(fault, seconds=60)
    client, out = in_thread(lambda: call(url, timeout=30))
    assert emu.counts.wait("fault:" + fault, 1, timeout=10)  # the request is being held
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 3
    client.join(10)
    assert not client.is_alive() and not emu.running
    if fault == "stall":  # never answered: the client sees the connection close
        assert isinstance(out.get("error"), (http.client.RemoteDisconnected, ConnectionError))
    assert emu.server_errors == []


def test_stop_returns_at_once_while_an_endless_body_is_unread():
    emu = RunwayEmulator(job_seconds=1)
    emu.start()
    url = finished_task(emu)["output"][0]
    emu.inject("endless", seconds=60, max_bytes=1 << 40)
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", u.path + "?" + u.query)
    resp = conn.getresponse()  # headers arrive; the body fills the socket buffers unread
    assert resp.status == 200 and resp.headers["Transfer-Encoding"] == "chunked"
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 3
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        resp.read()
    conn.close()
    assert emu.server_errors == []


# ======================================================================================
# Download faults
# ======================================================================================
def test_download_faults_hit_the_next_download_not_the_api():
    with RunwayEmulator(job_seconds=1) as emu:
        emu.inject("html")
        task = finished_task(emu)  # a submit and a poll: untouched, JSON as ever
        r = call(task["output"][0])
        assert r.status == 200 and r.headers["content-type"].startswith("text/html")
        assert r.body.decode() == PORTAL_HTML and emu.counts["fault:html"] == 1
        assert call(task["output"][0]).headers["content-type"] == "video/mp4"
        emu.inject("html", match="/v1/organization")  # aimed at an API route on purpose
        assert call(emu.base_url + "/v1/organization", headers=RUNWAY).body.startswith(b"<!DOCTYPE")


def test_redirect_to_the_real_url_and_to_another_loopback_server():
    with RunwayEmulator(job_seconds=1) as emu, CDN(origin=None) as other:
        url = finished_task(emu)["output"][0]
        emu.inject("redirect")
        r = call(url)
        assert r.status == 302 and r.headers["location"] == url and r.body == b""
        assert call(r.headers["location"]).status == 200  # the fault is used up: the real answer
        other.origin = emu
        emu.inject("redirect", to=other.base_url, status=307)
        r = call(url)
        assert r.status == 307 and r.headers["location"] == other.base_url + url[len(emu.base_url):]
        moved = call(r.headers["location"])
        assert moved.status == 200 and moved.body == call(url).body
        assert other.counts["download"] == 1 and emu.counts["fault:redirect"] == 2
        with pytest.raises(ValueError):
            emu.inject("redirect", to="https://cdn.example.com")  # never off the machine


def test_redirect_loop_until_cleared():
    with RunwayEmulator(job_seconds=1) as emu:
        url = finished_task(emu)["output"][0]
        loop = emu.inject("redirect", times=None)
        assert [call(url).status for _ in range(5)] == [302] * 5 and loop.hits == 5
        emu.clear_faults()
        assert call(url).status == 200


def test_empty_302_without_location_or_to_a_portal_page():
    with RunwayEmulator(job_seconds=1) as emu:
        url = finished_task(emu)["output"][0]
        emu.inject("empty_302")
        r = call(url)
        assert r.status == 302 and r.body == b"" and "location" not in r.headers
        emu.inject("empty_302", location="portal")
        r = call(url)
        assert r.status == 302 and r.headers["location"] == emu.base_url + PORTAL_PATH
        page = call(r.headers["location"])
        assert page.status == 200 and page.headers["content-type"].startswith("text/html")


def test_lying_length_declares_more_than_it_sends():
    with RunwayEmulator(job_seconds=1) as emu:
        url = finished_task(emu)["output"][0]
        real = call(url).body
        emu.inject("lying_length")
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        conn.request("GET", u.path + "?" + u.query)
        resp = conn.getresponse()
        assert resp.status == 200 and int(resp.headers["Content-Length"]) > len(real)
        with pytest.raises(http.client.IncompleteRead) as info:
            resp.read()
        assert info.value.partial == real
        conn.close()


def test_endless_body_streams_video_bytes_until_its_limit():
    with OpenAIEmulator(job_seconds=1) as emu:
        h = {"Authorization": "Bearer k"}
        vid = call(emu.base_url + "/v1/videos", "POST", body={"prompt": "x"}, headers=h).json()["id"]
        emu.clock.advance(2)
        emu.inject("endless", max_bytes=300_000)  # the Videos content route is a download too
        u = urllib.parse.urlsplit(emu.base_url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        conn.request("GET", f"/v1/videos/{vid}/content", headers=h)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.headers["Content-Type"] == "video/mp4"
        assert resp.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in resp.headers
        with pytest.raises(http.client.IncompleteRead) as info:  # cut, never a clean end
            resp.read()
        assert info.value.partial.startswith(synthetic_mp4(720, 1280, 1.0)[:64])
        assert len(info.value.partial) >= 300_000
        conn.close()
        assert call(emu.base_url + f"/v1/videos/{vid}/content", headers=h).status == 200


# ======================================================================================
# output_base and the loopback CDN
# ======================================================================================
def test_output_base_puts_output_urls_on_a_cdn():
    with CDN() as cdn, RunwayEmulator(job_seconds=1, output_base=cdn) as emu:
        cdn.origin = emu
        url = finished_task(emu)["output"][0]
        assert url.startswith(cdn.base_url + "/outputs/")
        ok = call(url)
        assert ok.status == 200 and ok.headers["content-type"] == "video/mp4"
        assert emu.requests[-1].path.startswith("/outputs/")  # the CDN pulled from the origin
        assert call(url.replace("sig=", "sig=0")).status == 403  # the origin still checks
        # A CDN output URL is the emulator's own, so it is a valid input of a later task.
        body = {"model": "aleph2", "videoUri": url, "promptText": "snow"}
        assert call(emu.base_url + "/v1/video_to_video", "POST", body=body, headers=RUNWAY).status == 200
        emu.clock.advance(emu.output_ttl + 1)
        assert call(url).status == 403


def test_the_flaky_cdn_example_from_the_docstring():
    with CDN() as cdn, RunwayEmulator(job_seconds=1, output_base=cdn) as emu:
        cdn.origin = emu
        cdn.inject("429", retry_after=0.05)
        cdn.inject("html")
        url = finished_task(emu)["output"][0]
        statuses = [call(url) for _ in range(3)]
        assert [r.status for r in statuses] == [429, 200, 200]
        assert statuses[1].headers["content-type"].startswith("text/html")
        assert statuses[2].headers["content-type"] == "video/mp4"
        assert emu.counts["jobs"] == 1 and cdn.counts["download"] == 3


def test_output_base_must_be_loopback():
    with pytest.raises(ValueError):
        RunwayEmulator(output_base="https://cdn.example.com")
    emu = RunwayEmulator(output_base="http://127.0.0.1:9/")
    emu.start()
    try:
        assert emu.output_base == "http://127.0.0.1:9"
        emu.output_base = None
        assert emu.output_base == emu.base_url
    finally:
        emu.stop()


def test_cdn_without_an_origin_answers_502():
    with CDN() as cdn:
        assert call(cdn.base_url + "/outputs/x.mp4").status == 502


# ======================================================================================
# Aiming faults
# ======================================================================================
def test_on_aims_a_fault_at_a_route_kind_or_name():
    with RunwayEmulator(job_seconds=1) as emu:
        emu.inject("503", on="poll", times=2)
        tid = call(emu.base_url + "/v1/text_to_video", "POST", body=T2V, headers=RUNWAY).json()["id"]
        statuses = [call(emu.base_url + f"/v1/tasks/{tid}", headers=RUNWAY).status for _ in range(3)]
        assert statuses == [503, 503, 200]
        emu.inject("500", on="organization.retrieve")
        assert call(emu.base_url + f"/v1/tasks/{tid}", headers=RUNWAY).status == 200
        assert call(emu.base_url + "/v1/organization", headers=RUNWAY).status == 500


# ======================================================================================
# Building blocks of a provider emulator
# ======================================================================================
class TinyEmulator(Emulator):
    """A whole provider on the kit: a key header, one model table, a submit, a poll and
    a signed download, in a few lines."""

    provider = "tiny"
    auth = Header("x-api-key")
    job_failures: ClassVar[dict[str, str]] = {"BLOCKED": "The prompt was blocked."}
    moderation_code = "BLOCKED"
    early_failures = ("BLOCKED",)
    models: ModelTable[int] = ModelTable()
    models.add("tiny-1 tiny-2", 4, "video")  # spec: the longest duration
    models.retire("tiny-0", "shut down 2026-01-01")

    def setup_routes(self) -> None:
        self.route("POST", "/jobs", self._submit, kind="submit", name="jobs.create")
        self.route("GET", r"/jobs/(?P<id>\w+)", self._poll, kind="poll", name="jobs.get")
        self.route("GET", r"/files/(?P<id>\w+)\.mp4", self._file, auth=False, kind="download")

    def _submit(self, req: Request) -> Response:
        body = req.json() or {}
        status = self.models.status(str(body.get("model")), "video")
        if status != "ok":
            raise Invalid(f"model {body.get('model')} is {status}", status=404)
        problem = check(body.get("seconds"), "seconds", required=True, type="int", minimum=1,
                        maximum=self.models.spec(body["model"], "video"))
        if problem is not None:
            raise Invalid(problem.kind, param=problem.path)
        job = self.create_job(req, f"j{len(self.scheduler.all())}", {"seconds": body["seconds"]})
        return Response.json(201, {"id": job.id})

    def _poll(self, req: Request) -> Response:
        job = self.scheduler.get(req.match["id"])
        if job is None:
            raise Invalid("no such job", status=404)
        state, progress, _ = self.scheduler.view(job)
        out = {"state": state, "progress": round(progress, 2)}
        if state == "succeeded":
            out["url"] = self.signed_url(f"/files/{job.id}.mp4", job.id)
        if job.failure and state == "failed":
            out["error"] = job.failure[0]
        return Response.json(200, out)

    def _file(self, req: Request) -> Response:
        if self.check_signed(req, req.match["id"]) != "ok":
            return Response.json(403, {"error": "expired or forged"})
        return media_response(req, synthetic_mp4(64, 36, 0.2), "video/mp4")

    def invalid_response(self, exc: Invalid, req: Request) -> Response:
        return Response.json(exc.status, {"error": exc.message, "field": exc.param})


def test_a_new_provider_emulator_is_routes_a_table_and_error_bodies():
    with TinyEmulator(expected_key="k1", job_seconds=10) as emu:
        key = {"x-api-key": "k1"}
        assert call(emu.base_url + "/jobs", "POST", body={}, headers={"x-api-key": "k2"}).status == 401
        r = call(emu.base_url + "/jobs", "POST", body={"model": "tiny-0", "seconds": 2}, headers=key)
        assert r.status == 404 and r.json()["error"] == "model tiny-0 is retired"
        r = call(emu.base_url + "/jobs", "POST", body={"model": "tiny-1", "seconds": 9}, headers=key)
        assert r.status == 400 and r.json() == {"error": "too_big", "field": "seconds"}
        jid = call(emu.base_url + "/jobs", "POST", body={"model": "tiny-1", "seconds": 3},
                   headers=key).json()["id"]
        emu.clock.advance(6)  # 2 s pending, then 8 s running: half way
        assert call(emu.base_url + f"/jobs/{jid}", headers=key).json() == {"state": "running",
                                                                           "progress": 0.5}
        emu.clock.advance(5)
        done = call(emu.base_url + f"/jobs/{jid}", headers=key).json()
        assert done["state"] == "succeeded" and call(done["url"]).status == 200
        emu.inject("moderation")
        bad = call(emu.base_url + "/jobs", "POST", body={"model": "tiny-2", "seconds": 1},
                   headers=key).json()["id"]
        emu.clock.advance(2)  # an early failure: it fails when it would start running
        assert call(emu.base_url + f"/jobs/{bad}", headers=key).json()["error"] == "BLOCKED"
        assert emu.counts["jobs"] == 2 and emu.counts["submit"] == 5 and emu.server_errors == []
        assert emu.requests.filter(kind="submit")[0].headers["x-api-key"] == "REDACTED"


def test_model_table_answers_ok_retired_unsupported_unknown():
    table: ModelTable[str] = ModelTable()
    table.add("a b", "spec-ab", "t2v", "i2v")
    table.add("c", "spec-c", "v2v")
    table.add("a", "other", "t2v", replace=False)
    table.retire("old")
    assert table.spec("a", "t2v") == "spec-ab" and table[("v2v", "c")] == "spec-c"
    assert table.ids() == ["a", "b", "c"] and table.ids("v2v") == ["c"]
    assert [table.status(m, "t2v") for m in ("a", "old", "c", "zzz")] == [
        "ok", "retired", "unsupported", "unknown"]
    assert len(table) == 5 and table.endpoints("a") == ["t2v", "i2v"]


def test_checks_and_their_wording():
    assert check(None, "x") is None
    assert check(None, "x", required=True, type="int") == Problem("x", "missing", "int")
    assert check(True, "n", type="int").kind == "type"  # a bool is not an int
    assert check("b", "r", choices=("a",)).kind == "choice"
    big = check("x" * 11, "p", type="string", maximum=10)
    assert (big.kind, big.size, big.origin) == ("too_big", 11, "string")
    assert zod_issues(big)[0]["message"] == "Too big: expected string to have <=10 characters"
    run = zod_issues(check(12, "duration", type="int", choices=tuple(range(2, 11))))[0]
    assert run["code"] == "too_big" and run["message"] == "Too big: expected number to be <=10"
    assert zod_issues(check(5, "d", type="string"))[0]["message"] == (
        "Invalid input: expected string, received number")
    exc = openai_invalid(check("9", "seconds", choices=("4", "8", "12")))
    assert exc.message == "Invalid value: '9'. Supported values are: '4', '8', and '12'."
    assert openai_invalid(check(0, "n", minimum=1, maximum=128)).message == (
        "Invalid 'n': integer between 1 and 128 expected.")


def test_wallet_charges_refunds_and_caps():
    clock = Clock()
    wallet = Wallet(clock, credits=100, daily_limit=2)
    assert wallet.charge("m", 60) is None and wallet.credits == 40
    assert wallet.charge("m", 60) == "credits" and wallet.credits == 40
    assert wallet.charge("m", 10) is None and wallet.charge("m", 1) == "daily_limit"
    clock.advance(86401)
    assert wallet.charge("m", 1) is None and wallet.daily_usage() == {"m": {"dailyGenerations": 1}}

    class J:
        def __init__(self, cost: int) -> None:
            self.data = {"cost": cost}

    failed, queued, running = J(10), J(5), J(7)
    wallet.credits = 0
    wallet.settle(failed, "failed")
    wallet.settle(failed, "failed")  # once only
    wallet.cancel(queued, "pending")
    wallet.cancel(running, "running")
    assert wallet.credits == 15 and running.data["charged"]


def test_upload_sessions_check_offsets_and_sizes():
    uploads = UploadSessions()
    s = uploads.open(5, mime="text/plain")
    assert uploads.append(s, 1, b"x") == "offset" and s.received == 0
    assert uploads.append(s, 0, b"abc") is None and uploads.append(s, 3, b"de") is None
    assert uploads.close(s.id) is s and uploads.get(s.id) is None and uploads.close(s.id) is None
    t = uploads.open(2)
    assert uploads.append(t, 0, b"abc") == "overflow" and uploads.get(t.id) is None


def test_loopback_server_shuts_down_with_an_idle_keepalive_client():
    with GeminiEmulator() as emu:
        u = urllib.parse.urlsplit(emu.base_url)
        idle = socket.create_connection((u.hostname, u.port), timeout=5)
        started = time.monotonic()
    assert time.monotonic() - started < 3  # __exit__ stopped it though a client held a socket
    idle.close()
