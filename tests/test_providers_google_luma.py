"""Issue 12: the ``google`` (Gemini Omni, Veo on Vertex) and ``luma`` (Dream Machine)
providers, their emulators driven by the official SDKs (google-genai, lumaai) unchanged
except for the base URL, videonb's own clients against them (faults, resume, cancel,
retired ids), retirements as data, and ``extend()`` for image-to-video models.

Nothing sleeps: jobs move on the emulators' simulated clock (``clock.advance``)."""

from __future__ import annotations

import asyncio
import base64
import typing

import pytest

import videonb
from test_emulators_sdk import fetch, offline, only_to, probe  # noqa: F401
from videonb import errors
from videonb.testing.emulators import GoogleEmulator, LumaEmulator, _media

KEY = "placeholder-not-a-key-emu7q9zx"  # no word at its ends: redact hides 8-char ends
FAST = dict(api_key=KEY, poll_interval=0.02, progress=False)
PNG = _media.solid_png(64, 36)


@pytest.fixture()
def genai():
    pytest.importorskip("google.genai")
    from google import genai as module

    return module


@pytest.fixture()
def lumaai():
    return pytest.importorskip("lumaai")


def gclient(genai, emu, **kw):
    from google.genai import types

    return genai.Client(api_key="gm-test", http_options=types.HttpOptions(base_url=emu.base_url),
                        **kw)


# ======================================================================================
# The Google emulator with google-genai
# ======================================================================================
def test_omni_interaction_in_the_background_with_inline_and_uri_video(genai, offline):
    with GoogleEmulator() as emu:
        client = gclient(genai, emu)
        first = client.interactions.create(
            model="gemini-omni-1.1-flash", input="a paper boat", background=True,
            response_format={"type": "video", "duration": "8s", "aspect_ratio": "9:16"})
        assert first.status == "queued" and first.id
        emu.clock.advance(1)
        done = client.interactions.get(first.id)
        assert done.status == "completed"
        assert probe(base64.b64decode(done.output_video.data)) == ("h264", 180, 320)
        by_uri = client.interactions.create(
            model="gemini-omni-1.2-flash", input=[{"type": "text", "text": "a kite"}],
            response_format={"type": "video", "delivery": "uri", "duration": "12s"},
            background=True)
        emu.clock.advance(1)
        uri = client.interactions.get(by_uri.id).output_video.uri
        assert uri.startswith(emu.base_url) and ":download" in uri
        only_to(emu, offline)


def test_omni_refuses_what_the_model_cannot_do(genai, offline):
    from google.genai import _interactions_errors as ierr

    with GoogleEmulator() as emu:
        client = gclient(genai, emu)
        cases = [(dict(model="gemini-omni-1.1-flash", response_format={
                      "type": "video", "duration": "12s"}), 400, "3-10 s"),
                 (dict(model="gemini-omni-1.1-flash", response_format={
                      "type": "video", "aspect_ratio": "1:1"}), 400, "aspect_ratio"),
                 (dict(model="gemini-omni-flash-preview"), 404, "no longer available"),
                 (dict(model="veo-3.1-generate-preview"), 404, "not found")]
        for kw, status, words in cases:
            with pytest.raises(ierr.APIStatusError) as info:
                client.interactions.create(input="x", background=True, **kw)
            assert info.value.status_code == status and words in str(info.value)
        assert emu.counts["jobs"] == 0


def test_omni_cancel_and_moderation(genai, offline):
    with GoogleEmulator(job_seconds=10) as emu:
        client = gclient(genai, emu)
        running = client.interactions.create(model="gemini-omni-1.1-flash", input="x",
                                             background=True)
        assert client.interactions.cancel(running.id).status == "cancelled"
        emu.inject("moderation")
        blocked = client.interactions.create(model="gemini-omni-1.1-flash", input="y",
                                             background=True)
        emu.clock.advance(20)
        failed = client.interactions.get(blocked.id)
        assert failed.status == "failed" and failed.errors[0].code == "SAFETY"


