"""Finding the framework modules inside a flat ``state_dict`` by parameter names AND shapes.

A whole network's state_dict carries module prefixes (``rnn.weight_ih_l0``, ``head.weight``,
``encoder.layers.0.self_attn.in_proj_weight``). :func:`find` groups the names into modules:

========================================  =====================================================
names under a prefix P                     module
========================================  =====================================================
``P.weight_ih_l{k}[_reverse]``,            ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM``: the rows of
``P.weight_hh_l{k}...``, ``P.bias_*``      ``weight_ih_l0`` are 1x, 3x or 4x the hidden size
                                           (the columns of ``weight_hh_l0``); ``weight_hr_l*``
                                           means ``proj_size > 0`` (found, refused when chosen)
``P.in_proj_weight``, ``P.out_proj.*``     ``nn.MultiheadAttention``
``P.self_attn.*``, ``P.linear1/2.*``,      ``nn.TransformerEncoderLayer`` (+ ``P.multihead_attn.*``,
``P.norm1/2.*``                            ``P.norm3.*``: ``nn.TransformerDecoderLayer``)
``P.weight_ih``, ``P.weight_hh``,          ``nn.RNNCell`` / ``nn.GRUCell`` / ``nn.LSTMCell``: one layer,
``P.bias_ih``, ``P.bias_hh``               its names read as ``..._l0``
``P.weight`` [O, I] (+ ``P.bias`` [O])     ``nn.Linear`` (an output head for rnn/lstm/gru)
========================================  =====================================================

Unprefixed names (``weight_ih_l0``: a bare ``nn.LSTM`` saved alone) are a module named ``""``.
Choosing the module for a GateLab model, and its output head, is :func:`select`'s job.
Nothing here reads tensor data: only names and shapes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from . import TensorInfo

_RNN_NAME = re.compile(r"^(?:(?P<p>.+)\.)?(?P<kind>weight|bias)_(?P<m>ih|hh|hr)_l(?P<k>\d+)(?P<rev>_reverse)?$")
_CELL_NAME = re.compile(r"^(?:(?P<p>.+)\.)?(?P<kind>weight|bias)_(?P<m>ih|hh)$")     # nn.RNNCell / GRUCell / LSTMCell
_GATES = {1: ("nn.RNN", "rnn"), 3: ("nn.GRU", "gru"), 4: ("nn.LSTM", "lstm")}
_MHA_PARTS = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias",
              "q_proj_weight", "k_proj_weight", "v_proj_weight", "bias_k", "bias_v")
_ENC_PARTS = ("linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
              "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias")
_DEC_PARTS = ("norm3.weight", "norm3.bias")
HEAD_KINDS = ("nn.Linear", "keras.Dense")
RECURRENT = ("rnn", "lstm", "gru")


@dataclass(frozen=True)
class Found:
    """A module found by names and shapes: ``names`` maps its own parameter names to the file's."""
    name: str
    kind: str
    framework: str
    names: dict[str, str]
    config: dict[str, Any] = field(default_factory=dict)
    models: tuple[str, ...] = ()


def join(prefix: str, local: str) -> str:
    return f"{prefix}.{local}" if prefix else local


def find(infos: Mapping[str, TensorInfo]) -> list[Found]:
    """Every module recognisable in ``infos`` (name -> TensorInfo, file order), in file order."""
    claimed: set[str] = set()
    found = _recurrent(infos, claimed) + _attention(infos, claimed)
    found += _linear(infos, claimed)
    order = {n: i for i, n in enumerate(infos)}
    found.sort(key=lambda f: (min(order[n] for n in f.names.values()), f.config.get("part_of") is not None))
    return found


# --------------------------------------------------------------------------- recurrent

def _recurrent(infos: Mapping[str, TensorInfo], claimed: set[str]) -> list[Found]:
    groups: dict[str, dict[str, str]] = {}
    for n in infos:
        m = _RNN_NAME.match(n)
        if m:
            local = n if m.group("p") is None else n[len(m.group("p")) + 1:]
            groups.setdefault(m.group("p") or "", {})[local] = n
    out = []
    for prefix, names in groups.items():
        if "weight_ih_l0" not in names or "weight_hh_l0" not in names:
            continue
        claimed.update(names.values())
        out.append(_recurrent_module(prefix, names, {k: infos[v] for k, v in names.items()}))
    cells: dict[str, dict[str, str]] = {}
    for n in infos:                          # a cell's weight_ih / weight_hh / bias_*: one layer, read as ..._l0
        m = _CELL_NAME.match(n)
        if m and n not in claimed:
            cells.setdefault(m.group("p") or "", {})[f"{m.group('kind')}_{m.group('m')}_l0"] = n
    for prefix, names in cells.items():
        if "weight_ih_l0" not in names or "weight_hh_l0" not in names:
            continue
        found = _recurrent_module(prefix, names, {k: infos[v] for k, v in names.items()})
        if found.kind in ("nn.RNN", "nn.GRU", "nn.LSTM"):
            claimed.update(names.values())
            out.append(Found(found.name, found.kind + "Cell", found.framework, found.names,
                             {**found.config, "cell": True}, found.models))
    return out


