"""The registry of secrets that must never be shown, and :func:`redact`.

It lives below every other layer (errors, the ledger, logs and the provider core all
use it) and imports nothing from videonb.
"""

from __future__ import annotations

import threading

__all__ = ["register_secret", "redact"]

_SECRETS: set[str] = set()
_LOCK = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember ``value`` so :func:`redact` hides it from now on."""
    if value and len(value) >= 6:
        with _LOCK:
            _SECRETS.add(value)


def redact(text: str) -> str:
    """``text`` with every known key replaced by ``[REDACTED]``."""
    if not text or not _SECRETS:
        return text
    with _LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, "[REDACTED]")
    return text
