"""GAN diagrams: ``gan`` (architecture with the losses) and ``gan-snapshot`` (one training step).

Views only: every number is a field of :class:`engines.gan.GANTrace` (settings, the last
snapshot, the per-step curves), formatted by ``gatelab.style.fmt``. Notation as in
``engines/gan.py``: D(x) = sigma(a(x)), x~ = G(z), L_D = -(log D(x) + log(1 - D(G(z)))),
minimax L_G = log(1 - D(G(z))), non-saturating L_G = -log D(G(z)).
"""
from __future__ import annotations

from typing import Any

import graphviz

from gatelab.engines.errors import InputError

from . import _draw as D
from ._draw import Style, esc, font, sym
from .lstm import _title


_LG = {"minimax": "log(1 \u2212 D(G(z)))", "non_saturating": "\u2212log D(G(z))"}
_LG_NAME = {"minimax": "minimax", "non_saturating": "non-saturating"}


def _box(title: str, rows: list[str], st: Style, *, size: int = 14) -> str:
    head = font(title, bold=True, size=size)
    body = "".join(f'<TR><TD ALIGN="CENTER">{r}</TD></TR>' for r in rows)
    return D.html_label(f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR><TD>{head}</TD></TR>{body}</TABLE>')


def _sizes(sizes: list[int]) -> str:
    return esc(" \u2192 ".join(str(n) for n in sizes))


def _v(a: Any, st: Style) -> str:
    vals = list(a) if hasattr(a, "__len__") else [a]
    return D.mono(st.num(vals[0]) if len(vals) == 1 else st.vec(vals), size=12)


def _node_attrs(st: Style, colour: str, *, shape: str = "box") -> dict:
    return dict(shape=shape, style="rounded,filled", fillcolor=st.bg, color=colour, penwidth="2.0", margin="0.12,0.06")


def _losses_legend(trace: Any, st: Style, used: set[str]) -> str:
    rows = [font(esc("min_G max_D V(D, G),  V = E_x[log D(x)] + E_z[log(1 \u2212 D(G(z)))]"), size=13),
            font(f"{sym('L', 'D')} = \u2212[log D(x) + log(1 \u2212 D(G(z)))]", size=13)]
    for loss in ("minimax", "non_saturating"):
        mark = "  \u25c0 this run" + ("s" if len(used) > 1 else "") if loss in used else ""
        rows.append(font(f"{sym('L', 'G')} ({_LG_NAME[loss]}) = {esc(_LG[loss])}{esc(mark)}", size=13,
                         bold=loss in used))
    rows.append(font(esc("D(x) = \u03c3(a(x)) = P(x is real); batch means over B real and B generated samples"),
                     color=st.muted, size=11))
    body = "".join(f'<TR><TD ALIGN="LEFT">{r}</TD></TR>' for r in rows)
    return f'<TABLE BORDER="0" CELLSPACING="1" CELLPADDING="2">{body}</TABLE>'


def build_arch(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    """z -> G -> x~ (fake); x (real) -> D <- x~; D -> D(x) / D(G(z)) -> the losses."""
    st = style
    tr = computed.trace
    s = tr.settings
    last = [r.snapshots[-1] for r in tr.runs]
    real_c, fake_c, g_c, d_c = D.role("real"), D.role("fake"), D.role("fake"), D.role("real")
    g = D.digraph("gan", st, rankdir="LR", nodesep="0.5", ranksep="0.6")
    title = _title(computed, f"GAN on {tr.data}")
    g.attr("graph", label=D.html_label('<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR><TD>'
                                       + font(esc(title), bold=True, size=16) + "</TD></TR><TR><TD>"
                                       + _losses_legend(tr, st, {r.loss for r in tr.runs}) + "</TD></TR></TABLE>"),
           labelloc="t", labeljust="c")

    z_rows = [font(esc(f"z ~ N(0, I), d_z = {s['z_dim']}"), size=12)]
    g.node("z", _box("noise z", z_rows, st), **_node_attrs(st, st.muted, shape="box"))
    g.node("G", _box("generator G", [_sizes([s["z_dim"], *s["g_hidden"], tr.dim]),
                                     font(esc(f"{s['g_act']} hidden, linear out"), size=11, color=st.muted),
                                     font("lr_G = " + st.num(s["lr_g"]), size=11)], st),
           **_node_attrs(st, g_c))
    fake_rows = [font("G(z)", size=12)]
    real_rows = [font(esc(tr.data), size=11, color=st.muted)]
    if st.key:
        for r, sn in zip(tr.runs, last):
            tag = f" ({_LG_NAME[r.loss]})" if len(tr.runs) > 1 else ""
            fake_rows.append(font(f"mean{esc(tag)} = " + _v(sn.mean_fake, st) + ", std = " + _v(sn.std_fake, st), size=12))
        real_rows.append(font("mean = " + _v(tr.mean_real, st) + ", std = " + _v(tr.std_real, st), size=12))
    g.node("fake", _box("fake x\u0303 = G(z)", fake_rows, st), **_node_attrs(st, fake_c))
    g.node("real", _box("real x ~ p_data", real_rows, st), **_node_attrs(st, real_c))
    g.node("D", _box("discriminator D", [_sizes([tr.dim, *s["d_hidden"], 1]),
                                         font(esc(f"{s['d_act']} hidden, \u03c3 out"), size=11, color=st.muted),
                                         font("lr_D = " + st.num(s["lr_d"]) + esc(f", k = {s['d_steps']} D steps per G step"), size=11)], st),
           **_node_attrs(st, d_c))
    out_rows = []
    if st.key:
        for r, sn in zip(tr.runs, last):
            tag = f"{_LG_NAME[r.loss]}, " if len(tr.runs) > 1 else ""
            out_rows.append(font(f"{esc(tag)}step {sn.step}: mean D(x) = " + _v(sn.d_real, st)
                                 + ", mean D(G(z)) = " + _v(sn.d_fake, st), size=12))
    g.node("Dout", _box("D(\u00b7) = P(real)", out_rows, st), **_node_attrs(st, st.fg))
    loss_rows = []
    for r, sn in zip(tr.runs, last):
        tag = f" [{_LG_NAME[r.loss]}]" if len(tr.runs) > 1 else ""
        row = f"{sym('L', 'D')} = " + (_v(sn.loss_d, st) if st.key else "\u2026")
        row += f",  {sym('L', 'G')} = {esc(_LG[r.loss])}" + (" = " + _v(sn.loss_g, st) if st.key else "") + esc(tag)
        loss_rows.append(font(row, size=12))
    g.node("loss", _box("losses", loss_rows, st), **_node_attrs(st, D.role("gradient")))
    g.edge("z", "G", color=st.muted)
    g.edge("G", "fake", color=g_c, penwidth="2")
    g.edge("fake", "D", label=D.edge_label("B fake", st, size=11), color=fake_c, penwidth="2")
    g.edge("real", "D", label=D.edge_label("B real", st, size=11), color=real_c, penwidth="2")
    g.edge("D", "Dout", color=d_c, penwidth="2")
    g.edge("Dout", "loss", color=st.fg)
    g.edge("loss", "D", label=D.edge_label("\u2207 L_D: update D", st, size=11, color=D.role("gradient")),
           color=D.role("gradient"), style="dashed", constraint="false")
    g.edge("loss", "G", label=D.edge_label("\u2207 L_G through D (frozen): update G", st, size=11,
                                           color=D.role("gradient")),
           color=D.role("gradient"), style="dashed", constraint="false")
    with g.subgraph(name="rank_in") as r:
        r.attr(rank="same")
        r.node("fake")
        r.node("real")
    return g


def build_snapshot(computed: Any, *, style: Style, opts: dict[str, Any]) -> graphviz.Digraph:
    """The numbers of one training iteration t (``--step t``, default the last), for each run."""
    st = style
    tr = computed.trace
    T = len(tr.runs[0].curves.loss_d)
    t = opts.get("step")
    t = T if t is None else int(t)
    if not 1 <= t <= T:
        raise InputError(f"--step {t} is outside the training run; expected 1..{T} (generator steps)")
    s = tr.settings
    g = D.digraph("gan_snapshot", st, rankdir="LR", nodesep="0.45", ranksep="0.55")
    head = font(esc(_title(computed, f"GAN training step {t} of {T}: {s['d_steps']} D step(s) on B = "
                                     f"{s['batch_size']} real + {s['batch_size']} fake, then one G step")), bold=True, size=15)
    notes = font(esc("values of the training batch at this step, before the updates (the D values are those of "
                     "its last D step); \u2016\u2207\u2016 = Euclidean norm of the gradient over all D (resp. G) weights"),
                 size=11, color=st.muted)
    g.attr("graph", label=D.html_label(f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR><TD>{head}</TD></TR>'
                                       f"<TR><TD>{notes}</TD></TR></TABLE>"), labelloc="t", labeljust="c")
    grad = D.role("gradient")
    for i, run in enumerate(tr.runs):
        c = run.curves
        k = t - 1
        p = f"r{i}_"
        sub = graphviz.Digraph(name=f"cluster_{i}")
        sub.attr(label=D.html_label(font(esc(f"G loss: {_LG_NAME[run.loss]}  L_G = {_LG[run.loss]}"), bold=True, size=14)),
                 color=st.muted, fontcolor=st.fg, style="rounded", labeljust="l")
        sub.node(p + "real", _box("real batch", [font("mean x = " + _v(c.real_mean[k], st), size=12)], st),
                 **_node_attrs(st, D.role("real")))
        sub.node(p + "fake", _box("fake batch G(z)", [font("mean G(z) = " + _v(c.fake_mean[k], st), size=12)], st),
                 **_node_attrs(st, D.role("fake")))
        sub.node(p + "D", _box("D", [font("mean D(x) = " + _v(c.d_real[k], st), size=12),
                                     font("mean D(G(z)) = " + _v(c.d_fake[k], st), size=12)], st),
                 **_node_attrs(st, st.fg))
        sub.node(p + "LD", _box(f"{sym('L', 'D')} = " + _v(c.loss_d[k], st),
                                [font(esc("\u2212[log D(x) + log(1 \u2212 D(G(z)))]"), size=11, color=st.muted),
                                 font(f"\u2016\u2207{sym('L', 'D')}\u2016 = " + _v(c.grad_d[k], st), size=12, color=grad)], st),
                 **_node_attrs(st, grad))
        sub.node(p + "LG", _box(f"{sym('L', 'G')} = " + _v(c.loss_g[k], st),
                                [font(esc(_LG[run.loss]), size=11, color=st.muted),
                                 font(f"\u2016\u2207{sym('L', 'G')}\u2016 = " + _v(c.grad_g[k], st), size=12, color=grad)], st),
                 **_node_attrs(st, grad))
        sub.edge(p + "real", p + "D", color=D.role("real"), penwidth="2")
        sub.edge(p + "fake", p + "D", color=D.role("fake"), penwidth="2")
        sub.edge(p + "D", p + "LD", color=st.fg)
        sub.edge(p + "D", p + "LG", color=st.fg)
        g.subgraph(sub)
    return g
