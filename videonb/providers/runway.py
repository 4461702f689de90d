"""Runway (``https://api.dev.runwayml.com``, ``X-Runway-Version: 2024-11-06``).

text_to_video, image_to_video and video_to_video (restyle/edit) as tasks; polled at
Runway's recommended ≥ 5 s; THROTTLED counts as queued; ``SAFETY.*`` failures are
moderation (never retried); outputs are downloaded as soon as a task succeeds.
Key: ``RUNWAYML_API_SECRET``; ``RUNWAYML_BASE_URL`` or ``base_url=`` point it elsewhere
(the loopback emulator in tests).  Prices: ``../shared`` provider notes, 2026-09/10.
"""

from __future__ import annotations

import base64
import mimetypes
import os
from pathlib import Path
from typing import Any, ClassVar

from ..errors import InvalidOptionError, ProviderHTTPError
from .._redact import RedactedDict, redact
from . import _http
from .base import ModelSpec, PollResult, Provider, Request

__all__ = ["RunwayProvider", "API_VERSION"]

API_VERSION = "2024-11-06"
DEFAULT_BASE = "https://api.dev.runwayml.com"
GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672")
VEO_RATIOS = ("1280:720", "720:1280", "1080:1920", "1920:1080")
_SRC = "Runway pricing via provider notes (docs.dev.runwayml.com, checked 2026-09-24)"

MODELS = {
    "gen4_turbo": ModelSpec(
        "gen4_turbo", ("image_to_video",), durations=(5, 10), default_duration=5,
        ratios=GEN4_RATIOS, default_ratio="1280:720", max_prompt_chars=1000, prompt_required=False,
        image_input=True, price_per_second=0.05, price_source=_SRC,
        notes="image to video only"),
    "gen4.5": ModelSpec(
        "gen4.5", ("text_to_video", "image_to_video"), durations=(2, 10), duration_range=True,
        default_duration=5, ratios=GEN4_RATIOS, default_ratio="1280:720", max_prompt_chars=1000,
        image_input=True, price_per_second=0.12, price_source=_SRC,
        notes="text to video only in 1280:720 and 720:1280"),
    "veo3.1": ModelSpec(
        "veo3.1", ("text_to_video", "image_to_video"), durations=(4, 6, 8), default_duration=8,
        ratios=VEO_RATIOS, default_ratio="1280:720", max_prompt_chars=1000, image_input=True,
        price_per_second=0.40, price_source=_SRC, notes="price with audio"),
    "veo3.1_fast": ModelSpec(
        "veo3.1_fast", ("text_to_video", "image_to_video"), durations=(4, 6, 8), default_duration=8,
        ratios=VEO_RATIOS, default_ratio="1280:720", max_prompt_chars=1000, image_input=True,
        price_per_second=0.15, price_source=_SRC, notes="price with audio; 0.10 without"),
    "aleph2": ModelSpec(
        "aleph2", ("video_to_video", "stylize", "edit"), max_prompt_chars=1000,
        price_per_second=None, price_note="see Runway pricing (not in our price table)",
        price_source=_SRC, notes="restyle/edit an input video"),
}

_ENDPOINT = {"text_to_video": "text_to_video", "image_to_video": "image_to_video",
             "video_to_video": "video_to_video", "stylize": "video_to_video",
             "edit": "video_to_video"}
#: Longest data URI Runway accepts inline, in characters of the URI itself (the limit is on
#: what is sent: base64 makes a 3.8 MiB PNG a 5 MiB URI). Bigger inputs need its upload API.
_DATA_URI_LIMIT = {"image": 5 * 1024 * 1024, "video": 16 * 1024 * 1024}
#: Runway's answer to the daily generation cap is a 429 without Retry-After (providers.md §2).
DAILY_CAP = ("the daily generation limit of your Runway tier for this model was reached (a "
             "rolling 24-hour window; docs.dev.runwayml.com/usage/tiers)")


def _data_uri(path: str, kind: str) -> str:
    """The data URI of ``path``, after :func:`_check_inline`."""
    return _check_inline(path, kind) + base64.b64encode(Path(path).read_bytes()).decode()


