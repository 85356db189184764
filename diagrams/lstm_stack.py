"""``lstm-stacked`` and ``lstm-bidirectional``: every run (layer, direction) of an LSTM trace on a
grid, time left to right, layers bottom to top; a bidirectional layer's output is the
concatenation [h_fwd_t, h_bwd_t] (``trace.outputs``).

Drawn with pinned positions (neato) so rows never swap. Views only: values are the trace's
``runs[k].steps[j].h`` / ``.c``, ``outputs`` and ``y``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import graphviz

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


@dataclass
class _Grid:
    """The pinned grid of the figure (inches): column pitch dx, row pitch dy, forward/backward stagger."""
    g: graphviz.Digraph
    st: Style
    dx: float
    dy: float
    off: float
    lx: float                          # x of the row labels, left of the first column
    y: float = 0.0                     # the row being drawn

    @staticmethod
    def pin(x: float, y: float) -> str:
        return f"{x:.2f},{y:.2f}!"

    @property
    def node(self) -> dict[str, str]:
        return dict(shape="box", style="rounded,filled", fillcolor=self.st.bg, margin="0.08,0.04")

    def label(self, nid: str, html: str, y: float) -> None:
        self.g.node(nid, D.html_label(html), shape="plaintext", pos=self.pin(self.lx, y))


def _grid(g: graphviz.Digraph, tr: Any, st: Style, computed: Any) -> _Grid:
    mono_in = 0.092                                       # ~ width of one 11pt mono character, inches
    longest_h = max(len(st.vec(v)) for r in tr.runs for s_ in r.steps for v in (s_.h, s_.c))
    longest_cat = max(len(st.vec(o)) for o in tr.outputs)
    w_h = (mono_in * longest_h if st.key else 0.6) + 0.45
    # an input node: "x_t = " (and "E[id] = " when the inputs were token ids), then a line of its values
    ids = bool((getattr(computed, "provenance", None) or {}).get("token_ids"))
    w_x = 0.1 * ((max(len(st.vec(x[:D.WRAP])) for x in tr.xs) if st.key else 0) + 6 + 9 * ids) + 0.3
    w_cat = (mono_in * longest_cat if st.key else 0.9) + 0.35
    if tr.bidirectional:   # forward and backward nodes side by side (staggered rows), concat above
        dx, off = max(2 * w_h + 0.6, w_cat + 0.5, w_x + 0.4, 2.2), w_h / 2 + 0.15
    else:
        dx, off = max(w_h + 0.9, w_x + 0.4, 2.2), 0.0
    return _Grid(g, st, dx, 1.25 if not st.all else 1.45, off, -(dx / 2 + 0.5))


def build(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st = style
    tr = computed.trace
    T = len(tr.steps)
    if tr.num_layers == 1 and not tr.bidirectional:
        raise InputError("this LSTM trace has one layer and one direction; use --layers N or --bidirectional "
                         "(or the presets lstm-stacked / lstm-bidirectional)")
    what = []
    if tr.num_layers > 1:
        what.append(f"{tr.num_layers} stacked layers")
    if tr.bidirectional:
        what.append("bidirectional")
    g = D.digraph("lstm_stack", st, rankdir="LR")
    g.attr("graph", layout="neato", splines="line", overlap="true", outputorder="edgesfirst")
    title = _title(computed, f"LSTM, {' and '.join(what)}, over T = {T} steps")
    gr = _grid(g, tr, st, computed)
    for t in range(1, T + 1):
        g.node(f"x_{t}", D.html_label(D.x_label(computed, t, tr.xs[t - 1], st)), color=D.role("x"), penwidth="2", pos=gr.pin((t - 1) * gr.dx, gr.y), **gr.node)
    gr.label("row_x", font("input", color=st.muted, size=12), gr.y)
    below = {t: f"x_{t}" for t in range(1, T + 1)}
    for layer in range(tr.num_layers):
        gr.y += gr.dy
        level = {run.direction: _run_row(gr, tr, layer, run, below) for run in tr.runs[layer * (1 + tr.bidirectional):
                                                                                      (layer + 1) * (1 + tr.bidirectional)]}
        below = _concat_row(gr, tr, layer, level) if tr.bidirectional else level["forward"]
    row = gr.y / gr.dy
    if getattr(tr, "y", None) is not None:
        row += 1
        _output(gr, tr, below[T], row)
    g.node("title", D.html_label(font(esc(title), bold=True, size=16)), shape="plaintext",
           pos=gr.pin((T - 1) * gr.dx / 2, (row + 0.8) * gr.dy))
    note = ("orange arrows: the recurrence (c and h carried to the next processed step); "
            "a backward run reads the sequence from t = T down to 1")
    g.node("note", D.html_label(font(esc(note), color=st.muted, size=11)), shape="plaintext",
           pos=gr.pin((T - 1) * gr.dx / 2, -0.8))
    return g


def _run_row(gr: _Grid, tr: Any, layer: int, run: Any, below: dict[int, str]) -> dict[int, str]:
    """One run of one layer: a node per step fed from below, recurrence edges in processing order."""
    g, st = gr.g, gr.st
    fwd = run.direction == "forward"
    ry = gr.y if fwd else gr.y + 0.55 * gr.dy
    arrow = "\u2192" if fwd else "\u2190"
    gr.label(f"row_{layer}_{0 if fwd else 1}", font(esc(f"layer {layer + 1} {arrow}"), bold=True, size=12)
             + "<BR/>" + font(esc(run.direction), color=st.muted, size=10), ry)
    ids = {}
    for s in run.steps:
        nid = f"h_{layer}_{run.direction[0]}_{s.t}"
        ids[s.t] = nid
        g.node(nid, D.html_label(_cell_label(layer, run.direction, s, st, tr.hidden)), color=D.role("hidden"),
               penwidth="2", pos=gr.pin((s.t - 1) * gr.dx + (-gr.off if fwd else gr.off), ry), **gr.node)
        g.edge(below[s.t], nid, color=D.role("x") if layer == 0 else D.role("hidden"), penwidth="1.3")
    order = [s.t for s in run.steps]         # processing order (backward: T first)
    for a_, b_ in zip(order, order[1:]):
        g.edge(ids[a_], ids[b_], color=D.role("cell"), penwidth="2.5")
    return ids


def _concat_row(gr: _Grid, tr: Any, layer: int, level: dict[str, dict[int, str]]) -> dict[int, str]:
    """A bidirectional layer's outputs [h→_t, h←_t] (numbers on the top layer, which feeds y)."""
    g, st = gr.g, gr.st
    gr.y += 1.3 * gr.dy
    gr.label(f"row_cat_{layer}", font(esc(f"layer {layer + 1} output"), bold=True, size=12)
             + "<BR/>" + font("[h\u2192, h\u2190]", color=st.muted, size=10), gr.y)
    cat = {}
    for t in range(1, len(tr.steps) + 1):
        nid = f"cat_{layer}_{t}"
        cat[t] = nid
        pair = font("[" + sym("h", t, sup="\u2192") + ", " + sym("h", t, sup="\u2190") + "]", bold=True, size=13)
        rows = f"<TR><TD>{pair}</TD></TR>"
        if st.key and layer == tr.num_layers - 1:
            rows += f'<TR><TD>{D.mono(st.vec(tr.outputs[t - 1]), size=11)}</TD></TR>'
        g.node(nid, D.html_label(f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{rows}</TABLE>'),
               color=st.fg, penwidth="1.5", pos=gr.pin((t - 1) * gr.dx, gr.y), **{**gr.node, "style": "rounded,filled,dashed"})
        for direc in ("forward", "backward"):
            g.edge(level[direc][t], nid, color=D.role("hidden"), penwidth="1.3")
    return cat


def _output(gr: _Grid, tr: Any, top: str, row: float) -> None:
    """y = V h_T + b_y from the top layer's last output."""
    st, T, y_val = gr.st, len(tr.steps), tr.y
    h_top = ("[" + sym("h", T, sup="\u2192") + ", " + sym("h", T, sup="\u2190") + "]" if tr.bidirectional
             else sym("h", T, sup=f"({tr.num_layers})"))
    yl = font("y", bold=True, size=14) + " = V " + h_top + " + " + sym("b", "y")
    if st.key:
        yl += " = " + D.vec_lines(y_val, st)
    gr.g.node("y", D.html_label(yl), shape="box", style="rounded,filled,bold", fillcolor=st.bg, color=st.fg,
              penwidth="2.5", pos=gr.pin((T - 1) * gr.dx, row * gr.dy))
    gr.g.edge(top, "y", color=st.fg, penwidth="2")
