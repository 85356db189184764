"""Text views of a whole Transformer model's trace (engines.transformer_model): the ``compute`` summary
(tokens, per-layer attention entropy, top predictions) and the worked computation of one head at one
query position (q, k, scores, scaling, softmax, weighted sum). Every number comes from the trace."""
from __future__ import annotations

import numpy as np

from gatelab.style import fmt

from .doc import Doc
from .grid import grid

DIGITS = 4


def _tok(tr, i: int) -> str:
    t = tr.tokens[i]
    return f"{t}*" if tr.special[i] else t


def table(tr) -> str:
    c = tr.config
    lines = [f"{c.get('architecture') or tr.family} ({tr.family}, {tr.norm}): {c['layers']} layers, d_model {c['d_model']}, "
             f"{c['heads']} heads, d_ff {c['d_ff']}, {c['activation']}, {c['parameters']:,} parameters",
             f"source: {tr.source}" if tr.source else "",
             f"tokens ({len(tr.tokens)}; * = special): " + " ".join(_tok(tr, i) for i in range(len(tr.tokens)))]
    if tr.source_tokens:
        lines.append(f"source tokens (encoder, {len(tr.encoder_layers)} layers; its output is every decoder layer's memory): "
                     + " ".join(tr.source_tokens))
    if getattr(tr, "type_ids", None) is not None and np.any(tr.type_ids):
        second = int(np.argmax(np.asarray(tr.type_ids) == 1))
        lines.append(f"sentence pair: token type 0 for positions 0-{second - 1}, 1 from position {second}")
    if getattr(tr, "next_sentence", None):
        ns = tr.next_sentence
        lines.append(f"next-sentence head (NSP, softmax(pooled W_s + b_s)): is next {fmt(ns['is_next'], 3)}, "
                     f"not next {fmt(ns['not_next'], 3)}")
    if tr.padding.any():
        lines.append(f"padding (masked as keys): positions {', '.join(str(i) for i in np.flatnonzero(tr.padding))}")
    H = tr.entropy.shape[1]
    what = " of the decoder's masked self-attention" if tr.source_tokens else ""
    rows = [[str(l + 1)] + [fmt(e, 3) for e in tr.entropy[l]] + [fmt(tr.entropy[l].mean(), 3)]
            for l in range(tr.entropy.shape[0])]
    lines += ["", f"attention entropy{what} (bits, mean over queries; 0 = one key, log2 T = uniform):",
              grid(["layer"] + [f"h{h + 1}" for h in range(H)] + ["mean"], rows)]
    if tr.predictions:
        lines += ["", f"top predictions ({tr.prediction_kind}):"]
        prows = []
        for p in tr.predictions:
            where = {"next token": f"after {p.position}:{p.token}", "masked token": f"{p.position}:{p.token}",
                     "token class": f"{p.position}:{p.token}", "replaced token": f"{p.position}:{p.token}",
                     "class": f"{p.position}:{p.token}" if tr.family == "gpt2" else "[CLS]"}[tr.prediction_kind]
            prows.append([where] + [f"{t} {fmt(pr, 3)}" for t, pr in zip(p.top, p.probs)])
        lines.append(grid(["position"] + [f"#{k + 1}" for k in range(len(tr.predictions[0].top))], prows, align="l"))
    if tr.generated is not None:
        g = tr.generation or {}
        lines += ["", f"generated ({g.get('mode')}, T = {fmt(g.get('temperature', 0), 3)}, seed {g.get('seed')}): "
                  + " ".join(tr.generated)]
    if tr.scores is not None:                           # a model folder trained on a task: its held-out scores
        from .induction import _scores_lines
        lines += [""] + _scores_lines(tr.scores)
    if tr.grid is not None:
        lines += ["", f"image {tr.image.shape[1]}x{tr.image.shape[2]}, {tr.image.shape[0]} channels; patches "
                  f"{tr.patch_size}x{tr.patch_size}, grid {tr.grid[0]} x {tr.grid[1]}"]
        last = tr.layers[-1].attention[:, 0, 1:].mean(axis=0)
        lines.append("[CLS] attention to each patch (last layer, mean over heads): "
                     + ", ".join(f"{tr.tokens[j + 1]} {fmt(a, 3)}" for j, a in enumerate(last)))
    return "\n".join(line for line in lines if line is not None).replace("\n\n\n", "\n\n")


