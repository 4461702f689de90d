"""Errors raised by videonb.

Every error a user can cause derives from :class:`VideonbError` (a plain
``Exception`` subclass, so ``except Exception`` catches it) and its message
says what went wrong *and what to do about it*.  Where a builtin exception
type already describes the situation (``FileNotFoundError``, ``ValueError``)
the videonb class also derives from it, so existing ``except`` clauses keep
working.
"""

from __future__ import annotations

from ._redact import redact

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
    "ProviderError",
    "UnknownProviderError",
    "ProviderUnavailableError",
    "MissingKeyError",
    "InvalidKeyError",
    "AuthenticationError",
    "RateLimitError",
    "ProviderHTTPError",
    "JobFailedError",
    "ModerationError",
    "JobCancelledError",
    "JobTimeoutError",
    "OutputExpiredError",
    "ProviderRetiredError",
    "BudgetExceededError",
    "ModelOutputError",
    "JobOriginError",
    "WeightsMissingError",
    "InsufficientMemoryError",
    "DeviceTooSlowError",
    "LedgerError",
    "StorageError",
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
    """A download did not produce a usable file (the message says why and what to do).

    ``retryable`` is True when trying again later may work (a 429, a 5xx, a dropped
    connection, a full disk); ``status`` is the last HTTP status seen, if any."""

    code = "download_failed"

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None,
                 retryable: bool = False) -> None:
        super().__init__(redact(message))
        self.url = url
        self.status = status
        self.retryable = retryable

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class EncodeError(VideonbError, RuntimeError):
    code = "encode_failed"


class OutputTooLargeError(VideonbError, ValueError):
    """An inline output would exceed the byte budget."""

    code = "output_too_large"


class InvalidOptionError(VideonbError, ValueError):
    """An option has a value outside what is allowed; the message lists what is."""

    code = "invalid_option"


# --------------------------------------------------------------------------------------------
# Providers, keys, jobs and money
# --------------------------------------------------------------------------------------------
class ProviderError(VideonbError):
    """Something went wrong talking to (or choosing) a provider."""

    code = "provider_error"

    def __init__(self, message: str, *, provider: str | None = None, status: int | None = None,
                 detail_code: str | None = None, retryable: bool = False) -> None:
        super().__init__(redact(message))
        self.provider = provider
        self.status = status
        self.detail_code = redact(detail_code) if isinstance(detail_code, str) else detail_code
        self.retryable = retryable


class UnknownProviderError(ProviderError, InvalidOptionError):
    code = "unknown_provider"


class ProviderUnavailableError(ProviderError):
    """The provider's optional dependency is not installed (the message has the pip command)."""

    code = "provider_unavailable"


class MissingKeyError(ProviderError):
    """No API key was found; the message lists every way to give one."""

    code = "missing_key"


class InvalidKeyError(MissingKeyError):
    """A key was found but cannot be sent (it holds control characters such as a newline in the
    middle); the message says where it came from, never the key.  Nothing was sent."""

    code = "invalid_key"


class AuthenticationError(ProviderError):
    code = "auth"


class RateLimitError(ProviderError):
    code = "rate_limited"


class ProviderHTTPError(ProviderError):
    code = "http_error"


class JobFailedError(ProviderError):
    """The provider ran the job and it failed (``detail_code`` has the provider's failure code)."""

    code = "job_failed"


class ModerationError(JobFailedError):
    """The provider refused the prompt or inputs on content grounds (never retried)."""

    code = "moderation"


class JobCancelledError(ProviderError):
    code = "cancelled"


class JobTimeoutError(ProviderError, TimeoutError):
    code = "timeout"


class OutputExpiredError(ProviderError):
    """The provider's download URL expired before the output was fetched."""

    code = "output_expired"


class ProviderRetiredError(ProviderError):
    """The provider or endpoint no longer exists (e.g. OpenAI's Sora API, shut down 2026-09-24)."""

    code = "retired"


class BudgetExceededError(ProviderError):
    """A submit would take the session over ``videonb.config.budget_usd``."""

    code = "budget"


class ModelOutputError(ProviderError):
    """A model's answer could not be parsed into the expected structure, even after one repair."""

    code = "model_output"


class JobOriginError(ProviderError):
    """A ledger row names a server, owner or input that videonb will not act on by itself: the
    job went to another server than the one the provider is configured for, was created by
    someone else, or its input file changed.  The message names what to pass to go ahead."""

    code = "job_origin"


class WeightsMissingError(ProviderUnavailableError):
    """An open model's weights are not in the Hugging Face cache and may not be downloaded now
    (offline, or no ``download=True``); the message names the hub id, the download size and the
    command that fetches them."""

    code = "weights_missing"


class InsufficientMemoryError(ProviderError):
    """An open model does not fit the free memory of the chosen device (GPU memory, or RAM on
    the CPU); the message names the need, what is free and what to do instead."""

    code = "insufficient_memory"


class DeviceTooSlowError(ProviderError):
    """A full-size open model was asked to run on the CPU; the message estimates how long it
    would take and names the option that runs it anyway."""

    code = "device_too_slow"


# --------------------------------------------------------------------------------------------
# Local state
# --------------------------------------------------------------------------------------------
class LedgerError(VideonbError):
    """The job ledger cannot be used (corrupt, another program's database, unwritable); the
    message names the file and the fix."""

    code = "ledger"

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


class StorageError(VideonbError, OSError):
    """A cache or store folder cannot be written (read-only, full disk); the message names the
    folder and the environment variable that moves it."""

    code = "storage"
