"""One palette and one number formatter, shared by diagrams and scenes (no graphviz import).

Colours are the Okabe-Ito colour-blind-safe set. Numbers are never carried by colour
alone: every coloured value is also printed (or its position/width encodes it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

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


def fmt(x: float, digits: int = 3) -> str:
    """Format a number with ``digits`` significant digits, never in exponent form for
    everyday magnitudes: 0.964027 -> '0.964', 112.0 -> '112', 14 -> '14', -0.0 -> '0',
    1234.6 -> '1235' (integers are shown whole), 1e-7 -> '1e-07'."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    if mag >= digits - 1:
        s = f"{round(x):d}"
    elif mag < -4:
        s = f"{x:.{digits - 1}e}"
    else:
        s = f"{x:.{max(digits - 1 - mag, 0)}f}"
        if "." in s:
            s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def fmt_vec(v, digits: int = 3, sep: str = ", ") -> str:
    """'[0.964, 0.197]' for a 1-D array (scalars print bare)."""
    try:
        items = list(v)
    except TypeError:
        return fmt(v, digits)
    return "[" + sep.join(fmt(e, digits) for e in items) + "]"
