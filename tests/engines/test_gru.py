"""GRU engine: hand-derived cases in both conventions, a literal Keras-formula reference,
PyTorch references, finite differences for every gradient, dL/dh_t and dh_t/dh_{t-1},
layouts, JSON round trip, determinism, immutability and bad input."""
from __future__ import annotations

import json
import math
from dataclasses import FrozenInstanceError
from pathlib import Path

import numpy as np
import pytest

from gatelab.engines import cells, gru, presets
from gatelab.engines.errors import InputError
import _recurrent_checks as R
from _recurrent_checks import EPS

REFS = json.loads((Path(__file__).parent / "refs" / "torch_lstm_gru.json").read_text())
GRU_CASES = [c for c in REFS["cases"] if c["kind"] == "gru"]


def test_hidden_one_by_hand_both_conventions():
    """H = D = 1, h0 = 1, x1 = 0.
    z = σ(ln 3) = 3/4, r = σ(0) = 1/2.
    textbook: n = tanh(W_n^h (r h0) + W_n^x x1 + b_n) = tanh(2 ln2 * 1/2) = tanh(ln 2) = 3/5,
              h1 = (1 - 3/4) * 1 + 3/4 * 3/5 = 1/4 + 9/20 = 0.7
    torch:    n = tanh(W_in x1 + b_in + r (W_hn h0 + b_hn)) = tanh(1/2 * 2 ln 2) = 3/5 (scalar: same n),
              h1 = (1 - 3/4) * 3/5 + 3/4 * 1 = 0.15 + 0.75 = 0.9"""
    ln2, ln3 = math.log(2), math.log(3)
    w = {"W_z": [[0.0, 0.0]], "b_z": [ln3], "W_r": [[0.0, 0.0]], "b_r": [0.0],
         "W_n": [[2 * ln2, 0.0]], "b_n": [0.0]}
    inputs = {"x": [[0.0]], "h0": [1.0]}
    tb = gru.build(w, inputs, convention="textbook").steps[0]
    th = gru.build(w, inputs, convention="torch").steps[0]
    for s in (tb, th):
        assert s.z[0] == pytest.approx(0.75, abs=1e-15) and s.r[0] == pytest.approx(0.5, abs=1e-15)
        assert s.n[0] == pytest.approx(0.6, abs=1e-15)
    assert tb.h[0] == pytest.approx(0.7, abs=1e-15)
    assert th.h[0] == pytest.approx(0.9, abs=1e-15)
    assert tb.rh[0] == pytest.approx(0.5, abs=1e-15)
    # loss sum(h_1): dL/dh_0 textbook = (1 - z) + (n - h0) σ'(a_z) W_z^h + z (1 - n^2) W_n^h r  (W_z^h = W_r^h = 0)
    g0 = gru.build(w, inputs, convention="textbook").bptt.runs[0].dh0[0]
    assert g0 == pytest.approx(0.25 + 0.75 * (1 - 0.36) * 2 * ln2 * 0.5, abs=1e-15)


def test_two_steps_textbook_by_hand():
    """The reset gate changes the candidate: H = D = 1, W_r^x = 1 so r_t = σ(x_t)."""
    w = {"W_z": [[0.0, 0.0]], "b_z": [0.0], "W_r": [[0.0, 1.0]], "b_r": [0.0],
         "W_n": [[1.0, 1.0]], "b_n": [0.0], "V": [[3.0]], "b_y": [0.5]}
    x1, x2 = 0.3, -0.7
    tr = gru.build(w, {"x": [[x1], [x2]]})
    sig = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
    h1 = 0.5 * 0 + 0.5 * math.tanh(sig(x1) * 0 + x1)
    h2 = 0.5 * h1 + 0.5 * math.tanh(sig(x2) * h1 + x2)
    assert tr.steps[0].h[0] == pytest.approx(h1, abs=1e-15)
    assert tr.steps[1].h[0] == pytest.approx(h2, abs=1e-15)
    assert tr.y[0] == pytest.approx(3 * h2 + 0.5, abs=1e-15)


