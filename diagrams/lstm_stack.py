"""``lstm-stacked`` and ``lstm-bidirectional``: every run (layer, direction) of an LSTM trace on a
grid, time left to right, layers bottom to top; a bidirectional layer's output is the
concatenation [h_fwd_t, h_bwd_t] (``trace.outputs``).

Drawn with pinned positions (neato) so rows never swap. Views only: values are the trace's
``runs[k].steps[j].h`` / ``.c``, ``outputs`` and ``y``.
"""
from __future__ import annotations

from typing import Any

import graphviz

from gatelab.engines.registry import Computed
from gatelab.engines.errors import InputError

from . import _draw as D
from ._draw import Style, esc, font, sym
from .lstm import _title



def _cell_label(layer: int, direction: str, s: Any, st: Style, hidden: int) -> str:
    arrow = "\u2192" if direction == "forward" else "\u2190"
    sup = f"({layer + 1}{arrow})"
    rows = [f'<TR><TD>{font(sym("h", s.t, sup=sup, size=14), bold=True, size=14)}</TD></TR>']
    if st.key:
        rows.append(f'<TR><TD>{D.mono(st.vec(s.h), size=11)}</TD></TR>')
    if st.all:
        rows.append(f'<TR><TD>{font(sym("c", s.t) + " " + D.mono(st.vec(s.c), size=10), color=st.muted, size=10)}</TD></TR>')
    return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(rows)}</TABLE>'


