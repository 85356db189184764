"""Keras files run through GateLab's engines reproduce what Keras computed (no Keras needed).

The references (refs/keras/*.json) are Keras's own outputs on fixed inputs: per-step hidden states,
LSTM cell states, the model's output, attention scores. float32 files agree to 1e-6 (Keras computed
in float32); the float64 file's recurrent values agree to 1e-9.
"""
from __future__ import annotations

import numpy as np
import pytest

from _keras_fixtures import keras_path, keras_ref
from gatelab.engines import attention, gru, lstm, params, rnn
from gatelab.engines.errors import InputError
from gatelab.engines.formats.keras import read_keras, read_weights_h5
from gatelab.engines.formats.keras_select import select_keras

ENGINES = {"rnn": rnn.build, "lstm": lstm.build, "gru": gru.build}
READERS = {".keras": read_keras, ".weights.h5": read_weights_h5}

# (fixture, model, --module): every recurrent layer kind, options and Dense head of the fixtures
CASES = [("lstm_seq", "lstm", None), ("gru_after", "gru", None), ("gru_before", "gru", None),
         ("rnn_fn", "rnn", None), ("bilstm", "lstm", None), ("stacked", "lstm", "lstm"),
         ("stacked", "lstm", "lstm_1"), ("mixed_fn", "lstm", None), ("mixed_fn", "gru", None),
         ("lstm_f64", "lstm", None), ("rnn_td", "rnn", None)]


def _hidden(trace, model: str) -> np.ndarray:
    return np.array([s.h for s in trace.steps]) if model == "rnn" else trace.outputs     # [T, dirs*H]


def _outputs(trace, model: str) -> np.ndarray | None:
    if model == "rnn":
        return None if trace.steps[0].y is None else np.array([s.y for s in trace.steps])
    return trace.ys


def _run(name: str, ext: str, model: str, module: str | None, **override):
    ckpt = READERS[ext](keras_path(name + ext))
    sel = select_keras(ckpt, model, module=module)
    ref = keras_ref(name)
    layer = ref["layers"][sel.module]
    trace = ENGINES[model](sel.weights, {"x": layer["input"]}, **{**sel.options, **override})
    return sel, ref, layer, trace


@pytest.mark.parametrize("name, model, module, ext", [
    (*case, ext) for case in CASES for ext in READERS
    if not (case[0] == "rnn_fn" and ext == ".weights.h5")])   # relu/softmax live in config.json: see below
def test_engine_reproduces_keras(name, model, module, ext):
    sel, ref, layer, trace = _run(name, ext, model, module)
    tol = 1e-9 if ref["floatx"] == "float64" else 1e-6
    np.testing.assert_allclose(_hidden(trace, model), layer["h"], rtol=0, atol=tol)
    if "c" in layer:
        np.testing.assert_allclose([s.c for s in trace.runs[0].steps], layer["c"], rtol=0, atol=tol)
    if "c_forward" in layer:
        np.testing.assert_allclose(sorted_c(trace.runs[0]), layer["c_forward"], rtol=0, atol=tol)
        np.testing.assert_allclose(sorted_c(trace.runs[1]), layer["c_backward"], rtol=0, atol=tol)
    if sel.head is not None:
        ys = _outputs(trace, model)
        out = np.array(ref["output"])
        # Keras 3 computes Dense matmuls in float32 on its numpy/jax/torch backends, even in a float64
        # model (its type promotion maps float64 to float32), so the model output agrees to 1e-6 only.
        np.testing.assert_allclose(ys if out.ndim == 2 else ys[-1], out, rtol=0, atol=1e-6)


def sorted_c(run) -> np.ndarray:
    """A run's cell states in time order (a backward run lists its steps from t = T)."""
    return np.array([s.c for s in sorted(run.steps, key=lambda s: s.t)])


def test_options_come_from_the_file():
    sel, *_ = _run("rnn_fn", ".keras", "rnn", None)
    assert sel.options == {"activation": "relu", "output_layer": "softmax"}
    assert sel.head == "probs"
    assert select_keras(read_keras(keras_path("gru_after.keras")), "gru").options == {"convention": "torch"}
    assert select_keras(read_keras(keras_path("gru_before.keras")), "gru").options == {"convention": "textbook"}
    sel = select_keras(read_keras(keras_path("gru_after.keras")), "gru")
    assert sel.weights["bias"].shape == (2, 9)          # Keras's two biases, kept for the torch convention


