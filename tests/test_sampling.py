"""Frame sampling by time: exact mode returns the frame on screen, pixel for pixel.

The truth is an independent full decode with plain PyAV (``conftest.decode_reference``)
and, on synthetic clips, the frame id stamped into every frame.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import cv2
import numpy as np
import pytest

import videonb
from videonb.testing import clips

from conftest import digest

SAMPLES = list(clips.SAMPLE_NAMES)


def _clip(case, samples, cut_clips, vfr_clip):
    kind, key = case
    if kind == "sample":
        return samples[key]
    if kind == "cut":
        return cut_clips[key].path
    return vfr_clip.path


CLIP_CASES = ([pytest.param(("sample", n), id=n) for n in SAMPLES]
              + [pytest.param(("cut", 0), id="cut-gop2s"), pytest.param(("vfr", 0), id="vfr")])


def _boundary_times(ref, duration, stride=5, eps=1e-4):
    """0, and around every ``stride``-th frame boundary: exactly on, just before, just after."""
    out = [0.0]
    for t in ref.times[1::stride]:
        out += [t, t - eps, t + eps]
    out.append(duration)
    return [min(max(0.0, t), duration) for t in out]


def _assert_exact(frames, ref):
    assert frames.mode == "exact"
    assert len(frames) == len(frames.requested) == len(frames.times)
    for req, t, img in zip(frames.requested, frames.times, frames.images):
        k = ref.index_at(req)
        assert t == pytest.approx(ref.times[k], abs=1e-9), (req, t, ref.times[k])
        assert t <= req + 1e-9
        # Nothing newer was on screen yet: the next frame starts after the request.
        if k + 1 < len(ref.times):
            assert ref.times[k + 1] > req
        assert img.dtype == np.uint8 and img.shape == ref.shapes[k]
        assert digest(img) == ref.digests[k], f"pixels differ at t={req} (frame {k})"


@pytest.mark.parametrize("case", CLIP_CASES)
def test_exact_n(case, samples, cut_clips, vfr_clip, reference):
    path = _clip(case, samples, cut_clips, vfr_clip)
    ref = reference(path)
    frames = videonb.sample_frames(path, n=7)
    duration = videonb.probe(path).duration
    # n frames at the centres of n equal slices of the video.
    assert frames.requested == pytest.approx([(i + 0.5) * duration / 7 for i in range(7)])
    _assert_exact(frames, ref)


@pytest.mark.parametrize("case", CLIP_CASES)
def test_exact_every(case, samples, cut_clips, vfr_clip, reference):
    path = _clip(case, samples, cut_clips, vfr_clip)
    ref = reference(path)
    duration = videonb.probe(path).duration
    frames = videonb.sample_frames(path, every=0.5)
    assert frames.requested[0] == 0.0
    assert len(frames) == math.ceil(duration / 0.5 - 1e-9)
    assert np.diff(frames.requested) == pytest.approx(0.5)
    _assert_exact(frames, ref)


@pytest.mark.parametrize("case", CLIP_CASES)
def test_exact_times_at_frame_boundaries(case, samples, cut_clips, vfr_clip, reference):
    path = _clip(case, samples, cut_clips, vfr_clip)
    ref = reference(path)
    duration = videonb.probe(path).duration
    times = _boundary_times(ref, duration)
    frames = videonb.sample_frames(path, times=times)
    assert frames.requested == times
    _assert_exact(frames, ref)
    assert frames.times[0] == 0.0
    assert frames.times[-1] == ref.times[-1]  # t == duration: the last frame


@pytest.mark.parametrize("case", CLIP_CASES)
def test_exact_unsorted_and_repeated_times(case, samples, cut_clips, vfr_clip, reference):
    path = _clip(case, samples, cut_clips, vfr_clip)
    ref = reference(path)
    duration = videonb.probe(path).duration
    rng = random.Random(7)
    times = [rng.uniform(0, duration) for _ in range(12)]
    times += [times[3], 0.0, times[0]]
    rng.shuffle(times)
    frames = videonb.sample_frames(path, times=times)
    assert frames.requested == times  # results in the order asked
    _assert_exact(frames, ref)


@pytest.mark.parametrize("idx", [0, 1, 2], ids=["gop2s", "gop1s", "gop1.5s"])
def test_exact_frame_ids_across_gops(cut_clips, idx):
    """Targets spread over many GOPs, out of order: the stamped id is the frame shown at t."""
    clip = cut_clips[idx]
    truth = clip.truth
    fps = truth.fps
    n_frames = truth.meta["frame_count"]
    rng = random.Random(idx)
    # Far apart (seeks), close together (decode forward), backwards (seek back), on and
    # just off frame boundaries, right after and before keyframes.
    times = [0.0, 19.96, 0.04, 7.5, 7.52, 3.0, 2.999, 3.001, 15.0, 14.9, 10.02, 1.96]
    gop = truth.keyframe_interval_s
    times += [k * gop + d for k in range(1, int(truth.duration / gop)) for d in (-0.01, 0.0, 0.01)]
    times += [rng.uniform(0, truth.duration) for _ in range(15)]
    frames = videonb.sample_frames(clip.path, times=times)
    assert len(frames) == len(times)
    for t, shown_t, img in zip(times, frames.times, frames.images):
        expected = min(n_frames - 1, int(math.floor(t * fps + 1e-6)))
        assert clips.read_frame_id(img) == expected, t
        assert shown_t == pytest.approx(truth.time_of_frame(expected), abs=1e-9)


def test_exact_frame_ids_at_ntsc_rate(ntsc_clip):
    """30000/1001 fps: float seconds never land exactly on frame boundaries."""
    truth = ntsc_clip.truth
    fps = Fraction(30000, 1001)
    n_frames = truth.meta["frame_count"]
    info = videonb.probe(ntsc_clip.path)
    assert info.fps == fps and info.frame_count == n_frames
    assert list(info.keyframe_times[:3]) == pytest.approx([0.0, 1.001, 2.002])
    starts = [float(k / fps) for k in range(0, n_frames, 5)]
    times = starts + [t - 1e-5 for t in starts[1:]] + [t + 1e-5 for t in starts]
    random.Random(5).shuffle(times)
    frames = videonb.sample_frames(ntsc_clip.path, times=times)
    for t, shown_t, img in zip(times, frames.times, frames.images):
        expected = min(n_frames - 1, math.floor(t * fps + Fraction(1, 10**6)))
        assert clips.read_frame_id(img) == expected, t
        assert shown_t == pytest.approx(float(expected / fps), abs=1e-9)
    every = videonb.sample_frames(ntsc_clip.path, every=float(3 / fps))
    assert len(every) == n_frames // 3
    assert [clips.read_frame_id(img) for img in every.images] == list(range(0, n_frames, 3))


def test_exact_frame_ids_on_vfr(vfr_clip):
    truth = vfr_clip.truth
    starts = [s for s, _ in truth.frames]
    # Every frame start, just before it, and the middle of each frame.
    times = []
    for a, b in zip(starts, starts[1:] + [truth.duration]):
        times += [a, max(0.0, a - 1e-4), (a + b) / 2]
    frames = videonb.sample_frames(vfr_clip.path, times=times)
    assert len(frames) == len(times)
    for t, shown_t, img in zip(times, frames.times, frames.images):
        pts, fid = max((f for f in truth.frames if f[0] <= t + 1e-9), key=lambda f: f[0])
        assert clips.read_frame_id(img) == fid, t
        assert shown_t == pytest.approx(pts, abs=1e-6)
    # Frame index / average fps is not the time on this clip: the sampler did not use it.
    naive = [min(len(starts) - 1, int(t * truth.fps)) for t in times]
    assert [clips.read_frame_id(i) for i in frames.images] != naive


# --------------------------------------------------------------------------------------
# Fast mode
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", [
    pytest.param(("sample", "bikes"), id="bikes"),
    pytest.param(("sample", "bigbuckbunny"), id="bigbuckbunny"),
    pytest.param(("cut", 1), id="cut-gop1s"),
    pytest.param(("cut", 2), id="cut-gop1.5s"),
    # Regression: on the VFR clip (B-frames, DTS index) the seek used to land on the previous
    # keyframe and fast mode returned it.
    pytest.param(("vfr", 0), id="vfr"),
])
def test_fast_mode_returns_latest_keyframe(case, samples, cut_clips, vfr_clip, reference):
    path = _clip(case, samples, cut_clips, vfr_clip)
    info = videonb.probe(path)
    ref = reference(path)
    times = [i * info.duration / 23 for i in range(23)] + [2.65, 2.7, info.duration]
    times = [t for t in times if t <= info.duration]
    frames = videonb.sample_frames(path, times=times, mode="fast")
    assert frames.mode == "fast"
    assert len(frames) == len(times)
    for req, t, img in zip(frames.requested, frames.times, frames.images):
        assert t <= req + 1e-9
        assert any(abs(t - k) < 1e-6 for k in info.keyframe_times), (req, t)
        # The latest real keyframe at or before the request (packet flags, not videonb's index).
        assert t == pytest.approx(max(k for k in ref.keyframes if k <= req + 1e-9), abs=1e-6)
        k = ref.index_at(t)
        assert digest(img) == ref.digests[k]


def test_fast_mode_returns_keyframe_pixels_on_vfr(vfr_clip, reference):
    """Whatever keyframe fast mode picks on the VFR clip, it is a real keyframe's picture."""
    ref = reference(vfr_clip.path)
    frames = videonb.sample_frames(vfr_clip.path, n=9, mode="fast")
    for req, t, img in zip(frames.requested, frames.times, frames.images):
        assert t <= req + 1e-9
        assert any(abs(t - k) < 1e-6 for k in ref.keyframes)
        assert digest(img) == ref.digests[ref.index_at(t)]


