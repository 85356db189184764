"""model-summary: the Keras counts of the lecture notes' stacked-LSTM model (3840 / 7320 / 31 / 11191) and the convention."""
from __future__ import annotations

from gatelab.diagrams import api

from _diagram_helpers import check_golden, parse_svg, svg_nodes, svg_texts


def test_model_summary_golden():
    g, _ = api.build("model-summary")
    check_golden("model-summary", g.source)


def test_keras_counts_on_the_figure(tmp_path):
    p = tmp_path / "m.svg"
    api.render("model-summary", output=str(p))
    root = parse_svg(p)
    text = " ".join(svg_texts(root))
    for s in ("3,840", "7,320", "31", "11,191", "3840 + 7320 + 31 = 11191", "convention: Keras", "(None, None, 30)"):
        assert s in text, s
    assert svg_nodes(root) == ["input", "layer_0", "layer_1", "layer_2", "total"]


def test_torch_convention(tmp_path):
    p = tmp_path / "t.svg"
    api.render("model-summary", output=str(p), options={"framework": "torch"})
    text = " ".join(svg_texts(parse_svg(p)))
    assert "PyTorch" in text and "11,431" in text