def build(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st = style
    tr = computed.trace
    T = len(tr.steps)
    H = tr.hidden
    dirs = 2 if tr.bidirectional else 1
    if tr.num_layers == 1 and not tr.bidirectional:
        raise InputError("this LSTM trace has one layer and one direction; use --layers N or --bidirectional "
                         "(or the presets lstm-stacked / lstm-bidirectional)")
    hid, cell, xcol = D.role("hidden"), D.role("cell"), D.role("x")
    what = []
    if tr.num_layers > 1:
        what.append(f"{tr.num_layers} stacked layers")
    if tr.bidirectional:
        what.append("bidirectional")
    g = D.digraph("lstm_stack", st, rankdir="LR")
    g.attr("graph", layout="neato", splines="line", overlap="true", outputorder="edgesfirst")
    title = _title(computed, f"LSTM, {' and '.join(what)}, over T = {T} steps")
    mono_in = 0.092                                       # ~ width of one 11pt mono character, inches
    longest_h = max(len(st.vec(v)) for r in tr.runs for s_ in r.steps for v in (s_.h, s_.c))
    longest_cat = max(len(st.vec(o)) for o in tr.outputs)
    w_h = (mono_in * longest_h if st.key else 0.6) + 0.45
    w_cat = (mono_in * longest_cat if st.key else 0.9) + 0.35
    if tr.bidirectional:   # forward and backward nodes side by side (staggered rows), concat above
        dx = max(2 * w_h + 0.6, w_cat + 0.5, 2.2)
        off = w_h / 2 + 0.15
    else:
        dx = max(w_h + 0.9, 2.2)
        off = 0.0
    dy = 1.25 if not st.all else 1.45
    x0 = 0.0
    lx = -(dx / 2 + 0.5)                                  # row labels left of the first column

    def pin(x: float, y: float) -> str:
        return f"{x:.2f},{y:.2f}!"

    node = dict(shape="box", style="rounded,filled", fillcolor=st.bg, margin="0.08,0.04")
    y = 0.0
    for t in range(1, T + 1):
        xv = tr.xs[t - 1]
        xl = font(sym("x", t, size=14), bold=True, size=14)
        if st.key:
            xl += " = " + D.mono(st.vec(xv) if len(xv) > 1 else st.num(xv[0]), size=12)
        g.node(f"x_{t}", D.html_label(xl), color=xcol, penwidth="2", pos=pin(x0 + (t - 1) * dx, y), **node)
    g.node("row_x", D.html_label(font("input", color=st.muted, size=12)), shape="plaintext", pos=pin(lx, y))
    below = {t: f"x_{t}" for t in range(1, T + 1)}
    for layer in range(tr.num_layers):
        level = {}
        y += dy
        for d in range(dirs):
            run = tr.runs[layer * dirs + d]
            fwd = run.direction == "forward"
            ry = y if fwd else y + 0.55 * dy
            shift = -off if fwd else off
            arrow = "\u2192" if fwd else "\u2190"
            g.node(f"row_{layer}_{d}", D.html_label(font(esc(f"layer {layer + 1} {arrow}"), bold=True, size=12)
                                                     + "<BR/>" + font(esc(run.direction), color=st.muted, size=10)),
                   shape="plaintext", pos=pin(lx, ry))
            ids = {}
            for s in run.steps:
                nid = f"h_{layer}_{run.direction[0]}_{s.t}"
                ids[s.t] = nid
                g.node(nid, D.html_label(_cell_label(layer, run.direction, s, st, H)), color=hid, penwidth="2",
                       pos=pin(x0 + (s.t - 1) * dx + shift, ry), **node)
                g.edge(below[s.t], nid, color=xcol if layer == 0 else hid, penwidth="1.3")
            order = [s.t for s in run.steps]         # processing order (backward: T first)
            for a_, b_ in zip(order, order[1:]):
                g.edge(ids[a_], ids[b_], color=cell, penwidth="2.5")
            level[run.direction] = ids
        if tr.bidirectional:
            y += 1.3 * dy
            g.node(f"row_cat_{layer}", D.html_label(font(esc(f"layer {layer + 1} output"), bold=True, size=12)
                                                      + "<BR/>" + font("[h\u2192, h\u2190]", color=st.muted, size=10)),
                   shape="plaintext", pos=pin(lx, y))
            cat = {}
            for t in range(1, T + 1):
                nid = f"cat_{layer}_{t}"
                cat[t] = nid
                pair = font("[" + sym("h", t, sup="\u2192") + ", " + sym("h", t, sup="\u2190") + "]", bold=True, size=13)
                rows = f"<TR><TD>{pair}</TD></TR>"
                if st.key and layer == tr.num_layers - 1:
                    rows += f'<TR><TD>{D.mono(st.vec(tr.outputs[t - 1]), size=11)}</TD></TR>'
                g.node(nid, D.html_label(f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{rows}</TABLE>'),
                       color=st.fg, penwidth="1.5", pos=pin(x0 + (t - 1) * dx, y), **{**node, "style": "rounded,filled,dashed"})
                for direc in ("forward", "backward"):
                    g.edge(level[direc][t], nid, color=hid, penwidth="1.3")
            below = cat
        else:
            below = level["forward"]
    row = y / dy
    y_val = getattr(tr, "y", None)
    if y_val is not None:
        row += 1
        yl = font("y", bold=True, size=14) + " = V " + ("[" + sym("h", T, sup="\u2192") + ", " + sym("h", T, sup="\u2190") + "]"
                                                        if tr.bidirectional else sym("h", T, sup=f"({tr.num_layers})")) + " + " + sym("b", "y")
        if st.key:
            yl += " = " + D.mono(st.vec(y_val) if len(y_val) > 1 else st.num(y_val[0]), size=12)
        g.node("y", D.html_label(yl), shape="box", style="rounded,filled,bold", fillcolor=st.bg, color=st.fg,
               penwidth="2.5", pos=pin(x0 + (T - 1) * dx, row * dy))
        g.edge(below[T], "y", color=st.fg, penwidth="2")
    g.node("title", D.html_label(font(esc(title), bold=True, size=16)), shape="plaintext",
           pos=pin(x0 + (T - 1) * dx / 2, (row + 0.8) * dy))
    note = ("orange arrows: the recurrence (c and h carried to the next processed step); "
            "a backward run reads the sequence from t = T down to 1")
    g.node("note", D.html_label(font(esc(note), color=st.muted, size=11)), shape="plaintext",
           pos=pin(x0 + (T - 1) * dx / 2, -0.8))
    return g
