"""Static HTML for a batch of analysed videos: the gallery and one small report per video.

Built from the batch's rows alone (plain dicts of numbers, text and small base64 JPEG
thumbnails), so the pages are self-contained, survive save/export/GitHub, and never need
the videos' frames again.  :func:`gallery_html` gives one card per video (its thumbnail
strip and figures); a click on a card opens that video's report: a link to
``reports/<key>.html`` when the gallery is written to a folder, or the report folded
open in place when it is shown in a notebook.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from .html import STYLE, esc, page

__all__ = ["gallery_html", "video_report_html", "video_report_page", "gallery_page"]

_CSS = """<style>
.vnb-gal{display:flex;flex-direction:column;gap:8px}
.vnb-card{border:1px solid #d0d7de;border-radius:6px;padding:6px 8px}
.vnb-card.vnb-err{border-color:#cf222e;background:#fff5f5}
.vnb-card summary{cursor:pointer;list-style:none}
.vnb-card summary::-webkit-details-marker{display:none}
.vnb-strip{display:flex;gap:2px;overflow:hidden;margin:4px 0}
.vnb-strip img{height:54px;border-radius:2px}
.vnb-fig{font-size:12px;color:#57606a}
.vnb-gal a{color:inherit;text-decoration:none}
.vnb-tab{border-collapse:collapse;font-size:12px;margin:6px 0}
.vnb-tab td,.vnb-tab th{border:1px solid #d0d7de;padding:2px 6px;text-align:left}
</style>"""


def _t(seconds: Any) -> str:
    s = float(seconds or 0.0)
    return f"{int(s // 60)}:{s % 60:05.2f}"


def _figures(row: dict[str, Any]) -> str:
    if row.get("status") != "ok":
        return f"<span style=\"color:#cf222e\">{esc(row.get('error') or 'failed')}</span>"
    bits = [f"{_t(row.get('duration_s'))}", f"{row.get('width')}×{row.get('height')}",
            f"{float(row.get('fps') or 0):.3g} fps", f"{row.get('shots')} shot(s)",
            f"{row.get('cuts')} cut(s)", f"{row.get('gradual')} gradual"]
    if row.get("mean_brightness") is not None:
        bits.append(f"brightness {row['mean_brightness']:.0f}/255")
    if row.get("cost_usd"):
        bits.append(f"${row['cost_usd']:.4f}")
    if row.get("cached"):
        bits.append("from cache")
    return " · ".join(esc(b) for b in bits)


_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def _strip(row: dict[str, Any], limit: int = 8) -> str:
    # Only base64 text goes into a src attribute (rows may come from a cache file: data).
    thumbs = [t for t in list(row.get("thumbnails") or [])[:limit]
              if isinstance(t, str) and _B64.fullmatch(t)]
    times = list(row.get("thumb_times") or [])
    imgs = "".join(
        f"<img alt=\"{esc(_t(times[i]) if i < len(times) else '')}\" "
        f"title=\"{esc(_t(times[i]) if i < len(times) else '')}\" "
        f"src=\"data:image/jpeg;base64,{t}\">" for i, t in enumerate(thumbs))
    return f"<div class=\"vnb-strip\">{imgs}</div>" if imgs else ""


def video_report_html(row: dict[str, Any], *, video_href: str | None = None) -> str:
    """One video's report (a fragment): figures, summary/answer, the thumbnail strip, the
    key moments, and a player that links the file (``video_href``; never embedded)."""
    parts = [f"<div class=\"vnb\">{STYLE}{_CSS}",
             f"<h4>{esc(row.get('name') or row.get('path') or '')}</h4>",
             f"<div class=\"vnb-fig\">{_figures(row)}</div>"]
    if row.get("summary"):
        parts.append(f"<p class=\"vnb-summary\">{esc(row['summary'])}</p>")
    if row.get("answer"):
        parts.append(f"<p><b>Answer:</b> {esc(row['answer'])}</p>")
    if video_href:
        parts.append(f"<video controls preload=\"metadata\" style=\"max-width:100%\" "
                     f"src=\"{esc(video_href)}\"></video>")
    strip = _strip(row, limit=24)
    if strip:
        parts.append(strip)
    moments = row.get("moments") or []
    if moments:
        rows = "".join(
            f"<tr><td>{esc(m.get('kind', ''))}</td><td>{_t(m.get('start'))}</td>"
            f"<td>{_t(m.get('end'))}</td><td>{esc(m.get('label') or '')}</td></tr>"
            for m in moments[:200])
        parts.append("<table class=\"vnb-tab\"><tr><th>moment</th><th>start</th><th>end</th>"
                     f"<th>label</th></tr>{rows}</table>")
    facts = [("path", row.get("path")), ("provider", f"{row.get('provider')}/{row.get('model')}"),
             ("size", row.get("size_bytes")), ("analysis seconds", row.get("seconds")),
             ("content key", row.get("key"))]
    parts.append("<table class=\"vnb-tab\">" + "".join(
        f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in facts if v is not None)
        + "</table></div>")
    return "".join(parts)


def video_report_page(row: dict[str, Any], *, video_href: str | None = None) -> str:
    return page(video_report_html(row, video_href=video_href),
                title=str(row.get("name") or "videonb report"))


def gallery_html(rows: Sequence[dict[str, Any]], *, title: str = "videonb batch",
                 links: dict[str, str] | None = None,
                 video_hrefs: dict[str, str] | None = None) -> str:
    """The gallery fragment: a headline, then one card per row.

    ``links`` maps a row's ``key`` to the href of its report page (a saved gallery); rows
    without one fold their report open in place (a notebook).  ``video_hrefs`` maps a
    row's ``key`` to the player's ``src`` inside a folded report."""
    links, video_hrefs = links or {}, video_hrefs or {}
    ok = sum(1 for r in rows if r.get("status") == "ok")
    failed = len(rows) - ok
    cost = sum(float(r.get("cost_usd") or 0.0) for r in rows)
    head = (f"<h4>{esc(title)}: {len(rows)} video(s), {ok} analysed, {failed} failed"
            + (f", ${cost:.4f}" if cost else "") + "</h4>")
    cards = []
    for r in rows:
        cls = "vnb-card" + ("" if r.get("status") == "ok" else " vnb-err")
        name = esc(r.get("name") or r.get("path") or "")
        inner = (f"<b>{name}</b> <span class=\"vnb-fig\">{_figures(r)}</span>{_strip(r)}")
        href = links.get(str(r.get("key")))
        if href:
            cards.append(f"<div class=\"{cls}\"><a href=\"{esc(href)}\" target=\"_blank\" "
                         f"title=\"open the report\">{inner}</a></div>")
        else:
            report = video_report_html(r, video_href=video_hrefs.get(str(r.get("key"))))
            cards.append(f"<details class=\"{cls}\"><summary title=\"open the report\">{inner}"
                         f"</summary>{report}</details>")
    return (f"<div class=\"vnb\">{STYLE}{_CSS}{head}<div class=\"vnb-gal\">"
            + "".join(cards) + "</div></div>")


def gallery_page(rows: Sequence[dict[str, Any]], **kwargs: Any) -> str:
    return page(gallery_html(rows, **kwargs), title=str(kwargs.get("title") or "videonb batch"))
