"""The doctor's widget: the checkup page, plus what only the browser knows (what it can play,
that widgets render here), reported back to Python through traits."""

from __future__ import annotations

from typing import Any

from ...display.doctor import PROBE_JS
from . import _js
from ._base import T, _StaticFallback, anywidget

__all__ = ["Doctor"]


class Doctor(_StaticFallback, anywidget.AnyWidget):
    """``videonb.doctor()``: the checkup (``.checkup``) shown as a page.  Once a browser has
    shown it, ``.rendered`` is True and ``.browser`` maps each codec to ``canPlayType``'s
    answer (``"probably"``, ``"maybe"`` or ``""``)."""

    _esm = _js.DOCTOR_ESM.replace("__PROBE__", PROBE_JS)
    _css = ""
    page = T.Unicode("").tag(sync=True)
    browser = T.Dict({}, help="codec → the browser's canPlayType answer.").tag(sync=True)
    user_agent = T.Unicode("").tag(sync=True)
    rendered = T.Bool(False, help="True once a front end has rendered this widget.").tag(sync=True)

    def __init__(self, checkup: Any, **kwargs: Any) -> None:
        from ...display.doctor import doctor_html
        from ..doctor import PLAYBACK_PROBES

        self.checkup = checkup
        super().__init__(page=doctor_html(checkup.sections, PLAYBACK_PROBES, script=False,
                                          widgets="asking…"), **kwargs)

    @property
    def plays(self) -> dict[str, bool]:
        """codec → whether the browser says it can play it ({} until a browser has answered)."""
        return {k: v in ("probably", "maybe") for k, v in self.browser.items()}

    def front_end(self) -> str:
        if not self.rendered:
            return ("not checked yet: the widget has not been shown in a browser (in a notebook, "
                    "make it the last line of a cell)")
        plays = ", ".join(f"{k} {'yes' if ok else 'no'}" for k, ok in self.plays.items())
        return f"widgets render here; plays {plays} ({self.user_agent})"

    def _build_static(self) -> str:
        from ...display.doctor import doctor_html
        from ..doctor import PLAYBACK_PROBES

        return doctor_html(self.checkup.sections, PLAYBACK_PROBES)

    def __repr__(self) -> str:
        return self.checkup.text(front_end=self.front_end())
