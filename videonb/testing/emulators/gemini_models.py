"""The Gemini emulator's one model table: the ids google-genai 3.6.1 types (the ``Model``
``Literal`` of ``google/genai/_gaos/types/interactions/model.py``), each with its token
rule and metadata, and the ids Google shut down, which answer 404 as the API does.

``tests/test_emulator_tables.py`` compares :data:`MODELS` with that ``Literal``, and the
media-resolution levels with the SDK's ``MediaResolution`` / ``PartMediaResolutionLevel``
enums, so an SDK release that changes them fails a test.

Token rules [ai.google.dev media-resolution and video-understanding pages, providers.md
§3.3 and §11; the SDK's ``MediaResolution`` docstrings; a third-party table for Gemini 3
images]:

- before Gemini 3: a video frame is 258 tokens (66 at ``MEDIA_RESOLUTION_LOW``), an image
  258 (64 at low, the SDK's enum docstring), audio 32 a second;
- Gemini 3 (``gemini-3*``, ``gemini-4*`` and the Omni / Nano Banana families): a video
  frame is 70 tokens at default/low/medium and 280 at high; an image 1120 at the default
  (high), 280 at low, 560 at medium, 2240 at ``MEDIA_RESOLUTION_ULTRA_HIGH`` (per part
  only); audio 25 a second.

``inputTokenLimit`` / ``outputTokenLimit`` (1,048,576 / 65,536) are Gemini 2.5's
published limits, used for every model (the 3.x pages were not checked: UNCONFIRMED).
"""

from __future__ import annotations

from dataclasses import dataclass

from .kit.models import ModelTable

__all__ = ["GLOBAL_LEVELS", "MODELS", "PART_LEVELS", "GeminiModel", "RETIRED", "SDK_IDS",
           "frame_tokens", "image_tokens"]

#: ``GenerationConfig.mediaResolution`` values (the SDK's ``MediaResolution``) and the
#: per-part ``mediaResolution.level`` values (``PartMediaResolutionLevel``).
GLOBAL_LEVELS = ("MEDIA_RESOLUTION_UNSPECIFIED", "MEDIA_RESOLUTION_LOW",
                 "MEDIA_RESOLUTION_MEDIUM", "MEDIA_RESOLUTION_HIGH")
PART_LEVELS = GLOBAL_LEVELS + ("MEDIA_RESOLUTION_ULTRA_HIGH",)


@dataclass(frozen=True)
class GeminiModel:
    """One model id as ``models.get`` shows it, and the token rule its requests use."""

    display_name: str
    gemini3: bool
    methods: tuple[str, ...] = ("generateContent", "countTokens", "createCachedContent",
                                "batchGenerateContent")
    input_limit: int = 1_048_576
    output_limit: int = 65_536
    note: str = ""


def frame_tokens(gemini3: bool, level: str | None) -> int:
    """Tokens of one sampled video frame at a media resolution *level*."""
    if gemini3:
        return 280 if level in ("MEDIA_RESOLUTION_HIGH", "MEDIA_RESOLUTION_ULTRA_HIGH") else 70
    return 66 if level == "MEDIA_RESOLUTION_LOW" else 258


def image_tokens(gemini3: bool, level: str | None) -> int:
    """Tokens of one image at a media resolution *level*."""
    if gemini3:
        return {"MEDIA_RESOLUTION_LOW": 280, "MEDIA_RESOLUTION_MEDIUM": 560,
                "MEDIA_RESOLUTION_ULTRA_HIGH": 2240}.get(level or "", 1120)
    return 64 if level == "MEDIA_RESOLUTION_LOW" else 258


