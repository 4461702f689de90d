"""The official provider SDKs (runwayml, openai, google-genai) against the emulators,
with nothing changed but the base URL (or the SDKs' own base-URL variables).

Every test runs inside ``loopback_only()`` with the SDKs' environment variables scrubbed
and set explicitly, and checks that each connection it made went to its emulator.
A test is skipped only when its SDK cannot be imported (the ``test`` extra installs
all three).
"""

from __future__ import annotations

import base64
import io
import json
import urllib.request
import warnings

import pytest

from videonb.testing.emulators import (
    GeminiEmulator,
    OpenAIEmulator,
    RunwayEmulator,
    _media,
    loopback_only,
    synthetic_mp4,
)

SDK_ENV = [
    "OPENAI_API_KEY",
    "OPENAI_ADMIN_KEY",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_BASE_URL",
    "OPENAI_CUSTOM_HEADERS",
    "OPENAI_WEBHOOK_SECRET",
    "RUNWAYML_API_SECRET",
    "RUNWAYML_BASE_URL",
    "RUNWAYML_CUSTOM_HEADERS",
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_VERTEX_BASE_URL",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
]


@pytest.fixture
def env(monkeypatch):
    """``env(emu)`` points the SDK's own environment variables (base URL and key) at *emu*."""

    def point(emu, key: str | None = None):
        if isinstance(emu, RunwayEmulator):
            monkeypatch.setenv("RUNWAYML_BASE_URL", emu.base_url)
            monkeypatch.setenv("RUNWAYML_API_SECRET", key or "key_test")
        elif isinstance(emu, OpenAIEmulator):
            monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url + "/v1")
            monkeypatch.setenv("OPENAI_API_KEY", key or "sk-test")
        elif isinstance(emu, GeminiEmulator):
            monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", emu.base_url)
            monkeypatch.setenv("GEMINI_API_KEY", key or "gm-test")
        return emu

    return point


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    for var in SDK_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    with loopback_only() as connections:
        yield connections


def only_to(emu, connections) -> None:
    """Every connection went to *emu*, and it logged at least one request per connection."""
    assert connections, "no connection was made"
    assert {port for _, port in connections} == {emu.port_number}
    assert len(emu.requests) >= len(connections)
    assert emu.server_errors == []


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read()


def probe(data: bytes) -> tuple[str, int, int]:
    import av

    with av.open(io.BytesIO(data)) as c:
        s = c.streams.video[0]
        return s.codec_context.name, s.width, s.height


