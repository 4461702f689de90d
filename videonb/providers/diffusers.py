"""The ``diffusers`` provider: open video models on your own GPU, behind the same calls, progress,
cancel and cache as the hosted providers.

>>> v = videonb.generate("a paper boat on a pond at sunset",
...                      provider="diffusers/wan2.1-t2v-1.3b", seed=42)      # doctest: +SKIP

* **Models** are data (:mod:`~videonb.providers.diffusers_models`): hub id, pipeline class per
  operation, frame counts and sizes, default steps and guidance, memory, licence, download
  size.  ``videonb.providers()`` lists them; :func:`register` adds your own.
* **Device and memory** (:mod:`~videonb.providers.devices`): CUDA (the GPU with the most free
  memory), then Apple's MPS, then the CPU.  Before anything is loaded the free memory is checked
  against the model's need: everything on the GPU if it fits, else
  ``enable_model_cpu_offload()`` if that fits, else an :class:`InsufficientMemoryError` naming
  what would (a smaller model, ``offload='sequential'``, ``unload()``).  On the CPU a full-size
  model is refused with an estimate of how long it would take, unless ``allow_cpu=True``.
* **Progress and cancel**: the pipeline's ``callback_on_step_end`` reports every denoising step
  to the job (the same progress display, panels and ``Job.progress`` as hosted jobs) and stops
  the run between steps when the job is cancelled (the kernel's Interrupt, a panel's Cancel
  button, ``job.cancel()``); nothing is written until the last step is done.
* **Cache and provenance**: the job ledger caches the result by model, prompt, seed and options
  (steps, guidance, frames, size...), so re-running a cell does not recompute; the output file
  records the hub id, revision, seed, steps, device and seconds of GPU (or CPU) time, which
  ``video.provenance`` shows.
* **Weights** come from the Hugging Face cache through ``from_pretrained``; :func:`download`
  fetches them (with its progress bars, in your cell), or pass ``download=True``.  Without them
  (and offline) you get a :class:`WeightsMissingError` naming the hub id and the download size.
  Pipelines stay loaded between calls, one per model, until :func:`unload`.

Options (keyword arguments of ``generate()``, ``image_to_video()``, ``stylize()``, or a panel's
``provider_options={"diffusers": {...}}``): ``steps``, ``guidance``, ``negative_prompt``,
``frames`` (an exact frame count instead of ``seconds``) — part of the cache key — and
``device`` ("cuda", "cuda:1", "mps", "cpu"), ``offload`` ("auto", "none", "model",
"sequential"), ``dtype``, ``allow_cpu``, ``check_memory``, ``download`` — how it runs, not
what it makes.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar

from ..errors import (
    InsufficientMemoryError,
    InvalidOptionError,
    JobCancelledError,
    ProviderError,
    VideonbError,
    WeightsMissingError,
)
from .base import RENDER_TAG, ModelSpec, Provider, Request
from .devices import (
    MemoryPlan,
    check,
    env_offline,
    estimate_seconds,
    format_duration,
    probe_device,
)
from .diffusers_models import MODELS, OpenModelSpec, frames_for, parse_size, register, unregister

__all__ = ["DiffusersProvider", "plan", "Plan", "download", "unload", "loaded", "weights_cached",
           "register", "unregister", "MODELS", "OpenModelSpec"]

#: Options that change the output: they go into the request (and so into its cache key).
REQUEST_OPTIONS = ("steps", "guidance", "negative_prompt", "frames")
#: Options that change how it runs, not what it makes.
RUNTIME_OPTIONS = ("device", "offload", "dtype", "allow_cpu", "check_memory", "download")
#: Share of the progress bar given to the denoising steps (the rest: decoding and encoding).
STEPS_SHARE = 0.95


class DiffusersProvider(Provider):
    name: ClassVar[str] = "diffusers"
    display_name: ClassVar[str] = "Open models on this machine (diffusers)"
    requires: ClassVar[tuple[str, ...]] = ("torch", "diffusers", "transformers", "accelerate")
    install_hint: ClassVar[str] = "pip install 'videonb[models]' (torch, diffusers, transformers)"
    models: ClassVar[dict[str, ModelSpec]] = MODELS  # type: ignore[assignment]
    default_model: ClassVar[str] = "wan2.1-t2v-1.3b"
    local: ClassVar[bool] = True
    reports_progress: ClassVar[bool] = True
    description: ClassVar[str] = ("Wan 2.1, LTX-Video and CogVideoX through Hugging Face "
                                  "diffusers, on your GPU; weights from the Hugging Face cache.")

    def __init__(self, *, api_key: str | None = None, base_url: str | None = None,
                 **options: Any) -> None:
        unknown = sorted(set(options) - set(REQUEST_OPTIONS) - set(RUNTIME_OPTIONS))
        if unknown:
            raise InvalidOptionError(
                f"diffusers does not know the option(s) {', '.join(unknown)}. It takes: "
                f"{', '.join(REQUEST_OPTIONS + RUNTIME_OPTIONS)}.")
        super().__init__(api_key=api_key, base_url=base_url, **options)

    # --- the request ------------------------------------------------------------------------
    def validate(self, req: Request) -> ModelSpec:
        """Check the request against the model, fill in what determines the output (frames,
        size, steps, guidance, seed-independent defaults) and, unless the result is already
        cached, check that this machine can run it (device, memory, weights)."""
        spec = super().validate(req)
        assert isinstance(spec, OpenModelSpec)
        self._normalise(spec, req)
        if not self._cached(req):
            self.machine_plan(spec, req)
            if not self.options.get("download") and weights_cached(spec) is False:
                raise _missing_weights(spec, offline=env_offline())
        return spec

    def _normalise(self, spec: OpenModelSpec, req: Request) -> None:
        opts = req.options
        for key in REQUEST_OPTIONS:
            if key in self.options and self.options[key] is not None:
                opts[key] = self.options[key]
        try:
            steps = int(opts.get("steps", spec.default_steps))
            guidance = float(opts.get("guidance", spec.default_guidance))
        except (TypeError, ValueError):
            raise InvalidOptionError("steps must be a whole number and guidance a number.") from None
        if not 1 <= steps <= 500:
            raise InvalidOptionError(f"steps={steps}: use 1 to 500 (default {spec.default_steps}).")
        if not 0.0 <= guidance <= 30.0:
            raise InvalidOptionError(f"guidance={guidance:g}: use 0 to 30 "
                                     f"(default {spec.default_guidance:g}).")
        frames = frames_for(spec, req.seconds, opts.get("frames"))
        if req.seconds is None or "frames" in opts:
            req.seconds = round((frames - 1) / spec.fps, 3)
        if req.ratio is None:
            req.ratio = spec.default_ratio
        width, height = parse_size(req.ratio or "")
        opts.update(steps=steps, guidance=guidance, frames=frames, width=width, height=height,
                    fps=spec.fps, hub_id=spec.hub_id, revision=spec.revision,
                    negative_prompt=str(opts.get("negative_prompt", spec.negative_prompt)))
        if req.operation in ("video_to_video", "stylize"):
            strength = float(opts.get("strength", spec.default_strength))
            if not 0.0 < strength <= 1.0:
                raise InvalidOptionError(f"strength={strength:g}: use a value in (0, 1]; lower "
                                         f"keeps more of the input video (typical: 0.6-0.8).")
            opts["strength"] = strength
        opts.pop("source_fps", None)  # the model's own fps is used

    def _cached(self, req: Request) -> bool:
        from .ledger import ledger

        try:
            return ledger().cached(req.cache_key(self.endpoint)) is not None
        except VideonbError:
            return False

    def machine_plan(self, spec: OpenModelSpec, req: Request | None = None) -> MemoryPlan:
        """Where and how ``spec`` would run here now (raises when it should not run here)."""
        opts = req.options if req is not None else {}
        device = probe_device(self.options.get("device"))
        entry = _PIPES.get(spec.id)
        shape = dict(frames=int(opts.get("frames", spec.max_frames)),
                     width=int(opts.get("width", parse_size(spec.default_ratio or "16x16")[0])),
                     height=int(opts.get("height", parse_size(spec.default_ratio or "16x16")[1])),
                     steps=int(opts.get("steps", spec.default_steps)),
                     guidance=float(opts.get("guidance", spec.default_guidance)))
        offload = str(self.options.get("offload", "auto"))
        same = entry is not None and entry.device.torch == device.torch and (
            offload in ("auto", entry.plan.offload))
        if same and entry is not None:
            offload = entry.plan.offload
        others = sum(e.plan.need_gb or 0.0 for mid, e in list(_PIPES.items())
                     if mid != spec.id and e.device.kind == device.kind)
        return check(spec, device=device, offload=offload,
                     allow_cpu=bool(self.options.get("allow_cpu", False)),
                     check_memory=bool(self.options.get("check_memory", True)),
                     dtype=self.options.get("dtype"), loaded_gb=round(others, 1),
                     already_loaded=same, cpu_shape=shape,
                     alternatives=[m for m in MODELS.values() if m.full_size])

    def model_status(self, model_id: str) -> tuple[bool, str]:
        """Whether this machine can run ``model_id`` at all (for menus): a GPU with enough total
        memory for it with CPU offload, or a tiny model on the CPU."""
        ok, why = self.available()
        if not ok:
            return False, why
        spec = MODELS.get(model_id)
        if spec is None:
            return False, "unknown model"
        try:
            device = probe_device(self.options.get("device"))
        except VideonbError as exc:
            return False, str(exc)
        if device.kind == "cpu":
            if spec.full_size and not self.options.get("allow_cpu"):
                w, h = parse_size(spec.default_ratio or "16x16")
                est = estimate_seconds(spec, frames=frames_for(spec, None), width=w, height=h,
                                       steps=spec.default_steps, guidance=spec.default_guidance)
                took = f"at least {format_duration(est)}" if est else "hours"
                return False, (f"no GPU here: on this CPU it would take {took} "
                               f"(allow_cpu=True runs it anyway)")
            return True, ""
        if device.total_gb is not None and spec.vram_offload_gb > device.total_gb:
            return False, (f"needs about {spec.vram_offload_gb:g} GB of GPU memory even with CPU "
                           f"offload; {device.describe()}")
        return True, ""

    # --- rendering ----------------------------------------------------------------------------
    async def render(self, req: Request, dest: Path,
                     progress: Callable[[float], bool] | None = None) -> Path:
        """Run the pipeline on a worker thread; report each denoising step through ``progress``
        and stop between steps when cancelled (this task, or ``progress`` returning False)."""
        loop = asyncio.get_running_loop()
        stop = threading.Event()

        def report(fraction: float) -> None:  # on the loop thread
            if progress is not None and progress(fraction) is False:
                stop.set()

        def on_step(fraction: float) -> None:  # on the worker thread
            try:
                loop.call_soon_threadsafe(report, fraction)
            except RuntimeError:  # the loop is closing: nobody to tell
                pass

        work = loop.run_in_executor(None, self._render_sync, req, Path(dest), on_step, stop)
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError as cancelled:
            stop.set()  # the worker stops at the end of the current step ...
            while not work.done():  # ... and nothing is written after it: wait for that
                try:
                    await asyncio.shield(work)
                except asyncio.CancelledError:
                    continue
                except BaseException:  # noqa: BLE001 - it stopped; the cancel is what counts
                    break
            Path(dest).unlink(missing_ok=True)
            raise cancelled

    def _render_sync(self, req: Request, dest: Path, on_step: Callable[[float], None],
                     stop: threading.Event) -> Path:
        spec = self.model(req.model)
        assert isinstance(spec, OpenModelSpec)
        opts = req.options
        memory = self.machine_plan(spec, req)  # fresh figures, right before loading
        entry = _load(spec, memory, download=bool(self.options.get("download", False)))
        cls_name = spec.pipeline_for(req.operation)
        seed = int(req.seed) if req.seed is not None else secrets.randbelow(2 ** 31)
        with entry.lock:
            if stop.is_set():
                raise JobCancelledError(f"diffusers/{spec.id}: cancelled before the first step.",
                                        provider=self.name)
            with _Quiet():
                pipe = entry.pipeline(cls_name)
            kwargs = _call_args(spec, req, pipe, seed)
            steps_done = [0]

            def callback(p: Any, i: int, t: Any, tensors: dict[str, Any]) -> dict[str, Any]:
                if stop.is_set():
                    raise _Stopped
                steps_done[0] = i + 1
                total = int(getattr(p, "num_timesteps", 0) or opts["steps"])
                on_step(STEPS_SHARE * (i + 1) / max(1, total))
                return tensors

            started = time.perf_counter()
            failure: VideonbError | None = None
            try:
                with _Quiet():
                    out = pipe(**kwargs, callback_on_step_end=callback, output_type="np")
            except _Stopped:
                failure = JobCancelledError(
                    f"diffusers/{spec.id}: cancelled after {steps_done[0]} of {opts['steps']} "
                    f"denoising steps; nothing was written.", provider=self.name)
            except Exception as exc:  # noqa: BLE001 - mapped to what the user can do
                failure = _run_error(spec, exc, entry)
            finally:
                _free_hooks(pipe)
            took = time.perf_counter() - started
        if failure is not None:
            if isinstance(failure, InsufficientMemoryError):
                unload(spec.id)  # start clean next time (outside the pipeline's lock)
            raise failure
        frames = _frames_array(out)
        details = {
            "hub_id": spec.hub_id, "revision": entry.revision, "pipeline": cls_name, "seed": seed,
            "steps": opts["steps"], "guidance": opts["guidance"], "frames": int(frames.shape[0]),
            "fps": spec.fps, "size": f"{frames.shape[2]}x{frames.shape[1]}",
            "device": entry.device.describe(), "dtype": entry.plan.dtype,
            "offload": entry.plan.offload, "load_seconds": round(entry.load_seconds, 2),
            ("gpu_seconds" if entry.device.gpu else "cpu_seconds"): round(took, 2),
            "licence": spec.licence,
        }
        if "strength" in opts:
            details["strength"] = opts["strength"]
        on_step(1.0 * STEPS_SHARE + (1 - STEPS_SHARE) / 2)
        from ..media.encode import encode_video

        return encode_video(frames, dest, fps=spec.fps,
                            metadata={"comment": json.dumps({RENDER_TAG: details})})


class _Stopped(Exception):
    """Raised from the step callback to leave the pipeline between two steps."""


def _frames_array(out: Any) -> Any:
    import numpy as np

    frames = out.frames[0] if isinstance(out.frames, (list, tuple)) or getattr(
        out.frames, "ndim", 0) == 5 else out.frames
    arr = np.asarray(frames, dtype=np.float32)
    if arr.ndim != 4 or arr.shape[-1] != 3:
        raise ProviderError(f"diffusers returned frames of shape {arr.shape}; expected "
                            f"(frames, height, width, 3).", provider="diffusers")
    if not np.isfinite(arr).all():
        raise ProviderError("diffusers returned frames with NaN values (a float16 overflow?); "
                            "try dtype='bfloat16' or 'float32'.", provider="diffusers")
    return (np.clip(arr, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def _load_image(path: str, width: int, height: int) -> Any:
    from PIL import Image

    try:
        img = Image.open(path).convert("RGB")
    except Exception:  # noqa: BLE001
        raise InvalidOptionError(f"Could not read the image {path!r}; use a PNG, JPEG or WebP "
                                 f"file.") from None
    return img.resize((width, height))


def _load_video(path: str, spec: OpenModelSpec, width: int, height: int, frames: int) -> Any:
    """The first ``frames`` frames (or the longest count the model accepts that the video has),
    as PIL images at the model's size."""
    from PIL import Image

    from ..media.sampling import iter_frames

    got = []
    for _t, img in iter_frames(path, max_side=max(width, height) * 2):
        got.append(Image.fromarray(img).resize((width, height)))
        if len(got) >= frames:
            break
    usable = [n for n in spec.allowed_frames() if n <= len(got)]
    if not usable:
        raise InvalidOptionError(f"The input video has {len(got)} frames; diffusers/{spec.id} "
                                 f"needs at least {spec.min_frames}.")
    return got[:usable[-1]]


