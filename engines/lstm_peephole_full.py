"""Reading and checking full peephole matrices for the LSTM engine (variant ``peephole-full``).

Notation
--------
``H`` hidden size, ``D`` input size. ``W_f, W_i, W_o`` [H, 2H + D] act on ``[c, h_{t-1}, x_t]``
(c first: ``C_{t-1}`` for f and i, the new ``C_t`` for o), ``W_C`` [H, H + D] on ``[h_{t-1}, x_t]``,
biases [H]. The step itself and its backward pass are :mod:`engines.cells` (``is_full``).

Equations: see :mod:`engines.lstm` ("Full peephole variant"). One layer, one direction.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from . import _recurrent as R
from . import layouts as L
from .errors import InputError
from .io import as_array, check_shape

_W = {"f": ("W_f",), "i": ("W_i",), "g": ("W_C", "W_g", "W_c"), "o": ("W_o",)}
_B = {"f": ("b_f",), "i": ("b_i",), "g": ("b_C", "b_g", "b_c"), "o": ("b_o",)}
_ONE_RUN = "variant peephole-full runs one layer in one direction; use --variant peephole for stacked or bidirectional LSTMs"


def _shape(v: Any) -> tuple[int, ...] | None:
    try:
        return tuple(np.asarray(v, dtype=np.float64).shape)
    except (TypeError, ValueError):
        return None


def full_matrices(weights: Mapping[str, Any]) -> str | None:
    """'W_f has shape (2, 5) = [H, 2H + D]: these are full peephole matrices' when W_f (or W_i,
    W_o) is H columns wider than W_C; None otherwise (also when they cannot be read: the
    ordinary reader then names what is wrong)."""
    got_g = L.get_ours(weights, _W["g"], 0, False)
    sg = _shape(got_g[1]) if got_g else None
    if sg is None or len(sg) != 2:
        return None
    H = sg[0]
    for gn in ("f", "i", "o"):
        got = L.get_ours(weights, _W[gn], 0, False)
        s = _shape(got[1]) if got else None
        if s is not None and len(s) == 2 and s[0] == H and s[1] == sg[1] + H:
            return f"{got[0]} has shape {s} = [H, 2H + D]: these are full peephole matrices"
    return None


def not_full(weights: Mapping[str, Any], layout: str) -> str:
    """The one-line refusal when variant peephole-full is asked of weights without full matrices."""
    if layout != "ours":
        return ("variant peephole-full reads our names only (W_f, W_i, W_o [H, 2H + D], W_C [H, H + D]); "
                "PyTorch and Keras LSTMs have no peepholes")
    diag = sorted(k for k in weights if k.startswith("P_"))
    if diag:
        return f"{diag[0]} given: these are diagonal peephole weights [H]; use --variant peephole"
    got = L.get_ours(weights, _W["f"], 0, False)
    s = _shape(got[1]) if got else None
    if s is not None and len(s) == 2:
        return (f"{got[0]} has shape {s} = [H, H + D]: variant peephole-full needs full peephole matrices "
                f"[H, 2H + D] = ({s[0]}, {s[1] + s[0]}) on [c, h, x]; use --variant standard or peephole")
    return "variant peephole-full needs W_f, W_i, W_o [H, 2H + D] on [c, h, x] and W_C [H, H + D]"


def read_full(weights: Mapping[str, Any], input_size: int | None, layers: int | None,
              bidirectional: bool | None) -> tuple[int, int, dict[str, np.ndarray], Any, Any]:
    """(H, D, cell weights {W_f, ..., b_o}, V, b_y) from our names; shapes checked."""
    n_layers, bidir = L.count_runs(weights, "ours")
    if n_layers > 1 or bidir or (layers or 1) > 1 or bidirectional:
        raise InputError(_ONE_RUN)
    diag = sorted(k for k in weights if k.startswith("P_"))
    if diag:
        raise InputError(f"{diag[0]} given with full peephole matrices: W_f, W_i, W_o already hold the "
                         "peepholes (drop P_f, P_i, P_o, or use --variant peephole with W_f [H, H + D])")
    c: dict[str, np.ndarray] = {}
    for gn in ("f", "i", "g", "o"):
        for kind, table, nd in (("W", _W, 2), ("b", _B, 1)):
            got = L.get_ours(weights, table[gn], 0, False)
            if got is None:
                raise InputError(f"LSTM weights are missing {' or '.join(table[gn])}; found {', '.join(sorted(weights))} "
                                 "(variant peephole-full: W_f, W_i, W_o [H, 2H+D], W_C [H, H+D], b_f, b_i, b_C, b_o [H])")
            c[f"{kind}_{gn}"] = as_array(got[0], got[1], nd)
    H = c["b_f"].shape[0]
    D = c["W_g"].shape[1] - H if input_size is None else input_size
    if D < 1:
        raise InputError(f"W_C has shape {c['W_g'].shape}, expected ({H}, {H} + input) = (hidden, hidden + input)")
    _check(c, H, D, "")
    V, b_y = R.read_output_layer(weights, ("V", "W_y"), ("b_y",))
    return H, D, c, V, b_y


def _check(cell: Any, H: int, D: int, sfx: str) -> None:
    get = cell.get if isinstance(cell, dict) else lambda k: getattr(cell, k)
    for gn in ("f", "i", "g", "o"):
        shape, meaning = ((H, H + D), "(hidden, hidden + input) on [h, x]") if gn == "g" else \
            ((H, 2 * H + D), "(hidden, 2*hidden + input) = [H, 2H + D] on [c, h, x]")
        check_shape(("W_C" if gn == "g" else f"W_{gn}") + sfx, get(f"W_{gn}"), shape, meaning)
        check_shape(("b_C" if gn == "g" else f"b_{gn}") + sfx, get(f"b_{gn}"), (H,), "(hidden,)")


def check_full_cells(params: Any) -> None:
    """LSTMParams checks for variant peephole-full: one run, full shapes, no diagonal peepholes."""
    if params.num_layers != 1 or params.bidirectional or len(params.cells) != 1:
        raise InputError(_ONE_RUN)
    cell = params.cells[0]
    _check(cell, params.hidden, params.input_size, "")
    if cell.P_f is not None or cell.P_i is not None or cell.P_o is not None:
        raise InputError("P_f given with full peephole matrices: W_f, W_i, W_o already hold the peepholes")
    R.check_output_layer(params.V, params.b_y, params.hidden, 1)


def random(rng: np.random.Generator, H: int, D: int, steps: int, output: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """uniform(-1, 1) W_f, W_i, W_o [H, 2H + D], W_C [H, H + D], biases, V, b_y; x standard normal [steps, D]."""
    w: dict[str, Any] = {}
    for g in ("f", "i", "C", "o"):
        w[f"W_{g}"] = rng.uniform(-1.0, 1.0, size=(H, H + D if g == "C" else 2 * H + D)).tolist()
        w[f"b_{g}"] = rng.uniform(-1.0, 1.0, size=H).tolist()
    w["V"] = rng.uniform(-1.0, 1.0, size=(output, H)).tolist()
    w["b_y"] = rng.uniform(-1.0, 1.0, size=output).tolist()
    return w, {"x": rng.standard_normal((steps, D)).tolist()}
