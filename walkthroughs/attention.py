"""Text views of attention traces: `gatelab compute attention|multihead` and `gatelab explain ...`.

Every number printed here is read from the trace; nothing is computed except formatting.
"""
from __future__ import annotations

import numpy as np

from ._seqdoc import Doc, f, grid, matrix_rows, vec


def _labels(tokens, n, prefix):
    return list(tokens) if tokens and len(tokens) == n else [f"{prefix}{i + 1}" for i in range(n)]


def table(trace) -> str:
    if trace.kind == "multihead":
        return _mh_table(trace)
    tq = _labels(trace.tokens, trace.q.shape[0], "q")
    tk = _labels(trace.key_tokens, trace.k.shape[0], "k")
    out = [f"attention: score {trace.score}, d_k = {trace.d_k}, scale = {f(trace.scale)}  "
           f"(q {list(trace.q.shape)}, k {list(trace.k.shape)}, v {list(trace.v.shape)})", ""]
    raw = "raw scores q.k" if trace.score in ("dot", "scaled_dot") else f"raw scores ({trace.score})"
    out += [raw + ":", matrix_rows(trace.dots, tq, tk), ""]
    out += [f"scores e = raw / {f(trace.scale)} (masked keys -> -inf):", matrix_rows(trace.scores, tq, tk), ""]
    out += ["weights alpha = softmax(e) per row:", matrix_rows(trace.weights, tq, tk), ""]
    out += ["most attended key: " + ", ".join(f"{a} -> {tk[j] if j >= 0 else '(all masked)'}"
                                              for a, j in zip(tq, trace.argmax)), ""]
    out += [f"output z = alpha v {list(trace.output.shape)}:", matrix_rows(trace.output, tq,
                                                                           [f"z[{j}]" for j in range(trace.output.shape[1])])]
    return "\n".join(out) + "\n"


def _mh_table(tr) -> str:
    T = tr.x.shape[0]
    tq = _labels(tr.tokens, T, "t")
    tk = _labels(tr.key_tokens, tr.x_kv.shape[0], "t")
    out = [f"multi-head attention: {tr.num_heads} heads, d_model = {tr.d_model}, d_k = {tr.d_k}, "
           f"scale = sqrt(d_k) = {f(tr.heads[0].scale)}", ""]
    out += ["mask (x = ignored key, . = visible):",
            grid([[tq[i]] + ["x" if m else "." for m in tr.mask[i]] for i in range(T)], [""] + tk), ""]
    for hd in tr.heads:
        out += [f"head {hd.h + 1} weights:", matrix_rows(hd.weights, tq, tk), ""]
    out += ["output = concat(heads) W_o + b_o:",
            matrix_rows(tr.output, tq, [f"o[{j}]" for j in range(tr.output.shape[1])])]
    return "\n".join(out) + "\n"


