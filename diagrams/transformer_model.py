"""``transformer-model``: the architecture of a loaded whole Transformer (BERT, GPT-2, ViT).

Drawn bottom-up: the input (tokens or image patches), the embeddings, the N layers collapsed into
one repeated block marked ``x N`` with its LayerNorms where the model really has them (pre-LN:
before each sub-block, and a final LayerNorm after the stack; post-LN: after each residual
addition), the heads (multi-head attention with its mask, and the family's output head), the
sizes and the parameter counts. Every size, count and prediction comes from the trace
(``config``, ``family``, ``norm``, ``predictions``); this module only lays them out.
"""
from __future__ import annotations

from typing import Any

import graphviz
import numpy as np

from . import _draw as D
from . import _model as M
from ._draw import Style, esc, font, token
from .attention_heads import raise_kind

_FAMILY = {"bert": "encoder-only (BERT)", "gpt2": "decoder-only (GPT-2)", "vit": "Vision Transformer (ViT)",
           "roberta": "encoder-only (RoBERTa)", "distilbert": "encoder-only (DistilBERT)",
           "electra": "encoder-only (ELECTRA)"}


def _count(n: Any) -> str:
    return f"{int(n):,}"


def _box(rows: list[str]) -> str:
    return D.html_label('<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">'
                        + "".join(f"<TR><TD>{r}</TD></TR>" for r in rows) + "</TABLE>")


def _node(g: Any, st: Style, nid: str, rows: list[str], role: str, *, dashed: bool = False) -> None:
    g.node(nid, _box(rows), shape="box", style="rounded,filled" + (",dashed" if dashed else ""),
           fillcolor=st.panel, color=D.role(role), penwidth="2", margin="0.12,0.05")


def _params(cfg: dict, key: str) -> str:
    """``N parameters`` when the trace's parameter breakdown (``config["parameter_parts"]``) has ``key``."""
    p = cfg.get("parameter_parts") or {}
    if key in p:
        return f"{_count(p[key])} parameters"
    return ""


def _line(text: str, st: Style, *, size: int = 11, muted: bool = True) -> str:
    return font(esc(text), size=size, color=st.muted if muted else None)


def _embeddings(g: Any, st: Style, tr: Any, cfg: dict, T: int) -> None:
    d = cfg["d_model"]
    if tr.family == "vit":
        rows = [font(esc("patch embedding + [class] + position"), bold=True, size=13),
                _line(f"patches flattened ({tr.patch_size} x {tr.patch_size} px) x W_p, [class] token x_class [{d}] "
                      f"prepended, learned positions [{cfg['positions']}, {d}] added", st)]
    else:
        mt = cfg.get("model_type")
        learned = "learned, counted from padding_idx + 1" if mt == "roberta" else "learned"
        E = cfg.get("embedding_size", d)
        parts = [f"word E [{cfg['vocab']}, {E}]", f"position P [{cfg['positions']}, {E}] ({learned})"]
        if tr.family == "bert" and mt != "distilbert":
            parts.append(f"token type S [{cfg['types']}, {E}]" if cfg.get("types") else "token type S")
        rows = [font(esc("embeddings: " + " + ".join(p.split(" [")[0] for p in parts)), bold=True, size=13),
                _line(", ".join(parts), st)]
        if tr.family == "bert":
            rows.append(font(esc("then LayerNorm"), bold=True, size=12, color=D.role("candidate")))
    if _params(cfg, "embeddings"):
        rows.append(_line(_params(cfg, "embeddings"), st))
    if cfg.get("embedding_size", d) != d:               # ELECTRA: narrower embeddings, projected to d
        rows.append(font(esc(f"then a linear projection {cfg['embedding_size']} -> {d} (embeddings_project)"),
                         bold=True, size=12))
        if _params(cfg, "embedding projection"):
            rows.append(_line(_params(cfg, "embedding projection"), st))
    rows.append(D.mono(esc(f"x^0 [{T}, {d}]"), size=11))
    _node(g, st, "embeddings", rows, "x")


