"""Pieces shared by the LSTM and GRU walkthroughs: stacked/bidirectional runs, the output layer, the loss.

Only reads the trace; writes into a :class:`~gatelab.walkthroughs.doc.Doc`.
"""
from __future__ import annotations

from ._plain import plain
from .doc import Doc

DIGITS = 4


def stack_note(trace) -> str:
    """', 2 layers, bidirectional' (empty for one forward layer), for headlines."""
    note = ""
    if trace.num_layers > 1:
        note += f", {trace.num_layers} layers"
    if trace.bidirectional:
        note += ", bidirectional"
    return note


def loss_latex(trace) -> str:
    """The loss rule in LaTeX (``\\tfrac12 \\|y_T - \\mathrm{target}\\|^2``)."""
    y = "y" if trace.y is not None else "h"
    return {"mse_last": rf"\tfrac12 \|{y}_T - \mathrm{{target}}\|^2",
            "mse_all": rf"\tfrac12 \sum_t \|{y}_t - \mathrm{{target}}_t\|^2",
            "sum_y": r"\mathrm{sum}(y_T)", "sum_h": r"\mathrm{sum}(h_T)"}[trace.bptt.loss_kind]


def loss_note(trace) -> str:
    return ", no target given" if trace.bptt.loss_kind in ("sum_y", "sum_h") else ""


def loss_text(trace) -> str:
    """The loss rule in plain text, for the `compute` table."""
    return plain(loss_latex(trace)) + loss_note(trace)


def run_title(trace, run) -> list[str]:
    """Table heading of one run (nothing for a single forward run)."""
    if len(trace.runs) <= 1:
        return []
    return ["", f"layer {run.layer} {run.direction}" + (" (steps in processing order)" if run.direction == "backward" else "")]


def start(run) -> int:
    """Index of the initial state: 0 forward, T + 1 for a backward pass (which starts after x_T)."""
    return len(run.steps) + 1 if run.direction == "backward" else 0


def previous(run, t: int) -> int:
    """Index of the state a step reads: t - 1 forward, t + 1 backward."""
    return t - 1 if run.direction == "forward" else t + 1


def run_header(d: Doc, trace, run, d_in: int) -> None:
    """Heading of one run, what it reads and in which order."""
    d.heading(f"Layer {run.layer} {run.direction}" if len(trace.runs) > 1 else "Weights", 2)
    notes = []
    if run.layer > 0:
        notes.append(f"Input of this layer: the outputs of layer {run.layer - 1} at each time step ({d_in} numbers).")
    if run.direction == "backward":
        notes.append("The backward pass reads the sequence from t = T down to t = 1.")
    if notes:
        d.para("\n".join(notes))


def step_heading(d: Doc, trace, run, t: int) -> None:
    d.heading(f"Step $t = {t}$" + (f" (layer {run.layer} {run.direction})" if len(trace.runs) > 1 else ""), 3)


def output(d: Doc, trace) -> None:
    """Bidirectional outputs per step, then y = V h_T + b_y."""
    if trace.bidirectional:
        d.para(rf"Outputs per time step are $[h^{{fwd}}_t, h^{{bwd}}_t]$ ({2 * trace.hidden} numbers): "
               + "; ".join(f"t = {t + 1}: {d.vec(o)}" for t, o in enumerate(trace.outputs)))
    if trace.y is None:
        return
    T = len(trace.steps)
    top = r"[h^{fwd}_T, h^{bwd}_T]" if trace.bidirectional else f"h_{{{T}}}"
    V, b = trace.params.V, trace.params.b_y
    d.heading("Output", 2)
    d.items([f"$V = {d.mat(V)}$, $b_y = {d.vec(b)}$",
             f"$y = V {top} + b_y = {d.mat(V)} {d.vec(trace.outputs[-1])} + {d.vec(b)} = {d.vec(trace.Vh)} + {d.vec(b)}"
             f" = {d.vec(trace.y, bold=True)}$"])


def loss(d: Doc, trace) -> None:
    """The BPTT section's heading and the loss with its target."""
    d.heading("Loss and gradients (BPTT)", 2)
    target = ""
    if trace.target is not None:
        target = f" with target {d.vec(trace.target) if trace.target.ndim == 1 else d.mat(trace.target)}"
    d.items([f"$L = {loss_latex(trace)} = {d.num(trace.bptt.loss, DIGITS + 1)}${loss_note(trace)}{target}"])


def worked_solution(trace, fmt_: str, *, digits: int, headline, equations, weights, step, bptt) -> str:
    """The LSTM/GRU worked solution, one shape for both cells: headline, equations, then per run the
    weights and each step's derivation, the output layer, and BPTT when the trace has it. The
    callables are the cell's own pieces (``step(d, trace, run, cell, s) -> derivation rows``)."""
    d = Doc(digits)
    d.heading(headline(trace))
    equations(d, trace)
    for idx, run in enumerate(trace.runs):
        cell = trace.params.cells[idx]
        weights(d, trace, run, cell)
        for s in run.steps:
            step_heading(d, trace, run, s.t)
            d.derivation(step(d, trace, run, cell, s))
    output(d, trace)
    if trace.bptt is not None:
        bptt(d, trace)
    return d.render(fmt_)
