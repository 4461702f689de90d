"""Encode video that browsers actually play.

Everything here writes **H.264, yuv420p, even dimensions, ``+faststart``** MP4
through PyAV's bundled libx264 (OpenCV's ``VideoWriter`` cannot write H.264 on
these machines, and its ``mp4v`` output does not play in browsers), or an
animated GIF as a fallback for front ends without a video decoder.

* :func:`encode_video` — numpy frames → MP4 (or GIF).
* :func:`browser_preview` — any video file → a file a ``<video>`` element
  plays, under a byte budget: the original when it already fits and plays,
  otherwise a downscaled, audio-free H.264 preview (shortened, and labelled as
  such, only if even a small preview cannot fit).
* :func:`poster_jpeg` — one JPEG frame for ``<video poster=…>`` and grids.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from ..errors import EncodeError, InvalidOptionError
from .probe import VideoInfo

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["encode_video", "browser_preview", "Preview", "poster_jpeg", "encode_jpeg",
           "cache_dir", "DEFAULT_EMBED_BYTES"]

#: Default byte budget of an embedded player (raw MP4 bytes, before base64).
DEFAULT_EMBED_BYTES = 1_100_000


def cache_dir(sub: str = "", *, fallback: bool = True) -> Path:
    """videonb's cache folder (``$VIDEONB_CACHE_DIR`` or the user cache dir).

    When it cannot be created or written (a read-only home, a full disk), display caches
    (``fallback=True``) use a folder in the system's temporary directory, with a warning;
    ``fallback=False`` (downloads the user asked for) raises
    :class:`~videonb.errors.StorageError` naming ``VIDEONB_CACHE_DIR``."""
    root = os.environ.get("VIDEONB_CACHE_DIR")
    if root:
        base = Path(root)
    else:
        try:
            from platformdirs import user_cache_dir

            base = Path(user_cache_dir("videonb", appauthor=False))
        except Exception:  # noqa: BLE001 - platformdirs missing or unusable
            base = Path(tempfile.gettempdir()) / "videonb-cache"
    path = base / sub if sub else base
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK):
            raise PermissionError(13, "not writable")
        return path
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        if not fallback:
            from ..errors import StorageError

            raise StorageError(f"Cannot write into videonb's cache {path}: {why}. Set "
                               f"VIDEONB_CACHE_DIR to a writable folder (or free some disk "
                               f"space).") from None
    tmp = Path(tempfile.gettempdir()) / f"videonb-cache-{os.getuid() if hasattr(os, 'getuid') else 0}"
    tmp = tmp / sub if sub else tmp
    tmp.mkdir(parents=True, exist_ok=True)
    import warnings

    warnings.warn(f"videonb: the cache {path} cannot be written ({why}); using {tmp} for now. "
                  f"Set VIDEONB_CACHE_DIR to a writable folder.", stacklevel=2)
    return tmp


def _even(x: float) -> int:
    return max(2, int(round(x / 2.0)) * 2)


def _even_floor(x: float) -> int:
    return max(2, int(x // 2) * 2)


def _fps_fraction(fps: float | Fraction) -> Fraction:
    if isinstance(fps, Fraction):
        return fps
    if not (fps > 0) or math.isinf(fps):
        raise InvalidOptionError(f"fps={fps!r}: use a positive frame rate such as 24, 25 or 30.")
    return Fraction(fps).limit_denominator(1001)


def _x264_opts(crf: int, preset: str, maxrate_kbps: int | None = None) -> dict[str, str]:
    opts = {"crf": str(crf), "preset": preset}
    if maxrate_kbps:
        opts["maxrate"] = f"{maxrate_kbps}k"
        opts["bufsize"] = f"{maxrate_kbps * 2}k"
    return opts


def _atomic_target(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    return Path(tmp)


def encode_video(frames: Iterable[Any], path: str | os.PathLike[str] | None = None, *,
                 fps: float | Fraction = 25, codec: str = "h264", crf: int | None = None,
                 preset: str = "veryfast", max_side: int | None = None,
                 metadata: dict[str, str] | None = None) -> Path:
    """Encode RGB ``uint8`` frames (H×W×3, or H×W grey) to a browser-playable file.

    ``codec`` is ``"h264"`` (MP4, the default) or ``"gif"``.  Odd dimensions
    are padded to even ones; ``max_side`` downsizes.  ``metadata`` becomes container tags
    (e.g. ``{"comment": ...}``; MP4 keeps the standard ones: title, comment, description...).
    Returns the path written (a cache file named by content when ``path`` is None).
    """
    import av
    import cv2
    import numpy as np

    if codec not in ("h264", "gif"):
        raise InvalidOptionError(f"codec={codec!r}: use 'h264' (MP4) or 'gif'.")
    rate = _fps_fraction(fps)
    suffix = ".gif" if codec == "gif" else ".mp4"
    final = Path(path) if path is not None else None
    tmp = _atomic_target(final if final else cache_dir("encoded") / f"pending{suffix}")
    digest = hashlib.sha256(f"{codec}{rate}{crf}{preset}{max_side}{sorted((metadata or {}).items())}"
                            .encode())
    out = None
    stream = None
    count = 0
    try:
        fmt = "gif" if codec == "gif" else "mp4"
        options = {} if codec == "gif" else {"movflags": "+faststart"}
        out = av.open(str(tmp), "w", format=fmt, options=options)
        if metadata:
            out.metadata.update({str(k): str(v) for k, v in metadata.items()})
        for img in frames:
            arr = np.asarray(img)
            if arr.dtype != np.uint8:
                if np.issubdtype(arr.dtype, np.floating):
                    arr = (np.clip(arr, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
                else:
                    arr = np.clip(arr, 0, 255).astype(np.uint8)
            if arr.ndim == 2:
                arr = np.repeat(arr[:, :, None], 3, axis=2)
            if arr.ndim != 3 or arr.shape[2] not in (3, 4):
                raise InvalidOptionError(
                    f"frame {count} has shape {arr.shape}; expected H×W×3 RGB (or H×W grey).")
            arr = arr[:, :, :3]
            if stream is None:
                h, w = arr.shape[:2]
                if max_side and max(w, h) > max_side:
                    scale = max_side / max(w, h)
                    ow, oh = _even_floor(w * scale), _even_floor(h * scale)
                else:
                    # Odd sizes are padded (edge pixels repeated) to even ones, never stretched.
                    ow, oh = w + (w % 2), h + (h % 2)
                if codec == "gif":
                    stream = out.add_stream("gif", rate=rate)
                    stream.pix_fmt = "rgb8"
                else:
                    stream = out.add_stream("libx264", rate=rate)
                    stream.pix_fmt = "yuv420p"
                    stream.options = _x264_opts(crf if crf is not None else (20 if ow * oh <= 640 * 480 else 23), preset)
                    stream.codec_context.thread_type = "AUTO"
                stream.width, stream.height = ow, oh
            if max_side is None and arr.shape[1] <= stream.width and arr.shape[0] <= stream.height \
                    and stream.width - arr.shape[1] <= 1 and stream.height - arr.shape[0] <= 1:
                if (arr.shape[1], arr.shape[0]) != (stream.width, stream.height):
                    arr = cv2.copyMakeBorder(arr, 0, stream.height - arr.shape[0], 0,
                                             stream.width - arr.shape[1], cv2.BORDER_REPLICATE)
            elif arr.shape[1] != stream.width or arr.shape[0] != stream.height:
                arr = cv2.resize(arr, (stream.width, stream.height), interpolation=cv2.INTER_AREA)
            digest.update(np.ascontiguousarray(arr).data)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(arr), format="rgb24")
            if codec == "gif":
                frame = frame.reformat(format="rgb8")
            for packet in stream.encode(frame):
                out.mux(packet)
            count += 1
        if stream is None:
            raise InvalidOptionError("No frames to encode: pass at least one frame.")
        for packet in stream.encode():
            out.mux(packet)
        out.close()
        out = None
    except av.error.FFmpegError as exc:
        raise EncodeError(f"Encoding failed ({exc}). Check the frames' size and type.") from None
    finally:
        if out is not None:
            try:
                out.close()
            except Exception:  # noqa: BLE001
                pass
        if out is not None or (tmp.exists() and stream is None):
            tmp.unlink(missing_ok=True)
    if not tmp.exists():  # pragma: no cover - defensive
        raise EncodeError("Encoding produced no file.")
    if final is None:
        final = cache_dir("encoded") / f"{digest.hexdigest()[:20]}-{count}{suffix}"
    _publish(tmp, final)
    return final


def _publish(tmp: Path, final: Path) -> None:
    """Move a finished temp file into place with ordinary permissions (mkstemp makes 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, final)


