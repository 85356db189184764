"""A GAN trained in numpy: MLP generator and discriminator, hand-written backprop, snapshots.

Notation
--------
    x        a real sample, shape [d] (d = 1 or 2); a batch is [B, d]
    z        noise, z ~ N(0, I), shape [d_z]
    G(z)     the generator: an MLP with hidden activation phi_G and a *linear* output  [d_z] -> [d]
    a(x)     the discriminator's logit: an MLP with hidden activation phi_D, linear output  [d] -> [1]
    D(x)     = sigma(a(x)), the discriminator's probability that x is real
    W_l, b_l one layer, row-batch convention: h_l = phi(h_{l-1} W_l + b_l), W_l is [n_in, n_out]
             (PyTorch's nn.Linear stores the transpose, [n_out, n_in])
    B        batch size: each discriminator step sees B real and B generated samples
    k        discriminator steps per generator step (option ``d_steps``)
    phi      ``leaky_relu`` (slope 0.2 for negative inputs) or ``tanh``

Equations
---------
    Goodfellow et al. (2014):  min_G max_D V(D, G),
        V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]

    Discriminator loss (minimised, batch mean; the "half real / half fake" step):
        L_D = -(1/B) sum_i [log D(x_i) + log(1 - D(G(z_i)))]
            = (1/B) sum_i [softplus(-a(x_i)) + softplus(a(G(z_i)))]
        dL_D/da(x_i) = (D(x_i) - 1)/B,   dL_D/da(G(z_i)) = D(G(z_i))/B

    Generator loss (minimised, D frozen), option ``loss``:
        minimax:         L_G = (1/B) sum_i log(1 - D(G(z_i))) = -(1/B) sum_i softplus(a_i)
                         dL_G/da_i = -D(G(z_i))/B          -> vanishes when D(G(z)) -> 0 (saturation)
        non_saturating:  L_G = -(1/B) sum_i log D(G(z_i))   = (1/B) sum_i softplus(-a_i)
                         dL_G/da_i = (D(G(z_i)) - 1)/B     -> about -1/B when D(G(z)) -> 0

    Backprop through a layer h = phi(u), u = h_in W + b (delta = dL/du):
        dL/dW = h_in^T delta,  dL/db = sum_batch delta,  dL/dh_in = delta W^T,
        phi' = 1 or 0.2 (leaky_relu), 1 - h^2 (tanh).  The G step backprops through D
        into x = G(z) (dL/dx) and on through G; D's weights are not changed by it.
        The training loop steps along :func:`d_loss_grads` / :func:`g_loss_grads`, the very
        functions the finite-difference tests check (through d_step_grads / g_step_grads).

    Optimisers (:mod:`engines.optim`): SGD  theta <- theta - lr g
                Adam m <- b1 m + (1-b1) g, v <- b2 v + (1-b2) g^2,
                     theta <- theta - lr (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + 1e-8)

    Divergence estimate: Jensen-Shannon divergence **in bits** (log base 2, so 0 <= JS <= 1)
    between histograms of n_eval real and n_eval generated samples on fixed bins
    (60 bins in 1-D, 24x24 in 2-D; samples outside the range count in the edge bins).
    A finite-sample histogram JS is biased upwards: ``js_floor`` is the JS between two
    independent real samples of the same size, the best a perfect generator can score.

    Mode coverage (mixture data with known centres mu_k, stds s_k, weights w_k): a generated
    sample is assigned to its nearest centre and is *high quality* if ||x - mu_k|| < 3 s_k;
    mode k is *covered* if it receives at least 20% of its expected share, n_k >= 0.2 w_k n.

Hyper-parameter file (the ``weights`` of a weights file; a GAN's numbers are *trained*,
so its "weights" are the recipe: architecture + init seed; see docs/gan.md)::

    {"model": "gan", "description": "...",
     "options": {"loss": "non_saturating", "optimizer": "adam", "train_steps": 1500, ...},
     "weights": {"seed": 0, "z_dim": 1, "g_hidden": [16, 16], "d_hidden": [16, 16],
                 "g_act": "leaky_relu", "d_act": "leaky_relu", "beta1": 0.5, "beta2": 0.999},
     "inputs":  {"data": "mixture", "means": [2, 5], "stds": [0.5, 0.5], "weights": [0.5, 0.5]}}

``inputs`` is one of: ``{"data": "mixture", "means": [K] or [K, 2], "stds": [K], "weights": [K]}``,
``{"data": "ring", "modes": 8, "radius": 2.0, "std": 0.05}``, ``{"data": "moons", "noise": 0.05}``
or ``{"data_csv": "points.csv"}`` (rows ``x`` or ``x,y``; the option ``data`` / CLI ``--data``
overrides ``inputs`` with a CSV). CSV data are standardised per coordinate for training;
every number in the trace is in the CSV's own units. Initial weights are drawn from the
seed (PyTorch's nn.Linear rule, U(-1/sqrt(n_in), 1/sqrt(n_in)) for W and b) unless the
weights give them explicitly as ``G_W1, G_b1, ..., D_W1, D_b1, ...`` ([n_in, n_out] / [n_out]) or in
PyTorch ``nn.Sequential`` state_dict names ``G.0.weight`` ([n_out, n_in]), ``G.0.bias``, ``G.2.weight``, ...
"""
from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from . import optim
from ._numerics import sigmoid
from .errors import InputError
from .gan_osc import Oscillation, measure as measure_oscillation
from .io import ModelKeys, as_array, check_keys, check_shape
from .trace import Array, IntArray, Record

