"""Gemini API emulator (``https://generativelanguage.googleapis.com``): video
understanding through ``generateContent`` and the Files API.

Auth: ``x-goog-api-key: <key>`` header (what google-genai sends) or ``?key=<key>``.
A wrong key gets Gemini's real answer (400 ``INVALID_ARGUMENT`` / ``API_KEY_INVALID``),
a missing one 403 ``PERMISSION_DENIED``.  Errors use Google's body
``{"error": {"code", "message", "status"}}``.

Endpoints (``v1beta``; ``v1`` and ``v1alpha`` are accepted too):

- ``POST /v1beta/models/{model}:generateContent`` and ``:streamGenerateContent``
  (``?alt=sse``).  ``contents[].parts[]`` may hold ``text``, ``inline_data`` (base64,
  checked and probed with PyAV; the whole request may be at most ``max_request_bytes``,
  default 20 MB), ``file_data`` (``file_uri`` of an uploaded file: 403 if unknown,
  400 ``FAILED_PRECONDITION`` unless it is ``ACTIVE``; YouTube URLs are accepted, never
  fetched) and ``video_metadata`` (``fps`` in (0, 24], ``start_offset``/``end_offset``).
  ``generationConfig.responseMimeType`` / ``responseSchema`` / ``responseJsonSchema`` are
  honoured.  The answer text comes from ``responder(request_dict) -> str`` (default: JSON
  that satisfies the schema, else ``{summary, moments, answer}``); ``usageMetadata``
  counts video tokens per sampled frame (258, or 70 on Gemini 3) plus audio.
  Each request is summarised in :attr:`GeminiEmulator.generate_requests`.
- Files API, resumable upload as google-genai does it: ``POST /upload/v1beta/files``
  with ``X-Goog-Upload-Protocol: resumable``, ``X-Goog-Upload-Command: start`` and
  ``X-Goog-Upload-Header-Content-Length`` → ``X-Goog-Upload-URL`` response header; then
  POSTs to that URL with ``X-Goog-Upload-Command: upload`` / ``upload, finalize`` and
  ``X-Goog-Upload-Offset`` (``query`` and ``cancel`` work too).  Every answer carries
  ``X-Goog-Upload-Status`` (``active`` / ``final``); the finalize answer's body is
  ``{"file": {...}}`` with ``state: PROCESSING``, which turns ``ACTIVE`` after
  ``file_processing_seconds`` (``FAILED`` when a video cannot be decoded).
  ``GET /v1beta/files/{id}``, ``GET /v1beta/files`` (``pageSize``, ``pageToken``),
  ``DELETE /v1beta/files/{id}``.  Files expire after ``file_ttl`` (48 h, simulated clock).

Faults: ``"file_processing_failed"`` (or ``"job_failure"``, with ``message=``) makes the
next uploaded file end ``FAILED``; ``"expired_output"`` makes the next file lookup answer
as if the file had expired (403); ``"malformed_json"`` and ``"moderation"`` concern
``generateContent``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import _answers, _media
from .base import COMMON_FAULTS, Emulator, Request, Response, iso8601

__all__ = ["GeminiEmulator", "GeminiFile"]

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "ALREADY_EXISTS",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
VIDEO_MIMES = (
    "video/mp4",
    "video/mpeg",
    "video/mov",
    "video/quicktime",
    "video/avi",
    "video/x-flv",
    "video/mpg",
    "video/webm",
    "video/wmv",
    "video/3gpp",
)
IMAGE_MIMES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")
OTHER_MIMES = (
    "text/plain",
    "application/pdf",
    "audio/wav",
    "audio/mp3",
    "audio/mpeg",
    "audio/aac",
    "audio/ogg",
    "audio/flac",
)
RESPONSE_MIMES = ("text/plain", "application/json", "text/x.enum")
_MODEL = re.compile(r"^(gemini|gemma|learnlm)[\w.-]*\Z")
_FILE_REF = re.compile(r"(?:^|/)files/([a-z0-9-]{1,40})(?:[?#].*)?\Z")
_DURATION = re.compile(r"^(-?\d+(?:\.\d+)?)s\Z")
_UPLOAD_GRANULARITY = 8 * 1024 * 1024


def _get(d: Any, name: str, default: Any = None) -> Any:
    """``d[name]`` accepting both proto-JSON spellings (``inline_data`` / ``inlineData``)."""
    if not isinstance(d, dict):
        return default
    if name in d:
        return d[name]
    camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)
    if camel in d:
        return d[camel]
    snake = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)
    return d.get(snake, default)


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


def _fmt_duration(seconds: float) -> str:
    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    return f"{text}s"


@dataclass
class GeminiFile:
    """An uploaded file as the emulator stores it."""

    id: str
    display_name: str | None
    mime_type: str
    data: bytes
    created: float
    ready_at: float
    expires: float
    fail: str | None = None  # error message if processing fails
    video: tuple[float, bool] | None = None  # (duration, has audio)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"files/{self.id}"

    def state(self, now: float) -> str:
        if now < self.ready_at:
            return "PROCESSING"
        return "FAILED" if self.fail else "ACTIVE"


class _GError(Exception):
    def __init__(
        self, status: int, message: str, grpc: str | None = None, details: list[Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.grpc, self.details = status, message, grpc, details


class GeminiEmulator(Emulator):
    """Loopback emulator of the Gemini API's generateContent and Files API.

    Parameters (besides :class:`~videonb.testing.emulators.base.Emulator`'s):

    responder
        ``callable(request_dict) -> str`` for the model's text (a dict is sent as JSON).
    models
        Model ids accepted (default: any ``gemini*``, ``gemma*``, ``learnlm*`` id).
    file_processing_seconds
        Time an uploaded file stays ``PROCESSING`` (default: ``job_seconds``).
    file_ttl
        Lifetime of an uploaded file (default 48 h).
    max_request_bytes
        Largest generateContent request (inline data included), default 20 MB.
    max_file_bytes
        Largest upload (default 2 GB).
    """

    provider = "gemini"
    provider_faults = COMMON_FAULTS | {"file_processing_failed"}

    def __init__(
        self,
        *,
        responder: Callable[[dict[str, Any]], Any] | None = None,
        models: set[str] | list[str] | tuple[str, ...] | None = None,
        file_processing_seconds: float | None = None,
        file_ttl: float = 48 * 3600,
        max_request_bytes: int = 20 * 1024 * 1024,
        max_file_bytes: int = 2 * 1024**3,
        **kwargs: Any,
    ) -> None:
        self.responder = responder
        self.models = set(models) if models is not None else None
        self._processing = file_processing_seconds
        self.file_ttl = float(file_ttl)
        self.max_request_bytes = int(max_request_bytes)
        self.max_file_bytes = int(max_file_bytes)
        #: One summary per generateContent request that reached the model.
        self.generate_requests: list[dict[str, Any]] = []
        self.files: dict[str, GeminiFile] = {}
        self._uploads: dict[str, dict[str, Any]] = {}
        self._files_lock = threading.RLock()
        super().__init__(**kwargs)

    @property
    def file_processing_seconds(self) -> float:
        return self.job_seconds if self._processing is None else self._processing

    # ---- plumbing --------------------------------------------------------------------
    def setup_routes(self) -> None:
        v = r"/(?P<ver>v1beta|v1|v1alpha)"
        self.route("POST", v + r"/models/(?P<model>[^/:]+):generateContent", self._generate)
        self.route(
            "POST", v + r"/models/(?P<model>[^/:]+):streamGenerateContent", self._generate_stream
        )
        self.route("POST", r"/upload" + v + r"/files", self._upload, auth=False)
        self.route("GET", v + r"/files", self._list_files)
        self.route("GET", v + r"/files/(?P<id>[^/:]+)", self._get_file)
        self.route("DELETE", v + r"/files/(?P<id>[^/:]+)", self._delete_file)

    def _gerror(
        self,
        status: int,
        message: str,
        grpc: str | None = None,
        details: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        err: dict[str, Any] = {
            "code": status,
            "message": message,
            "status": grpc or STATUS_NAMES.get(status, "UNKNOWN"),
        }
        if details:
            err["details"] = details
        return Response.json(status, {"error": err}, headers)

    def _from(self, exc: _GError, headers: dict[str, str] | None = None) -> Response:
        return self._gerror(exc.status, exc.message, exc.grpc, exc.details, headers)

    def check_auth(self, req: Request) -> Response | None:
        key = req.header("x-goog-api-key") or req.param("key")
        if not key:
            return self._gerror(
                403,
                "Method doesn't allow unregistered callers (callers without established identity). "
                "Please use API Key or other form of API consumer identity to call this API.",
            )
        if not self.key_ok(key):
            return self._gerror(
                400,
                "API key not valid. Please pass a valid API key.",
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": {"service": "generativelanguage.googleapis.com"},
                    },
                    {
                        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                        "locale": "en-US",
                        "message": "API key not valid. Please pass a valid API key.",
                    },
                ],
            )
        return None

    def error_response(
        self, status: int, kind: str, req: Request, message: str | None = None, **extra: Any
    ) -> Response:
        defaults = {
            401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
            "other valid authentication credential. See "
            "https://developers.google.com/identity/sign-in/web/devconsole-project.",
            404: f"The requested URL {req.path} was not found on this server.",
            405: f"Method {req.method} is not allowed for {req.path}.",
            429: "Resource has been exhausted (e.g. check quota).",
            500: "An internal error has occurred. Please retry or report in "
            "https://developers.generativeai.google/guide/troubleshooting",
            503: "The model is overloaded. Please try again later.",
        }
        return self._gerror(
            status, message or defaults.get(status, "Request contains an invalid argument.")
        )

    def fault_response(self, fault, req: Request) -> Response:  # type: ignore[override]
        resp = super().fault_response(fault, req)
        if fault.kind == "429":  # Google puts the delay in a RetryInfo detail too
            delay = fault.options.get("retry_after", 1)
            body = json.loads(resp.body)
            body["error"]["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{float(delay):g}s",
                }
            ]
            resp.body = json.dumps(body, separators=(",", ":")).encode()
        return resp

    # ---- files -----------------------------------------------------------------------
    def _file_json(self, f: GeminiFile) -> dict[str, Any]:
        now = self.clock.now()
        state = f.state(now)
        out: dict[str, Any] = {
            "name": f.name,
            "mimeType": f.mime_type,
            "sizeBytes": str(len(f.data)),
            "createTime": iso8601(f.created, millis=False),
            "updateTime": iso8601(f.ready_at if state != "PROCESSING" else f.created, millis=False),
            "expirationTime": iso8601(f.expires, millis=False),
            "sha256Hash": base64.b64encode(hashlib.sha256(f.data).hexdigest().encode()).decode(),
            "uri": f"{self.base_url}/v1beta/{f.name}",
            "state": state,
            "source": "UPLOADED",
        }
        if f.display_name:
            out["displayName"] = f.display_name
        if state == "ACTIVE" and f.video is not None:
            out["videoMetadata"] = {"videoDuration": _fmt_duration(f.video[0])}
        if state == "FAILED":
            out["error"] = {"code": 400, "message": f.fail}
        return out

    def _lookup(self, file_id: str, req: Request) -> GeminiFile:
        not_found = _GError(
            403, f"You do not have permission to access the File {file_id} or it may not exist."
        )
        with self._files_lock:
            f = self.files.get(file_id)
            if f is None:
                raise not_found
            if (
                self.take_fault({"expired_output"}, req) is not None
                or self.clock.now() >= f.expires
            ):
                self.files.pop(file_id, None)
                raise not_found
            return f

    def _get_file(self, req: Request) -> Response:
        try:
            f = self._lookup(req.match["id"], req)  # type: ignore[index]
        except _GError as exc:
            return self._from(exc)
        return Response.json(200, self._file_json(f))

    def _delete_file(self, req: Request) -> Response:
        try:
            f = self._lookup(req.match["id"], req)  # type: ignore[index]
        except _GError as exc:
            return self._from(exc)
        with self._files_lock:
            self.files.pop(f.id, None)
        return Response.json(200, {})

    def _list_files(self, req: Request) -> Response:
        try:
            size = int(req.param("pageSize") or 10)
        except ValueError:
            return self._gerror(400, "Invalid value at 'page_size' (TYPE_INT32).")
        size = max(1, min(size, 100))
        now = self.clock.now()
        with self._files_lock:
            for fid in [k for k, f in self.files.items() if now >= f.expires]:
                del self.files[fid]
            items = sorted(self.files.values(), key=lambda f: f.created, reverse=True)
        token = req.param("pageToken")
        start = 0
        if token:
            try:
                start = int(base64.urlsafe_b64decode(token.encode()).decode())
            except (ValueError, UnicodeDecodeError):
                return self._gerror(400, "Invalid page token.")
        page = items[start : start + size]
        out: dict[str, Any] = {"files": [self._file_json(f) for f in page]}
        if start + size < len(items):
            out["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return Response.json(200, out)

    def _upload(self, req: Request) -> Response:
        upload_id = req.param("upload_id")
        if upload_id is None:
            denied = self.check_auth(req)
            if denied is not None:
                return denied
            return self._upload_start(req)
        return self._upload_chunk(req, upload_id)

    def _upload_start(self, req: Request) -> Response:
        protocol = (req.header("x-goog-upload-protocol") or "").lower()
        command = (req.header("x-goog-upload-command") or "").lower()
        if protocol != "resumable":
            return self._gerror(
                400,
                f"Upload protocol '{protocol or 'none'}' is not supported by the emulator; use resumable.",
            )
        if command != "start":
            return self._gerror(400, "Expected X-Goog-Upload-Command: start.")
        size_text = req.header("x-goog-upload-header-content-length")
        try:
            size = int(size_text or "")
        except ValueError:
            return self._gerror(400, "Missing or invalid X-Goog-Upload-Header-Content-Length.")
        if size > self.max_file_bytes:
            return self._gerror(
                400, f"File size {size} exceeds the maximum of {self.max_file_bytes} bytes."
            )
        try:
            body = req.json() or {}
        except ValueError:
            return self._gerror(400, "Invalid JSON payload received.")
        meta = _get(body, "file") or {}
        mime = (
            (
                req.header("x-goog-upload-header-content-type")
                or _get(meta, "mime_type")
                or "application/octet-stream"
            )
            .split(";")[0]
            .strip()
            .lower()
        )
        name = _get(meta, "name")
        file_id = None
        if name:
            m = re.match(r"^(?:files/)?([a-z0-9-]{1,40})\Z", str(name))
            if not m or m.group(1).startswith("-") or m.group(1).endswith("-"):
                return self._gerror(
                    400,
                    f"Invalid file name: {name}. It must be at most 40 characters of [a-z0-9-].",
                )
            file_id = m.group(1)
            with self._files_lock:
                if file_id in self.files:
                    return self._gerror(409, f"File files/{file_id} already exists.")
        upload_id = secrets.token_urlsafe(24)
        with self._files_lock:
            self._uploads[upload_id] = {
                "size": size,
                "mime": mime,
                "display_name": _get(meta, "display_name"),
                "file_id": file_id,
                "data": bytearray(),
            }
        ver = req.match["ver"] if req.match else "v1beta"
        url = f"{self.base_url}/upload/{ver}/files?upload_id={upload_id}&upload_protocol=resumable"
        return Response(
            200,
            b"",
            {
                "X-Goog-Upload-Status": "active",
                "X-Goog-Upload-URL": url,
                "X-Goog-Upload-Control-URL": url,
                "X-Goog-Upload-Chunk-Granularity": str(_UPLOAD_GRANULARITY),
            },
            "text/plain; charset=utf-8",
        )

    def _upload_chunk(self, req: Request, upload_id: str) -> Response:
        with self._files_lock:
            session = self._uploads.get(upload_id)
        if session is None:
            return self._gerror(
                404,
                "Upload session not found or already finalized.",
                headers={"X-Goog-Upload-Status": "final"},
            )
        commands = {
            c.strip()
            for c in (req.header("x-goog-upload-command") or "").lower().split(",")
            if c.strip()
        }
        data: bytearray = session["data"]
        active = {"X-Goog-Upload-Status": "active"}
        if "cancel" in commands:
            with self._files_lock:
                self._uploads.pop(upload_id, None)
            return Response(200, b"", {"X-Goog-Upload-Status": "cancelled"}, "text/plain")
        if "query" in commands:
            return Response(
                200,
                b"",
                {
                    **active,
                    "X-Goog-Upload-Size-Received": str(len(data)),
                    "X-Goog-Upload-Chunk-Granularity": str(_UPLOAD_GRANULARITY),
                },
                "text/plain",
            )
        if not commands & {"upload", "finalize"}:
            return self._gerror(
                400,
                "Expected X-Goog-Upload-Command: upload, finalize, query or cancel.",
                headers=active,
            )
        if "upload" in commands:
            try:
                offset = int(req.header("x-goog-upload-offset") or "")
            except ValueError:
                return self._gerror(400, "Missing or invalid X-Goog-Upload-Offset.", headers=active)
            if offset != len(data):
                return self._gerror(
                    400,
                    f"Invalid X-Goog-Upload-Offset {offset}: {len(data)} bytes were received so far.",
                    headers={**active, "X-Goog-Upload-Size-Received": str(len(data))},
                )
            data.extend(req.body)
            if len(data) > session["size"]:
                with self._files_lock:
                    self._uploads.pop(upload_id, None)
                return self._gerror(
                    400,
                    "More bytes were uploaded than declared in X-Goog-Upload-Header-Content-Length.",
                    headers={"X-Goog-Upload-Status": "final"},
                )
        if "finalize" not in commands:
            return Response(
                200, b"", {**active, "X-Goog-Upload-Size-Received": str(len(data))}, "text/plain"
            )
        with self._files_lock:
            self._uploads.pop(upload_id, None)
        if len(data) != session["size"]:
            return self._gerror(
                400,
                f"Upload finalized with {len(data)} bytes but {session['size']} were declared.",
                headers={"X-Goog-Upload-Status": "final"},
            )
        f = self._create_file(req, session, bytes(data))
        return Response.json(
            200,
            {"file": self._file_json(f)},
            {"X-Goog-Upload-Status": "final", "X-Goog-Upload-Size-Received": str(len(data))},
        )

    def _create_file(self, req: Request, session: dict[str, Any], data: bytes) -> GeminiFile:
        now = self.clock.now()
        mime = session["mime"]
        fail = None
        video = None
        if mime.startswith("video/"):
            video = _media.video_duration(data)
            if video is None:
                fail = "The video could not be processed: it is not a decodable video file."
        fault = self.take_fault({"file_processing_failed", "job_failure"}, req)
        if fault is not None:
            fail = fault.options.get("message", "File processing failed.")
        file_id = session["file_id"] or secrets.token_hex(6)
        f = GeminiFile(
            id=file_id,
            display_name=session["display_name"],
            mime_type=mime,
            data=data,
            created=now,
            ready_at=now + self.file_processing_seconds,
            expires=now + self.file_ttl,
            fail=fail,
            video=video,
        )
        with self._files_lock:
            self.files[file_id] = f
        return f

    # ---- generateContent ---------------------------------------------------------------
    def _generate_stream(self, req: Request) -> Response:
        resp = self._generate(req)
        if resp.status != 200 or (req.param("alt") or "").lower() != "sse":
            if resp.status == 200:  # without alt=sse the API streams a JSON array
                resp.body = b"[" + resp.body + b"]"
            return resp
        full = json.loads(resp.body)
        events = []
        cands = full.get("candidates") or []
        text = ""
        if cands and cands[0].get("content"):
            text = "".join(p.get("text", "") for p in cands[0]["content"].get("parts", []))
        pieces = [text[i : i + 64] for i in range(0, len(text), 64)] or [""]
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            chunk: dict[str, Any] = {
                "modelVersion": full.get("modelVersion"),
                "responseId": full.get("responseId"),
            }
            if cands:
                cand: dict[str, Any] = {
                    "content": {"parts": [{"text": piece}], "role": "model"},
                    "index": 0,
                }
                if last:
                    cand["finishReason"] = cands[0].get("finishReason", "STOP")
                    if not cands[0].get("content"):
                        cand.pop("content")
                chunk["candidates"] = [cand]
            if "promptFeedback" in full:
                chunk["promptFeedback"] = full["promptFeedback"]
            if last:
                chunk["usageMetadata"] = full.get("usageMetadata")
            events.append("data: " + json.dumps(chunk, separators=(",", ":")) + "\r\n\r\n")
        return Response(200, "".join(events).encode(), {}, "text/event-stream")

    def _generate(self, req: Request) -> Response:
        model = req.match["model"]  # type: ignore[index]
        ver = req.match["ver"]  # type: ignore[index]
        if (self.models is not None and model not in self.models) or (
            self.models is None and not _MODEL.match(model)
        ):
            return self._gerror(
                404,
                f"models/{model} is not found for API version {ver}, or is not supported for generateContent. "
                "Call ListModels to see the list of available models and their supported methods.",
            )
        if len(req.body) > self.max_request_bytes:
            return self._gerror(
                400, f"Request payload size exceeds the limit: {self.max_request_bytes} bytes."
            )
        try:
            body = req.json()
        except ValueError:
            return self._gerror(400, "Invalid JSON payload received. Unexpected token.")
        try:
            summary = self._check_generate(model, body, req)
        except _GError as exc:
            return self._from(exc)
        self.generate_requests.append(summary)

        moderation = self.take_fault({"moderation"}, req)
        usage = {
            "promptTokenCount": summary["prompt_tokens"],
            "promptTokensDetails": summary["token_details"],
        }
        base = {"modelVersion": model, "responseId": secrets.token_urlsafe(12)}
        ratings = [
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True},
            {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
        ]
        if moderation is not None:
            usage["totalTokenCount"] = summary["prompt_tokens"]
            if moderation.options.get("stage", "prompt") == "output":
                cand = {"finishReason": "SAFETY", "index": 0, "safetyRatings": ratings}
                return Response.json(200, {"candidates": [cand], "usageMetadata": usage, **base})
            feedback = {"blockReason": "SAFETY", "safetyRatings": ratings}
            return Response.json(200, {"promptFeedback": feedback, "usageMetadata": usage, **base})

        n = int(summary["candidate_count"])
        texts = [self._answer(body, summary) for _ in range(n)]
        if self.take_fault({"malformed_json"}, req) is not None:
            texts = [_answers.break_json(t) for t in texts]
        out_tokens = sum(_answers_tokens(t) for t in texts)
        usage.update(
            candidatesTokenCount=out_tokens, totalTokenCount=summary["prompt_tokens"] + out_tokens
        )
        candidates = [
            {
                "content": {"parts": [{"text": t}], "role": "model"},
                "finishReason": "STOP",
                "index": i,
            }
            for i, t in enumerate(texts)
        ]
        return Response.json(200, {"candidates": candidates, "usageMetadata": usage, **base})

    def _answer(self, body: dict[str, Any], summary: dict[str, Any]) -> str:
        if self.responder is not None:
            out = self.responder(body)
            return out if isinstance(out, str) else json.dumps(out)
        ctx = _answers.AnswerContext(
            question=summary["question"],
            videos=summary["videos"],
            images=summary["images"],
            video_seconds=summary["video_seconds"][0] if summary["video_seconds"] else None,
            model=summary["model"],
        )
        mime = summary["response_mime_type"]
        if mime == "text/x.enum":
            schema = summary["schema"] or {}
            values = _get(schema, "enum") or ["UNKNOWN"]
            return str(values[0])
        return _answers.answer_text(summary["schema"], mime == "application/json", ctx)

    def _check_generate(self, model: str, body: Any, req: Request) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _GError(400, "Invalid JSON payload received. Expected an object.")
        contents = _get(body, "contents")
        if not contents:
            raise _GError(400, "* GenerateContentRequest.contents: contents is not specified\n")
        if not isinstance(contents, list):
            raise _GError(
                400,
                "Invalid value at 'contents' (type.googleapis.com/google.ai.generativelanguage.v1beta.Content).",
            )
        gemini3 = model.startswith("gemini-3")
        per_frame = 70 if gemini3 else 258
        audio_per_s = 25 if gemini3 else 32
        text_tokens = image_tokens = video_tokens = audio_tokens = 0
        videos = images = 0
        durations: list[float] = []
        fps_used: list[float] = []
        texts: list[str] = []
        for ci, content in enumerate(contents):
            parts = _get(content, "parts")
            if not isinstance(parts, list) or not parts:
                raise _GError(
                    400,
                    f"* GenerateContentRequest.contents[{ci}].parts: contents.parts must not be empty.\n",
                )
            role = _get(content, "role", "user")
            if role not in ("user", "model", "function", "tool"):
                raise _GError(400, "Please use a valid role: user, model.")
            for pi, part in enumerate(parts):
                where = f"contents[{ci}].parts[{pi}]"
                if not isinstance(part, dict):
                    raise _GError(400, f"Invalid value at '{where}'.")
                meta = _get(part, "video_metadata")
                fps, span = self._check_video_meta(meta, where)
                text = _get(part, "text")
                inline = _get(part, "inline_data")
                file_data = _get(part, "file_data")
                if text is not None:
                    if role == "user":
                        texts.append(str(text))
                    text_tokens += _answers_tokens(str(text))
                elif inline is not None:
                    mime = str(_get(inline, "mime_type") or "").lower()
                    raw = _get(inline, "data")
                    if not mime:
                        raise _GError(
                            400,
                            f"* GenerateContentRequest.{where}.inline_data.mime_type: required field is not set.\n",
                        )
                    try:
                        data = _media.b64decode(str(raw or ""))
                    except ValueError:  # binascii.Error is a ValueError
                        raise _GError(
                            400,
                            f"Invalid value at '{where}.inline_data.data' (TYPE_BYTES), Base64 decoding failed.",
                        ) from None
                    if mime.startswith("video/"):
                        if mime not in VIDEO_MIMES:
                            raise _GError(400, f"Unsupported MIME type: {mime}")
                        probed = _media.video_duration(data)
                        if probed is None:
                            raise _GError(400, "Request contains an invalid argument.")
                        videos += 1
                        dur = self._clip(probed[0], span)
                        durations.append(dur)
                        fps_used.append(fps)
                        video_tokens += round(dur * fps) * per_frame
                        if probed[1]:
                            audio_tokens += round(dur * audio_per_s)
                    elif mime.startswith("image/"):
                        if mime not in IMAGE_MIMES:
                            raise _GError(400, f"Unsupported MIME type: {mime}")
                        if (
                            mime in ("image/png", "image/jpeg", "image/webp")
                            and _media.image_info(data) is None
                        ):
                            raise _GError(
                                400,
                                "Unable to process input image. Please retry or report in "
                                "https://developers.generativeai.google/guide/troubleshooting",
                            )
                        images += 1
                        image_tokens += 258
                    elif mime not in OTHER_MIMES and not mime.startswith("audio/"):
                        raise _GError(400, f"Unsupported MIME type: {mime}")
                    else:
                        text_tokens += _answers_tokens(data[:4000].decode("utf-8", "ignore"))
                elif file_data is not None:
                    uri = str(_get(file_data, "file_uri") or "")
                    if not uri:
                        raise _GError(
                            400,
                            f"* GenerateContentRequest.{where}.file_data.file_uri: required field is not set.\n",
                        )
                    if re.match(r"^https?://(www\.|m\.)?(youtube\.com|youtu\.be)/", uri):
                        videos += 1  # never fetched: assume a one-minute public video
                        dur = self._clip(60.0, span)
                        durations.append(dur)
                        fps_used.append(fps)
                        video_tokens += round(dur * fps) * per_frame
                        audio_tokens += round(dur * audio_per_s)
                        continue
                    m = _FILE_REF.search(uri)
                    if not m:
                        raise _GError(400, f"Invalid or unsupported file uri: {uri}")
                    f = self._lookup(m.group(1), req)
                    state = f.state(self.clock.now())
                    if state != "ACTIVE":
                        raise _GError(
                            400,
                            f"The File {f.id} is not in an ACTIVE state and usage is not allowed.",
                            "FAILED_PRECONDITION",
                        )
                    if f.mime_type.startswith("video/") and f.video is not None:
                        videos += 1
                        dur = self._clip(f.video[0], span)
                        durations.append(dur)
                        fps_used.append(fps)
                        video_tokens += round(dur * fps) * per_frame
                        if f.video[1]:
                            audio_tokens += round(dur * audio_per_s)
                    elif f.mime_type.startswith("image/"):
                        images += 1
                        image_tokens += 258
                    else:
                        text_tokens += 258
                elif meta is not None:
                    pass  # metadata alone in a part applies to nothing; accepted
                elif not any(
                    _get(part, k) is not None
                    for k in (
                        "function_call",
                        "function_response",
                        "executable_code",
                        "code_execution_result",
                        "thought_signature",
                    )
                ):
                    raise _GError(
                        400,
                        f"* GenerateContentRequest.{where}.data: required oneof field 'data' must have one initialized field\n",
                    )
        system = _get(body, "system_instruction")
        if system is not None:
            for part in _get(system, "parts") or []:
                text_tokens += _answers_tokens(str(_get(part, "text") or ""))
        config = _get(body, "generation_config") or {}
        mime = str(_get(config, "response_mime_type") or "text/plain")
        schema = _get(config, "response_schema")
        json_schema = _get(config, "response_json_schema")
        if mime not in RESPONSE_MIMES:
            raise _GError(
                400,
                f"* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are `text/plain`, `application/json`, `text/x.enum`. Got {mime}.\n",
            )
        if schema is not None and json_schema is not None:
            raise _GError(400, "Only one of response_schema and response_json_schema may be set.")
        if (schema is not None or json_schema is not None) and mime == "text/plain":
            raise _GError(
                400,
                "* GenerateContentRequest.generation_config.response_mime_type: must be application/json or "
                "text/x.enum when response_schema is set.\n",
            )
        count = _get(config, "candidate_count", 1) or 1
        if not isinstance(count, int) or not 1 <= count <= 8:
            raise _GError(
                400,
                "* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8.\n",
            )
        details = [{"modality": "TEXT", "tokenCount": text_tokens}]
        if image_tokens:
            details.append({"modality": "IMAGE", "tokenCount": image_tokens})
        if video_tokens:
            details.append({"modality": "VIDEO", "tokenCount": video_tokens})
        if audio_tokens:
            details.append({"modality": "AUDIO", "tokenCount": audio_tokens})
        return {
            "model": model,
            "videos": videos,
            "images": images,
            "video_seconds": durations,
            "fps": fps_used,
            "response_mime_type": mime,
            "schema": schema if schema is not None else json_schema,
            "schema_field": "responseSchema"
            if schema is not None
            else ("responseJsonSchema" if json_schema is not None else None),
            "candidate_count": count,
            "question": texts[-1] if texts else "",
            "prompt_tokens": text_tokens + image_tokens + video_tokens + audio_tokens,
            "token_details": details,
        }

    @staticmethod
    def _clip(duration: float, span: tuple[float | None, float | None]) -> float:
        start, end = span
        start = start or 0.0
        end = duration if end is None else min(end, duration)
        return max(0.0, end - start)

    @staticmethod
    def _check_video_meta(meta: Any, where: str) -> tuple[float, tuple[float | None, float | None]]:
        if meta is None:
            return 1.0, (None, None)
        if not isinstance(meta, dict):
            raise _GError(400, f"Invalid value at '{where}.video_metadata'.")
        fps = _get(meta, "fps")
        if fps is None:
            fps = 1.0
        try:
            fps = float(fps)
        except (TypeError, ValueError):
            raise _GError(
                400, f"Invalid value at '{where}.video_metadata.fps' (TYPE_DOUBLE)."
            ) from None
        if not 0 < fps <= 24:
            raise _GError(
                400,
                f"* GenerateContentRequest.{where}.video_metadata.fps: fps must be in the range (0, 24].\n",
            )
        try:
            start = _duration(_get(meta, "start_offset"))
            end = _duration(_get(meta, "end_offset"))
        except ValueError as exc:
            raise _GError(
                400,
                f"Invalid value at '{where}.video_metadata' (type.googleapis.com/google.protobuf.Duration), Field '{exc}': invalid duration.",
            ) from None
        if (start is not None and start < 0) or (end is not None and end < 0):
            raise _GError(
                400,
                f"* GenerateContentRequest.{where}.video_metadata: offsets must not be negative.\n",
            )
        if start is not None and end is not None and end <= start:
            raise _GError(
                400,
                f"* GenerateContentRequest.{where}.video_metadata: end_offset must be after start_offset.\n",
            )
        return fps, (start, end)


def _answers_tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4) if text else 0
