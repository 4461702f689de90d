"""Batch analysis: :func:`analyze_many` over a folder, a glob, a list or a table column.

One task per video, each the public :func:`videonb.analyze` of that one file; tasks run
serially, on a local process pool (the default: every core) or on a Dask cluster
(``client=``: a ``LocalCluster``, dask-jobqueue's SLURM/PBS clusters, Kubernetes).  Workers
get paths or URLs, never frames, and send back a small row (figures, moments, a few small
JPEG thumbnails).

Results are content-addressed in ``$VIDEONB_CACHE_DIR/batch`` (the file's SHA-256 plus the
options), written by the process that started the batch as each task finishes: running the
same call again skips what is done, so an interrupted batch resumes.  A file that cannot be
analysed becomes an error row with its :class:`~videonb.errors.VideonbError` message; it
never stops the batch (error rows are not cached: ``Batch.retry()`` runs them again).

Hosted understanding (``provider="gemini"``/``"openai"``) runs in this process, never on
the workers (API keys stay here): the estimate for the whole batch is shown before the
first request, each task reserves its estimate in the ledger before it is sent (the same
:meth:`Ledger.claim` that guards every paid job, so ``videonb.config.budget_usd`` holds
across all concurrent tasks), at most ``concurrency`` requests per provider are in flight,
and a rate-limit answer pauses that provider's tasks with exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob as _glob
import hashlib
import json
import math
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._redact import redact
from ..errors import (AuthenticationError, BudgetExceededError, InvalidOptionError,
                      MissingKeyError, ProviderRetiredError, ProviderUnavailableError,
                      RateLimitError, VideonbError)
from .batch_progress import Progress as _Progress

__all__ = ["analyze_many", "Batch", "BatchInterrupted", "estimate_many", "video_sources",
           "analyze_one", "VIDEO_EXTENSIONS"]

#: File name endings a folder or glob is searched for.
VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts",
                    ".wmv", ".flv", ".3gp", ".ogv", ".y4m")
#: Bumped when a row's content changes, so old cache entries are not served.
ROW_VERSION = 1
#: Thumbnails kept per video (evenly spread), and their height in pixels.
THUMBS, THUMB_HEIGHT = 8, 72
#: Columns of the table, in order (``thumbnails``/``moments`` ride along in ``rows``).
COLUMNS = ("path", "name", "status", "error", "error_type", "duration_s", "fps", "width",
           "height", "size_bytes", "shots", "cuts", "gradual", "dissolves", "fades",
           "cut_times", "motion_moments", "most_motion_at_s", "brightness_changes",
           "mean_brightness", "summary", "answer", "cost_usd", "provider", "model", "seconds",
           "cached", "key")
#: Input tokens per second of video and USD per million input tokens, for the batch
#: estimate of token-billed providers (a ceiling: the prompt, the answer and a 1.5x margin
#: are added).  Gemini counts ≈ 300 tokens per second of video at 1 fps (its video docs);
#: prices from the models' price notes in gemini.py / openai.py.
TOKENS_PER_SECOND = {"gemini": 300.0, "openai": 85.0}
USD_PER_M_TOKENS = {("gemini", "gemini-2.5-flash"): 0.30, ("gemini", "gemini-2.5-pro"): 1.25,
                    ("gemini", "gemini-2.5-flash-lite"): 0.10, ("openai", "gpt-4o"): 2.50,
                    ("openai", "gpt-4.1-mini"): 0.40}


#: Failures of a hosted task that bill nothing (refused before the model ran).
_UNBILLED = (AuthenticationError, BudgetExceededError, InvalidOptionError, MissingKeyError,
             ProviderRetiredError, ProviderUnavailableError, RateLimitError)


class BatchInterrupted(VideonbError):
    """The batch was interrupted (the kernel's Interrupt, Ctrl-C); ``.batch`` holds the rows
    finished so far.  They are cached: the same call again resumes."""

    code = "batch_interrupted"

    def __init__(self, message: str, batch: "Batch") -> None:
        super().__init__(message)
        self.batch = batch


# --- inputs ----------------------------------------------------------------------------------
def _is_url(s: str) -> bool:
    return s.startswith(("http://", "https://"))


def video_sources(videos: Any) -> list[str]:
    """The list of paths/URLs ``analyze_many`` runs over: a folder (searched recursively for
    :data:`VIDEO_EXTENSIONS`), a glob (``"clips/**/*.mp4"``), one path or URL, or any
    sequence of them (a list, a pandas column, ``Video`` objects)."""
    if isinstance(videos, (str, os.PathLike)):
        s = os.fspath(videos)
        if _is_url(s):
            return [s]
        p = Path(s).expanduser()
        if p.is_dir():
            found = sorted(str(f) for f in p.rglob("*")
                           if f.is_file() and f.suffix.lower() in VIDEO_EXTENSIONS)
            if not found:
                raise InvalidOptionError(
                    f"No videos in the folder {s!r} (looked for {', '.join(VIDEO_EXTENSIONS)}).")
            return found
        if any(c in s for c in "*?["):
            found = sorted(f for f in _glob.glob(str(p), recursive=True) if Path(f).is_file())
            if not found:
                raise InvalidOptionError(f"The pattern {s!r} matches no file.")
            return found
        return [str(p)]
    try:
        items = list(videos)
    except TypeError:
        raise InvalidOptionError(
            f"videos must be a folder, a glob, a path, a URL or a list of them, not "
            f"{type(videos).__name__}.") from None
    out = []
    for v in items:
        v = getattr(v, "path", v)
        if not isinstance(v, (str, os.PathLike)):
            raise InvalidOptionError(
                f"Each video must be a path or URL, not {type(v).__name__} ({v!r:.60}).")
        s = os.fspath(v)
        out.append(s if _is_url(s) else str(Path(s).expanduser()))
    if not out:
        raise InvalidOptionError("analyze_many got an empty list of videos.")
    return out


@dataclass(frozen=True)
class _Options:
    provider: str = "local"
    model: str | None = None
    question: str | None = None
    frames: int | None = None
    provider_options: tuple[tuple[str, Any], ...] = ()

    def ident(self) -> dict[str, Any]:
        return {"v": ROW_VERSION, "provider": self.provider, "model": self.model,
                "question": self.question, "frames": self.frames,
                "options": [list(kv) for kv in self.provider_options]}


def _cache_root() -> Path:
    from ..providers.ledger import home

    root = Path(os.environ.get("VIDEONB_CACHE_DIR") or home() / "cache") / "batch"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _content_id(src: str) -> str | None:
    """``sha256:<hex>`` of a local file (memoised by path, size and mtime), ``url:<url>``,
    or None for a path that is not a readable file (its task reports why)."""
    if _is_url(src):
        return "url:" + src
    from .base import hash_file

    try:
        st = os.stat(src)
    except OSError:
        return None
    if not os.path.isfile(src):
        return None
    memo = _cache_root() / "stat" / (hashlib.sha256(os.path.abspath(src).encode()).hexdigest()
                                     + ".json")
    stamp = [st.st_size, st.st_mtime_ns]
    try:
        m = json.loads(memo.read_text())
        if m.get("stamp") == stamp and isinstance(m.get("sha"), str):
            return "sha256:" + m["sha"]
    except (OSError, ValueError, AttributeError):
        pass
    try:
        sha = hash_file(src)
    except OSError:
        return None
    _write_json(memo, {"stamp": stamp, "sha": sha})
    return "sha256:" + sha


def _key(content: str, opts: _Options) -> str:
    blob = json.dumps({"content": content, **opts.ident()}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def _cache_path(key: str) -> Path:
    return _cache_root() / "rows" / key[:2] / f"{key}.json"


_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_NUMERIC = ("duration_s", "fps", "width", "height", "size_bytes", "shots", "cuts", "gradual",
            "dissolves", "fades", "motion_moments", "most_motion_at_s", "brightness_changes",
            "mean_brightness", "cost_usd", "seconds")
_TEXT = ("summary", "answer", "provider", "model", "error", "error_type", "name")


def _cached_row(key: str) -> dict[str, Any] | None:
    """A finished row from the cache; it is data (checked for shape), never instructions."""
    try:
        row = json.loads(_cache_path(key).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(row, dict) or row.get("status") != "ok" or row.get("key") != key:
        return None
    thumbs = row.get("thumbnails") or []
    if not isinstance(thumbs, list) or not all(isinstance(t, str) and _B64.fullmatch(t)
                                               for t in thumbs):
        return None
    def number(v: Any) -> bool:
        return (not isinstance(v, bool) and isinstance(v, (int, float))
                and math.isfinite(float(v)))

    for c in _NUMERIC:
        v = row.get(c)
        if v is not None and not number(v):
            return None
    if not all(isinstance(row.get(c), (str, type(None))) for c in _TEXT):
        return None
    for c in ("cut_times", "thumb_times"):
        v = row.get(c) or []
        if not isinstance(v, list) or not all(number(t) for t in v):
            return None
    moments = row.get("moments") or []
    if not isinstance(moments, list) or not all(
            isinstance(m, dict) and isinstance(m.get("kind"), str)
            and isinstance(m.get("label", ""), (str, type(None)))
            and number(m.get("start")) and number(m.get("end"))
            and (m.get("score") is None or number(m.get("score"))) for m in moments):
        return None
    return row


# --- one task --------------------------------------------------------------------------------
def _empty_row(src: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(path=src, name=src.rstrip("/").rsplit("/", 1)[-1], status="error",
               cached=False, thumbnails=[], thumb_times=[], moments=[])
    return row


def _error_into(row: dict[str, Any], exc: BaseException) -> None:
    row["status"] = "error"
    row["error_type"] = type(exc).__name__
    msg = redact(str(exc)) or type(exc).__name__
    if not isinstance(exc, VideonbError):
        msg = (f"{type(exc).__name__}: {msg} (an unexpected error; please report it with "
               f"this file's details)")
    row["error"] = msg[:2000]


def row_from_analysis(row: dict[str, Any], a: Any) -> dict[str, Any]:
    """Fill ``row`` from an :class:`~videonb.providers.base.Analysis` (small values only)."""
    import numpy as np

    from ..media.encode import encode_jpeg

    v = a.video
    info = v.info
    kinds = [m.kind for m in a.moments]
    facts = (a.raw or {}).get("facts", {}) if isinstance(a.raw, dict) else {}
    row.update(
        status="ok", error=None, error_type=None, duration_s=round(float(info.duration), 3),
        fps=round(float(info.fps), 4), width=int(info.width), height=int(info.height),
        size_bytes=os.path.getsize(v.path) if os.path.isfile(str(v.path)) else None,
        shots=len(a.shots) if a.shots else None, cuts=kinds.count("cut"),
        dissolves=kinds.count("dissolve"),
        fades=kinds.count("fade_in") + kinds.count("fade_out"),
        cut_times=[round(float(m.start), 3) for m in a.moments if m.kind == "cut"],
        motion_moments=kinds.count("motion"), most_motion_at_s=facts.get("most_motion_at_s"),
        brightness_changes=kinds.count("brightness"), summary=a.summary, answer=a.answer,
        cost_usd=a.cost_usd, provider=a.provider, model=a.model,
        moments=[{"kind": m.kind, "start": round(float(m.start), 3),
                  "end": round(float(m.end), 3), "label": m.label,
                  "score": None if m.score is None else round(float(m.score), 3)}
                 for m in a.moments])
    row["gradual"] = row["dissolves"] + row["fades"]
    frames = a.frames
    images = list(getattr(frames, "images", None) or [])
    times = list(getattr(frames, "times", None) or [])
    if images:
        row["mean_brightness"] = round(float(np.mean(
            [float(np.dot(im[::4, ::4].reshape(-1, 3).mean(0), (0.299, 0.587, 0.114)))
             for im in images])), 2)
        pick = sorted({round(i * (len(images) - 1) / max(1, THUMBS - 1))
                       for i in range(min(THUMBS, len(images)))})
        import base64

        thumbs = []
        for i in pick:
            im = images[i]
            side = max(THUMB_HEIGHT, int(THUMB_HEIGHT * im.shape[1] / max(1, im.shape[0])))
            thumbs.append(base64.b64encode(encode_jpeg(im, quality=70, max_side=side))
                          .decode("ascii"))
        row["thumbnails"] = thumbs
        row["thumb_times"] = [round(float(times[i]), 3) for i in pick if i < len(times)]
    return row


def analyze_one(src: str, provider: str = "local", model: str | None = None,
                question: str | None = None, frames: int | None = None,
                provider_options: dict[str, Any] | None = None, *,
                in_worker: bool = True) -> dict[str, Any]:
    """Analyse one video with the public :func:`videonb.analyze` and return its row.

    This is the task a worker runs (importable, picklable, no shared state); every failure
    becomes an error row, so it never raises for a bad file.  In a worker (a pool process or
    a Dask worker thread, where no event loop runs) the async twin runs on a loop of its
    own; ``in_worker=False`` (this process, maybe a kernel) goes through videonb's loop."""
    from .api import analyze, analyze_async

    row = _empty_row(src)
    t0 = time.perf_counter()
    kw = dict(provider=provider, model=model, question=question, frames=frames,
              **(provider_options or {}))
    try:
        a = asyncio.run(analyze_async(src, **kw)) if in_worker else analyze(src, **kw)
        row_from_analysis(row, a)
    except Exception as exc:  # noqa: BLE001 - a bad file is a row, never the batch's end
        _error_into(row, exc)
    row["seconds"] = round(time.perf_counter() - t0, 4)
    return row


# --- the result ------------------------------------------------------------------------------
class Batch:
    """The rows of a batch (one dict per video, in input order), as a table and a gallery."""

    def __init__(self, rows: list[dict[str, Any]], *, call: dict[str, Any] | None = None,
                 title: str = "videonb batch") -> None:
        self.rows = rows
        self._call = call or {}
        self.title = title

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.rows[i]

    @property
    def ok(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] == "ok"]

    @property
    def failed(self) -> "Batch":
        """The error rows, as a Batch (``.failed.to_pandas()``, ``len(b.failed)``)."""
        return Batch([r for r in self.rows if r["status"] != "ok"], call=self._call,
                     title=self.title + " (failed)")

    @property
    def cost_usd(self) -> float:
        return round(sum(float(r.get("cost_usd") or 0.0) for r in self.rows), 6)

    def retry(self, **overrides: Any) -> "Batch":
        """Run the failed videos again (same options unless overridden) and return the
        whole batch with their new rows in place."""
        bad = [r["path"] for r in self.rows if r["status"] != "ok"]
        if not bad:
            return self
        again = analyze_many(bad, **{**self._call, **overrides})
        new = {r["path"]: r for r in again.rows}
        return Batch([new.get(r["path"], r) if r["status"] != "ok" else r for r in self.rows],
                     call=self._call, title=self.title)

    def table(self) -> list[dict[str, Any]]:
        """Rows with the table's columns only (no thumbnails; moments as a count)."""
        return [{c: r.get(c) for c in COLUMNS} for r in self.rows]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per video (``pip install videonb[batch]``)."""
        try:
            import pandas as pd
        except ImportError:
            raise InvalidOptionError("to_pandas() needs pandas: pip install 'videonb[batch]'") \
                from None
        return pd.DataFrame(self.table(), columns=list(COLUMNS))

    def _flat(self) -> Any:
        df = self.to_pandas()
        df["cut_times"] = [";".join(f"{t:g}" for t in (v or [])) for v in df["cut_times"]]
        df["moments"] = [json.dumps(r.get("moments") or []) for r in self.rows]
        return df

    def to_csv(self, path: str | Path) -> Path:
        p = Path(path)
        self._flat().to_csv(p, index=False)
        return p

    def to_parquet(self, path: str | Path) -> Path:
        """Parquet (pyarrow); list columns are kept as text like in :meth:`to_csv`."""
        p = Path(path)
        try:
            self._flat().to_parquet(p, index=False)
        except ImportError:
            raise InvalidOptionError("to_parquet() needs pyarrow: pip install 'videonb[batch]'") \
                from None
        return p

    def _hrefs(self, base: Path | None) -> dict[str, str]:
        out = {}
        for r in self.rows:
            p = r["path"]
            if _is_url(p):
                out[str(r["key"])] = p
            elif base is not None:
                out[str(r["key"])] = os.path.relpath(os.path.abspath(p), base)
            else:
                try:
                    out[str(r["key"])] = os.path.relpath(os.path.abspath(p))
                except ValueError:
                    out[str(r["key"])] = Path(p).absolute().as_uri()
        return out

    def gallery(self, *, links: dict[str, str] | None = None) -> Any:
        """The static HTML gallery (one card and thumbnail strip per video; a click opens its
        report).  An object that renders in a notebook and has ``.html`` / ``.save()``."""
        from ..display.gallery import gallery_html

        return _Html(gallery_html(self.rows, title=self.title, links=links,
                                  video_hrefs=self._hrefs(None)), self.title)

    def _repr_html_(self) -> str:
        return self.gallery().html

    def save(self, out: str | Path) -> dict[str, Path]:
        """Write ``results.csv``, ``results.parquet`` (when pyarrow is installed),
        ``index.html`` (the gallery, linking) and ``reports/<key>.html`` into ``out``."""
        from ..display.gallery import gallery_page, video_report_page

        out = Path(out)
        (out / "reports").mkdir(parents=True, exist_ok=True)
        rep_dir = (out / "reports").resolve()
        hrefs = self._hrefs(rep_dir)
        links = {}
        for i, r in enumerate(self.rows):
            name = f"{r['key'] or f'row{i}'}.html"
            (out / "reports" / name).write_text(
                video_report_page(r, video_href=hrefs.get(str(r["key"]))), encoding="utf-8")
            links[str(r["key"])] = f"reports/{name}"
        written = {"gallery": out / "index.html", "csv": self.to_csv(out / "results.csv")}
        (out / "index.html").write_text(gallery_page(self.rows, title=self.title, links=links),
                                        encoding="utf-8")
        try:
            written["parquet"] = self.to_parquet(out / "results.parquet")
        except InvalidOptionError:
            pass
        return written

    def __repr__(self) -> str:
        bad = len(self.rows) - len(self.ok)
        cost = f", ${self.cost_usd:.4f}" if self.cost_usd else ""
        return f"<Batch: {len(self.rows)} video(s), {len(self.ok)} analysed, {bad} failed{cost}>"


class _Html:
    def __init__(self, html: str, title: str) -> None:
        self.html, self.title = html, title

    def _repr_html_(self) -> str:
        return self.html

    def save(self, path: str | Path) -> Path:
        from ..display.html import page

        p = Path(path)
        p.write_text(page(self.html, title=self.title), encoding="utf-8")
        return p


# --- estimate --------------------------------------------------------------------------------
def _input_price(prov: Any, provider: str, model: str) -> float | None:
    """USD per million input tokens: the model table's price note ("$0.30 per 1M input
    tokens"), else :data:`USD_PER_M_TOKENS`; None when neither says."""
    spec = (getattr(prov, "models", {}) or {}).get(model)
    m = re.search(r"\$([0-9]+(?:\.[0-9]+)?) per 1M input tokens", getattr(spec, "price_note", "")
                  or "")
    return float(m.group(1)) if m else USD_PER_M_TOKENS.get((provider, model))


