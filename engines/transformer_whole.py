"""Whole Transformer models behind the ``transformer`` model: which one the weights are (a Hugging Face
folder or whole-model preset, ``inputs = {"model_folder": DIR}``; or nn.Transformer-named encoder-decoder
weights), the input given on the command line (``--text``, ``--tokens``, ``--token-ids``, ``--image``), and
the run. The maths is in :mod:`engines.transformer_model` and :mod:`engines.transformer_encdec`.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np

from .errors import InputError
from .io import check_keys
from .transformer_encdec import build as build_encdec
from .transformer_encdec import is_encoder_decoder
from .transformer_model import ModelParams, ModelTrace, run

WHOLE_MODEL_OPTIONS = ("text", "text_pair", "tokens", "token_ids", "image", "layer", "head", "query", "generate",
                       "temperature")
INPUT_KEYS = ("text", "tokens", "token_ids", "image")     # the ways to give a whole model its input


def whole_model(weights: Mapping[str, Any], inputs: Mapping[str, Any], *, block=None, heads=None, eps=None,
                **whole: Any) -> ModelTrace | None:
    """The whole model's trace, or None when the weights are one block (engines.transformer's own)."""
    unknown = [k for k in whole if k not in WHOLE_MODEL_OPTIONS]
    if unknown:
        raise TypeError(f"build() got an unexpected keyword argument {unknown[0]!r}")
    if isinstance(inputs, Mapping) and "model_folder" in inputs:
        for n, v in (("--block", block), ("--heads", heads), ("--eps", eps)):
            if v is not None:
                raise InputError(f"{n} applies to one Transformer block (and the figures of one block); this is a whole "
                                 "model, whose architecture comes from its config.json")
        check_keys(inputs, ("model_folder", "source") + INPUT_KEYS, "input key", "a whole Transformer model")
        given = {k: v for k, v in whole.items() if v is not None}
        if not any(k in given for k in INPUT_KEYS):            # the preset's own sentence or image (--text-pair adds to it)
            given.update({k: inputs[k] for k in INPUT_KEYS if inputs.get(k) is not None})
        return build_folder(str(inputs["model_folder"]), source=str(inputs.get("source", "")), **given)
    if isinstance(weights, Mapping) and is_encoder_decoder(weights):     # nn.Transformer names: the whole model
        for n, v in (("--block", block), ("--eps", eps), ("--heads", heads)):
            if v is not None:
                raise InputError(f"{n} applies to one Transformer block (and the figures of one block); this is a whole "
                                 "encoder-decoder model (its heads are its inputs' \"heads\")")
        extra = [k for k, v in whole.items() if v is not None and k not in ("layer", "head", "query")]
        if extra:
            raise InputError(f"--{extra[0].replace('_', '-')} does not apply to an encoder-decoder model "
                             "(its inputs are source and target token lists)")
        return build_encdec(weights, inputs, layer=whole.get("layer"), head=whole.get("head"), query=whole.get("query"))
    given_opts = [k for k, v in whole.items() if v is not None]
    if given_opts:
        raise InputError(f"--{given_opts[0].replace('_', '-')} applies to a whole model: give --weights DIR (a Hugging "
                         "Face model folder) or a whole-model preset")
    return None


def _csv(name: str, value: str) -> list[str]:
    items = [s.strip() for s in str(value).split(",")]
    if not items or any(not s for s in items):
        raise InputError(f"--{name} is {value!r}, expected a comma-separated list like a,b,c")
    return items


def _ids(folder, p: ModelParams, *, text, tokens, token_ids) -> tuple[np.ndarray, tuple[str, ...]]:
    given = [n for n, v in (("--text", text), ("--tokens", tokens), ("--token-ids", token_ids)) if v is not None]
    if len(given) > 1:
        raise InputError(f"{' and '.join(given)} conflict: give the input one way")
    if not given:
        raise InputError(f"model folder {folder.path!r} needs an input: --text \"...\", --tokens a,b,c or --token-ids 3,17,5")
    names = folder.names_of()
    if text is not None:
        ids, toks = folder.encode(text)
    elif tokens is not None:
        toks = tuple(_csv("tokens", tokens))
        ids = folder.from_tokens(list(toks))
    else:
        raw = _csv("token-ids", token_ids)
        if not all(s.isdigit() for s in raw):
            raise InputError(f"--token-ids is {token_ids!r}, expected non-negative integers like 3,17,5")
        ids = np.array([int(s) for s in raw], dtype=np.int64)
        bad = [int(i) for i in ids if i >= p.vocab]
        if bad:
            raise InputError(f"token id {bad[0]} is outside the vocabulary 0 .. {p.vocab - 1}")
        toks = tuple(names(int(i)) for i in ids)
    if len(ids) == 0:
        raise InputError("the input has no tokens")
    if len(ids) > p.positions - p.position_offset:
        raise InputError(f"the input has {len(ids)} tokens; this model reads at most {p.positions - p.position_offset} "
                         "(its position embeddings)")
    return ids, toks


def _first_id(folder, *tokens: str) -> int | None:
    """The id of the first of ``tokens`` in the folder's vocabulary ([MASK] in BERT's, <mask> in RoBERTa's)."""
    return next((i for i in map(folder.token_id, tokens) if i is not None), None)


