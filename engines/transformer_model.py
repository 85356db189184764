"""Whole Transformer models: BERT (encoder-only, post-LN), GPT-2 (decoder-only, pre-LN, causal) and
ViT (patches, [class] token, pre-LN), from a Hugging Face model folder or a whole-model preset.

The blocks are :mod:`engines.transformer_stack`; the names of a Hugging Face checkpoint and its
config.json are mapped in :mod:`engines.transformer_hf`; the folder (tensors, tokenizer, image) is
read by :mod:`engines.formats.hf_folder`.

Notation
--------
- ``T`` tokens (ViT: 1 + N patches), ``d`` = d_model, ``H`` heads, ``d_k = d / H``, ``L`` layers, ``V`` vocabulary
- ``E`` [V, d] word embeddings, ``P`` [positions, d] learned position embeddings, ``S`` [types, d] token types
- ViT: image [C, Hpx, Wpx] (normalised), patch size ``p``, grid (rows, cols), ``W_p`` [C p p, d], ``x_class`` [d]
- ``x^0`` [T, d] the embeddings, ``x^l`` [T, d] the output of layer l (``hidden_states[l]``)
- ``alpha^{l,h}`` [T, T] attention weights of head h in layer l (``layers[l].attention[h]``)

Equations
---------
    BERT:  x^0 = LN_emb(E[ids] + P[0..T-1] + S[type ids]);  x^l = post-LN layer(x^{l-1}), keys [PAD] masked
           pooled = tanh(x^L[0] W_pool + b_pool);  MLM logits = LN(gelu(x^L W_t + b_t)) E^T + b   (tied decoder)
    GPT-2: x^0 = E[ids] + P[0..T-1];  x^l = pre-LN layer(x^{l-1}) with the causal mask;
           logits = LN_f(x^L) E^T  (LM head tied to E);  p(next | <= t) = softmax(logits[t])
    ViT:   x^0 = [x_class ; patches(image) W_p + b_p] + P;  x^l = pre-LN layer(x^{l-1});
           class logits = LN_f(x^L)[0] W_c + b_c
    (the layer equations, entropy, strongest key and rollout are in engines.transformer_stack)

Trace (``kind`` "transformer-model"; what every view of a whole model reads)
-----
``family`` bert | gpt2 | vit | encoder-decoder (engines.transformer_encdec); ``norm`` pre-LN | post-LN; ``config`` (layers, d_model, heads, d_ff, vocab,
positions, activation, eps, parameters, model_type); ``tokens`` (display strings: "[CLS]", "cat", ViT
"[CLS]", "p(1,1)" ...), ``token_ids`` (ViT: -1), ``special`` (bool per token), ``hidden_states``
[L+1, T, d]; ``layers[l]``: ``attention`` [H, T, T], ``q``, ``k``, ``v``, ``head_outputs`` [H, T, d_k],
``scale`` (scores = q k^T / scale); ``rollout`` [T, T]; ``entropy`` [L, H] (bits, mean
over the unmasked queries); ``strongest_key`` [L, H, T]; ``predictions`` (top-k per position for GPT-2,
per [MASK] for BERT, the class for ViT); ``generated`` (GPT-2); ViT ``image`` [C, Hpx, Wpx],
``patch_size``, ``grid``; ``focus`` (the layer, head and query chosen with --layer/--head/--query, or
None); ``scores`` and ``head_labels`` (a preset's evaluation of its heads, or None). Encoder-decoder
only: ``layers[l].cross_attention`` [H, T, S], ``source_tokens``, ``encoder_layers``,
``encoder_hidden_states``, ``memory``. A BERT sentence pair (``--text-pair``): ``type_ids`` and, with the
next-sentence head stored, ``next_sentence`` = softmax(pooled W_s + b_s) as ``{"is_next", "not_next"}``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from . import transformer_stack as ts
from ._numerics import softmax
from .errors import InputError
from .trace import Array, BoolArray, IntArray, Record

TOP_K = 5


# --------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class ModelParams:
    """A whole model in engine terms (row convention); built by :mod:`engines.transformer_hf`."""
    family: str                          # bert | gpt2 | vit
    norm: str                            # pre-LN | post-LN
    act: str                             # gelu | gelu_tanh | relu
    eps: float
    heads: int
    layers: tuple[ts.LayerParams, ...]
    d_model: int
    d_ff: int
    vocab: int
    positions: int
    config: dict                         # what the trace shows (model_type, parameters ...)
    word: np.ndarray | None = None       # [V, d]
    pos: np.ndarray | None = None        # [positions, d]
    types: np.ndarray | None = None      # [types, d]
    emb_ln: ts.Norm | None = None        # BERT
    final_ln: ts.Norm | None = None      # GPT-2 ln_f, ViT layernorm
    pooler: tuple[np.ndarray, np.ndarray] | None = None           # [d, d], [d]
    mlm: tuple[np.ndarray, np.ndarray, ts.Norm, np.ndarray, np.ndarray] | None = None   # W_t, b_t, LN, bias [V], E_out [V, d]
    lm_head: np.ndarray | None = None    # GPT-2: [V, d] (E when tied)
    patch_W: np.ndarray | None = None    # ViT [C p p, d]
    patch_b: np.ndarray | None = None
    cls: np.ndarray | None = None        # ViT [d]
    patch_size: int = 0
    image_size: tuple[int, int] = (0, 0)
    channels: int = 0
    classifier: tuple[np.ndarray, np.ndarray] | None = None       # [d, classes], [classes]
    labels: tuple[str, ...] = ()
    classify: str = "sequence"           # "sequence" (BERT's pooled [CLS]), "token" (every token), "last" (GPT-2)
    pool_act: str = "tanh"               # the pooler's activation (DistilBERT's pre_classifier: relu; ViT: pooler_act)
    nsp: tuple[np.ndarray, np.ndarray] | None = None              # BERT's next-sentence head [d, 2], [2]
    position_offset: int = 0             # RoBERTa: positions counted from padding_idx + 1, pad tokens at padding_idx
    pad_id: int | None = None            # GPT-2 sequence classifier: its pad token (it reads the last other one)
    emb_proj: tuple[np.ndarray, np.ndarray] | None = None         # ELECTRA: embeddings [E] -> hidden [d]
    disc: tuple[np.ndarray, np.ndarray, np.ndarray, float] | None = None   # ELECTRA discriminator W [d, d], b, w [d], b
    mlm_act: str | None = None           # the masked-LM head's activation when it is not the model's (RoBERTa, ELECTRA: gelu)
    inverse_layer_scale: bool = False    # GPT-2 scale_attn_by_inverse_layer_idx


# --------------------------------------------------------------------------- trace

@dataclass(frozen=True)
class LayerRecord(Record):
    index: int                 # 1-based, as figures name layers
    attention: Array           # [H, T, T] alpha
    q: Array                   # [H, T, d_k]
    k: Array                   # [H, T, d_k]
    v: Array                   # [H, T, d_k]
    head_outputs: Array        # [H, T, d_k] alpha v
    scale: float               # scores = q k^T / scale  (the layer's output is hidden_states[index])
    cross_attention: Array | None = None    # encoder-decoder: [H, T, S] the decoder's attention to the memory


@dataclass(frozen=True)
class Prediction(Record):
    position: int              # 0-based token position (ViT: 0, the [class] token)
    token: str                 # the token there
    top: tuple[str, ...]       # top-k tokens (ViT: class labels), most probable first
    top_ids: IntArray
    probs: Array               # their probabilities


@dataclass(frozen=True)
class ModelTrace(Record):
    kind: ClassVar[str] = "transformer-model"
    family: str
    norm: str
    config: dict
    tokens: tuple[str, ...]
    token_ids: IntArray
    special: BoolArray
    hidden_states: Array       # [L+1, T, d]
    layers: tuple[LayerRecord, ...]
    rollout: Array             # [T, T]
    entropy: Array             # [L, H] bits
    strongest_key: IntArray    # [L, H, T]
    predictions: tuple[Prediction, ...]
    padding: BoolArray         # [T] keys masked as padding
    prediction_kind: str       # "next token" | "masked token" | "class" | "token class" | "replaced token" | "none"
    generated: tuple[str, ...] | None = None
    generated_ids: IntArray | None = None
    generation: dict | None = None
    pooled: Array | None = None            # the pooler output: BERT [d], ViT [pooler_output_size]
    image: Array | None = None             # ViT [C, Hpx, Wpx]
    patch_size: int | None = None
    grid: tuple[int, int] | None = None
    focus: dict | None = None              # {"layer": 1-based, "head": 1-based, "query": position}
    source: str = ""
    scores: dict | None = None
    head_labels: dict | None = None
    source_tokens: tuple[str, ...] = ()                      # encoder-decoder: the encoder's input
    encoder_layers: tuple[LayerRecord, ...] | None = None    # encoder-decoder: the encoder's attention
    encoder_hidden_states: Array | None = None               # [N_enc + 1, S, d]
    memory: Array | None = None                              # [S, d] what every decoder layer's cross-attention reads
    type_ids: IntArray | None = None       # BERT, a sentence pair (--text-pair): each token's type, 0 then 1
    next_sentence: dict | None = None      # BERT's NSP head on the pair: {"is_next": p, "not_next": 1 - p}


# --------------------------------------------------------------------------- forward

@dataclass(frozen=True)
class Forward:
    x0: np.ndarray
    hidden_states: np.ndarray
    outs: list
    logits: np.ndarray | None    # [T, V] (BERT: MLM, GPT-2: next token), [classes] (ViT, BERT sequence
                                 # classifier) or [T, classes] (BERT token classifier)
    pooled: np.ndarray | None


def embed_tokens(p: ModelParams, ids: np.ndarray, type_ids: np.ndarray | None = None) -> np.ndarray:
    T = ids.shape[-1]
    if p.position_offset:                                            # RoBERTa: pads at padding_idx, the rest counted on
        keep = ids != p.position_offset - 1
        x = p.word[ids] + p.pos[np.cumsum(keep, axis=-1) * keep + p.position_offset - 1]
    else:
        x = p.word[ids] + p.pos[:T]                                  # [T] -> [T, d]
    if p.types is not None:
        x = x + p.types[np.zeros_like(ids) if type_ids is None else type_ids]
    if p.emb_ln is not None:
        x = ts.layer_norm(x, p.emb_ln.gamma, p.emb_ln.beta, p.eps)
    if p.emb_proj is not None:                                       # ELECTRA: [T, E] -> [T, d]
        x = x @ p.emb_proj[0] + p.emb_proj[1]
    return x


def embed_image(p: ModelParams, image: np.ndarray) -> np.ndarray:
    pt = ts.patches(image, p.patch_size) @ p.patch_W + p.patch_b     # [N, C p p] -> [N, d]
    x = np.concatenate([p.cls[None, :], pt], axis=0)                 # [1 + N, d]
    return x + p.pos[: x.shape[0]]


def forward(p: ModelParams, *, ids: np.ndarray | None = None, image: np.ndarray | None = None,
            padding: np.ndarray | None = None, type_ids: np.ndarray | None = None) -> Forward:
    """The whole forward pass: embeddings, the stack, the family's head."""
    x0 = embed_image(p, image) if p.family == "vit" else embed_tokens(p, ids, type_ids)
    T = x0.shape[0]
    mask = ts.causal_mask(T) if p.family == "gpt2" else None
    if padding is not None and padding.any():
        pm = np.broadcast_to(padding[None, :], (T, T))
        mask = pm if mask is None else (mask | pm)
    hs, outs = ts.stack(x0, p.layers, p.heads, norm=p.norm, act=p.act, eps=p.eps, mask=mask,
                        inverse_layer_scale=p.inverse_layer_scale)
    top = hs[-1]
    logits = pooled = None
    if p.family == "gpt2":
        z = ts.layer_norm(top, p.final_ln.gamma, p.final_ln.beta, p.eps)
        if p.classify == "last":                                 # a sequence classifier reads the last token
            last = _last_token(ids, p.pad_id)
            logits = z[last] @ p.classifier[0] + p.classifier[1]                                # [classes]
        else:
            logits = z @ p.lm_head.T                                                             # [T, d] -> [T, V]
    elif p.family == "bert":
        if p.pooler is not None:
            pooled = _pool(p, top[0])                                                            # [d]
        if p.mlm is not None:
            W_t, b_t, ln, bias, dec = p.mlm                          # dec: the word embeddings when tied
            h = ts.layer_norm(ts.ACTIVATIONS[p.mlm_act or p.act](top @ W_t + b_t), ln.gamma, ln.beta, p.eps)
            logits = h @ dec.T + bias                                                            # [T, V]
        if p.disc is not None:                                   # ELECTRA: a replaced-token logit per position
            W, b, w, b1 = p.disc
            logits = ts.ACTIVATIONS[p.act](top @ W + b) @ w + b1                                 # [T]
        if p.classifier is not None:
            x = top if p.classify == "token" else pooled                                         # [T, d] or [d]
            logits = x @ p.classifier[0] + p.classifier[1]                                       # [T, classes] or [classes]
    elif p.family == "vit":
        z = ts.layer_norm(top, p.final_ln.gamma, p.final_ln.beta, p.eps)
        if p.classifier is not None:
            logits = z[0] @ p.classifier[0] + p.classifier[1]                                    # [classes]
        if p.pooler is not None:
            pooled = _pool(p, z[0])                                                              # [pooler size]
    return Forward(x0, hs, outs, logits, pooled)


