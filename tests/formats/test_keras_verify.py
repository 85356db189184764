"""--verify against Keras: Keras's own layers with the file's weights agree with GateLab's traces,
and a wrong trace is caught. These tests need keras (the numpy backend; `make test` installs it);
the tests of what happens without a framework run everywhere."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from _keras_fixtures import keras_path, keras_ref, one_line
from gatelab.engines import attention, gru, lstm, rnn
from gatelab.engines.errors import ToolMissing
from gatelab.engines.formats import verify as V
from gatelab.engines.formats.keras import read_keras
from gatelab.engines.formats.keras_select import select_keras

os.environ.setdefault("KERAS_BACKEND", "numpy")     # inference only; set before keras is first imported
# importing Keras (and its jax/numpy backend) costs seconds: these tests and the CLI's --verify test share one worker
pytestmark = pytest.mark.xdist_group("keras")

BUILD = {"rnn": rnn.build, "lstm": lstm.build, "gru": gru.build, "multihead": attention.build_multihead}
CASES = [("lstm_seq", "lstm", None), ("gru_after", "gru", None), ("gru_before", "gru", None),
         ("rnn_fn", "rnn", None), ("bilstm", "lstm", None), ("stacked", "lstm", "lstm_1"),
         ("mixed_fn", "gru", None), ("mha_fn", "multihead", None), ("lstm_f64", "lstm", None)]


def _case(name: str, model: str, module: str | None, *, h0: bool = False, **opts):
    ckpt = read_keras(keras_path(f"{name}.keras"))
    sel = select_keras(ckpt, model, module=module)
    ref = keras_ref(name)
    inputs = {"x": ref["x"] if model == "multihead" else ref["layers"][sel.module]["input"]}
    if h0:      # non-zero initial states: they reach the framework too
        H = sel.weights["recurrent_kernel"].shape[0]
        runs = 2 if "kernel_reverse" in sel.weights else 1
        s = np.random.default_rng(3).uniform(-0.9, 0.9, (runs, H))
        inputs["h0"] = (s if runs > 1 else s[0]).tolist()
        if model == "lstm":
            inputs["c0"] = (-s if runs > 1 else -s[0]).tolist()
    trace = BUILD[model](sel.weights, inputs, **{**sel.options, **opts})
    return ckpt, sel, inputs, trace


def _keras():
    try:
        import keras
    except ImportError as e:        # not installed, or installed without its backend
        pytest.skip(f"--verify against Keras needs keras and a backend (pip install keras jax): {e}")
    return keras


@pytest.mark.parametrize("name, model, module", CASES)
def test_keras_agrees_with_gatelab(name, model, module):
    _keras()
    ckpt, sel, inputs, trace = _case(name, model, module, h0=name in ("lstm_seq", "bilstm", "gru_after"))
    rep = V.verify(sel, model, inputs, trace, framework="keras", dtype=ckpt.meta["dtype"])
    assert rep.ok, rep.line()
    assert rep.framework.startswith("keras 3.")
    names = [d.name for d in rep.differences]
    expected = set(V.ours(model, trace))
    assert set(names) == expected                       # every value GateLab draws was compared
    assert rep.worst.max_abs < 1e-6
    assert "agrees with GateLab" in rep.line() and "\n" not in rep.line()


def test_keras_causal_multihead_and_every_head():
    _keras()
    ckpt, sel, inputs, trace = _case("mha_fn", "multihead", None, mask="causal")
    rep = V.verify(sel, "multihead", inputs, trace, framework="keras", dtype="float32")
    assert rep.ok, rep.line()
    assert [d.name for d in rep.differences] == ["weights[head 1]", "weights[head 2]", "output"]


def test_float64_file_reports_the_precision_keras_computed_in():
    keras = _keras()
    ckpt, sel, inputs, trace = _case("lstm_f64", "lstm", None)
    rep = V.verify(sel, "lstm", inputs, trace, framework="keras", dtype=ckpt.meta["dtype"])
    assert rep.dtype == "float64"
    if keras.backend.backend() != "tensorflow":       # jax, numpy, torch promote float64 to float32
        assert rep.precision == "float32" and rep.tolerance == 1e-6
        assert "partly in float32" in rep.line()


@pytest.mark.parametrize("name, model", [("lstm_seq", "lstm"), ("gru_before", "gru"), ("rnn_fn", "rnn"),
                                         ("bilstm", "lstm"), ("mha_fn", "multihead")])
def test_a_wrong_trace_is_caught(name, model):
    """A trace computed from other weights than the file's must fail the check."""
    _keras()
    ckpt, sel, inputs, _ = _case(name, model, None)
    bent = {k: np.asarray(v) * 1.01 for k, v in sel.weights.items()}
    wrong = BUILD[model](bent, inputs, **sel.options)
    rep = V.verify(sel, model, inputs, wrong, framework="keras", dtype="float32")
    assert not rep.ok and rep.worst.max_abs > 1e-4
    assert "DIFFERS from GateLab" in rep.line()


def test_weights_under_our_names_are_converted_and_said_so():
    _keras()
    ckpt, sel, inputs, trace = _case("lstm_seq", "lstm", None)
    ours = lstm.to_torch(trace.params)                  # another layout: the engine's own conversion
    ours.update(V=trace.params.V, b_y=trace.params.b_y)
    t2 = lstm.build(ours, inputs)
    rep = V.verify(ours, "lstm", inputs, t2, framework="keras", dtype="float32")
    assert rep.ok, rep.line()
    assert "converted to Keras names" in rep.line()


# ------------------------------------------------------------------- without the framework

def test_missing_keras_is_one_line_saying_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", None)     # import keras -> ImportError
    ckpt, sel, inputs, trace = _case("lstm_seq", "lstm", None)
    with pytest.raises(ToolMissing) as e:
        V.verify(sel, "lstm", inputs, trace, framework="keras")
    assert "pip install keras" in one_line(e)


def test_missing_torch_is_one_line_saying_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    ckpt, sel, inputs, trace = _case("lstm_seq", "lstm", None)
    with pytest.raises(ToolMissing) as e:
        V.verify(sel, "lstm", inputs, trace, framework="torch")
    assert "pip install torch" in one_line(e)


def test_no_framework_at_all(monkeypatch):
    monkeypatch.setattr(V, "_installed", lambda name: False)
    with pytest.raises(ToolMissing) as e:
        V._framework(None, {"W_f": [[0.0]]})
    assert "--verify needs torch or keras installed" in one_line(e)


def test_framework_follows_the_names_of_the_weights():
    assert V._framework(None, {"kernel": 0, "recurrent_kernel": 0}) == "keras"
    assert V._framework(None, {"weight_ih_l0": 0, "weight_hh_l0": 0}) == "torch"
    assert V._framework(None, {"in_proj_weight": 0}) == "torch"
    assert V._framework("keras", {"weight_ih_l0": 0}) == "keras"


def test_tolerances():
    assert V.tolerance_for("float32") == 1e-6
    assert V.tolerance_for("float64") == 1e-9
    assert V.tolerance_for("float64", "float32") == 1e-6
    assert V._infer_dtype({"a": np.float32(0.1)}) == "float32"
    assert V._infer_dtype({"a": 0.1}) == "float64"
