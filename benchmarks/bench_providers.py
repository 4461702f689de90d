"""Provider core: 50 concurrent generations against the loopback Runway emulator, and which frames a
vision model is sent for a 10-minute video.

1. Each emulated job takes ~2 s. Baseline measured in the same run: one job alone. Target: 50
   concurrent jobs finish in ≤ 1.3× the slowest single job plus one polling interval (backoff).
2. Frames for vision models on the 10-minute clip: the seed's approach (every 30th frame until 20
   frames are collected: the first 20 s only) vs videonb's shot-based choice within the same budget.
Run: python benchmarks/bench_providers.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time

from common import versions, write_result

KEY = "key_bench_123456"
JOB_SECONDS = 2.0
POLL = 0.25


async def run_jobs(n: int, base_url: str) -> tuple[float, list[float]]:
    import videonb

    t0 = time.perf_counter()
    jobs = [await videonb.generate_async(f"bench shot {n}-{i}-{time.time_ns()}", provider="runway",
                                         seconds=5, api_key=KEY, base_url=base_url,
                                         poll_interval=POLL, poll_max=POLL, wait=False)
            for i in range(n)]
    done_at: list[float] = []

    async def one(j):
        await j.wait_async()
        done_at.append(time.perf_counter() - t0)

    await asyncio.gather(*(one(j) for j in jobs))
    return time.perf_counter() - t0, done_at


def frames_section() -> tuple[str, dict]:
    import videonb
    from videonb.providers.openai import choose_frame_times
    from videonb.testing.clips import make_long_clip

    path, gt = make_long_clip(minutes=10.0, verbose=True)
    info = videonb.probe(path)
    m = videonb.detect(path)
    budget = 20
    seed_times = [i * 30 / float(info.fps) for i in range(budget)]   # every 30th frame, first 20
    ours = choose_frame_times(list(m.shots), info.duration, budget)
    ours32 = choose_frame_times(list(m.shots), info.duration, 32)

    def covered(times):
        return sum(any(s.start <= t < s.end for t in times) for s in m.shots)

    def max_gap(times):
        pts = [0.0, *sorted(times), info.duration]
        return max(b - a for a, b in zip(pts, pts[1:]))

    rows = [("seed: every 30th frame, first 20", seed_times), (f"videonb, budget {budget}", ours),
            ("videonb, budget 32", ours32)]
    lines = ["| method | frames | span of video covered | shots with a frame | longest stretch without a frame | low-detail tokens |",
             "|---|---|---|---|---|---|"]
    data = {}
    for name, ts in rows:
        span = max(ts) - min(ts)
        lines.append(f"| {name} | {len(ts)} | {min(ts):.1f}–{max(ts):.1f} s of {info.duration:.0f} s | "
                     f"{covered(ts)}/{len(m.shots)} | {max_gap(ts):.1f} s | {85 * len(ts)} |")
        data[name] = {"frames": len(ts), "span": span, "shots_covered": covered(ts),
                      "max_gap": max_gap(ts)}
    return "\n".join(lines), data


def main() -> None:
    os.environ["VIDEONB_HOME"] = tempfile.mkdtemp(prefix="vnb-bench-home-")
    from videonb.testing.emulators import RunwayEmulator

    with RunwayEmulator(expected_key=KEY, job_seconds=JOB_SECONDS, concurrency=None) as emu:
        singles = [asyncio.run(run_jobs(1, emu.base_url))[0] for _ in range(3)]
        slowest_single = max(singles)
        total50, done = asyncio.run(run_jobs(50, emu.base_url))
    bound = 1.3 * slowest_single + POLL
    ratio = total50 / slowest_single
    ok = total50 <= bound
    frames_md, frames_data = frames_section()
    md = f"""Versions: {versions('httpx', 'av')}. Emulated job time {JOB_SECONDS} s, poll interval {POLL} s
(the emulator's clock; real Runway asks for ≥ 5 s, which videonb uses by default).

| run | wall seconds |
|---|---|
| one job alone (3 runs, slowest) | {slowest_single:.2f} (median {statistics.median(singles):.2f}) |
| 50 jobs at once | **{total50:.2f}** → {ratio:.2f}× the slowest single job (target ≤ 1.3× + one poll interval = {bound:.2f} s: {'met' if ok else 'MISSED'}) |
| 50 jobs: first / median / last finished | {min(done):.2f} / {statistics.median(done):.2f} / {max(done):.2f} |

### Frames sent to a vision model for the 10-minute clip

{frames_md}
"""
    write_result("providers", md, {"single_s": singles, "fifty_s": total50, "ratio": ratio,
                                   "target_met": ok, "frames": frames_data})


if __name__ == "__main__":
    main()
