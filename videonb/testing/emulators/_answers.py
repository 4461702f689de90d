"""Default model answers for the text endpoints: JSON that satisfies the request's
schema (JSON Schema, OpenAPI-style Gemini ``Schema`` or Pydantic output), built from
what the request contains (its question, how many videos and images, their length).

Course authors replace this with their own ``responder(request_dict) -> str``; the
helpers here are public so a custom responder can reuse them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AnswerContext:
    """What a responder may want to know about a request, provider-independent."""

    question: str = ""
    videos: int = 0
    images: int = 0
    video_seconds: float | None = None  # length of the (first) video, when known
    model: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def mmss(seconds: float, *, up: bool = False) -> str:
    """``MM:SS`` (``H:MM:SS`` past an hour), rounded down (or up with ``up=True``)."""
    s = max(0, int(math.ceil(seconds) if up else math.floor(seconds)))
    if s >= 3600:
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return f"{s // 60:02d}:{s % 60:02d}"


def default_answer(ctx: AnswerContext) -> dict[str, Any]:
    """``{summary, moments: [{start, end, label}], answer}`` for *ctx*."""
    dur = ctx.video_seconds if ctx.video_seconds and ctx.video_seconds > 0 else 2.0
    half = dur / 2
    what = []
    if ctx.videos:
        what.append(f"{ctx.videos} video{'s' if ctx.videos != 1 else ''}")
    if ctx.images:
        what.append(f"{ctx.images} image{'s' if ctx.images != 1 else ''}")
    seen = " and ".join(what) or "no media"
    q = " ".join(ctx.question.split())
    return {
        "summary": f"Emulated summary of {seen} ({dur:.1f} s): a gradient drifts while a white box moves left to right.",
        "moments": [
            {"start": mmss(0), "end": mmss(half, up=True), "label": "box enters from the left"},
            {"start": mmss(half), "end": mmss(dur, up=True), "label": "box reaches the right edge"},
        ],
        "answer": f"Emulated answer to: {q[:200]}" if q else "Emulated answer.",
    }


def default_text(ctx: AnswerContext) -> str:
    a = default_answer(ctx)
    moments = "; ".join(f"{m['start']}-{m['end']} {m['label']}" for m in a["moments"])
    return f"{a['answer']}\n\n{a['summary']}\nKey moments: {moments}."


# --------------------------------------------------------------------------------------
# Schema-driven fake values
# --------------------------------------------------------------------------------------
def _type_of(schema: dict[str, Any]) -> str | None:
    t = schema.get("type")
    if isinstance(t, list):
        non_null = [x for x in t if str(x).lower() != "null"]
        t = non_null[0] if non_null else "null"
    if t is None:
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        if "enum" in schema:
            return "string"
        return None
    return str(t).lower()


def _resolve(schema: Any, root: dict[str, Any], refs: list[str] | None = None) -> dict[str, Any]:
    """Follow ``$ref`` pointers (``#/$defs/X``); the refs followed are added to *refs*."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        ref = schema["$ref"]
        seen += 1
        if not isinstance(ref, str) or not ref.startswith("#"):
            return {}
        if refs is not None:
            refs.append(ref)
        node: Any = root
        for part in ref.lstrip("#").strip("/").split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema = node
    return schema if isinstance(schema, dict) else {}


#: Most values one generated answer may contain; recursive schemas (trees) stop growing here.
MAX_NODES = 2000
MAX_DEPTH = 10


def _minimal(s: dict[str, Any]) -> Any:
    options = s.get("anyOf") or s.get("oneOf") or s.get("any_of") or s.get("one_of") or []
    if s.get("nullable") or any(isinstance(o, dict) and _type_of(o) == "null" for o in options):
        return None
    return {
        "object": {},
        "array": [],
        "string": "",
        "integer": 0,
        "number": 0,
        "boolean": False,
    }.get(_type_of(s) or "", None)


def from_schema(
    schema: Any, ctx: AnswerContext, *, root: dict[str, Any] | None = None, name: str = ""
) -> Any:
    """A value that validates against *schema*, filled from :func:`default_answer`
    where the property names match (summary, moments/start/end/label, answer).

    Recursive schemas are cut where a ``$ref`` would repeat itself on the current path
    (an empty list, object or null there), and at most :data:`MAX_NODES` values are
    generated, so a tree-shaped schema cannot make the answer explode."""
    if root is None:
        root = schema if isinstance(schema, dict) else {}
    budget = [MAX_NODES]
    defaults = default_answer(ctx)
    return _generate(schema, ctx, root, name, (), 0, budget, defaults)


def _generate(
    schema: Any,
    ctx: AnswerContext,
    root: dict[str, Any],
    name: str,
    path: tuple[str, ...],
    depth: int,
    budget: list[int],
    defaults: dict[str, Any],
) -> Any:
    refs: list[str] = []
    s = _resolve(schema, root, refs)
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH or any(r in path for r in refs):
        return _minimal(s)
    path = path + tuple(refs)

    def sub(node: Any, key: str, c: AnswerContext = ctx) -> Any:
        return _generate(node, c, root, key, path, depth + 1, budget, defaults)

    for key in ("anyOf", "oneOf", "any_of", "one_of"):
        if key in s and isinstance(s[key], list) and s[key]:
            non_null = [o for o in s[key] if _type_of(_resolve(o, root)) != "null"] or s[key]
            return sub(non_null[0], name)
    if "allOf" in s and isinstance(s["allOf"], list):
        merged: dict[str, Any] = {}
        for o in s["allOf"]:
            o = _resolve(o, root)
            for k, v in o.items():
                if k == "properties" and isinstance(v, dict):
                    merged.setdefault("properties", {}).update(v)
                else:
                    merged.setdefault(k, v)
        return sub(merged, name)
    if "const" in s:
        return s["const"]
    if "enum" in s and isinstance(s["enum"], list) and s["enum"]:
        return s["enum"][0]
    t = _type_of(s)
    lname = name.lower()
    if t == "object":
        props = s.get("properties") or {}
        first = list(s.get("propertyOrdering") or s.get("property_ordering") or [])
        order = first + [k for k in props if k not in first]
        return {k: sub(props[k], k) for k in order if k in props}
    if t == "array":
        items = s.get("items") or {}
        lo = int(s.get("minItems", s.get("min_items", 0)) or 0)
        hi = s.get("maxItems", s.get("max_items"))
        n = max(2, lo)
        if hi is not None:
            n = min(n, int(hi))
        out = []
        for i in range(n):
            c = AnswerContext(**{**ctx.__dict__, "extra": {**ctx.extra, "index": i}})
            out.append(sub(items, _singular(lname), c))
        return out
    if t == "string":
        return _string_for(lname, s, ctx, defaults)
    if t == "integer":
        return int(_number_for(lname, s, ctx))
    if t == "number":
        return float(_number_for(lname, s, ctx))
    if t == "boolean":
        return True
    if t == "null":
        return None
    # No type: fall back on the name, else a string.
    if lname in defaults:
        return defaults[lname]
    return _string_for(lname, s, ctx, defaults)


def _singular(name: str) -> str:
    return name.removesuffix("s")


def _index(ctx: AnswerContext) -> int:
    return int(ctx.extra.get("index", 0))


def _string_for(lname: str, s: dict[str, Any], ctx: AnswerContext, defaults: dict[str, Any]) -> str:
    moments = defaults["moments"]
    m = moments[min(_index(ctx), len(moments) - 1)]
    fmt = str(s.get("format") or "")
    if fmt == "date-time":
        value = "2026-01-01T00:00:00Z"
    elif fmt == "date":
        value = "2026-01-01"
    elif lname in ("start", "start_time", "starttime", "from", "begin"):
        value = m["start"]
    elif lname in ("end", "end_time", "endtime", "to", "until"):
        value = m["end"]
    elif lname in ("time", "timestamp", "at", "t"):
        value = m["start"]
    elif lname in ("label", "title", "name", "description", "caption", "event", "moment"):
        value = m["label"]
    elif lname in ("summary", "overview", "synopsis"):
        value = defaults["summary"]
    elif lname in ("answer", "response", "reply", "text", "result"):
        value = defaults["answer"]
    else:
        value = f"emulated {lname or 'value'}"
    lo = s.get("minLength", s.get("min_length"))
    hi = s.get("maxLength", s.get("max_length"))
    if lo is not None and len(value) < int(lo):
        value = value + "x" * (int(lo) - len(value))
    if hi is not None:
        value = value[: int(hi)]
    return value


def _number_for(lname: str, s: dict[str, Any], ctx: AnswerContext) -> float:
    lo = s.get("minimum")
    hi = s.get("maximum")
    dur = ctx.video_seconds or 2.0
    i = _index(ctx)
    if lname in (
        "start",
        "start_seconds",
        "start_time",
        "begin",
        "from",
        "time",
        "timestamp",
        "t",
        "seconds",
    ):
        value = (dur / 2) * i
    elif lname in ("end", "end_seconds", "end_time", "to", "until"):
        value = (dur / 2) * (i + 1)
    elif lname in ("confidence", "score", "probability"):
        value = 0.9
    elif lname in ("count", "n", "number"):
        value = max(ctx.videos + ctx.images, 1)
    else:
        value = 1
    if lo is not None:
        value = max(value, float(lo))
    if hi is not None:
        value = min(value, float(hi))
    return value


def answer_text(schema: Any | None, json_mode: bool, ctx: AnswerContext) -> str:
    """The default responder's text: schema-shaped JSON, the default JSON object in
    JSON mode, else plain text."""
    if schema:
        return json.dumps(from_schema(schema, ctx), ensure_ascii=False)
    if json_mode:
        return json.dumps(default_answer(ctx), ensure_ascii=False)
    return default_text(ctx)


def break_json(text: str) -> str:
    """Turn valid JSON text into invalid JSON the way a truncated model answer looks."""
    if len(text) < 4:
        return '{"summary": "'
    cut = max(2, int(len(text) * 0.6))
    broken = text[:cut].rstrip("}] ,")
    if broken.count('"') % 2 == 0:
        broken += ', "'  # a dangling key
    return broken


def respond(responder: Any, body: dict[str, Any], default: Any) -> str:
    """The model's text for a request: ``responder(body)`` when the emulator has one (a
    non-string result is sent as JSON), else ``default()``."""
    if responder is None:
        return default()
    out = responder(body)
    return out if isinstance(out, str) else json.dumps(out)


def text_tokens(text: str) -> int:
    """Tokens of *text* by the usual rule of thumb (four characters a token, at least one)."""
    return max(1, math.ceil(len(text) / 4)) if text else 0
