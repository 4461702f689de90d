"""VideoProcessor / process_video: streamed decode → process → H.264, checked against the pixels."""

from __future__ import annotations

import bisect
from fractions import Fraction

import av
import numpy as np
import pytest

import videonb
from videonb import errors
from videonb.media import sampling
from videonb.media.processor import VideoProcessor, process_video
from videonb.testing import clips


def decode_all(path) -> list[np.ndarray]:
    """Every frame of ``path`` as RGB, decoded by plain PyAV (no videonb code involved)."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


class Invert(VideoProcessor):
    """Inverts colours; records every hook call."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.times: list[float] = []
        self.shapes: set[tuple[int, ...]] = set()

    def setup(self, info):
        self.calls.append("setup")
        self.info = info
        self.times = []

    def process(self, frame, t):
        if not self.times:
            self.calls.append("first frame")
        self.times.append(t)
        self.shapes.add(frame.shape)
        return 255 - frame

    def finish(self):
        self.calls.append("finish")
        return {"frames": len(self.times), "last_t": self.times[-1]}


class Identity(VideoProcessor):
    def process(self, frame, t):
        return frame


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory):
    """4 s, 320×180 at 25 fps, frame ids stamped, known cuts (about 0.5 s to build)."""
    path = tmp_path_factory.mktemp("processor") / "small.mp4"
    truth = clips.make_cut_clip(path, seconds=4.0, fps=25, size=(320, 180), seed=5,
                                shot_seconds=(0.8, 1.4), dissolves=0, fades=0, gop_seconds=1.0,
                                stamp_ids=True)
    assert len(truth.cuts) >= 2
    return path, truth


# --- pixels, frame counts, playability --------------------------------------------------------
def test_invert_real_footage_pixels_frames_and_playability(samples):
    src = samples["bikes"]
    proc = Invert()
    out = proc.run(src)

    info = videonb.probe(out.path)
    assert info.codec == "h264" and info.pix_fmt == "yuv420p" and info.browser_playable
    assert info.frame_count == 250 and info.duration == pytest.approx(10.0, abs=1e-3)
    assert (info.width, info.height) == (640, 272)

    before, after = decode_all(src), decode_all(out.path)
    assert len(after) == len(before) == 250
    errors_inverted = [mean_abs(o, 255 - s) for o, s in zip(after, before)]
    errors_plain = [mean_abs(o, s) for o, s in zip(after, before)]
    # One H.264 generation at CRF 20 (measured: mean 1.9, worst frame 2.4 of 255) ...
    assert np.mean(errors_inverted) < 3.0 and max(errors_inverted) < 5.0
    # ... while the untouched source is nowhere near (measured: at least 85).
    assert min(errors_plain) > 40

    # Hooks: setup once before the first frame, finish once after the last.
    assert proc.calls == ["setup", "first frame", "finish"]
    assert proc.info.frame_count == 250
    assert proc.times == pytest.approx([k / 25 for k in range(250)], abs=1e-6)
    assert proc.shapes == {(272, 640, 3)}

    prov = out.provenance
    assert prov["provider"] == "local" and prov["model"] == "Invert"
    assert prov["processor"].endswith("Invert") and prov["cost_usd"] == 0.0
    assert prov["frames_processed"] == prov["frames_out"] == 250
    assert prov["summary"] == {"frames": 250, "last_t": pytest.approx(9.96)}
    assert prov["source"] == str(src)
    # Renders as an inline player that says where the video came from.
    html = out._repr_html_()
    assert "<video" in html and "data:video/mp4;base64," in html and "local/Invert" in html


def test_synthetic_clip_keeps_every_frame_in_order(small_clip, reference):
    path, truth = small_clip
    proc = Invert()
    out = Identity().run(path)
    inverted = proc.run(path)
    ref = reference(path)
    n = len(ref.times)
    assert n == 100
    # process() saw the presentation time of every frame, in order.
    assert proc.times == pytest.approx(ref.times, abs=1e-6)
    for video in (out, inverted):
        assert video.info.frame_count == n
        assert video.info.duration == pytest.approx(truth.duration, abs=1e-3)
    # The identity output carries each source frame at its own index (ids survive the re-encode).
    frames = decode_all(out.path)
    assert [clips.read_frame_id(img) for img in frames] == list(range(n))
    # The inverted output differs from the identity output by the inversion, not by the codec.
    assert np.mean([mean_abs(a, 255 - b) for a, b in zip(decode_all(inverted.path), frames)]) < 4.0


