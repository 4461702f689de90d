"""API keys: where they come from, and making sure they never show up anywhere.

Order of lookup (first hit wins):

1. the explicit ``api_key=`` argument;
2. the environment, under the official SDK's own variable names
   (``RUNWAYML_API_SECRET``, ``GEMINI_API_KEY``/``GOOGLE_API_KEY``, ``OPENAI_API_KEY``...);
3. a ``.env`` file in the current folder or a parent (re-read on every lookup, so an
   edit takes effect without restarting the kernel);
4. a Colab secret of the same name (only inside Colab);
5. a key given with :func:`set_key` (``videonb.set_key("runway")`` or
   ``%videonb key runway``), which prompts with hidden input *because the user asked*.

videonb never opens a prompt on its own: a cell that needs a missing key fails at once with
:class:`~videonb.errors.MissingKeyError` naming the fixes, so "Run All" never hangs on a
hidden password box.

Keys are normalised on lookup: surrounding whitespace (the newline of a key read from a
file) is stripped, and a key with a control character inside is refused with
:class:`~videonb.errors.InvalidKeyError` naming where it came from, before anything is sent.
Every key found is registered with :func:`redact`, which every error message, repr and log
record of videonb goes through: the key (or any 8-character piece of it) is replaced by
``[REDACTED]``.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .._redact import Secret, conceal, redact, register_secret

__all__ = ["KeyInfo", "resolve_key", "find_key", "redact", "register_secret", "read_dotenv",
           "set_key", "clear_keys", "normalise_key", "owned_by_me"]

class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001 - never break logging
            return True
        clean = redact(msg)
        if clean != msg:
            record.msg, record.args = clean, ()
        return True


# A logger's filters do not apply to its children's records: every videonb logger gets one.
for _name in ("videonb", "videonb.providers"):
    logging.getLogger(_name).addFilter(_RedactingFilter())


@dataclass(frozen=True)
class KeyInfo:
    """A key and where it came from. ``repr`` never shows the key."""

    value: str
    source: str  # "argument", "env:NAME", ".env:PATH:NAME", "colab:NAME", "prompt"

    def __repr__(self) -> str:
        return f"KeyInfo(source={self.source!r}, value=[REDACTED])"

    __str__ = __repr__


def read_dotenv(start: Path | None = None) -> tuple[dict[str, str], Path | None]:
    """Parse the nearest ``.env`` (``KEY=value``, ``export KEY=value``, quotes, ``#`` comments)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / ".env"
        if candidate.is_file():
            if not owned_by_me(candidate):
                import warnings

                warnings.warn(f"videonb: ignored {candidate}, which belongs to another user (a "
                              f"shared folder); set the key in your environment or your own "
                              f".env.", stacklevel=3)
                continue
            values: dict[str, str] = {}
            try:
                text = candidate.read_text(encoding="utf-8")
            except OSError:
                return {}, None
            for raw in text.splitlines():
                line = raw.strip()
                if not line or line.startswith("#") or "=" not in line:
                    continue
                if line.startswith("export "):
                    line = line[7:].strip()
                name, _, value = line.partition("=")
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                    value = value[1:-1]
                elif " #" in value:
                    value = value.split(" #", 1)[0].rstrip()
                values[name.strip()] = value
            return values, candidate
        if folder == Path.home() or folder.parent == folder:
            break
    return {}, None


def owned_by_me(path: Path) -> bool:
    """True unless ``path`` belongs to another user (POSIX): on a shared host, another user's
    ``.env`` or ``.videonb/`` would decide where a request and its key go (git refuses such
    folders for the same reason)."""
    if not hasattr(os, "geteuid"):
        return True
    try:
        return path.stat().st_uid == os.geteuid()
    except OSError:
        return False


def _colab_secret(names: Iterable[str]) -> tuple[str, str] | None:
    if "google.colab" not in sys.modules:
        return None
    try:
        from google.colab import userdata  # type: ignore[import-not-found]
    except Exception:  # noqa: BLE001
        return None
    for name in names:
        try:
            value = userdata.get(name)
        except Exception:  # noqa: BLE001 - SecretNotFoundError, NotebookAccessError, timeouts
            continue
        if value:
            return value, name
    return None


#: Keys given with set_key() in this process: provider name → key (never written anywhere).
_SESSION_KEYS: dict[str, str] = {}


def normalise_key(value: str, source: str, provider: str | None = None) -> str:
    """``value`` without surrounding whitespace; :class:`InvalidKeyError` if a control character
    (a line break, a tab, NUL...) is left inside.  The message names ``source``, never the key."""
    from ..errors import InvalidKeyError

    register_secret(value)
    key = value.strip()
    where = _describe(source)
    bad = next((c for c in key if ord(c) < 32 or ord(c) == 127), None)
    if bad is not None:
        raise InvalidKeyError(
            f"The {provider or 'API'} key from {where} contains a control character "
            f"({bad.encode('unicode_escape').decode()!s} at position {key.index(bad)}): a key is "
            f"one line of text. Nothing was sent. Fix {where} (copy the key again, without line "
            f"breaks).", provider=provider)
    odd = next((c for c in key if ord(c) > 126), None)
    if odd is not None:
        raise InvalidKeyError(
            f"The {provider or 'API'} key from {where} contains a non-ASCII character "
            f"(U+{ord(odd):04X} at position {key.index(odd)}; a typographic quote or dash from a "
            f"copied document?). API keys are plain ASCII. Nothing was sent. Fix {where}.",
            provider=provider)
    return Secret(key)


def _describe(source: str) -> str:
    kind, _, rest = source.partition(":")
    return {"argument": "the api_key= argument", "env": f"the environment variable {rest}",
            ".env": f"{rest} in the .env file", "colab": f"the Colab secret {rest}",
            "set_key": "videonb.set_key()"}.get(kind, source)


def find_key(names: Iterable[str], explicit: str | None = None,
             provider: str | None = None) -> KeyInfo | None:
    """The first key found without prompting (argument, environment, ``.env``, Colab, set_key)."""
    names = tuple(names)

    def hit(value: str, source: str) -> KeyInfo:
        return KeyInfo(normalise_key(value, source, provider), source)

    if explicit is not None and explicit.strip():
        return hit(explicit, "argument")
    for name in names:
        value = os.environ.get(name)
        if value and value.strip():
            return hit(value, f"env:{name}")
    dotenv, path = read_dotenv()
    for name in names:
        if dotenv.get(name, "").strip():
            return hit(dotenv[name], f".env:{name}")
    colab = _colab_secret(names)
    if colab and colab[0].strip():
        return hit(colab[0], f"colab:{colab[1]}")
    if provider and provider in _SESSION_KEYS:
        return KeyInfo(conceal(_SESSION_KEYS[provider]), "set_key")
    return None


def resolve_key(provider: str, names: Iterable[str], explicit: str | None = None, *,
                prompt: bool = False) -> KeyInfo:
    """Find a key for ``provider`` or raise :class:`~videonb.errors.MissingKeyError` naming the
    fixes.  Never prompts (``prompt`` is accepted for compatibility and ignored): a prompt
    comes only from :func:`set_key`, which the user calls."""
    from ..errors import MissingKeyError

    names = tuple(names)
    found = find_key(names, explicit, provider)
    if found:
        return found
    first = names[0] if names else "API_KEY"
    raise MissingKeyError(
        f"No API key for '{provider}'. Set the environment variable {first}"
        + (f" (or {', '.join(names[1:])})" if len(names) > 1 else "")
        + f", put `{first}=...` in a .env file next to your notebook, pass api_key=..., or run "
        f"videonb.set_key({provider!r}) (in a notebook: %videonb key {provider}) to type it "
        f"with hidden input. Never paste the key into a cell that gets saved. To work without "
        f"a key, use provider='local'.", provider=provider)


def set_key(provider: str, value: str | None = None) -> KeyInfo:
    """Give ``provider`` a key for this session (kept in memory only, used after the argument,
    the environment, ``.env`` and Colab).  With no ``value``, ask for it with hidden input —
    the one place videonb prompts, because you asked."""
    from ..errors import MissingKeyError
    from .registry import provider_classes

    cls = provider_classes().get(provider)
    if cls is None or isinstance(cls, str) or not getattr(cls, "key_env", ()):
        known = sorted(n for n, c in provider_classes().items()
                       if not isinstance(c, str) and c.key_env)
        raise MissingKeyError(f"'{provider}' takes no key here; providers with keys: "
                              f"{', '.join(known)}.", provider=provider)
    if value is None:
        import getpass

        value = getpass.getpass(f"{provider} API key ({cls.key_env[0]}; input hidden): ")
    if not value or not value.strip():
        raise MissingKeyError(f"No key was given for '{provider}'; nothing changed.",
                              provider=provider)
    key = normalise_key(value, "set_key", provider)
    _SESSION_KEYS[provider] = key
    return KeyInfo(key, "set_key")


def clear_keys() -> None:
    """Forget every key given with :func:`set_key` in this process."""
    _SESSION_KEYS.clear()
