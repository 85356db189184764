"""One Keras 3 layer (its config.json entry and its weights group) -> a :class:`Module`.

Keras 3 stores a layer's variables as ``vars/0``, ``vars/1`` ... in the order the layer created
them; the names they get here are Keras's own variable names:

- ``SimpleRNN`` / ``LSTM`` / ``GRU``: ``cell/vars`` = ``kernel`` [D, G*u], ``recurrent_kernel`` [u, G*u],
  ``bias`` [G*u] (GRU ``reset_after=True``: [2, 3u]); G = 1, 4 (i, f, c, o), 3 (z, r, h).
- ``Bidirectional``: ``forward_layer/cell/vars`` and ``backward_layer/cell/vars`` -> ``kernel`` ...
  and ``kernel_reverse`` ... (the names the LSTM/GRU engines read as the backward direction).
- ``Dense``: ``kernel`` [d, u], ``bias`` [u].
- ``MultiHeadAttention``: ``query/kernel`` [E, heads, key_dim], ``query/bias`` [heads, key_dim],
  likewise ``key``, ``value``; ``attention_output/kernel`` [heads, value_dim, E], ``attention_output/bias`` [E].

Options come from the layer's config (units, activation, reset_after ...); without a config
(a ``.weights.h5`` file alone) they are read from the shapes, and what cannot be known is
assumed (Keras's defaults) and listed in ``config["assumed"]``. Nothing named in a config is
imported or run: a class or function the file names is only a string here.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import Module
from ._h5 import Node, Var
from ..errors import InputError

RECURRENT = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
MODEL_OF = {"SimpleRNN": "rnn", "LSTM": "lstm", "GRU": "gru"}
RNN_ACTIVATIONS = {"tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid", "linear": "identity"}
DENSE_OUTPUTS = {"linear": "identity", "sigmoid": "sigmoid", "softmax": "softmax"}
_VAR_NAMES = {"Dense": ("kernel", "bias"), "EinsumDense": ("kernel", "bias"), "Embedding": ("embeddings",),
              "Conv1D": ("kernel", "bias"), "Conv2D": ("kernel", "bias"), "Conv3D": ("kernel", "bias"),
              "LayerNormalization": ("gamma", "beta")}
TRANSPARENT = ("Dropout", "GaussianDropout", "GaussianNoise", "AlphaDropout", "SpatialDropout1D",
               "ActivityRegularization")     # identity at inference
_MHA_PARTS = (("query", "query_dense"), ("key", "key_dense"), ("value", "value_dense"),
              ("attention_output", "output_dense"))


@dataclass
class LayerEntry:
    """What the file says about one layer: its config entry (None without config.json) and weights group."""
    name: str
    class_name: str
    cfg: dict | None
    node: Node | None
    index: int
    builtin: bool = True
    custom: str = ""                          # the registered name / module of a non-Keras class
    follows: tuple[str, ...] = ()             # layers whose outputs feed this one
    call: dict = field(default_factory=dict)  # keyword arguments of its call in a functional graph
    names: dict[int, str] = field(default_factory=dict)   # id(Var) -> parameter name given to it


def _vars(node: Node | None) -> list[Var]:
    """``vars/0``, ``vars/1`` ... of a group, in numeric order."""
    if node is None or "vars" not in node.groups:
        return []
    ds = node.groups["vars"].datasets
    return [ds[k] for k in sorted(ds, key=lambda s: int(s) if s.isdigit() else 1 << 30)]


def _cell_class(layer_node: Node | None) -> str | None:
    """Without a config, the class of a wrapped recurrent layer from its cell's saved name ("lstm_cell")."""
    cell = layer_node.groups.get("cell") if layer_node else None
    vars_node = cell.groups.get("vars") if cell else None
    name = str(vars_node.attrs.get("name", "")) if vars_node else ""
    base = re.sub(r"_\d+$", "", name)
    return {"lstm_cell": "LSTM", "gru_cell": "GRU", "simple_rnn_cell": "SimpleRNN"}.get(base)


def _name(cfg: dict | None, key: str, default: Any) -> Any:
    return cfg.get(key, default) if isinstance(cfg, dict) else default


def _activation(value: Any) -> str | None:
    """A built-in activation's name; None for anything else (a custom function, a serialised object)."""
    if value is None:
        return "linear"
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("module") in ("keras.activations", "keras.src.activations") \
            and value.get("registered_name") in (None, value.get("config")):
        cfg = value.get("config")
        return cfg if isinstance(cfg, str) else None
    return None


