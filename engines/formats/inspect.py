"""What is inside a weights file, for ``gatelab inspect FILE``: format, modules, shapes, counts.

:func:`summary` reads headers only (no tensor data for safetensors and PyTorch files), so it is
fast on a large checkpoint. For each module it gives its parameters as stored (name, shape,
dtype), the GateLab models it can drive and the exact command that would draw it, its parameter
count in its framework's convention (PyTorch: two bias vectors per recurrent gate; Keras: one),
and what the file cannot tell (``num_heads``, ``nonlinearity``). :func:`text` renders it as a table.
"""
from __future__ import annotations

import os
from typing import Any

from . import Checkpoint, Module, TensorInfo
from ._read import embedding_source
from .modules import HEAD_KINDS, RECURRENT, output_width

FORMATS = {"torch": "PyTorch state_dict (torch.save)", "safetensors": "safetensors", "keras": "Keras .keras archive",
           "keras-weights-h5": "Keras .weights.h5", "keras-h5": "Keras 2 HDF5 model (.h5, legacy)",
           "npz": "NumPy .npz", "json": "GateLab JSON"}
DIAGRAM = {"rnn": "rnn-unfolded", "lstm": "lstm-unfolded", "gru": "gru-unfolded", "multihead": "self-attention",
           "attention": "attention-walkthrough", "transformer": "transformer-block"}


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _stored(ckpt: Checkpoint, m: Module) -> list[TensorInfo]:
    if m.tensors:
        return list(m.tensors)
    by_name = {t.name: t for t in ckpt.tensors}
    out = []
    for local, a in m.params.items():
        t = (by_name.get(f"{m.name}/{local}") or by_name.get(local)
             or next((t for t in ckpt.tensors if t.name.startswith(m.name + "/") and t.name.endswith("/" + local)), None))
        out.append(TensorInfo(t.name if t else local, tuple(a.shape), t.dtype if t else str(a.dtype)))
    return out


def summary(path: str, *, preset: str | None = None) -> dict[str, Any]:
    """A JSON-ready description of ``path`` (``preset``: the shipped preset it is, for the commands)."""
    from . import hf_folder
    if hf_folder.is_folder(path):
        return _folder_summary(path, preset)
    from ._read import read
    ckpt = read(path, data=False)
    shown = f"preset {preset}" if preset else path
    source = ["--preset", preset] if preset else ["--weights", _quote(path)]
    mods = [_module(ckpt, m, source) for m in ckpt.modules]
    if ckpt.meta.get("single") and mods:       # a GateLab file for one engine: no --module, its own options/inputs
        opts, has_inputs = ckpt.meta.get("options") or {}, ckpt.meta.get("inputs")
        for d in mods:
            d["commands"] = [c.replace(" --heads N", "" if "heads" in opts or has_inputs else " --heads N")
                              .replace(" --inputs X.json", "" if has_inputs else " --inputs X.json") for c in d["commands"]]
            d["config"].pop("heads", None) if has_inputs or "heads" in opts else None
    in_modules = {p["name"] for m in mods for p in m["parameters"]}
    other = [{"name": t.name, "shape": list(t.shape), "dtype": t.dtype} for t in ckpt.tensors if t.name not in in_modules]
    return {
        "file": shown, "format": ckpt.format,
        "format_name": FORMATS.get(ckpt.format, ckpt.format) + (" (pre-1.6 format)" if ckpt.meta.get("pickle") == "legacy" else ""),
        "tensors": len(ckpt.tensors), "total_parameters": sum(_numel(t.shape) for t in ckpt.tensors),
        "modules": mods, "other_tensors": other,
        **({"model": ckpt.meta["model"]} if ckpt.meta.get("model") else {}),
        **({"metadata": ckpt.meta["metadata"]} if ckpt.meta.get("metadata") else {}),
        **({"values": ckpt.meta["values"]} if ckpt.meta.get("values") else {}),
    }


