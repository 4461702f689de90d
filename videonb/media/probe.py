"""Probe a video file: what it is, how long, how big, how it is encoded.

``probe(path)`` opens the file with PyAV (FFmpeg), reads the container and
stream headers and the packet index, and decodes the first frame (to learn the
display rotation and to prove the stream really decodes).  Every way a file can
fail to be a usable video is turned into a :class:`~videonb.errors.VideonbError`
subclass whose message names the fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import (
    CorruptVideoError,
    EmptyVideoError,
    InvalidDimensionsError,
    NotAFileError,
    NotAVideoError,
    NoVideoStreamError,
    UnsupportedCodecError,
    VideoNotFoundError,
)

__all__ = ["VideoInfo", "probe", "open_container", "BROWSER_CODECS", "MAX_DIMENSION"]

#: Video codecs that Chromium, Firefox and Safari-class browsers decode without
#: hardware help (HEVC and MPEG-4 Part 2 do not play in Chromium).
BROWSER_CODECS = frozenset({"h264", "vp8", "vp9", "av1"})
#: Containers browsers open in a ``<video>`` element.
BROWSER_CONTAINERS = frozenset({"mp4", "mov", "webm", "matroska"})
#: Largest width or height accepted (8K is 7680; anything above 16384 is absurd).
MAX_DIMENSION = 16384

_IMAGE_FORMATS = {
    "image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "ppm_pipe", "pgm_pipe", "psd_pipe", "svg_pipe", "jpegls_pipe", "j2k_pipe",
    "qoi_pipe", "pam_pipe", "dpx_pipe", "exr_pipe", "avif", "heif",
}
_MAGIC_IMAGE = {
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"BM": "BMP image",
}


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` learned about a video file.

    Times are in seconds (float) and relative to the start of the file's
    timeline (``start_time`` is subtracted), so ``0.0`` is the first frame.
    ``width``/``height`` are the *displayed* size, after rotation metadata;
    ``stored_width``/``stored_height`` are what the codec holds.
    """

    path: Path
    duration: float
    fps: Fraction
    frame_count: int
    frame_count_exact: bool
    width: int
    height: int
    stored_width: int
    stored_height: int
    rotation: int
    sample_aspect_ratio: Fraction
    codec: str
    pix_fmt: str
    profile: str | None
    container: str
    has_audio: bool
    audio_codec: str | None
    is_vfr: bool
    keyframe_times: tuple[float, ...]
    start_time: float
    size_bytes: int
    bit_rate: int | None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def display_aspect_ratio(self) -> float:
        """Width / height as the video should be shown (rotation and SAR applied)."""
        sar = self.sample_aspect_ratio or Fraction(1)
        if self.rotation % 180:
            return float(self.width / (self.height * sar))
        return float(self.width * sar / self.height)

    @property
    def browser_playable(self) -> bool:
        """True if a browser ``<video>`` can play this file as it is."""
        container_ok = any(c in self.container for c in BROWSER_CONTAINERS)
        pix_ok = self.codec != "h264" or self.pix_fmt in ("yuv420p", "yuvj420p")
        return self.codec in BROWSER_CODECS and container_ok and pix_ok

    @property
    def gop_seconds(self) -> float | None:
        """Median distance between keyframes, in seconds (None if one keyframe)."""
        k = self.keyframe_times
        if len(k) < 2:
            return None
        gaps = sorted(b - a for a, b in zip(k, k[1:]))
        return gaps[len(gaps) // 2]

    def summary(self) -> str:
        """One human-readable line, e.g. ``1280×720 h264 25 fps 5.28 s``."""
        fps = f"{float(self.fps):.3g} fps" + (" (VFR)" if self.is_vfr else "")
        parts = [f"{self.width}×{self.height}", self.codec, fps, f"{self.duration:.2f} s",
                 f"{self.frame_count} frames" + ("" if self.frame_count_exact else " (est.)")]
        if self.rotation:
            parts.append(f"rotated {self.rotation}°")
        if self.sample_aspect_ratio not in (0, 1):
            parts.append(f"SAR {self.sample_aspect_ratio}")
        parts.append("audio " + (self.audio_codec or "yes") if self.has_audio else "no audio")
        return ", ".join(parts)

    def __str__(self) -> str:  # pragma: no cover - trivial
        return f"{self.path.name}: {self.summary()}"


def _check_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        hint = ""
        parent = p.parent if str(p.parent) else Path(".")
        if parent.is_dir():
            near = sorted(x.name for x in parent.iterdir() if x.suffix.lower() in (
                ".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v"))[:5]
            if near:
                hint = f" Videos in {parent}: {', '.join(near)}."
        raise VideoNotFoundError(
            f"No such file: '{p}'. Check the path (it is relative to the current "
            f"directory, {Path.cwd()}).{hint}")
    if p.is_dir():
        raise NotAFileError(
            f"'{p}' is a directory, not a video file. Pass the path of a file inside it.")
    size = p.stat().st_size
    if size == 0:
        raise EmptyVideoError(
            f"'{p}' is empty (0 bytes). The download or render that made it probably "
            f"failed; make the file again.")
    return p


def _sniff(p: Path) -> str | None:
    with open(p, "rb") as fh:
        head = fh.read(16)
    for magic, kind in _MAGIC_IMAGE.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP image"
    return None


def _looks_like_video_container(p: Path) -> bool:
    with open(p, "rb") as fh:
        head = fh.read(12)
    return (head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide")
            or head.startswith(b"\x1a\x45\xdf\xa3")  # EBML (webm/mkv)
            or head.startswith(b"RIFF"))


def open_container(path: str | os.PathLike[str]) -> Any:
    """Open ``path`` with PyAV, turning FFmpeg failures into videonb errors."""
    import av

    p = _check_path(path)
    image_kind = _sniff(p)
    if image_kind:
        raise NotAVideoError(
            f"'{p}' is a {image_kind}, not a video. Pass a video file (mp4, webm, mov, mkv or "
            f"an animated GIF).")
    try:
        return av.open(str(p), metadata_errors="ignore")
    except av.error.InvalidDataError as exc:
        if _looks_like_video_container(p):
            raise CorruptVideoError(
                f"'{p}' looks like a video container but FFmpeg cannot read it ({exc.strerror}). "
                f"It is probably truncated or damaged: download or export it again.") from None
        raise NotAVideoError(
            f"'{p}' is not a video file FFmpeg recognises ({exc.strerror}). Pass an mp4, "
            f"webm, mov or mkv file.") from None
    except av.error.FFmpegError as exc:
        raise CorruptVideoError(
            f"'{p}' could not be opened ({type(exc).__name__}: {exc.strerror}). Download or "
            f"export it again.") from None


def _video_stream(container: Any, p: Path) -> Any:
    if container.format.name in _IMAGE_FORMATS or container.format.name.endswith("_pipe"):
        raise NotAVideoError(
            f"'{p}' is a still image ({container.format.name}), not a video. Pass a video file "
            f"(mp4, webm, mov, mkv or an animated GIF).")
    if not container.streams.video:
        if container.streams.audio:
            raise NoVideoStreamError(
                f"'{p}' has only audio ({container.streams.audio[0].codec_context.name}), no "
                f"video stream. Pass a file with a picture.")
        raise NoVideoStreamError(f"'{p}' holds no video stream. Pass a video file.")
    stream = container.streams.video[0]
    # Prefer a real video stream over an attached cover picture.
    for s in container.streams.video:
        if not (s.disposition & getattr(s.disposition, "attached_pic", 1 << 10)):
            stream = s
            break
    return stream


def _check_dims(w: int, h: int, p: Path) -> None:
    if w <= 0 or h <= 0 or w > MAX_DIMENSION or h > MAX_DIMENSION:
        raise InvalidDimensionsError(
            f"'{p}' declares a frame size of {w}×{h}, which is outside 1..{MAX_DIMENSION} "
            f"pixels. The file is damaged or not a normal video; re-export it.")


def first_frame(container: Any, stream: Any, p: Path, *, max_packets: int = 600) -> Any:
    """Decode and return the first frame, or raise a clear error."""
    import av

    n_errors = 0
    n_packets = 0
    last_exc: Exception | None = None
    for i, packet in enumerate(container.demux(stream)):
        if i >= max_packets:
            break
        if packet.size:
            n_packets += 1
        try:
            for frame in packet.decode():
                return frame
        except av.error.FFmpegError as exc:
            n_errors += 1
            last_exc = exc
            if n_errors > 50:
                break
    try:
        for frame in stream.codec_context.decode(None):
            return frame
    except av.error.EOFError:
        pass  # flushing an empty decoder: no frame at all, not damage
    except av.error.FFmpegError as exc:  # pragma: no cover - decoder flush failure
        last_exc = exc
    if last_exc is not None and n_packets:
        raise CorruptVideoError(
            f"'{p}': no frame could be decoded ({last_exc}). The file is damaged or "
            f"truncated; download or export it again.") from None
    raise EmptyVideoError(
        f"'{p}' has a video stream but no frames. The recording or render that made it "
        f"probably stopped before writing a frame; make it again.")


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Return a :class:`VideoInfo` for the video at ``path``.

    >>> info = probe("clip.mp4")                         # doctest: +SKIP
    >>> info.duration, info.fps, info.width, info.height # doctest: +SKIP
    (5.28, Fraction(25, 1), 1280, 720)

    Raises a :class:`~videonb.errors.VideonbError` subclass for missing,
    empty, non-video, corrupt, audio-only, zero-frame and unsupported files.
    """

    container = open_container(path)
    p = Path(path).expanduser()
    try:
        stream = _video_stream(container, p)
        cc = stream.codec_context
        if cc is None or cc.codec is None:
            raise UnsupportedCodecError(
                f"'{p}' uses a video codec this FFmpeg build cannot decode. Convert it to "
                f"H.264 first (e.g. `ffmpeg -i in -c:v libx264 -pix_fmt yuv420p out.mp4`).")
        codec = cc.name
        stored_w, stored_h = int(cc.width or stream.width or 0), int(cc.height or stream.height or 0)
        _check_dims(stored_w, stored_h, p)
        tb = stream.time_base or Fraction(1, 90000)
        start_pts = stream.start_time if stream.start_time is not None else 0
        start_time = float(start_pts * tb)

        frame = first_frame(container, stream, p)
        if frame.width != stored_w or frame.height != stored_h:
            stored_w, stored_h = frame.width, frame.height
            _check_dims(stored_w, stored_h, p)
        rotation = int(getattr(frame, "rotation", 0) or 0) % 360
        if rotation > 180:
            rotation -= 360
        first_pts = frame.pts if frame.pts is not None else start_pts
        pix_fmt = frame.format.name
        avg = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = Fraction(avg) if avg else Fraction(25)

        # --- packet scan: presentation times of every frame, without decoding -----------
        # (≈0.1 s for 10 min of 720p.)  Gives the exact frame count, keyframe PTS (the MP4
        # index only has DTS) and the VFR flag, for every container, not just MP4.
        pts_all, key_pts, last_pkt_dur = (_scan_packets(p, stream.index)
                                          if p.stat().st_size <= SCAN_LIMIT else ([], [], 0))
        is_vfr = False
        if len(pts_all) > 2:
            deltas = sorted(b - a for a, b in zip(pts_all, pts_all[1:]) if b > a)
            if deltas:
                med = deltas[len(deltas) // 2]
                tol = max(2, med * 0.02)  # rounding jitter of a tick or two
                irregular = sum(1 for d in deltas if abs(d - med) > tol)
                is_vfr = irregular > max(1, len(deltas) * 0.01)

        # --- duration ----------------------------------------------------------
        duration = 0.0
        claimed = None
        if stream.duration:
            duration = float(stream.duration * tb)
        elif container.duration:
            duration = container.duration / 1_000_000 - max(0.0, start_time)
        if len(pts_all) > 1:
            # The last frame lasts what its packet says, else a typical frame: not the gap
            # before it (a last frame after a long pause would double the duration).
            deltas = sorted(b - a for a, b in zip(pts_all, pts_all[1:]) if b > a)
            typical = deltas[len(deltas) // 2] if deltas else 0
            last_dur = last_pkt_dur if 0 < last_pkt_dur <= max(4 * typical, 1) else typical
            by_packets = float((pts_all[-1] + last_dur - first_pts) * tb)
            if duration <= 0 or abs(by_packets - duration) > 0.5:
                if duration > by_packets + 0.5:
                    claimed = duration   # the index promises more than the file holds
                duration = by_packets
        if duration <= 0:
            duration = float(stream.frames / fps) if stream.frames else 0.0

        # --- frame count -------------------------------------------------------
        if pts_all:
            frame_count, exact = len(pts_all), True
        elif stream.frames:
            frame_count, exact = int(stream.frames), True
        else:
            frame_count, exact = max(1, round(duration * float(fps))), False

        keyframes: tuple[float, ...] = tuple(
            max(0.0, float((k - first_pts) * tb)) for k in key_pts)
        if not keyframes:
            keyframes = (0.0,)
        audio = container.streams.audio[0] if container.streams.audio else None

        width, height = (stored_h, stored_w) if rotation % 180 else (stored_w, stored_h)
        sar = stream.sample_aspect_ratio or cc.sample_aspect_ratio or Fraction(1)
        size = p.stat().st_size
        bit_rate = cc.bit_rate or container.bit_rate or None
        profile = getattr(stream, "profile", None) or None
        return VideoInfo(
            path=p.resolve(), duration=duration, fps=fps, frame_count=frame_count,
            frame_count_exact=exact, width=width, height=height, stored_width=stored_w,
            stored_height=stored_h, rotation=rotation, sample_aspect_ratio=Fraction(sar),
            codec=codec, pix_fmt=pix_fmt, profile=profile, container=container.format.name,
            has_audio=audio is not None,
            audio_codec=audio.codec_context.name if audio is not None else None,
            is_vfr=is_vfr, keyframe_times=keyframes,
            start_time=float(first_pts * tb), size_bytes=size, bit_rate=bit_rate,
            extra={"time_base": tb, "first_pts": first_pts, "packets_scanned": len(pts_all),
                   **({"claimed_duration": claimed} if claimed is not None else {})},
        )
    finally:
        container.close()


#: Files larger than this are not scanned packet by packet (frame count is then estimated).
SCAN_LIMIT = 4 * 1024**3


def _scan_packets(p: Path, index: int) -> tuple[list[int], list[int], int]:
    """Sorted PTS of all video packets, PTS of the keyframes and the duration of the last
    packet in presentation order (demux only, no decoding)."""
    import av

    pts: list[int] = []
    keys: list[int] = []
    last = (-(1 << 62), 0)
    try:
        with av.open(str(p), metadata_errors="ignore") as c:
            st = c.streams[index]
            for other in c.streams:
                if other.index != index:
                    try:
                        other.discard = av.stream.Discard.all
                    except (AttributeError, ValueError):  # older PyAV: demux(st) filters anyway
                        pass
            for packet in c.demux(st):
                if packet.size == 0 or packet.pts is None:
                    continue
                pts.append(packet.pts)
                if packet.pts >= last[0]:
                    last = (packet.pts, int(packet.duration or 0))
                if packet.is_keyframe:
                    keys.append(packet.pts)
    except av.error.FFmpegError:
        pass  # a damaged tail: keep what was read
    pts.sort()
    keys.sort()
    return pts, keys, last[1]


#: Top-level box types an ISO base-media file (MP4, MOV, M4V) starts with.
_ISO_FIRST = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot", b"uuid")


def check_complete(path: str | os.PathLike[str]) -> None:
    """Raise :class:`~videonb.errors.CorruptVideoError` when an MP4/MOV file is cut short.

    A download that stopped early without anyone noticing (a close-delimited body, a proxy
    that gave up) can still probe with frames when its index comes first ("fast start"), so
    the frame count alone cannot tell.  The top-level boxes of an ISO base-media file must add
    up to exactly the file's size.  Other containers are left to the probe."""
    p = Path(path)
    size = p.stat().st_size
    with open(p, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8 or head[4:8] not in _ISO_FIRST:
            return
        pos = 0
        while pos < size:
            fh.seek(pos)
            hdr = fh.read(16)
            n = int.from_bytes(hdr[:4], "big") if len(hdr) >= 8 else -1
            if n == 1:
                n = int.from_bytes(hdr[8:16], "big") if len(hdr) >= 16 else -1
            elif n == 0:
                n = size - pos  # "to the end of the file"
            if n < 8:
                break
            pos += n
    if pos != size:
        raise CorruptVideoError(
            f"{p.name} is cut short: its boxes describe {pos if pos > size else 'more'} bytes "
            f"but the file has {size}. The download or copy stopped early; fetch it again.")
