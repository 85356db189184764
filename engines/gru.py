"""GRU engine in two named conventions (textbook and PyTorch), stacked and bidirectional, with BPTT
(the step, its backward pass and the Jacobian dh_t/dh_{t-1} are :mod:`engines.cells`).

Notation
--------
``H`` hidden size, ``D`` input size, ``T`` steps. ``x_t`` [D], ``h_t`` [H], ``[h_{t-1}, x_t]`` [H + D]
(**h first**). ``r_t`` reset gate, ``z_t`` update gate, ``n_t`` candidate state (the textbook's
h~_t; PyTorch calls it n). ``a_r, a_z, a_n`` pre-activations. ``W_r, W_z, W_n`` [H, H + D] act on
``[h, x]``; their first H columns ``W^h`` act on the hidden state, the last D ``W^x`` on the input.
``b_r, b_z, b_n`` [H]; ``b_hn`` [H] (torch convention only). ``σ`` sigmoid, ``*`` element-wise.

Equations, convention ``textbook`` (the lecture notes; Cho et al. 2014 with z mixing in the candidate)
------------------------------------------------------------------------------------------
    z_t = σ(W_z·[h_{t-1}, x_t] + b_z)
    r_t = σ(W_r·[h_{t-1}, x_t] + b_r)
    n_t = h~_t = tanh(W_n·[r_t * h_{t-1}, x_t] + b_n)        (W_n is the textbook's W)
    h_t = (1 - z_t) * h_{t-1} + z_t * n_t

Equations, convention ``torch`` (``nn.GRU``; also Keras ``GRU(reset_after=True)``)
-------------------------------------------------------------------------------
    r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)          = σ(W_r·[h, x] + b_r),  b_r = b_ir + b_hr
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)          = σ(W_z·[h, x] + b_z)
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))  (b_n = b_in; hn_t = W_hn h + b_hn)
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

The two differ in where r acts (on h before the matrix, or on the matrix product) and in the
role of z (textbook: the share of the new candidate; torch: the share of the old state).
Keras ``GRU(reset_after=False)`` (bias [3H]) puts r where the textbook does and mixes
``h = z h_prev + (1 - z) n``; it is loaded as the textbook convention with ``z_textbook = 1 - z_keras``
(``W_z``, ``b_z`` negated, since σ(-a) = 1 - σ(a)).

Output layer, loss and BPTT: as in the LSTM/RNN engines (``y_t = V h_t + b_y``; ``target`` [O] on the
last step or [T, O] on every step gives ``L = 1/2 Σ ||y_t - target_t||^2``; otherwise
``L = sum(y_T)``, or ``sum(outputs_T)`` without V). Per step: total ``dL/dh_t`` and its norm, and
the Jacobian ``dh_t/dh_{t-1}`` split into the direct (gated copy) path, ``diag(1 - z_t)``
(textbook) or ``diag(z_t)`` (torch), and the rest (through r, z, n); spectral norms.
At t = 0 each run records ``dL/dh_0`` and its Euclidean norm ``dh0_norm``.
Stacked and bidirectional runs, suffixes and initial states as in :mod:`engines.lstm`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from . import layouts as L
from . import _recurrent as R
from . import cells
from .errors import InputError
from .io import ModelKeys, as_array, check_inputs, check_shape, sequence
from .trace import Array, Record

CONVENTIONS = ("textbook", "torch")
KEYS = ModelKeys(inputs=("x", "h0", "target"), options=("convention", "layers", "bidirectional"),
                 weights=("W_r", "W_z", "W_n", "b_r", "b_z", "b_n", "b_hn", "V", "b_y"))
MODEL_KEYS = {"gru": KEYS}
_BASES = {"ours": ("W_r", "W_z", "W_n", "W", "W_h", "b_r", "b_z", "b_n", "b", "b_h", "b_hn"),
          "torch": ("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
          "keras": ("kernel", "recurrent_kernel", "bias")}
_OUTPUT = ("V", "b_y", "dense_kernel", "dense_bias")
_LISTED = {"ours": KEYS.weights, "torch": ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "V", "b_y"),
           "keras": ("kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias")}
_OURS_W = {"r": ("W_r",), "z": ("W_z",), "n": ("W_n", "W", "W_h")}
_OURS_B = {"r": ("b_r",), "z": ("b_z",), "n": ("b_n", "b", "b_h")}


@dataclass(frozen=True)
class GRUCell(Record):
    """Weights of one (layer, direction): W_* [H, H + D_k] on [h_{t-1}, x_t]."""
    layer: int
    direction: str
    W_r: Array
    W_z: Array
    W_n: Array
    b_r: Array
    b_z: Array
    b_n: Array
    b_hn: Array              # zeros in the textbook convention

    @property
    def hidden(self) -> int:
        return int(self.b_r.shape[0])

    @property
    def input_size(self) -> int:
        return int(self.W_r.shape[1]) - self.hidden


@dataclass(frozen=True)
class GRUParams(Record):
    convention: str
    hidden: int
    input_size: int
    num_layers: int
    bidirectional: bool
    cells: tuple[GRUCell, ...]
    V: Array | None = None
    b_y: Array | None = None
    layout: str = "ours"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.convention not in CONVENTIONS:
            raise InputError(f"convention is {self.convention!r}, expected one of: {', '.join(CONVENTIONS)}")
        H, dirs = self.hidden, self.directions
        for cell, sfx in R.checked_cells(self.cells, "rzn", H, self.input_size, self.num_layers, dirs, "GRU"):
            check_shape(f"b_hn{sfx}", cell.b_hn, (H,), "(hidden,)")
            if self.convention == "textbook" and np.any(cell.b_hn != 0):
                raise InputError(f"b_hn{sfx} is non-zero but the textbook convention has no b_hn; use --convention torch")
        R.check_output_layer(self.V, self.b_y, H, dirs)

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @classmethod
    def from_weights(cls, weights: Mapping[str, Any], *, input_size: int | None = None,
                     convention: str | None = None, layers: int | None = None,
                     bidirectional: bool | None = None) -> "GRUParams":
        """Build from our names, a PyTorch ``nn.GRU`` state_dict or Keras ``GRU`` weights (auto-detected)."""
        if not isinstance(weights, Mapping) or not weights:
            raise InputError("GRU weights are empty; expected W_r, W_z, W_n, b_r, b_z, b_n (or PyTorch/Keras names)")
        if convention is not None and convention not in CONVENTIONS:
            raise InputError(f"convention is {convention!r}, expected one of: {', '.join(CONVENTIONS)}")
        layout = L.detect(weights)
        shown = None
        if layout == "keras":
            weights, shown = L.keras_names(weights, "gru")
        n_layers, bidir = R.stack_options(*L.count_runs(weights, layout), layers, bidirectional)
        L.check_recurrent_names(weights, weight_names(layout, layers=n_layers, bidirectional=bidir), "gru", layout,
                                n_layers, bidir, shown, _LISTED[layout])
        if layout == "torch":
            implied = "torch"
            H, D, cells = _from_torch(weights, n_layers, bidir)
        elif layout == "keras":
            H, D, cells, implied = _from_keras(weights, n_layers, bidir)
        else:
            implied = "torch" if any(k.startswith("b_hn") for k in weights) else None
            H, D, cells = _from_ours(weights, n_layers, bidir, input_size)
        if implied is not None and convention is not None and convention != implied:
            if layout == "ours":
                raise InputError(f"b_hn is given but the {convention} convention has no b_hn; drop b_hn or use --convention torch")
            what = {"torch": "PyTorch GRU weights", "keras": "Keras GRU weights"}[layout]
            raise InputError(f"--convention {convention} conflicts with the {what}, which use the {implied} convention")
        conv = convention or implied or "textbook"
        dirs = 2 if bidir else 1
        cells = tuple(GRUCell(k // dirs, "backward" if k % dirs else "forward", **c) for k, c in enumerate(cells))
        V, b_y = R.read_output_layer(weights, ("V", "dense_kernel"), ("b_y", "dense_bias"))
        return cls(conv, H, D, n_layers, bidir, cells, V, b_y, layout)


def weight_names(layout: str = "ours", *, layers: int = 1, bidirectional: bool = False) -> list[str]:
    """Every weight name the GRU reads in a layout (``ours``, ``torch``, ``keras``, after Keras's saved
    names are read as in :mod:`engines.layouts`) for ``layers`` x directions runs."""
    return L.recurrent_names(layout, _BASES[layout], layers, bidirectional) + list(_OUTPUT)


def _from_ours(weights, n_layers, bidir, input_size):
    dirs = 2 if bidir else 1
    first = {}
    for g in "rzn":
        for kind, table in (("W", _OURS_W), ("b", _OURS_B)):
            got = L.get_ours(weights, table[g], 0, False)
            if got is None:
                raise InputError(f"GRU weights are missing {' or '.join(table[g])}; found {', '.join(sorted(weights))} "
                                 "(expected W_r, W_z, W_n [H, H+D] and b_r, b_z, b_n [H], or PyTorch/Keras names)")
            first[kind + g] = as_array(got[0], got[1], 2 if kind == "W" else 1)
    H = L.mode([first["W" + g].shape[0] for g in "rzn"] + [first["b" + g].shape[0] for g in "rzn"],
               prefer=first["br"].shape[0])
    D = L.mode([first["W" + g].shape[1] - H for g in "rzn"] + ([input_size] if input_size is not None else []),
               prefer=input_size)
    if D < 1:
        raise InputError(f"W_r has shape {first['Wr'].shape}, expected ({H}, {H} + input) = (hidden, hidden + input)")
    cells = []
    for k in range(n_layers):
        for rev in range(dirs):
            c = L.ours_cell(weights, _OURS_W, _OURS_B, "rzn", k, rev, H, D, dirs, n_layers, bidir, "GRU")
            got = L.get_ours(weights, ("b_hn",), k, bool(rev))
            if got is not None:
                c["b_hn"] = as_array(got[0], got[1], 1)
                check_shape(got[0], c["b_hn"], (H,), "(hidden,)")
            else:
                c["b_hn"] = np.zeros(H)
            cells.append(c)
    return H, D, cells


def _from_torch(weights, n_layers, bidir):
    dirs = 2 if bidir else 1
    for n in ("weight_ih_l0", "weight_hh_l0"):
        if n not in weights:
            raise InputError(f"PyTorch GRU weights are missing {n}; found {', '.join(sorted(weights))}")
    as_array("weight_hh_l0", weights["weight_hh_l0"], 2)
    H = L.infer_hidden(weights, 3, "torch")
    D = as_array("weight_ih_l0", weights["weight_ih_l0"], 2).shape[1]
    cells = []
    for k in range(n_layers):
        for rev in range(dirs):
            sfx = L.suffix(k, bool(rev))
            wih, whh = L.torch_mats(weights, k, rev, 3, H, D, dirs, n_layers, bidir, "GRU")
            bs = {}
            for n in ("bias_ih", "bias_hh"):
                b = np.zeros(3 * H)
                if n + sfx in weights:
                    b = as_array(n + sfx, weights[n + sfx], 1)
                    check_shape(n + sfx, b, (3 * H,), "(3*hidden,)")
                bs[n] = [b[j * H:(j + 1) * H] for j in range(3)]
            c = {}
            for j, g in enumerate("rzn"):
                c[f"W_{g}"] = np.hstack([whh[j], wih[j]])  # [H, H] | [H, D] -> [H, H + D]
            c["b_r"] = bs["bias_ih"][0] + bs["bias_hh"][0]
            c["b_z"] = bs["bias_ih"][1] + bs["bias_hh"][1]
            c["b_n"] = bs["bias_ih"][2]
            c["b_hn"] = bs["bias_hh"][2]
            cells.append(c)
    return H, D, cells


def _from_keras(weights, n_layers, bidir):
    dirs = 2 if bidir else 1
    for n in ("kernel", "recurrent_kernel"):
        if n not in weights and n + "_l0" not in weights:
            raise InputError(f"Keras GRU weights are missing {n}; found {', '.join(sorted(weights))}")
    as_array("recurrent_kernel", weights.get("recurrent_kernel", weights.get("recurrent_kernel_l0")), 2)
    H = L.infer_hidden(weights, 3, "keras")
    D = as_array("kernel", weights.get("kernel", weights.get("kernel_l0")), 2).shape[0]
    cells = []
    convention = None
    for k in range(n_layers):
        for rev in range(dirs):
            ker, rec, nb = L.keras_mats(weights, k, rev, 3, H, D, dirs, "GRU")
            bias = np.zeros((2, 3 * H))
            after = True
            if nb:
                b = as_array(nb, weights[nb])
                if b.shape == (3 * H,):
                    after = False
                    bias = np.vstack([b, np.zeros(3 * H)])  # [3H] -> [2, 3H]
                else:
                    check_shape(nb, b, (2, 3 * H), "(2, 3*units) for reset_after=True, or (3*units,) for reset_after=False")
                    bias = b
            conv = "torch" if after else "textbook"
            if convention is not None and conv != convention:
                raise InputError(f"{nb} mixes reset_after=True and reset_after=False layers")
            convention = conv
            b_in = [bias[0, j * H:(j + 1) * H] for j in range(3)]  # Keras columns: z, r, h
            b_rec = [bias[1, j * H:(j + 1) * H] for j in range(3)]
            Wz = np.hstack([rec[0].T, ker[0].T])  # [H, H] | [H, D] -> [H, H + D]
            Wr = np.hstack([rec[1].T, ker[1].T])
            Wn = np.hstack([rec[2].T, ker[2].T])
            if after:
                c = {"W_r": Wr, "W_z": Wz, "W_n": Wn, "b_r": b_in[1] + b_rec[1], "b_z": b_in[0] + b_rec[0],
                     "b_n": b_in[2], "b_hn": b_rec[2]}
            else:  # textbook with z_textbook = 1 - z_keras = σ(-a_z)
                c = {"W_r": Wr, "W_z": -Wz, "W_n": Wn, "b_r": b_in[1], "b_z": -b_in[0], "b_n": b_in[2],
                     "b_hn": np.zeros(H)}
            cells.append(c)
    return H, D, cells, convention


def to_torch(params: GRUParams) -> dict[str, np.ndarray]:
    """The same weights as a PyTorch ``nn.GRU`` state_dict (torch convention only)."""
    if params.convention != "torch":
        raise InputError("only torch-convention GRU weights can be written in PyTorch layout")
    H, out = params.hidden, {}
    for idx, cell in enumerate(params.cells):
        k, rev = divmod(idx, params.directions)
        sfx = L.suffix(k, bool(rev))
        Ws = [cell.W_r, cell.W_z, cell.W_n]
        out["weight_ih" + sfx] = np.vstack([W[:, H:] for W in Ws])  # 3 x [H, D] -> [3H, D]
        out["weight_hh" + sfx] = np.vstack([W[:, :H] for W in Ws])  # 3 x [H, H] -> [3H, H]
        out["bias_ih" + sfx] = np.concatenate([cell.b_r, cell.b_z, cell.b_n])
        out["bias_hh" + sfx] = np.concatenate([np.zeros(H), np.zeros(H), cell.b_hn])
    return out


def to_keras(params: GRUParams) -> dict[str, np.ndarray]:
    """The same weights in Keras layout: reset_after=True (torch convention) or False (textbook)."""
    H, out = params.hidden, {}
    for idx, cell in enumerate(params.cells):
        k, rev = divmod(idx, params.directions)
        sfx = "" if idx == 0 else L.suffix(k, bool(rev))
        sign = 1.0 if params.convention == "torch" else -1.0  # textbook z = 1 - keras z
        Ws = [sign * cell.W_z, cell.W_r, cell.W_n]          # Keras columns: z, r, h
        out["kernel" + sfx] = np.hstack([W[:, H:].T for W in Ws])            # [D, 3H]
        out["recurrent_kernel" + sfx] = np.hstack([W[:, :H].T for W in Ws])  # [H, 3H]
        b_in = np.concatenate([sign * cell.b_z, cell.b_r, cell.b_n])
        if params.convention == "torch":
            out["bias" + sfx] = np.vstack([b_in, np.concatenate([np.zeros(2 * H), cell.b_hn])])  # [2, 3H]
        else:
            out["bias" + sfx] = b_in                                                                # [3H]
    return out


# --------------------------------------------------------------------------- trace

@dataclass(frozen=True)
class GRUStep(Record):
    t: int
    x: Array            # [D_k]
    h_prev: Array       # [H]
    r: Array            # [H] reset gate
    z: Array            # [H] update gate
    n: Array            # [H] candidate h~
    h: Array            # [H]
    hx: Array           # [H + D_k] [h_{t-1}, x_t]
    a_r: Array          # [H] pre-activations
    a_z: Array
    a_n: Array
    m_r: Array | None = None  # [H] W_r·[h_{t-1}, x_t] (before the bias); likewise m_z
    m_z: Array | None = None
    m_n: Array | None = None  # textbook: W_n·[r*h, x]; torch: W_in x (the input part)
    keep: Array | None = None  # the share of h_{t-1} kept: (1-z)*h_prev (textbook) or z*h_prev (torch)
    new: Array | None = None   # the share of the candidate: z*n (textbook) or (1-z)*n (torch)
    rh: Array | None = None   # textbook: r * h_{t-1}
    hn: Array | None = None   # torch: W_hn h_{t-1} + b_hn
    r_hn: Array | None = None  # torch: r * hn


@dataclass(frozen=True)
class GRURun(Record):
    layer: int
    direction: str
    h0: Array
    steps: tuple[GRUStep, ...]
    outputs: Array      # [T, H] time order
    h_n: Array


@dataclass(frozen=True)
class GRUGradStep(Record):
    t: int
    dh: Array           # [H] dL/dh_t (total)
    dh_norm: float
    da_r: Array
    da_z: Array
    da_n: Array
    dx: Array           # [D_k]
    J: Array            # [H, H] dh_t/dh_{t-1}
    J_direct: Array     # diag(1 - z_t) (textbook) or diag(z_t) (torch)
    J_rest: Array
    J_norm: float
    J_direct_norm: float
    J_rest_norm: float


@dataclass(frozen=True)
class GRURunGrad(Record):
    layer: int
    direction: str
    steps: tuple[GRUGradStep, ...]
    dW_r: Array
    dW_z: Array
    dW_n: Array
    db_r: Array
    db_z: Array
    db_n: Array
    db_hn: Array | None
    dh0: Array          # [H] dL/dh_0 (this run's initial hidden state)
    dh0_norm: float     # ||dL/dh_0||


@dataclass(frozen=True)
class GRUBPTT(Record):
    loss_kind: str
    loss: float
    steps: tuple[GRUGradStep, ...]
    runs: tuple[GRURunGrad, ...]
    dx: Array
    dV: Array | None = None
    db_y: Array | None = None


@dataclass(frozen=True)
class GRUTrace(Record):
    kind: ClassVar[str] = "gru"
    convention: str
    hidden: int
    input_size: int
    num_layers: int
    bidirectional: bool
    steps: tuple[GRUStep, ...]
    h0: Array
    runs: tuple[GRURun, ...]
    xs: Array
    outputs: Array
    h_n: Array
    params: GRUParams
    ys: Array | None = None
    y: Array | None = None
    Vh: Array | None = None     # [O] V outputs_T (y before the bias)
    target: Array | None = None
    bptt: GRUBPTT | None = None


# --------------------------------------------------------------------------- maths

def run_cell(cell: GRUCell, xs: np.ndarray, h0: np.ndarray, convention: str) -> GRURun:
    T = xs.shape[0]
    order = range(T - 1, -1, -1) if cell.direction == "backward" else range(T)
    h = h0
    steps = []
    outputs = np.zeros((T, cell.hidden))
    for tt in order:
        s = cells.gru_step(cell, xs[tt], h, convention)
        steps.append(GRUStep(t=tt + 1, **s))
        outputs[tt] = s["h"]
        h = s["h"]
    return GRURun(cell.layer, cell.direction, h0, tuple(steps), outputs, h)


def run(params: GRUParams, xs: np.ndarray, h0: Any = None, target: np.ndarray | None = None) -> GRUTrace:
    xs = np.asarray(xs, dtype=np.float64)
    H, dirs = params.hidden, params.directions
    h0s = R.initial("h0", h0, params.num_layers * dirs, H)
    runs, outputs = R.run_stack(params.num_layers, dirs, xs,                # [T, D] -> [T, dirs*H]
                                lambda idx, x_in: run_cell(params.cells[idx], x_in, h0s[idx], params.convention))
    ys, y, Vh = R.output_layer(params.V, params.b_y, outputs)               # [T, dirs*H] -> [T, O]
    tgt = None if target is None else np.asarray(target, dtype=np.float64)
    bptt = _bptt(params, runs, outputs, ys, tgt)
    return GRUTrace(params.convention, H, params.input_size, params.num_layers, params.bidirectional,
                    runs[0].steps, runs[0].h0, tuple(runs), xs, outputs, np.stack([r.h_n for r in runs]),
                    params, ys, y, Vh, tgt, bptt)


def _backward_run(cell: GRUCell, r: GRURun, g_h: np.ndarray, convention: str):
    """Backprop through one run given dL/dh_t from above ([T, H], time order). Returns (grads, dx [T, D_k])."""
    H = cell.hidden
    T = len(r.steps)
    dx_all = np.zeros((T, cell.input_size))
    acc = {f"{k}_{g}": np.zeros_like(getattr(cell, f"{k}_{g}")) for g in "rzn" for k in ("W", "b")}
    acc["b_hn"] = np.zeros(H)
    dh_next = np.zeros(H)
    out = [None] * T
    for p in range(T - 1, -1, -1):
        s = vars(r.steps[p])
        dh = g_h[s["t"] - 1] + dh_next
        b = cells.gru_backward(cell, s, dh, convention)
        for k, v in b["grads"].items():
            acc[k] += v
        dx_all[s["t"] - 1] = b["dx"]
        j = cells.gru_jacobian(cell, s, convention)
        out[p] = GRUGradStep(s["t"], dh, float(np.linalg.norm(dh)), b["da_r"], b["da_z"], b["da_n"], b["dx"],
                             j["J"], j["J_direct"], j["J_rest"], R.spec(j["J"]), R.spec(j["J_direct"]),
                             R.spec(j["J_rest"]))
        dh_next = b["dh_prev"]
    g = GRURunGrad(r.layer, r.direction, tuple(out), acc["W_r"], acc["W_z"], acc["W_n"], acc["b_r"], acc["b_z"],
                   acc["b_n"], acc["b_hn"] if convention == "torch" else None, dh_next, float(np.linalg.norm(dh_next)))
    return g, dx_all


def _bptt(params, runs, outputs, ys, target) -> GRUBPTT:
    kind, loss, g_out, dV, db_y = R.loss_grad(params.V, outputs, ys, target)
    grads, dx = R.backward_stack(params.num_layers, params.directions, params.hidden, g_out,   # [T, dirs*H] -> [T, D]
                                 lambda idx, g_h: _backward_run(params.cells[idx], runs[idx], g_h, params.convention))
    return GRUBPTT(kind, loss, grads[0].steps, tuple(grads), dx, dV, db_y)


# --------------------------------------------------------------------------- engine protocol

def build(weights: Mapping[str, Any], inputs: Mapping[str, Any] | None, *, convention: str | None = None,
          layers: int | None = None, bidirectional: bool | None = None) -> GRUTrace:
    check_inputs(inputs, KEYS)
    width = R.input_width(inputs, "GRU")
    params = GRUParams.from_weights(weights, input_size=width, convention=convention, layers=layers,
                                    bidirectional=bidirectional)
    xs = sequence("x", inputs["x"], params.input_size)      # [T, D]
    O = params.V.shape[0] if params.V is not None else params.hidden * params.directions
    target = R.read_target(inputs.get("target"), O, xs.shape[0])
    return run(params, xs, inputs.get("h0"), target)


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int, convention: str | None = None,
           layers: int | None = None, bidirectional: bool | None = None, output: int = 1,
           **_: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Random weights in our names (uniform(-1, 1)) and inputs (standard normal), from ``rng``."""
    return R.random_weights(rng, hidden, input_size, layers, bidirectional, "rzn",
                            ("b_hn",) if convention == "torch" else (), output, steps)
