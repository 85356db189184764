"""Text views of seq2seq traces: encoder states, alignment, contexts, predictions (read from the trace)."""
from __future__ import annotations

from gatelab.style import fmt, fmt_vec

from .doc import Doc
from .grid import grid, matrix_rows

DIGITS = 4


def _mode(tr) -> str:
    if tr.attention == "none":
        return "fixed context vector C (no attention)"
    if tr.attention == "bahdanau":
        return "Bahdanau (additive) attention"
    return f"Luong ({tr.score}) attention"


def _out_labels(tr):
    return [f"{i + 1}:{st.predicted}" for i, st in enumerate(tr.steps)]


def table(tr) -> str:
    n = lambda x: "" if x is None else fmt(x, DIGITS)  # noqa: E731
    out = [f"seq2seq: {tr.cell} cells, {_mode(tr)}, decoding: "
           f"{'teacher forcing' if tr.decode == 'teacher' else 'free running (greedy argmax)'}",
           f"source: {' '.join(tr.source)}", f"target: {' '.join(tr.target) or '(none)'}",
           f"predicted: {' '.join(tr.predicted)}", ""]
    rows = [[str(st.i), st.input_token, st.predicted, n(st.p_predicted), st.target or "", n(st.p_target), n(st.loss)]
            for st in tr.steps]
    out.append(grid(["i", "fed y_{i-1}", "predicted", "p", "target", "p(target)", "-ln p(target)"], rows))
    if tr.total_loss is not None:
        out.append(f"total loss = {fmt(tr.total_loss, DIGITS + 1)} nats; accuracy = {fmt(100 * tr.accuracy, DIGITS)}%")
    out.append("")
    if tr.alignment is not None:
        out += ["alignment alpha [T_out x T_in] (rows: output steps, columns: source tokens):",
                matrix_rows(tr.alignment, _out_labels(tr), list(tr.source)), ""]
    else:
        out += [f"fixed context C = [hf_T, hb_1] = {fmt_vec(tr.fixed_context, DIGITS, limit=8)} "
                "(the same for every output step)", ""]
    return "\n".join(out) + "\n"


def explain(tr, fmt_: str = "md") -> str:
    d = Doc(DIGITS)
    words = lambda toks: d.lit(" ".join(toks))  # noqa: E731
    d.heading(f"Sequence to sequence: {tr.cell.upper()} encoder-decoder with {_mode(tr)}")
    d.para(f"Source: {words(tr.source)}. Target: {words(tr.target) if tr.target else '(none given)'}. "
           "Shapes: " + ", ".join(f"{k} {v}" for k, v in (tr.shapes or {}).items()) + ".")
    _encoder(d, tr)
    _decoder(d, tr)
    for st in tr.steps:
        _output_step(d, tr, st)
    if tr.total_loss is not None:
        d.para(f"Total loss {d.num(tr.total_loss, DIGITS + 1)} nats; {d.num(100 * tr.accuracy)}% of the steps "
               "predict the target token.")
    if tr.alignment is not None:
        d.heading("Alignment matrix", 2)
        d.code(matrix_rows(tr.alignment, _out_labels(tr), list(tr.source)))
    return d.render(fmt_)


def _encoder(d: Doc, tr) -> None:
    v = lambda a: d.vec(a, limit=8)  # noqa: E731
    d.heading("1. Encoder (bidirectional)", 2)
    d.para("Each source token is embedded and read left to right (hf) and right to left (hb); the annotation of "
           "token j is h_j = [hf_j, hb_j].")
    d.items(f"x{st.j} = {d.lit(st.token)}: hf = {v(st.hf)}, hb = {v(st.hb)}" for st in tr.encoder)
    d.para(f"Fixed context C = [hf_{len(tr.source)}, hb_1] = {v(tr.fixed_context)}; decoder start s_0 = "
           f"{tr.s0_rule} = {v(tr.s0)}.")


def _decoder(d: Doc, tr) -> None:
    d.heading("2. Decoder", 2)
    if tr.attention == "none":
        d.math("s_i = \\mathrm{cell}([E y_{i-1}, C], s_{i-1}),\\quad p_i = \\mathrm{softmax}([s_i, C] W_{out} + b_{out})")
        d.para("Every output step sees the same vector C: the whole source squeezed into one fixed-size vector.")
    elif tr.attention == "bahdanau":
        d.math("e_{ij} = v_a^\\top \\tanh(s_{i-1} W_{aq} + h_j W_{ak}),\\ \\alpha_i = \\mathrm{softmax}(e_i),\\ "
               "c_i = \\sum_j \\alpha_{ij} h_j,\\ s_i = \\mathrm{cell}([E y_{i-1}, c_i], s_{i-1})")
    else:
        sc = {"dot": "s_i \\cdot h_j", "scaled_dot": "s_i \\cdot h_j / \\sqrt{d}", "general": "s_i W_a h_j^\\top"}[tr.score]
        d.math(f"s_i = \\mathrm{{cell}}([E y_{{i-1}}, c_{{i-1}}], s_{{i-1}}),\\ e_{{ij}} = {sc},\\ "
               "\\alpha_i = \\mathrm{softmax}(e_i),\\ c_i = \\sum_j \\alpha_{ij} h_j")
    d.para("Teacher forcing feeds the true previous target token; free running feeds the previous prediction "
           f"(greedy argmax). Here: {'teacher forcing' if tr.decode == 'teacher' else 'free running'}.")


def _output_step(d: Doc, tr, st) -> None:
    v = lambda a: d.vec(a, limit=8)  # noqa: E731
    d.heading(f"Output step {st.i}: fed '{d.lit(st.input_token)}'", 2)
    lines = []
    if st.alpha is not None:
        lines.append(f"scores e = {v(st.scores)} -> alpha = softmax(e) = "
                     + ", ".join(f"{d.lit(tok)}: {d.num(a)}" for tok, a in zip(tr.source, st.alpha)))
        lines.append(f"context c_{st.i} = " + " + ".join(f"{d.num(a, 3)} h{j + 1}" for j, a in enumerate(st.alpha))
                     + f" = {v(st.context)}")
    else:
        lines.append(f"context c_{st.i} = C = {v(st.context)}")
    lines.append(f"s_{st.i} = {v(st.s)}")
    lines.append("p = softmax(logits): " + ", ".join(f"{d.lit(tr.tgt_vocab[k])} {d.num(st.probs[k])}" for k in st.top)
                 + f" -> predicted '{d.lit(st.predicted)}'")
    if st.target is not None:
        lines.append(f"target '{d.lit(st.target)}': p = {d.num(st.p_target)}, loss -ln p = {d.num(st.loss)}")
    d.items(lines)
