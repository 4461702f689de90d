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
from . import emulation
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
                      use_cache=not refresh, describe=f"This {prov.name} job",
                      # emulated jobs rehearse the budget among themselves; they never hold
                      # back a job that may go to a real provider
                      count_emulated=emulation.emulated(prov.endpoint))
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


async def _interrupt(state: dict[str, Any]) -> None:
    """Cancel the job of an interrupted blocking call, on the loop thread where it runs.

    ``state["rec"]`` is set by the call's first update, in the very step in which the runner
    takes the job (``created`` → ``submitting``).  Decided here, between loop steps, the choice
    cannot go stale: with a record the job is cancelled through the ledger and at the provider
    (a submit in flight included); without one the runner has not taken the job yet, and
    cancelling the call's task now stops it before anything is sent (its row, if any, is marked
    cancelled).  Checked in the interrupted thread instead, the runner could start the submit
    between the check and the cancellation, which then only dropped the wait: the task kept
    running, and billing, at the provider."""
    state["stop"] = True
    rec = state.get("rec")
    if rec is not None:
        await cancel_async(rec.id)
        return
    task = state.get("task")
    if task is not None and not task.done():
        task.cancel()


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
    if wait and (progress or coro_fn is _generate_async):
        # A generation always takes the kernel's Interrupt as a cancel of the job, with or
        # without the progress display (without, the job went on running at the provider).
        if progress:
            from ..display.progress import ProgressDisplay

            display = ProgressDisplay()
            if prepared is not None and (
                    kwargs.get("refresh")
                    or _ledger_for(prepared[0]).cached(
                        prepared[1].cache_key(prepared[0].endpoint)) is None):
                display.estimate(*prepared, emulated=emulation.emulated(prepared[0].endpoint))
        state: dict[str, Any] = {}
        kwargs["on_update"] = lambda rec: state.__setitem__("rec", rec)  # called on the loop thread

        def tick() -> None:
            if display is not None and "rec" in state:
                display.update(state["rec"])

        def interrupted() -> None:
            # The kernel's Interrupt button: cancel the job itself, not only the wait (decided
            # on the loop thread: see _interrupt).
            try:
                runtime.submit(_interrupt(state)).result(timeout=30)
            except Exception:  # noqa: BLE001 - the interrupt must still go through
                pass

        async def main() -> Any:
            state["task"] = asyncio.current_task()
            if state.get("stop"):
                raise asyncio.CancelledError
            return await coro_fn(*args, **kwargs)

        try:
            result = runtime.run_sync(main(), on_tick=tick, on_interrupt=interrupted)
        except BaseException as exc:
            if display is not None:
                display.fail(exc)
            raise
        if display is not None:
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


def extend(video: Any, prompt: str = "", *, seconds: float | None = None, mode: str = "auto",
           **kwargs: Any) -> Any:
    """Continue a video by ``seconds``.

    ``local`` continues the last camera move, or holds (2 s by default).  A hosted model
    that extends natively (Gemini Omni; Luma for a video Luma made) gets the video itself.
    Any other image-to-video model continues it from its **last frame**: that frame goes to
    the model as an image-to-video job (through the ledger, budget and cache like any job),
    and the generated clip is joined to the original without a visible seam
    (:func:`videonb.media.continuation.join_continuation`).  ``seconds`` defaults to the
    model's default duration; the result's provenance says which way it went."""
    from . import runtime

    name, src, spec, native = _extend_plan(video, mode, kwargs)
    if native is not None:
        # One job on the video itself: the usual foreground path (estimate, progress, key).
        return _mark_native(_op_sync("extend", src, prompt, {
            **kwargs, "provider": name, "model": spec.id,
            "seconds": seconds if seconds is not None else native.pop("seconds", None)},
            inputs={}, options=native), name)
    kwargs.pop("progress", None)
    return runtime.run_sync(extend_async(src, prompt, seconds=seconds, mode=mode, **kwargs))


def _mark_native(result: Any, name: str) -> Any:
    """A native extension's Video says so in its provenance (``method``), as the last-frame
    way does; a Job (``wait=False``) is returned as it is."""
    prov = getattr(result, "provenance", None)
    if isinstance(prov, dict) and "method" not in prov:
        how = "local continuation" if name == "local" else f"native: {name} extends the video"
        result.provenance = {**prov, "method": how}
    return result