def _sublayers(tr: Any, cfg: dict, *, decoder: bool = False) -> list[tuple[str, str, str, str]]:
    """(id, label, role, note) of the repeated block, in the order the model applies them."""
    H, d = cfg["heads"], cfg["d_model"]
    causal = tr.family == "gpt2" or decoder
    mask = ("causal mask (key j > query i hidden)" if causal else
            {"bert": "padding keys masked"}.get(tr.family, "no mask"))
    mha = (f"{'masked ' if causal else ''}multi-head self-attention: {H} heads, d_k = {d // H}", "attention", mask)
    cross = (f"cross-attention: {H} heads", "attention", "queries from the decoder; keys and values from the memory")
    ffn = (f"feed-forward {d} -> {cfg['d_ff']} -> {d}, {cfg.get('activation', '')}", "input", "position-wise")
    ln = ("LayerNorm", "candidate", "")
    add = ("+ residual", "output", "")
    subs = [("1", mha), *([("c", cross)] if decoder else []), ("2", ffn)]
    seq = []
    for k, sub in subs:
        seq += [(f"ln{k}", ln), (sub[0].split()[0], sub), (f"add{k}", add)] if tr.norm == "pre-LN" else \
               [(sub[0].split()[0], sub), (f"add{k}", add), (f"ln{k}", ln)]
    ids = {"multi-head": "mha", "masked": "mha", "cross-attention:": "cross", "feed-forward": "ffn"}
    return [(ids.get(nid, nid), *spec) for nid, spec in seq]


def _block(g: Any, st: Style, tr: Any, cfg: dict, T: int, *, p: str = "", L: int | None = None,
           per_key: str = "layers", decoder: bool = False, what: str = "one layer") -> None:
    """The repeated layer drawn once in a dashed box marked x N; node ids start with ``p``."""
    L = cfg["layers"] if L is None else L
    sub = graphviz.Digraph(name=f"cluster_{p}block")
    where = "before each sub-block (pre-LN)" if tr.norm == "pre-LN" else "after each residual addition (post-LN)"
    title = f"  {what}, repeated N = {L} times; LayerNorm {where}"
    per = _params(cfg, per_key)
    sub.attr(label=D.html_label(font(esc(f"\u00d7 {L}"), bold=True, size=22) + font(esc(title), bold=True, size=13)
                                + (f"<BR/>{_line(f'all {L} layers: ' + per, st)}" if per else "")),
             labelloc="b", labeljust="r", style="rounded,dashed", color=st.fg, penwidth="1.6", fontcolor=st.fg)
    prev = branch = f"{p}block_in"
    sub.node(prev, D.html_label(D.mono(esc(f"x^(l-1) [{T}, {cfg['d_model']}]"), size=11)), shape="plaintext")
    for nid, label, role, note in _sublayers(tr, cfg, decoder=decoder):
        rows = [font(esc(label), bold=True, size=12, color=D.role("candidate") if role == "candidate" else None)]
        if note:
            rows.append(_line(note, st, size=10))
        _node(sub, st, p + nid, rows, role, dashed=role == "output")
        sub.edge(prev, p + nid, color=st.edge, penwidth="1.8")
        if nid.startswith("add"):
            sub.edge(branch + ":e", p + nid + ":e", color=D.role("output"), style="dashed", penwidth="1.6",
                     constraint="false", label=D.edge_label(esc("residual"), st, size=10, color=st.muted))
        if nid.startswith("add") and tr.norm == "pre-LN" or nid.startswith("ln") and tr.norm == "post-LN":
            branch = p + nid
        prev = p + nid
    sub.node(f"{p}block_out", D.html_label(D.mono(esc(f"x^l [{T}, {cfg['d_model']}]"), size=11)), shape="plaintext")
    sub.edge(prev, f"{p}block_out", color=st.edge, penwidth="1.8")
    g.subgraph(sub)


def _edge_out(g: Any, st: Style, tail: str, head: str) -> None:
    """An edge onwards; out of a repeated block it starts at the box's edge, clear of the box's title."""
    block = tail.endswith("block_out") and {"ltail": "cluster_" + tail[:-len("_out")]} or {}
    g.edge(tail, head, color=st.edge, **block)


def _final_ln(g: Any, st: Style, cfg: dict, nid: str, after: str, part: str = "final LayerNorm") -> str:
    rows = [font(esc("final LayerNorm"), bold=True, size=12, color=D.role("candidate"))]
    _node(g, st, nid, rows, "candidate")
    _edge_out(g, st, after, nid)
    return nid


