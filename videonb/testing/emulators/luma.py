"""Luma Dream Machine emulator (``https://api.lumalabs.ai/dream-machine/v1``), the API the
official ``lumaai`` SDK (1.21.0) calls; point the SDK at ``emu.base_url +
"/dream-machine/v1"`` (``LUMAAI_BASE_URL``).

Endpoints, from lumaai 1.21.0's ``resources/`` and ``types/`` (``docs/emulators.md`` has the
fidelity table):

- ``POST /generations/video`` (``generations.create``): ``model`` ``ray-2`` |
  ``ray-flash-2`` (``ray-1-6``, gone from the SDK's types, answers 400 like any unknown
  id), ``prompt``, ``aspect_ratio`` (1:1, 16:9, 9:16, 4:3, 3:4, 21:9, 9:21), ``duration``
  (``5s`` | ``9s``), ``resolution`` (540p, 720p, 1080p, 4k), ``loop``, ``keyframes``
  ``frame0``/``frame1``: ``{type: image, url}`` (https, or a ``data:`` image URI: accepted,
  **UNCONFIRMED** for the real API) or ``{type: generation, id}`` (a completed generation
  of this emulator).  201 with the Generation.
- ``GET /generations/{id}``: ``state`` ``queued`` → ``dreaming`` → ``completed`` (``assets.
  video``: a signed CDN URL, no key, expiring after ``output_ttl``) | ``failed``
  (``failure_reason``); ``GET /generations`` (``limit``, ``offset``: ``{generations,
  count, has_more, limit, offset}``); ``DELETE /generations/{id}`` (204; a running one stops;
  then 404).  ``GET /credits`` ``{credit_balance}``, ``GET /ping``.

Errors: ``{"detail": "..."}`` (Luma's FastAPI-style body, as third-party clients show it:
**UNCONFIRMED** wording); 401 for a missing or wrong key; ``inject("moderation")`` fails
the next generation with a moderation ``failure_reason`` (wording **UNCONFIRMED**).
"""

from __future__ import annotations

import uuid
from typing import Any

from . import _media
from .kit.auth import Bearer
from .kit.emulator import Emulator
from .kit.faults import COMMON_FAULTS
from .kit.http import Invalid, Request, Response, iso8601, media_response

__all__ = ["LumaEmulator", "MODELS", "RATIOS", "RESOLUTIONS", "DURATIONS", "PREFIX"]

PREFIX = "/dream-machine/v1"
MODELS = ("ray-2", "ray-flash-2")
RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
RESOLUTIONS = ("540p", "720p", "1080p", "4k")
DURATIONS = ("5s", "9s")
STATES = ("queued", "dreaming", "completed", "failed")
_STATE = {"pending": "queued", "throttled": "queued", "running": "dreaming",
          "succeeded": "completed", "failed": "failed", "cancelled": "failed"}
_SIZES = {"1:1": (240, 240), "16:9": (320, 180), "9:16": (180, 320), "4:3": (320, 240),
          "3:4": (240, 320), "21:9": (320, 136), "9:21": (136, 320)}


