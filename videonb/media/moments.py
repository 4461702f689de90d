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
skipping them is safe and roughly halves decoding.  A clear cut next to ONE
skipped frame is reported at the first decoded frame of the new shot: the
true cut or one frame after it.  Longer gaps, and changes that are doubtful at
the decoded rate (a very short shot hidden in the gap, motion adding up across
it), are refined: the decoder goes back to the keyframe before them and
decodes those few frames exactly (several gaps at once on several threads),
deciding them at the full frame rate.  ``CutDetector(exact=True)`` refines
every gap, so each cut is the presentation time of the first frame of the new
shot; so does ``skip_nonref=False`` (which decodes everything).

All thresholds that are durations are seconds (``0.6``), or strings such as
``"0.6s"`` / ``"15f"`` (frames, converted with the video's frame rate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..types import KeyMoment, Shot, format_time
from .probe import VideoInfo
from .views import view

__all__ = [
    "FeatureTrack", "Detector", "CutDetector", "FadeDetector", "DissolveDetector",
    "MotionDetector", "BrightnessDetector", "Moments", "detect", "detect_moments",
    "extract_features", "default_detectors",
]

from .detectors import (BrightnessDetector, CutDetector, Detector, DissolveDetector,
                        FadeDetector, MotionDetector, default_detectors)
from .features import THUMB_SIDE, FeatureTrack, extract_features

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
    ordered = sorted(transitions, key=lambda m: m.start)
    for i, m in enumerate(ordered):
        if m.kind == "cut":
            bounds.append((m.start, m.start, "cut"))
        elif m.kind == "dissolve":
            mid = (m.start + m.end) / 2
            bounds.append((mid, mid, "dissolve"))
        elif m.kind == "fade_out":
            nxt = ordered[i + 1] if i + 1 < len(ordered) else None
            if nxt is not None and nxt.kind == "fade_in" and nxt.start - m.end <= 1.5:
                continue  # the black between a fade-out and a fade-in is no shot of its own
            bounds.append((m.end, m.end, "fade"))
        elif m.kind == "fade_in":
            bounds.append((m.start, m.start, "fade"))
    shots: list[Shot] = []
    kind = "start"
    shortest = min(0.05, 0.5 * track.frame_dur)  # a one-frame shot is still a shot
    for end, nxt, k in bounds:
        if end - start >= shortest:
            shots.append(Shot(len(shots), start, end, start_transition=kind))
        start, kind = nxt, k
    if duration - start >= shortest or not shots:
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


#: From this many frames on, the decoder skips non-reference frames (about half of an
#: H.264 file's frames; they cost more to decode than the others) and doubtful cuts, or cuts
#: next to more than one skipped frame, are refined at the full frame rate.  Shorter clips
#: decode everything (a few seconds: the refinement's seeks would cost what skipping saves).
NONREF_MIN_FRAMES = 300


def detect(source: Any, *detectors: Detector, skip_nonref: bool | None = None,
           start: float = 0.0, end: float | None = None) -> Moments:
    """Find key moments in ``source`` (path or :class:`~videonb.Video`).

    With no detectors, runs :func:`default_detectors` (cuts, fades, dissolves,
    motion peaks, brightness changes).  Returns :class:`Moments` with
    ``moments`` (sorted :class:`~videonb.KeyMoment` list), ``shots`` (with
    representative thumbnails) and ``stats`` (frames decoded, time taken).
    ``skip_nonref`` (default: automatic, on for clips of 300 frames or more) lets the
    decoder skip non-reference frames; cut times are then within one frame (exact with
    ``CutDetector(exact=True)``, or with ``skip_nonref=False``).
    """
    import time

    from .video import as_video

    video = as_video(source)
    t0 = time.perf_counter()
    if skip_nonref is None:
        skip_nonref = video.info.frame_count >= NONREF_MIN_FRAMES
    track = extract_features(video, skip="NONREF" if skip_nonref else None, start=start, end=end)
    return moments_from_track(track, video, detectors, start=start, end=end, t0=t0)


def moments_from_track(track: FeatureTrack, video: Any, detectors: Sequence[Detector] = (), *,
                       start: float = 0.0, end: float | None = None, t0: float | None = None,
                       exact_thumbnails: bool = False) -> Moments:
    """Run ``detectors`` (default: :func:`default_detectors`) over an extracted track."""
    import time

    t0 = time.perf_counter() if t0 is None else t0
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
    shots = _shots_from(track, transitions, duration, start=start,
                        path=video if exact_thumbnails else None)
    elapsed = time.perf_counter() - t0
    if track.errors:
        import warnings

        warnings.warn(f"{video.path.name}: {track.errors} undecodable packet(s) or corrupt frame(s) were "
                      f"skipped; moments near them may be missing.", stacklevel=3)
    stats = {"frames_decoded": track.decoded, "frames_in_video": video.info.frame_count,
             "skip_nonref": track.skip is not None, "skip": track.skip,
             "decode_errors": track.errors, "seconds": elapsed, "feature_seconds": track.elapsed,
             "refined_cuts": len(track.refine_log), "refine_failed": track.refine_failed,
             "fps_throughput": video.info.frame_count / elapsed if elapsed > 0 else 0.0}
    return Moments(results, shots, video.info, video.path, stats)


detect_moments = detect


@dataclass
class PassResult:
    """What one decoding pass gave :func:`analyze_video`: moments, the frame grid and grey
    frames spread over the video (for face detection)."""

    moments: Moments
    frames: Any                      # videonb.media.sampling.Frames
    gray: list[tuple[float, Any]]


def analyze_video(source: Any, *detectors: Detector, n_frames: int = 12, max_side: int = 480,
                  gray_every: float | None = None, gray_side: int = 480,
                  skip_nonref: bool | None = None) -> PassResult:
    """Moments, an exact frame grid (``n_frames`` evenly spread, longest side ``max_side``)
    and grey frames every ``gray_every`` seconds, from ONE decode of the file.

    The moments are the same as :func:`detect` gives with the same detectors and
    ``skip_nonref``: frames the decoder decodes only because a grid time needs them are
    left out of the features.
    """
    import time

    from .features import GridRequest
    from .sampling import Frames, _check_budget, _target_size, sample_times
    from .video import as_video

    video = as_video(source)
    info = video.info
    t0 = time.perf_counter()
    if skip_nonref is None:
        skip_nonref = info.frame_count >= NONREF_MIN_FRAMES
    requested = sample_times(info.duration, n=n_frames) if info.duration > 0 else [0.0]
    size = _target_size(info, None, None, max_side)
    _check_budget(info, size, len(requested), f"{len(requested)} grid frame(s)")
    track = extract_features(video, skip="NONREF" if skip_nonref else None,
                             grid=GridRequest(times=requested, size=size,
                                              gray_every=gray_every, gray_side=gray_side))
    moments = moments_from_track(track, video, detectors, t0=t0)
    order = sorted(range(len(requested)), key=lambda i: requested[i])
    images: list[Any] = [None] * len(requested)
    times: list[float] = [0.0] * len(requested)
    for k, i in enumerate(order):
        if k < len(track.grid_images):
            images[i], times[i] = track.grid_images[k], track.grid_times[k]
    keep = [i for i in range(len(requested)) if images[i] is not None]
    frames = Frames(images=[images[i] for i in keep], times=[times[i] for i in keep],
                    requested=[requested[i] for i in keep], mode="exact", source=video.path,
                    info=info)
    moments.stats["seconds"] = time.perf_counter() - t0
    return PassResult(moments, frames, track.gray)
