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


# --- point 3: the tables fit and keep their details ----------------------------------------
def test_3_providers_table_is_compact_with_details_on_demand(home, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    table = videonb.providers()
    page = table._repr_html_()
    compact = page.split('<details class="vnb-all">')[0]
    head = re.findall(r"<th[^>]*>([^<]*)</th>", compact)
    assert head == ["provider/model", "does", "seconds", "price", "key", "ready", "status"]
    assert "max-width:800px" in page and "table-layout:fixed" in compact
    assert all("white-space:nowrap" in td for td in re.findall(r"<td [^>]*>", compact))
    assert 'title="set (env:OPENAI_API_KEY)"' in compact            # the whole text on hover
    details = page.split('<details class="vnb-all">')[1]
    assert "1280:720" in details and "max_prompt" in details          # every field, on demand
    assert KEY not in page and KEY not in repr(table)
    text = repr(table).splitlines()
    assert max(len(ln) for ln in text[:len(table) + 2]) <= 160       # readable in a terminal
    assert any(r.provider == "runway" and r.ratios for r in table)   # rows keep every field


# --- point 4: widget and static outputs agree ----------------------------------------------
def test_4_one_colour_and_one_name_per_kind():
    assert len(set(vhtml.KIND_COLORS.values())) == len(vhtml.KIND_COLORS)
    assert vhtml.KIND_COLORS["fade_in"] != vhtml.KIND_COLORS["fade_out"]
    assert set(vhtml.KIND_NAMES) == set(vhtml.KIND_COLORS) == set(vhtml.KIND_HELP)


def test_4_widget_timeline_writes_times_and_names_like_the_static_one(cut_clip):
    from videonb.notebook.widgets import FrameGrid, Timeline, _js

    m = videonb.Video(cut_clip.path).moments()
    tl = Timeline(m)
    static = tl.static_html()
    assert {d["kind"] for d in tl.moments} >= {"cut", "fade_out"}
    for item, moment in zip(tl.moments, m.moments):
        assert item["span"] == vhtml.moment_span(moment)
        assert item["name"] == vhtml.KIND_NAMES[moment.kind]
        assert f'<span class="vnb-t">{item["span"]}</span> {item["name"]}' in static
    assert "fade out" in static and "fade_out<" not in static
    grid = FrameGrid(videonb.Video(cut_clip.path).frames(n=4))
    assert [i["label"] for i in grid.items] == [videonb.types.format_time(i["time"])
                                                for i in grid.items]
    # The front end formats no time of its own (it used to write 00:07.240).
    for esm in (_js.TIMELINE_ESM, _js.GRID_ESM):
        assert "toFixed" not in esm and "padStart" not in esm


def test_4_motion_peaks_are_explained_in_both(cut_clip):
    from videonb.notebook.widgets import Timeline
    from videonb.types import KeyMoment

    moments = [KeyMoment(3.0, 3.5, "motion", 9.0, "motion peak (9)"),
               KeyMoment(6.0, 6.0, "cut", 50.0, "hard cut")]
    static = vhtml.timeline_html(moments, duration=10.0)
    assert "N is how much the picture changes from one frame to the next" in static
    assert f'title="{vhtml.esc(vhtml.KIND_HELP["motion"])}"' in static     # legend tooltip

    class Source:  # an Analysis-shaped value: moments, summary, provider, video
        summary, provider, video, shots = "", "local", None, []

    Source.moments = moments
    tl = Timeline(Source())
    assert "N is how much the picture changes" in tl.explain
    assert tl.moments[0]["help"] == vhtml.KIND_HELP["motion"]


def test_4_5_a_portrait_preview_is_short_and_says_what_it_is(home):
    from videonb.notebook.widgets import Player

    v = videonb.generate("a lighthouse, portrait", ratio="9:16", seconds=1, progress=False)
    assert (v.info.width, v.info.height) == (360, 640)
    page = vhtml.player_html(v)
    width = int(re.search(r'<video [^>]*style="width:(\d+)px', page).group(1))
    assert width * 640 / 360 <= videonb.config.player_max_height + 1
    assert f"max-height:{videonb.config.player_max_height}px" in page
    # point 5: the label is in a badge above the player (not under its controls) and the caption
    badge = page.index('<div class="vnb-badge">local preview · not a generative model</div>')
    assert badge < page.index("<video")
    caption = re.search(r'vnb-provenance">([^<]*)<', page).group(1)
    assert caption.startswith("local preview · not a generative model · local/local-v1")
    w = Player(v)
    assert w.width == width and w.max_height == videonb.config.player_max_height
    assert w.badge == "local preview · not a generative model" and "local preview" in w.caption
    landscape = videonb.generate("a lighthouse", seconds=1, progress=False)
    assert Player(landscape).width == 640 and vhtml.local_note(landscape.provenance)


# --- point 6: emulated costs ----------------------------------------------------------------
@pytest.mark.parametrize("url, loop", [
    ("http://127.0.0.1:8000/v1", True), ("http://127.9.9.9", True), ("http://[::1]:80", True),
    ("http://localhost:4000", True), ("https://api.dev.runwayml.com", False),
    ("https://127.0.0.1.nip.io", False), ("http://10.0.0.1:80", False), (None, False),
    ("http://api.localhost:80", False),   # red team: a *.localhost name may go to DNS
])
def test_6_only_a_loopback_address_can_be_an_emulator(url, loop):
    from videonb.providers import emulation

    assert emulation.is_loopback(url) is loop


def test_6_a_real_host_is_never_emulated_whatever_it_answers():
    from videonb.providers import emulation

    emulation.observe("https://api.dev.runwayml.com/v1/tasks", {"server": "videonb-emulator"})
    assert emulation.verdict("https://api.dev.runwayml.com") is False
    emulation.observe("http://127.0.0.1:1/v1", {"server": "uvicorn"})  # a local gateway
    assert emulation.verdict("http://127.0.0.1:1") is False
    emulation.observe("http://127.0.0.1:1/v1", {"server": "videonb-emulator"})
    assert emulation.verdict("http://127.0.0.1:1/v1") is True
    assert emulation.verdict("http://127.0.0.1:2") is None          # not heard from yet


def test_6_the_emulators_send_the_marker():
    """videonb recognises its emulators by the Server header they already send (the kit's
    handler); if the kit ever stops sending it, emulated jobs would count as real money."""
    import urllib.request

    from videonb.providers import emulation

    for emu_cls in (RunwayEmulator, OpenAIEmulator):
        with emu_cls() as emu:
            try:
                urllib.request.urlopen(emu.base_url + "/no-such-path", timeout=5)
            except urllib.error.HTTPError as exc:
                server = exc.headers.get("Server", "")
            assert server.startswith(emulation.MARKER), server


def test_6_emulated_jobs_are_marked_everywhere_and_never_block_a_real_one(home, monkeypatch):
    from test_trust import SUCCEEDED, FakeRunway

    from videonb.display.progress import job_html

    monkeypatch.setattr(videonb.config, "budget_usd", 1.0)
    with RunwayEmulator(expected_key=KEY, job_seconds=0.05) as emu:
        v = videonb.generate("an emulated kite", provider="runway", base_url=emu.base_url,
                             seconds=5, **FAST)            # $0.60, emulated
        assert v.provenance["emulated"] is True
        assert "$0.60 emulated (not billed)" in vhtml.provenance_line(v.provenance)
        assert "$0.60 emulated (not billed)" in vhtml.player_html(v)
        assert "emulated (not billed)" in job_html(videonb.jobs()[0])
        # Emulated jobs rehearse the budget against each other: a second one would pass $1.
        with pytest.raises(errors.BudgetExceededError,
                           match="emulated jobs, which count only against other emulated"):
            videonb.generate("another emulated kite", provider="runway", base_url=emu.base_url,
                             seconds=5, **FAST)
    led = ledger_mod.ledger()
    assert led.spent() == 0 and led.spent(emulated=True) == pytest.approx(0.6)
    # A loopback server that is not an emulator (a local gateway) is real money: it is
    # admitted (emulated spending never blocks it), marked real, and counted.
    with FakeRunway([SUCCEEDED]) as real:
        r = videonb.generate("a real kite", provider="runway", base_url=real.url, seconds=5,
                             **FAST)
    assert r.provenance["emulated"] is False
    assert "emulated" not in vhtml.provenance_line(r.provenance)
    assert led.spent() == pytest.approx(0.6) and videonb.jobs()[0].emulated == 0
    with FakeRunway([SUCCEEDED]) as real:
        with pytest.raises(errors.BudgetExceededError):
            videonb.generate("a second real kite", provider="runway", base_url=real.url,
                             seconds=5, **FAST)


def test_6_the_estimate_line_says_emulated_once_the_server_is_known(home, capsys):
    with RunwayEmulator(expected_key=KEY, job_seconds=0.05) as emu:
        videonb.generate("a first kite", provider="runway", base_url=emu.base_url, seconds=5,
                         api_key=KEY, poll_interval=0.02)
        capsys.readouterr()
        videonb.generate("a second kite", provider="runway", base_url=emu.base_url, seconds=5,
                         api_key=KEY, poll_interval=0.02)
    err = capsys.readouterr().err
    assert "estimated $0.60 (5 s × $0.120/s) — emulated, not billed" in err
    assert "emulated (not billed)" in err                          # the progress line too


def test_6_ledger_schema_3_adds_the_column_by_migration(tmp_path):
    cols = {k: v for k, v in ledger_mod._COLUMNS.items() if k != "emulated"}
    path = tmp_path / "ledger.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE TABLE jobs ({', '.join(f'{k} {v}' for k, v in cols.items())})")
    conn.execute("INSERT INTO jobs (id, provider, model, operation, request, cache_key, status, "
                 "cost, session, created_at, updated_at) VALUES ('vnb_old', 'runway', 'gen4.5', "
                 "'text_to_video', '{}', 'k', 'succeeded', 0.6, 's', 1, 1)")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    led = ledger_mod.Ledger(tmp_path)
    with sqlite3.connect(path) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == ledger_mod.SCHEMA_VERSION == 3
        assert "emulated" in {r[1] for r in c.execute("PRAGMA table_info(jobs)")}
    old = led.get("vnb_old")
    assert old is not None and old.emulated is None and led.spent("s") == pytest.approx(0.6)


