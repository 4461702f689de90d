"""Progress of a running job, shown from the thread that started it.

In a notebook the display is created with ``display(..., display_id=True)`` in the
cell that runs the job and updated through that handle (never printed from a
background thread, whose output can land in another cell).  Elsewhere it writes
one status line to stderr per change.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from .html import STYLE, esc, money_text

__all__ = ["ProgressDisplay", "job_html", "estimate_text"]


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except Exception:  # noqa: BLE001
        return False
    return ip is not None and getattr(ip, "kernel", None) is not None


def job_line(rec: Any, started: float | None = None) -> str:
    pct = f" {rec.progress * 100:.0f}%" if rec.progress is not None and rec.status != "succeeded" else ""
    elapsed = f" · {time.time() - (started or rec.created_at):.0f} s"
    cost = ""
    if rec.cost_estimate:
        cost = " · " + money_text(rec.cost_estimate, estimate=True,
                                  emulated=bool(getattr(rec, "emulated", None)))
    remote = f" · {rec.remote_id}" if rec.remote_id else ""
    return f"{rec.provider}/{rec.model}: {rec.status}{pct}{elapsed}{cost} · job {rec.id}{remote}"


def job_html(rec: Any, started: float | None = None, hint: str = "") -> str:
    pct = rec.progress if rec.progress is not None else (1.0 if rec.status == "succeeded" else 0.0)
    color = {"failed": "#c0392b", "cancelled": "#7f8c8d", "succeeded": "#27ae60"}.get(rec.status, "#2e86de")
    bar = (f'<div style="height:6px;background:#ddd;border-radius:3px;max-width:420px">'
           f'<div style="height:6px;width:{max(0.0, min(1.0, pct)) * 100:.0f}%;background:{color};'
           f'border-radius:3px"></div></div>')
    err = f'<div class="vnb-note">{esc(rec.error_message or "")}</div>' if rec.error_message else ""
    tip = f'<div class="vnb-caption">{esc(hint)}</div>' if hint and not rec.terminal else ""
    return (f'{STYLE}<div class="vnb vnb-job" data-status="{esc(rec.status)}">'
            f'<div class="vnb-caption">{esc(job_line(rec, started))}</div>{bar}{err}{tip}</div>')


def estimate_text(spec: Any, seconds: float | None, *, emulated: bool = False) -> str | None:
    """``estimated $0.60 (5 s × $0.120/s)``, or None when the model has no price on record;
    ``emulated`` (the server is one of videonb's emulators) adds that nothing is billed."""
    est = spec.estimate(seconds)
    if not est:
        return None
    s = seconds if seconds is not None else (spec.default_duration or 0)
    text = f"estimated ${est:.2f} ({s:g} s × ${spec.price_per_second:.3f}/s)"
    return text + " — emulated, not billed" if emulated else text


class ProgressDisplay:
    """A live status line/bar for one job, updated by the foreground thread."""

    def __init__(self) -> None:
        self.started = time.time()
        self.handle: Any = None
        self.last = ""
        self.notebook = _in_notebook()

    def estimate(self, provider: Any, req: Any, *, emulated: bool = False) -> None:
        """Show what is about to be spent, before the submit."""
        text = estimate_text(provider.model(req.model), req.seconds, emulated=emulated)
        if text is None:
            return
        line = f"{provider.name}/{req.model}: {text} — submitting"
        if self.notebook:
            from IPython.display import HTML, display

            self.handle = display(HTML(f'<div class="vnb-caption">videonb: {esc(line)}</div>'),
                                  display_id=True)
        else:
            sys.stderr.write("videonb: " + line + "\n")
            sys.stderr.flush()

    def update(self, rec: Any) -> None:
        line = job_line(rec, self.started)
        key = line.rsplit(" · ", 3)[0] + f"{int(time.time() - self.started)}"
        if key == self.last:
            return
        self.last = key
        if self.notebook:
            from IPython.display import HTML, display

            hint = "Interrupt the kernel (■) to cancel this job."
            if self.handle is None:
                self.handle = display(HTML(job_html(rec, self.started, hint)), display_id=True)
            else:
                self.handle.update(HTML(job_html(rec, self.started, hint)))
        else:
            sys.stderr.write("\rvideonb: " + line + " " * 8)
            sys.stderr.flush()

    def close(self, result: Any) -> None:
        if self.notebook and self.handle is not None:
            from IPython.display import HTML

            prov = getattr(result, "provenance", None) or {}
            done = f"done in {time.time() - self.started:.1f} s"
            if prov.get("cached"):
                done = "cached result (not billed again)"
            self.handle.update(HTML(f'<div class="vnb-caption">videonb: {esc(done)}</div>'))
        elif not self.notebook and self.last:
            sys.stderr.write("\n")

    def fail(self, exc: BaseException) -> None:
        if self.notebook and self.handle is not None:
            from IPython.display import HTML

            self.handle.update(HTML(f'<div class="vnb-note">videonb: {esc(type(exc).__name__)}: '
                                    f"{esc(str(exc))}</div>"))
        elif not self.notebook and self.last:
            sys.stderr.write("\n")