def _module(ckpt: Checkpoint, m: Module, source: list[str]) -> dict[str, Any]:
    stored = _stored(ckpt, m)
    count = sum(_numel(t.shape) for t in stored)
    d: dict[str, Any] = {
        "name": m.name, "kind": m.kind, "framework": m.framework, "models": list(m.models),
        "config": {k: v for k, v in m.config.items() if k != "unsupported"},
        "parameters": [{"name": t.name, "shape": list(t.shape), "dtype": t.dtype} for t in stored],
        "count": count,
    }
    if m.config.get("unsupported"):
        d["unsupported"] = m.config["unsupported"]
    conv = _convention(m, count)
    if conv:
        d["convention"] = conv
    if m.kind in HEAD_KINDS:
        d["head_for"] = [o.name for o in ckpt.modules if o.models and set(o.models) & set(RECURRENT)
                         and output_width(o.kind, o.config) == m.config.get("in_features", m.config.get("input_size"))]
    d["commands"] = [_command(m, model, source) for model in m.models if model in DIAGRAM]
    width = m.config.get("input_size") if isinstance(m.config.get("input_size"), int) else output_width(m.kind, m.config)
    if m.models and isinstance(width, int):
        d["inputs"] = f'X.json: {{"x": [[...], ...]}} of shape (T, {width}), time-major'
        table = embedding_source(ckpt, m) if set(m.models) & set(RECURRENT) else None
        if table is not None:                        # the recurrent module reads an embedding's rows
            d["inputs"] += f'; or {{"token_ids": [...]}}, ids < {table[2][0]} looked up in {table[0].name!r}'
    return d


def _command(m: Module, model: str, source: list[str]) -> str:
    diagram = DIAGRAM[model]
    c = m.config
    if model == "lstm" and c.get("bidirectional"):
        diagram = "lstm-bidirectional"
    elif model == "lstm" and isinstance(c.get("layers"), int) and c["layers"] > 1:
        diagram = "lstm-stacked"
    parts = ["gatelab", "diagram", diagram, *source]
    if m.name:
        parts += ["--module", _quote(m.name)]
    if model in ("multihead", "transformer"):
        parts += ["--heads", "N"]
    return " ".join(parts + ["--inputs", "X.json"])


def _quote(s: str) -> str:
    import shlex
    return shlex.quote(s)


def _convention(m: Module, count: int) -> str:
    c = m.config
    if m.framework == "torch" and m.kind.removesuffix("Cell") in ("nn.RNN", "nn.LSTM", "nn.GRU") and c.get("bias"):
        runs = c.get("layers", 1) * (2 if c.get("bidirectional") else 1)
        G, H = c.get("gates", 1), c.get("hidden", 0)
        text = (f"PyTorch: two bias vectors per gate (bias_ih + bias_hh, added); Keras counts one bias, "
                f"{count - runs * G * H} parameters")
        if m.kind.startswith("nn.GRU"):
            text += "; GRU reset gate applied after the recurrent product (Keras reset_after=True; GateLab --convention torch)"
        return text
    if m.framework == "keras" and m.kind in ("keras.SimpleRNN", "keras.LSTM", "keras.GRU", "keras.Bidirectional"):
        text = "Keras: one bias vector per gate"
        if "GRU" in m.kind:
            ra = c.get("reset_after")
            text += (f"; reset_after={ra}" if ra is not None else "") + (
                " (two bias rows; GateLab --convention torch)" if ra else " (GateLab --convention textbook)" if ra is False else "")
        return text
    return ""


def text(s: dict[str, Any]) -> str:
    """``summary`` as a readable table."""
    lines = [f"{s['file']}: {s['format_name']}, {s['tensors']} tensors, {s['total_parameters']} values"]
    for m in s["modules"]:
        lines.append("")
        lines.append(_title(m))
        w = max((len(p["name"]) for p in m["parameters"]), default=0)
        for p in m["parameters"]:
            lines.append(f"    {p['name'].ljust(w)}  {str(tuple(p['shape'])).ljust(12)}  {p['dtype']}")
        lines.append(f"    parameters: {m['count']}" + (f" ({m['convention']})" if m.get("convention") else ""))
        for k in ("heads", "assumes", "note"):
            if k in m["config"]:
                lines.append(f"    {k}: {m['config'][k]}")
        if m.get("unsupported"):
            lines.append(f"    cannot drive a GateLab model: {m['unsupported']}")
        for cmd in m["commands"]:
            lines.append(f"    draw: {cmd}")
        if m.get("inputs") and m["commands"]:
            lines.append(f"          ({m['inputs']})")
    if s["other_tensors"]:
        lines.append("")
        lines.append(f"other tensors (in no module GateLab draws): {len(s['other_tensors'])}")
        w = max(len(t["name"]) for t in s["other_tensors"][:20])
        for t in s["other_tensors"][:20]:
            lines.append(f"    {t['name'].ljust(w)}  {str(tuple(t['shape'])).ljust(12)}  {t['dtype']}")
        if len(s["other_tensors"]) > 20:
            lines.append(f"    ... {len(s['other_tensors']) - 20} more")
    if s.get("values"):                  # a training checkpoint's epoch, step, hyper-parameters ... (read, never run)
        top = [(k, v) for k, v in s["values"].items() if "." not in k]
        shown = [f"{k} = {v}" for k, v in top[:12]]
        nested = len(s["values"]) - len(shown)
        more = f" (and {nested} nested: --json lists them)" if nested else ""
        lines += ["", "other entries: " + (", ".join(shown) or "none at the top level") + more]
    return "\n".join(lines)