def _call_args(spec: OpenModelSpec, req: Request, pipe: Any, seed: int) -> dict[str, Any]:
    """The pipeline call's arguments, checked against the installed diffusers' names."""
    import torch

    o = req.options
    width, height, frames = int(o["width"]), int(o["height"]), int(o["frames"])
    kwargs: dict[str, Any] = dict(prompt=req.prompt or "", height=height, width=width,
                                  num_inference_steps=int(o["steps"]),
                                  guidance_scale=float(o["guidance"]),
                                  generator=torch.Generator(device="cpu").manual_seed(seed))
    if o.get("negative_prompt"):
        kwargs["negative_prompt"] = o["negative_prompt"]
    if req.operation == "image_to_video":
        kwargs["image"] = _load_image(req.input_paths["image"], width, height)
    if req.operation in ("video_to_video", "stylize"):
        kwargs["video"] = _load_video(req.input_paths["video"], spec, width, height, frames)
        kwargs["strength"] = float(o.get("strength", spec.default_strength))
    else:
        kwargs["num_frames"] = frames
    if spec.family == "ltx":
        kwargs["frame_rate"] = spec.fps
    import inspect

    accepted = inspect.signature(type(pipe).__call__).parameters
    return {k: v for k, v in kwargs.items() if k in accepted}