def _recurrent_module(prefix: str, names: dict[str, str], t: dict[str, TensorInfo]) -> Found:
    ih, hh = t["weight_ih_l0"].shape, t["weight_hh_l0"].shape
    layers = 1 + max(int(_RNN_NAME.match(k).group("k")) for k in names)
    bidir = any(k.endswith("_reverse") for k in names)
    cfg: dict[str, Any] = {"layers": layers, "bidirectional": bidir, "bias": "bias_ih_l0" in names}
    if len(ih) != 2 or len(hh) != 2:
        cfg["unsupported"] = f"weight_ih_l0 {ih} / weight_hh_l0 {hh} are not matrices"
        return Found(prefix, "recurrent (unreadable)", "torch", names, cfg)
    if "weight_hr_l0" in names:                          # proj_size > 0: weight_hh is [4H, P], weight_hr [P, H]
        H, P = t["weight_hr_l0"].shape[1], t["weight_hr_l0"].shape[0]
        cfg.update(hidden=H, input_size=ih[1], gates=4, proj_size=P,
                   unsupported=f"it is an nn.LSTM with proj_size={P} (weight_hr_l0), which GateLab's LSTM does not model")
        return Found(prefix, "nn.LSTM", "torch", names, cfg)
    H = hh[1]
    gates, rest = divmod(ih[0], H) if H else (0, 1)
    cfg.update(hidden=H, input_size=ih[1], gates=gates)
    if rest or gates not in _GATES or hh[0] != gates * H:
        cfg["unsupported"] = (f"weight_ih_l0 {ih} and weight_hh_l0 {hh} are not 1x, 3x or 4x the hidden size "
                              f"{H} (nn.RNN, nn.GRU, nn.LSTM)")
        return Found(prefix, "recurrent (unreadable)", "torch", names, cfg)
    kind, model = _GATES[gates]
    if model == "rnn" and (layers > 1 or bidir):
        cfg["unsupported"] = (f"GateLab's rnn engine runs one forward layer; this nn.RNN has {layers} layer(s)"
                              + (", bidirectional" if bidir else ""))
        return Found(prefix, kind, "torch", names, cfg)
    if model == "gru":
        cfg["convention"] = "torch"
    return Found(prefix, kind, "torch", names, cfg, (model,))


# --------------------------------------------------------------------------- attention

def _attention(infos: Mapping[str, TensorInfo], claimed: set[str]) -> list[Found]:
    prefixes = []
    for n in infos:
        for key in ("in_proj_weight", "q_proj_weight"):
            if n == key or n.endswith("." + key):
                prefixes.append(n[: -len(key)].rstrip("."))
    mhas = {p: _mha(p, infos) for p in prefixes}
    out: list[Found] = []
    for p, mha in mhas.items():
        if p == "self_attn" or p.endswith(".self_attn"):
            layer = p[: -len("self_attn")].rstrip(".")
            enc = {k: join(layer, k) for k in _ENC_PARTS if join(layer, k) in infos}
            if "linear1.weight" in enc and "linear2.weight" in enc:
                out.append(_layer(layer, mha, mhas.get(join(layer, "multihead_attn")), enc, infos))
    for p, mha in mhas.items():
        part_of = next((f.name for f in out if p in (join(f.name, "self_attn"), join(f.name, "multihead_attn"))), None)
        if part_of is not None:
            mha = Found(mha.name, mha.kind, mha.framework, mha.names, {**mha.config, "part_of": part_of}, mha.models)
        out.append(mha)
    for f in out:
        claimed.update(f.names.values())
    return out


def _mha(prefix: str, infos: Mapping[str, TensorInfo]) -> Found:
    names = {k: join(prefix, k) for k in _MHA_PARTS if join(prefix, k) in infos}
    cfg: dict[str, Any] = {}
    if "in_proj_weight" in names:
        E = infos[names["in_proj_weight"]].shape[-1]
        cfg["embed_dim"] = E
    else:
        E = infos[names["q_proj_weight"]].shape[0]
        cfg.update(embed_dim=E, unsupported="it has separate q/k/v projections (kdim/vdim differ from embed_dim), "
                                            "which GateLab's multi-head attention does not model")
    if "bias_k" in names:
        cfg["unsupported"] = "it was built with add_bias_kv=True, which GateLab's multi-head attention does not model"
    if "out_proj.weight" not in names:
        cfg["unsupported"] = "it has no out_proj.weight"
    cfg["heads"] = "not stored (give --heads N)"
    return Found(prefix, "nn.MultiheadAttention", "torch", names, cfg, () if "unsupported" in cfg else ("multihead",))


