"""The open video models the ``diffusers`` provider runs, as data.

Each :class:`OpenModelSpec` is a :class:`~videonb.providers.base.ModelSpec` (so the capability
table, the panels and request validation treat it like every other provider's model) plus what
running it on your own machine needs: the Hugging Face hub id, the diffusers pipeline class per
operation, the frame counts and sizes the model accepts, its default steps and guidance, the
memory it needs, its licence and how much ``from_pretrained`` downloads.

Where the figures come from (``source`` on each spec):

* **VRAM**: the model cards and the diffusers documentation, as cited.  ``vram_gb`` is the
  need with every component on the GPU; where no page gives it, it is derived from the
  half-precision weight sizes (transformer + text encoder + VAE) plus about 1.5 GB of
  activations at the default size, and says so.  ``vram_offload_gb`` is the need with
  ``enable_model_cpu_offload()`` (one component on the GPU at a time).
* **Download sizes**: the sum of the files in the diffusers folders of the hub repository
  (``transformer/``, ``text_encoder/``, ``vae/``...), as listed on its "Files" page;
  ``from_pretrained`` fetches those folders only.
* **Architecture figures** (``params_b``, ``layers``, ``hidden``, ``compression``): the
  transformer and VAE ``config.json`` of each repository; they feed the CPU time estimate.

Add your own model (a fine-tune, a local folder) with :func:`register`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidOptionError
from .base import ModelSpec

__all__ = ["OpenModelSpec", "MODELS", "register", "unregister", "frames_for", "parse_size"]


@dataclass(frozen=True)
class OpenModelSpec(ModelSpec):
    """A :class:`ModelSpec` for a model that runs on this machine through diffusers."""

    #: Hugging Face hub id ("org/name"), or a local folder written by ``save_pretrained``.
    hub_id: str = ""
    #: A hub revision (branch, tag or commit) to pin; None: the default branch.
    revision: str | None = None
    #: Model family: decides how the pipeline is called ("wan", "ltx", "cogvideox").
    family: str = ""
    #: operation → diffusers pipeline class name (the first one is the one loaded).
    pipelines: tuple[tuple[str, str], ...] = ()
    #: Frames per second of the output.
    fps: int = 16
    #: Frame counts the model accepts are ``frame_step * k + 1``, up to ``max_frames``.
    frame_step: int = 4
    min_frames: int = 5
    max_frames: int = 81
    default_steps: int = 50
    default_guidance: float = 5.0
    default_strength: float = 0.8
    negative_prompt: str = ""
    #: Preferred weight dtype on a GPU ("bfloat16" or "float16"); the CPU uses float32.
    dtype: str = "bfloat16"
    #: dtype of the VAE when it should stay more precise than the rest (Wan: float32).
    vae_dtype: str | None = None
    #: GB of GPU memory: everything on the GPU / with enable_model_cpu_offload().
    vram_gb: float = 0.0
    vram_offload_gb: float = 0.0
    #: GB the weights take in half precision (host RAM with CPU offload; twice this in
    #: float32 on the CPU).
    ram_gb: float = 0.0
    #: GB that ``from_pretrained`` downloads into the Hugging Face cache.
    download_gb: float = 0.0
    licence: str = ""
    licence_url: str = ""
    source: str = ""
    #: For the CPU estimate: transformer parameters (billions), layers, hidden size and
    #: (temporal, spatial, patch) compression from pixels to tokens.
    params_b: float = 0.0
    layers: int = 0
    hidden: int = 0
    compression: tuple[int, int, int] = (4, 8, 2)
    #: Extra tokens every transformer pass attends to (CogVideoX joins the text tokens).
    extra_tokens: int = 0
    #: False for tiny test pipelines: those may run on the CPU without asking.
    full_size: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def pipeline_for(self, operation: str) -> str:
        for op, cls in self.pipelines:
            if op == operation:
                return cls
        raise InvalidOptionError(f"diffusers/{self.id} has no pipeline for {operation}; it does: "
                                 f"{', '.join(op for op, _ in self.pipelines)}.")

    @property
    def base_pipeline(self) -> str:
        return self.pipelines[0][1]

    def allowed_frames(self) -> list[int]:
        return list(range(self.min_frames, self.max_frames + 1, self.frame_step))


def parse_size(text: str) -> tuple[int, int]:
    """``"832x480"`` → (832, 480)."""
    w, _, h = str(text).lower().partition("x")
    try:
        return int(w), int(h)
    except ValueError:
        raise InvalidOptionError(f"size {text!r} is not WIDTHxHEIGHT, e.g. '832x480'.") from None


def frames_for(spec: OpenModelSpec, seconds: float | None, frames: int | None = None) -> int:
    """The frame count for ``seconds`` of video (or the explicit ``frames``), checked against
    what the model accepts (``frame_step * k + 1``, between ``min_frames`` and ``max_frames``)."""
    allowed = spec.allowed_frames()
    if frames is not None:
        if int(frames) not in allowed:
            shown = ", ".join(map(str, allowed[:12])) + (" ..." if len(allowed) > 12 else "")
            raise InvalidOptionError(
                f"frames={frames} is not accepted by diffusers/{spec.id}; it takes "
                f"{spec.frame_step}k+1 frames from {spec.min_frames} to {spec.max_frames}: "
                f"{shown}.")
        return int(frames)
    s = float(seconds if seconds is not None else (spec.default_duration or 1.0))
    want = round(s * spec.fps / spec.frame_step) * spec.frame_step + 1
    return min(max(want, spec.min_frames), spec.max_frames)


_WAN_NEGATIVE = ("blurred details, static, overexposed, subtitles, worst quality, low quality, "
                 "JPEG artifacts, deformed, extra fingers, poorly drawn hands, poorly drawn face")

_WAN_LICENCE = ("Apache-2.0", "https://huggingface.co/Wan-AI/Wan2.1-T2V-1.3B-Diffusers")

MODELS: dict[str, OpenModelSpec] = {}


def register(spec: OpenModelSpec) -> OpenModelSpec:
    """Add (or replace) a model in the ``diffusers`` provider's table: your own fine-tune, a
    local folder written by ``save_pretrained``, or a tiny test pipeline."""
    if not isinstance(spec, OpenModelSpec):
        raise InvalidOptionError("register() takes an OpenModelSpec.")
    if not spec.hub_id or not spec.pipelines or spec.family not in ("wan", "ltx", "cogvideox"):
        raise InvalidOptionError("An OpenModelSpec needs hub_id, pipelines and a family "
                                 "('wan', 'ltx' or 'cogvideox').")
    MODELS[spec.id] = spec
    return spec


def unregister(model_id: str) -> None:
    """Remove a model added with :func:`register` (unknown ids are ignored)."""
    MODELS.pop(model_id, None)


for _spec in (
    OpenModelSpec(
        id="wan2.1-t2v-1.3b",
        operations=("text_to_video", "video_to_video", "stylize"),
        durations=(1.0, 2.0, 3.0, 4.0, 5.0), default_duration=5.0,
        ratios=("832x480", "480x832"), default_ratio="832x480",
        price_per_second=0.0, price_note="free (runs on your GPU)",
        notes="Wan 2.1 text-to-video, 1.3B: the one that fits a free Colab T4 (with CPU offload).",
        hub_id="Wan-AI/Wan2.1-T2V-1.3B-Diffusers", family="wan",
        pipelines=(("text_to_video", "WanPipeline"), ("video_to_video", "WanVideoToVideoPipeline"),
                   ("stylize", "WanVideoToVideoPipeline")),
        fps=16, frame_step=4, min_frames=5, max_frames=81, default_steps=50, default_guidance=5.0,
        negative_prompt=_WAN_NEGATIVE, dtype="bfloat16", vae_dtype="float32",
        vram_gb=16.0, vram_offload_gb=11.0, ram_gb=14.5, download_gb=28.9,
        licence=_WAN_LICENCE[0], licence_url=_WAN_LICENCE[1],
        source=("VRAM: 8.19 GB on the model card (Wan's own scripts, T5 on the CPU); 11 GB with "
                "enable_model_cpu_offload() in the diffusers Wan guide (v0.33); 16 GB all on the "
                "GPU is derived from the bf16 weights (2.8 + 11.4 + 0.25 GB) plus activations. "
                "Download: transformer/ 5.68 GB + text_encoder/ 22.7 GB + vae/ 0.5 GB (fp32) on "
                "the repository's Files page. Architecture: 30 layers, 12 heads x 128."),
        params_b=1.3, layers=30, hidden=1536, compression=(4, 8, 2)),
    OpenModelSpec(
        id="wan2.1-i2v-14b-480p",
        operations=("image_to_video",),
        durations=(1.0, 2.0, 3.0, 4.0, 5.0), default_duration=5.0,
        ratios=("832x480", "480x832"), default_ratio="832x480", image_input=True,
        prompt_required=False, price_per_second=0.0, price_note="free (runs on your GPU)",
        notes="Wan 2.1 image-to-video, 14B at 480p: a 40 GB-class GPU (A100), or 35 GB with "
              "CPU offload.",
        hub_id="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", family="wan",
        pipelines=(("image_to_video", "WanImageToVideoPipeline"),),
        fps=16, frame_step=4, min_frames=5, max_frames=81, default_steps=40, default_guidance=5.0,
        negative_prompt=_WAN_NEGATIVE, dtype="bfloat16", vae_dtype="float32",
        vram_gb=48.0, vram_offload_gb=35.0, ram_gb=45.5, download_gb=91.0,
        licence="Apache-2.0", licence_url="https://huggingface.co/Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
        source=("VRAM: 'at least 35GB' for the 14B image-to-video models with "
                "enable_model_cpu_offload() in the diffusers Wan guide (v0.33); 48 GB all on the "
                "GPU is derived from the bf16 weights (32.8 + 11.4 + 1.3 GB). Download: "
                "transformer/ 14 shards of about 4.9 GB (fp32) + text_encoder/ 22.7 GB + "
                "image_encoder/ + vae/. Architecture: 40 layers, 40 heads x 128."),
        params_b=14.0, layers=40, hidden=5120, compression=(4, 8, 2)),
    OpenModelSpec(
        id="ltx-video",
        operations=("text_to_video", "image_to_video"),
        durations=(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0), default_duration=5.0,
        ratios=("704x480", "480x704", "768x512", "512x768"), default_ratio="704x480",
        image_input=True, price_per_second=0.0, price_note="free (runs on your GPU)",
        notes="Lightricks LTX-Video 2B (0.9): fast on consumer GPUs; sizes divisible by 32.",
        hub_id="Lightricks/LTX-Video", family="ltx",
        pipelines=(("text_to_video", "LTXPipeline"), ("image_to_video", "LTXImageToVideoPipeline")),
        fps=24, frame_step=8, min_frames=9, max_frames=257, default_steps=50,
        default_guidance=3.0,
        negative_prompt="worst quality, inconsistent motion, blurry, jittery, distorted",
        dtype="bfloat16", vram_gb=16.0, vram_offload_gb=11.0, ram_gb=14.1, download_gb=28.4,
        licence="LTX-Video Open Weights License (see the repository's License.txt)",
        licence_url="https://huggingface.co/Lightricks/LTX-Video",
        source=("No VRAM figure on the model card: 16 GB all on the GPU and 11 GB with "
                "enable_model_cpu_offload() are derived from the bf16 weights (transformer 3.8 "
                "+ T5-XXL 9.5 + VAE 0.8 GB; offload keeps the T5 encoder, the largest part, on "
                "the GPU alone). Download: transformer/ 7.69 GB + text_encoder/ 19.05 GB + "
                "vae/ 1.68 GB on the repository's Files page (the root *.safetensors "
                "checkpoints are not fetched). Architecture: 28 layers, 32 heads x 64; the VAE "
                "compresses 8x in time and 32x in space."),
        params_b=1.9, layers=28, hidden=2048, compression=(8, 32, 1)),
    OpenModelSpec(
        id="cogvideox-2b",
        operations=("text_to_video", "video_to_video", "stylize"),
        durations=(6.0,), default_duration=6.0,
        ratios=("720x480",), default_ratio="720x480",
        price_per_second=0.0, price_note="free (runs on your GPU)",
        notes="CogVideoX 2B: 49 frames at 8 fps, 720x480 (the only size it was trained for).",
        hub_id="THUDM/CogVideoX-2b", family="cogvideox",
        pipelines=(("text_to_video", "CogVideoXPipeline"),
                   ("video_to_video", "CogVideoXVideoToVideoPipeline"),
                   ("stylize", "CogVideoXVideoToVideoPipeline")),
        fps=8, frame_step=4, min_frames=49, max_frames=49, default_steps=50,
        default_guidance=6.0, dtype="float16",
        vram_gb=19.0, vram_offload_gb=12.5, ram_gb=13.3, download_gb=13.4,
        licence="Apache-2.0", licence_url="https://huggingface.co/THUDM/CogVideoX-2b",
        source=("VRAM: 'FP16: 12.5GB* using diffusers' (with its memory optimisations) on the "
                "model card; 'about 19 GB of GPU memory to decode 49 frames' without them in the "
                "diffusers CogVideoX guide. Download: transformer/ 3.39 GB + text_encoder/ 9.52 "
                "GB + vae/ on the repository's Files page. Architecture: 30 layers, 30 heads x "
                "64, 226 text tokens joined to the video tokens."),
        params_b=1.7, layers=30, hidden=1920, compression=(4, 8, 2), extra_tokens=226),
    OpenModelSpec(
        id="cogvideox-5b-i2v",
        operations=("image_to_video",),
        durations=(6.0,), default_duration=6.0,
        ratios=("720x480",), default_ratio="720x480", image_input=True,
        price_per_second=0.0, price_note="free (runs on your GPU)",
        notes="CogVideoX 5B image-to-video: 49 frames at 8 fps, 720x480.",
        hub_id="THUDM/CogVideoX-5b-I2V", family="cogvideox",
        pipelines=(("image_to_video", "CogVideoXImageToVideoPipeline"),),
        fps=8, frame_step=4, min_frames=49, max_frames=49, default_steps=50,
        default_guidance=6.0, dtype="bfloat16",
        vram_gb=26.0, vram_offload_gb=20.7, ram_gb=21.0, download_gb=21.5,
        licence="CogVideoX License (see the repository's LICENSE)",
        licence_url="https://huggingface.co/THUDM/CogVideoX-5b-I2V",
        source=("VRAM: 'BF16: 20.7GB* using diffusers' (with its memory optimisations) on the "
                "CogVideoX-5b model cards; 26 GB without them is the SAT figure on the same "
                "card. Download: transformer (5B, bf16) about 11 GB + text_encoder/ 9.52 GB + "
                "vae/. Architecture: 42 layers, 48 heads x 64, 226 text tokens."),
        params_b=5.0, layers=42, hidden=3072, compression=(4, 8, 2), extra_tokens=226),
):
    register(_spec)