def _encoder_decoder(g: Any, st: Style, tr: Any, cfg: dict) -> str:
    """Source stack left, target stack right; the encoder's output is every decoder layer's memory."""
    d, S, T = cfg["d_model"], len(tr.source_tokens), len(tr.tokens)
    pos = "sinusoidal positions" if isinstance(cfg.get("positions"), str) else f"positions P [{cfg['positions']}, {d}]"
    for p, toks, vocab, n in (("enc_", tr.source_tokens, cfg.get("source_vocab", cfg["vocab"]), S),
                              ("dec_", tr.tokens, cfg["vocab"], T)):
        side = "source" if p == "enc_" else "target"
        shown = " ".join(str(t) for t in toks[:12]) + (" ..." if len(toks) > 12 else "")
        g.node(f"{p}input", D.html_label(font(esc(f"{side}: {shown}"), size=12)), shape="plaintext")
        _node(g, st, f"{p}embeddings", [font(esc(f"{side} embeddings E [{vocab}, {d}] + {pos}"), bold=True, size=12),
                                         D.mono(esc(f"[{n}, {d}]"), size=11)], "x")
        g.edge(f"{p}input", f"{p}embeddings", color=st.edge)
        g.edge(f"{p}embeddings", f"{p}block_in", color=st.edge)
    _block(g, st, tr, cfg, S, p="enc_", L=cfg.get("encoder_layers", cfg["layers"]), per_key="encoder layers",
           what="encoder layer")
    _block(g, st, tr, cfg, T, p="dec_", per_key="decoder layers", decoder=True, what="decoder layer")
    enc_out, dec_out = "enc_block_out", "dec_block_out"
    if "final LayerNorms" in (cfg.get("parameter_parts") or {}) or tr.norm == "pre-LN":
        enc_out = _final_ln(g, st, cfg, "enc_final_ln", enc_out)
        dec_out = _final_ln(g, st, cfg, "dec_final_ln", dec_out)
    g.edge(enc_out, "dec_cross", color=D.role("attention"), penwidth="2.2", constraint="false",
           label=D.edge_label(esc(f"memory [{S}, {d}]: K, V of every decoder layer"), st, size=11))
    return dec_out


def _head_rows(st: Style, tr: Any, cfg: dict) -> list[str]:
    fam, d, V = tr.family, cfg["d_model"], cfg["vocab"]
    kind = tr.prediction_kind
    rows = []
    if fam == "gpt2" and kind == "class":
        rows.append(font(esc("sequence classifier: softmax(LN_f(x^L)[last] W_s) over the labels"), bold=True, size=12))
    elif fam == "gpt2":
        rows.append(font(esc(f"LM head tied to E: logits = LN_f(x^L) E^T  [T, {V}]"), bold=True, size=12))
    elif fam == "bert":
        if getattr(tr, "pooled", None) is not None:
            pool = cfg.get("pooler") or {"tensor": "pooler", "activation": "tanh"}
            first = "<s>" if cfg.get("model_type") == "roberta" else "CLS"
            rows.append(font(esc(f"{pool['tensor']}: {pool['activation']}(x^L[{first}] W + b)  [{d}]"), bold=True, size=12))
        if getattr(tr, "next_sentence", None):
            ns = tr.next_sentence
            rows.append(font(esc("next-sentence head: softmax(pooled W_s + b_s)"), bold=True, size=12))
            rows.append(font(esc("is next: "), size=10, color=st.muted) + font(st.num(ns["is_next"]), size=10)
                        + font(esc(", not next: "), size=10, color=st.muted) + font(st.num(ns["not_next"]), size=10))
        if kind == "masked token":
            rows.append(font(esc(f"masked-LM head: LN(gelu(x^L W_t + b_t)) E^T + b  [T, {V}]"), bold=True, size=12))
        elif kind == "class":
            rows.append(font(esc("sequence classifier: softmax(pooled W_c + b_c) over the labels"), bold=True, size=12))
        elif kind == "replaced token":
            rows.append(font(esc("discriminator: P(replaced) = sigmoid(act(x^L W + b) w + b) at every token"),
                             bold=True, size=12))
        elif kind == "token class":
            rows.append(font(esc("token classifier: softmax(x^L W_c + b_c) over the labels, at every token"), bold=True,
                             size=12))
    elif fam == "vit":
        if getattr(tr, "pooled", None) is not None:
            pool = cfg.get("pooler") or {"tensor": "pooler", "activation": "tanh"}
            rows.append(font(esc(f"{pool['tensor']} on the [class] token: {pool['activation']}(LN_f(x^L)[0] W + b)  "
                                 f"[{len(tr.pooled)}]"), bold=True, size=12))
        if kind == "class":
            rows.append(font(esc("classifier on the [class] token: LN_f(x^L)[0] W_c + b_c"), bold=True, size=12))
    elif fam == "encoder-decoder":
        rows.append(font(esc(f"generator: softmax(x W_g + b_g) over the target vocabulary  [T, {V}]"), bold=True, size=12))
    for part in cfg.get("parameter_parts") or {}:
        if part not in ("embeddings", "layers", "total", "final LayerNorm", "encoder layers", "decoder layers",
                        "embedding projection"):
            rows.append(_line(f"{part}: {_params(cfg, part)}", st))
    for p in tr.predictions[:3] if kind != "none" else ():
        top = ", ".join(f"\u201c{token(t)}\u201d {st.num(float(pr))}" for t, pr in zip(p.top[:3], np.asarray(p.probs)[:3]))
        what = {"next token": f"next token after {p.position} {p.token!r}",
                "class": {"vit": "class (from [class])", "gpt2": f"class (from the last token {p.token!r})"}.get(
                    fam, "class (from [CLS])"),
                "token class": f"class of {p.position} {p.token!r}",
                "replaced token": f"token {p.position} {p.token!r}",
                "masked token": f"masked token at {p.position}"}.get(kind, kind)
        rows.append(font(esc(what + ": "), size=10, color=st.muted) + font(top, size=10))
    return rows or [font(esc("no output head in this checkpoint"), size=11, color=st.muted)]


