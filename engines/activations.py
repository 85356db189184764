"""Activation functions with their derivatives, and softmax with temperature plus seeded sampling.

Notation
--------
- ``x`` [N]       a grid of pre-activations
- ``y = f(x)``    the activation, ``dy = f'(x)`` its derivative (at a kink the right-hand value
                  is not used: we take relu'(0) = 0, leaky_relu'(0) = alpha, elu'(0) = alpha)
- ``z`` [C]       logits, ``T`` the temperature, ``p = softmax(z / T)``

Equations
---------
    sigmoid(x)    = 1 / (1 + e^-x)                         sigmoid' = s (1 - s)
    tanh(x)                                                 tanh'    = 1 - tanh^2
    relu(x)       = max(0, x)                               relu'    = 1[x > 0]
    leaky_relu(x) = x if x > 0 else a x    (a = 0.01)       ' = 1 or a
    elu(x)        = x if x > 0 else a (e^x - 1)   (a = 1)    ' = 1 or a e^x
    selu(x)       = lambda * elu_alpha(x),  lambda = 1.0507009873554805, alpha = 1.6732632423543772
                    (Klambauer et al. 2017, the same constants as torch.nn.SELU)
    softplus(x)   = ln(1 + e^x)                             softplus' = sigmoid(x)
    gelu(x)       = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2   (exact, erf form; torch default)
                    gelu' = Phi(x) + x phi(x),  phi(x) = e^{-x^2/2} / sqrt(2 pi)
    gelu_tanh(x)  = x (1 + tanh(u)) / 2,  u = sqrt(2/pi) (x + 0.044715 x^3)   (the tanh approximation)
    softmax_T(z)  = softmax(z / T):  T -> 0 gives the argmax (one-hot; ties share), T -> inf gives uniform
    samples: counts of n draws from p with np.random.default_rng(seed)

Regions of the grid where little or no gradient flows (``Curve.regions``)
    saturated (sigmoid, tanh): f'(x) < theta, i.e. |x| > x_sat with the exact bound
        sigmoid: s(1 - s) = theta  ->  x_sat = ln(s+/(1 - s+)),  s+ = (1 + sqrt(1 - 4 theta)) / 2   (theta < 1/4)
        tanh:    1 - tanh^2 = theta ->  x_sat = artanh(sqrt(1 - theta))                             (theta < 1)
      theta = inputs "saturation_threshold" (default 0.05)
    dead: each run of grid points where f'(x) = 0 exactly (relu for x <= 0: a unit whose
      pre-activation stays there gets no gradient and stops learning)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping

import numpy as np

from ._numerics import sigmoid, softmax
from .errors import InputError
from .io import ModelKeys, as_array, check_inputs, check_weights
from .trace import Array, IntArray, Record

MODEL_KEYS = {
    "activations": ModelKeys(inputs=("x", "range", "functions", "saturation_threshold"), options=("function",)),
    "softmax": ModelKeys(inputs=("logits", "temperatures", "samples", "seed", "tokens"), options=("temperature", "samples")),
}

LEAKY_ALPHA = 0.01
ELU_ALPHA = 1.0
SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717
_SQRT2 = math.sqrt(2.0)
_C_TANH = math.sqrt(2.0 / math.pi)

_erf = np.frompyfunc(math.erf, 1, 1)


def _Phi(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _erf(x / _SQRT2).astype(np.float64))


def _phi(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _elu(x, a):
    return np.where(x > 0, x, a * np.expm1(np.minimum(x, 0.0)))


def _delu(x, a):
    return np.where(x > 0, 1.0, a * np.exp(np.minimum(x, 0.0)))


def _gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(_C_TANH * (x + 0.044715 * x ** 3)))


def _dgelu_tanh(x):
    u = _C_TANH * (x + 0.044715 * x ** 3)
    t = np.tanh(u)
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _C_TANH * (1.0 + 3 * 0.044715 * x * x)


# name -> (f, f', formula, derivative formula)
FUNCTIONS: dict[str, tuple[Callable, Callable, str, str]] = {
    "sigmoid": (sigmoid, lambda x: sigmoid(x) * (1.0 - sigmoid(x)), "1/(1+e^-x)", "s(1-s)"),
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2, "tanh x", "1 - tanh^2 x"),
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(np.float64), "max(0, x)", "1[x > 0]"),
    "leaky_relu": (lambda x: np.where(x > 0, x, LEAKY_ALPHA * x), lambda x: np.where(x > 0, 1.0, LEAKY_ALPHA),
                   "x if x > 0 else 0.01x", "1 if x > 0 else 0.01"),
    "elu": (lambda x: _elu(x, ELU_ALPHA), lambda x: _delu(x, ELU_ALPHA), "x if x > 0 else e^x - 1",
            "1 if x > 0 else e^x"),
    "selu": (lambda x: SELU_LAMBDA * _elu(x, SELU_ALPHA), lambda x: SELU_LAMBDA * _delu(x, SELU_ALPHA),
             "lambda (x if x > 0 else alpha (e^x - 1)), lambda = 1.0507, alpha = 1.6733",
             "lambda (1 if x > 0 else alpha e^x)"),
    "softplus": (lambda x: np.logaddexp(0.0, x), sigmoid, "ln(1 + e^x)", "sigmoid(x)"),
    "gelu": (lambda x: x * _Phi(x), lambda x: _Phi(x) + x * _phi(x), "x Phi(x) (exact, erf)",
             "Phi(x) + x phi(x)"),
    "gelu_tanh": (_gelu_tanh, _dgelu_tanh, "x (1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))/2", "(chain rule)"),
}


def activation(name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(f(x), f'(x)) for a named activation; float64."""
    if name not in FUNCTIONS:
        raise InputError(f"function {name!r} is unknown; expected one of {', '.join(FUNCTIONS)}")
    x = np.asarray(x, dtype=np.float64)
    fn, dfn, _, _ = FUNCTIONS[name]
    return np.asarray(fn(x), dtype=np.float64), np.asarray(dfn(x), dtype=np.float64) + np.zeros_like(x)


