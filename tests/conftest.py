"""Shared test helpers."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]

os.environ.setdefault("MPLBACKEND", "Agg")

# Tests write only into temporary directories: no hypothesis example database in the checkout.
settings.register_profile("gatelab", database=None)
settings.load_profile("gatelab")


@pytest.fixture
def run_cli():
    """Invoke the CLI in-process: run_cli("compute", "lstm") -> click Result (exit_code, stdout, stderr)."""
    from gatelab.render import cli

    def _run(*args: str, **kw):
        runner = CliRunner()
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)

    return _run


@pytest.fixture
def write_json(tmp_path):
    """write_json(obj, name="w.json") -> path of a JSON file in a temp dir."""
    def _write(obj, name: str = "data.json") -> str:
        p = tmp_path / name
        p.write_text(json.dumps(obj))
        return str(p)

    return _write


class _RepositoryRootIsNotATestPackage:
    """The repository root is the `gatelab` package (it has an `__init__.py`), so pytest would collect it as a
    test package and import its `__init__.py` under the checkout folder's name (a second copy of the code, or an
    ImportError when the folder's name is not an identifier). Collect it as a plain directory instead."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_collect_directory(self, path, parent):
        if Path(path) == ROOT:
            return pytest.Dir.from_parent(parent, path=Path(path))
        return None


def pytest_configure(config):
    config.pluginmanager.register(_RepositoryRootIsNotATestPackage(), "gatelab-repository-root")


def pytest_sessionfinish(session, exitstatus):
    """Everything is imported through the `gatelab` package: a bare `engines`/`diagrams`/`scenes`/`render`
    module means some code imported the checkout's folders directly (it would break once installed)."""
    stray = sorted(m for m in ("engines", "diagrams", "scenes", "render") if m in sys.modules)
    if stray:
        session.exitstatus = 1
        print(f"\nERROR: modules imported outside the gatelab package: {', '.join(stray)}")
