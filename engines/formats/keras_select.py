"""Choose the Keras layer that drives a GateLab model, and name its weights the way the engine reads them.

    sel = select_keras(ckpt, "lstm")                      # the one LSTM layer (+ the Dense after it)
    sel = select_keras(ckpt, "gru", module="bigru", head="out")
    engine.build(sel.weights, inputs, **sel.options)

- one fitting layer is used and named in ``sel.note`` ("using layer 'lstm' (Keras LSTM, 30 units)");
  several are a one-line error listing them, to be chosen with ``--module NAME``;
- the ``Dense`` layer that the model applies to that layer's output becomes the output layer when
  it is the only Dense there (Sequential ``LSTM -> Dense``; functional ``inbound_nodes``), or when
  named with ``--head NAME``; its weights become ``V``/``b_y`` (rnn: ``y = g(V h + b_y)`` with g
  the Dense activation) or ``dense_kernel``/``dense_bias`` (lstm, gru: a linear output layer);
- options come from the layer's config: SimpleRNN ``activation``; GRU ``reset_after=True`` is
  ``convention torch`` (two biases), ``False`` is ``textbook``; MultiHeadAttention ``num_heads``
  (and ``mask causal`` when the functional graph calls it with ``use_causal_mask=True``).

``model-summary`` takes the whole model: :func:`summary_inputs` builds the document that
:mod:`gatelab.engines.params` reads (input_shape and layers with units), kept in
``ckpt.meta["summary"]``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import Checkpoint, Module, Selection
from ._keras_layers import DENSE_OUTPUTS, MODEL_OF, RECURRENT, RNN_ACTIVATIONS, TRANSPARENT
from ..errors import InputError

MODELS = ("rnn", "lstm", "gru", "multihead", "model-summary")
_SUMMARY_TYPES = (*RECURRENT, "Dense")


def _cls(m: Module) -> str:
    return str(m.config.get("class_name", m.kind.split(".", 1)[-1]))


def describe(m: Module) -> str:
    """``Keras LSTM, 30 units`` / ``Keras Bidirectional(GRU), 2 units per direction`` ..."""
    c = m.config
    if _cls(m) == "Bidirectional":
        return f"Keras Bidirectional({c.get('inner')}), {c.get('units')} units per direction"
    if _cls(m) == "MultiHeadAttention":
        return f"Keras MultiHeadAttention, {c.get('num_heads')} heads of {c.get('key_dim')}, d_model {c.get('d_model')}"
    if "units" in c:
        u = c["units"]
        return f"Keras {_cls(m)}, {u} unit{'s' if u != 1 else ''}"
    return f"Keras {_cls(m)}"


def _listing(ckpt: Checkpoint, limit: int = 10) -> str:
    parts = []
    for m in ckpt.modules[:limit]:
        what = ", ".join(m.models) if m.models else ("output layer" if _cls(m) == "Dense" else "not drawable")
        parts.append(f"{m.name} ({_cls(m)}: {what})")
    more = len(ckpt.modules) - limit
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "") if parts else "none"


def _class_model(m: Module) -> str | None:
    """The GateLab model a layer's class would drive if it were drawable."""
    cls = _cls(m)
    if cls == "Bidirectional":
        return MODEL_OF.get(str(m.config.get("inner")))
    if cls == "MultiHeadAttention":
        return "multihead"
    return MODEL_OF.get(cls)


def _pick(ckpt: Checkpoint, model: str, module: str | None) -> Module:
    by = {m.name: m for m in ckpt.modules}
    if module is not None:
        if module not in by:
            raise InputError(f"--module {module!r} is not a layer of {ckpt.path}; its layers: {_listing(ckpt)}")
        m = by[module]
        if model not in m.models:
            why = m.config.get("not_drawable") or (f"it drives {', '.join(m.models)}" if m.models else
                                                   "a Dense layer is an output layer (--head)")
            raise InputError(f"layer {m.name!r} ({_cls(m)}) cannot drive {model}: {why}")
        return m
    fits = [m for m in ckpt.modules if model in m.models]
    if len(fits) == 1:
        return fits[0]
    if len(fits) > 1:
        names = ", ".join(f"{m.name} ({describe(m)})" for m in fits)
        raise InputError(f"{ckpt.path} has {len(fits)} layers that fit {model}: {names}; choose one with --module NAME")
    blocked = [m for m in ckpt.modules if _class_model(m) == model]
    if blocked:
        m = blocked[0]
        raise InputError(f"layer {m.name!r} ({_cls(m)}) in {ckpt.path} cannot drive {model}: {m.config.get('not_drawable')}")
    raise InputError(f"no layer of {ckpt.path} fits {model}; its layers: {_listing(ckpt)}")


