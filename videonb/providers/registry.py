"""Find providers: built-ins plus anything registered under the ``videonb.providers`` entry points.

Loading is lazy and fault-tolerant: a provider whose module fails to import, or whose
optional dependency is missing, is listed as unavailable with the reason and the
install hint; it never breaks ``import videonb`` or the other providers.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Any

from ..errors import ProviderUnavailableError, UnknownProviderError, VideonbError
from .base import Provider

__all__ = ["get_provider", "provider_classes", "ProviderRow", "list_providers", "BUILTIN"]

log = logging.getLogger("videonb.providers")

#: Built-in providers (also declared as entry points in pyproject.toml).
BUILTIN = {
    "local": "videonb.providers.local:LocalProvider",
    "runway": "videonb.providers.runway:RunwayProvider",
    "gemini": "videonb.providers.gemini:GeminiProvider",
    "openai": "videonb.providers.openai:OpenAIProvider",
    "diffusers": "videonb.providers.diffusers:DiffusersProvider",
}

_CLASSES: dict[str, type[Provider] | str] | None = None
_ERRORS: dict[str, str] = {}


def _load(target: str) -> type[Provider]:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def provider_classes() -> dict[str, type[Provider] | str]:
    """name → class, or name → error string when it could not be loaded."""
    global _CLASSES
    if _CLASSES is not None:
        return _CLASSES
    targets = dict(BUILTIN)
    try:
        from importlib.metadata import entry_points

        for ep in entry_points(group="videonb.providers"):
            targets.setdefault(ep.name, ep.value)
            if ep.name not in BUILTIN:
                targets[ep.name] = ep.value
    except Exception as exc:  # noqa: BLE001 - broken metadata must not break videonb
        log.warning("could not read videonb.providers entry points: %s", exc)
    out: dict[str, type[Provider] | str] = {}
    for name, target in targets.items():
        try:
            cls = _load(target)
            if not (isinstance(cls, type) and issubclass(cls, Provider)):
                raise TypeError(f"{target} is not a videonb Provider subclass")
            out[name] = cls
        except Exception as exc:  # noqa: BLE001 - third-party plugin errors are reported, not raised
            out[name] = f"{type(exc).__name__}: {exc}"
            log.warning("provider %s unavailable: %s", name, exc)
    _CLASSES = out
    return out


def get_provider(name: str | None = None, **options: Any) -> Provider:
    """An instance of provider ``name`` (default ``local``); options go to its constructor."""
    name = name or "local"
    classes = provider_classes()
    cls = classes.get(name)
    if cls is None:
        raise UnknownProviderError(
            f"Unknown provider '{name}'. Available: {', '.join(sorted(classes))}. "
            f"Run videonb.providers() to see them with their models.", provider=name)
    if isinstance(cls, str):
        raise ProviderUnavailableError(f"Provider '{name}' could not be loaded ({cls}).",
                                       provider=name)
    inst = cls(**options)
    ok, why = inst.available()
    if not ok:
        raise ProviderUnavailableError(f"Provider '{name}' is not usable: {why}.", provider=name)
    return inst


@dataclass
class ProviderRow:
    provider: str
    model: str
    operations: str
    durations: str
    ratios: str
    max_prompt: str
    price: str
    key: str
    available: str


def list_providers() -> list[ProviderRow]:
    """One row per model: capabilities, limits, price, and whether a key is set (never the key)."""
    from .keys import find_key

    rows: list[ProviderRow] = []
    for name, cls in sorted(provider_classes().items()):
        if isinstance(cls, str):
            rows.append(ProviderRow(name, "-", "-", "-", "-", "-", "-", "-", f"no: {cls}"))
            continue
        inst = cls()
        ok, why = inst.available()
        if not cls.key_env:
            key = "not needed"
        else:
            try:
                found = find_key(cls.key_env, provider=name)
                key = f"set ({found.source})" if found else f"missing: set {cls.key_env[0]}"
            except VideonbError as exc:  # e.g. a key with a line break inside: say so, no key
                key = f"unusable: {exc.code} (see videonb.set_key)"
        for mid, spec in cls.models.items():
            price = (f"${spec.price_per_second:.3f}/s" if spec.price_per_second
                     else (spec.price_note or ("free" if cls.local else "-")))
            usable, reason = inst.model_status(mid) if ok else (False, why)
            rows.append(ProviderRow(
                name, mid + (" (default)" if mid == cls.default_model else ""),
                ", ".join(spec.operations), spec.describe_durations(),
                ", ".join(spec.ratios) or "any", str(spec.max_prompt_chars or "-"), price, key,
                "yes" if usable else f"no: {reason}"))
    return rows
