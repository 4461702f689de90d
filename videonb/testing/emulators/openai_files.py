"""The OpenAI Files API on the emulator kit, enough for images referenced by ``file_id``
(a Responses ``input_image``, a Videos ``input_reference``): ``POST /v1/files``
(multipart ``file`` + ``purpose``), ``GET /v1/files`` (cursor list, ``purpose`` filter),
``GET`` / ``DELETE /v1/files/{id}`` and ``GET /v1/files/{id}/content``.

Shapes follow openai 3.57's ``types/file_object.py`` (``status`` ``processed``) and
``FilePurpose``; an unknown id answers 404 ``No such File object: <id>`` (param ``id``), as
api.openai.com does.  A file used as an image must have purpose ``vision`` or
``user_data`` and decode as PNG, JPEG, GIF or WebP.  A mixin of
:class:`~videonb.testing.emulators.openai.OpenAIEmulator`."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

from . import _media, _multipart
from .kit.dialects import openai_check, openai_page
from .kit.emulator import Emulator
from .kit.http import Invalid, Request, Response, media_response

__all__ = ["FILE_PURPOSES", "FilesAPI"]

#: ``FilePurpose`` of openai 3.57 (what ``files.create`` accepts).
FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
#: Largest upload (the SDK's ``files.create`` docstring: "Individual files can be up to 512 MB").
FILE_LIMIT = 512 * 1024 * 1024


@dataclass
class OpenAIFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created: int
    content_type: str | None = None

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "object": "file", "bytes": len(self.data),
                "created_at": self.created, "filename": self.filename, "purpose": self.purpose,
                "status": "processed", "expires_at": None, "status_details": None}


class FilesAPI(Emulator):
    """The handlers of the ``/v1/files`` routes."""

    def _init_files(self) -> None:
        self.files: dict[str, OpenAIFile] = {}
        self._files_lock = threading.Lock()

    def _file(self, file_id: Any, param: str = "id") -> OpenAIFile:
        with self._files_lock:
            f = self.files.get(str(file_id))
        if f is None:
            raise Invalid(f"No such File object: {file_id}", status=404, param=param)
        return f

    def vision_file(self, file_id: Any, param: str) -> bytes:
        """The bytes of an image file referenced by ``file_id`` (404 / 400 as the API)."""
        f = self._file(file_id, param)
        if f.purpose not in ("vision", "user_data"):
            raise Invalid(f"Invalid file '{f.id}': files used as images need purpose 'vision' "
                          f"or 'user_data', not '{f.purpose}'.", param=param, code="invalid_value")
        if _media.image_info(f.data) is None:
            raise Invalid(f"Invalid file '{f.id}': it is not a PNG, JPEG, GIF or WebP image.",
                          param=param, code="invalid_image_format")
        return f.data

    def _file_create(self, req: Request) -> Response:
        try:
            form = req.form()
        except _multipart.MultipartError as exc:
            raise Invalid(f"Could not parse multipart form: {exc}.") from None
        if form is None:
            raise Invalid("Files must be uploaded as multipart/form-data.")
        openai_check(form.get("purpose"), "purpose", required=True, choices=FILE_PURPOSES)
        part = form.get("file")
        if not isinstance(part, _multipart.Part):
            raise Invalid("Missing required parameter: 'file'.", param="file",
                          code="missing_required_parameter")
        if len(part.data) > FILE_LIMIT:
            raise Invalid("File is too large. Individual files can be up to 512 MB.",
                          param="file", code="file_too_large", status=413)
        f = OpenAIFile("file-" + secrets.token_hex(11), part.filename or "upload",
                       form["purpose"], part.data, int(self.clock.now()), part.content_type)
        with self._files_lock:
            self.files[f.id] = f
        self.counts.add("files")
        return Response.json(200, f.json())

    def _file_get(self, req: Request) -> Response:
        return Response.json(200, self._file(req.match["id"]).json())  # type: ignore[index]

    def _file_delete(self, req: Request) -> Response:
        f = self._file(req.match["id"])  # type: ignore[index]
        with self._files_lock:
            self.files.pop(f.id, None)
        return Response.json(200, {"id": f.id, "object": "file", "deleted": True})

    def _file_content(self, req: Request) -> Response:
        f = self._file(req.match["id"])  # type: ignore[index]
        return media_response(req, f.data, f.content_type or "application/octet-stream")

    def _file_list(self, req: Request) -> Response:
        purpose = req.param("purpose")
        with self._files_lock:
            files = [f for f in self.files.values() if purpose in (None, f.purpose)]
        files.sort(key=lambda f: f.created)
        return openai_page(req, files, limit=10000, maximum=10000, key=lambda f: f.id,
                           render=OpenAIFile.json)
