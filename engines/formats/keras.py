"""Keras 3 files read as data: ``.keras`` archives and ``.weights.h5`` files.

    ckpt = read_keras("model.keras")            # model.save("model.keras")
    ckpt = read_weights_h5("m.weights.h5")      # model.save_weights("m.weights.h5")

A ``.keras`` file is a zip of ``config.json`` (the model's architecture as JSON), ``metadata.json``
(Keras version, date) and ``model.weights.h5`` (the variables, one HDF5 group per layer). The
config is parsed with :mod:`json` only: class names, modules and registered names in it stay
strings; nothing is imported, deserialised or run. Layers are matched to their weights by the
name Keras stores beside each layer's variables, in the config's layer order (Sequential) or the
``layers`` list order (functional models, whose ``inbound_nodes`` tell which layer feeds which).

A ``.weights.h5`` file alone has no config: each layer's class comes from the group name Keras
gives it (``lstm``, ``gru_1``, ``simple_rnn``, ``dense``, ``bidirectional``), its sizes from the
shapes, the layer order from the order the data was written (the model's order), and whatever
cannot be known (activations) is Keras's default, listed in each module's ``config["assumed"]``.
See :mod:`._keras_layers` for what each layer becomes.
"""
from __future__ import annotations

import io
import json
import os
import re
import zipfile
from typing import Any

from . import Checkpoint, Module, TensorInfo
from . import _keras_layers as KL
from ._h5 import Node, read_tree
from .keras_select import summary_inputs
from ..errors import InputError

_ZIP_MAGIC = b"PK\x03\x04"
_H5_MAGIC = b"\x89HDF\r\n\x1a\n"
MAX_CONFIG_BYTES = 64 << 20
_MODELS = ("Sequential", "Functional", "Model")
_TRANSPARENT = KL.TRANSPARENT       # identity at inference: a Dense after them still follows the RNN
_SNAKE_CLASS = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU", "bidirectional": "Bidirectional",
                "dense": "Dense", "multi_head_attention": "MultiHeadAttention", "input_layer": "InputLayer",
                "conv1d": "Conv1D", "conv2d": "Conv2D", "embedding": "Embedding", "dropout": "Dropout",
                "layer_normalization": "LayerNormalization", "batch_normalization": "BatchNormalization",
                "time_distributed": "TimeDistributed"}


def sniff(path: str | os.PathLike) -> str | None:
    """``"keras"`` for a zip holding config.json and model.weights.h5, ``"keras-weights-h5"`` for an
    HDF5 file, else None (reads only the first bytes and the zip's directory)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head.startswith(_ZIP_MAGIC):
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
            return "keras" if {"config.json", "model.weights.h5"} <= names else None
        return "keras-weights-h5" if head == _H5_MAGIC else None
    except (OSError, zipfile.BadZipFile):
        return None


def _to_snake(name: str) -> str:
    """Keras's own ``to_snake_case`` (the group names in its weights files)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _layer_name(node: Node) -> str:
    vars_node = node.groups.get("vars")
    name = vars_node.attrs.get("name") if vars_node else None
    return name if isinstance(name, str) and name else node.key


# --------------------------------------------------------------------------- .keras archives

def read_keras(path: str | os.PathLike) -> Checkpoint:
    p = os.fspath(path)
    where = f"Keras file {p!r}"
    try:
        zf = zipfile.ZipFile(p)
    except FileNotFoundError:
        raise InputError(f"{where} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{where} is a directory, expected a .keras archive") from None
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError(f"{where} is not a readable .keras archive (truncated, or not a zip)") from None
    with zf:
        names = zf.namelist()
        missing = [n for n in ("config.json", "model.weights.h5") if n not in names]
        if missing:
            raise InputError(f"{where} has no {' or '.join(missing)}; a Keras 3 .keras archive holds config.json, "
                             f"metadata.json and model.weights.h5 (found: {', '.join(names[:6]) or 'nothing'})")
        config = _json_member(zf, "config.json", where)
        metadata = _json_member(zf, "metadata.json", where) if "metadata.json" in names else {}
        try:
            weights = zf.read("model.weights.h5")
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise InputError(f"{where}: model.weights.h5 is damaged ({e.__class__.__name__})") from None
    tree = read_tree(io.BytesIO(weights), f"{where} (model.weights.h5)")
    meta = {"keras_version": metadata.get("keras_version") if isinstance(metadata, dict) else None,
            "date_saved": metadata.get("date_saved") if isinstance(metadata, dict) else None}
    entries, info = _from_config(config, tree, where)
    return _checkpoint(p, "keras", entries, {**meta, **info})