def test_veo_on_vertex_with_generate_videos_and_operations(genai, offline):
    from google.genai import types

    with GoogleEmulator() as emu:
        client = gclient(genai, emu, vertexai=True)
        op = client.models.generate_videos(
            model="veo-3.1-fast-generate-001",
            source=types.GenerateVideosSource(
                prompt="a lighthouse", image=types.Image(image_bytes=PNG, mime_type="image/png")),
            config=types.GenerateVideosConfig(duration_seconds=6, aspect_ratio="16:9"))
        assert "/operations/" in op.name and not op.done
        emu.clock.advance(1)
        op = client.operations.get(op)
        assert op.done and probe(op.response.generated_videos[0].video.video_bytes)[0] == "h264"
        with pytest.raises(genai.errors.ClientError) as bad:
            client.models.generate_videos(model="veo-3.1-generate-001", source=types.
                                          GenerateVideosSource(prompt="x"),
                                          config=types.GenerateVideosConfig(duration_seconds=5))
        assert bad.value.code == 400
        with pytest.raises(genai.errors.ClientError) as gone:
            client.models.generate_videos(model="veo-3.0-generate-001",
                                          source=types.GenerateVideosSource(prompt="x"))
        assert gone.value.code == 404
        # The SDK itself refuses Veo with an AI Studio key (Gemini Developer API mode).
        with pytest.raises(ValueError, match="Enterprise"):
            gclient(genai, emu).models.generate_videos(
                model="veo-3.1-generate-001", source=types.GenerateVideosSource(prompt="x"))
        only_to(emu, offline)


def test_google_emulator_tables_match_google_genai():
    pytest.importorskip("google.genai")
    from google.genai._gaos.types.interactions import model as model_mod
    from google.genai._gaos.types.interactions import videoconfig, videoresponseformat

    from videonb.testing.emulators import google as emu_mod

    def literal(alias):
        return {a for arg in typing.get_args(alias) for a in (typing.get_args(arg) or ())}

    sdk_models = literal(model_mod.Model)
    assert set(emu_mod.OMNI) | set(emu_mod.OMNI_RETIRED) <= sdk_models
    assert set(emu_mod.RATIOS) == literal(videoresponseformat.VideoResponseFormatAspectRatio)
    assert set(emu_mod.RESOLUTIONS) == literal(videoresponseformat.Resolution)
    assert set(emu_mod.TASKS) == literal(videoconfig.Task)


# ======================================================================================
# The Luma emulator with lumaai
# ======================================================================================
def test_luma_generation_lifecycle_with_the_sdk(lumaai, offline):
    with LumaEmulator() as emu:
        client = lumaai.LumaAI(auth_token="luma-test", base_url=emu.api_base)
        gen = client.generations.create(model="ray-2", prompt="a red kite", duration="9s",
                                        aspect_ratio="9:16", resolution="540p")
        assert gen.state == "queued" and gen.assets is None
        emu.clock.advance(0.1)
        assert client.generations.get(gen.id).state == "dreaming"
        emu.clock.advance(1)
        done = client.generations.get(gen.id)
        assert done.state == "completed" and done.request.duration == "9s"
        assert probe(fetch(done.assets.video)) == ("h264", 180, 320)
        page = client.generations.list(limit=1)
        assert page.count == 1 and page.generations[0].id == gen.id
        assert client.credits.get().credit_balance > 0
        ext = client.generations.create(model="ray-flash-2", prompt="further",
                                        keyframes={"frame0": {"type": "generation",
                                                              "id": gen.id}})
        assert ext.state == "queued"
        client.generations.delete(gen.id)
        with pytest.raises(lumaai.NotFoundError):
            client.generations.get(gen.id)
        only_to(emu, offline)


def test_luma_refusals_keys_and_faults(lumaai, offline):
    with LumaEmulator(expected_key="luma-right") as emu:
        client = lumaai.LumaAI(auth_token="luma-right", base_url=emu.api_base, max_retries=0)
        for kw in (dict(model="ray-1-6"), dict(model="ray-2", duration="7s"),
                   dict(model="ray-2", aspect_ratio="2:1"),
                   dict(model="ray-2", keyframes={"frame0": {"type": "image",
                                                             "url": "http://x/a.png"}})):
            with pytest.raises(lumaai.BadRequestError):
                client.generations.create(prompt="x", **kw)
        with pytest.raises(lumaai.AuthenticationError):
            lumaai.LumaAI(auth_token="luma-wrong", base_url=emu.api_base).ping.check()
        emu.inject("502")
        retried = lumaai.LumaAI(auth_token="luma-right", base_url=emu.api_base)
        assert retried.ping.check()  # the SDK retries 502
        emu.inject("moderation")
        gen = client.generations.create(model="ray-2", prompt="not allowed")
        emu.clock.advance(1)
        failed = client.generations.get(gen.id)
        assert failed.state == "failed" and "content policy" in failed.failure_reason


