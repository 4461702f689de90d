"""The OpenAI Responses API on the emulator kit, for frames as images: ``POST /v1/responses``
(``input`` as a string or items whose content holds ``input_text`` and ``input_image`` parts,
an image by ``image_url`` or by the ``file_id`` of a ``vision`` file, ``detail``
``low | high | auto | original``; ``instructions``; ``text.format`` ``text |
json_object | json_schema``; ``stream``; ``store``; ``background``), ``GET`` / ``DELETE``
``/v1/responses/{id}``, ``POST /v1/responses/{id}/cancel``, ``GET
/v1/responses/{id}/input_items`` and ``POST /v1/responses/input_tokens``.

Shapes follow openai 3.57's ``types/responses`` (``Response``, ``ResponseOutputMessage``,
``ResponseUsage``, the stream events ``response.created`` … ``response.completed`` with
``sequence_number``); image tokens use the model's rule (:mod:`.openai_models`).  A mixin
of :class:`~videonb.testing.emulators.openai.OpenAIEmulator`."""

from __future__ import annotations

import base64
import functools
import re
import secrets
import threading
from collections.abc import Callable
from typing import Any

from . import _answers
from .kit.dialects import openai_check, openai_page
from .kit.emulator import Emulator
from .kit.http import Invalid, Request, Response, sse_response
from .openai_models import ImageRule, ModelSpec

__all__ = ["ResponsesAPI"]

_ROLES = ("user", "assistant", "system", "developer")
_PART_TYPES = ("input_text", "input_image", "input_file", "input_audio", "output_text", "refusal")
_SCHEMA_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}\Z")


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(24)


