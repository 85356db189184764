"""Scaffolding shared by the gated recurrent engines (:mod:`engines.lstm`, :mod:`engines.gru`).

Only the parts that are the same for every cell live here: the validation and loading of the
linear output layer ``y_t = V h_t + b_y``, initial states ``[layers * directions, H]``, the
stacked/bidirectional run and backward loops (PyTorch order: l0 fwd, l0 bwd, l1 fwd, ...), the
loss convention, the reading of ``x`` and ``target``, the per-layer weight loaders' common checks
and the random initialisation. The cell maths (one step, its backward pass and its Jacobian) is in
:mod:`engines.cells`. ``model`` arguments ("LSTM", "GRU") only name the model in error messages.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from . import layouts as L
from .errors import InputError
from .io import as_array, check_shape


# --------------------------------------------------------------------------- parameters

def checked_cells(cells: Sequence[Any], gates: Sequence[str], H: int, D: int, num_layers: int, dirs: int,
                  model: str) -> Iterator[tuple[Any, str]]:
    """Check the number of cells and each cell's W_<g> [H, H + D_k] and b_<g> [H]; yield
    (cell, display suffix) after each cell's check so the caller checks its own extras in turn."""
    if len(cells) != num_layers * dirs:
        raise InputError(f"{len(cells)} {model} cells given, expected {num_layers * dirs} = layers * directions")
    for idx, cell in enumerate(cells):
        k, rev = divmod(idx, dirs)
        sfx = L.display_suffix(k, bool(rev))
        d_in = D if k == 0 else H * dirs
        for g in gates:
            check_shape(f"W_{g}{sfx}", getattr(cell, f"W_{g}"), (H, H + d_in), "(hidden, hidden + input)")
            check_shape(f"b_{g}{sfx}", getattr(cell, f"b_{g}"), (H,), "(hidden,)")
        yield cell, sfx


def check_output_layer(V: np.ndarray | None, b_y: np.ndarray | None, H: int, dirs: int) -> None:
    """V [O, dirs*H] and b_y [O] come together or not at all."""
    if (V is None) != (b_y is None):
        raise InputError("V and b_y go together: give both (linear output layer y = V h_T + b_y) or neither")
    if V is not None:
        if V.ndim != 2 or V.shape[1] != H * dirs:
            raise InputError(f"V has shape {tuple(V.shape)}, expected (output, {H * dirs}) = (output, {'2*' if dirs == 2 else ''}hidden)")
        check_shape("b_y", b_y, (V.shape[0],), "(output,)")


