"""``seq2seq`` (fixed context C) and ``seq2seq-attention`` (a context c_i per decoder step, edges
sized by alpha_ij, plus the alignment matrix with numbers and bars); ``--side-by-side`` draws the
exam's two figures in one: the same weights run without and with attention.

Pinned layout (neato): source tokens along the bottom left, encoder states above them, the
decoder to the right. Views only: states, contexts, alphas, predictions are trace fields.
Tokens come from users: they go through ``_draw.token``.
"""
from __future__ import annotations

from typing import Any

import graphviz

from gatelab.engines.registry import Computed
from gatelab.engines.errors import InputError

from . import _draw as D
from ._draw import Style, esc, font, sym
from .lstm import _title

ALIGN_TITLE = "alignment \u03b1 (rows: output steps)"


def _pin(x: float, y: float) -> str:
    return f"{x:.2f},{y:.2f}!"


def _block(g: graphviz.Digraph, c: Computed, st: Style, p: str, y0: float, dx: float) -> float:
    """Draw one run with its lower edge at y0; returns the height used (inches)."""
    tr = c.trace
    att = tr.alignment is not None
    T_in, T_out = len(tr.encoder), len(tr.steps)
    hid, xcol, acol, enc_col = D.role("hidden"), D.role("x"), D.role("attention"), D.role("input")
    node = dict(shape="box", style="rounded,filled", fillcolor=st.bg, margin="0.06,0.03")
    y_tok, y_state, y_ctx = y0, y0 + 1.2, y0 + (3.2 if att else 2.5)
    y_out = y0 + (4.4 if att else 3.8)
    x_dec0 = (T_in - 1) * dx + (2.6 if not att else 1.6) * dx   # the decoder starts right of the encoder

    # encoder
    for e in tr.encoder:
        x = (e.j - 1) * dx
        g.node(f"{p}src_{e.j}", D.html_label(font("\u201c" + D.token(e.token) + "\u201d", bold=True, size=13)),
               color=xcol, penwidth="1.8", pos=_pin(x, y_tok), **node)
        lab = font(sym("h", e.j), bold=True, size=14)
        g.node(f"{p}enc_{e.j}", D.html_label(lab), color=enc_col, penwidth="2", pos=_pin(x, y_state), **node)
        g.edge(f"{p}src_{e.j}", f"{p}enc_{e.j}", color=xcol)
        if e.j > 1:
            g.edge(f"{p}enc_{e.j - 1}", f"{p}enc_{e.j}", color=enc_col, penwidth="1.8", dir="both")
    # decoder
    for s in tr.steps:
        x = x_dec0 + (s.i - 1) * dx
        g.node(f"{p}in_{s.i}", D.html_label(font("\u201c" + D.token(s.input_token) + "\u201d", size=12)),
               color=xcol, penwidth="1.5", pos=_pin(x, y_tok), **node)
        lab = font(sym("s", s.i), bold=True, size=14)
        g.node(f"{p}dec_{s.i}", D.html_label(lab), color=hid, penwidth="2", pos=_pin(x, y_state), **node)
        g.edge(f"{p}in_{s.i}", f"{p}dec_{s.i}", color=xcol)
        if s.i > 1:
            g.edge(f"{p}dec_{s.i - 1}", f"{p}dec_{s.i}", color=hid, penwidth="1.8")
        out = font("\u201c" + D.token(s.predicted) + "\u201d", bold=True, size=13)
        if st.key:
            out += "<BR/>" + font("p = " + st.num(s.p_predicted), color=st.muted, size=10)
            if s.target is not None and s.target != s.predicted:
                out += "<BR/>" + font(esc("target ") + "\u201c" + D.token(s.target) + "\u201d", color=st.muted, size=10)
        g.node(f"{p}out_{s.i}", D.html_label(out), color=st.fg, penwidth="1.8", pos=_pin(x, y_out), **node)
        g.edge(f"{p}dec_{s.i}", f"{p}out_{s.i}", color=st.fg)
    # context
    if not att:
        lab = font("C", bold=True, size=15) + " = [" + sym("h\u2192", T_in) + ", " + sym("h\u2190", 1) + "]"
        if st.key:
            lab += "<BR/>" + D.mono(st.vec(tr.fixed_context), size=10)
        lab += "<BR/>" + font(esc("fixed context: the whole source in one vector"), color=st.muted, size=10)
        g.node(f"{p}C", D.html_label(lab), shape="box", style="rounded,filled,bold", fillcolor=st.panel,
               color=acol, penwidth="2.5", pos=_pin(x_dec0 - 1.3 * dx, y_ctx + 0.3))
        g.edge(f"{p}enc_{T_in}", f"{p}C", color=acol, penwidth="2.5")
        for s in tr.steps:
            g.edge(f"{p}C", f"{p}dec_{s.i}", color=acol, penwidth="1.4", style="dashed")
        return y_out - y0 + 0.9
    for s in tr.steps:
        x = x_dec0 + (s.i - 1) * dx
        g.node(f"{p}ctx_{s.i}", D.html_label(font(sym("c", s.i), bold=True, size=14)), color=acol, penwidth="2",
               pos=_pin(x - 0.35 * dx, y_ctx), **node)
        g.edge(f"{p}ctx_{s.i}", f"{p}dec_{s.i}", color=acol, penwidth="1.8")
        for j in range(T_in):
            # pen width from alpha_ij: a drawing choice; the numbers are in the matrix
            g.edge(f"{p}enc_{j + 1}", f"{p}ctx_{s.i}", color=acol, penwidth=f"{0.3 + 6.0 * float(s.alpha[j]):.2f}",
                   arrowhead="none")
    # the alignment matrix, numbers and bars
    q1, q2 = "\u201c", "\u201d"
    rows = ['<TR><TD></TD>' + "".join(f'<TD>{font(q1 + D.token(e.token) + q2, bold=True, size=11)}</TD>'
                                      for e in tr.encoder) + "</TR>"]
    for s in tr.steps:
        cells = "".join(
            f'<TD><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR><TD>{D.mono(st.num(a), size=10)}</TD></TR>'
            f'<TR><TD>{D.bar(a, acol, st, width=44, height=6)}</TD></TR></TABLE></TD>' for a in s.alpha)
        row_head = font(sym("\u03b1", s.i) + " " + q1 + D.token(s.predicted) + q2, size=11)
        rows.append(f'<TR><TD ALIGN="RIGHT">{row_head}</TD>{cells}</TR>')
    table = (f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2" COLOR="{st.muted}">'
             f'<TR><TD COLSPAN="{T_in + 1}">{font(esc(ALIGN_TITLE), bold=True, size=11)}</TD></TR>'
             f'{"".join(rows)}</TABLE>')
    formula = (sym("c", "i") + " = \u03a3" + sym("", "j") + " " + sym("\u03b1", "ij") + " " + sym("h", "j") + ",  "
               + sym("\u03b1", "i") + " = softmax(" + sym("e", "i") + ")")
    table = table.replace("</TABLE>", f'<TR><TD COLSPAN="{T_in + 1}">{font(formula, size=11, color=st.muted)}</TD></TR></TABLE>', 1) \
        if False else table[:-len("</TABLE>")] + f'<TR><TD COLSPAN="{T_in + 1}">{font(formula, size=11, color=st.muted)}</TD></TR></TABLE>'
    width_in = 0.2 + 0.75 * (T_in + 1)
    g.node(f"{p}alignment", D.html_label(table), shape="plain",
           pos=_pin(x_dec0 + (T_out - 1) * dx + 0.7 * dx + width_in / 2, y_ctx))
    return y_out - y0 + 0.9


