"""Reading checkpoints as data: one module per family of formats, never executing anything.

Every reader returns a :class:`Checkpoint`: named float64 arrays plus where they came from.
Finding the modules inside (``rnn.weight_ih_l0`` ... ``head.weight``; a Keras model's layers)
and choosing the one that drives a GateLab model is :mod:`.modules`' job.

    ckpt = formats.read("model.safetensors")          # format chosen by content
    ckpt.modules                                       # (Module, ...) found inside
    sel = formats.select(ckpt, "lstm", module=None, head=None)
    sel.weights, sel.options, sel.note                 # names our engines accept; "using module 'rnn' (...)"
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TensorInfo:
    """What ``inspect`` shows without reading the data: name, shape, dtype as stored."""
    name: str
    shape: tuple[int, ...]
    dtype: str                      # as stored: "float32", "bfloat16", "float16", "float64", ...


@dataclass(frozen=True)
class Module:
    """One framework module/layer found in a checkpoint.

    ``params`` maps the module's own parameter names (``weight_ih_l0``, ``kernel``,
    ``in_proj_weight`` ...) to float64 arrays; ``config`` holds what the framework's layout
    or config says (hidden, input_size, layers, bidirectional, reset_after, activation,
    units, return_sequences ...); ``models`` are the GateLab models it can drive.
    """
    name: str                       # prefix in the file ("rnn", "encoder.layers.0.self_attn") or Keras layer name
    kind: str                       # "nn.LSTM", "nn.Linear", "keras.LSTM", "keras.Dense", ...
    framework: str                  # "torch" | "keras" | "gatelab"
    params: dict[str, np.ndarray]
    config: dict[str, Any] = field(default_factory=dict)
    models: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return int(sum(int(np.prod(a.shape)) for a in self.params.values()))


@dataclass(frozen=True)
class Checkpoint:
    path: str
    format: str                     # "safetensors" | "torch" | "keras" | "keras-weights-h5" | "npz" | "json"
    tensors: tuple[TensorInfo, ...]
    modules: tuple[Module, ...]
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Selection:
    """The module chosen for a model, in names the engine accepts, and the options the file implies."""
    weights: dict[str, np.ndarray]
    options: dict[str, Any]
    module: str
    head: str | None
    note: str                       # e.g. "using module 'rnn' (nn.LSTM layout, 2 layers)"
