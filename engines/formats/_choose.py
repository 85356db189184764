"""Choosing the module (and output head) that drives a GateLab model: :func:`select`.

- ``module=None``: the one module that fits ``model`` is used and named in the note; several
  fitting modules are a one-line error listing them (``choose one with --module NAME``); none
  fitting names the closest module and the shapes the model expects.
- ``head``: a Linear read as the engine's output layer ``V`` [O, width], ``b_y`` [O] (the name every
  recurrent engine accepts). Without ``head``, exactly one Linear whose ``in_features`` equals the
  module's output width is used automatically; ``head="none"`` uses none.
- The weights keep the module's own names (the prefix stripped): names the engines accept.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError
from . import Checkpoint, Module, Selection
from .modules import EXPECTED, FAMILY, HEAD_KINDS, RECURRENT, family, output_width


def _q(name: str) -> str:
    return repr(name) if name else "'' (no prefix)"


def _describe(m: Module) -> str:
    c = m.config
    bits = [f"{m.kind} layout"]
    if m.kind in HEAD_KINDS:
        bits = [f"{m.kind} {c.get('in_features', '?')} -> {c.get('out_features', '?')}"]
    if isinstance(c.get("layers"), int):
        bits.append(f"{c['layers']} layer{'s' if c['layers'] != 1 else ''}")
    if c.get("bidirectional"):
        bits.append("bidirectional")
    if isinstance(c.get("hidden"), int):
        bits.append(f"hidden {c['hidden']}")
    return ", ".join(bits)


def select(ckpt: Checkpoint, model: str | None, *, module: str | None = None, head: str | None = None) -> Selection:
    """The module for ``model`` (None: the file's one model-driving module), its head, as engine weights."""
    mods = list(ckpt.modules)
    drivers = [m for m in mods if m.models and (model is None or model in m.models)]
    if module is not None:
        chosen = _by_name(ckpt, module)
        if not chosen.models or (model is not None and model not in chosen.models):
            raise InputError(_misfit(ckpt, chosen, model))
    elif len(drivers) == 1:
        chosen = drivers[0]
    elif len(drivers) > 1:
        if model is None and len({m.models[0] for m in drivers}) == 1:
            model = drivers[0].models[0]
        raise InputError(f"several modules fit {model or 'GateLab models'} in {ckpt.path!r}: "
                         f"{', '.join(_q(m.name) for m in drivers)}; choose one with --module NAME")
    else:
        raise InputError(_none_fits(ckpt, model))
    model = model or chosen.models[0]
    weights = {k: _weight(ckpt, chosen, k) for k in _param_names(chosen)}
    options = _options(chosen, model)
    note = f"using module {_q(chosen.name)} ({_describe(chosen)})"
    head_mod = _head(ckpt, chosen, model, head)
    if head_mod is not None:
        V, b_y = _head_arrays(ckpt, head_mod)
        weights.update(V=V, b_y=b_y)
        note += f" with {_q(head_mod.name)} ({_describe(head_mod)}) as the output layer V, b_y"
    elif head is None and model in RECURRENT:
        others = _head_candidates(ckpt, chosen)
        if len(others) > 1:
            note += f"; no output layer: {', '.join(_q(m.name) for m in others)} could be one (choose with --head-module NAME)"
    if model in ("multihead", "transformer"):
        note += "; num_heads is not stored in a state_dict: give --heads N (default 1)"
    if chosen.kind in ("nn.RNN", "nn.RNNCell"):
        note += "; nonlinearity is not stored: tanh assumed (--activation relu for nonlinearity='relu')"
    return Selection(weights, options, chosen.name, head_mod.name if head_mod else None, note)


def _by_name(ckpt: Checkpoint, name: str) -> Module:
    for m in ckpt.modules:
        if m.name == name:
            return m
    listing = ", ".join(f"{_q(m.name)} ({m.kind})" for m in ckpt.modules) or "none"
    raise InputError(f"no module {name!r} in {ckpt.path!r}; its modules: {listing}")


def _misfit(ckpt: Checkpoint, m: Module, model: str | None) -> str:
    why = m.config.get("unsupported")
    if why:
        return f"module {_q(m.name)} in {ckpt.path!r} cannot drive {model or 'a GateLab model'}: {why}"
    if m.kind in HEAD_KINDS:
        return (f"module {_q(m.name)} in {ckpt.path!r} is an {m.kind}; it can be an output layer (--head-module "
                f"{m.name}) but does not drive {model or 'a model'} by itself")
    exp = f"; {model} expects {EXPECTED[model]}" if model in EXPECTED else ""
    return f"module {_q(m.name)} in {ckpt.path!r} is an {m.kind}: it drives {', '.join(m.models)}, not {model}{exp}"


def _none_fits(ckpt: Checkpoint, model: str | None) -> str:
    mods = list(ckpt.modules)
    if not mods:
        return f"no module GateLab knows was found in {ckpt.path!r} ({len(ckpt.tensors)} tensors); `gatelab inspect` lists them"
    fam = FAMILY.get(model or "", "")
    ranked = sorted(mods, key=lambda m: (family(m.kind) != fam, m.kind in HEAD_KINDS))
    best = ranked[0]
    exp = f"; {model} expects {EXPECTED[model]}" if model in EXPECTED else ""
    why = best.config.get("unsupported")
    shapes = ", ".join(f"{t.name.rsplit('.', 1)[-1] if best.name else t.name} {t.shape}" for t in best.tensors[:2])
    detail = why or (f"it drives {', '.join(best.models)}" if best.models else "it drives no GateLab model")
    return (f"no module in {ckpt.path!r} fits {model or 'a GateLab model'}: the closest is {_q(best.name)}, an "
            f"{best.kind}{f' ({shapes})' if shapes else ''}: {detail}{exp}")


def _param_names(m: Module) -> list[str]:
    """The module's parameter names as the engines read them (a cell's ``weight_ih`` as ``weight_ih_l0``)."""
    if m.params:
        return list(m.params)
    return [t.name + ("_l0" if m.config.get("cell") else "") for t in _local_tensors(m)]


def _local_tensors(m: Module) -> list[Any]:
    """The module's stored tensors with the prefix stripped (their names inside the module)."""
    cut = len(m.name) + 1 if m.name else 0
    return [type(t)(t.name[cut:], t.shape, t.dtype) for t in m.tensors]


def _weight(ckpt: Checkpoint, m: Module, local: str) -> np.ndarray:
    if m.params:
        return m.params[local]
    stored = local.removesuffix("_l0") if m.config.get("cell") else local
    full = f"{m.name}.{stored}" if m.name else stored
    if ckpt.loader is None:
        raise InputError(f"tensor {full!r} of {ckpt.path!r} was not loaded")
    a = ckpt.loader(full)
    if a.dtype.kind != "f":
        raise InputError(f"tensor {full!r} in {ckpt.path!r} is {a.dtype.name}: weights must be floating point")
    return a


def _options(m: Module, model: str) -> dict[str, Any]:
    c = m.config
    if model in ("lstm", "gru"):
        opts: dict[str, Any] = {}
        if isinstance(c.get("layers"), int):
            opts["layers"] = c["layers"]
        if isinstance(c.get("bidirectional"), bool):
            opts["bidirectional"] = c["bidirectional"]
        if model == "gru" and c.get("convention") in ("torch", "textbook"):
            opts["convention"] = c["convention"]
        return opts
    if model == "transformer" and c.get("block") in ("encoder", "decoder"):
        return {"block": c["block"]}
    return {}


def _head_candidates(ckpt: Checkpoint, chosen: Module) -> list[Module]:
    width = output_width(chosen.kind, chosen.config)
    return [m for m in ckpt.modules if m.kind in HEAD_KINDS and width is not None
            and m.config.get("in_features") == width]


def _head(ckpt: Checkpoint, chosen: Module, model: str, head: str | None) -> Module | None:
    if head == "none":
        return None
    if head is not None:
        if model not in RECURRENT:
            raise InputError(f"--head-module applies to rnn, lstm and gru (an output layer V, b_y); {model} has none")
        m = _by_name(ckpt, head)
        width = output_width(chosen.kind, chosen.config)
        if m.kind not in HEAD_KINDS:
            raise InputError(f"--head-module {head}: module {_q(head)} is an {m.kind}, expected an nn.Linear (or Keras Dense)")
        if width is not None and m.config.get("in_features") != width:
            raise InputError(f"--head-module {head}: {m.kind} reads {m.config.get('in_features')} features but module "
                             f"{_q(chosen.name)} outputs {width}")
        return m
    if model not in RECURRENT:
        return None
    cands = _head_candidates(ckpt, chosen)
    return cands[0] if len(cands) == 1 else None


def _head_arrays(ckpt: Checkpoint, m: Module) -> tuple[np.ndarray, np.ndarray]:
    if m.kind == "keras.Dense":
        V = _weight(ckpt, m, "kernel").T      # Keras kernel [I, O] -> [O, I]
        b = _weight(ckpt, m, "bias") if "bias" in _param_names(m) else np.zeros(V.shape[0])
        return V, b
    V = _weight(ckpt, m, "weight")            # torch Linear weight [O, I]: y = V h + b_y
    b = _weight(ckpt, m, "bias") if "bias" in _param_names(m) else np.zeros(V.shape[0])
    return V, b
