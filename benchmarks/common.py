"""Shared helpers for the benchmarks (not tests: they time things and print ratios)."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}"


def versions(*names: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for n in names:
        try:
            out.append(f"{n} {version(n)}")
        except PackageNotFoundError:
            out.append(f"{n} (not installed)")
    return ", ".join(out)


class Timer:
    def __enter__(self) -> "Timer":
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.t0


def write_result(name: str, markdown: str, data: dict) -> None:
    """Save one benchmark's section (markdown) and raw figures (json) under results/."""
    RESULTS.mkdir(exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = f"## {name}\n\n_{stamp} · {machine()}_\n\n"
    (RESULTS / f"{name}.md").write_text(header + markdown.strip() + "\n", encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(json.dumps({"date": stamp, "machine": machine(), **data},
                                                     indent=2, default=str), encoding="utf-8")
    print(header + markdown)


def python() -> str:
    return sys.executable


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
