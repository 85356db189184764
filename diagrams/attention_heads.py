"""``attention-heads``: the model view of a whole Transformer, every layer x every head.

A grid drawn with Graphviz (one HTML table, so the layout costs nothing): a row per layer, a
column per head, each head a small heatmap of its attention matrix ``A[l, h]`` (rows: queries,
columns: keys, in the order of the row labels) on one fixed colour scale 0 -> 1 stated in the
legend. Every cell carries its exact weight as a tooltip when the figure is not too large
(``TOOLTIP_CELLS``). ``--query TOKEN`` reduces each head to that query's row, drawn as a
vertical strip beside the key tokens, with the strongest key (``strongest_key`` from the
trace) and its weight under each head. Named heads (the trace's ``head_labels``) are framed
and captioned; ``--layer L --head H`` frames that head (the engine's ``focus``). Per-head entropy (``entropy``, bits) is printed under each head with
``--values all``. Every number comes from the trace; this module only selects and formats.
"""
from __future__ import annotations

import functools
from typing import Any

import graphviz
import numpy as np

from . import _draw as D
from . import _model as M
from ._draw import Style, esc, font, token
from gatelab.style import fmt

TOOLTIP_CELLS = 24_000        # above this many cells the SVG stays lean: no per-cell tooltips
NUMBERS_MAX_T = 10            # a model this small prints its weights in the cells
NUMBERS_MAX_HEADS = 8
SCALE = (0.0, 0.25, 0.5, 0.75, 1.0)


def _mix(a: str, b: str, t: float) -> str:
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(ca, cb))


def colour(st: Style, a: float) -> str:
    """The fixed scale: background at 0, the attention colour at 0.5, a dark end at 1 (a drawing choice)."""
    a = min(max(float(a), 0.0), 1.0)
    mid, end = D.role("attention"), "#8A3B00" if st.theme.name == "light" else "#FFD9A0"
    return _mix(st.bg, mid, 2 * a) if a <= 0.5 else _mix(mid, end, 2 * a - 1)


def _short(a: float) -> str:
    """A weight in a 34-point cell: two significant digits (the tooltip carries six)."""
    return fmt(a, 2)


@functools.lru_cache(maxsize=4)
def _lut(st: Style) -> list[str]:
    """The colour of every weight rounded to 1/255 (what a display can show anyway)."""
    return [colour(st, k / 255) for k in range(256)]


def _sizes(T: int, n_heads: int, query: bool) -> tuple[int, int]:
    """(cell width, cell height) in points: a figure of about the same size whatever T is."""
    if n_heads * 1 <= NUMBERS_MAX_HEADS and T <= NUMBERS_MAX_T:
        return (34, 16)
    c = int(min(14, max(7, round(110 / T))))
    return (max(c, 16), c) if query else (c, c)


def _head_table(st: Style, A: np.ndarray, l: int, h: int, rows: list[int], size: tuple[int, int],
                toks: list[str], tips: bool, numbers: bool) -> str:
    """One head: the chosen rows of A[l, h] as cells (a full matrix, or one query's row as a column)."""
    w, hh = size
    lut = _lut(st)
    if not tips and not numbers and len(rows) > 1:
        return _runs_table(A[l, h], w, hh, lut)
    pre = f'WIDTH="{w}" HEIGHT="{hh}" FIXEDSIZE="TRUE" BGCOLOR="'
    out = []
    for i in rows:
        cells = []
        for j in range(A.shape[3]):
            a = float(A[l, h, i, j])
            attrs = pre + lut[min(max(int(round(a * 255)), 0), 255)] + '"'
            if tips:
                attrs += (f' ID="L{l + 1}H{h + 1}_{i}_{j}" HREF="#" TOOLTIP="layer {l + 1} head {h + 1}: '
                          f'{toks[i]} -&gt; {toks[j]} = {a:.6g}"')
            body = D.mono(esc(_short(a)), size=8, color=st.fg if a < 0.6 else st.bg) if numbers else ""
            cells.append(f"<TD {attrs}>{body}</TD>")
        out.extend(f"<TR>{c}</TR>" for c in cells) if len(rows) == 1 else out.append("<TR>" + "".join(cells) + "</TR>")
    return f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{"".join(out)}</TABLE>'


def _runs_table(M_: np.ndarray, w: int, hh: int, lut: list[str]) -> str:
    """A large matrix with no per-cell tooltip: neighbouring cells of one row with the same displayed colour
    become one cell (COLSPAN), which keeps Graphviz fast on a 12 x 12 model (a masked triangle is one cell a row)."""
    out = []
    for row in M_:
        levels = np.clip(np.rint(np.asarray(row, dtype=float) * 255), 0, 255).astype(int)
        cells, j = [], 0
        while j < len(levels):
            k = j
            while k + 1 < len(levels) and levels[k + 1] == levels[j]:
                k += 1
            n = k - j + 1
            span = f' COLSPAN="{n}"' if n > 1 else ""
            cells.append(f'<TD{span} WIDTH="{n * w}" HEIGHT="{hh}" FIXEDSIZE="TRUE" BGCOLOR="{lut[levels[j]]}"></TD>')
            j = k + 1
        out.append("<TR>" + "".join(cells) + "</TR>")
    return f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{"".join(out)}</TABLE>'


