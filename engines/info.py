"""Information theory: entropy, cross-entropy and KL divergence, in bits or nats.

Notation
--------
- ``p`` [N, C]  the true distribution of each of N samples over C classes (one-hot for a label)
- ``q`` [N, C]  a model's predicted distribution for each sample (one table per model)
- ``b``         the log base: 2 (bits) or e (nats)
- ``H(p)``      entropy of each row, ``H(p, q)`` cross-entropy, ``D(p||q)`` KL divergence

Equations
---------
    H(p)       = - sum_c p_c log_b p_c                 (0 log 0 = 0)
    H(p, q)    = - sum_c p_c log_b q_c                 (= +inf if some p_c > 0 has q_c = 0)
    D(p || q)  = sum_c p_c log_b (p_c / q_c) = H(p, q) - H(p) >= 0   (+inf flagged, never NaN)
    totals are sums over the N samples; error rate = mean(argmax q != argmax p)

A +inf value is kept as ``inf`` in the arrays (``null`` in JSON) and flagged in ``*_infinite``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from ._numerics import softmax
from .errors import InputError
from .io import ModelKeys, as_array, check_inputs, check_weights
from .trace import Array, BoolArray, IntArray, Record

MODEL_KEYS = {"info": ModelKeys(inputs=("p", "labels", "classes", "q", "models", "samples"), options=("units",))}

UNITS = {"bits": 2.0, "nats": float(np.e)}


# --------------------------------------------------------------------------- pure maths

def _log(x: np.ndarray, units: str) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(x) / np.log(UNITS[units])


def entropy(p: np.ndarray, units: str = "bits") -> np.ndarray:
    """H(p) of each row (last axis); 0 log 0 = 0."""
    p = np.asarray(p, dtype=np.float64)
    terms = np.where(p > 0, -p * _log(np.where(p > 0, p, 1.0), units), 0.0)
    return terms.sum(axis=-1)


def cross_entropy(p: np.ndarray, q: np.ndarray, units: str = "bits") -> np.ndarray:
    """H(p, q) of each row; +inf where p_c > 0 and q_c = 0; terms with p_c = 0 contribute 0."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    lq = _log(np.where(p > 0, q, 1.0), units)           # -inf where q = 0 < p
    return np.where(p > 0, -p * lq, 0.0).sum(axis=-1)


