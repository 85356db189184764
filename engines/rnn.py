"""Elman (vanilla) RNN: forward pass, BPTT and gradient clipping by norm (the cell step and its
backward pass are :func:`engines.cells.elman_step` / :func:`engines.cells.elman_backward`).

Notation
--------
    T          number of time steps, t = 1 .. T (h_0 is the initial state)
    D, H, O    input size, hidden size, output size
    x_t        input at step t                                   [D]
    h_{t-1}    previous hidden state                             [H]
    U          input-to-hidden weights                           [H, D]
    W          hidden-to-hidden (recurrent) weights              [H, H]
    b_h        hidden bias                                       [H]
    V, b_y     optional output layer                             [O, H], [O]
    f          hidden activation: tanh | relu | sigmoid | step | identity
    g          output activation: identity | sigmoid | softmax ("none": no output layer)
    hx_t       the concatenation [h_{t-1}, x_t] (h first)        [H + D]
    [W U]      the stacked matrix, so that [W U] hx_t = W h_{t-1} + U x_t   [H, H + D]
    m_t        [W U] hx_t                                        [H]
    a_t        pre-activation m_t + b_h                          [H]
    q_t        V h_t                                             [O]
    o_t        output pre-activation q_t + b_y                   [O]
    y_t        output g(o_t)                                     [O]

Equations (the students' 6-step recipe, one line each)
---------
    1. hx_t = [h_{t-1}, x_t]
    2. m_t  = [W U] hx_t            = W h_{t-1} + U x_t
    3. a_t  = m_t + b_h
    4. h_t  = f(a_t)
    5. q_t  = V h_t
    6. y_t  = g(q_t + b_y)

    step(a) = 1 if a > 0 else 0 (its derivative is taken as 0 everywhere, so no
    gradient flows through a step unit); relu'(0) = 0.

Loss convention (one rule, :func:`engines._recurrent.loss_rule`, shared with the LSTM and GRU engines)
---------------
    * inputs has "target" of shape [O] (many-to-one: compared with y_T only) or [T, O]
      (one target per step): L = 1/2 sum_t ||y_t - target_t||^2 over the targeted steps.
      With no output layer the target is compared with h_t (shape [H] / [T, H]). With one
      output, a list of T numbers is one target per step ([T] is read as [T, 1]).
    * no "target": L = sum(y_T) if there is an output layer, else L = sum(h_T).

BPTT
----
    dL/do_t = g'(o_t)^T dL/dy_t
    dL/dh_t = V^T dL/do_t + W^T dL/da_{t+1}        (total derivative, all later paths)
    dL/da_t = f'(a_t) * dL/dh_t
    dL/dU = sum_t dL/da_t x_t^T,  dL/dW = sum_t dL/da_t h_{t-1}^T,  dL/db_h = sum_t dL/da_t
    dL/dV = sum_t dL/do_t h_t^T,  dL/db_y = sum_t dL/do_t,        dL/dh_0 = W^T dL/da_1
    ratio_t = ||dL/dh_{t-1}|| / ||dL/dh_t||  (t = 2..T): below 1 the gradient vanishes
    at t = 0: dh0_norm = ||dL/dh_0||, dh0_ratio = ||dL/dh_0|| / ||dL/dh_1||
    going back in time, above 1 it explodes (compare 0.99^100 = 0.366 and 1.01^100 = 2.705).

Clipping by norm (option clip = beta > 0), global over the parameter gradients
(dU, dW, db_h, dV, db_y; b_h counted once even in the PyTorch layout):
    g <- beta g / ||g||  if ||g|| > beta, else g unchanged.

Weight layouts accepted by :meth:`Params.from_weights`
    ours:    U [H, D], W [H, H], b_h [H], optional V [O, H], b_y [O]
             (a 1-D U of length H is read as a column [H, 1]: one scalar input per step;
              a 1-D V of length H is read as a row [1, H]: one scalar output)
    PyTorch: weight_ih_l0 = U, weight_hh_l0 = W, bias_ih_l0 + bias_hh_l0 = b_h (nn.RNN)
    Keras:   kernel [D, H] = U^T, recurrent_kernel [H, H] = W^T, bias [H] = b_h (SimpleRNN)
    V / b_y are given under our names in every layout.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from . import _recurrent as R
from . import cells, optim
from ._numerics import sigmoid, softmax
from .errors import InputError
from .io import ModelKeys, as_array, check_inputs, check_keys, check_shape
from .rnn_adder import AdderReading
from .trace import Array, Record

ACTIVATIONS = cells.ACTIVATIONS
OUTPUTS = ("none", "identity", "sigmoid", "softmax")
_TORCH = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
_KERAS = ("kernel", "recurrent_kernel", "bias")
_OURS = ("U", "W", "b_h")
_LAYOUT_NAMES = {"ours": _OURS, "PyTorch": _TORCH, "Keras": _KERAS}
KEYS = ModelKeys(inputs=("x", "h0", "target"), options=("activation", "output_layer", "clip"),
                 weights=("U", "W", "b_h", "V", "b_y"))
MODEL_KEYS = {"rnn": KEYS}


# --------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class Params(Record):
    """Validated Elman RNN parameters (float64, read-only). ``layout`` names where they came from."""
    U: Array                    # [H, D]
    W: Array                    # [H, H]
    b_h: Array                  # [H]
    V: Array | None = None      # [O, H]
    b_y: Array | None = None    # [O]
    b_ih: Array | None = None   # [H] PyTorch input bias (b_h = b_ih + b_hh)
    b_hh: Array | None = None   # [H] PyTorch recurrent bias
    layout: str = "ours"
    reading: str = ""           # how 1-D U / V were read, in words

    def __post_init__(self) -> None:
        super().__post_init__()  # stores C-ordered copies (trace.ro): every layout gives bit-identical results
        if self.U.ndim != 2:
            raise InputError(f"U has shape {self.U.shape}, expected (H, D) = (hidden, input)")
        H, _ = self.U.shape
        check_shape("W", self.W, (H, H), "(hidden, hidden); U has shape "
                    f"{tuple(self.U.shape)} = (hidden, input)")
        check_shape("b_h", self.b_h, (H,), "(hidden,)")
        if self.V is not None:
            if self.V.ndim != 2 or self.V.shape[1] != H:
                raise InputError(f"V has shape {self.V.shape}, expected (O, {H}) = (output, hidden)")
            O = self.V.shape[0]
            if self.b_y is None:
                raise InputError(f"b_y is missing; expected shape ({O},) = (output,) with V of shape {self.V.shape}")
            check_shape("b_y", self.b_y, (O,), "(output,)")
        elif self.b_y is not None:
            raise InputError(f"b_y of shape {self.b_y.shape} is given without V; expected V of shape (O, {H}) = (output, hidden)")

    @property
    def hidden(self) -> int:
        return int(self.U.shape[0])

    @property
    def input_size(self) -> int:
        return int(self.U.shape[1])

    @property
    def output_size(self) -> int:
        return 0 if self.V is None else int(self.V.shape[0])

    @classmethod
    def from_weights(cls, weights: Mapping[str, Any]) -> "Params":
        """Build from our names, a PyTorch ``nn.RNN`` state_dict or Keras SimpleRNN weights (module docstring)."""
        return _from_weights(weights)


def _keras_base(name: str) -> str:
    """``simple_rnn/simple_rnn_cell/kernel:0`` -> ``kernel``."""
    base = re.sub(r":\d+$", "", name).split("/")[-1]
    return base if base in _KERAS else name


def _from_weights(weights: Mapping[str, Any]) -> Params:
    """:meth:`Params.from_weights`."""
    if not isinstance(weights, Mapping):
        raise InputError(f"weights must be an object of named arrays, got {type(weights).__name__}")
    w = {_keras_base(k): v for k, v in weights.items()}
    extra_layers = sorted(k for k in w if re.fullmatch(r"(weight|bias)_(ih|hh)_l([1-9]\d*)(_reverse)?|.*_reverse", k))
    if extra_layers:
        raise InputError(f"weights {', '.join(extra_layers)}: the rnn engine runs one forward layer; "
                         "expected only weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0")
    has = {name: any(k in w for k in keys) for name, keys in
           (("ours", _OURS), ("PyTorch", _TORCH), ("Keras", _KERAS))}
    found = [n for n, h in has.items() if h]
    if len(found) > 1:
        raise InputError(f"weights mix the {' and '.join(found)} layouts; expected one of: "
                         "U/W/b_h, weight_ih_l0/weight_hh_l0/bias_ih_l0/bias_hh_l0, kernel/recurrent_kernel/bias")
    accepted = (_LAYOUT_NAMES[found[0]] if found else _OURS + _TORCH + _KERAS) + ("V", "b_y")
    saved = {_keras_base(k): k for k in weights}
    check_keys(w, accepted, "weight", "rnn", shown=lambda k: saved.get(k, k))
    if not found:
        raise InputError(f"weights for rnn are missing U, W, b_h (or PyTorch weight_ih_l0..., or Keras kernel...); "
                         f"found {', '.join(sorted(map(str, w))) or 'nothing'}")
    V = b_y = None
    reading = []
    if "V" in w:
        V = as_array("V", w["V"])
        if V.ndim == 1:
            V = V[None, :]  # [H] -> [1, H]
            reading.append(f"V given as a vector of length {V.shape[1]} is read as a row of shape (1, {V.shape[1]}) = (output, hidden)")
    if "b_y" in w:
        b_y = as_array("b_y", w["b_y"])
        if b_y.ndim == 0:
            b_y = b_y[None]  # scalar -> [1]
    layout = found[0]
    U, W, b_h, b_ih, b_hh = _READERS[layout](w, reading)
    return Params(U=U, W=W, b_h=b_h, V=V, b_y=b_y, b_ih=b_ih, b_hh=b_hh, layout=layout,
                  reading="; ".join(reading))


def _read_ours(w: Mapping[str, Any], reading: list[str]):
    """U, W, b_h in our names (U may be a vector: one scalar input per step)."""
    missing = [k for k in _OURS if k not in w]
    if missing:
        raise InputError(f"weights for rnn are missing {', '.join(missing)}; found {', '.join(sorted(w))}")
    U = as_array("U", w["U"])
    if U.ndim == 1:
        U = U[:, None]  # [H] -> [H, 1]
        reading.insert(0, f"U given as a vector of length {U.shape[0]} is read as a column of shape "
                          f"({U.shape[0]}, 1) = (hidden, input): one scalar input per time step")
    return U, as_array("W", w["W"]), as_array("b_h", w["b_h"]), None, None


def _read_torch(w: Mapping[str, Any], reading: list[str]):
    """PyTorch nn.RNN: weight_ih_l0 [H, D], weight_hh_l0 [H, H], both biases or neither (b_h = b_ih + b_hh)."""
    missing = [k for k in _TORCH[:2] if k not in w]
    if missing:
        raise InputError(f"PyTorch nn.RNN weights are missing {', '.join(missing)}; found {', '.join(sorted(w))}")
    U = as_array("weight_ih_l0", w["weight_ih_l0"], 2)
    W = as_array("weight_hh_l0", w["weight_hh_l0"], 2)
    H = U.shape[0]
    if ("bias_ih_l0" in w) != ("bias_hh_l0" in w):
        raise InputError("PyTorch nn.RNN weights have only one of bias_ih_l0, bias_hh_l0; expected both "
                         "(bias=True) or neither (bias=False)")
    b_ih = b_hh = None
    if "bias_ih_l0" in w:
        b_ih = as_array("bias_ih_l0", w["bias_ih_l0"], 1)
        b_hh = as_array("bias_hh_l0", w["bias_hh_l0"], 1)
        check_shape("bias_ih_l0", b_ih, (H,), "(hidden,)")
        check_shape("bias_hh_l0", b_hh, (H,), "(hidden,)")
        b_h = b_ih + b_hh
    else:
        b_h = np.zeros(H)
    check_shape("weight_hh_l0", W, (H, H), "(hidden, hidden)")
    return U, W, b_h, b_ih, b_hh


def _read_keras(w: Mapping[str, Any], reading: list[str]):
    """Keras SimpleRNN: kernel [D, H], recurrent_kernel [H, H], optional bias [H] (transposed to ours)."""
    missing = [k for k in ("kernel", "recurrent_kernel") if k not in w]
    if missing:
        raise InputError(f"Keras SimpleRNN weights are missing {', '.join(missing)}; found {', '.join(sorted(w))}")
    K = as_array("kernel", w["kernel"], 2)          # [D, H]
    R = as_array("recurrent_kernel", w["recurrent_kernel"], 2)  # [H, H]
    H = K.shape[1]
    check_shape("recurrent_kernel", R, (H, H), "(hidden, hidden)")
    if "bias" in w:
        b_h = as_array("bias", w["bias"], 1)
        check_shape("bias", b_h, (H,), "(hidden,)")
    else:
        b_h = np.zeros(H)
    return K.T, R.T, b_h, None, None  # [D, H] -> [H, D]; [H, H] -> [H, H] (Params stores C-ordered copies)


_READERS = {"ours": _read_ours, "PyTorch": _read_torch, "Keras": _read_keras}


# --------------------------------------------------------------------------- activations

def _out(name: str, o: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        return sigmoid(o)
    if name == "softmax":
        return softmax(o)
    return o.copy()


def _out_backward(name: str, y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """dL/do from dL/dy (vector-Jacobian product of g)."""
    if name == "sigmoid":
        return y * (1.0 - y) * dy
    if name == "softmax":
        return y * (dy - np.dot(y, dy))
    return dy.copy()


# --------------------------------------------------------------------------- trace

@dataclass(frozen=True)
class Step(Record):
    t: int
    x: Array                      # [D]
    h_prev: Array                 # [H]   h_{t-1}
    hx: Array                     # [H+D] [h_{t-1}, x_t]
    m: Array                      # [H]   [W U] hx_t
    a: Array                      # [H]   m_t + b_h
    h: Array                      # [H]   f(a_t)
    q: Array | None               # [O]   V h_t
    o: Array | None               # [O]   q_t + b_y
    y: Array | None               # [O]   g(o_t)
    target: Array | None          # [O] (or [H] without output layer), if this step is targeted
    loss: float                   # this step's share of L
    dy: Array | None              # [O]   dL/dy_t (direct)
    dh: Array                     # [H]   dL/dh_t (total, through all later steps)
    dh_norm: float                # ||dL/dh_t||
    ratio: float | None           # ||dL/dh_{t-1}|| / ||dL/dh_t|| (t >= 2; None when ||dL/dh_t|| = 0)
    da: Array                     # [H]   dL/da_t


@dataclass(frozen=True)
class Grads(Record):
    U: Array
    W: Array
    b_h: Array
    V: Array | None = None
    b_y: Array | None = None


@dataclass(frozen=True)
class Clip(Record):
    beta: float
    norm_before: float
    norm_after: float
    clipped: bool
    scale: float                  # beta/||g|| if clipped else 1
    grads: Grads                  # the clipped gradient


@dataclass(frozen=True)
class Decay(Record):
    """How ||dL/dh_t|| changes per step going back in time, and the lecture notes' reference powers (0.99^100, 1.01^100)."""
    first_over_last: float | None     # ||dL/dh_1|| / ||dL/dh_T||
    mean_ratio: float | None          # geometric mean of the per-step ratios = (first_over_last)^(1/(T-1))
    mean_ratio_pow100: float | None   # mean_ratio^100
    verdict: str                      # "vanishing" | "exploding" | "steady" | "n/a"
    p099: float                       # 0.99
    p099_pow100: float                # 0.99^100 (computed)
    p101: float                       # 1.01
    p101_pow100: float                # 1.01^100 (computed)