def _estimate_one(provider: str, model: str, duration: float, prov: Any = None,
                  frames: int | None = None) -> float | None:
    """A ceiling for one hosted analysis, from the options that drive its tokens (the
    provider's ``fps``, ``frames``, ``detail`` and ``video_input``): None when unknown."""
    price = _input_price(prov, provider, model)
    if price is None or provider not in TOKENS_PER_SECOND:
        return None
    opts = dict(getattr(prov, "options", {}) or {})
    if provider == "gemini":
        fps = float(opts.get("fps") or 1.0)           # 258 tokens a frame + ~42 a second
        tokens = duration * (258.0 * fps + 42.0)
    else:
        if str(opts.get("video_input", "auto")) == "video":
            return None                                # the whole video: no price on record
        n = int(frames or opts.get("frames") or 16)
        # low detail: 85 tokens a frame; otherwise at most 6 tiles of videonb's 1024-px frames
        per = 85.0 if str(opts.get("detail", "low")) == "low" else 85.0 + 170.0 * 6
        tokens = n * per
    return round(1.5 * (tokens + 2000.0) * price / 1e6, 6)


def _analysis_model(prov: Any, model: str | None) -> str:
    """The model a hosted analysis uses: the one named, else the provider's default when it
    analyses, else its first model that does (OpenAI's default model generates video)."""
    if model:
        return model
    specs = getattr(prov, "models", {}) or {}
    default = prov.default_model
    if default in specs and "analyze" not in specs[default].operations:
        for mid, spec in specs.items():
            if "analyze" in spec.operations:
                return mid
    return default


