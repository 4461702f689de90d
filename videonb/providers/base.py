"""Provider interface, capabilities as data, and request validation.

A provider is a class with a ``name``, the env var names of its key, the Python
modules it needs, and a ``models`` table of :class:`ModelSpec` — durations,
ratios, prompt limits, inputs and price per second — which is checked
*before* any network call or any money is spent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from ..errors import InvalidOptionError

__all__ = ["Operation", "ModelSpec", "Request", "PollResult", "Provider", "Analysis",
           "render_details", "RENDER_TAG"]

#: What a model can do.
Operation = Literal["text_to_video", "image_to_video", "video_to_video", "extend", "edit",
                    "stylize", "analyze"]


@dataclass(frozen=True)
class ModelSpec:
    """One model's capabilities, limits and price (all plain data)."""

    id: str
    operations: tuple[str, ...]
    #: Allowed durations in seconds: a tuple of values, or (min, max) with ``duration_range=True``.
    durations: tuple[float, ...] = ()
    duration_range: bool = False
    default_duration: float | None = None
    #: Allowed ratio/size strings exactly as the provider spells them ("1280:720", "720x1280").
    ratios: tuple[str, ...] = ()
    default_ratio: str | None = None
    max_prompt_chars: int | None = None
    prompt_required: bool = True
    image_input: bool = False
    #: USD per second of output video (None: free or not billed per second).
    price_per_second: float | None = None
    #: USD per call for understanding models (rough, token-based pricing summarised).
    price_note: str = ""
    price_source: str = ""
    notes: str = ""

    def describe_durations(self) -> str:
        if not self.durations:
            return "any"
        if self.duration_range:
            return f"{self.durations[0]:g}–{self.durations[1]:g} s"
        return ", ".join(f"{d:g}" for d in self.durations) + " s"

    def estimate(self, seconds: float | None) -> float | None:
        if self.price_per_second is None:
            return None
        s = seconds if seconds is not None else (self.default_duration or 0)
        return round(self.price_per_second * s, 4)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Request:
    """A normalised generation/edit request (what gets validated, hashed and stored)."""

    operation: str
    provider: str
    model: str
    prompt: str = ""
    seconds: float | None = None
    ratio: str | None = None
    seed: int | None = None
    style: str | None = None
    #: Input media by content hash (path kept separately, never part of the cache key).
    inputs: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    input_paths: dict[str, str] = field(default_factory=dict)
    #: The server the job was sent to (not part of the cache key's request fields: the key takes
    #: it separately); resume() and cancel() use it for a job started in an earlier session.
    endpoint: str | None = None

    def cache_key(self, endpoint: str | None = None) -> str:
        """Hash of everything that determines the output (provider, model, params, input hashes,
        and the server: a result from an emulator or a gateway never answers for another)."""
        payload = {"endpoint": endpoint, "op": self.operation, "provider": self.provider,
                   "model": self.model,
                   "prompt": " ".join(self.prompt.split()),
                   "seconds": None if self.seconds is None else float(self.seconds),
                   "ratio": self.ratio, "seed": self.seed, "style": self.style,
                   "inputs": dict(sorted(self.inputs.items())),
                   "options": json.loads(json.dumps(self.options, sort_keys=True, default=str))}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    @property
    def prompt_hash(self) -> str:
        return hashlib.sha256(self.prompt.encode()).hexdigest()[:16]

    def to_json(self) -> str:
        d = asdict(self)
        return json.dumps(d, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> "Request":
        """A request read back from the ledger, every field checked for its type (ValueError
        otherwise): a ledger may come from anywhere, and a path that is an int is a file
        descriptor to ``open()``."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the recorded request is not an object")
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)[:5]}")

        def text_or_none(v: Any) -> bool:
            return v is None or isinstance(v, str)

        def number_or_none(v: Any) -> bool:
            return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))

        def str_map(v: Any) -> bool:
            return isinstance(v, dict) and all(isinstance(k, str) and isinstance(x, str)
                                               for k, x in v.items())

        rules = {"operation": lambda v: isinstance(v, str), "provider": lambda v: isinstance(v, str),
                 "model": lambda v: isinstance(v, str), "prompt": lambda v: isinstance(v, str),
                 "seconds": number_or_none, "ratio": text_or_none,
                 "seed": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
                 "style": text_or_none, "inputs": str_map, "input_paths": str_map,
                 "options": lambda v: isinstance(v, dict), "endpoint": text_or_none}
        for name, ok in rules.items():
            if name in data and not ok(data[name]):
                raise ValueError(f"the recorded {name} has the wrong type")
        for name in ("operation", "provider", "model"):
            if name not in data:
                raise ValueError(f"the recorded request has no {name}")
        return cls(**data)


@dataclass
class PollResult:
    """One look at a remote job."""

    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: float | None = None
    output_url: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    retry_after: float | None = None
    raw_status: str | None = None


@dataclass
class Analysis:
    """What an understanding provider (or the local analyser) says about a video."""

    summary: str
    moments: list[Any]
    answer: str | None = None
    provider: str = "local"
    model: str = ""
    video: Any = None
    frames: Any = None
    shots: list[Any] = field(default_factory=list)
    cost_usd: float | None = None
    raw: Any = None

    def _repr_html_(self) -> str:
        from ..display.analysis import analysis_html

        return analysis_html(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self._repr_html_(), "text/plain": repr(self)}

    @property
    def html(self) -> str:
        return self._repr_html_()

    def __repr__(self) -> str:
        ans = f", answer={self.answer[:60]!r}" if self.answer else ""
        return (f"<Analysis by {self.provider}{'/' + self.model if self.model else ''}: "
                f"{len(self.moments)} moments{ans}>")


class Provider:
    """Base class of every provider. Subclasses fill the class attributes and override the
    coroutines they support; registration is through the ``videonb.providers`` entry point group."""

    name: ClassVar[str] = ""
    display_name: ClassVar[str] = ""
    #: Official SDK environment variable names for the key (empty: no key needed).
    key_env: ClassVar[tuple[str, ...]] = ()
    #: Python modules needed (checked without importing them).
    requires: ClassVar[tuple[str, ...]] = ()
    install_hint: ClassVar[str] = ""
    models: ClassVar[dict[str, ModelSpec]] = {}
    default_model: ClassVar[str] = ""
    #: True when outputs are rendered locally (no network, no cost).
    local: ClassVar[bool] = False
    #: True when :meth:`render` takes a ``progress`` callable (local renderers that can report
    #: how far they are, e.g. per denoising step, and stop between steps).
    reports_progress: ClassVar[bool] = False
    description: ClassVar[str] = ""

    def __init__(self, *, api_key: str | None = None, base_url: str | None = None,
                 **options: Any) -> None:
        from .._redact import conceal

        self._explicit_key = conceal(api_key)  # its repr never shows it (verbose tracebacks)
        self.base_url = base_url
        self.options = options

    # --- keys -------------------------------------------------------------------
    @property
    def needs_key(self) -> bool:
        return bool(self.key_env)

    def key(self, *, prompt: bool = True) -> str | None:
        if not self.key_env:
            return None
        from .keys import resolve_key

        return resolve_key(self.name, self.key_env, self._explicit_key, prompt=prompt).value

    @property
    def endpoint(self) -> str | None:
        """The server this instance talks to (None for local renderers)."""
        return None if self.local else getattr(self, "url", self.base_url)

    # --- models -----------------------------------------------------------------
    def model(self, model: str | None) -> ModelSpec:
        mid = model or self.default_model
        spec = self.models.get(mid)
        if spec is None:
            known = ", ".join(sorted(self.models)) or "(none)"
            raise InvalidOptionError(
                f"'{self.name}' has no model '{mid}'. Models: {known}. Run videonb.providers() "
                f"for the full table.")
        return spec

    def validate(self, req: Request) -> ModelSpec:
        """Check ``req`` against the model's limits; raise InvalidOptionError naming allowed values."""
        spec = self.model(req.model)
        if req.operation not in spec.operations:
            can = ", ".join(spec.operations)
            raise InvalidOptionError(
                f"{self.name}/{spec.id} cannot do {req.operation}; it does: {can}.")
        if spec.prompt_required and not req.prompt.strip() and req.operation != "stylize":
            raise InvalidOptionError(f"{self.name}/{spec.id} needs a prompt (the cell body or "
                                     f"prompt=...).")
        if spec.max_prompt_chars is not None and len(req.prompt) > spec.max_prompt_chars:
            raise InvalidOptionError(
                f"The prompt is {len(req.prompt)} characters; {self.name}/{spec.id} allows at most "
                f"{spec.max_prompt_chars}. Shorten it.")
        if req.seconds is not None and spec.durations:
            ok = (spec.durations[0] <= req.seconds <= spec.durations[1]) if spec.duration_range \
                else any(abs(req.seconds - d) < 1e-6 for d in spec.durations)
            if not ok:
                raise InvalidOptionError(
                    f"seconds={req.seconds:g} is not allowed for {self.name}/{spec.id}; allowed: "
                    f"{spec.describe_durations()}.")
        if req.ratio is not None and spec.ratios and req.ratio not in spec.ratios:
            raise InvalidOptionError(
                f"ratio={req.ratio!r} is not allowed for {self.name}/{spec.id}; allowed: "
                f"{', '.join(spec.ratios)}.")
        if "image" in req.inputs and not spec.image_input:
            raise InvalidOptionError(f"{self.name}/{spec.id} does not take an image input.")
        return spec

    def available(self) -> tuple[bool, str]:
        """(usable, reason): whether the optional dependencies are importable."""
        import importlib.util

        for mod in self.requires:
            if importlib.util.find_spec(mod) is None:
                return False, f"needs {mod}: {self.install_hint or 'pip install ' + mod}"
        return True, ""

    def model_status(self, model_id: str) -> tuple[bool, str]:
        """(usable here, why not): whether this machine can run ``model_id`` at all (e.g. a
        local model that needs a GPU).  Menus offer only usable models and show the reason."""
        return True, ""

    def retryable_failure(self, code: str | None) -> bool:
        """True when a job that failed with ``code`` should be resubmitted automatically."""
        return False

    # --- operations (override) -----------------------------------------------------
    async def submit(self, req: Request) -> str:
        """Start a remote job; return the provider's job id."""
        raise NotImplementedError(f"{self.name} does not generate video")

    async def poll(self, remote_id: str) -> PollResult:
        raise NotImplementedError

    async def cancel(self, remote_id: str) -> None:
        raise NotImplementedError

    async def download(self, url: str, dest: Path) -> Path:
        raise NotImplementedError

    async def render(self, req: Request, dest: Path) -> Path:
        """Local providers: produce the output file directly.

        A provider with ``reports_progress = True`` is called as ``render(req, dest,
        progress=fn)``: ``fn(fraction)`` (called on the event loop's thread) records progress
        in the job and returns False once the job was cancelled, when the renderer should stop.
        Cancelling the task that awaits ``render`` must leave no file at ``dest``."""
        raise NotImplementedError

    async def analyze(self, video: Any, *, question: str | None = None, model: str | None = None,
                      frames: int | None = None) -> Analysis:
        raise NotImplementedError(f"{self.name} does not analyse video")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def hash_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes (inputs are identified by content, not by path)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


#: Container tag under which a local renderer records how it made an output (a JSON object in
#: the MP4 ``comment`` tag: ``{"videonb": {...}}``).
RENDER_TAG = "videonb"
#: Keys a renderer may record; anything else in a file's tag is ignored.
_DETAIL_KEYS = ("hub_id", "revision", "pipeline", "seed", "steps", "guidance", "strength",
                "frames", "fps", "size", "device", "dtype", "offload", "gpu_seconds",
                "cpu_seconds", "load_seconds", "licence")


def render_details(path: str | Path | None) -> dict[str, Any]:
    """What a local renderer recorded in the output file itself (model revision, seed, steps,
    device, seconds of compute...): plain values of known keys only, for the provenance.  A file
    is data: anything unexpected is dropped, strings are cut to 200 characters."""
    if not path:
        return {}
    try:
        import av

        with av.open(str(path), metadata_errors="ignore") as c:
            raw = c.metadata.get("comment", "")
        found = json.loads(raw).get(RENDER_TAG) if raw.startswith("{") else None
    except Exception:  # noqa: BLE001 - no tag, not JSON, unreadable: no details
        return {}
    if not isinstance(found, dict):
        return {}
    out: dict[str, Any] = {}
    for key in _DETAIL_KEYS:
        value = found.get(key)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, float)):
            out[key] = value
        elif isinstance(value, str):
            out[key] = value[:200]
    return out
