"""Char-RNN diagram: ``char-rnn`` (the unfolded network on a text, one-hot inputs, hidden values,
output scores with the winner marked and the target letter beside it).

By default the trace's own decoding (``--decode teacher|free``) is drawn; ``--side-by-side``
draws teacher forcing above free running, and in free running each output's winner is drawn
as an edge to the next input (the letter fed back).

Views only: every value is a field of ``trace.teacher.steps[t]`` / ``trace.free.steps[t]``
(``fed, x, h, scores, p, chosen, target, correct, loss``) or of the trace (``vocab, text,
loss, generated``), formatted by ``diagrams.style.fmt``.
"""
from __future__ import annotations

from typing import Any

import graphviz

from . import _draw as D
from ._draw import Style, esc, font, sym
from .lstm import _title

RIGHT, WRONG = D.role("output"), D.role("forget")   # green / vermillion (always with words too)


def _letter(ch: str) -> str:
    return esc(repr(ch))


def _onehot(s: Any, vocab: tuple[str, ...], st: Style, fed_back: bool) -> str:
    head = font(sym("x", s.t) + " = " + _letter(s.fed), bold=True, size=13)
    why = font("fed back" if fed_back else ("first letter" if s.t == 1 else "true letter"), color=st.muted, size=10)
    rows = [f'<TR><TD COLSPAN="2">{head}</TD></TR><TR><TD COLSPAN="2">{why}</TD></TR>']
    for k, ch in enumerate(vocab):
        on = s.x[k] > 0.5
        bg = f' BGCOLOR="{D.role("x")}"' if on else ""
        rows.append(f'<TR><TD{bg}>{font(_letter(ch), bold=on, size=11)}</TD>'
                    f'<TD{bg}>{D.mono(st.num(s.x[k]), size=11, bold=on)}</TD></TR>')
    return (f'<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" COLOR="{D.role("x")}" '
            f'BGCOLOR="{st.panel}">{"".join(rows)}</TABLE>')


def _hidden(s: Any, st: Style) -> str:
    rows = [f'<TR><TD COLSPAN="{len(s.h)}">{font(sym("h", s.t), bold=True, size=13)}</TD></TR>']
    if st.key:
        rows.append(f"<TR>{D.vec_cells(s.h, st, colour=D.role('hidden'), lo=-1.0, hi=1.0)}</TR>")
    return (f'<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" COLOR="{D.role("hidden")}" '
            f'BGCOLOR="{st.panel}">{"".join(rows)}</TABLE>')


def _scores(s: Any, vocab: tuple[str, ...], st: Style) -> str:
    verdict = font("right" if s.correct else "wrong", bold=True, color=RIGHT if s.correct else WRONG, size=11)
    head = (f'<TR><TD COLSPAN="4">{font(sym("o", s.t) + " scores, " + sym("p", s.t) + " softmax", bold=True, size=12)}'
            f"</TD></TR>")
    rows = [head, f'<TR><TD></TD><TD>{font("o", size=10, color=st.muted)}</TD>'
                  f'<TD>{font("p", size=10, color=st.muted)}</TD><TD></TD></TR>']
    for k, ch in enumerate(vocab):
        win, tgt = k == s.chosen_index, k == s.target_index
        bg = f' BGCOLOR="{RIGHT if s.correct else WRONG}"' if win else ""
        mark = []
        if win:
            mark.append(font("\u25c0 winner", bold=True, size=10))
        if tgt:
            mark.append(font("target", bold=True, size=10, color=RIGHT if s.correct else WRONG))
        rows.append(f'<TR><TD{bg}>{font(_letter(ch), bold=win, size=11)}</TD>'
                    f'<TD{bg} ALIGN="RIGHT">{D.mono(st.num(s.scores[k]), size=11, bold=win)}</TD>'
                    f'<TD{bg} ALIGN="RIGHT">{D.mono(st.num(s.p[k]), size=11, bold=win)}</TD>'
                    f'<TD ALIGN="LEFT">{" ".join(mark)}</TD></TR>')
    rows.append(f'<TR><TD COLSPAN="4">{font("chooses " + _letter(s.chosen) + ", target " + _letter(s.target), size=11)}'
                f" {verdict}</TD></TR>")
    if st.all:
        rows.append(f'<TR><TD COLSPAN="4">{font("-ln p[target] = " + st.num(s.loss), size=10, color=st.muted)}</TD></TR>')
    return (f'<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" COLOR="{D.role("y")}" '
            f'BGCOLOR="{st.panel}">{"".join(rows)}</TABLE>')