LEAK = 0.2
_TORCH_KEY = re.compile(r"^(G|D|generator|discriminator)\.(\d+)\.(weight|bias)$")
ACTIVATIONS = ("leaky_relu", "tanh")
LOSSES = ("minimax", "non_saturating")
OPTIMIZERS = optim.OPTIMIZERS
ADAM_EPS = 1e-8
N_EVAL = 2000          # real and generated samples behind every snapshot statistic
N_SHOW = 400           # samples stored per snapshot for drawing
BINS = {1: 60, 2: 24}  # histogram bins per axis for the JS estimate
GRID = {1: 121, 2: 33}  # D(x) evaluation grid per axis
IMAGE = 64              # 2-D: D(x) also on a fine IMAGE x IMAGE grid (snapshot.d_image) for smooth pictures
COVER_SHARE = 0.2

_HYPER_KEYS = ("seed", "z_dim", "g_hidden", "d_hidden", "g_act", "d_act", "beta1", "beta2")
_DATA_KEYS = {"mixture": ("data", "means", "stds", "weights"), "ring": ("data", "modes", "radius", "std"),
              "moons": ("data", "noise"), "csv": ("data_csv",)}
_DEFAULTS = dict(loss="non_saturating", optimizer="adam", train_steps=1000, lr_g=1e-3, lr_d=1e-3,
                 batch_size=64, d_steps=1, snapshot_every=50, compare_loss=False)
MODEL_KEYS = {"gan": ModelKeys(inputs=tuple(dict.fromkeys(k for ks in _DATA_KEYS.values() for k in ks)),
                               options=tuple(_DEFAULTS) + ("data",), weights=_HYPER_KEYS)}


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
                m = _TORCH_KEY.match(k)
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


# --------------------------------------------------------------------------- data

@dataclass(frozen=True)
class Data:
    """A training distribution. Samples come out in *training* coordinates (x - shift) / scale."""
    kind: str
    dim: int
    means: np.ndarray | None = None     # [K, d]
    stds: np.ndarray | None = None      # [K]
    weights: np.ndarray | None = None   # [K]
    noise: float = 0.0                  # moons
    points: np.ndarray | None = None    # [N, d] csv (standardised)
    shift: np.ndarray | None = None     # [d]
    scale: np.ndarray | None = None     # [d]
    label: str = ""

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.kind == "mixture":
            k = rng.choice(len(self.weights), size=n, p=self.weights)  # [n]
            return self.means[k] + self.stds[k][:, None] * rng.standard_normal((n, self.dim))  # [n, d]
        if self.kind == "moons":
            upper = rng.random(n) < 0.5
            t = np.pi * rng.random(n)
            x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
            y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
            return np.stack([x, y], axis=1) + self.noise * rng.standard_normal((n, 2))  # [n, 2]
        idx = rng.integers(0, len(self.points), size=n)
        return self.points[idx]  # [n, d]

    def to_user(self, x: np.ndarray) -> np.ndarray:
        return x if self.shift is None else x * self.scale + self.shift

    def from_user(self, x: np.ndarray) -> np.ndarray:
        return x if self.shift is None else (x - self.shift) / self.scale


def read_csv_points(path: str) -> np.ndarray:
    """Rows ``x`` or ``x,y`` (one optional header line) -> [N, d]. One-line InputError otherwise."""
    p = os.fspath(path)
    try:
        with open(p, newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh)]
    except FileNotFoundError:
        raise InputError(f"data CSV {p!r} does not exist; expected a file of x or x,y rows") from None
    except IsADirectoryError:
        raise InputError(f"data CSV {p!r} is a directory; expected a file of x or x,y rows") from None
    except (UnicodeDecodeError, OSError, csv.Error) as e:
        raise InputError(f"cannot read data CSV {p!r} ({e.__class__.__name__}); expected a text file of x or x,y rows") from None
    pts = []
    width = None
    for n, row in enumerate(rows, 1):
        cells = [c.strip() for c in row]
        if not cells or all(c == "" for c in cells):
            continue
        try:
            vals = [float(c) for c in cells]
        except ValueError:
            if n == 1 and not pts:
                continue  # a header line
            raise InputError(f"data CSV {p!r} line {n}: {','.join(cells)[:40]!r} is not numeric; expected rows of x or x,y") from None
        if len(vals) not in (1, 2):
            raise InputError(f"data CSV {p!r} line {n} has {len(vals)} columns; expected rows of x or x,y (1 or 2 columns)")
        if width is None:
            width = len(vals)
        elif len(vals) != width:
            raise InputError(f"data CSV {p!r} line {n} has {len(vals)} columns but earlier rows have {width}; expected the same in every row")
        if not all(np.isfinite(vals)):
            raise InputError(f"data CSV {p!r} line {n} contains NaN or inf; expected finite numbers")
        pts.append(vals)
    if len(pts) < 8:
        raise InputError(f"data CSV {p!r} has {len(pts)} numeric rows; expected at least 8 rows of x or x,y")
    arr = np.array(pts, dtype=np.float64)  # [N, d]
    if np.any(arr.std(axis=0) == 0):
        raise InputError(f"data CSV {p!r}: a column is constant; expected points that vary in every coordinate")
    return arr


