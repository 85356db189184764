"""Modules over about 400 lines and functions over about 60 are named, with their reason, in
docs/CONTRIBUTING.md ("Module size"); read from the source (AST), nothing is imported."""
from __future__ import annotations

import ast

from test_architecture import ROOT, package_modules

MODULE_LINES, FUNCTION_LINES = 400, 60


def _section() -> str:
    text = (ROOT / "docs" / "CONTRIBUTING.md").read_text(encoding="utf-8")
    return text.split("## Module size", 1)[1].split("\n## ", 1)[0]


def long_code() -> tuple[list[str], list[str]]:
    """(modules over MODULE_LINES lines, functions over FUNCTION_LINES lines as path::name), paths from the root."""
    modules, functions = [], []
    for path in package_modules().values():
        rel = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > MODULE_LINES:
            modules.append(rel)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    node.end_lineno - node.lineno + 1 > FUNCTION_LINES:
                functions.append(f"{rel}::{node.name}")
    return modules, functions


def test_every_long_module_and_function_has_its_written_reason():
    section = _section()
    modules, functions = long_code()
    missing = [m for m in modules if f"`{m}`" not in section]
    missing += [f for f in functions if f"`{f}`" not in section]
    assert not missing, f"over the size limits without a reason in docs/CONTRIBUTING.md (Module size): {missing}"


def test_the_check_sees_long_code():
    modules, functions = long_code()
    assert modules and functions          # the limits catch something today, so the check is not empty