def estimate_many(videos: Any, provider: str = "local", *, model: str | None = None
                  ) -> dict[str, Any]:
    """What a batch would cost before it runs: ``{"videos", "seconds", "usd", "unpriced",
    "per_video"}`` (``usd`` None when a video has no price on record)."""
    from .api import _split
    from .registry import get_provider

    sources = video_sources(videos)
    name, model = _split(provider, model)
    prov = get_provider(name)
    mid = _analysis_model(prov, model)
    per: list[float | None] = []
    seconds = 0.0
    for s in sources:
        d = _duration(s)
        seconds += d or 0.0
        per.append(0.0 if prov.local else (None if d is None else _estimate_one(name, mid, d,
                                                                                  prov)))
    unpriced = sum(1 for p in per if p is None)
    return {"videos": len(sources), "seconds": round(seconds, 3), "provider": name,
            "model": mid, "usd": None if unpriced else round(sum(p or 0.0 for p in per), 6),
            "unpriced": unpriced, "per_video": per}


def _duration(src: str) -> float | None:
    if _is_url(src):
        return None
    try:
        from ..media.probe import probe

        return float(probe(src).duration)
    except Exception:  # noqa: BLE001 - its task reports the error
        return None


# --- engines ---------------------------------------------------------------------------------
def _worker_init() -> None:
    # The batch's own process handles Ctrl-C / the kernel's Interrupt and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class _Run:
    sources: list[str]
    opts: _Options
    keys: list[str | None]
    rows: list[dict[str, Any] | None]
    progress: _Progress
    todo: list[int] = field(default_factory=list)
    #: Later inputs with the same content and options as ``todo[i]``: analysed (and, for a
    #: hosted provider, billed) once, the row copied to them.
    twins: dict[int, list[int]] = field(default_factory=dict)

    def finish(self, i: int, row: dict[str, Any]) -> None:
        key = self.keys[i]
        row["key"] = key
        row["path"] = self.sources[i]
        if row["status"] == "ok" and key:
            _write_json(_cache_path(key), row)
        self.rows[i] = row
        self.progress.add(row)
        for j in self.twins.get(i, ()):
            twin = dict(row, path=self.sources[j], name=_empty_row(self.sources[j])["name"],
                        cost_usd=0.0 if row.get("cost_usd") else row.get("cost_usd"))
            self.rows[j] = twin
            self.progress.add(twin)

    def task_args(self, i: int) -> tuple[Any, ...]:
        o = self.opts
        return (self.sources[i], o.provider, o.model, o.question, o.frames,
                dict(o.provider_options))


