"""The error formats that many APIs share, so an emulator only adds its own texts:

- **zod** issues ``{code, path, message, ...}``: the validator behind Runway's API and
  many other Node services (:func:`zod_issues`, :func:`zod_custom`);
- **OpenAI-style** errors ``{"error": {message, type, param, code}}``: OpenAI and the
  OpenAI-compatible gateways that copy its wire format (:func:`openai_error`,
  :func:`openai_invalid`);
- **Google API** errors ``{"error": {code, message, status, details}}``: every Google
  API, Gemini included (:func:`google_error`).
"""

from __future__ import annotations

from typing import Any

from collections.abc import Callable, Sequence

from .checks import Problem, check, json_type
from .http import Invalid, Request, Response
from .pages import page_after

__all__ = [
    "GOOGLE_STATUS",
    "google_error",
    "openai_check",
    "openai_error",
    "openai_invalid",
    "openai_listing",
    "openai_page",
    "zod_custom",
    "zod_issues",
]


# --------------------------------------------------------------------------------------
# zod
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


# --------------------------------------------------------------------------------------
# OpenAI-style
# --------------------------------------------------------------------------------------
def openai_error(
    status: int,
    message: str,
    *,
    type: str | None = None,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """``{"error": {message, type, param, code}}``; ``type`` defaults by status."""
    if type is None:
        type = "server_error" if status >= 500 else "requests" if status == 429 else None
        type = type or "invalid_request_error"
    body = {"error": {"message": message, "type": type, "param": param, "code": code}}
    return Response.json(status, body, headers)


def openai_listing(values: tuple[Any, ...] | list[Any]) -> str:
    """``'a', 'b', and 'c'`` (``'a' and 'b'`` for two), as OpenAI lists allowed values."""
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def openai_invalid(p: Problem, shown: tuple[Any, ...] | None = None) -> Invalid:
    """The 400 OpenAI answers for *p*; *shown* replaces the allowed values it names."""
    if p.kind == "missing":
        return Invalid(
            f"Missing required parameter: '{p.path}'.",
            param=p.path,
            code="missing_required_parameter",
        )
    if p.kind == "type":
        article = "an" if str(p.expected)[:1] in "aeiou" else "a"
        return Invalid(
            f"Invalid type for '{p.path}': expected {article} {p.expected}.",
            param=p.path,
            code="invalid_type",
        )
    if p.kind == "choice":
        values = openai_listing(shown or p.expected)
        return Invalid(
            f"Invalid value: '{p.value}'. Supported values are: {values}.",
            param=p.path,
            code="invalid_value",
        )
    if p.origin == "string" and p.kind == "too_big":
        return Invalid(
            f"Invalid '{p.path}': string too long. Expected a string with maximum length "
            f"{p.maximum}, but got a string with length {p.size} instead.",
            param=p.path,
            code="string_above_max_length",
        )
    if p.origin == "number":
        return Invalid(
            f"Invalid '{p.path}': integer between {p.minimum} and {p.maximum} expected.",
            param=p.path,
            code="invalid_value",
        )
    return Invalid(f"Invalid '{p.path}'.", param=p.path, code="invalid_value")


def openai_check(value: Any, path: str, shown: tuple[Any, ...] | None = None, **rules: Any) -> None:
    """:func:`~.checks.check` *value*; raise :func:`openai_invalid` of its problem."""
    problem = check(value, path, **rules)
    if problem is not None:
        raise openai_invalid(problem, shown)


def openai_page(
    req: Request,
    items: Sequence[Any],
    *,
    order: str = "desc",
    limit: int = 20,
    minimum: int = 1,
    maximum: int = 100,
    key: Callable[[Any], str] = lambda item: item["id"],
    render: Callable[[Any], Any] = lambda item: item,
) -> Response:
    """An OpenAI cursor list of *items* (oldest first): ``limit``, ``order`` (*order* by
    default), ``after``; ``{"object": "list", "data", "first_id", "last_id", "has_more"}``."""
    try:
        size = int(req.param("limit") or limit)
    except ValueError:
        raise Invalid("Invalid 'limit': expected an integer.", param="limit",
                      code="invalid_type") from None
    openai_check(size, "limit", minimum=minimum, maximum=maximum)
    direction = req.param("order") or order
    openai_check(direction, "order", choices=("asc", "desc"))
    ordered = list(items) if direction == "asc" else list(reversed(items))
    page, more = page_after(ordered, size, req.param("after"), key=key)
    data = [render(item) for item in page]
    return Response.json(200, {"object": "list", "data": data,
                               "first_id": key(page[0]) if page else None,
                               "last_id": key(page[-1]) if page else None, "has_more": more})


# --------------------------------------------------------------------------------------
# Google APIs
# --------------------------------------------------------------------------------------
#: The canonical status name Google APIs pair with each HTTP status.
GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "ALREADY_EXISTS",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def google_error(
    status: int,
    message: str,
    grpc: str | None = None,
    details: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """``{"error": {code, message, status[, details]}}``."""
    err: dict[str, Any] = {
        "code": status,
        "message": message,
        "status": grpc or GOOGLE_STATUS.get(status, "UNKNOWN"),
    }
    if details:
        err["details"] = details
    return Response.json(status, {"error": err}, headers)
