"""Text views of an LSTM trace: the `gatelab compute lstm` table and the `explain` worked solution.

Only reads the trace (every number shown is a trace field); formats with ``gatelab.style.fmt``.
``explain(trace, "md")`` is Markdown; ``explain(trace, "tex")`` is a LaTeX fragment (needs amsmath).
"""
from __future__ import annotations

from gatelab.style import fmt, fmt_vec

from . import _recurrent as R

DIGITS = R.DIGITS


def table(trace) -> str:
    """One row per step and run: f, i, g (= C~), o, c, h."""
    lines = [_headline(trace)]
    cols = ("t", "x", "f", "i", "g=C~", "o", "c", "h")
    for r in trace.runs:
        lines += R.run_title(trace, r)
        rows = [cols]
        for s in r.steps:
            rows.append((str(s.t), fmt_vec(s.x, DIGITS), fmt_vec(s.f, DIGITS), fmt_vec(s.i, DIGITS), fmt_vec(s.g, DIGITS),
                         fmt_vec(s.o, DIGITS), fmt_vec(s.c, DIGITS), fmt_vec(s.h, DIGITS)))
        lines += R.grid(rows)
    if trace.y is not None:
        lines += ["", f"y = V h_T + b_y = {fmt_vec(trace.y, DIGITS + 1)}"]
    b = trace.bptt
    if b is not None:
        lines += ["", f"loss ({R.loss_text(trace)}) = {fmt(b.loss, DIGITS + 1)}", "BPTT (layer 0 forward):"]
        rows = [("t", "||dL/dh_t||", "||dL/dc_t||", "||dc_t/dc_t-1||", "forget path ||diag(f_t)||", "rest")]
        for g in b.steps:
            rows.append((str(g.t), fmt(g.dh_norm, DIGITS), fmt(g.dc_norm, DIGITS), fmt(g.J_norm, DIGITS),
                         fmt(g.J_forget_norm, DIGITS), fmt(g.J_rest_norm, DIGITS)))
        lines += R.grid(rows)
    return "\n".join(lines)


def _headline(trace) -> str:
    return (f"LSTM ({trace.variant}), hidden {trace.hidden}, input {trace.input_size}, {len(trace.steps)} steps"
            + R.stack_note(trace))


# --------------------------------------------------------------------------- explain

def explain(trace, fmt_: str = "md") -> str:
    """The worked solution, step by step: concatenate, gates, cell update, hidden state, y."""
    if fmt_ not in ("md", "tex"):
        raise ValueError(f"format {fmt_!r}, expected 'md' or 'tex'")
    return _explain_md(trace) if fmt_ == "md" else _explain_tex(trace)


