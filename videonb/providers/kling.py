"""Kling's own API (Kuaishou): text to video and image to video as tasks, with a JWT per key.

Wire facts, and where each comes from (read 2026-12-01; Kling's developer pages block
automated readers, so the sources are copies of them):

* **Hosts.**  ``https://api-singapore.klingai.com`` serves accounts outside China (Kling's
  "General Info" page: "the API endpoint for the new system has been updated from
  https://api.klingai.com to https://api-singapore.klingai.com"); ``https://api-beijing.klingai.com``
  serves mainland accounts, and keys do not cross regions (providers.md §11, third-party copies
  of the callback protocol).  ``region="beijing"`` (or ``KLING_REGION``) picks it;
  ``base_url=`` / ``KLING_BASE_URL`` point elsewhere (the loopback emulator in tests).
* **Auth.**  ``Authorization: Bearer <JWT>``, an RFC 7519 token signed HS256 with the secret
  key, header ``{"alg": "HS256", "typ": "JWT"}``, payload ``{"iss": <access key>, "exp":
  now + 1800, "nbf": now - 5}`` (the General Info page's own Python sample).  videonb makes
  the token with the standard library (no PyJWT needed; tests check it with PyJWT) and makes
  it anew five minutes before it expires.  Error codes 1000-1004 (401) say why a token was
  refused: 1001 empty, 1002 invalid, 1003 not yet valid, 1004 expired (same page).
* **Keys.**  ``KLING_ACCESS_KEY`` and ``KLING_SECRET_KEY`` (the names Kling's own samples and
  the usual wrappers use; Kling has no official Python SDK), each looked up like any key
  (argument, environment, ``.env``, Colab, :func:`videonb.set_key`).  ``api_key="AK:SK"``
  gives both at once; ``secret_key=`` the secret alone.
* **Create.**  ``POST /v1/videos/text2video`` or ``/v1/videos/image2video`` with
  ``model_name``, ``prompt`` (at most 2,500 characters), ``negative_prompt``, ``mode``
  (``std`` 720p / ``pro`` 1080p), ``aspect_ratio`` (``16:9``, ``9:16``, ``1:1``; text to video
  only), ``duration`` **as a string** (``"5"``/``"10"``; Kling 3.0 ``"3"``..``"15"``),
  ``sound`` (``on``/``off``, v2.6 and later) and, for image to video, ``image``: a URL or
  the **bare** base64 of a JPG/PNG of at most 10 MB, at least 300 px a side, aspect between
  1:2.5 and 2.5:1 ("do not add any prefix such as data:image/png;base64,").  The answer is
  the envelope ``{"code": 0, "message", "request_id", "data": {"task_id", "task_status",
  "task_info", "created_at", "updated_at"}}`` (times in ms) [Kling text-to-video reference;
  a logged real request/answer for ``kling-v3``].
* **Poll.**  ``GET /v1/videos/{text2video|image2video}/{task_id}``; ``task_status`` is
  ``submitted`` → ``processing`` → ``succeed`` (``task_result.videos[0].url``) or ``failed``
  (``task_status_msg``) [same reference].  The task id videonb records is
  ``"<endpoint>:<task_id>"`` so a resumed job polls the right path.
* **Errors at submit.**  429 1100-1103 (account: arrears, resource pack used up or expired,
  no access): fail at once, naming it; 429 1302/1303 (too fast / "parallel task over
  resource pack limit"): the task was not created, so videonb waits and asks again, at most
  five times [General Info and Concurrency Rules pages]; 400 1301 (content security): a
  :class:`~videonb.errors.ModerationError`.  The rows past 1102 of the error table were not in
  the copy read (UNCONFIRMED: 1103, 1301, 1302, 1304 and 5000-5002 follow Kling's table as
  widely quoted).
* **Cancel.**  Kling's reference lists no way to cancel a task (UNCONFIRMED that none exists):
  :attr:`cancellable` is False, so ``videonb.cancel()`` stops waiting and the job stays
  resumable: the task runs to its end at Kling and is billed, and ``videonb.resume()``
  downloads what was paid for.
* **Outputs.**  Result URLs are CDN links that need no key; Kling deletes results after 30
  days [Kling changelog 2024-10-25].  Failed tasks are free [Kling pricing page via the
  2026-09-28 note, providers.md §6].
* **Prices.**  1 unit = $0.14; Kling 3.0 at 720p (std) 0.6 units/s ($0.084/s), 0.9 with
  sound ($0.126/s); 1080p (pro) $0.112/s, $0.168/s with sound [kling.ai/dev/pricing via the
  2026-09-28 note, providers.md §6 and §11].  No first-party price of the 2.x models was
  read: they are listed unpriced (refused under a budget) rather than guessed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import mimetypes
import os
import re
import time
from pathlib import Path
from typing import Any, Callable, ClassVar

from .._redact import RedactedDict, Secret, redact, register_secret
from ..errors import (
    InvalidOptionError,
    MissingKeyError,
    ModerationError,
    ProviderError,
    ProviderHTTPError,
    RateLimitError,
)
from . import _http
from .base import ModelSpec, PollResult, Provider, Request

__all__ = ["KlingProvider", "HOSTS", "MODELS", "WIRE", "make_jwt"]

HOSTS = {"global": "https://api-singapore.klingai.com",
         "beijing": "https://api-beijing.klingai.com"}
SECRET_ENV = ("KLING_SECRET_KEY",)
#: Lifetime of a token and how long before its end a new one is made (seconds).
TOKEN_TTL = 1800
TOKEN_REFRESH = 300
RATIOS = ("16:9", "9:16", "1:1")
IMAGE_LIMIT = 10 * 1024 * 1024
_ENDPOINTS = {"text_to_video": "text2video", "image_to_video": "image2video"}
_TASK_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
#: Refusals that mean "not now": the task was not created (Kling's 429 1302 / 1303).
_TRY_AGAIN = ("1302", "1303")
#: Words of a failed task's message that mean it was refused by moderation.
_MODERATED = re.compile(r"risk|content|policy|sensitive|moderat|violat|security|风控|敏感", re.I)
_ACCOUNT_CAP = ("your Kling account cannot start tasks now (Kling codes 1100-1103: account in "
                "arrears, resource pack used up or expired, or no access to this model; see "
                "the Kling developer console)")

_SRC = "kling.ai/dev/pricing via the 2026-09-28 note (providers.md §6, §11), read 2026-12-01"
_UNPRICED = ("no first-party Kling price read for this model: refused under a budget (fal "
             "resells it; see the fal provider)")


class _Wire:
    """What videonb sends for one of its Kling model ids."""

    def __init__(self, model_name: str, mode: str, sound: str | None) -> None:
        self.model_name, self.mode, self.sound = model_name, mode, sound


def _v3(mode: str, audio: bool, price: float) -> ModelSpec:
    mid = f"kling-v3/{mode}" + ("+audio" if audio else "")
    res = "720p" if mode == "std" else "1080p"
    return ModelSpec(
        mid, ("text_to_video", "image_to_video"), durations=(3, 15), duration_range=True,
        default_duration=5, ratios=RATIOS, default_ratio="16:9", max_prompt_chars=2500,
        image_input=True, price_per_second=price, price_source=_SRC,
        notes=f"Kling 3.0, {mode} mode ({res}), sound {'on' if audio else 'off'}; whole seconds")


def _v2(model_name: str, mode: str, notes: str) -> ModelSpec:
    return ModelSpec(
        f"{model_name}/{mode}", ("text_to_video", "image_to_video"), durations=(5, 10),
        default_duration=5, ratios=RATIOS, default_ratio="16:9", max_prompt_chars=2500,
        image_input=True, price_per_second=None, price_note=_UNPRICED,
        price_source="Kling API reference (durations 5/10, ratios), read 2026-12-01",
        notes=notes)


MODELS: dict[str, ModelSpec] = {
    s.id: s for s in (
        _v3("std", False, 0.084), _v3("std", True, 0.126),
        _v3("pro", False, 0.112), _v3("pro", True, 0.168),
        _v2("kling-v2-6", "pro", "Kling 2.6, pro mode (1080p), sound off"),
        _v2("kling-v2-5-turbo", "pro", "Kling 2.5 Turbo, pro mode (1080p)"),
    )
}
#: videonb model id → what goes on the wire.
WIRE: dict[str, _Wire] = {
    "kling-v3/std": _Wire("kling-v3", "std", "off"),
    "kling-v3/std+audio": _Wire("kling-v3", "std", "on"),
    "kling-v3/pro": _Wire("kling-v3", "pro", "off"),
    "kling-v3/pro+audio": _Wire("kling-v3", "pro", "on"),
    "kling-v2-6/pro": _Wire("kling-v2-6", "pro", "off"),
    "kling-v2-5-turbo/pro": _Wire("kling-v2-5-turbo", "pro", None),
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(access_key: str, secret_key: str, now: float, ttl: int = TOKEN_TTL) -> str:
    """The HS256 token Kling asks for: ``{"iss": access_key, "exp": now + ttl, "nbf": now - 5}``
    signed with ``secret_key`` (RFC 7519, compact serialisation)."""
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"iss": access_key, "exp": int(now) + int(ttl), "nbf": int(now) - 5}
    signing = ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode())
                       for part in (header, payload))
    sig = hmac.new(secret_key.encode(), signing.encode("ascii"), hashlib.sha256).digest()
    return f"{signing}.{_b64url(sig)}"


def _image_problem(path: str) -> str | None:
    """Why Kling would refuse this image (type, size, dimensions), or None."""
    p = Path(path)
    mime = mimetypes.guess_type(p.name)[0]
    if mime not in ("image/jpeg", "image/png"):
        return f"Kling takes JPG or PNG images, not {mime or p.suffix or 'this file'}"
    size = p.stat().st_size
    if size > IMAGE_LIMIT:
        return f"{p.name} is {size / 2**20:.1f} MiB; Kling takes images up to 10 MB"
    import cv2

    img = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
    if img is None:
        return f"{p.name} could not be read as an image"
    h, w = img.shape[:2]
    if min(w, h) < 300:
        return f"{p.name} is {w}x{h}; Kling needs at least 300 px on each side"
    if not (1 / 2.5 <= w / h <= 2.5):
        return f"{p.name} is {w}x{h}; Kling takes aspect ratios between 1:2.5 and 2.5:1"
    return None


class KlingProvider(Provider):
    """Kling's official API; see the module docstring for every wire fact and its source."""

    name: ClassVar[str] = "kling"
    display_name: ClassVar[str] = "Kling"
    key_env: ClassVar[tuple[str, ...]] = ("KLING_ACCESS_KEY",)
    requires: ClassVar[tuple[str, ...]] = ("httpx",)
    install_hint: ClassVar[str] = "pip install httpx"
    #: The loopback emulator of this API (a name only: the main floors never import it).
    emulator: ClassVar[str] = "videonb.testing.emulators.kling:KlingEmulator"
    models: ClassVar[dict[str, ModelSpec]] = MODELS
    default_model: ClassVar[str] = "kling-v3/std"
    description: ClassVar[str] = "Kling 3.0 / 2.x through Kling's own task API (JWT auth)."
    #: Kling's guides poll every few seconds; a video takes about a minute.
    min_poll: ClassVar[float] = 5.0
    #: Kling has no cancel endpoint: cancelling stops the wait, the billed task stays resumable.
    cancellable: ClassVar[bool] = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._token: tuple[str, int] | None = None  # (token, exp)

    # --- where and who ------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.base_url or os.environ.get("KLING_BASE_URL"):
            return str(self.base_url or os.environ["KLING_BASE_URL"]).rstrip("/")
        region = str(self.options.get("region") or os.environ.get("KLING_REGION") or "global")
        if region.lower() not in HOSTS:
            raise InvalidOptionError(f"region={region!r}: Kling's regions are "
                                     f"{', '.join(HOSTS)} (keys do not cross regions).")
        return HOSTS[region.lower()]

    def _now(self) -> float:
        clock: Callable[[], float] = self.options.get("clock") or time.time
        return float(clock())

    def credentials(self) -> tuple[str, str]:
        """(access key, secret key), each found the usual way; MissingKeyError names both."""
        access = self.key()
        assert access is not None
        if ":" in access:
            ak, sk = access.split(":", 1)
            return Secret(ak), Secret(sk)
        secret = self.options.get("secret_key")
        from .keys import find_key

        # provider=None: a key given with set_key('kling') is the access key, not this one
        found = find_key(SECRET_ENV, secret, provider=None)
        if found is None:
            raise MissingKeyError(
                "kling needs two keys: the access key was found, the secret key was not. Set "
                "KLING_SECRET_KEY (environment or .env), pass secret_key=..., or give both as "
                "api_key='ACCESS:SECRET' (videonb.set_key('kling') takes that form too).",
                provider=self.name)
        return access, found.value

    def token(self) -> str:
        """A valid bearer token, made anew when the last one has under five minutes left."""
        now = self._now()
        if self._token is None or now >= self._token[1] - TOKEN_REFRESH:
            ak, sk = self.credentials()
            jwt = make_jwt(ak, sk, now)
            register_secret(jwt)  # a token spends money for 30 minutes: never shown
            self._token = (Secret(jwt), int(now) + TOKEN_TTL)
        return self._token[0]

    def _headers(self) -> dict[str, str]:
        return RedactedDict({"Authorization": f"Bearer {self.token()}",
                             "Content-Type": "application/json"})

    # --- requests -----------------------------------------------------------------------
    def validate(self, req: Request) -> ModelSpec:
        spec = super().validate(req)
        if req.seconds is not None and float(req.seconds) != int(req.seconds):
            raise InvalidOptionError(f"seconds={req.seconds:g}: Kling takes whole seconds "
                                     f"({spec.describe_durations()}).")
        if req.operation == "image_to_video":
            if "image" not in req.input_paths:
                raise InvalidOptionError("image_to_video needs image=...")
            why = _image_problem(req.input_paths["image"])
            if why:
                raise InvalidOptionError(f"{why}. Nothing was sent.")
        return spec

    def body(self, req: Request) -> dict[str, Any]:
        """The JSON Kling expects for ``req`` (without any secret)."""
        wire = WIRE[req.model]
        spec = self.model(req.model)
        seconds = req.seconds if req.seconds is not None else spec.default_duration
        body: dict[str, Any] = {"model_name": wire.model_name, "prompt": req.prompt,
                                "mode": wire.mode, "duration": str(int(seconds or 5))}
        if wire.sound is not None:
            body["sound"] = wire.sound
        if req.operation == "text_to_video":
            body["aspect_ratio"] = req.ratio or spec.default_ratio
        else:
            body["image"] = base64.b64encode(Path(req.input_paths["image"]).read_bytes()).decode()
        return body

    async def submit(self, req: Request) -> str:
        endpoint = _ENDPOINTS[req.operation]
        body = self.body(req)
        for attempt in range(6):
            try:
                resp = await _http.call("POST", f"{self.url}/v1/videos/{endpoint}",
                                        provider=self.name, headers=self._headers(),
                                        json_body=body, submit=True, cap_hint=_ACCOUNT_CAP)
                break
            except RateLimitError as exc:
                # Too fast / too many running: refused, so nothing was created or billed.
                if exc.detail_code not in _TRY_AGAIN or attempt == 5:
                    raise
                hint = getattr(exc, "retry_after", None)
                await asyncio.sleep(min(30.0, hint if hint is not None else 2.0 ** attempt))
            except ProviderHTTPError as exc:
                if exc.detail_code == "1301":
                    raise ModerationError(
                        f"kling refused the request under its content security policy (code "
                        f"1301: {exc}). "
                        f"Change the prompt or image; nothing was billed.", provider=self.name,
                        detail_code="1301") from None
                raise
        envelope = _http.json_object(resp, provider=self.name, what="create answer")
        data = envelope.get("data") if isinstance(envelope.get("data"), dict) else {}
        task_id = data.get("task_id")
        if envelope.get("code") not in (0, None) or not isinstance(task_id, str) \
                or not _TASK_ID.fullmatch(task_id):
            raise ProviderHTTPError("kling: the create answer had no task id; check the Kling "
                                    "console before submitting again.", provider=self.name)
        return f"{endpoint}:{task_id}"

    def _task_url(self, remote_id: str) -> str:
        endpoint, _, task_id = remote_id.partition(":")
        if endpoint not in _ENDPOINTS.values() or not _TASK_ID.fullmatch(task_id):
            raise ProviderHTTPError(f"kling: {remote_id[:60]!r} is not a task id videonb "
                                    f"records.", provider=self.name)
        return f"{self.url}/v1/videos/{endpoint}/{_http.segment(task_id)}"

    async def poll(self, remote_id: str) -> PollResult:
        resp = await _http.call("GET", self._task_url(remote_id), provider=self.name,
                                headers=self._headers())
        envelope = _http.json_object(resp, provider=self.name, what="task")
        data = envelope.get("data") if isinstance(envelope.get("data"), dict) else {}
        raw = str(data.get("task_status", ""))
        hint = _http.retry_after_seconds(resp.headers)
        if raw == "submitted":
            return PollResult("queued", None, retry_after=hint, raw_status=raw)
        if raw == "processing":
            return PollResult("running", None, retry_after=hint, raw_status=raw)
        if raw == "succeed":
            result = data.get("task_result") if isinstance(data.get("task_result"), dict) else {}
            videos = result.get("videos")
            url = None
            if isinstance(videos, list) and videos and isinstance(videos[0], dict):
                url = videos[0].get("url") if isinstance(videos[0].get("url"), str) else None
            return PollResult("succeeded", 1.0, output_url=url, raw_status=raw)
        if raw != "failed":
            raise ProviderHTTPError(f"kling: the task has an unknown status {raw[:40]!r}.",
                                    provider=self.name, retryable=True)
        why = redact(str(data.get("task_status_msg") or "the task failed"))[:500]
        code = "content_policy" if _MODERATED.search(why) else "task_failed"
        return PollResult("failed", None, error_code=code, error_message=why, raw_status=raw)

    async def cancel(self, remote_id: str) -> None:
        raise ProviderError("kling: Kling's API has no way to cancel a task; it runs to its end "
                            "and is billed. videonb.resume() downloads it.", provider=self.name)

    async def download(self, url: str, dest: Path) -> Path:
        # Result URLs are CDN links: the token never goes with them.
        return await _http.download_to(url, dest, provider=self.name)
