"""Cut refinement: the gaps a fast pass left (skipped non-reference frames) decided again at
the full frame rate, as a full decode would judge them.

:class:`~videonb.media.detectors.CutDetector` finds cuts on the frames the decoder gave; a
cut next to skipped frames is either kept at its decoded time (one small skipped frame:
:func:`_clear_single_skips`) or handed to :func:`refine_cuts`, which decodes the gap again
from the keyframe before it (several gaps at once on several threads) and keeps what stands
out at the full rate (:func:`_cuts_in_gap`).
"""

from __future__ import annotations

from typing import Any

from .features import FeatureTrack

#: How far (frames) the cut tests look past repeated frames (a change below 1: a
#: low-frame-rate source in a faster file) for the nearest real change.
_REPEAT_REACH = 4
#: Decoded frames further apart than this many frame durations have skipped frames between
#: them (1.25, not 1.5: in a variable-frame-rate file one skipped frame can leave 1.5).
GAP_FRAMES = 1.25
#: A skipped frame whose packet is more than this many times the file's typical skipped
#: packet is a picture of its own (a whip pan's middle, a flash), not a copy of the frames
#: either side of it: a cut next to it is decided at the full frame rate.
SKIP_SIZE = 6.0


#: Refinements of at least this many cuts are shared out among threads (one decoder each).
PARALLEL_REFINE_MIN = 4


