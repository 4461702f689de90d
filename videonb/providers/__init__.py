"""Provider core: one async-first interface over the ``local`` renderer/analyser and hosted APIs.

``videonb.providers()`` (this package is callable) lists providers, models, capabilities,
limits, prices and whether a key is configured.  The public functions live in
:mod:`videonb.providers.api` and are re-exported at the top level (``videonb.generate``...).
Importing this package is light: HTTP clients and SDKs load when a provider is used.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    """Lets ``videonb.providers()`` work although ``videonb.providers`` is also this package."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .api import providers

        return providers(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
