"""Inline player bytes for a 60 s 1080p source: target ≤ 1.5 MB of HTML (video + poster, base64 included).

Baseline in the same run: IPython's `Video(path, embed=True)` (the whole file as base64).
Run: python benchmarks/bench_player.py
"""

from __future__ import annotations

import os
import tempfile

from common import Timer, versions, write_result


def main() -> None:
    from IPython.display import Video as IPyVideo

    import videonb
    from videonb.display.html import player_html
    from videonb.media.encode import cache_dir
    from videonb.testing.clips import make_cut_clip

    src = cache_dir("bench") / "player_60s_1080p.mp4"
    if not src.exists():
        make_cut_clip(src, seconds=60, fps=30, size=(1920, 1080), seed=5, gop_seconds=2.0, crf=20)
    info = videonb.probe(src)
    os.environ["VIDEONB_CACHE_DIR"] = tempfile.mkdtemp(prefix="vnb-player-")  # no cached preview
    with Timer() as t_ipy:
        base = IPyVideo(str(src), embed=True)._repr_html_()
    with Timer() as t_vnb:
        ours = player_html(src)
    ok = len(ours) <= 1_500_000
    md = f"""Source: {info.summary()}, {info.size_bytes / 1e6:.1f} MB on disk (`make_cut_clip(seconds=60, size=(1920, 1080))`, real footage).
Versions: {versions('av', 'ipython')}.

| output | HTML bytes | ratio | time to build |
|---|---|---|---|
| IPython `Video(path, embed=True)` | {len(base):,} | 1.0× | {t_ipy.seconds:.2f} s |
| videonb `player_html(path)` (default budget, poster included) | **{len(ours):,}** (target ≤ 1,500,000: {'met' if ok else 'MISSED'}) | {len(base) / len(ours):.1f}× smaller | {t_vnb.seconds:.2f} s (transcode, cached afterwards) |
"""
    write_result("player", md, {"source_bytes": info.size_bytes, "ipython_html": len(base),
                                "videonb_html": len(ours), "target_met": ok,
                                "build_s": t_vnb.seconds})


if __name__ == "__main__":
    main()