@dataclass(frozen=True)
class RNNTrace(Record):
    kind: ClassVar[str] = "rnn"
    activation: str
    output: str
    layout: str
    reading: str
    hidden: int
    input_size: int
    output_size: int
    U: Array
    W: Array
    b_h: Array
    b_ih: Array | None
    b_hh: Array | None
    V: Array | None
    b_y: Array | None
    WU: Array                     # [H, H+D] the stacked matrix [W U]
    h0: Array                     # [H]
    steps: tuple[Step, ...]
    loss: float
    loss_kind: str                # "mse_last" | "mse_all" | "sum_y" | "sum_h" (as in the LSTM/GRU traces)
    loss_rule: str
    grads: Grads
    dh0: Array                    # [H] dL/dh_0
    dh0_norm: float               # ||dL/dh_0||
    dh0_ratio: float | None       # ||dL/dh_0|| / ||dL/dh_1|| (None when ||dL/dh_1|| = 0)
    grad_norm: float              # global norm of the parameter gradients
    clip: Clip | None
    decay: Decay
    unit_names: tuple[str, ...] = ()    # what each hidden unit means, when the weights file says ("unit_names")
    adder: AdderReading | None = None   # the binary-adder reading, when the weights file declares it ("decode")


# --------------------------------------------------------------------------- run

