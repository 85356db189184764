"""Text views of an Elman RNN trace: the `compute` table and the `explain` worked solution.

Only reads :class:`engines.rnn.RNNTrace`; every number printed comes from the trace. States and
gradients print with 5 significant digits, outputs and the loss with 6 (as the LSTM/GRU views
give y one digit more): the exam's h1 = [0.96403, 0.19738], y1 = 1.45878 read off directly.
"""
from __future__ import annotations

import numpy as np

from gatelab.style import fmt, fmt_vec

from .doc import Doc
from .grid import grid

DIGITS = 5
OUT_DIGITS = DIGITS + 1
ACT = {"tanh": r"\tanh", "relu": r"\operatorname{relu}", "sigmoid": r"\sigma", "step": r"\operatorname{step}",
       "identity": r"\operatorname{id}"}
OUT = {"identity": r"\operatorname{id}", "sigmoid": r"\sigma", "softmax": r"\operatorname{softmax}"}


def _v(a, digits: int = DIGITS) -> str:
    return "-" if a is None else fmt_vec(np.ravel(a), digits)


def _m(a, digits: int = DIGITS) -> str:
    return "[" + ", ".join(_v(r, digits) for r in np.atleast_2d(a)) + "]"


def _n(x, digits: int = DIGITS) -> str:
    return "-" if x is None else fmt(x, digits)


# --------------------------------------------------------------------------- table

def table(trace) -> str:
    tr = trace
    has_y = tr.output != "none"
    lines = [f"Elman RNN  H={tr.hidden} D={tr.input_size} O={tr.output_size}  f={tr.activation}  "
             f"output={tr.output}  layout={tr.layout}",
             f"h_0 = {_v(tr.h0)}"]
    head = ["t", "x_t", "a_t", "h_t"] + (["y_t"] if has_y else []) + ["||dL/dh_t||", "ratio"]
    rows = [[str(s.t), _v(s.x), _v(s.a), _v(s.h)] + ([_v(s.y, OUT_DIGITS)] if has_y else [])
            + [_n(s.dh_norm), _n(s.ratio)] for s in tr.steps]
    lines.append(grid(head, rows, align="l"))
    lines.append(f"{tr.loss_rule}:  L = {_n(tr.loss, OUT_DIGITS)}")
    lines.append(f"ratio = ||dL/dh_(t-1)|| / ||dL/dh_t||; geometric mean {_n(tr.decay.mean_ratio)} ({tr.decay.verdict})")
    lines.append(f"dL/dU = {_m(tr.grads.U)}  dL/dW = {_m(tr.grads.W)}  dL/db_h = {_v(tr.grads.b_h)}")
    if has_y:
        lines.append(f"dL/dV = {_m(tr.grads.V)}  dL/db_y = {_v(tr.grads.b_y)}")
    lines.append(f"||g|| = {_n(tr.grad_norm)}")
    if tr.clip is not None:
        c = tr.clip
        lines.append(f"clip beta={_n(c.beta)}: ||g|| {_n(c.norm_before)} -> {_n(c.norm_after)} "
                     f"({'clipped, scale ' + _n(c.scale) if c.clipped else 'not clipped'})")
    return "\n".join(lines)


# --------------------------------------------------------------------------- explain

def explain(trace, fmt_: str = "md") -> str:
    d = Doc(DIGITS)
    d.heading("Elman RNN: worked solution")
    _model(d, trace)
    d.heading("Forward pass: the 6-step recipe", 2)
    for s in trace.steps:
        d.heading(f"Step $t = {s.t}$  ($x_{{{s.t}}}$ = {d.vec(s.x)})", 3)
        d.derivation(_step(d, trace, s))
    _bptt(d, trace)
    _clipping(d, trace)
    _decay(d, trace)
    return d.render(fmt_)


