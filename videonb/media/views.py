"""How media values get their notebook output without importing the display floor.

:class:`~videonb.media.video.Video`, :class:`~videonb.media.sampling.Frames` and
:class:`~videonb.media.moments.Moments` show themselves (``_repr_html_``, ``.player()``,
``.grid()``, ``.timeline()``, ``.report()``) by asking this registry for a *view* by name.
The display floor fills the registry when it is imported (the end of
``videonb/display/__init__.py``: ``"player"``, ``"report"``, ``"grid"``, ``"timeline"``).

Media never imports display, not even inside a function.  When a view is asked for before
display was imported, the registry first runs its *loaders*: callables installed from above.
The package top (``videonb/__init__.py``) installs one that imports :mod:`videonb.display`.
Python runs ``videonb/__init__.py`` before any ``videonb.*`` submodule, so the loader is in place
however the value was made: ``videonb.Video(...)`` or ``from videonb.media.video import Video``.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from ..errors import VideonbError

__all__ = ["register_view", "add_loader", "view", "VIEW_NAMES"]

#: The views media values ask for, and what each shows.
VIEW_NAMES: dict[str, str] = {
    "player": "an inline player of a Video",
    "report": "player, summary, key-moment timeline and frame grid of a Video",
    "grid": "a frame grid of Frames",
    "timeline": "the key-moment timeline (with its player) of Moments",
}

_views: dict[str, Callable[..., Any]] = {}
_loaders: list[Callable[[], None]] = []
_lock = threading.Lock()


def register_view(name: str, factory: Callable[..., Any]) -> None:
    """Make ``factory(value, **options)`` the view ``name`` (one of :data:`VIEW_NAMES`).

    The factory returns an object with ``_repr_html_`` (a display output).  Registering a name
    again replaces the factory.
    """
    if name not in VIEW_NAMES:
        raise ValueError(f"unknown view {name!r}; the views are {', '.join(VIEW_NAMES)}")
    _views[name] = factory


def add_loader(loader: Callable[[], None]) -> None:
    """Run ``loader()`` the first time a view is asked for and none is registered yet."""
    with _lock:
        if loader not in _loaders:
            _loaders.append(loader)


def view(name: str, value: Any, **options: Any) -> Any:
    """The output ``name`` of ``value`` (e.g. ``view("player", video, width=320)``)."""
    factory = _views.get(name)
    if factory is None:
        with _lock:
            loaders = list(_loaders)
        for loader in loaders:
            loader()
        factory = _views.get(name)
    if factory is None:
        raise VideonbError(
            f"no {name!r} view is registered, so {type(value).__name__} cannot show itself; "
            "import videonb (or videonb.display) first.")
    return factory(value, **options)
