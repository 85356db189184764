"""LSTM with full peephole matrices (variant peephole-full, W_f, W_i, W_o [H, 2H + D] on [c, h, x]):
a plain-float one-step case for H = D = 1, the notes' equations written out, central finite
differences for every weight and both initial states, the Jacobian dc_t/dc_{t-1}, and refusals."""
from __future__ import annotations

import math

import numpy as np
import pytest

from gatelab.engines import cells, lstm
from gatelab.engines.errors import InputError

EPS = 1e-6
_sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731


def test_one_step_by_hand_h1_d1():
    """f = σ(wf·[c0, h0, x] + bf) etc. in plain floats; L = h_1 (no V, no target)."""
    c0, h0, x = 0.5, -0.3, 1.0
    wf, wi, wo, wc = (0.4, 0.2, -0.5), (-0.6, 0.3, 0.8), (0.7, -0.2, 0.1), (0.9, -0.4)
    bf, bi, bc, bo = 0.1, -0.2, 0.05, 0.3
    f = _sig(wf[0] * c0 + wf[1] * h0 + wf[2] * x + bf)
    i = _sig(wi[0] * c0 + wi[1] * h0 + wi[2] * x + bi)
    g = math.tanh(wc[0] * h0 + wc[1] * x + bc)
    c = f * c0 + i * g
    o = _sig(wo[0] * c + wo[1] * h0 + wo[2] * x + bo)       # the NEW cell state
    h = o * math.tanh(c)
    # dL/dc (total) = o tanh'(c) + tanh(c) σ'(z_o) wo_c;  dc/dc0 = f + c0 σ'(z_f) wf_c + g σ'(z_i) wi_c
    dh_dc = o * (1 - math.tanh(c) ** 2) + math.tanh(c) * o * (1 - o) * wo[0]
    dc_dc0 = f + c0 * f * (1 - f) * wf[0] + g * i * (1 - i) * wi[0]
    dWo_c = math.tanh(c) * o * (1 - o) * c
    w = {"W_f": [list(wf)], "W_i": [list(wi)], "W_o": [list(wo)], "W_C": [list(wc)],
         "b_f": [bf], "b_i": [bi], "b_C": [bc], "b_o": [bo]}
    tr = lstm.build(w, {"x": [[x]], "h0": [h0], "c0": [c0]}, variant="peephole-full")
    s = tr.steps[0]
    assert tr.variant == "peephole-full"
    assert (s.f[0], s.i[0], s.g[0], s.c[0], s.o[0], s.h[0]) == pytest.approx((f, i, g, c, o, h), abs=1e-14)
    assert s.pc_o[0] == pytest.approx(wo[0] * c, abs=1e-15)
    g_ = tr.bptt.runs[0]
    assert tr.bptt.loss == pytest.approx(h, abs=1e-14)
    assert g_.dc0[0] == pytest.approx(dh_dc * dc_dc0, abs=1e-14)
    assert g_.dW_o[0, 0] == pytest.approx(dWo_c, abs=1e-14)
    assert g_.steps[0].dc[0] == pytest.approx(dh_dc, abs=1e-14)


def _case(seed=4, H=2, D=2, T=4):
    rng = np.random.default_rng(seed)
    w, inp = lstm.random(rng, hidden=H, input_size=D, steps=T, variant="peephole-full")
    inp["h0"] = rng.uniform(-1, 1, H).tolist()
    inp["c0"] = rng.uniform(-1, 1, H).tolist()
    inp["target"] = rng.uniform(-1, 1, (T, 1)).tolist()
    return w, inp


def test_forward_matches_the_notes_equations():
    w, inp = _case()
    tr = lstm.build(w, inp, variant="peephole-full")
    W = {k: np.array(v) for k, v in w.items()}
    h, c = np.array(inp["h0"]), np.array(inp["c0"])
    for t, x in enumerate(np.array(inp["x"])):
        f = 1 / (1 + np.exp(-(W["W_f"] @ np.concatenate([c, h, x]) + W["b_f"])))
        i = 1 / (1 + np.exp(-(W["W_i"] @ np.concatenate([c, h, x]) + W["b_i"])))
        g = np.tanh(W["W_C"] @ np.concatenate([h, x]) + W["b_C"])
        c = f * c + i * g
        o = 1 / (1 + np.exp(-(W["W_o"] @ np.concatenate([c, h, x]) + W["b_o"])))
        h = o * np.tanh(c)
        np.testing.assert_allclose(tr.steps[t].h, h, atol=1e-13)
        np.testing.assert_allclose(tr.steps[t].c, c, atol=1e-13)


def _loss(w, inp):
    return lstm.build(w, inp, variant="peephole-full").bptt.loss


def _fd(w, inp, where, key):
    base = np.array((w if where == "w" else inp)[key], dtype=float)
    out = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        vals = []
        for sgn in (1, -1):
            b = base.copy()
            b[idx] += sgn * EPS
            w2, i2 = dict(w), dict(inp)
            (w2 if where == "w" else i2)[key] = b.tolist()
            vals.append(_loss(w2, i2))
        out[idx] = (vals[0] - vals[1]) / (2 * EPS)
    return out


