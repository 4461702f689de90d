"""Extending a clip: :func:`extend_frames` continues the measured camera motion of the last
frames, holds the last frame, or loops."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ...errors import InvalidOptionError
from ._frames import _as_frames, _frame_count

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["extend_frames"]


@dataclass
class _Step:
    tx: float       # translation of the image centre, pixels per frame
    ty: float
    log_s: float    # log scale per frame
    theta: float    # radians per frame (positive = clockwise on screen)


def _estimate_step(a: "np.ndarray", b: "np.ndarray", f: float) -> _Step | None:
    """Similarity motion a -> b of grey frames (scaled by ``f``), in full-resolution pixels."""
    import cv2
    import numpy as np

    h, w = a.shape
    c = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    pts = cv2.goodFeaturesToTrack(a, maxCorners=400, qualityLevel=0.01, minDistance=6, blockSize=7)
    m = None
    if pts is not None and len(pts) >= 12:
        lk = dict(winSize=(21, 21), maxLevel=3,
                  criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))
        nxt, st, _ = cv2.calcOpticalFlowPyrLK(a, b, pts, None, **lk)
        back, st2, _ = cv2.calcOpticalFlowPyrLK(b, a, nxt, None, **lk)
        fb_error = np.linalg.norm((back - pts).reshape(-1, 2), axis=1)
        ok = (st.ravel() == 1) & (st2.ravel() == 1) & (fb_error < 0.7)
        if ok.sum() >= 12:
            m, inl = cv2.estimateAffinePartial2D(pts[ok], nxt[ok], method=cv2.RANSAC,
                                                 ransacReprojThreshold=1.0, maxIters=2000,
                                                 confidence=0.995, refineIters=10)
            if m is None or inl is None or inl.sum() < max(10, 0.5 * ok.sum()):
                m = None
    if m is None:
        win = cv2.createHanningWindow((w, h), cv2.CV_32F)
        (dx, dy), response = cv2.phaseCorrelate(a.astype(np.float32), b.astype(np.float32), win)
        if response < 0.1:
            return None
        return _Step(dx / f, dy / f, 0.0, 0.0)
    scale = math.hypot(m[0, 0], m[1, 0])
    theta = math.atan2(m[1, 0], m[0, 0])
    tc = m[:, :2] @ c + m[:, 2] - c
    return _Step(float(tc[0]) / f, float(tc[1]) / f, math.log(max(scale, 1e-6)), theta)


def _step_matrix(step: _Step, k: float, w: int, h: int) -> "np.ndarray":
    import numpy as np

    s = math.exp(step.log_s * k)
    th = step.theta * k
    c = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    lin = s * np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    t = c + k * np.array([step.tx, step.ty]) - lin @ c
    return np.hstack([lin, t[:, None]])


def _cover_zoom(m: "np.ndarray", w: int, h: int) -> float:
    """Smallest zoom about the output centre so that ``m``'s window stays inside the source."""
    import numpy as np

    lin, t = m[:, :2], m[:, 2]
    inv = np.linalg.inv(lin)
    oc = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    q = inv @ (oc - t)
    lo, hi = np.array([0.0, 0.0]), np.array([w - 1.0, h - 1.0])
    if np.any(q <= lo + 2) or np.any(q >= hi - 2):
        return math.inf
    need = 1.0
    for cx, cy in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
        u = inv @ (np.array([cx, cy], float) - oc)
        for ax in range(2):
            if u[ax] > 0:
                need = max(need, u[ax] / (hi[ax] - q[ax]))
            elif u[ax] < 0:
                need = max(need, -u[ax] / (q[ax] - lo[ax]))
    return need


def _zoom_about_centre(m: "np.ndarray", s: float, w: int, h: int) -> "np.ndarray":
    import numpy as np

    oc = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    z = np.array([[s, 0.0, oc[0] * (1 - s)], [0.0, s, oc[1] * (1 - s)], [0.0, 0.0, 1.0]])
    return (z @ np.vstack([m, [0.0, 0.0, 1.0]]))[:2]


