"""Highway layer diagram: ``highway`` (one example's dataflow, forward values and the carry path of the gradient).

x splits into the transform branch H(x) and the transform gate T; the carry gate C = 1 - T
scales x, T scales H, and the two shares add up to y. Underneath, the gradient goes back from
y to x along the carry path (Jacobian diag(1 - T)). With a residual trace the gate is gone:
y = H(x) + x and the carry path is the identity.

Views only: every value is a field of ``trace.examples[b]`` (``x, a_H, H, T, C, TH, Cx, y,
dy, dx, dx_carry, J_carry``), formatted by ``gatelab.style.fmt``.
"""
from __future__ import annotations

from typing import Any

import graphviz

from gatelab.engines.errors import InputError

from . import _draw as D
from ._draw import Style, esc, font, sym
from .gru import _valbox
from .lstm import _title

GATE, CARRY, TRANSFORM = "update", "cell", "candidate"   # colour roles: gate T, carry path, transform H


def _pick(tr: Any, example: Any):
    n = len(tr.examples)
    if example is None:
        return tr.examples[0]
    k = int(example)
    if not 1 <= k <= n:
        raise InputError(f"--example {k} is out of range; this trace has {n} example(s): 1..{n}")
    return tr.examples[k - 1]


def _legend(tr: Any, st: Style) -> str:
    f = esc(tr.activation)
    hx = "H(x) = " + f + "(" + sym("W", "H") + " x + " + sym("b", "H") + ")"
    if tr.residual:
        rows = [(TRANSFORM, hx), (CARRY, "y = H(x) + x  (residual: the carry path is the identity I)")]
    else:
        rows = [(TRANSFORM, hx),
                (GATE, "T = \u03c3(" + sym("W", "T") + " x + " + sym("b", "T") + "),  C = 1 \u2212 T"),
                (CARRY, "y = T \u2299 H(x) + C \u2299 x;  \u2202y/\u2202x = diag(1 \u2212 T) + transform and gate paths")]
    body = "".join(f'<TR><TD WIDTH="14" HEIGHT="12" FIXEDSIZE="TRUE" BGCOLOR="{D.role(r)}"></TD>'
                   f'<TD ALIGN="LEFT">{txt}</TD></TR>' for r, txt in rows)
    return f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">{body}</TABLE>'


def _state(name: str, v: Any, st: Style, extra: str = "") -> str:
    head = font(esc(name), bold=True, size=14) + extra
    if not st.key:
        return head
    return (f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD>{head}</TD></TR>'
            f'<TR><TD>{D.mono(st.vec(v), size=12)}</TD></TR></TABLE>')


def _grad_label(tr: Any, e: Any, st: Style) -> str:
    carry = "I" if tr.residual else "diag(1 \u2212 T)"
    rows = [font(esc(f"gradient back along the carry path: \u2202y/\u2202x = {carry} + \u2026"), bold=True,
                 color=D.role("gradient"))]
    if st.key:
        diag = [e.J_carry[i][i] for i in range(len(e.x))]
        rows += [f"{esc(carry)} = diag({D.mono(st.vec(diag), size=12)})",
                 f"\u2202L/\u2202y = {D.mono(st.vec(e.dy), size=12)}",
                 f"carry part of \u2202L/\u2202x = {D.mono(st.vec(e.dx_carry), size=12)}",
                 f"all of \u2202L/\u2202x = {D.mono(st.vec(e.dx), size=12)}"]
    if st.all:
        rows.append(font(esc(f"\u2016\u2202L/\u2202x\u2016 = {D.esc(st.num(e.dx_norm))}, "
                             f"carry part alone {D.esc(st.num(e.dx_carry_norm))}"), color=st.muted, size=11))
    body = "".join(f'<TR><TD ALIGN="LEFT">{r}</TD></TR>' for r in rows)
    return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">{body}</TABLE>'