def make_data(inputs: dict[str, Any]) -> Data:
    if not isinstance(inputs, dict):
        raise InputError('GAN inputs must be an object like {"data": "mixture", "means": [...], "stds": [...], "weights": [...]}')
    kind = "csv" if "data_csv" in inputs else inputs.get("data")
    accepted = _DATA_KEYS[kind] if kind in _DATA_KEYS else tuple(dict.fromkeys(k for ks in _DATA_KEYS.values() for k in ks))
    check_keys(inputs, accepted, "input key")
    if "data_csv" in inputs:
        pts = read_csv_points(inputs["data_csv"])
        shift, scale = pts.mean(axis=0), pts.std(axis=0)
        return Data("csv", pts.shape[1], points=(pts - shift) / scale, shift=shift, scale=scale,
                    label=f"csv {os.path.basename(os.fspath(inputs['data_csv']))} ({len(pts)} points)")
    kind = inputs.get("data")
    if kind == "mixture":
        for k in ("means", "stds"):
            if k not in inputs:
                raise InputError(f'mixture data needs "{k}"; expected {{"data": "mixture", "means": [K] or [K, 2], "stds": [K], "weights": [K]}}')
        means = as_array("means", inputs["means"])
        if means.ndim == 1:
            means = means[:, None]  # [K] -> [K, 1]
        if means.ndim != 2 or means.shape[1] not in (1, 2):
            raise InputError(f"means has shape {means.shape}, expected [K] (1-D data) or [K, 2] (2-D data)")
        K = means.shape[0]
        stds = as_array("stds", inputs["stds"], 1)
        check_shape("stds", stds, (K,), "(K,) one std per mode")
        if np.any(stds <= 0):
            raise InputError("stds must be positive")
        w = as_array("weights", inputs.get("weights", [1.0] * K), 1)
        check_shape("weights", w, (K,), "(K,) one weight per mode")
        if np.any(w < 0) or w.sum() <= 0:
            raise InputError("weights must be non-negative with a positive sum")
        return Data("mixture", means.shape[1], means, stds, w / w.sum(), label=f"mixture of {K} Gaussians")
    if kind == "ring":
        modes = inputs.get("modes", 8)
        if not isinstance(modes, int) or isinstance(modes, bool) or modes < 1:
            raise InputError(f"ring modes is {modes!r}, expected a positive integer")
        radius = float(as_array("radius", inputs.get("radius", 2.0), 0))
        std = float(as_array("std", inputs.get("std", 0.05), 0))
        if radius <= 0 or std <= 0:
            raise InputError("ring radius and std must be positive")
        ang = 2 * np.pi * np.arange(modes) / modes
        means = radius * np.stack([np.cos(ang), np.sin(ang)], axis=1)  # [K, 2]
        return Data("mixture", 2, means, np.full(modes, std), np.full(modes, 1.0 / modes),
                    label=f"ring of {modes} Gaussians (radius {radius:g}, std {std:g})")
    if kind == "moons":
        noise = float(as_array("noise", inputs.get("noise", 0.05), 0))
        if noise < 0:
            raise InputError("moons noise must be >= 0")
        return Data("moons", 2, noise=noise, label=f"two moons (noise {noise:g})")
    raise InputError(f"unknown GAN data {kind!r}; expected inputs {{\"data\": \"mixture\"|\"ring\"|\"moons\", ...}} "
                     f"or {{\"data_csv\": \"points.csv\"}}")


# --------------------------------------------------------------------------- statistics

