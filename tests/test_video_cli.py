"""Video from every kind of source (path, bytes, numpy frames, http URL, Video) and the CLI."""

from __future__ import annotations

import functools
import http.server
import json
import re
import socket
import subprocess
import sys
import threading
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

import videonb
from videonb import errors
from videonb.cli import main
from videonb.media.video import as_video
from videonb.testing import clips


# --------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------
def test_video_from_bytes(samples, _cache_dir):
    path = samples["bikes"]
    data = path.read_bytes()
    v = videonb.Video(data)
    assert v.path.read_bytes() == data
    assert _cache_dir in v.path.parents and v.path.suffix == ".mp4"
    assert v.origin == f"<{len(data)} bytes>"
    ref = videonb.probe(path)
    assert (v.info.frame_count, v.info.duration, v.info.fps) == (
        ref.frame_count, ref.duration, ref.fps)
    # Same bytes, same file; bytearray and memoryview work too.
    assert videonb.Video(bytearray(data)).path == v.path
    assert videonb.Video(memoryview(data)).path == v.path
    assert videonb.Video(data).frames(times=[1.3]).times == [1.28]


@pytest.mark.parametrize("fps", [10, 24, Fraction(30000, 1001)])
def test_video_from_numpy_frames(fps):
    n = 15
    frames = np.zeros((n, 96, 128, 3), np.uint8)
    for i in range(n):
        clips.stamp_frame_id(frames[i], i)
    v = videonb.Video(frames, fps=fps)
    assert v.origin == "<frames>"
    info = v.info
    assert info.fps == fps
    assert info.frame_count == n
    assert info.duration == pytest.approx(n / float(fps), abs=1e-3)
    assert (info.width, info.height) == (128, 96)
    got = v.frames(times=[0.0, 5 / float(fps) + 1e-3, info.duration])
    assert [clips.read_frame_id(img) for img in got.images] == [0, 5, n - 1]


def test_video_from_list_of_frames_default_fps():
    frames = [np.full((48, 64, 3), 10 * i, np.uint8) for i in range(5)]
    v = videonb.Video(frames)
    assert v.info.fps == 25 and v.info.frame_count == 5


def test_video_copy(samples):
    a = videonb.Video(samples["bikes"], name="my bikes")
    b = videonb.Video(a)
    assert b.path == a.path and b.origin == a.origin and b.name == "my bikes"
    assert b.info is a.info
    c = videonb.Video(a, name="other")
    assert c.name == "other"
    assert as_video(a) is a


def test_video_fspath(samples):
    v = videonb.Video(samples["carphone_distorted"])
    import os

    assert os.fspath(v) == str(samples["carphone_distorted"])
    assert Path(v) == samples["carphone_distorted"]


