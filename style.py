"""What every view shares: the palette and themes, the one number formatter, the one TeX escaper.

Diagrams (graphviz), scenes (manim) and walkthroughs (Markdown / LaTeX text) all import this
module; it imports neither graphviz nor manim, so ``gatelab compute`` stays light.

Colours are the Okabe-Ito colour-blind-safe set. Numbers are never carried by colour alone:
every coloured value is also printed (or its position/width encodes it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# --------------------------------------------------------------------------- palette

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}

# Fixed meaning of colours across every figure and animation.
ROLE = {
    "forget": OKABE_ITO["vermillion"],    # f_t
    "input": OKABE_ITO["blue"],           # i_t
    "candidate": OKABE_ITO["purple"],     # g_t = C~_t
    "output": OKABE_ITO["green"],         # o_t
    "cell": OKABE_ITO["orange"],          # c_t, the highway
    "hidden": OKABE_ITO["sky"],           # h_t
    "x": OKABE_ITO["grey"],               # inputs
    "y": OKABE_ITO["yellow"],             # outputs
    "reset": OKABE_ITO["vermillion"],     # GRU r_t
    "update": OKABE_ITO["blue"],          # GRU z_t
    "attention": OKABE_ITO["orange"],
    "gradient": OKABE_ITO["vermillion"],
    "real": OKABE_ITO["blue"],
    "fake": OKABE_ITO["orange"],
}

FONT = "DejaVu Sans"
MONO_FONT = "DejaVu Sans Mono"


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    foreground: str
    muted: str
    panel: str       # fill of boxes/clusters
    edge: str


THEMES = {
    "light": Theme("light", "#FFFFFF", "#1A1A1A", "#6B6B6B", "#F4F4F4", "#404040"),
    "dark": Theme("dark", "#111418", "#F2F2F2", "#A8A8A8", "#1E242B", "#C8C8C8"),
}


def theme(name: str) -> Theme:
    return THEMES[name]


# --------------------------------------------------------------------------- numbers

def fmt(x: float, digits: int = 3) -> str:
    """``x`` with ``digits`` significant digits: the one number formatter of every view.

    0.964027 -> '0.964', 112.0 -> '112', -0.0 -> '0', 1234.6 -> '1235' (integers below 1e9 are
    shown whole), 1e-7 -> '1e-07', 2.5e-84 -> '2.5e-84', 4.9e9 -> '4.91e+09', inf -> '∞'.
    Trailing zeros are dropped: 0.2 -> '0.2', 1e-05 -> '1e-05'.
    A value just short of 1 does not read as exactly 1 (a probability of 1, a gate fully open): it gets
    up to two more digits, 0.9996 -> '0.9996', 0.99996 -> '0.99996'; closer still, it is '1'.
    """
    s = _fmt(x, digits)
    if s in ("1", "-1") and abs(float(x)) < 1:
        for more in (digits + 1, digits + 2):
            s = _fmt(x, more)
            if s not in ("1", "-1"):
                break
    return s


def _fmt(x: float, digits: int) -> str:
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    if mag < -4 or mag >= max(9, digits):
        mantissa, exp = f"{x:.{digits - 1}e}".split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{exp}"
    if mag >= digits - 1:
        s = f"{round(x):d}"
    else:
        s = f"{x:.{max(digits - 1 - mag, 0)}f}"
        if "." in s:
            s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def fmt_vec(v: Any, digits: int = 3, sep: str = ", ", limit: int | None = None) -> str:
    """'[0.964, 0.197]' for a 1-D array (scalars print bare); past ``limit`` entries, '…'."""
    try:
        items = list(v)
    except TypeError:
        return fmt(v, digits)
    shown = items if limit is None else items[:limit]
    return "[" + sep.join(fmt(e, digits) for e in shown) + (sep + "…" if len(shown) < len(items) else "") + "]"


def tex_num(x: float, digits: int = 3) -> str:
    """:func:`fmt` for TeX math: '2.5e-84' -> '2.5 \\times 10^{-84}', '∞' -> '\\infty'."""
    s = fmt(x, digits)
    if s.endswith("∞"):
        return s[:-1] + r"\infty"
    if "e" in s and s != "nan":
        m, e = s.split("e")
        return rf"{m} \times 10^{{{int(e)}}}"
    return s


# --------------------------------------------------------------------------- TeX text

# Characters plain pdflatex cannot typeset from UTF-8 input. \ensuremath works both inside
# and outside math mode.
TEX_UNICODE = {
    "≈": r"\ensuremath{\approx}",
    "π": r"\ensuremath{\pi}",
    "·": r"\ensuremath{\cdot}",
    "…": r"\ensuremath{\dots}",
    "×": r"\ensuremath{\times}",
    "σ": r"\ensuremath{\sigma}",
    "θ": r"\ensuremath{\theta}",
    "α": r"\ensuremath{\alpha}",
    "Σ": r"\ensuremath{\Sigma}",
    "∞": r"\ensuremath{\infty}",
    "‖": r"\ensuremath{\|}",
    "→": r"\ensuremath{\rightarrow}",
    "⊙": r"\ensuremath{\odot}",
    "−": "-",
}

_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                "<": r"\textless{}", ">": r"\textgreater{}"}


def tex_escape(text: str) -> str:
    """Plain text (a user's token, a file name, a sentence) -> LaTeX text that prints it as is."""
    return "".join(_TEX_SPECIAL.get(ch) or TEX_UNICODE.get(ch, ch) for ch in str(text))


def tex_unicode(text: str) -> str:
    """Replace the characters pdflatex rejects (see ``TEX_UNICODE``) in LaTeX source we wrote."""
    for ch, tex in TEX_UNICODE.items():
        text = text.replace(ch, tex)
    return text
