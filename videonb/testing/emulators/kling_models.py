"""The Kling emulator's one model table: every ``model_name`` the Kling API reference names
for ``/v1/videos/text2video`` and ``/v1/videos/image2video``, with its modes, durations,
``sound`` and price in units.

Sources (read 2026-12-01; Kling's pages block automated readers, so these are copies): the
text-to-video reference (``model_name`` values, ``mode`` std/pro, ``duration`` "5"/"10",
``aspect_ratio`` 16:9/9:16/1:1, 2,500-character prompts; ``sound`` on/off from v2.6), a logged
real ``kling-v3`` request (``duration`` "5"), third-party copies of Kling 3.0's 3-15 s range,
and Kling's pricing page via the 2026-09-28 note (providers.md §6: 1 unit = $0.14; Kling 3.0
0.6 units/s at 720p, 0.9 with sound, $0.112/s and $0.168/s at 1080p).  Which models do text to
video (v1.5 and v2.1 are image to video only) follows the capability map as third-party docs
copy it (runblob.io); the unit prices of the 2.x and 1.x models are the emulator's own
(UNCONFIRMED), one unit per second."""

from __future__ import annotations

from dataclasses import dataclass

from .kit.models import ModelTable

__all__ = ["KlingModel", "MODELS", "T2V", "I2V", "RATIOS", "PROMPT_MAX", "UNIT_USD"]

T2V, I2V = "text2video", "image2video"
RATIOS = ("16:9", "9:16", "1:1")
PROMPT_MAX = 2500
#: US dollars per unit [Kling pricing page via providers.md §6].
UNIT_USD = 0.14


@dataclass(frozen=True)
class KlingModel:
    """Limits and price of one ``model_name``."""

    durations: tuple[str, ...] = ("5", "10")
    modes: tuple[str, ...] = ("std", "pro")
    sound: bool = False  # takes ``sound`` on/off
    #: Units per second: (std, pro) without sound, and with sound on.
    units: tuple[float, float] = (1.0, 1.0)
    units_sound: tuple[float, float] | None = None

    def cost_tenths(self, mode: str, seconds: int, sound: bool) -> int:
        """The price of one task in tenths of a unit (what the emulator's wallet counts)."""
        rates = self.units_sound if sound and self.units_sound else self.units
        rate = rates[0] if mode == "std" else rates[1]
        return round(rate * seconds * 10)


MODELS: ModelTable[KlingModel] = ModelTable()
_OLD = KlingModel()
MODELS.add("kling-v1 kling-v1-6 kling-v2-master kling-v2-1-master kling-v2-5-turbo", _OLD, T2V, I2V)
MODELS.add("kling-v1-5 kling-v2-1", _OLD, I2V)
MODELS.add("kling-v2-6", KlingModel(sound=True, units_sound=(2.0, 2.0)), T2V, I2V)
MODELS.add("kling-v3", KlingModel(durations=tuple(str(s) for s in range(3, 16)), sound=True,
                                  units=(0.6, 0.8), units_sound=(0.9, 1.2)), T2V, I2V)
