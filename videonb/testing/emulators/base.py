"""The machinery every emulator shares: a loopback HTTP server, a request log,
a simulated clock, a job scheduler and fault injection.

An emulator is a :class:`http.server.ThreadingHTTPServer` bound to
``127.0.0.1`` on a free port, served from a daemon thread.  It never opens an
outbound connection: URLs given to it are only checked for shape, never
fetched.  Only the standard library is used at runtime; PyAV, numpy and OpenCV
(all videonb dependencies) are imported lazily to make the generated media.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "HTTP_FAULTS",
    "Clock",
    "Emulator",
    "Fault",
    "Job",
    "JobScheduler",
    "LoggedRequest",
    "NetworkBlocked",
    "Request",
    "RequestLog",
    "Response",
    "loopback_only",
]

#: Faults every emulator understands, applied before routing.
HTTP_FAULTS = frozenset({"401", "429", "500", "503", "reset", "slow"})
#: Faults consumed by the endpoint they concern (each emulator lists those it supports).
COMMON_FAULTS = frozenset({"malformed_json", "moderation", "expired_output", "job_failure"})

#: Headers and query parameters whose values never reach the request log.
SECRET_HEADERS = frozenset({"authorization", "x-goog-api-key", "api-key", "x-api-key", "cookie"})
SECRET_PARAMS = frozenset({"key", "api_key", "access_token"})
REDACTED = "REDACTED"


# --------------------------------------------------------------------------------------
# Requests and responses
# --------------------------------------------------------------------------------------
class Request:
    """One parsed HTTP request as a handler sees it."""

    def __init__(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        base_url: str,
    ) -> None:
        self.method = method.upper()
        self.target = target
        split = urllib.parse.urlsplit(target)
        self.path = urllib.parse.unquote(split.path) or "/"
        self.raw_query = split.query
        self.query: dict[str, list[str]] = urllib.parse.parse_qs(
            split.query, keep_blank_values=True
        )
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body
        self.base_url = base_url
        self.match: re.Match[str] | None = None  # set by the router
        self._json: Any = None
        self._json_done = False

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it is not JSON)."""
        if not self._json_done:
            text = self.body.decode("utf-8") if self.body else ""
            self._json = json.loads(text) if text.strip() else None
            self._json_done = True
        return self._json

    def bearer_token(self) -> str | None:
        auth = self.header("authorization") or ""
        if auth[:7].lower() == "bearer ":
            token = auth[7:].strip()
            return token or None
        return None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None

    @classmethod
    def json(cls, status: int, obj: Any, headers: Mapping[str, str] | None = None) -> Response:
        body = json.dumps(obj, separators=(",", ":")).encode("utf-8")
        return cls(status, body, dict(headers or {}), "application/json; charset=utf-8")

    @classmethod
    def empty(cls, status: int = 204, headers: Mapping[str, str] | None = None) -> Response:
        return cls(status, b"", dict(headers or {}), None)


class _Reset(Exception):
    """Raised inside a handler to drop the connection without answering."""


# --------------------------------------------------------------------------------------
# Request log
# --------------------------------------------------------------------------------------
@dataclass
class LoggedRequest:
    """One request as recorded in :attr:`Emulator.requests`.

    ``headers`` has lower-case names; credentials (``Authorization``,
    ``x-goog-api-key``, …) are replaced by ``"REDACTED"``, as is a ``key``
    query parameter in ``query``."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body_size: int
    time: float
    status: int | None = None  # None while in flight, or when the connection was reset
    fault: str | None = None  # the injected fault that answered it, if any

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}{' fault=' + self.fault if self.fault else ''}>"


class RequestLog(Sequence[LoggedRequest]):
    """A thread-safe, append-only list of :class:`LoggedRequest`."""

    def __init__(self) -> None:
        self._items: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def _append(self, item: LoggedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index):  # type: ignore[override]
        with self._lock:
            return self._items[index]

    def __iter__(self) -> Iterator[LoggedRequest]:
        with self._lock:
            return iter(list(self._items))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def filter(self, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        """Requests whose method equals *method* and whose path contains *path*."""
        return [
            r
            for r in self
            if (method is None or r.method == method.upper()) and (path is None or path in r.path)
        ]

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self]

    def __repr__(self) -> str:
        return f"RequestLog({list(self)!r})"


# --------------------------------------------------------------------------------------
# Simulated clock and jobs
# --------------------------------------------------------------------------------------
class Clock:
    """Wall time plus an offset that tests can move forward with :meth:`advance`.

    Job progress, throttling, file processing and URL expiry all read this clock,
    so ``emu.clock.advance(3600)`` expires every output URL at once without waiting."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the emulated server sees them."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds

    @property
    def offset(self) -> float:
        return self._offset


