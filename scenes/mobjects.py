"""Reusable mobjects for the scenes. They take numbers and draw them; they compute nothing.

- :func:`label_text`: a line of text with the font set explicitly (unset, it came out serif), as
  one path with the outlines Manim's ``Text`` draws (:mod:`gatelab.scenes.glyphs`, much faster).
- :class:`Equation`: math without TeX by default (matplotlib mathtext layout, one path);
  ``use_tex=True`` gives manim's ``MathTex``. ``.tex`` keeps the source.
- :class:`ValueColumn`: a vector as a column of cells coloured by value, numbers printed.
- :class:`GateBox`: a gate as a box whose fill level is the gate's value in (0, 1).
- :class:`Heatmap`: a matrix of cells coloured by value, numbers printed, masked cells greyed.
- :class:`LabelledBar`: a bar with its value printed above it.

Every coloured value is also printed, so nothing is carried by colour alone.
Numbers are formatted by :func:`gatelab.style.fmt` (one formatter for every view).

A printed number says which trace record it shows: ``m.gatelab_source`` holds one
``(field, t, unit)`` per number of the mobject's text, in reading order (``t`` is the step's
``t`` or None for the trace itself, ``unit`` an index or None); see :func:`tag`. Drawing ignores
it; the tests resolve each against the trace.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Line, Rectangle, Text, VGroup, VMobject, WHITE)
from manim.utils.color import ManimColor

from gatelab.style import FONT, MONO_FONT, OKABE_ITO, fmt

from . import glyphs

__all__ = ["tag", "units", "sub", "label_text", "drop_svg_paths", "flat_text", "Flat", "GlyphText", "Equation", "ValueColumn", "GateBox", "Heatmap", "LabelledBar",
           "value_color", "POS", "NEG"]

POS = ManimColor(OKABE_ITO["orange"])     # positive values
NEG = ManimColor(OKABE_ITO["sky"])        # negative values


def tag(mobject, sources):
    """Record which trace values the numbers of ``mobject`` show: a sequence of ``(field, t, unit)``."""
    if sources is not None:
        mobject.gatelab_source = tuple(sources)
    return mobject


def units(field: str, t, n: int, start: int = 0) -> list[tuple]:
    """``[(field, t, start), ..., (field, t, start + n - 1)]``: the sources of a printed vector."""
    return [(field, t, k) for k in range(start, start + n)]


def label_text(s: str, size: float = 24, color=WHITE, weight: str = "NORMAL", mono: bool = False) -> "GlyphText":
    """A line of text in DejaVu Sans (or DejaVu Sans Mono), never the platform's default serif: the
    outlines Manim's ``Text`` would draw, as one path (see :mod:`gatelab.scenes.glyphs`)."""
    return GlyphText(_text_points(s, size, weight, mono), text=s, color=color)


def _text_points(s: str, size: float, weight: str, mono: bool) -> np.ndarray:
    font = MONO_FONT if mono else FONT
    try:
        return glyphs.text_points(s, font=font, size=size, weight=weight)
    except glyphs.Unsupported:          # e.g. several lines: Manim's Text, flattened
        return _outline(Text(s, font=font, font_size=size, weight=weight))


def drop_svg_paths(mobject):
    """Forget the parsed SVG path objects the glyphs were built from (``path_obj``).

    Manim keeps them after the points are made; every animation deep-copies them and every cached
    play serialises them for its hash. The points, and so the drawing, are unchanged.
    """
    for m in mobject.get_family():
        if getattr(m, "path_obj", None) is not None:
            m.path_obj = None
    return mobject


_SUB = str.maketrans("0123456789-+", "₀₁₂₃₄₅₆₇₈₉₋₊")


def sub(x) -> str:
    """Digits as Unicode subscripts (DejaVu Sans has them): sub(3) -> '₃'."""
    return str(x).translate(_SUB)


def _outline(source: VMobject) -> np.ndarray:
    parts = source.family_members_with_points()
    return np.concatenate([m.points for m in parts]) if parts else np.zeros((0, 3))


