"""Runway API emulator (``https://api.dev.runwayml.com``, API version ``2024-11-06``).

Endpoints (all under ``/v1/`` need ``Authorization: Bearer <key>`` and
``X-Runway-Version: 2024-11-06``):

- ``POST /v1/text_to_video``, ``POST /v1/image_to_video``, ``POST /v1/video_to_video``
  → ``{"id": "<uuid>", "estimatedCost": {"credits": n}}``; bodies are validated against
  the model limits (model, ratio, duration, promptText length, media URIs) and rejected
  with 400
  ``{"error": "Validation of body failed", "issues": [...], "docUrl": ...}``.
- ``GET /v1/tasks/{id}`` → the task: ``PENDING`` → (``THROTTLED`` while more than
  ``concurrency`` tasks run) → ``RUNNING`` (``progress`` 0..1) → ``SUCCEEDED``
  (``output: [url]``) / ``FAILED`` (``failure``, ``failureCode``) / ``CANCELLED``.
- ``DELETE /v1/tasks/{id}`` → 204: cancels a PENDING/THROTTLED/RUNNING task (it then
  reads as ``CANCELLED``); deletes any other task (it then reads as 404).
- ``GET /v1/organization`` → ``creditBalance``, ``tier``, ``usage``.
- ``GET /outputs/{id}.mp4?exp=…&sig=…`` (no auth, like a signed CDN URL) → a real
  H.264 MP4; after ``output_ttl`` seconds (simulated clock) it answers 403 like an
  expired signed URL.  Each task read returns freshly signed URLs.

Job faults (``emu.inject(code)``) for the next task created: any Runway failure code,
e.g. ``"SAFETY.INPUT.TEXT"``, ``"SAFETY.INPUT.IMAGE"``, ``"SAFETY.OUTPUT.VIDEO"``,
``"INTERNAL.BAD_OUTPUT"``, ``"INTERNAL.BAD_OUTPUT.CODE01"``, ``"ASSET.INVALID"``,
``"INTERNAL"``; ``"moderation"`` is ``SAFETY.INPUT.TEXT``.  ``SAFETY.INPUT.*`` and
``ASSET.*`` fail before the task runs, the others after it ran.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from . import _media
from .base import Emulator, Job, JobScheduler, Request, Response, iso8601, media_response

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
    """Validation limits of one model on one endpoint."""

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


GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672")
VEO_RATIOS = ("1280:720", "720:1280", "1080:1920", "1920:1080")
_2_TO_10 = tuple(range(2, 11))

#: (endpoint, model) -> limits.  Models in providers.md have their documented limits;
#: the other model ids runwayml 5.24 knows get loose limits (any ratio, int duration).
MODELS: dict[tuple[str, str], ModelSpec] = {
    # text to video
    ("text_to_video", "gen4.5"): ModelSpec(
        ("1280:720", "720:1280"), True, _2_TO_10, True, 5, True, 1000, None, credits_per_second=12
    ),
    ("text_to_video", "veo3.1"): ModelSpec(
        VEO_RATIOS,
        True,
        (4, 6, 8),
        False,
        8,
        True,
        1000,
        None,
        credits_per_second=20,
        audio_credits_per_second=40,
    ),
    ("text_to_video", "veo3.1_fast"): ModelSpec(
        VEO_RATIOS,
        True,
        (4, 6, 8),
        False,
        8,
        True,
        1000,
        None,
        credits_per_second=10,
        audio_credits_per_second=15,
    ),
    ("text_to_video", "veo3"): ModelSpec(
        VEO_RATIOS, True, (8,), True, 8, True, 1000, None, credits_per_second=40
    ),
    ("text_to_video", "gemini_omni_flash"): ModelSpec(
        ("1280:720", "720:1280"),
        False,
        tuple(range(3, 11)),
        False,
        5,
        True,
        1000,
        None,
        credits_per_second=10,
    ),
    ("text_to_video", "happyhorse_1_0"): ModelSpec(None, False, None, False, 5, True, 2500, None),
    ("text_to_video", "seedance2"): ModelSpec(
        None, False, None, False, 5, True, 3500, None, credits_per_second=36
    ),
    ("text_to_video", "seedance2_fast"): ModelSpec(
        None, False, None, False, 5, True, 3500, None, credits_per_second=36
    ),
    ("text_to_video", "seedance2_mini"): ModelSpec(
        None, False, None, False, 5, True, 3500, None, credits_per_second=36
    ),
    # image to video
    ("image_to_video", "gen4.5"): ModelSpec(
        GEN4_RATIOS, True, _2_TO_10, True, 5, True, 1000, "promptImage", ("first",), 12
    ),
    ("image_to_video", "gen4_turbo"): ModelSpec(
        GEN4_RATIOS, True, _2_TO_10, False, 5, False, 1000, "promptImage", ("first",), 5
    ),
    ("image_to_video", "veo3.1"): ModelSpec(
        VEO_RATIOS, True, (4, 6, 8), False, 8, False, 1000, "promptImage", ("first", "last"), 20, 40
    ),
    ("image_to_video", "veo3.1_fast"): ModelSpec(
        VEO_RATIOS, True, (4, 6, 8), False, 8, False, 1000, "promptImage", ("first", "last"), 10, 15
    ),
    ("image_to_video", "veo3"): ModelSpec(
        VEO_RATIOS, True, (8,), True, 8, False, 1000, "promptImage", ("first", "last"), 40
    ),
    ("image_to_video", "gemini_omni_flash"): ModelSpec(
        ("1280:720", "720:1280"),
        False,
        tuple(range(3, 11)),
        False,
        5,
        False,
        1000,
        "promptImage",
        ("first",),
        10,
    ),
    ("image_to_video", "happyhorse_1_0"): ModelSpec(
        None, False, None, False, 5, False, 2500, "promptImage", ("first",)
    ),
    ("image_to_video", "seedance2"): ModelSpec(
        None, False, None, False, 5, False, 3500, "promptImage", ("first", "last"), 36
    ),
    ("image_to_video", "seedance2_fast"): ModelSpec(
        None, False, None, False, 5, False, 3500, "promptImage", ("first", "last"), 36
    ),
    ("image_to_video", "seedance2_mini"): ModelSpec(
        None, False, None, False, 5, False, 3500, "promptImage", ("first", "last"), 36
    ),
    # video to video
    ("video_to_video", "aleph2"): ModelSpec(
        None, False, None, False, 5, False, 1000, "videoUri", credits_per_second=15
    ),
    ("video_to_video", "gen4_aleph"): ModelSpec(
        GEN4_RATIOS + ("848:480", "640:480"),
        False,
        None,
        False,
        5,
        True,
        1000,
        "videoUri",
        credits_per_second=15,
    ),
    ("video_to_video", "gemini_omni_flash"): ModelSpec(
        None, False, None, False, 5, True, 1000, "videoUri"
    ),
}

_LOOSE = {
    "text_to_video": (
        "klingO3_4k hailuo3 kling3.0_4k kling2.5_turbo_pro kling3.0_pro kling3.0_standard klingO3_pro "
        "klingO3_standard grok_imagine_1_5 wan3 gemini_omni_flash_1.1 wan3_prime h3_max seedance2_5 "
        "grok_imagine_1_5_lite kling_4"
    ),
    "image_to_video": (
        "klingO3_4k hailuo3 kling3.0_4k kling2.5_turbo_pro kling3.0_pro kling3.0_standard klingO3_pro "
        "klingO3_standard grok_imagine_1_5 wan3 gemini_omni_flash_1.1 wan3_prime h3_max seedance2_5 "
        "grok_imagine_1_5_lite kling_4"
    ),
    "video_to_video": (
        "klingO3_4k hailuo3 klingO3_pro klingO3_standard seedance2 seedance2_fast seedance2_mini "
        "gemini_omni_flash_1.1 seedance2_5 kling_4"
    ),
}
for _endpoint, _names in _LOOSE.items():
    for _name in _names.split():
        _field = {
            "text_to_video": None,
            "image_to_video": "promptImage",
            "video_to_video": "videoUri",
        }[_endpoint]
        MODELS.setdefault(
            (_endpoint, _name),
            ModelSpec(None, False, None, False, 5, False, 15000, _field, ("first", "last")),
        )

_MEDIA_LIMITS = {  # bytes: (data URI, URL) per kind; uploads are not emulated
    "image": (5 * 1024 * 1024, 16 * 1024 * 1024),
    "video": (16 * 1024 * 1024, 32 * 1024 * 1024),
}
_IMAGE_TYPES = ("image/jpeg", "image/jpg", "image/png", "image/webp")
_VIDEO_TYPES = (
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "video/x-matroska",
    "video/mov",
    "video/h264",
)
_ASPECT = re.compile(r"^\d{1,5}:\d{1,5}\Z|^(adaptive|auto(_\d+p)?)\Z")
_IP_HOST = re.compile(r"^\[?[0-9a-fA-F:.]+\]?\Z")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class RunwayEmulator(Emulator):
    """Loopback emulator of the Runway API; see the module docstring for endpoints.

    Parameters (besides :class:`~videonb.testing.emulators.base.Emulator`'s):

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

    def __init__(
        self,
        *,
        concurrency: int | None = 2,
        credits: int = 10_000,
        daily_limit: int | None = None,
        require_version: bool = True,
        **kwargs: Any,
    ) -> None:
        self.concurrency = concurrency
        self.credits = int(credits)
        self.daily_limit = daily_limit
        self.require_version = require_version
        super().__init__(**kwargs)
        self.scheduler = JobScheduler(self.clock, concurrency)
        self._secret = secrets.token_bytes(16)
        self._deleted: set[str] = set()
        self._daily: dict[str, list[float]] = {}
        self._state_lock = threading.RLock()

    # ---- faults ----------------------------------------------------------------------
    provider_faults = frozenset({"moderation", "expired_output", "job_failure"})

    def _fault_known(self, kind: str) -> bool:
        return super()._fault_known(kind) or bool(_CODE.match(kind))

    # ---- routes ------------------------------------------------------------------------
    def setup_routes(self) -> None:
        for endpoint in ("text_to_video", "image_to_video", "video_to_video"):
            self.route("POST", f"/v1/{endpoint}", self._make_create(endpoint))
        self.route("GET", r"/v1/tasks/(?P<id>[^/]+)", self._get_task)
        self.route("DELETE", r"/v1/tasks/(?P<id>[^/]+)", self._delete_task)
        self.route("GET", "/v1/organization", self._organization)
        self.route("GET", r"/outputs/(?P<id>[0-9a-f-]+)\.mp4", self._output, auth=False)

    def check_auth(self, req: Request) -> Response | None:
        key = req.bearer_token()
        if not self.key_ok(key):
            return self.error_response(401, "unauthorized", req)
        if self.require_version:
            version = req.header("x-runway-version")
            if not version:
                return self.error_response(
                    400,
                    "version",
                    req,
                    "You must provide an X-Runway-Version header. The current version is 2024-11-06.",
                )
            if version != API_VERSION:
                return self.error_response(
                    400,
                    "version",
                    req,
                    f"Invalid API version: {version}. Supported versions: {API_VERSION}.",
                )
        return None

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
        body: dict[str, Any] = {"error": message or default.get(status, "Error.")}
        body.update(extra)
        return Response.json(status, body)

    # ---- validation --------------------------------------------------------------------
    @staticmethod
    def _issue(path: str, message: str, code: str = "custom", **extra: Any) -> dict[str, Any]:
        return {"code": code, "path": [path] if path else [], "message": message, **extra}

    def _check_media(self, value: Any, field: str, kind: str) -> list[dict[str, Any]]:
        if not isinstance(value, str) or not value:
            return [
                self._issue(
                    field,
                    "Invalid input: expected string, received " + type(value).__name__,
                    "invalid_type",
                    expected="string",
                )
            ]
        if value.startswith("data:"):
            try:
                mime, data = _media.parse_data_uri(value)
            except _media.DataURIError as exc:
                return [self._issue(field, str(exc))]
            allowed = _IMAGE_TYPES if kind == "image" else _VIDEO_TYPES
            if mime not in allowed:
                return [self._issue(field, f"Unsupported asset type: {mime}.")]
            if len(data) > _MEDIA_LIMITS[kind][0]:
                return [
                    self._issue(
                        field,
                        f"Data URIs for {kind}s must be at most {_MEDIA_LIMITS[kind][0] // (1024 * 1024)} MB.",
                    )
                ]
            if kind == "image" and _media.image_info(data) is None:
                return [self._issue(field, "The image could not be decoded.")]
            return []
        if value.startswith("runway://"):
            return []
        if self.is_own_url(value):  # an earlier task's output, as Runway's CDN URLs are
            return []
        if len(value) > 2048:
            return [self._issue(field, "URLs must be at most 2048 characters.")]
        if not value.startswith("https://"):
            return [self._issue(field, "Only HTTPS URLs are allowed.")]
        host = (
            value[8:].split("/", 1)[0].split("@")[-1].rsplit(":", 1)[0]
            if not value[8:].startswith("[")
            else value[8:].split("]")[0]
        )
        if _IP_HOST.match(host) and ("." in host or ":" in host):
            return [self._issue(field, "URLs must be hosted on a domain.")]
        return []

    def _validate(self, endpoint: str, body: Any) -> tuple[ModelSpec | None, list[dict[str, Any]]]:
        if not isinstance(body, dict):
            return None, [
                self._issue("", "Invalid input: expected object", "invalid_type", expected="object")
            ]
        model = body.get("model")
        if not isinstance(model, str):
            return None, [
                self._issue(
                    "model",
                    "Invalid input: expected string, received undefined",
                    "invalid_type",
                    expected="string",
                ),
            ]
        spec = MODELS.get((endpoint, model))
        if spec is None:
            return None, [
                {
                    "code": "invalid_union",
                    "errors": [],
                    "note": "No matching discriminator",
                    "discriminator": "model",
                    "path": ["model"],
                    "message": "Invalid input",
                }
            ]
        issues: list[dict[str, Any]] = []
        # prompt
        prompt = body.get("promptText")
        if prompt is None:
            if spec.prompt_required:
                issues.append(
                    self._issue(
                        "promptText",
                        "Invalid input: expected string, received undefined",
                        "invalid_type",
                        expected="string",
                    )
                )
        elif not isinstance(prompt, str):
            issues.append(
                self._issue(
                    "promptText",
                    "Invalid input: expected string",
                    "invalid_type",
                    expected="string",
                )
            )
        elif not prompt.strip():
            issues.append(
                self._issue(
                    "promptText",
                    "Too small: expected string to have >=1 characters",
                    "too_small",
                    minimum=1,
                    origin="string",
                )
            )
        elif _utf16_len(prompt) > spec.prompt_max:
            issues.append(
                self._issue(
                    "promptText",
                    f"Too big: expected string to have <={spec.prompt_max} characters",
                    "too_big",
                    maximum=spec.prompt_max,
                    origin="string",
                )
            )
        # ratio
        ratio = body.get("ratio")
        if ratio is None:
            if spec.ratio_required:
                issues.append(
                    self._issue(
                        "ratio",
                        "Invalid input: expected one of "
                        + "|".join(f'"{r}"' for r in spec.ratios or ()),
                        "invalid_value",
                        values=list(spec.ratios or ()),
                    )
                )
        elif spec.ratios is not None and ratio not in spec.ratios:
            issues.append(
                self._issue(
                    "ratio",
                    "Invalid option: expected one of " + "|".join(f'"{r}"' for r in spec.ratios),
                    "invalid_value",
                    values=list(spec.ratios),
                )
            )
        elif spec.ratios is None and not (isinstance(ratio, str) and _ASPECT.match(ratio)):
            issues.append(
                self._issue(
                    "ratio", 'Invalid input: expected a ratio like "1280:720"', "invalid_format"
                )
            )
        # duration
        duration = body.get("duration")
        if duration is None:
            if spec.duration_required:
                issues.append(
                    self._issue(
                        "duration",
                        "Invalid input: expected number, received undefined",
                        "invalid_type",
                        expected="number",
                    )
                )
        elif duration == "auto" and spec.durations is None:
            pass
        elif isinstance(duration, bool) or not isinstance(duration, int):
            issues.append(
                self._issue(
                    "duration",
                    "Invalid input: expected int, received " + type(duration).__name__,
                    "invalid_type",
                    expected="int",
                )
            )
        elif spec.durations is not None and duration not in spec.durations:
            if (
                spec.durations == tuple(range(spec.durations[0], spec.durations[-1] + 1))
                and len(spec.durations) > 3
            ):
                lo, hi = spec.durations[0], spec.durations[-1]
                code, bound = (
                    ("too_small", {"minimum": lo})
                    if duration < lo
                    else ("too_big", {"maximum": hi})
                )
                issues.append(
                    self._issue(
                        "duration",
                        f"Too {'small' if duration < lo else 'big'}: expected number to be {'>=' + str(lo) if duration < lo else '<=' + str(hi)}",
                        code,
                        origin="number",
                        **bound,
                    )
                )
            else:
                issues.append(
                    self._issue(
                        "duration",
                        "Invalid option: expected one of "
                        + "|".join(str(d) for d in spec.durations),
                        "invalid_value",
                        values=list(spec.durations),
                    )
                )
        elif spec.durations is None and not 1 <= duration <= 20:
            issues.append(
                self._issue(
                    "duration",
                    "Too big: expected number to be <=20"
                    if duration > 20
                    else "Too small: expected number to be >=1",
                    "too_big" if duration > 20 else "too_small",
                )
            )
        # media
        if spec.media_field == "promptImage":
            img = body.get("promptImage")
            if img is None:
                issues.append(
                    self._issue(
                        "promptImage",
                        "Invalid input: expected string, received undefined",
                        "invalid_type",
                        expected="string",
                    )
                )
            elif isinstance(img, list):
                if not img:
                    issues.append(
                        self._issue(
                            "promptImage",
                            "Too small: expected array to have >=1 items",
                            "too_small",
                            minimum=1,
                            origin="array",
                        )
                    )
                positions = []
                for i, item in enumerate(img):
                    if not isinstance(item, dict):
                        issues.append(
                            self._issue(
                                "promptImage",
                                f"Invalid input at index {i}: expected object",
                                "invalid_type",
                            )
                        )
                        continue
                    pos = item.get("position")
                    if pos not in spec.positions:
                        issues.append(
                            self._issue(
                                "promptImage",
                                "Invalid option: expected one of "
                                + "|".join(f'"{p}"' for p in spec.positions),
                                "invalid_value",
                                values=list(spec.positions),
                            )
                        )
                    positions.append(pos)
                    issues.extend(self._check_media(item.get("uri"), "promptImage", "image"))
                if len(set(positions)) != len(positions):
                    issues.append(
                        self._issue("promptImage", "Each position may be used only once.")
                    )
            else:
                issues.extend(self._check_media(img, "promptImage", "image"))
        elif spec.media_field == "videoUri":
            field = "videoUri" if "videoUri" in body or "promptVideo" not in body else "promptVideo"
            issues.extend(self._check_media(body.get(field), field, "video"))
            if model == "aleph2":
                keyframes = body.get("keyframes")
                if keyframes is not None and (
                    not isinstance(keyframes, list) or len(keyframes) > 5
                ):
                    issues.append(
                        self._issue(
                            "keyframes",
                            "Too big: expected array to have <=5 items",
                            "too_big",
                            maximum=5,
                            origin="array",
                        )
                    )
                target = body.get("targetAspectRatio")
                allowed = ("16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "21:9")
                if target is not None and target not in allowed:
                    issues.append(
                        self._issue(
                            "targetAspectRatio",
                            "Invalid option: expected one of "
                            + "|".join(f'"{a}"' for a in allowed),
                            "invalid_value",
                            values=list(allowed),
                        )
                    )
            if model == "gen4_aleph":
                refs = body.get("references")
                if refs is not None and (not isinstance(refs, list) or len(refs) > 1):
                    issues.append(
                        self._issue(
                            "references",
                            "Too big: expected array to have <=1 items",
                            "too_big",
                            maximum=1,
                            origin="array",
                        )
                    )
        seed = body.get("seed")
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 4294967295
        ):
            issues.append(
                self._issue(
                    "seed",
                    "Invalid input: expected an integer between 0 and 4294967295",
                    "invalid_type",
                )
            )
        moderation = body.get("contentModeration")
        if moderation is not None:
            threshold = (
                moderation.get("publicFigureThreshold") if isinstance(moderation, dict) else None
            )
            if not isinstance(moderation, dict) or (
                threshold is not None and threshold not in ("auto", "low")
            ):
                issues.append(
                    self._issue(
                        "contentModeration",
                        'Invalid option: expected one of "auto"|"low"',
                        "invalid_value",
                    )
                )
        return spec, issues

    # ---- handlers ------------------------------------------------------------------------
    def _make_create(self, endpoint: str):
        def create(req: Request) -> Response:
            try:
                body = req.json()
            except ValueError:
                return self.error_response(400, "json", req, "Request body is not valid JSON.")
            spec, issues = self._validate(endpoint, body)
            if issues or spec is None:
                return Response.json(
                    400, {"error": "Validation of body failed", "issues": issues, "docUrl": DOC_URL}
                )
            model = body["model"]
            duration = body.get("duration")
            seconds = duration if isinstance(duration, int) else spec.default_duration
            rate = spec.credits_per_second
            if spec.audio_credits_per_second is not None and body.get("audio", True):
                rate = spec.audio_credits_per_second
            cost = round(rate * seconds)
            now = self.clock.now()
            with self._state_lock:
                if self.daily_limit is not None:
                    window = [t for t in self._daily.get(model, []) if t > now - 86400]
                    self._daily[model] = window
                    if len(window) >= self.daily_limit:
                        return self.error_response(
                            429,
                            "daily",
                            req,
                            f"You have reached the daily generation limit for {model}. Please try again later.",
                        )
                if cost > self.credits:
                    return self.error_response(
                        400, "credits", req, "You do not have enough credits to run this task."
                    )
                self.credits -= cost
                self._daily.setdefault(model, []).append(now)
            fault = self.take_fault(
                lambda k: k in ("moderation", "job_failure") or bool(_CODE.match(k)), req
            )
            failure = None
            early = False
            if fault is not None:
                code = fault.options.get("code") if fault.kind == "job_failure" else fault.kind
                if fault.kind == "moderation":
                    code = "SAFETY.INPUT.TEXT"
                code = str(code or "INTERNAL")
                message = (
                    fault.options.get("message")
                    or FAILURE_MESSAGES.get(code)
                    or FAILURE_MESSAGES.get(code.rsplit(".", 1)[0], "The task failed.")
                )
                failure = (code, message)
                early = code.startswith(("SAFETY.INPUT", "ASSET", "INPUT_PREPROCESSING"))
            js = self.job_seconds
            job = Job(
                id=str(uuid.uuid4()),
                created=now,
                pending_seconds=js * 0.2,
                run_seconds=js * 0.8,
                failure=failure,
                fail_early=early,
                data={
                    "model": model,
                    "endpoint": endpoint,
                    "cost": cost,
                    "ratio": body.get("ratio"),
                    "seconds": seconds,
                },
            )
            self.scheduler.add(job)
            return Response.json(200, {"id": job.id, "estimatedCost": {"credits": cost}})

        return create

    def _task_json(self, job: Job) -> dict[str, Any]:
        state, progress, _ = self.scheduler.view(job)
        out: dict[str, Any] = {
            "id": job.id,
            "createdAt": iso8601(job.created),
            "status": state.upper(),
        }
        cost = job.data["cost"]
        if state in ("pending", "throttled", "running"):
            out["estimatedCost"] = {"credits": cost}
        if state == "running":
            out["progress"] = round(progress, 3)
        elif state == "succeeded":
            out["cost"] = {"credits": cost}
            out["output"] = [self._signed_url(job.id)]
        elif state == "failed":
            out["cost"] = {"credits": 0}
            code, message = job.failure  # type: ignore[misc]
            out["failure"] = message
            out["failureCode"] = code
        elif state == "cancelled":
            out["cost"] = {"credits": cost if job.data.get("charged") else 0}
        return out

    def _get_task(self, req: Request) -> Response:
        job_id = req.match["id"]  # type: ignore[index]
        job = self.scheduler.get(job_id)
        if job is None:
            return self.error_response(404, "task", req, "Task not found.")
        self._settle(job)
        return Response.json(200, self._task_json(job))

    def _settle(self, job: Job) -> None:
        """Refund a task that failed (failed tasks are free)."""
        with self._state_lock:
            if job.data.get("settled"):
                return
            state = self.scheduler.state(job)
            if state == "failed":
                self.credits += job.data["cost"]
                job.data["settled"] = True
            elif state in ("succeeded", "cancelled"):
                job.data["settled"] = True

    def _delete_task(self, req: Request) -> Response:
        job_id = req.match["id"]  # type: ignore[index]
        job = self.scheduler.get(job_id)
        if job is None:
            return self.error_response(404, "task", req, "Task not found.")
        state = self.scheduler.state(job)
        if state in ("pending", "throttled", "running"):
            with self._state_lock:
                if state == "running":
                    job.data["charged"] = True  # no refund once it was observed running
                else:
                    self.credits += job.data["cost"]
                job.data["settled"] = True
            self.scheduler.cancel(job)
        else:
            self._settle(job)
            self.scheduler.remove(job_id)
            self._deleted.add(job_id)
        return Response.empty(204)

    def _organization(self, req: Request) -> Response:
        now = self.clock.now()
        models = sorted({m for (_, m) in MODELS})
        with self._state_lock:
            usage = {
                m: {"dailyGenerations": len([t for t in ts if t > now - 86400])}
                for m, ts in self._daily.items()
            }
            balance = self.credits
        return Response.json(
            200,
            {
                "creditBalance": balance,
                "tier": {
                    "maxMonthlyCreditSpend": 10_000,
                    "models": {
                        m: {
                            "maxConcurrentGenerations": self.concurrency,
                            "maxDailyGenerations": self.daily_limit,
                        }
                        for m in models
                    },
                },
                "usage": {"models": usage},
            },
        )

    # ---- outputs -------------------------------------------------------------------------
    def _sign(self, job_id: str, exp: int) -> str:
        return hmac.new(self._secret, f"{job_id}:{exp}".encode(), hashlib.sha256).hexdigest()[:32]

    def _signed_url(self, job_id: str) -> str:
        exp = int(self.clock.now() + self.output_ttl)
        return f"{self.base_url}/outputs/{job_id}.mp4?exp={exp}&sig={self._sign(job_id, exp)}"

    def _access_denied(self, message: str) -> Response:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>AccessDenied</Code><Message>{message}</Message></Error>"
        ).encode()
        return Response(403, body, {}, "application/xml")

    def _output(self, req: Request) -> Response:
        job_id = req.match["id"]  # type: ignore[index]
        try:
            exp = int(req.param("exp") or "")
        except ValueError:
            return self._access_denied("Access denied")
        sig = req.param("sig") or ""
        if not hmac.compare_digest(sig, self._sign(job_id, exp)):
            return self._access_denied("Access denied")
        if self.take_fault({"expired_output"}, req) is not None or self.clock.now() > exp:
            return self._access_denied("Request has expired")
        job = self.scheduler.get(job_id)
        if job is None or self.scheduler.state(job) != "succeeded":
            return self._access_denied("Access denied")
        width, height = _ratio_size(job.data.get("ratio"))
        data = _media.synthetic_mp4(width, height, self.video_seconds)
        return media_response(req, data, "video/mp4")


def _ratio_size(ratio: Any) -> tuple[int, int]:
    if isinstance(ratio, str):
        m = re.match(r"^(\d+):(\d+)\Z", ratio)
        if m and int(m.group(1)) > 0 and int(m.group(2)) > 0:
            return int(m.group(1)), int(m.group(2))
    return 1280, 720
