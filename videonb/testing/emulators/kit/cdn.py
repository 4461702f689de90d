"""A loopback CDN in front of an emulator's outputs, for download tests.

Point an emulator's output URLs at it (``output_base=cdn``); every ``GET``/``HEAD``
it receives is answered with what the origin emulator answers for the same path and
query, asked in-process (no network), so the origin still checks signatures and
expiry and logs the pull.  The CDN is an :class:`~.emulator.Emulator` itself: it has
its own request log, counters and faults, and its one route is a download, so
``cdn.inject("redirect", to=emu.base_url)``, ``cdn.inject("429")``,
``cdn.inject("endless")`` … misbehave the way a real CDN in front of a provider can::

    with CDN() as cdn, RunwayEmulator(output_base=cdn) as emu:
        cdn.origin = emu
        cdn.inject("html")               # the first download meets a captive portal
        ...
        assert cdn.counts["download"] == 2 and emu.counts["jobs"] == 1
"""

from __future__ import annotations

from typing import Any

from .emulator import Emulator
from .http import Request, Response

__all__ = ["CDN"]


class CDN(Emulator):
    """Serves *origin*'s outputs (``origin`` may be set after construction)."""

    provider = "cdn"
    provider_faults: frozenset[str] = frozenset({"expired_output"})

    def __init__(self, origin: Emulator | None = None, **kwargs: Any) -> None:
        self.origin = origin
        super().__init__(**kwargs)

    def setup_routes(self) -> None:
        self.route("GET", r"/.*", self._forward, auth=False, kind="download", name="cdn.get")

    def _forward(self, req: Request) -> Response:
        origin = self.origin
        if origin is None or not origin.running:
            return self.error_response(502, "no_origin", req, "The CDN has no running origin.")
        if self.output_expired(req, float("inf")):
            return self.error_response(403, "expired", req, "Request has expired")
        headers = {k: v for k, v in req.headers.items() if k != "host"}
        return origin.handle(Request(req.method, req.target, headers, req.body, origin.base_url))
