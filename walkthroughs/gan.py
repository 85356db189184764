"""Text views of a GAN trace: the `compute` table (snapshot summary) and the `explain` account.

Only reads :class:`engines.gan.GANTrace`; every number printed comes from the trace.
"""
from __future__ import annotations

import numpy as np

from gatelab.style import fmt as num, fmt_vec

from .doc import Doc
from .grid import grid

DIGITS = 3


def _v(a, digits: int = DIGITS) -> str:
    """A statistic of the d-dimensional data: one number in 1-D, a vector otherwise."""
    a = np.ravel(a)
    return num(a[0], digits) if a.size == 1 else fmt_vec(a, digits)


def _arch(tr) -> str:
    s = tr.settings
    g = " -> ".join(str(n) for n in [s["z_dim"], *s["g_hidden"], tr.dim])
    d = " -> ".join(str(n) for n in [tr.dim, *s["d_hidden"], 1])
    return f"G: {g} ({s['g_act']}, linear out)   D: {d} ({s['d_act']}, sigmoid out)"


def _hyper(tr) -> str:
    s = tr.settings
    opt = s["optimizer"] + (f"(beta1={num(s['beta1'])}, beta2={num(s['beta2'], 4)})" if s["optimizer"] == "adam" else "")
    return (f"{opt}  lr_G={num(s['lr_g'])} lr_D={num(s['lr_d'])}  B={s['batch_size']}  k={s['d_steps']}  "
            f"steps={s['train_steps']}  seed={s['seed']}")


def _final_line(tr, run) -> str:
    f = run.final
    parts = [f"mean {_v(f.mean_fake)} vs real {_v(f.mean_real)} (rel err {_v(f.mean_rel_err, 2)})",
             f"std {_v(f.std_fake)} vs real {_v(f.std_real)} (rel err {_v(f.std_rel_err, 2)})",
             f"JS {num(f.js)} bits (floor {num(f.js_floor)})"]
    if f.n_modes is not None:
        parts.append(f"modes covered {f.modes_covered}/{f.n_modes}, {num(100 * f.hq_share)}% of samples within 3 std of a mode")
    return "; ".join(parts)


def table(trace) -> str:
    tr = trace
    lines = [f"GAN on {tr.data} ({tr.dim}-D)", _arch(tr), _hyper(tr), ""]
    for run in tr.runs:
        lines.append(f"run: G loss {run.label}  (L_G = {'log(1 - D(G(z)))' if run.loss == 'minimax' else '-log D(G(z))'})")
        mix = run.snapshots[0].modes_covered is not None
        head = ["step", "L_D", "L_G", "D(x)", "D(G(z))", "JS bits", "mean G(z)", "std G(z)"] + (["modes"] if mix else [])
        lines.append(grid(head, [[str(s.step), num(s.loss_d), num(s.loss_g), num(s.d_real), num(s.d_fake), num(s.js),
                                  _v(s.mean_fake), _v(s.std_fake)] + ([str(s.modes_covered)] if mix else [])
                                 for s in run.snapshots]))
        lines.append("final: " + _final_line(tr, run))
        if run.oscillation is not None:
            lines.append("dynamics: " + _osc_line(run.oscillation))
        lines.append("")
    lines.append("L_D, L_G, D(x), D(G(z)) on a fixed evaluation set of real samples and noises; "
                 "JS = Jensen-Shannon divergence of histograms, in bits (0 = same, 1 = disjoint).")
    return "\n".join(lines)


# --------------------------------------------------------------------------- explain

LOSSES = [
    ("Goodfellow's game", r"\min_G \max_D V(D, G),\quad V(D, G) = \mathrm{E}_x[\log D(x)] + \mathrm{E}_z[\log(1 - D(G(z)))]"),
    ("Discriminator loss", r"L_D = -\frac{1}{B} \sum_i [\log D(x_i) + \log(1 - D(G(z_i)))]"),
    ("Minimax generator loss", r"L_G = \frac{1}{B} \sum_i \log(1 - D(G(z_i))),\quad \frac{\partial L_G}{\partial a_i} = "
     r"-\frac{D(G(z_i))}{B}\text{: vanishes when } D(G(z)) \to 0"),
    ("Non-saturating generator loss", r"L_G = -\frac{1}{B} \sum_i \log D(G(z_i)),\quad \frac{\partial L_G}{\partial a_i} = "
     r"\frac{D(G(z_i)) - 1}{B}\text{: about } -1/B \text{ when } D(G(z)) \to 0"),
]


