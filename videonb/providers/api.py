"""The public generation and understanding API (plain Python; the magics wrap these).

Every function has an ``*_async`` twin for ``await`` in notebooks and async code; the
sync versions run on videonb's private loop thread, so they work inside a running
Jupyter kernel without ``asyncio.run()`` or ``nest_asyncio``.
"""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from typing import Any

from ..errors import (
    InvalidOptionError,
    JobOriginError,
    LedgerError,
    StorageError,
)
from .base import Analysis, Provider, Request, hash_file
from .boundary import guarded
from .jobs import Job, check_row, driving, follow, run_job, video_from_record
from .ledger import Ledger, ledger, owned
from .registry import get_provider, list_providers

__all__ = [
    "generate", "generate_async", "image_to_video", "image_to_video_async", "extend",
    "extend_async", "edit", "edit_async", "stylize", "stylize_async", "analyze", "analyze_async",
    "ask", "ask_async", "providers", "jobs", "resume", "resume_async", "cancel", "cancel_async",
    "prepare", "run_prepared_async",
]


def _split(provider: str | None, model: str | None) -> tuple[str, str | None]:
    """``"runway/gen4_turbo"`` → ("runway", "gen4_turbo")."""
    from ..settings import config

    name = provider or config.default_provider
    if "/" in name and model is None:
        name, model = name.split("/", 1)
    return name, model


def _input(path_or_video: Any, kind: str) -> tuple[str, str]:
    """(content hash, absolute path) of an input image or video."""
    if path_or_video is None:
        raise InvalidOptionError(f"This operation needs an input {kind}.")
    p = Path(getattr(path_or_video, "path", path_or_video)).expanduser()
    if not p.is_file():
        raise InvalidOptionError(f"The input {kind} {str(p)!r} does not exist; check the path.")
    if kind == "video":
        from ..media.probe import probe

        probe(p)  # clear errors for bad videos before anything is submitted
    return hash_file(p), str(p.resolve())


def prepare(operation: str, prompt: str = "", provider: str | None = None,
            model: str | None = None, *, seconds: float | None = None, ratio: str | None = None,
            seed: int | None = None, style: str | None = None,
            inputs: dict[str, Any] | None = None, options: dict[str, Any] | None = None,
            api_key: str | None = None, base_url: str | None = None,
            provider_options: dict[str, Any] | None = None) -> tuple[Provider, Request]:
    """Validate a request against the model's limits and return ``(provider, request)``.

    Nothing is sent and no key is looked up: panels call this as the user types, and
    :func:`run_prepared_async` runs the pair later.  Raises
    :class:`~videonb.errors.InvalidOptionError` naming the allowed values."""
    inputs, options, provider_options = inputs or {}, options or {}, provider_options or {}
    name, model = _split(provider, model)
    prov = get_provider(name, api_key=api_key, base_url=base_url, **provider_options)
    req = Request(operation=operation, provider=name, model=model or prov.default_model,
                  prompt=prompt or "", seconds=seconds, ratio=ratio, seed=seed, style=style,
                  options=dict(options), endpoint=prov.endpoint)
    for kind, value in inputs.items():
        if value is not None:
            h, p = _input(value, "image" if kind in ("image", "mask") else "video")
            req.inputs[kind] = h
            req.input_paths[kind] = p
    if "video" in req.inputs and prov.local:
        from ..media.probe import probe

        req.options.setdefault("source_fps", float(probe(req.input_paths["video"]).fps))
    spec = prov.validate(req)
    if req.seconds is None and spec.default_duration is not None:
        req.seconds = spec.default_duration
    if req.ratio is None and spec.default_ratio is not None:
        req.ratio = spec.default_ratio
    return prov, req


def _ledger_for(prov: Provider) -> Ledger:
    """The ledger; for a local renderer an unusable one (corrupt, another program's file) is
    replaced by a throw-away ledger, with a warning, so offline work never stops on it."""
    try:
        return ledger()
    except (LedgerError, StorageError) as exc:
        if not prov.local:
            raise
        global _SCRATCH
        if _SCRATCH is None:
            import tempfile

            _SCRATCH = Ledger(tempfile.mkdtemp(prefix="videonb-scratch-ledger-"))
        warnings.warn(f"videonb: {exc} Local rendering goes on without it (nothing is cached "
                      f"between sessions).", stacklevel=3)
        return _SCRATCH


_SCRATCH: Ledger | None = None


