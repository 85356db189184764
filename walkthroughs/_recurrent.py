"""Text pieces shared by the LSTM and GRU walkthroughs (stacked/bidirectional runs, output layer, loss).

Only reads the trace; ``vec``/``mat`` are the caller's number formatters (Markdown or LaTeX).
"""
from __future__ import annotations

from typing import Callable

from gatelab.style import fmt, fmt_vec

DIGITS = 4


class MD:
    """Markdown numbers: ``[0.1, 0.2]``, matrices as a list of rows."""
    @staticmethod
    def vec(v) -> str:
        return fmt_vec(v, DIGITS)

    @staticmethod
    def mat(m) -> str:
        return "[" + ", ".join(fmt_vec(row, DIGITS) for row in m) + "]"


class TeX:
    """LaTeX numbers: column vectors and matrices as ``bmatrix``."""
    @staticmethod
    def vec(v) -> str:
        return r"\begin{bmatrix}" + r" \\ ".join(fmt(e, DIGITS) for e in v) + r"\end{bmatrix}"

    @staticmethod
    def mat(m) -> str:
        return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(fmt(e, DIGITS) for e in row) for row in m) + r"\end{bmatrix}"


def stack_note(trace) -> str:
    """', 2 layers, bidirectional' (empty for one forward layer), for headlines."""
    note = ""
    if trace.num_layers > 1:
        note += f", {trace.num_layers} layers"
    if trace.bidirectional:
        note += ", bidirectional"
    return note


def loss_text(trace) -> str:
    y = "y" if trace.y is not None else "h"
    return {"mse_last": f"1/2 ||{y}_T - target||^2", "mse_all": f"1/2 sum_t ||{y}_t - target_t||^2",
            "sum_y": "sum(y_T), no target given", "sum_h": "sum(h_T), no target given"}[trace.bptt.loss_kind]


def tex_loss(trace) -> str:
    r"""``\paragraph{Loss and BPTT} $L = ... = <loss>$.``"""
    return (r"\paragraph{Loss and BPTT} $L = " + loss_text(trace).replace("||", r"\|").replace("sum_t", r"\sum_t")
            .replace("sum(", r"\textstyle\sum(").replace(", no target given", "") + f" = {fmt(trace.bptt.loss, DIGITS + 1)}$.")


def grid(rows: list[tuple[str, ...]]) -> list[str]:
    """Right-aligned columns, two spaces apart."""
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    return ["  ".join(v.rjust(w) for v, w in zip(row, widths)).rstrip() for row in rows]


def run_title(trace, run) -> list[str]:
    """Table heading of one run (nothing for a single forward run)."""
    if len(trace.runs) <= 1:
        return []
    return ["", f"layer {run.layer} {run.direction}" + (" (steps in processing order)" if run.direction == "backward" else "")]


def start(run) -> int:
    """Index of the initial state: 0 forward, T + 1 for a backward pass (which starts after x_T)."""
    return len(run.steps) + 1 if run.direction == "backward" else 0


def md_run_header(trace, run, d_in: int) -> list[str]:
    """Markdown heading of one run, what it reads and in which order."""
    out = ["", f"## {'Layer ' + str(run.layer) + ' ' + run.direction if len(trace.runs) > 1 else 'Weights'}", ""]
    if run.layer > 0:
        out.append(f"Input of this layer: the outputs of layer {run.layer - 1} at each time step ({d_in} numbers).")
    if run.direction == "backward":
        out.append("The backward pass reads the sequence from t = T down to t = 1.")
    return out


def md_step_title(trace, run, t: int) -> list[str]:
    return ["", f"### Step t = {t}" + (f" (layer {run.layer} {run.direction})" if len(trace.runs) > 1 else ""), ""]


def md_output(trace, vec: Callable, mat: Callable) -> list[str]:
    """Bidirectional outputs per step, then y = V h_T + b_y."""
    out: list[str] = []
    if trace.bidirectional:
        out += ["", f"Outputs per time step are [h_fwd_t, h_bwd_t] ({2 * trace.hidden} numbers): "
                    + "; ".join(f"t = {t + 1}: {vec(o)}" for t, o in enumerate(trace.outputs))]
    if trace.y is not None:
        T = len(trace.steps)
        top = "[h_fwd_T, h_bwd_T]" if trace.bidirectional else f"h_{T}"
        out += ["", "## Output", "", f"- V = {mat(trace.params.V)}, b_y = {vec(trace.params.b_y)}",
                f"- y = V {top} + b_y = {vec(trace.Vh)} + {vec(trace.params.b_y)} = **{vec(trace.y)}**"]
    return out


def md_loss(trace, vec: Callable, mat: Callable) -> list[str]:
    """The BPTT section's heading and the loss with its target."""
    return ["", "## Loss and gradients (BPTT)", "",
            f"- L = {loss_text(trace)} = {fmt(trace.bptt.loss, DIGITS + 1)}"
            + (f" with target {vec(trace.target) if trace.target.ndim == 1 else mat(trace.target)}" if trace.target is not None else "")]
