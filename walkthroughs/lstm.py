"""Text views of an LSTM trace: the `gatelab compute lstm` table and the `explain` worked solution.

Only reads the trace (every number shown is a trace field); numbers go through ``gatelab.style.fmt``.
``explain`` writes the solution once (:class:`~gatelab.walkthroughs.doc.Doc`) and prints it as
Markdown or as a LaTeX fragment (needs amsmath).
"""
from __future__ import annotations

from gatelab.style import fmt, fmt_vec

from . import _recurrent as R
from .doc import Doc
from .grid import grid

DIGITS = R.DIGITS
# gate -> (name, weight, bias, activation)
GATES = {"f": ("Forget gate", "W_f", "b_f", r"\sigma"), "i": ("Input gate", "W_i", "b_i", r"\sigma"),
         "g": ("Candidate", "W_C", "b_C", r"\tanh"), "o": ("Output gate", "W_o", "b_o", r"\sigma")}


def _headline(trace) -> str:
    return (f"LSTM ({trace.variant}), hidden {trace.hidden}, input {trace.input_size}, {len(trace.steps)} steps"
            + R.stack_note(trace))


def table(trace) -> str:
    """One row per step and run: f, i, g (= C~), o, c, h; then y, the loss and the BPTT norms."""
    lines = [_headline(trace)]
    v = lambda a: fmt_vec(a, DIGITS)  # noqa: E731
    for r in trace.runs:
        lines += R.run_title(trace, r)
        lines.append(grid(("t", "x", "f", "i", "g=C~", "o", "c", "h"),
                          [(str(s.t), v(s.x), v(s.f), v(s.i), v(s.g), v(s.o), v(s.c), v(s.h)) for s in r.steps]))
    if trace.y is not None:
        lines += ["", f"y = V h_T + b_y = {fmt_vec(trace.y, DIGITS + 1)}"]
    b = trace.bptt
    if b is not None:
        n = lambda x: fmt(x, DIGITS)  # noqa: E731
        lines += ["", f"loss ({R.loss_text(trace)}) = {fmt(b.loss, DIGITS + 1)}", "BPTT (layer 0 forward):"]
        lines.append(grid(("t", "||dL/dh_t||", "||dL/dc_t||", "||dc_t/dc_t-1||", "forget path ||diag(f_t)||", "rest"),
                          [(str(g.t), n(g.dh_norm), n(g.dc_norm), n(g.J_norm), n(g.J_forget_norm), n(g.J_rest_norm))
                           for g in b.steps]))
    return "\n".join(lines)


# --------------------------------------------------------------------------- explain

def explain(trace, fmt_: str = "md") -> str:
    """The worked solution, step by step: concatenate, gates, cell update, hidden state, y, BPTT."""
    return R.worked_solution(trace, fmt_, digits=DIGITS, headline=_headline, equations=_equations, weights=_weights,
                             step=_step, bptt=_bptt)


def _equations(d: Doc, trace) -> None:
    if trace.variant == "peephole-full":
        return _equations_full(d, trace)
    peep = trace.variant == "peephole"
    d.para(r"Equations (colah's notation; g is $\tilde C$, the candidate cell value; $[h_{t-1}, x_t]$ puts h first):")
    rows = [r"f_t = \sigma(W_f \cdot [h_{t-1}, x_t] + b_f" + (r" + P_f \odot c_{t-1}" if peep else "") + ")",
            r"i_t = \sigma(W_i \cdot [h_{t-1}, x_t] + b_i" + (r" + P_i \odot c_{t-1}" if peep else "") + ")",
            r"g_t = \tilde C_t = \tanh(W_C \cdot [h_{t-1}, x_t] + b_C)",
            r"c_t = f_t \odot c_{t-1} + i_t \odot g_t",
            r"o_t = \sigma(W_o \cdot [h_{t-1}, x_t] + b_o" + (r" + P_o \odot c_t" if peep else "") + ")",
            r"h_t = o_t \odot \tanh(c_t)"]
    if trace.y is not None:
        rows.append(r"y = V h_T + b_y")
    d.equations(rows)
    d.para(r"$\sigma$ is the logistic sigmoid, $\odot$ the element-wise product, $\cdot$ the matrix-vector product."
           + (" Peepholes are diagonal (Gers & Schmidhuber): each unit's gate sees only its own cell." if peep else ""))


def _equations_full(d: Doc, trace) -> None:
    d.para(r"Equations (full peephole matrices, as the lecture notes write them; g is $\tilde C$; "
           r"f and i see $C_{t-1}$, o sees the NEW cell state $C_t$):")
    rows = [r"f_t = \sigma(W_f \cdot [C_{t-1}, h_{t-1}, x_t] + b_f)",
            r"i_t = \sigma(W_i \cdot [C_{t-1}, h_{t-1}, x_t] + b_i)",
            r"g_t = \tilde C_t = \tanh(W_C \cdot [h_{t-1}, x_t] + b_C)",
            r"C_t = f_t \odot C_{t-1} + i_t \odot g_t",
            r"o_t = \sigma(W_o \cdot [C_t, h_{t-1}, x_t] + b_o)",
            r"h_t = o_t \odot \tanh(C_t)"]
    if trace.y is not None:
        rows.append(r"y = V h_T + b_y")
    d.equations(rows)
    d.para(r"$W_f, W_i, W_o$ are full matrices over $[C, h, x]$: every gate unit sees every cell. Each product "
           r"is written as its two blocks, $W^{C} C + W^{hx} [h, x]$ (the same number).")


