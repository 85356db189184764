"""LSTM engine: a hand-derived case, invariants, finite differences for every gradient and the
dc_t/dc_{t-1} Jacobian, PyTorch references (tests/engines/refs/torch_lstm_gru.json), layouts,
JSON round trip, determinism and immutability."""
from __future__ import annotations

import json
import math
from dataclasses import FrozenInstanceError
from pathlib import Path

import numpy as np
import pytest

from gatelab.engines import cells, lstm, presets
from gatelab.engines.errors import InputError
import _recurrent_checks as R
from _recurrent_checks import EPS

REFS = json.loads((Path(__file__).parent / "refs" / "torch_lstm_gru.json").read_text())
LSTM_CASES = [c for c in REFS["cases"] if c["kind"] == "lstm"]


def _sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# --------------------------------------------------------------------------- hand-checked

def test_hidden_one_by_hand():
    """H = D = 1, two steps, chosen so step 1 is exact fractions:
    step 1: h0 = c0 = 0, x1 = ln 2.
      z_f = b_f = 0            -> f1 = 1/2
      z_i = b_i = ln 3         -> i1 = 3/(3+1) = 3/4
      z_g = 1 * x1 = ln 2      -> g1 = tanh(ln 2) = (4-1)/(4+1) = 3/5
      c1 = f1*0 + i1*g1 = 3/4 * 3/5 = 9/20 = 0.45
      z_o = b_o = ln 4         -> o1 = 4/5
      h1 = 4/5 * tanh(0.45)
    step 2: x2 = 0, W_f = [1, 0] (sees h1 only):
      f2 = σ(h1), i2 = 3/4, g2 = tanh(0) = 0, c2 = f2 * 0.45, o2 = 4/5, h2 = 4/5 tanh(c2)
    y = V h2 + b_y with V = [[2]], b_y = [-1]."""
    ln2, ln3, ln4 = math.log(2), math.log(3), math.log(4)
    w = {"W_f": [[1.0, 0.0]], "b_f": [0.0], "W_i": [[0.0, 0.0]], "b_i": [ln3],
         "W_C": [[0.0, 1.0]], "b_C": [0.0], "W_o": [[0.0, 0.0]], "b_o": [ln4],
         "V": [[2.0]], "b_y": [-1.0]}
    tr = lstm.build(w, {"x": [[ln2], [0.0]]})
    s1, s2 = tr.steps
    assert s1.f[0] == pytest.approx(0.5, abs=1e-15)
    assert s1.i[0] == pytest.approx(0.75, abs=1e-15)
    assert s1.g[0] == pytest.approx(0.6, abs=1e-15)
    assert s1.c[0] == pytest.approx(0.45, abs=1e-15)
    assert s1.o[0] == pytest.approx(0.8, abs=1e-15)
    h1 = 0.8 * math.tanh(0.45)
    assert s1.h[0] == pytest.approx(h1, abs=1e-15)
    f2 = _sig(h1)
    c2 = f2 * 0.45
    assert s2.f[0] == pytest.approx(f2, abs=1e-15)
    assert s2.g[0] == pytest.approx(0.0, abs=1e-15)
    assert s2.c[0] == pytest.approx(c2, abs=1e-15)
    assert s2.h[0] == pytest.approx(0.8 * math.tanh(c2), abs=1e-15)
    assert tr.y[0] == pytest.approx(2 * 0.8 * math.tanh(c2) - 1, abs=1e-15)
    # the concatenation is h first
    assert s2.hx.tolist() == [pytest.approx(h1), 0.0]
    # loss sum(y) -> dL/dh_2 = V = 2; dL/dc_2 = 2 * o2 * (1 - tanh(c2)^2)
    g2 = tr.bptt.steps[1]
    assert g2.dh[0] == pytest.approx(2.0, abs=1e-15)
    assert g2.dc[0] == pytest.approx(2 * 0.8 * (1 - math.tanh(c2) ** 2), abs=1e-14)
    # forget-gate path of dc_2/dc_1 is f2; the rest is the path through h1 = o1 tanh(c1) into f2:
    # c_prev * σ'(z_f) * W_f^h * o1 (1 - tanh(c1)^2)
    assert g2.J_forget[0, 0] == pytest.approx(f2, abs=1e-15)
    assert g2.J_rest[0, 0] == pytest.approx(0.45 * f2 * (1 - f2) * 1.0 * 0.8 * (1 - math.tanh(0.45) ** 2), abs=1e-15)


