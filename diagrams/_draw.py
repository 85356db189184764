"""Drawing helpers shared by the diagram builders: escaping, HTML-like label pieces,
number formatting, value bars and graph defaults.

No maths on model values happens here: numbers arrive from traces and are only
formatted (``gatelab.style.fmt``) or mapped to a bar length / pen width.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import graphviz

from gatelab import style as _style
from gatelab.style import FONT, MONO_FONT, ROLE, Theme

# Characters that cannot appear in XML 1.0 (and so not in an SVG): C0 controls other than
# tab/newline/CR, DEL and C1 controls, lone surrogates, U+FFFE/U+FFFF.
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MAX_TEXT = 48


def xml_safe(s: str) -> str:
    """Replace characters XML 1.0 cannot carry by a visible ``\\xNN`` / ``\\uNNNN``."""
    return _BAD_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", s)


def esc(text: Any, *, limit: int | None = None) -> str:
    """User text -> safe text for a DOT HTML-like label.

    ``<``, ``>``, ``&``, quotes are entity-escaped (so ``<script>`` or ``"]; x [label=``
    come out as text, never as markup or DOT syntax); characters XML cannot carry become a
    visible ``\\xNN``/``\\uNNNN`` escape; whitespace runs become one space; very long text
    is cut with an ellipsis (``limit``; use ``token()`` for user tokens).
    """
    s = xml_safe(str(text))
    s = re.sub(r"\s+", " ", s)
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    # graphviz expands \N, \G, \L ... even inside HTML-like labels (and even written as &#92;N):
    # a doubled backslash is the only way to print one.
    return html.escape(s, quote=True).replace("\\", "\\\\")


def token(text: Any) -> str:
    """A user-supplied token/label: escaped and cut at 48 characters."""
    return esc(text, limit=_MAX_TEXT)


@dataclass(frozen=True)
class Style:
    """How a builder draws: theme colours, which values to print, significant digits."""
    theme: Theme = field(default_factory=lambda: _style.theme("light"))
    values: str = "all"          # none | key | all
    digits: int = 3

    @property
    def key(self) -> bool:
        return self.values in ("key", "all")

    @property
    def all(self) -> bool:
        return self.values == "all"

    def num(self, x: float) -> str:
        return esc(_style.fmt(x, self.digits))

    def vec(self, v: Iterable[float]) -> str:
        return esc(_style.fmt_vec(v, self.digits))

    @property
    def fg(self) -> str:
        return self.theme.foreground

    @property
    def muted(self) -> str:
        return self.theme.muted

    @property
    def panel(self) -> str:
        return self.theme.panel

    @property
    def bg(self) -> str:
        return self.theme.background

    @property
    def edge(self) -> str:
        return self.theme.edge


def role(name: str) -> str:
    return ROLE[name]


def digraph(name: str, st: Style, *, rankdir: str = "LR", **graph_attr: str) -> graphviz.Digraph:
    """A Digraph with GateLab's defaults (font, theme colours, spacing)."""
    g = graphviz.Digraph(name=name)
    attrs = dict(fontname=FONT, fontsize="14", bgcolor=st.bg, fontcolor=st.fg, rankdir=rankdir,
                 pad="0.3", nodesep="0.35", ranksep="0.45", newrank="true")
    attrs.update(graph_attr)
    g.attr("graph", **attrs)
    g.attr("node", fontname=FONT, fontsize="13", color=st.fg, fontcolor=st.fg, penwidth="1.2")
    g.attr("edge", fontname=FONT, fontsize="12", color=st.edge, fontcolor=st.fg, penwidth="1.4",
           arrowsize="0.7")
    return g


# ------------------------------------------------------------------ HTML-like label pieces

def sym(base: str, sub: str | int | None = None, *, sup: str | None = None, size: int | None = None) -> str:
    """A symbol with a small subscript, e.g. sym('h', 2) -> h<SUB>2</SUB>. Inputs are our own
    notation strings (escaped anyway)."""
    s = esc(base, limit=None)
    if sup is not None:
        s += f'<SUP><FONT POINT-SIZE="{(size or 13) - 3}">{esc(sup, limit=None)}</FONT></SUP>'
    if sub is not None and sub != "":
        s += f'<SUB><FONT POINT-SIZE="{(size or 13) - 3}">{esc(sub, limit=None)}</FONT></SUB>'
    return s


def font(text: str, *, color: str | None = None, size: int | None = None, bold: bool = False,
         italic: bool = False, face: str | None = None) -> str:
    """Wrap already-escaped ``text`` in FONT/B/I tags (graphviz rejects an empty <FONT></FONT>)."""
    if text == "":
        return ""
    attrs = []
    if color:
        attrs.append(f'COLOR="{color}"')
    if size:
        attrs.append(f'POINT-SIZE="{size}"')
    if face:
        attrs.append(f'FACE="{face}"')
    s = text
    if bold:
        s = f"<B>{s}</B>"
    if italic:
        s = f"<I>{s}</I>"
    return f"<FONT {' '.join(attrs)}>{s}</FONT>" if attrs else s


