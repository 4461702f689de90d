"""Landscape storage with a display-matrix rotation, like phone videos: :func:`make_rotated_clip`."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from videonb.errors import EncodeError, InvalidOptionError

from .encoding import _check_size, _open_h264, _yuv_frame
from .footage import _grade_lut, _random_shot, _render_shot, _segments
from .truth import PathLike

__all__ = ["make_rotated_clip"]

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
