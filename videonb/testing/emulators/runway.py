"""Runway API emulator (``https://api.dev.runwayml.com``, API version ``2024-11-06``).

Endpoints (all under ``/v1/`` need ``Authorization: Bearer <key>`` and
``X-Runway-Version: 2024-11-06``):

- ``POST /v1/text_to_video``, ``POST /v1/image_to_video``, ``POST /v1/video_to_video``
  → ``{"id": "<uuid>", "estimatedCost": {"credits": n}}``; bodies are validated against
  the model limits in :data:`MODELS` (model, ratio, duration, promptText length, media
  URIs, per-model fields) and rejected with 400
  ``{"error": "Validation of body failed", "issues": [...], "docUrl": ...}``.
- ``GET /v1/tasks/{id}`` → the task: ``PENDING`` → (``THROTTLED`` while more than
  ``concurrency`` tasks run) → ``RUNNING`` (``progress`` 0..1) → ``SUCCEEDED``
  (``output: [url]``) / ``FAILED`` (``failure``, ``failureCode``) / ``CANCELLED``.
- ``DELETE /v1/tasks/{id}`` → 204: cancels a PENDING/THROTTLED/RUNNING task (it then
  reads as ``CANCELLED``); deletes any other task (it then reads as 404).
- ``GET /v1/organization`` → ``creditBalance``, ``tier``, ``usage``.
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

import ipaddress
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import _media
from .kit.billing import Wallet
from .kit.checks import Problem, check, utf16_len
from .kit.dialects import zod_custom, zod_issues
from .kit.emulator import Emulator
from .kit.http import Invalid, Request, Response, iso8601, media_response
from .kit.jobs import Job
from .kit.models import ModelTable

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


@dataclass(frozen=True)
class ModelSpec:
    """Validation limits and price of one model on one endpoint."""

    ratios: tuple[str, ...] | None = None  # None: any "W:H" or aspect string
    ratio_required: bool = False
    durations: tuple[int, ...] | None = None  # allowed values; None: any int in 1..20
    duration_required: bool = False
    default_duration: int = 5
    prompt_required: bool = True
    prompt_max: int = 1000
    media_field: str | None = None  # promptImage / videoUri / promptVideo
    positions: tuple[str, ...] = ("first",)
    credits_per_second: float = 10.0
    audio_credits_per_second: float | None = None  # price when "audio": true (default)
    #: Further body fields of this model: name -> :func:`~.kit.check` keywords.
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)


GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672")
VEO_RATIOS = ("1280:720", "720:1280", "1080:1920", "1920:1080")
ALEPH_ASPECTS = ("16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "21:9")
_2_TO_10 = tuple(range(2, 11))
T2V, I2V, V2V = "text_to_video", "image_to_video", "video_to_video"
_MEDIA = {T2V: None, I2V: "promptImage", V2V: "videoUri"}
_FIRST_LAST = ("first", "last")

#: (endpoint, model) -> limits.  Models in providers.md have their documented limits;
#: the other model ids runwayml 5.24 knows get loose limits (any ratio, int duration).
MODELS: ModelTable[ModelSpec] = ModelTable()


def _add(endpoint: str, models: str, replace: bool = True, **limits: Any) -> None:
    MODELS.add(models, ModelSpec(media_field=_MEDIA[endpoint], **limits), endpoint, replace=replace)


_GEN45 = dict(ratio_required=True, durations=_2_TO_10, duration_required=True,
              credits_per_second=12)
_VEO = dict(ratios=VEO_RATIOS, ratio_required=True, durations=(4, 6, 8), default_duration=8)
_VEO3 = dict(_VEO, durations=(8,), duration_required=True, credits_per_second=40)
_OMNI = dict(ratios=("1280:720", "720:1280"), durations=tuple(range(3, 11)))
_I2V = dict(prompt_required=False, positions=_FIRST_LAST)
_SEEDANCE = "seedance2 seedance2_fast seedance2_mini"
_add(T2V, "gen4.5", ratios=("1280:720", "720:1280"), **_GEN45)
_add(T2V, "veo3.1", credits_per_second=20, audio_credits_per_second=40, **_VEO)
_add(T2V, "veo3.1_fast", credits_per_second=10, audio_credits_per_second=15, **_VEO)
_add(T2V, "veo3", **_VEO3)
_add(T2V, "gemini_omni_flash", **_OMNI)
_add(T2V, "happyhorse_1_0", prompt_max=2500)
_add(T2V, _SEEDANCE, prompt_max=3500, credits_per_second=36)
_add(I2V, "gen4.5", ratios=GEN4_RATIOS, **_GEN45)
_add(I2V, "gen4_turbo", ratios=GEN4_RATIOS, ratio_required=True, durations=_2_TO_10,
     prompt_required=False, credits_per_second=5)
_add(I2V, "veo3.1", credits_per_second=20, audio_credits_per_second=40, **_VEO, **_I2V)
_add(I2V, "veo3.1_fast", credits_per_second=10, audio_credits_per_second=15, **_VEO, **_I2V)
_add(I2V, "veo3", **_VEO3, **_I2V)
_add(I2V, "gemini_omni_flash", prompt_required=False, **_OMNI)
_add(I2V, "happyhorse_1_0", prompt_required=False, prompt_max=2500)
_add(I2V, _SEEDANCE, prompt_max=3500, credits_per_second=36, **_I2V)
_add(V2V, "aleph2", prompt_required=False, credits_per_second=15,
     fields={"keyframes": dict(type="array", maximum=5),
             "targetAspectRatio": dict(choices=ALEPH_ASPECTS)})
_add(V2V, "gen4_aleph", ratios=GEN4_RATIOS + ("848:480", "640:480"), credits_per_second=15,
     fields={"references": dict(type="array", maximum=1)})
_add(V2V, "gemini_omni_flash")
_RESOLD = ("klingO3_4k hailuo3 klingO3_pro klingO3_standard gemini_omni_flash_1.1"
           " seedance2_5 kling_4")
_RESOLD_T2V = _RESOLD + (" kling3.0_4k kling2.5_turbo_pro kling3.0_pro kling3.0_standard"
                         " grok_imagine_1_5 wan3 wan3_prime h3_max grok_imagine_1_5_lite")
for _endpoint, _names in ((T2V, _RESOLD_T2V), (I2V, _RESOLD_T2V), (V2V, _RESOLD + " " + _SEEDANCE)):
    _add(_endpoint, _names, replace=False, prompt_max=15000, **_I2V)

#: Largest data URI input, counted on its decoded bytes (the URL and upload limits,
#: 16/32 MB and 200 MB, are not checked: URLs are never fetched, uploads not emulated).
_DATA_URI_LIMIT = {"image": 5 * 1024 * 1024, "video": 16 * 1024 * 1024}
_TYPES = {
    "image": ("image/jpeg", "image/jpg", "image/png", "image/webp"),
    "video": ("video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/mov",
              "video/h264"),
}
_ASPECT = re.compile(r"^\d{1,5}:\d{1,5}\Z|^(adaptive|auto(_\d+p)?)\Z")
_FORMATS = {"ratio": 'a ratio like "1280:720"'}


def _zod(p: Problem | None) -> list[dict[str, Any]]:
    return zod_issues(p, _FORMATS)


class RunwayEmulator(Emulator):
    """Loopback emulator of the Runway API; see the module docstring for endpoints.

    Parameters (besides :class:`~videonb.testing.emulators.kit.Emulator`'s):

    concurrency
        Tasks that may run at once (Runway tier 1: 1-2); further tasks are ``THROTTLED``.
        ``None`` disables throttling.
    credits
        Starting credit balance; a task that costs more than the balance gets 400.
    daily_limit
        Generations per model per rolling day before 429 (``None``: no limit).
    require_version
        Reject requests without ``X-Runway-Version: 2024-11-06`` (default True).
    """

    provider = "runway"
    provider_faults = frozenset({"moderation", "expired_output", "job_failure"})
    job_failures = FAILURE_MESSAGES
    job_code_pattern = _CODE
    moderation_code = "SAFETY.INPUT.TEXT"
    default_failure_code = "INTERNAL"
    default_failure_message = "The task failed."
    early_failures = ("SAFETY.INPUT", "ASSET", "INPUT_PREPROCESSING")

    def __init__(
        self,
        *,
        concurrency: int | None = 2,
        credits: int = 10_000,
        daily_limit: int | None = None,
        require_version: bool = True,
        **kwargs: Any,
    ) -> None:
        self.require_version = require_version
        super().__init__(concurrency=concurrency, **kwargs)
        #: The account's credits and daily caps (``emu.credits`` reads the balance).
        self.wallet = Wallet(self.clock, credits, daily_limit)

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
        self.route("GET", "/v1/organization", self._organization, kind="account",
                   name="organization.retrieve")
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

    # ---- validation --------------------------------------------------------------------
    def _check_media(self, value: Any, path: str, kind: str) -> list[dict[str, Any]]:
        problem = check(value, path, required=True, type="string", minimum=1)
        if problem is not None:
            return _zod(problem)
        if value.startswith("data:"):
            try:
                mime, data = _media.parse_data_uri(value)
            except _media.DataURIError as exc:
                return zod_custom(path, str(exc))
            limit = _DATA_URI_LIMIT[kind]
            if mime not in _TYPES[kind]:
                return zod_custom(path, f"Unsupported asset type: {mime}.")
            if len(data) > limit:
                return zod_custom(path, f"Data URIs for {kind}s must be at most {limit >> 20} MB.")
            if kind == "image" and _media.image_info(data) is None:
                return zod_custom(path, "The image could not be decoded.")
            return []
        if value.startswith("runway://") or self.is_own_url(value):  # own: an earlier output
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
        """Issues of the model's own fields and of its media inputs."""
        issues = [i for name, rule in spec.fields.items()
                  for i in _zod(check(body.get(name), name, **rule))]
        if spec.media_field == "videoUri":
            name = "videoUri" if "videoUri" in body or "promptVideo" not in body else "promptVideo"
            return issues + self._check_media(body.get(name), name, "video")
        img = body.get("promptImage")
        if spec.media_field != "promptImage":
            return issues
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
            positions.append(str(pos))
            issues += _zod(check(pos, "promptImage", required=True, choices=spec.positions))
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
        if spec is None:
            return None, [{"code": "invalid_union", "errors": [], "note": "No matching discriminator",
                           "discriminator": "model", "path": ["model"], "message": "Invalid input"}]
        prompt, duration = body.get("promptText"), body.get("duration")
        moderation = body.get("contentModeration")
        threshold = moderation.get("publicFigureThreshold") if isinstance(moderation, dict) else None
        problems = [
            check("" if isinstance(prompt, str) and not prompt.strip() else prompt, "promptText",
                  required=spec.prompt_required, type="string", minimum=1,
                  maximum=spec.prompt_max, measure=utf16_len),
            check(body.get("ratio"), "ratio", required=spec.ratio_required, choices=spec.ratios,
                  pattern=None if spec.ratios else _ASPECT),
            None if duration == "auto" and spec.durations is None else
            check(duration, "duration", required=spec.duration_required, type="int",
                  choices=spec.durations, minimum=1, maximum=20),
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
        seconds = duration if isinstance(duration, int) else spec.default_duration
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
        job = self.create_job(req, str(uuid.uuid4()), data)
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
        limits = {"maxConcurrentGenerations": self.concurrency,
                  "maxDailyGenerations": self.daily_limit}
        tier = {"maxMonthlyCreditSpend": 10_000,
                "models": {m: dict(limits) for m in sorted(MODELS.ids())}}
        usage = {"models": self.wallet.daily_usage()}
        return Response.json(200, {"creditBalance": self.credits, "tier": tier, "usage": usage})

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
