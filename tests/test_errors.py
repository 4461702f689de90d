"""Every bad input a user can hand videonb gives the right error class, quickly, with a fix."""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path

import pytest

import videonb
from videonb import errors
from videonb.media.encode import browser_preview

#: Generous wall-clock bound per case: catches hangs (a decoder spinning on garbage).
MAX_SECONDS = 10.0

# name -> (error class, builtin base it must also be, phrase telling the user what to do)
BAD_CASES = {
    "missing": (errors.VideoNotFoundError, FileNotFoundError, r"check the path"),
    "directory": (errors.NotAFileError, IsADirectoryError, r"pass the path of a file"),
    "empty": (errors.EmptyVideoError, ValueError, r"make the file again"),
    "random": (errors.NotAVideoError, ValueError, r"pass an mp4"),
    "text": (errors.NotAVideoError, ValueError, r"pass an mp4"),
    "truncated": (errors.CorruptVideoError, ValueError, r"download or export it again"),
    "image": (errors.NotAVideoError, ValueError, r"pass a video file"),
    "image_jpg": (errors.NotAVideoError, ValueError, r"pass a video file"),
    "audio_only": (errors.NoVideoStreamError, ValueError, r"pass a file with a picture"),
    "no_streams": (errors.NoVideoStreamError, ValueError, r"pass a video file"),
    "zero_frames": (errors.EmptyVideoError, ValueError, r"make it again"),
    "huge_dims": (errors.InvalidDimensionsError, ValueError, r"re-export"),
}

def _bad_path(name: str, bad_inputs: dict[str, Path], tmp_path: Path) -> Path:
    if name == "missing":
        return tmp_path / "no-such-video.mp4"
    if name == "directory":
        return tmp_path
    return bad_inputs[name]


def _entry_points():
    return {
        "probe": lambda p: videonb.probe(p),
        "Video": lambda p: videonb.Video(p),
        "Video-str": lambda p: videonb.Video(str(p)),
        "sample_frames": lambda p: videonb.sample_frames(p, n=3),
        "iter_frames": lambda p: next(iter(videonb.iter_frames(p))),
        "detect": lambda p: videonb.detect(p),
    }


@pytest.mark.parametrize("entry", list(_entry_points()))
@pytest.mark.parametrize("name", list(BAD_CASES))
def test_bad_input_raises_clear_error(name, entry, bad_inputs, tmp_path):
    expected, builtin, phrase = BAD_CASES[name]
    path = _bad_path(name, bad_inputs, tmp_path)
    call = _entry_points()[entry]
    t0 = time.monotonic()
    with pytest.raises(expected) as info:
        call(path)
    elapsed = time.monotonic() - t0
    assert elapsed < MAX_SECONDS, f"{name}: {elapsed:.1f} s"
    exc = info.value
    assert type(exc) is expected, f"{type(exc).__name__}: {exc}"
    assert isinstance(exc, videonb.VideonbError) and isinstance(exc, Exception)
    assert isinstance(exc, builtin)
    message = str(exc)
    assert re.search(phrase, message, re.IGNORECASE), message
    # The message names the file the user passed (not an internal temp file).
    assert Path(path).name in message
    # Raised on purpose: no FFmpeg traceback chained into what the user sees.
    assert exc.__cause__ is None


def test_error_hierarchy():
    names = [n for n in errors.__all__ if n != "VideonbError"]
    assert len(names) >= 11
    for name in names:
        cls = getattr(errors, name)
        assert issubclass(cls, videonb.VideonbError), name
        assert issubclass(cls, Exception)
        assert isinstance(cls.code, str) and cls.code != videonb.VideonbError.code
    assert len({getattr(errors, n).code for n in names}) == len(names)
    assert videonb.VideonbError is errors.VideonbError
    assert issubclass(videonb.VideonbError, Exception)
    assert not issubclass(videonb.VideonbError, (ValueError, OSError))


def test_huge_dims_message_mentions_the_limit(bad_inputs):
    with pytest.raises(errors.InvalidDimensionsError) as info:
        videonb.probe(bad_inputs["huge_dims"])
    from videonb.media.probe import MAX_DIMENSION

    assert str(MAX_DIMENSION) in str(info.value)


