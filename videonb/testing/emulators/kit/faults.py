"""Fault injection, generic over providers.

A :class:`Fault` is armed with :meth:`Emulator.inject` and consumed by the next
matching request(s).  Three families:

- **HTTP faults**, applied to any route before it runs: a status with the provider's
  own error body (``"401"``, ``"429"``, ``"500"``, ``"502"``, ``"503"``, ``"504"``),
  ``"reset"`` (TCP RST, no answer), ``"slow"`` (answer late), ``"stall"`` (accept and
  never answer until the client gives up).
- **Download faults** (:data:`OUTPUT_FAULTS`), aimed by default at the next *output
  download* (a route of kind ``"download"``): ``"redirect"``, ``"html"``,
  ``"empty_302"``, ``"endless"``, ``"lying_length"``.  With ``match=`` or ``on=`` they
  hit any route (an HTML captive portal in front of a JSON API, say).
- **Provider faults**, consumed by the route they concern (a job that fails with a
  code, a model answer that is malformed JSON or moderated, an expired output).

Every fault is bounded: a stalled or endless answer ends when the client hangs up,
when the emulator stops, or after its ``seconds=`` / ``max_bytes=`` limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .guard import is_loopback_url
from .http import Request, Response

if TYPE_CHECKING:
    from .emulator import Emulator

__all__ = [
    "COMMON_FAULTS",
    "HTTP_FAULTS",
    "OUTPUT_FAULTS",
    "PORTAL_HTML",
    "STATUS_FAULTS",
    "Fault",
    "FaultBook",
]

#: Faults answered with that status and the provider's error body.
STATUS_FAULTS = frozenset({"401", "429", "500", "502", "503", "504"})
#: Faults every emulator understands, applied to any route before it runs.
HTTP_FAULTS = STATUS_FAULTS | {"reset", "slow", "stall"}
#: Faults of an output download (by default they hit the next route of kind "download").
OUTPUT_FAULTS = frozenset({"redirect", "html", "empty_302", "endless", "lying_length"})
#: Faults consumed by the endpoint they concern (each emulator lists those it supports).
COMMON_FAULTS = frozenset({"malformed_json", "moderation", "expired_output", "job_failure"})

#: The page the ``html`` fault answers: what a hotel or campus network shows instead.
PORTAL_HTML = (
    "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Sign in to the network</title>"
    "</head><body><h1>Welcome to Campus Wi-Fi</h1><p>Please accept the terms of use to "
    "continue.</p><form method='post' action='/login'><button>Accept</button></form>"
    "</body></html>\n"
)
#: Path of the captive-portal page every emulator serves (the target of ``empty_302``).
PORTAL_PATH = "/__emulator__/portal"


class Fault:
    """One injected fault; see :meth:`Emulator.inject`.

    ``hits`` counts the requests it answered; ``remaining`` is ``None`` for a fault
    armed until :meth:`Emulator.clear_faults`."""

    def __init__(
        self,
        kind: str,
        times: int | None,
        match: str | Callable[[str, str], bool] | None,
        options: dict[str, Any],
        on: str | None = None,
    ) -> None:
        self.kind = kind
        self.remaining = times  # None: forever
        self.match = match
        self.on = on
        self.options = options
        self.hits = 0

    @property
    def active(self) -> bool:
        return self.remaining is None or self.remaining > 0

    def matches(self, method: str, path: str) -> bool:
        m = self.match
        if m is None:
            return True
        if callable(m):
            return bool(m(method, path))
        text = m.strip()
        head, _, rest = text.partition(" ")
        if rest and head.isalpha() and head.isupper():
            return method == head and rest.strip() in path
        return text in path

    def matches_route(self, route: Any) -> bool:
        """True when ``on`` is unset or names the route's kind or name."""
        if self.on is None:
            return True
        return route is not None and self.on in (route.kind, route.name)

    def _consume(self) -> None:
        self.hits += 1
        if self.remaining is not None:
            self.remaining -= 1

    def __repr__(self) -> str:
        left = "∞" if self.remaining is None else self.remaining
        return f"Fault({self.kind!r}, remaining={left}, hits={self.hits}, match={self.match!r})"


class FaultBook:
    """The armed faults of one emulator (thread-safe)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        if fault.kind == "redirect" and "to" in fault.options:
            to = str(fault.options["to"])
            if not is_loopback_url(to):
                raise ValueError(f"redirect target {to!r} is not a loopback http(s) URL")
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(
        self,
        kinds: Callable[[str], bool] | set[str] | frozenset[str],
        req: Request,
        default_on: str | None = None,
    ) -> Fault | None:
        """Consume and return the first active fault of one of *kinds* matching *req*.

        A fault with neither ``match`` nor ``on`` gets *default_on* as its ``on``."""
        test = kinds if callable(kinds) else (lambda k: k in kinds)  # type: ignore[operator]
        with self._lock:
            for f in self._faults:
                if not (f.active and test(f.kind) and f.matches(req.method, req.path)):
                    continue
                on = f.on if (f.on is not None or f.match is not None) else default_on
                if on is not None and not (
                    req.route is not None and on in (req.route.kind, req.route.name)
                ):
                    continue
                f._consume()
                return f
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.active]


# --------------------------------------------------------------------------------------
# What the download faults answer
# --------------------------------------------------------------------------------------
def download_fault(
    fault: Fault, req: Request, emu: Emulator, real: Callable[[], Response]
) -> Response:
    """The answer of an :data:`OUTPUT_FAULTS` fault; *real* computes the route's own answer."""
    o = fault.options
    if fault.kind == "redirect":
        # To the real URL: this one again (the fault is used up, so it then answers),
        # or the same path and query on another loopback server (``to=``).
        base = str(o.get("to") or emu.base_url).rstrip("/")
        split = urlsplit(req.target)
        location = str(
            o.get("location") or base + split.path + (f"?{split.query}" if split.query else "")
        )
        return Response(int(o.get("status", 302)), b"", {"Location": location}, None)
    if fault.kind == "html":
        return Response.text(
            int(o.get("status", 200)), str(o.get("body", PORTAL_HTML)), "text/html; charset=utf-8"
        )
    if fault.kind == "empty_302":
        where = o.get("location")
        headers = (
            {"Location": emu.base_url + PORTAL_PATH if where == "portal" else str(where)}
            if where
            else {}
        )
        return Response(302, b"", headers, None)
    resp = real()
    ok = 200 <= resp.status < 300
    ctype = resp.content_type if ok and resp.content_type else "video/mp4"
    prefix = resp.body if ok else b""
    if fault.kind == "lying_length":
        declared = int(o.get("length", 2 * len(prefix) + 1024))
        return Response(
            200, prefix, dict(resp.headers) if ok else {}, ctype, length=declared, close=True
        )
    # endless: the real bytes, then filler, until the client hangs up or a limit is reached
    stream = _endless(
        emu.stopping, int(o.get("max_bytes", 1 << 30)), float(o.get("seconds", 120.0))
    )
    return Response(200, prefix, {}, ctype, stream=stream, close=True)


def _endless(stopping: threading.Event, max_bytes: int, seconds: float) -> Iterator[bytes]:
    chunk = b"\0" * 65536
    sent = 0
    deadline = time.monotonic() + seconds
    while sent < max_bytes and not stopping.is_set() and time.monotonic() < deadline:
        piece = chunk[: max_bytes - sent]
        sent += len(piece)
        yield piece
