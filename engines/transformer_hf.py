"""Hugging Face names for whole Transformer models: config.json keys and checkpoint tensor names,
mapped to :class:`engines.transformer_model.ModelParams` (row convention: ``nn.Linear`` weights are
transposed, GPT-2's ``Conv1D`` weights are already ``[in, out]``), and parameter counts from a config.

Supported ``model_type``: bert (BertModel / BertForMaskedLM / BertForPreTraining /
BertForSequenceClassification / BertForTokenClassification layouts, with or without the ``bert.``
prefix; old ``LayerNorm.gamma``/``beta`` names too), gpt2 (GPT2Model /
GPT2LMHeadModel, ``transformer.`` prefix optional, LM head tied to ``wte`` unless ``lm_head.weight``
is stored; GPT2ForSequenceClassification: its bias-free ``score`` read at the last token) and vit (ViTModel / ViTForImageClassification, ``vit.`` prefix optional); roberta and distilbert
(:mod:`engines.transformer_hf_encoders`) run as BERT-style encoders.

Parameter counts (equal to the frameworks' ``sum(p.numel())``; checked against transformers for
BERT-base 109,482,240, GPT-2 small 124,439,808, ViT-base/16 86,389,248)::

    attention  4 (d^2 + d)   (q, k, v, output projections with biases)
    FFN        d d_ff + d_ff + d_ff d + d
    LayerNorm  2 d
    BERT  V d + P d + types d + 2d  +  L (attention + FFN + 2 LN)  [+ pooler d^2 + d]   (RoBERTa the same;
          DistilBERT: no token types, no pooler)
    GPT-2 V d + P d  +  L (attention + FFN + 2 LN)  +  2d (ln_f)     (LM head tied: no extra)
    ViT   C p^2 d + d (patch) + d ([class]) + (N + 1) d  +  L (attention + FFN + 2 LN) + 2d [+ pooler]
"""
from __future__ import annotations

import difflib
from typing import Any, Callable, Mapping

import numpy as np

from . import transformer_stack as ts
from .errors import InputError

SUPPORTED = ("bert", "gpt2", "vit", "roberta", "distilbert", "electra")
BERT_STYLE = ("bert", "roberta", "distilbert", "electra")       # post-LN encoders the engine runs as family "bert"
_ACT = {"gelu": "gelu", "gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "gelu_fast": "gelu_tanh",
        "relu": "relu"}
POOLER_ACT = {"tanh": "tanh", **_ACT}                         # ViT's pooler_act (ACT2FN names)

# keys any Hugging Face config.json may carry (PretrainedConfig, generation and task settings): recognised, unused
GENERIC_KEYS = frozenset("""
_name_or_path architectures auto_map dtype torch_dtype transformers_version model_type id2label label2id num_labels
problem_type finetuning_task is_encoder_decoder is_decoder add_cross_attention tie_word_embeddings tie_encoder_decoder
output_attentions output_hidden_states return_dict use_cache use_return_dict chunk_size_feed_forward pruned_heads
torchscript tokenizer_class prefix bos_token_id eos_token_id pad_token_id sep_token_id cls_token_id mask_token_id
decoder_start_token_id task_specific_params cross_attention_hidden_size gradient_checkpointing initializer_range
max_length min_length do_sample early_stopping num_beams num_beam_groups diversity_penalty temperature top_k top_p
typical_p repetition_penalty length_penalty no_repeat_ngram_size encoder_no_repeat_ngram_size bad_words_ids
num_return_sequences output_scores return_dict_in_generate forced_bos_token_id forced_eos_token_id
remove_invalid_values exponential_decay_length_penalty suppress_tokens begin_suppress_tokens tf_legacy_loss
use_bfloat16 xla_device _attn_implementation_autoset classifier_dropout layerdrop
_num_labels output_past _commit_hash _attn_implementation
""".split())
_BERT_KEYS = frozenset("""vocab_size hidden_size num_hidden_layers num_attention_heads intermediate_size hidden_act
    hidden_dropout_prob attention_probs_dropout_prob max_position_embeddings type_vocab_size layer_norm_eps
    position_embedding_type directionality pooler_fc_size pooler_num_attention_heads pooler_num_fc_layers
    pooler_size_per_head pooler_type""".split())
