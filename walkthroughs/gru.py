"""Text views of a GRU trace: the `gatelab compute gru` table and the `explain` worked solution.

Only reads the trace (every number shown is a trace field); numbers go through ``gatelab.style.fmt``.
``explain`` writes the solution once (:class:`~gatelab.walkthroughs.doc.Doc`) for Markdown and LaTeX.
"""
from __future__ import annotations

from gatelab.style import fmt, fmt_vec

from . import _recurrent as R
from .doc import Doc
from .grid import grid

DIGITS = R.DIGITS


def _rule(conv: str) -> str:
    return "h = (1-z)*h_prev + z*n" if conv == "textbook" else "h = (1-z)*n + z*h_prev"


def _direct(conv: str) -> str:
    """The Jacobian's direct path (the gated copy of h_{t-1})."""
    return "diag(1-z_t)" if conv == "textbook" else "diag(z_t)"


def _headline(trace) -> str:
    return (f"GRU ({trace.convention} convention: {_rule(trace.convention)}), hidden {trace.hidden}, "
            f"input {trace.input_size}, {len(trace.steps)} steps" + R.stack_note(trace))


def table(trace) -> str:
    """One row per step and run: r, z, n (= h~), h; then y, the loss and per-step dL/dh_t."""
    lines = [_headline(trace)]
    v = lambda a: fmt_vec(a, DIGITS)  # noqa: E731
    for run in trace.runs:
        lines += R.run_title(trace, run)
        lines.append(grid(("t", "x", "r", "z", "n=h~", "h"),
                          [(str(s.t), v(s.x), v(s.r), v(s.z), v(s.n), v(s.h)) for s in run.steps]))
    if trace.y is not None:
        lines += ["", f"y = V h_T + b_y = {fmt_vec(trace.y, DIGITS + 1)}"]
    b = trace.bptt
    if b is not None:
        n = lambda x: fmt(x, DIGITS)  # noqa: E731
        lines += ["", f"loss ({R.loss_text(trace)}) = {fmt(b.loss, DIGITS + 1)}", "BPTT (layer 0 forward):"]
        lines.append(grid(("t", "||dL/dh_t||", "||dh_t/dh_t-1||", f"direct path ||{_direct(trace.convention)}||", "rest"),
                          [(str(g.t), n(g.dh_norm), n(g.J_norm), n(g.J_direct_norm), n(g.J_rest_norm)) for g in b.steps]))
    return "\n".join(lines)


# --------------------------------------------------------------------------- explain

def explain(trace, fmt_: str = "md") -> str:
    """The worked solution, step by step: concatenate, gates r and z, candidate n, the mix into h, y."""
    return R.worked_solution(trace, fmt_, digits=DIGITS, headline=_headline, equations=_equations, weights=_weights,
                             step=_step, bptt=_bptt)


def _equations(d: Doc, trace) -> None:
    if trace.convention == "textbook":
        d.para(r"Equations (textbook convention; n is the candidate $\tilde h$; $[h_{t-1}, x_t]$ puts h first):")
        rows = [r"z_t = \sigma(W_z \cdot [h_{t-1}, x_t] + b_z)", r"r_t = \sigma(W_r \cdot [h_{t-1}, x_t] + b_r)",
                r"n_t = \tilde h_t = \tanh(W_n \cdot [r_t \odot h_{t-1}, x_t] + b_n)",
                r"h_t = (1 - z_t) \odot h_{t-1} + z_t \odot n_t"]
    else:
        d.para(r"Equations (PyTorch convention; $W_r$, $W_z$, $W_n$ act on $[h_{t-1}, x_t]$: first H columns $W^h$ "
               r"on h, the rest $W^x$ on x):")
        rows = [r"r_t = \sigma(W_r \cdot [h_{t-1}, x_t] + b_r)", r"z_t = \sigma(W_z \cdot [h_{t-1}, x_t] + b_z)",
                r"n_t = \tanh(W_n^x x_t + b_n + r_t \odot (W_n^h h_{t-1} + b_{hn}))",
                r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}"]
    if trace.y is not None:
        rows.append(r"y = V h_T + b_y")
    d.equations(rows)
    d.para(r"$\sigma$ is the logistic sigmoid, $\odot$ the element-wise product, $\cdot$ the matrix-vector product.")


