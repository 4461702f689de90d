"""fal queue emulator (``https://queue.fal.run``), for ``fal-client`` and videonb's fal provider.

Follows fal-client 1.0.3 (``client.py``: submit, ``_BaseRequestHandle._parse_status``,
``from_request_id``, cancel) and docs.fal.ai (queue, model errors, request errors, cancel),
read 2026-12-01; ``docs/emulators.md`` has the fidelity table.

- Auth: ``Authorization: Key <key>`` (``expected_key=`` to accept one key only).
- ``POST /{endpoint id}`` for each endpoint of :data:`.fal_models.ENDPOINTS` → ``{"status":
  "IN_QUEUE", "request_id", "response_url", "status_url", "cancel_url", "queue_position"}``,
  the URLs under ``/{owner}/{app}/requests/{id}`` (owner and app only, never the endpoint's
  sub-path).  Inputs are checked against the endpoint's schema; refusals are 422 with
  ``{"detail": [{"loc": ["body", field], "msg", "type", ...}]}``.  Image fields take an
  ``http(s)`` URL or a base64 ``data:`` URI of a decodable image.  Unknown endpoints: 404.
- ``GET …/requests/{id}/status[?logs=1]`` → ``IN_QUEUE`` (``queue_position``),
  ``IN_PROGRESS`` (``logs``), ``COMPLETED`` (``logs``, ``metrics.inference_time``; ``error``
  and ``error_type`` when it failed).
- ``GET …/requests/{id}`` → ``{"video": {"url", "content_type", "file_name", "file_size"},
  "seed"}``; before completion 400 "Request is still in progress"; a failed request answers
  its error (422 model error with ``X-Fal-Retryable: false``, or 503/504 request errors with
  ``X-Fal-Error-Type``).
- ``PUT …/requests/{id}/cancel`` → 202 ``CANCELLATION_REQUESTED`` (queued or running: the
  emulated model stops), 400 ``ALREADY_COMPLETED``, 404 ``NOT_FOUND``.
- ``GET /files/{id}/output.mp4?exp=…&sig=…`` (no key) → the video (fal's CDN; 7 days here).
- Billing: ``balance`` (USD, default 100) charged at submit at the endpoint's price per second
  (twice with audio on), refunded when the request fails or is cancelled before it ran;
  ``spent`` is the total.  A balance too small answers 403 "Exhausted balance".

Job faults: ``"content_policy_violation"`` (also ``"moderation"``), ``"request_timeout"``,
``"runner_disconnected"``, ``"internal_server_error"``, ``"job_failure"`` (``code=`` one of
these).  The content check fails the request before it runs; the others after.
"""

from __future__ import annotations

import uuid
from typing import Any

from . import _media
from .fal_models import ENDPOINTS, IMAGE_FIELDS, FalEndpoint
from .kit.auth import KeyScheme
from .kit.billing import Wallet
from .kit.checks import Problem, check, json_type
from .kit.emulator import Emulator
from .kit.http import Invalid, Request, Response, media_response
from .kit.jobs import Job

__all__ = ["FalEmulator", "ENDPOINTS", "KeyPrefix"]

#: Each request error type: (HTTP status of the result, its ``detail``).
REQUEST_ERRORS = {
    "request_timeout": (504, "Request timed out"),
    "runner_disconnected": (503, "The runner disconnected unexpectedly during processing"),
    "internal_server_error": (500, "Internal server error"),
}
CONTENT_MESSAGE = "The content was flagged by a content checker."


class KeyPrefix(KeyScheme):
    """``Authorization: <prefix> <key>`` (fal: ``Key``)."""

    headers = frozenset({"authorization"})

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def key(self, req: Request) -> str | None:
        value = (req.header("authorization") or "").strip()
        head, _, rest = value.partition(" ")
        if head.lower() != self.prefix.lower():
            return None
        return rest.strip() or None

    def __repr__(self) -> str:
        return f"KeyPrefix({self.prefix!r})"


