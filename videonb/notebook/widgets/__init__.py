"""Interactive widgets: a seekable player, a clickable timeline and frame grid (anywidget
views, no build step) and form panels to generate, analyse and compare (ipywidgets).

Widgets add interaction on top of the static output, never instead of it: every widget's
mimebundle also carries the self-contained HTML from :mod:`videonb.display`, so a saved,
exported or GitHub-rendered notebook still shows the player, grid and timeline.

Threading: jobs run on videonb's private event-loop thread.  Their progress reaches the
notebook only by setting widget traits (which ipywidgets sends as comm messages); nothing
here prints or calls ``display()`` from a background thread.

One module per widget family: :mod:`.explorer` (Player, Timeline, FrameGrid, Explorer),
:mod:`.jobview` (JobView) and :mod:`.panels` (GeneratePanel, AnalyzePanel, ComparePanel);
:mod:`._base` holds what they share and :mod:`._js` their front-end code.
"""

from __future__ import annotations

from . import _js  # noqa: F401 (videonb.widgets._js, as before the split)
from .explorer import Explorer, FrameGrid, Player, Timeline, explore
from .jobview import JobView
from .panels import AnalyzePanel, ComparePanel, GeneratePanel

__all__ = ["Player", "Timeline", "FrameGrid", "Explorer", "explore", "JobView", "GeneratePanel",
           "AnalyzePanel", "ComparePanel"]
