"""The doctor's page (``videonb.doctor()``) as self-contained HTML and as text.

The facts come as sections of rows (``title``; rows with ``name``, ``value``, ``ok``).  The
part only a browser can tell, what it can play, is a row of cells marked ``data-mime``; a small
script asks ``HTMLMediaElement.canPlayType`` and fills them in.  Where scripts do not run (an
untrusted notebook, GitHub, nbviewer) the cells keep saying that nothing could be checked.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from .html import STYLE, esc, new_id

__all__ = ["doctor_html", "doctor_text", "NOT_CHECKED", "STATIC_WIDGETS"]

#: What a playback cell says until a browser has answered.
NOT_CHECKED = ("could not check: no script ran in this view (an untrusted notebook, GitHub, "
               "nbviewer); run %videonb doctor in a running, trusted notebook")
#: What the static copy says about widgets (the widget replaces this copy where they render).
STATIC_WIDGETS = ("no, or not yet: this is the static copy, shown where widgets do not render "
                  "(a saved or exported notebook, GitHub, nbviewer, a front end without the "
                  "widget manager)")

_MARK = {True: ("✓", "#27ae60"), False: ("✗", "#c0392b"), None: ("·", "#888")}
_CSS = ("<style>.vnb-doctor table{border-collapse:collapse;font-size:12px;width:100%;"
        "max-width:800px;table-layout:fixed}.vnb-doctor td{padding:2px 6px;vertical-align:top;"
        "text-align:left;border-bottom:1px solid rgba(128,128,128,.2);overflow-wrap:anywhere}"
        ".vnb-doctor td.vnb-k{width:150px;opacity:.8}.vnb-doctor th{text-align:left;"
        "padding:8px 6px 2px;font-size:12px}</style>")


def _rows_html(sections: Sequence[Any]) -> str:
    out = []
    for sec in sections:
        out.append(f'<tr><th colspan="2">{esc(sec.title)}</th></tr>')
        for r in sec.rows:
            sym, color = _MARK[r.ok]
            out.append(f'<tr><td class="vnb-k">{esc(r.name)}</td><td><span style="color:{color}">'
                       f"{sym}</span> {esc(r.value)}</td></tr>")
    return "".join(out)


def front_end_rows(probes: Sequence[tuple[str, str]], *, widgets: str = STATIC_WIDGETS) -> str:
    """The rows only a browser can fill: one per codec probe, and whether widgets render."""
    out = ['<tr><th colspan="2">this front end (asked in the browser)</th></tr>']
    for label, mime in probes:
        out.append(f'<tr><td class="vnb-k">plays {esc(label)}</td><td class="vnb-probe" '
                   f'data-label="{esc(label)}" data-mime="{esc(mime)}">{esc(NOT_CHECKED)}</td></tr>')
    out.append(f'<tr><td class="vnb-k">widgets render</td><td class="vnb-widgets">{esc(widgets)}'
               f"</td></tr>")
    out.append('<tr><td class="vnb-k">browser</td><td class="vnb-agent">not checked</td></tr>')
    return "".join(out)


#: Fills the probe cells of the element ``root`` and returns {label: answer} (JS, no globals).
PROBE_JS = r"""
function vnbProbe(root) {
  const v = document.createElement("video");
  const out = {};
  root.querySelectorAll("td.vnb-probe").forEach((td) => {
    const a = v.canPlayType(td.dataset.mime);
    out[td.dataset.label] = a;
    td.textContent = a === "probably" ? "✓ yes (canPlayType: probably)"
      : a === "maybe" ? "✓ probably yes (canPlayType: maybe)"
      : "✗ no (canPlayType: \"\"): videonb sends an H.264 preview instead";
  });
  const ua = root.querySelector("td.vnb-agent");
  if (ua) ua.textContent = navigator.userAgent;
  return out;
}
"""


def doctor_html(sections: Sequence[Any], probes: Sequence[tuple[str, str]], *,
                script: bool = True, widgets: str = STATIC_WIDGETS) -> str:
    """The doctor's page; ``script`` adds the progressive-enhancement script that asks the
    browser what it can play (the widget runs the same code itself)."""
    root = new_id("vnb-doctor")
    body = (f'{STYLE}{_CSS}<div class="vnb vnb-doctor" id="{root}"><h4>videonb doctor</h4>'
            f'<table><colgroup><col style="width:170px"><col></colgroup>{_rows_html(sections)}'
            f"{front_end_rows(probes, widgets=widgets)}</table>"
            f'<div class="vnb-caption">Copy this page into your question to the course '
            f"helpdesk: it holds no key, only where each key was found.</div></div>")
    if script:
        body += (f"<script>(function(){{{PROBE_JS}var r=document.getElementById({json.dumps(root)});"
                 f"if(r)vnbProbe(r);}})();</script>")
    return body


def doctor_text(sections: Sequence[Any], *, front_end: str | None = None) -> str:
    """The page as text (``videonb doctor``, ``repr``)."""
    lines = ["videonb doctor"]
    for sec in sections:
        lines.append(f"\n{sec.title}")
        width = max([len(r.name) for r in sec.rows] or [0])
        for r in sec.rows:
            lines.append(f"  {_MARK[r.ok][0]} {r.name.ljust(width)}  {r.value}")
    lines.append("\nthis front end")
    lines.append("  · " + (front_end or "what the browser can play and whether widgets render "
                           "are asked in the notebook: run %videonb doctor there"))
    return "\n".join(lines)
