"""The wheel: everything installs under one top-level package, ``gatelab``, which never shadows another
project's ``diagrams`` (mingrammer's architecture-diagram library).

The wheel is built from a copy of the checkout without network (``--no-build-isolation``, setuptools
from the test extras) and installed with ``pip install --target``; the other ``diagrams`` comes from the
local wheelhouse that ``make test`` fills once (``make wheelhouse``): nothing is downloaded here.
The installed copies run in a fresh interpreter started outside the checkout, without the venv's site
hooks (so the editable install of the checkout is invisible), with PYTHONPATH = target + the venv's
site-packages for the dependencies (numpy, click, graphviz, ...).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
WHEELHOUSE = Path(sys.prefix) / "wheelhouse"          # filled by `make wheelhouse` (part of `make test`)
OTHER_DIAGRAMS = "diagrams==0.25.1"                     # the pin of WHEELHOUSE_PINS in the Makefile
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stdout}\n{r.stderr}"
    return r


def _pip(*args) -> None:
    _run([sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args],
         env={**os.environ, "PIP_NO_INDEX": "1"})


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"                 # build from a copy: the build writes build/ and *.egg-info beside the sources
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "media", ".hypothesis", ".pytest_cache"))
    _pip("wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp / "dist", src)
    (whl,) = (tmp / "dist").glob("gatelab-*.whl")
    return whl


def _install(target: Path, *requirements) -> Path:
    _pip("install", "--no-deps", "--no-compile", "-q", "--find-links", WHEELHOUSE, "--target", target, *requirements)
    return target


def _python(target: Path, code: str, cwd: Path) -> str:
    """Run ``code`` with the installed copies only: no site hooks (-S), PYTHONPATH = target + the venv's libraries."""
    libs = dict.fromkeys([str(target), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join(libs)
    return _run([sys.executable, "-S", "-c", textwrap.dedent(code)], cwd=cwd, env=env).stdout


def test_the_wheel_installs_one_top_level_package(wheel, tmp_path):
    target = _install(tmp_path / "target", wheel)
    top = {p.name for p in target.iterdir()}
    assert top - {"bin"} == {"gatelab", f"gatelab-{VERSION}.dist-info"}, sorted(top)
    pkg = target / "gatelab"
    for sub in ("engines", "diagrams", "scenes"):
        assert (pkg / sub / "__init__.py").is_file(), sub
    assert (pkg / "render.py").is_file() and (pkg / "engines" / "presets" / "exam-rnn.json").is_file()
    assert (pkg / "present" / "vendor" / "reveal.js" / "reveal.js").is_file()   # the offline HTML deck
    assert not (pkg / "tests").exists() and not (pkg / "bench").exists()
    entry_points = (target / f"gatelab-{VERSION}.dist-info" / "entry_points.txt").read_text(encoding="utf-8")
    assert "gatelab = gatelab.render:main" in entry_points
    out = _python(target, """
        import gatelab, gatelab.render
        print(gatelab.__file__)
        print(gatelab.compute("rnn").trace.steps[0].h.round(5).tolist())
        """, cwd=tmp_path)
    path, h1 = out.splitlines()
    assert Path(path).is_relative_to(target), path           # the installed copy, not the checkout
    assert h1 == "[0.96403, 0.19738]"                          # the exam RNN of the lecture notes


def test_gatelab_diagrams_never_shadows_the_other_diagrams_package(wheel, tmp_path):
    wheels = sorted(WHEELHOUSE.glob("diagrams-*.whl")) if WHEELHOUSE.is_dir() else []
    assert wheels, f"no diagrams wheel in {WHEELHOUSE}: run `make wheelhouse` (part of `make test`) once"
    target = _install(tmp_path / "target", wheel, OTHER_DIAGRAMS)
    assert {"gatelab", "diagrams"} <= {p.name for p in target.iterdir()}
    work = tmp_path / "work"                                    # outside the checkout
    work.mkdir()
    out = _python(target, f"""
        import sys
        from pathlib import Path
        import diagrams
        import gatelab
        import gatelab.diagrams
        target = Path({str(target)!r})
        for m in (diagrams, gatelab, gatelab.diagrams):
            assert Path(m.__file__).is_relative_to(target), m.__file__
        assert Path(diagrams.__file__).parent == target / "diagrams"
        assert hasattr(diagrams, "Diagram") and not hasattr(gatelab.diagrams, "Diagram")

        # ours: the DOT source of one figure, drawn from the engine's numbers
        fig = gatelab.diagram("lstm-unfolded")
        assert "digraph" in fig.source and "// gatelab diagram: lstm-unfolded" in fig.source
        # theirs: an architecture diagram, rendered to DOT text
        from diagrams.generic.compute import Rack
        with diagrams.Diagram("theirs", show=False, outformat="dot", filename="theirs"):
            Rack("a") >> Rack("b")
        assert "digraph" in Path("theirs.dot").read_text()
        stray = [m for m in ("engines", "scenes", "render") if m in sys.modules]
        assert not stray, stray
        print("ok")
        """, cwd=work)
    assert out.strip() == "ok"
    assert sorted(p.name for p in work.iterdir()) == ["theirs.dot"]


def test_the_console_script(wheel, tmp_path):
    target = _install(tmp_path / "target", wheel)
    scripts = [p for p in (target / "bin").glob("gatelab*")] if (target / "bin").is_dir() else []
    assert scripts, sorted(p.name for p in target.rglob("*") if "bin" in p.parts)
    out = _python(target, f"""
        import runpy, sys
        sys.argv = ["gatelab", "--version"]
        try:
            runpy.run_path({str(scripts[0])!r}, run_name="__main__")
        except SystemExit as e:
            assert e.code in (0, None), e.code
        """, cwd=tmp_path)
    assert out.strip().endswith(VERSION) and "gatelab" in out
