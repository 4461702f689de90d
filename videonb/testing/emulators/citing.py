"""An emulated vision model that cites the times it sees: for measuring grounded key moments.

A real model that looks at sampled frames can only place a cut at the time of a frame it
saw (and, asked for ``MM:SS``, rounds that down to the second).  These responders do
exactly that and nothing worse: they decode the frames (or the video, sampled at Gemini's
default 1 fps) from the request, find where consecutive samples change a lot, and answer
``{summary, moments: [{start: "MM:SS", end: "MM:SS", label}], answer}`` at the later
sample's time.  The distance from their answers to the real cuts is therefore the floor set
by the sampling and the ``MM:SS`` format, not a model's drift (QwenLM/Qwen3-VL#1175 reports
real models drifting further); ``benchmarks/bench_grounding.py`` measures it.

- :func:`openai_frames_responder` for :class:`~.openai.OpenAIEmulator` (chat ``image_url``
  frames, each after a ``Frame at … (T s):`` text);
- :func:`gemini_video_responder` for :class:`~.gemini.GeminiEmulator` (inline video);
- :func:`video_responder` for :class:`~.vllm.VLLMEmulator` (a ``video_url`` part).
"""

from __future__ import annotations

import base64
import re
import tempfile
from pathlib import Path
from typing import Any, Sequence

from . import _media
from ._answers import mmss

__all__ = ["cite_changes", "openai_frames_responder", "gemini_video_responder",
           "video_responder", "drifting", "CHANGE_THRESHOLD"]

#: Mean absolute difference of 64x36 grey thumbnails (0-255) that counts as a scene change.
CHANGE_THRESHOLD = 22.0
_FRAME_TIME = re.compile(r"\((\d+(?:\.\d+)?) s\)")


def _thumb(img: Any) -> Any:
    import cv2
    import numpy as np

    grey = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (64, 36), interpolation=cv2.INTER_AREA).astype("float32")


def cite_changes(frames: Sequence[tuple[float, Any]], duration: float) -> dict[str, Any]:
    """The answer of a model that cites, as ``MM:SS``, each sampled frame that differs a lot
    from the one before it."""
    import numpy as np

    moments = []
    prev = None
    for t, img in frames:
        cur = _thumb(img)
        if prev is not None and float(np.abs(cur - prev).mean()) > CHANGE_THRESHOLD:
            moments.append({"start": mmss(t), "end": mmss(t), "label": "the scene changes"})
        prev = cur
    return {"summary": f"A {duration:.1f}-second video with {len(moments)} scene changes.",
            "moments": moments, "answer": None}


def _decode_jpeg(uri: str) -> Any:
    import cv2
    import numpy as np

    data = base64.b64decode(uri.split(",", 1)[1])
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _video_frames(data: bytes, fps: float = 1.0) -> tuple[list[tuple[float, Any]], float]:
    from videonb.media.sampling import sample_frames

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        path.write_bytes(data)
        grid = sample_frames(path, every=1.0 / fps, max_side=256)
        return list(zip(grid.times, grid.images)), float(grid.info.duration)


def openai_frames_responder(body: dict[str, Any]) -> dict[str, Any]:
    """For a chat completions body of ``Frame at … (T s):`` texts each followed by a frame."""
    frames: list[tuple[float, Any]] = []
    pending: float | None = None
    duration = 0.0
    for msg in body.get("messages") or []:
        for part in msg.get("content") if isinstance(msg.get("content"), list) else []:
            if part.get("type") == "text":
                m = _FRAME_TIME.search(str(part.get("text", "")))
                pending = float(m.group(1)) if m else pending
                d = re.search(r"a (\d+(?:\.\d+)?)-second video", str(part.get("text", "")))
                duration = float(d.group(1)) if d else duration
            elif part.get("type") == "image_url" and pending is not None:
                frames.append((pending, _decode_jpeg(part["image_url"]["url"])))
                pending = None
            elif part.get("type") == "video_url":
                data = _media.b64decode(part["video_url"]["url"].split(",", 1)[1])
                frames, duration = _video_frames(data)
    return cite_changes(frames, duration)


def video_responder(body: dict[str, Any]) -> dict[str, Any]:
    """For a chat completions body with a ``video_url`` part (vLLM): the video at 1 fps."""
    return openai_frames_responder(body)


def gemini_video_responder(body: dict[str, Any]) -> dict[str, Any]:
    """For a ``generateContent`` body with an inline video, sampled at its ``fps`` (1)."""
    for content in body.get("contents") or []:
        for part in content.get("parts") or []:
            blob = part.get("inline_data") or part.get("inlineData")
            if blob and str(blob.get("mime_type", blob.get("mimeType", ""))).startswith("video"):
                meta = part.get("video_metadata") or part.get("videoMetadata") or {}
                frames, duration = _video_frames(_media.b64decode(str(blob["data"])),
                                                 float(meta.get("fps") or 1.0))
                return cite_changes(frames, duration)
    return cite_changes([], 0.0)


def drifting(responder: Any, seconds: float, *, seed: int = 0) -> Any:
    """``responder`` with every cited time moved by a seeded uniform offset in
    ``[-seconds, +seconds]`` (kept inside the video): a model that sees the right moment but
    misreads its time, the drift QwenLM/Qwen3-VL#1175 reports, so the benchmark can show what
    snapping and flagging do with it.  Deterministic for a seed (one stream per responder)."""
    import random

    rng = random.Random(seed)

    def _secs(text: str) -> float:
        parts = [float(p) for p in str(text).split(":")]
        return sum(v * 60 ** i for i, v in enumerate(reversed(parts)))

    def answer(body: dict[str, Any]) -> dict[str, Any]:
        out = responder(body)
        length = float(re.search(r"A (\d+(?:\.\d+)?)-second", out.get("summary", "")
                                 ).group(1)) if out.get("summary") else 0.0
        for m in out.get("moments") or []:
            t = min(max(0.0, _secs(m["start"]) + rng.uniform(-seconds, seconds)), length)
            m["start"] = m["end"] = mmss(t)
        return out

    return answer
