"""Issue 14, point by point (unit level; the browser halves are in
``test_notebook_experience_browser.py``): short errors in IPython, one message for an empty
``%%videogen``, tables that fit, widget and static outputs that agree, honest labels for local
previews and emulated costs, the frame-selection rule, the demo's hints, test.sh's phases and
the doctor.  Each test names its point."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

import videonb
from videonb import errors
from videonb.display import html as vhtml
from videonb.providers import ledger as ledger_mod
from videonb.testing.emulators import OpenAIEmulator, RunwayEmulator

ROOT = Path(__file__).resolve().parent.parent
KEY = "placeholder-not-a-key-nbx-0123456789abcdef"
FAST = dict(api_key=KEY, poll_interval=0.02, poll_max=0.1, progress=False)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture()
def ip(home, capsys):
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "videonb")
    shell.user_ns["videonb"] = videonb
    capsys.readouterr()
    yield shell
    videonb.config.debug = False


def _run(shell, capsys, code: str) -> str:
    shell.run_cell(code, store_history=True)
    out = capsys.readouterr()
    return ANSI.sub("", out.out + out.err)


# --- point 1: a VideonbError shows as its message and fix -------------------------------------
def test_1_an_error_is_its_message_then_tb_shows_the_traceback(ip, capsys):
    shown = _run(ip, capsys, "videonb.generate('a kite', provider='runway', progress=False)")
    lines = [ln for ln in shown.splitlines() if ln.strip()]
    assert lines[0].startswith("MissingKeyError: No API key for 'runway'")
    assert "RUNWAYML_API_SECRET" in lines[0]                      # the fix is in the message
    assert "%tb" in lines[1] and "%videonb debug on" in lines[1]
    assert len(lines) == 2 and "Traceback" not in shown and "run_sync" not in shown
    full = _run(ip, capsys, "%tb")                                # one command away
    assert "Traceback" in full and "resolve_key" in full and "_sync" in full
    assert full.rstrip().splitlines()[-1].startswith("MissingKeyError: No API key")


def test_1_debug_mode_shows_every_traceback_and_a_reraise_stays_short(ip, capsys):
    _run(ip, capsys, "%videonb debug on")
    assert videonb.config.debug is True
    full = _run(ip, capsys, "videonb.Video('no-such-file.mp4')")
    assert "Traceback" in full and "VideoNotFoundError" in full
    _run(ip, capsys, "%videonb debug off")
    short = _run(ip, capsys, "try:\n    videonb.Video('no-such-file.mp4')\nexcept Exception as e:\n"
                              "    kept = e\n    raise")
    assert "Traceback" not in short and short.startswith("VideoNotFoundError")
    # The same error object raised again later (e.g. job.result() twice) is shown short again.
    again = _run(ip, capsys, "raise kept")
    assert "Traceback" not in again and again.startswith("VideoNotFoundError")


def test_1_wrapped_unexpected_errors_show_only_a_redacted_detail(ip, capsys):
    from videonb.providers.api import guarded
    from videonb.providers.keys import register_secret

    secret = "sk-nbx-" + "q" * 40
    register_secret(secret)
    try:
        raise RuntimeError(f"boom with {secret} inside")
    except RuntimeError as exc:
        err = guarded(exc, "runway")
    ip.user_ns["err"] = err
    short = _run(ip, capsys, "raise err")
    assert "unexpected failure" in short and secret not in short and "Traceback" not in short
    _run(ip, capsys, "%videonb debug on")
    full = _run(ip, capsys, "raise err")
    assert "The unexpected error inside it (redacted)" in full and "RuntimeError" in full
    assert secret not in full and secret[:12] not in full and "[REDACTED]" in full


def test_1_plain_python_keeps_normal_tracebacks(tmp_path):
    code = "import videonb\nvideonb.Video('no-such-file.mp4')\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 1
    assert out.stderr.startswith("Traceback (most recent call last)")
    assert "videonb.errors.VideoNotFoundError" in out.stderr and "%tb" not in out.stderr


# --- point 2: an empty %%videogen says once where the prompt goes -----------------------------
def test_2_an_empty_cell_magic_says_write_the_prompt_below(ip, capsys):
    want = "write the prompt on the lines below %%videogen runway/gen4.5 --seconds 5"
    empty = _run(ip, capsys, "%%videogen runway/gen4.5 --seconds 5")
    assert want in empty and "Did you mean" not in empty and "UsageError" not in empty
    blank = _run(ip, capsys, "%%videogen runway/gen4.5 --seconds 5\n  \n")
    line = _run(ip, capsys, "%videogen runway/gen4.5 --seconds 5")
    assert want in blank and want in line
    # A prompt typed on the magic's own line goes below it in the example.
    typed = _run(ip, capsys, "%videogen runway a red kite over the sea --seconds 5")
    assert "%%videogen runway --seconds 5\n    a red kite over the sea" in typed
    assert "Docstring" in _run(ip, capsys, "%%videogen?")       # help still works