def test_state_across_frames_finds_the_known_cuts(small_clip):
    """A processor that keeps the previous frame: its largest jumps are exactly the cuts."""
    path, truth = small_clip

    class Jumps(VideoProcessor):
        def setup(self, info):
            self.prev, self.scores = None, []

        def process(self, frame, t):
            grey = frame[20:].mean(axis=2)          # below the frame-id strip
            if self.prev is not None:
                self.scores.append((float(np.abs(grey - self.prev).mean()), t))
            self.prev = grey
            return frame

        def finish(self):
            return sorted(self.scores, reverse=True)

    ranked = Jumps().run(path, max_side=160).provenance["summary"]
    top = sorted(t for _, t in ranked[:len(truth.cuts)])
    assert top == pytest.approx(truth.cuts, abs=1e-6)
    # ... and clearly above everything else.
    assert ranked[len(truth.cuts) - 1][0] > 2 * ranked[len(truth.cuts)][0]


def test_setup_runs_again_on_each_run(small_clip):
    path, _ = small_clip
    proc = Invert()
    a = proc.run(path, max_side=64)
    b = proc.run(path, max_side=64)
    assert proc.calls == ["setup", "first frame", "finish"] * 2
    assert a.provenance["summary"]["frames"] == b.provenance["summary"]["frames"] == 100


def test_max_side_and_a_consistent_new_size(samples):
    src = samples["bikes"]

    class Half(VideoProcessor):
        def setup(self, info):
            self.seen = set()

        def process(self, frame, t):
            self.seen.add(frame.shape)
            return np.ascontiguousarray(frame[::2, ::2])

    proc = Half()
    out = proc.run(src, max_side=320)
    assert proc.seen == {(136, 320, 3)}               # decoded small, aspect kept
    assert out.size == (160, 68) and out.info.frame_count == 250
    assert out.provenance["size"] == (160, 68)


def test_process_video_with_a_plain_function_and_a_path(samples, tmp_path):
    target = tmp_path / "out" / "flipped.mp4"

    def mirror(frame, t):
        return frame[:, ::-1]

    src = samples["carphone_pristine"]
    out = process_video(src, mirror, path=target)
    assert out.path == target and target.is_file()
    assert out.provenance["model"] == "mirror" and out.info.frame_count == 120
    before, after = decode_all(src), decode_all(target)
    assert np.mean([mean_abs(a, b[:, ::-1]) for a, b in zip(after, before)]) < 5.0
    assert process_video(src, lambda f, t: f, max_side=64).provenance["model"] == "lambda"


# --- frame rates ------------------------------------------------------------------------------
def test_other_fps_keeps_the_duration_and_processes_only_shown_frames(samples):
    proc = Invert()
    out = proc.run(samples["bikes"], fps=12.5, max_side=160)
    assert out.info.fps == Fraction(25, 2)
    assert out.info.frame_count == 125 and out.info.duration == pytest.approx(10.0, abs=1e-3)
    assert proc.times == pytest.approx([k / 12.5 for k in range(125)], abs=1e-6)

    faster = Invert().run(samples["bikes"], fps=50, max_side=160)
    assert faster.info.frame_count == 500 and faster.info.duration == pytest.approx(10.0, abs=1e-3)
    assert faster.provenance["frames_processed"] == 250     # each frame shown twice, processed once


def test_variable_frame_rate_source_is_retimed_by_presentation_time(tmp_path):
    truth = clips.make_vfr_clip(tmp_path / "vfr.mp4", seconds=2.0, size=(320, 240))
    assert videonb.probe(tmp_path / "vfr.mp4").is_vfr
    out = Identity().run(tmp_path / "vfr.mp4", fps=30)
    assert out.info.frame_count == 60 and out.info.duration == pytest.approx(2.0, abs=1e-3)
    starts = [pts for pts, _ in truth.frames]
    expected = [truth.frames[bisect.bisect_right(starts, k / 30 + 1e-6) - 1][1] for k in range(60)]
    got = [clips.read_frame_id(img) for img in decode_all(out.path)]
    assert got == expected
    assert len(set(got)) < len(got)                              # slow parts: frames repeated
    assert set(got) < {fid for _, fid in truth.frames}            # 60 fps part: frames skipped


