"""Recurrent cells, each written once: one step forward and its backward pass.

Used by the RNN, LSTM and GRU engines, the seq2seq engine and the seq2seq training script. Every
function works on one vector (``x`` [D], ``h`` [H]) or on a batch of row vectors (``x`` [B, D],
``h`` [B, H]); a matrix ``W`` [H, H + D] always acts on the concatenation ``[h_{t-1}, x_t]``
(**h first**), as ``W·v`` for one vector and ``v Wᵀ`` for a batch (the same numbers, row by row).

Notation
--------
``H`` hidden size, ``D`` input size, ``B`` batch. ``hx = [h_{t-1}, x_t]`` [H + D].
``W^h = W[:, :H]`` acts on ``h_{t-1}``, ``W^x = W[:, H:]`` on ``x_t``. ``σ`` logistic sigmoid,
``*`` element-wise product. ``dv`` is dL/dv for whatever loss L the caller backpropagates.

Elman:   ``W`` [H, H + D] (= ``[W U]`` of the RNN engine), ``b`` [H], activation ``f``;
         ``m`` the matrix product, ``a`` the pre-activation.
LSTM:    gates ``f, i, o``, candidate ``g`` (colah's C~), cell ``c``; ``W_f, W_i, W_g, W_o`` [H, H + D],
         ``b_*`` [H]; optional diagonal peepholes ``P_f, P_i, P_o`` [H]; ``m_*`` matrix products,
         ``z_*`` pre-activations, ``pc_*`` peephole terms. Full peephole matrices (the lecture
         notes' form): ``W_f, W_i, W_o`` [H, 2H + D] act on ``[c, h_{t-1}, x_t]`` (c first; ``W^c =
         W[:, :H]``, ``W^{hx} = W[:, H:]``), ``W_g`` stays [H, H + D]; the cell is "full" when
         ``W_f`` is wider than ``W_g``.
GRU:     reset ``r``, update ``z``, candidate ``n`` (the textbook's h~); ``W_r, W_z, W_n`` [H, H + D],
         ``b_r, b_z, b_n`` [H], ``b_hn`` [H] (torch convention only); ``a_*`` pre-activations.

Equations
---------
    Elman:    m = W·hx,  a = m + b,  h = f(a)
    LSTM:     z_f = W_f·hx + b_f [+ P_f * c_{t-1}]     f = σ(z_f)
              z_i = W_i·hx + b_i [+ P_i * c_{t-1}]     i = σ(z_i)
              z_g = W_g·hx + b_g                       g = tanh(z_g)
              c = f * c_{t-1} + i * g
              z_o = W_o·hx + b_o [+ P_o * c]           o = σ(z_o)
              h = o * tanh(c)
              full peepholes: [P_* * c] becomes W_*^c·c (c_{t-1} for f and i, the new c for o)
    GRU textbook:   z = σ(W_z·hx + b_z),  r = σ(W_r·hx + b_r),
                    n = tanh(W_n·[r * h_{t-1}, x_t] + b_n),  h = (1 - z) * h_{t-1} + z * n
    GRU torch:      r, z as above,  hn = W_n^h h_{t-1} + b_hn,
                    n = tanh(W_n^x x_t + b_n + r * hn),      h = (1 - z) * n + z * h_{t-1}

Backward (given the total dL/dh of this step, and dL/dc for the LSTM): the gradients of the
step's own weights (the caller sums them over steps and batch rows), ``dh_prev`` = dL/dh_{t-1},
``dx`` = dL/dx_t (and ``dc_prev`` = dL/dc_{t-1}); the LSTM and GRU also give the step Jacobian
``dc_t/dc_{t-1}`` or ``dh_t/dh_{t-1}`` split into its paths (see :func:`lstm_jacobian`,
:func:`gru_jacobian`). The order of every floating-point operation is fixed: the engines' traces
are compared bit for bit.
"""
from __future__ import annotations

from typing import Any, Mapping, NamedTuple

import numpy as np

from ._numerics import sigmoid

ACTIVATIONS = ("tanh", "relu", "sigmoid", "step", "identity")
CONVENTIONS = ("textbook", "torch")
LSTM_GATES = ("f", "i", "g", "o")
GRU_GATES = ("r", "z", "n")