def _json_member(zf: zipfile.ZipFile, name: str, where: str) -> Any:
    if zf.getinfo(name).file_size > MAX_CONFIG_BYTES:
        raise InputError(f"{where}: {name} is larger than {MAX_CONFIG_BYTES >> 20} MB; not a Keras config")
    try:
        return json.loads(zf.read(name).decode("utf-8"))
    except (zipfile.BadZipFile, OSError, EOFError):
        raise InputError(f"{where}: {name} is damaged (truncated archive)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{where}: {name} is not valid JSON ({e.__class__.__name__})") from None


def _is_builtin(cfg: dict) -> bool:
    module, reg = cfg.get("module"), cfg.get("registered_name")
    keras_module = module is None or (isinstance(module, str) and (module == "keras" or module.startswith("keras.")))
    return keras_module and reg in (None, cfg.get("class_name"))


def _custom_label(cfg: dict) -> str:
    return str(cfg.get("registered_name") or f"{cfg.get('module')}.{cfg.get('class_name')}")


def _from_config(config: Any, tree: Node, where: str) -> tuple[list[KL.LayerEntry], dict[str, Any]]:
    """Layer entries in model order, from config.json matched to the weights' groups."""
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise InputError(f"{where}: config.json is not a Keras model config (no class_name)")
    cls = config["class_name"]
    inner = config.get("config") if isinstance(config.get("config"), dict) else {}
    info: dict[str, Any] = {"model": {"class_name": cls, "name": inner.get("name")}, "source": "config.json"}
    if not _is_builtin(config):
        info["model"]["custom"] = _custom_label(config)
    layer_cfgs = inner.get("layers")
    if cls not in _MODELS or not isinstance(layer_cfgs, list):
        entries = _from_weights(tree, where)
        info.update(source="weights (config.json has no layer list)",
                    order="the order the weights were written (config.json lists no layers)")
        return entries, info
    top = tree.groups.get("layers")
    if top is None:
        raise InputError(f"{where}: model.weights.h5 has no 'layers' group; not Keras 3 weights")
    by_name = {_layer_name(n): n for n in top.groups.values()}
    sequential = cls == "Sequential"
    used: dict[str, int] = {}
    entries: list[KL.LayerEntry] = []
    prev: str | None = None
    for i, lc in enumerate(layer_cfgs):
        if not isinstance(lc, dict) or not isinstance(lc.get("class_name"), str):
            raise InputError(f"{where}: config.json layers[{i}] is not a layer config (no class_name)")
        lcls = lc["class_name"]
        cfg = lc.get("config") if isinstance(lc.get("config"), dict) else {}
        name = cfg.get("name") if isinstance(cfg.get("name"), str) else lc.get("name")
        name = name if isinstance(name, str) and name else f"layer_{i}"
        key = _to_snake(lcls)                           # the group name Keras gives it, if the name is not stored
        if not (sequential and lcls == "InputLayer"):
            used[key] = used.get(key, -1) + 1
            key = key if used[key] == 0 else f"{key}_{used[key]}"
        if lcls == "InputLayer":
            shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
            if isinstance(shape, list) and "input_shape" not in info:
                info["input_shape"] = shape[1:]
            continue
        node = by_name.get(name) or top.groups.get(key)
        builtin = _is_builtin(lc)
        follows = (prev,) if sequential and prev else () if sequential else _inbound(lc)
        entry = KL.LayerEntry(name, lcls, cfg, node, i, builtin, "" if builtin else _custom_label(lc),
                              tuple(f for f in follows if f), _call_kwargs(lc))
        entries.append(entry)
        if "input_shape" not in info and isinstance(lc.get("build_config"), dict):
            shape = lc["build_config"].get("input_shape")
            if isinstance(shape, list) and not entries[:-1]:
                info["input_shape"] = shape[1:]
        if not (sequential and lcls in _TRANSPARENT):
            prev = name
    if not sequential:
        _skip_transparent(entries)
    shape = inner.get("build_input_shape")
    if "input_shape" not in info and isinstance(shape, list):
        info["input_shape"] = shape[1:]
    info["order"] = "config.json layer order"
    return entries, info


def _inbound(lc: dict) -> tuple[str, ...]:
    """Names of the layers whose outputs a functional layer takes (from its inbound_nodes)."""
    names: list[str] = []

    def visit(o: Any, depth: int = 0) -> None:
        if depth > 32:
            return
        if isinstance(o, dict):
            if o.get("class_name") == "__keras_tensor__":
                hist = (o.get("config") or {}).get("keras_history") if isinstance(o.get("config"), dict) else None
                if isinstance(hist, list) and hist and isinstance(hist[0], str):
                    names.append(hist[0])
                return
            for v in o.values():
                visit(v, depth + 1)
        elif isinstance(o, list):
            if len(o) >= 3 and isinstance(o[0], str) and isinstance(o[1], int):   # Keras 2: [name, node, tensor, kw]
                names.append(o[0])
                return
            for v in o:
                visit(v, depth + 1)
    visit(lc.get("inbound_nodes") or [])
    return tuple(dict.fromkeys(names))


