"""What a public function of the provider layer lets out when something fails.

:func:`guarded` turns any exception into one a notebook can show and save: videonb's own errors
(and cancellation, interrupts) pass as they are, anything else becomes a redacted
:class:`~videonb.errors.ProviderError`; and every exception that was raised ``from None``
loses the hidden ``__context__`` it still carries.  That context (an SDK's error quoting a
request's headers, an httpx error holding its request) is invisible in a printed traceback but
reachable through ``exc.__context__``, ``%debug`` and frame inspection, so it must not stay.
"""

from __future__ import annotations

import asyncio

from .._redact import redact
from ..errors import ProviderError, VideonbError

__all__ = ["guarded", "scrub"]


def scrub(exc: BaseException) -> BaseException:
    """Drop the hidden ``__context__`` of ``exc`` and of every error it was chained from, where
    it was raised ``from None``; return ``exc``."""
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if node.__suppress_context__:
            node.__context__ = None
        node = node.__cause__ if node.__cause__ is not None else node.__context__
    return exc


def guarded(exc: BaseException, provider: str | None) -> BaseException:
    """The exception a public function lets out instead of ``exc`` (see the module docstring);
    the redacted traceback of a wrapped exception is kept on ``.detail``."""
    if isinstance(exc, (VideonbError, asyncio.CancelledError, KeyboardInterrupt, SystemExit,
                        GeneratorExit)):
        return scrub(exc)
    import traceback

    name = provider or "videonb"
    err = ProviderError(f"{name}: unexpected failure ({type(exc).__name__}: "
                        f"{redact(str(exc))[:300]}). This looks like a bug in videonb: please "
                        f"report it (the error's .detail has a redacted traceback).",
                        provider=provider)
    err.detail = redact("".join(traceback.format_exception(exc)))  # type: ignore[attr-defined]
    return err
