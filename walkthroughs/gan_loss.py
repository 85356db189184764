"""Text views of a gan-loss trace: the `compute` table and the `explain` worked numbers.

Only reads :class:`engines.gan_loss.GANLossTrace`; every number printed comes from the trace.
"""
from __future__ import annotations


from .doc import Doc
from .grid import num as f
from .grid import rows_grid as grid


def _bits(x: float, tr) -> str:
    return f(x / tr.ln2)


def table(trace) -> str:
    tr = trace
    head = ["D(x)", "D(G(z))", "L_D", "L_G mm", "L_G ns", "dL_D/dD(x)", "dL_D/dD(G(z))", "dmm/dD(G(z))",
            "dns/dD(G(z))", "dmm/da", "dns/da", "mm/ns"]
    out = []
    for unit, k in (("nats (ln)", 1.0), ("bits (log2)", tr.ln2)):
        rows = [[f(c.d_real), f(c.d_fake)] + [f(v / k) for v in (c.loss_d, c.loss_g_minimax, c.loss_g_ns, c.dloss_d_dreal,
                                                                  c.dloss_d_dfake, c.dloss_g_minimax, c.dloss_g_ns)]
                + [f(c.dlogit_minimax / k), f(c.dlogit_ns / k), f(c.ratio)] for c in tr.cases]
        out += [f"GAN losses and derivatives, in {unit}", grid(rows, head), ""]
    out.append("mm = minimax L_G = log(1 - D(G(z))), ns = non-saturating L_G = -log D(G(z)), "
               "L_D = -(log D(x) + log(1 - D(G(z)))); a = the discriminator's logit, D = sigma(a).")
    out.append(f"mm/ns = |minimax gradient| / |non-saturating gradient| = D(G(z))/(1 - D(G(z))); below "
               f"D(G(z)) = {f(tr.saturation_p)} it is under {f(tr.ratio_threshold)}: the minimax loss saturates.")
    return "\n".join(out)


def _case(doc: Doc, tr, i: int, c) -> None:
    doc.heading(f"Case {i}: D(x) = {f(c.d_real)}, D(G(z)) = {f(c.d_fake)}", 2)
    lr, lf = -c.dloss_d_dreal, c.dloss_d_dfake  # 1/p_r and 1/(1-p)
    doc.items([
        f"L_D = -(ln {f(c.d_real)} + ln(1 - {f(c.d_fake)})) = -({f(-c.loss_d - c.loss_g_minimax)} + "
        f"{f(c.loss_g_minimax)}) = {f(c.loss_d)} nats = {f(c.loss_d)} / ln 2 = {_bits(c.loss_d, tr)} bits",
        f"dL_D/dD(x) = -1/D(x) = -1/{f(c.d_real)} = {f(c.dloss_d_dreal)} nats ({_bits(c.dloss_d_dreal, tr)} bits); "
        f"dL_D/dD(G(z)) = 1/(1 - D(G(z))) = 1/{f(1 / lf)} = {f(c.dloss_d_dfake)} nats ({_bits(c.dloss_d_dfake, tr)} bits)",
        f"minimax: L_G = ln(1 - {f(c.d_fake)}) = {f(c.loss_g_minimax)} nats ({_bits(c.loss_g_minimax, tr)} bits); "
        f"dL_G/dD(G(z)) = -1/(1 - D(G(z))) = {f(c.dloss_g_minimax)}; through the logit: dL_G/da = -D(G(z)) = "
        f"{f(c.dlogit_minimax)}",
        f"non-saturating: L_G = -ln {f(c.d_fake)} = {f(c.loss_g_ns)} nats ({_bits(c.loss_g_ns, tr)} bits); "
        f"dL_G/dD(G(z)) = -1/D(G(z)) = {f(c.dloss_g_ns)}; through the logit: dL_G/da = D(G(z)) - 1 = {f(c.dlogit_ns)}",
        f"ratio of the gradients |minimax| / |non-saturating| = D(G(z))/(1 - D(G(z))) = {f(c.ratio)}"
        + (f" < {f(tr.ratio_threshold)}: the minimax loss is saturated here" if c.d_fake < tr.saturation_p else ""),
    ])
    del lr


def explain(trace, fmt: str = "md") -> str:
    tr = trace
    doc = Doc()
    doc.heading("GAN losses and their derivatives")
    doc.para("D(x) is the discriminator's probability that a real sample is real, D(G(z)) that a generated one is; "
          "D = sigma(a) with a the logit, so dD/da = D(1 - D). Losses are minimised; ln gives nats, "
          "bits = nats / ln 2.")
    doc.math(r"L_D = -(\ln D(x) + \ln(1 - D(G(z))))")
    doc.math(r"L_G^{mm} = \ln(1 - D(G(z))),\quad \partial L_G^{mm}/\partial a = -D(G(z))")
    doc.math(r"L_G^{ns} = -\ln D(G(z)),\quad \partial L_G^{ns}/\partial a = D(G(z)) - 1")
    for i, c in enumerate(tr.cases, 1):
        _case(doc, tr, i, c)
    doc.heading("Why the minimax loss stalls", 2)
    doc.para(f"Early in training D rejects the fakes, D(G(z)) -> 0. The minimax loss ln(1 - D(G(z))) is flat there: "
          f"its gradient is D(G(z))/(1 - D(G(z))) times the non-saturating one, under {f(tr.ratio_threshold)} for "
          f"D(G(z)) < {f(tr.saturation_p)}. Through the logit, -D(G(z)) vanishes while D(G(z)) - 1 stays near -1, "
          "so the non-saturating generator keeps learning (Goodfellow et al. 2014, section 3).")
    return doc.render(fmt)
