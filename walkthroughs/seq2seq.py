"""Text views of seq2seq traces: encoder states, alignment, contexts, predictions (read from the trace)."""
from __future__ import annotations

from ._seqdoc import Doc, f, grid, matrix_rows, vec


def _mode(tr) -> str:
    if tr.attention == "none":
        return "fixed context vector C (no attention)"
    if tr.attention == "bahdanau":
        return "Bahdanau (additive) attention"
    return f"Luong ({tr.score}) attention"


def _out_labels(tr):
    return [f"{i + 1}:{st.predicted}" for i, st in enumerate(tr.steps)]


def table(tr) -> str:
    out = [f"seq2seq: {tr.cell} cells, {_mode(tr)}, decoding: "
           f"{'teacher forcing' if tr.decode == 'teacher' else 'free running (greedy argmax)'}",
           f"source: {' '.join(tr.source)}", f"target: {' '.join(tr.target) or '(none)'}",
           f"predicted: {' '.join(tr.predicted)}", ""]
    rows = []
    for st in tr.steps:
        rows.append([str(st.i), st.input_token, st.predicted, f(st.p_predicted, 4), st.target or "",
                     "" if st.p_target is None else f(st.p_target, 4), "" if st.loss is None else f(st.loss, 4)])
    out.append(grid(rows, ["i", "fed y_{i-1}", "predicted", "p", "target", "p(target)", "-ln p(target)"]))
    if tr.total_loss is not None:
        out.append(f"total loss = {f(tr.total_loss, 5)} nats; accuracy = {f(100 * tr.accuracy, 4)}%")
    out.append("")
    if tr.alignment is not None:
        out += ["alignment alpha [T_out x T_in] (rows: output steps, columns: source tokens):",
                matrix_rows(tr.alignment, _out_labels(tr), list(tr.source)), ""]
    else:
        out += [f"fixed context C = [hf_T, hb_1] = {vec(tr.fixed_context)} (the same for every output step)", ""]
    return "\n".join(out) + "\n"


def explain(tr, fmt: str = "md") -> str:
    d = Doc(fmt)
    d.h(f"Sequence to sequence: {tr.cell.upper()} encoder-decoder with {_mode(tr)}")
    d.p(f"Source: {' '.join(tr.source)}. Target: {' '.join(tr.target) or '(none given)'}. "
        "Shapes: " + ", ".join(f"{k} {v}" for k, v in (tr.shapes or {}).items()) + ".")
    d.h("1. Encoder (bidirectional)", 2)
    d.p("Each source token is embedded and read left to right (hf) and right to left (hb); the annotation of "
        "token j is h_j = [hf_j, hb_j].")
    d.items(f"x{st.j} = {st.token}: hf = {vec(st.hf)}, hb = {vec(st.hb)}" for st in tr.encoder)
    d.p(f"Fixed context C = [hf_{len(tr.source)}, hb_1] = {vec(tr.fixed_context)}; decoder start s_0 = "
        f"{tr.s0_rule} = {vec(tr.s0)}.")
    d.h("2. Decoder", 2)
    if tr.attention == "none":
        d.math("s_i = \\mathrm{cell}([E y_{i-1}, C], s_{i-1}),\\quad p_i = \\mathrm{softmax}([s_i, C] W_{out} + b_{out})")
        d.p("Every output step sees the same vector C: the whole source squeezed into one fixed-size vector.")
    elif tr.attention == "bahdanau":
        d.math("e_{ij} = v_a^\\top \\tanh(s_{i-1} W_{aq} + h_j W_{ak}),\\ \\alpha_i = \\mathrm{softmax}(e_i),\\ "
               "c_i = \\sum_j \\alpha_{ij} h_j,\\ s_i = \\mathrm{cell}([E y_{i-1}, c_i], s_{i-1})")
    else:
        sc = {"dot": "s_i \\cdot h_j", "scaled_dot": "s_i \\cdot h_j / \\sqrt{d}", "general": "s_i W_a h_j^\\top"}[tr.score]
        d.math(f"s_i = \\mathrm{{cell}}([E y_{{i-1}}, c_{{i-1}}], s_{{i-1}}),\\ e_{{ij}} = {sc},\\ "
               "\\alpha_i = \\mathrm{softmax}(e_i),\\ c_i = \\sum_j \\alpha_{ij} h_j")
    d.p("Teacher forcing feeds the true previous target token; free running feeds the previous prediction (greedy argmax)."
        f" Here: {'teacher forcing' if tr.decode == 'teacher' else 'free running'}.")
    for st in tr.steps:
        d.h(f"Output step {st.i}: fed '{st.input_token}'", 2)
        lines = []
        if st.alpha is not None:
            lines.append("scores e = " + vec(st.scores) + " -> alpha = softmax(e) = "
                         + ", ".join(f"{tok}: {f(a, 4)}" for tok, a in zip(tr.source, st.alpha)))
            lines.append(f"context c_{st.i} = " + " + ".join(f"{f(a, 3)} h{j + 1}" for j, a in enumerate(st.alpha))
                         + f" = {vec(st.context)}")
        else:
            lines.append(f"context c_{st.i} = C = {vec(st.context)}")
        lines.append(f"s_{st.i} = {vec(st.s)}")
        top = sorted(range(len(tr.tgt_vocab)), key=lambda k: -st.probs[k])[:3]
        lines.append("p = softmax(logits): " + ", ".join(f"{tr.tgt_vocab[k]} {f(st.probs[k], 4)}" for k in top)
                     + f" -> predicted '{st.predicted}'")
        if st.target is not None:
            lines.append(f"target '{st.target}': p = {f(st.p_target, 4)}, loss -ln p = {f(st.loss, 4)}")
        d.items(lines)
    if tr.total_loss is not None:
        d.p(f"Total loss {f(tr.total_loss, 5)} nats; {f(100 * tr.accuracy, 4)}% of the steps predict the target token.")
    if tr.alignment is not None:
        d.h("Alignment matrix", 2)
        d.code(matrix_rows(tr.alignment, _out_labels(tr), list(tr.source)))
    return d.render()