def explain(tr, fmt_: str = "md") -> str:
    f = tr.focus or {"layer": 1, "head": 1, "query": len(tr.tokens) - 1}
    l, h, i = f["layer"], f["head"], f["query"]
    lay = tr.layers[l - 1]
    q, k, v, alpha = lay.q[h - 1], lay.k[h - 1], lay.v[h - 1], lay.attention[h - 1]
    T, dk = k.shape
    d = Doc(DIGITS)
    tok = [tr.tokens[j] for j in range(T)]
    d.heading(f"{tr.config.get('architecture') or tr.family}: layer {l}, head {h}, query {d.lit(tok[i])} (position {i})")
    fam = {"bert": "A BERT", "gpt2": "A GPT-2", "vit": "A ViT", "encoder-decoder": "An encoder-decoder",
           "roberta": "A RoBERTa", "distilbert": "A DistilBERT", "electra": "An ELECTRA"}[tr.config.get("model_type", tr.family)]
    side = "decoder " if tr.family == "encoder-decoder" else ""
    d.para(f"{fam} model ({tr.norm}, {tr.config['layers']} {side}layers, {tr.config['heads']} heads of width "
           f"$d_k = {dk}$). The input to this head is "
           + ("the embeddings" if l == 1 else f"the output of layer {l - 1}")
           + (", after LayerNorm (pre-LN)" if tr.norm == "pre-LN" else "")
           + "; its query, key and value rows are the projections $q = x W_q + b_q$, $k = x W_k + b_k$, $v = x W_v + b_v$ "
           f"restricted to head {h}'s {dk} columns.")
    d.equations([r"s_j = \frac{q_i \cdot k_j}{\sqrt{d_k}}", r"\alpha_{ij} = \frac{e^{s_j}}{\sum_m e^{s_m}}",
                 r"z_i = \sum_j \alpha_{ij} v_j"])
    d.heading("Query", 2)
    d.para(f"$q_{{{i}}}$ = {d.vec(q[i])}")
    dots = k @ q[i]
    masked = [_masked(tr, i, j) for j in range(T)]
    d.heading("Keys, scores, scaling and softmax", 2)
    rows = []
    for j in range(T):
        s = dots[j] / lay.scale
        rows.append([d.lit(tok[j]), d.vec(k[j], limit=6), d.num(dots[j]), "masked" if masked[j] else d.num(s),
                     d.num(alpha[i, j], bold=j == int(np.argmax(alpha[i])))])
    d.table(["key", "k_j", "q . k_j", f"/ {fmt(lay.scale, 4)}", "alpha"], rows)
    d.para(f"The scale is $\\sqrt{{d_k}} = {d.num(lay.scale)}$. Masked keys get $-\\infty$ before the softmax and weight 0. "
           f"The weights sum to {d.num(alpha[i].sum())}; the strongest key is {d.lit(tok[int(np.argmax(alpha[i]))])}.")
    d.heading("Weighted sum of the values", 2)
    top = [j for j in np.argsort(-alpha[i], kind="stable")[:4] if alpha[i, j] > 0]
    d.para("Largest terms: " + "; ".join(f"{d.num(alpha[i, j])} x $v$({d.lit(tok[j])}) = {d.vec(alpha[i, j] * v[j], limit=6)}"
                                         for j in top) + ".")
    d.para(f"$z_{{{i}}}$ = {d.vec(lay.head_outputs[h - 1][i])} (this head's output at {d.lit(tok[i])}; the {tr.config['heads']} "
           "heads are concatenated and projected by $W_o$).")
    return d.render(fmt_)


def _masked(tr, i: int, j: int) -> bool:
    return bool(tr.padding[j]) or (tr.family in ("gpt2", "encoder-decoder") and j > i)
