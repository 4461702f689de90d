"""Issue 8, red team: ways the trust promises still break after the fixes on main.

Each test was written as a strict xfail showing a defect of the code after the first trust
fixes; the defects are fixed and the tests now guard them.  A few were attacks the code already
resisted, kept for coverage.  Everything runs on loopback: small scripted servers of our own (a Runway-
shaped task API that can block, drop a connection or send odd headers; CDNs that gzip, bomb or
trickle) and tests/loopback.py's helpers.  Nothing sleeps for timing: tests wait on events.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import hashlib
import http.server
import json
import os
import pickle
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

import videonb
from videonb import errors
from videonb.providers import keys
from videonb.providers import ledger as ledger_mod
from videonb.providers.base import Request
from videonb.testing.emulators import synthetic_mp4

from loopback import Loopback, Reply, Seen, endless

KEY = "placeholder-not-a-key-redteam-0123456789"
FAST = dict(api_key=KEY, poll_interval=0.02, poll_max=0.1, progress=False)
MP4 = synthetic_mp4(seconds=1.0)
JSON = {"Content-Type": "application/json"}

#: A script's answer meaning "close the connection without answering" (after reading the request).
DROP = object()


@pytest.fixture(autouse=True)
def _no_session_keys():
    keys.clear_keys()
    yield
    keys.clear_keys()


# =============================================================================================
# Helpers: a scripted loopback server that can also drop a connection, and a Runway-shaped API
# =============================================================================================
class Scripted:
    """Like tests/loopback.py's Loopback, but ``script(seen)`` may also return DROP, and a
    ``Content-Length`` header of "" sends a close-delimited body (no length at all)."""

    def __init__(self, script):
        self.script = script
        self.seen: list[Seen] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                seen = Seen(self.command, self.path,
                            {k.lower(): v for k, v in self.headers.items()}, body)
                outer.seen.append(seen)
                reply = outer.script(seen)
                self.close_connection = True
                if reply is DROP:
                    return
                self.send_response(reply.status)
                headers = dict(reply.headers)
                headers.setdefault("Content-Length", str(len(reply.body)))
                if headers["Content-Length"] == "":       # a close-delimited body
                    del headers["Content-Length"]
                headers.setdefault("Connection", "close")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_DELETE = _any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class RunwayFake:
    """Runway's task wire format (POST /v1/<op> -> {"id"}, GET/DELETE /v1/tasks/<id>, outputs at
    /out/), with every answer scriptable:

    * ``create(seen, n)`` answers the n-th submit (1-based): a Reply or DROP (the task is made,
      then the connection breaks before the answer) — default ``{"id": "task-<n>"}``;
    * ``poll(task_id, n)`` answers the n-th poll of a task: a dict (``{OUT}`` becomes the
      output URL) or a Reply — default SUCCEEDED;
    * ``output(seen)`` answers the output URL — default a real MP4."""

    def __init__(self, create=None, poll=None, output=None):
        self.create = create or (lambda seen, n: Reply(200, json.dumps(
            {"id": f"task-{n}"}).encode(), JSON))
        self.poll = poll or (lambda tid, n: {"id": tid, "status": "SUCCEEDED",
                                             "output": ["{OUT}"]})
        self.output = output or (lambda seen: Reply(200, MP4, {"Content-Type": "video/mp4"}))
        self.polls: dict[str, int] = {}
        self.deleted: list[str] = []
        self._lock = threading.Lock()
        self.srv = Scripted(self._answer)

    def _answer(self, seen):
        if seen.method == "POST":
            with self._lock:
                n = len(self.posts())
            return self.create(seen, n)
        if seen.method == "DELETE":
            self.deleted.append(seen.path)
            return Reply(204, b"")
        if seen.path.startswith("/v1/tasks/"):
            tid = seen.path.rsplit("/", 1)[1]
            with self._lock:
                self.polls[tid] = n = self.polls.get(tid, 0) + 1
            body = self.poll(tid, n)
            if isinstance(body, Reply) or body is DROP:
                return body
            text = json.dumps(body).replace("{OUT}", f"{self.url}/out/video.mp4")
            return Reply(200, text.encode(), JSON)
        if seen.path.startswith("/out/"):
            return self.output(seen)
        return Reply(404, b'{"error": "not found"}', JSON)

    def posts(self):
        return [s for s in self.srv.seen if s.method == "POST"]

    @property
    def url(self):
        return self.srv.url

    def __enter__(self):
        self.srv.__enter__()
        return self

    def __exit__(self, *exc):
        self.srv.__exit__(*exc)


def _gen(fake, prompt, **kw):
    opts = {**FAST, **kw}
    return videonb.generate(prompt, provider="runway", base_url=fake.url,
                            seconds=opts.pop("seconds", 5), **opts)


def _fresh_process():
    """What a kernel restart does to videonb's in-memory state."""
    ledger_mod._LEDGER = None