def _title(m: dict[str, Any]) -> str:
    c = m["config"]
    name = repr(m["name"]) if m["name"] else "(no prefix)"
    bits = []
    for key, label in (("layers", "layers"), ("hidden", "hidden"), ("units", "units"), ("input_size", "input"),
                       ("embed_dim", "embed_dim"), ("d_model", "d_model"), ("d_ff", "d_ff"), ("block", "block")):
        if key in c:
            bits.append(f"{label} {c[key]}")
    if c.get("bidirectional"):
        bits.append("bidirectional")
    if "in_features" in c:
        bits.append(f"{c['in_features']} -> {c['out_features']}")
    if "part_of" in c:
        bits.append(f"inside {c['part_of']!r}" if c["part_of"] else "inside the layer")
    drives = (f"drives {', '.join(m['models'])}" if m["models"] else
              f"output layer (--head-module) for {', '.join(repr(n) for n in m['head_for'])}" if m.get("head_for") else
              "drives no GateLab model")
    return f"module {name}: {m['kind']} ({', '.join(bits)}) -> {drives}" if bits else f"module {name}: {m['kind']} -> {drives}"


def _folder_summary(path: str, preset: str | None) -> dict[str, Any]:
    """A Hugging Face model folder: its tensors as stored, the base model's count from config.json."""
    from . import hf_folder
    from ..transformer_hf import count, dims
    folder = hf_folder.open_folder(path)
    infos = [t for f in folder.files for t in hf_folder.scan_file(f)[0]]
    k = dims(folder.config)
    pooler = any(t.name.endswith("pooler.dense.weight") for t in infos)
    c = count(folder.config, pooler=pooler and folder.family != "gpt2")
    source = f"--preset {preset}" if preset else f"--weights {_quote(path)}"
    kind = "safetensors" if folder.files[0].endswith(".safetensors") else "torch.save"
    inp = "" if preset else " " + {"vit": "--image FILE"}.get(folder.family, '--text "..."')
    arch = (folder.config.get("architectures") or [folder.family])[0]
    mod = {"name": "", "kind": f"{arch} ({folder.family}, {'pre-LN' if folder.family in ('gpt2', 'vit') else 'post-LN'})",
           "framework": "huggingface",
           "parameters": [{"name": t.name, "shape": list(t.shape), "dtype": t.dtype} for t in infos],
           "count": c["total"], "convention": "the base model's sum(p.numel()), from config.json; heads not counted",
           "config": {key: k[key] for key in ("layers", "d_model", "d_ff", "heads") if key in k},
           "models": ["transformer", "model-summary"],
           "commands": [f"gatelab compute transformer {source}{inp}", f"gatelab compute model-summary {source}"]}
    return {"file": f"preset {preset}" if preset else path, "format": "hf-folder",
            "format_name": f"Hugging Face model folder ({len(folder.files)} {kind} file{'s' if len(folder.files) > 1 else ''})",
            "tensors": len(infos), "total_parameters": sum(_numel(t.shape) for t in infos), "modules": [mod],
            "other_tensors": [], "model": "transformer"}


def preset_path(name: str) -> str:
    """The shipped preset file ``name`` (``gatelab inspect --preset NAME``); a whole-model preset's folder."""
    from .. import presets
    presets.load(name)                  # a one-line error naming the known presets
    if presets.folder(name) is not None:
        return str(presets.folder(name))
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "presets", f"{name}.json")
