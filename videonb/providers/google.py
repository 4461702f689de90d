"""Google video generation through the official ``google-genai`` SDK: Gemini Omni (the
interactions API, for AI Studio keys) and Veo (``models.generate_videos``, Vertex mode).

What google-genai 3.6.1 does, read in its source (``models.py``, ``operations.py``,
``_gaos/google_genai.py``, ``_gaos/interactions.py``, ``_gaos/types/interactions/``):

* **Gemini Omni** (``gemini-omni-1.1-flash``, ``-1.2-flash``) is called through
  ``client.aio.interactions.create(model=…, input=…, response_format={"type": "video",
  "aspect_ratio", "duration": "8s", "resolution", "delivery"}, generation_config=
  {"video_config": {"task": "text_to_video" | "image_to_video" | "extend"}},
  background=True)``: ``POST /{version}/interactions``.  With ``background=True`` the
  answer is the interaction's id at once; ``interactions.get(id)`` is polled
  (``status``: ``queued``/``in_progress`` → ``completed`` | ``failed`` | ``cancelled`` |
  ``incomplete`` | ``budget_exceeded``) and ``interactions.cancel(id)`` cancels it.  The
  video is ``interaction.output_video``: base64 ``data`` (``delivery="inline"``, the
  documented default [ai.google.dev gemini-api/docs/omni, providers.md section 11]) or a
  ``uri`` on the API host (``delivery="uri"``, which videonb asks for: apidog's guide
  notes large answers come as a URI).  Omni 1.1: 3-10 s, 16:9 or 9:16, 360p-4K, extension
  of a video (task ``extend``); 1.2 (GA 2026-11-05): 3-15 s [oxen.ai and Vercel's
  changelog, third party].  Price: 5,792 output tokens a second at $17.50 per 1M ≈ $0.10/s
  at 720p [ai.google.dev pricing, providers.md section 3.2]; 1.2's $9 per 1M output tokens
  is Vercel's listing (third party, UNCONFIRMED for Google's own price).
* **Veo**: ``models.generate_videos`` raises ValueError in Gemini-Developer-API mode ("only
  supported in Gemini Enterprise Agent Platform mode"), so Veo runs with
  ``vertexai=True`` (a Google Cloud API key: Vertex "express mode", base
  ``https://aiplatform.googleapis.com``, API version ``v1beta1``): ``POST
  …/publishers/google/models/{model}:predictLongRunning`` → an operation name, polled with
  ``operations.get`` (``POST …:fetchPredictOperation``).  Without ``output_gcs_uri`` Vertex
  returns the video inline (``bytesBase64Encoded``).  The preview ids
  ``veo-3.1-(fast-|lite-)generate-preview`` were shut down on the Gemini API on
  2026-10-22, replacement ``gemini-omni-1.1-flash`` [apiyi notice citing Google's
  deprecations page, providers.md section 11]; ``veo-2.0-generate-001`` and the
  ``veo-3.0-*`` ids on 2026-06-30 [ai.google.dev changelog 2026-06-15], on Vertex in
  favour of ``veo-3.1-*-001`` [cloud.google.com Veo page, providers.md section 11].

Trust: a create is never retried (the SDK's own retries are off: ``HttpRetryOptions(
attempts=1)``; the interactions client would otherwise retry 408/409/429/5xx and dropped
connections four times); a create whose answer was lost is ``lost_submit``.  The key goes
only to the configured host: a video ``uri`` on another host is fetched without it.

Keys: ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``.  ``vertexai=True`` (or
``GOOGLE_GENAI_USE_VERTEXAI`` / ``GOOGLE_GENAI_USE_ENTERPRISE``) selects Vertex for Veo;
``base_url=`` (or ``GOOGLE_GEMINI_BASE_URL`` / ``GOOGLE_VERTEX_BASE_URL``) points the SDK
at another server (the loopback emulator in tests).
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from .._redact import RedactedDict, redact
from ..errors import (
    AuthenticationError,
    DownloadError,
    InvalidOptionError,
    ProviderHTTPError,
    ProviderRetiredError,
    RateLimitError,
)
from .base import ModelSpec, PollResult, Provider, Request
from .gemini import GeminiProvider

__all__ = ["GoogleProvider", "MODELS"]

GEMINI_BASE = "https://generativelanguage.googleapis.com"
VERTEX_BASE = "https://aiplatform.googleapis.com"
_PRICE = "ai.google.dev pricing 2026-09-24/10-07 (providers.md sections 3.2 and 9)"
_OMNI_PRICE = ("5,792 output tokens/s at $17.50 per 1M (ai.google.dev pricing, providers.md "
               "section 3.2)")
_PREVIEW_GONE = ("Gemini API deprecations page via apiyi's notice of 2026-10-25 (providers.md "
                 "section 11)")
_VEO3_GONE = "ai.google.dev changelog 2026-06-15 (shutdown 2026-06-30)"
OMNI_RATIOS = ("16:9", "9:16")
VEO_RATIOS = ("16:9", "9:16")


def _omni(mid: str, top: float, price: float, source: str, **kw: Any) -> ModelSpec:
    return ModelSpec(mid, ("text_to_video", "image_to_video", "extend"), durations=(3, top),
                     duration_range=True, default_duration=8, ratios=OMNI_RATIOS,
                     default_ratio="16:9", image_input=True, price_per_second=price,
                     price_source=source,
                     notes="Gemini API (AI Studio key), interactions API; 720p; extends a video "
                           "natively", **kw)


def _veo(mid: str, price: float | None, note: str, **kw: Any) -> ModelSpec:
    return ModelSpec(mid, ("text_to_video", "image_to_video"), durations=(4, 6, 8),
                     default_duration=8, ratios=VEO_RATIOS, default_ratio="16:9",
                     max_prompt_chars=4000, image_input=True, price_per_second=price,
                     price_source=_PRICE if price else "", notes=note, **kw)


MODELS: dict[str, ModelSpec] = {
    "gemini-omni-1.1-flash": _omni("gemini-omni-1.1-flash", 10, 0.1014, _OMNI_PRICE),
    "gemini-omni-1.2-flash": _omni(
        "gemini-omni-1.2-flash", 15, 0.0521,
        "5,792 tokens/s at $9 per 1M output tokens (Vercel AI Gateway listing, third party; "
        "UNCONFIRMED)"),
    "veo-3.1-generate-001": _veo("veo-3.1-generate-001", 0.40,
                                 "Vertex mode (vertexai=True); with audio; 720p price"),
    "veo-3.1-fast-generate-001": _veo("veo-3.1-fast-generate-001", 0.10,
                                      "Vertex mode (vertexai=True); 720p price"),
    # Shut down (a request fails before anything is sent, naming the replacement).
    "gemini-omni-flash-preview": _omni(
        "gemini-omni-flash-preview", 10, 0.1014, _OMNI_PRICE, retired_on="2026-09-30",
        replacement="gemini-omni-1.1-flash",
        retired_source="Gemini API deprecations page via dev.to/akaranjkar08 (third party)"),
    "veo-3.1-generate-preview": _veo("veo-3.1-generate-preview", 0.40, "Gemini API",
                                     retired_on="2026-10-22", replacement="gemini-omni-1.1-flash",
                                     retired_source=_PREVIEW_GONE),
    "veo-3.1-fast-generate-preview": _veo("veo-3.1-fast-generate-preview", 0.10, "Gemini API",
                                          retired_on="2026-10-22",
                                          replacement="gemini-omni-1.1-flash",
                                          retired_source=_PREVIEW_GONE),
    "veo-3.1-lite-generate-preview": _veo("veo-3.1-lite-generate-preview", 0.05, "Gemini API",
                                          retired_on="2026-10-22",
                                          replacement="gemini-omni-1.1-flash",
                                          retired_source=_PREVIEW_GONE),
    "veo-3.0-generate-001": _veo("veo-3.0-generate-001", None, "", retired_on="2026-06-30",
                                 replacement="veo-3.1-generate-001", retired_source=_VEO3_GONE),
    "veo-3.0-fast-generate-001": _veo("veo-3.0-fast-generate-001", None, "",
                                      retired_on="2026-06-30",
                                      replacement="veo-3.1-fast-generate-001",
                                      retired_source=_VEO3_GONE),
    "veo-2.0-generate-001": _veo("veo-2.0-generate-001", None, "", retired_on="2026-06-30",
                                 replacement="veo-3.1-generate-001", retired_source=_VEO3_GONE),
}

#: Interaction statuses (google-genai 3.6.1 ``InteractionStatus``) → videonb's.
_STATUS = {"queued": "queued", "idle": "queued", "in_progress": "running",
           "requires_continuation": "running", "completed": "succeeded", "failed": "failed",
           "cancelled": "cancelled", "incomplete": "failed", "budget_exceeded": "failed",
           "requires_action": "failed"}
#: A Veo job's remote id: ``veo~<model>~<operation id>`` (an operation *name* has slashes;
#: a ledger's task id is one path segment); an Omni job's is the interaction id.
_VEO = "veo~"
_INLINE = "#inline"


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


class GoogleProvider(Provider):
    name: ClassVar[str] = "google"
    display_name: ClassVar[str] = "Google (Gemini Omni, Veo)"
    key_env: ClassVar[tuple[str, ...]] = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    requires: ClassVar[tuple[str, ...]] = ("google.genai",)
    install_hint: ClassVar[str] = "pip install google-genai"
    models: ClassVar[dict[str, ModelSpec]] = MODELS
    default_model: ClassVar[str] = "gemini-omni-1.1-flash"
    description: ClassVar[str] = ("Gemini Omni video generation (AI Studio key, interactions "
                                  "API) and Veo 3.1 on Vertex, through google-genai.")
    emulator: ClassVar[str] = "videonb.testing.emulators.google:GoogleEmulator"
    #: Google's samples poll Veo every 10 s; videonb polls no faster than every 5 s.
    min_poll: ClassVar[float] = 5.0

    #: The same SDK check as the Gemini provider's (``google`` may be a namespace without genai).
    available = GeminiProvider.available

    # --- where and how ---------------------------------------------------------------------
    @property
    def vertex(self) -> bool:
        opt = self.options.get("vertexai")
        if opt is not None:
            return bool(opt)
        return _truthy("GOOGLE_GENAI_USE_ENTERPRISE") or _truthy("GOOGLE_GENAI_USE_VERTEXAI")

    @property
    def url(self) -> str:
        env = "GOOGLE_VERTEX_BASE_URL" if self.vertex else "GOOGLE_GEMINI_BASE_URL"
        default = VERTEX_BASE if self.vertex else GEMINI_BASE
        return (self.base_url or os.environ.get(env) or default).rstrip("/")

    def _client(self) -> Any:
        from google import genai
        from google.genai import types

        from ..settings import config

        seconds = float(self.options.get("timeout", config.http_timeout * 2))
        # attempts=1: no retry inside the SDK. A create may have been billed; polls are
        # retried by videonb's job runner, with its backoff and bounds.
        opts = types.HttpOptions(base_url=self.url, timeout=int(seconds * 1000),
                                 retry_options=types.HttpRetryOptions(attempts=1))
        return genai.Client(api_key=self.key(), vertexai=self.vertex, http_options=opts)

    def validate(self, req: Request) -> ModelSpec:
        spec = super().validate(req)
        veo = spec.id.startswith("veo-")
        if veo and not self.vertex:
            raise InvalidOptionError(
                f"google/{spec.id} runs on Vertex AI: google-genai 3.6 refuses Veo with an AI "
                f"Studio key. Pass vertexai=True with a Google Cloud API key, or use "
                f"gemini-omni-1.1-flash (AI Studio).")
        if not veo and self.vertex:
            raise InvalidOptionError(
                f"google/{spec.id} is served by the Gemini API (AI Studio key); drop "
                f"vertexai=True, or choose a Veo model for Vertex.")
        if req.operation == "image_to_video" and "image" not in req.input_paths:
            raise InvalidOptionError("image_to_video needs image=...")
        if req.operation == "extend" and "video" not in req.input_paths:
            raise InvalidOptionError("extend needs the video to continue.")
        for kind in ("image", "video"):
            path = req.input_paths.get(kind)
            if path and Path(path).stat().st_size > int(self.options.get("inline_limit",
                                                                         20 * 2**20)):
                raise InvalidOptionError(
                    f"The {kind} input is over the 20 MB a request may carry inline; use a "
                    f"smaller file.")
        return spec

    # --- errors ------------------------------------------------------------------------------
    def _failure(self, exc: BaseException, what: str, *, submit: bool) -> BaseException | None:
        """videonb's error for an SDK exception, or None when it is not one of the SDK's."""
        from google.genai import _interactions_errors as ierr
        from google.genai import errors as gerr

        from . import _http

        code: int | None = None
        if isinstance(exc, gerr.APIError):
            code = int(getattr(exc, "code", 0) or 0)
            msg = str(getattr(exc, "message", None) or exc)
        elif isinstance(exc, ierr.APIConnectionError) or isinstance(exc, _http.transport_errors()):
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            unsent = type(cause).__name__ in ("ConnectError", "ConnectTimeout",
                                              "ConnectionRefusedError")
            if submit and not unsent:
                return ProviderHTTPError(
                    f"google: the connection dropped during the {what} "
                    f"({type(cause).__name__}); the job may or may not exist at Google. Check "
                    f"the console before trying again.", provider=self.name,
                    detail_code="lost_submit")
            return ProviderHTTPError(f"google: the {what} failed ({type(cause).__name__}). Check "
                                     f"the network or base_url.", provider=self.name,
                                     retryable=True)
        elif isinstance(exc, ierr.APIStatusError) or isinstance(exc, ierr.APIError):
            code = int(getattr(exc, "status_code", 0) or 0)
            body = getattr(exc, "body", None)
            err = body.get("error") if isinstance(body, dict) else None
            msg = str(err.get("message")) if isinstance(err, dict) and err.get("message") \
                else str(getattr(exc, "message", exc))
        elif isinstance(exc, ValueError):  # the SDK's own refusals, or an answer not JSON
            return ProviderHTTPError(f"google: the {what} could not be made or read "
                                     f"({redact(str(exc))[:200]}).", provider=self.name,
                                     retryable=not submit)
        else:
            return None
        msg = redact(msg)[:300]
        if code in (401, 403):
            return AuthenticationError(f"google: the API key was rejected (HTTP {code}: {msg}). "
                                       f"Check GEMINI_API_KEY.", provider=self.name, status=code)
        if code == 400 and "API key" in msg:
            return AuthenticationError(f"google: {msg} (HTTP 400). Check GEMINI_API_KEY.",
                                       provider=self.name, status=code)
        if code in (404, 410) and _http.RETIRED.search(msg):
            return ProviderRetiredError(f"google: {msg} (HTTP {code}). Choose a current model "
                                        f"(videonb.providers()).", provider=self.name,
                                        status=code)
        if code == 429:
            return RateLimitError(f"google: rate limited (HTTP 429: {msg}).", provider=self.name,
                                  status=429, retryable=True)
        return ProviderHTTPError(f"google: HTTP {code}: {msg}", provider=self.name, status=code,
                                 retryable=bool(code and code >= 500 and not submit))

    async def _call(self, fn: Any, *args: Any, what: str, submit: bool = False,
                    **kwargs: Any) -> Any:
        failure: BaseException | None = None
        try:
            return await fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - mapped below, outside the except block
            failure = self._failure(exc, what, submit=submit)
            if failure is None:
                raise
        raise failure

    # --- submit --------------------------------------------------------------------------------
    @staticmethod
    def _b64(path: str) -> tuple[str, str]:
        p = Path(path)
        mime = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
        return base64.b64encode(p.read_bytes()).decode(), mime

    def omni_body(self, req: Request) -> dict[str, Any]:
        """The keyword arguments of ``interactions.create`` for an Omni request."""
        parts: list[dict[str, Any]] = [{"type": "text", "text": req.prompt or "Continue the shot."}]
        task = "text_to_video"
        if "image" in req.input_paths:
            data, mime = self._b64(req.input_paths["image"])
            parts.append({"type": "image", "data": data, "mime_type": mime})
            task = "image_to_video"
        if req.operation == "extend":
            data, mime = self._b64(req.input_paths["video"])
            parts.append({"type": "video", "data": data, "mime_type": mime or "video/mp4"})
            task = "extend"
        fmt: dict[str, Any] = {"type": "video", "delivery": "uri",
                               "resolution": str(req.options.get("resolution", "720p"))}
        if req.ratio:
            fmt["aspect_ratio"] = req.ratio
        if req.seconds is not None:
            fmt["duration"] = f"{int(round(req.seconds))}s"
        return {"model": req.model, "input": parts, "response_format": fmt,
                "generation_config": {"video_config": {"task": task}},
                "background": True, "store": True}

    def veo_args(self, req: Request) -> dict[str, Any]:
        from google.genai import types

        image = None
        if "image" in req.input_paths:
            p = Path(req.input_paths["image"])
            image = types.Image(image_bytes=p.read_bytes(),
                                mime_type=mimetypes.guess_type(p.name)[0] or "image/png")
        config = types.GenerateVideosConfig(
            number_of_videos=1, aspect_ratio=req.ratio,
            duration_seconds=None if req.seconds is None else int(req.seconds),
            resolution=str(req.options.get("resolution", "720p")),
            seed=req.seed)
        return {"model": req.model, "source": types.GenerateVideosSource(prompt=req.prompt or None,
                                                                          image=image),
                "config": config}

    async def submit(self, req: Request) -> str:
        client = self._client()
        if req.model.startswith("veo-"):
            op = await self._call(client.aio.models.generate_videos, **self.veo_args(req),
                                  what="Veo create", submit=True)
            name = str(getattr(op, "name", "") or "")
            op_id = name.rsplit("/operations/", 1)[-1] if "/operations/" in name else ""
            if not op_id:
                raise ProviderHTTPError("google: the Veo answer had no operation name; check the "
                                        "console before submitting again.", provider=self.name)
            return f"{_VEO}{req.model}~{op_id}"
        inter = await self._call(client.aio.interactions.create, **self.omni_body(req),
                                 what="Omni create", submit=True)
        iid = getattr(inter, "id", None)
        if not isinstance(iid, str) or not iid:
            raise ProviderHTTPError("google: the interaction answer had no id; check AI Studio "
                                    "before submitting again.", provider=self.name)
        return iid

    # --- poll ----------------------------------------------------------------------------------
    def _op_name(self, remote_id: str) -> tuple[str, str]:
        _, model, op_id = remote_id.split("~", 2)
        project = self.options.get("project") or os.environ.get("GOOGLE_CLOUD_PROJECT")
        location = self.options.get("location") or os.environ.get("GOOGLE_CLOUD_LOCATION")
        prefix = f"projects/{project}/locations/{location}/" if project and location else ""
        return f"{prefix}publishers/google/models/{model}/operations/{op_id}", model

    async def poll(self, remote_id: str) -> PollResult:
        client = self._client()
        if remote_id.startswith(_VEO):
            return await self._poll_veo(client, remote_id)
        inter = await self._call(client.aio.interactions.get, remote_id, what="interaction lookup")
        raw = str(getattr(inter, "status", "") or "")
        status = _STATUS.get(raw)
        if status is None:
            raise ProviderHTTPError(f"google: the interaction has an unknown status {raw[:40]!r}.",
                                    provider=self.name, retryable=True)
        if status in ("queued", "running"):
            return PollResult(status, None, raw_status=raw)
        if status == "succeeded":
            video = getattr(inter, "output_video", None)
            uri = getattr(video, "uri", None) if video is not None else None
            if isinstance(uri, str) and uri:
                # A fragment is never part of what is fetched; dropping it also keeps a server
                # from marking its own URL as videonb's inline read-back (which sends the key).
                return PollResult("succeeded", 1.0, output_url=uri.split("#", 1)[0],
                                  raw_status=raw)
            if video is not None and getattr(video, "data", None):
                # Delivered inline: the download reads the interaction again, bounded.
                return PollResult("succeeded", 1.0, raw_status=raw, output_url=(
                    f"{self.url}/{self._api_version()}/interactions/{remote_id}{_INLINE}"))
            return PollResult("failed", None, error_code="NO_VIDEO", raw_status=raw,
                              error_message="the interaction completed without a video")
        errors = getattr(inter, "errors", None) or []
        first = errors[0] if errors else None
        code = str(getattr(first, "code", "") or raw).rsplit("/", 1)[-1]
        why = str(getattr(first, "message", "") or f"the interaction ended {raw}")
        return PollResult(status, None, error_code=redact(code)[:100] or raw,
                          error_message=redact(why)[:500], raw_status=raw)

    def _api_version(self) -> str:
        return os.environ.get("GOOGLE_GENAI_API_VERSION") or ("v1beta1" if self.vertex else "v1")

    async def _poll_veo(self, client: Any, remote_id: str) -> PollResult:
        from google.genai import types

        name, _model = self._op_name(remote_id)
        op = await self._call(client.aio.operations.get, types.GenerateVideosOperation(name=name),
                              what="Veo operation lookup")
        if not getattr(op, "done", False):
            return PollResult("running", None, raw_status="running")
        err = getattr(op, "error", None)
        if err:
            code = str(err.get("code") if isinstance(err, dict) else getattr(err, "code", ""))
            msg = str(err.get("message") if isinstance(err, dict) else err)
            return PollResult("failed", None, error_code=redact(code)[:100] or "FAILED",
                              error_message=redact(msg)[:500], raw_status="error")
        result = getattr(op, "response", None) or getattr(op, "result", None)
        videos = getattr(result, "generated_videos", None) or []
        if not videos:
            reasons = getattr(result, "rai_media_filtered_reasons", None) or []
            return PollResult("failed", None, error_code="SAFETY.RAI_FILTERED",
                              error_message=redact("; ".join(map(str, reasons))
                                                   or "every video was filtered")[:500],
                              raw_status="filtered")
        video = videos[0].video
        uri = getattr(video, "uri", None)
        if isinstance(uri, str) and uri.startswith("http"):
            return PollResult("succeeded", 1.0, output_url=uri.split("#", 1)[0],
                              raw_status="done")
        if getattr(video, "video_bytes", None):
            return PollResult("succeeded", 1.0, output_url=f"{self.url}/{name}{_INLINE}",
                              raw_status="done")
        return PollResult("failed", None, error_code="NO_VIDEO", raw_status="done",
                          error_message="the operation finished without a video (a gs:// "
                                        "output needs output_gcs_uri, which videonb does not use)")

    # --- cancel and download -------------------------------------------------------------------
    async def cancel(self, remote_id: str) -> None:
        if remote_id.startswith(_VEO):
            return  # Veo documents no cancel; the job just stops being waited for
        client = self._client()
        await self._call(client.aio.interactions.cancel, remote_id, what="cancel")

    def _same_host(self, url: str) -> bool:
        a, b = urlsplit(url), urlsplit(self.url)
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)

    async def download(self, url: str, dest: Path) -> Path:
        from . import _http

        if not url.endswith(_INLINE):
            # A uri on the API host needs the key; anywhere else it is a signed URL, and the
            # key never goes there.
            headers = RedactedDict({"x-goog-api-key": self.key() or ""}) \
                if self._same_host(url) else None
            return await _http.download_to(url, dest, provider=self.name, headers=headers)
        url = url[: -len(_INLINE)]
        if not self._same_host(url):
            # videonb makes inline read-back URLs on the API host only; one elsewhere came from
            # a server or a ledger row, and the key never goes there.
            raise DownloadError(f"google: refusing to send the key to {urlsplit(url).hostname!r}, "
                                f"which is not the configured API host.")
        if "/operations/" in url:
            return await self._download_veo_inline(url, dest)
        # An inline interaction: fetch the interaction JSON (bounded by the download limits),
        # then decode its video.
        part = dest.with_name(dest.name + ".json")
        try:
            await _http.download_to(url, part, provider=self.name,
                                    headers=RedactedDict({"x-goog-api-key": self.key() or ""}))
            data = json.loads(part.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise DownloadError("google: the interaction could not be read back as JSON.",
                                retryable=True) from None
        finally:
            part.unlink(missing_ok=True)
        return _write_video(_inline_video(data), dest)

    async def _download_veo_inline(self, url: str, dest: Path) -> Path:
        """Vertex answers a Veo operation with the video inline and offers no URL: the
        operation is read again through the SDK (its timeout bounds it) and the bytes are
        checked against videonb's download cap before they are written."""
        from google.genai import types

        from ..settings import config

        name = url[len(self.url) + 1:]
        op = await self._call(self._client().aio.operations.get,
                              types.GenerateVideosOperation(name=name), what="Veo download")
        result = getattr(op, "response", None) or getattr(op, "result", None)
        videos = getattr(result, "generated_videos", None) or []
        data = getattr(videos[0].video, "video_bytes", None) if videos else None
        if not data:
            raise DownloadError("google: the finished operation no longer holds its video.",
                                retryable=True)
        if len(data) > int(config.max_download_bytes):
            raise DownloadError(f"google: the video is {len(data)} bytes, over videonb's "
                                f"download cap ({config.max_download_bytes}).")
        return _write_video(data, dest)


def _inline_video(data: Any) -> bytes:
    """The base64 video of an interaction's JSON (``output_video`` or the last model step)."""
    video = data.get("output_video") if isinstance(data, dict) else None
    if not isinstance(video, dict):
        for step in reversed(data.get("steps") or [] if isinstance(data, dict) else []):
            if isinstance(step, dict) and step.get("type") == "model_output":
                for item in reversed(step.get("content") or []):
                    if isinstance(item, dict) and item.get("type") == "video":
                        video = item
                        break
            if video:
                break
    encoded = video.get("data") if isinstance(video, dict) else None
    if not isinstance(encoded, str) or not encoded:
        raise DownloadError("google: the interaction holds no video data.", retryable=True)
    try:
        return base64.b64decode(encoded, validate=False)
    except ValueError:
        raise DownloadError("google: the interaction's video is not valid base64.",
                            retryable=True) from None


def _write_video(data: bytes, dest: Path) -> Path:
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, dest)
    return dest
