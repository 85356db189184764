"""The encoder-decoder Transformer (Vaswani et al. 2017) as a whole model: N encoder layers, N decoder
layers whose cross-attention reads the encoder's output (the decoder's memory), token embeddings
scaled by sqrt(d) plus sinusoidal positions, and a linear generator over the target vocabulary.

Weights use torch ``nn.Transformer`` state_dict names: ``encoder.layers.{i}.self_attn.in_proj_weight``,
``...linear1.weight``, ``norm1.weight`` ...; ``decoder.layers.{i}.multihead_attn.*`` and ``norm3``;
optional ``encoder.norm.*`` / ``decoder.norm.*`` (the final LayerNorms nn.Transformer adds); plus
``src_embed.weight`` [V_src, d], ``tgt_embed.weight`` [V_tgt, d], ``generator.weight`` [V_tgt, d] and
``generator.bias`` [V_tgt]. Inputs: ``source_vocab``, ``target_vocab`` (lists of strings), ``source`` and
``target`` (lists of tokens; the target starts with the start token, teacher forcing) and ``heads``.

Notation and equations
----------------------
    x_src = E_src[source] sqrt(d) + PE,   x_tgt = E_tgt[target] sqrt(d) + PE          [S, d], [T, d]
    memory = LN_enc(Encoder^N(x_src))     (LN_enc when encoder.norm is stored)            [S, d]
    y = LN_dec(Decoder^N(x_tgt; memory)), decoder self-attention causal                   [T, d]
    p(next target token | target[:t+1], source) = softmax(y_t W_gen^T + b_gen)
    post-LN layers, ReLU feed-forward, LayerNorm eps 1e-5 (nn.Transformer's defaults).

The trace is a ``transformer-model`` trace (see engines.transformer_model) of family
``encoder-decoder``: ``tokens``/``layers``/``hidden_states``/``entropy``/``rollout`` describe the decoder
(``layers[l].cross_attention`` [H, T, S] its attention to the memory), ``source_tokens``,
``encoder_layers`` and ``encoder_hidden_states`` the encoder, ``memory`` what the decoder reads.
"""
from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Any, Mapping

import numpy as np

from . import attention as att
from . import transformer_model as tm
from . import transformer_stack as ts
from .errors import InputError
from .io import as_array, check_keys, check_shape

INPUT_KEYS = ("source_vocab", "target_vocab", "source", "target", "heads")
_LAYER = re.compile(r"^(encoder|decoder)\.layers\.(\d+)\.")


def is_encoder_decoder(weights: Mapping[str, Any]) -> bool:
    return any(str(k).startswith(("encoder.layers.", "decoder.layers.")) for k in weights)


def _sub(w: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix):]: v for k, v in w.items() if k.startswith(prefix)}


def _attn(w: Mapping[str, Any], prefix: str) -> ts.AttnParams:
    m = att.MHAParams.from_weights(_sub(w, prefix))
    return ts.AttnParams(np.concatenate([m.W_q, m.W_k, m.W_v], axis=1), np.concatenate([m.b_q, m.b_k, m.b_v]), m.W_o, m.b_o)


def _norm(w: Mapping[str, Any], name: str, d: int) -> ts.Norm:
    g, b = as_array(name + ".weight", w[name + ".weight"], 1), as_array(name + ".bias", w[name + ".bias"], 1)
    check_shape(name + ".weight", g, (d,), "(d_model,)")
    check_shape(name + ".bias", b, (d,), "(d_model,)")
    return ts.Norm(g, b)


