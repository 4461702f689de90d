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
import re
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Generator

from .._redact import redact
from ..errors import (
    DownloadError,
    JobCancelledError,
    LedgerError,
    JobFailedError,
    JobOriginError,
    JobTimeoutError,
    ModerationError,
    OutputExpiredError,
    ProviderError,
    ProviderHTTPError,
    StorageError,
    VideonbError,
)
from . import emulation
from .base import PollResult, Provider, Request, hash_file, render_details
from .boundary import guarded
from .ledger import JobRecord, Ledger

__all__ = ["Job", "run_job", "follow", "Backoff", "active", "driving", "video_from_record",
           "check_inputs"]

#: job id → (task, provider) of the jobs this process is driving right now (loop thread only).
_ACTIVE: dict[str, tuple["asyncio.Task[Any]", Provider]] = {}


#: jobs cancelled while their submit was in flight: the runner cancels them at the provider as
#: soon as the submit returns (cancelling the submit itself would lose a job the provider has).
_CANCEL_AFTER_SUBMIT: set[str] = set()


def active(job_id: str) -> tuple["asyncio.Task[Any]", Provider] | None:
    """The task and provider instance driving ``job_id`` in this process, if any."""
    return _ACTIVE.get(job_id)


def driving(job_id: str) -> bool:
    """True while a task of this process drives ``job_id`` (for :meth:`Ledger.live`)."""
    entry = _ACTIVE.get(job_id)
    return entry is not None and not entry[0].done()


#: Seconds between lease renewals of a job being driven (well inside ledger.LEASE_TTL).
HEARTBEAT = 15.0
#: Consecutive failed polls (each already retried inside the HTTP layer) before giving up
#: for now; the job stays resumable.
MAX_POLL_FAILURES = 12
#: The longest a server's "poll again later" hint is honoured, in seconds (and never past the
#: caller's timeout).
MAX_HINT = 300.0


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
        if hint is not None and not (0.0 <= hint < float("inf")):
            hint = None  # a negative, NaN or infinite hint is no hint
        if hint is not None:
            hint = min(hint, MAX_HINT)
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
        """Cancel the job (at the provider too, when it is still running there).  On a provider
        whose API cannot cancel (``provider.cancellable`` False: Kling) this only stops the
        wait: the provider finishes and bills the job, and ``videonb.resume()`` fetches it."""
        from .runtime import run_sync

        run_sync(self.cancel_async())

    async def cancel_async(self) -> None:
        rec = self.record
        if rec.terminal:
            return
        task = getattr(self, "_task", None)
        if rec.status == "downloading" or (rec.status != "created"
                                           and not getattr(self.provider, "cancellable", True)):
            # Billed already (or, on a provider that cannot cancel, about to be: it finishes
            # the job whatever we do): cancelling now would throw the paid output away. Stop
            # waiting here only; the job stays resumable (videonb.resume()).
            for pending in (self._future, task):
                if pending is not None and not pending.done():
                    _cancel_soon(pending)
            return
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
        """Wait for the job and return its :class:`~videonb.Video` (raises on failure).  (A
        cancel that comes once the job has succeeded at the provider — while its output
        downloads — only stops the wait: the billed output stays resumable.)"""
        from .runtime import run_sync

        return run_sync(self.wait_async(timeout=timeout))

    async def wait_async(self, timeout: float | None = None) -> Any:
        try:
            if self._future is not None:
                fut = asyncio.wrap_future(self._future) \
                    if not isinstance(self._future, asyncio.Future) else self._future
                return await asyncio.wait_for(asyncio.shield(fut), timeout) if timeout \
                    else await fut
            return await follow(self.provider, self.request, self.record, self.ledger,
                                timeout=timeout)
        except asyncio.TimeoutError:
            raise JobTimeoutError(
                f"{self.provider.name} job {self.id} is still running after {timeout:g} s; it "
                f"stays in the ledger (videonb.resume({self.id!r})).",
                provider=self.provider.name) from None
        except BaseException as exc:
            raise guarded(exc, self.provider.name) from None

    def __await__(self) -> Generator[Any, None, Any]:
        return self.wait_async().__await__()

    def __repr__(self) -> str:
        rec = self._record
        pct = f" {rec.progress * 100:.0f}%" if rec.progress is not None else ""
        return f"<Job {self.id} {rec.provider}/{rec.model} {rec.status}{pct}>"

    def _repr_html_(self) -> str:
        from ..display.progress import job_html

        return job_html(self.record)


