"""`gatelab plot word-embeddings`: the learned word vectors in 2-D (PCA from the trace) and the loss curve.

A view: it only reads an :class:`engines.word2vec.Word2VecTrace` (``pca``,
``explained_variance_ratio``, ``group_of``, ``loss``). Points are labelled with their word and
coloured by the corpus' group (words of no group in grey); the axis labels carry each
component's share of the variance. ``save`` is the GAN plot's (atomic, reproducible SVG).
"""
from __future__ import annotations

from .plot_gan import save  # noqa: F401  (the CLI calls plot_module.save)
from gatelab.style import OKABE_ITO, fmt

_GROUP_COLOURS = ("blue", "vermillion", "green", "orange", "purple", "sky", "yellow")


def _colours(trace) -> dict[str, str]:
    names = list(dict.fromkeys([*trace.groups, *(g for g in trace.group_of if g)]))
    return {g: OKABE_ITO[_GROUP_COLOURS[i % len(_GROUP_COLOURS)]] for i, g in enumerate(names)}


_OFFSETS = (((5, 3), "left"), ((5, -11), "left"), ((-5, 3), "right"), ((-5, -11), "right"))


def _place_labels(xy, span: float) -> list:
    """Each label on the side (of four) farthest from the points and the labels placed before it
    (a layout choice only: the points themselves are the trace's coordinates)."""
    unit = span / 420.0                                   # ~ data units per point of offset on this figure
    anchors: list[tuple[float, float]] = []
    out = []
    for i in range(xy.shape[0]):
        best, best_d = _OFFSETS[0], -1.0
        for (dx, dy), ha in _OFFSETS:
            cx = xy[i, 0] + (dx + (18 if ha == "left" else -18)) * unit
            cy = xy[i, 1] + (dy + 4) * unit
            others = [(float(x), float(y)) for j, (x, y) in enumerate(xy) if j != i] + anchors
            d = min(((cx - x) ** 2 + (cy - y) ** 2 for x, y in others), default=1.0)
            if d > best_d + 1e-12:
                best, best_d = ((dx, dy), ha), d
        (dx, dy), ha = best
        anchors.append((xy[i, 0] + (dx + (18 if ha == "left" else -18)) * unit, xy[i, 1] + (dy + 4) * unit))
        out.append(best)
    return out


def _scatter(ax, trace) -> None:
    colours = _colours(trace)
    xy = trace.pca
    span = max(float(xy[:, 0].max() - xy[:, 0].min()), float(xy[:, 1].max() - xy[:, 1].min()), 1e-9)
    placed = _place_labels(xy, span)
    for g in [*colours, ""]:
        idx = [i for i, gi in enumerate(trace.group_of) if gi == g]
        if not idx:
            continue
        c = colours.get(g, OKABE_ITO["grey"])
        ax.scatter(xy[idx, 0], xy[idx, 1], s=46 if g else 22, color=c, marker="o" if g else "x",
                   label=g if g else "other words", zorder=3)
        for i in idx:
            (dx, dy), ha = placed[i]
            ax.annotate(trace.vocab[i], (xy[i, 0], xy[i, 1]), xytext=(dx, dy), textcoords="offset points", ha=ha,
                        fontsize=9 if g else 8, color=c if g else OKABE_ITO["black"], alpha=1 if g else 0.7)
    r = trace.explained_variance_ratio
    ax.set_xlabel(f"PC1 ({fmt(100 * r[0])}% of the variance)")
    ax.set_ylabel(f"PC2 ({fmt(100 * r[1])}% of the variance)")
    pad = 0.08 * span
    ax.set_xlim(xy[:, 0].min() - pad, xy[:, 0].max() + 2 * pad)
    ax.set_ylim(xy[:, 1].min() - pad, xy[:, 1].max() + pad)
    ax.axhline(0, color=OKABE_ITO["grey"], lw=0.5)
    ax.axvline(0, color=OKABE_ITO["grey"], lw=0.5)
    ax.grid(alpha=0.25)
    ax.legend(fontsize=9, loc="best")
    acc = "" if trace.neighbour_accuracy is None else f"; nearest neighbour in the same group: {fmt(100 * trace.neighbour_accuracy)}%"
    ax.set_title(f"learned vectors v_w (d = {trace.settings['dim']}) projected on 2 principal components{acc}",
                 fontsize=10)


def _loss(ax, trace) -> None:
    epochs = list(range(0, len(trace.loss) + 1))
    ax.plot(epochs, [trace.loss_init, *trace.loss], color=OKABE_ITO["blue"], marker="o", ms=2.5)
    ax.set_xlabel("epoch (0: initial weights)")
    ax.set_ylabel("mean loss per pair")
    ax.set_title("skip-gram negative-sampling loss", fontsize=10)
    ax.grid(alpha=0.25)


def figure(trace, title: str = ""):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 5.6), layout="constrained")
    ax_p, ax_l = fig.subplots(1, 2, width_ratios=[2.2, 1])
    _scatter(ax_p, trace)
    _loss(ax_l, trace)
    s = trace.settings
    fig.suptitle((title + ": " if title else "") + f"word2vec skip-gram, {len(trace.vocab)} words, "
                 f"{len(trace.tokens)}-word corpus (window {s['window']}, k = {s['negatives']}, {s['epochs']} epochs, "
                 f"{s['optimizer']}, seed {s['seed']})", fontsize=11)
    return fig
