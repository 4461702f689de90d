"""Runway's ephemeral uploads on the emulator kit, as runwayml's
``uploads.create_ephemeral`` drives them [runwayml 5.24 ``resources/uploads.py``;
docs.dev.runwayml.com/assets/uploads]:

1. ``POST /v1/uploads`` ``{"filename": ..., "type": "ephemeral"}`` (API key, version
   header) → ``{"uploadUrl", "fields", "runwayUri"}``;
2. a ``multipart/form-data`` POST of the ``fields`` plus ``file`` to ``uploadUrl``: a
   presigned storage URL that takes no API key.  It answers like an S3 presigned POST:
   ``204`` with no body, or an XML ``<Error>`` (``AccessDenied`` for a wrong or expired
   signature, ``EntityTooLarge`` above ``max_upload_bytes``, ``InvalidArgument`` for a
   missing file);
3. the ``runwayUri`` (``runway://…``) is then a media input of any generation for 24 h
   [runwayml/skills rw-integrate-uploads: "runway:// URIs are valid for 24 hours"].

The storage answers are S3's wording (the SDK only checks the status); the upload limit
is providers.md's "upload ≤200 MB" (docs.dev.runwayml.com/assets/inputs).  A mixin of
:class:`~videonb.testing.emulators.runway.RunwayEmulator`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import mimetypes
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from . import _media, _multipart
from .kit.checks import check
from .kit.emulator import Emulator
from .kit.http import Invalid, Request, Response, iso8601

__all__ = ["UPLOAD_LIMIT", "UPLOAD_TTL", "RunwayUpload", "RunwayUploads"]

#: Largest upload, in bytes (providers.md §2: "upload ≤200 MB").
UPLOAD_LIMIT = 200 * 1024 * 1024
#: How long a ``runway://`` URI stays usable (24 h), and a presigned form (1 h, S3's default
#: for presigned posts; Runway does not document it).
UPLOAD_TTL = 24 * 3600.0
FORM_TTL = 3600.0


@dataclass
class RunwayUpload:
    """One ephemeral upload: its form, then (once posted) its bytes."""

    id: str
    filename: str
    created: float
    data: bytes | None = None
    content_type: str = "application/octet-stream"

    @property
    def uri(self) -> str:
        return f"runway://{self.id}"

    @property
    def kind(self) -> str:
        """``image``, ``video``, ``audio`` or ``other``, from the file's content."""
        if self.data is None:
            return "other"
        if _media.image_info(self.data) is not None:
            return "image"
        major = self.content_type.split("/")[0]
        return major if major in ("image", "video", "audio") else "other"


class RunwayUploads(Emulator):
    """The handlers of ``POST /v1/uploads`` and of the presigned upload form."""

    max_upload_bytes: int

    def _init_uploads(self) -> None:
        self.uploads: dict[str, RunwayUpload] = {}
        self._uploads_lock = threading.Lock()
        self._upload_key = secrets.token_bytes(16)

    def _sign_form(self, upload_id: str, policy: str) -> str:
        return hmac.new(self._upload_key, f"{upload_id}\n{policy}".encode(), hashlib.sha256).hexdigest()

    def _create_upload(self, req: Request) -> Response:
        try:
            body = req.json()
        except ValueError:
            raise Invalid("Request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise Invalid("Validation of body failed", issues=self.zod(check(body, "", required=True,
                                                                           type="object")))
        issues = self.zod(check(body.get("filename"), "filename", required=True, type="string",
                                minimum=1, maximum=255))
        issues += self.zod(check(body.get("type"), "type", required=True, choices=("ephemeral",)))
        if issues:
            raise Invalid("Validation of body failed", issues=issues)
        now = self.clock.now()
        up = RunwayUpload(secrets.token_hex(12), body["filename"], now)
        with self._uploads_lock:
            self.uploads[up.id] = up
        key = f"ephemeral/{up.id}/{up.filename}"
        policy = base64.b64encode(json.dumps({
            "expiration": iso8601(now + FORM_TTL),
            "conditions": [{"key": key}, ["content-length-range", 0, self.max_upload_bytes]],
        }, separators=(",", ":")).encode()).decode()
        fields = {"key": key, "policy": policy,
                  "x-amz-signature": self._sign_form(up.id, policy)}
        return Response.json(200, {"uploadUrl": f"{self.base_url}/storage/{up.id}",
                                   "fields": fields, "runwayUri": up.uri})

    def _storage_error(self, status: int, code: str, message: str) -> Response:
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{code}</Code><Message>{message}</Message></Error>")
        return Response(status, body.encode(), {}, "application/xml")

    def _upload_form(self, req: Request) -> Response:
        upload_id = req.match["id"]  # type: ignore[index]
        with self._uploads_lock:
            up = self.uploads.get(upload_id)
        try:
            form = req.form()
        except _multipart.MultipartError:
            form = None
        if up is None or form is None:
            return self._storage_error(400, "InvalidArgument",
                                       "POST requires exactly one file upload per request.")
        policy = str(form.get("policy") or "")
        signature = str(form.get("x-amz-signature") or "")
        if not hmac.compare_digest(signature, self._sign_form(up.id, policy)):
            return self._storage_error(403, "AccessDenied", "Invalid according to Policy: "
                                       "Policy Condition failed")
        if self.clock.now() >= up.created + FORM_TTL:
            return self._storage_error(403, "AccessDenied",
                                       "Invalid according to Policy: Policy expired.")
        file = form.get("file")
        if not isinstance(file, _multipart.Part):
            return self._storage_error(400, "InvalidArgument",
                                       "POST requires exactly one file upload per request.")
        if len(file.data) > self.max_upload_bytes:
            return self._storage_error(400, "EntityTooLarge", "Your proposed upload exceeds the "
                                       "maximum allowed size")
        guessed = mimetypes.guess_type(up.filename)[0]
        up.content_type = (file.content_type if file.content_type not in
                           (None, "", "application/octet-stream") else None) or guessed or \
            "application/octet-stream"
        up.data = file.data
        self.counts.add("files")
        return Response.empty(204)

    def upload_problem(self, uri: str, kind: str) -> str | None:
        """Why a ``runway://`` URI cannot be a *kind* input, or None when it can."""
        with self._uploads_lock:
            up = self.uploads.get(uri[len("runway://"):])
        if up is None or up.data is None:
            return "The upload URI does not refer to a completed upload."
        if self.clock.now() >= up.created + UPLOAD_TTL:
            return "The upload URI has expired: runway:// URIs are valid for 24 hours."
        if up.kind != kind:
            return f"The uploaded file is not an {kind}." if kind == "image" else \
                f"The uploaded file is not a {kind}."
        return None

    def zod(self, problem: Any) -> list[dict[str, Any]]:
        """The zod issues of a :class:`~.kit.checks.Problem` (the Runway emulator's wording)."""
        raise NotImplementedError
