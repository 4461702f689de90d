"""Issue 11: each fidelity gap of the emulators, closed and checked with the official SDK
(runwayml, openai, google-genai) unchanged except for its base URL.

The fixtures (scrubbed SDK environment, ``loopback_only``, fast Runway polling) are the
ones of ``test_emulators_sdk.py``.  Nothing here sleeps: jobs move with the emulators'
simulated clock.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from test_emulators_sdk import env, fetch, offline, only_to, probe, runwayml  # noqa: F401
from videonb.testing.emulators import RunwayEmulator, _media, synthetic_mp4

PNG = _media.solid_png(64, 36)


def runway_client(sdk, emu, **options):
    return sdk.RunwayML(api_key="key_test", base_url=emu.base_url, **options)


# ======================================================================================
# Runway
# ======================================================================================
def test_runway_upload_gives_a_runway_uri_usable_as_media(runwayml, offline, tmp_path):
    image = tmp_path / "first.png"
    image.write_bytes(PNG)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(synthetic_mp4(320, 180, seconds=1))
    with RunwayEmulator(job_seconds=0.2) as emu:
        client = runway_client(runwayml, emu)
        uri = client.uploads.create_ephemeral(file=image).uri
        assert uri.startswith("runway://")
        steps = [(r.method, r.route) for r in emu.requests]
        assert steps == [("POST", "uploads.create_ephemeral"), ("POST", "uploads.storage")]
        storage = emu.requests[1]
        assert "authorization" not in storage.headers  # a presigned form takes no key
        task = client.image_to_video.create(model="gen4_turbo", prompt_image=uri,
                                            ratio="1280:720").wait_for_task_output(timeout=10)
        assert task.status == "SUCCEEDED" and probe(fetch(task.output[0]))[0] == "h264"
        video_uri = client.uploads.create_ephemeral(file=clip).uri
        edit = client.video_to_video.create(model="aleph2", video_uri=video_uri,
                                            prompt_text="make it snow")
        assert edit.wait_for_task_output(timeout=10).status == "SUCCEEDED"

        # A made-up URI, the wrong kind of file, and a URI past its 24 hours are refused.
        for bad in ("runway://not-an-upload", video_uri):
            with pytest.raises(runwayml.BadRequestError) as info:
                client.image_to_video.create(model="gen4_turbo", prompt_image=bad,
                                             ratio="1280:720")
            assert info.value.body["issues"][0]["path"] == ["promptImage"]
        emu.clock.advance(24 * 3600 + 1)
        with pytest.raises(runwayml.BadRequestError) as expired:
            client.image_to_video.create(model="gen4_turbo", prompt_image=uri, ratio="1280:720")
        assert "24 hours" in expired.value.body["issues"][0]["message"]
        only_to(emu, offline)


def test_runway_upload_limit_is_the_storage_answer(runwayml, offline):
    with RunwayEmulator(max_upload_bytes=1000) as emu:
        client = runway_client(runwayml, emu)
        with pytest.raises(runwayml.APIStatusError) as info:
            client.uploads.create_ephemeral(file=("big.png", PNG + b"\0" * 2000))
        assert info.value.status_code == 400 and "EntityTooLarge" in info.value.body
        assert client.uploads.create_ephemeral(file=("small.png", PNG)).uri.startswith("runway://")
        with pytest.raises(runwayml.BadRequestError):
            client.with_options(max_retries=0).post(
                "/v1/uploads", body={"filename": "x.png", "type": "permanent"}, cast_to=object)
        only_to(emu, offline)


def test_runway_data_uri_limit_counts_the_encoded_uri(runwayml, offline):
    # 4.1 MiB of PNG bytes is a 5.5 MiB data URI: over the 5 MB limit although the bytes
    # are under it.  3.6 MiB (a 4.8 MiB URI) passes.
    def uri(size):
        data = PNG + b"\0" * (size - len(PNG))
        return "data:image/png;base64," + base64.b64encode(data).decode()

    with RunwayEmulator() as emu:
        client = runway_client(runwayml, emu)
        big = uri(int(4.1 * 2**20))
        assert len(big) > 5 * 2**20 > 4.1 * 2**20
        with pytest.raises(runwayml.BadRequestError) as info:
            client.image_to_video.create(model="gen4_turbo", prompt_image=big, ratio="960:960")
        assert "once encoded" in info.value.body["issues"][0]["message"]
        ok = client.image_to_video.create(model="gen4_turbo", prompt_image=uri(int(3.6 * 2**20)),
                                          ratio="960:960")
        assert ok.id and emu.counts["jobs"] == 1
        only_to(emu, offline)


@pytest.mark.parametrize("endpoint, body, path", [
    ("text_to_video", dict(model="klingO3_4k", ratio="1280:720", prompt_text="x"), "ratio"),
    ("text_to_video", dict(model="klingO3_4k", prompt_text="x"), "ratio"),  # required
    ("image_to_video", dict(model="klingO3_4k", prompt_image=None, ratio="1920:1080"), "ratio"),
    ("text_to_video", dict(model="kling2.5_turbo_pro", prompt_text="x", duration=7), "duration"),
    ("text_to_video", dict(model="hailuo3", prompt_text="x", resolution="4k"), "resolution"),
    ("text_to_video", dict(model="gemini_omni_flash", prompt_text="x", duration=11), "duration"),
    ("text_to_video", dict(model="seedance2_fast", prompt_text="x", ratio="1920:1080"), "ratio"),
    ("text_to_video", dict(model="happyhorse_1_0", prompt_text="x" * 2501), "promptText"),
    ("image_to_video", dict(model="grok_imagine_1_5_lite", prompt_image=None,
                            ratio="1280:720"), "ratio"),
])
def test_runway_resold_models_have_their_own_limits(runwayml, offline, endpoint, body, path):
    body = {k: ("data:image/png;base64," + base64.b64encode(PNG).decode() if v is None else v)
            for k, v in body.items()}
    with RunwayEmulator() as emu:
        create = getattr(runway_client(runwayml, emu), endpoint).create
        with pytest.raises(runwayml.BadRequestError) as info:
            create(**body)
        assert [path] in [i["path"] for i in info.value.body["issues"]], info.value.body
        assert emu.counts["jobs"] == 0
        only_to(emu, offline)


def test_runway_resold_models_accept_what_their_types_allow(runwayml, offline):
    image = "data:image/png;base64," + base64.b64encode(PNG).decode()
    with RunwayEmulator() as emu:
        client = runway_client(runwayml, emu)
        client.text_to_video.create(model="klingO3_4k", ratio="3840:2160", prompt_text="x")
        client.text_to_video.create(model="seedance2", prompt_text="x", duration="auto",
                                    ratio="3840:2160")
        client.text_to_video.create(model="hailuo3", prompt_text="x", resolution="2K")
        client.image_to_video.create(model="seedance2_5", prompt_image=[{"uri": image}])
        client.image_to_video.create(model="kling2.5_turbo_pro", prompt_text="x",
                                     prompt_image=[{"uri": image, "position": "last"}])
        client.video_to_video.create(model="klingO3_pro", prompt_text="x",
                                     prompt_video="https://cdn.example.com/v.mp4")
        assert emu.counts["jobs"] == 6
        only_to(emu, offline)


@pytest.mark.parametrize("endpoint, body", [
    ("video_to_video", dict(model="gen4_aleph", video_uri="https://cdn.example.com/v.mp4",
                            prompt_text="x")),
    ("text_to_video", dict(model="veo3", prompt_text="x", ratio="1280:720", duration=8)),
    ("image_to_video", dict(model="gen3a_turbo", prompt_image="https://cdn.example.com/a.png",
                            ratio="1280:768", duration=5)),
])
def test_runway_models_dropped_from_the_sdk_are_rejected(runwayml, offline, endpoint, body):
    with RunwayEmulator() as emu:
        with pytest.raises(runwayml.BadRequestError) as info:
            getattr(runway_client(runwayml, emu), endpoint).create(**body)
        assert info.value.body["issues"][0]["path"] == ["model"]
        assert body["model"] in emu.models.retired and emu.counts["jobs"] == 0
        only_to(emu, offline)


@pytest.mark.parametrize("status", ["502", "504"])
def test_runway_502_and_504_are_retried_by_the_sdk(runwayml, offline, status):
    with RunwayEmulator() as emu:
        client = runway_client(runwayml, emu)
        emu.inject(status, retry_after=0.01, match="/v1/text_to_video")
        created = client.text_to_video.create(model="gen4.5", prompt_text="x", ratio="1280:720",
                                               duration=5)
        statuses = [r.status for r in emu.requests.filter(path="/v1/text_to_video")]
        assert statuses == [int(status), 200] and created.id
        emu.inject(status, retry_after=0.01)
        with pytest.raises(runwayml.InternalServerError) as info:
            client.with_options(max_retries=0).tasks.retrieve(created.id)
        assert info.value.status_code == int(status) and info.value.body["error"]
        only_to(emu, offline)


def test_runway_organization_usage_by_day_and_model(runwayml, offline):
    with RunwayEmulator(job_seconds=1) as emu:
        client = runway_client(runwayml, emu)
        client.text_to_video.create(model="gen4.5", prompt_text="x", ratio="1280:720", duration=5)
        emu.inject("INTERNAL")  # this one fails after running: refunded
        failed = client.text_to_video.create(model="veo3.1_fast", prompt_text="x",
                                             ratio="1280:720", duration=4, audio=False)
        emu.clock.advance(2)
        assert client.tasks.retrieve(failed.id).status == "FAILED"
        today = dt.datetime.fromtimestamp(emu.clock.now(), dt.timezone.utc).date()
        usage = client.organization.retrieve_usage(start_date=today - dt.timedelta(days=1),
                                                   before_date=today + dt.timedelta(days=1))
        assert sorted(usage.models) == ["gen4.5", "veo3.1_fast"]
        (day,) = usage.results
        assert day.date == today
        assert {u.model: u.amount for u in day.used_credits} == {"gen4.5": 60, "veo3.1_fast": 0}
        # The defaults, as the SDK documents them: from 30 days ago to 30 days after that,
        # "not inclusive", so today's spending is not in the default window.
        assert client.organization.retrieve_usage().results == []
        with pytest.raises(runwayml.BadRequestError) as info:
            client.organization.retrieve_usage(start_date="2026-01-01", before_date="2026-06-01")
        assert info.value.body["issues"][0]["path"] == ["beforeDate"]
        only_to(emu, offline)


def test_runway_tier_limits_are_per_model(runwayml, offline):
    limits = {"gen4.5": {"concurrency": 1, "daily": 2}, "veo3.1_fast": {"daily": None}}
    with RunwayEmulator(job_seconds=10, concurrency=2, daily_limit=5, limits=limits) as emu:
        client = runway_client(runwayml, emu)
        tier = client.organization.retrieve().tier.models
        assert (tier["gen4.5"].max_concurrent_generations, tier["gen4.5"].max_daily_generations) \
            == (1, 2)
        assert tier["veo3.1_fast"].max_daily_generations is None
        assert (tier["seedance2"].max_concurrent_generations,
                tier["seedance2"].max_daily_generations) == (2, 5)
        gen = dict(model="gen4.5", prompt_text="x", ratio="1280:720", duration=5)
        a, b = (client.text_to_video.create(**gen).id for _ in range(2))
        veo = client.text_to_video.create(model="veo3.1_fast", prompt_text="x", ratio="1280:720",
                                          duration=4).id
        emu.clock.advance(3)
        status = {t: client.tasks.retrieve(t).status for t in (a, b, veo)}
        assert status == {a: "RUNNING", b: "THROTTLED", veo: "RUNNING"}  # slots are per model
        with pytest.raises(runwayml.RateLimitError):  # gen4.5's own daily cap of 2
            client.with_options(max_retries=0).text_to_video.create(**gen)
        only_to(emu, offline)


def test_runway_create_answer_has_the_estimated_cost_the_sdk_types_require(runwayml, offline):
    # providers.md (SDK 5.13) says create returns {"id"}; runwayml 5.24 types it
    # {"id", "estimatedCost": {"credits"}} with estimatedCost required, which the emulator follows.
    from runwayml.types.text_to_video_create_response import TextToVideoCreateResponse

    assert TextToVideoCreateResponse.model_fields["estimated_cost"].is_required()
    with RunwayEmulator() as emu:
        created = runway_client(runwayml, emu).text_to_video.create(
            model="veo3.1", prompt_text="x", ratio="1280:720", duration=8)
        assert created.estimated_cost.credits == 8 * 40  # audio defaults to on: 40 credits/s
        only_to(emu, offline)


# --------------------------------------------------------------------------------------
# videonb's own Runway provider uses the upload route for inputs over the inline limit
# --------------------------------------------------------------------------------------
RW_KEY = "placeholder-not-a-key-fidelity-0123456789"
RW_FAST = dict(api_key=RW_KEY, poll_interval=0.02, poll_max=0.1, progress=False)


def _big_png(path, mib: float):
    path.write_bytes(PNG + b"\0" * int(mib * 2**20))
    return path


def test_videonb_runway_uploads_a_big_video_and_sends_its_runway_uri(home, tmp_path):
    import videonb
    from videonb.providers.base import Request
    from videonb.providers.registry import get_provider

    small = tmp_path / "small.png"
    small.write_bytes(PNG)
    big = _big_png(tmp_path / "big.png", 4.1)
    with RunwayEmulator(expected_key=RW_KEY, job_seconds=0.1) as emu:
        prov = get_provider("runway", api_key=RW_KEY, base_url=emu.base_url)
        inline = prov.body(Request("image_to_video", "runway", "gen4_turbo", ratio="1280:720",
                                   input_paths={"image": str(small)}))
        assert inline["promptImage"].startswith("data:image/png;base64,")
        v = videonb.image_to_video(big, "push in", provider="runway", model="gen4_turbo",
                                   base_url=emu.base_url, seconds=5, ratio="1280:720", **RW_FAST)
        assert v.info.frame_count > 0 and emu.counts["files"] == 1
        assert [r.route for r in emu.requests if r.method == "POST"] == [
            "uploads.create_ephemeral", "uploads.storage", "image_to_video.create"]
        assert emu.server_errors == []


def test_videonb_runway_failed_upload_fails_the_job_and_bills_nothing(home, tmp_path):
    import videonb
    from videonb import errors

    big = _big_png(tmp_path / "big.png", 4.1)
    with RunwayEmulator(expected_key=RW_KEY, job_seconds=0.1, max_upload_bytes=2**20) as emu:
        start = emu.credits
        with pytest.raises(errors.ProviderHTTPError, match="storage refused the upload") as info:
            videonb.image_to_video(big, "push in", provider="runway", model="gen4_turbo",
                                   base_url=emu.base_url, seconds=5, ratio="1280:720", **RW_FAST)
        assert "EntityTooLarge" in str(info.value) and RW_KEY not in str(info.value)
        assert [r.route for r in emu.requests if r.method == "POST"] == [
            "uploads.create_ephemeral", "uploads.storage"]  # no task was created
        (job,) = videonb.jobs()
        assert job.status == "failed" and emu.credits == start and emu.counts["jobs"] == 0


def test_videonb_runway_refuses_an_input_over_the_upload_limit_before_any_job(home, tmp_path):
    import videonb
    from videonb import errors

    huge = tmp_path / "huge.png"
    with huge.open("wb") as f:
        f.write(PNG)
        f.truncate(201 * 2**20)  # sparse: 201 MiB on paper, nothing on disk
    with RunwayEmulator(expected_key=RW_KEY) as emu:
        with pytest.raises(errors.InvalidOptionError, match="up to 200 MiB"):
            videonb.image_to_video(huge, "push in", provider="runway", model="gen4_turbo",
                                   base_url=emu.base_url, seconds=5, ratio="1280:720", **RW_FAST)
        assert len(emu.requests) == 0 and videonb.jobs() == []
