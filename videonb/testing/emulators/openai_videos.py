"""The OpenAI Videos (Sora 2) API on the emulator kit: create (multipart as the SDK
sends it, or JSON), list, retrieve, delete, download content, remix, edits, extensions
and characters (openai 3.57 ``resources/videos.py``).  A mixin of
:class:`~videonb.testing.emulators.openai.OpenAIEmulator`, which holds the routes, the
model table (``sizes`` per model), auth and error bodies; jobs, faults and expiry are
the kit's."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any

from . import _media, _multipart
from .kit.dialects import openai_check, openai_listing, openai_page
from .kit.emulator import Emulator
from .kit.http import Invalid, Request, Response, media_response
from .kit.jobs import Job
from .kit.models import ModelTable
from .openai_models import SECONDS, SIZES_PRO, SIZES_STANDARD

__all__ = ["SECONDS", "SIZES_PRO", "SIZES_STANDARD", "VIDEO_FAILURES", "VideosAPI"]

#: Machine codes and messages for failed video jobs.
VIDEO_FAILURES = {
    "moderation_blocked": "Your request was blocked by our moderation system.",
    "video_generation_failed": "Video generation failed. Please try again.",
    "internal_error": "An internal error occurred while generating the video.",
}
#: Extensions: at most 6 per video and 120 s in all [OpenAI skills notes, providers.md §1].
MAX_EXTENSIONS, MAX_TOTAL_SECONDS = 6, 120
_STATUS = {"pending": "queued", "throttled": "queued", "running": "in_progress",
           "succeeded": "completed", "failed": "failed", "cancelled": "failed"}


class VideosAPI(Emulator):
    """The handlers of the ``/v1/videos`` routes (the OpenAI emulator registers them)."""

    models: ModelTable[Any]
    vision_file: Callable[[Any, str], bytes]  # FilesAPI's
    poll_after_ms: int

    @property
    def characters(self) -> dict[str, dict[str, Any]]:
        """Characters made with ``videos.create_character``, by id."""
        if not hasattr(self, "_characters"):
            self._characters: dict[str, dict[str, Any]] = {}
        return self._characters

    def _video_headers(self) -> dict[str, str]:
        return {"openai-poll-after-ms": str(self.poll_after_ms)}

    def _video_fields(self, req: Request) -> dict[str, Any]:
        try:
            form = req.form()
        except _multipart.MultipartError as exc:
            raise Invalid(f"Could not parse multipart form: {exc}.") from None
        if form is not None:
            return form
        try:
            body = req.json()
        except ValueError:
            raise Invalid("We could not parse the JSON body of your request.") from None
        if body is not None and not isinstance(body, dict):
            raise Invalid("Invalid type for request body: expected an object.", code="invalid_type")
        return body or {}

    @staticmethod
    def _prompt(f: dict[str, Any]) -> str:
        prompt = f.get("prompt")
        openai_check(None if prompt == "" else prompt, "prompt", required=True, type="string",
                     maximum=32000)
        return prompt

    def _video_create(self, req: Request) -> Response:
        params = self._check_video(self._video_fields(req))
        job = self._new_video(req, params)
        return Response.json(200, self._video_json(job), self._video_headers())

    def _check_video(self, f: dict[str, Any]) -> dict[str, Any]:
        prompt = f.get("prompt")
        openai_check(None if prompt == "" else prompt, "prompt", required=True, type="string",
                     maximum=32000)
        model = str(f.get("model") or "sora-2")
        ids = self.models.ids("videos")
        listed = tuple(m for m in ids if self.models.spec(m, "videos").listed)
        openai_check(model, "model", shown=listed, choices=ids)
        seconds = f.get("seconds", "4")
        seconds = str(seconds) if not isinstance(seconds, bool) else seconds
        openai_check(seconds, "seconds", choices=SECONDS)
        size = str(f.get("size") or "720x1280")
        openai_check(size, "size", choices=SIZES_PRO)
        sizes = self.models.spec(model, "videos").sizes
        if size not in sizes:
            raise Invalid(f"The size '{size}' is not supported by model '{model}'. Supported "
                          f"sizes: {openai_listing(sizes)}.", param="size", code="invalid_value")
        ref = f.get("input_reference")
        if ref is not None:
            self._check_reference(ref, size)
        return {"prompt": prompt, "model": model, "seconds": seconds, "size": size}

    def _check_reference(self, ref: Any, size: str) -> None:
        data: bytes | None = None
        where = "input_reference"
        if isinstance(ref, dict):
            keys = [k for k in ("image_url", "file_id") if ref.get(k)]
            if len(keys) != 1:
                raise Invalid("Invalid 'input_reference': provide exactly one of 'image_url' or "
                              "'file_id'.", param=where, code="invalid_value")
            if keys[0] == "file_id":
                ref = _multipart.Part("input_reference",
                                      self.vision_file(ref["file_id"], "input_reference.file_id"))
                where = "input_reference.file_id"
            else:
                ref, where = ref["image_url"], "input_reference.image_url"
                if len(ref) > 20_971_520:
                    raise Invalid("Invalid 'input_reference.image_url': string too long.",
                                  param=where, code="string_above_max_length")
                if not ref.startswith("data:"):
                    return  # a URL: never fetched
        if isinstance(ref, _multipart.Part):
            data = ref.data
        elif isinstance(ref, str) and ref.startswith("data:"):
            try:
                _, data = _media.parse_data_uri(ref)
            except _media.DataURIError:
                raise Invalid("Invalid base64 image_url.", param=where,
                              code="invalid_image_url") from None
        else:
            raise Invalid("Invalid 'input_reference': expected a file or an object.",
                          param="input_reference", code="invalid_type")
        info = _media.image_info(data)
        if info is None or info[0] not in ("image/png", "image/jpeg", "image/webp"):
            raise Invalid("Invalid file format. Supported formats are: 'image/jpeg', 'image/png', "
                          "and 'image/webp'.", param="input_reference", code="unsupported_file")
        w, h = (int(x) for x in size.split("x"))
        if (info[1], info[2]) != (w, h):
            raise Invalid("Inpaint image must match the requested width and height")

    def _new_video(self, req: Request, params: dict[str, Any], remixed_from: str | None = None):
        job_id = "video_" + uuid.uuid4().hex + secrets.token_hex(4)
        return self.create_job(req, job_id, {**params, "remixed_from_video_id": remixed_from})

    def _video_json(self, job: Job) -> dict[str, Any]:
        state, progress, _ = self.scheduler.view(job)
        status = _STATUS[state]
        ended = job.ended if state in ("succeeded", "failed") else None
        d = job.data
        return {
            "id": job.id,
            "object": "video",
            "model": d["model"],
            "status": status,
            "progress": {"completed": 100, "in_progress": int(progress * 100)}.get(status, 0),
            "created_at": int(job.created),
            "completed_at": int(ended) if ended is not None else None,
            "expires_at": int(ended + self.output_ttl)
            if state == "succeeded" and ended is not None
            else None,
            "prompt": d["prompt"],
            "size": d["size"],
            "seconds": d["seconds"],
            "remixed_from_video_id": d.get("remixed_from_video_id"),
            "error": {"code": job.failure[0], "message": job.failure[1]}
            if state == "failed" and job.failure
            else None,
        }

    def _find(self, req: Request) -> Job:
        vid = req.match["id"]  # type: ignore[index]
        job = self.scheduler.get(vid)
        if job is None or job.data.get("deleted"):
            raise Invalid(f"Video with id '{vid}' not found.", status=404, code="video_not_found")
        return job

    def _video_get(self, req: Request) -> Response:
        return Response.json(200, self._video_json(self._find(req)), self._video_headers())

    def _video_list(self, req: Request) -> Response:
        jobs = [j for j in self.scheduler.all() if not j.data.get("deleted")]
        return openai_page(req, jobs, minimum=0, key=lambda j: j.id, render=self._video_json)

    def _video_delete(self, req: Request) -> Response:
        job = self._find(req)
        if self.scheduler.state(job) in ("pending", "throttled", "running"):
            self.scheduler.cancel(job)
        job.data["deleted"] = True
        return Response.json(200, {"id": job.id, "object": "video.deleted", "deleted": True})

    def _video_content(self, req: Request) -> Response:
        job = self._find(req)
        variant = req.param("variant") or "video"
        openai_check(variant, "variant", choices=("video", "thumbnail", "spritesheet"))
        state = self.scheduler.state(job)
        if state != "succeeded":
            failed = state == "failed"
            raise Invalid(f"Video '{job.id}' is not ready for download: its status is "
                          f"'{_STATUS[state]}'.", status=404 if failed else 400,
                          code="video_not_found" if failed else "video_not_ready")
        if self.output_expired(req, job.ended + self.output_ttl):
            raise Invalid(f"The content of video '{job.id}' has expired and is no longer "
                          "available.", status=410, code="video_expired")
        w, h = (int(x) for x in job.data["size"].split("x"))
        if variant == "thumbnail":
            return media_response(req, _media.thumbnail_webp(w, h), "image/webp")
        if variant == "spritesheet":
            return media_response(req, _media.spritesheet_jpeg(w, h), "image/jpeg")
        mp4 = _media.synthetic_mp4(w, h, self.video_seconds)
        return media_response(req, mp4, "video/mp4")

    def _video_remix(self, req: Request) -> Response:
        source = self._find(req)
        prompt = self._video_fields(req).get("prompt")
        if not prompt:
            raise Invalid("Missing required parameter: 'prompt'.", param="prompt",
                          code="missing_required_parameter")
        if not isinstance(prompt, str) or len(prompt) > 32000:
            raise Invalid("Invalid 'prompt': expected a string of at most 32000 characters.",
                          param="prompt", code="invalid_value")
        if self.scheduler.state(source) != "succeeded":
            raise Invalid(f"Video '{source.id}' must be completed before it can be remixed.",
                          code="invalid_value")
        params = {k: source.data[k] for k in ("model", "seconds", "size")}
        job = self._new_video(req, {**params, "prompt": prompt}, remixed_from=source.id)
        return Response.json(200, self._video_json(job), self._video_headers())

    # ---- edits, extensions, characters ---------------------------------------------------
    def _source_video(self, value: Any, param: str) -> Job | None:
        """The completed video a ``{"id": ...}`` reference names; None for an uploaded file."""
        if isinstance(value, _multipart.Part):
            return None
        vid = value.get("id") if isinstance(value, dict) else None
        if not isinstance(vid, str) or not vid:
            raise Invalid(f"Missing required parameter: '{param}'.", param=param,
                          code="missing_required_parameter")
        job = self.scheduler.get(vid)
        if job is None or job.data.get("deleted"):
            raise Invalid(f"Video with id '{vid}' not found.", status=404, code="video_not_found")
        if self.scheduler.state(job) != "succeeded":
            raise Invalid(f"Video '{vid}' must be completed before it can be used.",
                          param=param, code="invalid_value")
        return job

    def _video_edit(self, req: Request) -> Response:
        f = self._video_fields(req)
        prompt = self._prompt(f)
        source = self._source_video(f.get("video"), "video")
        if source is None:  # an uploaded video: eligible customers only, with a model named
            if not f.get("model"):
                raise Invalid("Missing required parameter: 'model' (edits of an uploaded video "
                              "must name the model).", param="model",
                              code="missing_required_parameter")
            model = str(f["model"])
            openai_check(model, "model", choices=self.models.ids("videos"))
            if _media.video_duration(f["video"].data) is None:
                raise Invalid("Invalid file format: the video could not be decoded.",
                              param="video", code="unsupported_file")
            params = {"model": model, "seconds": "4", "size": "720x1280"}
        else:
            params = {k: source.data[k] for k in ("model", "seconds", "size")}
        job = self._new_video(req, {**params, "prompt": prompt})
        return Response.json(200, self._video_json(job), self._video_headers())

    def _video_extend(self, req: Request) -> Response:
        f = self._video_fields(req)
        prompt = self._prompt(f)
        seconds = f.get("seconds")
        openai_check(None if seconds is None else str(seconds), "seconds", required=True,
                     choices=SECONDS)
        source = self._source_video(f.get("video"), "video")
        if source is None:
            raise Invalid("Invalid 'video': extensions take a completed video by id.",
                          param="video", code="invalid_value")
        count = int(source.data.get("extensions", 0)) + 1
        total = int(source.data["seconds"]) + int(str(seconds))
        if count > MAX_EXTENSIONS or total > MAX_TOTAL_SECONDS:
            raise Invalid(f"A video can be extended at most {MAX_EXTENSIONS} times and up to "
                          f"{MAX_TOTAL_SECONDS} seconds in total.", param="video",
                          code="invalid_value")
        params = {"model": source.data["model"], "size": source.data["size"],
                  "seconds": str(total), "prompt": prompt, "extensions": count}
        job = self._new_video(req, params)
        return Response.json(200, self._video_json(job), self._video_headers())

    def _character_create(self, req: Request) -> Response:
        f = self._video_fields(req)
        name = f.get("name")
        openai_check(None if name == "" else name, "name", required=True, type="string",
                     maximum=80)
        video = f.get("video")
        if not isinstance(video, _multipart.Part):
            raise Invalid("Missing required parameter: 'video'.", param="video",
                          code="missing_required_parameter")
        if _media.video_duration(video.data) is None:
            raise Invalid("Invalid file format: the video could not be decoded.", param="video",
                          code="unsupported_file")
        char = {"id": "char_" + uuid.uuid4().hex, "name": name,
                "created_at": int(self.clock.now())}
        self.characters[char["id"]] = char
        return Response.json(200, char)

    def _character_get(self, req: Request) -> Response:
        cid = req.match["id"]  # type: ignore[index]
        char = self.characters.get(cid)
        if char is None:
            raise Invalid(f"Character with id '{cid}' not found.", status=404,
                          code="character_not_found")
        return Response.json(200, char)
