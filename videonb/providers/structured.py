"""Structured answers from understanding models: the JSON schema, parsing, validation, repair.

Models are asked for ``{"summary", "moments": [{"start": "MM:SS", "end": "MM:SS", "label"}],
"answer"}``.  :func:`parse_analysis` accepts the JSON (also inside a ```json fence), checks
every field, converts ``MM:SS``/``H:MM:SS``/seconds to float seconds clamped to the video,
and raises :class:`~videonb.errors.ModelOutputError` with a precise reason, which the
provider sends back to the model once as a repair request.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..errors import ModelOutputError
from ..types import KeyMoment

__all__ = ["SCHEMA", "Parsed", "parse_analysis", "parse_timestamp", "repair_prompt"]

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "moments": {"type": "array", "items": {
            "type": "object",
            "properties": {"start": {"type": "string"}, "end": {"type": "string"},
                           "label": {"type": "string"}},
            "required": ["start", "end", "label"]}},
        "answer": {"type": ["string", "null"]},
    },
    "required": ["summary", "moments"],
}

_TS = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)\s*$")


def parse_timestamp(value: Any) -> float:
    """``"01:23"`` → 83.0, ``"1:02:03.5"`` → 3723.5, ``12.5``/``"12.5s"`` → 12.5."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().lower().rstrip("s").strip()
    m = _TS.match(text)
    if m:
        h, mnt, sec = m.groups()
        return int(h or 0) * 3600 + int(mnt) * 60 + float(sec)
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"not a timestamp: {value!r} (expected MM:SS)") from None


@dataclass
class Parsed:
    summary: str
    moments: list[KeyMoment]
    answer: str | None


def _extract_json(text: str) -> Any:
    t = text.strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", t, re.S)
    if fence:
        t = fence.group(1).strip()
    return json.loads(t)


#: Seconds a moment may run past the video's end (an ``MM:SS`` answer rounds up) before the
#: answer counts as wrong about the video.
PAST_END = 1.0


def parse_analysis(text: str, duration: float, *, final: bool = False,
                   provider: str | None = None) -> Parsed:
    """Validate a model's JSON answer; raise ModelOutputError naming what is wrong.

    Times are checked against ``duration``: a moment that starts or ends more than
    :data:`PAST_END` seconds after the end is a wrong answer (sent back once for repair,
    naming the length as ``MM:SS``); after the repair such moments are dropped, and what
    remains is clamped to the video."""
    try:
        data = _extract_json(text)
    except (json.JSONDecodeError, ValueError) as exc:
        raise ModelOutputError(_msg(f"the reply is not valid JSON ({exc.msg if hasattr(exc, 'msg') else exc})",
                                    final), provider=provider) from None
    if not isinstance(data, dict):
        raise ModelOutputError(_msg("the reply is JSON but not an object", final), provider=provider)
    summary = data.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise ModelOutputError(_msg("'summary' must be a non-empty string", final), provider=provider)
    raw_moments = data.get("moments", [])
    if not isinstance(raw_moments, list):
        raise ModelOutputError(_msg("'moments' must be a list", final), provider=provider)
    moments: list[KeyMoment] = []
    for i, m in enumerate(raw_moments):
        if not isinstance(m, dict):
            raise ModelOutputError(_msg(f"moments[{i}] must be an object", final), provider=provider)
        try:
            start = parse_timestamp(m.get("start", m.get("time")))
            end = parse_timestamp(m.get("end", m.get("start", m.get("time"))))
        except ValueError as exc:
            raise ModelOutputError(_msg(f"moments[{i}]: {exc}", final), provider=provider) from None
        if start > duration + PAST_END or end > duration + PAST_END:
            if not final:
                raise ModelOutputError(
                    f"moments[{i}] runs to {_mmss(max(start, end))}, but the video is only "
                    f"{_mmss(duration)} long; every time must be within 00:00-{_mmss(duration)}",
                    provider=provider)
            continue
        start = min(max(0.0, start), duration)
        end = min(max(start, end), duration)
        label = str(m.get("label", "")).strip()[:300]
        moments.append(KeyMoment(start, end, "event", 1.0, label))
    answer = data.get("answer")
    if answer is not None and not isinstance(answer, str):
        answer = json.dumps(answer)
    moments.sort(key=lambda k: k.start)
    return Parsed(summary.strip(), moments, answer.strip() if isinstance(answer, str) else None)


def _mmss(t: float) -> str:
    s = max(0, int(t))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def _msg(reason: str, final: bool) -> str:
    if final:
        return (f"The model's answer could not be used even after one repair request: {reason}. "
                f"Try again, or a stronger model.")
    return reason


def repair_prompt(reason: str) -> str:
    return (f"Your previous reply could not be used: {reason}. Reply again with only a JSON object "
            f"of the form {json.dumps({'summary': '...', 'moments': [{'start': 'MM:SS', 'end': 'MM:SS', 'label': '...'}], 'answer': None})}"
            " and nothing else.")