def _head_ok(h: Module, model: str) -> str:
    """'' when this Dense can be the engine's output layer, else why not."""
    act = h.config.get("activation")
    if model == "rnn":
        return "" if act in DENSE_OUTPUTS else f"its activation {act!r} is not one of linear, sigmoid, softmax"
    return "" if act == "linear" else f"its activation {act!r}: the {model} engine's output layer is linear"


def _head(ckpt: Checkpoint, m: Module, model: str, head: str | None) -> tuple[Module | None, str]:
    if model == "multihead":
        if head is not None:
            raise InputError("--head applies to rnn, lstm and gru (a Dense output layer), not to multihead")
        return None, ""
    width = int(m.config["units"]) * (2 if m.config.get("bidirectional") else 1)
    by = {x.name: x for x in ckpt.modules}
    if head is not None:
        h = by.get(head)
        dense = [x.name for x in ckpt.modules if _cls(x) == "Dense"]
        if h is None:
            raise InputError(f"--head {head!r} is not a layer of {ckpt.path}; its Dense layers: {', '.join(dense) or 'none'}")
        if _cls(h) != "Dense":
            raise InputError(f"--head {head!r} is a {_cls(h)} layer; expected a Dense layer ({', '.join(dense) or 'none in this file'})")
        if h.config["input_size"] != width:
            raise InputError(f"--head {head!r} (Dense) takes inputs of width {h.config['input_size']}, but layer "
                             f"{m.name!r} outputs width {width}")
        why = _head_ok(h, model)
        if why:
            raise InputError(f"--head {head!r} cannot be the output layer: {why}")
        return h, ""
    after = [x for x in ckpt.modules if _cls(x) == "Dense" and m.name in x.config.get("follows", ())]
    if len(after) > 1:
        return None, f"no output layer: Dense layers {', '.join(x.name for x in after)} follow it (choose with --head NAME)"
    if not after:
        return None, ""
    h = after[0]
    if h.config["input_size"] != width or len(h.config.get("follows", ())) != 1:
        return None, ""
    why = _head_ok(h, model)
    if why:
        return None, f"Dense {h.name!r} after it is not used: {why}"
    return h, ""