def _run_serial(run: _Run) -> None:
    for i in run.todo:
        run.finish(i, analyze_one(*run.task_args(i), in_worker=False))


@contextlib.contextmanager
def _workers_skip_main() -> Any:
    """Start pool workers without re-running the caller's script in them.

    Spawned workers normally import ``__main__`` again; a script without an
    ``if __name__ == "__main__":`` guard would then start the batch again inside each worker.
    The tasks need only videonb (``analyze_one`` is pickled by its module name), so the
    main module's file and spec are hidden while the workers start."""
    main = sys.modules.get("__main__")
    saved = {k: getattr(main, k) for k in ("__file__", "__spec__") if hasattr(main, k)}
    try:
        if "__file__" in saved:
            del main.__file__  # type: ignore[union-attr]
        if "__spec__" in saved:
            main.__spec__ = None  # type: ignore[union-attr]
        yield
    finally:
        for k, v in saved.items():
            setattr(main, k, v)


def _run_pool(run: _Run, workers: int) -> None:
    with _workers_skip_main():
        _run_pool_inner(run, workers)


def _run_pool_inner(run: _Run, workers: int) -> None:
    import concurrent.futures as cf
    import multiprocessing as mp

    # spawn, not fork: this process has threads (videonb's loop, a kernel's), which fork
    # would copy in whatever state they are in.
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                  initializer=_worker_init)
    futs: dict[Any, int] = {}
    retried: set[int] = set()
    try:
        for i in run.todo:
            futs[pool.submit(analyze_one, *run.task_args(i))] = i
        while futs:
            done, _ = cf.wait(list(futs), timeout=0.25, return_when=cf.FIRST_COMPLETED)
            run.progress.show()
            broken: list[int] = []
            for f in done:
                i = futs.pop(f)
                try:
                    run.finish(i, f.result())
                except cf.process.BrokenProcessPool:
                    broken.append(i)
            if broken:
                # A worker died (a decoder crash on some file): the pool is gone.  Each video
                # that was in it is tried once more, alone, in a fresh pool; one that kills
                # its worker again becomes an error row.
                pending = broken + [futs.pop(f) for f in list(futs)]
                pool.shutdown(wait=False, cancel_futures=True)
                for i in pending:
                    if i in retried:
                        row = _empty_row(run.sources[i])
                        _error_into(row, VideonbError(
                            "The worker process analysing this file died (a crash in the "
                            "decoder?); the file was tried twice. Check it with "
                            "videonb.probe(path)."))
                        run.finish(i, row)
                        continue
                    retried.add(i)
                    solo = cf.ProcessPoolExecutor(max_workers=1,
                                                  mp_context=mp.get_context("spawn"),
                                                  initializer=_worker_init)
                    try:
                        run.finish(i, solo.submit(analyze_one, *run.task_args(i)).result())
                    except cf.process.BrokenProcessPool:
                        row = _empty_row(run.sources[i])
                        _error_into(row, VideonbError(
                            "The worker process analysing this file died (a crash in the "
                            "decoder?). Check it with videonb.probe(path)."))
                        run.finish(i, row)
                    finally:
                        solo.shutdown(wait=True)
                pool = cf.ProcessPoolExecutor(max_workers=workers,
                                              mp_context=mp.get_context("spawn"),
                                              initializer=_worker_init)
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _stop_pool(pool: Any) -> None:
    """Cancel queued tasks and end the running workers now (an interrupt must not wait for
    the videos in progress)."""
    procs = list(getattr(pool, "_processes", {}).values())  # no public way on Python < 3.14
    thread = getattr(pool, "_executor_manager_thread", None)       # (shutdown drops these)
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.terminate()
        except Exception:  # noqa: BLE001
            pass
    for p in procs:
        try:
            p.join(timeout=10)
        except Exception:  # noqa: BLE001
            pass
    # A worker ended mid-send leaves the manager thread waiting for ever for the rest of its
    # message (and the interpreter's exit waits for that thread): closing our end of the
    # result pipe once the workers are gone turns the wait into an end of file.
    if thread is not None:
        thread.join(timeout=5)
        if thread.is_alive() and writer is not None:
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - private API; best effort
                pass
            thread.join(timeout=5)


