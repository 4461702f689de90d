"""OpenAI API emulator: Chat Completions (images as video frames) and the Videos (Sora 2)
API, served under ``/v1`` (point the SDK at ``emu.base_url + "/v1"``).

Endpoints (``Authorization: Bearer <key>``):

- ``POST /v1/chat/completions``: ``messages`` with text and ``image_url`` parts (data
  URIs are decoded and measured; http(s) URLs are accepted but never fetched),
  ``response_format`` (``text``, ``json_object``, ``json_schema``), ``n``, ``stream``
  (SSE).  Returns a ``chat.completion`` whose message content comes from
  ``responder(request_dict) -> str`` (default: JSON that satisfies the json_schema,
  see :mod:`._answers`) and ``usage`` with image tokens counted by OpenAI's tile rule.
  Each request is summarised in :attr:`OpenAIEmulator.chat_requests` (image count,
  ``detail`` values, response format) for assertions.
- ``GET /v1/models``: a short model list.
- ``POST /v1/videos`` (multipart as the SDK sends it, or JSON), ``GET /v1/videos``
  (cursor list), ``GET /v1/videos/{id}`` (``queued`` → ``in_progress`` with integer
  ``progress`` → ``completed`` / ``failed`` with ``error: {code, message}``),
  ``GET /v1/videos/{id}/content?variant=video|thumbnail|spritesheet`` (binary),
  ``POST /v1/videos/{id}/remix``, ``DELETE /v1/videos/{id}``.  Video responses carry
  ``openai-poll-after-ms`` (``poll_after_ms``, default 10) so ``videos.poll`` is fast.
  Downloads answer 410 once ``expires_at`` (``output_ttl`` after completion) has passed.

``retired=True`` makes every ``/v1/videos`` call answer 404 with OpenAI's error body, as
api.openai.com does since the Sora API was shut down on 2026-09-24.

Job faults for the next video created: ``"moderation"`` (→ ``moderation_blocked``),
``"video_generation_failed"``, ``"internal_error"``, or ``"job_failure"`` with ``code=``.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
import uuid
from collections.abc import Callable
from typing import Any

from . import _answers, _media, _multipart
from .base import COMMON_FAULTS, Emulator, Job, JobScheduler, Request, Response, media_response

__all__ = ["VIDEO_FAILURES", "OpenAIEmulator", "image_tokens"]

#: Machine codes and messages for failed video jobs.
VIDEO_FAILURES = {
    "moderation_blocked": "Your request was blocked by our moderation system.",
    "video_generation_failed": "Video generation failed. Please try again.",
    "internal_error": "An internal error occurred while generating the video.",
}

SORA_MODELS = (
    "sora-2",
    "sora-2-pro",
    "sora-2-2025-10-06",
    "sora-2-pro-2025-10-06",
    "sora-2-2025-12-08",
)
SECONDS = (
    "4",
    "8",
    "12",
    "16",
    "20",
)  # the SDK types list 4/8/12; the March 2026 update added 16/20
SIZES_STANDARD = ("720x1280", "1280x720")
SIZES_PRO = ("720x1280", "1280x720", "1024x1792", "1792x1024", "1080x1920", "1920x1080")
DETAILS = ("auto", "low", "high")
_SCHEMA_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}\Z")
_IMAGE_MIMES = ("image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp")


def _listing(values: tuple[str, ...] | list[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def image_tokens(width: int | None, height: int | None, detail: str) -> int:
    """Input tokens of one image for GPT-4o-class (tile) models."""
    if detail == "low":
        return 85
    if not width or not height:
        return 765
    w, h = float(width), float(height)
    s = min(1.0, 2048 / max(w, h))
    w, h = w * s, h * s
    s = min(1.0, 768 / min(w, h))
    w, h = w * s, h * s
    return 170 * math.ceil(w / 512) * math.ceil(h / 512) + 85


def _text_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4)) if text else 0


class _BadRequest(Exception):
    def __init__(
        self, message: str, param: str | None = None, code: str | None = None, status: int = 400
    ) -> None:
        super().__init__(message)
        self.message, self.param, self.code, self.status = message, param, code, status


class OpenAIEmulator(Emulator):
    """Loopback emulator of OpenAI's Chat Completions and Videos APIs (module docstring).

    Parameters (besides :class:`~videonb.testing.emulators.base.Emulator`'s):

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
        self.scheduler = JobScheduler(self.clock, None)
        self._videos_lock = threading.RLock()

    # ---- plumbing --------------------------------------------------------------------
    def setup_routes(self) -> None:
        self.route("POST", "/v1/chat/completions", self._chat)
        self.route("GET", "/v1/models", self._models)
        self.route("POST", "/v1/videos", self._video_create)
        self.route("GET", "/v1/videos", self._video_list)
        self.route("GET", r"/v1/videos/(?P<id>video_[A-Za-z0-9]+)", self._video_get)
        self.route("DELETE", r"/v1/videos/(?P<id>video_[A-Za-z0-9]+)", self._video_delete)
        self.route("GET", r"/v1/videos/(?P<id>video_[A-Za-z0-9]+)/content", self._video_content)
        self.route("POST", r"/v1/videos/(?P<id>video_[A-Za-z0-9]+)/remix", self._video_remix)

    def check_auth(self, req: Request) -> Response | None:
        key = req.bearer_token()
        if key is None:
            return self._error(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
                "username) if you're accessing the API from your browser and are prompted for a username and "
                "password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
                code=None,
            )
        if not self.key_ok(key):
            shown = (
                key[:3] + "*" * max(0, len(key) - 7) + key[-4:] if len(key) > 7 else "*" * len(key)
            )
            return self._error(
                401,
                f"Incorrect API key provided: {shown}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        if self.retired and req.path.startswith("/v1/videos"):
            return self._retired(req)
        return None

    def _retired(self, req: Request) -> Response:
        if req.method == "POST" and req.path == "/v1/videos":
            model = "sora-2"
            try:
                model = str(self._video_fields(req).get("model") or model)
            except _BadRequest:  # an unreadable body: name the default model
                pass
            return self._error(
                404,
                f"The model `{model}` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations",
                code="model_not_found",
            )
        return self._error(404, f"Invalid URL ({req.method} {req.path})", code=None)

    def _error(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        if type is None:
            type = {429: "requests", 500: "server_error", 503: "server_error"}.get(
                status, "invalid_request_error"
            )
        return Response.json(
            status,
            {"error": {"message": message, "type": type, "param": param, "code": code}},
            headers,
        )

    def error_response(
        self, status: int, kind: str, req: Request, message: str | None = None, **extra: Any
    ) -> Response:
        if status == 401:
            return self._error(
                401,
                message
                or "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        if status == 404:
            return self._error(404, message or f"Invalid URL ({req.method} {req.path})")
        if status == 405:
            return self._error(405, message or f"Invalid method for URL ({req.method} {req.path})")
        if status == 429:
            return self._error(
                429,
                message
                or "Rate limit reached for requests. Limit: 60, Used: 60, Requested: 1. Please try again in 1s. "
                "Visit https://platform.openai.com/account/rate-limits to learn more.",
                code="rate_limit_exceeded",
            )
        if status == 503:
            return self._error(
                503,
                message or "The engine is currently overloaded, please try again later.",
                code=None,
            )
        if status >= 500:
            return self._error(
                status,
                message
                or "The server had an error while processing your request. Sorry about that! You can retry your "
                "request, or contact us through our help center at help.openai.com if the error persists.",
            )
        return self._error(status, message or "Bad request.")

    def _bad(self, exc: _BadRequest) -> Response:
        return self._error(exc.status, exc.message, param=exc.param, code=exc.code)

    # ---- chat completions ------------------------------------------------------------
    def _models(self, req: Request) -> Response:
        ids = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-5.5"] + (
            [] if self.retired else ["sora-2", "sora-2-pro"]
        )
        return Response.json(
            200,
            {
                "object": "list",
                "data": [
                    {"id": i, "object": "model", "created": 1700000000, "owned_by": "system"}
                    for i in ids
                ],
            },
        )

    def _chat(self, req: Request) -> Response:
        try:
            body = req.json()
        except ValueError:
            return self._error(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
                "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.",
            )
        try:
            summary = self._check_chat(body)
        except _BadRequest as exc:
            return self._bad(exc)
        self.chat_requests.append(summary)

        n = int(body.get("n") or 1)
        moderation = self.take_fault({"moderation"}, req)
        malformed = self.take_fault({"malformed_json"}, req)
        contents: list[str | None] = []
        refusal = None
        if moderation is not None:
            refusal = moderation.options.get(
                "message", "I'm sorry, but I can't help with that request."
            )
            contents = [None] * n
        else:
            for _ in range(n):
                contents.append(self._answer(body, summary))
            if malformed is not None:
                contents = [_answers.break_json(c or "") for c in contents]
        completion_tokens = sum(_text_tokens(c or refusal or "") for c in contents)
        usage = {
            "prompt_tokens": summary["prompt_tokens"],
            "completion_tokens": completion_tokens,
            "total_tokens": summary["prompt_tokens"] + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }
        cid = "chatcmpl-" + secrets.token_hex(12)
        created = int(self.clock.now())
        model = body["model"]
        if body.get("stream"):
            return self._chat_stream(cid, created, model, contents, refusal, usage, body)
        choices = [
            {
                "index": i,
                "message": {
                    "role": "assistant",
                    "content": c,
                    "refusal": refusal,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
            for i, c in enumerate(contents)
        ]
        return Response.json(
            200,
            {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": choices,
                "usage": usage,
                "service_tier": "default",
                "system_fingerprint": "fp_videonb_emulator",
            },
        )

    def _chat_stream(self, cid, created, model, contents, refusal, usage, body) -> Response:
        def chunk(choices, use=None):
            obj = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_videonb_emulator",
                "choices": choices,
            }
            if use is not None or (body.get("stream_options") or {}).get("include_usage"):
                obj["usage"] = use
            return "data: " + json.dumps(obj, separators=(",", ":")) + "\n\n"

        events = []
        for i, c in enumerate(contents):
            delta: dict[str, Any] = {"role": "assistant", "content": "" if c is not None else None}
            if refusal is not None:
                delta["refusal"] = ""
            events.append(
                chunk([{"index": i, "delta": delta, "logprobs": None, "finish_reason": None}])
            )
            text = c if c is not None else refusal or ""
            key = "content" if c is not None else "refusal"
            for start in range(0, len(text), 40):
                events.append(
                    chunk(
                        [
                            {
                                "index": i,
                                "delta": {key: text[start : start + 40]},
                                "logprobs": None,
                                "finish_reason": None,
                            }
                        ]
                    )
                )
            events.append(
                chunk([{"index": i, "delta": {}, "logprobs": None, "finish_reason": "stop"}])
            )
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append(chunk([], usage))
        events.append("data: [DONE]\n\n")
        return Response(
            200,
            "".join(events).encode(),
            {"Cache-Control": "no-cache"},
            "text/event-stream; charset=utf-8",
        )

    def _check_chat(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _BadRequest(
                "Invalid type for request body: expected an object.", None, "invalid_type"
            )
        model = body.get("model")
        if not model or not isinstance(model, str):
            raise _BadRequest("you must provide a model parameter", None, None)
        messages = body.get("messages")
        if messages is None:
            raise _BadRequest(
                "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"
            )
        if not isinstance(messages, list) or not messages:
            raise _BadRequest(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
                "messages",
                "empty_array",
            )
        n = body.get("n", 1)
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 128):
            raise _BadRequest(
                "Invalid 'n': integer between 1 and 128 expected.", "n", "invalid_value"
            )
        images: list[dict[str, Any]] = []
        texts: list[str] = []
        user_texts: list[str] = []
        prompt_tokens = 0
        for mi, msg in enumerate(messages):
            if not isinstance(msg, dict) or "role" not in msg:
                raise _BadRequest(
                    f"Missing required parameter: 'messages[{mi}].role'.",
                    f"messages[{mi}].role",
                    "missing_required_parameter",
                )
            role = msg["role"]
            if role not in ("system", "developer", "user", "assistant", "tool", "function"):
                raise _BadRequest(
                    f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
                    f"messages[{mi}].role",
                    "invalid_value",
                )
            prompt_tokens += 3
            content = msg.get("content")
            parts = (
                [{"type": "text", "text": content}] if isinstance(content, str) else (content or [])
            )
            if not isinstance(parts, list):
                raise _BadRequest(
                    f"Invalid type for 'messages[{mi}].content'.",
                    f"messages[{mi}].content",
                    "invalid_type",
                )
            for pi, part in enumerate(parts):
                where = f"messages[{mi}].content[{pi}]"
                ptype = part.get("type") if isinstance(part, dict) else None
                if ptype == "text":
                    text = str(part.get("text", ""))
                    texts.append(text)
                    if role == "user":
                        user_texts.append(text)
                    prompt_tokens += _text_tokens(text)
                elif ptype == "image_url":
                    if role not in ("user",):
                        raise _BadRequest(
                            f"Invalid '{where}.type': image content is only supported for messages with role 'user'.",
                            f"{where}.type",
                            "invalid_value",
                        )
                    info = self._check_image(part.get("image_url"), where)
                    images.append(info)
                    prompt_tokens += info["tokens"]
                elif ptype in ("input_audio", "file", "refusal"):
                    continue
                else:
                    raise _BadRequest(
                        f"Invalid value: '{ptype}'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', and 'file'.",
                        f"{where}.type",
                        "invalid_value",
                    )
        if len(images) > self.max_images:
            raise _BadRequest(
                f"Too many images in request. Max is {self.max_images}.",
                "messages",
                "too_many_images",
            )
        fmt_type, schema = self._check_format(body.get("response_format"), texts)
        return {
            "model": model,
            "messages": len(messages),
            "images": len(images),
            "details": [i["detail"] for i in images],
            "image_sizes": [(i["width"], i["height"]) for i in images],
            "response_format": fmt_type,
            "schema": schema,
            "question": user_texts[-1] if user_texts else (texts[-1] if texts else ""),
            "prompt_tokens": prompt_tokens,
        }

    def _check_image(self, image_url: Any, where: str) -> dict[str, Any]:
        if isinstance(image_url, str):  # lenient, as the API is
            image_url = {"url": image_url}
        if not isinstance(image_url, dict) or not isinstance(image_url.get("url"), str):
            raise _BadRequest(
                f"Missing required parameter: '{where}.image_url.url'.",
                f"{where}.image_url.url",
                "missing_required_parameter",
            )
        url = image_url["url"]
        detail = image_url.get("detail", "auto")
        if detail not in DETAILS:
            raise _BadRequest(
                f"Invalid value: '{detail}'. Supported values are: {_listing(DETAILS)}.",
                f"{where}.image_url.detail",
                "invalid_value",
            )
        width = height = None
        if url.startswith("data:"):
            unsupported = _BadRequest(
                "You uploaded an unsupported image. Please make sure your image has of one the following formats: "
                "['png', 'jpeg', 'gif', 'webp'].",
                None,
                "invalid_image_format",
            )
            try:
                mime, data = _media.parse_data_uri(url)
            except _media.DataURIError:
                raise _BadRequest(
                    "Invalid base64 image_url.", f"{where}.image_url.url", "invalid_image_url"
                ) from None
            info = _media.image_info(data)
            if mime not in _IMAGE_MIMES or info is None:
                raise unsupported
            _, width, height = info
        elif not url.startswith(("https://", "http://")):
            raise _BadRequest(
                f"Invalid '{where}.image_url.url'. Expected a base64-encoded data URL with an image MIME type "
                "(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got an unsupported value.",
                f"{where}.image_url.url",
                "invalid_value",
            )
        return {
            "detail": detail,
            "width": width,
            "height": height,
            "tokens": image_tokens(width, height, detail),
        }

    def _check_format(self, fmt: Any, texts: list[str]) -> tuple[str, Any]:
        if fmt is None:
            return "text", None
        if not isinstance(fmt, dict) or "type" not in fmt:
            raise _BadRequest(
                "Missing required parameter: 'response_format.type'.",
                "response_format.type",
                "missing_required_parameter",
            )
        t = fmt["type"]
        if t == "text":
            return "text", None
        if t == "json_object":
            if not any("json" in s.lower() for s in texts):
                raise _BadRequest(
                    "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
                    "messages",
                    None,
                )
            return "json_object", None
        if t == "json_schema":
            js = fmt.get("json_schema")
            if not isinstance(js, dict):
                raise _BadRequest(
                    "Missing required parameter: 'response_format.json_schema'.",
                    "response_format.json_schema",
                    "missing_required_parameter",
                )
            name = js.get("name")
            if not isinstance(name, str):
                raise _BadRequest(
                    "Missing required parameter: 'response_format.json_schema.name'.",
                    "response_format.json_schema.name",
                    "missing_required_parameter",
                )
            if not _SCHEMA_NAME.match(name):
                raise _BadRequest(
                    "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string "
                    "that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                    "response_format.json_schema.name",
                    "invalid_value",
                )
            schema = js.get("schema")
            if js.get("strict") and isinstance(schema, dict):
                self._check_strict(schema, schema, "response_format.json_schema.schema")
            return "json_schema", schema or {"type": "object"}
        raise _BadRequest(
            f"Invalid value: '{t}'. Supported values are: 'text', 'json_object', and 'json_schema'.",
            "response_format.type",
            "invalid_value",
        )

    def _check_strict(self, node: Any, root: dict[str, Any], where: str) -> None:
        """Strict structured outputs: every object lists all its properties in
        ``required`` and sets ``additionalProperties: false``."""
        if not isinstance(node, dict):
            return
        if node.get("type") == "object" or "properties" in node:
            props = node.get("properties") or {}
            if node.get("additionalProperties", True) is not False:
                raise _BadRequest(
                    "Invalid schema for response_format 'json_schema': In context=(), 'additionalProperties' is "
                    "required to be supplied and to be false.",
                    "response_format",
                    "invalid_json_schema",
                )
            missing = [k for k in props if k not in (node.get("required") or [])]
            if missing:
                raise _BadRequest(
                    "Invalid schema for response_format 'json_schema': In context=(), 'required' is required to be "
                    f"supplied and to be an array including every key in properties. Missing '{missing[0]}'.",
                    "response_format",
                    "invalid_json_schema",
                )
        for key in ("properties", "$defs", "definitions"):
            for sub in (node.get(key) or {}).values():
                self._check_strict(sub, root, where)
        for key in ("items",):
            if isinstance(node.get(key), dict):
                self._check_strict(node[key], root, where)
        for key in ("anyOf", "allOf"):
            for sub in node.get(key) or []:
                self._check_strict(sub, root, where)

    def _answer(self, body: dict[str, Any], summary: dict[str, Any]) -> str:
        if self.responder is not None:
            out = self.responder(body)
            return out if isinstance(out, str) else json.dumps(out)
        ctx = _answers.AnswerContext(
            question=summary["question"], images=summary["images"], model=summary["model"]
        )
        return _answers.answer_text(
            summary["schema"], summary["response_format"] == "json_object", ctx
        )

    # ---- videos ------------------------------------------------------------------------
    def _video_headers(self) -> dict[str, str]:
        return {"openai-poll-after-ms": str(self.poll_after_ms)}

    def _video_fields(self, req: Request) -> dict[str, Any]:
        if req.content_type == "multipart/form-data":
            try:
                return _multipart.to_fields(
                    _multipart.parse(req.body, req.header("content-type") or "")
                )
            except _multipart.MultipartError as exc:
                raise _BadRequest(f"Could not parse multipart form: {exc}.", None, None) from None
        if req.content_type in ("application/x-www-form-urlencoded",):
            from urllib.parse import parse_qsl

            return dict(parse_qsl(req.body.decode("utf-8", "replace")))
        try:
            body = req.json()
        except ValueError:
            raise _BadRequest(
                "We could not parse the JSON body of your request.", None, None
            ) from None
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise _BadRequest(
                "Invalid type for request body: expected an object.", None, "invalid_type"
            )
        return body

    def _video_create(self, req: Request) -> Response:
        try:
            fields = self._video_fields(req)
            params = self._check_video(fields)
        except _BadRequest as exc:
            return self._bad(exc)
        job = self._new_video(req, params)
        return Response.json(200, self._video_json(job), self._video_headers())

    def _check_video(self, f: dict[str, Any]) -> dict[str, Any]:
        prompt = f.get("prompt")
        if prompt is None or prompt == "":
            raise _BadRequest(
                "Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter"
            )
        if not isinstance(prompt, str):
            raise _BadRequest(
                "Invalid type for 'prompt': expected a string.", "prompt", "invalid_type"
            )
        if len(prompt) > 32000:
            raise _BadRequest(
                f"Invalid 'prompt': string too long. Expected a string with maximum length 32000, but got a string "
                f"with length {len(prompt)} instead.",
                "prompt",
                "string_above_max_length",
            )
        model = str(f.get("model") or "sora-2")
        if model not in SORA_MODELS:
            raise _BadRequest(
                f"Invalid value: '{model}'. Supported values are: 'sora-2' and 'sora-2-pro'.",
                "model",
                "invalid_value",
            )
        seconds = f.get("seconds", "4")
        seconds = str(seconds) if not isinstance(seconds, bool) else seconds
        if seconds not in SECONDS:
            raise _BadRequest(
                f"Invalid value: '{seconds}'. Supported values are: {_listing(SECONDS)}.",
                "seconds",
                "invalid_value",
            )
        size = str(f.get("size") or "720x1280")
        if size not in SIZES_PRO:
            raise _BadRequest(
                f"Invalid value: '{size}'. Supported values are: {_listing(SIZES_PRO)}.",
                "size",
                "invalid_value",
            )
        if "pro" not in model and size not in SIZES_STANDARD:
            raise _BadRequest(
                f"The size '{size}' is not supported by model '{model}'. Supported sizes: {_listing(SIZES_STANDARD)}.",
                "size",
                "invalid_value",
            )
        ref = f.get("input_reference")
        if ref is not None:
            self._check_reference(ref, size)
        return {"prompt": prompt, "model": model, "seconds": seconds, "size": size}

    def _check_reference(self, ref: Any, size: str) -> None:
        data: bytes | None = None
        if isinstance(ref, _multipart.Part):
            data = ref.data
        elif isinstance(ref, dict):
            keys = [k for k in ("image_url", "file_id") if ref.get(k)]
            if len(keys) != 1:
                raise _BadRequest(
                    "Invalid 'input_reference': provide exactly one of 'image_url' or 'file_id'.",
                    "input_reference",
                    "invalid_value",
                )
            if keys[0] == "image_url":
                url = ref["image_url"]
                if len(url) > 20_971_520:
                    raise _BadRequest(
                        "Invalid 'input_reference.image_url': string too long.",
                        "input_reference.image_url",
                        "string_above_max_length",
                    )
                if url.startswith("data:"):
                    try:
                        _, data = _media.parse_data_uri(url)
                    except _media.DataURIError:
                        raise _BadRequest(
                            "Invalid base64 image_url.",
                            "input_reference.image_url",
                            "invalid_image_url",
                        ) from None
        elif isinstance(ref, str) and ref.startswith("data:"):
            try:
                _, data = _media.parse_data_uri(ref)
            except _media.DataURIError:
                raise _BadRequest(
                    "Invalid base64 image_url.", "input_reference", "invalid_image_url"
                ) from None
        else:
            raise _BadRequest(
                "Invalid 'input_reference': expected a file or an object.",
                "input_reference",
                "invalid_type",
            )
        if data is None:
            return
        info = _media.image_info(data)
        if info is None or info[0] not in ("image/png", "image/jpeg", "image/webp"):
            raise _BadRequest(
                "Invalid file format. Supported formats are: 'image/jpeg', 'image/png', and 'image/webp'.",
                "input_reference",
                "unsupported_file",
            )
        w, h = (int(x) for x in size.split("x"))
        if (info[1], info[2]) != (w, h):
            raise _BadRequest("Inpaint image must match the requested width and height", None, None)

    def _new_video(
        self, req: Request, params: dict[str, Any], remixed_from: str | None = None
    ) -> Job:
        fault = self.take_fault(
            lambda k: k in ("moderation", "job_failure") or k in VIDEO_FAILURES, req
        )
        failure = None
        early = False
        if fault is not None:
            code = {
                "moderation": "moderation_blocked",
                "job_failure": fault.options.get("code") or "video_generation_failed",
            }.get(fault.kind, fault.kind)
            message = fault.options.get("message") or VIDEO_FAILURES.get(
                code, "Video generation failed."
            )
            failure = (code, message)
            early = code == "moderation_blocked"
        js = self.job_seconds
        job = Job(
            id="video_" + uuid.uuid4().hex + secrets.token_hex(4),
            created=self.clock.now(),
            pending_seconds=js * 0.2,
            run_seconds=js * 0.8,
            failure=failure,
            fail_early=early,
            data={**params, "remixed_from_video_id": remixed_from},
        )
        self.scheduler.add(job)
        return job

    def _video_json(self, job: Job) -> dict[str, Any]:
        state, progress, _ = self.scheduler.view(job)
        status = {
            "pending": "queued",
            "throttled": "queued",
            "running": "in_progress",
            "succeeded": "completed",
            "failed": "failed",
            "cancelled": "failed",
        }[state]
        completed_at = (
            int(job.ended) if state in ("succeeded", "failed") and job.ended is not None else None
        )
        d = job.data
        return {
            "id": job.id,
            "object": "video",
            "model": d["model"],
            "status": status,
            "progress": 100
            if status == "completed"
            else int(progress * 100)
            if status == "in_progress"
            else 0,
            "created_at": int(job.created),
            "completed_at": completed_at,
            "expires_at": int(job.ended + self.output_ttl)
            if state == "succeeded" and job.ended is not None
            else None,
            "prompt": d["prompt"],
            "size": d["size"],
            "seconds": d["seconds"],
            "remixed_from_video_id": d.get("remixed_from_video_id"),
            "error": {"code": job.failure[0], "message": job.failure[1]}
            if state == "failed" and job.failure
            else None,
        }

    def _find(self, req: Request) -> Job:
        vid = req.match["id"]  # type: ignore[index]
        job = self.scheduler.get(vid)
        if job is None or job.data.get("deleted"):
            raise _BadRequest(
                f"Video with id '{vid}' not found.", None, "video_not_found", status=404
            )
        return job

    def _video_get(self, req: Request) -> Response:
        try:
            job = self._find(req)
        except _BadRequest as exc:
            return self._bad(exc)
        return Response.json(200, self._video_json(job), self._video_headers())

    def _video_list(self, req: Request) -> Response:
        try:
            limit = int(req.param("limit") or 20)
        except ValueError:
            return self._error(
                400, "Invalid 'limit': expected an integer.", param="limit", code="invalid_type"
            )
        if not 0 <= limit <= 100:
            return self._error(
                400,
                "Invalid 'limit': integer between 0 and 100 expected.",
                param="limit",
                code="invalid_value",
            )
        order = req.param("order") or "desc"
        if order not in ("asc", "desc"):
            return self._error(
                400,
                f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.",
                param="order",
                code="invalid_value",
            )
        jobs = [j for j in self.scheduler.all() if not j.data.get("deleted")]
        if order == "desc":
            jobs.reverse()
        after = req.param("after")
        if after:
            ids = [j.id for j in jobs]
            if after in ids:
                jobs = jobs[ids.index(after) + 1 :]
            else:
                jobs = []
        page = jobs[:limit]
        data = [self._video_json(j) for j in page]
        return Response.json(
            200,
            {
                "object": "list",
                "data": data,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
                "has_more": len(jobs) > limit,
            },
        )

    def _video_delete(self, req: Request) -> Response:
        try:
            job = self._find(req)
        except _BadRequest as exc:
            return self._bad(exc)
        if self.scheduler.state(job) in ("pending", "throttled", "running"):
            self.scheduler.cancel(job)
        job.data["deleted"] = True
        return Response.json(200, {"id": job.id, "object": "video.deleted", "deleted": True})

    def _video_content(self, req: Request) -> Response:
        try:
            job = self._find(req)
        except _BadRequest as exc:
            return self._bad(exc)
        variant = req.param("variant") or "video"
        if variant not in ("video", "thumbnail", "spritesheet"):
            return self._error(
                400,
                f"Invalid value: '{variant}'. Supported values are: 'video', 'thumbnail', and 'spritesheet'.",
                param="variant",
                code="invalid_value",
            )
        state, _, now = self.scheduler.view(job)
        if state != "succeeded":
            status = self._video_json(job)["status"]
            return self._error(
                400 if state != "failed" else 404,
                f"Video '{job.id}' is not ready for download: its status is '{status}'.",
                code="video_not_ready" if state != "failed" else "video_not_found",
            )
        expired = job.ended is not None and now > job.ended + self.output_ttl
        if self.take_fault({"expired_output"}, req) is not None or expired:
            return self._error(
                410,
                f"The content of video '{job.id}' has expired and is no longer available.",
                code="video_expired",
            )
        w, h = (int(x) for x in job.data["size"].split("x"))
        if variant == "video":
            return media_response(req, _media.synthetic_mp4(w, h, self.video_seconds), "video/mp4")
        if variant == "thumbnail":
            return media_response(req, _media.thumbnail_webp(w, h), "image/webp")
        return media_response(req, _media.spritesheet_jpeg(w, h), "image/jpeg")

    def _video_remix(self, req: Request) -> Response:
        try:
            source = self._find(req)
            fields = self._video_fields(req)
            prompt = fields.get("prompt")
            if not prompt:
                raise _BadRequest(
                    "Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter"
                )
            if not isinstance(prompt, str) or len(prompt) > 32000:
                raise _BadRequest(
                    "Invalid 'prompt': expected a string of at most 32000 characters.",
                    "prompt",
                    "invalid_value",
                )
            if self.scheduler.state(source) != "succeeded":
                raise _BadRequest(
                    f"Video '{source.id}' must be completed before it can be remixed.",
                    None,
                    "invalid_value",
                )
        except _BadRequest as exc:
            return self._bad(exc)
        params = {k: source.data[k] for k in ("model", "seconds", "size")}
        params["prompt"] = prompt
        job = self._new_video(req, params, remixed_from=source.id)
        return Response.json(200, self._video_json(job), self._video_headers())
