"""Key-moment detectors over a :class:`~videonb.media.features.FeatureTrack`.

Each detector is a small class with ``process(track, context) -> list[KeyMoment]``,
PySceneDetect-style; :func:`videonb.media.moments.detect` runs them in order (cuts,
fades, dissolves, then the secondary motion and brightness peaks), passing what the
earlier ones found in ``context``.  All thresholds that are durations are seconds
(``0.6``) or strings (``"0.6s"``, ``"15f"``, ``"400ms"``).

What keeps them from firing on things that are not transitions:

* a **flash** (a few frames washed towards white) changes the picture and changes it
  back: a cut candidate whose surroundings match again within 0.4 s is dropped;
* **camera motion** (a whip pan, a crash zoom, real fast action) changes the picture
  on several consecutive frames: a cut must stand out from its neighbours and from the
  typical change around it;
* a **brightness change** (exposure, a flash, a fade) keeps the structure of the
  picture: a cut must also change the brightness-normalised picture, and a dissolve must
  end on a picture with a different structure from where it began.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from ..types import KeyMoment
from .features import FeatureTrack, seconds
from .refine import _REPEAT_REACH, GAP_FRAMES, refine_cuts

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["Detector", "CutDetector", "FadeDetector", "DissolveDetector", "MotionDetector",
           "BrightnessDetector", "default_detectors"]


class Detector:
    """Base class: ``process(track, context)`` returns :class:`KeyMoment` objects."""

    kind: str = "event"

    def process(self, track: FeatureTrack, context: dict[str, Any]) -> list[KeyMoment]:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


def _fps(track: FeatureTrack) -> float:
    return 1.0 / track.frame_dur if track.frame_dur > 0 else 25.0


def _flat(track: FeatureTrack, i: int) -> bool:
    """A frame with no structure to compare (black, white, a flat colour)."""
    return bool(track.y_std[i] < 6.0 or track.dark_frac[i] > 0.85)


def _diff(track: FeatureTrack, a: int, b: int) -> float:
    """The cut score's metric between any two decoded frames."""
    import numpy as np

    return float(np.abs(track.Y[a].astype(np.int16) - track.Y[b]).mean()
                 + np.abs(track.U[a].astype(np.int16) - track.U[b]).mean()
                 + np.abs(track.V[a].astype(np.int16) - track.V[b]).mean())


# --------------------------------------------------------------------------------------------
# Cuts
# --------------------------------------------------------------------------------------------
#: Share of CutDetector's ``ratio`` a change next to a skipped gap needs to be refined.
GAP_RATIO_SHARE = 0.6


