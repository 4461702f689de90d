"""OpenAI API emulator: Chat Completions and the Responses API (images as video frames),
the Files API, models, and the Videos (Sora 2) API, served under ``/v1`` (point the SDK at
``emu.base_url + "/v1"``).  ``docs/emulators.md`` has the fidelity table.

Endpoints (``Authorization: Bearer <key>``):

- ``POST /v1/chat/completions`` (:mod:`.openai_chat`): ``messages`` with text and
  ``image_url`` parts (data URIs are decoded and measured; http(s) URLs are accepted
  but never fetched), ``detail`` ``auto | low | high | original``, ``response_format``
  (``text``, ``json_object``, ``json_schema``), ``n``, ``stream`` (SSE).  Returns a
  ``chat.completion`` whose message content comes from ``responder(request_dict) -> str``
  (default: JSON that satisfies the json_schema, see :mod:`._answers`) and ``usage`` with
  image tokens counted by the model's own rule (tile or patch, :mod:`.openai_models`).
  Each request is summarised in :attr:`OpenAIEmulator.chat_requests`.
- ``POST /v1/responses`` and its ``retrieve`` / ``delete`` / ``cancel`` /
  ``input_items`` / ``input_tokens`` routes (:mod:`.openai_responses`): ``input_text``
  and ``input_image`` parts (by URL or by ``file_id``), ``text.format``, ``stream``;
  summaries in :attr:`OpenAIEmulator.response_requests`.
- ``/v1/files`` (:mod:`.openai_files`): upload, list, retrieve, delete, content.
- ``GET /v1/models`` and ``GET /v1/models/{id}``: the ids of :data:`MODELS` not past
  their shutdown date (``today=``); any other id is 404 ``model_not_found``, on the models
  routes and on chat completions and responses alike.
- ``POST /v1/videos`` (multipart as the SDK sends it, or JSON), ``GET /v1/videos``
  (cursor list), ``GET /v1/videos/{id}`` (``queued`` → ``in_progress`` with integer
  ``progress`` → ``completed`` / ``failed`` with ``error: {code, message}``),
  ``GET /v1/videos/{id}/content?variant=video|thumbnail|spritesheet`` (binary),
  ``POST /v1/videos/{id}/remix``, ``POST /v1/videos/edits``, ``POST /v1/videos/extensions``,
  ``POST /v1/videos/characters``, ``GET /v1/videos/characters/{id}``,
  ``DELETE /v1/videos/{id}`` (:mod:`.openai_videos`).  Video responses carry
  ``openai-poll-after-ms`` (``poll_after_ms``, default 10) so ``videos.poll`` is fast.
  Downloads answer 410 once ``expires_at`` (``output_ttl`` after completion) has passed.

``retired=True`` makes every ``/v1/videos`` call answer 404 with OpenAI's error body, as
api.openai.com does since the Sora API was shut down on 2026-09-24.

Job faults for the next video created: ``"moderation"`` (→ ``moderation_blocked``),
``"video_generation_failed"``, ``"internal_error"``, or ``"job_failure"`` with ``code=``.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable
from typing import Any

from .kit.dialects import openai_error
from .kit.faults import COMMON_FAULTS
from .kit.http import Invalid, Request, Response
from .openai_chat import ChatCompletions
from .openai_files import FilesAPI
from .openai_models import MODELS, ModelSpec, image_tokens
from .openai_responses import ResponsesAPI
from .openai_videos import VIDEO_FAILURES, VideosAPI

__all__ = ["MODELS", "VIDEO_FAILURES", "ModelSpec", "OpenAIEmulator", "image_tokens"]

_DEPRECATIONS = "https://platform.openai.com/docs/deprecations"
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


class OpenAIEmulator(ChatCompletions, ResponsesAPI, FilesAPI, VideosAPI):
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
    today
        The date model shutdowns are judged by (default: ``$VIDEONB_EMULATOR_TODAY``, else
        today's UTC date), so a model
        past the shutdown date openai's ``ChatModel`` announces answers 404 as it would
        live.  Pass a date to pin it.
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
        today: _dt.date | str | None = None,
        **kwargs: Any,
    ) -> None:
        self._today = _dt.date.fromisoformat(today) if isinstance(today, str) else today
        self.responder = responder
        self.retired = retired
        self.poll_after_ms = int(poll_after_ms)
        self.max_images = int(max_images)
        #: One summary per chat completion request answered (or rejected for its content).
        self.chat_requests: list[dict[str, Any]] = []
        super().__init__(**kwargs)
        self._init_responses()
        self._init_files()

    @property
    def today(self) -> _dt.date:
        # VIDEONB_EMULATOR_TODAY pins the date for a whole test run (videonb's own suite does,
        # so that a model's announced shutdown does not turn its CI red on that day).
        pinned = os.environ.get("VIDEONB_EMULATOR_TODAY")
        return self._today or (_dt.date.fromisoformat(pinned) if pinned else
                               _dt.datetime.now(_dt.timezone.utc).date())

    def setup_routes(self) -> None:
        video = r"/v1/videos/(?P<id>video_[A-Za-z0-9]+)"
        response = r"/v1/responses/(?P<id>resp_[A-Za-z0-9]+)"
        file = r"/v1/files/(?P<id>file-[A-Za-z0-9]+)"
        character = r"/v1/videos/characters/(?P<id>char_[A-Za-z0-9]+)"
        stored = r"/v1/chat/completions/(?P<id>chatcmpl-[A-Za-z0-9]+)"
        for method, pattern, handler, kind, name in [
            ("POST", "/v1/chat/completions", self._chat, "generate", "chat.completions.create"),
            ("GET", "/v1/chat/completions", self._chat_list, "list", "chat.completions.list"),
            ("GET", stored, self._chat_get, "poll", "chat.completions.retrieve"),
            ("POST", stored, self._chat_update, "api", "chat.completions.update"),
            ("DELETE", stored, self._chat_delete, "delete", "chat.completions.delete"),
            ("GET", stored + "/messages", self._chat_messages, "list",
             "chat.completions.messages.list"),
            ("POST", "/v1/responses/compact", self._response_compact, "generate",
             "responses.compact"),
            ("POST", "/v1/responses", self._response_create, "generate", "responses.create"),
            ("POST", "/v1/responses/input_tokens", self._input_tokens, "generate",
             "responses.input_tokens.count"),
            ("GET", response, self._response_get, "poll", "responses.retrieve"),
            ("DELETE", response, self._response_delete, "delete", "responses.delete"),
            ("POST", response + "/cancel", self._response_cancel, "cancel", "responses.cancel"),
            ("GET", response + "/input_items", self._response_items, "list",
             "responses.input_items.list"),
            ("GET", "/v1/models", self._models, "models", "models.list"),
            ("GET", r"/v1/models/(?P<model>[^/]+)", self._model_get, "models", "models.retrieve"),
            ("POST", "/v1/files", self._file_create, "upload", "files.create"),
            ("GET", "/v1/files", self._file_list, "list", "files.list"),
            ("GET", file, self._file_get, "poll", "files.retrieve"),
            ("DELETE", file, self._file_delete, "delete", "files.delete"),
            ("GET", file + "/content", self._file_content, "download", "files.content"),
            ("POST", "/v1/videos", self._video_create, "submit", "videos.create"),
            ("GET", "/v1/videos", self._video_list, "list", "videos.list"),
            ("POST", "/v1/videos/edits", self._video_edit, "submit", "videos.edit"),
            ("POST", "/v1/videos/extensions", self._video_extend, "submit", "videos.extend"),
            ("POST", "/v1/videos/characters", self._character_create, "upload",
             "videos.create_character"),
            ("GET", character, self._character_get, "poll", "videos.get_character"),
            ("GET", video, self._video_get, "poll", "videos.retrieve"),
            ("DELETE", video, self._video_delete, "cancel", "videos.delete"),
            ("GET", video + "/content", self._video_content, "download", "videos.download_content"),
            ("POST", video + "/remix", self._video_remix, "submit", "videos.remix"),
        ]:
            self.route(method, pattern, handler, kind=kind, name=name)

    def text_model(self, model: Any, endpoint: str) -> ModelSpec:
        """The spec of a chat/Responses *model*, or the 404 the API answers: an unknown id
        (``model_not_found``), one past its announced shutdown (the deprecation text, also
        ``model_not_found``), or a Responses-only model on chat completions."""
        if not isinstance(model, str) or not model:
            raise Invalid("you must provide a model parameter", param="model",
                          code="missing_required_parameter")
        spec = self.models.spec(model, endpoint)
        if spec is None and endpoint == "chat" and self.models.spec(model, "responses"):
            raise Invalid("This model is only supported in v1/responses and not in "
                          "v1/chat/completions.", status=404, param="model",
                          code="model_not_found")
        if spec is None or not spec.supported:
            raise Invalid(f"The model `{model}` does not exist or you do not have access to it.",
                          status=404, code="model_not_found")
        if spec.shut_down(self.today):
            raise Invalid(f"The model `{model}` has been deprecated, learn more here: "
                          f"{_DEPRECATIONS}", status=404, code="model_not_found")
        return spec

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

    def _model_json(self, model: str, spec: ModelSpec) -> dict[str, Any]:
        owner = "openai" if model.startswith(("sora", "o", "gpt-5", "gpt-6")) else "system"
        return {"id": model, "object": "model", "created": 1700000000, "owned_by": owner,
                "shutdown_date": spec.shutdown}

    def _served(self) -> dict[str, ModelSpec]:
        """The models ``GET /v1/models`` lists: not shut down (Sora while not retired)."""
        out: dict[str, ModelSpec] = {}
        for (ep, model), spec in self.models.items():
            if not spec.listed or model in out:
                continue
            if ep == "videos" and self.retired:
                continue
            if ep != "videos" and spec.shut_down(self.today):
                continue
            out[model] = spec
        return out

    def _models(self, req: Request) -> Response:
        data = [self._model_json(m, spec) for m, spec in self._served().items()]
        return Response.json(200, {"object": "list", "data": data})

    def _model_get(self, req: Request) -> Response:
        model = req.match["model"]  # type: ignore[index]
        spec = self._served().get(model)
        if spec is None:
            raise Invalid(f"The model '{model}' does not exist", status=404, param="model",
                          code="model_not_found")
        return Response.json(200, self._model_json(model, spec))
