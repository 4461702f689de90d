"""The :class:`Video` value: one video, wherever it came from."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import DownloadError, InvalidOptionError, VideonbError
from .probe import VideoInfo, check_complete, probe
from .views import view

__all__ = ["Video", "as_video", "download"]

_URL_PREFIXES = ("http://", "https://")


class Video:
    """A video file plus what videonb knows about it.

    >>> v = Video("clip.mp4")                  # a path        # doctest: +SKIP
    >>> v = Video("https://example.org/a.mp4") # downloaded into the cache  # doctest: +SKIP
    >>> v = Video(mp4_bytes)                   # bytes         # doctest: +SKIP
    >>> v = Video(frames, fps=24)              # (n, h, w, 3) uint8 array or list of frames  # doctest: +SKIP

    In a notebook a ``Video`` shows as an inline player.  ``v.info`` holds the
    probe (duration, fps, size after rotation, codec, keyframes...);
    ``v.frames(n=12)`` samples frames by time; ``v.moments()`` finds cuts,
    fades, dissolves and motion peaks; ``v.report()`` shows all of it.
    """

    def __init__(self, source: Any, *, fps: float | Fraction | None = None,
                 name: str | None = None,
                 progress: Callable[[int, int | None], None] | None = None) -> None:
        self._info: VideoInfo | None = None
        #: Where a generated video came from (provider, model, job id, cost, prompt hash...).
        self.provenance: dict[str, Any] | None = None
        self.origin: str
        if isinstance(source, Video):
            self.path = source.path
            self.origin = source.origin
            self._info = source._info
            self.provenance = source.provenance
            self.name = name or source.name
            return
        if isinstance(source, str) and source.startswith(_URL_PREFIXES):
            self.path = download(source, progress=progress)
            self.origin = source
            self._info = probe(self.path)
        elif isinstance(source, (str, os.PathLike)):
            # Absolute, so a later chdir (%cd in a notebook) cannot make it point elsewhere.
            self.path = Path(source).expanduser().absolute()
            self.origin = str(source)
            self._info = probe(self.path)  # fail early, with a clear error, on a bad path
        elif isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
            if not data:
                from ..errors import EmptyVideoError

                raise EmptyVideoError("The bytes given are empty; pass the bytes of a video file.")
            digest = hashlib.sha256(data).hexdigest()[:24]
            from .encode import cache_dir

            target = cache_dir("bytes") / f"{digest}{_guess_suffix(data)}"
            if not target.exists():
                tmp = target.with_suffix(".part")
                tmp.write_bytes(data)
                os.replace(tmp, target)
            self.path = target
            self.origin = f"<{len(data)} bytes>"
            self._info = probe(self.path)  # fail now, not at first use
        elif _is_frames(source):
            from .encode import encode_video

            self.path = encode_video(source, fps=fps or 25)
            self.origin = "<frames>"
        else:
            raise InvalidOptionError(
                f"Video() takes a path, an http(s) URL, bytes or numpy frames, not "
                f"{type(source).__name__}.")
        self.name = name or self.path.name

    # --- facts -------------------------------------------------------------------
    @property
    def info(self) -> VideoInfo:
        if self._info is None:
            self._info = probe(self.path)
        return self._info

    @property
    def duration(self) -> float:
        return self.info.duration

    @property
    def fps(self) -> Fraction:
        return self.info.fps

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) as displayed."""
        return self.info.width, self.info.height

    @property
    def content_key(self) -> str:
        """A cheap identity for caches: path, size and modification time."""
        st = self.path.stat()
        raw = f"{self.path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
        return hashlib.sha256(raw.encode()).hexdigest()[:24]

    # --- operations -----------------------------------------------------------------
    def frames(self, n: int | None = None, *, times: Sequence[float] | None = None,
               every: float | None = None, mode: str = "exact", **kwargs: Any) -> Any:
        """Sample frames by time; see :func:`videonb.sample_frames`."""
        from .sampling import sample_frames

        if n is None and times is None and every is None:
            n = 12
        return sample_frames(self, n=n, times=times, every=every, mode=mode, **kwargs)  # type: ignore[arg-type]

    def moments(self, **kwargs: Any) -> Any:
        """Local key moments (cuts, fades, dissolves, motion/brightness peaks)."""
        from .moments import detect

        return detect(self, **kwargs)

    def player(self, **kwargs: Any) -> Any:
        """An inline player (see :class:`videonb.display.Player`)."""
        return view("player", self, **kwargs)

    def report(self, **kwargs: Any) -> Any:
        """Player, frame grid and key-moment timeline in one output."""
        return view("report", self, **kwargs)

    def _repr_html_(self) -> str:
        return self.player()._repr_html_()

    def __repr__(self) -> str:
        try:
            return f"<Video {self.name}: {self.info.summary()}>"
        except VideonbError as exc:  # pragma: no cover - repr must not raise
            return f"<Video {self.name}: unreadable ({exc.code})>"

    def __fspath__(self) -> str:
        return str(self.path)


