"""lstm-unfolded and lstm-cell: golden DOT, SVG structure, the trace's numbers on the figure."""
from __future__ import annotations

import pytest

from gatelab.diagrams import api
from gatelab.style import fmt
from gatelab.engines import registry
from gatelab.engines.errors import InputError
from gatelab.engines.registry import Source

from tests.model_files import word_lm

from _diagram_helpers import check_golden, parse_svg, svg_nodes, svg_texts


def _svg(tmp_path, name, **kw):
    p = tmp_path / f"{name}.svg"
    api.render(name, output=str(p), **kw)
    return parse_svg(p)


def test_lstm_unfolded_golden():
    g, _ = api.build("lstm-unfolded")
    check_golden("lstm-unfolded", g.source)


def test_lstm_cell_golden():
    g, _ = api.build("lstm-cell", options={"step": 1})
    check_golden("lstm-cell-step1", g.source)


def test_lstm_unfolded_svg_has_every_value(tmp_path):
    root = _svg(tmp_path, "lstm-unfolded")
    trace = registry.compute("lstm").trace
    nodes = svg_nodes(root)
    expected = {"c_0", "h_0", "y"} | {f"{k}_{t}" for t in (1, 2, 3) for k in ("step", "x", "c", "h")}
    assert set(nodes) == expected and len(nodes) == 15
    text = " ".join(svg_texts(root))
    for s in trace.steps:
        for field in ("f", "i", "g", "o", "c", "h", "x"):
            for v in getattr(s, field):
                assert fmt(v) in text, (s.t, field, v)
    assert fmt(trace.y[0]) in text
    assert "LSTM step t = 3" in text and "forget" in text


def test_values_none_prints_no_numbers(tmp_path):
    root = _svg(tmp_path, "lstm-unfolded", values="none")
    trace = registry.compute("lstm").trace
    text = " ".join(svg_texts(root))
    assert fmt(trace.steps[0].f[0]) not in text and fmt(trace.y[0]) not in text
    key = " ".join(svg_texts(_svg(tmp_path, "lstm-unfolded", values="key")))
    assert fmt(trace.steps[1].c[0]) in key and fmt(trace.steps[0].f[0]) not in key


def test_long_sequence_elides_the_middle(tmp_path):
    root = _svg(tmp_path, "lstm-unfolded", source=Source(seed=1, steps=12), options={"max_steps": 6})
    nodes = set(svg_nodes(root))
    assert {"step_1", "step_3", "step_10", "step_12", "skip_c", "skip_h"} <= nodes
    assert "step_4" not in nodes and "step_9" not in nodes
    assert any("steps 4\u20139" in t for t in svg_texts(root))


def test_any_length_and_width(tmp_path):
    for steps, hidden in ((1, 1), (5, 3)):
        root = _svg(tmp_path, "lstm-unfolded", source=Source(seed=2, steps=steps, hidden=hidden))
        assert f"step_{steps}" in svg_nodes(root)


def test_lstm_cell_values_of_the_chosen_step(tmp_path):
    trace = registry.compute("lstm").trace
    root = _svg(tmp_path, "lstm-cell", options={"step": 2})
    text = " ".join(svg_texts(root))
    s = trace.steps[1]
    for field in ("f", "i", "g", "o", "c", "h", "c_prev", "h_prev"):
        for v in getattr(s, field):
            assert fmt(v) in text, (field, v)
    assert "forget gate" in text and "output gate" in text and "step t = 2 of 3" in text
    nodes = set(svg_nodes(root))
    assert {"gate_f", "gate_i", "gate_g", "gate_o", "mul_f", "add_c", "mul_i", "mul_o", "tanh_c",
            "c_prev", "c_t", "h_prev", "h_t", "x_t"} <= nodes


def test_lstm_cell_peephole(tmp_path):
    g, meta = api.build("lstm-cell", source=Source(seed=3), options={"variant": "peephole"})
    assert "p_f -> gate_f" in g.source and "style=dashed" in g.source
    assert "variant=peephole" in meta["options"]
    plain, _ = api.build("lstm-cell")
    assert "p_f" not in plain.source


def test_lstm_cell_peephole_default_preset():
    g, meta = api.build("lstm-cell", options={"variant": "peephole"})
    assert meta["preset"] == "lstm-peephole" and "p_o -> gate_o" in g.source