def explain(trace, fmt: str = "md") -> str:
    if trace.kind == "multihead":
        return _mh_explain(trace, fmt)
    d = Doc(fmt)
    T_q, T_k = trace.q.shape[0], trace.k.shape[0]
    tq = _labels(trace.tokens, T_q, "q")
    tk = _labels(trace.key_tokens, T_k, "k")
    name = {"dot": "dot-product", "scaled_dot": "scaled dot-product", "general": "general (Luong)",
            "additive": "additive (Bahdanau)"}[trace.score]
    d.h(f"Attention walkthrough: {name} scores")
    if trace.x is not None:
        d.p(f"The rows of X {list(trace.x.shape)} are {', '.join(tq)}; the projections are "
            f"$W^q$ {list(trace.W_q.shape)}, $W^k$ {list(trace.W_k.shape)}, $W^v$ {list(trace.W_v.shape)}.")
        if trace.x_columns:
            d.p(f"The {len(trace.x_columns)} columns of X are labelled {', '.join(trace.x_columns)}: X is multiplied "
                f"by {trace.W_q.shape[0]}x{trace.W_q.shape[1]} matrices whose rows match these columns"
                + (" (the notes' layout: one row of X per embedding dimension, one column per word)."
                   if trace.x.shape[0] != len(trace.x_columns) else "."))
        d.h("Step 1: queries, keys and values", 2)
        d.math("q_i = x_i W^q,\\quad k_i = x_i W^k,\\quad v_i = x_i W^v")
        rows = []
        for i in range(T_q):
            rows.append(f"{tq[i]}: x{i + 1} = {vec(trace.x[i])} -> q{i + 1} = {vec(trace.q[i])}, "
                        f"k{i + 1} = {vec(trace.k[i])}, v{i + 1} = {vec(trace.v[i])}")
        d.items(rows)
        if trace.x.shape[1] <= 8 and T_q <= 6:
            xs = trace.x[0]
            for nm, W, res in (("q", trace.W_q, trace.q[0]), ("k", trace.W_k, trace.k[0]), ("v", trace.W_v, trace.v[0])):
                terms = " + ".join(f"({f(xs[m])})·{vec(W[m], 3)}" for m in range(len(xs)))
                d.p(f"Row by row, as in a hand computation: {nm}1 = {terms} = {vec(res)}")
        d.p(f"Shapes: Q = X $W^q$ is {list(trace.q.shape)}, K is {list(trace.k.shape)}, V is {list(trace.v.shape)}.")
        step = 2
    else:
        d.p(f"Queries q {list(trace.q.shape)}, keys k {list(trace.k.shape)}, values v {list(trace.v.shape)}.")
        step = 1
    d.h(f"Step {step}: scores", 2)
    if trace.score in ("dot", "scaled_dot"):
        d.math("\\mathrm{score}(q_i, k_j) = q_i \\cdot k_j")
    elif trace.score == "general":
        d.math("\\mathrm{score}(q_i, k_j) = q_i W_a k_j^\\top")
    else:
        d.math("\\mathrm{score}(q_i, k_j) = v_a^\\top \\tanh(q_i W_{aq} + k_j W_{ak})")
    lines = []
    for i in range(T_q):
        for j in range(T_k):
            if trace.mask[i, j]:
                lines.append(f"{tq[i]} -> {tk[j]}: masked (score -inf, weight 0)")
            else:
                lines.append(f"q{i + 1}·k{j + 1} = {f(trace.dots[i, j], 5)}" if trace.score in ("dot", "scaled_dot")
                             else f"score(q{i + 1}, k{j + 1}) = {f(trace.dots[i, j], 5)}")
    d.items(lines)
    step += 1
    if trace.score == "scaled_dot":
        d.h(f"Step {step}: divide by sqrt(d_k) = sqrt({trace.d_k}) = {f(trace.scale)}", 2)
        d.items(f"{tq[i]}: " + ", ".join("masked" if trace.mask[i, j] else
                                        f"{f(trace.dots[i, j], 5)} / {f(trace.scale)} = {f(trace.scores[i, j], 5)}"
                                        for j in range(T_k)) for i in range(T_q))
        step += 1
    d.h(f"Step {step}: softmax over the keys", 2)
    d.math("\\alpha_{ij} = \\frac{\\exp(e_{ij})}{\\sum_{j'} \\exp(e_{ij'})}")
    lines = []
    for i in range(T_q):
        live = [j for j in range(T_k) if not trace.mask[i, j]]
        if not live:
            lines.append(f"{tq[i]}: every key is masked -> all weights 0, output 0")
            continue
        lines.append(f"{tq[i]}: softmax({', '.join(f(trace.scores[i, j], 5) for j in live)}) = "
                     f"({', '.join(f(trace.weights[i, j], 4) for j in live)}); sum = {f(trace.row_sums[i], 6)}; "
                     f"most attended: {tk[trace.argmax[i]]}")
    d.items(lines)
    step += 1
    d.h(f"Step {step}: weighted sum of the values", 2)
    d.math("z_i = \\sum_j \\alpha_{ij} v_j")
    lines = []
    for i in range(T_q):
        terms = " + ".join(f"{f(trace.weights[i, j], 4)} v{j + 1}" for j in range(T_k) if not trace.mask[i, j])
        lines.append(f"z{i + 1} = {terms or '0'} = {vec(trace.output[i])}"
                     f"  (≈ {' + '.join(f(trace.weights[i, j], 2) + f' v{j + 1}' for j in range(T_k) if not trace.mask[i, j]) or '0'})")
    d.items(lines)
    d.p(f"Output Z has shape {list(trace.output.shape)}: one row per query.")
    return d.render()


def _mh_explain(tr, fmt: str) -> str:
    d = Doc(fmt)
    T = tr.x.shape[0]
    tq = _labels(tr.tokens, T, "t")
    tk = _labels(tr.key_tokens, tr.x_kv.shape[0], "t")
    d.h(f"Multi-head attention walkthrough: {tr.num_heads} heads")
    d.p(f"d_model = {tr.d_model}, heads H = {tr.num_heads}, per-head width d_k = d_model / H = {tr.d_k}. "
        f"Tokens: {', '.join(tq)}.")
    d.math("Q = X W_q + b_q,\\ K = X W_k + b_k,\\ V = X W_v + b_v;\\quad "
           "\\mathrm{head}_h = \\mathrm{softmax}\\!\\left(\\frac{Q_h K_h^\\top}{\\sqrt{d_k}} + M\\right) V_h;\\quad "
           "\\mathrm{out} = [\\mathrm{head}_1, \\dots, \\mathrm{head}_H] W_o + b_o")
    d.p("Shapes: " + ", ".join(f"{k} {v}" for k, v in (tr.shapes or {}).items()) + ".")
    masked = [(tq[i], tk[j]) for i in range(T) for j in range(tr.x_kv.shape[0]) if tr.mask[i, j]]
    d.p(f"Mask M (-inf where true = ignored key): {len(masked)} masked pairs; "
        + "; ".join(f"{tq[i]} sees {', '.join(tk[j] for j in range(tr.x_kv.shape[0]) if not tr.mask[i, j]) or 'nothing'}"
                    for i in range(T)) + ".")
    for hd in tr.heads:
        d.h(f"Head {hd.h + 1} (columns {hd.h * tr.d_k}..{(hd.h + 1) * tr.d_k - 1} of Q, K, V)", 2)
        d.code("weights:\n" + matrix_rows(hd.weights, tq, tk))
        d.items(f"{tq[i]} attends most to {tk[hd.argmax[i]] if hd.argmax[i] >= 0 else '(nothing)'} "
                f"({f(hd.weights[i, hd.argmax[i]], 4) if hd.argmax[i] >= 0 else '0'}); head output {vec(hd.output[i])}"
                for i in range(T))
    d.h("Concatenate and project", 2)
    d.code("output:\n" + matrix_rows(tr.output, tq, [f"o[{j}]" for j in range(tr.d_model)]))
    return d.render()
