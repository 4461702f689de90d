"""Field checks for request bodies, separate from how a provider words them.

:func:`check` finds what is wrong with one value (missing, wrong type, not one of the
allowed values, too small or too big, badly formatted) and returns a :class:`Problem`;
each provider renders problems in its wire dialect (:mod:`.dialects`: zod issues,
OpenAI-style errors) or in words of its own.  Limits come from the provider's
model table, so a new per-model limit is one table entry, not new code."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

__all__ = ["Problem", "check", "is_type", "json_type", "utf16_len"]

_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


@dataclass(frozen=True)
class Problem:
    """What is wrong with the value at *path*.

    ``kind`` is ``"missing"``, ``"type"``, ``"choice"``, ``"format"``, ``"too_small"`` or
    ``"too_big"``.  ``expected`` is the type name (missing/type), the allowed values
    (choice, or missing for an untyped field with choices) or the pattern (format);
    ``minimum``/``maximum`` are the bounds asked for and ``size`` what was measured
    (``origin``: a ``"string"`` length, an ``"array"`` length or a ``"number"``)."""

    path: str
    kind: str
    expected: Any = None
    value: Any = None
    minimum: float | None = None
    maximum: float | None = None
    size: float | None = None
    origin: str | None = None


def is_type(value: Any, name: str) -> bool:
    """True when *value* is of the JSON type *name* (``"int"`` excludes booleans)."""
    return _TYPES[name](value)


def json_type(value: Any) -> str:
    """The JavaScript name of a value's type, as validators report it."""
    if value is None:
        return "null"
    for name in ("boolean", "string", "number", "array", "object"):
        if _TYPES[name](value):
            return name
    return type(value).__name__


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (what JavaScript's ``string.length`` counts)."""
    return len(text.encode("utf-16-le")) // 2


def check(
    value: Any,
    path: str,
    *,
    required: bool = False,
    type: str | None = None,
    choices: Collection[Any] | None = None,
    pattern: re.Pattern[str] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    measure: Callable[[Any], float] | None = None,
) -> Problem | None:
    """The first problem of *value* (``None`` means absent), or None when it is fine.

    Order: presence, type, choices (which then decide alone), pattern, bounds.  Bounds
    apply to a string's length (``measure=`` e.g. :func:`utf16_len`), an array's
    length or a number's value."""
    if value is None:
        if not required:
            return None
        return Problem(path, "missing", type if type or choices is None else tuple(choices))
    if type is not None and not is_type(value, type):
        return Problem(path, "type", type, value)
    if choices is not None:
        return None if value in choices else Problem(path, "choice", tuple(choices), value)
    if pattern is not None and not (isinstance(value, str) and pattern.match(value)):
        return Problem(path, "format", pattern.pattern, value)
    if minimum is None and maximum is None:
        return None
    if isinstance(value, str):
        size, origin = (measure or len)(value), "string"
    elif isinstance(value, list):
        size, origin = len(value), "array"
    else:
        size, origin = value, "number"
    for kind, bound, bad in (
        ("too_small", minimum, minimum is not None and size < minimum),
        ("too_big", maximum, maximum is not None and size > maximum),
    ):
        if bad:
            return Problem(path, kind, bound, value, minimum, maximum, size, origin)
    return None
