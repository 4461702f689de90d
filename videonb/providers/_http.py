"""HTTP plumbing shared by the hosted providers (httpx, async).

Maps transport failures and status codes to videonb errors, retries what is safe to
retry (connection failures, 429 with ``Retry-After``, 502/503/504, and 500 except on a
submit, where the provider may already have created the job), and never lets a key
into a message.
"""

from __future__ import annotations

import asyncio
import json
import random
import weakref
from pathlib import Path
from typing import Any

from ..errors import (
    AuthenticationError,
    OutputExpiredError,
    ProviderError,
    ProviderHTTPError,
    ProviderRetiredError,
    RateLimitError,
)

__all__ = ["client", "call", "download_to", "error_message", "retry_after_seconds"]

_CLIENTS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, Any]]" = \
    weakref.WeakKeyDictionary()


def client(timeout: float = 60.0, *, fresh_connections: bool = False) -> Any:
    """One AsyncClient per event loop (a client's connections belong to the loop that made them;
    keyed by the loop object itself, so a new loop never inherits a dead loop's client).

    ``fresh_connections`` gives a client that never reuses a kept-alive connection: used for
    submits, so a connection the server had silently closed cannot make a paid request
    ambiguous."""
    import httpx

    loop = asyncio.get_running_loop()
    per_loop = _CLIENTS.setdefault(loop, {})
    key = (timeout, fresh_connections)
    c = per_loop.get(key)
    if c is None or c.is_closed:
        limits = httpx.Limits(max_keepalive_connections=0) if fresh_connections else httpx.Limits()
        c = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0), follow_redirects=False,
                              headers={"User-Agent": "videonb"}, limits=limits)
        per_loop[key] = c
    return c


def retry_after_seconds(headers: Any) -> float | None:
    """Server hints: ``Retry-After`` (seconds), ``openai-poll-after-ms``, ``retry-after-ms``."""
    for name, scale in (("retry-after-ms", 1e-3), ("openai-poll-after-ms", 1e-3), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw:
            try:
                return max(0.0, float(raw) * scale)
            except ValueError:
                continue
    return None


def error_message(resp: Any) -> tuple[str, str | None]:
    """(human message, machine code) from a JSON error body of any of the providers."""
    try:
        body = resp.json()
    except (ValueError, json.JSONDecodeError):
        text = (resp.text or "").strip()
        return (text[:300] or f"HTTP {resp.status_code}"), None
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            msg = err.get("message") or err.get("error") or json.dumps(err)[:300]
            code = err.get("code") or err.get("status") or err.get("type")
            return str(msg), (str(code) if code is not None else None)
        if isinstance(err, str):
            return err, body.get("code")
        if "detail" in body:
            return json.dumps(body["detail"])[:300], None
    return json.dumps(body)[:300], None


async def call(method: str, url: str, *, provider: str, headers: dict[str, str] | None = None,
               json_body: Any = None, data: Any = None, files: Any = None, params: Any = None,
               submit: bool = False, retries: int = 4, max_wait: float = 60.0,
               timeout: float = 60.0) -> Any:
    """Send one request with the retry policy above; return the httpx.Response (2xx only)."""
    import httpx

    attempt = 0
    while True:
        attempt += 1
        try:
            resp = await client(timeout, fresh_connections=submit).request(
                method, url, headers=headers, json=json_body, data=data, files=files, params=params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached the server: always safe to retry.
            if attempt > retries:
                raise ProviderHTTPError(f"{provider}: cannot connect ({type(exc).__name__}). Check "
                                        f"the network or base_url.", provider=provider,
                                        retryable=True) from None
            await asyncio.sleep(min(max_wait, 0.25 * 2 ** attempt * (0.5 + random.random())))
            continue
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ReadTimeout,
                httpx.WriteError) as exc:
            if submit:
                # The request may have been processed: retrying could create (and bill) a twin.
                raise ProviderHTTPError(
                    f"{provider}: the connection dropped during submit ({type(exc).__name__}); the "
                    f"job may or may not exist at the provider. Check its dashboard before "
                    f"retrying.", provider=provider, retryable=False) from None
            if attempt > retries:
                raise ProviderHTTPError(f"{provider}: connection failed ({type(exc).__name__}).",
                                        provider=provider, retryable=True) from None
            await asyncio.sleep(min(max_wait, 0.25 * 2 ** attempt * (0.5 + random.random())))
            continue
        status = resp.status_code
        if status < 400:
            return resp
        msg, code = error_message(resp)
        hint = retry_after_seconds(resp.headers)
        if status == 429:
            if attempt <= retries and (hint is None or hint <= max_wait):
                await asyncio.sleep(hint if hint is not None else min(max_wait, 2 ** attempt))
                continue
            err = RateLimitError(f"{provider}: rate limited (HTTP 429: {msg}). Wait a little, or lower "
                                 f"concurrency.", provider=provider, status=429, detail_code=code,
                                 retryable=True)
            err.retry_after = hint  # type: ignore[attr-defined]
            raise err
        if status in (502, 503, 504) or (status == 500 and not submit):
            if attempt <= retries:
                await asyncio.sleep(hint if hint is not None else min(max_wait, 0.5 * 2 ** attempt))
                continue
            raise ProviderHTTPError(f"{provider}: server error HTTP {status} ({msg}) after "
                                    f"{retries} retries.", provider=provider, status=status,
                                    detail_code=code, retryable=True)
        if status in (401, 403) and "output" not in url:
            raise AuthenticationError(
                f"{provider}: the API key was rejected (HTTP {status}: {msg}). Check the key "
                f"(videonb.providers() shows where it was found).", provider=provider,
                status=status, detail_code=code)
        if status in (404, 410) and code and "retired" in str(code).lower():
            raise ProviderRetiredError(f"{provider}: {msg}", provider=provider, status=status)
        raise ProviderHTTPError(f"{provider}: HTTP {status}: {msg}", provider=provider,
                                status=status, detail_code=code, retryable=False)


async def download_to(url: str, dest: Path, *, provider: str, headers: dict[str, str] | None = None,
                      timeout: float = 300.0) -> Path:
    """Stream ``url`` into ``dest`` (atomically). 403/404/410 on a signed URL → OutputExpiredError."""
    import httpx

    tmp = dest.with_suffix(dest.suffix + ".part")
    try:
        async with client(timeout).stream("GET", url, headers=headers) as resp:
            if resp.status_code in (401, 403, 404, 410):
                raise OutputExpiredError(
                    f"{provider}: the output URL answered HTTP {resp.status_code}; signed URLs "
                    f"expire after a while.", provider=provider, status=resp.status_code)
            if resp.status_code >= 400:
                raise ProviderHTTPError(f"{provider}: download failed with HTTP {resp.status_code}.",
                                        provider=provider, status=resp.status_code,
                                        retryable=resp.status_code >= 500)
            with open(tmp, "wb") as fh:
                async for chunk in resp.aiter_bytes(1 << 20):
                    fh.write(chunk)
        tmp.replace(dest)
    except (httpx.TransportError,) as exc:
        raise ProviderHTTPError(f"{provider}: download interrupted ({type(exc).__name__}).",
                                provider=provider, retryable=True) from None
    except ProviderError:
        raise
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest
