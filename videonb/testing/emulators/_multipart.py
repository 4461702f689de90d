"""A small ``multipart/form-data`` parser (RFC 7578), standard library only.

``cgi`` is deprecated (and gone in Python 3.13) and ``email``'s parser is built for
mail, so the emulators parse form bodies themselves.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Any


class MultipartError(ValueError):
    pass


@dataclass
class Part:
    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def is_file(self) -> bool:
        return self.filename is not None

    def text(self) -> str:
        return self.data.decode("utf-8")


_PARAM = re.compile(r';\s*([\w*.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``form-data; name="a"; filename="b"`` into (``form-data``, params)."""
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for m in _PARAM.finditer(";" + rest):
        key, raw = m.group(1).lower(), m.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        if key.endswith("*"):  # RFC 5987: utf-8''percent-encoded
            charset, _, encoded = raw.partition("''")
            raw = urllib.parse.unquote(encoded or raw, encoding=charset or "utf-8")
            key = key[:-1]
        params[key] = raw
    return main.strip().lower(), params


def parse(body: bytes, content_type: str) -> list[Part]:
    """The parts of a ``multipart/form-data`` body, in order."""
    kind, params = header_params(content_type)
    if kind != "multipart/form-data":
        raise MultipartError(f"expected multipart/form-data, got {kind or 'no content type'}")
    boundary = params.get("boundary")
    if not boundary:
        raise MultipartError("multipart body without a boundary")
    delim = b"--" + boundary.encode("latin-1")
    chunks = body.split(delim)
    if len(chunks) < 3 and not (len(chunks) == 2 and chunks[1].startswith(b"--")):
        raise MultipartError("multipart body does not contain its boundary")
    parts: list[Part] = []
    closed = False
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            closed = True
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        elif chunk.startswith(b"\n"):
            chunk = chunk[1:]
        if chunk.endswith(b"\r\n"):
            chunk = chunk[:-2]
        elif chunk.endswith(b"\n"):
            chunk = chunk[:-1]
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, data = chunk.partition(b"\n\n")
        if not sep:
            raise MultipartError("multipart part without a header block")
        headers: dict[str, str] = {}
        for line in re.split(rb"\r?\n", head):
            if not line.strip():
                continue
            k, _, v = line.decode("utf-8", "replace").partition(":")
            headers[k.strip().lower()] = v.strip()
        disp = headers.get("content-disposition")
        if not disp:
            raise MultipartError("multipart part without Content-Disposition")
        dkind, dparams = header_params(disp)
        if dkind != "form-data" or "name" not in dparams:
            raise MultipartError("multipart part is not form-data with a name")
        parts.append(
            Part(
                name=dparams["name"],
                data=data,
                filename=dparams.get("filename"),
                content_type=headers.get("content-type"),
            )
        )
    if not closed:
        raise MultipartError("multipart body is not terminated")
    return parts


def to_fields(parts: list[Part]) -> dict[str, Any]:
    """Fold parts into a dict: text fields as str, files as :class:`Part`, and
    bracketed names (``input_reference[image_url]``, the Stainless SDKs' encoding of
    nested objects) as nested dicts.  ``name[]`` becomes a list."""
    out: dict[str, Any] = {}
    for p in parts:
        value: Any = p if p.is_file else p.data.decode("utf-8", "replace")
        head, bracket, rest = p.name.partition("[")
        keys = [head] + (re.findall(r"\[([^\]]*)\]", bracket + rest) if bracket else [])
        as_list = len(keys) > 1 and keys[-1] == ""
        if as_list:
            keys = keys[:-1]
        target = out
        for key in keys[:-1]:
            nxt = target.get(key)
            if not isinstance(nxt, dict):
                nxt = target[key] = {}
            target = nxt
        if as_list:
            existing = target.get(keys[-1])
            if not isinstance(existing, list):
                existing = target[keys[-1]] = []
            existing.append(value)
        else:
            target[keys[-1]] = value
    return out


def encode(
    fields: dict[str, Any], boundary: str = "videonb-emulator-boundary"
) -> tuple[bytes, str]:
    """Encode text fields and ``(filename, bytes, content_type)`` tuples; returns
    (body, content type).  For tests that speak raw HTTP."""
    lines: list[bytes] = []
    for name, value in fields.items():
        lines.append(b"--" + boundary.encode())
        if isinstance(value, tuple):
            filename, data, ctype = value
            lines.append(
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'.encode()
            )
            lines.append(f"Content-Type: {ctype}".encode())
            lines.append(b"")
            lines.append(data)
        else:
            lines.append(f'Content-Disposition: form-data; name="{name}"'.encode())
            lines.append(b"")
            lines.append(str(value).encode("utf-8"))
    lines.append(b"--" + boundary.encode() + b"--")
    lines.append(b"")
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"
