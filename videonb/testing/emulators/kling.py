"""Kling API emulator (``https://api-singapore.klingai.com``; Beijing: ``api-beijing``).

Kling publishes no SDK; this follows its API reference as copied in third-party mirrors
(read 2026-12-01; ``docs/emulators.md`` has the fidelity table):

- **Auth**: ``Authorization: Bearer <JWT>``, HS256 over ``{"iss": access key, "exp", "nbf"}``
  signed with the secret key.  The emulator verifies it with its own HS256 code against
  ``keys`` (access key → secret key) and its simulated clock; refusals are Kling's 401 codes:
  1001 no Authorization, 1002 invalid (bad signature, unknown ``iss``, not a JWT, not HS256),
  1003 not yet valid (``nbf``), 1004 expired (``exp``).  ``tokens`` lists the payloads of the
  valid tokens seen, in order.
- ``POST /v1/videos/text2video`` and ``/v1/videos/image2video`` → the envelope ``{"code": 0,
  "message": "SUCCEED", "request_id", "data": {"task_id", "task_status": "submitted",
  "task_info": {"external_task_id"}, "created_at", "updated_at"}}`` (ms).  Bodies are checked
  against :data:`.kling_models.MODELS`: ``model_name`` per endpoint (empty means ``kling-v1``,
  as the reference says of the old ``model`` field), ``mode``, ``duration`` (a string),
  ``aspect_ratio``, ``sound`` (v2.6 and later), prompt and negative prompt at most 2,500
  characters, ``cfg_scale`` in [0, 1], ``image`` / ``image_tail`` as a URL or **bare** base64
  of a JPG/PNG (no ``data:`` prefix), at most 10 MB, at least 300 px a side, aspect 1:2.5 to
  2.5:1, ``external_task_id`` unique per account.  Refusals are 400 with code 1201.
- ``GET /v1/videos/{text2video|image2video}/{task_id or external_task_id}`` → the task:
  ``submitted`` → ``processing`` → ``succeed`` (``task_result.videos: [{id, url, duration}]``)
  / ``failed`` (``task_status_msg``).  ``GET /v1/videos/{endpoint}?pageNum=&pageSize=`` lists.
- ``GET /outputs/{id}.mp4?exp=…&sig=…`` (no auth, a signed CDN link, 30 days) → the video.
- Account: ``units`` (resource pack, default 1000) charged at submit in the model's units per
  second and refunded for a failed task; an empty pack answers 429 code 1102.
  ``concurrency`` caps tasks between submit and their end: one more answers 429 code 1303
  "parallel task over resource pack limit" (Kling counts occupancy from ``submitted`` to the
  end, and does not queue the excess).
- There is no cancel route (the reference lists none).

Faults: the kit's, with Kling's envelope and codes (``"401"`` → 1000, ``"429"`` → 1302,
``"500"`` → 5000, ``"502"``/``"503"`` → 5001, ``"504"`` → 5002); ``"1301"`` (the next create
refused by content security, 400), ``"1303"`` and ``"1102"`` (the next create refused as
above); ``"moderation"`` (the next task fails with a risk-control message) and
``"job_failure"`` (``message=``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import uuid
from typing import Any

from . import _media
from .kit.billing import Wallet
from .kit.emulator import Emulator
from .kit.http import Invalid, Request, Response, media_response
from .kit.jobs import Job
from .kling_models import I2V, MODELS, PROMPT_MAX, RATIOS, T2V, KlingModel

__all__ = ["KlingEmulator", "MODELS", "TEST_KEYS", "verify_jwt"]

#: The key pair an emulator accepts by default.
TEST_KEYS = {"ak-test": "placeholder-kling-secret-0123456789ab"}

#: HTTP status and message of each Kling service code the emulator answers
#: (General Info page's error table; the rows past 1102 as widely quoted, UNCONFIRMED).
CODES: dict[int, tuple[int, str]] = {
    1000: (401, "Authentication failed"),
    1001: (401, "Authorization is empty"),
    1002: (401, "Authorization is invalid"),
    1003: (401, "Authorization is not yet valid"),
    1004: (401, "Authorization has expired"),
    1102: (429, "Resource pack depleted or expired"),
    1200: (400, "Invalid request parameters"),
    1201: (400, "Invalid request parameters"),
    1203: (404, "The requested resource does not exist"),
    1301: (400, "Trigger the content security policy of the platform"),
    1302: (429, "The API request is too fast, please slow down"),
    1303: (429, "parallel task over resource pack limit"),
    5000: (500, "Server internal error"),
    5001: (503, "Server temporarily unavailable, usually due to maintenance"),
    5002: (504, "Server internal timeout, usually due to a backlog"),
}
_STATUS_CODE = {400: 1200, 401: 1000, 403: 1000, 404: 1203, 405: 1203, 429: 1302, 500: 5000,
                502: 5001, 503: 5001, 504: 5002}
_STATE = {"pending": "submitted", "throttled": "submitted", "running": "processing",
          "succeeded": "succeed", "failed": "failed", "cancelled": "failed"}
RISK_MESSAGE = "Failure to pass the risk control system"
_B64 = re.compile(r"^[A-Za-z0-9+/=\s]+\Z")
_URL = re.compile(r"^https?://\S+\Z")
IMAGE_LIMIT = 10 * 1024 * 1024
DAY = 86400.0


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_jwt(token: str, keys: dict[str, str], now: float) -> tuple[int, dict[str, Any] | None]:
    """(0, payload) for a valid Kling token at time *now*, else (service code, None)."""
    parts = token.split(".")
    if len(parts) != 3:
        return 1002, None
    try:
        header = json.loads(_b64url_decode(parts[0]))
        payload = json.loads(_b64url_decode(parts[1]))
        sig = _b64url_decode(parts[2])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return 1002, None
    if not isinstance(header, dict) or header.get("alg") != "HS256" \
            or not isinstance(payload, dict):
        return 1002, None
    secret = keys.get(str(payload.get("iss")))
    if secret is None:
        return 1002, None
    want = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(sig, want):
        return 1002, None
    exp, nbf = payload.get("exp"), payload.get("nbf")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        return 1002, None
    if isinstance(nbf, (int, float)) and not isinstance(nbf, bool) and now < nbf:
        return 1003, None
    if now >= exp:
        return 1004, None
    return 0, payload


class KlingEmulator(Emulator):
    """Loopback emulator of Kling's API; see the module docstring.

    Parameters (besides :class:`~videonb.testing.emulators.kit.Emulator`'s; ``expected_key``
    is not used: tokens are checked against ``keys``):

    keys
        Access key → secret key pairs whose tokens are accepted (default :data:`TEST_KEYS`:
        ``ak-test`` with a 32-character secret, as PyJWT wants for HS256).
    units
        The resource pack, in units (default 1000).
    concurrency
        Tasks allowed between submit and their end (``None``: no limit).
    """

    provider = "kling"
    provider_faults = frozenset({"moderation", "expired_output", "job_failure", "1301", "1303",
                                 "1102"})
    moderation_code = "risk_control"
    default_failure_code = "task_failed"
    default_failure_message = "Task failed, please try again later"
    job_failures = {"risk_control": RISK_MESSAGE}
    models = MODELS

    def __init__(self, *, keys: dict[str, str] | None = None, units: float = 1000,
                 concurrency: int | None = None, output_ttl: float = 30 * DAY,
                 **kwargs: Any) -> None:
        self.keys = dict(keys or TEST_KEYS)
        self.task_concurrency = concurrency
        super().__init__(output_ttl=output_ttl, **kwargs)
        #: The resource pack, counted in tenths of a unit.
        self.wallet = Wallet(self.clock, round(units * 10))
        #: Payloads of the valid tokens seen, in order (one entry per new token).
        self.tokens: list[dict[str, Any]] = []
        #: The bodies of the tasks created, in order (an image as ``"<base64: N bytes>"``).
        self.creates: list[dict[str, Any]] = []
        self._external: dict[str, str] = {}

    @property
    def units(self) -> float:
        return self.wallet.credits / 10

    def provider_options(self) -> dict[str, Any]:
        """Keyword arguments that point videonb's kling provider here
        (``videonb.generate(..., provider="kling", **emu.provider_options())``): the base URL
        and the first access key / secret key pair this emulator accepts, as ``"AK:SK"``."""
        ak, sk = next(iter(self.keys.items()))
        return {"base_url": self.base_url, "api_key": f"{ak}:{sk}"}

    # ---- routes, auth, errors ----------------------------------------------------------
    def setup_routes(self) -> None:
        for ep in (T2V, I2V):
            self.route("POST", f"/v1/videos/{ep}", self._create, kind="submit",
                       name=f"{ep}.create")
            self.route("GET", f"/v1/videos/{ep}/(?P<id>[^/]+)", self._get, kind="poll",
                       name=f"{ep}.get")
            self.route("GET", f"/v1/videos/{ep}", self._list, kind="list", name=f"{ep}.list")
        self.route("GET", r"/outputs/(?P<id>[0-9]+)\.mp4", self._output, auth=False,
                   kind="download", name="outputs.download")

    def envelope(self, status: int, code: int, message: str, data: Any = None,
                 headers: dict[str, str] | None = None) -> Response:
        body: dict[str, Any] = {"code": code, "message": message,
                                "request_id": str(uuid.uuid4())}
        if data is not None:
            body["data"] = data
        return Response.json(status, body, headers)

    def refuse(self, code: int, message: str | None = None) -> Response:
        status, default = CODES[code]
        return self.envelope(status, code, message or default)

    def error_response(self, status: int, kind: str, req: Request, message: str | None = None,
                       **extra: Any) -> Response:
        code = _STATUS_CODE.get(status, 5000)
        return self.envelope(status, code, message or CODES.get(code, (0, "Error"))[1])

    def invalid_response(self, exc: Invalid, req: Request) -> Response:
        code = int(exc.code) if exc.code and str(exc.code).isdigit() else \
            _STATUS_CODE.get(exc.status, 1200)
        return self.envelope(exc.status, code, exc.message, headers=exc.headers)

    def check_auth(self, req: Request) -> Response | None:
        header = req.header("authorization") or ""
        if not header.strip():
            return self.refuse(1001)
        token = req.bearer_token()
        if token is None:
            return self.refuse(1002)
        code, payload = verify_jwt(token, self.keys, self.clock.now())
        if code:
            return self.refuse(code)
        if payload is not None and (not self.tokens or self.tokens[-1] != payload):
            self.tokens.append(payload)
        return None

    # ---- validation --------------------------------------------------------------------
    @staticmethod
    def _bad(message: str) -> Invalid:
        return Invalid(message, code="1201")

    def _check_image(self, value: Any, field: str) -> None:
        if not isinstance(value, str) or not value:
            raise self._bad(f"{field} must be an image URL or its Base64 encoding")
        if value.startswith("data:"):
            raise self._bad(f"{field}: send the Base64 string itself, without a prefix such as "
                            "data:image/png;base64,")
        if _URL.match(value):
            return  # an accessible URL (never fetched)
        if not _B64.match(value):
            raise self._bad(f"{field} must be an image URL or its Base64 encoding")
        try:
            data = base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise self._bad(f"{field}: invalid Base64 encoding") from None
        if len(data) > IMAGE_LIMIT:
            raise self._bad(f"{field}: the image file size cannot exceed 10MB")
        info = _media.image_info(data)
        if info is None or info[0] not in ("image/jpeg", "image/png"):
            raise self._bad(f"{field}: supported image formats are .jpg / .jpeg / .png")
        _, w, h = info
        if min(w, h) < 300:
            raise self._bad(f"{field}: the width and height of the image must be at least 300px")
        if not (1 / 2.5 <= w / h <= 2.5):
            raise self._bad(f"{field}: the aspect ratio of the image must be between 1:2.5 and "
                            "2.5:1")

    def _validate(self, endpoint: str, body: Any) -> tuple[str, KlingModel]:
        if not isinstance(body, dict):
            raise self._bad("the request body must be a JSON object")
        name = body.get("model_name") or body.get("model") or "kling-v1"
        spec = MODELS.spec(str(name), endpoint)
        if spec is None:
            raise self._bad(f"model_name {name!r} is not supported on {endpoint}")
        prompt, negative = body.get("prompt"), body.get("negative_prompt")
        if endpoint == T2V and (not isinstance(prompt, str) or not prompt.strip()):
            raise self._bad("prompt is required")
        for field, text in (("prompt", prompt), ("negative_prompt", negative)):
            if text is not None and (not isinstance(text, str) or len(text) > PROMPT_MAX):
                raise self._bad(f"{field} cannot exceed {PROMPT_MAX} characters")
        mode = body.get("mode", "std")
        if mode not in spec.modes:
            raise self._bad(f"mode must be one of {', '.join(spec.modes)}")
        duration = body.get("duration", "5")
        if not isinstance(duration, str) or duration not in spec.durations:
            raise self._bad(f"duration must be one of {', '.join(spec.durations)} (a string)")
        ratio = body.get("aspect_ratio", "16:9")
        if endpoint == T2V and ratio not in RATIOS:
            raise self._bad(f"aspect_ratio must be one of {', '.join(RATIOS)}")
        sound = body.get("sound")
        if sound is not None and (not spec.sound or sound not in ("on", "off")):
            raise self._bad("sound is only supported by kling-v2-6 and later, as on or off")
        cfg = body.get("cfg_scale")
        if cfg is not None and (isinstance(cfg, bool) or not isinstance(cfg, (int, float))
                                or not 0 <= cfg <= 1):
            raise self._bad("cfg_scale must be in [0, 1]")
        if endpoint == I2V:
            if body.get("image") is None and body.get("image_tail") is None:
                raise self._bad("at least one of image and image_tail is required")
            for field in ("image", "image_tail"):
                if body.get(field) is not None:
                    self._check_image(body[field], field)
        ext = body.get("external_task_id")
        if ext not in (None, "") and (not isinstance(ext, str) or ext in self._external):
            raise self._bad("external_task_id must be unique within the account")
        return str(name), spec

    # ---- handlers ----------------------------------------------------------------------
    def _create(self, req: Request) -> Response:
        endpoint = req.route.name.split(".")[0]
        try:
            body = req.json()
        except ValueError:
            raise self._bad("the request body is not valid JSON") from None
        name, spec = self._validate(endpoint, body)
        for code in (1301, 1303, 1102):
            if self.take_fault({str(code)}, req) is not None:
                return self.refuse(code)
        if self.task_concurrency is not None:
            busy = [j for j in self.scheduler.all()
                    if self.scheduler.state(j) in ("pending", "throttled", "running")]
            if len(busy) >= self.task_concurrency:
                return self.refuse(1303)
        mode, seconds = body.get("mode", "std"), int(body.get("duration", "5"))
        cost = spec.cost_tenths(mode, seconds, body.get("sound") == "on")
        if self.wallet.charge(name, cost) is not None:
            return self.refuse(1102)
        task_id = str(uuid.uuid4().int % 10**18).rjust(18, "1")
        ext = body.get("external_task_id") or ""
        job = self.create_job(req, task_id, {"model": name, "endpoint": endpoint, "cost": cost,
                                             "seconds": seconds, "external": ext,
                                             "ratio": body.get("aspect_ratio", "16:9")})
        if ext:
            self._external[ext] = task_id
        self.creates.append({k: (f"<base64: {len(v)} chars>" if k in ("image", "image_tail")
                                 and isinstance(v, str) and not _URL.match(v) else v)
                             for k, v in body.items()})
        return self.envelope(200, 0, "SUCCEED", self._task_json(job, "pending", brief=True))

    def _task_json(self, job: Job, state: str, brief: bool = False) -> dict[str, Any]:
        created = int(job.created * 1000)
        ended = job.ended if job.ended is not None and state in ("succeeded", "failed") else None
        updated = int((ended if ended is not None else job.started or job.created) * 1000)
        out: dict[str, Any] = {"task_id": job.id, "task_status": _STATE[state],
                               "task_info": {"external_task_id": job.data["external"]},
                               "created_at": created, "updated_at": updated}
        if brief:
            return out
        out["task_status_msg"] = ""
        if state == "succeeded":
            url = self.signed_url(f"/outputs/{job.id}.mp4", job.id)
            out["task_result"] = {"videos": [{"id": f"v{job.id}", "url": url,
                                              "duration": str(job.data["seconds"])}]}
        elif state == "failed":
            out["task_status_msg"] = job.failure[1] if job.failure else "Task failed"
        return out

    def _job(self, req: Request) -> Job:
        endpoint = req.route.name.split(".")[0]
        key = req.match["id"]  # type: ignore[index]
        job = self.scheduler.get(self._external.get(key, key))
        if job is None or job.data["endpoint"] != endpoint:
            raise Invalid("The task does not exist", status=404, code="1203")
        return job

    def _get(self, req: Request) -> Response:
        job = self._job(req)
        state = self.scheduler.state(job)
        self.wallet.settle(job, state)  # failed tasks are free
        return self.envelope(200, 0, "SUCCEED", self._task_json(job, state))

    def _list(self, req: Request) -> Response:
        endpoint = req.route.name.split(".")[0]
        try:
            page = max(1, int(req.param("pageNum") or 1))
            size = min(500, max(1, int(req.param("pageSize") or 30)))
        except ValueError:
            raise self._bad("pageNum and pageSize must be integers") from None
        jobs = [j for j in reversed(self.scheduler.all()) if j.data["endpoint"] == endpoint]
        chunk = jobs[(page - 1) * size: page * size]
        return self.envelope(200, 0, "SUCCEED",
                             [self._task_json(j, self.scheduler.state(j)) for j in chunk])

    def _output(self, req: Request) -> Response:
        job_id = req.match["id"]  # type: ignore[index]
        verdict = self.check_signed(req, job_id)
        job = self.scheduler.get(job_id)
        if verdict != "ok" or job is None or self.scheduler.state(job) != "succeeded":
            body = b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code></Error>'
            return Response(403, body, {}, "application/xml")
        w, h = {"9:16": (720, 1280), "1:1": (960, 960)}.get(job.data.get("ratio"), (1280, 720))
        # Kling's own outputs are 720p (std) or 1080p (pro); the emulator's clip is 640 px on its
        # long side, the smallest that keeps Kling's 300-px image minimum (and so extend(), which
        # animates the last frame again) without making every test encode 720p.
        return media_response(req, _media.synthetic_mp4(w, h, self.video_seconds, max_side=640),
                              "video/mp4")
