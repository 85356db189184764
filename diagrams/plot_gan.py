"""`gatelab plot gan-losses`: the GAN's training curves as a matplotlib figure (SVG/PNG/PDF).

A view: it only reads a :class:`engines.gan.GANTrace`. Panels: per-step L_D and L_G (thin) with
the evaluation-set values at each snapshot (markers); mean D(x) and D(G(z)); the JS divergence
(bits) with the estimator's floor; the gradient norms (log scale). A compare trace (two runs)
draws both runs, solid and dashed. matplotlib is imported inside the functions (Agg backend),
the file is written atomically, and SVGs are reproducible (fixed hash salt, no date).
"""
from __future__ import annotations

import io
import os

from gatelab.engines.errors import OutputError

from gatelab.style import OKABE_ITO, ROLE, fmt

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
_DASH = ["-", "--"]


def figure(trace, title: str = ""):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 7.2), layout="constrained")
    axs = fig.subplots(2, 2)
    (ax_l, ax_d), (ax_js, ax_g) = axs
    c_d, c_g = OKABE_ITO["vermillion"], OKABE_ITO["blue"]
    for k, run in enumerate(trace.runs):
        ls, tag = _DASH[k % 2], (f" [{run.label}]" if len(trace.runs) > 1 else "")
        steps = list(range(1, len(run.curves.loss_d) + 1))
        snap = [s.step for s in run.snapshots]
        ax_l.plot(steps, run.curves.loss_d, color=c_d, lw=0.6, alpha=0.35, ls=ls)
        ax_l.plot(steps, run.curves.loss_g, color=c_g, lw=0.6, alpha=0.35, ls=ls)
        ax_l.plot(snap, [s.loss_d for s in run.snapshots], color=c_d, ls=ls, marker="o", ms=3, label=f"$L_D${tag}")
        ax_l.plot(snap, [s.loss_g for s in run.snapshots], color=c_g, ls=ls, marker="o", ms=3,
                  label=("$L_G=\\log(1-D(G(z)))$" if run.loss == "minimax" else "$L_G=-\\log D(G(z))$") + tag)
        ax_d.plot(steps, run.curves.d_real, color=ROLE["real"], lw=0.6, alpha=0.35, ls=ls)
        ax_d.plot(steps, run.curves.d_fake, color=ROLE["fake"], lw=0.6, alpha=0.35, ls=ls)
        ax_d.plot(snap, [s.d_real for s in run.snapshots], color=ROLE["real"], ls=ls, marker="o", ms=3,
                  label=f"mean $D(x)${tag}")
        ax_d.plot(snap, [s.d_fake for s in run.snapshots], color=ROLE["fake"], ls=ls, marker="o", ms=3,
                  label=f"mean $D(G(z))${tag}")
        ax_js.plot(snap, [s.js for s in run.snapshots], color=OKABE_ITO["green"], ls=ls, marker="o", ms=3,
                   label=f"JS(real, generated){tag}: final {fmt(run.final.js)}")
        if run.snapshots[0].modes_covered is not None:
            if k == 0:
                ax_m = ax_js.twinx()
                ax_m.set_ylabel("modes covered", color=OKABE_ITO["purple"])
                ax_m.set_ylim(-0.2, len(run.snapshots[0].mode_counts) + 0.2)
            ax_m.step(snap, [s.modes_covered for s in run.snapshots], where="post", color=OKABE_ITO["purple"],
                      ls=ls, lw=1.2, label=f"modes covered (of {len(run.snapshots[0].mode_counts)}){tag}")
        ax_g.plot(steps, run.curves.grad_d, color=c_d, lw=0.7, ls=ls, label=f"$\\|\\partial L_D/\\partial\\theta_D\\|${tag}")
        ax_g.plot(steps, run.curves.grad_g, color=c_g, lw=0.7, ls=ls, label=f"$\\|\\partial L_G/\\partial\\theta_G\\|${tag}")
    ax_js.axhline(trace.js_floor, color=OKABE_ITO["grey"], ls=":", label=f"floor (two real samples): {fmt(trace.js_floor)}")
    ax_d.axhline(0.5, color=OKABE_ITO["grey"], ls=":", lw=0.8, label="equilibrium 1/2")
    ax_l.set_title("losses (thin: training batch; markers: evaluation set)", fontsize=10)
    ax_d.set_title("discriminator outputs", fontsize=10)
    ax_js.set_title("Jensen-Shannon divergence of histograms (bits)", fontsize=10)
    ax_g.set_title("gradient norms", fontsize=10)
    ax_d.set_ylim(-0.02, 1.02)
    ax_js.set_ylim(-0.02, 1.02)
    ax_g.set_yscale("log")
    for ax in axs.ravel():
        ax.set_xlabel("generator step")
        ax.grid(alpha=0.25)
        if ax is not ax_js:
            ax.legend(fontsize=8, loc="best")
    handles, labels = ax_js.get_legend_handles_labels()
    for other in ax_js.get_shared_x_axes().get_siblings(ax_js):
        if other is not ax_js:
            h, l = other.get_legend_handles_labels()
            handles, labels = handles + h, labels + l
    ax_js.legend(handles, labels, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    s = trace.settings
    fig.suptitle((title + ": " if title else "") + f"GAN on {trace.data}  ({s['optimizer']}, lr_G={fmt(s['lr_g'])}, "
                 f"lr_D={fmt(s['lr_d'])}, B={s['batch_size']}, k={s['d_steps']}, seed={s['seed']})", fontsize=11)
    return fig


def save(fig, path: str) -> str:
    """Write ``fig`` to ``path`` (.svg/.png/.pdf) atomically; reproducible SVG output."""
    import matplotlib

    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise OutputError(f"output {path!r} has extension {ext or '(none)'!r}; use .svg, .png or .pdf")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise OutputError(f"output directory {directory!r} does not exist")
    buf = io.BytesIO()
    meta = {"svg": {"Date": None, "Creator": "GateLab"}, "png": {"Software": "GateLab"},
            "pdf": {"CreationDate": None, "Creator": "GateLab"}}[FORMATS[ext]]
    with matplotlib.rc_context({"svg.hashsalt": "gatelab", "svg.fonttype": "path"}):
        fig.savefig(buf, format=FORMATS[ext], dpi=144, metadata=meta)
    from .export import write_atomic
    write_atomic(path, buf.getvalue())
    return path