@dataclass
class Job:
    """A simulated asynchronous job (a Runway task, an OpenAI video, …).

    Times are :class:`Clock` times.  A job waits ``pending_seconds`` after creation,
    then for a free slot (while it waits for one it is *throttled*), then runs for
    ``run_seconds``; ``failure`` set means it ends failed instead of succeeded."""

    id: str
    created: float
    pending_seconds: float
    run_seconds: float
    failure: tuple[str, str] | None = None  # (code, message)
    fail_early: bool = False  # input moderation: fails when it would start running
    started: float | None = None
    ended: float | None = None
    cancelled: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    def state(self, now: float) -> str:
        """One of ``pending``, ``throttled``, ``running``, ``succeeded``, ``failed``, ``cancelled``."""
        if self.cancelled:
            return "cancelled"
        if self.ended is not None and self.ended <= now:
            return "failed" if self.failure else "succeeded"
        if self.started is not None:
            return "running"
        if now >= self.created + self.pending_seconds:
            return "throttled"
        return "pending"

    def progress(self, now: float) -> float:
        """0..1 while running (1 once ended)."""
        if self.started is None:
            return 0.0
        if self.ended is not None and self.ended <= now:
            return 1.0
        if self.run_seconds <= 0:
            return 1.0
        return max(0.0, min(0.999, (now - self.started) / self.run_seconds))


class JobScheduler:
    """Runs :class:`Job` objects against a :class:`Clock` with an optional concurrency limit.

    The state is computed lazily, event by event, whenever it is read, so it does not
    depend on how often anyone polls."""

    def __init__(self, clock: Clock, concurrency: int | None = None) -> None:
        self.clock = clock
        self.concurrency = concurrency
        self.jobs: dict[str, Job] = {}
        self._order: list[Job] = []
        self._cursor = float("-inf")
        self._lock = threading.RLock()

    def add(self, job: Job) -> Job:
        with self._lock:
            self.tick()
            self.jobs[job.id] = job
            self._order.append(job)
            return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            self.tick()
            return self.jobs.get(job_id)

    def remove(self, job_id: str) -> None:
        with self._lock:
            job = self.jobs.pop(job_id, None)
            if job is not None:
                self._order.remove(job)

    def cancel(self, job: Job) -> None:
        with self._lock:
            now = self.tick()
            job.cancelled = True
            if job.ended is None or job.ended > now:
                job.ended = now

    def view(self, job: Job) -> tuple[str, float, float]:
        """(state, progress, now) of *job*, all read at one instant of the clock."""
        with self._lock:
            now = self.tick()
            return job.state(now), job.progress(now), now

    def state(self, job: Job) -> str:
        return self.view(job)[0]

    def all(self) -> list[Job]:
        with self._lock:
            self.tick()
            return list(self._order)

    def tick(self, now: float | None = None) -> float:
        """Apply every event up to *now* (default: the clock's now); return that time."""
        if now is None:
            now = self.clock.now()
        with self._lock:
            while True:
                active = [j for j in self._order if not j.cancelled and j.ended is None]
                running = [j for j in active if j.started is not None]
                waiting = [j for j in active if j.started is None]
                events: list[tuple[float, int, Job]] = []
                for j in running:
                    events.append((j.started + j.run_seconds, 0, j))  # type: ignore[operator]
                limit = self.concurrency
                if waiting and (limit is None or len(running) < limit):
                    w = waiting[0]
                    events.append((max(w.created + w.pending_seconds, self._cursor), 1, w))
                if not events:
                    break
                when, kind, job = min(events, key=lambda e: (e[0], e[1]))
                if when > now:
                    break
                self._cursor = max(self._cursor, when)
                if kind == 0:
                    job.ended = when
                elif job.fail_early and job.failure:
                    job.started = when
                    job.ended = when
                else:
                    job.started = when
        return now


