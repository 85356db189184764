"""Text views of activations and softmax-temperature traces (numbers read from the trace)."""
from __future__ import annotations

import numpy as np

from ._seqdoc import Doc, f, grid, vec


def _pick(n: int, want: int = 9) -> list[int]:
    if n <= want:
        return list(range(n))
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, want)})


def table(tr) -> str:
    if tr.kind == "softmax":
        return _sm_table(tr)
    idx = _pick(len(tr.x))
    out = []
    for c in tr.curves:
        out.append(f"{c.name}: f(x) = {c.formula};  f'(x) = {c.derivative}")
    out.append("")
    header = ["x"] + [str(f(tr.x[i], 3)) for i in idx]
    rows = []
    for c in tr.curves:
        rows.append([c.name] + [f(c.y[i], 4) for i in idx])
        rows.append([c.name + "'"] + [f(c.dy[i], 4) for i in idx])
    out.append(grid(rows, header))
    return "\n".join(out) + "\n"


def _sm_table(tr) -> str:
    header = ["T"] + list(tr.tokens) + ["H [bits]"]
    rows = [[f(r.T, 3)] + [f(v, 4) for v in r.p] + [f(r.entropy_bits, 4)] for r in tr.rows]
    rows.append(["T->0"] + [f(v, 4) for v in tr.limit_zero] + [""])
    rows.append(["T->inf"] + [f(v, 4) for v in tr.limit_inf] + [""])
    out = [f"softmax(z / T) of logits z = {vec(tr.logits)}", "", grid(rows, header)]
    if tr.samples:
        out += ["", f"counts of {tr.samples} samples (seed {tr.seed}):",
                grid([[f(r.T, 3)] + [str(int(c)) for c in r.counts] for r in tr.rows], ["T"] + list(tr.tokens))]
    return "\n".join(out) + "\n"


def explain(tr, fmt: str = "md") -> str:
    if tr.kind == "softmax":
        return _sm_explain(tr, fmt)
    d = Doc(fmt)
    d.h("Activation functions and their derivatives")
    d.p(f"Grid: {len(tr.x)} points from {f(tr.x[0])} to {f(tr.x[-1])}.")
    for c in tr.curves:
        d.h(c.name, 2)
        d.p(f"f(x) = {c.formula};  f'(x) = {c.derivative}.")
        idx = _pick(len(tr.x), 5)
        d.items(f"x = {f(tr.x[i])}: f = {f(c.y[i], 5)}, f' = {f(c.dy[i], 5)}" for i in idx)
        if c.dead > 0:
            d.p(f"f'(x) = 0 on {f(100 * c.dead, 3)}% of the grid: a unit whose input stays there gets no gradient "
                f"(a dead ReLU).")
    return d.render()


def _sm_explain(tr, fmt: str) -> str:
    d = Doc(fmt)
    d.h("Softmax with temperature")
    d.math("p_i(T) = \\frac{\\exp(z_i / T)}{\\sum_j \\exp(z_j / T)}")
    d.p(f"Logits z = {vec(tr.logits)} for tokens {', '.join(tr.tokens)}. Dividing by T before the softmax "
        f"sharpens (T < 1) or flattens (T > 1) the distribution.")
    for r in tr.rows:
        d.h(f"T = {f(r.T)}", 2)
        d.items([f"z / T = {vec(r.scaled)}", f"p = softmax(z / T) = {vec(r.p)}",
                 f"entropy H(p) = {f(r.entropy_bits, 4)} bits (max log2 {len(tr.tokens)} = "
                 f"{f(float(np.log2(len(tr.tokens))), 4)})"]
                + ([f"{tr.samples} samples (seed {tr.seed}): " + ", ".join(
                    f"{t} {int(c)}" for t, c in zip(tr.tokens, r.counts))] if tr.samples else []))
    d.h("Limits", 2)
    d.items([f"T -> 0: p -> {vec(tr.limit_zero)} (all mass on the argmax, {tr.tokens[tr.argmax]}: greedy decoding)",
             f"T -> infinity: p -> {vec(tr.limit_inf)} (uniform: every token equally likely)"])
    return d.render()
