"""Build your own frame processor: subclass :class:`VideoProcessor`, override ``process``.

>>> class Invert(VideoProcessor):                       # doctest: +SKIP
...     def process(self, frame, t):
...         return 255 - frame
>>> Invert().run("clip.mp4")                           # doctest: +SKIP
<Video Invert-clip.mp4: 640×360, h264, 25 fps, 20.00 s, 500 frames, no audio>

``run`` decodes the video one frame at a time (the whole video is never held in memory),
calls ``process(frame, t)`` on each RGB ``uint8`` frame (``H×W×3``, display orientation,
``t`` its presentation time in seconds) and streams the returned frames into an H.264
yuv420p MP4 that every browser plays.  The result is a :class:`~videonb.Video` whose
``provenance`` says which processor made it (``provider="local"``, ``model`` = the
class name, free).  Audio is not copied.

Hooks, all optional except ``process``:

* ``setup(self, info)``: called once per run, with the source's
  :class:`~videonb.VideoInfo`, before the first frame (reset per-run state here).
* ``process(self, frame, t)``: return the new frame, the same size as the input or any
  other size as long as every frame of the run has that size.
* ``finish(self)``: called once after the last frame; whatever it returns is stored in
  ``result.provenance["summary"]``.

:func:`process_video` is the same for a plain function ``fn(frame, t) -> frame``.

A returned frame that cannot become video (``None``, not ``uint8``, not ``H×W×3``, or a size
that changes mid-video) stops the run with an :class:`~videonb.errors.InvalidOptionError`
(or :class:`~videonb.errors.InvalidDimensionsError` for sizes) naming the frame's time and
the fix.  numpy and PyAV are imported inside the functions (``import videonb`` stays light).
"""

from __future__ import annotations

import math
import os
import time
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..errors import EmptyVideoError, InvalidDimensionsError, InvalidOptionError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .probe import VideoInfo
    from .video import Video

__all__ = ["VideoProcessor", "process_video"]


