"""Where an open model can run here, and whether it fits: the device, its free memory, the
memory plan (everything on the GPU, or ``enable_model_cpu_offload()``) and, on the CPU, how long
it would take.

Everything is read from torch itself: ``torch.cuda.is_available()``, ``torch.cuda.mem_get_info()``
(free and total memory of a CUDA device), ``torch.cuda.get_device_name()``,
``torch.cuda.is_bf16_supported()``, ``torch.backends.mps.is_available()`` and
``torch.mps.recommended_max_memory()`` / ``torch.mps.driver_allocated_memory()`` on Apple
silicon, and the host's available RAM (``psutil``, else ``/proc/meminfo``).  Nothing here
allocates model memory; :func:`check` is what the provider runs before it loads anything.

The CPU time estimate counts the transformer's arithmetic (2 FLOPs per parameter per token, plus
the attention's 4 x tokens² x hidden per layer; twice per step with classifier-free guidance)
and divides it by this CPU's measured matrix-multiply rate: a lower bound, since the text
encoder, the VAE and memory traffic come on top.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import DeviceTooSlowError, InsufficientMemoryError, InvalidOptionError

__all__ = ["Device", "probe_device", "host_memory_gb", "cpu_gflops", "estimate_flops",
           "estimate_seconds", "MemoryPlan", "check", "format_duration"]

GB = 1024 ** 3
#: Keep this much of the free memory in reserve (CUDA context, fragmentation).
HEADROOM = 0.9


@dataclass(frozen=True)
class Device:
    """The device a model would run on, with its memory in GB (None when unknown)."""

    kind: str                 # "cuda", "mps" or "cpu"
    index: int | None = None
    name: str = ""
    total_gb: float | None = None
    free_gb: float | None = None
    bf16: bool = False

    @property
    def torch(self) -> str:
        return f"cuda:{self.index or 0}" if self.kind == "cuda" else self.kind

    @property
    def gpu(self) -> bool:
        return self.kind in ("cuda", "mps")

    def describe(self) -> str:
        mem = ""
        if self.free_gb is not None and self.total_gb is not None:
            mem = f", {self.free_gb:.1f} of {self.total_gb:.1f} GB free"
        elif self.free_gb is not None:
            mem = f", {self.free_gb:.1f} GB available"
        return f"{self.torch} ({self.name or self.kind}{mem})"


def host_memory_gb() -> tuple[float | None, float | None]:
    """(total, available) RAM of this machine in GB."""
    try:
        import psutil

        vm = psutil.virtual_memory()
        return vm.total / GB, vm.available / GB
    except Exception:  # noqa: BLE001 - psutil is optional
        pass
    try:
        info: dict[str, int] = {}
        with open("/proc/meminfo") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                info[key] = int(rest.split()[0]) * 1024
        return info["MemTotal"] / GB, info.get("MemAvailable", info["MemFree"]) / GB
    except (OSError, KeyError, ValueError, IndexError):
        return None, None


def _cuda(torch: Any, index: int | None) -> Device | None:
    if not torch.cuda.is_available():
        return None
    count = max(1, int(torch.cuda.device_count()))
    candidates = [index] if index is not None else list(range(count))
    best: Device | None = None
    for i in candidates:
        free, total = torch.cuda.mem_get_info(i)
        try:
            bf16 = bool(torch.cuda.is_bf16_supported())
        except Exception:  # noqa: BLE001 - old drivers
            bf16 = False
        dev = Device("cuda", i, str(torch.cuda.get_device_name(i)), total / GB, free / GB, bf16)
        if best is None or (dev.free_gb or 0) > (best.free_gb or 0):
            best = dev
    return best


def _mps(torch: Any) -> Device | None:
    backend = getattr(torch.backends, "mps", None)
    if backend is None or not backend.is_available():
        return None
    total, available = host_memory_gb()
    mps = getattr(torch, "mps", None)
    try:
        limit = mps.recommended_max_memory() / GB
        used = mps.driver_allocated_memory() / GB
        free: float | None = max(0.0, limit - used)
        total = limit
    except Exception:  # noqa: BLE001 - older torch: unified memory, use the host's figures
        free = available
    return Device("mps", None, "Apple GPU (unified memory)", total, free, True)


def _cpu() -> Device:
    total, available = host_memory_gb()
    return Device("cpu", None, "CPU", total, available, False)


def probe_device(prefer: str | None = None) -> Device:
    """The device to run on: ``prefer`` ("cuda", "cuda:1", "mps", "cpu") if given, else the CUDA
    device with the most free memory, else Apple's MPS, else the CPU."""
    import torch

    if prefer:
        kind, _, idx = str(prefer).partition(":")
        if kind == "cpu":
            return _cpu()
        if kind == "cuda":
            dev = _cuda(torch, int(idx) if idx.isdigit() else None)
            if dev is None:
                raise InvalidOptionError("device='cuda' was asked for, but torch sees no CUDA GPU "
                                         "(torch.cuda.is_available() is False). Install a CUDA "
                                         "build of torch, or leave device unset.")
            return dev
        if kind == "mps":
            dev = _mps(torch)
            if dev is None:
                raise InvalidOptionError("device='mps' was asked for, but torch reports no Apple "
                                         "MPS backend here.")
            return dev
        raise InvalidOptionError(f"device={prefer!r}: use 'cuda', 'cuda:N', 'mps' or 'cpu'.")
    return _cuda(torch, None) or _mps(torch) or _cpu()


