"""Field checks for request bodies, separate from how a provider words them.

:func:`check` finds what is wrong with one value (missing, wrong type, not one of the
allowed values, too small or too big, badly formatted) and returns a :class:`Problem`;
each provider renders problems in its own dialect (OpenAI's ``{message, param, code}``,
Google's field paths).  :func:`zod_issues` words them as zod does, the validator behind
Runway's API and many other Node services.  Limits come from the provider's
model table, so a new per-model limit is one table entry, not new code."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

__all__ = ["Problem", "check", "is_type", "json_type", "utf16_len", "zod_custom", "zod_issues"]

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


# --------------------------------------------------------------------------------------
# zod's wording: issues {code, path, message, ...}
# --------------------------------------------------------------------------------------
def _alts(values: tuple[Any, ...]) -> str:
    return "|".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values)


def zod_custom(path: str, message: str, code: str = "custom") -> list[dict[str, Any]]:
    """One zod issue with a message of the API's own (a dotted *path* becomes a list)."""
    return [{"code": code, "path": path.split(".") if path else [], "message": message}]


def zod_issues(p: Problem | None, formats: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The zod issue for *p* (none for None); *formats* names what a field's pattern
    expects (``{"ratio": 'a ratio like "1280:720"'}``).  A choice among a run of more
    than three consecutive integers reads as a bound, as ``z.number().min().max()``."""
    if p is None:
        return []
    choices = p.expected if isinstance(p.expected, tuple) else ()
    ints = len(choices) > 3 and all(type(c) is int for c in choices)
    run = ints and choices == tuple(range(choices[0], choices[-1] + 1))
    if p.kind == "choice" and run:
        small = p.value < choices[0]
        bound = choices[0] if small else choices[-1]
        p = Problem(p.path, "too_small" if small else "too_big", bound, p.value, origin="number")
    issue = zod_custom(p.path, "", p.kind)[0]
    if p.kind in ("missing", "choice") and choices:
        head = "Invalid input" if p.kind == "missing" else "Invalid option"
        issue.update(code="invalid_value", values=list(choices))
        issue["message"] = f"{head}: expected one of {_alts(choices)}"
    elif p.kind in ("missing", "type"):
        expected = "number" if p.kind == "missing" and p.expected == "int" else p.expected
        got = "undefined" if p.kind == "missing" else json_type(p.value)
        issue.update(code="invalid_type", expected=expected)
        issue["message"] = f"Invalid input: expected {expected}, received {got}"
    elif p.kind == "format":
        issue["code"] = "invalid_format"
        issue["message"] = f"Invalid input: expected {(formats or {}).get(p.path, p.expected)}"
    else:
        small = p.kind == "too_small"
        what, unit = {
            "string": ("string to have", " characters"),
            "array": ("array to have", " items"),
        }.get(p.origin or "", ("number to be", ""))
        bound = int(p.expected) if float(p.expected).is_integer() else p.expected
        issue.update(origin=p.origin, **{"minimum" if small else "maximum": bound})
        issue["message"] = (
            f"Too {'small' if small else 'big'}: expected {what} {'>=' if small else '<='}{bound}{unit}"
        )
    return [issue]
