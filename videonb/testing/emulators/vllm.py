"""A vLLM OpenAI-compatible server emulator (``vllm serve <model>``, ``/v1``): chat
completions whose user content may hold ``text``, ``image_url`` and **``video_url``** parts
(``{"type": "video_url", "video_url": {"url": "data:video/mp4;base64,…" | "https://…"}}``,
``vllm/entrypoints/chat_utils.py``, providers.md section 11), and ``GET /v1/models``
listing the served model with ``owned_by: "vllm"`` (what videonb's ``openai`` provider
probes to decide whether to send the video itself).

``video=False`` plays a server whose model takes no video: a ``video_url`` part gets a 400
in vLLM's error body ``{"object": "error", "message", "type": "BadRequestError", "param",
"code": 400}`` (the body's shape is vLLM's ``ErrorResponse``; the message wording is
**UNCONFIRMED**).  The answer text comes from ``responder(body) -> str | dict``; the default
cites the scene changes it sees (:func:`.citing.video_responder`).  ``--api-key`` is
optional on vLLM: any bearer key passes unless ``expected_key=`` is set.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Callable

from . import _media
from .citing import video_responder
from .kit.auth import Bearer
from .kit.emulator import Emulator
from .kit.http import Invalid, Request, Response

__all__ = ["VLLMEmulator"]


class VLLMEmulator(Emulator):
    provider = "vllm"
    auth = Bearer()

    def __init__(self, *, model: str = "Qwen/Qwen2.5-VL-7B-Instruct", video: bool = True,
                 responder: Callable[[dict[str, Any]], Any] | None = None,
                 **kwargs: Any) -> None:
        self.model = model
        self.video = bool(video)
        self.responder = responder
        #: One summary per chat request: how many images and videos it carried.
        self.chat_requests: list[dict[str, Any]] = []
        super().__init__(**kwargs)

    def provider_options(self) -> dict[str, Any]:
        return {**super().provider_options(), "base_url": self.base_url + "/v1",
                "vision_model": self.model}

    def setup_routes(self) -> None:
        self.route("GET", "/v1/models", self._models, kind="models", name="models.list")
        self.route("POST", "/v1/chat/completions", self._chat, kind="generate",
                   name="chat.completions.create")

    def error_response(self, status: int, kind: str, req: Request, message: str | None = None,
                       **extra: Any) -> Response:
        return Response.json(status, {"object": "error", "message": message or kind,
                                      "type": "BadRequestError" if status == 400 else kind,
                                      "param": None, "code": status})

    def _models(self, req: Request) -> Response:
        return Response.json(200, {"object": "list", "data": [
            {"id": self.model, "object": "model", "created": 1700000000, "owned_by": "vllm",
             "root": self.model, "parent": None, "max_model_len": 32768}]})

    def _chat(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, dict) or body.get("model") != self.model:
            raise Invalid(f"The model `{(body or {}).get('model')}` does not exist.",
                          status=404)
        videos = images = 0
        for msg in body.get("messages") or []:
            content = msg.get("content")
            for part in content if isinstance(content, list) else []:
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "video_url":
                    if not self.video:
                        raise Invalid(f"{self.model} does not support video input "
                                      "(video_url).")
                    url = str((part.get("video_url") or {}).get("url", ""))
                    if url.startswith("data:"):
                        _mime, data = _media.parse_data_uri(url)
                        if _media.video_duration(data) is None:
                            raise Invalid("The video could not be decoded.")
                    videos += 1
                elif kind == "image_url":
                    images += 1
                elif kind != "text":
                    raise Invalid(f"Unknown part type: {kind}")
        self.chat_requests.append({"videos": videos, "images": images})
        answer = (self.responder or video_responder)(body)
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return Response.json(200, {
            "id": "chatcmpl-" + secrets.token_hex(8), "object": "chat.completion",
            "created": int(self.clock.now()), "model": self.model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}})
