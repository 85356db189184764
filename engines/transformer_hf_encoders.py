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
from .transformer_hf import Tensors, _bert_like_layer, _prefix, bert_embeddings, dims, mlm_head, position_offset


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


def _head_classifier(t: Tensors, out: dict[str, Any], d: int, act: str) -> None:
    """RoBERTa's and ELECTRA's classifiers: ``classifier.dense`` + ``act`` + ``classifier.out_proj`` on the first
    token (sequence), or ``classifier`` alone (token)."""
    if t.has("classifier.out_proj.weight"):
        _classifier(t, out, d, "classifier.dense", "classifier.out_proj", act)
    else:
        _classifier(t, out, d, None, "classifier", act)


def roberta(cfg: Mapping[str, Any], names: list[str], load, where: str) -> dict[str, Any]:
    k = dims(cfg)
    d, f = k["d_model"], k["d_ff"]
    t = Tensors(names, load, _prefix(names, "roberta."), where)
    out: dict[str, Any] = dict(bert_embeddings(t, k), position_offset=position_offset(cfg),
                               layers=tuple(_bert_like_layer(t, i, d, f, False) for i in range(k["layers"])))
    if t.has("pooler.dense.weight"):
        out["pooler"] = t.linear("pooler.dense", d, d)
    if t.has("lm_head.dense.weight"):                       # RobertaLMHead: gelu, whatever hidden_act says
        out.update(mlm_act="gelu", mlm=mlm_head(t, d, out["word"], dense="lm_head.dense", norm="lm_head.layer_norm",
                                                bias="lm_head.bias", decoder="lm_head.decoder.weight",
                                                bias_alt="lm_head.decoder.bias"))
    _head_classifier(t, out, d, "tanh")
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
    d, f = k["d_model"], k["d_ff"]
    t = Tensors(names, load, _prefix(names, "distilbert."), where)
    out: dict[str, Any] = dict(bert_embeddings(t, k), layers=tuple(_distil_layer(t, i, d, f) for i in range(k["layers"])))
    if t.has("vocab_transform.weight"):
        out["mlm"] = mlm_head(t, d, out["word"], dense="vocab_transform", norm="vocab_layer_norm",
                              bias="vocab_projector.bias", decoder="vocab_projector.weight")
    _classifier(t, out, d, "pre_classifier", "classifier", "relu")
    t.leftover(("embeddings.position_ids",))
    return out


def electra(cfg: Mapping[str, Any], names: list[str], load, where: str) -> dict[str, Any]:
    k = dims(cfg)
    d, f, E = k["d_model"], k["d_ff"], k["embedding_size"]
    t = Tensors(names, load, _prefix(names, "electra."), where)
    out: dict[str, Any] = dict(bert_embeddings(t, {**k, "d_model": E}),
                               layers=tuple(_bert_like_layer(t, i, d, f, False) for i in range(k["layers"])))
    if E != d:
        out["emb_proj"] = t.linear("embeddings_project", E, d)
    if t.has("discriminator_predictions.dense.weight"):
        W, b = t.linear("discriminator_predictions.dense", d, d)
        w, b1 = t.linear("discriminator_predictions.dense_prediction", d, 1)
        out["disc"] = (W, b, w[:, 0], float(b1[0]))
    if t.has("generator_predictions.dense.weight"):         # ElectraGeneratorPredictions: gelu
        out.update(mlm_act="gelu", mlm=mlm_head(t, d, out["word"], dense="generator_predictions.dense",
                                                norm="generator_predictions.LayerNorm", bias="generator_lm_head.bias",
                                                decoder="generator_lm_head.weight"))
    _head_classifier(t, out, d, "gelu")
    t.leftover(("embeddings.position_ids",))
    return out
