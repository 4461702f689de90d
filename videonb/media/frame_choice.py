"""Which frames of a video to show a vision model, and a sentence saying why.

The rule (:func:`shot_frame_times`): one frame from the middle of every shot, plus one more for
every ``long_shot`` seconds of a long shot, thinned evenly when that is more than the budget.
``frames=N`` is therefore a *maximum*: a video with five shots sends five frames.

:func:`choose_frames` samples those frames and never sends a black or blank one (a flat picture:
the black between a fade-out and a fade-in, a white flash) when its shot has a better one: it
looks inside the same shot for a frame with something in it.  A shot that is blank throughout
is skipped and its place in the budget goes to another shot.  :meth:`FrameChoice.note` says
all of this in one sentence, for the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from ..errors import InvalidOptionError
from ..types import format_time

__all__ = ["shot_frame_times", "choose_frames", "is_blank", "FrameChoice", "LONG_SHOT"]

#: Seconds of a shot per extra frame.
LONG_SHOT = 8.0
#: Where inside a shot (fractions of it) a replacement for a blank frame is looked for.
_ALTERNATIVES = (0.3, 0.7, 0.15, 0.85, 0.45, 0.6)


@dataclass
class _Candidate:
    time: float
    shot: int          # index into the shots (-1: no shots, even spread)
    lo: float          # the shot's span
    hi: float


def _candidates(shots: Sequence[Any], duration: float, budget: int,
                long_shot: float) -> list[_Candidate]:
    out: list[_Candidate] = []
    for i, s in enumerate(shots or []):
        k = 1 + int(max(0.0, s.end - s.start) // long_shot)
        for j in range(k):
            out.append(_Candidate(s.start + (j + 0.5) * (s.end - s.start) / k, i, s.start, s.end))
    if not out:
        step = duration / budget
        out = [_Candidate((j + 0.5) * step, -1, j * step, (j + 1) * step) for j in range(budget)]
    out.sort(key=lambda c: c.time)
    hi = max(0.0, duration - 1e-3)
    for c in out:
        c.time = min(max(0.0, c.time), hi)
    return out


def _thin(items: list[Any], budget: int) -> list[Any]:
    if len(items) <= budget:
        return list(items)
    step = len(items) / budget
    return [items[int(i * step + step / 2)] for i in range(budget)]


def shot_frame_times(shots: Sequence[Any], duration: float, budget: int, *,
                     long_shot: float = LONG_SHOT) -> list[float]:
    """One frame per shot (its middle), plus one more every ``long_shot`` seconds of long
    shots, thinned evenly to ``budget`` frames; always covers the whole video."""
    if budget < 1:
        raise InvalidOptionError("frames must be at least 1.")
    return [c.time for c in _thin(_candidates(shots, duration, budget, long_shot), budget)]


def is_blank(img: Any) -> bool:
    """True for a picture with (almost) nothing in it: flat (black, white, one colour) or dark
    and nearly flat."""
    import numpy as np

    a = np.asarray(img)
    if a.size == 0:
        return True
    grey = a.mean(axis=2) if a.ndim == 3 else a.astype(np.float32)
    step = max(1, int(max(grey.shape) // 160))  # a thumbnail's worth of pixels is enough
    g = grey[::step, ::step].astype(np.float32)
    return float(g.std()) < 6.0 or (float(g.mean()) < 16.0 and float(np.percentile(g, 99)) < 40.0)


@dataclass
class FrameChoice:
    """The frames chosen for a model and what was done to get them."""

    frames: Any                                   # videonb.Frames, in time order
    budget: int
    shots: int
    candidates: int
    long_shot: float = LONG_SHOT
    #: (time asked, time sent): a blank frame replaced by a better one of its shot.
    replaced: list[tuple[float, float]] = field(default_factory=list)
    #: (start, end) of shots that are blank throughout (nothing sent from them).
    skipped: list[tuple[float, float]] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return len(self.frames.times)

    def note(self) -> str:
        """``6 of at most 8 frames sent: one from the middle of each of the 6 shots…``"""
        n, b = self.sent, self.budget
        rule = (f"one from the middle of each shot, plus one per {self.long_shot:g} s of a longer "
                f"shot")
        if self.shots == 0:
            text = f"{n} frames sent (frames={b}), evenly spread: no shots were found"
        elif self.candidates > b:
            text = (f"{n} frames sent (frames={b}, the most it sends): the {self.shots} shot(s) "
                    f"give {self.candidates} candidate frames ({rule}), thinned evenly to {b}")
        else:
            text = (f"{n} of at most {b} frames sent (frames={b} is a maximum): {rule}, and "
                    f"this video has {self.shots} shot(s)")
        if self.replaced:
            swaps = ", ".join(f"{format_time(a)} → {format_time(u)}" for a, u in self.replaced[:4])
            text += (f"; {len(self.replaced)} black or blank frame(s) replaced by a better one "
                     f"from the same shot ({swaps})")
        if self.skipped:
            spans = ", ".join(f"{format_time(a)}–{format_time(e)}" for a, e in self.skipped[:4])
            text += (f"; {len(self.skipped)} shot(s) black or blank throughout, not sent "
                     f"({spans})")
        return text + "."


def choose_frames(video: Any, shots: Sequence[Any], budget: int, *, max_side: int | None = None,
                  long_shot: float = LONG_SHOT) -> FrameChoice:
    """Sample the frames :func:`shot_frame_times` picks, with every blank frame replaced by a
    better frame of its shot, or dropped (and its place given to another shot's candidate) when
    the shot is blank throughout.  Decodes only the chosen frames, plus a few per blank one."""
    from .sampling import Frames, sample_frames

    if budget < 1:
        raise InvalidOptionError("frames must be at least 1.")
    duration = float(video.info.duration)
    cands = _candidates(shots, duration, budget, long_shot)
    picked: dict[int, tuple[float, Any, float]] = {}     # candidate → (time, image, asked)
    replaced: list[tuple[float, float]] = []
    blank_shots: set[int] = set()
    tried: set[int] = set()
    first: Any = None
    pending = _thin(list(range(len(cands))), budget)
    while pending:
        tried.update(pending)
        got = sample_frames(video, times=[cands[i].time for i in pending], max_side=max_side)
        if first is None:
            first = got
        retry = []
        for i, t, img in zip(pending, got.times, got.images):
            if is_blank(img):
                retry.append(i)
            else:
                picked[i] = (t, img, cands[i].time)
        if retry:
            asks = sorted((cands[i].lo + f * (cands[i].hi - cands[i].lo), i)
                          for i in retry for f in _ALTERNATIVES)
            alt = sample_frames(video, times=[min(max(0.0, t), max(0.0, duration - 1e-3))
                                              for t, _ in asks], max_side=max_side)
            best: dict[int, tuple[float, Any]] = {}
            for (_, i), t, img in zip(asks, alt.times, alt.images):
                if i not in best and not is_blank(img):
                    best[i] = (t, img)
            for i in retry:
                if i in best:
                    picked[i] = (best[i][0], best[i][1], cands[i].time)
                    replaced.append((cands[i].time, best[i][0]))
                else:
                    blank_shots.add(cands[i].shot)
        # A place freed by a blank shot goes to an unused candidate of another shot.
        free = budget - len(picked)
        pool = [j for j in range(len(cands)) if j not in tried and cands[j].shot not in blank_shots]
        pending = _thin(pool, free) if free > 0 else []
    if not picked and first is not None:  # blank throughout: send what there is, and say so
        picked = {i: (t, img, r) for i, t, img, r in zip(range(len(first.times)), first.times,
                                                         first.images, first.requested)}
        blank_shots.clear()
    order = sorted(picked.values(), key=lambda v: v[0])
    frames = Frames(images=[v[1] for v in order], times=[v[0] for v in order],
                    requested=[v[2] for v in order], mode="exact",
                    source=getattr(first, "source", None), info=getattr(first, "info", None))
    skipped = [(float(shots[i].start), float(shots[i].end)) for i in sorted(blank_shots) if i >= 0]
    return FrameChoice(frames=frames, budget=budget, shots=len(shots or []),
                       candidates=len(cands), long_shot=long_shot, replaced=sorted(replaced),
                       skipped=skipped)
