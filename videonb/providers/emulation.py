"""Knowing, honestly, when a job ran against an emulator.

The emulators of :mod:`videonb.testing.emulators` answer every request with the header
``Server: videonb-emulator`` (their HTTP handler's ``server_version``).  videonb counts a job as
*emulated* only when both hold:

* the provider's server is a **loopback address** written as such in its URL (``127.0.0.0/8``,
  ``::1`` or ``localhost``): a real provider's host never is, so no answer from the internet can
  make a paid job look free, whatever headers it sends;
* the server's latest answer carried the **marker** (for a job: the answer to its submit): a
  local gateway, proxy or SSH tunnel that forwards to a paid provider (LiteLLM, an Ollama
  bridge...) is loopback too, but does not send it.  (Latest, not "every answer ever": an
  emulator that stopped may leave its port to a real gateway, or the other way round.)

An emulated job is still checked against ``videonb.config.budget_usd`` (a rehearsal meets the
guard the real job would meet: emulated jobs count against each other), but what it would have
cost is never added to what the session has really spent, so it never blocks a job that may be
real.  A job whose server has not answered yet is counted as real: the safe side.

Nothing here sends a request: it only looks at the answers the providers already get
(:func:`observe`, called by ``providers._http`` for every response).
"""

from __future__ import annotations

import ipaddress
import threading
from typing import Any
from urllib.parse import urlsplit

__all__ = ["MARKER", "is_loopback", "observe", "verdict", "emulated", "forget"]

#: The value (a prefix) of the ``Server`` header the videonb emulators answer with.
MARKER = "videonb-emulator"

_SEEN: dict[tuple[str, str, int | None], bool] = {}
_LOCK = threading.Lock()


def _origin(url: str | None) -> tuple[str, str, int | None] | None:
    if not url:
        return None
    try:
        p = urlsplit(url.strip())
        host = (p.hostname or "").lower()
        port = p.port
    except ValueError:
        return None
    if not host:
        return None
    if port is None:
        port = {"http": 80, "https": 443}.get(p.scheme.lower())
    return p.scheme.lower(), host, port


def is_loopback(url: str | None) -> bool:
    """True when ``url``'s host is written as a loopback address (no name lookup is made)."""
    origin = _origin(url)
    if origin is None:
        return False
    host = origin[1]
    if host == "localhost":  # not "*.localhost": such a name may go to DNS, and anywhere
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def observe(url: str, headers: Any) -> None:
    """Note one answer from the server of ``url`` (its headers: a mapping)."""
    if not is_loopback(url):
        return
    origin = _origin(url)
    assert origin is not None
    try:
        server = str(headers.get("server") or "")
    except Exception:  # noqa: BLE001 - an odd headers object: not an emulator's answer
        server = ""
    marked = server.strip().lower().startswith(MARKER)
    with _LOCK:
        _SEEN[origin] = marked


def verdict(endpoint: str | None) -> bool | None:
    """True: ``endpoint`` is an emulator (loopback, its latest answer marked).  False: a real
    server (not loopback, or a loopback server whose latest answer had no marker).  None: a
    loopback server that has not answered yet (counted as real until it does)."""
    if not is_loopback(endpoint):
        return False
    origin = _origin(endpoint)
    with _LOCK:
        return _SEEN.get(origin) if origin is not None else False


def emulated(endpoint: str | None) -> bool:
    """True only when :func:`verdict` is True."""
    return verdict(endpoint) is True


def forget() -> None:
    """Drop what was learnt about servers (tests, or a server replaced on the same port)."""
    with _LOCK:
        _SEEN.clear()