def _caption(st: Style, tr: Any, l: int, h: int, qi: int | None, A: np.ndarray, toks: list[str],
             names: dict, chosen: tuple[int, int] | None = None) -> str:
    parts = [font(esc(f"H{h + 1}") + (esc(" (chosen)") if (l, h) == chosen else ""), bold=True, size=9,
                  color=D.role("input") if (l, h) == chosen else None)]
    if (l, h) in names:
        parts.append(font(token(names[(l, h)]), bold=True, size=9, color=D.role("attention")))
    if qi is not None and st.key:
        j = int(np.asarray(tr.strongest_key)[l, h, qi])
        parts.append(font(esc("\u2192 ") + token(toks[j]) + " " + st.num(float(A[l, h, qi, j])), size=8))
    elif st.all and getattr(tr, "entropy", None) is not None:
        parts.append(font(st.num(float(np.asarray(tr.entropy)[l, h])) + esc(" bits"), size=8, color=st.muted))
    return "<BR/>".join(parts)


def _token_column(st: Style, toks: list[str], special: list[bool], hh: int, mark: int | None) -> str:
    rows = []
    for i, t in enumerate(toks):
        txt = esc(f"{i} ") + token(t)
        col = st.muted if special[i] else st.fg
        rows.append(f'<TR><TD HEIGHT="{hh}" ALIGN="RIGHT">'
                    f'{font(txt, size=min(10, hh - 1), color=col, bold=(i == mark))}</TD></TR>')
    return f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{"".join(rows)}</TABLE>'


def _legend(st: Style, query: str | None) -> str:
    sw = "".join(f'<TD WIDTH="26" HEIGHT="10" FIXEDSIZE="TRUE" BORDER="1" COLOR="{st.muted}" BGCOLOR="{colour(st, v)}"></TD>' for v in SCALE)
    nums = "".join(f"<TD>{font(st.num(v), size=9)}</TD>" for v in SCALE)
    what = ("rows: query i, columns: key j, in the order of the row labels"
            if query is None else f"each strip: the weights of query {query} over the keys (top to bottom)")
    return (f'<TABLE BORDER="0" CELLSPACING="1" CELLPADDING="1"><TR><TD ROWSPAN="2">'
            f'{font(esc("attention weight a_ij (each query row sums to 1), fixed colour scale:"), size=10)}</TD>'
            f"{sw}<TD ROWSPAN=\"2\">{font(esc('  ' + what), size=10, color=st.muted)}</TD></TR><TR>{nums}</TR></TABLE>")


def build(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st, tr = style, computed.trace
    if not M.is_model(tr):
        raise_kind(tr)
    A = M.attention(tr)                                  # [L, H, T, T]
    L, H, T, _ = A.shape
    toks, special, names = M.tokens(tr), M.special(tr), M.head_labels(tr)
    qi = M.query_index(computed)
    chosen = M.chosen_head(computed)
    rows = list(range(T)) if qi is None else [qi]
    size = _sizes(T, L * H, qi is not None)
    tips = L * H * len(rows) * T <= TOOLTIP_CELLS
    toks_tip = [esc(t, limit=48) for t in toks]
    numbers = st.all and L * H <= NUMBERS_MAX_HEADS and T <= NUMBERS_MAX_T
    body = []
    for l in range(L):
        heads, caps = [], []
        for h in range(H):
            frame = D.role("input") if (l, h) == chosen else D.role("attention") if (l, h) in names else st.muted
            inner = _head_table(st, A, l, h, rows, size, toks_tip, tips, numbers)
            heads.append(f'<TD BORDER="2" COLOR="{frame}" CELLPADDING="0" VALIGN="TOP">{inner}</TD>')
            caps.append(f'<TD VALIGN="TOP">{_caption(st, tr, l, h, qi, A, toks, names, chosen)}</TD>')
        label = font(esc(f"layer {l + 1}"), bold=True, size=11)
        body.append(f'<TR><TD ROWSPAN="2" VALIGN="MIDDLE">{label}</TD>'
                    f'<TD BORDER="2" COLOR="{st.bg}" CELLPADDING="0" VALIGN="TOP">'
                    f'{_token_column(st, toks, special, size[1], qi)}</TD>{"".join(heads)}</TR>'
                    f'<TR><TD></TD>{"".join(caps)}</TR>')
    grid = f'<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="0">{"".join(body)}</TABLE>'
    g = D.digraph("attention_heads", st, rankdir="TB")
    g.node("grid", D.html_label(grid), shape="plain")
    g.node("legend", D.html_label(_legend(st, None if qi is None else repr(toks[qi]))), shape="plain")
    g.edge("grid", "legend", style="invis")
    g.attr("graph", label=D.html_label(_title(st, tr, computed, qi, toks)), labelloc="t", labeljust="c")
    return g


def _title(st: Style, tr: Any, computed: Any, qi: int | None, toks: list[str]) -> str:
    L, H = len(tr.layers), M.attention_shape(tr)[1]
    fam = getattr(tr, "family", "") or "Transformer"
    norm = getattr(tr, "norm", "") or ""
    head = f"Attention of every head: {fam}, {L} layers x {H} heads" + (f", {norm}" if norm else "")
    if qi is not None:
        head += f"; query {toks[qi]!r} (position {qi})"
    src = M.source_name(computed)
    sub = "tokens: " + " ".join(toks[:24]) + (" ..." if len(toks) > 24 else "")
    return (font(esc(head), bold=True, size=15) + "<BR/>" + font(token(src), color=st.muted, size=11)
            + "<BR/>" + font(esc(sub[:160]), color=st.muted, size=10))


def raise_kind(tr: Any) -> None:
    from gatelab.engines.errors import InputError
    raise InputError(f"this figure draws a whole Transformer model (a {M.KIND} trace), not a {getattr(tr, 'kind', '?')!r} "
                     "trace; give --weights MODEL_DIR or a whole-model preset")