def build_folder(path: str, *, text: str | None = None, text_pair: str | None = None, tokens: str | None = None,
                 token_ids: str | None = None,
                 image: str | None = None, layer: int | None = None, head: int | None = None,
                 query: str | None = None, generate: int | None = None, temperature: float | None = None,
                 source: str = "") -> ModelTrace:
    """Run the model in a Hugging Face folder (or a whole-model preset, the same format) on the given input."""
    from .formats import hf_folder
    folder = hf_folder.open_folder(path)
    p = folder.params()
    focus = {"args": (layer, head, query)}
    if temperature is not None and not (temperature >= 0 and np.isfinite(temperature)):
        raise InputError(f"--temperature is {temperature}, expected a number >= 0 (0: greedy)")
    if p.family == "vit":
        if image is None:
            raise InputError(f"model folder {path!r} is a ViT: give --image FILE")
        for n, v in (("--text", text), ("--tokens", tokens), ("--token-ids", token_ids), ("--generate", generate)):
            if v is not None:
                raise InputError(f"{n} does not apply to a ViT (give --image FILE)")
        return run(p, image=folder.image(image), focus=focus, source=source or path)
    if image is not None:
        raise InputError(f"--image applies to a ViT; model folder {path!r} is a {p.family} (give --text)")
    if generate and p.family != "gpt2":
        raise InputError("--generate applies to a GPT-2 model (decoder-only)")
    if generate and p.lm_head is None:
        raise InputError(f"--generate needs a language-model head; model folder {path!r} is a sequence classifier")
    type_ids = None
    if text_pair is not None:
        if text is None:
            raise InputError("--text-pair is the second sentence of a pair: give the first with --text")
        if p.family != "bert":
            raise InputError(f"--text-pair applies to a BERT-style encoder; model folder {path!r} is a {p.family}")
        ids, toks, type_ids = folder.encode_pair(text, text_pair)
        if len(ids) > p.positions - p.position_offset:
            raise InputError(f"the pair has {len(ids)} tokens; this model reads at most "
                             f"{p.positions - p.position_offset} (its position embeddings)")
        if p.types is None:
            type_ids = None                                # DistilBERT: no token types; the tokens mark the pair
        elif type_ids.max() >= p.types.shape[0]:
            raise InputError(f"the pair needs token type {int(type_ids.max())}; this model has "
                             f"{p.types.shape[0]} (type_vocab_size)")
    else:
        ids, toks = _ids(folder, p, text=text, tokens=tokens, token_ids=token_ids)
    specials = folder.specials()
    special = np.array([int(i) in specials for i in ids])
    pad_id = folder.config.get("pad_token_id")
    pad = _first_id(folder, "[PAD]", "<pad>") if pad_id is None else pad_id
    tr = run(p, ids=ids, tokens=toks, special=special, pad_id=pad, mask_id=_first_id(folder, "[MASK]", "<mask>"),
             vocab_names=folder.names_of(), generate_n=generate or 0, temperature=temperature, focus=focus,
             source=source or path, type_ids=type_ids, pair=text_pair is not None)
    if p.family != "gpt2":
        return tr
    from .induction_folder import folder_scores      # a folder trained on a task carries its held-out evaluation
    evaluated = folder_scores(path, folder.names, folder.load, folder.config)
    return tr if evaluated is None else dataclasses.replace(tr, scores=evaluated[0], head_labels=evaluated[1])