def js_bits(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence of two histograms (normalised inside), in bits, in [0, 1]."""
    p = p / p.sum()
    q = q / q.sum()
    m = 0.5 * (p + q)

    def kl(a):
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / m[nz])))
    return 0.5 * kl(p) + 0.5 * kl(q)


def histogram(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of samples per bin (``edges`` [d, nb+1]); out-of-range samples land in the edge bins."""
    d, nb = edges.shape[0], edges.shape[1] - 1
    idx = np.zeros(len(x), dtype=np.int64)
    for j in range(d):
        lo, hi = edges[j, 0], edges[j, -1]
        k = np.clip(np.floor((x[:, j] - lo) / (hi - lo) * nb).astype(np.int64), 0, nb - 1)
        idx = idx * nb + k
    counts = np.bincount(idx, minlength=nb ** d).astype(np.float64)
    return (counts / len(x)).reshape((nb,) * d)  # [nb] or [nb, nb]


def mode_counts(x: np.ndarray, means: np.ndarray, stds: np.ndarray) -> np.ndarray:
    """High-quality samples per mode: nearest centre, within 3 std of it."""
    dist = np.sqrt(((x[:, None, :] - means[None, :, :]) ** 2).sum(axis=2))  # [n, K]
    k = np.argmin(dist, axis=1)
    hq = dist[np.arange(len(x)), k] < 3 * stds[k]
    return np.bincount(k[hq], minlength=len(means)).astype(np.int64)


# --------------------------------------------------------------------------- trace

@dataclass(frozen=True)
class Snapshot(Record):
    step: int               # generator steps done
    fake: Array             # [N_SHOW, d] G(z) for the first N_SHOW fixed eval noises
    fake_hist: Array        # [nb] or [nb, nb] share of generated samples per bin
    d_grid: Array           # [G] or [G, G] (rows = y) D(x) on the grid
    z_map: Array            # [Z, d] G of the fixed z grid
    loss_d: float           # L_D on the fixed eval batch (n_eval real, n_eval fake)
    loss_g: float           # L_G of this run's loss on the eval noise
    loss_g_minimax: float   # mean log(1 - D(G(z)))
    loss_g_ns: float        # -mean log D(G(z))
    d_real: float           # mean D(x) over eval real
    d_fake: float           # mean D(G(z)) over eval fakes
    js: float               # JS(real || generated) in bits
    mean_fake: Array        # [d]
    std_fake: Array         # [d]
    mode_counts: IntArray | None = None  # [K] high-quality samples per mode
    modes_covered: int | None = None
    d_image: Array | None = None  # 2-D: [IMAGE, IMAGE] (rows = y) D(x) on the fine grid trace.image_grid


@dataclass(frozen=True)
class Curves(Record):
    """One value per generator step (D values of its last D step, before the updates)."""
    loss_d: Array        # [T]
    loss_g: Array        # [T]
    d_real: Array        # [T] mean D(x) on the real batch
    d_fake: Array        # [T] mean D(G(z)) on the fake batch
    grad_d: Array        # [T] ||dL_D/dtheta_D||
    grad_g: Array        # [T] ||dL_G/dtheta_G||
    real_mean: Array     # [T, d] batch mean of the real half
    fake_mean: Array     # [T, d] batch mean of the fake half
    grad_g_median_late: float | None = None   # median of grad_g over the second half of training (t >= T // 2)


@dataclass(frozen=True)
class Stats(Record):
    mean_real: Array     # [d]
    std_real: Array      # [d]
    mean_fake: Array     # [d]
    std_fake: Array      # [d]
    mean_rel_err: Array  # [d] |mean_fake - mean_real| / |mean_real|
    std_rel_err: Array   # [d] |std_fake - std_real| / std_real
    js: float            # bits
    js_floor: float      # bits: JS between two independent real samples (the estimator's floor)
    modes_covered: int | None = None
    n_modes: int | None = None
    hq_share: float | None = None   # share of generated samples within 3 std of a mode


@dataclass(frozen=True)
class Run(Record):
    label: str
    loss: str
    snapshots: tuple[Snapshot, ...]
    curves: Curves
    final: Stats
    params: Params       # the trained weights
    oscillation: Oscillation | None = None  # does mean D(G(z)) settle or cycle (engines/gan_osc.py)


@dataclass(frozen=True)
class GANTrace(Record):
    kind: ClassVar[str] = "gan"
    data: str                    # a readable description of the data
    dim: int                     # d
    settings: dict               # every hyper-parameter used
    real: Array                  # [N_SHOW, d] real eval samples (drawing)
    real_hist: Array             # [nb] or [nb, nb]
    edges: Array                 # [d, nb + 1] histogram bin edges
    grid: Array                  # [d, G] axes of the D(x) grid
    z_grid: Array                # [Z, d_z]
    mean_real: Array             # [d]
    std_real: Array              # [d]
    js_floor: float
    init: Params
    runs: tuple[Run, ...]
    modes: Array | None = None   # [K, d] mixture centres
    mode_stds: Array | None = None  # [K]
    mode_weights: Array | None = None  # [K]
    image_grid: Array | None = None  # 2-D: [2, IMAGE] axes of the snapshots' d_image (same window as grid)


# --------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class Settings:
    seed: int
    z_dim: int
    g_hidden: tuple[int, ...]
    d_hidden: tuple[int, ...]
    g_act: str
    d_act: str
    beta1: float
    beta2: float
    loss: str
    optimizer: str
    train_steps: int
    lr_g: float
    lr_d: float
    batch_size: int
    d_steps: int
    snapshot_every: int
    compare_loss: bool

    def as_dict(self) -> dict:
        d = {f: getattr(self, f) for f in self.__dataclass_fields__}
        d["g_hidden"], d["d_hidden"] = list(self.g_hidden), list(self.d_hidden)
        return d


def _int(name, v, lo=1, hi=None):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) and not (isinstance(v, float) and v.is_integer()):
        raise InputError(f"{name} is {v!r}, expected an integer >= {lo}")
    v = int(v)
    if v < lo or (hi is not None and v > hi):
        raise InputError(f"{name} is {v}, expected an integer in [{lo}, {hi}]" if hi else f"{name} is {v}, expected an integer >= {lo}")
    return v


