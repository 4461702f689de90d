"""The offline `local` provider through the public API: generate, image_to_video, stylize,
edit, extend — real files out, recorded in the ledger, cached, honest about what it is."""

from __future__ import annotations

import numpy as np
import pytest

import videonb
from videonb import errors




@pytest.fixture(scope="module")
def still(tmp_path_factory):
    import cv2

    from videonb.testing.clips import sample_path

    frame = videonb.sample_frames(sample_path("bigbuckbunny"), times=[2.0]).images[0]
    p = tmp_path_factory.mktemp("still") / "still.png"
    cv2.imwrite(str(p), frame[:, :, ::-1])
    return p


def test_text_to_video_preview_is_labelled_and_cached(home):
    v = videonb.generate("a red kite over the ocean at sunset", seconds=2, progress=False)
    assert v.info.codec == "h264" and v.info.pix_fmt == "yuv420p"
    assert v.info.duration == pytest.approx(2.0, abs=0.1)
    assert (v.info.width, v.info.height) == (640, 360)
    prov = v.provenance
    assert prov["provider"] == "local" and prov["cost_usd"] == 0.0 and not prov["cached"]
    again = videonb.generate("a red kite over the ocean at sunset", seconds=2, progress=False)
    assert again.provenance["cached"] and again.path == v.path
    assert "free" in again._repr_html_()
    assert len(videonb.jobs()) == 1


def test_image_to_video_zoom_in(home, still):
    v = videonb.image_to_video(still, "slow zoom in", seconds=1.5, progress=False)
    first, last = videonb.sample_frames(v, times=[0.0, v.duration - 0.05]).images
    # zooming in: the last frame shows a magnified centre of the first
    assert not np.array_equal(first, last)
    assert v.provenance["operation"] == "image_to_video"


def test_stylize_edit_extend(home, cut_clips):
    src = cut_clips[0].path
    styl = videonb.stylize(src, "sketch", progress=False)
    assert styl.info.frame_count == videonb.probe(src).frame_count
    edited = videonb.edit(src, boxes=[(0.4, 0.4, 0.2, 0.2)], progress=False)
    assert edited.info.frame_count == videonb.probe(src).frame_count
    ext = videonb.extend(src, seconds=1.0, progress=False)
    assert ext.duration == pytest.approx(videonb.probe(src).duration + 1.0, abs=0.15)


def test_local_validation(home, still):
    with pytest.raises(errors.InvalidOptionError, match="1–30 s"):
        videonb.generate("x", seconds=60, progress=False)
    with pytest.raises(errors.InvalidOptionError, match="16:9"):
        videonb.generate("x", ratio="5:4", progress=False)
    with pytest.raises(errors.InvalidOptionError, match="needs mask="):
        videonb.edit(still, progress=False)
    with pytest.raises(errors.InvalidOptionError, match="does not exist"):
        videonb.image_to_video("missing.png", "zoom", progress=False)


def test_wait_false_returns_a_job(home):
    job = videonb.generate("snowy mountains at night", seconds=1, wait=False, progress=False)
    assert isinstance(job, videonb.Job)
    v = job.result()
    assert job.status == "succeeded" and v.info.frame_count > 0


def test_async_generate(home):
    import asyncio

    v = asyncio.run(videonb.generate_async("a forest in the rain", seconds=1))
    assert v.provenance["provider"] == "local"


def test_faces_counted_with_the_bundled_haar_cascade(home):
    from videonb.testing.clips import sample_path

    person = videonb.analyze(sample_path("carphone_pristine"), question="Are there faces?")
    assert person.raw["facts"]["shots_with_faces"] == 1          # a man talking on a car phone
    assert "frontal faces in 1 of 1 shot" in person.answer
    bunny = videonb.analyze(sample_path("bigbuckbunny"), question="any people?")
    assert bunny.raw["facts"]["shots_with_faces"] == 0           # a cartoon rabbit, no human face