async def _start(prov: Provider, req: Request, *, refresh: bool) -> tuple[Any, Job | None, bool]:
    """(cached Video, None, False), or (None, Job, True) for a new job this process drives,
    or (None, Job, False) for the identical job already in flight (here or in another kernel).
    Check and insert are one ledger transaction, budget included."""
    from ..settings import config

    led = _ledger_for(prov)
    key = req.cache_key(prov.endpoint)
    estimate = prov.model(req.model).estimate(req.seconds)
    claim = led.claim(provider=prov.name, model=req.model, operation=req.operation,
                      request_json=req.to_json(), cache_key=key, prompt_hash=req.prompt_hash,
                      cost_estimate=estimate, budget=None if prov.local else config.budget_usd,
                      use_cache=not refresh, describe=f"This {prov.name} job")
    if claim.kind == "cached":
        return video_from_record(claim.record, req, cached=True), None, False
    return None, Job(claim.record, prov, req, led), claim.kind == "created"


async def _generate_async(operation: str, prompt: str, provider: str | None, model: str | None,
                          *, seconds: float | None = None, ratio: str | None = None,
                          seed: int | None = None, style: str | None = None,
                          inputs: dict[str, Any] | None = None, options: dict[str, Any] | None = None,
                          wait: bool = True, refresh: bool = False, timeout: float | None = None,
                          api_key: str | None = None, base_url: str | None = None,
                          provider_options: dict[str, Any] | None = None,
                          on_update: Any = None, prepared: Any = None) -> Any:
    name = provider
    try:
        if prepared is not None:
            prov, req = prepared
        else:
            prov, req = prepare(operation, prompt, provider, model, seconds=seconds, ratio=ratio,
                                seed=seed, style=style, inputs=inputs or {}, options=options or {},
                                api_key=api_key, base_url=base_url,
                                provider_options=provider_options or {})
        name = prov.name
        if prov.needs_key:
            prov.key()  # resolve now, before any job exists
        video, job, fresh = await _start(prov, req, refresh=refresh)
    except BaseException as exc:
        raise guarded(exc, name) from None
    if video is not None:
        return video
    assert job is not None
    from . import jobs as _jobs

    if fresh:
        task = asyncio.ensure_future(run_job(prov, req, job.record, job.ledger, timeout=timeout,
                                             on_update=on_update))
        _jobs._ACTIVE[job.id] = (task, prov)  # at once: a twin call in this loop follows it
    else:
        task = asyncio.ensure_future(follow(prov, req, job.record, job.ledger, timeout=timeout,
                                            on_update=on_update))
    job._future = task
    job._task = task
    if not wait:
        return job
    try:
        return await task
    except asyncio.CancelledError:
        # Cancelled before the runner took the job: it was never sent, so it must not stay
        # "created" (resume() would submit it later, and bill it).
        rec = job.ledger.get(job.id)
        if fresh and rec is not None and rec.status == "created":
            job.ledger.update(job.id, status="cancelled", error_code="cancelled",
                              error_message="cancelled before it was submitted")
        raise
    except BaseException as exc:
        raise guarded(exc, prov.name) from None


async def run_prepared_async(prepared: tuple[Provider, Request], *, refresh: bool = False,
                             wait: bool = True, timeout: float | None = None,
                             on_update: Any = None) -> Any:
    """Run a ``(provider, request)`` pair from :func:`prepare`: the cached Video, or a new (or
    attached) job through the ledger, budget and cache like :func:`generate_async`.
    ``on_update(record)`` is called on videonb's loop thread at every state change."""
    prov, req = prepared
    return await _generate_async(req.operation, req.prompt, prov.name, req.model,
                                 prepared=prepared, refresh=refresh, wait=wait, timeout=timeout,
                                 on_update=on_update)


