"""Replicate API emulator (``https://api.replicate.com``), for the ``replicate`` SDK and
videonb's replicate provider.

Follows replicate 1.0.7 (``prediction.py``, ``model.py``, ``file.py``, ``run.py``,
``exceptions.py``) and replicate.com's docs (create a prediction, prediction lifecycle, HTTP
API), read 2026-12-01; ``docs/emulators.md`` has the fidelity table.

- Auth: ``Authorization: Bearer <token>``; refusals are problem details ``{"title", "detail",
  "status"}`` (``expected_key=`` to accept one token only).
- ``GET /v1/models/{owner}/{name}`` → the model with ``latest_version`` (``id``,
  ``created_at``, ``cog_version``, ``openapi_schema``, Cog-shaped: :mod:`.replicate_models`);
  ``GET …/versions`` and ``…/versions/{id}``.
- ``POST /v1/models/{owner}/{name}/predictions`` and ``POST /v1/predictions`` (``version``: an
  id or ``owner/name:id``) → 201, the prediction.  ``input`` is checked against the version's
  schema (required fields, enums, types, bounds, ``format: uri`` fields: an ``http(s)`` URL, a
  ``data:`` URI of a decodable file, or a file of this account's Files API); refusals are 422
  ``"Input validation failed"`` with ``invalid_fields``.  ``Prefer: wait`` / ``wait=N`` (1-60)
  holds the answer until the prediction ends or the wait runs out; as the SDK's ``run`` expects
  it [replicate 1.0.7 ``run.py``], a wait that runs out answers ``starting`` even when the
  model is already processing.
- ``GET /v1/predictions/{id}``: ``starting`` → ``processing`` (``logs`` with tqdm-style
  progress lines) → ``succeeded`` (``output``: a URL, ``metrics``) / ``failed`` (``error``) /
  ``canceled``; ``POST /v1/predictions/{id}/cancel`` → the prediction; ``GET /v1/predictions``
  lists them, newest first, by ``cursor``.
- Files: ``POST /v1/files`` (multipart ``content``, optional ``metadata``) → 201 with
  ``urls.get``; ``GET /v1/files``, ``GET/DELETE /v1/files/{id}``.
- ``GET /delivery/{id}/output.mp4?exp=…&sig=…`` (no key, ``replicate.delivery``) → the video;
  it expires after ``output_ttl`` (default one hour, as Replicate's outputs do).
- Billing: ``balance`` (USD, default 100) charged at create at the model's price per second,
  refunded for a failed prediction or one canceled before it started; too little answers 402.

Faults: the kit's, with problem-details bodies (a 429 says "Request was throttled");
``"moderation"`` (``nsfw``), ``"model_error"`` and ``"job_failure"`` (``message=``) fail the next
prediction created.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from typing import Any

from . import _media
from .kit.billing import Wallet
from .kit.emulator import Emulator
from .kit.http import Invalid, Request, Response, iso8601, media_response
from .kit.jobs import Job
from .kit.pages import page_after
from .replicate_models import MODELS, ReplicateModel, schema_of

__all__ = ["ReplicateEmulator", "MODELS", "ReplicateModel"]

_TITLES = {400: "Bad request", 401: "Unauthenticated", 402: "Insufficient credit",
           403: "Forbidden", 404: "Not found", 405: "Method not allowed",
           422: "Input validation failed", 429: "Request was throttled",
           500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable",
           504: "Gateway timeout"}
_STATE = {"pending": "starting", "throttled": "starting", "running": "processing",
          "succeeded": "succeeded", "failed": "failed", "cancelled": "canceled"}
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _pid() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(26))


class ReplicateEmulator(Emulator):
    """Loopback emulator of Replicate's API; see the module docstring.

    Parameters (besides the kit's): ``models`` (``owner/name`` → :class:`ReplicateModel`,
    added to :data:`.replicate_models.MODELS`), ``balance`` (USD), ``output_ttl`` (seconds,
    default 3600)."""

    provider = "replicate"
    provider_faults = frozenset({"moderation", "expired_output", "job_failure"})
    job_failures = {"model_error": "Prediction failed: the model raised an exception.",
                    "nsfw": "NSFW content detected. Try running it again, or try a different "
                            "prompt."}
    moderation_code = "nsfw"
    default_failure_code = "model_error"
    default_failure_message = "Prediction failed."

    def __init__(self, *, models: dict[str, ReplicateModel] | None = None,
                 balance: float = 100.0, output_ttl: float = 3600.0, **kwargs: Any) -> None:
        self.models = {**MODELS, **(models or {})}
        super().__init__(output_ttl=output_ttl, **kwargs)
        self.wallet = Wallet(self.clock, round(balance * 1000))
        self.files: dict[str, dict[str, Any]] = {}
        self._file_data: dict[str, bytes] = {}
        self._lock = threading.Lock()

    @property
    def spent(self) -> float:
        """US dollars charged so far, net of refunds."""
        return sum(amount for _, _, amount in self.wallet.ledger) / 1000

    def provider_options(self, model: str = "kwaivgi/kling-v2.5-turbo-pro") -> dict[str, Any]:
        """Keyword arguments that point videonb's replicate provider here: the base URL, the
        token this emulator expects (any token when ``expected_key`` is None) and, since
        Replicate models are unpriced in videonb's table, ``price_per_second=`` stated as this
        emulator bills ``model`` (by default the provider's default model), so estimates and
        budgets work against it."""
        return {"base_url": self.base_url, "api_key": self.expected_key or "placeholder-key",
                "price_per_second": self.models[model].usd_per_second}

    # ---- routes and errors -------------------------------------------------------------
    def setup_routes(self) -> None:
        model = r"/v1/models/(?P<owner>[^/]+)/(?P<name>[^/]+)"
        self.route("GET", model, self._model, kind="models", name="models.get")
        self.route("GET", model + "/versions", self._versions, kind="models",
                   name="models.versions.list")
        self.route("GET", model + r"/versions/(?P<version>[^/]+)", self._version, kind="models",
                   name="models.versions.get")
        self.route("POST", model + "/predictions", self._create, kind="submit",
                   name="models.predictions.create")
        self.route("POST", "/v1/predictions", self._create, kind="submit",
                   name="predictions.create")
        self.route("GET", "/v1/predictions", self._list, kind="list", name="predictions.list")
        self.route("GET", r"/v1/predictions/(?P<id>[^/]+)", self._get, kind="poll",
                   name="predictions.get")
        self.route("POST", r"/v1/predictions/(?P<id>[^/]+)/cancel", self._cancel, kind="cancel",
                   name="predictions.cancel")
        self.route("POST", "/v1/files", self._file_create, kind="upload", name="files.create")
        self.route("GET", "/v1/files", self._file_list, kind="list", name="files.list")
        self.route("GET", r"/v1/files/(?P<id>[^/]+)", self._file_get, kind="upload",
                   name="files.get")
        self.route("DELETE", r"/v1/files/(?P<id>[^/]+)", self._file_delete, kind="upload",
                   name="files.delete")
        self.route("GET", r"/delivery/(?P<id>[a-z0-9]+)/output\.mp4", self._output, auth=False,
                   kind="download", name="delivery.download")

    def error_response(self, status: int, kind: str, req: Request, message: str | None = None,
                       **extra: Any) -> Response:
        default = {401: "You did not pass a valid authentication token",
                   404: "The requested resource could not be found.",
                   429: "Request was throttled. Expected available in 1 second."}
        body = {"title": _TITLES.get(status, "Error"), "status": status,
                "detail": message or default.get(status, _TITLES.get(status, "Error")), **extra}
        return Response.json(status, body)

    def missing_key_response(self, req: Request) -> Response:
        return self.error_response(401, "unauthorized", req,
                                   "You did not pass an authentication token")

    def invalid_response(self, exc: Invalid, req: Request) -> Response:
        extra = {"invalid_fields": exc.extra["fields"]} if "fields" in exc.extra else {}
        resp = self.error_response(exc.status, "invalid", req, exc.message, **extra)
        resp.headers.update(exc.headers)
        return resp

    # ---- models ------------------------------------------------------------------------
    def _spec(self, req: Request) -> tuple[str, ReplicateModel]:
        name = f"{req.match['owner']}/{req.match['name']}"  # type: ignore[index]
        spec = self.models.get(name)
        if spec is None:
            raise Invalid("The requested resource could not be found.", status=404)
        return name, spec

    def _version_json(self, name: str, spec: ReplicateModel) -> dict[str, Any]:
        return {"id": spec.version(name), "created_at": "2026-10-01T00:00:00.000000Z",
                "cog_version": "0.16.8", "openapi_schema": schema_of(spec)}

    def _model(self, req: Request) -> Response:
        name, spec = self._spec(req)
        owner, model = name.split("/")
        return Response.json(200, {
            "url": f"https://replicate.com/{name}", "owner": owner, "name": model,
            "description": spec.description, "visibility": "public", "github_url": None,
            "paper_url": None, "license_url": None, "run_count": 1000, "cover_image_url": None,
            "default_example": None, "latest_version": self._version_json(name, spec)})

    def _versions(self, req: Request) -> Response:
        name, spec = self._spec(req)
        return Response.json(200, {"next": None, "previous": None,
                                   "results": [self._version_json(name, spec)]})

    def _version(self, req: Request) -> Response:
        name, spec = self._spec(req)
        if req.match["version"] != spec.version(name):  # type: ignore[index]
            raise Invalid("The requested resource could not be found.", status=404)
        return Response.json(200, self._version_json(name, spec))

    # ---- input validation --------------------------------------------------------------
    def _uri_ok(self, value: str) -> bool:
        if value.startswith("data:"):
            try:
                mime, data = _media.parse_data_uri(value)
            except _media.DataURIError:
                return False
            return not mime.startswith("image/") or _media.image_info(data) is not None
        own = f"{self.base_url}/v1/files/"
        if value.startswith(own):
            return value[len(own):] in self.files
        return value.startswith(("https://", "http://"))

    def _check_input(self, spec: ReplicateModel, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("input", {}), dict):
            raise Invalid("- input: Invalid type. Expected: object", status=422, fields=[
                {"type": "invalid_type", "field": "input", "description": "Expected: object"}])
        given = body.get("input") or {}
        fields: list[dict[str, str]] = []

        def bad(kind: str, name: str, text: str) -> None:
            fields.append({"type": kind, "field": f"input.{name}" if name else "input",
                           "description": text})

        for name in spec.required:
            if name not in given:
                bad("required", "", f"{name} is required")
        types = {"string": str, "integer": int, "number": (int, float), "boolean": bool}
        for name, value in given.items():
            prop = spec.properties.get(name)
            if prop is None:
                continue  # Cog ignores inputs a model does not declare (UNCONFIRMED)
            want = types.get(prop.get("type", ""))
            if want is not None and (not isinstance(value, want) or (
                    want is not bool and isinstance(value, bool))):
                bad("invalid_type", name, f"Invalid type. Expected: {prop['type']}, given: "
                    f"{type(value).__name__}")
                continue
            if "enum" in prop and value not in prop["enum"]:
                bad("enum", name, f"{name} must be one of the following: "
                    + ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in prop["enum"]))
            lo, hi = prop.get("minimum"), prop.get("maximum")
            if isinstance(value, (int, float)) and not isinstance(value, bool) and (
                    (lo is not None and value < lo) or (hi is not None and value > hi)):
                bad("number_range", name, f"Must be between {lo} and {hi}")
            if prop.get("format") == "uri" and not (isinstance(value, str)
                                                    and self._uri_ok(value)):
                bad("format", name, "Does not match format 'uri' (or the file is unreadable)")
        if fields:
            detail = "\n".join(f"- {f['field']}: {f['description']}" for f in fields)
            raise Invalid(detail, status=422, fields=fields)
        return given

    # ---- predictions -------------------------------------------------------------------
    def _create(self, req: Request) -> Response:
        try:
            body = req.json() or {}
        except ValueError:
            raise Invalid("The request body is not valid JSON.") from None
        if req.route.name == "predictions.create":
            version = str(body.get("version") or "") if isinstance(body, dict) else ""
            vid = version.rsplit(":", 1)[-1]
            found = [(n, s) for n, s in self.models.items() if s.version(n) == vid]
            if not found:
                raise Invalid("Invalid version or not permitted", status=422, fields=[
                    {"type": "invalid", "field": "version",
                     "description": "Invalid version or not permitted"}])
            name, spec = found[0]
        else:
            name, spec = self._spec(req)
        given = self._check_input(spec, body)
        seconds = spec.default_seconds
        if spec.duration_field and spec.duration_field in given:
            seconds = int(given[spec.duration_field])
        cost = round(spec.usd_per_second * seconds * 1000)
        if self.wallet.charge(name, cost) is not None:
            raise Invalid("You have insufficient credit to run this model. Go to "
                          "https://replicate.com/account/billing#billing to purchase credit.",
                          status=402)
        job = self.create_job(req, _pid(), {"model": name, "version": spec.version(name),
                                            "input": given, "cost": cost, "seconds": seconds})
        wait = self._prefer_wait(req)
        state = None
        if wait:
            deadline = time.monotonic() + wait
            while not self.stopping.is_set() and time.monotonic() < deadline:
                state = self.scheduler.state(job)
                if state in ("succeeded", "failed", "cancelled"):
                    break
                self.stopping.wait(0.01)
            else:
                state = "pending"  # the wait ran out: Replicate answers "starting"
        return Response.json(201, self._prediction(job, state))

    @staticmethod
    def _prefer_wait(req: Request) -> int | None:
        prefer = (req.header("prefer") or "").strip().lower()
        if prefer == "wait":
            return 60
        if prefer.startswith("wait="):
            try:
                return max(1, min(60, int(prefer[5:])))
            except ValueError:
                return None
        return None

    def _prediction(self, job: Job, state: str | None = None) -> dict[str, Any]:
        actual, progress, now = self.scheduler.view(job)
        self.wallet.settle(job, actual)
        state = state or actual
        status = _STATE[state]
        base = f"{self.base_url}/v1/predictions/{job.id}"
        out: dict[str, Any] = {
            "id": job.id, "model": job.data["model"], "version": job.data["version"],
            "input": job.data["input"], "logs": "", "output": None, "data_removed": False,
            "error": None, "status": status, "created_at": iso8601(job.created),
            "started_at": iso8601(job.started) if job.started and status != "starting" else None,
            "completed_at": None,
            "urls": {"get": base, "cancel": base + "/cancel",
                     "web": f"https://replicate.com/p/{job.id}"}}
        if status == "processing":
            steps = int(progress * 20)
            out["logs"] = "Starting inference...\n" + "\n".join(
                f"{int(100 * k / 20):3d}%|{'#' * k}{' ' * (20 - k)}| {k}/20"
                for k in range(steps + 1))
        if status in ("succeeded", "failed", "canceled"):
            out["completed_at"] = iso8601(job.ended or now)
            ran = max(0.0, (job.ended or now) - (job.started or job.created))
            out["metrics"] = {"predict_time": round(ran, 3),
                              "total_time": round((job.ended or now) - job.created, 3)}
        if status == "succeeded":
            out["output"] = self.signed_url(f"/delivery/{job.id}/output.mp4", job.id)
        elif status == "failed":
            out["error"] = job.failure[1] if job.failure else "Prediction failed."
        return out

    def _job(self, req: Request) -> Job:
        job = self.scheduler.get(req.match["id"])  # type: ignore[index]
        if job is None:
            raise Invalid("The requested resource could not be found.", status=404)
        return job

    def _get(self, req: Request) -> Response:
        return Response.json(200, self._prediction(self._job(req)))

    def _list(self, req: Request) -> Response:
        jobs = list(reversed(self.scheduler.all()))
        page, more = page_after(jobs, 100, req.param("cursor"), key=lambda j: j.id)
        nxt = f"{self.base_url}/v1/predictions?cursor={page[-1].id}" if more and page else None
        return Response.json(200, {"next": nxt, "previous": None,
                                   "results": [self._prediction(j) for j in page]})

    def _cancel(self, req: Request) -> Response:
        job = self._job(req)
        state = self.scheduler.state(job)
        if state in ("pending", "throttled", "running"):
            self.wallet.cancel(job, state)
            self.scheduler.cancel(job)
        return Response.json(200, self._prediction(job))

    # ---- files -------------------------------------------------------------------------
    def _file_json(self, fid: str) -> dict[str, Any]:
        return self.files[fid]

    def _file_create(self, req: Request) -> Response:
        try:
            form = req.form()
        except Exception:  # noqa: BLE001 - a broken multipart body is the client's error
            form = None
        part = (form or {}).get("content")
        data = getattr(part, "data", None)
        if data is None:
            raise Invalid("Missing file content (multipart field 'content').", status=400)
        fid = _pid()
        name = getattr(part, "filename", None) or "file"
        now = self.clock.now()
        self.files[fid] = {
            "id": fid, "name": name,
            "content_type": getattr(part, "content_type", None) or "application/octet-stream",
            "size": len(data), "etag": hashlib.md5(data).hexdigest(),  # noqa: S324 - an etag
            "checksums": {"sha256": hashlib.sha256(data).hexdigest(),
                          "md5": hashlib.md5(data).hexdigest()},  # noqa: S324
            "metadata": {}, "created_at": iso8601(now), "expires_at": iso8601(now + 86400),
            "urls": {"get": f"{self.base_url}/v1/files/{fid}"}}
        self._file_data[fid] = bytes(data)
        return Response.json(201, self.files[fid])

    def _file_list(self, req: Request) -> Response:
        return Response.json(200, {"next": None, "previous": None,
                                   "results": list(reversed(list(self.files.values())))})

    def _file_get(self, req: Request) -> Response:
        fid = req.match["id"]  # type: ignore[index]
        if fid not in self.files:
            raise Invalid("The requested resource could not be found.", status=404)
        return Response.json(200, self.files[fid])

    def _file_delete(self, req: Request) -> Response:
        fid = req.match["id"]  # type: ignore[index]
        if self.files.pop(fid, None) is None:
            raise Invalid("The requested resource could not be found.", status=404)
        self._file_data.pop(fid, None)
        return Response.empty(204)

    # ---- outputs -----------------------------------------------------------------------
    def _output(self, req: Request) -> Response:
        job_id = req.match["id"]  # type: ignore[index]
        job = self.scheduler.get(job_id)
        verdict = self.check_signed(req, job_id)
        if verdict != "ok" or job is None or self.scheduler.state(job) != "succeeded":
            return Response.text(404 if verdict == "expired" else 403,
                                 "expired" if verdict == "expired" else "Forbidden")
        return media_response(req, _media.synthetic_mp4(1280, 720, self.video_seconds),
                              "video/mp4")