def _run_error(spec: OpenModelSpec, exc: BaseException, entry: "_Loaded") -> VideonbError:
    text = f"{type(exc).__name__}: {exc}"
    if "out of memory" in text.lower() or type(exc).__name__ == "OutOfMemoryError":
        return InsufficientMemoryError(
            f"diffusers/{spec.id} ran out of memory on {entry.device.describe()} "
            f"(offload: {entry.plan.offload}); the pipeline is unloaded. Try offload='model' or "
            f"'sequential', fewer frames or a smaller size, or a smaller model.",
            provider="diffusers")
    if isinstance(exc, VideonbError):
        return exc
    return ProviderError(f"diffusers/{spec.id}: the pipeline failed ({text[:400]}).",
                         provider="diffusers")


# --- loaded pipelines -----------------------------------------------------------------------
@dataclass
class _Loaded:
    spec: OpenModelSpec
    pipe: Any
    device: Any
    plan: MemoryPlan
    revision: str
    folder: str
    load_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    variants: dict[str, Any] = field(default_factory=dict)
    offloaded_by: Any = None

    def pipeline(self, cls_name: str) -> Any:
        """The loaded pipeline as ``cls_name`` (other classes share its components)."""
        if cls_name == type(self.pipe).__name__:
            pipe = self.pipe
        else:
            pipe = self.variants.get(cls_name)
            if pipe is None:
                import diffusers

                pipe = getattr(diffusers, cls_name).from_pipe(self.pipe)
                pipe.set_progress_bar_config(disable=True)
                self.variants[cls_name] = pipe
        if self.plan.offload != "none" and self.offloaded_by is not pipe:
            _enable_offload(pipe, self.plan)  # offload hooks belong to one pipeline object
            self.offloaded_by = pipe
        return pipe


