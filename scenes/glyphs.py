"""Text and equations as outlines, fast: each distinct glyph is parsed once per process.

Manim's ``Text`` asks Pango for an SVG of the line, then parses the whole SVG with svgelements and
builds one ``VMobject`` per glyph: 20-170 ms per label, most of an ``-ql`` render of a scene full of
numbers. The SVG Pango writes is simple: each glyph once as a ``<symbol>`` holding one path of
absolute ``M``/``L``/``C``/``Z`` commands, then one ``<use x= y=>`` per character. :func:`text_points`
reads exactly that, keeps every glyph's outline in a cache keyed by its path, and places copies:
the same points Manim's ``Text`` makes (checked by the tests against ``Text`` itself), as one array.

:func:`math_points` does the same for equations from matplotlib's mathtext layout (glyph outlines and
rules, as in the SVG matplotlib would write), without writing or parsing an SVG.

Anything outside that subset (several lines, an unexpected SVG element or path command) is left to
Manim: the caller falls back to ``Text`` / ``SVGMobject``.
"""
from __future__ import annotations

import os
import re
import tempfile
import xml.etree.ElementTree as ET

import numpy as np

TEXT_MOB_SCALE_FACTOR = 0.05       # manim.mobject.text.text_mobject: Text scales its SVG by this
TEXT2SVG_ADJUSTMENT_FACTOR = 4.8   # ... and asks Pango for font_size / this
DEFAULT_LINE_SPACING_SCALE = 0.3
START_X, START_Y = 30, 20          # manim.constants: where Pango starts the line
XLINK = "{http://www.w3.org/1999/xlink}href"
SVG = "{http://www.w3.org/2000/svg}"

_GLYPHS: dict[str, np.ndarray] = {}


class Unsupported(Exception):
    """The input is outside the subset read here; use Manim's own classes."""


_TOKEN = re.compile(r"[MLCZ]|-?\d*\.?\d+(?:[eE][-+]?\d+)?")


def _line(s: np.ndarray, e: np.ndarray) -> list[np.ndarray]:
    return [s, (s + s + e) / 3, (s + e + e) / 3, e]


def path_points(d: str) -> np.ndarray:
    """``[4k, 3]`` cubic Bézier points of an SVG path of absolute M/L/C/Z commands, as Manim's
    ``VMobjectFromSVGPath`` makes them (see :func:`codes_points`), in the path's own coordinates."""
    tokens = _TOKEN.findall(d)
    verts: list[tuple[float, float]] = []
    codes: list[int] = []
    arity = {"M": (1, MOVETO), "L": (1, LINETO), "C": (3, CURVE4), "Z": (0, CLOSEPOLY)}
    k = 0
    while k < len(tokens):
        if tokens[k] not in arity:
            raise Unsupported(f"path command {tokens[k]!r}")
        n, code = arity[tokens[k]]
        if n == 0:
            verts.append((0.0, 0.0))
            codes.append(code)
        for j in range(n):
            verts.append((float(tokens[k + 1 + 2 * j]), float(tokens[k + 2 + 2 * j])))
            codes.append(code)
        k += 1 + 2 * n
    return codes_points(np.array(verts, dtype=float).reshape(-1, 2), np.array(codes))


def close_glyph(points: np.ndarray) -> np.ndarray:
    """What ``Text`` does to each glyph after parsing: a straight line back to the start after every
    subpath whose last point is not the next one's first (and after the last subpath, always)."""
    if len(points) == 0:
        return points
    out: list[np.ndarray] = []
    curve_start = points[0]
    for index in range(3, len(points), 4):
        out.extend(points[index - 3:index + 1])
        last = points[index]
        if index != len(points) - 1 and (last != points[index + 1]).any():
            out += _line(last, curve_start)
            curve_start = points[index + 1]
    out += _line(points[-1], curve_start)
    return np.array(out)


def _glyph(d: str) -> np.ndarray:
    g = _GLYPHS.get(d)
    if g is None:
        g = _GLYPHS[d] = close_glyph(path_points(d))
    return g


def _pango_svg(text: str, font: str, size: float, weight: str, slant: str) -> str:
    import manimpango

    line_spacing = size + size * DEFAULT_LINE_SPACING_SCALE
    setting = manimpango.TextSetting(0, len(text), font=font, slant=slant, weight=weight, color="#FFFFFF", line_num=0)
    fd, path = tempfile.mkstemp(prefix="gatelab-glyphs-", suffix=".svg")    # read and deleted at once
    os.close(fd)
    try:
        manimpango.text2svg([setting], size / TEXT2SVG_ADJUSTMENT_FACTOR, line_spacing / TEXT2SVG_ADJUSTMENT_FACTOR,
                            False, path, START_X, START_Y, 1920, 1080, text)
    except BaseException:
        os.unlink(path)
        raise
    return path