def build(computed: dict[str, Computed], *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st = style
    if "attention" in computed and computed["attention"].trace.alignment is None:
        raise InputError("this seq2seq source runs without attention; pass --attention bahdanau or luong "
                         "(for a fixed context use the seq2seq diagram)")
    g = D.digraph("seq2seq", st, rankdir="LR")
    g.attr("graph", layout="neato", splines="line", overlap="true", outputorder="edgesfirst")
    order = [k for k in ("fixed", "attention") if k in computed]
    dx = 1.9 if st.all else 1.5
    y = 0.0
    widest = 0.0
    blocks = []
    for k in reversed(order):          # draw bottom-up so the first figure ends on top
        c = computed[k]
        tr = c.trace
        h = _block(g, c, st, f"{k}_", y, dx)
        widest = max(widest, (len(tr.encoder) + 1.6 + len(tr.steps)) * dx)
        blocks.append((k, c, y + h))
        y += h + 0.9
    for k, c, top in blocks:
        tr = c.trace
        name = ("Encoder-decoder with a fixed context C (no attention)" if k == "fixed" else
                f"Encoder-decoder with {tr.attention.capitalize()} attention ({tr.score} score)")
        title = _title(c, f"{name}: {tr.cell.upper()} cells, {tr.decode} decoding")
        g.node(f"{k}_title", D.html_label(font(esc(title), bold=True, size=15)), shape="plaintext",
               pos=_pin(widest / 2, top))
    return g
