"""`gatelab plot activations`: each activation function and its derivative on the engine's grid.

A view: it only reads an :class:`engines.activations.ActivationsTrace` (x, f(x), f'(x) and the
regions the engine found: saturated where f'(x) < the trace's threshold, dead where f'(x) = 0).
One panel per function; ``gelu_tanh`` (the tanh approximation) shares the GELU panel.
Saved with :func:`diagrams.plot_gan.save` (atomic, reproducible SVG).
"""
from __future__ import annotations

import math

from .plot_gan import save  # noqa: F401  (the CLI calls module.save)
from gatelab.style import OKABE_ITO, fmt

_TITLES = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU (slope 0.01)",
           "elu": "ELU", "selu": "SELU", "softplus": "softplus", "gelu": "GELU", "gelu_tanh": "GELU (tanh approx.)"}
_REGION = {"saturated": (OKABE_ITO["grey"], "//"), "dead": (OKABE_ITO["vermillion"], "\\\\")}


def _panels(trace) -> list[list]:
    """Curves grouped per panel: gelu_tanh joins gelu when both are present."""
    names = [c.name for c in trace.curves]
    out = []
    for c in trace.curves:
        if c.name == "gelu_tanh" and "gelu" in names:
            next(p for p in out if p[0].name == "gelu").append(c)
        else:
            out.append([c])
    return out


def _shade(ax, c, x_lo: float, x_hi: float) -> None:
    seen = set()
    for r in c.regions:
        colour, hatch = _REGION[r.what]
        first = r.what not in seen
        seen.add(r.what)
        if r.what == "saturated":
            label = f"saturated: {r.rule} for |x| > {fmt(c.saturation_bound)}"
        else:
            label = f"dead: {r.rule} on [{fmt(r.lo)}, {fmt(r.hi)}]"
        ax.axvspan(r.lo, r.hi, color=colour, alpha=0.18, hatch=hatch, lw=0, label=label if first else None)
        ax.text((r.lo + r.hi) / 2, 0.62, r.what, transform=ax.get_xaxis_transform(), ha="center", va="center",
                rotation=90, fontsize=9, color=colour if r.what == "dead" else "#444444")


def figure(trace, title: str = ""):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    panels = _panels(trace)
    ncol = min(4, len(panels))
    nrow = math.ceil(len(panels) / ncol)
    fig = Figure(figsize=(3.8 * ncol + 0.4, 4.1 * nrow + 0.6), layout="constrained")
    axs = fig.subplots(nrow, ncol, squeeze=False).ravel()
    x = trace.x
    f_col, d_col = OKABE_ITO["blue"], OKABE_ITO["orange"]
    for ax, group in zip(axs, panels):
        main = group[0]
        _shade(ax, main, float(x.min()), float(x.max()))
        ax.plot(x, main.y, color=f_col, lw=2, label=f"f(x) = {main.formula}" if len(main.formula) < 28 else "f(x)")
        ax.plot(x, main.dy, color=d_col, lw=2, ls="--", label=f"f'(x) = {main.derivative}"
                if len(main.derivative) < 24 else "f'(x)")
        for extra in group[1:]:
            ax.plot(x, extra.y, color=OKABE_ITO["green"], lw=1.2, ls=":", label=f"{_TITLES[extra.name]}")
        ax.axhline(0, color="#999999", lw=0.6)
        ax.axvline(0, color="#999999", lw=0.6)
        ax.set_title(_TITLES.get(main.name, main.name), fontsize=11, fontweight="bold")
        ax.set_xlabel("x", fontsize=9)
        ax.grid(alpha=0.25)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    for ax in axs[len(panels):]:
        ax.set_visible(False)
    sat = [c for c in trace.curves if c.saturation_bound is not None]
    note = (f"  ·  saturated: f'(x) < {fmt(trace.saturation_threshold)} (exact bound from the engine)" if sat else "")
    fig.suptitle((title + ": " if title else "") + f"activation functions (solid) and derivatives (dashed) on "
                 f"{len(x)} points in [{fmt(float(x.min()))}, {fmt(float(x.max()))}]" + note, fontsize=11)
    return fig
