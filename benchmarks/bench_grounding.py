"""Grounded key moments: how far a vision model's raw timestamps are from the shot boundaries
videonb detects and from the true cuts, before and after snapping.

The "models" are the emulators answering with ``videonb.testing.emulators.citing``: a model
with perfect perception that can only cite the times of the frames it was shown (the stated
and burned-in frame times on the frames path; Gemini's default 1 fps on the video paths) and
answers in MM:SS.  Their error is the floor set by sampling and the MM:SS format; real
models drift further (QwenLM/Qwen3-VL#1175).  Three paths: OpenAI-compatible frames (16
frames chosen from the shots), Gemini with the video inline, a vLLM server with a
``video_url`` part; and a fourth, the Gemini path with a model that misreads each time by up
to ``DRIFT`` seconds (seeded, ``citing.drifting``), to show what snapping does with drift.

Clips: ``bikes.mp4`` (real, hand-labelled cuts, held out: the detectors were not tuned on
it), ``bigbuckbunny.mp4`` (real, no labelled cuts: distance to detected boundaries only),
and three 12 s clips of videonb's own generator (known cuts, dissolves and fades; it is also
what the detectors were tuned on, so the figure proves less).  Baseline: the raw answer.
Run: python benchmarks/bench_grounding.py
"""

from __future__ import annotations

import os
import statistics
import tempfile

from common import versions, write_result

TOLERANCE = 1.0
#: The drifting model's misreading of times (seconds either way, seeded): about what
#: QwenLM/Qwen3-VL#1175 reports for real models' raw timestamps.
DRIFT = 1.5


def _stats(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{statistics.mean(values):.2f} / {max(values):.2f}"


def main() -> None:
    os.environ.setdefault("VIDEONB_HOME", tempfile.mkdtemp(prefix="vnb-bench-ground-"))
    import videonb
    from videonb.media.grounding import boundaries
    from videonb.testing import clips
    from videonb.testing.emulators import GeminiEmulator, OpenAIEmulator, VLLMEmulator, citing

    work = tempfile.mkdtemp(prefix="vnb-ground-clips-")
    cases: list[tuple[str, str, list[float] | None]] = [
        ("bikes.mp4 (real, held out)", str(clips.sample_path("bikes")), list(clips.BIKES_CUTS_S)),
        ("bigbuckbunny.mp4 (real, no labels)", str(clips.sample_path("bigbuckbunny")), None)]
    for seed in (21, 22, 23):
        path = os.path.join(work, f"cut{seed}.mp4")
        truth = clips.make_cut_clip(path, seconds=12.0, fps=25, size=(640, 360), seed=seed,
                                    dissolves=1, fades=1)
        marks = sorted(set(truth.cuts) | {t for _k, a, b in truth.transitions for t in (a, b)})
        cases.append((f"generated seed {seed} (12 s)", path, marks))

    rows, data = [], {}
    meant: dict[str, list[float]] = {}
    with OpenAIEmulator(responder=citing.openai_frames_responder) as oa, \
            GeminiEmulator(responder=citing.gemini_video_responder) as gm, VLLMEmulator() as vl, \
            GeminiEmulator(responder=citing.drifting(citing.gemini_video_responder, DRIFT,
                                                     seed=7)) as gd:
        paths = [("frames, 16 (OpenAI-compatible)", "openai", dict(frames=16,
                                                                   **oa.provider_options())),
                 ("video 1 fps (Gemini inline)", "gemini", gm.provider_options()),
                 ("video (vLLM video_url)", "openai", vl.provider_options()),
                 (f"Gemini inline, drifting ±{DRIFT:g} s", "gemini", gd.provider_options())]
        for clip_name, path, truth in cases:
            for path_name, provider, opts in paths:
                a = videonb.analyze(path, provider=provider, snap_tolerance=TOLERANCE, **opts)
                marks = boundaries(a.shots)
                raw_det = [min((abs(g.raw_start - b) for b in marks), default=0.0)
                           for g in a.grounding]
                raw_true = [min(abs(g.raw_start - c) for c in truth) for g in a.grounding] \
                    if truth else []
                snapped_true = [min(abs(g.start - c) for c in truth) for g in a.grounding
                                if not g.flagged] if truth else []
                flagged = sum(g.flagged for g in a.grounding)
                # The cut each moment is about: the true cut nearest to the undrifted Gemini
                # answer (the drifting model is that answer, misread; same moments, same
                # order).  A snap that lands on a neighbouring cut is counted as wrong, which
                # "snapped -> true cut" (nearest cut, whichever) cannot show.
                nearest = (lambda t: min(truth, key=lambda c: abs(t - c))) if truth else None
                if provider == "gemini" and "drifting" not in path_name and truth:
                    meant[clip_name] = [nearest(g.raw_start) for g in a.grounding]
                wrong: int | str = "–"
                if truth and "drifting" in path_name and \
                        len(meant.get(clip_name, [])) == len(a.grounding):
                    wrong = sum(not g.flagged and nearest(g.start) != c
                                for g, c in zip(a.grounding, meant[clip_name]))
                rows.append(f"| {clip_name} | {path_name} | {len(a.grounding)} | "
                            f"{_stats(raw_det)} | {_stats(raw_true)} | {_stats(snapped_true)} "
                            f"| {wrong} | {flagged} |")
                data[f"{clip_name} | {path_name}"] = {
                    "moments": len(a.grounding), "raw_to_detected": raw_det,
                    "raw_to_truth": raw_true, "snapped_to_truth": snapped_true,
                    "snapped_to_a_neighbouring_cut": wrong, "flagged": flagged}
    md = (f"Tolerance {TOLERANCE:g} s. Figures are mean / max seconds. \"raw\" is the model's "
          "own MM:SS time; \"snapped\" is after videonb moved it to the nearest detected "
          "boundary within the tolerance (flagged moments keep their raw time and are left "
          "out of the snapped column). The emulated model cites sampled frames perfectly, so "
          "the raw column is the floor of sampling plus MM:SS rounding, not a real model's "
          f"drift. The \"drifting\" rows move each of its times by a seeded uniform error "
          f"within ±{DRIFT:g} s (a model that sees the moment but misreads its time).\n\n"
          "\"neighbour\" counts drifting moments snapped onto a cut other than the one the "
          "undrifted answer was about (the nearest-cut columns cannot show that).\n\n"
          "| clip | path | moments | raw → detected boundary | raw → true cut | snapped → "
          "true cut | neighbour | flagged |\n|---|---|---|---|---|---|---|---|\n" + "\n".join(rows)
          + f"\n\nVersions: {versions('av', 'numpy', 'opencv-python-headless', 'google-genai')}."
          + "\nCommand: `python benchmarks/bench_grounding.py`")
    write_result("grounding", md, data)


if __name__ == "__main__":
    main()
