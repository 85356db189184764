"""Like-for-like comparison: an Elman RNN, an LSTM and a GRU run on ONE input sequence.

Why a separate engine: "how does the gradient flow back through each cell?" is only a fair
question when all three see the same ``x_1 .. x_T``. This engine feeds that one sequence to
the ``rnn``, ``lstm`` and ``gru`` engines (each with its own weights, options and initial
state) and returns their three traces side by side; nothing is computed twice and nothing is
computed in a view.

Weights document (the ``gradient-flow`` preset is one)::

    {"model": "recurrent-compare",
     "weights": {"rnn":  {"weights": {...}, "options": {...}, "inputs": {"h0": [...]}},
                 "lstm": {"weights": {...}, "options": {...}, "inputs": {...}},
                 "gru":  {"weights": {...}, "options": {...}, "inputs": {...}}},
     "inputs": {"x": [[...], ...]}}

Each part's ``inputs`` may hold its initial state (``h0``, ``c0``) and a ``target``; ``x``
comes from the shared ``inputs`` and overrides any per-part ``x``. A part's options are that
engine's options (``activation``, ``variant``, ``convention`` ...).

Notation
--------
    x_t        the shared input at step t                      [D]
    rnn, lstm, gru   the three engines' traces on that sequence (their own ``bptt`` records)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from . import gru as _gru
from . import lstm as _lstm
from . import rnn as _rnn
from .errors import InputError
from .io import unknown_key
from .trace import Record

PARTS = {"rnn": _rnn, "lstm": _lstm, "gru": _gru}
PART_KEYS = ("weights", "options", "inputs")
INPUT_KEYS = ("x",)


@dataclass(frozen=True)
class CompareTrace(Record):
    kind: ClassVar[str] = "recurrent-compare"
    rnn: _rnn.RNNTrace
    lstm: _lstm.LSTMTrace
    gru: _gru.GRUTrace


def _part(name: str, weights: Mapping[str, Any]) -> Mapping[str, Any]:
    part = weights.get(name)
    if not isinstance(part, Mapping) or "weights" not in part:
        raise InputError(f"recurrent-compare weights need {name!r}: {{\"weights\": {{...}}, \"options\": {{...}}}} "
                         f"for each of {', '.join(PARTS)}")
    unknown = [k for k in part if k not in PART_KEYS]
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r} in recurrent-compare part {name!r}; expected {', '.join(PART_KEYS)}")
    return part


def build(weights: Mapping[str, Any], inputs: Mapping[str, Any]) -> CompareTrace:
    """Run the RNN, LSTM and GRU engines on the one sequence ``inputs["x"]``."""
    unknown = [k for k in weights if k not in PARTS]
    if unknown:
        raise unknown_key("weight", unknown[0], tuple(PARTS), "recurrent-compare",
                          f"one part per cell: {', '.join(PARTS)}")
    unknown = [k for k in inputs if k not in INPUT_KEYS]
    if unknown:
        raise unknown_key("input key", unknown[0], INPUT_KEYS, expected="x (the shared sequence)")
    if "x" not in inputs:
        raise InputError('recurrent-compare inputs need "x": the one sequence fed to all three cells')
    traces = {}
    for name, engine in PARTS.items():
        part = _part(name, weights)
        part_inputs = {**dict(part.get("inputs") or {}), "x": inputs["x"]}
        try:
            traces[name] = engine.build(part["weights"], part_inputs, **dict(part.get("options") or {}))
        except InputError as e:
            raise InputError(f"the {name} part does not fit the shared sequence x: {e}") from None
    return CompareTrace(**traces)


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int) -> tuple[dict, dict]:
    """Seeded weights for each cell (same sizes), and one shared random sequence."""
    weights = {}
    x = None
    for name, engine in PARTS.items():
        w, inp = engine.random(rng, hidden=hidden, input_size=input_size, steps=steps)
        weights[name] = {"weights": w}
        x = inp["x"] if x is None else x
    return weights, {"x": x}