FAMILY_KEYS = {
    "bert": _BERT_KEYS,
    "roberta": _BERT_KEYS,
    "electra": _BERT_KEYS | {"embedding_size", "summary_type", "summary_use_proj", "summary_activation",
                             "summary_last_dropout"},
    "distilbert": frozenset("""vocab_size dim n_layers n_heads hidden_dim activation dropout attention_dropout
        max_position_embeddings sinusoidal_pos_embds qa_dropout seq_classif_dropout tie_weights_""".split()),
    "gpt2": frozenset("""vocab_size n_embd n_layer n_head n_inner n_positions n_ctx activation_function resid_pdrop
        embd_pdrop attn_pdrop layer_norm_epsilon summary_type summary_use_proj summary_activation summary_proj_to_labels
        summary_first_dropout scale_attn_weights scale_attn_by_inverse_layer_idx reorder_and_upcast_attn""".split()),
    "vit": frozenset("""hidden_size num_hidden_layers num_attention_heads intermediate_size hidden_act hidden_dropout_prob
        attention_probs_dropout_prob layer_norm_eps image_size patch_size num_channels qkv_bias encoder_stride
        pooler_output_size pooler_act""".split()),
}


# what a config.json without model_type (written before transformers stored it) is, as transformers infers it
_ARCHITECTURE_PREFIXES = {"Bert": "bert", "GPT2": "gpt2", "ViT": "vit", "Roberta": "roberta", "DistilBert": "distilbert",
                          "Electra": "electra"}
_TENSOR_MARKS = {"distilbert": ("transformer.layer.0.attention.q_lin.weight",),
                 "roberta": ("roberta.embeddings.word_embeddings.weight",),
                 "electra": ("electra.embeddings.word_embeddings.weight",),
                 "bert": ("embeddings.word_embeddings.weight", "embeddings.token_type_embeddings.weight"),
                 "gpt2": ("wte.weight", "h.0.attn.c_attn.weight"),
                 "vit": ("embeddings.patch_embeddings.projection.weight",)}


def infer_family(cfg: dict, names: list[str], where: str) -> str:
    """The model_type of a config.json that has none: from ``architectures`` (``BertForMaskedLM`` ...), else
    from the tensor names the weights file stores (as a config from before transformers 3 needs)."""
    for arch in cfg.get("architectures") or ():
        for prefix, family in _ARCHITECTURE_PREFIXES.items():
            if isinstance(arch, str) and arch.startswith(prefix) and arch[len(prefix):len(prefix) + 1].isupper():
                return family
    for family, marks in _TENSOR_MARKS.items():
        if all(any(n == m or n.endswith("." + m) for n in names) for m in marks):
            return family
    raise InputError(f"{where}/config.json has no model_type, and neither its architectures nor the tensor names "
                     f"show a BERT, RoBERTa, DistilBERT, ELECTRA, GPT-2 or ViT; add \"model_type\": one of {', '.join(SUPPORTED)}")


