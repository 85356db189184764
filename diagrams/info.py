"""``cross-entropy``: several models' per-example cross-entropy and error rates as one table.

View only: q, argmax predictions, correctness, per-example H(p_n, q_n), totals and error rates
are fields of the info trace (``engines.info.InfoTrace``). The view compares the printed totals
and error rates to say which tie and which differ (no number is computed here).
"""
from __future__ import annotations

from typing import Any

import graphviz

from . import _draw as D
from ._draw import Style, esc, font, sym
from .lstm import _title
from .norms import _tint
from gatelab.style import fmt


def _td(text: str, bg: str | None = None, *, bold: bool = False, color: str | None = None, span: int = 1,
        size: int | None = None) -> str:
    fill = f' BGCOLOR="{bg}"' if bg else ""
    cs = f' COLSPAN="{span}"' if span > 1 else ""
    return f'<TD{fill}{cs} CELLPADDING="5">{font(text, bold=bold, color=color, size=size)}</TD>'


def _pct(v: float) -> str:
    return esc(fmt(100.0 * v, 4) + "%")


def build(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st = style
    tr = computed.trace
    C = len(tr.classes)
    unit = tr.units
    log = "log\u2082" if unit == "bits" else "ln"
    hd, good, bad = st.panel, D.role("output"), D.role("gradient")
    mcol = [D.role("input"), D.role("cell"), D.role("candidate"), D.role("hidden")]
    true_bg = _tint(D.role("hidden"), st.bg, 0.3)
    head1 = _td("", hd, span=2)
    head2 = _td("sample", hd, bold=True) + _td("true class", hd, bold=True)
    for k, m in enumerate(tr.models):
        head1 += _td(esc(m.name), hd, bold=True, color=mcol[k % 4], span=C + 2)
        head2 += "".join(_td(esc(c), hd, size=11) for c in tr.classes)
        head2 += _td("predicted", hd, size=11) + _td(f"\u2212{log} q(true) ({esc(unit)})", hd, size=11)
    rows = [f"<TR>{head1}</TR>", f"<TR>{head2}</TR>"]
    for n, sample in enumerate(tr.samples):
        lab = int(tr.labels[n])
        cells = _td(esc(sample), bold=True) + _td(esc(tr.classes[lab]), bold=True)
        for m in tr.models:
            for c in range(C):
                is_true = c == lab
                cells += _td(D.mono(st.num(m.q[n, c]), size=12), true_bg if is_true else None, bold=is_true)
            ok = bool(m.correct[n])
            mark = "\u2713" if ok else "\u2717"
            cells += _td(esc(f"{tr.classes[int(m.predicted[n])]} {mark}"), color=good if ok else bad, bold=True)
            cells += _td(D.mono(st.num(m.cross_entropy[n]), size=12), bold=True)
        rows.append(f"<TR>{cells}</TR>")
    rates = {m.error_rate for m in tr.models}
    totals = {m.total_cross_entropy for m in tr.models}
    tie = len(tr.models) > 1 and len(rates) == 1
    differ = len(totals) > 1
    err = _td("error rate", hd, bold=True, span=2)
    tot = _td(f"cross-entropy total ({esc(unit)})", hd, bold=True, span=2)
    for m in tr.models:
        err += _td("", span=C) + _td(_pct(m.error_rate), D.role("y") if tie else None, bold=True, span=2,
                                     color="#000000" if tie else None)   # dark text on yellow in both themes
        tot += _td("", span=C + 1) + _td(D.mono(esc(fmt(m.total_cross_entropy, 4)), size=13), bad if differ else None,
                                         bold=True, color=st.bg if differ else None)
    rows += [f"<TR>{err}</TR>", f"<TR>{tot}</TR>"]
    table = (f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" COLOR="{st.muted}" BGCOLOR="{st.bg}">'
             f'{"".join(rows)}</TABLE>')
    names = " vs ".join(f"{fmt(m.total_cross_entropy, 4)} {unit}" for m in tr.models)
    if tie and differ:
        verdict = (f"Error rates tie ({_pct(next(iter(rates)))} each) while cross-entropy differs ({esc(names)}):<BR/>"
                   "it also scores how much probability each model gives the true class (shaded).")
    elif tie:
        verdict = f"Error rates tie ({_pct(next(iter(rates)))} each) and so do the cross-entropy totals."
    else:
        verdict = "Error rates: " + esc(", ".join(f"{m.name} {fmt(100 * m.error_rate, 4)}%" for m in tr.models)) + \
            f"; cross-entropy totals: {esc(names)}."
    rule = (f"H(p, q) = \u2212\u03a3{sym('', 'c')} {sym('p', 'c')} {log} {sym('q', 'c')}"
            f" (one-hot p: \u2212{log} q(true class)); total = sum over the {len(tr.samples)} samples")
    g = D.digraph("cross_entropy", st, rankdir="TB")
    label = "<BR/>".join([font(esc(_title(computed, "Same error rate, different cross-entropy")), bold=True, size=16),
                          font(verdict, size=13, bold=True), font(rule, size=12, color=st.muted)])
    g.attr("graph", label=D.html_label(label), labelloc="t", labeljust="c")
    g.node("table", D.html_label(table), shape="plain")
    return g
