"""Kling: the emulator driven over raw HTTP with tokens made by PyJWT (Kling has no SDK), and
videonb's kling provider against it (ledger, budget, cache, faults, cancel, resume).

Nothing sleeps: jobs move on the emulator's simulated clock, or finish in a fraction of a
second of real time while the provider polls.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.error
import urllib.request

import pytest

import videonb
from videonb import errors
from videonb.testing.emulators import KlingEmulator, _media, loopback_only
from videonb.testing.emulators.kling import TEST_KEYS as KLING_TEST_KEYS

jwt = pytest.importorskip("jwt")  # PyJWT, from the test extra

AK, SK = next(iter(KLING_TEST_KEYS.items()))   # the pair KlingEmulator accepts
FAST = dict(api_key=f"{AK}:{SK}", poll_interval=0.02, progress=False)
ENV = ("KLING_ACCESS_KEY", "KLING_SECRET_KEY", "KLING_BASE_URL", "KLING_REGION")


@pytest.fixture()
def kling(home, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    with KlingEmulator(job_seconds=0.15) as emu, loopback_only() as conns:
        yield emu
        assert {port for _, port in conns} <= {emu.port_number}
        assert emu.server_errors == []


def token(now: float, *, ak: str = AK, sk: str = SK, ttl: int = 1800, nbf: int = 5) -> str:
    """A token made exactly as Kling's own Python sample makes it (PyJWT)."""
    return jwt.encode({"iss": ak, "exp": int(now) + ttl, "nbf": int(now) - nbf}, sk,
                      algorithm="HS256", headers={"alg": "HS256", "typ": "JWT"})


