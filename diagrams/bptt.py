"""``bptt``: backpropagation through time drawn on the unfolded network.

Backward edges (vermillion, dashed arrowheads pointing back in time) are sized by the gradient
norm the trace records per step (``||dL/dh_t||``; for the LSTM also ``||dL/dc_t||`` on the cell
highway), down to the initial state: the leftmost column shows ``||dL/dh_0||`` (and ``||dL/dc_0||``)
from the trace's ``dh0_norm`` (``dc0_norm``); every norm is also printed, so width is never the only
channel. ``--compare`` draws an Elman RNN and an LSTM one above the other: the vanishing gradient
next to the kept one.

Pen widths are a drawing choice: a gradient norm divided by the largest norm of the same figure.
"""
from __future__ import annotations

from typing import Any

import graphviz

from gatelab.engines.registry import Computed
from gatelab.engines.errors import InputError

from . import _draw as D
from ._draw import Style, esc, font, sym
from .lstm import _title

def _width(norm: float, top: float) -> str:
    return f"{0.6 + 7.0 * (norm / top if top > 0 else 0.0):.2f}"


def _column(rows: list[tuple[str, str, str, str]], st: Style) -> str:
    """One time step as a column of cells (port, content, border colour, border width); every
    column has the same rows, so a row's ports line up and its edges run straight."""
    trs = []
    for port, content, colour, width in rows:
        trs.append(f'<TR><TD PORT="{port}" BORDER="{width}" COLOR="{colour}" BGCOLOR="{st.bg}" STYLE="ROUNDED" '
                   f'CELLPADDING="4" HEIGHT="56" WIDTH="150" FIXEDSIZE="TRUE">{content}</TD></TR>')
    return f'<TABLE BORDER="0" CELLSPACING="12" CELLPADDING="0">{"".join(trs)}</TABLE>'


def _grad_content(label: str, value: float | None, top: float, st: Style) -> str:
    if value is None or not st.key:
        return font(label, color=st.muted, size=11)
    inner = (f'<TR><TD>{font(label + " =", color=st.muted, size=11)} {D.mono(st.num(value), size=12)}</TD></TR>'
             f'<TR><TD>{D.bar(value, D.role("gradient"), st, lo=0.0, hi=top if top > 0 else 1.0, width=110, height=8)}</TD></TR>')
    return f'<TABLE BORDER="0" CELLSPACING="1" CELLPADDING="1">{inner}</TABLE>'


def _state_content(kind: str, t: int) -> str:
    return font(sym(kind, t), bold=True, size=15)


def _loss_node(m: graphviz.Digraph, p: str, loss: float, st: Style) -> None:
    m.node(f"{p}L", D.html_label(font("L", bold=True, size=15) + ("<BR/>" + D.mono(st.num(loss), size=12) if st.key else "")),
           shape="box", style="rounded,filled,bold", fillcolor=st.bg, color=st.fg, penwidth="2.5")


def _rnn_block(m: graphviz.Digraph, c: Computed, st: Style, p: str) -> None:
    """Row h: h_0 -> h_1 -> ... -> L (forward). Row dh below it: the gradient flowing back."""
    tr = c.trace
    steps = tr.steps
    grad, hid = D.role("gradient"), D.role("hidden")
    top = max(max(s.dh_norm for s in steps), tr.dh0_norm)
    gl = lambda t: "\u2016\u2202L/\u2202" + sym("h", t) + "\u2016"  # noqa: E731
    m.node(f"{p}s_0", D.html_label(_column([("h", _state_content("h", 0), hid, "2"),
                                            ("dh", _grad_content(gl(0), tr.dh0_norm, top, st), grad, "2")], st)),
           shape="plain")
    prev = f"{p}s_0"
    for s in steps:
        nid = f"{p}s_{s.t}"
        m.node(nid, D.html_label(_column([("h", _state_content("h", s.t), hid, "2"),
                                          ("dh", _grad_content(gl(s.t), s.dh_norm, top, st), grad, "2")], st)),
               shape="plain")
        m.edge(f"{prev}:h:e", f"{nid}:h:w", color=st.muted, penwidth="1.3")
        lab = {}
        ratio = s.ratio if s.t >= 2 else tr.dh0_ratio       # t = 1: ||dL/dh_0|| / ||dL/dh_1||
        if st.key and ratio is not None:
            lab = {"label": D.edge_label("\u00d7 " + st.num(ratio), st, size=11, color=grad)}
        width = _width(steps[s.t - 2].dh_norm if s.t >= 2 else tr.dh0_norm, top)
        m.edge(f"{prev}:dh:e", f"{nid}:dh:w", dir="back", color=grad, penwidth=width, **lab)
        prev = nid
    _loss_node(m, p, tr.loss, st)
    m.edge(f"{prev}:h:e", f"{p}L:w", color=st.muted, penwidth="1.3")
    m.edge(f"{prev}:dh:e", f"{p}L:s", dir="back", color=grad, penwidth=_width(steps[-1].dh_norm, top))