def _pool(p: ModelParams, x: np.ndarray) -> np.ndarray:
    """The pooler on the first token's vector: ``act(x W + b)`` (tanh unless the checkpoint says otherwise)."""
    z = x @ p.pooler[0] + p.pooler[1]
    return np.tanh(z) if p.pool_act == "tanh" else ts.ACTIVATIONS[p.pool_act](z)


def _last_token(ids: np.ndarray, pad_id: int | None) -> int:
    """Where a GPT-2 sequence classifier reads: the last token that is not the pad token (as transformers
    finds it: the highest position whose id differs from pad_token_id; 0 when all are pads)."""
    if pad_id is None:
        return len(ids) - 1
    keep = np.flatnonzero(np.asarray(ids) != pad_id)
    return int(keep[-1]) if keep.size else 0


def _top(probs: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-probs, kind="stable")[:k]


def predictions(p: ModelParams, fw: Forward, tokens: tuple[str, ...], ids: np.ndarray, mask_id: int | None,
                vocab_names) -> tuple[str, tuple[Prediction, ...]]:
    if fw.logits is None:
        return "none", ()
    def label(i: int) -> str:
        return p.labels[i] if i < len(p.labels) else f"class {i}"
    if p.disc is not None:                                        # ELECTRA's discriminator: P(replaced) per token
        pr = 1.0 / (1.0 + np.exp(-fw.logits))
        out = []
        for i in range(len(ids)):
            both = np.array([pr[i], 1.0 - pr[i]])
            order = _top(both, 2)
            out.append(Prediction(i, tokens[i], tuple(("replaced", "original")[j] for j in order), order, both[order]))
        return "replaced token", tuple(out)
    if p.classifier is not None and fw.logits.ndim == 1:          # ViT's [class] token, BERT's pooled [CLS], GPT-2's last
        pr = softmax(fw.logits)
        top = _top(pr, min(TOP_K, pr.size))
        at = _last_token(ids, p.pad_id) if p.classify == "last" else 0
        return "class", (Prediction(at, tokens[at], tuple(label(int(i)) for i in top), top, pr[top]),)
    if p.classifier is not None:                                  # BERT's token classifier: every position
        pr = softmax(fw.logits, axis=-1)
        out = []
        for i in range(len(ids)):
            top = _top(pr[i], min(TOP_K, pr.shape[1]))
            out.append(Prediction(i, tokens[i], tuple(label(int(j)) for j in top), top, pr[i, top]))
        return "token class", tuple(out)
    pr = softmax(fw.logits, axis=-1)                                # [T, V]
    nxt = p.family in ("gpt2", "encoder-decoder")
    rows = range(len(ids)) if nxt else [i for i, t in enumerate(ids) if t == mask_id]
    out = []
    for i in rows:
        top = _top(pr[i], min(TOP_K, pr.shape[1]))
        out.append(Prediction(i, tokens[i], tuple(vocab_names(int(j)) for j in top), top, pr[i, top]))
    return ("next token" if nxt else "masked token"), tuple(out)