def _request(endpoint, *, provider="runway", model="gen4.5", prompt="a kite", **kw):
    return Request("text_to_video", provider, model, prompt=prompt, seconds=5,
                   ratio="1280:720" if provider == "runway" else "16:9", endpoint=endpoint, **kw)


def _insert_row(led, **fields):
    """A ledger row written the way a cloned repository could have written it."""
    import sqlite3

    now = time.time()
    row = {"id": "vnb_foreign00000001", "provider": "runway", "model": "gen4.5",
           "operation": "text_to_video", "request": _request(None).to_json(),
           "cache_key": "k" * 64, "prompt_hash": None, "remote_id": None, "status": "created",
           "cost_estimate": 0.6, "session": "other", "created_at": now, "updated_at": now,
           "owner": "0" * 32, **fields}
    with sqlite3.connect(led.path) as c:
        c.execute(f"INSERT INTO jobs ({', '.join(row)}) VALUES ({','.join('?' * len(row))})",
                  tuple(row.values()))
    return row["id"]


def _fetch(url, dest, **kw):
    from videonb.media.fetch import fetch

    return fetch(url, dest, **kw)


# =============================================================================================
# Money: a billed job lost, or a request billed twice
# =============================================================================================
def test_cancelling_generate_async_during_its_submit_keeps_the_billed_task(home):
    received, release = threading.Event(), threading.Event()

    def create(seen, n):
        received.set()
        release.wait(10)
        return Reply(200, b'{"id": "task-1"}', JSON)   # the provider made the task

    with RunwayFake(create=create) as fake:
        async def run():
            task = asyncio.ensure_future(videonb.generate_async(
                "a kite, cancelled mid-submit", provider="runway", base_url=fake.url, seconds=5,
                api_key=KEY, poll_interval=0.02))
            assert await asyncio.to_thread(received.wait, 10)
            task.cancel()
            release.set()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(run())
        rec = videonb.jobs()[0]
        # the billed task is either known (resumable) or cancelled at the provider
        assert rec.remote_id == "task-1" or fake.deleted == ["/v1/tasks/task-1"], rec


_CANCEL_CHILD = textwrap.dedent("""
    import sys, videonb
    videonb.cancel(sys.argv[1], base_url=sys.argv[2], api_key=sys.argv[3])
""")


def test_cancel_from_another_kernel_during_the_submit_cancels_at_the_provider(home):
    received, release = threading.Event(), threading.Event()

    def create(seen, n):
        received.set()
        release.wait(30)
        return Reply(200, b'{"id": "task-1"}', JSON)

    with RunwayFake(create=create) as fake:
        job = _gen(fake, "a kite cancelled by the other kernel", wait=False)
        assert received.wait(10)
        child = subprocess.run([sys.executable, "-c", _CANCEL_CHILD, job.id, fake.url, KEY],
                               capture_output=True, text=True, timeout=120)
        release.set()
        assert child.returncode == 0, child.stderr
        with pytest.raises(errors.JobCancelledError):
            job.result(timeout=30)
        rec = ledger_mod.ledger().get(job.id)
        assert fake.deleted == ["/v1/tasks/task-1"] or rec.remote_id == "task-1", (
            fake.deleted, rec)