def _single_stack(g: Any, st: Style, tr: Any, cfg: dict, T: int) -> str:
    """Input, embeddings, the repeated layer, and the final LayerNorm of a pre-LN model; returns the last node."""
    if tr.family == "vit":
        C, Hpx, Wpx = np.asarray(tr.image).shape
        inp = f"image {C} x {Hpx} x {Wpx} -> {tr.grid[0]} x {tr.grid[1]} = {T - 1} patches + [class] = {T} tokens"
    else:
        shown = " ".join(M.tokens(tr)[:16]) + (" ..." if T > 16 else "")
        inp = f"{T} tokens: {shown}"
    g.node("input", D.html_label(font(token(inp) if len(inp) <= 48 else esc(inp[:140]), size=12)), shape="plaintext")
    _embeddings(g, st, tr, cfg, T)
    _block(g, st, tr, cfg, T)
    g.edge("input", "embeddings", color=st.edge)
    g.edge("embeddings", "block_in", color=st.edge)
    last = "block_out"
    if tr.norm == "pre-LN":
        ln_rows = [font(esc("final LayerNorm LN_f"), bold=True, size=12, color=D.role("candidate"))]
        if _params(cfg, "final LayerNorm"):
            ln_rows.append(_line(_params(cfg, "final LayerNorm"), st))
        _node(g, st, "final_ln", ln_rows, "candidate")
        _edge_out(g, st, last, "final_ln")
        last = "final_ln"
    return last


def build(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st, tr = style, computed.trace
    if not M.is_model(tr):
        raise_kind(tr)
    cfg = dict(tr.config)
    T = len(tr.tokens)
    g = D.digraph("transformer_model", st, rankdir="BT", nodesep="0.5", ranksep="0.32", compound="true")
    if tr.family == "encoder-decoder":
        last = _encoder_decoder(g, st, tr, cfg)
    else:
        last = _single_stack(g, st, tr, cfg, T)
    _node(g, st, "head", _head_rows(st, tr, cfg), "y")
    _edge_out(g, st, last, "head")
    g.attr("graph", label=D.html_label(_title(st, tr, cfg, computed)), labelloc="t", labeljust="c")
    return g


def _title(st: Style, tr: Any, cfg: dict, computed: Any) -> str:
    mt = (tr.config or {}).get("model_type", tr.family)
    fam = _FAMILY.get(mt, _FAMILY.get(tr.family, tr.family))
    H, d = cfg["heads"], cfg["d_model"]
    head = f"{fam}, {tr.norm}: {cfg['layers']} layers, d_model = {d}, {H} heads (d_k = {d // H}), d_ff = {cfg['d_ff']}"
    total = cfg.get("parameters")
    sizes = f"{cfg['positions']} positions, {cfg.get('activation', '')}"
    if tr.family == "encoder-decoder" and cfg.get("source_vocab"):
        sizes = f"vocabulary {cfg['source_vocab']} (source), {cfg['vocab']} (target), " + sizes
    elif tr.family != "vit":
        sizes = f"vocabulary {cfg['vocab']}, " + sizes
    if total is not None:
        sizes += f"; {_count(total)} parameters"
    src = M.source_name(computed)
    lines = [font(esc(head), bold=True, size=15), font(esc(sizes), size=12)]
    lines += [font(token(src), color=st.muted, size=11)] if src else []
    return ('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'     # rows apart: d_k's _ clears the line below
            + "".join(f"<TR><TD>{line}</TD></TR>" for line in lines) + "</TABLE>")
