"""Highway layer (Srivastava, Greff & Schmidhuber 2015) and its residual special case.

A highway layer lets each unit choose, per example, between transforming its input and
carrying it through unchanged. The carry path is what keeps gradients alive in deep stacks:
its Jacobian is ``diag(1 - T)``, close to the identity when the gate is nearly shut.

Notation
--------
    B          number of example vectors, b = 1 .. B
    D          width of x, of H(x) and of y (a highway layer needs H(x) as wide as x)
    x          one example                                        [D]
    W_H, b_H   transform weights and bias                         [D, D], [D]
    W_T, b_T   transform-gate weights and bias                    [D, D], [D]
    a_H        transform pre-activation W_H x + b_H               [D]
    H          H(x) = f(a_H), f = tanh (default) or relu          [D]
    a_T        gate pre-activation W_T x + b_T                    [D]
    T          transform gate sigma(a_T), in (0, 1)               [D]
    C          carry gate 1 - T                                   [D]
    y          output                                             [D]

Equations
---------
    highway:   y = T * H + C * x            (elementwise; C = 1 - T)
    residual:  y = H + x                    (option ``residual``: no gate, W_T and b_T unused)

Loss (summed over the B examples)
----
    no "target":   L = sum_b sum(y_b)
    "target" [B, D] (or [D] for a 1-D x):  L = 1/2 sum_b ||y_b - target_b||^2

Gradients (g = dL/dy for one example, f' = f'(a_H))
---------
    dL/da_H = T * f' * g                       (residual: f' * g)
    dL/da_T = (H - x) * T * (1 - T) * g        (residual: none)
    dL/dW_H = sum_b dL/da_H x^T,  dL/db_H = sum_b dL/da_H   (likewise W_T, b_T)
    dy/dx   = J = J_carry + J_transform + J_gate
        J_carry     = diag(C)                  the carry path (residual: the identity I)
        J_transform = diag(T * f') W_H         through H            (residual: diag(f') W_H)
        J_gate      = diag((H - x) * T * (1 - T)) W_T   through the gate (residual: 0)
    dL/dx   = J^T g, split the same way into dx_carry = C * g, dx_transform, dx_gate.

    relu'(0) = 0. ``random`` draws D = ``hidden`` and B = ``steps`` examples (``input_size`` is
    not used: x has the width of H); b_T starts near -1, so the layer starts out mostly carrying.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from ._numerics import sigmoid
from .errors import InputError
from .io import as_array, check_shape
from .trace import Array, Record

ACTIVATIONS = ("tanh", "relu")
WEIGHT_KEYS = ("W_H", "b_H", "W_T", "b_T")
INPUT_KEYS = ("x", "target")


def _refuse_unknown(keys, valid: tuple[str, ...], what: str) -> None:
    """A key not in ``valid`` is a one-line error naming the closest valid one (the shared wording)."""
    from .io import check_keys

    check_keys(keys, valid, what, 'highway' if what.endswith("weight") else None)


# --------------------------------------------------------------------------- trace

@dataclass(frozen=True)
class Example(Record):
    b: int                        # 1-based example index
    x: Array                      # [D]
    a_H: Array                    # [D]  W_H x + b_H
    H: Array                      # [D]  f(a_H)
    a_T: Array | None             # [D]  W_T x + b_T   (None for residual)
    T: Array | None               # [D]  sigma(a_T)
    C: Array | None               # [D]  1 - T
    T_mean: float | None          # mean of T over the units: near 0 carried, near 1 transformed
    regime: str                   # "mostly carried" (T_mean < 0.25) | "mostly transformed" (> 0.75) | "mixed" | "residual"
    TH: Array                     # [D]  T * H, the transformed share (residual: H)
    Cx: Array                     # [D]  C * x, the carried share (residual: x)
    y: Array                      # [D]  TH + Cx
    target: Array | None          # [D]
    loss: float                   # this example's share of L
    dy: Array                     # [D]  dL/dy
    da_H: Array                   # [D]  dL/da_H
    da_T: Array | None            # [D]  dL/da_T
    J: Array                      # [D, D] dy/dx
    J_carry: Array                # [D, D] diag(C) (residual: I)
    J_transform: Array            # [D, D] diag(T f') W_H
    J_gate: Array                 # [D, D] diag((H - x) T (1 - T)) W_T (residual: 0)
    dx: Array                     # [D]  dL/dx = J^T dy
    dx_carry: Array               # [D]  J_carry^T dy
    dx_transform: Array           # [D]  J_transform^T dy
    dx_gate: Array                # [D]  J_gate^T dy
    dx_norm: float                # ||dL/dx||
    dx_carry_norm: float          # ||dx_carry||


@dataclass(frozen=True)
class Grads(Record):
    W_H: Array                    # [D, D]
    b_H: Array                    # [D]
    W_T: Array | None             # [D, D] (None for residual)
    b_T: Array | None             # [D]


@dataclass(frozen=True)
class HighwayTrace(Record):
    kind: ClassVar[str] = "highway"
    residual: bool
    activation: str               # f of H(x)
    width: int                    # D
    W_H: Array
    b_H: Array
    W_T: Array | None
    b_T: Array | None
    examples: tuple[Example, ...]
    loss: float
    loss_kind: str                # "sum_y" | "mse"
    loss_rule: str
    grads: Grads


# --------------------------------------------------------------------------- run

def _weights(weights: Mapping[str, Any], residual: bool) -> dict[str, np.ndarray]:
    if not isinstance(weights, Mapping):
        raise InputError(f"weights must be an object of named arrays, got {type(weights).__name__}")
    _refuse_unknown(weights, WEIGHT_KEYS, "weight")
    need = ("W_H", "b_H") if residual else WEIGHT_KEYS
    missing = [k for k in need if k not in weights]
    if missing:
        raise InputError(f"weights for highway are missing {', '.join(missing)}; expected W_H (D, D), b_H (D,)"
                         + ("" if residual else ", W_T (D, D), b_T (D,)"))
    w = {k: as_array(k, weights[k]) for k in WEIGHT_KEYS if k in weights}
    W_H = w["W_H"]
    if W_H.ndim != 2 or W_H.shape[0] != W_H.shape[1]:
        raise InputError(f"W_H has shape {W_H.shape}, expected (D, D): H(x) must have the width of x, "
                         "because y adds H(x) and x unit by unit")
    D = W_H.shape[0]
    check_shape("b_H", w["b_H"], (D,), f"(D,) with D = {D} the width of W_H")
    if not residual:
        check_shape("W_T", w["W_T"], (D, D), f"(D, D) with D = {D} the width of W_H")
        check_shape("b_T", w["b_T"], (D,), f"(D,) with D = {D} the width of W_H")
    return w


def _inputs(inputs: Mapping[str, Any], D: int) -> tuple[np.ndarray, np.ndarray | None]:
    if not isinstance(inputs, Mapping):
        raise InputError('inputs must be an object like {"x": [[...], ...]}')
    _refuse_unknown(inputs, INPUT_KEYS, "input key")
    if "x" not in inputs:
        raise InputError(f'inputs have no "x"; expected "x" of shape (B, {D}) = (examples, width)')
    x = as_array("x", inputs["x"])
    if x.ndim == 1:
        x = x[None, :]  # [D] -> [1, D]: one example
    if x.ndim != 2 or x.shape[1] != D:
        raise InputError(f"x has shape {x.shape}, expected (B, {D}) = (examples, width) because W_H has shape "
                         f"({D}, {D}); a highway layer keeps the width of x")
    target = None
    if inputs.get("target") is not None:
        target = as_array("target", inputs["target"])
        if target.ndim == 1 and x.shape[0] == 1:
            target = target[None, :]  # [D] -> [1, D]
        check_shape("target", target, x.shape, "(examples, width), the shape of x")
    return x, target


def _regime(T: np.ndarray | None) -> str:
    if T is None:
        return "residual"
    m = float(np.mean(T))
    return "mostly carried" if m < 0.25 else "mostly transformed" if m > 0.75 else "mixed"


def _example(b: int, x: np.ndarray, w: dict, act: str, residual: bool, target: np.ndarray | None) -> Example:
    D = x.shape[0]
    a_H = w["W_H"] @ x + w["b_H"]                 # [D, D] @ [D] -> [D]
    H = np.tanh(a_H) if act == "tanh" else np.maximum(a_H, 0.0)
    fprime = 1.0 - H * H if act == "tanh" else (a_H > 0).astype(np.float64)
    if residual:
        a_T = T = C = None
        TH, Cx = H, x
        gain_H = fprime                           # dy/da_H, elementwise
        carry = np.ones(D)
        gate = np.zeros(D)                        # no gate: dy/da_T does not exist
    else:
        a_T = w["W_T"] @ x + w["b_T"]             # [D, D] @ [D] -> [D]
        T = sigmoid(a_T)
        C = 1.0 - T
        TH, Cx = T * H, C * x
        gain_H = T * fprime
        carry = C
        gate = (H - x) * T * (1.0 - T)            # dy/da_T, elementwise
    y = TH + Cx
    if target is None:
        loss, dy = float(np.sum(y)), np.ones(D)
    else:
        diff = y - target
        loss, dy = 0.5 * float(diff @ diff), diff
    J_carry = np.diag(carry)                      # [D] -> [D, D]
    J_transform = gain_H[:, None] * w["W_H"]      # diag(gain_H) @ W_H: [D, D]
    J_gate = np.zeros((D, D)) if residual else gate[:, None] * w["W_T"]
    dx_carry, dx_transform, dx_gate = J_carry.T @ dy, J_transform.T @ dy, J_gate.T @ dy  # [D, D]^T @ [D] -> [D]
    dx = dx_carry + dx_transform + dx_gate
    return Example(
        b=b, x=x, a_H=a_H, H=H, a_T=a_T, T=T, C=C, T_mean=None if T is None else float(np.mean(T)),
        regime=_regime(T),
        TH=TH, Cx=Cx, y=y, target=target, loss=loss, dy=dy, da_H=gain_H * dy, da_T=None if residual else gate * dy,
        J=J_carry + J_transform + J_gate, J_carry=J_carry, J_transform=J_transform, J_gate=J_gate,
        dx=dx, dx_carry=dx_carry, dx_transform=dx_transform, dx_gate=dx_gate,
        dx_norm=float(np.linalg.norm(dx)), dx_carry_norm=float(np.linalg.norm(dx_carry)))


def run(w: Mapping[str, np.ndarray], x: np.ndarray, target: np.ndarray | None = None, *,
        residual: bool = False, activation: str = "tanh") -> HighwayTrace:
    """Forward and backward pass of every example of ``x`` [B, D]."""
    if activation not in ACTIVATIONS:
        raise InputError(f"--h-activation {activation!r} is unknown; expected one of: {', '.join(ACTIVATIONS)}")
    D = w["W_H"].shape[0]
    exs = tuple(_example(b + 1, x[b], w, activation, residual, None if target is None else target[b])
                for b in range(x.shape[0]))
    gW_H = sum(np.outer(e.da_H, e.x) for e in exs)          # [D] x [D] -> [D, D], summed over b
    gb_H = sum(e.da_H for e in exs)
    gW_T = gb_T = None
    if not residual:
        gW_T = sum(np.outer(e.da_T, e.x) for e in exs)      # [D] x [D] -> [D, D]
        gb_T = sum(e.da_T for e in exs)
    rule = ("L = 1/2 sum_b ||y_b - target_b||^2" if target is not None else "L = sum_b sum(y_b) (no target given)")
    return HighwayTrace(
        residual=bool(residual), activation=activation, width=D, W_H=w["W_H"], b_H=w["b_H"],
        W_T=None if residual else w["W_T"], b_T=None if residual else w["b_T"], examples=exs,
        loss=float(sum(e.loss for e in exs)), loss_kind="sum_y" if target is None else "mse", loss_rule=rule,
        grads=Grads(W_H=np.asarray(gW_H, float), b_H=np.asarray(gb_H, float),
                    W_T=None if gW_T is None else np.asarray(gW_T, float),
                    b_T=None if gb_T is None else np.asarray(gb_T, float)))


# --------------------------------------------------------------------------- protocol

def build(weights: Mapping[str, Any], inputs: Mapping[str, Any], *, residual: bool | None = None,
          h_activation: str | None = None) -> HighwayTrace:
    """Validate weights/inputs and run the layer on every example."""
    residual = bool(residual)
    w = _weights(weights, residual)
    x, target = _inputs(inputs, w["W_H"].shape[0])
    return run(w, x, target, residual=residual, activation=h_activation or "tanh")


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int, **_options: Any) -> tuple[dict, dict]:
    """Seeded weights (scale 1/sqrt(D)), b_T near -1, and ``steps`` standard-normal examples of width ``hidden``."""
    D, B = int(hidden), int(steps)
    weights = {
        "W_H": (rng.standard_normal((D, D)) / np.sqrt(D)).tolist(),
        "b_H": (0.1 * rng.standard_normal(D)).tolist(),
        "W_T": (rng.standard_normal((D, D)) / np.sqrt(D)).tolist(),
        "b_T": (-1.0 + 0.1 * rng.standard_normal(D)).tolist(),
    }
    return weights, {"x": rng.standard_normal((B, D)).tolist()}
