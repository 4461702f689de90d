"""Each emulator's model table against the installed official SDK's own type definitions.

The tables (``runway_models``, ``openai_models``, ``gemini_models``) are written out by
hand, so that the emulators do not need the SDKs; these tests read the SDKs' ``Literal``
types, ``TypedDict`` params, enums and docstrings with ``typing.get_type_hints`` /
``get_args`` and fail when a release changes a model id, a ratio, a duration, a size, a
detail level, a media resolution or a shutdown date the table does not have.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import typing
from typing import Literal, Union, get_args, get_origin, get_type_hints

import pytest
import typing_extensions as te

_WRAPPERS = (te.Required, te.NotRequired, typing.Required, typing.NotRequired)


def strip(t):
    """(the type inside Required/NotRequired/Annotated, whether it was Required)."""
    required = False
    while True:
        origin = get_origin(t)
        if origin in _WRAPPERS:
            required = required or origin in (te.Required, typing.Required)
            t = get_args(t)[0]
        elif origin in (typing.Annotated, te.Annotated):
            t = get_args(t)[0]
        else:
            return t, required


def alias(t) -> str | None:
    """The wire name of a field (the SDK's ``PropertyInfo(alias=...)``)."""
    while True:
        for meta in getattr(t, "__metadata__", ()) or ():
            if getattr(meta, "alias", None):
                return meta.alias
        if get_origin(t) in _WRAPPERS:
            t = get_args(t)[0]
        else:
            return None


def literals(t) -> list | None:
    """The values of a Literal (through Unions); a non-literal member stays as its type."""
    t, _ = strip(t)
    if get_origin(t) in (Literal, te.Literal):
        return list(get_args(t))
    if get_origin(t) is Union:
        out: list = []
        for arg in get_args(t):
            inner = literals(arg)
            out += [arg] if inner is None else inner
        return out
    return None


# ======================================================================================
# Runway: runwayml types/{text,image,video}_to_video_create_params.py
# ======================================================================================
RUNWAY_PARAMS = {"text_to_video": "text_to_video_create_params",
                 "image_to_video": "image_to_video_create_params",
                 "video_to_video": "video_to_video_create_params"}


def runway_variants():
    pytest.importorskip("runwayml")
    out = {}
    for endpoint, module in RUNWAY_PARAMS.items():
        mod = importlib.import_module(f"runwayml.types.{module}")
        union = getattr(mod, next(n for n in mod.__all__ if n.endswith("CreateParams")))
        docs = _field_docs(inspect.getsource(mod))
        for variant in get_args(union):
            hints = get_type_hints(variant, include_extras=True)
            model = literals(hints["model"])[0]
            fields = {alias(t) or name: (*strip(t), docs.get((variant.__name__, name), ""))
                      for name, t in hints.items()}
            out[(endpoint, model)] = fields
    return out


def _field_docs(source: str) -> dict[tuple[str, str], str]:
    """``(class, field) -> docstring`` from a module's source (the string after a field)."""
    docs = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef):
            for st, nxt in zip(node.body, node.body[1:] + [None]):
                if isinstance(st, ast.AnnAssign) and isinstance(nxt, ast.Expr) and \
                        isinstance(getattr(nxt, "value", None), ast.Constant):
                    docs[(node.name, st.target.id)] = " ".join(str(nxt.value.value).split())
    return docs


def image_positions(t):
    """(position values, required in every item shape) of a promptImage type, or None when
    the SDK types its items as ``object``."""
    t, _ = strip(t)
    items = []
    for arg in get_args(t) if get_origin(t) is Union else (t,):
        if get_origin(arg) is not None and "Iterable" in str(get_origin(arg)):
            item = get_args(arg)[0]
            items += list(get_args(item)) if get_origin(item) is Union else [item]
    if not items or any(not hasattr(i, "__annotations__") for i in items):
        return None
    values, required = [], True
    for item in items:
        hints = get_type_hints(item, include_extras=True)
        if "position" not in hints:
            required = False
            continue
        inner, req = strip(hints["position"])
        required = required and req
        values += [v for v in get_args(inner) if v not in values]
    return tuple(values), required