def _run_dask(run: _Run, client: Any) -> None:
    try:
        from distributed import as_completed
    except ImportError:
        raise InvalidOptionError("client= needs dask.distributed: pip install 'videonb[batch]'") \
            from None
    import uuid

    futs = {}
    run_id = uuid.uuid4().hex[:8]  # Dask reuses a live future of the same key: one per run
    for i in run.todo:
        # pure=False: the cache is videonb's, keyed by content; Dask must not merge tasks.
        f = client.submit(analyze_one, *run.task_args(i), pure=False,
                          key=f"videonb-analyze-{run_id}-{i}-{(run.keys[i] or 'x')[:12]}")
        futs[f] = i
    ac = as_completed(list(futs), with_results=False)
    try:
        for f in ac:
            i = futs.pop(f)
            try:
                row = f.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker, a killed task
                row = _empty_row(run.sources[i])
                _error_into(row, VideonbError(
                    f"The Dask task for this file failed ({type(exc).__name__}: "
                    f"{redact(str(exc))[:300]}); the worker may have died. Batch.retry() runs "
                    f"it again."))
            run.finish(i, row)
    except BaseException:
        client.cancel(list(futs))
        raise


class _Gate:
    """Per-provider concurrency cap and rate-limit backoff for hosted tasks (one loop)."""

    def __init__(self, cap: int, base: float, tries: int) -> None:
        self.sem = asyncio.Semaphore(cap)
        self.base, self.tries = base, tries
        self.resume_at = 0.0
        self.delay = base

    async def wait_open(self) -> None:
        while True:
            pause = self.resume_at - time.monotonic()
            if pause <= 0:
                return
            await asyncio.sleep(pause)

    def limited(self) -> float:
        self.resume_at = max(self.resume_at, time.monotonic() + self.delay)
        d = self.delay
        self.delay = min(60.0, self.delay * 2)
        return d

    def fine(self) -> None:
        self.delay = self.base


