"""An account's money on the simulated clock: a credit balance charged when a job
is submitted, refunded when it fails or is cancelled before it ran, and per-model
daily generation caps over a rolling day.  Providers word the refusals."""

from __future__ import annotations

import threading
from typing import Any

from .jobs import Clock, Job

__all__ = ["Wallet"]

DAY = 86400.0


class Wallet:
    """``credits`` (read and set by tests) and ``daily_limit`` generations per model."""

    def __init__(self, clock: Clock, credits: int, daily_limit: int | None = None) -> None:
        self.clock = clock
        self.credits = int(credits)
        self.daily_limit = daily_limit
        self._daily: dict[str, list[float]] = {}
        self._lock = threading.RLock()

    def charge(self, model: str, cost: int) -> str | None:
        """Take *cost* for one generation of *model*; or the reason it is refused
        (``"daily_limit"``, ``"credits"``) with nothing taken."""
        now = self.clock.now()
        with self._lock:
            window = [t for t in self._daily.get(model, []) if t > now - DAY]
            self._daily[model] = window
            if self.daily_limit is not None and len(window) >= self.daily_limit:
                return "daily_limit"
            if cost > self.credits:
                return "credits"
            self.credits -= cost
            window.append(now)
        return None

    def settle(self, job: Job, state: str) -> None:
        """Once a job (``job.data["cost"]``) has ended: refund it if it failed."""
        with self._lock:
            if job.data.get("settled") or state not in ("failed", "succeeded", "cancelled"):
                return
            if state == "failed":
                self.credits += job.data["cost"]
            job.data["settled"] = True

    def cancel(self, job: Job, state: str) -> None:
        """A job cancelled in *state*: refunded unless it was already running."""
        with self._lock:
            if state == "running":
                job.data["charged"] = True  # no refund once it was observed running
            elif not job.data.get("settled"):
                self.credits += job.data["cost"]
            job.data["settled"] = True

    def daily_usage(self) -> dict[str, dict[str, Any]]:
        """``{model: {"dailyGenerations": n}}`` over the last rolling day."""
        now = self.clock.now()
        with self._lock:
            return {
                m: {"dailyGenerations": len([t for t in ts if t > now - DAY])}
                for m, ts in self._daily.items()
            }
