"""Text views of a highway trace: the `compute` table and the `explain` worked solution.

Only reads :class:`engines.highway.HighwayTrace`; every number printed comes from the trace.
"""
from __future__ import annotations


from .doc import Doc
from .grid import num as f
from .grid import rows_grid as grid
from .grid import vec


def _mat(m) -> str:
    return "[" + ", ".join(vec(r) for r in m) + "]"


def _model(tr) -> str:
    if tr.residual:
        return f"y = H(x) + x,  H(x) = {tr.activation}(W_H x + b_H)  (residual form)"
    return f"y = T * H(x) + (1 - T) * x,  H(x) = {tr.activation}(W_H x + b_H),  T = sigmoid(W_T x + b_T)"


def _header(tr) -> list[str]:
    gate = [] if tr.residual else ["T", "C = 1 - T"]
    return ["b", "x", "H(x)", *gate, "y", "dL/dx", "carry part"]


def _rows(tr) -> list[list[str]]:
    rows = []
    for e in tr.examples:
        gate = [] if tr.residual else [vec(e.T), vec(e.C)]
        rows.append([str(e.b), vec(e.x), vec(e.H), *gate, vec(e.y), vec(e.dx), vec(e.dx_carry)])
    return rows


def _weights(tr) -> str:
    s = f"W_H = {_mat(tr.W_H)}, b_H = {vec(tr.b_H)}"
    if not tr.residual:
        s += f", W_T = {_mat(tr.W_T)}, b_T = {vec(tr.b_T)}"
    return s


def _grads(tr) -> list[str]:
    g = tr.grads
    out = [f"dL/dW_H = {_mat(g.W_H)}", f"dL/db_H = {vec(g.b_H)}"]
    if not tr.residual:
        out += [f"dL/dW_T = {_mat(g.W_T)}", f"dL/db_T = {vec(g.b_T)}"]
    return out


def table(tr) -> str:
    return (f"Highway layer  D={tr.width}  B={len(tr.examples)}  {_model(tr)}\n"
            f"{_weights(tr)}\n"
            + grid(_rows(tr), _header(tr)) + "\n"
            + f"{tr.loss_rule}:  L = {f(tr.loss)}\n"
            + "  ".join(_grads(tr)) + "\n")


def _step(d: Doc, tr, e) -> None:
    b = e.b
    d.heading(f"Example b = {b}: x = {vec(e.x)}", 2)
    lines = [f"a_H = W_H x + b_H = {vec(e.a_H)};  H(x) = {tr.activation}(a_H) = {vec(e.H)}"]
    if tr.residual:
        lines.append(f"y = H(x) + x = {vec(e.H)} + {vec(e.x)} = {vec(e.y)}")
    else:
        lines += [f"a_T = W_T x + b_T = {vec(e.a_T)};  T = sigmoid(a_T) = {vec(e.T)}  (mean {f(e.T_mean)}: {e.regime})",
                  f"C = 1 - T = {vec(e.C)}",
                  f"y = T * H + C * x = {vec(e.T)} * {vec(e.H)} + {vec(e.C)} * {vec(e.x)} = {vec(e.y)}"]
    lines.append(f"loss share {f(e.loss)};  dL/dy = {vec(e.dy)}")
    d.items(lines)
    carry = "I (the identity)" if tr.residual else f"diag(1 - T) = {_mat(e.J_carry)}"
    d.para("Jacobian dy/dx split by path:")
    d.items([f"carry path: {carry}",
             f"transform path (through H): {_mat(e.J_transform)}",
             *([] if tr.residual else [f"gate path (through T): {_mat(e.J_gate)}"]),
             f"sum dy/dx = {_mat(e.J)}",
             f"dL/dx = (dy/dx)^T dL/dy = {vec(e.dx)} = carry {vec(e.dx_carry)} + transform {vec(e.dx_transform)}"
             + ("" if tr.residual else f" + gate {vec(e.dx_gate)}"),
             f"||dL/dx|| = {f(e.dx_norm)}, of which the carry path alone gives norm {f(e.dx_carry_norm)}"])


def explain(tr, fmt: str = "md") -> str:
    d = Doc()
    d.heading("Highway layer: worked solution" if not tr.residual else "Residual layer: worked solution")
    d.para(f"Model: {_model(tr)}. Width D = {tr.width} (H(x) must be as wide as x), B = {len(tr.examples)} examples.")
    d.math(r"y = T \odot H(x) + (1 - T) \odot x" if not tr.residual else r"y = H(x) + x")
    d.para(_weights(tr) + ".")
    for e in tr.examples:
        _step(d, tr, e)
    d.heading("Loss and parameter gradients", 2)
    d.para(f"{tr.loss_rule}: L = {f(tr.loss)}.")
    d.items(_grads(tr))
    d.para("Why it trains deep stacks: the carry path adds "
        + ("the identity to dy/dx, so the gradient reaches x undiminished whatever H does."
           if tr.residual else
           "diag(1 - T) to dy/dx; where the gate is nearly shut (T small) that term is close to the identity, "
           "so the gradient reaches x almost undiminished whatever H does."))
    d.code(grid(_rows(tr), _header(tr)))
    return d.render(fmt)
