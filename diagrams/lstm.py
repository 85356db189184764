"""LSTM diagrams: ``lstm-unfolded`` (the flagship), ``lstm-cell``.

Views only: every number comes from the LSTM trace (``trace.steps[k].f`` ...), formatted by
``gatelab.style.fmt``. Notation (colah): forget f, input i, candidate g = C~, output o,
cell c, hidden h.
"""
from __future__ import annotations

from typing import Any

import graphviz

from gatelab.engines.errors import InputError

from . import _draw as D
from ._draw import Style, esc, font, sym


# (field, symbol, name, role colour key, bar range) in the order colah draws them.
GATES = (
    ("f", "f", "forget", "forget", (0.0, 1.0)),
    ("i", "i", "input", "input", (0.0, 1.0)),
    ("g", "g", "candidate C\u0303", "candidate", (-1.0, 1.0)),
    ("o", "o", "output", "output", (0.0, 1.0)),
)


def _title(computed: Any, what: str) -> str:
    prov = getattr(computed, "provenance", {}) or {}
    if "preset" in prov:
        src = f"preset {prov['preset']}"
    elif "weights" in prov:
        src = f"weights {prov['weights']}"
    elif "seed" in prov:
        src = f"random weights, seed {prov['seed']}"
    else:
        src = ""
    return f"{what}" + (f"  \u00b7  {src}" if src else "")


def _steps_shown(n: int, max_steps: int) -> tuple[list[int], int | None]:
    """Indices of the steps drawn, and the index after which an ellipsis goes (or None)."""
    if n <= max_steps:
        return list(range(n)), None
    head = max_steps // 2
    tail = max_steps - head
    return list(range(head)) + list(range(n - tail, n)), head - 1


def _units(trace: Any) -> int:
    return int(len(trace.steps[0].h))


def _step_box(step: Any, st: Style, hidden: int) -> str:
    """The HTML-like label of one unrolled step: the highway row on top, gate rows, hidden row."""
    t = step.t
    fg, panel = st.fg, st.panel
    ncols = 2 + (hidden if st.all else 0)
    tm1 = f"{t - 1}"
    rows = []
    cell = D.role("cell")
    hid = D.role("hidden")
    # top row: the highway, c_t = f ⊙ c_{t-1} + i ⊙ g
    highway = (sym("c", t) + " = " + sym("f", t) + " \u2299 " + sym("c", tm1) + " + " + sym("i", t)
               + " \u2299 " + sym("g", t))
    rows.append(f'<TR><TD PORT="c_in" WIDTH="4" BGCOLOR="{cell}"></TD>'
                f'<TD COLSPAN="{ncols}" BGCOLOR="{cell}" CELLPADDING="5">'
                f'{font(highway, color="#000000")}</TD>'
                f'<TD PORT="c_out" WIDTH="4" BGCOLOR="{cell}"></TD></TR>')
    rows.append(f'<TR><TD></TD><TD COLSPAN="{ncols}" CELLPADDING="5">{font("LSTM step t = " + esc(t), bold=True, size=14)}</TD><TD></TD></TR>')
    if st.all and hidden > 1:
        heads = "".join(f'<TD>{font("unit " + str(u + 1), color=st.muted, size=10)}</TD>' for u in range(hidden))
        rows.append(f"<TR><TD></TD><TD></TD><TD></TD>{heads}<TD></TD></TR>")
    for field, s, name, rk, (lo, hi) in GATES:
        colour = D.role(rk)
        label = sym(s, t)
        swatch = (f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
                  f'<TD WIDTH="6" HEIGHT="16" FIXEDSIZE="TRUE" BGCOLOR="{colour}"></TD>'
                  f'<TD WIDTH="4"></TD><TD>{font(label, bold=True)}</TD></TR></TABLE>')
        vals = D.vec_cells(getattr(step, field), st, colour=colour, lo=lo, hi=hi) if st.all else ""
        rows.append(f'<TR><TD></TD><TD ALIGN="LEFT" CELLPADDING="3">{swatch}</TD>'
                    f'<TD ALIGN="LEFT" CELLPADDING="3">{font(esc(name), color=st.muted, size=12)}</TD>{vals}<TD></TD></TR>')
    hrow = sym("h", t) + " = " + sym("o", t) + " \u2299 tanh(" + sym("c", t) + ")"
    rows.append(f'<TR><TD PORT="h_in" WIDTH="4" BGCOLOR="{hid}"></TD>'
                f'<TD COLSPAN="{ncols}" PORT="x_in" BGCOLOR="{hid}" CELLPADDING="5">{font(hrow, color="#000000")}</TD>'
                f'<TD PORT="h_out" WIDTH="4" BGCOLOR="{hid}"></TD></TR>')
    return (f'<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" COLOR="{fg}" '
            f'BGCOLOR="{panel}">{"".join(rows)}</TABLE>')