class LumaEmulator(Emulator):
    """Loopback emulator of the Dream Machine generations API."""

    provider = "luma"
    provider_faults = COMMON_FAULTS
    auth = Bearer()
    moderation_code = "moderation"
    default_failure_message = "Generation failed"
    job_failures = {"moderation": "Prompt not allowed because it violates our content policy",
                    "failed": "Generation failed"}

    def __init__(self, *, credits: float = 1000.0, **kwargs: Any) -> None:
        self.credits = float(credits)
        #: generation id → request summary.
        self.generations: dict[str, dict[str, Any]] = {}
        super().__init__(**kwargs)

    @property
    def api_base(self) -> str:
        """What ``lumaai.LumaAI(base_url=...)`` and ``LUMAAI_BASE_URL`` take."""
        return self.base_url + PREFIX

    def provider_options(self) -> dict[str, Any]:
        return {**super().provider_options(), "base_url": self.api_base}

    def setup_routes(self) -> None:
        gen = PREFIX + r"/generations/(?P<id>[0-9a-f-]{36})"
        self.route("POST", PREFIX + "/generations/video", self._create, kind="submit",
                   name="generations.create")
        self.route("GET", PREFIX + "/generations", self._list, kind="list",
                   name="generations.list")
        self.route("GET", gen, self._get, kind="poll", name="generations.get")
        self.route("DELETE", gen, self._delete, kind="cancel", name="generations.delete")
        self.route("GET", PREFIX + "/credits", self._credits, kind="account", name="credits.get")
        self.route("GET", PREFIX + "/ping", self._ping, kind="account", name="ping.check")
        self.route("GET", r"/cdn/(?P<id>[0-9a-f-]{36})\.mp4", self._output, auth=False,
                   kind="download", name="assets.video")

    # ---- errors -----------------------------------------------------------------------
    def error_response(self, status: int, kind: str, req: Request, message: str | None = None,
                       **extra: Any) -> Response:
        defaults = {401: "Invalid API key", 404: "Not Found", 405: "Method Not Allowed",
                    429: "Too many requests", 500: "Internal Server Error",
                    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
        return Response.json(status, {"detail": message or defaults.get(status, kind)})

    # ---- generations --------------------------------------------------------------------
    def _keyframe(self, value: Any, name: str) -> None:
        if not isinstance(value, dict) or value.get("type") not in ("image", "generation"):
            raise Invalid(f"keyframes.{name}: type must be image or generation")
        if value["type"] == "image":
            url = value.get("url")
            if not isinstance(url, str) or not url.startswith(("https://", "data:image/")):
                raise Invalid(f"keyframes.{name}.url: an https image URL is required")
            if url.startswith("data:"):
                try:
                    _mime, data = _media.parse_data_uri(url)
                except ValueError:
                    raise Invalid(f"keyframes.{name}.url: not a valid data URI") from None
                if _media.image_info(data) is None:
                    raise Invalid(f"keyframes.{name}.url: the image could not be decoded")
            return
        ref = self.generations.get(str(value.get("id", "")))
        job = self.scheduler.get(str(value.get("id", "")))
        if ref is None or job is None or self.scheduler.state(job) != "succeeded":
            raise Invalid(f"keyframes.{name}.id: no completed generation with this id")

    def _create(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            raise Invalid("Request body must be a JSON object", status=422)
        model = body.get("model")
        if model not in MODELS:
            raise Invalid(f"model: Input should be {' or '.join(repr(m) for m in MODELS)}",
                          status=400)
        checks = (("aspect_ratio", RATIOS, "16:9"), ("duration", DURATIONS, "5s"),
                  ("resolution", RESOLUTIONS, "720p"))
        values = {}
        for field, allowed, default in checks:
            value = body.get(field, default)
            if value not in allowed:
                raise Invalid(f"{field}: {value!r} is not one of {', '.join(allowed)}")
            values[field] = value
        frames = body.get("keyframes") or {}
        if not isinstance(frames, dict):
            raise Invalid("keyframes: must be an object")
        for name, value in frames.items():
            if name not in ("frame0", "frame1"):
                raise Invalid(f"keyframes: unknown key {name!r}")
            self._keyframe(value, name)
        if not body.get("prompt") and not frames:
            raise Invalid("prompt: a prompt or keyframes are required")
        gid = str(uuid.uuid4())
        summary = {"model": model, "prompt": body.get("prompt"), **values,
                   "keyframes": {k: v.get("type") for k, v in frames.items()},
                   "extends": (frames.get("frame0") or {}).get("id")}
        self.generations[gid] = summary
        self.create_job(req, gid, summary)
        return Response.json(201, self._json(gid))

    def _json(self, gid: str) -> dict[str, Any]:
        job = self.scheduler.get(gid)
        assert job is not None
        state, _progress, _now = self.scheduler.view(job)
        s = self.generations[gid]
        out: dict[str, Any] = {
            "id": gid, "generation_type": "video", "state": _STATE[state],
            "failure_reason": None, "created_at": iso8601(job.created), "model": s["model"],
            "assets": None,
            "request": {"generation_type": "video", "model": s["model"], "prompt": s["prompt"],
                        "aspect_ratio": s["aspect_ratio"], "duration": s["duration"],
                        "resolution": s["resolution"]}}
        if state == "succeeded":
            out["assets"] = {"video": self.signed_url(f"/cdn/{gid}.mp4", gid),
                             "image": None, "progress_video": None}
        elif state in ("failed", "cancelled"):
            out["failure_reason"] = (job.failure[1] if job.failure else "Generation was deleted")
        return out

    def _job(self, req: Request) -> str:
        gid = req.match["id"]  # type: ignore[index]
        if gid not in self.generations or self.scheduler.get(gid) is None:
            raise Invalid("Generation not found", status=404)
        return gid

    def _get(self, req: Request) -> Response:
        return Response.json(200, self._json(self._job(req)))

    def _delete(self, req: Request) -> Response:
        gid = self._job(req)
        job = self.scheduler.get(gid)
        if job is not None and self.scheduler.state(job) in ("pending", "throttled", "running"):
            self.scheduler.cancel(job)
        self.scheduler.remove(gid)
        self.generations.pop(gid, None)
        return Response(204, b"", {}, "application/json")

    def _list(self, req: Request) -> Response:
        try:
            limit = max(1, min(int(req.param("limit") or 10), 100))
            offset = max(0, int(req.param("offset") or 0))
        except ValueError:
            raise Invalid("limit and offset must be integers", status=422) from None
        ids = [j.id for j in reversed(self.scheduler.all()) if j.id in self.generations]
        page = ids[offset:offset + limit]
        return Response.json(200, {"generations": [self._json(g) for g in page],
                                   "count": len(page), "has_more": offset + limit < len(ids),
                                   "limit": limit, "offset": offset})

    def _credits(self, req: Request) -> Response:
        return Response.json(200, {"credit_balance": self.credits})

    def _ping(self, req: Request) -> Response:
        return Response.json(200, {"message": "pong"})

    def _output(self, req: Request) -> Response:
        gid = req.match["id"]  # type: ignore[index]
        verdict = self.check_signed(req, gid)
        job = self.scheduler.get(gid)
        if verdict != "ok" or job is None or self.scheduler.state(job) != "succeeded":
            return Response(403, b"<Error><Code>AccessDenied</Code></Error>", {},
                            "application/xml")
        w, h = _SIZES.get(self.generations[gid]["aspect_ratio"], (320, 180))
        return media_response(req, _media.synthetic_mp4(w, h, self.video_seconds), "video/mp4")