def _osc_line(o) -> str:
    """Does mean D(G(z)) settle or cycle (engines/gan_osc.py), in one sentence of trace numbers."""
    per = "none" if o.period_acf is None else f"{num(o.period_acf)} steps"
    zc = "" if o.period_zero is None else f" (zero crossings: {num(o.period_zero)})"
    head = "mean D(G(z)) CYCLES" if o.oscillating else "mean D(G(z)) does not cycle"
    return (f"{head}: from step {o.window_start}, period {per}{zc}, autocorrelation peak "
            f"{'none' if o.acf_peak is None else num(o.acf_peak)}, amplitude {num(o.amplitude)} "
            f"(mean G(z) {num(o.amplitude_mean_fake)}, period "
            f"{'none' if o.period_mean_fake is None else num(o.period_mean_fake)}), late/early amplitude "
            f"{'n/a' if o.growth is None else num(o.growth)}")


def _story(d: Doc, tr, run) -> list[str]:
    """What happened, in sentences whose every number is read from the trace."""
    s0, s1 = run.snapshots[0], run.snapshots[-1]
    f, c = run.final, run.curves
    n = d.num
    out = [f"At step 0 the generator's samples have mean {_v(s0.mean_fake)} against the real {_v(tr.mean_real)}; "
           f"JS = {n(s0.js)} bits, mean D(x) = {n(s0.d_real)}, mean D(G(z)) = {n(s0.d_fake)}.",
           f"After {s1.step} generator steps: mean {_v(s1.mean_fake)}, std {_v(s1.std_fake)} "
           f"(real {_v(f.mean_real)}, {_v(f.std_real)}); JS = {n(s1.js)} bits "
           f"(two independent real samples score {n(f.js_floor)}); mean D(x) = {n(s1.d_real)}, "
           f"mean D(G(z)) = {n(s1.d_fake)}, L_D = {n(s1.loss_d)} (at the equilibrium D = 1/2 everywhere, L_D = log 4)."]
    if f.n_modes is not None:
        out.append(f"Modes covered: {f.modes_covered} of {f.n_modes} "
                   f"({n(100 * f.hq_share)}% of generated samples lie within 3 std of a mode).")
    if run.oscillation is not None:
        out.append("Dynamics: " + _osc_line(run.oscillation) + ".")
    out.append(f"Generator gradient norm $\\|\\partial L_G/\\partial \\theta_G\\|$: {n(c.grad_g[0])} at the first step, "
               f"median {n(c.grad_g_median_late)} over the second half of training.")
    return out


def explain(trace, fmt_: str = "md") -> str:
    tr = trace
    d = Doc(DIGITS)
    d.heading(f"GAN training on {d.lit(tr.data)}")
    d.items([d.lit(_arch(tr)), d.lit(_hyper(tr))])
    d.heading("The losses", 2)
    d.items(f"**{name}**: ${eq}$" for name, eq in LOSSES)
    d.para("$D(x) = \\sigma(a(x))$ with a the discriminator's logit. One training iteration: k discriminator steps on "
           "B real and B generated samples (G fixed), then one generator step on B fresh noises (D fixed). "
           "The divergence estimate is the Jensen-Shannon divergence between histograms of real and generated "
           "samples, in bits (0 = identical, 1 = disjoint).")
    for run in tr.runs:
        d.heading(f"Run: {run.label} generator loss", 2)
        d.items(_story(d, tr, run))
    if len(tr.runs) == 2:
        a, b = tr.runs
        d.heading("Comparison", 2)
        d.para(f"Same seed, same batches, two generator losses: {a.label} ends at JS {d.num(a.final.js)} bits "
               f"with mean D(G(z)) = {d.num(a.snapshots[-1].d_fake)}; {b.label} ends at JS {d.num(b.final.js)} bits "
               f"with mean D(G(z)) = {d.num(b.snapshots[-1].d_fake)}.")
    return d.render(fmt_)