def call(emu, method: str, path: str, body=None, auth: str | None = "token"):
    """(status, JSON answer) of a raw request to the emulator."""
    headers = {"Content-Type": "application/json"}
    if auth == "token":
        headers["Authorization"] = f"Bearer {token(emu.clock.now())}"
    elif auth is not None:
        headers["Authorization"] = auth
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(emu.base_url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def png_b64(w: int = 640, h: int = 360) -> str:
    return base64.b64encode(_media.solid_png(w, h)).decode()


# ======================================================================================
# The emulator over raw HTTP (the wire format of Kling's API reference)
# ======================================================================================
def test_raw_text2video_task_lifecycle(kling):
    from test_emulators_sdk import fetch, probe

    kling.job_seconds = 10.0  # states move only with kling.clock.advance()
    status, ans = call(kling, "POST", "/v1/videos/text2video", {
        "model_name": "kling-v3", "prompt": "a red kite", "mode": "std", "duration": "5",
        "aspect_ratio": "16:9", "sound": "off", "external_task_id": "my-kite-1"})
    assert status == 200 and ans["code"] == 0 and ans["message"] == "SUCCEED"
    assert set(ans) == {"code", "message", "request_id", "data"}
    data = ans["data"]
    assert data["task_status"] == "submitted" and data["task_id"].isdigit()
    assert data["task_info"] == {"external_task_id": "my-kite-1"}
    assert data["created_at"] > 10**12  # milliseconds
    task = data["task_id"]
    assert call(kling, "GET", f"/v1/videos/text2video/{task}")[1]["data"]["task_status"] \
        == "submitted"
    kling.clock.advance(2.5)  # past the queued fifth of the job
    _, ans = call(kling, "GET", f"/v1/videos/text2video/{task}")
    assert ans["data"]["task_status"] == "processing"
    kling.clock.advance(10)
    _, ans = call(kling, "GET", f"/v1/videos/text2video/{task}")
    assert ans["data"]["task_status"] == "succeed"
    (video,) = ans["data"]["task_result"]["videos"]
    assert video["duration"] == "5" and probe(fetch(video["url"]))[0] == "h264"
    # the same task by its external id, and not on the other endpoint
    assert call(kling, "GET", "/v1/videos/text2video/my-kite-1")[1]["data"]["task_id"] == task
    status, ans = call(kling, "GET", f"/v1/videos/image2video/{task}")
    assert status == 404 and ans["code"] == 1203
    # the list, newest first
    _, ans = call(kling, "GET", "/v1/videos/text2video?pageNum=1&pageSize=10")
    assert [t["task_id"] for t in ans["data"]] == [task]
    # 0.6 units/s for 5 s at std without sound [Kling pricing]
    assert kling.units == pytest.approx(1000 - 3.0)


@pytest.mark.parametrize("make, code", [
    (lambda now: None, 1001),
    (lambda now: "Bearer not-a-jwt", 1002),
    (lambda now: "Bearer " + token(now, sk="wrong-secret-0123456789abcdef012345"), 1002),
    (lambda now: "Bearer " + token(now, ak="someone-else"), 1002),
    (lambda now: "Bearer " + token(now, nbf=-60), 1003),          # nbf a minute ahead
    (lambda now: "Bearer " + token(now - 3600), 1004),            # exp an hour ago
    (lambda now: "Bearer " + jwt.encode({"iss": AK, "exp": int(now) + 60}, SK * 2,
                                        algorithm="HS512"), 1002),
])
def test_raw_token_refusals_carry_kling_codes(kling, make, code):
    status, ans = call(kling, "GET", "/v1/videos/text2video/1", auth=make(kling.clock.now()))
    assert (status, ans["code"]) == (401, code) and ans["request_id"]
    assert kling.counts["unauthorized"] == 1


def test_raw_token_expires_on_the_emulator_clock(kling):
    auth = "Bearer " + token(kling.clock.now())
    assert call(kling, "GET", "/v1/videos/text2video?pageNum=1", auth=auth)[0] == 200
    kling.clock.advance(1801)
    status, ans = call(kling, "GET", "/v1/videos/text2video?pageNum=1", auth=auth)
    assert (status, ans["code"]) == (401, 1004)


@pytest.mark.parametrize("body, words", [
    ({"model_name": "kling-v3", "prompt": "x", "duration": 5}, "string"),
    ({"model_name": "kling-v3", "prompt": "x", "duration": "20"}, "duration"),
    ({"model_name": "kling-v9", "prompt": "x"}, "model_name"),
    ({"model_name": "kling-v1-5", "prompt": "x"}, "model_name"),           # image to video only
    ({"model_name": "kling-v1", "prompt": "x", "sound": "on"}, "sound"),
    ({"model_name": "kling-v3", "prompt": "x" * 2501}, "2500"),
    ({"model_name": "kling-v3", "prompt": "x", "aspect_ratio": "4:3"}, "aspect_ratio"),
    ({"model_name": "kling-v3", "prompt": "x", "mode": "ultra"}, "mode"),
    ({"model_name": "kling-v3", "prompt": " "}, "prompt"),
])
def test_raw_text2video_validation(kling, body, words):
    status, ans = call(kling, "POST", "/v1/videos/text2video", body)
    assert (status, ans["code"]) == (400, 1201) and words in ans["message"]
    assert kling.counts["jobs"] == 0 and kling.units == 1000


@pytest.mark.parametrize("image, words", [
    ("data:image/png;base64," + png_b64(), "prefix"),
    (png_b64(200, 200), "300px"),
    (png_b64(1200, 300), "aspect ratio"),
    (base64.b64encode(b"GIF89a" + b"\0" * 20).decode(), ".png"),
    ("!!not base64!!", "Base64"),
])
def test_raw_image2video_image_rules(kling, image, words):
    status, ans = call(kling, "POST", "/v1/videos/image2video",
                       {"model_name": "kling-v3", "image": image, "prompt": "push in"})
    assert (status, ans["code"]) == (400, 1201) and words in ans["message"]


def test_raw_image2video_accepts_bare_base64_and_urls(kling):
    for image in (png_b64(), "https://example.com/still.jpg"):
        status, ans = call(kling, "POST", "/v1/videos/image2video",
                           {"model_name": "kling-v2-1", "image": image, "mode": "pro"})
        assert status == 200 and ans["data"]["task_status"] == "submitted"
    assert kling.creates[0]["image"].startswith("<base64: ")


def test_raw_account_refusals(home):
    with KlingEmulator(job_seconds=5, units=4, concurrency=1) as emu:
        body = {"model_name": "kling-v3", "prompt": "a", "duration": "5"}
        assert call(emu, "POST", "/v1/videos/text2video", body)[0] == 200   # 3 of 4 units
        status, ans = call(emu, "POST", "/v1/videos/text2video", body)
        assert (status, ans["code"], ans["message"]) == (
            429, 1303, "parallel task over resource pack limit")
        emu.clock.advance(6)                                                 # the first ended
        status, ans = call(emu, "POST", "/v1/videos/text2video", body)
        assert (status, ans["code"]) == (429, 1102)                         # 1 unit left
        emu.inject("1301")
        status, ans = call(emu, "POST", "/v1/videos/text2video", dict(body, duration="3"))
        assert (status, ans["code"]) == (400, 1301)
        assert emu.counts["jobs"] == 1


def test_raw_failed_task_is_free(kling):
    kling.inject("moderation")
    _, ans = call(kling, "POST", "/v1/videos/text2video",
                  {"model_name": "kling-v3", "prompt": "refused", "duration": "10"})
    kling.clock.advance(1)
    _, ans = call(kling, "GET", f"/v1/videos/text2video/{ans['data']['task_id']}")
    assert ans["data"]["task_status"] == "failed"
    assert "risk control" in ans["data"]["task_status_msg"]
    assert kling.units == 1000


@pytest.mark.parametrize("fault, code", [("429", 1302), ("500", 5000), ("503", 5001),
                                         ("504", 5002), ("401", 1000)])
def test_raw_http_faults_use_kling_envelope(kling, fault, code):
    kling.inject(fault)
    status, ans = call(kling, "GET", "/v1/videos/text2video?pageNum=1")
    assert status == int(fault) and ans["code"] == code and "request_id" in ans


# ======================================================================================
# videonb's kling provider
# ======================================================================================
def _gen(emu, prompt="a red kite over the sea", **kw):
    return videonb.generate(prompt, provider="kling", base_url=emu.base_url, **{**FAST, **kw})


def test_generate_sends_kling_body_and_records_cost(kling):
    v = _gen(kling, seconds=5)
    assert v.info.codec == "h264" and v.info.frame_count > 0
    prov = v.provenance
    assert prov["model"] == "kling-v3/std" and prov["cost_usd"] == pytest.approx(0.42)
    assert prov["remote_id"].startswith("text2video:")
    (body,) = kling.creates
    assert body == {"model_name": "kling-v3", "prompt": "a red kite over the sea",
                    "mode": "std", "duration": "5", "sound": "off", "aspect_ratio": "16:9"}
    paths = [(r.method, r.path) for r in kling.requests if r.kind != "download"]
    assert paths[0] == ("POST", "/v1/videos/text2video")
    assert all(p == ("GET", f"/v1/videos/text2video/{prov['remote_id'].split(':')[1]}")
               for p in paths[1:])
    again = _gen(kling, seconds=5)
    assert again.provenance["cached"] is True and kling.counts["jobs"] == 1


def test_model_ids_choose_mode_and_sound(kling):
    v = _gen(kling, model="kling-v3/pro+audio", seconds=4, ratio="9:16")
    assert v.provenance["cost_usd"] == pytest.approx(4 * 0.168)
    assert kling.creates[-1] == {"model_name": "kling-v3", "prompt": "a red kite over the "
                                      "sea", "mode": "pro", "duration": "4", "sound": "on",
                                      "aspect_ratio": "9:16"}
    _gen(kling, model="kling-v2-5-turbo/pro", seconds=10)
    assert "sound" not in kling.creates[-1] and kling.creates[-1]["duration"] == "10"
    with pytest.raises(errors.InvalidOptionError, match="whole seconds"):
        _gen(kling, seconds=4.5)
    with pytest.raises(errors.InvalidOptionError, match="allowed: 5, 10"):
        _gen(kling, model="kling-v2-6/pro", seconds=7)
    assert kling.counts["submit"] == 2


def test_provider_token_is_a_valid_kling_jwt(kling):
    from videonb.providers.registry import get_provider

    prov = get_provider("kling", api_key=f"{AK}:{SK}", base_url=kling.base_url)
    tok = str(prov.token())
    assert jwt.get_unverified_header(tok) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(tok, SK, algorithms=["HS256"])
    assert set(claims) == {"iss", "exp", "nbf"} and claims["iss"] == AK
    assert claims["exp"] - claims["nbf"] == 1805 and claims["nbf"] <= time.time()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tok, "another-secret-0123456789abcdef0123", algorithms=["HS256"])
    assert prov.token() == tok  # reused while it has more than five minutes left


