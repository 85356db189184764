"""Text views of a model summary trace (engines.params): a Keras-like summary table and the
worked parameter count. Every number comes from the trace."""
from __future__ import annotations


def _shape(s) -> str:
    return "(" + ", ".join("None" if v is None else str(v) for v in s) + ("," if len(s) == 1 else "") + ")"


def _batched(s) -> str:
    return "(None, " + ", ".join("None" if v is None else str(v) for v in s) + ")"


def table(trace) -> str:
    tr = trace
    rows = [["#", "Layer", "Output shape", "Param #", "Formula"]]
    for layer in tr.layers:
        rows.append([str(layer.index), f"{layer.name}({layer.units})", _batched(layer.output_shape),
                     f"{layer.params:,}", layer.formula])
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [f"Model summary ({tr.framework}): input shape {_batched(tr.input_shape)} (batch first)",
             f"Convention: {tr.convention}"]
    for k, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i != 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(f"Total params: {tr.total:,}  ({tr.total_formula})")
    return "\n".join(lines)


def _formula_words(layer, framework: str) -> str:
    if layer.type == "Dense":
        return "u (d + 1): a d x u kernel and u biases"
    G = layer.gates
    g = f"{G} " if G > 1 else ""
    nb = layer.biases_per_gate
    why = {1: "one bias per gate", 2: ("two biases per gate (bias_ih, bias_hh)" if framework == "torch"
                                       else "reset_after=True: an input bias and a recurrent bias per gate")}[nb]
    return f"{g}u (u + d + {nb}): {G} gate(s), each with a d x u kernel, a u x u recurrent kernel and {why}"


def explain(trace, fmt: str = "md") -> str:
    if fmt not in ("md", "tex"):
        raise ValueError(f"format {fmt!r}: expected md or tex")
    tr = trace
    tex = fmt == "tex"
    out: list[str] = []
    w = out.append
    if tex:
        w(r"\section*{Model summary: parameter count (" + tr.framework + ")}")
        w(tr.convention.replace("_", r"\_") + ".")
        w(r"\begin{tabular}{rllrl}")
        w(r"\# & layer & output shape & params & formula \\ \hline")
        for layer in tr.layers:
            f = layer.formula.replace("*", r"\cdot ")
            shape = _shape(layer.output_shape).replace("None", r"\mathrm{None}")
            w(rf"{layer.index} & {layer.name}({layer.units}) & ${shape}$ & {layer.params} & ${f}$ \\")
        w(r"\end{tabular}")
        w("")
        w(rf"Total: ${tr.total_formula}$.")
        return "\n".join(out) + "\n"
    w(f"# Model summary: parameter count ({tr.framework})")
    w("")
    w(f"Convention: {tr.convention}. Input shape `{_shape(tr.input_shape)}` (batch axis left out; `None` = any length).")
    w("")
    for layer in tr.layers:
        w(f"## Layer {layer.index}: {layer.name}(units={layer.units})"
          + (", return_sequences=True" if layer.return_sequences else ""))
        w("")
        w(f"- input `{_shape(layer.input_shape)}`, so d = {layer.input_dim}; u = {layer.units}; output `{_shape(layer.output_shape)}`")
        w(f"- formula: {_formula_words(layer, tr.framework)}")
        w(f"- kernel {layer.kernel} + recurrent {layer.recurrent} + bias {layer.bias} = **{layer.params}**")
        w(f"- `{layer.formula}`")
        w("")
    w(f"**Total: {tr.total_formula}**")
    return "\n".join(out) + "\n"