_GFLOPS: float | None = None
_GFLOPS_LOCK = threading.Lock()


def cpu_gflops() -> float:
    """This CPU's float32 matrix-multiply rate in GFLOP/s (measured once, about 0.3 s)."""
    global _GFLOPS
    with _GFLOPS_LOCK:
        if _GFLOPS is None:
            import torch

            n = 512
            a, b = torch.randn(n, n), torch.randn(n, n)
            torch.mm(a, b)  # warm up
            runs, start = 0, time.perf_counter()
            while True:
                torch.mm(a, b)
                runs += 1
                took = time.perf_counter() - start
                if took > 0.25 and runs >= 3:
                    break
            _GFLOPS = max(0.1, 2 * n ** 3 * runs / took / 1e9)
        return _GFLOPS


def estimate_flops(spec: Any, *, frames: int, width: int, height: int, steps: int,
                   guidance: float) -> float:
    """Transformer FLOPs of one generation (a lower bound of the real work)."""
    ct, cs, patch = spec.compression
    latent_frames = (frames - 1) // ct + 1
    tokens = latent_frames * max(1, height // (cs * patch)) * max(1, width // (cs * patch))
    tokens += spec.extra_tokens
    per_pass = 2 * spec.params_b * 1e9 * tokens + 4 * spec.layers * tokens ** 2 * spec.hidden
    passes = 2 if guidance > 1.0 else 1
    return float(per_pass * passes * steps)


def estimate_seconds(spec: Any, **shape: Any) -> float | None:
    """Seconds the transformer alone would take on this CPU (None without architecture data)."""
    if not spec.params_b or not spec.layers:
        return None
    return estimate_flops(spec, **shape) / (cpu_gflops() * 1e9)


def format_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:.0f} days"


@dataclass
class MemoryPlan:
    """What :func:`check` decided: where the model runs and how, and why."""

    model: str
    device: Device
    offload: str                       # "none", "model" or "sequential"
    dtype: str
    need_gb: float | None              # GPU memory (or RAM on the CPU) this plan needs
    free_gb: float | None
    fits: bool
    reason: str = ""
    cpu_seconds: float | None = None   # estimate, on the CPU only
    already_loaded: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        where = self.device.describe()
        how = {"none": "all on the device", "model": "enable_model_cpu_offload()",
               "sequential": "enable_sequential_cpu_offload()"}[self.offload]
        need = f", needs about {self.need_gb:g} GB" if self.need_gb else ""
        est = (f", at least {format_duration(self.cpu_seconds)} on this CPU"
               if self.cpu_seconds and self.cpu_seconds >= 1 else "")
        loaded = " (already loaded)" if self.already_loaded else ""
        return f"{self.model} on {where}: {how}, {self.dtype}{need}{est}{loaded}"


def _dtype_for(spec: Any, device: Device, wanted: str | None) -> str:
    if wanted:
        if wanted not in ("float32", "float16", "bfloat16"):
            raise InvalidOptionError(f"dtype={wanted!r}: use 'bfloat16', 'float16' or 'float32'.")
        return wanted
    if device.kind == "cpu":
        return "float32"
    if device.kind == "cuda" and spec.dtype == "bfloat16" and not device.bf16:
        return "float16"  # e.g. a T4: no native bfloat16
    return spec.dtype


