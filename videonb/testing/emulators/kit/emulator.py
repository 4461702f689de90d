"""The :class:`Emulator` base class: routes, auth, faults, jobs, signed outputs, the
request log and counters, on a :class:`~.server.LoopbackServer`.

A provider's emulator subclasses it and declares only what is the provider's own:

- ``setup_routes()``: its endpoints, each with ``self.route(method, pattern, handler,
  kind=..., name=...)`` (``kind`` is what the route does for the counters and fault
  targeting: ``"submit"``, ``"poll"``, ``"download"``, ``"cancel"``, ``"generate"``,
  ``"upload"``, ``"list"``, ``"models"``, …; ``name`` is the SDK method, e.g.
  ``"tasks.retrieve"``);
- ``auth``: where the key travels (:mod:`.auth`), and its "missing key" / "wrong key"
  bodies (``missing_key_response``, ``invalid_key_response``), plus any other header
  it insists on (``check_request``);
- its error bodies (``error_response`` for a status, ``invalid_response`` for an
  :class:`~.http.Invalid` a handler raised);
- its job failures (``job_failures`` codes and messages, ``moderation_code``,
  ``default_failure_code``, ``early_failures``); :meth:`Emulator.create_job` does the
  rest;
- its model table (:class:`~.models.ModelTable`).

The request pipeline (:meth:`Emulator.handle`): log and count the request, find its
route, apply ``slow``, then an HTTP fault or a download fault if one matches, else the
auth check and the handler.  A handler's exception becomes a 500 and is kept in
``server_errors``.
"""

from __future__ import annotations

import re
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from .auth import Bearer, KeyScheme
from .faults import (
    COMMON_FAULTS,
    HTTP_FAULTS,
    OUTPUT_FAULTS,
    PORTAL_HTML,
    PORTAL_PATH,
    STATUS_FAULTS,
    Fault,
    FaultBook,
    download_fault,
)
from .guard import is_loopback_url
from .http import Invalid, Request, Response, fmt_number
from .jobs import Clock, Job, JobScheduler
from .log import SECRET_HEADERS, Counts, LoggedRequest, RequestLog
from .server import LoopbackServer, Reset, Stall
from .urls import URLSigner

__all__ = ["Emulator", "Handler", "Route"]

Handler = Callable[[Request], Response]


