"""Jupyter: diagrams display inline as SVG, scenes as an embedded video; the example notebook runs headless."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gatelab import style
from gatelab.engines import registry

ROOT = Path(__file__).resolve().parents[2]


def test_a_diagram_shows_inline_as_svg_with_the_runs_numbers():
    import gatelab

    fig = gatelab.diagram("lstm-cell", step=1)
    svg = fig._repr_svg_()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:400]
    f1 = registry.compute("lstm", registry.Source(), {}).trace.steps[0].f
    assert all(style.fmt(v, 3) in svg for v in f1)


def test_a_video_embeds_itself(tmp_path):
    import gatelab

    mp4 = tmp_path / "v.mp4"
    mp4.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    html = gatelab.Video(str(mp4))._repr_html_()
    assert html.startswith("<video controls") and 'src="data:video/mp4;base64,' in html


@pytest.mark.slow
def test_the_example_notebook_runs_headless(tmp_path):
    import nbclient
    import nbformat

    shutil.copy(ROOT / "examples" / "lecture.ipynb", tmp_path / "lecture.ipynb")
    nb = nbformat.read(tmp_path / "lecture.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outs if o.output_type == "error"]
    svgs = [o.data["image/svg+xml"] for o in outs if "image/svg+xml" in o.get("data", {})]
    trace = registry.compute("lstm", registry.Source(preset="lstm-3step"), {}).trace
    assert len(svgs) == 1
    assert all(style.fmt(abs(v), 3) in svgs[0] for s in trace.steps for v in (*s.f, *s.h))   # minus may be U+2212
    videos = [o.data for o in outs if "text/html" in o.get("data", {}) and "<video" in o.data["text/html"]]
    assert len(videos) == 1
    path = tmp_path / videos[0]["text/plain"].strip("'\"")
    assert path.is_file() and path.suffix == ".mp4" and path.stat().st_size > 10_000
    assert "data:video/mp4;base64," in videos[0]["text/html"]
    md = [o.data["text/markdown"] for o in outs if "text/markdown" in o.get("data", {})]
    assert md and style.fmt(trace.steps[0].f[0], 4) in md[0]
