"""RoBERTa, DistilBERT and ELECTRA checkpoints mapped to BERT-style :class:`engines.transformer_model.ModelParams`.

Both are post-LN encoders with BERT's layer; they differ in names, positions and heads:

    RoBERTa     ``roberta.`` prefix, BERT's layer names; positions counted from padding_idx + 1 (a pad token
                sits at padding_idx); masked-LM head ``lm_head.dense`` -> gelu -> ``lm_head.layer_norm`` ->
                tied decoder + ``lm_head.bias``; sequence classifier ``classifier.dense`` -> tanh ->
                ``classifier.out_proj`` on the first token <s> (no pooler)
    DistilBERT  ``distilbert.`` prefix, no token types, ``transformer.layer.i.attention.{q,k,v,out}_lin``,
                ``sa_layer_norm``, ``ffn.lin1/lin2``, ``output_layer_norm``; masked-LM head ``vocab_transform``
                -> activation -> ``vocab_layer_norm`` -> tied ``vocab_projector``; sequence classifier
                ``pre_classifier`` -> ReLU -> ``classifier`` on [CLS]

    ELECTRA     ``electra.`` prefix, BERT's layer names; embeddings of width embedding_size E, projected to the
                hidden size by ``embeddings_project`` when E differs; discriminator head
                ``discriminator_predictions.dense`` -> activation -> ``dense_prediction`` (P(replaced) per
                token); generator head ``generator_predictions.dense`` -> gelu -> its LayerNorm -> tied
                ``generator_lm_head``; sequence classifier ``classifier.dense`` -> gelu -> ``out_proj``

A sequence classifier's first dense layer is read as the model's pooler (with its activation), so the
engine computes ``classifier(act(x^L[0] W + b))`` for all three families. ``classifier`` alone is a token
classifier (every position).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from . import transformer_stack as ts
from .transformer_hf import Tensors, _bert_like_layer, _prefix, bert_embeddings, dims, decoder, position_offset


def _classifier(t: Tensors, out: dict[str, Any], d: int, pre: str | None, final: str, act: str) -> None:
    """A sequence classifier (``pre`` dense + ``act``, then ``final``) or a token classifier (``final`` alone)."""
    if pre is not None and t.has(pre + ".weight"):
        out.update(pooler=t.linear(pre, d, d), pool_act=act, classify="sequence", pooler_name=pre)
    elif t.has(final + ".weight"):
        out["classify"] = "token"
    else:
        return
    n = t.load(t.full[final + ".weight"]).shape[0]
    out["classifier"] = t.linear(final, d, n)


def roberta(cfg: Mapping[str, Any], names: list[str], load, where: str) -> dict[str, Any]:
    k = dims(cfg)
    d, f, V = k["d_model"], k["d_ff"], k["vocab"]
    t = Tensors(names, load, _prefix(names, "roberta."), where)
    out: dict[str, Any] = dict(bert_embeddings(t, k), position_offset=position_offset(cfg),
                               layers=tuple(_bert_like_layer(t, i, d, f, False) for i in range(k["layers"])))
    if t.has("pooler.dense.weight"):
        out["pooler"] = t.linear("pooler.dense", d, d)
    if t.has("lm_head.dense.weight"):
        W_t, b_t = t.linear("lm_head.dense", d, d)
        ln = t.norm("lm_head.layer_norm", d)
        bias = t.get("lm_head.bias", (V,), "lm_head.decoder.bias")
        dec = decoder(t, "lm_head.decoder.weight", out["word"])
        t.used.add("lm_head.decoder.bias")
        out.update(mlm=(W_t, b_t, ln, bias, dec), mlm_act="gelu")        # RobertaLMHead: gelu, whatever hidden_act
    if t.has("classifier.out_proj.weight"):
        _classifier(t, out, d, "classifier.dense", "classifier.out_proj", "tanh")
    else:
        _classifier(t, out, d, None, "classifier", "tanh")
    t.leftover(("embeddings.position_ids",))
    return out


def _distil_layer(t: Tensors, i: int, d: int, f: int) -> ts.LayerParams:
    pre = f"transformer.layer.{i}."
    qkv = [t.linear(pre + f"attention.{n}_lin", d, d) for n in ("q", "k", "v")]
    W_o, b_o = t.linear(pre + "attention.out_lin", d, d)
    attn = ts.AttnParams(np.concatenate([w for w, _ in qkv], axis=1), np.concatenate([b for _, b in qkv]), W_o, b_o)
    W_1, b_1 = t.linear(pre + "ffn.lin1", d, f)
    W_2, b_2 = t.linear(pre + "ffn.lin2", f, d)
    return ts.LayerParams(attn, t.norm(pre + "sa_layer_norm", d), W_1, b_1, W_2, b_2, t.norm(pre + "output_layer_norm", d))


def distilbert(cfg: Mapping[str, Any], names: list[str], load, where: str) -> dict[str, Any]:
    k = dims(cfg)
    d, f, V = k["d_model"], k["d_ff"], k["vocab"]
    t = Tensors(names, load, _prefix(names, "distilbert."), where)
    out: dict[str, Any] = dict(bert_embeddings(t, k), layers=tuple(_distil_layer(t, i, d, f) for i in range(k["layers"])))
    if t.has("vocab_transform.weight"):
        W_t, b_t = t.linear("vocab_transform", d, d)
        ln = t.norm("vocab_layer_norm", d)
        bias = t.get("vocab_projector.bias", (V,))
        out["mlm"] = (W_t, b_t, ln, bias, decoder(t, "vocab_projector.weight", out["word"]))
    _classifier(t, out, d, "pre_classifier", "classifier", "relu")
    t.leftover(("embeddings.position_ids",))
    return out


def electra(cfg: Mapping[str, Any], names: list[str], load, where: str) -> dict[str, Any]:
    k = dims(cfg)
    d, f, V, E = k["d_model"], k["d_ff"], k["vocab"], k["embedding_size"]
    t = Tensors(names, load, _prefix(names, "electra."), where)
    out: dict[str, Any] = dict(bert_embeddings(t, {**k, "d_model": E}),
                               layers=tuple(_bert_like_layer(t, i, d, f, False) for i in range(k["layers"])))
    if E != d:
        out["emb_proj"] = t.linear("embeddings_project", E, d)
    if t.has("discriminator_predictions.dense.weight"):
        W, b = t.linear("discriminator_predictions.dense", d, d)
        w, b1 = t.linear("discriminator_predictions.dense_prediction", d, 1)
        out["disc"] = (W, b, w[:, 0], float(b1[0]))
    if t.has("generator_predictions.dense.weight"):
        W_t, b_t = t.linear("generator_predictions.dense", d, E)
        ln = t.norm("generator_predictions.LayerNorm", E)
        out["mlm"] = (W_t, b_t, ln, t.get("generator_lm_head.bias", (V,)),
                      decoder(t, "generator_lm_head.weight", out["word"]))
        out["mlm_act"] = "gelu"
    if t.has("classifier.out_proj.weight"):
        _classifier(t, out, d, "classifier.dense", "classifier.out_proj", "gelu")
    else:
        _classifier(t, out, d, None, "classifier", "gelu")
    t.leftover(("embeddings.position_ids",))
    return out
