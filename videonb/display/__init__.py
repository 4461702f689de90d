"""Static, self-contained notebook output: players, frame grids, timelines, reports.

Each class renders through ``_repr_html_``/``_repr_mimebundle_`` (so a cell that
ends with one shows it) and has ``.html`` (the markup as a string, for tests
and for marimo's ``mo.Html``) and ``.save(path)`` (a standalone HTML page).
The string builders live in :mod:`videonb.display.html`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..media import views as _views
from . import html as _html

__all__ = ["Player", "FrameGrid", "Timeline", "Report", "report", "show"]


class _Output:
    """Common behaviour: cached HTML, mimebundle, save."""

    _cached: str | None = None

    def _build(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def html(self) -> str:
        """The output's self-contained HTML (built once, then cached)."""
        if self._cached is None:
            self._cached = self._build()
        return self._cached

    def _repr_html_(self) -> str:
        return self.html

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self.html, "text/plain": repr(self)}

    def save(self, path: str | Path, *, title: str | None = None) -> Path:
        """Write a standalone HTML page (opens in any browser, offline)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(_html.page(self.html, title=title or type(self).__name__), encoding="utf-8")
        return p


class Player(_Output):
    """An inline video player; see :func:`videonb.display.html.player_html` for options."""

    def __init__(self, video: Any, **options: Any) -> None:
        from ..media.video import as_video

        self.video = as_video(video)
        self.options = options

    def _build(self) -> str:
        return _html.player_html(self.video, **self.options)

    def __repr__(self) -> str:
        return f"<Player {self.video.name}>"


class FrameGrid(_Output):
    """Thumbnails with exact timestamps (from :class:`~videonb.Frames` or a list of images)."""

    def __init__(self, frames: Any, **options: Any) -> None:
        self.frames = frames
        self.options = options

    def _build(self) -> str:
        return _html.frame_grid_html(self.frames, **self.options)

    def __repr__(self) -> str:
        return f"<FrameGrid {len(getattr(self.frames, 'images', self.frames))} frames>"


class Timeline(_Output):
    """Shot bar + key-moment markers + list, above a player they seek.

    ``Timeline(moments)`` includes a player of the same video (so markers have
    something to seek); ``player=False`` renders the timeline alone.
    """

    def __init__(self, moments: Any, *, player: bool = True, **options: Any) -> None:
        self.moments = moments
        self.player = player
        self.options = options

    def _build(self) -> str:
        m = self.moments
        if not self.player:
            return _html.timeline_html(list(m.moments), duration=m.info.duration,
                                       shots=list(m.shots), **self.options)
        pid = _html.new_id("vnb-video")
        return (_html.STYLE + '<div class="vnb">'
                + _html.player_html(m.path, element_id=pid, with_style=False)
                + _html.timeline_html(list(m.moments), duration=m.info.duration,
                                      shots=list(m.shots), player_id=pid, with_style=False,
                                      **self.options)
                + "</div>")

    def __repr__(self) -> str:
        return f"<Timeline {self.moments!r}>"


class Report(_Output):
    """Player, summary, key-moment timeline and frame grid of one video, wired together."""

    def __init__(self, video: Any, *, moments: Any = None, frames: Any = None,
                 **options: Any) -> None:
        from ..media.video import as_video

        self.video = as_video(video)
        n_frames = options.pop("n_frames", 12)
        if moments is None and frames is None:
            from ..media.moments import analyze_video

            got = analyze_video(self.video, n_frames=n_frames, max_side=480)  # one decode
            moments, frames = got.moments, got.frames
        self.moments = moments if moments is not None else self.video.moments()
        self.frames = frames if frames is not None else self.video.frames(n=n_frames,
                                                                          max_side=480)
        self.options = options

    def _build(self) -> str:
        return _html.report_html(self.video, moments=self.moments, frames=self.frames,
                                 **self.options)

    def __repr__(self) -> str:
        return f"<Report {self.video.name}: {self.moments!r}>"


def report(video: Any, **options: Any) -> Report:
    """Analyse ``video`` locally and return a :class:`Report` (player + timeline + grid)."""
    return Report(video, **options)


def show(obj: Any, **options: Any) -> None:
    """Display a video (path, URL, bytes, frames), Frames or Moments in the notebook."""
    from IPython.display import display

    from ..media.video import Video

    # Anything that is not already an output (a path, URL, bytes, frames), or a Video with
    # player options, becomes a Player; outputs display as they are.
    if isinstance(obj, Video) and options or not hasattr(obj, "_repr_html_"):
        obj = Player(obj, **options)
    display(obj)


# Media values show themselves through these (see videonb/media/views.py): registered here, so
# media never imports display.
_views.register_view("player", Player)
_views.register_view("report", Report)
_views.register_view("grid", FrameGrid)
_views.register_view("timeline", Timeline)
