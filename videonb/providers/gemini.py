"""Gemini video understanding through the official ``google-genai`` SDK.

(The older ``google-generativeai`` package reached end of life on 2025-11-30; this uses its
successor.)  Videos up to the inline limit (20 MB by default) are sent inline; larger ones
go through the Files API, which is polled until the file leaves PROCESSING and is ACTIVE.
``VideoMetadata`` carries the sampling ``fps`` and optional start/end offsets.  The model
answers in JSON (summary, key moments with MM:SS times, answer), which is validated and,
when invalid, sent back once for repair.

Key: ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``; ``base_url=`` points the SDK elsewhere (the
loopback emulator in tests).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, ClassVar

from .._redact import redact
from ..errors import (
    AuthenticationError,
    InvalidOptionError,
    JobFailedError,
    JobTimeoutError,
    ModelOutputError,
    ModerationError,
    ProviderHTTPError,
    ProviderRetiredError,
    RateLimitError,
)
from .base import Analysis, ModelSpec, Provider
from .structured import SCHEMA, parse_analysis, repair_prompt

__all__ = ["GeminiProvider", "INLINE_LIMIT"]

#: Finish reasons that mean Gemini refused to answer (google-genai ``types.FinishReason``).
_BLOCKED = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY"})


class _FileGone(Exception):
    """A Files API lookup answered 403: the file was deleted or expired (48 h)."""


def _name(value: Any) -> str:
    return str(getattr(value, "name", value) or "")

#: Inline request limit used by default (the docs quote 20 MB; some pages say 100 MB).
INLINE_LIMIT = 20 * 1024 * 1024
_PRICE = "token-billed: Gemini 2.5 Flash $0.30 per 1M input tokens (video ≈ 300 tokens/s at 1 fps)"

MODELS = {
    "gemini-2.5-flash": ModelSpec("gemini-2.5-flash", ("analyze",), prompt_required=False,
                                  price_note=_PRICE),
    "gemini-2.5-pro": ModelSpec("gemini-2.5-pro", ("analyze",), prompt_required=False,
                                price_note="token-billed: $1.25 per 1M input tokens (≤200k prompt)"),
    "gemini-2.5-flash-lite": ModelSpec("gemini-2.5-flash-lite", ("analyze",), prompt_required=False,
                                       price_note="token-billed, cheapest Gemini"),
}


class GeminiProvider(Provider):
    name: ClassVar[str] = "gemini"
    display_name: ClassVar[str] = "Google Gemini"
    key_env: ClassVar[tuple[str, ...]] = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    requires: ClassVar[tuple[str, ...]] = ("google.genai",)
    install_hint: ClassVar[str] = "pip install google-genai"
    models: ClassVar[dict[str, ModelSpec]] = MODELS
    default_model: ClassVar[str] = "gemini-2.5-flash"
    description: ClassVar[str] = "Video understanding (summary, key moments, answers)."

    def available(self) -> tuple[bool, str]:
        import importlib.util

        try:
            ok = importlib.util.find_spec("google.genai") is not None
        except ModuleNotFoundError:
            ok = False
        return (True, "") if ok else (False, f"needs google-genai: {self.install_hint}")

    def model(self, model: str | None) -> ModelSpec:
        mid = model or self.default_model
        return self.models.get(mid) or ModelSpec(mid, ("analyze",), prompt_required=False,
                                                 price_note="unknown model: no price data")

    def _client(self) -> Any:
        from google import genai
        from google.genai import types

        from ..settings import config

        # The SDK's own default is no timeout at all: a server that accepts and never answers
        # would hold the cell forever.  Milliseconds, per HttpOptions.timeout.
        seconds = float(self.options.get("timeout", config.http_timeout * 2))
        opts = types.HttpOptions(base_url=self.base_url, timeout=int(seconds * 1000))
        return genai.Client(api_key=self.key(), http_options=opts)

    async def _call(self, fn: Any, *args: Any, retries: int = 3, idempotent: bool = False,
                    what: str = "request", **kwargs: Any) -> Any:
        """One SDK call with videonb's error mapping.  Transport failures are retried when the
        call is ``idempotent`` (a lookup) or when nothing reached the server (a refused
        connection); a billed request that may have been processed is not sent twice."""
        from google.genai import errors as gerr

        from . import _http

        transport = _http.transport_errors()
        attempt = 0
        while True:
            attempt += 1
            # Each failure is turned into videonb's error *after* its except block, so the
            # SDK's exception (which can quote the request's headers) is not kept as context.
            failure: BaseException | None = None
            retry = False
            try:
                return await fn(*args, **kwargs)
            except gerr.APIError as exc:
                failure, retry = self._api_error(exc, what, attempt <= retries)
            except ValueError as exc:  # JSON that is not JSON (an HTML page), or not the API's
                failure = ProviderHTTPError(
                    f"gemini: the {what}'s answer could not be read ({type(exc).__name__}); a "
                    f"proxy or captive portal may be in the way of base_url.",
                    provider=self.name, retryable=True)
            except transport as exc:
                kind = type(exc).__name__
                unsent = kind in ("ConnectError", "ConnectTimeout", "ConnectionRefusedError")
                retry = (idempotent or unsent) and attempt <= retries
                timeout = "Timeout" in kind
                failure = ProviderHTTPError(
                    f"gemini: the {what} failed ({kind}"
                    + (", no answer within the timeout; raise it with timeout=..." if timeout
                       else "") + "). Check the network or base_url.",
                    provider=self.name, retryable=True)
            if retry:
                await asyncio.sleep(min(30.0, 0.5 * 2 ** attempt))
                continue
            assert failure is not None
            raise failure

    def _api_error(self, exc: Any, what: str, may_retry: bool) -> tuple[BaseException, bool]:
        """(videonb's error for the SDK's APIError ``exc``, whether to retry it)."""
        from . import _http

        code = int(getattr(exc, "code", 0) or 0)
        msg = redact(str(getattr(exc, "message", None) or exc))[:300]
        if code == 403 and what == "file lookup":
            return _FileGone(msg), False
        if code in (401, 403) or (code == 400 and "API key" in str(msg)):
            return AuthenticationError(
                f"gemini: the API key was rejected (HTTP {code}: {msg}). Check "
                f"GEMINI_API_KEY.", provider=self.name, status=code), False
        if code in (404, 410) and what == "generation":
            cls = ProviderRetiredError if _http.RETIRED.search(msg) else ProviderHTTPError
            return cls(f"gemini: {msg} (HTTP {code}). The model id is unknown or shut down; "
                       f"choose one listed by videonb.providers().", provider=self.name,
                       status=code), False
        if code == 429 or code >= 500:
            cls = RateLimitError if code == 429 else ProviderHTTPError
            return cls(f"gemini: HTTP {code}: {msg}", provider=self.name, status=code,
                       retryable=True), may_retry
        return ProviderHTTPError(f"gemini: HTTP {code}: {msg}", provider=self.name,
                                 status=code), False

    async def _video_part(self, client: Any, path: Path, fps: float | None,
                          start: float | None, end: float | None) -> Any:
        from google.genai import types

        meta = None
        if fps is not None or start is not None or end is not None:
            meta = types.VideoMetadata(fps=fps, start_offset=None if start is None else f"{start:g}s",
                                       end_offset=None if end is None else f"{end:g}s")
        limit = int(self.options.get("inline_limit", INLINE_LIMIT))
        size = path.stat().st_size
        if size <= limit:
            return types.Part(inline_data=types.Blob(data=path.read_bytes(), mime_type="video/mp4"),
                              video_metadata=meta)
        uploaded = await self._upload_active(client, path)
        return types.Part(file_data=types.FileData(file_uri=uploaded.uri, mime_type="video/mp4"),
                          video_metadata=meta)

    async def _upload_active(self, client: Any, path: Path) -> Any:
        """Upload through the Files API and wait until the file is ACTIVE.  A 403 on the lookup
        means the file is gone (deleted, or expired after 48 h): it is uploaded once more."""
        from google.genai import types

        for round_ in (1, 2):
            uploaded = await self._call(client.aio.files.upload, file=str(path),
                                        config=types.UploadFileConfig(mime_type="video/mp4"),
                                        what="upload")
            deadline = time.monotonic() + float(self.options.get("file_timeout", 600))
            delay = float(self.options.get("file_poll", 2.0))
            try:
                while True:
                    state = str(getattr(uploaded.state, "name", uploaded.state) or "")
                    if state.endswith("ACTIVE"):
                        return uploaded
                    if state.endswith("FAILED"):
                        raise JobFailedError(f"gemini: the uploaded file {uploaded.name} failed "
                                             f"processing.", provider=self.name,
                                             detail_code="FILE_FAILED")
                    if time.monotonic() > deadline:
                        raise JobTimeoutError(f"gemini: file {uploaded.name} still {state} after "
                                              f"the timeout.", provider=self.name)
                    await asyncio.sleep(delay)
                    uploaded = await self._call(client.aio.files.get, name=uploaded.name,
                                                idempotent=True, what="file lookup")
            except _FileGone as gone:
                if round_ == 2:
                    raise JobFailedError(
                        f"gemini: the uploaded file disappeared twice while it was processed "
                        f"({gone}). Try again later.", provider=self.name,
                        detail_code="FILE_GONE") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _text(self, resp: Any) -> str:
        """The answer's text, or :class:`ModerationError` when Gemini blocked the prompt
        (``promptFeedback.blockReason``) or stopped the answer for safety: asking again for a
        "repair" would only be billed again."""
        feedback = getattr(resp, "prompt_feedback", None)
        reason = getattr(feedback, "block_reason", None) if feedback is not None else None
        if reason:
            raise ModerationError(f"gemini: the prompt was blocked ({_name(reason)}). Change the "
                                  f"question or the video; this is not retried.",
                                  provider=self.name, detail_code=_name(reason))
        for cand in getattr(resp, "candidates", None) or []:
            finish = _name(getattr(cand, "finish_reason", None))
            if finish in _BLOCKED:
                raise ModerationError(f"gemini: the answer was stopped ({finish}). Change the "
                                      f"question or the video; this is not retried.",
                                      provider=self.name, detail_code=finish)
        try:
            text = resp.text
        except (ValueError, AttributeError):
            text = None
        return text if isinstance(text, str) else ""

    async def analyze(self, video: Any, *, question: str | None = None, model: str | None = None,
                      frames: int | None = None) -> Analysis:
        from google.genai import types

        from ..media.sampling import sample_frames

        mid = model or self.default_model
        fps = self.options.get("fps")
        if fps is not None and not (0 < float(fps) <= 24):
            raise InvalidOptionError(f"fps={fps}: Gemini samples between 0 and 24 frames per second.")
        client = self._client()
        duration = video.info.duration
        part = await self._video_part(client, Path(video.path), None if fps is None else float(fps),
                                      self.options.get("start"), self.options.get("end"))
        prompt = (f"Describe this {duration:.1f}-second video in 2-4 sentences and list its key "
                  f"moments with start and end as MM:SS and a short label."
                  + (f" Then answer: {question!r}." if question else "")
                  + " Reply with JSON only.")
        config = types.GenerateContentConfig(response_mime_type="application/json",
                                             response_json_schema=SCHEMA)
        contents: list[Any] = [types.Content(role="user", parts=[part, types.Part(text=prompt)])]
        resp = await self._call(client.aio.models.generate_content, model=mid, contents=contents,
                                config=config, what="generation")
        text = self._text(resp)
        try:
            parsed = parse_analysis(text, duration)
        except ModelOutputError as exc:
            contents += [types.Content(role="model", parts=[types.Part(text=text)]),
                         types.Content(role="user", parts=[types.Part(text=repair_prompt(str(exc)))])]
            resp = await self._call(client.aio.models.generate_content, model=mid,
                                    contents=contents, config=config, what="generation")
            text = self._text(resp)
            parsed = parse_analysis(text, duration, final=True, provider=self.name)
        grid = await asyncio.to_thread(sample_frames, video, n=int(frames or 12), max_side=480)
        for m in parsed.moments:
            m.thumbnail = None
        usage = getattr(resp, "usage_metadata", None)
        return Analysis(summary=parsed.summary, moments=parsed.moments, answer=parsed.answer,
                        provider=self.name, model=mid, video=video, frames=grid,
                        raw={"text": text, "prompt_tokens": getattr(usage, "prompt_token_count", None)})
