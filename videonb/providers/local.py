"""The ``local`` provider: no key, no network, no cost — and honest about what it is.

* **analyze**: measured facts from the media core — shots, cuts, fades, dissolves, motion
  and brightness peaks, durations, and faces found by OpenCV's bundled Haar cascade.
  Questions are answered only from those measurements; anything else gets a plain "the
  local analyser cannot tell" plus the facts it has.
* **image_to_video**: camera moves over a still image, parsed from the motion prompt
  (zoom, pan, tilt, roll, orbit-like parallax).
* **stylize**: OpenCV filters (sketch, cartoon/anime, oil/painting, watercolor, detail,
  edge-preserving).
* **edit**: remove an object with ``cv2.inpaint`` given a mask or boxes per time range.
* **extend**: continue the last camera move, or hold.
* **text_to_video**: a procedural *preview* labelled "videonb local preview — not a
  generative model", for trying the workflow without a key.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from ..errors import InvalidOptionError
from .base import Analysis, ModelSpec, Provider, Request

__all__ = ["LocalProvider", "RATIO_SIZES"]

#: Output sizes of the local renderer per aspect ratio (kept small: it renders on the CPU).
RATIO_SIZES = {"16:9": (640, 360), "9:16": (360, 640), "1:1": (480, 480), "4:3": (560, 420),
               "3:4": (420, 560), "21:9": (840, 360)}

_LOCAL = ModelSpec(
    id="local-v1",
    operations=("text_to_video", "image_to_video", "video_to_video", "extend", "edit", "stylize",
                "analyze"),
    durations=(1.0, 30.0), duration_range=True, default_duration=4.0,
    ratios=tuple(RATIO_SIZES), default_ratio="16:9", max_prompt_chars=2000,
    prompt_required=False, image_input=True, price_per_second=0.0,
    price_note="free (runs on this machine)",
    notes="OpenCV/PyAV renderer and analyser, not a generative model.")


class LocalProvider(Provider):
    name: ClassVar[str] = "local"
    display_name: ClassVar[str] = "Local (OpenCV/PyAV)"
    key_env: ClassVar[tuple[str, ...]] = ()
    requires: ClassVar[tuple[str, ...]] = ("av", "cv2", "numpy")
    models: ClassVar[dict[str, ModelSpec]] = {"local-v1": _LOCAL}
    default_model: ClassVar[str] = "local-v1"
    local: ClassVar[bool] = True
    description: ClassVar[str] = ("Offline renderer and analyser. Outputs are camera moves, "
                                  "filters and procedural previews, not model generations.")
    FPS: ClassVar[int] = 24

    # --- generation ---------------------------------------------------------------------
    async def render(self, req: Request, dest: Path) -> Path:
        return await asyncio.to_thread(self._render_sync, req, dest)

    def _render_sync(self, req: Request, dest: Path) -> Path:
        import numpy as np

        from ..media import effects
        from ..media.encode import encode_video
        from ..media.sampling import iter_frames

        seconds = float(req.seconds or _LOCAL.default_duration or 4.0)
        size = RATIO_SIZES[req.ratio or "16:9"]
        fps = int(req.options.get("fps", self.FPS))
        seed = int(req.seed or 0)
        op = req.operation
        if op == "text_to_video":
            frames, _plan = effects.procedural_preview(req.prompt, seconds=seconds, fps=fps,
                                                       size=size, seed=seed)
        elif op == "image_to_video":
            image = _load_image(req.input_paths["image"])
            frames = effects.camera_move_frames(image, req.prompt or "slow zoom in",
                                                seconds=seconds, fps=fps,
                                                size=None if req.ratio is None else size)
        elif op in ("stylize", "edit", "extend", "video_to_video"):
            src = req.input_paths["video"]
            max_side = int(req.options.get("max_side", 960))
            got = [img for _, img in iter_frames(src, max_side=max_side)]
            if not got:
                raise InvalidOptionError(f"No frames could be read from {src}.")
            arr = np.stack(got)
            src_fps = float(req.options.get("source_fps") or fps)
            if op in ("stylize", "video_to_video"):
                style = req.style or req.prompt or "cartoon"
                frames = effects.stylize_frames(arr, style, strength=float(req.options.get("strength", 1.0)))
                fps = int(round(src_fps))
            elif op == "edit":
                mask = _load_mask(req.input_paths.get("mask"))
                boxes = req.options.get("boxes")
                frames = effects.inpaint_frames(arr, mask=mask, boxes=boxes, fps=src_fps,
                                                method=req.options.get("method", "telea"))
                fps = int(round(src_fps))
            else:
                new = effects.extend_frames(arr, seconds=seconds, fps=src_fps,
                                            mode=req.options.get("mode", "auto"))
                frames = np.concatenate([arr, new]) if req.options.get("include_source", True) else new
                fps = int(round(src_fps))
        else:  # pragma: no cover - validate() prevents this
            raise InvalidOptionError(f"local cannot do {op}")
        return encode_video(frames, dest, fps=fps)

    # --- understanding ----------------------------------------------------------------------
    async def analyze(self, video: Any, *, question: str | None = None, model: str | None = None,
                      frames: int | None = None) -> Analysis:
        return await asyncio.to_thread(self._analyze_sync, video, question, frames)

    def _analyze_sync(self, video: Any, question: str | None, n_frames: int | None) -> Analysis:
        from ..media.moments import analyze_video
        from ..media.video import as_video

        v = as_video(video)
        # One decode of the file: moments, shots with thumbnails, the frame grid and the grey
        # frames the face count looks at.
        duration = max(v.info.duration, 1e-3)
        got = analyze_video(v, n_frames=n_frames or 12, max_side=480,
                            gray_every=max(0.5, duration / FACE_FRAMES_KEPT), gray_side=400)
        m, grid = got.moments, got.frames
        faces = _count_faces(got.gray, list(m.shots))
        facts = _facts(v, m, faces)
        summary = m.summary()
        if faces["shots_with_faces"] is None:
            summary += " (Face detection unavailable: this OpenCV build has no Haar cascade.)"
        elif faces["shots_with_faces"]:
            summary += (f" Faces (OpenCV Haar cascade) seen in {faces['shots_with_faces']} of "
                        f"{faces['shots_checked']} shot(s) checked.")
        answer = _answer(question, facts) if question else None
        return Analysis(summary=summary, moments=list(m.moments), answer=answer, provider="local",
                        model="local-v1", video=v, frames=grid, shots=list(m.shots), cost_usd=0.0,
                        raw={"facts": facts, "stats": m.stats})


#: Grey frames kept from the analysis pass for face detection (spread over the video).
FACE_FRAMES_KEPT = 120
#: Most shots whose faces are counted (Haar costs 20-60 ms per 400-px frame on this class of
#: CPU; the count says how many shots were checked).
FACE_SHOTS_CHECKED = 12


def _load_image(path: str) -> Any:
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise InvalidOptionError(f"Could not read the image {path!r}; use a PNG, JPEG or WebP file.")
    return img[:, :, ::-1].copy()


def _load_mask(path: str | None) -> Any:
    if not path:
        return None
    import cv2

    m = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if m is None:
        raise InvalidOptionError(f"Could not read the mask image {path!r}.")
    return m > 127


def _count_faces(gray: list[tuple[float, Any]], shots: list[Any],
                 limit: int = FACE_SHOTS_CHECKED) -> dict[str, Any]:
    """Frontal faces with OpenCV's bundled Haar cascade, in one grey frame per shot (the one
    kept from the analysis pass nearest the shot's middle), for up to ``limit`` shots spread
    over the video.

    OpenCV 5 no longer ships the Haar cascades (nor ``CascadeClassifier``); then the counts
    are ``None`` and the summary says face detection is unavailable, rather than "0 faces".
    """
    import cv2

    folder = getattr(getattr(cv2, "data", None), "haarcascades", "")
    cascade_path = Path(folder) / "haarcascade_frontalface_default.xml" if folder else None
    if not hasattr(cv2, "CascadeClassifier") or cascade_path is None or not cascade_path.exists():
        return {"faces": None, "shots_with_faces": None, "shots_checked": 0}
    cascade = cv2.CascadeClassifier(str(cascade_path))
    if cascade.empty():
        return {"faces": None, "shots_with_faces": None, "shots_checked": 0}
    picks: list[tuple[int, Any]] = []
    for s in shots:
        inside = [(abs(t - (s.start + s.end) / 2), img) for t, img in gray if s.start <= t < s.end]
        if inside:
            picks.append((s.index, min(inside, key=lambda x: x[0])[1]))
    if len(picks) > limit:
        step = len(picks) / limit
        picks = [picks[int(i * step)] for i in range(limit)]
    best: dict[int, int] = {}
    for shot, img in picks:
        if min(img.shape[:2]) < 24:
            best[shot] = 0
            continue
        if max(img.shape[:2]) < 400:  # small videos: faces would be below the cascade's size
            img = cv2.resize(img, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        found = cascade.detectMultiScale(img, scaleFactor=1.2, minNeighbors=4, minSize=(24, 24))
        best[shot] = len(found)
    return {"faces": sum(best.values()), "shots_with_faces": sum(1 for n in best.values() if n),
            "shots_checked": len(best)}


def _facts(v: Any, m: Any, faces: dict[str, int]) -> dict[str, Any]:
    info = v.info
    lens = [s.duration for s in m.shots] or [info.duration]
    motion = m.of_kind("motion")
    bright = m.of_kind("brightness")
    return {
        "duration_s": round(info.duration, 3), "fps": float(info.fps), "width": info.width,
        "height": info.height, "shots": len(m.shots), "cuts": [round(t, 3) for t in m.cuts],
        "dissolves": len(m.of_kind("dissolve")),
        "fades": len(m.of_kind("fade_in")) + len(m.of_kind("fade_out")),
        "longest_shot_s": round(max(lens), 3), "shortest_shot_s": round(min(lens), 3),
        "most_motion_at_s": round(max(motion, key=lambda x: x.score).start, 2) if motion else None,
        "brightness_changes_at_s": [round(b.end, 2) for b in bright],
        "faces": faces["faces"], "shots_with_faces": faces["shots_with_faces"],
        "shots_checked_for_faces": faces.get("shots_checked", 0),
        "has_audio": info.has_audio,
    }


def _answer(question: str, f: dict[str, Any]) -> str:
    """Answer from measurements only; say so when the question needs real understanding."""
    q = question.lower()
    if any(w in q for w in ("how many shot", "number of shot", "how many scene")):
        return f"{f['shots']} shots (measured: hard cuts, dissolves and fades split them)."
    if any(w in q for w in ("cut", "transition", "scene change")):
        cuts = ", ".join(f"{t:.2f} s" for t in f["cuts"]) or "none"
        return (f"Hard cuts at: {cuts}. Also {f['dissolves']} dissolve(s) and {f['fades']} fade(s).")
    if any(w in q for w in ("how long", "duration", "length")):
        return f"{f['duration_s']:.2f} s at {f['fps']:.3g} fps, {f['width']}×{f['height']}."
    if ("face" in q or "people" in q or "person" in q) and f["faces"] is None:
        return ("Face detection is unavailable here (OpenCV 5 no longer bundles the Haar cascade); "
                "use provider='gemini' or an OpenAI-compatible vision model.")
    if "face" in q or "people" in q or "person" in q:
        return (f"OpenCV's Haar face detector found frontal faces in {f['shots_with_faces']} of "
                f"{f['shots_checked_for_faces']} shot(s) checked (one frame each; {f['shots']} "
                f"shot(s) in all; up to {f['faces']} faces). It misses profiles and small faces, "
                f"and it does not identify anyone.")
    if any(w in q for w in ("motion", "action", "moving", "fast")):
        at = f["most_motion_at_s"]
        return (f"The strongest motion is around {at:.2f} s." if at is not None
                else "No motion peak stood out.")
    if any(w in q for w in ("longest", "shortest")):
        return f"Longest shot {f['longest_shot_s']:.2f} s, shortest {f['shortest_shot_s']:.2f} s."
    if "audio" in q or "sound" in q:
        return "The file has an audio track." if f["has_audio"] else "The file has no audio track."
    return ("The local analyser measures structure (shots, cuts, motion, brightness, faces); it "
            "cannot understand content, so it cannot answer this. Use provider='gemini' or an "
            "OpenAI-compatible vision model for that. Measured facts: "
            f"{f['shots']} shots, {len(f['cuts'])} cuts, {f['duration_s']:.1f} s.")
