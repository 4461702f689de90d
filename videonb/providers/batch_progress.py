"""The progress of a batch (:func:`videonb.providers.batch.analyze_many`): count, ETA and
failures as an ipywidgets bar in a kernel, a one-line bar on stderr in a terminal."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["Progress"]


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython

        return getattr(get_ipython(), "kernel", None) is not None
    except Exception:  # noqa: BLE001
        return False


# --- progress --------------------------------------------------------------------------------
class Progress:
    """Count, ETA and failures; an ipywidgets bar in a kernel, a one-line bar on stderr in a
    terminal, nothing when off.  Updated only from the thread that started the batch."""

    def __init__(self, total: int, mode: Any, title: str) -> None:
        self.total, self.title = total, title
        self.done = self.failed = self.cached = 0
        self.t0 = time.monotonic()
        self.computed_t0: float | None = None
        self.computed = 0
        self.callback = mode if callable(mode) else None
        self.widget: Any = None
        self.stream: Any = None
        self._last = 0.0
        if mode is True or mode == "auto":
            if _in_kernel():
                try:
                    import ipywidgets as w
                    from IPython.display import display

                    self.bar = w.IntProgress(min=0, max=max(1, total), value=0,
                                             description="", bar_style="info")
                    self.label = w.HTML()
                    self.head = w.HTML()   # the estimate, kept above the bar
                    self.widget = w.VBox([self.head, w.HBox([self.bar, self.label])])
                    display(self.widget)
                except Exception:  # noqa: BLE001 - no widgets: fall back to the text line
                    self.widget = None
            if self.widget is None:
                import sys

                self.stream = sys.stderr

    def note(self, text: str) -> None:
        if self.widget is not None:
            from html import escape

            self.head.value = escape(text)
        elif self.stream is not None:
            self.stream.write(text + "\n")
            self.stream.flush()

    def text(self, final: str = "") -> str:
        el = time.monotonic() - self.t0
        eta = ""
        left = self.total - self.done
        if left and self.computed and self.computed_t0 is not None:
            rate = (time.monotonic() - self.computed_t0) / self.computed
            eta = f" · ETA {rate * left:.0f} s"
        fails = f" · {self.failed} failed" if self.failed else ""
        cached = f" · {self.cached} from cache" if self.cached else ""
        return (f"{self.title}: {self.done}/{self.total}{fails}{cached} · {el:.0f} s{eta}"
                + (f" · {final}" if final else ""))

    def started(self) -> None:
        self.computed_t0 = time.monotonic()

    def add(self, row: dict[str, Any]) -> None:
        self.done += 1
        if row.get("status") != "ok":
            self.failed += 1
        if row.get("cached"):
            self.cached += 1
        else:
            self.computed += 1
        if self.callback is not None:
            self.callback(row, {"done": self.done, "total": self.total, "failed": self.failed})
        self.show()

    def show(self, final: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.2 and self.done < self.total:
            return
        self._last = now
        if self.widget is not None:
            self.bar.value = self.done
            if self.failed:
                self.bar.bar_style = "warning"
            self.label.value = self.text(final)
        elif self.stream is not None:
            width = 24
            fill = int(width * self.done / max(1, self.total))
            self.stream.write("\r[" + "#" * fill + "-" * (width - fill) + "] " + self.text(final))
            if final or self.done >= self.total:
                self.stream.write("\n")
            self.stream.flush()

    def close(self, final: str) -> None:
        if self.widget is not None:
            self.bar.bar_style = "danger" if "interrupted" in final else (
                "warning" if self.failed else "success")
        self.show(final, force=True)
