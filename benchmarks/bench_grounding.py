"""Grounded key moments: how far a vision model's raw timestamps are from the shot boundaries
videonb detects and from the true cuts, before and after snapping.

The "models" are the emulators answering with ``videonb.testing.emulators.citing``: a model
with perfect perception that can only cite the times of the frames it was shown (the stated
and burned-in frame times on the frames path; Gemini's default 1 fps on the video paths) and
answers in MM:SS.  Their error is the floor set by sampling and the MM:SS format; real
models drift further (QwenLM/Qwen3-VL#1175).  Three paths: OpenAI-compatible frames (16
frames chosen from the shots), Gemini with the video inline, a vLLM server with a
``video_url`` part.

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
    with OpenAIEmulator(responder=citing.openai_frames_responder) as oa, \
            GeminiEmulator(responder=citing.gemini_video_responder) as gm, VLLMEmulator() as vl:
        paths = [("frames, 16 (OpenAI-compatible)", "openai", dict(frames=16,
                                                                   **oa.provider_options())),
                 ("video 1 fps (Gemini inline)", "gemini", gm.provider_options()),
                 ("video (vLLM video_url)", "openai", vl.provider_options())]
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
                rows.append(f"| {clip_name} | {path_name} | {len(a.grounding)} | "
                            f"{_stats(raw_det)} | {_stats(raw_true)} | {_stats(snapped_true)} "
                            f"| {flagged} |")
                data[f"{clip_name} | {path_name}"] = {
                    "moments": len(a.grounding), "raw_to_detected": raw_det,
                    "raw_to_truth": raw_true, "snapped_to_truth": snapped_true,
                    "flagged": flagged}
    md = (f"Tolerance {TOLERANCE:g} s. Figures are mean / max seconds. \"raw\" is the model's "
          "own MM:SS time; \"snapped\" is after videonb moved it to the nearest detected "
          "boundary within the tolerance (flagged moments keep their raw time and are left "
          "out of the snapped column). The emulated model cites sampled frames perfectly, so "
          "the raw column is the floor of sampling plus MM:SS rounding, not a real model's "
          "drift.\n\n"
          "| clip | path | moments | raw → detected boundary | raw → true cut | snapped → "
          "true cut | flagged |\n|---|---|---|---|---|---|---|\n" + "\n".join(rows)
          + f"\n\nVersions: {versions('av', 'numpy', 'opencv-python-headless', 'google-genai')}."
          + "\nCommand: `python benchmarks/bench_grounding.py`")
    write_result("grounding", md, data)


if __name__ == "__main__":
    main()
