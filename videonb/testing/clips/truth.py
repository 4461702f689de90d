"""What is known about a generated clip: :class:`GroundTruth` (cut times, transition
intervals, frame ids of VFR frames, parameters), saved as a JSON sidecar."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

__all__ = ["CLIPS_VERSION", "GroundTruth", "PathLike"]

PathLike = Union[str, "os.PathLike[str]"]

#: Bump whenever the output of the builders changes; it is part of the cache key
#: of :func:`make_long_clip`.
CLIPS_VERSION = 2


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