def test_luma_emulator_table_matches_lumaai():
    pytest.importorskip("lumaai")
    from lumaai.types import generation, generation_create_params as params

    from videonb.testing.emulators import luma as emu_mod

    hints = typing.get_type_hints(params.GenerationCreateParams, include_extras=True)

    def literals(tp):
        if typing.get_origin(tp) is typing.Literal:
            return set(typing.get_args(tp))
        return {v for arg in typing.get_args(tp) for v in literals(arg)}

    def values(name):
        return literals(hints[name])

    assert set(emu_mod.MODELS) == values("model")
    assert set(emu_mod.RATIOS) == values("aspect_ratio")
    assert set(emu_mod.DURATIONS) <= values("duration")
    assert set(emu_mod.RESOLUTIONS) <= values("resolution")
    assert set(emu_mod.STATES) == literals(generation.Generation.model_fields["state"].annotation)
    from videonb.providers.luma import MODELS

    assert {m for m, s in MODELS.items() if not s.is_retired()} == set(emu_mod.MODELS)


# ======================================================================================
# videonb's google and luma providers
# ======================================================================================
@pytest.fixture()
def google(home):
    with GoogleEmulator(expected_key=KEY, job_seconds=0.15) as emu:
        yield emu


@pytest.fixture()
def luma(home):
    with LumaEmulator(expected_key=KEY, job_seconds=0.15) as emu:
        yield emu


def _omni(emu, prompt, **kw):
    return videonb.generate(prompt, provider="google", base_url=emu.base_url, seconds=8,
                            **{**FAST, **kw})


def test_google_omni_job_records_cost_and_sends_the_key_only_home(google):
    v = _omni(google, "a paper boat at sunset")
    assert v.info.codec == "h264" and v.provenance["model"] == "gemini-omni-1.1-flash"
    assert v.provenance["cost_usd"] == pytest.approx(0.1014 * 8)
    (create,) = google.requests.filter(method="POST", route="interactions.create")
    (download,) = google.requests.filter(kind="download")
    assert "x-goog-api-key" in create.headers and "x-goog-api-key" in download.headers
    assert KEY not in repr(google.requests)
    again = _omni(google, "a paper boat at sunset")
    assert again.provenance["cached"] and google.counts["jobs"] == 1


def test_google_image_to_video_and_veo_need_the_right_mode(google, tmp_path):
    still = tmp_path / "still.png"
    still.write_bytes(PNG)
    v = videonb.generate("it starts to rain", provider="google", image=still,
                         base_url=google.base_url, seconds=4, ratio="16:9", **FAST)
    assert google.interactions[v.provenance["remote_id"]]["task"] == "image_to_video"
    with pytest.raises(errors.InvalidOptionError, match="vertexai=True"):
        videonb.generate("x", provider="google/veo-3.1-generate-001", base_url=google.base_url,
                         **FAST)
    veo = videonb.generate("a lighthouse", provider="google/veo-3.1-fast-generate-001",
                           vertexai=True, base_url=google.base_url, seconds=6, **FAST)
    assert veo.provenance["cost_usd"] == pytest.approx(0.60)
    assert google.requests.filter(route="models.generate_videos")
    with pytest.raises(errors.InvalidOptionError, match="allowed: 4, 6, 8"):
        videonb.generate("x", provider="google/veo-3.1-fast-generate-001", vertexai=True,
                         base_url=google.base_url, seconds=5, **FAST)


@pytest.mark.parametrize("model, replacement", [
    ("veo-3.1-generate-preview", "gemini-omni-1.1-flash"),
    ("gemini-omni-flash-preview", "gemini-omni-1.1-flash"),
    ("veo-3.0-generate-001", "veo-3.1-generate-001"),
])
def test_google_retired_ids_fail_before_any_request(google, model, replacement):
    with pytest.raises(errors.ProviderRetiredError) as info:
        videonb.generate("x", provider=f"google/{model}", base_url=google.base_url, **FAST)
    assert replacement in str(info.value) and "nothing was sent" in str(info.value)
    assert len(google.requests) == 0 and videonb.jobs() == []


