"""Luma Dream Machine (``https://api.lumalabs.ai/dream-machine/v1``), the API of the official
``lumaai`` SDK.

Wire facts from lumaai 1.21.0 (``resources/generations/generations.py``,
``types/generation_create_params.py``, ``types/generation.py``, ``_client.py``):
``POST /generations/video`` ``{model: ray-2 | ray-flash-2, prompt, aspect_ratio: 1:1 |
16:9 | 9:16 | 4:3 | 3:4 | 21:9 | 9:21, duration: "5s" | "9s", resolution: 540p | 720p |
1080p | 4k, loop, keyframes: {frame0 | frame1: {type: image, url} | {type: generation,
id}}}`` → a Generation ``{id, state: queued | dreaming | completed | failed,
failure_reason, assets: {video, image, progress_video}, model, request, created_at}``;
``GET /generations/{id}``, ``DELETE /generations/{id}``; ``Authorization: Bearer
$LUMAAI_API_KEY``; ``LUMAAI_BASE_URL`` moves the base URL.  There is no progress figure.
``ray-1-6`` (in lumaai 1.18.1, providers.md section 5b) is gone from 1.21's types.

**Why Dream Machine and not the Luma Agents API** (``agents.lumalabs.ai/v1``, ``ray-3.2``,
``luma-agents`` SDK 0.5.0, providers.md section 5a): Luma calls Dream Machine the legacy
surface and recommends the Agents API for new code (Luma's own skills notes as quoted by
calesthio/generative-media-skills, verified 2026-07-10), but the Agents API takes a
different key (``LUMA_AGENTS_API_KEY``, ``luma-api-…``), another schema and another state
machine (``queued/processing/completed/failed``), and no source says Dream Machine is
shut down or scheduled to be (providers.md section 10 leaves it open).  The keys students
have and the SDK the course names (``lumaai``) are Dream Machine's, so that is this
provider; ``ray-3.2`` is reachable through fal's catalogue (the ``fal`` provider).

Inputs: an image is sent as a ``data:`` URI in ``keyframes.frame0.url`` (the API documents
image URLs; that it takes data URIs is **UNCONFIRMED**); a video Luma made itself is
extended natively with ``frame0: {type: generation, id}`` (its remote id in the video's
provenance).  Asset URLs are CDN links: downloaded without the key.

Prices (third party, per second of 720p): Ray 2 ≈ $0.142/s (Comfy partner price, $0.71
for 5 s, providers.md section 5b); Ray Flash 2 has no source: unpriced, so it is refused
under a budget.
"""

from __future__ import annotations

import base64
import mimetypes
import os
from pathlib import Path
from typing import Any, ClassVar

from .._redact import RedactedDict, redact
from ..errors import InvalidOptionError, ProviderHTTPError
from . import _http
from .base import ModelSpec, PollResult, Provider, Request

__all__ = ["LumaProvider", "MODELS"]

DEFAULT_BASE = "https://api.lumalabs.ai/dream-machine/v1"
RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21")
RESOLUTIONS = ("540p", "720p", "1080p", "4k")
_SRC = "Comfy partner price for Ray 2 (providers.md section 5b, third party), 720p"


def _ray(mid: str, price: float | None, **kw: Any) -> ModelSpec:
    return ModelSpec(mid, ("text_to_video", "image_to_video", "extend"), durations=(5, 9),
                     default_duration=5, ratios=RATIOS, default_ratio="16:9",
                     image_input=True, price_per_second=price,
                     price_note="" if price else "no published per-second price",
                     price_source=_SRC if price else "",
                     notes="Dream Machine API; extends Luma's own generations natively", **kw)


MODELS = {
    "ray-2": _ray("ray-2", 0.142),
    "ray-flash-2": _ray("ray-flash-2", None),
    "ray-1-6": _ray("ray-1-6", None, retired_on="2026-04-01", replacement="ray-2",
                    retired_source="absent from lumaai 1.21.0's model Literal (released "
                                   "2026-04; the day is approximate)"),
}

#: Dream Machine states → videonb's.
_STATES = {"queued": "queued", "dreaming": "running", "completed": "succeeded",
           "failed": "failed"}