def _extend_plan(video: Any, mode: str, kwargs: dict[str, Any]) -> tuple[str, Any, Any, Any]:
    """(provider name, Video, spec, job options when the provider extends ``video`` itself
    or ``None`` when it goes the last-frame way); ``kwargs`` are left as they are."""
    from ..media.video import as_video

    name, model = _split(kwargs.get("provider"), kwargs.get("model"))
    try:
        src = as_video(video)
        prov = get_provider(name, api_key=kwargs.get("api_key"), base_url=kwargs.get("base_url"),
                            **{k: v for k, v in kwargs.items() if k not in _KNOWN
                               and k not in ("provider", "model", "progress")})
        spec = prov.model(model)
        prov.check_retired(spec)
    except BaseException as exc:
        raise guarded(exc, name) from None
    if not (prov.local or ("extend" in spec.operations and prov.extends_natively(spec, src))):
        if "image_to_video" not in spec.operations:
            can = [m for m, sp in prov.models.items() if not prov.retired(sp)
                   and ("image_to_video" in sp.operations or "extend" in sp.operations)]
            raise guarded(InvalidOptionError(
                f"{name}/{spec.id} can neither extend a video nor animate an image, so it "
                f"cannot continue one. Models of {name} that can: {', '.join(can) or 'none'}."),
                name) from None
        return name, src, spec, None
    options: dict[str, Any] = {"mode": mode}
    if prov.local:
        options["seconds"] = 2.0  # the local default (used only when none is given)
    else:
        options["extend_generation"] = (src.provenance or {}).get("remote_id")
    return name, src, spec, options


_KNOWN = ("seconds", "ratio", "seed", "wait", "refresh", "timeout", "api_key", "base_url",
          "on_update")


def _kw(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Split keyword arguments into the engine's own and the provider's options."""
    out = {k: kwargs.pop(k) for k in _KNOWN if k in kwargs}
    kwargs.pop("progress", None)
    out["provider_options"] = dict(kwargs)
    return out


async def extend_async(video: Any, prompt: str = "", *, seconds: float | None = None,
                       mode: str = "auto", **kwargs: Any) -> Any:
    """Async twin of :func:`extend`."""
    name, src, spec, native = _extend_plan(video, mode, kwargs)
    for k in ("provider", "model"):
        kwargs.pop(k, None)
    if native is not None:
        default = native.pop("seconds", None)
        return _mark_native(await _generate_async(
            "extend", prompt, name, spec.id, inputs={"video": src}, options=native,
            **_kw({**kwargs, "seconds": seconds if seconds is not None else default})), name)
    return await _extend_from_last_frame(src, prompt, name, spec, seconds, kwargs)


async def _extend_from_last_frame(src: Any, prompt: str, name: str, spec: Any,
                                  seconds: float | None, kwargs: dict[str, Any]) -> Any:
    """Last frame → an image-to-video job → the original joined with its continuation."""
    from ..media.continuation import join_continuation, last_frame
    from ..media.video import Video

    try:
        still = await asyncio.to_thread(last_frame, src)
    except BaseException as exc:
        raise guarded(exc, name) from None
    ratio = kwargs.pop("ratio", None) or _nearest_ratio(spec.ratios, src.info)
    kwargs.pop("wait", None)
    cont = await _generate_async("image_to_video", prompt, name, spec.id, inputs={"image": still},
                                 **_kw({**kwargs, "seconds": seconds, "ratio": ratio}))
    try:
        joined = await asyncio.to_thread(join_continuation, src, cont)
    except BaseException as exc:
        raise guarded(exc, name) from None
    out = Video(joined, name=f"{name}-extended.mp4")
    out.provenance = {**(cont.provenance or {}), "operation": "extend",
                      "method": "last frame → image_to_video → join",
                      "extended_from": str(getattr(src, "path", "")),
                      "continuation": str(cont.path)}
    return out


def _nearest_ratio(ratios: tuple[str, ...], info: Any) -> str | None:
    """The model's ratio closest to the video's shape (``"16:9"`` or ``"1280:720"`` forms)."""
    import math

    if not ratios:
        return None
    w = float(getattr(info, "display_width", 0) or info.width)
    h = float(getattr(info, "display_height", 0) or info.height)
    want = math.log(w / h) if w > 0 and h > 0 else 0.0

    def value(r: str) -> float:
        for sep in (":", "x"):
            if sep in r:
                a, b = r.split(sep, 1)
                try:
                    return math.log(float(a) / float(b))
                except (ValueError, ZeroDivisionError):
                    return 99.0
        return 99.0

    return min(ratios, key=lambda r: abs(value(r) - want))


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
        result = await prov.analyze(v, question=question, model=model, frames=frames)
    except BaseException as exc:
        raise guarded(exc, name) from None
    if not prov.local and emulation.emulated(prov.endpoint) and isinstance(result.raw, dict):
        result.raw["emulated"] = True  # the answer is an emulator's, not a model's
    return result


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
def providers() -> Any:
    """Providers and models: capabilities, limits, prices with their sources, announced
    shutdowns, and whether a key is set (never the key).  A list of rows that shows as a table
    fitting the notebook (details on demand); models already shut down are listed apart, in
    ``.retired``."""
    from ..display.tables import providers_table

    return providers_table(list_providers())


def jobs(*, limit: int = 50, status: str | None = None) -> Any:
    """Jobs recorded in the ledger, newest first (a list of records that shows as a table;
    emulated jobs are marked as such)."""
    from ..display.tables import jobs_table

    led = ledger()
    return jobs_table(led.all(limit=limit, status=status), where=str(led.path))


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
