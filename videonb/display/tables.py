"""Tables that fit a notebook: ``videonb.providers()`` and ``videonb.jobs()``.

A :class:`Table` is a list of rows (the rows themselves, with every field, stay available
for code) that renders as a compact table about 800 px wide: the few columns a reader scans,
each cell kept to one line with its whole text in a tooltip (``title``), then *every* column
of every row under a ``<details>`` element, which scrolls sideways inside the output instead of
widening the notebook.  No script, no external style: it survives save, export and GitHub.
Its text form (``repr``) shows the same compact columns, each cut at a readable width.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .html import esc, money_text

__all__ = ["Table", "Column", "ProvidersTable", "providers_table", "jobs_table", "MAX_WIDTH_PX"]

#: The width the compact table fits (a notebook's output area at common window sizes).
MAX_WIDTH_PX = 800

_CELL = ("padding:3px 6px;text-align:left;vertical-align:top;white-space:nowrap;overflow:hidden;"
         "text-overflow:ellipsis;border-bottom:1px solid rgba(128,128,128,.25)")
_TABLE = ("table-layout:fixed;border-collapse:collapse;width:100%;margin:4px 0;font-size:12px;"
          "line-height:1.35")


@dataclass(frozen=True)
class Column:
    """One compact column: its header, the text of a row's cell, its share of the width (%)
    and the most characters its text form shows."""

    header: str
    text: Callable[[Any], str]
    width: int
    chars: int = 24


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:max(1, chars - 1)] + "…"


class Table(list):  # type: ignore[type-arg]
    """A list of rows that renders as a compact HTML table (details on demand) and plain text."""

    def __init__(self, rows: Sequence[Any], *, title: str, columns: Sequence[Column],
                 all_columns: Sequence[str], note: str = "") -> None:
        super().__init__(rows)
        self.title, self.note = title, note
        #: Shown under the HTML table only (the text form has its own last line).
        self.html_tip = ("Hover a cell for its whole text; 'all columns' below shows every "
                         "field of every row.")
        self.compact = list(columns)
        #: Every field, in the order of the "all columns" view (and the old ``.columns``).
        self.columns = list(all_columns)

    # --- HTML ---------------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        cols = "".join(f'<col style="width:{c.width}%">' for c in self.compact)
        head = "".join(f'<th style="{_CELL};font-weight:600">{esc(c.header)}</th>'
                       for c in self.compact)
        body = []
        for r in self:
            cells = []
            for c in self.compact:
                text = c.text(r)
                cells.append(f'<td style="{_CELL}" title="{esc(text)}">{esc(text)}</td>')
            body.append("<tr>" + "".join(cells) + "</tr>")
        if not body:
            body.append(f'<tr><td style="{_CELL}" colspan="{len(self.compact)}">'
                        f"(none yet)</td></tr>")
        full_head = "".join(f'<th style="{_CELL};font-weight:600;overflow:visible">{esc(c)}</th>'
                            for c in self.columns)
        full_body = "".join(
            "<tr>" + "".join(f'<td style="{_CELL};overflow:visible">{esc(_field(r, c))}</td>'
                             for c in self.columns) + "</tr>" for r in self)
        caption = " ".join(filter(None, [self.note, self.html_tip]))
        note = f'<div class="vnb-caption">{esc(caption)}</div>'
        return (f'<div class="vnb vnb-table" style="max-width:{MAX_WIDTH_PX}px">'
                f'<div style="font-weight:600;margin:2px 0">{esc(self.title)}</div>'
                f'<table class="vnb-compact" style="{_TABLE}"><colgroup>{cols}</colgroup>'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"
                f'<details class="vnb-all"><summary style="cursor:pointer;font-size:12px">'
                f"all columns ({len(self)} row{'s' if len(self) != 1 else ''})</summary>"
                f'<div style="overflow-x:auto;max-width:100%">'
                f'<table style="border-collapse:collapse;font-size:12px;margin:4px 0">'
                f"<thead><tr>{full_head}</tr></thead><tbody>{full_body}</tbody></table></div>"
                f"</details></div>")

    # --- text ---------------------------------------------------------------------------------
    def __repr__(self) -> str:
        grid = [[_cut(c.text(r), c.chars) for c in self.compact] for r in self]
        widths = [max([len(c.header)] + [len(row[i]) for row in grid])
                  for i, c in enumerate(self.compact)]
        line = "  ".join(c.header.ljust(w) for c, w in zip(self.compact, widths)).rstrip()
        rows = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in grid]
        tail = [self.note] if self.note else []
        tail.append("(every field: the rows themselves, e.g. table[0]; in a notebook, "
                    "'all columns')")
        return "\n".join([self.title, line, *rows, *tail])


def _field(row: Any, name: str) -> str:
    value = getattr(row, name, "")
    return "" if value is None else str(value)


# --- videonb.providers() -------------------------------------------------------------------------
_OPS = {"text_to_video": "text→video", "image_to_video": "image→video",
        "video_to_video": "video→video"}


def _ops(row: Any) -> str:
    return ", ".join(_OPS.get(o.strip(), o.strip()) for o in str(row.operations).split(","))


class ProvidersTable(Table):
    """The current (and retiring) models; ``.retired`` holds the shut-down ones, shown apart
    under the main table."""

    retired: Table

    def _repr_html_(self) -> str:
        return super()._repr_html_() + (self.retired._repr_html_() if self.retired else "")

    def __repr__(self) -> str:
        return super().__repr__() + ("\n\n" + repr(self.retired) if self.retired else "")


def providers_table(rows: Sequence[Any]) -> ProvidersTable:
    """The providers table (rows: ``videonb.providers.registry.ProviderRow``); rows of models
    already shut down go to ``.retired``."""
    current = [r for r in rows if not getattr(r, "retired", False)]
    table = ProvidersTable(current, title="videonb providers", columns=[
        Column("provider/model", lambda r: f"{r.provider}/{r.model}", 22, 30),
        Column("does", _ops, 17, 28),
        Column("seconds", lambda r: r.durations, 9, 12),
        Column("price", lambda r: r.price, 14, 18),
        Column("key", lambda r: r.key, 16, 30),
        Column("ready", lambda r: r.available, 10, 24),
        Column("status", lambda r: getattr(r, "status", ""), 12, 30),
    ], all_columns=["provider", "model", "operations", "durations", "ratios", "max_prompt",
                    "price", "key", "available", "status", "source"],
        note="A key is shown only as where it was found, never itself.")
    table.retired = Table([r for r in rows if getattr(r, "retired", False)],
                          title="retired models (a request for one fails before anything is sent)",
                          columns=[Column("provider/model", lambda r: f"{r.provider}/{r.model}",
                                          34, 40),
                                   Column("status", lambda r: getattr(r, "status", ""), 30, 40),
                                   Column("source", lambda r: getattr(r, "source", ""), 36, 50)],
                          all_columns=["provider", "model", "status", "operations", "source"])
    return table


# --- videonb.jobs() ------------------------------------------------------------------------------
def job_status(rec: Any) -> str:
    """``running 40%``, ``failed (SAFETY.INPUT.TEXT)``, ``succeeded``."""
    text = str(rec.status)
    if rec.progress is not None and rec.status not in ("succeeded", "failed", "cancelled"):
        text += f" {rec.progress * 100:.0f}%"
    if rec.error_code and rec.status != "succeeded":
        text += f" ({rec.error_code})"
    return text


def job_cost(rec: Any) -> str:
    """What a job cost or may cost: ``$0.60``, ``est. $0.60``, ``free``, ``$0.60 emulated
    (not billed)``."""
    emulated = bool(getattr(rec, "emulated", None))
    if rec.cost is not None:
        return "free" if not rec.cost and not emulated else money_text(rec.cost, emulated=emulated)
    if rec.cost_estimate:
        return money_text(rec.cost_estimate, estimate=True, emulated=emulated)
    return "free" if rec.provider == "local" else "-"


def jobs_table(rows: Sequence[Any], *, where: str) -> Table:
    """The jobs table (rows: ``videonb.providers.ledger.JobRecord``)."""
    return Table(rows, title=f"videonb jobs ({where})", columns=[
        Column("job", lambda r: r.id, 15, 20),
        Column("provider/model", lambda r: f"{r.provider}/{r.model}", 19, 24),
        Column("operation", lambda r: r.operation, 13, 14),
        Column("status", job_status, 16, 26),
        Column("cost", job_cost, 25, 28),   # room for "$0.60 emulated (not billed)"
        Column("created", lambda r: time.strftime("%m-%d %H:%M", time.localtime(r.created_at)),
               12, 11),
    ], all_columns=["id", "provider", "model", "operation", "status", "progress",
                    "cost_estimate", "cost", "emulated", "remote_id", "error_code",
                    "error_message", "output_path"],
        note="Emulated jobs (run against a loopback emulator) are never billed and never count "
             "toward videonb.config.budget_usd.")
