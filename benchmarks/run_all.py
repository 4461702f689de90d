"""Run every benchmark and rebuild benchmarks/RESULTS.md from their sections.

Run: python benchmarks/run_all.py            (≈ 6–8 min on 2 cores; builds the 10-min clip once, ≈ 5 min)
     python benchmarks/run_all.py --only import player
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from common import HERE, RESULTS, machine, versions

ORDER = ["import", "sampling", "moments", "player", "providers"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    for name in args.only or ORDER:
        print(f"== bench_{name}.py", flush=True)
        subprocess.run([sys.executable, str(HERE / f"bench_{name}.py")], check=True, cwd=HERE)
    sections = [(RESULTS / f"{n}.md") for n in ORDER]
    body = "\n".join(p.read_text(encoding="utf-8") for p in sections if p.exists())
    head = f"""# Benchmark results

Benchmarks time things, so they are not tests: each compares videonb with a baseline measured **in the
same run** and prints the ratio. The machine is shared and noisy (±30 % between runs), so read the
ratios, not the absolute seconds. Regenerate with `python benchmarks/run_all.py` (needs
`pip install -e '.[bench]'`).

Last full run: {machine()}; {versions('av', 'numpy', 'opencv-python-headless', 'scenedetect-headless')}.

"""
    (HERE / "RESULTS.md").write_text(head + body, encoding="utf-8")
    print("wrote", HERE / "RESULTS.md")


if __name__ == "__main__":
    main()