def test_functions_named_in_messages_exist(bad_inputs, tmp_path):
    """A message that says "use videonb.xyz()" must name something that exists.

    (The image errors used to recommend ``videonb.image_to_video()``, which does not exist.)
    """
    messages = []
    for name in BAD_CASES:
        try:
            videonb.probe(_bad_path(name, bad_inputs, tmp_path))
        except videonb.VideonbError as exc:
            messages.append(str(exc))
    assert len(messages) == len(BAD_CASES)
    for message in messages:
        for attr in re.findall(r"videonb\.([A-Za-z_][\w.]*)\(", message):
            obj = videonb
            for part in attr.split("."):
                obj = getattr(obj, part, None)
            assert callable(obj), f"{message!r} names videonb.{attr}(), which does not exist"


# --------------------------------------------------------------------------------------
# Damaged but partly readable files
# --------------------------------------------------------------------------------------
def test_corrupt_middle_sampling_warns_and_returns_frames(bad_inputs):
    path = bad_inputs["corrupt_middle"]
    info = videonb.probe(path)
    assert info.frame_count == 75
    t0 = time.monotonic()
    with pytest.warns(UserWarning, match=r"corrupt_middle\.mp4.*skipped"):
        frames = videonb.sample_frames(path, n=6)
    assert time.monotonic() - t0 < MAX_SECONDS
    assert len(frames) == 6
    assert frames.warnings and "skipped" in frames.warnings[0]
    for img, t, req in zip(frames.images, frames.times, frames.requested):
        assert img.shape == (240, 320, 3)
        assert t <= req + 1e-9
    # Frames 30-37 (1.2 s-1.48 s) cannot be decoded: nothing is claimed to be from there.
    assert not any(1.2 - 1e-6 <= t < 1.52 - 1e-6 for t in frames.times)


def test_corrupt_middle_iter_frames_warns_and_skips_bad_frames(bad_inputs):
    path = bad_inputs["corrupt_middle"]
    t0 = time.monotonic()
    with pytest.warns(UserWarning, match="skipped"):
        got = list(videonb.iter_frames(path))
    assert time.monotonic() - t0 < MAX_SECONDS
    times = [t for t, _ in got]
    assert 0 < len(got) < 75
    assert times == sorted(times) and len(set(times)) == len(times)
    assert times[0] == 0.0 and times[-1] == pytest.approx(2.96)


def test_corrupt_middle_detect_warns_and_completes(bad_inputs):
    path = bad_inputs["corrupt_middle"]
    t0 = time.monotonic()
    with pytest.warns(UserWarning, match=r"corrupt_middle\.mp4.*undecodable"):
        m = videonb.detect(path)
    assert time.monotonic() - t0 < MAX_SECONDS
    assert m.stats["decode_errors"] == 8
    assert 0 < m.stats["frames_decoded"] < 75
    assert m.shots[0].start == 0.0 and m.shots[-1].end == pytest.approx(3.0)


