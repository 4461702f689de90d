"""The house stays one-way: every import of every module under ``videonb/`` goes down a floor or
stays on its own, no ``_private`` name crosses a floor, and no module grows past 1,000 lines.

The floor table below is the one ARCHITECTURE.md describes.  The checks read the source with
:mod:`ast` (nothing is imported), so they see what any run could import: module-level imports,
imports inside functions and ``if TYPE_CHECKING:`` blocks, relative imports, and
``importlib.import_module("videonb....")`` / ``__import__("videonb....")`` with a literal name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "videonb"

# --------------------------------------------------------------------------------------------
# The floor table (lowest first).  An entry names a module or a package (then it covers the
# package's modules too), except "videonb", which is videonb/__init__.py alone.  A module lives
# on the floor of its longest matching entry; it may import its own floor and the floors
# below, never above.
# --------------------------------------------------------------------------------------------
FLOORS: list[tuple[str, tuple[str, ...]]] = [
    ("plain types", ("videonb.types", "videonb.errors", "videonb.settings", "videonb._redact",
                     "videonb.version")),
    ("media", ("videonb.media",)),
    ("display", ("videonb.display",)),
    ("providers", ("videonb.providers",)),
    ("notebook", ("videonb.notebook",)),
    ("top", ("videonb", "videonb.cli")),
]

#: The side wing: test helpers (clip builders, provider emulators).  It may import the floors
#: up to and including this one (not notebook, not top); the main floors do not import it ...
SIDE_WING = "videonb.testing"
SIDE_WING_CEILING = "providers"
#: ... except these edges: ``videonb demo`` builds its sample clip with the clip builders.
SIDE_WING_USERS: dict[str, set[str]] = {"videonb.cli": {"videonb.testing.clips"}}

#: Modules whose name starts with ``_`` but that every floor above may import: the redaction
#: registry of the plain-types floor (the project brief names it so).
SHARED_PRIVATE_MODULES = {"videonb._redact"}

MAX_LINES = 1000


def _floor_index(name: str) -> int | None:
    """Index into FLOORS of a module's floor; ``None`` for the side wing or outside videonb."""
    if name == SIDE_WING or name.startswith(SIDE_WING + "."):
        return None
    best: tuple[int, int] | None = None  # (prefix length, floor index)
    for index, (_floor, prefixes) in enumerate(FLOORS):
        for prefix in prefixes:
            if name == prefix or (prefix != "videonb" and name.startswith(prefix + ".")):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), index)
    return None if best is None else best[1]


def _floor_name(name: str) -> str:
    index = _floor_index(name)
    if index is None:
        return "side wing (videonb.testing)" if name.startswith(SIDE_WING) else "outside videonb"
    return FLOORS[index][0]


# --------------------------------------------------------------------------------------------
# Reading the source
# --------------------------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


