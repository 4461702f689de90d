"""IPython magics: ``%%videogen``, ``%analyze`` and ``%videonb``.

Each magic is a thin wrapper over the public Python API (``videonb.generate``,
``videonb.analyze``...), called where it lives: :mod:`videonb.providers.api`, the floor
below.  Arguments are split with :func:`shlex.split` (a stray ``\\r`` from some front ends
is removed), parsed into typed values, and user mistakes print one short line naming the fix
instead of a traceback.  Options are traitlets, so
``%config VideoNbMagics.default_provider = "runway"`` works.
"""

from __future__ import annotations

import argparse
import re
import shlex
import string
import sys
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class
from traitlets import Dict, Unicode

from ..errors import VideonbError

__all__ = ["VideoNbMagics", "interpolate", "empty_cell_magic_body"]

HELP = """videonb magics (every one wraps a plain Python function):

  %%videogen [PROVIDER[/MODEL]] [--seconds N] [--ratio W:H] [--image PATH] [--seed N]
             [--style S] [--as NAME] [--no-wait] [--budget USD] [--no-interpolate]
      the cell body is the prompt; {var} takes a value from your namespace
      → videonb.generate(prompt, ...)   (--style with --video PATH → videonb.stylize)
  %analyze PATH_OR_VAR ["question"] [--provider P] [--frames N] [--as NAME]
      → videonb.analyze(video, question=...)
  %analyze DIR_OR_GLOB ["question"] [--workers N] [--no-resume]
      → videonb.analyze_many(...), shown as its gallery
  %videonb providers | jobs [cancel ID | resume [ID]] | resume | config
          | key PROVIDER | alias NAME PROVIDER/MODEL | debug [on|off] | doctor | help | version
      key PROVIDER asks for that provider's key with hidden input (kept in memory only)
      → videonb.set_key(provider)
      debug on: errors show their full (redacted) traceback, not only message and fix
      → videonb.config.debug = True   (%tb shows the last error's traceback either way)
      doctor: what this front end plays, where keys were found, ledger and cache, extras
      → videonb.doctor()

  Widgets: videonb.explore(video), videonb.GeneratePanel(), videonb.AnalyzePanel(),
  videonb.ComparePanel() (see videonb.widgets).
"""


