"""API keys: where they come from, and making sure they never show up anywhere.

Order of lookup (first hit wins):

1. the explicit ``api_key=`` argument;
2. the environment, under the official SDK's own variable names
   (``RUNWAYML_API_SECRET``, ``GEMINI_API_KEY``/``GOOGLE_API_KEY``, ``OPENAI_API_KEY``...);
3. a ``.env`` file in the current folder or a parent (re-read on every lookup, so an
   edit takes effect without restarting the kernel);
4. a Colab secret of the same name (only inside Colab);
5. a hidden prompt (``getpass``), only when someone can answer it.

Every key found is registered with :func:`redact`, which every error message,
repr and log record of videonb goes through: the key is replaced by
``[REDACTED]``.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .._redact import redact, register_secret

__all__ = ["KeyInfo", "resolve_key", "find_key", "redact", "register_secret", "read_dotenv"]

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


logging.getLogger("videonb").addFilter(_RedactingFilter())


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


def _interactive() -> bool:
    """True when a prompt can be answered: a terminal, or a kernel whose front end allows input."""
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except Exception:  # noqa: BLE001
        ip = None
    if ip is not None and getattr(ip, "kernel", None) is not None:
        return bool(getattr(ip.kernel, "_allow_stdin", False))
    return bool(sys.stdin and sys.stdin.isatty())


def find_key(names: Iterable[str], explicit: str | None = None) -> KeyInfo | None:
    """The first key found without prompting (argument, environment, ``.env``, Colab)."""
    names = tuple(names)
    if explicit:
        register_secret(explicit)
        return KeyInfo(explicit, "argument")
    for name in names:
        value = os.environ.get(name)
        if value:
            register_secret(value)
            return KeyInfo(value, f"env:{name}")
    dotenv, path = read_dotenv()
    for name in names:
        if dotenv.get(name):
            register_secret(dotenv[name])
            return KeyInfo(dotenv[name], f".env:{name}")
    colab = _colab_secret(names)
    if colab:
        register_secret(colab[0])
        return KeyInfo(colab[0], f"colab:{colab[1]}")
    return None


def resolve_key(provider: str, names: Iterable[str], explicit: str | None = None, *,
                prompt: bool = True) -> KeyInfo:
    """Find a key for ``provider`` or raise :class:`~videonb.errors.MissingKeyError` naming the fixes."""
    from ..errors import MissingKeyError

    names = tuple(names)
    found = find_key(names, explicit)
    if found:
        return found
    if prompt and _interactive():
        import getpass

        value = getpass.getpass(f"{provider} API key ({names[0]}; input hidden): ").strip()
        if value:
            register_secret(value)
            return KeyInfo(value, "prompt")
    first = names[0] if names else "API_KEY"
    raise MissingKeyError(
        f"No API key for '{provider}'. Set the environment variable {first}"
        + (f" (or {', '.join(names[1:])})" if len(names) > 1 else "")
        + f", put `{first}=...` in a .env file next to your notebook, or pass api_key=... "
        f"Never paste the key into a cell that gets saved. To work without a key, use "
        f"provider='local'.", provider=provider)
