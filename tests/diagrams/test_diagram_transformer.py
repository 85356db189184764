"""transformer-block: both blocks, shapes from the trace, residuals, memory for cross-attention."""
from __future__ import annotations

from gatelab.diagrams import api
from gatelab.engines import registry

from _diagram_helpers import check_golden, parse_svg, svg_nodes, svg_texts


def test_transformer_golden():
    check_golden("transformer-block", api.build("transformer-block")[0].source)


def test_shapes_and_blocks(tmp_path):
    p = tmp_path / "t.svg"
    api.render("transformer-block", output=str(p))
    root = parse_svg(p)
    text = " ".join(svg_texts(root))
    for block in ("encoder", "decoder"):
        tr = registry.compute("transformer", options={"block": block}).trace
        for s in tr.sublayers:
            assert s.name in text
            assert "[" + ", ".join(str(v) for v in s.shape) + "]" in text
    assert "cross-attention" in text and "masked self-attention" in text and "residual" in text
    assert "decoder_memory" in svg_nodes(root)


def test_one_block():
    g, meta = api.build("transformer-block", options={"block": "encoder"})
    assert "encoder_sub_0" in g.source and "decoder_" not in g.source and "block=encoder" in meta["options"]
