"""Google video generation emulator: Gemini Omni through the interactions API (Gemini API
host) and Veo on Vertex AI (``predictLongRunning`` / ``fetchPredictOperation``), on top of
the :class:`~.gemini.GeminiEmulator` (same key check, error bodies, faults and Files API).

Endpoints (google-genai 3.6.1 sends exactly these; ``docs/emulators.md`` has the table):

- ``POST /{v}/interactions`` (``interactions.create``): ``model`` (the Omni ids of
  :data:`OMNI`; a shut-down id answers 404 "… is no longer available", an unknown one 404
  NOT_FOUND), ``input`` (a string, or content parts ``text`` / ``image`` / ``video`` with
  base64 ``data`` and ``mime_type``, or a ``uri``), ``response_format`` ``{"type":
  "video", "aspect_ratio": 16:9|9:16, "duration": "Ns", "resolution": 360p|720p|1080p|4k,
  "delivery": inline|uri}``, ``generation_config.video_config.task``, ``background``.  A
  background interaction answers at once (``status: queued``) and runs on the simulated
  clock (``in_progress`` → ``completed`` | ``failed`` | ``cancelled``); without
  ``background`` the answer is the finished interaction.  A completed interaction's last
  ``model_output`` step holds the video: base64 ``data`` (inline, the documented default)
  or a ``uri`` ``{base}/{v}/files/{id}:download?alt=media`` (a generated file: it
  downloads with the API key, and expires after ``output_ttl``).
- ``GET /{v}/interactions/{id}``, ``POST /{v}/interactions/{id}/cancel``,
  ``DELETE /{v}/interactions/{id}``.
- Vertex: ``POST /{v1beta1|v1}/[projects/{p}/locations/{l}/]publishers/google/models/
  {model}:predictLongRunning`` (``instances[0].prompt`` / ``.image``
  ``{bytesBase64Encoded, mimeType}``, ``parameters`` ``aspectRatio``, ``durationSeconds``
  4|6|8, ``resolution``, ``sampleCount``) → ``{"name": …/operations/{id}}``; ``POST
  …/models/{model}:fetchPredictOperation`` ``{"operationName"}`` → ``{name, done,
  response: {videos: [{bytesBase64Encoded, mimeType}], raiMediaFilteredCount}}`` or
  ``error``.  Vertex has no cancel for these operations.

Sources: google-genai 3.6.1 (``_gaos/interactions.py``, ``_gaos/types/interactions/``,
``models.py`` Vertex converters, ``operations.py``); ai.google.dev gemini-api/docs/omni as
quoted in providers.md section 11; Omni durations from oxen.ai / Vercel (third party).
What a moderated Omni interaction reports (``errors[].code``) is **UNCONFIRMED**: the
emulator answers ``SAFETY``; a moderated Veo operation answers ``raiMediaFilteredCount``
and reasons, as the SDK's response type has them.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from . import _media
from .gemini import GeminiEmulator
from .kit.faults import COMMON_FAULTS
from .kit.http import Invalid, Request, Response, iso8601, media_response

__all__ = ["GoogleEmulator", "OMNI", "OMNI_RETIRED", "VEO", "VEO_RETIRED"]

#: Omni ids served (interactions API) and their duration range in seconds.
OMNI = {"gemini-omni-1.1-flash": (3, 10), "gemini-omni-1.2-flash": (3, 15)}
OMNI_RETIRED = {"gemini-omni-flash-preview": "2026-09-30"}
#: Veo ids Vertex serves and their durations; the shut-down ones answer 404.
VEO = {"veo-3.1-generate-001": (4, 6, 8), "veo-3.1-fast-generate-001": (4, 6, 8)}
VEO_RETIRED = {"veo-3.0-generate-001", "veo-3.0-fast-generate-001", "veo-2.0-generate-001",
               "veo-3.1-generate-preview", "veo-3.1-fast-generate-preview",
               "veo-3.1-lite-generate-preview"}
RATIOS = ("16:9", "9:16")
RESOLUTIONS = ("360p", "720p", "1080p", "4k")
TASKS = ("text_to_video", "image_to_video", "reference_to_video", "edit", "extend", "upscale")
_STATE = {"pending": "queued", "throttled": "queued", "running": "in_progress",
          "succeeded": "completed", "failed": "failed", "cancelled": "cancelled"}


class GoogleEmulator(GeminiEmulator):
    """Loopback emulator of Gemini Omni (interactions) and Veo on Vertex, plus everything
    :class:`~.gemini.GeminiEmulator` serves.  ``clock.advance()`` moves jobs on;
    ``inject("moderation")`` / ``inject("job_failure", code=…)`` fail the next job."""

    provider = "google"
    provider_faults = COMMON_FAULTS | {"file_processing_failed"}
    moderation_code = "SAFETY"
    default_failure_code = "INTERNAL"
    default_failure_message = "The video could not be generated. Try again later."

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: interaction id → its request summary (model, task, delivery, sizes).
        self.interactions: dict[str, dict[str, Any]] = {}
        #: generated file id → (bytes, expiry on the simulated clock).
        self.generated: dict[str, tuple[bytes, float]] = {}
        #: Veo operation id → request summary.
        self.operations: dict[str, dict[str, Any]] = {}

    def setup_routes(self) -> None:
        super().setup_routes()
        v = r"/(?P<ver>v1beta|v1|v1alpha)"
        one = v + r"/interactions/(?P<id>[A-Za-z0-9_-]+)"
        self.route("POST", v + "/interactions", self._create, kind="submit",
                   name="interactions.create")
        self.route("GET", one, self._get, kind="poll", name="interactions.get")
        self.route("POST", one + "/cancel", self._cancel, kind="cancel",
                   name="interactions.cancel")
        self.route("DELETE", one, self._delete, kind="delete", name="interactions.delete")
        vx = (r"/(?P<ver>v1beta1|v1)/(?:projects/[^/]+/locations/[^/]+/)?"
              r"publishers/google/models/(?P<model>[^/:]+)")
        self.route("POST", vx + ":predictLongRunning", self._veo_create, kind="submit",
                   name="models.generate_videos")
        self.route("POST", vx + ":fetchPredictOperation", self._veo_fetch, kind="poll",
                   name="operations.get")

    # ---- interactions -----------------------------------------------------------------
    def _check_omni(self, model: Any, ver: str) -> tuple[int, int]:
        if not isinstance(model, str) or not model:
            raise Invalid("* CreateInteractionRequest.model: required")
        if model in OMNI_RETIRED:
            raise Invalid(f"models/{model} is no longer available (shut down "
                          f"{OMNI_RETIRED[model]}); use gemini-omni-1.1-flash.", status=404)
        if model not in OMNI:
            raise Invalid(f"models/{model} is not found for API version {ver}, or is not "
                          "supported for video generation.", status=404)
        return OMNI[model]

    def _parts(self, value: Any) -> list[dict[str, Any]]:
        if isinstance(value, str):
            return [{"type": "text", "text": value}]
        items = value if isinstance(value, list) else [value]
        # A list of content parts goes on the wire as steps: google-genai 3.6 wraps it in
        # one ``{"type": "user_input", "content": [...]}`` step.
        flat: list[Any] = []
        for item in items:
            if isinstance(item, dict) and item.get("type") == "user_input":
                flat.extend(item.get("content") or [])
            elif isinstance(item, dict) and item.get("type") == "model_output":
                continue  # earlier turns: context, not new input
            else:
                flat.append(item)
        items = flat
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or item.get("type") not in ("text", "image", "video",
                                                                       "audio"):
                raise Invalid(f"* input[{i}]: a content part needs type text, image, video or "
                              "audio.")
            if item["type"] != "text":
                data, uri = item.get("data"), item.get("uri")
                if not data and not uri:
                    raise Invalid(f"* input[{i}]: {item['type']} needs data or uri.")
                if data:
                    try:
                        raw = _media.b64decode(str(data))
                    except ValueError:
                        raise Invalid(f"* input[{i}].data: not base64.") from None
                    if item["type"] == "image" and _media.image_info(raw) is None:
                        raise Invalid(f"* input[{i}]: the image could not be decoded.")
                    if item["type"] == "video" and _media.video_duration(raw) is None:
                        raise Invalid(f"* input[{i}]: the video could not be decoded.")
            out.append(item)
        return out

    def _create(self, req: Request) -> Response:
        body = req.json()
        ver = req.match["ver"]  # type: ignore[index]
        if not isinstance(body, dict):
            raise Invalid("Invalid JSON payload received.")
        low, high = self._check_omni(body.get("model"), ver)
        parts = self._parts(body.get("input", ""))
        fmts = body.get("response_format") or {"type": "video"}
        fmt = next((f for f in (fmts if isinstance(fmts, list) else [fmts])
                    if isinstance(f, dict) and f.get("type") == "video"), {"type": "video"})
        ratio, res = fmt.get("aspect_ratio", "16:9"), fmt.get("resolution", "720p")
        delivery = fmt.get("delivery", "inline")
        if ratio not in RATIOS:
            raise Invalid(f"* response_format.aspect_ratio: {ratio!r} is not one of 16:9, 9:16.")
        if res not in RESOLUTIONS:
            raise Invalid(f"* response_format.resolution: {res!r} is not one of "
                          f"{', '.join(RESOLUTIONS)}.")
        if delivery not in ("inline", "uri"):
            raise Invalid(f"* response_format.delivery: {delivery!r} is not inline or uri.")
        seconds = float(self.video_seconds)
        if "duration" in fmt:
            text = str(fmt["duration"])
            try:
                asked = float(text[:-1]) if text.endswith("s") else float("nan")
            except ValueError:
                asked = float("nan")
            if not low <= asked <= high:
                raise Invalid(f"* response_format.duration: {text!r}: {body['model']} makes "
                              f"{low}-{high} s clips (\"8s\").")
        task = ((body.get("generation_config") or {}).get("video_config") or {}).get("task")
        if task is not None and task not in TASKS:
            raise Invalid(f"* generation_config.video_config.task: {task!r} is not one of "
                          f"{', '.join(TASKS)}.")
        if task == "extend" and not any(p["type"] == "video" for p in parts):
            raise Invalid("* input: task extend needs a video to continue.")
        iid = "int_" + secrets.token_hex(10)
        summary = {"model": body["model"], "task": task, "delivery": delivery, "ratio": ratio,
                   "resolution": res, "seconds": seconds, "version": ver,
                   "background": bool(body.get("background")),
                   "parts": [p["type"] for p in parts],
                   "previous": body.get("previous_interaction_id")}
        self.interactions[iid] = summary
        job = self.create_job(req, iid, summary)
        if not summary["background"]:
            self.clock.advance(self.job_seconds)
        return Response.json(200, self._interaction_json(iid, job))

    def _interaction_json(self, iid: str, job: Any) -> dict[str, Any]:
        state, _progress, now = self.scheduler.view(job)
        s = self.interactions[iid]
        out: dict[str, Any] = {"id": iid, "model": s["model"], "status": _STATE[state],
                               "created": iso8601(job.created, millis=False),
                               "updated": iso8601(now, millis=False)}
        if s["previous"]:
            out["previous_interaction_id"] = s["previous"]
        if state == "succeeded":
            data = _media.synthetic_mp4(320 if s["ratio"] == "16:9" else 180,
                                        180 if s["ratio"] == "16:9" else 320,
                                        seconds=s["seconds"])
            video: dict[str, Any] = {"type": "video", "mime_type": "video/mp4"}
            if s["delivery"] == "uri":
                fid = s.setdefault("file", "gen-" + secrets.token_hex(6))
                self.generated.setdefault(fid, (data, job.ended + self.output_ttl))
                video["uri"] = f"{self.base_url}/{s['version']}/files/{fid}:download?alt=media"
            else:
                video["data"] = base64.b64encode(data).decode()
            out["steps"] = [{"type": "user_input", "content": [{"type": t} for t in s["parts"]]},
                            {"type": "model_output", "content": [video]}]
            out["usage"] = {"total_output_tokens": int(5792 * s["seconds"])}
        elif state == "failed" and job.failure:
            out["errors"] = [{"code": job.failure[0], "message": job.failure[1]}]
        return out

    def _lookup(self, req: Request) -> tuple[str, Any]:
        iid = req.match["id"]  # type: ignore[index]
        job = self.scheduler.get(iid)
        if job is None or iid not in self.interactions:
            raise Invalid(f"Interaction {iid} was not found.", status=404)
        return iid, job

    def _get(self, req: Request) -> Response:
        iid, job = self._lookup(req)
        return Response.json(200, self._interaction_json(iid, job))

    def _cancel(self, req: Request) -> Response:
        iid, job = self._lookup(req)
        if self.scheduler.state(job) in ("succeeded", "failed"):
            raise Invalid(f"Interaction {iid} has already finished.", grpc="FAILED_PRECONDITION")
        self.scheduler.cancel(job)
        return Response.json(200, self._interaction_json(iid, job))

    def _delete(self, req: Request) -> Response:
        iid, _job = self._lookup(req)
        self.scheduler.remove(iid)
        self.interactions.pop(iid, None)
        return Response.json(200, {})

    def _download_file(self, req: Request) -> Response:
        fid = req.match["id"]  # type: ignore[index]
        entry = self.generated.get(fid)
        if entry is None:
            return super()._download_file(req)
        if self.output_expired(req, entry[1]):
            raise Invalid(f"You do not have permission to access the File {fid} or it may "
                          "not exist.", status=403)
        return media_response(req, entry[0], "video/mp4")

    # ---- Veo on Vertex ------------------------------------------------------------------
    def _veo_model(self, req: Request) -> tuple[int, ...]:
        model = req.match["model"]  # type: ignore[index]
        if model in VEO_RETIRED or model not in VEO:
            raise Invalid(f"Publisher Model `publishers/google/models/{model}` was not found or "
                          "your project does not have access to it.", status=404)
        return VEO[model]

    def _veo_create(self, req: Request) -> Response:
        durations = self._veo_model(req)
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("instances"), list) \
                or not body["instances"]:
            raise Invalid("* instances: required (one instance).")
        inst, params = body["instances"][0], body.get("parameters") or {}
        if not isinstance(inst, dict) or not (inst.get("prompt") or inst.get("image")):
            raise Invalid("* instances[0]: a prompt or an image is required.")
        image = inst.get("image")
        if image is not None:
            raw = _media.b64decode(str((image or {}).get("bytesBase64Encoded", "")))
            if _media.image_info(raw) is None:
                raise Invalid("* instances[0].image: the image could not be decoded.")
        if params.get("aspectRatio", "16:9") not in RATIOS:
            raise Invalid(f"* parameters.aspectRatio: {params.get('aspectRatio')!r} is not one "
                          "of 16:9, 9:16.")
        dur = params.get("durationSeconds", 8)
        if dur not in durations:
            raise Invalid(f"* parameters.durationSeconds: {dur!r} is not one of "
                          f"{', '.join(map(str, durations))}.")
        if params.get("resolution", "720p") not in ("720p", "1080p", "4k"):
            raise Invalid(f"* parameters.resolution: {params.get('resolution')!r}.")
        op_id = secrets.token_hex(16)
        model = req.match["model"]  # type: ignore[index]
        name = req.path.split(f"/{req.match['ver']}/", 1)[1].rsplit(":", 1)[0]  # type: ignore[index]
        self.operations[op_id] = {"model": model, "seconds": float(dur), "name": name,
                                  "ratio": params.get("aspectRatio", "16:9")}
        self.create_job(req, op_id, self.operations[op_id])
        return Response.json(200, {"name": f"{name}/operations/{op_id}"})

    def _veo_fetch(self, req: Request) -> Response:
        self._veo_model(req)
        body = req.json() if req.body else {}
        name = str((body or {}).get("operationName", ""))
        op_id = name.rsplit("/operations/", 1)[-1]
        job = self.scheduler.get(op_id)
        if job is None or op_id not in self.operations:
            raise Invalid(f"Operation {name[:200]} was not found.", status=404)
        state, _p, _now = self.scheduler.view(job)
        out: dict[str, Any] = {"name": name, "done": state in ("succeeded", "failed",
                                                                "cancelled")}
        if state == "succeeded":
            s = self.operations[op_id]
            wide = s["ratio"] == "16:9"
            data = _media.synthetic_mp4(320 if wide else 180, 180 if wide else 320,
                                        seconds=self.video_seconds)
            out["response"] = {
                "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                "videos": [{"bytesBase64Encoded": base64.b64encode(data).decode(),
                            "mimeType": "video/mp4"}], "raiMediaFilteredCount": 0}
        elif state == "failed" and job.failure:
            if job.failure[0] == self.moderation_code:
                out["response"] = {"videos": [], "raiMediaFilteredCount": 1,
                                   "raiMediaFilteredReasons": [job.failure[1]]}
            else:
                out["error"] = {"code": 13, "message": job.failure[1]}
        return Response.json(200, out)