def extend_frames(frames: Any, *, seconds: float, fps: float,
                  mode: Literal["auto", "continue", "hold", "loop"] = "auto") -> "np.ndarray":
    """Make ``round(seconds * fps)`` **new** frames that follow ``frames`` (input not included).

    Modes:

    * ``"continue"``: measure the global camera motion over the last (up to 6) frames -- feature
      tracks (``goodFeaturesToTrack`` + pyramidal Lucas-Kanade, forward-backward checked) fitted
      with ``cv2.estimateAffinePartial2D`` (RANSAC), phase correlation when there is too little
      texture -- and extrapolate the median per-frame motion (translation, zoom, roll) on the last
      frame.  Same no-border rule as :func:`camera_move_frames`: the framing zooms in just enough
      (never out) to stay inside the last frame, while the content at the centre keeps the measured
      speed; the move eases out before it would run off the picture.  Zoom-outs cannot be continued
      from one frame (there is nothing outside it): that part is dropped with a warning.
    * ``"hold"``: the last frame with a subtle slow zoom in (1 % per second) so it is not frozen.
    * ``"loop"``: the input frames again from the start.
    * ``"auto"`` (default): ``"continue"`` when the last frames show one consistent, noticeable
      motion; otherwise ``"hold"``.

    ``fps`` is the frame rate of the input, which the new frames share.
    """
    import cv2
    import numpy as np

    if mode not in ("auto", "continue", "hold", "loop"):
        raise InvalidOptionError(f"mode={mode!r}: use 'auto', 'continue', 'hold' or 'loop'.")
    arr, _single = _as_frames(frames)
    n_new = _frame_count(seconds, fps)
    n, h, w = arr.shape[:3]
    if mode == "loop":
        return arr[np.arange(n_new) % n].copy()
    last = arr[-1]

    step: _Step | None = None
    if mode in ("auto", "continue"):
        if n < 2:
            if mode == "continue":
                raise InvalidOptionError("mode='continue' needs at least 2 frames to measure motion; "
                                         "use mode='hold' for a single image.")
        else:
            step = _measure_motion(arr[-min(6, n):], require_consistent=(mode == "auto"))
            if step is not None and step.log_s < -5e-4:
                warnings.warn("the clip zooms out; a zoom-out cannot be continued from its last frame "
                              "(nothing outside it is known), so only the pan/roll is continued.",
                              stacklevel=2)
                step = _Step(step.tx, step.ty, 0.0, step.theta)
            if step is not None and not _significant(step):
                step = None
            if step is None and mode == "continue":
                warnings.warn("no camera motion found in the last frames; holding the last frame.",
                              stacklevel=2)

    out = np.empty((n_new, h, w, 3), np.uint8)
    if step is None:  # hold
        for j in range(n_new):
            s = 1.0 + 0.01 * (j + 1) / float(fps)
            m = _zoom_about_centre(np.array([[1.0, 0, 0], [0, 1.0, 0]]), s, w, h)
            cv2.warpAffine(last, m, (w, h), dst=out[j], flags=cv2.INTER_CUBIC,
                           borderMode=cv2.BORDER_REFLECT101)
        return out

    # Soft limits: the centre may travel 30 % of the frame, zoom ×2, roll 15°; ease out before.
    limits = []
    if abs(step.tx) > 1e-9:
        limits.append(0.3 * w / abs(step.tx))
    if abs(step.ty) > 1e-9:
        limits.append(0.3 * h / abs(step.ty))
    if abs(step.log_s) > 1e-9:
        limits.append(math.log(2.0) / abs(step.log_s))
    if abs(step.theta) > 1e-9:
        limits.append(math.radians(15) / abs(step.theta))
    big_k = min(limits) if limits else math.inf

    def knee(k: float) -> float:
        start = 0.6 * big_k
        if k <= start:
            return k
        return start + 0.4 * big_k * math.tanh((k - start) / (0.4 * big_k))

    k, s_prev = 0.0, 1.0
    for j in range(n_new):
        k += 1.0 / s_prev  # screen speed at the centre stays the measured one despite the zoom
        m = _step_matrix(step, knee(k), w, h)
        s = max(s_prev, _cover_zoom(m, w, h))
        if not math.isfinite(s):  # cannot happen with the limits above; hold the previous framing
            s = s_prev
        mm = _zoom_about_centre(m, s, w, h)
        cv2.warpAffine(last, mm, (w, h), dst=out[j], flags=cv2.INTER_CUBIC,
                       borderMode=cv2.BORDER_REFLECT101)
        s_prev = s
    return out


def _significant(step: _Step) -> bool:
    return (math.hypot(step.tx, step.ty) >= 0.2 or abs(step.log_s) >= 1e-3
            or abs(step.theta) >= math.radians(0.05))


def _measure_motion(frames: "np.ndarray", *, require_consistent: bool) -> _Step | None:
    import cv2
    import numpy as np

    h, w = frames.shape[1:3]
    f = min(1.0, 480.0 / max(h, w))
    grays = []
    for fr in frames:
        g = cv2.cvtColor(fr, cv2.COLOR_RGB2GRAY)
        if f < 1.0:
            g = cv2.resize(g, (max(16, int(round(w * f))), max(16, int(round(h * f)))),
                           interpolation=cv2.INTER_AREA)
        grays.append(g)
    f_eff = grays[0].shape[1] / w
    steps = [_estimate_step(grays[i], grays[i + 1], f_eff) for i in range(len(grays) - 1)]
    good = [s for s in steps if s is not None]
    if not good or (require_consistent and len(good) < len(steps)):
        return None
    med = _Step(float(np.median([s.tx for s in good])), float(np.median([s.ty for s in good])),
                float(np.median([s.log_s for s in good])), float(np.median([s.theta for s in good])))
    if math.hypot(med.tx, med.ty) > 0.1 * max(w, h):
        return None  # a cut or a whip pan, not a camera move to continue
    if require_consistent:
        if len(good) < 2:
            return None
        tmag = math.hypot(med.tx, med.ty)
        for s in good:
            if math.hypot(s.tx - med.tx, s.ty - med.ty) > max(0.75, 0.35 * tmag):
                return None
            if abs(s.log_s - med.log_s) > max(2e-3, 0.35 * abs(med.log_s)):
                return None
            if abs(s.theta - med.theta) > max(math.radians(0.1), 0.35 * abs(med.theta)):
                return None
    return med