def text_points(text: str, *, font: str, size: float, weight: str = "NORMAL", slant: str = "NORMAL") -> np.ndarray:
    """``[n, 3]`` outline points of one line of text as ``Text(text, font=, font_size=size, weight=)``
    makes them (all glyphs in one array, centred on the origin, Manim units)."""
    if "\n" in text or "\t" in text:
        raise Unsupported("several lines")
    path = _pango_svg(text, font, size, weight, slant)
    try:
        root = ET.parse(path).getroot()
    finally:
        os.unlink(path)
    symbols: dict[str, str] = {}
    for sym in root.iter(SVG + "symbol"):
        paths = [p for p in sym if p.tag == SVG + "path"]
        if len(paths) != 1 or len(sym) != 1:
            raise Unsupported("glyph symbol of an unexpected shape")
        symbols[sym.get("id")] = re.sub(r'Z M [^A-Za-z]*? $', "Z ", paths[0].get("d", ""))
    parts = []
    for use in root.iter(SVG + "use"):
        if use.get("transform"):
            raise Unsupported("transformed glyph")
        d = symbols.get(use.get(XLINK, "#")[1:])
        if d is None:
            raise Unsupported("glyph used but not defined")
        g = _glyph(d)
        if len(g):
            parts.append(g + np.array([float(use.get("x", 0)), float(use.get("y", 0)), 0.0]))
    return _place(parts, TEXT_MOB_SCALE_FACTOR)


def _place(parts: list[np.ndarray], scale: float) -> np.ndarray:
    """Glyphs in SVG coordinates (y down) -> Manim's: flipped, centred on the anchors' box (as
    ``SVGMobject`` does), scaled by ``scale``."""
    if not parts:
        return np.zeros((0, 3))
    pts = np.concatenate(parts)
    anchors = np.concatenate([pts[0::4], pts[3::4]])
    lo, hi = anchors.min(axis=0), anchors.max(axis=0)
    centre = (lo + hi) / 2
    pts[:, 1] = 2 * centre[1] - pts[:, 1]                 # flip(RIGHT): y about the centre
    pts[:, 2] = -pts[:, 2]
    pts = pts - np.array([centre[0], centre[1], 0.0])
    return pts * scale


# --------------------------------------------------------------------------- equations

MOVETO, LINETO, CURVE3, CURVE4, CLOSEPOLY = 1, 2, 3, 4, 79     # matplotlib.path.Path codes


def codes_points(verts: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``[4k, 3]`` cubic points of a matplotlib path (vertices and codes), as Manim builds an SVG path
    of the same commands: quadratics raised to cubics, lines as cubics with handles at thirds, a
    closing line where the pen is not back at the start."""
    pts: list[np.ndarray] = []
    v3 = np.zeros((len(verts), 3))
    v3[:, :2] = verts
    pen = start = None
    k, n = 0, len(codes)
    while k < n:
        c = codes[k]
        if c == MOVETO:
            pen = start = v3[k]
            k += 1
        elif c == LINETO:
            pts += _line(pen, v3[k])
            pen = v3[k]
            k += 1
        elif c == CURVE3:
            q, e = v3[k], v3[k + 1]
            pts += [pen, (pen + q + q) / 3, (q + q + e) / 3, e]
            pen = e
            k += 2
        elif c == CURVE4:
            pts += [pen, v3[k], v3[k + 1], v3[k + 2]]
            pen = v3[k + 2]
            k += 3
        elif c == CLOSEPOLY:
            if np.linalg.norm(pen - start) > 0.0001:
                pts += _line(pen, start)
            pen = start
            k += 1
        else:
            raise Unsupported(f"path code {c}")
    return np.array(pts, dtype=float).reshape(-1, 3)


def math_points(tex: str, *, font: str, size: float) -> np.ndarray:
    """``[n, 3]`` outline points of ``$tex$`` laid out by matplotlib mathtext (``dejavusans`` math
    fonts) at ``size`` points, y up, centred on the anchors' box; in points."""
    from matplotlib import rc_context
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    with rc_context({"mathtext.fontset": "dejavusans"}):
        conv = TextToPath()
        prop = FontProperties(family=font, size=size)
        try:
            verts, codes = conv.get_text_path(prop, f"${tex}$", ismath=True)
        except ValueError as e:
            raise ValueError(f"equation {tex!r} is not valid mathtext: {str(e).splitlines()[0]}") from None
    pts = codes_points(np.asarray(verts, dtype=float) * (size / conv.FONT_SCALE), np.asarray(codes))
    if len(pts) == 0:
        return pts
    anchors = np.concatenate([pts[0::4], pts[3::4]])
    return pts - (anchors.min(axis=0) + anchors.max(axis=0)) / 2
