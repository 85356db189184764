"""`gatelab plot gan-loss-curves`: the two generator losses and their gradients over D(G(z)) (matplotlib).

A view: it only reads a :class:`engines.gan_loss.GANLossTrace` (the curves on the engine's grid,
the user's cases, the saturation threshold). Left: L_G minimax ln(1 - D(G(z))) and non-saturating
-ln D(G(z)) in nats. Middle: |dL_G/dD(G(z))|; right: |dL_G/da| through D's logit (what backprop
hands the generator), both log scale. The shaded band is where the engine found the minimax
gradient below ``ratio_threshold`` times the non-saturating one.
"""
from __future__ import annotations

from .plot_gan import save  # noqa: F401  (the plot command calls module.save)
from gatelab.style import OKABE_ITO, fmt

_MM, _NS = OKABE_ITO["vermillion"], OKABE_ITO["blue"]


def _band(ax, tr, label: bool) -> None:
    ax.axvspan(0, tr.saturation_p, color=OKABE_ITO["grey"], alpha=0.22, lw=0,
               label=(f"D(G(z)) < {fmt(tr.saturation_p)}: minimax saturated,\n|gradient| < "
                      f"{fmt(tr.ratio_threshold)} x non-saturating") if label else None)


def figure(trace, title: str = ""):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    tr, c = trace, trace.curves
    fig = Figure(figsize=(13, 4.6), layout="constrained")
    ax_l, ax_p, ax_a = fig.subplots(1, 3)
    ax_l.plot(c.p, c.loss_g_minimax, color=_MM, lw=2, label="minimax  $L_G=\\ln(1-D(G(z)))$")
    ax_l.plot(c.p, c.loss_g_ns, color=_NS, lw=2, label="non-saturating  $L_G=-\\ln D(G(z))$")
    ax_p.plot(c.p, -c.dloss_g_minimax, color=_MM, lw=2, label="minimax  $1/(1-D(G(z)))$")
    ax_p.plot(c.p, -c.dloss_g_ns, color=_NS, lw=2, label="non-saturating  $1/D(G(z))$")
    ax_a.plot(c.p, -c.dlogit_minimax, color=_MM, lw=2, label="minimax  $D(G(z))$")
    ax_a.plot(c.p, -c.dlogit_ns, color=_NS, lw=2, label="non-saturating  $1-D(G(z))$")
    for i, case in enumerate(tr.cases):
        lab = "your D(G(z))" if i == 0 else None
        for ax, mm, ns in ((ax_l, case.loss_g_minimax, case.loss_g_ns),
                           (ax_p, -case.dloss_g_minimax, -case.dloss_g_ns),
                           (ax_a, -case.dlogit_minimax, -case.dlogit_ns)):
            ax.plot([case.d_fake] * 2, [mm, ns], ls="", marker="o", ms=6, mfc="white", mec="black", label=lab)
    for ax in (ax_l, ax_p, ax_a):
        _band(ax, tr, ax is ax_l)
        ax.set_xlim(0, 1)
        ax.set_xlabel("D(G(z))  (discriminator's probability that a fake is real)")
        ax.grid(alpha=0.25)
    lo = float(min(c.loss_g_minimax.min(), 0.0))
    ax_l.set_ylim(lo - 0.2, float(c.loss_g_ns.max()) + 0.3)
    ax_l.set_ylabel("generator loss $L_G$ (nats)")
    ax_l.set_title("generator losses (minimised)", fontsize=10)
    ax_p.set_yscale("log")
    ax_p.set_ylabel("$|\\partial L_G/\\partial D(G(z))|$  (nats per unit probability)")
    ax_p.set_title("gradient with respect to D(G(z))", fontsize=10)
    ax_a.set_yscale("log")
    ax_a.set_ylabel("$|\\partial L_G/\\partial a|$  (nats per unit logit)")
    ax_a.set_title("gradient through D's logit a (what G receives)", fontsize=10)
    k = int(abs(c.p - tr.saturation_p).argmin())
    ax_a.annotate(f"at D(G(z)) = {fmt(c.p[k])}:\nminimax {fmt(-c.dlogit_minimax[k])}\nvs {fmt(-c.dlogit_ns[k])}",
                  xy=(c.p[k], -c.dlogit_minimax[k]), xytext=(0.3, 0.02), fontsize=9,
                  arrowprops=dict(arrowstyle="->", color=OKABE_ITO["grey"]))
    ax_l.annotate("minimax: flat near 0,\nG gets almost no signal", xy=(c.p[2], c.loss_g_minimax[2]),
                  xytext=(0.2, 2.2), fontsize=9, color=_MM, arrowprops=dict(arrowstyle="->", color=_MM))
    ax_l.legend(fontsize=8, loc="lower left")
    ax_p.legend(fontsize=8, loc="upper center")
    ax_a.legend(fontsize=8, loc="lower center")
    fig.suptitle((title + ": " if title else "") + "GAN generator losses and their gradients over D(G(z)); "
                 "shaded: where the minimax loss saturates", fontsize=11)
    return fig
