"""Runway (``https://api.dev.runwayml.com``, ``X-Runway-Version: 2024-11-06``).

text_to_video, image_to_video and video_to_video (restyle/edit) as tasks; polled at
Runway's recommended ≥ 5 s; THROTTLED counts as queued; ``SAFETY.*`` failures are
moderation (never retried); outputs are downloaded as soon as a task succeeds.  Input
media go inline as data URIs while the encoded URI fits Runway's limit (5 MiB images,
16 MiB videos), else through its ephemeral upload API at submit (``POST /v1/uploads``,
then the presigned storage form; a ``runway://`` URI in the body), up to 200 MiB.
Key: ``RUNWAYML_API_SECRET``; ``RUNWAYML_BASE_URL`` or ``base_url=`` point it elsewhere
(the loopback emulator in tests).  Prices: ``../shared`` provider notes, 2026-09/10.
"""

from __future__ import annotations

import asyncio
import base64
import mimetypes
import os
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

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
#: what is sent: base64 makes a 3.8 MiB PNG a 5 MiB URI). Bigger inputs go through its upload
#: API (``POST /v1/uploads``), up to ``UPLOAD_LIMIT`` bytes (docs.dev.runwayml.com/assets/inputs,
#: providers.md section 2: upload <= 200 MB).
_DATA_URI_LIMIT = {"image": 5 * 1024 * 1024, "video": 16 * 1024 * 1024}
UPLOAD_LIMIT = 200 * 1024 * 1024
#: Runway's answer to the daily generation cap is a 429 without Retry-After (providers.md §2).
DAILY_CAP = ("the daily generation limit of your Runway tier for this model was reached (a "
             "rolling 24-hour window; docs.dev.runwayml.com/usage/tiers)")


def _mime(path: str, kind: str) -> str:
    """The input's MIME type; InvalidOptionError for an image type Runway does not take."""
    mime = mimetypes.guess_type(Path(path).name)[0] or ("image/png" if kind == "image"
                                                        else "video/mp4")
    if kind == "image" and mime not in ("image/jpeg", "image/png", "image/webp"):
        raise InvalidOptionError(f"Runway accepts JPEG, PNG or WebP images, not {mime}.")
    return mime


def _storage_url_ok(url: str) -> bool:
    """An upload form goes over HTTPS (plain HTTP only to a loopback server: an emulator)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _inline_prefix(path: str, kind: str) -> str | None:
    """The data URI's prefix when the *encoded* URI fits Runway's inline limit, else None
    (the input goes through the upload API).  InvalidOptionError for a type Runway does not
    take or a file over the upload limit, so nothing is submitted for it."""
    p = Path(path)
    prefix = f"data:{_mime(path, kind)};base64,"
    size = p.stat().st_size
    if size > UPLOAD_LIMIT:
        raise InvalidOptionError(
            f"{p.name} is {size / 2**20:.0f} MiB; Runway takes inputs up to "
            f"{UPLOAD_LIMIT / 2**20:.0f} MiB (through its upload API). Use a smaller file (for a "
            f"video: shorter, or re-encoded at a lower bitrate).")
    encoded = len(prefix) + 4 * ((size + 2) // 3)
    return prefix if encoded <= _DATA_URI_LIMIT[kind] else None


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
                _inline_prefix(req.input_paths[kind], kind)  # before any job exists
        return spec

    def body(self, req: Request, uris: dict[str, str] | None = None) -> dict[str, Any]:
        """The JSON Runway expects (camelCase), without any secret.  ``uris`` gives the media
        inputs already sent through the upload API (``runway://`` URIs); the others go
        inline as data URIs."""
        uris = uris or {}
        body: dict[str, Any] = {"model": req.model}
        if req.prompt:
            body["promptText"] = req.prompt
        if req.operation in ("text_to_video", "image_to_video"):
            if req.ratio:
                body["ratio"] = req.ratio
            if req.seconds is not None:
                body["duration"] = int(req.seconds)
        for kind, name in (("image", "promptImage"), ("video", "videoUri")):
            if kind in req.input_paths:
                body[name] = uris.get(kind) or self._data_uri(req.input_paths[kind], kind)
        if req.seed is not None:
            body["seed"] = int(req.seed)
        return body

    @staticmethod
    def _data_uri(path: str, kind: str) -> str:
        prefix = _inline_prefix(path, kind)
        if prefix is None:
            raise InvalidOptionError(f"{Path(path).name} is too big for a data URI; it is sent "
                                     "through Runway's upload API at submit.")
        return prefix + base64.b64encode(Path(path).read_bytes()).decode()

    async def upload(self, path: str, kind: str) -> str:
        """Send *path* through Runway's ephemeral upload API; return its ``runway://`` URI
        (valid 24 h).  Step 1 (``POST /v1/uploads``) carries the key; step 2 posts the file
        to the presigned storage URL Runway returns, which takes no key and gets none."""
        p = Path(path)
        _inline_prefix(path, kind)  # type and upload limit
        resp = await _http.call("POST", f"{self.url}/v1/uploads", provider=self.name,
                                headers=self._headers(),
                                json_body={"filename": p.name, "type": "ephemeral"},
                                idempotent=True)  # an upload slot is free: safe to ask again
        slot = _http.json_object(resp, provider=self.name, what="upload answer")
        url, fields, uri = slot.get("uploadUrl"), slot.get("fields"), slot.get("runwayUri")
        if not (isinstance(url, str) and _storage_url_ok(url) and isinstance(fields, dict)
                and isinstance(uri, str) and uri.startswith("runway://")):
            raise ProviderHTTPError("runway: the upload answer had no usable uploadUrl, fields "
                                    "and runwayUri.", provider=self.name, retryable=True)
        from ..settings import config

        # Bounded as a whole, not only per read: the usual bound plus time for the bytes at a
        # slow 100 KiB/s (a 200 MiB upload may take half an hour, never for ever).
        total = max(120.0, 3 * float(config.http_timeout)) + p.stat().st_size / 102_400
        try:
            with p.open("rb") as fh:
                resp = await asyncio.wait_for(_http.client().post(
                    url, data={str(k): str(v) for k, v in fields.items()},
                    files={"file": (p.name, fh, _mime(path, kind))}), total)
        except asyncio.TimeoutError:
            raise ProviderHTTPError(f"runway: the upload of {p.name} to Runway's storage did not "
                                    f"finish within {total:.0f} s; nothing was submitted.",
                                    provider=self.name, retryable=True) from None
        except _http.transport_errors() as exc:
            raise ProviderHTTPError(f"runway: the upload of {p.name} to Runway's storage did not "
                                    f"complete ({type(exc).__name__}); nothing was submitted.",
                                    provider=self.name, retryable=True) from None
        if resp.status_code >= 300:
            msg, code = _http.error_message(resp)
            raise ProviderHTTPError(f"runway: Runway's storage refused the upload of {p.name} "
                                    f"(HTTP {resp.status_code}: {msg}); nothing was submitted.",
                                    provider=self.name, status=resp.status_code,
                                    detail_code=code, retryable=resp.status_code >= 500)
        return uri

    async def submit(self, req: Request) -> str:
        endpoint = _ENDPOINT[req.operation]
        uris = {kind: await self.upload(path, kind) for kind, path in req.input_paths.items()
                if kind in ("image", "video") and _inline_prefix(path, kind) is None}
        body = self.body(req, uris)
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