def _cancel_soon(pending: Any) -> None:
    """Cancel an asyncio task (from any thread) or a concurrent future."""
    if isinstance(pending, asyncio.Future):
        loop = pending.get_loop()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            pending.cancel()
        else:
            loop.call_soon_threadsafe(pending.cancel)
    else:
        pending.cancel()


#: Job ids videonb makes (``Ledger``); a row with another id is not acted on.
JOB_ID = re.compile(r"vnb_[0-9A-Za-z_]{1,64}")
#: What a provider's task id may look like before it goes into a URL path.
REMOTE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:~-]{0,255}")


def check_row(rec: JobRecord) -> None:
    """:class:`~videonb.errors.LedgerError` for a row videonb would not have written: an id of
    another shape (it names files), a task id that is not one path segment, a task-less row
    that claims to be running."""
    if not isinstance(rec.id, str) or not JOB_ID.fullmatch(rec.id):
        raise LedgerError(f"A ledger row has the id {str(rec.id)[:60]!r}, which videonb never "
                          f"makes; it was left alone (was the ledger copied from elsewhere?).")
    if rec.remote_id is not None and not (isinstance(rec.remote_id, str)
                                          and REMOTE_ID.fullmatch(rec.remote_id)):
        raise LedgerError(f"Job {rec.id} records the task id {str(rec.remote_id)[:60]!r}, which "
                          f"is not one; it was left alone.")
    if rec.remote_id is None and rec.status not in ("created", "submitting") \
            and not rec.terminal and not _renders_here(rec.provider):
        raise LedgerError(f"Job {rec.id} is {rec.status!r} but records no task id, so there is "
                          f"nothing to resume; it was left alone. Check the provider's "
                          f"dashboard.")


def _renders_here(provider: str) -> bool:
    """True for a provider that renders on this machine (``local``, ``diffusers``): its running
    rows have no task id by design."""
    from .registry import provider_classes

    cls = provider_classes().get(provider)
    return isinstance(cls, type) and bool(cls.local)


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
        "cached": cached, "emulated": bool(rec.emulated),
    }
    if rec.remote_id is None:  # rendered on this machine: the file says how (model revision, seed...)
        v.provenance.update({k: val for k, val in render_details(rec.output_path).items()
                             if k not in v.provenance})
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


def check_inputs(request: Request) -> None:
    """Raise :class:`JobOriginError` unless every input file still has the content hash the
    request recorded (so a ledger row can never make videonb upload another file)."""
    for kind, path in request.input_paths.items():
        want = request.inputs.get(kind)
        try:
            have = hash_file(path)
        except OSError:
            have = None
        if want is None or have != want:
            raise JobOriginError(
                f"The {kind} input recorded for this job ({path}) "
                + ("is gone" if have is None else "has changed since the job was recorded")
                + "; nothing was uploaded. Start the generation again with the file you mean.")


async def _heartbeat(ledger: Ledger, job_id: str) -> None:
    while True:
        try:
            ledger.heartbeat([job_id])
        except VideonbError:
            pass  # a locked or full ledger: the next beat tries again
        await asyncio.sleep(HEARTBEAT)


async def run_job(provider: Provider, request: Request, rec: JobRecord, ledger: Ledger, *,
                  timeout: float | None = None,
                  on_update: Callable[[JobRecord], Any] | None = None) -> Any:
    """Drive one job to a terminal state; return the Video or raise the job's error.
    The caller holds the job's lease (a claim made it, or :func:`follow` took it over)."""
    check_row(rec)
    task = asyncio.current_task()
    if task is not None:
        _ACTIVE[rec.id] = (task, provider)
    beat = None if provider.local else asyncio.ensure_future(_heartbeat(ledger, rec.id))
    try:
        return await _drive(provider, request, rec, ledger, timeout=timeout, on_update=on_update)
    finally:
        if beat is not None:
            beat.cancel()
        if task is not None and _ACTIVE.get(rec.id, (None,))[0] is task:
            del _ACTIVE[rec.id]
        try:  # stopped without finishing (a download left for later, a timeout): free it at
            ledger.release(rec.id)  # once for resume() in another kernel (terminal rows too)
        except VideonbError:
            pass