def _explain_md(trace) -> str:
    F = R.MD
    H = trace.hidden
    out = [f"# {_headline(trace)}", ""]
    out += ["Equations (colah's notation; g is C~, the candidate cell value; [h_{t-1}, x_t] puts h first):", "",
            "    f_t = σ(W_f·[h_{t-1}, x_t] + b_f)" + ("  + P_f * c_{t-1}" if trace.variant == "peephole" else ""),
            "    i_t = σ(W_i·[h_{t-1}, x_t] + b_i)" + ("  + P_i * c_{t-1}" if trace.variant == "peephole" else ""),
            "    g_t = C~_t = tanh(W_C·[h_{t-1}, x_t] + b_C)",
            "    c_t = f_t * c_{t-1} + i_t * g_t",
            "    o_t = σ(W_o·[h_{t-1}, x_t] + b_o)" + ("  + P_o * c_t" if trace.variant == "peephole" else ""),
            "    h_t = o_t * tanh(c_t)"]
    if trace.y is not None:
        out.append("    y   = V h_T + b_y")
    out += ["", "σ is the logistic sigmoid, * the element-wise product, · the matrix-vector product."]
    if trace.variant == "peephole":
        out.append("Peepholes are diagonal (Gers & Schmidhuber): each unit's gate sees only its own cell.")
    for r_idx, run in enumerate(trace.runs):
        cell = trace.params.cells[r_idx]
        d_in = cell.input_size
        out += R.md_run_header(trace, run, d_in)
        out.append(f"Shapes: each W is {H}×{H + d_in} = (hidden, hidden + input) acting on [h_{{t-1}}, x_t] "
                   f"({H} + {d_in} = {H + d_in} numbers); each b is {H}.")
        out.append("")
        for g, wname in (("f", "W_f"), ("i", "W_i"), ("g", "W_C"), ("o", "W_o")):
            out.append(f"- {wname} = {F.mat(getattr(cell, 'W_' + g))}, b_{'C' if g == 'g' else g} = {F.vec(getattr(cell, 'b_' + g))}")
        if cell.P_f is not None:
            out.append(f"- P_f = {F.vec(cell.P_f)}, P_i = {F.vec(cell.P_i)}, P_o = {F.vec(cell.P_o)}")
        t0 = R.start(run)
        out.append(f"- h_{t0} = {F.vec(run.h0)}, c_{t0} = {F.vec(run.c0)}" + ("  (initial state of the backward pass)" if t0 else ""))
        for s in run.steps:
            t, tp = s.t, (s.t - 1 if run.direction == "forward" else s.t + 1)
            hp, cp = f"h_{tp}", f"c_{tp}"
            out += R.md_step_title(trace, run, t)
            out.append(f"1. Concatenate: [{hp}, x_{t}] = [{F.vec(s.h_prev)[1:-1]} | {F.vec(s.x)[1:-1]}] "
                       f"= {F.vec(s.hx)}   ({H} + {d_in} = {H + d_in} numbers)")
            for k, (g, name) in enumerate((("f", "forget gate"), ("i", "input gate"), ("g", "candidate"), ("o", "output gate")), 2):
                W = "W_C" if g == "g" else f"W_{g}"
                b = "b_C" if g == "g" else f"b_{g}"
                act = "tanh" if g == "g" else "σ"
                lhs = "g" if g == "g" else g
                if g == "o":
                    out.append(f"{k}. Cell update: c_{t} = f_{t} * {cp} + i_{t} * g_{t} = {F.vec(s.f)} * {F.vec(s.c_prev)} + "
                               f"{F.vec(s.i)} * {F.vec(s.g)} = {F.vec(s.fc)} + {F.vec(s.ig)} = **{F.vec(s.c)}**")
                    k += 1
                peep = ""
                pre = f"{F.vec(getattr(s, 'm_' + g))} + {F.vec(getattr(cell, 'b_' + g))}"
                pc = getattr(s, "pc_" + g, None) if g != "g" else None
                if pc is not None:
                    peep = f" + P_{g} * {'c_' + str(t) if g == 'o' else cp}"
                    pre += f" + {F.vec(pc)}"
                out.append(f"{k}. {name.capitalize()}: z_{g} = {W}·[{hp}, x_{t}] + {b}{peep} = {pre} = {F.vec(getattr(s, 'z_' + g))}; "
                           f"{lhs}_{t} = {act}(z_{g}) = **{F.vec(getattr(s, g))}**" + ("  (= C~_" + str(t) + ")" if g == "g" else ""))
            out.append(f"7. Hidden state: h_{t} = o_{t} * tanh(c_{t}) = {F.vec(s.o)} * {F.vec(s.tanh_c)} = **{F.vec(s.h)}**")
    out += R.md_output(trace, F.vec, F.mat)
    b = trace.bptt
    if b is not None:
        out += R.md_loss(trace, F.vec, F.mat)
        out += ["", "| t | ‖dL/dh_t‖ | ‖dL/dc_t‖ | ‖dc_t/dc_{t-1}‖ | forget path ‖diag(f_t)‖ | rest ‖A+C+D‖ |",
                "|---|---|---|---|---|---|"]
        for g in b.steps:
            out.append(f"| {g.t} | {fmt(g.dh_norm, DIGITS)} | {fmt(g.dc_norm, DIGITS)} | {fmt(g.J_norm, DIGITS)} | "
                       f"{fmt(g.J_forget_norm, DIGITS)} | {fmt(g.J_rest_norm, DIGITS)} |")
        out += ["", "dc_t/dc_{t-1} = A_t + B_t + C_t + D_t with B_t = diag(f_t), the additive forget-gate path "
                    "(no tanh derivative); A, C, D go through h_{t-1} = o_{t-1} tanh(c_{t-1}) into f, i and g "
                    "(at t = 1 the given h_0 is held fixed). Norms are spectral norms."]
    return "\n".join(out) + "\n"