def test_token_is_made_anew_before_it_expires(kling):
    """With the emulator's clock as its own, the provider renews its token five minutes before
    the end: 25 minutes on it uses a new one, and no request is ever refused."""
    opts = dict(clock=kling.clock.now)
    _gen(kling, "first", **opts)
    kling.clock.advance(25 * 60 + 1)
    _gen(kling, "second", **opts)
    kling.clock.advance(29 * 60)
    _gen(kling, "third", **opts)
    assert len({(t["exp"], t["nbf"]) for t in kling.tokens}) == 3
    assert all(r.status == 200 for r in kling.requests)


def test_image_to_video_sends_bare_base64(kling, tmp_path):
    still = tmp_path / "still.png"
    still.write_bytes(_media.solid_png(640, 360))
    v = videonb.image_to_video(still, "slow push in", provider="kling", base_url=kling.base_url,
                               seconds=5, **FAST)
    assert v.provenance["remote_id"].startswith("image2video:")
    body = kling.creates[-1]
    assert body["image"].startswith("<base64: ") and "aspect_ratio" not in body
    assert kling.requests.filter(method="GET", path="/v1/videos/image2video/")


@pytest.mark.parametrize("size, words", [((200, 200), "300 px"), ((1300, 300), "1:2.5")])
def test_bad_images_are_refused_before_anything_is_sent(kling, tmp_path, size, words):
    still = tmp_path / "small.png"
    still.write_bytes(_media.solid_png(*size))
    with pytest.raises(errors.InvalidOptionError, match=words):
        videonb.image_to_video(still, "x", provider="kling", base_url=kling.base_url, **FAST)
    assert len(kling.requests) == 0


