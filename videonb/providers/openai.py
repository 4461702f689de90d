"""OpenAI-compatible providers: vision understanding on sampled frames, and the Videos wire format.

**Understanding** (any OpenAI-compatible chat model with image input: OpenAI, Ollama, vLLM,
LM Studio): frames are chosen from the shots — one representative frame per shot, more
for long shots — within a frame budget, sent as JPEG data URIs with ``detail`` control,
each preceded by its timestamp, and the model answers in JSON (summary, key moments,
answer), validated and repaired once.

**Generation**: the OpenAI Videos wire format (``POST /videos`` → poll → ``/content``) for
OpenAI-compatible video *gateways* via ``base_url``.  OpenAI itself shut its Sora API down
on 2026-09-24, so pointed at ``api.openai.com`` this fails fast, before any request.

Key: ``OPENAI_API_KEY`` (local servers ignore it; any placeholder works);
``OPENAI_BASE_URL`` or ``base_url=`` choose the server.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse

from ..errors import (
    InvalidOptionError,
    ModelOutputError,
    ModerationError,
    ProviderHTTPError,
    ProviderRetiredError,
)
from .._redact import RedactedDict, redact
from . import _http
from .base import Analysis, ModelSpec, PollResult, Provider, Request
from .structured import SCHEMA, parse_analysis, repair_prompt

__all__ = ["OpenAIProvider", "choose_frame_times"]

DEFAULT_BASE = "https://api.openai.com/v1"
SORA_SHUTDOWN = "2026-09-24"
_SRC = "OpenAI pricing archive 2026-08-02 (the API itself shut down 2026-09-24)"

MODELS = {
    "gpt-4.1-mini": ModelSpec("gpt-4.1-mini", ("analyze",), prompt_required=False,
                              price_note="token-billed; ~85 tokens per low-detail frame"),
    "gpt-4o": ModelSpec("gpt-4o", ("analyze",), prompt_required=False,
                        price_note="token-billed; 85 tokens per low-detail frame"),
    "sora-2": ModelSpec("sora-2", ("text_to_video", "image_to_video"), durations=(4, 8, 12),
                        default_duration=4, ratios=("720x1280", "1280x720"), default_ratio="1280x720",
                        max_prompt_chars=32000, image_input=True, price_per_second=0.10,
                        price_source=_SRC, notes="Videos wire format for compatible gateways"),
    "sora-2-pro": ModelSpec("sora-2-pro", ("text_to_video", "image_to_video"), durations=(4, 8, 12),
                            default_duration=4,
                            ratios=("720x1280", "1280x720", "1024x1792", "1792x1024"),
                            default_ratio="1280x720", max_prompt_chars=32000, image_input=True,
                            price_per_second=0.30, price_source=_SRC,
                            notes="$0.30/s at 720p, $0.50/s at 1024x1792"),
}


def choose_frame_times(shots: list[Any], duration: float, budget: int, *,
                       long_shot: float = 8.0) -> list[float]:
    """One frame per shot (its middle), plus one more every ``long_shot`` seconds of long
    shots, thinned evenly to ``budget`` frames; always covers the whole video."""
    if budget < 1:
        raise InvalidOptionError("frames must be at least 1.")
    times: list[float] = []
    for s in shots or []:
        extra = int(max(0.0, s.end - s.start) // long_shot)
        k = 1 + extra
        for i in range(k):
            times.append(s.start + (i + 0.5) * (s.end - s.start) / k)
    if not times:
        times = [(i + 0.5) * duration / budget for i in range(budget)]
    times.sort()
    if len(times) > budget:
        step = len(times) / budget
        times = [times[int(i * step + step / 2)] for i in range(budget)]
    return [min(max(0.0, t), max(0.0, duration - 1e-3)) for t in times]


class OpenAIProvider(Provider):
    name: ClassVar[str] = "openai"
    display_name: ClassVar[str] = "OpenAI-compatible"
    key_env: ClassVar[tuple[str, ...]] = ("OPENAI_API_KEY",)
    requires: ClassVar[tuple[str, ...]] = ("httpx",)
    install_hint: ClassVar[str] = "pip install httpx"
    models: ClassVar[dict[str, ModelSpec]] = MODELS
    default_model: ClassVar[str] = "sora-2"
    description: ClassVar[str] = ("Vision models on sampled frames (OpenAI, Ollama, vLLM, LM Studio) and "
                                  "the Videos wire format for compatible gateways.")
    min_poll: ClassVar[float] = 1.0

    @property
    def url(self) -> str:
        return (self.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE).rstrip("/")

    def _headers(self, json_body: bool = True) -> dict[str, str]:
        h = RedactedDict({"Authorization": f"Bearer {self.key()}"})
        if json_body:
            h["Content-Type"] = "application/json"
        return h

    def _check_not_retired(self) -> None:
        host = urlparse(self.url).hostname or ""
        if host == "api.openai.com" or host.endswith(".openai.com"):
            raise ProviderRetiredError(
                f"OpenAI shut its Sora / Videos API down on {SORA_SHUTDOWN}; there is nothing to "
                f"call at {host}. Use another provider (videonb.providers()), or base_url= of an "
                f"OpenAI-compatible video gateway.", provider=self.name)

    # --- generation (Videos wire format) -------------------------------------------------------
    def validate(self, req: Request) -> ModelSpec:
        if req.operation != "analyze":
            self._check_not_retired()
        if req.model not in self.models and req.operation != "analyze":
            # Gateways host other models under this wire format: check only the basics.
            if not req.prompt.strip():
                raise InvalidOptionError("A prompt is needed.")
            return ModelSpec(req.model, (req.operation,), prompt_required=True)
        return super().validate(req)

    def model(self, model: str | None) -> ModelSpec:
        mid = model or self.default_model
        return self.models.get(mid) or ModelSpec(mid, ("text_to_video", "image_to_video", "analyze"),
                                                 prompt_required=False,
                                                 price_note="unknown model: no price data")

    async def submit(self, req: Request) -> str:
        self._check_not_retired()
        form: dict[str, str] = {"prompt": req.prompt, "model": req.model}
        if req.seconds is not None:
            form["seconds"] = str(int(req.seconds))
        if req.ratio:
            form["size"] = req.ratio
        if "image" in req.input_paths:
            p = Path(req.input_paths["image"])
            mime = "image/png" if p.suffix.lower() == ".png" else (
                "image/webp" if p.suffix.lower() == ".webp" else "image/jpeg")
            resp = await _http.call("POST", f"{self.url}/videos", provider=self.name,
                                    headers=self._headers(json_body=False), data=form,
                                    files={"input_reference": (p.name, p.read_bytes(), mime)},
                                    submit=True)
        else:
            # multipart/form-data without a file part, as the official SDK sends it
            resp = await _http.call("POST", f"{self.url}/videos", provider=self.name,
                                    headers=self._headers(json_body=False),
                                    files={k: (None, v) for k, v in form.items()}, submit=True)
        vid = _http.json_object(resp, provider=self.name, what="create answer").get("id")
        if not isinstance(vid, str) or not vid:
            raise ModelOutputError("openai: the create answer had no video id; check the "
                                   "gateway's dashboard before submitting again.",
                                   provider=self.name)
        return vid

    async def poll(self, remote_id: str) -> PollResult:
        resp = await _http.call("GET", f"{self.url}/videos/{_http.segment(remote_id)}",
                                provider=self.name, headers=self._headers())
        v = _http.json_object(resp, provider=self.name, what="video status")
        raw = str(v.get("status", ""))
        hint = _http.retry_after_seconds(resp.headers)
        prog = _http.number(v.get("progress"))
        progress = None if prog is None else min(1.0, max(0.0, prog / 100.0))
        if raw == "queued":
            return PollResult("queued", progress, retry_after=hint, raw_status=raw)
        if raw == "in_progress":
            return PollResult("running", progress, retry_after=hint, raw_status=raw)
        if raw == "completed":
            return PollResult("succeeded", 1.0,
                              output_url=f"{self.url}/videos/{_http.segment(remote_id)}/content",
                              raw_status=raw)
        if raw != "failed":
            raise ProviderHTTPError(f"openai: the video has an unknown status {raw[:40]!r}.",
                                    provider=self.name, retryable=True)
        err = v.get("error") if isinstance(v.get("error"), dict) else {}
        return PollResult("failed", progress,
                          error_code=redact(str(err.get("code") or "failed"))[:100],
                          error_message=redact(str(err.get("message") or "the video failed"))[:500],
                          raw_status=raw)

    async def cancel(self, remote_id: str) -> None:
        await _http.call("DELETE", f"{self.url}/videos/{_http.segment(remote_id)}",
                         provider=self.name, headers=self._headers())

    async def download(self, url: str, dest: Path) -> Path:
        # The content endpoint is on the API host and needs the key (unlike signed CDN URLs).
        return await _http.download_to(url, dest, provider=self.name,
                                       headers=RedactedDict(**self._headers(json_body=False),
                                                            Accept="application/binary"))

    # --- understanding on frames ---------------------------------------------------------------
    async def analyze(self, video: Any, *, question: str | None = None, model: str | None = None,
                      frames: int | None = None) -> Analysis:
        import asyncio

        from ..media.encode import encode_jpeg
        from ..media.moments import detect
        from ..media.sampling import sample_frames

        mid = model or self.options.get("vision_model") or "gpt-4.1-mini"
        budget = int(frames or self.options.get("frames", 16))
        detail = str(self.options.get("detail", "low"))
        if detail not in ("low", "high", "auto", "original"):
            raise InvalidOptionError(f"detail={detail!r}: use low, high, auto or original.")
        moments = await asyncio.to_thread(detect, video)
        duration = video.info.duration
        times = choose_frame_times(list(moments.shots), duration, budget)
        side = 512 if detail == "low" else 1024
        grid = await asyncio.to_thread(sample_frames, video, times=times, max_side=side)
        content: list[dict[str, Any]] = [{"type": "text", "text": _instructions(duration, question)}]
        for t, img in zip(grid.times, grid.images):
            uri = "data:image/jpeg;base64," + base64.b64encode(encode_jpeg(img, quality=80)).decode()
            content.append({"type": "text", "text": f"Frame at {t:.2f} s:"})
            content.append({"type": "image_url", "image_url": {"url": uri, "detail": detail}})
        messages: list[dict[str, Any]] = [{"role": "user", "content": content}]
        body = {"model": mid, "messages": messages,
                "response_format": {"type": "json_schema",
                                    "json_schema": {"name": "video_analysis", "schema": SCHEMA,
                                                    "strict": False}}}
        text = await self._chat(body)
        try:
            parsed = parse_analysis(text, duration)
        except ModelOutputError as exc:
            messages.append({"role": "assistant", "content": text})
            messages.append({"role": "user", "content": repair_prompt(str(exc))})
            text = await self._chat({**body, "messages": messages})
            parsed = parse_analysis(text, duration, final=True, provider=self.name)
        return Analysis(summary=parsed.summary, moments=parsed.moments, answer=parsed.answer,
                        provider=self.name, model=mid, video=video, frames=grid,
                        shots=list(moments.shots), raw={"frames_sent": len(grid.times),
                                                        "detail": detail, "text": text})

    async def _chat(self, body: dict[str, Any]) -> str:
        resp = await _http.call("POST", f"{self.url}/chat/completions", provider=self.name,
                                headers=self._headers(), json_body=body)
        data = _http.json_object(resp, provider=self.name, what="chat answer")
        try:
            choice = data["choices"][0]
            message = choice["message"]
        except (KeyError, IndexError, TypeError):
            raise ModelOutputError(
                f"openai: unexpected answer shape: {_http.error_message(resp)[0][:200]}",
                provider=self.name) from None
        if not isinstance(message, dict):
            raise ModelOutputError("openai: unexpected answer shape (message is not an object).",
                                   provider=self.name)
        refusal = message.get("refusal")
        if refusal or choice.get("finish_reason") == "content_filter":
            # The model (or the server's filter) declined: asking again would bill again.
            why = str(refusal)[:300] if refusal else "the content filter stopped the answer"
            raise ModerationError(f"openai: the model refused ({why}). Change the question or "
                                  f"the video; this is not retried.", provider=self.name,
                                  detail_code="refusal")
        content = message.get("content")
        return content if isinstance(content, str) else ""


def _instructions(duration: float, question: str | None) -> str:
    q = f" Then answer this question about the video: {question!r}." if question else ""
    return (f"These are frames sampled from a {duration:.1f}-second video, each labelled with its "
            f"time. Describe the video in 2-4 sentences and list its key moments (start and end "
            f"as MM:SS, a short label).{q} Reply with JSON only: "
            '{"summary": str, "moments": [{"start": "MM:SS", "end": "MM:SS", "label": str}], '
            '"answer": str or null}.')
