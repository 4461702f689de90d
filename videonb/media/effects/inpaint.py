"""Object removal: :func:`inpaint_frames` fills a mask or boxes (optionally per time range)
from the surroundings with ``cv2.inpaint``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

from ...errors import InvalidOptionError
from ._frames import _as_frames

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["inpaint_frames"]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _box_pixels(box: Any, w: int, h: int) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` pixel bounds of an ``(x, y, w, h)`` box in pixels or 0..1 fractions."""
    try:
        vals = [float(v) for v in box]
    except (TypeError, ValueError):
        raise InvalidOptionError(
            f"box {box!r}: use (x, y, width, height) in pixels or 0..1 fractions.") from None
    if len(vals) != 4 or not all(math.isfinite(v) for v in vals):
        raise InvalidOptionError(f"box {box!r}: use four finite numbers (x, y, width, height).")
    x, y, bw, bh = vals
    if bw <= 0 or bh <= 0:
        raise InvalidOptionError(f"box {box!r} has a zero or negative width/height.")
    fractional = all(0.0 <= v <= 1.0 for v in vals) and any(v != int(v) for v in vals)
    if fractional:
        if x + bw > 1.0 + 1e-6 or y + bh > 1.0 + 1e-6:
            raise InvalidOptionError(
                f"box {box!r} (fractions of the frame) reaches past the frame edge: keep x + width "
                "and y + height at most 1.")
        x0, y0 = int(math.floor(x * w)), int(math.floor(y * h))
        x1, y1 = int(math.ceil((x + bw) * w)), int(math.ceil((y + bh) * h))
        return x0, y0, max(x0 + 1, min(w, x1)), max(y0 + 1, min(h, y1))
    if x < 0 or y < 0 or x + bw > w + 1e-6 or y + bh > h + 1e-6:
        raise InvalidOptionError(
            f"box {box!r} lies outside the {w}×{h} frame: clip it to 0 <= x, x + width <= {w}, "
            f"0 <= y, y + height <= {h} (or give fractions 0..1).")
    x0, y0 = int(math.floor(x)), int(math.floor(y))
    return x0, y0, max(x0 + 1, int(math.ceil(x + bw))), max(y0 + 1, int(math.ceil(y + bh)))


def _mask_from(mask: Any, w: int, h: int) -> "np.ndarray":
    import cv2
    import numpy as np

    m = np.asarray(mask)
    if m.ndim == 3 and m.shape[2] == 1:
        m = m[:, :, 0]
    if m.ndim != 2:
        raise InvalidOptionError(
            f"mask has shape {m.shape}; use one H×W array (bool, or uint8 with non-zero = remove). "
            "For an RGB mask pass mask.any(axis=2).")
    if m.shape[0] < 2 or m.shape[1] < 2:
        raise InvalidOptionError(f"mask has shape {m.shape}; it must be an H×W image.")
    if not (np.issubdtype(m.dtype, np.number) or m.dtype == np.bool_):
        raise InvalidOptionError(f"mask has dtype {m.dtype}; use bool or uint8.")
    m = (np.nan_to_num(m.astype(np.float32)) > 0).astype(np.uint8)
    if m.shape != (h, w):
        mh, mw = m.shape
        if abs(mw / mh - w / h) > 0.05 * (w / h):
            raise InvalidOptionError(
                f"mask is {mw}×{mh} but the frames are {w}×{h} (a different aspect ratio): draw the "
                "mask on a frame of the video.")
        m = cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST)
    if not m.any():
        raise InvalidOptionError("mask is empty: mark the pixels to remove with non-zero (True) values.")
    return m.astype(bool)