def jpeg_frames(n: int = 3) -> list[str]:
    """JPEG data URIs of real frames sampled from an MP4 with videonb (as a course would)."""
    import cv2

    import videonb

    frames = videonb.sample_frames(videonb.Video(synthetic_mp4(1280, 720, seconds=1)), n=n)
    out = []
    for img in frames.images:
        ok, buf = cv2.imencode(".jpg", img[:, :, ::-1])
        assert ok
        out.append("data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode())
    return out


# ======================================================================================
# Runway: runwayml
# ======================================================================================
@pytest.fixture
def runwayml(monkeypatch):
    sdk = pytest.importorskip("runwayml")
    from runwayml.lib import polling

    # wait_for_task_output() sleeps POLL_TIME ± POLL_JITTER/2 (6 ± 1.5 s) before each poll.
    monkeypatch.setattr(polling, "POLL_TIME", 0.02)
    monkeypatch.setattr(polling, "POLL_JITTER", 0)
    return sdk


def test_runway_sdk_text_to_video_from_environment(runwayml, offline, env):
    with RunwayEmulator(job_seconds=0.2) as emu:
        env(emu)
        client = runwayml.RunwayML()
        created = client.text_to_video.create(
            model="gen4.5", prompt_text="a red kite", ratio="1280:720", duration=5
        )
        task = created.wait_for_task_output(timeout=10)
        assert task.status == "SUCCEEDED" and task.id == created.id and task.cost.credits == 60
        assert probe(fetch(task.output[0])) == ("h264", 320, 180)
        again = runwayml.RunwayML(api_key="key_test", base_url=emu.base_url).tasks.retrieve(
            created.id
        )
        assert again.status == "SUCCEEDED" and again.output[0].startswith(
            emu.base_url + "/outputs/"
        )
        api_calls = [r for r in emu.requests if r.path.startswith("/v1/")]
        assert {r.headers["x-runway-version"] for r in api_calls} == {"2024-11-06"}
        assert {r.headers["authorization"] for r in api_calls} == {"REDACTED"}
        assert api_calls[0].method == "POST" and api_calls[0].path == "/v1/text_to_video"
        only_to(emu, offline)


def test_runway_sdk_image_and_video_to_video(runwayml, offline, env):
    with RunwayEmulator(job_seconds=0.2) as emu:
        env(emu)
        client = runwayml.RunwayML(api_key="key_test", base_url=emu.base_url)
        image = "data:image/png;base64," + base64.b64encode(_media.solid_png(96, 128)).decode()
        task = client.image_to_video.create(
            model="gen4_turbo",
            prompt_image=image,
            ratio="832:1104",
            prompt_text="slow push in",
            duration=5,
        ).wait_for_task_output(timeout=10)
        assert probe(fetch(task.output[0]))[1:] == (242, 320)
        edit = client.video_to_video.create(
            model="aleph2", video_uri=task.output[0], prompt_text="make it snow"
        )
        done = edit.wait_for_task_output(timeout=10)
        assert done.status == "SUCCEEDED"
        assert client.organization.retrieve().credit_balance == emu.credits == 10_000 - 25 - 75
        only_to(emu, offline)


def test_runway_sdk_cancel_and_delete(runwayml, offline, env):
    with RunwayEmulator(job_seconds=60) as emu:
        env(emu)
        client = runwayml.RunwayML(api_key="key_test", base_url=emu.base_url)
        created = client.text_to_video.create(
            model="veo3.1_fast", prompt_text="waves", ratio="1920:1080", duration=4
        )
        assert client.tasks.retrieve(created.id).status == "PENDING"
        assert client.tasks.delete(created.id) is None
        assert client.tasks.retrieve(created.id).status == "CANCELLED"
        client.tasks.delete(created.id)  # terminal now: deleted
        with pytest.raises(runwayml.NotFoundError):
            client.tasks.retrieve(created.id)
        assert [r.headers.get("accept") for r in emu.requests if r.method == "DELETE"] == [
            "*/*",
            "*/*",
        ]
        only_to(emu, offline)


def test_runway_sdk_failures_and_errors(runwayml, offline, env):
    from runwayml import TaskFailedError

    with RunwayEmulator(job_seconds=0.2, expected_key="key_right") as emu:
        env(emu)
        client = runwayml.RunwayML(api_key="key_right", base_url=emu.base_url)
        emu.inject("SAFETY.INPUT.TEXT")
        with pytest.raises(TaskFailedError) as info:
            client.text_to_video.create(
                model="gen4.5", prompt_text="x", ratio="1280:720", duration=5
            ).wait_for_task_output(timeout=10)
        assert (
            info.value.task_details.failure_code == "SAFETY.INPUT.TEXT"
            and info.value.task_details.failure
        )
        with pytest.raises(runwayml.BadRequestError) as bad:
            client.text_to_video.create(model="gen4.5", prompt_text="x", ratio="1:1", duration=5)
        assert bad.value.status_code == 400 and bad.value.body["issues"][0]["path"] == ["ratio"]
        with pytest.raises(runwayml.AuthenticationError):
            runwayml.RunwayML(api_key="key_wrong", base_url=emu.base_url).organization.retrieve()
        only_to(emu, offline)


def test_runway_sdk_retries_rate_limits_and_resets(runwayml, offline, env):
    with RunwayEmulator(job_seconds=0.2) as emu:
        env(emu)
        client = runwayml.RunwayML(api_key="key_test", base_url=emu.base_url)
        emu.inject("429", retry_after=0.01, match="/v1/text_to_video")
        emu.inject("503", retry_after=0.01, match="/v1/text_to_video")
        created = client.text_to_video.create(
            model="gen4.5", prompt_text="x", ratio="720:1280", duration=2
        )
        assert [r.status for r in emu.requests.filter(path="/v1/text_to_video")] == [429, 503, 200]
        emu.inject("reset", match="/v1/tasks/")
        assert client.tasks.retrieve(created.id).id == created.id  # retried after the reset
        emu.inject("429", retry_after=0.01)
        with pytest.raises(runwayml.RateLimitError):
            client.with_options(max_retries=0).organization.retrieve()
        only_to(emu, offline)


# ======================================================================================
# OpenAI: openai
# ======================================================================================
@pytest.fixture
def openai():
    return pytest.importorskip("openai")


FRAMES_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["summary", "moments", "answer"],
    "properties": {
        "summary": {"type": "string"},
        "moments": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["start", "end", "label"],
                "properties": {
                    "start": {"type": "string"},
                    "end": {"type": "string"},
                    "label": {"type": "string"},
                },
            },
        },
        "answer": {"type": "string"},
    },
}


