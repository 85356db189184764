"""Text views of a GRU trace: the `gatelab compute gru` table and the `explain` worked solution.

Only reads the trace (every number shown is a trace field); formats with ``gatelab.style.fmt``.
"""
from __future__ import annotations

from gatelab.style import fmt, fmt_vec

from . import _recurrent as R

DIGITS = R.DIGITS


def _rule(conv: str) -> str:
    return "h = (1-z)*h_prev + z*n" if conv == "textbook" else "h = (1-z)*n + z*h_prev"


def _headline(trace) -> str:
    return (f"GRU ({trace.convention} convention: {_rule(trace.convention)}), hidden {trace.hidden}, "
            f"input {trace.input_size}, {len(trace.steps)} steps" + R.stack_note(trace))


def table(trace) -> str:
    """One row per step and run: r, z, n (= h~), h; then y, the loss and per-step dL/dh_t."""
    lines = [_headline(trace)]
    for run in trace.runs:
        lines += R.run_title(trace, run)
        rows = [("t", "x", "r", "z", "n=h~", "h")]
        for s in run.steps:
            rows.append((str(s.t), fmt_vec(s.x, DIGITS), fmt_vec(s.r, DIGITS), fmt_vec(s.z, DIGITS),
                         fmt_vec(s.n, DIGITS), fmt_vec(s.h, DIGITS)))
        lines += R.grid(rows)
    if trace.y is not None:
        lines += ["", f"y = V h_T + b_y = {fmt_vec(trace.y, DIGITS + 1)}"]
    b = trace.bptt
    if b is not None:
        direct = "diag(1-z_t)" if trace.convention == "textbook" else "diag(z_t)"
        lines += ["", f"loss ({R.loss_text(trace)}) = {fmt(b.loss, DIGITS + 1)}", "BPTT (layer 0 forward):"]
        rows = [("t", "||dL/dh_t||", "||dh_t/dh_t-1||", f"direct path ||{direct}||", "rest")]
        for g in b.steps:
            rows.append((str(g.t), fmt(g.dh_norm, DIGITS), fmt(g.J_norm, DIGITS), fmt(g.J_direct_norm, DIGITS),
                         fmt(g.J_rest_norm, DIGITS)))
        lines += R.grid(rows)
    return "\n".join(lines)


def explain(trace, fmt_: str = "md") -> str:
    """The worked solution, step by step: concatenate, gates r and z, candidate n, the mix into h, y."""
    if fmt_ not in ("md", "tex"):
        raise ValueError(f"format {fmt_!r}, expected 'md' or 'tex'")
    return _md(trace) if fmt_ == "md" else _tex(trace)