# --------------------------------------------------------------------------- activations trace

SATURATION_THRESHOLD = 0.05
# f'(x) < theta for |x| > x_sat(theta), and the largest theta for which that bound exists (the peak slope)
_SATURATING: dict[str, tuple[Callable[[float], float], float]] = {
    "sigmoid": (lambda th: math.log((1 + math.sqrt(1 - 4 * th)) / (1 - math.sqrt(1 - 4 * th))), 0.25),
    "tanh": (lambda th: math.atanh(math.sqrt(1 - th)), 1.0),
}


@dataclass(frozen=True)
class Region(Record):
    what: str       # "saturated" (f' < threshold) | "dead" (f' = 0)
    lo: float       # x range, clipped to the grid
    hi: float
    rule: str       # the condition, in words


@dataclass(frozen=True)
class Curve(Record):
    name: str
    formula: str
    derivative: str
    y: Array        # [N] f(x)
    dy: Array       # [N] f'(x)
    dead: float     # fraction of the grid where f'(x) == 0 (a "dead" unit gets no gradient there)
    saturation_bound: float | None = None   # x_sat: f'(x) < threshold for |x| > x_sat (sigmoid, tanh)
    regions: tuple[Region, ...] = ()


@dataclass(frozen=True)
class ActivationsTrace(Record):
    kind: ClassVar[str] = "activations"
    x: Array        # [N]
    curves: tuple[Curve, ...]
    saturation_threshold: float = SATURATION_THRESHOLD


def _regions(name: str, x: np.ndarray, dy: np.ndarray, theta: float) -> tuple[float | None, tuple[Region, ...]]:
    out = []
    bound = None
    if name in _SATURATING:
        fn, peak = _SATURATING[name]
        if not 0 < theta < peak:
            raise InputError(f"saturation_threshold {theta:g} is outside (0, {peak:g}): {name}'s slope never drops "
                             f"below it; expected 0 < threshold < {peak:g}")
        bound = fn(theta)
        rule = f"{name}'(x) < {theta:g}"
        if x[0] < -bound:
            out.append(Region("saturated", float(x[0]), -bound, rule))
        if x[-1] > bound:
            out.append(Region("saturated", bound, float(x[-1]), rule))
    zero = np.concatenate([[False], dy == 0.0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))          # starts and ends of runs of f' = 0
    for i, j in zip(edges[::2], edges[1::2]):
        out.append(Region("dead", float(x[i]), float(x[j - 1]), f"{name}'(x) = 0"))
    return bound, tuple(out)


def run(x: np.ndarray, names: tuple[str, ...], saturation_threshold: float = SATURATION_THRESHOLD) -> ActivationsTrace:
    curves = []
    order = np.argsort(x, kind="stable")
    for n in names:
        y, dy = activation(n, x)
        bound, regions = _regions(n, x[order], dy[order], saturation_threshold)
        curves.append(Curve(n, FUNCTIONS[n][2], FUNCTIONS[n][3], y, dy, float(np.mean(dy == 0.0)), bound, regions))
    return ActivationsTrace(x=x, curves=tuple(curves), saturation_threshold=float(saturation_threshold))


def _grid(inputs: Mapping[str, Any]) -> np.ndarray:
    if "x" in inputs:
        return as_array("x", inputs["x"], 1)
    if "range" in inputs:
        r = inputs["range"]
        if not (isinstance(r, list) and len(r) == 3 and isinstance(r[2], int) and r[2] >= 2):
            raise InputError(f"range must be [start, stop, points] with points >= 2, got {r!r}"[:200])
        lo, hi = float(r[0]), float(r[1])
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise InputError(f"range [{r[0]}, {r[1]}, ...] needs start < stop")
        return np.linspace(lo, hi, r[2])
    raise InputError('activations inputs need "x": [...] or "range": [start, stop, points]')


