"""A private event loop on a background thread, for the synchronous API.

``videonb.generate(...)`` must work in a plain script, in a Jupyter kernel (which
already runs an event loop on the main thread, so ``asyncio.run()`` would fail)
and in marimo.  The sync wrappers hand their coroutine to one long-lived loop
running on a daemon thread and wait for it from the calling thread; nothing
patches the global loop (no ``nest_asyncio``).  While waiting, the caller's
``on_tick`` runs *in the calling thread*, which is where progress displays are
updated (output from a background thread can land in the wrong cell).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any, Awaitable, Callable, TypeVar

__all__ = ["run_sync", "submit", "loop", "in_loop_thread"]

T = TypeVar("T")

_LOOP: asyncio.AbstractEventLoop | None = None
_THREAD: threading.Thread | None = None
_START_LOCK = threading.Lock()


def loop() -> asyncio.AbstractEventLoop:
    """The private loop (started on first use)."""
    global _LOOP, _THREAD
    with _START_LOCK:
        if _LOOP is None or not _THREAD or not _THREAD.is_alive():
            new = asyncio.new_event_loop()
            ready = threading.Event()

            def _run() -> None:
                asyncio.set_event_loop(new)
                ready.set()
                new.run_forever()

            th = threading.Thread(target=_run, name="videonb-loop", daemon=True)
            th.start()
            ready.wait()
            _LOOP, _THREAD = new, th
    return _LOOP


def in_loop_thread() -> bool:
    return _THREAD is not None and threading.current_thread() is _THREAD


def submit(coro: Awaitable[T]) -> "concurrent.futures.Future[T]":
    """Schedule ``coro`` on the private loop; return a thread-safe future."""
    return asyncio.run_coroutine_threadsafe(coro, loop())  # type: ignore[arg-type]


def run_sync(coro: Awaitable[T], *, on_tick: Callable[[], Any] | None = None,
             tick: float = 0.25, on_interrupt: Callable[[], Any] | None = None) -> T:
    """Run ``coro`` to completion from synchronous code and return its result.

    ``on_tick`` is called every ``tick`` seconds in the calling thread while
    waiting.  On KeyboardInterrupt (the kernel's Interrupt button) ``on_interrupt``
    runs, the coroutine is cancelled, and the interrupt propagates.
    """
    if in_loop_thread():
        raise RuntimeError("videonb's sync API was called from its own event loop; use the "
                           "*_async function with await instead.")
    fut = submit(coro)
    try:
        while True:
            # Wait on completion, not on fut.result(timeout=...): a coroutine that *raises* a
            # TimeoutError subclass (e.g. JobTimeoutError) must not look like "still running".
            done, _ = concurrent.futures.wait([fut], timeout=tick)
            if done:
                return fut.result()
            if on_tick is not None:
                on_tick()
    except KeyboardInterrupt:
        try:
            if on_interrupt is not None:
                on_interrupt()  # first, while the coroutine's own state is still intact
        finally:
            fut.cancel()
        raise
    finally:
        if on_tick is not None and fut.done():
            try:
                on_tick()
            except Exception:  # noqa: BLE001 - a display failure must not hide the result
                pass