# --- streaming -------------------------------------------------------------------------------
def test_frames_are_streamed_not_loaded_first(samples, monkeypatch):
    decoded = []
    real = sampling.iter_frames

    def counting(*args, **kwargs):
        for item in real(*args, **kwargs):
            decoded.append(item[0])
            yield item

    monkeypatch.setattr(sampling, "iter_frames", counting)

    class Watch(VideoProcessor):
        def setup(self, info):
            self.ahead = []

        def process(self, frame, t):
            self.ahead.append(len(decoded) - len(self.ahead))
            return frame

    proc = Watch()
    proc.run(samples["bikes"], max_side=64)
    assert len(proc.ahead) == 250 and set(proc.ahead) == {1}   # decoded exactly one frame ahead


# --- errors -----------------------------------------------------------------------------------
class Bad(VideoProcessor):
    """Behaves from ``after`` seconds on; before that returns ``value(frame)``."""

    def __init__(self, value, after: float = 0.0) -> None:
        self.value, self.after = value, after

    def process(self, frame, t):
        return self.value(frame) if t >= self.after - 1e-9 else frame


@pytest.mark.parametrize("value, error, words", [
    (lambda f: None, errors.InvalidOptionError, ["returned None", "return frame"]),
    (lambda f: f / 255.0, errors.InvalidOptionError, ["float64", "np.clip(out * 255, 0, 255)"]),
    (lambda f: f.astype(np.int32), errors.InvalidOptionError, ["int32", ".astype(np.uint8)"]),
    (lambda f: f.mean(axis=2).astype(np.uint8), errors.InvalidOptionError, ["2-D", "COLOR_GRAY2RGB"]),
    (lambda f: np.dstack([f, f[:, :, :1]]), errors.InvalidOptionError, ["4 channels", "out[:, :, :3]"]),
    (lambda f: f[None], errors.InvalidOptionError, ["(1, ", "ONE frame"]),
    (lambda f: "frame", errors.InvalidOptionError, ["returned str", "numpy array"]),
    (lambda f: np.ascontiguousarray(f[::2, ::2]), errors.InvalidDimensionsError,
     ["32×18 frame", "earlier frames were 64×36", "cv2.resize(out, (64, 36))"]),
])
def test_bad_frames_name_the_time_and_the_fix(small_clip, tmp_path, value, error, words):
    path, _ = small_clip
    target = tmp_path / "never.mp4"
    with pytest.raises(error) as info:
        Bad(value, after=1.0).run(path, max_side=64, path=target)
    message = str(info.value)
    assert "Bad.process() at t=1.000 s (frame 25)" in message
    for word in words:
        assert word in message
    assert isinstance(info.value, errors.VideonbError)
    assert list(tmp_path.iterdir()) == []                  # no half-written file left behind


def test_bad_frame_on_the_first_frame(small_clip):
    path, _ = small_clip
    with pytest.raises(errors.InvalidOptionError, match=r"t=0\.000 s \(frame 0\) returned None"):
        process_video(path, lambda f, t: None, max_side=64)


def test_interface_mistakes_fail_before_decoding(small_clip, monkeypatch):
    path, _ = small_clip

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded although the processor cannot be called")

    monkeypatch.setattr(sampling, "iter_frames", no_decoding)

    class NoProcess(VideoProcessor):
        pass

    class OneArgument(VideoProcessor):
        def process(self, frame):
            return frame

    with pytest.raises(errors.InvalidOptionError, match=r"NoProcess does not define process\(self, frame, t\)"):
        NoProcess().run(path)
    with pytest.raises(errors.InvalidOptionError, match=r"def process\(self, frame, t\):"):
        OneArgument().run(path)
    def invert(frame):
        return 255 - frame

    with pytest.raises(errors.InvalidOptionError, match=r"`def invert\(frame, t\):`"):
        process_video(path, invert)
    with pytest.raises(errors.InvalidOptionError, match=r"`lambda frame, t: \.\.\.`"):
        process_video(path, lambda frame: frame)
    with pytest.raises(errors.InvalidOptionError, match="not int"):
        process_video(path, 3)


@pytest.mark.parametrize("kwargs, words", [
    ({"fps": 0}, "fps=0"), ({"fps": "fast"}, "fps='fast'"), ({"max_side": 4}, "max_side=4"),
])
def test_bad_options(small_clip, kwargs, words):
    with pytest.raises(errors.InvalidOptionError, match=words):
        Identity().run(small_clip[0], **kwargs)