class Flat(VMobject):
    """Glyph outlines as ONE path, filled (same look as one submobject per glyph, one mobject).

    Manim's Text and equations have one submobject per glyph; every animation deep-copies them all
    and every cached play hashes them all. A flat path animates, copies and hashes 10-50x faster.
    ``text`` keeps the source string.
    """

    def __init__(self, points: np.ndarray, text: str = "", color=WHITE, **kw):
        super().__init__(**kw)
        if len(points):
            self.set_points(points)
        self.set_fill(color, opacity=1.0)
        self.set_stroke(color, width=0)
        self.text = text


class GlyphText(Flat):
    """A label: one line of text as one path; ``text`` / ``original_text`` keep the string."""

    @property
    def original_text(self) -> str:
        return self.text


def flat_text(s: str, size: float = 24, color=WHITE, weight: str = "NORMAL", mono: bool = False) -> Flat:
    """A one-path line of text (titles, captions): drawn like :func:`label_text`, not logged as a label."""
    return Flat(_text_points(s, size, weight, mono), text=s, color=color)


def value_color(v: float, vmax: float, pos=POS, neg=NEG, base=None) -> tuple[ManimColor, float]:
    """(fill colour, fill opacity) for a value on a symmetric scale [-vmax, vmax]."""
    if not math.isfinite(v):
        return ManimColor(OKABE_ITO["grey"]), 0.35
    a = min(abs(v) / vmax, 1.0) if vmax > 0 else 0.0
    return (ManimColor(pos) if v >= 0 else ManimColor(neg)), 0.12 + 0.68 * a


# --------------------------------------------------------------------------- equations

MATHTEXT_PT = 20.0          # size mathtext lays the equation out at
MATHTEXT_SCALE = 0.000697   # manim units per font point per layout point (calibrated: digits as tall as Text)


class Equation(VGroup):
    """An equation. ``tex`` is plain math (no ``$``), in the subset mathtext and LaTeX share.

    By default matplotlib's mathtext lays it out (no TeX installation needed; one flat path, see
    :func:`gatelab.scenes.glyphs.math_points`); ``use_tex=True`` gives manim's ``MathTex``."""

    def __init__(self, tex: str, font_size: float = 30, color=WHITE, use_tex: bool = False, **kw):
        super().__init__(**kw)
        self.tex = tex
        if use_tex:
            from manim import MathTex
            body = drop_svg_paths(MathTex(tex, font_size=font_size, color=color))
        else:
            points = glyphs.math_points(tex, font=FONT, size=MATHTEXT_PT) * (font_size * MATHTEXT_SCALE)
            body = Flat(points, text=tex, color=color)
        self.add(body)


# --------------------------------------------------------------------------- vectors and gates