async def _hosted(run: _Run, *, api_key: str | None, base_url: str | None, model: str,
                  budget: float | None, estimates: list[float | None], gate: _Gate,
                  events: list[dict[str, Any]]) -> None:
    from . import api
    from .ledger import ledger

    led = ledger()
    o = run.opts

    async def one(i: int) -> None:
        src = run.sources[i]
        row = _empty_row(src)
        t0 = time.perf_counter()
        request = json.dumps({"batch": True, "key": run.keys[i], **o.ident(), "model": model},
                             sort_keys=True, default=str)
        try:
            # Reserve this task's estimate before anything is sent: the ledger counts it with
            # every other unfinished job, across all concurrent tasks and kernels.
            claim = await asyncio.to_thread(
                led.claim, provider=o.provider, model=model, operation="analyze",
                request_json=request, cache_key=f"batch:{run.keys[i] or src}", prompt_hash=None,
                cost_estimate=estimates[i], budget=budget, use_cache=False,
                describe=f"Analysing {Path(src).name} with {o.provider}/{model}")
        except Exception as exc:  # noqa: BLE001 - over budget / unpriced: an error row
            _error_into(row, exc)
            events.append({"i": i, "row": row})
            return
        rec = claim.record
        sent = False
        try:
            await asyncio.to_thread(led.update, rec.id, status="running",
                                    submitted_at=time.time())
            attempt = 0
            while True:
                attempt += 1
                await gate.wait_open()
                async with gate.sem:
                    await gate.wait_open()
                    try:
                        sent = True
                        a = await api.analyze_async(
                            src, provider=o.provider, model=model, question=o.question,
                            frames=o.frames, api_key=api_key, base_url=base_url,
                            **dict(o.provider_options))
                        gate.fine()
                        break
                    except RateLimitError:
                        if attempt >= gate.tries:
                            raise
                        gate.limited()
            row_from_analysis(row, a)
            if row["cost_usd"] is None:
                row["cost_usd"] = estimates[i]
            await asyncio.to_thread(led.update, rec.id, status="succeeded", progress=1.0,
                                    cost=row["cost_usd"], finished_at=time.time())
        except asyncio.CancelledError:
            # A request that was on its way may still be billed: it keeps its estimate.
            await asyncio.shield(asyncio.to_thread(
                led.update, rec.id, status="cancelled", finished_at=time.time(),
                cost=estimates[i] if sent else None,
                error_message="batch interrupted" + (
                    " while its request was in flight (it may be billed)" if sent else "")))
            raise
        except Exception as exc:  # noqa: BLE001 - one failure is one row
            _error_into(row, exc)
            # A request that reached the provider may be billed even though it failed (a
            # model answer that was not JSON after the repair round, a timeout): it keeps its
            # estimate in the budget.  Only answers known to bill nothing count as free.
            billed = sent and not isinstance(exc, _UNBILLED)
            await asyncio.to_thread(led.update, rec.id, status="failed",
                                    finished_at=time.time(),
                                    cost=estimates[i] if billed else None,
                                    error_code=getattr(exc, "code", "error"),
                                    error_message=(row["error"][:440] + (
                                        " (it may be billed: its estimate is counted)"
                                        if billed else "")))
        finally:
            try:
                await asyncio.to_thread(led.release, rec.id)
            except Exception:  # noqa: BLE001
                pass
        row["seconds"] = round(time.perf_counter() - t0, 4)
        events.append({"i": i, "row": row})

    await asyncio.gather(*(one(i) for i in run.todo))