def frame_message(frames: list[str], detail: str = "low") -> list[dict]:
    content = [
        {"type": "text", "text": "These are frames of one video, in order. When does the box move?"}
    ]
    content += [{"type": "image_url", "image_url": {"url": u, "detail": detail}} for u in frames]
    return [{"role": "user", "content": content}]


def test_openai_sdk_chat_frames_json_schema(openai, offline, env):
    frames = jpeg_frames(3)
    with OpenAIEmulator() as emu:
        env(emu)
        client = openai.OpenAI()
        completion = client.chat.completions.create(
            model="gpt-4.1-mini",
            messages=frame_message(frames, "high"),
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "frames", "schema": FRAMES_SCHEMA, "strict": True},
            },
        )
        answer = json.loads(completion.choices[0].message.content)
        assert set(answer) == {"summary", "moments", "answer"} and "3 images" in answer["summary"]
        assert completion.usage.prompt_tokens > 3 * 85 and completion.model == "gpt-4.1-mini"
        seen = emu.chat_requests[-1]
        assert (
            seen["images"] == 3
            and seen["details"] == ["high"] * 3
            and seen["image_sizes"][0] == (320, 180)
        )
        only_to(emu, offline)


def test_openai_sdk_parse_with_pydantic(openai, offline, env):
    from pydantic import BaseModel

    class Moment(BaseModel):
        start: str
        end: str
        label: str

    class Frames(BaseModel):
        summary: str
        moments: list[Moment]
        answer: str

    with OpenAIEmulator() as emu:
        env(emu)
        client = openai.OpenAI(api_key="sk-test", base_url=emu.base_url + "/v1")
        parsed = client.chat.completions.parse(
            model="gpt-4o", messages=frame_message(jpeg_frames(2)), response_format=Frames
        )
        result = parsed.choices[0].message.parsed
        assert isinstance(result, Frames) and result.moments and result.moments[0].start == "00:00"
        assert emu.chat_requests[-1]["details"] == ["low", "low"]
        emu.inject("malformed_json")
        raw = client.chat.completions.create(
            model="gpt-4o",
            messages=frame_message([]),
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "frames", "schema": FRAMES_SCHEMA, "strict": True},
            },
        )
        with pytest.raises(json.JSONDecodeError):
            json.loads(raw.choices[0].message.content)
        emu.inject("moderation")
        refused = client.chat.completions.parse(
            model="gpt-4o", messages=frame_message([]), response_format=Frames
        )
        assert refused.choices[0].message.refusal and refused.choices[0].message.parsed is None
        only_to(emu, offline)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_openai_sdk_videos(openai, tmp_path, offline, env):
    with OpenAIEmulator(job_seconds=0.2) as emu:
        env(emu)
        client = openai.OpenAI(api_key="sk-test", base_url=emu.base_url + "/v1")
        video = client.videos.create(
            prompt="a paper boat on a pond",
            model="sora-2",
            seconds="4",
            size="1280x720",
            input_reference=("first.png", _media.solid_png(1280, 720), "image/png"),
        )
        assert video.status == "queued" and video.size == "1280x720"
        assert emu.requests[0].headers["content-type"].startswith("multipart/form-data; boundary=")
        assert client.videos.retrieve(video.id).id == video.id
        done = client.videos.poll(video.id)  # sleeps openai-poll-after-ms (10 ms) between polls
        assert done.status == "completed" and done.progress == 100 and done.expires_at
        content = client.videos.download_content(video.id)
        assert probe(content.read()) == ("h264", 320, 180)
        out = tmp_path / "out.mp4"
        client.videos.download_content(video.id, variant="video").write_to_file(out)
        assert probe(out.read_bytes())[0] == "h264"
        thumb = client.videos.download_content(video.id, variant="thumbnail").read()
        assert _media.image_info(thumb)[0] == "image/webp"
        assert emu.requests.filter(path="/content")[0].headers.get("accept") == "application/binary"
        polled = emu.requests.filter(method="GET", path=f"/v1/videos/{video.id}")
        assert any(r.headers.get("x-stainless-poll-helper") == "true" for r in polled)

        second = client.videos.create_and_poll(
            prompt="the boat sinks", seconds="8", size="720x1280"
        )
        assert second.status == "completed" and second.seconds == "8"
        remix = client.videos.remix(second.id, prompt="the boat floats")
        assert remix.remixed_from_video_id == second.id
        ids = [v.id for v in client.videos.list()]
        assert set(ids) == {video.id, second.id, remix.id}
        deleted = client.videos.delete(video.id)
        assert deleted.deleted and deleted.id == video.id
        with pytest.raises(openai.NotFoundError):
            client.videos.retrieve(video.id)
        only_to(emu, offline)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_openai_sdk_video_failure_and_retired_api(openai, offline, env):
    with OpenAIEmulator(job_seconds=0.2) as emu:
        env(emu)
        client = openai.OpenAI(api_key="sk-test", base_url=emu.base_url + "/v1")
        emu.inject("moderation")
        failed = client.videos.create_and_poll(prompt="something not allowed")
        assert failed.status == "failed" and failed.error.code == "moderation_blocked"
        with pytest.raises(openai.BadRequestError) as bad:
            client.videos.create(prompt="x", seconds="10")
        assert bad.value.param == "seconds" and bad.value.code == "invalid_value"
        only_to(emu, offline)
    with OpenAIEmulator(retired=True) as emu:
        env(emu)
        client = openai.OpenAI(api_key="sk-test", base_url=emu.base_url + "/v1")
        with pytest.raises(openai.NotFoundError) as gone:
            client.videos.create(prompt="x", model="sora-2")
        assert gone.value.code == "model_not_found"
        with pytest.raises(openai.NotFoundError):
            client.videos.retrieve("video_123")


