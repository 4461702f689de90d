"""fal (``queue.fal.run``): the video models fal hosts (Pika, Kling, Hailuo, LTX, Wan, Luma,
Seedance), one provider with a model table from fal's catalogue.

Wire facts, and where each comes from (read 2026-12-01):

* **Auth.**  ``Authorization: Key <FAL_KEY>``; ``FAL_KEY``, or ``FAL_KEY_ID`` and
  ``FAL_KEY_SECRET`` sent as ``id:secret`` [fal-client 1.0.3 ``auth.py``
  ``_resolve_env_or_colab_auth``].  ``FAL_QUEUE_RUN_HOST`` (default ``queue.`` +
  ``FAL_RUN_HOST``, default ``fal.run``) names the queue host, as in the SDK; ``base_url=``
  points elsewhere (the loopback emulator in tests).
* **Submit.**  ``POST {queue}/{endpoint id}`` with the model's input as JSON →
  ``{request_id, response_url, status_url, cancel_url}`` [fal-client ``SyncClient.submit``;
  docs.fal.ai model-endpoints/queue].  A submit is one paid request: it is never retried after
  a transport error (the SDK's ``_maybe_retry_request`` does retry it; videonb does not).
* **Status.**  ``GET {queue}/{owner}/{app}/requests/{id}/status`` - owner and app only, never
  the endpoint's sub-path [docs.fal.ai queue: "the subpath ... should be used when making the
  request, but not when getting request status or results"; fal-client
  ``from_request_id``].  ``IN_QUEUE`` (``queue_position``), ``IN_PROGRESS`` (``logs``),
  ``COMPLETED`` (``logs``, ``metrics``, and ``error`` / ``error_type`` when it failed)
  [fal-client ``_BaseRequestHandle._parse_status``].  videonb rebuilds these URLs from the
  host it is configured for instead of following the URLs in the answer, so the key goes
  nowhere else; the task id it records is ``"owner:app:request_id"``.
* **Result.**  ``GET {queue}/{owner}/{app}/requests/{id}`` → the model's output, for video
  models ``{"video": {"url", "content_type", "file_name", "file_size"}}``; a failed request
  answers its error: model errors ``{"detail": [{loc, msg, type, ...}]}`` (e.g. 422
  ``content_policy_violation``, not retryable), request errors ``{"detail": str, "error_type"}``
  with ``X-Fal-Error-Type`` (``request_timeout`` 504, ``runner_disconnected`` 503 ...) after
  fal's own retries (up to 10) [docs.fal.ai model-apis/errors and request-errors; fal
  serverless retries page].
* **Cancel.**  ``PUT .../requests/{id}/cancel``: a queued request is removed, a running one is
  sent a cancellation signal (the model decides); answers ``OK``, ``CANCELLATION_REQUESTED``,
  ``ALREADY_COMPLETED`` or ``NOT_FOUND`` [fal.ai inference-api/queue/cancel].
* **Inputs.**  File fields take URLs or base64 data URIs (fal-client ``encode_file`` makes the
  latter); each model's field names and choices are its catalogue page's input schema.
* **Outputs.**  Media URLs on fal's CDN (``v3.fal.media``) that need no key.

The model table (:data:`FAMILIES`): one videonb id per model family, naming fal's text-to-video
and image-to-video endpoint ids; audio is sent off unless the id ends in ``+audio`` (Kling 2.6's
``generate_audio`` defaults to true and doubles the price).  Prices are fal's catalogue pages
(``fal.ai/models/<id>/llms.txt``) unless a row says otherwise; ids and prices marked
UNCONFIRMED were not on a fal page read.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .._redact import RedactedDict, redact
from ..errors import InvalidOptionError, ProviderHTTPError
from . import _http
from .base import ModelSpec, PollResult, Provider, Request

__all__ = ["FalProvider", "FAMILIES", "FalModel"]

DEFAULT_HOST = "queue.fal.run"
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,127}")
_APP_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: Error types of a failed request that mean the input was refused by moderation.
_MODERATION = ("content_policy_violation",)


@dataclass(frozen=True)
class FalModel:
    """What videonb sends for one model family."""

    t2v: str | None
    i2v: str | None
    image_field: str = "image_url"
    #: How ``duration`` goes on the wire: ``str`` (``"5"``), ``int`` (5) or None (not sent).
    duration_type: type | None = str
    duration_suffix: str = ""  # Luma: "5s"
    ratio_field: str | None = "aspect_ratio"
    ratio_on_i2v: bool = False
    #: Fields always sent (resolution, audio off, ...).
    fixed: dict[str, Any] = field(default_factory=dict)


def _spec(mid: str, ops: tuple[str, ...], durations: tuple[float, ...], price: float | None,
          source: str, notes: str, *, ratios: tuple[str, ...] = (), default_ratio: str | None = None,
          duration_range: bool = False, default: float | None = None,
          prompt_max: int | None = None) -> ModelSpec:
    return ModelSpec(mid, ops, durations=durations, duration_range=duration_range,
                     default_duration=default if default is not None else durations[0],
                     ratios=ratios, default_ratio=default_ratio, max_prompt_chars=prompt_max,
                     image_input="image_to_video" in ops, price_per_second=price,
                     price_note="" if price is not None else
                     "no price read from fal's catalogue: refused under a budget",
                     price_source=source, notes=notes)


_BOTH = ("text_to_video", "image_to_video")
_R3 = ("16:9", "9:16", "1:1")
_PAGE = "fal.ai/models/{}/llms.txt, read 2026-12-01"

#: videonb id → (capabilities, wire facts).
FAMILIES: dict[str, tuple[ModelSpec, FalModel]] = {
    "fal-ai/kling-video/v2.6/pro": (
        _spec("fal-ai/kling-video/v2.6/pro", _BOTH, (5, 10), 0.07,
              _PAGE.format("fal-ai/kling-video/v2.6/pro/{text,image}-to-video"),
              "Kling 2.6 Pro on fal, audio off", ratios=_R3, default_ratio="16:9",
              prompt_max=2500),
        FalModel("fal-ai/kling-video/v2.6/pro/text-to-video",
                 "fal-ai/kling-video/v2.6/pro/image-to-video", image_field="start_image_url",
                 fixed={"generate_audio": False})),
    "fal-ai/kling-video/v2.6/pro+audio": (
        _spec("fal-ai/kling-video/v2.6/pro+audio", _BOTH, (5, 10), 0.14,
              _PAGE.format("fal-ai/kling-video/v2.6/pro/{text,image}-to-video"),
              "Kling 2.6 Pro on fal, native audio", ratios=_R3, default_ratio="16:9",
              prompt_max=2500),
        FalModel("fal-ai/kling-video/v2.6/pro/text-to-video",
                 "fal-ai/kling-video/v2.6/pro/image-to-video", image_field="start_image_url",
                 fixed={"generate_audio": True})),
    "fal-ai/pika/v2.2": (
        _spec("fal-ai/pika/v2.2", _BOTH, (5, 10), None,
              "endpoint ids from third-party notes (providers.md §7), UNCONFIRMED on fal",
              "Pika 2.2 at 720p (Pika has no first-party API; fal hosts it)", ratios=(
                  "16:9", "9:16", "1:1", "4:5", "5:4", "3:2", "2:3"), default_ratio="16:9"),
        FalModel("fal-ai/pika/v2.2/text-to-video", "fal-ai/pika/v2.2/image-to-video",
                 duration_type=int, fixed={"resolution": "720p"})),
    "fal-ai/pika/v2.5": (
        _spec("fal-ai/pika/v2.5", ("text_to_video",), (5, 10), None,
              _PAGE.format("fal-ai/pika/v2.5/text-to-video") + " (its price line reads $0)",
              "Pika 2.5 text to video at 720p"),
        FalModel("fal-ai/pika/v2.5/text-to-video", None, duration_type=int, ratio_field=None,
                 fixed={"resolution": "720p"})),
    "fal-ai/minimax/hailuo-02/standard": (
        _spec("fal-ai/minimax/hailuo-02/standard", _BOTH, (6, 10), 0.045,
              _PAGE.format("fal-ai/minimax/hailuo-02/standard/image-to-video")
              + "; the text-to-video id follows the same pattern (UNCONFIRMED)",
              "MiniMax Hailuo 02 Standard, 768p", ratios=(), default=6),
        FalModel("fal-ai/minimax/hailuo-02/standard/text-to-video",
                 "fal-ai/minimax/hailuo-02/standard/image-to-video", ratio_field=None)),
    "fal-ai/ltx-2/fast": (
        _spec("fal-ai/ltx-2/fast", _BOTH, (6, 8, 10), 0.04,
              _PAGE.format("fal-ai/ltx-2/text-to-video/fast")
              + "; image-to-video id UNCONFIRMED", "LTX-2 Fast, 1080p", default=6),
        FalModel("fal-ai/ltx-2/text-to-video/fast", "fal-ai/ltx-2/image-to-video/fast",
                 duration_type=int, ratio_field=None, fixed={"resolution": "1080p"})),
    "fal-ai/wan-25-preview": (
        _spec("fal-ai/wan-25-preview", _BOTH, (5, 10), 0.10,
              "fal's comparison page quotes Wan 2.5 at $0.05-0.15/s (providers.md §11); "
              "$0.10/s at 720p is the middle of that range (UNCONFIRMED per resolution)",
              "Wan 2.5 preview at 720p", ratios=_R3, default_ratio="16:9"),
        FalModel("fal-ai/wan-25-preview/text-to-video", "fal-ai/wan-25-preview/image-to-video",
                 fixed={"resolution": "720p"})),
    "fal-ai/luma-dream-machine/ray-2": (
        _spec("fal-ai/luma-dream-machine/ray-2", _BOTH, (5, 9), 0.10,
              "fal's comparison page: Luma Ray 2 image to video $0.50 per 5 s at 540p "
              "(providers.md §11)", "Luma Ray 2 at 540p",
              ratios=("16:9", "9:16", "4:3", "3:4", "21:9", "9:21", "1:1"),
              default_ratio="16:9"),
        FalModel("fal-ai/luma-dream-machine/ray-2",
                 "fal-ai/luma-dream-machine/ray-2/image-to-video", duration_suffix="s",
                 fixed={"resolution": "540p"})),
    "bytedance/seedance-2.0": (
        _spec("bytedance/seedance-2.0", _BOTH, (5, 10), None,
              "endpoint id from fal's image-to-video catalogue page (read 2026-12-01); no fal "
              "price read", "Seedance 2.0 at 720p", ratios=_R3, default_ratio="16:9"),
        FalModel("bytedance/seedance-2.0/text-to-video", "bytedance/seedance-2.0/image-to-video",
                 fixed={"resolution": "720p"})),
}
MODELS: dict[str, ModelSpec] = {mid: spec for mid, (spec, _) in FAMILIES.items()}


def app_of(endpoint: str) -> tuple[str, str]:
    """(owner, app) of a fal endpoint id: the first two path parts."""
    parts = endpoint.split("/")
    if len(parts) < 2 or not all(_APP_PART.fullmatch(p) for p in parts[:2]):
        raise InvalidOptionError(f"{endpoint!r} is not a fal endpoint id (owner/app/...).")
    return parts[0], parts[1]


def _data_uri(path: str) -> str:
    p = Path(path)
    mime = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
    if not mime.startswith("image/"):
        raise InvalidOptionError(f"{p.name} is not an image.")
    return f"data:{mime};base64,{base64.b64encode(p.read_bytes()).decode()}"


class FalProvider(Provider):
    """fal's queue API; see the module docstring for every wire fact and its source."""

    name: ClassVar[str] = "fal"
    display_name: ClassVar[str] = "fal"
    key_env: ClassVar[tuple[str, ...]] = ("FAL_KEY",)
    requires: ClassVar[tuple[str, ...]] = ("httpx",)
    install_hint: ClassVar[str] = "pip install httpx"
    #: The loopback emulator of this API (a name only: the main floors never import it).
    emulator: ClassVar[str] = "videonb.testing.emulators.fal:FalEmulator"
    models: ClassVar[dict[str, ModelSpec]] = MODELS
    default_model: ClassVar[str] = "fal-ai/kling-video/v2.6/pro"
    description: ClassVar[str] = ("The video models fal hosts (Pika, Kling, Hailuo, LTX, Wan, "
                                  "Luma, Seedance) through fal's queue API.")
    min_poll: ClassVar[float] = 2.0

    @property
    def url(self) -> str:
        if self.base_url:
            return str(self.base_url).rstrip("/")
        host = os.environ.get("FAL_QUEUE_RUN_HOST") or \
            f"queue.{os.environ.get('FAL_RUN_HOST') or 'fal.run'}"
        return f"https://{host}"

    def key(self, *, prompt: bool = True) -> str | None:
        """``FAL_KEY`` (argument, environment, .env, Colab, set_key), else ``FAL_KEY_ID`` and
        ``FAL_KEY_SECRET`` as ``id:secret``, as fal-client reads them."""
        from ..errors import MissingKeyError
        from .keys import find_key

        try:
            return super().key(prompt=prompt)
        except MissingKeyError:
            kid, secret = find_key(("FAL_KEY_ID",)), find_key(("FAL_KEY_SECRET",))
            if kid is None or secret is None:
                raise
            from .._redact import conceal

            return conceal(f"{kid.value}:{secret.value}")

    def _headers(self) -> dict[str, str]:
        return RedactedDict({"Authorization": f"Key {self.key()}",
                             "Content-Type": "application/json"})

    # --- requests -----------------------------------------------------------------------
    def validate(self, req: Request) -> ModelSpec:
        spec = super().validate(req)
        if req.operation == "image_to_video" and "image" not in req.input_paths:
            raise InvalidOptionError("image_to_video needs image=...")
        if req.ratio is not None and req.operation == "text_to_video" \
                and FAMILIES[spec.id][1].ratio_field is None:
            raise InvalidOptionError(f"fal/{spec.id} takes no aspect ratio (its output size is "
                                     f"fixed); leave ratio= out.")
        return spec

    def endpoint_for(self, req: Request) -> str:
        wire = FAMILIES[req.model][1]
        endpoint = wire.t2v if req.operation == "text_to_video" else wire.i2v
        if endpoint is None:  # validate() already refused it
            raise InvalidOptionError(f"fal/{req.model} cannot do {req.operation}.")
        return endpoint

    def body(self, req: Request) -> dict[str, Any]:
        """The model's input (fal's field names), without any secret."""
        spec, wire = FAMILIES[req.model]
        body: dict[str, Any] = {"prompt": req.prompt, **wire.fixed}
        seconds = req.seconds if req.seconds is not None else spec.default_duration
        if wire.duration_type is not None and seconds is not None:
            value = int(seconds)
            body["duration"] = (f"{value}{wire.duration_suffix}" if wire.duration_type is str
                                else value)
        ratio = req.ratio or spec.default_ratio
        if wire.ratio_field and ratio and (req.operation == "text_to_video" or wire.ratio_on_i2v):
            body[wire.ratio_field] = ratio
        if req.seed is not None:
            body["seed"] = int(req.seed)
        if req.operation == "image_to_video":
            body[wire.image_field] = _data_uri(req.input_paths["image"])
        return body

    async def submit(self, req: Request) -> str:
        endpoint = self.endpoint_for(req)
        owner, app = app_of(endpoint)
        resp = await _http.call("POST", f"{self.url}/{endpoint}", provider=self.name,
                                headers=self._headers(), json_body=self.body(req), submit=True)
        answer = _http.json_object(resp, provider=self.name, what="submit answer")
        rid = answer.get("request_id")
        if not isinstance(rid, str) or not _REQUEST_ID.fullmatch(rid):
            raise ProviderHTTPError("fal: the submit answer had no request id; check fal's "
                                    "dashboard before submitting again.", provider=self.name)
        return f"{owner}:{app}:{rid}"

    def _request_url(self, remote_id: str) -> str:
        parts = remote_id.split(":")
        if len(parts) != 3 or not all(_APP_PART.fullmatch(p) for p in parts[:2]) \
                or not _REQUEST_ID.fullmatch(parts[2]):
            raise ProviderHTTPError(f"fal: {remote_id[:60]!r} is not a request id videonb "
                                    f"records.", provider=self.name)
        owner, app, rid = parts
        return f"{self.url}/{owner}/{app}/requests/{rid}"

    async def poll(self, remote_id: str) -> PollResult:
        base = self._request_url(remote_id)
        resp = await _http.call("GET", f"{base}/status", provider=self.name,
                                headers=self._headers(), params={"logs": "0"})
        status = _http.json_object(resp, provider=self.name, what="status")
        raw = str(status.get("status", ""))
        hint = _http.retry_after_seconds(resp.headers)
        if raw == "IN_QUEUE":
            return PollResult("queued", None, retry_after=hint, raw_status=raw)
        if raw == "IN_PROGRESS":
            return PollResult("running", None, retry_after=hint, raw_status=raw)
        if raw != "COMPLETED":
            raise ProviderHTTPError(f"fal: the request has an unknown status {raw[:40]!r}.",
                                    provider=self.name, retryable=True)
        if status.get("error"):
            code = str(status.get("error_type") or "failed")
            return self._failed(code, str(status["error"]), raw)
        try:
            resp = await _http.call("GET", base, provider=self.name, headers=self._headers())
        except ProviderHTTPError as exc:
            # The request ran and failed (a model or request error): the answer says why.
            if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (
                    401, 403, 404, 408, 429):
                return self._failed(exc.detail_code or f"http_{exc.status}", str(exc), raw)
            raise
        result = _http.json_object(resp, provider=self.name, what="result")
        video = result.get("video")
        url = video.get("url") if isinstance(video, dict) else None
        return PollResult("succeeded", 1.0, output_url=url if isinstance(url, str) else None,
                          raw_status=raw)

    def _failed(self, code: str, message: str, raw: str) -> PollResult:
        code = redact(code)[:100]
        if code in _MODERATION:
            code = "CONTENT_POLICY_VIOLATION"  # read as moderation (never retried)
        return PollResult("failed", None, error_code=code, error_message=redact(message)[:500],
                          raw_status=raw)

    async def cancel(self, remote_id: str) -> None:
        await _http.call("PUT", f"{self._request_url(remote_id)}/cancel", provider=self.name,
                         headers=self._headers(), idempotent=True)

    async def download(self, url: str, dest: Path) -> Path:
        # fal's media URLs need no key: it is never sent with them.
        return await _http.download_to(url, dest, provider=self.name)
