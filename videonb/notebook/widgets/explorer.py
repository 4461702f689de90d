"""The linked views of one video (anywidget, no build step): a :class:`Player` whose state
Python can read and drive, a clickable key-moment :class:`Timeline` and :class:`FrameGrid` that
seek it, and the :class:`Explorer` (:func:`explore`) that shows all three."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from . import _js
from ._base import T, W, _esc, _plain_error, _StaticFallback, anywidget

__all__ = ["Player", "Timeline", "FrameGrid", "Explorer", "explore"]


def _thumb(img: Any, side: int = 120) -> str:
    from ...display.html import jpeg_data_uri

    return jpeg_data_uri(img, max_side=side, quality=65) if img is not None else ""


# --------------------------------------------------------------------------------------
# Player
# --------------------------------------------------------------------------------------
class Player(_StaticFallback, anywidget.AnyWidget):
    """An HTML5 player whose state is visible and controllable from Python.

    ``current_time``, ``duration`` and ``playing`` follow the browser; ``seek(t)``,
    ``play()`` and ``pause()`` drive it; ``on_event(callback)`` receives
    ``{"event": "play" | "pause" | "ended" | "seeked", "time": seconds}``.

    The browser loads the file from Jupyter's ``/files/`` route when the file is under the
    server's root (no bytes through the kernel).  Otherwise it asks the kernel, which sends
    the file only when it is small and browser-playable, else a downscaled H.264 preview
    within ``videonb.config.embed_max_bytes``; a large file never goes through the comm.
    """

    _esm = _js.PLAYER_ESM
    _css = _js.CSS

    path = T.Unicode("", help="Absolute path of the file on the kernel's machine.").tag(sync=True)
    home_path = T.Unicode("", help="The same path as '~/…' when it is under the home folder.").tag(
        sync=True)
    rel_path = T.Unicode("", help="Path relative to the kernel's folder ('' if outside).").tag(sync=True)
    src = T.Unicode("", help="An explicit URL to load first (optional).").tag(sync=True)
    mime = T.Unicode("video/mp4").tag(sync=True)
    poster = T.Unicode("").tag(sync=True)
    caption = T.Unicode("").tag(sync=True)
    width = T.Int(640).tag(sync=True)
    muted = T.Bool(False).tag(sync=True)
    loop = T.Bool(False).tag(sync=True)
    current_time = T.Float(0.0, help="Playback position in seconds (from the browser).").tag(sync=True)
    duration = T.Float(0.0, help="Duration in seconds as the browser reports it.").tag(sync=True)
    playing = T.Bool(False).tag(sync=True)
    loaded_from = T.Unicode("", help="'files', 'bytes' or 'url': how the browser got the video.").tag(
        sync=True)
    _data = T.Bytes(b"").tag(sync=True)
    _seek = T.Dict({}, help="Set by linked views in the browser to seek without the kernel.").tag(
        sync=True)

    def __init__(self, video: Any, *, width: int | None = None, muted: bool = False,
                 loop: bool = False, src: str = "", **kwargs: Any) -> None:
        from ...display.html import data_uri, provenance_line
        from ...media.encode import poster_jpeg
        from ...media.video import as_video

        self.video = as_video(video)
        info = self.video.info
        path = Path(self.video.path).resolve()
        try:
            rel = os.path.relpath(path, Path.cwd().resolve())
            rel = "" if rel.startswith("..") else rel.replace(os.sep, "/")
        except ValueError:
            rel = ""
        try:
            poster = data_uri(poster_jpeg(self.video, max_side=480, quality=65), "image/jpeg")
        except Exception:  # noqa: BLE001 - a poster is optional
            poster = ""
        caption = f"{self.video.name} · {info.summary()}"
        prov = getattr(self.video, "provenance", None)
        if prov:
            caption += " · " + provenance_line(prov)
        self._events: list[Callable[[dict[str, Any]], Any]] = []
        try:
            home = "~/" + path.relative_to(Path.home().resolve()).as_posix()
        except (ValueError, RuntimeError):
            home = ""
        super().__init__(path=path.as_posix(), home_path=home, rel_path=rel, src=src,
                         mime="video/webm" if path.suffix.lower() == ".webm" else "video/mp4",
                         poster=poster, caption=caption, width=int(width or min(640, info.width)),
                         muted=muted, loop=loop, **kwargs)
        self.on_msg(self._on_front_end_msg)

    # --- control ------------------------------------------------------------------------
    def seek(self, t: float) -> None:
        """Move the playhead to ``t`` seconds (in every view of this player)."""
        self.send({"cmd": "seek", "time": float(t)})

    def play(self) -> None:
        """Start playback (browsers may refuse unmuted autoplay; see ``muted``)."""
        self.send({"cmd": "play"})

    def pause(self) -> None:
        self.send({"cmd": "pause"})

    def on_event(self, callback: Callable[[dict[str, Any]], Any], remove: bool = False) -> None:
        """Call ``callback({"event": name, "time": t})`` on play, pause, ended and seeked."""
        if remove:
            self._events.remove(callback)
        else:
            self._events.append(callback)

    def _on_front_end_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("event") == "need_bytes":
            self._send_bytes()
            return
        for cb in list(self._events):
            cb(dict(content))

    def _send_bytes(self) -> None:
        from ...media.encode import browser_preview
        from ...settings import config

        try:
            prev = browser_preview(self.video, max_bytes=config.embed_max_bytes)
            data = prev.read_bytes()
        except Exception as exc:  # noqa: BLE001 - tell the browser instead of leaving it waiting
            self.send({"cmd": "error", "message": f"videonb could not prepare this video for the "
                                                  f"browser: {_plain_error(exc)}"})
            return
        self.mime = prev.mime
        self._data = data

    def _build_static(self) -> str:
        from ...display.html import player_html

        return player_html(self.video)

    def __repr__(self) -> str:
        return f"<videonb.widgets.Player {self.video.name}>"


# --------------------------------------------------------------------------------------
# Timeline
# --------------------------------------------------------------------------------------
class Timeline(_StaticFallback, anywidget.AnyWidget):
    """Shots and key moments; a click selects one (``selected``) and seeks the linked player.

    ``Timeline(video_or_moments_or_analysis, player=None)``: with ``player`` (a
    :class:`Player`) the selection seeks it and the playhead follows it.  Hovering shows the
    moment's thumbnail and label.  ``selected`` is ``{}`` or a dict with ``kind``, ``start``,
    ``end``, ``label`` and ``index`` (into ``moments``, or into ``shots`` for a shot).
    """

    _esm = _js.TIMELINE_ESM
    _css = _js.CSS

    duration = T.Float(1.0).tag(sync=True)
    moments = T.List(T.Dict()).tag(sync=True)
    shots = T.List(T.Dict()).tag(sync=True)
    heading = T.Unicode("").tag(sync=True)
    colors = T.Dict().tag(sync=True)
    playhead = T.Float(0.0).tag(sync=True)
    selected = T.Dict({}, help="The clicked moment or shot ({} when none).").tag(sync=True)
    player_id = T.Unicode("", help="model_id of the linked Player (seeks happen in the browser).").tag(
        sync=True)

    def __init__(self, source: Any, *, player: Player | None = None, **kwargs: Any) -> None:
        from ...display.html import KIND_COLORS, KIND_NAMES

        self.source_moments, self.source_shots, duration, self._video = _moments_of(source)
        moments = [{"key": f"m{i}", "index": i, "kind": m.kind, "name": KIND_NAMES.get(m.kind, m.kind),
                    "start": round(float(m.start), 4), "end": round(float(m.end), 4),
                    "label": m.label or "", "thumb": _thumb(m.thumbnail, 160)}
                   for i, m in enumerate(self.source_moments)]
        shots = [{"key": f"s{s.index}", "index": s.index, "kind": "shot",
                  "start": round(float(s.start), 4), "end": round(float(s.end), 4),
                  "label": f"shot {s.index + 1}", "thumb": _thumb(s.thumbnail, 160)}
                 for s in self.source_shots]
        counts: dict[str, int] = {}
        for m in self.source_moments:
            counts[m.kind] = counts.get(m.kind, 0) + 1
        heading = (f"Key moments · {len(shots) or 1} shot(s) · "
                   + (", ".join(f"{KIND_NAMES.get(k, k)} {c}" for k, c in sorted(counts.items()))
                      or "none found"))
        super().__init__(duration=max(float(duration), 1e-3), moments=moments, shots=shots,
                         heading=heading, colors=dict(KIND_COLORS), **kwargs)
        self.player: Player | None = None
        if player is not None:
            self.link(player)

    @property
    def selected_moment(self) -> Any:
        """The selected :class:`~videonb.KeyMoment` / :class:`~videonb.Shot`, or ``None``."""
        sel = self.selected
        if not sel:
            return None
        items = self.source_shots if sel.get("kind") == "shot" else self.source_moments
        return items[sel["index"]]

    def select(self, index: int) -> None:
        """Select moment ``index`` from Python (seeks the linked player like a click)."""
        self.selected = dict(self.moments[index])
        if self.player is not None:
            self.player.seek(self.selected["start"])

    def link(self, player: Player) -> None:
        """Clicks seek ``player`` and the playhead follows it.

        Both happen in the browser (no kernel round trip: they work while the kernel is busy
        and in saved widget state); a front end that cannot reach the player's model asks the
        kernel instead.
        """
        _link_views(self, player)
        T.dlink((player, "current_time"), (self, "playhead"))

    def _build_static(self) -> str:
        from ...display.html import timeline_html

        return timeline_html(self.source_moments, duration=self.duration, shots=self.source_shots)

    def __repr__(self) -> str:
        return f"<videonb.widgets.Timeline {len(self.moments)} moments, {len(self.shots)} shots>"


def _link_views(view: Any, player: Player) -> None:
    """Point a timeline or grid at ``player``; serve seek requests that come through the kernel."""
    view.player = player
    view.player_id = player.model_id

    def on_msg(_widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "seek":
            player.seek(float(content["time"]))

    view.on_msg(on_msg)


def _moments_of(source: Any) -> tuple[list[Any], list[Any], float, Any]:
    """(moments, shots, duration, video) from an Analysis, Moments, Video or path."""
    from ...media.video import Video, as_video

    if hasattr(source, "moments") and hasattr(source, "summary") and hasattr(source, "provider"):
        video = source.video
        duration = video.info.duration if video is not None else max(
            [m.end for m in source.moments] or [1.0])
        return list(source.moments), list(source.shots or []), duration, video
    if hasattr(source, "moments") and hasattr(source, "shots") and hasattr(source, "info"):
        return list(source.moments), list(source.shots), source.info.duration, source.path
    video = source if isinstance(source, Video) else as_video(source)
    m = video.moments()
    return list(m.moments), list(m.shots), video.info.duration, video


# --------------------------------------------------------------------------------------
# Frame grid
# --------------------------------------------------------------------------------------
class FrameGrid(_StaticFallback, anywidget.AnyWidget):
    """Thumbnails with exact times; a click selects (``selected``) and seeks the linked player."""

    _esm = _js.GRID_ESM
    _css = _js.CSS

    items = T.List(T.Dict()).tag(sync=True)
    columns = T.Int(6).tag(sync=True)
    heading = T.Unicode("").tag(sync=True)
    selected = T.Dict(None, allow_none=True, help="{'index', 'time'} of the clicked frame.").tag(
        sync=True)
    player_id = T.Unicode("", help="model_id of the linked Player (seeks happen in the browser).").tag(
        sync=True)

    def __init__(self, frames: Any, *, player: Player | None = None, columns: int | None = None,
                 thumb_side: int | None = None, **kwargs: Any) -> None:
        from ...settings import config

        if not hasattr(frames, "images"):
            from ...media.video import as_video

            frames = as_video(frames).frames(n=12, max_side=480)
        self.frames = frames
        side = thumb_side or config.grid_thumb_side
        items = [{"time": round(float(t), 4), "thumb": _thumb(img, side)}
                 for img, t in zip(frames.images, frames.times)]
        name = Path(frames.source).name if getattr(frames, "source", None) else "video"
        what = "exact timestamps" if frames.mode == "exact" else "nearest keyframes (fast mode)"
        super().__init__(items=items, columns=columns or max(1, min(6, len(items))),
                         heading=f"{len(items)} frames of {name} — {what}", **kwargs)
        self.player: Player | None = None
        if player is not None:
            self.link(player)

    def link(self, player: Player) -> None:
        """Clicks seek ``player`` (in the browser; see :meth:`Timeline.link`)."""
        _link_views(self, player)

    def _build_static(self) -> str:
        from ...display.html import frame_grid_html

        return frame_grid_html(self.frames)

    def __repr__(self) -> str:
        return f"<videonb.widgets.FrameGrid {len(self.items)} frames>"


# --------------------------------------------------------------------------------------
# Explorer: player + timeline + grid, linked
# --------------------------------------------------------------------------------------
class Explorer(_StaticFallback, W.VBox):
    """A player, its key-moment timeline and a frame grid, linked (``.player``, ``.timeline``,
    ``.grid``).  Static fallback: the foundation's report."""

    def __init__(self, video: Any, *, moments: Any = None, frames: Any = None, n_frames: int = 12,
                 summary: str | None = None) -> None:
        from ...media.video import as_video

        self.video = as_video(video)
        self.moments = moments if moments is not None else self.video.moments()
        self.frames = frames if frames is not None else self.video.frames(n=n_frames, max_side=480)
        self.summary = summary if summary is not None else self.moments.summary()
        self.player = Player(self.video)
        self.timeline = Timeline(self.moments, player=self.player)
        self.grid = FrameGrid(self.frames, player=self.player)
        head = W.HTML(f'<div class="vnb-summary">{_esc(self.summary)}</div>')
        super().__init__(children=[self.player, head, self.timeline, self.grid])
        self.add_class("vnbw-explorer")

    def _build_static(self) -> str:
        from ...display.html import report_html

        return report_html(self.video, moments=self.moments, frames=self.frames,
                           summary=self.summary)

    def __repr__(self) -> str:
        return f"<videonb.widgets.Explorer {self.video.name}>"


def explore(video: Any, **kwargs: Any) -> Explorer:
    """Player + clickable key-moment timeline + frame grid of ``video`` (analysed locally)."""
    return Explorer(video, **kwargs)
