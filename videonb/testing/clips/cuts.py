"""Clips with known cuts, dissolves and fades made of real-footage shots: :func:`make_cut_clip`
(short, for tests) and :func:`make_long_clip` (the same recipe, about ten minutes at 720p,
cached, for benchmarks).  The timeline planner draws shot lengths and places transitions; the
composer renders the frames."""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from videonb.errors import EncodeError, InvalidOptionError

from .encoding import _as_rate, _check_size, _open_h264, _prefetch, _single_threaded_cv2, _yuv_frame
from .footage import (_MIN_BOUNDARY_DIFFERENCE, _decode_sample_at, _difference, _random_shot,
                      _render_shot, _segments, _Shot)
from .frame_ids import id_strip_height, stamp_frame_id
from .samples import SAMPLE_CREDITS
from .truth import CLIPS_VERSION, GroundTruth, PathLike

__all__ = ["make_cut_clip", "make_long_clip"]


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
