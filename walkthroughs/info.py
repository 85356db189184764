"""Text views of info traces (entropy, cross-entropy, KL): numbers are read from the trace."""
from __future__ import annotations

import numpy as np

from ._seqdoc import Doc, f, grid


def _log(units: str) -> str:
    return "log2" if units == "bits" else "ln"


def _num(x, digits=4) -> str:
    return "inf" if x is None or not np.isfinite(x) else f(x, digits)


def _model_grid(tr, m) -> str:
    header = ["sample", "true"] + [f"q({c})" for c in tr.classes] + ["predicted", "ok", f"H(p,q) [{tr.units}]"]
    rows = []
    for n in range(len(tr.samples)):
        rows.append([tr.samples[n], tr.classes[tr.labels[n]]] + [f(v, 4) for v in m.q[n]]
                    + [tr.classes[m.predicted[n]], "yes" if m.correct[n] else "NO", _num(m.cross_entropy[n])])
    return grid(rows, header)


def table(tr) -> str:
    out = [f"information in {tr.units}; H(p) total = {_num(tr.total_entropy)}", ""]
    for m in tr.models:
        out += [f"{m.name}:", _model_grid(tr, m),
                f"  total cross-entropy = {_num(m.total_cross_entropy)} {tr.units}; error rate = {f(100 * m.error_rate, 4)}%; "
                f"KL(p||q) total = {_num(m.total_kl)}{' (infinite)' if m.kl_total_infinite else ''}", ""]
    if len(tr.models) > 1:
        best = min(tr.models, key=lambda m: m.total_cross_entropy)
        out.append(f"lowest cross-entropy: {best.name}")
    return "\n".join(out) + "\n"


def explain(tr, fmt: str = "md") -> str:
    d = Doc(fmt)
    lg = _log(tr.units)
    d.h(f"Entropy, cross-entropy and KL divergence ({tr.units})")
    lt = "\\log_2" if tr.units == "bits" else "\\ln"
    d.math(f"H(P) = -\\sum_x P(x) {lt} P(x),\\quad H(P,Q) = -\\sum_x P(x) {lt} Q(x),\\quad "
           f"D_{{KL}}(P\\|Q) = H(P,Q) - H(P) \\ge 0")
    d.p(f"Convention: 0 {lg} 0 = 0. A class with P(x) > 0 and Q(x) = 0 makes H(P,Q) and the KL divergence infinite "
        f"(reported as inf, never NaN).")
    onehot = bool(np.all((tr.p == 0) | (tr.p == 1)))
    if onehot:
        d.p(f"The true distributions P are one-hot (the actual class), so H(P) = 0 for every sample and "
            f"H(P, Q) = -{lg} Q(true class): D_KL(P||Q) = H(P, Q).")
    for m in tr.models:
        d.h(m.name, 2)
        d.code(_model_grid(tr, m))
        lines = []
        for n in range(len(tr.samples)):
            c = tr.labels[n]
            if onehot:
                lines.append(f"{tr.samples[n]} ({tr.classes[c]}): -{lg}({f(m.q[n, c], 4)}) = {_num(m.log_q_true[n])}")
            else:
                lines.append(f"{tr.samples[n]}: H(p,q) = {_num(m.cross_entropy[n])}, H(p) = {_num(tr.entropy[n])}, "
                             f"D_KL = {_num(m.kl[n])}")
        d.items(lines)
        if onehot:
            d.items(f"{tr.classes[c]}'s cross-entropy = {_num(m.per_class_cross_entropy[c])}"
                    for c in range(len(tr.classes)) if np.any(tr.labels == c))
        n_wrong = int(np.sum(~m.correct))
        d.p(f"Total cross-entropy = {_num(m.total_cross_entropy)} {tr.units}. Error rate = {n_wrong}/{len(tr.samples)} = "
            f"{f(100 * m.error_rate, 4)}%. D_KL(P||Q) = {_num(m.total_kl)}"
            + (" (infinite)" if m.kl_total_infinite else "")
            + f" = H(P,Q) - H(P) = {_num(m.total_cross_entropy)} - {_num(tr.total_entropy)}."
            + (" The reverse divergence D_KL(Q||P) is infinite: Q puts mass where P has none."
               if bool(np.all(m.kl_reverse_infinite)) else ""))
    if len(tr.models) > 1:
        ces = sorted(tr.models, key=lambda m: m.total_cross_entropy)
        same = len({round(m.error_rate, 12) for m in tr.models}) == 1
        d.h("Comparison", 2)
        d.p(", ".join(f"{m.name}: {_num(m.total_cross_entropy)} {tr.units}" for m in tr.models) + ". "
            + (f"The error rates are equal ({f(100 * tr.models[0].error_rate, 4)}%), but cross-entropy tells the models apart: "
               if same else "")
            + f"{ces[0].name} is better (lower cross-entropy).")
    return d.render()