async def follow(provider: Provider, request: Request, rec: JobRecord, ledger: Ledger, *,
                 timeout: float | None = None,
                 on_update: Callable[[JobRecord], Any] | None = None) -> Any:
    """Wait for a job that may be driven elsewhere — by a task of this process, by another
    kernel on the same ledger — and drive it here only when nobody else does any more."""
    from ..settings import config

    limit = float(timeout if timeout is not None else config.job_timeout)
    deadline = time.monotonic() + limit
    delay = 0.05
    while True:
        entry = _ACTIVE.get(rec.id)
        if entry is not None and not entry[0].done() and entry[0] is not asyncio.current_task():
            try:
                same_loop = entry[0].get_loop() is asyncio.get_running_loop()
            except RuntimeError:
                same_loop = False
            if same_loop:
                left = max(0.0, deadline - time.monotonic())
                try:
                    return await asyncio.wait_for(asyncio.shield(entry[0]), left)
                except asyncio.TimeoutError:
                    raise _still_running(rec, limit) from None
                except asyncio.CancelledError:
                    me = asyncio.current_task()
                    if not entry[0].cancelled() or (me is not None and getattr(
                            me, "cancelling", lambda: 0)()):
                        raise  # this waiter itself was cancelled
                    # the caller driving it was cancelled, not this one: go on (take it over)
        current = ledger.get(rec.id)
        if current is None:
            raise JobOriginError(f"Job {rec.id} is no longer in the ledger ({ledger.path}).")
        rec = current
        if rec.terminal:
            if rec.status == "succeeded" and ledger.stored(rec) is not None:
                return video_from_record(rec, request)
            _raise_failure(rec)
        if not ledger.live(rec, driving=driving):
            if ledger.take_lease(rec.id):
                rec = ledger.get(rec.id) or rec
                return await run_job(provider, request, rec, ledger,
                                     timeout=max(0.0, deadline - time.monotonic()),
                                     on_update=on_update)
        if time.monotonic() > deadline:
            raise _still_running(rec, limit)
        await asyncio.sleep(delay)
        delay = min(1.0, delay * 1.5)


def _still_running(rec: JobRecord, limit: float) -> JobTimeoutError:
    return JobTimeoutError(
        f"{rec.provider} job {rec.id} is still {rec.status} after {limit:g} s. It keeps "
        f"running at the provider and stays in the ledger: videonb.resume({rec.id!r}) picks it "
        f"up.", provider=rec.provider)


async def _pause(seconds: float, deadline: float) -> None:
    """Sleep ``seconds`` (a server's hint included), never past ``deadline``."""
    await asyncio.sleep(max(0.0, min(seconds, deadline - time.monotonic())))


def _failed(exc: BaseException) -> tuple[str, str]:
    """(error_code, message) of a submit or poll failure, redacted."""
    if isinstance(exc, ProviderError):
        return exc.detail_code or exc.code, str(exc)
    if isinstance(exc, VideonbError):
        return exc.code, str(exc)
    return type(exc).__name__, redact(f"{type(exc).__name__}: {exc}")[:500]


