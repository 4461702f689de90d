"""Replicate (``https://api.replicate.com``): any video model by ``owner/name`` (or
``owner/name:version``) as predictions.

Wire facts, and where each comes from (read 2026-12-01):

* **Auth.**  ``Authorization: Bearer $REPLICATE_API_TOKEN``; ``REPLICATE_BASE_URL`` (or
  ``base_url=``) points elsewhere [replicate 1.0.7 ``client._build_httpx_client``].
* **Create.**  Official models: ``POST /v1/models/{owner}/{name}/predictions``; a pinned
  version: ``POST /v1/predictions`` with ``{"version": <id>}`` [replicate ``model.py``
  ``_create_prediction_path_from_model``, ``prediction.py``]; the body is ``{"input": {...}}``
  (plus ``webhook``...).  ``Prefer: wait`` (or ``wait=N``, 1-60 s) holds the answer until the
  prediction ends or the wait runs out [SDK ``_create_prediction_headers``; replicate.com
  docs "create a prediction": sync mode defaults to 60 s]; videonb submits without it by
  default (a video takes minutes, and a held submit must stay inside the read timeout), or with
  ``wait=N`` as a provider option.
* **Inputs.**  Each model has its own input schema: videonb reads it first (``GET
  /v1/models/{owner}/{name}``, ``latest_version.openapi_schema``, or ``GET
  .../versions/{id}``: free, no prediction) and maps the prompt, the image (``start_image``,
  ``first_frame_image``, ``image``, ...), ``duration`` and ``aspect_ratio`` onto the fields the
  model has, checking its enums and bounds before the paid create [the Replicate skill's
  advice: "Always fetch and check model schemas"].  Files go as data URLs up to 256 KB, larger
  ones through ``POST /v1/files`` (multipart ``content``) and its ``urls.get`` URL [Replicate
  OpenAPI ``input`` description: "Use a data URL when you have a small file <= 256kb"; SDK
  ``files.create``].
* **Predictions.**  ``GET /v1/predictions/{id}``: ``status`` ``starting`` → ``processing`` →
  ``succeeded`` (``output``: URL(s)) / ``failed`` (``error``) / ``canceled``; no percentage,
  progress only in ``logs`` lines like ``" 45%|####| 9/20"`` [SDK ``Prediction`` and its
  ``Progress`` pattern].  Replicate's lifecycle page adds ``aborted`` (a deadline passed before
  it started: not billed), which SDK 1.0.7's ``Literal`` does not know; videonb reads it as a
  failure.  ``POST /v1/predictions/{id}/cancel`` cancels [SDK].
* **Errors.**  RFC 7807 problem details ``{"title", "detail", "status"}`` [SDK
  ``ReplicateError.from_response``]; the SDK retries 429/503/504 on GET-like methods only.
* **Outputs.**  Files on ``replicate.delivery``, which need no key and expire after an hour
  [replicate.com HTTP API docs; providers.md §8]: videonb downloads them at once, and sends the
  token only to a URL on the API host it is configured for.
* **Prices.**  Replicate prices each model on its own page; none was read from a primary
  source, so models are unpriced (refused under a budget) unless the caller states the price:
  ``price_per_second=`` (a provider option) is then used for the estimate and the budget.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from .._redact import RedactedDict, redact
from ..errors import InvalidOptionError, ProviderHTTPError
from . import _http
from .base import ModelSpec, PollResult, Provider, Request

__all__ = ["ReplicateProvider", "MODELS", "IMAGE_FIELDS", "DATA_URL_LIMIT"]

DEFAULT_BASE = "https://api.replicate.com"
#: Largest file sent inline as a data URL (bytes); larger ones go through the Files API.
DATA_URL_LIMIT = 256 * 1024
MODEL_REF = re.compile(r"(?P<owner>[A-Za-z0-9][A-Za-z0-9_.-]{0,99})/(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]{0,99})"
                       r"(?::(?P<version>[0-9a-f]{8,128}))?")
_PREDICTION_ID = re.compile(r"[A-Za-z0-9]{1,128}")
#: Input fields that take the first frame, in the order they are looked for.
IMAGE_FIELDS = ("start_image", "first_frame_image", "image", "input_image", "image_url",
                "init_image", "first_frame")
_DURATION_FIELDS = ("duration", "seconds")
_PROGRESS = re.compile(r"^\s*(\d+)%\s*\|.+?\|\s*(\d+)/(\d+)")
_MODERATED = re.compile(r"nsfw|safety|flagged|moderat|content policy|sensitive", re.I)
_SRC = "Replicate model page; no price read from a primary source (read 2026-12-01)"
_UNPRICED = "price per model on replicate.com: give price_per_second= to use a budget"
_BOTH = ("text_to_video", "image_to_video")


def _curated(mid: str, ops: tuple[str, ...], durations: tuple[float, ...], ratios: tuple[str, ...],
             notes: str, default: float | None = None) -> ModelSpec:
    return ModelSpec(mid, ops, durations=durations,
                     default_duration=default if default is not None else (durations or (None,))[0],
                     ratios=ratios, default_ratio=ratios[0] if ratios else None,
                     image_input="image_to_video" in ops, price_note=_UNPRICED,
                     price_source=_SRC, notes=notes)


MODELS: dict[str, ModelSpec] = {s.id: s for s in (
    _curated("kwaivgi/kling-v2.5-turbo-pro", _BOTH, (5, 10), ("16:9", "9:16", "1:1"),
             "Kling 2.5 Turbo Pro; start_image for image to video (schema as mirrored by "
             "api.core.today, read 2026-12-01)"),
    _curated("minimax/hailuo-02", _BOTH, (6, 10), (),
             "MiniMax Hailuo 02; first_frame_image for image to video (UNCONFIRMED field names: "
             "read from the model's schema at submit)", default=6),
    _curated("wan-video/wan-2.5-i2v", ("image_to_video",), (5, 10), (),
             "Wan 2.5 image to video, 720p (schema as mirrored by api.core.today)"),
    _curated("wan-video/wan-2.2-t2v-fast", ("text_to_video",), (), (),
             "Wan 2.2 text to video, fast (slug from third-party code, providers.md §8)"),
)}


def _walk_url(value: Any) -> str | None:
    """The first http(s) URL in a prediction's ``output`` (a string, a list, or a dict)."""
    if isinstance(value, str):
        return value if value.startswith(("https://", "http://")) else None
    if isinstance(value, list):
        for item in value:
            found = _walk_url(item)
            if found:
                return found
    if isinstance(value, dict):
        for key in ("video", "output", "url"):
            found = _walk_url(value.get(key))
            if found:
                return found
        for item in value.values():
            found = _walk_url(item)
            if found:
                return found
    return None


