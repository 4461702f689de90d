"""Session-wide settings: ``videonb.config.embed_max_bytes = 2_000_000`` and so on.

Plain attributes on one object, read at the moment they are used.  Environment
variables (``VIDEONB_EMBED_MAX_BYTES``...) set the starting values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

__all__ = ["Config", "config"]


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    try:
        return int(raw) if raw else default
    except ValueError:
        return default


@dataclass
class Config:
    #: Raw MP4 bytes an inline player may embed (base64 adds a third on top).
    embed_max_bytes: int = _env_int("VIDEONB_EMBED_MAX_BYTES", 1_000_000)
    #: Refuse to embed more than this even when asked (use a link or a file instead).
    embed_hard_limit: int = _env_int("VIDEONB_EMBED_HARD_LIMIT", 20_000_000)
    #: Longest side of frame-grid thumbnails, in pixels.
    grid_thumb_side: int = 320
    #: Longest side of timeline thumbnails, in pixels.
    timeline_thumb_side: int = 192
    #: Most pixels of decoded frames one call may hold in memory (``sample_frames``/``frames``
    #: for all its frames together, ``iter_frames`` per frame): 200 million is ≈ 600 MB of RGB.
    #: Above it the call raises OutputTooLargeError naming ``max_side=``.
    max_frame_pixels: int = _env_int("VIDEONB_MAX_FRAME_PIXELS", 200_000_000)
    #: Most moments listed (with thumbnails) under a timeline.
    timeline_max_listed: int = 60
    #: Provider used when none is named ("local" needs no key and no network).
    default_provider: str = os.environ.get("VIDEONB_PROVIDER", "local")
    #: Session spending limit in USD for paid providers (None: no limit). A submit whose
    #: estimate would take the session over it is refused before anything is sent.
    budget_usd: float | None = None
    #: Largest download accepted (a provider's output or ``Video(url)``), checked against
    #: Content-Length before streaming and again while streaming. 1 GiB holds the largest
    #: output the supported providers document (minutes of 4K) with room to spare.
    max_download_bytes: int = _env_int("VIDEONB_MAX_DOWNLOAD_BYTES", 1 << 30)
    #: Longest a download may take in all (retries and waits included), in seconds.
    download_timeout: float = float(_env_int("VIDEONB_DOWNLOAD_TIMEOUT", 600))
    #: Longest a generation call waits for its job when no ``timeout=`` is given, in seconds.
    #: The job keeps running at the provider and stays resumable (``videonb.resume()``).
    job_timeout: float = float(_env_int("VIDEONB_JOB_TIMEOUT", 3600))
    #: Seconds to wait for a provider's answer to one API request (connecting: 10 s).
    http_timeout: float = float(_env_int("VIDEONB_HTTP_TIMEOUT", 60))

    def __repr__(self) -> str:
        inner = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
        return f"videonb.config({inner})"


config = Config()
