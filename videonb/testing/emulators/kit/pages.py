"""Paged lists, the two ways provider APIs page them: an opaque ``pageToken``
(Google) or an ``after=<last id>`` cursor (OpenAI)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["page_after", "page_by_token"]

T = TypeVar("T")


def page_by_token(items: Sequence[T], size: int, token: str | None) -> tuple[list[T], str | None]:
    """(this page, the next page's token or None); raises ``ValueError`` for a token
    this function did not hand out."""
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise ValueError(f"invalid page token {token!r}") from None
    page = list(items[start : start + size])
    more = start + size < len(items)
    return page, base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None


def page_after(
    items: Sequence[T], limit: int, after: str | None, key: Callable[[T], Any]
) -> tuple[list[T], bool]:
    """(the items after the one whose ``key`` is *after*, at most *limit*; has_more).
    An unknown *after* gives an empty page."""
    rest = list(items)
    if after:
        keys = [key(i) for i in rest]
        rest = rest[keys.index(after) + 1 :] if after in keys else []
    return rest[:limit], len(rest) > limit
