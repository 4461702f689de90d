"""The fal emulator's one table: each video endpoint it serves, with its input schema
(field → :func:`~.kit.checks.check` rules) and its price.

Sources (read 2026-12-01): fal's catalogue pages ``fal.ai/models/<endpoint>/llms.txt`` for
``fal-ai/kling-video/v2.6/pro/{text,image}-to-video`` (``duration`` "5"/"10", ``aspect_ratio``,
``negative_prompt``, ``generate_audio`` default true, ``start_image_url``; $0.07/s, $0.14/s with
audio), ``fal-ai/pika/v2.5/text-to-video`` (``resolution`` 480p/720p/1080p, ``duration`` 5/10,
``negative_prompt``, ``seed``), ``fal-ai/minimax/hailuo-02/standard/image-to-video``
(``duration`` "6"/"10", ``prompt_optimizer``, ``image_url``; $0.045/s at 768p) and
``fal-ai/ltx-2/text-to-video/fast`` (``duration`` 6-20 even, ``resolution``
1080p/1440p/2160p; $0.04/s at 1080p).  The Pika 2.2, Wan 2.5, Luma Ray 2 and Seedance 2.0
schemas, the Hailuo and LTX sibling endpoints, and the prices of Pika, Wan, Luma and Seedance
are the emulator's own reading of third-party copies (UNCONFIRMED; docs/emulators.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .kit.models import ModelTable

__all__ = ["FalEndpoint", "ENDPOINTS", "IMAGE_FIELDS"]

#: Fields that take an image (a URL or a base64 data URI).
IMAGE_FIELDS = ("image_url", "start_image_url", "end_image_url", "tail_image_url")


@dataclass(frozen=True)
class FalEndpoint:
    """One endpoint: its input rules, which field holds the duration, and its price."""

    fields: dict[str, dict[str, Any]]
    usd_per_second: float
    #: (field, value) that doubles the price when sent (Kling's generate_audio true), and its
    #: default.
    audio: tuple[str, bool] | None = None
    default_seconds: int = 5
    extra: dict[str, Any] = field(default_factory=dict)


def _req(kind: str = "string") -> dict[str, Any]:
    return {"required": True, "type": kind}


_PROMPT = {"prompt": _req()}
_NEG = {"negative_prompt": {"type": "string"}}
_SEED = {"seed": {"type": "int"}}
_R3 = {"aspect_ratio": {"choices": ("16:9", "9:16", "1:1")}}
_KLING = {**_PROMPT, "duration": {"choices": ("5", "10")}, **_NEG,
          "cfg_scale": {"type": "number", "minimum": 0, "maximum": 1},
          "generate_audio": {"type": "boolean"}}
_PIKA22 = {**_PROMPT, "resolution": {"choices": ("720p", "1080p")}, "duration": {"choices": (5, 10)},
           **_NEG, **_SEED}
_HAILUO = {**_PROMPT, "duration": {"choices": ("6", "10")},
           "prompt_optimizer": {"type": "boolean"}}
_LTX = {**_PROMPT, "duration": {"choices": (6, 8, 10, 12, 14, 16, 18, 20)},
        "resolution": {"choices": ("1080p", "1440p", "2160p")}, "fps": {"choices": (25, 50)},
        "generate_audio": {"type": "boolean"}}
_WAN = {**_PROMPT, "duration": {"choices": ("5", "10")},
        "resolution": {"choices": ("480p", "720p", "1080p")}, **_R3, **_NEG, **_SEED}
_LUMA = {**_PROMPT, "duration": {"choices": ("5s", "9s")},
         "resolution": {"choices": ("540p", "720p", "1080p")},
         "aspect_ratio": {"choices": ("16:9", "9:16", "4:3", "3:4", "21:9", "9:21", "1:1")},
         "loop": {"type": "boolean"}}
_SEED2 = {**_PROMPT, "duration": {"choices": ("5", "10")},
          "resolution": {"choices": ("480p", "720p", "1080p")}, **_R3, **_SEED,
          "generate_audio": {"type": "boolean"}}
_IMG = {"image_url": _req()}

ENDPOINTS: ModelTable[FalEndpoint] = ModelTable()
ENDPOINTS.add("fal-ai/kling-video/v2.6/pro/text-to-video",
              FalEndpoint({**_KLING, **_R3}, 0.07, audio=("generate_audio", True)))
ENDPOINTS.add("fal-ai/kling-video/v2.6/pro/image-to-video",
              FalEndpoint({**_KLING, "start_image_url": _req(), "end_image_url": {"type": "string"}},
                          0.07, audio=("generate_audio", True)))
ENDPOINTS.add("fal-ai/pika/v2.2/text-to-video",
              FalEndpoint({**_PIKA22, "aspect_ratio": {"choices": (
                  "16:9", "9:16", "1:1", "4:5", "5:4", "3:2", "2:3")}}, 0.04))
ENDPOINTS.add("fal-ai/pika/v2.2/image-to-video", FalEndpoint({**_PIKA22, **_IMG}, 0.04))
ENDPOINTS.add("fal-ai/pika/v2.5/text-to-video",
              FalEndpoint({**_PROMPT, "resolution": {"choices": ("480p", "720p", "1080p")},
                           "duration": {"choices": (5, 10)}, **_NEG, **_SEED}, 0.04))
ENDPOINTS.add("fal-ai/minimax/hailuo-02/standard/text-to-video", FalEndpoint(_HAILUO, 0.045,
                                                                              default_seconds=6))
ENDPOINTS.add("fal-ai/minimax/hailuo-02/standard/image-to-video",
              FalEndpoint({**_HAILUO, **_IMG, "end_image_url": {"type": "string"}}, 0.045,
                          default_seconds=6))
ENDPOINTS.add("fal-ai/ltx-2/text-to-video/fast", FalEndpoint(_LTX, 0.04, default_seconds=6))
ENDPOINTS.add("fal-ai/ltx-2/image-to-video/fast", FalEndpoint({**_LTX, **_IMG}, 0.04,
                                                              default_seconds=6))
ENDPOINTS.add("fal-ai/wan-25-preview/text-to-video", FalEndpoint(_WAN, 0.10))
ENDPOINTS.add("fal-ai/wan-25-preview/image-to-video", FalEndpoint({**_WAN, **_IMG}, 0.10))
ENDPOINTS.add("fal-ai/luma-dream-machine/ray-2", FalEndpoint(_LUMA, 0.10))
ENDPOINTS.add("fal-ai/luma-dream-machine/ray-2/image-to-video",
              FalEndpoint({**_LUMA, **_IMG}, 0.10))
ENDPOINTS.add("bytedance/seedance-2.0/text-to-video", FalEndpoint(_SEED2, 0.15))
ENDPOINTS.add("bytedance/seedance-2.0/image-to-video", FalEndpoint({**_SEED2, **_IMG}, 0.15))
