"""Issue 12, part B: main's trust invariants hold for the ``google`` and ``luma`` providers
(one submit for identical concurrent requests, a budget that holds under concurrency, the
key redacted from error bodies that echo it, the key only to the configured host), and
``extend()`` works for every image-to-video model of every provider that has an emulator.

Jobs run on the emulators (google-genai and lumaai are the transports); nothing sleeps."""

from __future__ import annotations

import asyncio
import contextlib
import importlib

import pytest

import videonb
from loopback import Loopback, Reply
from videonb import errors
from videonb.providers import ledger as ledger_mod
from videonb.providers import registry
from videonb.testing.emulators import GoogleEmulator, LumaEmulator
from videonb.testing.emulators._media import synthetic_mp4

KEY = "placeholder-not-a-key-provb-0123456789"
FAST = dict(api_key=KEY, poll_interval=0.02, poll_max=0.1, progress=False)

#: provider → (emulator class, seconds of a cheap job, its price a second)
PROVIDERS = {"google": (GoogleEmulator, 8, 0.1014), "luma": (LumaEmulator, 5, 0.142)}


@pytest.fixture(params=sorted(PROVIDERS))
def emu(request, home):
    pytest.importorskip("lumaai" if request.param == "luma" else "google.genai")
    cls = PROVIDERS[request.param][0]
    with cls(expected_key=KEY, job_seconds=0.1) as e:
        e.name = request.param
        yield e


def _opts(emu, prompt, **kw):
    seconds = PROVIDERS[emu.name][1]
    return dict(prompt=prompt, provider=emu.name, seconds=seconds,
                **{**FAST, **emu.provider_options(), "api_key": KEY, **kw})


def _submits(emu):
    return [r for r in emu.requests.filter(kind="submit") if 200 <= r.status < 300]


def test_identical_concurrent_requests_are_one_submit(emu):
    async def three():
        return await asyncio.gather(*(videonb.generate_async(**_opts(emu, "the same kite"))
                                      for _ in range(3)))

    videos = asyncio.run(three())
    assert len({v.path for v in videos}) == 1 and len(_submits(emu)) == 1
    a = videonb.generate(**_opts(emu, "another kite", wait=False))
    b = videonb.generate(**_opts(emu, "another kite", wait=False))
    assert a.id == b.id and a.result(timeout=20).path == b.result(timeout=20).path
    assert len(_submits(emu)) == 2


def test_the_budget_holds_under_concurrency(emu, monkeypatch):
    seconds, price = PROVIDERS[emu.name][1:]
    one = seconds * price
    monkeypatch.setattr(videonb.config, "budget_usd", one * 1.5)  # room for one job, not two

    async def four():
        return await asyncio.gather(*(videonb.generate_async(**_opts(emu, f"kite {i}"))
                                      for i in range(4)), return_exceptions=True)

    results = asyncio.run(four())
    ok = [r for r in results if isinstance(r, videonb.Video)]
    refused = [r for r in results if isinstance(r, errors.BudgetExceededError)]
    assert len(ok) == 1 and len(refused) == 3, results
    assert len(_submits(emu)) == 1
    # What the budget guard counted (emulated jobs count only against other emulated ones).
    assert ledger_mod.ledger().spent(emulated=True) == pytest.approx(one)


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_error_bodies_echoing_the_key_are_redacted(name, home):
    """A server that answers the create with a 400 quoting the credential it received."""
    pytest.importorskip("lumaai" if name == "luma" else "google.genai")

    def echo(seen):
        sent = seen.headers.get("x-goog-api-key") or seen.headers.get("authorization", "")
        body = '{"error": {"code": 400, "message": "' + "x" * 270 + f" you sent {sent}" + \
            '", "status": "INVALID_ARGUMENT"}, "detail": "bad key ' + sent + '"}'
        return Reply(400, body.encode(), {"Content-Type": "application/json"})

    with Loopback(echo) as srv:
        with pytest.raises(errors.VideonbError) as info:
            videonb.generate("a kite", provider=name, base_url=srv.url, seconds=5 if name ==
                             "luma" else 8, **FAST)
        assert len([s for s in srv.seen if s.method == "POST"]) == 1  # never retried
    text = str(info.value) + repr(info.value) + repr(videonb.jobs())
    for i in range(len(KEY) - 7):
        assert KEY[i:i + 8] not in text, (KEY[i:i + 8], text)


def test_google_sends_the_key_to_its_api_host_only(home, tmp_path):
    """An Omni video ``uri`` on another host (a signed URL) is fetched without the key; one
    on the configured host carries it."""
    pytest.importorskip("google.genai")
    from videonb.providers.registry import get_provider

    mp4 = synthetic_mp4(seconds=1.0)
    with Loopback(lambda seen: Reply(200, mp4, {"Content-Type": "video/mp4"})) as other, \
            Loopback(lambda seen: Reply(200, mp4, {"Content-Type": "video/mp4"})) as api:
        prov = get_provider("google", api_key=KEY, base_url=api.url)
        runtime = importlib.import_module("videonb.providers.runtime")
        runtime.run_sync(prov.download(other.url + "/files/abc:download?alt=media",
                                       tmp_path / "a.mp4"))
        runtime.run_sync(prov.download(api.url + "/v1/files/abc:download?alt=media",
                                       tmp_path / "b.mp4"))
    (foreign,) = other.seen
    assert "x-goog-api-key" not in foreign.headers and KEY not in repr(foreign.headers)
    (home_,) = api.seen
    assert home_.headers.get("x-goog-api-key") == KEY