def _pydantic(p: Problem) -> dict[str, Any]:
    """One ``detail`` entry in the shape of fal's (pydantic's) validation errors."""
    loc = ["body", p.path]
    if p.kind == "missing":
        return {"loc": loc, "msg": "Field required", "type": "missing"}
    if p.kind == "choice":
        opts = " or ".join(repr(c) if isinstance(c, str) else str(c) for c in p.expected)
        return {"loc": loc, "msg": f"Input should be {opts}", "type": "enum",
                "ctx": {"expected": opts}, "input": p.value}
    if p.kind == "type":
        name, kind = {"int": ("integer", "int_type"), "number": ("number", "float_type"),
                      "boolean": ("boolean", "bool_type")}.get(str(p.expected),
                                                               ("string", "string_type"))
        return {"loc": loc, "msg": f"Input should be a valid {name}", "type": kind,
                "input": p.value}
    bound = "greater than or equal to" if p.kind == "too_small" else "less than or equal to"
    return {"loc": loc, "msg": f"Input should be {bound} {p.expected}",
            "type": "greater_than_equal" if p.kind == "too_small" else "less_than_equal",
            "input": p.value}


def _seconds(value: Any, default: int) -> int:
    try:
        return int(str(value).rstrip("s")) if value is not None else default
    except ValueError:
        return default