@dataclass
class Route:
    """One endpoint: ``pattern`` is matched against the whole path."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool | Callable[[Request], bool]
    kind: str
    name: str

    def needs_auth(self, req: Request) -> bool:
        return self.auth(req) if callable(self.auth) else bool(self.auth)


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
    output_base
        Where signed output URLs point: a loopback base URL, or an object with a
        ``base_url`` (a :class:`~.cdn.CDN`, another emulator), read each time a URL is
        made.  Default: this emulator.  Settable later (``emu.output_base = cdn``).
    concurrency
        Jobs that may run at once (more wait, *throttled*); ``None``: no limit.
    host, port
        Loopback address to listen on (default ``127.0.0.1`` and a free port).
    """

    #: Provider name used in messages.
    provider = "emulator"
    #: Faults accepted by :meth:`inject` besides the HTTP and download faults.
    provider_faults: frozenset[str] = COMMON_FAULTS
    #: Where the API key travels.
    auth: KeyScheme = Bearer()
    #: Job failure codes a fault may name, with the provider's message for each (a dotted
    #: code without its own message takes its parent's: ``A.B.C`` → ``A.B``).
    job_failures: ClassVar[dict[str, str]] = {}
    #: Further job failure codes a fault may name (``None``: only those above).
    job_code_pattern: ClassVar[re.Pattern[str] | None] = None
    #: The code a ``"moderation"`` fault gives a job, and a ``"job_failure"`` without ``code=``.
    moderation_code = "moderation"
    default_failure_code = "failed"
    default_failure_message = "The job failed."
    #: Code prefixes that fail a job when it would start (input checks), not after it ran.
    early_failures: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        expected_key: str | None = None,
        job_seconds: float = 0.2,
        output_ttl: float = 3600.0,
        video_seconds: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        output_base: Any = None,
        concurrency: int | None = None,
    ) -> None:
        self.expected_key = expected_key
        self.job_seconds = float(job_seconds)
        self.output_ttl = float(output_ttl)
        self.video_seconds = float(video_seconds)
        self.host = host
        self.port = port
        self.concurrency = concurrency
        self._server = LoopbackServer(self, host, port, type(self).__name__)
        self.output_base = output_base
        self.clock = Clock()
        self.scheduler = JobScheduler(self.clock, concurrency)
        self.signer = URLSigner()
        self.requests = RequestLog()
        #: Live counters: submits, polls, downloads, jobs, faults hit (see :class:`~.log.Counts`).
        self.counts = Counts()
        #: Exceptions raised by the emulator's own handlers (each also answered with a 500).
        self.server_errors: list[str] = []
        self._faults = FaultBook()
        self._routes: list[Route] = []
        self.route("GET", PORTAL_PATH, self._portal, auth=False, kind="portal", name="portal")
        self.setup_routes()

    # ---- lifecycle ---------------------------------------------------------------
    def start(self) -> str:
        """Start serving; return the base URL (``http://127.0.0.1:PORT``)."""
        return self._server.start()

    def stop(self) -> None:
        """Stop serving (idempotent); stalled and endless answers end at once."""
        self._server.stop()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server.base_url is None:
            raise RuntimeError(
                "the emulator is not started: call start() or use it as a context manager"
            )
        return self._server.base_url

    @property
    def port_number(self) -> int:
        """The TCP port the emulator listens on (after :meth:`start`)."""
        return self._server.port_number

    @property
    def running(self) -> bool:
        return self._server.running

    @property
    def stopping(self) -> threading.Event:
        """Set while the emulator stops (waits in handlers use it to end early)."""
        return self._server.stopping

    def __repr__(self) -> str:
        where = self._server.base_url if self.running else "stopped"
        return f"<{type(self).__name__} {where}>"

    # ---- faults ------------------------------------------------------------------
    def inject(
        self,
        fault: str,
        *,
        times: int | None = 1,
        match: str | Callable[[str, str], bool] | None = None,
        on: str | None = None,
        **options: Any,
    ) -> Fault:
        """Make the next matching request(s) misbehave.

        ``fault`` is one of:

        ``"401"``, ``"429"``, ``"500"``, ``"502"``, ``"503"``, ``"504"``
            answer with that status and the provider's own error body;
            ``retry_after=`` seconds adds a ``Retry-After`` header (a 429 always has
            one, 1 s by default).
        ``"reset"``
            close the connection (TCP RST) without any response.
        ``"slow"``
            wait ``seconds=`` (default 1.0) before answering normally.
        ``"stall"``
            accept the request and never answer: the connection is held until the
            client gives up, the emulator stops, or ``seconds=`` (default 300) pass.
        ``"redirect"`` (a download fault, see below)
            answer ``302`` (``status=`` 301/303/307/308) to the real URL: this one
            again, or the same path and query on another loopback server ``to=``
            (a base URL), or ``location=`` as given.
        ``"html"`` (download)
            ``200 text/html``: a captive-portal page (``body=`` to replace it).
        ``"empty_302"`` (download)
            ``302`` with an empty body and no ``Location``; ``location="portal"``
            points it at the emulator's captive-portal page (``location=<url>``: there).
        ``"endless"`` (download)
            ``200 video/mp4``, chunked: the real bytes, then filler that never ends
            (until the client hangs up, the emulator stops, ``max_bytes=`` (1 GiB) or
            ``seconds=`` (120) are reached; then the connection is cut).
        ``"lying_length"`` (download)
            the real body under a ``Content-Length`` larger than it (``length=``,
            default twice the body plus 1 KiB), then the connection is closed.
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
        or is a callable ``(method, path) -> bool``.  ``on`` restricts it to the routes
        of one kind (``"download"``, ``"submit"``, ``"poll"``, …) or one route name
        (``"tasks.retrieve"``).  Download faults with neither ``match`` nor ``on`` hit
        the next output download.  Job faults match the request that creates the job;
        ``expired_output`` matches the download request.
        """
        kind = str(fault)
        if not self._fault_known(kind):
            raise ValueError(f"unknown fault {fault!r} for {type(self).__name__}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        return self._faults.add(Fault(kind, times, match, dict(options), on))

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The faults still armed."""
        return self._faults.active()

    def _fault_known(self, kind: str) -> bool:
        known = kind in HTTP_FAULTS or kind in OUTPUT_FAULTS or kind in self.provider_faults
        return known or self.is_job_fault(kind)

    def take_fault(
        self, kinds: Callable[[str], bool] | set[str] | frozenset[str], req: Request
    ) -> Fault | None:
        """Consume and return the first active fault of one of *kinds* matching *req*
        (for provider faults, which the route that concerns them consumes)."""
        fault = self._faults.take(kinds, req)
        if fault is not None:
            self.counts.add("fault")
            self.counts.add("fault:" + fault.kind)
        return fault

    # ---- routing -----------------------------------------------------------------
    def setup_routes(self) -> None:
        """Subclasses register their endpoints here with :meth:`route`."""

    def route(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        auth: bool | Callable[[Request], bool] = True,
        kind: str = "api",
        name: str | None = None,
    ) -> None:
        """Register an endpoint.  ``auth`` may be a callable deciding per request (an
        upload session URL is its own credential; the request that opens it is not)."""
        name = name or getattr(handler, "__name__", kind).strip("_")
        self._routes.append(
            Route(method.upper(), re.compile(pattern + r"\Z"), handler, auth, kind, name)
        )

    def endpoints(self) -> list[tuple[str, str, str, str]]:
        """``(method, path pattern, name, kind)`` of every route, in matching order."""
        return [(r.method, r.pattern.pattern[:-2], r.name, r.kind) for r in self._routes]

    def handle(self, req: Request) -> Response:
        """Answer one request (the server calls this on its handler thread)."""
        entry = LoggedRequest.of(req, SECRET_HEADERS | self.auth.headers)
        self.requests._append(entry)
        self.counts.add("requests")
        allowed = self._find_route(req)
        route: Route | None = req.route
        if route is not None:
            entry.route, entry.kind = route.name, route.kind
            self.counts.add(route.kind)
            if route.name != route.kind:
                self.counts.add(route.name)

        # Faults that act below the API: latency, resets, stalls, blanket errors, downloads.
        slow = self._faults.take({"slow"}, req)
        if slow is not None:
            self._count_fault(entry, slow)
            self.stopping.wait(float(slow.options.get("seconds", 1.0)))
        fault = self._faults.take(HTTP_FAULTS - {"slow"}, req) or self._faults.take(
            OUTPUT_FAULTS, req, default_on="download"
        )
        if fault is not None:
            self._count_fault(entry, fault)
            if fault.kind == "reset":
                raise Reset()
            if fault.kind == "stall":
                raise Stall(float(fault.options.get("seconds", 300.0)))
            if fault.kind in STATUS_FAULTS:
                resp = self.fault_response(fault, req)
            else:
                resp = download_fault(fault, req, self, lambda: self._run_route(req, allowed))
        else:
            resp = self._run_route(req, allowed)
        entry.status = resp.status
        return resp

    def _count_fault(self, entry: LoggedRequest, fault: Fault) -> None:
        entry.fault = fault.kind
        self.counts.add("fault")
        self.counts.add("fault:" + fault.kind)

    def _find_route(self, req: Request) -> list[str]:
        """Set ``req.route`` and ``req.match``; return the methods allowed on the path
        when only the method is wrong."""
        allowed: list[str] = []
        for r in self._routes:
            m = r.pattern.match(req.path)
            if not m:
                continue
            if r.method != req.method and not (r.method == "GET" and req.method == "HEAD"):
                allowed.append(r.method)
                continue
            req.route, req.match = r, m
            return []
        return allowed

    def _run_route(self, req: Request, allowed: list[str]) -> Response:
        route: Route | None = req.route
        if route is None:
            if allowed:
                return self.error_response(405, "method_not_allowed", req)
            return self.error_response(404, "not_found", req)
        try:
            if route.needs_auth(req):
                denied = self.check_auth(req)
                if denied is not None:
                    self.counts.add("unauthorized")
                    return denied
            return route.handler(req)
        except Invalid as exc:
            return self.invalid_response(exc, req)
        except (Reset, Stall):
            raise
        except Exception:  # noqa: BLE001 - an emulator bug: answer like a server error, keep the trace
            self.server_errors.append(traceback.format_exc())
            return self.error_response(500, "internal", req)

    def _portal(self, req: Request) -> Response:
        return Response.text(200, PORTAL_HTML, "text/html; charset=utf-8")

    # ---- provider hooks ----------------------------------------------------------
    def check_auth(self, req: Request) -> Response | None:
        """Return an error response when *req* is not authorised, else None."""
        key = self.auth.key(req)
        if not key:
            return self.missing_key_response(req)
        if not self.key_ok(key):
            return self.invalid_key_response(req, key)
        return self.check_request(req)

    def key_ok(self, key: str | None) -> bool:
        if not key:
            return False
        return self.expected_key is None or key == self.expected_key

    def missing_key_response(self, req: Request) -> Response:
        return self.error_response(401, "unauthorized", req)

    def invalid_key_response(self, req: Request, key: str) -> Response:
        return self.error_response(401, "unauthorized", req)

    def check_request(self, req: Request) -> Response | None:
        """Checks after the key (a required version header, a retired API), or None."""
        return None

    def error_response(
        self, status: int, kind: str, req: Request, message: str | None = None, **extra: Any
    ) -> Response:
        """The provider's error body for *status* (subclasses override)."""
        return Response.json(status, {"error": message or kind})

    def invalid_response(self, exc: Invalid, req: Request) -> Response:
        """The provider's body for an :class:`~.http.Invalid` a handler raised."""
        resp = self.error_response(exc.status, "invalid", req, exc.message)
        resp.headers.update(exc.headers)
        return resp

    def fault_response(self, fault: Fault, req: Request) -> Response:
        status = int(fault.kind)
        resp = self.error_response(status, f"fault_{status}", req)
        retry_after = fault.options.get("retry_after", 1 if status == 429 else None)
        if retry_after is not None:
            resp.headers["Retry-After"] = fmt_number(retry_after)
        return resp

    # ---- jobs --------------------------------------------------------------------
    def is_job_fault(self, kind: str) -> bool:
        pattern = self.job_code_pattern
        return (
            kind in ("moderation", "job_failure")
            or kind in self.job_failures
            or bool(pattern and pattern.match(kind))
        )

    def failure_message(self, code: str) -> str:
        while code not in self.job_failures and "." in code:
            code = code.rsplit(".", 1)[0]
        return self.job_failures.get(code, self.default_failure_message)

    def job_failure(self, fault: Fault) -> tuple[str, str]:
        """(code, message) of the failure a job fault gives the job it hits."""
        if fault.kind == "moderation":
            code = self.moderation_code
        elif fault.kind == "job_failure":
            code = str(fault.options.get("code") or self.default_failure_code)
        else:
            code = fault.kind
        return code, str(fault.options.get("message") or self.failure_message(code))

    def create_job(self, req: Request, job_id: str, data: dict[str, Any], group: str = "") -> Job:
        """A new job on the scheduler (a billed submit), failing if a job fault matches
        *req*: before it runs for an :attr:`early_failures` code, else when it ends.
        ``group`` is the concurrency group it counts in (see :class:`~.jobs.JobScheduler`)."""
        fault = self.take_fault(self.is_job_fault, req)
        failure = self.job_failure(fault) if fault is not None else None
        js = self.job_seconds
        job = Job(
            id=job_id,
            created=self.clock.now(),
            pending_seconds=js * 0.2,
            run_seconds=js * 0.8,
            failure=failure,
            fail_early=failure is not None and failure[0].startswith(self.early_failures),
            data=data,
            group=group,
        )
        self.scheduler.add(job)
        self.counts.add("jobs")
        return job

    # ---- outputs -----------------------------------------------------------------
    @property
    def output_base(self) -> str:
        """The base URL output links point at (see the ``output_base`` parameter)."""
        base = self._output_base
        if base is None:
            return self.base_url
        url = str(getattr(base, "base_url", base)).rstrip("/")
        if not is_loopback_url(url):
            raise ValueError(f"output_base {url!r} is not a loopback http(s) URL")
        return url

    @output_base.setter
    def output_base(self, value: Any) -> None:
        if isinstance(value, str) and not is_loopback_url(value):
            raise ValueError(f"output_base {value!r} is not a loopback http(s) URL")
        self._output_base = value

    def signed_url(self, path: str, resource: str) -> str:
        """``{output_base}{path}?exp=…&sig=…``, valid for ``output_ttl`` seconds."""
        exp = int(self.clock.now() + self.output_ttl)
        return f"{self.output_base}{path}?{self.signer.query(resource, exp)}"

    def check_signed(self, req: Request, resource: str) -> str:
        """``"ok"``, ``"denied"`` (wrong signature) or ``"expired"`` for a signed URL."""
        exp = self.signer.verify(req, resource)
        if exp is None:
            return "denied"
        return "expired" if self.output_expired(req, exp) else "ok"

    def output_expired(self, req: Request, expires_at: float) -> bool:
        """True when the clock reached *expires_at* or an ``expired_output`` fault matches."""
        return (
            self.take_fault({"expired_output"}, req) is not None or self.clock.now() >= expires_at
        )

    # ---- helpers for subclasses ----------------------------------------------------
    def absolute(self, path: str) -> str:
        return self.base_url + path

    def is_own_url(self, url: str) -> bool:
        """True for a URL on this emulator or on its ``output_base``."""
        bases = [self._server.base_url]
        try:
            bases.append(self.output_base)
        except (RuntimeError, ValueError):  # an output_base server that is not running
            pass
        return any(b is not None and url.startswith(b + "/") for b in bases)
