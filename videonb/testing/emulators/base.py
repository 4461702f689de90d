"""The names this module always offered, now provided by the emulator kit
(:mod:`videonb.testing.emulators.kit`): import from there in new code."""

from __future__ import annotations

from .kit.emulator import Emulator
from .kit.faults import COMMON_FAULTS, HTTP_FAULTS, OUTPUT_FAULTS, Fault
from .kit.guard import NetworkBlocked, loopback_only
from .kit.http import Request, Response, iso8601, media_response
from .kit.jobs import Clock, Job, JobScheduler
from .kit.log import LoggedRequest, RequestLog

__all__ = [
    "COMMON_FAULTS",
    "HTTP_FAULTS",
    "OUTPUT_FAULTS",
    "Clock",
    "Emulator",
    "Fault",
    "Job",
    "JobScheduler",
    "LoggedRequest",
    "NetworkBlocked",
    "Request",
    "RequestLog",
    "Response",
    "iso8601",
    "loopback_only",
    "media_response",
]