class ResponsesAPI(Emulator):
    """The handlers of the ``/v1/responses`` routes (the OpenAI emulator registers them)."""

    responder: Any
    max_images: int
    vision_file: Callable[[Any, str], bytes]  # FilesAPI's

    def text_model(self, model: Any, endpoint: str) -> ModelSpec:
        raise NotImplementedError

    def check_image(self, image_url: Any, where: str, model: str, rule: ImageRule | None,
                    **kw: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _check_strict(self, node: Any) -> None:
        raise NotImplementedError

    def _init_responses(self) -> None:
        self.responses: dict[str, dict[str, Any]] = {}
        #: One summary per Responses request answered (images, details, tokens, format).
        self.response_requests: list[dict[str, Any]] = []
        self._responses_lock = threading.Lock()

    # ---- request checks ----------------------------------------------------------------
    def _input_items(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        value = body.get("input")
        if isinstance(value, str):
            return [{"role": "user", "content": [{"type": "input_text", "text": value}]}]
        if value is None:
            return []
        if not isinstance(value, list):
            raise Invalid("Invalid type for 'input': expected one of a string or array of input "
                          "items.", param="input", code="invalid_type")
        return value

    def _tally(self, body: dict[str, Any], model: str, rule: ImageRule | None) -> dict[str, Any]:
        """Check the input items; count their tokens; keep what a responder may want."""
        tokens, texts, images = 0, [], []
        instructions = body.get("instructions")
        openai_check(instructions, "instructions", type="string")
        if instructions:
            tokens += _answers.text_tokens(instructions)
        for ii, item in enumerate(self._input_items(body)):
            where = f"input[{ii}]"
            if not isinstance(item, dict):
                raise Invalid(f"Invalid type for '{where}': expected an object.", param=where,
                              code="invalid_type")
            if item.get("type", "message") != "message":
                continue  # tool outputs, reasoning items: not counted by the emulator
            openai_check(item.get("role"), f"{where}.role", required=True, choices=_ROLES)
            tokens += 3
            content = item.get("content")
            parts = [{"type": "input_text", "text": content}] if isinstance(content, str) \
                else content
            if not isinstance(parts, list):
                raise Invalid(f"Invalid type for '{where}.content'.", param=f"{where}.content",
                              code="invalid_type")
            for pi, part in enumerate(parts):
                at = f"{where}.content[{pi}]"
                ptype = part.get("type") if isinstance(part, dict) else None
                openai_check(ptype, f"{at}.type", required=True, choices=_PART_TYPES)
                if ptype in ("input_text", "output_text"):
                    text = str(part.get("text", ""))
                    tokens += _answers.text_tokens(text)
                    if item["role"] == "user":
                        texts.append(text)
                elif ptype == "input_image":
                    info = self._input_image(part, at, model, rule)
                    images.append(info)
                    tokens += info["tokens"]
        if len(images) > self.max_images:
            raise Invalid(f"Too many images in request. Max is {self.max_images}.",
                          param="input", code="too_many_images")
        return {"tokens": tokens, "texts": texts, "images": images}

    def _input_image(self, part: dict[str, Any], at: str, model: str,
                     rule: ImageRule | None) -> dict[str, Any]:
        url, file_id = part.get("image_url"), part.get("file_id")
        if (url is None) == (file_id is None):
            raise Invalid(f"Invalid '{at}': provide exactly one of 'image_url' or 'file_id'.",
                          param=at, code="invalid_value")
        detail = part.get("detail", "auto")
        if file_id is not None:
            data = self.vision_file(file_id, f"{at}.file_id")
            url = "data:image/png;base64," + base64.b64encode(data).decode()
        return self.check_image({"url": url, "detail": detail}, at, model, rule,
                                field="image_url", detail_field="detail")

    def _text_format(self, text: Any, texts: list[str]) -> tuple[dict[str, Any], Any]:
        """(the ``text`` config echoed in the response, the schema or None)."""
        openai_check(text, "text", type="object")
        fmt = (text or {}).get("format") or {"type": "text"}
        t = fmt.get("type") if isinstance(fmt, dict) else None
        openai_check(t, "text.format.type", required=True,
                     choices=("text", "json_object", "json_schema"))
        schema = None
        if t == "json_object" and not any("json" in s.lower() for s in texts):
            raise Invalid("Response input messages must contain the word 'json' in some form to "
                          "use 'text.format' of type 'json_object'.", param="input")
        if t == "json_schema":
            openai_check(fmt.get("name"), "text.format.name", required=True, type="string")
            if not _SCHEMA_NAME.match(fmt["name"]):
                raise Invalid("Invalid 'text.format.name': string does not match pattern. "
                              "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                              param="text.format.name", code="invalid_value")
            openai_check(fmt.get("schema"), "text.format.schema", required=True, type="object")
            if fmt.get("strict"):
                self._check_strict(fmt["schema"])
            schema = fmt["schema"]
        return {"format": fmt, "verbosity": (text or {}).get("verbosity", "medium")}, (t, schema)

    # ---- handlers ----------------------------------------------------------------------
    def _read(self, req: Request) -> dict[str, Any]:
        try:
            body = req.json()
        except ValueError:
            raise Invalid("We could not parse the JSON body of your request.") from None
        if not isinstance(body, dict):
            raise Invalid("Invalid type for request body: expected an object.", code="invalid_type")
        return body

    def _response_create(self, req: Request) -> Response:
        body = self._read(req)
        model = body.get("model")
        spec = self.text_model(model, "responses")
        tally = self._tally(body, model, spec.image)
        text_cfg, (fmt_type, schema) = self._text_format(body.get("text"), tally["texts"])
        previous = body.get("previous_response_id")
        if previous is not None and previous not in self.responses:
            raise Invalid(f"Previous response with id '{previous}' not found.", status=404,
                          param="previous_response_id")
        summary = {"model": model, "images": len(tally["images"]),
                   "details": [i["detail"] for i in tally["images"]],
                   "image_sizes": [(i["width"], i["height"]) for i in tally["images"]],
                   "image_tokens": [i["tokens"] for i in tally["images"]],
                   "format": fmt_type, "input_tokens": tally["tokens"]}
        self.response_requests.append(summary)
        moderation = self.take_fault({"moderation"}, req)
        if moderation is not None:
            refusal = moderation.options.get("message", "I'm sorry, but I can't help with that.")
            part: dict[str, Any] = {"type": "refusal", "refusal": refusal}
            out_text = refusal
        else:
            ctx = _answers.AnswerContext(question=(tally["texts"] or [""])[-1],
                                         images=len(tally["images"]), model=model)
            default = functools.partial(_answers.answer_text, schema, fmt_type == "json_object",
                                        ctx)
            out_text = _answers.respond(self.responder, body, default)
            if self.take_fault({"malformed_json"}, req) is not None:
                out_text = _answers.break_json(out_text)
            part = {"type": "output_text", "text": out_text, "annotations": [], "logprobs": []}
        now = int(self.clock.now())
        out_tokens = _answers.text_tokens(out_text)
        message = {"id": _new_id("msg_"), "type": "message", "status": "completed",
                   "role": "assistant", "content": [part]}
        resp = {
            "id": _new_id("resp_"), "object": "response", "created_at": now,
            "status": "completed", "completed_at": now, "background": bool(body.get("background")),
            "error": None, "incomplete_details": None, "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"), "model": model,
            "output": [message], "parallel_tool_calls": True, "previous_response_id": previous,
            "reasoning": {"effort": None, "summary": None}, "store": body.get("store", True),
            "temperature": body.get("temperature", 1.0), "text": text_cfg,
            "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools", []),
            "top_p": body.get("top_p", 1.0), "truncation": body.get("truncation", "disabled"),
            "metadata": body.get("metadata") or {}, "service_tier": "default",
            "usage": {"input_tokens": tally["tokens"],
                      "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                      "output_tokens": out_tokens,
                      "output_tokens_details": {"reasoning_tokens": 0},
                      "total_tokens": tally["tokens"] + out_tokens},
        }
        items = [{"id": _new_id("msg_"), "type": "message", "status": "completed",
                  **{k: v for k, v in it.items() if k != "type"}}
                 for it in self._input_items(body) if isinstance(it, dict)]
        if resp["store"]:
            with self._responses_lock:
                self.responses[resp["id"]] = {"response": resp, "input_items": items,
                                              "ready_at": self.clock.now() + self.job_seconds}
        if resp["background"]:
            resp = {**resp, "status": "queued", "output": [], "usage": None,
                    "completed_at": None}
        if body.get("stream"):
            return self._response_stream(resp, message)
        return Response.json(200, resp)

    def _response_stream(self, resp: dict[str, Any], message: dict[str, Any]) -> Response:
        seq = iter(range(1_000_000))
        start = {**resp, "status": "in_progress", "output": [], "usage": None,
                 "completed_at": None}
        part = message["content"][0]
        empty = {**part, "text": ""} if part["type"] == "output_text" else {**part, "refusal": ""}
        item = {"item_id": message["id"], "output_index": 0, "content_index": 0}
        events: list[dict[str, Any]] = [
            {"type": "response.created", "response": start},
            {"type": "response.in_progress", "response": start},
            {"type": "response.output_item.added", "output_index": 0,
             "item": {**message, "status": "in_progress", "content": []}},
            {"type": "response.content_part.added", **item, "part": empty},
        ]
        text = part.get("text") if part["type"] == "output_text" else part["refusal"]
        kind = "output_text" if part["type"] == "output_text" else "refusal"
        for s in range(0, len(text), 40):
            delta = {"type": f"response.{kind}.delta", **item, "delta": text[s: s + 40]}
            events.append({**delta, "logprobs": []} if kind == "output_text" else delta)
        done = {"type": f"response.{kind}.done", **item,
                **({"text": text, "logprobs": []} if kind == "output_text" else {"refusal": text})}
        events += [done, {"type": "response.content_part.done", **item, "part": part},
                   {"type": "response.output_item.done", "output_index": 0, "item": message},
                   {"type": "response.completed", "response": resp}]
        lines = [{**e, "sequence_number": next(seq)} for e in events]
        return sse_response(lines, headers={"Cache-Control": "no-cache"},
                            content_type="text/event-stream; charset=utf-8")

    def _stored(self, req: Request) -> dict[str, Any]:
        rid = req.match["id"]  # type: ignore[index]
        with self._responses_lock:
            entry = self.responses.get(rid)
        if entry is None:
            raise Invalid(f"Response with id '{rid}' not found.", status=404, param="response_id")
        return entry

    def _view(self, entry: dict[str, Any]) -> dict[str, Any]:
        resp = entry["response"]
        if entry.get("cancelled"):
            return {**resp, "status": "cancelled", "output": [], "usage": None}
        if resp["background"] and self.clock.now() < entry["ready_at"]:
            return {**resp, "status": "in_progress", "output": [], "usage": None,
                    "completed_at": None}
        return resp

    def _response_get(self, req: Request) -> Response:
        return Response.json(200, self._view(self._stored(req)))

    def _response_delete(self, req: Request) -> Response:
        entry = self._stored(req)
        rid = entry["response"]["id"]
        with self._responses_lock:
            self.responses.pop(rid, None)
        return Response.json(200, {"id": rid, "object": "response.deleted", "deleted": True})

    def _response_cancel(self, req: Request) -> Response:
        entry = self._stored(req)
        if not entry["response"]["background"]:
            raise Invalid("Only responses created with background=true can be cancelled.",
                          param="response_id")
        if self._view(entry)["status"] == "in_progress":
            entry["cancelled"] = True
        return Response.json(200, self._view(entry))

    def _response_items(self, req: Request) -> Response:
        return openai_page(req, self._stored(req)["input_items"])

    def _response_compact(self, req: Request) -> Response:
        """``POST /v1/responses/compact``: the conversation (``input``, after a
        ``previous_response_id``'s) shrunk to one opaque ``compaction`` item."""
        body = self._read(req)
        model = body.get("model")
        spec = self.text_model(model, "responses")
        previous = body.get("previous_response_id")
        if previous is not None and previous not in self.responses:
            raise Invalid(f"Previous response with id '{previous}' not found.", status=404,
                          param="previous_response_id")
        tally = self._tally(body, model, spec.image)
        item = {"id": _new_id("cmp_"), "type": "compaction", "created_by": "emulator",
                "encrypted_content": base64.b64encode(secrets.token_bytes(48)).decode()}
        out_tokens = 48
        usage = {"input_tokens": tally["tokens"],
                 "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                 "output_tokens": out_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                 "total_tokens": tally["tokens"] + out_tokens}
        return Response.json(200, {"id": _new_id("resp_"), "object": "response.compaction",
                                   "created_at": int(self.clock.now()), "output": [item],
                                   "usage": usage})

    def _input_tokens(self, req: Request) -> Response:
        """``POST /v1/responses/input_tokens``: what ``usage.input_tokens`` would say."""
        body = self._read(req)
        model = body.get("model")
        rule = self.text_model(model, "responses").image if model is not None else None
        tally = self._tally(body, model or "gpt-4o", rule if model is not None else
                            self.models.spec("gpt-4o", "responses").image)
        self._text_format(body.get("text"), tally["texts"] + ["json"])
        return Response.json(200, {"object": "response.input_tokens",
                                   "input_tokens": tally["tokens"]})