def refine_cuts(track: FeatureTrack, idx: list[int], path: Any, *, threshold: float = 20.0,
                min_shot: float = 0.0, workers: int | None = None, strict: set[int] = frozenset(),
                neighbour_ratio: float = 1.8, ratio: float = 2.5,
                one_skipped: bool = False) -> list[list[tuple[float, float]]]:
    """Exact times of the cuts at candidates ``idx`` whose previous decoded frame is more
    than a frame away (the first pass skipped the frames between): decode from the keyframe
    before each gap, fully from a few frames before it, and keep the frame with the largest
    change if it stands out from the frames next to it at the full frame rate (as a full
    decode would judge it), plus any other frame of the gap that is a cut in its own right
    (a shot shorter than the gap has two cuts in it); see :func:`_cuts_in_gap`.

    Candidates in ``strict`` (doubtful at the decoded rate) must also be ``ratio`` times the
    window's typical change; a candidate whose refined gap has no cut gets an empty list.
    With ``one_skipped``, a candidate that :func:`_clear_single_skips` finds (one skipped
    frame of ordinary size) keeps its decoded time (at most a frame late), unless that
    time is within a shot of another cut: then it is refined too.  Returns
    ``[(time, score), ...]`` per candidate, in time order.  Many gaps are split among
    threads, each with a single-threaded decoder going forward through its share."""
    import os

    info = track.info
    fd = track.frame_dur
    result = [[] if i in strict else [(float(track.times[i]), float(track.cut_score[i]))]
              for i in idx]
    times = track.times
    quick = _clear_single_skips(track, idx, strict) if one_skipped else set()
    todo = [(k, float(times[i - 1]), float(times[i]), i in strict)
            for k, i in enumerate(idx)
            if i > 0 and (i in strict or (k not in quick and times[i] - times[i - 1]
                                          > GAP_FRAMES * fd))]

    # Repeated frames near a candidate even at the decoded rate: its refinement will need the
    # wide window (see _refine_part), so it starts with it rather than decoding twice.
    s = track.cut_score
    repeats = {k for k, i in enumerate(idx)
               if bool((s[max(1, i - 2):min(len(s), i + 3)] < 1.0).any())}

    def run(part: list[tuple[int, float, float, bool]]) -> list[tuple[int, float, list[tuple[float, float]] | None]]:
        return _refine_part(path, info, fd, part, threshold, min_shot, neighbour_ratio, ratio,
                            repeats)

    def refine(todo: list[tuple[int, float, float, bool]]) -> None:
        if not todo:
            return
        n = workers if workers is not None else (
            min(4, os.cpu_count() or 1) if len(todo) >= PARALLEL_REFINE_MIN else 1)
        n = max(1, min(n, len(todo)))
        if n == 1:
            done = run(todo)
        else:
            from concurrent.futures import ThreadPoolExecutor

            share = [todo[len(todo) * w // n: len(todo) * (w + 1) // n] for w in range(n)]
            with ThreadPoolExecutor(n, thread_name_prefix="videonb-refine") as pool:
                done = [x for got in pool.map(run, share) for x in got]
        for k, tb, cuts in sorted(done):
            if cuts is None:
                # No frame of the gap could be decoded again: a sure candidate keeps its
                # decoded time (at most the gap late), a doubtful one is dropped.
                track.refine_failed += 1
                if idx[k] in strict:
                    result[k] = []
                continue
            result[k] = cuts
            track.refine_log.append((tb, cuts[-1][0] if cuts else tb))

    refine(todo)
    # A cut kept at its decoded time (up to a frame late) that comes closer than a shot to
    # another cut would make the caller drop one of the two (a two-frame shot's cuts): those
    # are decoded again too, and the pair is then judged as a full decode would judge it.
    if quick:
        found = [(t, j) for j, cuts in enumerate(result) for t, _ in cuts]
        again = sorted(k for k in quick if any(
            j != k and abs(t - result[k][0][0]) < min_shot + fd + 1e-9 for t, j in found))
        refine([(k, float(times[idx[k] - 1]), float(times[idx[k]]), False) for k in again])
    return result


def _clear_single_skips(track: FeatureTrack, idx: list[int], strict: set[int]) -> set[int]:
    """Positions in ``idx`` of the sure candidates (not in ``strict``) whose gap to the
    previous decoded frame hides exactly ONE frame (counted from the packets the pass read,
    so a frame rate or a frozen frame cannot mislead) and whose packet is no more than
    :data:`SKIP_SIZE` times the typical skipped packet.  The cut is at that frame or at the
    next decoded one."""
    import numpy as np

    pk = track.packets
    times = track.times
    if pk is None or not len(pk) or not len(times):
        return set()
    t = pk[:, 0]
    decoded = np.isin(t, times)
    # Frames must carry their packets' times; if they do not, nothing can be counted.
    if decoded.all() or int(decoded.sum()) < 0.99 * len(times):
        return set()
    typical = float(np.median(pk[~decoded, 1]))
    out: set[int] = set()
    for k, i in enumerate(idx):
        if i <= 0 or i in strict:
            continue
        j0 = int(np.searchsorted(t, times[i - 1], "right"))
        j1 = int(np.searchsorted(t, times[i], "left"))
        if j1 - j0 != 1 or pk[j0, 1] > SKIP_SIZE * typical:
            continue
        out.add(k)
    return out


def _cuts_in_gap(scores: list[tuple[float, float]], ta: float, tb: float, threshold: float,
                 min_shot: float, neighbour_ratio: float, strict: bool, ratio: float = 0.0,
                 need: list[bool] | None = None) -> list[tuple[float, float]] | None:
    """Cuts in a refined gap ``(ta, tb]`` from the full-rate changes ``scores`` (which run
    from a few frames before ``ta`` to a few past ``tb``): the largest change in the gap if it
    stands out (``neighbour_ratio``) from the changes next to it, as a full decode would
    judge it, plus any other that is a cut in its own right: at least ``threshold`` and half
    the largest, ``min_shot`` from the others, and standing out too (so the motion after a
    cut is not a second cut).  ``strict`` (a doubtful candidate): the largest must also be
    ``ratio`` times the window's typical change.  No frame changing by ``threshold``: no cut.
    ``need`` (a list) gets an entry when the window was too short for a neighbour walk."""
    inside = [p for p, (t, _) in enumerate(scores) if ta + 1e-6 < t <= tb + 1e-6]
    if not inside:
        return None   # nothing decoded in the gap: refinement failed, the caller decides
    best = max(scores[p][1] for p in inside)
    if best < threshold:
        return []   # the change was spread over the skipped frames: motion, not a cut
    cuts: list[tuple[float, float]] = []
    for p in sorted(inside, key=lambda i: -scores[i][1]):
        t, sc = scores[p]
        if cuts and (sc < max(threshold, 0.5 * best) or any(abs(t - c) < min_shot for c, _ in cuts)):
            continue
        nb, short = _neighbour(scores, p, {c for c, _ in cuts})
        if short and need is not None:
            need.append(True)
        if sc < neighbour_ratio * nb:
            continue
        if strict and ratio and sc < ratio * max(_typical(scores, p), 1.0):
            continue
        cuts.append((t, sc))
    return sorted(cuts)


def _typical(scores: list[tuple[float, float]], p: int) -> float:
    """Median change of the refined window's other frames (repeats left out)."""
    rest = sorted(sc for q, (_, sc) in enumerate(scores) if q != p and sc >= 1.0)
    return rest[len(rest) // 2] if rest else 0.0


def _neighbour(scores: list[tuple[float, float]], p: int,
               skip: set[float]) -> tuple[float, bool]:
    """The larger change next to ``scores[p]``, passing over repeated frames (a change
    below 1: a low-frame-rate source) as :meth:`CutDetector.candidates` does; and whether
    the window ended before that walk did (then a wider window is needed)."""
    out = 0.0
    short = False
    for step in (-1, 1):
        q = p + step
        while 0 <= q < len(scores) and scores[q][1] < 1.0 and abs(q - p) <= _REPEAT_REACH - 1:
            q += step
        if not 0 <= q < len(scores):
            short = True
            q -= step
        if 0 <= q < len(scores) and q != p and scores[q][0] not in skip:
            out = max(out, scores[q][1])
    return out, short


def _refine_part(path: Any, info: Any, fd: float, todo: list[tuple[int, float, float, bool]],
                 threshold: float, min_shot: float,
                 neighbour_ratio: float, ratio: float = 0.0, repeats: set[int] = frozenset()) -> list[tuple[int, float, list[tuple[float, float]] | None]]:
    import numpy as np

    from .features import CH, CW, YH, YW, planes, small_plane
    from .sampling import _FrameSource

    # One thread, so a packet is decoded as soon as it is sent and switching from NONREF to
    # DEFAULT a few frames (in decode order) before the gap is enough.
    src = _FrameSource(path, info, threads="NONE", fast_filter=True)
    kf = info.keyframe_times
    out: list[tuple[int, float, list[tuple[float, float]] | None]] = []
    pos = -1.0

    def window(ta: float, tb: float, reach: int) -> list[tuple[float, float]]:
        """Full-rate changes from ``reach`` frames before ``ta`` to ``reach`` after ``tb``."""
        nonlocal pos
        t_lo = max(0.0, ta - reach * fd)
        ta_pts, tb_pts = src.to_pts(t_lo - 0.25 * fd), src.to_pts(tb)
        # Non-reference frames are skipped until a few frames (in decode order) before.
        src.approach_until = ta_pts - int(round(7 * fd / float(src.tb)))
        if pos < 0 or not (pos <= t_lo and not any(pos < x <= t_lo for x in kf)):
            src.seek_before(t_lo, ta_pts)
        prev = None
        scores: list[tuple[float, float]] = []
        after = 0
        for frame in src.frames():
            if frame.pts < ta_pts:
                continue
            y, u, v = planes(frame)
            feat = (small_plane(y, (YW, YH)).astype(np.int16),
                    small_plane(u, (CW, CH)).astype(np.int16),
                    small_plane(v, (CW, CH)).astype(np.int16))
            if prev is not None:
                scores.append((src.to_time(frame.pts),
                               float(sum(np.abs(a - b).mean() for a, b in zip(feat, prev)))))
            prev = feat
            pos = src.to_time(frame.pts)
            if frame.pts > tb_pts:
                after += 1
                if after >= reach:
                    break
        return scores

    try:
        for k, ta, tb, strict in todo:
            # The changes next to the gap's own are read too: from two frames before ``ta``
            # to two after ``tb``, or, when repeated frames of a low-frame-rate source lead
            # the walk further (and for doubtful candidates, whose typical change is read
            # from the window), as far as CutDetector.candidates looks.
            wide = strict or k in repeats
            while True:
                reach = _REPEAT_REACH + 1 if wide else 2
                scores = window(ta, tb, reach)
                need: list[bool] = []
                got = _cuts_in_gap(scores, ta, tb, threshold, min_shot, neighbour_ratio,
                                   strict, ratio, need)
                if wide or not need:
                    break
                wide = True
            out.append((k, tb, got))
    finally:
        src.close()
    return out
