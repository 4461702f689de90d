"""Gemini ``generateContent`` and ``streamGenerateContent`` on the emulator kit.

A request's ``contents[].parts[]`` are checked as the API checks them (``text``,
``inline_data`` probed with PyAV, ``file_data`` of an uploaded or YouTube file,
``video_metadata`` with ``fps`` and offsets), the ``generationConfig`` response type and
schema are honoured, and ``usageMetadata`` counts tokens per modality (video: 258 a
sampled frame, 70 on Gemini 3; audio 32 a second, 25 on Gemini 3).  The answer comes
from ``responder(request_dict) -> str`` or the schema-shaped default.  A mixin of
:class:`~videonb.testing.emulators.gemini.GeminiEmulator`."""

from __future__ import annotations

import functools
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from . import _answers, _media
from .gemini_files import FilesAPI, get_field
from .gemini_models import GLOBAL_LEVELS, PART_LEVELS, frame_tokens, image_tokens
from .kit.http import Invalid, Request, Response, sse_response

__all__ = ["GenerateContent"]

VIDEO_MIMES = ("video/mp4", "video/mpeg", "video/mov", "video/quicktime", "video/avi",
               "video/x-flv", "video/mpg", "video/webm", "video/wmv", "video/3gpp")
IMAGE_MIMES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")
OTHER_MIMES = ("text/plain", "application/pdf", "audio/wav", "audio/mp3", "audio/mpeg",
               "audio/aac", "audio/ogg", "audio/flac")
RESPONSE_MIMES = ("text/plain", "application/json", "text/x.enum")
_FILE_REF = re.compile(r"(?:^|/)files/([a-z0-9-]{1,40})(?:[?#].*)?\Z")
_DURATION = re.compile(r"^(-?\d+(?:\.\d+)?)s\Z")
_YOUTUBE = re.compile(r"^https?://(www\.|m\.)?(youtube\.com|youtu\.be)/")
_OTHER_PARTS = ("function_call", "function_response", "executable_code",
                "code_execution_result", "thought_signature")
_REQ = "* GenerateContentRequest."
_TROUBLESHOOTING = "https://developers.generativeai.google/guide/troubleshooting"


def _duration(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):  # {"seconds": .., "nanos": ..}
        return float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9
    m = _DURATION.match(str(value).strip())
    if not m:
        raise ValueError(value)
    return float(m.group(1))


@dataclass
class _Tally:
    """What the parts of one request add up to."""

    gemini3: bool
    level: str | None = None  # generationConfig.mediaResolution
    text: int = 0
    image: int = 0
    video: int = 0
    audio: int = 0
    videos: int = 0
    images: int = 0
    durations: list[float] = field(default_factory=list)
    fps: list[float] = field(default_factory=list)

    def add_video(self, seconds: float, span, fps: float, has_audio: bool,
                  level: str | None = None) -> None:
        start, end = span
        end = seconds if end is None else min(end, seconds)
        dur = max(0.0, end - (start or 0.0))
        self.videos += 1
        self.durations.append(dur)
        self.fps.append(fps)
        self.video += round(dur * fps) * frame_tokens(self.gemini3, level or self.level)
        if has_audio:  # audio is counted per second whatever the resolution
            self.audio += round(dur * (25 if self.gemini3 else 32))

    def add_image(self, level: str | None = None) -> None:
        self.images += 1
        self.image += image_tokens(self.gemini3, level or self.level)


