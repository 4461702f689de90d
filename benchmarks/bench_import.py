"""`import videonb` must stay light: ≤ 0.3 s, measured with `python -X importtime`.

Baseline in the same run: the interpreter starting with nothing imported (`python -c pass`), and
importing the heavy modules videonb defers (av, numpy, cv2, IPython) so the saving is visible.
Run: python benchmarks/bench_import.py
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time

from common import write_result

REPEAT = 7


def wall(code: str) -> float:
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def importtime(module: str) -> float:
    """Cumulative self+children import time of `module` in seconds (median of REPEAT runs)."""
    vals = []
    for _ in range(REPEAT):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                             check=True, capture_output=True, text=True).stderr
        for line in err.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)$", line)
            if m and m.group(3) == module:
                vals.append(int(m.group(2)) / 1e6)
    return statistics.median(vals)


def main() -> None:
    pkg = importtime("videonb")
    heavy = {m: importtime(m) for m in ("av", "numpy", "cv2", "IPython")}
    bare = wall("pass")
    with_pkg = wall("import videonb")
    loaded = subprocess.run([sys.executable, "-c", "import sys, videonb; print(sorted(m for m in "
                             "('av','numpy','cv2','IPython','ipywidgets') if m in sys.modules))"],
                            check=True, capture_output=True, text=True).stdout.strip()
    ok = pkg <= 0.3
    md = f"""Command: `python -X importtime -c "import videonb"` (cumulative time of the `videonb` line, median of {REPEAT}).

| measure | seconds |
|---|---|
| `import videonb` (importtime, cumulative) | **{pkg:.4f}** (target ≤ 0.3: {'met' if ok else 'MISSED'}) |
| interpreter start, `python -c pass` (wall) | {bare:.3f} |
| `python -c "import videonb"` (wall) | {with_pkg:.3f} (ratio to bare start {with_pkg / bare:.2f}×) |
""" + "".join(f"| deferred: `import {m}` (importtime) | {t:.3f} |\n" for m, t in heavy.items()) + f"""
Heavy modules loaded by `import videonb`: {loaded} (expected `[]`).
Import of videonb is {sum(heavy.values()) / pkg:.0f}× cheaper than importing the modules it defers.
"""
    write_result("import", md, {"videonb_import_s": pkg, "heavy": heavy, "bare_wall_s": bare,
                                "videonb_wall_s": with_pkg, "target_met": ok})


if __name__ == "__main__":
    main()