class CutDetector(Detector):
    """Hard cuts: a one-frame change that stands out and stays.

    ``threshold`` is the minimum change (mean absolute luma + chroma difference of
    0–255 frames, like PySceneDetect's content value).  The change must be ``ratio``
    times the typical change within ``window`` and ``neighbour_ratio`` times the change on
    the frames next to it (so camera motion does not fire; repeated frames of a
    low-frame-rate source are not counted as neighbours), it must change the
    brightness-normalised picture by ``structure`` (so a flash or an exposure jump does
    not fire), and the picture must not come back within ``flash`` seconds (a flash).
    Two cuts are at least ``min_shot`` apart (default two frames: a two-frame shot is a
    shot).

    When the decoder skipped non-reference frames, a cut next to ONE skipped frame that
    passes every test, with a skipped packet of ordinary size and no other cut within a
    shot of it, is reported at the first decoded frame of the new shot: at most one frame
    late (constant-frame-rate files; in a VFR file every gap is refined).  A blend one or
    two frames long whose middle frame was skipped is reported there as a cut, where a full
    decode, seeing two half-size changes, reports nothing.  Doubtful changes and longer
    gaps are decoded again at the full frame rate; ``exact=True`` decodes every gap again
    (frame-exact times, slower on videos with many cuts), as does
    ``detect(..., skip_nonref=False)``.
    """

    kind = "cut"

    def __init__(self, threshold: float = 20.0, ratio: float = 2.5, window: float | str = 0.5,
                 min_shot: float | str = "2f", structure: float = 15.0,
                 flash: float | str = 0.4, neighbour_ratio: float = 1.8,
                 refine: bool = True, exact: bool = False) -> None:
        self.threshold = threshold
        self.ratio = ratio
        self.neighbour_ratio = neighbour_ratio
        self.window = window
        self.min_shot = min_shot
        self.structure = structure
        self.flash = flash
        self.refine = refine
        self.exact = exact

    def candidates(self, track: FeatureTrack, maybe: list[int] | None = None) -> list[int]:
        """Decoded frames that start a new shot.  With ``maybe`` (a list to fill) and a
        track whose decoder skipped frames: frames that fail only because the next or
        previous decoded frame changed as much are put there instead (a shot shorter than
        the skipped gap looks like that); refining decides them at the full frame rate."""
        import numpy as np

        s = track.cut_score
        n = len(s)
        if n < 2:
            return []
        fd = track.frame_dur
        gap = np.diff(track.times, prepend=track.times[0]) > GAP_FRAMES * fd
        fps = _fps(track)
        times = track.times
        win = seconds(self.window, fps)
        flash = seconds(self.flash, fps)
        dz = track.d_z
        out: list[int] = []
        for j in np.nonzero(s >= self.threshold)[0]:
            j = int(j)
            if j == 0:
                continue
            # Neighbours: the nearest frames that are not repeats of their predecessor (a
            # 10 fps source in a 30 fps file changes only on every third frame).
            dup = 1.0
            p = j - 1
            while p > 1 and s[p] < dup and j - p <= _REPEAT_REACH - 1:
                p -= 1
            q = j + 1
            while q < n - 1 and s[q] < dup and q - j <= _REPEAT_REACH - 1:
                q += 1
            nb = max(s[p] if p >= 1 else 0.0, s[q] if q < n else 0.0)
            lo = int(np.searchsorted(times, times[j] - win))
            hi = int(np.searchsorted(times, times[j] + win, side="right"))
            around = np.concatenate([s[lo:j], s[j + 1:hi]])
            moving = around[around >= dup]
            typical = float(np.median(moving)) if len(moving) else 0.0
            skipped_next = track.skipped_nonref and (gap[j] or (q < n and gap[q]))
            # Across a skipped gap the shot's own motion adds up, so a cut can stand out less
            # from the changes around it: a cut at least 60 % of the way there is decided at
            # the full frame rate instead.
            low = s[j] < self.ratio * max(typical, 1.0)
            if low and (maybe is None or not skipped_next
                        or s[j] < GAP_RATIO_SHARE * self.ratio * max(typical, 1.0)
                        or s[j] < self.neighbour_ratio * nb):
                continue
            doubtful = low or s[j] < self.neighbour_ratio * nb
            if doubtful and not low and (maybe is None or not skipped_next
                                         or not self._hidden_shot(s, j, p, q)):
                continue
            if dz[j] < self.structure and not (_flat(track, j - 1) or _flat(track, j)):
                continue
            if flash > 0 and self._comes_back(track, j, flash, float(s[j])):
                continue
            if doubtful and maybe is not None:
                maybe.append(j)
                continue
            out.append(j)
        min_shot = seconds(self.min_shot, fps) - 0.5 / fps
        kept: list[int] = []
        for i in sorted(out, key=lambda k: -s[k]):
            if all(abs(times[i] - times[j]) >= min_shot for j in kept):
                kept.append(i)
        return sorted(kept)

    def _hidden_shot(self, s: "np.ndarray", j: int, p: int, q: int) -> bool:
        """Could the change at ``j`` and the as large one next to it be the two cuts of a
        shot shorter than the frames the decoder skipped?  Both must reach the threshold and
        stand out (``neighbour_ratio``) from the changes just outside the pair; in a pan or a
        zoom the changes before and after are as large."""
        n = len(s)

        def side(k: int, step: int) -> int:
            r = k + step
            while 0 < r + step < n and s[r] < 1.0 and abs(r - k) <= _REPEAT_REACH - 1:
                r += step
            return r

        big, other = (p, q) if p >= 1 and (q >= n or s[p] >= s[q]) else (q, p)
        if not (0 <= big < n) or s[big] < self.threshold:
            return False
        far = side(big, -1 if big < j else 1)
        outside = [s[k] for k in (other, far) if 1 <= k < n]
        return not outside or self.neighbour_ratio * max(outside) <= min(s[j], s[big])

    @staticmethod
    def _comes_back(track: FeatureTrack, j: int, span: float, jump: float) -> bool:
        """True if a frame before ``j`` and a frame from ``j`` on, at most ``span`` apart,
        look alike again (the change at ``j`` was a flash, not a new shot)."""
        import numpy as np

        times = track.times
        a0 = int(np.searchsorted(times, times[j] - span - 1e-9))
        b1 = int(np.searchsorted(times, times[j - 1] + span + 1e-9, side="right"))
        A = np.arange(a0, j)
        B = np.arange(j, b1)
        if not len(A) or not len(B):
            return False

        def stack(i: "np.ndarray") -> "np.ndarray":
            n = len(i)
            return np.concatenate([track.Y[i].reshape(n, -1), track.U[i].reshape(n, -1),
                                   track.V[i].reshape(n, -1)], 1).astype(np.int16)

        fa, fb = stack(A), stack(B)
        ny = track.Y[0].size
        nc = track.U[0].size
        d = np.abs(fa[:, None, :] - fb[None, :, :])
        dist = d[..., :ny].mean(2) + d[..., ny:ny + nc].mean(2) + d[..., ny + nc:].mean(2)
        close = (times[B][None, :] - times[A][:, None]) <= span + 1e-9
        close[len(A) - 1, 0] = False   # the jump itself
        return bool(np.any(close & (dist < 0.35 * jump)))

    def process(self, track: FeatureTrack, context: dict[str, Any]) -> list[KeyMoment]:
        refine = self.refine and track.skipped_nonref and context.get("path") is not None
        maybe: list[int] = []
        idx = self.candidates(track, maybe if refine else None)
        found: list[list[tuple[float, float]]] = [[(float(track.times[i]),
                                                    float(track.cut_score[i]))] for i in idx]
        if refine and (idx or maybe):
            fps = _fps(track)
            min_shot = seconds(self.min_shot, fps) - 0.5 / fps
            both = sorted(idx + maybe)
            got = refine_cuts(track, both, context["path"], threshold=self.threshold,
                              min_shot=min_shot, strict=set(maybe),
                              neighbour_ratio=self.neighbour_ratio, ratio=self.ratio,
                              one_skipped=not self.exact and not track.info.is_vfr)
            # Two gaps can give cuts closer than a shot: the stronger stays (as in candidates()).
            flat = sorted(((sc, t, n) for n, cuts in enumerate(got) for t, sc in cuts),
                          reverse=True)
            kept: list[float] = []
            found = [[] for _ in both]
            for sc, t, n in flat:
                if all(abs(t - k) >= min_shot for k in kept):
                    kept.append(t)
                    found[n].append((t, sc))
            found = [sorted(c) for c in found]
            idx = both
        out = []
        for i, cuts in zip(idx, found):
            for k, (t, score) in enumerate(cuts):
                thumb = track.thumbs.get(i) if k == len(cuts) - 1 and i in track.thumbs \
                    else track.thumbnail_near(t)[0]
                out.append(KeyMoment(start=t, end=t, kind="cut", score=score,
                                     label="hard cut", thumbnail=thumb))
        return out




