"""Static HTML of an :class:`~videonb.providers.base.Analysis`: answer, summary, player,
key-moment timeline and frame grid, all wired together (model text is escaped)."""

from __future__ import annotations

from typing import Any

from .html import STYLE, esc, frame_grid_html, new_id, player_html, timeline_html

__all__ = ["analysis_html"]


def analysis_html(a: Any) -> str:
    parts = [STYLE, '<div class="vnb vnb-analysis">']
    who = f"{a.provider}" + (f"/{a.model}" if a.model else "")
    raw = a.raw if isinstance(a.raw, dict) else {}
    if raw.get("emulated"):
        parts.append('<div class="vnb-badge">answered by an emulator (videonb.testing), not by '
                     'a model: the text is canned, nothing was billed</div>')
    if a.answer:
        parts.append(f'<div class="vnb-summary"><b>Answer</b> ({esc(who)}): {esc(a.answer)}</div>')
    if a.summary:
        parts.append(f'<div class="vnb-summary"><b>Summary</b> ({esc(who)}): {esc(a.summary)}</div>')
    pid = None
    if a.video is not None:
        pid = new_id("vnb-video")
        parts.append(player_html(a.video, element_id=pid, with_style=False))
        duration = a.video.info.duration
        parts.append(timeline_html(list(a.moments), duration=duration, shots=list(a.shots or []),
                                   player_id=pid, with_style=False))
    if a.frames is not None:
        if raw.get("frames_note"):  # which frames the model saw, and why that many
            parts.append(f'<div class="vnb-caption vnb-frames-note">{esc(raw["frames_note"])}'
                         f"</div>")
        parts.append(frame_grid_html(a.frames, player_id=pid, with_style=False))
    if a.cost_usd:
        parts.append(f'<div class="vnb-caption">cost ≈ ${a.cost_usd:.4f}</div>')
    parts.append("</div>")
    return "".join(parts)
