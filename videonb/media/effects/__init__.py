"""Offline "local renderer": camera moves, styles, object removal, extension, procedural previews.

Everything here is a **deterministic function of numpy RGB ``uint8`` frames** (``H×W×3``, or a
stack ``N×H×W×3``), needs no key, no network and no model weights, and runs on a laptop CPU.
It is what videonb does when no generative-video provider is configured -- and it is *not* a
generative model: nothing here invents content that is not in the input (except the
procedural preview, which draws simple shapes and noise, and says so in every frame).

* :func:`parse_camera_motion` -- plain-English camera directions -> :class:`CameraMove`.
* :func:`camera_move_frames` -- render a move (zoom, pan, tilt, roll, pseudo-3D orbit) over a still.
* :func:`stylize_frames` -- sketch, cartoon/anime, oil, detail, edge-preserving, watercolor.
* :func:`inpaint_frames` -- remove an object given a mask or boxes (optionally per time range).
* :func:`extend_frames` -- continue the last camera move, hold, or loop.
* :func:`procedural_preview` -- a labelled procedural text-to-video *preview* and what was understood.

One module per job: :mod:`.camera`, :mod:`.stylize`, :mod:`.inpaint`, :mod:`.extend` and
:mod:`.preview` (with :mod:`.preview_plan`, :mod:`.preview_render`, :mod:`.preview_overlays` and
:mod:`.preview_paint`); :mod:`._frames` holds the checks and conversions they share.

Conventions: frames are RGB (not OpenCV's BGR); times are seconds; sizes are ``(width, height)``;
numpy and OpenCV are imported inside the functions (``import videonb`` stays light).
"""

from __future__ import annotations

from .camera import CameraMove, camera_move_frames, depth_proxy, parse_camera_motion
from .extend import extend_frames
from .inpaint import inpaint_frames
from .preview import PREVIEW_LABEL, PreviewPlan, procedural_preview
from .stylize import STYLES, stylize_frames

# More names the single module had, importable from here as before the split (the tests use
# the two private ones).
from .camera import DEFAULT_MAX_SIDE, EASES, Ease, _plan_move  # noqa: F401
from .preview_plan import _SCENES  # noqa: F401

__all__ = [
    "CameraMove",
    "parse_camera_motion",
    "camera_move_frames",
    "depth_proxy",
    "STYLES",
    "stylize_frames",
    "inpaint_frames",
    "extend_frames",
    "PreviewPlan",
    "procedural_preview",
    "PREVIEW_LABEL",
]