def test_a_crash_during_an_internal_resubmit_is_not_submitted_again_on_resume(home):
    failed = {"id": "task-1", "status": "FAILED", "failureCode": "INTERNAL.BAD_OUTPUT.CODE01",
              "failure": "An unexpected error occurred."}
    with RunwayFake(poll=lambda tid, n: failed if tid == "task-1" else
                    {"id": tid, "status": "SUCCEEDED", "output": ["{OUT}"]}) as fake:
        led = ledger_mod.ledger()
        req = _request(fake.url)
        rec = led.create(provider="runway", model="gen4.5", operation=req.operation,
                         request_json=req.to_json(), cache_key=req.cache_key(fake.url),
                         prompt_hash=req.prompt_hash, cost_estimate=0.6)
        # exactly what _drive writes just before the resubmit's POST ... and then the kernel died
        led.update(rec.id, status="submitting", remote_id="task-1", submitted_at=time.time(),
                   error_code="INTERNAL.BAD_OUTPUT.CODE01",
                   error_message="retrying after INTERNAL.BAD_OUTPUT.CODE01")
        _fresh_process()
        (out,) = videonb.resume(api_key=KEY, base_url=fake.url, poll_interval=0.02)
        # the resubmit may have reached Runway: like any row caught in 'submitting', it must not
        # be submitted again by itself
        assert fake.posts() == [], out


def test_running_the_cell_again_after_an_ambiguous_submit_does_not_bill_twice(home):
    def create(seen, n):
        if n == 1:
            return DROP          # Runway made task-1, the answer never arrived
        return Reply(200, json.dumps({"id": f"task-{n}"}).encode(), JSON)

    with RunwayFake(create=create) as fake:
        with pytest.raises(errors.ProviderHTTPError, match="may or may not exist"):
            _gen(fake, "a kite over a flaky network")
        try:
            _gen(fake, "a kite over a flaky network")      # the user runs the cell again
        except errors.VideonbError:
            pass                                           # e.g. "check job vnb_… first"
        assert len(fake.posts()) == 1


def test_an_ambiguous_submit_counts_toward_the_budget(home, monkeypatch):
    monkeypatch.setattr(videonb.config, "budget_usd", 1.0)

    def create(seen, n):
        return DROP if n == 1 else Reply(200, json.dumps({"id": f"task-{n}"}).encode(), JSON)

    with RunwayFake(create=create) as fake:
        with pytest.raises(errors.ProviderHTTPError):
            _gen(fake, "kite one")                         # $0.60, maybe billed
        with pytest.raises(errors.BudgetExceededError):
            _gen(fake, "kite two")                         # $0.60 more would pass $1.00


def test_cancelling_during_the_download_keeps_the_paid_output(home):
    started, release = threading.Event(), threading.Event()

    def output(seen):
        started.set()
        release.wait(20)
        return Reply(200, MP4, {"Content-Type": "video/mp4"})

    with RunwayFake(output=output) as fake:
        job = _gen(fake, "a kite, downloading slowly", wait=False)
        assert started.wait(20)
        assert job.status == "downloading"
        job.cancel()                                      # what the Interrupt button does
        release.set()
        rec = ledger_mod.ledger().get(job.id)
        assert fake.deleted == [] and rec.status != "cancelled", (fake.deleted, rec.status)


