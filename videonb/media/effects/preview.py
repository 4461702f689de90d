"""The procedural text-to-video *preview* (not a generative model): :func:`procedural_preview`
reads the prompt (:mod:`.preview_plan`), draws a labelled layered scene (:mod:`.preview_render`)
and says what it understood and what it did not."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import InvalidOptionError
from ._frames import _check_size, _frame_count
from .camera import CameraMove, _plan_move
from .preview_plan import PreviewPlan, _plan_preview
from .preview_render import _PreviewRenderer

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["PREVIEW_LABEL", "PreviewPlan", "procedural_preview"]

#: Text burned into every procedural preview frame (Hershey fonts are ASCII-only, hence "-").
PREVIEW_LABEL = "videonb local preview - not a generative model"


def _label_patch(w: int, h: int) -> tuple["np.ndarray", "np.ndarray", int, int]:
    """(rgb float32, alpha float32, x, y) of the corner label."""
    import cv2
    import numpy as np

    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = float(np.clip(0.38 * min(h, w * 9 / 16) / 360.0, 0.3, 1.2))
    thick = 1 if scale < 0.8 else 2
    lines = [PREVIEW_LABEL]
    (tw, th), base = cv2.getTextSize(PREVIEW_LABEL, font, scale, thick)
    if tw > 0.9 * w:
        lines = ["videonb local preview", "not a generative model"]
    sizes = [cv2.getTextSize(t, font, scale, thick) for t in lines]
    tw = max(s[0][0] for s in sizes)
    th = max(s[0][1] for s in sizes)
    base = max(s[1] for s in sizes)
    pad = max(3, int(round(4 * scale / 0.38)))
    line_h = th + base + 2
    pw, ph = tw + 2 * pad, line_h * len(lines) + 2 * pad - 2
    pw, ph = min(pw, w), min(ph, h)
    rgb = np.zeros((ph, pw, 3), np.float32)
    txt = np.zeros((ph, pw), np.uint8)
    for j, t in enumerate(lines):
        cv2.putText(txt, t, (pad, pad + th + j * line_h), font, scale, 255, thick, cv2.LINE_AA)
    a_txt = txt.astype(np.float32) / 255.0
    rgb[:] = 245.0
    alpha = np.maximum(0.5, a_txt)  # dark translucent box, opaque text
    rgb *= a_txt[:, :, None] / np.maximum(alpha, 1e-6)[:, :, None]
    margin = max(4, int(round(6 * scale / 0.38)))
    x, y = max(0, w - pw - margin), max(0, h - ph - margin)
    return rgb, alpha[:, :, None], x, y


def procedural_preview(prompt: str, *, seconds: float = 4.0, fps: float = 24,
                       size: tuple[int, int] = (640, 360), seed: int = 0,
                       label: bool = True) -> tuple["np.ndarray", PreviewPlan]:
    """A procedural text-to-video **preview** (not a generative model): ``(frames, plan)``.

    The prompt is read for colours ("red", "golden", "blue sky" -- a colour tints the sky, water,
    light, buildings... named right after it, else the horizon), time of day ("sunrise", "day",
    "sunset", "golden hour", "dusk", "night"), scene words ("ocean/sea/waves/beach",
    "forest/trees", "city/buildings/skyline", "mountains", "hills/meadow", "desert/dunes",
    "snow/winter", "space/galaxy/planet", "rain/storm", "fire/flames"), elements ("birds",
    "clouds", "stars", "moon", "fog", "lightning"), motion words ("flying", "drifting",
    "spinning", "timelapse") and camera moves (:func:`parse_camera_motion`; pans and orbits
    scroll the layers with parallax).  From these it draws a layered scene with numpy/OpenCV:
    gradient sky with sun/moon, noise clouds, ridged-noise mountains, hills, pine trees, a
    skyline with lit windows, dunes, animated perspective water, flames, rain, snow, fog.

    Every frame carries a small label in the bottom-right corner, "videonb local preview - not a
    generative model" (``label=False`` removes it, e.g. for tests).  The output is deterministic
    for a given prompt, size, fps, duration and ``seed``.

    Returns:
        ``frames`` -- ``(n, height, width, 3)`` uint8 RGB -- and a :class:`PreviewPlan` listing the
        recognised terms, the chosen scene and the words that were *not* understood.
    """
    import numpy as np

    n = _frame_count(seconds, fps)
    w, h = _check_size(size)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidOptionError(f"seed={seed!r}: use a non-negative whole number.")
    plan = _plan_preview(prompt)
    plan.seed, plan.size, plan.fps, plan.seconds, plan.frames = int(seed), (w, h), fps, float(seconds), n
    renderer = _PreviewRenderer(plan, n, fps, w, h, int(seed))
    frames = renderer.render()
    plan.layers = list(renderer.layers)
    cam = plan.camera
    if abs(cam.zoom) > 1e-9 or abs(cam.rotate) > 1e-9 or abs(cam.pan_y) > 1e-9:
        import cv2

        move = CameraMove(zoom=cam.zoom, pan_y=cam.pan_y, rotate=cam.rotate, ease=cam.ease)
        mplan = _plan_move(move, w, h, w, h, n)
        for i, m in enumerate(mplan.matrices):
            frames[i] = cv2.warpAffine(frames[i], m, (w, h), flags=cv2.INTER_LINEAR,
                                       borderMode=cv2.BORDER_REFLECT101)
    if label:
        rgb, alpha, x, y = _label_patch(w, h)
        ph, pw = alpha.shape[:2]
        region = frames[:, y:y + ph, x:x + pw].astype(np.float32)
        region += (rgb - region) * alpha
        frames[:, y:y + ph, x:x + pw] = (region + 0.5).astype(np.uint8)
    return frames, plan
