"""Notebook layer: ``%load_ext videonb`` registers ``%%videogen``, ``%analyze`` and ``%videonb``.

Loading the extension imports only IPython's magic machinery; videonb's media and
provider code loads when a magic first runs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    from .magics import VideoNbMagics, empty_cell_magic_body

    ipython.register_magics(VideoNbMagics)
    # An empty %%videogen body reaches videonb (which says what to write) instead of IPython's
    # own "did you mean the line magic?" (see magics.empty_cell_magic_body).
    cleanup = getattr(ipython, "input_transformers_cleanup", None)
    if isinstance(cleanup, list) and empty_cell_magic_body not in cleanup:
        cleanup.append(empty_cell_magic_body)
