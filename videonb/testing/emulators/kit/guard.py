"""A guard for tests: nothing leaves the machine.  :func:`loopback_only` makes any
connection or DNS lookup that is not for loopback raise :class:`NetworkBlocked`."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

__all__ = ["NetworkBlocked", "is_loopback", "is_loopback_url", "loopback_only"]


class NetworkBlocked(ConnectionRefusedError):
    """Raised by :func:`loopback_only` for a connection or lookup outside loopback."""


_LOOPBACK_NAMES = {"127.0.0.1", "::1", "localhost", "0:0:0:0:0:0:0:1", "ip6-localhost"}


def is_loopback(host: Any) -> bool:
    """True for a loopback address or name (``127.x.y.z``, ``::1``, ``localhost``)."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").lower()
    return host in _LOOPBACK_NAMES or host.startswith("127.")


def is_loopback_url(url: str) -> bool:
    """True for an ``http(s)://`` URL whose host is loopback."""
    split = urlsplit(url)
    return (
        split.scheme in ("http", "https") and bool(split.hostname) and is_loopback(split.hostname)
    )


@contextmanager
def loopback_only() -> Iterator[list[tuple[str, int]]]:
    """Within the block, any TCP/UDP connection or DNS lookup that is not for loopback
    raises :class:`NetworkBlocked`.  Yields the list of ``(host, port)`` connected to,
    so a test can assert that every connection went to its emulator::

        with RunwayEmulator() as emu, loopback_only() as connections:
            ...
        assert {port for _, port in connections} == {emu.port_number}
    """
    connections: list[tuple[str, int]] = []
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host, port = address[0], address[1]
            if not is_loopback(host):
                raise NetworkBlocked(
                    f"videonb emulators: blocked a connection to {host}:{port} (not loopback)"
                )
            connections.append((str(host), int(port)))

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        return original_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return original_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any):
        if not is_loopback(host):
            raise NetworkBlocked(
                f"videonb emulators: blocked a DNS lookup of {host!r} (not loopback)"
            )
        return original_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    try:
        yield connections
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = original_getaddrinfo  # type: ignore[assignment]