def test_runway_table_has_exactly_the_sdk_model_ids_per_endpoint():
    from videonb.testing.emulators.runway_models import MODELS

    sdk = runway_variants()
    assert set(MODELS) == set(sdk), (set(MODELS) ^ set(sdk))
    assert not set(MODELS.retired) & {m for _, m in sdk}  # a retired id is really gone


def test_runway_table_limits_match_the_sdk_types():
    from videonb.testing.emulators.runway_models import ANY, MODELS

    for (endpoint, model), f in runway_variants().items():
        spec = MODELS.spec(model, endpoint)
        where = f"{endpoint} {model}"
        # ratio: its choices, a free string, or no ratio at all
        if "ratio" not in f:
            assert spec.ratios is None, where
        else:
            choices = literals(f["ratio"][0])
            assert (spec.ratios == ANY) if choices is None else \
                (set(spec.ratios or ()) == set(choices)), where
            assert spec.ratio_required == f["ratio"][1], where
        # duration: choices, "auto", required, or absent
        assert spec.has_duration == ("duration" in f), where
        if "duration" in f:
            values = literals(f["duration"][0]) or []
            ints = tuple(v for v in values if isinstance(v, int))
            assert (spec.durations or ()) == ints, where
            assert spec.duration_auto == ("auto" in values), where
            assert spec.duration_required == f["duration"][1], where
            m = re.search(r"(?:from|between) (\d+) (?:to|and) (\d+)", f["duration"][2])
            if m and not ints:
                assert spec.duration_range == (int(m.group(1)), int(m.group(2))), where
        assert spec.prompt_required == f["promptText"][1], where
        m = re.search(r"up to (\d+) characters", f["promptText"][2])
        assert spec.prompt_max == (int(m.group(1)) if m else None), where
        media = [name for name in ("promptImage", "videoUri", "promptVideo") if name in f]
        assert [spec.media] == (media or [None]), where
        if "promptImage" in f:
            assert f["promptImage"][1], where
            pos = image_positions(f["promptImage"][0])
            if pos is None:
                assert spec.positions is None, where
            else:
                assert (spec.positions, spec.position_required) == pos, where
        choices = literals(f["resolution"][0]) if "resolution" in f else None
        assert spec.resolutions == (tuple(choices) if choices else None), where
        assert spec.audio == ("audio" in f), where


def test_runway_usage_report_model_names_cover_the_table():
    pytest.importorskip("runwayml")
    from runwayml.types.organization_retrieve_usage_response import ResultUsedCredit

    from videonb.testing.emulators.runway_models import MODELS

    usage_models = set(literals(ResultUsedCredit.model_fields["model"].annotation))
    assert set(MODELS.ids()) <= usage_models, set(MODELS.ids()) - usage_models


# ======================================================================================
# OpenAI: ChatModel, ResponsesModel, VideoModel/Size/Seconds, ImageDetail, FilePurpose
# ======================================================================================
def _shutdowns_from_docstring(source: str) -> tuple[dict[str, str], set[str]]:
    doc = source[source.index('"""Deprecated values'):]
    dates, unsupported = {}, set()
    for block in re.split(r"\n- ", doc):
        text = " ".join(block.split())
        ids = re.findall(r'"([^"]+)"', text)
        m = re.search(r"shutdown date: (\d{4}-\d{2}-\d{2})", text)
        for model in ids:
            if m:
                dates[model] = m.group(1)
            elif "Not a supported model ID" in text:
                unsupported.add(model)
    return dates, unsupported