def _recurrent_weights(m: Module, model: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    w = dict(m.params)
    opts: dict[str, Any] = {}
    H = int(m.config["units"])
    if model == "rnn":
        opts["activation"] = RNN_ACTIVATIONS[m.config["activation"]]
    if model == "gru":
        after = bool(m.config["reset_after"])
        opts["convention"] = "torch" if after else "textbook"
        for sfx in ("", "_reverse") if m.config.get("bidirectional") else ("",):
            if "bias" + sfx not in w:       # use_bias=False: zeros whose shape tells the convention
                w["bias" + sfx] = np.zeros((2, 3 * H) if after else (3 * H,))
    return w, opts


def _multihead_weights(m: Module) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    c = m.config
    E = int(c["d_model"])
    w: dict[str, np.ndarray] = {}
    for ours, part in (("q", "query"), ("k", "key"), ("v", "value")):
        w[f"W_{ours}"] = m.params[f"{part}/kernel"].reshape(E, E)          # [E, heads, d_k] -> [E, E]
        b = m.params.get(f"{part}/bias")
        w[f"b_{ours}"] = b.reshape(E) if b is not None else np.zeros(E)    # [heads, d_k] -> [E]
    w["W_o"] = m.params["attention_output/kernel"].reshape(E, E)           # [heads, d_v, E] -> [E, E]
    b = m.params.get("attention_output/bias")
    w["b_o"] = b if b is not None else np.zeros(E)
    opts: dict[str, Any] = {"heads": int(c["num_heads"])}
    if c.get("causal"):
        opts["mask"] = "causal"
    return w, opts


def select_keras(ckpt: Checkpoint, model: str, *, module: str | None = None, head: str | None = None) -> Selection:
    """The layer (and output layer) of a Keras checkpoint that drives ``model``, in the engine's names."""
    if model == "model-summary":
        return _summary_selection(ckpt, module, head)
    if model not in MODELS:
        raise InputError(f"a Keras file drives {', '.join(MODELS[:-1])} or {MODELS[-1]}; not {model!r}")
    m = _pick(ckpt, model, module)
    if model == "multihead":
        weights, options = _multihead_weights(m)
    else:
        weights, options = _recurrent_weights(m, model)
    h, head_note = _head(ckpt, m, model, head)
    note = f"using layer {m.name!r} ({describe(m)})"
    if h is not None:
        kernel = h.params["kernel"]
        bias = h.params.get("bias", np.zeros(kernel.shape[1]))
        if model == "rnn":
            weights.update(V=kernel.T, b_y=bias)                          # [H, O] -> [O, H]
            options["output_layer"] = DENSE_OUTPUTS[h.config["activation"]]
        else:
            weights.update(dense_kernel=kernel, dense_bias=bias)
        note += f"; output layer {h.name!r} ({describe(h)}" + \
            (f", {h.config['activation']})" if h.config["activation"] != "linear" else ")")
    elif head_note:
        note += "; " + head_note
    if model == "gru":
        note += f"; reset_after={m.config['reset_after']} -> convention {options['convention']}"
    feeders = [by for by in ckpt.modules if by.name in m.config.get("follows", ())]
    if feeders:
        note += "; its input x is the output of " + ", ".join(f"layer {f.name!r} ({_cls(f)})" for f in feeders)
    assumed = list(m.config.get("assumed", ())) + (list(h.config.get("assumed", ())) if h is not None else [])
    if assumed:
        note += f"; assumed (no config.json): {', '.join(dict.fromkeys(assumed))}"
    return Selection(weights=weights, options=options, module=m.name, head=h.name if h is not None else None, note=note)


# --------------------------------------------------------------------------- model-summary

def summary_inputs(modules: list[Module], meta: dict[str, Any]) -> dict[str, Any]:
    """``{"summary": {"input_shape", "layers"}}`` for :mod:`gatelab.engines.params`, or
    ``{"summary_unavailable": why}``."""
    if meta.get("source") != "config.json":
        return {"summary_unavailable": "a model summary needs config.json (input shape, return_sequences): "
                                       "use the .keras file"}
    shape = meta.get("input_shape")
    if not isinstance(shape, list) or len(shape) not in (1, 2):
        return {"summary_unavailable": f"the model's input shape {shape!r} is not [T, D] or [D]"}
    layers: list[dict[str, Any]] = []
    prev = None
    for m in modules:
        cls = _cls(m)
        if cls in TRANSPARENT:             # 0 parameters, shape unchanged
            continue
        if cls not in _SUMMARY_TYPES or "custom" in m.config:
            return {"summary_unavailable": f"model-summary covers stacks of SimpleRNN, LSTM, GRU and Dense; "
                                           f"layer {m.name!r} is {cls}"}
        follows = m.config.get("follows", [])
        if prev is not None and list(follows) != [prev]:
            return {"summary_unavailable": f"model-summary covers a chain of layers; {m.name!r} does not follow {prev!r}"}
        spec: dict[str, Any] = {"type": cls, "units": int(m.config["units"]), "name": m.name}
        if cls in RECURRENT:
            spec["return_sequences"] = bool(m.config.get("return_sequences"))
        if cls == "GRU":
            spec["reset_after"] = bool(m.config.get("reset_after", True))
        layers.append(spec)
        prev = m.name
    if not layers:
        return {"summary_unavailable": "the model has no SimpleRNN, LSTM, GRU or Dense layer"}
    return {"summary": {"input_shape": list(shape), "layers": layers}}


def _summary_selection(ckpt: Checkpoint, module: str | None, head: str | None) -> Selection:
    if module is not None or head is not None:
        raise InputError("model-summary describes the whole model; drop --module/--head")
    doc = ckpt.meta.get("summary")
    if doc is None:
        raise InputError(f"{ckpt.path}: {ckpt.meta.get('summary_unavailable', 'no model summary can be read')}")
    name = (ckpt.meta.get("model") or {}).get("name") or "model"
    n = len(doc["layers"])
    return Selection(weights={}, options={"framework": "keras"}, module=name, head=None,
                     note=f"model-summary of {name!r} from config.json ({n} layer{'s' if n != 1 else ''}; "
                          "inputs = ckpt.meta['summary'])")