class LumaProvider(Provider):
    name: ClassVar[str] = "luma"
    display_name: ClassVar[str] = "Luma Dream Machine"
    key_env: ClassVar[tuple[str, ...]] = ("LUMAAI_API_KEY",)
    requires: ClassVar[tuple[str, ...]] = ("httpx",)
    install_hint: ClassVar[str] = "pip install httpx"
    models: ClassVar[dict[str, ModelSpec]] = MODELS
    default_model: ClassVar[str] = "ray-2"
    description: ClassVar[str] = "Luma Ray 2 through the Dream Machine API (lumaai's API)."
    emulator: ClassVar[str] = "videonb.testing.emulators.luma:LumaEmulator"
    min_poll: ClassVar[float] = 3.0

    @property
    def url(self) -> str:
        return (self.base_url or os.environ.get("LUMAAI_BASE_URL") or DEFAULT_BASE).rstrip("/")

    def _headers(self) -> dict[str, str]:
        return RedactedDict({"Authorization": f"Bearer {self.key()}",
                             "Content-Type": "application/json", "Accept": "application/json"})

    def extends_natively(self, spec: ModelSpec, video: Any) -> bool:
        prov = getattr(video, "provenance", None) or {}
        return prov.get("provider") == self.name and bool(prov.get("remote_id"))

    def validate(self, req: Request) -> ModelSpec:
        spec = super().validate(req)
        if req.operation == "image_to_video" and "image" not in req.input_paths:
            raise InvalidOptionError("image_to_video needs image=...")
        if req.operation == "extend" and not req.options.get("extend_generation"):
            raise InvalidOptionError(
                "luma extends only a video Luma generated (its generation id); other videos "
                "are continued from their last frame by videonb.extend().")
        res = req.options.get("resolution", "720p")
        if res not in RESOLUTIONS:
            raise InvalidOptionError(f"resolution={res!r}: Luma offers {', '.join(RESOLUTIONS)}.")
        return spec

    def body(self, req: Request) -> dict[str, Any]:
        body: dict[str, Any] = {"model": req.model, "generation_type": "video",
                                "resolution": req.options.get("resolution", "720p")}
        if req.prompt:
            body["prompt"] = req.prompt
        if req.ratio:
            body["aspect_ratio"] = req.ratio
        if req.seconds is not None:
            body["duration"] = f"{int(req.seconds)}s"
        if req.options.get("loop"):
            body["loop"] = True
        if "image" in req.input_paths:
            p = Path(req.input_paths["image"])
            mime = mimetypes.guess_type(p.name)[0] or "image/png"
            uri = f"data:{mime};base64," + base64.b64encode(p.read_bytes()).decode()
            body["keyframes"] = {"frame0": {"type": "image", "url": uri}}
        if req.operation == "extend":
            body["keyframes"] = {"frame0": {"type": "generation",
                                            "id": str(req.options["extend_generation"])}}
        return body

    async def submit(self, req: Request) -> str:
        resp = await _http.call("POST", f"{self.url}/generations/video", provider=self.name,
                                headers=self._headers(), json_body=self.body(req), submit=True)
        gid = _http.json_object(resp, provider=self.name, what="create answer").get("id")
        if not isinstance(gid, str) or not gid:
            raise ProviderHTTPError("luma: the create answer had no generation id; check the "
                                    "Luma dashboard before submitting again.", provider=self.name)
        return gid

    async def poll(self, remote_id: str) -> PollResult:
        resp = await _http.call("GET", f"{self.url}/generations/{_http.segment(remote_id)}",
                                provider=self.name, headers=self._headers())
        gen = _http.json_object(resp, provider=self.name, what="generation")
        raw = str(gen.get("state", ""))
        status = _STATES.get(raw)
        hint = _http.retry_after_seconds(resp.headers)
        if status is None:
            raise ProviderHTTPError(f"luma: the generation has an unknown state {raw[:40]!r}.",
                                    provider=self.name, retryable=True)
        if status in ("queued", "running"):
            return PollResult(status, None, retry_after=hint, raw_status=raw)
        if status == "succeeded":
            assets = gen.get("assets") if isinstance(gen.get("assets"), dict) else {}
            url = assets.get("video")
            return PollResult("succeeded", 1.0, output_url=url if isinstance(url, str) else None,
                              raw_status=raw)
        why = str(gen.get("failure_reason") or "the generation failed")
        code = "MODERATION" if any(w in why.lower() for w in ("moderat", "safety", "policy")) \
            else "failed"
        return PollResult("failed", None, error_code=code, error_message=redact(why)[:500],
                          raw_status=raw)

    async def cancel(self, remote_id: str) -> None:
        # Dream Machine has no cancel: DELETE removes the generation (a running one stops).
        await _http.call("DELETE", f"{self.url}/generations/{_http.segment(remote_id)}",
                         provider=self.name, headers=self._headers())

    async def download(self, url: str, dest: Path) -> Path:
        return await _http.download_to(url, dest, provider=self.name)  # a CDN link: no key