class FalEmulator(Emulator):
    """Loopback emulator of fal's queue API; see the module docstring."""

    provider = "fal"
    auth = KeyPrefix("Key")
    provider_faults = frozenset({"moderation", "expired_output", "job_failure"})
    job_failures = {"content_policy_violation": CONTENT_MESSAGE,
                    **{k: v[1] for k, v in REQUEST_ERRORS.items()}}
    moderation_code = "content_policy_violation"
    default_failure_code = "internal_server_error"
    default_failure_message = "Internal server error"
    early_failures = ("content_policy_violation",)
    models = ENDPOINTS

    def __init__(self, *, balance: float = 100.0, output_ttl: float = 7 * 86400.0,
                 **kwargs: Any) -> None:
        super().__init__(output_ttl=output_ttl, **kwargs)
        #: The account's balance, counted in thousandths of a dollar.
        self.wallet = Wallet(self.clock, round(balance * 1000))
        #: ``(endpoint, input)`` of each request accepted, in order (data URIs shortened to
        #: their first 40 characters).
        self.creates: list[tuple[str, dict[str, Any]]] = []

    @property
    def balance(self) -> float:
        return self.wallet.credits / 1000

    @property
    def spent(self) -> float:
        """US dollars charged so far, net of refunds."""
        return sum(amount for _, _, amount in self.wallet.ledger) / 1000

    # ---- routes, errors ----------------------------------------------------------------
    def provider_options(self) -> dict[str, Any]:
        """Keyword arguments that point videonb's fal provider here: the queue base URL and
        the key this emulator expects (any key when ``expected_key`` is None)."""
        return {"base_url": self.base_url, "api_key": self.expected_key or "placeholder-key"}

    def setup_routes(self) -> None:
        base = r"/(?P<owner>[^/]+)/(?P<app>[^/]+)/requests/(?P<id>[^/]+)"
        self.route("GET", base + "/status", self._status, kind="poll", name="queue.status")
        self.route("PUT", base + "/cancel", self._cancel, kind="cancel", name="queue.cancel")
        self.route("GET", base, self._result, kind="result", name="queue.result")
        self.route("GET", r"/files/(?P<id>[0-9a-f-]+)/output\.mp4", self._output, auth=False,
                   kind="download", name="files.download")
        for endpoint in ENDPOINTS.ids():
            self.route("POST", "/" + endpoint, self._submit, kind="submit", name=endpoint)
        self.route("POST", r"/(?P<path>.+)", self._unknown, kind="submit", name="queue.unknown")

    def error_response(self, status: int, kind: str, req: Request, message: str | None = None,
                       **extra: Any) -> Response:
        default = {401: "Invalid authorization credentials", 403: "Forbidden",
                   404: "Not Found", 405: "Method Not Allowed", 429: "Too many requests",
                   500: "Internal server error", 502: "Bad gateway",
                   503: "Service temporarily unavailable", 504: "Gateway timeout"}
        body: dict[str, Any] = {"detail": message or default.get(status, "Error"), **extra}
        return Response.json(status, body, {"x-fal-request-id": str(uuid.uuid4())})

    def missing_key_response(self, req: Request) -> Response:
        return self.error_response(401, "unauthorized", req,
                                   "Missing authorization header (Authorization: Key <key>)")

    def invalid_response(self, exc: Invalid, req: Request) -> Response:
        if "detail" in exc.extra:
            resp = Response.json(exc.status, {"detail": exc.extra["detail"]}, exc.headers)
            resp.headers.setdefault("X-Fal-Retryable", "false")
            return resp
        return self.error_response(exc.status, "invalid", req, exc.message)

    # ---- submit ------------------------------------------------------------------------
    def _check_image(self, value: Any, name: str) -> dict[str, Any] | None:
        if not isinstance(value, str):
            return None
        if value.startswith("data:"):
            try:
                mime, data = _media.parse_data_uri(value)
            except _media.DataURIError:
                mime, data = "", b""
            if not mime.startswith("image/") or _media.image_info(data) is None:
                return {"loc": ["body", name], "msg": "The image could not be decoded",
                        "type": "image_load_error", "input": value[:60]}
            return None
        if value.startswith(("https://", "http://")):
            return None  # a URL fal fetches (never fetched here)
        return {"loc": ["body", name], "msg": "Input should be a valid URL or data URI",
                "type": "url_parsing", "input": value[:60]}

    def _validate(self, spec: FalEndpoint, body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, dict):
            return [{"loc": ["body"], "msg": "Input should be a valid dictionary",
                     "type": "dict_type", "input": json_type(body)}]
        problems = [check(body.get(name), name, **rule) for name, rule in spec.fields.items()]
        detail = [_pydantic(p) for p in problems if p is not None]
        for name in IMAGE_FIELDS:
            if name in spec.fields and body.get(name) is not None:
                bad = self._check_image(body[name], name)
                if bad:
                    detail.append(bad)
        return detail

    def _unknown(self, req: Request) -> Response:
        return self.error_response(404, "not_found", req,
                                   f"Application '{req.match['path']}' not found")  # type: ignore[index]

    def _submit(self, req: Request) -> Response:
        endpoint = req.route.name
        spec = ENDPOINTS[("", endpoint)]
        try:
            body = req.json()
        except ValueError:
            raise Invalid("Invalid JSON body", status=422, detail=[
                {"loc": ["body"], "msg": "JSON decode error", "type": "json_invalid"}]) from None
        detail = self._validate(spec, body)
        if detail:
            raise Invalid("validation", status=422, detail=detail)
        seconds = _seconds(body.get("duration"), spec.default_seconds)
        rate = spec.usd_per_second
        if spec.audio and body.get(spec.audio[0], spec.audio[1]):
            rate *= 2
        cost = round(rate * seconds * 1000)
        if self.wallet.charge(endpoint, cost) is not None:
            return self.error_response(403, "balance", req, "User is locked. Reason: Exhausted "
                                       "balance. Top up your balance at fal.ai/dashboard/billing.")
        owner, app = endpoint.split("/")[:2]
        rid = str(uuid.uuid4())
        job = self.create_job(req, rid, {"model": endpoint, "cost": cost, "owner": owner,
                                         "app": app, "seconds": seconds,
                                         "prompt": body.get("prompt"), "seed": body.get("seed")})
        self.creates.append((endpoint, {k: (v[:40] if isinstance(v, str) and v.startswith("data:")
                                            else v) for k, v in body.items()}))
        return Response.json(200, {"status": "IN_QUEUE", **self._urls(job),
                                   "queue_position": self._position(job)})

    def _urls(self, job: Job) -> dict[str, str]:
        base = f"{self.base_url}/{job.data['owner']}/{job.data['app']}/requests/{job.id}"
        return {"request_id": job.id, "response_url": base, "status_url": base + "/status",
                "cancel_url": base + "/cancel"}

    def _position(self, job: Job) -> int:
        waiting = [j for j in self.scheduler.all()
                   if self.scheduler.state(j) in ("pending", "throttled")]
        return waiting.index(job) if job in waiting else 0

    # ---- requests ----------------------------------------------------------------------
    def _job(self, req: Request) -> Job | None:
        job = self.scheduler.get(req.match["id"])  # type: ignore[index]
        if job is None or (job.data["owner"], job.data["app"]) != (
                req.match["owner"], req.match["app"]):  # type: ignore[index]
            return None
        return job

    def _error_of(self, job: Job) -> tuple[str, str]:
        if job.cancelled:
            return "request_cancelled", "Request was cancelled"
        assert job.failure is not None
        return job.failure

    def _status(self, req: Request) -> Response:
        job = self._job(req)
        if job is None:
            return self.error_response(404, "not_found", req, "Request not found")
        state, progress, _ = self.scheduler.view(job)
        self.wallet.settle(job, state)
        logs = None
        if (req.param("logs") or "").lower() in ("1", "true"):
            logs = [{"message": f"step {int(progress * 20)}/20", "level": "INFO",
                     "source": "user", "timestamp": "2026-12-01T00:00:00Z"}]
        out: dict[str, Any] = {"request_id": job.id, **self._urls(job)}
        if state in ("pending", "throttled"):
            out.update(status="IN_QUEUE", queue_position=self._position(job))
        elif state == "running":
            out.update(status="IN_PROGRESS", logs=logs)
        else:
            out.update(status="COMPLETED", logs=logs,
                       metrics={"inference_time": round(job.run_seconds, 3)})
            if state != "succeeded":
                out["error_type"], out["error"] = self._error_of(job)
        return Response.json(200, out)

    def _result(self, req: Request) -> Response:
        job = self._job(req)
        if job is None:
            return self.error_response(404, "not_found", req, "Request not found")
        state = self.scheduler.state(job)
        self.wallet.settle(job, state)
        if state in ("pending", "throttled", "running"):
            return self.error_response(400, "in_progress", req, "Request is still in progress")
        if state == "succeeded":
            url = self.signed_url(f"/files/{job.id}/output.mp4", job.id)
            size = len(_media.synthetic_mp4(1280, 720, self.video_seconds))
            return Response.json(200, {"video": {"url": url, "content_type": "video/mp4",
                                                 "file_name": "output.mp4", "file_size": size},
                                       "seed": job.data.get("seed") or 42})
        kind, message = self._error_of(job)
        if kind == "content_policy_violation":
            return Response.json(422, {"detail": [{
                "loc": ["body", "prompt"], "msg": message, "type": kind,
                "url": "https://docs.fal.ai/errors#content_policy_violation",
                "input": job.data.get("prompt")}]}, {"X-Fal-Retryable": "false"})
        status = REQUEST_ERRORS.get(kind, (400, ""))[0]
        return Response.json(status, {"detail": message, "error_type": kind},
                             {"X-Fal-Error-Type": kind})

    def _cancel(self, req: Request) -> Response:
        job = self._job(req)
        if job is None:
            return Response.json(404, {"status": "NOT_FOUND"})
        state = self.scheduler.state(job)
        if state not in ("pending", "throttled", "running"):
            return Response.json(400, {"status": "ALREADY_COMPLETED"})
        self.wallet.cancel(job, state)
        self.scheduler.cancel(job)
        return Response.json(202, {"status": "CANCELLATION_REQUESTED"})

    def _output(self, req: Request) -> Response:
        job_id = req.match["id"]  # type: ignore[index]
        job = self.scheduler.get(job_id)
        if self.check_signed(req, job_id) != "ok" or job is None \
                or self.scheduler.state(job) != "succeeded":
            return Response.text(403, "Forbidden")
        return media_response(req, _media.synthetic_mp4(1280, 720, self.video_seconds),
                              "video/mp4")
