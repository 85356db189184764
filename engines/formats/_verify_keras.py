"""The Keras side of ``--verify``: Keras's own layers with the file's weights, on the trace's inputs.

Keras layers return the per-step hidden states (``return_sequences=True``) and the final states
(``return_state=True``); the per-step LSTM cell state comes from stepping the layer's own cell
(``layer.cell(x_t, [h, c])``). A Bidirectional layer's backward outputs come back in time order.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..layouts import normalise_keras_names, run_label, suffix
from ..errors import InputError, ToolMissing
from .verify import FrameworkRun

_ACT = {"tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid", "identity": "linear"}
_OUT = {"identity": "linear", "sigmoid": "sigmoid", "softmax": "softmax"}


def _default_backend() -> None:
    """Keras picks tensorflow unless told otherwise: when KERAS_BACKEND is unset and keras is not loaded
    yet, choose a backend that is installed (tensorflow, jax, torch, then numpy, which only needs jax)."""
    import importlib.util
    import os
    import sys

    if "KERAS_BACKEND" in os.environ or "keras" in sys.modules:
        return
    for backend, module in (("tensorflow", "tensorflow"), ("jax", "jax"), ("torch", "torch"), ("numpy", "numpy")):
        if importlib.util.find_spec(module) is not None:
            os.environ["KERAS_BACKEND"] = backend
            return


def import_keras():
    _default_backend()
    try:
        import keras
    except ModuleNotFoundError as e:
        if e.name == "keras":
            raise ToolMissing("--verify of a Keras file needs keras and a backend; pip install keras jax") from None
        raise ToolMissing(f"--verify: keras is installed but its backend needs {e.name}; pip install {e.name} "
                          "(or set KERAS_BACKEND to an installed backend: jax, numpy, torch, tensorflow)") from None
    except ImportError as e:
        raise ToolMissing(f"--verify: keras cannot start ({str(e).splitlines()[0][:120]})") from None
    return keras


def precision(keras, dtype: str) -> str:
    """What Keras computes a ``dtype`` model in: a float64 product that float32 would round."""
    if dtype != "float64":
        return "float32"
    a = keras.ops.convert_to_tensor(np.array([[1.0]]), dtype="float64")
    b = keras.ops.convert_to_tensor(np.array([[1.0 + 2.0 ** -40]]), dtype="float64")
    r = np.asarray(keras.ops.convert_to_numpy(keras.ops.matmul(a, b)), dtype=np.float64)
    return "float64" if r[0, 0] != 1.0 else "float32"


def _np(keras, a) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(a), dtype=np.float64)


def _get(w: Mapping[str, Any], base: str, k: int, rev: bool):
    for name in (base + suffix(k, rev),) + ((base + ("_reverse" if rev else ""),) if k == 0 else ()):
        if name in w:
            return np.asarray(w[name], dtype=np.float64)
    return None


def _keras_weights(model: str, weights: Mapping[str, Any], trace: Any) -> tuple[dict[str, Any], str]:
    """Keras-layout weights: the file's own (names as Keras saves them), else converted by the engine."""
    from ..layouts import detect
    if detect(weights) == "keras":
        return normalise_keras_names(weights), ""
    if model == "lstm":
        from ..lstm import to_keras
    elif model == "gru":
        from ..gru import to_keras
    else:
        return {}, ""
    w = to_keras(trace.params)
    if trace.params.V is not None:
        w["dense_kernel"], w["dense_bias"] = trace.params.V.T, trace.params.b_y      # [O, W] -> [W, O]
    return w, "weights converted to Keras names by GateLab's to_keras (checks the maths, not the names)"


def _set(layer, arrays: list[np.ndarray], what: str) -> None:
    want = [tuple(v.shape) for v in layer.weights]
    got = [tuple(a.shape) for a in arrays]
    if want != got:
        raise InputError(f"--verify: {what} expects weights of shapes {want}, the file gives {got}")
    layer.set_weights([a.astype(layer.weights[i].dtype) for i, a in enumerate(arrays)])