def check(spec: Any, *, device: Device, offload: str = "auto", allow_cpu: bool = False,
          check_memory: bool = True, dtype: str | None = None, loaded_gb: float = 0.0,
          already_loaded: bool = False, cpu_shape: dict[str, Any] | None = None,
          alternatives: list[Any] | None = None) -> MemoryPlan:
    """Decide how ``spec`` runs on ``device``; raise :class:`InsufficientMemoryError` or
    :class:`DeviceTooSlowError` (naming what to do) when it should not run there.

    ``loaded_gb`` is what other loaded pipelines hold (``unload()`` frees it); ``cpu_shape`` the
    frames/size/steps/guidance for the CPU estimate; ``alternatives`` the other models, for
    advice."""
    if offload not in ("auto", "none", "model", "sequential"):
        raise InvalidOptionError(f"offload={offload!r}: use 'auto', 'none', 'model' "
                                 f"(enable_model_cpu_offload) or 'sequential' "
                                 f"(enable_sequential_cpu_offload).")
    chosen_dtype = _dtype_for(spec, device, dtype)
    name = f"diffusers/{spec.id}"
    plan = MemoryPlan(spec.id, device, "none" if offload == "auto" else offload, chosen_dtype,
                      None, device.free_gb, True, already_loaded=already_loaded)
    if device.kind == "cpu":
        plan.offload = "none"
        # ram_gb is the half-precision weights; float32 on the CPU takes twice that.
        plan.need_gb = round(spec.ram_gb * (2.0 if chosen_dtype == "float32" else 1.0), 1) or None
        if cpu_shape is not None:
            plan.cpu_seconds = estimate_seconds(spec, **cpu_shape)
        if spec.full_size and not allow_cpu:
            est = (f" The transformer alone needs at least {format_duration(plan.cpu_seconds)} "
                   f"on this CPU ({cpu_gflops():.0f} GFLOP/s measured)."
                   if plan.cpu_seconds else "")
            raise DeviceTooSlowError(
                f"{name} is a full-size model and torch sees no GPU here, so it would run on the "
                f"CPU.{est} Run it on a GPU (a free Colab T4 runs wan2.1-t2v-1.3b), or pass "
                f"allow_cpu=True to run it here anyway.", provider="diffusers")
        if check_memory and not already_loaded and plan.need_gb and device.free_gb is not None \
                and plan.need_gb > device.free_gb:
            raise InsufficientMemoryError(
                f"{name} needs about {plan.need_gb:g} GB of RAM to load on the CPU; "
                f"{device.free_gb:.1f} GB is available. Close other programs, or use a GPU "
                f"machine. (check_memory=False skips this check; the kernel may then be "
                f"killed.)", provider="diffusers")
        return plan
    if already_loaded or not check_memory or device.free_gb is None:
        if device.free_gb is None and not already_loaded:
            plan.notes.append("free GPU memory is unknown: not checked")
        if offload == "auto":
            plan.offload = "none"
        plan.need_gb = spec.vram_gb if plan.offload == "none" else spec.vram_offload_gb
        return plan
    free = device.free_gb * HEADROOM
    need_full, need_off = spec.vram_gb, spec.vram_offload_gb
    if offload in ("auto", "none") and need_full <= free:
        plan.offload, plan.need_gb = "none", need_full
        return plan
    if offload in ("auto", "model") and need_off <= free:
        plan.offload, plan.need_gb = "model", need_off
        if offload == "auto":
            plan.notes.append(f"all on the GPU would need about {need_full:g} GB; using "
                              f"enable_model_cpu_offload() (about {need_off:g} GB)")
        _, ram = host_memory_gb()
        if ram is not None and spec.ram_gb and spec.ram_gb > ram:
            plan.notes.append(f"offloading keeps the weights in RAM: about {spec.ram_gb:g} GB, "
                              f"and {ram:.1f} GB is available")
        return plan
    if offload == "sequential":
        plan.need_gb = None
        plan.notes.append("enable_sequential_cpu_offload(): a few GB of GPU memory, much slower")
        return plan
    need = need_full if offload == "none" else need_off
    plan.fits, plan.need_gb = False, need
    advice = []
    if offload == "none" and need_off <= free:
        advice.append("offload='model' (enable_model_cpu_offload) fits")
    smaller = [a.id for a in (alternatives or []) if a.id != spec.id
               and spec.operations[0] in a.operations and a.vram_offload_gb
               and a.vram_offload_gb <= free]
    if smaller:
        advice.append(f"a smaller model: {', '.join('diffusers/' + s for s in smaller)}")
    if loaded_gb:
        advice.append(f"videonb.providers.diffusers.unload() frees about {loaded_gb:g} GB held "
                      f"by other loaded models")
    advice.append("offload='sequential' (enable_sequential_cpu_offload: a few GB, much slower)")
    advice.append("fewer frames or a smaller size lowers the activations a little")
    raise InsufficientMemoryError(
        f"{name} needs about {need:g} GB of GPU memory "
        f"({'all on the GPU' if offload == 'none' else 'with enable_model_cpu_offload()'}); "
        f"the free memory of {device.describe()} is not enough. Try: " + "; ".join(advice) + ".",
        provider="diffusers")


def env_offline() -> bool:
    """True when the Hugging Face hub is switched off for this process (``HF_HUB_OFFLINE``)."""
    value = os.environ.get("HF_HUB_OFFLINE", "")
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except Exception:  # noqa: BLE001
        return False