class GenerateContent(FilesAPI):
    """The handlers of the generate routes (the Gemini emulator registers them)."""

    responder: Any
    max_request_bytes: int
    generate_requests: list[dict[str, Any]]

    def check_model(self, req: Request, method: str = "generateContent") -> str:
        """The model id of the route; raises the API's 404 for one it does not serve."""
        raise NotImplementedError

    def model_spec(self, model: str) -> Any:
        raise NotImplementedError

    def _count_tokens(self, req: Request) -> Response:
        """``:countTokens``: the prompt tokens ``generateContent`` would report, for
        ``contents`` or a whole ``generateContentRequest``."""
        model = self.check_model(req, "countTokens")
        try:
            body = req.json()
        except ValueError:
            raise Invalid("Invalid JSON payload received. Unexpected token.") from None
        inner = get_field(body, "generate_content_request") if isinstance(body, dict) else None
        summary = self._check_generate(model, inner if isinstance(inner, dict) else body, req)
        return Response.json(200, {"totalTokens": summary["prompt_tokens"],
                                   "promptTokensDetails": summary["token_details"]})

    def _generate(self, req: Request) -> Response:
        model = self.check_model(req)
        if len(req.body) > self.max_request_bytes:
            raise Invalid(f"Request payload size exceeds the limit: {self.max_request_bytes} bytes.")
        try:
            body = req.json()
        except ValueError:
            raise Invalid("Invalid JSON payload received. Unexpected token.") from None
        summary = self._check_generate(model, body, req)
        self.generate_requests.append(summary)
        moderation = self.take_fault({"moderation"}, req)
        usage = {"promptTokenCount": summary["prompt_tokens"],
                 "promptTokensDetails": summary["token_details"]}
        base = {"modelVersion": model, "responseId": secrets.token_urlsafe(12)}
        if moderation is not None:
            ratings = [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH",
                        "blocked": True},
                       {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]
            usage["totalTokenCount"] = summary["prompt_tokens"]
            if moderation.options.get("stage", "prompt") == "output":
                cand = {"finishReason": "SAFETY", "index": 0, "safetyRatings": ratings}
                return Response.json(200, {"candidates": [cand], "usageMetadata": usage, **base})
            feedback = {"blockReason": "SAFETY", "safetyRatings": ratings}
            return Response.json(200, {"promptFeedback": feedback, "usageMetadata": usage, **base})
        default = functools.partial(self._default_answer, summary)
        texts = [_answers.respond(self.responder, body, default)
                 for _ in range(summary["candidate_count"])]
        if self.take_fault({"malformed_json"}, req) is not None:
            texts = [_answers.break_json(t) for t in texts]
        out_tokens = sum(_answers.text_tokens(t) for t in texts)
        usage.update(candidatesTokenCount=out_tokens,
                     totalTokenCount=summary["prompt_tokens"] + out_tokens)
        candidates = [{"content": {"parts": [{"text": t}], "role": "model"}, "finishReason": "STOP",
                       "index": i} for i, t in enumerate(texts)]
        return Response.json(200, {"candidates": candidates, "usageMetadata": usage, **base})

    def _generate_stream(self, req: Request) -> Response:
        resp = self._generate(req)
        if resp.status != 200:
            return resp
        if (req.param("alt") or "").lower() != "sse":
            resp.body = b"[" + resp.body + b"]"  # without alt=sse the API streams a JSON array
            return resp
        full = json.loads(resp.body)
        cands = full.get("candidates") or []
        content = cands[0].get("content") if cands else None
        text = "".join(p.get("text", "") for p in content.get("parts", [])) if content else ""
        pieces = [text[i : i + 64] for i in range(0, len(text), 64)] or [""]
        events = []
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            chunk: dict[str, Any] = {"modelVersion": full.get("modelVersion"),
                                     "responseId": full.get("responseId")}
            if cands:
                cand: dict[str, Any] = {"content": {"parts": [{"text": piece}], "role": "model"},
                                        "index": 0}
                if last:
                    cand["finishReason"] = cands[0].get("finishReason", "STOP")
                    if not content:
                        cand.pop("content")
                chunk["candidates"] = [cand]
            if "promptFeedback" in full:
                chunk["promptFeedback"] = full["promptFeedback"]
            if last:
                chunk["usageMetadata"] = full.get("usageMetadata")
            events.append(chunk)
        return sse_response(events, separator="\r\n\r\n")

    def _default_answer(self, summary: dict[str, Any]) -> str:
        mime = summary["response_mime_type"]
        if mime == "text/x.enum":
            return str((get_field(summary["schema"] or {}, "enum") or ["UNKNOWN"])[0])
        ctx = _answers.AnswerContext(
            question=summary["question"], videos=summary["videos"], images=summary["images"],
            video_seconds=summary["video_seconds"][0] if summary["video_seconds"] else None,
            model=summary["model"],
        )
        return _answers.answer_text(summary["schema"], mime == "application/json", ctx)

    def _check_part(self, part: Any, where: str, role: str, tally: _Tally, texts: list[str],
                    req: Request) -> None:
        if not isinstance(part, dict):
            raise Invalid(f"Invalid value at '{where}'.")
        meta = get_field(part, "video_metadata")
        fps, span = self._check_video_meta(meta, where)
        level = self._part_level(part, where, tally)
        text, inline = get_field(part, "text"), get_field(part, "inline_data")
        file_data = get_field(part, "file_data")
        if text is not None:
            if role == "user":
                texts.append(str(text))
            tally.text += _answers.text_tokens(str(text))
        elif inline is not None:
            mime = str(get_field(inline, "mime_type") or "").lower()
            if not mime:
                raise Invalid(f"{_REQ}{where}.inline_data.mime_type: required field is not set.\n")
            try:
                data = _media.b64decode(str(get_field(inline, "data") or ""))
            except ValueError:  # binascii.Error is a ValueError
                raise Invalid(f"Invalid value at '{where}.inline_data.data' (TYPE_BYTES), Base64 "
                              "decoding failed.") from None
            kinds = {"video": VIDEO_MIMES, "image": IMAGE_MIMES}
            allowed = kinds.get(mime.split("/")[0], OTHER_MIMES)
            if mime not in allowed and not mime.startswith("audio/"):
                raise Invalid(f"Unsupported MIME type: {mime}")
            if mime.startswith("video/"):
                probed = _media.video_duration(data)
                if probed is None:
                    raise Invalid("Request contains an invalid argument.")
                tally.add_video(probed[0], span, fps, probed[1], level)
            elif mime.startswith("image/"):
                if mime in ("image/png", "image/jpeg", "image/webp") and not _media.image_info(data):
                    raise Invalid("Unable to process input image. Please retry or report in "
                                  + _TROUBLESHOOTING)
                tally.add_image(level)
            else:
                tally.text += _answers.text_tokens(data[:4000].decode("utf-8", "ignore"))
        elif file_data is not None:
            uri = str(get_field(file_data, "file_uri") or "")
            if not uri:
                raise Invalid(f"{_REQ}{where}.file_data.file_uri: required field is not set.\n")
            if _YOUTUBE.match(uri):  # never fetched: assume a one-minute public video
                tally.add_video(60.0, span, fps, True, level)
                return
            m = _FILE_REF.search(uri)
            if not m:
                raise Invalid(f"Invalid or unsupported file uri: {uri}")
            f = self.lookup(m.group(1), req)
            if f.state(self.clock.now()) != "ACTIVE":
                raise Invalid(f"The File {f.id} is not in an ACTIVE state and usage is not "
                              "allowed.", grpc="FAILED_PRECONDITION")
            if f.mime_type.startswith("video/") and f.video is not None:
                tally.add_video(f.video[0], span, fps, f.video[1], level)
            elif f.mime_type.startswith("image/"):
                tally.add_image(level)
            else:
                tally.text += 258
        elif meta is None and not any(get_field(part, k) is not None for k in _OTHER_PARTS):
            raise Invalid(f"{_REQ}{where}.data: required oneof field 'data' must have one "
                          "initialized field\n")

    def _part_level(self, part: dict[str, Any], where: str, tally: _Tally) -> str | None:
        """A part's own ``mediaResolution.level`` (Gemini 3 only), or None."""
        value = get_field(part, "media_resolution")
        if value is None:
            return None
        level = get_field(value, "level") if isinstance(value, dict) else value
        if level not in PART_LEVELS:
            raise Invalid(f"Invalid value at '{where}.media_resolution.level' (type.googleapis."
                          f"com/google.ai.generativelanguage.v1beta.MediaResolution), "
                          f"\"{level}\"")
        if not tally.gemini3:
            raise Invalid(f"{_REQ}{where}.media_resolution: per-part media resolution is only "
                          "supported by Gemini 3 models.\n")
        return str(level)

    def _check_generate(self, model: str, body: Any, req: Request) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Invalid("Invalid JSON payload received. Expected an object.")
        contents = get_field(body, "contents")
        if not contents:
            raise Invalid(f"{_REQ}contents: contents is not specified\n")
        if not isinstance(contents, list):
            raise Invalid("Invalid value at 'contents' "
                          "(type.googleapis.com/google.ai.generativelanguage.v1beta.Content).")
        config = get_field(body, "generation_config") or {}
        level = get_field(config, "media_resolution")
        if level is not None and level not in GLOBAL_LEVELS:
            raise Invalid("Invalid value at 'generation_config.media_resolution' (type.googleapis."
                          "com/google.ai.generativelanguage.v1beta.GenerationConfig."
                          f"MediaResolution), \"{level}\"")
        spec = self.model_spec(model)
        tally = _Tally(gemini3=bool(spec and spec.gemini3), level=level)
        texts: list[str] = []
        for ci, content in enumerate(contents):
            parts = get_field(content, "parts")
            if not isinstance(parts, list) or not parts:
                raise Invalid(f"{_REQ}contents[{ci}].parts: contents.parts must not be empty.\n")
            role = get_field(content, "role", "user")
            if role not in ("user", "model", "function", "tool"):
                raise Invalid("Please use a valid role: user, model.")
            for pi, part in enumerate(parts):
                self._check_part(part, f"contents[{ci}].parts[{pi}]", role, tally, texts, req)
        for part in get_field(get_field(body, "system_instruction"), "parts") or []:
            tally.text += _answers.text_tokens(str(get_field(part, "text") or ""))
        mime = str(get_field(config, "response_mime_type") or "text/plain")
        schema = get_field(config, "response_schema")
        json_schema = get_field(config, "response_json_schema")
        if mime not in RESPONSE_MIMES:
            raise Invalid(f"{_REQ}generation_config.response_mime_type: allowed mimetypes are "
                          f"`text/plain`, `application/json`, `text/x.enum`. Got {mime}.\n")
        if schema is not None and json_schema is not None:
            raise Invalid("Only one of response_schema and response_json_schema may be set.")
        if (schema is not None or json_schema is not None) and mime == "text/plain":
            raise Invalid(f"{_REQ}generation_config.response_mime_type: must be application/json "
                          "or text/x.enum when response_schema is set.\n")
        count = get_field(config, "candidate_count", 1) or 1
        if not isinstance(count, int) or not 1 <= count <= 8:
            raise Invalid(f"{_REQ}generation_config.candidate_count: must be between 1 and 8.\n")
        details = [{"modality": "TEXT", "tokenCount": tally.text}] + [
            {"modality": name, "tokenCount": n}
            for name, n in (("IMAGE", tally.image), ("VIDEO", tally.video), ("AUDIO", tally.audio))
            if n
        ]
        return {
            "model": model,
            "videos": tally.videos,
            "images": tally.images,
            "video_seconds": tally.durations,
            "fps": tally.fps,
            "response_mime_type": mime,
            "schema": schema if schema is not None else json_schema,
            "schema_field": "responseSchema" if schema is not None
            else ("responseJsonSchema" if json_schema is not None else None),
            "candidate_count": count,
            "question": texts[-1] if texts else "",
            "prompt_tokens": tally.text + tally.image + tally.video + tally.audio,
            "token_details": details,
            "media_resolution": level,
            "api_version": (req.match["ver"] if req.match else None),  # type: ignore[index]
        }

    @staticmethod
    def _check_video_meta(meta: Any, where: str) -> tuple[float, tuple[float | None, float | None]]:
        if meta is None:
            return 1.0, (None, None)
        if not isinstance(meta, dict):
            raise Invalid(f"Invalid value at '{where}.video_metadata'.")
        fps = get_field(meta, "fps")
        try:
            fps = 1.0 if fps is None else float(fps)
        except (TypeError, ValueError):
            raise Invalid(f"Invalid value at '{where}.video_metadata.fps' (TYPE_DOUBLE).") from None
        if not 0 < fps <= 24:
            raise Invalid(f"{_REQ}{where}.video_metadata.fps: fps must be in the range (0, 24].\n")
        try:
            start = _duration(get_field(meta, "start_offset"))
            end = _duration(get_field(meta, "end_offset"))
        except ValueError as exc:
            raise Invalid(f"Invalid value at '{where}.video_metadata' (type.googleapis.com/google."
                          f"protobuf.Duration), Field '{exc}': invalid duration.") from None
        if (start is not None and start < 0) or (end is not None and end < 0):
            raise Invalid(f"{_REQ}{where}.video_metadata: offsets must not be negative.\n")
        if start is not None and end is not None and end <= start:
            raise Invalid(f"{_REQ}{where}.video_metadata: end_offset must be after start_offset.\n")
        return fps, (start, end)