def run(params: Params, xs: np.ndarray, h0: np.ndarray | None = None, *, activation: str = "tanh",
        output: str | None = None, target: Any = None, clip: float | None = None) -> RNNTrace:
    """Forward pass over ``xs`` [T, D] from ``h0`` [H], then BPTT of the loss convention above."""
    if activation not in ACTIVATIONS:
        raise InputError(f"activation {activation!r} is unknown; expected one of: {', '.join(ACTIVATIONS)}")
    if output is None:
        output = "none" if params.V is None else "identity"
    if output not in OUTPUTS:
        raise InputError(f"output {output!r} is unknown; expected one of: {', '.join(OUTPUTS)}")
    if output != "none" and params.V is None:
        raise InputError(f"--output-layer {output} needs an output layer: V of shape (O, {params.hidden}) and b_y (O,) in the weights")
    if clip is not None and not (np.isfinite(clip) and clip > 0):
        raise InputError(f"--clip must be a positive number beta, got {clip}")
    H, D = params.U.shape
    has_out = output != "none"
    O = params.V.shape[0] if has_out else 0
    xs = as_array("x", xs)  # a private float64 copy, finite, non-empty
    if xs.ndim != 2 or xs.shape[1] != D:
        raise InputError(f"x has shape {xs.shape}, expected (T, {D}) = (steps, input) because U has shape {(H, D)}")
    T = xs.shape[0]
    h_init = np.zeros(H) if h0 is None else as_array("h0", h0)
    check_shape("h0", h_init, (H,), "(hidden,)")
    WU = np.concatenate([params.W, params.U], axis=1)  # [H, H] + [H, D] -> [H, H+D]

    # ---- forward
    cell = cells.ElmanWeights(WU, params.b_h)
    hs, fwd, qs, os_, ys = [h_init], [], [], [], []
    for t in range(T):
        s = cells.elman_step(cell, xs[t], hs[-1], activation)   # [H] + [D] -> [H]
        fwd.append(s); hs.append(s["h"])
        h = s["h"]
        if has_out:
            q = params.V @ h                  # [O, H] @ [H] -> [O]
            o = q + params.b_y
            qs.append(q); os_.append(o); ys.append(_out(output, o))

    # ---- loss
    outs = np.array(ys if has_out else hs[1:])            # [T, O] (or [T, H] with no output layer)
    tg = R.read_target(target, O if has_out else H, T, "output" if has_out else "hidden")
    tgts = [None] * T if tg is None else ([None] * (T - 1) + [tg] if tg.ndim == 1 else list(tg))
    rule = R.loss_rule(outs, tg, has_out)
    dys, losses, L = list(rule.grad), [float(v) for v in rule.per_step], rule.value
    loss_kind, loss_rule = rule.kind, rule.rule

    # ---- backward (BPTT)
    gU, gW, gb = np.zeros_like(params.U), np.zeros_like(params.W), np.zeros(H)
    gV = np.zeros((O, H)) if has_out else None
    gby = np.zeros(O) if has_out else None
    dhs: list[np.ndarray] = [np.zeros(H)] * T
    das: list[np.ndarray] = [np.zeros(H)] * T
    dh_next = np.zeros(H)
    for t in reversed(range(T)):
        dh = dh_next                          # dL/dh_t through step t+1
        if has_out:
            do = _out_backward(output, ys[t], dys[t])   # [O]
            gV += np.outer(do, hs[t + 1])     # [O] x [H] -> [O, H]
            gby += do
            dh = dh + params.V.T @ do         # [O, H]^T @ [O] -> [H]
        else:
            dh = dh + dys[t]
        b = cells.elman_backward(cell, fwd[t], dh, activation)
        da = b["da"]
        gU += b["grads"]["W"][:, H:]          # [H, H+D] -> [H, D]
        gW += b["grads"]["W"][:, :H]          # [H, H+D] -> [H, H]
        gb += b["grads"]["b"]
        dhs[t], das[t] = dh, da
        dh_next = b["dh_prev"]                # W^T da_t  [H, H]^T @ [H] -> [H]
    dh0 = dh_next

    norms = [float(np.linalg.norm(v)) for v in dhs]
    dh0_norm = float(np.linalg.norm(dh0))
    steps = []
    for t in range(T):
        ratio = None
        if t >= 1 and norms[t] > 0:
            ratio = norms[t - 1] / norms[t]
        steps.append(Step(
            t=t + 1, x=xs[t], h_prev=hs[t], hx=fwd[t]["hx"], m=fwd[t]["m"], a=fwd[t]["a"], h=hs[t + 1],
            q=qs[t] if has_out else None, o=os_[t] if has_out else None, y=ys[t] if has_out else None,
            target=tgts[t], loss=losses[t], dy=dys[t] if has_out else None,
            dh=dhs[t], dh_norm=norms[t], ratio=ratio, da=das[t]))

    grads = Grads(U=gU, W=gW, b_h=gb, V=gV, b_y=gby)
    flat = [gU, gW, gb] + ([gV, gby] if has_out else [])
    gnorm = optim.global_norm(flat)
    clip_rec = None
    if clip is not None:
        clipped = gnorm > clip
        scale = optim.clip_scale(gnorm, clip)
        cg = Grads(U=gU * scale, W=gW * scale, b_h=gb * scale,
                   V=None if gV is None else gV * scale, b_y=None if gby is None else gby * scale)
        after = optim.global_norm([cg.U, cg.W, cg.b_h] + ([cg.V, cg.b_y] if has_out else []))
        clip_rec = Clip(beta=float(clip), norm_before=gnorm, norm_after=after, clipped=bool(clipped),
                        scale=float(scale), grads=cg)

    return RNNTrace(
        activation=activation, output=output, layout=params.layout, reading=reading(params, T),
        hidden=H, input_size=D, output_size=O,
        U=params.U, W=params.W, b_h=params.b_h, b_ih=params.b_ih, b_hh=params.b_hh,
        V=params.V if has_out else None, b_y=params.b_y if has_out else None,
        WU=WU, h0=h_init, steps=tuple(steps), loss=L, loss_kind=loss_kind, loss_rule=loss_rule,
        grads=grads, dh0=dh0, dh0_norm=dh0_norm, dh0_ratio=dh0_norm / norms[0] if norms[0] > 0 else None,
        grad_norm=gnorm, clip=clip_rec, decay=_decay(norms))


