"""Bounded, honest HTTP downloads: the one download loop of videonb.

``Video(url)`` and every provider's output download go through :func:`fetch`, which

* accepts only ``http``/``https`` URLs (``file://``, ``ftp://``… fail at once);
* follows at most ``max_redirects`` redirects itself, dropping credentials (``Authorization``,
  API-key headers, cookies) as soon as a redirect leaves the first URL's origin;
* retries 429 and 5xx answers and dropped connections a bounded number of times, honouring
  ``Retry-After`` (seconds or an HTTP date) and never waiting past its total time limit;
* checks the byte cap against ``Content-Length`` before streaming and again while streaming,
  and a declared length against what arrived;
* refuses a web page (a captive portal, a CDN's error page, a redirect's empty body) instead
  of saving it as a video;
* writes to a ``.part`` file that is renamed only when complete and removed on every failure.

Every way it can fail raises :class:`~videonb.errors.DownloadError` (``retryable`` says
whether trying again later may work, ``status`` has the last HTTP status) or, for a folder
it cannot write, :class:`~videonb.errors.StorageError`.  It is synchronous (httpx's client):
async callers run it in a worker thread and may stop it between chunks with ``cancel``.
"""

from __future__ import annotations

import email.utils
import errno
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import urljoin, urlsplit

from ..errors import DownloadError, StorageError

__all__ = ["fetch", "Fetched", "looks_like_html", "CREDENTIAL_HEADERS"]

#: Headers that carry credentials: never sent to another origin than the first URL's.
CREDENTIAL_HEADERS = frozenset({"authorization", "x-goog-api-key", "x-api-key", "api-key",
                                "cookie", "proxy-authorization"})
_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass
class Fetched:
    """What :func:`fetch` wrote: the path, its size, the final URL and its content type."""

    path: Path
    size: int
    url: str
    content_type: str
    redirects: int


def looks_like_html(head: bytes, content_type: str = "") -> bool:
    """True for a web page: an HTML content type, or bytes that start like an HTML document."""
    ct = content_type.split(";")[0].strip().lower()
    if ct in ("text/html", "application/xhtml+xml"):
        return True
    start = head.lstrip()[:256].lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")) or (
        b"<html" in start and not start.startswith((b"\x00", b"\x1a")))


def _origin(url: str) -> tuple[str, str, int | None]:
    p = urlsplit(url)
    port = p.port or (443 if p.scheme == "https" else 80 if p.scheme == "http" else None)
    return p.scheme.lower(), (p.hostname or "").lower(), port