def _sync(coro_fn: Any, *args: Any, progress: bool = True, **kwargs: Any) -> Any:
    """Run an async API function from sync code, with a foreground progress display."""
    from . import runtime

    wait = kwargs.get("wait", True)
    display = None
    prepared = None
    if coro_fn is _generate_async:
        # Validate, resolve the key (a prompt, if any, must come from this thread) and show the
        # cost estimate here, in the calling thread, before anything is submitted.
        op, prompt, provider, model = args
        prepared = prepare(op, prompt, provider, model, seconds=kwargs.get("seconds"),
                            ratio=kwargs.get("ratio"), seed=kwargs.get("seed"),
                            style=kwargs.get("style"), inputs=kwargs.get("inputs") or {},
                            options=kwargs.get("options") or {}, api_key=kwargs.get("api_key"),
                            base_url=kwargs.get("base_url"),
                            provider_options=kwargs.get("provider_options") or {})
        if prepared[0].needs_key:
            prepared[0].key()
        kwargs["prepared"] = prepared
    if progress and wait:
        from ..display.progress import ProgressDisplay

        display = ProgressDisplay()
        if prepared is not None and (
                kwargs.get("refresh")
                or _ledger_for(prepared[0]).cached(
                    prepared[1].cache_key(prepared[0].endpoint)) is None):
            display.estimate(*prepared)
        state: dict[str, Any] = {}
        kwargs["on_update"] = lambda rec: state.__setitem__("rec", rec)  # called on the loop thread

        def tick() -> None:
            if "rec" in state:
                display.update(state["rec"])  # type: ignore[union-attr]

        def interrupted() -> None:
            # The kernel's Interrupt button: cancel the job itself, not only the wait.
            if "rec" in state:
                try:
                    runtime.submit(cancel_async(state["rec"].id)).result(timeout=30)
                except Exception:  # noqa: BLE001 - the interrupt must still go through
                    pass

        try:
            result = runtime.run_sync(coro_fn(*args, **kwargs), on_tick=tick,
                                      on_interrupt=interrupted)
        except BaseException as exc:
            display.fail(exc)
            raise
        display.close(result)
        return result
    if not wait:
        # Start the job on the private loop; hand back a Job whose future lives there.
        fut = runtime.submit(coro_fn(*args, **kwargs))
        job = fut.result()
        if isinstance(job, Job) and job._future is not None:
            task = job._future
            import concurrent.futures

            cf: concurrent.futures.Future[Any] = concurrent.futures.Future()

            def _done(t: "asyncio.Future[Any]") -> None:
                if t.cancelled():
                    cf.cancel()
                elif t.exception() is not None:
                    cf.set_exception(t.exception())  # type: ignore[arg-type]
                else:
                    cf.set_result(t.result())

            runtime.loop().call_soon_threadsafe(task.add_done_callback, _done)
            job._future = cf
        return job
    return runtime.run_sync(coro_fn(*args, **kwargs))


# --- generation -------------------------------------------------------------------------------
async def generate_async(prompt: str, *, provider: str | None = None, model: str | None = None,
                         seconds: float | None = None, ratio: str | None = None,
                         image: Any = None, seed: int | None = None, wait: bool = True,
                         refresh: bool = False, timeout: float | None = None,
                         api_key: str | None = None, base_url: str | None = None,
                         on_update: Any = None, **provider_options: Any) -> Any:
    """Async twin of :func:`generate`."""
    op = "image_to_video" if image is not None else "text_to_video"
    return await _generate_async(op, prompt, provider, model, seconds=seconds, ratio=ratio,
                                 seed=seed, inputs={"image": image}, wait=wait, refresh=refresh,
                                 timeout=timeout, api_key=api_key, base_url=base_url,
                                 provider_options=provider_options, on_update=on_update)


def generate(prompt: str, *, provider: str | None = None, model: str | None = None,
             seconds: float | None = None, ratio: str | None = None, image: Any = None,
             seed: int | None = None, wait: bool = True, refresh: bool = False,
             timeout: float | None = None, api_key: str | None = None,
             base_url: str | None = None, progress: bool = True, **provider_options: Any) -> Any:
    """Generate a video from a prompt (and optionally a first-frame image).

    >>> v = videonb.generate("a paper boat on a pond at sunset", seconds=4)   # doctest: +SKIP

    ``provider`` is ``"local"`` (default: an offline procedural *preview*), ``"runway"``,
    ``"openai"`` (OpenAI-compatible video gateways via ``base_url``)... or
    ``"provider/model"``.  The request is checked against the model's limits and the
    session budget before anything is sent; the result is cached by request, so
    running the cell again does not bill again (``refresh=True`` forces a new job).
    Returns a :class:`~videonb.Video` (an inline player with provenance), or a
    :class:`~videonb.providers.jobs.Job` with ``wait=False``.
    """
    op = "image_to_video" if image is not None else "text_to_video"
    return _sync(_generate_async, op, prompt, provider, model, seconds=seconds, ratio=ratio,
                 seed=seed, inputs={"image": image}, wait=wait, refresh=refresh, timeout=timeout,
                 api_key=api_key, base_url=base_url, provider_options=provider_options,
                 progress=progress)


async def image_to_video_async(image: Any, motion_prompt: str = "", **kwargs: Any) -> Any:
    """Async twin of :func:`image_to_video`."""
    return await generate_async(motion_prompt, image=image, **kwargs)


def image_to_video(image: Any, motion_prompt: str = "", **kwargs: Any) -> Any:
    """Animate a still image; on ``local`` the motion prompt becomes a camera move."""
    return generate(motion_prompt, image=image, **kwargs)


def _op_sync(op: str, video: Any, prompt: str, kwargs: dict[str, Any], *, inputs: dict[str, Any],
             style: str | None = None, options: dict[str, Any] | None = None) -> Any:
    progress = kwargs.pop("progress", True)
    return _sync(_generate_async, op, prompt, kwargs.pop("provider", None), kwargs.pop("model", None),
                 seconds=kwargs.pop("seconds", None), ratio=kwargs.pop("ratio", None),
                 seed=kwargs.pop("seed", None), style=style, inputs={"video": video, **inputs},
                 options=options or {}, wait=kwargs.pop("wait", True),
                 refresh=kwargs.pop("refresh", False), timeout=kwargs.pop("timeout", None),
                 api_key=kwargs.pop("api_key", None), base_url=kwargs.pop("base_url", None),
                 provider_options=kwargs, progress=progress)


def extend(video: Any, prompt: str = "", *, seconds: float = 2.0, mode: str = "auto",
           **kwargs: Any) -> Any:
    """Continue a video by ``seconds`` (local: continue the last camera move, or hold)."""
    return _op_sync("extend", video, prompt, {**kwargs, "seconds": seconds}, inputs={},
                    options={"mode": mode})


_KNOWN = ("seconds", "ratio", "seed", "wait", "refresh", "timeout", "api_key", "base_url",
          "on_update")


