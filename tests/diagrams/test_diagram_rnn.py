"""rnn-unfolded: golden DOT, layouts, the exam values on the figure."""
from __future__ import annotations

import pytest

from gatelab.diagrams import api
from gatelab.style import fmt
from gatelab.engines import registry
from gatelab.engines.registry import Source

from _diagram_helpers import check_golden, parse_svg, svg_nodes, svg_texts


def test_rnn_unfolded_golden():
    g, _ = api.build("rnn-unfolded", options={"rolled": True})
    check_golden("rnn-unfolded-rolled", g.source)


def test_exam_values_on_the_figure(tmp_path):
    p = tmp_path / "r.svg"
    api.render("rnn-unfolded", output=str(p))
    root = parse_svg(p)
    text = " ".join(svg_texts(root))
    # the exam RNN of the lecture notes: h1=[0.96403, 0.19738], y1=1.45878, h2=[0.98978, 0.82368], y2=2.73715 (3 significant digits)
    for v in ("0.964", "0.197", "1.46", "0.99", "0.824", "2.74"):
        assert v in text
    trace = registry.compute("rnn").trace
    for s in trace.steps:
        for v in (*s.h, *s.y, *s.x):
            assert fmt(v) in text
    assert set(svg_nodes(root)) == {"h_0", "h_1", "h_2", "x_1", "x_2", "y_1", "y_2"}


@pytest.mark.parametrize("layout,ys", [("many-to-one", {"y_2"}), ("many-to-many", {"y_1", "y_2"}),
                                       ("one-to-many", {"y_1", "y_2"})])
def test_layouts(layout, ys):
    g, _ = api.build("rnn-unfolded", options={"layout": layout})
    src = g.source
    for y in ("y_1", "y_2"):
        assert (f"\t{y} [" in src) == (y in ys)
    if layout == "one-to-many":
        assert "x_2 [" in src and "dashed" in src


def test_long_rnn_elides(tmp_path):
    g, _ = api.build("rnn-unfolded", source=Source(seed=4, steps=20), options={"max_steps": 4})
    assert "h_2 [" in g.source and "h_19 [" in g.source and "h_10 [" not in g.source and "skip [" in g.source


def test_bad_layout_is_rejected(run_cli):
    r = run_cli("diagram", "rnn-unfolded", "--layout", "sideways", "--dot")
    assert r.exit_code == 2