def _check_scheme(url: str, what: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise _fail(what, "scheme", f"only http(s) URLs are downloaded, not "
                    f"{scheme or 'this'}:// ({url[:200]})", url=url)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("retry-after")
    if not raw:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _fail(what: str, kind: str, reason: str, *, url: str, status: int | None = None,
          retryable: bool = False) -> DownloadError:
    """A DownloadError whose ``kind`` ("scheme", "redirect", "http", "too_large", "web_page",
    "empty", "transport", "timeout", "cancelled") and ``reason`` callers can reword."""
    err = DownloadError(f"{what}: {reason}", url=url, status=status, retryable=retryable)
    err.kind, err.reason = kind, reason  # type: ignore[attr-defined]
    return err


def _storage_error(exc: OSError, folder: Path, hint: str) -> StorageError:
    why = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else (
        exc.strerror or type(exc).__name__)
    return StorageError(f"Cannot write into {folder}: {why}. {hint}".strip())


def fetch(url: str, dest: str | os.PathLike[str], *, headers: Mapping[str, str] | None = None,
          max_bytes: int | None = None, total_timeout: float | None = None,
          read_timeout: float = 60.0, retries: int = 4, transport_retries: int = 2,
          max_redirects: int = 5,
          what: str | None = None, storage_hint: str = "",
          progress: Callable[[int, int | None], None] | None = None,
          cancel: threading.Event | None = None) -> Fetched:
    """Download ``url`` into ``dest`` within every bound above; see the module docstring.

    ``max_bytes`` and ``total_timeout`` default to ``videonb.config.max_download_bytes`` and
    ``videonb.config.download_timeout``.  ``what`` names the download in messages (default: the
    URL).  ``storage_hint`` is added to a can't-write error (which folder variable to set)."""
    import httpx

    from ..settings import config

    dest = Path(dest)
    what = what or url[:200]
    cap = int(max_bytes if max_bytes is not None else config.max_download_bytes)
    limit = float(total_timeout if total_timeout is not None else config.download_timeout)
    deadline = time.monotonic() + limit
    _check_scheme(url, what)
    first_origin = _origin(url)
    # Media needs no compression, and a compressed answer is a bomb risk: ask for none, decode
    # one gzip/deflate layer ourselves (bounded), refuse anything else.
    base_headers = {"User-Agent": "videonb", "Accept-Encoding": "identity", **dict(headers or {})}
    part = dest.with_name(dest.name + ".part")
    timeout = httpx.Timeout(read_timeout, connect=min(10.0, read_timeout))
    attempt, hops, last_status, transport_failures = 0, 0, None, 0
    short = ""
    current = url

    def left() -> float:
        return deadline - time.monotonic()

    def wait(delay: float, why: str, retryable_status: int | None) -> None:
        if delay > left():
            raise _fail(what, "timeout", f"{why}; the next try would pass the {limit:g} s time "
                        f"limit", url=url, status=retryable_status, retryable=True)
        if cancel is not None:
            if cancel.wait(delay):
                raise _fail(what, "cancelled", "cancelled", url=url, retryable=True)
        else:
            time.sleep(delay)

    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _storage_error(exc, dest.parent, storage_hint) from None

    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        while True:
            if left() <= 0:
                raise _fail(what, "timeout", f"no complete answer within {limit:g} s", url=url,
                            status=last_status, retryable=True)
            same_origin = _origin(current) == first_origin
            send = {k: v for k, v in base_headers.items()
                    if same_origin or k.lower() not in CREDENTIAL_HEADERS}
            try:
                with _open(client, current, send, left, what, url) as resp:
                    status = last_status = resp.status_code
                    if status in _REDIRECTS:
                        location = resp.headers.get("location")
                        if not location:
                            raise _fail(what, "redirect", f"HTTP {status} redirect without a "
                                        f"Location (an empty redirect, not the file)", url=url,
                                        status=status, retryable=True)
                        hops += 1
                        if hops > max_redirects:
                            raise _fail(what, "redirect", f"more than {max_redirects} redirects",
                                        url=url, status=status, retryable=True)
                        current = urljoin(current, location)
                        _check_scheme(current, what)
                        continue
                    if status == 429 or status >= 500:
                        attempt += 1
                        hint = _retry_after(resp.headers)
                        if attempt > retries:
                            raise _fail(what, "http", f"HTTP {status} after {retries} retries",
                                        url=url, status=status, retryable=True)
                        wait(hint if hint is not None else min(30.0, 0.5 * 2 ** attempt),
                             f"HTTP {status}" + (f" with Retry-After {hint:g} s"
                                                 if hint is not None else ""), status)
                        continue
                    if status >= 400:
                        raise _fail(what, "http", f"HTTP {status}", url=url, status=status)
                    declared = resp.headers.get("content-length")
                    total = int(declared) if declared and declared.strip().isdigit() else None
                    if total is not None and total > cap:
                        raise _fail(what, "too_large", f"{total / 1e6:.1f} MB announced, above "
                                    f"the {cap / 1e6:.1f} MB limit "
                                    f"(videonb.config.max_download_bytes)", url=url,
                                    status=status)
                    ctype = resp.headers.get("content-type", "")
                    decoder = _decoder(resp.headers.get("content-encoding", ""), what, url,
                                       status)
                    got = [0, 0]  # bytes decoded, bytes received
                    try:
                        done = _stream_body(resp, part, got, cap=cap, total=total, what=what,
                                            url=url, ctype=ctype, left=left, limit=limit,
                                            cancel=cancel, progress=progress,
                                            storage_hint=storage_hint, decoder=decoder)
                    finally:
                        short = (f"stopped at {got[1]} of {total} bytes" if total is not None
                                 else f"stopped after {got[1]} bytes") if got[1] else ""
                    if total is not None and got[1] != total:
                        raise httpx.RemoteProtocolError(short)
                    try:
                        os.replace(part, dest)
                    except OSError as exc:  # (no DownloadError can come from os.replace)
                        raise _storage_error(exc, dest.parent, storage_hint) from None
                    return Fetched(dest, done, current, ctype, hops)
            except (DownloadError, StorageError):
                part.unlink(missing_ok=True)
                raise
            except httpx.HTTPError as exc:  # dropped connection, timeout, short body, bad URL
                part.unlink(missing_ok=True)
                transport_failures += 1
                detail = short or type(exc).__name__
                if transport_failures > transport_retries:
                    tries = "once" if transport_failures == 1 else f"{transport_failures} times"
                    raise _fail(what, "transport", f"the connection failed {tries} ({detail})",
                                url=url, status=last_status, retryable=True) from None
                wait(0.25 * 2 ** transport_failures, f"connection failed ({detail})",
                     last_status)
            except BaseException:
                part.unlink(missing_ok=True)
                raise


class _Opened:
    """The answer of one attempt, whose status line and headers arrived within the time left
    (read in a helper thread: a server trickling header lines, each inside the read timeout,
    would otherwise hold the call for as long as it likes)."""

    def __init__(self, resp: Any) -> None:
        self.resp = resp

    def __enter__(self) -> Any:
        return self.resp

    def __exit__(self, *exc: object) -> None:
        self.resp.close()


def _open(client: Any, current: str, send: dict[str, str], left: Callable[[], float],
          what: str, url: str) -> _Opened:
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["resp"] = client.send(client.build_request("GET", current, headers=send),
                                      stream=True)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="videonb-fetch", daemon=True)
    worker.start()
    worker.join(max(0.0, left()))
    if worker.is_alive():  # abandoned: the client is closed when fetch returns
        raise _fail(what, "timeout", "the server did not finish its answer's headers within "
                    "the time limit", url=url, retryable=True)
    if "error" in box:
        raise box["error"]
    return _Opened(box["resp"])