def test_fast_mode_on_single_gop_clip_is_first_frame(samples, reference):
    path = samples["bigbuckbunny"]
    frames = videonb.sample_frames(path, n=5, mode="fast")
    assert frames.times == [0.0] * 5
    assert frames.requested != frames.times


# --------------------------------------------------------------------------------------
# Rotation, resizing, SAR
# --------------------------------------------------------------------------------------
def _red_corners(img, size):
    h, w = img.shape[:2]
    m = max(2, size // 2)
    regions = {"top-left": img[:m, :m], "top-right": img[:m, w - m:],
               "bottom-left": img[h - m:, :m], "bottom-right": img[h - m:, w - m:]}
    return sorted(k for k, r in regions.items()
                  if r[..., 0].mean() > 190 and r[..., 1].mean() < 70 and r[..., 2].mean() < 70)


def _cv2_frame(path):
    cap = cv2.VideoCapture(str(path))
    try:
        assert cap.get(cv2.CAP_PROP_ORIENTATION_AUTO) != 0  # applies rotation by default
        ok, bgr = cap.read()
        assert ok
        return bgr[:, :, ::-1]
    finally:
        cap.release()


@pytest.mark.parametrize("degrees", [-90, 90, 180])
def test_rotation_matches_opencv(rotated_clips, degrees):
    clip = rotated_clips[degrees]
    info = videonb.probe(clip["path"])
    reference = _cv2_frame(clip["path"])
    want = _red_corners(reference, clip["marker_size"])
    assert want == [clip["marker_corner_displayed"]]
    w, h = clip["display_size"]
    exact = videonb.sample_frames(clip["path"], times=[0.0, 0.5])
    fast = videonb.sample_frames(clip["path"], times=[0.5], mode="fast")
    first = next(iter(videonb.iter_frames(clip["path"])))[1]
    for img in [*exact.images, *fast.images, first]:
        assert img.shape == (h, w, 3) == (info.height, info.width, 3)
        assert reference.shape == img.shape
        assert _red_corners(img, clip["marker_size"]) == want
    # The same picture as OpenCV's (both decode the same stream; allow colour-conversion noise).
    diff = np.abs(exact.images[0].astype(int) - reference.astype(int)).mean()
    assert diff < 4.0
    # Resized: display orientation and aspect kept.
    small = videonb.sample_frames(clip["path"], times=[0.5], max_side=160).images[0]
    assert max(small.shape[:2]) == 160
    assert small.shape[1] / small.shape[0] == pytest.approx(w / h, rel=0.03)
    assert _red_corners(small, clip["marker_size"] * 160 // max(w, h)) == want


@pytest.mark.parametrize("name, max_side", [
    ("bikes", 200), ("bigbuckbunny", 333), ("bikes", 1000), ("bigbuckbunny", 64),
    ("bigbuckbunny", 335),  # odd bound: was rounded up to 336 (fixed during this session)
])
def test_max_side_keeps_aspect_and_even_dims(samples, name, max_side):
    info = videonb.probe(samples[name])
    frames = videonb.sample_frames(samples[name], n=3, max_side=max_side)
    for img in frames.images:
        h, w = img.shape[:2]
        assert w % 2 == 0 and h % 2 == 0
        assert max(w, h) <= max_side
        assert max(w, h) >= min(max_side, max(info.width, info.height)) - 2
        # Aspect within the rounding of one even step on the short side.
        assert abs(w / h - info.width / info.height) <= 2.0 / h * (w / h) + 1e-9
    if max_side >= max(info.width, info.height):
        assert frames.images[0].shape[:2] == (info.height, info.width)


def test_width_and_height_options(samples):
    path = samples["bikes"]
    img = videonb.sample_frames(path, n=1, width=320).images[0]
    assert img.shape[1] == 320 and img.shape[0] == 136
    img = videonb.sample_frames(path, n=1, height=136).images[0]
    assert img.shape[:2] == (136, 320)
    img = videonb.sample_frames(path, n=1, width=100, height=100).images[0]
    assert img.shape[:2] == (100, 100)


@pytest.mark.parametrize("name", ["carphone_pristine", "carphone_distorted"])
def test_resizing_applies_sample_aspect_ratio(samples, name):
    info = videonb.probe(samples[name])
    dar = 176 * 128 / 117 / 144  # 1.337, stored 176x144 is 1.222
    img = videonb.sample_frames(samples[name], n=1, max_side=96).images[0]
    h, w = img.shape[:2]
    assert w == 96 and h % 2 == 0
    assert abs(w / h - dar) < 0.03
    assert abs(w / h - info.width / info.height) > 0.08


# --------------------------------------------------------------------------------------
# iter_frames
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", [pytest.param(("sample", "bikes"), id="bikes"),
                                  pytest.param(("sample", "carphone_distorted"), id="carphone"),
                                  pytest.param(("cut", 1), id="cut-gop1s"),
                                  pytest.param(("vfr", 0), id="vfr")])
