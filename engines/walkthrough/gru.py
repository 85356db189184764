"""Text views of a GRU trace: the `gatelab compute gru` table and the `explain` worked solution."""
from __future__ import annotations

from diagrams.style import fmt, fmt_vec


def table(trace) -> str:
    """One row per step and run: r, z, n (= h~), h."""
    lines = []
    rule = ("h = (1-z)*h_prev + z*n" if trace.convention == "textbook" else "h = (1-z)*n + z*h_prev")
    head = f"GRU ({trace.convention} convention: {rule}), hidden {trace.hidden}, input {trace.input_size}"
    if trace.num_layers > 1:
        head += f", {trace.num_layers} layers"
    if trace.bidirectional:
        head += ", bidirectional"
    lines.append(head)
    cols = ("t", "x", "r", "z", "n=h~", "h")
    for r in trace.runs:
        if len(trace.runs) > 1:
            lines.append("")
            lines.append(f"layer {r.layer} {r.direction}")
        rows = [cols]
        for s in r.steps:
            rows.append((str(s.t), fmt_vec(s.x, 4), fmt_vec(s.r, 4), fmt_vec(s.z, 4), fmt_vec(s.n, 4), fmt_vec(s.h, 4)))
        widths = [max(len(row[j]) for row in rows) for j in range(len(cols))]
        for row in rows:
            lines.append("  ".join(v.rjust(w) for v, w in zip(row, widths)).rstrip())
    if trace.y is not None:
        lines.append("")
        lines.append(f"y = V h_T + b_y = {fmt_vec(trace.y, 5)}")
    return "\n".join(lines)


def explain(trace, fmt_: str = "md") -> str:
    return table(trace)