def _layer(w: Mapping[str, Any], pre: str, d: int, decoder: bool) -> ts.LayerParams:
    W1 = as_array(pre + "linear1.weight", w[pre + "linear1.weight"], 2)
    f = W1.shape[0]
    check_shape(pre + "linear1.weight", W1, (f, d), "(dim_feedforward, d_model)")
    W2 = as_array(pre + "linear2.weight", w[pre + "linear2.weight"], 2)
    check_shape(pre + "linear2.weight", W2, (d, f), "(d_model, dim_feedforward)")
    b1, b2 = as_array(pre + "linear1.bias", w[pre + "linear1.bias"], 1), as_array(pre + "linear2.bias", w[pre + "linear2.bias"], 1)
    cross = _attn(w, pre + "multihead_attn.") if decoder else None
    ln_2 = _norm(w, pre + ("norm3" if decoder else "norm2"), d)
    return ts.LayerParams(_attn(w, pre + "self_attn."), _norm(w, pre + "norm1", d), W1.T, b1, W2.T, b2, ln_2,
                          cross=cross, ln_c=_norm(w, pre + "norm2", d) if decoder else None)


def _names(L_enc: int, L_dec: int) -> set[str]:
    attn = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")
    lin = ("linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias")
    out = {"src_embed.weight", "tgt_embed.weight", "generator.weight", "generator.bias",
           "encoder.norm.weight", "encoder.norm.bias", "decoder.norm.weight", "decoder.norm.bias"}
    for side, L, norms, mods in (("encoder", L_enc, 2, ("self_attn.",)), ("decoder", L_dec, 3, ("self_attn.", "multihead_attn."))):
        for i in range(L):
            pre = f"{side}.layers.{i}."
            out |= {pre + m + a for m in mods for a in attn} | {pre + n for n in lin}
            out |= {f"{pre}norm{k}.{p}" for k in range(1, norms + 1) for p in ("weight", "bias")}
    return out


def _ids(name: str, tokens: Any, vocab: list[str]) -> np.ndarray:
    if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) for t in tokens):
        raise InputError(f'inputs "{name}" must be a non-empty list of tokens')
    for t in tokens:
        if t not in vocab:
            raise InputError(f"{name} token {t!r} is not in the {name} vocabulary ({', '.join(vocab[:10])} ...)")
    return np.array([vocab.index(t) for t in tokens], dtype=np.int64)


def embed(E: np.ndarray, ids: np.ndarray) -> np.ndarray:
    d = E.shape[1]
    return E[ids] * math.sqrt(d) + ts.sinusoidal(len(ids), d)      # [T] -> [T, d]


