"""Tiny random diffusers pipelines, for tests and the offline tutorial of the ``diffusers``
provider.

They have the real classes and the real shapes of the data flow (a 2-layer
``WanTransformer3DModel``, a small ``AutoencoderKLWan``, a small ``UMT5EncoderModel`` built from a
config, a word-level tokenizer made with ``tokenizers``...) but random weights, so they make
coloured noise, in seconds, on a CPU, with no download.  :func:`save_tiny_pipeline` writes one
with ``save_pretrained``; :func:`tiny_spec` describes it as an
:class:`~videonb.providers.diffusers_models.OpenModelSpec` whose ``hub_id`` is that folder, so
``videonb.generate(..., provider="diffusers/<id>")`` loads it back through the provider's own
``from_pretrained`` path.  :func:`install_in_hf_cache` lays the folder out as a Hugging Face
cache entry (``models--org--name/snapshots/<commit>/`` plus ``refs/main``), so a *hub id* resolves
to it offline, as real weights would after a download.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ..providers.diffusers_models import OpenModelSpec

__all__ = ["KINDS", "build_tiny_pipeline", "save_tiny_pipeline", "tiny_spec",
           "install_in_hf_cache"]

#: What each kind builds: (pipeline class, family, operations).
KINDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "wan": ("WanPipeline", "wan", ("text_to_video", "video_to_video", "stylize")),
    "wan-i2v": ("WanImageToVideoPipeline", "wan", ("image_to_video",)),
    "ltx": ("LTXPipeline", "ltx", ("text_to_video", "image_to_video")),
    "cogvideox": ("CogVideoXPipeline", "cogvideox", ("text_to_video", "video_to_video",
                                                      "stylize")),
}

_WORDS = ("a the red blue green paper boat on pond at sunset kite over sea cat dog slowly "
          "camera pans zoom in city night rain watercolor painting of")


def _tokenizer(max_length: int) -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for word in _WORDS.split():
        vocab.setdefault(word, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>", model_max_length=max_length)


def _umt5(d_model: int = 32) -> Any:
    from transformers import UMT5Config, UMT5EncoderModel

    return UMT5EncoderModel(UMT5Config(vocab_size=64, d_model=d_model, d_kv=8, d_ff=64,
                                       num_layers=2, num_heads=4,
                                       relative_attention_num_buckets=8, pad_token_id=0,
                                       eos_token_id=1, decoder_start_token_id=0))


def _t5(d_model: int = 32) -> Any:
    from transformers import T5Config, T5EncoderModel

    return T5EncoderModel(T5Config(vocab_size=64, d_model=d_model, d_kv=8, d_ff=64, num_layers=2,
                                   num_heads=4, relative_attention_num_buckets=8, pad_token_id=0,
                                   eos_token_id=1, decoder_start_token_id=0))


def build_tiny_pipeline(kind: str = "wan", *, seed: int = 0) -> Any:
    """A diffusers pipeline of ``kind`` (see :data:`KINDS`) with tiny random components."""
    import diffusers
    import torch

    if kind not in KINDS:
        raise ValueError(f"kind={kind!r}: one of {', '.join(KINDS)}")
    torch.manual_seed(seed)
    if kind in ("wan", "wan-i2v"):
        i2v = kind == "wan-i2v"
        transformer = diffusers.WanTransformer3DModel(
            patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12,
            in_channels=36 if i2v else 16, out_channels=16, text_dim=32, freq_dim=256,
            ffn_dim=32, num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
            rope_max_seq_len=32, image_dim=4 if i2v else None)
        vae = diffusers.AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1],
                                         num_res_blocks=1, temperal_downsample=[False, True, True])
        parts: dict[str, Any] = dict(tokenizer=_tokenizer(64), text_encoder=_umt5(),
                                     transformer=transformer, vae=vae,
                                     scheduler=diffusers.FlowMatchEulerDiscreteScheduler(shift=7.0))
        if not i2v:
            return diffusers.WanPipeline(**parts)
        from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

        try:
            from transformers import CLIPImageProcessorPil as Processor
        except ImportError:  # transformers < 5
            from transformers import CLIPImageProcessor as Processor
        encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
            hidden_size=4, projection_dim=4, num_hidden_layers=2, num_attention_heads=2,
            image_size=32, intermediate_size=16, patch_size=1))
        processor = Processor(crop_size=32, size=32)
        return diffusers.WanImageToVideoPipeline(**parts, image_encoder=encoder,
                                                 image_processor=processor)
    if kind == "ltx":
        transformer = diffusers.LTXVideoTransformer3DModel(
            in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4,
            attention_head_dim=8, cross_attention_dim=32, num_layers=1, caption_channels=32)
        vae = diffusers.AutoencoderKLLTXVideo(
            in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
            decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
            decoder_layers_per_block=(1, 1, 1, 1, 1),
            spatio_temporal_scaling=(True, True, False, False),
            decoder_spatio_temporal_scaling=(True, True, False, False),
            decoder_inject_noise=(False, False, False, False, False),
            upsample_residual=(False, False, False, False), upsample_factor=(1, 1, 1, 1),
            timestep_conditioning=False, patch_size=1, patch_size_t=1, encoder_causal=True,
            decoder_causal=False)
        vae.use_framewise_encoding = False
        vae.use_framewise_decoding = False
        return diffusers.LTXPipeline(tokenizer=_tokenizer(32), text_encoder=_t5(),
                                     transformer=transformer, vae=vae,
                                     scheduler=diffusers.FlowMatchEulerDiscreteScheduler())
    transformer = diffusers.CogVideoXTransformer3DModel(
        num_attention_heads=4, attention_head_dim=8, in_channels=4, out_channels=4,
        time_embed_dim=2, text_embed_dim=32, num_layers=1, sample_width=2, sample_height=2,
        sample_frames=9, patch_size=2, temporal_compression_ratio=4, max_text_seq_length=226)
    vae = diffusers.AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4, up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8), latent_channels=4, layers_per_block=1, norm_num_groups=2,
        temporal_compression_ratio=4)
    return diffusers.CogVideoXPipeline(tokenizer=_tokenizer(226), text_encoder=_t5(),
                                       transformer=transformer, vae=vae,
                                       scheduler=diffusers.CogVideoXDDIMScheduler())


def save_tiny_pipeline(folder: str | Path, kind: str = "wan", *, seed: int = 0) -> Path:
    """Build a tiny pipeline of ``kind`` and write it with ``save_pretrained`` (about 0.3 MB)."""
    import transformers.utils.logging as tlog
    from huggingface_hub import utils as hf

    folder = Path(folder)
    pipe = build_tiny_pipeline(kind, seed=seed)
    bars = tlog.is_progress_bar_enabled(), hf.are_progress_bars_disabled()
    tlog.disable_progress_bar()   # no "Writing model shards" bar in the cell
    hf.disable_progress_bars()
    try:
        pipe.save_pretrained(str(folder))
    finally:
        if bars[0]:
            tlog.enable_progress_bar()
        if not bars[1]:
            hf.enable_progress_bars()
    return folder


def tiny_spec(model_id: str, source: str | Path, kind: str = "wan", **overrides: Any) -> OpenModelSpec:
    """An :class:`OpenModelSpec` for a tiny pipeline of ``kind`` at ``source`` (its folder, or a
    hub id that :func:`install_in_hf_cache` resolves): sizes of 16-32 pixels, a few frames,
    2 steps; not full size, so it runs on the CPU without ``allow_cpu``."""
    cls, family, ops = KINDS[kind]
    if kind == "wan-i2v":
        ops = ("image_to_video",)
    pipelines = {"WanPipeline": (("text_to_video", "WanPipeline"),
                                 ("video_to_video", "WanVideoToVideoPipeline"),
                                 ("stylize", "WanVideoToVideoPipeline")),
                 "WanImageToVideoPipeline": (("image_to_video", "WanImageToVideoPipeline"),),
                 "LTXPipeline": (("text_to_video", "LTXPipeline"),
                                 ("image_to_video", "LTXImageToVideoPipeline")),
                 "CogVideoXPipeline": (("text_to_video", "CogVideoXPipeline"),
                                       ("video_to_video", "CogVideoXVideoToVideoPipeline"),
                                       ("stylize", "CogVideoXVideoToVideoPipeline"))}[cls]
    shape = {"wan": dict(fps=8, frame_step=4, min_frames=5, max_frames=17,
                         durations=(0.5, 1.0, 2.0), default_duration=1.0,
                         ratios=("16x16", "32x32", "32x16"), default_ratio="16x16"),
             "ltx": dict(fps=8, frame_step=8, min_frames=9, max_frames=17,
                         durations=(1.0, 2.0), default_duration=1.0,
                         ratios=("32x32", "64x32"), default_ratio="32x32"),
             "cogvideox": dict(fps=8, frame_step=4, min_frames=9, max_frames=9,
                               durations=(1.0,), default_duration=1.0,
                               ratios=("16x16",), default_ratio="16x16")}[family]
    values: dict[str, Any] = dict(
        id=model_id, operations=ops, image_input="image_to_video" in ops,
        prompt_required="text_to_video" in ops, price_per_second=0.0,
        price_note="free (tiny random pipeline)",
        notes=f"tiny random {cls} for tests: makes coloured noise",
        hub_id=str(source), family=family, pipelines=pipelines, default_steps=2,
        default_guidance=1.0, dtype="float32", vram_gb=0.1, vram_offload_gb=0.1, ram_gb=0.01,
        download_gb=0.001, licence="test fixture", source="built by videonb.testing.tiny_models",
        params_b=0.00002, layers=2, hidden=24, compression={"wan": (4, 8, 2), "ltx": (8, 4, 1),
                                                            "cogvideox": (4, 8, 2)}[family],
        full_size=False, **shape)
    values.update(overrides)
    return OpenModelSpec(**values)


def install_in_hf_cache(folder: str | Path, repo_id: str, cache_dir: str | Path,
                        revision: str = "0" * 39 + "1") -> Path:
    """Copy a saved pipeline into ``cache_dir`` laid out as the Hugging Face hub cache lays out a
    downloaded model (``models--{org}--{name}/snapshots/{revision}/`` and ``refs/main``), so that
    ``from_pretrained(repo_id)`` finds it offline.  Returns the snapshot folder."""
    org, _, name = repo_id.partition("/")
    repo = Path(cache_dir) / f"models--{org}--{name}"
    snapshot = repo / "snapshots" / revision
    if snapshot.exists():
        shutil.rmtree(snapshot)
    shutil.copytree(folder, snapshot)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    return snapshot
