"""Text views of Transformer traces: positional encoding, layer/batch norm, encoder/decoder blocks."""
from __future__ import annotations

from gatelab.style import fmt, fmt_vec

from .doc import Doc
from .grid import grid, matrix_rows

DIGITS = 4


def table(tr) -> str:
    if tr.kind == "transformer-model":
        from . import transformer_model
        return transformer_model.table(tr)
    if tr.kind == "positional-encoding":
        return _pe_table(tr)
    if tr.kind == "norm":
        return _norm_table(tr)
    return _block_table(tr)


def explain(tr, fmt_: str = "md") -> str:
    if tr.kind == "transformer-model":
        from . import transformer_model
        return transformer_model.explain(tr, fmt_)
    d = Doc(DIGITS)
    {"positional-encoding": _pe_explain, "norm": _norm_explain}.get(tr.kind, _block_explain)(d, tr)
    return d.render(fmt_)


# --------------------------------------------------------------------------- positional encoding

def _pe_cols(d):
    return [f"{'sin' if j % 2 == 0 else 'cos'}{j // 2}" for j in range(d)]


def _pe_table(tr) -> str:
    out = [f"sinusoidal positional encoding: T = {tr.T}, d_model = {tr.d}",
           "omega_i = 1/10000^(2i/d): " + fmt_vec(tr.omega, 4, limit=16), "",
           matrix_rows(tr.pe, [f"t={t}" for t in range(tr.T)], _pe_cols(tr.d), 4, limit=16), ""]
    for r in tr.rotations:
        out.append(f"M({r.k}) PE[t] = PE[t+{r.k}]: max error {fmt(r.max_error, 3)}")
    return "\n".join(out) + "\n"


def _pe_explain(d: Doc, tr) -> None:
    d.heading("Sinusoidal positional encoding")
    d.math("PE_{t,2i} = \\sin(t\\,\\omega_i),\\quad PE_{t,2i+1} = \\cos(t\\,\\omega_i),\\quad "
           "\\omega_i = 1/10000^{2i/d}")
    d.para(f"T = {tr.T} positions, d_model = {tr.d}: {tr.d // 2} frequency pairs.")
    d.items(f"pair {i}: omega_{i} = {d.num(tr.omega[i], 5)}, wavelength 2π/omega = {d.num(tr.wavelength[i], 5)}"
            for i in range(len(tr.omega)))
    d.code(matrix_rows(tr.pe, [f"t={t}" for t in range(tr.T)], _pe_cols(tr.d), 4, limit=16))
    d.heading("A fixed rotation moves every position by k", 2)
    d.math("\\begin{pmatrix} PE_{t+k,2i} \\\\ PE_{t+k,2i+1} \\end{pmatrix} = "
           "\\begin{pmatrix} \\cos \\omega_i k & \\sin \\omega_i k \\\\ -\\sin \\omega_i k & \\cos \\omega_i k \\end{pmatrix}"
           "\\begin{pmatrix} PE_{t,2i} \\\\ PE_{t,2i+1} \\end{pmatrix}")
    d.para("M(k) is block-diagonal with one such 2x2 rotation per pair; it does not depend on t.")
    n = lambda x: d.num(x, 5)  # noqa: E731
    for r in tr.rotations:
        d.heading(f"k = {r.k}", 2)
        d.items(f"pair {i}: R = [[{n(B[0, 0])}, {n(B[0, 1])}], [{n(B[1, 0])}, {n(B[1, 1])}]]"
                for i, B in enumerate(r.blocks))
        if r.shifted.shape[0]:
            d.para(f"Check at t = 0: M({r.k}) PE[0] = {d.vec(r.shifted[0], limit=8)} and PE[{r.k}] = "
                   f"{d.vec(tr.pe[r.k], limit=8)}; largest difference over all t: {d.num(r.max_error, 3)}.")


# --------------------------------------------------------------------------- norms

def _norm_block(n) -> list[str]:
    N, dd = n.x.shape
    rows = [f"n{i + 1}" for i in range(N)]
    cols = [f"f{j + 1}" for j in range(dd)]
    if n.which == "layer":
        head = "layer norm: mean and variance of each ROW (across features)"
        stats = grid(["", "mean", "var"], [[rows[i], fmt(n.mean[i], 4), fmt(n.var[i], 4)] for i in range(N)])
    else:
        head = "batch norm: mean and variance of each COLUMN (across the batch, training mode, biased variance)"
        stats = grid(["", "mean", "var", "unbiased var"],
                     [[cols[j], fmt(n.mean[j], 4), fmt(n.var[j], 4), fmt(n.var_unbiased[j], 4)] for j in range(dd)])
    return [head, stats, "", "y = gamma * (x - mean) / sqrt(var + eps) + beta:", matrix_rows(n.y, rows, cols), ""]


def _norm_table(tr) -> str:
    N, dd = tr.x.shape
    out = [f"x ({N} x {dd}), eps = {fmt(tr.eps, 3)}, gamma = {fmt_vec(tr.gamma, DIGITS, limit=8)}, beta = {fmt_vec(tr.beta, DIGITS, limit=8)}",
           matrix_rows(tr.x, [f"n{i + 1}" for i in range(N)], [f"f{j + 1}" for j in range(dd)]), ""]
    out += _norm_block(tr)
    if tr.other is not None:
        out += ["for comparison, " + _norm_block(tr.other)[0]] + _norm_block(tr.other)[1:]
    return "\n".join(out)


