"""Text views of activations and softmax-temperature traces (numbers read from the trace)."""
from __future__ import annotations

import numpy as np

from gatelab.style import fmt, fmt_vec

from .doc import Doc
from .grid import grid

DIGITS = 4


def _pick(n: int, want: int = 9) -> list[int]:
    """Which grid points to show: ``want`` of ``n``, evenly spread (a choice of display, no maths)."""
    if n <= want:
        return list(range(n))
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, want)})


def table(tr) -> str:
    if tr.kind == "softmax":
        return _sm_table(tr)
    idx = _pick(len(tr.x))
    out = [f"{c.name}: f(x) = {c.formula};  f'(x) = {c.derivative}" for c in tr.curves] + [""]
    rows = []
    for c in tr.curves:
        rows.append([c.name] + [fmt(c.y[i], DIGITS) for i in idx])
        rows.append([c.name + "'"] + [fmt(c.dy[i], DIGITS) for i in idx])
    out.append(grid(["x"] + [fmt(tr.x[i], 3) for i in idx], rows))
    return "\n".join(out) + "\n"


def _sm_table(tr) -> str:
    n = lambda x: fmt(x, DIGITS)  # noqa: E731
    rows = [[fmt(r.T, 3)] + [n(v) for v in r.p] + [n(r.entropy_bits)] for r in tr.rows]
    rows.append(["T->0"] + [n(v) for v in tr.limit_zero] + [""])
    rows.append(["T->inf"] + [n(v) for v in tr.limit_inf] + [""])
    out = [f"softmax(z / T) of logits z = {fmt_vec(tr.logits, DIGITS, limit=8)}", "",
           grid(["T"] + list(tr.tokens) + ["H [bits]"], rows)]
    if tr.samples:
        out += ["", f"counts of {tr.samples} samples (seed {tr.seed}):",
                grid(["T"] + list(tr.tokens), [[fmt(r.T, 3)] + [str(int(c)) for c in r.counts] for r in tr.rows])]
    return "\n".join(out) + "\n"


def explain(tr, fmt_: str = "md") -> str:
    d = Doc(DIGITS)
    if tr.kind == "softmax":
        _sm_explain(d, tr)
        return d.render(fmt_)
    d.heading("Activation functions and their derivatives")
    d.para(f"Grid: {len(tr.x)} points from {d.num(tr.x[0])} to {d.num(tr.x[-1])}.")
    for c in tr.curves:
        d.heading(c.name, 2)
        d.para(f"f(x) = {c.formula};  f'(x) = {c.derivative}.")
        d.items(f"x = {d.num(tr.x[i])}: f = {d.num(c.y[i], 5)}, f' = {d.num(c.dy[i], 5)}" for i in _pick(len(tr.x), 5))
        if c.dead > 0:
            d.para(f"f'(x) = 0 on {d.num(100 * c.dead, 3)}% of the grid: a unit whose input stays there gets no "
                   "gradient (a dead ReLU).")
    return d.render(fmt_)


def _sm_explain(d: Doc, tr) -> None:
    v = lambda a: d.vec(a, limit=8)  # noqa: E731
    d.heading("Softmax with temperature")
    d.math("p_i(T) = \\frac{\\exp(z_i / T)}{\\sum_j \\exp(z_j / T)}")
    d.para(f"Logits z = {v(tr.logits)} for tokens {d.lit(', '.join(tr.tokens))}. Dividing by T before the softmax "
           "sharpens (T < 1) or flattens (T > 1) the distribution.")
    for r in tr.rows:
        d.heading(f"T = {d.num(r.T)}", 2)
        d.items([f"z / T = {v(r.scaled)}", f"p = softmax(z / T) = {v(r.p)}",
                 f"entropy H(p) = {d.num(r.entropy_bits)} bits (max log2 {len(tr.tokens)} = "
                 f"{d.num(tr.max_entropy_bits)})"]
                + ([f"{tr.samples} samples (seed {tr.seed}): " + ", ".join(
                    f"{d.lit(t)} {int(c)}" for t, c in zip(tr.tokens, r.counts))] if tr.samples else []))
    d.heading("Limits", 2)
    d.items([f"T -> 0: p -> {v(tr.limit_zero)} (all mass on the argmax, {d.lit(tr.tokens[tr.argmax])}: greedy decoding)",
             f"T -> infinity: p -> {v(tr.limit_inf)} (uniform: every token equally likely)"])
