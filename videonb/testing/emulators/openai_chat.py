"""OpenAI Chat Completions on the emulator kit: ``POST /v1/chat/completions`` with text
and ``image_url`` parts (video frames), ``response_format`` (``text``, ``json_object``,
``json_schema`` with strict-mode checks), ``n`` and ``stream`` (SSE); completions made
with ``store: true`` can be listed, retrieved, updated (metadata), deleted and their
messages listed (openai 3.57 ``chat.completions.retrieve/update/list/delete`` and
``chat.completions.messages.list``).  A mixin of
:class:`~videonb.testing.emulators.openai.OpenAIEmulator`, which holds the routes,
auth and error bodies."""

from __future__ import annotations

import functools
import re
import secrets
from typing import Any

from . import _answers, _media
from .kit.dialects import openai_check, openai_page
from .kit.emulator import Emulator
from .kit.http import Invalid, Request, Response, sse_response
from .openai_models import ImageRule, ModelSpec, image_tokens

__all__ = ["DETAILS", "ChatCompletions"]

#: ``detail`` values openai 3.57 types (chat ``image_url`` and Responses ``ImageDetail``).
DETAILS = ("auto", "low", "high", "original")
ROLES = ("system", "assistant", "user", "function", "tool", "developer")
PART_TYPES = ("text", "image_url", "input_audio", "refusal", "file")
_SCHEMA_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}\Z")
_IMAGE_MIMES = ("image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp")
_UNSUPPORTED_IMAGE = (
    "You uploaded an unsupported image. Please make sure your image has of one the following "
    "formats: ['png', 'jpeg', 'gif', 'webp']."
)
_STRICT = "Invalid schema for response_format 'json_schema': In context=(), "


