"""GRU diagrams: ``gru-cell`` (one step as a dataflow graph) and ``gru-unfolded``.

Both conventions are drawn as the engine computed them and are named on the figure:
textbook ``h_t = (1 - z) * h_{t-1} + z * n``, torch ``h_t = (1 - z) * n + z * h_{t-1}``.
Views only: every value is a field of the GRU trace (``r, z, n, h, rh, hn, r_hn, keep, new``).
"""
from __future__ import annotations

from typing import Any

import graphviz

from . import _draw as D
from ._draw import Style, esc, font, sym
from .lstm import _pick_step, _steps_shown, _title, _units


EQUATIONS = {
    "textbook": (
        ("update", sym("z", "t") + " = \u03c3(" + sym("W", "z") + " \u00b7 [" + sym("h", "t\u22121") + ", " + sym("x", "t") + "] + " + sym("b", "z") + ")"),
        ("reset", sym("r", "t") + " = \u03c3(" + sym("W", "r") + " \u00b7 [" + sym("h", "t\u22121") + ", " + sym("x", "t") + "] + " + sym("b", "r") + ")"),
        ("candidate", sym("n", "t") + " = h\u0303" + "<SUB><FONT POINT-SIZE=\"10\">t</FONT></SUB> = tanh(" + sym("W", "n") + " \u00b7 [" + sym("r", "t") + " \u2299 " + sym("h", "t\u22121") + ", " + sym("x", "t") + "] + " + sym("b", "n") + ")"),
        ("hidden", sym("h", "t") + " = (1 \u2212 " + sym("z", "t") + ") \u2299 " + sym("h", "t\u22121") + " + " + sym("z", "t") + " \u2299 " + sym("n", "t")),
    ),
    "torch": (
        ("update", sym("z", "t") + " = \u03c3(" + sym("W", "iz") + " " + sym("x", "t") + " + " + sym("W", "hz") + " " + sym("h", "t\u22121") + " + b)"),
        ("reset", sym("r", "t") + " = \u03c3(" + sym("W", "ir") + " " + sym("x", "t") + " + " + sym("W", "hr") + " " + sym("h", "t\u22121") + " + b)"),
        ("candidate", sym("n", "t") + " = tanh(" + sym("W", "in") + " " + sym("x", "t") + " + " + sym("b", "in") + " + " + sym("r", "t") + " \u2299 (" + sym("W", "hn") + " " + sym("h", "t\u22121") + " + " + sym("b", "hn") + "))"),
        ("hidden", sym("h", "t") + " = (1 \u2212 " + sym("z", "t") + ") \u2299 " + sym("n", "t") + " + " + sym("z", "t") + " \u2299 " + sym("h", "t\u22121")),
    ),
}
CONVENTION_NAME = {"textbook": "textbook convention (Cho et al. 2014)", "torch": "PyTorch convention (nn.GRU)"}


def _legend(conv: str, st: Style) -> str:
    rows = []
    for rk, formula in EQUATIONS[conv]:
        rows.append(f'<TR><TD WIDTH="14" HEIGHT="12" FIXEDSIZE="TRUE" BGCOLOR="{D.role(rk)}"></TD>'
                    f'<TD ALIGN="LEFT">{formula}</TD></TR>')
    rows.append(f'<TR><TD></TD><TD ALIGN="LEFT">{font(esc(CONVENTION_NAME[conv] + "; the other convention: --convention " + ("torch" if conv == "textbook" else "textbook")), color=st.muted, size=11)}</TD></TR>')
    return f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">{"".join(rows)}</TABLE>'


