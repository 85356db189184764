"""Checks shared by the LSTM and GRU tests: random cases, central differences, the gradient
lookup by weight name, and the loss convention applied independently of the engines' BPTT."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

EPS = 1e-6


def random_case(engine, *, layers: int, bidir: bool, target: str | None, seed: int, cell_state: bool,
                **options: Any) -> tuple[dict, dict, dict]:
    """Seeded weights with an output layer (2 units), random h0 (and c0), and a target rule:
    None (sum of y_T), "last", "all" (per step), or "nov" (no output layer: sum of h_T)."""
    rng = np.random.default_rng(seed)
    w, inputs = engine.random(rng, hidden=2, input_size=2, steps=3, layers=layers, bidirectional=bidir,
                              output=2, **options)
    n = layers * (2 if bidir else 1)
    states = ("h0", "c0") if cell_state else ("h0",)
    for key in states:
        inputs[key] = rng.uniform(-0.5, 0.5, size=(n, 2) if n > 1 else 2).tolist()
    if target == "last":
        inputs["target"] = rng.standard_normal(2).tolist()
    elif target == "all":
        inputs["target"] = rng.standard_normal((3, 2)).tolist()
    elif target == "nov":
        w.pop("V"), w.pop("b_y")
    return w, inputs, {**options, "layers": layers, "bidirectional": bidir}


def central_diff(f: Callable[[np.ndarray], float], base: Any) -> np.ndarray:
    """d f / d base by central differences, entry by entry."""
    base = np.array(base, dtype=np.float64)
    grad = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        hi, lo = base.copy(), base.copy()
        hi[idx] += EPS
        lo[idx] -= EPS
        grad[idx] = (f(hi) - f(lo)) / (2 * EPS)
    return grad


def fd_weights(engine, weights: dict, inputs: dict, options: dict) -> dict[str, np.ndarray]:
    """Central differences of the loss with respect to every entry of every weight tensor."""
    return {name: central_diff(lambda v, name=name: engine.build({**weights, name: v.tolist()}, inputs,
                                                                   **options).bptt.loss, value)
            for name, value in weights.items()}


def fd_input(engine, weights: dict, inputs: dict, options: dict, key: str) -> np.ndarray:
    """Central differences of the loss with respect to one inputs entry (x, h0, c0)."""
    return central_diff(lambda v: engine.build(weights, {**inputs, key: v.tolist()}, **options).bptt.loss,
                        inputs[key])


def analytic(tr, name: str) -> np.ndarray:
    """The engine's gradient for one of our weight names (W_f_l1_reverse -> runs[idx].dW_f)."""
    if name in ("V", "b_y"):
        return getattr(tr.bptt, "d" + name)
    base, _, rest = name.partition("_")
    gate, *sfx = rest.split("_")
    layer = int(sfx[0][1:]) if sfx and sfx[0].startswith("l") else 0
    run = tr.bptt.runs[layer * (2 if tr.bidirectional else 1) + int("reverse" in sfx)]
    gate = "g" if gate == "C" else gate          # the LSTM's W_C is stored as dW_g
    return getattr(run, f"d{base}_{gate}")


def convention_loss(hs: np.ndarray, params, target) -> float:
    """The documented loss convention on hidden states hs [T, H]: 1/2||y - target||^2 (last step or
    every step), else sum(y_T), or sum(h_T) without an output layer."""
    pred = hs @ params.V.T + params.b_y if params.V is not None else hs
    if target is not None:
        e = pred[-1] - target if target.ndim == 1 else pred - target
        return 0.5 * float(np.sum(e * e))
    return float(np.sum(pred[-1]))


def comparable(tr) -> dict:
    """A trace's dict without the layout tag, to compare traces loaded from different layouts."""
    d = tr.to_dict()
    d["params"].pop("layout")
    return d


def fd_entry(engine, weights: dict, inputs: dict, name: str, pick: int) -> tuple[tuple, float]:
    """(index, central difference of the loss) for one entry of weight ``name``, chosen by ``pick``."""
    base = np.array(weights[name], dtype=np.float64)
    idx = np.unravel_index(pick % base.size, base.shape)
    hi, lo = base.copy(), base.copy()
    hi[idx] += EPS
    lo[idx] -= EPS
    loss = lambda v: engine.build({**weights, name: v.tolist()}, inputs).bptt.loss  # noqa: E731
    return idx, (loss(hi) - loss(lo)) / (2 * EPS)
