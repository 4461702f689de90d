"""``import videonb`` is cheap: heavy modules load on first use of what needs them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import videonb

HEAVY = ["av", "cv2", "numpy", "IPython", "ipywidgets", "torch", "diffusers", "transformers",
         "dask", "distributed", "pandas", "pyarrow"]


def _run(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_loads_no_heavy_module():
    out = _run(f"""
        import json, sys
        import videonb
        heavy = {HEAVY!r}
        after_import = [m for m in heavy if m in sys.modules]
        names = dir(videonb)
        # Touching the lazy names that need nothing heavy keeps it that way.
        videonb.VideonbError, videonb.errors, videonb.config, videonb.KeyMoment, videonb.Shot
        after_light = [m for m in heavy if m in sys.modules]
        print(json.dumps({{"after_import": after_import, "after_light": after_light,
                          "names": names}}))
    """)
    assert out["after_import"] == []
    assert out["after_light"] == []
    for name in ("Video", "probe", "sample_frames", "iter_frames", "detect", "report", "Report",
                 "Player", "FrameGrid", "Timeline", "encode_video", "browser_preview",
                 "VideonbError", "errors", "config", "show"):
        assert name in out["names"], name


WIDGET_NAMES = {"widgets", "explore", "GeneratePanel", "AnalyzePanel", "ComparePanel"}


def test_lazy_names_resolve_without_heavy_imports_until_used(samples):
    out = _run(f"""
        import json, sys
        import videonb
        heavy = {HEAVY!r}
        cached = {{}}
        widget_names = {WIDGET_NAMES!r}
        for name in videonb.__all__:
            if name in widget_names:
                continue
            before = name in vars(videonb)
            obj = getattr(videonb, name)
            cached[name] = [before, name in vars(videonb), obj is getattr(videonb, name)]
        after_names = [m for m in heavy if m in sys.modules]
        info = videonb.probe({str(samples["bikes"])!r})
        after_probe = [m for m in heavy if m in sys.modules]
        for name in widget_names:   # the widget layer needs ipywidgets, but no codec or array stack
            getattr(videonb, name)
        after_widgets = [m for m in heavy if m in sys.modules and m not in after_probe]
        print(json.dumps({{"cached": cached, "after_names": after_names,
                          "after_probe": after_probe, "after_widgets": after_widgets,
                          "frames": info.frame_count}}))
    """)
    # Resolving any public name imports nothing heavy ...
    assert out["after_names"] == []
    # ... and is done once: afterwards the name is a plain module attribute.
    for name, (before, after, same) in out["cached"].items():
        assert after and same, name
    assert out["cached"]["Video"][0] is False  # not bound at import time
    # First real use loads what it needs (PyAV), not the display/image stack.
    assert out["frames"] == 250
    assert "av" in out["after_probe"]
    assert not {"cv2", "IPython", "ipywidgets"} & set(out["after_probe"])
    assert not {"cv2", "numpy"} & set(out["after_widgets"])


def test_all_lazy_names_exist():
    for name in videonb.__all__:
        assert getattr(videonb, name) is not None, name
    assert set(videonb.__all__) <= set(dir(videonb))
    from videonb.media.probe import probe
    from videonb.media.video import Video

    assert videonb.probe is probe and videonb.Video is Video
    assert videonb.errors.VideonbError is videonb.VideonbError


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        videonb.nope  # noqa: B018


def test_testing_helpers_are_not_imported():
    out = _run("""
        import json, sys
        import videonb
        videonb.Video
        print(json.dumps({"testing": "videonb.testing.clips" in sys.modules}))
    """)
    assert out["testing"] is False
