"""Trust load (issue 8): 200 concurrent emulated generations with about 10 % faults, against the
slowest single job measured in the same run.

The faults are the load test's seeded plan (tests/test_trust_load.py): CDN 429s, redirects,
outages and expired URLs on the output download, resets and 500/503s on polls,
INTERNAL.BAD_OUTPUT task failures that videonb resubmits.  One process here (the test adds a
second process on the same ledger).  Baseline: the same request alone, once per fault kind
and once clean; the slowest of those is "the slowest single job".  A job
whose output CDN stays down ends as a resumable DownloadError, then ``videonb.resume()`` (faults
cleared) gets it; that resume is timed separately and is not part of the load's wall time.

Run: python benchmarks/bench_trust_load.py
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter

from common import HERE, machine, versions, write_result

sys.path.insert(0, str(HERE.parent / "tests"))

N = 200
SECTION = "trust_load"


async def load(n: int, base_url: str, first: int, key: str, poll: dict) -> tuple[float, list]:
    import videonb

    t0 = time.perf_counter()

    async def one(i: int):
        t = time.perf_counter()
        try:
            out = await videonb.generate_async(f"bench load {first + i}", provider="runway",
                                               seconds=5, base_url=base_url, api_key=key,
                                               timeout=120, **poll)
        except Exception as exc:  # noqa: BLE001 - counted below
            out = exc
        return out, time.perf_counter() - t

    results = await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - t0, list(results)


def main() -> None:
    os.environ["VIDEONB_HOME"] = tempfile.mkdtemp(prefix="vnb-bench-trust-")
    os.environ.setdefault("VIDEONB_CACHE_DIR", tempfile.mkdtemp(prefix="vnb-bench-cache-"))
    from test_trust_load import (
        FAULT_RATE,
        FAULTS,
        JOB_SECONDS,
        KEY,
        POLL,
        PlannedFaultRunway,
        make_plan,
    )

    import videonb

    # Singles: one clean job, then one job per fault kind (the emulator's first task gets
    # that fault), each alone on a fresh emulator; the slowest is the baseline.  As in the
    # load, a CDN outage counts until its bounded DownloadError.
    singles: dict[str, float] = {}
    with PlannedFaultRunway([None] * 4, expected_key=KEY, job_seconds=JOB_SECONDS,
                            concurrency=None) as emu:   # warm-up: imports, first client
        asyncio.run(load(1, emu.base_url, 9_999, KEY, POLL))
    for i, kind in enumerate([None, *FAULTS]):
        with PlannedFaultRunway([kind] + [None] * 10, expected_key=KEY, job_seconds=JOB_SECONDS,
                                concurrency=None, credits=10**7) as emu:
            seconds, _ = asyncio.run(load(1, emu.base_url, 10_000 + i, KEY, POLL))
        singles[kind or "clean"] = seconds
    slow_kind, slowest = max(singles.items(), key=lambda kv: kv[1])

    plan = make_plan(N)
    os.environ["VIDEONB_HOME"] = tempfile.mkdtemp(prefix="vnb-bench-trust-load-")  # load only
    with PlannedFaultRunway(plan, expected_key=KEY, job_seconds=JOB_SECONDS, concurrency=None,
                            credits=10**7) as emu:
        wall, results = asyncio.run(load(N, emu.base_url, 0, KEY, POLL))
        applied = dict(emu.applied)
        creates = sum(1 for r in emu.requests.filter(method="POST") if r.status == 200)
        emu.clear_faults()
        t = time.perf_counter()
        resumed = videonb.resume(api_key=KEY, base_url=emu.base_url, timeout=60, **POLL)
        resume_s = time.perf_counter() - t
        billed = [j for j in emu.billed()]
        rows = videonb.jobs(limit=10_000)
    outcome = Counter("video" if isinstance(r, videonb.Video) else type(r).__name__
                      for r, _ in results)
    times = sorted(s for _, s in results)
    succeeded = sum(1 for r in rows if r.status == "succeeded")
    ratio = wall / slowest
    cmd = "python benchmarks/bench_trust_load.py"
    single_rows = "\n".join(f"| {k} | {v:.2f} |" for k, v in singles.items())
    md = f"""Command: `{cmd}`. Versions: {versions('httpx')}. Emulated job {JOB_SECONDS} s,
poll interval {POLL['poll_interval']}–{POLL['poll_max']} s, Runway emulator without a
concurrency cap; faults: {FAULT_RATE:.0%} of the tasks by the load test's seeded plan.

| run | wall seconds |
|---|---|
| slowest single job (of {len(singles)}, warm: clean and one per fault kind; slowest: {slow_kind}) | {slowest:.2f} |
| **{N} jobs at once, ~10 % faults** | **{wall:.2f}** → **{ratio:.1f}×** the slowest single job |
| {N} jobs: first / median / p90 / last caller done | {times[0]:.2f} / {statistics.median(times):.2f} / {times[int(0.9 * len(times))]:.2f} / {times[-1]:.2f} |
| resume() of the jobs whose CDN stayed down (faults cleared; not in the wall time) | {resume_s:.2f} ({len(resumed)} jobs) |

Single jobs alone (seconds):

| job | seconds |
|---|---|
{single_rows}

Faults applied: {', '.join(f'{k} {v}' for k, v in sorted(applied.items()))}. Callers got
{', '.join(f'{v} {k}' for k, v in sorted(outcome.items()))}; after resume {succeeded} of
{len(rows)} ledger rows succeeded, {len(billed)} tasks billed, {creates} creates for {N}
requests (INTERNAL resubmits: {applied.get('INTERNAL.BAD_OUTPUT', 0)}).
"""
    write_result(SECTION, md, {"n": N, "wall_s": wall, "slowest_single_s": slowest,
                               "slowest_kind": slow_kind, "ratio": ratio, "singles": singles,
                               "caller_s": times, "resume_s": resume_s, "faults": applied,
                               "outcomes": dict(outcome), "creates": creates,
                               "billed": len(billed), "succeeded_rows": succeeded,
                               "command": cmd})
    # Append (or replace) this section in RESULTS.md, in the file's style.
    results_md = HERE / "RESULTS.md"
    section = (HERE / "results" / f"{SECTION}.md").read_text(encoding="utf-8")
    text = results_md.read_text(encoding="utf-8")
    pattern = re.compile(rf"^## {SECTION}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    results_md.write_text(text, encoding="utf-8")
    print(f"\n{N} jobs: {wall:.2f} s; slowest single job ({slow_kind}): {slowest:.2f} s; "
          f"ratio {ratio:.1f}x. Appended to {results_md} ({machine()})")


if __name__ == "__main__":
    main()
