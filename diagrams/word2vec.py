"""word2vec diagram: ``embedding-lookup`` (a one-hot vector times the embedding matrix selects one row).

Left to right: the one-hot column x_w (a 1 at the word's index, 0 elsewhere), the learned
matrix V (n x d) with row w highlighted, and the dense vector v_w = x_w^T V. Under it, the
contrast the trace measures: the one-hot cosine of the word with its nearest neighbour (0)
and the learned one.

Views only: every value is a field of :class:`engines.word2vec.Word2VecTrace` (``vocab``,
``one_hot``, ``V``, ``one_hot_cos``, ``neighbours``, ``neighbour_cos``), formatted by
``diagrams.style.fmt``; the word (``--word``) is looked up by the engine's ``word_index``.
"""
from __future__ import annotations

from typing import Any

import graphviz

from gatelab.engines.word2vec import word_index

from . import _draw as D
from ._draw import Style, esc, font, sym, token
from .lstm import _title

PICK = "input"   # colour role of the selected word / row


def _cell(text: str, *, bg: str | None = None, bold: bool = False, align: str = "RIGHT", width: int = 0) -> str:
    attrs = f' ALIGN="{align}"' + (f' BGCOLOR="{bg}"' if bg else "") + (f' WIDTH="{width}"' if width else "")
    return f"<TD{attrs}>{font(text, bold=bold) if text else ' '}</TD>"


def _one_hot(tr: Any, w: int, st: Style, hi: str) -> str:
    rows = [f'<TR><TD COLSPAN="2">{font(sym("x", tr.vocab[w]), bold=True, size=14)}</TD></TR>',
            f'<TR><TD COLSPAN="2">{font("one-hot", color=st.muted, size=10)}</TD></TR>']   # rows level with V's
    for i, word in enumerate(tr.vocab):
        on = i == w
        rows.append("<TR>" + _cell(font(token(word), color=st.muted, size=11), align="RIGHT")
                    + _cell(D.mono(esc(f"{tr.one_hot[w][i]:g}")), bg=hi if on else None, bold=on, align="CENTER",
                            width=28) + "</TR>")
    return '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">' + "".join(rows) + "</TABLE>"


def _matrix(tr: Any, w: int, st: Style, hi: str) -> str:
    d = tr.V.shape[1]
    head = (f'<TR><TD COLSPAN="{d + 1}">{font("V", bold=True, size=14)}  '
            f'{font(esc(f"({len(tr.vocab)} x {d}, learned)"), color=st.muted, size=11)}</TD></TR>')
    rows = [head, "<TR><TD></TD>" + "".join(_cell(font(str(j + 1), color=st.muted, size=10), align="CENTER")
                                           for j in range(d)) + "</TR>"]
    for i, word in enumerate(tr.vocab):
        on = i == w
        nums = "".join(_cell(D.mono(st.num(x)) if st.key else "", bg=hi if on else None, bold=on)
                       for x in tr.V[i])
        rows.append("<TR>" + _cell(font(token(word), color=st.fg if on else st.muted, size=11, bold=on)) + nums + "</TR>")
    return '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">' + "".join(rows) + "</TABLE>"


def _dense(tr: Any, w: int, st: Style, hi: str) -> str:
    rows = [f"<TR><TD>{font(sym('v', tr.vocab[w]), bold=True, size=14)}</TD></TR>"]
    rows += [f'<TR><TD BGCOLOR="{hi}" ALIGN="RIGHT" WIDTH="60">{D.mono(st.num(x)) if st.key else " "}</TD></TR>'
             for x in tr.V[w]]
    return '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">' + "".join(rows) + "</TABLE>"


def _contrast(tr: Any, w: int, st: Style) -> str:
    j = int(tr.neighbours[w][0])
    a, b = token(tr.vocab[w]), token(tr.vocab[j])
    rows = [f"one-hot: cos({sym('x', tr.vocab[w])}, {sym('x', tr.vocab[j])}) = {st.num(tr.one_hot_cos[w][j])}"
            f"  (any two different words: 0)",
            f"learned: cos({sym('v', tr.vocab[w])}, {sym('v', tr.vocab[j])}) = {st.num(tr.neighbour_cos[w][0])}",
            font(f"({b} is the nearest neighbour of {a})", color=st.muted, size=12)]
    if not st.key:
        rows = [f"one-hot vectors are orthogonal; learned vectors put {a} next to {b}"]
    body = "".join(f'<TR><TD ALIGN="LEFT">{r}</TD></TR>' for r in rows)
    return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">{body}</TABLE>'


def build(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    """x_w (one-hot) times V = row w of V, with the trace's numbers."""
    st = style
    tr = computed.trace
    w = word_index(tr, opts.get("word"))
    hi = D.role(PICK) + "55"      # the role colour, translucent, so the printed numbers stay readable
    what = f"embedding lookup of {tr.vocab[w]!r}: the one-hot vector selects row {w + 1} of V"
    g = D.digraph("embedding_lookup", st, rankdir="LR", nodesep="0.3", ranksep="0.35")
    g.attr("graph", label=D.html_label(font(esc(_title(computed, what)), bold=True, size=16)), labelloc="t",
           labeljust="c")
    g.node("x", D.html_label(_one_hot(tr, w, st, hi)), shape="plain")
    g.node("times", D.html_label(font("\u00d7", bold=True, size=22)), shape="plaintext")
    g.node("V", D.html_label(_matrix(tr, w, st, hi)), shape="plain")
    g.node("eq", D.html_label(font("=", bold=True, size=22)), shape="plaintext")
    g.node("v", D.html_label(_dense(tr, w, st, hi)), shape="plain")
    for a, b in (("x", "times"), ("times", "V"), ("V", "eq"), ("eq", "v")):
        g.edge(a, b, style="invis")
    note = [f"{sym('x', tr.vocab[w])}<SUP>T</SUP> V = row {w + 1} of V = {sym('v', tr.vocab[w])}",
            font("(the product adds the rows of V weighted by the one-hot", color=st.muted, size=12),
            font("entries, and all entries but one are 0)", color=st.muted, size=12)]
    body = "".join(f'<TR><TD ALIGN="LEFT">{r}</TD></TR>' for r in note)
    g.node("note", D.html_label('<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">' + body
                                + "<TR><TD>" + _contrast(tr, w, st) + "</TD></TR></TABLE>"),
           shape="box", style="rounded", color=st.muted)
    with g.subgraph(name="rank_v") as r:
        r.attr(rank="same")
        r.node("V")
        r.node("note")
    g.edge("V", "note", style="invis")
    return g