def build(weights: Mapping[str, Any], inputs: Mapping[str, Any], *, function: str = "all") -> ActivationsTrace:
    check_inputs(inputs, MODEL_KEYS["activations"])
    check_weights(weights, MODEL_KEYS["activations"], "activations")
    x = _grid(inputs)
    if function == "all":
        names = tuple(inputs.get("functions") or FUNCTIONS)
    else:
        names = (function,)
    for n in names:
        if n not in FUNCTIONS:
            raise InputError(f"function {n!r} is unknown; expected one of {', '.join(FUNCTIONS)}")
    theta = inputs.get("saturation_threshold", SATURATION_THRESHOLD)
    if isinstance(theta, bool) or not isinstance(theta, (int, float)) or not math.isfinite(theta):
        raise InputError(f"saturation_threshold must be a number, got {theta!r}"[:200])
    return run(x, names, float(theta))


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int, function: str = "all"):
    return {}, {"x": np.sort(rng.uniform(-4, 4, size=max(steps, 2))).tolist()}


# --------------------------------------------------------------------------- softmax with temperature

@dataclass(frozen=True)
class TempRow(Record):
    T: float
    scaled: Array           # [C] z / T
    p: Array                # [C] softmax(z / T)
    entropy_bits: float     # H(p) in bits
    counts: IntArray        # [C] sample counts
    frequencies: Array      # [C] counts / n


@dataclass(frozen=True)
class SoftmaxTrace(Record):
    kind: ClassVar[str] = "softmax"
    logits: Array           # [C]
    tokens: tuple[str, ...]
    temperatures: Array     # [n_T]
    rows: tuple[TempRow, ...]
    argmax: int
    limit_zero: Array       # [C] T -> 0: uniform over the argmax set (one-hot if unique)
    limit_inf: Array        # [C] T -> inf: uniform 1/C
    samples: int
    seed: int
    max_entropy_bits: float | None = None   # log2 C: the entropy of the uniform limit, the largest H(p)


def softmax_t(z: np.ndarray, T: float) -> np.ndarray:
    if not (T > 0 and np.isfinite(T)):
        raise InputError(f"temperature must be a finite number > 0, got {T}")
    return softmax(np.asarray(z, dtype=np.float64) / T)


def run_softmax(z: np.ndarray, temps: np.ndarray, *, samples: int, seed: int, tokens=()) -> SoftmaxTrace:
    C = z.shape[0]
    rows = []
    for i, T in enumerate(temps):
        p = softmax_t(z, float(T))
        rng = np.random.default_rng([seed, i])
        counts = np.bincount(rng.choice(C, size=samples, p=p), minlength=C) if samples else np.zeros(C, np.int64)
        nz = p[p > 0]
        rows.append(TempRow(float(T), z / T, p, float(-(nz * np.log2(nz)).sum()), counts.astype(np.int64),
                            counts / samples if samples else np.zeros(C)))
    top = z == z.max()
    return SoftmaxTrace(logits=z, tokens=tuple(tokens) or tuple(f"c{c + 1}" for c in range(C)),
                        temperatures=temps, rows=tuple(rows), argmax=int(np.argmax(z)),
                        limit_zero=top / top.sum(), limit_inf=np.full(C, 1.0 / C), samples=samples, seed=seed,
                        max_entropy_bits=float(np.log2(C)))


def build_softmax(weights: Mapping[str, Any], inputs: Mapping[str, Any], *, temperature: float | None = None,
                  samples: int | None = None) -> SoftmaxTrace:
    """Inputs: ``"logits"`` [C], optional ``"temperatures"`` [n_T], ``"samples"``, ``"seed"``, ``"tokens"``."""
    check_inputs(inputs, MODEL_KEYS["softmax"])
    check_weights(weights, MODEL_KEYS["softmax"], "softmax")
    if "logits" not in inputs:
        raise InputError('softmax inputs need "logits": [z1, z2, ...]')
    z = as_array("logits", inputs["logits"], 1)
    if temperature is not None:
        temps = np.array([float(temperature)])
    else:
        temps = as_array("temperatures", inputs.get("temperatures", [1.0]), 1)
    for T in temps:
        if not T > 0:
            raise InputError(f"temperature must be > 0, got {T:g} (T -> 0 is the argmax limit, shown as limit_zero)")
    n = samples if samples is not None else inputs.get("samples", 0)
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise InputError(f"samples must be a non-negative integer, got {n!r}")
    seed = inputs.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    tokens = inputs.get("tokens") or ()
    if tokens and (not isinstance(tokens, list) or len(tokens) != z.shape[0]):
        raise InputError(f"tokens must be a list of {z.shape[0]} names (one per logit)")
    return run_softmax(z, temps, samples=n, seed=seed, tokens=tuple(tokens))


def random_softmax(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int,
                   temperature: float | None = None, samples: int | None = None):
    return {}, {"logits": np.round(rng.normal(size=max(hidden, 2)) * 2, 3).tolist(),
                "temperatures": [0.1, 0.5, 1.0, 2.0, 10.0], "samples": 100, "seed": int(rng.integers(1000))}