def test_a_server_cannot_mark_its_own_url_as_an_inline_read_back(home, tmp_path):
    """Red team: an Omni ``uri`` on another host ending in ``#inline`` (videonb's own marker
    for reading an inline video back from the API host, which sends the key) got the key."""
    pytest.importorskip("google.genai")
    from videonb.providers.base import Request
    from videonb.providers.registry import get_provider

    runtime = importlib.import_module("videonb.providers.runtime")
    with Loopback(lambda seen: Reply(200, b'{"output_video": {"data": "AAAA"}}',
                                     {"Content-Type": "application/json"})) as other:
        class Crafty(GoogleEmulator):
            def _interaction_json(self, iid, job):
                out = super()._interaction_json(iid, job)
                for step in out.get("steps", []):
                    for item in step.get("content", []):
                        if item.get("type") == "video":
                            item.pop("data", None)
                            item["uri"] = other.url + "/steal#inline"
                return out

        with Crafty() as emu:
            prov = get_provider("google", api_key=KEY, base_url=emu.base_url)
            rid = runtime.run_sync(prov.submit(Request(
                provider="google", operation="text_to_video", prompt="a boat",
                model="gemini-omni-1.1-flash", seconds=5)))
            emu.clock.advance(60)
            res = runtime.run_sync(prov.poll(rid))
            assert res.output_url == other.url + "/steal"          # the fragment is dropped
            with contextlib.suppress(errors.VideonbError):
                runtime.run_sync(prov.download(res.output_url, tmp_path / "o.mp4"))
            with pytest.raises(errors.DownloadError, match="not the configured API host"):
                runtime.run_sync(prov.download(other.url + "/steal#inline", tmp_path / "p.mp4"))
    assert all("x-goog-api-key" not in s.headers and KEY not in repr(s.headers)
               for s in other.seen)


# ======================================================================================
# extend() for every image-to-video model
# ======================================================================================
def _i2v_models():
    out = []
    for name in sorted(registry.emulated_providers()):
        prov = registry.get_provider(name)
        for mid, spec in prov.models.items():
            if prov.retired(spec) or not ({"image_to_video", "extend"} & set(spec.operations)):
                continue
            out.append((name, mid))
    return out


#: Options a model needs besides the emulator's (Veo runs in google-genai's Vertex mode).
_MODE = {("google", "veo-3.1-generate-001"): {"vertexai": True},
         ("google", "veo-3.1-fast-generate-001"): {"vertexai": True}}


@pytest.fixture(scope="module")
def source_clip(tmp_path_factory):
    import numpy as np

    from videonb.media.encode import encode_video

    # 640x360: Kling refuses an image under 300 px on a side (its last frame is the image).
    frames = [np.full((360, 640, 3), (8 * k, 40, 200 - 8 * k), np.uint8) for k in range(24)]
    return encode_video(frames, tmp_path_factory.mktemp("src") / "src.mp4", fps=12)


def test_every_image_to_video_model_is_listed():
    models = _i2v_models()
    # The table this test walks: every emulated provider's live i2v/extend models.
    assert {("google", "gemini-omni-1.1-flash"), ("google", "veo-3.1-generate-001"),
            ("luma", "ray-2"), ("runway", "gen4_turbo")} <= set(models)


@pytest.mark.parametrize("name, model", _i2v_models())
def test_extend_works_for_every_image_to_video_model(name, model, home, source_clip):
    target = registry.emulated_providers()[name]
    mod, cls = target.split(":")
    emulator = getattr(importlib.import_module(mod), cls)
    prov = registry.get_provider(name)
    spec = prov.model(model)
    seconds = min(spec.durations) if spec.durations else None
    src = videonb.Video(source_clip)
    with emulator(expected_key=KEY, job_seconds=0.05) as emu:
        opts = {**FAST, "api_key": KEY, **emu.provider_options(), **_MODE.get((name, model), {})}
        out = videonb.extend(src, "and it goes on", provider=name, model=model,
                             seconds=seconds, **opts)
        submits = [r for r in emu.requests.filter(kind="submit") if 200 <= r.status < 300]
    assert len(submits) == 1
    assert out.provenance["operation"] == "extend" and out.provenance["model"] == model
    native = prov.extends_natively(spec, src)
    assert out.provenance["method"].startswith("native" if native else "last frame"), \
        out.provenance["method"]
    if native:  # the provider's own continuation of the video it was sent
        (create,) = submits
        assert create.body_size > src.path.stat().st_size  # the video itself went
        return
    # The last-frame way: the join keeps the source's frame size and rate, source first.
    assert (out.info.width, out.info.height) == (src.info.width, src.info.height)
    assert out.info.fps == pytest.approx(src.info.fps)
    assert out.duration > src.duration


def test_panel_menus_offer_google_and_luma_without_retired_models(home):
    pytest.importorskip("ipywidgets")
    from videonb.notebook.widgets.panels import _generation_targets

    menus = _generation_targets()
    assert menus["google"][0] == "gemini-omni-1.1-flash"
    assert "veo-3.1-generate-001" in menus["google"]
    assert menus["luma"] == ["ray-2", "ray-flash-2"]
    shown = {(p, m) for p, models in menus.items() for m in models}
    assert not {("google", "veo-3.1-generate-preview"), ("luma", "ray-1-6"),
                ("runway", "gen3a_turbo")} & shown
    # Sora is OpenAI's shutdown, not a gateway's: with a gateway configured it is offered.
    assert "openai" not in menus
    gateway = _generation_targets(
        provider_options={"openai": {"base_url": "http://127.0.0.1:9/v1"}})
    assert gateway["openai"] == ["sora-2", "sora-2-pro"]
    with pytest.raises(errors.ProviderRetiredError, match="gen4_turbo"):
        videonb.GeneratePanel(provider="runway", model="gen3a_turbo")
    panel = videonb.GeneratePanel(provider="luma")
    assert list(panel.model.options) == ["ray-2", "ray-flash-2"]
