"""The GAN losses as functions of the discriminator's outputs, with their derivatives, in nats and bits.

Notation
--------
    p_r      D(x), the discriminator's probability that a real sample is real, in (0, 1)
    p        D(G(z)), its probability that a generated sample is real, in (0, 1)
    a        the discriminator's logit, p = sigma(a), so dp/da = p (1 - p)
    ln       natural log (nats); bits = nats / ln 2

Equations
---------
    L_D            = -(ln p_r + ln(1 - p))
    dL_D/dp_r      = -1/p_r                    dL_D/dp = 1/(1 - p)
    minimax        L_G = ln(1 - p)             dL_G/dp = -1/(1 - p)     dL_G/da = -p
    non-saturating L_G = -ln p                 dL_G/dp = -1/p           dL_G/da = p - 1

    |dL_mm/dp| / |dL_ns/dp| = |dL_mm/da| / |dL_ns/da| = p / (1 - p)   (the same in both
    parametrisations): below p* = r/(1 + r) the minimax gradient is less than r times the
    non-saturating one (r = ``RATIO``, 0.1: p* = 1/11). When D rejects the fakes (p -> 0, early
    training) the minimax loss is flat and its logit gradient -p vanishes: G stops learning.

The trace holds the user's (p_r, p) pairs with every value above, and the same functions on
a grid of p in (0, 1) for plots (``gatelab plot gan-loss-curves``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .errors import InputError
from .trace import Array, Record

LN2 = float(np.log(2.0))
RATIO = 0.1                 # "small": the minimax gradient below RATIO times the non-saturating one
GRID = np.linspace(0.002, 0.998, 499)  # [P] the p axis of the curves
_KEYS = ("d_real", "d_fake")


# --------------------------------------------------------------------------- pure maths

def loss_d(p_r, p):
    """L_D = -(ln p_r + ln(1 - p)) in nats."""
    return -(np.log(p_r) + np.log1p(-np.asarray(p, dtype=np.float64)))


def loss_g_minimax(p):
    return np.log1p(-np.asarray(p, dtype=np.float64))


def loss_g_ns(p):
    return -np.log(np.asarray(p, dtype=np.float64))


def dloss_d_dreal(p_r):
    return -1.0 / np.asarray(p_r, dtype=np.float64)


def dloss_d_dfake(p):
    return 1.0 / (1.0 - np.asarray(p, dtype=np.float64))


def dloss_g_minimax(p):
    return -1.0 / (1.0 - np.asarray(p, dtype=np.float64))


def dloss_g_ns(p):
    return -1.0 / np.asarray(p, dtype=np.float64)


def saturation_p(ratio: float = RATIO) -> float:
    """The p below which |dL_mm| < ratio |dL_ns| (p/(1-p) = ratio)."""
    return ratio / (1.0 + ratio)


# --------------------------------------------------------------------------- trace

@dataclass(frozen=True)
class LossCase(Record):
    d_real: float            # p_r = D(x)
    d_fake: float            # p = D(G(z))
    loss_d: float            # nats
    loss_g_minimax: float    # nats
    loss_g_ns: float         # nats
    dloss_d_dreal: float     # dL_D/dp_r, nats per unit of probability
    dloss_d_dfake: float     # dL_D/dp
    dloss_g_minimax: float   # dL_G/dp, minimax
    dloss_g_ns: float        # dL_G/dp, non-saturating
    dlogit_minimax: float    # dL_G/da = -p
    dlogit_ns: float         # dL_G/da = p - 1
    ratio: float             # |minimax| / |non-saturating| gradient = p/(1 - p)


@dataclass(frozen=True)
class Curves(Record):
    p: Array                 # [P] D(G(z)) grid in (0, 1)
    loss_g_minimax: Array    # [P] nats
    loss_g_ns: Array         # [P]
    dloss_g_minimax: Array   # [P] dL_G/dp
    dloss_g_ns: Array        # [P]
    dlogit_minimax: Array    # [P] dL_G/da
    dlogit_ns: Array         # [P]
    ratio: Array             # [P] p/(1 - p)


@dataclass(frozen=True)
class GANLossTrace(Record):
    kind: ClassVar[str] = "gan-loss"
    cases: tuple[LossCase, ...]
    curves: Curves
    ratio_threshold: float   # RATIO
    saturation_p: float      # below this p the minimax gradient is < RATIO x the non-saturating one
    ln2: float               # bits = nats / ln2


def case(p_r: float, p: float) -> LossCase:
    lr, lp = np.log(p_r), np.log1p(-p)
    return LossCase(d_real=p_r, d_fake=p, loss_d=float(-(lr + lp)), loss_g_minimax=float(lp),
                    loss_g_ns=float(-np.log(p)), dloss_d_dreal=-1.0 / p_r, dloss_d_dfake=1.0 / (1.0 - p),
                    dloss_g_minimax=-1.0 / (1.0 - p), dloss_g_ns=-1.0 / p, dlogit_minimax=-p, dlogit_ns=p - 1.0,
                    ratio=p / (1.0 - p))


def curves(p: np.ndarray = GRID) -> Curves:
    p = np.asarray(p, dtype=np.float64)  # [P]
    return Curves(p=p, loss_g_minimax=loss_g_minimax(p), loss_g_ns=loss_g_ns(p), dloss_g_minimax=dloss_g_minimax(p),
                  dloss_g_ns=dloss_g_ns(p), dlogit_minimax=-p, dlogit_ns=p - 1.0, ratio=p / (1.0 - p))


# --------------------------------------------------------------------------- input

def _probs(name: str, v: Any) -> list[float]:
    """A probability, a list of them, or a comma-separated string -> [float, ...] in (0, 1)."""
    if isinstance(v, str):
        parts = [s.strip() for s in v.split(",")]
        try:
            vals = [float(s) for s in parts]
        except ValueError:
            raise InputError(f"--{name.replace('_', '-')} {v!r} is not a number or a comma-separated list; "
                             f"expected e.g. 0.9 or 0.9,0.5") from None
    else:
        flat = v if isinstance(v, (list, tuple)) else [v]
        try:
            if any(isinstance(x, bool) for x in flat):
                raise TypeError
            vals = np.asarray(flat, dtype=np.float64).ravel().tolist()
        except (TypeError, ValueError):
            raise InputError(f"{name} is {v!r}; expected a probability or a list of probabilities in (0, 1)") from None
    if not vals:
        raise InputError(f"{name} is empty; expected at least one probability in (0, 1)")
    for x in vals:
        if not (np.isfinite(x) and 0.0 < x < 1.0):
            raise InputError(f"{name} = {x:g} is not a probability in (0, 1); the logs need 0 < D < 1 (open interval)")
    return vals


def build(weights: dict | None, inputs: dict | None, **options) -> GANLossTrace:
    """``inputs`` (or options) ``d_real`` and ``d_fake``: equal-length lists, or one side of length 1."""
    if weights:
        from .io import unknown_key
        raise unknown_key("weight", next(iter(weights)), (), "gan-loss")
    inputs = dict(inputs or {})
    unknown = [k for k in inputs if k not in _KEYS]
    if unknown:
        from .io import unknown_key
        raise unknown_key("input key", unknown[0], ("d_real", "d_fake"))
    bad = [k for k in options if k not in _KEYS]
    if bad:
        raise InputError(f"unknown gan-loss option {bad[0]!r}; expected d_real and d_fake")
    vals = {}
    for k in _KEYS:
        v = options.get(k) if options.get(k) is not None else inputs.get(k)
        if v is None:
            raise InputError(f"gan-loss needs {k}; expected --{k.replace('_', '-')} P (a probability in (0, 1))")
        vals[k] = _probs(k, v)
    r, f = vals["d_real"], vals["d_fake"]
    if len(r) != len(f) and 1 not in (len(r), len(f)):
        raise InputError(f"--d-real has {len(r)} values and --d-fake {len(f)}; expected equal lengths or one value")
    n = max(len(r), len(f))
    r, f = (r * n if len(r) == 1 else r), (f * n if len(f) == 1 else f)
    return GANLossTrace(cases=tuple(case(a, b) for a, b in zip(r, f)), curves=curves(),
                        ratio_threshold=RATIO, saturation_p=saturation_p(), ln2=LN2)


def random(rng: np.random.Generator, *, hidden: int = 3, input_size: int = 2, steps: int = 3, **options):
    """``steps`` random (D(x), D(G(z))) pairs, rounded to 3 decimals, in [0.01, 0.99]."""
    n = max(int(steps), 1)
    return {}, {"d_real": np.round(rng.uniform(0.01, 0.99, n), 3).tolist(),
                "d_fake": np.round(rng.uniform(0.01, 0.99, n), 3).tolist()}
