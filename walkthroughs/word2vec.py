"""Text views of a word2vec trace: the `compute` table (nearest neighbours) and the `explain`
worked solution (one training pair's update with its dot products, sigmoids and gradients).

Only reads :class:`engines.word2vec.Word2VecTrace`; every number printed comes from the trace.
"""
from __future__ import annotations


from .doc import Doc
from .grid import num as f
from .grid import rows_grid as grid
from .grid import vec


def _settings(tr) -> str:
    s = tr.settings
    return (f"d={s['dim']}  window={s['window']}  k={s['negatives']} negatives  {s['epochs']} epochs  "
            f"{s['optimizer']} lr={f(s['lr'])}  batch={s['batch_size']}  seed={s['seed']}")


def _rows(tr) -> list[list[str]]:
    rows = []
    for i, w in enumerate(tr.vocab):
        near = [f"{tr.vocab[j]} {f(c, 3)}" for j, c in zip(tr.neighbours[i], tr.neighbour_cos[i])]
        rows.append([w, tr.group_of[i] or "-", str(int(tr.counts[i])), *near])
    return rows


def _scores(tr) -> list[str]:
    out = []
    if tr.neighbour_accuracy is not None:
        per = ", ".join(f"{g} {f(a, 3)}" for g, a in tr.group_accuracy.items())
        out.append(f"neighbour_accuracy = {f(tr.neighbour_accuracy, 3)} (share of grouped words whose nearest "
                   f"neighbour is in the same group; {per})")
    if tr.cos_within is not None and tr.cos_between is not None:
        out.append(f"mean cosine within a group {f(tr.cos_within, 3)}, between groups {f(tr.cos_between, 3)}")
    n = len(tr.vocab)
    off = max((abs(tr.one_hot_cos[i][j]) for i in range(n) for j in range(n) if i != j), default=0.0)
    out.append(f"one-hot vectors: every cosine between different words is {f(off, 3)} (largest |cos| off the diagonal)")
    return out


def _loss_line(tr) -> str:
    if not len(tr.loss):
        return f"untrained (0 epochs): mean loss at the initial weights {f(tr.loss_init)}"
    return (f"mean loss per pair: {f(tr.loss_init)} at the initial weights -> {f(tr.loss[0])} (epoch 1) -> "
            f"{f(tr.loss[-1])} (epoch {len(tr.loss)})")


def table(tr) -> str:
    k = tr.neighbours.shape[1]
    head = ["word", "group", "count", *[f"nearest {j + 1} (cos)" for j in range(k)]]
    return (f"word2vec skip-gram, negative sampling  vocabulary n={len(tr.vocab)}  corpus {len(tr.tokens)} words, "
            f"{len(tr.sentences)} sentences, {tr.n_pairs} pairs per epoch\n{_settings(tr)}\n{_loss_line(tr)}\n"
            + grid(_rows(tr), head) + "\n" + "\n".join(_scores(tr)) + "\n"
            + "PCA of V: explained variance ratio " + vec(tr.explained_variance_ratio, 3)
            + " (first two components are the 2-D plot)\n")


def _pair(d: Doc, tr, w) -> None:
    voc = tr.vocab
    names = [voc[w.context]] + [voc[j] for j in w.negatives]
    d.heading(f"{w.label[0].upper()}{w.label[1:]}, epoch {w.epoch}: centre c = {voc[w.centre]!r}, "
        f"context o = {voc[w.context]!r}", 2)
    d.para(f"Negatives drawn from P_n (unigram^0.75): {', '.join(repr(voc[j]) for j in w.negatives)}. "
        f"v_c = row {w.centre} of V = {vec(w.v)}.")
    rows = []
    for r, name in enumerate(names):
        kind = "positive" if w.labels[r] == 1 else "negative"
        rows.append([name, kind, vec(w.u[r], 3), f(w.s[r]), f(w.sig[r]), f(w.labels[r]), f(w.ds[r])])
    d.code(grid(rows, ["word", "", "u (its context vector)", "s = u . v_c", "sigma(s)", "label", "dL/ds"]))
    terms = " - ".join(["-log sigma(s_0)"] + [f"log sigma(-s_{j})" for j in range(1, len(names))])
    d.items([f"L = {terms} = {f(w.loss)}",
             "dL/ds_0 = sigma(s_0) - 1, dL/ds_j = sigma(s_j): the positive pulls u_o towards v_c, each "
             "negative pushes its u away",
             f"dL/dv_c = sum_r (dL/ds_r) u_r = {vec(w.grad_v)}",
             *[f"dL/du_{name} = (dL/ds) v_c = {vec(w.grad_u[r])}" for r, name in enumerate(names)],
             f"a plain SGD step with lr = {f(w.lr)}: v_c <- v_c - lr dL/dv_c = {vec(w.v_new)}",
             f"u_{names[0]} <- {vec(w.u_new[0])}",
             f"this pair's loss with the stepped vectors and the same negatives: {f(w.loss)} -> {f(w.loss_after)}"])


def explain(tr, fmt: str = "md") -> str:
    d = Doc()
    d.heading("word2vec (skip-gram, negative sampling): worked solution")
    d.para(f"Corpus: {len(tr.sentences)} sentences, {len(tr.tokens)} words, e.g. "
        + "; ".join(repr(s) for s in tr.sentences[:4]) + f". Vocabulary (n = {len(tr.vocab)}, order of first "
        f"appearance): {', '.join(tr.vocab)}.")
    if tr.groups:
        d.para("Groups (used only to score the result, never in training): "
            + "; ".join(f"{g}: {', '.join(ws)}" for g, ws in tr.groups.items()) + ".")
    i = next((j for j, g in enumerate(tr.group_of) if g), 0)
    d.heading("One-hot vectors and the embedding lookup", 2)
    d.para(f"A word w is the one-hot vector x_w in R^{len(tr.vocab)}: x_{tr.vocab[i]} = {vec(tr.one_hot[i], 0, 24)}. "
        "Two different one-hot vectors share no 1, so their dot product and cosine are 0: one-hot vectors say "
        "every pair of words is equally unrelated.")
    d.para(f"The embedding is x_w^T V, which selects row w of V (n x d = {len(tr.vocab)} x {tr.settings['dim']}): "
        f"v_{tr.vocab[i]} = {vec(tr.V[i])}.")
    d.heading("Training", 2)
    d.para(f"{_settings(tr)}. Each (centre, context) pair within {tr.settings['window']} words gives "
        f"{tr.n_pairs} pairs per epoch; {_loss_line(tr)}.")
    d.math(r"L(c, o) = -\log\sigma(u_o \cdot v_c) - \sum_{j=1}^{k} \log\sigma(-u_{n_j} \cdot v_c)")
    for w in tr.worked:
        _pair(d, tr, w)
    d.para("Training averages these per-pair gradients over a batch of "
        f"{tr.settings['batch_size']} pairs and applies {tr.settings['optimizer']}; with --optimizer sgd "
        "--batch-size 1 the first update above is exactly the first training step.")
    d.heading("What it learnt", 2)
    d.items(_scores(tr))
    d.code(grid(_rows(tr), ["word", "group", "count", *[f"#{j + 1}" for j in range(tr.neighbours.shape[1])]]))
    return d.render(fmt)