def check_config(cfg: Any, where: str, names: list[str] = ()) -> str:
    """The family of a config.json; unknown model_type or keys and unsupported settings are one-line errors.
    Without model_type the family is inferred (:func:`infer_family`)."""
    if not isinstance(cfg, dict):
        raise InputError(f"{where}/config.json is not a JSON object")
    mt = cfg.get("model_type") if "model_type" in cfg else infer_family(cfg, list(names), where)
    if mt not in SUPPORTED:
        raise InputError(f"{where}/config.json has model_type {mt!r}; supported: {', '.join(SUPPORTED)}")
    known = GENERIC_KEYS | FAMILY_KEYS[mt]
    for k in cfg:
        if k not in known:
            hint = difflib.get_close_matches(k, sorted(known), n=1, cutoff=0.7)
            raise InputError(f"{where}/config.json has unknown key {k!r} for model_type {mt}"
                             + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    act = _activation(cfg)
    if act not in _ACT:
        raise InputError(f"{where}/config.json: activation {act!r} is not supported; expected one of {', '.join(_ACT)}")
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        raise InputError(f"{where}/config.json: position_embedding_type {cfg['position_embedding_type']!r} is not "
                         "supported; expected absolute")
    if cfg.get("add_cross_attention") or (mt in BERT_STYLE and cfg.get("is_decoder")):
        raise InputError(f"{where}/config.json describes a decoder with cross-attention; expected an encoder-only {mt}")
    if mt == "gpt2" and cfg.get("scale_attn_weights") is False:
        raise InputError(f"{where}/config.json: scale_attn_weights false is not supported")
    if mt == "vit" and cfg.get("pooler_act", "tanh") not in POOLER_ACT:
        raise InputError(f"{where}/config.json: pooler_act {cfg['pooler_act']!r} is not supported; expected one of "
                         f"{', '.join(POOLER_ACT)}")
    return mt


def _activation(cfg: Mapping[str, Any]) -> str:
    mt = cfg.get("model_type")
    key = {"gpt2": "activation_function", "distilbert": "activation"}.get(mt, "hidden_act")
    return cfg.get(key, "gelu_new" if mt == "gpt2" else "gelu")


def engine_family(model_type: str) -> str:
    """The family the engine runs: RoBERTa and DistilBERT are BERT-style post-LN encoders."""
    return "bert" if model_type in BERT_STYLE else model_type


def position_offset(cfg: Mapping[str, Any]) -> int:
    """RoBERTa counts positions from padding_idx + 1 (pad tokens sit at padding_idx); the others from 0."""
    return int(cfg.get("pad_token_id", 1)) + 1 if cfg["model_type"] == "roberta" else 0


def _int(cfg: Mapping[str, Any], key: str, default: Any = None) -> int:
    v = cfg.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise InputError(f"config.json: {key} is {v!r}, expected a positive integer")
    return v


def dims(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """layers, d_model, heads, d_ff, vocab, positions, activation, eps of a config (HF defaults filled in)."""
    mt = cfg["model_type"]
    if mt == "gpt2":
        d = _int(cfg, "n_embd", 768)
        out = {"layers": _int(cfg, "n_layer", 12), "d_model": d, "heads": _int(cfg, "n_head", 12),
               "d_ff": cfg.get("n_inner") or 4 * d, "vocab": _int(cfg, "vocab_size", 50257),
               "positions": _int(cfg, "n_positions", 1024), "eps": float(cfg.get("layer_norm_epsilon", 1e-5)),
               "activation": _ACT[_activation(cfg)]}
    elif mt == "electra":                      # ElectraConfig's defaults: the small discriminator
        out = {"layers": _int(cfg, "num_hidden_layers", 12), "d_model": _int(cfg, "hidden_size", 256),
               "heads": _int(cfg, "num_attention_heads", 4), "d_ff": _int(cfg, "intermediate_size", 1024),
               "eps": float(cfg.get("layer_norm_eps", 1e-12)), "activation": _ACT[_activation(cfg)],
               "vocab": _int(cfg, "vocab_size", 30522), "positions": _int(cfg, "max_position_embeddings", 512),
               "types": _int(cfg, "type_vocab_size", 2), "embedding_size": _int(cfg, "embedding_size", 128)}
    elif mt == "distilbert":
        out = {"layers": _int(cfg, "n_layers", 6), "d_model": _int(cfg, "dim", 768), "heads": _int(cfg, "n_heads", 12),
               "d_ff": _int(cfg, "hidden_dim", 3072), "eps": 1e-12, "activation": _ACT[_activation(cfg)],
               "vocab": _int(cfg, "vocab_size", 30522), "positions": _int(cfg, "max_position_embeddings", 512)}
    else:
        out = {"layers": _int(cfg, "num_hidden_layers", 12), "d_model": _int(cfg, "hidden_size", 768),
               "heads": _int(cfg, "num_attention_heads", 12), "d_ff": _int(cfg, "intermediate_size", 3072),
               "eps": float(cfg.get("layer_norm_eps", 1e-12)), "activation": _ACT[_activation(cfg)]}
        if mt in ("bert", "roberta"):
            out.update(vocab=_int(cfg, "vocab_size", 30522), positions=_int(cfg, "max_position_embeddings", 512),
                       types=_int(cfg, "type_vocab_size", 2))
        else:
            img, p = cfg.get("image_size", 224), _int(cfg, "patch_size", 16)
            hw = tuple(img) if isinstance(img, (list, tuple)) else (img, img)
            out.update(image_size=hw, patch_size=p, channels=_int(cfg, "num_channels", 3), vocab=0,
                       positions=(hw[0] // p) * (hw[1] // p) + 1,
                       pooler_size=_int(cfg, "pooler_output_size", out["d_model"]) if cfg.get("pooler_output_size")
                       else out["d_model"])
    if out["d_model"] % out["heads"]:
        raise InputError(f"config.json: {out['heads']} heads do not divide the width {out['d_model']}")
    out["model_type"] = mt
    return out


def count(cfg: Mapping[str, Any], *, pooler: bool = True) -> dict[str, int]:
    """Parameter counts per part (and ``total``), as the framework's sum(p.numel()) of the base model."""
    k = dims(cfg)
    d, f, L = k["d_model"], k["d_ff"], k["layers"]
    layer = 4 * (d * d + d) + (d * f + f + f * d + d) + 2 * 2 * d
    mt = k["model_type"]
    if mt in BERT_STYLE:
        E = k.get("embedding_size", d)
        parts = {"embeddings": (k["vocab"] + k["positions"] + k.get("types", 0)) * E + 2 * E}
        if E != d:
            parts["embedding projection"] = E * d + d
        parts["layers"] = L * layer
        if pooler and mt not in ("distilbert", "electra"):
            parts["pooler"] = d * d + d
    elif mt == "gpt2":
        parts = {"embeddings": (k["vocab"] + k["positions"]) * d, "layers": L * layer, "final LayerNorm": 2 * d}
    else:
        p, C = k["patch_size"], k["channels"]
        qkv_bias = cfg.get("qkv_bias", True)
        layer -= 0 if qkv_bias else 3 * d
        parts = {"embeddings": C * p * p * d + d + d + k["positions"] * d, "layers": L * layer, "final LayerNorm": 2 * d}
        if pooler:
            P = k["pooler_size"]
            parts["pooler"] = d * P + P
    parts["total"] = sum(parts.values())
    return parts


# --------------------------------------------------------------------------- tensors -> params

class Tensors:
    """The checkpoint's tensors by name, with a model prefix stripped; tracks which ones were used."""

    def __init__(self, names: list[str], load: Callable[[str], np.ndarray], prefix: str, where: str) -> None:
        self.load, self.where = load, where
        self.full = {n[len(prefix):] if n.startswith(prefix) else n: n for n in names}
        self.used: set[str] = set()

    def has(self, name: str) -> bool:
        return name in self.full

    def get(self, name: str, shape: tuple[int, ...], alt: str | None = None) -> np.ndarray:
        key = name if name in self.full or alt is None or alt not in self.full else alt
        if key not in self.full:
            raise InputError(f"{self.where}: tensor {name!r} is missing (the config describes it)")
        a = self.load(self.full[key])
        if tuple(a.shape) != tuple(shape):
            raise InputError(f"{self.where}: tensor {self.full[key]!r} has shape {tuple(a.shape)}, expected "
                             f"{tuple(shape)} from config.json")
        self.used.add(key)
        return np.asarray(a, dtype=np.float64)

    def linear(self, name: str, d_in: int, d_out: int) -> tuple[np.ndarray, np.ndarray]:
        """nn.Linear weight [out, in] -> [in, out], bias [out]."""
        return self.get(name + ".weight", (d_out, d_in)).T, self.get(name + ".bias", (d_out,))

    def norm(self, name: str, d: int) -> ts.Norm:
        return ts.Norm(self.get(name + ".weight", (d,), name + ".gamma"), self.get(name + ".bias", (d,), name + ".beta"))

    def leftover(self, ignorable: tuple[str, ...] = ()) -> None:
        rest = [n for n in self.full if n not in self.used and not any(n.endswith(s) or n.startswith(s) for s in ignorable)]
        if rest:
            raise InputError(f"{self.where}: tensor {self.full[rest[0]]!r} does not belong to the model config.json "
                             f"describes ({len(rest)} such tensor{'s' if len(rest) > 1 else ''})")


def _prefix(names: list[str], prefix: str) -> str:
    return prefix if any(n.startswith(prefix) for n in names) else ""


def _qkv(t: Tensors, base: str, d: int, bias: bool = True) -> ts.AttnParams:
    ws, bs = [], []
    for n in ("query", "key", "value"):
        ws.append(t.get(f"{base}.{n}.weight", (d, d)).T)
        bs.append(t.get(f"{base}.{n}.bias", (d,)) if bias else np.zeros(d))
    return ws, bs


def _bert_like_layer(t: Tensors, i: int, d: int, f: int, vit: bool, qkv_bias: bool = True) -> ts.LayerParams:
    pre = f"encoder.layer.{i}."
    ws, bs = _qkv(t, pre + ("attention.attention" if vit else "attention.self"), d, qkv_bias)
    W_o, b_o = t.linear(pre + "attention.output.dense", d, d)
    attn = ts.AttnParams(np.concatenate(ws, axis=1), np.concatenate(bs), W_o, b_o)
    W_1, b_1 = t.linear(pre + "intermediate.dense", d, f)
    W_2, b_2 = t.linear(pre + "output.dense", f, d)
    if vit:
        ln_1, ln_2 = t.norm(pre + "layernorm_before", d), t.norm(pre + "layernorm_after", d)
    else:
        ln_1, ln_2 = t.norm(pre + "attention.output.LayerNorm", d), t.norm(pre + "output.LayerNorm", d)
    return ts.LayerParams(attn, ln_1, W_1, b_1, W_2, b_2, ln_2)


def bert_embeddings(t: Tensors, k: Mapping[str, Any]) -> dict[str, Any]:
    """Word, position (and token-type) embeddings and their LayerNorm, as BERT, RoBERTa and DistilBERT store them."""
    d, e = k["d_model"], "embeddings."
    out = dict(word=t.get(e + "word_embeddings.weight", (k["vocab"], d)),
               pos=t.get(e + "position_embeddings.weight", (k["positions"], d)), emb_ln=t.norm(e + "LayerNorm", d))
    if "types" in k:
        out["types"] = t.get(e + "token_type_embeddings.weight", (k["types"], d))
    return out


def mlm_head(t: Tensors, d: int, word: np.ndarray, *, dense: str, norm: str, bias: str, decoder: str,
             bias_alt: str | None = None) -> tuple:
    """A masked-LM head: ``dense`` [d -> e] -> activation -> ``norm`` [e] -> the ``decoder`` matrix [V, e] + ``bias``.
    e is the embeddings' width; the decoder is used as stored (an untied head), else the word embeddings (tied).
    ``bias_alt``: the same bias under the decoder's name (transformers stores it twice), accepted, not read."""
    V, e = word.shape
    W_t, b_t = t.linear(dense, d, e)
    b = t.get(bias, (V,), bias_alt)
    if bias_alt is not None:
        t.used.add(bias_alt)
    return W_t, b_t, t.norm(norm, e), b, t.get(decoder, word.shape) if t.has(decoder) else word


def bert(cfg: Mapping[str, Any], names: list[str], load, where: str) -> dict[str, Any]:
    k = dims(cfg)
    d, f = k["d_model"], k["d_ff"]
    t = Tensors(names, load, _prefix(names, "bert."), where)
    out: dict[str, Any] = dict(bert_embeddings(t, k),
                               layers=tuple(_bert_like_layer(t, i, d, f, False) for i in range(k["layers"])))
    if t.has("pooler.dense.weight"):
        out["pooler"] = t.linear("pooler.dense", d, d)
    if t.has("cls.predictions.transform.dense.weight"):
        out["mlm"] = mlm_head(t, d, out["word"], dense="cls.predictions.transform.dense",
                              norm="cls.predictions.transform.LayerNorm", bias="cls.predictions.bias",
                              decoder="cls.predictions.decoder.weight", bias_alt="cls.predictions.decoder.bias")
    if t.has("cls.seq_relationship.weight"):
        out["nsp"] = t.linear("cls.seq_relationship", d, 2)
    if t.has("classifier.weight"):
        n = t.load(t.full["classifier.weight"]).shape[0]
        out["classifier"] = t.linear("classifier", d, n)
        out["classify"] = _bert_classify(cfg, "pooler" in out, where)
    t.leftover(("embeddings.position_ids",))
    return out


def _bert_classify(cfg: Mapping[str, Any], pooler: bool, where: str) -> str:
    """What BERT's ``classifier`` classifies: the sentence (BertForSequenceClassification: the pooled [CLS]) or
    each token (BertForTokenClassification: the last layer's vectors; saved without a pooler)."""
    archs = [a for a in cfg.get("architectures") or () if isinstance(a, str)]
    if "BertForTokenClassification" in archs:
        return "token"
    if "BertForSequenceClassification" in archs or (pooler and not archs):
        if not pooler:
            raise InputError(f"{where}: a sequence classifier needs the pooler (bert.pooler.dense), which is missing")
        return "sequence"
    if not archs:
        return "token"
    raise InputError(f"{where}: tensor 'classifier.weight' belongs to {archs[0]}; GateLab reads BERT's classifier "
                     "as BertForSequenceClassification or BertForTokenClassification")


def gpt2(cfg: Mapping[str, Any], names: list[str], load, where: str) -> dict[str, Any]:
    k = dims(cfg)
    d, f, V = k["d_model"], k["d_ff"], k["vocab"]
    t = Tensors(names, load, _prefix(names, "transformer."), where)
    layers = []
    for i in range(k["layers"]):
        h = f"h.{i}."
        attn = ts.AttnParams(t.get(h + "attn.c_attn.weight", (d, 3 * d)), t.get(h + "attn.c_attn.bias", (3 * d,)),
                             t.get(h + "attn.c_proj.weight", (d, d)), t.get(h + "attn.c_proj.bias", (d,)))
        layers.append(ts.LayerParams(attn, t.norm(h + "ln_1", d), t.get(h + "mlp.c_fc.weight", (d, f)),
                                     t.get(h + "mlp.c_fc.bias", (f,)), t.get(h + "mlp.c_proj.weight", (f, d)),
                                     t.get(h + "mlp.c_proj.bias", (d,)), t.norm(h + "ln_2", d)))
    word = t.get("wte.weight", (V, d))
    out = dict(word=word, pos=t.get("wpe.weight", (k["positions"], d)), layers=tuple(layers), final_ln=t.norm("ln_f", d))
    if t.has("score.weight"):                  # GPT2ForSequenceClassification: no LM head, a class at the last token
        n = t.load(t.full["score.weight"]).shape[0]
        pad = cfg.get("pad_token_id")
        out.update(classifier=(t.get("score.weight", (n, d)).T, np.zeros(n)), classify="last", lm_head=None,
                   pad_id=pad if isinstance(pad, int) and not isinstance(pad, bool) else None)
    else:
        out["lm_head"] = t.get("lm_head.weight", (V, d)) if t.has("lm_head.weight") else word
    t.leftover((".attn.bias", ".attn.masked_bias"))        # the causal-mask buffers older checkpoints kept
    return out


def vit(cfg: Mapping[str, Any], names: list[str], load, where: str) -> dict[str, Any]:
    k = dims(cfg)
    d, f, p, C = k["d_model"], k["d_ff"], k["patch_size"], k["channels"]
    t = Tensors(names, load, _prefix(names, "vit."), where)
    e = "embeddings."
    conv = t.get(e + "patch_embeddings.projection.weight", (d, C, p, p))
    out: dict[str, Any] = dict(
        patch_W=conv.reshape(d, C * p * p).T, patch_b=t.get(e + "patch_embeddings.projection.bias", (d,)),
        cls=t.get(e + "cls_token", (1, 1, d))[0, 0], pos=t.get(e + "position_embeddings", (1, k["positions"], d))[0],
        layers=tuple(_bert_like_layer(t, i, d, f, True, cfg.get("qkv_bias", True)) for i in range(k["layers"])),
        final_ln=t.norm("layernorm", d))
    if t.has("pooler.dense.weight"):                      # ViTPooler: dense to pooler_output_size, then pooler_act
        out.update(pooler=t.linear("pooler.dense", d, k["pooler_size"]),
                   pool_act=POOLER_ACT[cfg.get("pooler_act", "tanh")])
    if t.has("classifier.weight"):
        n = t.full and t.load(t.full["classifier.weight"]).shape[0]
        out["classifier"] = t.linear("classifier", d, n)
    t.leftover(("embeddings.mask_token",))
    return out


def loader(model_type: str) -> Callable[..., dict[str, Any]]:
    """The function that maps a checkpoint's tensors of ``model_type`` to ModelParams fields."""
    if model_type in ("roberta", "distilbert", "electra"):
        from . import transformer_hf_encoders
        return getattr(transformer_hf_encoders, model_type)
    return {"bert": bert, "gpt2": gpt2, "vit": vit}[model_type]


def labels(cfg: Mapping[str, Any], n: int) -> tuple[str, ...]:
    m = cfg.get("id2label") or {}
    return tuple(str(m.get(str(i), m.get(i, f"class {i}"))) for i in range(n))
