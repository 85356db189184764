"""Text views of a model summary trace (engines.params): a Keras-like summary table and the
worked parameter count. Every number comes from the trace."""
from __future__ import annotations

from .doc import Doc
from .grid import grid


def _shape(s) -> str:
    """A shape as LaTeX: (\\mathrm{None}, 30) prints '(None, 30)' in Markdown."""
    return "(" + ", ".join(r"\mathrm{None}" if v is None else str(v) for v in s) + ("," if len(s) == 1 else "") + ")"


def _batched(s) -> str:
    return "(None, " + ", ".join("None" if v is None else str(v) for v in s) + ")"


def table(trace) -> str:
    tr = trace
    if tr.kind == "transformer-summary":
        return _transformer_table(tr)
    rows = [[str(layer.index), f"{layer.name}({layer.units})", _batched(layer.output_shape), f"{layer.params:,}",
             layer.formula] for layer in tr.layers]
    return "\n".join([f"Model summary ({tr.framework}): input shape {_batched(tr.input_shape)} (batch first)",
                      f"Convention: {tr.convention}",
                      grid(["#", "Layer", "Output shape", "Param #", "Formula"], rows, align="lllrl"),
                      f"Total params: {tr.total:,}  ({tr.total_formula})"])


def _formula_words(layer, framework: str) -> str:
    if layer.type == "Dense":
        return "u (d + 1): a d x u kernel and u biases"
    G = layer.gates
    g = f"{G} " if G > 1 else ""
    nb = layer.biases_per_gate
    why = {1: "one bias per gate", 2: ("two biases per gate (bias_ih, bias_hh)" if framework == "torch"
                                       else "reset_after=True: an input bias and a recurrent bias per gate")}[nb]
    return f"{g}u (u + d + {nb}): {G} gate(s), each with a d x u kernel, a u x u recurrent kernel and {why}"


def _math(formula: str) -> str:
    """An engine formula ('4*30*(30+1+1) = 3840') as LaTeX."""
    return formula.replace("*", r" \cdot ")


def explain(trace, fmt_: str = "md") -> str:
    tr = trace
    d = Doc()
    if tr.kind == "transformer-summary":
        return _transformer_explain(d, tr).render(fmt_)
    d.heading(f"Model summary: parameter count ({tr.framework})")
    d.para(f"Convention: {d.lit(tr.convention)}. Input shape ${_shape(tr.input_shape)}$ (batch axis left out; "
           "None = any length).")
    for layer in tr.layers:
        d.heading(f"Layer {layer.index}: {layer.name}(units={layer.units})"
                  + (", return_sequences=True" if layer.return_sequences else ""), 2)
        d.items([f"input ${_shape(layer.input_shape)}$, so d = {layer.input_dim}; u = {layer.units}; "
                 f"output ${_shape(layer.output_shape)}$",
                 f"formula: {_formula_words(layer, tr.framework)}",
                 f"kernel {layer.kernel} + recurrent {layer.recurrent} + bias {layer.bias} = **{layer.params}**",
                 f"${_math(layer.formula)}$"])
    d.para(f"**Total: {tr.total_formula}**")
    return d.render(fmt_)


def _transformer_table(tr) -> str:
    dims = ", ".join(f"{k} {v}" for k, v in tr.dims.items() if not isinstance(v, (list, tuple)))
    rows = [[p.name, f"{p.params:,}", p.formula] for p in tr.parts]
    out = [f"{tr.name} ({tr.family}): {dims}", grid(["Part", "Param #", "Formula"], rows, align="lrl"),
           f"Total params: {tr.total:,}"]
    if tr.stored is not None:
        out.append(f"Stored in the folder's tensors (heads included): {tr.stored:,}")
    return "\n".join(out + [f"Assumption: {a}" for a in tr.assumptions])


def _transformer_explain(d: Doc, tr) -> Doc:
    d.heading(f"Parameter count: {d.lit(tr.name)} ({tr.family})")
    d.para("Per layer: attention $4(d^2 + d)$ (q, k, v and output projections with biases), feed-forward "
           "$d\\,d_{ff} + d_{ff} + d_{ff}\\,d + d$, LayerNorm $2d$ each.")
    d.table(["part", "parameters", "formula"], [[d.lit(p.name), d.num(p.params, 12), d.lit(p.formula)] for p in tr.parts])
    d.para(f"Total: {d.num(tr.total, 12)}.")
    d.items([d.lit(a) for a in tr.assumptions])
    return d