def _weights(d: Doc, trace, run, cell) -> None:
    H, d_in = trace.hidden, cell.input_size
    R.run_header(d, trace, run, d_in)
    d.para(f"Shapes: each W is {H}×{H + d_in} = (hidden, hidden + input); each b is {H}.")
    t0 = R.start(run)
    d.items([f"$W_z = {d.mat(cell.W_z)}$, $b_z = {d.vec(cell.b_z)}$",
             f"$W_r = {d.mat(cell.W_r)}$, $b_r = {d.vec(cell.b_r)}$",
             f"$W_n = {d.mat(cell.W_n)}$, $b_n = {d.vec(cell.b_n)}$"
             + ("" if trace.convention == "textbook" else f", $b_{{hn}} = {d.vec(cell.b_hn)}$"),
             f"$h_{{{t0}}} = {d.vec(run.h0)}$" + ("  (initial state of the backward pass)" if t0 else "")])


def _step(d: Doc, trace, run, cell, s) -> list[tuple[str, list[str]]]:
    t, tp = s.t, R.previous(run, s.t)
    H, d_in = trace.hidden, cell.input_size
    hx = f"[h_{{{tp}}}, x_{{{t}}}]"
    V = d.vec
    rows = [("Concatenate", [f"{hx} = {d.cat(s.h_prev, s.x)} = {V(s.hx)}\\qquad({H} + {d_in} = {H + d_in}\\text{{ numbers}})"]),
            ("Update gate", [f"a_z = W_z \\cdot {hx} + b_z = {V(s.m_z)} + {V(cell.b_z)} = {V(s.a_z)}",
                             f"z_{{{t}}} = \\sigma(a_z) = {V(s.z, bold=True)}"]),
            ("Reset gate", [f"a_r = W_r \\cdot {hx} + b_r = {V(s.m_r)} + {V(cell.b_r)} = {V(s.a_r)}",
                            f"r_{{{t}}} = \\sigma(a_r) = {V(s.r, bold=True)}"])]
    rt, ht, zt, nt = f"r_{{{t}}}", f"h_{{{tp}}}", f"z_{{{t}}}", f"n_{{{t}}}"
    if trace.convention == "textbook":
        rows += [("Reset the memory", [f"{rt} \\odot {ht} = {V(s.r)} \\odot {V(s.h_prev)} = {V(s.rh)}"]),
                 ("Candidate", [f"a_n = W_n \\cdot [{rt} \\odot {ht}, x_{{{t}}}] + b_n = {V(s.m_n)} + {V(cell.b_n)} = {V(s.a_n)}",
                                f"{nt} = \\tilde h_{{{t}}} = \\tanh(a_n) = {V(s.n, bold=True)}"]),
                 ("Mix", [f"h_{{{t}}} = (1 - {zt}) \\odot {ht} + {zt} \\odot {nt} = {V(s.keep)} + {V(s.new)} = {V(s.h, bold=True)}"])]
    else:
        rows += [("Hidden part of the candidate", [f"W_n^h {ht} + b_{{hn}} = {V(s.hn)}",
                                                   f"{rt} \\odot (W_n^h {ht} + b_{{hn}}) = {V(s.r)} \\odot {V(s.hn)} = {V(s.r_hn)}"]),
                 ("Candidate", [f"a_n = W_n^x x_{{{t}}} + b_n + {rt} \\odot (W_n^h {ht} + b_{{hn}}) = {V(s.m_n)} + "
                                f"{V(cell.b_n)} + {V(s.r_hn)} = {V(s.a_n)}",
                                f"{nt} = \\tanh(a_n) = {V(s.n, bold=True)}"]),
                 ("Mix", [f"h_{{{t}}} = (1 - {zt}) \\odot {nt} + {zt} \\odot {ht} = {V(s.new)} + {V(s.keep)} = {V(s.h, bold=True)}"])]
    return rows


def _bptt(d: Doc, trace) -> None:
    direct = r"\mathrm{diag}(1 - z_t)" if trace.convention == "textbook" else r"\mathrm{diag}(z_t)"
    R.loss(d, trace)
    n = d.num
    d.table([r"$t$", r"$\|\partial L/\partial h_t\|$", r"$\|\partial h_t/\partial h_{t-1}\|$",
             rf"direct path $\|{direct}\|$", "rest"],
            [[str(g.t), n(g.dh_norm), n(g.J_norm), n(g.J_direct_norm), n(g.J_rest_norm)] for g in trace.bptt.steps])
    d.para(f"The direct path ${direct}$ is the gated copy of $h_{{t-1}}$ (no tanh derivative), the GRU's "
           "counterpart of the LSTM forget-gate path; the rest goes through r, z and n. Spectral norms.")