# --------------------------------------------------------------------------------------------
# Ramps (fades and dissolves): a clamped linear ramp fitted by least squares
# --------------------------------------------------------------------------------------------
def _fit_ramp(t: "np.ndarray", y: "np.ndarray", s_range: tuple[float, float],
              e_range: tuple[float, float], step: float, rising: bool,
              scale_free: bool = True) -> tuple[float, float, float]:
    """Best ``(s, e, sse)`` for ``y ≈ P·g(t)`` where ``g`` is 0 before ``s``, 1 after ``e``
    and linear between (``rising``), or the mirror image; ``P`` is fitted (or 1)."""
    import numpy as np

    best = (s_range[0], e_range[1], math.inf)
    ss = np.arange(s_range[0], s_range[1] + 1e-9, step)
    es = np.arange(e_range[0], e_range[1] + 1e-9, step)
    for s in ss:
        for e in es:
            if e - s < step * 1.5:
                continue
            g = np.clip((t - s) / (e - s), 0.0, 1.0)
            if not rising:
                g = 1.0 - g
            if scale_free:
                den = float((g * g).sum())
                p = float((g * y).sum()) / den if den > 0 else 0.0
            else:
                p = 1.0
            sse = float(((y - p * g) ** 2).sum())
            if sse < best[2]:
                best = (float(s), float(e), sse)
    return best


def _blocked(times: "np.ndarray", spans: Iterable[tuple[float, float]], lo: float,
             hi: float, centre: float) -> tuple[float, float]:
    """Shrink ``[lo, hi]`` so it does not cross any of ``spans`` (seen from ``centre``)."""
    for s, e in spans:
        if e <= centre and e > lo:
            lo = e
        if s >= centre and s < hi:
            hi = s
    return lo, hi