def test_6_a_crafted_emulated_flag_reads_as_real_money(tmp_path):
    """Only an integer 1 marks a row emulated: text, 2 or a float in a crafted ledger read as 0,
    so such a row is shown as money and counted in the budget."""
    led = ledger_mod.Ledger(tmp_path)
    ids = []
    for i, flag in enumerate(["yes", 2, 1.5, b"\x01", 1, 0, None]):
        rec = led.create(provider="runway", model="gen4.5", operation="text_to_video",
                         request_json="{}", cache_key=f"k{i}", prompt_hash=None,
                         cost_estimate=0.6)
        with sqlite3.connect(led.path) as c:
            c.execute("UPDATE jobs SET emulated = ?, cost = 0.6, status = 'succeeded' "
                      "WHERE id = ?", (flag, rec.id))
        ids.append(rec.id)
    assert [led.get(i).emulated for i in ids] == [0, 0, 0, 0, 1, 0, None]
    assert led.spent() == pytest.approx(0.6 * 6)         # only the integer 1 is left out


def test_6_3_jobs_table_marks_emulated_costs(home):
    with RunwayEmulator(expected_key=KEY, job_seconds=0.05) as emu:
        videonb.generate("a kite for the table", provider="runway", base_url=emu.base_url,
                         seconds=5, **FAST)
    table = videonb.jobs()
    assert table[0].emulated == 1
    assert "$0.60 emulated (not billed)" in repr(table)
    page = table._repr_html_()
    assert "$0.60 emulated (not billed)" in page.split("<details")[0]
    assert ">emulated</th>" in page                                  # a column of its own