def _resolve(prop: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A property with the components its ``allOf``/``$ref`` names merged in (Cog writes each
    enum as a component: ``{"allOf": [{"$ref": "#/components/schemas/duration"}]}``)."""
    out = {k: v for k, v in prop.items() if k not in ("allOf", "$ref")}
    refs = [prop] + [p for p in prop.get("allOf") or () if isinstance(p, dict)]
    for item in refs:
        ref = item.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            target = components.get(ref.rsplit("/", 1)[-1])
            if isinstance(target, dict):
                out = {**{k: v for k, v in target.items() if k != "title"}, **out}
    return out


def _progress(logs: Any) -> float | None:
    if not isinstance(logs, str) or not logs:
        return None
    for line in reversed(logs.split("\n")):
        m = _PROGRESS.match(line.strip())
        if m:
            return min(1.0, int(m.group(1)) / 100.0)
    return None


class ReplicateProvider(Provider):
    """Replicate's predictions; see the module docstring for every wire fact and its source."""

    name: ClassVar[str] = "replicate"
    display_name: ClassVar[str] = "Replicate"
    key_env: ClassVar[tuple[str, ...]] = ("REPLICATE_API_TOKEN",)
    requires: ClassVar[tuple[str, ...]] = ("httpx",)
    install_hint: ClassVar[str] = "pip install httpx"
    #: The loopback emulator of this API (a name only: the main floors never import it).
    emulator: ClassVar[str] = "videonb.testing.emulators.replicate:ReplicateEmulator"
    models: ClassVar[dict[str, ModelSpec]] = MODELS
    default_model: ClassVar[str] = "kwaivgi/kling-v2.5-turbo-pro"
    description: ClassVar[str] = "Any video model on Replicate by owner/name, as predictions."
    min_poll: ClassVar[float] = 2.0

    @property
    def url(self) -> str:
        return (self.base_url or os.environ.get("REPLICATE_BASE_URL") or DEFAULT_BASE).rstrip("/")

    def _headers(self, json_body: bool = True) -> dict[str, str]:
        h = RedactedDict({"Authorization": f"Bearer {self.key()}"})
        if json_body:
            h["Content-Type"] = "application/json"
        return h

    # --- models -------------------------------------------------------------------------
    def model(self, model: str | None) -> ModelSpec:
        """The curated spec, or for any other ``owner/name[:version]`` a spec without limits
        (the model's own schema is checked at submit); ``price_per_second=`` prices either."""
        mid = model or self.default_model
        spec = self.models.get(mid)
        if spec is None:
            if not MODEL_REF.fullmatch(mid):
                raise InvalidOptionError(
                    f"replicate model {mid!r}: give a model as owner/name (or "
                    f"owner/name:version), e.g. {self.default_model}.")
            spec = ModelSpec(mid, _BOTH, image_input=True, price_note=_UNPRICED,
                             price_source="the model's own schema, read at submit",
                             notes="any Replicate model: inputs checked against its schema")
        price = self.options.get("price_per_second")
        if price is not None:
            value = _http.number(price)
            if value is None or value <= 0:
                raise InvalidOptionError(f"price_per_second={price!r} must be a positive "
                                         f"number (USD per second of video).")
            spec = replace(spec, price_per_second=value,
                           price_source="given by the caller (price_per_second=)")
        return spec

    def validate(self, req: Request) -> ModelSpec:
        spec = super().validate(req)
        if req.operation == "image_to_video" and "image" not in req.input_paths:
            raise InvalidOptionError("image_to_video needs image=...")
        if spec.price_per_second is not None and req.seconds is None \
                and spec.default_duration is None:
            raise InvalidOptionError(f"replicate/{spec.id}: give seconds= so the price can be "
                                     f"estimated before anything is sent.")
        wait = self.options.get("prefer_wait")
        if wait is not None and not (isinstance(wait, int) and not isinstance(wait, bool)
                                     and 1 <= wait <= 60):
            raise InvalidOptionError(f"prefer_wait={wait!r}: Replicate holds a create for 1 to "
                                     f"60 seconds (Prefer: wait=N).")
        return spec

    # --- the model's schema -------------------------------------------------------------
    async def input_schema(self, ref: str) -> dict[str, Any]:
        """The ``Input`` schema's properties and required list of model ``ref``."""
        m = MODEL_REF.fullmatch(ref)
        assert m is not None
        path = f"/v1/models/{m['owner']}/{m['name']}"
        if m["version"]:
            path += f"/versions/{m['version']}"
        resp = await _http.call("GET", self.url + path, provider=self.name,
                                headers=self._headers(json_body=False))
        doc = _http.json_object(resp, provider=self.name, what="model")
        version = doc if m["version"] else doc.get("latest_version")
        schema = (version or {}).get("openapi_schema") if isinstance(version, dict) else None
        components = ((schema or {}).get("components") or {}).get("schemas") or {}
        inputs = components.get("Input") if isinstance(components, dict) else None
        if not isinstance(inputs, dict) or not isinstance(inputs.get("properties"), dict):
            raise InvalidOptionError(f"replicate/{ref}: the model publishes no input schema "
                                     f"(is it a video model with a version?). Nothing was sent.")
        props = {name: _resolve(prop, components) for name, prop in inputs["properties"].items()
                 if isinstance(prop, dict)}
        return {"properties": props, "required": [n for n in inputs.get("required") or ()
                                                  if isinstance(n, str)]}

    @staticmethod
    def _check(ref: str, name: str, value: Any, prop: dict[str, Any]) -> Any:
        """``value`` in the field's type, or InvalidOptionError naming its choices/bounds."""
        kind = prop.get("type")
        if kind == "integer":
            value = int(value)
        elif kind == "number":
            value = float(value)
        elif kind == "string":
            value = str(int(value)) if isinstance(value, float) and value.is_integer() \
                else str(value)
        enum = prop.get("enum")
        if isinstance(enum, list) and value not in enum:
            raise InvalidOptionError(f"replicate/{ref}: {name}={value!r} is not allowed; the "
                                     f"model takes {', '.join(map(str, enum))}. Nothing was sent.")
        lo, hi = prop.get("minimum"), prop.get("maximum")
        if isinstance(value, (int, float)) and ((lo is not None and value < lo)
                                                or (hi is not None and value > hi)):
            raise InvalidOptionError(f"replicate/{ref}: {name}={value!r} is out of range "
                                     f"[{lo}, {hi}]. Nothing was sent.")
        return value

    async def build_input(self, req: Request) -> dict[str, Any]:
        """The model's input for ``req``, fields matched to the model's schema."""
        schema = await self.input_schema(req.model)
        props: dict[str, Any] = schema["properties"]
        ref = req.model
        body: dict[str, Any] = {}
        if "prompt" in props:
            body["prompt"] = req.prompt
        elif req.prompt:
            raise InvalidOptionError(f"replicate/{ref} takes no prompt. Nothing was sent.")
        if req.seconds is not None:
            name = next((n for n in _DURATION_FIELDS if n in props), None)
            if name is None:
                raise InvalidOptionError(f"replicate/{ref} has no duration input; leave "
                                         f"seconds= out. Nothing was sent.")
            body[name] = self._check(ref, name, req.seconds, props[name])
        if req.ratio is not None and req.operation == "text_to_video":
            if "aspect_ratio" not in props:
                raise InvalidOptionError(f"replicate/{ref} has no aspect_ratio input; leave "
                                         f"ratio= out. Nothing was sent.")
            body["aspect_ratio"] = self._check(ref, "aspect_ratio", req.ratio,
                                               props["aspect_ratio"])
        if req.seed is not None and "seed" in props:
            body["seed"] = self._check(ref, "seed", req.seed, props["seed"])
        if req.operation == "image_to_video":
            name = next((n for n in IMAGE_FIELDS if n in props), None)
            if name is None:
                raise InvalidOptionError(f"replicate/{ref} takes no first-frame image (its "
                                         f"inputs: {', '.join(sorted(props))}). Nothing was sent.")
            body[name] = await self.file_url(req.input_paths["image"])
        missing = [n for n in schema.get("required") or () if n not in body]
        if missing:
            raise InvalidOptionError(f"replicate/{ref} needs {', '.join(missing)}, which "
                                     f"videonb cannot fill. Nothing was sent.")
        return body

    async def file_url(self, path: str) -> str:
        """A data URL for a small file, else the ``urls.get`` of a Files API upload."""
        p = Path(path)
        mime = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
        data = p.read_bytes()
        if len(data) <= DATA_URL_LIMIT:
            return f"data:{mime};base64,{base64.b64encode(data).decode()}"
        resp = await _http.call("POST", f"{self.url}/v1/files", provider=self.name,
                                headers=self._headers(json_body=False),
                                files={"content": (p.name, data, mime)},
                                idempotent=True)  # an upload bills nothing: safe to ask again
        doc = _http.json_object(resp, provider=self.name, what="file upload answer")
        url = (doc.get("urls") or {}).get("get") if isinstance(doc.get("urls"), dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ProviderHTTPError("replicate: the upload answer had no file URL; nothing was "
                                    "submitted.", provider=self.name, retryable=True)
        return url

    # --- jobs ---------------------------------------------------------------------------
    async def submit(self, req: Request) -> str:
        body = {"input": await self.build_input(req)}
        m = MODEL_REF.fullmatch(req.model)
        assert m is not None
        headers = self._headers()
        wait = self.options.get("prefer_wait")
        timeout = None
        if wait:
            headers["Prefer"] = f"wait={int(wait)}"
            timeout = float(wait) + 10.0
        if m["version"]:
            url, body["version"] = f"{self.url}/v1/predictions", m["version"]
        else:
            url = f"{self.url}/v1/models/{m['owner']}/{m['name']}/predictions"
        resp = await _http.call("POST", url, provider=self.name, headers=headers,
                                json_body=body, submit=True, timeout=timeout)
        pid = _http.json_object(resp, provider=self.name, what="create answer").get("id")
        if not isinstance(pid, str) or not _PREDICTION_ID.fullmatch(pid):
            raise ProviderHTTPError("replicate: the create answer had no prediction id; check "
                                    "the Replicate dashboard before submitting again.",
                                    provider=self.name)
        return pid

    async def poll(self, remote_id: str) -> PollResult:
        resp = await _http.call("GET", f"{self.url}/v1/predictions/{_http.segment(remote_id)}",
                                provider=self.name, headers=self._headers(json_body=False))
        p = _http.json_object(resp, provider=self.name, what="prediction")
        raw = str(p.get("status", ""))
        hint = _http.retry_after_seconds(resp.headers)
        if raw == "starting":
            return PollResult("queued", None, retry_after=hint, raw_status=raw)
        if raw == "processing":
            return PollResult("running", _progress(p.get("logs")), retry_after=hint,
                              raw_status=raw)
        if raw == "succeeded":
            return PollResult("succeeded", 1.0, output_url=_walk_url(p.get("output")),
                              raw_status=raw)
        if raw == "canceled":
            return PollResult("cancelled", None, error_code="canceled",
                              error_message="the prediction was canceled", raw_status=raw)
        if raw == "aborted":
            return PollResult("failed", None, error_code="aborted",
                              error_message="the prediction passed its deadline before it "
                                            "started (not billed)", raw_status=raw)
        if raw != "failed":
            raise ProviderHTTPError(f"replicate: the prediction has an unknown status "
                                    f"{raw[:40]!r}.", provider=self.name, retryable=True)
        why = redact(str(p.get("error") or "the prediction failed"))[:500]
        code = "content_policy" if _MODERATED.search(why) else "model_error"
        return PollResult("failed", None, error_code=code, error_message=why, raw_status=raw)

    async def cancel(self, remote_id: str) -> None:
        await _http.call("POST", f"{self.url}/v1/predictions/{_http.segment(remote_id)}/cancel",
                         provider=self.name, headers=self._headers(json_body=False),
                         idempotent=True)

    def _same_origin(self, url: str) -> bool:
        a, b = urlsplit(url), urlsplit(self.url)
        return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())

    async def download(self, url: str, dest: Path) -> Path:
        # replicate.delivery links need no key; a file on the API host itself does.
        headers = self._headers(json_body=False) if self._same_origin(url) else None
        return await _http.download_to(url, dest, provider=self.name, headers=headers)
