"""Keras 2 HDF5 files read as Keras 3 weights: ``model.save("m.h5")`` (the model config in the root's
``model_config`` attribute, the weights under ``model_weights``) and Keras 2's ``model.save_weights("w.h5")``
(the weights at the root, no config).

Both list their layers in ``layer_names`` and each layer's weights, in order, in its ``weight_names``
attribute: paths below the layer's group such as ``lstm/lstm_cell/kernel:0`` (Keras 2) or
``sequential/lstm/lstm_cell/kernel`` (Keras 3 writing the legacy format). :func:`as_keras3` rearranges
them into the layout of a Keras 3 ``.weights.h5`` (``layers/<name>/cell/vars/0`` ...), which the rest of
the reader knows; the arrays themselves are the ones read from the file, in the order ``weight_names``
gives. What follows the layer's own name in a path tells where a weight belongs:

    kernel                           the layer's vars (Dense)
    lstm_cell/kernel                 its cell's vars (SimpleRNN, LSTM, GRU)
    forward_lstm/lstm_cell/kernel    a Bidirectional's forward (backward_...) layer's cell
    dense/kernel                     a wrapped layer's vars (TimeDistributed)
    query/kernel                     MultiHeadAttention's query (key, value, attention_output) projection
"""
from __future__ import annotations

import json
from typing import Any

from ..errors import InputError
from ._h5 import Node, Var

_MHA = {"query": "query_dense", "key": "key_dense", "value": "value_dense", "attention_output": "output_dense"}


def is_legacy(tree: Node) -> bool:
    return "layers" not in tree.groups and ("model_weights" in tree.groups or "layer_names" in tree.attrs)


def model_config(tree: Node, where: str) -> Any:
    """The model config of ``model.save("m.h5")`` (None for a weights-only file)."""
    raw = tree.attrs.get("model_config")
    if raw is None:
        return None
    try:
        return json.loads(raw) if isinstance(raw, str) else None
    except json.JSONDecodeError as e:
        raise InputError(f"{where}: its model_config attribute is not valid JSON ({e.msg})") from None


def as_keras3(tree: Node, where: str) -> Node:
    """The weights rearranged as a Keras 3 weights file: ``layers/<name>/...`` with ``vars/0``, ``vars/1`` ..."""
    root = tree.groups.get("model_weights", tree)
    names = root.attrs.get("layer_names")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError(f"{where} is a Keras 2 HDF5 file without a readable layer_names list")
    layers = Node("layers", "layers")
    for name in names:
        group = root.groups.get(name)
        if group is None:
            raise InputError(f"{where}: layer_names lists {name!r} but the file has no group for it")
        weight_names = group.attrs.get("weight_names")
        if weight_names is None and any(True for _ in group.walk()):
            raise InputError(f"{where} is a Keras 2 HDF5 file whose layer {name!r} stores weights without their "
                             "weight_names list; save it again (Keras 2 or 3: model.save)")
        weight_names = weight_names or []
        if not isinstance(weight_names, list):
            raise InputError(f"{where}: layer {name!r} has an unreadable weight_names list")
        stored = dict(group.walk())
        node = Node(name, f"layers/{name}")
        for wname in weight_names:
            var = stored.get(wname) if isinstance(wname, str) else None
            if var is None:
                raise InputError(f"{where}: layer {name!r} lists weight {wname!r} but does not store it")
            _place(node, _below(wname, name), var)
        if weight_names:
            layers.groups[name] = node
    return Node("", "", groups={"layers": layers})


def _below(path: str, layer: str) -> list[str]:
    """The parts of a weight's path after the layer's own name (``:0`` dropped)."""
    parts = path.split(":")[0].split("/")
    at = max((i for i, p in enumerate(parts[:-1]) if p == layer), default=-1)
    return parts[at + 1:]


def _vars(parent: Node, key: str, name: str | None = None) -> Node:
    node = parent.groups.setdefault(key, Node(key, f"{parent.path}/{key}"))
    vs = node.groups.setdefault("vars", Node("vars", f"{node.path}/vars"))
    if name is not None:
        vs.attrs.setdefault("name", name)
    return vs


def _add(vs: Node, var: Var) -> None:
    vs.datasets[str(len(vs.datasets))] = var


def _place(node: Node, parts: list[str], var: Var) -> None:
    if len(parts) <= 1:                                     # the layer's own weight (Dense)
        vs = node.groups.setdefault("vars", Node("vars", f"{node.path}/vars"))
        _add(vs, var)
    elif len(parts) == 2 and parts[0].endswith("_cell"):    # a recurrent layer's cell
        _add(_vars(node, "cell", parts[0]), var)
    elif len(parts) == 3 and parts[0].startswith(("forward_", "backward_")):
        side = "forward_layer" if parts[0].startswith("forward_") else "backward_layer"
        inner = node.groups.setdefault(side, Node(side, f"{node.path}/{side}"))
        _add(_vars(inner, "cell", parts[1]), var)
    elif len(parts) == 2 and parts[0] in _MHA:              # MultiHeadAttention's projections
        _add(_vars(node, _MHA[parts[0]], parts[0]), var)
    elif len(parts) == 2:                                    # a wrapped layer (TimeDistributed)
        _add(_vars(node, "layer", parts[0]), var)
    else:
        raise InputError(f"weight {'/'.join(parts)!r} of layer {node.key!r} is laid out as no Keras layer GateLab "
                         "reads (Dense, SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed, MultiHeadAttention)")