def _valbox(title: str, value: Any, colour: str, st: Style, *, lo: float | None = None, hi: float | None = None,
            op: str | None = None) -> str:
    rows = []
    if op:
        rows.append(f'<TR><TD COLSPAN="{max(1, len(value)) if (st.all and value is not None) else 1}" BGCOLOR="{colour}">'
                    f'{font(esc(op), bold=True, size=15, color="#000000")}</TD></TR>')
    n = max(1, len(value)) if (st.all and value is not None) else 1
    rows.append(f'<TR><TD COLSPAN="{n}">{font(title, bold=True, size=13)}</TD></TR>')
    if st.all and value is not None:
        if lo is not None:
            rows.append(f"<TR>{D.vec_cells(value, st, colour=colour, lo=lo, hi=hi)}</TR>")
        else:
            rows.append(f'<TR><TD COLSPAN="{n}">{D.mono(st.vec(value), size=11)}</TD></TR>')
    return (f'<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="{colour}" BGCOLOR="{st.panel}">'
            f'{"".join(rows)}</TABLE>')


def build_cell(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    """One GRU step as a dataflow graph, in the trace's convention, values of ``--step t``."""
    st = style
    tr = computed.trace
    s = _pick_step(tr, opts.get("step"))
    t, tp = s.t, s.t - 1
    conv = tr.convention
    hid, xcol = D.role("hidden"), D.role("x")
    g = D.digraph("gru_cell", st, rankdir="LR", nodesep="0.35", ranksep="0.6")
    where = ", layer 1, forward run" if (tr.num_layers > 1 or tr.bidirectional) else ""
    head = esc(_title(computed, f"GRU cell at step t = {t} of {len(tr.steps)}{where}")) + "<BR/>" + font(esc(CONVENTION_NAME[conv]), size=13, color=st.muted)
    g.attr("graph", label=D.html_label(font(head, bold=True, size=16)), labelloc="t", labeljust="c")
    leg = graphviz.Digraph(name="legend")
    state = dict(shape="box", style="rounded,filled", fillcolor=st.bg, penwidth="2.5", margin="0.08,0.04")

    def state_label(kind: str, sub: Any, v: Any) -> str:
        head_ = font(sym(kind, sub, size=14), bold=True, size=14)
        if st.key:
            return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD>{head_}</TD></TR><TR><TD>{D.mono(st.vec(v), size=12)}</TD></TR></TABLE>'
        return head_

    g.node("h_prev", D.html_label(state_label("h", tp, s.h_prev)), color=hid, **state)
    xl = D.x_label(computed, t, s.x, st)
    g.node("x_t", D.html_label(xl), color=xcol, **state)
    g.node("h_t", D.html_label(state_label("h", t, s.h)), color=hid, **{**state, "penwidth": "3"})
    g.node("gate_r", D.html_label(_valbox(sym("r", t) + " reset", s.r, D.role("reset"), st, lo=0.0, hi=1.0, op="\u03c3")), shape="plain")
    g.node("gate_z", D.html_label(_valbox(sym("z", t) + " update", s.z, D.role("update"), st, lo=0.0, hi=1.0, op="\u03c3")), shape="plain")
    g.node("gate_n", D.html_label(_valbox(sym("n", t) + " = h\u0303" + f'<SUB><FONT POINT-SIZE="10">{t}</FONT></SUB>' + " candidate", s.n,
                                          D.role("candidate"), st, lo=-1.0, hi=1.0, op="tanh")), shape="plain")
    for src in ("h_prev", "x_t"):
        for gate in ("gate_r", "gate_z"):
            g.edge(src, gate, color=hid if src == "h_prev" else xcol)
    g.edge("x_t", "gate_n", color=xcol)
    prod = dict(shape="plain")
    if conv == "textbook":
        g.node("rh", D.html_label(_valbox(sym("r", t) + " \u2299 " + sym("h", tp), s.rh, D.role("reset"), st)), **prod)
        g.edge("gate_r", "rh", color=D.role("reset"), penwidth="2")
        g.edge("h_prev", "rh", color=hid)
        g.edge("rh", "gate_n", color=D.role("reset"), penwidth="2")
        keep_t = "(1 \u2212 " + sym("z", t) + ") \u2299 " + sym("h", tp)
        new_t = sym("z", t) + " \u2299 " + sym("n", t)
        keep_lab, new_lab = "1 \u2212 z", "z"
    else:
        g.node("hn", D.html_label(_valbox(sym("W", "hn") + " " + sym("h", tp) + " + " + sym("b", "hn"), s.hn, hid, st)), **prod)
        g.node("r_hn", D.html_label(_valbox(sym("r", t) + " \u2299 (" + sym("W", "hn") + " " + sym("h", tp) + " + " + sym("b", "hn") + ")", s.r_hn, D.role("reset"), st)), **prod)
        g.edge("h_prev", "hn", color=hid)
        g.edge("hn", "r_hn", color=hid)
        g.edge("gate_r", "r_hn", color=D.role("reset"), penwidth="2")
        g.edge("r_hn", "gate_n", color=D.role("reset"), penwidth="2")
        keep_t = sym("z", t) + " \u2299 " + sym("h", tp)
        new_t = "(1 \u2212 " + sym("z", t) + ") \u2299 " + sym("n", t)
        keep_lab, new_lab = "z", "1 \u2212 z"
    g.node("keep", D.html_label(_valbox(keep_t + "  " + font("kept", color=st.muted, size=11), s.keep, D.role("update"), st)), **prod)
    g.node("new", D.html_label(_valbox(new_t + "  " + font("written", color=st.muted, size=11), s.new, D.role("candidate"), st)), **prod)
    g.edge("h_prev", "keep", color=hid, penwidth="2.5")
    g.edge("gate_z", "keep", label=D.edge_label(esc(keep_lab), st, size=11), color=D.role("update"), penwidth="2")
    g.edge("gate_z", "new", label=D.edge_label(esc(new_lab), st, size=11), color=D.role("update"), penwidth="2")
    g.edge("gate_n", "new", color=D.role("candidate"), penwidth="2")
    g.node("add", D.html_label(font("+", bold=True, size=18)), shape="circle", width="0.42", fixedsize="true",
           style="filled", fillcolor=st.bg, color=hid, penwidth="2.2")
    g.edge("keep", "add", color=hid, penwidth="2.5")
    g.edge("new", "add", color=hid, penwidth="2.5")
    g.edge("add", "h_t", color=hid, penwidth="2.5")
    g.node("legend", D.html_label(_legend(conv, st)), shape="plaintext")
    g.edge("x_t", "legend", style="invis")
    del leg
    return g


def build_unfolded(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    """The GRU unfolded over T steps: hidden state along the middle, x under each step, y last."""
    st = style
    tr = computed.trace
    steps = tr.steps
    n = len(steps)
    conv = tr.convention
    if getattr(tr, "num_layers", 1) > 1 or getattr(tr, "bidirectional", False):
        from gatelab.engines.errors import InputError
        raise InputError("gru-unfolded draws one layer in one direction; drop --layers/--bidirectional")
    shown, gap_after = _steps_shown(n, int(opts.get("max_steps") or 8))
    hidden = _units(tr)
    hid, xcol = D.role("hidden"), D.role("x")
    y = getattr(tr, "y", None)
    g = D.digraph("gru_unfolded", st, rankdir="LR", nodesep="0.3", ranksep="0.4")
    title = _title(computed, f"GRU unfolded over T = {n} steps")
    g.attr("graph", label=D.html_label(font(esc(title), bold=True, size=16) + "<BR/>"
                                       + font(esc(CONVENTION_NAME[conv]), color=st.muted, size=13)),
           labelloc="t", labeljust="c")
    state = dict(shape="box", style="rounded,filled", fillcolor=st.bg, penwidth="2.5", margin="0.08,0.04")

    def hlabel(t: int, v: Any) -> str:
        head = font(sym("h", t, size=14), bold=True, size=14)
        if st.key:
            return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD>{head}</TD></TR><TR><TD>{D.mono(st.vec(v), size=12)}</TD></TR></TABLE>'
        return head

    g.node("h_0", D.html_label(hlabel(0, steps[0].h_prev)), color=hid, **state)
    prev = "h_0"
    for k in shown:
        s = steps[k]
        t = s.t
        ncols = 2 + (hidden if st.all else 0)
        rows = [f'<TR><TD COLSPAN="{ncols}" CELLPADDING="5">{font("GRU step t = " + esc(t), bold=True, size=14)}</TD></TR>']
        for field, name, rk, lo, hi in (("r", "reset", "reset", 0.0, 1.0), ("z", "update", "update", 0.0, 1.0),
                                        ("n", "candidate h\u0303", "candidate", -1.0, 1.0)):
            sw = (f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR><TD WIDTH="6" HEIGHT="16" FIXEDSIZE="TRUE" '
                  f'BGCOLOR="{D.role(rk)}"></TD><TD WIDTH="4"></TD><TD>{font(sym(field, t), bold=True)}</TD></TR></TABLE>')
            vals = D.vec_cells(getattr(s, field), st, colour=D.role(rk), lo=lo, hi=hi) if st.all else ""
            rows.append(f'<TR><TD ALIGN="LEFT">{sw}</TD><TD ALIGN="LEFT">{font(esc(name), color=st.muted, size=12)}</TD>{vals}</TR>')
        mix = EQUATIONS[conv][3][1].replace("<SUB><FONT POINT-SIZE=\"10\">t</FONT></SUB>", f'<SUB><FONT POINT-SIZE="10">{t}</FONT></SUB>')
        mix = mix.replace("<SUB><FONT POINT-SIZE=\"10\">t\u22121</FONT></SUB>", f'<SUB><FONT POINT-SIZE="10">{t - 1}</FONT></SUB>')
        rows.append(f'<TR><TD COLSPAN="{ncols}" BGCOLOR="{hid}" PORT="x_in" CELLPADDING="5">{font(mix, color="#000000")}</TD></TR>')
        box = (f'<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" COLOR="{st.fg}" BGCOLOR="{st.panel}">'
               f'{"".join(rows)}</TABLE>')
        sid = f"step_{t}"
        with g.subgraph() as col:
            col.attr(rank="same")
            col.node(sid, D.html_label(box), shape="plain")
            col.node(f"x_{t}", D.html_label(D.x_label(computed, t, s.x, st)), color=xcol, **state)
            col.edge(sid, f"x_{t}", style="invis")  # x below its step
        g.edge(f"x_{t}:n", sid + ":x_in:s", color=xcol, penwidth="2", constraint="false")
        g.edge(prev + ":e", sid + ":w", color=hid, penwidth="2.5", weight="8",
               **({"style": "dashed"} if prev == "skip" else {}))
        g.node(f"h_{t}", D.html_label(hlabel(t, s.h)), color=hid, **state)
        g.edge(sid + ":e", f"h_{t}:w", color=hid, penwidth="2.5", weight="8")
        prev = f"h_{t}"
        if gap_after is not None and k == shown[gap_after]:
            lo_t, hi_t = steps[k + 1].t, steps[shown[gap_after + 1] - 1].t
            g.node("skip", D.html_label(font(esc(f"\u22ef steps {lo_t}\u2013{hi_t} \u22ef"), color=st.muted)), shape="plaintext")
            g.edge(prev, "skip", color=hid, penwidth="2.5", style="dashed")
            prev = "skip"
    if y is not None:
        yl = font("y", bold=True, size=14) + " = V " + sym("h", steps[shown[-1]].t) + " + " + sym("b", "y")
        if st.key:
            yl += " = " + D.vec_lines(y, st)
        g.node("y", D.html_label(yl), shape="box", style="rounded,filled,bold", fillcolor=st.bg, color=st.fg, penwidth="2.5")
        g.edge(prev + ":e", "y:w", color=st.fg, penwidth="2")
    return g
