"""The values a route sees and returns: the parsed :class:`Request`, the
:class:`Response` (a body, or a stream of chunks), the :class:`Invalid` error a
route raises for a bad request, and small encoders every provider needs (ISO times,
``Range`` answers, server-sent events)."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Invalid",
    "Request",
    "Response",
    "fmt_number",
    "iso8601",
    "media_response",
    "sse_response",
]


class Request:
    """One parsed HTTP request as a route handler sees it.

    ``match`` is the route pattern's match (named groups: ``req.match["id"]``) and
    ``route`` the :class:`~.emulator.Route` that answers it (``None`` when no route
    matched)."""

    def __init__(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        base_url: str,
    ) -> None:
        self.method = method.upper()
        self.target = target
        split = urllib.parse.urlsplit(target)
        self.path = urllib.parse.unquote(split.path) or "/"
        self.raw_query = split.query
        self.query: dict[str, list[str]] = urllib.parse.parse_qs(
            split.query, keep_blank_values=True
        )
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body
        self.base_url = base_url
        self.match: re.Match[str] | None = None  # set by the router
        self.route: Any = None  # the Route that answers, set by the router
        self._json: Any = None
        self._json_done = False

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it is not JSON)."""
        if not self._json_done:
            text = self.body.decode("utf-8") if self.body else ""
            self._json = json.loads(text) if text.strip() else None
            self._json_done = True
        return self._json

    def form(self) -> dict[str, Any] | None:
        """A ``multipart/form-data`` or url-encoded body as fields (uploaded files as
        :class:`~.._multipart.Part`); ``None`` for any other content type.  Raises
        :class:`~.._multipart.MultipartError` for a broken multipart body."""
        if self.content_type == "multipart/form-data":
            from .. import _multipart

            return _multipart.to_fields(
                _multipart.parse(self.body, self.header("content-type") or "")
            )
        if self.content_type == "application/x-www-form-urlencoded":
            return dict(urllib.parse.parse_qsl(self.body.decode("utf-8", "replace")))
        return None

    def bearer_token(self) -> str | None:
        auth = self.header("authorization") or ""
        if auth[:7].lower() == "bearer ":
            token = auth[7:].strip()
            return token or None
        return None


@dataclass
class Response:
    """What a route answers.

    ``length`` declares a ``Content-Length`` other than ``len(body)`` (the
    ``lying_length`` fault); ``stream`` is an iterable of further chunks sent with
    chunked transfer encoding after ``body`` (the ``endless`` fault); ``close`` closes
    the connection after the answer, without the final empty chunk of a stream."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    length: int | None = None
    stream: Iterable[bytes] | None = None
    close: bool = False

    @classmethod
    def json(cls, status: int, obj: Any, headers: Mapping[str, str] | None = None) -> Response:
        body = json.dumps(obj, separators=(",", ":")).encode("utf-8")
        return cls(status, body, dict(headers or {}), "application/json; charset=utf-8")

    @classmethod
    def empty(cls, status: int = 204, headers: Mapping[str, str] | None = None) -> Response:
        return cls(status, b"", dict(headers or {}), None)

    @classmethod
    def text(
        cls,
        status: int,
        text: str,
        content_type: str = "text/plain; charset=utf-8",
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        return cls(status, text.encode("utf-8"), dict(headers or {}), content_type)


class Invalid(Exception):
    """Raised by a route for a request the provider rejects; the emulator turns it into
    the provider's error body (:meth:`~.emulator.Emulator.invalid_response`).

    ``param`` names the offending field, ``code`` is the provider's machine code;
    anything else the provider's body needs (``issues``, ``grpc``, ``details``) goes in
    ``extra``; ``headers`` are added to the answer."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.param = param
        self.code = code
        self.headers = dict(headers or {})
        self.extra = extra


def fmt_number(value: float | str) -> str:
    """``2`` for 2.0, ``0.05`` for 0.05 (header values such as ``Retry-After``)."""
    if isinstance(value, str):
        return value
    f = float(value)
    return str(int(f)) if f.is_integer() else repr(f)


def iso8601(ts: float, *, millis: bool = True) -> str:
    """``2026-11-01T12:00:00.000Z`` for a Unix time."""
    t = time.gmtime(ts)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", t)
    if millis:
        return f"{base}.{int((ts % 1) * 1000):03d}Z"
    return base + "Z"


def media_response(
    req: Request, data: bytes, content_type: str, headers: dict[str, str] | None = None
) -> Response:
    """A 200 (or 206 for a ``Range`` request, 416 for an unsatisfiable one) with *data*."""
    h = {"Accept-Ranges": "bytes", **(headers or {})}
    rng = req.header("range")
    m = re.match(r"^bytes=(\d*)-(\d*)\Z", (rng or "").strip())
    if m and (m.group(1) or m.group(2)):
        size = len(data)
        if m.group(1):
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        else:
            start = max(0, size - int(m.group(2)))
            end = size - 1
        if start >= size or start > end:
            return Response(416, b"", {"Content-Range": f"bytes */{size}"}, None)
        h["Content-Range"] = f"bytes {start}-{end}/{size}"
        return Response(206, data[start : end + 1], h, content_type)
    return Response(200, data, h, content_type)


def sse_response(
    events: Iterable[Any],
    *,
    separator: str = "\n\n",
    done: str | None = None,
    content_type: str = "text/event-stream",
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A server-sent-events answer: each event (a JSON-able object, or a string sent
    as is) becomes ``data: …`` followed by *separator*; *done* (e.g. ``"[DONE]"``) is
    sent as a last event."""
    lines = []
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event, separators=(",", ":"))
        lines.append(f"data: {data}{separator}")
    if done is not None:
        lines.append(f"data: {done}{separator}")
    return Response(200, "".join(lines).encode("utf-8"), dict(headers or {}), content_type)