def test_preset_gru_3step():
    doc = presets.load("gru-3step")
    tr = gru.build(doc.weights, doc.inputs, **doc.options)
    assert tr.convention == "textbook" and len(tr.steps) == 3 and tr.y is not None
    z = np.array([s.z for s in tr.steps])
    assert z[:, 0].max() < 0.25 and z[:, 1].min() > 0.4  # unit 1 keeps its state, unit 2 updates
    d = json.loads(tr.to_json())
    assert d["convention"] == "textbook" and set(d["steps"][0]) >= {"t", "x", "r", "z", "n", "h"}


@pytest.mark.parametrize("convention", ["textbook", "torch"])
def test_invariants(convention):
    w, x = gru.random(np.random.default_rng(0), hidden=3, input_size=2, steps=5, convention=convention)
    tr = gru.build(w, x)
    assert tr.convention == convention
    for s in tr.steps:
        assert np.all((s.r > 0) & (s.r < 1)) and np.all((s.z > 0) & (s.z < 1)) and np.all(np.abs(s.n) < 1)
        assert np.all(np.abs(s.h) < 1)
        if convention == "textbook":
            np.testing.assert_allclose(s.h, (1 - s.z) * s.h_prev + s.z * s.n, atol=1e-15)
        else:
            np.testing.assert_allclose(s.h, (1 - s.z) * s.n + s.z * s.h_prev, atol=1e-15)
    for g, s in zip(tr.bptt.steps, tr.steps):
        np.testing.assert_array_equal(g.J_direct, np.diag(1 - s.z if convention == "textbook" else s.z))
        np.testing.assert_allclose(g.J, g.J_direct + g.J_rest, atol=1e-15)


# --------------------------------------------------------------------------- Keras formula, literally

def _keras_gru(kernel, rec, bias, xs, h0, reset_after):
    """Keras GRUCell.call, transcribed (implementation 2): columns z, r, h; h = z*h_tm1 + (1-z)*hh."""
    U = kernel.shape[1] // 3
    h = h0
    hs = []
    for x in xs:
        if reset_after:
            input_bias, recurrent_bias = bias[0], bias[1]
        else:
            input_bias, recurrent_bias = bias, None
        matrix_x = x @ kernel + input_bias
        x_z, x_r, x_h = matrix_x[:U], matrix_x[U:2 * U], matrix_x[2 * U:]
        if reset_after:
            matrix_inner = h @ rec + recurrent_bias
        else:
            matrix_inner = h @ rec[:, :2 * U]
        z = 1 / (1 + np.exp(-(x_z + matrix_inner[:U])))
        r = 1 / (1 + np.exp(-(x_r + matrix_inner[U:2 * U])))
        if reset_after:
            recurrent_h = r * matrix_inner[2 * U:]
        else:
            recurrent_h = (r * h) @ rec[:, 2 * U:]
        hh = np.tanh(x_h + recurrent_h)
        h = z * h + (1 - z) * hh
        hs.append(h)
    return np.array(hs)


@pytest.mark.parametrize("reset_after", [True, False])
def test_keras_weights_match_the_keras_formula(reset_after):
    rng = np.random.default_rng(21)
    H, D, T = 3, 2, 4
    kernel = rng.uniform(-1, 1, (D, 3 * H))
    rec = rng.uniform(-1, 1, (H, 3 * H))
    bias = rng.uniform(-1, 1, (2, 3 * H)) if reset_after else rng.uniform(-1, 1, 3 * H)
    xs = rng.standard_normal((T, D))
    h0 = rng.uniform(-0.5, 0.5, H)
    ref = _keras_gru(kernel, rec, bias, xs, h0, reset_after)
    tr = gru.build({"gru/gru_cell/kernel:0": kernel.tolist(), "gru/gru_cell/recurrent_kernel:0": rec.tolist(),
                    "gru/gru_cell/bias:0": bias.tolist()}, {"x": xs.tolist(), "h0": h0.tolist()})
    assert tr.params.layout == "keras"
    assert tr.convention == ("torch" if reset_after else "textbook")
    np.testing.assert_allclose(tr.outputs, ref, rtol=0, atol=1e-14)
    if not reset_after:  # textbook z is 1 - Keras's z
        z_keras = 1 / (1 + np.exp(-(xs[0] @ kernel[:, :H] + bias[:H] + h0 @ rec[:, :H])))
        np.testing.assert_allclose(tr.steps[0].z, 1 - z_keras, atol=1e-15)


# --------------------------------------------------------------------------- PyTorch references

