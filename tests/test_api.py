"""The public Python API at the package root: gatelab.compute, gatelab.diagram (-> Diagram), gatelab.scene (-> Video)."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import gatelab
from gatelab.diagrams import api as diagram_api
from gatelab.style import fmt
from gatelab.engines import registry
from gatelab.engines.errors import InputError, OutputError

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"


def svg_root(data: bytes):
    """(root element, all text joined, GateLab metadata) of an SVG, read with a real XML parser."""
    from lxml import etree

    from gatelab.diagrams.export import METADATA_NS

    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    meta = root.find(f"{SVG}metadata/{{{METADATA_NS}}}diagram")
    assert meta is not None, "no GateLab metadata in the SVG"
    return root, texts, dict(meta.attrib)


# --------------------------------------------------------------------------- the package

def test_exports_and_version():
    assert set(gatelab.__all__) == {"__version__", "compute", "diagram", "scene", "Diagram", "Video"}
    for name in gatelab.__all__:
        assert hasattr(gatelab, name), name
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert gatelab.__version__ == version


def test_import_is_cheap(tmp_path):
    """`import gatelab` loads no drawing library (they load when a diagram or scene is made)."""
    code = ("import sys, gatelab; heavy = [m for m in ('manim', 'graphviz', 'matplotlib', 'gatelab.diagrams', "
            "'gatelab.scenes') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


# --------------------------------------------------------------------------- compute

def test_compute_is_the_engine_run():
    run = gatelab.compute("lstm", preset="lstm-3step")
    ref = registry.compute("lstm", registry.Source(preset="lstm-3step"))
    assert run.trace.digest() == ref.trace.digest()
    assert run.provenance["preset"] == "lstm-3step" and run.model == "lstm"
    f1 = run.trace.steps[0].f
    assert f1.shape == (2,) and not f1.flags.writeable


def test_compute_seeded_sizes_and_model_options():
    run = gatelab.compute("lstm", seed=3, hidden=3, input_size=2, steps=4, variant="peephole")
    tr = run.trace
    assert len(tr.steps) == 4 and tr.hidden == 3 and tr.steps[0].x.shape == (2,)
    assert run.options["variant"] == "peephole" and run.provenance["seed"] == 3
    assert gatelab.compute("lstm", seed=3, hidden=3, input_size=2, steps=4).trace.digest() != tr.digest()
    assert gatelab.compute("lstm", variant=None).options == gatelab.compute("lstm").options   # None = default


def test_compute_with_weights_and_inputs_files(write_json):
    doc = json.loads((ROOT / "engines" / "presets" / "exam-rnn.json").read_text(encoding="utf-8"))
    inputs = write_json({"x": [[1.0], [-1.0], [0.5]]}, "x.json")
    run = gatelab.compute("rnn", weights=write_json(doc, "w.json"), inputs=inputs)
    assert [s.x.tolist() for s in run.trace.steps] == [[1.0], [-1.0], [0.5]]
    assert run.provenance["inputs"] == inputs


def test_compute_with_inputs_given_as_a_dict():
    run = gatelab.compute("rnn", preset="exam-rnn", inputs={"x": [[1.0], [2.0]]})
    assert [s.x.tolist() for s in run.trace.steps] == [[1.0], [2.0]]


@pytest.mark.parametrize("call, needle", [
    (lambda: gatelab.compute("no-such-model"), "unknown model"),
    (lambda: gatelab.compute("lstm", preset="exam-rnn"), "exam-rnn"),
    (lambda: gatelab.compute("lstm", preset="no-such-preset"), "no-such-preset"),
    (lambda: gatelab.compute("lstm", no_such_option=1), "--no-such-option"),
])
def test_compute_bad_input_is_an_input_error(call, needle):
    with pytest.raises(InputError, match=needle):
        call()


# --------------------------------------------------------------------------- diagram

def test_diagram_builds_without_writing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fig = gatelab.diagram("lstm-unfolded")
    assert isinstance(fig, gatelab.Diagram) and repr(fig) == "<gatelab.Diagram 'lstm-unfolded'>"
    assert list(tmp_path.iterdir()) == []                      # nothing is written until .save
    assert fig.source == diagram_api.render("lstm-unfolded", dot_only=True)
    assert fig.source.startswith("// gatelab generator: GateLab ") and "digraph" in fig.source


def test_diagram_svg_shows_the_trace(tmp_path):
    fig = gatelab.diagram("lstm-unfolded")
    svg = fig._repr_svg_()
    assert svg == fig.svg()
    root, texts, meta = svg_root(svg.encode("utf-8"))
    assert root.tag.endswith("svg") and meta["diagram"] == "lstm-unfolded" and meta["preset"] == "lstm-3step"
    tr = gatelab.compute("lstm").trace
    for v in (tr.steps[0].f[0], tr.steps[2].c[1], tr.y[0]):
        assert fmt(v) in texts


def test_diagram_options_and_styles():
    fig = gatelab.diagram("lstm-cell", seed=3, step=2, theme="dark", values="none", digits=2)
    meta = dict(line[len("// gatelab "):].split(": ", 1) for line in fig.source.splitlines() if line.startswith("// "))
    assert meta["theme"] == "dark" and meta["values"] == "none" and meta["digits"] == "2"
    assert meta["seed"] == "3" and "step=2" in meta["diagram-options"]
    with pytest.raises(InputError, match="theme"):
        gatelab.diagram("lstm-cell", theme="sepia")
    with pytest.raises(InputError):
        gatelab.diagram("no-such-diagram")


def test_diagram_save_by_extension(tmp_path):
    fig = gatelab.diagram("rnn-unfolded")
    svg = tmp_path / "f.svg"
    assert fig.save(str(svg)) == str(svg) and svg.read_text(encoding="utf-8") == fig.svg()
    dot = tmp_path / "f.dot"
    fig.save(str(dot))
    assert dot.read_text(encoding="utf-8") == fig.source
    png = tmp_path / "f.png"
    fig.save(str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(OutputError, match=".gif"):
        fig.save(str(tmp_path / "f.gif"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.dot", "f.png", "f.svg"]


# --------------------------------------------------------------------------- scene

@pytest.mark.parametrize("name, data, tag", [
    ("s.png", b"\x89PNG\r\n\x1a\nxx", '<img src="data:image/png;base64,'),
    ("s.gif", b"GIF89a", '<img src="data:image/gif;base64,'),
    ("s.mp4", b"\0\0\0\x18ftypmp42", '<video controls src="data:video/mp4;base64,'),
    ("s.webm", b"\x1aE\xdf\xa3", '<video controls src="data:video/webm;base64,'),
])
def test_video_embeds_the_file(tmp_path, name, data, tag):
    path = tmp_path / name
    path.write_bytes(data)
    video = gatelab.Video(str(path))
    assert video == str(path)
    html = video._repr_html_()
    assert html.startswith(tag)
    payload = html[len(tag):].split('"', 1)[0]
    assert base64.b64decode(payload) == data


def test_video_alt_text_is_escaped(tmp_path):
    path = tmp_path / 'a"b<c>.png'
    path.write_bytes(b"\x89PNG")
    html = gatelab.Video(str(path))._repr_html_()
    assert 'alt="' in html and '"b<c>' not in html and "&quot;b&lt;c&gt;" in html


@pytest.mark.parametrize("kw, error", [
    ({"fmt": "avi"}, InputError),
    ({"quality": "z"}, InputError),
    ({"theme": "sepia"}, InputError),
    ({"preset": "exam-rnn"}, InputError),
    ({"no_such_option": 1}, InputError),
])
def test_scene_bad_input_fails_before_rendering(tmp_path, kw, error):
    with pytest.raises(error):
        gatelab.scene("lstm-gates", out_dir=str(tmp_path), **kw)
    assert list(tmp_path.rglob("*")) == []


@pytest.mark.slow
def test_scene_png(tmp_path):
    video = gatelab.scene("self-attention", fmt="png", out_dir=str(tmp_path), pace=0.0)   # a cheap scene
    assert isinstance(video, gatelab.Video)
    path = Path(video)
    assert path == tmp_path / "videos" / "self-attention.png"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image
    assert float(np.asarray(Image.open(path).convert("L"), dtype=float).std()) > 10     # not a blank frame
    tag = '<img src="data:image/png;base64,'
    html = video._repr_html_()
    assert html.startswith(tag) and base64.b64decode(html[len(tag):].split('"', 1)[0]) == data
    assert sorted(p.name for p in path.parent.iterdir()) == ["self-attention.png"]   # no temporary media left
