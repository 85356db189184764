"""seq2seq / seq2seq-attention: fixed context vs attention, alphas from the trace, tokens escaped."""
from __future__ import annotations

import pytest

from gatelab.diagrams import api
from gatelab.style import fmt
from gatelab.engines import registry
from gatelab.engines.errors import InputError
from gatelab.engines.registry import Source

from _diagram_helpers import check_golden, metadata, parse_svg, svg_nodes, svg_texts


def test_seq2seq_goldens():
    check_golden("seq2seq-side-by-side", api.build("seq2seq", options={"side_by_side": True})[0].source)
    check_golden("seq2seq-attention", api.build("seq2seq-attention")[0].source)


def test_fixed_context(tmp_path):
    p = tmp_path / "f.svg"
    api.render("seq2seq", output=str(p))
    root = parse_svg(p)
    nodes = set(svg_nodes(root))
    assert "fixed_C" in nodes and not any(n.startswith("fixed_ctx_") for n in nodes)
    tr = registry.compute("seq2seq", options={"attention": "none"}).trace
    text = " ".join(svg_texts(root))
    for v in tr.fixed_context:
        assert fmt(v) in text
    for tok in tr.source:
        assert f"\u201c{tok}\u201d" in text
    assert metadata(root)["options"].startswith("attention=none")


def test_attention_alphas(tmp_path):
    p = tmp_path / "a.svg"
    api.render("seq2seq-attention", output=str(p), source=Source(preset="seq2seq-reverse"))
    root = parse_svg(p)
    text = " ".join(svg_texts(root))
    tr = registry.compute("seq2seq", Source(preset="seq2seq-reverse")).trace
    for row in tr.alignment:
        for a in row:
            assert fmt(a) in text
    nodes = set(svg_nodes(root))
    assert {f"attention_ctx_{i}" for i in range(1, len(tr.steps) + 1)} <= nodes and "attention_alignment" in nodes


def test_side_by_side_from_either_name():
    g1, m1 = api.build("seq2seq", options={"side_by_side": True})
    g2, m2 = api.build("seq2seq-attention", options={"side_by_side": True})
    for g in (g1, g2):
        assert "fixed_C" in g.source and "attention_ctx_1" in g.source
    assert m1["fixed-options"].startswith("attention=none") and "attention=bahdanau" in m1["attention-options"]


def test_attention_none_is_rejected():
    with pytest.raises(InputError, match="seq2seq-attention needs"):
        api.build("seq2seq-attention", options={"attention": "none"})
