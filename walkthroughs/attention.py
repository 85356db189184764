"""Text views of attention traces: `gatelab compute attention|multihead` and `gatelab explain ...`.

Every number printed here is read from the trace; nothing is computed except formatting.
"""
from __future__ import annotations

from gatelab.style import fmt

from .doc import Doc
from .grid import grid, matrix_rows

DIGITS = 4
LIMIT = 8     # entries of a long vector shown before '…'


def _labels(tokens, n, prefix):
    return list(tokens) if tokens and len(tokens) == n else [f"{prefix}{i + 1}" for i in range(n)]


def table(trace) -> str:
    if trace.kind == "multihead":
        return _mh_table(trace)
    tq = _labels(trace.tokens, trace.q.shape[0], "q")
    tk = _labels(trace.key_tokens, trace.k.shape[0], "k")
    scale = fmt(trace.scale, DIGITS)
    out = [f"attention: score {trace.score}, d_k = {trace.d_k}, scale = {scale}  "
           f"(q {list(trace.q.shape)}, k {list(trace.k.shape)}, v {list(trace.v.shape)})", ""]
    raw = "raw scores q.k" if trace.score in ("dot", "scaled_dot") else f"raw scores ({trace.score})"
    out += [raw + ":", matrix_rows(trace.dots, tq, tk), ""]
    out += [f"scores e = raw / {scale} (masked keys -> -inf):", matrix_rows(trace.scores, tq, tk), ""]
    out += ["weights alpha = softmax(e) per row:", matrix_rows(trace.weights, tq, tk), ""]
    out += ["most attended key: " + ", ".join(f"{a} -> {tk[j] if j >= 0 else '(all masked)'}"
                                              for a, j in zip(tq, trace.argmax)), ""]
    out += [f"output z = alpha v {list(trace.output.shape)}:",
            matrix_rows(trace.output, tq, [f"z[{j}]" for j in range(trace.output.shape[1])])]
    return "\n".join(out) + "\n"


def _mh_table(tr) -> str:
    T = tr.x.shape[0]
    tq = _labels(tr.tokens, T, "t")
    tk = _labels(tr.key_tokens, tr.x_kv.shape[0], "t")
    out = [f"multi-head attention: {tr.num_heads} heads, d_model = {tr.d_model}, d_k = {tr.d_k}, "
           f"scale = sqrt(d_k) = {fmt(tr.heads[0].scale, DIGITS)}", ""]
    out += ["mask (x = ignored key, . = visible):",
            grid([""] + tk, [[tq[i]] + ["x" if m else "." for m in tr.mask[i]] for i in range(T)]), ""]
    for hd in tr.heads:
        out += [f"head {hd.h + 1} weights:", matrix_rows(hd.weights, tq, tk), ""]
    out += ["output = concat(heads) W_o + b_o:",
            matrix_rows(tr.output, tq, [f"o[{j}]" for j in range(tr.output.shape[1])])]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- explain

def explain(trace, fmt_: str = "md") -> str:
    if trace.kind == "multihead":
        return _mh_explain(trace, fmt_)
    d = Doc(DIGITS)
    tq = [d.lit(t) for t in _labels(trace.tokens, trace.q.shape[0], "q")]
    tk = [d.lit(t) for t in _labels(trace.key_tokens, trace.k.shape[0], "k")]
    name = {"dot": "dot-product", "scaled_dot": "scaled dot-product", "general": "general (Luong)",
            "additive": "additive (Bahdanau)"}[trace.score]
    d.heading(f"Attention walkthrough: {name} scores")
    step = 1
    if trace.x is not None:
        _projections(d, trace, tq)
        step = 2
    else:
        d.para(f"Queries q {list(trace.q.shape)}, keys k {list(trace.k.shape)}, values v {list(trace.v.shape)}.")
    step = _scores(d, trace, tq, tk, step)
    _softmax(d, trace, tq, tk, step)
    _weighted_sum(d, trace, step + 1)
    return d.render(fmt_)


