"""Text views of an LSTM trace: the `gatelab compute lstm` table and the `explain` worked solution."""
from __future__ import annotations

from diagrams.style import fmt, fmt_vec


def table(trace) -> str:
    """One row per step and run: f, i, g (= C~), o, c, h."""
    lines = []
    head = f"LSTM ({trace.variant}), hidden {trace.hidden}, input {trace.input_size}"
    if trace.num_layers > 1:
        head += f", {trace.num_layers} layers"
    if trace.bidirectional:
        head += ", bidirectional"
    lines.append(head)
    cols = ("t", "x", "f", "i", "g=C~", "o", "c", "h")
    for r in trace.runs:
        if len(trace.runs) > 1:
            lines.append("")
            lines.append(f"layer {r.layer} {r.direction}")
        rows = [cols]
        for s in r.steps:
            rows.append((str(s.t), fmt_vec(s.x, 4), fmt_vec(s.f, 4), fmt_vec(s.i, 4), fmt_vec(s.g, 4),
                         fmt_vec(s.o, 4), fmt_vec(s.c, 4), fmt_vec(s.h, 4)))
        widths = [max(len(row[j]) for row in rows) for j in range(len(cols))]
        for row in rows:
            lines.append("  ".join(v.rjust(w) for v, w in zip(row, widths)).rstrip())
    if trace.y is not None:
        lines.append("")
        lines.append(f"y = V h_T + b_y = {fmt_vec(trace.y, 5)}")
    return "\n".join(lines)


def explain(trace, fmt_: str = "md") -> str:
    return table(trace)