@dataclass(frozen=True)
class Import:
    importer: str     # dotted module name of the file
    line: int
    target: str       # the module the statement loads (a videonb module or the package top)
    names: tuple[str, ...] = ()   # for "from X import a, b": the names taken from X

    def where(self) -> str:
        return f"{_rel(MODULES[self.importer])}:{self.line}"


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _resolve_relative(importer: str, level: int, module: str | None) -> str:
    base = importer.split(".")
    if not _is_package(importer):
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _literal_import_call(node: ast.Call) -> str | None:
    """``importlib.import_module("videonb.x")``, ``import_module("videonb.x")``, ``__import__``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ("import_module", "__import__") or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return None


def _imports(name: str) -> list[Import]:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    out: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.append(Import(name, node.lineno, alias.name))
        elif isinstance(node, ast.ImportFrom):
            module = (_resolve_relative(name, node.level, node.module) if node.level
                      else node.module or "")
            names = tuple(a.name for a in node.names)
            # "from pkg import sub" loads the submodule pkg.sub.
            subs = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
            for sub in subs:
                out.append(Import(name, node.lineno, sub))
            rest = tuple(n for n in names if f"{module}.{n}" not in MODULES)
            if rest or not subs:
                out.append(Import(name, node.lineno, module, rest))
        elif isinstance(node, ast.Call):
            target = _literal_import_call(node)
            if target is not None:
                out.append(Import(name, node.lineno, target))
    return [i for i in out if i.target == "videonb" or i.target.startswith("videonb.")]


ALL_IMPORTS = [imp for name in MODULES for imp in _imports(name)]


# --------------------------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------------------------
def upward_imports() -> list[str]:
    """Every import that goes up a floor, into the side wing, or from the wing too high."""
    problems = []
    for imp in ALL_IMPORTS:
        src, dst = _floor_index(imp.importer), _floor_index(imp.target)
        in_wing = imp.importer.startswith(SIDE_WING)
        to_wing = imp.target.startswith(SIDE_WING)
        if in_wing:
            ceiling = [f for f, _p in FLOORS].index(SIDE_WING_CEILING)
            if not to_wing and (dst is None or dst > ceiling):
                problems.append(f"{imp.where()}: {imp.importer} (side wing) imports {imp.target} "
                                f"({_floor_name(imp.target)}); the side wing may import floors "
                                f"up to {SIDE_WING_CEILING}")
        elif to_wing:
            if imp.target not in SIDE_WING_USERS.get(imp.importer, set()):
                problems.append(f"{imp.where()}: {imp.importer} ({_floor_name(imp.importer)}) "
                                f"imports the side wing {imp.target}; the main floors never "
                                f"import videonb.testing")
        elif src is not None and dst is not None and dst > src:
            problems.append(f"{imp.where()}: {imp.importer} ({FLOORS[src][0]}) imports "
                            f"{imp.target} ({FLOORS[dst][0]}), a floor above its own")
    return problems


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _crosses(importer: str, target: str) -> bool:
    """True when ``target`` lives on another floor than ``importer`` (or in/out of the wing)."""
    wing = (importer.startswith(SIDE_WING), target.startswith(SIDE_WING))
    if wing[0] != wing[1]:
        return True
    return not wing[0] and _floor_index(importer) != _floor_index(target)


def private_crossings() -> list[str]:
    """``from X import _name``, ``X._name`` on a module bound from X, or an import of a private
    module (``videonb.display._x``), where X is on another floor than the importer."""
    problems = []
    for imp in ALL_IMPORTS:
        if not _crosses(imp.importer, imp.target):
            continue
        hidden = [p for p in imp.target.split(".") if _private(p)]
        if hidden and imp.target not in SHARED_PRIVATE_MODULES:
            problems.append(f"{imp.where()}: {imp.importer} imports the private module "
                            f"{imp.target} of another floor")
        for n in imp.names:
            if _private(n):
                problems.append(f"{imp.where()}: {imp.importer} takes the private name {n} from "
                                f"{imp.target} ({_floor_name(imp.target)})")
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound: dict[str, str] = {}  # local alias -> videonb module it names
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("videonb"):
                        bound[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.ImportFrom):
                module = (_resolve_relative(name, node.level, node.module) if node.level
                          else node.module or "")
                for alias in node.names:
                    if f"{module}.{alias.name}" in MODULES:
                        bound[alias.asname or alias.name] = f"{module}.{alias.name}"
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and _private(node.attr)):
                continue
            dotted = ast.unparse(node.value)
            target = bound.get(dotted)
            if target is None and dotted.startswith("videonb."):
                target = dotted if dotted in MODULES else None
            if target is not None and _crosses(name, target):
                problems.append(f"{_rel(path)}:{node.lineno}: {name} uses the private "
                                f"name {target}.{node.attr} ({_floor_name(target)})")
    return problems


def oversized_modules() -> list[str]:
    out = []
    for name, path in MODULES.items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            out.append(f"{_rel(path)}: {lines} lines (the limit is {MAX_LINES})")
    return out


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------
def test_every_module_has_a_floor():
    homeless = [n for n in MODULES if _floor_index(n) is None and not n.startswith(SIDE_WING)]
    assert homeless == [], "add these modules to FLOORS (and ARCHITECTURE.md): " + ", ".join(homeless)
    stale = [p for _f, prefixes in FLOORS for p in prefixes if p not in MODULES]
    assert stale == [], "FLOORS names modules that do not exist: " + ", ".join(stale)


def test_no_upward_import():
    problems = upward_imports()
    assert not problems, "imports must go down a floor (see ARCHITECTURE.md):\n" + "\n".join(problems)


def test_no_private_name_crosses_a_floor():
    problems = private_crossings()
    assert not problems, ("give these helpers a public, documented name on their own floor:\n"
                          + "\n".join(problems))


def test_no_module_over_the_line_limit():
    problems = oversized_modules()
    assert not problems, "split these modules by job:\n" + "\n".join(problems)


def test_side_wing_exceptions_are_still_used():
    """An allowance nobody needs any more is removed, not kept as a silent hole."""
    used = {(i.importer, i.target) for i in ALL_IMPORTS}
    for importer, targets in SIDE_WING_USERS.items():
        for target in targets:
            assert (importer, target) in used, f"{importer} no longer imports {target}: drop it"


def test_media_values_render_when_imported_straight_from_media(samples):
    """``from videonb.media.video import Video`` (no ``import videonb``, no display import):
    the values still render through the views display registers (videonb/media/views.py)."""
    import json
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import json, re, sys
        from videonb.media.video import Video
        before = "videonb.display" in sys.modules
        v = Video({str(samples["bikes"])!r})
        frames = v.frames(n=3, max_side=160)
        moments = v.moments()
        html = {{"video": v._repr_html_(), "frames": frames._repr_html_(),
                 "moments": moments._repr_html_()}}
        from videonb import display
        same = {{"video": display.Player(v).html, "frames": display.FrameGrid(frames).html,
                 "moments": display.Timeline(moments).html}}
        ids = lambda s: re.sub(r"vnb-[a-z]+-[0-9a-f]{{10}}", "ID", s)
        print(json.dumps({{"before": before, "kinds": [type(v.player()).__name__,
                          type(frames.grid()).__name__, type(moments.timeline()).__name__],
                          "same": {{k: ids(html[k]) == ids(same[k]) for k in html}},
                          "video_tag": "<video" in html["video"]}}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["before"] is False
    assert out["kinds"] == ["Player", "FrameGrid", "Timeline"]
    assert out["same"] == {"video": True, "frames": True, "moments": True}
    assert out["video_tag"] is True


def test_views_without_a_display_floor_name_the_fix(monkeypatch):
    from videonb.errors import VideonbError
    from videonb.media import views

    monkeypatch.setattr(views, "_views", {})
    monkeypatch.setattr(views, "_loaders", [])
    with pytest.raises(VideonbError, match="import videonb"):
        views.view("player", object())
    with pytest.raises(ValueError, match="unknown view"):
        views.register_view("plyer", object)


# The checker itself: each rule fires on a small example (so a green run means something).
@pytest.mark.parametrize("importer,source,expected", [
    ("videonb.media.video", "def f():\n    from ..display import Player\n", "a floor above"),
    ("videonb.media.video", "import importlib\nimportlib.import_module('videonb.display')\n",
     "a floor above"),
    ("videonb.notebook.magics", "def f():\n    import videonb\n", "a floor above"),
    ("videonb.providers.api", "from ..testing import clips\n", "never import videonb.testing"),
    ("videonb.testing.clips", "from videonb.notebook import widgets\n", "side wing"),
])
def test_checker_catches_upward_imports(monkeypatch, tmp_path, importer, source, expected):
    fake = tmp_path / "mod.py"
    fake.write_text(source)
    monkeypatch.setitem(MODULES, importer, fake)
    found = [p for p in _check_one(importer, upward_imports) if importer in p]
    assert found and expected in found[0], found


@pytest.mark.parametrize("importer,source", [
    ("videonb.notebook.magics", "def f():\n    from ..display.html import _b64\n"),
    ("videonb.notebook.magics", "from ..display import html\nhtml._b64(b'')\n"),
    ("videonb.notebook.magics", "import videonb.display.html as H\nH._jpeg_uri(None)\n"),
    ("videonb.notebook.magics", "from ..providers import _http\n"),
    ("videonb.notebook.widgets.panels", "from ...media.sampling import _FrameSource\n"),
])
def test_checker_catches_private_crossings(monkeypatch, tmp_path, importer, source):
    fake = tmp_path / "mod.py"
    fake.write_text(source)
    monkeypatch.setitem(MODULES, importer, fake)
    assert any(importer in p for p in _check_one(importer, private_crossings))


def _check_one(importer: str, rule):
    global ALL_IMPORTS
    saved = ALL_IMPORTS
    ALL_IMPORTS = [i for i in saved if i.importer != importer] + _imports(importer)
    try:
        return rule()
    finally:
        ALL_IMPORTS = saved


if __name__ == "__main__":  # python tests/test_architecture.py: the report without pytest
    for title, rule in (("upward imports", upward_imports), ("private names", private_crossings),
                        ("oversized modules", oversized_modules)):
        found = rule()
        print(f"{title}: {len(found)}")
        for line in found:
            print("  " + line)