def _model(d: Doc, tr) -> None:
    H, D, O = tr.hidden, tr.input_size, tr.output_size
    has_y = tr.output != "none"
    f = ACT[tr.activation]
    d.para(f"Model: $h_t = {f}(W h_{{t-1}} + U x_t + b_h)$"
           + (f", $y_t = {OUT[tr.output]}(V h_t + b_y)$." if has_y else " (no output layer)."))
    d.heading("Reading and shapes", 2)
    d.para(d.lit(tr.reading))
    d.items([f"$x_t$: ({D},)   $h_t$: ({H},)   $U$: ({H}, {D}) = (hidden, input)   $W$: ({H}, {H})   $b_h$: ({H},)"]
            + ([f"$V$: ({O}, {H}) = (output, hidden)   $b_y$: ({O},)   $y_t$: ({O},)"] if has_y else [])
            + [f"$[h_{{t-1}}, x_t]$: ({H + D},)   $[W\\;U]$: ({H}, {H + D})  (W's columns first, then U's)"])
    lines = [f"$U = {d.mat(tr.U)}$, $W = {d.mat(tr.W)}$, $b_h = {d.vec(tr.b_h)}$"
             + (f", $V = {d.mat(tr.V)}$, $b_y = {d.vec(tr.b_y)}$" if has_y else "")]
    if tr.b_ih is not None:
        lines.append(f"PyTorch layout: $b_h = \\mathrm{{bias\\_ih\\_l0}} + \\mathrm{{bias\\_hh\\_l0}} = "
                     f"{d.vec(tr.b_ih)} + {d.vec(tr.b_hh)} = {d.vec(tr.b_h)}$")
    lines += [f"$[W\\;U] = {d.mat(tr.WU)}$", f"$h_0 = {d.vec(tr.h0)}$"]
    d.items(lines)


def _dot(d: Doc, row, v) -> str:
    return " + ".join(f"{d.num(w)} \\cdot {d.num(x)}" for w, x in zip(row, v))


def _step(d: Doc, tr, s) -> list[tuple[str, list[str]]]:
    t, H, D, O = s.t, tr.hidden, tr.input_size, tr.output_size
    f = ACT[tr.activation]
    rows = [("Concatenate", [f"[h_{{{t - 1}}}, x_{{{t}}}] = {d.cat(s.h_prev, s.x)} = {d.vec(s.hx)}\\quad"
                             f"\\text{{shape }}({H + D},)"]),
            (f"Multiply by $[W\\;U]$ ({H}, {H + D}) -> ({H},)",
             [f"\\text{{row {i + 1}: }}{_dot(d, tr.WU[i], s.hx)} = {d.num(s.m[i])}" for i in range(H)]),
            ("Add the hidden bias", [f"a_{{{t}}} = {d.vec(s.m)} + {d.vec(tr.b_h)} = {d.vec(s.a)}"]),
            ("Activation", [f"h_{{{t}}} = {f}(a_{{{t}}}) = {f}({d.vec(s.a)}) = {d.vec(s.h)}"])]
    if tr.output == "none":
        return rows + [("No output layer", [f"\\text{{the step's output is }} h_{{{t}}}"])]
    rows.append((f"Multiply by $V$ ({O}, {H}) -> ({O},)",
                 [f"\\text{{row {k + 1}: }}{_dot(d, tr.V[k], s.h)} = {d.num(s.q[k], OUT_DIGITS)}" for k in range(O)]))
    o = f"o_{{{t}}}"
    y = (f"y_{{{t}}} = {o} = {d.vec(s.o, OUT_DIGITS)}" if tr.output == "identity"
         else f"y_{{{t}}} = {OUT[tr.output]}({o}) = {d.vec(s.y, OUT_DIGITS)}")
    rows.append(("Add the output bias", [f"{o} = {d.vec(s.q, OUT_DIGITS)} + {d.vec(tr.b_y)} = {d.vec(s.o, OUT_DIGITS)}", y]))
    return rows


