"""Replicate: the official ``replicate`` SDK against the emulator (only its base URL changed),
and videonb's replicate provider against it (schema-checked inputs, Files API, ledger,
budget, cache, faults, cancel, resume).

Nothing sleeps: predictions move on the emulator's simulated clock or finish in a fraction of
a second while the client polls (``REPLICATE_POLL_INTERVAL`` is set short for the SDK).
"""

from __future__ import annotations

import asyncio
import typing

import pytest

import videonb
from videonb import errors
from videonb.testing.emulators import CDN, ReplicateEmulator, _media, loopback_only

replicate = pytest.importorskip("replicate")

KEY = "r8_test_0123456789abcdef"
FAST = dict(api_key=KEY, poll_interval=0.02, progress=False)
KLING = "kwaivgi/kling-v2.5-turbo-pro"
ENV = ("REPLICATE_API_TOKEN", "REPLICATE_BASE_URL", "REPLICATE_POLL_INTERVAL")


@pytest.fixture()
def rep(home, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    with ReplicateEmulator(expected_key=KEY, job_seconds=0.15) as emu, loopback_only() as conns:
        yield emu
        assert {port for _, port in conns} <= {emu.port_number}
        assert emu.server_errors == []


@pytest.fixture()
def client(rep, monkeypatch):
    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", "0.02")
    return replicate.Client(api_token=KEY, base_url=rep.base_url)


def png_file(tmp_path, w=640, h=360, pad=0):
    p = tmp_path / f"still-{w}x{h}-{pad}.png"
    p.write_bytes(_media.solid_png(w, h) + b"\0" * pad)
    return p


# ======================================================================================
# The replicate SDK against the emulator
# ======================================================================================
def test_sdk_run_with_prefer_wait(rep, client):
    from test_emulators_sdk import fetch, probe

    out = client.run(KLING, input={"prompt": "a red kite", "duration": 5}, wait=5)
    create = rep.requests.filter(method="POST")[0]
    assert create.headers["prefer"] == "wait=5" and create.status == 201
    assert isinstance(out, str) and probe(fetch(out))[0] == "h264"
    assert rep.counts["poll"] == 0  # answered within the wait: no polling
    assert rep.spent == pytest.approx(0.35)


def test_sdk_wait_that_runs_out_answers_starting_then_polls(rep, client):
    rep.job_seconds = 1.5
    out = client.run(KLING, input={"prompt": "slow"}, wait=1)
    assert isinstance(out, str) and rep.counts["poll"] >= 1


def test_sdk_prediction_lifecycle(rep, client):
    rep.job_seconds = 10.0
    p = client.models.predictions.create(model=KLING, input={"prompt": "a kite", "duration": 10})
    assert p.status == "starting" and p.urls["get"].endswith(f"/v1/predictions/{p.id}")
    rep.clock.advance(6)
    p.reload()
    assert p.status == "processing" and p.progress is not None
    assert 0 < p.progress.percentage < 1 and p.progress.total == 20
    rep.clock.advance(10)
    p.reload()
    assert p.status == "succeeded" and p.output.startswith(rep.base_url + "/delivery/")
    assert p.metrics["predict_time"] > 0 and p.completed_at
    assert [q.id for q in client.predictions.list().results] == [p.id]


def test_sdk_model_and_version_schema(rep, client):
    model = client.models.get(KLING)
    inputs = model.latest_version.openapi_schema["components"]["schemas"]["Input"]
    assert inputs["required"] == ["prompt"] and "start_image" in inputs["properties"]
    assert inputs["properties"]["duration"]["allOf"][0]["$ref"].endswith("/duration")
    version = model.versions.get(model.latest_version.id)
    p = client.predictions.create(version=version.id, input={"prompt": "pinned"})
    assert p.version == version.id and p.model == KLING


@pytest.mark.parametrize("payload, field", [
    ({"duration": 5}, "input"),
    ({"prompt": "x", "duration": 7}, "input.duration"),
    ({"prompt": "x", "aspect_ratio": "4:3"}, "input.aspect_ratio"),
    ({"prompt": 5}, "input.prompt"),
    ({"prompt": "x", "start_image": "not a url"}, "input.start_image"),
])
def test_sdk_input_validation(rep, client, payload, field):
    with pytest.raises(replicate.exceptions.ReplicateError) as info:
        client.models.predictions.create(model=KLING, input=payload)
    err = info.value
    assert err.status == 422 and err.title == "Input validation failed" and field in err.detail
    assert rep.counts["jobs"] == 0


def test_sdk_files_upload_is_a_valid_input(rep, client, tmp_path):
    f = client.files.create(png_file(tmp_path))
    assert f.urls["get"] == f"{rep.base_url}/v1/files/{f.id}" and f.size > 0
    assert [x.id for x in client.files.list()] == [f.id]
    p = client.models.predictions.create(model=KLING, input={"prompt": "x",
                                                             "start_image": f.urls["get"]})
    assert p.status == "starting"
    assert client.files.delete(f.id)
    with pytest.raises(replicate.exceptions.ReplicateError) as info:
        client.models.predictions.create(model=KLING, input={"prompt": "x",
                                                             "start_image": f.urls["get"]})
    assert info.value.status == 422


def test_sdk_base64_file_strategy(rep, client, tmp_path):
    with open(png_file(tmp_path), "rb") as fh:
        p = client.models.predictions.create(model=KLING, input={"prompt": "x", "start_image": fh},
                                             file_encoding_strategy="base64")
    assert p.input["start_image"].startswith("data:image/png;base64,")


def test_sdk_failed_prediction_is_a_model_error(rep, client):
    rep.inject("model_error")
    with pytest.raises(replicate.exceptions.ModelError) as info:
        client.run(KLING, input={"prompt": "boom"}, wait=5)
    assert info.value.prediction.status == "failed" and "failed" in info.value.prediction.error
    assert rep.spent == 0  # refunded


def test_sdk_cancel(rep, client):
    rep.job_seconds = 30.0
    p = client.models.predictions.create(model=KLING, input={"prompt": "never mind"})
    p.cancel()
    assert p.status == "canceled"
    assert client.predictions.get(p.id).status == "canceled" and rep.spent == 0


def test_sdk_errors_are_problem_details(rep):
    bad = replicate.Client(api_token="wrong", base_url=rep.base_url)
    with pytest.raises(replicate.exceptions.ReplicateError) as info:
        bad.models.get(KLING)
    assert info.value.status == 401 and info.value.title == "Unauthenticated"
    good = replicate.Client(api_token=KEY, base_url=rep.base_url)
    with pytest.raises(replicate.exceptions.ReplicateError) as info:
        good.models.get("nobody/nothing")
    assert info.value.status == 404


def test_sdk_statuses_are_the_emulators():
    """Every status the SDK's Prediction type allows is one the emulator answers, and back
    (Replicate's lifecycle page adds ``aborted``, which SDK 1.0.7 does not know)."""
    from replicate.prediction import Prediction

    from videonb.testing.emulators.replicate import _STATE

    sdk = set(typing.get_args(Prediction.__annotations__["status"]))
    assert sdk == set(_STATE.values())


# ======================================================================================
# videonb's replicate provider
# ======================================================================================
def _gen(emu, prompt="a red kite over the sea", **kw):
    return videonb.generate(prompt, provider="replicate", base_url=emu.base_url, **{**FAST, **kw})


def test_generate_reads_the_schema_then_creates(rep):
    v = _gen(rep, seconds=5, ratio="9:16")
    assert v.info.codec == "h264" and v.provenance["cost_usd"] is None
    steps = [(r.method, r.route) for r in rep.requests if r.kind != "download"]
    assert steps[:2] == [("GET", "models.get"), ("POST", "models.predictions.create")]
    (job,) = rep.scheduler.all()
    assert job.data["input"] == {"prompt": "a red kite over the sea", "duration": 5,
                                 "aspect_ratio": "9:16"}
    assert _gen(rep, seconds=5, ratio="9:16").provenance["cached"] is True
    assert rep.counts["jobs"] == 1


def test_a_stated_price_feeds_the_estimate_and_the_budget(rep, monkeypatch):
    monkeypatch.setattr(videonb.config, "budget_usd", 1.0)
    with pytest.raises(errors.BudgetExceededError, match="no price"):
        _gen(rep)
    assert len(rep.requests) == 0
    v = _gen(rep, seconds=10, price_per_second=0.07)
    assert v.provenance["cost_usd"] == pytest.approx(0.70)
    with pytest.raises(errors.BudgetExceededError):
        _gen(rep, "another", seconds=10, price_per_second=0.07)
    with pytest.raises(errors.InvalidOptionError, match="positive"):
        _gen(rep, price_per_second="free")


def test_any_model_by_owner_name_is_mapped_to_its_schema(rep):
    v = _gen(rep, model="wan-video/wan-2.2-t2v-fast", ratio="16:9")
    assert v.info.frame_count > 0
    assert rep.scheduler.all()[-1].data["input"] == {"prompt": "a red kite over the sea",
                                                     "aspect_ratio": "16:9"}
    with pytest.raises(errors.InvalidOptionError, match="no duration input"):
        _gen(rep, model="wan-video/wan-2.2-t2v-fast", seconds=5)
    with pytest.raises(errors.InvalidOptionError, match="takes 16:9, 9:16"):
        _gen(rep, model="wan-video/wan-2.2-t2v-fast", ratio="1:1")
    posts = rep.requests.filter(method="POST")
    assert len(posts) == 1                                   # refusals sent nothing paid
    with pytest.raises(errors.ProviderHTTPError, match="404"):
        _gen(rep, model="nobody/nothing")
    assert len(rep.requests.filter(method="POST")) == 1
    with pytest.raises(errors.InvalidOptionError, match="owner/name"):
        _gen(rep, model="not a model")


def test_a_pinned_version_goes_to_predictions(rep):
    version = rep.models[KLING].version(KLING)
    v = _gen(rep, model=f"{KLING}:{version}", seconds=5)
    assert v.info.frame_count > 0
    assert [r.path for r in rep.requests.filter(method="POST")] == ["/v1/predictions"]
    assert rep.requests.filter(method="GET", path=f"/versions/{version}")


def test_image_to_video_small_inline_large_through_files(rep, tmp_path):
    small = png_file(tmp_path)
    v = videonb.image_to_video(small, "push in", provider="replicate", base_url=rep.base_url,
                               seconds=5, **FAST)
    assert v.provenance["operation"] == "image_to_video"
    sent = rep.scheduler.all()[-1].data["input"]
    assert sent["start_image"].startswith("data:image/png;base64,")
    assert "aspect_ratio" not in sent and not rep.files
    large = png_file(tmp_path, pad=300 * 1024)                  # over the 256 KB data-URL size
    videonb.image_to_video(large, "push in", provider="replicate", model="minimax/hailuo-02",
                           base_url=rep.base_url, **FAST)
    (f,) = rep.files.values()
    sent = rep.scheduler.all()[-1].data["input"]
    assert sent["first_frame_image"] == f["urls"]["get"] and sent["duration"] == 6


@pytest.mark.parametrize("fault, error, code", [
    ("moderation", errors.ModerationError, "content_policy"),
    ("model_error", errors.JobFailedError, "model_error"),
])
def test_failed_predictions(rep, fault, error, code):
    rep.inject(fault)
    with pytest.raises(error, match=code):
        _gen(rep, f"fails: {fault}")
    assert rep.counts["jobs"] == 1 and videonb.jobs()[0].error_code == code


@pytest.mark.parametrize("fault", ["429", "503", "504", "reset"])
def test_transient_poll_faults_are_survived(rep, fault):
    rep.inject(fault, on="predictions.get", retry_after=0.05)
    assert _gen(rep, f"survive {fault}").info.frame_count > 0


def test_reset_during_create_is_not_resubmitted(rep):
    rep.inject("reset", on="submit")
    with pytest.raises(errors.ProviderHTTPError, match="dashboard"):
        _gen(rep, "ambiguous")
    assert videonb.jobs()[0].error_code == "lost_submit"
    assert len(rep.requests.filter(method="POST")) == 1


def test_prefer_wait_option(rep):
    _gen(rep, "held", prefer_wait=5)
    assert rep.requests.filter(method="POST")[0].headers["prefer"] == "wait=5"
    with pytest.raises(errors.InvalidOptionError, match="1 to 60"):
        _gen(rep, "x", prefer_wait=90)


def test_expired_output_is_refetched_then_reported(home, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    with ReplicateEmulator(expected_key=KEY, job_seconds=0.1, output_ttl=0.0) as emu:
        with pytest.raises(errors.OutputExpiredError):
            _gen(emu, "expires at once")
        assert videonb.jobs()[0].error_code == "OUTPUT_EXPIRED"


def test_cancel_a_running_prediction(rep):
    rep.job_seconds = 30.0

    async def start_then_cancel():
        placed = asyncio.Event()
        job = await videonb.generate_async(
            "long", provider="replicate", base_url=rep.base_url, wait=False, api_key=KEY,
            poll_interval=0.02, on_update=lambda rec: rec.remote_id and placed.set())
        await asyncio.wait_for(placed.wait(), 10)
        await job.cancel_async()
        return job

    job = asyncio.run(start_then_cancel())
    assert job.status == "cancelled"
    (cancel,) = rep.requests.filter(method="POST", path="/cancel")
    assert cancel.status == 200
    assert rep.scheduler.all()[0].cancelled


def test_timeout_then_resume(rep):
    rep.job_seconds = 0.6
    with pytest.raises(errors.JobTimeoutError, match="resume"):
        _gen(rep, "slow", timeout=0.1)
    (out,) = videonb.resume(api_key=KEY, base_url=rep.base_url, poll_interval=0.02)
    assert isinstance(out, videonb.Video) and rep.counts["jobs"] == 1


def test_token_goes_to_the_api_host_only(home, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    with CDN() as cdn, ReplicateEmulator(expected_key=KEY, job_seconds=0.1,
                                         output_base=cdn) as emu:
        cdn.origin = emu
        assert _gen(emu, "via replicate.delivery").info.frame_count > 0
        pulls = cdn.requests.filter(method="GET")
        assert pulls and all("authorization" not in r.headers for r in pulls)
        api = [r for r in emu.requests if r.kind != "download"]
        assert api and all(r.headers.get("authorization") == "REDACTED" for r in api)