# --------------------------------------------------------------------------------------------
# Fades
# --------------------------------------------------------------------------------------------
class FadeDetector(Detector):
    """Fades to and from black: luma ramps down into (or up out of) a black stretch.

    A change into or out of black that happens in one frame is a cut, not a fade
    (``max_step``: the largest share of the ramp one frame may take).  Start and end are
    placed by fitting a linear ramp to the frames' brightness.
    """

    kind = "fade"

    def __init__(self, black_share: float = 0.85, min_ramp: float | str = "3f",
                 max_ramp: float | str = 3.0, min_depth: float = 12.0,
                 max_step: float = 0.6) -> None:
        self.black_share = black_share
        self.min_ramp = min_ramp
        self.max_ramp = max_ramp
        self.min_depth = min_depth
        self.max_step = max_step

    def process(self, track: FeatureTrack, context: dict[str, Any]) -> list[KeyMoment]:
        import numpy as np

        ym = track.y_mean.astype(np.float64)
        n = len(ym)
        context.setdefault("dark", np.zeros(n, bool))
        if n < 3:
            return []
        fps = _fps(track)
        fd = track.frame_dur
        min_ramp, max_ramp = seconds(self.min_ramp, fps) - 0.5 * fd, seconds(self.max_ramp, fps)
        dark = (track.dark_frac >= self.black_share) & (ym < 40)
        context["dark"] = dark
        cut_times = [m.start for m in context.get("cuts", [])]
        out: list[KeyMoment] = []
        i = 0
        while i < n:
            if not dark[i]:
                i += 1
                continue
            j = i
            while j + 1 < n and dark[j + 1]:
                j += 1
            black = float(np.median(ym[i:j + 1]))
            for side in (-1, +1):
                edge = i if side < 0 else j
                m = self._ramp(track, ym - black, edge, side, max_ramp, cut_times, min_ramp)
                if m is not None:
                    out.append(m)
            i = j + 1
        return out

    def _ramp(self, track: FeatureTrack, level: "np.ndarray", edge: int, side: int,
              max_ramp: float, cut_times: list[float], min_ramp: float) -> KeyMoment | None:
        import numpy as np

        times = track.times
        n = len(times)
        fd = track.frame_dur
        # Walk away from black while the picture keeps getting brighter (small wobbles allowed).
        k = edge
        while 0 <= k + side < n and abs(times[k + side] - times[edge]) <= max_ramp:
            nxt = k + side
            if level[nxt] < level[k] - 0.6:
                break
            # Still rising?  Compared with the level three frames nearer black, read on the
            # time axis (frames the decoder skipped do not stretch the comparison).
            t_back = times[nxt] - 3 * fd * side
            if ((t_back - times[edge]) * side >= -1e-9 and level[nxt] > 10
                    and level[nxt] - float(np.interp(t_back, times, level)) < 0.6):
                break
            if any(min(times[k], times[nxt]) < c <= max(times[k], times[nxt]) + 1e-9
                   for c in cut_times):
                break
            k = nxt
        far = k
        depth = float(level[far] - level[edge])
        if far == edge or depth < self.min_depth:
            return None
        steps = np.abs(np.diff(level[min(far, edge):max(far, edge) + 1]))
        if len(steps) and steps.max() > self.max_step * depth:
            return None  # one frame does most of it: a cut into or out of black
        # Fit the ramp on the stretch plus some of the plateau beyond it.
        lo_i, hi_i = sorted((edge, far))
        if side < 0:
            a = int(np.searchsorted(times, times[lo_i] - 0.4 - 1e-9))
            b = min(n - 1, hi_i + 2)
        else:
            a = max(0, lo_i - 2)
            b = min(n - 1, int(np.searchsorted(times, times[hi_i] + 0.4 + 1e-9, side="right")) - 1)
        t, y = times[a:b + 1], level[a:b + 1].astype(np.float64)
        t_edge, t_far = float(times[edge]), float(times[far])
        if side < 0:   # fade-out: plateau, ramp down, black at `edge`
            s, e, _ = _fit_ramp(t, y, (t_far - 0.3, min(t_edge, t_far + 0.3)),
                                (t_edge - 0.25, t_edge + 2 * fd), fd / 2, rising=False)
            kind, label = "fade_out", "fade to black"
        else:          # fade-in: black at `edge`, ramp up, plateau
            s, e, _ = _fit_ramp(t, y, (t_edge - 2 * fd, t_edge + 0.25),
                                (max(t_edge, t_far - 0.3), t_far + 0.3), fd / 2, rising=True)
            kind, label = "fade_in", "fade in from black"
        start = _first_after(times, s + 0.5 * fd)
        end = _first_after(times, e - 0.5 * fd)
        if end - start < min_ramp:
            return None
        thumb, _ = track.thumbnail_near(start if side < 0 else end)
        return KeyMoment(start, end, kind, depth, label, thumb)


def _first_after(times: "np.ndarray", t: float) -> float:
    import numpy as np

    i = int(np.searchsorted(times, t - 1e-9))
    return float(times[min(i, len(times) - 1)])


def _sharpness(track: FeatureTrack, i: int) -> float:
    """Mean absolute luma gradient of decoded frame ``i`` (64×36)."""
    import numpy as np

    y = track.Y[i].astype(np.float32)
    return float(np.abs(np.diff(y, axis=0)).mean() + np.abs(np.diff(y, axis=1)).mean())


