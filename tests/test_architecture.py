"""Layering, read from the source (AST, nothing is imported):

- ``engines/`` computes and imports no view (diagrams, scenes, walkthroughs, style, the CLI) and none
  of graphviz, manim, matplotlib;
- every module of the package imports GateLab through ``gatelab.`` or relative imports, never a bare
  ``engines`` / ``diagrams`` / ``scenes`` / ``render`` (installed, those names belong to other projects
  or to nothing).

Imports inside functions count, and so do ``importlib.import_module("...")`` / ``__import__("...")``
calls with a literal name.
"""
from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

VIEWS = ("gatelab.diagrams", "gatelab.scenes", "gatelab.walkthroughs", "gatelab.style", "gatelab.render")
DRAWING_LIBRARIES = ("graphviz", "manim", "matplotlib")
BARE = ("engines", "diagrams", "scenes", "render")


def _under(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def package_modules() -> dict[str, Path]:
    """Dotted name -> file of every module the wheel ships (the packages listed in pyproject.toml)."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    root_dir = ROOT / cfg["package-dir"]["gatelab"]
    out = {}
    for pkg in cfg["packages"]:
        folder = root_dir.joinpath(*pkg.split(".")[1:])
        for f in sorted(folder.glob("*.py")):
            out[pkg if f.name == "__init__.py" else f"{pkg}.{f.stem}"] = f
    return out


def imports(source: str, module: str, is_package: bool = False) -> list[tuple[int, str, int]]:
    """(line, absolute module name, relative level) of every import in ``source``; relative imports are
    resolved against ``module`` (a package's ``__init__`` resolves against the package itself)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, 0) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                names = [".".join(base + ([node.module] if node.module else []))]
                if not node.module:          # `from . import diagrams`: each name may be a module
                    names = [".".join(base + [a.name]) for a in node.names]
            else:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            found += [(node.lineno, n, node.level) for n in names]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and (getattr(node.func, "attr", None) == "import_module" or getattr(node.func, "id", None) in
                   ("import_module", "__import__"))):
            found.append((node.lineno, node.args[0].value, 0))
    return found


def _first_per_line(hits) -> list[str]:
    seen: dict[int, str] = {}
    for line, name in hits:
        seen.setdefault(line, name)
    return [f"line {line}: {name}" for line, name in sorted(seen.items())]


def view_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    """What an engine module must not import."""
    return _first_per_line((line, name) for line, name, _ in imports(source, module, is_package)
                           if _under(name, VIEWS) or _under(name, DRAWING_LIBRARIES))


def bare_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    """Absolute imports of the checkout's folders as top-level modules."""
    return _first_per_line((line, name) for line, name, level in imports(source, module, is_package)
                           if level == 0 and _under(name, BARE))


MODULES = package_modules()
ENGINE_MODULES = {m: f for m, f in MODULES.items() if _under(m, ["gatelab.engines"])}


def test_the_package_is_what_the_wheel_ships():
    assert {"gatelab", "gatelab.render", "gatelab.engines", "gatelab.diagrams", "gatelab.scenes",
            "gatelab.walkthroughs", "gatelab.style"} <= set(MODULES)
    assert len(ENGINE_MODULES) > 10


@pytest.mark.parametrize("module", sorted(ENGINE_MODULES))
def test_engines_import_no_view_and_no_drawing_library(module):
    path = ENGINE_MODULES[module]
    bad = view_imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
    assert not bad, f"{path.relative_to(ROOT)} imports a view or a drawing library: {bad}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_bare_import_of_the_checkout_folders(module):
    path = MODULES[module]
    bad = bare_imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
    assert not bad, f"{path.relative_to(ROOT)} imports a folder of the checkout as a top-level module: {bad}"


# --------------------------------------------------------------------------- the checks themselves can fail

@pytest.mark.parametrize("source", [
    "import gatelab.diagrams.style",
    "from gatelab.scenes import base",
    "from gatelab import render",
    "from gatelab.style import fmt",
    "def f():\n    import manim",
    "import graphviz as gv",
    "from matplotlib import pyplot",
    "from ..diagrams.style import fmt",
    "from .. import scenes",
    "import importlib\nimportlib.import_module('gatelab.walkthroughs.rnn')",
])
def test_view_check_catches(source):
    assert view_imports(source, "gatelab.engines.rnn")


@pytest.mark.parametrize("source", [
    "from . import io, presets",
    "from .errors import InputError",
    "from gatelab.engines.trace import Record",
    "import numpy as np",
    "from ..engines import registry",
    "import importlib\nimportlib.import_module(name)",
])
def test_view_check_lets_engine_imports_through(source):
    assert not view_imports(source, "gatelab.engines.rnn")


def test_relative_imports_resolve_from_a_package_init():
    assert view_imports("from .diagrams import api", "gatelab", is_package=True)
    assert not view_imports("from .engines import registry", "gatelab", is_package=True)
    assert view_imports("from ..scenes import api", "gatelab.engines", is_package=True)


@pytest.mark.parametrize("source", [
    "import engines", "import engines.registry", "from engines import registry", "import diagrams.style",
    "from scenes.base import TraceScene", "import render", "def f():\n    from render import cli",
])
def test_bare_check_catches(source):
    assert bare_imports(source, "gatelab.diagrams.api")


@pytest.mark.parametrize("source", [
    "from gatelab.engines import registry", "from . import style", "from ..engines import registry",
    "import gatelab.render", "import rendering", "import enginesx",
])
def test_bare_check_lets_package_imports_through(source):
    assert not bare_imports(source, "gatelab.diagrams.api")
