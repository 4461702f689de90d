"""Local key moments: cuts, fades, dissolves, shots, motion and brightness peaks.

The API follows PySceneDetect's shape: :func:`detect` is a convenience over a
set of detector objects, each a small class with a ``process(track)`` method::

    from videonb.media.moments import detect, CutDetector, FadeDetector
    m = detect("clip.mp4")                                  # all default detectors
    m = detect("clip.mp4", CutDetector(threshold=30), FadeDetector())
    m.cuts, m.shots, m.moments                              # seconds, not frames

How it is fast: one decoding pass computes a tiny feature per frame (luma at
64×36 and chroma at 32×18, read straight from the decoder's YUV planes with no
colour conversion).  Non-reference frames are skipped by the decoder
(``skip_frame='NONREF'``); they are never used to predict other frames, so
skipping them is safe and roughly halves decoding.  A cut that falls next to a
skipped frame is then refined: the decoder goes back to the keyframe before
it and decodes those few frames exactly, so reported cut times are the
presentation time of the first frame of the new shot.

All thresholds that are durations are seconds (``0.6``), or strings such as
``"0.6s"`` / ``"15f"`` (frames, converted with the video's frame rate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from ..errors import InvalidOptionError
from ..types import KeyMoment, Shot, format_time
from .probe import VideoInfo
from .views import view

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = [
    "FeatureTrack", "Detector", "CutDetector", "FadeDetector", "DissolveDetector",
    "MotionDetector", "BrightnessDetector", "Moments", "detect", "detect_moments",
    "extract_features", "default_detectors",
]

_YW, _YH = 64, 36      # luma feature size
_CW, _CH = 32, 18      # chroma feature size
_SW, _SH = 32, 18      # stored (for dissolve tests) luma size
THUMB_SIDE = 192       # thumbnails kept for shots and moments
DARK_LEVEL = 32        # luma (limited range: black is 16) below which a pixel counts as black


def _seconds(value: float | str, fps: float) -> float:
    """``0.6``/``"0.6s"`` → 0.6; ``"15f"`` → 15 / fps."""
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().lower()
    try:
        if text.endswith("ms"):
            return float(text[:-2]) / 1000.0
        if text.endswith("s"):
            return float(text[:-1])
        if text.endswith("f"):
            return float(text[:-1]) / fps
        return float(text)
    except ValueError:
        raise InvalidOptionError(
            f"Duration {value!r} not understood: use seconds (0.6 or '0.6s') or frames ('15f').") from None


# --------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------
@dataclass
class FeatureTrack:
    """Per-decoded-frame features of a whole video (the input of every detector)."""

    info: VideoInfo
    times: "np.ndarray"          # presentation time of each decoded frame (s)
    y_mean: "np.ndarray"         # mean luma 0..255
    y_std: "np.ndarray"
    dark_frac: "np.ndarray"      # share of pixels darker than DARK_LEVEL
    d_y: "np.ndarray"            # mean |ΔY| vs the previous decoded frame (64×36)
    d_c: "np.ndarray"            # mean |ΔU| + |ΔV| (32×18)
    small: "np.ndarray"          # (n, 32*18 + 2*16*9) uint8: Y, U, V tiny images
    thumbs: dict[int, "np.ndarray"]
    frame_dur: float
    decoded: int
    skipped_nonref: bool
    errors: int = 0
    elapsed: float = 0.0
    refine_log: list[tuple[float, float]] = field(default_factory=list)

    @property
    def gaps(self) -> "np.ndarray":
        import numpy as np

        g = np.diff(self.times, prepend=self.times[0] - self.frame_dur) if len(self.times) else self.times
        return np.maximum(g, self.frame_dur * 0.5)

    @property
    def cut_score(self) -> "np.ndarray":
        """Content change vs the previous decoded frame (luma + chroma), 0..~255."""
        return self.d_y + self.d_c

    def nearest(self, t: float) -> int:
        import numpy as np

        i = int(np.searchsorted(self.times, t))
        if i >= len(self.times):
            return len(self.times) - 1
        if i > 0 and abs(self.times[i - 1] - t) <= abs(self.times[i] - t):
            return i - 1
        return i

    def thumbnail_near(self, t: float) -> tuple["np.ndarray | None", float | None]:
        if not self.thumbs:
            return None, None
        keys = sorted(self.thumbs)
        best = min(keys, key=lambda k: abs(self.times[k] - t))
        return self.thumbs[best], float(self.times[best])


def _planes(frame: Any) -> tuple["np.ndarray", "np.ndarray", "np.ndarray"]:
    import numpy as np

    if frame.format.name not in ("yuv420p", "yuvj420p"):
        frame = frame.reformat(format="yuv420p")
    w, h = frame.width, frame.height
    p0, p1, p2 = frame.planes
    y = np.frombuffer(p0, np.uint8).reshape(-1, p0.line_size)[:h, :w]
    u = np.frombuffer(p1, np.uint8).reshape(-1, p1.line_size)[: (h + 1) // 2, : (w + 1) // 2]
    v = np.frombuffer(p2, np.uint8).reshape(-1, p2.line_size)[: (h + 1) // 2, : (w + 1) // 2]
    return y, u, v


def _small(plane: "np.ndarray", size: tuple[int, int]) -> "np.ndarray":
    """Area-average ``plane`` down to ``size``; large planes are first decimated (4× cheaper per step)."""
    import cv2

    h, w = plane.shape
    step = max(1, min(w // (size[0] * 4), h // (size[1] * 4)))
    if step > 1:
        plane = plane[::step, ::step]
    return cv2.resize(plane, size, interpolation=cv2.INTER_AREA)


def _thumb(frame: Any, rotation: int, side: int = THUMB_SIDE) -> "np.ndarray":
    """Small RGB thumbnail straight from the YUV planes (area-averaged, no full-size conversion)."""
    import cv2
    import numpy as np

    w, h = frame.width, frame.height
    scale = side / max(w, h)
    tw, th = max(4, int(w * scale) // 4 * 4), max(4, int(h * scale) // 4 * 4)
    y, u, v = _planes(frame)
    yuv = np.concatenate([
        cv2.resize(y, (tw, th), interpolation=cv2.INTER_AREA).ravel(),
        cv2.resize(u, (tw // 2, th // 2), interpolation=cv2.INTER_AREA).ravel(),
        cv2.resize(v, (tw // 2, th // 2), interpolation=cv2.INTER_AREA).ravel()])
    img = cv2.cvtColor(yuv.reshape(th * 3 // 2, tw), cv2.COLOR_YUV2RGB_I420)
    if rotation:
        img = np.ascontiguousarray(np.rot90(img, k=rotation // 90))
    return img


class _TrackBuilder:
    def __init__(self, info: VideoInfo, thumb_every: float) -> None:
        self.info = info
        self.thumb_every = thumb_every
        self.times: list[float] = []
        self.y_mean: list[float] = []
        self.y_std: list[float] = []
        self.dark: list[float] = []
        self.d_y: list[float] = []
        self.d_c: list[float] = []
        self.small: list[Any] = []
        self.thumbs: dict[int, Any] = {}
        self.prev: tuple[Any, Any, Any] | None = None
        self.next_thumb = 0.0

    def add(self, t: float, frame: Any) -> None:
        import cv2
        import numpy as np

        y, u, v = _planes(frame)
        Y, U, V = _small(y, (_YW, _YH)), _small(u, (_CW, _CH)), _small(v, (_CW, _CH))
        Yi, Ui, Vi = Y.astype(np.int16), U.astype(np.int16), V.astype(np.int16)
        if self.prev is None:
            dy = dc = 0.0
        else:
            py, pu, pv = self.prev
            dy = float(np.abs(Yi - py).mean())
            dc = float(np.abs(Ui - pu).mean() + np.abs(Vi - pv).mean())
        self.prev = (Yi, Ui, Vi)
        i = len(self.times)
        self.times.append(t)
        self.y_mean.append(float(Y.mean()))
        self.y_std.append(float(Y.std()))
        self.dark.append(float(np.count_nonzero(Y < DARK_LEVEL)) / Y.size)
        self.d_y.append(dy)
        self.d_c.append(dc)
        small = np.concatenate([
            cv2.resize(Y, (_SW, _SH), interpolation=cv2.INTER_AREA).ravel(),
            cv2.resize(U, (_SW // 2, _SH // 2), interpolation=cv2.INTER_AREA).ravel(),
            cv2.resize(V, (_SW // 2, _SH // 2), interpolation=cv2.INTER_AREA).ravel()])
        self.small.append(small)
        # Thumbnails: regularly, and on every frame that looks like the start of a new shot.
        if t >= self.next_thumb or dy + dc > 20.0:
            self.thumbs[i] = _thumb(frame, self.info.rotation)
            if t >= self.next_thumb:
                self.next_thumb = t + self.thumb_every

    def build(self, decoded: int, skipped: bool, errors: int, elapsed: float) -> FeatureTrack:
        import numpy as np

        fd = 1.0 / float(self.info.fps) if self.info.fps else 0.04
        small = np.stack(self.small) if self.small else np.zeros((0, _SW * _SH * 3 // 2), np.uint8)
        return FeatureTrack(
            info=self.info, times=np.asarray(self.times), y_mean=np.asarray(self.y_mean),
            y_std=np.asarray(self.y_std), dark_frac=np.asarray(self.dark), d_y=np.asarray(self.d_y), d_c=np.asarray(self.d_c),
            small=small, thumbs=self.thumbs, frame_dur=fd, decoded=decoded,
            skipped_nonref=skipped, errors=errors, elapsed=elapsed)


def extract_features(source: Any, *, skip_nonref: bool = True, thumb_every: float = 1.0,
                     start: float = 0.0, end: float | None = None,
                     fast_filter: bool = True) -> FeatureTrack:
    """Decode ``source`` once and return its :class:`FeatureTrack`."""
    import time

    from .sampling import _FrameSource
    from .video import as_video

    video = as_video(source)
    info = video.info
    t0 = time.perf_counter()
    src = _FrameSource(video.path, info, skip="NONREF" if skip_nonref else None,
                       fast_filter=fast_filter)
    builder = _TrackBuilder(info, thumb_every)
    decoded = 0
    try:
        for t, frame in src.window(start, end):
            builder.add(t, frame)
            decoded += 1
    finally:
        src.close()
    return builder.build(decoded, skip_nonref, src.errors + src.corrupt, time.perf_counter() - t0)


# --------------------------------------------------------------------------------------------
# Detectors
# --------------------------------------------------------------------------------------------
class Detector:
    """Base class: ``process(track)`` returns :class:`KeyMoment` objects."""

    kind: str = "event"

    def process(self, track: FeatureTrack, context: dict[str, Any]) -> list[KeyMoment]:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class CutDetector(Detector):
    """Hard cuts: a content jump much larger than the changes around it.

    ``threshold`` is the minimum jump (mean absolute luma + chroma difference on
    0–255 frames, like PySceneDetect's content value); ``adaptive`` is how many
    times larger than the average change in the surrounding ``window`` it must
    be (this keeps fast motion and camera shake from firing); ``min_shot`` is
    the shortest shot (seconds or ``"15f"``).
    """

    kind = "cut"

    def __init__(self, threshold: float = 22.0, adaptive: float = 2.5,
                 window: float | str = 0.2, min_shot: float | str = 0.4,
                 refine: bool = True) -> None:
        self.threshold = threshold
        self.adaptive = adaptive
        self.window = window
        self.min_shot = min_shot
        self.refine = refine

    def candidates(self, track: FeatureTrack) -> list[int]:
        import numpy as np

        score = track.cut_score
        n = len(score)
        if n < 2:
            return []
        fps = 1.0 / track.frame_dur
        win = _seconds(self.window, fps)
        times = track.times
        out: list[int] = []
        for i in np.nonzero(score >= self.threshold)[0]:
            if i == 0:
                continue
            lo = int(np.searchsorted(times, times[i] - win))
            hi = int(np.searchsorted(times, times[i] + win, side="right"))
            neigh = np.concatenate([score[lo:i], score[i + 1:hi]])
            base = float(neigh.mean()) if len(neigh) else 0.0
            if score[i] >= self.adaptive * base + 1e-9:
                out.append(int(i))
        # Keep the strongest cut within min_shot of each other.
        min_shot = _seconds(self.min_shot, fps)
        kept: list[int] = []
        for i in sorted(out, key=lambda k: -score[k]):
            if all(abs(times[i] - times[j]) >= min_shot for j in kept):
                kept.append(i)
        return sorted(kept)

    def process(self, track: FeatureTrack, context: dict[str, Any]) -> list[KeyMoment]:
        idx = self.candidates(track)
        times = [float(track.times[i]) for i in idx]
        if self.refine and track.skipped_nonref and idx:
            times = _refine_cuts(track, idx, context)
        out = []
        for i, t in zip(idx, times):
            thumb, _ = (track.thumbs.get(i), None) if i in track.thumbs else track.thumbnail_near(t)
            out.append(KeyMoment(start=t, end=t, kind="cut", score=float(track.cut_score[i]),
                                 label="hard cut", thumbnail=thumb))
        return out


def _refine_cuts(track: FeatureTrack, idx: list[int], context: dict[str, Any]) -> list[float]:
    """Exact time of each cut whose neighbours were non-reference frames skipped in pass one."""
    import numpy as np

    from .sampling import _FrameSource

    info = track.info
    fd = track.frame_dur
    result = [float(track.times[i]) for i in idx]
    todo = [(k, float(track.times[i - 1]), float(track.times[i])) for k, i in enumerate(idx)
            if i > 0 and track.times[i] - track.times[i - 1] > 1.5 * fd]
    if not todo:
        return result
    path = context["path"]
    # Frame threads: each packet submitted copies the current skip setting, so switching from
    # NONREF to DEFAULT a few frames before the cut is safe (checked against full decodes in tests).
    src = _FrameSource(path, info, threads="AUTO", fast_filter=True)
    cc = src.stream.codec_context
    kf = info.keyframe_times
    try:
        pos = -1.0
        for k, ta, tb in todo:
            # Seek unless the decoder is already before ta with no keyframe in between.
            if not (pos <= ta and not any(pos < x <= ta for x in kf)) or pos < 0:
                src.seek(ta)
            pos = ta
            ta_pts, tb_pts = src.to_pts(ta), src.to_pts(tb)
            margin = int(round((6 + (cc.thread_count or 2)) * fd / float(src.tb)))
            cc.skip_frame = "NONREF"
            prev = None
            best, best_t = -1.0, tb
            import av

            for packet in src.container.demux(src.stream):
                dts = packet.dts if packet.dts is not None else packet.pts
                if dts is not None and dts >= ta_pts - margin and cc.skip_frame != "DEFAULT":
                    cc.skip_frame = "DEFAULT"
                try:
                    frames = packet.decode()
                except av.error.FFmpegError:
                    continue
                done = False
                for frame in frames:
                    if frame.pts is None or frame.pts < ta_pts:
                        continue
                    y, u, v = _planes(frame)
                    feat = (_small(y, (_YW, _YH)).astype(np.int16), _small(u, (_CW, _CH)).astype(np.int16),
                            _small(v, (_CW, _CH)).astype(np.int16))
                    if prev is not None:
                        s = float(np.abs(feat[0] - prev[0]).mean() + np.abs(feat[1] - prev[1]).mean()
                                  + np.abs(feat[2] - prev[2]).mean())
                        if s > best:
                            best, best_t = s, src.to_time(frame.pts)
                    prev = feat
                    pos = src.to_time(frame.pts)
                    if frame.pts >= tb_pts:
                        done = True
                        break
                if done:
                    break
            result[k] = best_t
            track.refine_log.append((tb, best_t))
            src._it = None
    finally:
        src.close()
    return result


class FadeDetector(Detector):
    """Fades to and from black: luma ramps down into (or up out of) a dark stretch."""

    kind = "fade"

    def __init__(self, black_share: float = 0.85, min_ramp: float | str = 0.15,
                 max_ramp: float | str = 3.0) -> None:
        self.black_share = black_share
        self.min_ramp = min_ramp
        self.max_ramp = max_ramp

    def process(self, track: FeatureTrack, context: dict[str, Any]) -> list[KeyMoment]:

        ym, times = track.y_mean, track.times
        n = len(ym)
        if n < 3:
            return []
        fps = 1.0 / track.frame_dur
        min_ramp, max_ramp = _seconds(self.min_ramp, fps), _seconds(self.max_ramp, fps)
        # "Black" = nearly all pixels dark; robust to logos, subtitles and burnt-in counters.
        dark = track.dark_frac >= self.black_share
        out: list[KeyMoment] = []
        i = 0
        while i < n:
            if not dark[i]:
                i += 1
                continue
            j = i
            while j + 1 < n and dark[j + 1]:
                j += 1
            # Fade out: walk back while luma rises going backwards (monotone ramp down into i).
            a = _ramp(ym, times, i, -1, max_ramp)
            if a < i and times[i] - times[a] >= min_ramp and ym[a] - ym[i] > 20:
                thumb, _ = track.thumbnail_near(times[a])
                out.append(KeyMoment(float(times[a]), float(times[i]), "fade_out",
                                     float(ym[a] - ym[i]), "fade to black", thumb))
            b = _ramp(ym, times, j, +1, max_ramp)
            if b > j and times[b] - times[j] >= min_ramp and ym[b] - ym[j] > 20:
                thumb, _ = track.thumbnail_near(times[b])
                out.append(KeyMoment(float(times[j]), float(times[b]), "fade_in",
                                     float(ym[b] - ym[j]), "fade in from black", thumb))
            i = j + 1
        context["dark"] = dark
        return out


def _ramp(ym: "np.ndarray", times: "np.ndarray", edge: int, step: int, max_ramp: float) -> int:
    """Walk from the dark ``edge`` frame (backwards for -1) while luma keeps rising away from
    black; tolerate small wobbles, stop on a plateau (< 0.6 gained over 3 samples)."""
    n = len(ym)
    k = edge
    while 0 <= k + step < n and abs(times[k + step] - times[edge]) <= max_ramp:
        nxt = k + step
        if ym[nxt] < ym[k] - 0.5:
            break
        back = nxt - 3 * step
        if (0 <= back < n and (back - edge) * step >= 0 and ym[nxt] - ym[back] < 0.6
                and ym[nxt] - ym[edge] > 10):
            break
        k = nxt
    # Drop a flat tail (the shot itself, not the ramp).
    while k != edge and abs(ym[k] - ym[k - step]) < 0.2:
        k -= step
    return k


class DissolveDetector(Detector):
    """Cross-dissolves: the middle frame is a blend of the frames at both ends.

    A fast pan also changes the picture a lot over a second, but its middle
    frame is a *shifted* picture, not an average of the two ends; that is
    the test (``blend_ratio`` = residual of the blend / difference of the ends).
    """

    kind = "dissolve"

    def __init__(self, threshold: float = 18.0, blend_ratio: float = 0.36,
                 durations: Sequence[float] = (0.4, 0.7, 1.0, 1.5, 2.0),
                 cut_threshold: float = 22.0) -> None:
        self.threshold = threshold
        self.blend_ratio = blend_ratio
        self.durations = tuple(durations)
        self.cut_threshold = cut_threshold

    def process(self, track: FeatureTrack, context: dict[str, Any]) -> list[KeyMoment]:
        import numpy as np

        n = len(track.times)
        if n < 5:
            return []
        small = track.small.astype(np.float32)
        times = track.times
        step = track.cut_score
        dark = context.get("dark")
        cut_times = [m.start for m in context.get("cuts", [])]
        fades = [(m.start, m.end) for m in context.get("transitions", [])
                 if m.kind in ("fade_in", "fade_out")]
        found: list[tuple[float, float, float, float]] = []  # (score, start, end, ratio)
        for L in self.durations:
            half = L / 2
            # centres every ~0.2 s
            stride = max(1, int(round(0.2 / max(np.median(np.diff(times)) if n > 1 else 0.04, 1e-3))))
            for c in range(0, n, stride):
                tc = times[c]
                a = int(np.searchsorted(times, tc - half))
                b = min(n - 1, int(np.searchsorted(times, tc + half)))
                if a >= c or b <= c or times[b] - times[a] < 0.75 * L:
                    continue
                if any(times[a] - 0.05 <= ct <= times[b] + 0.05 for ct in cut_times):
                    continue
                if dark is not None and (dark[a] or dark[b] or dark[c]):
                    continue
                if any(times[a] < fe + 0.1 and times[b] > fs - 0.1 for fs, fe in fades):
                    continue
                d = float(np.abs(small[a] - small[b]).mean())
                if d < self.threshold:
                    continue
                inner = step[a + 1:b + 1]
                if len(inner) == 0 or inner.max() >= self.cut_threshold:
                    continue
                A, B = small[a], small[b]
                diff = B - A
                norm = float((diff * diff).sum()) + 1e-6
                ok, worst = True, 0.0
                span = times[b] - times[a]
                for frac in (0.25, 0.5, 0.75):
                    k = int(np.searchsorted(times, times[a] + frac * span))
                    if k <= a or k >= b:
                        continue
                    alpha = float(((small[k] - A) * diff).sum()) / norm
                    pos = (times[k] - times[a]) / span
                    resid = float(np.abs(small[k] - (A + alpha * diff)).mean()) / d
                    worst = max(worst, resid)
                    if abs(alpha - pos) > 0.2 or resid > self.blend_ratio:
                        ok = False
                        break
                if ok:
                    found.append((d * (1 - worst), float(times[a]), float(times[b]), worst))
        # Non-maximum suppression over overlapping windows.
        found.sort(key=lambda x: -x[0])
        kept: list[tuple[float, float, float, float]] = []
        for f in found:
            if all(f[2] <= k[1] or f[1] >= k[2] for k in kept):
                kept.append(f)
        out = []
        for score, s, e, ratio in sorted(kept, key=lambda x: x[1]):
            thumb, _ = track.thumbnail_near((s + e) / 2)
            out.append(KeyMoment(s, e, "dissolve", score, "dissolve", thumb))
        return out


def _shot_mask(track: FeatureTrack, moments: Iterable[KeyMoment], pad: float) -> "np.ndarray":
    import numpy as np

    mask = np.ones(len(track.times), bool)
    for m in moments:
        lo = int(np.searchsorted(track.times, m.start - pad))
        hi = int(np.searchsorted(track.times, m.end + pad, side="right"))
        mask[lo:hi] = False
    return mask


def _peaks(values: "np.ndarray", times: "np.ndarray", mask: "np.ndarray", *, min_gap: float,
           threshold: float, limit: int) -> list[int]:
    import numpy as np

    cand = [i for i in np.nonzero((values >= threshold) & mask)[0]]
    cand.sort(key=lambda i: -values[i])
    kept: list[int] = []
    for i in cand:
        if all(abs(times[i] - times[j]) >= min_gap for j in kept):
            kept.append(int(i))
        if len(kept) >= limit:
            break
    return sorted(kept)


class MotionDetector(Detector):
    """Secondary moments: the strongest bursts of motion inside shots."""

    kind = "motion"

    def __init__(self, sigma: float = 2.5, smooth: float | str = 0.5, min_gap: float | str = 3.0,
                 per_minute: float = 4.0) -> None:
        self.sigma = sigma
        self.smooth = smooth
        self.min_gap = min_gap
        self.per_minute = per_minute

    def process(self, track: FeatureTrack, context: dict[str, Any]) -> list[KeyMoment]:
        import numpy as np

        n = len(track.times)
        if n < 10:
            return []
        fps = 1.0 / track.frame_dur
        per_frame = track.d_y / (track.gaps / track.frame_dur)
        mask = _shot_mask(track, context.get("transitions", []), 0.3)
        per_frame = np.where(mask, per_frame, 0.0)
        w = max(1, int(round(_seconds(self.smooth, fps) / float(np.median(track.gaps)))))
        smooth = np.convolve(per_frame, np.ones(w) / w, mode="same")
        base = smooth[mask] if mask.any() else smooth
        thr = float(np.median(base) + self.sigma * (np.percentile(base, 75) - np.percentile(base, 25) + 1e-3) * 1.5)
        thr = max(thr, 4.0)
        limit = max(1, int(math.ceil(track.info.duration / 60.0 * self.per_minute)))
        out = []
        for i in _peaks(smooth, track.times, mask, min_gap=_seconds(self.min_gap, fps),
                        threshold=thr, limit=limit):
            t = float(track.times[i])
            thumb, _ = track.thumbnail_near(t)
            out.append(KeyMoment(max(0.0, t - 0.5 * _seconds(self.smooth, fps)),
                                 t + 0.5 * _seconds(self.smooth, fps), "motion",
                                 float(smooth[i]), f"motion peak ({smooth[i]:.0f})", thumb))
        return out


class BrightnessDetector(Detector):
    """Secondary moments: sudden brightness changes inside shots (flashes, lights on/off)."""

    kind = "brightness"

    def __init__(self, jump: float = 25.0, window: float | str = 0.5,
                 min_gap: float | str = 2.0) -> None:
        self.jump = jump
        self.window = window
        self.min_gap = min_gap

    def process(self, track: FeatureTrack, context: dict[str, Any]) -> list[KeyMoment]:
        import numpy as np

        n = len(track.times)
        if n < 5:
            return []
        fps = 1.0 / track.frame_dur
        win = _seconds(self.window, fps)
        ym, times = track.y_mean, track.times
        lo = np.searchsorted(times, times - win)
        change = np.abs(ym - ym[lo])
        mask = _shot_mask(track, context.get("transitions", []), win + 0.1)
        out = []
        for i in _peaks(change, times, mask, min_gap=_seconds(self.min_gap, fps),
                        threshold=self.jump, limit=max(2, int(track.info.duration / 30) + 2)):
            t = float(times[i])
            thumb, _ = track.thumbnail_near(t)
            sign = "brighter" if ym[i] > ym[lo[i]] else "darker"
            out.append(KeyMoment(float(times[lo[i]]), t, "brightness", float(change[i]),
                                 f"{sign} ({change[i]:+.0f})", thumb))
        return out


def default_detectors() -> list[Detector]:
    return [CutDetector(), FadeDetector(), DissolveDetector(), MotionDetector(), BrightnessDetector()]


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------
@dataclass
class Moments:
    """Key moments of one video: transitions, shots and secondary peaks (all in seconds)."""

    moments: list[KeyMoment]
    shots: list[Shot]
    info: VideoInfo
    path: Path
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def cuts(self) -> list[float]:
        """Times of hard cuts (first frame of the new shot)."""
        return [m.start for m in self.moments if m.kind == "cut"]

    @property
    def transitions(self) -> list[KeyMoment]:
        return [m for m in self.moments if m.kind in ("cut", "dissolve", "fade_in", "fade_out")]

    def of_kind(self, *kinds: str) -> list[KeyMoment]:
        return [m for m in self.moments if m.kind in kinds]

    def __len__(self) -> int:
        return len(self.moments)

    def __iter__(self) -> Any:
        return iter(self.moments)

    def timeline(self, **kwargs: Any) -> Any:
        """A :class:`~videonb.display.Timeline` of these moments (with a player of the video)."""
        return view("timeline", self, **kwargs)

    def _repr_html_(self) -> str:
        return self.timeline()._repr_html_()

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "duration": self.info.duration,
                "moments": [m.to_dict() for m in self.moments],
                "shots": [s.to_dict() for s in self.shots], "stats": dict(self.stats)}

    def __repr__(self) -> str:
        kinds: dict[str, int] = {}
        for m in self.moments:
            kinds[m.kind] = kinds.get(m.kind, 0) + 1
        parts = ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
        return f"<Moments {self.path.name}: {len(self.shots)} shots; {parts or 'no moments'}>"

    def summary(self) -> str:
        """Measured facts as plain sentences (no model involved)."""
        d = self.info.duration
        lens = [s.duration for s in self.shots] or [d]
        lines = [f"{self.path.name}: {format_time(d)} long, {len(self.shots)} shot(s) "
                 f"(mean {sum(lens) / len(lens):.1f} s, longest {max(lens):.1f} s)."]
        for kind, name in (("cut", "hard cut"), ("dissolve", "dissolve"), ("fade_out", "fade-out"),
                           ("fade_in", "fade-in"), ("motion", "motion peak"),
                           ("brightness", "brightness change")):
            ms = self.of_kind(kind)
            if ms:
                when = ", ".join(format_time(m.start) for m in ms[:6]) + (" …" if len(ms) > 6 else "")
                lines.append(f"{len(ms)} {name}{'s' if len(ms) != 1 else ''} at {when}.")
        return " ".join(lines)


def _shots_from(track: FeatureTrack, transitions: list[KeyMoment], duration: float,
                start: float = 0.0, path: Any = None) -> list[Shot]:
    bounds: list[tuple[float, float, str]] = []  # (end of previous shot, start of next, kind)
    for m in sorted(transitions, key=lambda m: m.start):
        if m.kind == "cut":
            bounds.append((m.start, m.start, "cut"))
        elif m.kind == "dissolve":
            mid = (m.start + m.end) / 2
            bounds.append((mid, mid, "dissolve"))
        elif m.kind == "fade_out":
            bounds.append((m.end, m.end, "fade"))
        elif m.kind == "fade_in":
            bounds.append((m.start, m.start, "fade"))
    shots: list[Shot] = []
    kind = "start"
    for end, nxt, k in bounds:
        if end - start >= 0.05:
            shots.append(Shot(len(shots), start, end, start_transition=kind))
        start, kind = nxt, k
    if duration - start >= 0.05 or not shots:
        shots.append(Shot(len(shots), start, duration, start_transition=kind))
    missing = []
    for s in shots:
        inside = [k for k in track.thumbs if s.start - 1e-6 <= track.times[k] < s.end]
        if inside:
            mid = (s.start + s.end) / 2
            best = min(inside, key=lambda k: abs(track.times[k] - mid))
            s.thumbnail, s.thumbnail_time = track.thumbs[best], float(track.times[best])
        else:
            missing.append(s)
    if missing and path is not None:
        # Short shots between stored thumbnails: decode their middle frames exactly (one pass).
        from .sampling import sample_frames

        got = sample_frames(path, times=[(s.start + s.end) / 2 for s in missing], max_side=THUMB_SIDE)
        for s, img, t in zip(missing, got.images, got.times):
            s.thumbnail, s.thumbnail_time = img, t
    for s in missing:
        if s.thumbnail is None:
            s.thumbnail, s.thumbnail_time = track.thumbnail_near((s.start + s.end) / 2)
    return shots


#: Below this many frames, decoding everything is cheaper than skipping non-reference
#: frames and then refining cuts (which re-decodes from a keyframe per cut).
NONREF_MIN_FRAMES = 3000


def detect(source: Any, *detectors: Detector, skip_nonref: bool | None = None,
           start: float = 0.0, end: float | None = None) -> Moments:
    """Find key moments in ``source`` (path or :class:`~videonb.Video`).

    With no detectors, runs :func:`default_detectors` (cuts, fades, dissolves,
    motion peaks, brightness changes).  Returns :class:`Moments` with
    ``moments`` (sorted :class:`~videonb.KeyMoment` list), ``shots`` (with
    representative thumbnails) and ``stats`` (frames decoded, time taken).
    ``skip_nonref`` (default: automatic, on for clips over 3000 frames) lets the
    decoder skip non-reference frames; cut times stay exact (they are refined).
    """
    import time

    from .video import as_video

    video = as_video(source)
    t0 = time.perf_counter()
    if skip_nonref is None:
        skip_nonref = video.info.frame_count > NONREF_MIN_FRAMES
    track = extract_features(video, skip_nonref=skip_nonref, start=start, end=end)
    dets = list(detectors) or default_detectors()
    context: dict[str, Any] = {"path": video.path}
    order = {"cut": 0, "fade": 1, "dissolve": 2}
    results: list[KeyMoment] = []
    for det in sorted(dets, key=lambda d: order.get(d.kind, 9)):
        found = det.process(track, context)
        results.extend(found)
        if det.kind == "cut":
            context["cuts"] = found
        if det.kind in ("cut", "fade", "dissolve"):
            context["transitions"] = context.get("transitions", []) + found
    results.sort(key=lambda m: (m.start, m.end))
    transitions = [m for m in results if m.kind in ("cut", "dissolve", "fade_in", "fade_out")]
    duration = video.info.duration if end is None else min(end, video.info.duration)
    shots = _shots_from(track, transitions, duration, start=start, path=video)
    elapsed = time.perf_counter() - t0
    if track.errors:
        import warnings

        warnings.warn(f"{video.path.name}: {track.errors} undecodable packet(s) or corrupt frame(s) were "
                      f"skipped; moments near them may be missing.", stacklevel=2)
    stats = {"frames_decoded": track.decoded, "frames_in_video": video.info.frame_count,
             "skip_nonref": skip_nonref, "decode_errors": track.errors,
             "seconds": elapsed, "feature_seconds": track.elapsed,
             "refined_cuts": len(track.refine_log),
             "fps_throughput": video.info.frame_count / elapsed if elapsed > 0 else 0.0}
    return Moments(results, shots, video.info, video.path, stats)


detect_moments = detect
