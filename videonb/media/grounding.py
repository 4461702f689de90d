"""Grounded key moments: times a vision model states, checked against what the video shows.

Raw model timestamps drift (QwenLM/Qwen3-VL#1175); what works is to give the model the time
of every frame it sees, written beside the frame and **burned into it**
(:func:`stamp_time`), to ask for ``MM:SS``, and to check each answer against the shot
boundaries a detector measured (cosmos-reason1#55, gemini cookbook#733; providers.md
section 11).  :func:`ground` snaps each moment's start (and end) to the nearest detected
boundary within ``tolerance`` seconds and flags the moments with none near: those keep the
model's own time (an event inside a shot is legitimate, but it is unverified).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable, Sequence

from ..types import KeyMoment, format_time

__all__ = ["Grounding", "stamp_time", "boundaries", "ground", "describe", "DEFAULT_TOLERANCE"]

#: Seconds within which a model's time is snapped to a detected boundary: one sampled frame
#: at Gemini's default 1 fps, and the rounding of an ``MM:SS`` answer.
DEFAULT_TOLERANCE = 1.0


@dataclass
class Grounding:
    """How one model moment was checked: its own times, the boundary it was snapped to (or
    none within the tolerance: ``flagged``) and how far that was."""

    label: str
    raw_start: float
    raw_end: float
    start: float
    end: float
    boundary: float | None
    distance: float | None
    flagged: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def stamp_time(img: Any, t: float) -> Any:
    """A copy of the RGB frame ``img`` with ``t`` burned into its top-left corner as
    ``MM:SS.ss`` (white on a dark box, sized to the frame), so the time survives any
    re-encoding and the model reads it from the picture itself."""
    import cv2
    import numpy as np

    out = np.ascontiguousarray(img).copy()
    h, w = out.shape[:2]
    text = format_time(max(0.0, t))
    scale = max(0.35, min(w, h) / 360.0)
    thick = max(1, int(round(scale * 1.6)))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    pad = max(2, int(4 * scale))
    x1, y1 = min(w, tw + 2 * pad), min(h, th + base + 2 * pad)
    out[:y1, :x1] = (out[:y1, :x1].astype(np.float32) * 0.25).astype(np.uint8)
    cv2.putText(out, text, (pad, pad + th), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255),
                thick, cv2.LINE_AA)
    return out


def boundaries(shots: Iterable[Any] = (), moments: Iterable[KeyMoment] = ()) -> list[float]:
    """Sorted boundary times: every shot's start after the first, and the start and end of
    every cut or transition among ``moments`` (dissolves and fades are intervals)."""
    out: set[float] = set()
    for s in shots:
        if getattr(s, "index", 1) != 0 and float(s.start) > 0:
            out.add(round(float(s.start), 3))
    for m in moments:
        if m.kind in ("cut", "dissolve", "fade_in", "fade_out"):
            out.add(round(float(m.start), 3))
            if m.end > m.start:
                out.add(round(float(m.end), 3))
    return sorted(out)


def _nearest(t: float, marks: Sequence[float]) -> tuple[float | None, float | None]:
    if not marks:
        return None, None
    best = min(marks, key=lambda b: abs(b - t))
    return best, abs(best - t)


def ground(moments: Sequence[KeyMoment], marks: Sequence[float], *, duration: float,
           tolerance: float = DEFAULT_TOLERANCE) -> tuple[list[KeyMoment], list[Grounding]]:
    """Moments with their starts snapped to the nearest of ``marks`` within ``tolerance``
    seconds (ends too, when a boundary is near; an end never precedes its start), and one
    :class:`Grounding` per moment.  Moments with no boundary near keep the model's times and
    are ``flagged``.  Times stay within ``[0, duration]``."""
    out: list[KeyMoment] = []
    record: list[Grounding] = []
    for m in moments:
        start = min(max(0.0, float(m.start)), duration)
        end = min(max(start, float(m.end)), duration)
        b, d = _nearest(start, marks)
        snapped = b is not None and d is not None and d <= tolerance
        new_start = float(b) if snapped else start
        eb, ed = _nearest(end, marks)
        new_end = float(eb) if (eb is not None and ed is not None and ed <= tolerance
                                and eb >= new_start and end > start) else max(end, new_start)
        out.append(KeyMoment(new_start, new_end, m.kind, m.score, m.label, m.thumbnail))
        record.append(Grounding(m.label, float(m.start), float(m.end), new_start, new_end,
                                b, None if d is None else round(d, 3), not snapped))
    return out, record


def describe(record: Sequence[Grounding]) -> str:
    """One line for people: how many moments were snapped, which ones were not."""
    if not record:
        return ""
    snapped = [g for g in record if not g.flagged]
    text = f"{len(snapped)} of {len(record)} key moments snapped to detected shot boundaries"
    if snapped:
        worst = max(g.distance or 0.0 for g in snapped)
        text += f" (the model's times were off by at most {worst:.2f} s)"
    flagged = [g for g in record if g.flagged]
    if flagged:
        text += "; not near any boundary (the model's own time, unverified): " + ", ".join(
            f"{format_time(g.raw_start, precise=False)} {g.label[:40]!r}" for g in flagged[:5])
    return text + "."