def _projections(d: Doc, trace, tq) -> None:
    v = lambda a, digits=None: d.vec(a, digits, limit=LIMIT)  # noqa: E731
    d.para(f"The rows of X {list(trace.x.shape)} are {', '.join(tq)}; the projections are "
           f"$W^q$ {list(trace.W_q.shape)}, $W^k$ {list(trace.W_k.shape)}, $W^v$ {list(trace.W_v.shape)}.")
    if trace.x_columns:
        d.para(f"The {len(trace.x_columns)} columns of X are labelled {d.lit(', '.join(trace.x_columns))}: X is "
               f"multiplied by {trace.W_q.shape[0]}x{trace.W_q.shape[1]} matrices whose rows match these columns"
               + (" (the notes' layout: one row of X per embedding dimension, one column per word)."
                  if trace.x.shape[0] != len(trace.x_columns) else "."))
    d.heading("Step 1: queries, keys and values", 2)
    d.math("q_i = x_i W^q,\\quad k_i = x_i W^k,\\quad v_i = x_i W^v")
    d.items(f"{tq[i]}: x{i + 1} = {v(trace.x[i])} -> q{i + 1} = {v(trace.q[i])}, "
            f"k{i + 1} = {v(trace.k[i])}, v{i + 1} = {v(trace.v[i])}" for i in range(trace.q.shape[0]))
    if trace.x.shape[1] <= 8 and trace.q.shape[0] <= 6:
        xs = trace.x[0]
        for nm, W, res in (("q", trace.W_q, trace.q[0]), ("k", trace.W_k, trace.k[0]), ("v", trace.W_v, trace.v[0])):
            terms = " + ".join(f"({d.num(xs[m])})·{v(W[m], 3)}" for m in range(len(xs)))
            d.para(f"Row by row, as in a hand computation: {nm}1 = {terms} = {v(res)}")
    d.para(f"Shapes: Q = X $W^q$ is {list(trace.q.shape)}, K is {list(trace.k.shape)}, V is {list(trace.v.shape)}.")


def _scores(d: Doc, trace, tq, tk, step: int) -> int:
    """Raw scores (and their scaling): returns the next step number."""
    T_q, T_k = trace.q.shape[0], trace.k.shape[0]
    dot = trace.score in ("dot", "scaled_dot")
    d.heading(f"Step {step}: scores", 2)
    d.math({"general": "\\mathrm{score}(q_i, k_j) = q_i W_a k_j^\\top",
            "additive": "\\mathrm{score}(q_i, k_j) = v_a^\\top \\tanh(q_i W_{aq} + k_j W_{ak})"}
           .get(trace.score, "\\mathrm{score}(q_i, k_j) = q_i \\cdot k_j"))
    d.items(f"{tq[i]} -> {tk[j]}: masked (score -inf, weight 0)" if trace.mask[i, j]
            else (f"q{i + 1}·k{j + 1} = " if dot else f"score(q{i + 1}, k{j + 1}) = ") + d.num(trace.dots[i, j], 5)
            for i in range(T_q) for j in range(T_k))
    if trace.score != "scaled_dot":
        return step + 1
    scale = d.num(trace.scale)
    d.heading(f"Step {step + 1}: divide by sqrt(d_k) = sqrt({trace.d_k}) = {scale}", 2)
    d.items(f"{tq[i]}: " + ", ".join("masked" if trace.mask[i, j] else
                                    f"{d.num(trace.dots[i, j], 5)} / {scale} = {d.num(trace.scores[i, j], 5)}"
                                    for j in range(T_k)) for i in range(T_q))
    return step + 2


