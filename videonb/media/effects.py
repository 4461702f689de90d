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

Conventions: frames are RGB (not OpenCV's BGR); times are seconds; sizes are ``(width, height)``;
numpy and OpenCV are imported inside the functions (``import videonb`` stays light).
"""

from __future__ import annotations

import math
import os
import re
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, Sequence

from ..errors import InvalidDimensionsError, InvalidOptionError, VideoNotFoundError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

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

Ease = Literal["linear", "ease_in_out"]
EASES: tuple[str, ...] = ("linear", "ease_in_out")

#: Text burned into every procedural preview frame (Hershey fonts are ASCII-only, hence "-").
PREVIEW_LABEL = "videonb local preview - not a generative model"

#: Longest side of the default output size of :func:`camera_move_frames`.
DEFAULT_MAX_SIDE = 1280
_MAX_FRAMES = 10_000
_MAX_OUT_SIDE = 4096


# ======================================================================================
# Small shared helpers
# ======================================================================================
def _even(x: float) -> int:
    return max(2, int(round(x / 2.0)) * 2)


def _even_floor(x: float) -> int:
    return max(2, int(x // 2) * 2)


def _frame_count(seconds: float, fps: float) -> int:
    try:
        seconds_f, fps_f = float(seconds), float(fps)
    except (TypeError, ValueError):
        raise InvalidOptionError(
            f"seconds={seconds!r}, fps={fps!r}: use numbers, e.g. seconds=4.0, fps=24.") from None
    if not (fps_f > 0) or math.isinf(fps_f):
        raise InvalidOptionError(f"fps={fps!r}: use a positive frame rate such as 24, 25 or 30.")
    if not (seconds_f > 0) or math.isinf(seconds_f):
        raise InvalidOptionError(f"seconds={seconds!r}: use a positive duration such as 4.0.")
    n = max(1, int(round(seconds_f * fps_f)))
    if n > _MAX_FRAMES:
        raise InvalidOptionError(
            f"seconds={seconds} at fps={fps} is {n} frames; the local renderer makes at most "
            f"{_MAX_FRAMES}: shorten the clip or lower fps.")
    return n


def _check_size(size: Any) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise InvalidOptionError(f"size={size!r}: use (width, height) in pixels, e.g. (640, 360).") from None
    if w < 16 or h < 16 or w > _MAX_OUT_SIDE or h > _MAX_OUT_SIDE:
        raise InvalidDimensionsError(
            f"size={size!r}: width and height must be between 16 and {_MAX_OUT_SIDE} pixels.")
    return w, h


def _to_uint8(arr: "np.ndarray") -> "np.ndarray":
    import numpy as np

    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        raise InvalidOptionError("got a boolean array where an RGB image was expected; "
                                 "pass uint8 RGB pixels (0-255).")
    if np.issubdtype(arr.dtype, np.floating):
        hi = float(np.nanmax(arr)) if arr.size else 0.0
        scale = 255.0 if hi <= 1.0 + 1e-6 else 1.0
        return (np.clip(np.nan_to_num(arr) * scale, 0, 255) + 0.5).astype(np.uint8)
    return np.clip(arr, 0, 255).astype(np.uint8)


def _as_image(image: Any) -> "np.ndarray":
    """One RGB uint8 H×W×3 image from an array (grey, RGBA, float 0..1 accepted) or a file path."""
    import numpy as np

    if isinstance(image, (str, os.PathLike)):
        import cv2

        path = Path(image)
        if not path.is_file():
            raise VideoNotFoundError(f"image {str(path)!r} does not exist; check the path.")
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise InvalidOptionError(f"could not read {str(path)!r} as an image; use a PNG or JPEG file.")
        return np.ascontiguousarray(bgr[:, :, ::-1])
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
        raise InvalidOptionError(
            f"image has shape {arr.shape}; expected an RGB array of shape (height, width, 3).")
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    arr = arr[:, :, :3]
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise InvalidDimensionsError(
            f"image is {arr.shape[1]}×{arr.shape[0]} pixels; it needs at least 2×2.")
    return np.ascontiguousarray(_to_uint8(arr))


def _as_frames(frames: Any) -> tuple["np.ndarray", bool]:
    """``(stack N×H×W×3 uint8, was_single_image)`` from an array, a list of arrays or a ``Frames``."""
    import numpy as np

    if hasattr(frames, "images") and hasattr(frames, "times"):
        frames = frames.images
    if isinstance(frames, np.ndarray):
        if frames.ndim == 3 and frames.shape[2] in (3, 4):
            return _as_image(frames)[None], True
        if frames.ndim == 4 and frames.shape[3] in (1, 3, 4):
            if frames.shape[0] == 0:
                raise InvalidOptionError("no frames given: pass at least one H×W×3 frame.")
            if frames.shape[3] == 3 and frames.dtype == np.uint8:
                return np.ascontiguousarray(frames), False
            return np.stack([_as_image(f) for f in frames]), False
        raise InvalidOptionError(
            f"frames have shape {frames.shape}; expected (n, height, width, 3) RGB frames "
            "or one (height, width, 3) image.")
    try:
        items = list(frames)
    except TypeError:
        raise InvalidOptionError(
            f"frames must be an array (n, height, width, 3) or a list of RGB images, "
            f"not {type(frames).__name__}.") from None
    if not items:
        raise InvalidOptionError("no frames given: pass at least one H×W×3 frame.")
    imgs = [_as_image(f) for f in items]
    shape = imgs[0].shape
    for i, img in enumerate(imgs):
        if img.shape != shape:
            raise InvalidOptionError(
                f"frame {i} is {img.shape[1]}×{img.shape[0]} but frame 0 is {shape[1]}×{shape[0]}; "
                "all frames must have the same size (resize them first).")
    return np.stack(imgs), False


def _map_frames(fn: Callable[["np.ndarray"], "np.ndarray"], frames: "np.ndarray") -> "np.ndarray":
    """Apply ``fn`` to every frame (threads when it pays: OpenCV releases the GIL)."""
    import numpy as np

    n = len(frames)
    out = np.empty_like(frames)
    workers = min(4, os.cpu_count() or 1)
    if n < 4 or workers < 2:
        for i in range(n):
            out[i] = fn(frames[i])
        return out
    from concurrent.futures import ThreadPoolExecutor

    def run(i: int) -> None:
        out[i] = fn(frames[i])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, range(n)))
    return out


def _ease(u: "np.ndarray | float", ease: str) -> Any:
    import numpy as np

    if ease == "linear":
        return u
    return 0.5 - 0.5 * np.cos(np.pi * np.asarray(u, dtype=np.float64))


# ======================================================================================
# 1. Camera directions in plain English
# ======================================================================================
@dataclass
class CameraMove:
    """A camera move over a clip, in units that do not depend on the image size.

    Attributes:
        zoom: ``+0.3`` = the picture ends 30 % larger (zoom/push/dolly in); ``-0.3`` is the reverse
            (starts 30 % zoomed in and pulls back to the widest framing).  A still image cannot show
            more than itself, so a zoom out always ends on the widest possible view.
        pan_x: horizontal travel of the camera over the clip as a fraction of the image width;
            positive = pans/trucks **right** (the content slides left on screen).
        pan_y: vertical travel as a fraction of the image height; positive = tilts **down**
            (content slides up); "tilt up" is negative.
        rotate: degrees the picture turns on screen over the clip; positive = clockwise.
        orbit: pseudo-3D parallax strength (0 = none, ``0.6`` = default "orbit", 1.0 = the nearest
            layer travels 10 % of the image width); positive = orbit to the right (near layers
            slide left, far layers right).  Depth is *guessed* (see :func:`camera_move_frames`).
        ease: ``"ease_in_out"`` (default: starts and stops smoothly) or ``"linear"``.
        description: what the move does, in words (for showing to the user).
        matched_terms: the phrases of the prompt that were understood; empty when nothing was
            recognised (the move is then a gentle default: a slow zoom in).
    """

    zoom: float = 0.0
    pan_x: float = 0.0
    pan_y: float = 0.0
    rotate: float = 0.0
    orbit: float = 0.0
    ease: str = "ease_in_out"
    description: str = ""
    matched_terms: list[str] = field(default_factory=list)

    @property
    def recognised(self) -> bool:
        """True when at least one phrase of the prompt was understood."""
        return bool(self.matched_terms)

    @property
    def is_static(self) -> bool:
        """True when the move does not move the picture at all."""
        return all(abs(v) < 1e-9 for v in (self.zoom, self.pan_x, self.pan_y, self.rotate, self.orbit))

    def scaled(self, factor: float) -> "CameraMove":
        """The same move, ``factor`` times as strong (ease and terms unchanged)."""
        return replace(self, zoom=self.zoom * factor, pan_x=self.pan_x * factor,
                       pan_y=self.pan_y * factor, rotate=self.rotate * factor,
                       orbit=self.orbit * factor, matched_terms=list(self.matched_terms))


#: Amount of a move at normal intensity ("zoom in" = +30 %, "pan left" = 20 % of the width...).
_BASE = {"zoom": 0.3, "pan_x": 0.2, "pan_y": 0.15, "rotate": 8.0, "orbit": 0.6}
_LIMITS = {"zoom": 3.0, "pan_x": 0.6, "pan_y": 0.6, "rotate": 45.0, "orbit": 3.0}

_INTENSITY: list[tuple[re.Pattern[str], float]] = [
    (re.compile(r"\b(?:very|extremely|super|really)\s+(?:slow(?:ly)?|gentl[ey]|subtle|subtly|"
                r"slight(?:ly)?|soft(?:ly)?)\b|\bbarely\b"), 0.3),
    (re.compile(r"\b(?:very|extremely|super|really)\s+(?:fast|quick(?:ly)?|rapid(?:ly)?|"
                r"dramatic(?:ally)?|strong(?:ly)?)\b"), 2.5),
    (re.compile(r"\b(?:slow(?:ly)?|gentl[ey]|subtle|subtly|slight(?:ly)?|soft(?:ly)?|calm(?:ly)?|"
                r"leisurely|lazy|lazily|tiny|a\s+(?:little|bit))\b"), 0.5),
    (re.compile(r"\b(?:fast|quick(?:ly)?|rapid(?:ly)?|dramatic(?:ally)?|strong(?:ly)?|big|huge|"
                r"aggressive(?:ly)?|dynamic|swift(?:ly)?|intense(?:ly)?)\b"), 2.0),
]
_EASE_TERMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:linear(?:ly)?|constant\s+speed|steady|steadily)\b"), "linear"),
    (re.compile(r"\b(?:smooth(?:ly)?|ease|eased|easing)\b"), "ease_in_out"),
]

_FILL = (r"(?:\s+(?:the\s+)?camera)?(?:\s+(?:very\s+|extremely\s+)?(?:slowly|gently|quickly|smoothly|"
         r"steadily|fast|rapidly|subtly|slightly|softly|a\s+(?:little|bit)|by|"
         r"\d+(?:\.\d+)?\s*(?:%|percent|x|×|°|deg(?:rees?)?)))*")
_TO = r"\s+(?:(?:to|towards?)\s+(?:the\s+)?)?"
_LR = r"(left|right|leftwards?|rightwards?)"
_UD = r"(up|upwards?|down|downwards?)"
_ROT_DIR = r"(clockwise|cw|counter[- ]?clockwise|anti[- ]?clockwise|ccw)"

# (axis, pattern, value(match) -> signed unit direction or None for composite)
_MOVES: list[tuple[str, re.Pattern[str]]] = [
    ("kenburns", re.compile(r"\bken\s*-?\s*burns?\b")),
    ("zoom_in", re.compile(rf"\b(?:zoom(?:s|ed|ing)?|push(?:es|ed|ing)?|dolly(?:ing)?|dollie[sd]|"
                           rf"punch(?:es|ed|ing)?|creep(?:s|ing)?|track(?:s|ed|ing)?){_FILL}\s+"
                           rf"(?:in(?:to|wards?)?|forwards?|closer|toward)\b")),
    ("zoom_in", re.compile(rf"\b(?:mov(?:e|es|ed|ing)|fl(?:y|ies|ying)|driv(?:e|es|ing)|"
                           rf"glid(?:e|es|ing)|walk(?:s|ing)?){_FILL}\s+(?:forwards?|closer|toward)\b")),
    ("zoom_out", re.compile(rf"\b(?:zoom(?:s|ed|ing)?|pull(?:s|ed|ing)?|dolly(?:ing)?|dollie[sd]|"
                            rf"back(?:s|ed|ing)?|pan(?:s|ned|ning)?|track(?:s|ed|ing)?){_FILL}\s+"
                            rf"(?:out|back|away|backwards?|outwards?)\b")),
    ("zoom_out", re.compile(rf"\bmov(?:e|es|ed|ing){_FILL}\s+(?:back|away|backwards?)\b")),
    ("pan", re.compile(rf"\b(?:pan(?:s|ned|ning)?|truck(?:s|ed|ing)?|track(?:s|ed|ing)?|"
                       rf"slid(?:e|es|ing)|strafe?s?|strafing|mov(?:e|es|ed|ing)|sweep(?:s|ing)?|"
                       rf"drift(?:s|ed|ing)?|scroll(?:s|ed|ing)?|glid(?:e|es|ing)|crab(?:s|bing)?|"
                       rf"dolly(?:ing)?){_FILL}{_TO}{_LR}\b")),
    ("tilt", re.compile(rf"\b(?:tilt(?:s|ed|ing)?|pan(?:s|ned|ning)?|crane(?:s|d)?|craning|"
                        rf"pedestal(?:s|ing)?|boom(?:s|ed|ing)?|mov(?:e|es|ed|ing)|"
                        rf"ris(?:e|es|ing)|rais(?:e|es|ing)|lower(?:s|ed|ing)?|drift(?:s|ed|ing)?|"
                        rf"sweep(?:s|ing)?|glid(?:e|es|ing)|scroll(?:s|ed|ing)?){_FILL}{_TO}{_UD}\b")),
    ("rotate", re.compile(rf"\b(?:rotat(?:e|es|ed|ing|ion)|roll(?:s|ed|ing)?|spin(?:s|ning)?|"
                          rf"twist(?:s|ed|ing)?|turn(?:s|ed|ing)?){_FILL}\s+{_ROT_DIR}")),
    ("rotate", re.compile(rf"\b(?:rotat(?:e|es|ed|ing|ion)|roll(?:s|ed|ing)?){_FILL}{_TO}{_LR}\b")),
    ("orbit", re.compile(rf"\b(?:orbit(?:s|ed|ing)?|circl(?:e|es|ed|ing)|revolv(?:e|es|ing)|"
                         rf"arc(?:s|ed|ing)?){_FILL}(?:\s+around(?:\s+(?:the|a|an))?\s+\w+)?"
                         rf"(?:{_TO}|\s+){_LR}\b")),
    ("orbit", re.compile(r"\borbit(?:s|ed|ing)?\b|\bcircl(?:e|es|ing)\s+around\b|\barc\s+shot\b|"
                         r"\bparallax\b|\b2\.5\s*-?d\b|\b3d\s+(?:photo|effect|parallax|motion|camera)\b|"
                         r"\bdepth\s+effect\b")),
    ("zoom_in", re.compile(r"\bzoom(?:s|ed|ing)?\b|\bdolly(?:ing)?\b|\bpush[- ]in\b")),
    ("tilt", re.compile(r"\btilt(?:s|ed|ing)?\b")),
    ("pan", re.compile(r"\bpan(?:s|ned|ning)?\b|\btracking\s+shot\b|\btruck(?:s|ing)?\b")),
    ("rotate", re.compile(r"\brotat(?:e|es|ed|ing|ion)\b|\bdutch\s+(?:angle|tilt)\b|\bbarrel\s+roll\b|"
                          r"\bcamera\s+roll\b")),
    ("static", re.compile(r"\bstatic(?:\s+(?:camera|shot))?\b|\blocked[- ]off\b|"
                          r"\bno\s+(?:camera\s+)?(?:motion|movement|move)\b|\btripod\b|\bfixed\s+camera\b")),
]
_CLAUSE_SPLIT = re.compile(r"[,;!?]|(?<!\d)\.(?!\d)|\b(?:while|and|then|with|as|plus|before|after|"
                           r"followed\s+by)\b|&|\+")
_MAGNITUDE = re.compile(r"(\d+(?:\.\d+)?)\s*(%|percent|x|×|°|degrees?|deg)(?![a-z])")


def _direction(axis: str, m: re.Match[str]) -> float:
    word = (m.group(m.lastindex) if m.lastindex else "") or ""
    word = word.lower()
    if axis in ("pan", "orbit"):
        return -1.0 if word.startswith("left") else 1.0
    if axis == "tilt":
        return -1.0 if word.startswith("up") else 1.0
    if axis == "rotate":
        if word.startswith(("counter", "anti", "ccw", "left")):
            return -1.0
        return 1.0
    return 1.0


def parse_camera_motion(prompt: str) -> CameraMove:
    """Understand camera directions written in plain English.

    Recognised: "zoom in/out", "push in", "pull back/out", "dolly in/out", "pan left/right",
    "truck/track/slide left/right", "tilt up/down" (also "crane/pedestal up/down"), "rotate/roll
    clockwise/counterclockwise", "orbit (left/right)", "parallax", "ken burns", "static"; intensity
    words "slow/gentle/subtle/slight" (×0.5), "fast/quick/dramatic/strong" (×2), "very slow" (×0.3),
    "very fast" (×2.5); explicit amounts "zoom in 50%", "2x zoom", "pan right 30%", "rotate 15
    degrees"; "smooth" / "linear" easing.  Combinations work: ``"slow zoom in while panning left"``.

    An intensity word applies to the moves of its own clause (clauses are split at commas, "and",
    "while", "then", "with"...); moves in clauses without one use the first intensity word of the
    prompt, so "slow zoom in while panning left" is slow throughout.  When two phrases set the same
    axis, the later one wins.

    Unknown text gives a gentle default -- a slow zoom in -- with ``matched_terms == []`` so the
    caller can tell the user that nothing was recognised.

    >>> parse_camera_motion("slow zoom in while panning left").pan_x
    -0.2
    """
    if not isinstance(prompt, str):
        raise InvalidOptionError(f"prompt must be a string, not {type(prompt).__name__}.")
    text = " " + re.sub(r"\s+", " ", prompt.lower().replace("-", " ").replace("–", " ")) + " "
    # "ken-burns" / "push-in" survive as "ken burns" / "push in"; "counter-clockwise" too.

    # Clause boundaries (character positions) for assigning intensity words to moves.
    bounds = [0] + [m.start() for m in _CLAUSE_SPLIT.finditer(text)] + [len(text)]

    def clause_of(pos: int) -> int:
        k = 0
        for i, b in enumerate(bounds):
            if b <= pos:
                k = i
        return k

    # Intensity and ease words, found on the full text.
    modifiers: list[tuple[int, int, float, str]] = []
    blank = text
    for pat, factor in _INTENSITY:
        for m in pat.finditer(blank):
            modifiers.append((m.start(), m.end(), factor, m.group(0).strip()))
            blank = blank[:m.start()] + " " * (m.end() - m.start()) + blank[m.end():]
    modifiers.sort()
    ease_terms: list[tuple[int, str, str]] = []
    for pat, ease_name in _EASE_TERMS:
        for m in pat.finditer(text):
            ease_terms.append((m.start(), ease_name, m.group(0).strip()))
    ease_terms.sort()

    # Moves, most specific first; each match blanks its span so bare "zoom" does not match twice.
    found: list[tuple[int, int, str, float, str]] = []
    work = text
    for axis, pat in _MOVES:
        for m in pat.finditer(work):
            found.append((m.start(), m.end(), axis, _direction(axis, m), m.group(0).strip()))
        for m in list(pat.finditer(work)):
            work = work[:m.start()] + " " * (m.end() - m.start()) + work[m.end():]
    found.sort()

    moves = [f for f in found if f[2] != "static"]
    if not moves:
        if any(f[2] == "static" for f in found):
            terms = [f[4] for f in found if f[2] == "static"]
            return CameraMove(description="static camera (no move)", matched_terms=terms)
        return CameraMove(zoom=_BASE["zoom"] * 0.5, ease="ease_in_out",
                          description="no camera move recognised; default: slow zoom in (15 %)",
                          matched_terms=[])

    global_factor = modifiers[0][2] if modifiers else 1.0
    clause_factor: dict[int, float] = {}
    for start, _end, factor, _word in modifiers:
        clause_factor.setdefault(clause_of(start), factor)

    values: dict[str, float] = {}
    kenburns = False
    for start, end, axis, sign, _phrase in moves:
        factor = clause_factor.get(clause_of(start), global_factor)
        # An explicit amount inside the phrase or right after it, in the same clause.
        clause_end = min((b for b in bounds if b > start), default=len(text))
        clause_start = max((b for b in bounds if b <= start), default=0)
        mag = _MAGNITUDE.search(text, start, min(clause_end, end + 30))
        if mag is None:  # "2x zoom", "30% pan left": an amount just before the phrase
            before = list(_MAGNITUDE.finditer(text, max(clause_start, start - 14), start))
            mag = before[-1] if before else None
        if axis == "kenburns":
            kenburns = True
            values.setdefault("_kb", factor)
            continue
        if axis in ("zoom_in", "zoom_out"):
            key, direction = "zoom", (1.0 if axis == "zoom_in" else -1.0)
            amount = _BASE["zoom"] * factor
            if mag and mag.group(2) in ("%", "percent"):
                amount = float(mag.group(1)) / 100.0
            elif mag and mag.group(2) in ("x", "×"):
                amount = max(0.0, float(mag.group(1)) - 1.0)
            values[key] = direction * amount
        elif axis == "pan":
            amount = _BASE["pan_x"] * factor
            if mag and mag.group(2) in ("%", "percent"):
                amount = float(mag.group(1)) / 100.0
            values["pan_x"] = sign * amount
        elif axis == "tilt":
            amount = _BASE["pan_y"] * factor
            if mag and mag.group(2) in ("%", "percent"):
                amount = float(mag.group(1)) / 100.0
            values["pan_y"] = sign * amount
        elif axis == "rotate":
            amount = _BASE["rotate"] * factor
            if mag and mag.group(2) in ("°", "degree", "degrees", "deg"):
                amount = float(mag.group(1))
            values["rotate"] = sign * amount
        elif axis == "orbit":
            values["orbit"] = sign * _BASE["orbit"] * factor
    if kenburns:
        kb = values.pop("_kb")
        values.setdefault("zoom", 0.25 * kb)
        values.setdefault("pan_x", 0.08 * kb)
    values.pop("_kb", None)
    for key, limit in _LIMITS.items():
        if key in values:
            values[key] = max(-limit, min(limit, values[key]))

    ease = ease_terms[-1][1] if ease_terms else "ease_in_out"
    terms_pos: list[tuple[int, str]] = [(s, p) for s, _e, _a, _d, p in moves]
    terms_pos += [(s, w) for s, _e, _f, w in modifiers]
    terms_pos += [(s, w) for s, _n, w in ease_terms]
    terms = [t for _s, t in sorted(terms_pos)]
    move = CameraMove(zoom=values.get("zoom", 0.0), pan_x=values.get("pan_x", 0.0),
                      pan_y=values.get("pan_y", 0.0), rotate=values.get("rotate", 0.0),
                      orbit=values.get("orbit", 0.0), ease=ease, matched_terms=terms)
    move.description = _describe(move, kenburns=kenburns)
    return move


def _describe(move: CameraMove, *, kenburns: bool = False) -> str:
    parts = []
    if kenburns:
        parts.append("Ken Burns")
    if move.zoom > 0:
        parts.append(f"zoom in {move.zoom:.0%}")
    elif move.zoom < 0:
        parts.append(f"zoom out {-move.zoom:.0%}")
    if move.pan_x:
        parts.append(f"pan {'right' if move.pan_x > 0 else 'left'} {abs(move.pan_x):.0%} of the width")
    if move.pan_y:
        parts.append(f"tilt {'down' if move.pan_y > 0 else 'up'} {abs(move.pan_y):.0%} of the height")
    if move.rotate:
        turn = "clockwise" if move.rotate > 0 else "counter-clockwise"
        parts.append(f"rotate {abs(move.rotate):.3g}° {turn}")
    if move.orbit:
        parts.append(f"orbit {'right' if move.orbit > 0 else 'left'} (parallax {abs(move.orbit):.2g})")
    if not parts:
        return "static camera (no move)"
    return ", ".join(parts) + ("" if move.ease == "ease_in_out" else ", linear speed")


# ======================================================================================
# 2. Camera moves over a still image
# ======================================================================================
def _validate_move(move: CameraMove) -> None:
    for name in ("zoom", "pan_x", "pan_y", "rotate", "orbit"):
        value = getattr(move, name)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidOptionError(f"CameraMove.{name}={value!r}: use a finite number.")
    if move.ease not in EASES:
        raise InvalidOptionError(f"CameraMove.ease={move.ease!r}: use one of {', '.join(EASES)}.")
    if abs(move.zoom) > 3:
        raise InvalidOptionError(f"CameraMove.zoom={move.zoom}: use a value between -3 and 3 "
                                 "(+0.3 = zoom in 30 %, -0.3 = zoom out).")
    if abs(move.pan_x) > 0.9 or abs(move.pan_y) > 0.9:
        raise InvalidOptionError(
            f"pan_x={move.pan_x}, pan_y={move.pan_y}: a still image allows at most 0.9 (90 % of its "
            "size) of travel; use a smaller pan.")
    if abs(move.rotate) > 60:
        raise InvalidOptionError(
            f"rotate={move.rotate}: at most 60 degrees over a clip (larger turns would need a huge "
            "zoom to hide the image corners).")
    if abs(move.orbit) > 4:
        raise InvalidOptionError(f"orbit={move.orbit}: use a parallax strength between -4 and 4.")


@dataclass
class _MovePlan:
    matrices: list[Any]           # forward 2×3 (source -> output), float64
    scales: list[float]           # output pixels per source pixel
    centers: list[tuple[float, float]]
    angles: list[float]           # radians
    ease: list[float]
    parallax_px: float            # signed amplitude A (source pixels)


def _plan_move(move: CameraMove, src_w: int, src_h: int, out_w: int, out_h: int, n: int) -> _MovePlan:
    """Per-frame transforms whose sampling window never leaves the source image.

    The window (output rectangle mapped into the source) is rotated, panned and zoomed; the
    overall scale is raised by the smallest factor that keeps every corner of every frame's
    window -- plus the largest parallax displacement -- inside the source's pixel centres.
    """
    import numpy as np

    u = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)
    e = np.asarray(_ease(u, move.ease), dtype=np.float64)
    ratio = 1.0 + move.zoom if move.zoom >= 0 else 1.0 / (1.0 - move.zoom)
    rel = ratio ** e
    theta = np.deg2rad(move.rotate) * e
    px = move.pan_x * src_w * (e - 0.5)
    py = move.pan_y * src_h * (e - 0.5)
    amp = 0.1 * move.orbit * src_w
    dmax = abs(amp) * 0.5
    s0 = max(out_w / src_w, out_h / src_h)
    hw, hh = (out_w - 1) / 2.0, (out_h - 1) / 2.0  # corner pixel centres
    cx, cy = (src_w - 1) / 2.0, (src_h - 1) / 2.0
    c, s = np.abs(np.cos(theta)), np.abs(np.sin(theta))
    room_x = cx - np.abs(px) - dmax
    room_y = cy - np.abs(py)
    if np.any(room_x <= 1.0) or np.any(room_y <= 1.0):
        raise InvalidOptionError(
            "this move travels further than the image allows (pan/tilt plus parallax reach the "
            "image edge); use a smaller pan_x/pan_y/orbit.")
    need = np.maximum((hw * c + hh * s) / room_x, (hw * s + hh * c) / room_y)
    margin = max(1.0, float(np.max(need / (s0 * rel))))
    scale = s0 * rel * margin
    mats, centers = [], []
    ocx, ocy = (out_w - 1) / 2.0, (out_h - 1) / 2.0
    for i in range(n):
        ct, st = math.cos(theta[i]), math.sin(theta[i])
        sc = float(scale[i])
        ccx, ccy = cx + float(px[i]), cy + float(py[i])
        a, b = sc * ct, -sc * st
        d, f = sc * st, sc * ct
        mats.append(np.array([[a, b, ocx - a * ccx - b * ccy],
                              [d, f, ocy - d * ccx - f * ccy]], dtype=np.float64))
        centers.append((ccx, ccy))
    return _MovePlan(mats, [float(x) for x in scale], centers, [float(x) for x in theta],
                     [float(x) for x in e], amp)


def depth_proxy(image: Any, *, layers: int = 4) -> "np.ndarray":
    """A *guessed* relative depth map in ``[0, 1]`` (1 = near) for pseudo-3D parallax.

    Heuristic, not a depth estimator: lower in the frame = nearer (ground-plane assumption,
    weight 0.55), sharper local detail = nearer (in-focus foregrounds, 0.30), more saturated =
    nearer (aerial perspective washes distant colour out, 0.15).  The map is quantised into
    ``layers`` planes and feathered so layer edges blend instead of tearing.
    """
    import cv2
    import numpy as np

    img = _as_image(image)
    h, w = img.shape[:2]
    k = 192.0 / max(h, w)
    sw, sh = max(8, int(round(w * k))), max(8, int(round(h * k)))
    small = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    sigma = max(sw, sh) * 0.04
    sharp = cv2.GaussianBlur(np.abs(cv2.Laplacian(gray, cv2.CV_32F, ksize=3)), (0, 0), sigma)
    sat = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2HSV)[:, :, 1].astype(np.float32),
                           (0, 0), sigma)

    def norm(a: "np.ndarray") -> "np.ndarray":
        lo, hi = np.percentile(a, 2), np.percentile(a, 98)
        return np.clip((a - lo) / (hi - lo), 0, 1) if hi - lo > 1e-6 else np.zeros_like(a)

    yv = np.repeat(np.linspace(0.0, 1.0, sh, dtype=np.float32)[:, None], sw, axis=1)
    depth = norm(0.55 * yv + 0.30 * norm(sharp) + 0.15 * norm(sat))
    if layers > 1:
        depth = np.minimum(np.floor(depth * layers), layers - 1) / (layers - 1)
    depth = cv2.GaussianBlur(depth.astype(np.float32), (0, 0), max(sw, sh) * 0.03)
    return cv2.resize(depth, (w, h), interpolation=cv2.INTER_LINEAR)


def camera_move_frames(image: Any, move: CameraMove | str, *, seconds: float = 4.0,
                       fps: float = 24, size: tuple[int, int] | None = None) -> "np.ndarray":
    """Render a camera move over a still image: ``(n, height, width, 3)`` uint8 RGB frames.

    Args:
        image: RGB ``uint8`` array (grey/RGBA/float 0..1 are converted) or an image file path.
        move: a :class:`CameraMove` or plain English (parsed by :func:`parse_camera_motion`).
        seconds, fps: clip length; ``round(seconds * fps)`` frames.
        size: ``(width, height)`` of the output; default the image's size rounded down to even
            numbers, scaled down so the long side is at most 1280.  A different aspect ratio is filled
            (cropped), never letterboxed.

    Every frame is a sub-pixel ``cv2.warpAffine`` (bicubic) of the source.  The framing is zoomed
    in just enough that the window never leaves the image -- pans, rotation and parallax included
    -- so no black (or mirrored) border ever appears; ``BORDER_REFLECT101`` only covers the
    sub-pixel interpolation taps at the very edge.  ``orbit`` renders a pseudo-3D parallax from a
    *guessed* depth map (:func:`depth_proxy`: a heuristic, not a depth model): near layers move
    more than far ones, with feathered layer edges that stretch slightly instead of tearing.
    """
    import cv2
    import numpy as np

    img = _as_image(image)
    if isinstance(move, str):
        move = parse_camera_motion(move)
    if not isinstance(move, CameraMove):
        raise InvalidOptionError(
            f"move must be a CameraMove or a text such as 'slow zoom in', not {type(move).__name__}.")
    _validate_move(move)
    n = _frame_count(seconds, fps)
    src_h, src_w = img.shape[:2]
    if size is None:
        k = min(1.0, DEFAULT_MAX_SIDE / max(src_w, src_h))
        out_w, out_h = _even_floor(src_w * k + 1e-6), _even_floor(src_h * k + 1e-6)
    else:
        out_w, out_h = _check_size(size)
    plan = _plan_move(move, src_w, src_h, out_w, out_h, n)
    # Downscale a much larger source first (area filter) so the warp never minifies with aliasing.
    smin = min(plan.scales)
    if smin < 0.9:
        new_w, new_h = max(8, int(round(src_w * smin))), max(8, int(round(src_h * smin)))
        img = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_AREA)
        src_h, src_w = img.shape[:2]
        plan = _plan_move(move, src_w, src_h, out_w, out_h, n)

    out = np.empty((n, out_h, out_w, 3), np.uint8)
    flags = cv2.INTER_CUBIC
    if abs(move.orbit) < 1e-9:
        for i, m in enumerate(plan.matrices):
            cv2.warpAffine(img, m, (out_w, out_h), dst=out[i], flags=flags,
                           borderMode=cv2.BORDER_REFLECT101)
        return out

    depth = depth_proxy(img)
    xs = np.arange(out_w, dtype=np.float32)[None, :] - (out_w - 1) / 2.0
    ys = np.arange(out_h, dtype=np.float32)[:, None] - (out_h - 1) / 2.0
    for i in range(n):
        sc, th = plan.scales[i], plan.angles[i]
        ct, st = math.cos(th) / sc, math.sin(th) / sc
        ccx, ccy = plan.centers[i]
        map_x = (ccx + ct * xs + st * ys).astype(np.float32)
        map_y = (ccy - st * xs + ct * ys).astype(np.float32)
        d = cv2.remap(depth, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        # Content at depth d moves by -A (e - 1/2)(2d - 1) on screen: orbit right = near slides left.
        map_x += np.float32(plan.parallax_px * (plan.ease[i] - 0.5)) * (2.0 * d - 1.0)
        cv2.remap(img, map_x, map_y, flags, dst=out[i], borderMode=cv2.BORDER_REFLECT101)
    return out


# ======================================================================================
# 3. Styles
# ======================================================================================
#: Style names accepted by :func:`stylize_frames` (aliases: pencil, anime, painting, watercolour...).
STYLES: tuple[str, ...] = ("sketch", "cartoon", "anime", "oil", "painting", "detail",
                           "edge-preserving", "watercolor")
_STYLE_ALIASES = {"pencil": "sketch", "pencil-sketch": "sketch", "drawing": "sketch",
                  "comic": "cartoon", "toon": "cartoon", "oil-painting": "oil", "painting": "oil",
                  "paint": "oil", "details": "detail", "detail-enhance": "detail", "sharpen": "detail",
                  "edge-preserving-filter": "edge-preserving", "edgepreserving": "edge-preserving",
                  "smooth": "edge-preserving", "watercolour": "watercolor", "water-color": "watercolor",
                  "stylization": "watercolor"}


def _kmeans(samples: "np.ndarray", k: int, *, iters: int = 20, seed: int = 0) -> "np.ndarray":
    """Deterministic k-means (k-means++ seeding) on ``(n, d)`` float32 samples."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = len(samples)
    k = min(k, n)
    centers = [samples[int(rng.integers(n))]]
    d2 = np.sum((samples - centers[0]) ** 2, axis=1)
    for _ in range(1, k):
        total = float(d2.sum())
        if total <= 0:
            break
        idx = int(np.searchsorted(np.cumsum(d2), rng.random() * total))
        centers.append(samples[min(idx, n - 1)])
        d2 = np.minimum(d2, np.sum((samples - centers[-1]) ** 2, axis=1))
    cent = np.array(centers, dtype=np.float32)
    for _ in range(iters):
        dist = ((samples[:, None, :] - cent[None, :, :]) ** 2).sum(axis=2)
        lab = dist.argmin(axis=1)
        new = cent.copy()
        for j in range(len(cent)):
            sel = samples[lab == j]
            if len(sel):
                new[j] = sel.mean(axis=0)
        if np.allclose(new, cent, atol=1e-3):
            cent = new
            break
        cent = new
    return cent


def _cartoon_smooth(frame: "np.ndarray", k: float) -> "np.ndarray":
    import cv2

    h, w = frame.shape[:2]
    small = cv2.resize(frame, (max(8, w // 2), max(8, h // 2)), interpolation=cv2.INTER_AREA)
    d = max(5, int(round(7 * k)) | 1)
    for _ in range(2):
        small = cv2.bilateralFilter(small, d, 40, 5 * k)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _palette_lut(frames: "np.ndarray", colors: int, k: float,
                 saturation: float) -> tuple["np.ndarray", "np.ndarray"]:
    """(palette RGB uint8 (k, 3), lut (32768,) palette index for each 5-bit RGB cell).

    The palette is fitted once (k-means in Lab on pixels of up to 8 smoothed frames spread over
    the clip) and reused for every frame, so colours do not flicker."""
    import cv2
    import numpy as np

    n = len(frames)
    picks = sorted({int(round(x)) for x in np.linspace(0, n - 1, min(8, n))})
    per = max(500, 12000 // len(picks))
    samples = []
    for i in picks:
        sm = _cartoon_smooth(frames[i], k).reshape(-1, 3)
        step = max(1, len(sm) // per)
        samples.append(sm[::step][:per])
    rgb = np.concatenate(samples).astype(np.float32) / 255.0
    lab = cv2.cvtColor(rgb[None], cv2.COLOR_RGB2Lab)[0]
    centers = _kmeans(lab, colors, seed=0)
    pal = cv2.cvtColor(centers[None].astype(np.float32), cv2.COLOR_Lab2RGB)[0]
    if saturation != 1.0:
        hsv = cv2.cvtColor(np.clip(pal, 0, 1)[None].astype(np.float32), cv2.COLOR_RGB2HSV)[0]
        hsv[:, 1] = np.clip(hsv[:, 1] * saturation, 0, 1)
        hsv[:, 2] = np.clip(hsv[:, 2] * 1.04, 0, 1)
        pal = cv2.cvtColor(hsv[None], cv2.COLOR_HSV2RGB)[0]
    palette = (np.clip(pal, 0, 1) * 255 + 0.5).astype(np.uint8)
    cells = (np.arange(32, dtype=np.float32) * 8 + 4) / 255.0
    grid = np.stack(np.meshgrid(cells, cells, cells, indexing="ij"), axis=-1).reshape(-1, 3)
    grid_lab = cv2.cvtColor(grid[None], cv2.COLOR_RGB2Lab)[0]
    dist = ((grid_lab[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    lut = dist.argmin(axis=1).astype(np.uint8)
    return palette, lut


def _cartoon_fn(frames: "np.ndarray", anime: bool) -> Callable[["np.ndarray"], "np.ndarray"]:
    import cv2
    import numpy as np

    h, w = frames.shape[1:3]
    k = max(h, w) / 640.0
    palette, lut = _palette_lut(frames, 14 if anime else 9, k, 1.25 if anime else 1.0)
    block = max(5, int(round((7 if anime else 9) * k)) | 1)
    cval = 5 if anime else 3
    blur = max(3, int(round(5 * k)) | 1)
    line = 0.35 if anime else 0.15  # outline = region colour × this

    def fn(frame: "np.ndarray") -> "np.ndarray":
        smooth = _cartoon_smooth(frame, k)
        q = smooth >> 3
        idx = (q[:, :, 0].astype(np.int32) << 10) | (q[:, :, 1].astype(np.int32) << 5) | q[:, :, 2]
        out = palette[lut[idx]]
        gray = cv2.medianBlur(cv2.cvtColor(smooth, cv2.COLOR_RGB2GRAY), blur)
        edges = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY,
                                      block, cval)
        # Drop isolated specks so texture (grass, noise) does not turn into confetti.
        edges = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((2, 2), np.uint8))
        dark = edges == 0
        out[dark] = (out[dark].astype(np.float32) * line).astype(np.uint8)
        return out

    return fn


def _sketch_fn(frames: "np.ndarray") -> Callable[["np.ndarray"], "np.ndarray"]:
    import cv2
    import numpy as np

    h, w = frames.shape[1:3]
    sigma = max(2.0, 6.0 * max(h, w) / 640.0)
    paper = np.array([252, 249, 242], np.float32) / 255.0

    def fn(frame: "np.ndarray") -> "np.ndarray":
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        blur = cv2.GaussianBlur(255 - gray, (0, 0), sigma)
        dodge = cv2.divide(gray, 255 - blur, scale=256)            # colour-dodge blend
        tone = (dodge.astype(np.float32) / 255.0) ** 2.2           # darker, pencil-like strokes
        return (np.clip(tone[:, :, None] * paper * 255.0, 0, 255) + 0.5).astype(np.uint8)

    return fn


def _oil_fn(frames: "np.ndarray") -> Callable[["np.ndarray"], "np.ndarray"]:
    import cv2
    import numpy as np

    h, w = frames.shape[1:3]
    k = max(h, w) / 640.0
    radius = max(2, int(round(4 * k)))
    xphoto = getattr(cv2, "xphoto", None)
    if xphoto is not None and hasattr(xphoto, "oilPainting"):
        def fn_x(frame: "np.ndarray") -> "np.ndarray":
            bgr = np.ascontiguousarray(frame[:, :, ::-1])
            return np.ascontiguousarray(xphoto.oilPainting(bgr, 2 * radius + 1, 1)[:, :, ::-1])
        return fn_x

    levels = 10
    ksize = (2 * radius + 1, 2 * radius + 1)
    # Integer box sums are fastest; 16 bits hold them up to a 15×15 window (225 × 255 < 65536).
    depth, dtype = ((cv2.CV_16U, np.uint16) if ksize[0] * ksize[1] * 255 < 65536
                    else (cv2.CV_32F, np.float32))
    to_bin = (np.arange(256) * levels // 256).astype(np.uint8)
    sat_lut = np.clip(np.arange(256) * 9 // 8, 0, 255).astype(np.uint8)

    def fn(frame: "np.ndarray") -> "np.ndarray":
        # Oil-paint filter (the algorithm of xphoto.oilPainting, with integer box sums): each pixel
        # takes the mean colour of the most common intensity bin in its neighbourhood.
        img = cv2.GaussianBlur(frame, (3, 3), 0)
        bins = cv2.LUT(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), to_bin)
        best = np.zeros(bins.shape, dtype)
        best_sum = np.zeros(img.shape, dtype)
        for b in range(levels):
            mask = cv2.compare(bins, b, cv2.CMP_EQ)
            if not mask.any():
                continue
            cnt = cv2.boxFilter(mask // 255, depth, ksize, normalize=False,
                                borderType=cv2.BORDER_REFLECT)
            better = cv2.compare(cnt, best, cv2.CMP_GT)
            sums = cv2.boxFilter(cv2.bitwise_and(img, img, mask=mask), depth, ksize,
                                 normalize=False, borderType=cv2.BORDER_REFLECT)
            cv2.copyTo(cnt, better, best)
            cv2.copyTo(sums, better, best_sum)
        out = best_sum.astype(np.float32) / np.maximum(best, 1).astype(np.float32)[:, :, None]
        hsv = cv2.cvtColor(np.clip(out + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV)
        hsv[:, :, 1] = cv2.LUT(hsv[:, :, 1], sat_lut)
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)

    return fn


def _watercolor_fn(frames: "np.ndarray") -> Callable[["np.ndarray"], "np.ndarray"]:
    import cv2
    import numpy as np

    h, w = frames.shape[1:3]
    k = max(h, w) / 640.0
    rng = np.random.default_rng(7)
    grain = cv2.GaussianBlur(rng.random((h, w), dtype=np.float32), (0, 0), 1.5 * max(1.0, k))
    paper = (1.0 - 0.012 * (grain - grain.mean()) / (grain.std() + 1e-6))[:, :, None]

    def fn(frame: "np.ndarray") -> "np.ndarray":
        # cv2.stylization's recipe (edge-preserving domain-transform smoothing, then darken by the
        # gradient magnitude) computed at half resolution -- ~10x faster, and the result is
        # low-frequency anyway -- with the recursive instead of the normalised-convolution filter.
        small = cv2.resize(frame, (max(8, w // 2), max(8, h // 2)), interpolation=cv2.INTER_AREA)
        res = cv2.edgePreservingFilter(small, flags=cv2.RECURS_FILTER, sigma_s=30 * k, sigma_r=0.45)
        resf = res.astype(np.float32) * (1.0 / 255.0)
        gx = cv2.Sobel(resf, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(resf, cv2.CV_32F, 0, 1, ksize=3)
        mag = cv2.sqrt((gx * gx + gy * gy).sum(axis=2) * (1.0 / 3.0))
        shaded = resf * np.clip(1.0 - 0.7 * mag, 0.0, 1.0)[:, :, None]
        out = cv2.resize(shaded, (w, h), interpolation=cv2.INTER_CUBIC) * paper
        return (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)

    return fn


def _bgr_op(op: Callable[["np.ndarray"], "np.ndarray"]) -> Callable[["np.ndarray"], "np.ndarray"]:
    import numpy as np

    def fn(frame: "np.ndarray") -> "np.ndarray":
        return np.ascontiguousarray(op(np.ascontiguousarray(frame[:, :, ::-1]))[:, :, ::-1])

    return fn


def _normalise_style(style: str) -> str:
    if not isinstance(style, str):
        raise InvalidOptionError(f"style must be a string such as 'sketch', not {type(style).__name__}.")
    name = re.sub(r"[\s_]+", "-", style.strip().lower())
    name = _STYLE_ALIASES.get(name, name)
    if name in STYLES:
        return name
    # A phrase such as "make it look like a watercolour painting": the first style word in it.
    text = style.lower().replace("_", " ")
    generic = {"painting", "paint", "smooth", "drawing", "sharpen", "details", "detail"}
    hits = []
    for word in set(STYLES) | set(_STYLE_ALIASES):
        for m in re.finditer(r"\b" + re.escape(word).replace("\\-", "[- ]?") + r"\b", text):
            hits.append((word in generic, m.start(), _STYLE_ALIASES.get(word, word)))
    if hits:  # specific words ("watercolour") beat generic ones ("painting"); then the earliest
        return min(hits)[2]
    raise InvalidOptionError(
        f"style={style!r} is not a local style; use one of: {', '.join(STYLES)}.")


def stylize_frames(frames: Any, style: str, *, strength: float = 1.0) -> "np.ndarray":
    """Restyle frames with classic image filters; same shape and dtype as the input.

    Styles (aliases in brackets):

    * ``"sketch"`` (pencil): colour-dodge pencil sketch on warm paper (grey output).
    * ``"cartoon"`` / ``"anime"``: bilateral smoothing, colour quantisation to a 9 (cartoon) or
      14-colour (anime: more saturated, lighter outlines) palette, and dark outlines from an
      adaptive threshold.  The palette is fitted **once** for the whole clip, so colours do not
      flicker from frame to frame.
    * ``"oil"`` (painting): ``cv2.xphoto.oilPainting`` when opencv-contrib is installed, otherwise
      the same algorithm implemented with box filters (mean colour of the most frequent intensity
      bin in a 9×9 neighbourhood at 640 px, scaled with the frame size).
    * ``"detail"``: ``cv2.detailEnhance``.  ``"edge-preserving"``: ``cv2.edgePreservingFilter``.
    * ``"watercolor"``: ``cv2.stylization``'s recipe (smoothing + gradient darkening) computed at
      half resolution for speed, on a faint fixed paper grain.

    ``strength`` (0..1) blends the result with the original (0 = unchanged).  Every frame is
    processed with the same parameters; a single ``H×W×3`` image in gives one image out.
    """
    import cv2

    name = _normalise_style(style)
    try:
        strength = float(strength)
    except (TypeError, ValueError):
        raise InvalidOptionError(f"strength={strength!r}: use a number between 0 and 1.") from None
    if not (0.0 <= strength <= 1.0):
        raise InvalidOptionError(f"strength={strength}: use a number between 0 (no effect) and 1 (full).")
    arr, single = _as_frames(frames)
    if strength == 0.0:
        out = arr.copy()
        return out[0] if single else out
    h, w = arr.shape[1:3]
    k = max(h, w) / 640.0
    if name == "sketch":
        fn = _sketch_fn(arr)
    elif name in ("cartoon", "anime"):
        fn = _cartoon_fn(arr, anime=(name == "anime"))
    elif name in ("oil", "painting"):
        fn = _oil_fn(arr)
    elif name == "detail":
        fn = _bgr_op(lambda f: cv2.detailEnhance(f, sigma_s=10 * k, sigma_r=0.15))
    elif name == "edge-preserving":
        fn = lambda f: cv2.edgePreservingFilter(f, flags=cv2.RECURS_FILTER, sigma_s=60 * k,  # noqa: E731
                                                sigma_r=0.4)
    else:
        fn = _watercolor_fn(arr)
    if strength < 1.0:
        inner = fn

        def fn(frame: "np.ndarray") -> "np.ndarray":  # type: ignore[no-redef]
            return cv2.addWeighted(frame, 1.0 - strength, inner(frame), strength, 0.0)

    out = _map_frames(fn, arr)
    return out[0] if single else out


# ======================================================================================
# 4. Object removal (inpainting)
# ======================================================================================
def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _box_pixels(box: Any, w: int, h: int) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` pixel bounds of an ``(x, y, w, h)`` box in pixels or 0..1 fractions."""
    try:
        vals = [float(v) for v in box]
    except (TypeError, ValueError):
        raise InvalidOptionError(
            f"box {box!r}: use (x, y, width, height) in pixels or 0..1 fractions.") from None
    if len(vals) != 4 or not all(math.isfinite(v) for v in vals):
        raise InvalidOptionError(f"box {box!r}: use four finite numbers (x, y, width, height).")
    x, y, bw, bh = vals
    if bw <= 0 or bh <= 0:
        raise InvalidOptionError(f"box {box!r} has a zero or negative width/height.")
    fractional = all(0.0 <= v <= 1.0 for v in vals) and any(v != int(v) for v in vals)
    if fractional:
        if x + bw > 1.0 + 1e-6 or y + bh > 1.0 + 1e-6:
            raise InvalidOptionError(
                f"box {box!r} (fractions of the frame) reaches past the frame edge: keep x + width "
                "and y + height at most 1.")
        x0, y0 = int(math.floor(x * w)), int(math.floor(y * h))
        x1, y1 = int(math.ceil((x + bw) * w)), int(math.ceil((y + bh) * h))
        return x0, y0, max(x0 + 1, min(w, x1)), max(y0 + 1, min(h, y1))
    if x < 0 or y < 0 or x + bw > w + 1e-6 or y + bh > h + 1e-6:
        raise InvalidOptionError(
            f"box {box!r} lies outside the {w}×{h} frame: clip it to 0 <= x, x + width <= {w}, "
            f"0 <= y, y + height <= {h} (or give fractions 0..1).")
    x0, y0 = int(math.floor(x)), int(math.floor(y))
    return x0, y0, max(x0 + 1, int(math.ceil(x + bw))), max(y0 + 1, int(math.ceil(y + bh)))


def _mask_from(mask: Any, w: int, h: int) -> "np.ndarray":
    import cv2
    import numpy as np

    m = np.asarray(mask)
    if m.ndim == 3 and m.shape[2] == 1:
        m = m[:, :, 0]
    if m.ndim != 2:
        raise InvalidOptionError(
            f"mask has shape {m.shape}; use one H×W array (bool, or uint8 with non-zero = remove). "
            "For an RGB mask pass mask.any(axis=2).")
    if m.shape[0] < 2 or m.shape[1] < 2:
        raise InvalidOptionError(f"mask has shape {m.shape}; it must be an H×W image.")
    if not (np.issubdtype(m.dtype, np.number) or m.dtype == np.bool_):
        raise InvalidOptionError(f"mask has dtype {m.dtype}; use bool or uint8.")
    m = (np.nan_to_num(m.astype(np.float32)) > 0).astype(np.uint8)
    if m.shape != (h, w):
        mh, mw = m.shape
        if abs(mw / mh - w / h) > 0.05 * (w / h):
            raise InvalidOptionError(
                f"mask is {mw}×{mh} but the frames are {w}×{h} (a different aspect ratio): draw the "
                "mask on a frame of the video.")
        m = cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST)
    if not m.any():
        raise InvalidOptionError("mask is empty: mark the pixels to remove with non-zero (True) values.")
    return m.astype(bool)


def inpaint_frames(frames: Any, *, mask: Any = None, boxes: Sequence[Any] | None = None,
                   times: Sequence[float] | None = None, fps: float | None = None,
                   method: str = "telea", radius: int = 5, dilate: int = 3) -> "np.ndarray":
    """Remove an object by filling it in from its surroundings (``cv2.inpaint``).

    Args:
        frames: ``(n, h, w, 3)`` RGB frames, a list of them, one image, or a ``Frames`` result
            (whose ``times`` are then used).
        mask: an ``H×W`` array (bool, or uint8 with non-zero = remove) applied to every frame;
            resized (nearest neighbour) when its size differs but its aspect ratio matches.
        boxes: rectangles ``(x, y, width, height)`` in pixels or as 0..1 fractions of the frame
            (a box is fractional when all four values are in 0..1 and one is not a whole number),
            applied to every frame; or ``(t0, t1, box)`` to apply a box only to frames shown at
            ``t0 <= t < t1`` seconds (needs ``times`` or ``fps``, or a ``Frames`` input).
        times: the time of each frame in seconds; or ``fps``: frame ``i`` is at ``i / fps``.
        method: ``"telea"`` (fast marching, default) or ``"ns"`` (Navier-Stokes).
        radius: inpainting neighbourhood radius in pixels.
        dilate: grow the mask by this many pixels first (covers anti-aliased/blurred edges).

    Returns new frames; pixels outside the (dilated) mask are unchanged, frames with nothing to
    remove are returned as they were.  Each frame is filled independently: fine for small objects
    and static shots, visibly "smeared" for large regions (this is not a generative fill).
    """
    import cv2
    import numpy as np

    frame_times = None
    if hasattr(frames, "images") and hasattr(frames, "times") and times is None:
        frame_times = [float(t) for t in frames.times]
    arr, single = _as_frames(frames)
    n, h, w = arr.shape[:3]
    methods = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}
    if method not in methods:
        raise InvalidOptionError(f"method={method!r}: use 'telea' or 'ns'.")
    if not isinstance(radius, (int, float)) or not (1 <= radius <= 50):
        raise InvalidOptionError(f"radius={radius!r}: use a number of pixels between 1 and 50.")
    if not isinstance(dilate, int) or not (0 <= dilate <= 50):
        raise InvalidOptionError(f"dilate={dilate!r}: use a whole number of pixels between 0 and 50.")
    if mask is None and not boxes:
        raise InvalidOptionError("nothing to remove: pass mask= (H×W array) or boxes=[(x, y, w, h)].")

    static = np.zeros((h, w), bool)
    if mask is not None:
        static |= _mask_from(mask, w, h)
    ranged: list[tuple[float, float, tuple[int, int, int, int]]] = []
    if boxes:
        items = list(boxes)
        if len(items) == 4 and all(_is_number(v) for v in items):
            items = [tuple(items)]  # one bare box
        for item in items:
            item = tuple(item) if not isinstance(item, tuple) else item
            if len(item) == 3 and _is_number(item[0]) and _is_number(item[1]):
                t0, t1 = float(item[0]), float(item[1])
                if not (t1 > t0):
                    raise InvalidOptionError(f"time range {item[:2]}: the end must be after the start.")
                ranged.append((t0, t1, _box_pixels(item[2], w, h)))
            else:
                x0, y0, x1, y1 = _box_pixels(item, w, h)
                static[y0:y1, x0:x1] = True
    if ranged:
        if times is not None:
            frame_times = [float(t) for t in times]
            if len(frame_times) != n:
                raise InvalidOptionError(
                    f"times has {len(frame_times)} values for {n} frames; give one per frame.")
        elif fps is not None:
            if not (float(fps) > 0):
                raise InvalidOptionError(f"fps={fps!r}: use a positive frame rate.")
            frame_times = [i / float(fps) for i in range(n)]
        elif frame_times is None:
            raise InvalidOptionError(
                "boxes with time ranges (t0, t1, box) need the frames' times: pass times=[...] "
                "(seconds, one per frame) or fps=.")
    kernel = (cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilate + 1, 2 * dilate + 1))
              if dilate else None)
    out = arr.copy()
    touched = 0
    for i in range(n):
        m = static.copy()
        for t0, t1, (x0, y0, x1, y1) in ranged:
            assert frame_times is not None
            if t0 <= frame_times[i] < t1:
                m[y0:y1, x0:x1] = True
        if not m.any():
            continue
        m8 = m.astype(np.uint8) * 255
        if kernel is not None:
            m8 = cv2.dilate(m8, kernel)
        if m8.all():
            raise InvalidOptionError("the mask covers the whole frame; nothing is left to fill it from.")
        out[i] = cv2.inpaint(arr[i], m8, float(radius), methods[method])
        touched += 1
    if touched == 0:
        span = f" ({frame_times[0]:.3f}-{frame_times[-1]:.3f} s)" if frame_times else ""
        raise InvalidOptionError(
            f"no frame falls inside the boxes' time ranges; check t0/t1 against the clip's times{span}.")
    return out[0] if single else out


# ======================================================================================
# 5. Extending a clip
# ======================================================================================
@dataclass
class _Step:
    tx: float       # translation of the image centre, pixels per frame
    ty: float
    log_s: float    # log scale per frame
    theta: float    # radians per frame (positive = clockwise on screen)


def _estimate_step(a: "np.ndarray", b: "np.ndarray", f: float) -> _Step | None:
    """Similarity motion a -> b of grey frames (scaled by ``f``), in full-resolution pixels."""
    import cv2
    import numpy as np

    h, w = a.shape
    c = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    pts = cv2.goodFeaturesToTrack(a, maxCorners=400, qualityLevel=0.01, minDistance=6, blockSize=7)
    m = None
    if pts is not None and len(pts) >= 12:
        lk = dict(winSize=(21, 21), maxLevel=3,
                  criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))
        nxt, st, _ = cv2.calcOpticalFlowPyrLK(a, b, pts, None, **lk)
        back, st2, _ = cv2.calcOpticalFlowPyrLK(b, a, nxt, None, **lk)
        fb_error = np.linalg.norm((back - pts).reshape(-1, 2), axis=1)
        ok = (st.ravel() == 1) & (st2.ravel() == 1) & (fb_error < 0.7)
        if ok.sum() >= 12:
            m, inl = cv2.estimateAffinePartial2D(pts[ok], nxt[ok], method=cv2.RANSAC,
                                                 ransacReprojThreshold=1.0, maxIters=2000,
                                                 confidence=0.995, refineIters=10)
            if m is None or inl is None or inl.sum() < max(10, 0.5 * ok.sum()):
                m = None
    if m is None:
        win = cv2.createHanningWindow((w, h), cv2.CV_32F)
        (dx, dy), response = cv2.phaseCorrelate(a.astype(np.float32), b.astype(np.float32), win)
        if response < 0.1:
            return None
        return _Step(dx / f, dy / f, 0.0, 0.0)
    scale = math.hypot(m[0, 0], m[1, 0])
    theta = math.atan2(m[1, 0], m[0, 0])
    tc = m[:, :2] @ c + m[:, 2] - c
    return _Step(float(tc[0]) / f, float(tc[1]) / f, math.log(max(scale, 1e-6)), theta)


def _step_matrix(step: _Step, k: float, w: int, h: int) -> "np.ndarray":
    import numpy as np

    s = math.exp(step.log_s * k)
    th = step.theta * k
    c = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    lin = s * np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    t = c + k * np.array([step.tx, step.ty]) - lin @ c
    return np.hstack([lin, t[:, None]])


def _cover_zoom(m: "np.ndarray", w: int, h: int) -> float:
    """Smallest zoom about the output centre so that ``m``'s window stays inside the source."""
    import numpy as np

    lin, t = m[:, :2], m[:, 2]
    inv = np.linalg.inv(lin)
    oc = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    q = inv @ (oc - t)
    lo, hi = np.array([0.0, 0.0]), np.array([w - 1.0, h - 1.0])
    if np.any(q <= lo + 2) or np.any(q >= hi - 2):
        return math.inf
    need = 1.0
    for cx, cy in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
        u = inv @ (np.array([cx, cy], float) - oc)
        for ax in range(2):
            if u[ax] > 0:
                need = max(need, u[ax] / (hi[ax] - q[ax]))
            elif u[ax] < 0:
                need = max(need, -u[ax] / (q[ax] - lo[ax]))
    return need


def _zoom_about_centre(m: "np.ndarray", s: float, w: int, h: int) -> "np.ndarray":
    import numpy as np

    oc = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    z = np.array([[s, 0.0, oc[0] * (1 - s)], [0.0, s, oc[1] * (1 - s)], [0.0, 0.0, 1.0]])
    return (z @ np.vstack([m, [0.0, 0.0, 1.0]]))[:2]


def extend_frames(frames: Any, *, seconds: float, fps: float,
                  mode: Literal["auto", "continue", "hold", "loop"] = "auto") -> "np.ndarray":
    """Make ``round(seconds * fps)`` **new** frames that follow ``frames`` (input not included).

    Modes:

    * ``"continue"``: measure the global camera motion over the last (up to 6) frames -- feature
      tracks (``goodFeaturesToTrack`` + pyramidal Lucas-Kanade, forward-backward checked) fitted
      with ``cv2.estimateAffinePartial2D`` (RANSAC), phase correlation when there is too little
      texture -- and extrapolate the median per-frame motion (translation, zoom, roll) on the last
      frame.  Same no-border rule as :func:`camera_move_frames`: the framing zooms in just enough
      (never out) to stay inside the last frame, while the content at the centre keeps the measured
      speed; the move eases out before it would run off the picture.  Zoom-outs cannot be continued
      from one frame (there is nothing outside it): that part is dropped with a warning.
    * ``"hold"``: the last frame with a subtle slow zoom in (1 % per second) so it is not frozen.
    * ``"loop"``: the input frames again from the start.
    * ``"auto"`` (default): ``"continue"`` when the last frames show one consistent, noticeable
      motion; otherwise ``"hold"``.

    ``fps`` is the frame rate of the input, which the new frames share.
    """
    import cv2
    import numpy as np

    if mode not in ("auto", "continue", "hold", "loop"):
        raise InvalidOptionError(f"mode={mode!r}: use 'auto', 'continue', 'hold' or 'loop'.")
    arr, _single = _as_frames(frames)
    n_new = _frame_count(seconds, fps)
    n, h, w = arr.shape[:3]
    if mode == "loop":
        return arr[np.arange(n_new) % n].copy()
    last = arr[-1]

    step: _Step | None = None
    if mode in ("auto", "continue"):
        if n < 2:
            if mode == "continue":
                raise InvalidOptionError("mode='continue' needs at least 2 frames to measure motion; "
                                         "use mode='hold' for a single image.")
        else:
            step = _measure_motion(arr[-min(6, n):], require_consistent=(mode == "auto"))
            if step is not None and step.log_s < -5e-4:
                warnings.warn("the clip zooms out; a zoom-out cannot be continued from its last frame "
                              "(nothing outside it is known), so only the pan/roll is continued.",
                              stacklevel=2)
                step = _Step(step.tx, step.ty, 0.0, step.theta)
            if step is not None and not _significant(step):
                step = None
            if step is None and mode == "continue":
                warnings.warn("no camera motion found in the last frames; holding the last frame.",
                              stacklevel=2)

    out = np.empty((n_new, h, w, 3), np.uint8)
    if step is None:  # hold
        for j in range(n_new):
            s = 1.0 + 0.01 * (j + 1) / float(fps)
            m = _zoom_about_centre(np.array([[1.0, 0, 0], [0, 1.0, 0]]), s, w, h)
            cv2.warpAffine(last, m, (w, h), dst=out[j], flags=cv2.INTER_CUBIC,
                           borderMode=cv2.BORDER_REFLECT101)
        return out

    # Soft limits: the centre may travel 30 % of the frame, zoom ×2, roll 15°; ease out before.
    limits = []
    if abs(step.tx) > 1e-9:
        limits.append(0.3 * w / abs(step.tx))
    if abs(step.ty) > 1e-9:
        limits.append(0.3 * h / abs(step.ty))
    if abs(step.log_s) > 1e-9:
        limits.append(math.log(2.0) / abs(step.log_s))
    if abs(step.theta) > 1e-9:
        limits.append(math.radians(15) / abs(step.theta))
    big_k = min(limits) if limits else math.inf

    def knee(k: float) -> float:
        start = 0.6 * big_k
        if k <= start:
            return k
        return start + 0.4 * big_k * math.tanh((k - start) / (0.4 * big_k))

    k, s_prev = 0.0, 1.0
    for j in range(n_new):
        k += 1.0 / s_prev  # screen speed at the centre stays the measured one despite the zoom
        m = _step_matrix(step, knee(k), w, h)
        s = max(s_prev, _cover_zoom(m, w, h))
        if not math.isfinite(s):  # cannot happen with the limits above; hold the previous framing
            s = s_prev
        mm = _zoom_about_centre(m, s, w, h)
        cv2.warpAffine(last, mm, (w, h), dst=out[j], flags=cv2.INTER_CUBIC,
                       borderMode=cv2.BORDER_REFLECT101)
        s_prev = s
    return out


def _significant(step: _Step) -> bool:
    return (math.hypot(step.tx, step.ty) >= 0.2 or abs(step.log_s) >= 1e-3
            or abs(step.theta) >= math.radians(0.05))


def _measure_motion(frames: "np.ndarray", *, require_consistent: bool) -> _Step | None:
    import cv2
    import numpy as np

    h, w = frames.shape[1:3]
    f = min(1.0, 480.0 / max(h, w))
    grays = []
    for fr in frames:
        g = cv2.cvtColor(fr, cv2.COLOR_RGB2GRAY)
        if f < 1.0:
            g = cv2.resize(g, (max(16, int(round(w * f))), max(16, int(round(h * f)))),
                           interpolation=cv2.INTER_AREA)
        grays.append(g)
    f_eff = grays[0].shape[1] / w
    steps = [_estimate_step(grays[i], grays[i + 1], f_eff) for i in range(len(grays) - 1)]
    good = [s for s in steps if s is not None]
    if not good or (require_consistent and len(good) < len(steps)):
        return None
    med = _Step(float(np.median([s.tx for s in good])), float(np.median([s.ty for s in good])),
                float(np.median([s.log_s for s in good])), float(np.median([s.theta for s in good])))
    if math.hypot(med.tx, med.ty) > 0.1 * max(w, h):
        return None  # a cut or a whip pan, not a camera move to continue
    if require_consistent:
        if len(good) < 2:
            return None
        tmag = math.hypot(med.tx, med.ty)
        for s in good:
            if math.hypot(s.tx - med.tx, s.ty - med.ty) > max(0.75, 0.35 * tmag):
                return None
            if abs(s.log_s - med.log_s) > max(2e-3, 0.35 * abs(med.log_s)):
                return None
            if abs(s.theta - med.theta) > max(math.radians(0.1), 0.35 * abs(med.theta)):
                return None
    return med


# ======================================================================================
# 6. Procedural text-to-video preview
# ======================================================================================
_COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (205, 40, 40), "crimson": (180, 20, 50), "scarlet": (225, 35, 30),
    "orange": (245, 135, 30), "amber": (245, 170, 40), "golden": (240, 185, 60), "gold": (240, 185, 60),
    "yellow": (240, 215, 60), "green": (60, 165, 70), "emerald": (20, 150, 90), "lime": (150, 215, 60),
    "teal": (20, 140, 140), "turquoise": (50, 200, 190), "cyan": (40, 200, 230), "aqua": (60, 210, 220),
    "blue": (45, 105, 215), "azure": (60, 140, 240), "navy": (20, 35, 100), "purple": (130, 60, 190),
    "violet": (140, 80, 220), "lavender": (175, 150, 225), "magenta": (220, 40, 170),
    "pink": (240, 120, 175), "rose": (230, 110, 140), "white": (245, 245, 245), "silver": (200, 205, 215),
    "grey": (128, 130, 135), "gray": (128, 130, 135), "black": (15, 15, 20), "brown": (120, 80, 45),
    "bronze": (170, 115, 55), "copper": (185, 100, 60), "neon": (255, 60, 200),
}
_TARGETS: dict[str, str] = {
    **dict.fromkeys(["sky", "skies", "heaven", "heavens"], "sky"),
    **dict.fromkeys(["water", "sea", "seas", "ocean", "oceans", "waves", "wave", "lake", "river",
                     "bay"], "water"),
    **dict.fromkeys(["mountain", "mountains", "hills", "hill", "peaks", "peak", "cliffs", "cliff",
                     "rocks", "rock", "ridges", "canyon"], "terrain"),
    **dict.fromkeys(["trees", "tree", "forest", "forests", "leaves", "woods", "jungle", "grass",
                     "meadow", "meadows", "field", "fields", "pines"], "vegetation"),
    **dict.fromkeys(["buildings", "building", "city", "skyline", "skyscrapers", "towers", "town"],
                    "buildings"),
    **dict.fromkeys(["lights", "windows", "lamps", "signs"], "lights"),
    **dict.fromkeys(["sand", "desert", "dunes", "dune"], "sand"),
    **dict.fromkeys(["light", "sunlight", "sun", "glow", "sunset", "sunrise", "dawn", "hour", "horizon",
                     "dusk", "twilight", "haze"], "light"),
    **dict.fromkeys(["clouds", "cloud", "fog", "mist"], "clouds"),
    **dict.fromkeys(["fire", "flames", "flame", "lava", "embers", "blaze"], "fire"),
    **dict.fromkeys(["nebula", "galaxy", "space", "cosmos", "stars", "universe"], "nebula"),
    **dict.fromkeys(["planet", "planets", "moon"], "planet"),
}
_SCENE_WORDS: dict[str, str] = {
    **dict.fromkeys(["ocean", "oceans", "sea", "seas", "seascape", "waves", "wave", "beach", "beaches",
                     "coast", "coastline", "shore", "surf", "lake", "water", "harbor", "harbour", "bay",
                     "island", "sailing"], "ocean"),
    **dict.fromkeys(["forest", "forests", "trees", "tree", "woods", "woodland", "jungle", "pine", "pines",
                     "rainforest"], "forest"),
    **dict.fromkeys(["city", "cities", "buildings", "building", "skyline", "skyscraper", "skyscrapers",
                     "town", "downtown", "street", "streets", "urban", "metropolis", "cityscape"], "city"),
    **dict.fromkeys(["mountain", "mountains", "peaks", "peak", "alps", "cliffs", "cliff", "volcano",
                     "summit", "ridge", "ridges"], "mountains"),
    **dict.fromkeys(["desert", "deserts", "dunes", "dune", "sand", "sandy", "sahara", "canyon"], "desert"),
    **dict.fromkeys(["snow", "snowy", "snowing", "snowfall", "winter", "blizzard", "ice", "icy", "frozen",
                     "arctic", "glacier", "snowflakes"], "snow"),
    **dict.fromkeys(["space", "galaxy", "galaxies", "nebula", "planet", "planets", "cosmos", "cosmic",
                     "universe", "astronaut", "spaceship"], "space"),
    **dict.fromkeys(["hills", "hill", "meadow", "meadows", "field", "fields", "grass", "grassland", "valley",
                     "countryside", "landscape", "prairie", "farm"], "countryside"),
    **dict.fromkeys(["fire", "fires", "flames", "flame", "burning", "campfire", "bonfire", "blaze",
                     "inferno", "lava"], "fire"),
    **dict.fromkeys(["rain", "raining", "rainy", "storm", "stormy", "downpour", "drizzle", "thunderstorm",
                     "rainstorm"], "rain"),
}
_ELEMENT_WORDS: dict[str, str] = {
    **dict.fromkeys(["bird", "birds", "flock", "seagull", "seagulls", "gulls", "gull", "eagle", "eagles",
                     "dove", "doves"], "birds"),
    **dict.fromkeys(["cloud", "clouds", "cloudy", "overcast"], "clouds"),
    **dict.fromkeys(["stars", "star", "starry", "starlit"], "stars"),
    **dict.fromkeys(["sun", "sunny", "sunshine", "sunlight"], "sun"),
    **dict.fromkeys(["moon", "moonlight", "moonlit"], "moon"),
    **dict.fromkeys(["fog", "foggy", "mist", "misty", "haze", "hazy"], "fog"),
    **dict.fromkeys(["lightning", "thunder", "thunderstorm"], "lightning"),
}
_TIME_WORDS: dict[str, str] = {
    **dict.fromkeys(["sunset", "sundown", "evening"], "sunset"),
    **dict.fromkeys(["sunrise", "dawn", "daybreak", "morning"], "sunrise"),
    **dict.fromkeys(["dusk", "twilight"], "dusk"),
    **dict.fromkeys(["night", "nighttime", "midnight", "moonlit", "moonlight", "dark"], "night"),
    **dict.fromkeys(["day", "daytime", "noon", "midday", "sunny", "afternoon", "bright", "daylight"], "day"),
}
_MOTION_WORDS: dict[str, str] = {
    **dict.fromkeys(["flying", "fly", "flies", "flight", "soaring", "soar", "soars", "gliding",
                     "flyover", "flythrough"], "flying"),
    **dict.fromkeys(["drifting", "drift", "drifts", "floating", "float", "floats", "swaying", "flowing",
                     "wafting"], "drifting"),
    **dict.fromkeys(["spinning", "spin", "spins", "swirling", "swirl", "swirls", "twirling", "whirling"],
                    "spinning"),
    **dict.fromkeys(["timelapse"], "timelapse"),
}
_PHRASES: list[tuple[str, str, str]] = [  # (regex, kind, value)
    (r"\bgolden\s+hour\b", "time", "sunset"), (r"\bblue\s+hour\b", "time", "dusk"),
    (r"\bouter\s+space\b", "scene", "space"), (r"\bmilky\s+way\b", "element", "stars"),
    (r"\btime\s*-?\s*lapse\b", "motion", "timelapse"), (r"\bnight\s+sky\b", "time", "night"),
    (r"\bnorthern\s+lights\b", "element", "stars"),
]
_STOPWORDS = set("""a an the of in on at with and or over under above below through into from to by for while
is are be being some very camera shot scene video view its their his her that this these those there
here it as like near across around along toward towards between behind beyond up down left right out
off back then who which where when just one two few many lots lot full me my our your we you they them
she he shows showing show make made let see seen looking look onto upon within without during after
before again also than too more most much""".split())
_SCENES = ("ocean", "forest", "city", "mountains", "desert", "snow", "space", "countryside", "fire", "rain")


@dataclass
class PreviewPlan:
    """What :func:`procedural_preview` understood in a prompt and chose to draw.

    Attributes:
        scene: the main scene (first scene word of the prompt; ``"countryside"`` when none).
        layers: the scene parts drawn, back to front (e.g. ``["sky", "clouds", "mountains", "ocean"]``).
        time_of_day: ``"day"``, ``"sunrise"``, ``"sunset"``, ``"dusk"``, ``"night"`` or ``"space"``.
        colours: colour word per target (``{"sky": "red", "light": "golden", "accent": "blue"}``).
        weather: ``"rain"``, ``"snow"``, ``"fog"``, ``"lightning"`` when asked for.
        elements: moving or extra elements (``"birds"``, ``"clouds"``, ``"stars"``, ``"fire"``...).
        motion: motion words understood (``"flying"``, ``"drifting"``, ``"spinning"``, ``"timelapse"``).
        camera: the camera move (from :func:`parse_camera_motion`, or implied by a motion word).
        camera_source: ``"prompt"``, ``"implied by 'flying'"``/``"implied by 'drifting'"`` or ``"none"``.
        recognised: every understood term, in prompt order.
        ignored: content words that were *not* understood (nothing was drawn for them).
    """

    prompt: str
    scene: str = "countryside"
    layers: list[str] = field(default_factory=list)
    time_of_day: str = "day"
    colours: dict[str, str] = field(default_factory=dict)
    weather: list[str] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)
    motion: list[str] = field(default_factory=list)
    camera: CameraMove = field(default_factory=CameraMove)
    camera_source: str = "none"
    recognised: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    scenes: list[str] = field(default_factory=list)
    seed: int = 0
    size: tuple[int, int] = (640, 360)
    fps: float = 24
    seconds: float = 4.0
    frames: int = 0

    def summary(self) -> str:
        """One paragraph for the user: what was drawn and what was not understood."""
        parts = [f"Local procedural preview (not a generative model): {self.scene} scene, "
                 + self.time_of_day]
        if self.colours:
            parts.append("colours " + ", ".join(f"{v} {k}" for k, v in self.colours.items()))
        if self.weather:
            parts.append("weather " + ", ".join(self.weather))
        if self.elements:
            parts.append("elements " + ", ".join(self.elements))
        if self.motion:
            parts.append("motion " + ", ".join(self.motion))
        parts.append(f"camera: {self.camera.description or 'static'}")
        text = "; ".join(parts) + "."
        if self.ignored:
            text += " Not understood (not drawn): " + ", ".join(self.ignored) + "."
        return text


def _plan_preview(prompt: str) -> PreviewPlan:
    if not isinstance(prompt, str):
        raise InvalidOptionError(f"prompt must be a string, not {type(prompt).__name__}.")
    plan = PreviewPlan(prompt=prompt)
    text = prompt.lower().replace("-", " ")
    hits: list[tuple[int, str, str, str]] = []  # (position, kind, value, term)
    for pattern, kind, value in _PHRASES:
        for m in re.finditer(pattern, text):
            hits.append((m.start(), kind, value, m.group(0)))
            text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    tokens = [(m.start(), m.group(0)) for m in re.finditer(r"[a-z0-9]+", text)]
    camera = parse_camera_motion(prompt)
    camera_words = set(" ".join(camera.matched_terms).split())
    used: set[int] = set()
    for i, (pos, tok) in enumerate(tokens):
        if tok in _COLOURS:
            target = "lights" if tok == "neon" else "accent"
            for j in range(i + 1, min(i + 4, len(tokens))):
                if tokens[j][1] in _TARGETS and tok != "neon":
                    target = _TARGETS[tokens[j][1]]
                    break
                if tokens[j][1] in _COLOURS:
                    break
            hits.append((pos, "colour", f"{tok}:{target}", tok if target == "accent" else f"{tok} {target}"))
            used.add(i)
        recognised = False
        for table, kind in ((_SCENE_WORDS, "scene"), (_TIME_WORDS, "time"), (_ELEMENT_WORDS, "element"),
                            (_MOTION_WORDS, "motion")):
            if tok in table:
                hits.append((pos, kind, table[tok], tok))
                recognised = True
        if recognised:
            used.add(i)
    hits.sort()
    seen_terms: list[str] = []
    scenes: list[str] = []
    for _pos, kind, value, term in hits:
        if term not in seen_terms:
            seen_terms.append(term)
        if kind == "scene" and value not in scenes:
            scenes.append(value)
        elif kind == "time":
            plan.time_of_day = value
        elif kind == "element" and value not in plan.elements:
            plan.elements.append(value)
        elif kind == "motion" and value not in plan.motion:
            plan.motion.append(value)
        elif kind == "colour":
            name, target = value.split(":")
            plan.colours.setdefault(target, name)
    if "rain" in scenes:
        plan.weather.append("rain")
    if "snow" in scenes and re.search(r"\b(?:snow|snowing|snowfall|blizzard|snowflakes)\b", text):
        plan.weather.append("snow")
    if "fog" in plan.elements:
        plan.weather.append("fog")
    if "lightning" in plan.elements:
        plan.weather.append("lightning")
    if "fire" in scenes and "fire" not in plan.elements:
        plan.elements.append("fire")
    ground_scenes = [s for s in scenes if s not in ("rain", "fire", "snow")] or \
        [s for s in scenes if s == "snow"]
    plan.scenes = scenes
    plan.scene = ground_scenes[0] if ground_scenes else ("fire" if "fire" in scenes else "countryside")
    if "space" in scenes:
        plan.time_of_day = "space"
    elif plan.time_of_day == "day" and not any(k == "time" for _p, k, _v, _t in hits):
        if "moon" in plan.elements or "stars" in plan.elements:
            plan.time_of_day = "night"
    # Camera: the prompt's own words, else what a motion word implies.
    if camera.recognised:
        plan.camera, plan.camera_source = camera, "prompt"
        seen_terms = list(dict.fromkeys(camera.matched_terms + seen_terms))
    elif "flying" in plan.motion and "birds" not in plan.elements:
        plan.camera = CameraMove(zoom=0.2, ease="linear", description="push in (flying forward)")
        plan.camera_source = "implied by 'flying'"
    elif "drifting" in plan.motion:
        plan.camera = CameraMove(pan_x=0.1, ease="linear", description="slow pan right (drifting)")
        plan.camera_source = "implied by 'drifting'"
    else:
        plan.camera = CameraMove(description="static camera")
    if "flying" in plan.motion and "birds" not in plan.elements and plan.camera_source == "prompt":
        plan.elements.append("birds")
    plan.recognised = seen_terms
    ignored = []
    for i, (_pos, tok) in enumerate(tokens):
        if i in used or tok in _STOPWORDS or tok in camera_words or len(tok) < 3 or tok.isdigit():
            continue
        if tok in _TARGETS or tok in ("sky", "light"):
            continue
        if tok not in ignored:
            ignored.append(tok)
    plan.ignored = ignored
    return plan


def _mix(a: Sequence[float], b: Sequence[float], t: float) -> tuple[float, float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def _mul(a: Sequence[float], m: Sequence[float]) -> tuple[float, float, float]:
    return (a[0] * m[0], a[1] * m[1], a[2] * m[2])


def _noise2d(rng: Any, h: int, w: int, cells: float, octaves: int = 4, persistence: float = 0.5,
             aspect: float = 1.0) -> "np.ndarray":
    """Fractal value noise in [0, 1], ``cells`` lattice cells over the height at octave 0."""
    import cv2
    import numpy as np

    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        gy = max(2, int(round(cells * 2 ** o)))
        gx = max(2, int(round(gy * w / max(h, 1) / aspect)))
        grid = rng.random((gy + 1, gx + 1), dtype=np.float32)
        out += amp * cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
        total += amp
        amp *= persistence
    out /= total
    lo, hi = np.percentile(out, 1), np.percentile(out, 99)
    return np.clip((out - lo) / max(hi - lo, 1e-6), 0, 1).astype(np.float32)


def _noise1d(rng: Any, n: int, cells: float, octaves: int = 4, persistence: float = 0.5) -> "np.ndarray":
    import cv2
    import numpy as np

    out = np.zeros(n, np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        g = max(2, int(round(cells * 2 ** o)))
        grid = rng.random((1, g + 1), dtype=np.float32)
        out += amp * cv2.resize(grid, (n, 1), interpolation=cv2.INTER_CUBIC)[0]
        total += amp
        amp *= persistence
    out /= total
    lo, hi = float(out.min()), float(out.max())
    return ((out - lo) / max(hi - lo, 1e-6)).astype(np.float32)


@dataclass
class _Canvas:
    pm: Any            # (y1 - y0, wc, 3) float32: premultiplied RGB
    inv: Any           # (y1 - y0, wc, 3) float32: 1 - alpha (repeated per channel for cv2.multiply)
    y0: int            # first row with any alpha
    depth: float       # parallax depth: 0 = at infinity, 1 = nearest
    margin: int        # canvas column shown at output x = 0 when the scroll offset is 0
    name: str = ""


_SKY_PRESETS: dict[str, dict[str, Any]] = {
    "day": dict(top=(38, 96, 190), mid=(95, 150, 215), horizon=(190, 214, 236), sun=(255, 250, 232),
                sun_y=0.35, sun_r=0.035, glow=0.35, light=(1.0, 1.0, 1.0)),
    "sunrise": dict(top=(70, 95, 170), mid=(215, 150, 170), horizon=(255, 200, 150), sun=(255, 236, 190),
                    sun_y=0.86, sun_r=0.05, glow=0.7, light=(1.0, 0.86, 0.8)),
    "sunset": dict(top=(40, 38, 95), mid=(185, 85, 100), horizon=(255, 165, 75), sun=(255, 212, 140),
                   sun_y=0.86, sun_r=0.06, glow=0.9, light=(0.92, 0.7, 0.58)),
    "dusk": dict(top=(18, 22, 62), mid=(70, 60, 120), horizon=(160, 115, 150), sun=None,
                 light=(0.5, 0.5, 0.66)),
    "night": dict(top=(4, 7, 22), mid=(10, 18, 45), horizon=(30, 42, 80), sun=None, moon=(235, 235, 215),
                  light=(0.2, 0.24, 0.38)),
    "space": dict(top=(2, 2, 9), mid=(5, 5, 18), horizon=(10, 8, 26), sun=None, light=(1.0, 1.0, 1.0)),
}


class _PreviewRenderer:
    """Builds the static layers once, then draws each frame cheaply (crops + a few blends)."""

    def __init__(self, plan: PreviewPlan, n: int, fps: float, w: int, h: int, seed: int) -> None:
        import numpy as np

        self.plan, self.n, self.fps, self.w, self.h, self.seed = plan, n, float(fps), w, h, seed
        self.k = min(w, h * 16 / 9) / 640.0
        self.t = np.arange(n, dtype=np.float64) / self.fps
        cam = plan.camera
        u = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)
        self.e = np.asarray(_ease(u, cam.ease), dtype=np.float64)
        self.pan_px = cam.pan_x * w
        self.orbit_px = 0.1 * cam.orbit * w
        scenes = set(plan.scenes)
        self.scenes = scenes
        self.tod = plan.time_of_day
        self.preset = dict(_SKY_PRESETS[self.tod])
        self.colours = {k: _COLOURS[v] for k, v in plan.colours.items()}
        if "space" in scenes:
            self.horizon = h
        elif "ocean" in scenes:
            self.horizon = int(round(0.56 * h))
        elif "desert" in scenes:
            self.horizon = int(round(0.58 * h))
        elif scenes & {"city"} and not scenes & {"mountains", "forest", "countryside"}:
            self.horizon = int(round(0.7 * h))
        else:
            self.horizon = int(round(0.62 * h))
        self.speed = (1.0 + (1.5 if "drifting" in plan.motion else 0.0)
                      + (6.0 if "timelapse" in plan.motion else 0.0))
        self.layers: list[str] = []
        self.ops: list[tuple[str, Any]] = []
        self.sun_xy: tuple[float, float] | None = None
        self._hill_tops: dict[float, tuple[Any, int]] = {}  # depth -> (ridge line, canvas margin)
        self._build()

    # ---------------------------------------------------------------- helpers
    def rng(self, part: int) -> Any:
        import numpy as np

        return np.random.default_rng([self.seed, part])

    def scroll(self, depth: float, i: int) -> float:
        de = float(self.e[i]) - 0.5
        return self.pan_px * de * depth + self.orbit_px * de * (2.0 * depth - 1.0)

    def max_scroll(self, depth: float) -> int:
        return int(math.ceil(0.5 * (abs(self.pan_px) * depth + abs(self.orbit_px) * abs(2 * depth - 1)))) + 2

    def light(self) -> tuple[float, float, float]:
        return self.preset["light"]

    def shade(self, colour: Sequence[float], depth: float) -> tuple[float, float, float]:
        """Lit by the time of day, washed towards the horizon colour with distance, rain-greyed."""
        c = _mul(colour, self.light())
        c = _mix(c, self.preset["horizon"], (1.0 - depth) * 0.55)
        if "rain" in self.plan.weather or "fog" in self.plan.weather:
            g = sum(c) / 3.0
            c = _mix(c, (g, g, g), 0.35)
            c = (c[0] * 0.85, c[1] * 0.85, c[2] * 0.85)
        return c

    def colour(self, target: str, default: Sequence[float],
               amount: float = 0.7) -> tuple[float, float, float]:
        if target in self.colours:
            return _mix(default, self.colours[target], amount)
        return tuple(default)  # type: ignore[return-value]

    def canvas_from(self, rgb: "np.ndarray", alpha: "np.ndarray", depth: float, margin: int,
                    name: str) -> _Canvas:
        import numpy as np

        rows = np.nonzero(alpha.max(axis=1) > 1e-3)[0]
        y0, y1 = (int(rows[0]), int(rows[-1]) + 1) if len(rows) else (self.h - 1, self.h)
        a = np.clip(alpha[y0:y1], 0, 1).astype(np.float32)[:, :, None]
        pm = np.ascontiguousarray(np.clip(rgb[y0:y1], 0, 255).astype(np.float32) * a)
        inv = np.ascontiguousarray(np.repeat(1.0 - a, 3, axis=2))
        return _Canvas(pm, inv, y0, depth, margin, name)

    # ---------------------------------------------------------------- builders
    def _build(self) -> None:
        plan, p = self.plan, self.preset
        if "sky" in self.colours:
            p["top"] = _mix(p["top"], self.colours["sky"], 0.6)
            p["mid"] = _mix(p["mid"], self.colours["sky"], 0.6)
            p["horizon"] = _mix(p["horizon"], self.colours["sky"], 0.3)
        if "light" in self.colours:
            p["horizon"] = _mix(p["horizon"], self.colours["light"], 0.55)
            p["mid"] = _mix(p["mid"], self.colours["light"], 0.25)
            if p.get("sun"):
                p["sun"] = _mix(p["sun"], self.colours["light"], 0.4)
        if "accent" in self.colours and self.tod != "space":
            p["horizon"] = _mix(p["horizon"], self.colours["accent"], 0.3)
            p["mid"] = _mix(p["mid"], self.colours["accent"], 0.2)
        if "rain" in plan.weather:
            for key in ("top", "mid", "horizon"):
                g = sum(p[key]) / 3.0
                p[key] = _mix(p[key], (g * 0.9, g * 0.92, g), 0.6)
            p["sun"] = None
            p["moon"] = None
        self.layers.append("sky")
        self.sky = self._sky()
        stars = self.tod in ("night", "space") or ("stars" in plan.elements and self.tod == "dusk")
        if "spinning" in plan.motion and p.get("sun") and self.tod != "space":
            self._rays()
        if stars:
            self._stars()
        if self.tod == "space":
            self._planet()
        clouds = self.tod != "space" and (self.tod != "night" or "clouds" in plan.elements
                                          or "rain" in plan.weather)
        if clouds:
            self._clouds()
        if self.tod != "space":
            self._terrain()
        if "birds" in plan.elements or ("flying" in plan.motion and self.tod != "space"
                                        and plan.camera_source == "prompt"):
            self._birds()
        if "fire" in plan.elements:
            self._fire()
        if "rain" in plan.weather:
            self._rain()
        if "snow" in plan.weather:
            self._snowfall()
        if "fog" in plan.weather:
            self._fog()
        if "lightning" in plan.weather:
            self._lightning()

    def _sky(self) -> "np.ndarray":
        import numpy as np

        w, h, p = self.w, self.h, self.preset
        hz = max(1, self.horizon)
        y = np.arange(h, dtype=np.float32)
        t = np.clip(y / hz, 0, 1)
        top, mid, hor = (np.array(p[k], np.float32) for k in ("top", "mid", "horizon"))
        a = np.clip(t / 0.6, 0, 1)[:, None]
        b = np.clip((t - 0.6) / 0.4, 0, 1)[:, None]
        rows = np.where((t < 0.6)[:, None], top + (mid - top) * a, mid + (hor - mid) * (b ** 0.8))
        sky = np.repeat(rows[:, None, :], w, axis=1).astype(np.float32)
        if self.tod == "space":
            rng = self.rng(11)
            neb = _noise2d(rng, h, w, 2.5, octaves=5, persistence=0.55)
            c1 = np.array(self.colours.get("nebula", (120, 50, 170)), np.float32)
            c2 = np.array(self.colours.get("accent", (30, 120, 160)), np.float32)
            mix = _noise2d(rng, h, w, 1.5, octaves=2)[:, :, None]
            dens = (np.clip(neb - 0.45, 0, 1) / 0.55) ** 1.6
            sky += dens[:, :, None] * (c1 + (c2 - c1) * mix) * 0.8
            self.layers.append("nebula")
        sun = p.get("sun")
        moon = p.get("moon")
        xs = np.arange(w, dtype=np.float32)[None, :]
        ys = y[:, None]
        if sun is not None or moon is not None:
            self.sun_xy = (0.62 * w, p.get("sun_y", 0.3) * hz if sun is not None else 0.28 * h)
            sx, sy = self.sun_xy
            d = np.sqrt((xs - sx) ** 2 + (ys - sy) ** 2)
            if sun is not None:
                r = p["sun_r"] * h * (1.0 if "sun" not in self.colours else 1.1)
                col = np.array(sun, np.float32)
                glow = p["glow"] * (0.55 * np.exp(-(d / (0.22 * h)) ** 2)
                                    + 0.35 * np.exp(-(d / (0.7 * h)) ** 2))
                sky += glow[:, :, None] * (col - sky * 0.4) * 0.6
                disc = np.clip(r - d + 0.5, 0, 1)[:, :, None]
                sky += (col - sky) * disc
                self.layers.append("sun")
            else:
                r = 0.04 * h
                col = np.array(moon, np.float32)
                glow = 0.25 * np.exp(-(d / (0.12 * h)) ** 2)
                sky += glow[:, :, None] * col * 0.5
                disc = np.clip(r - d + 0.5, 0, 1)[:, :, None]
                spot = ((xs - sx + 0.3 * r) ** 2 + (ys - sy - 0.2 * r) ** 2) / (0.25 * r * r)
                crater = 1.0 - 0.12 * np.clip(1 - spot, 0, 1)
                sky += (col * crater[:, :, None] - sky) * disc
                self.layers.append("moon")
        else:
            self.sun_xy = None
        return sky

    def _rays(self) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        sx, sy = self.sun_xy
        w2, h2 = max(8, w // 2), max(8, h // 2)
        xs = (np.arange(w2, dtype=np.float32)[None, :] + 0.5) * (w / w2)
        ys = (np.arange(h2, dtype=np.float32)[:, None] + 0.5) * (h / h2)
        ang = np.arctan2(ys - sy, xs - sx)
        dist = np.sqrt((xs - sx) ** 2 + (ys - sy) ** 2)
        fall = np.exp(-dist / (0.45 * h)) * np.clip((dist - 0.05 * h) / (0.05 * h), 0, 1)
        fall *= (ys < self.horizon)
        col = np.array(self.preset["sun"], np.float32)
        omega = 0.35 * self.speed

        def draw(frame: "np.ndarray", i: int) -> None:
            spokes = (0.5 + 0.5 * np.cos(12.0 * (ang - omega * self.t[i]))) ** 4
            rays = (spokes * fall * 0.3).astype(np.float32)
            frame += cv2.resize(rays, (w, h), interpolation=cv2.INTER_LINEAR)[:, :, None] * col * 0.6

        self.ops.append(("dyn", draw))
        self.layers.append("rotating sun rays")

    def _stars(self) -> None:
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(12)
        area = w * (h if self.tod == "space" else self.horizon)
        count = max(12, int((0.0025 if self.tod == "space" else 0.0013) * area))
        reach = 1.5 if "spinning" in self.plan.motion else 1.0
        xs0 = rng.uniform(-(reach - 1) * w / 2, w + (reach - 1) * w / 2, count).astype(np.float32)
        bottom = h if self.tod == "space" else self.horizon * 0.95
        ys0 = rng.uniform(-(reach - 1) * h / 2, bottom + (reach - 1) * h / 2, count).astype(np.float32)
        bright = (rng.random(count) ** 2.5 * 0.85 + 0.15).astype(np.float32)
        tint = np.stack([rng.uniform(0.85, 1.0, count), rng.uniform(0.88, 1.0, count),
                         np.ones(count)], 1).astype(np.float32)
        phase = rng.uniform(0, 2 * np.pi, count)
        freq = rng.uniform(1.5, 4.0, count)
        spin = "spinning" in self.plan.motion
        cx, cy = 0.5 * w, (0.45 * h if self.tod == "space" else 0.15 * h)
        omega = 0.12 * self.speed
        limit = h if self.tod == "space" else self.horizon

        def draw(frame: "np.ndarray", i: int) -> None:
            t = self.t[i]
            x, y = xs0 - self.scroll(0.03, i), ys0
            if spin:
                c, s = math.cos(omega * t), math.sin(omega * t)
                x, y = cx + c * (x - cx) - s * (y - cy), cy + s * (x - cx) + c * (y - cy)
            xi, yi = np.rint(x).astype(np.int32), np.rint(y).astype(np.int32)
            ok = (xi >= 1) & (xi < w - 1) & (yi >= 1) & (yi < limit - 1)
            b = bright * (0.7 + 0.3 * np.sin(freq * t * 2 * np.pi / 2 + phase)).astype(np.float32)
            val = (255.0 * b[:, None] * tint)[ok]
            xi, yi = xi[ok], yi[ok]
            np.maximum.at(frame, (yi, xi), val)
            big = b[ok] > 0.6
            for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
                np.maximum.at(frame, (yi[big] + dy, xi[big] + dx), val[big] * 0.45)

        self.ops.append(("dyn", draw))
        self.layers.append("stars")

    def _planet(self) -> None:
        import numpy as np

        w, h = self.w, self.h
        depth = 0.12
        margin = self.max_scroll(depth)
        wc = w + 2 * margin
        r = 0.24 * h
        cx, cy = margin + 0.7 * w, 0.62 * h
        xs = np.arange(wc, dtype=np.float32)[None, :]
        ys = np.arange(h, dtype=np.float32)[:, None]
        d = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2)
        base = np.array(self.colours.get("planet", (205, 140, 90)), np.float32)
        bands = _noise2d(self.rng(13), h, wc, 8, octaves=3, aspect=6.0)
        lit = np.clip(1.0 - ((xs - cx + 0.45 * r) ** 2 + (ys - cy + 0.45 * r) ** 2) / (2.2 * r * r), 0.05, 1)
        rgb = base * (0.75 + 0.5 * bands[:, :, None]) * lit[:, :, None]
        alpha = np.clip(r - d + 0.5, 0, 1)
        atmo = np.exp(-((d - r) / (0.05 * h)) ** 2) * (d > r - 2)
        rgb = np.where((alpha > 0)[:, :, None], rgb, base * 1.2)
        alpha = np.maximum(alpha, atmo * 0.35)
        self.ops.append(("static", self.canvas_from(rgb, alpha, depth, margin, "planet")))
        self.layers.append("planet")

    def _clouds(self) -> None:
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(14)
        cover = 0.42
        if "clouds" in self.plan.elements:
            cover = 0.58
        if "rain" in self.plan.weather:
            cover = 0.85
        if self.tod == "night":
            cover *= 0.7
        speed = 0.035 * w * self.speed / self.fps  # pixels per frame
        depth = 0.08
        margin = self.max_scroll(depth)
        drift = int(math.ceil(speed * self.n)) + 2
        wc = w + 2 * margin + drift
        hc = max(8, int(self.horizon * 0.95))
        n2 = _noise2d(rng, hc, wc, 3.0, octaves=5, aspect=2.2)
        thr = 1.0 - cover
        alpha = np.clip((n2 - thr) / 0.22, 0, 1) ** 1.3
        fade = np.clip((hc - np.arange(hc, dtype=np.float32)) / (0.25 * hc), 0, 1)[:, None]
        alpha = alpha * (0.35 + 0.65 * fade) * (0.9 if "rain" not in self.plan.weather else 1.0)
        lightc = {"day": (250, 250, 252), "sunrise": (255, 220, 215), "sunset": (255, 185, 150),
                  "dusk": (150, 130, 170), "night": (60, 66, 92)}[self.tod]
        darkc = {"day": (170, 178, 195), "sunrise": (170, 130, 160), "sunset": (120, 70, 110),
                 "dusk": (70, 60, 100), "night": (25, 30, 48)}[self.tod]
        if "rain" in self.plan.weather:
            lightc, darkc = _mul(lightc, (0.75, 0.76, 0.8)), _mul(darkc, (0.7, 0.72, 0.78))
        lightc = self.colour("clouds", lightc, 0.5)
        shade = np.clip(n2 - 0.15 * np.roll(n2, -4, axis=0), 0, 1)[:, :, None]
        rgb = np.array(darkc, np.float32) + (np.array(lightc, np.float32) - np.array(darkc, np.float32)) * \
            np.clip((shade - thr) / max(1 - thr, 1e-3), 0, 1) ** 0.7
        full_a = np.zeros((h, wc), np.float32)
        full_a[:hc] = alpha
        full_rgb = np.zeros((h, wc, 3), np.float32)
        full_rgb[:hc] = rgb
        canvas = self.canvas_from(full_rgb, full_a, depth, margin, "clouds")

        def offset(i: int) -> float:
            return self.scroll(depth, i) + drift - speed * i  # clouds drift to the right

        self.ops.append(("scroll", (canvas, offset)))
        self.layers.append("clouds")

    # ---------------------------------------------------------------- terrain
    def _fill(self, top: "np.ndarray", col_top: Sequence[float], col_bot: Sequence[float], rng: Any, *,
              texture: float = 0.08, slope: float = 0.0, snow_line: float | None = None,
              snow_col: Sequence[float] = (236, 240, 248)) -> tuple["np.ndarray", "np.ndarray"]:
        import numpy as np

        h = self.h
        wc = len(top)
        ys = np.arange(h, dtype=np.float32)[:, None]
        alpha = np.clip(ys - top[None, :] + 0.5, 0, 1)
        ymin = float(top.min())
        tt = np.clip((ys - ymin) / max(h - ymin, 1), 0, 1)
        ct, cb = np.array(col_top, np.float32), np.array(col_bot, np.float32)
        rgb = ct + (cb - ct) * tt[:, :, None]
        if texture:
            tex = _noise2d(rng, h, wc, 18 * self.h / 360, octaves=3, persistence=0.6)
            rgb = rgb * (1.0 + texture * (tex[:, :, None] - 0.5) * 2)
        if slope:
            import cv2

            smooth = cv2.GaussianBlur(top.astype(np.float32)[None, :], (0, 0), max(1.0, 0.012 * h))[0]
            grad = np.gradient(smooth)
            lit = np.clip(-grad * 2.5, -1, 1)[None, :]
            weight = np.exp(-np.clip(ys - top[None, :], 0, None) / (0.07 * h))
            rgb = rgb * (1.0 + slope * (lit * weight)[:, :, None])
        if snow_line is not None:
            sn_noise = _noise2d(rng, h, wc, 10, octaves=3)
            sn = np.clip((snow_line - ys + (sn_noise - 0.5) * 0.06 * h) / (0.015 * h), 0, 1)
            rgb = rgb + (np.array(self.shade(snow_col, 1.0), np.float32) - rgb) * sn[:, :, None]
        return rgb, alpha

    def _ridge(self, rng: Any, wc: int, base: float, amp: float, cells: float, octaves: int,
               ridged: bool) -> "np.ndarray":
        import numpy as np

        prof = _noise1d(rng, wc, cells * wc / self.w, octaves)
        if ridged:
            prof = 1.0 - np.abs(2.0 * prof - 1.0)
            prof = prof ** 1.4
        return (base - amp * prof).astype(np.float32)

    def _terrain(self) -> None:
        sc, h, hz = self.scenes, self.h, self.horizon
        snowy = "snow" in sc
        rock = self.colour("terrain", (105, 108, 122))
        grass = self.colour("vegetation", (72, 128, 58))
        if snowy:
            grass = _mix(grass, (232, 238, 246), 0.85)
        sand = self.colour("sand", (226, 186, 128))
        parts: list[tuple[float, Callable[[], None]]] = []
        # What covers the ground, nearest first: water, else dunes, else (snowy) hills; a city or
        # mountains alone fill the bottom of the frame themselves.
        water = "ocean" in sc
        dunes = "desert" in sc and not water
        hills = not water and not dunes and bool(sc & {"forest", "countryside", "snow"}
                                                 or not sc & {"city", "mountains"})
        has_ground = water or dunes or hills
        if "mountains" in sc or (snowy and not sc & {"desert", "city", "ocean"}):
            parts.append((0.15, lambda: self._mountain(0.15, hz, 0.34 * h, rock, snow=True)))
            if not water:
                near_base = hz + 0.1 * h if has_ground else h + 2
                parts.append((0.3, lambda: self._mountain(0.3, near_base, 0.2 * h + (near_base - hz),
                                                          rock, snow=snowy,
                                                          fill_to_bottom=not has_ground)))
        if "city" in sc:
            if has_ground:
                parts.append((0.35, lambda: self._skyline(0.35, hz + 1, 0.1 * h, 0.3 * h, far=True)))
            else:
                parts.append((0.35, lambda: self._skyline(0.35, hz + 0.04 * h, 0.12 * h, 0.32 * h,
                                                          far=True)))
                parts.append((0.65, lambda: self._skyline(0.65, h + 1, 0.3 * h, 0.62 * h, far=False)))
        if dunes:
            for j, (d, base, amp) in enumerate(((0.3, hz + 0.02 * h, 0.08 * h),
                                                (0.55, hz + 0.16 * h, 0.12 * h),
                                                (0.9, hz + 0.32 * h, 0.14 * h))):
                parts.append((d, (lambda d=d, base=base, amp=amp, j=j:
                                  self._dunes(d, base, amp, sand, j))))
        if hills:
            parts.append((0.4, lambda: self._hills(0.4, hz, 0.06 * h, grass, 0)))
            parts.append((0.75, lambda: self._hills(0.75, hz + 0.14 * h, 0.08 * h, grass, 2)))
            if "forest" in sc:
                parts.append((0.45, lambda: self._trees(0.45, hz + 0.02 * h, 0.05 * h, 0.09 * h, 5.0, 1)))
                parts.append((0.85, lambda: self._trees(0.85, hz + 0.22 * h, 0.14 * h, 0.3 * h, 11.0, 3)))
        elif "forest" in sc:  # a wooded far shore
            parts.append((0.35, lambda: self._hills(0.35, hz + 1, 0.025 * h, grass, 4)))
            parts.append((0.4, lambda: self._trees(0.4, hz + 1, 0.04 * h, 0.1 * h, 16.0, 1)))
        if water:
            parts.append((0.9, self._water))
            if re.search(r"\b(beach|shore|coast|sand)", self.plan.prompt.lower()):
                parts.append((1.0, lambda: self._beach(1.0, sand)))
        for _depth, build in sorted(parts, key=lambda p: p[0]):
            build()

    def _mountain(self, depth: float, base: float, amp: float, rock: Sequence[float], *, snow: bool,
                  fill_to_bottom: bool = False) -> None:
        margin = self.max_scroll(depth)
        wc = self.w + 2 * margin
        rng = self.rng(20 + int(depth * 100))
        top = self._ridge(rng, wc, base, amp, 2.2, 6, ridged=True)
        c = self.shade(rock, depth)
        if fill_to_bottom:
            cb = self.shade(_mix(rock, (60, 90, 55), 0.6), depth)
        else:
            cb = self.shade(rock, depth * 0.8)
        snow_line = float(top.min()) + 0.3 * amp if snow else None
        rgb, alpha = self._fill(top, c, cb, rng, texture=0.1, slope=0.3, snow_line=snow_line)
        self.ops.append(("static", self.canvas_from(rgb, alpha, depth, margin, "mountains")))
        if "mountains" not in self.layers:
            self.layers.append("mountains")

    def _hills(self, depth: float, base: float, amp: float, grass: Sequence[float], part: int) -> None:
        margin = self.max_scroll(depth)
        wc = self.w + 2 * margin
        rng = self.rng(30 + part)
        top = self._ridge(rng, wc, base, amp, 1.2, 3, ridged=False)
        rgb, alpha = self._fill(top, self.shade(grass, depth), self.shade(_mul(grass, (0.7, 0.75, 0.7)), depth),
                                rng, texture=0.12, slope=0.2)
        self.ops.append(("static", self.canvas_from(rgb, alpha, depth, margin, "hills")))
        self._hill_tops[round(depth, 2)] = (top, margin)
        if "hills" not in self.layers:
            self.layers.append("hills")

    def _trees(self, depth: float, base: float, hmin: float, hmax: float, per_width: float,
               part: int) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        margin = self.max_scroll(depth)
        wc = w + 2 * margin
        rng = self.rng(40 + part)
        rgb = np.zeros((h, wc, 3), np.uint8)
        alpha = np.zeros((h, wc), np.uint8)
        tree = self.colour("vegetation", (34, 78, 42))
        if "snow" in self.scenes:
            tree = _mix(tree, (40, 60, 60), 0.3)
        count = int(per_width * wc / w * 3)
        xs = np.sort(rng.uniform(0, wc, count))
        # Ground line: the hills layer just behind, when there is one.
        behind = [k for k in self._hill_tops if k <= depth + 1e-6]
        ground = self._hill_tops[max(behind)] if behind else None
        for x in xs:
            th = rng.uniform(hmin, hmax)
            if ground is not None:
                top, m2 = ground
                gx = int(np.clip(x - margin + m2, 0, len(top) - 1))
                by = float(top[gx]) + rng.uniform(0.01, 0.05) * h
            else:
                by = base + rng.uniform(-0.02, 0.04) * h
            tw = th * rng.uniform(0.32, 0.42)
            c = self.shade(_mul(tree, (rng.uniform(0.75, 1.2),) * 3), depth)
            col = tuple(int(np.clip(v, 0, 255)) for v in c)
            trunk = np.array([[x - tw * 0.06, by], [x + tw * 0.06, by], [x + tw * 0.06, by - th * 0.2],
                              [x - tw * 0.06, by - th * 0.2]])
            polys = [trunk]
            for lvl in range(3):
                y_base = by - th * (0.12 + 0.26 * lvl)
                half = tw * (0.5 - 0.12 * lvl)
                polys.append(np.array([[x - half, y_base], [x + half, y_base], [x, y_base - th * 0.45]]))
            pts = [np.round(p * 16).astype(np.int32) for p in polys]
            cv2.fillPoly(rgb, pts[:1], tuple(int(v * 0.6) for v in col), cv2.LINE_AA, shift=4)
            cv2.fillPoly(rgb, pts[1:], col, cv2.LINE_AA, shift=4)
            cv2.fillPoly(alpha, pts, 255, cv2.LINE_AA, shift=4)
        self.ops.append(("static", self.canvas_from(rgb.astype(np.float32), alpha.astype(np.float32) / 255.0,
                                                    depth, margin, "trees")))
        if "trees" not in self.layers:
            self.layers.append("trees")

    def _dunes(self, depth: float, base: float, amp: float, sand: Sequence[float], part: int) -> None:
        margin = self.max_scroll(depth)
        wc = self.w + 2 * margin
        rng = self.rng(50 + part)
        top = self._ridge(rng, wc, base, amp, 1.0 + 0.4 * part, 3, ridged=False)
        c = self.shade(sand, depth)
        rgb, alpha = self._fill(top, c, _mul(c, (0.85, 0.8, 0.75)), rng, texture=0.05, slope=0.45)
        self.ops.append(("static", self.canvas_from(rgb, alpha, depth, margin, "dunes")))
        if "dunes" not in self.layers:
            self.layers.append("dunes")

    def _beach(self, depth: float, sand: Sequence[float]) -> None:
        margin = self.max_scroll(depth)
        wc = self.w + 2 * margin
        rng = self.rng(60)
        top = self._ridge(rng, wc, self.h - 0.1 * self.h, 0.06 * self.h, 1.0, 3, ridged=False)
        c = self.shade(sand, depth)
        rgb, alpha = self._fill(top, c, _mul(c, (0.9, 0.86, 0.8)), rng, texture=0.06)
        self.ops.append(("static", self.canvas_from(rgb, alpha, depth, margin, "beach")))
        self.layers.append("beach")

    def _skyline(self, depth: float, base: float, hmin: float, hmax: float, *, far: bool) -> None:
        import numpy as np

        w, h = self.w, self.h
        margin = self.max_scroll(depth)
        wc = w + 2 * margin
        rng = self.rng(70 + int(far))
        rgb = np.zeros((h, wc, 3), np.float32)
        alpha = np.zeros((h, wc), np.float32)
        body = self.colour("buildings", (72, 80, 98))
        lit_col = np.array(self.colour("lights", (255, 208, 120), 0.85), np.float32)
        night = self.tod in ("night", "dusk")
        p_lit = {"night": 0.42, "dusk": 0.3, "sunset": 0.12}.get(self.tod, 0.0)
        b = min(h, int(round(base)))
        x = 0
        k = self.k
        while x < wc:
            bw = int(rng.uniform(0.035, 0.09) * w)
            bh = rng.uniform(hmin, hmax)
            top = max(0, int(round(base - bh)))
            c = np.array(self.shade(_mul(body, (rng.uniform(0.8, 1.15),) * 3), depth), np.float32)
            x1 = min(wc, x + bw)
            rgb[top:b, x:x1] = c
            alpha[top:b, x:x1] = 1.0
            if rng.random() < 0.15 and bh > 0.6 * hmax:  # antenna
                ax = x + bw // 2
                rgb[max(0, top - int(0.04 * h)):top, ax:ax + 1] = c
                alpha[max(0, top - int(0.04 * h)):top, ax:ax + 1] = 1.0
            cw, ch = max(3, int(round((5 if far else 8) * k))), max(4, int(round((7 if far else 11) * k)))
            if x1 - x > 2 * cw and b - top > 2 * ch:
                yy, xx = np.mgrid[top:b, x:x1]
                cell_x, cell_y = (xx - x - 2) // cw, (yy - top - 3) // ch
                win = (((xx - x - 2) % cw) < max(1, cw // 2)) & (((yy - top - 3) % ch) < max(2, ch // 2)) \
                    & (xx < x1 - 2) & (yy < b - 2) & (cell_x >= 0) & (cell_y >= 0)
                grid = rng.random((int(cell_y.max()) + 2, int(cell_x.max()) + 2))
                if night or p_lit > 0:
                    lit = grid[np.clip(cell_y, 0, None), np.clip(cell_x, 0, None)] < p_lit
                    sel = win & lit
                    rgb[top:b, x:x1][sel] = lit_col * (0.85 if far else 1.0)
                else:
                    refl = np.array(_mix(c, self.preset["horizon"], 0.45), np.float32)
                    sel = win & (grid[np.clip(cell_y, 0, None), np.clip(cell_x, 0, None)] < 0.7)
                    rgb[top:b, x:x1][sel] = refl
            x = x1 + int(rng.uniform(0.0, 0.012) * w)
        self.ops.append(("static", self.canvas_from(rgb, alpha, depth, margin, "buildings")))
        if "buildings" not in self.layers:
            self.layers.append("buildings")

    def _water(self) -> None:
        import cv2
        import numpy as np

        w, h, hz = self.w, self.h, self.horizon
        bh = h - hz
        if bh < 2:
            return
        w2, h2 = max(8, w // 2), max(2, bh // 2)
        d = ((np.arange(h2, dtype=np.float32) + 0.5) / h2)[:, None]
        z = 1.0 / (d + 0.035)
        deep = np.array(self.shade(self.colour("water", (16, 58, 104)), 1.0), np.float32)
        far = np.array(_mix(self.preset["horizon"], self.shade(self.colour("water", (70, 120, 160)), 0.5), 0.45),
                       np.float32)
        base = (far + (deep - far) * (d ** 0.55)[:, :, None]).astype(np.float32)
        amp = (np.clip(d * 6.0, 0, 1) * 0.16).astype(np.float32)
        xs = ((np.arange(w2, dtype=np.float32) + 0.5) / w2 - 0.5)[None, :]
        glint = None
        if self.sun_xy is not None:
            sx = self.sun_xy[0] / w - 0.5
            widthx = 0.02 + 0.12 * d
            glint = np.exp(-((xs - sx) / widthx) ** 2).astype(np.float32)
            src = self.preset.get("sun") or self.preset.get("moon")
            gcol = np.array(src, np.float32) * (1.0 if self.preset.get("sun") else 0.6)
        sky_ref = np.array(self.preset["mid"], np.float32)
        speed = 1.0 + 0.5 * (self.speed - 1.0) / 6.0

        def draw(frame: "np.ndarray", i: int) -> None:
            t = self.t[i] * speed
            x = xs + self.scroll(1.0, i) / w
            xz = x * z
            waves = (np.sin(z * 4.0 + xz * 3.0 + t * 2.2) + 0.6 * np.sin(z * 7.3 - xz * 5.0 + t * 2.9 + 1.3)
                     + 0.35 * np.sin(z * 13.0 + xz * 11.0 + t * 3.7 + 0.4)) / 1.95
            col = base * (1.0 + amp * waves)[:, :, None]
            crest = np.clip(waves - 0.45, 0, 1)
            col += (crest * amp * 1.6)[:, :, None] * (sky_ref - base * 0.5)
            if glint is not None:
                col += (glint * np.clip(waves + 0.1, 0, 1) * (0.35 + 0.65 * d))[:, :, None] * gcol * 0.55
            frame[hz:] = cv2.resize(col.astype(np.float32), (w, bh), interpolation=cv2.INTER_LINEAR)

        self.ops.append(("dyn", draw))
        self.layers.append("ocean")

    # ---------------------------------------------------------------- overlays
    def _birds(self) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(80)
        count = int(rng.integers(6, 10))
        x0 = rng.uniform(-0.3, 0.7, count) * w
        y0 = rng.uniform(0.18, 0.6, count) * self.horizon
        v = rng.uniform(0.12, 0.22, count) * w
        size = rng.uniform(4, 8, count) * self.k
        freq = rng.uniform(2.2, 3.5, count)
        phase = rng.uniform(0, 2 * np.pi, count)
        col = np.array((22, 22, 30) if self.tod != "night" else (10, 10, 16), np.float32)
        mask = np.zeros((h, w), np.uint8)

        def draw(frame: "np.ndarray", i: int) -> None:
            t = self.t[i]
            mask[:] = 0
            polys = []
            for b in range(count):
                x = (x0[b] + v[b] * t + 0.3 * w) % (1.6 * w) - 0.3 * w - self.scroll(0.2, i)
                y = y0[b] + 3 * self.k * math.sin(0.8 * t + phase[b])
                flap = 0.7 * math.sin(2 * math.pi * freq[b] * t + phase[b])
                s = size[b]
                polys.append(np.array([[x - s, y - s * flap], [x - s * 0.35, y - s * 0.15],
                                       [x, y + s * 0.1], [x + s * 0.35, y - s * 0.15], [x + s, y - s * flap]]))
            pts = [np.round(p * 16).astype(np.int32) for p in polys]
            cv2.polylines(mask, pts, False, 255, max(1, int(round(1.3 * self.k))), cv2.LINE_AA, shift=4)
            _paint(frame, mask, col, 1.0)

        self.ops.append(("dyn", draw))
        self.layers.append("birds")

    def _fire(self) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(90)
        bh = int(0.45 * h)
        w2, h2 = max(8, w // 2), max(8, bh // 2)
        rise = 0.55 * h / self.fps / 2 * (1.0 + 0.2 * (self.speed - 1))
        total = int(math.ceil(rise * self.n)) + h2 + 2
        noise = _noise2d(rng, total, w2, 6.0 * total / h2, octaves=4, persistence=0.55, aspect=0.45)
        env = 0.55 + 0.45 * _noise1d(rng, w2, 5, 3)
        vprof = (np.linspace(0, 1, h2, dtype=np.float32) ** 1.2)[:, None]
        stops = [(0.0, (0, 0, 0)), (0.3, (150, 25, 0)), (0.55, (245, 105, 10)), (0.8, (255, 200, 60)),
                 (1.0, (255, 250, 225))]
        if "fire" in self.colours:
            c = self.colours["fire"]
            stops = [(0.0, (0, 0, 0)), (0.3, _mul(c, (0.5, 0.5, 0.5))), (0.6, c),
                     (0.85, _mix(c, (255, 255, 255), 0.5)), (1.0, (255, 255, 250))]
        xs = np.linspace(0, 1, 256)
        lut = np.stack([np.interp(xs, [s[0] for s in stops], [s[1][ch] for s in stops]) for ch in range(3)],
                       axis=1).astype(np.float32)
        flicker = 1.0 + 0.12 * np.sin(self.t * 11.0) * np.sin(self.t * 5.3 + 1.0)
        glow_col = np.array(lut[200], np.float32)
        gy = np.clip((np.arange(h, dtype=np.float32) - 0.3 * h) / (0.7 * h), 0, 1)[:, None, None]

        def draw(frame: "np.ndarray", i: int) -> None:
            s = int(round(total - h2 - rise * i)) - 1
            s = max(0, min(total - h2, s))
            inten = noise[s:s + h2] * vprof * env[None, :] * (1.9 * flicker[i]) - 0.5
            idx = np.clip(inten * 255, 0, 255).astype(np.uint8)
            col = lut[idx]
            frame[h - bh:] += cv2.resize(col, (w, bh), interpolation=cv2.INTER_LINEAR)
            frame += gy * glow_col * (0.1 * flicker[i])

        self.ops.append(("dyn", draw))
        self.layers.append("fire")

    def _rain(self) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(100)
        count = max(12, int(0.0009 * w * h))
        slant = 0.18
        x0 = rng.uniform(-slant * h, w, count)
        y0 = rng.uniform(0, h, count)
        v = rng.uniform(1.1, 1.6, count) * h / self.fps
        length = rng.uniform(0.035, 0.07, count) * h
        bright = rng.random(count) < 0.5
        mask = np.zeros((h, w), np.uint8)
        col = np.array((200, 205, 215), np.float32)

        def draw(frame: "np.ndarray", i: int) -> None:
            mask[:] = 0
            y = (y0 + v * i) % (h + length) - length
            x = x0 + slant * y
            for sel, val in ((bright, 190), (~bright, 110)):
                segs = np.stack([np.stack([x[sel], y[sel]], 1), np.stack([x[sel] + slant * length[sel],
                                                                          y[sel] + length[sel]], 1)], 1)
                cv2.polylines(mask, list(np.round(segs * 16).astype(np.int32)), False, val, 1,
                              cv2.LINE_AA, shift=4)
            _paint(frame, mask, col, 0.6)

        self.ops.append(("dyn", draw))
        self.layers.append("rain")

    def _snowfall(self) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(110)
        count = max(12, int(0.0011 * w * h))
        x0 = rng.uniform(0, w, count)
        y0 = rng.uniform(0, h, count)
        r = rng.uniform(0.8, 2.4, count) * self.k
        v = (0.06 + 0.1 * r / r.max()) * h / self.fps
        drift = 0.02 * w / self.fps * self.speed
        sway = rng.uniform(2, 8, count) * self.k
        ph = rng.uniform(0, 2 * np.pi, count)
        mask = np.zeros((h, w), np.uint8)
        col = np.array((245, 248, 255), np.float32)

        def draw(frame: "np.ndarray", i: int) -> None:
            mask[:] = 0
            t = self.t[i]
            y = (y0 + v * i) % (h + 6) - 3
            x = (x0 + drift * i + sway * np.sin(1.3 * t + ph) - self.scroll(0.6, i)) % (w + 6) - 3
            fixed = zip(np.round(x * 16).astype(int), np.round(y * 16).astype(int),
                        np.round(r * 16).astype(int), strict=True)
            for xx, yy, rr in fixed:
                cv2.circle(mask, (int(xx), int(yy)), int(rr), 230, -1, cv2.LINE_AA, shift=4)
            _paint(frame, mask, col, 1.0)

        self.ops.append(("dyn", draw))
        self.layers.append("snowfall")

    def _fog(self) -> None:
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(120)
        speed = 0.02 * w / self.fps * self.speed
        drift = int(math.ceil(speed * self.n)) + 2
        noise = _noise2d(rng, h, w + drift, 1.6, octaves=3, aspect=2.5)
        ys = np.arange(h, dtype=np.float32)[:, None]
        prof = 0.3 + 0.6 * np.exp(-((ys - self.horizon) / (0.22 * h)) ** 2)
        alpha = (prof * (0.45 + 0.55 * noise) * 0.75).astype(np.float32)
        alpha3 = np.ascontiguousarray(np.repeat(alpha[:, :, None], 3, axis=2))
        col = np.array(_mix(self.preset["horizon"], (200, 205, 210), 0.5), np.float32)

        def draw(frame: "np.ndarray", i: int) -> None:
            x = int(round(speed * i))
            _mix_towards(frame, col, alpha3[:, x:x + w])

        self.ops.append(("dyn", draw))
        self.layers.append("fog")

    def _lightning(self) -> None:
        import cv2
        import numpy as np

        w, h = self.w, self.h
        rng = self.rng(130)
        flashes = sorted(int(x) for x in rng.uniform(0.15, 0.85, 2 if self.n > 40 else 1) * self.n)
        bolts = {}
        for f in flashes:
            x, y = rng.uniform(0.2, 0.8) * w, 0.0
            pts = [(x, y)]
            while y < self.horizon * 0.9:
                y += rng.uniform(0.03, 0.07) * h
                x += rng.normal(0, 0.025) * w
                pts.append((x, y))
            bolts[f] = np.round(np.array(pts) * 16).astype(np.int32)
        mask = np.zeros((h, w), np.uint8)

        def draw(frame: "np.ndarray", i: int) -> None:
            for f in flashes:
                if f <= i < f + 4:
                    decay = 0.5 ** (i - f)
                    frame += 70.0 * decay
                    if i - f < 2:
                        mask[:] = 0
                        cv2.polylines(mask, [bolts[f]], False, 255, max(1, int(2 * self.k)),
                                      cv2.LINE_AA, shift=4)
                        _paint(frame, mask, np.array((255.0, 255.0, 255.0), np.float32), 1.0)

        self.ops.append(("dyn", draw))
        self.layers.append("lightning")

    # ---------------------------------------------------------------- frames
    def _compile(self) -> list[tuple[str, Any]]:
        """Merge consecutive static canvases when nothing scrolls (one blend per frame instead of many)."""
        import numpy as np

        if abs(self.pan_px) > 1e-9 or abs(self.orbit_px) > 1e-9:
            return self.ops
        w = self.w
        out: list[tuple[str, Any]] = []
        for kind, item in self.ops:
            if kind != "static":
                out.append((kind, item))
                continue
            cut = slice(item.margin, item.margin + w)
            item = _Canvas(np.ascontiguousarray(item.pm[:, cut]), np.ascontiguousarray(item.inv[:, cut]),
                           item.y0, item.depth, 0, item.name)
            if out and out[-1][0] == "static":
                prev: _Canvas = out[-1][1]
                y0 = min(prev.y0, item.y0)
                y1 = max(prev.y0 + len(prev.pm), item.y0 + len(item.pm))

                def full(c: _Canvas, y0: int = y0, y1: int = y1) -> tuple["np.ndarray", "np.ndarray"]:
                    pm = np.zeros((y1 - y0, w, 3), np.float32)
                    inv = np.ones((y1 - y0, w, 3), np.float32)
                    pm[c.y0 - y0:c.y0 - y0 + len(c.pm)] = c.pm
                    inv[c.y0 - y0:c.y0 - y0 + len(c.inv)] = c.inv
                    return pm, inv

                (pm0, inv0), (pm1, inv1) = full(prev), full(item)
                out[-1] = ("static", _Canvas(pm1 + pm0 * inv1, inv0 * inv1, y0, item.depth, 0, "merged"))
            else:
                out.append(("static", item))
        return out

    def _blend(self, frame: "np.ndarray", canvas: _Canvas, offset: float) -> None:
        import cv2

        w = self.w
        x = canvas.margin + offset
        xi = int(math.floor(x))
        f = x - xi
        limit = canvas.pm.shape[1] - w - 1
        if xi < 0 or xi > limit:  # cannot happen with the margins; stay inside the canvas
            xi, f = max(0, min(limit, xi)), 0.0
        if f < 0.01 or f > 0.99:
            xi += int(f > 0.5)
            pm, inv = canvas.pm[:, xi:xi + w], canvas.inv[:, xi:xi + w]
        else:  # sub-pixel scroll: linear interpolation of two integer crops
            pm = cv2.addWeighted(canvas.pm[:, xi:xi + w], 1.0 - f, canvas.pm[:, xi + 1:xi + 1 + w], f, 0.0)
            inv = cv2.addWeighted(canvas.inv[:, xi:xi + w], 1.0 - f, canvas.inv[:, xi + 1:xi + 1 + w], f, 0.0)
        dst = frame[canvas.y0:canvas.y0 + len(pm)]
        cv2.multiply(dst, inv, dst=dst)
        cv2.add(dst, pm, dst=dst)

    def render(self) -> "np.ndarray":
        import cv2
        import numpy as np

        ops = self._compile()
        out = np.empty((self.n, self.h, self.w, 3), np.uint8)
        frame = np.empty((self.h, self.w, 3), np.float32)
        for i in range(self.n):
            frame[:] = self.sky
            for kind, item in ops:
                if kind == "dyn":
                    item(frame, i)
                elif kind == "static":
                    self._blend(frame, item, self.scroll(item.depth, i) if item.margin else 0.0)
                else:
                    canvas, offset = item
                    self._blend(frame, canvas, offset(i))
            out[i] = cv2.convertScaleAbs(frame)  # rounds, saturates to 0..255 (no negatives occur)
        return out


def _paint(frame: "np.ndarray", mask: "np.ndarray", colour: "np.ndarray", opacity: float) -> None:
    """Blend ``colour`` into ``frame`` with ``mask`` (uint8 coverage) × ``opacity``, rows with ink only."""
    import numpy as np

    import cv2

    rows = np.flatnonzero(mask.any(axis=1))
    if not len(rows):
        return
    r0, r1 = int(rows[0]), int(rows[-1]) + 1
    a = cv2.cvtColor(mask[r0:r1], cv2.COLOR_GRAY2RGB).astype(np.float32)
    a *= opacity / 255.0
    _mix_towards(frame[r0:r1], colour, a)


def _mix_towards(band: "np.ndarray", colour: "np.ndarray", a3: "np.ndarray") -> None:
    """In place: ``band += (colour - band) * a3`` with OpenCV (band must be contiguous rows)."""
    import cv2

    diff = cv2.subtract(band, (float(colour[0]), float(colour[1]), float(colour[2]), 0.0))
    cv2.multiply(diff, a3, dst=diff)
    cv2.subtract(band, diff, dst=band)


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