def _check_inline(path: str, kind: str) -> str:
    """The data URI's prefix; InvalidOptionError when the *encoded* URI would pass Runway's
    inline limit or the type is not one Runway takes."""
    p = Path(path)
    mime = mimetypes.guess_type(p.name)[0] or ("image/png" if kind == "image" else "video/mp4")
    if kind == "image" and mime not in ("image/jpeg", "image/png", "image/webp"):
        raise InvalidOptionError(f"Runway accepts JPEG, PNG or WebP images, not {mime}.")
    prefix = f"data:{mime};base64,"
    size = p.stat().st_size
    encoded = len(prefix) + 4 * ((size + 2) // 3)
    limit = _DATA_URI_LIMIT[kind]
    if encoded > limit:
        raise InvalidOptionError(
            f"{p.name} is {size / 2**20:.1f} MiB, a {encoded / 2**20:.1f} MiB data URI once "
            f"encoded; Runway takes {kind} data URIs up to {limit / 2**20:.0f} MiB. Use a "
            f"smaller file (for an image: JPEG, or fewer pixels).")
    return prefix


class RunwayProvider(Provider):
    name: ClassVar[str] = "runway"
    display_name: ClassVar[str] = "Runway"
    key_env: ClassVar[tuple[str, ...]] = ("RUNWAYML_API_SECRET",)
    requires: ClassVar[tuple[str, ...]] = ("httpx",)
    install_hint: ClassVar[str] = "pip install httpx"
    models: ClassVar[dict[str, ModelSpec]] = MODELS
    default_model: ClassVar[str] = "gen4.5"
    description: ClassVar[str] = "Runway Gen-4.5 / Veo 3.1 / Aleph through Runway's task API."
    #: Runway asks clients to poll no more often than every 5 seconds.
    min_poll: ClassVar[float] = 5.0

    @property
    def url(self) -> str:
        return (self.base_url or os.environ.get("RUNWAYML_BASE_URL") or DEFAULT_BASE).rstrip("/")

    def _headers(self) -> dict[str, str]:
        return RedactedDict({"Authorization": f"Bearer {self.key()}",
                             "X-Runway-Version": API_VERSION, "Content-Type": "application/json"})

    def validate(self, req: Request) -> ModelSpec:
        spec = super().validate(req)
        if req.operation == "text_to_video" and spec.id == "gen4.5" and req.ratio not in (
                None, "1280:720", "720:1280"):
            raise InvalidOptionError(
                f"ratio={req.ratio!r}: gen4.5 text to video allows 1280:720 or 720:1280.")
        if req.operation == "image_to_video" and "image" not in req.input_paths:
            raise InvalidOptionError("image_to_video needs image=...")
        for kind in ("image", "video"):
            if kind in req.input_paths:
                _check_inline(req.input_paths[kind], kind)  # before any job exists
        return spec

    def body(self, req: Request) -> dict[str, Any]:
        """The JSON Runway expects (camelCase), without any secret."""
        body: dict[str, Any] = {"model": req.model}
        if req.prompt:
            body["promptText"] = req.prompt
        if req.operation in ("text_to_video", "image_to_video"):
            if req.ratio:
                body["ratio"] = req.ratio
            if req.seconds is not None:
                body["duration"] = int(req.seconds)
        if "image" in req.input_paths:
            body["promptImage"] = _data_uri(req.input_paths["image"], "image")
        if "video" in req.input_paths:
            body["videoUri"] = _data_uri(req.input_paths["video"], "video")
        if req.seed is not None:
            body["seed"] = int(req.seed)
        return body

    async def submit(self, req: Request) -> str:
        endpoint = _ENDPOINT[req.operation]
        body = self.body(req)
        resp = await _http.call("POST", f"{self.url}/v1/{endpoint}", provider=self.name,
                                headers=self._headers(), json_body=body, submit=True,
                                cap_hint=DAILY_CAP)
        task_id = _http.json_object(resp, provider=self.name, what="create answer").get("id")
        if not isinstance(task_id, str) or not task_id:
            raise ProviderHTTPError("runway: the create answer had no task id; check the Runway "
                                    "dashboard before submitting again.", provider=self.name)
        return task_id

    async def poll(self, remote_id: str) -> PollResult:
        resp = await _http.call("GET", f"{self.url}/v1/tasks/{_http.segment(remote_id)}",
                                provider=self.name, headers=self._headers())
        task = _http.json_object(resp, provider=self.name, what="task")
        raw = str(task.get("status", "")).upper()
        hint = _http.retry_after_seconds(resp.headers)
        if raw in ("PENDING", "THROTTLED"):
            return PollResult("queued", None, retry_after=hint, raw_status=raw)
        if raw == "RUNNING":
            prog = _http.number(task.get("progress"))
            return PollResult("running", None if prog is None else min(1.0, max(0.0, prog)),
                              retry_after=hint, raw_status=raw)
        if raw == "SUCCEEDED":
            out = task.get("output")
            url = out[0] if isinstance(out, list) and out and isinstance(out[0], str) else None
            return PollResult("succeeded", 1.0, output_url=url, raw_status=raw)
        if raw == "CANCELLED":
            return PollResult("cancelled", None, error_code="CANCELLED",
                              error_message="the task was cancelled", raw_status=raw)
        if raw != "FAILED":
            raise ProviderHTTPError(f"runway: the task has an unknown status {raw[:40]!r}.",
                                    provider=self.name, retryable=True)
        code, why = task.get("failureCode"), task.get("failure")
        return PollResult("failed", None,
                          error_code=redact(str(code))[:100] if code else "FAILED",
                          error_message=redact(str(why))[:500] if why else "the task failed",
                          raw_status=raw)

    def retryable_failure(self, code: str | None) -> bool:
        # INTERNAL.* is Runway's "please try again"; SAFETY.* (moderation) and ASSET.* are not.
        return bool(code) and str(code).upper().startswith(("INTERNAL", "INPUT_PREPROCESSING.INTERNAL"))

    async def cancel(self, remote_id: str) -> None:
        await _http.call("DELETE", f"{self.url}/v1/tasks/{_http.segment(remote_id)}",
                         provider=self.name, headers=self._headers())

    async def download(self, url: str, dest: Path) -> Path:
        # Output URLs are pre-signed CDN links: never send the API key with them.
        return await _http.download_to(url, dest, provider=self.name)