def test_weights_file_alone_needs_the_options():
    """A .weights.h5 file has no activations: the assumed tanh/linear give other numbers, and the note
    says so; given the options the config would have given, the numbers are Keras's again."""
    sel, ref, layer, trace = _run("rnn_fn", ".weights.h5", "rnn", None)
    assert "assumed (no config.json): activation tanh, activation linear" in sel.note
    assert np.abs(_hidden(trace, "rnn") - layer["h"]).max() > 1e-2
    *_, trace = _run("rnn_fn", ".weights.h5", "rnn", None, activation="relu", output_layer="softmax")
    np.testing.assert_allclose(_hidden(trace, "rnn"), layer["h"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(_outputs(trace, "rnn"), ref["output"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("ext", list(READERS))
@pytest.mark.parametrize("causal", [False, True])
def test_multihead_reproduces_keras_attention(ext, causal):
    ckpt = READERS[ext](keras_path("mha_fn" + ext))
    sel = select_keras(ckpt, "multihead")
    assert sel.options == {"heads": 2} and sel.module == "self_attn"
    ref = keras_ref("mha_fn")
    opts = {**sel.options, **({"mask": "causal"} if causal else {})}
    trace = attention.build_multihead(sel.weights, {"x": ref["x"]}, **opts)
    att = ref["attention"]
    pre = "causal_" if causal else ""
    np.testing.assert_allclose(trace.output, att[pre + "output"], rtol=0, atol=1e-6)
    np.testing.assert_allclose([h.weights for h in trace.heads], att[pre + "scores"], rtol=0, atol=1e-6)
    if not causal:
        np.testing.assert_allclose(trace.output, ref["output"], rtol=0, atol=1e-6)    # the model's own output


@pytest.mark.parametrize("name", ["summary", "stacked", "lstm_seq", "gru_after", "gru_before", "rnn_fn", "lstm_f64"])
def test_model_summary_from_a_keras_file_counts_like_keras(name):
    ckpt = read_keras(keras_path(f"{name}.keras"))
    sel = select_keras(ckpt, "model-summary")
    trace = params.build(sel.weights, ckpt.meta["summary"], **sel.options)
    assert trace.total == keras_ref(name)["count_params"]
    assert [layer.params for layer in trace.layers] == [ckpt.modules[i].count for i in range(len(trace.layers))]
    if name == "summary":
        assert trace.total_formula == "3840 + 7320 + 31 = 11191"
        assert [layer.name for layer in trace.layers] == ["LSTM", "LSTM", "Dense"]


@pytest.mark.parametrize("ext", list(READERS))
def test_time_distributed_dense_is_the_output_layer(ext):
    sel, ref, layer, trace = _run("rnn_td", ext, "rnn", None)
    assert sel.head == "td"
    np.testing.assert_allclose(_outputs(trace, "rnn"), ref["output"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("name, model", [("legacy_lstm", "lstm"), ("legacy_bigru", "gru")])
@pytest.mark.parametrize("ext", [".h5", ".keras2.h5"])
def test_keras2_hdf5_files_reproduce_keras(name, model, ext):
    """model.save("m.h5") (the legacy format, its model_config read) and Keras 2's save_weights layout
    (layer_names, weight_names with :0, no config): the same numbers as the Keras 3 files of the model."""
    ckpt = read_weights_h5(keras_path(name + ext))
    assert ckpt.format == ("keras-h5" if ext == ".h5" else "keras-weights-h5")
    sel = select_keras(ckpt, model)
    ref = keras_ref(name)
    layer = ref["layers"][sel.module]
    trace = ENGINES[model](sel.weights, {"x": layer["input"]}, **sel.options)
    np.testing.assert_allclose(_hidden(trace, model), layer["h"], rtol=0, atol=1e-6)
    assert sel.head == "dense"
    np.testing.assert_allclose(_outputs(trace, model), ref["output"], rtol=0, atol=1e-6)


def test_a_keras2_file_with_a_missing_weight_is_one_line(tmp_path):
    import shutil

    import h5py
    bad = tmp_path / "bad.h5"
    shutil.copy(keras_path("legacy_lstm.keras2.h5"), bad)
    with h5py.File(bad, "a") as f:
        del f["lstm"]["lstm/lstm_cell/bias:0"]
    with pytest.raises(InputError, match="lists weight 'lstm/lstm_cell/bias:0' but does not store it"):
        read_weights_h5(str(bad))


def test_token_ids_through_a_keras_embedding():
    from gatelab.engines import registry
    ref = keras_ref("emb_lstm")
    for ext in (".keras", ".weights.h5"):
        run = registry.compute("lstm", registry.Source(weights=keras_path("emb_lstm" + ext),
                                                        inputs={"token_ids": ref["token_ids"]}))
        np.testing.assert_allclose([s.x for s in run.trace.steps], ref["layers"]["lstm"]["input"], rtol=0, atol=1e-7)
        np.testing.assert_allclose(run.trace.outputs, ref["layers"]["lstm"]["h"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(run.trace.ys, ref["output"], rtol=0, atol=1e-6)