def test_openai_sdk_errors_and_retries(openai, offline, env):
    with OpenAIEmulator(expected_key="sk-right") as emu:
        env(emu)
        with pytest.raises(openai.AuthenticationError) as auth:
            openai.OpenAI(api_key="sk-wrong-key", base_url=emu.base_url + "/v1").models.list()
        assert auth.value.code == "invalid_api_key"
        client = openai.OpenAI(api_key="sk-right", base_url=emu.base_url + "/v1")
        emu.inject("429", retry_after=0.01)
        emu.inject("500", retry_after=0.01)
        assert client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        ).choices
        assert [r.status for r in emu.requests.filter(path="/chat/completions")] == [429, 500, 200]
        emu.inject("429", retry_after=0.01)
        with pytest.raises(openai.RateLimitError):
            client.with_options(max_retries=0).chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
            )
        only_to(emu, offline)


# ======================================================================================
# Gemini: google-genai
# ======================================================================================
@pytest.fixture
def genai():
    pytest.importorskip("google.genai")
    from google import genai as sdk

    return sdk


def gemini_client(genai, emu, **options):
    from google.genai import types

    return genai.Client(
        api_key="gm-test", http_options=types.HttpOptions(base_url=emu.base_url, **options)
    )


def moments_model():
    from pydantic import BaseModel

    class Moment(BaseModel):
        start: str
        end: str
        label: str

    class VideoAnswer(BaseModel):
        summary: str
        moments: list[Moment]
        answer: str

    return VideoAnswer


