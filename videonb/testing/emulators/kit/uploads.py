"""Uploads in progress: a session declares its total size, takes chunks at the right
offset, and ends once, finalized or cancelled.  The wire protocol (Google's
``X-Goog-Upload-*`` headers, a presigned form POST, OpenAI's upload parts) is the
provider's; the bookkeeping is here."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["UploadSession", "UploadSessions"]


@dataclass
class UploadSession:
    id: str
    size: int  # the total the client declared
    meta: dict[str, Any] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)

    @property
    def received(self) -> int:
        return len(self.data)


class UploadSessions:
    """The open upload sessions of one emulator (thread-safe)."""

    def __init__(self) -> None:
        self._open: dict[str, UploadSession] = {}
        self._lock = threading.Lock()

    def open(self, size: int, **meta: Any) -> UploadSession:
        session = UploadSession(secrets.token_urlsafe(24), int(size), meta)
        with self._lock:
            self._open[session.id] = session
        return session

    def get(self, upload_id: str) -> UploadSession | None:
        with self._lock:
            return self._open.get(upload_id)

    def append(self, session: UploadSession, offset: int, chunk: bytes) -> str | None:
        """Add *chunk* at *offset*; or the reason it is refused: ``"offset"`` (not where
        the received bytes end; nothing changes) or ``"overflow"`` (more than declared;
        the session is closed)."""
        with self._lock:
            if offset != len(session.data):
                return "offset"
            session.data.extend(chunk)
            if len(session.data) > session.size:
                self._open.pop(session.id, None)
                return "overflow"
        return None

    def close(self, upload_id: str) -> UploadSession | None:
        """End a session (finalized or cancelled); None if it was not open."""
        with self._lock:
            return self._open.pop(upload_id, None)
