"""Shared test helpers."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]

os.environ.setdefault("MPLBACKEND", "Agg")


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


def pytest_sessionfinish(session, exitstatus):
    """Everything is imported through the `gatelab` package: a bare `engines`/`diagrams`/`scenes`/`render`
    module means some code imported the checkout's folders directly (it would break once installed)."""
    tests_dir = str(Path(__file__).resolve().parent)
    stray = sorted(m for m in ("engines", "diagrams", "scenes", "render") if m in sys.modules
                   and not str(getattr(sys.modules[m], "__file__", "") or "").startswith(tests_dir))
    if stray:
        session.exitstatus = 1
        print(f"\nERROR: modules imported outside the gatelab package: {', '.join(stray)}")
