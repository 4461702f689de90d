"""Real footage as shots: the samples decoded once (kept in memory as RGB) and cut into
continuous segments, and a shot's Ken Burns crop of one segment, colour-graded, at its own
speed.  Every builder draws its frames with these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import av
import cv2
import numpy as np

from .samples import sample_path


@dataclass(frozen=True, eq=False)
class _Segment:
    """A continuous shot of real footage (no cut inside)."""

    sample: str
    label: str
    frames: tuple[np.ndarray, ...]
    fps: float
    weight: float

    @property
    def size(self) -> tuple[int, int]:
        height, width = self.frames[0].shape[:2]
        return width, height


# (sample, first frame, stop frame, weight).  bikes.mp4 is split at its own
# hard cuts (one frame trimmed on each side); its last 8-frame shot is dropped,
# and so is the whip pan that ends its second shot (frames 66-75), whose
# frame-to-frame change comes close to that of a cut once zoomed in.
_SEGMENT_TABLE: tuple[tuple[str, int, int, float], ...] = (
    ("bigbuckbunny", 0, 132, 2.0),
    ("bikes", 1, 29, 0.8),
    ("bikes", 31, 66, 0.8),
    ("bikes", 77, 136, 0.8),
    ("bikes", 138, 186, 0.8),
    ("bikes", 188, 241, 0.8),
    ("carphone_pristine", 0, 120, 1.2),
)


# Stored geometry of each sample: (width, height, sample aspect ratio).  Known
# in advance so the decode cache can be keyed by the stored size alone.
_SAMPLE_GEOMETRY: dict[str, tuple[int, int, Fraction]] = {
    "bigbuckbunny": (1280, 720, Fraction(1)),
    "bikes": (640, 272, Fraction(1)),
    "carphone_pristine": (176, 144, Fraction(128, 117)),
    "carphone_distorted": (176, 144, Fraction(128, 117)),
}


def _decode_sample(name: str, out_size: tuple[int, int]) -> tuple[tuple[np.ndarray, ...], float]:
    """Decode a sample to read-only RGB frames scaled for an *out_size* output.

    Anamorphic pixels are squared (carphone's SAR 128:117).  Sources are kept at
    most 1.25x the size needed to cover the output, and never above their own
    (display) size.
    """
    width, height, sar = _SAMPLE_GEOMETRY[name]
    display_w = width * float(sar)
    scale = min(1.0, 1.25 * max(out_size[0] / display_w, out_size[1] / height))
    return _decode_sample_at(name, max(2, round(display_w * scale)), max(2, round(height * scale)))


@lru_cache(maxsize=8)
def _decode_sample_at(name: str, width: int, height: int) -> tuple[tuple[np.ndarray, ...], float]:
    """Decode every frame of sample *name* as read-only RGB at *width* x *height*.

    Cached, so tests that build several clips decode each source once.
    """
    frames: list[np.ndarray] = []
    with av.open(str(sample_path(name))) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        fps = float(stream.average_rate or 25)
        for frame in container.decode(stream):
            rgb: np.ndarray = frame.to_ndarray(format="rgb24")
            if (rgb.shape[1], rgb.shape[0]) != (width, height):
                shrink = width < rgb.shape[1]
                rgb = cv2.resize(
                    rgb,
                    (width, height),
                    interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR,
                )
            rgb.flags.writeable = False
            frames.append(rgb)
    return tuple(frames), fps


def _segments(
    out_size: tuple[int, int], samples: Iterable[str] | None = None
) -> tuple[_Segment, ...]:
    """The continuous shots of real footage, optionally only from *samples*."""
    wanted = None if samples is None else set(samples)
    segments = []
    for sample, first, stop, weight in _SEGMENT_TABLE:
        if wanted is not None and sample not in wanted:
            continue
        frames, fps = _decode_sample(sample, out_size)
        segments.append(
            _Segment(sample, f"{sample}[{first}:{stop}]", frames[first:stop], fps, weight)
        )
    return tuple(segments)


# --------------------------------------------------------------------------- #
# Shots: a Ken Burns crop of one segment, colour-graded, at its own speed
# --------------------------------------------------------------------------- #


@dataclass
class _Shot:
    segment: _Segment
    start: float  # first output frame (or clock tick) where the shot is rendered
    stop: float  # exclusive
    position0: float  # source frame position at the shot's first rendered frame
    step: float  # source frames per output frame
    crop0: tuple[float, float, float]  # centre x, centre y (source px), scale of the max crop
    crop1: tuple[float, float, float]
    flip: bool
    lut: np.ndarray  # (256, 1, 3) uint8 colour grade
    fade_in: int = 0
    fade_out: int = 0

    def describe(self, fps: float) -> dict[str, Any]:
        return {
            "source": self.segment.label,
            "start": self.start / fps,
            "stop": self.stop / fps,
            "speed": round(self.step * fps / self.segment.fps, 4),
            "flip": self.flip,
            "crop_start": [round(v, 3) for v in self.crop0],
            "crop_end": [round(v, 3) for v in self.crop1],
        }


def _ping_pong(position: float, count: int) -> int:
    """Index of source frame *position* when the source plays forwards then backwards."""
    if count <= 1:
        return 0
    period = 2 * (count - 1)
    q = round(position) % period
    return q if q < count else period - q


def _max_crop(segment: _Segment, out_size: tuple[int, int]) -> tuple[float, float]:
    """Largest crop with the output's aspect ratio that fits in the segment."""
    src_w, src_h = segment.size
    aspect = out_size[0] / out_size[1]
    if src_w / src_h > aspect:
        return src_h * aspect, float(src_h)
    return float(src_w), src_w / aspect


def _grade_lut(gains: np.ndarray, gamma: float) -> np.ndarray:
    x = np.arange(256, dtype=np.float64) / 255.0
    channels = [np.clip(255.0 * gain * x**gamma + 0.5, 0, 255) for gain in gains]
    return np.stack(channels, axis=-1).astype(np.uint8).reshape(256, 1, 3)


def _random_shot(
    rng: np.random.Generator,
    segment: _Segment,
    start: float,
    stop: float,
    fps: float,
    out_size: tuple[int, int],
) -> _Shot:
    count = len(segment.frames)
    src_w, src_h = segment.size
    max_w, max_h = _max_crop(segment, out_size)
    seconds = (stop - start) / fps
    scale0 = float(rng.uniform(0.65, 1.0))
    scale1 = float(np.clip(scale0 + rng.uniform(-0.15, 0.15), 0.65, 1.0))

    def centre_range(scale: float) -> tuple[float, float, float, float]:
        half_w, half_h = scale * max_w / 2, scale * max_h / 2
        return half_w, src_w - half_w, half_h, src_h - half_h

    x_lo, x_hi, y_lo, y_hi = centre_range(scale0)
    cx0, cy0 = float(rng.uniform(x_lo, x_hi)), float(rng.uniform(y_lo, y_hi))
    # Pan at most ~6 % of the frame width per second: a slow, smooth move.
    reach = 0.06 * max_w * seconds
    x_lo, x_hi, y_lo, y_hi = centre_range(scale1)
    cx1 = float(np.clip(cx0 + rng.uniform(-reach, reach), x_lo, x_hi))
    cy1 = float(np.clip(cy0 + rng.uniform(-reach, reach) * 0.5, y_lo, y_hi))
    # Never faster than the source: each output frame advances at most one
    # source frame, so motion never looks jumpier than the real footage.
    speed = float(rng.uniform(0.6, 1.0))
    return _Shot(
        segment=segment,
        start=start,
        stop=stop,
        position0=float(rng.integers(0, count)),
        step=speed * segment.fps / fps,
        crop0=(cx0, cy0, scale0),
        crop1=(cx1, cy1, scale1),
        flip=bool(rng.random() < 0.3),
        lut=_grade_lut(rng.uniform(0.82, 1.18, size=3), float(rng.uniform(0.8, 1.25))),
    )


def _render_shot(
    shot: _Shot, j: float, out_size: tuple[int, int], brightness: float = 1.0
) -> np.ndarray:
    """Render output frame *j* of *shot* as a new RGB array of *out_size*."""
    out_w, out_h = out_size
    segment = shot.segment
    k = j - shot.start
    span = max(1, shot.stop - shot.start - 1)
    u = min(max(k / span, 0.0), 1.0)
    source = segment.frames[_ping_pong(shot.position0 + k * shot.step, len(segment.frames))]
    src_w, src_h = segment.size
    max_w, max_h = _max_crop(segment, out_size)
    cx = shot.crop0[0] + u * (shot.crop1[0] - shot.crop0[0])
    cy = shot.crop0[1] + u * (shot.crop1[1] - shot.crop0[1])
    scale = shot.crop0[2] + u * (shot.crop1[2] - shot.crop0[2])
    crop_w = min(src_w, max(2, round(scale * max_w)))
    crop_h = min(src_h, max(2, round(scale * max_h)))
    x0 = min(max(0, round(cx - crop_w / 2)), src_w - crop_w)
    y0 = min(max(0, round(cy - crop_h / 2)), src_h - crop_h)
    crop = source[y0 : y0 + crop_h, x0 : x0 + crop_w]
    lut = (
        shot.lut
        if brightness >= 1.0
        else (shot.lut.astype(np.float32) * brightness).astype(np.uint8)
    )
    if crop_w * crop_h <= out_w * out_h:  # grade the smaller image
        out = cv2.resize(cv2.LUT(crop, lut), (out_w, out_h), interpolation=cv2.INTER_LINEAR)
    else:
        out = cv2.LUT(cv2.resize(crop, (out_w, out_h), interpolation=cv2.INTER_LINEAR), lut)
    if shot.flip:
        out = cv2.flip(out, 1)
    return out


def _thumb(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, (64, 36), interpolation=cv2.INTER_AREA).astype(np.int16)


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute RGB difference of 64x36 thumbnails (0..255)."""
    return float(np.abs(_thumb(a) - _thumb(b)).mean())


# Minimum thumbnail difference across a shot boundary.  For comparison, the
# real cuts in bikes.mp4 score 48-83 and its fastest motion (a bus crossing
# the frame) about 20.
_MIN_BOUNDARY_DIFFERENCE = 40.0