def _call_kwargs(lc: dict) -> dict:
    nodes = lc.get("inbound_nodes")
    if isinstance(nodes, list) and len(nodes) == 1 and isinstance(nodes[0], dict):
        kw = nodes[0].get("kwargs")
        if isinstance(kw, dict):
            return {k: v for k, v in kw.items() if isinstance(v, (bool, int, float, str)) or v is None}
    return {}


def _skip_transparent(entries: list[KL.LayerEntry]) -> None:
    """A functional layer fed by a Dropout (identity at inference) follows what feeds the Dropout."""
    by = {e.name: e for e in entries}
    for e in entries:
        out: list[str] = []
        for f in e.follows:
            seen = 0
            while f in by and by[f].class_name in _TRANSPARENT and len(by[f].follows) == 1 and seen < len(entries):
                f, seen = by[f].follows[0], seen + 1
            out.append(f)
        e.follows = tuple(dict.fromkeys(out))


# --------------------------------------------------------------------------- .weights.h5 files

def read_weights_h5(path: str | os.PathLike) -> Checkpoint:
    p = os.fspath(path)
    where = f"Keras weights file {p!r}"
    if not os.path.exists(p):
        raise InputError(f"{where} does not exist")
    if os.path.isdir(p):
        raise InputError(f"{where} is a directory, expected a .weights.h5 file")
    tree = read_tree(p, where)
    from . import keras_legacy
    if keras_legacy.is_legacy(tree):              # Keras 2's model.save("m.h5") / save_weights("w.h5")
        config = keras_legacy.model_config(tree, where)
        legacy = keras_legacy.as_keras3(tree, where)
        meta = {"keras_version": tree.attrs.get("keras_version"), "format": "Keras 2 HDF5 (legacy)"}
        if config is not None:
            entries, info = _from_config(config, legacy, where)
            return _checkpoint(p, "keras-h5", entries, {**meta, **info, "source": "the file's model_config"})
        tree = legacy
    entries = _from_weights(tree, where)
    info = {"model": {"name": _layer_name(tree) if "vars" in tree.groups else None},
            "source": "weights file (no config.json)",
            "order": "the order the weights were written (Keras writes layers in model order)"}
    return _checkpoint(p, "keras-weights-h5", entries, info)


def _from_weights(tree: Node, where: str) -> list[KL.LayerEntry]:
    top = tree.groups.get("layers")
    if top is None:
        found = ", ".join(list(tree.groups) + list(tree.datasets)) or "nothing"
        raise InputError(f"{where} is not a Keras 3 weights file: it has no 'layers' group (found: {found[:80]})")
    groups = [g for g in top.groups.values() if any(True for _ in g.walk())]     # layers that hold weights
    groups.sort(key=lambda g: (g.first_offset() is None, g.first_offset() or 0))
    entries: list[KL.LayerEntry] = []
    for i, g in enumerate(groups):
        snake = re.sub(r"_\d+$", "", g.key)
        cls = _SNAKE_CLASS.get(snake, snake)
        builtin = snake in _SNAKE_CLASS
        follows = (entries[-1].name,) if entries else ()
        entries.append(KL.LayerEntry(_layer_name(g), cls, None, g, i, builtin,
                                     "" if builtin else f"unknown layer group {g.key!r}", follows))
    return entries


# --------------------------------------------------------------------------- checkpoint

def _checkpoint(path: str, fmt: str, entries: list[KL.LayerEntry], meta: dict[str, Any]) -> Checkpoint:
    modules: list[Module] = []
    tensors: list[TensorInfo] = []
    dtypes: set[str] = set()
    for e in entries:
        try:
            m = KL.interpret(e)
        except InputError as err:
            raise InputError(f"{path}: {err}") from None
        modules.append(m)
        order = {name: i for i, name in enumerate(m.params)}
        found = [(e.names.get(id(var), rel), var) for rel, var in (e.node.walk() if e.node else ())]
        for label, var in sorted(found, key=lambda lv: order.get(lv[0], len(order))):   # the module's order
            tensors.append(TensorInfo(f"{e.name}/{label}", var.shape, var.dtype))
            if var.value is not None:
                dtypes.add(var.dtype)
    meta = dict(meta)
    meta["dtype"] = dtypes.pop() if len(dtypes) == 1 else ("mixed: " + ", ".join(sorted(dtypes)) if dtypes else None)
    meta["layers"] = [{"name": m.name, "kind": m.kind, "models": list(m.models),
                       **({"not_drawable": m.config["not_drawable"]} if "not_drawable" in m.config else {})}
                      for m in modules]
    meta.update(summary_inputs(modules, meta))      # the model-summary document, when the file allows one
    return Checkpoint(path=path, format=fmt, tensors=tuple(tensors), modules=tuple(modules), meta=meta)
