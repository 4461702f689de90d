"""Sample frames from a video by *time*.

Two modes, and the result says which one was used:

``exact``
    The frame that is on screen at each requested time (the last frame whose
    presentation timestamp is ≤ t).  The decoder seeks to the keyframe before
    a target only when that skips work (a keyframe lies between where the
    decoder is and the target); otherwise it decodes forward.  On short or
    single-GOP clips this means one sequential pass instead of one re-decode
    per target.
``fast``
    The keyframe at or before each requested time: seek, decode one frame, no
    forward decoding.  Much faster on long files; the returned ``times`` are
    the keyframes' real times (they can be seconds away from the request).

Times are seconds from the first frame (``0.0``), never frame indices, so
variable-frame-rate files sample correctly.  Display rotation is applied.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Literal, Sequence

from ..errors import InvalidOptionError, OutputTooLargeError
from .probe import VideoInfo, _video_stream, open_container, probe
from .views import view

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["Frames", "sample_frames", "sample_times", "iter_frames", "Mode"]

Mode = Literal["exact", "fast"]


@dataclass
class Frames:
    """Frames sampled from a video, with the time each one is shown at.

    ``images`` are RGB ``uint8`` arrays (height × width × 3) in display
    orientation.  ``times[i]`` is the presentation time of ``images[i]``;
    ``requested[i]`` is the time that was asked for.  In ``exact`` mode
    ``times[i] <= requested[i]`` and the next frame starts after it.
    """

    images: list[Any]
    times: list[float]
    requested: list[float]
    mode: str
    source: Path | None = None
    info: VideoInfo | None = None
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> Any:
        return self.images[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.images)

    @property
    def array(self) -> "np.ndarray":
        """All frames stacked into one ``(n, h, w, 3)`` array."""
        import numpy as np

        return np.stack(self.images) if self.images else np.zeros((0, 0, 0, 3), np.uint8)

    def grid(self, **kwargs: Any) -> Any:
        """A :class:`~videonb.display.FrameGrid` of these frames."""
        return view("grid", self, **kwargs)

    def _repr_html_(self) -> str:
        return self.grid()._repr_html_()

    def __repr__(self) -> str:
        shape = f"{self.images[0].shape[1]}×{self.images[0].shape[0]}" if self.images else "-"
        name = self.source.name if self.source else "frames"
        ts = ", ".join(f"{t:.2f}" for t in self.times[:6]) + (" …" if len(self.times) > 6 else "")
        return f"<Frames {len(self)}× {shape} from {name} mode={self.mode} t=[{ts}]>"


def sample_times(duration: float, *, n: int | None = None, times: Sequence[float] | None = None,
                 every: float | None = None, start: float = 0.0, end: float | None = None) -> list[float]:
    """The times (seconds) that ``n=``, ``times=`` or ``every=`` ask for.

    ``n`` frames are placed at the centres of ``n`` equal slices of
    ``[start, end)``, so they cover the whole video and avoid the black first
    and last frames; ``every`` gives ``start, start+every, ...`` below ``end``.
    """
    given = sum(x is not None for x in (n, times, every))
    if given != 1:
        raise InvalidOptionError(
            "Give exactly one of n= (number of evenly spaced frames), times= (a list of "
            "seconds) or every= (seconds between frames).")
    end = duration if end is None else min(end, duration)
    if end <= start:
        raise InvalidOptionError(f"start={start} must be below end={end} (the video lasts "
                                 f"{duration:.3f} s).")
    if n is not None:
        if not isinstance(n, int) or n < 1 or n > 10_000:
            raise InvalidOptionError(f"n={n!r}: use an integer between 1 and 10000.")
        step = (end - start) / n
        return [start + (i + 0.5) * step for i in range(n)]
    if every is not None:
        if not every > 0 or math.isinf(every):
            raise InvalidOptionError(f"every={every!r}: use a positive number of seconds.")
        count = int(math.floor((end - start) / every - 1e-9)) + 1
        if count > 100_000:
            raise InvalidOptionError(f"every={every} s gives {count} frames; use a larger step.")
        return [start + i * every for i in range(count)]
    out = [float(t) for t in times or ()]
    if not out:
        raise InvalidOptionError("times= is empty; give at least one time in seconds.")
    bad = [t for t in out if not (0 <= t <= duration + 1e-6) or math.isnan(t)]
    if bad:
        raise InvalidOptionError(
            f"times {bad[:5]} are outside the video (0 to {duration:.3f} s).")
    return out


class _FrameSource:
    """Decodes frames in presentation order with corruption tolerance."""

    def __init__(self, path: Path, info: VideoInfo, *, threads: str = "AUTO",
                 skip: str | None = None, fast_filter: bool = False) -> None:
        self.path = path
        self.info = info
        self._settings = (threads, skip, fast_filter)
        self._open()
        self.tb = self.stream.time_base
        self.first_pts = info.extra.get("first_pts", 0)
        self.errors = 0
        self.corrupt = 0
        self._it: Iterator[Any] | None = None
        #: When set (a pts), packets decoded before it may skip non-reference frames.
        self.approach_until: int | None = None

    def _open(self) -> None:
        threads, skip, fast_filter = self._settings
        self.container = open_container(self.path)
        self.stream = _video_stream(self.container, self.path)
        self.stream.thread_type = threads
        if fast_filter:
            # No deblocking: ~25 % faster decoding, pixels slightly blockier. For analysis
            # passes only, never for frames handed to the user.
            self.stream.codec_context.options = {"skip_loop_filter": "all"}
        if skip:
            self.stream.codec_context.skip_frame = skip

    def approach(self, t: float, frames_before: int = 8) -> None:
        """Skip non-reference frames until a few frames (plus decoder threads) before ``t``."""
        fd = 1.0 / float(self.info.fps or 25)
        margin = (frames_before + (self.stream.codec_context.thread_count or 2)) * fd
        self.approach_until = self.to_pts(max(0.0, t - margin))

    def close(self) -> None:
        self.container.close()

    def to_pts(self, t: float) -> int:
        return self.first_pts + int(math.floor(t / self.tb + 1e-6))

    def to_time(self, pts: int) -> float:
        return float((pts - self.first_pts) * self.tb)

    def _decode(self) -> Iterator[Any]:
        import av

        cc = self.stream.codec_context
        current = None
        for packet in self.container.demux(self.stream):
            if self.approach_until is not None:
                # Far before the next target, non-reference frames cannot matter (nothing is
                # predicted from them, and they are not the answer): let the decoder skip them.
                dts = packet.dts if packet.dts is not None else packet.pts
                want = "NONREF" if dts is not None and dts < self.approach_until else "DEFAULT"
                if current != want:
                    cc.skip_frame = want
                    current = want
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                self.errors += 1
                continue
            for frame in frames:
                if frame.pts is None:
                    continue
                if getattr(frame, "is_corrupt", False):
                    self.corrupt += 1
                    continue
                yield frame

    def frames(self) -> Iterator[Any]:
        if self._it is None:
            self._it = self._decode()
        return self._it

    def window(self, start: float = 0.0, end: float | None = None) -> Iterator[tuple[float, Any]]:
        """``(time, frame)`` for every decodable frame in ``[start, end)``, in order."""
        if start > 0:
            self.seek(start)
        for frame in self.frames():
            t = self.to_time(frame.pts)
            if t < start - 1e-6:
                continue
            if end is not None and t >= end:
                return
            yield t, frame

    def keyframe(self, min_pts: int | None = None) -> Any:
        """Decode only the next keyframe packet (with pts ≥ ``min_pts``), draining the decoder
        so the frame comes out at once instead of after the next GOP."""
        import av

        for packet in self.container.demux(self.stream):
            if not packet.is_keyframe or packet.size == 0:
                continue
            if min_pts is not None and packet.pts is not None and packet.pts < min_pts:
                continue  # the seek landed on an earlier keyframe (DTS-based index): read on
            try:
                frames = list(packet.decode())
                if not frames:
                    frames = list(self.stream.codec_context.decode(None))
            except av.error.FFmpegError:
                self.errors += 1
                continue
            for frame in frames:
                if frame.pts is not None and not getattr(frame, "is_corrupt", False):
                    return frame
        return None

    def seek(self, t: float) -> None:
        """Seek to the keyframe the index gives for ``t`` (may land late: see
        :meth:`seek_before`)."""
        self.container.seek(max(self.first_pts, self.to_pts(t)), backward=True,
                            any_frame=False, stream=self.stream)
        self._it = self._decode()

    def seek_before(self, t: float, first_pts: int | None = None) -> None:
        """Seek so that decoding starts at or before ``first_pts`` (default: ``t``'s).

        Some demuxers (MPEG-TS) land a keyframe late, even from 0, or at the end of the
        file: then the seek is repeated from further back, and at the start the file is
        opened again.  The first frame decoded to check this is kept for :meth:`frames`."""
        import itertools

        want = self.to_pts(t) if first_pts is None else first_pts
        kf = self.info.keyframe_times
        gaps = sorted(b - a for a, b in zip(kf, kf[1:]) if b > a)
        step = max(gaps[len(gaps) // 2] if gaps else 2.0, 4.0 / float(self.info.fps or 25))
        back = 0.0
        for attempt in range(6):
            at = max(0.0, t - back)
            last = attempt == 5 or (attempt > 0 and at <= 0.0)
            if last and attempt > 0:
                self.container.close()
                self._open()
            else:
                self.seek(at)
            it = self._decode()
            peek = next(it, None)
            self._it = it if peek is None else itertools.chain([peek], it)
            if last or (peek is not None and peek.pts <= want):
                return
            back = 2 * back if back else step


def _convert(frame: Any, size: tuple[int, int] | None, rotation: int) -> "np.ndarray":
    import numpy as np

    if size is not None:
        w, h = size
        if rotation % 180:
            w, h = h, w
        if (w, h) != (frame.width, frame.height):
            frame = frame.reformat(width=w, height=h, format="rgb24", interpolation="AREA")
    img = frame.to_ndarray(format="rgb24")
    if rotation:
        img = np.ascontiguousarray(np.rot90(img, k=rotation // 90))
    return img


def display_size(info: VideoInfo) -> tuple[float, float]:
    """(width, height) as shown: rotation applied and non-square pixels stretched."""
    sar = float(info.sample_aspect_ratio or 1) or 1.0
    if info.rotation % 180:
        return float(info.width), info.height * sar
    return info.width * sar, float(info.height)


def _target_size(info: VideoInfo, width: int | None, height: int | None,
                 max_side: int | None) -> tuple[int, int] | None:
    """Output (w, h) in display orientation, even, aspect (and SAR) preserved."""
    if width is None and height is None and max_side is None:
        return None
    dw, dh = display_size(info)
    dar = dw / dh
    if width is not None and height is not None:
        w, h = float(width), float(height)
    elif width is not None:
        w, h = width, width / dar
    elif height is not None:
        w, h = height * dar, height
    else:
        assert max_side is not None
        scale = min(1.0, max_side / max(dw, dh))
        w, h = dw * scale, dh * scale
    w, h = max(2, int(round(w / 2)) * 2), max(2, int(round(h / 2)) * 2)
    if max_side is not None and width is None and height is None:
        # Rounding to even must not exceed the bound (max_side=335 → 334, not 336).
        w, h = min(w, max(2, max_side // 2 * 2)), min(h, max(2, max_side // 2 * 2))
    return w, h


def _check_budget(info: VideoInfo, size: tuple[int, int] | None, count: int, what: str) -> None:
    """Refuse, before decoding, to hold more than ``config.max_frame_pixels`` pixels."""
    from ..settings import config

    if size is not None:
        w, h = size
    else:
        w, h = info.width, info.height
    pixels = w * h * max(1, count)
    if pixels > config.max_frame_pixels:
        side = 1280 if max(w, h) > 1280 else max(2, max(w, h) // 2)
        raise OutputTooLargeError(
            f"{what} of {w}×{h} would hold {pixels * 3 / 1e9:.1f} GB of RGB in memory (more than "
            f"videonb.config.max_frame_pixels = {config.max_frame_pixels:,} pixels). Pass "
            f"max_side= to shrink them in the decoder (e.g. max_side={side}), ask for fewer "
            f"frames, or raise videonb.config.max_frame_pixels.")


def sample_frames(source: Any, *, n: int | None = None, times: Sequence[float] | None = None,
                  every: float | None = None, mode: Mode = "exact", width: int | None = None,
                  height: int | None = None, max_side: int | None = None,
                  start: float = 0.0, end: float | None = None) -> Frames:
    """Sample frames by time from ``source`` (a path or :class:`~videonb.Video`).

    >>> f = sample_frames("clip.mp4", n=8)               # doctest: +SKIP
    >>> f.times                                          # doctest: +SKIP
    [0.32, 0.96, ...]
    >>> sample_frames("clip.mp4", every=2.0, mode="fast", max_side=256)  # doctest: +SKIP

    Give one of ``n`` (evenly spaced over ``[start, end)``), ``times`` (seconds)
    or ``every`` (seconds).  ``width``/``height``/``max_side`` resize in the
    decoder (aspect ratio kept, pixel aspect applied).  ``mode`` is ``"exact"``
    (default) or ``"fast"`` (nearest keyframe at or before each time).
    """
    if mode not in ("exact", "fast"):
        raise InvalidOptionError(f"mode={mode!r}: use 'exact' or 'fast'.")
    path, info = _resolve(source)
    requested = sample_times(info.duration, n=n, times=times, every=every, start=start, end=end)
    size = _target_size(info, width, height, max_side)
    _check_budget(info, size, len(set(requested)), f"{len(set(requested))} frame(s)")
    if mode == "exact":
        imgs, actual, notes = _sample_exact(path, info, requested, size)
    else:
        imgs, actual, notes = _sample_fast(path, info, requested, size)
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return Frames(images=imgs, times=actual, requested=requested, mode=mode, source=path,
                  info=info, warnings=notes)


def _resolve(source: Any) -> tuple[Path, VideoInfo]:
    if hasattr(source, "path") and hasattr(source, "info"):
        return Path(source.path), source.info
    if isinstance(source, (str, os.PathLike)):
        info = probe(source)
        return info.path, info
    raise InvalidOptionError(
        f"Cannot sample frames from {type(source).__name__}; pass a file path or a videonb.Video.")


def _notes(src: _FrameSource) -> list[str]:
    out = []
    if src.errors or src.corrupt:
        out.append(f"{src.path.name}: skipped {src.errors} undecodable packet(s) and "
                   f"{src.corrupt} corrupt frame(s); the nearest good frame was used instead.")
    return out


#: Exact sampling of files with at least this many frames spreads its targets over one
#: thread per core (each thread decodes its own GOPs with a single-threaded decoder).
PARALLEL_SAMPLING_MIN_FRAMES = 600


def _sample_exact(path: Path, info: VideoInfo, requested: list[float],
                  size: tuple[int, int] | None, workers: int | None = None,
                  ) -> tuple[list[Any], list[float], list[str]]:
    """Exact frames for ``requested``; on long files the targets (in time order) are split
    into contiguous groups decoded in parallel threads (PyAV releases the GIL while FFmpeg
    decodes: on two cores two single-threaded decoders beat one frame-threaded decoder)."""
    kf = info.keyframe_times
    if workers is None:
        gops = len({max((k for k in kf if k <= t + 1e-6), default=0.0) for t in requested})
        workers = 1 if (info.frame_count < PARALLEL_SAMPLING_MIN_FRAMES or gops < 2) else \
            min(os.cpu_count() or 1, 4, gops)
    if workers <= 1:
        got, notes = _sample_exact_part(path, info, requested, size, "AUTO")
    else:
        from concurrent.futures import ThreadPoolExecutor

        groups = _balanced_groups(requested, kf, workers)
        with ThreadPoolExecutor(len(groups), thread_name_prefix="videonb-sample") as pool:
            parts = list(pool.map(lambda g: _sample_exact_part(
                path, info, [requested[i] for i in g], size, "NONE"), groups))
        got = {}
        notes = []
        for g, (res, part_notes) in zip(groups, parts):
            got.update({g[j]: v for j, v in res.items()})
            notes += [n for n in part_notes if n not in notes]
    imgs = [got[i][0] for i in range(len(requested)) if i in got]
    actual = [got[i][1] for i in range(len(requested)) if i in got]
    if len(imgs) < len(requested):
        notes.append(f"{path.name}: {len(requested) - len(imgs)} requested time(s) had no "
                     f"decodable frame and were dropped.")
    return imgs, actual, notes


def _balanced_groups(requested: list[float], kf: Sequence[float], workers: int) -> list[list[int]]:
    """Share the targets among ``workers`` by the decoding each needs: targets are kept
    together by GOP (one decode from its keyframe serves them all), and the GOPs go, longest
    first, to the least-loaded worker.  A GOP's cost is the time from its keyframe to its last
    target, plus a little per target (seek, conversion)."""
    import bisect

    keys = sorted(kf) or [0.0]
    units: dict[float, list[int]] = {}
    for i, t in enumerate(requested):
        j = bisect.bisect_right(keys, t + 1e-6) - 1
        units.setdefault(keys[j] if j >= 0 else 0.0, []).append(i)
    cost = {k: max(requested[i] for i in idx) - k + 0.1 * len(idx) for k, idx in units.items()}
    loads = [0.0] * workers
    groups: list[list[int]] = [[] for _ in range(workers)]
    for k in sorted(units, key=lambda k: (-cost[k], k)):
        w = min(range(workers), key=lambda w: (loads[w], w))
        groups[w] += units[k]
        loads[w] += cost[k]
    return [sorted(g, key=lambda i: (requested[i], i)) for g in groups if g]


def _sample_exact_part(path: Path, info: VideoInfo, requested: list[float],
                       size: tuple[int, int] | None, threads: str,
                       ) -> tuple[dict[int, tuple[Any, float]], list[str]]:
    order = sorted(range(len(requested)), key=lambda i: requested[i])
    src = _FrameSource(path, info, threads=threads)
    kf = info.keyframe_times
    results: dict[int, tuple[Any, float]] = {}
    try:
        prev = None          # last frame with pts <= current target
        pending = None       # first frame seen with pts > the last target
        pos = -1.0           # time of the newest frame pulled from the decoder
        started = False

        def advance(t_pts: int) -> None:
            """Decode forward until the first frame after ``t_pts``; keep the one before it."""
            nonlocal prev, pending, pos
            for frame in src.frames():
                pos = src.to_time(frame.pts)
                if frame.pts > t_pts:
                    pending = frame
                    return
                prev = frame

        for i in order:
            t = requested[i]
            t_pts = src.to_pts(t)
            # Seek only when a keyframe lies ahead of the decoder and at/before the target:
            # decoding from that keyframe is cheaper than decoding forward to it.
            keyframe_ahead = (any(0.0 < k <= t for k in kf) and t > 0.5) if not started else \
                any(pos + 0.5 < k <= t + 1e-6 for k in kf)
            on_answer = (prev is not None and prev.pts <= t_pts
                         and (pending is None or pending.pts > t_pts))
            if keyframe_ahead and not on_answer:
                src.seek_before(t)
                prev, pending = None, None
            started = True
            src.approach(t)
            if pending is not None and pending.pts <= t_pts:
                prev, pending = pending, None
            if pending is None:
                advance(t_pts)
            if prev is None and pending is not None and src.to_time(pending.pts) > 1e-6 and t > 1e-6:
                # The seek overshot (index and display order disagree): decode from the top.
                src.seek_before(0.0)
                pending = None
                advance(t_pts)
            if prev is None:  # the target precedes the first frame: show the first frame
                prev = pending
                if prev is None:
                    continue
            results[i] = (prev, src.to_time(prev.pts))
        out: dict[int, tuple[Any, float]] = {}
        cache: dict[int, Any] = {}
        for i in range(len(requested)):
            if i not in results:
                continue
            frame, ft = results[i]
            key = id(frame)
            if key not in cache:
                cache[key] = _convert(frame, size, info.rotation)
                out[i] = (cache[key], ft)
            else:  # the same frame asked for twice: separate arrays, so editing one is safe
                out[i] = (cache[key].copy(), ft)
        notes = _notes(src)
        fd = 1.0 / float(info.fps or 25)
        stale = [requested[i] for i in results if requested[i] - results[i][1] > max(3 * fd, 0.25)]
        claimed = info.extra.get("claimed_duration")
        if claimed and not stale:
            last = max((ft for _, ft in results.values()), default=0.0)
            notes.append(f"{path.name}: the file's index claims {claimed:.2f} s but its data "
                         f"stops at {info.duration:.2f} s and the last decodable frame is at "
                         f"{last:.2f} s (it looks truncated). Download or export the file again.")
        if stale:
            last = max(ft for _, ft in results.values())
            notes.append(f"{path.name}: no frame could be decoded after {last:.2f} s although the file "
                         f"claims {info.duration:.2f} s (it looks truncated); {len(stale)} request(s) "
                         f"got the last decodable frame. Download or export the file again.")
        return out, notes
    finally:
        src.close()


def _sample_fast(path: Path, info: VideoInfo, requested: list[float],
                 size: tuple[int, int] | None) -> tuple[list[Any], list[float], list[str]]:
    src = _FrameSource(path, info, threads="SLICE", skip="NONKEY")
    kf = info.keyframe_times or (0.0,)
    by_key: dict[float, tuple[Any, float]] = {}
    out_imgs, out_times = [], []
    try:
        for t in requested:
            # The keyframe at or before t according to the index (no decode needed to know it).
            k = max((x for x in kf if x <= t + 1e-6), default=kf[0])
            if k not in by_key:
                src.seek(k)
                got = src.keyframe(min_pts=src.to_pts(k))
                if got is None:
                    continue
                by_key[k] = (_convert(got, size, info.rotation), src.to_time(got.pts))
            img, ft = by_key[k]
            out_imgs.append(img if not any(x is img for x in out_imgs) else img.copy())
            out_times.append(ft)
        return out_imgs, out_times, _notes(src)
    finally:
        src.close()


def iter_frames(source: Any, *, width: int | None = None, height: int | None = None,
                max_side: int | None = None, start: float = 0.0,
                end: float | None = None) -> Iterator[tuple[float, "np.ndarray"]]:
    """Yield ``(time, rgb_array)`` for every frame in ``[start, end)``, in order."""
    path, info = _resolve(source)
    size = _target_size(info, width, height, max_side)
    _check_budget(info, size, 1, "Each frame")
    src = _FrameSource(path, info)
    try:
        for t, frame in src.window(start, end):
            yield t, _convert(frame, size, info.rotation)
        for note in _notes(src):
            warnings.warn(note, stacklevel=2)
    finally:
        src.close()