class VideoProcessor:
    """Base class of a frame-by-frame video processor (override :meth:`process`).

    >>> class Grey(VideoProcessor):                    # doctest: +SKIP
    ...     def setup(self, info):
    ...         self.frames = 0
    ...     def process(self, frame, t):
    ...         self.frames += 1
    ...         grey = frame.mean(axis=2, keepdims=True).astype("uint8")
    ...         return grey.repeat(3, axis=2)
    ...     def finish(self):
    ...         return {"frames": self.frames}
    >>> out = Grey().run("clip.mp4", max_side=480)    # doctest: +SKIP
    >>> out.provenance["summary"]                      # doctest: +SKIP
    {'frames': 500}

    See the module documentation for the hooks and :meth:`run` for the options.
    """

    #: Name recorded in the result's provenance; the class name when empty.
    name: str = ""

    # --- hooks (override) ------------------------------------------------------------
    def setup(self, info: "VideoInfo") -> None:
        """Called once per run, before the first frame, with the source's ``VideoInfo``."""

    def process(self, frame: "np.ndarray", t: float) -> "np.ndarray":
        """Return the processed frame (RGB ``uint8`` ``H×W×3``) for ``frame`` shown at ``t`` s."""
        raise NotImplementedError(
            f"{type(self).__name__} does not override process(self, frame, t): define it in your "
            f"subclass and return the new frame (an RGB uint8 array of shape (height, width, 3)).")

    def finish(self) -> Any:
        """Called once after the last frame; the return value goes to ``provenance["summary"]``."""
        return None

    # --- running -------------------------------------------------------------------------
    @property
    def label(self) -> str:
        """The name shown in provenance (``name``, else the class name)."""
        return self.name or type(self).__name__

    def run(self, video: Any, *, max_side: int | None = None,
            path: str | os.PathLike[str] | None = None,
            fps: float | Fraction | None = None) -> "Video":
        """Process every frame of ``video`` and return the result as a playable ``Video``.

        Args:
            video: a path, URL, bytes or :class:`~videonb.Video` (anything ``Video()`` takes).
            max_side: shrink the frames *before* ``process`` sees them so that the longer side
                is at most this many pixels (aspect ratio kept); much faster on HD sources.
            path: where to write the MP4 (default: videonb's cache, named by content).
            fps: output frame rate.  Default: the source's rate, one output frame per source
                frame.  Another rate (or a variable-frame-rate source) keeps the duration: each
                output frame shows the source frame on screen at its time, so frames are
                repeated or skipped, and ``process`` is called only for frames that are shown.

        Returns:
            A :class:`~videonb.Video` (H.264, yuv420p, MP4 with faststart) whose ``provenance``
            records the processor, the source, the frame counts, the wall time and the value
            returned by :meth:`finish` (``"summary"``).
        """
        from .encode import encode_video
        from .video import as_video

        self._check_interface()
        source = as_video(video)
        info = source.info
        if max_side is not None:
            try:
                ok = int(max_side) == max_side and max_side >= 16
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise InvalidOptionError(
                    f"max_side={max_side!r}: use a whole number of pixels ≥ 16, e.g. max_side=480, "
                    f"or None to keep the source size.")
        src_fps = _positive_fps(info.fps) or Fraction(25)
        if fps is None:
            out_fps, retime = src_fps, bool(info.is_vfr)
        else:
            out_fps = _check_fps(fps)
            retime = bool(info.is_vfr) or out_fps != src_fps
        started = time.time()
        t0 = time.perf_counter()
        stats = {"processed": 0, "written": 0, "size": None}
        self.setup(info)
        frames = self._frames(source, info, max_side=max_side, out_fps=out_fps, retime=retime,
                              stats=stats)
        out_path = encode_video(frames, path, fps=out_fps)
        summary = self.finish()
        from .video import Video

        stem = Path(source.name).stem or "video"
        result = Video(out_path, name=f"{self.label}-{stem}.mp4")
        result.provenance = {
            "provider": "local", "model": self.label, "operation": "process",
            "processor": f"{type(self).__module__}.{type(self).__qualname__}",
            "cost_usd": 0.0, "seconds": round(result.info.duration, 3),
            "source": str(source.path), "source_name": source.name,
            "frames_in": info.frame_count, "frames_processed": stats["processed"],
            "frames_out": stats["written"], "size": result.size, "fps": float(out_fps),
            "max_side": max_side, "wall_seconds": round(time.perf_counter() - t0, 3),
            "created": started, "finished": time.time(), "cached": False, "summary": summary,
        }
        return result

    # --- internals -----------------------------------------------------------------------
    def _check_interface(self) -> None:
        """Fail before decoding anything when ``process`` is missing or takes the wrong arguments."""
        if type(self).process is VideoProcessor.process:
            raise InvalidOptionError(
                f"{self.label} does not define process(self, frame, t). Add that method to your "
                f"class; it must return the new frame (RGB uint8, shape (height, width, 3)).")
        sig = _wrong_signature(self.process)
        if sig is not None:
            raise InvalidOptionError(
                f"{self.label}.process{sig} cannot be called as process(frame, t): it must take "
                f"the frame and its time in seconds: `def process(self, frame, t):`.")

    def _frames(self, source: Any, info: "VideoInfo", *, max_side: int | None, out_fps: Fraction,
                retime: bool, stats: dict[str, Any]) -> Iterator["np.ndarray"]:
        """Decode → process → check, one frame at a time (a generator the encoder pulls)."""
        from .sampling import iter_frames

        decoded = iter_frames(source, max_side=max_side)
        try:
            if not retime:
                for t, frame in decoded:
                    out = self._call(frame, t, stats)
                    stats["written"] += 1
                    yield out
            else:
                yield from self._retimed(decoded, info, out_fps, stats)
        finally:
            decoded.close()
        if stats["processed"] == 0:
            raise EmptyVideoError(
                f"{source.name}: no frame could be decoded, so {self.label}.process() never ran. "
                f"Check the file with videonb.probe(); it may be empty or damaged.")

    def _retimed(self, decoded: Iterator[tuple[float, "np.ndarray"]], info: "VideoInfo",
                 out_fps: Fraction, stats: dict[str, Any]) -> Iterator["np.ndarray"]:
        """Output frame k (at k/out_fps s) shows the source frame on screen at that time."""
        rate = float(out_fps)
        eps = min(1e-3, 0.25 / rate)
        slot = 0
        held: tuple[float, Any] | None = None

        def emit(t_start: float, frame: Any, t_end: float) -> Iterator[Any]:
            nonlocal slot
            count = 0
            while slot / rate < t_end - eps:
                slot += 1
                count += 1
            if count:
                out = self._call(frame, t_start, stats)
                for _ in range(count):
                    stats["written"] += 1
                    yield out

        for t, frame in decoded:
            if held is not None:
                yield from emit(held[0], held[1], t)
            held = (t, frame)
        if held is not None:
            last_t = held[0]
            end = info.duration if info.duration > last_t + eps else \
                last_t + 1.0 / float(_positive_fps(info.fps) or out_fps)
            if stats["written"] == 0:  # a clip shorter than one output frame: show it once
                end = max(end, slot / rate + eps + 1e-9)
            yield from emit(held[0], held[1], end)

    def _call(self, frame: Any, t: float, stats: dict[str, Any]) -> "np.ndarray":
        out = self.process(frame, t)
        out = _check_frame(out, t, stats["processed"], self.label, stats.get("size"))
        if stats["size"] is None:
            stats["size"] = (int(out.shape[1]), int(out.shape[0]))
        stats["processed"] += 1
        return out

    def __repr__(self) -> str:
        return f"<VideoProcessor {self.label}>"