def _decoder(encoding: str, what: str, url: str, status: int) -> Any:
    """A bounded decoder for one gzip/deflate layer, None for identity; a DownloadError for
    any other or stacked encoding ("gzip, gzip" is a decompression bomb's shape)."""
    import zlib

    layers = [e.strip().lower() for e in encoding.split(",") if e.strip()]
    layers = [e for e in layers if e != "identity"]
    if not layers:
        return None
    if len(layers) == 1 and layers[0] in ("gzip", "x-gzip"):
        return zlib.decompressobj(wbits=47)  # gzip or zlib header
    if len(layers) == 1 and layers[0] == "deflate":
        return zlib.decompressobj(wbits=15)
    raise _fail(what, "encoding", f"the answer is encoded as {encoding!r}, which videonb does "
                f"not decode (a video needs no compression)", url=url, status=status,
                retryable=False)


def _stream_body(resp: Any, part: Path, got: list[int], *, cap: int, total: int | None,
                 what: str, url: str, ctype: str, left: Callable[[], float], limit: float,
                 cancel: threading.Event | None,
                 progress: Callable[[int, int | None], None] | None, storage_hint: str,
                 decoder: Any = None) -> int:
    """Stream ``resp`` into ``part`` within the byte cap and time limit; return bytes written
    (also kept in ``got[0]`` as it grows, for the message when the stream breaks)."""
    try:
        fh = open(part, "wb")
    except OSError as exc:
        raise _storage_error(exc, part.parent, storage_hint) from None
    try:
        with fh:
            _copy(resp, fh, got, cap=cap, total=total, what=what, url=url, ctype=ctype,
                  left=left, limit=limit, cancel=cancel, progress=progress, decoder=decoder)
    except (DownloadError, StorageError):  # both are OSErrors too: not a disk problem
        raise
    except OSError as exc:
        raise _storage_error(exc, part.parent, storage_hint) from None
    finally:
        if progress is not None and got[0]:
            progress(got[0], total)  # where it stopped, even when it broke off
    done = got[0]
    if done == 0:
        raise _fail(what, "empty", "the answer was empty (0 bytes), not a video", url=url,
                    status=resp.status_code, retryable=True)
    if looks_like_html(b"", ctype):
        raise _fail(what, "web_page", "this is a web page, not a video", url=url,
                    status=resp.status_code, retryable=True)
    return done


def _decoded(chunk: bytes, decoder: Any, room: int) -> Iterator[bytes]:
    """``chunk`` through ``decoder``, never more than ``room + 1`` bytes out in all (so a
    bomb is stopped at the byte cap, not after it has filled the memory)."""
    if decoder is None:
        yield chunk
        return
    data = chunk
    while data:
        out = decoder.decompress(data, max(1, min(room + 1, 1 << 20)))
        room -= len(out)
        yield out
        if room < 0:
            return
        data = decoder.unconsumed_tail


def _copy(resp: Any, fh: Any, got: list[int], *, cap: int, total: int | None, what: str,
          url: str, ctype: str, left: Callable[[], float], limit: float,
          cancel: threading.Event | None,
          progress: Callable[[int, int | None], None] | None, decoder: Any = None) -> None:
    last = 0.0
    for raw in resp.iter_raw():
        got[1] += len(raw)
        for chunk in _decoded(raw, decoder, cap - got[0]):
            if not got[0] and chunk and looks_like_html(chunk[:1024], ctype):
                raise _fail(what, "web_page", "this is a web page, not a video (a login or "
                            "captive-portal page, or the CDN's error page)", url=url,
                            status=resp.status_code, retryable=True)
            got[0] += len(chunk)
            if got[0] > cap:
                raise _fail(what, "too_large", f"more than {cap / 1e6:.1f} MB arrived, above "
                            f"the limit (videonb.config.max_download_bytes)", url=url,
                            status=resp.status_code)
            fh.write(chunk)
        if left() <= 0:
            raise _fail(what, "timeout", f"not complete after {limit:g} s", url=url,
                        status=resp.status_code, retryable=True)
        if cancel is not None and cancel.is_set():
            raise _fail(what, "cancelled", "cancelled", url=url, retryable=True)
        if progress is not None:
            now = time.monotonic()
            if now - last > 0.25:
                progress(got[0], total)
                last = now
