"""Loopback HTTP emulators of hosted video-AI APIs, for offline tests.

Each emulator is a real HTTP server on ``127.0.0.1`` (a free port) speaking the
provider's wire format, so the *official* SDKs, videonb's own clients or plain
``urllib`` can be pointed at it by changing only the base URL.  Nothing is ever
fetched from the network; generated videos are real, tiny H.264 MP4s.

- :class:`RunwayEmulator` - Runway ``/v1`` tasks (text/image/video to video, polling,
  per-model throttling and caps, cancel, credits and usage, ephemeral uploads,
  expiring signed output URLs).
- :class:`GeminiEmulator` - Gemini ``generateContent`` with video (inline or via the
  Files API resumable upload), ``countTokens``, ``models.get``/``list``, media
  resolution in the token counts, structured JSON output.
- :class:`OpenAIEmulator` - OpenAI chat completions and the Responses API with image
  frames and ``json_schema`` output, files, models, plus the Videos (Sora 2) API,
  optionally ``retired=True``.

Each emulator's model ids and limits come from one table (``runway_models``,
``openai_models``, ``gemini_models``) checked against the official SDKs' own types;
``docs/emulators.md`` is the fidelity table: every endpoint, emulated or not, and the
documented behaviour it follows, with sources.

Usage in a course's CI (pytest)::

    import pytest
    from videonb.testing.emulators import GeminiEmulator, OpenAIEmulator, RunwayEmulator

    @pytest.fixture
    def runway(monkeypatch):
        with RunwayEmulator(job_seconds=0.2) as emu:
            monkeypatch.setenv("RUNWAYML_BASE_URL", emu.base_url)
            monkeypatch.setenv("RUNWAYML_API_SECRET", "key_test")
            yield emu

    def test_generation(runway):
        import runwayml, runwayml.lib.polling as polling
        polling.POLL_TIME, polling.POLL_JITTER = 0.05, 0   # the SDK sleeps ~6 s per poll
        client = runwayml.RunwayML()                        # reads the two variables
        task = client.text_to_video.create(model="gen4.5", prompt_text="a red kite",
                                           ratio="1280:720", duration=5).wait_for_task_output()
        assert task.status == "SUCCEEDED"                   # task.output[0] is an MP4 URL

    def test_rate_limit_then_moderation(runway):
        import runwayml
        runway.inject("429", retry_after=0.05)              # the next request gets a 429...
        runway.inject("SAFETY.INPUT.TEXT")                  # ...and the next task fails moderation
        client = runwayml.RunwayML()
        task = client.text_to_video.create(model="gen4.5", prompt_text="x",
                                           ratio="1280:720", duration=5)   # retried by the SDK
        runway.clock.advance(1)                             # no waiting: move simulated time
        assert client.tasks.retrieve(task.id).failure_code == "SAFETY.INPUT.TEXT"
        assert [r.status for r in runway.requests][:2] == [429, 200]

    # Vision answers: a responder sees the request body and returns the model's text.
    with OpenAIEmulator(responder=lambda body: '{"answer": "a cat"}') as emu: ...

Pointing the SDKs at an emulator::

    openai.OpenAI(api_key="sk-test", base_url=emu.base_url + "/v1")     # or OPENAI_BASE_URL
    runwayml.RunwayML(api_key="key_test", base_url=emu.base_url)       # or RUNWAYML_BASE_URL
    genai.Client(api_key="test", http_options=types.HttpOptions(base_url=emu.base_url))
                                                                       # or GOOGLE_GEMINI_BASE_URL

Common API (:class:`~videonb.testing.emulators.kit.Emulator`): ``start()`` returns the
base URL, ``stop()``, use as a context manager; ``requests`` (log of method, path,
headers with credentials ``REDACTED``, body size, status, the route's name and kind);
``counts`` (live counters: ``counts["submit"]``, ``counts["poll"]``,
``counts["download"]``, ``counts["jobs"]`` (billed submits), ``counts["fault:429"]``, per
route name such as ``counts["tasks.retrieve"]``; ``counts.wait("download", 1)`` waits,
bounded, for one); ``clock.advance(seconds)`` moves simulated time (job progress, file
processing, URL expiry) without waiting; ``inject(fault, times=1, match=None, on=None,
**options)`` with faults ``"401"``, ``"429"``, ``"500"``, ``"502"``, ``"503"``, ``"504"``,
``"reset"``, ``"slow"``, ``"stall"``, the download faults ``"redirect"``, ``"html"``,
``"empty_302"``, ``"endless"``, ``"lying_length"`` (they hit the next output download
unless ``match=``/``on=`` aims them elsewhere), ``"malformed_json"``, ``"moderation"``,
``"expired_output"``, ``"job_failure"`` and provider job-failure codes;
``expected_key=`` to reject every other key with the provider's real error;
``output_base=`` to hand out output URLs on another loopback server (a test's own, or a
:class:`CDN` in front of the emulator); ``server_errors`` lists tracebacks of emulator
bugs (assert it stays empty).  :func:`loopback_only` makes any non-loopback connection
or DNS lookup raise, and records where the code under test connected.

A flaky CDN in front of Runway's outputs, for download tests::

    with CDN() as cdn, RunwayEmulator(output_base=cdn) as emu:
        cdn.origin = emu                     # the CDN serves the emulator's outputs
        cdn.inject("429", retry_after=0.05)  # its first answer is a 429...
        cdn.inject("html")                   # ...then a captive-portal page
        ...                                  # generate, download
        assert emu.counts["jobs"] == 1 and cdn.counts["download"] == 3

New provider emulators are built from the kit (:mod:`videonb.testing.emulators.kit`):
routes, a model table, an auth scheme and error bodies; the server, faults, jobs, signed
URLs, log and counters come with it.

The models' answers come from ``responder(request_dict) -> str`` (Gemini, OpenAI chat);
the default answers JSON that satisfies the request's schema (or a
``{summary, moments: [{start, end, label}], answer}`` object), derived from the request.
"""

from ._media import synthetic_mp4
from .gemini import GeminiEmulator
from .kit import CDN, Emulator, Fault, LoggedRequest, NetworkBlocked, loopback_only
from .openai import OpenAIEmulator
from .runway import RunwayEmulator

__all__ = [
    "CDN",
    "Emulator",
    "Fault",
    "GeminiEmulator",
    "LoggedRequest",
    "NetworkBlocked",
    "OpenAIEmulator",
    "RunwayEmulator",
    "loopback_only",
    "synthetic_mp4",
]
