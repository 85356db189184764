"""CLI end to end for the rnn and model-summary engines: compute, explain, --json, sources, errors."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gatelab.engines import presets
from tests.cli_helpers import one_line_error as _one_line_error


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- rnn

def test_compute_rnn_default_is_the_exam_table(run_cli):
    r = run_cli("compute", "rnn")
    assert r.exit_code == 0
    for v in ("0.96403", "0.19738", "1.45878", "0.98978", "0.82368", "2.73715"):
        assert v in r.stdout


def test_compute_rnn_json_keys_and_values(run_cli):
    d = _json(run_cli("compute", "rnn", "--json"))
    assert d["kind"] == "rnn" and d["schema_version"] == 1
    assert d["h0"] == [0.0, 0.0]
    s1, s2 = d["steps"]
    assert {"t", "x", "a", "h", "y", "hx", "dh", "dh_norm", "ratio"} <= set(s1)
    assert s1["t"] == 1 and s2["t"] == 2
    a1 = [0.5 * 2 + 1.0, 0.6 * 2 - 1.0]
    assert s1["h"] == pytest.approx([math.tanh(a1[0]), math.tanh(a1[1])], abs=1e-15)
    assert round(s2["y"][0], 5) == 2.73715
    assert d["WU"] == [[0.1, 0.2, 0.5], [0.3, 0.4, 0.6]]


def test_explain_rnn_md_and_tex(run_cli):
    md = run_cli("explain", "rnn")
    assert md.exit_code == 0
    for needle in ("[h_0, x_1] = [0, 0 | 2] = [0, 0, 2]", "[W U] = [[0.1, 0.2, 0.5], [0.3, 0.4, 0.6]]",
                   "0.1·0 + 0.2·0 + 0.5·2 = 1", "a_1 = [1, 1.2] + [1, -1] = [2, 0.2]",
                   "h_1 = tanh(a_1) = tanh([2, 0.2]) = [0.96403, 0.19738]", "y_2 = o_2 = [2.73715]",
                   "shape (2, 1)", "(1, 2)", "0.99^100 = 0.366", "1.01^100 = 2.7048"):
        assert needle in md.stdout, needle
    tex = run_cli("explain", "rnn", "--format", "tex")
    assert tex.exit_code == 0
    assert r"\begin{align*}" in tex.stdout and r"\tanh" in tex.stdout and "0.96403" in tex.stdout


@pytest.mark.parametrize("preset", [p.name for p in presets.catalogue() if p.model == "rnn"])
def test_every_rnn_preset_computes_and_explains(run_cli, preset):
    assert run_cli("compute", "rnn", "-p", preset).exit_code == 0
    assert run_cli("explain", "rnn", "-p", preset).exit_code == 0
    assert run_cli("explain", "rnn", "-p", preset, "--format", "tex").exit_code == 0


def test_exploding_preset_reports_clipping_and_ratio(run_cli):
    d = _json(run_cli("compute", "rnn", "-p", "exploding-rnn", "--json"))
    assert d["clip"]["clipped"] is True and d["clip"]["norm_after"] == pytest.approx(5.0, abs=1e-12)
    assert all(s["ratio"] == pytest.approx(1.25, abs=1e-12) for s in d["steps"][1:])
    r = run_cli("explain", "rnn", "-p", "exploding-rnn")
    assert "exploding" in r.stdout and "g <- β g / ||g||" in r.stdout
    # overriding the preset's clip from the command line
    d2 = _json(run_cli("compute", "rnn", "-p", "exploding-rnn", "--json", "--clip", "100"))
    assert d2["clip"]["clipped"] is False


def test_seeded_random_weights(run_cli):
    args = ("compute", "rnn", "--seed", "7", "--hidden", "4", "--input-size", "3", "--steps", "5", "--json")
    a, b = run_cli(*args), run_cli(*args)
    assert a.stdout == b.stdout
    d = _json(a)
    assert (d["hidden"], d["input_size"], len(d["steps"])) == (4, 3, 5)
    assert run_cli("compute", "rnn", "--seed", "8", "--json").stdout != run_cli("compute", "rnn", "--seed", "7", "--json").stdout


def test_options_activation_output_clip(run_cli):
    d = _json(run_cli("compute", "rnn", "--activation", "relu", "--output-layer", "sigmoid", "--clip", "0.01", "--json"))
    assert d["activation"] == "relu" and d["output"] == "sigmoid"
    assert d["steps"][0]["h"] == pytest.approx([2.0, 0.2])  # relu(a_1) = a_1 here
    assert 0 < d["steps"][0]["y"][0] < 1 and d["clip"]["clipped"] is True
    assert _json(run_cli("compute", "rnn", "--activation", "identity", "--json"))["steps"][0]["h"] == pytest.approx([2.0, 0.2])


def test_torch_and_keras_weight_files(run_cli, write_json, tmp_path):
    torch_w = {"weight_ih_l0": [[0.5], [0.6]], "weight_hh_l0": [[0.1, 0.2], [0.3, 0.4]],
               "bias_ih_l0": [0.75, -0.5], "bias_hh_l0": [0.25, -0.5], "V": [[1.0, 2.0]], "b_y": [0.1]}
    inputs = write_json({"x": [[2.0], [3.0]]}, "x.json")
    d = _json(run_cli("compute", "rnn", "--weights", write_json(torch_w, "t.json"), "--inputs", inputs, "--json"))
    assert d["layout"] == "PyTorch" and d["b_ih"] == [0.75, -0.5] and d["b_h"] == [1.0, -1.0]
    assert round(d["steps"][1]["y"][0], 5) == 2.73715
    ex = run_cli("explain", "rnn", "--weights", write_json(torch_w, "t.json"), "--inputs", inputs)
    assert "bias_ih_l0 + bias_hh_l0 = [0.75, -0.5] + [0.25, -0.5] = [1, -1]" in ex.stdout
    npz = tmp_path / "k.npz"
    np.savez(npz, kernel=np.array([[0.5, 0.6]]), recurrent_kernel=np.array([[0.1, 0.3], [0.2, 0.4]]),
             bias=np.array([1.0, -1.0]), V=np.array([[1.0, 2.0]]), b_y=np.array([0.1]))
    k = _json(run_cli("compute", "rnn", "--weights", npz, "--inputs", inputs, "--json"))
    assert k["layout"] == "Keras"
    assert [s["h"] for s in k["steps"]] == [s["h"] for s in d["steps"]]


def test_other_reading_from_the_cli(run_cli, write_json):
    w = write_json({"U": [[0.5, 0.6], [0.6, 0.5]], "W": [[0.1, 0.2], [0.3, 0.4]], "b_h": [1.0, -1.0],
                    "V": [[1.0, 2.0]], "b_y": [0.1]}, "w.json")
    d = _json(run_cli("compute", "rnn", "--weights", w, "--inputs", write_json({"x": [[2, 3]]}, "x.json"), "--json"))
    assert len(d["steps"]) == 1
    assert d["steps"][0]["h"] == pytest.approx([math.tanh(0.5 * 2 + 0.6 * 3 + 1), math.tanh(0.6 * 2 + 0.5 * 3 - 1)], abs=1e-15)


# --------------------------------------------------------------------------- rnn errors

_EXAM = {"U": [[0.5], [0.6]], "W": [[0.1, 0.2], [0.3, 0.4]], "b_h": [1.0, -1.0], "V": [[1.0, 2.0]], "b_y": [0.1]}


@pytest.mark.parametrize("weights,inputs,needles", [
    ({**_EXAM, "W": [[0.1, 0.2, 0.0], [0.3, 0.4, 0.0]]}, {"x": [2, 3]}, ("W has shape (2, 3)", "expected (2, 2)")),
    ({**_EXAM, "b_h": [1.0]}, {"x": [2, 3]}, ("b_h has shape (1,)", "expected (2,)")),
    ({**_EXAM, "b_y": [0.1, 0.2]}, {"x": [2, 3]}, ("b_y has shape (2,)", "expected (1,)")),
    (_EXAM, {"x": [[2, 3]]}, ("x has shape (1, 2)", "U of shape (2, 2)")),
    (_EXAM, {"x": []}, ("x is empty",)),
    (_EXAM, {"x": [2, float("inf")]}, ("x contains inf",)),
    ({**_EXAM, "U": [[float("nan")], [0.6]]}, {"x": [2, 3]}, ("U contains NaN",)),
    ({k: v for k, v in _EXAM.items() if k != "W"}, {"x": [2, 3]}, ("missing W",)),
    ({"weight_ih_l0": [[0.5], [0.6]]}, {"x": [2, 3]}, ("PyTorch", "missing weight_hh_l0")),
    ({"kernel": [[0.5, 0.6]], "recurrent_kernel": [[0.1]]}, {"x": [2, 3]}, ("recurrent_kernel has shape (1, 1)", "expected (2, 2)")),
    (_EXAM, {"x": [2, 3], "h0": [0, 0, 0]}, ("h0 has shape (3,)",)),
    (_EXAM, {"x": [2, 3], "target": [[1, 2, 3]]}, ("target has shape (1, 3)",)),
    (_EXAM, {"x": "abc"}, ("x must be a numeric array",)),
])
def test_bad_rnn_inputs_are_one_line_exit_2(run_cli, write_json, weights, inputs, needles):
    w = write_json(weights, "w.json")
    x = write_json(inputs, "x.json")
    _one_line_error(run_cli("compute", "rnn", "--weights", w, "--inputs", x), *needles)


def test_rnn_cli_errors(run_cli, tmp_path, write_json):
    _one_line_error(run_cli("compute", "rnn", "-p", "no-such-preset"), "unknown preset 'no-such-preset'", "exam-rnn")
    bad = tmp_path / "bad.json"
    bad.write_text('{"U": [[0.5]')
    _one_line_error(run_cli("compute", "rnn", "--weights", bad), "not valid JSON")
    _one_line_error(run_cli("compute", "rnn", "-p", "exam-rnn", "--seed", "1"), "conflict")
    _one_line_error(run_cli("explain", "rnn", "--framework", "torch"), "--framework", "rnn")
    _one_line_error(run_cli("compute", "rnn", "--clip", "-1"), "--clip must be a positive number")
    _one_line_error(run_cli("compute", "rnn", "-p", "vanishing-rnn", "--output-layer", "softmax"), "needs an output layer", "V")
    _one_line_error(run_cli("compute", "rnn", "--hidden", "3"), "--seed")
    _one_line_error(run_cli("compute", "rnn", "--seed", "1", "--hidden", "0"), "--hidden must be a positive integer")
    _one_line_error(run_cli("compute", "rnn", "-p", "keras-lstm-summary"), "is for model 'model-summary'")
    r = run_cli("compute", "rnn", "--activation", "softsign")
    assert r.exit_code == 2 and "Traceback" not in r.output


# --------------------------------------------------------------------------- model-summary

def test_model_summary_cli(run_cli):
    r = run_cli("compute", "model-summary")
    assert r.exit_code == 0 and "11,191" in r.stdout and "4*30*(30+1+1) = 3840" in r.stdout
    d = _json(run_cli("compute", "model-summary", "--json"))
    assert d["total"] == 11191 and [layer["params"] for layer in d["layers"]] == [3840, 7320, 31]
    t = _json(run_cli("compute", "model-summary", "--framework", "torch", "--json"))
    assert t["total"] == 4 * 30 * (30 + 1 + 2) + 4 * 30 * (30 + 30 + 2) + 31 and t["framework"] == "torch"
    md = run_cli("explain", "model-summary")
    assert md.exit_code == 0 and "**Total: 3840 + 7320 + 31 = 11191**" in md.stdout
    tex = run_cli("explain", "model-summary", "--format", "tex", "--framework", "torch")
    assert tex.exit_code == 0 and "11431" in tex.stdout
    assert run_cli("compute", "model-summary", "--seed", "2", "--hidden", "6").exit_code == 0


def test_model_summary_user_architecture_and_errors(run_cli, write_json):
    arch = {"input_shape": [None, 8], "layers": [{"type": "GRU", "units": 16, "return_sequences": True},
                                                 {"type": "SimpleRNN", "units": 4}, {"type": "Dense", "units": 2}]}
    d = _json(run_cli("compute", "model-summary", "--inputs", write_json(arch, "a.json"), "--json"))
    assert [layer["params"] for layer in d["layers"]] == [3 * 16 * (16 + 8 + 2), 4 * (4 + 16 + 1), 2 * (4 + 1)]
    bad = {"input_shape": [None, 8], "layers": [{"type": "LSTM", "units": 4}, {"type": "LSTM", "units": 4}]}
    _one_line_error(run_cli("compute", "model-summary", "--inputs", write_json(bad, "b.json")),
                    "layers[1] (LSTM) needs a sequence input", "return_sequences")
    _one_line_error(run_cli("compute", "model-summary", "--inputs", write_json({"layers": []}, "c.json")), "input_shape")
    _one_line_error(run_cli("compute", "model-summary", "--activation", "relu"), "--activation", "model-summary")


def test_target_loss_through_the_cli(run_cli, write_json):
    """Exam weights with per-step targets: L and dL/db_y derived by hand with plain floats."""
    h = [0.0, 0.0]
    ys = []
    for x in (2.0, 3.0):
        h = [math.tanh(0.1 * h[0] + 0.2 * h[1] + 0.5 * x + 1.0), math.tanh(0.3 * h[0] + 0.4 * h[1] + 0.6 * x - 1.0)]
        ys.append(h[0] + 2 * h[1] + 0.1)
    w = write_json({"weights": _EXAM, "options": {"activation": "tanh"}}, "w.json")
    every = _json(run_cli("compute", "rnn", "--weights", w, "--inputs",
                          write_json({"x": [2, 3], "target": [[1.0], [2.0]]}, "x.json"), "--json"))
    assert every["loss"] == pytest.approx(0.5 * ((ys[0] - 1) ** 2 + (ys[1] - 2) ** 2), abs=1e-14)
    assert every["grads"]["b_y"] == pytest.approx([(ys[0] - 1) + (ys[1] - 2)], abs=1e-14)
    last = _json(run_cli("compute", "rnn", "--weights", w, "--inputs",
                         write_json({"x": [2, 3], "target": [2.0]}, "x2.json"), "--json"))
    assert last["loss"] == pytest.approx(0.5 * (ys[1] - 2) ** 2, abs=1e-14)
    assert last["steps"][0]["target"] is None and last["steps"][0]["loss"] == 0.0
    assert (every["loss_kind"], last["loss_kind"]) == ("mse_all", "mse_last")
    assert last["grads"]["V"][0] == pytest.approx([(ys[1] - 2) * h[0], (ys[1] - 2) * h[1]], abs=1e-14)
