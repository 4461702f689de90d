"""What a test reads back: the request log (credentials redacted) and live counters
(submits, polls, downloads, jobs, faults hit) it can assert on or wait for."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["REDACTED", "Counts", "LoggedRequest", "RequestLog"]

#: Headers and query parameters whose values never reach the request log.
SECRET_HEADERS = frozenset({"authorization", "x-goog-api-key", "api-key", "x-api-key", "cookie"})
SECRET_PARAMS = frozenset({"key", "api_key", "access_token"})
REDACTED = "REDACTED"


@dataclass
class LoggedRequest:
    """One request as recorded in :attr:`Emulator.requests`.

    ``headers`` has lower-case names; credentials (``Authorization``,
    ``x-goog-api-key``, …) are replaced by ``"REDACTED"``, as is a ``key``
    query parameter in ``query``.  ``route`` and ``kind`` name the route that
    answered (``None`` for an unknown path)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body_size: int
    time: float
    status: int | None = None  # None while in flight, or when the connection was reset
    fault: str | None = None  # the injected fault that answered it, if any
    route: str | None = None
    kind: str | None = None

    @classmethod
    def of(cls, req: Any, secret_headers: frozenset[str] = SECRET_HEADERS) -> LoggedRequest:
        return cls(
            method=req.method,
            path=req.path,
            query={
                k: ([REDACTED] * len(v) if k.lower() in SECRET_PARAMS else list(v))
                for k, v in req.query.items()
            },
            headers={k: (REDACTED if k in secret_headers else v) for k, v in req.headers.items()},
            body_size=len(req.body),
            time=time.time(),
        )

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}{' fault=' + self.fault if self.fault else ''}>"


class RequestLog(Sequence[LoggedRequest]):
    """A thread-safe, append-only list of :class:`LoggedRequest`."""

    def __init__(self) -> None:
        self._items: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def _append(self, item: LoggedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index):  # type: ignore[override]
        with self._lock:
            return self._items[index]

    def __iter__(self) -> Iterator[LoggedRequest]:
        with self._lock:
            return iter(list(self._items))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def filter(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        kind: str | None = None,
        route: str | None = None,
    ) -> list[LoggedRequest]:
        """Requests whose method equals *method*, whose path contains *path*, and that
        were answered by a route of *kind* (``"submit"``, ``"download"``, …) or named
        *route* (``"tasks.retrieve"``)."""
        return [
            r
            for r in self
            if (method is None or r.method == method.upper())
            and (path is None or path in r.path)
            and (kind is None or r.kind == kind)
            and (route is None or r.route == route)
        ]

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self]

    def __repr__(self) -> str:
        return f"RequestLog({list(self)!r})"


class Counts(Mapping[str, int]):
    """Live, thread-safe counters of an emulator (:attr:`Emulator.counts`); a key never
    counted reads 0.

    Keys: ``"requests"`` (every request); each route *kind* (``"submit"``, ``"poll"``,
    ``"download"``, ``"cancel"``, ``"generate"``, ``"upload"``, ``"list"``, …) and each
    route *name* (``"text_to_video.create"``, ``"tasks.retrieve"``, …): requests that
    reached that route, whether a fault or the handler answered them; ``"jobs"``: jobs
    created (the billed submits; Gemini counts uploaded ``"files"``); ``"fault"`` and
    ``"fault:<kind>"``: faults hit (an HTTP or download fault that answered a request, or
    a provider fault a route consumed); ``"unauthorized"``: requests the auth check
    refused (a missing or wrong key, Runway's missing version header).

    :meth:`wait` blocks (bounded) until a counter reaches a value, so a test can wait
    for "the download arrived" on another thread without sleeping."""

    def __init__(self) -> None:
        self._counter: Counter[str] = Counter()
        self._cond = threading.Condition()

    def add(self, key: str, n: int = 1) -> None:
        with self._cond:
            self._counter[key] += n
            self._cond.notify_all()

    def __getitem__(self, key: str) -> int:
        with self._cond:
            return self._counter.get(key, 0)

    def __contains__(self, key: object) -> bool:
        with self._cond:
            return key in self._counter

    def __iter__(self) -> Iterator[str]:
        with self._cond:
            return iter(list(self._counter))

    def __len__(self) -> int:
        with self._cond:
            return len(self._counter)

    def snapshot(self) -> dict[str, int]:
        """A plain copy of every counter, for comparing before and after."""
        with self._cond:
            return dict(self._counter)

    def clear(self) -> None:
        with self._cond:
            self._counter.clear()

    def wait(self, key: str, at_least: int = 1, timeout: float = 5.0) -> bool:
        """Wait until ``self[key] >= at_least``; False when *timeout* seconds passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._counter.get(key, 0) >= at_least, timeout)

    def __repr__(self) -> str:
        return f"Counts({self.snapshot()!r})"
