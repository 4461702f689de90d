"""The ``diffusers`` provider end to end, offline, on the CPU, with tiny random pipelines.

The pipelines are real diffusers pipelines (``WanPipeline``, ``WanImageToVideoPipeline``,
``LTXPipeline``, ``CogVideoXPipeline``...) built from tiny random components by
``videonb.testing.tiny_models``, written with ``save_pretrained`` and loaded back by the
provider's own ``from_pretrained`` path.  Devices other than this machine's CPU are simulated by
replacing the torch functions the provider reads (``torch.cuda.is_available``,
``torch.cuda.mem_get_info``, ...), never videonb's own functions.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from collections import namedtuple
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

import videonb  # noqa: E402
from videonb import errors  # noqa: E402
from videonb.providers import api  # noqa: E402
from videonb.providers import diffusers as vd  # noqa: E402
from videonb.providers.ledger import ledger  # noqa: E402
from videonb.testing import tiny_models  # noqa: E402

GiB = 1024 ** 3


@pytest.fixture(scope="module")
def tiny_folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-pipelines")
    return {kind: tiny_models.save_tiny_pipeline(root / kind, kind) for kind in tiny_models.KINDS}


@pytest.fixture()
def tiny(tiny_folders, home):
    """Tiny models registered in the provider's table (and removed again), nothing loaded."""
    ids = {"wan": "tiny-wan", "wan-i2v": "tiny-wan-i2v", "ltx": "tiny-ltx",
           "cogvideox": "tiny-cogvideox"}
    for kind, mid in ids.items():
        vd.register(tiny_models.tiny_spec(mid, tiny_folders[kind], kind))
    yield ids
    vd.unload()
    for mid in ids.values():
        vd.unregister(mid)


