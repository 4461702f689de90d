"""Drawing primitives of the procedural preview: colour mixing, value noise, premultiplied
canvases and masked paint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


def _mix(a: Sequence[float], b: Sequence[float], t: float) -> tuple[float, float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def _mul(a: Sequence[float], m: Sequence[float]) -> tuple[float, float, float]:
    return (a[0] * m[0], a[1] * m[1], a[2] * m[2])


def _noise2d(rng: Any, h: int, w: int, cells: float, octaves: int = 4, persistence: float = 0.5,
             aspect: float = 1.0) -> "np.ndarray":
    """Fractal value noise in [0, 1], ``cells`` lattice cells over the height at octave 0."""
    import cv2
    import numpy as np

    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        gy = max(2, int(round(cells * 2 ** o)))
        gx = max(2, int(round(gy * w / max(h, 1) / aspect)))
        grid = rng.random((gy + 1, gx + 1), dtype=np.float32)
        out += amp * cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
        total += amp
        amp *= persistence
    out /= total
    lo, hi = np.percentile(out, 1), np.percentile(out, 99)
    return np.clip((out - lo) / max(hi - lo, 1e-6), 0, 1).astype(np.float32)


def _noise1d(rng: Any, n: int, cells: float, octaves: int = 4, persistence: float = 0.5) -> "np.ndarray":
    import cv2
    import numpy as np

    out = np.zeros(n, np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        g = max(2, int(round(cells * 2 ** o)))
        grid = rng.random((1, g + 1), dtype=np.float32)
        out += amp * cv2.resize(grid, (n, 1), interpolation=cv2.INTER_CUBIC)[0]
        total += amp
        amp *= persistence
    out /= total
    lo, hi = float(out.min()), float(out.max())
    return ((out - lo) / max(hi - lo, 1e-6)).astype(np.float32)


@dataclass
class _Canvas:
    pm: Any            # (y1 - y0, wc, 3) float32: premultiplied RGB
    inv: Any           # (y1 - y0, wc, 3) float32: 1 - alpha (repeated per channel for cv2.multiply)
    y0: int            # first row with any alpha
    depth: float       # parallax depth: 0 = at infinity, 1 = nearest
    margin: int        # canvas column shown at output x = 0 when the scroll offset is 0
    name: str = ""


def _paint(frame: "np.ndarray", mask: "np.ndarray", colour: "np.ndarray", opacity: float) -> None:
    """Blend ``colour`` into ``frame`` with ``mask`` (uint8 coverage) × ``opacity``, rows with ink only."""
    import numpy as np

    import cv2

    rows = np.flatnonzero(mask.any(axis=1))
    if not len(rows):
        return
    r0, r1 = int(rows[0]), int(rows[-1]) + 1
    a = cv2.cvtColor(mask[r0:r1], cv2.COLOR_GRAY2RGB).astype(np.float32)
    a *= opacity / 255.0
    _mix_towards(frame[r0:r1], colour, a)


def _mix_towards(band: "np.ndarray", colour: "np.ndarray", a3: "np.ndarray") -> None:
    """In place: ``band += (colour - band) * a3`` with OpenCV (band must be contiguous rows)."""
    import cv2

    diff = cv2.subtract(band, (float(colour[0]), float(colour[1]), float(colour[2]), 0.0))
    cv2.multiply(diff, a3, dst=diff)
    cv2.subtract(band, diff, dst=band)