def inpaint_frames(frames: Any, *, mask: Any = None, boxes: Sequence[Any] | None = None,
                   times: Sequence[float] | None = None, fps: float | None = None,
                   method: str = "telea", radius: int = 5, dilate: int = 3) -> "np.ndarray":
    """Remove an object by filling it in from its surroundings (``cv2.inpaint``).

    Args:
        frames: ``(n, h, w, 3)`` RGB frames, a list of them, one image, or a ``Frames`` result
            (whose ``times`` are then used).
        mask: an ``H×W`` array (bool, or uint8 with non-zero = remove) applied to every frame;
            resized (nearest neighbour) when its size differs but its aspect ratio matches.
        boxes: rectangles ``(x, y, width, height)`` in pixels or as 0..1 fractions of the frame
            (a box is fractional when all four values are in 0..1 and one is not a whole number),
            applied to every frame; or ``(t0, t1, box)`` to apply a box only to frames shown at
            ``t0 <= t < t1`` seconds (needs ``times`` or ``fps``, or a ``Frames`` input).
        times: the time of each frame in seconds; or ``fps``: frame ``i`` is at ``i / fps``.
        method: ``"telea"`` (fast marching, default) or ``"ns"`` (Navier-Stokes).
        radius: inpainting neighbourhood radius in pixels.
        dilate: grow the mask by this many pixels first (covers anti-aliased/blurred edges).

    Returns new frames; pixels outside the (dilated) mask are unchanged, frames with nothing to
    remove are returned as they were.  Each frame is filled independently: fine for small objects
    and static shots, visibly "smeared" for large regions (this is not a generative fill).
    """
    import cv2
    import numpy as np

    frame_times = None
    if hasattr(frames, "images") and hasattr(frames, "times") and times is None:
        frame_times = [float(t) for t in frames.times]
    arr, single = _as_frames(frames)
    n, h, w = arr.shape[:3]
    methods = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}
    if method not in methods:
        raise InvalidOptionError(f"method={method!r}: use 'telea' or 'ns'.")
    if not isinstance(radius, (int, float)) or not (1 <= radius <= 50):
        raise InvalidOptionError(f"radius={radius!r}: use a number of pixels between 1 and 50.")
    if not isinstance(dilate, int) or not (0 <= dilate <= 50):
        raise InvalidOptionError(f"dilate={dilate!r}: use a whole number of pixels between 0 and 50.")
    if mask is None and not boxes:
        raise InvalidOptionError("nothing to remove: pass mask= (H×W array) or boxes=[(x, y, w, h)].")

    static = np.zeros((h, w), bool)
    if mask is not None:
        static |= _mask_from(mask, w, h)
    ranged: list[tuple[float, float, tuple[int, int, int, int]]] = []
    if boxes:
        items = list(boxes)
        if len(items) == 4 and all(_is_number(v) for v in items):
            items = [tuple(items)]  # one bare box
        for item in items:
            item = tuple(item) if not isinstance(item, tuple) else item
            if len(item) == 3 and _is_number(item[0]) and _is_number(item[1]):
                t0, t1 = float(item[0]), float(item[1])
                if not (t1 > t0):
                    raise InvalidOptionError(f"time range {item[:2]}: the end must be after the start.")
                ranged.append((t0, t1, _box_pixels(item[2], w, h)))
            else:
                x0, y0, x1, y1 = _box_pixels(item, w, h)
                static[y0:y1, x0:x1] = True
    if ranged:
        if times is not None:
            frame_times = [float(t) for t in times]
            if len(frame_times) != n:
                raise InvalidOptionError(
                    f"times has {len(frame_times)} values for {n} frames; give one per frame.")
        elif fps is not None:
            if not (float(fps) > 0):
                raise InvalidOptionError(f"fps={fps!r}: use a positive frame rate.")
            frame_times = [i / float(fps) for i in range(n)]
        elif frame_times is None:
            raise InvalidOptionError(
                "boxes with time ranges (t0, t1, box) need the frames' times: pass times=[...] "
                "(seconds, one per frame) or fps=.")
    kernel = (cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilate + 1, 2 * dilate + 1))
              if dilate else None)
    out = arr.copy()
    touched = 0
    for i in range(n):
        m = static.copy()
        for t0, t1, (x0, y0, x1, y1) in ranged:
            assert frame_times is not None
            if t0 <= frame_times[i] < t1:
                m[y0:y1, x0:x1] = True
        if not m.any():
            continue
        m8 = m.astype(np.uint8) * 255
        if kernel is not None:
            m8 = cv2.dilate(m8, kernel)
        if m8.all():
            raise InvalidOptionError("the mask covers the whole frame; nothing is left to fill it from.")
        out[i] = cv2.inpaint(arr[i], m8, float(radius), methods[method])
        touched += 1
    if touched == 0:
        span = f" ({frame_times[0]:.3f}-{frame_times[-1]:.3f} s)" if frame_times else ""
        raise InvalidOptionError(
            f"no frame falls inside the boxes' time ranges; check t0/t1 against the clip's times{span}.")
    return out[0] if single else out