def test_preset_lstm_3step_reads_well():
    doc = presets.load("lstm-3step")
    tr = lstm.build(doc.weights, doc.inputs, **doc.options)
    assert len(tr.steps) == 3 and tr.hidden == 2 and tr.y is not None and tr.y.shape == (1,)
    assert [s.t for s in tr.steps] == [1, 2, 3]
    f = np.array([s.f for s in tr.steps])
    o = np.array([s.o for s in tr.steps])
    assert f.max() > 0.9          # one gate clearly open
    assert o.min() < 0.1          # one nearly closed
    gates = np.concatenate([np.array([getattr(s, n) for s in tr.steps]).ravel() for n in "fio"])
    assert np.abs(gates - 0.5).max() > 0.4
    assert tr.bptt.loss_kind == "mse_last"
    assert tr.bptt.loss == pytest.approx(0.5 * (tr.y[0] - 0.5) ** 2, rel=1e-15)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("variant", ["standard", "peephole"])
def test_invariants(seed, variant):
    w, x = lstm.random(np.random.default_rng(seed), hidden=3, input_size=2, steps=5, variant=variant)
    tr = lstm.build(w, x)
    for s in tr.steps:
        for gate in (s.f, s.i, s.o):
            assert np.all((gate > 0) & (gate < 1))
        assert np.all(np.abs(s.g) < 1) and np.all(np.abs(s.h) < 1)
        np.testing.assert_allclose(s.c, s.f * s.c_prev + s.i * s.g, rtol=0, atol=1e-15)
        np.testing.assert_allclose(s.h, s.o * np.tanh(s.c), rtol=0, atol=1e-15)
        np.testing.assert_array_equal(s.hx, np.concatenate([s.h_prev, s.x]))
    for a, b in zip(tr.steps[:-1], tr.steps[1:]):
        np.testing.assert_array_equal(a.h, b.h_prev)
        np.testing.assert_array_equal(a.c, b.c_prev)
    for g, s in zip(tr.bptt.steps, tr.steps):
        np.testing.assert_array_equal(g.J_forget, np.diag(s.f))
        np.testing.assert_allclose(g.J, g.J_forget + g.J_rest, atol=1e-15)
        np.testing.assert_allclose(g.J_rest, g.J_A + g.J_C + g.J_D, atol=1e-15)
        assert g.dh_norm == pytest.approx(np.linalg.norm(g.dh)) and g.J_norm == pytest.approx(np.linalg.norm(g.J, 2))


# --------------------------------------------------------------------------- finite differences

FD_SETUPS = [
    # (variant, layers, bidirectional, target kind)
    ("standard", 1, False, None),
    ("standard", 1, False, "last"),
    ("standard", 1, False, "all"),
    ("standard", 1, False, "nov"),
    ("peephole", 1, False, "all"),
    ("peephole", 1, False, None),
    ("standard", 2, False, "last"),
    ("standard", 1, True, "all"),
    ("peephole", 2, True, None),
]


def _setup(variant, layers, bidir, target, seed=7):
    return R.random_case(lstm, layers=layers, bidir=bidir, target=target, seed=seed, cell_state=True, variant=variant)


@pytest.mark.parametrize("setup", FD_SETUPS, ids=lambda s: "-".join(map(str, s)))
def test_every_weight_gradient_matches_finite_differences(setup):
    w, inputs, options = _setup(*setup)
    tr = lstm.build(w, inputs, **options)
    fd = R.fd_weights(lstm, w, inputs, options)
    assert set(fd) >= {"W_f", "W_i", "W_C", "W_o", "b_f", "b_i", "b_C", "b_o"}
    for name, g in fd.items():
        np.testing.assert_allclose(R.analytic(tr, name), g, rtol=1e-6, atol=1e-8, err_msg=name)


