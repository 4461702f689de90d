"""Small real media for the emulators: an H.264 MP4 (a moving gradient), its
thumbnail and spritesheet, and stdlib-only readers for image sizes and data URIs.

PyAV, numpy and OpenCV are imported inside the functions that need them.  Results
are cached per size, so a test session encodes each size once.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
import threading
from functools import lru_cache

_lock = threading.Lock()

#: Longest side of generated video, so encoding stays in the milliseconds.
MAX_SIDE = 320


def scaled_size(width: int, height: int, max_side: int = MAX_SIDE) -> tuple[int, int]:
    """(width, height) with the same aspect ratio, the longest side at most *max_side*,
    both even (H.264 with 4:2:0 chroma needs even sizes)."""
    width, height = max(int(width), 2), max(int(height), 2)
    scale = min(1.0, max_side / max(width, height))
    w = max(2, round(width * scale / 2) * 2)
    h = max(2, round(height * scale / 2) * 2)
    return w, h


def _frames(width: int, height: int, n: int):
    import numpy as np

    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    for i in range(n):
        t = i / max(n - 1, 1)
        r = np.broadcast_to((x + t) % 1.0, (height, width))
        g = np.broadcast_to(y, (height, width))
        b = np.broadcast_to(0.5 + 0.5 * np.sin(2 * np.pi * (x + y - t)), (height, width))
        frame = np.stack([r * 255, g * 255, b * 255], axis=-1).astype(np.uint8)
        # A white box sweeping left to right: visible motion for key-moment detectors.
        bx = int((width - width // 8) * t)
        frame[height // 3 : height // 3 + height // 6, bx : bx + width // 8] = 255
        yield frame


@lru_cache(maxsize=32)
def _mp4(width: int, height: int, seconds: float, fps: int) -> bytes:
    import os
    import tempfile

    import av

    n = max(1, round(seconds * fps))
    # A real file rather than BytesIO: "+faststart" (moov atom first, so players can
    # start before the download ends) rewrites the file after encoding.
    fd, path = tempfile.mkstemp(suffix=".mp4", prefix="videonb-emulator-")
    os.close(fd)
    try:
        with av.open(path, mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width = width
            stream.height = height
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": "ultrafast", "crf": "28"}
            for arr in _frames(width, height, n):
                frame = av.VideoFrame.from_ndarray(arr, format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def synthetic_mp4(
    width: int = 320, height: int = 180, seconds: float = 1.0, fps: int = 24,
    max_side: int = MAX_SIDE,
) -> bytes:
    """A real H.264/yuv420p MP4 of a moving gradient, scaled down to at most ``max_side`` px
    (320 by default: small and quick)."""
    w, h = scaled_size(width, height, max_side)
    with _lock:
        return _mp4(w, h, round(float(seconds), 3), int(fps))


@lru_cache(maxsize=32)
def _image(width: int, height: int, ext: str, sprites: int) -> bytes:
    import numpy as np

    frames = list(_frames(width, height, max(sprites, 1)))
    if sprites > 1:
        cols = min(sprites, 5)
        rows = (sprites + cols - 1) // cols
        sheet = np.zeros((rows * height, cols * width, 3), dtype=np.uint8)
        for i, f in enumerate(frames):
            r, c = divmod(i, cols)
            sheet[r * height : (r + 1) * height, c * width : (c + 1) * width] = f
        img = sheet
    else:
        img = frames[0]
    try:
        import cv2

        ok, data = cv2.imencode(ext, img[:, :, ::-1].copy())
        if ok:
            return bytes(data)
    except ImportError:  # pragma: no cover - opencv is a videonb dependency
        pass
    return _png(img)


def thumbnail_webp(width: int = 320, height: int = 180) -> bytes:
    w, h = scaled_size(width, height)
    with _lock:
        return _image(w, h, ".webp", 1)


def spritesheet_jpeg(width: int = 320, height: int = 180, count: int = 10) -> bytes:
    w, h = scaled_size(width, height, max_side=128)
    with _lock:
        return _image(w, h, ".jpg", count)


def _png(rgb) -> bytes:
    """Encode an RGB uint8 array as PNG with the standard library only."""
    import zlib

    h, w = rgb.shape[:2]
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def solid_png(width: int, height: int, rgb: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    """A flat-colour PNG (stdlib only): handy as a test image or reference frame."""
    row = bytes(rgb) * width
    import zlib

    raw = b"".join(b"\x00" + row for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------------------
# Reading images and data URIs (stdlib only)
# --------------------------------------------------------------------------------------
def image_info(data: bytes) -> tuple[str, int, int] | None:
    """(mime type, width, height) of a PNG, JPEG, GIF or WebP image, or None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return "image/png", w, h
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return "image/gif", w, h
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        kind = data[12:16]
        if kind == b"VP8 ":
            w, h = struct.unpack("<HH", data[26:30])
            return "image/webp", w & 0x3FFF, h & 0x3FFF
        if kind == b"VP8L":
            b = data[21:25]
            w = 1 + (((b[1] & 0x3F) << 8) | b[0])
            h = 1 + (((b[3] & 0x0F) << 10) | (b[2] << 2) | ((b[1] & 0xC0) >> 6))
            return "image/webp", w, h
        if kind == b"VP8X":
            w = 1 + int.from_bytes(data[24:27], "little")
            h = 1 + int.from_bytes(data[27:30], "little")
            return "image/webp", w, h
        return None
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (
                0xC0,
                0xC1,
                0xC2,
                0xC3,
                0xC5,
                0xC6,
                0xC7,
                0xC9,
                0xCA,
                0xCB,
                0xCD,
                0xCE,
                0xCF,
            ):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return "image/jpeg", w, h
            i += 2 + length
        return None
    return None


