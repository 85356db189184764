"""CLI of the LSTM and GRU engines: compute (table, --json), explain (md, tex), presets, seeds,
weights files in our/PyTorch/Keras layouts, and every bad input as one line with exit code 2."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gatelab.style import fmt_vec
from gatelab.engines import gru, lstm, presets
from tests.cli_helpers import one_line_error as _error


def _balanced_tex(text: str) -> None:
    assert text.count("{") == text.count("}")
    for env in ("align*", "bmatrix", "tabular", "center"):
        assert text.count(r"\begin{" + env + "}") == text.count(r"\end{" + env + "}"), env


def _preset_trace(model, name):
    doc = presets.load(name)
    eng = lstm if model == "lstm" else gru
    return eng.build(doc.weights, doc.inputs, **doc.options)


# --------------------------------------------------------------------------- compute / explain

def test_compute_lstm_default_table_shows_trace_values(run_cli):
    r = run_cli("compute", "lstm")
    assert r.exit_code == 0, r.stderr
    tr = _preset_trace("lstm", "lstm-3step")
    out = r.stdout
    assert "LSTM (standard), hidden 2, input 1, 3 steps" in out
    for s in tr.steps:
        for v in (s.f, s.i, s.g, s.o, s.c, s.h):
            assert fmt_vec(v, 4) in out
    assert fmt_vec(tr.y, 5) in out


def test_compute_lstm_json_is_the_trace(run_cli):
    r = run_cli("compute", "lstm", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["kind"] == "lstm" and d["variant"] == "standard" and d["hidden"] == 2
    assert [s["t"] for s in d["steps"]] == [1, 2, 3]
    assert set(d["steps"][0]) >= {"t", "x", "f", "i", "g", "o", "c", "h"}
    assert lstm.LSTMTrace.from_dict(d).digest() == _preset_trace("lstm", "lstm-3step").digest()
    assert len(d["runs"]) == 1 and d["runs"][0]["steps"] == d["steps"]
    assert len(d["bptt"]["steps"]) == 3 and "J_forget" in d["bptt"]["steps"][0]


def test_explain_lstm_markdown_and_tex(run_cli):
    tr = _preset_trace("lstm", "lstm-3step")
    md = run_cli("explain", "lstm")
    assert md.exit_code == 0, md.stderr
    s1 = tr.steps[0]
    assert "[h_0, x_1] = [0, 0 | 1] = [0, 0, 1]" in md.stdout
    assert f"f_1 = σ(z_f) = **{fmt_vec(s1.f, 4)}**" in md.stdout
    assert "c_1 = f_1 * c_0 + i_1 * g_1" in md.stdout and f"**{fmt_vec(s1.c, 4)}**" in md.stdout
    assert "h_3 = o_3 * tanh(c_3)" in md.stdout
    assert f"**{fmt_vec(tr.y, 4)}**" in md.stdout
    tex = run_cli("explain", "lstm", "--format", "tex")
    assert tex.exit_code == 0, tex.stderr
    assert r"\begin{align*}" in tex.stdout and r"\tilde C_t" in tex.stdout
    assert tex.stdout.count(r"\begin{align*}") == tex.stdout.count(r"\end{align*}")
    assert tex.stdout.count("{") == tex.stdout.count("}")


@pytest.mark.parametrize("model,preset", [(p.model, p.name) for p in presets.catalogue() if p.model in ("lstm", "gru")])
def test_every_lstm_and_gru_preset_computes_and_explains(run_cli, model, preset):
    tr = _preset_trace(model, preset)
    r = run_cli("compute", model, "--preset", preset, "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == json.loads(tr.to_json())
    for fmt in ("md", "tex"):
        e = run_cli("explain", model, "--preset", preset, "--format", fmt)
        assert e.exit_code == 0, e.stderr
        if fmt == "tex":
            _balanced_tex(e.stdout)
    assert run_cli("compute", model, "--preset", preset).exit_code == 0


def test_lstm_presets_options():
    assert _preset_trace("lstm", "lstm-peephole").variant == "peephole"
    assert _preset_trace("lstm", "lstm-stacked").num_layers == 2
    bi = _preset_trace("lstm", "lstm-bidirectional")
    assert bi.bidirectional and bi.outputs.shape == (3, 4)


def test_compute_and_explain_gru(run_cli):
    tr = _preset_trace("gru", "gru-3step")
    r = run_cli("compute", "gru")
    assert r.exit_code == 0, r.stderr
    assert "textbook convention" in r.stdout
    for s in tr.steps:
        for v in (s.r, s.z, s.n, s.h):
            assert fmt_vec(v, 4) in r.stdout
    j = json.loads(run_cli("compute", "gru", "--json").stdout)
    assert j["kind"] == "gru" and j["convention"] == "textbook"
    assert set(j["steps"][0]) >= {"t", "x", "r", "z", "n", "h"}
    t = json.loads(run_cli("compute", "gru", "--convention", "torch", "--json").stdout)
    assert t["convention"] == "torch" and t["steps"][0]["h"] != j["steps"][0]["h"]
    e = run_cli("explain", "gru")
    assert e.exit_code == 0 and "h_1 = (1 - z_1) * h_0 + z_1 * n_1" in e.stdout
    e = run_cli("explain", "gru", "--convention", "torch", "--format", "tex")
    assert e.exit_code == 0 and r"(1 - z_t) \odot n_t + z_t \odot h_{t-1}" in e.stdout
    _balanced_tex(e.stdout)
    e = run_cli("explain", "gru", "--seed", "2", "--layers", "2", "--bidirectional", "--format", "tex")
    assert e.exit_code == 0
    _balanced_tex(e.stdout)


@pytest.mark.parametrize("model", ["lstm", "gru"])
def test_random_weights_from_seed(run_cli, model):
    args = ("compute", model, "--seed", "7", "--hidden", "4", "--input-size", "3", "--steps", "5", "--json")
    a = run_cli(*args)
    assert a.exit_code == 0, a.stderr
    d = json.loads(a.stdout)
    assert d["hidden"] == 4 and d["input_size"] == 3 and len(d["steps"]) == 5
    assert run_cli(*args).stdout == a.stdout
    assert run_cli(*args[:3], "8", *args[4:]).stdout != a.stdout
    b = run_cli("compute", model, "--seed", "1", "--layers", "2", "--bidirectional", "--json")
    assert b.exit_code == 0, b.stderr
    d = json.loads(b.stdout)
    assert d["num_layers"] == 2 and d["bidirectional"] and len(d["runs"]) == 4


def test_lstm_weights_file_in_torch_layout_and_npz(run_cli, write_json, tmp_path):
    tr = _preset_trace("lstm", "lstm-3step")
    sd = {k: v.tolist() for k, v in lstm.to_torch(tr.params).items()}
    inputs = write_json({"x": [[1.0], [0.5], [-1.0]]}, "x.json")
    r = run_cli("compute", "lstm", "--weights", write_json(sd, "torch.json"), "--inputs", inputs, "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    np.testing.assert_array_equal([s["h"] for s in d["steps"]], [s.h for s in tr.steps])
    assert d["params"]["layout"] == "torch"
    npz = tmp_path / "keras.npz"
    np.savez(npz, **lstm.to_keras(tr.params))
    r = run_cli("compute", "lstm", "--weights", str(npz), "--inputs", inputs, "--json")
    assert r.exit_code == 0, r.stderr
    np.testing.assert_array_equal([s["c"] for s in json.loads(r.stdout)["steps"]], [s.c for s in tr.steps])


# --------------------------------------------------------------------------- bad input

def _lstm_doc():
    return json.loads(presets.text("lstm-3step"))


def test_wrong_w_f_shape(run_cli, write_json):
    doc = _lstm_doc()
    doc["weights"]["W_f"] = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]]
    line = _error(run_cli("compute", "lstm", "--weights", write_json(doc)))
    assert line == "Error: W_f has shape (2, 4), expected (2, 3) = (hidden, hidden + input)"


def test_nan_in_inputs(run_cli, write_json):
    r = run_cli("compute", "lstm", "--inputs", write_json({"x": [[1.0], [math.nan], [0.0]]}, "x.json"))
    _error(r, "x contains NaN")


def test_nan_in_weights(run_cli, write_json):
    doc = _lstm_doc()
    doc["weights"]["b_o"] = [math.nan, 0.0]
    _error(run_cli("compute", "lstm", "--weights", write_json(doc)), "b_o contains NaN")


def test_empty_x(run_cli, write_json):
    _error(run_cli("compute", "lstm", "--inputs", write_json({"x": []}, "x.json")), "x is empty")
    _error(run_cli("explain", "gru", "--inputs", write_json({"x": []}, "x.json")), "x is empty")


def test_x_of_wrong_width(run_cli, write_json):
    line = _error(run_cli("compute", "lstm", "--inputs", write_json({"x": [[1.0, 2.0], [3.0, 4.0]]}, "x.json")))
    assert "x has shape (2, 2), expected (T, 1) = (steps, input_size)" in line
    line = _error(run_cli("compute", "gru", "--inputs", write_json({"x": [[1.0, 2.0]]}, "x.json")))
    assert "x has shape (1, 2)" in line


def test_unknown_variant_and_convention(run_cli, write_json):
    _error(run_cli("compute", "lstm", "--variant", "fancy"), "fancy")
    doc = _lstm_doc()
    doc["options"] = {"variant": "fancy"}
    _error(run_cli("compute", "lstm", "--weights", write_json(doc)), "variant is 'fancy', expected one of: standard, peephole")
    gdoc = json.loads(presets.text("gru-3step"))
    gdoc["options"] = {"convention": "keras"}
    _error(run_cli("compute", "gru", "--weights", write_json(gdoc)), "convention is 'keras'")


def test_conflicting_options(run_cli, write_json):
    _error(run_cli("compute", "lstm", "--variant", "peephole"), "variant peephole needs P_f")
    _error(run_cli("compute", "lstm", "--layers", "2"), "missing W_f_l1")
    _error(run_cli("compute", "lstm", "--preset", "lstm-peephole", "--variant", "standard"), "P_f given but variant is standard")
    _error(run_cli("compute", "gru", "--clip", "1.0"), "--clip does not apply to model 'gru'")
    _error(run_cli("compute", "lstm", "--preset", "gru-3step"), "is for model 'gru', not 'lstm'")


def test_wrong_torch_shapes(run_cli, write_json):
    sd = {k: v.tolist() for k, v in lstm.to_torch(_preset_trace("lstm", "lstm-3step").params).items()}
    sd["weight_hh_l0"] = [[0.0] * 3] * 8
    _error(run_cli("compute", "lstm", "--weights", write_json(sd), "--inputs", write_json({"x": [[1.0]]}, "x.json")),
           "weight_hh_l0 has shape (8, 3)")
    gsd = {"weight_ih_l0": [[0.0]] * 6, "weight_hh_l0": [[0.0, 0.0]] * 6, "bias_ih_l0": [0.0] * 5}
    _error(run_cli("compute", "gru", "--weights", write_json(gsd), "--inputs", write_json({"x": [[1.0]]}, "x.json")),
           "bias_ih_l0 has shape (5,), expected (6,) = (3*hidden,)")


def test_wrong_target_and_h0(run_cli, write_json):
    _error(run_cli("compute", "lstm", "--inputs", write_json({"x": [[1.0]], "target": [1.0, 2.0, 3.0]}, "x.json")),
           "target has shape (3,), expected (1,)")
    _error(run_cli("compute", "gru", "--inputs", write_json({"x": [[1.0]], "h0": [0.0]}, "x.json")),
           "h0 has shape (1,), expected (2,)")