def test_keys_from_the_environment_and_a_missing_secret(kling, monkeypatch):
    monkeypatch.setenv("KLING_ACCESS_KEY", AK)
    with pytest.raises(errors.MissingKeyError, match="KLING_SECRET_KEY"):
        videonb.generate("x", provider="kling", base_url=kling.base_url, progress=False)
    assert len(kling.requests) == 0
    monkeypatch.setenv("KLING_SECRET_KEY", SK)
    monkeypatch.setenv("KLING_BASE_URL", kling.base_url)
    v = videonb.generate("from the environment", provider="kling", poll_interval=0.02,
                         progress=False)
    assert v.info.frame_count > 0


def test_wrong_secret_is_an_authentication_error_without_the_key(kling):
    with pytest.raises(errors.AuthenticationError) as info:
        _gen(kling, api_key=f"{AK}:wrong-secret-123456")
    assert info.value.detail_code == "1002" and "Authorization is invalid" in str(info.value)
    assert "wrong-secret-123456" not in str(info.value)


def test_regions(kling):
    from videonb.providers.registry import get_provider

    assert get_provider("kling").url == "https://api-singapore.klingai.com"
    assert get_provider("kling", region="beijing").url == "https://api-beijing.klingai.com"
    with pytest.raises(errors.InvalidOptionError, match="global, beijing"):
        get_provider("kling", region="mars").url  # noqa: B018


