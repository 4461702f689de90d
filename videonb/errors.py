"""Errors raised by videonb.

Every error a user can cause derives from :class:`VideonbError` (a plain
``Exception`` subclass, so ``except Exception`` catches it) and its message
says what went wrong *and what to do about it*.  Where a builtin exception
type already describes the situation (``FileNotFoundError``, ``ValueError``)
the videonb class also derives from it, so existing ``except`` clauses keep
working.
"""

from __future__ import annotations

__all__ = [
    "VideonbError",
    "VideoNotFoundError",
    "NotAFileError",
    "EmptyVideoError",
    "NotAVideoError",
    "CorruptVideoError",
    "NoVideoStreamError",
    "UnsupportedCodecError",
    "InvalidDimensionsError",
    "DownloadError",
    "EncodeError",
    "OutputTooLargeError",
    "InvalidOptionError",
]


class VideonbError(Exception):
    """Base class of every error videonb raises on purpose."""

    #: Short, stable machine-readable code (useful in tests and logs).
    code: str = "videonb_error"


class VideoNotFoundError(VideonbError, FileNotFoundError):
    code = "not_found"


class NotAFileError(VideonbError, IsADirectoryError):
    code = "not_a_file"


class EmptyVideoError(VideonbError, ValueError):
    """The file is empty (0 bytes) or holds no decodable video frame."""

    code = "empty"


class NotAVideoError(VideonbError, ValueError):
    """The file is not a video container at all (random bytes, an image, text...)."""

    code = "not_a_video"


class CorruptVideoError(VideonbError, ValueError):
    """The container was recognised but is damaged (truncated, broken index...)."""

    code = "corrupt"


class NoVideoStreamError(VideonbError, ValueError):
    """The container has no video stream (e.g. an audio-only file)."""

    code = "no_video_stream"


class UnsupportedCodecError(VideonbError, ValueError):
    """The video stream uses a codec the bundled FFmpeg cannot decode."""

    code = "unsupported_codec"


class InvalidDimensionsError(VideonbError, ValueError):
    """Frame dimensions are zero, negative or absurdly large."""

    code = "invalid_dimensions"


class DownloadError(VideonbError, OSError):
    code = "download_failed"


class EncodeError(VideonbError, RuntimeError):
    code = "encode_failed"


class OutputTooLargeError(VideonbError, ValueError):
    """An inline output would exceed the byte budget."""

    code = "output_too_large"


class InvalidOptionError(VideonbError, ValueError):
    """An option has a value outside what is allowed; the message lists what is."""

    code = "invalid_option"
