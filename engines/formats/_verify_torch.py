"""The PyTorch side of ``--verify``: ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (+ ``nn.Linear``) and
``nn.MultiheadAttention`` with the file's state_dict, in float64, on the trace's inputs.

The whole module runs once (top-layer ``outputs``); per-step values of every (layer, direction)
come from a one-layer copy of the same weights stepped one time step at a time (``c_t`` is not
returned per step by ``nn.LSTM``), fed PyTorch's own outputs of the layer below.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..layouts import detect, run_label, suffix
from ..errors import InputError, ToolMissing
from .verify import FrameworkRun


def import_torch():
    try:
        import torch
    except ImportError:
        raise ToolMissing("--verify of a PyTorch file needs torch; pip install torch") from None
    return torch


def _torch_weights(model: str, weights: Mapping[str, Any], trace: Any) -> tuple[dict[str, np.ndarray], str]:
    """PyTorch-layout weights: the file's own, else converted by the engine's to_torch."""
    if detect(weights) == "torch":
        return {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}, ""
    if model == "lstm":
        from ..lstm import to_torch
    else:
        from ..gru import to_torch
        if trace.convention != "torch":
            raise InputError("--verify with torch: a textbook-convention GRU (Keras reset_after=False) has no "
                             "PyTorch equivalent; verify it with keras")
    return to_torch(trace.params), "weights converted to PyTorch names by GateLab's to_torch (checks the maths, not the names)"


def _load(torch, module, sd: Mapping[str, np.ndarray], what: str) -> None:
    want = module.state_dict()
    missing = [k for k in want if k not in sd]
    if missing:
        raise InputError(f"--verify: {what} needs {', '.join(missing)}; the weights have {', '.join(sorted(sd))}")
    for k, v in want.items():
        if tuple(v.shape) != tuple(np.shape(sd[k])):
            raise InputError(f"--verify: {what} expects {k} of shape {tuple(v.shape)}, the weights give {np.shape(sd[k])}")
    module.load_state_dict({k: torch.tensor(np.asarray(sd[k]), dtype=torch.float64) for k in want})


def _stepped(torch, cls, sd: dict, k: int, rev: bool, xs: np.ndarray, h0, c0, bias: bool):
    """One (layer, direction) as a one-layer module stepped over xs [T, D_k]: (h [T, H], c [T, H] or None)."""
    H = h0.shape[0]
    m = cls(xs.shape[1], H, batch_first=True, bias=bias).double()
    sfx = suffix(k, rev)
    _load(torch, m, {n + "_l0": sd[n + sfx] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                     if n + sfx in sd}, f"{cls.__name__} {run_label(k, rev)}")
    T = xs.shape[0]
    hs, cs = np.zeros((T, H)), np.zeros((T, H))
    h = torch.tensor(h0, dtype=torch.float64).reshape(1, 1, H)
    c = torch.tensor(c0, dtype=torch.float64).reshape(1, 1, H) if c0 is not None else None
    with torch.no_grad():
        for t in (range(T - 1, -1, -1) if rev else range(T)):
            x = torch.tensor(xs[t], dtype=torch.float64).reshape(1, 1, -1)
            _, state = m(x, (h, c) if c is not None else h)
            h, c = state if c is not None else (state, None)
            hs[t] = h.reshape(-1).numpy()
            if c is not None:
                cs[t] = c.reshape(-1).numpy()
    return hs, (cs if c0 is not None else None)


def _recurrent(torch, model: str, sd: dict, trace: Any, out: FrameworkRun) -> np.ndarray:
    cls = torch.nn.LSTM if model == "lstm" else torch.nn.GRU
    H, L, dirs = trace.hidden, trace.num_layers, 2 if trace.bidirectional else 1
    bias = any(k.startswith("bias_ih") for k in sd)
    full = cls(trace.input_size, H, num_layers=L, bidirectional=dirs == 2, batch_first=True, bias=bias).double()
    _load(torch, full, sd, f"nn.{cls.__name__}")
    h0 = torch.tensor(np.stack([r.h0 for r in trace.runs]), dtype=torch.float64)[:, None, :]   # [L*dirs, 1, H]
    state = h0
    if model == "lstm":
        state = (h0, torch.tensor(np.stack([r.c0 for r in trace.runs]), dtype=torch.float64)[:, None, :])
    with torch.no_grad():
        top, _ = full(torch.tensor(np.asarray(trace.xs), dtype=torch.float64)[None], state)
    x_in = np.asarray(trace.xs)
    for k in range(L):
        outs = []
        for r in range(dirs):
            run = trace.runs[k * dirs + r]
            hs, cs = _stepped(torch, cls, sd, k, bool(r), x_in, np.asarray(run.h0),
                              np.asarray(run.c0) if model == "lstm" else None, bias)
            out.values[f"h[{run_label(k, bool(r))}]"] = hs
            if cs is not None:
                out.values[f"c[{run_label(k, bool(r))}]"] = cs
            outs.append(hs)
        x_in = np.concatenate(outs, axis=1)                                # dirs x [T, H] -> [T, dirs*H]
    out.built = f"nn.{cls.__name__}({trace.input_size}, {H}, num_layers={L}, bidirectional={dirs == 2})"
    return top[0].numpy()


def _linear(torch, V: np.ndarray, b: np.ndarray, x: np.ndarray, out: FrameworkRun) -> np.ndarray:
    lin = torch.nn.Linear(V.shape[1], V.shape[0]).double()
    _load(torch, lin, {"weight": V, "bias": b}, "nn.Linear")
    out.built += f" + nn.Linear({V.shape[1]}, {V.shape[0]})"
    with torch.no_grad():
        return lin(torch.tensor(x, dtype=torch.float64)).numpy()


def _rnn(torch, weights: Mapping[str, Any], trace: Any, out: FrameworkRun) -> None:
    if trace.activation not in ("tanh", "relu"):
        raise InputError(f"--verify with torch: nn.RNN has tanh and relu, not {trace.activation!r}; verify with keras")
    if detect(weights) == "torch":
        sd = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items() if k.endswith("_l0")}
    else:
        sd = {"weight_ih_l0": trace.U, "weight_hh_l0": trace.W, "bias_ih_l0": trace.b_h, "bias_hh_l0": np.zeros(trace.hidden)}
        out.notes.append("weights converted to PyTorch names (U, W, b_h)")
    bias = "bias_ih_l0" in sd
    m = torch.nn.RNN(trace.input_size, trace.hidden, nonlinearity=trace.activation, batch_first=True, bias=bias).double()
    _load(torch, m, sd, "nn.RNN")
    xs = np.array([s.x for s in trace.steps])
    with torch.no_grad():
        hs, _ = m(torch.tensor(xs, dtype=torch.float64)[None], torch.tensor(np.asarray(trace.h0), dtype=torch.float64)[None, None])
    out.values["h"] = hs[0].numpy()
    out.built = f"nn.RNN({trace.input_size}, {trace.hidden}, nonlinearity={trace.activation!r})"
    if trace.V is not None:
        z = _linear(torch, np.asarray(trace.V), np.asarray(trace.b_y), out.values["h"], out)
        zt = torch.tensor(z)
        y = {"identity": zt, "sigmoid": torch.sigmoid(zt), "softmax": torch.softmax(zt, dim=-1)}[trace.output]
        out.values["y"] = y.numpy()


def _multihead(torch, weights: Mapping[str, Any], trace: Any, out: FrameworkRun) -> None:
    from ..attention import MHAParams
    E, heads = trace.d_model, trace.num_heads
    if "in_proj_weight" in weights:
        sd = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    else:
        p = MHAParams.from_weights(weights)                                  # our x W + b -> torch x W^T + b
        sd = {"in_proj_weight": np.vstack([p.W_q.T, p.W_k.T, p.W_v.T]), "in_proj_bias": np.concatenate([p.b_q, p.b_k, p.b_v]),
              "out_proj.weight": p.W_o.T, "out_proj.bias": p.b_o}
        out.notes.append("weights converted to PyTorch names (in_proj_weight = [W_q; W_k; W_v]^T)")
    m = torch.nn.MultiheadAttention(E, heads, batch_first=True, bias="in_proj_bias" in sd).double()
    _load(torch, m, sd, "nn.MultiheadAttention")
    x = torch.tensor(np.asarray(trace.x), dtype=torch.float64)[None]
    kv = torch.tensor(np.asarray(trace.x_kv), dtype=torch.float64)[None]
    mask = torch.tensor(np.asarray(trace.mask))                              # True = ignore, as ours
    with torch.no_grad():
        o, w = m(x, kv, kv, attn_mask=mask, need_weights=True, average_attn_weights=False)
    for h in range(heads):
        out.values[f"weights[head {h + 1}]"] = w[0, h].numpy()
    out.values["output"] = o[0].numpy()
    out.built = f"nn.MultiheadAttention({E}, {heads})"


def run(model: str, weights: Mapping[str, Any], trace: Any, dtype: str) -> FrameworkRun:
    torch = import_torch()
    out = FrameworkRun(f"torch {torch.__version__.split('+')[0]}", "", "float64")
    if model == "rnn":
        _rnn(torch, weights, trace, out)
    elif model == "multihead":
        _multihead(torch, weights, trace, out)
    else:
        sd, note = _torch_weights(model, weights, trace)
        if note:
            out.notes.append(note)
        top = _recurrent(torch, model, sd, trace, out)
        out.values["outputs"] = top
        if trace.ys is not None:
            V = np.asarray(sd["V"]) if "V" in sd else np.asarray(trace.params.V)
            b = np.asarray(sd["b_y"]) if "b_y" in sd else np.asarray(trace.params.b_y)
            out.values["y"] = _linear(torch, np.atleast_2d(V), np.atleast_1d(b), top, out)
    return out
