"""Issue 8, "Tests and figures": a secrets scan after the whole fault matrix.

Keys are given the ways users give them — with surrounding whitespace (``api_key=`` read from a
file, an environment variable set from one, a quoted ``.env`` value), with a control character
inside (refused before anything is sent), with an invisible non-ASCII character pasted from a web
page, wrong, or missing — and the Runway, OpenAI (chat and Videos) and Gemini emulators answer
with every fault they document: 401s, 429s, 5xx, resets, moderation, malformed model JSON,
expired outputs, failing submits.  Small loopback servers of our own answer errors that quote
the credentials they received (in full, padded so that a 300-character cut would split the key;
masked; already cut mid-key by the server; as JSON and as plain text).

Then every place a key could surface is scanned for each key given (stripped) and for every
8-character piece of it: captured stdout/stderr, ``repr``/``str``/``_repr_html_`` of every
result, Job and exception (and the exception's attributes), formatted tracebacks of every
exception including chained ones, DEBUG logs of every logger (httpx and httpcore included),
warnings, every file under ``VIDEONB_HOME`` (the ledger, held open so its ``-wal``/``-shm`` files
stay, the store), ``VIDEONB_CACHE_DIR`` and ``VIDEONB_CONFIG_DIR``, and a notebook executed with
nbclient whose cells make succeeding and failing calls with keys that come in through the
environment (its saved JSON, tracebacks included).
"""

from __future__ import annotations

import http.server
import json
import logging
import re
import secrets
import sqlite3
import threading
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import pytest

import videonb
from videonb import errors
from videonb.testing.emulators import (
    GeminiEmulator,
    OpenAIEmulator,
    RunwayEmulator,
    loopback_only,
    synthetic_mp4,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
LOGGERS = ("", "videonb", "httpx", "httpcore", "google_genai", "google", "asyncio", "urllib3")
FAST = {"poll_interval": 0.02, "poll_max": 0.05}


def placeholder_key() -> str:
    """A key no provider would issue (and the repository's leak hook does not match): the random
    part uses letters that are not hex digits, so no 8-character piece of it can turn up by
    chance in a hash, a job id or base64."""
    alphabet = "ghjkmnpqrstvwxyz"
    return "placeholder-not-a-key-" + "".join(secrets.choice(alphabet) for _ in range(26))


# --- the scanner ----------------------------------------------------------------------------
class Leaks:
    """Looks for every key and every 8-character piece of each in text and bytes."""

    def __init__(self, keys: list[str]) -> None:
        self.needles: dict[str, str] = {}
        for key in keys:
            key = key.strip()
            self.needles[key] = key
            for i in range(len(key) - 7):
                self.needles.setdefault(key[i:i + 8], key)
        self.found: list[str] = []
        self.places = 0

    def text(self, where: str, text: Any) -> None:
        self.places += 1
        if not isinstance(text, str):
            text = str(text)
        plain = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)  # ANSI colours in tracebacks
        for body in {text, plain}:
            for needle in self.needles:
                at = body.find(needle)
                if at != -1:
                    snippet = body[max(0, at - 60):at + len(needle) + 60]
                    self.found.append(f"{where}: {needle!r} (piece of a key) in …{snippet!r}…")
                    return

    def data(self, where: str, blob: bytes) -> None:
        self.places += 1
        for needle in self.needles:
            at = blob.find(needle.encode())
            if at != -1:
                snippet = blob[max(0, at - 60):at + len(needle) + 60]
                self.found.append(f"{where}: {needle!r} in …{snippet!r}…")
                return

    def tree(self, label: str, root: Path, skip: set[Path] = frozenset()) -> int:
        n = 0
        for p in sorted(Path(root).rglob("*")):
            if p.is_file() and p not in skip:
                self.data(f"{label}/{p.relative_to(root)}", p.read_bytes())
                self.text(f"{label} file name", str(p))
                n += 1
        return n

    def thing(self, where: str, obj: Any) -> None:
        """Every rendering of a result, Job or exception."""
        self.text(f"{where} repr", repr(obj))
        self.text(f"{where} str", str(obj))
        for name in ("_repr_html_", "_repr_markdown_", "_repr_pretty_"):
            fn = getattr(obj, name, None)
            if callable(fn) and name != "_repr_pretty_":
                try:
                    self.text(f"{where} {name}", fn() or "")
                except Exception as exc:  # noqa: BLE001 - a broken renderer is reported too
                    self.text(f"{where} {name} raised", f"{type(exc).__name__}: {exc}")
        for attr in ("provenance", "raw", "record"):
            if hasattr(obj, attr) and not isinstance(obj, BaseException):
                try:
                    value = getattr(obj, attr)
                except Exception as exc:  # noqa: BLE001
                    value = f"{type(exc).__name__}: {exc}"
                self.text(f"{where}.{attr}", repr(value))
        if isinstance(obj, BaseException):
            self.exception(where, obj)

    def exception(self, where: str, exc: BaseException) -> None:
        self.text(f"{where} formatted traceback", "".join(traceback.format_exception(exc)))
        self.text(f"{where} args", repr(exc.args))
        self.text(f"{where} attributes", repr(vars(exc)))
        # Chained exceptions, including a context hidden with ``from None``: still reachable
        # (``exc.__context__``, %debug), so still not allowed to hold a key.
        seen, chain, link = {id(exc)}, 0, exc
        while True:
            nxt = link.__cause__ or link.__context__
            if nxt is None or id(nxt) in seen:
                break
            seen.add(id(nxt))
            chain += 1
            hidden = " (hidden by `from None`)" if link.__suppress_context__ else ""
            label = f"{where} chained exception {chain}{hidden}: {type(nxt).__name__}"
            self.text(label, "".join(traceback.format_exception(nxt)))
            self.text(f"{label} attributes", repr(vars(nxt)) + repr(nxt.args))
            link = nxt


