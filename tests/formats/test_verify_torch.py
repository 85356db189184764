"""--verify against PyTorch: nn.RNN/LSTM/GRU/Linear/MultiheadAttention with a state_dict agree with
GateLab's traces (stacked and bidirectional too), and a wrong trace is caught. Needs torch: skipped
with that reason when it is absent (torch is never a dependency of GateLab)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from _keras_fixtures import keras_path, keras_ref, one_line
from gatelab.engines import attention, gru, lstm, rnn
from gatelab.engines.errors import InputError
from gatelab.engines.formats import verify as V
from gatelab.engines.formats.keras import read_keras
from gatelab.engines.formats.keras_select import select_keras

try:
    import torch  # noqa: F401
except ImportError:
    pytest.skip("--verify against PyTorch needs torch (pip install torch)", allow_module_level=True)

REFS = Path(__file__).resolve().parents[1] / "engines" / "refs"
CASES = json.loads((REFS / "torch_lstm_gru.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_torch_state_dicts_agree(case):
    """PyTorch names go to nn.LSTM/nn.GRU as they are: stacked and bidirectional, non-zero h0/c0."""
    build = lstm.build if case["kind"] == "lstm" else gru.build
    inputs = {"x": case["x"], "h0": case["h0"]}
    if case["kind"] == "lstm":
        inputs["c0"] = case["c0"]
    trace = build(case["weights"], inputs)
    rep = V.verify(case["weights"], case["kind"], inputs, trace)          # framework from the names: torch
    assert rep.ok, rep.line()
    assert rep.framework.startswith("torch ") and rep.precision == "float64"
    assert {d.name for d in rep.differences} == set(V.ours(case["kind"], trace))
    assert rep.worst.max_abs < 1e-12 and not rep.notes                    # given as they are, not converted
    runs = {d.name for d in rep.differences if d.name.startswith("h[")}
    assert len(runs) == case["layers"] * (2 if case["bidirectional"] else 1)


def test_torch_multihead_state_dict_with_masks():
    ref = json.loads((REFS / "torch_attention.json").read_text())["mha"]
    inputs = {"x": ref["x"], "key_padding": ref["key_padding"], "heads": ref["num_heads"]}
    trace = attention.build_multihead(ref["state_dict"], inputs, mask="causal" if ref["causal"] else None)
    rep = V.verify(ref["state_dict"], "multihead", inputs, trace)
    assert rep.ok, rep.line()
    assert [d.name for d in rep.differences][-1] == "output"


def test_torch_rnn_with_a_linear_head():
    w = {"weight_ih_l0": [[0.5], [0.6]], "weight_hh_l0": [[0.1, 0.2], [0.3, 0.4]],
         "bias_ih_l0": [1.0, -1.0], "bias_hh_l0": [0.0, 0.0], "V": [[1.0, 2.0]], "b_y": [0.1]}
    inputs = {"x": [[2.0], [3.0]]}
    trace = rnn.build(w, inputs, output_layer="sigmoid")
    rep = V.verify(w, "rnn", inputs, trace)
    assert rep.ok and [d.name for d in rep.differences] == ["h", "y"]


@pytest.mark.parametrize("name, model", [("lstm_seq", "lstm"), ("gru_after", "gru"), ("bilstm", "lstm"),
                                         ("rnn_fn", "rnn"), ("mha_fn", "multihead")])
def test_keras_files_checked_by_torch_after_conversion(name, model):
    ckpt = read_keras(keras_path(f"{name}.keras"))
    sel = select_keras(ckpt, model)
    ref = keras_ref(name)
    inputs = {"x": ref["x"] if model == "multihead" else ref["layers"][sel.module]["input"]}
    build = {"lstm": lstm.build, "gru": gru.build, "rnn": rnn.build, "multihead": attention.build_multihead}[model]
    trace = build(sel.weights, inputs, **sel.options)
    rep = V.verify(sel, model, inputs, trace, framework="torch", dtype="float32")
    assert rep.ok, rep.line()
    assert "converted to PyTorch names" in rep.line()


def test_a_wrong_trace_is_caught():
    case = CASES[4]                                                      # 2 layers, bidirectional
    inputs = {"x": case["x"]}
    bent = {k: np.asarray(v) + (0.01 if k == "bias_hh_l1_reverse" else 0.0) for k, v in case["weights"].items()}
    rep = V.verify(case["weights"], "lstm", inputs, lstm.build(bent, inputs))
    assert not rep.ok
    bad = {d.name for d in rep.differences if d.max_abs > 1e-4}
    assert "h[layer 1 backward]" in bad and "h[layer 0 forward]" not in bad   # the difference is located


def test_textbook_gru_has_no_torch_equivalent():
    ckpt = read_keras(keras_path("gru_before.keras"))
    sel = select_keras(ckpt, "gru")
    inputs = {"x": keras_ref("gru_before")["layers"]["gru"]["input"]}
    trace = gru.build(sel.weights, inputs, **sel.options)
    with pytest.raises(InputError) as e:
        V.verify(sel, "gru", inputs, trace, framework="torch")
    assert "no PyTorch equivalent; verify it with keras" in one_line(e)
