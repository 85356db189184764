"""``--verify``: run the framework that wrote a file on the same weights and inputs, and compare.

    report = verify(selection, "lstm", inputs, trace, framework="keras", dtype=ckpt.meta["dtype"])
    report.ok, report.line()          # "--verify: keras 3.15.1 (numpy backend) agrees with GateLab ..."

The framework builds its own module (Keras ``SimpleRNN``/``LSTM``/``GRU``/``Bidirectional``/``Dense``/
``MultiHeadAttention``; PyTorch ``nn.RNN``/``nn.LSTM``/``nn.GRU``/``nn.Linear``/``nn.MultiheadAttention``)
with the file's weights, runs it on the trace's inputs and initial states, and the report gives the
largest absolute difference of every per-step value GateLab draws, by name: ``h[layer 0 forward]``,
``c[layer 0 backward]``, ``outputs``, ``y``, ``weights[head 2]``, ``output``.

Tolerance: 1e-6 for float32 checkpoints, 1e-9 for float64 ones. PyTorch runs in float64 (float32
weights are exact in float64). Keras 3 maps float64 to float32 in its type promotion on the jax,
numpy and torch backends, so a float64 model runs partly in float32 there: the report measures the
precision Keras computes at and then uses 1e-6, saying so.

Frameworks are imported here, lazily: GateLab never needs them otherwise. Without the framework,
a one-line :class:`ToolMissing` says what to install. Weights under the framework's own names
(Keras ``kernel``..., PyTorch ``weight_ih_l0``...) are given to it as they are; weights under other
names are converted with the engines' ``to_keras``/``to_torch`` (the report says so: the maths is
checked, not the reading of the names).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from . import Selection
from ..layouts import detect, run_label
from ..errors import InputError, ToolMissing

MODELS = ("rnn", "lstm", "gru", "multihead")
FRAMEWORKS = ("keras", "torch")


@dataclass(frozen=True)
class Difference:
    name: str                      # "h[layer 0 forward]", "y", "weights[head 1]" ...
    max_abs: float
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Report:
    framework: str                 # "keras 3.15.1 (numpy backend)" | "torch 2.13.0"
    model: str
    built: str                     # what the framework built, e.g. "keras.layers.LSTM(3) + Dense(1)"
    dtype: str                     # the checkpoint's dtype
    precision: str                 # what the framework computed in
    tolerance: float
    differences: tuple[Difference, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def worst(self) -> Difference:
        return max(self.differences, key=lambda d: d.max_abs)

    @property
    def ok(self) -> bool:
        return all(np.isfinite(d.max_abs) and d.max_abs <= self.tolerance for d in self.differences)

    def line(self) -> str:
        """One line for the terminal (and for the error when the check fails)."""
        verdict = "agrees with GateLab" if self.ok else "DIFFERS from GateLab"
        parts = ", ".join(f"{d.name} {d.max_abs:.1e}" for d in self.differences)
        extra = f"; {'; '.join(self.notes)}" if self.notes else ""
        return (f"--verify: {self.framework} ({self.built}) {verdict}: largest difference {self.worst.max_abs:.1e} "
                f"in {self.worst.name} (tolerance {self.tolerance:.0e}, {self.dtype} checkpoint, computed in "
                f"{self.precision}); {parts}{extra}")

    def to_dict(self) -> dict[str, Any]:
        return {"framework": self.framework, "model": self.model, "built": self.built, "dtype": self.dtype,
                "precision": self.precision, "tolerance": self.tolerance, "ok": self.ok,
                "differences": [{"name": d.name, "max_abs": d.max_abs, "shape": list(d.shape)} for d in self.differences],
                "notes": list(self.notes)}


def tolerance_for(dtype: str | None, precision: str = "float64") -> float:
    """1e-9 for a float64 checkpoint computed in float64, else 1e-6."""
    return 1e-9 if (dtype == "float64" and precision == "float64") else 1e-6


def _infer_dtype(weights: Mapping[str, Any]) -> str:
    """float32 when every weight is exactly a float32 value (what a float32 checkpoint gives), else float64."""
    for v in weights.values():
        try:
            a = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if np.any(a.astype(np.float32).astype(np.float64) != a):
            return "float64"
    return "float32"


def _installed(name: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(name) is not None


def _framework(framework: str | None, weights: Mapping[str, Any]) -> str:
    if framework is not None:
        if framework not in FRAMEWORKS:
            raise InputError(f"--verify framework {framework!r} is unknown; expected keras or torch")
        return framework
    layout = detect(weights) if weights else "ours"
    if any(k.startswith("in_proj_weight") for k in weights):
        layout = "torch"
    if layout in FRAMEWORKS:
        return layout
    for name in ("torch", "keras"):
        if _installed(name):
            return name
    raise ToolMissing("--verify needs torch or keras installed; pip install torch (or keras jax)")


# --------------------------------------------------------------------------- our values

def ours(model: str, trace: Any) -> dict[str, np.ndarray]:
    """Every per-step value GateLab draws, by the names the report uses (time order)."""
    out: dict[str, np.ndarray] = {}
    if model == "rnn":
        out["h"] = np.array([s.h for s in trace.steps])                     # [T, H]
        if trace.steps[0].y is not None:
            out["y"] = np.array([s.y for s in trace.steps])                 # [T, O]
        return out
    if model == "multihead":
        for hd in trace.heads:
            out[f"weights[head {hd.h + 1}]"] = np.asarray(hd.weights)       # [T, T_k]
        out["output"] = np.asarray(trace.output)
        return out
    dirs = 2 if trace.bidirectional else 1
    for idx, r in enumerate(trace.runs):
        k, rev = divmod(idx, dirs)
        label = run_label(k, bool(rev))
        out[f"h[{label}]"] = np.asarray(r.outputs)                          # [T, H]
        if model == "lstm":
            out[f"c[{label}]"] = np.array([s.c for s in sorted(r.steps, key=lambda s: s.t)])
    out["outputs"] = np.asarray(trace.outputs)
    if trace.ys is not None:
        out["y"] = np.asarray(trace.ys)
    return out


def _mask_rows(model: str, trace: Any) -> np.ndarray | None:
    """Query rows whose keys are all masked: GateLab gives them zero weights; frameworks give NaN or
    a uniform row, so they are left out of the comparison."""
    if model != "multihead":
        return None
    full = np.all(np.asarray(trace.mask), axis=-1)
    return full if np.any(full) else None


def compare(mine: Mapping[str, np.ndarray], theirs: Mapping[str, np.ndarray],
            skip_rows: np.ndarray | None = None) -> tuple[Difference, ...]:
    diffs = []
    for name, a in mine.items():
        if name not in theirs:
            continue
        b = np.asarray(theirs[name], dtype=np.float64).reshape(np.shape(a))
        a = np.asarray(a, dtype=np.float64)
        if skip_rows is not None and a.ndim == 2 and a.shape[0] == skip_rows.shape[0]:
            a, b = a[~skip_rows], b[~skip_rows]
        d = float(np.max(np.abs(a - b))) if a.size else 0.0
        diffs.append(Difference(name, d if np.isfinite(d) else float("inf"), tuple(np.shape(a))))
    return tuple(diffs)


# --------------------------------------------------------------------------- entry point

def verify(selection_or_weights: Selection | Mapping[str, Any], model: str, inputs: Mapping[str, Any] | None,
           trace: Any, *, framework: str | None = None, dtype: str | None = None) -> Report:
    """Run ``framework`` ("keras", "torch"; None: the one whose names the weights use, else whichever
    is installed) on the weights behind ``trace`` and compare every per-step value.

    ``inputs`` is the inputs document the trace was computed from (its values are read back from the
    trace itself, so only ``memory`` presence matters); ``dtype`` is the checkpoint's stored dtype
    ("float32", "float64"; None: inferred from the values)."""
    if model not in MODELS:
        raise InputError(f"--verify covers {', '.join(MODELS)}; not {model!r}")
    weights = selection_or_weights.weights if isinstance(selection_or_weights, Selection) else dict(selection_or_weights)
    dtype = dtype if dtype in ("float32", "float64") else _infer_dtype(weights)
    fw = _framework(framework, weights)
    if fw == "keras":
        from ._verify_keras import run as run_fw
    else:
        from ._verify_torch import run as run_fw
    result = run_fw(model, weights, trace, dtype)
    mine = ours(model, trace)
    diffs = compare(mine, result.values, _mask_rows(model, trace))
    notes = list(result.notes)
    if _mask_rows(model, trace) is not None:
        notes.append("rows whose keys are all masked are not compared")
    return Report(framework=result.framework, model=model, built=result.built, dtype=dtype,
                  precision=result.precision, tolerance=tolerance_for(dtype, result.precision),
                  differences=diffs, notes=tuple(notes))


@dataclass
class FrameworkRun:
    """What a framework computed: values under the report's names, and how it was set up."""
    framework: str
    built: str
    precision: str
    values: dict[str, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