def _lstm_block(m: graphviz.Digraph, c: Computed, st: Style, p: str) -> None:
    """Rows: dc (gradient on the highway), c, h, dh. Gradients flow right to left."""
    tr = c.trace
    if tr.bptt is None:
        raise InputError("this LSTM trace has no BPTT record")
    fw, bw = tr.steps, tr.bptt.steps
    r0 = tr.bptt.runs[0]                                  # the run drawn (layer 0 forward): its t = 0 norms
    grad, cell, hid = D.role("gradient"), D.role("cell"), D.role("hidden")
    top = max(max(b.dc_norm for b in bw), max(b.dh_norm for b in bw), r0.dh0_norm, r0.dc0_norm)
    gc = lambda t: "\u2016\u2202L/\u2202" + sym("c", t) + "\u2016"  # noqa: E731
    gh = lambda t: "\u2016\u2202L/\u2202" + sym("h", t) + "\u2016"  # noqa: E731

    def col(t: int, dc_norm: float, dh_norm: float) -> str:
        return _column([("dc", _grad_content(gc(t), dc_norm, top, st), grad, "2"),
                        ("c", _state_content("c", t), cell, "3"),
                        ("h", _state_content("h", t), hid, "2"),
                        ("dh", _grad_content(gh(t), dh_norm, top, st), grad, "2")], st)

    m.node(f"{p}s_0", D.html_label(col(0, r0.dc0_norm, r0.dh0_norm)), shape="plain")
    prev, prev_dc, prev_dh = f"{p}s_0", r0.dc0_norm, r0.dh0_norm
    for s, b in zip(fw, bw):
        nid = f"{p}s_{s.t}"
        m.node(nid, D.html_label(col(s.t, b.dc_norm, b.dh_norm)), shape="plain")
        m.edge(f"{prev}:c:e", f"{nid}:c:w", color=cell, penwidth="2")
        m.edge(f"{prev}:h:e", f"{nid}:h:w", color=st.muted, penwidth="1.3")
        lab = {}
        if st.key:   # dc_t/dc_{t-1}; at t = 1 the given h_0 is held fixed, so it is exactly dc_1/dc_0
            txt = ("\u2016\u2202" + sym("c", s.t) + "/\u2202" + sym("c", s.t - 1) + "\u2016 = " + st.num(b.J_norm)
                   + "<BR/>" + font("forget path " + st.num(b.J_forget_norm), size=10))
            lab = {"label": D.edge_label(txt, st, size=11, color=grad)}
        m.edge(f"{prev}:dc:e", f"{nid}:dc:w", dir="back", color=grad, penwidth=_width(prev_dc, top), **lab)
        m.edge(f"{prev}:dh:e", f"{nid}:dh:w", dir="back", color=grad, penwidth=_width(prev_dh, top))
        prev, prev_dc, prev_dh = nid, b.dc_norm, b.dh_norm
    _loss_node(m, p, tr.bptt.loss, st)
    m.edge(f"{prev}:h:e", f"{p}L:w", color=st.muted, penwidth="1.3")
    m.edge(f"{prev}:dh:e", f"{p}L:s", dir="back", color=grad, penwidth=_width(bw[-1].dh_norm, top))


def build(computed: Computed | dict[str, Computed], *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st = style
    runs = computed.values() if isinstance(computed, dict) else [computed]
    computed = {c.model: c for c in runs}   # one trace of each model drawn
    g = D.digraph("bptt", st, rankdir="LR", nodesep="0.45", ranksep="1.1")
    order = [k for k in ("rnn", "lstm") if k in computed]
    for model in order:
        c = computed[model]
        name = "Elman RNN" if model == "rnn" else "LSTM"
        sub = graphviz.Digraph(name=f"cluster_{model}")
        verdict = ""
        if model == "rnn":
            verdict = f"  \u00b7  {c.trace.decay.verdict}"
        sub.attr(label=D.html_label(font(esc(_title(c, f"{name}: backpropagation through time") + verdict), bold=True, size=15)),
                 labelloc="t", labeljust="l", color=st.muted, style="rounded", penwidth="1")
        (_rnn_block if model == "rnn" else _lstm_block)(sub, c, st, f"{model}_")
        g.subgraph(sub)
    if len(order) == 2:  # RNN above the LSTM: same rank, ordered by an invisible flat edge
        with g.subgraph() as r:
            r.attr(rank="same")
            r.edge("lstm_s_0", "rnn_s_0", style="invis")
    note = ("vermillion: gradient flowing back in time, pen width \u221d its norm (norms printed); "
            "\u00d7 r: ratio \u2016\u2202L/\u2202h<SUB>t\u22121</SUB>\u2016 / \u2016\u2202L/\u2202h<SUB>t</SUB>\u2016")
    g.attr("graph", label=D.html_label(font(note, color=st.muted, size=11)), labelloc="b", labeljust="c")
    return g