def test_gemini_sdk_inline_video_structured_output(genai, offline, env):
    from google.genai import types

    VideoAnswer = moments_model()
    mp4 = synthetic_mp4(1280, 720, seconds=2)
    with GeminiEmulator() as emu:
        env(emu)
        client = gemini_client(genai, emu)
        response = client.models.generate_content(
            model="gemini-2.5-flash",
            contents=[
                types.Part.from_bytes(data=mp4, mime_type="video/mp4"),
                "When does the box reach the right edge?",
            ],
            config=types.GenerateContentConfig(
                response_mime_type="application/json", response_schema=VideoAnswer
            ),
        )
        assert isinstance(response.parsed, VideoAnswer)
        assert (
            response.parsed.answer.endswith("right edge?")
            and response.parsed.moments[-1].end == "00:02"
        )
        usage = response.usage_metadata
        video_tokens = [
            d.token_count for d in usage.prompt_tokens_details if d.modality.name == "VIDEO"
        ]
        assert video_tokens == [2 * 258] and usage.total_token_count > usage.prompt_token_count
        # Clip and frame rate through video_metadata.
        part = types.Part(
            inline_data=types.Blob(data=mp4, mime_type="video/mp4"),
            video_metadata=types.VideoMetadata(fps=4, start_offset="0s", end_offset="1s"),
        )
        response = client.models.generate_content(
            model="gemini-2.5-flash", contents=[part, "Describe."]
        )
        assert "Emulated answer to: Describe." in response.text
        assert emu.generate_requests[-1]["fps"] == [4.0] and emu.generate_requests[-1][
            "video_seconds"
        ] == [1.0]
        call = emu.requests.filter(method="POST", path=":generateContent")[0]
        assert call.headers["x-goog-api-key"] == "REDACTED"
        only_to(emu, offline)


def test_gemini_sdk_files_upload_poll_and_generate(genai, tmp_path, monkeypatch, offline, env):
    from google.genai import _api_client, types

    monkeypatch.setattr(
        _api_client, "CHUNK_SIZE", 16 * 1024
    )  # several chunks: offsets, then finalize
    path = tmp_path / "clip.mp4"
    path.write_bytes(synthetic_mp4(640, 360, seconds=2))
    with GeminiEmulator(job_seconds=0.3) as emu:
        env(emu)
        client = gemini_client(genai, emu)
        uploaded = client.files.upload(file=path)
        assert uploaded.state.name == "PROCESSING" and uploaded.size_bytes == path.stat().st_size
        commands = [
            r.headers.get("x-goog-upload-command")
            for r in emu.requests
            if r.path.startswith("/upload/")
        ]
        assert commands[0] == "start" and commands[-1] == "upload, finalize" and len(commands) >= 3
        assert client.files.get(name=uploaded.name).state.name == "PROCESSING"
        emu.clock.advance(0.3)  # the processing time, on the simulated clock: no waiting
        f = client.files.get(name=uploaded.name)
        assert f.state.name == "ACTIVE" and f.video_metadata["videoDuration"] == "2s"
        response = client.models.generate_content(
            model="gemini-2.5-flash",
            contents=[f, "Summarise the video."],
            config=types.GenerateContentConfig(
                response_mime_type="application/json",
                response_json_schema=moments_model().model_json_schema(),
            ),
        )
        assert json.loads(response.text)["summary"].startswith("Emulated summary of 1 video")
        assert [x.name for x in client.files.list()] == [f.name]
        client.files.delete(name=f.name)
        with pytest.raises(genai.errors.ClientError) as gone:
            client.files.get(name=f.name)
        assert gone.value.code == 403
        only_to(emu, offline)