_PIPES: dict[str, _Loaded] = {}
_PIPES_LOCK = threading.RLock()


def _dtype_kw() -> str:
    """``dtype=`` in recent diffusers (``torch_dtype=`` is deprecated there), else ``torch_dtype=``."""
    from diffusers.pipelines import pipeline_utils

    return "dtype" if hasattr(pipeline_utils, "_resolve_dtype") else "torch_dtype"


def _enable_offload(pipe: Any, memory: MemoryPlan) -> None:
    if memory.offload == "model":
        pipe.enable_model_cpu_offload(device=memory.device.torch)
    elif memory.offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=memory.device.torch)


def _free_hooks(pipe: Any) -> None:
    try:
        pipe.maybe_free_model_hooks()
    except Exception:  # noqa: BLE001 - nothing to free
        pass


class _Quiet:
    """Progress bars and info logs of diffusers, transformers and huggingface_hub off while a
    pipeline loads or runs on a worker thread (their output would land in whatever cell runs)."""

    def __enter__(self) -> "_Quiet":
        import diffusers.utils.logging as dlog
        import transformers.utils.logging as tlog
        from huggingface_hub import utils as hf

        self.saved = (dlog.get_verbosity(), tlog.get_verbosity(), dlog.is_progress_bar_enabled(),
                      tlog.is_progress_bar_enabled(), hf.are_progress_bars_disabled())
        dlog.set_verbosity_error()
        tlog.set_verbosity_error()
        dlog.disable_progress_bar()
        tlog.disable_progress_bar()
        hf.disable_progress_bars()
        return self

    def __exit__(self, *exc: Any) -> None:
        import diffusers.utils.logging as dlog
        import transformers.utils.logging as tlog
        from huggingface_hub import utils as hf

        dv, tv, dbar, tbar, hf_off = self.saved
        dlog.set_verbosity(dv)
        tlog.set_verbosity(tv)
        if dbar:
            dlog.enable_progress_bar()
        if tbar:
            tlog.enable_progress_bar()
        if not hf_off:
            hf.enable_progress_bars()


