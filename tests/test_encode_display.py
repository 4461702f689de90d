"""Encoding (numpy → MP4/GIF, browser previews within a byte budget) and the static HTML."""

from __future__ import annotations

import base64
import html as htmlmod
import re
import shutil

import av
import numpy as np
import pytest

import videonb
from videonb import errors
from videonb.display import FrameGrid, Player, Report, Timeline
from videonb.display import html as H
from videonb.media.encode import browser_preview, cache_dir, encode_video, poster_jpeg
from videonb.testing import clips
from videonb.types import KeyMoment, format_time

MB = 1_000_000


def _decode_all(path):
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def _frames(n, h, w, seed=0):
    """Distinct, smooth frames (a moving gradient) so H.264 keeps them recognisable."""
    yy, xx = np.mgrid[0:h, 0:w]
    out = []
    for i in range(n):
        r = (xx * 255 // max(1, w - 1) + 20 * i) % 256
        g = (yy * 255 // max(1, h - 1)) % 256
        b = np.full_like(r, (37 * i + seed) % 256)
        out.append(np.stack([r, g, b], axis=-1).astype(np.uint8))
    return out


# --------------------------------------------------------------------------------------
# encode_video
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("h, w", [(75, 101), (48, 64), (361, 641)])
def test_encode_video_h264(tmp_path, h, w):
    frames = _frames(12, h, w)
    out = encode_video(frames, tmp_path / "out.mp4", fps=12)
    assert out == tmp_path / "out.mp4"
    info = videonb.probe(out)
    assert (info.codec, info.pix_fmt) == ("h264", "yuv420p")
    # Odd sizes are padded to the next even size, never shrunk or stretched.
    assert (info.width, info.height) == (w + w % 2, h + h % 2)
    assert info.frame_count == 12 == len(_decode_all(out))
    assert info.fps == 12
    assert info.duration == pytest.approx(1.0, abs=1e-6)
    assert info.browser_playable
    # faststart: the index precedes the media data.
    head = out.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or
                                         head.find(b"moov") < head.find(b"mdat"))


def test_encode_video_pads_odd_dimensions(tmp_path):
    """Padding, not resizing (it used to resize 101x75 to 100x76, dropping a column)."""
    src = _frames(3, 75, 101)
    out = encode_video(src, tmp_path / "odd.mp4")
    info = videonb.probe(out)
    assert (info.width, info.height) == (102, 76)
    decoded = _decode_all(out)
    for a, b in zip(src, decoded):
        # The original picture sits unscaled in the top-left corner.
        assert np.abs(a.astype(int) - b[:75, :101].astype(int)).mean() < 4


def test_encode_video_float_grey_and_array_input(tmp_path):
    levels = np.linspace(0.1, 0.9, 6)
    floats = [np.full((48, 64, 3), v, np.float32) for v in levels]
    out = encode_video(floats, tmp_path / "float.mp4", fps=6)
    decoded = _decode_all(out)
    assert len(decoded) == 6
    assert [img.mean() for img in decoded] == pytest.approx(list(levels * 255), abs=3)

    grey = np.stack([np.full((48, 64), 40 * i, np.uint8) for i in range(5)])  # (n, h, w) array
    out = encode_video(grey, tmp_path / "grey.mp4", fps=5)
    decoded = _decode_all(out)
    assert len(decoded) == 5
    assert [img.mean() for img in decoded] == pytest.approx([40 * i for i in range(5)], abs=3)

    rgba = np.zeros((4, 48, 64, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 255
    out = encode_video(rgba, tmp_path / "rgba.mp4")
    img = _decode_all(out)[0]
    assert img[..., 0].mean() > 180 and img[..., 1].mean() < 30


def test_encode_video_max_side(tmp_path):
    out = encode_video(_frames(3, 360, 640), tmp_path / "small.mp4", max_side=160)
    info = videonb.probe(out)
    assert (info.width, info.height) == (160, 90)


def test_encode_video_default_path_is_a_cache_file(_cache_dir):
    out = encode_video(_frames(4, 48, 64))
    assert out.is_file() and _cache_dir in out.parents
    assert videonb.probe(out).frame_count == 4


def test_encode_video_gif(tmp_path):
    frames = _frames(5, 48, 64)
    out = encode_video(frames, tmp_path / "anim.gif", codec="gif", fps=5)
    assert out.read_bytes()[:4] == b"GIF8"
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == "gif"
        decoded = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(decoded) == 5
    assert decoded[0].shape == (48, 64, 3)


def test_encoded_gif_can_be_probed(tmp_path):
    """videonb reads its own GIFs (probe used to reject every GIF as 'a GIF image')."""
    out = encode_video(_frames(5, 48, 64), tmp_path / "anim.gif", codec="gif", fps=5)
    info = videonb.probe(out)
    assert info.codec == "gif" and info.frame_count == 5
    assert (info.width, info.height) == (64, 48)
    assert videonb.Video(out).frames(n=2).images[0].shape == (48, 64, 3)


def test_video_from_frames_cache_does_not_collide():
    """Two different frame arrays get two files (the cache key used to hash every 3rd byte only,
    i.e. the red channel of 64x64 RGB frames, so b silently overwrote a's file)."""
    a = np.full((5, 64, 64, 3), 60, np.uint8)
    b = a.copy()
    b[..., 1] = 220  # same red channel, different green
    va = videonb.Video(a, fps=5)
    vb = videonb.Video(b, fps=5)
    first = videonb.sample_frames(videonb.Video(va.path), n=1).images[0]
    assert first[..., 1].mean() == pytest.approx(60, abs=5)  # still a's content
    assert va.path != vb.path


# --------------------------------------------------------------------------------------
# browser_preview
# --------------------------------------------------------------------------------------
def test_preview_fits_budget_and_covers_everything(hd_clip):
    src = videonb.probe(hd_clip.path)
    assert src.size_bytes > 150_000
    prev = browser_preview(hd_clip.path, max_bytes=150_000)
    assert prev.kind == "transcode"
    assert prev.size_bytes == prev.path.stat().st_size <= 150_000
    out = videonb.probe(prev.path)
    assert (out.codec, out.pix_fmt) == ("h264", "yuv420p") and out.browser_playable
    assert out.width % 2 == 0 and out.height % 2 == 0
    assert (out.width, out.height) == (prev.width, prev.height)
    assert out.width / out.height == pytest.approx(16 / 9, rel=0.02)
    assert out.width < src.width
    assert prev.truncated is False and prev.note == ""
    assert prev.covers_seconds == pytest.approx(src.duration)
    assert out.duration == pytest.approx(src.duration, abs=0.05)
    assert out.frame_count == src.frame_count
    assert not out.has_audio


def test_preview_truncated_when_budget_is_tiny(hd_clip):
    src = videonb.probe(hd_clip.path)
    prev = browser_preview(hd_clip.path, max_bytes=40_000)
    assert prev.truncated is True
    assert prev.size_bytes <= 40_000
    assert prev.covers_seconds < src.duration - 1
    assert prev.source_duration == pytest.approx(src.duration)
    assert "first" in prev.note and f"{src.duration:.0f} s" in prev.note
    out = videonb.probe(prev.path)
    assert out.codec == "h264" and out.duration == pytest.approx(prev.covers_seconds, abs=0.1)


def test_preview_note_states_the_budget(hd_clip):
    """(A 40 kB budget used to be reported as 'byte budget 0.0 MB'.)"""
    prev = browser_preview(hd_clip.path, max_bytes=40_000)
    m = re.search(r"budget ([\d.]+) (MB|kB)", prev.note)
    assert m and float(m.group(1)) > 0, prev.note


def test_preview_is_the_original_when_it_fits(samples):
    path = samples["bikes"]
    prev = browser_preview(path, max_bytes=2 * MB)
    assert prev.kind == "original" and prev.path == path
    assert prev.size_bytes == path.stat().st_size and not prev.truncated
    forced = browser_preview(path, max_bytes=2 * MB, force_transcode=True)
    assert forced.kind == "transcode" and forced.path != path


def test_preview_is_cached(hd_clip):
    a = browser_preview(hd_clip.path, max_bytes=150_000)
    mtime = a.path.stat().st_mtime_ns
    b = browser_preview(hd_clip.path, max_bytes=150_000)
    assert b.path == a.path and b.path.stat().st_mtime_ns == mtime


def test_preview_applies_rotation_and_sar(rotated_clips, samples):
    clip = rotated_clips[-90]
    prev = browser_preview(clip["path"])
    out = videonb.probe(prev.path)
    assert prev.kind == "transcode"
    assert out.rotation == 0 and (out.width, out.height) == clip["display_size"]
    # The marker is where a player that honours rotation shows it.
    img = videonb.sample_frames(prev.path, times=[0.5]).images[0]
    m = clip["marker_size"] // 2
    assert img[:m, -m:, 0].mean() > 190 and img[:m, -m:, 1].mean() < 70  # top-right
    car = browser_preview(samples["carphone_pristine"])
    out = videonb.probe(car.path)
    assert out.sample_aspect_ratio in (0, 1)
    assert out.width / out.height == pytest.approx(176 * 128 / 117 / 144, rel=0.02)


def test_poster_jpeg(samples):
    jpeg = poster_jpeg(samples["bikes"], at=1.3, max_side=320)
    assert jpeg[:3] == b"\xff\xd8\xff"
    import cv2

    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img.shape[1] == 320


# --------------------------------------------------------------------------------------
# Player
# --------------------------------------------------------------------------------------
def _video_src(markup):
    m = re.search(r'<video [^>]*src="([^"]*)"', markup)
    assert m, "no <video src=...>"
    return htmlmod.unescape(m.group(1))


def _embedded_mp4(markup, tmp_path):
    src = _video_src(markup)
    assert src.startswith("data:video/mp4;base64,")
    data = base64.b64decode(src.split(",", 1)[1], validate=True)
    path = tmp_path / "embedded.mp4"
    path.write_bytes(data)
    return path, data


@pytest.mark.parametrize("which", ["bigbuckbunny", "hd", "cut", "hevc"])
def test_player_embeds_valid_mp4_within_budget(which, samples, hd_clip, cut_clip, bad_inputs,
                                               tmp_path):
    path = {"bigbuckbunny": samples["bigbuckbunny"], "hd": hd_clip.path, "cut": cut_clip.path,
            "hevc": bad_inputs["hevc"]}[which]
    src_info = videonb.probe(path)
    markup = H.player_html(path)
    assert len(markup.encode()) <= 1.5 * MB
    assert markup.count("<video") == 1 and "controls" in markup
    emb, data = _embedded_mp4(markup, tmp_path)
    assert len(data) <= videonb.config.embed_max_bytes
    info = videonb.probe(emb)
    assert info.codec == "h264" and info.pix_fmt == "yuv420p" and info.browser_playable
    assert info.duration == pytest.approx(src_info.duration, abs=0.1)
    assert 'poster="data:image/jpeg;base64,' in markup
    assert htmlmod.escape(src_info.path.name) in markup


def test_player_respects_config_budget(samples, tmp_path, monkeypatch):
    path = samples["bikes"]  # 510 kB, browser-playable: embedded as is by default
    _, data = _embedded_mp4(Player(path).html, tmp_path)
    assert data == path.read_bytes()
    monkeypatch.setattr(videonb.config, "embed_max_bytes", 200_000)
    _, data = _embedded_mp4(Player(path).html, tmp_path)
    assert len(data) <= 200_000
    assert videonb.probe(tmp_path / "embedded.mp4").duration == pytest.approx(10.0, abs=0.05)
    smaller = H.player_html(path, max_bytes=60_000)
    _, data = _embedded_mp4(smaller, tmp_path)
    assert len(data) <= 60_000


def test_player_link_mode(cut_clip, tmp_path, monkeypatch):
    (tmp_path / "media").mkdir()
    local = tmp_path / "media" / "my clip.mp4"
    shutil.copyfile(cut_clip.path, local)
    monkeypatch.chdir(tmp_path)
    markup = H.player_html(local, embed=False)
    src = _video_src(markup)
    assert not src.startswith(("data:", "/", "file:", "http"))
    assert src == "media/my%20clip.mp4"
    assert (tmp_path / src.replace("%20", " ")).resolve() == local.resolve()
    assert len(markup) < 200_000  # the video is not embedded, only a poster
    # A file outside the notebook's folder cannot be linked.
    with pytest.raises(errors.InvalidOptionError, match="embed"):
        H.player_html(cut_clip.path, embed=False)


def test_player_with_url_is_escaped(samples):
    url = 'https://example.org/v.mp4?a=1&b="><script>alert(1)</script>'
    markup = H.player_html(samples["carphone_distorted"], url=url, poster=False)
    assert "<script>alert(1)" not in markup
    assert _video_src(markup) == url
    assert "data:video" not in markup


def test_player_hard_limit(cut_clip, monkeypatch):
    with pytest.raises(errors.OutputTooLargeError, match="embed=False"):
        H.player_html(cut_clip.path, max_bytes=videonb.config.embed_hard_limit + 1)
    monkeypatch.setattr(videonb.config, "embed_hard_limit", 500_000)
    with pytest.raises(errors.OutputTooLargeError):
        H.player_html(cut_clip.path, max_bytes=600_000)
    monkeypatch.setattr(videonb.config, "embed_max_bytes", 600_000)
    with pytest.raises(errors.OutputTooLargeError):
        Player(cut_clip.path).html


def test_player_options(samples):
    path = samples["carphone_distorted"]
    markup = H.player_html(path, autoplay=True, controls=False, poster=False, width=300,
                           element_id="my-player", caption=False)
    tag = re.search(r"<video [^>]*>", markup).group(0)
    assert 'id="my-player"' in tag and "autoplay" in tag and "muted" in tag and "loop" in tag
    assert "controls" not in tag and "poster=" not in tag and "width:300px" in tag
    assert 'class="vnb-caption"' not in markup


# --------------------------------------------------------------------------------------
# Escaping of outside text
# --------------------------------------------------------------------------------------
EVIL_LABEL = "<img src=x onerror=alert(1)>"


@pytest.fixture
def evil_video(samples, tmp_path):
    name = "a<script>alert(1)&\"x'.mp4"
    try:
        path = tmp_path / name
        shutil.copyfile(samples["carphone_distorted"], path)
    except OSError:  # pragma: no cover - filesystems without these characters
        pytest.skip("filesystem does not allow <, >, & or quotes in names")
    return videonb.Video(path)


def _assert_escaped(markup):
    assert "<script>alert(1)" not in markup
    assert EVIL_LABEL not in markup
    assert "onerror=alert(1)>" not in markup


def test_file_name_escaped_in_player(evil_video):
    markup = Player(evil_video).html
    _assert_escaped(markup)
    assert "a&lt;script&gt;alert(1)&amp;&quot;x&#x27;.mp4" in markup


def test_labels_and_names_escaped_in_timeline_and_report(evil_video):
    m = evil_video.moments()
    m.moments.append(KeyMoment(1.0, 1.0, "event", score=1.0, label=EVIL_LABEL))
    m.moments.append(KeyMoment(2.0, 3.0, "event", score=1.0, label=EVIL_LABEL))
    escaped_label = htmlmod.escape(EVIL_LABEL)
    for markup in (Timeline(m).html, Timeline(m, player=False).html,
                   Report(evil_video, moments=m, frames=evil_video.frames(n=2)).html):
        _assert_escaped(markup)
        assert escaped_label in markup
    report = Report(evil_video, moments=m, frames=evil_video.frames(n=2)).html
    assert "a&lt;script&gt;alert(1)&amp;&quot;x&#x27;.mp4" in report


def test_grid_titles_and_report_title_escaped(samples):
    frames = videonb.sample_frames(samples["carphone_distorted"], n=2)
    markup = FrameGrid(frames.images, titles=[EVIL_LABEL, "ok"]).html
    _assert_escaped(markup)
    assert htmlmod.escape(EVIL_LABEL) in markup
    v = videonb.Video(samples["carphone_distorted"])
    m = videonb.detect(v)
    markup = Report(v, moments=m, frames=frames, title=EVIL_LABEL, summary=EVIL_LABEL).html
    _assert_escaped(markup)
    page = Report(v, moments=m, frames=frames).save(
        cache_dir("pages") / "p.html", title=EVIL_LABEL)
    text = page.read_text(encoding="utf-8")
    _assert_escaped(text)
    assert text.startswith("<!doctype html>") and text.rstrip().endswith("</html>")


# --------------------------------------------------------------------------------------
# Frame grid, timeline, report
# --------------------------------------------------------------------------------------
def test_frame_grid(samples):
    frames = videonb.sample_frames(samples["bikes"], n=7)
    markup = FrameGrid(frames).html
    assert markup.count("<img") == 7
    assert markup.count('src="data:image/jpeg;base64,') == 7
    for t in frames.times:
        assert format_time(t) in markup
    assert re.findall(r'<figure data-t="([\d.]+)"', markup) == [f"{t:.4f}" for t in frames.times]
    assert "7 frames of bikes.mp4" in markup and "exact timestamps" in markup
    assert "<script" not in markup  # no player to seek


def test_frame_grid_fast_mode_shows_requested_time(samples):
    frames = videonb.sample_frames(samples["bikes"], times=[2.5, 6.0], mode="fast")
    markup = frames.grid().html
    assert "fast mode" in markup
    assert markup.count("(asked ") == 2
    assert f"(asked {format_time(2.5)})" in markup


def test_timeline_markers(detected_bikes):
    m = detected_bikes
    markup = Timeline(m, player=False).html
    assert "<video" not in markup and "<script" not in markup
    marks = re.findall(r'<button class="vnb-mark[^"]*" data-t="([\d.]+)" data-kind="(\w+)"', markup)
    assert marks == [(f"{x.start:.4f}", x.kind) for x in m.moments]
    shots = re.findall(r'<div class="vnb-tl-shot" data-t="([\d.]+)"', markup)
    assert shots == [f"{s.start:.4f}" for s in m.shots]
    assert f"{len(m.shots)} shot(s)" in markup


def test_timeline_lists_at_most_max_listed(detected_bikes):
    markup = Timeline(detected_bikes, player=False, max_listed=2).html
    assert markup.count("<li ") == 2
    assert f"{len(detected_bikes.moments) - 2} more moment(s)" in markup


@pytest.fixture(scope="module")
def detected_bikes(samples):
    return videonb.detect(samples["bikes"])


def test_report_wiring(samples, detected_bikes, tmp_path):
    v = videonb.Video(samples["bikes"])
    frames = v.frames(n=5, max_side=240)
    rep = Report(v, moments=detected_bikes, frames=frames)
    markup = rep.html
    assert markup.count("<video") == 1
    vid = re.search(r'<video id="([^"]+)"', markup).group(1)
    # Both scripts (timeline and grid) seek that one player.
    scripts = re.findall(r"<script>(.*?)</script>", markup, re.S)
    assert len(scripts) == 2
    for s in scripts:
        assert f'"player": "{vid}"' in s
    # Each script's root element exists in the markup.
    for s in scripts:
        root = re.search(r'"root": "([^"]+)"', s).group(1)
        assert f'id="{root}"' in markup
    marks = [float(x) for x in re.findall(r'class="vnb-mark[^"]*" data-t="([\d.]+)"', markup)]
    assert marks == pytest.approx([x.start for x in detected_bikes.moments], abs=1e-4)
    assert marks == pytest.approx(list(clips.BIKES_CUTS_S), abs=1e-4)
    assert markup.count("<figure") == 5
    assert detected_bikes.summary() in htmlmod.unescape(markup)
    bundle = rep._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert bundle["text/html"] == markup and bundle["text/plain"] == repr(rep)
    saved = rep.save(tmp_path / "report.html")
    assert saved.read_text(encoding="utf-8").count("<video") == 1


def test_timeline_with_player_is_linked(detected_bikes):
    markup = Timeline(detected_bikes).html
    assert markup.count("<video") == 1
    vid = re.search(r'<video id="([^"]+)"', markup).group(1)
    assert f'"player": "{vid}"' in markup


def test_ids_are_unique_across_outputs(samples, detected_bikes):
    v = videonb.Video(samples["bikes"])
    ids = [re.search(r'<video id="([^"]+)"', Player(v).html).group(1) for _ in range(3)]
    assert len(set(ids)) == 3


def test_mimebundles(samples, detected_bikes):
    v = videonb.Video(samples["carphone_distorted"])
    frames = v.frames(n=3)
    for obj in (Player(v), FrameGrid(frames), Timeline(detected_bikes), Report(v, frames=frames)):
        bundle = obj._repr_mimebundle_()
        assert set(bundle) == {"text/html", "text/plain"}
        assert bundle["text/html"].startswith("<style>") and "vnb" in bundle["text/html"]
        assert bundle["text/plain"] == repr(obj) and bundle["text/plain"].startswith("<")
        assert obj._repr_html_() == obj.html == bundle["text/html"]
    assert "<video" in v._repr_html_()
    assert "<img" in frames._repr_html_()
    assert "vnb-timeline" in detected_bikes._repr_html_()


def _gif_from(markup, tmp_path):
    m = re.search(r'<img src="data:image/gif;base64,([^"]+)"', markup)
    assert m, "no embedded GIF"
    data = base64.b64decode(m.group(1), validate=True)
    path = tmp_path / "player.gif"
    path.write_bytes(data)
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        frames = list(c.decode(stream))
        end = float(frames[-1].pts * stream.time_base)
    return data, frames, end


@pytest.mark.parametrize("max_bytes", [None, 300_000])
def test_gif_player(samples, tmp_path, max_bytes):
    path = samples["carphone_distorted"]
    info = videonb.probe(path)
    markup = H.player_html(path, gif=True, max_bytes=max_bytes)
    assert "<video" not in markup
    data, frames, end = _gif_from(markup, tmp_path)
    assert data[:6] == b"GIF89a"
    assert len(data) <= (max_bytes or videonb.config.embed_max_bytes)
    # Square pixels (SAR applied), whole duration covered.
    assert frames[0].width / frames[0].height == pytest.approx(info.display_aspect_ratio, rel=0.03)
    assert len(frames) >= 10
    assert end == pytest.approx(info.duration * (len(frames) - 1) / len(frames), abs=0.15)
    assert "GIF" in markup and htmlmod.escape(path.name) in markup


def test_gif_player_rotation(rotated_clips, tmp_path):
    clip = rotated_clips[90]
    _, frames, _ = _gif_from(H.player_html(clip["path"], gif=True), tmp_path)
    assert (frames[0].width, frames[0].height) == clip["display_size"]


def test_gif_player_too_large_for_budget(samples):
    with pytest.raises(errors.OutputTooLargeError, match="gif=False"):
        H.player_html(samples["bikes"], gif=True, max_bytes=20_000)


def test_preview_keeps_vfr_timing(vfr_clip, reference):
    prev = browser_preview(vfr_clip.path, force_transcode=True)
    assert prev.kind == "transcode"
    ref_src = reference(vfr_clip.path)
    ref_prev = reference(prev.path)
    assert ref_prev.times == pytest.approx(ref_src.times, abs=1e-6)
    assert videonb.probe(prev.path).is_vfr is True
    # And each preview frame is the source frame shown at that time (stamped ids).
    frames = videonb.sample_frames(prev.path, times=[t for t, _ in vfr_clip.truth.frames[::5]])
    assert [clips.read_frame_id(img) for img in frames.images] == [
        fid for _, fid in vfr_clip.truth.frames[::5]]