def _cell_states(keras, cell, xs: np.ndarray, h0: np.ndarray, c0: np.ndarray, reverse: bool, dt: str) -> np.ndarray:
    """Per-step c_t of an LSTM cell stepped over xs [T, D] (backwards if ``reverse``), in time order."""
    T = xs.shape[0]
    h, c = h0[None].astype(dt), c0[None].astype(dt)
    cs = np.zeros((T, h0.shape[0]))
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        _, (h, c) = cell(xs[t][None].astype(dt), [h, c])
        cs[t] = _np(keras, c)[0]
    return cs


def _recurrent(keras, model: str, w: Mapping[str, Any], trace: Any, dt: str, out: FrameworkRun) -> np.ndarray:
    """Run every layer of an LSTM/GRU trace in Keras; fill h[...] (and c[...]); return the top outputs."""
    cls = keras.layers.LSTM if model == "lstm" else keras.layers.GRU
    H, dirs = trace.hidden, 2 if trace.bidirectional else 1
    x_in = np.asarray(trace.xs)
    for k in range(trace.num_layers):
        runs = [trace.runs[k * dirs + r] for r in range(dirs)]
        mats = []
        for r in range(dirs):
            ws = [_get(w, b, k, bool(r)) for b in ("kernel", "recurrent_kernel", "bias")]
            if ws[0] is None or ws[1] is None:
                raise InputError(f"--verify: no Keras kernel/recurrent_kernel for {run_label(k, bool(r))}")
            mats.append([a for a in ws if a is not None])
        opts: dict[str, Any] = dict(return_sequences=True, return_state=True, dtype=dt, use_bias=len(mats[0]) == 3)
        if model == "gru":
            opts["reset_after"] = trace.convention == "torch"
        layer = cls(H, **opts)
        if dirs == 2:
            layer = keras.layers.Bidirectional(layer, dtype=dt)
        layer.build((1,) + x_in.shape)
        _set(layer, [a for m in mats for a in m], f"Keras {'Bidirectional ' if dirs == 2 else ''}{cls.__name__}({H})")
        states = []
        for r in runs:
            states += [r.h0[None].astype(dt)] + ([r.c0[None].astype(dt)] if model == "lstm" else [])
        res = layer(x_in[None].astype(dt), initial_state=states)
        seq = _np(keras, res[0])[0]                                     # [T, dirs*H]
        for r, run in enumerate(runs):
            label = run_label(k, bool(r))
            out.values[f"h[{label}]"] = seq[:, r * H:(r + 1) * H]
            if model == "lstm":
                sub = (layer.forward_layer, layer.backward_layer)[r] if dirs == 2 else layer
                out.values[f"c[{label}]"] = _cell_states(keras, sub.cell, x_in, run.h0, run.c0, bool(r), dt)
        x_in = seq
        out.built += (" + " if out.built else "") + (f"Bidirectional({cls.__name__}({H}))" if dirs == 2 else f"{cls.__name__}({H})")
    return x_in


def _dense(keras, kernel: np.ndarray, bias: np.ndarray, act: str, x: np.ndarray, dt: str, out: FrameworkRun) -> np.ndarray:
    layer = keras.layers.Dense(kernel.shape[1], activation=act, dtype=dt)
    layer.build((1,) + x.shape)
    _set(layer, [kernel, bias], f"Keras Dense({kernel.shape[1]})")
    out.built += f" + Dense({kernel.shape[1]}{', ' + act if act != 'linear' else ''})"
    return _np(keras, layer(x[None].astype(dt)))[0]


