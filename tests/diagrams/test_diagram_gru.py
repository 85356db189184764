"""gru-cell and gru-unfolded: both conventions named, the trace's values on the figure."""
from __future__ import annotations

import pytest

from gatelab.diagrams import api
from gatelab.style import fmt
from gatelab.engines import registry

from _diagram_helpers import check_golden, parse_svg, svg_nodes, svg_texts


def test_gru_goldens():
    check_golden("gru-cell", api.build("gru-cell")[0].source)
    check_golden("gru-unfolded", api.build("gru-unfolded")[0].source)


@pytest.mark.parametrize("conv,name,extra", [("textbook", "textbook convention", "rh"),
                                             ("torch", "PyTorch convention", "r_hn")])
def test_gru_cell_conventions(tmp_path, conv, name, extra):
    p = tmp_path / f"{conv}.svg"
    api.render("gru-cell", output=str(p), options={"convention": conv, "step": 2})
    root = parse_svg(p)
    text = " ".join(svg_texts(root))
    assert name in text
    s = registry.compute("gru", options={"convention": conv}).trace.steps[1]
    for field in ("r", "z", "n", "h", "h_prev", "keep", "new"):
        for v in getattr(s, field):
            assert fmt(v) in text, (field, v)
    assert extra in svg_nodes(root)


def test_gru_unfolded_values(tmp_path):
    p = tmp_path / "u.svg"
    api.render("gru-unfolded", output=str(p))
    root = parse_svg(p)
    text = " ".join(svg_texts(root))
    tr = registry.compute("gru").trace
    for s in tr.steps:
        for field in ("r", "z", "n", "h"):
            for v in getattr(s, field):
                assert fmt(v) in text
    assert {"h_0", "step_1", "step_3", "x_3", "h_3", "y"} <= set(svg_nodes(root))
