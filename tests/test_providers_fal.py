"""fal: the official ``fal-client`` against the queue emulator (only its queue host changed),
and videonb's fal provider against it (ledger, budget, cache, faults, cancel, resume).

fal-client builds its queue URLs from the module constant ``QUEUE_URL_FORMAT``
(``https://{FAL_QUEUE_RUN_HOST}/``, read at import); the tests point that one constant at the
emulator.  Nothing sleeps: jobs move on the emulator's simulated clock or finish in a fraction
of a second while the client polls.
"""

from __future__ import annotations

import asyncio

import pytest

import videonb
from videonb import errors
from videonb.testing.emulators import CDN, FalEmulator, _media, loopback_only

fal_client = pytest.importorskip("fal_client")

KEY = "fal-test-key-0123456789"
FAST = dict(api_key=KEY, poll_interval=0.02, progress=False)
KLING = "fal-ai/kling-video/v2.6/pro/text-to-video"
ENV = ("FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET", "FAL_RUN_HOST", "FAL_QUEUE_RUN_HOST")


@pytest.fixture()
def fal(home, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    with FalEmulator(expected_key=KEY, job_seconds=0.15) as emu, loopback_only() as conns:
        yield emu
        assert {port for _, port in conns} <= {emu.port_number}
        assert emu.server_errors == []


@pytest.fixture()
def client(fal, monkeypatch):
    """A fal-client SyncClient whose queue host is the emulator."""
    import fal_client.client as fc

    monkeypatch.setattr(fc, "QUEUE_URL_FORMAT", fal.base_url + "/")
    fal.job_seconds = 10.0  # states move only with fal.clock.advance()
    return fal_client.SyncClient(key=KEY)


def png_uri(w: int = 640, h: int = 360) -> str:
    return fal_client.encode(_media.solid_png(w, h), "image/png")


# ======================================================================================
# fal-client against the emulator
# ======================================================================================
def test_sdk_submit_status_result(fal, client):
    from test_emulators_sdk import fetch, probe

    handle = client.submit(KLING, {"prompt": "a red kite", "duration": "5",
                                   "generate_audio": False})
    assert handle.status_url.endswith(f"/fal-ai/kling-video/requests/{handle.request_id}/status")
    assert isinstance(handle.status(), fal_client.Queued)
    fal.clock.advance(2.5)
    running = handle.status(with_logs=True)
    assert isinstance(running, fal_client.InProgress) and running.logs
    fal.clock.advance(10)
    done = handle.status()
    assert isinstance(done, fal_client.Completed) and done.error is None
    assert done.metrics["inference_time"] > 0
    result = handle.get()
    assert result["video"]["content_type"] == "video/mp4"
    assert probe(fetch(result["video"]["url"]))[0] == "h264"
    # by id, as a later session does: the status path has owner/app only
    assert isinstance(client.status(KLING, handle.request_id), fal_client.Completed)
    assert client.result(KLING, handle.request_id)["video"]["url"]
    assert fal.spent == pytest.approx(0.35)  # 5 s at $0.07/s, audio off


def test_sdk_subscribe_waits_for_the_result(fal, client):
    fal.job_seconds = 0.15
    seen = []
    result = client.subscribe("fal-ai/ltx-2/text-to-video/fast", {"prompt": "a lighthouse"},
                              with_logs=True, on_queue_update=seen.append, interval=0.02)
    assert result["video"]["url"] and isinstance(seen[-1], fal_client.Completed)
    assert fal.spent == pytest.approx(6 * 0.04)


def test_sdk_audio_on_costs_double(fal, client):
    client.submit(KLING, {"prompt": "with sound"})  # generate_audio defaults to true
    assert fal.spent == pytest.approx(0.70)


@pytest.mark.parametrize("body, loc, kind", [
    ({"duration": "5"}, "prompt", "missing"),
    ({"prompt": "x", "duration": 5}, "duration", "enum"),
    ({"prompt": "x", "aspect_ratio": "4:3"}, "aspect_ratio", "enum"),
    ({"prompt": "x", "cfg_scale": 2}, "cfg_scale", "less_than_equal"),
])
def test_sdk_validation_errors_are_422_details(fal, client, body, loc, kind):
    with pytest.raises(fal_client.FalClientHTTPError) as info:
        client.submit(KLING, body)
    err = info.value
    assert err.status_code == 422 and isinstance(err.message, list)
    assert err.message[0]["loc"] == ["body", loc] and err.message[0]["type"] == kind
    assert fal.counts["jobs"] == 0 and fal.spent == 0


def test_sdk_image_fields_take_data_uris(fal, client):
    handle = client.submit("fal-ai/kling-video/v2.6/pro/image-to-video",
                           {"prompt": "push in", "start_image_url": png_uri()})
    assert handle.request_id
    with pytest.raises(fal_client.FalClientHTTPError) as info:
        client.submit("fal-ai/pika/v2.2/image-to-video",
                      {"prompt": "x", "image_url": "data:image/png;base64,AAAA"})
    assert info.value.message[0]["type"] == "image_load_error"


def test_sdk_content_policy_violation(fal, client):
    fal.inject("moderation")
    handle = client.submit(KLING, {"prompt": "refused"})
    fal.clock.advance(11)
    done = handle.status()
    assert isinstance(done, fal_client.Completed)
    assert done.error_type == "content_policy_violation" and done.error
    with pytest.raises(fal_client.FalClientHTTPError) as info:
        client.result(KLING, handle.request_id)
    assert info.value.status_code == 422
    assert info.value.response_headers["x-fal-retryable"] == "false"
    assert info.value.message[0]["type"] == "content_policy_violation"
    assert fal.spent == 0  # refunded


def test_sdk_request_error_carries_its_type(fal, client):
    fal.inject("job_failure", code="request_timeout")
    handle = client.submit(KLING, {"prompt": "too slow"})
    fal.clock.advance(11)
    with pytest.raises(fal_client.FalClientHTTPError) as info:
        handle.get()
    assert info.value.status_code == 504 and info.value.error_type == "request_timeout"


def test_sdk_cancel(fal, client):
    fal.job_seconds = 30
    handle = client.submit(KLING, {"prompt": "never mind"})
    handle.cancel()
    assert fal.requests[-1].status == 202
    done = handle.status()
    assert isinstance(done, fal_client.Completed) and done.error
    with pytest.raises(fal_client.FalClientHTTPError) as info:
        handle.cancel()
    assert info.value.status_code == 400
    assert fal.spent == 0  # cancelled before it ran


def test_sdk_wrong_key_and_unknown_endpoint(fal, monkeypatch):
    import fal_client.client as fc

    monkeypatch.setattr(fc, "QUEUE_URL_FORMAT", fal.base_url + "/")
    with pytest.raises(fal_client.FalClientHTTPError) as info:
        fal_client.SyncClient(key="wrong").submit(KLING, {"prompt": "x"})
    assert info.value.status_code == 401
    with pytest.raises(fal_client.FalClientHTTPError) as info:
        fal_client.SyncClient(key=KEY).submit("fal-ai/no-such-model", {"prompt": "x"})
    assert info.value.status_code == 404


def test_sdk_status_names_match_the_emulator():
    """The statuses fal-client parses are the ones the emulator answers."""
    import inspect

    import fal_client.client as fc

    source = inspect.getsource(fc._BaseRequestHandle._parse_status)
    for status in ("IN_QUEUE", "IN_PROGRESS", "COMPLETED"):
        assert f'"{status}"' in source
    assert "queue_position" in source and 'data["logs"]' in source


# ======================================================================================
# videonb's fal provider
# ======================================================================================
def _gen(emu, prompt="a red kite over the sea", **kw):
    return videonb.generate(prompt, provider="fal", base_url=emu.base_url, **{**FAST, **kw})


def test_generate_default_model(fal):
    v = _gen(fal)
    assert v.info.codec == "h264"
    prov = v.provenance
    assert prov["model"] == "fal-ai/kling-video/v2.6/pro"
    assert prov["cost_usd"] == pytest.approx(0.35) and fal.spent == pytest.approx(0.35)
    owner, app, rid = prov["remote_id"].split(":")
    assert (owner, app) == ("fal-ai", "kling-video")
    ((endpoint, body),) = fal.creates
    assert endpoint == KLING
    assert body == {"prompt": "a red kite over the sea", "generate_audio": False,
                    "duration": "5", "aspect_ratio": "16:9"}
    polls = fal.requests.filter(method="GET", path="/requests/")
    assert polls and all(r.path.startswith(f"/fal-ai/kling-video/requests/{rid}")
                         for r in polls)
    assert all(r.headers.get("authorization") == "REDACTED" for r in polls)
    assert _gen(fal).provenance["cached"] is True and fal.counts["jobs"] == 1


@pytest.mark.parametrize("model, seconds, endpoint, fields", [
    ("fal-ai/kling-video/v2.6/pro+audio", 10, KLING, {"generate_audio": True, "duration": "10"}),
    ("fal-ai/pika/v2.2", 5, "fal-ai/pika/v2.2/text-to-video",
     {"duration": 5, "resolution": "720p"}),
    ("fal-ai/pika/v2.5", 10, "fal-ai/pika/v2.5/text-to-video", {"duration": 10}),
    ("fal-ai/minimax/hailuo-02/standard", 6, "fal-ai/minimax/hailuo-02/standard/text-to-video",
     {"duration": "6"}),
    ("fal-ai/ltx-2/fast", 8, "fal-ai/ltx-2/text-to-video/fast",
     {"duration": 8, "resolution": "1080p"}),
    ("fal-ai/wan-25-preview", 5, "fal-ai/wan-25-preview/text-to-video",
     {"duration": "5", "resolution": "720p"}),
    ("fal-ai/luma-dream-machine/ray-2", 9, "fal-ai/luma-dream-machine/ray-2",
     {"duration": "9s", "resolution": "540p"}),
    ("bytedance/seedance-2.0", 5, "bytedance/seedance-2.0/text-to-video", {"duration": "5"}),
])
def test_every_catalogue_model_reaches_its_endpoint(fal, model, seconds, endpoint, fields):
    v = _gen(fal, model=model, seconds=seconds)
    assert v.info.frame_count > 0
    sent_to, body = fal.creates[-1]
    assert sent_to == endpoint and fields.items() <= body.items()
    spec = videonb.providers.registry.get_provider("fal").model(model)
    assert v.provenance["cost_usd"] == (None if spec.price_per_second is None
                                        else pytest.approx(spec.price_per_second * seconds))


def test_image_to_video_uses_each_models_image_field(fal, tmp_path):
    still = tmp_path / "still.png"
    still.write_bytes(_media.solid_png(640, 360))
    for model, endpoint, field in (
            ("fal-ai/kling-video/v2.6/pro", "fal-ai/kling-video/v2.6/pro/image-to-video",
             "start_image_url"),
            ("fal-ai/pika/v2.2", "fal-ai/pika/v2.2/image-to-video", "image_url")):
        v = videonb.image_to_video(still, "slow push in", provider="fal", model=model,
                                   base_url=fal.base_url, **FAST)
        assert v.provenance["operation"] == "image_to_video"
        sent_to, body = fal.creates[-1]
        assert sent_to == endpoint and body[field].startswith("data:image/png;base64,")
        assert "aspect_ratio" not in body
    with pytest.raises(errors.InvalidOptionError, match="cannot do image_to_video"):
        videonb.image_to_video(still, "x", provider="fal", model="fal-ai/pika/v2.5",
                               base_url=fal.base_url, **FAST)


def test_limits_are_checked_before_anything_is_sent(fal):
    with pytest.raises(errors.InvalidOptionError, match="allowed: 6, 8, 10"):
        _gen(fal, model="fal-ai/ltx-2/fast", seconds=7)
    with pytest.raises(errors.InvalidOptionError, match="no aspect ratio"):
        _gen(fal, model="fal-ai/ltx-2/fast", ratio="16:9")
    with pytest.raises(errors.InvalidOptionError, match="ratio='4:3'"):
        _gen(fal, ratio="4:3")
    assert len(fal.requests) == 0


def test_content_policy_is_moderation_and_not_resubmitted(fal):
    fal.inject("moderation")
    with pytest.raises(errors.ModerationError, match="CONTENT_POLICY_VIOLATION"):
        _gen(fal, "refused")
    assert fal.counts["jobs"] == 1 and videonb.jobs()[0].status == "failed"


def test_request_error_is_a_failed_job(fal):
    fal.inject("job_failure", code="runner_disconnected")
    with pytest.raises(errors.JobFailedError, match="runner_disconnected"):
        _gen(fal, "unlucky")


@pytest.mark.parametrize("fault", ["429", "502", "503", "reset"])
def test_transient_status_faults_are_survived(fal, fault):
    fal.inject(fault, on="queue.status", retry_after=0.05)
    assert _gen(fal, f"survive {fault}").info.frame_count > 0
    assert fal.counts["jobs"] == 1


def test_reset_during_submit_is_not_resubmitted(fal):
    fal.inject("reset", on="submit")
    with pytest.raises(errors.ProviderHTTPError, match="dashboard"):
        _gen(fal, "ambiguous")
    assert videonb.jobs()[0].error_code == "lost_submit"


@pytest.mark.parametrize("fault", ["502", "504"])
def test_a_gateway_error_during_submit_is_not_resubmitted(fal, fault):
    """Red team: a 504 (the gateway gave up waiting) or 502 answering the paid submit was
    retried, so one request could create two billed jobs."""
    fal.inject(fault, on="submit")
    with pytest.raises(errors.ProviderHTTPError, match="dashboard"):
        _gen(fal, f"gateway {fault}")
    assert videonb.jobs()[0].error_code == "lost_submit"
    assert len(fal.requests.filter(method="POST")) == 1


def test_key_id_and_secret_and_a_wrong_key(home, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    with FalEmulator(expected_key="kid-123:ksecret-456789", job_seconds=0.1) as emu:
        monkeypatch.setenv("FAL_KEY_ID", "kid-123")
        monkeypatch.setenv("FAL_KEY_SECRET", "ksecret-456789")
        v = videonb.generate("id and secret", provider="fal", base_url=emu.base_url,
                             poll_interval=0.02, progress=False)
        assert v.info.frame_count > 0
        with pytest.raises(errors.AuthenticationError) as info:
            videonb.generate("x", provider="fal", base_url=emu.base_url, api_key="wrong-key-0987",
                             progress=False)
        assert "wrong-key-0987" not in str(info.value)
    monkeypatch.delenv("FAL_KEY_ID")
    with pytest.raises(errors.MissingKeyError, match="FAL_KEY"):
        videonb.generate("x", provider="fal", base_url="http://127.0.0.1:9", progress=False)


def test_queue_host_variable_as_the_sdk_reads_it(monkeypatch):
    from videonb.providers.registry import get_provider

    monkeypatch.delenv("FAL_QUEUE_RUN_HOST", raising=False)
    monkeypatch.delenv("FAL_RUN_HOST", raising=False)
    assert get_provider("fal").url == "https://queue.fal.run"
    monkeypatch.setenv("FAL_RUN_HOST", "fal.example")
    assert get_provider("fal").url == "https://queue.fal.example"
    monkeypatch.setenv("FAL_QUEUE_RUN_HOST", "q.example")
    assert get_provider("fal").url == "https://q.example"


def test_cancel_a_running_job(fal):
    fal.job_seconds = 30.0

    async def start_then_cancel():
        placed = asyncio.Event()
        job = await videonb.generate_async(
            "long", provider="fal", base_url=fal.base_url, wait=False, **{
                k: v for k, v in FAST.items() if k != "progress"},
            on_update=lambda rec: rec.remote_id and placed.set())
        await asyncio.wait_for(placed.wait(), 10)
        await job.cancel_async()
        return job

    job = asyncio.run(start_then_cancel())
    assert job.status == "cancelled"
    (put,) = fal.requests.filter(method="PUT")
    assert put.path.endswith("/cancel") and put.status == 202


def test_timeout_then_resume(fal):
    fal.job_seconds = 0.6
    with pytest.raises(errors.JobTimeoutError, match="resume"):
        _gen(fal, "slow", timeout=0.1)
    (out,) = videonb.resume(api_key=KEY, base_url=fal.base_url, poll_interval=0.02)
    assert isinstance(out, videonb.Video) and fal.counts["jobs"] == 1


def test_outputs_come_from_the_cdn_without_the_key(home, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    with CDN() as cdn, FalEmulator(expected_key=KEY, job_seconds=0.1, output_base=cdn) as emu:
        cdn.origin = emu
        cdn.inject("html")  # a captive portal first: never stored, the paid job stays
        with pytest.raises(errors.DownloadError, match="web page"):
            _gen(emu, "through a cdn")
        (v,) = videonb.resume(api_key=KEY, base_url=emu.base_url, poll_interval=0.02)
        assert isinstance(v, videonb.Video) and emu.counts["jobs"] == 1
        pulls = cdn.requests.filter(method="GET")
        assert len(pulls) >= 2 and all("authorization" not in r.headers for r in pulls)


def test_budget_counts_fal_prices(fal, monkeypatch):
    monkeypatch.setattr(videonb.config, "budget_usd", 0.5)
    _gen(fal, "first")                                         # $0.35
    with pytest.raises(errors.BudgetExceededError):
        _gen(fal, "second")                                    # another $0.35
    with pytest.raises(errors.BudgetExceededError, match="no price"):
        _gen(fal, "pika", model="fal-ai/pika/v2.2")
    assert fal.counts["jobs"] == 1