def _rnn(keras, weights: Mapping[str, Any], trace: Any, dt: str, out: FrameworkRun) -> None:
    if trace.activation not in _ACT:
        raise InputError(f"--verify: activation {trace.activation!r} has no Keras SimpleRNN equivalent")
    w = normalise_keras_names(weights)
    w = w if "kernel" in w and "recurrent_kernel" in w else {}            # the file's own Keras names
    ker = np.asarray(w["kernel"]) if w else trace.U.T                     # [H, D] -> [D, H]
    rec = np.asarray(w["recurrent_kernel"]) if w else trace.W.T
    bias = np.asarray(w["bias"]) if w and "bias" in w else np.asarray(trace.b_h)
    if not w:
        out.notes.append("weights converted to Keras names (U.T, W.T, b_h)")
    H = trace.hidden
    layer = keras.layers.SimpleRNN(H, activation=_ACT[trace.activation], return_sequences=True, dtype=dt)
    xs = np.array([s.x for s in trace.steps])
    layer.build((1,) + xs.shape)
    _set(layer, [ker, rec, bias], f"Keras SimpleRNN({H})")
    hs = _np(keras, layer(xs[None].astype(dt), initial_state=[np.asarray(trace.h0)[None].astype(dt)]))[0]
    out.values["h"] = hs
    out.built = f"SimpleRNN({H}, {_ACT[trace.activation]})"
    if trace.V is not None and trace.output in _OUT:
        out.values["y"] = _dense(keras, np.asarray(trace.V).T, np.asarray(trace.b_y), _OUT[trace.output], hs, dt, out)


def _multihead(keras, weights: Mapping[str, Any], trace: Any, dt: str, out: FrameworkRun) -> None:
    from ..attention import MHAParams
    p = MHAParams.from_weights(weights)
    E, heads, dk = trace.d_model, trace.num_heads, trace.d_k
    layer = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=dk, dtype=dt)
    x, xkv = np.asarray(trace.x)[None].astype(dt), np.asarray(trace.x_kv)[None].astype(dt)
    layer(x, xkv)                                                         # builds the projections
    arrays = [p.W_q.reshape(E, heads, dk), p.b_q.reshape(heads, dk), p.W_k.reshape(E, heads, dk),
              p.b_k.reshape(heads, dk), p.W_v.reshape(E, heads, dk), p.b_v.reshape(heads, dk),
              p.W_o.reshape(heads, dk, E), p.b_o]                           # [E, E] -> [E, heads, d_k] ...
    _set(layer, arrays, f"Keras MultiHeadAttention({heads} heads)")
    attend = ~np.asarray(trace.mask)[None]                                # Keras: True = attend
    o, scores = layer(x, xkv, attention_mask=attend, return_attention_scores=True)
    scores = _np(keras, scores)[0]                                        # [heads, T, T_k]
    for h in range(heads):
        out.values[f"weights[head {h + 1}]"] = scores[h]
    out.values["output"] = _np(keras, o)[0]
    out.built = f"MultiHeadAttention({heads} heads, key_dim {dk})"


def run(model: str, weights: Mapping[str, Any], trace: Any, dtype: str) -> FrameworkRun:
    keras = import_keras()
    prec = precision(keras, dtype)
    dt = "float64" if dtype == "float64" else "float32"
    out = FrameworkRun(f"keras {keras.__version__} ({keras.backend.backend()} backend)", "", prec)
    if dtype == "float64" and prec != "float64":
        out.notes.append(f"Keras on the {keras.backend.backend()} backend computes float64 models partly in "
                         "float32, so the tolerance is 1e-6")
    if model == "rnn":
        _rnn(keras, weights, trace, dt, out)
    elif model == "multihead":
        _multihead(keras, weights, trace, dt, out)
    else:
        w, note = _keras_weights(model, weights, trace)
        if note:
            out.notes.append(note)
        top = _recurrent(keras, model, w, trace, dt, out)
        out.values["outputs"] = top
        if trace.ys is not None:
            kernel = np.asarray(w["dense_kernel"]) if "dense_kernel" in w else np.asarray(trace.params.V).T
            bias = np.asarray(w["dense_bias"]) if "dense_bias" in w else np.asarray(trace.params.b_y)
            out.values["y"] = _dense(keras, kernel, np.atleast_1d(bias), "linear", top, dt, out)
    return out
