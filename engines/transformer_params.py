"""Parameter counts of whole Transformer models for ``model-summary``: from a Hugging Face config.json
(``--weights DIR``) or an architecture description (``--inputs arch.json``).

Notation
--------
    L layers (encoder-decoder: N_enc, N_dec), d = d_model, d_ff, V vocabulary, P learned positions

Equations
---------
    attention (q, k, v and output projections, with biases)   A = 4 (d^2 + d)
    feed-forward                                              F = d d_ff + d_ff + d_ff d + d
    LayerNorm                                                 2 d
    encoder layer  A + F + 2 (2d);   decoder layer  2A + F + 3 (2d)   (self-attention, cross-attention)
    BERT, GPT-2, ViT: see engines.transformer_hf (equal to the frameworks' sum(p.numel()))

Description (inputs)::

    {"transformer": {"family": "bert" | "gpt2" | "vit" | "encoder-decoder",
                     "layers": 6, "decoder_layers": 6, "d_model": 512, "d_ff": 2048, "heads": 8,
                     "vocab": 37000, "positions": 512 | "sinusoidal", "shared_embeddings": true,
                     "tied_output": true, "final_norms": false, "pooler": true, ...}}

The original Transformer (Vaswani et al. 2017) is counted as the paper describes it: a shared
source/target BPE vocabulary (37000 for EN-DE), one embedding matrix shared by the encoder, the
decoder and the pre-softmax projection (no output bias), sinusoidal positions (no parameters), biases
in every projection, post-LN with no final LayerNorm. torch's ``nn.Transformer`` adds one LayerNorm
at the end of each stack (``final_norms``) and holds no embeddings.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from . import transformer_hf as hf
from .errors import InputError
from .trace import Record

DESCRIPTION_KEYS = ("family", "layers", "decoder_layers", "d_model", "d_ff", "heads", "vocab", "positions",
                    "types", "shared_embeddings", "tied_output", "final_norms", "pooler", "image_size", "patch_size",
                    "channels", "name")


@dataclass(frozen=True)
class Part(Record):
    name: str
    params: int
    formula: str


@dataclass(frozen=True)
class TransformerSummary(Record):
    kind: ClassVar[str] = "transformer-summary"
    name: str
    family: str
    dims: dict
    parts: tuple[Part, ...]
    total: int
    assumptions: tuple[str, ...]
    stored: int | None = None          # parameters stored in the folder's tensors (heads included), when read


def _int(d: Mapping[str, Any], k: str, default: int | None = None) -> int:
    v = d.get(k, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise InputError(f"transformer.{k} is {v!r}, expected a positive integer")
    return v


def _config_of(desc: Mapping[str, Any]) -> dict:
    fam = desc["family"]
    if fam == "gpt2":
        return {"model_type": "gpt2", "n_layer": _int(desc, "layers"), "n_embd": _int(desc, "d_model"),
                "n_head": _int(desc, "heads", 1), "n_inner": desc.get("d_ff"), "vocab_size": _int(desc, "vocab"),
                "n_positions": _int(desc, "positions")}
    cfg = {"model_type": fam, "num_hidden_layers": _int(desc, "layers"), "hidden_size": _int(desc, "d_model"),
           "num_attention_heads": _int(desc, "heads", 1), "intermediate_size": _int(desc, "d_ff")}
    if fam == "bert":
        cfg.update(vocab_size=_int(desc, "vocab"), max_position_embeddings=_int(desc, "positions"),
                   type_vocab_size=_int(desc, "types", 2))
    else:
        cfg.update(image_size=_int(desc, "image_size", 224), patch_size=_int(desc, "patch_size", 16),
                   num_channels=_int(desc, "channels", 3))
    return cfg


def from_config(cfg: Mapping[str, Any], *, name: str = "", pooler: bool = True, stored: int | None = None) -> TransformerSummary:
    fam = cfg["model_type"]
    k = hf.dims(cfg)
    c = hf.count(cfg, pooler=pooler and fam not in ("gpt2", "distilbert"))
    d, f, L = k["d_model"], k["d_ff"], k["layers"]
    formulas = {
        "embeddings": {"bert": f"({k.get('vocab')} + {k['positions']} + {k.get('types')}) {d} + 2*{d}",
                       "roberta": f"({k.get('vocab')} + {k['positions']} + {k.get('types')}) {d} + 2*{d}",
                       "distilbert": f"({k.get('vocab')} + {k['positions']}) {d} + 2*{d}",
                       "electra": (f"({k.get('vocab')} + {k['positions']} + {k.get('types')}) {k.get('embedding_size')}"
                                   f" + 2*{k.get('embedding_size')}"),
                       "gpt2": f"({k['vocab']} + {k['positions']}) {d}",
                       "vit": f"{k.get('channels')}*{k.get('patch_size')}^2*{d} + {d} + {d} + {k['positions']}*{d}"}[fam],
        "layers": f"{L} (4({d}^2+{d}) + 2*{d}*{f} + {f} + {d} + 4*{d})",
        "pooler": f"{d}^2 + {d}", "final LayerNorm": f"2*{d}",
        "embedding projection": f"{k.get('embedding_size')}*{d} + {d}"}
    parts = tuple(Part(n, v, formulas[n]) for n, v in c.items() if n != "total")
    what = {"bert": "BertModel (embeddings, encoder, pooler); the masked-LM / NSP heads are not counted",
            "roberta": "RobertaModel (embeddings, encoder, pooler); the masked-LM and classifier heads are not counted",
            "distilbert": "DistilBertModel (embeddings, encoder; no pooler); the masked-LM and classifier heads are "
                          "not counted",
            "electra": "ElectraModel (embeddings, their projection when narrower, encoder; no pooler); the "
                       "discriminator, generator and classifier heads are not counted",
            "gpt2": "GPT2Model; the LM head is tied to the token embeddings and adds nothing",
            "vit": "ViTModel (patch embedding, [class], positions, encoder, final LayerNorm, pooler); a classifier is not counted"}[fam]
    if "pooler" not in c:
        what = what.replace(", pooler)", "; no pooler stored)")
    return TransformerSummary(name=name or fam, family=fam, dims={k_: v for k_, v in k.items() if k_ != "model_type"},
                              parts=parts, total=c["total"], stored=stored,
                              assumptions=(what, "equal to the framework's sum(p.numel()) of that class"))


def encoder_decoder(desc: Mapping[str, Any]) -> TransformerSummary:
    d, f = _int(desc, "d_model"), _int(desc, "d_ff")
    Ne, Nd = _int(desc, "layers"), _int(desc, "decoder_layers", desc.get("layers"))
    V = _int(desc, "vocab") if desc.get("vocab") is not None else 0
    A, F, N2 = 4 * (d * d + d), d * f + f + f * d + d, 2 * d
    shared, tied = bool(desc.get("shared_embeddings", True)), bool(desc.get("tied_output", True))
    parts = [Part("encoder layers", Ne * (A + F + 2 * N2), f"{Ne} (A + F + 2*2*{d}), A = 4({d}^2+{d}), F = 2*{d}*{f}+{f}+{d}"),
             Part("decoder layers", Nd * (2 * A + F + 3 * N2), f"{Nd} (2A + F + 3*2*{d})")]
    if desc.get("final_norms", False):
        parts.append(Part("final LayerNorms", 2 * N2, f"2 * 2*{d}"))
    if V:
        parts.append(Part("embeddings", (1 if shared else 2) * V * d, f"{'' if shared else '2 * '}{V}*{d}"))
        if not tied:
            parts.append(Part("output projection", V * d + V, f"{V}*{d} + {V}"))
    pos = desc.get("positions", "sinusoidal")
    if pos != "sinusoidal":
        P = _int(desc, "positions")
        parts.append(Part("position embeddings", 2 * P * d, f"2 * {P}*{d}"))
    assumptions = (f"{'one embedding matrix shared by encoder and decoder' if shared else 'separate source and target embeddings'}"
                   f"{', tied to the pre-softmax projection (no output bias)' if tied else ', an output projection with bias'}",
                   "sinusoidal positions (no parameters)" if pos == "sinusoidal" else "learned positions for both stacks",
                   "biases in every projection; post-LN, " + ("a final LayerNorm after each stack (torch's nn.Transformer)"
                                                              if desc.get("final_norms") else "no final LayerNorm (the paper)"))
    dims = {"layers": Ne, "decoder_layers": Nd, "d_model": d, "d_ff": f, "heads": _int(desc, "heads", 1), "vocab": V}
    return TransformerSummary(name=str(desc.get("name", "encoder-decoder")), family="encoder-decoder", dims=dims,
                              parts=tuple(parts), total=sum(p.params for p in parts), assumptions=assumptions)


def summarize(inputs: Mapping[str, Any]) -> TransformerSummary:
    """``{"config": {...}}`` (a Hugging Face config.json) or ``{"transformer": {...}}`` (a description)."""
    if "config" in inputs:
        cfg = inputs["config"]
        hf.check_config(cfg, "model folder")
        return from_config(cfg, name=(cfg.get("architectures") or [cfg["model_type"]])[0], stored=inputs.get("tensors"),
                           pooler=bool(inputs.get("pooler", True)))
    desc = inputs["transformer"]
    if not isinstance(desc, Mapping):
        raise InputError('inputs "transformer" must be an object like {"family": "bert", "layers": 12, ...}')
    for key in desc:
        if key not in DESCRIPTION_KEYS:
            from .io import unknown_key
            raise unknown_key("key in transformer description:", key, DESCRIPTION_KEYS)
    fam = desc.get("family")
    if fam == "encoder-decoder":
        return encoder_decoder(desc)
    if fam not in hf.SUPPORTED:
        raise InputError(f"transformer.family is {fam!r}, expected one of bert, gpt2, vit, encoder-decoder")
    s = from_config(_config_of(desc), name=str(desc.get("name", fam)), pooler=bool(desc.get("pooler", True)))
    return s