@pytest.mark.parametrize("name,preset,nodes", [
    ("lstm-stacked", "lstm-stacked", {"h_0_f_1", "h_1_f_3", "x_1", "y"}),
    ("lstm-bidirectional", "lstm-bidirectional", {"h_0_f_1", "h_0_b_3", "cat_0_2", "y"}),
])
def test_stacked_and_bidirectional(tmp_path, name, preset, nodes):
    p = tmp_path / f"{name}.svg"
    api.render(name, output=str(p))
    root = parse_svg(p)
    assert nodes <= set(svg_nodes(root))
    text = " ".join(svg_texts(root))
    tr = registry.compute("lstm", Source(preset=preset)).trace
    for run in tr.runs:
        for s in run.steps:
            for v in s.h:
                assert fmt(v) in text
    check_golden(name, api.build(name)[0].source)


def test_stacked_needs_layers():
    with pytest.raises(InputError, match="one layer and one direction"):
        api.build("lstm-stacked", source=Source(preset="lstm-3step"))
    g, _ = api.build("lstm-stacked", source=Source(seed=3), options={"layers": 3})
    assert "h_2_f_3" in g.source


def test_unfolded_rejects_stacked_traces(run_cli):
    r = run_cli("diagram", "lstm-unfolded", "--preset", "lstm-stacked", "--dot")
    assert r.exit_code == 2 and "lstm-stacked" in r.stderr
    g, _ = api.build("lstm-cell", source=Source(preset="lstm-bidirectional"))
    assert "layer 1, forward run" in g.source


def test_a_wide_output_is_written_in_rows_with_every_value():
    from pathlib import Path
    from gatelab.engines.registry import Source
    refs = Path(__file__).resolve().parents[1] / "formats" / "refs"
    src = Source(weights=str(refs / "emb_lstm.pt"), inputs={"token_ids": [3, 1, 4]})
    g, _ = api.build("lstm-unfolded", source=src)
    y = registry.compute("lstm", src).trace.y
    assert len(y) == 20
    label = next(line for line in g.source.split("\n") if line.strip().startswith("y [label="))
    assert label.count('<BR ALIGN="LEFT"/>') == 3                # 8 + 8 + 4 values: three lines, each flush left
    for v in y:
        assert fmt(float(v)) in label
    assert [f"E[{i}&#93;" in g.source for i in (3, 1, 4)] == [True] * 3   # each x_t names its embedding row
    assert "E[" not in api.build("lstm-unfolded")[0].source                # not for x given as vectors
    assert "E[4&#93;" in api.build("lstm-cell", source=src, options={"step": 3})[0].source   # the cell's x_3 too


def test_stacked_inputs_of_eight_values_from_token_ids_do_not_overlap(tmp_path):
    """A word-level LSTM language model (embedding 50 x 8 -> 2-layer LSTM -> decoder): the x_t nodes name their
    embedding rows, sit apart however long their values are, and y's 50 logits are written in rows."""
    path = word_lm(tmp_path / "lm.safetensors", layers=2)
    g, _ = api.build("lstm-stacked", source=Source(weights=str(path), module="rnn", inputs={"token_ids": [1, 2, 3]}))
    assert [f"E[{i}&#93;" in g.source for i in (1, 2, 3)] == [True] * 3
    boxes = {}
    for line in g.pipe(format="plain").decode().splitlines():
        f = line.split()
        if f[0] == "node" and f[1] in ("x_1", "x_2", "x_3"):
            boxes[f[1]] = (float(f[2]) - float(f[4]) / 2, float(f[2]) + float(f[4]) / 2)
    (_, b1), (a2, b2), (a3, _) = boxes["x_1"], boxes["x_2"], boxes["x_3"]
    assert b1 < a2 and b2 < a3, boxes                               # each input box ends before the next begins
    y = next(line for line in g.source.split("\n") if line.strip().startswith("y [label="))
    assert y.count('<BR ALIGN="LEFT"/>') == 7                      # 50 logits: 8 a line
    gru = word_lm(tmp_path / "gru.safetensors", "gru", decoder=False)
    cell = api.build("gru-cell", source=Source(weights=gru, module="rnn",
                                               inputs={"token_ids": [1, 2, 3]}), options={"step": 2})[0].source
    assert "E[2&#93;" in cell and "E[1&#93;" not in cell             # the GRU cell's x_2 = E[2]