def _float(entry: LayerEntry, label: str, var: Var) -> np.ndarray:
    entry.names[id(var)] = label
    if var.value is None:
        raise InputError(f"layer {entry.name!r} ({entry.class_name}): {label} is stored as {var.dtype}, "
                         "expected float weights")
    return var.value


def _check(entry: LayerEntry, label: str, a: np.ndarray, expected: tuple[int, ...], meaning: str) -> None:
    if tuple(a.shape) != tuple(expected):
        raise InputError(f"layer {entry.name!r} ({entry.class_name}): {label} has shape {tuple(a.shape)}, "
                         f"expected {tuple(expected)} = {meaning}")


def _cell_params(entry: LayerEntry, cls: str, cell_node: Node | None, cfg: dict | None, sfx: str
                 ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """kernel/recurrent_kernel/bias (+ ``sfx``) of one recurrent cell, checked against the config;
    and its options. A layer without bias has no ``bias`` here (its count stays the file's)."""
    vs = _vars(cell_node)
    if len(vs) not in (2, 3):
        raise InputError(f"layer {entry.name!r} ({cls}): cell{sfx} holds {len(vs)} weights, "
                         "expected kernel, recurrent_kernel and bias")
    G = RECURRENT[cls]
    ker = _float(entry, "kernel" + sfx, vs[0])
    rec = _float(entry, "recurrent_kernel" + sfx, vs[1])
    if ker.ndim != 2 or rec.ndim != 2:
        raise InputError(f"layer {entry.name!r} ({cls}): kernel{sfx}/recurrent_kernel{sfx} have shapes "
                         f"{ker.shape}, {rec.shape}, expected 2-D (input, {G}*units), (units, {G}*units)")
    units = _name(cfg, "units", rec.shape[0])
    _check(entry, "recurrent_kernel" + sfx, rec, (units, G * units), f"(units, {G}*units)")
    _check(entry, "kernel" + sfx, ker, (ker.shape[0], G * units), f"(input, {G}*units)")
    params = {"kernel" + sfx: ker, "recurrent_kernel" + sfx: rec}
    opts: dict[str, Any] = {"units": int(units), "input_size": int(ker.shape[0]), "use_bias": len(vs) == 3}
    bias = _float(entry, "bias" + sfx, vs[2]) if len(vs) == 3 else None
    if cls == "GRU":
        after = _name(cfg, "reset_after", None)
        if after is None:
            after = bias.ndim == 2 if bias is not None else True   # Keras's default: reset_after=True
        opts["reset_after"] = bool(after)
        if bias is not None:
            _check(entry, "bias" + sfx, bias, (2, 3 * units) if after else (3 * units,),
                   "(2, 3*units) (reset_after=True)" if after else "(3*units,) (reset_after=False)")
    elif bias is not None:
        _check(entry, "bias" + sfx, bias, (G * units,), f"({G}*units,)")
    if bias is not None:
        params["bias" + sfx] = bias
    return params, opts


def _recurrent_options(cls: str, cfg: dict | None, opts: dict[str, Any], assumed: list[str]) -> str:
    """Fill activations and flags from the config (or assume Keras's defaults); return why it cannot
    be drawn ("" when it can)."""
    act = _activation(_name(cfg, "activation", "tanh"))
    if cfg is None:
        assumed.append("activation tanh")
        if cls != "SimpleRNN":
            assumed.append("recurrent_activation sigmoid")
    opts["activation"] = act
    opts["return_sequences"] = _name(cfg, "return_sequences", None)
    opts["go_backwards"] = bool(_name(cfg, "go_backwards", False))
    if act is None:
        return "its activation is not a built-in Keras function"
    if cls == "SimpleRNN":
        if act not in RNN_ACTIVATIONS:
            return f"activation {act!r} (the rnn engine has tanh, relu, sigmoid, linear)"
    else:
        rec = _activation(_name(cfg, "recurrent_activation", "sigmoid"))
        opts["recurrent_activation"] = rec
        if act != "tanh" or rec != "sigmoid":
            return f"activation {act!r}, recurrent_activation {rec!r} (the {cls} engine uses tanh and sigmoid)"
    if opts["go_backwards"]:
        return "go_backwards=True on its own (wrap it in Bidirectional, or reverse the inputs)"
    return ""


def recurrent(entry: LayerEntry) -> Module:
    cls, cfg = entry.class_name, entry.cfg
    cell = entry.node.groups.get("cell") if entry.node else None
    params, opts = _cell_params(entry, cls, cell, cfg, "")
    assumed: list[str] = []
    if cls == "GRU" and cfg is None and "bias" not in params:
        assumed.append("reset_after True")
    why = _recurrent_options(cls, cfg, opts, assumed)
    opts.update(hidden=opts["units"], bidirectional=False, layers=1)
    return _module(entry, params, opts, () if why else (MODEL_OF[cls],), why, assumed)


def bidirectional(entry: LayerEntry) -> Module:
    cfg = entry.cfg
    inner_cfg = _name(cfg, "layer", None)
    node = entry.node
    fwd = node.groups.get("forward_layer") if node else None
    bwd = node.groups.get("backward_layer") if node else None
    if isinstance(inner_cfg, dict):
        inner = inner_cfg.get("class_name")
    else:
        inner = _cell_class(fwd)
    if inner not in RECURRENT or fwd is None or bwd is None:
        return unsupported(entry, f"Bidirectional around {inner or 'an unknown layer'} is not supported")
    icfg = inner_cfg.get("config") if isinstance(inner_cfg, dict) else None
    pf, opts = _cell_params(entry, inner, fwd.groups.get("cell"), icfg, "")
    bcfg = _name(cfg, "backward_layer", None)
    pb, opts_b = _cell_params(entry, inner, bwd.groups.get("cell"),
                              bcfg.get("config") if isinstance(bcfg, dict) else icfg, "_reverse")
    if opts_b != opts:
        return unsupported(entry, f"its forward and backward layers differ ({opts} vs {opts_b})", {**pf, **pb})
    params = {**pf, **pb}
    assumed: list[str] = []
    why = _recurrent_options(inner, icfg, opts, assumed)
    merge = _name(cfg, "merge_mode", "concat")
    if cfg is None:
        assumed.append("merge_mode concat")
    opts.update(hidden=opts["units"], bidirectional=True, layers=1, merge_mode=merge, inner=inner)
    if not why and merge != "concat":
        why = f"merge_mode {merge!r} (GateLab concatenates the two directions)"
    if not why and inner == "SimpleRNN":
        why = "the rnn engine runs one direction"
    return _module(entry, params, opts, () if why else (MODEL_OF[inner],), why, assumed)


def dense(entry: LayerEntry) -> Module:
    vs = _vars(entry.node)
    if len(vs) not in (1, 2):
        raise InputError(f"layer {entry.name!r} (Dense) holds {len(vs)} weights, expected kernel and bias")
    ker = _float(entry, "kernel", vs[0])
    if ker.ndim != 2:
        raise InputError(f"layer {entry.name!r} (Dense): kernel has shape {ker.shape}, expected (input, units)")
    units = _name(entry.cfg, "units", ker.shape[1])
    _check(entry, "kernel", ker, (ker.shape[0], units), "(input, units)")
    params = {"kernel": ker}
    if len(vs) == 2:
        params["bias"] = _float(entry, "bias", vs[1])
        _check(entry, "bias", params["bias"], (units,), "(units,)")
    assumed = [] if entry.cfg is not None else ["activation linear"]
    act = _activation(_name(entry.cfg, "activation", "linear"))
    opts = {"units": int(units), "input_size": int(ker.shape[0]), "activation": act,
            "use_bias": len(vs) == 2, "role": "output layer (--head)"}
    return _module(entry, params, opts, (), "", assumed)


def time_distributed(entry: LayerEntry) -> Module:
    """TimeDistributed(Dense): the same Dense at every step, so an output layer like any Dense (many-to-many)."""
    inner = _name(entry.cfg, "layer", None)
    node = entry.node.groups.get("layer") if entry.node is not None else None
    if node is None and entry.node is not None and "vars" in entry.node.groups:
        node = entry.node                     # Keras 2 names the wrapped Dense's weights after the wrapper
    if isinstance(inner, dict):
        inner_cls = inner.get("class_name")
    else:                                     # no config.json: the wrapped layer's saved name ("dense_5")
        vars_node = node.groups.get("vars") if node else None
        saved = re.sub(r"_\d+$", "", str(vars_node.attrs.get("name", ""))) if vars_node else ""
        inner_cls = "Dense" if saved == "dense" else None
    if inner_cls != "Dense" or node is None:
        return unsupported(entry, f"TimeDistributed around {inner_cls or 'an unknown layer'} is not supported")
    m = dense(dataclasses.replace(entry, class_name="Dense", node=node,
                                  cfg=inner.get("config") if isinstance(inner, dict) else None))
    m.config["wrapped_in"] = "TimeDistributed"
    return m


def multihead(entry: LayerEntry) -> Module:
    node, cfg = entry.node, entry.cfg
    params: dict[str, np.ndarray] = {}
    for part, key in _MHA_PARTS:
        vs = _vars(node.groups.get(key) if node else None)
        if len(vs) not in (1, 2):
            raise InputError(f"layer {entry.name!r} (MultiHeadAttention): {key} holds {len(vs)} weights, "
                             "expected kernel and bias")
        params[f"{part}/kernel"] = _float(entry, f"{part}/kernel", vs[0])
        if len(vs) == 2:
            params[f"{part}/bias"] = _float(entry, f"{part}/bias", vs[1])
    q, k, v, o = (params[f"{p}/kernel"] for p, _ in _MHA_PARTS)
    if q.ndim != 3 or k.ndim != 3 or v.ndim != 3 or o.ndim != 3:
        return unsupported(entry, "its projections are not [d_model, heads, key_dim] (attention_axes or "
                                  "inputs of rank > 3)", params)
    heads = _name(cfg, "num_heads", q.shape[1])
    key_dim = _name(cfg, "key_dim", q.shape[2])
    value_dim = _name(cfg, "value_dim", None) or key_dim
    _check(entry, "query/kernel", q, (q.shape[0], heads, key_dim), "(query width, num_heads, key_dim)")
    _check(entry, "value/kernel", v, (v.shape[0], heads, value_dim), "(value width, num_heads, value_dim)")
    E = q.shape[0]
    opts = {"num_heads": int(heads), "key_dim": int(key_dim), "value_dim": int(value_dim), "d_model": int(E),
            "key_size": int(k.shape[0]), "value_size": int(v.shape[0]), "output_size": int(o.shape[2]),
            "use_bias": "query/bias" in params, "causal": bool(entry.call.get("use_causal_mask", False))}
    why = ""
    if heads * key_dim != E or value_dim != key_dim or o.shape[2] != E or k.shape[0] != E or v.shape[0] != E:
        why = (f"the multihead engine needs num_heads*key_dim = value_dim*num_heads = d_model for query, key, "
               f"value and output (here {heads} heads, key_dim {key_dim}, value_dim {value_dim}, widths "
               f"{E}/{k.shape[0]}/{v.shape[0]} -> {o.shape[2]})")
    return _module(entry, params, opts, () if why else ("multihead",), why, [])


def unsupported(entry: LayerEntry, why: str, params: dict[str, np.ndarray] | None = None) -> Module:
    """A layer GateLab does not draw: listed (with its weights, for counts), named when asked for."""
    if params is None:
        found = [(path, var) for path, var in (entry.node.walk() if entry.node else ()) if var.value is not None]
        names = _VAR_NAMES.get(entry.class_name, ())
        if len(names) != len(found) or any(not p.startswith("vars/") for p, _ in found):
            names = tuple(p for p, _ in found)
        params = {}
        for label, (_, var) in zip(names, found):
            params[label] = _float(entry, label, var)
    return _module(entry, params, {}, (), why, [])


def _module(entry: LayerEntry, params: dict[str, np.ndarray], opts: dict[str, Any], models: tuple[str, ...],
            why: str, assumed: list[str]) -> Module:
    config: dict[str, Any] = {"class_name": entry.class_name, "index": entry.index, **opts,
                              "follows": list(entry.follows),
                              "source": "config.json" if entry.cfg is not None else "weights file (shapes)"}
    if why:
        config["not_drawable"] = why
    if assumed:
        config["assumed"] = assumed
    if entry.custom:
        config["custom"] = entry.custom
    return Module(name=entry.name, kind=f"keras.{entry.class_name}", framework="keras", params=params,
                  config=config, models=models)


def interpret(entry: LayerEntry) -> Module:
    """The Module for one layer (unsupported and custom classes become not-drawable modules)."""
    if not entry.builtin:
        return unsupported(entry, f"custom class {entry.custom or entry.class_name} (read as data; "
                                  "GateLab runs no code from a file)")
    if entry.node is None and entry.class_name in (*RECURRENT, "Bidirectional", "Dense", "MultiHeadAttention"):
        raise InputError(f"config.json names layer {entry.name!r} ({entry.class_name}) but the weights file "
                         "has no weights for it")
    if entry.class_name in RECURRENT:
        return recurrent(entry)
    if entry.class_name == "Bidirectional":
        return bidirectional(entry)
    if entry.class_name == "Dense":
        return dense(entry)
    if entry.class_name == "TimeDistributed":
        return time_distributed(entry)
    if entry.class_name == "MultiHeadAttention":
        return multihead(entry)
    if entry.class_name in TRANSPARENT:
        return unsupported(entry, f"{entry.class_name} does nothing at inference (nothing to draw)")
    if entry.class_name in ("Sequential", "Functional", "Model"):
        return unsupported(entry, "a model nested inside the model (select from its own .keras file)")
    return unsupported(entry, f"{entry.class_name} layers are not supported")
