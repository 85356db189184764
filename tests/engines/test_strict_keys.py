"""Strict input files: for every model a misspelt input key and a misspelt weight name are one-line
errors (exit 2) naming the closest valid key; unknown top-level keys of a weights document too; the
names a framework layout legitimately carries are recognised."""
from __future__ import annotations

import json

import numpy as np
import pytest

from gatelab.engines import gru, io, lstm, presets, registry
from gatelab.engines.errors import InputError
from tests.cli_helpers import one_line_error

NO_WEIGHTS = {"info", "softmax", "activations", "positional-encoding", "model-summary", "gan-loss"}


def _doc(model: str) -> dict:
    return json.loads(presets.text(registry.get(model).default_preset))


def _misspell(key: str) -> str:
    return key + key[-1]          # "target" -> "targett", "x" -> "xx", "W_C" -> "W_CC"


@pytest.mark.parametrize("model", list(registry.MODELS))
def test_misspelt_input_key_is_an_error_with_the_closest_key(model, run_cli, write_json):
    doc = _doc(model)
    key = sorted(doc["inputs"])[0]
    doc["inputs"][_misspell(key)] = doc["inputs"].pop(key)
    line = one_line_error(run_cli("compute", model, "--weights", write_json(doc, "w.json")),
                          f"unknown input key {_misspell(key)!r}", f"(did you mean {key!r}?)")
    assert "expected" in line


@pytest.mark.parametrize("model", list(registry.MODELS))
def test_misspelt_weight_is_an_error_with_the_closest_name(model, run_cli, write_json):
    doc = _doc(model)
    if model in NO_WEIGHTS:
        doc["weights"]["W"] = [1.0]
        one_line_error(run_cli("compute", model, "--weights", write_json(doc, "w.json")),
                       f"unknown weight 'W' for {model}; expected none")
        return
    key = "seed" if model == "gan" else sorted(doc["weights"])[0]
    doc["weights"][_misspell(key)] = doc["weights"].pop(key)
    one_line_error(run_cli("compute", model, "--weights", write_json(doc, "w.json")),
                   f"unknown weight {_misspell(key)!r} for {model}", f"(did you mean {key!r}?)")


def test_the_target_example(run_cli, write_json):
    """{"x": [...], "taget": [0.5]} used to run with the sum(y) loss instead of the target loss."""
    doc = _doc("lstm")
    inputs = {"x": doc["inputs"]["x"], "taget": [0.5]}
    one_line_error(run_cli("compute", "lstm", "-p", "lstm-3step", "--inputs", write_json(inputs, "in.json")),
                   "unknown input key 'taget' (did you mean 'target'?); expected x, h0, c0, target")
    with pytest.raises(InputError, match=r"unknown weight 'W_zz' for gru \(did you mean 'W_z'\?\)"):
        gru.build({**_doc("gru")["weights"], "W_zz": [[0.0]]}, _doc("gru")["inputs"])


def test_unknown_top_level_keys(run_cli, write_json):
    doc = _doc("rnn")
    doc["inptus"] = doc.pop("inputs")
    one_line_error(run_cli("compute", "rnn", "--weights", write_json(doc, "w.json")),
                   "unknown key in weights file", "'inptus' (did you mean 'inputs'?)")
    doc = _doc("rnn")
    doc["wieghts"] = doc.pop("weights")
    one_line_error(run_cli("compute", "rnn", "--weights", write_json(doc, "w.json")),
                   "but no 'weights' (did you mean 'weights' for 'wieghts'?)")
    with pytest.raises(InputError, match="'format'"):
        io.parse_weights_doc({"weights": {}, "format": "x"})
    for name in presets.names():          # every key the shipped presets use is part of the closed set
        presets.load(name)
    flat = io.parse_weights_doc({"U": [1.0], "model": "rnn", "options": {"activation": "relu"}})
    assert flat.weights == {"U": [1.0]} and flat.options == {"activation": "relu"}


def _lstm_weights(rng, H=2, D=3):
    return {f"{k}_{g}": rng.normal(size=(H, H + D) if k == "W" else H).tolist() for g in "fiCo" for k in ("W", "b")}


def test_framework_names_are_recognised_not_ignored():
    """PyTorch's bias_hh beside bias_ih, Keras's recurrent_kernel and saved layer paths, a Dense output
    layer: all read; a misspelt one of them is named."""
    rng = np.random.default_rng(0)
    p = lstm.LSTMParams.from_weights(_lstm_weights(rng))
    sd = {k: v.tolist() for k, v in lstm.to_torch(p).items()}
    inputs = {"x": rng.normal(size=(4, 3)).tolist()}
    lstm.build(sd, inputs)
    with pytest.raises(InputError, match=r"unknown weight 'bias_hh_l00' for lstm \(did you mean 'bias_hh_l0'\?\)"):
        lstm.build({**sd, "bias_hh_l00": sd.pop("bias_hh_l0")}, inputs)
    ker = {k: v.tolist() for k, v in lstm.to_keras(p).items()}
    saved = {f"lstm_1/lstm_cell/{k}:0": v for k, v in ker.items()}
    saved.update({"dense/kernel:0": [[1.0], [2.0]], "dense/bias:0": [0.5]})
    tr = lstm.build(saved, inputs)
    np.testing.assert_allclose(tr.y, tr.outputs[-1] @ [1.0, 2.0] + 0.5)
    bad = dict(saved)
    bad["lstm_1/lstm_cell/recurent_kernel:0"] = bad.pop("lstm_1/lstm_cell/recurrent_kernel:0")
    with pytest.raises(InputError, match=r"'lstm_1/lstm_cell/recurent_kernel:0' for lstm \(did you mean 'recurrent_kernel'\?\)"):
        lstm.build(bad, inputs)


def test_weights_of_a_layer_the_run_does_not_have_are_named():
    rng = np.random.default_rng(1)
    w = _lstm_weights(rng)
    w["W_f_l1"] = w["W_f"]
    with pytest.raises(InputError, match=r"unknown weight 'W_f_l1' for lstm .*layers=1, bidirectional=False"):
        lstm.build(w, {"x": [[0.0, 0.0, 0.0]]}, layers=1)
