"""The GAN's two networks and their gradients: parameters (our names, PyTorch ``nn.Sequential`` names),
the MLP forward and backward pass, L_D and L_G with their gradients.

Notation and Equations: :mod:`engines.gan` (W_l is [n_in, n_out], row-batch convention h_l = phi(h_{l-1} W_l + b_l);
a(x) is D's logit, D(x) = sigma(a(x)); dL_D/da(x_i) = (D(x_i) - 1)/B, dL_D/da(G(z_i)) = D(G(z_i))/B;
dL_G/da_i = -D(G(z_i))/B (minimax) or (D(G(z_i)) - 1)/B (non-saturating)).
The training loop (:mod:`engines.gan_train`) steps along :func:`d_loss_grads` / :func:`g_loss_grads`,
the very functions the finite-difference tests check through :func:`d_step_grads` / :func:`g_step_grads`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._numerics import sigmoid
from .errors import InputError
from .io import as_array, check_shape
from .trace import Array, Record

LEAK = 0.2
TORCH_KEY = re.compile(r"^(G|D|generator|discriminator)\.(\d+)\.(weight|bias)$")
ACTIVATIONS = ("leaky_relu", "tanh")
LOSSES = ("minimax", "non_saturating")


# --------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class Layer(Record):
    W: Array  # [n_in, n_out]
    b: Array  # [n_out]


@dataclass(frozen=True)
class Params(Record):
    """Generator and discriminator weights; shapes are validated at construction."""
    G: tuple[Layer, ...]
    D: tuple[Layer, ...]
    g_act: str = "leaky_relu"
    d_act: str = "leaky_relu"

    def __post_init__(self) -> None:
        super().__post_init__()
        for act, who in ((self.g_act, "g_act"), (self.d_act, "d_act")):
            if act not in ACTIVATIONS:
                raise InputError(f"{who} is {act!r}, expected one of: {', '.join(ACTIVATIONS)}")
        for net, name in ((self.G, "G"), (self.D, "D")):
            if len(net) < 1:
                raise InputError(f"{name} has no layers, expected at least one")
            for i, L in enumerate(net, 1):
                if L.W.ndim != 2:
                    raise InputError(f"{name}_W{i} has shape {L.W.shape}, expected (n_in, n_out)")
                check_shape(f"{name}_b{i}", L.b, (L.W.shape[1],), "(n_out,)")
                if i > 1 and L.W.shape[0] != net[i - 2].W.shape[1]:
                    raise InputError(f"{name}_W{i} has shape {L.W.shape}, expected ({net[i - 2].W.shape[1]}, n_out) "
                                     f"= (outputs of {name}_W{i - 1}, n_out)")
        if self.D[-1].W.shape[1] != 1:
            raise InputError(f"D_W{len(self.D)} has shape {self.D[-1].W.shape}, expected (n_in, 1): D outputs one logit")
        if self.G[-1].W.shape[1] != self.D[0].W.shape[0]:
            raise InputError(f"G outputs {self.G[-1].W.shape[1]} values but D_W1 has shape {self.D[0].W.shape}, "
                             f"expected ({self.G[-1].W.shape[1]}, n_out)")

    @property
    def z_dim(self) -> int:
        return int(self.G[0].W.shape[0])

    @property
    def x_dim(self) -> int:
        return int(self.G[-1].W.shape[1])

    def arrays(self) -> dict[str, np.ndarray]:
        """Named arrays G_W1, G_b1, ..., D_W1, ... (the JSON names)."""
        out = {}
        for net, name in ((self.G, "G"), (self.D, "D")):
            for i, L in enumerate(net, 1):
                out[f"{name}_W{i}"] = L.W
                out[f"{name}_b{i}"] = L.b
        return out

    @classmethod
    def from_torch(cls, state: dict[str, Any], g_act: str = "leaky_relu", d_act: str = "leaky_relu") -> "Params":
        """From PyTorch ``nn.Sequential`` state_dict names: ``G.0.weight`` [n_out, n_in], ``G.0.bias``,
        ``G.2.weight`` ... (activations sit at the odd indices), same for ``D`` (or ``generator.`` /
        ``discriminator.``). Weights are transposed to our [n_in, n_out]."""
        arrays: dict[str, Any] = {}
        for name, long in (("G", "generator"), ("D", "discriminator")):
            idx = {}
            for k, v in state.items():
                m = TORCH_KEY.match(k)
                if m and m.group(1) in (name, long):
                    idx.setdefault(int(m.group(2)), {})[m.group(3)] = (k, v)
            prev = None
            for i, pos in enumerate(sorted(idx), 1):
                parts = idx[pos]
                if set(parts) != {"weight", "bias"}:
                    missing = ({"weight", "bias"} - set(parts)).pop()
                    raise InputError(f"state_dict has {next(iter(parts.values()))[0]} but no "
                                     f"{parts[next(iter(parts))][0].rsplit('.', 1)[0]}.{missing}; expected both")
                wk, bk = parts["weight"][0], parts["bias"][0]
                w = as_array(wk, parts["weight"][1], 2)
                b = as_array(bk, parts["bias"][1], 1)
                if prev is not None and w.shape[1] != prev[1].shape[0]:
                    raise InputError(f"{wk} has shape {w.shape}, expected (n_out, {prev[1].shape[0]}) = "
                                     f"(n_out, outputs of {prev[0]})")
                check_shape(bk, b, (w.shape[0],), f"(n_out,) of {wk}")
                arrays[f"{name}_W{i}"] = w.T  # [n_out, n_in] -> [n_in, n_out]
                arrays[f"{name}_b{i}"] = b
                prev = (wk, w)
        return cls.from_arrays(arrays, g_act, d_act)

    @classmethod
    def from_arrays(cls, arrays: dict[str, Any], g_act: str = "leaky_relu", d_act: str = "leaky_relu") -> "Params":
        nets = {}
        for name in ("G", "D"):
            layers = []
            i = 1
            while f"{name}_W{i}" in arrays:
                if f"{name}_b{i}" not in arrays:
                    raise InputError(f"weights have {name}_W{i} but no {name}_b{i}; expected both")
                layers.append(Layer(as_array(f"{name}_W{i}", arrays[f"{name}_W{i}"], 2),
                                    as_array(f"{name}_b{i}", arrays[f"{name}_b{i}"], 1)))
                i += 1
            if not layers:
                raise InputError(f"weights are missing {name}_W1, {name}_b1; expected G_W1.., D_W1.. or none of them")
            nets[name] = tuple(layers)
        return cls(nets["G"], nets["D"], g_act, d_act)


def init_params(rng: np.random.Generator, z_dim: int, x_dim: int, g_hidden, d_hidden,
                g_act: str = "leaky_relu", d_act: str = "leaky_relu") -> Params:
    """U(-1/sqrt(n_in), 1/sqrt(n_in)) for every W and b (PyTorch nn.Linear's default rule)."""
    def net(sizes):
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            k = 1.0 / np.sqrt(n_in)
            W = rng.uniform(-k, k, size=(n_in, n_out))
            b = rng.uniform(-k, k, size=(n_out,))
            layers.append(Layer(W, b))
        return tuple(layers)
    G = net([z_dim, *g_hidden, x_dim])
    D = net([x_dim, *d_hidden, 1])
    return Params(G, D, g_act, d_act)


# --------------------------------------------------------------------------- MLP maths

def _phi(act: str, u: np.ndarray) -> np.ndarray:
    return np.where(u > 0, u, LEAK * u) if act == "leaky_relu" else np.tanh(u)


def _dphi(act: str, u: np.ndarray, h: np.ndarray) -> np.ndarray:
    return np.where(u > 0, 1.0, LEAK) if act == "leaky_relu" else 1.0 - h * h


def mlp_forward(layers, x: np.ndarray, act: str):
    """Hidden layers phi(u), linear last layer. Returns (output, cache of (h_in, u, h))."""
    h = x
    cache = []
    n = len(layers)
    for i, (W, b) in enumerate(layers):
        u = h @ W + b  # [B, n_in] -> [B, n_out]
        out = u if i == n - 1 else _phi(act, u)
        cache.append((h, u, out))
        h = out
    return h, cache


def mlp_backward(layers, cache, dout: np.ndarray, act: str, need_dx: bool = True):
    """Gradients [(dW, db), ...] and dL/dx for dL/d(output) = ``dout``."""
    grads = [None] * len(layers)
    d = dout
    n = len(layers)
    for i in range(n - 1, -1, -1):
        h_in, u, out = cache[i]
        if i != n - 1:
            d = d * _dphi(act, u, out)
        grads[i] = (h_in.T @ d, d.sum(axis=0))  # [n_in, B] @ [B, n_out] -> [n_in, n_out]
        if i > 0 or need_dx:
            d = d @ layers[i][0].T  # [B, n_out] -> [B, n_in]
    return grads, d


def softplus(a: np.ndarray) -> np.ndarray:
    """log(1 + e^a), stable: -log D = softplus(-a), -log(1 - D) = softplus(a)."""
    return np.logaddexp(0.0, a)


def _pairs(net: tuple[Layer, ...]):
    return [(L.W, L.b) for L in net]


def _named(prefix: str, grads) -> dict[str, np.ndarray]:
    out = {}
    for i, (dW, db) in enumerate(grads, 1):
        out[f"{prefix}_W{i}"] = dW
        out[f"{prefix}_b{i}"] = db
    return out


def d_loss_grads(G, D, g_act: str, d_act: str, x_real: np.ndarray, z: np.ndarray):
    """L_D on B real samples x and the generated G(z), and its gradients [(dL/dW, dL/db), ...] for
    D's layers. ``G``, ``D`` are lists of (W, b); the training loop and the tests both call this."""
    x_fake, _ = mlp_forward(G, z, g_act)  # [B, d_z] -> [B, d]
    B, Bf = x_real.shape[0], x_fake.shape[0]
    xs = np.concatenate([x_real, x_fake])  # [2B, d]
    a, cache = mlp_forward(D, xs, d_act)  # [2B, d] -> [2B, 1]
    a_r, a_f = a[:B, 0], a[B:, 0]
    loss = float(np.mean(softplus(-a_r)) + np.mean(softplus(a_f)))
    p = sigmoid(a[:, 0])  # D(x) for the real then the fake half
    da = np.concatenate([(p[:B] - 1.0) / B, p[B:] / Bf])[:, None]  # [2B, 1]
    grads, _ = mlp_backward(D, cache, da, d_act, need_dx=False)
    info = dict(d_real=float(p[:B].mean()), d_fake=float(p[B:].mean()),
                real_mean=x_real.mean(axis=0), fake_mean=x_fake.mean(axis=0))
    return loss, grads, info


def g_loss_grads(G, D, g_act: str, d_act: str, z: np.ndarray, loss: str):
    """L_G (``minimax`` or ``non_saturating``) on noise z, and its gradients for G's layers (D frozen)."""
    if loss not in LOSSES:
        raise InputError(f"unknown loss {loss!r}; expected one of: {', '.join(LOSSES)}")
    B = z.shape[0]
    x_fake, gcache = mlp_forward(G, z, g_act)  # [B, d_z] -> [B, d]
    a, dcache = mlp_forward(D, x_fake, d_act)  # [B, d] -> [B, 1]
    p = sigmoid(a[:, 0])
    if loss == "minimax":
        value = float(-np.mean(softplus(a[:, 0])))
        da = (-p / B)[:, None]
    else:
        value = float(np.mean(softplus(-a[:, 0])))
        da = ((p - 1.0) / B)[:, None]
    _, dx = mlp_backward(D, dcache, da, d_act, need_dx=True)  # dL_G/dx  [B, d]
    grads, _ = mlp_backward(G, gcache, dx, g_act, need_dx=False)
    return value, grads, dict(d_fake=float(p.mean()))


def d_step_grads(params: Params, x_real: np.ndarray, z: np.ndarray):
    """:func:`d_loss_grads` of ``params``, the gradients named D_W1, D_b1, ..."""
    loss, grads, info = d_loss_grads(_pairs(params.G), _pairs(params.D), params.g_act, params.d_act, x_real, z)
    return loss, _named("D", grads), info


def g_step_grads(params: Params, z: np.ndarray, loss: str):
    """:func:`g_loss_grads` of ``params``, the gradients named G_W1, G_b1, ..."""
    value, grads, info = g_loss_grads(_pairs(params.G), _pairs(params.D), params.g_act, params.d_act, z, loss)
    return value, _named("G", grads), info