def build(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    """One example's forward dataflow, left to right, and the gradient's carry path under it."""
    st = style
    tr = computed.trace
    e = _pick(tr, opts.get("example"))
    n = len(tr.examples)
    kind = "Residual layer y = H(x) + x" if tr.residual else "Highway layer"
    what = f"{kind}: example {e.b} of {n}" + ("" if tr.residual else f" ({e.regime}, mean T = {st.num(e.T_mean)})")
    g = D.digraph("highway", st, rankdir="LR", nodesep="0.45", ranksep="0.55")
    g.attr("graph", label=D.html_label(font(esc(_title(computed, what)), bold=True, size=16)), labelloc="t",
           labeljust="c")
    state = dict(shape="box", style="rounded,filled", fillcolor=st.bg, penwidth="2.5", margin="0.1,0.05")
    box = dict(shape="plain")
    xcol, carry, grad = D.role("x"), D.role(CARRY), D.role("gradient")

    g.node("x", D.html_label(_state("x", e.x, st)), color=xcol, **state)
    pre = font(f"  {sym('a', 'H')} = " + D.mono(st.vec(e.a_H), size=11), color=st.muted, size=11) if st.all else ""
    g.node("H", D.html_label(_valbox("H(x)" + pre, e.H, D.role(TRANSFORM), st, lo=-1.0, hi=1.0,
                                     op=tr.activation)), **box)
    g.edge("x", "H", label=D.edge_label(sym("W", "H"), st, size=11), color=D.role(TRANSFORM), penwidth="2")
    g.node("add", D.html_label(font("+", bold=True, size=18)), shape="circle", width="0.42", fixedsize="true",
           style="filled", fillcolor=st.bg, color=carry, penwidth="2.2")
    g.node("y", D.html_label(_state("y", e.y, st)), color=D.role("hidden"), **{**state, "penwidth": "3"})
    if tr.residual:
        g.edge("H", "add", color=D.role(TRANSFORM), penwidth="2.5")
        g.edge("x", "add", label=D.edge_label("identity (skip)", st, size=11, color=carry), color=carry,
               penwidth="4")
    else:
        pre_t = font(f"  {sym('a', 'T')} = " + D.mono(st.vec(e.a_T), size=11), color=st.muted, size=11) if st.all else ""
        g.node("T", D.html_label(_valbox("T gate" + pre_t, e.T, D.role(GATE), st, lo=0.0, hi=1.0, op="\u03c3")), **box)
        g.node("C", D.html_label(_valbox("C = 1 \u2212 T  carry", e.C, carry, st, lo=0.0, hi=1.0, op="1 \u2212 \u00b7")),
               **box)
        g.node("TH", D.html_label(_valbox("T \u2299 H(x)  " + font("transformed", color=st.muted, size=11), e.TH,
                                          D.role(TRANSFORM), st)), **box)
        g.node("Cx", D.html_label(_valbox("C \u2299 x  " + font("carried", color=st.muted, size=11), e.Cx, carry, st)),
               **box)
        g.edge("x", "T", label=D.edge_label(sym("W", "T"), st, size=11), color=D.role(GATE), penwidth="2")
        g.edge("T", "C", color=D.role(GATE), penwidth="2")
        g.edge("T", "TH", color=D.role(GATE), penwidth="2")
        g.edge("H", "TH", color=D.role(TRANSFORM), penwidth="2.5")
        g.edge("C", "Cx", color=carry, penwidth="2")
        g.edge("x", "Cx", color=carry, penwidth="4")
        g.edge("TH", "add", color=D.role(TRANSFORM), penwidth="2.5")
        g.edge("Cx", "add", color=carry, penwidth="4")
    g.edge("add", "y", color=D.role("hidden"), penwidth="2.5")
    # the gradient's carry path: from y back to x, under the forward graph
    g.node("grad", D.html_label(_grad_label(tr, e, st)), shape="box", style="rounded,dashed", color=grad,
           penwidth="1.5", margin="0.12,0.06")
    g.edge("y", "grad", color=grad, penwidth="3", style="dashed", arrowhead="none", constraint="false")
    g.edge("grad", "x", color=grad, penwidth="3", style="dashed", constraint="false")
    g.node("legend", D.html_label(_legend(tr, st)), shape="plaintext")
    with g.subgraph(name="rank_bottom") as r:
        r.attr(rank="same")
        r.node("legend")
    g.edge("x", "legend", style="invis")
    return g