def mono(text: str, **kw) -> str:
    return font(text, face=MONO_FONT, **kw)


WRAP = 8      # values per line of a long vector (a vocabulary's logits) in a node


def embedded_from(computed: Any, t: int) -> str:
    """``E[3]`` when step ``t``'s input x_t is row 3 of the checkpoint's embedding (inputs given as token ids)."""
    ids = (getattr(computed, "provenance", None) or {}).get("token_ids")
    return f"E[{ids[t - 1]}]" if ids and 1 <= t <= len(ids) else ""


def x_label(computed: Any, t: int, x: Any, st: Style) -> str:
    """The input node's text: ``x_t``, its embedding row when it came from a token id (``= E[3]``), and its
    values when the style shows them (wrapped past :data:`WRAP` entries)."""
    label = font(sym("x", t, size=14), bold=True, size=14)
    row = embedded_from(computed, t)
    if row:
        label += " = " + mono(esc(row), size=12)
    if st.key:
        label += " = " + vec_lines(x, st)
    return label


def vec_lines(v: Any, st: Style, *, size: int = 12, bare: bool = True) -> str:
    """A vector in monospace (one entry bare unless ``bare`` is False); past :data:`WRAP` entries, WRAP values a line."""
    if len(v) == 1 and bare:
        return mono(st.num(v[0]), size=size)
    if len(v) <= WRAP:
        return mono(st.vec(v), size=size)
    lines = [", ".join(st.num(float(e)) for e in v[i:i + WRAP]) for i in range(0, len(v), WRAP)]
    return mono("[" + ',<BR ALIGN="LEFT"/> '.join(lines) + ']<BR ALIGN="LEFT"/>', size=size)   # every line flush left


def bar(value: float, colour: str, st: Style, *, lo: float = 0.0, hi: float = 1.0, width: int = 44,
        height: int = 7) -> str:
    """A small horizontal fill bar (an HTML table) showing ``value`` on [lo, hi].

    Gates (lo=0, hi=1) fill from the left. Signed values (lo=-1, hi=1) fill from the
    centre to the left (negative) or right (positive). The number itself is always
    printed next to it by the caller: the bar is a second channel, never the only one.
    """
    v = float(value)
    if v != v:  # NaN: an empty bar
        v = lo
    v = min(max(v, lo), hi)
    outline = st.muted
    empty = st.bg

    def cell(w: int, c: str) -> str:
        return f'<TD WIDTH="{w}" HEIGHT="{height}" FIXEDSIZE="TRUE" BGCOLOR="{c}"></TD>' if w > 0 else ""

    if lo >= 0:
        filled = int(round(width * (v - lo) / (hi - lo)))
        cells = cell(filled, colour) + cell(width - filled, empty)
    else:
        half = width // 2
        mag = int(round(half * abs(v) / max(abs(lo), abs(hi))))
        if v < 0:
            cells = cell(half - mag, empty) + cell(mag, colour) + cell(1, outline) + cell(half, empty)
        else:
            cells = cell(half, empty) + cell(1, outline) + cell(mag, colour) + cell(half - mag, empty)
    return (f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0" COLOR="{outline}">'
            f"<TR>{cells}</TR></TABLE>")


def vec_cells(values: Iterable[float], st: Style, *, colour: str | None = None, lo: float = 0.0,
              hi: float = 1.0, with_bar: bool = True, bold: bool = False) -> str:
    """One <TD> per component: the formatted number, with a fill bar under it."""
    out = []
    for v in values:
        txt = font(st.num(v), bold=bold)
        if with_bar and colour is not None:
            inner = (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="0">'
                     f'<TR><TD>{txt}</TD></TR><TR><TD>{bar(v, colour, st, lo=lo, hi=hi)}</TD></TR></TABLE>')
            out.append(f'<TD CELLPADDING="2">{inner}</TD>')
        else:
            out.append(f'<TD CELLPADDING="2">{txt}</TD>')
    return "".join(out)


def html_label(body: str) -> str:
    """Mark a string as an HTML-like label for graphviz (``<...>``).

    Every ``]`` becomes ``&#93;``: graphviz 2.43 rejects a ``]`` right after ``</SUB>``/``</SUP>``
    at the end of a cell ("non-space string used after </TABLE>"). No tag or attribute uses ``]``.
    """
    return "<" + body.replace("]", "&#93;") + ">"


def edge_label(text: str, st: Style, *, size: int = 13, color: str | None = None) -> str:
    """A padded edge label (already-escaped ``text``), so it never touches its line."""
    return html_label(f'<TABLE BORDER="0" CELLPADDING="3" CELLSPACING="0"><TR><TD>'
                      f'{font(text, bold=True, size=size, color=color)}</TD></TR></TABLE>')