# --- point 7: the frame-selection rule, and no black frames ---------------------------------
def _clip_with_black(tmp_path, seconds=20.0, black=(2.0, 3.0), fps=10):
    import numpy as np

    from videonb.media.encode import encode_video

    n = int(seconds * fps)
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (90, 160, 3), dtype=np.uint8)
    frames = []
    for i in range(n):
        t = i / fps
        img = np.roll(base, i, axis=1)
        if black[0] <= t < black[1]:
            img = np.zeros_like(img)
        frames.append(img)
    return videonb.Video(encode_video(frames, tmp_path / "black.mp4", fps=fps))


def test_7_a_black_shot_is_skipped_and_its_place_given_to_another(tmp_path):
    from videonb.media.frame_choice import choose_frames, is_blank
    from videonb.types import Shot

    v = _clip_with_black(tmp_path)
    shots = [Shot(0, 0.0, 2.0), Shot(1, 2.0, 3.0), Shot(2, 3.0, 20.0)]   # the middle one black
    choice = choose_frames(v, shots, 4)
    assert choice.sent == 4 and not any(is_blank(img) for img in choice.frames.images)
    assert not any(2.0 <= t < 3.0 for t in choice.frames.times)
    assert choice.skipped == [(2.0, 3.0)]
    note = choice.note()
    assert "4 frames sent (frames=4" in note and "black or blank throughout" in note
    assert "0:02.00–0:03.00" in note


