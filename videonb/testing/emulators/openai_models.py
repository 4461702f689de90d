"""The OpenAI emulator's one model table: every model id openai 3.57.0 types
(``ChatModel``, the Responses-only ids of ``ResponsesModel``, ``VideoModel``), with the
shutdown dates the SDK's ``ChatModel`` docstring announces, the endpoints each id is
served on, its image-token rule, and (Sora) its sizes.

``tests/test_emulator_tables.py`` checks the ids, the dates and the Sora sizes/seconds
against the installed SDK.  The image rules follow OpenAI's images-vision guide ("Calculating
costs", as mirrored in voxmenthe/prompts at 6ac1611, 2025; read 2026-12-01):

- **tile** models: ``detail: "low"`` costs the base tokens; otherwise fit the image in
  2048x2048, scale its short side to 768, and add the tile tokens for each 512-px tile.
  gpt-4o / 4.1 / 4.5 85 + 170, gpt-4o-mini 2833 + 5667, gpt-5 and gpt-5-chat-latest
  70 + 140, o1 / o1-pro / o3 75 + 150, computer-use-preview 65 + 129;
- **patch** models: the number of 32x32 patches that cover the image (scaled down to fit
  at most 1536), times a multiplier; ``detail`` does not change it: gpt-5-mini and
  gpt-4.1-mini 1.62, gpt-5-nano and gpt-4.1-nano 2.46, o4-mini 1.72;
- **GPT-5.2 and later** (providers.md §4, a third-party summary of the 2026-09 guide):
  patches times 1.2, with ``low`` fitting the image in 512x512, ``high``/``auto`` at
  most 2,500 patches and 2048 px, ``original`` at most 10,000 patches and 6000 px.

The families the guide does not name (gpt-5.1, the codex and pro variants, gpt-5.4-mini
and -nano) are given their parent's rule; ``docs/emulators.md`` marks them UNCONFIRMED.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

from .kit.models import ModelTable

__all__ = ["MODELS", "ImageRule", "ModelSpec", "SECONDS", "SECONDS_TYPED", "SIZES_PRO",
           "SIZES_STANDARD", "SIZES_TYPED", "image_tokens"]


@dataclass(frozen=True)
class ImageRule:
    """How one model counts the tokens of an image input."""

    kind: str  # "tile" or "patch"
    base: int = 85  # tile: the flat cost (and all of a "low" image)
    tile: int = 170
    multiplier: float = 1.0  # patch
    budget: int = 1536  # patch: most patches at high/auto detail
    max_side: int = 2048
    low_box: int | None = None  # patch: "low" fits the image in this square (GPT-5.2+)
    original: tuple[int, int] | None = None  # patch: (budget, max side) for "original"


@dataclass(frozen=True)
class ModelSpec:
    """One model: listed by ``GET /v1/models``; its shutdown date (ISO, from the SDK);
    whether chat completions serve it (else only the Responses API); its image rule
    (None: no image input); and (videos) the sizes it makes."""

    listed: bool = True
    shutdown: str | None = None
    chat: bool = True
    image: ImageRule | None = None
    sizes: tuple[str, ...] = ()
    supported: bool = True  # False: "not a supported model ID" (kept in the SDK's list)

    def shut_down(self, today: _dt.date) -> bool:
        return self.shutdown is not None and _dt.date.fromisoformat(self.shutdown) <= today


def _patches(w: float, h: float, budget: int) -> int:
    """32-px patches covering a *w* x *h* image, scaled down (the guide's two steps) to at
    most *budget* patches."""
    raw = math.ceil(w / 32) * math.ceil(h / 32)
    if raw <= budget:
        return raw
    r = math.sqrt(32 * 32 * budget / (w * h))
    r *= min(math.floor(w * r / 32) / (w * r / 32), math.floor(h * r / 32) / (h * r / 32))
    return min(budget, max(1, math.ceil(w * r / 32)) * max(1, math.ceil(h * r / 32)))


def _fit(w: float, h: float, side: float) -> tuple[float, float]:
    s = min(1.0, side / max(w, h))
    return w * s, h * s


def image_tokens(width: int | None, height: int | None, detail: str,
                 rule: ImageRule | None = None) -> int:
    """Input tokens of one image under *rule* (default: gpt-4o's tile rule).  An image
    whose size is unknown (a URL the emulator does not fetch) counts as 1024x1024."""
    rule = rule or TILE_4O
    w, h = float(width or 1024), float(height or 1024)
    if rule.kind == "tile":
        if detail == "low":
            return rule.base
        w, h = _fit(w, h, 2048)
        s = min(1.0, 768 / min(w, h))
        return rule.tile * math.ceil(w * s / 512) * math.ceil(h * s / 512) + rule.base
    budget, side = rule.budget, rule.max_side
    if detail == "low" and rule.low_box:
        budget, side = 10**9, rule.low_box
    elif detail == "original" and rule.original:
        budget, side = rule.original
    w, h = _fit(w, h, side)
    return math.ceil(_patches(w, h, budget) * rule.multiplier)


TILE_4O = ImageRule("tile", 85, 170)
TILE_4O_MINI = ImageRule("tile", 2833, 5667)
TILE_GPT5 = ImageRule("tile", 70, 140)
TILE_O = ImageRule("tile", 75, 150)
TILE_CUA = ImageRule("tile", 65, 129)
PATCH_162 = ImageRule("patch", multiplier=1.62)
PATCH_246 = ImageRule("patch", multiplier=2.46)
PATCH_172 = ImageRule("patch", multiplier=1.72)
PATCH_GPT52 = ImageRule("patch", multiplier=1.2, budget=2500, low_box=512,
                        original=(10_000, 6000))

_RULES: list[tuple[ImageRule | None, str]] = [
    (TILE_4O, "gpt-4.1 gpt-4.1-2025-04-14 gpt-4o gpt-4o-2024-11-20 gpt-4o-2024-08-06 "
              "gpt-4o-2024-05-13 chatgpt-4o-latest gpt-4-turbo gpt-4-turbo-2024-04-09 "
              "gpt-4-vision-preview gpt-4o-search-preview gpt-4o-search-preview-2025-03-11"),
    (TILE_4O_MINI, "gpt-4o-mini gpt-4o-mini-2024-07-18 gpt-4o-mini-search-preview "
                   "gpt-4o-mini-search-preview-2025-03-11"),
    (TILE_GPT5, "gpt-5 gpt-5-2025-08-07 gpt-5-chat-latest gpt-5.1 gpt-5.1-2025-11-13 "
                "gpt-5.1-chat-latest gpt-5.1-codex gpt-5.1-mini gpt-5-codex gpt-5-pro "
                "gpt-5-pro-2025-10-06 gpt-5.1-codex-max"),
    (TILE_O, "o1 o1-2024-12-17 o1-pro o1-pro-2025-03-19 o3 o3-2025-04-16 o3-pro "
             "o3-pro-2025-06-10 o3-deep-research o3-deep-research-2025-06-26"),
    (TILE_CUA, "computer-use-preview computer-use-preview-2025-03-11"),
    (PATCH_162, "gpt-5-mini gpt-5-mini-2025-08-07 gpt-4.1-mini gpt-4.1-mini-2025-04-14 "
                "gpt-5.4-mini gpt-5.4-mini-2026-03-17"),
    (PATCH_246, "gpt-5-nano gpt-5-nano-2025-08-07 gpt-4.1-nano gpt-4.1-nano-2025-04-14 "
                "gpt-5.4-nano gpt-5.4-nano-2026-03-17"),
    (PATCH_172, "o4-mini o4-mini-2025-04-16 o4-mini-deep-research "
                "o4-mini-deep-research-2025-06-26"),
    (PATCH_GPT52, "gpt-5.2 gpt-5.2-2025-12-11 gpt-5.2-chat-latest gpt-5.2-pro "
                  "gpt-5.2-pro-2025-12-11 gpt-5.3-chat-latest gpt-5.4 gpt-5.5 gpt-5.5-2026-04-23 "
                  "gpt-5.5-pro gpt-5.5-pro-2026-04-23 gpt-5.6-sol gpt-5.6-terra gpt-5.6-luna "
                  "gpt-5.6-cyber gpt-6-astra gpt-6.2-astra gpt-6.1-sol gpt-6.2-sol gpt-6.1-terra "
                  "gpt-6-sol gpt-6-luna gpt-6-cyber gpt-6-rosalind gpt-6.2-astra-law "
                  "gpt-daybreak-blue-latest gpt-daybreak-red-latest gpt-rosalind-research"),
    (None, "gpt-4 gpt-4-0314 gpt-4-0613 gpt-4-32k gpt-4-32k-0314 gpt-4-32k-0613 "
           "gpt-4-0125-preview gpt-4-turbo-preview gpt-4-1106-preview gpt-3.5-turbo "
           "gpt-3.5-turbo-16k gpt-3.5-turbo-0301 gpt-3.5-turbo-0613 gpt-3.5-turbo-1106 "
           "gpt-3.5-turbo-0125 gpt-3.5-turbo-16k-0613 o1-mini o1-mini-2024-09-12 o1-preview "
           "o1-preview-2024-09-12 o3-mini o3-mini-2025-01-31 codex-mini-latest gpt-audio-mini "
           "gpt-audio-mini-2025-12-15 gpt-4o-audio-preview gpt-4o-audio-preview-2024-10-01 "
           "gpt-4o-audio-preview-2024-12-17 gpt-4o-audio-preview-2025-06-03 "
           "gpt-4o-mini-audio-preview gpt-4o-mini-audio-preview-2024-12-17"),
]
RULES = {m: rule for rule, names in _RULES for m in names.split()}

#: Shutdown dates announced in openai 3.57.0's ``ChatModel`` docstring ("Deprecated values").
SHUTDOWN = {}
for _date, _names in [
    ("2027-04-01", "gpt-5.4-nano gpt-5.4-nano-2026-03-17 gpt-5.1 gpt-5.1-2025-11-13"),
    ("2026-08-10", "gpt-5.3-chat-latest gpt-5.2-chat-latest"),
    ("2026-07-23", "gpt-5.1-codex gpt-5.1-chat-latest gpt-5-chat-latest gpt-4o-search-preview "
                   "gpt-4o-mini-search-preview gpt-4o-search-preview-2025-03-11 "
                   "gpt-4o-mini-search-preview-2025-03-11"),
    ("2026-12-11", "gpt-5 gpt-5-mini gpt-5-nano gpt-5-2025-08-07 gpt-5-mini-2025-08-07 "
                   "gpt-5-nano-2025-08-07 o3 o3-2025-04-16"),
    ("2027-01-14", "gpt-4.1 gpt-4.1-mini gpt-4.1-2025-04-14 gpt-4.1-mini-2025-04-14 gpt-4o "
                   "gpt-4o-2024-11-20 gpt-4o-2024-08-06 gpt-4o-mini gpt-4o-mini-2024-07-18"),
    ("2026-10-23", "gpt-4.1-nano gpt-4.1-nano-2025-04-14 o4-mini o4-mini-2025-04-16 o3-mini "
                   "o3-mini-2025-01-31 o1 o1-2024-12-17 gpt-4o-2024-05-13 gpt-4-turbo "
                   "gpt-4-turbo-2024-04-09 gpt-4-1106-preview gpt-4 gpt-4-0613 gpt-3.5-turbo "
                   "gpt-3.5-turbo-0125"),
    ("2025-07-28", "o1-preview o1-preview-2024-09-12"),
    ("2025-10-27", "o1-mini o1-mini-2024-09-12"),
    ("2027-01-20", "gpt-audio-mini gpt-audio-mini-2025-12-15"),
    ("2026-05-07", "gpt-4o-audio-preview gpt-4o-audio-preview-2024-12-17 "
                   "gpt-4o-audio-preview-2025-06-03 gpt-4o-mini-audio-preview "
                   "gpt-4o-mini-audio-preview-2024-12-17"),
    ("2025-10-10", "gpt-4o-audio-preview-2024-10-01"),
    ("2026-02-17", "chatgpt-4o-latest"),
    ("2026-02-12", "codex-mini-latest"),
    ("2026-03-26", "gpt-4-0125-preview gpt-4-turbo-preview gpt-4-0314"),
    ("2024-12-06", "gpt-4-vision-preview"),
    ("2025-06-06", "gpt-4-32k gpt-4-32k-0314 gpt-4-32k-0613"),
    ("2024-09-13", "gpt-3.5-turbo-16k gpt-3.5-turbo-0301 gpt-3.5-turbo-0613 "
                   "gpt-3.5-turbo-16k-0613"),
    ("2026-09-28", "gpt-3.5-turbo-1106"),
]:
    SHUTDOWN.update(dict.fromkeys(_names.split(), _date))

#: ``ChatModel``, in the SDK's order; then the ids only ``ResponsesModel`` adds.
CHAT_IDS = (
    "gpt-6-astra gpt-6.2-astra gpt-6.1-sol gpt-6.2-sol gpt-6.1-terra gpt-6-sol gpt-6-luna "
    "gpt-5.6-sol gpt-5.6-terra gpt-5.6-luna gpt-5.5 gpt-5.5-2026-04-23 gpt-5.4 gpt-5.4-mini "
    "gpt-5.4-nano gpt-5.4-mini-2026-03-17 gpt-5.4-nano-2026-03-17 gpt-5.3-chat-latest gpt-5.2 "
    "gpt-5.2-2025-12-11 gpt-5.2-chat-latest gpt-5.2-pro gpt-5.2-pro-2025-12-11 gpt-5.1 "
    "gpt-5.1-2025-11-13 gpt-5.1-codex gpt-5.1-mini gpt-5.1-chat-latest gpt-5 gpt-5-mini "
    "gpt-5-nano gpt-5-2025-08-07 gpt-5-mini-2025-08-07 gpt-5-nano-2025-08-07 gpt-5-chat-latest "
    "gpt-4.1 gpt-4.1-mini gpt-4.1-nano gpt-4.1-2025-04-14 gpt-4.1-mini-2025-04-14 "
    "gpt-4.1-nano-2025-04-14 o4-mini o4-mini-2025-04-16 o3 o3-2025-04-16 o3-mini "
    "o3-mini-2025-01-31 o1 o1-2024-12-17 o1-preview o1-preview-2024-09-12 o1-mini "
    "o1-mini-2024-09-12 gpt-4o gpt-4o-2024-11-20 gpt-4o-2024-08-06 gpt-4o-2024-05-13 "
    "gpt-audio-mini gpt-audio-mini-2025-12-15 gpt-4o-audio-preview gpt-4o-audio-preview-2024-10-01 "
    "gpt-4o-audio-preview-2024-12-17 gpt-4o-audio-preview-2025-06-03 gpt-4o-mini-audio-preview "
    "gpt-4o-mini-audio-preview-2024-12-17 gpt-4o-search-preview gpt-4o-mini-search-preview "
    "gpt-4o-search-preview-2025-03-11 gpt-4o-mini-search-preview-2025-03-11 chatgpt-4o-latest "
    "codex-mini-latest gpt-4o-mini gpt-4o-mini-2024-07-18 gpt-4-turbo gpt-4-turbo-2024-04-09 "
    "gpt-4-0125-preview gpt-4-turbo-preview gpt-4-1106-preview gpt-4-vision-preview gpt-4 "
    "gpt-4-0314 gpt-4-0613 gpt-4-32k gpt-4-32k-0314 gpt-4-32k-0613 gpt-3.5-turbo "
    "gpt-3.5-turbo-16k gpt-3.5-turbo-0301 gpt-3.5-turbo-0613 gpt-3.5-turbo-1106 "
    "gpt-3.5-turbo-0125 gpt-3.5-turbo-16k-0613"
).split()
RESPONSES_ONLY_IDS = (
    "o1-pro o1-pro-2025-03-19 o3-pro o3-pro-2025-06-10 o3-deep-research "
    "o3-deep-research-2025-06-26 o4-mini-deep-research o4-mini-deep-research-2025-06-26 "
    "computer-use-preview computer-use-preview-2025-03-11 gpt-5.5-pro gpt-5.5-pro-2026-04-23 "
    "gpt-5-codex gpt-5-pro gpt-5-pro-2025-10-06 gpt-5.1-codex-max gpt-daybreak-blue-latest "
    "gpt-daybreak-red-latest gpt-5.6-cyber gpt-6-cyber gpt-rosalind-research gpt-6-rosalind "
    "gpt-6.2-astra-law"
).split()
#: "gpt-5.1-mini: Not a supported model ID. Retained for SDK compatibility." (SDK docstring)
UNSUPPORTED = {"gpt-5.1-mini"}

#: ``VideoSeconds`` / ``VideoSize`` as openai 3.57 types them, and the values OpenAI's
#: March 2026 notes added (16/20 s, 1080p on sora-2-pro) that the types never listed.
SECONDS_TYPED = ("4", "8", "12")
SECONDS = SECONDS_TYPED + ("16", "20")
SIZES_TYPED = ("720x1280", "1280x720", "1024x1792", "1792x1024")
SIZES_STANDARD = ("720x1280", "1280x720")
SIZES_PRO = SIZES_TYPED + ("1080x1920", "1920x1080")

#: ``("chat", id)`` and ``("responses", id)`` for the text models; ``("videos", id)`` for Sora.
MODELS: ModelTable[ModelSpec] = ModelTable()
for _id in CHAT_IDS + RESPONSES_ONLY_IDS:
    _spec = ModelSpec(listed=_id not in UNSUPPORTED, shutdown=SHUTDOWN.get(_id),
                      chat=_id in CHAT_IDS, image=RULES[_id], supported=_id not in UNSUPPORTED)
    MODELS.add(_id, _spec, *(("chat", "responses") if _spec.chat else ("responses",)))
MODELS.add("sora-2", ModelSpec(sizes=SIZES_STANDARD, shutdown="2026-09-24"), "videos")
MODELS.add("sora-2-pro", ModelSpec(sizes=SIZES_PRO, shutdown="2026-09-24"), "videos")
MODELS.add("sora-2-2025-10-06 sora-2-2025-12-08",
           ModelSpec(False, "2026-09-24", sizes=SIZES_STANDARD), "videos")
MODELS.add("sora-2-pro-2025-10-06", ModelSpec(False, "2026-09-24", sizes=SIZES_PRO), "videos")
