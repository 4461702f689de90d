"""The registry of secrets that must never be shown, and :func:`redact`.

It lives below every other layer (errors, the ledger, logs and the provider core all
use it) and imports nothing from videonb.

:func:`redact` hides a registered key wherever it appears, and also any *fragment* of one
that is :data:`FRAGMENT` characters or longer: a message cut at a length limit (an error
body truncated to 300 characters) can end in the first part of a key, and the next one
can start with its tail.  Redact first, truncate after; the fragment rule is the safety
net for text that was cut before it reached videonb.
"""

from __future__ import annotations

import threading

__all__ = ["register_secret", "redact", "FRAGMENT", "MARK", "Secret", "conceal",
           "RedactedDict"]

#: The shortest piece of a key that is hidden on its own.
FRAGMENT = 8
#: What a hidden key (or piece of one) is replaced with.
MARK = "[REDACTED]"

_SECRETS: set[str] = set()
_LOCK = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember ``value`` (and its whitespace-stripped form) so :func:`redact` hides it."""
    if not value:
        return
    with _LOCK:
        for v in {value, value.strip()}:
            if len(v) >= 6:
                _SECRETS.add(v)


#: Keys shorter than this are local servers' placeholders (``sk-no-key-required``, ``ollama``):
#: their word-like pieces ("required") are not hidden on their own, so prose keeps its words.
#: Every real provider key is longer (32 characters and up).
PLACEHOLDER_LEN = 24


def _wordlike(piece: str) -> bool:
    """An all-letters, one-case piece ("required"): a word of prose."""
    return piece.isalpha() and (piece.islower() or piece.isupper())


def _fragment_spans(text: str, secret: str) -> list[tuple[int, int]]:
    """Spans of ``text`` holding a piece of ``secret`` that a cut leaves behind: its start
    (a prefix, FRAGMENT or more characters) or its end (a suffix), whole or masked in the
    middle ("sk-abc…xyz")."""
    spans: list[tuple[int, int]] = []
    if len(secret) < FRAGMENT:
        return spans
    for n in range(len(secret) - 1, FRAGMENT - 1, -1):
        for piece in {secret[:n], secret[-n:]}:
            if len(secret) < PLACEHOLDER_LEN and _wordlike(piece[:FRAGMENT]) \
                    and _wordlike(piece[-FRAGMENT:]):
                continue
            start = text.find(piece)
            while start != -1:
                spans.append((start, start + n))
                start = text.find(piece, start + 1)
    return spans


def redact(text: str, *, fragments: bool = True) -> str:
    """``text`` with every known key replaced by ``[REDACTED]``, and (``fragments``) every
    start or end of one, 8 characters or longer, that a cut left behind."""
    if not text or not _SECRETS:
        return text
    with _LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, MARK)
    if not fragments:
        return text
    spans: list[tuple[int, int]] = []
    for s in secrets:
        spans.extend(_fragment_spans(text, s))
    if not spans:
        return text
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, pos = [], 0
    for a, b in merged:
        out.append(text[pos:a])
        out.append(MARK)
        pos = b
    out.append(text[pos:])
    return "".join(out)


class Secret(str):
    """A key as a ``str`` whose ``repr`` is ``'[REDACTED]'``: verbose tracebacks (``%xmode
    Verbose``, ``%tb``, debuggers) print the repr of every local variable, so a key held in a
    frame of videonb must not print itself.  ``str(secret)`` and f-strings give the value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"'{MARK}'"


def conceal(value: "str | None") -> "str | None":
    """``value`` as a :class:`Secret` (registered for redaction); None stays None."""
    if value is None or isinstance(value, Secret):
        return value
    if isinstance(value, str):
        register_secret(value)
        return Secret(value)
    return value


class RedactedDict(dict):  # type: ignore[type-arg]
    """A dict (e.g. request headers) whose ``repr`` goes through :func:`redact`."""

    def __repr__(self) -> str:
        return redact(dict.__repr__(self))