def test_7_a_black_middle_is_replaced_from_the_same_shot(tmp_path):
    from videonb.media.frame_choice import choose_frames, is_blank
    from videonb.types import Shot

    v = _clip_with_black(tmp_path, seconds=4.0, black=(1.6, 2.4))
    choice = choose_frames(v, [Shot(0, 0.0, 4.0)], 8)
    (t,) = choice.frames.times
    assert not is_blank(choice.frames.images[0]) and 0.0 <= t < 4.0
    assert choice.replaced and choice.replaced[0][0] == pytest.approx(2.0)
    note = choice.note()
    assert note.startswith("1 of at most 8 frames sent (frames=8 is a maximum)")
    assert "replaced by a better one from the same shot" in note


def test_7_notebook_03s_analysis_says_the_rule_and_sends_no_black_frame(home):
    from videonb.media.frame_choice import is_blank
    from videonb.testing.clips import make_cut_clip

    make_cut_clip("understand.mp4", seconds=16, seed=6, dissolves=1, fades=1, stamp_ids=False)
    with OpenAIEmulator() as fake:
        a = videonb.analyze("understand.mp4", provider="openai", base_url=fake.base_url + "/v1",
                            api_key="placeholder", frames=8)
        sent = fake.chat_requests[-1]
    assert not any(is_blank(img) for img in a.frames.images)
    assert a.raw["frames_sent"] == len(a.frames.times) == len(sent["details"])
    assert a.raw["frames_note"].startswith(f"{a.raw['frames_sent']} of at most 8 frames sent")
    assert "one from the middle of each shot" in a.raw["frames_note"]
    page = a._repr_html_()
    assert vhtml.esc(a.raw["frames_note"]) in page
    assert a.raw["emulated"] is True and "answered by an emulator" in page


