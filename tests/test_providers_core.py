"""Provider core without any network: keys, validation, budget, ledger, loop thread, parsing."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

import videonb
from videonb import errors
from videonb.providers import keys
from videonb.providers.base import Request
from videonb.providers.jobs import Backoff
from videonb.providers.ledger import Ledger
from videonb.providers.registry import get_provider
from videonb.providers.structured import parse_analysis, parse_timestamp

SECRET = "placeholder-not-a-key-for-redaction-tests"




# --- keys ----------------------------------------------------------------------------------
def test_key_order_argument_env_dotenv(home, monkeypatch):
    (home / ".env").write_text('export RUNWAYML_API_SECRET="from-dotenv-123456"\n# comment\n')
    assert keys.find_key(["RUNWAYML_API_SECRET"]).source == ".env:RUNWAYML_API_SECRET"
    monkeypatch.setenv("RUNWAYML_API_SECRET", "from-env-1234567")
    assert keys.find_key(["RUNWAYML_API_SECRET"]).source == "env:RUNWAYML_API_SECRET"
    info = keys.find_key(["RUNWAYML_API_SECRET"], explicit="explicit-key-123456")
    assert info.source == "argument" and info.value == "explicit-key-123456"
    assert "explicit-key" not in repr(info) and "explicit-key" not in str(info)


def test_dotenv_is_reread_on_every_lookup(home):
    (home / ".env").write_text("OPENAI_API_KEY=first-value-111111\n")
    assert keys.find_key(["OPENAI_API_KEY"]).value == "first-value-111111"
    (home / ".env").write_text("OPENAI_API_KEY=second-value-222222\n")
    assert keys.find_key(["OPENAI_API_KEY"]).value == "second-value-222222"


def test_missing_key_names_every_fix(home):
    with pytest.raises(errors.MissingKeyError) as ei:
        keys.resolve_key("runway", ["RUNWAYML_API_SECRET"], prompt=False)
    msg = str(ei.value)
    assert "RUNWAYML_API_SECRET" in msg and ".env" in msg and "api_key=" in msg
    assert "provider='local'" in msg


def test_keys_are_redacted_from_errors_and_logs(home, caplog):
    keys.register_secret(SECRET)
    err = errors.ProviderHTTPError(f"failed with Authorization: Bearer {SECRET}", provider="x")
    assert SECRET not in str(err) and "[REDACTED]" in str(err)
    import logging

    with caplog.at_level(logging.INFO, logger="videonb"):
        logging.getLogger("videonb").info("key=%s", SECRET)
    assert SECRET not in caplog.text


def test_providers_table_never_shows_keys(home, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    table = videonb.providers()
    text = repr(table) + table._repr_html_()
    assert SECRET not in text
    assert "set (env:OPENAI_API_KEY)" in text
    local = [r for r in table if r.provider == "local"]
    assert local and local[0].key == "not needed" and local[0].available == "yes"


# --- validation before any network call ---------------------------------------------------------
@pytest.mark.parametrize("kwargs, fragment", [
    (dict(seconds=11), "2–10 s"),
    (dict(ratio="1920:1080"), "1280:720"),
    (dict(model="gen9"), "Models:"),
])
def test_runway_validation_names_allowed_values(home, kwargs, fragment):
    # Port 9 on loopback: if validation let the request through it would fail differently.
    with pytest.raises(errors.InvalidOptionError) as ei:
        videonb.generate("a boat", provider="runway", api_key=SECRET, base_url="http://127.0.0.1:9",
                         progress=False, **kwargs)
    assert fragment in str(ei.value)
    assert SECRET not in str(ei.value)


def test_prompt_too_long_is_refused(home):
    with pytest.raises(errors.InvalidOptionError, match="at most 1000"):
        videonb.generate("x" * 1001, provider="runway", api_key=SECRET,
                         base_url="http://127.0.0.1:9", progress=False)


def test_budget_refuses_before_submit(home, monkeypatch):
    monkeypatch.setattr(videonb.config, "budget_usd", 0.5)
    with pytest.raises(errors.BudgetExceededError, match=r"\$1\.20"):
        videonb.generate("a boat", provider="runway", model="gen4.5", seconds=10, api_key=SECRET,
                         base_url="http://127.0.0.1:9", progress=False)
    # nothing was recorded as submitted
    assert all(r.status != "submitted" for r in videonb.jobs())


def test_openai_videos_on_openai_itself_fail_fast(home):
    with pytest.raises(errors.ProviderRetiredError, match="2026-09-24"):
        videonb.generate("a boat", provider="openai", api_key=SECRET, progress=False)


def test_unknown_provider(home):
    with pytest.raises(errors.UnknownProviderError, match="Available"):
        get_provider("nope")


# --- ledger ----------------------------------------------------------------------------------
def test_ledger_lifecycle_and_cache(tmp_path):
    led = Ledger(tmp_path)
    req = Request("text_to_video", "runway", "gen4.5", prompt="p", seconds=5)
    rec = led.create(provider="runway", model="gen4.5", operation=req.operation,
                     request_json=req.to_json(), cache_key=req.cache_key(),
                     prompt_hash=req.prompt_hash, cost_estimate=0.6)
    assert led.in_flight(req.cache_key()) is None
    led.update(rec.id, status="running", remote_id="t1")
    assert led.in_flight(req.cache_key()).id == rec.id
    assert led.spent() == pytest.approx(0.6)
    out = tmp_path / "o.mp4"
    out.write_bytes(b"video-bytes")
    digest, stored = led.store_output(out)
    led.update(rec.id, status="succeeded", output_hash=digest, output_path=str(stored), cost=0.6)
    assert led.cached(req.cache_key()).id == rec.id
    assert stored.read_bytes() == b"video-bytes" and digest in stored.name
    # Same request with whitespace differences → same cache key
    same = Request("text_to_video", "runway", "gen4.5", prompt="  p ", seconds=5)
    assert same.cache_key() == req.cache_key()
    assert Request("text_to_video", "runway", "gen4.5", prompt="p", seconds=6).cache_key() != req.cache_key()


def test_ledger_never_stores_keys(tmp_path):
    keys.register_secret(SECRET)
    led = Ledger(tmp_path)
    rec = led.create(provider="x", model="m", operation="text_to_video",
                     request_json=json.dumps({"note": SECRET}), cache_key="k", prompt_hash=None,
                     cost_estimate=None)
    led.update(rec.id, status="failed", error_message=f"boom {SECRET}")
    assert SECRET.encode() not in (tmp_path / "ledger.sqlite3").read_bytes()
    for extra in tmp_path.glob("ledger.sqlite3*"):
        assert SECRET.encode() not in extra.read_bytes()


# --- jobs helpers ----------------------------------------------------------------------------
def test_backoff_grows_with_jitter_and_honours_hints():
    b = Backoff(minimum=1.0, maximum=8.0, rng=random.Random(1))
    delays = [b.next() for _ in range(8)]
    assert all(1.0 <= d <= 8.0 for d in delays)
    assert max(delays[4:]) > max(delays[:2])
    assert b.next(hint=20.0) == pytest.approx(20.0)


# --- sync API inside a running loop (as in a Jupyter kernel) ----------------------------------------
def test_sync_api_works_inside_running_event_loop(home, cut_clips):
    async def kernel_cell():
        # A running loop on this thread, like ipykernel's: the sync API must still work.
        return videonb.analyze(cut_clips[0].path, question="how many shots?")

    a = asyncio.run(kernel_cell())
    assert a.provider == "local" and "shots" in a.answer
    assert a.moments and a.video is not None


def test_async_twin(home, cut_clips):
    a = asyncio.run(videonb.analyze_async(cut_clips[0].path))
    assert a.summary and len(a.moments) >= len(cut_clips[0].truth.cuts)


def test_local_analysis_answers_only_from_measurements(home, cut_clips):
    clip = cut_clips[0]
    a = videonb.analyze(clip.path, question="Where are the cuts?")
    # The measured cuts (each within one frame of the truth), as the answer states them.
    cuts = [m.start for m in a.moments if m.kind == "cut"]
    assert len(cuts) == len(clip.truth.cuts)
    assert all(abs(c - t) <= 1 / 25 + 1e-6 for c, t in zip(cuts, clip.truth.cuts))
    for cut in cuts:
        assert f"{cut:.2f} s" in a.answer
    unknown = videonb.ask(clip.path, "What is the bunny thinking?")
    assert "cannot" in unknown
    html = a._repr_html_()
    assert "<video" in html and "vnb-mark" in html and "Answer" in html


# --- structured output parsing ---------------------------------------------------------------
@pytest.mark.parametrize("raw, want", [("01:23", 83.0), ("1:02:03.5", 3723.5), ("12.5", 12.5),
                                       (7, 7.0), ("4s", 4.0)])
def test_parse_timestamp(raw, want):
    assert parse_timestamp(raw) == pytest.approx(want)


def test_parse_analysis_fenced_and_clamped():
    # An end within a second of the video's end (MM:SS rounds up) is clamped to it.
    text = '```json\n{"summary": "A <b>boat</b>.", "moments": [{"start": "00:05", "end": "00:21", "label": "x"}], "answer": null}\n```'
    p = parse_analysis(text, duration=20.0)
    assert p.summary == "A <b>boat</b>." and p.moments[0].start == 5.0 and p.moments[0].end == 20.0
    # Far past the end is a wrong answer: sent back for repair naming the length, then dropped.
    far = text.replace('"00:21"', '"09:99"')
    with pytest.raises(errors.ModelOutputError, match="only 00:20 long"):
        parse_analysis(far, duration=20.0)
    assert parse_analysis(far, duration=20.0, final=True).moments == []


@pytest.mark.parametrize("text, reason", [("{not json", "not valid JSON"),
                                          ('{"summary": ""}', "summary"),
                                          ('{"summary": "s", "moments": [{"start": "ab"}]}', "timestamp")])
def test_parse_analysis_errors_are_precise(text, reason):
    with pytest.raises(errors.ModelOutputError, match=reason):
        parse_analysis(text, duration=10.0)
