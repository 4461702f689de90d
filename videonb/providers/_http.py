"""HTTP plumbing shared by the hosted providers (httpx, async).

Maps every transport failure and status code to a videonb error, retries what is safe to
retry (connection failures, 429 with ``Retry-After``, 502/503/504, and 500 except on a
submit, where the provider may already have created the job), and never lets a key into a
message: error bodies are redacted *before* they are shortened.  Every client has connect
and read timeouts (``videonb.config.http_timeout``).

:func:`json_object` reads a 2xx body that must be a JSON object (an HTML page answered
with 200, a JSON list or a truncated body become a retryable ProviderHTTPError), and
:func:`download_to` fetches an output within the bounds of :func:`videonb.media.fetch.fetch`.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
import weakref
from pathlib import Path
from typing import Any

from .._redact import redact
from ..errors import (
    AuthenticationError,
    DownloadError,
    OutputExpiredError,
    ProviderError,
    ProviderHTTPError,
    ProviderRetiredError,
    RateLimitError,
)
from . import emulation

__all__ = ["client", "call", "download_to", "error_message", "retry_after_seconds",
           "json_object", "number", "segment", "transport_errors"]

_CLIENTS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, Any]]" = \
    weakref.WeakKeyDictionary()

#: A gateway's or provider's words for a model that is gone (404/410 bodies).
RETIRED = re.compile(r"\b(deprecated|retired|decommissioned|shut ?down|sunset|no longer "
                      r"(available|supported|served))\b", re.I)


def client(timeout: float | None = None, *, fresh_connections: bool = False) -> Any:
    """One AsyncClient per event loop (a client's connections belong to the loop that made them;
    keyed by the loop object itself, so a new loop never inherits a dead loop's client).

    ``fresh_connections`` gives a client that never reuses a kept-alive connection: used for
    submits, so a connection the server had silently closed cannot make a paid request
    ambiguous."""
    import httpx

    from ..settings import config

    timeout = float(timeout if timeout is not None else config.http_timeout)
    loop = asyncio.get_running_loop()
    per_loop = _CLIENTS.setdefault(loop, {})
    key = (timeout, fresh_connections)
    c = per_loop.get(key)
    if c is None or c.is_closed:
        limits = httpx.Limits(max_keepalive_connections=0) if fresh_connections else httpx.Limits()
        c = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
                              follow_redirects=False, headers={"User-Agent": "videonb"},
                              limits=limits)
        per_loop[key] = c
    return c


def transport_errors() -> tuple[type[BaseException], ...]:
    """Exception classes meaning "the network or the peer failed" for every HTTP stack the
    providers use: httpx, httpx2 (the official SDKs' fork) and OSError."""
    out: list[type[BaseException]] = [OSError]
    for name in ("httpx", "httpx2"):
        try:
            mod = __import__(name)
        except ImportError:
            continue
        out += [mod.HTTPError, mod.InvalidURL, mod.StreamError]
    return tuple(out)


def retry_after_seconds(headers: Any) -> float | None:
    """Server hints: ``Retry-After`` (seconds or an HTTP date), ``openai-poll-after-ms``,
    ``retry-after-ms``.  A negative, NaN or infinite value is no hint."""
    import email.utils
    import math
    import time

    for name, scale in (("retry-after-ms", 1e-3), ("openai-poll-after-ms", 1e-3), ("retry-after", 1.0)):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            value = float(raw) * scale
        except ValueError:
            if name != "retry-after":
                continue
            try:
                when = email.utils.parsedate_to_datetime(raw.strip())
            except (TypeError, ValueError, IndexError):
                continue
            if when is None:
                continue
            value = when.timestamp() - time.time()
        if math.isfinite(value):
            return max(0.0, value)
    return None


def _short(text: str, limit: int = 300) -> str:
    """Redact, then shorten: a key is never half-shown at the cut."""
    text = redact(text)
    return text if len(text) <= limit else text[:limit] + "…"


def _detail(detail: Any) -> tuple[str | None, str | None]:
    """(text, type) of a ``detail`` member: a string (fal's request errors, Replicate's problem
    details) or a list of ``{loc, msg, type}`` objects (fal's model errors, FastAPI)."""
    if isinstance(detail, str):
        return detail, None
    if isinstance(detail, list) and detail and all(isinstance(d, dict) for d in detail):
        text = "; ".join(str(d.get("msg") or d.get("message") or json.dumps(d)) for d in detail)
        kind = detail[0].get("type")
        return text, (str(kind) if kind is not None else None)
    return None, None


def error_message(resp: Any) -> tuple[str, str | None]:
    """(human message, machine code) from a JSON error body of any of the providers."""
    try:
        body = resp.json()
    except (ValueError, json.JSONDecodeError, UnicodeDecodeError):
        text = (resp.text or "").strip()
        return (_short(text) or f"HTTP {resp.status_code}"), None
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            detail, kind = _detail(err.get("detail"))
            msg = err.get("message") or err.get("error") or detail or json.dumps(err)
            code = err.get("code") or err.get("error_type") or kind or err.get("status") \
                or err.get("type")
            return _short(str(msg)), (_short(str(code), 100) if code is not None else None)
        if isinstance(err, str):
            code = body.get("code")
            return _short(err), (_short(str(code), 100) if code is not None else None)
        if "detail" in body:
            return _short(json.dumps(body["detail"])), None
    return _short(json.dumps(body)), None


def json_object(resp: Any, *, provider: str, what: str = "answer") -> dict[str, Any]:
    """The JSON object in a 2xx ``resp``, or a retryable :class:`ProviderHTTPError` when the
    body is not one (an HTML page answered with 200, a list, a truncated body)."""
    try:
        body = resp.json()
    except (ValueError, json.JSONDecodeError, UnicodeDecodeError):
        ctype = resp.headers.get("content-type", "")
        kind = "a web page" if "html" in ctype.lower() or (resp.text or "").lstrip()[:1] == "<" \
            else "not JSON"
        raise ProviderHTTPError(f"{provider}: the {what} (HTTP {resp.status_code}) was {kind}, "
                                f"not the API's JSON; a proxy or captive portal may be in the "
                                f"way.", provider=provider, status=resp.status_code,
                                retryable=True) from None
    if not isinstance(body, dict):
        raise ProviderHTTPError(f"{provider}: the {what} was a JSON {type(body).__name__}, not "
                                f"an object.", provider=provider, status=resp.status_code,
                                retryable=True)
    return body


def number(value: Any) -> float | None:
    """``value`` as a finite float, or None for anything else (``"half"``, ``{}``, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        out = float(value)
    except ValueError:
        return None
    return out if out == out and abs(out) != float("inf") else None


def segment(value: str) -> str:
    """``value`` made safe as one URL path segment (a job id read back from the ledger)."""
    from urllib.parse import quote

    return quote(str(value), safe="")


async def call(method: str, url: str, *, provider: str, headers: dict[str, str] | None = None,
               json_body: Any = None, data: Any = None, files: Any = None, params: Any = None,
               submit: bool = False, retries: int = 4, max_wait: float = 60.0,
               timeout: float | None = None, cap_hint: str | None = None,
               idempotent: bool | None = None) -> Any:
    """Send one request with the retry policy above; return the httpx.Response (2xx only).

    A connection that breaks *after* the request was sent is retried only for an
    ``idempotent`` request (by default GET, HEAD, DELETE): a POST may have been processed and
    billed (a submit, a chat completion), so it is never sent twice on a transport error.

    ``cap_hint`` names a provider's daily or monthly cap: a 429 *without* ``Retry-After`` is
    then that cap, not a burst limit, and fails at once with a RateLimitError naming it."""
    import httpx

    from ..settings import config

    attempt = 0
    total = max(120.0, 3 * float(timeout if timeout is not None else config.http_timeout))
    if idempotent is None:
        idempotent = method.upper() in ("GET", "HEAD", "DELETE", "OPTIONS") and not submit

    async def pause(seconds: float) -> None:
        await asyncio.sleep(min(max_wait, seconds))

    while True:
        attempt += 1
        try:
            # A whole answer within a bound too: read timeouts alone let a server that trickles
            # its headers, a line per minute, hold the call for ever.
            resp = await asyncio.wait_for(client(timeout, fresh_connections=submit).request(
                method, url, headers=headers, json=json_body, data=data, files=files,
                params=params), total)
        except asyncio.TimeoutError:
            if submit or not idempotent:
                raise ProviderHTTPError(
                    f"{provider}: no complete answer within {total:g} s; the request may have "
                    f"been processed, so it was not sent again. Check the provider's dashboard.",
                    provider=provider, retryable=not submit,
                    detail_code="lost_submit" if submit else None) from None
            if attempt > retries:
                raise ProviderHTTPError(f"{provider}: no complete answer within {total:g} s.",
                                        provider=provider, retryable=True) from None
            await pause(0.25 * 2 ** attempt)
            continue
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached the server: always safe to retry.
            if attempt > retries:
                raise ProviderHTTPError(f"{provider}: cannot connect ({type(exc).__name__}). Check "
                                        f"the network or base_url.", provider=provider,
                                        retryable=True) from None
            await pause(0.25 * 2 ** attempt * (0.5 + random.random()))
            continue
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ReadTimeout,
                httpx.WriteError, httpx.WriteTimeout) as exc:
            if submit:
                # The request may have been processed: retrying could create (and bill) a twin.
                raise ProviderHTTPError(
                    f"{provider}: the connection dropped during submit ({type(exc).__name__}); the "
                    f"job may or may not exist at the provider. Check its dashboard before "
                    f"retrying.", provider=provider, retryable=False,
                    detail_code="lost_submit") from None
            if not idempotent:
                raise ProviderHTTPError(
                    f"{provider}: no complete answer ({type(exc).__name__}); the request may "
                    f"have been processed, so it was not sent again. Try again.",
                    provider=provider, retryable=True) from None
            if attempt > retries:
                raise ProviderHTTPError(f"{provider}: connection failed ({type(exc).__name__}).",
                                        provider=provider, retryable=True) from None
            await pause(0.25 * 2 ** attempt * (0.5 + random.random()))
            continue
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL,
                httpx.ProxyError, httpx.DecodingError, httpx.TooManyRedirects,
                httpx.StreamError) as exc:
            # Nothing sensible was sent (a header httpx refused, a bad base_url): never retried.
            # The exception's own text can quote the header, so only its type is shown.
            raise ProviderHTTPError(
                f"{provider}: the request could not be sent ({type(exc).__name__}). Check "
                f"base_url and the key's source (videonb.providers()).", provider=provider,
                retryable=False) from None
        except httpx.HTTPError as exc:
            raise ProviderHTTPError(f"{provider}: HTTP failure ({type(exc).__name__}).",
                                    provider=provider, retryable=not submit) from None
        emulation.observe(url, resp.headers)  # is this server one of videonb's emulators?
        status = resp.status_code
        if status < 400:
            return resp
        msg, code = error_message(resp)
        hint = retry_after_seconds(resp.headers)
        if status == 429:
            if cap_hint and hint is None:
                raise RateLimitError(f"{provider}: {cap_hint} (HTTP 429: {msg}). It resets on the "
                                     f"provider's schedule; retrying now would not help.",
                                     provider=provider, status=429, detail_code=code)
            if attempt <= retries and (hint is None or hint <= max_wait):
                await pause(hint if hint is not None else 2 ** attempt)
                continue
            err = RateLimitError(f"{provider}: rate limited (HTTP 429: {msg}). Wait a little, or lower "
                                 f"concurrency.", provider=provider, status=429, detail_code=code,
                                 retryable=True)
            err.retry_after = hint  # type: ignore[attr-defined]
            raise err
        if submit and status in (502, 504):
            # A gateway that gave up waiting (504) or lost the upstream's answer (502): the
            # provider may have created, and will bill, the job; sending again could make a
            # twin.  Recorded as a lost submit (its estimate stays counted in the budget).
            raise ProviderHTTPError(
                f"{provider}: HTTP {status} during submit ({msg}); the job may or may not exist "
                f"at the provider. Check its dashboard before retrying.", provider=provider,
                status=status, retryable=False, detail_code="lost_submit")
        if status in (502, 503, 504) or (status == 500 and not submit):
            if attempt <= retries:
                await pause(hint if hint is not None else 0.5 * 2 ** attempt)
                continue
            raise ProviderHTTPError(f"{provider}: server error HTTP {status} ({msg}) after "
                                    f"{retries} retries.", provider=provider, status=status,
                                    detail_code=code, retryable=True)
        if status in (401, 403) and "output" not in url:
            raise AuthenticationError(
                f"{provider}: the API key was rejected (HTTP {status}: {msg}). Check the key "
                f"(videonb.providers() shows where it was found).", provider=provider,
                status=status, detail_code=code)
        if status in (404, 410) and ((code and "retired" in str(code).lower())
                                     or RETIRED.search(msg)):
            raise ProviderRetiredError(f"{provider}: {msg} Choose another model "
                                       f"(videonb.providers()).", provider=provider,
                                       status=status, detail_code=code)
        raise ProviderHTTPError(f"{provider}: HTTP {status}: {msg}", provider=provider,
                                status=status, detail_code=code, retryable=False)


async def download_to(url: str, dest: Path, *, provider: str, headers: dict[str, str] | None = None,
                      timeout: float | None = None) -> Path:
    """Fetch ``url`` into ``dest`` (atomically, within videonb's download bounds) in a worker
    thread.  A 401/403/404/410 answer is :class:`OutputExpiredError` (signed URLs expire);
    every other failure is a :class:`DownloadError` whose ``retryable`` says if a later
    try may work.  Credentials in ``headers`` never follow a redirect to another origin."""
    from ..media.fetch import fetch

    cancel = threading.Event()
    storage = ("Free some disk space, or set VIDEONB_HOME to a writable folder (outputs are "
               "stored there).")
    try:
        await asyncio.to_thread(fetch, url, dest, headers=headers, total_timeout=timeout,
                                what=f"{provider}: the output download", storage_hint=storage,
                                cancel=cancel)
    except DownloadError as exc:
        if exc.status in (401, 403, 404, 410):
            raise OutputExpiredError(
                f"{provider}: the output URL answered HTTP {exc.status}; signed URLs expire "
                f"after a while.", provider=provider, status=exc.status) from None
        raise
    except asyncio.CancelledError:
        cancel.set()  # the worker thread stops at its next chunk and removes its .part file
        raise
    except ProviderError:
        raise
    return dest