# --- point 8: the demo's hints, .gitignore and README ----------------------------------------
def test_8_the_demo_hint_uses_the_venvs_pip(tmp_path, capsys, monkeypatch):
    from videonb import cli

    assert cli.main(["demo", "--out", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    hint = out.splitlines()[-1].strip()
    assert not re.search(r"(^|&&\s*)pip ", hint), hint
    assert " -m pip install jupyterlab" in hint and " lab " in hint
    monkeypatch.setattr(sys, "prefix", sys.base_prefix)          # a system Python, no venv
    bare = cli.tutorials_command(Path("notebooks"))
    assert bare.startswith("python3 -m venv .venv && .venv/bin/python -m pip install")


def test_8_gitignore_and_readme_match_what_the_demo_does():
    from videonb.cli import build_parser

    out = build_parser().parse_args(["demo"]).out
    ignored = (ROOT / ".gitignore").read_text().split()
    assert f"/{out}/" in ignored and "/demo-output/" not in ignored
    readme = (ROOT / "README.md").read_text()
    first = readme.index("python3 -m venv")
    assert "python3-venv" in readme[:first]
    assert "bare `pip`" not in readme and "\npip install" not in readme


# --- point 9: scripts/test.sh says what it is doing ------------------------------------------
def _test_sh(tmp_path, python_stub: str, *args: str):
    """Run a copy of scripts/test.sh with a stub .venv/bin/python and a stub chromium on PATH."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "test.sh", repo / "scripts" / "test.sh")
    (repo / ".venv" / "bin").mkdir(parents=True)
    stub = repo / ".venv" / "bin" / "python"
    stub.write_text("#!/bin/sh\n" + python_stub)
    stub.chmod(0o755)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "chromium").write_text("#!/bin/sh\n")
    (bin_dir / "chromium").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}   # test.sh sets it
    env["PATH"] = f"{bin_dir}:{os.environ['PATH']}"
    return subprocess.run(["bash", str(repo / "scripts" / "test.sh"), *args],
                          capture_output=True, text=True, env=env, timeout=60)


def test_9_test_sh_prints_one_line_per_phase(tmp_path):
    calls = tmp_path / "calls"
    # the stub records what it was asked to do, and succeeds
    out = _test_sh(tmp_path, f'echo "HF_HUB_OFFLINE=$HF_HUB_OFFLINE $*" >> {calls}\n',
                   "-q", "-k", "x")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    phases = [re.match(r"videonb test\.sh \[(\d)/6\] ([a-z ]+):", ln) for ln in lines]
    assert [m.group(2) for m in phases if m] == ["apt", "venv", "torch", "pip", "sdk check",
                                                 "pytest"]
    assert len(lines) == 6 and all(re.search(r"\(\d+ s\)$", ln) for ln in lines[:5]), lines
    recorded = calls.read_text().splitlines()
    assert "HF_HUB_OFFLINE= -m pip install -q -e .[test,models,batch]" in recorded
    assert recorded[-1] == "HF_HUB_OFFLINE=1 -m pytest -q -k x"             # open models offline
    # CI still runs exactly the README's command.
    assert "bash scripts/test.sh -q" in (ROOT / ".ci" / "run").read_text()


def test_9_a_failing_phase_ends_its_line_with_failed(tmp_path):
    out = _test_sh(tmp_path, 'case "$*" in *import*) exit 1;; esac\n')
    assert out.returncode != 0
    assert re.search(r"\[5/6\] sdk check: .* FAILED \(\d+ s\)$", out.stdout.splitlines()[-1])


# --- the doctor ------------------------------------------------------------------------------
def test_doctor_names_where_keys_are_never_the_keys(home, monkeypatch):
    from videonb.notebook.doctor import checkup

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    (home / ".env").write_text(f"RUNWAYML_API_SECRET={KEY}x\n")
    found = checkup()
    text = found.text()
    keys = found.to_dict()["keys (where each was found; never the key itself)"]
    assert keys["openai"] == "found: environment variable OPENAI_API_KEY"
    assert keys["runway"].startswith("found: RUNWAYML_API_SECRET in ") and ".env" in keys["runway"]
    assert keys["gemini"].startswith("not found: set GEMINI_API_KEY")
    assert KEY not in text and KEY[:10] not in json.dumps(found.to_dict())


def test_doctor_reports_ledger_cache_extras_and_widgets(home):
    from videonb.notebook.doctor import checkup

    videonb.generate("a kite for the doctor", seconds=1, progress=False)   # one job, one output
    facts = checkup().to_dict()
    files = facts["ledger and cache"]
    assert str(home / "home" / "ledger.sqlite3") in files["ledger"]
    assert "from $VIDEONB_HOME" in files["ledger"] and "1 job(s): 1 succeeded" in files["ledger"]
    assert "1 file(s)" in files["outputs"]
    assert os.environ["VIDEONB_CACHE_DIR"] in files["cache"]
    extras = facts["optional extras (pip install 'videonb[NAME]')"]
    assert set(extras) == {"gemini", "models", "demo", "test", "bench", "batch"}
    assert extras["test"].startswith("installed")                # this suite runs with it
    assert facts["widgets (installed here, in the kernel)"]["anywidget"] != "not installed"


def test_doctor_extras_table_matches_pyproject():
    import tomllib

    from videonb.notebook.doctor import EXTRAS

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    names = {k: [re.match(r"[A-Za-z0-9_.-]+", r).group(0) for r in v] for k, v in declared.items()}
    assert names == EXTRAS


def test_doctor_page_widget_magic_and_command(home, ip, capsys):
    from videonb import cli
    from videonb.display.doctor import NOT_CHECKED
    from videonb.notebook.doctor import PLAYBACK_PROBES
    from videonb.notebook.widgets import Doctor

    d = ip.run_line_magic("videonb", "doctor")
    assert isinstance(d, Doctor) and not d.rendered and d.plays == {}
    bundle = d._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    static = data["text/html"]
    for label, mime in PLAYBACK_PROBES:                   # the browser is asked in the page
        assert f'data-label="{label}" data-mime="{vhtml.esc(mime)}"' in static
    assert vhtml.esc(NOT_CHECKED) in static and "canPlayType" in static
    assert "not checked yet" in repr(d)
    d.set_state({"browser": {"H.264": "probably", "AV1": ""}, "rendered": True})
    assert d.plays == {"H.264": True, "AV1": False} and "plays H.264 yes, AV1 no" in repr(d)
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("videonb doctor") and "not checked from the command line" in out
    assert cli.main(["doctor", "--json"]) == 0
    assert "ledger and cache" in json.loads(capsys.readouterr().out)
    assert videonb.doctor().checkup.sections[0].title == "videonb"


def test_doctor_loads_nothing_heavy():
    code = textwrap.dedent("""
        import sys
        from videonb.notebook.doctor import checkup
        checkup()
        print(sorted(m for m in ('av', 'numpy', 'cv2', 'httpx') if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[]"
