"""Continuing a video with an image-to-video model: the last frame out, the continuation in.

:func:`last_frame` writes the frame on screen at the end of a video as a PNG (the image an
image-to-video model starts from); :func:`join_continuation` appends a generated clip to
the original so the seam does not show: the continuation is brought to the original's size
(cover-scaled and centre-cropped, never stretched) and frame rate (frames picked by time),
its opening frames that merely repeat the original's last frame are dropped (an
image-to-video clip starts *on* its conditioning image, which would otherwise freeze for a
frame or two), and the result is one H.264 file.  The original's audio is not carried over
(the continuation has none of its own that would match).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ..errors import InvalidOptionError

__all__ = ["last_frame", "join_continuation", "SEAM_THRESHOLD"]

#: Mean absolute difference (0-255 grey levels, on a 64-px thumbnail) below which an opening
#: frame of the continuation counts as a repeat of the original's last frame.
SEAM_THRESHOLD = 6.0
#: At most this many opening frames are dropped as repeats.
MAX_REPEATS = 3


def _info(source: Any) -> Any:
    from .probe import probe

    return source.info if hasattr(source, "info") else probe(source)


def last_frame(source: Any, dest: str | Path | None = None) -> Path:
    """The last displayed frame of ``source`` (a path or Video) as a PNG file; returns its path
    (a cache file named by the video's content when ``dest`` is None)."""
    import cv2

    from .encode import cache_dir
    from .sampling import iter_frames

    info = _info(source)
    path = Path(getattr(source, "path", source))
    start = max(0.0, float(info.duration) - 1.0)
    last = None
    for _t, img in iter_frames(source, start=start):
        last = img
    if last is None:
        raise InvalidOptionError(f"{path.name} has no frame to continue from.")
    if dest is None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:20]
        dest = cache_dir("continuation") / f"last-{digest}.png"
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(dest), cv2.cvtColor(last, cv2.COLOR_RGB2BGR)):
        raise InvalidOptionError(f"The last frame could not be written to {dest}.")
    return dest


def _thumb(img: Any) -> Any:
    import cv2
    import numpy as np

    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32)


def _cover(img: Any, w: int, h: int) -> Any:
    """Scale to cover ``w``×``h`` and crop the centre (aspect kept)."""
    import cv2

    ih, iw = img.shape[:2]
    if (iw, ih) == (w, h):
        return img
    scale = max(w / iw, h / ih)
    nw, nh = max(w, round(iw * scale)), max(h, round(ih * scale))
    resized = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1
                         else cv2.INTER_LINEAR)
    x, y = (nw - w) // 2, (nh - h) // 2
    return resized[y:y + h, x:x + w]


def join_continuation(source: Any, continuation: Any, dest: str | Path | None = None) -> Path:
    """``source`` followed by ``continuation`` (paths or Videos), seamlessly: see the module
    docstring.  Returns the joined MP4's path (a cache file when ``dest`` is None)."""
    import numpy as np

    from .encode import cache_dir, encode_video
    from .sampling import iter_frames

    src_info, cont_info = _info(source), _info(continuation)
    fps = float(src_info.fps) or 24.0
    frames = [img for _t, img in iter_frames(source)]
    if not frames:
        raise InvalidOptionError("The video to extend has no frames.")
    h, w = frames[0].shape[:2]
    anchor = _thumb(frames[-1])
    tail: list[Any] = []
    times: list[float] = []
    for t, img in iter_frames(continuation):
        tail.append(_cover(img, w, h))
        times.append(t)
    if not tail:
        raise InvalidOptionError("The generated continuation has no frames.")
    skip = 0
    while skip < min(MAX_REPEATS, len(tail) - 1) and \
            float(np.abs(_thumb(tail[skip]) - anchor).mean()) < SEAM_THRESHOLD:
        skip += 1
    tail, times = tail[skip:], times[skip:]
    # Resample the continuation to the original's frame rate, by time.
    t0 = times[0]
    span = times[-1] - t0 + 1.0 / max(1.0, float(cont_info.fps) or fps)
    count = max(1, round(span * fps))
    picked, j = [], 0
    for k in range(count):
        want = t0 + k / fps
        while j + 1 < len(times) and times[j + 1] <= want + 1e-6:
            j += 1
        picked.append(tail[j])
    if dest is None:
        key = hashlib.sha256()
        for p in (source, continuation):
            key.update(Path(getattr(p, "path", p)).read_bytes())
        dest = cache_dir("continuation") / f"joined-{key.hexdigest()[:20]}.mp4"
    return encode_video(iter(frames + picked), dest, fps=fps)