@dataclass(frozen=True)
class Preview:
    """A browser-playable rendition of a video, and how it was made."""

    path: Path
    mime: str
    width: int
    height: int
    duration: float
    size_bytes: int
    #: "original" (the file itself), "remux" (same stream, faststart, audio dropped)
    #: or "transcode" (re-encoded H.264 preview).
    kind: str
    #: Seconds of the source covered (shorter than the source only if the budget forced it).
    covers_seconds: float
    source_duration: float
    note: str = ""

    @property
    def truncated(self) -> bool:
        return self.covers_seconds + 0.05 < self.source_duration

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


_MIME = {"mp4": "video/mp4", "mov": "video/mp4", "webm": "video/webm", "matroska": "video/webm"}


def _mime_of(info: VideoInfo) -> str:
    for key, mime in _MIME.items():
        if key in info.container:
            return mime
    return "video/mp4"


def _preview_size(info: VideoInfo, max_side: int) -> tuple[int, int]:
    from .sampling import display_size

    dw, dh = display_size(info)
    scale = min(1.0, max_side / max(dw, dh))
    bound = max(2, max_side // 2 * 2)
    return min(_even(dw * scale), bound), min(_even(dh * scale), bound)


def _has_faststart(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(256 * 1024)
    moov, mdat = head.find(b"moov"), head.find(b"mdat")
    return moov != -1 and (mdat == -1 or moov < mdat)


def browser_preview(source: Any, *, max_bytes: int = DEFAULT_EMBED_BYTES,
                    max_side: int | None = None, keep_audio: bool = True,
                    force_transcode: bool = False) -> Preview:
    """Return a :class:`Preview` of ``source`` that a browser plays and that fits ``max_bytes``.

    Order of preference: the original file (browser codec, fits the budget,
    not rotated); a re-encode at a display size chosen for the budget with a
    bit-rate cap; if a 240-pixel preview of the whole video still cannot fit,
    a preview of the first part, labelled ``truncated``.  Previews are cached
    by source content and settings.
    """
    from .video import as_video

    video = as_video(source)
    info = video.info
    path = video.path
    if max_bytes < 20_000:
        raise InvalidOptionError(f"max_bytes={max_bytes} is too small for any video; use ≥ 20000.")
    plain = (info.browser_playable and not info.rotation and info.sample_aspect_ratio in (0, 1)
             and (keep_audio or not info.has_audio))
    if plain and not force_transcode and info.size_bytes <= max_bytes and (
            max_side is None or max(info.width, info.height) <= max_side):
        return Preview(path, _mime_of(info), info.width, info.height, info.duration,
                       info.size_bytes, "original", info.duration, info.duration)

    duration = max(info.duration, 1e-3)
    # Bits available per second, keeping 6 % for the container and the moov index.
    kbps = max(24, int(max_bytes * 8 * 0.94 / duration / 1000))
    # Size chosen so the budget gives ≈0.06–0.1 bits per pixel per frame at the source rate.
    fps = min(float(info.fps or 25), 30.0)
    auto_side = int(math.sqrt(kbps * 1000 / (0.08 * fps) * 16 / 9))
    side = max(160, min(auto_side, 1280, max_side or 1280))
    covers = info.duration
    note = ""
    if kbps < 60 and info.duration > max_bytes * 8 * 0.94 / (60 * 1000) + 0.5:
        # Even a tiny preview of the whole video would be mush: show the first part instead.
        covers = max(1.0, max_bytes * 8 * 0.94 / (60 * 1000))
        kbps, side = 60, 240
        budget = f"{max_bytes / 1e6:.1f} MB" if max_bytes >= 1e6 else f"{max_bytes / 1e3:.0f} kB"
        note = (f"Preview shows the first {covers:.0f} s of {info.duration:.0f} s "
                f"(byte budget {budget}; raise max_bytes or use embed=False for all of it).")
    w, h = _preview_size(info, side)
    key = hashlib.sha256(
        f"{video.content_key}|{w}x{h}|{kbps}|{covers:.3f}|v2".encode()).hexdigest()[:24]
    target = cache_dir("previews") / f"{key}.mp4"
    if not target.exists():
        _transcode(path, info, target, w, h, kbps, covers)
    size = target.stat().st_size
    if size > max_bytes:
        # The rate cap is approximate; one retry at a lower rate and size.
        kbps2 = max(24, int(kbps * max_bytes / size * 0.85))
        w2, h2 = _preview_size(info, max(160, int(side * 0.75)))
        target2 = cache_dir("previews") / f"{key}-r.mp4"
        if not target2.exists():
            _transcode(path, info, target2, w2, h2, kbps2, covers)
        target, w, h, size = target2, w2, h2, target2.stat().st_size
    return Preview(target, "video/mp4", w, h, min(covers, info.duration), size, "transcode",
                   min(covers, info.duration), info.duration, note)


def _transcode(src: Path, info: VideoInfo, target: Path, w: int, h: int, kbps: int,
               covers: float) -> None:
    """Decode ``src`` and write an H.264 yuv420p faststart MP4 at w×h, keeping timestamps."""
    import av
    import numpy as np

    from .sampling import _FrameSource

    tmp = _atomic_target(target)
    reader = _FrameSource(src, info)
    out = av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"})
    try:
        rate = Fraction(info.fps).limit_denominator(1001) if info.fps else Fraction(25)
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        crf = 26 if kbps >= 400 else 30
        stream.options = _x264_opts(crf, "veryfast", kbps)
        stream.codec_context.thread_type = "AUTO"
        tb = reader.tb
        stream.codec_context.time_base = tb
        last_pts = -1
        rot = info.rotation
        for frame in reader.frames():
            pts = frame.pts - reader.first_pts
            t = float(pts * tb)
            if t >= covers - 1e-6:
                break
            if pts <= last_pts:
                continue
            if rot:
                img = frame.to_ndarray(format="rgb24")
                img = np.ascontiguousarray(np.rot90(img, k=rot // 90))
                new = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(
                    width=w, height=h, format="yuv420p", interpolation="AREA")
            else:
                new = frame.reformat(width=w, height=h, format="yuv420p", interpolation="AREA")
            new.pts = pts
            new.time_base = tb
            for packet in stream.encode(new):
                out.mux(packet)
            last_pts = pts
        if last_pts < 0:
            raise EncodeError(f"'{src}': no frame could be decoded for the preview.")
        for packet in stream.encode():
            out.mux(packet)
        out.close()
        out = None
        _publish(tmp, target)
    except av.error.FFmpegError as exc:
        raise EncodeError(f"Could not make a browser preview of '{src}' ({exc}).") from None
    finally:
        reader.close()
        if out is not None:
            try:
                out.close()
            except Exception:  # noqa: BLE001
                pass
        if tmp.exists():
            tmp.unlink()


def encode_jpeg(img: "np.ndarray", *, quality: int = 80, max_side: int | None = None) -> bytes:
    """RGB array → JPEG bytes (downsized to ``max_side`` if given)."""
    import cv2

    if max_side and max(img.shape[:2]) > max_side:
        scale = max_side / max(img.shape[:2])
        img = cv2.resize(img, (_even(img.shape[1] * scale), _even(img.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - cv2 only fails on empty input
        raise EncodeError("JPEG encoding failed.")
    return buf.tobytes()


def poster_jpeg(source: Any, *, at: float | None = None, max_side: int = 640,
                quality: int = 75) -> bytes:
    """A JPEG of the frame shown at ``at`` seconds (default: 10 % into the video)."""
    from .sampling import sample_frames
    from .video import as_video

    video = as_video(source)
    t = min(video.info.duration * 0.1, 2.0) if at is None else at
    frames = sample_frames(video, times=[min(t, max(0.0, video.info.duration - 1e-3))],
                           max_side=max_side)
    if not frames.images:
        raise EncodeError(f"No frame of '{video.path}' could be decoded for a poster.")
    return encode_jpeg(frames.images[0], quality=quality)
