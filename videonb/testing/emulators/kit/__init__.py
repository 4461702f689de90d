"""The emulator kit: the server machinery every provider emulator shares, written once.

=================  =====================================================================
module             job
=================  =====================================================================
``server``         the loopback HTTP server: threads, bodies, streams, resets, stalls,
                   a shutdown that always returns
``http``           :class:`Request`, :class:`Response`, :class:`Invalid`, ``Range``
                   answers, server-sent events, ISO times
``emulator``       :class:`Emulator`: routes, auth, the request pipeline, provider hooks,
                   jobs, signed outputs
``auth``           where the key travels: :class:`Bearer`, :class:`Header`,
                   :class:`Query`, :class:`AnyOf`
``faults``         :class:`Fault` and what each fault kind answers
``jobs``           :class:`Clock` (simulated time), :class:`Job`, :class:`JobScheduler`
``urls``           :class:`URLSigner`: signed, expiring output URLs
``log``            :class:`RequestLog` (credentials redacted) and :class:`Counts`
``checks``         :func:`check`: what is wrong with a request field
``dialects``       error formats many APIs share: zod issues, OpenAI-style, Google APIs
``billing``        :class:`Wallet`: credits, refunds, daily generation caps
``models``         :class:`ModelTable`: one table of model ids and limits per provider
``pages``          paged lists (page tokens, ``after`` cursors)
``cdn``            :class:`CDN`: a loopback CDN in front of an emulator's outputs
``guard``          :func:`loopback_only`: nothing leaves the machine
=================  =====================================================================

A new provider emulator subclasses :class:`Emulator` and declares its routes, its
model table, its auth scheme and its error bodies; see :mod:`.emulator`.
"""

from .auth import AnyOf, Bearer, Header, KeyScheme, Query
from .billing import Wallet
from .cdn import CDN
from .checks import Problem, check, json_type, utf16_len
from .dialects import (
    google_error,
    openai_check,
    openai_error,
    openai_invalid,
    openai_listing,
    openai_page,
    zod_custom,
    zod_issues,
)
from .emulator import Emulator, Route
from .faults import COMMON_FAULTS, HTTP_FAULTS, OUTPUT_FAULTS, STATUS_FAULTS, Fault
from .guard import NetworkBlocked, is_loopback, is_loopback_url, loopback_only
from .http import Invalid, Request, Response, fmt_number, iso8601, media_response, sse_response
from .jobs import Clock, Job, JobScheduler
from .log import Counts, LoggedRequest, RequestLog
from .models import ModelTable
from .pages import page_after, page_by_token
from .server import LoopbackServer, Reset, Stall
from .urls import URLSigner

__all__ = [
    "CDN",
    "COMMON_FAULTS",
    "HTTP_FAULTS",
    "OUTPUT_FAULTS",
    "STATUS_FAULTS",
    "AnyOf",
    "Bearer",
    "Clock",
    "Counts",
    "Emulator",
    "Fault",
    "Header",
    "Invalid",
    "Job",
    "JobScheduler",
    "KeyScheme",
    "LoggedRequest",
    "LoopbackServer",
    "ModelTable",
    "NetworkBlocked",
    "Problem",
    "Query",
    "Request",
    "RequestLog",
    "Reset",
    "Response",
    "Route",
    "Stall",
    "URLSigner",
    "Wallet",
    "check",
    "fmt_number",
    "google_error",
    "is_loopback",
    "is_loopback_url",
    "iso8601",
    "json_type",
    "loopback_only",
    "media_response",
    "openai_check",
    "openai_error",
    "openai_invalid",
    "openai_listing",
    "openai_page",
    "page_after",
    "page_by_token",
    "sse_response",
    "utf16_len",
    "zod_custom",
    "zod_issues",
]
