"""Frame sampling: 20 frames from a ~10-minute 720p H.264 clip built from real footage.

Baseline (measured in the same run): the seed's approach — `cv2.VideoCapture.read()` over every frame,
JPEG-encoding every 30th. Targets: exact mode ≥ 10× faster with every frame the requested one (checked
against a full PyAV decode), ≥ 25× with GOPs decoded in parallel threads (issue 10), fast mode ≥ 80×.
Exact mode is timed twice per repeat, interleaved: the default (targets spread over one thread per
core) and one decoder (``workers=1``, the single-core GOP limit); best of ``--repeat`` kept.
Run: python benchmarks/bench_sampling.py [--minutes 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
import hashlib

from common import Timer, versions, write_result


def seed_approach(path: str) -> int:
    import cv2

    cap = cv2.VideoCapture(path)
    i = kept = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % 30 == 0:
            cv2.imencode(".jpg", frame)
            kept += 1
        i += 1
    cap.release()
    return i


def truth_hashes(path: str, info, targets: list[float]) -> list[tuple[float, str]]:
    """Full decode with PyAV: for each target, the frame with the largest pts ≤ t (time, md5 of RGB)."""
    import av
    import numpy as np

    c = av.open(path)
    s = c.streams.video[0]
    s.thread_type = "AUTO"
    tb = s.time_base
    first = info.extra["first_pts"]
    want = sorted(range(len(targets)), key=lambda i: targets[i])
    out: list[tuple[float, str] | None] = [None] * len(targets)

    def digest(frame) -> tuple[float, str]:
        rgb = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
        return float((frame.pts - first) * tb), hashlib.md5(rgb).hexdigest()

    k = 0
    prev = None  # the last decoded frame (converted only when it turns out to be an answer)
    for f in c.decode(s):
        t = float((f.pts - first) * tb)
        while k < len(want) and t > targets[want[k]] + 1e-9:
            out[want[k]] = digest(prev) if prev is not None else None
            k += 1
        if k >= len(want):
            break
        prev = f
    while k < len(want):
        out[want[k]] = digest(prev) if prev is not None else None
        k += 1
    c.close()
    return out  # type: ignore[return-value]


def main() -> None:
    import numpy as np

    import videonb
    from videonb.testing.clips import make_long_clip

    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--path", help="time this file instead of make_long_clip(minutes)")
    ap.add_argument("--gop", type=float, help="re-encode --path with a keyframe every GOP "
                    "seconds first (cached next to it; footage.regop)")
    args = ap.parse_args()
    path = args.path or make_long_clip(minutes=args.minutes, verbose=True)[0]
    if args.path and args.gop:
        import footage

        path = str(footage.regop(Path(args.path), args.gop))
    info = videonb.probe(path)
    print(info.summary(), "GOP", info.gop_seconds)

    from videonb.media.sampling import _sample_exact, sample_times

    requested = sample_times(info.duration, n=args.n)
    exact_s, one_s, fast_s = 1e9, 1e9, 1e9
    one_times = None
    for _ in range(args.repeat):
        with Timer() as t:
            exact = videonb.sample_frames(path, n=args.n, mode="exact")
        exact_s = min(exact_s, t.seconds)
        with Timer() as t:
            _, one_times, _ = _sample_exact(info.path, info, requested, None, workers=1)
        one_s = min(one_s, t.seconds)
        with Timer() as t:
            fast = videonb.sample_frames(path, n=args.n, mode="fast")
        fast_s = min(fast_s, t.seconds)

    class _T:
        def __init__(self, s: float) -> None:
            self.seconds = s

    exact_t, fast_t, one_t = _T(exact_s), _T(fast_s), _T(one_s)
    with Timer() as seed_t:
        seed_frames = seed_approach(str(path))
    with Timer() as truth_t:
        truth = truth_hashes(str(path), info, exact.requested)

    got = [(t, hashlib.md5(np.ascontiguousarray(img)).hexdigest()) for t, img in zip(exact.times, exact.images)]
    exact_ok = sum(1 for g, w in zip(got, truth) if w is not None and abs(g[0] - w[0]) < 1e-9 and g[1] == w[1])
    kf = set(round(k, 6) for k in info.keyframe_times)
    fast_on_kf = sum(1 for t, r in zip(fast.times, fast.requested) if round(t, 6) in kf and t <= r + 1e-9)
    fast_err = max(r - t for t, r in zip(fast.times, fast.requested))
    r_exact = seed_t.seconds / exact_t.seconds
    r_one = seed_t.seconds / one_t.seconds
    r_fast = seed_t.seconds / fast_t.seconds
    import os

    workers = min(os.cpu_count() or 1, 4)
    what = (f"`{Path(path).name}` (a real-footage benchmark case remuxed several times"
            + (f", re-encoded with a keyframe every {args.gop:g} s" if args.gop else "") + ")"
            if args.path else
            f"`make_long_clip(minutes={args.minutes})` (built from Big Buck Bunny, bikes, carphone)")
    md = f"""Clip: {what} — {info.summary()}, keyframe every {info.gop_seconds:.2f} s. {args.n} evenly spaced targets over the whole clip.
Versions: {versions('av', 'opencv-python-headless', 'numpy')}. Command: `python benchmarks/bench_sampling.py {' '.join(sys.argv[1:])}` (best of {args.repeat} interleaved; the seed and the check ran once).

| method | seconds | ratio vs seed | frames correct |
|---|---|---|---|
| seed: `cv2.read()` every frame, JPEG every 30th ({seed_frames} frames read) | {seed_t.seconds:.2f} | 1.0× | covers only the first {args.n} s |
| videonb exact (default: targets over {workers} threads) | {exact_t.seconds:.2f} | **{r_exact:.1f}×** (target ≥ 25: {'met' if r_exact >= 25 else 'MISSED'}) | {exact_ok}/{args.n} identical to a full decode |
| videonb exact, one decoder (`workers=1`) | {one_t.seconds:.2f} | {r_one:.1f}× | same times: {one_times == exact.times} |
| videonb fast (nearest keyframe) | {fast_t.seconds:.3f} | **{r_fast:.0f}×** (target ≥ 80: {'met' if r_fast >= 80 else 'MISSED'}) | {fast_on_kf}/{args.n} on a keyframe ≤ target (at most {fast_err:.2f} s before it) |
| (check) full PyAV decode for the ground truth | {truth_t.seconds:.2f} | | |
"""
    write_result("sampling", md, {"seed_s": seed_t.seconds, "exact_s": exact_t.seconds, "fast_s": fast_t.seconds,
                                  "exact_ratio": r_exact, "fast_ratio": r_fast, "exact_one_decoder_s": one_t.seconds,
                                  "exact_one_decoder_ratio": r_one, "exact_correct": exact_ok,
                                  "n": args.n, "minutes": info.duration / 60, "fast_on_keyframe": fast_on_kf, "clip": info.summary()})


if __name__ == "__main__":
    main()
