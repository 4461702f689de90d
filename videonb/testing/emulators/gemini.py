"""Gemini API emulator (``https://generativelanguage.googleapis.com``): video
understanding through ``generateContent`` and the Files API.

Auth: ``x-goog-api-key: <key>`` header (what google-genai sends) or ``?key=<key>``.
A wrong key gets Gemini's real answer (400 ``INVALID_ARGUMENT`` / ``API_KEY_INVALID``),
a missing one 403 ``PERMISSION_DENIED``.  Errors use Google's body
``{"error": {"code", "message", "status"}}``.

Endpoints, under ``/v1`` (google-genai 3.6's default API version), ``/v1beta`` and
``/v1alpha`` alike (the api-versions page: "all models are supported in both v1 and
v1beta"); ``docs/emulators.md`` has the fidelity table:

- ``GET /{v}/models`` (``pageSize``, ``pageToken``) and ``GET /{v}/models/{model}``: the
  models of :data:`.gemini_models.MODELS` (the ids google-genai 3.6 types); any other id,
  or a shut-down one such as ``gemini-1.5-flash``, answers 404 ``NOT_FOUND`` on every
  model route, ``generateContent`` included.
- ``POST /{v}/models/{model}:countTokens`` (``contents``, or a ``generateContentRequest``):
  ``totalTokens`` and ``promptTokensDetails``, counted as ``generateContent`` counts them.

- ``POST /v1beta/models/{model}:generateContent`` and ``:streamGenerateContent``
  (``?alt=sse``), in :mod:`.gemini_content`.  ``contents[].parts[]`` may hold ``text``,
  ``inline_data`` (base64, checked and probed with PyAV; the whole request may be at
  most ``max_request_bytes``, default 20 MB), ``file_data`` (``file_uri`` of an uploaded
  file: 403 if unknown, 400 ``FAILED_PRECONDITION`` unless it is ``ACTIVE``; YouTube
  URLs are accepted, never fetched) and ``video_metadata`` (``fps`` in (0, 24],
  ``start_offset``/``end_offset``).  ``generationConfig.responseMimeType`` /
  ``responseSchema`` / ``responseJsonSchema`` are honoured.  The answer text comes from
  ``responder(request_dict) -> str`` (default: JSON that satisfies the schema, else
  ``{summary, moments, answer}``); ``usageMetadata`` counts video tokens per sampled
  frame (258, or 70 on Gemini 3) plus audio.  Each request is summarised in
  :attr:`GeminiEmulator.generate_requests`.
- Files API (:mod:`.gemini_files`), resumable upload as google-genai does it:
  ``POST /upload/v1beta/files`` with ``X-Goog-Upload-Protocol: resumable``,
  ``X-Goog-Upload-Command: start`` and ``X-Goog-Upload-Header-Content-Length`` →
  ``X-Goog-Upload-URL`` response header; then POSTs to that URL with
  ``X-Goog-Upload-Command: upload`` / ``upload, finalize`` and ``X-Goog-Upload-Offset``
  (``query`` and ``cancel`` work too).  Every answer carries ``X-Goog-Upload-Status``
  (``active`` / ``final``); the finalize answer's body is ``{"file": {...}}`` with
  ``state: PROCESSING``, which turns ``ACTIVE`` after ``file_processing_seconds``
  (``FAILED`` when a video cannot be decoded).  ``GET /v1beta/files/{id}``,
  ``GET /v1beta/files`` (``pageSize``, ``pageToken``), ``DELETE /v1beta/files/{id}``.
  Files expire after ``file_ttl`` (48 h, simulated clock).

Faults: ``inject("502", body="html")`` (or ``"504"``) answers with Google's front-end
HTML error page instead of the API's JSON; ``"file_processing_failed"`` (or ``"job_failure"``, with ``message=``) makes the
next uploaded file end ``FAILED``; ``"expired_output"`` makes the next file lookup answer
as if the file had expired (403); ``"malformed_json"`` and ``"moderation"`` concern
``generateContent``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .gemini_content import GenerateContent
from .gemini_files import GeminiFile
from .gemini_models import MODELS, GeminiModel
from .kit.auth import AnyOf, Header, Query
from .kit.dialects import google_error
from .kit.faults import COMMON_FAULTS, Fault
from .kit.http import Invalid, Request, Response
from .kit.pages import page_by_token

__all__ = ["MODELS", "GeminiEmulator", "GeminiFile", "GeminiModel"]

_KEY_INVALID = "API key not valid. Please pass a valid API key."
#: What Google's front end answers for a 502 (an HTML page, not the API's JSON).
GFE_502 = (
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 502 (Server "
    "Error)!!1</title>\n  <p><b>502.</b> <ins>That’s an error.</ins>\n  <p>The server "
    "encountered a temporary error and could not complete your request.<p>Please try again "
    "in 30 seconds.  <ins>That’s all we know.</ins>\n"
)


class GeminiEmulator(GenerateContent):
    """Loopback emulator of the Gemini API's generateContent and Files API.

    Parameters (besides :class:`~videonb.testing.emulators.kit.Emulator`'s):

    responder
        ``callable(request_dict) -> str`` for the model's text (a dict is sent as JSON).
    models
        Model ids served (default: the model table, :data:`.gemini_models.MODELS`); an id
        given here that the table does not know is served with the token rule its name
        suggests.
    file_processing_seconds
        Time an uploaded file stays ``PROCESSING`` (default: ``job_seconds``).
    file_ttl
        Lifetime of an uploaded file (default 48 h).
    max_request_bytes
        Largest generateContent request (inline data included), default 20 MB.
    max_file_bytes
        Largest upload (default 2 GB).
    """

    provider = "gemini"
    provider_faults = COMMON_FAULTS | {"file_processing_failed"}
    auth = AnyOf(Header("x-goog-api-key"), Query("key"))

    def __init__(
        self,
        *,
        responder: Callable[[dict[str, Any]], Any] | None = None,
        models: set[str] | list[str] | tuple[str, ...] | None = None,
        file_processing_seconds: float | None = None,
        file_ttl: float = 48 * 3600,
        max_request_bytes: int = 20 * 1024 * 1024,
        max_file_bytes: int = 2 * 1024**3,
        **kwargs: Any,
    ) -> None:
        self.responder = responder
        self.models = set(models) if models is not None else None
        self._processing = file_processing_seconds
        self.file_ttl = float(file_ttl)
        self.max_request_bytes = int(max_request_bytes)
        self.max_file_bytes = int(max_file_bytes)
        #: One summary per generateContent request that reached the model.
        self.generate_requests: list[dict[str, Any]] = []
        super().__init__(**kwargs)
        self._init_files()

    @property
    def file_processing_seconds(self) -> float:
        return self.job_seconds if self._processing is None else self._processing

    def setup_routes(self) -> None:
        v = r"/(?P<ver>v1beta|v1|v1alpha)"
        model = v + r"/models/(?P<model>[^/:]+)"
        file = v + r"/files/(?P<id>[^/:]+)"
        self.route("GET", v + "/models", self._list_models, kind="models", name="models.list")
        self.route("GET", model, self._get_model, kind="models", name="models.get")
        self.route("POST", model + ":countTokens", self._count_tokens, kind="generate",
                   name="models.count_tokens")
        self.route("POST", model + ":generateContent", self._generate, kind="generate",
                   name="models.generate_content")
        self.route("POST", model + ":streamGenerateContent", self._generate_stream,
                   kind="generate", name="models.generate_content_stream")
        self.route("POST", "/upload" + v + "/files", self._upload, kind="upload",
                   name="files.upload", auth=lambda req: req.param("upload_id") is None)
        self.route("GET", v + "/files", self._list_files, kind="list", name="files.list")
        self.route("GET", file, self._get_file, kind="poll", name="files.get")
        self.route("GET", file + ":download", self._download_file, kind="download",
                   name="files.download")
        self.route("DELETE", file, self._delete_file, kind="delete", name="files.delete")

    def model_spec(self, model: str) -> GeminiModel | None:
        """The table's spec of *model* (or one made up for an id in ``models=``)."""
        if self.models is not None:
            if model not in self.models:
                return None
            return MODELS.spec(model) or GeminiModel(model, model.startswith(("gemini-3",
                                                                             "gemini-4")))
        return MODELS.spec(model)

    def check_model(self, req: Request, method: str = "generateContent") -> str:
        model, ver = req.match["model"], req.match["ver"]  # type: ignore[index]
        spec = self.model_spec(model)
        if spec is None or method not in spec.methods:
            raise Invalid(f"models/{model} is not found for API version {ver}, or is not supported "
                          f"for {method}. Call ListModels to see the list of available "
                          "models and their supported methods.", status=404)
        return model

    def _model_json(self, model: str, spec: GeminiModel) -> dict[str, Any]:
        return {"name": f"models/{model}", "version": "001", "displayName": spec.display_name,
                "description": spec.note or f"{spec.display_name} (emulated)",
                "inputTokenLimit": spec.input_limit, "outputTokenLimit": spec.output_limit,
                "supportedGenerationMethods": list(spec.methods), "temperature": 1.0,
                "topP": 0.95, "topK": 64, "maxTemperature": 2.0, "thinking": spec.gemini3}

    def _get_model(self, req: Request) -> Response:
        model = req.match["model"]  # type: ignore[index]
        spec = self.model_spec(model)
        if spec is None:
            raise Invalid(f"models/{model} is not found for API version "
                          f"{req.match['ver']}.", status=404)  # type: ignore[index]
        return Response.json(200, self._model_json(model, spec))

    def _list_models(self, req: Request) -> Response:
        try:
            size = max(1, min(int(req.param("pageSize") or 50), 1000))
        except ValueError:
            raise Invalid("Invalid value at 'page_size' (TYPE_INT32).") from None
        ids = sorted(self.models) if self.models is not None else MODELS.ids()
        try:
            page, token = page_by_token(ids, size, req.param("pageToken"))
        except ValueError:
            raise Invalid("Invalid page token.") from None
        out: dict[str, Any] = {"models": [self._model_json(m, self.model_spec(m)) for m in page]}
        if token:
            out["nextPageToken"] = token
        return Response.json(200, out)

    # ---- auth and error bodies -------------------------------------------------------
    def missing_key_response(self, req: Request) -> Response:
        return google_error(403, "Method doesn't allow unregistered callers (callers without "
                            "established identity). Please use API Key or other form of API "
                            "consumer identity to call this API.")

    def invalid_key_response(self, req: Request, key: str) -> Response:
        return google_error(400, _KEY_INVALID, details=[
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
             "domain": "googleapis.com",
             "metadata": {"service": "generativelanguage.googleapis.com"}},
            {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
             "message": _KEY_INVALID},
        ])

    def error_response(
        self, status: int, kind: str, req: Request, message: str | None = None, **extra: Any
    ) -> Response:
        defaults = {
            401: "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential. See "
            "https://developers.google.com/identity/sign-in/web/devconsole-project.",
            404: f"The requested URL {req.path} was not found on this server.",
            405: f"Method {req.method} is not allowed for {req.path}.",
            429: "Resource has been exhausted (e.g. check quota).",
            500: "An internal error has occurred. Please retry or report in "
            "https://developers.generativeai.google/guide/troubleshooting",
            502: "Bad Gateway.",
            503: "The model is overloaded. Please try again later.",
            504: "Deadline expired before operation could complete.",
        }
        return google_error(status, message or defaults.get(status, "Request contains an "
                                                            "invalid argument."))

    def invalid_response(self, exc: Invalid, req: Request) -> Response:
        return google_error(exc.status, exc.message, exc.extra.get("grpc"),
                            exc.extra.get("details"), exc.headers)

    def fault_response(self, fault: Fault, req: Request) -> Response:
        resp = super().fault_response(fault, req)
        if fault.kind in ("502", "504") and fault.options.get("body") == "html":
            # Google's front end's own error page (as it shows it on google.com), which a
            # gateway failure in front of the API may answer instead of the API's JSON.
            html = GFE_502 if fault.kind == "502" else GFE_502.replace("502", "504")
            resp.body, resp.content_type = html.encode(), "text/html; charset=UTF-8"
        if fault.kind == "429":  # Google puts the delay in a RetryInfo detail too
            delay = fault.options.get("retry_after", 1)
            body = json.loads(resp.body)
            body["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                         "retryDelay": f"{float(delay):g}s"}]
            resp.body = json.dumps(body, separators=(",", ":")).encode()
        return resp
