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
from typing import Any, Callable

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
    tensors: tuple[TensorInfo, ...] = ()   # the module's tensors as stored (full names in the file)

    @property
    def count(self) -> int:
        return int(sum(int(np.prod(a.shape)) for a in self.params.values()))


@dataclass(frozen=True)
class Checkpoint:
    path: str
    format: str                     # "safetensors" | "torch" | "keras" | "keras-weights-h5" | "keras-h5" | "npz" | "json"
    tensors: tuple[TensorInfo, ...]
    modules: tuple[Module, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    # name -> float64 array (integer tensors keep an integer dtype), for checkpoints read with
    # data=False: their modules' ``params`` are empty until :func:`select` reads what it uses.
    loader: Callable[[str], np.ndarray] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Selection:
    """The module chosen for a model, in names the engine accepts, and the options the file implies."""
    weights: dict[str, np.ndarray]
    options: dict[str, Any]
    module: str
    head: str | None
    note: str                       # e.g. "using module 'rnn' (nn.LSTM layout, 2 layers)"


def read(path, *, data: bool = True) -> Checkpoint:
    """The checkpoint at ``path``, its format chosen by content (see :mod:`._read`)."""
    from ._read import read as _read
    return _read(path, data=data)


def select(ckpt: Checkpoint, model: str | None, *, module: str | None = None, head: str | None = None) -> Selection:
    """The module of ``ckpt`` that drives ``model`` (and its output head), in engine names."""
    if ckpt.format in ("keras", "keras-weights-h5", "keras-h5") and model is not None:
        from .keras_select import select_keras   # Keras layers: Dense heads, Bidirectional, reset_after
        return select_keras(ckpt, model, module=module, head=head)
    from ._choose import select as _select
    return _select(ckpt, model, module=module, head=head)


def load_for_model(path, model: str | None, *, module: str | None = None, head: str | None = None):
    """``(WeightsDoc, note)``: what the registry calls for ``--weights FILE [--module M] [--head-module H]``."""
    from ._read import load_for_model as _load
    return _load(path, model, module=module, head=head)