def _bptt(d: Doc, tr) -> None:
    has_y = tr.output != "none"
    d.heading("Backpropagation through time", 2)
    d.para(f"Loss: {d.lit(tr.loss_rule)}.  $L = {d.num(tr.loss, OUT_DIGITS)}$"
           + ("\nThe step activation has derivative 0, so no gradient reaches U, W, $b_h$ or earlier hidden states."
              if tr.activation == "step" else ""))
    d.para(r"$\partial L/\partial h_t = V^\top \partial L/\partial o_t + W^\top \partial L/\partial a_{t+1}$,  "
           r"$\partial L/\partial a_t = f'(a_t) \odot \partial L/\partial h_t$,  "
           r"ratio = $\|\partial L/\partial h_{t-1}\| / \|\partial L/\partial h_t\|$")
    d.table([r"$t$", r"$\partial L/\partial h_t$", r"$\|\partial L/\partial h_t\|$", "ratio", r"$\partial L/\partial a_t$"],
            [[str(s.t), d.vec(s.dh), d.num(s.dh_norm), d.num(s.ratio), d.vec(s.da)] for s in tr.steps])
    g = tr.grads
    lines = [f"$\\partial L/\\partial U = {d.mat(g.U)}$", f"$\\partial L/\\partial W = {d.mat(g.W)}$",
             f"$\\partial L/\\partial b_h = {d.vec(g.b_h)}$"
             + ("  (also dL/dbias_ih_l0 and dL/dbias_hh_l0)" if tr.b_ih is not None else "")]
    if has_y:
        lines += [f"$\\partial L/\\partial V = {d.mat(g.V)}$", f"$\\partial L/\\partial b_y = {d.vec(g.b_y)}$"]
    lines += [f"$\\partial L/\\partial h_0 = {d.vec(tr.dh0)}$", f"global gradient norm $\\|g\\| = {d.num(tr.grad_norm)}$"]
    d.items(lines)


def _clipping(d: Doc, tr) -> None:
    c = tr.clip
    if c is None:
        return
    d.heading("Gradient clipping by norm", 2)
    if not c.clipped:
        d.para(f"$\\|g\\| = {d.num(c.norm_before)} \\le \\beta = {d.num(c.beta)}$: the gradient is left unchanged.")
        return
    g = c.grads
    d.para(f"$\\|g\\| = {d.num(c.norm_before)} > \\beta = {d.num(c.beta)}$, so $g \\leftarrow \\beta g / \\|g\\|$ "
           f"(scale {d.num(c.scale)}); the norm becomes {d.num(c.norm_after)}.\n"
           f"Clipped: $\\partial L/\\partial U = {d.mat(g.U)}$, $\\partial L/\\partial W = {d.mat(g.W)}$, "
           f"$\\partial L/\\partial b_h = {d.vec(g.b_h)}$"
           + (f", $\\partial L/\\partial V = {d.mat(g.V)}$, $\\partial L/\\partial b_y = {d.vec(g.b_y)}$"
              if tr.output != "none" else ""))


def _decay(d: Doc, tr) -> None:
    k = tr.decay
    d.heading("Vanishing or exploding?", 2)
    if k.mean_ratio is None:
        d.para("Not defined here (a zero gradient norm, or a single step).")
        return
    n = d.num
    d.para(f"Going back from t = {len(tr.steps)} to t = 1 the gradient norm changes by a factor "
           f"{n(k.first_over_last)}: on average {n(k.mean_ratio)} per step ({k.verdict}). "
           f"Over 100 steps that is ${n(k.mean_ratio)}^{{100}} = {n(k.mean_ratio_pow100)}$; compare "
           f"${n(k.p099)}^{{100}} = {n(k.p099_pow100)}$ and ${n(k.p101)}^{{100}} = {n(k.p101_pow100)}$: "
           "even a 1% shrink or growth per step compounds over long sequences.")