def _ghosting(track: FeatureTrack, si: int, ei: int) -> float:
    """Sharpness of the middle half of ``[si, ei)`` relative to what the two ends' sharpness
    predicts (minimum over those frames): < 1 when the frames are blends (double images)."""
    n = len(track.times)
    sa = 0.5 * (_sharpness(track, si - 1) + _sharpness(track, max(0, si - 2)))
    sb = 0.5 * (_sharpness(track, ei) + _sharpness(track, min(n - 1, ei + 1)))
    span = track.times[ei] - track.times[si - 1]
    out = 1.0
    q = (ei - si) // 4
    for k in range(si + q, ei - q + 1):
        a = (track.times[k] - track.times[si - 1]) / span if span > 0 else 0.5
        out = min(out, _sharpness(track, k) / max(1e-3, (1 - a) * sa + a * sb))
    return out


# --------------------------------------------------------------------------------------------
# Dissolves
# --------------------------------------------------------------------------------------------
class DissolveDetector(Detector):
    """Cross-dissolves: the frames between two pictures are blends of them.

    A fast pan also changes the picture a lot over a second, but its middle frame is a
    *shifted* picture, not an average of the two ends (``blend_ratio`` = residual of the
    blend / difference of the ends); an exposure change is a blend of a picture with a
    darker copy of itself (``structure``: the two ends must differ after brightness and
    contrast are taken out).  Start and end come from a linear ramp fitted to how far each
    frame has gone from one picture to the other.
    """

    kind = "dissolve"

    def __init__(self, threshold: float = 18.0, blend_ratio: float = 0.36,
                 durations: Sequence[float] = (0.4, 0.7, 1.0, 1.5, 2.0),
                 structure: float = 0.85, extent: float = 0.55,
                 min_duration: float | str = 0.25,
                 reach: float = 0.5) -> None:
        self.threshold = threshold
        self.blend_ratio = blend_ratio
        self.durations = tuple(durations)
        self.structure = structure
        self.extent = extent
        self.min_duration = min_duration
        self.reach = reach

    def process(self, track: FeatureTrack, context: dict[str, Any]) -> list[KeyMoment]:
        import numpy as np

        n = len(track.times)
        if n < 5:
            return []
        small = track.small
        coarse = track.coarse
        times = track.times
        fd = track.frame_dur
        fps = _fps(track)
        dark = context.get("dark")
        if dark is None or len(dark) != n:
            dark = np.zeros(n, bool)
        blocked = [(m.start - 0.04, m.end + 0.04) for m in context.get("transitions", [])]
        cuts = np.array(sorted(m.start for m in context.get("cuts", [])), float)
        med = float(np.median(np.diff(times))) if n > 1 else fd
        stride = max(1, int(round(0.1 / max(med, 1e-3))))
        found: list[tuple[float, int, int]] = []
        for L in self.durations:
            centres = np.arange(0, n, stride)
            a = np.searchsorted(times, times[centres] - L / 2)
            b = np.minimum(n - 1, np.searchsorted(times, times[centres] + L / 2))
            ok = (a < centres) & (b > centres) & (times[b] - times[a] >= 0.75 * L)
            ok &= ~(dark[a] | dark[b] | dark[centres])
            if not ok.any():
                continue
            a, b, centres = a[ok], b[ok], centres[ok]
            d = np.abs(small[a] - small[b]).mean(1)
            keep = d >= self.threshold
            for ai, bi, di in zip(a[keep], b[keep], d[keep]):
                ai, bi = int(ai), int(bi)
                ta, tb = float(times[ai]), float(times[bi])
                if len(cuts) and np.any((cuts > ta - 0.05) & (cuts < tb + 0.05)):
                    continue
                if any(ta < e and tb > s for s, e in blocked):
                    continue
                worst = self._blend_residual(coarse, times, ai, bi,
                                             float(np.abs(coarse[ai] - coarse[bi]).mean()))
                if worst is not None:
                    found.append((float(di) * (1 - worst), ai, bi))
        # Clusters of overlapping windows → one candidate each (the best), then refine.
        found.sort(key=lambda x: -x[0])
        kept: list[tuple[float, int, int]] = []
        for f in found:
            if all(times[f[2]] <= times[k[1]] or times[f[1]] >= times[k[2]] for k in kept):
                kept.append(f)
        out: list[KeyMoment] = []
        spans = [(s, e) for s, e in blocked]
        for score, ai, bi in sorted(kept, key=lambda x: x[1]):
            got = self._refine(track, ai, bi, spans, cuts)
            if got is None:
                continue
            s, e = got
            if e - s < seconds(self.min_duration, fps) - 0.5 * fd:
                continue
            if any(s < oe and e > os_ for os_, oe in [(m.start, m.end) for m in out]):
                continue
            thumb, _ = track.thumbnail_near((s + e) / 2)
            out.append(KeyMoment(s, e, "dissolve", score, "dissolve", thumb))
        return out

    def _blend_residual(self, small: "np.ndarray", times: "np.ndarray", a: int, b: int,
                        d: float) -> float | None:
        """Worst relative residual of the middle frames against the blend of ``a`` and ``b``,
        or None if they are not blends."""
        import numpy as np

        A, B = small[a], small[b]
        diff = B - A
        norm = float((diff * diff).sum()) + 1e-6
        span = times[b] - times[a]
        worst = 0.0
        for frac in (0.25, 0.5, 0.75):
            k = int(np.searchsorted(times, times[a] + frac * span))
            if k <= a or k >= b:
                continue
            alpha = float(((small[k] - A) * diff).sum()) / norm
            pos = (times[k] - times[a]) / span
            resid = float(np.abs(small[k] - (A + alpha * diff)).mean()) / d
            worst = max(worst, resid)
            if abs(alpha - pos) > 0.2 or resid > self.blend_ratio:
                return None
        return worst

    def _refine(self, track: FeatureTrack, a: int, b: int, spans: list[tuple[float, float]],
                cuts: "np.ndarray") -> tuple[float, float] | None:
        """Place the dissolve found by the window ``[a, b]`` exactly, or None if it is none.

        For every candidate first blended frame ``s`` and first pure frame ``e`` near the
        window's ends, the frames in between are compared with the linear blend of frame
        ``s - 1`` and frame ``e``; the span kept maximises the change it explains minus
        ``3 ×`` the blend's mean residual, on 16×9 block means (which motion disturbs
        less).  Too long a span takes in frames of the shots themselves, which are no
        blend; too short a span explains less of the change.
        """
        import cv2
        import numpy as np

        times = track.times
        n = len(times)
        fd = track.frame_dur
        small = track.coarse
        ta, tb = float(times[a]), float(times[b])
        reach = self.reach
        lo, hi = _blocked(times, spans + [(c - 0.02, c + 0.02) for c in cuts], ta - reach,
                          tb + reach, (ta + tb) / 2)
        s_lo = max(1, int(np.searchsorted(times, max(lo, ta + fd - reach) - 1e-9)))
        s_hi = int(np.searchsorted(times, ta + fd + reach + 1e-9))
        e_lo = int(np.searchsorted(times, tb - reach - 1e-9))
        e_hi = min(n - 1, int(np.searchsorted(times, min(hi, tb + reach) + 1e-9)) - 1)
        best: tuple[float, int, int, float] | None = None

        def search(s_range: range, e_lo: int, e_hi: int, e_step: int) -> None:
            nonlocal best
            for si in s_range:
                E = np.arange(max(si + 2, e_lo), e_hi + 1, e_step)
                if not len(E):
                    continue
                A = small[si - 1]
                K = np.arange(si, E[-1])
                t0 = times[si - 1]
                al = (times[K][None, :] - t0) / (times[E][:, None] - t0)
                diffs = small[E] - A
                res = np.abs(small[K][None, :, :] - A - al[..., None] * diffs[:, None, :]).mean(2)
                mask = K[None, :] < E[:, None]
                resid = (res * mask).sum(1) / np.maximum(mask.sum(1), 1)
                dnet = np.abs(diffs).mean(1)
                score = dnet - 3.0 * resid
                k = int(np.argmax(score))
                if best is None or score[k] > best[0]:
                    best = (float(score[k]), si, int(E[k]), float(resid[k] / max(dnet[k], 1e-6)))

        # Coarse (every other frame), then every frame around the best pair.
        search(range(s_lo, max(s_lo, s_hi) + 1, 2), e_lo, e_hi, 2)
        if best is not None:
            _, bs, be, _ = best
            search(range(max(s_lo, bs - 2), min(max(s_lo, s_hi), bs + 2) + 1),
                   max(e_lo, be - 2), min(e_hi, be + 2), 1)
        if best is None:
            return None
        _, si, ei, ratio = best
        dnet = float(np.abs(track.small[ei] - track.small[si - 1]).mean())
        if dnet < self.threshold or ratio > self.blend_ratio:
            return None
        # The ends must be different pictures: not the same one brighter or darker, moved a
        # little, or with a title faded in over part of it (``extent``: share of the 8×4
        # blocks of the picture that change).  A blend of two pictures loses contrast in the
        # middle (ghosting): the clearer that dip, the less structural change is needed.
        change = cv2.resize(np.abs(track.Y[ei].astype(np.float32) - track.Y[si - 1]), (8, 4),
                            interpolation=cv2.INTER_AREA)
        extent = float((change > 12).mean())
        z = float(np.abs(track.z(si - 1) - track.z(ei)).mean())
        dip = _ghosting(track, si, ei)
        need = min(self.structure + 0.2, max(self.structure - 0.15,
                                             self.structure + 2.0 * (dip - 0.9)))
        if extent < self.extent or z < need:
            return None
        return _place_by_progress(track, si, ei, spans + [(c - 0.02, c + 0.02) for c in cuts],
                                  PROGRESS_REACH)


