"""An account's money on the simulated clock: a credit balance charged when a job
is submitted, refunded when it fails or is cancelled before it ran, per-model daily
generation caps over a rolling day, and a ledger of every charge and refund (for
usage reports by day and model).  Providers word the refusals."""

from __future__ import annotations

import threading
import time
from typing import Any

from .jobs import Clock, Job

__all__ = ["Wallet"]

DAY = 86400.0


class Wallet:
    """``credits`` (read and set by tests) and ``daily_limit`` generations per model
    (``model_limits`` gives some models a cap of their own)."""

    def __init__(
        self,
        clock: Clock,
        credits: int,
        daily_limit: int | None = None,
        model_limits: dict[str, int | None] | None = None,
    ) -> None:
        self.clock = clock
        self.credits = int(credits)
        self.daily_limit = daily_limit
        self.model_limits: dict[str, int | None] = dict(model_limits or {})
        #: ``(time, model, credits)`` of every charge (positive) and refund (negative).
        self.ledger: list[tuple[float, str, int]] = []
        self._daily: dict[str, list[float]] = {}
        self._lock = threading.RLock()

    def limit(self, model: str) -> int | None:
        """The daily generation cap of *model* (its own, else the account's)."""
        return self.model_limits.get(model, self.daily_limit)

    def charge(self, model: str, cost: int) -> str | None:
        """Take *cost* for one generation of *model*; or the reason it is refused
        (``"daily_limit"``, ``"credits"``) with nothing taken."""
        now = self.clock.now()
        with self._lock:
            window = [t for t in self._daily.get(model, []) if t > now - DAY]
            self._daily[model] = window
            limit = self.limit(model)
            if limit is not None and len(window) >= limit:
                return "daily_limit"
            if cost > self.credits:
                return "credits"
            self.credits -= cost
            self.ledger.append((now, model, cost))
            window.append(now)
        return None

    def settle(self, job: Job, state: str) -> None:
        """Once a job (``job.data["cost"]``) has ended: refund it if it failed."""
        with self._lock:
            if job.data.get("settled") or state not in ("failed", "succeeded", "cancelled"):
                return
            if state == "failed":
                self._refund(job)
            job.data["settled"] = True

    def _refund(self, job: Job) -> None:
        self.credits += job.data["cost"]
        self.ledger.append((self.clock.now(), str(job.data.get("model", "")), -job.data["cost"]))

    def cancel(self, job: Job, state: str) -> None:
        """A job cancelled in *state*: refunded unless it was already running."""
        with self._lock:
            if state == "running":
                job.data["charged"] = True  # no refund once it was observed running
            elif not job.data.get("settled"):
                self._refund(job)
            job.data["settled"] = True

    def spent(self, start: float, end: float) -> dict[tuple[str, str], int]:
        """Net credits per ``(UTC date "YYYY-MM-DD", model)`` charged in [start, end)."""
        out: dict[tuple[str, str], int] = {}
        with self._lock:
            for t, model, amount in self.ledger:
                if start <= t < end:
                    key = (time.strftime("%Y-%m-%d", time.gmtime(t)), model)
                    out[key] = out.get(key, 0) + amount
        return out

    def daily_usage(self) -> dict[str, dict[str, Any]]:
        """``{model: {"dailyGenerations": n}}`` over the last rolling day."""
        now = self.clock.now()
        with self._lock:
            return {
                m: {"dailyGenerations": len([t for t in ts if t > now - DAY])}
                for m, ts in self._daily.items()
            }