class ElmanWeights(NamedTuple):
    W: np.ndarray            # [H, H + D] = [W^h | W^x]
    b: np.ndarray            # [H]


class LSTMWeights(NamedTuple):
    W_f: np.ndarray          # [H, H + D]
    W_i: np.ndarray
    W_g: np.ndarray          # = W_C (colah)
    W_o: np.ndarray
    b_f: np.ndarray          # [H]
    b_i: np.ndarray
    b_g: np.ndarray
    b_o: np.ndarray
    P_f: np.ndarray | None = None   # [H] diagonal peepholes (all three or none)
    P_i: np.ndarray | None = None
    P_o: np.ndarray | None = None


class GRUWeights(NamedTuple):
    W_r: np.ndarray          # [H, H + D]
    W_z: np.ndarray
    W_n: np.ndarray          # the candidate's matrix (the textbook's W)
    b_r: np.ndarray          # [H]
    b_z: np.ndarray
    b_n: np.ndarray
    b_hn: np.ndarray | None = None  # [H] torch convention: bias inside r * (W_n^h h + b_hn)


# Any object with the same attribute names works as weights (the engines' cell records do).

# --------------------------------------------------------------------------- helpers

def _lin(W: np.ndarray, v: np.ndarray) -> np.ndarray:
    """W·v for one vector ([K] -> [H]); v Wᵀ for a batch of rows ([B, K] -> [B, H])."""
    return W @ v if v.ndim == 1 else v @ W.T