def _kw(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Split keyword arguments into the engine's own and the provider's options."""
    out = {k: kwargs.pop(k) for k in _KNOWN if k in kwargs}
    kwargs.pop("progress", None)
    out["provider_options"] = dict(kwargs)
    return out


async def extend_async(video: Any, prompt: str = "", *, seconds: float = 2.0, mode: str = "auto",
                       **kwargs: Any) -> Any:
    """Async twin of :func:`extend`."""
    return await _generate_async("extend", prompt, kwargs.pop("provider", None),
                                 kwargs.pop("model", None), inputs={"video": video},
                                 options={"mode": mode}, **_kw({**kwargs, "seconds": seconds}))


def edit(video: Any, prompt: str = "", *, mask: Any = None, boxes: Any = None, **kwargs: Any) -> Any:
    """Remove (inpaint) an object: ``mask=`` image path, or ``boxes=[(x, y, w, h)]`` /
    ``[(t0, t1, (x, y, w, h))]`` in pixels or fractions of the frame."""
    if mask is None and boxes is None:
        raise InvalidOptionError("edit() needs mask= (an image) or boxes= [(x, y, w, h)] to know "
                                 "what to remove.")
    return _op_sync("edit", video, prompt or "remove object", kwargs, inputs={"mask": mask},
                    options={"boxes": boxes} if boxes is not None else {})


async def edit_async(video: Any, prompt: str = "", *, mask: Any = None, boxes: Any = None,
                     **kwargs: Any) -> Any:
    """Async twin of :func:`edit`."""
    if mask is None and boxes is None:
        raise InvalidOptionError("edit() needs mask= or boxes= to know what to remove.")
    return await _generate_async("edit", prompt or "remove object", kwargs.pop("provider", None),
                                 kwargs.pop("model", None), inputs={"video": video, "mask": mask},
                                 options={"boxes": boxes} if boxes is not None else {},
                                 **_kw(kwargs))


def stylize(video: Any, style: str, *, strength: float = 1.0, **kwargs: Any) -> Any:
    """Restyle a video (local: sketch, cartoon/anime, oil/painting, watercolor, detail,
    edge-preserving)."""
    return _op_sync("stylize", video, style, kwargs, inputs={}, style=style,
                    options={"strength": strength})


async def stylize_async(video: Any, style: str, *, strength: float = 1.0, **kwargs: Any) -> Any:
    """Async twin of :func:`stylize`."""
    return await _generate_async("stylize", style, kwargs.pop("provider", None),
                                 kwargs.pop("model", None), style=style, inputs={"video": video},
                                 options={"strength": strength}, **_kw(kwargs))


# --- understanding -------------------------------------------------------------------------------
async def analyze_async(video: Any, *, provider: str | None = None, model: str | None = None,
                        question: str | None = None, frames: int | None = None,
                        api_key: str | None = None, base_url: str | None = None,
                        **provider_options: Any) -> Analysis:
    """Async twin of :func:`analyze`."""
    from ..media.video import as_video

    name, model = _split(provider or "local", model)
    try:
        v = as_video(video)
        prov = get_provider(name, api_key=api_key, base_url=base_url, **provider_options)
        if prov.needs_key:
            prov.key()  # a missing or unusable key fails here, before any upload
        return await prov.analyze(v, question=question, model=model, frames=frames)
    except BaseException as exc:
        raise guarded(exc, name) from None


def analyze(video: Any, *, provider: str | None = None, model: str | None = None,
            question: str | None = None, frames: int | None = None, api_key: str | None = None,
            base_url: str | None = None, **provider_options: Any) -> Analysis:
    """Summarise a video and list its key moments (and answer ``question`` if given).

    ``provider="local"`` (default) measures structure offline; ``"gemini"`` or ``"openai"``
    (any OpenAI-compatible vision model via ``base_url``) describe content.  The result
    renders as player + frame grid + key-moment timeline (+ answer).
    """
    from . import runtime

    return runtime.run_sync(analyze_async(video, provider=provider, model=model, question=question,
                                          frames=frames, api_key=api_key, base_url=base_url,
                                          **provider_options))


def ask(video: Any, question: str, **kwargs: Any) -> str:
    """Ask one question about a video; returns the answer text."""
    return analyze(video, question=question, **kwargs).answer or ""


async def ask_async(video: Any, question: str, **kwargs: Any) -> str:
    return (await analyze_async(video, question=question, **kwargs)).answer or ""


# --- bookkeeping ---------------------------------------------------------------------------------
class _Table(list):  # type: ignore[type-arg]
    """A list of rows that renders as an HTML table (and plain text)."""

    def __init__(self, rows: list[Any], columns: list[str], title: str) -> None:
        super().__init__(rows)
        self.columns, self.title = columns, title

    def _repr_html_(self) -> str:
        from ..display.html import esc

        head = "".join(f"<th>{esc(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{esc(str(getattr(r, c, '')))}</td>" for c in self.columns)
                       + "</tr>" for r in self)
        return (f'<div class="vnb"><b>{esc(self.title)}</b><table><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table></div>")

    def __repr__(self) -> str:
        widths = [max(len(c), *(len(str(getattr(r, c, ""))) for r in self)) if self else len(c)
                  for c in self.columns]
        line = "  ".join(c.ljust(w) for c, w in zip(self.columns, widths))
        rows = ["  ".join(str(getattr(r, c, "")).ljust(w) for c, w in zip(self.columns, widths))
                for r in self]
        return "\n".join([self.title, line, *rows])


def providers() -> Any:
    """Providers and models: capabilities, limits, prices, and whether a key is set (never the key)."""
    rows = list_providers()
    cols = ["provider", "model", "operations", "durations", "ratios", "max_prompt", "price", "key",
            "available"]
    return _Table(rows, cols, "videonb providers")


def jobs(*, limit: int = 50, status: str | None = None) -> Any:
    """Jobs recorded in the ledger, newest first."""
    rows = ledger().all(limit=limit, status=status)
    cols = ["id", "provider", "model", "operation", "status", "progress", "cost_estimate", "cost",
            "remote_id", "error_code", "output_path"]
    return _Table(rows, cols, f"videonb jobs ({ledger().path})")


def _recorded_request(rec: Any, led: Ledger) -> Request:
    try:
        return Request.from_json(rec.request)
    except (ValueError, TypeError) as exc:
        raise LedgerError(f"Job {rec.id}'s request in {led.path} is unreadable ({exc}); it was "
                          f"left alone.") from None


def _same_server(a: str | None, b: str | None) -> bool:
    def norm(u: str | None) -> str:
        from urllib.parse import urlsplit

        if not u:
            return ""
        p = urlsplit(u.strip())
        return f"{p.scheme.lower()}://{(p.netloc or '').lower()}{p.path.rstrip('/')}"

    return norm(a) == norm(b)


def _provider_for(rec: Any, req: Request, provider_options: dict[str, Any]) -> Provider:
    """The provider instance a recorded job may be resumed or cancelled with: configured *now*
    (its default, ``base_url=`` or its base-URL variable), never from what the row says.  A row
    whose server differs is refused with :class:`JobOriginError` naming the ``base_url=`` that
    would send it there — the key goes only where the user pointed it."""
    prov = get_provider(rec.provider, **provider_options)
    if not prov.local and req.endpoint and not _same_server(req.endpoint, prov.endpoint):
        raise JobOriginError(
            f"Job {rec.id} was sent to {req.endpoint}, but {rec.provider} is configured for "
            f"{prov.endpoint}. videonb sends your key only to the server you configure, and a "
            f"ledger can come with a cloned folder. If you trust that server, pass "
            f"base_url={req.endpoint!r}.", provider=rec.provider)
    return prov


async def resume_async(job_id: str | None = None, *, timeout: float | None = None,
                       **provider_options: Any) -> list[Any]:
    """Continue every unfinished job (or one), e.g. after a kernel restart.

    A job is resumed only against the server its provider is configured for now (its default,
    ``base_url=`` or its base-URL environment variable); a job recorded for another server
    gives a :class:`~videonb.errors.JobOriginError` naming the ``base_url=`` to pass.  A job
    never submitted (``created``) is submitted only if this user on this machine created it,
    or when its ``job_id`` is given.  Jobs another cell or kernel is driving are left to it
    (their :class:`Job` is returned: await it, or ``.result()``, to wait).  Returns a Video,
    a Job or an exception per job."""
    led = ledger()
    if job_id:
        one = led.get(job_id)
        if one is None:
            raise InvalidOptionError(f"No job {job_id!r} in the ledger ({led.path}); "
                                     f"videonb.jobs() lists them.")
        recs = [one]
    else:
        recs = led.unfinished()

    async def one_job(rec: Any) -> Any:
        try:
            check_row(rec)
            req = _recorded_request(rec, led)
            prov = _provider_for(rec, req, provider_options)
            if rec.status == "created" and not (owned(rec) or rec.id == job_id):
                raise JobOriginError(
                    f"Job {rec.id} was never submitted and was not created by you on this "
                    f"machine (the ledger may have come with a cloned folder); it was left "
                    f"alone. To submit it anyway, pass its id: videonb.resume({rec.id!r}).",
                    provider=rec.provider)
            if led.live(rec, driving=driving):
                return Job(rec, prov, req, led)
            if not led.take_lease(rec.id):
                return Job(rec, prov, req, led)  # somebody took it over just now
            return await run_job(prov, req, led.get(rec.id) or rec, led, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - report per job, keep going
            return guarded(exc, rec.provider)

    return list(await asyncio.gather(*(one_job(r) for r in recs if r is not None)))


def resume(job_id: str | None = None, *, timeout: float | None = None,
           **provider_options: Any) -> list[Any]:
    """Sync twin of :func:`resume_async`: returns a Video or an exception per job."""
    from . import runtime

    return runtime.run_sync(resume_async(job_id, timeout=timeout, **provider_options))


async def cancel_async(job_id: str, **provider_options: Any) -> Any:
    """Cancel a job recorded in the ledger: stop waiting for it here and cancel it at the
    provider while it still runs there.  ``provider_options`` (e.g. ``base_url``) are needed
    only for a job started by another process, as for :func:`resume`."""
    from .jobs import active

    led = ledger()
    rec = led.get(job_id)
    if rec is None:
        raise InvalidOptionError(f"No job {job_id!r} in the ledger ({led.path}); videonb.jobs() "
                                 f"lists them.")
    try:
        if not rec.terminal:
            running = active(job_id)
            check_row(rec)
            req = _recorded_request(rec, led)
            prov = running[1] if running else _provider_for(rec, req, provider_options)
            job = Job(rec, prov, req, led)
            if running:
                job._task = running[0]
            await job.cancel_async()
    except BaseException as exc:
        raise guarded(exc, rec.provider) from None
    return led.get(job_id)


def cancel(job_id: str, **provider_options: Any) -> Any:
    """Sync twin of :func:`cancel_async`; returns the job's ledger record."""
    from . import runtime

    return runtime.run_sync(cancel_async(job_id, **provider_options))
