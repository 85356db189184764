"""Model summary: output shapes and parameter counts of a Keras-Sequential-like stack.

Notation
--------
    u        units of a layer (its output / hidden size)
    d        input dimension of a layer (last axis of its input)
    T        sequence length (may be unknown: null)
    G        gates per cell: SimpleRNN/RNN 1, LSTM 4, GRU 3

Equations (parameters per layer)
---------
    Keras (one bias vector per gate; GRU reset_after=True, the Keras 2+/3 default,
    has an input bias AND a recurrent bias):
        SimpleRNN   u (u + d + 1)        = kernel d*u + recurrent u*u + bias u
        LSTM        4 u (u + d + 1)      = kernel d*4u + recurrent u*4u + bias 4u
        GRU         3 u (u + d + 2)      (reset_after=True; 3 u (u + d + 1) with reset_after=False)
        Dense       u (d + 1)
    PyTorch (two bias vectors per gate, bias_ih and bias_hh):
        RNN         u (u + d + 2)
        LSTM        4 u (u + d + 2)
        GRU         3 u (u + d + 2)
        Linear      u (d + 1)

Shapes: a recurrent layer needs a sequence input [T, d]; it returns [T, u] with
return_sequences, else [u]. Dense/Linear acts on the last axis: [.., d] -> [.., u].

Input document (a preset's or the user's "inputs")::

    {"input_shape": [T, D] or [D],
     "layers": [{"type": "LSTM" | "GRU" | "SimpleRNN" | "Dense", "units": N,
                 "return_sequences": bool, "reset_after": bool (GRU, Keras only)}, ...]}

PyTorch names are accepted as types too: "RNN" (= SimpleRNN) and "Linear" (= Dense).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from .errors import InputError
from .io import ModelKeys, check_inputs, check_weights
from .trace import Record

MODEL_KEYS = {"model-summary": ModelKeys(inputs=("input_shape", "layers", "config", "tensors", "pooler", "transformer"),
                                         options=("framework",))}

FRAMEWORKS = ("keras", "torch")
_ALIASES = {"lstm": "LSTM", "gru": "GRU", "simplernn": "SimpleRNN", "rnn": "SimpleRNN",
            "dense": "Dense", "linear": "Dense"}
_RECURRENT = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
_TORCH_NAME = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU", "Dense": "Linear"}


@dataclass(frozen=True)
class Layer(Record):
    index: int                     # 0-based position in the stack
    type: str                      # canonical: SimpleRNN | LSTM | GRU | Dense
    name: str                      # the framework's class name (Keras SimpleRNN / PyTorch RNN, Linear)
    units: int
    input_dim: int
    input_shape: list              # e.g. [null, 1] or [30]
    output_shape: list
    return_sequences: bool
    gates: int                     # G (1 for Dense)
    biases_per_gate: int           # 1 or 2
    kernel: int                    # d * G u
    recurrent: int                 # u * G u (0 for Dense)
    bias: int                      # biases_per_gate * G u
    params: int
    formula: str                   # the formula with the numbers put in, e.g. "4*30*(30+1+1) = 3840"


@dataclass(frozen=True)
class SummaryTrace(Record):
    kind: ClassVar[str] = "model-summary"
    framework: str                 # keras | torch
    convention: str                # the bias convention in words
    input_shape: list
    layers: tuple[Layer, ...]
    total: int
    total_formula: str             # "3840 + 7320 + 31 = 11191"


def _int(name: str, v: Any, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v) or int(v) < minimum:
        raise InputError(f"{name} is {v!r}, expected an integer >= {minimum}")
    return int(v)


def _shape(raw: Any) -> list:
    if not isinstance(raw, (list, tuple)) or len(raw) not in (1, 2):
        raise InputError(f"input_shape is {raw!r}, expected [T, D] (a sequence; T may be null) or [D]")
    out = [None if (i == 0 and len(raw) == 2 and v is None) else _int(f"input_shape[{i}]", v)
           for i, v in enumerate(raw)]
    return out


def summarize(input_shape: Any, layers: Any, framework: str = "keras") -> SummaryTrace:
    """Shapes and parameter counts of the stack under ``framework`` ("keras" or "torch")."""
    if framework not in FRAMEWORKS:
        raise InputError(f"framework {framework!r} is unknown; expected keras or torch")
    shape = _shape(input_shape)
    if not isinstance(layers, (list, tuple)) or not layers:
        raise InputError(f"layers is {layers!r:.40}, expected a non-empty list of "
                         '{"type": "LSTM"|"GRU"|"SimpleRNN"|"Dense", "units": N}')
    torch = framework == "torch"
    cur = list(shape)
    out: list[Layer] = []
    for k, spec in enumerate(layers):
        where = f"layers[{k}]"
        if not isinstance(spec, Mapping):
            raise InputError(f"{where} is {spec!r:.40}, expected an object like {{\"type\": \"LSTM\", \"units\": 30}}")
        raw_type = spec.get("type")
        typ = _ALIASES.get(str(raw_type).lower()) if isinstance(raw_type, str) else None
        if typ is None:
            raise InputError(f"{where}.type is {raw_type!r}, expected one of LSTM, GRU, SimpleRNN (RNN), Dense (Linear)")
        if "units" not in spec:
            raise InputError(f"{where} ({typ}) has no units, expected \"units\": N")
        u = _int(f"{where}.units", spec["units"])
        rs = spec.get("return_sequences", False)
        if not isinstance(rs, bool):
            raise InputError(f"{where}.return_sequences is {rs!r}, expected true or false")
        unknown = sorted(set(spec) - {"type", "units", "return_sequences", "reset_after", "name"})
        if unknown:
            raise InputError(f"{where} has unknown key(s) {', '.join(unknown)}; expected type, units, return_sequences, reset_after")
        d = cur[-1]
        in_shape = list(cur)
        if typ in _RECURRENT:
            if len(cur) != 2:
                prev = f"layers[{k - 1}] returns {cur}" if k else f"input_shape is {cur}"
                raise InputError(f"{where} ({typ}) needs a sequence input [T, d] but {prev}; "
                                 + (f"set return_sequences: true on layers[{k - 1}]" if k else "give input_shape as [T, D]"))
            G = _RECURRENT[typ]
            reset_after = spec.get("reset_after", True)
            if not isinstance(reset_after, bool):
                raise InputError(f"{where}.reset_after is {reset_after!r}, expected true or false")
            if "reset_after" in spec and typ != "GRU":
                raise InputError(f"{where}.reset_after applies to GRU only, found it on {typ}")
            nb = 2 if (torch or (typ == "GRU" and reset_after)) else 1
            if torch and typ == "GRU" and spec.get("reset_after") is False:
                raise InputError(f"{where}.reset_after false is a Keras option; PyTorch's GRU always has two biases")
            kernel, recurrent, bias = d * G * u, u * G * u, nb * G * u
            cur = [cur[0], u] if rs else [u]
            g = f"{G}*" if G > 1 else ""
            formula = f"{g}{u}*({u}+{d}+{nb}) = {kernel + recurrent + bias}"
        else:
            if rs:
                raise InputError(f"{where}.return_sequences applies to recurrent layers, found it on Dense")
            G, nb = 1, 1
            kernel, recurrent, bias = d * u, 0, u
            cur = cur[:-1] + [u]
            formula = f"{u}*({d}+1) = {kernel + bias}"
        n = kernel + recurrent + bias
        out.append(Layer(index=k, type=typ, name=_TORCH_NAME[typ] if torch else typ, units=u, input_dim=d,
                         input_shape=in_shape, output_shape=list(cur), return_sequences=bool(rs), gates=G,
                         biases_per_gate=nb, kernel=kernel, recurrent=recurrent, bias=bias, params=n,
                         formula=formula))
    total = sum(layer.params for layer in out)
    convention = ("PyTorch: two bias vectors (bias_ih, bias_hh) per gate in recurrent layers" if torch else
                  "Keras: one bias vector per gate (GRU reset_after=True keeps an input and a recurrent bias)")
    return SummaryTrace(framework=framework, convention=convention, input_shape=shape, layers=tuple(out),
                        total=total, total_formula=" + ".join(str(layer.params) for layer in out) + f" = {total}")


def build(weights: Mapping[str, Any], inputs: Mapping[str, Any], *, framework: str | None = None):
    """``inputs`` holds the architecture; ``weights`` is unused (give {}). A whole Transformer is
    ``{"config": config.json}`` or ``{"transformer": {...}}`` (see engines.transformer_params)."""
    check_inputs(inputs, MODEL_KEYS["model-summary"])
    check_weights(weights, MODEL_KEYS["model-summary"], "model-summary")
    if not isinstance(inputs, Mapping):
        raise InputError('inputs must be an object like {"input_shape": [T, D], "layers": [...]}')
    if "config" in inputs or "transformer" in inputs:      # a whole Transformer (engines.transformer_params)
        if framework is not None:
            raise InputError("--framework sets the recurrent bias convention; a Transformer's count has one convention")
        from .transformer_params import summarize as summarize_transformer
        return summarize_transformer(inputs)
    for key in ("input_shape", "layers"):
        if key not in inputs:
            raise InputError(f'inputs have no "{key}"; expected {{"input_shape": [T, D], "layers": [{{"type": "LSTM", "units": 30}}, ...]}}')
    return summarize(inputs["input_shape"], inputs["layers"], framework or "keras")


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int, **_options: Any) -> tuple[dict, dict]:
    """A seeded stack: a recurrent layer of ``hidden`` units (random type) on [steps, input_size], then Dense(1)."""
    typ = ("SimpleRNN", "LSTM", "GRU")[int(rng.integers(3))]
    return {}, {"input_shape": [int(steps), int(input_size)],
                "layers": [{"type": typ, "units": int(hidden)}, {"type": "Dense", "units": 1}]}