def test_iter_frames_is_a_full_decode(case, samples, cut_clips, vfr_clip, reference):
    path = _clip(case, samples, cut_clips, vfr_clip)
    ref = reference(path)
    got = [(t, digest(img)) for t, img in videonb.iter_frames(path)]
    times = [t for t, _ in got]
    assert len(got) == len(ref.times)
    assert all(b > a for a, b in zip(times, times[1:]))
    assert times == pytest.approx(ref.times, abs=1e-9)
    assert [d for _, d in got] == ref.digests


@pytest.mark.parametrize("start, end", [(3.3, 7.1), (2.0, None), (0.5, 1.0), (0.0, 0.3)])
def test_iter_frames_range(cut_clips, reference, start, end):
    path = cut_clips[1].path
    ref = reference(path)
    got = [(t, digest(img)) for t, img in videonb.iter_frames(path, start=start, end=end)]
    want = [(t, d) for t, d in zip(ref.times, ref.digests)
            if t >= start - 1e-9 and (end is None or t < end)]
    assert [t for t, _ in got] == pytest.approx([t for t, _ in want], abs=1e-9)
    assert [d for _, d in got] == [d for _, d in want]


# --------------------------------------------------------------------------------------
# Frames object and Video.frames
# --------------------------------------------------------------------------------------
def test_frames_object(samples):
    v = videonb.Video(samples["bikes"])
    frames = v.frames()  # default: 12 frames
    assert len(frames) == 12 and frames.mode == "exact"
    assert frames.source == v.path and frames.info == v.info
    assert frames.array.shape == (12, 272, 640, 3)
    assert frames[3] is frames.images[3]
    assert [img.shape for img in frames] == [(272, 640, 3)] * 12
    assert frames.warnings == []
    assert "bikes.mp4" in repr(frames) and "mode=exact" in repr(frames)
    html = frames._repr_html_()
    assert html.count("<img") == 12