def build(weights: Mapping[str, Any], inputs: Mapping[str, Any], *, layer=None, head=None, query=None) -> tm.ModelTrace:
    check_keys(inputs, INPUT_KEYS, "input key", "an encoder-decoder Transformer")
    idx = {(m.group(1), int(m.group(2))) for m in map(_LAYER.match, weights) if m}
    L_enc = 1 + max((i for s, i in idx if s == "encoder"), default=-1)
    L_dec = 1 + max((i for s, i in idx if s == "decoder"), default=-1)
    if not L_enc or not L_dec:
        raise InputError("an encoder-decoder Transformer needs encoder.layers.* and decoder.layers.* weights")
    check_keys(weights, sorted(_names(L_enc, L_dec)), "weight", "the encoder-decoder Transformer")
    for k in ("src_embed.weight", "tgt_embed.weight", "generator.weight", "generator.bias"):
        if k not in weights:
            raise InputError(f"encoder-decoder weights need {k!r}")
    E_src, E_tgt = as_array("src_embed.weight", weights["src_embed.weight"], 2), as_array("tgt_embed.weight", weights["tgt_embed.weight"], 2)
    d = E_src.shape[1]
    sv, tv = list(inputs.get("source_vocab") or []), list(inputs.get("target_vocab") or [])
    check_shape("src_embed.weight", E_src, (len(sv), d), "(len(source_vocab), d_model)")
    check_shape("tgt_embed.weight", E_tgt, (len(tv), d), "(len(target_vocab), d_model)")
    W_g, b_g = as_array("generator.weight", weights["generator.weight"], 2), as_array("generator.bias", weights["generator.bias"], 1)
    check_shape("generator.weight", W_g, (len(tv), d), "(len(target_vocab), d_model)")
    H = inputs.get("heads", 1)
    if isinstance(H, bool) or not isinstance(H, int) or H < 1 or d % H:
        raise InputError(f"heads is {H!r}, expected a positive integer dividing d_model = {d}")
    enc = tuple(_layer(weights, f"encoder.layers.{i}.", d, False) for i in range(L_enc))
    dec = tuple(_layer(weights, f"decoder.layers.{i}.", d, True) for i in range(L_dec))
    src, tgt = _ids("source", inputs.get("source"), sv), _ids("target", inputs.get("target"), tv)
    kw = dict(norm="post-LN", act="relu", eps=1e-5)
    hs_e, outs_e = ts.stack(embed(E_src, src), enc, H, **kw)
    memory = ts.layer_norm(hs_e[-1], **_ln(weights, "encoder.norm", d)) if "encoder.norm.weight" in weights else hs_e[-1]
    hs_d, outs_d = ts.stack(embed(E_tgt, tgt), dec, H, mask=ts.causal_mask(len(tgt)), memory=memory, **kw)
    top = ts.layer_norm(hs_d[-1], **_ln(weights, "decoder.norm", d)) if "decoder.norm.weight" in weights else hs_d[-1]
    logits = top @ W_g.T + b_g                                        # [T, d] -> [T, V_tgt]
    f = enc[0].W_1.shape[1]
    parts = {"encoder layers": L_enc * (4 * (d * d + d) + 2 * d * f + f + d + 4 * d),
             "decoder layers": L_dec * (8 * (d * d + d) + 2 * d * f + f + d + 6 * d),
             "embeddings and generator": E_src.size + E_tgt.size + W_g.size + b_g.size}
    parts["final LayerNorms"] = 2 * d * sum(f"{s}.norm.weight" in weights for s in ("encoder", "decoder"))
    cfg = {"model_type": "encoder-decoder", "layers": L_dec, "encoder_layers": L_enc, "d_model": d, "heads": H, "d_ff": f,
           "vocab": len(tv), "source_vocab": len(sv), "positions": "sinusoidal", "activation": "relu", "eps": 1e-5,
           "parameters": sum(parts.values()), "parameter_parts": parts, "architecture": "Transformer (encoder-decoder)"}
    p = tm.ModelParams(family="encoder-decoder", norm="post-LN", act="relu", eps=1e-5, heads=H, layers=dec, d_model=d,
                       d_ff=f, vocab=len(tv), positions=0, config=cfg)
    fw = tm.Forward(None, hs_d, outs_d, logits, None)
    tokens = tuple(inputs["target"])
    names = lambda i: tv[i]
    preds = tm.predictions(p, fw, tokens, tgt, None, names)
    special = np.array([t.startswith("<") and t.endswith(">") for t in tokens])
    focus = tm.resolve_focus(tokens, L_dec, H, layer, head, query)
    tr = tm.trace(p, fw, tokens=tokens, ids=tgt, special=special, padding=np.zeros(len(tgt), bool), preds=preds,
                  focus=focus)
    enc_layers = tuple(tm.LayerRecord(index=i + 1, attention=o.self_attn.alpha, q=o.self_attn.q, k=o.self_attn.k,
                                      v=o.self_attn.v, head_outputs=o.self_attn.z, scale=float(o.self_attn.scale))
                       for i, o in enumerate(outs_e))
    layers = tuple(replace(r, cross_attention=o.cross_attn.alpha) for r, o in zip(tr.layers, outs_d))
    return replace(tr, layers=layers, source_tokens=tuple(inputs["source"]), encoder_layers=enc_layers,
                   encoder_hidden_states=hs_e, memory=memory)


def _ln(w: Mapping[str, Any], name: str, d: int) -> dict:
    n = _norm(w, name, d)
    return {"gamma": n.gamma, "beta": n.beta, "eps": 1e-5}