def _layer(prefix: str, sa: Found, ca: Found | None, enc: dict[str, str], infos: Mapping[str, TensorInfo]) -> Found:
    names = {f"self_attn.{k}": v for k, v in sa.names.items()}
    names.update(enc)
    decoder = ca is not None
    if decoder:
        names.update({f"multihead_attn.{k}": v for k, v in ca.names.items()})
        names.update({k: join(prefix, k) for k in _DEC_PARTS if join(prefix, k) in infos})
    E = sa.config["embed_dim"]
    cfg: dict[str, Any] = {"block": "decoder" if decoder else "encoder", "d_model": E,
                           "d_ff": infos[enc["linear1.weight"]].shape[0], "heads": "not stored (give --heads N)",
                           "assumes": "post-LN (norm_first=False), ReLU FFN, LayerNorm eps 1e-5: torch's defaults, "
                                      "not stored in a state_dict"}
    bad = sa.config.get("unsupported") or (ca.config.get("unsupported") if ca else None)
    if bad:
        cfg["unsupported"] = bad
    kind = "nn.TransformerDecoderLayer" if decoder else "nn.TransformerEncoderLayer"
    return Found(prefix, kind, "torch", names, cfg, () if bad else ("transformer",))


# --------------------------------------------------------------------------- linear and the rest

def _linear(infos: Mapping[str, TensorInfo], claimed: set[str]) -> list[Found]:
    out = []
    for n, info in infos.items():
        if n in claimed or not (n == "weight" or n.endswith(".weight")) or len(info.shape) != 2:
            continue
        prefix = n[: -len("weight")].rstrip(".")
        b = join(prefix, "bias")
        names = {"weight": n}
        O, I = info.shape
        if b in infos and b not in claimed and infos[b].shape == (O,):
            names["bias"] = b
        cfg = {"in_features": I, "out_features": O, "bias": "bias" in names}
        if "bias" not in names:
            cfg["note"] = "no bias: an nn.Linear(bias=False), or an nn.Embedding"
        claimed.update(names.values())
        out.append(Found(prefix, "nn.Linear", "torch", names, cfg))
    return out


def output_width(kind: str, config: Mapping[str, Any]) -> int | None:
    """The width a following Linear head reads: hidden x directions, or d_model."""
    h = config.get("hidden", config.get("units"))
    if isinstance(h, int):
        return h * (2 if config.get("bidirectional") else 1)
    e = config.get("d_model", config.get("embed_dim"))
    return e if isinstance(e, int) else None


EXPECTED = {
    "rnn": "weight_ih_l0 (H, D), weight_hh_l0 (H, H), bias_ih_l0/bias_hh_l0 (H,) (nn.RNN, one layer)",
    "lstm": "weight_ih_l0 (4H, D), weight_hh_l0 (4H, H), bias_ih_l0/bias_hh_l0 (4H,) (nn.LSTM)",
    "gru": "weight_ih_l0 (3H, D), weight_hh_l0 (3H, H), bias_ih_l0/bias_hh_l0 (3H,) (nn.GRU)",
    "multihead": "in_proj_weight (3E, E), in_proj_bias (3E,), out_proj.weight (E, E) (nn.MultiheadAttention)",
    "transformer": "self_attn.in_proj_weight (3E, E), linear1.weight (F, E), linear2.weight (E, F), norm1/norm2 "
                   "(nn.TransformerEncoderLayer or DecoderLayer)",
}
FAMILY = {"rnn": "recurrent", "lstm": "recurrent", "gru": "recurrent", "multihead": "attention", "transformer": "attention"}


def family(kind: str) -> str:
    if any(k in kind for k in ("RNN", "LSTM", "GRU", "recurrent")):
        return "recurrent"
    if "Attention" in kind or "Transformer" in kind:
        return "attention"
    return "other"


def ours(infos: Mapping[str, TensorInfo]) -> list[Found]:
    """Unprefixed names of one GateLab engine (``W_f`` ...; ``U, W, b_h``; ``W_q`` ...) or one Keras layer."""
    n = set(infos)
    names = {k: k for k in infos}
    if {"kernel", "recurrent_kernel"} <= n:
        k, r = infos["kernel"].shape, infos["recurrent_kernel"].shape
        gates = r[1] // r[0] if len(r) == 2 and r[0] and len(k) == 2 else 0
        kind, model = {1: ("keras.SimpleRNN", "rnn"), 3: ("keras.GRU", "gru"), 4: ("keras.LSTM", "lstm")}.get(gates, ("keras (unreadable)", ""))
        cfg = {"units": r[0], "input_size": k[0]} if model else {"unsupported": f"kernel {k} / recurrent_kernel {r}"}
        return [Found("", kind, "keras", names, cfg, (model,) if model else ())]
    table = (({"W_f", "W_i", "W_o"}, "lstm"), ({"W_r", "W_z"}, "gru"), ({"U", "W", "b_h"}, "rnn"),
             ({"W_q", "W_k", "W_v", "W_o"}, "multihead"), ({"W_q", "W_k", "W_v"}, "attention"))
    for keys, model in table:
        if keys <= n:
            return [Found("", f"GateLab {model}", "gatelab", names, {}, (model,))]
    return []


