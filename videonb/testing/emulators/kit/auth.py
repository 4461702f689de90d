"""Where a provider expects its API key: a bearer token, a header, a query
parameter, or the first of several.  An emulator declares its scheme
(``Emulator.auth``); the kit finds the key, compares it with ``expected_key`` and
asks the provider for its "missing key" or "wrong key" body."""

from __future__ import annotations

from .http import Request

__all__ = ["AnyOf", "Bearer", "Header", "KeyScheme", "Query"]


class KeyScheme:
    """How a request carries its key; :meth:`key` returns it or None."""

    #: Lower-case header names that carry the key (redacted in the request log).
    headers: frozenset[str] = frozenset()

    def key(self, req: Request) -> str | None:
        raise NotImplementedError


class Bearer(KeyScheme):
    """``Authorization: Bearer <key>`` (Runway, OpenAI)."""

    headers = frozenset({"authorization"})

    def key(self, req: Request) -> str | None:
        return req.bearer_token()

    def __repr__(self) -> str:
        return "Bearer()"


class Header(KeyScheme):
    """A header of its own, e.g. ``x-goog-api-key: <key>`` (Gemini)."""

    def __init__(self, name: str) -> None:
        self.name = name.lower()
        self.headers = frozenset({self.name})

    def key(self, req: Request) -> str | None:
        return req.header(self.name) or None

    def __repr__(self) -> str:
        return f"Header({self.name!r})"


class Query(KeyScheme):
    """A query parameter, e.g. ``?key=<key>`` (Gemini)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def key(self, req: Request) -> str | None:
        return req.param(self.name) or None

    def __repr__(self) -> str:
        return f"Query({self.name!r})"


class AnyOf(KeyScheme):
    """The first scheme that finds a key."""

    def __init__(self, *schemes: KeyScheme) -> None:
        self.schemes = schemes
        self.headers = frozenset().union(*(s.headers for s in schemes))

    def key(self, req: Request) -> str | None:
        for scheme in self.schemes:
            key = scheme.key(req)
            if key:
                return key
        return None

    def __repr__(self) -> str:
        return f"AnyOf{self.schemes!r}"
