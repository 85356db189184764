"""LaTeX math -> plain text with Unicode symbols, for the Markdown walkthroughs.

A walkthrough writes each formula once, in LaTeX. The TeX rendering keeps it; the Markdown
rendering spells it out so it reads in a terminal: ``\\sigma(W_f \\cdot [h_{t-1}, x_t] + b_f)``
-> ``σ(W_f·[h_{t-1}, x_t] + b_f)``, ``f_t \\odot c_{t-1}`` -> ``f_t * c_{t-1}``,
``\\|\\partial L/\\partial h_t\\|`` -> ``||dL/dh_t||``, ``\\tilde C_t`` -> ``C~_t``.

Only the commands the walkthroughs use are known; an unknown command keeps its name
(``\\foo`` -> ``foo``), so a new formula degrades to readable text, never to an error.
Any other character (such as the document's value placeholders) passes through untouched.
"""
from __future__ import annotations

import re

_QUAD = "\x01"          # a space that stays: math ignores source spaces, but not \quad

SYMBOLS = {
    "sigma": "σ", "alpha": "α", "beta": "β", "gamma": "γ", "epsilon": "ε", "theta": "θ", "mu": "μ",
    "omega": "ω", "pi": "π", "Sigma": "Σ", "sum": "Σ", "prod": "Π", "infty": "∞",
    "tanh": "tanh", "log": "log", "ln": "ln", "exp": "exp", "max": "max", "min": "min", "top": "T",
    "dots": "…", "ldots": "…", "cdots": "…", "|": "||", "{": "{", "}": "}", "%": "%", "_": "_",
    "quad": _QUAD * 2, "qquad": _QUAD * 3, ",": " ", ";": " ", "!": "", " ": " ", "left": "", "right": "",
    "big": "", "Big": "", "textstyle": "", "displaystyle": "", "hline": "",
}
# Binary relations and operators: one space on each side, whatever the source spacing.
BINARY = {"odot": "*", "times": "×", "le": "<=", "ge": ">=", "leftarrow": "<-", "rightarrow": "->",
          "to": "->", "approx": "≈", "in": "∈", "neq": "!="}
PREFIX = {"partial": "d"}                   # glued to what follows
TIGHT = {"cdot": "·"}                       # no space on either side: W_f·[h, x]
ONE_ARG = {"mathrm": "{}", "text": "{}", "operatorname": "{}", "mathbb": "{}", "mathbf": "{}",
           "boldsymbol": "{}", "sqrt": "sqrt({})", "tilde": "{}~", "hat": "{}^", "bar": "{}-bar"}
TWO_ARGS = {"frac", "tfrac", "dfrac"}

_SIMPLE = re.compile(r"[A-Za-z0-9]+~?")       # a subscript that needs no braces: h_0, W_f, C~, x^T


def plain(src: str) -> str:
    """``src`` (LaTeX math, no ``$``) as plain Unicode text."""
    out = re.sub(" {2,}", " ", _seq(src, 0, top=True)[0])       # source spaces mean nothing in math
    return re.sub(f" *({_QUAD}+) *", lambda m: " " * len(m.group(1)), out)


def _seq(s: str, i: int, top: bool = False) -> tuple[str, int]:
    """Convert until the closing brace of the current group (or the end): (text, index after)."""
    out: list[str] = []
    while i < len(s):
        ch = s[i]
        if ch == "}" and not top:
            return "".join(out), i + 1
        if ch == "{":
            inner, i = _seq(s, i + 1)
            out.append(inner)
        elif ch == "\\":
            text, i = _command(s, i, out)
            out.append(text)
        elif ch in "_^":
            arg, i = _arg(s, i + 1)
            out.append(ch + (arg if _SIMPLE.fullmatch(arg) else "{" + arg + "}"))
        elif ch == "&":
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out), i


def _command(s: str, i: int, out: list[str]) -> tuple[str, int]:
    """A control sequence at ``s[i] == '\\'``: its text, and the index after it (and its arguments)."""
    m = re.match(r"\\([A-Za-z]+)|\\(.)", s[i:])
    if m is None:
        return "", i + 1
    name, i = m.group(1) or m.group(2), i + m.end()
    if name in PREFIX:                      # \partial L -> dL
        while i < len(s) and s[i] == " ":
            i += 1
        return PREFIX[name], i
    if name in BINARY or name in TIGHT:
        _strip_trailing_spaces(out)
        while i < len(s) and s[i] == " ":
            i += 1
        return (f" {BINARY[name]} " if name in BINARY else TIGHT[name]), i
    if name in ONE_ARG:
        arg, i = _arg(s, i)
        return ONE_ARG[name].format(arg), i
    if name in TWO_ARGS:
        num, i = _arg(s, i)
        den, i = _arg(s, i)
        return f"{_wrap(num)}/{_wrap(den)}", i
    if name in ("begin", "end"):
        _, i = _arg(s, i)
        return "", i
    return SYMBOLS.get(name, name), i


def _arg(s: str, i: int) -> tuple[str, int]:
    """One argument: a {group}, a command, or one character."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        return _seq(s, i + 1)
    if s[i] == "\\":
        return _command(s, i, [])
    return s[i], i + 1


def _wrap(x: str) -> str:
    """A fraction's numerator or denominator, in parentheses unless it is one atom (x_1, D(G(z)), 2.5)."""
    flat = x
    while True:                                     # drop balanced (...) groups, innermost first
        inner = re.sub(r"\([^()]*\)", "", flat)
        if inner == flat:
            break
        flat = inner
    return x if re.fullmatch(r"[\w.^~{}]+", flat) else f"({x})"


def _strip_trailing_spaces(out: list[str]) -> None:
    while out and out[-1].endswith(" "):
        out[-1] = out[-1].rstrip(" ")
        if out[-1] == "":
            out.pop()