def _weights(d: Doc, trace, run, cell) -> None:
    H, d_in = trace.hidden, cell.input_size
    R.run_header(d, trace, run, d_in)
    if trace.variant == "peephole-full":
        d.para(f"Shapes: $W_f, W_i, W_o$ are {H}×{2 * H + d_in} = (hidden, 2·hidden + input) acting on "
               f"$[C_{{t-1}}, h_{{t-1}}, x_t]$ ({H} + {H} + {d_in} numbers); $W_C$ is {H}×{H + d_in} on "
               f"$[h_{{t-1}}, x_t]$; each b is {H}.")
    else:
        d.para(f"Shapes: each W is {H}×{H + d_in} = (hidden, hidden + input) acting on $[h_{{t-1}}, x_t]$ "
               f"({H} + {d_in} = {H + d_in} numbers); each b is {H}.")
    lines = [f"${W} = {d.mat(getattr(cell, 'W_' + g))}$, ${b} = {d.vec(getattr(cell, 'b_' + g))}$"
             for g, (_, W, b, _) in GATES.items()]
    if cell.P_f is not None:
        lines.append(f"$P_f = {d.vec(cell.P_f)}$, $P_i = {d.vec(cell.P_i)}$, $P_o = {d.vec(cell.P_o)}$")
    t0 = R.start(run)
    lines.append(f"$h_{{{t0}}} = {d.vec(run.h0)}$, $c_{{{t0}}} = {d.vec(run.c0)}$"
                 + ("  (initial state of the backward pass)" if t0 else ""))
    d.items(lines)


def _gate(d: Doc, cell, s, g: str, hx: str, t: int, tp: int) -> tuple[str, list[str]]:
    """z_g = W·[h, x] + b (+ peephole) = ...; g_t = act(z_g) = ..."""
    name, W, b, act = GATES[g]
    pc = getattr(s, "pc_" + g, None) if g != "g" else None
    if pc is not None and cell.P_f is None:   # full peephole matrices
        cc = f"c_{{{t if g == 'o' else tp}}}"
        return name, [f"z_{g} = {W} \\cdot [{cc}, {hx[1:]} + {b} = {W}^{{hx}} {hx} + {b} + {W}^{{C}} {cc}"
                      f" = {d.vec(getattr(s, 'm_' + g))} + {d.vec(getattr(cell, 'b_' + g))} + {d.vec(pc)}"
                      f" = {d.vec(getattr(s, 'z_' + g))}",
                      f"{g}_{{{t}}} = {act}(z_{g}) = {d.vec(getattr(s, g), bold=True)}"]
    peep = f" + P_{g} \\odot c_{{{t if g == 'o' else tp}}}" if pc is not None else ""
    terms = f"{d.vec(getattr(s, 'm_' + g))} + {d.vec(getattr(cell, 'b_' + g))}" + (f" + {d.vec(pc)}" if pc is not None else "")
    return name, [f"z_{g} = {W} \\cdot {hx} + {b}{peep} = {terms} = {d.vec(getattr(s, 'z_' + g))}",
                  f"{g}_{{{t}}} = {act}(z_{g}) = {d.vec(getattr(s, g), bold=True)}"
                  + (f"\\quad(= \\tilde C_{{{t}}})" if g == "g" else "")]


def _step(d: Doc, trace, run, cell, s) -> list[tuple[str, list[str]]]:
    t, tp = s.t, R.previous(run, s.t)
    H, d_in = trace.hidden, cell.input_size
    hx = f"[h_{{{tp}}}, x_{{{t}}}]"
    rows = [("Concatenate", [f"{hx} = {d.cat(s.h_prev, s.x)} = {d.vec(s.hx)}"
                             f"\\qquad({H} + {d_in} = {H + d_in}\\text{{ numbers}})"])]
    rows += [_gate(d, cell, s, g, hx, t, tp) for g in "fig"]
    rows.append(("Cell update", [f"c_{{{t}}} = f_{{{t}}} \\odot c_{{{tp}}} + i_{{{t}}} \\odot g_{{{t}}} = "
                                 f"{d.vec(s.f)} \\odot {d.vec(s.c_prev)} + {d.vec(s.i)} \\odot {d.vec(s.g)}",
                                 f"= {d.vec(s.fc)} + {d.vec(s.ig)} = {d.vec(s.c, bold=True)}"]))
    rows.append(_gate(d, cell, s, "o", hx, t, tp))
    rows.append(("Hidden state", [f"h_{{{t}}} = o_{{{t}}} \\odot \\tanh(c_{{{t}}}) = {d.vec(s.o)} \\odot "
                                  f"{d.vec(s.tanh_c)} = {d.vec(s.h, bold=True)}"]))
    return rows


def _bptt(d: Doc, trace) -> None:
    R.loss(d, trace)
    n = d.num
    d.table([r"$t$", r"$\|\partial L/\partial h_t\|$", r"$\|\partial L/\partial c_t\|$",
             r"$\|\partial c_t/\partial c_{t-1}\|$", r"forget path $\|\mathrm{diag}(f_t)\|$", r"rest $\|A+C+D\|$"],
            [[str(g.t), n(g.dh_norm), n(g.dc_norm), n(g.J_norm), n(g.J_forget_norm), n(g.J_rest_norm)]
             for g in trace.bptt.steps])
    d.para(r"$\partial c_t/\partial c_{t-1} = A_t + B_t + C_t + D_t$ with $B_t = \mathrm{diag}(f_t)$, the additive "
           r"forget-gate path (no tanh derivative); A, C, D go through $h_{t-1} = o_{t-1} \tanh(c_{t-1})$ into f, i "
           r"and g (at t = 1 the given $h_0$ is held fixed). Norms are spectral norms.")
