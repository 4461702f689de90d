"""Issue 12, understanding: video straight to servers that take it (vLLM's ``video_url``),
timestamps stated beside and burned into every frame, model moments snapped to detected
shot boundaries (flagged when none is near), MM:SS answers checked against the length."""

from __future__ import annotations


import numpy as np
import pytest

import videonb
from videonb import errors
from videonb.media.grounding import boundaries, ground, stamp_time
from videonb.providers.structured import parse_analysis
from videonb.testing import clips
from videonb.testing.emulators import GeminiEmulator, OpenAIEmulator, VLLMEmulator, citing
from videonb.types import KeyMoment, Shot

KEY = "placeholder-not-a-key-emu7q9zx"  # no word at its ends: redact hides 8-char ends


def test_stamp_time_burns_the_time_into_a_copy():
    img = np.full((180, 320, 3), 128, np.uint8)
    out = stamp_time(img, 83.25)
    assert img.max() == 128 and out.shape == img.shape  # the original is untouched
    assert out[:30, :120].max() > 240 and out[:30, :120].min() < 64  # white text, dark box
    assert np.array_equal(out[100:, 200:], img[100:, 200:])


def test_ground_snaps_within_the_tolerance_and_flags_the_rest():
    shots = [Shot(0, 0.0, 3.04), Shot(1, 3.04, 7.48), Shot(2, 7.48, 10.0)]
    marks = boundaries(shots, [KeyMoment(5.0, 6.0, "dissolve")])
    assert marks == [3.04, 5.0, 6.0, 7.48]
    moments = [KeyMoment(3.0, 3.0, "event", 1.0, "cut"), KeyMoment(8.0, 9.0, "event", 1.0,
                                                                   "dog jumps"),
               KeyMoment(12.0, 12.0, "event", 1.0, "past the end")]
    out, record = ground(moments, marks, duration=10.0, tolerance=1.0)
    assert out[0].start == 3.04 and not record[0].flagged and record[0].distance == 0.04
    assert out[1].start == 7.48 and record[1].distance == pytest.approx(0.52)
    assert record[2].flagged and out[2].start == 10.0 and record[2].raw_start == 12.0
    _, strict = ground(moments[:2], marks, duration=10.0, tolerance=0.1)
    assert [g.flagged for g in strict] == [False, True]


def test_answers_past_the_end_are_repaired_then_dropped():
    late = '{"summary": "s", "moments": [{"start": "00:05", "end": "00:07", "label": "ok"}, ' \
           '{"start": "01:40", "end": "01:45", "label": "made up"}]}'
    with pytest.raises(errors.ModelOutputError, match="00:20 long"):
        parse_analysis(late, 20.0)
    kept = parse_analysis(late, 20.0, final=True)
    assert [m.label for m in kept.moments] == ["ok"]
    rounded = '{"summary": "s", "moments": [{"start": "00:19", "end": "00:21", "label": "end"}]}'
    assert parse_analysis(rounded, 20.3).moments[0].end == pytest.approx(20.3)


@pytest.fixture()
def bikes():
    return clips.sample_path("bikes")


def test_frames_carry_their_time_beside_and_inside(home, bikes):
    seen = {}

    def responder(body):
        seen["body"] = body
        return citing.openai_frames_responder(body)

    with OpenAIEmulator(responder=responder) as emu:
        a = videonb.analyze(bikes, provider="openai", frames=8, **emu.provider_options())
    parts = seen["body"]["messages"][0]["content"]
    texts = [p["text"] for p in parts if p["type"] == "text"][1:]
    images = [p for p in parts if p["type"] == "image_url"]
    assert len(texts) == len(images) == a.raw["frames_sent"] and "burned into" in parts[0]["text"]
    assert all(t.startswith("Frame at 00:") and " s):" in t for t in texts)
    first = citing._decode_jpeg(images[0]["image_url"]["url"])
    assert first[:20, :80].max() > 230  # the stamp is in the picture the model gets
    assert a.grounding and all(not g.flagged for g in a.grounding)
    assert all(min(abs(m.start - c) for c in clips.BIKES_CUTS_S) < 0.05 for m in a.moments)
    assert "snapped to detected shot boundaries" in a._repr_html_()


def test_vllm_gets_the_video_itself_and_others_get_frames(home, bikes):
    with VLLMEmulator() as emu:
        a = videonb.analyze(bikes, provider="openai", **emu.provider_options())
        assert a.raw["video_sent"] and emu.chat_requests == [{"videos": 1, "images": 0}]
        assert emu.requests.filter(route="models.list")
        frames = videonb.analyze(bikes, provider="openai", video_input="frames",
                                 **emu.provider_options())
        assert not frames.raw["video_sent"] and emu.chat_requests[-1]["videos"] == 0
    with VLLMEmulator(video=False) as emu:  # vLLM, but the model takes no video: frames
        a = videonb.analyze(bikes, provider="openai", **emu.provider_options())
        assert not a.raw["video_sent"]
        chats = emu.requests.filter(route="chat.completions.create")
        assert [r.status for r in chats] == [400, 200] and emu.chat_requests[-1]["images"] > 0
        with pytest.raises(errors.ProviderHTTPError):
            videonb.analyze(bikes, provider="openai", video_input="video",
                            **emu.provider_options())
    with OpenAIEmulator() as emu:  # not vLLM: frames, no video ever
        a = videonb.analyze(bikes, provider="openai", **emu.provider_options())
        assert not a.raw["video_sent"]
    with pytest.raises(errors.InvalidOptionError, match="video_input"):
        videonb.analyze(bikes, provider="openai", video_input="maybe", api_key=KEY,
                        base_url="http://127.0.0.1:9/v1")


def test_gemini_moments_are_grounded(home, bikes):
    with GeminiEmulator(responder=citing.gemini_video_responder) as emu:
        a = videonb.analyze(bikes, provider="gemini", **emu.provider_options())
    prompt = emu.generate_requests[-1]
    assert a.grounding and a.shots
    assert all(g.distance is not None and g.distance <= 1.0 for g in a.grounding)
    assert {round(m.start, 2) for m in a.moments} <= {round(b, 2) for b in
                                                     boundaries(a.shots)}
    assert prompt


def test_the_drifting_model_misreads_times_within_its_bound_and_by_seed():
    def fixed(body):
        return {"summary": "A 20.0-second video with 3 scene changes.", "answer": None,
                "moments": [{"start": "00:05", "end": "00:05", "label": "x"},
                            {"start": "00:10", "end": "00:10", "label": "y"},
                            {"start": "00:19", "end": "00:19", "label": "z"}]}

    def times(answer):
        return [int(m["start"][:2]) * 60 + int(m["start"][3:]) for m in answer["moments"]]

    a = [times(citing.drifting(fixed, 1.5, seed=3)({})) for _ in range(2)]
    assert a[0] == a[1]  # the same seed, the same misreadings
    runs = [times(citing.drifting(fixed, 1.5, seed=s)({})) for s in range(20)]
    for got in runs:  # within the drift (MM:SS rounds down one more second), inside the video
        assert all(-2.5 <= g - t <= 1.5 and 0 <= g <= 20 for g, t in zip(got, (5, 10, 19)))
    assert len({tuple(r) for r in runs}) > 1