def _local_folder(spec: OpenModelSpec) -> Path | None:
    p = Path(spec.hub_id).expanduser()
    return p if p.is_dir() else None


def weights_cached(spec: OpenModelSpec) -> bool | None:
    """True when the model's weights are in the Hugging Face cache (or its local folder
    exists), False when they are not, None when that cannot be told without the network."""
    if _local_folder(spec) is not None:
        return True
    if "/" not in spec.hub_id or spec.hub_id.startswith((".", "/", "~")):
        return False
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        found = try_to_load_from_cache(spec.hub_id, "model_index.json", revision=spec.revision)
    except Exception:  # noqa: BLE001 - a malformed id or revision
        return None
    return isinstance(found, str)


def _missing_weights(spec: OpenModelSpec, *, offline: bool, why: str = "") -> WeightsMissingError:
    where = "this machine is offline for the Hugging Face hub (HF_HUB_OFFLINE)" if offline \
        else "they are downloaded only when you ask"
    fetch = (f"videonb.providers.diffusers.download({spec.id!r}) (shows its progress) or pass "
             f"download=True" if not offline else
             f"on a connected machine run videonb.providers.diffusers.download({spec.id!r}) (or "
             f"`hf download {spec.hub_id}`) and copy the Hugging Face cache folder here")
    extra = f" ({why})" if why else ""
    return WeightsMissingError(
        f"The weights of diffusers/{spec.id} ({spec.hub_id}, about {spec.download_gb:g} GB) are "
        f"not in the Hugging Face cache, and {where}{extra}. To get them: {fetch}.",
        provider="diffusers")


