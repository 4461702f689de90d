"""One table per provider for its model ids and per-model limits.

A :class:`ModelTable` maps ``(endpoint, model id)`` to the provider's own spec object
(a dataclass of ratios, durations, prices, token rules, …), and remembers retired
ids, so routes ask one question (:meth:`ModelTable.status`) and get the provider's
answer: served, retired (the real API's "deprecated" error), not served on this
endpoint, or unknown.  ``models.list`` / ``models.get`` routes read :meth:`ids` and
:meth:`spec`; a test can compare :meth:`ids` with an SDK's type definitions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, TypeVar

__all__ = ["ModelTable"]

S = TypeVar("S")


class ModelTable(Mapping[tuple[str, str], S], Generic[S]):
    """``(endpoint, model) -> spec``; an endpoint is the provider's own name for a
    route family (``"text_to_video"``, ``"chat"``, ``"videos"``, ``""`` when one
    table serves every route)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], S] = {}
        #: Retired model id -> the note the API answers with (date, replacement).
        self.retired: dict[str, str] = {}

    def add(self, models: str | Iterable[str], spec: S, *endpoints: str, replace: bool = True) -> S:
        """Serve each of *models* (an id, a list, or ids separated by spaces) with *spec*
        on each of *endpoints* (default ``""``); ``replace=False`` keeps a row already
        there."""
        names = models.split() if isinstance(models, str) else list(models)
        for endpoint in endpoints or ("",):
            for name in names:
                if replace or (endpoint, name) not in self._rows:
                    self._rows[(endpoint, name)] = spec
        return spec

    def retire(self, models: str | Iterable[str], note: str = "") -> None:
        """Mark ids as retired: :meth:`status` answers ``"retired"`` for them."""
        for name in models.split() if isinstance(models, str) else models:
            self.retired[name] = note

    def spec(self, model: str, endpoint: str = "") -> S | None:
        return self._rows.get((endpoint, model))

    def ids(self, endpoint: str | None = None) -> list[str]:
        """Served model ids in table order (on one endpoint, or on any)."""
        seen: dict[str, None] = {}
        for ep, name in self._rows:
            if endpoint is None or ep == endpoint:
                seen.setdefault(name)
        return list(seen)

    def endpoints(self, model: str) -> list[str]:
        return [ep for ep, name in self._rows if name == model]

    def status(self, model: str, endpoint: str = "") -> str:
        """``"ok"``, ``"retired"``, ``"unsupported"`` (served, but not on *endpoint*) or
        ``"unknown"``."""
        if (endpoint, model) in self._rows:
            return "ok"
        if model in self.retired:
            return "retired"
        return "unsupported" if self.endpoints(model) else "unknown"

    def __getitem__(self, key: tuple[str, str]) -> S:
        return self._rows[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"<ModelTable {len(self.ids())} models, {len(self.retired)} retired>"
