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


@pytest.fixture(scope="session")
def scene_run(tmp_path_factory):
    """scene_run(name, preset=None, **options) -> (scene, last-frame PNG): the scene's construct() run once per
    test process (``scenes.api.run`` with the last frame saved at 480p) and shared by every test that reads it.
    Tests sharing a run carry ``pytest.mark.xdist_group("scene:NAME")`` so that `make test`
    (``--dist loadgroup``) sends them to one worker. The scene object is only read, never changed."""
    cache: dict = {}

    def _run(name: str, preset: str | None = None, **options):
        key = (name, preset, tuple(sorted(options.items())))
        if key not in cache:
            from gatelab.engines import registry
            from gatelab.scenes import api

            tmp = tmp_path_factory.mktemp("scene")
            source = registry.Source(preset=preset) if preset else registry.Source()
            scene = api.run(name, source=source, options=options or None, media_dir=str(tmp), last_frame=True)
            cache[key] = (scene, next(tmp.rglob("*.png")))
        return cache[key]

    return _run


@pytest.fixture(scope="session")
def preset_trace():
    """preset_trace(model, preset) -> the trace of a shipped preset, computed once per test process (the GAN
    presets train for seconds; the tests that read one carry ``pytest.mark.xdist_group("gan-presets")``)."""
    cache: dict = {}

    def _get(model: str, preset: str):
        if (model, preset) not in cache:
            from gatelab.engines import registry
            cache[model, preset] = registry.compute(model, registry.Source(preset=preset)).trace
        return cache[model, preset]

    return _get


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """``--dist loadgroup``: pytest-xdist sends the tests of one ``xdist_group`` to one worker by suffixing their
    node ids with ``@group``. pytest-xdist 3.8 writes the suffix to ``item._nodeid``, which pytest >= 9 no
    longer reads (``Item.nodeid`` is ``str(item._id)``), so the groups were silently ignored; write it here."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        if names and "@" not in item.nodeid:           # pytest < 9: pytest-xdist added it already
            from _pytest.nodeid import coerce_node_id
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")


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