def _md(trace) -> str:
    V, M = R.MD.vec, R.MD.mat
    H = trace.hidden
    tb = trace.convention == "textbook"
    out = [f"# {_headline(trace)}", ""]
    if tb:
        out += ["Equations (textbook convention; n is the candidate h~; [h_{t-1}, x_t] puts h first):", "",
                "    z_t = σ(W_z·[h_{t-1}, x_t] + b_z)",
                "    r_t = σ(W_r·[h_{t-1}, x_t] + b_r)",
                "    n_t = h~_t = tanh(W_n·[r_t * h_{t-1}, x_t] + b_n)",
                "    h_t = (1 - z_t) * h_{t-1} + z_t * n_t"]
    else:
        out += ["Equations (PyTorch convention; W_r, W_z, W_n act on [h_{t-1}, x_t]: first H columns W^h on h, the rest W^x on x):", "",
                "    r_t = σ(W_r·[h_{t-1}, x_t] + b_r)",
                "    z_t = σ(W_z·[h_{t-1}, x_t] + b_z)",
                "    n_t = tanh(W_n^x x_t + b_n + r_t * (W_n^h h_{t-1} + b_hn))",
                "    h_t = (1 - z_t) * n_t + z_t * h_{t-1}"]
    if trace.y is not None:
        out.append("    y   = V h_T + b_y")
    out += ["", "σ is the logistic sigmoid, * the element-wise product, · the matrix-vector product."]
    for idx, run in enumerate(trace.runs):
        cell = trace.params.cells[idx]
        d_in = cell.input_size
        out += R.md_run_header(trace, run, d_in)
        out += [f"Shapes: each W is {H}×{H + d_in} = (hidden, hidden + input); each b is {H}.", ""]
        out.append(f"- W_z = {M(cell.W_z)}, b_z = {V(cell.b_z)}")
        out.append(f"- W_r = {M(cell.W_r)}, b_r = {V(cell.b_r)}")
        out.append(f"- W_n = {M(cell.W_n)}, b_n = {V(cell.b_n)}" + ("" if tb else f", b_hn = {V(cell.b_hn)}"))
        t0 = R.start(run)
        out.append(f"- h_{t0} = {V(run.h0)}" + ("  (initial state of the backward pass)" if t0 else ""))
        for s in run.steps:
            t, tp = s.t, (s.t - 1 if run.direction == "forward" else s.t + 1)
            out += R.md_step_title(trace, run, t)
            out.append(f"1. Concatenate: [h_{tp}, x_{t}] = [{V(s.h_prev)[1:-1]} | {V(s.x)[1:-1]}] = {V(s.hx)}   "
                       f"({H} + {d_in} = {H + d_in} numbers)")
            out.append(f"2. Update gate: a_z = W_z·[h_{tp}, x_{t}] + b_z = {V(s.m_z)} + {V(cell.b_z)} = {V(s.a_z)}; "
                       f"z_{t} = σ(a_z) = **{V(s.z)}**")
            out.append(f"3. Reset gate: a_r = W_r·[h_{tp}, x_{t}] + b_r = {V(s.m_r)} + {V(cell.b_r)} = {V(s.a_r)}; "
                       f"r_{t} = σ(a_r) = **{V(s.r)}**")
            if tb:
                out.append(f"4. Reset the memory: r_{t} * h_{tp} = {V(s.r)} * {V(s.h_prev)} = {V(s.rh)}")
                out.append(f"5. Candidate: a_n = W_n·[r_{t} * h_{tp}, x_{t}] + b_n = {V(s.m_n)} + {V(cell.b_n)} = {V(s.a_n)}; "
                           f"n_{t} = h~_{t} = tanh(a_n) = **{V(s.n)}**")
                out.append(f"6. Mix: h_{t} = (1 - z_{t}) * h_{tp} + z_{t} * n_{t} = {V(s.keep)} + {V(s.new)} = **{V(s.h)}**")
            else:
                out.append(f"4. Hidden part of the candidate: W_n^h h_{tp} + b_hn = {V(s.hn)}; times r_{t}: {V(s.r)} * {V(s.hn)} = {V(s.r_hn)}")
                out.append(f"5. Candidate: a_n = W_n^x x_{t} + b_n + r_{t} * (W_n^h h_{tp} + b_hn) = {V(s.m_n)} + {V(cell.b_n)} + "
                           f"{V(s.r_hn)} = {V(s.a_n)}; n_{t} = tanh(a_n) = **{V(s.n)}**")
                out.append(f"6. Mix: h_{t} = (1 - z_{t}) * n_{t} + z_{t} * h_{tp} = {V(s.new)} + {V(s.keep)} = **{V(s.h)}**")
    out += R.md_output(trace, V, M)
    b = trace.bptt
    if b is not None:
        direct = "diag(1-z_t)" if tb else "diag(z_t)"
        out += R.md_loss(trace, V, M)
        out += ["", f"| t | ‖dL/dh_t‖ | ‖dh_t/dh_{{t-1}}‖ | direct path ‖{direct}‖ | rest |", "|---|---|---|---|---|"]
        for g in b.steps:
            out.append(f"| {g.t} | {fmt(g.dh_norm, DIGITS)} | {fmt(g.J_norm, DIGITS)} | {fmt(g.J_direct_norm, DIGITS)} | "
                       f"{fmt(g.J_rest_norm, DIGITS)} |")
        out += ["", f"The direct path {direct} is the gated copy of h_{{t-1}} (no tanh derivative), the GRU's "
                    "counterpart of the LSTM forget-gate path; the rest goes through r, z and n. Spectral norms."]
    return "\n".join(out) + "\n"


