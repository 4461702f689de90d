"""The Runway emulator's one model table: every model id the SDK's create params know on
``text_to_video``, ``image_to_video`` and ``video_to_video``, with its limits.

The typed facts (ids per endpoint, ``ratio`` and ``duration`` choices, which fields are
required, ``promptImage`` positions, ``resolution`` choices, whether ``audio`` exists) are
those of runwayml 5.24.0's ``types/{text,image,video}_to_video_create_params.py``;
``tests/test_emulator_tables.py`` compares them with the installed SDK, so a release that
changes them fails a test.  The untyped facts come from the same files' docstrings
(prompt lengths, ``duration`` ranges such as "an integer from 2 to 10") or from Runway's
pricing page as quoted in providers.md (credits per second); where no source gives a
limit the emulator checks none (prompt length) or its own loose bound (``duration`` 1-20),
as ``docs/emulators.md`` says.

Ids dropped from the SDK are in :attr:`MODELS.retired <.kit.models.ModelTable.retired>`
and get the same 400 as an unknown id (a body no variant of the discriminated union
accepts)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .kit.models import ModelTable

__all__ = ["ANY", "MODELS", "ModelSpec", "T2V", "I2V", "V2V", "TIER_DEFAULTS"]

T2V, I2V, V2V = "text_to_video", "image_to_video", "video_to_video"
#: ``ratios=ANY``: the model's ``ratio`` is a free string (aleph2).
ANY = ("*",)


@dataclass(frozen=True)
class ModelSpec:
    """Validation limits and price of one model on one endpoint."""

    #: Allowed ``ratio`` values; ``None``: the model has no ``ratio`` (ignored if sent).
    ratios: tuple[str, ...] | None = None
    ratio_required: bool = False
    #: ``duration`` choices the SDK types list (``Literal``); ``None``: any int in
    #: ``duration_range``.
    durations: tuple[int, ...] | None = None
    duration_range: tuple[int, int] = (1, 20)  # docstring range, else the emulator's own
    duration_required: bool = False
    duration_auto: bool = False  # "auto" accepted
    has_duration: bool = True
    default_duration: int = 5
    prompt_required: bool = True
    prompt_max: int | None = None  # UTF-16 units; None: no documented maximum
    #: The media input: ``promptImage`` (image_to_video), ``videoUri`` or ``promptVideo``.
    media: str | None = None
    #: ``promptImage`` array positions; ``None``: not checked (the SDK types say ``object``).
    positions: tuple[str, ...] | None = ("first",)
    position_required: bool = True
    resolutions: tuple[str, ...] | None = None
    audio: bool = False  # the model takes ``audio`` (price changes with it when rated)
    credits_per_second: float = 10.0  # UNCONFIRMED for models without a published rate
    audio_credits_per_second: float | None = None
    #: Further body fields of this model: name -> :func:`~.kit.check` keywords.
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def free_ratio(self) -> bool:
        return self.ratios == ANY


GEN4 = ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672")
VEO = ("1280:720", "720:1280", "1080:1920", "1920:1080")
K4K = ("3840:2160", "2160:3840", "2880:2880")
KPRO = ("1920:1080", "1080:1920", "1440:1440")
KSTD = ("1280:720", "720:1280", "960:960")
HAILUO = ("adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
HAILUO_RES = ("768p", "2k", "768P", "2K")
SEED_LOW = ("992:432", "864:496", "752:560", "640:640", "560:752", "496:864", "1470:630",
            "1280:720", "1112:834", "960:960", "834:1112", "720:1280")
SEED = SEED_LOW + ("2206:946", "1920:1080", "1664:1248", "1440:1440", "1248:1664", "1080:1920",
                   "3840:1646", "3840:2160", "3840:2880", "3840:3840", "2880:3840", "2160:3840")
SEED25 = ("992:432", "854:480", "752:560", "640:640", "560:752", "480:854", "1470:630",
          "1280:720", "1112:834", "960:960", "834:1112", "720:1280", "2206:946", "1920:1080",
          "1664:1248", "1440:1440", "1248:1664", "1080:1920")
WAN = ("832:480", "720:544", "624:624", "544:720", "480:832", "1280:720", "1104:832", "960:960",
       "832:1104", "720:1280", "1920:1080", "1648:1248", "1440:1440", "1248:1648", "1080:1920",
       "auto_480p", "auto_720p", "auto_1080p")
OMNI11 = ("640:360", "360:640", "1280:720", "720:1280", "1920:1080", "1080:1920", "3840:2160",
          "2160:3840")
HAPPY = ("1280:720", "720:1280", "960:960", "1108:832", "832:1108", "1920:1080", "1080:1920",
         "1440:1440", "1662:1248", "1248:1662")
GROK = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3")
GROK_LITE = ("848:480", "480:848", "480:480", "640:480", "480:640", "720:480", "480:720",
             "1280:720", "720:1280", "720:720", "960:720", "720:960", "1088:720", "720:1088",
             "1904:1072", "1072:1904", "1424:1424", "1648:1232", "1232:1648", "1744:1152",
             "1152:1744")
KLING4 = ("1280:720", "720:1280", "940:940", "1460:624", "1920:1080", "1080:1920", "1440:1440",
          "2200:940", "auto_720p", "auto_1080p")
AUTO_720_1080 = ("auto_720p", "auto_1080p")
ALEPH_ASPECTS = ("16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "21:9")
FL = ("first", "last")

#: Credits per second [Runway pricing page, quoted 2026-09-28 in providers.md §2]; older
#: skills notes for aleph (15).  (rate, rate with ``audio`` true) for the audio models.
PRICES: dict[str, tuple[float, float | None]] = {
    "gen4.5": (12, None), "gen4_turbo": (5, None), "veo3.1": (20, 40), "veo3.1_fast": (10, 15),
    "seedance2": (36, None), "aleph2": (15, None),
}

_GEN45 = dict(ratio_required=True, duration_required=True, duration_range=(2, 10),
              prompt_max=1000)
_VEO = dict(ratios=VEO, ratio_required=True, durations=(4, 6, 8), default_duration=8,
            prompt_max=1000, audio=True)
_KLING = dict(ratio_required=True, prompt_required=False, audio=True)
_SEEDANCE = dict(duration_auto=True, prompt_max=3500, audio=True)
_SEED25 = dict(ratios=SEED25, duration_auto=True, prompt_required=False, prompt_max=15000,
               audio=True)
_OMNI = dict(ratios=("1280:720", "720:1280"), duration_range=(3, 10))
_OMNI11 = dict(ratios=OMNI11, duration_auto=True, duration_range=(3, 10))

# (model, limits) per endpoint, in the SDK's order.
_ROWS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    T2V: [
        ("gen4.5", dict(ratios=("1280:720", "720:1280"), **_GEN45)),
        ("veo3.1", _VEO),
        ("veo3.1_fast", _VEO),
        ("klingO3_4k", dict(ratios=K4K, **_KLING)),
        ("hailuo3", dict(ratios=HAILUO, resolutions=HAILUO_RES)),
        ("kling3.0_4k", dict(ratios=K4K, **_KLING)),
        ("happyhorse_1_0", dict(ratios=HAPPY, prompt_max=2500)),
        ("kling2.5_turbo_pro", dict(ratios=("1920:1080", "1440:1440", "1080:1920", "1280:720",
                                            "720:720", "720:1280"), durations=(5, 10))),
        ("kling3.0_pro", dict(ratios=KPRO, **_KLING)),
        ("kling3.0_standard", dict(ratios=KSTD, **_KLING)),
        ("klingO3_pro", dict(ratios=KPRO, **_KLING)),
        ("klingO3_standard", dict(ratios=KSTD, **_KLING)),
        ("seedance2", dict(ratios=SEED, **_SEEDANCE)),
        ("seedance2_fast", dict(ratios=SEED_LOW, **_SEEDANCE)),
        ("seedance2_mini", dict(ratios=SEED_LOW, **_SEEDANCE)),
        ("gemini_omni_flash", _OMNI),
        ("grok_imagine_1_5", dict(ratios=GROK, resolutions=("480p", "720p", "1080p"))),
        ("wan3", dict(ratios=WAN, audio=True)),
        ("gemini_omni_flash_1.1", _OMNI11),
        ("wan3_prime", dict(ratios=WAN, audio=True)),
        ("h3_max", dict(resolutions=("480p", "768p"))),
        ("seedance2_5", _SEED25),
        ("grok_imagine_1_5_lite", dict(ratios=GROK_LITE)),
        ("kling_4", dict(ratios=KLING4)),
    ],
    I2V: [
        ("gen4.5", dict(ratios=GEN4, **_GEN45)),
        ("gen4_turbo", dict(ratios=GEN4, ratio_required=True, prompt_required=False,
                            prompt_max=1000)),
        ("veo3.1", dict(_VEO, prompt_required=False, positions=FL)),
        ("veo3.1_fast", dict(_VEO, prompt_required=False, positions=FL)),
        ("klingO3_4k", dict(ratios=K4K, prompt_required=False, audio=True, positions=FL)),
        ("hailuo3", dict(ratios=HAILUO, resolutions=HAILUO_RES, positions=None)),
        ("kling3.0_4k", dict(ratios=K4K, prompt_required=False, audio=True, positions=FL)),
        ("happyhorse_1_0", dict(prompt_required=False, prompt_max=2500,
                                resolutions=("720p", "1080p", "720P", "1080P"))),
        ("kling2.5_turbo_pro", dict(durations=(5, 10), positions=FL)),
        ("kling3.0_pro", dict(ratios=KPRO, prompt_required=False, audio=True, positions=FL)),
        ("kling3.0_standard", dict(ratios=KSTD, prompt_required=False, audio=True,
                                   positions=FL)),
        ("klingO3_pro", dict(ratios=KPRO, prompt_required=False, audio=True, positions=FL)),
        ("klingO3_standard", dict(ratios=KSTD, prompt_required=False, audio=True,
                                  positions=FL)),
        ("seedance2", dict(ratios=SEED, prompt_required=False, positions=FL,
                           position_required=False, **_SEEDANCE)),
        ("seedance2_fast", dict(ratios=SEED_LOW, prompt_required=False, positions=FL,
                                position_required=False, **_SEEDANCE)),
        ("seedance2_mini", dict(ratios=SEED_LOW, prompt_required=False, positions=FL,
                                position_required=False, **_SEEDANCE)),
        ("gemini_omni_flash", dict(_OMNI, prompt_required=False)),
        ("grok_imagine_1_5", dict(prompt_required=False, resolutions=("480p", "720p", "1080p"))),
        ("wan3", dict(ratios=WAN, audio=True, positions=None)),
        ("gemini_omni_flash_1.1", dict(_OMNI11, positions=FL)),
        ("wan3_prime", dict(ratios=WAN, audio=True, positions=None)),
        ("h3_max", dict(resolutions=("480p", "768p"), positions=FL)),
        ("seedance2_5", dict(_SEED25, positions=FL, position_required=False)),
        ("grok_imagine_1_5_lite", dict(ratios=("auto_480p",) + AUTO_720_1080,
                                       prompt_required=False)),
        ("kling_4", dict(ratios=AUTO_720_1080, prompt_required=False, positions=None)),
    ],
    V2V: [
        ("aleph2", dict(ratios=ANY, has_duration=False, prompt_required=False,
                        fields={"keyframes": dict(type="array", maximum=5),
                                "targetAspectRatio": dict(choices=ALEPH_ASPECTS)})),
        ("klingO3_4k", dict(has_duration=False, media="promptVideo")),
        ("hailuo3", dict(ratios=HAILUO, resolutions=HAILUO_RES, media="promptVideo")),
        ("klingO3_pro", dict(has_duration=False, media="promptVideo")),
        ("klingO3_standard", dict(has_duration=False, media="promptVideo")),
        ("seedance2", dict(ratios=SEED, prompt_required=False, media="promptVideo",
                           **_SEEDANCE)),
        ("seedance2_fast", dict(ratios=SEED_LOW, prompt_required=False, media="promptVideo",
                                **_SEEDANCE)),
        ("seedance2_mini", dict(ratios=SEED_LOW, prompt_required=False, media="promptVideo",
                                **_SEEDANCE)),
        ("gemini_omni_flash", dict(has_duration=False)),
        ("gemini_omni_flash_1.1", dict(ratios=OMNI11, duration_auto=True)),
        ("seedance2_5", dict(_SEED25, media="promptVideo")),
        ("kling_4", dict(ratios=AUTO_720_1080, has_duration=False)),
    ],
}
_MEDIA = {T2V: None, I2V: "promptImage", V2V: "videoUri"}

#: (endpoint, model) -> limits.
MODELS: ModelTable[ModelSpec] = ModelTable()
for _endpoint, _rows in _ROWS.items():
    for _model, _limits in _rows:
        _rate, _audio_rate = PRICES.get(_model, (10.0, None))
        _spec = ModelSpec(media=_MEDIA[_endpoint], credits_per_second=_rate,
                          audio_credits_per_second=_audio_rate)
        MODELS.add(_model, replace(_spec, **_limits), _endpoint)
MODELS.retire("gen3a_turbo", "dropped from the SDK's image_to_video params in 2026-06 "
              "(runwayml sdk-python 6fbc91a, 2026-06-05)")
MODELS.retire("gen4_aleph", "dropped from the SDK's video_to_video params in 2026-06")
MODELS.retire("veo3", "not in runwayml 5.24's text_to_video or image_to_video params")
MODELS.retire("upscale_v1", "dropped from the SDK's video_upscale params")

#: The tier limits every model gets unless ``limits=`` says otherwise (docs.dev.runwayml.com
#: usage/tiers, quoted in providers.md §2: tier 1 is 1-2 concurrent and 50-200 a day, per
#: model; the per-model figures are not published, so one default serves every model).
TIER_DEFAULTS = {"concurrency": 2, "daily": None}
