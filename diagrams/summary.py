"""``model-summary``: a Keras-style layer stack with per-layer parameter counts and the total.

Views only: counts, shapes and formulas are fields of the model-summary trace.
"""
from __future__ import annotations

from typing import Any

import graphviz

from . import _draw as D
from ._draw import Style, esc, font
from .lstm import _title


_ROLE = {"LSTM": "cell", "GRU": "update", "SimpleRNN": "hidden", "Dense": "output"}


def _shape(s: Any) -> str:
    """Keras style, batch first: the trace's per-sample shape [None, 30] prints as (None, None, 30)."""
    return "(" + ", ".join(["None"] + ["None" if v is None else str(v) for v in s]) + ")"


def _pretty(formula: str) -> str:
    return formula.replace("*", " \u00d7 ")


def build(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st = style
    tr = computed.trace
    g = D.digraph("model_summary", st, rankdir="TB", nodesep="0.3", ranksep="0.35")
    head = f"Model summary ({esc(tr.framework)}): {len(tr.layers)} layers, {tr.total:,} parameters"
    src = esc(_title(computed, "").strip(" \u00b7"))
    g.attr("graph", label=D.html_label(font(esc(head), bold=True, size=16)
                                       + (f"<BR/>{font(src, color=st.muted, size=12)}" if src else "")),
           labelloc="t", labeljust="c")
    box = dict(shape="plain")
    g.node("input", D.html_label(
        f'<TABLE BORDER="2" CELLBORDER="0" CELLPADDING="6" COLOR="{D.role("x")}" BGCOLOR="{st.bg}">'
        f'<TR><TD>{font("Input", bold=True, size=14)}  {D.mono(esc(_shape(tr.input_shape)), size=12)}</TD></TR></TABLE>'), **box)
    prev = "input"
    for layer in tr.layers:
        colour = D.role(_ROLE.get(layer.type, "hidden"))
        nid = f"layer_{layer.index}"
        seq = "  return_sequences" if layer.return_sequences and layer.type != "Dense" else ""
        rows = [
            f'<TR><TD ROWSPAN="3" WIDTH="10" BGCOLOR="{colour}"></TD>'
            f'<TD ALIGN="LEFT">{font(esc(f"{layer.name}({layer.units})"), bold=True, size=15)}'
            f'{font(esc(seq), color=st.muted, size=11)}</TD>'
            f'<TD ALIGN="RIGHT">{font(esc(f"{layer.params:,}"), bold=True, size=15)} {font("params", color=st.muted, size=11)}</TD></TR>',
            f'<TR><TD ALIGN="LEFT">{font("output shape", color=st.muted, size=11)} {D.mono(esc(_shape(layer.output_shape)), size=12)}</TD>'
            f'<TD ALIGN="RIGHT">{font("input dim", color=st.muted, size=11)} {D.mono(esc(str(layer.input_dim)), size=12)}</TD></TR>',
        ]
        if st.key:
            parts = (f"kernel {layer.kernel:,} + recurrent {layer.recurrent:,} + bias {layer.bias:,}"
                     if layer.recurrent else f"kernel {layer.kernel:,} + bias {layer.bias:,}")
            rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="2">{D.mono(esc(_pretty(layer.formula)), size=12)}'
                        f'   {font(esc(parts), color=st.muted, size=11)}</TD></TR>')
        else:
            rows.append('<TR><TD COLSPAN="2"></TD></TR>')
        g.node(nid, D.html_label(
            f'<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="5" COLOR="{st.fg}" BGCOLOR="{st.panel}">'
            f'{"".join(rows)}</TABLE>'), **box)
        g.edge(prev, nid, color=st.edge, penwidth="2")
        prev = nid
    total = (f'<TR><TD ALIGN="LEFT">{font("Total params", bold=True, size=15)}</TD>'
             f'<TD ALIGN="RIGHT">{font(esc(f"{tr.total:,}"), bold=True, size=15)}</TD></TR>'
             f'<TR><TD ALIGN="LEFT" COLSPAN="2">{D.mono(esc(tr.total_formula), size=12)}</TD></TR>'
             f'<TR><TD ALIGN="LEFT" COLSPAN="2">{font(esc("convention: " + tr.convention), color=st.muted, size=11)}</TD></TR>')
    g.node("total", D.html_label(f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="3">{total}</TABLE>'),
           shape="box", style="rounded,filled", fillcolor=st.bg, color=st.fg, penwidth="2.5")
    g.edge(prev, "total", style="dashed", color=st.muted, arrowhead="none")
    return g
