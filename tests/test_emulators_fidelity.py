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


# ======================================================================================
# OpenAI
# ======================================================================================
from test_emulators_sdk import jpeg_frames, openai  # noqa: E402,F401
from videonb.testing.emulators import OpenAIEmulator  # noqa: E402

TODAY = dt.date(2026, 12, 1)  # pinned: shutdowns are judged by this date in these tests


def header_png(w: int, h: int) -> bytes:
    """The signature and IHDR of a w x h PNG: all the emulator reads to size an image."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr
            + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)))


def png_url(w: int, h: int) -> str:
    return "data:image/png;base64," + base64.b64encode(header_png(w, h)).decode()


def oa_client(sdk, emu):
    return sdk.OpenAI(api_key="sk-test", base_url=emu.base_url + "/v1")


def image_message(url: str, detail: str, text: str = "What is in the frame?") -> list[dict]:
    return [{"role": "user", "content": [{"type": "text", "text": text},
                                          {"type": "image_url",
                                           "image_url": {"url": url, "detail": detail}}]}]


@pytest.mark.parametrize("model, w, h, detail, tokens", [
    # The images-vision guide's own worked examples ("Calculating costs").
    ("gpt-4o", 1024, 1024, "high", 765),
    ("gpt-4o", 2048, 4096, "high", 1105),
    ("gpt-4o", 4096, 8192, "low", 85),
    ("gpt-4.1-mini", 1024, 1024, "high", 1659),  # 1024 patches x 1.62
    ("gpt-4.1-mini", 1800, 2400, "low", 2353),  # 1452 patches x 1.62; detail does not matter
    ("gpt-5", 1024, 1024, "high", 70 + 4 * 140),
    ("gpt-4o-mini", 512, 512, "low", 2833),
    # GPT-5.2+ patch budgets (providers.md section 4): low fits 512x512; original 10,000 patches.
    ("gpt-5.5", 1024, 1024, "high", 1229),  # 1024 x 1.2
    ("gpt-5.5", 1024, 1024, "low", 308),  # 16 x 16 patches x 1.2
    ("gpt-5.5", 3200, 3200, "original", 12000),  # 100 x 100 patches x 1.2
])
def test_openai_image_tokens_follow_each_models_rule(openai, offline, model, w, h, detail,
                                                     tokens):
    with OpenAIEmulator(today=TODAY) as emu:
        client = oa_client(openai, emu)
        client.chat.completions.create(model=model, messages=image_message(png_url(w, h), detail))
        resp = client.responses.create(model=model, input=[{"role": "user", "content": [
            {"type": "input_image", "image_url": png_url(w, h), "detail": detail}]}])
        assert emu.response_requests[-1]["image_tokens"] == [tokens]
        assert resp.usage.input_tokens == tokens + 3  # one message: 3 tokens of framing
        only_to(emu, offline)


def test_openai_detail_original_is_accepted(openai, offline):
    with OpenAIEmulator(today=TODAY) as emu:
        client = oa_client(openai, emu)
        out = client.chat.completions.create(model="gpt-5.5",
                                             messages=image_message(png_url(64, 64), "original"))
        assert out.choices[0].message.content and emu.chat_requests[-1]["details"] == ["original"]
        with pytest.raises(openai.BadRequestError) as bad:
            client.chat.completions.create(model="gpt-5.5",
                                           messages=image_message(png_url(64, 64), "ultra"))
        assert bad.value.param == "messages[0].content[1].image_url.detail"
        with pytest.raises(openai.BadRequestError) as blind:  # no image input on this model
            client.chat.completions.create(model="gpt-audio-mini",
                                           messages=image_message(png_url(64, 64), "low"))
        assert "image_url is only supported by certain models" in blind.value.message
        only_to(emu, offline)


def test_openai_responses_with_input_image_and_structured_output(openai, offline):
    from test_emulators_sdk import moments_model

    Frames = moments_model()
    frames = jpeg_frames(2)
    with OpenAIEmulator(today=TODAY) as emu:
        client = oa_client(openai, emu)
        content = [{"type": "input_text", "text": "Frames of one video, in order. What moves?"}]
        content += [{"type": "input_image", "image_url": u, "detail": "low"} for u in frames]
        parsed = client.responses.parse(model="gpt-4o", input=[{"role": "user",
                                                                 "content": content}],
                                        text_format=Frames, instructions="You watch videos.")
        assert isinstance(parsed.output_parsed, Frames) and "2 images" in parsed.output_parsed.summary
        assert parsed.status == "completed" and parsed.id.startswith("resp_")
        assert emu.response_requests[-1]["details"] == ["low", "low"]
        assert parsed.usage.total_tokens == parsed.usage.input_tokens + parsed.usage.output_tokens
        count = client.responses.input_tokens.count(model="gpt-4o", input=[{"role": "user",
                                                                            "content": content}],
                                                    instructions="You watch videos.")
        assert count.input_tokens == parsed.usage.input_tokens
        again = client.responses.retrieve(parsed.id)
        assert again.output_text == parsed.output_text
        items = client.responses.input_items.list(parsed.id)
        assert [i.type for i in items.data] == ["message"]
        assert client.responses.delete(parsed.id) is None
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(parsed.id)

        # Streaming, through the SDK's own event accumulator.
        with client.responses.stream(model="gpt-4o", input="Say hello in JSON.",
                                     text_format=Frames) as stream:
            kinds = {event.type for event in stream}
            final = stream.get_final_response()
        assert {"response.created", "response.output_text.delta",
                "response.completed"} <= kinds
        assert isinstance(final.output_parsed, Frames)
        only_to(emu, offline)


def test_openai_input_image_by_file_id(openai, offline, tmp_path):
    with OpenAIEmulator(today=TODAY) as emu:
        client = oa_client(openai, emu)
        image = client.files.create(file=("frame.png", _media.solid_png(64, 64)), purpose="vision")
        assert image.status == "processed" and image.bytes > 0
        content = [{"type": "input_text", "text": "Describe."},
                   {"type": "input_image", "file_id": image.id, "detail": "high"}]
        resp = client.responses.create(model="gpt-4o", input=[{"role": "user",
                                                                "content": content}])
        assert resp.output_text and emu.response_requests[-1]["image_sizes"] == [(64, 64)]
        with pytest.raises(openai.NotFoundError) as missing:
            client.responses.create(model="gpt-4o", input=[{"role": "user", "content": [
                {"type": "input_image", "file_id": "file-doesnotexist", "detail": "auto"}]}])
        assert "No such File object" in missing.value.message
        batch = client.files.create(file=("rows.jsonl", b'{"a": 1}\n'), purpose="batch")
        with pytest.raises(openai.BadRequestError):
            client.responses.create(model="gpt-4o", input=[{"role": "user", "content": [
                {"type": "input_image", "file_id": batch.id, "detail": "auto"}]}])
        assert [f.id for f in client.files.list(purpose="vision")] == [image.id]
        assert client.files.content(image.id).read() == _media.solid_png(64, 64)
        assert client.files.delete(image.id).deleted
        only_to(emu, offline)


def test_openai_models_retrieve_list_and_unknown_ids(openai, offline):
    with OpenAIEmulator(today=TODAY) as emu:
        client = oa_client(openai, emu)
        ids = {m.id for m in client.models.list()}
        assert {"gpt-4o", "gpt-4.1-mini", "gpt-5.5", "sora-2"} <= ids
        assert "o4-mini" not in ids and "gpt-5.1-mini" not in ids  # shut down; not a model
        m = client.models.retrieve("gpt-4o")
        assert (m.id, m.object, m.shutdown_date) == ("gpt-4o", "model", "2027-01-14")
        for unknown in ("gpt-4o-typo", "o4-mini"):
            with pytest.raises(openai.NotFoundError) as info:
                client.models.retrieve(unknown)
            assert info.value.code == "model_not_found"
        with pytest.raises(openai.NotFoundError) as typo:
            client.chat.completions.create(model="gpt-4o-typo",
                                           messages=[{"role": "user", "content": "hi"}])
        assert typo.value.code == "model_not_found" and "does not exist" in typo.value.message
        with pytest.raises(openai.NotFoundError) as gone:  # shut down 2026-10-23 (SDK docstring)
            client.responses.create(model="o4-mini", input="hi")
        assert gone.value.code == "model_not_found" and "deprecated" in gone.value.message
        with pytest.raises(openai.NotFoundError):  # a Responses-only model on chat completions
            client.chat.completions.create(model="o3-pro",
                                           messages=[{"role": "user", "content": "hi"}])
        assert client.responses.create(model="o3-pro", input="hi").output_text
        only_to(emu, offline)
    with OpenAIEmulator(today="2026-10-22") as emu:  # the day before o4-mini's shutdown
        assert oa_client(openai, emu).responses.create(model="o4-mini", input="hi").output_text


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_openai_videos_extensions_edits_characters_and_file_references(openai, offline):
    clip = synthetic_mp4(320, 180, seconds=1)
    with OpenAIEmulator(job_seconds=0.2, today=TODAY) as emu:
        client = oa_client(openai, emu)
        from openai.types import Video

        first = client.videos.create_and_poll(prompt="a paper boat", seconds="8", size="1280x720")
        # openai 3.57's videos.extend()/edit() refuse their own {"id": ...} reference before
        # sending (extract_files wants a file at "video"), so a video id goes as the JSON body
        # the API also takes, through the same client.
        def by_id(path, **body):
            return client.post(path, body=body, cast_to=Video)

        longer = by_id("/videos/extensions", prompt="it drifts away", seconds="4",
                       video={"id": first.id})
        assert longer.seconds == "12" and longer.size == "1280x720"  # the stitched total
        edited = by_id("/videos/edits", prompt="make it night", video={"id": first.id})
        assert client.videos.poll(edited.id).status == "completed"
        uploaded = client.videos.edit(prompt="night", video=("clip.mp4", clip, "video/mp4"),
                                      extra_body={"model": "sora-2"})
        assert uploaded.model == "sora-2"
        with pytest.raises(openai.BadRequestError):  # an uploaded video needs a model named
            client.videos.edit(prompt="night", video=("clip.mp4", clip, "video/mp4"))
        with pytest.raises(openai.NotFoundError):
            by_id("/videos/extensions", prompt="x", seconds="4", video={"id": "video_missing"})
        with pytest.raises(openai.BadRequestError) as bad:
            by_id("/videos/extensions", prompt="x", seconds="10", video={"id": first.id})
        assert bad.value.param == "seconds"
        with pytest.raises(openai.BadRequestError):  # the SDK's own call, with an uploaded clip
            client.videos.extend(prompt="x", seconds="4", video=("clip.mp4", clip, "video/mp4"))
        char = client.videos.create_character(name="Captain", video=("clip.mp4", clip,
                                                                     "video/mp4"))
        assert char.id.startswith("char_") and client.videos.get_character(char.id).name == \
            "Captain"
        with pytest.raises(openai.NotFoundError):
            client.videos.get_character("char_unknown")

        # input_reference by file_id: the file must exist, be a vision image, and fit the size.
        ref = client.files.create(file=("first.png", _media.solid_png(1280, 720)),
                                  purpose="vision")
        # (videos.create() refuses the dict form the same way, so it goes as JSON too.)
        video = by_id("/videos", prompt="from this frame", size="1280x720",
                      input_reference={"file_id": ref.id})
        assert video.status == "queued"
        with pytest.raises(openai.NotFoundError):
            by_id("/videos", prompt="x", input_reference={"file_id": "file-nope"})
        with pytest.raises(openai.BadRequestError) as size:
            by_id("/videos", prompt="x", size="720x1280", input_reference={"file_id": ref.id})
        assert "width and height" in size.value.message
        only_to(emu, offline)


# ======================================================================================
# Gemini
# ======================================================================================
from test_emulators_sdk import genai, gemini_client  # noqa: E402,F401
from videonb.testing.emulators import GeminiEmulator  # noqa: E402


def video_tokens(response) -> int:
    details = response.usage_metadata.prompt_tokens_details or []
    return sum(d.token_count for d in details if d.modality.name == "VIDEO")


def test_gemini_count_tokens_matches_generate_content(genai, offline):
    from google.genai import types

    mp4 = synthetic_mp4(640, 360, seconds=2)
    contents = [types.Part.from_bytes(data=mp4, mime_type="video/mp4"), "What moves?"]
    with GeminiEmulator() as emu:
        client = gemini_client(genai, emu)
        counted = client.models.count_tokens(model="gemini-2.5-flash", contents=contents)
        generated = client.models.generate_content(model="gemini-2.5-flash", contents=contents)
        assert counted.total_tokens == generated.usage_metadata.prompt_token_count > 2 * 258
        assert emu.counts["models.count_tokens"] == 1 and len(emu.generate_requests) == 1
        with pytest.raises(genai.errors.ClientError) as gone:
            client.models.count_tokens(model="gemini-1.5-flash", contents="x")
        assert gone.value.code == 404
        only_to(emu, offline)


def test_gemini_models_get_list_and_unknown_or_shut_down_ids(genai, offline):
    with GeminiEmulator() as emu:
        client = gemini_client(genai, emu)
        m = client.models.get(model="gemini-3.8-flash")
        assert m.name == "models/gemini-3.8-flash" and "generateContent" in m.supported_actions
        assert m.input_token_limit and m.output_token_limit
        names = [x.name for x in client.models.list(config={"page_size": 7})]
        assert len(names) == len(emu_models()) and len(set(names)) == len(names)
        assert "models/gemini-2.5-flash" in names and "models/gemini-1.5-flash" not in names
        for bad in ("gemini-1.5-flash", "gemini-2.0-flash", "gemini-2.5-flsh", "not-a-model"):
            with pytest.raises(genai.errors.ClientError) as info:
                client.models.generate_content(model=bad, contents="x")
            assert info.value.code == 404 and info.value.status == "NOT_FOUND"
            assert f"models/{bad} is not found" in info.value.message
        with pytest.raises(genai.errors.ClientError) as missing:
            client.models.get(model="gemini-1.5-flash")
        assert missing.value.code == 404
        only_to(emu, offline)


def emu_models() -> list[str]:
    from videonb.testing.emulators.gemini_models import MODELS

    return MODELS.ids()


@pytest.mark.parametrize("model, global_level, part_level, per_frame", [
    ("gemini-2.5-flash", None, None, 258),
    ("gemini-2.5-flash", "MEDIA_RESOLUTION_LOW", None, 66),
    ("gemini-2.5-flash", "MEDIA_RESOLUTION_HIGH", None, 258),
    ("gemini-3.8-flash", None, None, 70),
    ("gemini-3.8-flash", "MEDIA_RESOLUTION_MEDIUM", None, 70),
    ("gemini-3.8-flash", "MEDIA_RESOLUTION_HIGH", None, 280),
    ("gemini-3.8-flash", "MEDIA_RESOLUTION_LOW", "MEDIA_RESOLUTION_HIGH", 280),  # part wins
])
def test_gemini_media_resolution_in_token_accounting(genai, offline, model, global_level,
                                                     part_level, per_frame):
    from google.genai import types

    mp4 = synthetic_mp4(640, 360, seconds=2)  # 2 frames at the default 1 fps
    part = types.Part.from_bytes(data=mp4, mime_type="video/mp4",
                                 **({"media_resolution": part_level} if part_level else {}))
    config = types.GenerateContentConfig(media_resolution=global_level) if global_level else None
    with GeminiEmulator() as emu:
        client = gemini_client(genai, emu)  # keep it: a collected client closes its transport
        response = client.models.generate_content(model=model, contents=[part, "Describe."],
                                                  config=config)
        assert video_tokens(response) == 2 * per_frame
        assert emu.generate_requests[-1]["media_resolution"] == global_level
        only_to(emu, offline)


def test_gemini_per_part_media_resolution_is_gemini_3_only(genai, offline):
    from google.genai import types

    part = types.Part.from_bytes(data=_media.solid_png(32, 32), mime_type="image/png",
                                 media_resolution="MEDIA_RESOLUTION_LOW")
    with GeminiEmulator() as emu:
        client = gemini_client(genai, emu)
        with pytest.raises(genai.errors.ClientError) as info:
            client.models.generate_content(model="gemini-2.5-flash", contents=[part, "x"])
        assert info.value.code == 400 and "Gemini 3" in info.value.message
        image = client.models.generate_content(model="gemini-3.8-flash", contents=[part, "x"])
        default = client.models.generate_content(
            model="gemini-3.8-flash",
            contents=[types.Part.from_bytes(data=_media.solid_png(32, 32), mime_type="image/png"),
                      "x"])
        tokens = [sum(d.token_count for d in r.usage_metadata.prompt_tokens_details
                      if d.modality.name == "IMAGE") for r in (image, default)]
        assert tokens == [280, 1120]
        only_to(emu, offline)


def test_gemini_sdk_default_is_v1_and_file_uris_follow_the_version(genai, offline, tmp_path):
    import base64 as b64
    import hashlib

    from google.genai import types

    path = tmp_path / "clip.mp4"
    data = synthetic_mp4(320, 180, seconds=1)
    path.write_bytes(data)
    with GeminiEmulator(job_seconds=0.2) as emu:
        client = gemini_client(genai, emu)  # google-genai 3.6 defaults to api_version "v1"
        f = client.files.upload(file=path)
        assert f.uri == f"{emu.base_url}/v1/{f.name}"
        assert [r.path.split("/")[1] for r in emu.requests] == ["upload", "upload"]
        assert emu.requests[0].path == "/upload/v1/files"
        # sha256Hash: base64 of the hex digest, the shape the API answers (js-genai#381).
        assert b64.b64decode(f.sha256_hash).decode() == hashlib.sha256(data).hexdigest()
        emu.clock.advance(1)
        beta = gemini_client(genai, emu, api_version="v1beta")
        answer = beta.models.generate_content(model="gemini-2.5-flash", contents=[f, "Describe."])
        assert answer.text and emu.generate_requests[-1]["api_version"] == "v1beta"
        client.models.generate_content(model="gemini-2.5-flash", contents="hi")
        assert emu.generate_requests[-1]["api_version"] == "v1"
        g = beta.files.upload(file=path, config=types.UploadFileConfig(display_name="b"))
        assert "/v1beta/files/" in g.uri
        with pytest.raises(genai.errors.ClientError) as no_download:  # uploaded files don't
            client.files.download(file=g.name)
        assert no_download.value.code == 400
        only_to(emu, offline)


def test_gemini_502_can_be_googles_html_page(genai, offline):
    with GeminiEmulator() as emu:
        client = gemini_client(genai, emu)
        emu.inject("502", body="html")
        with pytest.raises(genai.errors.ServerError) as info:
            client.models.generate_content(model="gemini-2.5-flash", contents="x")
        assert info.value.code == 502 and "That’s an error" in info.value.message
        emu.inject("502")  # the default: the API's JSON body
        with pytest.raises(genai.errors.ServerError) as json_body:
            client.models.generate_content(model="gemini-2.5-flash", contents="x")
        assert json_body.value.status == "UNAVAILABLE"
        only_to(emu, offline)


def test_openai_stored_chat_completions_and_compaction(openai, offline):
    with OpenAIEmulator(today=TODAY) as emu:
        client = oa_client(openai, emu)
        kept = client.chat.completions.create(model="gpt-4o", store=True, metadata={"run": "a"},
                                              messages=[{"role": "user", "content": "hi"}])
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
        assert [c.id for c in client.chat.completions.list()] == [kept.id]  # only store=true
        assert client.chat.completions.retrieve(kept.id).choices[0].message.content
        assert client.chat.completions.update(kept.id, metadata={"run": "b"}).metadata == \
            {"run": "b"}
        assert [m.content for m in client.chat.completions.messages.list(kept.id)] == ["hi"]
        assert client.chat.completions.delete(kept.id).deleted
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.retrieve(kept.id)
        compacted = client.responses.compact(model="gpt-4o", input="a long conversation")
        assert compacted.output[0].type == "compaction" and compacted.usage.input_tokens > 0
        only_to(emu, offline)
