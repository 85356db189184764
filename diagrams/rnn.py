"""Elman RNN diagrams: ``rnn-unfolded`` (layouts, rolled form) and the shared pieces of ``bptt``.

Views only: every number is a field of the RNN trace (``trace.steps[k].h`` ...), formatted by
``gatelab.style.fmt``. Notation: h_t = f(U x_t + W h_{t-1} + b_h), y_t = g(V h_t + b_y).
"""
from __future__ import annotations

from typing import Any

import numpy as np

import graphviz

from gatelab.engines.errors import InputError

from . import _draw as D
from ._draw import Style, esc, font, sym
from .lstm import _steps_shown, _title

LAYOUTS = ("many-to-many", "many-to-one", "one-to-many")


def _val(v: Any, st: Style) -> str:
    return D.vec_lines(v, st)


def _node_label(name: str, t: Any, rows: list[str], st: Style, *, size: int = 14) -> str:
    head = font(sym(name, t, size=size), bold=True, size=size)
    body = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD>{head}</TD></TR>{body}</TABLE>'


def _weights_legend(trace: Any, st: Style, layout: str = "many-to-many") -> str:
    act = esc(trace.activation)
    out = esc(trace.output)
    tm1 = sym("h", "t\u22121")
    rows = [
        f"{sym('h', 't')} = {act}({sym('a', 't')}),  {sym('a', 't')} = U {sym('x', 't')} + W {tm1} + {sym('b', 'h')}",
    ]
    if trace.V is not None:
        g = "" if trace.output in ("identity", "none") else out
        rows.append(f"{sym('y', 't')} = {g}(V {sym('h', 't')} + {sym('b', 'y')})" if g else
                    f"{sym('y', 't')} = V {sym('h', 't')} + {sym('b', 'y')}")
    if st.key:
        ws = [("U", trace.U), ("W", trace.W), (sym("b", "h"), trace.b_h)]
        if trace.V is not None:
            ws += [("V", trace.V), (sym("b", "y"), trace.b_y)]
        parts = []
        for name, m in ws:
            if m is None:
                continue
            if m.ndim == 1:
                parts.append(f"{name} = {D.vec_lines(m, st, bare=False)}")
            else:                                    # a matrix: WRAP // 2 rows a line when it is large
                per = max(1, D.WRAP // 2)
                chunks = [", ".join(st.vec(r) for r in m[i:i + per]) for i in range(0, len(m), per)]
                parts.append(f"{name} = " + D.mono("[" + ',<BR ALIGN="LEFT"/> '.join(chunks) + "]", size=12))
        if sum(np.size(m) for _, m in ws if m is not None) <= 3 * D.WRAP:
            rows.append(",  ".join(parts))                   # a small network: one line
        else:
            rows += parts                                    # a large one: a line per parameter
    rows += _adder_rows(trace, st)
    shapes = (f"shapes: {sym('x', 't')} [{trace.input_size}], {sym('h', 't')} [{trace.hidden}]"
              + (f", {sym('y', 't')} [{trace.output_size}]" if trace.V is not None else "")
              + f"; T = {len(trace.steps)} steps")
    if layout == "one-to-many" and len(trace.steps) > 1:
        shapes += "; one-to-many: inputs after t = 1 drawn dashed (this trace still feeds them)"
    rows.append(font(shapes, color=st.muted, size=11))
    body = "".join(f'<TR><TD ALIGN="LEFT">{r}</TD></TR>' for r in rows)
    return f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">{body}</TABLE>'


def _bits(v: Any) -> str:
    return D.mono(esc(" ".join(str(int(b)) for b in v)), size=12)


def _adder_rows(trace: Any, st: Style) -> list[str]:
    """The hidden units' names and, for a binary-adder trace, the integers its bits read as."""
    rows = []
    if trace.unit_names:
        names = ",  ".join(f"{sym('h', f'[{k + 1}]')}: {font(esc(n), italic=True)}" for k, n in enumerate(trace.unit_names))
        rows.append(f"hidden units: {names}")
    a = trace.adder
    if a is not None:
        places = esc(", ".join(str(int(p)) for p in a.place))
        rows.append(f"bits read least significant first (place values {places}):")
        ok = font(esc(f"= {a.a} + {a.b}  ✓"), color=D.role("output"), bold=True) if a.correct else             font(esc(f"≠ {a.a} + {a.b} = {a.expected}  ✗"), color=D.role("gradient"), bold=True)
        rows.append(f"a = {_bits(a.a_bits)} → {font(str(a.a), bold=True)},   "
                    f"b = {_bits(a.b_bits)} → {font(str(a.b), bold=True)},   "
                    f"sum y = {_bits(a.sum_bits)} → {font(str(a.sum), bold=True)} {ok}")
    return rows


def _embedded(computed: Any, t: int, what: str) -> list[str]:
    """Under x_t, the embedding row it is (``= E[3]``) when the inputs were token ids."""
    row = D.embedded_from(computed, t) if what == "x" else ""
    return [font("= " + D.mono(esc(row), size=11), color=D.role("x"), size=11)] if row else []


def _adder_extra(trace: Any, k: int, what: str) -> list[str]:
    """Per-step annotations of a binary-adder trace: the bits' place value and the carry."""
    a = trace.adder
    if a is None:
        return []
    if what == "x":
        return [font(esc(f"a={a.a_bits[k]}  b={a.b_bits[k]}  (×{a.place[k]})"), color=D.role("x"), size=11)]
    if what == "h":
        return [font(esc(f"carry {a.carries[k]}"), color=D.role("hidden"), size=11)]
    return [font(esc(f"sum bit ×{a.place[k]}"), color=D.role("x"), size=11)]


def build_unfolded(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    """x_t at the bottom, h_t in the middle, y_t on top; U, W, V on the edges."""
    st = style
    trace = computed.trace
    layout = opts.get("layout") or "many-to-many"
    if layout not in LAYOUTS:
        raise InputError(f"--layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    steps = trace.steps
    n = len(steps)
    shown, gap_after = _steps_shown(n, int(opts.get("max_steps") or 8))
    g = D.digraph("rnn_unfolded", st, rankdir="BT", nodesep="0.5", ranksep="0.55")
    title = _title(computed, f"Elman RNN unfolded over T = {n} steps ({layout})")
    g.attr("graph", label=D.html_label(_weights_legend(trace, st, layout)), labelloc="b", labeljust="c")
    m = graphviz.Digraph(name="cluster_main")
    m.attr(label=D.html_label(font(esc(title), bold=True, size=16)), labelloc="b", labeljust="c",  # BT: "b" is the top
           color=st.bg, fontcolor=st.fg)
    ranks: dict[str, list[str]] = {"x": [], "h": [], "y": []}
    if opts.get("rolled"):
        _rolled(m, st, steps[0].y is not None, ranks)
    m.node("h_0", D.html_label(_node_label("h", 0, [_val(steps[0].h_prev, st)] if st.key else [], st)),
           color=D.role("hidden"), **_node(st))
    ranks["h"].append("h_0")
    prev = "h_0"
    for k in shown:
        prev = _step(m, st, steps[k], prev, layout, last=k == n - 1, ranks=ranks,
                     extra=lambda what, k=k: _adder_extra(trace, k, what) + _embedded(computed, steps[k].t, what))
        if gap_after is not None and k == shown[gap_after]:
            lo_t, hi_t = steps[k + 1].t, steps[shown[gap_after + 1] - 1].t
            m.node("skip", D.html_label(font(esc(f"\u22ef steps {lo_t}\u2013{hi_t} \u22ef"), color=st.muted)),
                   shape="plaintext")
            m.edge(prev, "skip", label=D.edge_label("W", st), color=D.role("hidden"), penwidth="2.2", style="dashed")
            ranks["h"].append("skip")
            prev = "skip"
    for name, members in ranks.items():
        if members:
            with m.subgraph(name=f"rank_{name}") as r:
                r.attr(rank="same")
                for m_ in members:
                    r.node(m_)
    g.subgraph(m)
    return g


def _node(st: Style) -> dict[str, str]:
    return dict(shape="box", style="rounded,filled", fillcolor=st.bg, penwidth="2.2", margin="0.1,0.05")


def _rolled(m: graphviz.Digraph, st: Style, has_y: bool, ranks: dict[str, list[str]]) -> None:
    """The rolled form (x_t -> h_t with its W loop -> y_t) and '= unfold ->' beside it."""
    node, hid, xcol = _node(st), D.role("hidden"), D.role("x")
    m.node("rolled_x", D.html_label(font(sym("x", "t", size=14), bold=True, size=14)), color=xcol, **node)
    m.node("rolled_h", D.html_label(font(sym("h", "t", size=14), bold=True, size=14)), color=hid, **node)
    m.edge("rolled_x", "rolled_h", label=D.edge_label("U", st), color=xcol)
    m.edge("rolled_h", "rolled_h", label=D.edge_label("W", st), color=hid, penwidth="2")
    ranks["x"].append("rolled_x")
    ranks["h"].append("rolled_h")
    if has_y:
        m.node("rolled_y", D.html_label(font(sym("y", "t", size=14), bold=True, size=14)), color=st.fg, **node)
        m.edge("rolled_h", "rolled_y", label=D.edge_label("V", st), color=st.fg)
        ranks["y"].append("rolled_y")
    m.node("unfold", D.html_label(font("= unfold \u2192", bold=True, size=14, color=st.muted)), shape="plaintext")
    ranks["h"].append("unfold")
    m.edge("rolled_h", "unfold", style="invis", minlen="1")
    m.edge("unfold", "h_0", style="invis")


def _step(m: graphviz.Digraph, st: Style, s: Any, prev: str, layout: str, *, last: bool,
          ranks: dict[str, list[str]], extra=lambda what: []) -> str:
    """h_t (fed by prev through W), x_t below it, y_t above it when the layout has one: the h node id.
    ``extra(what)`` gives more rows for the h, x or y node (the binary adder's bits and carry)."""
    t, node, hid, xcol = s.t, _node(st), D.role("hidden"), D.role("x")
    hrows = []
    if st.all:
        hrows.append(font(sym("a", t) + " = " + _val(s.a, st), color=st.muted, size=11))
    if st.key:
        hrows += [_val(s.h, st), *extra("h")]
    m.node(f"h_{t}", D.html_label(_node_label("h", t, hrows, st)), color=hid, **node)
    ranks["h"].append(f"h_{t}")
    m.edge(prev, f"h_{t}", label=D.edge_label("W", st), color=hid, penwidth="2.2",
           **({"style": "dashed"} if prev == "skip" else {}))
    dashed_x = layout == "one-to-many" and t > 1
    m.node(f"x_{t}", D.html_label(_node_label("x", t, [_val(s.x, st), *extra("x")] if st.key else [], st)), color=xcol,
           **{**node, "style": "rounded,filled,dashed" if dashed_x else "rounded,filled"})
    m.edge(f"x_{t}", f"h_{t}", label=D.edge_label("U", st), color=xcol, **({"style": "dashed"} if dashed_x else {}))
    ranks["x"].append(f"x_{t}")
    if s.y is not None and (layout != "many-to-one" or last):
        m.node(f"y_{t}", D.html_label(_node_label("y", t, [_val(s.y, st), *extra("y")] if st.key else [], st)),
               color=st.fg, **node)
        m.edge(f"h_{t}", f"y_{t}", label=D.edge_label("V", st), color=st.fg)
        ranks["y"].append(f"y_{t}")
    return f"h_{t}"