def _tex(trace) -> str:
    V, M = R.TeX.vec, R.TeX.mat
    H = trace.hidden
    tb = trace.convention == "textbook"
    out = [f"% GateLab: {_headline(trace)}. Needs \\usepackage{{amsmath}}.",
           f"\\subsection*{{GRU, {trace.convention} convention}}", r"\begin{align*}"]
    if tb:
        out += [r"z_t &= \sigma(W_z [h_{t-1}, x_t] + b_z) \\", r"r_t &= \sigma(W_r [h_{t-1}, x_t] + b_r) \\",
                r"n_t = \tilde h_t &= \tanh(W_n [r_t \odot h_{t-1}, x_t] + b_n) \\",
                r"h_t &= (1 - z_t) \odot h_{t-1} + z_t \odot n_t"]
    else:
        out += [r"r_t &= \sigma(W_r [h_{t-1}, x_t] + b_r) \\", r"z_t &= \sigma(W_z [h_{t-1}, x_t] + b_z) \\",
                r"n_t &= \tanh(W_n^x x_t + b_n + r_t \odot (W_n^h h_{t-1} + b_{hn})) \\",
                r"h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}"]
    if trace.y is not None:
        out[-1] += r" \\ y &= V h_T + b_y"
    out.append(r"\end{align*}")
    for idx, run in enumerate(trace.runs):
        cell = trace.params.cells[idx]
        d_in = cell.input_size
        title = f"Layer {run.layer} {run.direction}" if len(trace.runs) > 1 else "Weights"
        out += [f"\\paragraph{{{title}}} Each $W$ is ${H}\\times{H + d_in}$ (hidden, hidden + input).", r"\begin{align*}",
                f"W_z &= {M(cell.W_z)}, & b_z &= {V(cell.b_z)} \\\\",
                f"W_r &= {M(cell.W_r)}, & b_r &= {V(cell.b_r)} \\\\",
                f"W_n &= {M(cell.W_n)}, & b_n &= {V(cell.b_n)}" + ("" if tb else f", & b_{{hn}} &= {V(cell.b_hn)}") + r" \\",
                f"h_{{{R.start(run)}}} &= {V(run.h0)}", r"\end{align*}"]
        for s in run.steps:
            t, tp = s.t, (s.t - 1 if run.direction == "forward" else s.t + 1)
            out += [f"\\paragraph{{Step $t = {t}$}}", r"\begin{align*}",
                    f"[h_{{{tp}}}, x_{{{t}}}] &= {V(s.hx)} \\\\",
                    f"z_{{{t}}} &= \\sigma({V(s.m_z)} + {V(cell.b_z)}) = \\sigma({V(s.a_z)}) = {V(s.z)} \\\\",
                    f"r_{{{t}}} &= \\sigma({V(s.m_r)} + {V(cell.b_r)}) = \\sigma({V(s.a_r)}) = {V(s.r)} \\\\"]
            if tb:
                out += [f"r_{{{t}}} \\odot h_{{{tp}}} &= {V(s.rh)} \\\\",
                        f"n_{{{t}}} &= \\tanh({V(s.m_n)} + {V(cell.b_n)}) = \\tanh({V(s.a_n)}) = {V(s.n)} \\\\",
                        f"h_{{{t}}} &= (1 - z_{{{t}}}) \\odot h_{{{tp}}} + z_{{{t}}} \\odot n_{{{t}}} = {V(s.keep)} + {V(s.new)} = {V(s.h)}"]
            else:
                out += [f"W_n^h h_{{{tp}}} + b_{{hn}} &= {V(s.hn)} \\\\",
                        f"n_{{{t}}} &= \\tanh({V(s.m_n)} + {V(cell.b_n)} + {V(s.r_hn)}) = \\tanh({V(s.a_n)}) = {V(s.n)} \\\\",
                        f"h_{{{t}}} &= (1 - z_{{{t}}}) \\odot n_{{{t}}} + z_{{{t}}} \\odot h_{{{tp}}} = {V(s.new)} + {V(s.keep)} = {V(s.h)}"]
            out.append(r"\end{align*}")
    if trace.y is not None:
        out += [r"\paragraph{Output}", r"\begin{align*}",
                f"y &= V h_T + b_y = {M(trace.params.V)} {V(trace.outputs[-1])} + {V(trace.params.b_y)} = {V(trace.Vh)} + "
                f"{V(trace.params.b_y)} = {V(trace.y)}", r"\end{align*}"]
    b = trace.bptt
    if b is not None:
        out += [R.tex_loss(trace),
                r"\begin{center}\begin{tabular}{rrrrr}",
                r"$t$ & $\|\partial L/\partial h_t\|$ & $\|\partial h_t/\partial h_{t-1}\|$ & direct path & rest \\ \hline"]
        for g in b.steps:
            out.append(f"{g.t} & {fmt(g.dh_norm, DIGITS)} & {fmt(g.J_norm, DIGITS)} & {fmt(g.J_direct_norm, DIGITS)} & "
                       f"{fmt(g.J_rest_norm, DIGITS)} \\\\")
        out.append(r"\end{tabular}\end{center}")
    return "\n".join(out) + "\n"