def kl_divergence(p: np.ndarray, q: np.ndarray, units: str = "bits") -> np.ndarray:
    """D(p || q) of each row, computed term by term (not as a difference): +inf where q_c = 0 < p_c."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    pos = p > 0
    with np.errstate(divide="ignore"):
        ratio = np.where(pos, p / np.where(pos, q, 1.0), 1.0)   # inf where q = 0 < p
    terms = np.where(pos, p * _log(ratio, units), 0.0)
    return terms.sum(axis=-1)


# --------------------------------------------------------------------------- traces

@dataclass(frozen=True)
class ModelInfo(Record):
    name: str
    q: Array                     # [N, C] predicted distributions
    cross_entropy: Array         # [N] H(p_n, q_n)
    kl: Array                    # [N] D(p_n || q_n)
    kl_infinite: BoolArray       # [N]
    kl_reverse: Array            # [N] D(q_n || p_n) (infinite for one-hot p when q has other mass)
    kl_reverse_infinite: BoolArray
    predicted: IntArray          # [N] argmax q_n
    correct: BoolArray           # [N] predicted == argmax p_n
    log_q_true: Array            # [N] -log q_n(true class) for one-hot rows (the notes' per-sample terms)
    total_cross_entropy: float
    total_kl: float | None       # None (JSON null) when infinite
    kl_total_infinite: bool
    error_rate: float
    per_class_cross_entropy: tuple[float, ...]   # sum of H(p_n, q_n) over samples whose true class is c
    errors: int | None = None    # how many samples are predicted wrong (error_rate * N)


@dataclass(frozen=True)
class InfoTrace(Record):
    kind: ClassVar[str] = "info"
    units: str
    classes: tuple[str, ...]
    samples: tuple[str, ...]
    p: Array                     # [N, C]
    labels: IntArray             # [N] argmax p
    entropy: Array               # [N] H(p_n)
    total_entropy: float
    models: tuple[ModelInfo, ...]
    one_hot: bool | None = None            # every row of p is one-hot (then H(p) = 0 and D_KL = H(p, q))
    best: int | None = None                # index of the model with the lowest total cross-entropy
    equal_error_rates: bool | None = None  # every model has the same error rate


# --------------------------------------------------------------------------- engine

def _prob_table(name: str, value: Any, C: int | None = None) -> np.ndarray:
    arr = as_array(name, value)
    if arr.ndim == 1:
        arr = arr[None, :]                              # [C] -> [1, C]
    if arr.ndim != 2:
        raise InputError(f"{name} has shape {arr.shape}, expected [samples, classes] probabilities")
    if C is not None and arr.shape[1] != C:
        raise InputError(f"{name} has shape {arr.shape}, expected ({arr.shape[0]}, {C}) = (samples, classes)")
    if np.any(arr < 0):
        raise InputError(f"{name} has negative entries; expected probabilities in [0, 1]")
    sums = arr.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
    if bad.size:
        raise InputError(f"{name} row {int(bad[0])} sums to {sums[bad[0]]:.6g}, expected 1 (a probability distribution)")
    return arr


def run(p: np.ndarray, models: dict[str, np.ndarray], *, units: str = "bits",
        classes: tuple[str, ...] = (), samples: tuple[str, ...] = ()) -> InfoTrace:
    if units not in UNITS:
        raise InputError(f"--units is {units!r}, expected bits or nats")
    N, C = p.shape
    labels = np.argmax(p, axis=1)
    onehot = np.all((p == 0) | (p == 1), axis=1)
    infos = []
    for name, q in models.items():
        ce = cross_entropy(p, q, units)                 # [N, C] -> [N]
        kl = kl_divergence(p, q, units)
        klr = kl_divergence(q, p, units)
        pred = np.argmax(q, axis=1)
        with np.errstate(divide="ignore"):
            ltrue = np.where(onehot, -_log(q[np.arange(N), labels], units), np.nan)
        per_class = tuple(float(ce[labels == c].sum()) for c in range(C))
        tkl = float(kl.sum())
        infos.append(ModelInfo(name=name, q=q, cross_entropy=ce, kl=kl, kl_infinite=~np.isfinite(kl),
                               kl_reverse=klr, kl_reverse_infinite=~np.isfinite(klr), predicted=pred,
                               correct=pred == labels, log_q_true=ltrue, total_cross_entropy=float(ce.sum()),
                               total_kl=tkl if np.isfinite(tkl) else None, kl_total_infinite=not np.isfinite(tkl),
                               error_rate=float(np.mean(pred != labels)), per_class_cross_entropy=per_class,
                               errors=int(np.sum(pred != labels))))
    H = entropy(p, units)
    return InfoTrace(units=units, classes=tuple(classes) or tuple(f"c{c + 1}" for c in range(C)),
                     samples=tuple(samples) or tuple(f"sample{n + 1}" for n in range(N)),
                     p=p, labels=labels, entropy=H, total_entropy=float(H.sum()), models=tuple(infos),
                     one_hot=bool(np.all(onehot)),
                     best=int(np.argmin([m.total_cross_entropy for m in infos])) if infos else None,
                     equal_error_rates=len({round(m.error_rate, 12) for m in infos}) == 1)


def build(weights: Mapping[str, Any], inputs: Mapping[str, Any], *, units: str = "bits") -> InfoTrace:
    """Inputs: ``"p"`` [N, C] (or ``"labels"`` as class names/indices with ``"classes"``) and either
    ``"q"`` [N, C] or ``"models": {name: [N, C]}``. ``weights`` is unused (may be empty)."""
    check_inputs(inputs, MODEL_KEYS["info"])
    check_weights(weights, MODEL_KEYS["info"], "info")
    classes = inputs.get("classes")
    if classes is not None and (not isinstance(classes, list) or not all(isinstance(c, str) for c in classes)):
        raise InputError(f"classes must be a list of class names, got {classes!r}"[:200])
    models_in = inputs.get("models")
    if models_in is None:
        if "q" not in inputs:
            raise InputError('info inputs need "q": [[...]] (or "models": {"name": [[...]]}) and "p" or "labels"')
        models_in = {"q": inputs["q"]}
    if not isinstance(models_in, dict) or not models_in:
        raise InputError('models must be an object {"model name": [[probabilities]], ...}')
    C = len(classes) if classes else None
    if "p" in inputs:
        p = _prob_table("p", inputs["p"], C)
    elif "labels" in inputs:
        labs = inputs["labels"]
        if not isinstance(labs, list) or not labs:
            raise InputError("labels must be a non-empty list of class names or indices")
        first = next(iter(models_in.values()))
        C = C or np.array(first, dtype=object).shape[-1]
        idx = []
        for lab in labs:
            if isinstance(lab, str):
                if not classes or lab not in classes:
                    raise InputError(f"label {lab!r} is not one of classes {classes!r}")
                idx.append(classes.index(lab))
            elif isinstance(lab, int) and 0 <= lab < C:
                idx.append(lab)
            else:
                raise InputError(f"label {lab!r} is not a class name or an index in 0..{C - 1}")
        p = np.eye(C)[idx]                              # [N] -> [N, C] one-hot
    else:
        raise InputError('info inputs need the true distribution "p" [N, C] or "labels"')
    models = {}
    for name, table in models_in.items():
        q = _prob_table(f"models[{name!r}]" if name != "q" else "q", table, p.shape[1])
        if q.shape != p.shape:
            raise InputError(f"{'q' if name == 'q' else f'models[{name!r}]'} has shape {q.shape}, expected {p.shape} = shape of p (samples, classes)")
        models[str(name)] = q
    samples = inputs.get("samples") or ()
    if samples and (not isinstance(samples, list) or len(samples) != p.shape[0]):
        raise InputError(f"samples must be a list of {p.shape[0]} names (one per row of p)")
    return run(p, models, units=units, classes=tuple(classes or ()), samples=tuple(samples))


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int, units: str = "bits"):
    """``steps`` samples over ``hidden`` classes: random labels and two random softmax models."""
    C, N = max(hidden, 2), steps
    labels = rng.integers(0, C, size=N).tolist()
    models = {}
    for m in ("model A", "model B"):
        z = rng.normal(size=(N, C)) * (1.0 + 2.0 * (m == "model B"))
        models[m] = softmax(z, axis=1).tolist()
    return {}, {"labels": labels, "models": models}
