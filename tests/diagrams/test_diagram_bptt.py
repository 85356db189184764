"""bptt: gradient norms from the traces on the figure; --compare draws both models."""
from __future__ import annotations

import pytest

from gatelab.diagrams import api
from gatelab.style import fmt
from gatelab.engines import registry
from gatelab.engines.errors import InputError
from gatelab.engines.registry import Source

from _diagram_helpers import check_golden, metadata, parse_svg, svg_nodes, svg_texts


def test_bptt_compare_golden():
    g, _ = api.build("bptt", options={"compare": True})
    check_golden("bptt-compare", g.source)


def test_rnn_gradient_norms_and_ratios(tmp_path):
    p = tmp_path / "b.svg"
    api.render("bptt", output=str(p))
    root = parse_svg(p)
    text = " ".join(svg_texts(root))
    tr = registry.compute("rnn", Source(preset="vanishing-rnn")).trace
    for s in tr.steps:
        assert fmt(s.dh_norm) in text
        if s.ratio is not None:
            assert "\u00d7 " + fmt(s.ratio) in text
    assert "vanishing" in text
    assert metadata(root)["preset"] == "vanishing-rnn"
    # t = 0: ||dL/dh_0|| and the ratio into it come from the trace, in the leftmost column / edge
    texts = svg_texts(root)
    assert fmt(tr.dh0_norm) in texts and "\u00d7 " + fmt(tr.dh0_ratio) in text
    src = api.build("bptt")[0].source
    assert "style=dashed" not in src            # every backward edge carries a recorded gradient now


def test_compare_has_both_models(tmp_path):
    p = tmp_path / "c.svg"
    api.render("bptt", output=str(p), options={"compare": True})
    root = parse_svg(p)
    meta = metadata(root)
    assert meta["rnn-preset"] == "vanishing-rnn" and meta["lstm-preset"] == "lstm-3step"
    text = " ".join(svg_texts(root))
    tr = registry.compute("lstm").trace
    for b in tr.bptt.steps:
        assert fmt(b.dc_norm) in text and fmt(b.dh_norm) in text
    r0 = tr.bptt.runs[0]
    assert fmt(r0.dh0_norm) in text and fmt(r0.dc0_norm) in text     # the t = 0 column
    assert fmt(tr.bptt.steps[0].J_norm) in text                       # ||dc_1/dc_0|| on the leftmost edge
    nodes = set(svg_nodes(root))
    assert {"rnn_s_0", "rnn_s_10", "rnn_L", "lstm_s_0", "lstm_s_3", "lstm_L"} <= nodes


def test_lstm_preset_and_seeded_compare():
    g, meta = api.build("bptt", source=Source(preset="lstm-3step"))
    assert "lstm_s_3" in g.source and meta["model"] == "lstm"
    g, meta = api.build("bptt", source=Source(seed=5, steps=4), options={"compare": True})
    assert meta["rnn-seed"] == 5 and meta["lstm-seed"] == 5 and "lstm_s_4" in g.source and "rnn_s_4" in g.source


def test_compare_rejects_a_preset():
    with pytest.raises(InputError, match="--compare"):
        api.build("bptt", source=Source(preset="exam-rnn"), options={"compare": True})
    with pytest.raises(InputError, match="is for model .attention.; this figure draws rnn or lstm"):
        api.build("bptt", source=Source(preset="thinking-machines"))