def test_openai_table_has_the_sdk_chat_and_responses_models_and_their_shutdown_dates():
    pytest.importorskip("openai")
    from openai.types.shared import chat_model, responses_model

    from videonb.testing.emulators import openai_models as om

    chat = list(get_args(chat_model.ChatModel))
    responses = [m for m in literals(responses_model.ResponsesModel)
                 if isinstance(m, str) and m not in chat]
    assert om.CHAT_IDS == chat and om.RESPONSES_ONLY_IDS == responses
    assert om.MODELS.ids("chat") == chat
    assert set(om.MODELS.ids("responses")) == set(chat) | set(responses)
    dates, unsupported = _shutdowns_from_docstring(inspect.getsource(chat_model))
    assert om.SHUTDOWN == dates and om.UNSUPPORTED == unsupported
    assert set(om.RULES) == set(chat) | set(responses)  # every id has an image rule (or None)


def test_openai_video_models_sizes_and_seconds_match_the_sdk():
    pytest.importorskip("openai")
    from openai.types import video, video_model, video_seconds, video_size

    from videonb.testing.emulators import openai_models as om
    from videonb.testing.emulators.openai_videos import _STATUS

    assert set(om.MODELS.ids("videos")) == {m for m in literals(video_model.VideoModel)
                                            if isinstance(m, str)}
    assert om.SIZES_TYPED == get_args(video_size.VideoSize)
    assert om.SECONDS_TYPED == get_args(video_seconds.VideoSeconds)
    assert set(om.SIZES_STANDARD) <= set(om.SIZES_TYPED) <= set(om.SIZES_PRO)
    assert set(_STATUS.values()) == set(literals(video.Video.model_fields["status"].annotation))


def test_openai_detail_levels_and_file_purposes_match_the_sdk():
    pytest.importorskip("openai")
    from openai.types import file_purpose
    from openai.types.chat import chat_completion_content_part_image_param as image_param
    from openai.types.responses import image_detail

    from videonb.testing.emulators.openai_chat import DETAILS
    from videonb.testing.emulators.openai_files import FILE_PURPOSES

    chat_detail = literals(get_type_hints(image_param.ImageURL, include_extras=True)["detail"])
    assert set(DETAILS) == set(get_args(image_detail.ImageDetail)) == set(chat_detail)
    assert FILE_PURPOSES == get_args(file_purpose.FilePurpose)


# ======================================================================================
# Gemini: google-genai's Model Literal, MediaResolution enums, file states, API version
# ======================================================================================
def test_gemini_table_has_exactly_the_sdk_model_ids():
    pytest.importorskip("google.genai")
    from google.genai._gaos.types.interactions import model

    from videonb.testing.emulators import gemini_models as gm

    sdk = [m for m in literals(model.Model) if isinstance(m, str)]
    assert gm.SDK_IDS == sdk and gm.MODELS.ids() == sdk
    assert not set(gm.RETIRED) & set(sdk)


def test_gemini_media_resolutions_states_and_api_version_match_the_sdk():
    pytest.importorskip("google.genai")
    from google.genai import _api_client, types

    from videonb.testing.emulators import GeminiEmulator
    from videonb.testing.emulators import gemini_models as gm

    assert gm.GLOBAL_LEVELS == tuple(m.value for m in types.MediaResolution)
    assert gm.PART_LEVELS == tuple(m.value for m in types.PartMediaResolutionLevel)
    states = {s.value for s in types.FileState}
    assert {"PROCESSING", "ACTIVE", "FAILED"} <= states and "UPLOADED" in \
        {s.value for s in types.FileSource}
    assert {"TEXT", "IMAGE", "VIDEO", "AUDIO"} <= {m.value for m in types.MediaModality}
    version = _api_client.GOOGLE_AI_API_DEFAULT_VERSION
    patterns = [p for _, p, _, _ in GeminiEmulator().endpoints()]
    assert version == "v1" and all("v1beta|v1|v1alpha" in p for p in patterns
                                   if "models" in p or "files" in p)