def read_output_layer(weights: Mapping[str, Any], v_names: Sequence[str],
                      b_names: Sequence[str]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(V, b_y) under the first of ``v_names`` / ``b_names`` present (Keras ``dense_kernel`` is transposed)."""
    V = b_y = None
    for vn in v_names:
        if vn in weights:
            V = as_array(vn, weights[vn])
            if vn == "dense_kernel":
                V = V.T  # Keras Dense kernel [H, O] -> [O, H]
            if V.ndim == 1:
                V = V[None, :]  # [H] -> [1, H]
            break
    for bn in b_names:
        if bn in weights:
            b_y = np.atleast_1d(as_array(bn, weights[bn]))
            break
    return V, b_y


def stack_options(n_layers: int, bidir: bool, layers: int | None, bidirectional: bool | None) -> tuple[int, bool]:
    """The --layers/--bidirectional options override what the weights' names imply."""
    if layers is not None:
        if int(layers) < 1:
            raise InputError(f"layers must be a positive integer, got {layers}")
        n_layers = int(layers)
    if bidirectional is not None:
        bidir = bool(bidirectional)
    return n_layers, bidir


# --------------------------------------------------------------------------- run

def initial(name: str, value: Any, n_runs: int, H: int) -> np.ndarray:
    """h0/c0 as [n_runs, H]: [H] for a single run, else [layers * directions, H]."""
    if value is None:
        return np.zeros((n_runs, H))
    a = as_array(name, value)
    if n_runs == 1:
        check_shape(name, a.reshape(-1) if a.shape == (1, H) else a, (H,), "(hidden,)")
        return a.reshape(1, H)  # [H] -> [1, H]
    if a.ndim == 1:
        raise InputError(f"{name} has shape {a.shape}, expected ({n_runs}, {H}) = (layers * directions, hidden)")
    check_shape(name, a, (n_runs, H), "(layers * directions, hidden)")
    return a


def run_stack(num_layers: int, dirs: int, xs: np.ndarray, run_one: Callable[[int, np.ndarray], Any]) -> tuple[list, np.ndarray]:
    """Run every (layer, direction) in PyTorch order; ``run_one(idx, layer_in)`` returns a run with
    ``outputs`` [T, H]. Returns (runs, top-layer outputs [T, dirs*H])."""
    runs = []
    layer_in = xs
    for k in range(num_layers):
        outs = []
        for rev in range(dirs):
            r = run_one(k * dirs + rev, layer_in)
            runs.append(r)
            outs.append(r.outputs)
        layer_in = np.concatenate(outs, axis=1)     # dirs x [T, H] -> [T, dirs*H]
    return runs, layer_in


def output_layer(V: np.ndarray | None, b_y: np.ndarray | None, outputs: np.ndarray):
    """(ys [T, O], y = ys[-1], Vh = V outputs_T), all None without V."""
    if V is None:
        return None, None, None
    Vhs = outputs @ V.T                              # [T, W] @ [W, O] -> [T, O]
    ys = Vhs + b_y
    return ys, ys[-1], Vhs[-1]


@dataclass(frozen=True)
class Loss:
    """The recurrent engines' loss convention applied to predictions ``pred`` [T, O]."""
    kind: str                 # "mse_last" | "mse_all" | "sum_y" | "sum_h"
    value: float              # L
    per_step: np.ndarray      # [T] each step's share of L
    grad: np.ndarray          # [T, O] dL/dpred
    rule: str                 # L in words


def loss_rule(pred: np.ndarray, target: np.ndarray | None, has_output: bool) -> Loss:
    """The one loss rule of the RNN, LSTM and GRU engines.

    ``pred`` [T, O] is y_t (the output layer's values) or, with no output layer, the hidden
    states h_t. ``target`` is None, [O] (the last step only) or [T, O] (every step):

        target [O]:     L = 1/2 ||y_T - target||^2
        target [T, O]:  L = 1/2 Σ_t ||y_t - target_t||^2
        no target:      L = sum(y_T)  (sum(h_T) with no output layer)
    """
    y = "y" if has_output else "h"
    if target is None:
        grad = np.zeros_like(pred)
        grad[-1] = 1.0
        value = float(np.sum(pred[-1]))
        per_step = np.zeros(pred.shape[0])
        per_step[-1] = value
        return Loss("sum_y" if has_output else "sum_h", value, per_step, grad,
                    "L = sum(y_T) (no target given)" if has_output else "L = sum(h_T) (no target given, no output layer)")
    if target.ndim == 1:
        grad = np.zeros_like(pred)
        grad[-1] = pred[-1] - target                  # [O]
        kind, where = "mse_last", "on the last step only"
    else:
        grad = pred - target                          # [T, O]
        kind, where = "mse_all", "over every step"
    return Loss(kind, 0.5 * float(np.sum(grad * grad)), 0.5 * np.sum(grad * grad, axis=1), grad,
                f"L = 1/2 sum_t ||{y}_t - target_t||^2 {where}")


def loss_grad(V: np.ndarray | None, outputs: np.ndarray, ys: np.ndarray | None, target: np.ndarray | None):
    """(kind, L, dL/d outputs [T, W], dV, db_y) of :func:`loss_rule` through the linear output layer."""
    loss = loss_rule(ys if ys is not None else outputs, target, ys is not None)
    g_pred = loss.grad                               # [T, O]
    dV = db_y = None
    if ys is not None:
        g_out = g_pred @ V                           # [T, O] @ [O, W] -> [T, W]
        dV = g_pred.T @ outputs                      # [O, T] @ [T, W] -> [O, W]
        db_y = g_pred.sum(axis=0)                    # [T, O] -> [O]
    else:
        g_out = g_pred
    return loss.kind, loss.value, g_out, dV, db_y


def spec(a: np.ndarray) -> float:
    """Spectral norm (largest singular value)."""
    return float(np.linalg.norm(a, 2))


def backward_stack(num_layers: int, dirs: int, H: int, g_out: np.ndarray,
                   backward_one: Callable[[int, np.ndarray], tuple[Any, np.ndarray]]) -> tuple[list, np.ndarray]:
    """Backprop from the top layer down; ``backward_one(idx, dL/dh [T, H])`` returns (grads, dx [T, D_k]).
    Returns (grads in PyTorch order, dL/dx [T, D])."""
    grads: list = [None] * (num_layers * dirs)
    for k in range(num_layers - 1, -1, -1):
        g_in = None
        for rev in range(dirs):
            idx = k * dirs + rev
            gr, dx = backward_one(idx, g_out[:, rev * H:(rev + 1) * H])
            grads[idx] = gr
            g_in = dx if g_in is None else g_in + dx
        g_out = g_in                                 # [T, D_k]: dL/d(outputs of layer k-1)
    return grads, g_out


# --------------------------------------------------------------------------- engine protocol

def input_width(inputs: Mapping[str, Any] | None, model: str) -> int | None:
    """Check that inputs have a non-empty "x"; its width (None if x is not 1-D or 2-D)."""
    if not isinstance(inputs, Mapping) or "x" not in inputs:
        raise InputError(f'{model} inputs need "x": time-major [T, input_size], e.g. {{"x": [[1.0], [0.5], [-1.0]]}}')
    x_raw = as_array("x", inputs["x"], allow_empty=True)
    if x_raw.size == 0:
        raise InputError("x is empty, expected at least one time step [T, input_size] with T >= 1")
    return 1 if x_raw.ndim == 1 else (x_raw.shape[1] if x_raw.ndim == 2 else None)


def read_target(value: Any, O: int, T: int, what: str = "output") -> np.ndarray | None:
    """target as [O] (last step) or [T, O] (every step); a [T] list is [T, 1] when O = 1.
    ``what`` names the compared quantity in errors ("hidden" when there is no output layer)."""
    if value is None:
        return None
    target = as_array("target", value)
    if target.ndim == 0:
        target = target[None]                        # scalar -> [1]
    if target.ndim == 1 and O == 1 and target.shape == (T,) and T != 1:
        target = target[:, None]                     # [T] -> [T, 1] (one scalar target per step)
    if target.ndim == 1:
        check_shape("target", target, (O,), f"({what},) for the last step, or ({T}, {O}) = (steps, {what}) for every step")
    else:
        check_shape("target", target, (T, O), f"(steps, {what}), or ({O},) for the last step only")
    return target


def random_weights(rng: np.random.Generator, H: int, D: int, layers: int | None, bidirectional: bool | None,
                   gates: Sequence[str], extras: Sequence[str], output: int, steps: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """uniform(-1, 1) W_<g> [H, H + D_k], b_<g> and ``extras`` [H] per run (in our names), V, b_y;
    x standard normal [steps, D]."""
    dirs = 2 if bidirectional else 1
    w: dict[str, Any] = {}
    for k in range(layers or 1):
        for rev in range(dirs):
            sfx = "" if (k == 0 and not rev) else L.suffix(k, bool(rev))
            d_in = D if k == 0 else H * dirs
            for g in gates:
                w[f"W_{g}{sfx}"] = rng.uniform(-1.0, 1.0, size=(H, H + d_in)).tolist()
                w[f"b_{g}{sfx}"] = rng.uniform(-1.0, 1.0, size=H).tolist()
            for e in extras:
                w[f"{e}{sfx}"] = rng.uniform(-1.0, 1.0, size=H).tolist()
    w["V"] = rng.uniform(-1.0, 1.0, size=(output, H * dirs)).tolist()
    w["b_y"] = rng.uniform(-1.0, 1.0, size=output).tolist()
    return w, {"x": rng.standard_normal((steps, D)).tolist()}