# --------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------
class Fault:
    """One injected fault; see :meth:`Emulator.inject`."""

    def __init__(
        self,
        kind: str,
        times: int | None,
        match: str | Callable[[str, str], bool] | None,
        options: dict[str, Any],
    ) -> None:
        self.kind = kind
        self.remaining = times  # None: forever
        self.match = match
        self.options = options
        self.hits = 0

    @property
    def active(self) -> bool:
        return self.remaining is None or self.remaining > 0

    def matches(self, method: str, path: str) -> bool:
        m = self.match
        if m is None:
            return True
        if callable(m):
            return bool(m(method, path))
        text = m.strip()
        head, _, rest = text.partition(" ")
        if rest and head.isalpha() and head.isupper():
            return method == head and rest.strip() in path
        return text in path

    def _consume(self) -> None:
        self.hits += 1
        if self.remaining is not None:
            self.remaining -= 1

    def __repr__(self) -> str:
        left = "∞" if self.remaining is None else self.remaining
        return f"Fault({self.kind!r}, remaining={left}, hits={self.hits}, match={self.match!r})"


# --------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------
class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # bursts of concurrent clients (socketserver's default backlog is 5)
    emulator: Emulator

    def __init__(self, addr, handler, emulator: Emulator) -> None:
        self.emulator = emulator
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(addr, handler)

    def process_request(self, request, client_address):  # type: ignore[override]
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):  # type: ignore[override]
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        """Clients that hang up mid-answer are normal here (resets, timeouts): stay quiet;
        anything else is an emulator bug, kept in ``emulator.server_errors``."""
        import sys

        if isinstance(sys.exc_info()[1], OSError):
            return
        self.emulator.server_errors.append(traceback.format_exc())

    def close_all_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
            self._conns.clear()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "videonb-emulator"
    sys_version = ""
    timeout = 30  # idle keep-alive connections are closed after this
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        emu = self.server.emulator
        body = self._read_body()
        req = Request(self.command, self.path, dict(self.headers.items()), body, emu.base_url)
        try:
            resp = emu._dispatch(req)
        except _Reset:
            self._reset()
            return
        self._send(resp)

    def _send(self, resp: Response) -> None:
        self.send_response(resp.status)
        headers = dict(resp.headers)
        if resp.content_type and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = resp.content_type
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD" and resp.body:
            self.wfile.write(resp.body)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST and no response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


Handler = Callable[[Request], Response]


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool


# --------------------------------------------------------------------------------------
# The base class
# --------------------------------------------------------------------------------------
class Emulator:
    """Base class of the provider emulators.

    Parameters common to every emulator:

    expected_key
        The only API key accepted; any other key gets the provider's real
        authentication error.  ``None`` (default) accepts any non-empty key; a
        missing key is always rejected.
    job_seconds
        Wall-clock length of a simulated job from creation to its end (default 0.2 s).
        The first fifth is the queued/pending phase.
    output_ttl
        Seconds an output URL or downloadable result stays valid (simulated clock).
    video_seconds
        Length of the generated MP4 (default 1 s).
    """

    #: Provider name used in messages.
    provider = "emulator"
    #: Faults accepted by :meth:`inject` besides :data:`HTTP_FAULTS`.
    provider_faults: frozenset[str] = COMMON_FAULTS

    def __init__(
        self,
        *,
        expected_key: str | None = None,
        job_seconds: float = 0.2,
        output_ttl: float = 3600.0,
        video_seconds: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("emulators only listen on the loopback interface")
        self.expected_key = expected_key
        self.job_seconds = float(job_seconds)
        self.output_ttl = float(output_ttl)
        self.video_seconds = float(video_seconds)
        self.host = host
        self.port = port
        self.clock = Clock()
        self.requests = RequestLog()
        #: Exceptions raised by the emulator's own handlers (each also answered with a 500).
        self.server_errors: list[str] = []
        self._faults: list[Fault] = []
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None
        self._routes: list[_Route] = []
        self.setup_routes()

    # ---- lifecycle ---------------------------------------------------------------
    def start(self) -> str:
        """Start serving; return the base URL (``http://127.0.0.1:PORT``)."""
        if self._server is not None:
            return self.base_url
        server = _Server((self.host, self.port), _Handler, self)
        self._server = server
        host, port = server.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        self._base_url = f"http://{shown}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},  # also how long stop() waits
            name=f"{type(self).__name__}@{port}",
            daemon=True,
        )
        self._thread.start()
        return self._base_url

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        server.shutdown()
        server.close_all_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError(
                "the emulator is not started: call start() or use it as a context manager"
            )
        return self._base_url

    @property
    def port_number(self) -> int:
        """The TCP port the emulator listens on (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return int(self._server.server_address[1])

    @property
    def running(self) -> bool:
        return self._server is not None

    def __repr__(self) -> str:
        where = self._base_url if self._server else "stopped"
        return f"<{type(self).__name__} {where}>"

    # ---- faults ------------------------------------------------------------------
    def inject(
        self,
        fault: str,
        *,
        times: int | None = 1,
        match: str | Callable[[str, str], bool] | None = None,
        **options: Any,
    ) -> Fault:
        """Make the next matching request(s) misbehave.

        ``fault`` is one of:

        ``"401"``, ``"429"``, ``"500"``, ``"503"``
            answer with that status and the provider's own error body;
            ``retry_after=`` seconds adds a ``Retry-After`` header (a 429 always has
            one, 1 s by default).
        ``"reset"``
            close the connection (TCP RST) without any response.
        ``"slow"``
            wait ``seconds=`` (default 1.0) before answering normally.
        ``"malformed_json"``
            the model's text (Gemini ``generateContent``, OpenAI chat completions) is
            truncated, invalid JSON.  (Runway has no text endpoint: it rejects this one.)
        ``"moderation"``
            a model request is blocked (Gemini ``promptFeedback.blockReason``, or with
            ``stage="output"`` a candidate with ``finishReason: SAFETY``; OpenAI chat: a
            ``refusal``) and a generation job fails with the provider's moderation code.
        ``"expired_output"``
            the next download of an output answers as an expired URL would.
        ``"job_failure"``
            the next job created (Gemini: file uploaded) fails with ``code=`` (and
            ``message=``).
        provider job-failure codes
            e.g. Runway ``"SAFETY.INPUT.TEXT"``, ``"INTERNAL.BAD_OUTPUT"``,
            ``"ASSET.INVALID"``; OpenAI video ``"video_generation_failed"``; see each
            emulator's docstring.

        ``times`` is how many matching requests the fault applies to (``None``: all
        of them, until :meth:`clear_faults`).  ``match`` restricts it to requests whose
        path contains the string, optionally prefixed by a method (``"POST /v1/videos"``),
        or is a callable ``(method, path) -> bool``.  Job faults match the request that
        creates the job; ``expired_output`` matches the download request.
        """
        kind = str(fault)
        if not self._fault_known(kind):
            raise ValueError(f"unknown fault {fault!r} for {type(self).__name__}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        f = Fault(kind, times, match, dict(options))
        with self._lock:
            self._faults.append(f)
        return f

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.active]

    def _fault_known(self, kind: str) -> bool:
        return kind in HTTP_FAULTS or kind in self.provider_faults

    def take_fault(
        self, kinds: Callable[[str], bool] | set[str] | frozenset[str], req: Request
    ) -> Fault | None:
        """Consume and return the first active fault of one of *kinds* matching *req*."""
        test = kinds if callable(kinds) else (lambda k: k in kinds)  # type: ignore[operator]
        with self._lock:
            for f in self._faults:
                if f.active and test(f.kind) and f.matches(req.method, req.path):
                    f._consume()
                    return f
        return None

    # ---- routing -----------------------------------------------------------------
    def setup_routes(self) -> None:
        """Subclasses register their endpoints here with :meth:`route`."""

    def route(self, method: str, pattern: str, handler: Handler, *, auth: bool = True) -> None:
        self._routes.append(_Route(method.upper(), re.compile(pattern + r"\Z"), handler, auth))

    def _dispatch(self, req: Request) -> Response:
        entry = LoggedRequest(
            method=req.method,
            path=req.path,
            query={
                k: ([REDACTED] * len(v) if k.lower() in SECRET_PARAMS else list(v))
                for k, v in req.query.items()
            },
            headers={k: (REDACTED if k in SECRET_HEADERS else v) for k, v in req.headers.items()},
            body_size=len(req.body),
            time=time.time(),
        )
        self.requests._append(entry)

        # Faults that act below the API: latency, resets, blanket errors.
        slow = self.take_fault({"slow"}, req)
        if slow is not None:
            time.sleep(float(slow.options.get("seconds", 1.0)))
        fault = self.take_fault(HTTP_FAULTS - {"slow"}, req)
        if fault is not None:
            entry.fault = fault.kind
            if fault.kind == "reset":
                raise _Reset()
            resp = self.fault_response(fault, req)
            entry.status = resp.status
            return resp
        if slow is not None:
            entry.fault = "slow"

        resp = self._route(req)
        entry.status = resp.status
        return resp

    def _route(self, req: Request) -> Response:
        allowed: list[str] = []
        for r in self._routes:
            m = r.pattern.match(req.path)
            if not m:
                continue
            if r.method != req.method and not (r.method == "GET" and req.method == "HEAD"):
                allowed.append(r.method)
                continue
            req.match = m
            if r.auth:
                denied = self.check_auth(req)
                if denied is not None:
                    return denied
            try:
                return r.handler(req)
            except _Reset:
                raise
            except Exception:  # noqa: BLE001 - an emulator bug: answer like a server error, keep the trace
                self.server_errors.append(traceback.format_exc())
                return self.error_response(500, "internal", req)
        if allowed:
            return self.error_response(405, "method_not_allowed", req)
        return self.error_response(404, "not_found", req)

    # ---- provider hooks ----------------------------------------------------------
    def check_auth(self, req: Request) -> Response | None:
        """Return an error response when *req* is not authorised, else None."""
        return None

    def key_ok(self, key: str | None) -> bool:
        if not key:
            return False
        return self.expected_key is None or key == self.expected_key

    def error_response(
        self, status: int, kind: str, req: Request, message: str | None = None, **extra: Any
    ) -> Response:
        """The provider's error body for *status* (subclasses override)."""
        return Response.json(status, {"error": message or kind})

    def fault_response(self, fault: Fault, req: Request) -> Response:
        status = int(fault.kind)
        resp = self.error_response(status, f"fault_{status}", req)
        retry_after = fault.options.get("retry_after", 1 if status == 429 else None)
        if retry_after is not None:
            resp.headers["Retry-After"] = _fmt_number(retry_after)
        return resp

    # ---- helpers for subclasses ----------------------------------------------------
    def absolute(self, path: str) -> str:
        return self.base_url + path

    def is_own_url(self, url: str) -> bool:
        return self._base_url is not None and url.startswith(self._base_url + "/")


