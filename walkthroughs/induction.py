"""Text views of the induction-heads trace: the held-out scores, the predictions, one induction step."""
from __future__ import annotations

from gatelab.style import fmt

from .doc import Doc
from .grid import grid, matrix_rows

DIGITS = 3


def _scores_lines(sc: dict) -> list[str]:
    pt, ind, c = sc["previous_token"], sc["induction"], sc["control"]
    h = sc["heldout"]
    return [
        f"held-out scores ({h['sequences']} repeated sequences of 2 x {h['half']} tokens, seed {h['seed']}; "
        f"untrained control in brackets):",
        f"  accuracy on the repeated half   {fmt(sc['accuracy_repeated'], DIGITS)}  [{fmt(c['accuracy_repeated'], DIGITS)}]",
        f"  accuracy on the first half      {fmt(sc['accuracy_first_half'], DIGITS)}  "
        f"[{fmt(c['accuracy_first_half'], DIGITS)}]  (chance {fmt(sc['chance_first_half'], DIGITS)})",
        f"  previous-token head L{pt['layer']}H{pt['head']}      {fmt(pt['score'], DIGITS)}  "
        f"[{fmt(c['previous_token']['score'], DIGITS)}]  (mean A[t, t-1]; every layer-1 head: "
        + ", ".join(fmt(v, DIGITS) for v in pt["per_head"]) + ")",
        f"  induction head L{ind['layer']}H{ind['head']}           {fmt(ind['score'], DIGITS)}  "
        f"[{fmt(c['induction']['score'], DIGITS)}]  (mean A[t, t-N+1]; every layer-2 head: "
        + ", ".join(fmt(v, DIGITS) for v in ind["per_head"]) + ")",
        labels_line(sc),
    ]


def labels_line(sc: dict) -> str:
    """The heads named for their job: only those whose score reaches the bar of engines.induction.THRESHOLDS."""
    from gatelab.engines.induction import THRESHOLDS, head_labels

    named = head_labels(sc)
    bars = f"previous token >= {fmt(THRESHOLDS['previous_token'], 2)}, induction >= {fmt(THRESHOLDS['induction'], 2)}"
    return (f"  named heads ({bars}): "
            + (", ".join(f"{k}: {v}" for k, v in named.items()) if named else "none reaches its bar"))


def table(tr) -> str:
    cfg = tr.config
    out = [f"induction-heads: GPT-2, {cfg['n_layer']} layers, {cfg['n_head']} heads, d_model {cfg['n_embd']}, "
           f"{cfg['n_positions']} positions, vocabulary {' '.join(tr.vocab)}",
           f"input: {' '.join(tr.tokens)}", ""]
    out += _scores_lines(tr.scores) + [""]
    rows = [[str(p.position), p.token, "" if tr.earlier[p.position] < 0 else str(int(tr.earlier[p.position])),
             p.predicted, fmt(p.probability, DIGITS), p.target or "",
             "" if p.p_target is None else fmt(p.p_target, DIGITS)] for p in tr.predictions]
    out.append(grid(["t", "x_t", "seen at", "predicted x_{t+1}", "p", "actual x_{t+1}", "p(actual)"], rows))
    for n, name in (("previous_token", "previous-token"), ("induction", "induction")):
        layer, head = tr.scores[n]["layer"], tr.scores[n]["head"]
        out += ["", f"L{layer}H{head} (best {name} score) attention on the input (rows: queries, columns: keys):",
                matrix_rows(tr.layers[layer - 1].attention[head - 1], list(tr.tokens), list(tr.tokens))]
    return "\n".join(out) + "\n"


def explain(tr, fmt_: str = "md") -> str:
    d = Doc(DIGITS)
    sc, st = tr.scores, tr.step
    pt, ind = sc["previous_token"], sc["induction"]
    d.heading("Induction heads in a tiny GPT-2")
    d.para(f"Input: {d.lit(' '.join(tr.tokens))}. The model ({tr.config['n_layer']} layers, {tr.config['n_head']} heads "
           f"of width {tr.config['n_embd'] // tr.config['n_head']}) was trained on random sequences whose second half "
           "repeats the first: the repeated half can only be predicted by copying.")
    d.heading("Held-out scores", 2)
    d.code("\n".join(_scores_lines(sc)))
    if st is None:
        d.para("No token of this input occurred earlier (followed by another token): there is nothing to copy, "
               "so no induction step to show.")
        return d.render(fmt_)
    t, j = st.query, st.earlier
    d.heading(f"One induction step: predicting the token after position {t}", 2)
    d.items([
        f"Query: position {t} holds {d.lit(st.query_token)}, which occurred before at position {j}.",
        f"Layer 1, head {pt['head']} (previous token): position {st.key} ({d.lit(st.copied_token)}) attends its "
        f"previous position {j} with weight {d.num(st.previous_weight)}: that share of '{d.lit(tr.tokens[j])} came "
        "before me' is written into its residual stream.",
        f"Layer 2, head {ind['head']} (induction): the query {d.lit(st.query_token)} at position {t} looks for a key "
        f"preceded by {d.lit(st.query_token)}: it attends position {st.key} with weight {d.num(st.attention_weight)} "
        f"(its strongest key: position {st.top_key}).",
        f"Copying that position's token {d.lit(st.copied_token)} is the right prediction: logit "
        f"z({d.lit(st.copied_token)}) = {d.num(st.logit)} vs the best other token {d.lit(st.top_rival)} "
        f"{d.num(st.rival_logit)}, probability p({d.lit(st.copied_token)}) = {d.num(st.probability)} "
        f"({'the model predicts it' if st.logit > st.rival_logit else 'the model does not predict it'}).",
    ], numbered=True)
    d.math("A^{(2)}[t, s] = \\mathrm{softmax}_s\\left(\\frac{q_t \\cdot k_s}{\\sqrt{d_h}}\\right),\\quad "
           "k_s \\text{ carries } x_{s-1} \\text{ (from layer 1)},\\ q_t \\text{ carries } x_t")
    return d.render(fmt_)
