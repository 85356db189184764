"""engines.cells: every cell's backward pass against central finite differences (one vector and a
batch; Elman with each differentiable activation, LSTM standard and peephole, GRU textbook and torch),
the step Jacobians, and the forward equations written out independently."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from gatelab.engines import cells

EPS = 1e-6
_sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
H, D, B = 3, 2, 4


def _weights(kind: str, rng: np.random.Generator, variant: str = ""):
    W = lambda: rng.uniform(-1, 1, size=(H, H + D))  # noqa: E731
    b = lambda: rng.uniform(-1, 1, size=H)  # noqa: E731
    if kind == "elman":
        return cells.ElmanWeights(W(), b())
    if kind == "lstm":
        peep = (b(), b(), b()) if variant == "peephole" else (None, None, None)
        return cells.LSTMWeights(W(), W(), W(), W(), b(), b(), b(), b(), *peep)
    return cells.GRUWeights(W(), W(), W(), b(), b(), b(), b() if variant == "torch" else None)


def _step(kind, w, x, h, c, variant):
    if kind == "elman":
        return cells.elman_step(w, x, h, variant)
    if kind == "lstm":
        return cells.lstm_step(w, x, h, c)
    return cells.gru_step(w, x, h, variant)


def _backward(kind, w, s, gh, gc, variant):
    if kind == "elman":
        return cells.elman_backward(w, s, gh, variant)
    if kind == "lstm":
        return cells.lstm_backward(w, s, gh, gc)
    return cells.gru_backward(w, s, gh, variant)


def _central(f, base):
    g = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        hi, lo = base.copy(), base.copy()
        hi[idx] += EPS
        lo[idx] -= EPS
        g[idx] = (f(hi) - f(lo)) / (2 * EPS)
    return g


CASES = [("elman", a) for a in ("tanh", "sigmoid", "relu", "identity")] + \
        [("lstm", "standard"), ("lstm", "peephole"), ("gru", "textbook"), ("gru", "torch")]


@pytest.mark.parametrize("batch", [False, True], ids=["vector", "batch"])
@pytest.mark.parametrize("kind,variant", CASES)
def test_backward_matches_central_differences(kind, variant, batch):
    """L = <gh, h_t> (+ <gc, c_t>): the backward pass gives dL/d(every weight), dL/dh_{t-1}, dL/dx_t
    (and dL/dc_{t-1}) equal to central differences of the forward step."""
    rng = np.random.default_rng(zlib.crc32(f"{kind} {variant} {batch}".encode()))
    w = _weights(kind, rng, variant)
    shape = (B,) if batch else ()
    x, h, c = rng.normal(size=shape + (D,)), rng.normal(size=shape + (H,)), rng.normal(size=shape + (H,))
    if kind == "elman" and variant == "relu":
        w = w._replace(b=w.b + 0.05)          # keep pre-activations away from the kink at 0
    gh, gc = rng.normal(size=shape + (H,)), rng.normal(size=shape + (H,))

    def loss(w_, x_, h_, c_):
        s = _step(kind, w_, x_, h_, c_, variant)
        return float(np.sum(gh * s["h"]) + (np.sum(gc * s["c"]) if kind == "lstm" else 0.0))

    s = _step(kind, w, x, h, c, variant)
    if kind == "elman" and variant == "relu":
        assert np.min(np.abs(s["a"])) > 1e-3
    back = _backward(kind, w, s, gh, gc, variant)
    names = [n for n in w._fields if getattr(w, n) is not None]
    assert set(back["grads"]) == set(names)
    for n in names:
        fd = _central(lambda v: loss(w._replace(**{n: v}), x, h, c), getattr(w, n))
        np.testing.assert_allclose(back["grads"][n], fd, rtol=1e-6, atol=1e-8, err_msg=f"{kind} {variant} {n}")
    np.testing.assert_allclose(back["dx"], _central(lambda v: loss(w, v, h, c), x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(back["dh_prev"], _central(lambda v: loss(w, x, v, c), h), rtol=1e-6, atol=1e-8)
    if kind == "lstm":
        np.testing.assert_allclose(back["dc_prev"], _central(lambda v: loss(w, x, h, v), c), rtol=1e-6, atol=1e-8)


def test_gru_backward_rounding_orders_agree():
    """sigma_first only changes how dr * r(1 - r) is rounded."""
    rng = np.random.default_rng(3)
    w = _weights("gru", rng, "textbook")
    x, h, gh = rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    s = cells.gru_step(w, x, h, "textbook")
    a = cells.gru_backward(w, s, gh, "textbook")
    b = cells.gru_backward(w, s, gh, "textbook", sigma_first=False)
    for k in a["grads"]:
        np.testing.assert_allclose(a["grads"][k], b["grads"][k], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(a["dh_prev"], b["dh_prev"], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("convention", cells.CONVENTIONS)
def test_gru_jacobian_matches_central_differences(convention):
    rng = np.random.default_rng(5)
    w = _weights("gru", rng, convention)
    x, h = rng.normal(size=D), rng.normal(size=H)
    s = cells.gru_step(w, x, h, convention)
    j = cells.gru_jacobian(w, s, convention)
    fd = np.stack([_central(lambda v: cells.gru_step(w, x, v, convention)["h"][k], h) for k in range(H)])
    np.testing.assert_allclose(j["J"], fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(j["J"], j["J_direct"] + j["J_rest"], rtol=0, atol=0)
    direct = 1 - s["z"] if convention == "textbook" else s["z"]
    np.testing.assert_array_equal(np.diag(j["J_direct"]), direct)


@pytest.mark.parametrize("variant", ["standard", "peephole"])
def test_lstm_jacobian_matches_central_differences(variant):
    """dc_t/dc_{t-1} with h_{t-1} = o_{t-1} tanh(c_{t-1}) (o_{t-1} held at its value), and at the first
    step (h_0 given, so only the forget path and the peepholes see c_0)."""
    rng = np.random.default_rng(7)
    w = _weights("lstm", rng, variant)
    x0, x1, h0, c0 = rng.normal(size=D), rng.normal(size=D), rng.normal(size=H), rng.normal(size=H)
    prev = cells.lstm_step(w, x0, h0, c0)
    s = cells.lstm_step(w, x1, prev["h"], prev["c"])
    j = cells.lstm_jacobian(w, s, prev)
    o_prev = prev["o"]

    def c_next(c_prev, k):
        h_prev = o_prev * np.tanh(c_prev)
        if w.P_o is not None:   # o_{t-1} itself depends on c_{t-1} through the output peephole
            h_prev = _sig(prev["z_o"] - w.P_o * prev["c"] + w.P_o * c_prev) * np.tanh(c_prev)
        return cells.lstm_step(w, x1, h_prev, c_prev)["c"][k]

    fd = np.stack([_central(lambda v: c_next(v, k), prev["c"]) for k in range(H)])
    np.testing.assert_allclose(j["J"], fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(j["J_forget"], np.diag(s["f"]), rtol=0, atol=0)
    np.testing.assert_allclose(j["J"], j["J_forget"] + j["J_A"] + j["J_C"] + j["J_D"], rtol=1e-14, atol=1e-15)
    first = cells.lstm_jacobian(w, prev, None)
    fd0 = np.stack([_central(lambda v: cells.lstm_step(w, x0, h0, v)["c"][k], c0) for k in range(H)])
    np.testing.assert_allclose(first["J"], fd0, rtol=1e-6, atol=1e-8)


def test_forward_equations_written_out():
    """The cells against the equations typed out here, one gate at a time."""
    rng = np.random.default_rng(11)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    x, h, c = rng.normal(size=D), rng.normal(size=H), rng.normal(size=H)
    e = _weights("elman", rng)
    np.testing.assert_allclose(cells.elman_step(e, x, h)["h"], np.tanh(e.W[:, :H] @ h + e.W[:, H:] @ x + e.b), rtol=1e-14)
    L = _weights("lstm", rng, "peephole")
    f = sig(L.W_f[:, :H] @ h + L.W_f[:, H:] @ x + L.b_f + L.P_f * c)
    i = sig(L.W_i[:, :H] @ h + L.W_i[:, H:] @ x + L.b_i + L.P_i * c)
    g = np.tanh(L.W_g[:, :H] @ h + L.W_g[:, H:] @ x + L.b_g)
    c1 = f * c + i * g
    o = sig(L.W_o[:, :H] @ h + L.W_o[:, H:] @ x + L.b_o + L.P_o * c1)
    s = cells.lstm_step(L, x, h, c)
    np.testing.assert_allclose(s["c"], c1, rtol=1e-14)
    np.testing.assert_allclose(s["h"], o * np.tanh(c1), rtol=1e-14)
    G = _weights("gru", rng, "torch")
    r = sig(G.W_r @ np.concatenate([h, x]) + G.b_r)
    z = sig(G.W_z @ np.concatenate([h, x]) + G.b_z)
    n_torch = np.tanh(G.W_n[:, H:] @ x + G.b_n + r * (G.W_n[:, :H] @ h + G.b_hn))
    np.testing.assert_allclose(cells.gru_step(G, x, h, "torch")["h"], (1 - z) * n_torch + z * h, rtol=1e-14)
    n_text = np.tanh(G.W_n[:, :H] @ (r * h) + G.W_n[:, H:] @ x + G.b_n)
    np.testing.assert_allclose(cells.gru_step(G, x, h, "textbook")["h"], (1 - z) * h + z * n_text, rtol=1e-14)


def test_a_batch_is_its_rows():
    """A batch of rows gives each row's single-vector step, and the batch gradient is the sum over rows."""
    rng = np.random.default_rng(13)
    w = _weights("gru", rng, "textbook")
    X, Hs, G = rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    sb = cells.gru_step(w, X, Hs, "textbook")
    bb = cells.gru_backward(w, sb, G, "textbook")
    total = {k: 0.0 for k in bb["grads"]}
    for r in range(B):
        s = cells.gru_step(w, X[r], Hs[r], "textbook")
        np.testing.assert_allclose(sb["h"][r], s["h"], rtol=1e-14)
        b = cells.gru_backward(w, s, G[r], "textbook")
        np.testing.assert_allclose(bb["dx"][r], b["dx"], rtol=1e-12, atol=1e-15)
        total = {k: total[k] + b["grads"][k] for k in total}
    for k in total:
        np.testing.assert_allclose(bb["grads"][k], total[k], rtol=1e-12, atol=1e-15)