def _float(name, v, lo=0.0, hi=None, open_lo=True):
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(f"{name} is {v!r}, expected a number") from None
    if isinstance(v, bool) or not np.isfinite(f) or (f <= lo if open_lo else f < lo) or (hi is not None and f >= hi):
        rng = f"in ({lo}, {hi})" if hi is not None else f"> {lo}"
        raise InputError(f"{name} is {v!r}, expected a finite number {rng}")
    return f


def _hidden(name, v):
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        v = [v]
    if not isinstance(v, (list, tuple)) or len(v) > 4:
        raise InputError(f"{name} is {v!r}, expected a list of 0-4 layer widths like [16, 16]")
    return tuple(_int(f"{name} width", w, 1, 512) for w in v)


def settings(weights: dict, x_dim: int, options: dict) -> Settings:
    opts = {**_DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
    unknown = set(opts) - set(_DEFAULTS)
    if unknown:
        raise InputError(f"unknown GAN option(s) {', '.join(sorted(unknown))}; expected: {', '.join(_DEFAULTS)}")
    if opts["loss"] not in LOSSES:
        raise InputError(f"unknown loss {opts['loss']!r}; expected one of: {', '.join(LOSSES)}")
    if opts["optimizer"] not in OPTIMIZERS:
        raise InputError(f"unknown optimizer {opts['optimizer']!r}; expected one of: {', '.join(OPTIMIZERS)}")
    if not isinstance(opts["compare_loss"], (bool, np.bool_)):
        raise InputError(f"compare_loss is {opts['compare_loss']!r}; expected true or false")
    for k in ("g_act", "d_act"):
        if weights.get(k, "leaky_relu") not in ACTIVATIONS:
            raise InputError(f"{k} is {weights[k]!r}, expected one of: {', '.join(ACTIVATIONS)}")
    seed = weights.get("seed", 0)
    return Settings(
        seed=_int("seed", seed, 0),
        z_dim=_int("z_dim", weights.get("z_dim", x_dim), 1, 64),
        g_hidden=_hidden("g_hidden", weights.get("g_hidden", [16, 16])),
        d_hidden=_hidden("d_hidden", weights.get("d_hidden", [16, 16])),
        g_act=weights.get("g_act", "leaky_relu"), d_act=weights.get("d_act", "leaky_relu"),
        beta1=_float("beta1", weights.get("beta1", 0.5), 0.0, 1.0, open_lo=False),
        beta2=_float("beta2", weights.get("beta2", 0.999), 0.0, 1.0, open_lo=False),
        loss=opts["loss"], optimizer=opts["optimizer"],
        train_steps=_int("train_steps", opts["train_steps"], 1, 200_000),
        lr_g=_float("lr_g", opts["lr_g"], 0.0, 10.0), lr_d=_float("lr_d", opts["lr_d"], 0.0, 10.0),
        batch_size=_int("batch_size", opts["batch_size"], 1, 4096),
        d_steps=_int("d_steps", opts["d_steps"], 1, 100),
        snapshot_every=_int("snapshot_every", opts["snapshot_every"], 1),
        compare_loss=bool(opts["compare_loss"]))


# --------------------------------------------------------------------------- training

class _Flat:
    """A flat parameter vector with per-layer views (the optimiser updates one vector)."""

    def __init__(self, net: tuple[Layer, ...]):
        self.shapes = [(L.W.shape, L.b.shape) for L in net]
        self.vec = np.concatenate([a.ravel() for L in net for a in (L.W, L.b)])
        self.layers = []
        o = 0
        for ws, bs in self.shapes:
            nW, nb = int(np.prod(ws)), int(np.prod(bs))
            self.layers.append((self.vec[o:o + nW].reshape(ws), self.vec[o + nW:o + nW + nb]))
            o += nW + nb

    def freeze(self) -> tuple[Layer, ...]:
        return tuple(Layer(W, b) for W, b in self.layers)


def _grad_vec(grads) -> np.ndarray:
    return np.concatenate([a.ravel() for dW, db in grads for a in (dW, db)])


def _optimizers(st: Settings):
    """(G's optimiser, D's optimiser) with fresh state."""
    return (optim.make(st.optimizer, st.lr_g, st.beta1, st.beta2, ADAM_EPS),
            optim.make(st.optimizer, st.lr_d, st.beta1, st.beta2, ADAM_EPS))


def train_step(params: Params, x_real_batches, z_d_batches, z_g: np.ndarray, st: Settings) -> Params:
    """k D steps then one G step from fresh optimiser state (SGD, or Adam's first step):
    the reference point for the independent PyTorch check. Returns the new parameters."""
    gf, df = _Flat(params.G), _Flat(params.D)
    og, od = _optimizers(st)
    _iteration(gf, df, og, od, params.g_act, params.d_act, st.loss, x_real_batches, z_d_batches, z_g)
    return Params(gf.freeze(), df.freeze(), params.g_act, params.d_act)


def _iteration(gf, df, og, od, g_act, d_act, loss, xs, zds, zg):
    """One training iteration: a D step per real batch (with its noise), then one G step on ``zg``,
    both with the gradients of :func:`d_loss_grads` / :func:`g_loss_grads`."""
    for x_real, z in zip(xs, zds):
        ld, grads, info = d_loss_grads(gf.layers, df.layers, g_act, d_act, x_real, z)
        gd = _grad_vec(grads)
        od.step([df.vec], [gd])
    lg, grads, _ = g_loss_grads(gf.layers, df.layers, g_act, d_act, zg, loss)
    gg = _grad_vec(grads)
    og.step([gf.vec], [gg])
    return (ld, lg, info["d_real"], info["d_fake"], float(np.linalg.norm(gd)), float(np.linalg.norm(gg)),
            info["real_mean"], info["fake_mean"])


@dataclass(frozen=True)
class _Eval:
    real: np.ndarray      # [n, d] training coordinates
    z: np.ndarray         # [n, d_z]
    grid_pts: np.ndarray  # [G or G*G, d] training coordinates
    z_grid: np.ndarray    # [Z, d_z]
    edges: np.ndarray     # [d, nb+1] user coordinates
    real_hist: np.ndarray
    img_pts: np.ndarray | None = None  # [IMAGE*IMAGE, 2] training coordinates (2-D only)


def _snapshot(step, G, D, data: Data, ev: _Eval, g_act, d_act, loss) -> Snapshot:
    fake, _ = mlp_forward(G, ev.z, g_act)  # [n, d_z] -> [n, d]
    n = len(ev.real)
    a = mlp_forward(D, np.concatenate([ev.real, fake]), d_act)[0][:, 0]  # [2n]
    a_r, a_f = a[:n], a[n:]
    p = sigmoid(a)
    ld = float(np.mean(softplus(-a_r)) + np.mean(softplus(a_f)))
    lmm = float(-np.mean(softplus(a_f)))
    lns = float(np.mean(softplus(-a_f)))
    fake_u = data.to_user(fake)
    hist = histogram(fake_u, ev.edges)
    dg = sigmoid(mlp_forward(D, ev.grid_pts, d_act)[0][:, 0])
    if data.dim == 2:
        side = int(round(np.sqrt(len(dg))))
        dg = dg.reshape(side, side)  # [G*G] -> [G (y), G (x)]
    counts = covered = None
    if data.kind == "mixture":
        counts = mode_counts(fake_u, data.means, data.stds)
        covered = int(np.sum(counts >= COVER_SHARE * data.weights * n))
    img = None if ev.img_pts is None else sigmoid(mlp_forward(D, ev.img_pts, d_act)[0][:, 0]).reshape(IMAGE, IMAGE)
    return Snapshot(step=step, fake=fake_u[:N_SHOW], fake_hist=hist, d_grid=dg, d_image=img,
                    z_map=data.to_user(mlp_forward(G, ev.z_grid, g_act)[0]),
                    loss_d=ld, loss_g=lmm if loss == "minimax" else lns, loss_g_minimax=lmm, loss_g_ns=lns,
                    d_real=float(p[:n].mean()), d_fake=float(p[n:].mean()),
                    js=js_bits(ev.real_hist, hist), mean_fake=fake_u.mean(axis=0), std_fake=fake_u.std(axis=0),
                    mode_counts=counts, modes_covered=covered)


def _train(init: Params, data: Data, st: Settings, loss: str, ev: _Eval, mean_real, std_real, js_floor,
           label: str) -> Run:
    rng = np.random.default_rng([st.seed, 1])
    gf, df = _Flat(init.G), _Flat(init.D)
    og, od = _optimizers(st)
    T, B, d = st.train_steps, st.batch_size, data.dim
    cols = {k: np.empty(T) for k in ("loss_d", "loss_g", "d_real", "d_fake", "grad_d", "grad_g")}
    rmeans, fmeans = np.empty((T, d)), np.empty((T, d))
    snaps = [_snapshot(0, gf.layers, df.layers, data, ev, init.g_act, init.d_act, loss)]
    for t in range(T):
        xs = [data.sample(rng, B) for _ in range(st.d_steps)]
        zs = [rng.standard_normal((B, st.z_dim)) for _ in range(st.d_steps)]
        zg = rng.standard_normal((B, st.z_dim))
        ld, lg, dr, dfk, gnd, gng, rm, fm = _iteration(gf, df, og, od, init.g_act, init.d_act, loss, xs, zs, zg)
        cols["loss_d"][t], cols["loss_g"][t], cols["d_real"][t], cols["d_fake"][t] = ld, lg, dr, dfk
        cols["grad_d"][t], cols["grad_g"][t] = gnd, gng
        rmeans[t], fmeans[t] = data.to_user(rm), data.to_user(fm)
        if (t + 1) % st.snapshot_every == 0 or t + 1 == T:
            snaps.append(_snapshot(t + 1, gf.layers, df.layers, data, ev, init.g_act, init.d_act, loss))
    last = snaps[-1]
    final = Stats(mean_real=mean_real, std_real=std_real, mean_fake=last.mean_fake, std_fake=last.std_fake,
                  mean_rel_err=np.abs(last.mean_fake - mean_real) / np.maximum(np.abs(mean_real), 1e-12),
                  std_rel_err=np.abs(last.std_fake - std_real) / std_real,
                  js=last.js, js_floor=js_floor, modes_covered=last.modes_covered,
                  n_modes=None if last.mode_counts is None else len(last.mode_counts),
                  hq_share=None if last.mode_counts is None else float(last.mode_counts.sum() / len(ev.real)))
    curves = Curves(real_mean=rmeans, fake_mean=fmeans, **cols, grad_g_median_late=float(np.median(cols["grad_g"][T // 2:])))
    return Run(label, loss, tuple(snaps), curves, final, Params(gf.freeze(), df.freeze(), init.g_act, init.d_act))


def _z_grid(z_dim: int) -> np.ndarray:
    if z_dim == 2:
        a = np.linspace(-2.0, 2.0, 9)
        zz = np.stack(np.meshgrid(a, a), axis=-1)  # [9, 9, 2]
        return zz.reshape(-1, 2)  # [81, 2]
    g = np.zeros((41, z_dim))
    g[:, 0] = np.linspace(-2.5, 2.5, 41)  # [41, d_z]: a line along z_1, other coordinates 0
    return g


LABELS = {"minimax": "minimax", "non_saturating": "non-saturating"}


def run(init: Params, data: Data, st: Settings) -> GANTrace:
    """Train from ``init`` on ``data`` with ``st`` (and, with compare_loss, also with the other G loss)."""
    if init.x_dim != data.dim:
        raise InputError(f"G outputs {init.x_dim} value(s) per sample but the data are {data.dim}-D; expected equal")
    erng = np.random.default_rng([st.seed, 2])
    real = data.sample(erng, N_EVAL)  # [n, d]
    z = erng.standard_normal((N_EVAL, init.z_dim))  # [n, d_z]
    real2_u = data.to_user(data.sample(erng, N_EVAL))
    real_u = data.to_user(real)
    lo, hi = real_u.min(axis=0), real_u.max(axis=0)
    span = hi - lo
    lo, hi = lo - 0.25 * span, hi + 0.25 * span
    if data.dim == 2:  # one square window, so circles look round
        c, r = (lo + hi) / 2, float(np.max(hi - lo)) / 2
        lo, hi = c - r, c + r
    nb, ng = BINS[data.dim], GRID[data.dim]
    edges = np.stack([np.linspace(lo[j], hi[j], nb + 1) for j in range(data.dim)])  # [d, nb+1]
    grid = np.stack([np.linspace(lo[j], hi[j], ng) for j in range(data.dim)])  # [d, G]
    if data.dim == 1:
        pts = grid.T  # [G, 1]
    else:
        gx, gy = np.meshgrid(grid[0], grid[1])  # [G (y), G (x)]
        pts = np.stack([gx.ravel(), gy.ravel()], axis=1)  # [G*G, 2]
    real_hist = histogram(real_u, edges)
    js_floor = js_bits(real_hist, histogram(real2_u, edges))
    zg = _z_grid(init.z_dim)
    img_axes, img_pts = _image_grid(lo, hi) if data.dim == 2 else (None, None)
    ev = _Eval(real, z, data.from_user(pts), zg, edges, real_hist,
               None if img_pts is None else data.from_user(img_pts))
    mean_real, std_real = real_u.mean(axis=0), real_u.std(axis=0)
    losses = [st.loss] + ([l for l in LOSSES if l != st.loss] if st.compare_loss else [])
    runs = tuple(_with_oscillation(_train(init, data, st, l, ev, mean_real, std_real, js_floor, LABELS[l]))
                 for l in losses)
    mixture = data.kind == "mixture"
    return GANTrace(data=data.label, dim=data.dim, settings=st.as_dict(), real=real_u[:N_SHOW], real_hist=real_hist,
                    edges=edges, grid=grid, z_grid=zg, mean_real=mean_real, std_real=std_real, js_floor=js_floor,
                    init=init, runs=runs,
                    modes=data.means if mixture else None, mode_stds=data.stds if mixture else None,
                    mode_weights=data.weights if mixture else None, image_grid=img_axes)


# --------------------------------------------------------------------------- protocol

def build(weights: dict, inputs: dict, **options) -> GANTrace:
    """Validate the hyper-parameters (``weights``), the data (``inputs`` or option ``data``), train."""
    if not isinstance(weights, dict):
        raise InputError("GAN weights must be an object of hyper-parameters like {\"seed\": 0, \"g_hidden\": [16]}")
    options = dict(options)
    csv_path = options.pop("data", None)
    if csv_path is not None:
        inputs = {"data_csv": csv_path}
    data = make_data(inputs if inputs is not None else {})
    arrays = {k: v for k, v in weights.items() if k not in _HYPER_KEYS}
    ours = {k for k in arrays if k[:3] in ("G_W", "G_b", "D_W", "D_b") and k[3:].isdigit()}
    torch = {k for k in arrays if _TORCH_KEY.match(k)}
    check_keys(sorted(set(arrays) - ours - torch), (), "weight", "gan",
               expected=f"hyper-parameters {', '.join(_HYPER_KEYS)} and optionally G_W1, G_b1, ..., D_W1, D_b1, ... "
                        "(or PyTorch G.0.weight, G.0.bias, ...)",
               shown=None, suggest=_HYPER_KEYS + ("G_W1", "G_b1", "D_W1", "D_b1"))
    if ours and torch:
        raise InputError("weights mix our names (G_W1 ...) and PyTorch names (G.0.weight ...); expected one layout")
    st = settings(weights, data.dim, options)
    if arrays:
        init = (Params.from_torch if torch else Params.from_arrays)(arrays, st.g_act, st.d_act)
        st = replace(st, z_dim=init.z_dim, g_hidden=tuple(L.W.shape[1] for L in init.G[:-1]),
                     d_hidden=tuple(L.W.shape[1] for L in init.D[:-1]))
    else:
        init = init_params(np.random.default_rng([st.seed, 0]), st.z_dim, data.dim, st.g_hidden, st.d_hidden,
                           st.g_act, st.d_act)
    return run(init, data, st)


def random(rng: np.random.Generator, *, hidden: int = 8, input_size: int = 1, steps: int = 3, **options):
    """Seeded hyper-parameters: ``hidden`` units per layer (two layers), a random 1-D mixture
    (``input_size`` 1) or a ring of 8 (``input_size`` 2). ``steps`` is not used (see train_steps)."""
    if input_size not in (1, 2):
        raise InputError(f"--input-size {input_size} is not a GAN data dimension; expected 1 or 2")
    weights = {"seed": int(rng.integers(0, 2**31 - 1)), "z_dim": input_size,
               "g_hidden": [hidden, hidden], "d_hidden": [hidden, hidden]}
    if input_size == 1:
        K = int(rng.integers(1, 4))
        inputs = {"data": "mixture", "means": np.round(rng.uniform(-4, 4, K), 2).tolist(),
                  "stds": np.round(rng.uniform(0.3, 1.0, K), 2).tolist(), "weights": [1.0] * K}
    else:
        inputs = {"data": "ring", "modes": 8, "radius": 2.0, "std": 0.1}
    return weights, inputs


# --------------------------------------------------------------------------- pictures and dynamics

def _image_grid(lo: np.ndarray, hi: np.ndarray):
    """The fine 2-D grid of d_image: axes [2, IMAGE] and points [IMAGE*IMAGE, 2] (user coordinates, rows = y)."""
    axes = np.stack([np.linspace(lo[j], hi[j], IMAGE) for j in range(2)])  # [2, IMAGE]
    gx, gy = np.meshgrid(axes[0], axes[1])  # [IMAGE (y), IMAGE (x)]
    return axes, np.stack([gx.ravel(), gy.ravel()], axis=1)  # [IMAGE*IMAGE, 2]


def _with_oscillation(r: Run) -> Run:
    """The run with its oscillation measured on the snapshots (mean D(G(z)) and mean G(z))."""
    sn = r.snapshots
    return replace(r, oscillation=measure_oscillation([x.step for x in sn], [x.d_fake for x in sn],
                                                      np.stack([x.mean_fake for x in sn])))