def _back(W: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Wᵀ·d for one vector ([H] -> [K]); d W for a batch of rows ([B, H] -> [B, K])."""
    return W.T @ d if d.ndim == 1 else d @ W


def _outer(d: np.ndarray, v: np.ndarray) -> np.ndarray:
    """d vᵀ for one vector ([H] x [K] -> [H, K]); summed over the batch rows for a batch."""
    return np.outer(d, v) if d.ndim == 1 else d.T @ v


def _rows(d: np.ndarray) -> np.ndarray:
    """A bias gradient: d itself for one vector, summed over the batch rows for a batch."""
    return d if d.ndim == 1 else d.sum(axis=0)


def activate(name: str, a: np.ndarray) -> np.ndarray:
    """The Elman activation f(a): tanh | relu | sigmoid | step (1 if a > 0 else 0) | identity."""
    if name == "tanh":
        return np.tanh(a)
    if name == "relu":
        return np.maximum(a, 0.0)
    if name == "sigmoid":
        return sigmoid(a)
    if name == "step":
        return (a > 0).astype(np.float64)
    return a.copy()  # identity


def activation_grad(name: str, a: np.ndarray, h: np.ndarray) -> np.ndarray:
    """f'(a) element-wise, given h = f(a); step' = 0 and relu'(0) = 0."""
    if name == "tanh":
        return 1.0 - h * h
    if name == "relu":
        return (a > 0).astype(np.float64)
    if name == "sigmoid":
        return h * (1.0 - h)
    if name == "step":
        return np.zeros_like(a)  # derivative 0 almost everywhere: no gradient flows
    return np.ones_like(a)


# --------------------------------------------------------------------------- Elman

def elman_step(w: Any, x: np.ndarray, h_prev: np.ndarray, act: str = "tanh") -> dict[str, np.ndarray]:
    """One Elman step ``h = f(W·[h_{t-1}, x_t] + b)``.

    Notation/Equations: module docstring (Elman). Returns x, h_prev, hx, m, a, h.
    """
    hx = np.concatenate([h_prev, x], axis=-1)       # [H] + [D] -> [H + D]
    m = _lin(w.W, hx)                               # [H, H + D] · [H + D] -> [H]
    a = m + w.b
    h = activate(act, a)
    return dict(x=x, h_prev=h_prev, hx=hx, m=m, a=a, h=h)


def elman_backward(w: Any, s: Mapping[str, np.ndarray], dh: np.ndarray, act: str = "tanh") -> dict[str, Any]:
    """Backward of :func:`elman_step` given ``dh`` = dL/dh_t (total).

    Equations: da = f'(a) * dh,  dW = da hxᵀ,  db = da,  dh_prev = W^hᵀ da,  dx = W^xᵀ da.
    Returns da, grads {W, b}, dh_prev, dx.
    """
    H = dh.shape[-1]
    da = activation_grad(act, s["a"], s["h"]) * dh
    return dict(da=da, grads={"W": _outer(da, s["hx"]), "b": _rows(da)},   # [H] x [H + D] -> [H, H + D]
                dh_prev=_back(w.W[:, :H], da),                             # [H, H]ᵀ · [H] -> [H]
                dx=_back(w.W[:, H:], da))                                  # [H, D]ᵀ · [H] -> [D]


# --------------------------------------------------------------------------- LSTM

def is_full(w: Any) -> bool:
    """True for full peephole matrices: W_f [H, 2H + D] is wider than W_g [H, H + D]."""
    return w.W_f.shape[-1] != w.W_g.shape[-1]


def _hx_part(w: Any, gn: str) -> np.ndarray:
    """The columns of W_<gn> that act on [h_{t-1}, x_t] (all of them unless full)."""
    W = getattr(w, f"W_{gn}")
    return W[:, W.shape[0]:] if gn != "g" and is_full(w) else W


def _peep(w: Any, gn: str, c: np.ndarray) -> np.ndarray:
    """The peephole term of gate gn: P * c (diagonal) or W^c·c (full; [H, H] · [H] -> [H])."""
    P = getattr(w, f"P_{gn}")
    return P * c if P is not None else _lin(getattr(w, f"W_{gn}")[:, :c.shape[-1]], c)


def _peep_back(w: Any, gn: str, d: np.ndarray) -> np.ndarray:
    """dL/dc through gate gn's peephole given d = dL/dz: P * d (diagonal) or W^cᵀ·d (full)."""
    P = getattr(w, f"P_{gn}")
    return P * d if P is not None else _back(getattr(w, f"W_{gn}")[:, :d.shape[-1]], d)


def lstm_step(w: Any, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray) -> dict[str, np.ndarray]:
    """One LSTM step; peephole terms when ``w.P_f`` is given.

    Notation/Equations: module docstring (LSTM). Returns x, h_prev, c_prev, the gates f, i, g, o,
    c, h, tanh_c, hx, pre-activations z_*, products m_*, fc = f * c_prev, ig = i * g and, with
    peepholes, pc_f, pc_i, pc_o.
    """
    hx = np.concatenate([h_prev, x], axis=-1)       # [H] + [D] -> [H + D]
    full = is_full(w)
    Wf, Wi, Wo = (_hx_part(w, gn) for gn in ("f", "i", "o"))
    m_f = _lin(Wf, hx)                              # [H, H + D] · [H + D] -> [H]
    m_i = _lin(Wi, hx)
    m_g = _lin(w.W_g, hx)
    m_o = _lin(Wo, hx)
    z_f, z_i, z_g, z_o = m_f + w.b_f, m_i + w.b_i, m_g + w.b_g, m_o + w.b_o
    peep = {}
    if w.P_f is not None or full:
        peep["pc_f"], peep["pc_i"] = _peep(w, "f", c_prev), _peep(w, "i", c_prev)
        z_f = z_f + peep["pc_f"]
        z_i = z_i + peep["pc_i"]
    f, i, g = sigmoid(z_f), sigmoid(z_i), np.tanh(z_g)
    fc, ig = f * c_prev, i * g
    c = fc + ig
    if w.P_o is not None or full:
        peep["pc_o"] = _peep(w, "o", c)
        z_o = z_o + peep["pc_o"]
    o = sigmoid(z_o)
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return dict(x=x, h_prev=h_prev, c_prev=c_prev, f=f, i=i, g=g, o=o, c=c, h=h, tanh_c=tanh_c,
                hx=hx, z_f=z_f, z_i=z_i, z_g=z_g, z_o=z_o, m_f=m_f, m_i=m_i, m_g=m_g, m_o=m_o,
                fc=fc, ig=ig, **peep)


def lstm_backward(w: Any, s: Mapping[str, np.ndarray], dh: np.ndarray, dc_next: np.ndarray) -> dict[str, Any]:
    """Backward of :func:`lstm_step` given ``dh`` = dL/dh_t (total) and ``dc_next`` = the part of
    dL/dc_t that comes from step t+1.

    Equations:
        dz_o = dh * tanh(c) * o(1-o)
        dc   = dc_next + dh * o (1 - tanh(c)^2) [+ P_o * dz_o]        (total dL/dc_t)
        dz_f = dc * c_{t-1} * f(1-f),  dz_i = dc * g * i(1-i),  dz_g = dc * i (1 - g^2)
        dW_* = dz_* hxᵀ,  db_* = dz_*,  d hx = Σ_* W_*ᵀ dz_*  (f, i, g, o)
        dc_prev = dc * f [+ P_f * dz_f + P_i * dz_i]
        full peepholes: P_o * dz_o -> W_o^cᵀ dz_o,  P_f * dz_f + P_i * dz_i -> W_f^cᵀ dz_f + W_i^cᵀ dz_i,
                        dW_f = dz_f [c_{t-1}, h, x]ᵀ, dW_i likewise, dW_o = dz_o [c_t, h, x]ᵀ
        dP_f = dz_f * c_{t-1},  dP_i = dz_i * c_{t-1},  dP_o = dz_o * c
    Returns dz_f, dz_i, dz_g, dz_o, dc, grads {W_*, b_*[, P_*]}, dh_prev, dx, dc_prev.
    """
    H = dh.shape[-1]
    full = is_full(w)
    peep = w.P_f is not None or full
    dz_o = dh * s["tanh_c"] * s["o"] * (1 - s["o"])
    dc = dc_next + dh * s["o"] * (1 - s["tanh_c"] ** 2)
    if peep:
        dc = dc + _peep_back(w, "o", dz_o)
    dz_f = dc * s["c_prev"] * s["f"] * (1 - s["f"])
    dz_i = dc * s["g"] * s["i"] * (1 - s["i"])
    dz_g = dc * s["i"] * (1 - s["g"] ** 2)
    dz = {"f": dz_f, "i": dz_i, "g": dz_g, "o": dz_o}
    grads: dict[str, np.ndarray] = {}
    d_hx = np.zeros(s["hx"].shape)
    c_in = {"f": s["c_prev"], "i": s["c_prev"], "o": s["c"]}    # what each peephole sees
    for gn in LSTM_GATES:
        grads[f"W_{gn}"] = _outer(dz[gn], s["hx"])              # [H] x [H + D] -> [H, H + D]
        if full and gn != "g":                                  # [H, H] | [H, H + D] -> [H, 2H + D]
            grads[f"W_{gn}"] = np.concatenate([_outer(dz[gn], c_in[gn]), grads[f"W_{gn}"]], axis=1)
        grads[f"b_{gn}"] = _rows(dz[gn])
        d_hx += _back(_hx_part(w, gn), dz[gn])                  # [H + D, H] · [H] -> [H + D]
    dc_prev = dc * s["f"]
    if peep:
        dc_prev = dc_prev + _peep_back(w, "f", dz_f) + _peep_back(w, "i", dz_i)
    if peep and not full:
        grads["P_f"] = _rows(dz_f * s["c_prev"])
        grads["P_i"] = _rows(dz_i * s["c_prev"])
        grads["P_o"] = _rows(dz_o * s["c"])
    return dict(dz_f=dz_f, dz_i=dz_i, dz_g=dz_g, dz_o=dz_o, dc=dc, grads=grads,
                dh_prev=d_hx[..., :H], dx=d_hx[..., H:], dc_prev=dc_prev)


def lstm_jacobian(w: Any, s: Mapping[str, np.ndarray], prev: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """dc_t/dc_{t-1} [H, H] of one step (one vector), split into its paths A + B + C + D.

    ``prev`` is the previous step (h_{t-1} = o_{t-1} tanh(c_{t-1}) then depends on c_{t-1});
    None at the first processed step (the given h_0 is held fixed). With
    ``u = dh_{t-1}/dc_{t-1}`` (diagonal) = o_{t-1} (1 - tanh(c_{t-1})^2) [+ tanh(c_{t-1}) o_{t-1}(1-o_{t-1}) P_o]:

        A = diag(c_{t-1} σ'(z_f)) (W_f^h diag(u) [+ diag(P_f)])      (the forget gate's input)
        B = diag(f_t)                                                (the additive forget-gate path)
        C = diag(g_t σ'(z_i))     (W_i^h diag(u) [+ diag(P_i)])
        D = diag(i_t tanh'(z_g))   W_g^h diag(u)

    Returns J = B + (A + C + D), J_forget = B, J_rest = A + C + D, J_A, J_C, J_D.
    """
    H = s["f"].shape[0]
    if is_full(w):
        return _lstm_jacobian_full(w, s, prev)
    peep = w.P_f is not None
    if prev is not None:
        dh_dc = prev["o"] * (1 - prev["tanh_c"] ** 2)                # [H] diagonal of dh_{t-1}/dc_{t-1}
        if peep:
            dh_dc = dh_dc + prev["tanh_c"] * prev["o"] * (1 - prev["o"]) * w.P_o
    else:
        dh_dc = np.zeros(H)
    Wfh, Wih, Wgh = w.W_f[:, :H], w.W_i[:, :H], w.W_g[:, :H]
    Pf = np.diag(w.P_f) if peep else np.zeros((H, H))
    Pi = np.diag(w.P_i) if peep else np.zeros((H, H))
    J_A = (s["c_prev"] * s["f"] * (1 - s["f"]))[:, None] * (Wfh * dh_dc[None, :] + Pf)   # [H, H]
    J_B = np.diag(s["f"])
    J_C = (s["g"] * s["i"] * (1 - s["i"]))[:, None] * (Wih * dh_dc[None, :] + Pi)
    J_D = (s["i"] * (1 - s["g"] ** 2))[:, None] * (Wgh * dh_dc[None, :])
    J_rest = J_A + J_C + J_D
    return dict(J=J_B + J_rest, J_forget=J_B, J_rest=J_rest, J_A=J_A, J_C=J_C, J_D=J_D)


def _lstm_jacobian_full(w: Any, s: Mapping[str, np.ndarray], prev: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """:func:`lstm_jacobian` with full peephole matrices: ``U = dh_{t-1}/dc_{t-1}`` [H, H] is no
    longer diagonal, ``U = diag(o_{t-1} tanh'(c_{t-1})) + diag(tanh(c_{t-1}) σ'(z_o)) W_o^c``, and
    A = diag(c_{t-1} σ'(z_f)) (W_f^h U + W_f^c),  C = diag(g_t σ'(z_i)) (W_i^h U + W_i^c),  D = diag(i_t tanh'(z_g)) W_g^h U."""
    H = s["f"].shape[0]
    if prev is not None:
        U = np.diag(prev["o"] * (1 - prev["tanh_c"] ** 2)) \
            + (prev["tanh_c"] * prev["o"] * (1 - prev["o"]))[:, None] * w.W_o[:, :H]   # [H, H]
    else:
        U = np.zeros((H, H))
    J_A = (s["c_prev"] * s["f"] * (1 - s["f"]))[:, None] * (w.W_f[:, H:2 * H] @ U + w.W_f[:, :H])
    J_B = np.diag(s["f"])
    J_C = (s["g"] * s["i"] * (1 - s["i"]))[:, None] * (w.W_i[:, H:2 * H] @ U + w.W_i[:, :H])
    J_D = (s["i"] * (1 - s["g"] ** 2))[:, None] * (w.W_g[:, :H] @ U)
    J_rest = J_A + J_C + J_D
    return dict(J=J_B + J_rest, J_forget=J_B, J_rest=J_rest, J_A=J_A, J_C=J_C, J_D=J_D)


# --------------------------------------------------------------------------- GRU

def gru_step(w: Any, x: np.ndarray, h_prev: np.ndarray, convention: str) -> dict[str, np.ndarray]:
    """One GRU step in the ``textbook`` or ``torch`` convention.

    Notation/Equations: module docstring (GRU). Returns x, h_prev, r, z, n, h, hx, a_r, a_z, a_n,
    m_r, m_z, m_n (textbook: W_n·[r*h, x]; torch: W_n^x x), keep (the share of h_{t-1}), new (the
    share of n), and rh = r * h_{t-1} (textbook) or hn, r_hn = r * hn (torch).
    """
    H = h_prev.shape[-1]
    hx = np.concatenate([h_prev, x], axis=-1)                  # [H] + [D] -> [H + D]
    m_r = _lin(w.W_r, hx)                                      # [H, H + D] · [H + D] -> [H]
    m_z = _lin(w.W_z, hx)
    a_r, a_z = m_r + w.b_r, m_z + w.b_z
    r, z = sigmoid(a_r), sigmoid(a_z)
    if convention == "textbook":
        rh = r * h_prev
        m_n = _lin(w.W_n, np.concatenate([rh, x], axis=-1))    # [H, H + D] · [r*h, x] -> [H]
        a_n = m_n + w.b_n
        n = np.tanh(a_n)
        keep, new = (1 - z) * h_prev, z * n
        return dict(x=x, h_prev=h_prev, r=r, z=z, n=n, h=keep + new, hx=hx, a_r=a_r, a_z=a_z, a_n=a_n,
                    m_r=m_r, m_z=m_z, m_n=m_n, keep=keep, new=new, rh=rh)
    hn = _lin(w.W_n[:, :H], h_prev) + w.b_hn                   # [H, H] · [H] -> [H]
    m_n = _lin(w.W_n[:, H:], x)                                # [H, D] · [D] -> [H]
    r_hn = r * hn
    a_n = m_n + w.b_n + r_hn
    n = np.tanh(a_n)
    keep, new = z * h_prev, (1 - z) * n
    return dict(x=x, h_prev=h_prev, r=r, z=z, n=n, h=new + keep, hx=hx, a_r=a_r, a_z=a_z, a_n=a_n,
                m_r=m_r, m_z=m_z, m_n=m_n, keep=keep, new=new, hn=hn, r_hn=r_hn)


def gru_backward(w: Any, s: Mapping[str, np.ndarray], dh: np.ndarray, convention: str, *,
                 sigma_first: bool = True) -> dict[str, Any]:
    """Backward of :func:`gru_step` given ``dh`` = dL/dh_t (total).

    ``sigma_first=False`` rounds ``dr * σ'(a_r)`` as ``(dr * r) * (1 - r)`` instead of ``dr * (r (1 - r))``
    (same for z): the seq2seq training script keeps the rounding its shipped preset was trained with,
    so that retraining reproduces the preset bit for bit on the same BLAS kernel.

    Equations (σ' = s(1-s), tanh' = 1 - n^2):
        textbook:  dn = dh * z,  dz = dh * (n - h_{t-1}),  da_n = dn * tanh'
                   dW_n = da_n [r*h, x]ᵀ,  d[r*h, x] = W_nᵀ da_n,  dr = d(r*h) * h_{t-1}
                   dh_prev = dh (1 - z) + d(r*h) * r + (W_rᵀ da_r + W_zᵀ da_z)^h
        torch:     dn = dh * (1 - z),  dz = dh * (h_{t-1} - n),  da_n = dn * tanh'
                   dW_n^x = da_n xᵀ,  d hn = da_n * r,  dW_n^h = d hn h_{t-1}ᵀ,  db_hn = d hn,  dr = da_n * hn
                   dh_prev = dh z + W_n^hᵀ d hn + (W_rᵀ da_r + W_zᵀ da_z)^h
        both:      da_r = dr * σ'(a_r),  da_z = dz * σ'(a_z),  dW_r = da_r hxᵀ,  dW_z = da_z hxᵀ,  db_n = da_n
    Returns da_r, da_z, da_n, grads {W_r, W_z, W_n, b_r, b_z, b_n[, b_hn]}, dh_prev, dx.
    """
    H = dh.shape[-1]
    rr, zz, nn, hp = s["r"], s["z"], s["n"], s["h_prev"]
    dr_sig, dz_sig, dn_tanh = rr * (1 - rr), zz * (1 - zz), 1 - nn ** 2
    grads: dict[str, np.ndarray] = {}
    if convention == "textbook":
        dn = dh * zz
        dz = dh * (nn - hp)
        dh_prev = dh * (1 - zz)
        da_n = dn * dn_tanh
        rhx = np.concatenate([s["rh"], s["x"]], axis=-1)        # [r*h, x]
        grads["W_n"] = _outer(da_n, rhx)                        # [H] x [H + D] -> [H, H + D]
        d_rhx = _back(w.W_n, da_n)                              # [H + D, H] · [H] -> [H + D]
        d_rh = d_rhx[..., :H]
        dx_n = d_rhx[..., H:]                                   # dL/dx_t through n
        dr = d_rh * hp
        dh_prev = dh_prev + d_rh * rr
    else:
        dn = dh * (1 - zz)
        dz = dh * (hp - nn)
        dh_prev = dh * zz
        da_n = dn * dn_tanh
        d_hn = da_n * rr
        grads["W_n"] = np.concatenate([_outer(d_hn, hp), _outer(da_n, s["x"])], axis=1)   # [H, H] | [H, D]
        dx_n = _back(w.W_n[:, H:], da_n)                        # [D, H] · [H] -> [D]
        grads["b_hn"] = _rows(d_hn)
        dh_prev = dh_prev + _back(w.W_n[:, :H], d_hn)
        dr = da_n * s["hn"]
    grads["b_n"] = _rows(da_n)
    if sigma_first:
        da_r = dr * dr_sig
        da_z = dz * dz_sig
    else:  # the same product rounded left to right, as the shipped seq2seq-reverse weights were trained
        da_r = dr * rr * (1 - rr)
        da_z = dz * zz * (1 - zz)
    grads["W_r"] = _outer(da_r, s["hx"])
    grads["W_z"] = _outer(da_z, s["hx"])
    grads["b_r"] = _rows(da_r)
    grads["b_z"] = _rows(da_z)
    d_hx = _back(w.W_r, da_r) + _back(w.W_z, da_z)              # [H + D, H] · [H] -> [H + D] (through r, z)
    dh_prev = dh_prev + d_hx[..., :H]
    return dict(da_r=da_r, da_z=da_z, da_n=da_n, grads=grads, dh_prev=dh_prev, dx=dx_n + d_hx[..., H:])


def gru_jacobian(w: Any, s: Mapping[str, np.ndarray], convention: str) -> dict[str, np.ndarray]:
    """dh_t/dh_{t-1} [H, H] of one step (one vector): J = J_direct + J_rest.

    J_direct is the gated copy of h_{t-1}: diag(1 - z) (textbook) or diag(z) (torch);
    J_rest the paths through z, r and n:
        textbook: diag((n - h)σ'(a_z)) W_z^h + diag(z tanh'(a_n)) (W_n^h diag(r) + W_n^h diag(h) diag(σ'(a_r)) W_r^h)
        torch:    diag((h - n)σ'(a_z)) W_z^h + diag((1 - z) tanh'(a_n)) (diag(r) W_n^h + diag(hn σ'(a_r)) W_r^h)
    """
    H = s["r"].shape[0]
    rr, zz, nn, hp = s["r"], s["z"], s["n"], s["h_prev"]
    dr_sig, dz_sig, dn_tanh = rr * (1 - rr), zz * (1 - zz), 1 - nn ** 2
    Wrh, Wzh, Wnh = w.W_r[:, :H], w.W_z[:, :H], w.W_n[:, :H]
    if convention == "textbook":
        J_direct = np.diag(1 - zz)
        J_rest = ((nn - hp) * dz_sig)[:, None] * Wzh + \
            (zz * dn_tanh)[:, None] * (Wnh * rr[None, :] + (Wnh * hp[None, :]) @ (dr_sig[:, None] * Wrh))
    else:
        J_direct = np.diag(zz)
        J_rest = ((hp - nn) * dz_sig)[:, None] * Wzh + \
            ((1 - zz) * dn_tanh)[:, None] * (rr[:, None] * Wnh + (s["hn"] * dr_sig)[:, None] * Wrh)
    return dict(J=J_direct + J_rest, J_direct=J_direct, J_rest=J_rest)