async def _drive(provider: Provider, request: Request, rec: JobRecord, ledger: Ledger, *,
                 timeout: float | None, on_update: Callable[[JobRecord], Any] | None) -> Any:
    from ..settings import config

    limit = float(timeout if timeout is not None else config.job_timeout)
    deadline = time.monotonic() + limit

    def update(**fields: Any) -> JobRecord:
        new = ledger.advance(rec.id, **fields)
        if new is None:
            # Cancelled from elsewhere (job.cancel() in another thread): never resurrect it.
            raise JobCancelledError(f"{rec.provider} job {rec.id} was cancelled.", provider=rec.provider)
        if on_update is not None:
            on_update(new)
        return new

    if rec.status == "succeeded" and ledger.stored(rec) is not None:
        return video_from_record(rec, request)
    if rec.terminal:
        _raise_failure(rec)

    # --- local renderers: no remote state -------------------------------------------
    if provider.local:
        check_inputs(request)  # a row read back from the ledger names its files: verify them
        update(status="running", progress=0.0, submitted_at=time.time())
        tmp = ledger.store / f".render-{uuid.uuid4().hex}.mp4"

        def progress(fraction: float) -> bool:
            """A renderer's progress (on this loop); False once the job was cancelled."""
            try:
                update(progress=round(min(1.0, max(0.0, float(fraction))), 4))
            except JobCancelledError:
                return False
            return True

        try:
            if provider.reports_progress:
                out = await provider.render(request, tmp, progress=progress)
            else:
                out = await provider.render(request, tmp)
            digest, stored = ledger.store_output(Path(out))
        except asyncio.CancelledError:
            update(status="cancelled", error_code="cancelled", error_message="cancelled")
            raise
        except VideonbError as exc:
            update(status="failed", error_code=exc.code, error_message=str(exc))
            raise
        except Exception as exc:  # a local renderer bug must still end the job in the ledger
            update(status="failed", error_code=type(exc).__name__, error_message=str(exc))
            raise
        finally:
            tmp.unlink(missing_ok=True)
        rec = update(status="succeeded", progress=1.0, output_hash=digest,
                     output_path=str(stored), cost=0.0, lease_owner=None, lease_at=None)
        return video_from_record(rec, request)

    # --- remote providers -------------------------------------------------------------
    if rec.status == "submitting":
        # We crashed during a submit (a first one, or a resubmit after an INTERNAL failure):
        # the provider may have the job, and may bill it. Never submitted again by itself.
        rec = update(status="failed", error_code="lost_submit", error_message=(
            "the kernel stopped while the job was being submitted; videonb cannot tell "
            "whether the provider received it. Check the provider's dashboard before "
            "submitting again."))
        _raise_failure(rec)
    if rec.remote_id is None:
        check_inputs(request)
        if not ledger.begin_submit(rec.id):
            # Another process took the row over (or it moved on): follow it, never submit twice.
            return await follow(provider, request, rec, ledger, timeout=timeout,
                                on_update=on_update)
        rec = update(status="submitting")
        rec = await _submit(provider, request, rec, ledger, update)

    assert rec.remote_id is not None
    backoff = Backoff(minimum=float(provider.options.get("poll_interval", getattr(provider, "min_poll", 5.0))),
                      maximum=float(provider.options.get("poll_max", 30.0)))
    expired_retries = 0
    poll_failures = 0
    resubmits = int(provider.options.get("resubmits", 2))
    while True:
        if time.monotonic() > deadline:
            raise _still_running(rec, limit)
        try:
            res: PollResult = await provider.poll(rec.remote_id)
            poll_failures = 0
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every poll failure is judged here
            retryable = exc.retryable if isinstance(exc, ProviderError) else (
                not isinstance(exc, VideonbError))
            if not retryable:
                code, message = _failed(exc)
                rec = update(status="failed", error_code=code, error_message=message)
                if isinstance(exc, VideonbError):
                    raise
                raise ProviderHTTPError(f"{rec.provider} job {rec.id}: {message}",
                                        provider=rec.provider) from None
            poll_failures += 1
            if poll_failures >= MAX_POLL_FAILURES:
                code, message = _failed(exc)
                update(error_code=code, error_message=f"polling failed: {message}")
                raise ProviderHTTPError(
                    f"{rec.provider} job {rec.id}: the provider could not be reached "
                    f"{poll_failures} times in a row ({message}). The job stays in the ledger: "
                    f"videonb.resume({rec.id!r}) picks it up later.", provider=rec.provider,
                    retryable=True) from None
            await _pause(backoff.next(getattr(exc, "retry_after", None)), deadline)
            continue
        if res.status in ("queued", "running"):
            if res.status != rec.status or res.progress != rec.progress:
                rec = update(status=res.status, progress=res.progress)
            await _pause(backoff.next(res.retry_after), deadline)
            continue
        if res.status == "failed" and provider.retryable_failure(res.error_code) and resubmits > 0:
            # A transient failure on the provider's side (e.g. Runway INTERNAL.*): failed tasks
            # are not billed, so a fresh task is the right retry.
            resubmits -= 1
            # The old task id goes: a kernel that stops during this submit must leave a row
            # that resume() reads as "lost during a submit", not one it would submit again.
            rec = update(status="submitting", remote_id=None, error_code=res.error_code,
                         error_message=f"retrying after {res.error_code}")
            rec = await _submit(provider, request, rec, ledger, update)
            backoff.reset()
            continue
        if res.status in ("failed", "cancelled"):
            rec = update(status=res.status, error_code=res.error_code, error_message=res.error_message)
            _raise_failure(rec)
        # succeeded: the provider has billed it. Download now, before the URL expires; from
        # here on the job is never marked failed for a download problem.
        rec = update(status="downloading", progress=1.0, cost=rec.cost_estimate)
        try:
            stored_rec = await _download(provider, res, rec, ledger, update)
        except OutputExpiredError:
            expired_retries += 1
            if expired_retries <= 1:
                continue  # a fresh poll usually returns a freshly signed URL
            rec = update(status="failed", error_code="OUTPUT_EXPIRED",
                         error_message="the output URL expired before it could be downloaded "
                                       "(the job was billed)")
            _raise_failure(rec)
        return video_from_record(stored_rec, request)