class _FormatDict(dict):  # type: ignore[type-arg]
    """Leaves unknown ``{names}`` (and format specs on them) untouched."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def interpolate(text: str, namespace: dict[str, Any]) -> str:
    """``{var}`` → ``str(namespace["var"])``; unknown or malformed braces stay as written."""
    out = []
    for literal, field, spec, conv in string.Formatter().parse(text):
        out.append(literal)
        if field is None:
            continue
        if field in namespace and field.isidentifier():
            value = namespace[field]
            try:
                value = format(repr(value) if conv == "r" else value, spec or "")
            except (ValueError, TypeError):
                value = str(value)
            out.append(str(value))
        else:
            out.append("{" + field + (("!" + conv) if conv else "") + ((":" + spec) if spec else "") + "}")
    return "".join(out)


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: {message}. Run %videonb help for the options.")


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line.replace("\r", ""))
    except ValueError as exc:
        raise _UsageError(f"could not parse the options ({exc}); check the quotes.") from None


_FLAGS = ("--no-wait", "--refresh", "--no-interpolate")


def _prompt_below(line: str, what: str, aliases: Any = ()) -> str:
    """The one message for a %%videogen without a prompt (empty cell body, or used as a line
    magic): write the prompt on the lines below the magic's own line.  Words of ``line`` that
    are not options or a provider (a prompt typed on the magic's line) go below it."""
    from ..providers.registry import provider_classes

    try:
        words = _split(line)
    except _UsageError:
        words = line.split()
    known = set(provider_classes()) | set(aliases)
    head: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w.startswith("--"):
            head.append(w)
            if w not in _FLAGS and "=" not in w and i + 1 < len(words):
                i += 1
                head.append(shlex.quote(words[i]))
        elif i == 0 and (w in known or w.split("/", 1)[0] in known):
            head.append(w)
        else:
            rest.append(w)
        i += 1
    first = " ".join(["%%videogen", *head])
    prompt = " ".join(rest) or "a paper boat on a pond at sunset"
    return (f"{what}: write the prompt on the lines below {first}, for example\n"
            f"    {first}\n    {prompt}\n(in a script: videonb.generate({prompt!r})).")


def empty_cell_magic_body(lines: list[str]) -> list[str]:
    """IPython input transformer: a ``%%videogen …`` cell with nothing below its first line gets
    an empty line as its body.  IPython answers a cell magic with an empty body itself, before
    the magic runs ("did you mean the line magic %videogen?"), which sends the user to the line
    form, which is wrong; with a body of one empty line, videonb says what to write instead."""
    if (lines and re.match(r"%%videogen(\s|$)", lines[0])
            and not "".join(lines[1:]).strip()):
        return [lines[0].rstrip("\r\n") + "\n", "\n"]
    return lines


def _videogen_parser() -> _Parser:
    p = _Parser(prog="%%videogen", add_help=False)
    p.add_argument("target", nargs="?", default=None, help="PROVIDER or PROVIDER/MODEL")
    p.add_argument("--seconds", type=float)
    p.add_argument("--ratio")
    p.add_argument("--image")
    p.add_argument("--video")
    p.add_argument("--seed", type=int)
    p.add_argument("--style")
    p.add_argument("--as", dest="name")
    p.add_argument("--no-wait", action="store_true")
    p.add_argument("--budget", type=float)
    p.add_argument("--refresh", action="store_true")
    p.add_argument("--no-interpolate", action="store_true")
    return p


def _analyze_parser() -> _Parser:
    p = _Parser(prog="%analyze", add_help=False)
    p.add_argument("video")
    p.add_argument("question", nargs="?", default=None)
    p.add_argument("--provider")
    p.add_argument("--frames", type=int)
    p.add_argument("--as", dest="name")
    p.add_argument("--workers", type=int)
    p.add_argument("--no-resume", action="store_true")
    return p


def _is_many(arg: str) -> bool:
    """A folder or a glob (``%analyze clips/`` / ``%analyze "clips/*.mp4"``): a batch."""
    import os

    return os.path.isdir(os.path.expanduser(arg)) or any(c in arg for c in "*?[")


@magics_class
class VideoNbMagics(Magics):
    """``%%videogen``, ``%analyze`` and ``%videonb`` (configurable with ``%config``)."""

    default_provider = Unicode("local", help="Provider used when a magic names none.").tag(config=True)
    aliases = Dict({}, help="Short names for PROVIDER/MODEL, e.g. {'fast': 'runway/gen4_turbo'}.").tag(
        config=True)

    # --- helpers ------------------------------------------------------------------------
    def _fail(self, message: str) -> None:
        print(f"videonb: {message}", file=sys.stderr)

    def _target(self, target: str | None) -> str:
        target = target or self.default_provider
        return self.aliases.get(target, target)

    def _resolve_video(self, ref: str) -> Any:
        ns = self.shell.user_ns if self.shell is not None else {}
        if ref.isidentifier() and ref in ns:
            return ns[ref]
        return ref

    # --- %%videogen ---------------------------------------------------------------------------
    @line_cell_magic
    def videogen(self, line: str, cell: str | None = None) -> Any:
        """%%videogen [PROVIDER[/MODEL]] [options] — the cell body is the prompt."""
        from ..providers import api
        from ..providers.jobs import Job
        from ..settings import config

        if cell is None:
            self._fail(_prompt_below(line, "%%videogen is a cell magic (two percent signs)",
                                     self.aliases))
            return None
        try:
            args = _videogen_parser().parse_args(_split(line))
        except _UsageError as exc:
            self._fail(str(exc))
            return None
        prompt = cell.replace("\r", "").strip()
        if not args.no_interpolate and self.shell is not None:
            prompt = interpolate(prompt, self.shell.user_ns)
        target = self._target(args.target)
        old_budget = config.budget_usd
        try:
            if args.budget is not None:
                config.budget_usd = args.budget
            if args.video is not None or (args.style and not prompt):
                if args.video is None:
                    raise _UsageError("--style restyles a video: add --video PATH (or a variable).")
                result = api.stylize(self._resolve_video(args.video), args.style or prompt,
                                     provider=target, wait=not args.no_wait,
                                     refresh=args.refresh)
            else:
                if not prompt:
                    raise _UsageError(_prompt_below(line, "the cell is empty", self.aliases))
                image = self._resolve_video(args.image) if args.image else None
                result = api.generate(prompt, provider=target, seconds=args.seconds,
                                      ratio=args.ratio, image=image, seed=args.seed,
                                      wait=not args.no_wait, refresh=args.refresh)
        except _UsageError as exc:
            self._fail(str(exc))
            return None
        except VideonbError as exc:
            self._fail(f"{type(exc).__name__}: {exc}")
            return None
        finally:
            if args.budget is not None:
                config.budget_usd = old_budget
        if args.name:
            self.shell.user_ns[args.name] = result
        if args.no_wait and isinstance(result, Job):
            # A live status with a Cancel button, updated through widget traits; the Job itself
            # is bound by --as and available as view.job.
            from .widgets import JobView

            return JobView(result)
        return result

    # --- %analyze -------------------------------------------------------------------------------
    @line_cell_magic
    def analyze(self, line: str, cell: str | None = None) -> Any:
        """%analyze PATH_OR_VAR ["question"] [--provider P] [--frames N] [--as NAME]
        %analyze DIR_OR_GLOB ["question"] [--workers N] [--no-resume] → analyze_many's gallery"""
        from ..providers import api
        from ..providers import batch as _batch

        if cell is not None:
            self._fail("%analyze is a line magic (one percent sign): %analyze clip.mp4 \"question\". "
                       "To generate from a prompt in the cell body use %%videogen.")
            return None
        try:
            args = _analyze_parser().parse_args(_split(line))
        except _UsageError as exc:
            self._fail(str(exc))
            return None
        if _is_many(args.video):
            # A folder or a glob: videonb.analyze_many(); the cell shows its gallery.
            try:
                batch = _batch.analyze_many(
                    args.video, self._target(args.provider) if args.provider else "local",
                    question=args.question, frames=args.frames, workers=args.workers,
                    resume=not args.no_resume)
            except VideonbError as exc:
                self._fail(f"{type(exc).__name__}: {exc}")
                return None
            if args.name:
                self.shell.user_ns[args.name] = batch
            return batch
        try:
            result = api.analyze(self._resolve_video(args.video),
                                 provider=self._target(args.provider) if args.provider else "local",
                                 question=args.question, frames=args.frames)
        except VideonbError as exc:
            self._fail(f"{type(exc).__name__}: {exc}")
            return None
        if args.name:
            self.shell.user_ns[args.name] = result
        return result

    # --- %videonb ------------------------------------------------------------------------------
    @line_cell_magic
    def videonb(self, line: str, cell: str | None = None) -> Any:
        """%videonb providers | jobs | resume | config | key PROVIDER | alias NAME TARGET |
        debug [on|off] | doctor | help | version"""
        from ..providers import api
        from ..settings import config
        from ..version import __version__

        if cell is not None:
            self._fail("%videonb is a line magic (one percent sign). To generate from a prompt in "
                       "the cell body use %%videogen.")
            return None
        try:
            words = _split(line)
        except _UsageError as exc:
            self._fail(str(exc))
            return None
        cmd = words[0] if words else "help"
        if cmd == "help":
            print(HELP)
            return None
        if cmd == "version":
            return f"videonb {__version__}"
        if cmd == "providers":
            return api.providers()
        if cmd == "jobs" and len(words) == 1:
            return api.jobs()
        if cmd in ("jobs", "resume"):
            sub = words[1:] if cmd == "jobs" else ["resume", *words[1:]]
            try:
                if sub[0] == "cancel" and len(sub) == 2:
                    rec = api.cancel(sub[1])
                    return f"job {rec.id}: {rec.status}"
                if sub[0] == "resume" and len(sub) <= 2:
                    return api.resume(sub[1] if len(sub) == 2 else None)
            except VideonbError as exc:
                self._fail(f"{type(exc).__name__}: {exc}")
                return None
            self._fail("usage: %videonb jobs | %videonb jobs cancel JOB_ID | "
                       "%videonb jobs resume [JOB_ID]")
            return None
        if cmd == "config":
            return config
        if cmd == "doctor":
            from .doctor import doctor

            return doctor()
        if cmd == "debug":
            if len(words) == 2 and words[1] in ("on", "off"):
                config.debug = words[1] == "on"
            elif len(words) != 1:
                self._fail("usage: %videonb debug [on | off]")
                return None
            print("videonb: debug is " + ("on: errors show their full (redacted) traceback."
                                          if config.debug else
                                          "off: errors show their message and fix; %tb shows "
                                          "the last one's traceback."))
            return None
        if cmd == "key":
            if len(words) != 2:
                self._fail("usage: %videonb key PROVIDER, e.g. %videonb key runway (asks for the "
                           "key with hidden input; it is kept in memory only)")
                return None
            from ..providers.keys import set_key

            try:
                info = set_key(words[1])
            except VideonbError as exc:
                self._fail(f"{type(exc).__name__}: {exc}")
                return None
            print(f"videonb: a {words[1]} key is set for this session ({info.source}; never "
                  f"saved, never shown).")
            return None
        if cmd == "alias":
            if len(words) == 1:
                return dict(self.aliases)
            if len(words) != 3:
                self._fail("usage: %videonb alias NAME PROVIDER/MODEL, e.g. %videonb alias fast "
                           "runway/gen4_turbo")
                return None
            self.aliases = {**self.aliases, words[1]: words[2]}
            return None
        self._fail(f"unknown subcommand '{cmd}'. Run %videonb help.")
        return None