class _FunctionProcessor(VideoProcessor):
    """:func:`process_video`'s adapter: ``fn(frame, t)`` as a processor."""

    def __init__(self, fn: Callable[[Any, float], Any]) -> None:
        if not callable(fn):
            raise InvalidOptionError(
                f"process_video() needs a function fn(frame, t) -> frame, not "
                f"{type(fn).__name__}.")
        self.fn = fn
        name = (getattr(fn, "__name__", "") or type(fn).__name__).strip("<>")  # <lambda> → lambda
        self.name = name if name.isidentifier() else "function"

    def process(self, frame: "np.ndarray", t: float) -> "np.ndarray":
        return self.fn(frame, t)

    def _check_interface(self) -> None:
        sig = _wrong_signature(self.fn)
        if sig is not None:
            fix = ("`lambda frame, t: ...`" if self.name == "lambda" else
                   f"`def {self.name}(frame, t):`")
            raise InvalidOptionError(
                f"process_video() calls fn(frame, t), but {self.name}{sig} cannot take those two "
                f"arguments: write it as {fix} (t is the frame's time in seconds; ignore it if "
                f"you do not need it).")


def process_video(video: Any, fn: Callable[[Any, float], Any], **kwargs: Any) -> "Video":
    """Apply ``fn(frame, t) -> frame`` to every frame of ``video``; return a playable ``Video``.

    >>> process_video("clip.mp4", lambda frame, t: 255 - frame, max_side=480)  # doctest: +SKIP

    Keyword arguments are those of :meth:`VideoProcessor.run` (``max_side``, ``path``, ``fps``);
    the provenance names the function.  Subclass :class:`VideoProcessor` instead when you need
    state across frames, a setup step or a summary at the end.
    """
    return _FunctionProcessor(fn).run(video, **kwargs)


# --- checks ----------------------------------------------------------------------------------
def _wrong_signature(fn: Callable[..., Any]) -> Any:
    """``fn``'s signature when it cannot be called as ``fn(frame, t)``, else None (also when
    it has no signature to read, as some builtins and C callables)."""
    import inspect

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        sig.bind(None, 0.0)
    except TypeError:
        return sig
    return None


def _positive_fps(fps: Any) -> Fraction | None:
    try:
        f = Fraction(fps)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return f if f > 0 else None


def _check_fps(fps: Any) -> Fraction:
    try:
        value = float(fps)
    except (TypeError, ValueError):
        value = float("nan")
    if not (value > 0) or math.isinf(value) or value > 240:
        raise InvalidOptionError(
            f"fps={fps!r}: use a frame rate between 0 and 240, e.g. 24, 25 or 30 (or None to "
            f"keep the source's rate).")
    if isinstance(fps, Fraction):
        return fps
    return Fraction(value).limit_denominator(1001)


def _check_frame(out: Any, t: float, index: int, label: str,
                 size: tuple[int, int] | None) -> "np.ndarray":
    """``out`` as an RGB uint8 H×W×3 array, or an error that names the frame and the fix."""
    import numpy as np

    where = f"{label}.process() at t={t:.3f} s (frame {index})"
    if out is None:
        raise InvalidOptionError(
            f"{where} returned None. process() must return the new frame: end it with "
            f"`return frame` (or your modified copy), not only modify it.")
    arr = out if isinstance(out, np.ndarray) else np.asarray(out)
    if arr.dtype == object or arr.ndim == 0:
        raise InvalidOptionError(
            f"{where} returned {type(out).__name__}, not an image. Return an RGB uint8 numpy "
            f"array of shape (height, width, 3).")
    if arr.ndim == 2:
        raise InvalidOptionError(
            f"{where} returned a 2-D array of shape {arr.shape} (one channel). Return RGB "
            f"(height, width, 3): e.g. np.repeat(grey[:, :, None], 3, axis=2) or "
            f"cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB).")
    if arr.ndim != 3:
        raise InvalidOptionError(
            f"{where} returned an array of shape {arr.shape}; return ONE frame of shape "
            f"(height, width, 3), not a batch or a flat array.")
    if arr.shape[2] != 3:
        fix = ("drop the alpha channel with out[:, :, :3]" if arr.shape[2] == 4 else
               "repeat it to RGB with np.repeat(out, 3, axis=2)" if arr.shape[2] == 1 else
               "return exactly 3 channels (red, green, blue)")
        raise InvalidOptionError(
            f"{where} returned an array with {arr.shape[2]} channels (shape {arr.shape}); frames "
            f"are RGB with 3 channels: {fix}.")
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating):
            fix = ("np.clip(out * 255, 0, 255).astype(np.uint8) if your values are 0-1, else "
                   "np.clip(out, 0, 255).astype(np.uint8)")
        else:
            fix = "np.clip(out, 0, 255).astype(np.uint8)"
        raise InvalidOptionError(
            f"{where} returned a {arr.dtype} array; frames must be uint8 (0-255) so that "
            f"nothing wraps around or gets clipped silently. Convert with {fix}.")
    h, w = int(arr.shape[0]), int(arr.shape[1])
    if h < 2 or w < 2:
        raise InvalidDimensionsError(
            f"{where} returned a {w}×{h} frame; a video frame needs at least 2×2 pixels.")
    if size is not None and (w, h) != size:
        raise InvalidDimensionsError(
            f"{where} returned a {w}×{h} frame, but the earlier frames were {size[0]}×{size[1]}. "
            f"Every frame of a video has the same size: resize consistently, e.g. "
            f"cv2.resize(out, ({size[0]}, {size[1]})), or decide the size once in setup().")
    return arr
