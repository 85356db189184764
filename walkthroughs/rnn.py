"""Text views of an Elman RNN trace: the `compute` table and the `explain` worked solution.

Only reads :class:`engines.rnn.RNNTrace`; every number printed comes from the trace.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from gatelab.style import fmt as _sig

_ACT = {"tanh": "tanh", "relu": "relu", "sigmoid": "σ", "step": "step", "identity": "id"}
_ACT_TEX = {"tanh": r"\tanh", "relu": r"\operatorname{relu}", "sigmoid": r"\sigma",
            "step": r"\operatorname{step}", "identity": r"\operatorname{id}"}


def num(x: Any, dp: int = 5) -> str:
    """Up to ``dp`` decimals, trailing zeros dropped (0.96403, 1, -1.5); tiny or huge values in exponent form."""
    if x is None:
        return "-"
    x = float(x)
    if not np.isfinite(x):
        return _sig(x)
    if x != 0 and (abs(x) < 10 ** -(dp - 1) or abs(x) >= 1e9):
        return f"{x:.{dp - 1}e}"
    s = f"{x:.{dp}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def vec(v: Any, dp: int = 5) -> str:
    if v is None:
        return "-"
    return "[" + ", ".join(num(e, dp) for e in np.ravel(v)) + "]"


def mat(m: Any, dp: int = 5) -> str:
    return "[" + ", ".join(vec(r, dp) for r in np.atleast_2d(m)) + "]"


def _tvec(v: Any, dp: int = 5) -> str:
    return r"\begin{bmatrix}" + r" \\ ".join(num(e, dp) for e in np.ravel(v)) + r"\end{bmatrix}"


def _tmat(m: Any, dp: int = 5) -> str:
    rows = [" & ".join(num(e, dp) for e in r) for r in np.atleast_2d(m)]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def _tnum(x: Any, dp: int = 5) -> str:
    """``num`` for LaTeX math: 2.5e-84 -> 2.5\\times10^{-84}."""
    s = num(x, dp)
    if "e" in s and s not in ("-", "nan"):
        m, e = s.split("e")
        return rf"{m}\times10^{{{int(e)}}}"
    return s


def _shape(a: Any) -> str:
    return "(" + ", ".join(str(n) for n in np.shape(a)) + ("," if np.ndim(a) == 1 else "") + ")"


def _dot_terms(row: Any, v: Any) -> str:
    return " + ".join(f"{num(w)}·{num(x)}" for w, x in zip(row, v))


# --------------------------------------------------------------------------- table

def table(trace) -> str:
    tr = trace
    has_y = tr.output != "none"
    lines = [f"Elman RNN  H={tr.hidden} D={tr.input_size} O={tr.output_size}  f={tr.activation}  "
             f"output={tr.output}  layout={tr.layout}",
             f"h_0 = {vec(tr.h0)}"]
    head = ["t", "x_t", "a_t", "h_t"] + (["y_t"] if has_y else []) + ["||dL/dh_t||", "ratio"]
    rows = [head]
    for s in tr.steps:
        rows.append([str(s.t), vec(s.x), vec(s.a), vec(s.h)] + ([vec(s.y)] if has_y else [])
                    + [num(s.dh_norm), num(s.ratio)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for k, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(f"{tr.loss_rule}:  L = {num(tr.loss)}")
    lines.append(f"ratio = ||dL/dh_(t-1)|| / ||dL/dh_t||; geometric mean {num(tr.decay.mean_ratio)} ({tr.decay.verdict})")
    lines.append(f"dL/dU = {mat(tr.grads.U)}  dL/dW = {mat(tr.grads.W)}  dL/db_h = {vec(tr.grads.b_h)}")
    if has_y:
        lines.append(f"dL/dV = {mat(tr.grads.V)}  dL/db_y = {vec(tr.grads.b_y)}")
    lines.append(f"||g|| = {num(tr.grad_norm)}")
    if tr.clip is not None:
        c = tr.clip
        lines.append(f"clip beta={num(c.beta)}: ||g|| {num(c.norm_before)} -> {num(c.norm_after)} "
                     f"({'clipped, scale ' + num(c.scale) if c.clipped else 'not clipped'})")
    return "\n".join(lines)


# --------------------------------------------------------------------------- explain

def explain(trace, fmt: str = "md") -> str:
    if fmt not in ("md", "tex"):
        raise ValueError(f"format {fmt!r}: expected md or tex")
    return _tex(trace) if fmt == "tex" else _md(trace)


def _md(tr) -> str:
    H, D, O = tr.hidden, tr.input_size, tr.output_size
    has_y = tr.output != "none"
    f = _ACT[tr.activation]
    out: list[str] = []
    w = out.append
    w("# Elman RNN: worked solution")
    w("")
    w(f"Model: `h_t = {f}(W h_(t-1) + U x_t + b_h)`" + (f", `y_t = {tr.output}(V h_t + b_y)`" if has_y else " (no output layer)") + ".")
    w("")
    w("## Reading and shapes")
    w("")
    w(tr.reading)
    w("")
    w(f"- `x_t`: ({D},)   `h_t`: ({H},)   `U`: ({H}, {D}) = (hidden, input)   `W`: ({H}, {H})   `b_h`: ({H},)")
    if has_y:
        w(f"- `V`: ({O}, {H}) = (output, hidden)   `b_y`: ({O},)   `y_t`: ({O},)")
    w(f"- `[h_(t-1), x_t]`: ({H + D},)   `[W U]`: ({H}, {H + D})  (W's columns first, then U's)")
    w("")
    w(f"- `U = {mat(tr.U)}`, `W = {mat(tr.W)}`, `b_h = {vec(tr.b_h)}`" + (f", `V = {mat(tr.V)}`, `b_y = {vec(tr.b_y)}`" if has_y else ""))
    if tr.b_ih is not None:
        w(f"- PyTorch layout: `b_h = bias_ih_l0 + bias_hh_l0 = {vec(tr.b_ih)} + {vec(tr.b_hh)} = {vec(tr.b_h)}`")
    w(f"- `[W U] = {mat(tr.WU)}`")
    w(f"- `h_0 = {vec(tr.h0)}`")
    w("")
    w("## Forward pass: the 6-step recipe")
    for s in tr.steps:
        t = s.t
        w("")
        w(f"### Step t = {t}  (x_{t} = {vec(s.x)})")
        w("")
        w(f"1. Concatenate: `[h_{t - 1}, x_{t}] = [{', '.join(num(e) for e in s.h_prev)} | {', '.join(num(e) for e in s.x)}] = {vec(s.hx)}`  shape ({H + D},)")
        w(f"2. Multiply by `[W U]` ({H}, {H + D}) -> ({H},):")
        for i in range(H):
            w(f"   - row {i + 1}: `{_dot_terms(tr.WU[i], s.hx)} = {num(s.m[i])}`")
        w(f"3. Add the hidden bias: `a_{t} = {vec(s.m)} + {vec(tr.b_h)} = {vec(s.a)}`")
        w(f"4. Activation: `h_{t} = {f}(a_{t}) = {f}({vec(s.a)}) = {vec(s.h)}`")
        if has_y:
            w(f"5. Multiply by `V` ({O}, {H}) -> ({O},):")
            for k in range(O):
                w(f"   - row {k + 1}: `{_dot_terms(tr.V[k], s.h)} = {num(s.q[k])}`")
            y = f"y_{t} = o_{t} = {vec(s.o)}" if tr.output == "identity" else f"y_{t} = {tr.output}(o_{t}) = {vec(s.y)}"
            w(f"6. Add the output bias: `o_{t} = {vec(s.q)} + {vec(tr.b_y)} = {vec(s.o)}`;  `{y}`")
        else:
            w("5.-6. No output layer: the step's output is `h_%d`." % t)
    w("")
    w("## Backpropagation through time")
    w("")
    w(f"Loss: {tr.loss_rule}.  `L = {num(tr.loss)}`")
    if tr.activation == "step":
        w("")
        w("The step activation has derivative 0, so no gradient reaches U, W, b_h or earlier hidden states.")
    w("")
    w("`dL/dh_t = V^T dL/do_t + W^T dL/da_(t+1)`,  `dL/da_t = f'(a_t) * dL/dh_t`,  ratio = `||dL/dh_(t-1)|| / ||dL/dh_t||`")
    w("")
    w("| t | dL/dh_t | \\|\\|dL/dh_t\\|\\| | ratio | dL/da_t |")
    w("|---|---|---|---|---|")
    for s in tr.steps:
        w(f"| {s.t} | {vec(s.dh)} | {num(s.dh_norm)} | {num(s.ratio)} | {vec(s.da)} |")
    w("")
    w(f"- `dL/dU = {mat(tr.grads.U)}`")
    w(f"- `dL/dW = {mat(tr.grads.W)}`")
    w(f"- `dL/db_h = {vec(tr.grads.b_h)}`" + ("  (also dL/dbias_ih_l0 and dL/dbias_hh_l0)" if tr.b_ih is not None else ""))
    if has_y:
        w(f"- `dL/dV = {mat(tr.grads.V)}`")
        w(f"- `dL/db_y = {vec(tr.grads.b_y)}`")
    w(f"- `dL/dh_0 = {vec(tr.dh0)}`")
    w(f"- global gradient norm `||g|| = {num(tr.grad_norm)}`")
    if tr.clip is not None:
        c = tr.clip
        w("")
        w("## Gradient clipping by norm")
        w("")
        if c.clipped:
            w(f"`||g|| = {num(c.norm_before)} > beta = {num(c.beta)}`, so `g <- beta g / ||g||` "
              f"(scale {num(c.scale)}); the norm becomes {num(c.norm_after)}.")
            w(f"Clipped: `dL/dU = {mat(c.grads.U)}`, `dL/dW = {mat(c.grads.W)}`, `dL/db_h = {vec(c.grads.b_h)}`"
              + (f", `dL/dV = {mat(c.grads.V)}`, `dL/db_y = {vec(c.grads.b_y)}`" if has_y else ""))
        else:
            w(f"`||g|| = {num(c.norm_before)} <= beta = {num(c.beta)}`: the gradient is left unchanged.")
    d = tr.decay
    w("")
    w("## Vanishing or exploding?")
    w("")
    if d.mean_ratio is None:
        w("Not defined here (a zero gradient norm, or a single step).")
    else:
        w(f"Going back from t = {len(tr.steps)} to t = 1 the gradient norm changes by a factor "
          f"{num(d.first_over_last)}: on average {num(d.mean_ratio)} per step ({d.verdict}). "
          f"Over 100 steps that is {num(d.mean_ratio)}^100 = {num(d.mean_ratio_pow100)}; compare "
          f"{num(d.p099, 2)}^100 = {num(d.p099_pow100, 4)} and {num(d.p101, 2)}^100 = {num(d.p101_pow100, 4)}: "
          "even a 1% shrink or growth per step compounds over long sequences.")
    return "\n".join(out) + "\n"


def _tex(tr) -> str:
    H, D, O = tr.hidden, tr.input_size, tr.output_size
    has_y = tr.output != "none"
    f = _ACT_TEX[tr.activation]
    g = {"identity": "", "sigmoid": r"\sigma", "softmax": r"\operatorname{softmax}"}.get(tr.output, "")
    out: list[str] = []
    w = out.append
    w(r"\section*{Elman RNN: worked solution}")
    w(r"Model: $h_t = " + f + r"(W h_{t-1} + U x_t + b_h)$" + (r", $y_t = " + g + r"(V h_t + b_y)$." if has_y else r" (no output layer)."))
    w("")
    w(r"\subsection*{Reading and shapes}")
    w(tr.reading.replace("_", r"\_"))
    w("")
    w(rf"$x_t \in \mathbb{{R}}^{{{D}}}$, $h_t \in \mathbb{{R}}^{{{H}}}$, $U: {H}\times{D}$, $W: {H}\times{H}$, "
      rf"$[W\;U]: {H}\times{H + D}$" + (rf", $V: {O}\times{H}$." if has_y else "."))
    w(r"\[ U = " + _tmat(tr.U) + r",\quad W = " + _tmat(tr.W) + r",\quad b_h = " + _tvec(tr.b_h)
      + ((r",\quad V = " + _tmat(tr.V) + r",\quad b_y = " + _tvec(tr.b_y)) if has_y else "") + r" \]")
    if tr.b_ih is not None:
        w(r"PyTorch layout: \[ b_h = b_{ih} + b_{hh} = " + _tvec(tr.b_ih) + " + " + _tvec(tr.b_hh) + " = " + _tvec(tr.b_h) + r" \]")
    w(r"\[ [W\;U] = " + _tmat(tr.WU) + r",\qquad h_0 = " + _tvec(tr.h0) + r" \]")
    w("")
    w(r"\subsection*{Forward pass}")
    for s in tr.steps:
        t = s.t
        w(rf"\paragraph{{Step $t={t}$, $x_{{{t}}} = {vec(s.x)}$.}}")
        w(r"\begin{align*}")
        w(rf"[h_{{{t - 1}}}, x_{{{t}}}] &= {_tvec(s.hx)} \\")
        w(rf"[W\;U]\,[h_{{{t - 1}}}, x_{{{t}}}] &= {_tmat(tr.WU)} {_tvec(s.hx)} = {_tvec(s.m)} \\")
        w(rf"a_{{{t}}} &= {_tvec(s.m)} + {_tvec(tr.b_h)} = {_tvec(s.a)} \\")
        w(rf"h_{{{t}}} &= {f}(a_{{{t}}}) = {_tvec(s.h)}" + (r" \\" if has_y else ""))
        if has_y:
            w(rf"V h_{{{t}}} &= {_tmat(tr.V)} {_tvec(s.h)} = {_tvec(s.q)} \\")
            w(rf"y_{{{t}}} &= {g}\left({_tvec(s.q)} + {_tvec(tr.b_y)}\right) = {_tvec(s.y)}")
        w(r"\end{align*}")
    w(r"\subsection*{Backpropagation through time}")
    targeted = [s.t for s in tr.steps if s.target is not None]
    z = "y" if has_y else "h"
    if not targeted:
        rule = rf"$L = \sum {z}_{{{len(tr.steps)}}}$ (no target given)"
    else:
        rule = (rf"$L = \tfrac12 \sum_{{t \in \{{{', '.join(map(str, targeted))}\}}}} "
                rf"\|{z}_t - \mathrm{{target}}_t\|^2$")
    w("Loss: " + rule + rf", $L = {_tnum(tr.loss)}$.")
    if tr.activation == "step":
        w(r" The step activation has derivative 0: no gradient reaches $U$, $W$, $b_h$.")
    w(r"\[ \frac{\partial L}{\partial h_t} = V^\top \frac{\partial L}{\partial o_t} + W^\top \frac{\partial L}{\partial a_{t+1}},"
      r"\qquad \frac{\partial L}{\partial a_t} = f'(a_t) \odot \frac{\partial L}{\partial h_t} \]")
    w(r"\begin{tabular}{rlrr}")
    w(r"$t$ & $\partial L/\partial h_t$ & $\|\partial L/\partial h_t\|$ & ratio \\ \hline")
    for s in tr.steps:
        w(rf"{s.t} & ${vec(s.dh)}$ & ${_tnum(s.dh_norm)}$ & ${_tnum(s.ratio)}$ \\")
    w(r"\end{tabular}")
    w(r"\[ \frac{\partial L}{\partial U} = " + _tmat(tr.grads.U) + r",\quad \frac{\partial L}{\partial W} = "
      + _tmat(tr.grads.W) + r",\quad \frac{\partial L}{\partial b_h} = " + _tvec(tr.grads.b_h)
      + ((r",\quad \frac{\partial L}{\partial V} = " + _tmat(tr.grads.V) + r",\quad \frac{\partial L}{\partial b_y} = "
          + _tvec(tr.grads.b_y)) if has_y else "") + r" \]")
    w(rf"Global gradient norm $\|g\| = {num(tr.grad_norm)}$.")
    if tr.clip is not None:
        c = tr.clip
        if c.clipped:
            w(rf"Clipping: $\|g\| = {num(c.norm_before)} > \beta = {num(c.beta)}$, so $g \leftarrow \beta g/\|g\|$ "
              rf"(scale {num(c.scale)}), new norm {num(c.norm_after)}.")
        else:
            w(rf"Clipping: $\|g\| = {num(c.norm_before)} \le \beta = {num(c.beta)}$, gradient unchanged.")
    d = tr.decay
    if d.mean_ratio is not None:
        w(rf"Mean per-step ratio {num(d.mean_ratio)} ({d.verdict}); ${num(d.mean_ratio)}^{{100}} = {_tnum(d.mean_ratio_pow100)}$, "
          rf"compare ${num(d.p099, 2)}^{{100}} = {num(d.p099_pow100, 4)}$ and ${num(d.p101, 2)}^{{100}} = {num(d.p101_pow100, 4)}$.")
    return "\n".join(out) + "\n"