def generate(p: ModelParams, ids: np.ndarray, n: int, temperature: float | None, seed: int = 0) -> np.ndarray:
    """n tokens, greedy (temperature None or 0) or sampled from softmax(logits / T) with a seeded generator."""
    if n < 0:
        raise InputError(f"--generate is {n}, expected a number of tokens >= 0")
    if len(ids) + n > p.positions:
        raise InputError(f"--generate {n} after {len(ids)} tokens needs {len(ids) + n} positions; "
                         f"this model has {p.positions} (n_positions)")
    rng = np.random.default_rng(seed)
    cur = np.asarray(ids)
    new = []
    for _ in range(n):
        logits = forward(p, ids=cur).logits[-1]
        if not temperature:
            nxt = int(np.argmax(logits))
        else:
            nxt = int(rng.choice(logits.size, p=softmax(logits / temperature)))
        new.append(nxt)
        cur = np.append(cur, nxt)
    return np.array(new, dtype=np.int64)


def derived(outs: list, padding: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entropy [L, H] (bits, over unmasked queries), strongest key [L, H, T], rollout [T, T]."""
    alphas = [o.self_attn.alpha for o in outs]
    valid = ~padding
    ent = np.stack([ts.entropy_bits(a, valid) for a in alphas])
    strongest = np.stack([np.argmax(a, axis=-1) for a in alphas]).astype(np.int64)
    return ent, strongest, ts.rollout(alphas)


def trace(p: ModelParams, fw: Forward, *, tokens: tuple[str, ...], ids: np.ndarray, special: np.ndarray,
          padding: np.ndarray, preds: tuple[str, tuple[Prediction, ...]], source: str = "",
          image: np.ndarray | None = None, generated: tuple | None = None, focus: dict | None = None,
          scores: dict | None = None, head_labels: dict | None = None) -> ModelTrace:
    layers = tuple(LayerRecord(index=i + 1, attention=o.self_attn.alpha, q=o.self_attn.q, k=o.self_attn.k,
                               v=o.self_attn.v, head_outputs=o.self_attn.z, scale=float(o.self_attn.scale))
                   for i, o in enumerate(fw.outs))
    ent, strongest, roll = derived(fw.outs, padding)
    grid = None
    if p.family == "vit":
        grid = (image.shape[1] // p.patch_size, image.shape[2] // p.patch_size)
    gen_tokens, gen_ids, gen_info = generated if generated is not None else (None, None, None)
    return ModelTrace(family=p.family, norm=p.norm, config=dict(p.config), tokens=tuple(tokens), token_ids=ids,
                      special=special, hidden_states=fw.hidden_states, layers=layers, rollout=roll, entropy=ent,
                      strongest_key=strongest, predictions=preds[1], padding=padding, prediction_kind=preds[0],
                      generated=gen_tokens, generated_ids=gen_ids, generation=gen_info, pooled=fw.pooled,
                      image=image, patch_size=p.patch_size if p.family == "vit" else None, grid=grid, focus=focus,
                      source=source, scores=scores, head_labels=head_labels)


def resolve_focus(tr_tokens: tuple[str, ...], L: int, H: int, layer: int | None, head: int | None,
                  query: str | None) -> dict | None:
    """--layer L --head H (1-based) --query TOKEN (a token string, or a 0-based position) -> a checked focus."""
    if layer is None and head is None and query is None:
        return None
    lay = 1 if layer is None else layer
    hd = 1 if head is None else head
    if not 1 <= lay <= L:
        raise InputError(f"--layer is {lay}, expected 1 .. {L} (the model has {L} layers)")
    if not 1 <= hd <= H:
        raise InputError(f"--head is {hd}, expected 1 .. {H} (the model has {H} heads)")
    pos = len(tr_tokens) - 1
    if query is not None:
        q = str(query)
        bare = [t.lstrip("\u0120\u2581") for t in tr_tokens]     # byte-level BPE / SentencePiece word marks
        if q in tr_tokens:
            pos = tr_tokens.index(q)
        elif q in bare:                                             # --query dog finds "Ġdog", as the figures print it
            pos = bare.index(q)
        elif q.lstrip("-").isdigit() and -len(tr_tokens) <= int(q) < len(tr_tokens):
            pos = int(q) % len(tr_tokens)
        else:
            shown = ", ".join(tr_tokens[:12]) + (" ..." if len(tr_tokens) > 12 else "")
            raise InputError(f"--query {q!r} is not one of the tokens ({shown}) nor a position 0 .. {len(tr_tokens) - 1}")
    return {"layer": lay, "head": hd, "query": pos}


def run(p: ModelParams, *, ids: np.ndarray | None = None, tokens: tuple[str, ...] = (), special=None,
        image: np.ndarray | None = None, pad_id: int | None = None, mask_id: int | None = None,
        vocab_names=str, generate_n: int = 0, temperature: float | None = None, focus: Mapping[str, Any] | None = None,
        source: str = "", type_ids: np.ndarray | None = None, pair: bool = False) -> ModelTrace:
    """Run a model on token ids (BERT, GPT-2) or a normalised image (ViT) and build the trace."""
    if p.family == "vit":
        gr, gc = image.shape[1] // p.patch_size, image.shape[2] // p.patch_size
        tokens = ("[CLS]",) + tuple(f"p({r + 1},{c + 1})" for r in range(gr) for c in range(gc))
        ids = np.full(len(tokens), -1, dtype=np.int64)
        special = np.array([True] + [False] * (len(tokens) - 1))
    ids = np.asarray(ids, dtype=np.int64)
    padding = (ids == pad_id) if (p.family == "bert" and pad_id is not None) else np.zeros(len(ids), bool)
    fw = forward(p, ids=ids, image=image, padding=padding, type_ids=type_ids)
    preds = predictions(p, fw, tuple(tokens), ids, mask_id, vocab_names)
    nsp = None
    if pair and p.nsp is not None and fw.pooled is not None:    # label 0: the second sentence follows the first
        pr = softmax(fw.pooled @ p.nsp[0] + p.nsp[1])
        nsp = {"is_next": float(pr[0]), "not_next": float(pr[1])}
    generated = None
    if p.family == "gpt2" and generate_n:
        g = generate(p, ids, generate_n, temperature)
        generated = (tuple(vocab_names(int(i)) for i in g), g,
                     {"mode": "sample" if temperature else "greedy", "temperature": temperature or 0.0, "seed": 0})
    f = resolve_focus(tuple(tokens), len(p.layers), p.heads, *(focus or {}).get("args", (None, None, None)))
    tr = trace(p, fw, tokens=tuple(tokens), ids=ids, special=np.asarray(special, bool), padding=padding,
               preds=preds, source=source, image=image, generated=generated, focus=f)
    if type_ids is None and nsp is None:
        return tr
    return dataclasses.replace(tr, type_ids=type_ids, next_sentence=nsp)
