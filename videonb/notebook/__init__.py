"""Notebook layer: ``%load_ext videonb`` registers ``%%videogen``, ``%analyze`` and ``%videonb``.

Loading the extension imports only IPython's magic machinery; videonb's media and
provider code loads when a magic first runs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    from .magics import VideoNbMagics

    ipython.register_magics(VideoNbMagics)