def as_video(source: Any) -> Video:
    """``source`` as a :class:`Video` (returned unchanged if it already is one)."""
    return source if isinstance(source, Video) else Video(source)


def _is_frames(source: Any) -> bool:
    if hasattr(source, "shape") and hasattr(source, "dtype"):
        return len(source.shape) in (3, 4)
    if isinstance(source, (list, tuple)) and source:
        first = source[0]
        return hasattr(first, "shape") and len(first.shape) in (2, 3)
    return False


def _guess_suffix(data: bytes) -> str:
    if data[4:8] == b"ftyp":
        return ".mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return ".webm"
    if data[:4] == b"GIF8":
        return ".gif"
    return ".bin"


def _default_progress(done: int, total: int | None) -> None:
    if total:
        sys.stderr.write(f"\rvideonb: downloading {done / 1e6:.1f} / {total / 1e6:.1f} MB "
                         f"({100 * done / total:.0f} %)")
    else:
        sys.stderr.write(f"\rvideonb: downloading {done / 1e6:.1f} MB")
    sys.stderr.flush()


def download(url: str, *, progress: Callable[[int, int | None], None] | None = None,
             timeout: float = 30.0, max_bytes: int | None = None) -> Path:
    """Download ``url`` into the cache (once) and return the local path.

    The download is bounded (see :func:`videonb.media.fetch.fetch`: redirects, retries, byte
    cap ``videonb.config.max_download_bytes``, total time) and the file is checked to be a
    video *before* it enters the cache, so a captive portal's page or an error answer is never
    cached under the URL; errors name the URL as given.  Progress goes to
    ``progress(done_bytes, total_bytes_or_None)``; by default a one-line counter on stderr.
    """
    import urllib.parse

    from ..errors import CorruptVideoError, EmptyVideoError, NotAVideoError
    from .encode import cache_dir
    from .fetch import fetch

    parsed = urllib.parse.urlparse(url)
    suffix = Path(parsed.path).suffix.lower()
    if not suffix or len(suffix) > 6 or not suffix[1:].isalnum():
        suffix = ".mp4"
    folder = cache_dir("downloads", fallback=False)
    target = folder / f"{hashlib.sha256(url.encode()).hexdigest()[:24]}{suffix}"
    if target.exists():
        try:
            probe(target)
            return target
        except VideonbError:  # junk cached by an older version: fetch it again
            target.unlink(missing_ok=True)
    report = progress or _default_progress
    tmp = folder / f".{target.stem}.{os.getpid()}.{time.monotonic_ns()}{suffix}"
    try:
        fetch(url, tmp, max_bytes=max_bytes, read_timeout=timeout, progress=report, what=url,
              storage_hint="Free some disk space, or set VIDEONB_CACHE_DIR to a writable folder.")
        if progress is None:
            sys.stderr.write("\n")
        try:
            probe(tmp)
            check_complete(tmp)
        except (NotAVideoError, EmptyVideoError, CorruptVideoError) as exc:
            raise NotAVideoError(f"{url} did not give a video: {exc}") from None
        os.replace(tmp, target)
    except DownloadError as exc:
        kind, reason = getattr(exc, "kind", ""), getattr(exc, "reason", str(exc))
        if kind == "transport":
            text = (f"Could not download {url}: {reason}. Check the network or pass a local file "
                    f"instead.")
        elif kind == "web_page":
            text = (f"{url} answered with a web page, not a video ({reason}). Open it in a "
                    f"browser (a login or captive portal?), or download the file yourself.")
        else:
            text = (f"Downloading {url} failed: {reason}. Check the URL (signed links expire), "
                    f"try again later, or download the file yourself and pass its path.")
        raise DownloadError(text, url=url, status=exc.status, retryable=exc.retryable) from None
    finally:
        tmp.unlink(missing_ok=True)
    return target