@pytest.mark.parametrize("key", ["W_f", "W_i", "W_C", "W_o", "b_f", "b_i", "b_C", "b_o", "V", "b_y"])
def test_every_weight_gradient_by_finite_differences(key):
    w, inp = _case()
    tr = lstm.build(w, inp, variant="peephole-full")
    g = tr.bptt.runs[0]
    name = {"W_C": "dW_g", "b_C": "db_g"}.get(key, "d" + key)
    got = getattr(tr.bptt, name) if key in ("V", "b_y") else getattr(g, name)
    np.testing.assert_allclose(got, _fd(w, inp, "w", key), atol=1e-8)


@pytest.mark.parametrize("key,field", [("h0", "dh0"), ("c0", "dc0"), ("x", None)])
def test_initial_states_and_inputs_by_finite_differences(key, field):
    w, inp = _case()
    tr = lstm.build(w, inp, variant="peephole-full")
    got = tr.bptt.dx if field is None else getattr(tr.bptt.runs[0], field)
    np.testing.assert_allclose(got, _fd(w, inp, "i", key), atol=1e-8)
    assert np.abs(got).max() > 1e-3


def test_jacobian_dc_dcprev_by_finite_differences():
    """c_t as a function of c_{t-1}, with h_{t-1} = o_{t-1}(c_{t-1}) tanh(c_{t-1}) and o_{t-1} seeing c_{t-1}."""
    w, inp = _case(seed=9, H=3, D=2, T=3)
    tr = lstm.build(w, inp, variant="peephole-full")
    cell = tr.params.cells[0]
    prev, cur, gs = tr.steps[1], tr.steps[2], tr.bptt.steps[2]
    H = tr.hidden

    def c_t(cp):
        o_prev = 1 / (1 + np.exp(-(prev.m_o + cell.b_o + cell.W_o[:, :H] @ cp)))
        return cells.lstm_step(cell, cur.x, o_prev * np.tanh(cp), cp)["c"]

    J = np.zeros((H, H))
    for k in range(H):
        e = np.zeros(H)
        e[k] = EPS
        J[:, k] = (c_t(prev.c + e) - c_t(prev.c - e)) / (2 * EPS)
    np.testing.assert_allclose(gs.J, J, atol=1e-8)
    np.testing.assert_allclose(gs.J_A + gs.J_forget + gs.J_C + gs.J_D, gs.J, atol=1e-15)


def test_cell_batch_rows_match_one_vector():
    w, inp = _case(seed=2, H=2, D=1, T=3)
    cell = lstm.build(w, inp, variant="peephole-full").params.cells[0]
    rng = np.random.default_rng(0)
    X, Hp, Cp, dH, dC = (rng.normal(size=(3, n)) for n in (1, 2, 2, 2, 2))
    sb = cells.lstm_step(cell, X, Hp, Cp)
    bb = cells.lstm_backward(cell, sb, dH, dC)
    tot = {k: 0 for k in bb["grads"]}
    for r in range(3):
        s1 = cells.lstm_step(cell, X[r], Hp[r], Cp[r])
        np.testing.assert_allclose(sb["h"][r], s1["h"], atol=1e-15)
        b1 = cells.lstm_backward(cell, s1, dH[r], dC[r])
        np.testing.assert_allclose(bb["dc_prev"][r], b1["dc_prev"], atol=1e-15)
        for k in tot:
            tot[k] = tot[k] + b1["grads"][k]
    for k in tot:
        np.testing.assert_allclose(bb["grads"][k], tot[k], atol=1e-14)


def test_weights_decide_the_variant_and_wrong_files_are_refused():
    w, inp = _case()
    assert lstm.build(w, inp).variant == "peephole-full"
    for v in ("peephole", "standard"):
        with pytest.raises(InputError, match=r"^W_f has shape \(2, 6\) = \[H, 2H \+ D\]: these are full "
                                             r"peephole matrices; use --variant peephole-full$"):
            lstm.build(w, inp, variant=v)
    wd, ind = lstm.random(np.random.default_rng(1), hidden=2, input_size=2, steps=3, variant="peephole")
    with pytest.raises(InputError, match=r"^P_f given: these are diagonal peephole weights \[H\]; use --variant peephole$"):
        lstm.build(wd, ind, variant="peephole-full")
    ws, ins = lstm.random(np.random.default_rng(1), hidden=2, input_size=2, steps=3)
    with pytest.raises(InputError, match=r"W_f has shape \(2, 4\) = \[H, H \+ D\]: variant peephole-full needs"):
        lstm.build(ws, ins, variant="peephole-full")
    with pytest.raises(InputError, match=r"runs one layer in one direction"):
        lstm.build(w, inp, variant="peephole-full", layers=2)
    bad = dict(w, W_i=np.ones((2, 5)).tolist())
    with pytest.raises(InputError, match=r"^W_i has shape \(2, 5\), expected \(2, 6\)"):
        lstm.build(bad, inp, variant="peephole-full")
    both = dict(w, P_f=[0.1, 0.2])
    with pytest.raises(InputError, match=r"P_f given with full peephole matrices"):
        lstm.build(both, inp)