@pytest.mark.parametrize("setup", FD_SETUPS[:6], ids=lambda s: "-".join(map(str, s)))
def test_input_and_initial_state_gradients_match_finite_differences(setup):
    w, inputs, options = _setup(*setup)
    tr = lstm.build(w, inputs, **options)
    for key, analytic in (("x", tr.bptt.dx), ("h0", tr.bptt.runs[0].dh0), ("c0", tr.bptt.runs[0].dc0)):
        fd = R.fd_input(lstm, w, inputs, options, key)
        np.testing.assert_allclose(analytic, fd, rtol=1e-6, atol=1e-8, err_msg=key)
        if key != "x":   # ||dL/dh_0||, ||dL/dc_0||: norms of the independent finite-difference gradients
            norm = getattr(tr.bptt.runs[0], f"d{key}_norm")
            np.testing.assert_allclose(norm, np.linalg.norm(fd), rtol=1e-6, atol=1e-8, err_msg=key)
            assert norm == np.linalg.norm(analytic)


def _loss_with_nudge(tr, which: str, t: int, delta: np.ndarray) -> float:
    """Re-run a single-layer trace's cell with h_t (a node) or c_t nudged by ``delta``, and apply
    the loss convention independently of the engine's BPTT code."""
    p = tr.params
    cell = p.cells[0]
    h, c = tr.h0, tr.c0
    hs = []
    for s in tr.steps:
        st = cells.lstm_step(cell, s.x, h, c)
        h, c = st["h"], st["c"]
        if which == "c" and s.t == t:
            c = c + delta
            z_o = st["z_o"] + (cell.P_o * (c - st["c"]) if cell.P_o is not None else 0.0)
            h = (1 / (1 + np.exp(-z_o))) * np.tanh(c)
        if which == "h" and s.t == t:
            h = h + delta
        hs.append(h)
    return R.convention_loss(np.array(hs), p, tr.target)


@pytest.mark.parametrize("setup", FD_SETUPS[:6], ids=lambda s: "-".join(map(str, s)))
def test_per_step_dh_dc_match_finite_differences(setup):
    w, inputs, options = _setup(*setup)
    tr = lstm.build(w, inputs, **options)
    assert _loss_with_nudge(tr, "h", 1, np.zeros(2)) == pytest.approx(tr.bptt.loss, abs=1e-14)
    for g in tr.bptt.steps:
        for which, analytic in (("h", g.dh), ("c", g.dc)):
            fd = np.zeros(2)
            for j in range(2):
                e = np.zeros(2)
                e[j] = EPS
                fd[j] = (_loss_with_nudge(tr, which, g.t, e) - _loss_with_nudge(tr, which, g.t, -e)) / (2 * EPS)
            np.testing.assert_allclose(analytic, fd, rtol=1e-6, atol=1e-9, err_msg=f"d{which}_{g.t}")