def test_a_truncated_output_is_never_stored_as_the_paid_result(home):
    half = MP4[: len(MP4) // 2]
    with RunwayFake(output=lambda seen: Reply(200, half, {"Content-Type": "video/mp4",
                                                          "Content-Length": ""})) as fake:
        try:
            v = _gen(fake, "a kite, cut off halfway")
        except errors.DownloadError:
            return                                        # resumable: fine
        assert v.path.read_bytes() == MP4, "a truncated file became the paid result"


def test_an_unpriced_model_does_not_slip_past_the_budget(home, tmp_path, monkeypatch):
    monkeypatch.setattr(videonb.config, "budget_usd", 0.01)
    clip = tmp_path / "in.mp4"
    clip.write_bytes(MP4)
    with RunwayFake() as fake:
        try:
            videonb.stylize(clip, "anime", provider="runway", model="aleph2",
                            base_url=fake.url, **FAST)
        except errors.BudgetExceededError:
            pass
        assert fake.posts() == []        # a budget of $0.01 sends no job of unknown price


def test_a_foreign_cached_row_does_not_answer_for_this_users_request(home):
    with RunwayFake() as fake:
        prompt = "a paper boat on a pond at sunset"       # the README's example
        req = _request(fake.url.rstrip("/"), prompt=prompt)
        led = ledger_mod.ledger()
        planted = synthetic_mp4(seconds=1.0, width=160, height=90)   # "their" video
        digest = hashlib.sha256(planted).hexdigest()
        path = led.store / digest[:2] / f"{digest}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(planted)
        _insert_row(led, id="vnb_planted_cache01", request=req.to_json(),
                    cache_key=req.cache_key(fake.url.rstrip("/")), status="succeeded",
                    remote_id="task-theirs", output_hash=digest, output_path=str(path),
                    finished_at=time.time())
        v = _gen(fake, prompt)
        assert v.provenance["job_id"] != "vnb_planted_cache01" and len(fake.posts()) == 1


# =============================================================================================
# A ledger is data, never instructions (a cloned repository's .videonb/)
# =============================================================================================
def test_a_crafted_row_id_cannot_touch_files_outside_the_store(home, tmp_path):
    victim = tmp_path / "wedding.mp4"
    victim.write_bytes(b"the only copy")
    led = ledger_mod.ledger()
    (led.store / ".render-..").mkdir()                 # shipped with the cloned store
    climb = "../" * 40 + str(victim.with_suffix("")).lstrip("/")
    _insert_row(led, id=climb, provider="local", model="local-v1", status="running",
                request=_request(None, provider="local", model="local-v1").to_json())
    videonb.resume()                                   # "pick up where the course left off"
    assert victim.exists() and victim.read_bytes() == b"the only copy"


def test_a_crafted_input_path_never_reads_or_closes_a_file_descriptor(home):
    r, w = os.pipe()
    os.write(w, b"not an image")
    os.close(w)
    ino = os.fstat(r).st_ino
    try:
        led = ledger_mod.ledger()
        req = _request(None, provider="local", model="local-v1", inputs={"image": "0" * 64},
                       input_paths={"image": r})
        jid = _insert_row(led, provider="local", model="local-v1", status="running",
                          request=req.to_json())
        (out,) = videonb.resume(jid)
        assert isinstance(out, errors.VideonbError)
        st = os.fstat(r)                     # still ours, still the pipe
        assert stat.S_ISFIFO(st.st_mode) and st.st_ino == ino
    finally:
        try:
            os.close(r)
        except OSError:
            pass


def test_a_row_running_without_a_task_id_is_a_clear_error_at_once(home):
    with RunwayFake() as fake:
        led = ledger_mod.ledger()
        jid = _insert_row(led, status="running", request=_request(fake.url).to_json())
        (out,) = videonb.resume(jid, timeout=1.0, api_key=KEY, base_url=fake.url)
        assert isinstance(out, (errors.LedgerError, errors.JobOriginError)), repr(out)
        assert fake.posts() == []


def test_a_lease_from_the_future_does_not_block_the_request_forever(home):
    with RunwayFake() as fake:
        prompt = "a kite nobody flies"
        req = _request(fake.url, prompt=prompt)
        led = ledger_mod.ledger()
        _insert_row(led, status="running", remote_id="task-9", request=req.to_json(),
                    cache_key=req.cache_key(fake.url), lease_owner="elsewhere:1:abc",
                    lease_at=time.time() + 1e9)
        try:
            _gen(fake, prompt, timeout=1.0)
        except errors.JobTimeoutError as exc:
            pytest.fail(f"waited on a lease from the future: {exc}")


def test_a_stale_lease_of_a_live_pid_is_taken_over(home):
    """Resisted: pid 1 is alive, but a heartbeat an hour old is not a live lease."""
    with RunwayFake() as fake:
        led = ledger_mod.ledger()
        jid = _insert_row(led, status="running", remote_id="task-1",
                          request=_request(fake.url).to_json(),
                          lease_owner=f"{ledger_mod.HOST}:1:oldsession",
                          lease_at=time.time() - 3600)
        (v,) = videonb.resume(jid, api_key=KEY, base_url=fake.url, poll_interval=0.02)
        assert isinstance(v, videonb.Video) and fake.posts() == []


def test_an_endpoint_is_compared_as_a_server_not_as_text(home):
    """Resisted: case and a trailing slash do not make another server; a userinfo trick, a
    scheme or a port do, and get nothing (not even a connection)."""
    with RunwayFake() as fake:
        led = ledger_mod.ledger()
        port = fake.url.rsplit(":", 1)[1]
        same = _insert_row(led, id="vnb_same_server_01", status="running", remote_id="task-1",
                           request=_request(f"HTTP://127.0.0.1:{port}/").to_json())
        (v,) = videonb.resume(same, api_key=KEY, base_url=fake.url, poll_interval=0.02)
        assert isinstance(v, videonb.Video)
        for i, other in enumerate((f"http://127.0.0.1:{port}@evil.invalid",
                                   f"https://127.0.0.1:{port}", f"http://127.0.0.1:{port}0")):
            jid = _insert_row(led, id=f"vnb_other_server_{i}", status="running",
                              remote_id="task-2", request=_request(other).to_json())
            (out,) = videonb.resume(jid, api_key=KEY, base_url=fake.url)
            assert isinstance(out, errors.JobOriginError), other
        assert fake.polls == {"task-1": 1}


def test_a_dot_dot_task_id_stays_inside_the_tasks_collection(home):
    """(Fixed by refusing the row: a task id that is not one path segment is never used.)"""
    with RunwayFake() as fake:
        led = ledger_mod.ledger()
        jid = _insert_row(led, status="running", remote_id="..",
                          request=_request(fake.url).to_json())
        with pytest.raises(errors.LedgerError, match="task id"):
            videonb.cancel(jid, api_key=KEY, base_url=fake.url)
        assert all(p.startswith("/v1/tasks/") for p in fake.deleted), fake.deleted


# =============================================================================================
# Raw exceptions out of public functions
# =============================================================================================
@pytest.mark.parametrize("request_json", ["{not json", json.dumps(
    {**json.loads(_request(None).to_json()), "evil": 1})], ids=["not-json", "unknown-field"])
def test_cancel_of_an_unreadable_row_is_a_videonb_error(home, request_json):
    led = ledger_mod.ledger()
    jid = _insert_row(led, status="running", remote_id="task-1", request=request_json)
    with pytest.raises(errors.VideonbError):
        videonb.cancel(jid)


def test_a_crafted_cached_row_never_raises_a_raw_exception_from_generate(home):
    with RunwayFake() as fake:
        prompt = "a kite, cached by someone else"
        req = _request(fake.url, prompt=prompt)
        led = ledger_mod.ledger()
        _insert_row(led, status="succeeded", request=req.to_json(),
                    cache_key=req.cache_key(fake.url), output_hash="ab" * 32,
                    output_path="/tmp/x\x00.mp4", finished_at=time.time())
        try:
            _gen(fake, prompt, progress=True)          # the default of generate()
        except errors.VideonbError:
            pass


def test_a_job_from_an_odd_row_still_shows(home):
    with RunwayFake() as fake:
        led = ledger_mod.ledger()
        jid = _insert_row(led, status="running", remote_id="task-1", progress="half",
                          request=_request(fake.url).to_json(), lease_owner="elsewhere:1:x",
                          lease_at=time.time() + 30)
        (job,) = videonb.resume(jid, api_key=KEY, base_url=fake.url)
        assert isinstance(job, videonb.Job)
        assert jid in repr(job) and jid in job._repr_html_()


def test_errors_pickle_without_the_key():
    """Resisted: errors survive pickling (multiprocessing, joblib) and stay redacted."""
    keys.register_secret(KEY)
    for exc in (errors.ProviderHTTPError(f"boom {KEY}", provider="runway", status=500),
                errors.DownloadError(f"cdn said {KEY}", url="http://x", status=429),
                errors.LedgerError(f"row says {KEY}")):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and KEY[:8] not in str(back) + repr(back)


# =============================================================================================
# Every wait bounded
# =============================================================================================
@pytest.mark.parametrize("answer", [
    Reply(200, b'{"id": "task-1", "status": "RUNNING"}', {**JSON, "Retry-After": "100000"}),
    Reply(200, b'{"id": "task-1", "status": "RUNNING"}', {**JSON, "Retry-After": "inf"}),
    Reply(429, b'{"error": "slow down"}', {**JSON, "Retry-After": "1e9"}),
], ids=["running-retry-after-1e5", "running-retry-after-inf", "429-retry-after-1e9"])
def test_a_servers_retry_after_never_outlasts_the_timeout(home, answer):
    with RunwayFake(poll=lambda tid, n: answer) as fake:
        async def run():
            return await asyncio.wait_for(videonb.generate_async(
                "a patient kite", provider="runway", base_url=fake.url, seconds=5, api_key=KEY,
                poll_interval=0.02, timeout=0.5), 3)

        with pytest.raises(errors.JobTimeoutError):
            asyncio.run(run())


def _trickle_server(lines: int, done: threading.Event):
    """A server that answers one header line every 0.1 s (each read well inside any read
    timeout), then a real MP4: a slowloris answer."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    sock.settimeout(10)

    def run():
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n")
                for i in range(lines):
                    if done.wait(0.1):
                        return
                    conn.sendall(b"X-Slow-%d: y\r\n" % i)
                conn.sendall(b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(MP4) + MP4)
            except OSError:
                pass
            finally:
                done.set()

    threading.Thread(target=run, daemon=True).start()
    return sock


def test_trickled_headers_are_bounded_by_the_total_time_limit(tmp_path):
    done = threading.Event()
    sock = _trickle_server(40, done)                   # 4 s of headers
    try:
        port = sock.getsockname()[1]
        with pytest.raises(errors.DownloadError):
            _fetch(f"http://127.0.0.1:{port}/o.mp4", tmp_path / "o.mp4", total_timeout=0.5,
                   read_timeout=0.5, transport_retries=0)
        assert not done.is_set(), "fetch waited for the whole trickle"
    finally:
        done.set()
        sock.close()


def test_a_trickled_body_is_bounded_by_the_total_time_limit(tmp_path):
    """Resisted: a body that trickles is cut at the total time limit (checked per chunk)."""
    stop = threading.Event()

    def slow_body():
        for _ in range(400):
            if stop.wait(0.02):
                return
            yield b"\0" * 16

    try:
        with Loopback(lambda s: Reply(200, slow_body(), {"Content-Type": "video/mp4",
                                                         "Content-Length": "6400"})) as cdn:
            with pytest.raises(errors.DownloadError, match="not complete after"):
                _fetch(cdn.url + "/o.mp4", tmp_path / "o.mp4", total_timeout=0.5)
    finally:
        stop.set()


# =============================================================================================
# Downloads: compression
# =============================================================================================
def test_a_gzip_encoding_cdn_with_a_content_length_still_delivers(tmp_path):
    with Loopback(lambda s: Reply(200, gzip.compress(MP4), {
            "Content-Type": "video/mp4", "Content-Encoding": "gzip"})) as cdn:
        got = _fetch(cdn.url + "/o.mp4", tmp_path / "o.mp4")
    assert got.path.read_bytes() == MP4


def _gzip_of_zeros(n_mib: int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1 << 20)
    return b"".join([*(z.compress(block) for _ in range(n_mib)), z.flush()])


def test_a_nested_gzip_bomb_is_stopped_within_the_byte_cap(tmp_path):
    inner = _gzip_of_zeros(128)                        # 128 MiB of zeros, ~130 kB
    bomb = gzip.compress(inner, 9)                     # a few kB on the wire
    with Loopback(lambda s: Reply(200, bomb, {"Content-Type": "video/mp4",
                                              "Content-Encoding": "gzip, gzip"})) as cdn:
        tracemalloc.start()
        try:
            with pytest.raises(errors.DownloadError):
                _fetch(cdn.url + "/o.mp4", tmp_path / "o.mp4", max_bytes=1 << 20)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 32 << 20, f"{peak / 2**20:.0f} MiB in memory for a 1 MiB cap"


def test_the_byte_cap_counts_decoded_bytes(tmp_path):
    """Resisted: an endless gzip-encoded body is stopped by the cap on what it decodes to."""
    def gz_endless():
        z = zlib.compressobj(1, zlib.DEFLATED, 31)
        for chunk in endless(b"\0" * 65536):
            yield z.compress(chunk) + z.flush(zlib.Z_SYNC_FLUSH)

    with Loopback(lambda s: Reply(200, gz_endless(), {"Content-Type": "video/mp4",
                                                      "Content-Encoding": "gzip"})) as cdn:
        with pytest.raises(errors.DownloadError, match="more than 2.0 MB arrived"):
            _fetch(cdn.url + "/o.mp4", tmp_path / "o.mp4", max_bytes=2_000_000)
    assert not list(tmp_path.iterdir())


def test_a_redirect_to_another_port_of_the_same_host_drops_credentials(tmp_path):
    """Resisted: the origin includes the port (another local service gets no key)."""
    with Loopback(lambda s: Reply(200, MP4, {"Content-Type": "video/mp4"})) as other:
        with Loopback(lambda s: Reply(302, b"", {"Location": other.url + "/o.mp4"})) as api:
            _fetch(api.url + "/content", tmp_path / "o.mp4",
                   headers={"Authorization": "Bearer " + KEY, "X-Api-Key": KEY})
    assert "authorization" not in other.seen[0].headers
    assert "x-api-key" not in other.seen[0].headers


def test_a_retry_after_http_date_is_honoured_by_downloads(tmp_path):
    """Resisted: fetch reads Retry-After as an HTTP date too."""
    answers = iter([Reply(503, b"", {"Retry-After": email.utils.formatdate(usegmt=True)}),
                    Reply(200, MP4, {"Content-Type": "video/mp4"})])
    with Loopback(lambda s: next(answers)) as cdn:
        assert _fetch(cdn.url + "/o.mp4", tmp_path / "o.mp4").size == len(MP4)


def test_a_retry_after_http_date_on_a_submit_is_a_burst_limit_not_the_daily_cap(home):
    def create(seen, n):
        if n == 1:
            when = email.utils.formatdate(time.time(), usegmt=True)
            return Reply(429, b'{"error": "Too many requests"}', {**JSON, "Retry-After": when})
        return Reply(200, json.dumps({"id": f"task-{n}"}).encode(), JSON)

    with RunwayFake(create=create) as fake:
        v = _gen(fake, "a kite in a burst")
    assert v.info.frame_count > 0 and len(fake.posts()) == 2


# =============================================================================================
# Keys and redaction
# =============================================================================================
def test_redaction_never_rewrites_the_recorded_request(home):
    prompt = "helmets required on the bike ride"
    with RunwayFake() as fake:
        v = _gen(fake, prompt, api_key="sk-no-key-required")
    rec = ledger_mod.ledger().get(v.provenance["job_id"])
    assert Request.from_json(rec.request).prompt == prompt


def _pieces(secret: str) -> list[str]:
    return [secret[i:i + 8] for i in range(len(secret) - 7)]


def test_a_key_echoed_in_an_error_code_stays_out_of_the_ledger(home):
    def create(seen, n):
        auth = seen.headers.get("authorization", "")
        body = {"error": {"message": "invalid credentials", "code": f"bad_key:{auth[7:]}"}}
        return Reply(400, json.dumps(body).encode(), JSON)

    with RunwayFake(create=create) as fake:
        with pytest.raises(errors.ProviderHTTPError) as info:
            _gen(fake, "a kite with a rejected key")
    led = ledger_mod.ledger()
    led.close()
    stored = b"".join(p.read_bytes() for p in led.root.glob("ledger.sqlite3*"))
    shown = repr(videonb.jobs()) + videonb.jobs()._repr_html_() + str(info.value.detail_code)
    for piece in _pieces(KEY):
        assert piece.encode() not in stored and piece not in shown, piece


def test_cancelling_one_of_two_waiters_does_not_cancel_the_other(home):
    polled, finish = threading.Event(), threading.Event()

    def poll(tid, n):
        polled.set()
        if finish.is_set():
            return {"id": tid, "status": "SUCCEEDED", "output": ["{OUT}"]}
        return {"id": tid, "status": "RUNNING", "progress": 0.5}

    with RunwayFake(poll=poll) as fake:
        async def run():
            def call():
                return asyncio.ensure_future(videonb.generate_async(
                    "one kite, two cells", provider="runway", base_url=fake.url, seconds=5,
                    api_key=KEY, poll_interval=0.02, poll_max=0.05))

            first, second = call(), call()
            assert await asyncio.to_thread(polled.wait, 10)
            first.cancel()
            finish.set()
            return await asyncio.wait_for(second, 20)

        v = asyncio.run(run())
        assert isinstance(v, videonb.Video) and len(fake.posts()) == 1


def _owned_by_someone_else(path: Path) -> None:
    os.chown(path, 65534, 65534)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to give a file to another user")
def test_a_dotenv_and_ledger_of_another_user_are_not_used(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    (shared / "me").mkdir(parents=True)
    dotenv = shared / ".env"
    dotenv.write_text("RUNWAYML_API_SECRET=someone-elses-key-0123456789\n")
    _owned_by_someone_else(dotenv)
    theirs = shared / ".videonb"
    theirs.mkdir()
    _owned_by_someone_else(theirs)
    monkeypatch.chdir(shared / "me")
    monkeypatch.delenv("VIDEONB_HOME", raising=False)
    monkeypatch.delenv("RUNWAYML_API_SECRET", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "myhome"))
    with pytest.warns(UserWarning, match="belongs to another user"):
        assert keys.find_key(["RUNWAYML_API_SECRET"]) is None
    assert ledger_mod.home() != theirs