def _torch_grads(tr) -> dict[str, np.ndarray]:
    out = {}
    H = tr.hidden
    for idx, rg in enumerate(tr.bptt.runs):
        k, rev = divmod(idx, 2 if tr.bidirectional else 1)
        sfx = f"_l{k}" + ("_reverse" if rev else "")
        dW = [rg.dW_r, rg.dW_z, rg.dW_n]
        out["weight_ih" + sfx] = np.vstack([d[:, H:] for d in dW])
        out["weight_hh" + sfx] = np.vstack([d[:, :H] for d in dW])
        out["bias_ih" + sfx] = np.concatenate([rg.db_r, rg.db_z, rg.db_n])
        out["bias_hh" + sfx] = np.concatenate([rg.db_r, rg.db_z, rg.db_hn])
    if tr.bptt.dV is not None:
        out["V"], out["b_y"] = tr.bptt.dV, tr.bptt.db_y
    return out


@pytest.mark.parametrize("case", GRU_CASES, ids=lambda c: c["name"])
def test_matches_pytorch(case):
    inputs = {"x": case["x"], "h0": case["h0"]}
    if "target" in case:
        inputs["target"] = case["target"]
    tr = gru.build(case["weights"], inputs)
    assert tr.convention == "torch" and tr.params.layout == "torch"
    np.testing.assert_allclose(tr.outputs, case["output"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(tr.h_n, case["h_n"], rtol=0, atol=1e-12)
    assert tr.bptt.loss == pytest.approx(case["loss"], abs=1e-12)
    ours = _torch_grads(tr)
    assert set(ours) == set(case["grads"])
    for name, g in case["grads"].items():
        np.testing.assert_allclose(ours[name], g, rtol=0, atol=1e-12, err_msg=name)
    if "dh" in case:
        np.testing.assert_allclose([g.dh for g in tr.bptt.steps], case["dh"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(tr.bptt.runs[0].dh0, case["dh0"], rtol=0, atol=1e-12)


def test_torch_weights_refuse_the_textbook_convention():
    case = GRU_CASES[0]
    with pytest.raises(InputError, match="--convention textbook conflicts with the PyTorch GRU weights"):
        gru.build(case["weights"], {"x": case["x"]}, convention="textbook")


# --------------------------------------------------------------------------- finite differences

def _setup(convention, layers, bidir, target, seed=5):
    return R.random_case(gru, layers=layers, bidir=bidir, target=target, seed=seed, cell_state=False,
                         convention=convention)


SETUPS = [("textbook", 1, False, None), ("textbook", 1, False, "all"), ("textbook", 1, False, "nov"),
          ("torch", 1, False, None), ("torch", 1, False, "last"), ("textbook", 2, True, "all"), ("torch", 2, True, None)]


@pytest.mark.parametrize("setup", SETUPS, ids=lambda s: "-".join(map(str, s)))
def test_every_weight_gradient_matches_finite_differences(setup):
    w, inputs, options = _setup(*setup)
    tr = gru.build(w, inputs, **options)
    for name, fd in R.fd_weights(gru, w, inputs, options).items():
        np.testing.assert_allclose(R.analytic(tr, name), fd, rtol=1e-6, atol=1e-8, err_msg=name)
    for key, analytic in (("x", tr.bptt.dx), ("h0", np.array([r.dh0 for r in tr.bptt.runs]).reshape(np.shape(inputs["h0"])))):
        fd = R.fd_input(gru, w, inputs, options, key)
        np.testing.assert_allclose(analytic, fd, rtol=1e-6, atol=1e-8, err_msg=key)
    # ||dL/dh_0|| per run: the norm of that run's rows of the independent finite-difference gradient
    fd_rows = fd.reshape(len(tr.bptt.runs), -1)
    for r, row in zip(tr.bptt.runs, fd_rows):
        np.testing.assert_allclose(r.dh0_norm, np.linalg.norm(row), rtol=1e-6, atol=1e-8)
        assert r.dh0_norm == np.linalg.norm(r.dh0)


def _loss_with_nudge(tr, t, delta):
    """Re-run the single-layer cell with h_t nudged; apply the loss convention independently."""
    p = tr.params
    h = tr.h0
    hs = []
    for s in tr.steps:
        h = cells.gru_step(p.cells[0], s.x, h, p.convention)["h"]
        if s.t == t:
            h = h + delta
        hs.append(h)
    return R.convention_loss(np.array(hs), p, tr.target)


@pytest.mark.parametrize("setup", SETUPS[:5], ids=lambda s: "-".join(map(str, s)))
def test_per_step_dh_and_jacobian_match_finite_differences(setup):
    w, inputs, options = _setup(*setup)
    tr = gru.build(w, inputs, **options)
    cell = tr.params.cells[0]
    for g, s in zip(tr.bptt.steps, tr.steps):
        fd = np.zeros(2)
        J = np.zeros((2, 2))
        for j in range(2):
            e = np.zeros(2)
            e[j] = EPS
            fd[j] = (_loss_with_nudge(tr, g.t, e) - _loss_with_nudge(tr, g.t, -e)) / (2 * EPS)
            J[:, j] = (cells.gru_step(cell, s.x, s.h_prev + e, tr.convention)["h"]
                       - cells.gru_step(cell, s.x, s.h_prev - e, tr.convention)["h"]) / (2 * EPS)
        np.testing.assert_allclose(g.dh, fd, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(g.J, J, rtol=1e-7, atol=1e-9)


# --------------------------------------------------------------------------- layouts, JSON, purity

@pytest.mark.parametrize("layers,bidir", [(1, False), (2, True)])
def test_torch_convention_same_trace_in_ours_torch_keras(layers, bidir):
    w, inputs = gru.random(np.random.default_rng(8), hidden=3, input_size=2, steps=4, convention="torch",
                           layers=layers, bidirectional=bidir)
    ours = gru.build(w, inputs)
    extra = {"V": w["V"], "b_y": w["b_y"]}
    t = gru.build({**{k: v.tolist() for k, v in gru.to_torch(ours.params).items()}, **extra}, inputs)
    k = gru.build({**{k: v.tolist() for k, v in gru.to_keras(ours.params).items()}, **extra}, inputs)
    assert (t.params.layout, k.params.layout) == ("torch", "keras")
    assert R.comparable(ours) == R.comparable(t) == R.comparable(k)


@pytest.mark.parametrize("convention,layers,bidir", [("torch", 2, False), ("torch", 2, True), ("textbook", 1, True)])
def test_keras_saved_names_for_stacked_and_bidirectional_layers(convention, layers, bidir):
    """gru/gru_cell/kernel:0, gru_1/..., bidirectional/forward_gru/..., dense/kernel:0 as Keras saves them."""
    import re
    w, inputs = gru.random(np.random.default_rng(4), hidden=3, input_size=2, steps=4, convention=convention,
                           layers=layers, bidirectional=bidir)
    ours = gru.build(w, inputs)
    saved = {}
    for name, v in gru.to_keras(ours.params).items():
        m = re.fullmatch(r"(kernel|recurrent_kernel|bias)(?:_l(\d+))?(_reverse)?", name)
        base, layer, rev = m.group(1), int(m.group(2) or 0), bool(m.group(3))
        num = f"_{layer}" if layer else ""
        path = (f"bidirectional{num}/{'backward' if rev else 'forward'}_gru{num}/gru_cell_{2 * layer + rev}"
                if bidir else f"gru{num}/gru_cell{num}")
        saved[f"{path}/{base}:0"] = v.tolist()
    saved.update({"dense/kernel:0": np.array(w["V"]).T.tolist(), "dense/bias:0": w["b_y"]})
    k = gru.build(saved, inputs)
    assert k.params.layout == "keras" and (k.num_layers, k.bidirectional, k.convention) == (layers, bidir, convention)
    assert R.comparable(ours) == R.comparable(k)


def test_textbook_convention_same_trace_in_keras_reset_before():
    w, inputs = gru.random(np.random.default_rng(9), hidden=2, input_size=3, steps=3)
    ours = gru.build(w, inputs)
    k = gru.build({**{n: v.tolist() for n, v in gru.to_keras(ours.params).items()}, "V": w["V"], "b_y": w["b_y"]}, inputs)
    assert k.convention == "textbook" and np.shape(gru.to_keras(ours.params)["bias"]) == (6,)
    assert R.comparable(ours) == R.comparable(k)


def test_json_round_trip_determinism_immutability():
    w, inputs = gru.random(np.random.default_rng(2), hidden=2, input_size=1, steps=3, convention="torch",
                           bidirectional=True)
    tr = gru.build(w, inputs)
    back = gru.GRUTrace.from_dict(json.loads(tr.to_json()))
    assert back.digest() == tr.digest() and back.to_dict() == tr.to_dict()
    assert gru.build(*gru.random(np.random.default_rng(2), hidden=2, input_size=1, steps=3, convention="torch",
                                 bidirectional=True)).digest() == tr.digest()
    with pytest.raises(ValueError):
        tr.steps[0].z[0] = 0.5
    with pytest.raises(FrozenInstanceError):
        tr.convention = "textbook"  # type: ignore[misc]


def test_bad_inputs_engine_messages():
    doc = presets.load("gru-3step")
    w, inp = doc.weights, doc.inputs
    with pytest.raises(InputError, match=r"^W_z has shape \(2, 4\), expected \(2, 3\) = \(hidden, hidden \+ input\)$"):
        gru.build({**w, "W_z": [[0.1] * 4] * 2}, inp)
    with pytest.raises(InputError, match="convention is 'fancy'"):
        gru.build(w, inp, convention="fancy")
    with pytest.raises(InputError, match="b_hn is given but the textbook convention has no b_hn"):
        gru.build({**w, "b_hn": [1.0, 0.0]}, inp, convention="textbook")
    with pytest.raises(InputError, match="x is empty"):
        gru.build(w, {"x": []})
    with pytest.raises(InputError, match="x contains inf"):
        gru.build(w, {"x": [[1.0], [float("inf")], [0.0]]})


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(H=st.integers(1, 4), D=st.integers(1, 3), T=st.integers(1, 5), layers=st.integers(1, 2),
       bidir=st.booleans(), torch_conv=st.booleans(), seed=st.integers(0, 10_000), pick=st.integers(0, 10_000))
def test_shapes_and_one_random_gradient_entry(H, D, T, layers, bidir, torch_conv, seed, pick):
    conv = "torch" if torch_conv else "textbook"
    w, inputs = gru.random(np.random.default_rng(seed), hidden=H, input_size=D, steps=T, convention=conv,
                           layers=layers, bidirectional=bidir)
    tr = gru.build(w, inputs)
    dirs = 2 if bidir else 1
    assert tr.convention == conv and tr.outputs.shape == (T, H * dirs) and tr.h_n.shape == (layers * dirs, H)
    assert len(tr.runs) == layers * dirs and all(len(r.steps) == T for r in tr.runs)
    assert tr.bptt.dx.shape == (T, D)
    name = sorted(w)[pick % len(w)]
    idx, fd = R.fd_entry(gru, w, inputs, name, pick)
    assert R.analytic(tr, name)[idx] == pytest.approx(fd, rel=1e-6, abs=1e-8)


PRESET_REFS = [p for p in REFS["presets"] if p["model"] == "gru"]


def test_every_gru_preset_has_a_torch_reference_in_both_conventions():
    shipped = {p.name for p in presets.catalogue() if p.model == "gru"}
    assert {(r["preset"], r["convention"]) for r in PRESET_REFS} == {(n, c) for n in shipped for c in ("textbook", "torch")}, \
        "regenerate tests/engines/refs/torch_lstm_gru.json"


@pytest.mark.parametrize("ref", PRESET_REFS, ids=lambda p: f"{p['preset']}-{p['convention']}")
def test_presets_match_independent_torch_implementation(ref):
    """gru-3step in both conventions against the equations written in torch ops with autograd
    (the torch convention also checked against nn.GRU in the generator)."""
    doc = presets.load(ref["preset"])
    tr = gru.build(doc.weights, doc.inputs, **{**doc.options, "convention": ref["convention"]})
    for run, rrun in zip(tr.runs, ref["runs"]):
        for s, rs in zip(run.steps, rrun):
            assert s.t == rs["t"]
            for key in ("r", "z", "n", "h"):
                np.testing.assert_allclose(getattr(s, key), rs[key], rtol=0, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(tr.y, ref["y"], rtol=0, atol=1e-12)
    assert tr.bptt.loss == pytest.approx(ref["loss"], abs=1e-12)
    for name, g in ref["grads"].items():
        np.testing.assert_allclose(R.analytic(tr, name), g, rtol=0, atol=1e-12, err_msg=name)
    np.testing.assert_allclose([g.dh for g in tr.bptt.steps], ref["dh"], rtol=0, atol=1e-12)
