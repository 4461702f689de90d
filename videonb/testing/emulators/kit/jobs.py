"""Time and jobs on the emulator's simulated clock: a :class:`Clock` tests move
forward without waiting, a :class:`Job` (pending → throttled → running → succeeded /
failed / cancelled, with progress) and a :class:`JobScheduler` that runs jobs under a
concurrency limit, lazily, so the states do not depend on how often anyone polls."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Clock", "Job", "JobScheduler"]


class Clock:
    """Wall time plus an offset that tests can move forward with :meth:`advance`.

    Job progress, throttling, file processing and URL expiry all read this clock,
    so ``emu.clock.advance(3600)`` expires every output URL at once without waiting."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the emulated server sees them."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds

    @property
    def offset(self) -> float:
        return self._offset


@dataclass
class Job:
    """A simulated asynchronous job (a Runway task, an OpenAI video, …).

    Times are :class:`Clock` times.  A job waits ``pending_seconds`` after creation,
    then for a free slot (while it waits for one it is *throttled*), then runs for
    ``run_seconds``; ``failure`` set means it ends failed instead of succeeded."""

    id: str
    created: float
    pending_seconds: float
    run_seconds: float
    failure: tuple[str, str] | None = None  # (code, message)
    fail_early: bool = False  # input moderation: fails when it would start running
    started: float | None = None
    ended: float | None = None
    cancelled: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    #: Jobs share a concurrency limit within their group (Runway: per model).
    group: str = ""

    def state(self, now: float) -> str:
        """One of ``pending``, ``throttled``, ``running``, ``succeeded``, ``failed``, ``cancelled``."""
        if self.cancelled:
            return "cancelled"
        if self.ended is not None and self.ended <= now:
            return "failed" if self.failure else "succeeded"
        if self.started is not None:
            return "running"
        if now >= self.created + self.pending_seconds:
            return "throttled"
        return "pending"

    def progress(self, now: float) -> float:
        """0..1 while running (1 once ended)."""
        if self.started is None:
            return 0.0
        if self.ended is not None and self.ended <= now:
            return 1.0
        if self.run_seconds <= 0:
            return 1.0
        return max(0.0, min(0.999, (now - self.started) / self.run_seconds))


class JobScheduler:
    """Runs :class:`Job` objects against a :class:`Clock` with an optional concurrency limit.

    The limit applies within each job's ``group`` (all jobs share the group ``""``
    unless the provider says otherwise, e.g. Runway limits concurrency per model);
    ``group_limits`` gives some groups a limit of their own.  The state is computed
    lazily, event by event, whenever it is read, so it does not depend on how often
    anyone polls."""

    def __init__(
        self,
        clock: Clock,
        concurrency: int | None = None,
        group_limits: dict[str, int | None] | None = None,
    ) -> None:
        self.clock = clock
        self.concurrency = concurrency
        self.group_limits: dict[str, int | None] = dict(group_limits or {})
        self.jobs: dict[str, Job] = {}
        self._order: list[Job] = []
        self._cursor = float("-inf")
        self._lock = threading.RLock()

    def add(self, job: Job) -> Job:
        with self._lock:
            self.tick()
            self.jobs[job.id] = job
            self._order.append(job)
            return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            self.tick()
            return self.jobs.get(job_id)

    def remove(self, job_id: str) -> None:
        with self._lock:
            job = self.jobs.pop(job_id, None)
            if job is not None:
                self._order.remove(job)

    def cancel(self, job: Job) -> None:
        with self._lock:
            now = self.tick()
            job.cancelled = True
            if job.ended is None or job.ended > now:
                job.ended = now

    def view(self, job: Job) -> tuple[str, float, float]:
        """(state, progress, now) of *job*, all read at one instant of the clock."""
        with self._lock:
            now = self.tick()
            return job.state(now), job.progress(now), now

    def state(self, job: Job) -> str:
        return self.view(job)[0]

    def all(self) -> list[Job]:
        with self._lock:
            self.tick()
            return list(self._order)

    def limit(self, group: str) -> int | None:
        """The concurrency limit of *group* (its own, else the scheduler's)."""
        return self.group_limits.get(group, self.concurrency)

    def tick(self, now: float | None = None) -> float:
        """Apply every event up to *now* (default: the clock's now); return that time."""
        if now is None:
            now = self.clock.now()
        with self._lock:
            while True:
                active = [j for j in self._order if not j.cancelled and j.ended is None]
                running = [j for j in active if j.started is not None]
                waiting = [j for j in active if j.started is None]
                events: list[tuple[float, int, Job]] = []
                for j in running:
                    events.append((j.started + j.run_seconds, 0, j))  # type: ignore[operator]
                first: dict[str, Job] = {}
                for w in waiting:
                    first.setdefault(w.group, w)
                for group, w in first.items():
                    limit = self.limit(group)
                    busy = sum(1 for j in running if j.group == group)
                    if limit is None or busy < limit:
                        events.append((max(w.created + w.pending_seconds, self._cursor), 1, w))
                if not events:
                    break
                when, kind, job = min(events, key=lambda e: (e[0], e[1]))
                if when > now:
                    break
                self._cursor = max(self._cursor, when)
                if kind == 0:
                    job.ended = when
                elif job.fail_early and job.failure:
                    job.started = when
                    job.ended = when
                else:
                    job.started = when
        return now
