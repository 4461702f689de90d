"""OpenAI API emulator: Chat Completions (images as video frames) and the Videos (Sora 2)
API, served under ``/v1`` (point the SDK at ``emu.base_url + "/v1"``).

Endpoints (``Authorization: Bearer <key>``):

- ``POST /v1/chat/completions`` (:mod:`.openai_chat`): ``messages`` with text and
  ``image_url`` parts (data URIs are decoded and measured; http(s) URLs are accepted
  but never fetched), ``response_format`` (``text``, ``json_object``, ``json_schema``),
  ``n``, ``stream`` (SSE).  Returns a ``chat.completion`` whose message content comes
  from ``responder(request_dict) -> str`` (default: JSON that satisfies the
  json_schema, see :mod:`._answers`) and ``usage`` with image tokens counted by
  OpenAI's tile rule.  Each request is summarised in
  :attr:`OpenAIEmulator.chat_requests` (image count, ``detail`` values, response
  format) for assertions.
- ``GET /v1/models``: the listed models of :data:`MODELS`.
- ``POST /v1/videos`` (multipart as the SDK sends it, or JSON), ``GET /v1/videos``
  (cursor list), ``GET /v1/videos/{id}`` (``queued`` → ``in_progress`` with integer
  ``progress`` → ``completed`` / ``failed`` with ``error: {code, message}``),
  ``GET /v1/videos/{id}/content?variant=video|thumbnail|spritesheet`` (binary),
  ``POST /v1/videos/{id}/remix``, ``DELETE /v1/videos/{id}`` (:mod:`.openai_videos`).
  Video responses carry ``openai-poll-after-ms`` (``poll_after_ms``, default 10) so
  ``videos.poll`` is fast.  Downloads answer 410 once ``expires_at`` (``output_ttl``
  after completion) has passed.

``retired=True`` makes every ``/v1/videos`` call answer 404 with OpenAI's error body, as
api.openai.com does since the Sora API was shut down on 2026-09-24.

Job faults for the next video created: ``"moderation"`` (→ ``moderation_blocked``),
``"video_generation_failed"``, ``"internal_error"``, or ``"job_failure"`` with ``code=``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .kit.dialects import openai_error
from .kit.faults import COMMON_FAULTS
from .kit.http import Invalid, Request, Response
from .kit.models import ModelTable
from .openai_chat import ChatCompletions, image_tokens
from .openai_videos import SIZES_PRO, SIZES_STANDARD, VIDEO_FAILURES, VideosAPI

__all__ = ["MODELS", "VIDEO_FAILURES", "ModelSpec", "OpenAIEmulator", "image_tokens"]


@dataclass(frozen=True)
class ModelSpec:
    """One model: whether ``GET /v1/models`` lists it, and (videos) the sizes it makes."""

    listed: bool = True
    sizes: tuple[str, ...] = ()


#: ``("chat", id)``: listed chat models (chat completions answer any model id);
#: ``("videos", id)``: the Sora models ``POST /v1/videos`` accepts, with their sizes.
MODELS: ModelTable[ModelSpec] = ModelTable()
MODELS.add("gpt-4o gpt-4o-mini gpt-4.1 gpt-4.1-mini gpt-5.5", ModelSpec(), "chat")
MODELS.add("sora-2", ModelSpec(sizes=SIZES_STANDARD), "videos")
MODELS.add("sora-2-pro", ModelSpec(sizes=SIZES_PRO), "videos")
MODELS.add("sora-2-2025-10-06 sora-2-2025-12-08", ModelSpec(False, SIZES_STANDARD), "videos")
MODELS.add("sora-2-pro-2025-10-06", ModelSpec(False, SIZES_PRO), "videos")

_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with "
    "blank username) if you're accessing the API from your browser and are prompted for a "
    "username and password. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)
_KEYS_PAGE = "You can find your API key at https://platform.openai.com/account/api-keys."
_SERVER_ERROR = (
    "The server had an error while processing your request. Sorry about that! You can retry "
    "your request, or contact us through our help center at help.openai.com if the error "
    "persists."
)
_RATE_LIMIT = (
    "Rate limit reached for requests. Limit: 60, Used: 60, Requested: 1. Please try again in "
    "1s. Visit https://platform.openai.com/account/rate-limits to learn more."
)


class OpenAIEmulator(ChatCompletions, VideosAPI):
    """Loopback emulator of OpenAI's Chat Completions and Videos APIs (module docstring).

    Parameters (besides :class:`~videonb.testing.emulators.kit.Emulator`'s):

    responder
        ``callable(request_dict) -> str`` producing the assistant message for chat
        completions (a dict return value is sent as JSON).  Default: schema-shaped JSON.
    retired
        Answer every ``/v1/videos`` call with 404, as after the Sora shutdown.
    poll_after_ms
        Value of the ``openai-poll-after-ms`` header on video responses.
    max_images
        Images allowed in one chat request (the current guide says 1500; older 500).
    """

    provider = "openai"
    provider_faults = COMMON_FAULTS | frozenset(VIDEO_FAILURES)
    job_failures = VIDEO_FAILURES
    moderation_code = "moderation_blocked"
    default_failure_code = "video_generation_failed"
    default_failure_message = "Video generation failed."
    early_failures = ("moderation_blocked",)
    models = MODELS

    def __init__(
        self,
        *,
        responder: Callable[[dict[str, Any]], Any] | None = None,
        retired: bool = False,
        poll_after_ms: int = 10,
        max_images: int = 1500,
        **kwargs: Any,
    ) -> None:
        self.responder = responder
        self.retired = retired
        self.poll_after_ms = int(poll_after_ms)
        self.max_images = int(max_images)
        #: One summary per chat completion request answered (or rejected for its content).
        self.chat_requests: list[dict[str, Any]] = []
        super().__init__(**kwargs)

    def setup_routes(self) -> None:
        video = r"/v1/videos/(?P<id>video_[A-Za-z0-9]+)"
        for method, pattern, handler, kind, name in [
            ("POST", "/v1/chat/completions", self._chat, "generate", "chat.completions.create"),
            ("GET", "/v1/models", self._models, "models", "models.list"),
            ("POST", "/v1/videos", self._video_create, "submit", "videos.create"),
            ("GET", "/v1/videos", self._video_list, "list", "videos.list"),
            ("GET", video, self._video_get, "poll", "videos.retrieve"),
            ("DELETE", video, self._video_delete, "cancel", "videos.delete"),
            ("GET", video + "/content", self._video_content, "download", "videos.download_content"),
            ("POST", video + "/remix", self._video_remix, "submit", "videos.remix"),
        ]:
            self.route(method, pattern, handler, kind=kind, name=name)

    # ---- auth and error bodies -------------------------------------------------------
    def missing_key_response(self, req: Request) -> Response:
        return openai_error(401, _NO_KEY)

    def invalid_key_response(self, req: Request, key: str) -> Response:
        shown = key[:3] + "*" * max(0, len(key) - 7) + key[-4:] if len(key) > 7 else "*" * len(key)
        return openai_error(401, f"Incorrect API key provided: {shown}. {_KEYS_PAGE}",
                            code="invalid_api_key")

    def check_request(self, req: Request) -> Response | None:
        if not (self.retired and req.path.startswith("/v1/videos")):
            return None
        if req.method == "POST" and req.path == "/v1/videos":
            model = "sora-2"
            try:
                model = str(self._video_fields(req).get("model") or model)
            except Invalid:  # an unreadable body: name the default model
                pass
            return openai_error(404, f"The model `{model}` has been deprecated, learn more here: "
                                "https://platform.openai.com/docs/deprecations",
                                code="model_not_found")
        return openai_error(404, f"Invalid URL ({req.method} {req.path})")

    def error_response(
        self, status: int, kind: str, req: Request, message: str | None = None, **extra: Any
    ) -> Response:
        defaults = {
            401: (f"Incorrect API key provided. {_KEYS_PAGE}", "invalid_api_key"),
            404: (f"Invalid URL ({req.method} {req.path})", None),
            405: (f"Invalid method for URL ({req.method} {req.path})", None),
            429: (_RATE_LIMIT, "rate_limit_exceeded"),
            503: ("The engine is currently overloaded, please try again later.", None),
        }
        text, code = defaults.get(status, (_SERVER_ERROR if status >= 500 else "Bad request.", None))
        return openai_error(status, message or text, code=code)

    def invalid_response(self, exc: Invalid, req: Request) -> Response:
        return openai_error(exc.status, exc.message, param=exc.param, code=exc.code,
                            headers=exc.headers)

    def _models(self, req: Request) -> Response:
        ids = [m for (ep, m), spec in self.models.items()
               if spec.listed and (ep == "chat" or not self.retired)]
        data = [{"id": i, "object": "model", "created": 1700000000, "owned_by": "system"}
                for i in ids]
        return Response.json(200, {"object": "list", "data": data})
