"""Live status of a running job with a Cancel button and, once it is done, the result's player
(:class:`JobView`: ``%%videogen --no-wait`` returns one; the panels use its progress line)."""

from __future__ import annotations

import time
from typing import Any

from ._base import W, _StaticFallback
from .explorer import Player

__all__ = ["JobView"]


def _job_html(rec: Any, started: float | None = None) -> str:
    from ...display.progress import job_html

    return job_html(rec, started)


class JobView(_StaticFallback, W.VBox):
    """Live status of a running :class:`~videonb.Job` with a Cancel button and, when it is
    done, the result's player.  Updated from videonb's loop thread through traits only."""

    def __init__(self, job: Any, *, interval: float = 0.3) -> None:
        from ...providers import runtime

        self.job = job
        self.status = W.HTML(_job_html(job.record))
        self.status.add_class("vnbw-progress")
        self.cancel_button = W.Button(description="Cancel", icon="stop", button_style="warning")
        self.cancel_button.add_class("vnbw-cancel")
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.result_box = W.VBox()
        self.result: Any = None
        super().__init__(children=[self.status, self.cancel_button, self.result_box])
        self._watch = runtime.submit(self._follow(interval))

    async def _follow(self, interval: float) -> None:
        import asyncio

        started = time.time()
        while True:
            rec = self.job.record
            self.status.value = _job_html(rec, started)
            if rec.terminal:
                break
            await asyncio.sleep(interval)
        self.cancel_button.disabled = True
        if rec.status == "succeeded":
            from ...providers.jobs import video_from_record

            self.result = video_from_record(rec, self.job.request, cached=False)
            self.result_box.children = [Player(self.result)]

    def cancel(self) -> None:
        """Cancel the job (at the provider too)."""
        from ...providers import runtime

        self.cancel_button.disabled = True
        runtime.submit(self.job.cancel_async())

    def _build_static(self) -> str:
        return _job_html(self.job.record)

    def __repr__(self) -> str:
        return f"<videonb.widgets.JobView {self.job.id}>"