class ValueColumn(VGroup):
    """A vector as cells (top to bottom, or left to right with ``horizontal``), numbers printed.

    ``vmax`` fixes the colour scale (pass the same one to compare columns); ``label`` goes above.
    ``source``: one ``(field, t, unit)`` per value (see :func:`tag`). ``limit``: at most that many cells;
    a longer vector shows its first and last values around one ``⋮`` cell.
    """

    def __init__(self, values: Sequence[float], *, label: str | None = None, label_color=None,
                 vmax: float | None = None, cell_w: float = 1.0, cell_h: float = 0.5, font_size: float = 20,
                 digits: int = 3, fg=WHITE, pos=POS, neg=NEG, horizontal: bool = False,
                 source: Sequence[tuple] | None = None, limit: int | None = None, **kw):
        super().__init__(**kw)
        vals = [float(v) for v in np.ravel(np.asarray(values, dtype=float))]
        if vmax is None:
            finite = [abs(v) for v in vals if math.isfinite(v)]
            vmax = max(finite + [1e-12])
        self.values = vals
        self.cells = VGroup()
        self.numbers = VGroup()
        shown = list(range(len(vals)))
        if limit is not None and len(vals) > max(limit, 3):     # the first and last values, the rest counted
            head = (limit - 1) - (limit - 1) // 2
            shown = shown[:head] + [None] + shown[len(vals) - (limit - 1) // 2:]
        for k in shown:
            if k is None:
                cell = Rectangle(width=cell_w, height=cell_h, stroke_color=fg, stroke_width=1.5, fill_opacity=0)
                num = label_text("⋮", size=font_size, color=fg)
            else:
                col, op = value_color(vals[k], vmax, pos, neg)
                cell = Rectangle(width=cell_w, height=cell_h, stroke_color=fg, stroke_width=1.5,
                                 fill_color=col, fill_opacity=op)
                num = tag(label_text(fmt(vals[k], digits), size=font_size, color=fg),
                          None if source is None else [source[k]])
            if num.width > cell_w * 0.92:
                num.scale_to_fit_width(cell_w * 0.92)
            if num.height > cell_h * 0.8:
                num.scale_to_fit_height(cell_h * 0.8)
            self.cells.add(cell)
            self.numbers.add(num)
        self.cells.arrange(RIGHT if horizontal else DOWN, buff=0)
        for cell, num in zip(self.cells, self.numbers):
            num.move_to(cell)
        self.add(self.cells, self.numbers)
        self.label = None
        if label:
            self.label = label_text(label, size=font_size + 2, color=label_color or fg)
            self.label.next_to(self.cells, UP, buff=0.12)
            self.add(self.label)

    def cells_at(self, point) -> "ValueColumn":
        """Move so that the cells (not the label) are centred on ``point``."""
        return self.shift(np.asarray(point, dtype=float) - self.cells.get_center())


class GateBox(VGroup):
    """A gate: an outlined box, filled from the bottom to the gate's value (0 = empty, 1 = full).

    Build it at ``level=0`` and animate ``box.animate.fill_to(v)``; the printed value is
    ``box.value_label(v)`` (a separate Text to fade in, as Text cannot morph digit by digit).
    """

    def __init__(self, name: str, *, color, level: float = 0.0, width: float = 0.9, height: float = 1.3,
                 fg=WHITE, font_size: float = 24, **kw):
        super().__init__(**kw)
        self.box_h = height
        self.frame = Rectangle(width=width, height=height, stroke_color=color, stroke_width=3)
        self.fill = Rectangle(width=width, height=height, stroke_width=0, fill_color=color, fill_opacity=0.8)
        self.add(self.frame, self.fill)
        self.name = None
        if name:
            self.name = label_text(name, size=font_size, color=fg, weight="BOLD")
            self.name.next_to(self.frame, UP, buff=0.1)
            self.add(self.name)
        self.fill_to(level)
        self.fg = fg

    def fill_to(self, level: float) -> "GateBox":
        level = min(max(float(level), 0.0), 1.0)
        self.fill.stretch_to_fit_height(max(level * self.box_h, 1e-4))
        self.fill.move_to(self.frame.get_bottom(), aligned_edge=DOWN)
        return self

    def value_label(self, value: float, digits: int = 3, font_size: float = 22,
                    source: tuple | None = None) -> "GlyphText":
        t = tag(label_text(fmt(value, digits), size=font_size, color=self.fg), None if source is None else [source])
        return t.next_to(self.frame, DOWN, buff=0.1)


class Heatmap(VGroup):
    """A matrix of cells coloured by value with the numbers printed.

    ``mask`` (bool array, True = masked) greys a cell and prints ``masked_text`` instead.
    ``cells[r][c]`` and ``numbers[r][c]`` address cells; ``row(r)`` is one row as a VGroup.
    ``source``: the trace field the matrix is (cell ``(r, c)`` shows ``(source, None, (r, c))``).
    """

    def __init__(self, matrix, *, row_labels: Sequence[str] | None = None, col_labels: Sequence[str] | None = None,
                 vmax: float | None = None, cell: float = 0.7, cell_h: float | None = None, font_size: float = 18,
                 digits: int = 2, fg=WHITE, pos=POS, neg=NEG, mask=None, masked_text: str = "",
                 show_numbers: bool = True, source: str | None = None, **kw):
        super().__init__(**kw)
        m = np.asarray(matrix, dtype=float)
        if m.ndim == 1:
            m = m[None, :]
        mask = np.zeros(m.shape, bool) if mask is None else np.asarray(mask, bool)
        if vmax is None:
            finite = np.abs(m[np.isfinite(m) & ~mask])
            vmax = float(finite.max()) if finite.size else 1.0
        ch = cell_h or cell
        self.cells = VGroup()
        self.numbers = VGroup()
        for r in range(m.shape[0]):
            crow, nrow = VGroup(), VGroup()
            for c in range(m.shape[1]):
                v = m[r, c]
                if mask[r, c]:
                    col, op, txt = ManimColor(OKABE_ITO["grey"]), 0.55, masked_text
                else:
                    col, op = value_color(v, vmax, pos, neg)
                    txt = fmt(v, digits) if show_numbers else ""
                rect = Rectangle(width=cell, height=ch, stroke_color=fg, stroke_width=1, fill_color=col,
                                 fill_opacity=op)
                rect.move_to(np.array([c * cell, -r * ch, 0.0]))
                num = tag(label_text(txt or " ", size=font_size, color=fg),
                          None if source is None or not txt else [(source, None, (r, c))])
                if num.width > cell * 0.9:
                    num.scale_to_fit_width(cell * 0.9)
                num.move_to(rect)
                crow.add(rect)
                nrow.add(num)
            self.cells.add(crow)
            self.numbers.add(nrow)
        self.add(self.cells, self.numbers)
        self.row_labels = VGroup()
        self.col_labels = VGroup()
        for r, s in enumerate(row_labels or []):
            self.row_labels.add(label_text(s, size=font_size, color=fg).next_to(self.cells[r][0], LEFT, buff=0.12))
        for c, s in enumerate(col_labels or []):
            self.col_labels.add(label_text(s, size=font_size, color=fg).next_to(self.cells[0][c], UP, buff=0.12))
        self.add(self.row_labels, self.col_labels)

    def row(self, r: int) -> VGroup:
        return VGroup(self.cells[r], self.numbers[r])


class LabelledBar(VGroup):
    """A vertical bar of height ``value / vmax * max_height`` standing on its bottom edge,
    its value printed above and an optional label below. Log scales are the caller's choice:
    pass the already-mapped ``height_value`` and keep ``value`` for the printed number."""

    def __init__(self, value: float, *, vmax: float, max_height: float = 3.0, width: float = 0.4, color=POS,
                 label: str | None = None, fg=WHITE, font_size: float = 18, digits: int = 3,
                 height_value: float | None = None, show_value: bool = True, source: tuple | None = None, **kw):
        super().__init__(**kw)
        hv = value if height_value is None else height_value
        h = max(min(abs(hv) / vmax, 1.0) * max_height, 0.02) if vmax > 0 else 0.02
        self.bar = Rectangle(width=width, height=h, stroke_width=0, fill_color=color, fill_opacity=0.9)
        self.baseline = Line(LEFT * width * 0.7, RIGHT * width * 0.7, color=fg, stroke_width=1)
        self.bar.move_to(self.baseline.get_center(), aligned_edge=DOWN)
        self.add(self.baseline, self.bar)
        self.value_text = None
        if show_value:
            self.value_text = tag(label_text(fmt(value, digits), size=font_size, color=fg),
                                  None if source is None else [source])
            self.value_text.next_to(self.bar, UP, buff=0.06)
            self.add(self.value_text)
        self.label = None
        if label:
            self.label = label_text(label, size=font_size, color=fg).next_to(self.baseline, DOWN, buff=0.08)
            self.add(self.label)


class HBar(VGroup):
    """A horizontal bar of length ``value / vmax * max_width`` growing to the right from its left
    edge, the value printed after it (``bar``, ``value_text``)."""

    def __init__(self, value: float, *, vmax: float, max_width: float = 3.0, height: float = 0.32, color=POS,
                 fg=WHITE, font_size: float = 22, digits: int = 3, show_value: bool = True,
                 source: tuple | None = None, **kw):
        super().__init__(**kw)
        w = max(min(abs(value) / vmax, 1.0) * max_width, 0.02) if vmax > 0 else 0.02
        self.bar = Rectangle(width=w, height=height, stroke_width=0, fill_color=color, fill_opacity=0.9)
        self.add(self.bar)
        self.value_text = None
        if show_value:
            self.value_text = tag(label_text(fmt(value, digits), size=font_size, color=fg),
                                  None if source is None else [source])
            self.value_text.next_to(self.bar, RIGHT, buff=0.12)
            self.add(self.value_text)

    def left_at(self, point) -> "HBar":
        """Move so the bar's left edge is at ``point`` (x) and its centre line at point's y."""
        p = np.asarray(point, dtype=float)
        return self.shift(p - self.bar.get_left())
