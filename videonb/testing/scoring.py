"""Scoring shot-boundary detections against a known truth.

Events are ``(kind, start, end)`` in seconds, with *kind* one of ``cut``,
``dissolve``, ``fade_in``, ``fade_out`` — or ``point`` for a detector that only
reports boundary times (PySceneDetect's scene starts).

* A fade-out followed by a fade-in within ``merge_gap`` seconds (through black) is
  one boundary, in the truth and in interval detections alike, so a detector
  that reports one boundary for the pair is not punished twice.
* A detected **cut** matches a true cut within ``cut_tol`` frames.
* A detected **gradual** transition matches a true one when both its start and
  its end are within ``gradual_tol`` seconds of the truth's.
* A **point** matches a true cut within ``cut_tol`` frames, or a true gradual
  transition when it lies inside it (± ``gradual_tol``).  This is the usual,
  lenient rule for detectors that report times only.

Matching is one-to-one (closest pairs first).  :class:`Score` has overall
precision/recall/F1 and the same for cuts and for gradual transitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

__all__ = ["Score", "score", "merge_fades", "moments_to_events"]

GRADUAL = ("dissolve", "fade_in", "fade_out", "fade")


@dataclass
class Score:
    tp: int
    fp: int
    fn: int
    cut_tp: int
    cut_fp: int
    cut_fn: int
    grad_tp: int
    grad_fp: int
    grad_fn: int
    false_positives: list[tuple[str, float, float]] = field(default_factory=list)
    missed: list[tuple[str, float, float]] = field(default_factory=list)

    @staticmethod
    def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f

    @property
    def precision(self) -> float:
        return self._prf(self.tp, self.fp, self.fn)[0]

    @property
    def recall(self) -> float:
        return self._prf(self.tp, self.fp, self.fn)[1]

    @property
    def f1(self) -> float:
        return self._prf(self.tp, self.fp, self.fn)[2]

    @property
    def cut(self) -> tuple[float, float, float]:
        return self._prf(self.cut_tp, self.cut_fp, self.cut_fn)

    @property
    def gradual(self) -> tuple[float, float, float]:
        return self._prf(self.grad_tp, self.grad_fp, self.grad_fn)

    def as_dict(self) -> dict[str, object]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision,
                "recall": self.recall, "f1": self.f1,
                "cut_precision": self.cut[0], "cut_recall": self.cut[1],
                "gradual_precision": self.gradual[0], "gradual_recall": self.gradual[1],
                "cut_tp": self.cut_tp, "cut_fp": self.cut_fp, "cut_fn": self.cut_fn,
                "grad_tp": self.grad_tp, "grad_fp": self.grad_fp, "grad_fn": self.grad_fn,
                "false_positives": self.false_positives, "missed": self.missed}


Ev = tuple[str, float, float]


def merge_fades(events: Iterable[Ev], merge_gap: float = 1.5) -> list[Ev]:
    """Fade-out + fade-in pairs (through at most ``merge_gap`` s of black) become one ``fade``."""
    evs = sorted(events, key=lambda e: (e[1], e[2]))
    out: list[Ev] = []
    for e in evs:
        if (e[0] == "fade_in" and out and out[-1][0] == "fade_out"
                and 0 <= e[1] - out[-1][2] <= merge_gap):
            out[-1] = ("fade", out[-1][1], e[2])
        else:
            out.append(e)
    return out


def moments_to_events(moments: Iterable[object]) -> list[Ev]:
    """Transitions of a :class:`videonb.media.moments.Moments` as events."""
    out = []
    for m in moments:
        kind = m.kind  # type: ignore[attr-defined]
        if kind in ("cut", "dissolve", "fade_in", "fade_out"):
            out.append((kind, float(m.start), float(m.end)))  # type: ignore[attr-defined]
    return out


def score(truth: Sequence[Ev], detected: Sequence[Ev], fps: float, *, cut_tol: float = 1.0,
          gradual_tol: float = 0.25, merge_gap: float = 1.5) -> Score:
    tol_cut = cut_tol / fps + 1e-6
    tru = merge_fades([e for e in truth if e[0] in ("cut", *GRADUAL)], merge_gap)
    det = merge_fades([e for e in detected if e[0] != "point"], merge_gap) + \
        [e for e in detected if e[0] == "point"]
    pairs: list[tuple[float, int, int]] = []
    for i, t in enumerate(tru):
        t_cut = t[0] == "cut"
        for j, d in enumerate(det):
            if d[0] == "point":
                if t_cut and abs(d[1] - t[1]) <= tol_cut:
                    pairs.append((abs(d[1] - t[1]), i, j))
                elif not t_cut and t[1] - gradual_tol <= d[1] <= t[2] + gradual_tol:
                    pairs.append((abs(d[1] - (t[1] + t[2]) / 2) / 10, i, j))
            elif d[0] == "cut":
                if t_cut and abs(d[1] - t[1]) <= tol_cut:
                    pairs.append((abs(d[1] - t[1]), i, j))
            elif not t_cut:
                ds, de = abs(d[1] - t[1]), abs(d[2] - t[2])
                if ds <= gradual_tol + 1e-6 and de <= gradual_tol + 1e-6:
                    pairs.append((ds + de, i, j))
    pairs.sort()
    ti: set[int] = set()
    dj: set[int] = set()
    for _, i, j in pairs:
        if i not in ti and j not in dj:
            ti.add(i)
            dj.add(j)
    cut_tp = sum(1 for i in ti if tru[i][0] == "cut")
    grad_tp = len(ti) - cut_tp
    cut_fn = sum(1 for i, t in enumerate(tru) if t[0] == "cut" and i not in ti)
    grad_fn = sum(1 for i, t in enumerate(tru) if t[0] != "cut" and i not in ti)
    fps_ = [det[j] for j in range(len(det)) if j not in dj]
    cut_fp = sum(1 for d in fps_ if d[0] == "cut")
    grad_fp = sum(1 for d in fps_ if d[0] in GRADUAL)
    # A point that matches nothing is counted with the cut false positives (it claims a boundary).
    return Score(tp=len(ti), fp=len(fps_), fn=cut_fn + grad_fn, cut_tp=cut_tp,
                 cut_fp=cut_fp + sum(1 for d in fps_ if d[0] == "point"), cut_fn=cut_fn,
                 grad_tp=grad_tp, grad_fp=grad_fp, grad_fn=grad_fn,
                 false_positives=[(k, round(s, 3), round(e, 3)) for k, s, e in fps_],
                 missed=[(k, round(s, 3), round(e, 3)) for i, (k, s, e) in enumerate(tru)
                         if i not in ti])
