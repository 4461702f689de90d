"""What every widget shares: the static HTML it carries in its mimebundle (so saved,
exported and GitHub-rendered notebooks still show the output) and safe text for the page.

Importing this module imports anywidget, ipywidgets and traitlets, with a clear error when
they are missing.
"""

from __future__ import annotations

from typing import Any

from ...errors import ProviderUnavailableError

# Imported once, here, with the error below; the widget modules take them from this module.
try:  # anywidget and ipywidgets are dependencies; the message is for broken installs
    import anywidget  # noqa: F401
    import ipywidgets as W  # noqa: F401
    import traitlets as T  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the packages
    raise ProviderUnavailableError(
        f"videonb widgets need anywidget and ipywidgets ({exc}); pip install anywidget ipywidgets"
    ) from exc


class _StaticFallback:
    """Adds the static HTML of the foundation to a widget's mimebundle.

    Front ends that render widgets (JupyterLab, Notebook 7, VS Code, Colab) prefer the
    widget view; everything else (GitHub, nbviewer without widget state, untrusted
    notebooks, ``nbconvert --to html``) shows the HTML.
    """

    _static_cache: str | None = None
    #: Panels change after they are shown (a result arrives): rebuild their copy every time.
    _static_changes = False

    def static_html(self) -> str:
        """The self-contained HTML shown where widgets cannot run."""
        if self._static_cache is None or self._static_changes:
            try:
                self._static_cache = self._build_static()
            except Exception as exc:  # noqa: BLE001 - the widget must still render
                from ...display.html import esc

                self._static_cache = (f'<div class="vnb-note">videonb: no static copy of this '
                                      f"output ({esc(type(exc).__name__)}: {esc(str(exc))})</div>")
        return self._static_cache

    def _build_static(self) -> str:  # pragma: no cover - overridden
        return ""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if data is not None:
            data["text/html"] = self.static_html()
        return bundle


def _esc(text: Any) -> str:
    from ...display.html import esc

    return esc(str(text))


def _plain_error(exc: BaseException) -> str:
    """``Type: message`` with any known key redacted (for text shown in the page)."""
    from ..._redact import redact

    return redact(f"{type(exc).__name__}: {exc}")


def _error_html(exc: BaseException, tag: str = "div") -> str:
    return f'<{tag} class="vnb-note" data-status="failed">{_esc(_plain_error(exc))}</{tag}>'