_DATA_URI = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[\w.+-]+=[^;,]*)*)(?P<b64>;base64)?,(?P<data>.*)\Z",
    re.DOTALL,
)


class DataURIError(ValueError):
    pass


def parse_data_uri(uri: str) -> tuple[str, bytes]:
    """(mime type, bytes) of a ``data:`` URI; raises :class:`DataURIError`."""
    m = _DATA_URI.match(uri)
    if not m:
        raise DataURIError("Invalid data URI.")
    mime = (m.group("mime") or "text/plain").lower()
    payload = m.group("data")
    if m.group("b64"):
        try:
            return mime, b64decode(payload)
        except (binascii.Error, ValueError) as exc:
            raise DataURIError("Invalid base64 data in data URI.") from exc
    from urllib.parse import unquote_to_bytes

    return mime, unquote_to_bytes(payload)


def b64decode(text: str) -> bytes:
    """Decode standard or URL-safe base64, with or without padding (proto JSON accepts both)."""
    s = "".join(text.split()).replace("-", "+").replace("_", "/")
    s += "=" * (-len(s) % 4)
    return base64.b64decode(s, validate=True)


def video_duration(data: bytes) -> tuple[float, bool] | None:
    """(duration in seconds, has audio) of a video held in memory, or None if PyAV cannot
    open it as a video."""
    try:
        import av
    except ImportError:  # pragma: no cover
        return None
    try:
        with av.open(io.BytesIO(data), mode="r") as c:
            if not c.streams.video:
                return None
            v = c.streams.video[0]
            duration = None
            if c.duration is not None:
                duration = c.duration / 1_000_000
            elif v.duration is not None and v.time_base is not None:
                duration = float(v.duration * v.time_base)
            if duration is None:
                duration = 0.0
                for frame in c.decode(video=0):
                    if frame.time is not None:
                        duration = max(duration, float(frame.time))
            return float(duration), bool(c.streams.audio)
    except Exception:  # noqa: BLE001 - PyAV raises many kinds for undecodable input
        return None
