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

_FAMILY = {"bert": "encoder-only (BERT)", "gpt2": "decoder-only (GPT-2)", "vit": "Vision Transformer (ViT)"}


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
        parts = [f"word E [{cfg['vocab']}, {d}]", f"position P [{cfg['positions']}, {d}] (learned)"]
        if tr.family == "bert":
            parts.append(f"token type S [{cfg['types']}, {d}]" if cfg.get("types") else "token type S")
        rows = [font(esc("embeddings: " + " + ".join(p.split(" [")[0] for p in parts)), bold=True, size=13),
                _line(", ".join(parts), st)]
        if tr.family == "bert":
            rows.append(font(esc("then LayerNorm"), bold=True, size=12, color=D.role("candidate")))
    if _params(cfg, "embeddings"):
        rows.append(_line(_params(cfg, "embeddings"), st))
    rows.append(D.mono(esc(f"x^0 [{T}, {d}]"), size=11))
    _node(g, st, "embeddings", rows, "x")


def _sublayers(tr: Any, cfg: dict) -> list[tuple[str, str, str]]:
    """(id, label, role) of the repeated block, in the order the model applies them."""
    H, d = cfg["heads"], cfg["d_model"]
    mask = {"gpt2": "causal mask (key j > query i hidden)", "bert": "padding keys masked"}.get(tr.family, "no mask")
    mha = (f"multi-head self-attention: {H} heads, d_k = {d // H}", "attention", mask)
    ffn = (f"feed-forward {d} -> {cfg['d_ff']} -> {d}, {cfg.get('activation', '')}", "input", "position-wise")
    ln = ("LayerNorm", "candidate", "")
    add = ("+ residual", "output", "")
    if tr.norm == "pre-LN":
        seq = [("ln1", ln), ("mha", mha), ("add1", add), ("ln2", ln), ("ffn", ffn), ("add2", add)]
    else:
        seq = [("mha", mha), ("add1", add), ("ln1", ln), ("ffn", ffn), ("add2", add), ("ln2", ln)]
    return [(nid, *spec) for nid, spec in seq]


def _block(g: Any, st: Style, tr: Any, cfg: dict, T: int) -> None:
    L = cfg["layers"]
    sub = graphviz.Digraph(name="cluster_block")
    where = "before each sub-block (pre-LN)" if tr.norm == "pre-LN" else "after each residual addition (post-LN)"
    title = f"  one layer, repeated N = {L} times; LayerNorm {where}"
    per = _params(cfg, "layers")
    sub.attr(label=D.html_label(font(esc(f"\u00d7 {L}"), bold=True, size=22) + font(esc(title), bold=True, size=13)
                                + (f"<BR/>{_line(f'all {L} layers: ' + per, st)}" if per else "")),
             labelloc="b", labeljust="r", style="rounded,dashed", color=st.fg, penwidth="1.6", fontcolor=st.fg)
    prev, branch = "block_in", "block_in"
    sub.node("block_in", D.html_label(D.mono(esc(f"x^(l-1) [{T}, {cfg['d_model']}]"), size=11)), shape="plaintext")
    for nid, (label, role, note) in ((n, (lab, r, nt)) for n, lab, r, nt in _sublayers(tr, cfg)):
        rows = [font(esc(label), bold=True, size=12, color=D.role("candidate") if role == "candidate" else None)]
        if note:
            rows.append(_line(note, st, size=10))
        _node(sub, st, nid, rows, role, dashed=role == "output")
        sub.edge(prev, nid, color=st.edge, penwidth="1.8")
        if nid.startswith("add"):
            sub.edge(branch + ":e", nid + ":e", color=D.role("output"), style="dashed", penwidth="1.6", constraint="false",
                     label=D.edge_label(esc("residual"), st, size=10, color=st.muted))
        if nid.startswith("add") and tr.norm == "pre-LN" or nid.startswith("ln") and tr.norm == "post-LN":
            branch = nid
        prev = nid
    sub.node("block_out", D.html_label(D.mono(esc(f"x^l [{T}, {cfg['d_model']}]"), size=11)), shape="plaintext")
    sub.edge(prev, "block_out", color=st.edge, penwidth="1.8")
    g.subgraph(sub)


def _head_rows(st: Style, tr: Any, cfg: dict) -> list[str]:
    fam, d, V = tr.family, cfg["d_model"], cfg["vocab"]
    kind = tr.prediction_kind
    rows = []
    if fam == "gpt2":
        rows.append(font(esc(f"LM head tied to E: logits = LN_f(x^L) E^T  [T, {V}]"), bold=True, size=12))
    elif fam == "bert":
        if getattr(tr, "pooled", None) is not None:
            rows.append(font(esc(f"pooler: tanh(x^L[CLS] W + b)  [{d}]"), bold=True, size=12))
        if kind == "masked token":
            rows.append(font(esc(f"masked-LM head: LN(gelu(x^L W_t + b_t)) E^T + b  [T, {V}]"), bold=True, size=12))
    elif fam == "vit":
        rows.append(font(esc("classifier on the [class] token: LN_f(x^L)[0] W_c + b_c"), bold=True, size=12))
    for part in cfg.get("parameter_parts") or {}:
        if part not in ("embeddings", "layers", "total", "final LayerNorm"):
            rows.append(_line(f"{part}: {_params(cfg, part)}", st))
    for p in tr.predictions[:3] if kind != "none" else ():
        top = ", ".join(f"{token(t)} {st.num(float(pr))}" for t, pr in zip(p.top[:3], np.asarray(p.probs)[:3]))
        what = {"next token": f"next token after {p.position + 1} {p.token!r}", "class": "class (from [class])",
                "masked token": f"masked token at {p.position + 1}"}.get(kind, kind)
        rows.append(font(esc(what + ": "), size=10, color=st.muted) + font(top, size=10))
    return rows or [font(esc("no output head in this checkpoint"), size=11, color=st.muted)]


def build(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st, tr = style, computed.trace
    if not M.is_model(tr):
        raise_kind(tr)
    cfg = dict(tr.config)
    T = len(tr.tokens)
    g = D.digraph("transformer_model", st, rankdir="BT", nodesep="0.5", ranksep="0.32")
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
        g.edge(last, "final_ln", color=st.edge)
        last = "final_ln"
    _node(g, st, "head", _head_rows(st, tr, cfg), "y")
    g.edge(last, "head", color=st.edge)
    g.attr("graph", label=D.html_label(_title(st, tr, cfg, computed)), labelloc="t", labeljust="c")
    return g


def _title(st: Style, tr: Any, cfg: dict, computed: Any) -> str:
    fam = _FAMILY.get(tr.family, tr.family)
    H, d = cfg["heads"], cfg["d_model"]
    head = f"{fam}, {tr.norm}: {cfg['layers']} layers, d_model = {d}, {H} heads (d_k = {d // H}), d_ff = {cfg['d_ff']}"
    total = cfg.get("parameters")
    sizes = f"{cfg['positions']} positions, {cfg.get('activation', '')}"
    if tr.family != "vit":
        sizes = f"vocabulary {cfg['vocab']}, " + sizes
    if total is not None:
        sizes += f"; {_count(total)} parameters"
    src = M.source_name(computed)
    return (font(esc(head), bold=True, size=15) + "<BR/>" + font(esc(sizes), size=12)
            + (f"<BR/>{font(token(src), color=st.muted, size=11)}" if src else ""))
