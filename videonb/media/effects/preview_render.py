"""The procedural preview's renderer: builds the static scene layers once (sky, clouds,
terrain, trees, skyline, water...) and then draws each frame cheaply (crops and a few blends),
with parallax when the camera pans or orbits."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ._frames import _ease
from .preview_overlays import _Overlays
from .preview_paint import _Canvas, _mix, _mul, _noise1d, _noise2d
from .preview_plan import _COLOURS, PreviewPlan

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


_SKY_PRESETS: dict[str, dict[str, Any]] = {
    "day": dict(top=(38, 96, 190), mid=(95, 150, 215), horizon=(190, 214, 236), sun=(255, 250, 232),
                sun_y=0.35, sun_r=0.035, glow=0.35, light=(1.0, 1.0, 1.0)),
    "sunrise": dict(top=(70, 95, 170), mid=(215, 150, 170), horizon=(255, 200, 150), sun=(255, 236, 190),
                    sun_y=0.86, sun_r=0.05, glow=0.7, light=(1.0, 0.86, 0.8)),
    "sunset": dict(top=(40, 38, 95), mid=(185, 85, 100), horizon=(255, 165, 75), sun=(255, 212, 140),
                   sun_y=0.86, sun_r=0.06, glow=0.9, light=(0.92, 0.7, 0.58)),
    "dusk": dict(top=(18, 22, 62), mid=(70, 60, 120), horizon=(160, 115, 150), sun=None,
                 light=(0.5, 0.5, 0.66)),
    "night": dict(top=(4, 7, 22), mid=(10, 18, 45), horizon=(30, 42, 80), sun=None, moon=(235, 235, 215),
                  light=(0.2, 0.24, 0.38)),
    "space": dict(top=(2, 2, 9), mid=(5, 5, 18), horizon=(10, 8, 26), sun=None, light=(1.0, 1.0, 1.0)),
}


class _PreviewRenderer(_Overlays):
    """Builds the static layers once, then draws each frame cheaply (crops + a few blends)."""

    def __init__(self, plan: PreviewPlan, n: int, fps: float, w: int, h: int, seed: int) -> None:
        import numpy as np

        self.plan, self.n, self.fps, self.w, self.h, self.seed = plan, n, float(fps), w, h, seed
        self.k = min(w, h * 16 / 9) / 640.0
        self.t = np.arange(n, dtype=np.float64) / self.fps
        cam = plan.camera
        u = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)
        self.e = np.asarray(_ease(u, cam.ease), dtype=np.float64)
        self.pan_px = cam.pan_x * w
        self.orbit_px = 0.1 * cam.orbit * w
        scenes = set(plan.scenes)
        self.scenes = scenes
        self.tod = plan.time_of_day
        self.preset = dict(_SKY_PRESETS[self.tod])
        self.colours = {k: _COLOURS[v] for k, v in plan.colours.items()}
        if "space" in scenes:
            self.horizon = h
        elif "ocean" in scenes:
            self.horizon = int(round(0.56 * h))
        elif "desert" in scenes:
            self.horizon = int(round(0.58 * h))
        elif scenes & {"city"} and not scenes & {"mountains", "forest", "countryside"}:
            self.horizon = int(round(0.7 * h))
        else:
            self.horizon = int(round(0.62 * h))
        self.speed = (1.0 + (1.5 if "drifting" in plan.motion else 0.0)
                      + (6.0 if "timelapse" in plan.motion else 0.0))
        self.layers: list[str] = []
        self.ops: list[tuple[str, Any]] = []
        self.sun_xy: tuple[float, float] | None = None
        self._hill_tops: dict[float, tuple[Any, int]] = {}  # depth -> (ridge line, canvas margin)
        self._build()

    # ---------------------------------------------------------------- helpers
    def rng(self, part: int) -> Any:
        import numpy as np

        return np.random.default_rng([self.seed, part])

    def scroll(self, depth: float, i: int) -> float:
        de = float(self.e[i]) - 0.5
        return self.pan_px * de * depth + self.orbit_px * de * (2.0 * depth - 1.0)

    def max_scroll(self, depth: float) -> int:
        return int(math.ceil(0.5 * (abs(self.pan_px) * depth + abs(self.orbit_px) * abs(2 * depth - 1)))) + 2

    def light(self) -> tuple[float, float, float]:
        return self.preset["light"]

    def shade(self, colour: Sequence[float], depth: float) -> tuple[float, float, float]:
        """Lit by the time of day, washed towards the horizon colour with distance, rain-greyed."""
        c = _mul(colour, self.light())
        c = _mix(c, self.preset["horizon"], (1.0 - depth) * 0.55)
        if "rain" in self.plan.weather or "fog" in self.plan.weather:
            g = sum(c) / 3.0
            c = _mix(c, (g, g, g), 0.35)
            c = (c[0] * 0.85, c[1] * 0.85, c[2] * 0.85)
        return c

    def colour(self, target: str, default: Sequence[float],
               amount: float = 0.7) -> tuple[float, float, float]:
        if target in self.colours:
            return _mix(default, self.colours[target], amount)
        return tuple(default)  # type: ignore[return-value]

    def canvas_from(self, rgb: "np.ndarray", alpha: "np.ndarray", depth: float, margin: int,
                    name: str) -> _Canvas:
        import numpy as np

        rows = np.nonzero(alpha.max(axis=1) > 1e-3)[0]
        y0, y1 = (int(rows[0]), int(rows[-1]) + 1) if len(rows) else (self.h - 1, self.h)
        a = np.clip(alpha[y0:y1], 0, 1).astype(np.float32)[:, :, None]
        pm = np.ascontiguousarray(np.clip(rgb[y0:y1], 0, 255).astype(np.float32) * a)
        inv = np.ascontiguousarray(np.repeat(1.0 - a, 3, axis=2))
        return _Canvas(pm, inv, y0, depth, margin, name)

    # ---------------------------------------------------------------- builders
    def _build(self) -> None:
        plan, p = self.plan, self.preset
        if "sky" in self.colours:
            p["top"] = _mix(p["top"], self.colours["sky"], 0.6)
            p["mid"] = _mix(p["mid"], self.colours["sky"], 0.6)
            p["horizon"] = _mix(p["horizon"], self.colours["sky"], 0.3)
        if "light" in self.colours:
            p["horizon"] = _mix(p["horizon"], self.colours["light"], 0.55)
            p["mid"] = _mix(p["mid"], self.colours["light"], 0.25)
            if p.get("sun"):
                p["sun"] = _mix(p["sun"], self.colours["light"], 0.4)
        if "accent" in self.colours and self.tod != "space":
            p["horizon"] = _mix(p["horizon"], self.colours["accent"], 0.3)
            p["mid"] = _mix(p["mid"], self.colours["accent"], 0.2)
        if "rain" in plan.weather:
            for key in ("top", "mid", "horizon"):
                g = sum(p[key]) / 3.0
                p[key] = _mix(p[key], (g * 0.9, g * 0.92, g), 0.6)
            p["sun"] = None
            p["moon"] = None
        self.layers.append("sky")
        self.sky = self._sky()
        stars = self.tod in ("night", "space") or ("stars" in plan.elements and self.tod == "dusk")
        if "spinning" in plan.motion and p.get("sun") and self.tod != "space":
            self._rays()
        if stars:
            self._stars()
        if self.tod == "space":
            self._planet()
        clouds = self.tod != "space" and (self.tod != "night" or "clouds" in plan.elements
                                          or "rain" in plan.weather)
        if clouds:
            self._clouds()
        if self.tod != "space":
            self._terrain()
        if "birds" in plan.elements or ("flying" in plan.motion and self.tod != "space"
                                        and plan.camera_source == "prompt"):
            self._birds()
        if "fire" in plan.elements:
            self._fire()
        if "rain" in plan.weather:
            self._rain()
        if "snow" in plan.weather:
            self._snowfall()
        if "fog" in plan.weather:
            self._fog()
        if "lightning" in plan.weather:
            self._lightning()

    def _sky(self) -> "np.ndarray":
        import numpy as np

        w, h, p = self.w, self.h, self.preset
        hz = max(1, self.horizon)
        y = np.arange(h, dtype=np.float32)
        t = np.clip(y / hz, 0, 1)
        top, mid, hor = (np.array(p[k], np.float32) for k in ("top", "mid", "horizon"))
        a = np.clip(t / 0.6, 0, 1)[:, None]
        b = np.clip((t - 0.6) / 0.4, 0, 1)[:, None]
        rows = np.where((t < 0.6)[:, None], top + (mid - top) * a, mid + (hor - mid) * (b ** 0.8))
        sky = np.repeat(rows[:, None, :], w, axis=1).astype(np.float32)
        if self.tod == "space":
            rng = self.rng(11)
            neb = _noise2d(rng, h, w, 2.5, octaves=5, persistence=0.55)
            c1 = np.array(self.colours.get("nebula", (120, 50, 170)), np.float32)
            c2 = np.array(self.colours.get("accent", (30, 120, 160)), np.float32)
            mix = _noise2d(rng, h, w, 1.5, octaves=2)[:, :, None]
            dens = (np.clip(neb - 0.45, 0, 1) / 0.55) ** 1.6
            sky += dens[:, :, None] * (c1 + (c2 - c1) * mix) * 0.8
            self.layers.append("nebula")
        sun = p.get("sun")
        moon = p.get("moon")
        xs = np.arange(w, dtype=np.float32)[None, :]
        ys = y[:, None]
        if sun is not None or moon is not None:
            self.sun_xy = (0.62 * w, p.get("sun_y", 0.3) * hz if sun is not None else 0.28 * h)
            sx, sy = self.sun_xy
            d = np.sqrt((xs - sx) ** 2 + (ys - sy) ** 2)
            if sun is not None:
                r = p["sun_r"] * h * (1.0 if "sun" not in self.colours else 1.1)
                col = np.array(sun, np.float32)
                glow = p["glow"] * (0.55 * np.exp(-(d / (0.22 * h)) ** 2)
                                    + 0.35 * np.exp(-(d / (0.7 * h)) ** 2))
                sky += glow[:, :, None] * (col - sky * 0.4) * 0.6
                disc = np.clip(r - d + 0.5, 0, 1)[:, :, None]
                sky += (col - sky) * disc
                self.layers.append("sun")
            else:
                r = 0.04 * h
                col = np.array(moon, np.float32)
                glow = 0.25 * np.exp(-(d / (0.12 * h)) ** 2)
                sky += glow[:, :, None] * col * 0.5
                disc = np.clip(r - d + 0.5, 0, 1)[:, :, None]
                spot = ((xs - sx + 0.3 * r) ** 2 + (ys - sy - 0.2 * r) ** 2) / (0.25 * r * r)
                crater = 1.0 - 0.12 * np.clip(1 - spot, 0, 1)
                sky += (col * crater[:, :, None] - sky) * disc
                self.layers.append("moon")
        else:
            self.sun_xy = None
        return sky

    def _rays(self) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        sx, sy = self.sun_xy
        w2, h2 = max(8, w // 2), max(8, h // 2)
        xs = (np.arange(w2, dtype=np.float32)[None, :] + 0.5) * (w / w2)
        ys = (np.arange(h2, dtype=np.float32)[:, None] + 0.5) * (h / h2)
        ang = np.arctan2(ys - sy, xs - sx)
        dist = np.sqrt((xs - sx) ** 2 + (ys - sy) ** 2)
        fall = np.exp(-dist / (0.45 * h)) * np.clip((dist - 0.05 * h) / (0.05 * h), 0, 1)
        fall *= (ys < self.horizon)
        col = np.array(self.preset["sun"], np.float32)
        omega = 0.35 * self.speed

        def draw(frame: "np.ndarray", i: int) -> None:
            spokes = (0.5 + 0.5 * np.cos(12.0 * (ang - omega * self.t[i]))) ** 4
            rays = (spokes * fall * 0.3).astype(np.float32)
            frame += cv2.resize(rays, (w, h), interpolation=cv2.INTER_LINEAR)[:, :, None] * col * 0.6

        self.ops.append(("dyn", draw))
        self.layers.append("rotating sun rays")

    def _stars(self) -> None:
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(12)
        area = w * (h if self.tod == "space" else self.horizon)
        count = max(12, int((0.0025 if self.tod == "space" else 0.0013) * area))
        reach = 1.5 if "spinning" in self.plan.motion else 1.0
        xs0 = rng.uniform(-(reach - 1) * w / 2, w + (reach - 1) * w / 2, count).astype(np.float32)
        bottom = h if self.tod == "space" else self.horizon * 0.95
        ys0 = rng.uniform(-(reach - 1) * h / 2, bottom + (reach - 1) * h / 2, count).astype(np.float32)
        bright = (rng.random(count) ** 2.5 * 0.85 + 0.15).astype(np.float32)
        tint = np.stack([rng.uniform(0.85, 1.0, count), rng.uniform(0.88, 1.0, count),
                         np.ones(count)], 1).astype(np.float32)
        phase = rng.uniform(0, 2 * np.pi, count)
        freq = rng.uniform(1.5, 4.0, count)
        spin = "spinning" in self.plan.motion
        cx, cy = 0.5 * w, (0.45 * h if self.tod == "space" else 0.15 * h)
        omega = 0.12 * self.speed
        limit = h if self.tod == "space" else self.horizon

        def draw(frame: "np.ndarray", i: int) -> None:
            t = self.t[i]
            x, y = xs0 - self.scroll(0.03, i), ys0
            if spin:
                c, s = math.cos(omega * t), math.sin(omega * t)
                x, y = cx + c * (x - cx) - s * (y - cy), cy + s * (x - cx) + c * (y - cy)
            xi, yi = np.rint(x).astype(np.int32), np.rint(y).astype(np.int32)
            ok = (xi >= 1) & (xi < w - 1) & (yi >= 1) & (yi < limit - 1)
            b = bright * (0.7 + 0.3 * np.sin(freq * t * 2 * np.pi / 2 + phase)).astype(np.float32)
            val = (255.0 * b[:, None] * tint)[ok]
            xi, yi = xi[ok], yi[ok]
            np.maximum.at(frame, (yi, xi), val)
            big = b[ok] > 0.6
            for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
                np.maximum.at(frame, (yi[big] + dy, xi[big] + dx), val[big] * 0.45)

        self.ops.append(("dyn", draw))
        self.layers.append("stars")

    def _planet(self) -> None:
        import numpy as np

        w, h = self.w, self.h
        depth = 0.12
        margin = self.max_scroll(depth)
        wc = w + 2 * margin
        r = 0.24 * h
        cx, cy = margin + 0.7 * w, 0.62 * h
        xs = np.arange(wc, dtype=np.float32)[None, :]
        ys = np.arange(h, dtype=np.float32)[:, None]
        d = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2)
        base = np.array(self.colours.get("planet", (205, 140, 90)), np.float32)
        bands = _noise2d(self.rng(13), h, wc, 8, octaves=3, aspect=6.0)
        lit = np.clip(1.0 - ((xs - cx + 0.45 * r) ** 2 + (ys - cy + 0.45 * r) ** 2) / (2.2 * r * r), 0.05, 1)
        rgb = base * (0.75 + 0.5 * bands[:, :, None]) * lit[:, :, None]
        alpha = np.clip(r - d + 0.5, 0, 1)
        atmo = np.exp(-((d - r) / (0.05 * h)) ** 2) * (d > r - 2)
        rgb = np.where((alpha > 0)[:, :, None], rgb, base * 1.2)
        alpha = np.maximum(alpha, atmo * 0.35)
        self.ops.append(("static", self.canvas_from(rgb, alpha, depth, margin, "planet")))
        self.layers.append("planet")

    def _clouds(self) -> None:
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(14)
        cover = 0.42
        if "clouds" in self.plan.elements:
            cover = 0.58
        if "rain" in self.plan.weather:
            cover = 0.85
        if self.tod == "night":
            cover *= 0.7
        speed = 0.035 * w * self.speed / self.fps  # pixels per frame
        depth = 0.08
        margin = self.max_scroll(depth)
        drift = int(math.ceil(speed * self.n)) + 2
        wc = w + 2 * margin + drift
        hc = max(8, int(self.horizon * 0.95))
        n2 = _noise2d(rng, hc, wc, 3.0, octaves=5, aspect=2.2)
        thr = 1.0 - cover
        alpha = np.clip((n2 - thr) / 0.22, 0, 1) ** 1.3
        fade = np.clip((hc - np.arange(hc, dtype=np.float32)) / (0.25 * hc), 0, 1)[:, None]
        alpha = alpha * (0.35 + 0.65 * fade) * (0.9 if "rain" not in self.plan.weather else 1.0)
        lightc = {"day": (250, 250, 252), "sunrise": (255, 220, 215), "sunset": (255, 185, 150),
                  "dusk": (150, 130, 170), "night": (60, 66, 92)}[self.tod]
        darkc = {"day": (170, 178, 195), "sunrise": (170, 130, 160), "sunset": (120, 70, 110),
                 "dusk": (70, 60, 100), "night": (25, 30, 48)}[self.tod]
        if "rain" in self.plan.weather:
            lightc, darkc = _mul(lightc, (0.75, 0.76, 0.8)), _mul(darkc, (0.7, 0.72, 0.78))
        lightc = self.colour("clouds", lightc, 0.5)
        shade = np.clip(n2 - 0.15 * np.roll(n2, -4, axis=0), 0, 1)[:, :, None]
        rgb = np.array(darkc, np.float32) + (np.array(lightc, np.float32) - np.array(darkc, np.float32)) * \
            np.clip((shade - thr) / max(1 - thr, 1e-3), 0, 1) ** 0.7
        full_a = np.zeros((h, wc), np.float32)
        full_a[:hc] = alpha
        full_rgb = np.zeros((h, wc, 3), np.float32)
        full_rgb[:hc] = rgb
        canvas = self.canvas_from(full_rgb, full_a, depth, margin, "clouds")

        def offset(i: int) -> float:
            return self.scroll(depth, i) + drift - speed * i  # clouds drift to the right

        self.ops.append(("scroll", (canvas, offset)))
        self.layers.append("clouds")

    # ---------------------------------------------------------------- terrain
    def _fill(self, top: "np.ndarray", col_top: Sequence[float], col_bot: Sequence[float], rng: Any, *,
              texture: float = 0.08, slope: float = 0.0, snow_line: float | None = None,
              snow_col: Sequence[float] = (236, 240, 248)) -> tuple["np.ndarray", "np.ndarray"]:
        import numpy as np

        h = self.h
        wc = len(top)
        ys = np.arange(h, dtype=np.float32)[:, None]
        alpha = np.clip(ys - top[None, :] + 0.5, 0, 1)
        ymin = float(top.min())
        tt = np.clip((ys - ymin) / max(h - ymin, 1), 0, 1)
        ct, cb = np.array(col_top, np.float32), np.array(col_bot, np.float32)
        rgb = ct + (cb - ct) * tt[:, :, None]
        if texture:
            tex = _noise2d(rng, h, wc, 18 * self.h / 360, octaves=3, persistence=0.6)
            rgb = rgb * (1.0 + texture * (tex[:, :, None] - 0.5) * 2)
        if slope:
            import cv2

            smooth = cv2.GaussianBlur(top.astype(np.float32)[None, :], (0, 0), max(1.0, 0.012 * h))[0]
            grad = np.gradient(smooth)
            lit = np.clip(-grad * 2.5, -1, 1)[None, :]
            weight = np.exp(-np.clip(ys - top[None, :], 0, None) / (0.07 * h))
            rgb = rgb * (1.0 + slope * (lit * weight)[:, :, None])
        if snow_line is not None:
            sn_noise = _noise2d(rng, h, wc, 10, octaves=3)
            sn = np.clip((snow_line - ys + (sn_noise - 0.5) * 0.06 * h) / (0.015 * h), 0, 1)
            rgb = rgb + (np.array(self.shade(snow_col, 1.0), np.float32) - rgb) * sn[:, :, None]
        return rgb, alpha

    def _ridge(self, rng: Any, wc: int, base: float, amp: float, cells: float, octaves: int,
               ridged: bool) -> "np.ndarray":
        import numpy as np

        prof = _noise1d(rng, wc, cells * wc / self.w, octaves)
        if ridged:
            prof = 1.0 - np.abs(2.0 * prof - 1.0)
            prof = prof ** 1.4
        return (base - amp * prof).astype(np.float32)

    def _terrain(self) -> None:
        sc, h, hz = self.scenes, self.h, self.horizon
        snowy = "snow" in sc
        rock = self.colour("terrain", (105, 108, 122))
        grass = self.colour("vegetation", (72, 128, 58))
        if snowy:
            grass = _mix(grass, (232, 238, 246), 0.85)
        sand = self.colour("sand", (226, 186, 128))
        parts: list[tuple[float, Callable[[], None]]] = []
        # What covers the ground, nearest first: water, else dunes, else (snowy) hills; a city or
        # mountains alone fill the bottom of the frame themselves.
        water = "ocean" in sc
        dunes = "desert" in sc and not water
        hills = not water and not dunes and bool(sc & {"forest", "countryside", "snow"}
                                                 or not sc & {"city", "mountains"})
        has_ground = water or dunes or hills
        if "mountains" in sc or (snowy and not sc & {"desert", "city", "ocean"}):
            parts.append((0.15, lambda: self._mountain(0.15, hz, 0.34 * h, rock, snow=True)))
            if not water:
                near_base = hz + 0.1 * h if has_ground else h + 2
                parts.append((0.3, lambda: self._mountain(0.3, near_base, 0.2 * h + (near_base - hz),
                                                          rock, snow=snowy,
                                                          fill_to_bottom=not has_ground)))
        if "city" in sc:
            if has_ground:
                parts.append((0.35, lambda: self._skyline(0.35, hz + 1, 0.1 * h, 0.3 * h, far=True)))
            else:
                parts.append((0.35, lambda: self._skyline(0.35, hz + 0.04 * h, 0.12 * h, 0.32 * h,
                                                          far=True)))
                parts.append((0.65, lambda: self._skyline(0.65, h + 1, 0.3 * h, 0.62 * h, far=False)))
        if dunes:
            for j, (d, base, amp) in enumerate(((0.3, hz + 0.02 * h, 0.08 * h),
                                                (0.55, hz + 0.16 * h, 0.12 * h),
                                                (0.9, hz + 0.32 * h, 0.14 * h))):
                parts.append((d, (lambda d=d, base=base, amp=amp, j=j:
                                  self._dunes(d, base, amp, sand, j))))
        if hills:
            parts.append((0.4, lambda: self._hills(0.4, hz, 0.06 * h, grass, 0)))
            parts.append((0.75, lambda: self._hills(0.75, hz + 0.14 * h, 0.08 * h, grass, 2)))
            if "forest" in sc:
                parts.append((0.45, lambda: self._trees(0.45, hz + 0.02 * h, 0.05 * h, 0.09 * h, 5.0, 1)))
                parts.append((0.85, lambda: self._trees(0.85, hz + 0.22 * h, 0.14 * h, 0.3 * h, 11.0, 3)))
        elif "forest" in sc:  # a wooded far shore
            parts.append((0.35, lambda: self._hills(0.35, hz + 1, 0.025 * h, grass, 4)))
            parts.append((0.4, lambda: self._trees(0.4, hz + 1, 0.04 * h, 0.1 * h, 16.0, 1)))
        if water:
            parts.append((0.9, self._water))
            if re.search(r"\b(beach|shore|coast|sand)", self.plan.prompt.lower()):
                parts.append((1.0, lambda: self._beach(1.0, sand)))
        for _depth, build in sorted(parts, key=lambda p: p[0]):
            build()

    def _mountain(self, depth: float, base: float, amp: float, rock: Sequence[float], *, snow: bool,
                  fill_to_bottom: bool = False) -> None:
        margin = self.max_scroll(depth)
        wc = self.w + 2 * margin
        rng = self.rng(20 + int(depth * 100))
        top = self._ridge(rng, wc, base, amp, 2.2, 6, ridged=True)
        c = self.shade(rock, depth)
        if fill_to_bottom:
            cb = self.shade(_mix(rock, (60, 90, 55), 0.6), depth)
        else:
            cb = self.shade(rock, depth * 0.8)
        snow_line = float(top.min()) + 0.3 * amp if snow else None
        rgb, alpha = self._fill(top, c, cb, rng, texture=0.1, slope=0.3, snow_line=snow_line)
        self.ops.append(("static", self.canvas_from(rgb, alpha, depth, margin, "mountains")))
        if "mountains" not in self.layers:
            self.layers.append("mountains")

    def _hills(self, depth: float, base: float, amp: float, grass: Sequence[float], part: int) -> None:
        margin = self.max_scroll(depth)
        wc = self.w + 2 * margin
        rng = self.rng(30 + part)
        top = self._ridge(rng, wc, base, amp, 1.2, 3, ridged=False)
        rgb, alpha = self._fill(top, self.shade(grass, depth), self.shade(_mul(grass, (0.7, 0.75, 0.7)), depth),
                                rng, texture=0.12, slope=0.2)
        self.ops.append(("static", self.canvas_from(rgb, alpha, depth, margin, "hills")))
        self._hill_tops[round(depth, 2)] = (top, margin)
        if "hills" not in self.layers:
            self.layers.append("hills")

    def _trees(self, depth: float, base: float, hmin: float, hmax: float, per_width: float,
               part: int) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        margin = self.max_scroll(depth)
        wc = w + 2 * margin
        rng = self.rng(40 + part)
        rgb = np.zeros((h, wc, 3), np.uint8)
        alpha = np.zeros((h, wc), np.uint8)
        tree = self.colour("vegetation", (34, 78, 42))
        if "snow" in self.scenes:
            tree = _mix(tree, (40, 60, 60), 0.3)
        count = int(per_width * wc / w * 3)
        xs = np.sort(rng.uniform(0, wc, count))
        # Ground line: the hills layer just behind, when there is one.
        behind = [k for k in self._hill_tops if k <= depth + 1e-6]
        ground = self._hill_tops[max(behind)] if behind else None
        for x in xs:
            th = rng.uniform(hmin, hmax)
            if ground is not None:
                top, m2 = ground
                gx = int(np.clip(x - margin + m2, 0, len(top) - 1))
                by = float(top[gx]) + rng.uniform(0.01, 0.05) * h
            else:
                by = base + rng.uniform(-0.02, 0.04) * h
            tw = th * rng.uniform(0.32, 0.42)
            c = self.shade(_mul(tree, (rng.uniform(0.75, 1.2),) * 3), depth)
            col = tuple(int(np.clip(v, 0, 255)) for v in c)
            trunk = np.array([[x - tw * 0.06, by], [x + tw * 0.06, by], [x + tw * 0.06, by - th * 0.2],
                              [x - tw * 0.06, by - th * 0.2]])
            polys = [trunk]
            for lvl in range(3):
                y_base = by - th * (0.12 + 0.26 * lvl)
                half = tw * (0.5 - 0.12 * lvl)
                polys.append(np.array([[x - half, y_base], [x + half, y_base], [x, y_base - th * 0.45]]))
            pts = [np.round(p * 16).astype(np.int32) for p in polys]
            cv2.fillPoly(rgb, pts[:1], tuple(int(v * 0.6) for v in col), cv2.LINE_AA, shift=4)
            cv2.fillPoly(rgb, pts[1:], col, cv2.LINE_AA, shift=4)
            cv2.fillPoly(alpha, pts, 255, cv2.LINE_AA, shift=4)
        self.ops.append(("static", self.canvas_from(rgb.astype(np.float32), alpha.astype(np.float32) / 255.0,
                                                    depth, margin, "trees")))
        if "trees" not in self.layers:
            self.layers.append("trees")

    def _dunes(self, depth: float, base: float, amp: float, sand: Sequence[float], part: int) -> None:
        margin = self.max_scroll(depth)
        wc = self.w + 2 * margin
        rng = self.rng(50 + part)
        top = self._ridge(rng, wc, base, amp, 1.0 + 0.4 * part, 3, ridged=False)
        c = self.shade(sand, depth)
        rgb, alpha = self._fill(top, c, _mul(c, (0.85, 0.8, 0.75)), rng, texture=0.05, slope=0.45)
        self.ops.append(("static", self.canvas_from(rgb, alpha, depth, margin, "dunes")))
        if "dunes" not in self.layers:
            self.layers.append("dunes")

    def _beach(self, depth: float, sand: Sequence[float]) -> None:
        margin = self.max_scroll(depth)
        wc = self.w + 2 * margin
        rng = self.rng(60)
        top = self._ridge(rng, wc, self.h - 0.1 * self.h, 0.06 * self.h, 1.0, 3, ridged=False)
        c = self.shade(sand, depth)
        rgb, alpha = self._fill(top, c, _mul(c, (0.9, 0.86, 0.8)), rng, texture=0.06)
        self.ops.append(("static", self.canvas_from(rgb, alpha, depth, margin, "beach")))
        self.layers.append("beach")

    def _skyline(self, depth: float, base: float, hmin: float, hmax: float, *, far: bool) -> None:
        import numpy as np

        w, h = self.w, self.h
        margin = self.max_scroll(depth)
        wc = w + 2 * margin
        rng = self.rng(70 + int(far))
        rgb = np.zeros((h, wc, 3), np.float32)
        alpha = np.zeros((h, wc), np.float32)
        body = self.colour("buildings", (72, 80, 98))
        lit_col = np.array(self.colour("lights", (255, 208, 120), 0.85), np.float32)
        night = self.tod in ("night", "dusk")
        p_lit = {"night": 0.42, "dusk": 0.3, "sunset": 0.12}.get(self.tod, 0.0)
        b = min(h, int(round(base)))
        x = 0
        k = self.k
        while x < wc:
            bw = int(rng.uniform(0.035, 0.09) * w)
            bh = rng.uniform(hmin, hmax)
            top = max(0, int(round(base - bh)))
            c = np.array(self.shade(_mul(body, (rng.uniform(0.8, 1.15),) * 3), depth), np.float32)
            x1 = min(wc, x + bw)
            rgb[top:b, x:x1] = c
            alpha[top:b, x:x1] = 1.0
            if rng.random() < 0.15 and bh > 0.6 * hmax:  # antenna
                ax = x + bw // 2
                rgb[max(0, top - int(0.04 * h)):top, ax:ax + 1] = c
                alpha[max(0, top - int(0.04 * h)):top, ax:ax + 1] = 1.0
            cw, ch = max(3, int(round((5 if far else 8) * k))), max(4, int(round((7 if far else 11) * k)))
            if x1 - x > 2 * cw and b - top > 2 * ch:
                yy, xx = np.mgrid[top:b, x:x1]
                cell_x, cell_y = (xx - x - 2) // cw, (yy - top - 3) // ch
                win = (((xx - x - 2) % cw) < max(1, cw // 2)) & (((yy - top - 3) % ch) < max(2, ch // 2)) \
                    & (xx < x1 - 2) & (yy < b - 2) & (cell_x >= 0) & (cell_y >= 0)
                grid = rng.random((int(cell_y.max()) + 2, int(cell_x.max()) + 2))
                if night or p_lit > 0:
                    lit = grid[np.clip(cell_y, 0, None), np.clip(cell_x, 0, None)] < p_lit
                    sel = win & lit
                    rgb[top:b, x:x1][sel] = lit_col * (0.85 if far else 1.0)
                else:
                    refl = np.array(_mix(c, self.preset["horizon"], 0.45), np.float32)
                    sel = win & (grid[np.clip(cell_y, 0, None), np.clip(cell_x, 0, None)] < 0.7)
                    rgb[top:b, x:x1][sel] = refl
            x = x1 + int(rng.uniform(0.0, 0.012) * w)
        self.ops.append(("static", self.canvas_from(rgb, alpha, depth, margin, "buildings")))
        if "buildings" not in self.layers:
            self.layers.append("buildings")

    def _water(self) -> None:
        import cv2
        import numpy as np

        w, h, hz = self.w, self.h, self.horizon
        bh = h - hz
        if bh < 2:
            return
        w2, h2 = max(8, w // 2), max(2, bh // 2)
        d = ((np.arange(h2, dtype=np.float32) + 0.5) / h2)[:, None]
        z = 1.0 / (d + 0.035)
        deep = np.array(self.shade(self.colour("water", (16, 58, 104)), 1.0), np.float32)
        far = np.array(_mix(self.preset["horizon"], self.shade(self.colour("water", (70, 120, 160)), 0.5), 0.45),
                       np.float32)
        base = (far + (deep - far) * (d ** 0.55)[:, :, None]).astype(np.float32)
        amp = (np.clip(d * 6.0, 0, 1) * 0.16).astype(np.float32)
        xs = ((np.arange(w2, dtype=np.float32) + 0.5) / w2 - 0.5)[None, :]
        glint = None
        if self.sun_xy is not None:
            sx = self.sun_xy[0] / w - 0.5
            widthx = 0.02 + 0.12 * d
            glint = np.exp(-((xs - sx) / widthx) ** 2).astype(np.float32)
            src = self.preset.get("sun") or self.preset.get("moon")
            gcol = np.array(src, np.float32) * (1.0 if self.preset.get("sun") else 0.6)
        sky_ref = np.array(self.preset["mid"], np.float32)
        speed = 1.0 + 0.5 * (self.speed - 1.0) / 6.0

        def draw(frame: "np.ndarray", i: int) -> None:
            t = self.t[i] * speed
            x = xs + self.scroll(1.0, i) / w
            xz = x * z
            waves = (np.sin(z * 4.0 + xz * 3.0 + t * 2.2) + 0.6 * np.sin(z * 7.3 - xz * 5.0 + t * 2.9 + 1.3)
                     + 0.35 * np.sin(z * 13.0 + xz * 11.0 + t * 3.7 + 0.4)) / 1.95
            col = base * (1.0 + amp * waves)[:, :, None]
            crest = np.clip(waves - 0.45, 0, 1)
            col += (crest * amp * 1.6)[:, :, None] * (sky_ref - base * 0.5)
            if glint is not None:
                col += (glint * np.clip(waves + 0.1, 0, 1) * (0.35 + 0.65 * d))[:, :, None] * gcol * 0.55
            frame[hz:] = cv2.resize(col.astype(np.float32), (w, bh), interpolation=cv2.INTER_LINEAR)

        self.ops.append(("dyn", draw))
        self.layers.append("ocean")

    # ---------------------------------------------------------------- frames
    def _compile(self) -> list[tuple[str, Any]]:
        """Merge consecutive static canvases when nothing scrolls (one blend per frame instead of many)."""
        import numpy as np

        if abs(self.pan_px) > 1e-9 or abs(self.orbit_px) > 1e-9:
            return self.ops
        w = self.w
        out: list[tuple[str, Any]] = []
        for kind, item in self.ops:
            if kind != "static":
                out.append((kind, item))
                continue
            cut = slice(item.margin, item.margin + w)
            item = _Canvas(np.ascontiguousarray(item.pm[:, cut]), np.ascontiguousarray(item.inv[:, cut]),
                           item.y0, item.depth, 0, item.name)
            if out and out[-1][0] == "static":
                prev: _Canvas = out[-1][1]
                y0 = min(prev.y0, item.y0)
                y1 = max(prev.y0 + len(prev.pm), item.y0 + len(item.pm))

                def full(c: _Canvas, y0: int = y0, y1: int = y1) -> tuple["np.ndarray", "np.ndarray"]:
                    pm = np.zeros((y1 - y0, w, 3), np.float32)
                    inv = np.ones((y1 - y0, w, 3), np.float32)
                    pm[c.y0 - y0:c.y0 - y0 + len(c.pm)] = c.pm
                    inv[c.y0 - y0:c.y0 - y0 + len(c.inv)] = c.inv
                    return pm, inv

                (pm0, inv0), (pm1, inv1) = full(prev), full(item)
                out[-1] = ("static", _Canvas(pm1 + pm0 * inv1, inv0 * inv1, y0, item.depth, 0, "merged"))
            else:
                out.append(("static", item))
        return out

    def _blend(self, frame: "np.ndarray", canvas: _Canvas, offset: float) -> None:
        import cv2

        w = self.w
        x = canvas.margin + offset
        xi = int(math.floor(x))
        f = x - xi
        limit = canvas.pm.shape[1] - w - 1
        if xi < 0 or xi > limit:  # cannot happen with the margins; stay inside the canvas
            xi, f = max(0, min(limit, xi)), 0.0
        if f < 0.01 or f > 0.99:
            xi += int(f > 0.5)
            pm, inv = canvas.pm[:, xi:xi + w], canvas.inv[:, xi:xi + w]
        else:  # sub-pixel scroll: linear interpolation of two integer crops
            pm = cv2.addWeighted(canvas.pm[:, xi:xi + w], 1.0 - f, canvas.pm[:, xi + 1:xi + 1 + w], f, 0.0)
            inv = cv2.addWeighted(canvas.inv[:, xi:xi + w], 1.0 - f, canvas.inv[:, xi + 1:xi + 1 + w], f, 0.0)
        dst = frame[canvas.y0:canvas.y0 + len(pm)]
        cv2.multiply(dst, inv, dst=dst)
        cv2.add(dst, pm, dst=dst)

    def render(self) -> "np.ndarray":
        import cv2
        import numpy as np

        ops = self._compile()
        out = np.empty((self.n, self.h, self.w, 3), np.uint8)
        frame = np.empty((self.h, self.w, 3), np.float32)
        for i in range(self.n):
            frame[:] = self.sky
            for kind, item in ops:
                if kind == "dyn":
                    item(frame, i)
                elif kind == "static":
                    self._blend(frame, item, self.scroll(item.depth, i) if item.margin else 0.0)
                else:
                    canvas, offset = item
                    self._blend(frame, canvas, offset(i))
            out[i] = cv2.convertScaleAbs(frame)  # rounds, saturates to 0..255 (no negatives occur)
        return out