def _run_hosted(run: _Run, **kw: Any) -> None:
    from . import runtime

    events: list[dict[str, Any]] = []
    seen = 0

    def drain() -> None:
        nonlocal seen
        while seen < len(events):  # list.append is atomic; rows are finished here only
            ev = events[seen]
            seen += 1
            run.finish(ev["i"], ev["row"])
        run.progress.show()

    try:
        runtime.run_sync(_hosted(run, events=events, **kw), on_tick=drain, tick=0.2)
    finally:
        drain()


# --- the entry point -------------------------------------------------------------------------
def analyze_many(videos: Any, provider: str = "local", *, model: str | None = None,
                 question: str | None = None, frames: int | None = None,
                 client: Any = None, workers: int | None = None, resume: bool = True,
                 progress: Any = True, out: str | Path | None = None,
                 budget: float | None = None, concurrency: int = 4,
                 backoff: float = 2.0, max_tries: int = 6, api_key: str | None = None,
                 base_url: str | None = None, title: str | None = None,
                 **provider_options: Any) -> Batch:
    """Analyse many videos; return a :class:`Batch` (table, gallery, ``.failed``, ``.retry()``).

    ``videos``: a folder, a glob, a path or URL, or a list / table column of them.
    ``provider``: ``"local"`` (default, offline) or a hosted understanding provider.
    ``client``: a ``dask.distributed.Client`` runs the local tasks on that cluster;
    otherwise ``workers`` processes (default: every core; ``workers=1`` runs here, serially).
    ``resume``: serve videos already done (same file content and options) from the cache.
    ``progress``: True (a bar: widget in a notebook, text on stderr elsewhere), False, or a
    callable ``fn(row, counts)``.  ``out``: also write the table and the gallery there.
    Hosted only: ``budget`` (default ``videonb.config.budget_usd``), ``concurrency`` (most
    requests in flight for the provider), ``backoff``/``max_tries`` (rate-limit retries).
    The kernel's Interrupt stops the batch: :class:`BatchInterrupted` carries what finished.
    """
    from ..settings import config
    from .api import _split
    from .registry import get_provider

    sources = video_sources(videos)
    name, model = _split(provider, model)
    if provider_options.get("fps") is None:
        provider_options.pop("fps", None)
    prov = get_provider(name, api_key=api_key, base_url=base_url, **provider_options)
    hosted = not prov.local
    mid = _analysis_model(prov, model)
    opts = _Options(provider=name, model=model if not hosted else mid, question=question,
                    frames=frames, provider_options=tuple(sorted(provider_options.items())))
    call = {"provider": name, "model": model, "question": question, "frames": frames,
            "client": client, "workers": workers, "progress": progress, "budget": budget,
            "concurrency": concurrency, "backoff": backoff, "max_tries": max_tries,
            "api_key": api_key, "base_url": base_url, **provider_options}
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise InvalidOptionError(f"workers={workers!r}: give a whole number of processes, ≥ 1.")
    if hosted and prov.needs_key:
        prov.key()  # a missing key fails here, before anything is reserved or sent
    title = title or f"videonb.analyze_many ({name})"
    bar = _Progress(len(sources), progress, title)
    if len(sources) > 64:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(4) as ex:
            contents = list(ex.map(_content_id, sources))
    else:
        contents = [_content_id(s) for s in sources]
    keys = [None if c is None else _key(c, opts) for c in contents]
    run = _Run(sources, opts, keys, [None] * len(sources), bar)
    first: dict[str, int] = {}
    for i, k in enumerate(keys):
        hit = _cached_row(k) if (resume and k) else None
        if hit is not None:
            hit.update(cached=True, path=sources[i], name=_empty_row(sources[i])["name"])
            run.rows[i] = hit
            bar.add(hit)
        elif k is not None and k in first:
            run.twins.setdefault(first[k], []).append(i)
        else:
            if k is not None:
                first[k] = i
            run.todo.append(i)
    estimates: list[float | None] = [None] * len(sources)
    if hosted:
        budget = config.budget_usd if budget is None else budget
        for i in run.todo:
            d = _duration(sources[i])
            estimates[i] = None if d is None else _estimate_one(name, mid, d, prov,
                                                                  frames)
        known = [estimates[i] for i in run.todo if estimates[i] is not None]
        unknown = len(run.todo) - len(known)
        bar.note(f"{title}: {len(run.todo)} video(s) to send to {name}/{mid}, estimated "
                 f"${sum(known):.4f}" + (f" (+{unknown} without a price)" if unknown else "")
                 + (f"; budget ${budget:.2f}" if budget is not None else "; no budget set")
                 + (f"; {len(sources) - len(run.todo)} from cache" if len(run.todo) <
                    len(sources) else ""))
    bar.started()
    try:
        if not run.todo:
            pass
        elif hosted:
            _run_hosted(run, api_key=api_key, base_url=base_url, model=mid, budget=budget,
                        estimates=estimates, gate=_Gate(max(1, int(concurrency)), backoff,
                                                        max(1, int(max_tries))))
        elif client is not None:
            _run_dask(run, client)
        else:
            n = workers or os.cpu_count() or 1
            if n == 1 or len(run.todo) == 1:
                _run_serial(run)
            else:
                _run_pool(run, min(n, len(run.todo)))
    except KeyboardInterrupt:
        done = [r for r in run.rows if r is not None]
        bar.close(f"interrupted: {len(done)} of {len(sources)} done")
        raise BatchInterrupted(
            f"The batch was interrupted: {len(done)} of {len(sources)} video(s) finished and "
            f"are cached; run the same call again to resume (e.batch has the finished rows).",
            Batch(done, call=call, title=title)) from None
    bar.close("done")
    batch = Batch([r for r in run.rows if r is not None], call=call, title=title)
    if out is not None:
        batch.save(out)
    return batch