def _fmt_number(value: float | str) -> str:
    if isinstance(value, str):
        return value
    f = float(value)
    return str(int(f)) if f.is_integer() else repr(f)


def iso8601(ts: float, *, millis: bool = True) -> str:
    """``2026-11-01T12:00:00.000Z`` for a Unix time."""
    t = time.gmtime(ts)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", t)
    if millis:
        return f"{base}.{int((ts % 1) * 1000):03d}Z"
    return base + "Z"


def media_response(
    req: Request, data: bytes, content_type: str, headers: dict[str, str] | None = None
) -> Response:
    """A 200 (or 206 for a ``Range`` request) with *data*."""
    h = {"Accept-Ranges": "bytes", **(headers or {})}
    rng = req.header("range")
    m = re.match(r"^bytes=(\d*)-(\d*)\Z", (rng or "").strip())
    if m and (m.group(1) or m.group(2)):
        size = len(data)
        if m.group(1):
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        else:
            start = max(0, size - int(m.group(2)))
            end = size - 1
        if start >= size or start > end:
            return Response(416, b"", {"Content-Range": f"bytes */{size}"}, None)
        h["Content-Range"] = f"bytes {start}-{end}/{size}"
        return Response(206, data[start : end + 1], h, content_type)
    return Response(200, data, h, content_type)


# --------------------------------------------------------------------------------------
# A guard for tests: nothing leaves the machine
# --------------------------------------------------------------------------------------
class NetworkBlocked(ConnectionRefusedError):
    """Raised by :func:`loopback_only` for a connection or lookup outside loopback."""


_LOOPBACK_NAMES = {"127.0.0.1", "::1", "localhost", "0:0:0:0:0:0:0:1", "ip6-localhost"}


def _is_loopback(host: Any) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").lower()
    return host in _LOOPBACK_NAMES or host.startswith("127.")


@contextmanager
def loopback_only() -> Iterator[list[tuple[str, int]]]:
    """Within the block, any TCP/UDP connection or DNS lookup that is not for loopback
    raises :class:`NetworkBlocked`.  Yields the list of ``(host, port)`` connected to,
    so a test can assert that every connection went to its emulator::

        with RunwayEmulator() as emu, loopback_only() as connections:
            ...
        assert {port for _, port in connections} == {emu.port_number}
    """
    connections: list[tuple[str, int]] = []
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host, port = address[0], address[1]
            if not _is_loopback(host):
                raise NetworkBlocked(
                    f"videonb emulators: blocked a connection to {host}:{port} (not loopback)"
                )
            connections.append((str(host), int(port)))

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        return original_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return original_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any):
        if not _is_loopback(host):
            raise NetworkBlocked(
                f"videonb emulators: blocked a DNS lookup of {host!r} (not loopback)"
            )
        return original_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    try:
        yield connections
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = original_getaddrinfo  # type: ignore[assignment]
