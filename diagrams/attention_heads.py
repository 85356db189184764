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
import re
from dataclasses import dataclass
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


def _head_table(st: Style, mat: np.ndarray, ident: str, rows: list[int], size: tuple[int, int],
                qtoks: list[str], ktoks: list[str], tips: bool, numbers: bool) -> str:
    """One head: the chosen rows of its matrix ``mat`` [T_q, T_k] as cells (a full matrix, or one query's row
    as a column). ``ident`` ("L1H2") names the cells (``L1H2_i_j``) and their tooltips."""
    w, hh = size
    lut = _lut(st)
    if not tips and not numbers and len(rows) > 1:
        return _runs_table(mat, w, hh, lut)
    pre = f'WIDTH="{w}" HEIGHT="{hh}" FIXEDSIZE="TRUE" BGCOLOR="'
    lh = re.match(r"[A-Z]*L(\d+)H(\d+)", ident)
    where = f"layer {lh.group(1)} head {lh.group(2)}"
    out = []
    for i in rows:
        cells = []
        for j in range(mat.shape[1]):
            a = float(mat[i, j])
            attrs = pre + lut[min(max(int(round(a * 255)), 0), 255)] + '"'
            if tips:
                attrs += (f' ID="{ident}_{i}_{j}" HREF="#" TOOLTIP="{where}: '
                          f'{qtoks[i]} -&gt; {ktoks[j]} = {a:.6g}"')
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


@dataclass(frozen=True)
class _Group:
    """Rows of the grid drawn alike: one attention tensor [L, H, T_q, T_k] and its tokens."""
    label: str                 # "layer", "encoder layer", "cross-attention, layer"
    A: np.ndarray
    qtoks: list[str]
    ktoks: list[str]
    special: list[bool]
    ident: str                 # cell id prefix ("" for the model's own layers)
    main: bool                 # the layers trace.entropy / strongest_key / head_labels / focus describe
    header: str = ""


def _groups(tr: Any) -> list[_Group]:
    """The model's self-attention layers; an encoder-decoder also draws its encoder and its cross-attention."""
    toks, special = M.tokens(tr), M.special(tr)
    if tr.family != "encoder-decoder":
        return [_Group("layer", M.attention(tr), toks, toks, special, "", True)]
    src = [str(t) for t in tr.source_tokens]
    enc = np.stack([np.asarray(lay.attention) for lay in tr.encoder_layers])
    cross = np.stack([np.asarray(lay.cross_attention) for lay in tr.layers])
    return [_Group("encoder layer", enc, src, src, [False] * len(src), "E", False,
                   "encoder self-attention over the source tokens"),
            _Group("decoder layer", M.attention(tr), toks, toks, special, "", True,
                   "decoder masked self-attention over the target tokens"),
            _Group("cross, layer", cross, toks, src, special, "X", False,
                   "decoder cross-attention: rows the target tokens, columns the source tokens "
                   + " ".join(src[:16]) + " (in this order)")]


def build(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    st, tr = style, computed.trace
    if not M.is_model(tr):
        raise_kind(tr)
    toks, names = M.tokens(tr), M.head_labels(tr)
    qi = M.query_index(computed)
    groups = [grp for grp in _groups(tr) if qi is None or grp.ident != "E"]   # a query is a target position
    cells = sum(grp.A.shape[0] * grp.A.shape[1] * (1 if qi is not None else grp.A.shape[2]) * grp.A.shape[3]
                for grp in groups)
    heads = sum(grp.A.shape[0] * grp.A.shape[1] for grp in groups)
    T = max(max(grp.A.shape[2:]) for grp in groups)
    ctx = dict(qi=qi, chosen=M.chosen_head(computed), names=names, size=_sizes(T, heads, qi is not None),
               tips=cells <= TOOLTIP_CELLS, numbers=st.all and heads <= NUMBERS_MAX_HEADS and T <= NUMBERS_MAX_T)
    g = D.digraph("attention_heads", st, rankdir="TB", ranksep="0.25")
    prev = None
    for k, grp in enumerate(groups):       # one node per group: a long header never stretches another grid
        nid = "grid" if len(groups) == 1 else f"grid_{k}"
        if grp.header:
            g.node(f"header_{k}", D.html_label(font(esc(grp.header), bold=True, size=12)), shape="plaintext")
            if prev is not None:
                g.edge(prev, f"header_{k}", style="invis")
            prev = f"header_{k}"
        rows = "".join(_group_rows(st, tr, grp, **ctx))
        g.node(nid, D.html_label(f'<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="0">{rows}</TABLE>'), shape="plain")
        if prev is not None:
            g.edge(prev, nid, style="invis")
        prev = nid
    g.node("legend", D.html_label(_legend(st, None if qi is None else repr(toks[qi]))), shape="plain")
    g.edge(prev, "legend", style="invis")
    g.attr("graph", label=D.html_label(_title(st, tr, computed, qi, toks)), labelloc="t", labeljust="c")
    return g


def _group_rows(st: Style, tr: Any, grp: _Group, *, qi, chosen, names, size, tips, numbers) -> list[str]:
    L, H = grp.A.shape[:2]
    rows = list(range(grp.A.shape[2])) if qi is None else [qi]
    qtip, ktip = [esc(t, limit=48) for t in grp.qtoks], [esc(t, limit=48) for t in grp.ktoks]
    out = []
    for l in range(L):
        heads, caps = [], []
        for h in range(H):
            main = grp.main and (l, h)
            frame = D.role("input") if main == chosen else D.role("attention") if main in names else st.muted
            inner = _head_table(st, grp.A[l, h], f"{grp.ident}L{l + 1}H{h + 1}", rows, size, qtip, ktip, tips, numbers)
            heads.append(f'<TD BORDER="2" COLOR="{frame}" CELLPADDING="0" VALIGN="TOP">{inner}</TD>')
            cap = (_caption(st, tr, l, h, qi, grp.A, grp.qtoks, names, chosen) if grp.main
                   else font(esc(f"H{h + 1}"), bold=True, size=9))
            caps.append(f'<TD VALIGN="TOP">{cap}</TD>')
        label = font(esc(f"{grp.label} {l + 1}"), bold=True, size=11)
        column = _token_column(st, grp.qtoks if qi is None else grp.ktoks, grp.special if qi is None or grp.ktoks is grp.qtoks
                               else [False] * len(grp.ktoks), size[1], qi if grp.ktoks is grp.qtoks else None)
        out.append(f'<TR><TD ROWSPAN="2" VALIGN="MIDDLE">{label}</TD>'
                   f'<TD BORDER="2" COLOR="{st.bg}" CELLPADDING="0" VALIGN="TOP">{column}</TD>{"".join(heads)}</TR>'
                   f'<TR><TD></TD>{"".join(caps)}</TR>')
    return out


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
