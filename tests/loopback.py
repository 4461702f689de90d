"""Tiny misbehaving HTTP servers on 127.0.0.1 for the trust tests (CDNs, proxies, gateways).

``Loopback(script)`` serves every request with ``script(req) -> Reply`` and records what it
received; ``Stall()`` accepts connections and never answers.  Both are context managers and
stop promptly (every handler thread is a daemon and every socket has a timeout).
"""

from __future__ import annotations

import http.server
import socket
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterator


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterator[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: close the connection after this many body bytes (a body shorter than Content-Length)
    cut_after: int | None = None


class Loopback:
    def __init__(self, script: Callable[[Seen], Reply]) -> None:
        self.script = script
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10

            def _any(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                req = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                           body)
                with outer._lock:
                    outer.seen.append(req)
                reply = outer.script(req)
                self.send_response(reply.status)
                chunks = [reply.body] if isinstance(reply.body, bytes) else reply.body
                headers = dict(reply.headers)
                if isinstance(reply.body, bytes) and "Content-Length" not in headers:
                    headers["Content-Length"] = str(len(reply.body))
                headers.setdefault("Connection", "close")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                sent = 0
                try:
                    for chunk in chunks:
                        if reply.cut_after is not None and sent + len(chunk) > reply.cut_after:
                            self.wfile.write(chunk[: reply.cut_after - sent])
                            break
                        self.wfile.write(chunk)
                        sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            do_GET = do_POST = do_DELETE = do_HEAD = _any

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "Loopback":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class Stall:
    """A socket that accepts connections and never answers (until the test ends)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _run(self) -> None:
        self.sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted.append(conn)

    def __enter__(self) -> "Stall":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join(5)
        for c in self.accepted:
            c.close()
        self.sock.close()


def endless(chunk: bytes = b"\0" * 65536) -> Iterator[bytes]:
    while True:
        yield chunk
