"""The magics on a bare IPython InteractiveShell: thin wrappers over the public API."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

import videonb
from videonb.notebook.magics import interpolate
from videonb.testing.emulators import RunwayEmulator


@pytest.fixture()
def ip(home):
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "videonb")
    yield shell
    for name in ("clip", "color", "analysis", "ref"):
        shell.user_ns.pop(name, None)


def test_load_ext_is_light(tmp_path):
    import subprocess
    import sys

    code = ("from IPython.core.interactiveshell import InteractiveShell as S; import sys, time; "
            "ip=S.instance(); ip.run_line_magic('load_ext','videonb'); "
            "print(sorted(m for m in ('av','numpy','cv2','httpx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_videogen_interpolates_and_binds(ip):
    ip.user_ns["color"] = "red"
    result = ip.run_cell_magic("videogen", "local --seconds 1 --as clip",
                               "a {color} kite over the sea, {unknown} braces stay\r\n")
    clip = ip.user_ns["clip"]
    assert result is clip and isinstance(clip, videonb.Video)
    direct = videonb.generate("a red kite over the sea, {unknown} braces stay", seconds=1,
                              progress=False)
    assert direct.provenance["cached"] and direct.path == clip.path   # same request as the magic


def test_videogen_user_errors_are_one_line(ip, capsys):
    assert ip.run_cell_magic("videogen", "--seconds abc", "a kite") is None
    err = capsys.readouterr().err
    assert "invalid float value" in err and "%videonb help" in err and "Traceback" not in err
    ip.run_cell_magic("videogen", "local --seconds 99", "a kite")
    assert "1–30 s" in capsys.readouterr().err
    ip.run_cell_magic("videogen", "", "   ")
    assert "cell is empty" in capsys.readouterr().err


def test_line_and_cell_misuse_name_the_right_magic(ip, capsys):
    ip.run_line_magic("videogen", "a kite")
    assert "%%videogen is a cell magic" in capsys.readouterr().err
    ip.run_cell_magic("analyze", "clip.mp4", "body")
    assert "%analyze is a line magic" in capsys.readouterr().err
    ip.run_cell_magic("videonb", "providers", "body")
    assert "%videonb is a line magic" in capsys.readouterr().err


def test_analyze_magic_from_path_or_variable(ip, cut_clips):
    clip = cut_clips[0]
    a = ip.run_line_magic("analyze", f'"{clip.path}" "where are the cuts?" --as analysis')
    assert a is ip.user_ns["analysis"] and f"{clip.truth.cuts[0]:.2f} s" in a.answer
    ip.user_ns["ref"] = videonb.Video(clip.path)
    b = ip.run_line_magic("analyze", "ref --frames 4")
    assert len(b.frames) == 4


def test_videonb_subcommands(ip, capsys, monkeypatch):
    assert ip.run_line_magic("videonb", "version") == f"videonb {videonb.__version__}"
    assert any(r.provider == "local" for r in ip.run_line_magic("videonb", "providers"))
    ip.run_line_magic("videonb", "help")
    assert "%%videogen" in capsys.readouterr().out
    ip.run_line_magic("videonb", "alias fast runway/gen4_turbo")
    assert ip.run_line_magic("videonb", "alias") == {"fast": "runway/gen4_turbo"}
    ip.run_line_magic("videonb", "bogus")
    assert "unknown subcommand" in capsys.readouterr().err


def test_config_default_provider_and_alias_reach_the_api(ip, capsys):
    key = "key_magic_123456"
    with RunwayEmulator(expected_key=key, job_seconds=0.1) as emu:
        import os

        os.environ["RUNWAYML_API_SECRET"] = key
        os.environ["RUNWAYML_BASE_URL"] = emu.base_url
        try:
            ip.run_line_magic("config", 'VideoNbMagics.default_provider = "runway/gen4.5"')
            ip.run_line_magic("config", "VideoNbMagics.aliases = {'kite': 'runway/gen4.5'}")
            # --budget below the estimate: refused before anything is sent
            assert ip.run_cell_magic("videogen", "--seconds 5 --budget 0.1", "a kite") is None
            assert "BudgetExceededError" in capsys.readouterr().err
            assert not emu.requests.filter(method="POST")
            assert videonb.config.budget_usd is None        # restored after the cell
        finally:
            os.environ.pop("RUNWAYML_API_SECRET")
            os.environ.pop("RUNWAYML_BASE_URL")
            ip.run_line_magic("config", 'VideoNbMagics.default_provider = "local"')
            ip.run_line_magic("config", "VideoNbMagics.aliases = {}")
        err = capsys.readouterr()
        assert key not in err.out + err.err


@pytest.mark.parametrize("text, ns, want", [
    ("a {x} b", {"x": 1}, "a 1 b"),
    ("{missing} and {x:>3}", {"x": 7}, "{missing} and   7"),
    ("json {\"a\": 1}", {}, "json {\"a\": 1}"),
    ("{obj.attr}", {"obj": 1}, "{obj.attr}"),
])
def test_interpolate_leaves_unknown_braces(text, ns, want):
    assert interpolate(text, ns) == want