def _gpu(monkeypatch, *gpus, bf16=True):
    """Make torch report CUDA GPUs with (free GiB, total GiB, name) each."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(gpus))
    monkeypatch.setattr(torch.cuda, "mem_get_info",
                        lambda i=0: (int(gpus[i or 0][0] * GiB), int(gpus[i or 0][1] * GiB)))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: gpus[i or 0][2])
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)


def _ram(monkeypatch, total_gb, available_gb):
    import psutil

    vm = namedtuple("vm", "total available")
    monkeypatch.setattr(psutil, "virtual_memory", lambda: vm(int(total_gb * GiB),
                                                             int(available_gb * GiB)))


def _pixels(video):
    """The decoded frames (the file's bytes also hold timings, so they differ run to run)."""
    import numpy as np

    from videonb.media.sampling import iter_frames

    return np.stack([img for _t, img in iter_frames(video.path)])


def _same(a, b):
    return a.shape == b.shape and (a == b).all()


def _store_files():
    return sorted(p.name for p in ledger().store.rglob("*") if p.is_file())


# --- generation, provenance, the cache, loaded pipelines ----------------------------------------
def test_text_to_video_on_a_tiny_wan_pipeline(tiny):
    v = videonb.generate("a red paper boat on a pond", provider="diffusers/tiny-wan", seed=7,
                         steps=3, progress=False)
    assert isinstance(v, videonb.Video)
    info = v.info
    assert (info.frame_count, info.width, info.height) == (9, 16, 16)   # 1 s at 8 fps, 4k+1
    p = v.provenance
    assert p["provider"] == "diffusers" and p["model"] == "tiny-wan" and not p["cached"]
    assert p["pipeline"] == "WanPipeline" and p["seed"] == 7 and p["steps"] == 3
    assert p["revision"].startswith("local folder")
    assert p["hub_id"] == str(vd.MODELS["tiny-wan"].hub_id)
    assert p["cpu_seconds"] > 0 and "gpu_seconds" not in p and p["device"].startswith("cpu")
    assert p["frames"] == 9 and p["size"] == "16x16" and p["dtype"] == "float32"
    from videonb.display.html import provenance_line

    assert "seed 7 · 3 steps" in provenance_line(p) and "s of CPU" in provenance_line(p)


def test_the_cache_by_model_prompt_seed_and_options_and_pipelines_stay_loaded(tiny):
    # guidance > 1 (classifier-free guidance) makes the tiny random model's prompt effect visible
    kw = dict(provider="diffusers/tiny-wan", seed=1, steps=2, guidance=6.0, progress=False)
    first = videonb.generate("a kite over the sea", **kw)
    (entry,) = vd.loaded()
    again = videonb.generate("a kite over the sea", **kw)
    assert again.provenance["cached"] and again.path == first.path          # not recomputed
    other_seed = videonb.generate("a kite over the sea", **{**kw, "seed": 2})
    more_steps = videonb.generate("a kite over the sea", **{**kw, "steps": 3})
    other_prompt = videonb.generate("a cat over the sea", **kw)
    made = [_pixels(v) for v in (first, other_seed, more_steps, other_prompt)]
    assert not any(_same(made[0], other) for other in made[1:])
    assert not any(v.provenance["cached"] for v in (other_seed, more_steps, other_prompt))
    # One pipeline for the model, loaded once: the later runs reused it.
    assert vd.loaded() == [entry] and other_seed.provenance["load_seconds"] == entry["load_seconds"]
    # The same seed and options give the same video (re-made after refresh=True).
    redo = videonb.generate("a kite over the sea", refresh=True, **kw)
    assert not redo.provenance["cached"] and _same(_pixels(redo), made[0])
    # Freed on request; the next run loads it again.
    assert vd.unload("tiny-wan") == ["tiny-wan"] and vd.loaded() == []
    videonb.generate("a kite over the sea", **{**kw, "seed": 3})
    assert [e["model"] for e in vd.loaded()] == ["tiny-wan"]


def test_no_seed_means_a_recorded_random_seed(tiny):
    v = videonb.generate("a red kite", provider="diffusers/tiny-wan", progress=False)
    seed = v.provenance["seed"]
    assert isinstance(seed, int)
    same = videonb.generate("a red kite", provider="diffusers/tiny-wan", seed=seed,
                            refresh=True, progress=False)
    assert not same.provenance["cached"] and _same(_pixels(same), _pixels(v))


def test_image_to_video_with_wan_and_ltx(tiny, tmp_path):
    from PIL import Image

    still = tmp_path / "still.png"
    Image.new("RGB", (40, 30), (200, 40, 30)).save(still)
    v = videonb.image_to_video(still, "slow zoom in", provider="diffusers/tiny-wan-i2v", seed=1,
                               progress=False)
    assert v.provenance["pipeline"] == "WanImageToVideoPipeline" and v.info.frame_count == 9
    ltx = videonb.image_to_video(still, "the camera pans", provider="diffusers/tiny-ltx", seed=1,
                                 progress=False)
    assert ltx.provenance["pipeline"] == "LTXImageToVideoPipeline"
    assert (ltx.info.frame_count, ltx.info.width) == (9, 32)
    with pytest.raises(errors.InvalidOptionError, match="cannot do image_to_video"):
        videonb.image_to_video(still, "zoom", provider="diffusers/tiny-wan", progress=False)


def test_text_to_video_with_ltx_and_cogvideox(tiny):
    ltx = videonb.generate("a boat", provider="diffusers/tiny-ltx", seed=1, progress=False)
    cog = videonb.generate("a boat", provider="diffusers/tiny-cogvideox", seed=1, progress=False)
    assert ltx.provenance["pipeline"] == "LTXPipeline" and ltx.info.frame_count == 9
    assert cog.provenance["pipeline"] == "CogVideoXPipeline" and cog.info.frame_count == 9


def test_video_to_video_restyles_through_the_loaded_pipeline(tiny):
    src = videonb.generate("a red boat", provider="diffusers/tiny-wan", seed=1, progress=False)
    out = videonb.stylize(src, "a watercolor painting of a boat", strength=0.5,
                          provider="diffusers/tiny-wan", seed=1, progress=False)
    p = out.provenance
    assert p["pipeline"] == "WanVideoToVideoPipeline" and p["strength"] == 0.5
    assert out.info.frame_count == 9 and not _same(_pixels(out), _pixels(src))
    assert len(vd.loaded()) == 1                      # the same components, not a second load
    with pytest.raises(errors.InvalidOptionError, match="strength"):
        videonb.stylize(src, "x", strength=0.0, provider="diffusers/tiny-wan", progress=False)


# --- progress and cancel --------------------------------------------------------------------------
def test_progress_is_reported_per_denoising_step(tiny):
    seen: list[float] = []

    async def main():
        return await api.generate_async("a boat", provider="diffusers/tiny-wan", seed=1,
                                        steps=4, on_update=lambda r: seen.append(r.progress))

    v = asyncio.run(main())
    steps = [p for p in seen if p is not None and 0 < p < 0.951]
    assert steps == pytest.approx([0.95 * k / 4 for k in (1, 2, 3, 4)])
    assert seen[0] == 0.0 and seen[-1] == 1.0 and v.provenance["steps"] == 4


def test_cancel_between_steps_leaves_nothing_half_written(tiny):
    before = _store_files()

    async def main():
        started = asyncio.Event()

        def update(rec):
            if rec.progress:
                started.set()

        job = await api.generate_async("a long boat", provider="diffusers/tiny-wan", seed=1,
                                       steps=400, wait=False, on_update=update)
        await asyncio.wait_for(started.wait(), 120)
        # What the kernel's Interrupt and `%videonb jobs cancel ID` call.
        rec = await api.cancel_async(job.id)
        assert rec.status == "cancelled"
        with pytest.raises((asyncio.CancelledError, errors.JobCancelledError)):
            await job
        return job

    job = asyncio.run(main())
    rec = ledger().get(job.id)
    assert rec.status == "cancelled" and rec.progress < 0.5 and rec.output_path is None
    assert _store_files() == before                  # no output, no .render-* temp file
    assert [e["busy"] for e in vd.loaded()] == [False]   # the worker stopped at a step's end
    # The pipeline is still good for the next run.
    ok = videonb.generate("a long boat", provider="diffusers/tiny-wan", seed=1, steps=2,
                          progress=False)
    assert ok.info.frame_count == 9


def test_a_cancel_recorded_by_another_kernel_stops_the_run(tiny):
    """Another kernel on the same ledger (``videonb.cancel(id)`` there) only changes the row; the
    next step's progress report sees it and the run stops."""

    async def main():
        async def cancel_from_elsewhere(rec_id):
            ledger().update(rec_id, status="cancelled", error_code="cancelled",
                            error_message="cancelled in another kernel")

        tasks = []

        def update(rec):
            if rec.progress and not tasks:
                tasks.append(asyncio.ensure_future(cancel_from_elsewhere(rec.id)))

        with pytest.raises(errors.JobCancelledError):
            await api.generate_async("another boat", provider="diffusers/tiny-wan", seed=2,
                                     steps=400, on_update=update)
        return tasks

    asyncio.run(main())
    (rec,) = [r for r in ledger().all() if r.status == "cancelled"]
    assert rec.progress < 0.5 and rec.output_path is None


def test_generate_panel_offers_tiny_models_and_its_cancel_button_stops_between_steps(tiny):
    from tests.test_widgets import wait_for

    panel = videonb.GeneratePanel("a red kite", provider="diffusers/tiny-wan",
                                  provider_options={"diffusers": {"steps": 500}})
    assert "tiny-wan" in panel.targets["diffusers"]
    assert "wan2.1-t2v-1.3b" not in panel.targets["diffusers"]       # no GPU on this machine
    assert "no GPU here" in panel.unavailable["diffusers/wan2.1-t2v-1.3b"]
    assert "not offered here" in panel.not_offered.value
    panel.generate()
    import re

    # Running, past the first few of 500 denoising steps (1% = step 6).
    wait_for(panel.progress, "value", lambda v: 'data-status="running"' in v
             and re.search(r"running ([1-9]\d*)%", v), timeout=120)
    panel.cancel_button.click()
    wait_for(panel.progress, "value", lambda v: 'data-status="failed"' in v, timeout=120)
    assert isinstance(panel.error, errors.JobCancelledError)
    rec = videonb.jobs()[0]
    assert rec.status == "cancelled" and rec.progress < 0.5


def test_videogen_magic_runs_a_tiny_model_and_explains_a_refusal(tiny, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "videonb")
    v = ip.run_cell_magic("videogen", "diffusers/tiny-wan --seed 4 --as boat", "a paper boat")
    assert isinstance(v, videonb.Video) and v.provenance["seed"] == 4 and ip.user_ns["boat"] is v
    assert ip.run_cell_magic("videogen", "diffusers/wan2.1-t2v-1.3b", "a paper boat") is None
    err = capsys.readouterr().err
    assert "DeviceTooSlowError" in err and "allow_cpu=True" in err and "Traceback" not in err
    ip.user_ns.pop("boat", None)


# --- devices and memory (simulated through torch's own functions) ------------------------------
def test_cpu_refuses_a_full_size_model_with_an_estimate(home):
    with pytest.raises(errors.DeviceTooSlowError) as info:
        videonb.generate("a boat", provider="diffusers/wan2.1-t2v-1.3b", progress=False)
    msg = str(info.value)
    assert "no GPU" in msg and "allow_cpu=True" in msg and "GFLOP/s measured" in msg
    assert any(unit in msg for unit in ("hours", "days"))
    assert videonb.jobs() == [] and vd.loaded() == []            # refused before any job or load
    p = vd.plan("wan2.1-t2v-1.3b")
    assert not p.ok and "DeviceTooSlowError" in p.verdict and "cpu" in repr(p)


def test_allow_cpu_then_checks_the_ram(home, monkeypatch):
    _ram(monkeypatch, 24, 20)
    with pytest.raises(errors.InsufficientMemoryError, match=r"29 GB of RAM.*20\.0 GB"):
        videonb.generate("a boat", provider="diffusers/wan2.1-t2v-1.3b", allow_cpu=True,
                         progress=False)
    _ram(monkeypatch, 64, 60)
    p = vd.plan("wan2.1-t2v-1.3b", allow_cpu=True)
    assert p.memory.device.kind == "cpu" and p.memory.dtype == "float32"
    assert p.memory.cpu_seconds > 3600                          # an honest "hours at least"


def test_a_t4_gets_model_cpu_offload_in_float16(home, monkeypatch):
    _gpu(monkeypatch, (14.6, 15.0, "Tesla T4"), bf16=False)
    p = vd.plan("wan2.1-t2v-1.3b", download=True)
    m = p.memory
    assert m.device.kind == "cuda" and m.device.name == "Tesla T4"
    assert m.offload == "model" and m.dtype == "float16" and m.need_gb == 11.0 and m.fits
    assert any("enable_model_cpu_offload" in n for n in m.notes) and p.ok
    # The menus offer what fits this GPU with offload, and say why not for the rest.
    ok, why = vd.DiffusersProvider().model_status("wan2.1-i2v-14b-480p")
    assert not ok and "35 GB" in why
    assert vd.DiffusersProvider().model_status("wan2.1-t2v-1.3b") == (True, "")


def test_too_little_gpu_memory_is_refused_before_loading_with_what_to_do(home, monkeypatch):
    _gpu(monkeypatch, (6.0, 8.0, "GeForce RTX 3070"))
    with pytest.raises(errors.InsufficientMemoryError) as info:
        videonb.generate("a boat", provider="diffusers/cogvideox-2b", progress=False)
    msg = str(info.value)
    assert "12.5 GB" in msg and "6.0 of 8.0 GB free" in msg and "offload='sequential'" in msg
    assert videonb.jobs() == [] and vd.loaded() == []
    # Forcing everything onto the GPU says that model offload would do on a bigger card.
    _gpu(monkeypatch, (14.0, 16.0, "RTX 4080"))
    with pytest.raises(errors.InsufficientMemoryError, match="offload='model'"):
        vd.DiffusersProvider(offload="none").machine_plan(vd.MODELS["cogvideox-2b"])
    # check_memory=False is the explicit way past the check.
    plan = vd.DiffusersProvider(check_memory=False).machine_plan(vd.MODELS["wan2.1-i2v-14b-480p"])
    assert plan.device.kind == "cuda"


def test_a_big_gpu_keeps_everything_on_it_and_the_emptiest_gpu_is_chosen(home, monkeypatch):
    _gpu(monkeypatch, (14.0, 24.0, "busy A5000"), (78.0, 80.0, "A100 80GB"))
    m = vd.plan("wan2.1-i2v-14b-480p", download=True).memory
    assert m.device.torch == "cuda:1" and m.offload == "none" and m.dtype == "bfloat16"
    m = vd.DiffusersProvider(device="cuda:0").machine_plan(vd.MODELS["wan2.1-t2v-1.3b"])
    assert m.device.torch == "cuda:0" and m.offload == "model"


def test_apple_mps_is_used_when_there_is_no_cuda(home, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(torch.mps, "recommended_max_memory", lambda: int(21 * GiB))
    monkeypatch.setattr(torch.mps, "driver_allocated_memory", lambda: int(1 * GiB))
    m = vd.DiffusersProvider().machine_plan(vd.MODELS["ltx-video"])
    assert m.device.kind == "mps" and m.offload == "none" and m.free_gb == pytest.approx(20)


def test_device_option_is_checked(home):
    with pytest.raises(errors.InvalidOptionError, match="no CUDA GPU"):
        vd.DiffusersProvider(device="cuda").machine_plan(vd.MODELS["ltx-video"])
    with pytest.raises(errors.InvalidOptionError, match="use 'cuda'"):
        vd.DiffusersProvider(device="tpu").machine_plan(vd.MODELS["ltx-video"])


# --- requests and errors -----------------------------------------------------------------------
def test_options_are_checked_and_frames_follow_the_model(tiny):
    with pytest.raises(errors.InvalidOptionError, match="does not know the option"):
        videonb.generate("a boat", provider="diffusers/tiny-wan", step=3, progress=False)
    with pytest.raises(errors.InvalidOptionError, match=r"4k\+1 frames from 5 to 17: 5, 9, 13, 17"):
        videonb.generate("a boat", provider="diffusers/tiny-wan", frames=10, progress=False)
    with pytest.raises(errors.InvalidOptionError, match="allowed: 16x16"):
        videonb.generate("a boat", provider="diffusers/tiny-wan", ratio="640x480", progress=False)
    v = videonb.generate("a boat", provider="diffusers/tiny-wan", frames=13, ratio="32x16",
                         seed=1, progress=False)
    assert (v.info.frame_count, v.info.width, v.info.height) == (13, 32, 16)
    assert v.provenance["seconds"] == 1.5                      # (13 - 1) / 8 fps


def test_missing_weights_name_the_hub_id_and_the_size(home, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    spec = tiny_models.tiny_spec("tiny-absent", "videonb-testing/never-downloaded",
                                 download_gb=1.5)
    vd.register(spec)
    try:
        with pytest.raises(errors.WeightsMissingError) as info:
            videonb.generate("a boat", provider="diffusers/tiny-absent", progress=False)
        msg = str(info.value)
        assert "videonb-testing/never-downloaded" in msg and "1.5 GB" in msg
        assert "offline" in msg and "download(" in msg
        assert videonb.jobs() == []
        # download=True cannot help offline: the run fails with the same error, recorded.
        with pytest.raises(errors.WeightsMissingError):
            videonb.generate("a boat", provider="diffusers/tiny-absent", download=True,
                             progress=False)
        assert videonb.jobs()[0].status == "failed"
        assert videonb.jobs()[0].error_code == "weights_missing"
        with pytest.raises(errors.WeightsMissingError, match="offline"):
            vd.download("tiny-absent")
        assert vd.plan("tiny-absent").weights is False
    finally:
        vd.unregister("tiny-absent")


def test_a_hub_id_resolves_from_the_hugging_face_cache_offline(tiny_folders, tmp_path):
    """The real hub-cache path: from_pretrained('org/name') offline finds a snapshot laid out
    as a download leaves it, and the revision in the provenance is that snapshot's commit.
    (A subprocess: huggingface_hub reads HF_HUB_CACHE when it is imported.)"""
    cache = tmp_path / "hf-cache"
    snap = tiny_models.install_in_hf_cache(tiny_folders["wan"], "videonb-testing/tiny-wan",
                                           cache, revision="ab" * 20)
    assert snap.name == "ab" * 20
    code = textwrap.dedent("""
        import json
        import videonb
        from videonb.providers import diffusers as vd
        from videonb.testing import tiny_models
        vd.register(tiny_models.tiny_spec("hub-wan", "videonb-testing/tiny-wan"))
        p = vd.plan("hub-wan")
        v = videonb.generate("a boat", provider="diffusers/hub-wan", seed=1, progress=False)
        print(json.dumps({"weights": p.weights, "revision": v.provenance["revision"],
                          "frames": v.info.frame_count}))
    """)
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1",
           "VIDEONB_HOME": str(tmp_path / "home"), "PYTHONPATH": str(Path(__file__).parents[1])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"weights": True, "revision": "ab" * 20, "frames": 9}


def test_render_details_read_only_known_plain_values(tmp_path):
    import numpy as np

    from videonb.media.encode import encode_video
    from videonb.providers.base import render_details

    tag = {"videonb": {"seed": 5, "steps": 2, "revision": "x" * 500, "prompt": "not kept",
                       "device": {"nested": "dropped"}, "gpu_seconds": True}}
    path = encode_video(np.zeros((3, 16, 16, 3), np.uint8), tmp_path / "a.mp4", fps=8,
                        metadata={"comment": json.dumps(tag)})
    assert render_details(path) == {"seed": 5, "steps": 2, "revision": "x" * 200}
    plain = encode_video(np.zeros((3, 16, 16, 3), np.uint8), tmp_path / "b.mp4", fps=8,
                         metadata={"comment": "just words"})
    assert render_details(plain) == {} and render_details(None) == {}


def test_the_table_is_data_with_sources():
    for mid in ("wan2.1-t2v-1.3b", "wan2.1-i2v-14b-480p", "ltx-video", "cogvideox-2b",
                "cogvideox-5b-i2v"):
        s = vd.MODELS[mid]
        assert s.hub_id and s.licence and s.source and s.download_gb > 1 and s.full_size
        assert 0 < s.vram_offload_gb <= s.vram_gb and s.default_steps and s.default_guidance
        for op in s.operations:
            import diffusers

            assert hasattr(diffusers, s.pipeline_for(op)), (mid, op)    # the installed names
        assert set(s.ratios) and s.default_ratio in s.ratios
    rows = [r for r in videonb.providers() if r.provider == "diffusers"]
    assert {r.model.split()[0] for r in rows} >= {"wan2.1-t2v-1.3b", "ltx-video", "cogvideox-2b"}