def _row(g: graphviz.Digraph, tr: Any, dec: Any, st: Style) -> tuple[list[str], list[str]]:
    """One decoding as a cluster; returns its input and output node ids (for stacking)."""
    m = dec.mode
    free = m == "free"
    what = ("free running: each winner is fed back as the next input" if free
            else "teacher forcing: the true previous letter is fed")
    label = f"{what}  \u2192  {dec.generated!r}"
    label += f";  sum of -ln p[target] = {st.num(dec.loss)}" if st.key else ""
    if dec.first_wrong is not None:
        label += f";  first wrong letter at t = {dec.first_wrong}"
    xs, os_ = [], []
    with g.subgraph(name=f"cluster_{m}") as c:
        c.attr(label=D.html_label(font(esc(label), bold=True, size=14)), labelloc="b", style="rounded",
               color=st.muted, fontcolor=st.fg)
        c.node(f"{m}_h_0", D.html_label(font(sym("h", 0) + " = 0", size=12)), shape="box", style="rounded",
               color=D.role("hidden"))
        prev = f"{m}_h_0"
        for s in dec.steps:
            x, h, o = f"{m}_x_{s.t}", f"{m}_h_{s.t}", f"{m}_o_{s.t}"
            c.node(x, D.html_label(_onehot(s, tr.vocab, st, free and s.t > 1)), shape="plain")
            c.node(h, D.html_label(_hidden(s, st)), shape="plain")
            c.node(o, D.html_label(_scores(s, tr.vocab, st)), shape="plain")
            c.edge(x, h, label=D.edge_label("U" if tr.cell == "rnn" else "cell", st, size=11), color=D.role("x"))
            c.edge(prev, h, label=D.edge_label("W" if tr.cell == "rnn" else "", st, size=11) if tr.cell == "rnn" else "",
                   color=D.role("hidden"), penwidth="2.2")
            c.edge(h, o, label=D.edge_label("V", st, size=11), color=D.role("y"))
            with c.subgraph(name=f"rank_{m}_{s.t}") as r:
                r.attr(rank="same")
                r.node(h)
                r.node(prev)
            xs.append(x)
            os_.append(o)
            prev = h
        if free:
            for s in dec.steps[:-1]:
                colour = RIGHT if s.correct else WRONG
                # drawn x -> o with dir=back: the arrowhead sits on x_{t+1}, the letter fed in
                c.edge(f"{m}_x_{s.t + 1}", f"{m}_o_{s.t}", dir="back",
                       xlabel=D.html_label(font(esc(f"feeds {s.chosen!r}"), bold=True, size=11, color=colour)),
                       color=colour, style="dashed", penwidth="2", constraint="false", tailport="nw", headport="se")
    return xs, os_


def build(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    """The unfolded char-RNN; --side-by-side: teacher forcing above free running."""
    st = style
    tr = computed.trace
    which = "untrained (initial) weights" if tr.weights_set == "initial" else "trained weights"
    what = f"char-RNN ({tr.cell}, H = {tr.hidden}) on {tr.text!r}, {which}"
    g = D.digraph("char_rnn", st, rankdir="BT", nodesep="0.5", ranksep="0.4", splines="curved")
    g.attr("graph", label=D.html_label(font(esc(_title(computed, what)), bold=True, size=16)), labelloc="t",
           labeljust="c")
    rows = [tr.teacher, tr.free] if opts.get("side_by_side") else [tr.free if tr.decode == "free" else tr.teacher]
    placed = [_row(g, tr, dec, st) for dec in reversed(rows)]   # BT: the first drawn is the lowest
    for (_, lower_out), (upper_in, _) in zip(placed, placed[1:]):
        for o, x in zip(lower_out, upper_in):
            g.edge(o, x, style="invis")
    vocab = ", ".join(f"{ch!r}" for ch in tr.vocab)
    g.node("legend", D.html_label(font(esc(f"vocabulary (one-hot order): {vocab};  loss under teacher forcing "
                                           f"L = -\u03a3 ln p[target] = {st.num(tr.loss)}"), size=12)),
           shape="plaintext")
    g.edge("legend", placed[0][0][0], style="invis")
    return g
