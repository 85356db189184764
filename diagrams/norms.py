"""``norms``: layer norm vs batch norm of the same batch, the axis each normalises drawn on the matrix.

View only: x, the means, the (biased) variances, the outputs y and their per-axis mean/std are
fields of the two norm traces (``engines.transformer.NormTrace``); layer norm's statistics run
along each row (the features of one example), batch norm's down each column (one feature
across the batch). Rows (or columns) sharing one mean and variance share one tint.
"""
from __future__ import annotations

from typing import Any

import graphviz

from gatelab.engines.errors import InputError

from . import _draw as D
from ._draw import Style, esc, font, sym
from .lstm import _title

_NOISE = 1e-12         # |mean| below this is float round-off of an exact 0, printed as 0 (said on the figure)
_TINTS = (0.30, 0.14)   # alternating strengths of the highlight, so neighbouring groups stay apart


def _tint(colour: str, bg: str, a: float) -> str:
    """``colour`` mixed into the background with weight ``a`` (a display colour, not a model value)."""
    c = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(bg[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(a * ci + (1 - a) * bi):02X}" for ci, bi in zip(c, b))


def _td(text: str, bg: str | None = None, *, bold: bool = False, color: str | None = None) -> str:
    fill = f' BGCOLOR="{bg}"' if bg else ""
    return f'<TD{fill} CELLPADDING="5">{font(text, bold=bold, color=color)}</TD>'


def _stat(v: float, st: Style) -> str:
    """A statistic; float round-off (|v| < 1e-12, e.g. the mean of a normalised row) prints as 0."""
    return D.mono(st.num(0.0 if abs(v) < _NOISE else v), size=12)


def _matrix(tr: Any, m: Any, name: str, st: Style, colour: str, stats: bool) -> str:
    """x or y as a table; layer norm tints rows and adds mean/var columns, batch norm tints columns
    and adds mean/var rows (``stats``: the input's statistics; else the output's mean/std)."""
    rows_axis = tr.which == "layer"
    N, d = m.shape
    hd = st.panel
    mean_lab, var_lab = (("\u03bc", "\u03c3\u00b2") if stats else ("mean", "std x\u0302"))
    mean_v, var_v = (tr.mean, tr.var) if stats else (tr.out_mean, tr.out_std)
    head = _td("", hd) + "".join(_td(esc(f"feature {j + 1}"), hd, bold=True) for j in range(d))
    if rows_axis:
        head += _td(mean_lab, hd, bold=True, color=colour) + _td(var_lab, hd, bold=True, color=colour)
    out = [f"<TR>{head}</TR>"]
    for n in range(N):
        cells = _td(sym(name, n + 1), hd, bold=True)
        for j in range(d):
            group = n if rows_axis else j
            cells += _td(D.mono(st.num(m[n, j]), size=12), _tint(colour, st.bg, _TINTS[group % 2]))
        if rows_axis:
            tint = _tint(colour, st.bg, _TINTS[n % 2])
            cells += _td(_stat(mean_v[n], st), tint, bold=True) + _td(_stat(var_v[n], st), tint, bold=True)
        out.append(f"<TR>{cells}</TR>")
    if not rows_axis:
        for lab, v in ((mean_lab, mean_v), (var_lab, var_v)):
            cells = _td(lab, hd, bold=True, color=colour)
            cells += "".join(_td(_stat(v[j], st), _tint(colour, st.bg, _TINTS[j % 2]), bold=True)
                             for j in range(d))
            out.append(f"<TR>{cells}</TR>")
    return (f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" COLOR="{st.muted}">{"".join(out)}</TABLE>')


def _panel(tr: Any, st: Style, colour: str) -> str:
    layer = tr.which == "layer"
    N, d = tr.x.shape
    title = "Layer norm" if layer else "Batch norm"
    axis = (f"\u2194 across each row: the {d} features of one example (axis 1): {N} means and variances"
            if layer else f"\u2195 down each column: one feature across the batch of {N} (axis 0): {d} means and variances")
    mu, sg, ga, be = "\u03bc", "\u03c3", "\u03b3", "\u03b2"
    if layer:
        rule = (f"{sym('y', 'n')} = {ga} ({sym('x', 'n')} \u2212 {sym(mu, 'n')}) / "
                f"\u221a({sym(sg, 'n', sup='2')} + \u03b5) + {be}")
    else:
        rule = (f"{sym('y', ':,j')} = {sym(ga, 'j')} ({sym('x', ':,j')} \u2212 {sym(mu, 'j')}) / "
                f"\u221a({sym(sg, 'j', sup='2')} + \u03b5) + {sym(be, 'j')}")
    after = (f"per row: mean of y, std of x\u0302 (|v| < {_NOISE:g} printed as 0)" if layer
             else f"per column: mean of y, std of x\u0302 (|v| < {_NOISE:g} printed as 0)")
    parts = [
        font(esc(title), bold=True, size=16, color=colour),
        font(esc(axis), size=12),
        font(rule, size=12),
        font("input x, with the statistics of each highlighted group (biased variance)", color=st.muted, size=11),
        _matrix(tr, tr.x, "x", st, colour, True),
        font(esc("output y (\u03b3 = ") + D.mono(st.vec(tr.gamma), size=11) + esc(", \u03b2 = ")
             + D.mono(st.vec(tr.beta), size=11) + esc(f", \u03b5 = {tr.eps:g}); {after}"), color=st.muted, size=11),
        _matrix(tr, tr.y, "y", st, colour, False),
    ]
    body = "".join(f"<TR><TD>{p}</TD></TR>" for p in parts)
    return f'<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="2">{body}</TABLE>'


def build(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st = style
    ln, bn = computed["layer"].trace, computed["batch"].trace
    if ln.x.shape != bn.x.shape or (ln.x != bn.x).any():
        raise InputError("norms compares both norms on one batch; the layer-norm and batch-norm inputs differ")
    g = D.digraph("norms", st, rankdir="LR", nodesep="0.6")
    head = _title(computed["layer"], f"Layer norm vs batch norm of the same batch x [{ln.x.shape[0]} examples \u00d7 "
                                     f"{ln.x.shape[1]} features]")
    g.attr("graph", label=D.html_label(font(esc(head), bold=True, size=16)), labelloc="t", labeljust="c")
    cells = "".join(f'<TD VALIGN="TOP" BORDER="2" STYLE="rounded" COLOR="{c}" CELLPADDING="8">{_panel(tr, st, c)}</TD>'
                    for tr, c in ((ln, D.role("hidden")), (bn, D.role("cell"))))
    g.node("norms", D.html_label(f'<TABLE BORDER="0" CELLSPACING="14"><TR>{cells}</TR></TABLE>'), shape="plain")
    return g
