"""Self-contained HTML for players, frame grids, timelines and reports.

Every function here returns a string of HTML that needs nothing else: media
are ``data:`` URIs (or, in link mode, a relative URL that Jupyter serves
through its ``/files/`` route), styles are inline or in a scoped ``<style>``,
and the only script is a small progressive enhancement that makes timeline
markers and grid frames seek the player *of the same output*.  Where scripts
do not run (untrusted notebooks, GitHub, nbviewer) the output stays a
readable static page: player, thumbnails, times and labels.

All text that comes from outside (file names, labels, model text) goes
through :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import json
import os
import uuid
from pathlib import Path
from typing import Any, Sequence

from ..errors import InvalidOptionError, OutputTooLargeError
from ..types import KeyMoment, Shot, format_time

__all__ = ["player_html", "frame_grid_html", "timeline_html", "report_html", "page",
           "provenance_line", "STYLE", "KIND_COLORS", "KIND_NAMES", "new_id", "esc", "data_uri",
           "jpeg_data_uri"]

#: Escape text for HTML (quotes too): every string from outside goes through it.
esc = html.escape

#: Colour of each kind of key moment (markers, legend, widget timeline).
KIND_COLORS = {
    "cut": "#e4572e", "dissolve": "#8e44ad", "fade_in": "#2e86de", "fade_out": "#2e86de",
    "motion": "#27ae60", "brightness": "#f1c40f", "shot": "#7f8c8d", "event": "#16a085",
}
#: Readable name of each kind of key moment.
KIND_NAMES = {
    "cut": "cut", "dissolve": "dissolve", "fade_in": "fade in", "fade_out": "fade out",
    "motion": "motion", "brightness": "brightness", "shot": "shot", "event": "event",
}

STYLE = """<style>
.vnb{font:13px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;color:inherit;max-width:100%}
.vnb video{max-width:100%;height:auto;background:#000;display:block;border-radius:4px}
.vnb-caption{opacity:.75;font-size:12px;margin:4px 0 8px}
.vnb-note{font-size:12px;color:#b36b00;margin:2px 0 6px}
.vnb-grid figure{margin:0;cursor:default}
.vnb-grid img{width:100%;display:block;border-radius:3px}
.vnb-grid figcaption{font-size:11px;opacity:.8;text-align:center;font-variant-numeric:tabular-nums}
.vnb-tl-bar{position:relative;height:34px;border-radius:4px;overflow:hidden;background:#ddd;margin:6px 0 2px}
.vnb-tl-shot{position:absolute;top:0;bottom:0;background-size:cover;background-position:center;border-right:2px solid #fff;box-sizing:border-box}
.vnb-tl-marks{position:relative;height:18px;margin-bottom:4px}
.vnb-mark{position:absolute;top:0;width:10px;height:16px;margin-left:-5px;border:0;border-radius:2px;padding:0;cursor:pointer}
.vnb-mark.vnb-span{margin-left:0;height:6px;top:5px;opacity:.8}
.vnb-playhead{position:absolute;top:0;bottom:0;width:2px;background:#e4572e;left:0;pointer-events:none}
.vnb-list{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;gap:6px}
.vnb-list li{display:flex;gap:6px;align-items:center;border:1px solid rgba(128,128,128,.35);border-radius:4px;padding:3px 6px 3px 3px;cursor:pointer;max-width:320px}
.vnb-list li img{height:40px;border-radius:2px}
.vnb-list li.vnb-active{outline:2px solid #e4572e}
.vnb-kind{display:inline-block;width:9px;height:9px;border-radius:2px;margin-right:3px}
.vnb-t{font-variant-numeric:tabular-nums;font-weight:600}
.vnb h4{margin:10px 0 4px;font-size:13px}
.vnb-summary{margin:4px 0 8px}
</style>"""


def new_id(prefix: str = "vnb") -> str:
    """A fresh element id (``vnb-video-1a2b3c4d5e``) that links the parts of one output."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def data_uri(data: bytes, mime: str) -> str:
    """``data:MIME;base64,...``: bytes as a URL that needs no server (``src=``, ``poster=``)."""
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def jpeg_data_uri(img: Any, *, max_side: int, quality: int = 72) -> str:
    """An RGB image as a JPEG ``data:`` URI, shrunk so its longest side is at most ``max_side``."""
    from ..media.encode import encode_jpeg

    return data_uri(encode_jpeg(img, quality=quality, max_side=max_side), "image/jpeg")


def _human_bytes(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


# ---------------------------------------------------------------------------------------
# Player
# ---------------------------------------------------------------------------------------
def player_html(video: Any, *, embed: bool | str = "auto", max_bytes: int | None = None,
                width: int | None = None, autoplay: bool = False, loop: bool = False,
                muted: bool = False, controls: bool = True, poster: bool = True,
                element_id: str | None = None, caption: bool = True,
                url: str | None = None, with_style: bool = True, gif: bool = False) -> str:
    """HTML of an inline ``<video>`` player for ``video`` (path or :class:`~videonb.Video`).

    ``embed="auto"`` (default) embeds the file itself when it is small and
    browser-playable, otherwise a downscaled H.264 preview that fits
    ``max_bytes`` (default ``videonb.config.embed_max_bytes``).
    ``embed=False`` links the file through a relative URL (Jupyter serves it
    from ``/files/`` with seeking support) and embeds only a poster; the file
    must be inside the notebook's folder.  ``url=`` links any URL you give.
    Autoplay implies muted and loop (browsers block unmuted autoplay).
    ``gif=True`` shows an animated GIF instead of a ``<video>`` (for front ends
    that cannot play video, e.g. some IDE viewers); it is small and silent.
    """
    from ..media.encode import browser_preview, poster_jpeg
    from ..media.video import as_video
    from ..settings import config

    v = as_video(video)
    info = v.info
    budget = config.embed_max_bytes if max_bytes is None else int(max_bytes)
    if budget > config.embed_hard_limit:
        raise OutputTooLargeError(
            f"max_bytes={budget} is above the hard limit of {config.embed_hard_limit} bytes: "
            f"notebooks with outputs that big become slow or unopenable. Use embed=False to "
            f"link the file instead, or raise videonb.config.embed_hard_limit on purpose.")
    if embed not in ("auto", True, False):
        raise InvalidOptionError(f"embed={embed!r}: use 'auto', True or False.")
    vid_id = element_id or new_id("vnb-video")
    note = ""
    if gif:
        return _gif_html(v, budget, width, with_style, caption)
    if url is not None or embed is False:
        if url is None:
            rel = _relative_url(v.path)
            if rel is None:
                raise InvalidOptionError(
                    f"embed=False needs the video inside the notebook's folder ({Path.cwd()}), "
                    f"but it is at {v.path}. Copy it next to the notebook, or use embed='auto'.")
            url = rel
        src = url
        mime = _mime_for(v.path)
        shown_w, shown_h = info.width, info.height
        mode = f"linked ({esc(url)})"
        if not info.browser_playable:
            note = (f"{info.codec} does not play in most browsers; use embed='auto' for an "
                    f"H.264 preview.")
    else:
        prev = browser_preview(v, max_bytes=budget)
        data = prev.read_bytes()
        src = data_uri(data, prev.mime)
        shown_w, shown_h = prev.width, prev.height
        mime = prev.mime
        if prev.kind == "original":
            mode = f"embedded ({_human_bytes(prev.size_bytes)})"
        else:
            mode = f"embedded preview {prev.width}×{prev.height} ({_human_bytes(prev.size_bytes)})"
        note = prev.note
    poster_attr = ""
    if poster:
        try:
            jpeg = poster_jpeg(v, max_side=min(640, max(shown_w, shown_h)), quality=70)
            poster_attr = f' poster="{data_uri(jpeg, "image/jpeg")}"'
        except Exception:  # noqa: BLE001 - a poster is optional
            poster_attr = ""
    attrs = [f'id="{vid_id}"', 'playsinline', 'preload="metadata"']
    if controls:
        attrs.append("controls")
    if autoplay:
        attrs += ["autoplay", "muted", "loop"]
    else:
        if muted:
            attrs.append("muted")
        if loop:
            attrs.append("loop")
    disp_w = width or min(640, shown_w)
    style = f'style="width:{int(disp_w)}px;max-width:100%"'
    parts = [STYLE if with_style else "", '<div class="vnb vnb-player">',
             f'<video {" ".join(attrs)} {style} src="{esc(src, quote=True)}"'
             f'{poster_attr} data-mime="{esc(mime)}"></video>']
    if note:
        parts.append(f'<div class="vnb-note">{esc(note)}</div>')
    if caption:
        parts.append(f'<div class="vnb-caption">{esc(v.name)} · {esc(info.summary())} · {mode}</div>')
    prov = getattr(v, "provenance", None)
    if prov:
        parts.append(f'<div class="vnb-caption vnb-provenance">{esc(provenance_line(prov))}</div>')
    parts.append("</div>")
    return "".join(parts)


def provenance_line(prov: dict[str, Any]) -> str:
    """``runway/gen4.5 · job vnb_… (task id) · $0.60 · 5 s · prompt #ab12cd34``"""
    bits = [f"{prov.get('provider')}/{prov.get('model')}"]
    if prov.get("job_id"):
        bits.append(f"job {prov['job_id']}" + (f" ({prov['remote_id']})" if prov.get("remote_id") else ""))
    cost = prov.get("cost_usd")
    bits.append("free" if not cost else f"${cost:.2f}")
    if prov.get("seconds"):
        bits.append(f"{prov['seconds']:g} s")
    if prov.get("seed") is not None and prov.get("steps"):  # a model run on this machine
        bits.append(f"seed {prov['seed']} · {prov['steps']} steps")
    for key, where in (("gpu_seconds", "GPU"), ("cpu_seconds", "CPU")):
        if prov.get(key) is not None:
            bits.append(f"{prov[key]:.1f} s of {where}")
    if prov.get("prompt_hash"):
        bits.append(f"prompt #{prov['prompt_hash'][:8]}")
    if prov.get("cached"):
        bits.append("cached, not billed again")
    return " · ".join(bits)


def _gif_html(v: Any, budget: int, width: int | None, with_style: bool, caption: bool) -> str:
    """An animated GIF rendition (≤ 12 fps, shrunk until it fits the budget)."""
    from ..media.encode import encode_video
    from ..media.sampling import sample_frames

    info = v.info
    fps = min(12.0, float(info.fps or 12))
    n = max(1, min(int(info.duration * fps), 600))
    side = 320
    while True:
        frames = sample_frames(v, n=n, max_side=side)
        path = encode_video(frames.images, fps=n / max(info.duration, 1e-3), codec="gif")
        data = path.read_bytes()
        if len(data) <= budget or side <= 96:
            break
        side = int(side * 0.7)
        n = max(1, int(n * 0.7))
    if len(data) > budget:
        raise OutputTooLargeError(
            f"A GIF of {v.name} needs {len(data)} bytes, over the {budget}-byte budget; use the "
            f"video player (gif=False) or raise max_bytes.")
    disp_w = width or min(640, frames.images[0].shape[1] * 2)
    parts = [STYLE if with_style else "", '<div class="vnb vnb-player">',
             f'<img src="{data_uri(data, "image/gif")}" alt="{esc(v.name)} (animated GIF)" '
             f'style="width:{int(disp_w)}px;max-width:100%">']
    if caption:
        parts.append(f'<div class="vnb-caption">{esc(v.name)} · {esc(info.summary())} · GIF '
                     f'{frames.images[0].shape[1]}×{frames.images[0].shape[0]}, {n} frames '
                     f'({_human_bytes(len(data))})</div>')
    parts.append("</div>")
    return "".join(parts)


def _mime_for(path: Path) -> str:
    ext = path.suffix.lower()
    return {".webm": "video/webm", ".mkv": "video/webm", ".gif": "image/gif"}.get(ext, "video/mp4")


def _relative_url(path: Path) -> str | None:
    try:
        rel = os.path.relpath(Path(path).resolve(), Path.cwd().resolve())
    except ValueError:
        return None
    if rel.startswith(".."):
        return None
    from urllib.parse import quote

    return quote(rel.replace(os.sep, "/"))


# ---------------------------------------------------------------------------------------
# Frame grid
# ---------------------------------------------------------------------------------------
def frame_grid_html(frames: Any, *, columns: int | None = None, thumb_side: int | None = None,
                    titles: Sequence[str] | None = None, player_id: str | None = None,
                    with_style: bool = True, heading: str | None = None) -> str:
    """A grid of thumbnails, each captioned with its exact timestamp.

    ``frames`` is a :class:`~videonb.Frames` (times and mode are shown), or a
    list of RGB arrays (then ``titles`` label them).  With ``player_id`` a
    click on a frame seeks that player (when scripts run).
    """
    from ..settings import config

    side = thumb_side or config.grid_thumb_side
    images = list(getattr(frames, "images", frames))
    times = list(getattr(frames, "times", []))
    mode = getattr(frames, "mode", None)
    if titles is not None and len(titles) != len(images):
        raise InvalidOptionError(f"{len(titles)} titles for {len(images)} frames.")
    n = len(images)
    cols = columns or (min(6, n) if n else 1)
    gid = new_id("vnb-grid")
    out = [STYLE if with_style else "", f'<div class="vnb vnb-grid-wrap" id="{gid}">']
    if heading is None and mode is not None:
        src = getattr(frames, "source", None)
        name = Path(src).name if src else "video"
        what = "exact timestamps" if mode == "exact" else "nearest keyframes (fast mode)"
        heading = f"{n} frames of {name} — {what}"
    if heading:
        out.append(f"<h4>{esc(heading)}</h4>")
    out.append(f'<div class="vnb-grid" style="display:grid;grid-template-columns:repeat({cols},'
               f'minmax(0,1fr));gap:6px">')
    for i, img in enumerate(images):
        if titles is not None:
            cap = esc(str(titles[i]))
        elif i < len(times):
            cap = f'<span class="vnb-t">{format_time(times[i])}</span>'
            req = getattr(frames, "requested", None)
            if mode == "fast" and req and abs(req[i] - times[i]) > 0.02:
                cap += f" (asked {format_time(req[i])})"
        else:
            cap = f"#{i}"
        t_attr = f' data-t="{times[i]:.4f}"' if i < len(times) else ""
        alt = f"frame at {format_time(times[i])}" if i < len(times) else f"frame {i}"
        out.append(f'<figure{t_attr}><img src="{jpeg_data_uri(img, max_side=side)}" alt="{esc(alt)}">'
                   f"<figcaption>{cap}</figcaption></figure>")
    out.append("</div></div>")
    if player_id:
        out.append(_seek_script(gid, player_id))
    return "".join(out)


# ---------------------------------------------------------------------------------------
# Timeline
# ---------------------------------------------------------------------------------------
def timeline_html(moments: Sequence[KeyMoment], *, duration: float,
                  shots: Sequence[Shot] = (), player_id: str | None = None,
                  with_style: bool = True, heading: str | None = "Key moments",
                  max_listed: int | None = None, thumb_side: int | None = None) -> str:
    """A shot bar, moment markers and a moment list.

    With ``player_id`` (the ``id`` of a ``<video>`` in the same output) a
    click on a marker, shot or list item seeks that player, and the playhead
    follows playback.  Without scripts it is a static picture of the video's
    structure with readable times.
    """
    from ..settings import config

    if duration <= 0:
        raise InvalidOptionError("A timeline needs a positive duration.")
    side = thumb_side or config.timeline_thumb_side
    limit = config.timeline_max_listed if max_listed is None else max_listed
    tid = new_id("vnb-tl")
    out = [STYLE if with_style else "", f'<div class="vnb vnb-timeline" id="{tid}">']
    if heading:
        counts: dict[str, int] = {}
        for m in moments:
            counts[m.kind] = counts.get(m.kind, 0) + 1
        legend = " ".join(
            f'<span><span class="vnb-kind" style="background:{KIND_COLORS.get(k, "#999")}"></span>'
            f"{esc(KIND_NAMES.get(k, k))} {c}</span>" for k, c in sorted(counts.items()))
        out.append(f"<h4>{esc(heading)} · {len(shots) or 1} shot(s) · {legend}</h4>")
    # Shot bar
    out.append('<div class="vnb-tl-bar">')
    for s in shots:
        left = 100 * s.start / duration
        w = max(0.2, 100 * (s.end - s.start) / duration)
        bg = ""
        if s.thumbnail is not None:
            bg = f"background-image:url({jpeg_data_uri(s.thumbnail, max_side=96, quality=60)});"
        title = f"Shot {s.index + 1}: {format_time(s.start)}–{format_time(s.end)}"
        out.append(f'<div class="vnb-tl-shot" data-t="{s.start:.4f}" title="{esc(title)}" '
                   f'style="left:{left:.3f}%;width:{w:.3f}%;{bg}"></div>')
    out.append('<div class="vnb-playhead"></div></div>')
    # Markers
    out.append('<div class="vnb-tl-marks">')
    for m in moments:
        left = 100 * min(max(m.start, 0.0), duration) / duration
        color = KIND_COLORS.get(m.kind, "#999")
        title = f"{_span(m)} {KIND_NAMES.get(m.kind, m.kind)}" + (f": {m.label}" if m.label else "")
        if m.end - m.start > 0.05:
            w = max(0.4, 100 * (m.end - m.start) / duration)
            out.append(f'<button class="vnb-mark vnb-span" data-t="{m.start:.4f}" data-kind="{esc(m.kind)}" '
                       f'title="{esc(title)}" aria-label="{esc(title)}" '
                       f'style="left:{left:.3f}%;width:{w:.3f}%;background:{color}"></button>')
        else:
            out.append(f'<button class="vnb-mark" data-t="{m.start:.4f}" data-kind="{esc(m.kind)}" '
                       f'title="{esc(title)}" aria-label="{esc(title)}" '
                       f'style="left:{left:.3f}%;background:{color}"></button>')
    out.append("</div>")
    # List
    listed = list(moments)[:limit]
    if listed:
        out.append('<ul class="vnb-list">')
        for m in listed:
            color = KIND_COLORS.get(m.kind, "#999")
            img = ""
            if m.thumbnail is not None:
                img = f'<img src="{jpeg_data_uri(m.thumbnail, max_side=side, quality=65)}" alt="">'
            label = esc(m.label) if m.label and m.label != m.kind else ""
            out.append(
                f'<li data-t="{m.start:.4f}" data-end="{m.end:.4f}" title="{esc(_span(m))}">{img}<span>'
                f'<span class="vnb-kind" style="background:{color}"></span>'
                f'<span class="vnb-t">{esc(_span(m))}</span> {esc(KIND_NAMES.get(m.kind, m.kind))}'
                + (f"<br>{label}" if label else "") + "</span></li>")
        out.append("</ul>")
        if len(moments) > len(listed):
            out.append(f'<div class="vnb-caption">{len(moments) - len(listed)} more moment(s) '
                       f"not listed (markers above show all).</div>")
    elif not moments:
        out.append('<div class="vnb-caption">No key moments found.</div>')
    out.append("</div>")
    if player_id:
        out.append(_seek_script(tid, player_id, duration=duration))
    return "".join(out)


def _span(m: KeyMoment) -> str:
    if m.end - m.start > 0.05:
        return f"{format_time(m.start)}–{format_time(m.end)}"
    return format_time(m.start)


def _seek_script(root_id: str, player_id: str, *, duration: float | None = None) -> str:
    """Progressive enhancement: clicks on ``[data-t]`` inside ``root_id`` seek ``player_id``."""
    cfg = json.dumps({"root": root_id, "player": player_id, "duration": duration})
    return ("<script>(function(c){var r=document.getElementById(c.root),"
            "v=document.getElementById(c.player);if(!r||!v)return;"
            "r.querySelectorAll('[data-t]').forEach(function(el){el.addEventListener('click',"
            "function(e){e.preventDefault();var t=parseFloat(el.getAttribute('data-t'));"
            "v.currentTime=t+0.001;r.setAttribute('data-last-seek',String(t));"
            "r.querySelectorAll('.vnb-active').forEach(function(a){a.classList.remove('vnb-active')});"
            "el.classList.add('vnb-active');});});"
            "var ph=r.querySelector('.vnb-playhead');"
            "if(ph){var u=function(){var d=c.duration||v.duration;if(d>0)"
            "ph.style.left=(100*Math.min(v.currentTime/d,1))+'%';};"
            "v.addEventListener('timeupdate',u);v.addEventListener('seeked',u);}"
            f"}})({cfg});</script>")


# ---------------------------------------------------------------------------------------
# Report and page
# ---------------------------------------------------------------------------------------
def report_html(video: Any, *, moments: Any = None, frames: Any = None, n_frames: int = 12,
                title: str | None = None, summary: str | None = None,
                embed: bool | str = "auto", max_bytes: int | None = None,
                columns: int | None = None) -> str:
    """Player + key-moment timeline + frame grid (+ summary), wired together."""
    from ..media.video import as_video

    v = as_video(video)
    if moments is None:
        moments = v.moments()
    if frames is None:
        frames = v.frames(n=n_frames, max_side=480)
    pid = new_id("vnb-video")
    parts = [STYLE, '<div class="vnb vnb-report">']
    if title:
        parts.append(f"<h3>{esc(title)}</h3>")
    parts.append(player_html(v, embed=embed, max_bytes=max_bytes, element_id=pid,
                             with_style=False))
    text = summary if summary is not None else getattr(moments, "summary", lambda: "")()
    if text:
        parts.append(f'<div class="vnb-summary">{esc(text)}</div>')
    parts.append(timeline_html(list(moments.moments), duration=v.info.duration,
                               shots=list(moments.shots), player_id=pid, with_style=False))
    parts.append(frame_grid_html(frames, columns=columns, player_id=pid, with_style=False))
    parts.append("</div>")
    return "".join(parts)


def page(body: str, *, title: str = "videonb") -> str:
    """Wrap an output fragment into a standalone HTML document."""
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{esc(title)}"
            "</title><style>body{margin:24px auto;max-width:1000px;padding:0 16px}</style></head>"
            f"<body>{body}</body></html>")