def _softmax(d: Doc, trace, tq, tk, step: int) -> None:
    d.heading(f"Step {step}: softmax over the keys", 2)
    d.math("\\alpha_{ij} = \\frac{\\exp(e_{ij})}{\\sum_{j'} \\exp(e_{ij'})}")
    lines = []
    for i in range(trace.q.shape[0]):
        live = [j for j in range(trace.k.shape[0]) if not trace.mask[i, j]]
        if not live:
            lines.append(f"{tq[i]}: every key is masked -> all weights 0, output 0")
            continue
        lines.append(f"{tq[i]}: softmax({', '.join(d.num(trace.scores[i, j], 5) for j in live)}) = "
                     f"({', '.join(d.num(trace.weights[i, j]) for j in live)}); sum = {d.num(trace.row_sums[i], 6)}; "
                     f"most attended: {tk[trace.argmax[i]]}")
    d.items(lines)


def _weighted_sum(d: Doc, trace, step: int) -> None:
    d.heading(f"Step {step}: weighted sum of the values", 2)
    d.math("z_i = \\sum_j \\alpha_{ij} v_j")
    lines = []
    for i in range(trace.q.shape[0]):
        live = [j for j in range(trace.k.shape[0]) if not trace.mask[i, j]]
        terms = " + ".join(f"{d.num(trace.weights[i, j])} v{j + 1}" for j in live) or "0"
        rough = " + ".join(f"{d.num(trace.weights[i, j], 2)} v{j + 1}" for j in live) or "0"
        lines.append(f"z{i + 1} = {terms} = {d.vec(trace.output[i], limit=LIMIT)}  (≈ {rough})")
    d.items(lines)
    d.para(f"Output Z has shape {list(trace.output.shape)}: one row per query.")


def _mh_explain(tr, fmt_: str) -> str:
    d = Doc(DIGITS)
    T, T_k = tr.x.shape[0], tr.x_kv.shape[0]
    tq = [d.lit(t) for t in _labels(tr.tokens, T, "t")]
    tk = [d.lit(t) for t in _labels(tr.key_tokens, T_k, "t")]
    d.heading(f"Multi-head attention walkthrough: {tr.num_heads} heads")
    d.para(f"d_model = {tr.d_model}, heads H = {tr.num_heads}, per-head width d_k = d_model / H = {tr.d_k}. "
           f"Tokens: {', '.join(tq)}.")
    d.math("Q = X W_q + b_q,\\ K = X W_k + b_k,\\ V = X W_v + b_v;\\quad "
           "\\mathrm{head}_h = \\mathrm{softmax}\\!\\left(\\frac{Q_h K_h^\\top}{\\sqrt{d_k}} + M\\right) V_h;\\quad "
           "\\mathrm{out} = [\\mathrm{head}_1, \\dots, \\mathrm{head}_H] W_o + b_o")
    d.para("Shapes: " + ", ".join(f"{k} {v}" for k, v in (tr.shapes or {}).items()) + ".")
    d.para("Mask M (-inf where true = ignored key): "
           + "; ".join(f"{tq[i]} sees {', '.join(tk[j] for j in range(T_k) if not tr.mask[i, j]) or 'nothing'}"
                       for i in range(T)) + ".")
    labels_q = _labels(tr.tokens, T, "t")
    labels_k = _labels(tr.key_tokens, T_k, "t")
    for hd in tr.heads:
        d.heading(f"Head {hd.h + 1} (columns {hd.h * tr.d_k}..{(hd.h + 1) * tr.d_k - 1} of Q, K, V)", 2)
        d.code("weights:\n" + matrix_rows(hd.weights, labels_q, labels_k))
        d.items(f"{tq[i]} attends most to {tk[hd.argmax[i]] if hd.argmax[i] >= 0 else '(nothing)'} "
                f"({d.num(hd.weights[i, hd.argmax[i]]) if hd.argmax[i] >= 0 else '0'}); "
                f"head output {d.vec(hd.output[i], limit=LIMIT)}" for i in range(T))
    d.heading("Concatenate and project", 2)
    d.code("output:\n" + matrix_rows(tr.output, labels_q, [f"o[{j}]" for j in range(tr.d_model)]))
    return d.render(fmt_)