def _state_label(kind: str, t: int | str, value: Any, st: Style) -> str:
    name = sym(kind, t, size=14)
    if st.key and value is not None:
        return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD>{font(name, bold=True, size=14)}</TD></TR><TR><TD>{D.mono(st.vec(value), size=12)}</TD></TR></TABLE>'
    return font(name, bold=True, size=14)


def _legend(st: Style, *, peephole: bool = False, full: bool = False) -> str:
    eq = _full_legend_rows() if full else [
        ("forget", sym("f", "t") + " = \u03c3(" + sym("W", "f") + " \u00b7 [" + sym("h", "t\u22121") + ", " + sym("x", "t") + "] + " + sym("b", "f") + ")", "forget gate"),
        ("input", sym("i", "t") + " = \u03c3(" + sym("W", "i") + " \u00b7 [" + sym("h", "t\u22121") + ", " + sym("x", "t") + "] + " + sym("b", "i") + ")", "input gate"),
        ("candidate", sym("g", "t") + " = C\u0303" + "<SUB><FONT POINT-SIZE=\"10\">t</FONT></SUB>" + " = tanh(" + sym("W", "C") + " \u00b7 [" + sym("h", "t\u22121") + ", " + sym("x", "t") + "] + " + sym("b", "C") + ")", "candidate"),
        ("output", sym("o", "t") + " = \u03c3(" + sym("W", "o") + " \u00b7 [" + sym("h", "t\u22121") + ", " + sym("x", "t") + "] + " + sym("b", "o") + ")", "output gate"),
        ("cell", sym("c", "t") + " = " + sym("f", "t") + " \u2299 " + sym("c", "t\u22121") + " + " + sym("i", "t") + " \u2299 " + sym("g", "t"), "cell state (highway)"),
        ("hidden", sym("h", "t") + " = " + sym("o", "t") + " \u2299 tanh(" + sym("c", "t") + ")", "hidden state"),
    ]
    if peephole and not full:
        eq.append(("cell", "peephole: " + sym("z", "f") + " += " + sym("P", "f") + " \u2299 " + sym("c", "t\u22121") + ",  "
                   + sym("z", "i") + " += " + sym("P", "i") + " \u2299 " + sym("c", "t\u22121") + ",  "
                   + sym("z", "o") + " += " + sym("P", "o") + " \u2299 " + sym("c", "t"), "dashed lines"))
    rows = []
    for rk, formula, name in eq:
        rows.append(f'<TR><TD WIDTH="14" HEIGHT="12" FIXEDSIZE="TRUE" BGCOLOR="{D.role(rk)}"></TD>'
                    f'<TD ALIGN="LEFT">{formula}</TD><TD ALIGN="LEFT">{font(esc(name), color=st.muted)}</TD></TR>')
    note = []
    if st.all:
        note.append("bars: gate openings on [0, 1]; g on [\u22121, 1] from the centre")
    note.append("\u2299 element-wise product, \u03c3 logistic sigmoid")
    rows.append(f'<TR><TD></TD><TD COLSPAN="2" ALIGN="LEFT">{font(esc("; ".join(note)), color=st.muted, size=11)}</TD></TR>')
    return (f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">{"".join(rows)}</TABLE>')


def _full_legend_rows() -> list[tuple[str, str, str]]:
    """Legend rows for full peephole matrices: f, i see [c_{t-1}, h_{t-1}, x_t], o sees [c_t, h_{t-1}, x_t]."""
    def gate(rk: str, g: str, c: str, name: str) -> tuple[str, str, str]:
        return (rk, sym(g, "t") + " = \u03c3(" + sym("W", g) + " \u00b7 [" + sym("c", c) + ", " + sym("h", "t\u22121")
                + ", " + sym("x", "t") + "] + " + sym("b", g) + ")", name)
    return [
        gate("forget", "f", "t\u22121", "forget gate"),
        gate("input", "i", "t\u22121", "input gate"),
        ("candidate", sym("g", "t") + " = C\u0303" + "<SUB><FONT POINT-SIZE=\"10\">t</FONT></SUB>" + " = tanh(" + sym("W", "C") + " \u00b7 [" + sym("h", "t\u22121") + ", " + sym("x", "t") + "] + " + sym("b", "C") + ")", "candidate"),
        gate("output", "o", "t", "output gate (new cell state)"),
        ("cell", sym("c", "t") + " = " + sym("f", "t") + " \u2299 " + sym("c", "t\u22121") + " + " + sym("i", "t") + " \u2299 " + sym("g", "t"), "cell state (highway)"),
        ("hidden", sym("h", "t") + " = " + sym("o", "t") + " \u2299 tanh(" + sym("c", "t") + ")", "hidden state"),
        ("cell", "full peephole matrices W\u00b7[C, h, x]: each gate unit sees every cell", "dashed lines"),
    ]


def build_unfolded(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    """The LSTM unfolded over its T steps: c-highway on top, h below, x under each step, y last."""
    st = style
    trace = computed.trace
    n = len(trace.steps)
    max_steps = int(opts.get("max_steps") or 8)
    if max_steps < 2:
        raise InputError(f"--max-steps must be at least 2, got {max_steps}")
    if getattr(trace, "num_layers", 1) > 1 or getattr(trace, "bidirectional", False):
        raise InputError("lstm-unfolded draws one layer in one direction; for this trace use "
                         "`gatelab diagram lstm-stacked` or `lstm-bidirectional`")
    y = getattr(trace, "y", None)
    g = D.digraph("lstm_unfolded", st, rankdir="LR", nodesep="0.25", ranksep="0.35")
    g.attr("graph", label=D.html_label(_legend(st)), labelloc="b", labeljust="c")
    title = _title(computed, f"LSTM unfolded over T = {n} steps" + (", predicting y" if y is not None else ""))
    with g.subgraph(name="cluster_main") as m:
        m.attr(label=D.html_label(font(esc(title), bold=True, size=16)), labelloc="t", labeljust="c",
               color=st.bg, fontcolor=st.fg)
        shown, gap_after = _steps_shown(n, max_steps)
        last = _unfolded_steps(m, computed, st, shown, gap_after)
        if y is not None:
            _output_node(m, trace, st, last, steps_t=trace.steps[shown[-1]].t)
    return g


_CELL_EDGE = dict(penwidth="4", arrowsize="0.8", weight="8")
_HID_EDGE = dict(penwidth="2.2", arrowsize="0.8", weight="8")


def _state_pair(m: graphviz.Digraph, st: Style, t: int, c: Any, h: Any) -> tuple[str, str]:
    """The c_t and h_t boxes of one column, on the same rank: their node ids."""
    node = dict(shape="box", style="rounded,filled", fillcolor=st.bg, margin="0.08,0.04", penwidth="2.5")
    cid, hid = f"c_{t}", f"h_{t}"
    m.node(cid, D.html_label(_state_label("c", t, c, st)), color=D.role("cell"), **node)
    m.node(hid, D.html_label(_state_label("h", t, h, st)), color=D.role("hidden"), **node)
    with m.subgraph() as r:
        r.attr(rank="same")
        r.edge(cid, hid, style="invis")
    return cid, hid


def _unfolded_steps(m: graphviz.Digraph, computed: Any, st: Style, shown: list[int], gap_after: int | None) -> str:
    """c_0/h_0, then each shown step (its box, x_t under it, c_t and h_t after it); returns the last h node."""
    trace = computed.trace
    steps, hidden = trace.steps, _units(trace)
    cell_edge = dict(color=D.role("cell"), **_CELL_EDGE)
    hid_edge = dict(color=D.role("hidden"), **_HID_EDGE)
    prev_c, prev_h = _state_pair(m, st, 0, steps[0].c_prev, steps[0].h_prev)
    for k in shown:
        s = steps[k]
        t, sid = s.t, f"step_{s.t}"
        with m.subgraph() as col:
            col.attr(rank="same")
            col.node(sid, D.html_label(_step_box(s, st, hidden)), shape="plain")
            col.node(f"x_{t}", D.html_label(D.x_label(computed, t, s.x, st)), shape="box", style="rounded,filled", fillcolor=st.bg,
                     color=D.role("x"), penwidth="2")
            col.edge(f"x_{t}:n", sid + ":x_in:s", color=D.role("x"), penwidth="2")
        m.edge(prev_c + ":e", sid + ":c_in:w", **cell_edge)
        m.edge(prev_h + ":e", sid + ":h_in:w", **hid_edge)
        cid, hidn = _state_pair(m, st, t, s.c, s.h)
        m.edge(sid + ":c_out:e", cid + ":w", **cell_edge)
        m.edge(sid + ":h_out:e", hidn + ":w", **hid_edge)
        prev_c, prev_h = cid, hidn
        if gap_after is not None and k == shown[gap_after]:
            msg = f"\u22ef steps {steps[k + 1].t}\u2013{steps[shown[gap_after + 1] - 1].t} \u22ef"
            m.node("skip_c", D.html_label(font(esc(msg), color=st.muted)), shape="plaintext")
            m.node("skip_h", D.html_label(font(esc(msg), color=st.muted)), shape="plaintext")
            with m.subgraph() as r:
                r.attr(rank="same")
                r.edge("skip_c", "skip_h", style="invis")
            m.edge(prev_c + ":e", "skip_c:w", style="dashed", **cell_edge)
            m.edge(prev_h + ":e", "skip_h:w", style="dashed", **hid_edge)
            prev_c, prev_h = "skip_c", "skip_h"
    return prev_h


def _output_node(m: graphviz.Digraph, trace: Any, st: Style, prev_h: str, *, steps_t: int) -> None:
    """y = V h_T + b_y (and the target, when the trace has one), fed by the last h."""
    y = trace.y
    yl = font("y", bold=True, size=14) + " = V " + sym("h", steps_t) + " + " + sym("b", "y")
    if st.key:
        yl += " = " + D.vec_lines(y, st)
    rows = f"<TR><TD>{yl}</TD></TR>"
    target = getattr(trace, "target", None)
    if st.key and target is not None and getattr(target, "ndim", 0) == 1:
        tv = st.vec(target) if len(target) > 1 else st.num(target[0])
        rows += f'<TR><TD>{font("target " + D.mono(tv), color=st.muted, size=11)}</TD></TR>'
    yl = f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{rows}</TABLE>'
    m.node("y", D.html_label(yl), shape="box", style="rounded,filled,bold", fillcolor=st.bg,
           color=st.fg, penwidth="2.5")
    m.edge(prev_h + ":e", "y:w", color=st.fg, penwidth="2")


# --------------------------------------------------------------------------- lstm-cell

def _pick_step(trace: Any, step: int | None) -> Any:
    steps = trace.steps
    if step is None:
        return steps[-1]
    for s in steps:
        if s.t == step:
            return s
    raise InputError(f"--step {step} is out of range: the trace has steps 1..{len(steps)}")


def _gate_node(st: Style, op: str, symbol: str, name: str, colour: str, values: Any, lo: float, hi: float) -> str:
    """A gate layer: the operation (σ or tanh) in a coloured band, its symbol, name and values."""
    ncol = max(1, len(values)) if (st.all and values is not None) else 1
    rows = [f'<TR><TD COLSPAN="{ncol}" BGCOLOR="{colour}" CELLPADDING="4">{font(esc(op), bold=True, size=16, color="#000000")}</TD></TR>',
            f'<TR><TD COLSPAN="{ncol}" CELLPADDING="2">{font(symbol, bold=True, size=14)}  {font(esc(name), color=st.muted, size=11)}</TD></TR>']
    if st.all and values is not None:
        rows.append(f"<TR>{D.vec_cells(values, st, colour=colour, lo=lo, hi=hi)}</TR>")
    return (f'<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" COLOR="{st.fg}" BGCOLOR="{st.panel}">'
            f'{"".join(rows)}</TABLE>')


class _Canvas:
    """A neato graph with pinned positions (inches) and the few node/edge kinds the cell uses."""

    def __init__(self, g: graphviz.Digraph, st: Style, X: dict[str, float], Y: dict[str, float]):
        self.g, self.st, self.X, self.Y = g, st, X, Y

    @staticmethod
    def pin(x: float, y: float) -> str:
        return f"{x:.2f},{y:.2f}!"

    def state(self, nid: str, kind: str, sub: str, value: Any, colour: str, x: float, y: float) -> None:
        self.g.node(nid, D.html_label(_state_label(kind, sub, value, self.st)), shape="box", style="rounded,filled",
                    fillcolor=self.st.bg, color=colour, penwidth="2.5", pos=self.pin(x, y), margin="0.08,0.04")

    def op(self, nid: str, text: str, x: float, y: float, colour: str) -> None:
        self.g.node(nid, D.html_label(font(esc(text), bold=True, size=18)), shape="circle", width="0.42",
                    fixedsize="true", style="filled", fillcolor=self.st.bg, color=colour, penwidth="2.2",
                    pos=self.pin(x, y))

    def dot(self, nid: str, x: float, y: float, colour: str, size: str = "0.09") -> None:
        self.g.node(nid, "", shape="point", width=size, color=colour, fillcolor=colour, pos=self.pin(x, y))

    def wire(self, a: str, b: str, colour: str, width: str = "2", arrow: bool = True, **kw) -> None:
        self.g.edge(a, b, color=colour, penwidth=width, arrowhead="normal" if arrow else "none", **kw)

    def note(self, nid: str, text: str, value: Any, x: float, y: float, *, right_of_line: bool = False) -> None:
        """A value annotation beside a wire (a pinned text node, so it never sits on the line).
        With ``right_of_line`` the label's left edge starts just right of the vertical line at x."""
        if not self.st.all or value is None:
            return
        vec = self.st.vec(value)
        if right_of_line:  # estimated label width: ~0.85 in of prefix + ~0.095 in per mono character
            x = x + 0.15 + (0.85 + 0.095 * len(vec)) / 2
        self.g.node(nid, D.html_label(f"{font(text, size=11, color=self.st.muted)} {D.mono(vec, size=11)}"),
                    shape="plaintext", pos=self.pin(x, y))


def build_cell(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    """One LSTM cell's internals in colah's layout, with the values of step ``--step t``.

    Drawn with pinned positions (neato, ``pos=...!``): the C highway on top, the
    [h_{t-1}, x_t] bus at the bottom, σ σ tanh σ layers between, pointwise × and +.
    """
    st = style
    trace = computed.trace
    s = _pick_step(trace, opts.get("step"))
    variant = getattr(trace, "variant", "standard")
    peephole, full = variant in ("peephole", "peephole-full"), variant == "peephole-full"
    g = D.digraph("lstm_cell", st, rankdir="LR")
    g.attr("graph", layout="neato", splines="line", overlap="true", outputorder="edgesfirst")
    g.attr("node", fixedsize="false")
    # grid (inches): columns of the four layers, rows of highway / products / layers / bus / input
    hidden = _units(trace)
    dx = max(1.8, 0.72 * hidden + 0.45) if st.all else 1.8   # room for one value column per unit
    half_state = (0.4 * hidden + 0.3) if st.key else 0.4    # half the width of a state box
    X = dict(f=1.6, i=1.6 + dx, g=1.6 + 2 * dx, o=1.6 + 3 * dx, tc=1.6 + 4 * dx, xin=0.95)
    X["cin"] = X["xin"] - 0.35 - half_state
    X["out"] = X["tc"] + 0.6 + half_state
    X["mid"] = (X["cin"] + X["out"]) / 2
    Y = dict(top=6.2, prod=4.7, layer=3.0, bus=1.2, x=0.0, title=7.0, legend=-1.5)
    cv = _Canvas(g, st, X, Y)
    where = ""
    if getattr(trace, "num_layers", 1) > 1 or getattr(trace, "bidirectional", False):
        where = ", layer 1, forward run"
    title = _title(computed, f"LSTM cell at step t = {s.t} of {len(trace.steps)}{where}"
                   + ("  (full peephole matrices W\u00b7[C, h, x])" if full else "  (peephole)" if peephole else ""))
    g.node("title", D.html_label(font(esc(title), bold=True, size=16)), shape="plaintext", pos=cv.pin(X["mid"], Y["title"]))
    _cell_nodes(cv, s, computed)
    _cell_wires(cv, s, peephole)
    g.node("legend", D.html_label(_legend(st, peephole=peephole, full=full)), shape="plaintext",
           pos=cv.pin(X["mid"], Y["legend"]))
    return g


def _cell_nodes(cv: _Canvas, s: Any, computed: Any) -> None:
    """States, input, the four layers with their values, pointwise operations and wire junctions."""
    st, X, Y, t, tp = cv.st, cv.X, cv.Y, s.t, f"{s.t - 1}"
    cell, hid, xcol = D.role("cell"), D.role("hidden"), D.role("x")
    cv.state("c_prev", "c", tp, s.c_prev, cell, X["cin"], Y["top"])
    cv.state("c_t", "c", str(t), s.c, cell, X["out"], Y["top"])
    cv.state("h_prev", "h", tp, s.h_prev, hid, X["cin"], Y["bus"])
    cv.state("h_t", "h", str(t), s.h, hid, X["out"], Y["bus"])
    cv.g.node("x_t", D.html_label(D.x_label(computed, t, s.x, st)), shape="box", style="rounded,filled", fillcolor=st.bg, color=xcol,
              penwidth="2", pos=cv.pin(X["xin"], Y["x"]))
    for nid, opname, field, symb, name, rk, (lo, hi), x in (
        ("gate_f", "\u03c3", "f", sym("f", t), "forget gate", "forget", (0.0, 1.0), X["f"]),
        ("gate_i", "\u03c3", "i", sym("i", t), "input gate", "input", (0.0, 1.0), X["i"]),
        ("gate_g", "tanh", "g", sym("g", t) + " = C\u0303" + f'<SUB><FONT POINT-SIZE="10">{t}</FONT></SUB>', "candidate", "candidate", (-1.0, 1.0), X["g"]),
        ("gate_o", "\u03c3", "o", sym("o", t), "output gate", "output", (0.0, 1.0), X["o"]),
    ):
        cv.g.node(nid, D.html_label(_gate_node(st, opname, symb, name, D.role(rk), getattr(s, field), lo, hi)),
                  shape="plain", pos=cv.pin(x, Y["layer"]))
    cv.op("mul_f", "\u00d7", X["f"], Y["top"], D.role("forget"))
    cv.op("mul_i", "\u00d7", X["g"], Y["prod"], D.role("input"))
    cv.op("add_c", "+", X["g"], Y["top"], cell)
    cv.op("mul_o", "\u00d7", X["tc"], Y["layer"], D.role("output"))
    cv.g.node("tanh_c", D.html_label(font("tanh", bold=True, size=14)), shape="box", style="rounded,filled",
              fillcolor=st.bg, color=cell, penwidth="2.2", pos=cv.pin(X["tc"], Y["prod"]))
    cv.dot("j_c", X["tc"], Y["top"], cell)
    cv.dot("j_x", X["xin"], Y["bus"], hid)
    for k in ("f", "i", "g", "o"):
        cv.dot(f"j_{k}", X[k], Y["bus"], hid)
    cv.dot("b_i", X["i"], Y["prod"], D.role("input"), "0.01")
    cv.dot("j_h", X["tc"], Y["bus"], hid)


def _cell_wires(cv: _Canvas, s: Any, peephole: bool) -> None:
    """The highway (with its products' values), the [h_{t-1}, x_t] bus, gate outputs, peepholes."""
    X, Y, t, tp = cv.X, cv.Y, s.t, f"{s.t - 1}"
    cell, hid, xcol = D.role("cell"), D.role("hidden"), D.role("x")
    wire = cv.wire
    wire("c_prev", "mul_f", cell, "4.5", arrow=False)
    cv.note("val_fc", sym("f", t) + " \u2299 " + sym("c", tp) + " =", getattr(s, "fc", None),
            (X["f"] + X["g"]) / 2, Y["top"] + 0.32)
    cv.note("val_ig", sym("i", t) + " \u2299 " + sym("g", t) + " =", getattr(s, "ig", None),
            X["g"], (Y["top"] + Y["prod"]) / 2, right_of_line=True)
    cv.note("val_tanh_c", "tanh(" + sym("c", t) + ") =", getattr(s, "tanh_c", None),
            X["tc"], (Y["prod"] + Y["layer"]) / 2, right_of_line=True)
    wire("mul_f", "add_c", cell, "4.5", arrow=False)
    wire("add_c", "j_c", cell, "4.5", arrow=False)
    wire("j_c", "c_t", cell, "4.5")
    for a, b, colour in (("h_prev", "j_x", hid), ("x_t", "j_x", xcol), ("j_x", "j_f", hid), ("j_f", "j_i", hid),
                         ("j_i", "j_g", hid), ("j_g", "j_o", hid)):
        wire(a, b, colour, "2.5", arrow=False)
    for k in ("f", "i", "g", "o"):
        wire(f"j_{k}", f"gate_{k}", hid, "2")
    wire("gate_f", "mul_f", D.role("forget"), "2.5")
    wire("gate_i", "b_i", D.role("input"), "2.5", arrow=False)
    wire("b_i", "mul_i", D.role("input"), "2.5")
    wire("gate_g", "mul_i", D.role("candidate"), "2.5")
    wire("mul_i", "add_c", D.role("input"), "2.5")
    wire("gate_o", "mul_o", D.role("output"), "2.5")
    wire("j_c", "tanh_c", cell, "2.5")
    wire("tanh_c", "mul_o", cell, "2.5")
    wire("mul_o", "j_h", hid, "2.5", arrow=False)
    wire("j_h", "h_t", hid, "2.5")
    if peephole:
        for k, src in (("f", "p_f"), ("i", "p_i")):
            cv.dot(src, X[k] - 0.45, Y["top"], cell)
            wire(src, f"gate_{k}", cell, "1.6", style="dashed")
        cv.dot("p_o", X["tc"] - 0.45, Y["top"], cell)
        wire("p_o", "gate_o", cell, "1.6", style="dashed")