def _decay(norms: list[float]) -> Decay:
    T = len(norms)
    fol = mean = pw = None
    verdict = "n/a"
    if T >= 2 and norms[-1] > 0 and norms[0] > 0:
        fol = norms[0] / norms[-1]
        mean = fol ** (1.0 / (T - 1))
        pw = mean ** 100
        verdict = "vanishing" if mean < 0.99 else "exploding" if mean > 1.01 else "steady"
    return Decay(first_over_last=fol, mean_ratio=mean, mean_ratio_pow100=pw, verdict=verdict,
                 p099=0.99, p099_pow100=0.99 ** 100, p101=1.01, p101_pow100=1.01 ** 100)


# --------------------------------------------------------------------------- protocol

def _inputs_seq(params: Params, inputs: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
    if not isinstance(inputs, Mapping):
        raise InputError('inputs must be an object like {"x": [[...], ...]}')
    if "x" not in inputs:
        raise InputError(f'inputs have no "x"; expected "x" of shape (T, {params.input_size}) = (steps, input)')
    H, D = params.U.shape
    x = as_array("x", inputs["x"])
    if x.ndim == 0:
        x = x[None]
    if x.ndim == 1:
        if D == 1:
            x = x[:, None]  # [T] -> [T, 1]: T scalar steps
        elif x.shape[0] == D:
            raise InputError(f"x has shape {x.shape}, expected (T, {D}) = (steps, input); for one step of size {D} "
                             f"write x as [{x.tolist()}]")
        else:
            raise InputError(f"x has shape {x.shape}, expected (T, {D}) = (steps, input) because U has shape {(H, D)}")
    if x.ndim != 2 or x.shape[1] != D:
        hint = ""
        if x.ndim == 2 and D == 1 and x.shape[0] == 1:
            hint = (f"; to read x as one step of size {x.shape[1]} give U of shape ({H}, {x.shape[1]}), "
                    f"to read it as {x.shape[1]} scalar steps write x as {x.ravel().tolist()}")
        raise InputError(f"x has shape {x.shape}, expected (T, {D}) = (steps, input) because U has shape {(H, D)}{hint}")
    h0 = None
    if inputs.get("h0") is not None:
        h0 = as_array("h0", inputs["h0"])
        check_shape("h0", h0, (H,), "(hidden,)")
    return x, h0


def build(weights: Mapping[str, Any], inputs: Mapping[str, Any], *, activation: str | None = None,
          output_layer: str | None = None, clip: float | None = None) -> RNNTrace:
    """Validate weights/inputs (any layout) and run forward + BPTT."""
    check_inputs(inputs, KEYS)
    params = Params.from_weights(weights)
    x, h0 = _inputs_seq(params, inputs)
    return run(params, x, h0, activation=activation or "tanh", output=output_layer,
               target=inputs.get("target"), clip=clip)


def annotate(trace: RNNTrace, extra: Mapping[str, Any]) -> RNNTrace:
    """Add what a weights file declares about its units: ``"unit_names"`` (one per hidden unit) and
    ``"decode": "binary-adder"`` (the integers the bit sequences read as, and the 1-bit truth table)."""
    from dataclasses import replace

    from . import rnn_adder

    names = trace.unit_names
    if extra.get("unit_names") is not None:
        names = rnn_adder.unit_names(extra["unit_names"], trace.hidden)
    adder = trace.adder
    if extra.get("decode") is not None and rnn_adder.check_decode(extra["decode"]) == "binary-adder":
        adder = rnn_adder.read(trace)
    if names == trace.unit_names and adder is trace.adder:
        return trace
    return replace(trace, unit_names=names, adder=adder)


def reading(params: Params, T: int) -> str:
    """In words: how the input sequence is read, with shapes, and how to pick the other reading."""
    H, D = params.U.shape
    if D == 1:
        s = (f"x is read as T={T} time step(s) of one scalar each: x has shape ({T}, 1) = (steps, input) and "
             f"U has shape ({H}, 1) = (hidden, input). For the other reading (one step whose input is the "
             f"{T}-vector) give x as one row of shape (1, {T}) and U of shape ({H}, {T}) = (hidden, input).")
    else:
        s = (f"x is read as T={T} time step(s) of a {D}-vector each: x has shape ({T}, {D}) = (steps, input) and "
             f"U has shape ({H}, {D}) = (hidden, input). For the other reading ({T * D} scalar steps) give x as "
             f"a flat list of shape ({T * D},) and U of shape ({H}, 1).")
    return (params.reading + ". " if params.reading else "") + s


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int,
           output_layer: str | None = None, **_options: Any) -> tuple[dict, dict]:
    """Seeded weights (scale 1/sqrt(fan_in)) and inputs (standard normal); one output unit (two for softmax)."""
    H, D, T = int(hidden), int(input_size), int(steps)
    weights: dict[str, Any] = {
        "U": (rng.standard_normal((H, D)) / np.sqrt(D)).tolist(),
        "W": (rng.standard_normal((H, H)) / np.sqrt(H)).tolist(),
        "b_h": (0.1 * rng.standard_normal(H)).tolist(),
    }
    if output_layer != "none":
        O = 2 if output_layer == "softmax" else 1  # a softmax over one unit would always be 1
        weights["V"] = (rng.standard_normal((O, H)) / np.sqrt(H)).tolist()
        weights["b_y"] = (0.1 * rng.standard_normal(O)).tolist()
    inputs = {"x": rng.standard_normal((T, D)).tolist()}
    return weights, inputs
