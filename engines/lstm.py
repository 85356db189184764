"""LSTM engine: standard and peephole cells, stacked and bidirectional, with BPTT (the step, its
backward pass and the Jacobian dc_t/dc_{t-1} are :mod:`engines.cells`; this module runs them over time).

Notation (colah's "Understanding LSTM Networks")
-------------------------------------------------
``H`` hidden size, ``D`` input size, ``T`` steps, ``O`` output size.
``x_t`` [D] input at step t (t = 1..T), ``h_t`` [H] hidden state, ``c_t`` [H] cell state (colah's C_t).
``[h_{t-1}, x_t]`` [H + D] the concatenation, **h first** (as in colah's figures).
``f_t`` forget gate, ``i_t`` input gate, ``o_t`` output gate, each in (0, 1).
``g_t`` the candidate cell value: **g is colah's C~_t** (C-tilde; PyTorch also calls it g).
``z_f, z_i, z_g, z_o`` the pre-activations. ``W_f, W_i, W_C (= W_g), W_o`` [H, H + D],
``b_f, b_i, b_C (= b_g), b_o`` [H]. ``σ`` logistic sigmoid, ``*`` element-wise product.
Peephole weights ``P_f, P_i, P_o`` [H] are diagonal (one weight per unit).
Optional linear output layer ``V`` [O, H] (``[O, 2H]`` if bidirectional), ``b_y`` [O].

Equations (standard)
--------------------
    z_f = W_f·[h_{t-1}, x_t] + b_f        f_t = σ(z_f)
    z_i = W_i·[h_{t-1}, x_t] + b_i        i_t = σ(z_i)
    z_g = W_C·[h_{t-1}, x_t] + b_C        g_t = C~_t = tanh(z_g)
    c_t = f_t * c_{t-1} + i_t * g_t
    z_o = W_o·[h_{t-1}, x_t] + b_o        o_t = σ(z_o)
    h_t = o_t * tanh(c_t)
    y_t = V h_t + b_y                      (y = y_T: many-to-one, "predict y from x1, x2, x3")

Peephole variant (Gers & Schmidhuber 2000; diagonal peepholes)
--------------------------------------------------------------
colah writes ``W_f·[C_{t-1}, h_{t-1}, x_t]``; we use the standard *diagonal* peephole
(each unit sees only its own cell), i.e. the C-block of colah's matrix is ``diag(P)``:

    z_f += P_f * c_{t-1}      z_i += P_i * c_{t-1}      z_o += P_o * c_t

Full peephole variant (``peephole-full``: the lecture notes' matrices)
---------------------------------------------------------------------
``W_f, W_i, W_o`` [H, 2H + D] act on ``[C_{t-1}, h_{t-1}, x_t]`` (``[C_t, h_{t-1}, x_t]`` for o:
the NEW cell state), ``W_C`` stays [H, H + D] on ``[h_{t-1}, x_t]``. With ``W^c = W[:, :H]``:

    f_t = σ(W_f·[C_{t-1}, h_{t-1}, x_t] + b_f)     (computed as m_f + b_f + W_f^c·C_{t-1})
    i_t = σ(W_i·[C_{t-1}, h_{t-1}, x_t] + b_i)
    o_t = σ(W_o·[C_t, h_{t-1}, x_t] + b_o)
One layer, one direction.

Stacked and bidirectional (PyTorch semantics)
---------------------------------------------
Layer 0 reads ``x``; layer k+1 reads the outputs of layer k. A bidirectional layer also runs a
backward pass over the reversed sequence; its output at time t is ``[h_fwd_t, h_bwd_t]`` [2H].
Weights per layer/direction carry PyTorch-style suffixes: ``W_f`` (= ``W_f_l0``), ``W_f_l1``,
``W_f_l0_reverse`` (= ``W_f_reverse``). Initial states ``h0``/``c0``: [H] for one run, or
``[layers * directions, H]`` in PyTorch order (l0 fwd, l0 bwd, l1 fwd, ...).

Loss and BPTT (convention shared with the RNN engine)
-----------------------------------------------------
With ``target`` in the inputs: ``L = 1/2 ||y_T - target||^2`` (target [O]), or summed over steps
``L = 1/2 Σ_t ||y_t - target_t||^2`` (target [T, O]); ``y`` is the top output itself when there
is no ``V``. Without a target: ``L = sum(y_T)`` if ``V`` is given, else ``L = sum(outputs_T)``.
BPTT gives, per step, the total ``dL/dh_t`` (h_t as a node: paths into y_t and into step t+1)
and the total ``dL/dc_t`` (including the path through ``h_t = o_t tanh(c_t)``), the gradients of
every weight, and the Jacobian ``dc_t/dc_{t-1}`` (with ``h_{t-1} = o_{t-1} tanh(c_{t-1})``, so the
paths through h_{t-1} into f, i, g count; at t = 1 the given h0 is held fixed) split as

    dc_t/dc_{t-1} = A_t + B_t + C_t + D_t,   B_t = diag(f_t)  (the additive forget-gate path)
    A_t = diag(c_{t-1} σ'(z_f)) (W_f^h diag(dh_{t-1}/dc_{t-1}) [+ diag(P_f)])
    C_t = diag(g_t σ'(z_i))     (W_i^h diag(dh_{t-1}/dc_{t-1}) [+ diag(P_i)])
    D_t = diag(i_t tanh'(z_g))   W_C^h diag(dh_{t-1}/dc_{t-1})

``W^h`` is the first H columns of W (the part acting on h_{t-1}); "rest" = A + C + D.
Matrix norms are spectral norms (largest singular value). At t = 0 each run records ``dL/dh_0``,
``dL/dc_0`` and their Euclidean norms ``dh0_norm``, ``dc0_norm``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from . import layouts as L
from . import _recurrent as R
from . import cells
from . import lstm_peephole_full as P
from .errors import InputError
from .io import ModelKeys, as_array, check_inputs, check_shape, sequence
from .trace import Array, Record

VARIANTS = ("standard", "peephole", "peephole-full")
GATES = ("f", "i", "g", "o")
KEYS = ModelKeys(inputs=("x", "h0", "c0", "target"), options=("variant", "layers", "bidirectional"),
                 weights=("W_f", "W_i", "W_C", "W_o", "b_f", "b_i", "b_C", "b_o", "P_f", "P_i", "P_o", "V", "b_y"))
MODEL_KEYS = {"lstm": KEYS}
_BASES = {"ours": ("W_f", "W_i", "W_C", "W_g", "W_c", "W_o", "b_f", "b_i", "b_C", "b_g", "b_c", "b_o"),
          "torch": ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"),
          "keras": ("kernel", "recurrent_kernel", "bias")}
_OUTPUT = ("V", "W_y", "b_y", "dense_kernel", "dense_bias")
_LISTED = {"ours": KEYS.weights, "torch": ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "V", "b_y"),
           "keras": ("kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias")}
_TORCH_ORDER = ("i", "f", "g", "o")   # rows of weight_ih / weight_hh
_KERAS_ORDER = ("i", "f", "g", "o")   # columns of kernel (Keras calls g "c")


# --------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class LSTMCell(Record):
    """Weights of one (layer, direction) in our layout: each W [H, H + D_k] acts on [h_{t-1}, x_t]
    (full peepholes: W_f, W_i, W_o [H, 2H + D] act on [c, h_{t-1}, x_t])."""
    layer: int
    direction: str            # "forward" | "backward"
    W_f: Array
    W_i: Array
    W_g: Array                # = W_C
    W_o: Array
    b_f: Array
    b_i: Array
    b_g: Array                # = b_C
    b_o: Array
    P_f: Array | None = None  # peephole (diagonal), [H]
    P_i: Array | None = None
    P_o: Array | None = None

    @property
    def hidden(self) -> int:
        return int(self.b_f.shape[0])

    @property
    def input_size(self) -> int:
        return int(self.W_g.shape[1]) - self.hidden


@dataclass(frozen=True)
class LSTMParams(Record):
    """All weights: cells in PyTorch order (l0 fwd, l0 bwd, l1 fwd, ...) and the output layer."""
    variant: str
    hidden: int
    input_size: int
    num_layers: int
    bidirectional: bool
    cells: tuple[LSTMCell, ...]
    V: Array | None = None
    b_y: Array | None = None
    layout: str = "ours"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.variant not in VARIANTS:
            raise InputError(f"variant is {self.variant!r}, expected one of: {', '.join(VARIANTS)}")
        H, dirs = self.hidden, 2 if self.bidirectional else 1
        if self.variant == "peephole-full":
            P.check_full_cells(self)
            return
        for cell, sfx in R.checked_cells(self.cells, GATES, H, self.input_size, self.num_layers, dirs, "LSTM"):
            for p in ("P_f", "P_i", "P_o"):
                v = getattr(cell, p)
                if self.variant == "peephole":
                    if v is None:
                        raise InputError(f"variant peephole needs {p}{sfx} (diagonal peephole weights, shape ({H},))")
                    check_shape(f"{p}{sfx}", v, (H,), "(hidden,)")
                elif v is not None:
                    raise InputError(f"{p}{sfx} given but variant is standard; use --variant peephole")
        R.check_output_layer(self.V, self.b_y, H, dirs)

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def cell(self, layer: int, reverse: bool = False) -> LSTMCell:
        return self.cells[layer * self.directions + int(reverse)]

    # ---- constructors ---------------------------------------------------------------

    @classmethod
    def from_weights(cls, weights: Mapping[str, Any], *, input_size: int | None = None,
                     variant: str | None = None, layers: int | None = None,
                     bidirectional: bool | None = None) -> "LSTMParams":
        """Build from our names, a PyTorch ``nn.LSTM`` state_dict or Keras ``LSTM`` weights (auto-detected)."""
        if not isinstance(weights, Mapping) or not weights:
            raise InputError("LSTM weights are empty; expected W_f, W_i, W_C, W_o, b_f, ... (or PyTorch/Keras names)")
        layout = L.detect(weights)
        full = P.full_matrices(weights) if layout == "ours" else None
        if full and variant in (None, "peephole-full"):
            H, D, c, V, b_y = P.read_full(weights, input_size, layers, bidirectional)
            return cls("peephole-full", H, D, 1, False, (LSTMCell(0, "forward", **c),), V, b_y, "ours")
        if full:
            raise InputError(full + "; use --variant peephole-full")
        if variant == "peephole-full":
            raise InputError(P.not_full(weights, layout))
        shown = None
        if layout == "keras":
            weights, shown = L.keras_names(weights, "lstm")
        n_layers, bidir = L.count_runs(weights, layout)
        if variant is None:
            variant = "peephole" if any(k.startswith("P_") for k in weights) else "standard"
        if variant not in VARIANTS:
            raise InputError(f"variant is {variant!r}, expected one of: {', '.join(VARIANTS)}")
        n_layers, bidir = R.stack_options(n_layers, bidir, layers, bidirectional)
        L.check_recurrent_names(weights, weight_names(layout, layers=n_layers, bidirectional=bidir), "lstm", layout,
                                n_layers, bidir, shown, _LISTED[layout])
        if layout == "torch":
            H, D, cells = _from_torch(weights, n_layers, bidir)
        elif layout == "keras":
            H, D, cells = _from_keras(weights, n_layers, bidir)
        else:
            H, D, cells = _from_ours(weights, n_layers, bidir, input_size)
        dirs = 2 if bidir else 1
        peep = []
        for idx in range(len(cells)):
            k, rev = divmod(idx, dirs)
            ps = {}
            for p in ("P_f", "P_i", "P_o"):
                got = L.get_ours(weights, (p,), k, bool(rev))
                if got is not None:
                    ps[p] = as_array(got[0], got[1], 1)
                    check_shape(got[0], ps[p], (H,), "(hidden,)")
            peep.append(ps)
        cells = [LSTMCell(k // dirs, "backward" if k % dirs else "forward", **c, **p) if variant == "peephole"
                 else LSTMCell(k // dirs, "backward" if k % dirs else "forward", **c)
                 for k, (c, p) in enumerate(zip(cells, peep))]
        if variant == "standard":
            extra = sorted(k for k in weights if k.startswith("P_"))
            if extra:
                raise InputError(f"{extra[0]} given but variant is standard; use --variant peephole")
        V, b_y = R.read_output_layer(weights, ("V", "W_y", "dense_kernel"), ("dense_bias", "b_y"))
        return cls(variant, H, D, n_layers, bidir, tuple(cells), V, b_y, layout)


def weight_names(layout: str = "ours", *, layers: int = 1, bidirectional: bool = False) -> list[str]:
    """Every weight name the LSTM reads in a layout (``ours``, ``torch``, ``keras``, after Keras's saved
    names are read as in :mod:`engines.layouts`) for ``layers`` x directions runs."""
    return (L.recurrent_names(layout, _BASES[layout], layers, bidirectional)
            + L.recurrent_names("ours", ("P_f", "P_i", "P_o"), layers, bidirectional) + list(_OUTPUT))


def _mat(name: str, v: Any) -> np.ndarray:
    return as_array(name, v, 2)


def _vec(name: str, v: Any) -> np.ndarray:
    return as_array(name, v, 1)


def _from_ours(weights: Mapping[str, Any], n_layers: int, bidir: bool, input_size: int | None):
    dirs = 2 if bidir else 1
    bases = {"f": ("W_f",), "i": ("W_i",), "g": ("W_C", "W_g", "W_c"), "o": ("W_o",)}
    bbases = {"f": ("b_f",), "i": ("b_i",), "g": ("b_C", "b_g", "b_c"), "o": ("b_o",)}
    # Hidden and input sizes from layer 0 forward: the most common reading wins, so a single
    # wrong tensor is the one named in the error.
    first: dict[str, tuple[str, np.ndarray]] = {}
    for gname in GATES:
        for kind, table in (("W", bases), ("b", bbases)):
            got = L.get_ours(weights, table[gname], 0, False)
            if got is None:
                names = " or ".join(table[gname])
                raise InputError(f"LSTM weights are missing {names}; found {', '.join(sorted(weights))} "
                                 "(expected W_f, W_i, W_C, W_o [H, H+D] and b_f, b_i, b_C, b_o [H], or PyTorch/Keras names)")
            first[f"{kind}_{gname}"] = (got[0], (_mat if kind == "W" else _vec)(*got))
    H = L.mode([first[f"W_{g}"][1].shape[0] for g in GATES] + [first[f"b_{g}"][1].shape[0] for g in GATES],
               prefer=first["b_f"][1].shape[0])
    widths = [first[f"W_{g}"][1].shape[1] - H for g in GATES]
    D = L.mode(widths + ([input_size] if input_size is not None else []), prefer=input_size)
    if D < 1:
        name, W = first["W_f"]
        raise InputError(f"{name} has shape {W.shape}, expected ({H}, {H} + input) = (hidden, hidden + input)")
    cells = [L.ours_cell(weights, bases, bbases, GATES, k, rev, H, D, dirs, n_layers, bidir, "LSTM")
             for k in range(n_layers) for rev in range(dirs)]
    return H, D, cells


def _from_torch(weights: Mapping[str, Any], n_layers: int, bidir: bool):
    dirs = 2 if bidir else 1
    if "weight_hh_l0" not in weights:
        raise InputError(f"PyTorch LSTM weights are missing weight_hh_l0; found {', '.join(sorted(weights))}")
    _mat("weight_hh_l0", weights["weight_hh_l0"])
    H = L.infer_hidden(weights, 4, "torch")
    if "weight_ih_l0" not in weights:
        raise InputError(f"PyTorch LSTM weights are missing weight_ih_l0; found {', '.join(sorted(weights))}")
    D = _mat("weight_ih_l0", weights["weight_ih_l0"]).shape[1]
    if any(k.startswith("weight_hr_l") for k in weights):
        raise InputError("weight_hr_l0 found: LSTMs with proj_size > 0 are not supported")
    cells = []
    for k in range(n_layers):
        for rev in range(dirs):
            sfx = L.suffix(k, bool(rev))
            wih, whh = L.torch_mats(weights, k, rev, 4, H, D, dirs, n_layers, bidir, "LSTM")
            bias = np.zeros(4 * H)
            for n in ("bias_ih", "bias_hh"):
                if n + sfx in weights:
                    b = _vec(n + sfx, weights[n + sfx])
                    check_shape(n + sfx, b, (4 * H,), "(4*hidden,)")
                    bias = bias + b  # PyTorch adds its two bias vectors
            bs = [bias[j * H:(j + 1) * H] for j in range(4)]
            c = {}
            for j, gname in enumerate(_TORCH_ORDER):
                c[f"W_{gname}"] = np.hstack([whh[j], wih[j]])  # [H, H] | [H, D] -> [H, H + D] (h first)
                c[f"b_{gname}"] = bs[j]
            cells.append(c)
    return H, D, cells


def _from_keras(weights: Mapping[str, Any], n_layers: int, bidir: bool):
    dirs = 2 if bidir else 1
    for n in ("kernel", "recurrent_kernel"):
        if n not in weights and n + "_l0" not in weights:
            raise InputError(f"Keras LSTM weights are missing {n}; found {', '.join(sorted(weights))}")
    _mat("recurrent_kernel", weights.get("recurrent_kernel", weights.get("recurrent_kernel_l0")))
    H = L.infer_hidden(weights, 4, "keras")
    D = _mat("kernel", weights.get("kernel", weights.get("kernel_l0"))).shape[0]
    cells = []
    for k in range(n_layers):
        for rev in range(dirs):
            ker, rec, nb = L.keras_mats(weights, k, rev, 4, H, D, dirs, "LSTM")
            bias = np.zeros(4 * H)
            if nb:
                bias = _vec(nb, weights[nb])
                check_shape(nb, bias, (4 * H,), "(4*units,)")
            c = {}
            for j, gname in enumerate(_KERAS_ORDER):
                c[f"W_{gname}"] = np.hstack([rec[j].T, ker[j].T])  # [H, H] | [H, D] -> [H, H + D]
                c[f"b_{gname}"] = bias[j * H:(j + 1) * H]
            cells.append(c)
    return H, D, cells


def to_torch(params: LSTMParams) -> dict[str, np.ndarray]:
    """The same weights as a PyTorch ``nn.LSTM`` state_dict (bias_hh all zero; bias_ih carries b)."""
    out: dict[str, np.ndarray] = {}
    H = params.hidden
    for idx, cell in enumerate(params.cells):
        k, rev = divmod(idx, params.directions)
        sfx = L.suffix(k, bool(rev))
        Ws = [getattr(cell, f"W_{g}") for g in _TORCH_ORDER]
        out["weight_ih" + sfx] = np.vstack([W[:, H:] for W in Ws])  # 4 x [H, D] -> [4H, D]
        out["weight_hh" + sfx] = np.vstack([W[:, :H] for W in Ws])  # 4 x [H, H] -> [4H, H]
        out["bias_ih" + sfx] = np.concatenate([getattr(cell, f"b_{g}") for g in _TORCH_ORDER])
        out["bias_hh" + sfx] = np.zeros(4 * H)
    return out


def to_keras(params: LSTMParams) -> dict[str, np.ndarray]:
    """The same weights in Keras layout (``kernel``, ``recurrent_kernel``, ``bias``; our suffixes for l>0/reverse)."""
    out: dict[str, np.ndarray] = {}
    H = params.hidden
    for idx, cell in enumerate(params.cells):
        k, rev = divmod(idx, params.directions)
        sfx = "" if idx == 0 else L.suffix(k, bool(rev))
        Ws = [getattr(cell, f"W_{g}") for g in _KERAS_ORDER]
        out["kernel" + sfx] = np.hstack([W[:, H:].T for W in Ws])            # 4 x [D, H] -> [D, 4H]
        out["recurrent_kernel" + sfx] = np.hstack([W[:, :H].T for W in Ws])  # 4 x [H, H] -> [H, 4H]
        out["bias" + sfx] = np.concatenate([getattr(cell, f"b_{g}") for g in _KERAS_ORDER])
    return out


# --------------------------------------------------------------------------- trace

@dataclass(frozen=True)
class LSTMStep(Record):
    """One step of one run. ``t`` is the time index (1..T) of the input consumed."""
    t: int
    x: Array          # [D_k]
    h_prev: Array     # [H]
    c_prev: Array     # [H]
    f: Array          # [H] forget gate
    i: Array          # [H] input gate
    g: Array          # [H] candidate C~
    o: Array          # [H] output gate
    c: Array          # [H] cell state
    h: Array          # [H] hidden state
    tanh_c: Array     # [H]
    hx: Array         # [H + D_k] the concatenation [h_{t-1}, x_t]
    z_f: Array        # [H] pre-activations
    z_i: Array
    z_g: Array
    z_o: Array
    m_f: Array        # [H] W_f·[h_{t-1}, x_t] (before bias and peephole); likewise m_i, m_g, m_o
    m_i: Array
    m_g: Array
    m_o: Array
    fc: Array         # [H] f_t * c_{t-1} (what the cell keeps)
    ig: Array         # [H] i_t * g_t (what the cell writes)
    pc_f: Array | None = None   # [H] peephole terms P_f * c_{t-1}, P_i * c_{t-1}, P_o * c_t
    pc_i: Array | None = None
    pc_o: Array | None = None


@dataclass(frozen=True)
class LSTMRun(Record):
    """One (layer, direction). Backward runs list their steps in processing order (t = T first)."""
    layer: int
    direction: str
    h0: Array               # [H]
    c0: Array               # [H]
    steps: tuple[LSTMStep, ...]
    outputs: Array          # [T, H] h_t in time order (1..T)
    h_n: Array              # [H] final hidden state (after the last processed step)
    c_n: Array              # [H]


@dataclass(frozen=True)
class LSTMGradStep(Record):
    """BPTT quantities at one step (same order as the run's steps)."""
    t: int
    dh: Array               # [H] dL/dh_t (total)
    dc: Array               # [H] dL/dc_t (total, incl. through h_t = o_t tanh(c_t))
    dh_norm: float
    dc_norm: float
    dz_f: Array             # [H] dL/dz (gate pre-activations)
    dz_i: Array
    dz_g: Array
    dz_o: Array
    dx: Array               # [D_k] dL/dx_t through this run
    J: Array                # [H, H] dc_t/dc_{t-1} = A + B + C + D
    J_forget: Array         # [H, H] B_t = diag(f_t)
    J_rest: Array           # [H, H] A_t + C_t + D_t
    J_A: Array              # through the forget gate's dependence on c_{t-1}
    J_C: Array              # through the input gate
    J_D: Array              # through the candidate g
    J_norm: float
    J_forget_norm: float
    J_rest_norm: float


@dataclass(frozen=True)
class LSTMRunGrad(Record):
    layer: int
    direction: str
    steps: tuple[LSTMGradStep, ...]
    dW_f: Array
    dW_i: Array
    dW_g: Array
    dW_o: Array
    db_f: Array
    db_i: Array
    db_g: Array
    db_o: Array
    dh0: Array              # [H] dL/dh_0 (this run's initial hidden state)
    dc0: Array              # [H] dL/dc_0
    dh0_norm: float         # ||dL/dh_0||
    dc0_norm: float         # ||dL/dc_0||
    dP_f: Array | None = None
    dP_i: Array | None = None
    dP_o: Array | None = None


@dataclass(frozen=True)
class LSTMBPTT(Record):
    loss_kind: str          # "mse_last" | "mse_all" | "sum_y" | "sum_h"
    loss: float
    steps: tuple[LSTMGradStep, ...]   # = runs[0].steps (layer 0 forward)
    runs: tuple[LSTMRunGrad, ...]
    dx: Array               # [T, D] dL/dx_t
    dV: Array | None = None
    db_y: Array | None = None


@dataclass(frozen=True)
class LSTMTrace(Record):
    kind: ClassVar[str] = "lstm"
    variant: str
    hidden: int
    input_size: int
    num_layers: int
    bidirectional: bool
    steps: tuple[LSTMStep, ...]       # layer 0 forward = runs[0].steps
    h0: Array                         # [H] of layer 0 forward
    c0: Array
    runs: tuple[LSTMRun, ...]         # PyTorch order: l0 fwd, l0 bwd, l1 fwd, ...
    xs: Array                         # [T, D]
    outputs: Array                    # [T, H] or [T, 2H] top layer
    h_n: Array                        # [layers*dirs, H]
    c_n: Array
    params: LSTMParams
    ys: Array | None = None           # [T, O] y_t = V outputs_t + b_y
    y: Array | None = None            # [O] = ys[-1]
    Vh: Array | None = None           # [O] V outputs_T (y before the bias)
    target: Array | None = None
    bptt: LSTMBPTT | None = None


# --------------------------------------------------------------------------- maths

def run_cell(cell: LSTMCell, xs: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> LSTMRun:
    """Run one cell over ``xs`` [T, D] (backwards over time for a backward cell)."""
    T = xs.shape[0]
    order = range(T - 1, -1, -1) if cell.direction == "backward" else range(T)
    h, c = h0, c0
    steps = []
    outputs = np.zeros((T, cell.hidden))
    for tt in order:
        s = cells.lstm_step(cell, xs[tt], h, c)
        steps.append(LSTMStep(t=tt + 1, **s))
        outputs[tt] = s["h"]
        h, c = s["h"], s["c"]
    return LSTMRun(cell.layer, cell.direction, h0, c0, tuple(steps), outputs, h, c)


def run(params: LSTMParams, xs: np.ndarray, h0: np.ndarray | None = None, c0: np.ndarray | None = None,
        target: np.ndarray | None = None, *, with_bptt: bool = True) -> LSTMTrace:
    """Forward pass of every layer/direction, the output layer, the loss and BPTT."""
    xs = np.asarray(xs, dtype=np.float64)
    H, dirs = params.hidden, params.directions
    n_runs = params.num_layers * dirs
    h0s = R.initial("h0", h0, n_runs, H)
    c0s = R.initial("c0", c0, n_runs, H)
    runs, outputs = R.run_stack(params.num_layers, dirs, xs,                # [T, D] -> [T, dirs*H]
                                lambda idx, x_in: run_cell(params.cells[idx], x_in, h0s[idx], c0s[idx]))
    ys, y, Vh = R.output_layer(params.V, params.b_y, outputs)               # [T, dirs*H] -> [T, O]
    trace_target = None
    if target is not None:
        trace_target = np.asarray(target, dtype=np.float64)
    bptt = _bptt(params, runs, xs, outputs, ys, trace_target) if with_bptt else None
    return LSTMTrace(
        variant=params.variant, hidden=H, input_size=params.input_size, num_layers=params.num_layers,
        bidirectional=params.bidirectional, steps=runs[0].steps, h0=runs[0].h0, c0=runs[0].c0,
        runs=tuple(runs), xs=xs, outputs=outputs,
        h_n=np.stack([r.h_n for r in runs]), c_n=np.stack([r.c_n for r in runs]),  # [L*dirs, H]
        params=params, ys=ys, y=y, Vh=Vh, target=trace_target, bptt=bptt)


def _backward_run(cell: LSTMCell, r: LSTMRun, g_h: np.ndarray) -> tuple[LSTMRunGrad, np.ndarray]:
    """Backprop through one run given dL/dh_t from above ([T, H], time order). Returns (grads, dx [T, D_k])."""
    H = cell.hidden
    peep = cell.P_f is not None
    T = len(r.steps)
    dx = np.zeros((T, cell.input_size))
    acc = {f"{k}_{gn}": np.zeros_like(getattr(cell, f"{k}_{gn}")) for gn in GATES for k in ("W", "b")}
    acc.update({p: np.zeros(H) for p in ("P_f", "P_i", "P_o")} if peep else {})
    dh_next = np.zeros(H)
    dc_next = np.zeros(H)
    out: list[LSTMGradStep] = [None] * T  # type: ignore[list-item]
    for p in range(T - 1, -1, -1):
        s = vars(r.steps[p])
        dh = g_h[s["t"] - 1] + dh_next
        b = cells.lstm_backward(cell, s, dh, dc_next)
        for k, v in b["grads"].items():
            acc[k] += v
        dh_next, dc_next = b["dh_prev"], b["dc_prev"]
        dx[s["t"] - 1] = b["dx"]
        j = cells.lstm_jacobian(cell, s, vars(r.steps[p - 1]) if p > 0 else None)
        out[p] = LSTMGradStep(
            t=s["t"], dh=dh, dc=b["dc"], dh_norm=float(np.linalg.norm(dh)), dc_norm=float(np.linalg.norm(b["dc"])),
            dz_f=b["dz_f"], dz_i=b["dz_i"], dz_g=b["dz_g"], dz_o=b["dz_o"], dx=b["dx"], **j,
            J_norm=R.spec(j["J"]), J_forget_norm=R.spec(j["J_forget"]), J_rest_norm=R.spec(j["J_rest"]))
    extra = dict(dP_f=acc["P_f"], dP_i=acc["P_i"], dP_o=acc["P_o"]) if peep else {}
    g = LSTMRunGrad(r.layer, r.direction, tuple(out), acc["W_f"], acc["W_i"], acc["W_g"], acc["W_o"],
                    acc["b_f"], acc["b_i"], acc["b_g"], acc["b_o"], dh_next, dc_next,
                    float(np.linalg.norm(dh_next)), float(np.linalg.norm(dc_next)), **extra)
    return g, dx


def _bptt(params: LSTMParams, runs: list[LSTMRun], xs: np.ndarray, outputs: np.ndarray,
          ys: np.ndarray | None, target: np.ndarray | None) -> LSTMBPTT:
    kind, loss, g_out, dV, db_y = R.loss_grad(params.V, outputs, ys, target)
    grads, dx = R.backward_stack(params.num_layers, params.directions, params.hidden, g_out,   # [T, dirs*H] -> [T, D]
                                 lambda idx, g_h: _backward_run(params.cells[idx], runs[idx], g_h))
    return LSTMBPTT(kind, loss, grads[0].steps, tuple(grads), dx, dV, db_y)


# --------------------------------------------------------------------------- engine protocol

def build(weights: Mapping[str, Any], inputs: Mapping[str, Any] | None, *, variant: str | None = None,
          layers: int | None = None, bidirectional: bool | None = None) -> LSTMTrace:
    """Validate weights (ours / PyTorch / Keras) and inputs, run, return the trace."""
    check_inputs(inputs, KEYS)
    width = R.input_width(inputs, "LSTM")
    params = LSTMParams.from_weights(weights, input_size=width, variant=variant, layers=layers,
                                     bidirectional=bidirectional)
    xs = sequence("x", inputs["x"], params.input_size)  # [T, D]
    O = params.V.shape[0] if params.V is not None else params.hidden * params.directions
    target = R.read_target(inputs.get("target"), O, xs.shape[0])
    return run(params, xs, inputs.get("h0"), inputs.get("c0"), target)


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int, variant: str | None = None,
           layers: int | None = None, bidirectional: bool | None = None, output: int = 1,
           **_: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Random weights in our names (uniform(-1, 1)) and inputs (standard normal), from ``rng``."""
    if variant == "peephole-full":
        return P.random(rng, hidden, input_size, steps, output)
    return R.random_weights(rng, hidden, input_size, layers, bidirectional, ("f", "i", "C", "o"),
                            ("P_f", "P_i", "P_o") if variant == "peephole" else (), output, steps)
