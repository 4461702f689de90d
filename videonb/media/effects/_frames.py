"""What every effect shares: checks of sizes and durations, RGB ``uint8`` conversion of
images and frame stacks, a per-frame map that uses threads when it pays, and easing curves.

numpy and OpenCV are imported inside the functions (``import videonb`` stays light).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ...errors import InvalidDimensionsError, InvalidOptionError, VideoNotFoundError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

_MAX_FRAMES = 10_000
_MAX_OUT_SIDE = 4096


def _even(x: float) -> int:
    return max(2, int(round(x / 2.0)) * 2)


def _even_floor(x: float) -> int:
    return max(2, int(x // 2) * 2)


def _frame_count(seconds: float, fps: float) -> int:
    try:
        seconds_f, fps_f = float(seconds), float(fps)
    except (TypeError, ValueError):
        raise InvalidOptionError(
            f"seconds={seconds!r}, fps={fps!r}: use numbers, e.g. seconds=4.0, fps=24.") from None
    if not (fps_f > 0) or math.isinf(fps_f):
        raise InvalidOptionError(f"fps={fps!r}: use a positive frame rate such as 24, 25 or 30.")
    if not (seconds_f > 0) or math.isinf(seconds_f):
        raise InvalidOptionError(f"seconds={seconds!r}: use a positive duration such as 4.0.")
    n = max(1, int(round(seconds_f * fps_f)))
    if n > _MAX_FRAMES:
        raise InvalidOptionError(
            f"seconds={seconds} at fps={fps} is {n} frames; the local renderer makes at most "
            f"{_MAX_FRAMES}: shorten the clip or lower fps.")
    return n


def _check_size(size: Any) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise InvalidOptionError(f"size={size!r}: use (width, height) in pixels, e.g. (640, 360).") from None
    if w < 16 or h < 16 or w > _MAX_OUT_SIDE or h > _MAX_OUT_SIDE:
        raise InvalidDimensionsError(
            f"size={size!r}: width and height must be between 16 and {_MAX_OUT_SIDE} pixels.")
    return w, h


def _to_uint8(arr: "np.ndarray") -> "np.ndarray":
    import numpy as np

    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        raise InvalidOptionError("got a boolean array where an RGB image was expected; "
                                 "pass uint8 RGB pixels (0-255).")
    if np.issubdtype(arr.dtype, np.floating):
        hi = float(np.nanmax(arr)) if arr.size else 0.0
        scale = 255.0 if hi <= 1.0 + 1e-6 else 1.0
        return (np.clip(np.nan_to_num(arr) * scale, 0, 255) + 0.5).astype(np.uint8)
    return np.clip(arr, 0, 255).astype(np.uint8)


def _as_image(image: Any) -> "np.ndarray":
    """One RGB uint8 H×W×3 image from an array (grey, RGBA, float 0..1 accepted) or a file path."""
    import numpy as np

    if isinstance(image, (str, os.PathLike)):
        import cv2

        path = Path(image)
        if not path.is_file():
            raise VideoNotFoundError(f"image {str(path)!r} does not exist; check the path.")
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise InvalidOptionError(f"could not read {str(path)!r} as an image; use a PNG or JPEG file.")
        return np.ascontiguousarray(bgr[:, :, ::-1])
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
        raise InvalidOptionError(
            f"image has shape {arr.shape}; expected an RGB array of shape (height, width, 3).")
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    arr = arr[:, :, :3]
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise InvalidDimensionsError(
            f"image is {arr.shape[1]}×{arr.shape[0]} pixels; it needs at least 2×2.")
    return np.ascontiguousarray(_to_uint8(arr))


def _as_frames(frames: Any) -> tuple["np.ndarray", bool]:
    """``(stack N×H×W×3 uint8, was_single_image)`` from an array, a list of arrays or a ``Frames``."""
    import numpy as np

    if hasattr(frames, "images") and hasattr(frames, "times"):
        frames = frames.images
    if isinstance(frames, np.ndarray):
        if frames.ndim == 3 and frames.shape[2] in (3, 4):
            return _as_image(frames)[None], True
        if frames.ndim == 4 and frames.shape[3] in (1, 3, 4):
            if frames.shape[0] == 0:
                raise InvalidOptionError("no frames given: pass at least one H×W×3 frame.")
            if frames.shape[3] == 3 and frames.dtype == np.uint8:
                return np.ascontiguousarray(frames), False
            return np.stack([_as_image(f) for f in frames]), False
        raise InvalidOptionError(
            f"frames have shape {frames.shape}; expected (n, height, width, 3) RGB frames "
            "or one (height, width, 3) image.")
    try:
        items = list(frames)
    except TypeError:
        raise InvalidOptionError(
            f"frames must be an array (n, height, width, 3) or a list of RGB images, "
            f"not {type(frames).__name__}.") from None
    if not items:
        raise InvalidOptionError("no frames given: pass at least one H×W×3 frame.")
    imgs = [_as_image(f) for f in items]
    shape = imgs[0].shape
    for i, img in enumerate(imgs):
        if img.shape != shape:
            raise InvalidOptionError(
                f"frame {i} is {img.shape[1]}×{img.shape[0]} but frame 0 is {shape[1]}×{shape[0]}; "
                "all frames must have the same size (resize them first).")
    return np.stack(imgs), False


def _map_frames(fn: Callable[["np.ndarray"], "np.ndarray"], frames: "np.ndarray") -> "np.ndarray":
    """Apply ``fn`` to every frame (threads when it pays: OpenCV releases the GIL)."""
    import numpy as np

    n = len(frames)
    out = np.empty_like(frames)
    workers = min(4, os.cpu_count() or 1)
    if n < 4 or workers < 2:
        for i in range(n):
            out[i] = fn(frames[i])
        return out
    from concurrent.futures import ThreadPoolExecutor

    def run(i: int) -> None:
        out[i] = fn(frames[i])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, range(n)))
    return out


def _ease(u: "np.ndarray | float", ease: str) -> Any:
    import numpy as np

    if ease == "linear":
        return u
    return 0.5 - 0.5 * np.cos(np.pi * np.asarray(u, dtype=np.float64))
