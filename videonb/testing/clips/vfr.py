"""A variable-frame-rate clip whose frame index divided by the average rate is *not* the
presentation time: :func:`make_vfr_clip`."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from videonb.errors import EncodeError, InvalidOptionError

from .encoding import _check_size, _open_h264, _yuv_frame
from .footage import _grade_lut, _random_shot, _render_shot, _segments
from .frame_ids import id_strip_height, stamp_frame_id
from .truth import CLIPS_VERSION, GroundTruth, PathLike

__all__ = ["make_vfr_clip"]

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
