"""Plain value types shared by every layer (no heavy imports)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["KeyMoment", "Shot", "MomentKind", "format_time"]

#: Kinds of key moment. ``cut`` is a hard cut (an instant), ``fade_in``/``fade_out``
#: and ``dissolve`` are gradual transitions (an interval), ``motion`` and
#: ``brightness`` are secondary peaks inside shots, ``shot`` marks a whole shot
#: and ``event`` is anything a model reports.
MomentKind = Literal["cut", "dissolve", "fade_in", "fade_out", "motion", "brightness", "shot", "event"]


def format_time(t: float, *, precise: bool = True) -> str:
    """``83.25`` → ``'1:23.25'`` (``precise=False`` → ``'1:23'``)."""
    if t < 0:
        return "-" + format_time(-t, precise=precise)
    m, s = divmod(t, 60.0)
    h, m = divmod(int(m), 60)
    sec = f"{s:05.2f}" if precise else f"{int(s):02d}"
    return f"{h}:{m:02d}:{sec}" if h else f"{m}:{sec}"


@dataclass
class KeyMoment:
    """Something worth looking at in a video, in seconds.

    ``start == end`` for instants (a hard cut).  ``score`` is the detector's
    strength in its own units (higher is stronger); ``thumbnail`` is an RGB
    array of the frame that represents the moment, or ``None``.
    """

    start: float
    end: float
    kind: MomentKind
    score: float = 0.0
    label: str = ""
    thumbnail: Any = field(default=None, repr=False, compare=False)

    @property
    def time(self) -> float:
        """The time a player should seek to for this moment."""
        return self.start

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("thumbnail")
        return d

    def __str__(self) -> str:
        span = format_time(self.start) if self.end <= self.start else (
            f"{format_time(self.start)}–{format_time(self.end)}")
        return f"{span} {self.kind}" + (f": {self.label}" if self.label else "")


@dataclass
class Shot:
    """A continuous shot: ``[start, end)`` seconds, with a representative frame."""

    index: int
    start: float
    end: float
    thumbnail: Any = field(default=None, repr=False, compare=False)
    thumbnail_time: float | None = None
    start_transition: str = "start"  # "start", "cut", "dissolve" or "fade"

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("thumbnail")
        return d