# --- a server that quotes the credentials it received -------------------------------------------
class EchoServer:
    """Answers every request with an error quoting the credentials it was sent.

    ``mode``: ``"quote"`` the whole header, padded so that it straddles character 300 of the
    message; ``"masked"`` a provider-style masked key that still shows 14 + 10 characters;
    ``"cut"`` a message the server itself cut in the middle of the key.  ``body``: ``"json"``
    (``{"error": {"message", "code", "status"}}``, what all three providers use) or ``"text"``."""

    def __init__(self, mode: str = "quote", status: int = 400, body: str = "json") -> None:
        self.mode, self.status, self.body = mode, status, body
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                outer.hits += 1
                payload, ctype = outer.answer(dict(self.headers.items()))
                self.send_response(outer.status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, headers: dict[str, str]) -> tuple[bytes, str]:
        low = {k.lower(): v for k, v in headers.items()}
        auth = low.get("authorization") or ""
        token = auth[7:] if auth.lower().startswith("bearer ") else auth
        token = token or low.get("x-goog-api-key") or ""
        if self.mode == "quote":
            quoted = f"Authorization: {auth}" if auth else f"x-goog-api-key: {token}"
            head = quoted.index(token) if token else 0
            msg = "x" * max(0, 288 - head) + quoted + " was not accepted for this request."
        elif self.mode == "masked":
            msg = f"Incorrect API key provided: {token[:14]}****{token[-10:]}."
        else:  # "cut": the server truncated its own message in the middle of the key
            msg = ("The request carried the credential " + token)[:35 + len(token) // 2]
        if self.body == "text":
            return msg.encode(), "text/plain; charset=utf-8"
        body = {"error": {"message": msg, "code": self.status, "status": "INVALID_ARGUMENT"}}
        return json.dumps(body).encode(), "application/json"

    def __enter__(self) -> Self:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the notebook -----------------------------------------------------------------------------
NOTEBOOK_CELLS = [
    ("import logging, os, traceback\n"
     "logging.basicConfig(level=logging.DEBUG, force=True)  # every logger, to stderr\n"
     "import videonb"),
    ("v = videonb.generate('a kite in the notebook', provider='runway', seconds=5,\n"
     "                     poll_interval=0.02)\nv"),
    "%load_ext videonb",
    "%%videogen runway --seconds 5\na paper boat in the notebook",
    "%videonb jobs",
    ("videonb.generate('wrong key in the notebook', provider='runway', seconds=5,\n"
     "                 api_key=os.environ['VNB_WRONG_KEY'], poll_interval=0.02)"),
    ("videonb.generate('an echoing server', provider='runway', seconds=5,\n"
     "                 base_url=os.environ['VNB_ECHO_URL'], poll_interval=0.02)"),
    ("videonb.generate('control character', provider='runway', seconds=5,\n"
     "                 api_key=os.environ['VNB_CTRL_KEY'])"),
    ("err = None\n"
     "try:\n"
     "    videonb.analyze(v, provider='openai', base_url=os.environ['VNB_ECHO_URL'] + '/v1',\n"
     "                    api_key=os.environ['VNB_OPENAI_KEY'], frames=2)\n"
     "except Exception as exc:\n"
     "    traceback.print_exc()\n"
     "    print(repr(exc))\n"
     "    err = exc\n"
     "err"),
    "a = videonb.analyze(v, provider='gemini')\na",
    "%analyze v --provider gemini",
    ("job = videonb.generate('later in the notebook', provider='runway', seconds=5,\n"
     "                       wait=False, poll_interval=0.02)\n"
     "display(job)\njob.result()"),
    "videonb.jobs()",
]
NOTEBOOK_ERRORS = {"AuthenticationError", "ProviderHTTPError", "InvalidKeyError"}


def run_notebook(path: Path, cells: list[str] = NOTEBOOK_CELLS) -> dict:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nbformat.write(nb, path)
    return json.loads(path.read_text(encoding="utf-8"))


# --- the test ---------------------------------------------------------------------------------
def test_no_key_anywhere_after_the_fault_matrix(home, tmp_path, monkeypatch, capfd, caplog):
    from videonb.providers import ledger as ledger_mod

    key_r, key_o, key_g = placeholder_key(), placeholder_key(), placeholder_key()
    wrong = placeholder_key()
    ctrl = placeholder_key()
    ctrl = ctrl[:30] + "\x07" + ctrl[30:]           # a control character inside: refused
    zwsp = placeholder_key() + "\u200b"             # an invisible character pasted with it
    leaks = Leaks([key_r, key_o, key_g, wrong, ctrl, zwsp.strip(), zwsp[:-1]])

    cache, config = tmp_path / "cache", tmp_path / "config"
    monkeypatch.setenv("VIDEONB_CACHE_DIR", str(cache))
    monkeypatch.setenv("VIDEONB_CONFIG_DIR", str(config))
    # nbclient's own chatter (every kernel message, at DEBUG): the notebook is scanned itself.
    # (First: caplog.set_level also sets its handler's level, so the DEBUG ones come last.)
    caplog.set_level(logging.WARNING, logger="traitlets")
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(synthetic_mp4(320, 180, 2.0))
    led = ledger_mod.ledger()
    keep = sqlite3.connect(led.path)                # held open: the -wal and -shm files stay
    keep.execute("SELECT count(*) FROM jobs").fetchone()

    outcomes: list[tuple[str, Any]] = []
    surprises: list[str] = []
    step_no = [0]

    def attempt(label: str, fn: Callable[[], Any], expect: Any = None, *,
                sent_nothing: Any = None) -> Any:
        step_no[0] += 1
        before = len(sent_nothing.requests) if sent_nothing is not None else None
        try:
            out = fn()
        except Exception as exc:  # noqa: BLE001 - every outcome is scanned
            out = exc
        outcomes.append((f"step {step_no[0]} ({label})", out))
        if expect is not None and not isinstance(out, expect):
            surprises.append(f"{label}: expected {expect}, got {type(out).__name__}: "
                             f"{str(out)[:300]}")
        if isinstance(out, Exception) and not isinstance(out, errors.VideonbError):
            surprises.append(f"{label}: a raw {type(out).__name__} left a public function")
        if before is not None and len(sent_nothing.requests) != before:
            surprises.append(f"{label}: {len(sent_nothing.requests) - before} request(s) were "
                             f"sent with a refused key")
        return out

    prompt = iter(f"secret scan shot {i}" for i in range(1000))

    def runway(emu_url: str, **kw: Any) -> Callable[[], Any]:
        kw.setdefault("progress", step_no[0] % 2 == 0)  # half with the progress display
        return lambda: videonb.generate(next(prompt), provider="runway", seconds=5,
                                        base_url=emu_url, **FAST, **kw)

    with warnings.catch_warnings(record=True) as warned, loopback_only() as connections:
        warnings.simplefilter("always")
        # --- Runway -------------------------------------------------------------------------
        with RunwayEmulator(expected_key=key_r, job_seconds=0.1, concurrency=None) as rw, \
                RunwayEmulator(expected_key=key_r, daily_limit=0) as capped:
            url = rw.base_url
            first = attempt("runway: api_key= with surrounding whitespace",
                            runway(url, api_key=f"  {key_r}\n"), videonb.Video)
            if isinstance(first, videonb.Video):
                # its signed output URL, opened as Video(url): a download into the cache
                import httpx

                task = httpx.get(f"{url}/v1/tasks/{first.provenance['remote_id']}",
                                 headers={"Authorization": f"Bearer {key_r}",
                                          "X-Runway-Version": "2024-11-06"}).json()
                attempt("Video(url) of a signed output URL",
                        lambda: videonb.Video(task["output"][0]).info, object)
            monkeypatch.setenv("RUNWAYML_API_SECRET", f"\t{key_r} \n")
            attempt("runway: environment key with a trailing newline", runway(url),
                    videonb.Video)
            monkeypatch.delenv("RUNWAYML_API_SECRET")
            dotenv = tmp_path / ".env"
            dotenv.write_text(f'RUNWAYML_API_SECRET="  {key_r}  "\n')
            attempt("runway: quoted .env key with spaces", runway(url), videonb.Video)
            dotenv.write_text(f'RUNWAYML_API_SECRET="{ctrl}"\n')
            attempt("runway: .env key with a control character", runway(url),
                    errors.InvalidKeyError, sent_nothing=rw)
            dotenv.unlink()
            monkeypatch.setenv("RUNWAYML_API_SECRET", ctrl)
            attempt("runway: environment key with a control character", runway(url),
                    errors.InvalidKeyError, sent_nothing=rw)
            monkeypatch.delenv("RUNWAYML_API_SECRET")
            attempt("runway: api_key= with a control character", runway(url, api_key=ctrl),
                    errors.InvalidKeyError, sent_nothing=rw)
            attempt("runway: api_key= with a newline inside",
                    runway(url, api_key=key_r[:20] + "\n" + key_r[20:]),
                    errors.InvalidKeyError, sent_nothing=rw)
            attempt("runway: no key at all", runway(url), errors.MissingKeyError,
                    sent_nothing=rw)
            attempt("runway: key with an invisible non-ASCII character", runway(url, api_key=zwsp),
                    errors.InvalidKeyError, sent_nothing=rw)
            attempt("runway: wrong key (401)", runway(url, api_key=wrong + "\n"),
                    errors.AuthenticationError)
            k = {"api_key": f"{key_r}\n"}
            rw.inject("429", match="POST /v1/text_to_video", retry_after=0.05)
            attempt("runway: 429 on submit, then accepted", runway(url, **k), videonb.Video)
            rw.inject("429", times=None, match="GET /v1/tasks", retry_after=0.01)
            attempt("runway: 429 on every poll", runway(url, **k), errors.ProviderError)
            rw.clear_faults()
            rw.inject("500", match="POST /v1/text_to_video")
            attempt("runway: 500 on submit (a failing submit)", runway(url, **k),
                    errors.ProviderHTTPError)
            rw.inject("503", times=2, match="GET /v1/tasks", retry_after=0.01)
            rw.inject("500", match="GET /v1/tasks")
            attempt("runway: 503s and a 500 on polls", runway(url, **k), videonb.Video)
            rw.inject("reset", match="POST /v1/text_to_video")
            attempt("runway: connection reset on submit", runway(url, **k),
                    errors.ProviderHTTPError)
            rw.inject("reset", times=2, match="GET /v1/tasks")
            attempt("runway: resets on polls", runway(url, **k), videonb.Video)
            rw.inject("moderation")
            attempt("runway: moderation", runway(url, **k), errors.ModerationError)
            rw.inject("expired_output", times=2)
            attempt("runway: expired output URL, twice", runway(url, **k),
                    errors.OutputExpiredError)
            rw.inject("INTERNAL.BAD_OUTPUT")
            attempt("runway: INTERNAL failure, resubmitted", runway(url, **k), videonb.Video)
            attempt("runway: daily cap (429 without Retry-After)", runway(capped.base_url, **k),
                    errors.RateLimitError)
            job = attempt("runway: wait=False gives a Job", runway(url, wait=False, **k),
                          videonb.Job)
            if isinstance(job, videonb.Job):
                outcomes.append(("the Job while it runs", job))
                attempt("runway: Job.result()", lambda: job.result(timeout=30), videonb.Video)
                outcomes.append(("the Job when done", job))
            attempt("runway: resume() of what is left",
                    lambda: videonb.resume(timeout=10, base_url=url, **k, **FAST))
            with EchoServer("quote") as echo:
                attempt("runway: server quoting the key at the 300-character cut",
                        runway(echo.base_url, **k), errors.ProviderHTTPError)
            with EchoServer("masked", status=401) as echo:
                attempt("runway: 401 quoting a masked key", runway(echo.base_url, **k),
                        errors.AuthenticationError)
            with EchoServer("cut", body="text") as echo:
                attempt("runway: plain-text error cut mid-key by the server",
                        runway(echo.base_url, **k), errors.ProviderHTTPError)
            with EchoServer("quote", status=500, body="text") as echo:
                attempt("runway: 500 quoting the key", runway(echo.base_url, **k),
                        errors.ProviderHTTPError)
            assert not rw.server_errors and not capped.server_errors

        # --- OpenAI: chat on frames, and the Videos wire format -----------------------------
        with OpenAIEmulator(expected_key=key_o, job_seconds=0.1) as oa:
            v1 = oa.base_url + "/v1"

            def chat(**kw: Any) -> Callable[[], Any]:
                kw.setdefault("api_key", f" {key_o}\n")
                return lambda: videonb.analyze(clip, provider="openai", base_url=kw.pop(
                    "base_url", v1), frames=2, **kw)

            def video(**kw: Any) -> Callable[[], Any]:
                kw.setdefault("api_key", f"{key_o}\r\n")
                return lambda: videonb.generate(next(prompt), provider="openai/sora-2",
                                                seconds=4, base_url=kw.pop("base_url", v1),
                                                progress=False, **FAST, **kw)

            attempt("openai chat: key with whitespace", chat(), videonb.Analysis)
            attempt("openai chat: wrong key (401)", chat(api_key=wrong), errors.AuthenticationError)
            oa.inject("429", retry_after=0.05)
            attempt("openai chat: one 429", chat(), videonb.Analysis)
            oa.inject("429", times=None, retry_after=0.01)
            attempt("openai chat: 429 on every try", chat(), errors.RateLimitError)
            oa.clear_faults()
            oa.inject("500")
            oa.inject("503", retry_after=0.01)
            attempt("openai chat: 500 and 503", chat(), videonb.Analysis)
            oa.inject("reset")
            # a chat completion is billed: one that may have been processed is not re-sent
            attempt("openai chat: connection reset", chat(), errors.ProviderHTTPError)
            oa.inject("moderation")
            attempt("openai chat: refusal", chat(), errors.ModerationError)
            oa.inject("malformed_json", times=2)
            attempt("openai chat: malformed JSON twice", chat(), errors.ModelOutputError)
            monkeypatch.setenv("OPENAI_API_KEY", f"{key_o}\n")
            attempt("openai videos: environment key with a newline",
                    video(api_key=None), videonb.Video)
            monkeypatch.delenv("OPENAI_API_KEY")
            oa.inject("expired_output", times=2)
            attempt("openai videos: expired content, twice", video(), errors.OutputExpiredError)
            oa.inject("moderation")
            attempt("openai videos: moderation", video(), errors.ModerationError)
            oa.inject("video_generation_failed")
            attempt("openai videos: generation failed", video(), errors.JobFailedError)
            attempt("openai videos: wrong key", video(api_key=wrong), errors.AuthenticationError)
            attempt("openai: no key at all", chat(api_key=None), errors.MissingKeyError,
                    sent_nothing=oa)
            with EchoServer("quote") as echo:
                attempt("openai chat: server quoting the key", chat(base_url=echo.base_url + "/v1"),
                        errors.ProviderHTTPError)
                attempt("openai videos: server quoting the key",
                        video(base_url=echo.base_url + "/v1"), errors.ProviderHTTPError)
            with EchoServer("masked", status=401, body="text") as echo:
                attempt("openai chat: 401 with a masked key as text",
                        chat(base_url=echo.base_url + "/v1"), errors.AuthenticationError)
            assert not oa.server_errors

        # --- Gemini (the google-genai SDK) ------------------------------------------------------
        with GeminiEmulator(expected_key=key_g, file_processing_seconds=0.05) as gm:
            def gem(**kw: Any) -> Callable[[], Any]:
                kw.setdefault("api_key", f"{key_g}\n")
                return lambda: videonb.analyze(clip, provider="gemini",
                                               base_url=kw.pop("base_url", gm.base_url), **kw)

            monkeypatch.setenv("GEMINI_API_KEY", f"  {key_g}\n")
            attempt("gemini: environment key with whitespace", gem(api_key=None),
                    videonb.Analysis)
            monkeypatch.setenv("GEMINI_API_KEY", ctrl)
            attempt("gemini: environment key with a control character", gem(api_key=None),
                    errors.InvalidKeyError, sent_nothing=gm)
            monkeypatch.delenv("GEMINI_API_KEY")
            attempt("gemini: no key at all", gem(api_key=None), errors.MissingKeyError,
                    sent_nothing=gm)
            attempt("gemini: wrong key", gem(api_key=wrong), errors.AuthenticationError)
            gm.inject("429", retry_after=0.05)
            attempt("gemini: one 429", gem(), videonb.Analysis)
            gm.inject("500")
            gm.inject("503")
            attempt("gemini: 500 and 503", gem(), videonb.Analysis)
            gm.inject("reset", match=":generateContent")
            attempt("gemini: reset on generateContent", gem(), errors.ProviderHTTPError)
            gm.inject("moderation")
            attempt("gemini: blocked prompt", gem(), errors.ModerationError)
            gm.inject("malformed_json", times=2)
            attempt("gemini: malformed JSON twice", gem(), errors.ModelOutputError)
            gm.inject("expired_output")
            attempt("gemini: Files API, uploaded file gone (403), re-uploaded",
                    gem(inline_limit=1000, file_poll=0.05), videonb.Analysis)
            attempt("gemini: key with an invisible non-ASCII character", gem(api_key=zwsp),
                    errors.InvalidKeyError, sent_nothing=gm)
            with EchoServer("quote") as echo:
                attempt("gemini: server quoting the key", gem(base_url=echo.base_url),
                        errors.ProviderError)
            with EchoServer("masked", status=403) as echo:
                attempt("gemini: 403 quoting a masked key", gem(base_url=echo.base_url),
                        errors.ProviderError)
            assert not gm.server_errors

        outcomes.append(("videonb.jobs()", videonb.jobs(limit=1000)))
        outcomes.append(("videonb.providers()", videonb.providers()))
        outcomes.append(("the ledger's dump()", led.dump()))

    assert {host for host, _ in connections} <= {"127.0.0.1"}

    # --- the notebook: keys only through the environment ----------------------------------------
    with RunwayEmulator(expected_key=key_r, job_seconds=0.0, concurrency=None) as rw_nb, \
            GeminiEmulator(expected_key=key_g) as gm_nb, EchoServer("quote") as echo_nb:
        monkeypatch.setenv("RUNWAYML_API_SECRET", f"  {key_r}\n")
        monkeypatch.setenv("RUNWAYML_BASE_URL", rw_nb.base_url)
        monkeypatch.setenv("GEMINI_API_KEY", f"{key_g}\n")
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", gm_nb.base_url)
        monkeypatch.setenv("VNB_WRONG_KEY", wrong)
        monkeypatch.setenv("VNB_CTRL_KEY", ctrl)
        monkeypatch.setenv("VNB_OPENAI_KEY", f"{key_o}\n")
        monkeypatch.setenv("VNB_ECHO_URL", echo_nb.base_url)
        monkeypatch.setenv("PYTHONPATH", str(REPO))
        nb_path = tmp_path / "nb" / "secrets.ipynb"
        nb_path.parent.mkdir()
        executed = run_notebook(nb_path)
    cells = executed["cells"]
    outputs = [o for c in cells for o in c.get("outputs", [])]
    enames = {o.get("ename") for o in outputs if o.get("output_type") == "error"}
    if enames != NOTEBOOK_ERRORS:
        surprises.append(f"notebook: error cells {sorted(map(str, enames))}, expected "
                         f"{sorted(NOTEBOOK_ERRORS)}")
    if not any("<video" in json.dumps(o.get("data", {})) for o in outputs):
        surprises.append("notebook: no inline player was saved")
    for i, cell in enumerate(cells):
        for j, out in enumerate(cell.get("outputs", [])):
            leaks.text(f"notebook cell {i} output {j} ({out.get('output_type')})", json.dumps(out))
            for line in out.get("traceback", []):
                leaks.text(f"notebook cell {i} traceback", line)
    leaks.text("the saved notebook file", nb_path.read_text(encoding="utf-8"))

    # --- scan everything ------------------------------------------------------------------------
    for label, out in outcomes:
        leaks.thing(label, out)
        if isinstance(out, list):
            for n, item in enumerate(out):
                leaks.thing(f"{label}[{n}]", item)
    captured = capfd.readouterr()
    leaks.text("captured stdout", captured.out)
    leaks.text("captured stderr", captured.err)
    for rec in caplog.records:
        leaks.text(f"log record {rec.name}:{rec.levelname}", rec.getMessage())
        leaks.text(f"log record {rec.name} raw", f"{rec.msg!r} {rec.args!r} {rec.exc_text!r}")
        if rec.exc_info and rec.exc_info[1] is not None:
            leaks.exception(f"log record {rec.name} exception", rec.exc_info[1])
    leaks.text("caplog text", caplog.text)
    for w in warned:
        leaks.text(f"warning {w.category.__name__}", str(w.message))
    home_dir = Path(ledger_mod.home())
    wal = [p.name for p in home_dir.glob("ledger.sqlite3-*")]
    n_home = leaks.tree("VIDEONB_HOME", home_dir)
    n_cache = leaks.tree("VIDEONB_CACHE_DIR", cache) if cache.exists() else 0
    leaks.tree("VIDEONB_CONFIG_DIR", config) if config.exists() else None
    keep.close()
    leaks.tree("the working folder", tmp_path,
               skip={clip} | set((tmp_path / "home").rglob("*")))

    print(f"\nscanned {leaks.places} places for {len(leaks.needles)} key pieces: "
          f"{len(outcomes)} outcomes, {len(caplog.records)} log records, {n_home} files in "
          f"VIDEONB_HOME ({', '.join(sorted(wal)) or 'no WAL'}), {n_cache} in the cache, "
          f"{len(outputs)} notebook outputs; other surprises: {surprises or 'none'}")
    assert not leaks.found, "a key (or a piece of one) was found:\n" + "\n".join(leaks.found)
    assert {"ledger.sqlite3-wal", "ledger.sqlite3-shm"} <= set(wal), wal
    assert len(caplog.records) > 50 and any(r.name.startswith("httpx") for r in caplog.records)
    assert not surprises, "\n".join(surprises)


VERBOSE_CELLS = [
    "%xmode Verbose\nimport videonb",
    "videonb.generate('wrong key, verbose', provider='runway', seconds=5, poll_interval=0.02)",
    ("videonb.generate('nobody listens, verbose', provider='runway', seconds=5,\n"
     "                 base_url='http://127.0.0.1:9', poll_interval=0.02)"),
    "videonb.analyze(videonb.Video(__import__('os').environ['VNB_CLIP']), provider='gemini')",
]


def test_verbose_tracebacks_in_a_saved_notebook_hold_no_key(home, tmp_path, monkeypatch):
    """``%xmode Verbose`` (IPython's traceback mode that prints each frame's arguments and
    variables) is what a user turns on to debug a failing cell, and the notebook is then saved
    with those tracebacks.  The keys here come only from the environment — no cell names one —
    so any key in the saved notebook was shown by one of videonb's own frames."""
    key_r, key_g = placeholder_key(), placeholder_key()
    leaks = Leaks([key_r, key_g])
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(synthetic_mp4(320, 180, 1.0))
    with RunwayEmulator(expected_key=placeholder_key(), job_seconds=0.0) as rw, \
            GeminiEmulator(expected_key=placeholder_key()) as gm:
        monkeypatch.setenv("RUNWAYML_API_SECRET", f"{key_r}\n")
        monkeypatch.setenv("RUNWAYML_BASE_URL", rw.base_url)
        monkeypatch.setenv("GEMINI_API_KEY", f"{key_g}\n")
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", gm.base_url)
        monkeypatch.setenv("VNB_CLIP", str(clip))
        monkeypatch.setenv("PYTHONPATH", str(REPO))
        nb_path = tmp_path / "verbose.ipynb"
        executed = run_notebook(nb_path, VERBOSE_CELLS)
    errors_seen = [o.get("ename") for c in executed["cells"] for o in c.get("outputs", [])
                   if o.get("output_type") == "error"]
    assert errors_seen == ["AuthenticationError", "ProviderHTTPError", "AuthenticationError"], \
        errors_seen
    for i, cell in enumerate(executed["cells"]):
        for line in (line for o in cell.get("outputs", []) for line in o.get("traceback", [])):
            leaks.text(f"verbose traceback of cell {i}", line)
    assert not leaks.found, "a key in a saved verbose traceback:\n" + "\n".join(leaks.found)
