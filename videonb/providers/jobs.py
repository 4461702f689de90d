"""Durable generation jobs: submit, poll with backoff, download at once, record everything.

The life of a job (each step written to the ledger before the next one starts)::

    created → submitting → submitted → queued/running (polled) → downloading → succeeded
                                                               ↘ failed / cancelled

* Polling waits ``max(provider minimum, server hint, backoff)`` with jitter; server
  hints are ``Retry-After`` and ``openai-poll-after-ms``; 429s and 5xx responses back off
  exponentially, THROTTLED counts as queued.
* The output is downloaded the moment the job succeeds (provider URLs expire within
  hours) into the content-addressed store; an expired URL is re-fetched through a fresh
  poll once before giving up.
* A timeout does *not* end a job: it stays in the ledger as running, and
  ``videonb.resume()`` continues polling it later (after a kernel restart too).
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any, Callable, Generator

from ..errors import (
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    ModerationError,
    OutputExpiredError,
    ProviderError,
)
from .base import PollResult, Provider, Request
from .ledger import JobRecord, Ledger

__all__ = ["Job", "run_job", "Backoff", "active", "video_from_record"]

#: job id → (task, provider) of the jobs this process is driving right now (loop thread only).
_ACTIVE: dict[str, tuple["asyncio.Task[Any]", Provider]] = {}


#: jobs cancelled while their submit was in flight: the runner cancels them at the provider as
#: soon as the submit returns (cancelling the submit itself would lose a job the provider has).
_CANCEL_AFTER_SUBMIT: set[str] = set()


def active(job_id: str) -> tuple["asyncio.Task[Any]", Provider] | None:
    """The task and provider instance driving ``job_id`` in this process, if any."""
    return _ACTIVE.get(job_id)


class Backoff:
    """Exponential backoff with full jitter, bounded by ``minimum`` and ``maximum`` seconds."""

    def __init__(self, minimum: float = 1.0, maximum: float = 30.0, factor: float = 2.0,
                 rng: random.Random | None = None) -> None:
        self.minimum, self.maximum, self.factor = minimum, maximum, factor
        self.attempt = 0
        self.rng = rng or random.Random()

    def next(self, hint: float | None = None) -> float:
        base = min(self.maximum, self.minimum * (self.factor ** self.attempt))
        self.attempt += 1
        delay = self.minimum + self.rng.random() * max(0.0, base - self.minimum)
        if hint is not None:
            delay = max(delay, hint)
        return min(max(delay, self.minimum), max(self.maximum, hint or 0.0))

    def reset(self) -> None:
        self.attempt = 0


class Job:
    """A generation job. ``status``/``progress`` are live; ``result()`` waits for the video.

    ``await job`` works in async code; ``job.result()`` in sync code (it does not block the
    event loop of a Jupyter kernel: waiting happens on videonb's private loop thread).
    """

    def __init__(self, record: JobRecord, provider: Provider, request: Request, ledger: Ledger,
                 future: Any = None) -> None:
        self.id = record.id
        self.provider = provider
        self.request = request
        self.ledger = ledger
        self._future = future
        self._record = record

    # --- state --------------------------------------------------------------------
    @property
    def record(self) -> JobRecord:
        rec = self.ledger.get(self.id)
        if rec is not None:
            self._record = rec
        return self._record

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def progress(self) -> float | None:
        return self.record.progress

    @property
    def done(self) -> bool:
        return self.record.terminal

    # --- control ------------------------------------------------------------------
    def cancel(self) -> None:
        """Cancel the job (at the provider too, when it is still running there)."""
        from .runtime import run_sync

        run_sync(self.cancel_async())

    async def cancel_async(self) -> None:
        rec = self.record
        if rec.terminal:
            return
        task = getattr(self, "_task", None)
        if rec.status == "submitting" and task is not None and not task.done():
            try:
                same_loop = task.get_loop() is asyncio.get_running_loop()
            except RuntimeError:
                same_loop = False
            if same_loop:
                # The provider may be accepting (and billing) it right now: let the submit
                # return, so the task id is recorded and the job is cancelled there too.
                _CANCEL_AFTER_SUBMIT.add(self.id)
                await asyncio.wait([task])
                return
        if self._future is not None:
            self._future.cancel()
        if task is not None and not task.done():
            loop = task.get_loop()
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                task.cancel()
            else:
                loop.call_soon_threadsafe(task.cancel)
        # Mark it first, so the polling task (wherever it runs) stops instead of overwriting it.
        self.ledger.update(self.id, status="cancelled", error_code="cancelled",
                           error_message="cancelled by the user")
        if rec.remote_id and not self.provider.local:
            await _cancel_remote(self.provider, rec.remote_id)
        self.ledger.update(self.id, status="cancelled", error_code="cancelled",
                           error_message="cancelled by the user")

    def result(self, timeout: float | None = None) -> Any:
        """Wait for the job and return its :class:`~videonb.Video` (raises on failure)."""
        from .runtime import run_sync

        return run_sync(self.wait_async(timeout=timeout))

    async def wait_async(self, timeout: float | None = None) -> Any:
        if self._future is not None:
            fut = asyncio.wrap_future(self._future) if not isinstance(self._future, asyncio.Future) \
                else self._future
            return await asyncio.wait_for(asyncio.shield(fut), timeout) if timeout else await fut
        return await run_job(self.provider, self.request, self.record, self.ledger, timeout=timeout)

    def __await__(self) -> Generator[Any, None, Any]:
        return self.wait_async().__await__()

    def __repr__(self) -> str:
        rec = self._record
        pct = f" {rec.progress * 100:.0f}%" if rec.progress is not None else ""
        return f"<Job {self.id} {rec.provider}/{rec.model} {rec.status}{pct}>"

    def _repr_html_(self) -> str:
        from ..display.progress import job_html

        return job_html(self.record)


def video_from_record(rec: JobRecord, request: Request, *, cached: bool = False) -> Any:
    """The :class:`~videonb.Video` of a succeeded job, with its provenance."""
    from ..media.video import Video

    assert rec.output_path
    v = Video(rec.output_path, name=f"{rec.provider}-{rec.id}.mp4")
    v.provenance = {
        "provider": rec.provider, "model": rec.model, "job_id": rec.id,
        "remote_id": rec.remote_id, "operation": rec.operation,
        "cost_usd": rec.cost if rec.cost is not None else rec.cost_estimate,
        "seconds": request.seconds, "prompt_hash": rec.prompt_hash,
        "created": rec.created_at, "finished": rec.finished_at, "output_sha256": rec.output_hash,
        "cached": cached,
    }
    return v


def _raise_failure(rec: JobRecord) -> None:
    msg = f"{rec.provider}/{rec.model} job {rec.id} failed"
    if rec.error_code:
        msg += f" ({rec.error_code})"
    if rec.error_message:
        msg += f": {rec.error_message.rstrip('.')}"
    if rec.status == "cancelled":
        raise JobCancelledError(msg.replace("failed", "was cancelled"), provider=rec.provider)
    code = (rec.error_code or "").upper()
    if "SAFETY" in code or "MODERAT" in code or "CONTENT_POLICY" in code:
        raise ModerationError(msg + ". Change the prompt or inputs; this is not retried.",
                              provider=rec.provider, detail_code=rec.error_code)
    if code == "OUTPUT_EXPIRED":
        raise OutputExpiredError(msg, provider=rec.provider, detail_code=rec.error_code)
    raise JobFailedError(msg, provider=rec.provider, detail_code=rec.error_code)


async def _cancel_if_requested(provider: Provider, rec: JobRecord, ledger: Ledger) -> None:
    """A cancel that arrived during the submit: cancel at the provider now that the id is known."""
    if rec.id not in _CANCEL_AFTER_SUBMIT:
        return
    _CANCEL_AFTER_SUBMIT.discard(rec.id)
    rec = ledger.update(rec.id, status="cancelled", error_code="cancelled",
                        error_message="cancelled by the user (during the submit)")
    await _cancel_remote(provider, rec.remote_id or "")
    _raise_failure(rec)


async def _cancel_remote(provider: Provider, remote_id: str) -> None:
    try:
        await provider.cancel(remote_id)
    except ProviderError:
        pass  # already finished or gone: the ledger says cancelled either way


async def run_job(provider: Provider, request: Request, rec: JobRecord, ledger: Ledger, *,
                  timeout: float | None = None,
                  on_update: Callable[[JobRecord], Any] | None = None) -> Any:
    """Drive one job to a terminal state; return the Video or raise the job's error."""
    task = asyncio.current_task()
    if task is not None:
        _ACTIVE[rec.id] = (task, provider)
    try:
        return await _drive(provider, request, rec, ledger, timeout=timeout, on_update=on_update)
    finally:
        if task is not None and _ACTIVE.get(rec.id, (None,))[0] is task:
            del _ACTIVE[rec.id]


async def _drive(provider: Provider, request: Request, rec: JobRecord, ledger: Ledger, *,
                 timeout: float | None, on_update: Callable[[JobRecord], Any] | None) -> Any:
    deadline = None if timeout is None else time.monotonic() + timeout

    def update(**fields: Any) -> JobRecord:
        current = ledger.get(rec.id)
        if current is not None and current.status == "cancelled" and fields.get("status") != "cancelled":
            # Cancelled from elsewhere (job.cancel() in another thread): never resurrect it.
            raise JobCancelledError(f"{rec.provider} job {rec.id} was cancelled.", provider=rec.provider)
        new = ledger.update(rec.id, **fields)
        if on_update is not None:
            on_update(new)
        return new

    if rec.status == "succeeded" and rec.output_path and Path(rec.output_path).exists():
        return video_from_record(rec, request)
    if rec.terminal:
        _raise_failure(rec)

    # --- local renderers: no remote state -------------------------------------------
    if provider.local:
        update(status="running", progress=0.0, submitted_at=time.time())
        tmp = ledger.store / f".render-{rec.id}.mp4"
        try:
            out = await provider.render(request, tmp)
        except asyncio.CancelledError:
            update(status="cancelled", error_code="cancelled", error_message="cancelled")
            raise
        except ProviderError as exc:
            update(status="failed", error_code=exc.code, error_message=str(exc))
            raise
        except Exception as exc:  # a local renderer bug must still end the job in the ledger
            update(status="failed", error_code=type(exc).__name__, error_message=str(exc))
            raise
        digest, stored = ledger.store_output(Path(out))
        rec = update(status="succeeded", progress=1.0, output_hash=digest,
                     output_path=str(stored), cost=0.0)
        return video_from_record(rec, request)

    # --- remote providers -------------------------------------------------------------
    if rec.remote_id is None:
        if rec.status == "submitting":
            # We crashed during a submit: the provider may have the job (and may bill it).
            rec = update(status="failed", error_code="lost_submit", error_message=(
                "the kernel stopped while the job was being submitted; videonb cannot tell "
                "whether the provider received it. Check the provider's dashboard before "
                "submitting again."))
            _raise_failure(rec)
        update(status="submitting")
        try:
            remote_id = await provider.submit(request)
        except ProviderError as exc:
            update(status="failed", error_code=exc.detail_code or exc.code, error_message=str(exc))
            raise
        except asyncio.CancelledError:
            update(status="failed", error_code="lost_submit",
                   error_message="cancelled while submitting; the provider may have the job")
            raise
        rec = update(status="submitted", remote_id=remote_id, submitted_at=time.time())
        await _cancel_if_requested(provider, rec, ledger)

    assert rec.remote_id is not None
    backoff = Backoff(minimum=float(provider.options.get("poll_interval", getattr(provider, "min_poll", 5.0))),
                      maximum=float(provider.options.get("poll_max", 30.0)))
    expired_retries = 0
    resubmits = int(provider.options.get("resubmits", 2))
    while True:
        if deadline is not None and time.monotonic() > deadline:
            raise JobTimeoutError(
                f"{rec.provider} job {rec.id} is still {rec.status} after {timeout:g} s. It keeps "
                f"running at the provider and stays in the ledger: videonb.resume() picks it up.",
                provider=rec.provider)
        try:
            res: PollResult = await provider.poll(rec.remote_id)
        except ProviderError as exc:
            if not exc.retryable:
                rec = update(status="failed", error_code=exc.detail_code or exc.code,
                             error_message=str(exc))
                raise
            await asyncio.sleep(backoff.next(getattr(exc, "retry_after", None)))
            continue
        if res.status in ("queued", "running"):
            if res.status != rec.status or res.progress != rec.progress:
                rec = update(status=res.status, progress=res.progress)
            await asyncio.sleep(backoff.next(res.retry_after))
            continue
        if res.status == "failed" and provider.retryable_failure(res.error_code) and resubmits > 0:
            # A transient failure on the provider's side (e.g. Runway INTERNAL.*): failed tasks
            # are not billed, so a fresh task is the right retry.
            resubmits -= 1
            update(status="submitting", error_code=res.error_code,
                   error_message=f"retrying after {res.error_code}")
            try:
                remote_id = await provider.submit(request)
            except ProviderError as exc:
                update(status="failed", error_code=exc.detail_code or exc.code, error_message=str(exc))
                raise
            rec = update(status="submitted", remote_id=remote_id, submitted_at=time.time())
            await _cancel_if_requested(provider, rec, ledger)
            backoff.reset()
            continue
        if res.status in ("failed", "cancelled"):
            rec = update(status=res.status, error_code=res.error_code, error_message=res.error_message)
            _raise_failure(rec)
        # succeeded: download now, before the URL expires
        rec = update(status="downloading", progress=1.0)
        tmp = ledger.store / f".download-{rec.id}.mp4"
        try:
            await provider.download(res.output_url or "", tmp)
        except OutputExpiredError:
            expired_retries += 1
            if expired_retries <= 1:
                continue  # a fresh poll usually returns a freshly signed URL
            rec = update(status="failed", error_code="OUTPUT_EXPIRED",
                         error_message="the output URL expired before it could be downloaded")
            _raise_failure(rec)
        except ProviderError as exc:
            if exc.retryable:
                await asyncio.sleep(backoff.next(getattr(exc, "retry_after", None)))
                continue
            rec = update(status="failed", error_code=exc.code, error_message=str(exc))
            raise
        digest, stored = ledger.store_output(tmp)
        rec = update(status="succeeded", output_hash=digest, output_path=str(stored),
                     cost=rec.cost_estimate)
        return video_from_record(rec, request)