def test_concurrency_refusal_is_waited_out_and_billed_once(kling, monkeypatch):
    kling.inject("1303")                     # the next create is refused, nothing created
    import videonb.providers.kling as kmod

    real_sleep = asyncio.sleep

    async def no_wait(seconds):              # the provider's back-off, not the test's
        await real_sleep(0)

    monkeypatch.setattr(kmod.asyncio, "sleep", no_wait)
    v = _gen(kling, "after a 1303")
    assert v.info.frame_count > 0
    creates = kling.requests.filter(method="POST")
    assert [r.status for r in creates] == [429, 200] and kling.counts["jobs"] == 1


def test_empty_resource_pack_fails_at_once_naming_it(home):
    with KlingEmulator(units=1) as emu:
        with pytest.raises(errors.RateLimitError, match="resource pack"):
            _gen(emu, seconds=5)
        assert len(emu.requests.filter(method="POST")) == 1   # not retried
        assert videonb.jobs()[0].status == "failed"


def test_content_security_refusal_and_moderated_task(kling):
    kling.inject("1301")
    with pytest.raises(errors.ModerationError, match="1301"):
        _gen(kling, "refused at the door")
    kling.inject("moderation")
    with pytest.raises(errors.ModerationError, match="risk control"):
        _gen(kling, "refused later")
    assert kling.counts["jobs"] == 1 and kling.units == 1000   # failed tasks are free


@pytest.mark.parametrize("fault", ["429", "500", "503", "reset"])
def test_transient_poll_faults_are_survived(kling, fault):
    kling.inject(fault, match="GET /v1/videos/", retry_after=0.05)
    assert _gen(kling, f"survive {fault}").info.frame_count > 0
    assert kling.counts["jobs"] == 1


def test_reset_during_submit_is_not_resubmitted(kling):
    kling.inject("reset", match="POST /v1/videos/text2video")
    with pytest.raises(errors.ProviderHTTPError, match="dashboard"):
        _gen(kling, "ambiguous")
    assert videonb.jobs()[0].error_code == "lost_submit"
    assert len(kling.requests.filter(method="POST")) == 1


def test_unpriced_models_are_refused_under_a_budget(kling, monkeypatch):
    monkeypatch.setattr(videonb.config, "budget_usd", 5.0)
    with pytest.raises(errors.BudgetExceededError, match="no price"):
        _gen(kling, model="kling-v2-6/pro")
    assert len(kling.requests) == 0
    assert _gen(kling, seconds=5).provenance["cost_usd"] == pytest.approx(0.42)


def test_cancel_stops_the_wait_and_the_billed_task_stays_resumable(kling):
    """Kling cannot cancel a task: cancelling stops the wait, the row stays unfinished, and
    resume() downloads what Kling finished (and billed)."""
    kling.job_seconds = 30.0

    async def start_then_cancel():
        placed = asyncio.Event()
        job = await videonb.generate_async(
            "a long one", provider="kling", base_url=kling.base_url, seconds=5, wait=False,
            api_key=f"{AK}:{SK}", poll_interval=0.02,
            on_update=lambda rec: rec.remote_id and placed.set())
        await asyncio.wait_for(placed.wait(), 10)
        await job.cancel_async()
        return job

    job = asyncio.run(start_then_cancel())
    rec = videonb.jobs()[0]
    assert rec.id == job.id and rec.status in ("submitted", "queued", "running")
    assert rec.remote_id and not rec.terminal
    kling.clock.advance(60)
    (video,) = videonb.resume(job.id, api_key=f"{AK}:{SK}", base_url=kling.base_url,
                              poll_interval=0.02)
    assert isinstance(video, videonb.Video) and video.provenance["cost_usd"] == pytest.approx(0.42)
    assert kling.counts["jobs"] == 1 and not kling.requests.filter(method="DELETE")