#: How far (s) :func:`_place_by_progress` may move a dissolve's start or end.
PROGRESS_REACH = 0.4
#: It moves them only if its ramp leaves less than this share of the squared error the
#: first placement leaves.
PROGRESS_GAIN = 0.3
#: Frames of the window it fits at most (evenly spread; high-frame-rate video).
PROGRESS_POINTS = 200


def _place_by_progress(track: FeatureTrack, si: int, ei: int,
                       spans: list[tuple[float, float]], reach: float) -> tuple[float, float]:
    """Start and end of the dissolve found as decoded frames ``si``..``ei``, from how far each
    frame has gone from the picture before it (frame ``si - 1``) to the picture after
    (``ei``): that progress (the frame's projection on the line between the two, 16×9 block
    means) is fitted with a clamped linear ramp whose two levels are free, at steps of half
    a frame (at most ~40 each way) within ``reach`` of the first placement, which is kept
    unless the best ramp leaves under :data:`PROGRESS_GAIN` of its squared error.  The
    blend test that found the dissolve ends it early when the next shot moves fast (its own
    frames drift from frame ``ei``) and starts it late when the last one does; the ramp of
    the progress does not depend on how well each frame matches the two ends, only on how
    it moves between them, and its free levels absorb a shot's slow drift before or after.  Returns decoded frame times:
    the first frame after the ramp's start and the first at its end."""
    import numpy as np

    times = track.times
    n = len(times)
    fd = track.frame_dur
    s0, e0 = float(times[si]), float(times[ei])
    lo, hi = _blocked(times, spans, s0 - 2 * reach, e0 + 2 * reach, (s0 + e0) / 2)
    lo, hi = max(lo, s0 - reach), min(hi, e0 + reach)
    ks = np.nonzero((times >= lo - 1e-9) & (times <= hi + 1e-9))[0]
    if len(ks) < 6:
        return s0, e0
    if len(ks) > PROGRESS_POINTS:   # high frame rates: a ramp needs no more points than this
        ks = ks[np.linspace(0, len(ks) - 1, PROGRESS_POINTS).round().astype(int)]
    C = track.coarse
    A, B = C[si - 1], C[ei]
    d = B - A
    y = ((C[ks] - A) * d).sum(1) / (float((d * d).sum()) + 1e-6)
    t = times[ks]
    step = max(fd / 2, reach / 20)   # at most ~40 starts and ~40 ends

    def fit(S: "np.ndarray", E: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
        """SSE of the best two-level ramp for every (start, end) pair, and which are valid."""
        span = E[None, :] - S[:, None]
        g = np.clip((t[None, None, :] - S[:, None, None]) / np.maximum(span, 1e-6)[..., None],
                    0, 1)
        u = 1.0 - g
        suu, suv, svv = (u * u).sum(2), (u * g).sum(2), (g * g).sum(2)
        suy, svy = (u * y).sum(2), (g * y).sum(2)
        det = suu * svv - suv * suv
        ok = (span >= 2 * fd) & (det > 1e-9)
        with np.errstate(divide="ignore", invalid="ignore"):
            c0 = (svv * suy - suv * svy) / det
            c1 = (suu * svy - suv * suy) / det
            sse = float((y * y).sum()) - c0 * suy - c1 * svy
        ok &= c1 - c0 > 0.5      # a rise from one picture to the other, not a flat fit
        return np.where(ok, sse, np.inf), ok

    S = np.arange(max(lo, s0 - reach), s0 + reach + 1e-9, step)
    E = np.arange(e0 - reach, min(hi, e0 + reach) + 1e-9, step)
    if not len(S) or not len(E):
        return s0, e0
    sse, ok = fit(S, E)
    if not ok.any():
        return s0, e0
    a, b = np.unravel_index(int(np.argmin(sse)), sse.shape)
    # The first placement as a ramp (from the last frame of the first picture to the first
    # of the second): moved only if the progress says clearly otherwise, so a clean blend
    # keeps the frames the blend test found.
    here, _ = fit(np.array([float(times[si - 1])]), np.array([e0]))
    if not float(sse[a, b]) < PROGRESS_GAIN * float(here[0, 0]):
        return s0, e0
    ns = float(times[min(n - 1, int(np.searchsorted(times, S[a] + 1e-6)))])
    ne = float(times[min(n - 1, int(np.searchsorted(times, E[b] - 1e-6)))])
    if ne - ns < fd:
        return s0, e0
    return ns, ne


# --------------------------------------------------------------------------------------------
# Secondary moments
# --------------------------------------------------------------------------------------------
def _shot_mask(track: FeatureTrack, moments: Iterable[KeyMoment], pad: float) -> "np.ndarray":
    import numpy as np

    mask = np.ones(len(track.times), bool)
    for m in moments:
        lo = int(np.searchsorted(track.times, m.start - pad))
        hi = int(np.searchsorted(track.times, m.end + pad, side="right"))
        mask[lo:hi] = False
    return mask


def _peaks(values: "np.ndarray", times: "np.ndarray", mask: "np.ndarray", *, min_gap: float,
           threshold: float, limit: int) -> list[int]:
    import numpy as np

    cand = [int(i) for i in np.nonzero((values >= threshold) & mask)[0]]
    cand.sort(key=lambda i: -values[i])
    kept: list[int] = []
    for i in cand:
        if all(abs(times[i] - times[j]) >= min_gap for j in kept):
            kept.append(i)
        if len(kept) >= limit:
            break
    return sorted(kept)


class MotionDetector(Detector):
    """Secondary moments: the strongest bursts of motion inside shots."""

    kind = "motion"

    def __init__(self, sigma: float = 2.5, smooth: float | str = 0.5, min_gap: float | str = 3.0,
                 per_minute: float = 4.0) -> None:
        self.sigma = sigma
        self.smooth = smooth
        self.min_gap = min_gap
        self.per_minute = per_minute

    def process(self, track: FeatureTrack, context: dict[str, Any]) -> list[KeyMoment]:
        import numpy as np

        n = len(track.times)
        if n < 10:
            return []
        fps = _fps(track)
        per_frame = track.d_y / (track.gaps / track.frame_dur)
        mask = _shot_mask(track, context.get("transitions", []), 0.3)
        per_frame = np.where(mask, per_frame, 0.0)
        w = max(1, min(n, int(round(seconds(self.smooth, fps) / float(np.median(track.gaps))))))
        smooth = np.convolve(per_frame, np.ones(w) / w, mode="same")[:n]
        base = smooth[mask] if mask.any() else smooth
        thr = float(np.median(base) + self.sigma * (np.percentile(base, 75)
                                                    - np.percentile(base, 25) + 1e-3) * 1.5)
        thr = max(thr, 4.0)
        limit = max(1, int(math.ceil(track.info.duration / 60.0 * self.per_minute)))
        half = 0.5 * seconds(self.smooth, fps)
        out = []
        for i in _peaks(smooth, track.times, mask, min_gap=seconds(self.min_gap, fps),
                        threshold=thr, limit=limit):
            t = float(track.times[i])
            thumb, _ = track.thumbnail_near(t)
            out.append(KeyMoment(max(0.0, t - half), t + half, "motion", float(smooth[i]),
                                 f"motion peak ({smooth[i]:.0f})", thumb))
        return out


class BrightnessDetector(Detector):
    """Secondary moments: sudden brightness changes inside shots (flashes, lights on/off)."""

    kind = "brightness"

    def __init__(self, jump: float = 25.0, window: float | str = 0.5,
                 min_gap: float | str = 2.0) -> None:
        self.jump = jump
        self.window = window
        self.min_gap = min_gap

    def process(self, track: FeatureTrack, context: dict[str, Any]) -> list[KeyMoment]:
        import numpy as np

        n = len(track.times)
        if n < 5:
            return []
        fps = _fps(track)
        win = seconds(self.window, fps)
        ym, times = track.y_mean, track.times
        lo = np.searchsorted(times, times - win)
        change = np.abs(ym - ym[lo])
        mask = _shot_mask(track, context.get("transitions", []), win + 0.1)
        out = []
        for i in _peaks(change, times, mask, min_gap=seconds(self.min_gap, fps),
                        threshold=self.jump, limit=max(2, int(track.info.duration / 30) + 2)):
            t = float(times[i])
            thumb, _ = track.thumbnail_near(t)
            sign = "brighter" if ym[i] > ym[lo[i]] else "darker"
            out.append(KeyMoment(float(times[lo[i]]), t, "brightness", float(change[i]),
                                 f"{sign} ({change[i]:+.0f})", thumb))
        return out


def default_detectors() -> list[Detector]:
    return [CutDetector(), FadeDetector(), DissolveDetector(), MotionDetector(),
            BrightnessDetector()]