def test_google_create_is_never_retried(google):
    google.inject("500", match="POST /v1/interactions")
    with pytest.raises(errors.ProviderHTTPError, match="500"):
        _omni(google, "a 500 on create")
    google.inject("reset", match="POST /v1/interactions")
    with pytest.raises(errors.ProviderHTTPError, match="console"):
        _omni(google, "a reset on create")
    assert len(google.requests.filter(route="interactions.create")) == 2
    codes = sorted(r.error_code for r in videonb.jobs())
    assert "lost_submit" in codes


def test_google_polls_survive_faults_and_moderation_is_not_retried(google):
    google.inject("503", match="GET /v1/interactions", times=2)
    assert _omni(google, "through two 503s").info.frame_count > 0
    google.inject("moderation")
    with pytest.raises(errors.ModerationError):
        _omni(google, "blocked")
    assert google.counts["jobs"] == 2


def test_google_timeout_then_resume_and_cancel(google):
    google.job_seconds = 100.0
    with pytest.raises(errors.JobTimeoutError, match="resume"):
        _omni(google, "slow", timeout=0.2)
    google.clock.advance(200)
    (out,) = videonb.resume(poll_interval=0.02, api_key=KEY, base_url=google.base_url)
    assert isinstance(out, videonb.Video)

    async def submit_then_cancel():
        at_provider = asyncio.Event()
        job = await videonb.generate_async(
            "to cancel", provider="google", base_url=google.base_url, seconds=8, api_key=KEY,
            poll_interval=0.02, wait=False, on_update=lambda r: r.remote_id and at_provider.set())
        await asyncio.wait_for(at_provider.wait(), 10)
        await job.cancel_async()
        return job

    job = asyncio.run(submit_then_cancel())
    assert job.status == "cancelled" and google.requests.filter(route="interactions.cancel")


def test_google_omni_inline_delivery_is_read_back_through_the_download(google, monkeypatch):
    from videonb.providers import google as gmod

    real = gmod.GoogleProvider.omni_body
    monkeypatch.setattr(gmod.GoogleProvider, "omni_body", lambda self, req: {
        **real(self, req), "response_format": {"type": "video", "delivery": "inline"}})
    v = _omni(google, "inline please")
    assert v.info.frame_count > 0
    assert google.requests.filter(kind="poll")[-1].path == \
        google.requests.filter(kind="poll")[-2].path  # the interaction, read once more


def test_luma_job_cost_moderation_resume_cancel_and_no_key_on_the_cdn(luma):
    v = videonb.generate("a kite", provider="luma", **luma.provider_options(),
                         **{k: v for k, v in FAST.items() if k != "api_key"})
    assert v.provenance["cost_usd"] == pytest.approx(0.142 * 5)
    (download,) = luma.requests.filter(kind="download")
    assert "authorization" not in download.headers
    luma.inject("moderation")
    with pytest.raises(errors.ModerationError):
        videonb.generate("not allowed", provider="luma", base_url=luma.api_base, **FAST)
    luma.job_seconds = 100.0
    with pytest.raises(errors.JobTimeoutError):
        videonb.generate("slow", provider="luma", base_url=luma.api_base, timeout=0.2, **FAST)
    rec = next(r for r in videonb.jobs() if r.status in ("queued", "running", "submitted"))
    videonb.cancel(rec.id, api_key=KEY, base_url=luma.api_base)
    assert luma.requests.filter(method="DELETE") and videonb.jobs()[0].status == "cancelled"
    with pytest.raises(errors.InvalidOptionError, match="allowed: 5, 9"):
        videonb.generate("x", provider="luma", seconds=4, base_url=luma.api_base, **FAST)
    with pytest.raises(errors.BudgetExceededError):
        videonb.config.budget_usd = 10.0
        try:
            videonb.generate("x", provider="luma/ray-flash-2", base_url=luma.api_base, **FAST)
        finally:
            videonb.config.budget_usd = None


def test_luma_extends_its_own_generation_natively(luma):
    first = videonb.generate("a kite", provider="luma", base_url=luma.api_base, **FAST)
    more = videonb.extend(first, "it climbs", provider="luma", base_url=luma.api_base, **FAST)
    (_, second) = list(luma.generations.values())
    assert second["extends"] == first.provenance["remote_id"]
    assert more.provenance["operation"] == "extend"