def test_truncated_faststart_is_reported(bad_inputs):
    """A faststart MP4 cut to 60 %: the index promises 3 s, the data stops at ~1.3 s.

    Asking for later frames must not silently return the last decodable one (it did)."""
    path = bad_inputs["truncated_faststart"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frames = videonb.sample_frames(path, n=6)
        except errors.CorruptVideoError as exc:
            assert "again" in str(exc)
            return
    messages = [str(w.message) for w in caught]
    assert any("truncated_faststart.mp4" in m for m in messages), (frames.times, messages)
    assert any(re.search(r"truncated|damaged|again", m) for m in messages), messages
    assert frames.warnings and all(w in messages for w in frames.warnings)


def test_truncated_faststart_does_not_hang(bad_inputs):
    path = bad_inputs["truncated_faststart"]
    t0 = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            frames = videonb.sample_frames(path, n=6)
            got = list(videonb.iter_frames(path))
        except errors.CorruptVideoError:
            return
    assert time.monotonic() - t0 < MAX_SECONDS
    # What is returned is real: every time is the pts of a frame that exists.
    existing = {t for t, _ in got}
    assert set(frames.times) <= existing
    assert all(t <= r + 1e-9 for t, r in zip(frames.times, frames.requested))


# --------------------------------------------------------------------------------------
# Decodable but not browser-playable codecs
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, codec", [("mpeg4", "mpeg4"), ("hevc", "hevc")])
def test_non_browser_codec_gets_h264_preview(bad_inputs, name, codec):
    src = bad_inputs[name]
    info = videonb.probe(src)
    assert info.codec == codec and info.browser_playable is False
    t0 = time.monotonic()
    prev = browser_preview(src)
    assert time.monotonic() - t0 < MAX_SECONDS
    assert prev.kind == "transcode" and prev.mime == "video/mp4"
    assert prev.path != info.path
    out = videonb.probe(prev.path)
    assert out.codec == "h264" and out.pix_fmt == "yuv420p"
    assert out.width % 2 == 0 and out.height % 2 == 0
    assert (out.width, out.height) == (prev.width, prev.height) == (320, 240)
    assert out.browser_playable is True
    assert out.frame_count == info.frame_count
    assert out.duration == pytest.approx(info.duration, abs=0.05)
    assert prev.truncated is False
    assert prev.size_bytes == prev.path.stat().st_size


# --------------------------------------------------------------------------------------
# Invalid options
# --------------------------------------------------------------------------------------
INVALID_SAMPLING = {
    "none": {},
    "n+times": {"n": 3, "times": [0.5]},
    "n+every": {"n": 3, "every": 1.0},
    "all-three": {"n": 3, "times": [0.5], "every": 1.0},
    "n=0": {"n": 0},
    "n<0": {"n": -2},
    "n-float": {"n": 2.5},
    "n-huge": {"n": 10_001},
    "every<0": {"every": -1.0},
    "every=0": {"every": 0},
    "every-nan": {"every": float("nan")},
    "every-inf": {"every": float("inf")},
    "times-empty": {"times": []},
    "times-negative": {"times": [-0.5]},
    "times-after-end": {"times": [0.5, 11.0]},
    "times-nan": {"times": [float("nan")]},
    "mode-bogus": {"n": 3, "mode": "bogus"},
    "start>=end": {"n": 3, "start": 5.0, "end": 4.0},
}


@pytest.mark.parametrize("kwargs", list(INVALID_SAMPLING.values()), ids=list(INVALID_SAMPLING))
def test_invalid_sampling_options(samples, kwargs):
    with pytest.raises(errors.InvalidOptionError) as info:
        videonb.sample_frames(samples["bikes"], **kwargs)
    assert isinstance(info.value, ValueError)
    assert len(str(info.value)) > 20


def test_invalid_options_elsewhere(samples, tmp_path):
    from videonb.display import html
    from videonb.media.encode import encode_video
    from videonb.media.moments import CutDetector

    bikes = samples["bikes"]
    v = videonb.Video(bikes)
    cases = [
        lambda: v.frames(n=2, mode="bogus"),
        lambda: videonb.Video(12345),
        lambda: videonb.sample_frames(12345, n=2),
        lambda: videonb.detect(bikes, CutDetector(min_shot="soon")),
        lambda: browser_preview(bikes, max_bytes=1000),
        lambda: html.player_html(bikes, embed="yes"),
        lambda: html.frame_grid_html([], titles=["a"]),
        lambda: html.timeline_html([], duration=0),
        lambda: encode_video([], tmp_path / "none.mp4"),
        lambda: encode_video([b"not an image"], tmp_path / "x.mp4", fps=0),
        lambda: encode_video([[[1, 2]]], tmp_path / "x.mp4", codec="prores"),
    ]
    for i, case in enumerate(cases):
        with pytest.raises(errors.InvalidOptionError):
            case()
    # The message of a sampling error lists what is allowed.
    with pytest.raises(errors.InvalidOptionError, match="'exact' or 'fast'"):
        v.frames(n=2, mode="bogus")


def test_failed_encode_leaves_no_temp_file(tmp_path):
    """(It used to leave a 0-byte '.tmp-XXXX.mp4' next to the target.)"""
    from videonb.media.encode import encode_video

    with pytest.raises(errors.InvalidOptionError):
        encode_video([], tmp_path / "none.mp4")
    assert list(tmp_path.iterdir()) == []


def test_empty_bytes_and_unreadable_bytes():
    with pytest.raises(errors.EmptyVideoError):
        videonb.Video(b"")
    # Bytes are probed at construction, like paths: the error comes where the mistake is made.
    with pytest.raises(errors.NotAVideoError):
        videonb.Video(b"definitely not a video " * 100)