def test_gemini_sdk_file_not_active_and_failed(genai, tmp_path, offline, env):
    from google.genai import types

    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"this is not a video")
    with GeminiEmulator(job_seconds=30) as emu:
        env(emu)
        client = gemini_client(genai, emu)
        f = client.files.upload(file=bad, config=types.UploadFileConfig(display_name="broken"))
        with pytest.raises(genai.errors.ClientError) as early:
            client.models.generate_content(model="gemini-2.5-flash", contents=[f, "q"])
        assert early.value.code == 400 and early.value.status == "FAILED_PRECONDITION"
        emu.clock.advance(31)
        f = client.files.get(name=f.name)
        assert f.state.name == "FAILED" and f.error.message and f.display_name == "broken"
        only_to(emu, offline)


def test_gemini_sdk_client_from_environment(genai, offline, env):
    with GeminiEmulator(expected_key="gm-env") as emu:
        env(emu, key="gm-env")
        client = genai.Client()
        assert (
            "Emulated answer to: hello"
            in client.models.generate_content(model="gemini-2.5-flash", contents="hello").text
        )
        only_to(emu, offline)


def test_gemini_sdk_errors_faults_and_retries(genai, offline, env):
    from google.genai import types

    with GeminiEmulator() as emu:
        env(emu)
        emu.expected_key = "gm-right"
        wrong_key = gemini_client(
            genai, emu
        )  # keep a reference: the client closes its transport when collected
        with pytest.raises(genai.errors.ClientError) as wrong:
            wrong_key.models.generate_content(model="gemini-2.5-flash", contents="x")
        assert wrong.value.code == 400 and "API key not valid" in wrong.value.message
        emu.expected_key = None

        client = gemini_client(genai, emu)
        config = types.GenerateContentConfig(
            response_mime_type="application/json", response_schema=moments_model()
        )
        emu.inject("malformed_json")
        broken = client.models.generate_content(
            model="gemini-2.5-flash", contents="x", config=config
        )
        assert broken.parsed is None
        with pytest.raises(json.JSONDecodeError):
            json.loads(broken.text)
        emu.inject("moderation")
        blocked = client.models.generate_content(model="gemini-2.5-flash", contents="x")
        assert blocked.prompt_feedback.block_reason.name == "SAFETY" and not blocked.candidates
        emu.inject("429", retry_after=0.01)
        with pytest.raises(genai.errors.ClientError) as limited:  # no retries unless configured
            client.models.generate_content(model="gemini-2.5-flash", contents="x")
        assert limited.value.code == 429 and limited.value.status == "RESOURCE_EXHAUSTED"
        emu.inject("503")
        with pytest.raises(genai.errors.ServerError):
            client.models.generate_content(model="gemini-2.5-flash", contents="x")

        retrying = gemini_client(
            genai,
            emu,
            retry_options=types.HttpRetryOptions(
                attempts=3, initial_delay=0.01, max_delay=0.02, jitter=0
            ),
        )
        emu.inject("429")
        emu.inject("500")
        assert retrying.models.generate_content(model="gemini-2.5-flash", contents="x").text
        statuses = [r.status for r in emu.requests.filter(path=":generateContent")]
        assert statuses[-3:] == [429, 500, 200]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(genai.errors.ClientError) as missing:
                client.models.generate_content(model="not-a-model", contents="x")
        assert missing.value.code == 404
        only_to(emu, offline)