async def _submit(provider: Provider, request: Request, rec: JobRecord, ledger: Ledger,
                  update: Callable[..., JobRecord]) -> JobRecord:
    """Submit once.  The row never stays ``submitting``, and a task the provider accepted is
    never lost: a caller cancelled during the request lets it finish (shielded, bounded by the
    HTTP timeouts) and records the task id; a cancel from elsewhere meanwhile is carried out at
    the provider as soon as the id is known."""
    pending = asyncio.ensure_future(provider.submit(request))
    interrupted = False
    while True:
        try:
            remote_id = await asyncio.shield(pending)
            break
        except asyncio.CancelledError:
            if pending.done() and pending.cancelled():
                update(status="failed", error_code="lost_submit",
                       error_message="cancelled while submitting; the provider may have the job")
                raise
            interrupted = True  # wait for the answer, then let the cancellation through
        except Exception as exc:  # noqa: BLE001 - recorded, then raised as a videonb error
            code, message = _failed(exc)
            update(status="failed", error_code=code, error_message=message)
            if interrupted:
                raise asyncio.CancelledError from None
            if isinstance(exc, VideonbError):
                raise
            raise ProviderHTTPError(f"{rec.provider} job {rec.id}: the submit failed "
                                    f"({message}).", provider=rec.provider) from None
    if not isinstance(remote_id, str) or not REMOTE_ID.fullmatch(remote_id):
        update(status="failed", error_code="no_task_id",
               error_message="the provider's answer had no usable job id")
        raise ProviderHTTPError(f"{rec.provider}: the submit answer had no usable job id; check "
                                f"the provider's dashboard.", provider=rec.provider)
    # Recorded even if the row was cancelled meanwhile (another kernel's videonb.cancel()).
    # The submit's answer says whether this server is one of videonb's emulators (never billed).
    current = ledger.update(rec.id, remote_id=remote_id, submitted_at=time.time(),
                            emulated=1 if emulation.emulated(provider.endpoint) else 0)
    if current.status == "cancelled":
        await _cancel_remote(provider, remote_id)
        raise JobCancelledError(f"{rec.provider} job {rec.id} was cancelled during its submit; "
                                f"it was cancelled at the provider too.", provider=rec.provider)
    rec = update(status="submitted")
    # A cancel the user asked for during the submit (job.cancel(), the panel's Cancel, the
    # Interrupt button) is carried out first, even if this task was also interrupted meanwhile:
    # only a wait that was merely dropped leaves the job running, resumable.
    try:
        await _cancel_if_requested(provider, rec, ledger)
    except JobCancelledError:
        if interrupted:
            raise asyncio.CancelledError from None  # cancelled here and at the provider
        raise
    if interrupted:
        raise asyncio.CancelledError  # the job stays in the ledger, resumable
    return rec


async def _download(provider: Provider, res: PollResult, rec: JobRecord, ledger: Ledger,
                    update: Callable[..., JobRecord]) -> JobRecord:
    """Download and check the output of a succeeded job; store it and mark it succeeded.
    Anything but an expired URL leaves the job ``downloading`` (resumable) and raises."""
    from ..media.probe import check_complete, probe

    tmp = ledger.store / f".download-{uuid.uuid4().hex}.mp4"
    resume_hint = f"The job was billed and stays resumable: videonb.resume({rec.id!r})."
    try:
        if not res.output_url:
            raise DownloadError(f"{rec.provider} reported job {rec.id} succeeded without an "
                                f"output URL.", retryable=True)
        await provider.download(res.output_url, tmp)
        try:
            info = probe(tmp)
            if info.frame_count == 0:
                raise DownloadError("it holds no video frames")
            check_complete(tmp)
        except VideonbError as exc:
            raise DownloadError(f"the downloaded output is not a playable video ({exc})",
                                retryable=True) from None
        digest, stored = ledger.store_output(tmp)
    except OutputExpiredError:
        raise
    except (DownloadError, StorageError, ProviderError) as exc:
        update(status="downloading", error_code="download_failed", error_message=str(exc))
        if isinstance(exc, StorageError):
            raise StorageError(f"{exc} {resume_hint}") from None
        raise DownloadError(f"{rec.provider} job {rec.id}: the output could not be downloaded: "
                            f"{exc} {resume_hint}", retryable=True) from None
    finally:
        tmp.unlink(missing_ok=True)
    return update(status="succeeded", output_hash=digest, output_path=str(stored),
                  error_code=None, error_message=None, lease_owner=None, lease_at=None)
