"""Form panels (ipywidgets): :class:`GeneratePanel`, :class:`AnalyzePanel` and
:class:`ComparePanel`.  Jobs run on videonb's loop thread through the provider floor's public
functions (:func:`~videonb.providers.api.prepare`, :func:`~videonb.providers.api.run_prepared_async`,
:func:`~videonb.providers.api.analyze_async`); results reach the panel through widget traits only."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from ...errors import VideonbError
from ._base import W, _error_html, _esc, _StaticFallback
from .explorer import FrameGrid, Player, Timeline
from .jobview import _job_html

__all__ = ["GeneratePanel", "AnalyzePanel", "ComparePanel"]


_GEN_OPS = ("text_to_video", "image_to_video")


def _generation_targets(skipped: dict[str, str] | None = None,
                        provider_options: dict[str, dict[str, Any]] | None = None
                        ) -> dict[str, list[str]]:
    """provider → its current models that generate video (usable providers and models only);
    ``skipped`` collects "provider[/model]" → why it is not offered here.  Retired models are
    left out of the menus (``videonb.providers().retired`` lists them); whether a model is
    retired can depend on the server (``openai``'s Sora ids live on at compatible gateways),
    so each provider is asked with the panel's options for it."""
    from ...providers.registry import provider_classes

    out: dict[str, list[str]] = {}
    skipped = {} if skipped is None else skipped
    for name, cls in sorted(provider_classes().items(), key=lambda kv: (kv[0] != "local", kv[0])):
        if isinstance(cls, str):
            continue
        gen = [mid for mid, spec in cls.models.items() if set(spec.operations) & set(_GEN_OPS)]
        try:
            inst = cls(**(provider_options or {}).get(name, {}))
        except Exception:  # options meant for a call, not a constructor: ask plainly
            inst = cls()
        gen = [mid for mid in gen if not inst.retired(cls.models[mid])]
        ok, why = inst.available()
        if not ok:
            if gen:
                skipped[name] = why
            continue
        models = []
        for mid in gen:
            usable, reason = inst.model_status(mid)
            if usable:
                models.append(mid)
            else:
                skipped[f"{name}/{mid}"] = reason
        if models:
            default = cls.default_model if cls.default_model in models else models[0]
            out[name] = [default] + [m for m in models if m != default]
    return out


def _not_offered_html(skipped: dict[str, str]) -> str:
    """A folded note: the generation targets this machine cannot use, and why."""
    if not skipped:
        return ""
    items = "".join(f"<li><b>{_esc(t)}</b>: {_esc(why)}</li>" for t, why in sorted(skipped.items()))
    return (f'<details class="vnb-caption"><summary>{len(skipped)} model(s) not offered here'
            f"</summary><ul>{items}</ul></details>")


def _analysis_providers() -> list[str]:
    from ...providers.registry import provider_classes

    return [name for name, cls in sorted(provider_classes().items(),
                                         key=lambda kv: (kv[0] != "local", kv[0]))
            if not isinstance(cls, str) and cls().available()[0]
            and any("analyze" in s.operations for s in cls.models.values())]


class _Run:
    """The loop-side state of one generation (a fresh one per start: a cancel that arrives late
    can never hit the next generation).  Read and written on videonb's loop thread only."""

    __slots__ = ("job_id", "task", "cancel_requested")

    def __init__(self) -> None:
        self.job_id: str | None = None    # set by the runner's first update (status submitting)
        self.task: Any = None             # the loop-side task, once it runs
        self.cancel_requested = False


async def _cancel_run(run: _Run) -> None:
    """Carry out a Cancel click on the loop thread, where the job runner runs.

    Deciding here, not in the thread of the click, is what makes it safe: between steps of the
    loop, either the runner has not taken the job yet (no job id; its row is still ``created``)
    and cancelling the coroutine stops it before anything is sent, or it has (the id is known)
    and the job is cancelled through the ledger and at the provider — a submit already in flight
    included.  Deciding in the click's thread left a window where the click saw no job id, the
    runner then started the submit, and the cancel that followed only dropped the wait: the task
    kept running (and billing) at the provider while the panel said "cancelled"."""
    import asyncio

    from ...providers.api import cancel_async

    run.cancel_requested = True
    if run.job_id is not None:
        await cancel_async(run.job_id)
        return
    task = run.task
    if task is not None and not task.done() and task is not asyncio.current_task():
        task.cancel()


class _Runner:
    """Start a generation on the loop thread and report through callbacks run there."""

    def __init__(self) -> None:
        self.future: Any = None
        self.finished = False
        self._run = _Run()

    @property
    def job_id(self) -> str | None:
        """The ledger id of the job this generation drives, once the runner has taken it."""
        return self._run.job_id

    def start(self, prepared: Any, *, refresh: bool, on_update: Callable[[Any], None],
              on_done: Callable[[Any, BaseException | None], None]) -> None:
        from ...providers import runtime
        from ...providers.api import run_prepared_async

        self.finished = False
        run = self._run = _Run()

        def update(rec: Any) -> None:
            run.job_id = rec.id
            on_update(rec)

        async def main() -> Any:
            import asyncio

            run.task = asyncio.current_task()
            if run.cancel_requested:
                raise asyncio.CancelledError
            return await run_prepared_async(prepared, refresh=refresh, on_update=update)

        fut = runtime.submit(main())
        self.future = fut

        def done(f: Any) -> None:
            self.finished = True
            try:
                if f.cancelled():
                    from ...errors import JobCancelledError

                    on_done(None, JobCancelledError("Cancelled."))
                elif f.exception() is not None:
                    on_done(None, f.exception())
                else:
                    on_done(f.result(), None)
            except Exception as exc:  # noqa: BLE001 - showing the result failed: show that
                try:
                    on_done(None, exc)
                except Exception:  # noqa: BLE001 - nothing left to show it with
                    pass

        fut.add_done_callback(done)

    def cancel(self) -> None:
        """Cancel through the ledger and the provider (the job's own task then stops); decided
        on the loop thread (:func:`_cancel_run`), never from a job id read here."""
        from ...providers import runtime

        if self.future is None or self.finished:
            return
        runtime.submit(_cancel_run(self._run))

    @property
    def running(self) -> bool:
        return self.future is not None and not self.finished


def _prepare(prompt: str, provider: str, model: str | None, *, seconds: float | None,
             ratio: str | None, seed: int | None, image: str | None,
             options: dict[str, Any]) -> Any:
    from ...providers.api import prepare

    op = "image_to_video" if image else "text_to_video"
    opts = dict(options)
    api_key, base_url = opts.pop("api_key", None), opts.pop("base_url", None)
    return prepare(op, prompt, provider, model, seconds=seconds, ratio=ratio, seed=seed,
                   style=None, inputs={"image": image or None}, options={}, api_key=api_key,
                   base_url=base_url, provider_options=opts)


def _estimate_text(prov: Any, req: Any) -> str:
    from ...display.progress import estimate_text
    from ...providers.emulation import emulated

    if prov.local:
        return "free (rendered locally, no network)"
    return (estimate_text(prov.model(req.model), req.seconds, emulated=emulated(prov.endpoint))
            or "no price on record for this model: the budget cannot guard it")


def _key_problem(prov: Any) -> str | None:
    if not prov.needs_key:
        return None
    from ...errors import MissingKeyError

    try:
        prov.key(prompt=False)
    except MissingKeyError as exc:
        return str(exc)
    return None


class GeneratePanel(_StaticFallback, W.VBox):
    """Prompt, provider/model menus from the capability table, duration and ratio checked as you
    type, a cost estimate, Generate/Cancel, live progress and the result's player.

    ``provider_options={"runway": {"base_url": ..., "poll_interval": ...}}`` passes options to a
    provider (e.g. an emulator or a gateway).  Keys come from the environment / ``.env``, never
    from the panel.  ``panel.result`` is the last generated :class:`~videonb.Video`.
    """

    _static_changes = True

    def __init__(self, prompt: str = "", *, provider: str | None = None, model: str | None = None,
                 seconds: float | None = None, ratio: str | None = None,
                 provider_options: dict[str, dict[str, Any]] | None = None) -> None:
        from ...settings import config

        self.unavailable: dict[str, str] = {}
        self.provider_options = dict(provider_options or {})
        self.targets = _generation_targets(self.unavailable, self.provider_options)
        self.result: Any = None
        self.error: BaseException | None = None
        self._runner = _Runner()
        self._started = 0.0
        self._prepared: Any = None
        first = provider or config.default_provider
        if "/" in first:
            first, model = first.split("/", 1)
        if first not in self.targets:
            if provider is not None:
                from ...errors import InvalidOptionError

                why = self.unavailable.get(f"{first}/{model}") or self.unavailable.get(first)
                raise InvalidOptionError(f"GeneratePanel: {provider!r} cannot generate video "
                                         f"here{f' ({why})' if why else ''}. Usable: "
                                         f"{', '.join(self.targets)}.")
            first = next(iter(self.targets))
        if model is not None and model not in self.targets[first]:
            from ...errors import InvalidOptionError
            from ...providers.registry import get_provider

            prov = get_provider(first, **self.provider_options.get(first, {}))
            prov.check_retired(prov.model(model))  # a retired id: name its replacement
            why = self.unavailable.get(f"{first}/{model}")
            raise InvalidOptionError(f"GeneratePanel: {first} has no video model {model!r}"
                                     f"{f' usable here ({why})' if why else ''}. "
                                     f"Models: {', '.join(self.targets[first])}.")
        self.prompt = W.Textarea(value=prompt, placeholder="Describe the video…",
                                 layout=W.Layout(width="100%", height="70px"))
        self.provider = W.Dropdown(options=list(self.targets), value=first, description="provider")
        self.model = W.Dropdown(options=self.targets[first], description="model")
        self.seconds = W.Dropdown(description="seconds")
        self.ratio = W.Dropdown(description="ratio")
        self.seed = W.Text(value="", placeholder="random", description="seed")
        self.image = W.Text(value="", placeholder="optional first-frame image path",
                            description="image")
        self.estimate = W.HTML()
        self.message = W.HTML()
        self.not_offered = W.HTML(_not_offered_html(self.unavailable))
        self.generate_button = W.Button(description="Generate", button_style="primary", icon="play")
        self.cancel_button = W.Button(description="Cancel", icon="stop", disabled=True)
        self.progress = W.HTML()
        self.result_box = W.VBox()
        for w, cls in [(self.prompt, "vnbw-prompt"), (self.provider, "vnbw-provider"),
                       (self.model, "vnbw-model"), (self.seconds, "vnbw-seconds"),
                       (self.ratio, "vnbw-ratio"), (self.estimate, "vnbw-estimate"),
                       (self.message, "vnbw-message"), (self.generate_button, "vnbw-generate"),
                       (self.cancel_button, "vnbw-cancel"), (self.progress, "vnbw-progress"),
                       (self.result_box, "vnbw-result")]:
            w.add_class(cls)
        self.not_offered.add_class("vnbw-not-offered")
        super().__init__(children=[
            self.prompt, W.HBox([self.provider, self.model]), self.not_offered,
            W.HBox([self.seconds, self.ratio]), W.HBox([self.seed, self.image]),
            self.estimate, self.message, W.HBox([self.generate_button, self.cancel_button]),
            self.progress, self.result_box])
        self.add_class("vnbw-generate-panel")
        self._fill_model_controls(seconds=seconds, ratio=ratio)
        if model is not None:
            self.model.value = model
        self.provider.observe(self._on_provider, names="value")
        self.model.observe(lambda _ch: self._fill_model_controls(), names="value")
        for w in (self.prompt, self.seconds, self.ratio, self.seed, self.image):
            w.observe(lambda _ch: self.validate(), names="value")
        self.generate_button.on_click(lambda _b: self.generate())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.validate()

    # --- controls --------------------------------------------------------------------------
    def _spec(self) -> Any:
        from ...providers.registry import provider_classes

        cls = provider_classes()[self.provider.value]
        return cls.models[self.model.value or cls.default_model]

    def _on_provider(self, change: Any) -> None:
        self.model.options = self.targets[change["new"]]
        self.model.value = self.targets[change["new"]][0]
        self._fill_model_controls()

    def _fill_model_controls(self, *, seconds: float | None = None, ratio: str | None = None) -> None:
        spec = self._spec()
        if spec.durations and spec.duration_range:
            lo, hi = spec.durations[0], spec.durations[1]
            values = [float(v) for v in range(int(lo), int(hi) + 1)] or [lo]
        elif spec.durations:
            values = [float(d) for d in spec.durations]
        else:
            values = [2.0, 3.0, 4.0, 5.0, 6.0, 8.0]
        default = seconds if seconds is not None else (spec.default_duration or values[0])
        if default not in values:
            values = sorted({*values, float(default)})
        with self.hold_trait_notifications():
            self.seconds.options = [(f"{v:g} s", v) for v in values]
            self.seconds.value = float(default)
            ratios = list(spec.ratios) or ["16:9", "9:16", "1:1"]
            self.ratio.options = ratios
            pick = ratio if ratio in ratios else (spec.default_ratio if spec.default_ratio in ratios
                                                  else ratios[0])
            self.ratio.value = pick
            self.image.disabled = not spec.image_input
        self.validate()

    def _options(self) -> dict[str, Any]:
        return dict(self.provider_options.get(self.provider.value, {}))

    def validate(self) -> bool:
        """Check the form against the model's limits (no network); show the estimate or the fix."""
        from ...display.html import esc

        self._prepared = None
        seed: int | None = None
        try:
            if self.seed.value.strip():
                try:
                    seed = int(self.seed.value.strip())
                except ValueError:
                    raise VideonbError(f"seed must be a whole number, not {self.seed.value!r}.") from None
            if not self.prompt.value.strip() and not self.image.value.strip():
                raise VideonbError("Write a prompt: what should the video show? (The model "
                                   "needs a prompt unless you give a first-frame image.)")
            prepared = _prepare(self.prompt.value.replace("\r", "").strip(), self.provider.value,
                                self.model.value, seconds=self.seconds.value, ratio=self.ratio.value,
                                seed=seed, image=self.image.value.strip() or None,
                                options=self._options())
            problem = _key_problem(prepared[0])
            if problem:
                raise VideonbError(problem)
        except VideonbError as exc:
            self.message.value = f'<span class="vnb-note">✗ {esc(str(exc))}</span>'
            self.estimate.value = ""
            self.generate_button.disabled = True
            return False
        self._prepared = prepared
        self.estimate.value = f"<span>{esc(_estimate_text(*prepared))}</span>"
        self.message.value = '<span style="color:#27ae60">✓ ready</span>'
        self.generate_button.disabled = self._runner.running
        return True

    # --- actions -----------------------------------------------------------------------------
    def generate(self, *, refresh: bool = False) -> None:
        """Start the generation (what the Generate button does); returns at once."""
        if self._runner.running or not self.validate():
            return
        self._started = time.time()
        self.error = None
        self.generate_button.disabled = True
        self.cancel_button.disabled = False
        prov, req = self._prepared
        self.progress.value = (f'<div class="vnb-caption" data-status="starting">{_esc(prov.name)}/'
                               f"{_esc(req.model)}: starting…</div>")
        self._runner.start(self._prepared, refresh=refresh, on_update=self._on_update,
                           on_done=self._on_done)

    def cancel(self) -> None:
        """Cancel the running job (what the Cancel button does)."""
        self.cancel_button.disabled = True
        self._runner.cancel()

    def _on_update(self, rec: Any) -> None:  # loop thread: traits only
        self.progress.value = _job_html(rec, self._started)

    def _on_done(self, video: Any, exc: BaseException | None) -> None:  # loop thread: traits only
        self.cancel_button.disabled = True
        self.generate_button.disabled = False
        if exc is not None:
            self.error = exc
            self.progress.value = _error_html(exc)
            return
        from ...display.html import provenance_line

        self.result = video
        prov = getattr(video, "provenance", None) or {}
        done = ("cached result (not billed again)" if prov.get("cached")
                else f"done in {time.time() - self._started:.1f} s")
        if prov:
            done += " · " + provenance_line(prov)
        self.progress.value = f'<div class="vnb-caption" data-status="succeeded">{_esc(done)}</div>'
        self.result_box.children = [Player(video)]

    def _build_static(self) -> str:
        from ...display.html import player_html

        head = '<div class="vnb-caption">videonb GeneratePanel (interactive: run the notebook)</div>'
        return head + (player_html(self.result) if self.result is not None else "")

    def __repr__(self) -> str:
        return "<videonb.widgets.GeneratePanel>"


class AnalyzePanel(_StaticFallback, W.VBox):
    """Pick or upload a video, ask a question, get the summary, answer, player, timeline and grid.

    Uploads are written next to the notebook (``uploads/``) so the player can stream them
    from ``/files/``.  ``panel.analysis`` is the last :class:`~videonb.Analysis`.
    """

    _static_changes = True

    def __init__(self, video: Any = None, *, question: str = "", provider: str = "local",
                 provider_options: dict[str, dict[str, Any]] | None = None,
                 upload_dir: str | Path = "uploads") -> None:
        self.provider_options = dict(provider_options or {})
        self.upload_dir = Path(upload_dir)
        self.analysis: Any = None
        self.error: BaseException | None = None
        self._future: Any = None
        found = sorted(str(p) for ext in ("mp4", "webm", "mov", "mkv", "m4v")
                       for p in Path.cwd().glob(f"*.{ext}"))
        self.video = W.Combobox(value=str(getattr(video, "path", video) or ""), options=found,
                                placeholder="path to a video", description="video",
                                ensure_option=False, layout=W.Layout(width="60%"))
        self.upload = W.FileUpload(accept="video/*", multiple=False, description="Upload")
        self.question = W.Textarea(value=question, placeholder="Optional question about the video",
                                   layout=W.Layout(width="100%", height="50px"))
        providers = _analysis_providers()
        self.provider = W.Dropdown(options=providers,
                                   value=provider if provider in providers else providers[0],
                                   description="provider")
        self.frames = W.IntSlider(value=16, min=4, max=64, step=4, description="frames")
        self.analyze_button = W.Button(description="Analyze", button_style="primary", icon="search")
        self.status = W.HTML()
        self.result_box = W.VBox()
        for w, cls in [(self.video, "vnbw-video"), (self.question, "vnbw-question"),
                       (self.analyze_button, "vnbw-analyze"), (self.status, "vnbw-status"),
                       (self.result_box, "vnbw-result")]:
            w.add_class(cls)
        super().__init__(children=[W.HBox([self.video, self.upload]), self.question,
                                   W.HBox([self.provider, self.frames]), self.analyze_button,
                                   self.status, self.result_box])
        self.upload.observe(self._on_upload, names="value")
        self.analyze_button.on_click(lambda _b: self.run())

    def _on_upload(self, change: Any) -> None:
        files = change["new"]
        if not files:
            return
        f = files[0]
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        target = self.upload_dir / Path(f["name"]).name
        target.write_bytes(bytes(f["content"]))
        self.video.value = str(target)
        self.status.value = f'<span class="vnb-caption">saved {_esc(target)}</span>'

    def run(self) -> None:
        """Start the analysis (what the Analyze button does); returns at once."""
        from ...display.html import esc
        from ...providers import runtime
        from ...providers.api import analyze_async

        if self._future is not None and not self._future.done():
            return
        path = self.video.value.strip()
        if not path:
            self.status.value = '<span class="vnb-note">Choose a video (a path, or Upload).</span>'
            return
        from ...media.video import as_video
        from ...providers.registry import get_provider

        opts = dict(self.provider_options.get(self.provider.value, {}))
        try:
            # Here, in the cell's thread: a missing key is reported (never prompted for from the
            # loop thread) and a URL is downloaded with its progress shown where it belongs.
            problem = _key_problem(get_provider(self.provider.value, **opts))
            if problem:
                raise VideonbError(problem)
            video = as_video(path)
        except VideonbError as exc:
            self.error = exc
            self.status.value = _error_html(exc, "span")
            return
        self.analyze_button.disabled = True
        self.status.value = f'<span class="vnb-caption">analysing {esc(path)} with {esc(self.provider.value)}…</span>'
        started = time.time()
        fut = runtime.submit(analyze_async(video, provider=self.provider.value,
                                           question=self.question.value.strip() or None,
                                           frames=self.frames.value, **opts))
        self._future = fut

        def done(f: Any) -> None:  # loop thread: traits only
            try:
                show(f)
            except Exception as exc:  # noqa: BLE001 - a failure to show is shown, not lost
                self.error = exc
                self.status.value = _error_html(exc, "span")
            finally:
                self.analyze_button.disabled = False

        def show(f: Any) -> None:
            exc = f.exception() if not f.cancelled() else None
            if f.cancelled() or exc is not None:
                self.error = exc
                self.status.value = _error_html(exc, "span") if exc else "cancelled"
                return
            a = f.result()
            self.analysis = a
            parts = []
            if a.answer:
                parts.append(f"<b>Answer</b>: {esc(a.answer)}")
            if a.summary:
                parts.append(f"<b>Summary</b>: {esc(a.summary)}")
            children: list[Any] = [W.HTML("<br>".join(parts))]
            if a.video is not None:
                player = Player(a.video)
                children += [player, Timeline(a, player=player)]
                if a.frames is not None:
                    children.append(FrameGrid(a.frames, player=player))
            self.result_box.children = children
            self.status.value = (f'<span class="vnb-caption">done in {time.time() - started:.1f} s'
                                 f' · {esc(a.provider)}</span>')

        fut.add_done_callback(done)

    def _build_static(self) -> str:
        from ...display.analysis import analysis_html

        head = '<div class="vnb-caption">videonb AnalyzePanel (interactive: run the notebook)</div>'
        return head + (analysis_html(self.analysis) if self.analysis is not None else "")

    def __repr__(self) -> str:
        return "<videonb.widgets.AnalyzePanel>"


class ComparePanel(_StaticFallback, W.VBox):
    """One prompt, several provider/models side by side: each cell shows its status, estimated
    cost, wall time and player.  ``panel.results`` maps ``"provider/model"`` to a Video or the
    error."""

    _static_changes = True

    def __init__(self, prompt: str = "", *, targets: list[str] | None = None,
                 seconds: float | None = None,
                 provider_options: dict[str, dict[str, Any]] | None = None) -> None:
        self.provider_options = dict(provider_options or {})
        self.results: dict[str, Any] = {}
        self._runners: dict[str, _Runner] = {}
        gen = _generation_targets(provider_options=self.provider_options)
        all_targets = [f"{p}/{m}" for p, models in gen.items() for m in models]
        chosen = []
        for t in targets or all_targets[:2]:
            t = t if "/" in t or t not in gen else f"{t}/{gen[t][0]}"
            if t not in all_targets:
                from ...errors import InvalidOptionError

                raise InvalidOptionError(f"ComparePanel: {t!r} is not a video generation target "
                                         f"here. Choose from: {', '.join(all_targets)}.")
            chosen.append(t)
        self.prompt = W.Textarea(value=prompt, placeholder="One prompt for every provider",
                                 layout=W.Layout(width="100%", height="60px"))
        self.targets = W.SelectMultiple(options=all_targets, value=chosen, description="targets",
                                        rows=min(6, len(all_targets)))
        self.seconds = W.Text(value="" if seconds is None else f"{seconds:g}",
                              placeholder="each model's default", description="seconds")
        self.run_button = W.Button(description="Run all", button_style="primary", icon="play")
        self.cancel_button = W.Button(description="Cancel all", icon="stop", disabled=True)
        self.summary = W.HTML()
        self.grid = W.GridBox(layout=W.Layout(grid_template_columns="repeat(2, minmax(0, 1fr))",
                                              grid_gap="8px"))
        for w, cls in [(self.run_button, "vnbw-run"), (self.summary, "vnbw-summary"),
                       (self.grid, "vnbw-compare-grid")]:
            w.add_class(cls)
        super().__init__(children=[self.prompt, W.HBox([self.targets, self.seconds]),
                                   W.HBox([self.run_button, self.cancel_button]), self.summary,
                                   self.grid])
        self.run_button.on_click(lambda _b: self.run())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self._cells: dict[str, tuple[W.HTML, W.VBox]] = {}

    def run(self) -> None:
        """Validate every target, show the total estimate, then start all jobs concurrently."""
        from ...display.html import esc

        if any(r.running for r in list(self._runners.values())):
            return
        prompt = self.prompt.value.replace("\r", "").strip()
        secs_text = self.seconds.value.strip()
        try:
            seconds = float(secs_text) if secs_text else None
        except ValueError:
            self.summary.value = f'<span class="vnb-note">seconds must be a number, not {esc(secs_text)!s}.</span>'
            return
        cells, prepared = [], {}
        total = 0.0
        self.results = {}
        self._cells = {}
        for target in self.targets.value:
            prov_name, model = target.split("/", 1)
            status, box = W.HTML(), W.VBox()
            status.add_class("vnbw-cell-status")
            cell = W.VBox([W.HTML(f"<b>{esc(target)}</b>"), status, box])
            cell.add_class("vnbw-cell")
            cells.append(cell)
            self._cells[target] = (status, box)
            try:
                p = _prepare(prompt, prov_name, model, seconds=seconds, ratio=None, seed=None,
                             image=None, options=self.provider_options.get(prov_name, {}))
                problem = _key_problem(p[0])
                if problem:
                    raise VideonbError(problem)
            except VideonbError as exc:
                self.results[target] = exc
                status.value = f'<span class="vnb-note">✗ {esc(str(exc))}</span>'
                continue
            prepared[target] = p
            est = p[0].model(p[1].model).estimate(p[1].seconds) or 0.0
            total += est
            status.value = f'<span class="vnb-caption">{esc(_estimate_text(*p))} · queued</span>'
        self.grid.children = cells
        self.summary.value = (f'<span class="vnb-caption">{len(prepared)} job(s) · estimated total '
                              f"${total:.2f}</span>")
        if not prepared:
            return
        self.cancel_button.disabled = False
        self.run_button.disabled = True
        # Every runner exists before any starts: a fast (cached) one finishing first must not
        # re-enable Run while the others have yet to begin.
        self._runners = {target: _Runner() for target in prepared}
        for target, p in prepared.items():
            self._start(target, p)

    def _start(self, target: str, prepared: Any) -> None:
        from ...display.html import esc, money_text

        status, box = self._cells[target]
        started = time.time()
        est_text = _estimate_text(*prepared)
        runner = self._runners[target]

        def on_update(rec: Any) -> None:
            status.value = _job_html(rec, started)

        def on_done(video: Any, exc: BaseException | None) -> None:
            took = time.time() - started
            try:
                if exc is not None:
                    self.results[target] = exc
                    status.value = _error_html(exc, "span")
                else:
                    self.results[target] = video
                    prov = getattr(video, "provenance", None) or {}
                    cost = prov.get("cost_usd")
                    money = "cached, not billed again" if prov.get("cached") else (
                        money_text(cost, emulated=bool(prov.get("emulated"))) if cost
                        else est_text)
                    status.value = (f'<span class="vnb-caption" data-status="succeeded">{took:.1f} s'
                                    f" · {esc(money)}</span>")
                    box.children = [Player(video, width=320)]
            finally:
                if not any(r.running for r in list(self._runners.values())):
                    self.run_button.disabled = False
                    self.cancel_button.disabled = True

        runner.start(prepared, refresh=False, on_update=on_update, on_done=on_done)

    def cancel(self) -> None:
        for r in list(self._runners.values()):
            r.cancel()

    def _build_static(self) -> str:
        from ...display.html import esc, player_html

        parts = ['<div class="vnb-caption">videonb ComparePanel (interactive: run the notebook)</div>']
        for target, res in self.results.items():
            parts.append(f"<h4>{esc(target)}</h4>")
            parts.append(player_html(res, width=320) if hasattr(res, "info")
                         else f'<div class="vnb-note">{esc(str(res))}</div>')
        return "".join(parts)

    def __repr__(self) -> str:
        return "<videonb.widgets.ComparePanel>"