def test_timeout_then_resume(kling):
    """A wait that runs out leaves the task at Kling (billed when it finishes): resume()
    downloads it, with no second create."""
    kling.job_seconds = 30.0
    with pytest.raises(errors.JobTimeoutError, match="resume"):
        _gen(kling, "slow", seconds=5, timeout=0.1)
    assert not videonb.jobs()[0].terminal
    kling.clock.advance(60)
    (out,) = videonb.resume(api_key=f"{AK}:{SK}", base_url=kling.base_url, poll_interval=0.02)
    assert isinstance(out, videonb.Video) and out.provenance["cost_usd"] == pytest.approx(0.42)
    assert kling.counts["jobs"] == 1 and len(kling.requests.filter(method="POST")) == 1


def test_no_secret_reaches_outputs_ledger_or_reprs(kling):
    from videonb.providers import keys

    keys.register_secret(SK)
    v = _gen(kling, "scan for leaks")
    from videonb.providers.registry import get_provider

    tok = str(get_provider("kling", api_key=f"{AK}:{SK}", base_url=kling.base_url).token())
    texts = [v._repr_html_(), repr(v), repr(videonb.jobs()), repr(videonb.providers())]
    for text in texts:
        assert SK not in text and tok not in text
    import os
    from pathlib import Path

    files = [p for p in Path(os.environ["VIDEONB_HOME"]).rglob("*") if p.is_file()]
    assert files  # the ledger and the stored output
    for p in files:
        data = p.read_bytes()
        assert SK.encode() not in data and tok.encode() not in data


def test_generate_panel_lists_the_new_providers(home):
    from videonb.notebook.widgets.panels import _generation_targets

    targets = _generation_targets()
    assert targets["kling"][0] == "kling-v3/std" and "kling-v3/pro+audio" in targets["kling"]
    assert targets["fal"][0] == "fal-ai/kling-video/v2.6/pro" and "fal-ai/pika/v2.2" in targets["fal"]
    assert targets["replicate"][0] == "kwaivgi/kling-v2.5-turbo-pro"
    rows = {(r.provider, r.model.split(" ")[0]): r for r in videonb.providers()}
    assert rows[("kling", "kling-v3/std")].price == "$0.084/s"
    assert rows[("fal", "fal-ai/ltx-2/fast")].price == "$0.040/s"


@pytest.mark.parametrize("name, env, priced", [
    ("kling", "KLING_ACCESS_KEY", True), ("fal", "FAL_KEY", True),
    ("replicate", "REPLICATE_API_TOKEN", False)])
def test_generate_panel_menus_for_the_new_providers(home, monkeypatch, name, env, priced):
    """The GeneratePanel's provider menu offers each one, its model menu is the provider's
    table, Generate waits for the key the panel names, and the estimate is the table's price
    (Replicate: no price until one is stated)."""
    from videonb.providers.registry import get_provider

    for var in ENV + ("FAL_KEY", "REPLICATE_API_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    cls = type(get_provider(name))
    panel = videonb.GeneratePanel("a paper boat")
    assert name in panel.provider.options
    panel.provider.value = name
    assert list(panel.model.options)[0] == cls.default_model
    assert set(panel.model.options) <= set(cls.models)
    assert panel.generate_button.disabled and env in panel.message.value
    monkeypatch.setenv(env, "ak-test" if name == "kling" else "k-0123456789")
    if name == "kling":
        monkeypatch.setenv("KLING_SECRET_KEY", SK)
    panel.model.value = cls.default_model          # re-validate with the key set
    panel.prompt.value = "a paper boat on a pond"
    assert not panel.generate_button.disabled, panel.message.value
    assert ("$" in panel.estimate.value) is priced, panel.estimate.value