def _weights_folder(spec: OpenModelSpec, *, fetch: bool) -> tuple[str, str]:
    """(folder, revision) of the model's weights: the local folder, or the Hugging Face cache
    snapshot (downloaded first when ``fetch``)."""
    local = _local_folder(spec)
    if local is not None:
        index = local / "model_index.json"
        digest = hashlib.sha256(index.read_bytes()).hexdigest()[:12] if index.is_file() else "?"
        return str(local), f"local folder (model_index {digest})"
    from diffusers import DiffusionPipeline

    offline = env_offline()
    try:
        folder = DiffusionPipeline.download(spec.hub_id, revision=spec.revision,
                                            local_files_only=True)
    except (OSError, ValueError) as exc:
        if not fetch or offline:
            raise _missing_weights(spec, offline=offline) from None
        try:
            folder = DiffusionPipeline.download(spec.hub_id, revision=spec.revision)
        except (OSError, ValueError) as exc2:
            raise _missing_weights(spec, offline=False,
                                   why=f"the download failed: {str(exc2)[:200]}") from None
        del exc
    path = Path(folder)
    revision = path.name if path.parent.name == "snapshots" else str(spec.revision or "?")
    return str(path), revision


def _load(spec: OpenModelSpec, memory: MemoryPlan, *, download: bool) -> _Loaded:
    """The loaded pipeline of ``spec`` for this plan (loaded now if needed; one per model)."""
    with _PIPES_LOCK:
        entry = _PIPES.get(spec.id)
        if entry is not None and entry.device.torch == memory.device.torch and \
                entry.plan.dtype == memory.dtype and (memory.already_loaded or
                                                      entry.plan.offload == memory.offload):
            return entry
        if entry is not None:
            with entry.lock:  # a run with the old settings finishes first
                _drop(spec.id)
        import diffusers
        import torch

        started = time.perf_counter()
        folder, revision = _weights_folder(spec, fetch=download)
        cls = getattr(diffusers, spec.base_pipeline)
        kw = _dtype_kw()
        kwargs: dict[str, Any] = {kw: getattr(torch, memory.dtype)}
        try:
            with _Quiet():
                if spec.vae_dtype and spec.vae_dtype != memory.dtype:
                    vae_cls = getattr(diffusers, {"wan": "AutoencoderKLWan"}.get(spec.family, ""),
                                      None)
                    if vae_cls is not None:
                        kwargs["vae"] = vae_cls.from_pretrained(
                            folder, subfolder="vae", **{kw: getattr(torch, spec.vae_dtype)})
                pipe = cls.from_pretrained(folder, **kwargs)
                pipe.set_progress_bar_config(disable=True)
                if memory.offload == "none":
                    pipe.to(memory.device.torch)
        except OSError as exc:
            if _local_folder(spec) is None and ("not" in str(exc) and "found" in str(exc)
                                                or "incomplete" in str(exc)):
                raise _missing_weights(spec, offline=env_offline(),
                                       why="the cached copy is incomplete") from None
            raise ProviderError(f"diffusers/{spec.id}: the weights in {folder} could not be "
                                f"loaded ({str(exc)[:300]}).", provider="diffusers") from None
        except Exception as exc:  # noqa: BLE001 - out of memory while loading, mostly
            raise _run_error(spec, exc, _Loaded(spec, None, memory.device, memory, revision,
                                                folder, 0.0)) from None
        entry = _Loaded(spec, pipe, memory.device, memory, revision, folder,
                        time.perf_counter() - started)
        _PIPES[spec.id] = entry
        return entry


