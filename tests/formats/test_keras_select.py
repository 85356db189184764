"""Choosing the Keras layer (and its Dense output layer) that drives a model; one-line errors otherwise."""
from __future__ import annotations

import dataclasses
import json
import zipfile

import numpy as np
import pytest

from _keras_fixtures import keras_path, one_line
from gatelab.engines.errors import InputError
from gatelab.engines.formats.keras import read_keras, read_weights_h5
from gatelab.engines.formats.keras_select import select_keras


def _ckpt(name: str):
    return read_keras(keras_path(f"{name}.keras"))


def _error(ckpt, model, **kw) -> str:
    with pytest.raises(InputError) as e:
        select_keras(ckpt, model, **kw)
    return one_line(e)


def test_one_fitting_layer_is_used_and_named():
    sel = select_keras(_ckpt("lstm_seq"), "lstm")
    assert sel.module == "lstm" and sel.head == "dense"
    assert sel.note == "using layer 'lstm' (Keras LSTM, 3 units); output layer 'dense' (Keras Dense, 1 unit)"
    assert sorted(sel.weights) == ["bias", "dense_bias", "dense_kernel", "kernel", "recurrent_kernel"]
    sel = select_keras(_ckpt("bilstm"), "lstm")
    assert sel.note.startswith("using layer 'bidirectional' (Keras Bidirectional(LSTM), 2 units per direction)")
    assert {"kernel_reverse", "recurrent_kernel_reverse", "bias_reverse"} <= set(sel.weights)


def test_several_fitting_layers_are_listed():
    msg = _error(_ckpt("stacked"), "lstm")
    assert "2 layers that fit lstm" in msg and "lstm (Keras LSTM, 3 units)" in msg
    assert "lstm_1 (Keras LSTM, 3 units)" in msg and "--module NAME" in msg


def test_module_picks_one_and_the_dense_after_it():
    ck = _ckpt("stacked")
    sel = select_keras(ck, "lstm", module="lstm_1")
    assert (sel.module, sel.head) == ("lstm_1", "dense")
    sel = select_keras(ck, "lstm", module="lstm")        # followed by another LSTM: no output layer
    assert (sel.module, sel.head) == ("lstm", None) and "dense_kernel" not in sel.weights


def test_functional_graph_tells_which_dense_follows():
    ck = _ckpt("mixed_fn")
    assert select_keras(ck, "gru").head == "out"         # out takes bigru's outputs (inbound_nodes)
    sel = select_keras(ck, "lstm")
    assert sel.head is None                              # lstm_a feeds bigru, not a Dense
    assert sel.note.endswith("its input x is the output of layer 'conv' (Conv1D)")


def test_unsupported_layer_is_named_when_asked_for():
    ck = _ckpt("mixed_fn")
    assert "layer 'conv' (Conv1D) cannot drive lstm: Conv1D layers are not supported" in _error(ck, "lstm", module="conv")
    msg = _error(ck, "rnn")
    assert "no layer of" in msg and "conv (Conv1D: not drawable)" in msg and "lstm_a (LSTM: lstm)" in msg
    assert "model-summary covers stacks of SimpleRNN, LSTM, GRU and Dense; layer 'conv' is Conv1D" in \
        _error(ck, "model-summary")
    assert "is not a layer of" in _error(ck, "lstm", module="nope")
    assert "a Keras file drives rnn, lstm, gru, multihead or model-summary; not 'gan'" in _error(ck, "gan")


def test_head_option():
    ck = _ckpt("stacked")
    sel = select_keras(ck, "lstm", module="lstm", head="dense")   # a Dense of the right width, named
    assert sel.head == "dense"
    np.testing.assert_array_equal(sel.weights["dense_kernel"], {m.name: m for m in ck.modules}["dense"].params["kernel"])
    assert "--head 'lstm_1' is a LSTM layer; expected a Dense layer (dense)" in _error(ck, "lstm", module="lstm", head="lstm_1")
    assert "--head 'x' is not a layer" in _error(ck, "lstm", head="x", module="lstm")
    ck = _ckpt("mixed_fn")
    assert "takes inputs of width 4, but layer 'lstm_a' outputs width 3" in _error(ck, "lstm", head="out")
    assert "--head applies to rnn, lstm and gru" in _error(_ckpt("mha_fn"), "multihead", head="x")


