"""``transformer-block``: the encoder and decoder blocks of "Attention is all you need" (post-LN),
drawn bottom-up with tensor shapes from the trace (``sublayers[k].shape``) and residual
connections as side edges. ``--block encoder|decoder`` draws one; by default both (the same
preset run as each block). Views only: shapes and the values of the first token are trace fields.
"""
from __future__ import annotations

from typing import Any

import graphviz

from gatelab.engines.registry import Computed

from . import _draw as D
from ._draw import Style, esc, font
from .lstm import _title


_ROLE = {"attention": "attention", "add": "output", "ffn": "input", "input": "x"}


def _kind(name: str) -> str:
    if "attention" in name:
        return "attention"
    if name.startswith("add"):
        return "add"
    if name.startswith("ffn"):
        return "ffn"
    return "input"


def _shape(shape: Any) -> str:
    return "[" + ", ".join(str(v) for v in shape) + "]"


def _block(g: graphviz.Digraph, c: Computed, st: Style, p: str) -> None:
    tr = c.trace
    sub = graphviz.Digraph(name=f"cluster_{p}")
    heads = tr.self_attn.num_heads
    title = f"{tr.block.capitalize()} block (post-LN), d_model = {tr.d_model}, d_ff = {tr.d_ff}, {heads} heads"
    sub.attr(label=D.html_label(font(esc(title), bold=True, size=14)), labelloc="b", style="rounded",
             color=st.muted, penwidth="1.2", fontcolor=st.fg)  # BT layout: "b" is the top
    toks = " ".join(D.token(t) for t in tr.tokens)
    prev = None
    residual_from = None
    ids = []
    for k, s in enumerate(tr.sublayers):
        kind = _kind(s.name)
        colour = D.role(_ROLE[kind])
        nid = f"{p}sub_{k}"
        ids.append(nid)
        label = s.name
        if s.name.startswith("self-attention") or s.name.startswith("masked self-attention"):
            label = f"{s.name} ({heads} heads)"
        if s.name.startswith("cross-attention"):
            label = f"{s.name} ({tr.cross_attn.num_heads} heads, keys/values from memory)"
        rows = [f'<TR><TD>{font(esc(label), bold=True, size=13)}</TD></TR>',
                f'<TR><TD>{D.mono(esc(_shape(s.shape)), size=11)} {font(esc("[T, d_ff]" if s.shape[-1] == tr.d_ff and tr.d_ff != tr.d_model else "[T, d_model]"), color=st.muted, size=10)}</TD></TR>']
        if st.all:
            rows.append(f'<TR><TD>{font(esc("token 1: "), color=st.muted, size=10)}{D.mono(st.vec(s.value[0]), size=10)}</TD></TR>')
        style = "rounded,filled" if kind != "input" else "rounded,filled,dashed"
        sub.node(nid, D.html_label(f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(rows)}</TABLE>'),
                 shape="box", style=style, fillcolor=st.panel if kind != "add" else st.bg, color=colour,
                 penwidth="2.2", margin="0.12,0.06")
        if prev is not None:
            sub.edge(prev, nid, color=st.edge, penwidth="1.8")
        if kind in ("attention",) or s.name == "ffn hidden (relu)":
            residual_from = prev
        if kind == "add" and residual_from is not None:
            sub.edge(residual_from + ":e", nid + ":e", color=D.role("output"), penwidth="1.6", style="dashed",
                     constraint="false", label=D.edge_label(esc("residual"), st, size=10, color=st.muted))
            residual_from = None
        prev = nid
    inp = f"{p}tokens"
    sub.node(inp, D.html_label(font(esc("tokens: ") + toks, size=12)), shape="plaintext")
    sub.edge(inp, ids[0], color=st.edge)
    g.subgraph(sub)
    if tr.block == "decoder" and tr.memory is not None:
        mem = f"{p}memory"
        mtoks = " ".join(D.token(t) for t in tr.memory_tokens)
        lab = font(esc("memory (encoder output) "), bold=True, size=12) + D.mono(esc(_shape(tr.memory.shape)), size=11)
        lab += "<BR/>" + font(mtoks, size=11, color=st.muted)
        g.node(mem, D.html_label(lab), shape="box", style="rounded,filled,dashed", fillcolor=st.bg,
               color=D.role("attention"), penwidth="1.8")
        cross = [i for i, s in enumerate(tr.sublayers) if s.name.startswith("cross-attention")]
        if cross:
            g.edge(mem, ids[cross[0]], color=D.role("attention"), penwidth="2", label=D.edge_label(esc("K, V"), st, size=11))


def build(computed: dict, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st = style
    g = D.digraph("transformer_block", st, rankdir="BT", nodesep="0.5", ranksep="0.35")
    for k in ("encoder", "decoder"):
        if k in computed:
            _block(g, computed[k], st, f"{k}_")
    first = next(iter(computed.values()))
    head = _title(first, "Transformer block" + ("s" if len(computed) > 1 else ""))
    g.attr("graph", label=D.html_label(font(esc(head), bold=True, size=16) + "<BR/>"
                                       + font(esc("shapes [T, d] from the trace; dashed: residual y = x + H(x), then layer norm"),
                                              color=st.muted, size=11)),
           labelloc="t", labeljust="c")
    return g