# ======================================================================================
# extend() for image-to-video models, and retirements as data
# ======================================================================================
def test_extend_continues_from_the_last_frame_without_a_seam(google, home, tmp_path):
    import numpy as np

    src = videonb.generate("slow pan right", provider="local", seconds=2, progress=False)
    out = videonb.extend(src, "keep panning", provider="google/veo-3.1-fast-generate-001",
                         vertexai=True, base_url=google.base_url, seconds=4, **FAST)
    assert out.provenance["method"].startswith("last frame")
    (create,) = google.requests.filter(route="models.generate_videos")
    assert create.body_size > 4 * 1024  # the last frame (a PNG) went as the instance image
    assert (out.info.width, out.info.height) == (src.info.width, src.info.height)
    assert out.info.fps == pytest.approx(src.info.fps)
    frames = videonb.sample_frames(out, times=[src.duration - 1 / 24, src.duration])
    assert frames.images[0].shape == frames.images[1].shape
    again = videonb.extend(src, "keep panning", provider="google/veo-3.1-fast-generate-001",
                           vertexai=True, base_url=google.base_url, seconds=4, **FAST)
    assert again.provenance["cached"] and google.counts["jobs"] == 1
    assert np.array_equal(videonb.sample_frames(again, n=1).images[0],
                          videonb.sample_frames(out, n=1).images[0])


def test_join_drops_the_repeated_conditioning_frame(tmp_path):
    import numpy as np

    from videonb.media.continuation import join_continuation, last_frame
    from videonb.media.encode import encode_video

    ramp = [np.full((64, 96, 3), 10 * k, np.uint8) for k in range(10)]
    src = encode_video(ramp, tmp_path / "src.mp4", fps=10)
    still = last_frame(src, tmp_path / "last.png")
    import cv2

    assert abs(int(cv2.imread(str(still))[0, 0, 0]) - 90) <= 3
    cont = encode_video([ramp[-1]] * 2 + [np.full((32, 48, 3), 200, np.uint8)] * 5,
                        tmp_path / "cont.mp4", fps=10)
    joined = videonb.Video(join_continuation(src, cont, tmp_path / "joined.mp4"))
    assert joined.info.frame_count == 10 + 5  # two repeats of the last frame dropped
    assert (joined.info.width, joined.info.height) == (96, 64)


def test_providers_table_lists_retired_models_apart_with_sources(home):
    table = videonb.providers()
    retired = {(r.provider, r.model.split(" ")[0]) for r in table.retired}
    assert {("google", "veo-3.1-generate-preview"), ("gemini", "gemini-2.5-flash"),
            ("openai", "sora-2"), ("luma", "ray-1-6")} <= retired
    current = {(r.provider, r.model.split(" ")[0]): r for r in table}
    assert ("gemini", "gemini-2.5-flash") not in current
    assert current[("openai", "gpt-4o")].status == "retiring 2027-01-14 → gpt-6-luna"
    assert current[("gemini", "gemini-3.5-flash-lite")].model.endswith("(default)")
    assert current[("google", "gemini-omni-1.1-flash")].source
    assert "retired models" in repr(table) and "retired models" in table._repr_html_()


def test_gemini_default_moved_off_the_shut_down_model(home, cut_clips):
    from videonb.testing.emulators import GeminiEmulator

    with GeminiEmulator() as emu:
        with pytest.raises(errors.ProviderRetiredError, match="gemini-3.5-flash-lite"):
            videonb.analyze(cut_clips[0].path, provider="gemini", model="gemini-2.5-flash",
                            api_key=KEY, base_url=emu.base_url)
        assert len(emu.requests) == 0
        a = videonb.analyze(cut_clips[0].path, provider="gemini", api_key=KEY,
                            base_url=emu.base_url)
        assert a.model == "gemini-3.5-flash-lite"


def test_retirement_dates_follow_videonb_today(monkeypatch, home, cut_clips):
    from videonb.providers.registry import get_provider

    spec = get_provider("openai").model("gpt-4o")
    assert spec.lifecycle() == "retiring"
    monkeypatch.setenv("VIDEONB_TODAY", "2027-01-14")
    assert spec.lifecycle() == "retired"
    with pytest.raises(errors.ProviderRetiredError, match="gpt-6-luna"):
        videonb.analyze(cut_clips[0].path, provider="openai", model="gpt-4o", api_key=KEY)
    # On a compatible server (not api.openai.com) the id is that server's business.
    assert not get_provider("openai", base_url="http://127.0.0.1:9/v1").retired(spec)
