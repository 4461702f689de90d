"""Runway API emulator (``https://api.dev.runwayml.com``, API version ``2024-11-06``).

Endpoints (all under ``/v1/`` need ``Authorization: Bearer <key>`` and
``X-Runway-Version: 2024-11-06``); ``docs/emulators.md`` has the fidelity table:

- ``POST /v1/text_to_video``, ``POST /v1/image_to_video``, ``POST /v1/video_to_video``
  → ``{"id": "<uuid>", "estimatedCost": {"credits": n}}``; bodies are validated against
  the model table (:data:`.runway_models.MODELS`: model ids per endpoint, ratio,
  duration, resolution, promptText length, promptImage positions, media URIs) and
  rejected with 400 ``{"error": "Validation of body failed", "issues": [...], "docUrl"}``.
  Data URIs are limited on the length of the URI itself (5 MiB images, 16 MiB videos);
  ``runway://`` URIs must name a completed upload less than 24 h old.
- ``POST /v1/uploads`` → ``{uploadUrl, fields, runwayUri}`` and the presigned storage form
  at ``uploadUrl`` (:mod:`.runway_uploads`).
- ``GET /v1/tasks/{id}`` → the task: ``PENDING`` → (``THROTTLED`` while the model's
  concurrency is used up) → ``RUNNING`` (``progress`` 0..1) → ``SUCCEEDED``
  (``output: [url]``) / ``FAILED`` (``failure``, ``failureCode``) / ``CANCELLED``.
- ``DELETE /v1/tasks/{id}`` → 204: cancels a PENDING/THROTTLED/RUNNING task (it then
  reads as ``CANCELLED``); deletes any other task (it then reads as 404).
- ``GET /v1/organization`` → ``creditBalance``, ``tier`` (per-model limits), ``usage``;
  ``POST /v1/organization/usage`` → credits spent per day and model.
- ``GET /outputs/{id}.mp4?exp=…&sig=…`` (no auth, like a signed CDN URL; on
  ``output_base`` when one is set) → a real H.264 MP4; after ``output_ttl`` seconds
  (simulated clock) it answers 403 like an expired signed URL.  Each task read returns
  freshly signed URLs.

Job faults (``emu.inject(code)``) for the next task created: any Runway failure code,
e.g. ``"SAFETY.INPUT.TEXT"``, ``"SAFETY.INPUT.IMAGE"``, ``"SAFETY.OUTPUT.VIDEO"``,
``"INTERNAL.BAD_OUTPUT"``, ``"INTERNAL.BAD_OUTPUT.CODE01"``, ``"ASSET.INVALID"``,
``"INTERNAL"``; ``"moderation"`` is ``SAFETY.INPUT.TEXT``.  ``SAFETY.INPUT.*`` and
``ASSET.*`` fail before the task runs, the others after it ran.  The server machinery
(faults, jobs, signed URLs, counters) is the kit's (:mod:`.kit`).
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from . import _media
from .kit.billing import Wallet
from .kit.checks import Problem, check, utf16_len
from .kit.dialects import zod_custom, zod_issues
from .kit.http import Invalid, Request, Response, iso8601, media_response
from .kit.jobs import Job
from .runway_models import ANY, MODELS, T2V, I2V, V2V, TIER_DEFAULTS, ModelSpec
from .runway_uploads import UPLOAD_LIMIT, RunwayUploads

__all__ = ["API_VERSION", "FAILURE_MESSAGES", "MODELS", "ModelSpec", "RunwayEmulator"]

API_VERSION = "2024-11-06"
DOC_URL = "https://docs.dev.runwayml.com/api"

#: Human-readable ``failure`` text for the failure codes the emulator knows by name.
FAILURE_MESSAGES = {
    "SAFETY.INPUT.TEXT": "The prompt text did not pass our content moderation.",
    "SAFETY.INPUT.IMAGE": "The input image did not pass our content moderation.",
    "SAFETY.INPUT.VIDEO": "The input video did not pass our content moderation.",
    "SAFETY.INPUT.AUDIO": "The input audio did not pass our content moderation.",
    "SAFETY.OUTPUT.VIDEO": "The generated video did not pass our content moderation.",
    "INTERNAL.BAD_OUTPUT": "The output did not meet our quality standards. Please try again.",
    "INTERNAL.BAD_OUTPUT.CODE01": "The output did not meet our quality standards. Please try again.",
    "ASSET.INVALID": "An input asset could not be processed.",
    "INPUT_PREPROCESSING.SAFETY.TEXT": "The prompt text did not pass our content moderation.",
    "INPUT_PREPROCESSING.INTERNAL": "An input could not be preprocessed. Please try again.",
    "INTERNAL": "An internal error occurred. Please try again.",
}
_CODE = re.compile(r"^(SAFETY|INTERNAL|ASSET|INPUT_PREPROCESSING)(\.[A-Z0-9_]+)*\Z")

#: Longest data URI input, counted on the URI itself (base64 and its ``data:`` prefix), as
#: Runway counts it [docs.dev.runwayml.com/assets/inputs, providers.md §11]: 5 MB images,
#: 16 MB videos (the SDK docstrings say "up to 5MB" for videos too; Runway's own input
#: table and skills notes say 16 MB, which is what the emulator follows).
DATA_URI_LIMIT = {"image": 5 * 1024 * 1024, "video": 16 * 1024 * 1024}
_TYPES = {
    "image": ("image/jpeg", "image/jpg", "image/png", "image/webp"),
    "video": ("video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/mov",
              "video/h264"),
}
_FORMATS = {"ratio": 'a ratio like "1280:720"'}
_DAY = 86400.0


def _zod(p: Problem | None) -> list[dict[str, Any]]:
    return zod_issues(p, _FORMATS)


class RunwayEmulator(RunwayUploads):
    """Loopback emulator of the Runway API; see the module docstring for endpoints.

    Parameters (besides :class:`~videonb.testing.emulators.kit.Emulator`'s):

    concurrency
        Tasks of one model that may run at once (Runway tier 1: 1-2; limits are per
        model); further tasks of that model are ``THROTTLED``.  ``None``: no limit.
    credits
        Starting credit balance; a task that costs more than the balance gets 400.
    daily_limit
        Generations per model per rolling day before 429 (``None``: no limit).
    limits
        Per-model tier limits overriding the two above, e.g.
        ``{"gen4.5": {"concurrency": 1, "daily": 50}}``; ``/v1/organization`` reports them.
    require_version
        Reject requests without ``X-Runway-Version: 2024-11-06`` (default True).
    max_upload_bytes
        Largest ephemeral upload (default 200 MiB).
    """

    provider = "runway"
    provider_faults = frozenset({"moderation", "expired_output", "job_failure"})
    job_failures = FAILURE_MESSAGES
    job_code_pattern = _CODE
    moderation_code = "SAFETY.INPUT.TEXT"
    default_failure_code = "INTERNAL"
    default_failure_message = "The task failed."
    early_failures = ("SAFETY.INPUT", "ASSET", "INPUT_PREPROCESSING")
    models = MODELS

    def __init__(
        self,
        *,
        concurrency: int | None = TIER_DEFAULTS["concurrency"],
        credits: int = 10_000,
        daily_limit: int | None = TIER_DEFAULTS["daily"],
        limits: dict[str, dict[str, int | None]] | None = None,
        require_version: bool = True,
        max_upload_bytes: int = UPLOAD_LIMIT,
        **kwargs: Any,
    ) -> None:
        self.require_version = require_version
        self.max_upload_bytes = int(max_upload_bytes)
        super().__init__(concurrency=concurrency, **kwargs)
        limits = limits or {}
        unknown = sorted(set(limits) - set(MODELS.ids()))
        if unknown:
            raise ValueError(f"limits= names models Runway does not serve: {unknown}")
        self.scheduler.group_limits.update(
            {m: lim["concurrency"] for m, lim in limits.items() if "concurrency" in lim})
        #: The account's credits and daily caps (``emu.credits`` reads the balance).
        self.wallet = Wallet(self.clock, credits, daily_limit,
                             {m: lim["daily"] for m, lim in limits.items() if "daily" in lim})
        self._init_uploads()

    credits = property(lambda self: self.wallet.credits,
                       lambda self, value: setattr(self.wallet, "credits", int(value)))
    daily_limit = property(lambda self: self.wallet.daily_limit,
                           lambda self, value: setattr(self.wallet, "daily_limit", value))

    # ---- routes, auth and error bodies -------------------------------------------------
    def setup_routes(self) -> None:
        for ep in (T2V, I2V, V2V):
            self.route("POST", f"/v1/{ep}", self._create, kind="submit", name=f"{ep}.create")
        task = r"/v1/tasks/(?P<id>[^/]+)"
        self.route("GET", task, self._get_task, kind="poll", name="tasks.retrieve")
        self.route("DELETE", task, self._delete_task, kind="cancel", name="tasks.delete")
        self.route("POST", "/v1/uploads", self._create_upload, kind="upload",
                   name="uploads.create_ephemeral")
        self.route("POST", r"/storage/(?P<id>[0-9a-f]+)", self._upload_form, auth=False,
                   kind="upload", name="uploads.storage")
        self.route("GET", "/v1/organization", self._organization, kind="account",
                   name="organization.retrieve")
        self.route("POST", "/v1/organization/usage", self._usage, kind="account",
                   name="organization.retrieve_usage")
        self.route("GET", r"/outputs/(?P<id>[0-9a-f-]+)\.mp4", self._output, auth=False,
                   kind="download", name="outputs.download")

    def check_request(self, req: Request) -> Response | None:
        version = req.header("x-runway-version")
        if not self.require_version or version == API_VERSION:
            return None
        if not version:
            message = (f"You must provide an X-Runway-Version header. "
                       f"The current version is {API_VERSION}.")
        else:
            message = f"Invalid API version: {version}. Supported versions: {API_VERSION}."
        return self.error_response(400, "version", req, message)

    def error_response(
        self, status: int, kind: str, req: Request, message: str | None = None, **extra: Any
    ) -> Response:
        # Runway documents "a JSON response with an error member with a human-readable
        # explanation"; the exact texts below are the emulator's own.
        default = {
            400: "Bad request.",
            401: "Invalid API key.",
            403: "Forbidden.",
            404: "Not found.",
            405: "Method not allowed.",
            429: "You have exceeded the rate limit. Please try again later.",
            500: "An unexpected error occurred.",
            502: "Bad gateway.",
            503: "Runway is currently shedding load. Please try again later.",
            504: "Gateway timeout.",
        }
        return Response.json(status, {"error": message or default.get(status, "Error."), **extra})

    def invalid_response(self, exc: Invalid, req: Request) -> Response:
        if "issues" in exc.extra:
            return self.error_response(exc.status, "validation", req, exc.message,
                                       issues=exc.extra["issues"], docUrl=DOC_URL)
        return self.error_response(exc.status, "invalid", req, exc.message)

    def zod(self, problem: Problem | None) -> list[dict[str, Any]]:
        return _zod(problem)

    # ---- validation --------------------------------------------------------------------
    def _check_media(self, value: Any, path: str, kind: str) -> list[dict[str, Any]]:
        problem = check(value, path, required=True, type="string", minimum=1)
        if problem is not None:
            return _zod(problem)
        if value.startswith("data:"):
            limit = DATA_URI_LIMIT[kind]
            if len(value) > limit:  # the encoded URI, not the bytes it decodes to
                return zod_custom(path, f"Data URIs for {kind}s must be at most {limit >> 20} MB "
                                  "once encoded. Upload larger files with the uploads API.")
            try:
                mime, data = _media.parse_data_uri(value)
            except _media.DataURIError as exc:
                return zod_custom(path, str(exc))
            if mime not in _TYPES[kind]:
                return zod_custom(path, f"Unsupported asset type: {mime}.")
            if kind == "image" and _media.image_info(data) is None:
                return zod_custom(path, "The image could not be decoded.")
            return []
        if value.startswith("runway://"):
            why = self.upload_problem(value, kind)
            return zod_custom(path, why) if why else []
        if self.is_own_url(value):  # an earlier output
            return []
        if len(value) > 2048:
            return zod_custom(path, "URLs must be at most 2048 characters.")
        if not value.startswith("https://"):
            return zod_custom(path, "Only HTTPS URLs are allowed.")
        try:
            ipaddress.ip_address(urlsplit(value).hostname or "")
        except ValueError:
            return []
        return zod_custom(path, "URLs must be hosted on a domain.")

    def _check_inputs(self, spec: ModelSpec, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Issues of the model's own fields and of its media input."""
        issues = [i for name, rule in spec.fields.items()
                  for i in _zod(check(body.get(name), name, **rule))]
        if spec.media in ("videoUri", "promptVideo"):
            return issues + self._check_media(body.get(spec.media), spec.media, "video")
        if spec.media != "promptImage":
            return issues
        img = body.get("promptImage")
        if not isinstance(img, list):
            return issues + self._check_media(img, "promptImage", "image")
        issues += _zod(check(img, "promptImage", minimum=1))
        positions = []
        for i, item in enumerate(img):
            if not isinstance(item, dict):
                issues += zod_custom("promptImage", f"Invalid input at index {i}: expected object",
                                     "invalid_type")
                continue
            pos = item.get("position")
            if spec.positions is not None:
                issues += _zod(check(pos, "promptImage", required=spec.position_required,
                                     choices=spec.positions))
            if pos is not None:
                positions.append(str(pos))
            issues += self._check_media(item.get("uri"), "promptImage", "image")
        if len(set(positions)) != len(positions):
            issues += zod_custom("promptImage", "Each position may be used only once.")
        return issues

    def _validate(self, endpoint: str, body: Any) -> tuple[ModelSpec | None, list[dict[str, Any]]]:
        if not isinstance(body, dict):
            return None, _zod(check(body, "", required=True, type="object"))
        model = body.get("model")
        if not isinstance(model, str):
            return None, _zod(check(model, "model", required=True, type="string"))
        spec = MODELS.spec(model, endpoint)
        if spec is None:  # unknown, retired (dropped from the SDK) or not on this endpoint
            return None, [{"code": "invalid_union", "errors": [], "note": "No matching discriminator",
                           "discriminator": "model", "path": ["model"], "message": "Invalid input"}]
        prompt, duration, ratio = body.get("promptText"), body.get("duration"), body.get("ratio")
        moderation = body.get("contentModeration")
        threshold = moderation.get("publicFigureThreshold") if isinstance(moderation, dict) else None
        lo, hi = spec.duration_range
        problems = [
            check("" if isinstance(prompt, str) and not prompt.strip() else prompt, "promptText",
                  required=spec.prompt_required, type="string", minimum=1,
                  maximum=spec.prompt_max, measure=utf16_len),
            None if spec.ratios is None else
            check(ratio, "ratio", required=spec.ratio_required, type="string")
            if spec.ratios == ANY else
            check(ratio, "ratio", required=spec.ratio_required, choices=spec.ratios),
            None if not spec.has_duration or (duration == "auto" and spec.duration_auto) else
            check(duration, "duration", required=spec.duration_required, type="int",
                  choices=spec.durations, minimum=lo, maximum=hi),
            None if spec.resolutions is None else
            check(body.get("resolution"), "resolution", choices=spec.resolutions),
            check(body.get("audio"), "audio", type="boolean") if spec.audio else None,
            check(body.get("seed"), "seed", type="int", minimum=0, maximum=4294967295),
            check(moderation, "contentModeration", type="object"),
            check(threshold, "contentModeration.publicFigureThreshold", choices=("auto", "low")),
        ]
        return spec, [i for p in problems for i in _zod(p)] + self._check_inputs(spec, body)

    # ---- handlers ------------------------------------------------------------------------
    def _create(self, req: Request) -> Response:
        endpoint = req.route.name.split(".")[0]
        try:
            body = req.json()
        except ValueError:
            raise Invalid("Request body is not valid JSON.") from None
        spec, issues = self._validate(endpoint, body)
        if issues or spec is None:
            raise Invalid("Validation of body failed", issues=issues)
        model, duration = body["model"], body.get("duration")
        if isinstance(duration, int) and spec.has_duration:
            seconds = duration
        elif duration == "auto":  # billed at the variant's maximum up front (SDK docstring)
            seconds = max(spec.durations or (spec.duration_range[1],))
        else:
            seconds = spec.default_duration
        rate = spec.credits_per_second
        if spec.audio_credits_per_second is not None and body.get("audio", True):
            rate = spec.audio_credits_per_second
        cost = round(rate * seconds)
        refused = self.wallet.charge(model, cost)
        if refused == "daily_limit":
            raise Invalid(f"You have reached the daily generation limit for {model}. "
                          "Please try again later.", status=429)
        if refused == "credits":
            raise Invalid("You do not have enough credits to run this task.")
        data = {"model": model, "endpoint": endpoint, "cost": cost, "ratio": body.get("ratio"),
                "seconds": seconds}
        job = self.create_job(req, str(uuid.uuid4()), data, group=model)
        return Response.json(200, {"id": job.id, "estimatedCost": {"credits": cost}})

    def _task(self, req: Request) -> Job:
        job = self.scheduler.get(req.match["id"])  # type: ignore[index]
        if job is None:
            raise Invalid("Task not found.", status=404)
        return job

    def _get_task(self, req: Request) -> Response:
        job = self._task(req)
        state, progress, _ = self.scheduler.view(job)
        self.wallet.settle(job, state)  # failed tasks are free
        out: dict[str, Any] = {"id": job.id, "createdAt": iso8601(job.created),
                               "status": state.upper()}
        cost = job.data["cost"]
        if state in ("pending", "throttled", "running"):
            out["estimatedCost"] = {"credits": cost}
        if state == "running":
            out["progress"] = round(progress, 3)
        elif state == "succeeded":
            out["cost"] = {"credits": cost}
            out["output"] = [self.signed_url(f"/outputs/{job.id}.mp4", job.id)]
        elif state == "failed":
            out["cost"] = {"credits": 0}
            out["failureCode"], out["failure"] = job.failure
        elif state == "cancelled":
            out["cost"] = {"credits": cost if job.data.get("charged") else 0}
        return Response.json(200, out)

    def _delete_task(self, req: Request) -> Response:
        job = self._task(req)
        state = self.scheduler.state(job)
        if state in ("pending", "throttled", "running"):
            self.wallet.cancel(job, state)
            self.scheduler.cancel(job)
        else:
            self.wallet.settle(job, state)
            self.scheduler.remove(job.id)
        return Response.empty(204)

    def _organization(self, req: Request) -> Response:
        for job in self.scheduler.all():  # refunds of tasks that failed meanwhile
            self.wallet.settle(job, self.scheduler.state(job))
        tier = {"maxMonthlyCreditSpend": 10_000,
                "models": {m: {"maxConcurrentGenerations": self.scheduler.limit(m),
                               "maxDailyGenerations": self.wallet.limit(m)}
                           for m in sorted(MODELS.ids())}}
        usage = {"models": self.wallet.daily_usage()}
        return Response.json(200, {"creditBalance": self.credits, "tier": tier, "usage": usage})

    def _usage(self, req: Request) -> Response:
        """``POST /v1/organization/usage`` [runwayml 5.24 ``organization.retrieve_usage``]:
        ``startDate`` (default 30 days ago) to ``beforeDate`` (exclusive, default 30 days
        after the start, at most 90), UTC dates."""
        try:
            body = req.json() or {}
        except ValueError:
            raise Invalid("Request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise Invalid("Validation of body failed", issues=_zod(check(body, "", type="object")))
        today = _dt.datetime.fromtimestamp(self.clock.now(), _dt.timezone.utc).date()
        dates, issues = {}, []
        for name in ("startDate", "beforeDate"):
            value = body.get(name)
            if value is None:
                continue
            try:
                dates[name] = _dt.date.fromisoformat(str(value))
            except ValueError:
                issues += zod_custom(name, "Invalid date: expected YYYY-MM-DD.", "invalid_format")
        if issues:
            raise Invalid("Validation of body failed", issues=issues)
        start = dates.get("startDate", today - _dt.timedelta(days=30))
        before = dates.get("beforeDate", start + _dt.timedelta(days=30))
        if before <= start:
            raise Invalid("Validation of body failed",
                          issues=zod_custom("beforeDate", "beforeDate must be after startDate."))
        if (before - start).days > 90:
            raise Invalid("Validation of body failed", issues=zod_custom(
                "beforeDate", "beforeDate must be at most 90 days after startDate."))
        epoch = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)

        def ts(d: _dt.date) -> float:
            return (_dt.datetime(d.year, d.month, d.day, tzinfo=_dt.timezone.utc) - epoch) \
                .total_seconds()

        for job in self.scheduler.all():
            self.wallet.settle(job, self.scheduler.state(job))
        spent = self.wallet.spent(ts(start), ts(before))
        by_day: dict[str, list[dict[str, Any]]] = {}
        for (day, model), amount in sorted(spent.items()):
            by_day.setdefault(day, []).append({"amount": amount, "model": model})
        results = [{"date": day, "usedCredits": used} for day, used in sorted(by_day.items())]
        models = sorted({model for _, model in spent})
        return Response.json(200, {"models": models, "results": results})

    # ---- outputs -------------------------------------------------------------------------
    def _access_denied(self, message: str) -> Response:
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>AccessDenied</Code><Message>{message}</Message></Error>")
        return Response(403, body.encode(), {}, "application/xml")

    def _output(self, req: Request) -> Response:
        job_id = req.match["id"]  # type: ignore[index]
        verdict = self.check_signed(req, job_id)
        if verdict != "ok":
            return self._access_denied("Request has expired" if verdict == "expired"
                                       else "Access denied")
        job = self.scheduler.get(job_id)
        if job is None or self.scheduler.state(job) != "succeeded":
            return self._access_denied("Access denied")
        w, h = _ratio_size(job.data.get("ratio"))
        return media_response(req, _media.synthetic_mp4(w, h, self.video_seconds), "video/mp4")


def _ratio_size(ratio: Any) -> tuple[int, int]:
    m = re.match(r"^(\d+):(\d+)\Z", ratio) if isinstance(ratio, str) else None
    if m and int(m.group(1)) > 0 and int(m.group(2)) > 0:
        return int(m.group(1)), int(m.group(2))
    return 1280, 720
