"""The loopback HTTP server under every emulator.

A :class:`LoopbackServer` is a :class:`http.server.ThreadingHTTPServer` bound to
``127.0.0.1`` (or ``::1``) on a free port, served from a daemon thread, with daemon
handler threads.  It parses each request into a :class:`~.http.Request`, asks its
*app* (the emulator) for a :class:`~.http.Response` and writes it: a body, a chunked
stream, a lying ``Content-Length``; or it drops the connection (:class:`Reset`) or
holds it unanswered (:class:`Stall`).

:meth:`LoopbackServer.stop` always returns promptly: it sets :attr:`stopping` (which
stalled and streaming answers watch), shuts every open connection down (which wakes a
handler blocked on a socket) and never joins handler threads.
"""

from __future__ import annotations

import select
import socket
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from .http import Request, Response

__all__ = ["LOOPBACK_HOSTS", "LoopbackServer", "Reset", "Stall"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class Reset(Exception):
    """Raised by the app to drop the connection with a TCP RST and no answer."""


class Stall(Exception):
    """Raised by the app to accept the request and never answer: the connection is
    held until the client hangs up, the server stops, or *seconds* pass (then it is
    closed without an answer)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = float(seconds)


class App(Protocol):
    server_errors: list[str]

    def handle(self, req: Request) -> Response: ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() never waits for a stalled or streaming handler
    allow_reuse_address = True
    request_queue_size = 256  # bursts of concurrent clients (socketserver's default backlog is 5)

    def __init__(self, addr, handler, app: App, stopping: threading.Event) -> None:
        self.app = app
        self.stopping = stopping
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        super().__init__(addr, handler)
        host, port = self.server_address[:2]
        self.base_url = f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"

    def process_request(self, request, client_address):  # type: ignore[override]
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):  # type: ignore[override]
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        """Clients that hang up mid-answer are normal here (resets, timeouts): stay quiet;
        anything else is an emulator bug, kept in ``app.server_errors``."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        self.app.server_errors.append(traceback.format_exc())

    def close_all_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
            self._conns.clear()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "videonb-emulator"
    sys_version = ""
    timeout = 30  # idle keep-alive connections are closed after this
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        server = self.server
        body = self._read_body()
        req = Request(self.command, self.path, dict(self.headers.items()), body, server.base_url)
        try:
            resp = server.app.handle(req)
        except Reset:
            self._reset()
            return
        except Stall as stall:
            self._stall(stall.seconds)
            return
        self._send(resp)

    def _send(self, resp: Response) -> None:
        self.send_response(resp.status)
        headers = dict(resp.headers)
        if resp.content_type and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = resp.content_type
        for k, v in headers.items():
            self.send_header(k, v)
        if resp.stream is not None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            length = len(resp.body) if resp.length is None else resp.length
            self.send_header("Content-Length", str(length))
        if resp.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            return
        if resp.stream is None:
            if resp.body:
                self.wfile.write(resp.body)
            return
        if resp.body:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(resp.body), resp.body))
        for piece in resp.stream:
            if self.server.stopping.is_set():
                break
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        if not resp.close:
            self.wfile.write(b"0\r\n\r\n")

    def _reset(self) -> None:
        """Abort the connection with a TCP RST and no response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    def _stall(self, seconds: float) -> None:
        """Hold the connection unanswered until the client hangs up, the server stops or
        *seconds* pass."""
        self.close_connection = True
        stopping = self.server.stopping
        deadline = time.monotonic() + seconds
        conn = self.connection
        while not stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                readable, _, _ = select.select([conn], [], [], min(left, 0.05))
                if readable and not conn.recv(1, socket.MSG_PEEK):
                    return  # the client hung up (or stop() shut the socket down)
            except (OSError, ValueError):
                return
            if readable:  # the client sent more (a pipelined request): keep ignoring it
                stopping.wait(min(left, 0.05))

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class LoopbackServer:
    """Serve *app* on a loopback address until :meth:`stop`."""

    def __init__(
        self, app: App, host: str = "127.0.0.1", port: int = 0, name: str = "emulator"
    ) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ValueError("emulators only listen on the loopback interface")
        self.app = app
        self.host = host
        self.port = port
        self.name = name
        #: Set while the server stops: stalled and streaming answers end when they see it.
        self.stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url: str | None = None

    def start(self) -> str:
        if self._server is not None:
            return self.base_url  # type: ignore[return-value]
        self.stopping.clear()
        host = "127.0.0.1" if self.host == "localhost" else self.host
        server = _Server((host, self.port), _Handler, self.app, self.stopping)
        self._server = server
        self.base_url = server.base_url
        port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},  # also how long stop() waits
            name=f"{self.name}@{port}",
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self.stopping.set()
        server.shutdown()
        server.close_all_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port_number(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return int(self._server.server_address[1])
