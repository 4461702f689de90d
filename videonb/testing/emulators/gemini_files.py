"""The Gemini Files API on the emulator kit: the resumable upload google-genai uses
(``X-Goog-Upload-*`` headers over kit upload sessions), and ``files.get`` /
``files.list`` / ``files.delete``.  A file is ``PROCESSING`` for
``file_processing_seconds``, then ``ACTIVE`` (or ``FAILED`` when a video cannot be
decoded or a fault says so), and expires after ``file_ttl`` on the simulated clock.
A mixin of :class:`~videonb.testing.emulators.gemini.GeminiEmulator`."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from . import _media
from .kit.emulator import Emulator
from .kit.http import Invalid, Request, Response, iso8601
from .kit.pages import page_by_token
from .kit.uploads import UploadSessions

__all__ = ["FilesAPI", "GeminiFile", "get_field"]

_UPLOAD_GRANULARITY = 8 * 1024 * 1024
_FINAL = {"X-Goog-Upload-Status": "final"}
_ACTIVE = {"X-Goog-Upload-Status": "active"}


def get_field(d: Any, name: str, default: Any = None) -> Any:
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


def _fmt_duration(seconds: float) -> str:
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"


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


class FilesAPI(Emulator):
    """The handlers of the Files API routes (the Gemini emulator registers them)."""

    file_ttl: float
    max_file_bytes: int
    file_processing_seconds: float

    def _init_files(self) -> None:
        self.files: dict[str, GeminiFile] = {}
        self.uploads = UploadSessions()
        self._files_lock = threading.RLock()

    def _file_json(self, f: GeminiFile) -> dict[str, Any]:
        state = f.state(self.clock.now())
        out: dict[str, Any] = {
            "name": f.name,
            "mimeType": f.mime_type,
            "sizeBytes": str(len(f.data)),
            "createTime": iso8601(f.created, millis=False),
            "updateTime": iso8601(f.ready_at if state != "PROCESSING" else f.created, millis=False),
            "expirationTime": iso8601(f.expires, millis=False),
            # base64 of the hex digest: the shape of the API's own values, e.g. "MTgzNjUw…" in
            # googleapis/js-genai#381 (2025-03-29) decodes to 64 hex digits.
            "sha256Hash": base64.b64encode(hashlib.sha256(f.data).hexdigest().encode()).decode(),
            # The API version the file was uploaded through (a v1beta upload's uri says v1beta
            # [googleapis/js-genai#381]; that a v1 upload's says v1 is UNCONFIRMED).
            "uri": f"{self.base_url}/{f.extra.get('version', 'v1beta')}/{f.name}",
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

    def lookup(self, file_id: str, req: Request) -> GeminiFile:
        """The file, or the 403 the API answers for a file that is gone or never was."""
        with self._files_lock:
            f = self.files.get(file_id)
            if f is not None and not self.output_expired(req, f.expires):
                return f
            self.files.pop(file_id, None)
        raise Invalid(f"You do not have permission to access the File {file_id} or it may "
                      "not exist.", status=403)

    def _get_file(self, req: Request) -> Response:
        return Response.json(200, self._file_json(self.lookup(req.match["id"], req)))  # type: ignore[index]

    def _download_file(self, req: Request) -> Response:
        """``files/{id}:download``: only generated files download; every file here was
        uploaded (the emulator generates no files), so this is the refusal, in the SDK's
        words for the same case (the API's own wording is UNCONFIRMED)."""
        f = self.lookup(req.match["id"], req)  # type: ignore[index]
        raise Invalid(f"Only generated files can be downloaded, uploaded files can't be "
                      f"downloaded: {f.name} was uploaded.", grpc="FAILED_PRECONDITION")

    def _delete_file(self, req: Request) -> Response:
        f = self.lookup(req.match["id"], req)  # type: ignore[index]
        with self._files_lock:
            self.files.pop(f.id, None)
        return Response.json(200, {})

    def _list_files(self, req: Request) -> Response:
        try:
            size = max(1, min(int(req.param("pageSize") or 10), 100))
        except ValueError:
            raise Invalid("Invalid value at 'page_size' (TYPE_INT32).") from None
        now = self.clock.now()
        with self._files_lock:
            for fid in [k for k, f in self.files.items() if now >= f.expires]:
                del self.files[fid]
            items = sorted(self.files.values(), key=lambda f: f.created, reverse=True)
        try:
            page, token = page_by_token(items, size, req.param("pageToken"))
        except ValueError:
            raise Invalid("Invalid page token.") from None
        out: dict[str, Any] = {"files": [self._file_json(f) for f in page]}
        if token:
            out["nextPageToken"] = token
        return Response.json(200, out)

    def _upload(self, req: Request) -> Response:
        upload_id = req.param("upload_id")
        return self._upload_start(req) if upload_id is None else self._upload_chunk(req, upload_id)

    def _upload_start(self, req: Request) -> Response:
        protocol = (req.header("x-goog-upload-protocol") or "").lower()
        if protocol != "resumable":
            raise Invalid(f"Upload protocol '{protocol or 'none'}' is not supported by the "
                          "emulator; use resumable.")
        if (req.header("x-goog-upload-command") or "").lower() != "start":
            raise Invalid("Expected X-Goog-Upload-Command: start.")
        try:
            size = int(req.header("x-goog-upload-header-content-length") or "")
        except ValueError:
            raise Invalid("Missing or invalid X-Goog-Upload-Header-Content-Length.") from None
        if size > self.max_file_bytes:
            raise Invalid(f"File size {size} exceeds the maximum of {self.max_file_bytes} bytes.")
        try:
            meta = get_field(req.json() or {}, "file") or {}
        except ValueError:
            raise Invalid("Invalid JSON payload received.") from None
        mime = (req.header("x-goog-upload-header-content-type") or get_field(meta, "mime_type")
                or "application/octet-stream")
        name, file_id = get_field(meta, "name"), None
        if name:
            m = re.match(r"^(?:files/)?([a-z0-9-]{1,40})\Z", str(name))
            if not m or m.group(1).startswith("-") or m.group(1).endswith("-"):
                raise Invalid(f"Invalid file name: {name}. It must be at most 40 characters of "
                              "[a-z0-9-].")
            file_id = m.group(1)
            with self._files_lock:
                if file_id in self.files:
                    raise Invalid(f"File files/{file_id} already exists.", status=409)
        ver = req.match["ver"] if req.match else "v1beta"
        session = self.uploads.open(size, mime=mime.split(";")[0].strip().lower(), file_id=file_id,
                                    display_name=get_field(meta, "display_name"), version=ver)
        url = (f"{self.base_url}/upload/{ver}/files?upload_id={session.id}"
               "&upload_protocol=resumable")
        headers = {**_ACTIVE, "X-Goog-Upload-URL": url, "X-Goog-Upload-Control-URL": url,
                   "X-Goog-Upload-Chunk-Granularity": str(_UPLOAD_GRANULARITY)}
        return Response(200, b"", headers, "text/plain; charset=utf-8")

    def _upload_chunk(self, req: Request, upload_id: str) -> Response:
        session = self.uploads.get(upload_id)
        if session is None:
            raise Invalid("Upload session not found or already finalized.", status=404,
                          headers=_FINAL)
        header = req.header("x-goog-upload-command") or ""
        commands = {c.strip() for c in header.lower().split(",") if c.strip()}
        received = {"X-Goog-Upload-Size-Received": str(session.received)}
        if "cancel" in commands:
            self.uploads.close(upload_id)
            return Response(200, b"", {"X-Goog-Upload-Status": "cancelled"}, "text/plain")
        if "query" in commands:
            headers = {**_ACTIVE, **received,
                       "X-Goog-Upload-Chunk-Granularity": str(_UPLOAD_GRANULARITY)}
            return Response(200, b"", headers, "text/plain")
        if not commands & {"upload", "finalize"}:
            raise Invalid("Expected X-Goog-Upload-Command: upload, finalize, query or cancel.",
                          headers=_ACTIVE)
        if "upload" in commands:
            try:
                offset = int(req.header("x-goog-upload-offset") or "")
            except ValueError:
                raise Invalid("Missing or invalid X-Goog-Upload-Offset.", headers=_ACTIVE) from None
            refused = self.uploads.append(session, offset, req.body)
            if refused == "offset":
                raise Invalid(f"Invalid X-Goog-Upload-Offset {offset}: {session.received} bytes "
                              "were received so far.", headers={**_ACTIVE, **received})
            if refused == "overflow":
                raise Invalid("More bytes were uploaded than declared in "
                              "X-Goog-Upload-Header-Content-Length.", headers=_FINAL)
        received = {"X-Goog-Upload-Size-Received": str(session.received)}
        if "finalize" not in commands:
            return Response(200, b"", {**_ACTIVE, **received}, "text/plain")
        self.uploads.close(upload_id)
        if session.received != session.size:
            raise Invalid(f"Upload finalized with {session.received} bytes but {session.size} "
                          "were declared.", headers=_FINAL)
        f = self._create_file(req, session.meta, bytes(session.data))
        return Response.json(200, {"file": self._file_json(f)}, {**_FINAL, **received})

    def _create_file(self, req: Request, meta: dict[str, Any], data: bytes) -> GeminiFile:
        now = self.clock.now()
        mime, fail, video = meta["mime"], None, None
        if mime.startswith("video/"):
            video = _media.video_duration(data)
            if video is None:
                fail = "The video could not be processed: it is not a decodable video file."
        fault = self.take_fault({"file_processing_failed", "job_failure"}, req)
        if fault is not None:
            fail = fault.options.get("message", "File processing failed.")
        f = GeminiFile(id=meta["file_id"] or secrets.token_hex(6),
                       display_name=meta["display_name"], mime_type=mime, data=data, created=now,
                       ready_at=now + self.file_processing_seconds, expires=now + self.file_ttl,
                       fail=fail, video=video, extra={"version": meta.get("version", "v1beta")})
        with self._files_lock:
            self.files[f.id] = f
        self.counts.add("files")
        return f
