"""Shared test helpers."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def run_cli():
    """Invoke the CLI in-process: run_cli("compute", "lstm") -> click Result (exit_code, stdout, stderr)."""
    from render import cli

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
