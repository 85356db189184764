"""Text views of info traces (entropy, cross-entropy, KL): numbers are read from the trace."""
from __future__ import annotations

import numpy as np

from gatelab.style import fmt

from .doc import Doc
from .grid import grid

DIGITS = 4


def _log(units: str) -> str:
    return "log2" if units == "bits" else "ln"


def _kl(m) -> float:
    """The total KL divergence (the trace stores an infinite one as None)."""
    return float("inf") if m.total_kl is None else m.total_kl


def _model_grid(tr, m) -> str:
    header = ["sample", "true"] + [f"q({c})" for c in tr.classes] + ["predicted", "ok", f"H(p,q) [{tr.units}]"]
    rows = [[tr.samples[n], tr.classes[tr.labels[n]]] + [fmt(v, DIGITS) for v in m.q[n]]
            + [tr.classes[m.predicted[n]], "yes" if m.correct[n] else "NO", fmt(m.cross_entropy[n], DIGITS)]
            for n in range(len(tr.samples))]
    return grid(header, rows)


def table(tr) -> str:
    out = [f"information in {tr.units}; H(p) total = {fmt(tr.total_entropy, DIGITS)}", ""]
    for m in tr.models:
        out += [f"{m.name}:", _model_grid(tr, m),
                f"  total cross-entropy = {fmt(m.total_cross_entropy, DIGITS)} {tr.units}; error rate = "
                f"{fmt(100 * m.error_rate, DIGITS)}%; KL(p||q) total = {fmt(_kl(m), DIGITS)}"
                f"{' (infinite)' if m.kl_total_infinite else ''}", ""]
    if len(tr.models) > 1:
        out.append(f"lowest cross-entropy: {tr.models[tr.best].name}")
    return "\n".join(out) + "\n"


def explain(tr, fmt_: str = "md") -> str:
    d = Doc(DIGITS)
    lg = _log(tr.units)
    d.heading(f"Entropy, cross-entropy and KL divergence ({tr.units})")
    lt = "\\log_2" if tr.units == "bits" else "\\ln"
    d.math(f"H(P) = -\\sum_x P(x) {lt} P(x),\\quad H(P,Q) = -\\sum_x P(x) {lt} Q(x),\\quad "
           f"D_{{KL}}(P\\|Q) = H(P,Q) - H(P) \\ge 0")
    d.para(f"Convention: 0 {lg} 0 = 0. A class with P(x) > 0 and Q(x) = 0 makes H(P,Q) and the KL divergence infinite "
           f"(reported as ∞, never NaN).")
    if tr.one_hot:
        d.para(f"The true distributions P are one-hot (the actual class), so H(P) = 0 for every sample and "
               f"H(P, Q) = -{lg} Q(true class): D_KL(P||Q) = H(P, Q).")
    for m in tr.models:
        _model(d, tr, m, lg)
    if len(tr.models) > 1:
        best = tr.models[tr.best]
        d.heading("Comparison", 2)
        d.para(", ".join(f"{d.lit(m.name)}: {d.num(m.total_cross_entropy)} {tr.units}" for m in tr.models) + ". "
               + (f"The error rates are equal ({d.num(100 * tr.models[0].error_rate)}%), but cross-entropy tells the "
                  "models apart: " if tr.equal_error_rates else "")
               + f"{d.lit(best.name)} is better (lower cross-entropy).")
    return d.render(fmt_)


def _model(d: Doc, tr, m, lg: str) -> None:
    d.heading(d.lit(m.name), 2)
    d.code(_model_grid(tr, m))
    lines = []
    for n in range(len(tr.samples)):
        c = tr.labels[n]
        if tr.one_hot:
            lines.append(f"{d.lit(tr.samples[n])} ({d.lit(tr.classes[c])}): -{lg}({d.num(m.q[n, c])}) = "
                         f"{d.num(m.log_q_true[n])}")
        else:
            lines.append(f"{d.lit(tr.samples[n])}: H(p,q) = {d.num(m.cross_entropy[n])}, H(p) = {d.num(tr.entropy[n])}, "
                         f"D_KL = {d.num(m.kl[n])}")
    d.items(lines)
    if tr.one_hot:
        d.items(f"{d.lit(tr.classes[c])}'s cross-entropy = {d.num(m.per_class_cross_entropy[c])}"
                for c in range(len(tr.classes)) if np.any(tr.labels == c))
    d.para(f"Total cross-entropy = {d.num(m.total_cross_entropy)} {tr.units}. Error rate = {m.errors}/{len(tr.samples)} = "
           f"{d.num(100 * m.error_rate)}%. D_KL(P||Q) = {d.num(_kl(m))}"
           + (" (infinite)" if m.kl_total_infinite else "")
           + f" = H(P,Q) - H(P) = {d.num(m.total_cross_entropy)} - {d.num(tr.total_entropy)}."
           + (" The reverse divergence D_KL(Q||P) is infinite: Q puts mass where P has none."
              if bool(np.all(m.kl_reverse_infinite)) else ""))
