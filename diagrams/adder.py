"""``binary-adder-table``: one step of the binary-adder RNN is a 1-bit full adder.

View only: every row is a :class:`engines.rnn_adder.TruthRow` of the trace's ``adder`` reading
(one engine step from the state that encodes carry-in); the full adder's bits and the match are
fields of the row too.
"""
from __future__ import annotations

from typing import Any

import graphviz

from gatelab.engines.errors import InputError

from . import _draw as D
from ._draw import Style, esc, font, sym
from .lstm import _title


def _cell(text: str, *, bg: str | None = None, bold: bool = False, color: str | None = None) -> str:
    fill = f' BGCOLOR="{bg}"' if bg else ""
    return f'<TD{fill} CELLPADDING="5">{font(text, bold=bold, color=color)}</TD>'


def _head(text: str, st: Style, sub: str = "") -> str:
    note = f"<BR/>{font(esc(sub), color=st.muted, size=10)}" if sub else ""
    return f'<TD BGCOLOR="{st.panel}" CELLPADDING="5">{font(text, bold=True)}{note}</TD>'


def build_table(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st = style
    tr = computed.trace
    a = tr.adder
    if a is None:
        raise InputError("binary-adder-table draws a trace with a binary-adder reading: use preset binary-adder "
                         'or a weights file declaring "decode": "binary-adder"')
    k = a.carry_unit
    carry_name = tr.unit_names[k] if tr.unit_names else ""
    ok_c, bad_c, bit_c = D.role("output"), D.role("gradient"), D.role("input")
    mono = lambda v: D.mono(st.vec(v), size=12)  # noqa: E731
    head = "".join([
        _head("a", st), _head("b", st), _head("carry-in c", st),
        _head(f"{sym('h', '0')} encoding c", st), _head(f"{sym('a', '1')} = U x + W {sym('h', '0')} + {sym('b', 'h')}", st),
        _head(f"{sym('h', '1')} = {esc(tr.activation)}({sym('a', '1')})", st),
        _head(f"sum bit {sym('y', '1')}", st, "V h + b_y"),
        _head(f"carry-out {sym('h', '1')}[{k + 1}]", st, carry_name),
        _head("full adder", st, "(a+b+c) mod 2, \u230a(a+b+c)/2\u230b"), _head("", st)])
    rows = [f"<TR>{head}</TR>"]
    for r in a.truth_table:
        bits = "".join(_cell(str(v), bold=True) for v in (r.a, r.b, r.carry_in))
        mark = "\u2713" if r.matches else "\u2717"
        rows.append(
            f"<TR>{bits}<TD>{mono(r.h_prev)}</TD><TD>{mono(r.pre)}</TD><TD>{mono(r.h)}</TD>"
            f"{_cell(st.num(r.y[0]), bold=True, color=bit_c)}{_cell(str(r.carry_out), bold=True, color=bit_c)}"
            f"{_cell(esc(f'{r.full_adder_sum}, {r.full_adder_carry}'))}"
            f"{_cell(mark, bold=True, color=ok_c if r.matches else bad_c)}</TR>")
    table = (f'<TABLE BORDER="1" CELLBORDER="1" CELLSPACING="0" COLOR="{st.muted}" BGCOLOR="{st.bg}">'
             f'{"".join(rows)}</TABLE>')
    verdict = ("every row equals the 1-bit full adder" if a.truth_table_ok
               else f"{sum(not r.matches for r in a.truth_table)} of {len(a.truth_table)} rows differ from the full adder")
    states = ",  ".join(f"c = {c}: {sym('h', '0')} = {D.mono(st.vec(h), size=12)}" for c, h in enumerate(a.carry_states))
    notes = [
        font(esc(_title(computed, "One step of the binary-adder RNN = a 1-bit full adder")), bold=True, size=16),
        font(esc(f"Each row: one engine step from the state encoding carry-in; {verdict}."),
             color=ok_c if a.truth_table_ok else bad_c, bold=True, size=13),
    ]
    legend = [
        f"carry-in: the state the network reaches after reading [c, c] from h = 0 (its sum s = 2c): {states}",
        f"carry-out: unit {sym('h', f'[{k + 1}]')}, the only unit W feeds back" + (f": {esc(carry_name)}" if carry_name else ""),
    ]
    if tr.unit_names:
        legend.append("hidden units: " + ",  ".join(f"{sym('h', f'[{j + 1}]')}: {esc(n)}" for j, n in enumerate(tr.unit_names)))
    g = D.digraph("binary_adder_table", st, rankdir="TB")
    g.attr("graph", label=D.html_label("<BR/>".join(notes)), labelloc="t", labeljust="c")
    g.node("truth_table", D.html_label(table), shape="plain")
    body = "".join(f'<TR><TD ALIGN="LEFT">{font(r, size=12)}</TD></TR>' for r in legend)
    g.node("legend", D.html_label(f'<TABLE BORDER="0" CELLSPACING="1" CELLPADDING="1">{body}</TABLE>'), shape="plain")
    g.edge("truth_table", "legend", style="invis")
    return g
