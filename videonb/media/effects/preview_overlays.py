"""The moving overlays of the procedural preview -- birds, fire, rain, snow, fog, lightning --
drawn per frame over the static scene (a mixin of the preview renderer)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

from .preview_paint import _mix, _mix_towards, _mul, _noise1d, _noise2d, _paint

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .preview_plan import PreviewPlan


class _Overlays:
    """Per-frame layers; each appends a ``("dyn", draw(frame, i))`` op to ``self.ops``.

    Mixed into :class:`~videonb.media.effects.preview_render._PreviewRenderer`, which sets the
    attributes below and provides ``rng`` and ``scroll``.
    """

    plan: PreviewPlan
    w: int
    h: int
    k: float
    t: Any
    horizon: int
    tod: str
    colours: dict[str, Any]
    ops: list[tuple[str, Any]]
    layers: list[str]
    rng: Callable[[int], Any]
    scroll: Callable[[float, int], float]

    # ---------------------------------------------------------------- overlays
    def _birds(self) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(80)
        count = int(rng.integers(6, 10))
        x0 = rng.uniform(-0.3, 0.7, count) * w
        y0 = rng.uniform(0.18, 0.6, count) * self.horizon
        v = rng.uniform(0.12, 0.22, count) * w
        size = rng.uniform(4, 8, count) * self.k
        freq = rng.uniform(2.2, 3.5, count)
        phase = rng.uniform(0, 2 * np.pi, count)
        col = np.array((22, 22, 30) if self.tod != "night" else (10, 10, 16), np.float32)
        mask = np.zeros((h, w), np.uint8)

        def draw(frame: "np.ndarray", i: int) -> None:
            t = self.t[i]
            mask[:] = 0
            polys = []
            for b in range(count):
                x = (x0[b] + v[b] * t + 0.3 * w) % (1.6 * w) - 0.3 * w - self.scroll(0.2, i)
                y = y0[b] + 3 * self.k * math.sin(0.8 * t + phase[b])
                flap = 0.7 * math.sin(2 * math.pi * freq[b] * t + phase[b])
                s = size[b]
                polys.append(np.array([[x - s, y - s * flap], [x - s * 0.35, y - s * 0.15],
                                       [x, y + s * 0.1], [x + s * 0.35, y - s * 0.15], [x + s, y - s * flap]]))
            pts = [np.round(p * 16).astype(np.int32) for p in polys]
            cv2.polylines(mask, pts, False, 255, max(1, int(round(1.3 * self.k))), cv2.LINE_AA, shift=4)
            _paint(frame, mask, col, 1.0)

        self.ops.append(("dyn", draw))
        self.layers.append("birds")

    def _fire(self) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(90)
        bh = int(0.45 * h)
        w2, h2 = max(8, w // 2), max(8, bh // 2)
        rise = 0.55 * h / self.fps / 2 * (1.0 + 0.2 * (self.speed - 1))
        total = int(math.ceil(rise * self.n)) + h2 + 2
        noise = _noise2d(rng, total, w2, 6.0 * total / h2, octaves=4, persistence=0.55, aspect=0.45)
        env = 0.55 + 0.45 * _noise1d(rng, w2, 5, 3)
        vprof = (np.linspace(0, 1, h2, dtype=np.float32) ** 1.2)[:, None]
        stops = [(0.0, (0, 0, 0)), (0.3, (150, 25, 0)), (0.55, (245, 105, 10)), (0.8, (255, 200, 60)),
                 (1.0, (255, 250, 225))]
        if "fire" in self.colours:
            c = self.colours["fire"]
            stops = [(0.0, (0, 0, 0)), (0.3, _mul(c, (0.5, 0.5, 0.5))), (0.6, c),
                     (0.85, _mix(c, (255, 255, 255), 0.5)), (1.0, (255, 255, 250))]
        xs = np.linspace(0, 1, 256)
        lut = np.stack([np.interp(xs, [s[0] for s in stops], [s[1][ch] for s in stops]) for ch in range(3)],
                       axis=1).astype(np.float32)
        flicker = 1.0 + 0.12 * np.sin(self.t * 11.0) * np.sin(self.t * 5.3 + 1.0)
        glow_col = np.array(lut[200], np.float32)
        gy = np.clip((np.arange(h, dtype=np.float32) - 0.3 * h) / (0.7 * h), 0, 1)[:, None, None]

        def draw(frame: "np.ndarray", i: int) -> None:
            s = int(round(total - h2 - rise * i)) - 1
            s = max(0, min(total - h2, s))
            inten = noise[s:s + h2] * vprof * env[None, :] * (1.9 * flicker[i]) - 0.5
            idx = np.clip(inten * 255, 0, 255).astype(np.uint8)
            col = lut[idx]
            frame[h - bh:] += cv2.resize(col, (w, bh), interpolation=cv2.INTER_LINEAR)
            frame += gy * glow_col * (0.1 * flicker[i])

        self.ops.append(("dyn", draw))
        self.layers.append("fire")

    def _rain(self) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(100)
        count = max(12, int(0.0009 * w * h))
        slant = 0.18
        x0 = rng.uniform(-slant * h, w, count)
        y0 = rng.uniform(0, h, count)
        v = rng.uniform(1.1, 1.6, count) * h / self.fps
        length = rng.uniform(0.035, 0.07, count) * h
        bright = rng.random(count) < 0.5
        mask = np.zeros((h, w), np.uint8)
        col = np.array((200, 205, 215), np.float32)

        def draw(frame: "np.ndarray", i: int) -> None:
            mask[:] = 0
            y = (y0 + v * i) % (h + length) - length
            x = x0 + slant * y
            for sel, val in ((bright, 190), (~bright, 110)):
                segs = np.stack([np.stack([x[sel], y[sel]], 1), np.stack([x[sel] + slant * length[sel],
                                                                          y[sel] + length[sel]], 1)], 1)
                cv2.polylines(mask, list(np.round(segs * 16).astype(np.int32)), False, val, 1,
                              cv2.LINE_AA, shift=4)
            _paint(frame, mask, col, 0.6)

        self.ops.append(("dyn", draw))
        self.layers.append("rain")

    def _snowfall(self) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(110)
        count = max(12, int(0.0011 * w * h))
        x0 = rng.uniform(0, w, count)
        y0 = rng.uniform(0, h, count)
        r = rng.uniform(0.8, 2.4, count) * self.k
        v = (0.06 + 0.1 * r / r.max()) * h / self.fps
        drift = 0.02 * w / self.fps * self.speed
        sway = rng.uniform(2, 8, count) * self.k
        ph = rng.uniform(0, 2 * np.pi, count)
        mask = np.zeros((h, w), np.uint8)
        col = np.array((245, 248, 255), np.float32)

        def draw(frame: "np.ndarray", i: int) -> None:
            mask[:] = 0
            t = self.t[i]
            y = (y0 + v * i) % (h + 6) - 3
            x = (x0 + drift * i + sway * np.sin(1.3 * t + ph) - self.scroll(0.6, i)) % (w + 6) - 3
            fixed = zip(np.round(x * 16).astype(int), np.round(y * 16).astype(int),
                        np.round(r * 16).astype(int), strict=True)
            for xx, yy, rr in fixed:
                cv2.circle(mask, (int(xx), int(yy)), int(rr), 230, -1, cv2.LINE_AA, shift=4)
            _paint(frame, mask, col, 1.0)

        self.ops.append(("dyn", draw))
        self.layers.append("snowfall")

    def _fog(self) -> None:
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(120)
        speed = 0.02 * w / self.fps * self.speed
        drift = int(math.ceil(speed * self.n)) + 2
        noise = _noise2d(rng, h, w + drift, 1.6, octaves=3, aspect=2.5)
        ys = np.arange(h, dtype=np.float32)[:, None]
        prof = 0.3 + 0.6 * np.exp(-((ys - self.horizon) / (0.22 * h)) ** 2)
        alpha = (prof * (0.45 + 0.55 * noise) * 0.75).astype(np.float32)
        alpha3 = np.ascontiguousarray(np.repeat(alpha[:, :, None], 3, axis=2))
        col = np.array(_mix(self.preset["horizon"], (200, 205, 210), 0.5), np.float32)

        def draw(frame: "np.ndarray", i: int) -> None:
            x = int(round(speed * i))
            _mix_towards(frame, col, alpha3[:, x:x + w])

        self.ops.append(("dyn", draw))
        self.layers.append("fog")

    def _lightning(self) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(130)
        flashes = sorted(int(x) for x in rng.uniform(0.15, 0.85, 2 if self.n > 40 else 1) * self.n)
        bolts = {}
        for f in flashes:
            x, y = rng.uniform(0.2, 0.8) * w, 0.0
            pts = [(x, y)]
            while y < self.horizon * 0.9:
                y += rng.uniform(0.03, 0.07) * h
                x += rng.normal(0, 0.025) * w
                pts.append((x, y))
            bolts[f] = np.round(np.array(pts) * 16).astype(np.int32)
        mask = np.zeros((h, w), np.uint8)

        def draw(frame: "np.ndarray", i: int) -> None:
            for f in flashes:
                if f <= i < f + 4:
                    decay = 0.5 ** (i - f)
                    frame += 70.0 * decay
                    if i - f < 2:
                        mask[:] = 0
                        cv2.polylines(mask, [bolts[f]], False, 255, max(1, int(2 * self.k)),
                                      cv2.LINE_AA, shift=4)
                        _paint(frame, mask, np.array((255.0, 255.0, 255.0), np.float32), 1.0)

        self.ops.append(("dyn", draw))
        self.layers.append("lightning")