#: The ``Model`` Literal of google-genai 3.6.1, in its order.
SDK_IDS = (
    "gemma-4-26b-a4b-it gemma-4-31b-it gemini-flash-latest gemini-flash-lite-latest "
    "gemini-pro-latest gemini-2.5-flash gemini-2.5-pro gemini-2.5-flash-lite "
    "gemini-3.5-flash-lite gemini-2.5-flash-image gemini-3-flash-preview gemini-3.1-pro-preview "
    "gemini-3.1-pro-preview-customtools gemini-3.1-flash-lite gemini-3.1-flash-lite-image "
    "gemini-3-pro-image nano-banana-pro-preview gemini-3.1-flash-image gemini-nano-banana-2.1 "
    "gemini-3.1-flash-tts-preview gemini-3.5-flash gemini-3.6-flash gemini-3.7-flash "
    "gemini-3.8-flash gemini-4-argon gemini-4-carbon gemini-4-hydrogen gemini-4-neon "
    "gemini-3.8-flash-tts gemini-3.8-flash-lite-tts gemini-3.5-transcribe lyria-3-clip-preview "
    "lyria-3-pro-preview gemini-robotics-er-1.6-preview gemini-robotics-er-2-preview lyria-3.5 "
    "gemini-omni-1.2-flash gemini-omni-1.1-flash gemini-omni-flash-preview"
).split()

#: Shut-down ids and the source of the date [ai.google.dev/gemini-api/docs/deprecations,
#: several 2025-2026 copies; providers.md §3.2 and §11].
RETIRED = {
    "gemini-1.0-pro": "shut down 2025", "gemini-pro": "shut down 2025",
    "gemini-pro-vision": "shut down 2024", "gemini-1.5-flash": "shut down 2025-09",
    "gemini-1.5-flash-8b": "shut down 2025-09", "gemini-1.5-pro": "shut down 2025-09",
    "gemini-1.5-flash-002": "shut down 2025-09", "gemini-1.5-pro-002": "shut down 2025-09",
    "gemini-2.0-flash": "shut down 2026-06-01", "gemini-2.0-flash-001": "shut down 2026-06-01",
    "gemini-2.0-flash-lite": "shut down 2026-06-01",
    "gemini-2.0-flash-lite-001": "shut down 2026-06-01",
    "gemini-2.0-flash-exp": "shut down", "gemini-2.5-pro-preview-03-25": "shut down 2025-12-02",
    "gemini-2.5-pro-preview-05-06": "shut down 2025-12-02",
    "gemini-2.5-pro-preview-06-05": "shut down 2025-12-02",
    "gemini-2.5-flash-preview-05-20": "shut down", "gemini-3-pro-preview": "shut down 2026-03-09",
    "gemini-3.1-flash-lite-preview": "shut down 2026-05-25",
    "gemini-3.1-flash-image-preview": "shut down 2026-06-25",
    "gemini-3-pro-image-preview": "shut down 2026-06-25",
    "veo-3.1-generate-preview": "shut down 2026-10-22 (providers.md §11)",
    "veo-3.1-fast-generate-preview": "shut down 2026-10-22",
    "veo-3.1-lite-generate-preview": "shut down 2026-10-22",
}

_GEN3_PREFIXES = ("gemini-3", "gemini-4", "gemini-omni", "nano-banana", "gemini-nano-banana",
                  "gemini-flash-latest", "gemini-flash-lite-latest", "gemini-pro-latest")
_NOTES = {
    "gemini-2.5-flash": "shutdown announced for 2026-12-01 with requests routed to "
                        "gemini-3.5-flash-lite (third-party reading of the deprecations page, "
                        "2026-11-10); the SDK still lists it: served as itself",
    "gemini-2.5-pro": "shutdown announced for 2026-12-01 with requests routed to "
                      "gemini-3.8-flash (same source); served as itself",
}


def _display(model: str) -> str:
    words = model.replace("-", " ").split()
    return " ".join(w.capitalize() if w.isalpha() else w for w in words)


MODELS: ModelTable[GeminiModel] = ModelTable()
for _id in SDK_IDS:
    MODELS.add(_id, GeminiModel(_display(_id), _id.startswith(_GEN3_PREFIXES),
                                note=_NOTES.get(_id, "")))
for _id, _note in RETIRED.items():
    MODELS.retire(_id, _note)