def _norm_explain(d: Doc, tr) -> None:
    N, dd = tr.x.shape
    d.heading(("Layer" if tr.which == "layer" else "Batch") + " normalisation")
    d.math("y = \\gamma \\odot \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}} + \\beta")
    d.para(f"x holds {N} vectors (rows) of {dd} features; eps = {d.num(tr.eps, 3)}. Layer norm takes mu, sigma^2 over "
           "the features of each row (independent of the batch: same at training and test time); batch norm takes "
           "them over the batch for each feature (training-mode statistics; variance with 1/N).")
    rows, cols = [f"n{i + 1}" for i in range(N)], [f"f{j + 1}" for j in range(dd)]
    for n in (tr, tr.other) if tr.other is not None else (tr,):
        d.heading("Layer norm" if n.which == "layer" else "Batch norm", 2)
        axis, labels = ("row", rows) if n.which == "layer" else ("column", cols)
        d.items(f"{axis} {labels[i]}: mu = {d.num(n.mean[i], 5)}, sigma^2 = {d.num(n.var[i], 5)}, "
                f"after normalising: mean {d.num(n.out_mean[i], 3)}, std {d.num(n.out_std[i], 5)}"
                for i in range(len(labels)))
        d.code(matrix_rows(n.y, rows, cols))


# --------------------------------------------------------------------------- blocks

def _block_table(tr) -> str:
    T = tr.x.shape[0]
    rows = list(tr.tokens)
    out = [f"Transformer {tr.block} block ({tr.norm_position}-LN): d_model = {tr.d_model}, heads = {tr.num_heads}, "
           f"d_ff = {tr.d_ff}, eps = {fmt(tr.eps, 3)}", ""]
    out.append(grid(["sub-layer", "shape"], [[s.name, "x".join(str(v) for v in s.shape)] for s in tr.sublayers]))
    out.append("")
    for s in tr.sublayers:
        out += [f"{s.name} {list(s.shape)}:", matrix_rows(s.value, rows[:T], [str(j) for j in range(s.shape[1])]), ""]
    return "\n".join(out)


def _block_explain(d: Doc, tr) -> None:
    tok = list(tr.tokens)
    d.heading(f"One Transformer {tr.block} block, post-LN (Vaswani et al. 2017)")
    d.para(f"Tokens: {d.lit(', '.join(tok))}. d_model = {tr.d_model}, {tr.num_heads} heads of width "
           f"{tr.d_model // tr.num_heads}, d_ff = {tr.d_ff}, layer-norm eps = {d.num(tr.eps, 3)}. Post-LN: each "
           "sub-layer is followed by LayerNorm(x + Sublayer(x)) (torch's default norm_first=False).")
    if tr.pe is not None:
        d.para("The input is the token embedding plus the sinusoidal positional encoding: x = E + PE.")
    if tr.block == "encoder":
        d.math("h = \\mathrm{LN}_1(x + \\mathrm{MHA}(x, x, x)),\\quad \\mathrm{out} = \\mathrm{LN}_2(h + \\mathrm{FFN}(h)),"
               "\\quad \\mathrm{FFN}(h) = \\max(0, h W_1 + b_1) W_2 + b_2")
    else:
        d.math("h_1 = \\mathrm{LN}_1(y + \\mathrm{MHA}_{causal}(y, y, y)),\\ h_2 = \\mathrm{LN}_2(h_1 + \\mathrm{MHA}(h_1, m, m)),"
               "\\ \\mathrm{out} = \\mathrm{LN}_3(h_2 + \\mathrm{FFN}(h_2))")
    d.heading("Shapes", 2)
    d.items(f"{s.name}: {' x '.join(str(v) for v in s.shape)}" for s in tr.sublayers)
    _attention(d, tr, tok)
    d.heading("Add & norm, feed-forward", 2)
    for s in tr.sublayers:
        if s.name.startswith("add & norm"):
            d.para(f"{s.name}: LayerNorm of the residual sum, i.e. each row normalised to mean 0 and variance 1, then "
                   f"scaled by gamma and shifted by beta; row 1 = {d.vec(s.value[0], limit=8)}")
    d.para(f"FFN hidden layer (ReLU) {list(tr.ffn_hidden.shape)}: {tr.ffn_inactive} of "
           f"{tr.ffn_hidden.size} units are 0 (inactive).")
    d.heading("Output", 2)
    d.code(matrix_rows(tr.output, tok, [str(j) for j in range(tr.d_model)]))


def _attention(d: Doc, tr, tok: list[str]) -> None:
    """The (masked) self-attention heads and, in a decoder, the cross-attention heads."""
    T, sa = tr.x.shape[0], tr.self_attn
    d.heading("Masked self-attention" if tr.block == "decoder" else "Self-attention", 2)
    d.para(("Causal mask plus target padding: " if tr.block == "decoder" else "Key padding mask: ")
           + "; ".join(f"{d.lit(tok[i])} sees {d.lit(', '.join(tok[j] for j in range(T) if not sa.mask[i, j]) or 'nothing')}"
                       for i in range(T)) + ".")
    for hd in sa.heads:
        d.code(f"head {hd.h + 1} weights:\n" + matrix_rows(hd.weights, tok, tok))
    if tr.cross_attn is not None:
        d.heading("Cross-attention (queries from the decoder, keys/values from the encoder memory)", 2)
        d.para("Padding mask only (no causal mask): every target position may look at every real source position.")
        for hd in tr.cross_attn.heads:
            d.code(f"head {hd.h + 1} weights:\n" + matrix_rows(hd.weights, tok, list(tr.memory_tokens)))
