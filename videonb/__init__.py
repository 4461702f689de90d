"""videonb: video generation and video understanding inside Jupyter notebooks.

Quick start (no key, no network)::

    import videonb
    v = videonb.Video("clip.mp4")      # a path, URL, bytes or numpy frames
    v                                   # an inline player
    v.frames(n=12)                      # a frame grid with exact timestamps
    v.moments()                         # cuts, fades, dissolves, motion peaks
    videonb.report(v)                   # player + frame grid + clickable timeline

Importing this package is cheap: PyAV, NumPy and OpenCV load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import VideonbError
from .media import views as _views
from .version import __version__


def _load_display() -> None:
    """Media values get their HTML from the display floor, which registers its views in
    :mod:`videonb.media.views` when imported; this loader imports it at first use."""
    import videonb.display  # noqa: F401


_views.add_loader(_load_display)

# name -> module that defines it; resolved lazily by __getattr__ (keeps `import videonb` light).
_LAZY = {
    "Video": "videonb.media.video",
    "VideoInfo": "videonb.media.probe",
    "probe": "videonb.media.probe",
    "Frames": "videonb.media.sampling",
    "sample_frames": "videonb.media.sampling",
    "iter_frames": "videonb.media.sampling",
    "KeyMoment": "videonb.types",
    "Shot": "videonb.types",
    "Moments": "videonb.media.moments",
    "detect": "videonb.media.moments",
    "detect_moments": "videonb.media.moments",
    "encode_video": "videonb.media.encode",
    "browser_preview": "videonb.media.encode",
    "Player": "videonb.display",
    "FrameGrid": "videonb.display",
    "Timeline": "videonb.display",
    "Report": "videonb.display",
    "report": "videonb.display",
    "show": "videonb.display",
    "errors": "videonb.errors",
    "generate": "videonb.providers.api",
    "generate_async": "videonb.providers.api",
    "image_to_video": "videonb.providers.api",
    "image_to_video_async": "videonb.providers.api",
    "extend": "videonb.providers.api",
    "extend_async": "videonb.providers.api",
    "edit": "videonb.providers.api",
    "edit_async": "videonb.providers.api",
    "stylize": "videonb.providers.api",
    "stylize_async": "videonb.providers.api",
    "analyze": "videonb.providers.api",
    "analyze_async": "videonb.providers.api",
    "ask": "videonb.providers.api",
    "analyze_many": "videonb.providers.batch",
    "estimate_many": "videonb.providers.batch",
    "Batch": "videonb.providers.batch",
    "ask_async": "videonb.providers.api",
    "jobs": "videonb.providers.api",
    "resume": "videonb.providers.api",
    "resume_async": "videonb.providers.api",
    "cancel": "videonb.providers.api",
    "cancel_async": "videonb.providers.api",
    "set_key": "videonb.providers.keys",
    "Job": "videonb.providers.jobs",
    "Analysis": "videonb.providers.base",
    "config": "videonb.settings",
    "VideoProcessor": "videonb.media.processor",
    "process_video": "videonb.media.processor",
    "widgets": "videonb.notebook.widgets",
    "explore": "videonb.notebook.widgets",
    "GeneratePanel": "videonb.notebook.widgets",
    "AnalyzePanel": "videonb.notebook.widgets",
    "ComparePanel": "videonb.notebook.widgets",
    "doctor": "videonb.notebook.doctor",
}

__all__ = ["VideonbError", "__version__", "providers", *sorted(_LAZY)]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from . import errors
    from .settings import config
    from .display import FrameGrid, Player, Report, Timeline, report, show
    from .media.encode import browser_preview, encode_video
    from .media.moments import Moments, detect, detect_moments
    from .media.probe import VideoInfo, probe
    from .media.processor import VideoProcessor, process_video
    from .media.sampling import Frames, iter_frames, sample_frames
    from .media.video import Video
    from .notebook import widgets
    from .notebook.doctor import doctor
    from .notebook.widgets import AnalyzePanel, ComparePanel, GeneratePanel, explore
    from .providers.api import (analyze, analyze_async, ask, ask_async, cancel, cancel_async,
                                edit, edit_async, extend,
                                extend_async, generate, generate_async, image_to_video,
                                image_to_video_async, jobs, resume, resume_async, stylize,
                                stylize_async)
    from .providers.base import Analysis
    from .providers.batch import Batch, analyze_many, estimate_many
    from .providers.jobs import Job
    from .providers.keys import set_key
    from .types import KeyMoment, Shot


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext videonb`` (or ``c.InteractiveShellApp.extensions = ["videonb"]``)."""
    from .notebook import load_ipython_extension as _load

    _load(ipython)


def __getattr__(name: str) -> Any:
    if name == "providers":  # the subpackage, which is callable: videonb.providers()
        import importlib

        return importlib.import_module("videonb.providers")
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'videonb' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(module_name)
    value = module if name in ("errors", "widgets") else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | {"__version__", "__doc__", "__name__"})