def test_start_end_window(samples, reference):
    path = samples["bikes"]
    ref = reference(path)
    frames = videonb.sample_frames(path, n=4, start=2.0, end=4.0)
    assert frames.requested == pytest.approx([2.25, 2.75, 3.25, 3.75])
    _assert_exact(frames, ref)


def test_video_object_and_path_give_same_frames(samples):
    path = samples["carphone_pristine"]
    a = videonb.sample_frames(path, times=[0.5, 1.5])
    b = videonb.Video(path).frames(times=[0.5, 1.5])
    assert a.times == b.times
    assert all(np.array_equal(x, y) for x, y in zip(a.images, b.images))


def test_parallel_exact_sampling_keeps_each_gop_on_one_worker_and_balances_the_rest():
    from videonb.media.sampling import _balanced_groups

    kf = [0.0, 6.0, 12.0, 18.0, 24.0]
    # three targets in the GOP at 6 s (one decode from that keyframe serves all three), one
    # far into the GOP at 12 s, three near the start of the GOPs at 18 and 24 s.
    req = [6.5, 7.0, 11.5, 17.9, 18.2, 24.1, 24.3]
    groups = _balanced_groups(req, kf, 2)
    assert sorted(i for g in groups for i in g) == list(range(len(req)))
    owner = {i: n for n, g in enumerate(groups) for i in g}
    assert owner[0] == owner[1] == owner[2]          # GOP 6 s
    assert owner[4] != owner[0] or owner[5] != owner[0]
    for g in groups:
        assert [req[i] for i in g] == sorted(req[i] for i in g)   # each worker goes forward
    loads = [sum(1 for _ in g) for g in groups]
    assert min(loads) >= 2
    assert _balanced_groups(req, kf, 1) == [sorted(range(len(req)), key=lambda i: req[i])]
