"""Text views of a GAN trace: the `compute` table (snapshot summary) and the `explain` account.

Only reads :class:`engines.gan.GANTrace`; every number printed comes from the trace.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from gatelab.diagrams.style import fmt as num


def _v(a: Any, digits: int = 3) -> str:
    a = np.ravel(a)
    return num(a[0], digits) if a.size == 1 else "(" + ", ".join(num(e, digits) for e in a) + ")"


def _grid(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    out.insert(1, "  ".join("-" * w for w in widths))
    return out


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
        rows = [head]
        for s in run.snapshots:
            rows.append([str(s.step), num(s.loss_d), num(s.loss_g), num(s.d_real), num(s.d_fake), num(s.js),
                         _v(s.mean_fake), _v(s.std_fake)] + ([str(s.modes_covered)] if mix else []))
        lines += _grid(rows)
        lines.append("final: " + _final_line(tr, run))
        if run.oscillation is not None:
            lines.append("dynamics: " + _osc_line(run.oscillation))
        lines.append("")
    lines.append("L_D, L_G, D(x), D(G(z)) on a fixed evaluation set of real samples and noises; "
                 "JS = Jensen-Shannon divergence of histograms, in bits (0 = same, 1 = disjoint).")
    return "\n".join(lines)


# --------------------------------------------------------------------------- explain

_MD_EQ = [
    ("Goodfellow's game", "min_G max_D V(D, G),  V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]"),
    ("Discriminator loss", "L_D = -(1/B) Σ_i [log D(x_i) + log(1 - D(G(z_i)))]"),
    ("Minimax generator loss", "L_G = (1/B) Σ_i log(1 - D(G(z_i)))   (dL_G/da = -D(G(z))/B: vanishes when D(G(z)) -> 0)"),
    ("Non-saturating generator loss", "L_G = -(1/B) Σ_i log D(G(z_i))   (dL_G/da = (D(G(z)) - 1)/B: about -1/B when D(G(z)) -> 0)"),
]

_TEX_EQ = [
    ("Goodfellow's game", r"\min_G \max_D V(D,G) = \mathbb{E}_x[\log D(x)] + \mathbb{E}_z[\log(1 - D(G(z)))]"),
    ("Discriminator loss", r"L_D = -\frac{1}{B}\sum_i \big[\log D(x_i) + \log(1 - D(G(z_i)))\big]"),
    ("Minimax generator loss", r"L_G = \frac{1}{B}\sum_i \log(1 - D(G(z_i))),\quad \frac{\partial L_G}{\partial a_i} = -\frac{D(G(z_i))}{B}"),
    ("Non-saturating generator loss", r"L_G = -\frac{1}{B}\sum_i \log D(G(z_i)),\quad \frac{\partial L_G}{\partial a_i} = \frac{D(G(z_i)) - 1}{B}"),
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


def _story(tr, run) -> list[str]:
    """What happened, in sentences whose every number is read from the trace."""
    s0, s1 = run.snapshots[0], run.snapshots[-1]
    f = run.final
    c = run.curves
    out = [f"At step 0 the generator's samples have mean {_v(s0.mean_fake)} against the real {_v(tr.mean_real)}; "
           f"JS = {num(s0.js)} bits, mean D(x) = {num(s0.d_real)}, mean D(G(z)) = {num(s0.d_fake)}."]
    out.append(f"After {s1.step} generator steps: mean {_v(s1.mean_fake)}, std {_v(s1.std_fake)} "
               f"(real {_v(f.mean_real)}, {_v(f.std_real)}); JS = {num(s1.js)} bits "
               f"(two independent real samples score {num(f.js_floor)}); mean D(x) = {num(s1.d_real)}, "
               f"mean D(G(z)) = {num(s1.d_fake)}, L_D = {num(s1.loss_d)} (at the equilibrium D = 1/2 everywhere, L_D = log 4).")
    if f.n_modes is not None:
        out.append(f"Modes covered: {f.modes_covered} of {f.n_modes} "
                   f"({num(100 * f.hq_share)}% of generated samples lie within 3 std of a mode).")
    if run.oscillation is not None:
        out.append("Dynamics: " + _osc_line(run.oscillation) + ".")
    T = len(c.grad_g)
    late = slice(T // 2, T)
    out.append(f"Generator gradient norm ||dL_G/dθ_G||: {num(c.grad_g[0])} at the first step, "
               f"median {num(float(np.median(c.grad_g[late])))} over the second half of training.")
    return out


def _verdict(tr) -> list[str]:
    if len(tr.runs) == 2:
        a, b = tr.runs
        return [f"Same seed, same batches, two generator losses: {a.label} ends at JS {num(a.final.js)} bits "
                f"with mean D(G(z)) = {num(a.snapshots[-1].d_fake)}; {b.label} ends at JS {num(b.final.js)} bits "
                f"with mean D(G(z)) = {num(b.snapshots[-1].d_fake)}."]
    return []


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tex_escape(p: str) -> str:
    return "".join(_TEX_SPECIAL.get(c, c) for c in p)


def _tex_text(p: str) -> str:
    p = _tex_escape(p.replace("||dL_G/dθ_G||", "GRADNORM"))
    return p.replace("GRADNORM", r"$\|\partial L_G/\partial\theta_G\|$")


def explain(trace, fmt: str = "md") -> str:
    tr = trace
    tex = fmt == "tex"
    L: list[str] = []
    if tex:
        L += [r"\section*{GAN training on " + _tex_escape(tr.data) + "}",
              r"\texttt{" + _tex_escape(_arch(tr)) + r"}\\", r"\texttt{" + _tex_escape(_hyper(tr)) + "}",
              r"\subsection*{The losses}"]
        for name, eq in _TEX_EQ:
            L += [name + ":", r"\[" + eq + r"\]"]
        L.append(r"Here $D(x) = \sigma(a(x))$ and $a$ is the discriminator's logit; "
                 r"the divergence estimate is the Jensen--Shannon divergence of histograms in bits.")
        for run in tr.runs:
            L.append(r"\subsection*{Run: " + run.label + " generator loss}")
            L += [_tex_text(p) + r"\par" for p in _story(tr, run)]
        L += [p + r"\par" for p in _verdict(tr)]
        return "\n".join(L) + "\n"
    L += [f"# GAN training on {tr.data}", "", f"- {_arch(tr)}", f"- {_hyper(tr)}", "", "## The losses", ""]
    for name, eq in _MD_EQ:
        L.append(f"- **{name}**: `{eq}`")
    L += ["", "D(x) = σ(a(x)) with a the discriminator's logit. One training iteration: k discriminator steps on "
          "B real and B generated samples (G fixed), then one generator step on B fresh noises (D fixed). "
          "The divergence estimate is the Jensen-Shannon divergence between histograms of real and generated "
          "samples, in bits (0 = identical, 1 = disjoint).", ""]
    for run in tr.runs:
        L += [f"## Run: {run.label} generator loss", ""]
        L += [f"- {p}" for p in _story(tr, run)]
        L.append("")
    v = _verdict(tr)
    if v:
        L += ["## Comparison", ""] + v + [""]
    return "\n".join(L)