# --------------------------------------------------------------------------------------
# http(s) URLs, served locally
# --------------------------------------------------------------------------------------
class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server API
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def http_root(tmp_path_factory, samples):
    root = tmp_path_factory.mktemp("http")
    for name in ("bikes", "bigbuckbunny"):
        (root / f"{name}.mp4").write_bytes(samples[name].read_bytes())
    handler = functools.partial(_Handler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_video_from_url(http_root, samples):
    root, base = http_root
    calls: list[tuple[int, int | None]] = []
    url = f"{base}/bigbuckbunny.mp4"
    v = videonb.Video(url, progress=lambda done, total: calls.append((done, total)))
    size = samples["bigbuckbunny"].stat().st_size
    assert v.origin == url
    assert v.path.read_bytes() == samples["bigbuckbunny"].read_bytes()
    assert v.info.frame_count == 132 and v.info.has_audio
    # Progress: called, byte counts increasing, ending at the full size, total known.
    assert calls
    dones = [d for d, _ in calls]
    assert dones == sorted(dones) and dones[-1] == size and dones[0] > 0
    assert all(total == size for _, total in calls)
    # Cached: a second Video of the same URL does not download again.
    before = len(_Handler.requests)
    again = videonb.Video(url, progress=lambda d, t: calls.append((d, t)))
    assert again.path == v.path
    assert len(_Handler.requests) == before


def test_video_from_url_default_progress_goes_to_stderr(http_root, capsys):
    _, base = http_root
    v = videonb.Video(f"{base}/bikes.mp4")
    assert v.info.frame_count == 250
    err = capsys.readouterr().err
    assert "downloading" in err and "MB" in err


def test_url_404_raises_download_error(http_root, _cache_dir):
    _, base = http_root
    url = f"{base}/missing.mp4"
    with pytest.raises(errors.DownloadError, match="404") as info:
        videonb.Video(url, progress=lambda d, t: None)
    assert isinstance(info.value, OSError)
    assert "Check the URL" in str(info.value)
    # Nothing half-written stays in the download cache.
    downloads = _cache_dir / "downloads"
    assert not any(p.name.endswith(".part") for p in downloads.iterdir())


def test_url_connection_refused_raises_download_error():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    with pytest.raises(errors.DownloadError, match="Could not download"):
        videonb.Video(f"http://127.0.0.1:{port}/x.mp4", progress=lambda d, t: None)


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------
def test_cli_analyze_json(samples, capsys):
    assert main(["analyze", str(samples["bikes"]), "--json"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["info"]["frame_count"] == 250 and data["info"]["fps"] == "25"
    cuts = [m["start"] for m in data["moments"] if m["kind"] == "cut"]
    assert cuts == pytest.approx(list(clips.BIKES_CUTS_S), abs=1e-6)
    assert len(data["shots"]) == 6
    assert data["duration"] == pytest.approx(10.0)
    assert all({"start", "end", "kind", "score", "label"} <= set(m) for m in data["moments"])


def test_cli_analyze_all_frames(samples, capsys):
    assert main(["analyze", str(samples["bikes"]), "--json", "--all-frames"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["stats"]["skip_nonref"] is False
    assert data["stats"]["frames_decoded"] == 250
    cuts = [m["start"] for m in data["moments"] if m["kind"] == "cut"]
    assert cuts == pytest.approx(list(clips.BIKES_CUTS_S), abs=1e-6)


def test_cli_analyze_text_and_report(samples, capsys, tmp_path):
    out_html = tmp_path / "r.html"
    assert main(["analyze", str(samples["bikes"]), "--out", str(out_html)]) == 0
    out, err = capsys.readouterr()
    assert "640×272" in out and "5 hard cuts" in out
    assert "report:" in err
    text = out_html.read_text(encoding="utf-8")
    assert text.count("<video") == 1 and text.count('class="vnb-mark') == 5


def test_cli_frames(samples, capsys, tmp_path):
    out_dir = tmp_path / "frames"
    assert main(["frames", str(samples["bikes"]), "-n", "4", "--out", str(out_dir)]) == 0
    out, _ = capsys.readouterr()
    jpgs = sorted(out_dir.glob("*.jpg"))
    assert len(jpgs) == 4
    for p in jpgs:
        assert p.read_bytes()[:3] == b"\xff\xd8\xff"
        img = cv2.imread(str(p))
        assert img.shape == (272, 640, 3)
    page = (out_dir / "frames.html").read_text(encoding="utf-8")
    assert page.count("<img") == 4 and page.startswith("<!doctype html>")
    expected = videonb.sample_frames(samples["bikes"], n=4).times
    for t in expected:
        assert f"t={t:9.4f} s" in out
    assert "mode: exact" in out


def test_cli_frames_times_fast_and_resize(samples, capsys):
    assert main(["frames", str(samples["bikes"]), "--times", "0,1.5,3.1", "--mode", "fast",
                 "--max-side", "320"]) == 0
    out, _ = capsys.readouterr()
    assert re.findall(r"t=\s*([\d.]+) s", out) == ["0.0000", "1.2000", "3.0400"]
    assert "320x136" in out and "mode: fast" in out


def test_cli_usage_errors(capsys):
    with pytest.raises(SystemExit) as info:
        main(["frames", "x.mp4", "-n", "3", "--every", "1"])
    assert info.value.code == 2
    with pytest.raises(SystemExit):
        main([])
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert videonb.__version__ in capsys.readouterr().out


def test_cli_error_exit_code(tmp_path, capsys):
    missing = tmp_path / "nope.mp4"
    assert main(["analyze", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("videonb: error: No such file")
    assert "Traceback" not in err and out == ""
    assert main(["frames", str(tmp_path)]) == 2
    assert "directory" in capsys.readouterr().err
    assert main(["frames", str(tmp_path / "nope.mp4"), "--every", "-1"]) == 2


def test_cli_module_subprocess_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "videonb.cli", "analyze", str(tmp_path / "x.mp4")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "videonb: error:" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_demo(tmp_path, capsys):
    out_dir = tmp_path / "demo"
    assert main(["demo", "--out", str(out_dir)]) == 0
    out, _ = capsys.readouterr()
    report = out_dir / "report.html"
    assert report.is_file() and str(report.resolve()) in out
    text = report.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert text.count("<video") == 1
    marks = re.findall(r'class="vnb-mark[^"]*" data-t="([\d.]+)" data-kind="(\w+)"', text)
    assert sum(1 for _, k in marks if k == "cut") >= 1
    assert {"fade_in", "fade_out"} <= {k for _, k in marks}
    assert report.stat().st_size < 3_000_000
    assert "moments" in out and "frames" in out


def test_cli_demo_with_path(samples, tmp_path, capsys):
    out_dir = tmp_path / "demo2"
    assert main(["demo", str(samples["bikes"]), "--out", str(out_dir)]) == 0
    text = (out_dir / "report.html").read_text(encoding="utf-8")
    assert text.count('data-kind="cut"') == 5


def test_video_from_relative_path_survives_chdir(samples, tmp_path, monkeypatch):
    """After %cd in a notebook a Video still reads its own file, not a namesake in the new cwd."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "clip.mp4").write_bytes(samples["bikes"].read_bytes())
    (tmp_path / "b" / "clip.mp4").write_bytes(samples["carphone_distorted"].read_bytes())
    monkeypatch.chdir(tmp_path / "a")
    v = videonb.Video("clip.mp4")
    assert v.info.width == 640
    monkeypatch.chdir(tmp_path / "b")
    img = v.frames(n=1).images[0]
    assert img.shape == (272, 640, 3)


def test_url_dropped_connection_raises_download_error(_cache_dir):
    class Short(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"\0" * 300_000)  # then the connection closes

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Short)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    calls = []
    try:
        with pytest.raises(errors.DownloadError, match="300000 of 1000000"):
            videonb.Video(f"http://127.0.0.1:{server.server_address[1]}/cut.mp4",
                          progress=lambda d, t: calls.append((d, t)))
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert calls and calls[-1] == (300_000, 1_000_000)
    # A partial download never lands in the cache.
    assert not any(p.stat().st_size == 300_000 for p in (_cache_dir / "downloads").iterdir())
