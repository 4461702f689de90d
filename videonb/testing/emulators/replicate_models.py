"""The Replicate emulator's model table: a few video models with their Cog input schemas.

Each model is served as ``GET /v1/models/{owner}/{name}`` with a ``latest_version`` whose
``openapi_schema`` has the Cog shape: ``components.schemas.Input`` with ``properties``
(``type``, ``format: uri`` for files, ``default``, ``x-order``) and ``required``, and each
enum as its own component reached through ``allOf: [{"$ref": ...}]`` (the shape Cog writes;
replicate/cog ``python/cog/...``, as published schemas show it).  The inputs of
``kwaivgi/kling-v2.5-turbo-pro`` and ``wan-video/wan-2.5-i2v`` are those mirrored by
api.core.today (read 2026-12-01); the others, and every price, are the emulator's own
(UNCONFIRMED).  ``ReplicateEmulator(models=...)`` adds models."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ReplicateModel", "MODELS", "schema_of"]


@dataclass(frozen=True)
class ReplicateModel:
    """One model: its inputs (name → property, an ``enum`` becomes a component), the required
    ones, and the emulator's price per second of output."""

    properties: dict[str, dict[str, Any]]
    required: tuple[str, ...] = ("prompt",)
    usd_per_second: float = 0.05
    #: The input that sets the length, and the length when it is not sent.
    duration_field: str | None = "duration"
    default_seconds: int = 5
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def version(self, name: str) -> str:
        return hashlib.sha256(f"{name}:v1".encode()).hexdigest()


def _enum(values: list[Any], default: Any, kind: str) -> dict[str, Any]:
    return {"enum": values, "type": kind, "default": default}


_PROMPT = {"prompt": {"type": "string", "title": "Prompt"}}
_NEG = {"negative_prompt": {"type": "string", "title": "Negative Prompt", "default": ""}}
_SEED = {"seed": {"type": "integer", "title": "Seed"}}
_URI = {"type": "string", "format": "uri"}

MODELS: dict[str, ReplicateModel] = {
    "kwaivgi/kling-v2.5-turbo-pro": ReplicateModel(
        {**_PROMPT, **_NEG, "aspect_ratio": _enum(["16:9", "9:16", "1:1"], "16:9", "string"),
         "duration": _enum([5, 10], 5, "integer"), "start_image": dict(_URI),
         "image": {**_URI, "description": "Deprecated: Use start_image instead"}},
        usd_per_second=0.07, description="Kling 2.5 Turbo Pro"),
    "minimax/hailuo-02": ReplicateModel(
        {**_PROMPT, "duration": _enum([6, 10], 6, "integer"),
         "resolution": _enum(["512p", "768p", "1080p"], "1080p", "string"),
         "prompt_optimizer": {"type": "boolean", "default": True},
         "first_frame_image": dict(_URI), "last_frame_image": dict(_URI)},
        usd_per_second=0.045, default_seconds=6, description="MiniMax Hailuo 02"),
    "wan-video/wan-2.5-i2v": ReplicateModel(
        {**_PROMPT, "image": dict(_URI), "duration": _enum([5, 10], 5, "integer"),
         "resolution": _enum(["480p", "720p", "1080p"], "720p", "string"), **_NEG, **_SEED,
         "enable_prompt_expansion": {"type": "boolean", "default": True}},
        required=("prompt", "image"), usd_per_second=0.10, description="Wan 2.5 image to video"),
    "wan-video/wan-2.2-t2v-fast": ReplicateModel(
        {**_PROMPT, "num_frames": {"type": "integer", "minimum": 81, "maximum": 121,
                                   "default": 81},
         "resolution": _enum(["480p", "720p"], "720p", "string"),
         "aspect_ratio": _enum(["16:9", "9:16"], "16:9", "string"), **_SEED},
        usd_per_second=0.02, duration_field=None, default_seconds=5,
        description="Wan 2.2 text to video (fast)"),
}


def schema_of(model: ReplicateModel) -> dict[str, Any]:
    """The Cog-shaped ``openapi_schema`` of *model* (enums as components behind ``allOf``)."""
    props: dict[str, Any] = {}
    components: dict[str, Any] = {}
    for order, (name, prop) in enumerate(model.properties.items()):
        prop = dict(prop)
        if "enum" in prop:
            default = prop.pop("default", None)
            components[name] = {"enum": prop.pop("enum"), "type": prop.pop("type", "string"),
                                "title": name, "description": "An enumeration."}
            prop = {"allOf": [{"$ref": f"#/components/schemas/{name}"}], **prop}
            if default is not None:
                prop["default"] = default
        prop.setdefault("title", name.replace("_", " ").title())
        prop["x-order"] = order
        props[name] = prop
    components["Input"] = {"type": "object", "title": "Input", "properties": props,
                           "required": list(model.required)}
    components["Output"] = {"type": "string", "title": "Output", "format": "uri"}
    return {"openapi": "3.0.2", "info": {"title": "Cog", "version": "0.1.0"},
            "components": {"schemas": components}}
