"""Camera moves: plain-English directions -> :class:`CameraMove`, rendered over a still image.

* :func:`parse_camera_motion` -- "slow zoom in while panning left" -> a :class:`CameraMove`.
* :func:`camera_move_frames` -- render a move (zoom, pan, tilt, roll, pseudo-3D orbit) over a still,
  zoomed in just enough that no border ever shows; :func:`depth_proxy` guesses the depth layers
  of an orbit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from ...errors import InvalidOptionError
from ._frames import _as_image, _check_size, _ease, _even_floor, _frame_count

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["CameraMove", "parse_camera_motion", "camera_move_frames", "depth_proxy",
           "DEFAULT_MAX_SIDE", "EASES"]

Ease = Literal["linear", "ease_in_out"]
EASES: tuple[str, ...] = ("linear", "ease_in_out")

#: Longest side of the default output size of :func:`camera_move_frames`.
DEFAULT_MAX_SIDE = 1280


# ======================================================================================
# Camera directions in plain English
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
# Rendering a move over a still image
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