@pytest.mark.parametrize("variant", ["standard", "peephole"])
def test_cell_jacobian_matches_finite_differences(variant):
    """dc_t/dc_{t-1} with h_{t-1} = o_{t-1} tanh(c_{t-1}) (o_{t-1} itself a function of c_{t-1}
    through the peephole P_o); at t = 1 the given h0 is held fixed."""
    w, inputs, options = _setup(variant, 1, False, None, seed=11)
    tr = lstm.build(w, inputs, **options)
    cell = tr.params.cells[0]
    for k, (s, g) in enumerate(zip(tr.steps, tr.bptt.steps)):
        def c_next(c_prev):
            if k == 0:
                h_prev = tr.h0
            else:
                q = tr.steps[k - 1]
                z_o = q.z_o + (cell.P_o * (c_prev - q.c) if cell.P_o is not None else 0.0)
                h_prev = np.tanh(c_prev) / (1 + np.exp(-z_o))
            return cells.lstm_step(cell, s.x, h_prev, c_prev)["c"]
        J = np.zeros((2, 2))
        for j in range(2):
            e = np.zeros(2)
            e[j] = EPS
            J[:, j] = (c_next(s.c_prev + e) - c_next(s.c_prev - e)) / (2 * EPS)
        np.testing.assert_allclose(g.J, J, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(g.J_forget, np.diag(s.f), atol=0)


# --------------------------------------------------------------------------- PyTorch references

def _inputs(case):
    inp = {"x": case["x"], "h0": case["h0"], "c0": case["c0"]}
    if "target" in case:
        inp["target"] = case["target"]
    return inp


def _torch_grads(tr) -> dict[str, np.ndarray]:
    """Our BPTT gradients re-expressed in PyTorch names (bias_ih and bias_hh get the same grad)."""
    out = {}
    H = tr.hidden
    for idx, rg in enumerate(tr.bptt.runs):
        k, rev = divmod(idx, 2 if tr.bidirectional else 1)
        sfx = f"_l{k}" + ("_reverse" if rev else "")
        dW = [getattr(rg, f"dW_{g}") for g in "ifgo"]
        out["weight_ih" + sfx] = np.vstack([d[:, H:] for d in dW])
        out["weight_hh" + sfx] = np.vstack([d[:, :H] for d in dW])
        out["bias_ih" + sfx] = out["bias_hh" + sfx] = np.concatenate([getattr(rg, f"db_{g}") for g in "ifgo"])
    if tr.bptt.dV is not None:
        out["V"], out["b_y"] = tr.bptt.dV, tr.bptt.db_y
    return out


@pytest.mark.parametrize("case", LSTM_CASES, ids=lambda c: c["name"])
def test_matches_pytorch(case):
    tr = lstm.build(case["weights"], _inputs(case))
    assert tr.params.layout == "torch"
    assert tr.num_layers == case["layers"] and tr.bidirectional == case["bidirectional"]
    np.testing.assert_allclose(tr.outputs, case["output"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(tr.h_n, case["h_n"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(tr.c_n, case["c_n"], rtol=0, atol=1e-12)
    assert tr.bptt.loss == pytest.approx(case["loss"], abs=1e-12)
    if "y" in case:
        np.testing.assert_allclose(tr.y, case["y"], rtol=0, atol=1e-12)
    ours = _torch_grads(tr)
    assert set(ours) == set(case["grads"])
    for name, g in case["grads"].items():
        np.testing.assert_allclose(ours[name], g, rtol=0, atol=1e-12, err_msg=name)
    if "dh" in case:
        np.testing.assert_allclose([g.dh for g in tr.bptt.steps], case["dh"], rtol=0, atol=1e-12)
        np.testing.assert_allclose([g.dc for g in tr.bptt.steps], case["dc"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(tr.bptt.runs[0].dh0, case["dh0"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(tr.bptt.runs[0].dc0, case["dc0"], rtol=0, atol=1e-12)
        np.testing.assert_allclose([g.J for g in tr.bptt.steps[1:]], case["J"], rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- layouts

@pytest.mark.parametrize("layers,bidir", [(1, False), (2, False), (1, True), (2, True)])
def test_ours_torch_keras_layouts_give_identical_traces(layers, bidir):
    w, inputs = lstm.random(np.random.default_rng(3), hidden=3, input_size=2, steps=4, layers=layers,
                            bidirectional=bidir)
    ours = lstm.build(w, inputs)
    extra = {"V": w["V"], "b_y": w["b_y"]}
    torch_w = {k: v.tolist() for k, v in lstm.to_torch(ours.params).items()}
    keras_w = {k: v.tolist() for k, v in lstm.to_keras(ours.params).items()}
    t = lstm.build({**torch_w, **extra}, inputs)
    k = lstm.build({**keras_w, **extra}, inputs)
    assert (ours.params.layout, t.params.layout, k.params.layout) == ("ours", "torch", "keras")
    assert R.comparable(ours) == R.comparable(t) == R.comparable(k)


def test_keras_layout_by_hand_and_saved_names():
    """Keras columns are i, f, c, o: put a distinctive bias in each block and read it back."""
    H, D = 2, 1
    bias = np.array([1, 1, 2, 2, 3, 3, 4, 4], dtype=float)  # i, f, c, o
    kernel = np.arange(D * 4 * H, dtype=float).reshape(D, 4 * H) / 10
    rec = np.arange(H * 4 * H, dtype=float).reshape(H, 4 * H) / 100
    for names in (("kernel", "recurrent_kernel", "bias"),
                  ("lstm/lstm_cell/kernel:0", "lstm/lstm_cell/recurrent_kernel:0", "lstm/lstm_cell/bias:0")):
        p = lstm.LSTMParams.from_weights(dict(zip(names, (kernel.tolist(), rec.tolist(), bias.tolist()))))
        cell = p.cells[0]
        assert p.layout == "keras"
        assert cell.b_i.tolist() == [1, 1] and cell.b_f.tolist() == [2, 2]
        assert cell.b_g.tolist() == [3, 3] and cell.b_o.tolist() == [4, 4]
        # W_f = [recurrent_kernel[:, f-block].T | kernel[:, f-block].T]
        np.testing.assert_array_equal(cell.W_f, np.hstack([rec[:, 2:4].T, kernel[:, 2:4].T]))


def _keras_saved_names(ours: dict, cell: str = "lstm", bidir: bool = False, first: int = 0) -> dict:
    """Our Keras-layout names (kernel, kernel_l0_reverse, kernel_l1 ...) renamed as Keras saves them:
    lstm/lstm_cell/kernel:0, lstm_1/..., bidirectional/forward_lstm/..., bidirectional_1/backward_lstm_1/..."""
    import re
    out = {}
    for name, v in ours.items():
        m = re.fullmatch(r"(kernel|recurrent_kernel|bias)(?:_l(\d+))?(_reverse)?", name)
        base, layer, rev = m.group(1), int(m.group(2) or 0) + first, bool(m.group(3))
        num = f"_{layer}" if layer else ""
        if bidir:
            d = "backward" if rev else "forward"
            out[f"bidirectional{num}/{d}_{cell}{num}/{cell}_cell_{2 * layer + rev + 1}/{base}:0"] = v
        else:
            out[f"{cell}{num}/{cell}_cell{num}/{base}:0"] = v
    return out


@pytest.mark.parametrize("layers,bidir,first", [(2, False, 0), (3, False, 1), (1, True, 0), (2, True, 0)])
def test_keras_saved_names_for_stacked_and_bidirectional_layers(layers, bidir, first):
    """The names Keras itself saves (lstm_1/..., bidirectional/forward_lstm/...) load as our suffixes."""
    w, inputs = lstm.random(np.random.default_rng(5), hidden=3, input_size=2, steps=4, layers=layers,
                            bidirectional=bidir)
    ours = lstm.build(w, inputs)
    saved = _keras_saved_names({k: v.tolist() for k, v in lstm.to_keras(ours.params).items()}, bidir=bidir, first=first)
    saved.update({"dense/kernel:0": np.array(w["V"]).T.tolist(), "dense/bias:0": w["b_y"]})   # Keras Dense [H, O]
    k = lstm.build(dict(reversed(list(saved.items()))), inputs)        # order of the names does not matter
    assert k.params.layout == "keras" and (k.num_layers, k.bidirectional) == (layers, bidir)
    assert R.comparable(ours) == R.comparable(k)


def test_keras_saved_names_errors_are_one_line():
    w, inputs = lstm.random(np.random.default_rng(5), hidden=2, input_size=2, steps=3, layers=2)
    keras_w = {k: v.tolist() for k, v in lstm.to_keras(lstm.build(w, inputs).params).items()}
    saved = _keras_saved_names(keras_w)
    mixed = {**{k: v for k, v in saved.items() if k.startswith("lstm/")},
             **{k.replace("lstm_1/lstm_cell_1", "bidirectional/forward_lstm/lstm_cell_2"): v
                for k, v in saved.items() if k.startswith("lstm_1/")}}
    with pytest.raises(InputError, match=r"^Keras weights mix Bidirectional and one-directional") as e:
        lstm.build(mixed, inputs)
    assert "\n" not in str(e.value)
    with pytest.raises(InputError, match=r"hold 2 layers without recurrent_kernel \(dense, dense_1\)"):
        lstm.build({**saved, "dense/kernel:0": [[1.0]] * 2, "dense_1/kernel:0": [[1.0]]}, inputs)
    with pytest.raises(InputError, match=r"^weights name 'lstm/lstm_cell/kernel:0' clashes with 'kernel': both are read as 'kernel'$"):
        lstm.build({**saved, "kernel": keras_w["kernel"]}, inputs)


def test_torch_layout_adds_both_biases():
    sd = {"weight_ih_l0": [[0.0]] * 4, "weight_hh_l0": [[0.0]] * 4,
          "bias_ih_l0": [1.0, 2.0, 3.0, 4.0], "bias_hh_l0": [0.5, 0.5, 0.5, 0.5]}
    cell = lstm.LSTMParams.from_weights(sd).cells[0]
    assert (cell.b_i[0], cell.b_f[0], cell.b_g[0], cell.b_o[0]) == (1.5, 2.5, 3.5, 4.5)


def test_w_g_and_w_c_are_the_same_weight():
    w, inputs = lstm.random(np.random.default_rng(5), hidden=2, input_size=1, steps=3)
    w2 = {("W_g" if k == "W_C" else "b_g" if k == "b_C" else k): v for k, v in w.items()}
    assert lstm.build(w, inputs).digest() == lstm.build(w2, inputs).digest()


# --------------------------------------------------------------------------- structure, JSON, purity

def test_bidirectional_outputs_are_concatenated_and_backward_runs_reversed():
    w, inputs = lstm.random(np.random.default_rng(9), hidden=2, input_size=1, steps=4, bidirectional=True)
    tr = lstm.build(w, inputs)
    fwd, bwd = tr.runs
    assert [s.t for s in fwd.steps] == [1, 2, 3, 4] and [s.t for s in bwd.steps] == [4, 3, 2, 1]
    assert bwd.direction == "backward"
    np.testing.assert_array_equal(tr.outputs, np.hstack([fwd.outputs, bwd.outputs]))
    np.testing.assert_array_equal(tr.outputs[0, 2:], bwd.steps[-1].h)  # h_bwd at t=1 is the last processed
    # the backward run equals a forward run of the same cell on the reversed sequence
    rev_cell = lstm.LSTMCell(0, "forward", **{k: getattr(bwd_cell := tr.params.cells[1], k)
                                               for k in ("W_f", "W_i", "W_g", "W_o", "b_f", "b_i", "b_g", "b_o")})
    again = lstm.run_cell(rev_cell, tr.xs[::-1], bwd.h0, bwd.c0)
    np.testing.assert_array_equal(again.outputs[::-1], bwd.outputs)
    assert bwd_cell.direction == "backward"


def test_stacked_layer_reads_the_layer_below():
    w, inputs = lstm.random(np.random.default_rng(4), hidden=2, input_size=3, steps=3, layers=2)
    tr = lstm.build(w, inputs)
    assert tr.num_layers == 2 and len(tr.runs) == 2
    np.testing.assert_array_equal([s.x for s in tr.runs[1].steps], tr.runs[0].outputs)
    np.testing.assert_array_equal(tr.outputs, tr.runs[1].outputs)
    assert tr.steps == tr.runs[0].steps


def test_json_round_trip_and_digest():
    w, inputs = lstm.random(np.random.default_rng(1), hidden=2, input_size=2, steps=3, variant="peephole",
                            layers=2, bidirectional=True)
    tr = lstm.build(w, {**inputs, "target": [0.3]})
    d = json.loads(tr.to_json())
    assert d["kind"] == "lstm" and d["variant"] == "peephole"
    assert set(d["steps"][0]) >= {"t", "x", "f", "i", "g", "o", "c", "h", "h_prev", "c_prev", "tanh_c"}
    back = lstm.LSTMTrace.from_dict(d)
    assert back.digest() == tr.digest()
    assert back.to_dict() == tr.to_dict()
    assert isinstance(back.runs[1].steps[0], lstm.LSTMStep)


def test_determinism():
    a = lstm.build(*lstm.random(np.random.default_rng(42), hidden=3, input_size=2, steps=4))
    b = lstm.build(*lstm.random(np.random.default_rng(42), hidden=3, input_size=2, steps=4))
    c = lstm.build(*lstm.random(np.random.default_rng(43), hidden=3, input_size=2, steps=4))
    assert a.digest() == b.digest() != c.digest()


def test_immutability_and_inputs_not_mutated():
    doc = presets.load("lstm-3step")
    w = json.loads(json.dumps(doc.weights))
    x = np.array(doc.inputs["x"])
    tr = lstm.build(w, {"x": x})
    assert w == doc.weights and x.tolist() == doc.inputs["x"]
    with pytest.raises(ValueError):
        tr.steps[0].f[0] = 0.0
    with pytest.raises(ValueError):
        tr.bptt.steps[0].J[0, 0] = 0.0
    with pytest.raises(FrozenInstanceError):
        tr.steps[0].t = 5  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        tr.variant = "peephole"  # type: ignore[misc]


# --------------------------------------------------------------------------- bad input (engine level)

def test_bad_inputs_engine_messages():
    doc = presets.load("lstm-3step")
    w, inp = doc.weights, doc.inputs
    with pytest.raises(InputError, match=r"^W_f has shape \(2, 4\), expected \(2, 3\) = \(hidden, hidden \+ input\)$"):
        lstm.build({**w, "W_f": [[0.1] * 4] * 2}, inp)
    with pytest.raises(InputError, match=r"x has shape \(3, 2\), expected \(T, 1\)|x has shape \(3, 2\), expected \(3, 1\)"):
        lstm.build(w, {"x": [[1, 2], [3, 4], [5, 6]]})
    with pytest.raises(InputError, match="x contains NaN"):
        lstm.build(w, {"x": [[1.0], [float("nan")], [0.0]]})
    with pytest.raises(InputError, match="x is empty"):
        lstm.build(w, {"x": []})
    with pytest.raises(InputError, match="variant is 'fancy'"):
        lstm.build(w, inp, variant="fancy")
    with pytest.raises(InputError, match=r"variant peephole needs P_f"):
        lstm.build(w, inp, variant="peephole")
    with pytest.raises(InputError, match=r"b_o has shape \(3,\), expected \(2,\)"):
        lstm.build({**w, "b_o": [1.0, 2.0, 3.0]}, inp)
    with pytest.raises(InputError, match=r"h0 has shape \(3,\), expected \(2,\)"):
        lstm.build(w, {**inp, "h0": [0, 0, 0]})
    with pytest.raises(InputError, match=r"target has shape \(2,\), expected \(1,\)"):
        lstm.build(w, {**inp, "target": [1.0, 2.0]})
    with pytest.raises(InputError, match=r"missing W_f_l1"):
        lstm.build(w, inp, layers=2)
    with pytest.raises(InputError, match=r"weight_hh_l0 has shape \(8, 3\), expected \(8, 2\) = \(4\*hidden, hidden\)|weight_ih_l0"):
        lstm.build({"weight_ih_l0": [[0.0]] * 8, "weight_hh_l0": [[0.0] * 3] * 8}, inp)


def _keras_lstm(kernel, rec, bias, xs, h0, c0):
    """Keras LSTMCell.call, transcribed (implementation 2): z = x K + h R + b, split into
    columns i, f, c, o; c = f*c_tm1 + i*tanh(z_c); h = o*tanh(c)."""
    U = rec.shape[0]
    h, c = h0, c0
    hs, cs = [], []
    for x in xs:
        z = x @ kernel + h @ rec + bias
        z0, z1, z2, z3 = z[:U], z[U:2 * U], z[2 * U:3 * U], z[3 * U:]
        i = 1 / (1 + np.exp(-z0))
        f = 1 / (1 + np.exp(-z1))
        c = f * c + i * np.tanh(z2)
        o = 1 / (1 + np.exp(-z3))
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.array(hs), np.array(cs)


def test_keras_weights_match_the_keras_formula():
    rng = np.random.default_rng(31)
    H, D, T = 3, 2, 4
    kernel, rec, bias = rng.uniform(-1, 1, (D, 4 * H)), rng.uniform(-1, 1, (H, 4 * H)), rng.uniform(-1, 1, 4 * H)
    xs, h0, c0 = rng.standard_normal((T, D)), rng.uniform(-0.5, 0.5, H), rng.uniform(-0.5, 0.5, H)
    hs, cs = _keras_lstm(kernel, rec, bias, xs, h0, c0)
    tr = lstm.build({"kernel": kernel.tolist(), "recurrent_kernel": rec.tolist(), "bias": bias.tolist()},
                    {"x": xs.tolist(), "h0": h0.tolist(), "c0": c0.tolist()})
    assert tr.params.layout == "keras"
    np.testing.assert_allclose(tr.outputs, hs, rtol=0, atol=1e-14)
    np.testing.assert_allclose([s.c for s in tr.steps], cs, rtol=0, atol=1e-14)


# --------------------------------------------------------------------------- property test

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(H=st.integers(1, 4), D=st.integers(1, 3), T=st.integers(1, 5), layers=st.integers(1, 2),
       bidir=st.booleans(), peephole=st.booleans(), seed=st.integers(0, 10_000), pick=st.integers(0, 10_000))
def test_shapes_and_one_random_gradient_entry(H, D, T, layers, bidir, peephole, seed, pick):
    variant = "peephole" if peephole else "standard"
    w, inputs = lstm.random(np.random.default_rng(seed), hidden=H, input_size=D, steps=T, variant=variant,
                            layers=layers, bidirectional=bidir)
    tr = lstm.build(w, inputs)
    dirs = 2 if bidir else 1
    assert (tr.num_layers, tr.bidirectional, tr.variant) == (layers, bidir, variant)
    assert tr.outputs.shape == (T, H * dirs) and tr.h_n.shape == (layers * dirs, H) and tr.y.shape == (1,)
    assert len(tr.runs) == layers * dirs and all(len(r.steps) == T for r in tr.runs)
    assert tr.bptt.dx.shape == (T, D)
    for cell, rg in zip(tr.params.cells, tr.bptt.runs):
        for g in "figo":
            assert getattr(rg, "dW_" + g).shape == getattr(cell, "W_" + g).shape
    names = sorted(w)
    name = names[pick % len(names)]
    idx, fd = R.fd_entry(lstm, w, inputs, name, pick)
    assert R.analytic(tr, name)[idx] == pytest.approx(fd, rel=1e-6, abs=1e-8)


# --------------------------------------------------------------------------- presets vs an independent torch implementation

PRESET_REFS = [p for p in REFS["presets"] if p["model"] == "lstm"]


def test_every_lstm_preset_has_a_torch_reference():
    # full peephole matrices have no torch form: tests/test_independent_references.py and
    # tests/engines/test_lstm_peephole_full.py check them against the notes' equations
    shipped = {p.name for p in presets.catalogue()
               if p.model == "lstm" and presets.load(p.name).options.get("variant") != "peephole-full"}
    assert shipped == {r["preset"] for r in PRESET_REFS}, "regenerate tests/engines/refs/torch_lstm_gru.json"


@pytest.mark.parametrize("ref", PRESET_REFS, ids=lambda p: p["preset"])
def test_presets_match_independent_torch_implementation(ref):
    """The presets' every gate, state, y, loss, gradient (our names) and per-step dL/dh_t, dL/dc_t
    against the equations written in torch ops with autograd (checked against nn.LSTM where it applies)."""
    tr = lstm.build(*(lambda d: (d.weights, d.inputs))(presets.load(ref["preset"])), **presets.load(ref["preset"]).options)
    assert len(tr.runs) == len(ref["runs"])
    for run, rrun in zip(tr.runs, ref["runs"]):
        assert [s.t for s in run.steps] == [s["t"] for s in rrun]
        for s, rs in zip(run.steps, rrun):
            for key in ("f", "i", "g", "o", "c", "h"):
                np.testing.assert_allclose(getattr(s, key), rs[key], rtol=0, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(tr.outputs, ref["outputs"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(tr.y, ref["y"], rtol=0, atol=1e-12)
    assert tr.bptt.loss == pytest.approx(ref["loss"], abs=1e-12)
    for name, g in ref["grads"].items():
        np.testing.assert_allclose(R.analytic(tr, name), g, rtol=0, atol=1e-12, err_msg=name)
    np.testing.assert_allclose([g.dh for g in tr.bptt.steps], ref["dh"], rtol=0, atol=1e-12)
    np.testing.assert_allclose([g.dc for g in tr.bptt.steps], ref["dc"], rtol=0, atol=1e-12)
