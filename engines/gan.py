"""A GAN trained in numpy: MLP generator and discriminator, hand-written backprop, snapshots.

This module reads the recipe (hyper-parameters, data, options) and trains; the parts live beside it:
:mod:`engines.gan_model` (the networks and their gradients), :mod:`engines.gan_data` (training data,
JS and mode statistics), :mod:`engines.gan_eval` (the evaluation window and snapshots),
:mod:`engines.gan_train` (the training loop and the trace), :mod:`engines.gan_osc` (oscillation).

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

from dataclasses import replace

import numpy as np

from . import optim
from .errors import InputError
from .gan_data import INPUT_KEYS, Data, histogram, js_bits, make_data, mode_counts, read_csv_points
from .gan_eval import BINS, COVER_SHARE, GRID, IMAGE, N_EVAL, N_SHOW, Snapshot
from .gan_model import (ACTIVATIONS, LEAK, LOSSES, TORCH_KEY, Layer, Params, d_loss_grads, d_step_grads,
                        g_loss_grads, g_step_grads, init_params, mlp_backward, mlp_forward, softplus)
from .gan_train import ADAM_EPS, LABELS, Curves, GANTrace, Run, Settings, Stats, run, train_step
from .io import ModelKeys, check_keys

__all__ = ["ACTIVATIONS", "ADAM_EPS", "BINS", "COVER_SHARE", "GRID", "IMAGE", "LABELS", "LEAK", "LOSSES", "MODEL_KEYS",
           "N_EVAL", "N_SHOW", "OPTIMIZERS", "Curves", "Data", "GANTrace", "Layer", "Params", "Run", "Settings",
           "Snapshot", "Stats", "build", "d_loss_grads", "d_step_grads", "g_loss_grads", "g_step_grads",
           "histogram", "init_params", "js_bits", "make_data", "mlp_backward", "mlp_forward", "mode_counts",
           "random", "read_csv_points", "run", "settings", "softplus", "train_step"]

OPTIMIZERS = optim.OPTIMIZERS
_HYPER_KEYS = ("seed", "z_dim", "g_hidden", "d_hidden", "g_act", "d_act", "beta1", "beta2")
_DEFAULTS = dict(loss="non_saturating", optimizer="adam", train_steps=1000, lr_g=1e-3, lr_d=1e-3,
                 batch_size=64, d_steps=1, snapshot_every=50, compare_loss=False)
MODEL_KEYS = {"gan": ModelKeys(inputs=INPUT_KEYS, options=tuple(_DEFAULTS) + ("data",), weights=_HYPER_KEYS)}


# --------------------------------------------------------------------------- settings

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
    torch = {k for k in arrays if TORCH_KEY.match(k)}
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

