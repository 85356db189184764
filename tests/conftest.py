"""Shared test helpers."""
from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

ROOT = Path(__file__).resolve().parents[1]

os.environ.setdefault("MPLBACKEND", "Agg")

# Tests write only into temporary directories: hypothesis keeps no example database and its caches
# (it writes ./.hypothesis by default) go to a temporary folder of this process.
settings.register_profile("gatelab", database=None)
settings.load_profile("gatelab")
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="gatelab-hypothesis-")
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, True)
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
# Scene renders keep Manim's per-animation movies in a cache (~/.cache/gatelab by default): here, a temporary one.
_CACHE_HOME = tempfile.mkdtemp(prefix="gatelab-cache-")
atexit.register(shutil.rmtree, _CACHE_HOME, True)
os.environ.setdefault("GATELAB_CACHE_DIR", _CACHE_HOME)


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


# --------------------------------------------------------------------------- the suite's own rules

BARE = ("engines", "diagrams", "scenes", "render")
_STRAY_REPORTED: set[str] = set()


@pytest.fixture(autouse=True)
def _imports_go_through_gatelab():
    """Everything is imported through the `gatelab` package: a bare `engines`/`diagrams`/`scenes`/`render`
    module means some code imported the checkout's folders directly (it would break once installed).
    Checked after every test (a test error, so it also fails a run spread over pytest-xdist workers)."""
    yield
    stray = {m for m in BARE if m in sys.modules} - _STRAY_REPORTED
    if stray:
        _STRAY_REPORTED.update(stray)
        pytest.fail(f"modules imported outside the gatelab package: {', '.join(sorted(stray))}", pytrace=False)


def _source_tree() -> set[str]:
    """Every file and folder of the checkout (without .git, the venv, caches and the editable install's metadata)."""
    skip = {".git", ".venv", "__pycache__", ".pytest_cache"}
    out = set()
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in skip and not d.endswith(".egg-info")]
        rel = os.path.relpath(dirpath, ROOT)
        out.update(os.path.normpath(os.path.join(rel, n)) for n in (*dirnames, *filenames))
    return out


def _is_controller(config) -> bool:
    return not hasattr(config, "workerinput")        # the main process (with or without pytest-xdist)


def pytest_sessionstart(session):
    if _is_controller(session.config):
        session.config.stash[_TREE] = _source_tree()


def pytest_sessionfinish(session, exitstatus):
    """The tests write only into temporary directories: nothing new may appear in the checkout
    (golden files are written only on request, GATELAB_UPDATE_GOLDENS=1)."""
    if not _is_controller(session.config) or os.environ.get("GATELAB_UPDATE_GOLDENS") == "1":
        return
    before = session.config.stash.get(_TREE, None)
    new = sorted(_source_tree() - before) if before is not None else []
    if new:
        session.exitstatus = 1
        print(f"\nERROR: the tests wrote into the checkout: {', '.join(new[:10])}")


_TREE = pytest.StashKey[set]()