def _drop(model_id: str) -> bool:
    entry = _PIPES.pop(model_id, None)
    if entry is None:
        return False
    try:
        entry.pipe.remove_all_hooks()
    except Exception:  # noqa: BLE001
        pass
    entry.variants.clear()
    entry.pipe = None
    return True


def unload(model: str | None = None) -> list[str]:
    """Free the loaded pipeline of ``model`` (every one when None): GPU memory and RAM.  A
    pipeline that is generating right now is left alone (cancel the job first).  Returns the
    model ids freed."""
    freed: list[str] = []
    with _PIPES_LOCK:
        for mid in [model] if model else list(_PIPES):
            entry = _PIPES.get(mid)
            if entry is None:
                continue
            if not entry.lock.acquire(blocking=False):
                raise InvalidOptionError(f"diffusers/{mid} is generating right now; cancel that "
                                         f"job (or wait for it) before unloading.")
            try:
                if _drop(mid):
                    freed.append(mid)
            finally:
                entry.lock.release()
    if freed:
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
                torch.mps.empty_cache()
        except Exception:  # noqa: BLE001 - freeing is best effort
            pass
    return freed


def loaded() -> list[dict[str, Any]]:
    """The pipelines loaded in this process: model, device, dtype, offload, revision, load time,
    and whether one is generating now."""
    return [{"model": mid, "device": e.device.describe(), "dtype": e.plan.dtype,
             "offload": e.plan.offload, "revision": e.revision,
             "load_seconds": round(e.load_seconds, 2), "busy": e.lock.locked()}
            for mid, e in list(_PIPES.items())]




def download(model: str = DiffusersProvider.default_model) -> str:
    """Fetch ``model``'s weights into the Hugging Face cache, in the calling cell (with the hub's
    own progress bars); returns the snapshot folder.  Run it once per machine."""
    spec = MODELS.get(model)
    if spec is None:
        raise InvalidOptionError(f"diffusers has no model {model!r}. Models: "
                                 f"{', '.join(sorted(MODELS))}.")
    local = _local_folder(spec)
    if local is not None:
        return str(local)
    if env_offline():
        raise _missing_weights(spec, offline=True)
    from diffusers import DiffusionPipeline

    try:
        return str(DiffusionPipeline.download(spec.hub_id, revision=spec.revision))
    except (OSError, ValueError) as exc:
        raise _missing_weights(spec, offline=False,
                               why=f"the download failed: {str(exc)[:200]}") from None


