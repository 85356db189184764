"""attention-walkthrough: the Thinking Machines numbers, golden DOT, hostile tokens end to end."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as hs

from gatelab.diagrams import api
from gatelab.engines.errors import InputError
from gatelab.engines.registry import Source

from _diagram_helpers import SVG_NS, check_golden, metadata, parse_svg, svg_nodes, svg_texts


def test_attention_walkthrough_golden():
    g, _ = api.build("attention-walkthrough")
    check_golden("attention-walkthrough", g.source)


def test_thinking_machines_numbers(tmp_path):
    p = tmp_path / "a.svg"
    api.render("attention-walkthrough", output=str(p))
    root = parse_svg(p)
    text = " ".join(svg_texts(root))
    for s in ("112", "96", "= 8", "14", "12", "0.881", "0.119", "Thinking", "Machines"):
        assert s in text, s
    p2 = tmp_path / "b.svg"
    api.render("attention-walkthrough", output=str(p2), digits=2)
    text2 = " ".join(svg_texts(parse_svg(p2)))
    assert "0.88" in text2 and "0.12" in text2
    assert {"q_1", "k_1", "k_2", "v_1", "v_2", "dot_1_1", "dot_1_2", "e_1_1", "e_1_2", "softmax",
            "alpha_1_1", "alpha_1_2", "sum", "z_1", "x_1", "x_2"} == set(svg_nodes(root))
    assert metadata(root)["preset"] == "thinking-machines"


def test_query_out_of_range():
    with pytest.raises(InputError, match="--query 3 is out of range"):
        api.build("attention-walkthrough", options={"query": 3})


def _qkv_file(tmp_path, tokens, key_tokens):
    doc = {"model": "attention", "weights": {}, "inputs": {
        "q": [[1.0, 0.0]], "k": [[1.0, 0.0], [0.0, 1.0]], "v": [[1.0, 2.0], [3.0, 4.0]],
        "tokens": tokens, "key_tokens": key_tokens}}
    p = tmp_path / "w.json"
    p.write_text(json.dumps(doc))
    return str(p)


ALLOWED = {f"{{{SVG_NS}}}{t}" for t in ("svg", "g", "title", "text", "polygon", "path", "ellipse", "polyline", "metadata")}


def _check(tmp_path, tokens, key_tokens):
    out = tmp_path / "t.svg"
    api.render("attention-walkthrough", source=Source(weights=_qkv_file(tmp_path, tokens, key_tokens)),
               output=str(out))
    root = parse_svg(out)
    for el in root.iter():
        if isinstance(el.tag, str) and not el.tag.startswith("{https://gatelab.dev/"):
            assert el.tag in ALLOWED, el.tag
    return " ".join(svg_texts(root))


def test_hostile_tokens_end_to_end(tmp_path):
    text = _check(tmp_path, ["<script>alert(1)</script>"], ['"]; x [label=', "\\N & <b>"])
    assert "<script>alert(1)</script>" in text and '"]; x [label=' in text and "\\N & <b>" in text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hs.lists(hs.text(min_size=1, max_size=20), min_size=3, max_size=3))
def test_token_escaping_property(tmp_path, toks):
    _check(tmp_path, toks[:1], toks[1:])


def test_self_attention_heads_and_mask(tmp_path):
    from gatelab.style import fmt
    from gatelab.engines import registry
    p = tmp_path / "s.svg"
    api.render("self-attention", output=str(p))
    root = parse_svg(p)
    tr = registry.compute("multihead").trace
    text = " ".join(svg_texts(root))
    for head in tr.heads:
        for i in range(tr.mask.shape[0]):
            for j in range(tr.mask.shape[1]):
                if not tr.mask[i, j]:
                    assert fmt(head.weights[i, j]) in text
    # every masked cell names its kind(s), read from the trace's causal_mask / padding_mask
    texts = svg_texts(root)
    assert texts.count("\u00d7 causal") == 2 * int(tr.causal_mask.sum())
    assert texts.count("\u00d7 pad") == 2 * int(tr.padding_mask.sum())
    assert "\u00d7 masked" not in texts                      # nothing here is an explicit mask
    assert "\u2190 padding key (\u00d7 pad): no lines" in texts
    src = api.build("self-attention")[0].source
    for i in range(tr.mask.shape[0]):                      # no line where masked, a line where not
        for j in range(tr.mask.shape[1]):
            assert (f"h1_q_{i + 1} -> h1_k_{j + 1} " in src) == (not tr.mask[i, j])
    nodes = set(svg_nodes(root))
    assert {"h1_q_1", "h2_k_5", "h1_matrix", "h2_matrix"} <= nodes
    check_golden("self-attention", api.build("self-attention")[0].source)


def test_self_attention_mask_kinds_single_head_explicit(tmp_path):
    doc = {"model": "attention", "options": {"mask": "causal"}, "weights": {}, "inputs": {
        "q": [[1, 0], [0, 1], [1, 1]], "k": [[1, 0], [0, 1], [1, 1]], "v": [[1, 2], [3, 4], [5, 6]],
        "mask": [[False, False, False], [True, False, False], [False, False, False]],
        "key_padding": [False, False, True]}}
    w = tmp_path / "w.json"
    w.write_text(json.dumps(doc))
    out = tmp_path / "s.svg"
    api.render("self-attention", source=Source(weights=str(w)), output=str(out))
    texts = svg_texts(parse_svg(out))
    # causal: (1,2) (1,3) (2,3); padding: column 3; explicit only: (2,1)
    assert texts.count("\u00d7 causal") == 3 and texts.count("\u00d7 pad") == 3 and texts.count("\u00d7 masked") == 1


def test_attention_walkthrough_masked_key_names_its_kind():
    g, _ = api.build("attention-walkthrough", options={"mask": "causal", "query": 1})
    assert "\u00d7 causal" in g.source and "filled,dashed" in g.source


def test_self_attention_head_and_top_k():
    g, _ = api.build("self-attention", options={"head": 2, "top_k": 1})
    src = g.source
    assert "h2_q_1" in src and "h1_q_1" not in src
    assert src.count("arrowhead=none") == 5  # one line per query (the <pad> query too)
    with pytest.raises(InputError, match="--head 3 is out of range"):
        api.build("self-attention", options={"head": 3})
    g, _ = api.build("self-attention", source=Source(preset="thinking-machines"))
    assert "q_1 -> k_2" in g.source