def test_a_nonlinear_dense_is_not_a_linear_output_layer():
    """The rnn engine applies sigmoid/softmax; the lstm/gru engines' output layer is linear, so a
    Dense with another activation is not used silently."""
    assert select_keras(_ckpt("rnn_fn"), "rnn").options["output_layer"] == "softmax"
    ck = _ckpt("lstm_seq")
    dense = ck.modules[1]
    sig = dataclasses.replace(dense, config={**dense.config, "activation": "sigmoid"})
    ck = dataclasses.replace(ck, modules=(ck.modules[0], sig))
    sel = select_keras(ck, "lstm")
    assert sel.head is None and "dense_kernel" not in sel.weights
    assert "Dense 'dense' after it is not used: its activation 'sigmoid': the lstm engine's output layer is linear" in sel.note
    assert "cannot be the output layer" in _error(ck, "lstm", head="dense")


def test_blocked_layer_says_why():
    ck = read_weights_h5(keras_path("bilstm.weights.h5"))
    # a Bidirectional LSTM drives lstm; asked for rnn, the file has no SimpleRNN
    assert "no layer of" in _error(ck, "rnn")
    assert "layer 'bidirectional' (Bidirectional) cannot drive gru: it drives lstm" in \
        _error(ck, "gru", module="bidirectional")


def test_model_summary_needs_the_whole_model_from_config():
    assert "drop --module/--head" in _error(_ckpt("summary"), "model-summary", module="lstm")
    assert "needs config.json" in _error(read_weights_h5(keras_path("lstm_seq.weights.h5")), "model-summary")
    sel = select_keras(_ckpt("summary"), "model-summary")
    assert sel.options == {"framework": "keras"} and sel.weights == {}
    assert "model-summary of 'summary' from config.json (3 layers" in sel.note


# ------------------------------------------------------------------- configs edited as JSON

def _edited(tmp_path, name: str, edit) -> str:
    """A copy of fixture ``name`` whose config.json went through ``edit(cfg)`` (weights unchanged)."""
    src, dst = keras_path(f"{name}.keras"), tmp_path / f"{name}.keras"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "config.json":
                cfg = json.loads(data)
                edit(cfg)
                data = json.dumps(cfg).encode()
            zout.writestr(info, data)
    return str(dst)


def _layer(cfg, i):
    return cfg["config"]["layers"][i]["config"]


def test_a_dropout_between_does_not_hide_the_dense(tmp_path):
    def add_dropout(cfg):
        cfg["config"]["layers"].insert(2, {"module": "keras.layers", "class_name": "Dropout", "registered_name": None,
                                           "config": {"name": "dropout", "rate": 0.5}})
    ck = read_keras(_edited(tmp_path, "lstm_seq", add_dropout))
    assert [m.name for m in ck.modules] == ["lstm", "dropout", "dense"]
    assert ck.modules[1].config["not_drawable"] == "Dropout does nothing at inference (nothing to draw)"
    assert select_keras(ck, "lstm").head == "dense"
    assert [lay["type"] for lay in ck.meta["summary"]["layers"]] == ["LSTM", "Dense"]


@pytest.mark.parametrize("name, model, edit, reason", [
    ("lstm_seq", "lstm", lambda c: _layer(c, 1).update(go_backwards=True), "go_backwards=True on its own"),
    ("lstm_seq", "lstm", lambda c: _layer(c, 1).update(recurrent_activation="hard_sigmoid"),
     "recurrent_activation 'hard_sigmoid'"),
    ("rnn_fn", "rnn", lambda c: _layer(c, 1).update(activation="elu"), "activation 'elu'"),
    ("rnn_fn", "rnn", lambda c: _layer(c, 1).update(activation={"module": "my_pkg", "class_name": "f",
                                                                "registered_name": "my_pkg>f", "config": "f"}),
     "its activation is not a built-in Keras function"),
    ("bilstm", "lstm", lambda c: _layer(c, 1).update(merge_mode="sum"), "merge_mode 'sum'"),
])
def test_options_gatelab_cannot_draw_are_named(tmp_path, name, model, edit, reason):
    ck = read_keras(_edited(tmp_path, name, edit))
    assert reason in _error(ck, model)


def test_causal_mask_of_a_functional_call_becomes_the_mask_option(tmp_path):
    ck = read_keras(_edited(tmp_path, "mha_fn", lambda c: c["config"]["layers"][1]["inbound_nodes"][0]["kwargs"]
                            .update(use_causal_mask=True)))
    assert select_keras(ck, "multihead").options == {"heads": 2, "mask": "causal"}