# --- the plan, for people -----------------------------------------------------------------------
@dataclass
class Plan:
    """What running a model here would do, before anything is loaded: the request as the model
    will see it, the device and its memory, the memory plan, the weights, the verdict."""

    model: OpenModelSpec
    operation: str
    frames: int
    width: int
    height: int
    steps: int
    guidance: float
    memory: MemoryPlan | None
    weights: bool | None
    verdict: str
    ok: bool
    device: Any = None

    def rows(self) -> list[tuple[str, str]]:
        s = self.model
        weights = {True: "in the Hugging Face cache", False: "not downloaded",
                   None: "unknown (not checked offline)"}[self.weights]
        if _local_folder(s) is not None:
            weights = "a local folder"
        rows = [("model", f"diffusers/{s.id} — {s.hub_id}"),
                ("pipeline", s.pipeline_for(self.operation)),
                ("video", f"{self.frames} frames at {s.fps} fps "
                          f"({(self.frames - 1) / s.fps:g} s), {self.width}x{self.height}"),
                ("sampling", f"{self.steps} steps, guidance {self.guidance:g}"),
                ("needs", f"about {s.vram_gb:g} GB of GPU memory all on the GPU, "
                          f"{s.vram_offload_gb:g} GB with enable_model_cpu_offload()"),
                ("weights", f"{weights} (download about {s.download_gb:g} GB)"),
                ("licence", s.licence)]
        if self.device is not None:
            rows.append(("device", self.device.describe()))
        if self.memory is not None:
            rows.append(("plan", self.memory.summary()))
            for note in self.memory.notes:
                rows.append(("note", note))
        rows.append(("verdict", self.verdict))
        return rows

    def __repr__(self) -> str:
        width = max(len(k) for k, _ in self.rows())
        return "\n".join(f"{k.ljust(width)}  {v}" for k, v in self.rows())

    def _repr_html_(self) -> str:
        from ..display.html import STYLE, esc

        color = "#27ae60" if self.ok else "#c0392b"
        body = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{esc(k)}</th>"
                       f"<td{' style=color:' + color if k == 'verdict' else ''}>{esc(v)}</td></tr>"
                       for k, v in self.rows())
        return f'{STYLE}<div class="vnb vnb-plan"><table>{body}</table></div>'


def plan(model: str = DiffusersProvider.default_model, prompt: str = "a test", *,
         operation: str | None = None, seconds: float | None = None, ratio: str | None = None,
         **options: Any) -> Plan:
    """What ``generate(prompt, provider="diffusers/MODEL", ...)`` would do on this machine —
    device, free memory, memory plan, weights, CPU time estimate — without loading anything.
    Never raises for a model that cannot run here: the verdict says why and what to do."""
    spec = MODELS.get(model)
    if spec is None:
        raise InvalidOptionError(f"diffusers has no model {model!r}. Models: "
                                 f"{', '.join(sorted(MODELS))}.")
    prov = DiffusersProvider(**options)
    op = operation or spec.operations[0]
    req = Request(operation=op, provider="diffusers", model=spec.id, prompt=prompt,
                  seconds=seconds, ratio=ratio)
    Provider.validate(prov, req)
    prov._normalise(spec, req)
    o = req.options
    memory: MemoryPlan | None = None
    device = None
    try:
        device = probe_device(options.get("device"))
        memory = prov.machine_plan(spec, req)
        weights = weights_cached(spec)
        if weights is False and not options.get("download"):
            raise _missing_weights(spec, offline=env_offline())
        verdict, ok = "ready: " + memory.summary(), True
        if memory.device.kind == "cpu" and memory.cpu_seconds and memory.cpu_seconds >= 1:
            verdict += f" (estimate: {format_duration(memory.cpu_seconds)} or more)"
    except VideonbError as exc:
        weights = weights_cached(spec)
        verdict, ok = f"{type(exc).__name__}: {exc}", False
    return Plan(spec, op, int(o["frames"]), int(o["width"]), int(o["height"]), int(o["steps"]),
                float(o["guidance"]), memory, weights, verdict, ok, device)