def _explain_tex(trace) -> str:
    F = R.TeX
    H = trace.hidden
    out = [f"% GateLab: {_headline(trace)}. Needs \\usepackage{{amsmath}}.",
           f"\\subsection*{{{_headline(trace)}}}",
           r"Equations (colah's notation; $g_t = \tilde C_t$ is the candidate cell value; $[h_{t-1}, x_t]$ puts $h$ first):",
           r"\begin{align*}",
           r"f_t &= \sigma(W_f [h_{t-1}, x_t] + b_f" + (r" + P_f \odot c_{t-1}" if trace.variant == "peephole" else "") + r") \\",
           r"i_t &= \sigma(W_i [h_{t-1}, x_t] + b_i" + (r" + P_i \odot c_{t-1}" if trace.variant == "peephole" else "") + r") \\",
           r"g_t = \tilde C_t &= \tanh(W_C [h_{t-1}, x_t] + b_C) \\",
           r"c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\",
           r"o_t &= \sigma(W_o [h_{t-1}, x_t] + b_o" + (r" + P_o \odot c_t" if trace.variant == "peephole" else "") + r") \\",
           r"h_t &= o_t \odot \tanh(c_t)" + (r" \\ y &= V h_T + b_y" if trace.y is not None else ""),
           r"\end{align*}"]
    for r_idx, run in enumerate(trace.runs):
        cell = trace.params.cells[r_idx]
        d_in = cell.input_size
        title = f"Layer {run.layer} {run.direction}" if len(trace.runs) > 1 else "Weights"
        out += [f"\\paragraph{{{title}}} Each $W$ is ${H}\\times{H + d_in}$ (hidden, hidden + input), each $b$ has {H} entries.",
                r"\begin{align*}"]
        for g, wname, bname in (("f", "W_f", "b_f"), ("i", "W_i", "b_i"), ("g", "W_C", "b_C"), ("o", "W_o", "b_o")):
            out.append(f"{wname} &= {F.mat(getattr(cell, 'W_' + g))}, & {bname} &= {F.vec(getattr(cell, 'b_' + g))} \\\\")
        if cell.P_f is not None:
            out.append(f"P_f &= {F.vec(cell.P_f)}, & P_i &= {F.vec(cell.P_i)}, & P_o &= {F.vec(cell.P_o)} \\\\")
        out.append(f"h_{{{R.start(run)}}} &= {F.vec(run.h0)}, & c_{{{R.start(run)}}} &= {F.vec(run.c0)}")
        out.append(r"\end{align*}")
        for s in run.steps:
            t, tp = s.t, (s.t - 1 if run.direction == "forward" else s.t + 1)
            out += [f"\\paragraph{{Step $t = {t}$}}", r"\begin{align*}",
                    f"[h_{{{tp}}}, x_{{{t}}}] &= {F.vec(s.hx)} \\\\"]
            for g, W, b in (("f", "W_f", "b_f"), ("i", "W_i", "b_i"), ("g", "W_C", "b_C")):
                act = r"\tanh" if g == "g" else r"\sigma"
                pc = getattr(s, "pc_" + g, None) if g != "g" else None
                extra = (f" + P_{g} \\odot c_{{{tp}}}" if pc is not None else "")
                nums = f"{F.vec(getattr(s, 'm_' + g))} + {F.vec(getattr(cell, 'b_' + g))}" + (f" + {F.vec(pc)}" if pc is not None else "")
                out.append(f"z_{g} &= {W} [h_{{{tp}}}, x_{{{t}}}] + {b}{extra} = {nums} = {F.vec(getattr(s, 'z_' + g))} \\\\")
                out.append(f"{g}_{{{t}}} &= {act}(z_{g}) = {F.vec(getattr(s, g))} \\\\")
            out.append(f"c_{{{t}}} &= f_{{{t}}} \\odot c_{{{tp}}} + i_{{{t}}} \\odot g_{{{t}}} = {F.vec(s.fc)} + {F.vec(s.ig)} = {F.vec(s.c)} \\\\")
            pc = s.pc_o
            extra = f" + P_o \\odot c_{{{t}}}" if pc is not None else ""
            nums = f"{F.vec(s.m_o)} + {F.vec(cell.b_o)}" + (f" + {F.vec(pc)}" if pc is not None else "")
            out.append(f"z_o &= W_o [h_{{{tp}}}, x_{{{t}}}] + b_o{extra} = {nums} = {F.vec(s.z_o)} \\\\")
            out.append(f"o_{{{t}}} &= \\sigma(z_o) = {F.vec(s.o)} \\\\")
            out.append(f"h_{{{t}}} &= o_{{{t}}} \\odot \\tanh(c_{{{t}}}) = {F.vec(s.o)} \\odot {F.vec(s.tanh_c)} = {F.vec(s.h)}")
            out.append(r"\end{align*}")
    if trace.y is not None:
        T = len(trace.steps)
        top = r"[h^{\rightarrow}_T, h^{\leftarrow}_T]" if trace.bidirectional else f"h_{{{T}}}"
        out += [r"\paragraph{Output}", r"\begin{align*}",
                f"y &= V {top} + b_y = {F.mat(trace.params.V)} {F.vec(trace.outputs[-1])} + {F.vec(trace.params.b_y)} "
                f"= {F.vec(trace.Vh)} + {F.vec(trace.params.b_y)} = {F.vec(trace.y)}",
                r"\end{align*}"]
    b = trace.bptt
    if b is not None:
        out += [R.tex_loss(trace),
                r"\begin{center}\begin{tabular}{rrrrrr}",
                r"$t$ & $\|\partial L/\partial h_t\|$ & $\|\partial L/\partial c_t\|$ & $\|\partial c_t/\partial c_{t-1}\|$ & "
                r"$\|\mathrm{diag}(f_t)\|$ & rest \\ \hline"]
        for g in b.steps:
            out.append(f"{g.t} & {fmt(g.dh_norm, DIGITS)} & {fmt(g.dc_norm, DIGITS)} & {fmt(g.J_norm, DIGITS)} & "
                       f"{fmt(g.J_forget_norm, DIGITS)} & {fmt(g.J_rest_norm, DIGITS)} \\\\")
        out += [r"\end{tabular}\end{center}",
                r"$\partial c_t/\partial c_{t-1} = A_t + B_t + C_t + D_t$ with $B_t = \mathrm{diag}(f_t)$, the additive "
                r"forget-gate path; spectral norms."]
    return "\n".join(out) + "\n"
