"""One small file per kind of bad input (empty, random bytes, truncated, not a video, audio
only, codecs browsers cannot play, no frames, huge declared size, corrupt packets):
:func:`make_bad_inputs`."""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterable
from pathlib import Path

import av
import cv2
import numpy as np

from .footage import _grade_lut, _random_shot, _render_shot, _segments
from .truth import PathLike

__all__ = ["make_bad_inputs"]


def _small_frames(count: int, size: tuple[int, int] = (320, 240)) -> list[np.ndarray]:
    """Real-footage frames (carphone, a slow crop) for the small bad-input files."""
    (carphone,) = _segments(size, ["carphone_pristine"])
    shot = _random_shot(np.random.default_rng(11), carphone, 0, count, 25.0, size)
    shot.flip = False
    shot.lut = _grade_lut(np.ones(3), 1.0)
    return [_render_shot(shot, j, size) for j in range(count)]


def _write_small(
    path: Path,
    frames: list[np.ndarray],
    *,
    codec: str,
    fps: int = 25,
    options: dict[str, object] | None = None,
    container_format: str | None = None,
    container_options: dict[str, str] | None = None,
    codec_tag: str | None = None,
    pix_fmt: str = "yuv420p",
) -> None:
    with av.open(
        str(path), mode="w", format=container_format, container_options=container_options or {}
    ) as container:
        stream = container.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = pix_fmt
        if codec_tag:
            stream.codec_tag = codec_tag
        if options:
            stream.options = options
        for j, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = j
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _write_sine_aac(path: Path, seconds: float = 1.0, rate: int = 44100) -> None:
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=rate, layout="mono")
        stream.bit_rate = 64000
        t = np.arange(round(seconds * rate)) / rate
        samples = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
        chunk = stream.codec_context.frame_size or 1024
        for offset in range(0, len(samples), chunk):
            block = samples[offset : offset + chunk].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = offset
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _iter_boxes(data: bytes | bytearray, start: int, end: int) -> Iterable[tuple[bytes, int, int]]:
    """Yield ``(type, box_start, box_end)`` of the ISO-BMFF boxes in ``data[start:end]``."""
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", bytes(data[offset : offset + 8]))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", bytes(data[offset + 8 : offset + 16]))[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            return
        yield kind, offset, offset + size
        offset += size


# Bytes between a box's 8-byte header and its first child box.
_CHILD_OFFSET = {b"stsd": 8, b"avc1": 78}


def _find_box(
    data: bytes | bytearray, path: list[bytes], start: int = 0, end: int | None = None
) -> list[tuple[int, int]]:
    """Locate a nested box by its type path, e.g. ``[b"moov", b"trak", b"tkhd"]``.

    Returns ``(start, end)`` of every box on the path, outermost first.
    """
    end = len(data) if end is None else end
    for kind, box_start, box_end in _iter_boxes(data, start, end):
        if kind == path[0]:
            if len(path) == 1:
                return [(box_start, box_end)]
            child_start = box_start + 8 + _CHILD_OFFSET.get(kind, 0)
            try:
                return [(box_start, box_end), *_find_box(data, path[1:], child_start, box_end)]
            except KeyError:
                continue
    raise KeyError(b"/".join(path).decode())


class _BitReader:
    def __init__(self, data: bytes) -> None:
        self.bits = "".join(f"{byte:08b}" for byte in data)
        self.pos = 0

    def u(self, n: int) -> int:
        value = int(self.bits[self.pos : self.pos + n], 2)
        self.pos += n
        return value

    def ue(self) -> int:
        """Unsigned Exp-Golomb code."""
        zeros = 0
        while self.bits[self.pos] == "0":
            zeros += 1
            self.pos += 1
        self.pos += 1
        suffix = int(self.bits[self.pos : self.pos + zeros], 2) if zeros else 0
        self.pos += zeros
        return (1 << zeros) - 1 + suffix

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


def _ue_bits(value: int) -> str:
    code = f"{value + 1:b}"
    return "0" * (len(code) - 1) + code


def _unescape(nal: bytes) -> bytes:
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _escape(rbsp: bytes) -> bytes:
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _resize_sps(sps: bytes, width: int, height: int) -> bytes:
    """Return an H.264 SPS NAL unit with its picture size changed to *width* x *height*.

    The fields before ``pic_width_in_mbs_minus1`` are parsed only to find where
    it starts; the two size fields are re-coded (Exp-Golomb) and everything
    after them is kept bit for bit (frame cropping must be off, as it is for
    sizes that are multiples of 16).
    """
    if width % 16 or height % 16:
        raise ValueError("width and height must be multiples of 16")
    header, rbsp = sps[:1], _unescape(sps[1:])
    reader = _BitReader(rbsp)
    profile = reader.u(8)
    reader.u(16)  # constraint flags, level
    reader.ue()  # seq_parameter_set_id
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        if reader.ue() == 3:  # chroma_format_idc
            reader.u(1)
        reader.ue()
        reader.ue()  # bit depths
        reader.u(1)  # qpprime_y_zero_transform_bypass_flag
        if reader.u(1):
            raise ValueError("SPS with scaling matrices is not supported")
    reader.ue()  # log2_max_frame_num_minus4
    poc_type = reader.ue()
    if poc_type == 0:
        reader.ue()
    elif poc_type == 1:
        reader.u(1)
        reader.se()
        reader.se()
        for _ in range(reader.ue()):
            reader.se()
    reader.ue()  # max_num_ref_frames
    reader.u(1)  # gaps_in_frame_num_value_allowed_flag
    size_start = reader.pos
    reader.ue()
    reader.ue()
    size_end = reader.pos
    bits = reader.bits
    stop_bit = bits.rindex("1")  # rbsp_stop_one_bit
    body = (
        bits[:size_start]
        + _ue_bits(width // 16 - 1)
        + _ue_bits(height // 16 - 1)
        + bits[size_end:stop_bit]
    )
    body += "1"
    body += "0" * (-len(body) % 8)
    return header + _escape(bytes(int(body[i : i + 8], 2) for i in range(0, len(body), 8)))


def _patch_dimensions(data: bytes, width: int, height: int) -> bytes:
    """Return MP4 bytes whose every size field claims *width* x *height*.

    Rewrites the ``tkhd`` width/height (16.16 fixed point, the last 8 bytes of
    the box), the ``avc1`` sample entry's 16-bit width/height (24 bytes into
    its payload) and the SPS inside ``avcC`` (re-coded with
    :func:`_resize_sps`); the sizes of ``avcC`` and all boxes enclosing it are
    adjusted.  ``moov`` must come after ``mdat`` (no faststart) so that no
    chunk offset moves.  The coded slices still describe 320x240 pictures.
    """
    out = bytearray(data)
    (moov_start, _), *_ = _find_box(out, [b"moov"])
    (mdat_start, _), *_ = _find_box(out, [b"mdat"])
    if moov_start < mdat_start:
        raise ValueError("moov must follow mdat")
    tkhd_end = _find_box(out, [b"moov", b"trak", b"tkhd"])[-1][1]
    struct.pack_into(">II", out, tkhd_end - 8, width << 16, height << 16)
    chain = _find_box(out, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1", b"avcC"])
    avc1_start = chain[-2][0]
    struct.pack_into(">HH", out, avc1_start + 8 + 24, width, height)
    avcc_start, avcc_end = chain[-1]
    payload = bytes(out[avcc_start + 8 : avcc_end])
    if payload[5] & 0x1F != 1:
        raise ValueError("expected exactly one SPS in avcC")
    sps_length = struct.unpack(">H", payload[6:8])[0]
    sps = _resize_sps(payload[8 : 8 + sps_length], width, height)
    new_payload = payload[:6] + struct.pack(">H", len(sps)) + sps + payload[8 + sps_length :]
    delta = len(new_payload) - len(payload)
    out[avcc_start + 8 : avcc_end] = new_payload
    for box_start, _ in chain:
        (size,) = struct.unpack_from(">I", out, box_start)
        struct.pack_into(">I", out, box_start, size + delta)
    return bytes(out)


def make_bad_inputs(directory: PathLike) -> dict[str, Path]:
    """Write one small file per kind of bad input into *directory*.

    Keys and files (all < 1 MB, about 2 s to build in total):

    * ``empty`` - ``empty.mp4``, 0 bytes.
    * ``random`` - ``random.mp4``, 64 KiB of seeded random bytes.
    * ``truncated`` - ``truncated.mp4``: a valid 3 s H.264 MP4 written with
      ``moov`` at the end, cut to 40 % of its bytes, so the index is missing.
    * ``truncated_faststart`` - the same with ``movflags=faststart`` (index
      first) cut to 60 %: the index promises frames whose data is missing.
    * ``image`` / ``image_jpg`` - ``image.png`` and ``image.jpg``, one frame of
      real footage.  FFmpeg opens both as a one-frame "video".
    * ``text`` - ``text.mp4`` holding plain UTF-8 text.
    * ``audio_only`` - ``audio_only.mp4``: 1 s AAC sine, no video stream.
    * ``mpeg4`` - MPEG-4 Part 2 (``mp4v``) in MP4: decodable, not browser-playable.
    * ``hevc`` - libx265 in MP4 tagged ``hvc1``: decodable by PyAV, not
      playable in most browsers.
    * ``vp9_webm`` - VP9 in WebM (decodable and browser-playable; a non-MP4
      container).
    * ``zero_frames`` - an MP4 with an H.264 video track (320x240, with
      SPS/PPS) that has no samples.  (Opening an output, adding a stream and
      closing it without encoding writes *no file at all* in PyAV 18; forcing
      the header with ``start_encoding()`` gives an MP4 without any stream,
      because the muxer drops empty tracks - that file is ``no_streams``;
      ``movflags=empty_moov`` keeps the empty track.)
    * ``no_streams`` - a 262-byte MP4 with no stream at all.
    * ``huge_dims`` - a valid 320x240 H.264 MP4 (``moov`` last) whose
      ``tkhd``, ``avc1`` sample entry *and* SPS were rewritten to declare
      40000x40000 (libx264 cannot encode that size; see
      :func:`_patch_dimensions`).  Patching only ``tkhd``/``avc1`` is not
      enough: FFmpeg takes the size from the SPS and reports 320x240.
    * ``corrupt_middle`` - a valid 3 s 320x240 H.264 MP4 (75 frames, keyframe
      every 25 frames, no B-frames) in which the slice data of frames 30-37
      (inside the second GOP, not the first keyframe) is overwritten with
      random bytes.  Observed with PyAV 18.1: ``av.open`` and demuxing are
      fine; decoding packet by packet, ``packet.decode()`` raises
      ``av.error.InvalidDataError`` for those 8 packets, frames 38-49 decode
      *without* error and without ``frame.is_corrupt`` but visibly damaged
      (concealed from missing references, mean difference ~20/255), and frames
      50-74 (from the next keyframe) are clean: 67 frames in all.  Iterating
      ``container.decode()`` instead stops at the first error.

    Returns:
        name -> path.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1234)
    out: dict[str, Path] = {}
    frames = _small_frames(75)

    def target(name: str, filename: str) -> Path:
        out[name] = directory / filename
        return out[name]

    target("empty", "empty.mp4").write_bytes(b"")
    target("random", "random.mp4").write_bytes(
        rng.integers(0, 256, 64 * 1024, dtype=np.uint8).tobytes()
    )

    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        scratch_dir = Path(scratch)
        plain = scratch_dir / "plain.mp4"
        _write_small(plain, frames, codec="libx264", options={"preset": "veryfast", "crf": "28"})
        data = plain.read_bytes()
        target("truncated", "truncated.mp4").write_bytes(data[: int(len(data) * 0.4)])
        target("huge_dims", "huge_dims.mp4").write_bytes(_patch_dimensions(data, 40000, 40000))

        fast = scratch_dir / "fast.mp4"
        _write_small(
            fast,
            frames,
            codec="libx264",
            options={"preset": "veryfast", "crf": "28"},
            container_options={"movflags": "+faststart"},
        )
        data = fast.read_bytes()
        target("truncated_faststart", "truncated_faststart.mp4").write_bytes(
            data[: int(len(data) * 0.6)]
        )

        clean = scratch_dir / "clean.mp4"
        _write_small(
            clean,
            frames,
            codec="libx264",
            options={
                "preset": "veryfast",
                "crf": "26",
                "g": "25",
                "bf": "0",
                "x264-params": "scenecut=0",
            },
        )
        target("corrupt_middle", "corrupt_middle.mp4").write_bytes(
            _corrupt_packets(clean, range(30, 38), rng)
        )

    bgr = cv2.cvtColor(frames[0], cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(target("image", "image.png")), bgr)
    cv2.imwrite(str(target("image_jpg", "image.jpg")), bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])
    target("text", "text.mp4").write_text(
        "This is a plain text file with an .mp4 name, not a video.\n" * 20, encoding="utf-8"
    )
    _write_sine_aac(target("audio_only", "audio_only.mp4"))
    _write_small(target("mpeg4", "mpeg4.mp4"), frames, codec="mpeg4", options={"qscale": "5"})
    _write_small(
        target("hevc", "hevc.mp4"),
        frames,
        codec="libx265",
        codec_tag="hvc1",
        options={"preset": "ultrafast", "crf": "30", "x265-params": "log-level=error"},
    )
    _write_small(
        target("vp9_webm", "vp9.webm"),
        frames,
        codec="libvpx-vp9",
        options={"deadline": "realtime", "cpu-used": "8", "crf": "40", "b": "0"},
    )
    # PyAV writes nothing at all (not even an empty file) when an output is
    # closed before anything was muxed, and the MP4 muxer drops tracks without
    # samples, so: start_encoding() forces the header out, and empty_moov
    # keeps the sample-less video track in the moov.
    for name, options in (("zero_frames", {"movflags": "empty_moov"}), ("no_streams", {})):
        with av.open(
            str(target(name, f"{name}.mp4")), mode="w", format="mp4", container_options=options
        ) as container:
            stream = container.add_stream("libx264", rate=25)
            stream.width, stream.height = 320, 240
            stream.pix_fmt = "yuv420p"
            container.start_encoding()
    return out


def _corrupt_packets(path: Path, indices: Iterable[int], rng: np.random.Generator) -> bytes:
    """Return the bytes of *path* with the payload of the given video packets
    (decode order) overwritten by random bytes.

    The first 5 bytes of each packet (the 4-byte NAL length and the NAL header)
    are kept so the demuxer and parser still find the packet boundaries; what
    is destroyed is slice data, which the decoder must conceal or reject.
    """
    wanted = set(indices)
    spans: list[tuple[int, int]] = []
    with av.open(str(path)) as container:
        for index, packet in enumerate(container.demux(video=0)):
            if index in wanted and packet.pos is not None and packet.pos >= 0 and packet.size > 16:
                spans.append((packet.pos + 5, packet.pos + packet.size))
    data = bytearray(path.read_bytes())
    for start, end in spans:
        data[start:end] = rng.integers(0, 256, end - start, dtype=np.uint8).tobytes()
    return bytes(data)