class ChatCompletions(Emulator):
    """The handler of the chat completions route (the OpenAI emulator registers it)."""

    responder: Any
    max_images: int
    chat_requests: list[dict[str, Any]]

    def text_model(self, model: Any, endpoint: str) -> ModelSpec:
        raise NotImplementedError

    def _chat(self, req: Request) -> Response:
        try:
            body = req.json()
        except ValueError:
            raise Invalid(
                "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                "payload, but what was sent was not valid JSON."
            ) from None
        summary = self._check_chat(body)
        self.chat_requests.append(summary)
        n = int(body.get("n") or 1)
        moderation = self.take_fault({"moderation"}, req)
        malformed = self.take_fault({"malformed_json"}, req)
        refusal = None
        if moderation is not None:
            refusal = moderation.options.get(
                "message", "I'm sorry, but I can't help with that request."
            )
            contents: list[str | None] = [None] * n
        else:
            default = functools.partial(self._default_answer, summary)
            contents = [_answers.respond(self.responder, body, default) for _ in range(n)]
            if malformed is not None:
                contents = [_answers.break_json(c or "") for c in contents]
        completion = sum(_answers.text_tokens(c or refusal or "") for c in contents)
        usage = {
            "prompt_tokens": summary["prompt_tokens"],
            "completion_tokens": completion,
            "total_tokens": summary["prompt_tokens"] + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0},
        }
        head = {"id": "chatcmpl-" + secrets.token_hex(12), "created": int(self.clock.now()),
                "model": body["model"]}
        choices = [
            {"index": i, "logprobs": None, "finish_reason": "stop",
             "message": {"role": "assistant", "content": c, "refusal": refusal, "annotations": []}}
            for i, c in enumerate(contents)
        ]
        completion = {**head, "object": "chat.completion", "choices": choices, "usage": usage,
                      "service_tier": "default", "system_fingerprint": "fp_videonb_emulator"}
        if body.get("store"):
            self.stored_completions[head["id"]] = {
                "completion": {**completion, "metadata": body.get("metadata") or {}},
                "messages": [{"id": f"{head['id']}-{i}", **m}
                             for i, m in enumerate(body["messages"]) if isinstance(m, dict)]}
        if body.get("stream"):
            return self._chat_stream(head, contents, refusal, usage, body)
        return Response.json(200, completion)

    # ---- stored completions ----------------------------------------------------------------
    @property
    def stored_completions(self) -> dict[str, dict[str, Any]]:
        """Completions made with ``store: true``, by id."""
        if not hasattr(self, "_stored_chats"):
            self._stored_chats: dict[str, dict[str, Any]] = {}
        return self._stored_chats

    def _stored_entry(self, req: Request) -> dict[str, Any]:
        cid = req.match["id"]  # type: ignore[index]
        entry = self.stored_completions.get(cid)
        if entry is None:
            raise Invalid(f"Completion with id '{cid}' not found. Only completions created with "
                          "store=true can be retrieved.", status=404, param="completion_id")
        return entry

    def _chat_list(self, req: Request) -> Response:
        model = req.param("model")
        items = [e["completion"] for e in self.stored_completions.values()
                 if model in (None, e["completion"]["model"])]
        return openai_page(req, items, order="asc")

    def _chat_get(self, req: Request) -> Response:
        return Response.json(200, self._stored_entry(req)["completion"])

    def _chat_update(self, req: Request) -> Response:
        entry = self._stored_entry(req)
        try:
            body = req.json() or {}
        except ValueError:
            raise Invalid("We could not parse the JSON body of your request.") from None
        openai_check(body.get("metadata") if isinstance(body, dict) else None, "metadata",
                     required=True, type="object")
        entry["completion"]["metadata"] = body["metadata"]
        return Response.json(200, entry["completion"])

    def _chat_delete(self, req: Request) -> Response:
        entry = self._stored_entry(req)
        cid = entry["completion"]["id"]
        self.stored_completions.pop(cid, None)
        return Response.json(200, {"id": cid, "object": "chat.completion.deleted",
                                   "deleted": True})

    def _chat_messages(self, req: Request) -> Response:
        return openai_page(req, self._stored_entry(req)["messages"], order="asc")

    def _chat_stream(self, head, contents, refusal, usage, body) -> Response:
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def chunk(index: int | None, delta: dict[str, Any] | None = None, finish=None, use=None):
            obj = {**head, "object": "chat.completion.chunk",
                   "system_fingerprint": "fp_videonb_emulator",
                   "choices": [] if index is None else [
                       {"index": index, "delta": delta or {}, "logprobs": None,
                        "finish_reason": finish}]}
            if use is not None or with_usage:
                obj["usage"] = use
            return obj

        events = []
        for i, c in enumerate(contents):
            first: dict[str, Any] = {"role": "assistant", "content": "" if c is not None else None}
            if refusal is not None:
                first["refusal"] = ""
            events.append(chunk(i, first))
            text, key = (c, "content") if c is not None else (refusal or "", "refusal")
            events += [chunk(i, {key: text[s : s + 40]}) for s in range(0, len(text), 40)]
            events.append(chunk(i, finish="stop"))
        if with_usage:
            events.append(chunk(None, use=usage))
        return sse_response(events, done="[DONE]", headers={"Cache-Control": "no-cache"},
                            content_type="text/event-stream; charset=utf-8")

    def _check_chat(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Invalid("Invalid type for request body: expected an object.", code="invalid_type")
        model = body.get("model")
        if not model or not isinstance(model, str):
            raise Invalid("you must provide a model parameter")
        rule = self.text_model(model, "chat").image
        messages = body.get("messages")
        openai_check(messages, "messages", required=True)
        if not isinstance(messages, list) or not messages:
            raise Invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, "
                          "but got an empty array instead.", param="messages", code="empty_array")
        n = body.get("n", 1)
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 128):
            raise Invalid("Invalid 'n': integer between 1 and 128 expected.", param="n",
                          code="invalid_value")
        images: list[dict[str, Any]] = []
        texts: list[str] = []
        user_texts: list[str] = []
        prompt_tokens = 0
        for mi, msg in enumerate(messages):
            openai_check(msg.get("role") if isinstance(msg, dict) else None,
                         f"messages[{mi}].role", required=True, choices=ROLES)
            role = msg["role"]
            prompt_tokens += 3
            content = msg.get("content")
            parts = [{"type": "text", "text": content}] if isinstance(content, str) else (content or [])
            if not isinstance(parts, list):
                raise Invalid(f"Invalid type for 'messages[{mi}].content'.",
                              param=f"messages[{mi}].content", code="invalid_type")
            for pi, part in enumerate(parts):
                where = f"messages[{mi}].content[{pi}]"
                ptype = part.get("type") if isinstance(part, dict) else None
                openai_check(str(ptype), f"{where}.type", choices=PART_TYPES)
                if ptype == "text":
                    text = str(part.get("text", ""))
                    texts.append(text)
                    if role == "user":
                        user_texts.append(text)
                    prompt_tokens += _answers.text_tokens(text)
                elif ptype == "image_url":
                    if role != "user":
                        raise Invalid(f"Invalid '{where}.type': image content is only supported "
                                      "for messages with role 'user'.", param=f"{where}.type",
                                      code="invalid_value")
                    info = self.check_image(part.get("image_url"), where, model, rule)
                    images.append(info)
                    prompt_tokens += info["tokens"]
        if len(images) > self.max_images:
            raise Invalid(f"Too many images in request. Max is {self.max_images}.",
                          param="messages", code="too_many_images")
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

    def check_image(self, image_url: Any, where: str, model: str, rule: ImageRule | None,
                    *, field: str = "image_url.url", detail_field: str = "image_url.detail",
                    ) -> dict[str, Any]:
        """One image input (a chat ``image_url`` part, or a Responses ``input_image`` with
        ``field="image_url"``): its detail, size and tokens under the model's rule."""
        if isinstance(image_url, str):  # lenient, as the API is
            image_url = {"url": image_url}
        url = image_url.get("url") if isinstance(image_url, dict) else None
        openai_check(url, f"{where}.{field}", required=True, type="string")
        detail = image_url.get("detail", "auto")
        openai_check(detail, f"{where}.{detail_field}", choices=DETAILS)
        if rule is None:
            raise Invalid(f"Invalid content type. image_url is only supported by certain "
                          f"models; '{model}' does not take image input.",
                          param=f"{where}.type", code="invalid_value")
        width = height = None
        if url.startswith("data:"):
            try:
                mime, data = _media.parse_data_uri(url)
            except _media.DataURIError:
                raise Invalid("Invalid base64 image_url.", param=f"{where}.{field}",
                              code="invalid_image_url") from None
            info = _media.image_info(data)
            if mime not in _IMAGE_MIMES or info is None:
                raise Invalid(_UNSUPPORTED_IMAGE, code="invalid_image_format")
            _, width, height = info
        elif not url.startswith(("https://", "http://")):
            raise Invalid(f"Invalid '{where}.{field}'. Expected a base64-encoded data URL with "
                          "an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), "
                          "but got an unsupported value.", param=f"{where}.{field}",
                          code="invalid_value")
        tokens = image_tokens(width, height, detail, rule)
        return {"detail": detail, "width": width, "height": height, "tokens": tokens}

    def _check_format(self, fmt: Any, texts: list[str]) -> tuple[str, Any]:
        if fmt is None:
            return "text", None
        t = fmt.get("type") if isinstance(fmt, dict) else None
        openai_check(t, "response_format.type", required=True,
                     choices=("text", "json_object", "json_schema"))
        if t == "text":
            return "text", None
        if t == "json_object":
            if not any("json" in s.lower() for s in texts):
                raise Invalid("'messages' must contain the word 'json' in some form, to use "
                              "'response_format' of type 'json_object'.", param="messages")
            return "json_object", None
        js = fmt.get("json_schema")
        openai_check(js, "response_format.json_schema", required=True, type="object")
        name = js.get("name")
        openai_check(name, "response_format.json_schema.name", required=True, type="string")
        if not _SCHEMA_NAME.match(name):
            raise Invalid("Invalid 'response_format.json_schema.name': string does not match "
                          "pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                          param="response_format.json_schema.name", code="invalid_value")
        schema = js.get("schema")
        if js.get("strict") and isinstance(schema, dict):
            self._check_strict(schema)
        return "json_schema", schema or {"type": "object"}

    def _check_strict(self, node: Any) -> None:
        """Strict structured outputs: every object lists all its properties in
        ``required`` and sets ``additionalProperties: false``."""
        if not isinstance(node, dict):
            return
        if node.get("type") == "object" or "properties" in node:
            props = node.get("properties") or {}
            if node.get("additionalProperties", True) is not False:
                raise Invalid(_STRICT + "'additionalProperties' is required to be supplied and "
                              "to be false.", param="response_format", code="invalid_json_schema")
            missing = [k for k in props if k not in (node.get("required") or [])]
            if missing:
                raise Invalid(_STRICT + "'required' is required to be supplied and to be an array "
                              f"including every key in properties. Missing '{missing[0]}'.",
                              param="response_format", code="invalid_json_schema")
        subs = [*(node.get("properties") or {}).values(), *(node.get("$defs") or {}).values(),
                *(node.get("definitions") or {}).values(), *(node.get("anyOf") or []),
                *(node.get("allOf") or []), node.get("items")]
        for sub in subs:
            self._check_strict(sub)

    def _default_answer(self, summary: dict[str, Any]) -> str:
        ctx = _answers.AnswerContext(
            question=summary["question"], images=summary["images"], model=summary["model"]
        )
        json_mode = summary["response_format"] == "json_object"
        return _answers.answer_text(summary["schema"], json_mode, ctx)
