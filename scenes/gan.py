"""gan-training and gan-compare: a GAN learning, every number and curve from the engine's trace.

gan-training: the real and generated distributions over training (1-D: histograms on the
JS bins, the D(x) curve and the generator's transport z -> G(z) below the axis, as in
Goodfellow et al.'s figure 1; 2-D: points over the D(x) heatmap, with the image of the
fixed z grid), the losses and the JS divergence drawn as they evolve, and the step counter.

gan-compare: the two runs of a compare trace side by side (default preset gan-saturating:
minimax vs non-saturating from the same seed).

    manim -ql scenes/gan.py GANTrainingScene         # default preset gan-1d
    gatelab scene gan-training --preset gan-ring
    gatelab scene gan-compare                        # preset gan-saturating
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, UR, Arrow, Axes, DashedLine, Dot, FadeIn, Line, ReplacementTransform, Square,
                   VGroup, VMobject)
from manim.utils.color import ManimColor, interpolate_color

from gatelab.engines.errors import InputError
from gatelab.scenes.base import TraceScene

_LG = {"minimax": "log(1 − D(G(z)))", "non_saturating": "−log D(G(z))"}
_NAME = {"minimax": "minimax", "non_saturating": "non-saturating"}
N_DOTS = 160      # generated / real points drawn per 2-D snapshot
Z_EVERY = 4       # every 4th point of the 1-D z grid gets a transport arrow


class _DataPanel:
    """One run's data picture inside a box: built from a trace and a snapshot, redrawn per snapshot."""

    def __init__(self, scene: TraceScene, run, center, width: float, height: float):
        self.s, self.run, self.tr = scene, run, scene.trace
        self.dim = self.tr.dim
        e = self.tr.edges
        if self.dim == 1:
            top = float(max(np.max(self.tr.real_hist), 1e-9)) * 1.6
            self.top = top
            self.ax = Axes(x_range=[e[0, 0], e[0, -1], (e[0, -1] - e[0, 0]) / 4], y_range=[0, top, top / 2],
                           x_length=width, y_length=height * 0.72, tips=False,
                           axis_config={"color": scene.muted, "stroke_width": 2, "include_ticks": False})
            self.ax.move_to(center + np.array([0, height * 0.12, 0]))
            self.ax.y_axis.set_opacity(0)
            self.z_y = self.ax.c2p(e[0, 0], 0)[1] - height * 0.2
            zg = self.tr.z_grid[:, 0]
            self.z_line = Line(self._zx(zg[0]), self._zx(zg[-1]), color=scene.muted, stroke_width=2)
            self.z_lab = scene.text("z", size=18, color=scene.muted).next_to(self.z_line, LEFT, buff=0.12)
            self.x_lab = scene.text("x", size=18, color=scene.muted).next_to(self.ax.x_axis, LEFT, buff=0.12)
            self.real = self._steps(self.tr.real_hist, scene.role("real"), 4)
            self.half = DashedLine(self.ax.c2p(e[0, 0], top / 2), self.ax.c2p(e[0, -1], top / 2),
                                   color=scene.muted, stroke_width=1.5, dash_length=0.08)
            self.half_lab = scene.text("D = ½", size=14, color=scene.muted).next_to(self.half, RIGHT, buff=0.08)
            self.static = VGroup(self.ax, self.z_line, self.z_lab, self.x_lab, self.real, self.half, self.half_lab)
        else:
            lo, hi = e[:, 0], e[:, -1]
            side = min(width, height)
            self.ax = Axes(x_range=[lo[0], hi[0], (hi[0] - lo[0]) / 2], y_range=[lo[1], hi[1], (hi[1] - lo[1]) / 2],
                           x_length=side, y_length=side, tips=False,
                           axis_config={"color": scene.muted, "stroke_width": 1.5, "include_ticks": False})
            self.ax.move_to(center)
            self.side = side
            real = self.tr.real[:N_DOTS]
            self.real = VGroup(*[Dot(self.ax.c2p(*p), radius=0.028, color=scene.role("real")) for p in real])
            self.heat = self._heat_cells()
            self.static = VGroup(self.heat, self.ax, self.real)

    # -- 1-D pieces
    def _zx(self, z: float):
        zg = self.tr.z_grid[:, 0]
        x0, x1 = self.ax.c2p(self.tr.edges[0, 0], 0)[0], self.ax.c2p(self.tr.edges[0, -1], 0)[0]
        mid, half = (x0 + x1) / 2, (x1 - x0) * 0.35
        return np.array([mid + half * z / max(abs(zg[0]), abs(zg[-1])), self.z_y, 0])

    def _clip_x(self, x: float) -> float:
        return float(min(max(x, self.tr.edges[0, 0]), self.tr.edges[0, -1]))

    def _steps(self, shares, colour, width) -> VMobject:
        e = self.tr.edges[0]
        pts = []
        for k, v in enumerate(shares):
            y = min(float(v), self.top)
            pts += [self.ax.c2p(e[k], y), self.ax.c2p(e[k + 1], y)]
        m = VMobject(stroke_color=colour, stroke_width=width)
        m.set_points_as_corners([self.ax.c2p(e[0], 0), *pts, self.ax.c2p(e[-1], 0)])
        return m

    def _d_curve(self, snap) -> VMobject:
        g = self.tr.grid[0]
        m = VMobject(stroke_color=self.s.role("gradient"), stroke_width=3)
        m.set_points_as_corners([self.ax.c2p(x, d * self.top) for x, d in zip(g, snap.d_grid)])
        return m

    # -- 2-D pieces
    def _heat_cells(self) -> VGroup:
        """Squares at every other point of the D(x) grid (ImageMobject does not render with this PIL)."""
        gx, gy = self.tr.grid[0][::2], self.tr.grid[1][::2]
        w = abs(self.ax.c2p(gx[1], gy[0])[0] - self.ax.c2p(gx[0], gy[0])[0])
        cells = VGroup()
        for y in gy:
            for x in gx:
                cells.add(Square(side_length=w, stroke_width=0, fill_opacity=0.5).move_to(self.ax.c2p(x, y)))
        return cells

    def recolor(self, snap) -> None:
        """Fill the heat cells with D(x): orange (fake, 0) -> background (1/2) -> blue (real, 1)."""
        lo, hi = ManimColor(self.s.role("fake")), ManimColor(self.s.role("real"))
        mid = self.s.camera.background_color
        for cell, d in zip(self.heat, np.asarray(snap.d_grid)[::2, ::2].ravel()):
            c = interpolate_color(lo, mid, d / 0.5) if d < 0.5 else interpolate_color(mid, hi, (d - 0.5) / 0.5)
            cell.set_fill(c, opacity=0.6)

    def _zmesh(self, snap) -> VGroup:
        n = int(round(np.sqrt(len(snap.z_map))))
        pts = np.asarray(snap.z_map).reshape(n, n, 2)
        lo, hi = self.tr.edges[:, 0], self.tr.edges[:, -1]
        pts = np.clip(pts, lo, hi)
        lines = VGroup()
        for k in range(n):
            for seq in (pts[k], pts[:, k]):
                m = VMobject(stroke_color=self.s.role("fake"), stroke_width=1.2, stroke_opacity=0.6)
                m.set_points_as_corners([self.ax.c2p(*p) for p in seq])
                lines.add(m)
        return lines

    def dynamic(self, snap):
        """What changes between snapshots: (morph, swap). ``morph`` keeps the same structure from snapshot
        to snapshot (cheap to Transform), ``swap`` is replaced outright; 2-D also recolours the D(x) cells."""
        if self.dim == 1:
            arrows = VGroup()
            for z, gz in list(zip(self.tr.z_grid[:, 0], snap.z_map[:, 0]))[::Z_EVERY]:
                arrows.add(Arrow(self._zx(z), self.ax.c2p(self._clip_x(gz), 0), buff=0, stroke_width=1.5,
                                 max_tip_length_to_length_ratio=0.04, tip_length=0.12, color=self.s.role("fake")))
            return VGroup(self._steps(snap.fake_hist, self.s.role("fake"), 4), self._d_curve(snap)), arrows
        fake = [np.clip(p, self.tr.edges[:, 0], self.tr.edges[:, -1]) for p in snap.fake[:N_DOTS]]
        dots = VGroup(*[Dot(self.ax.c2p(*p), radius=0.03, color=self.s.role("fake")) for p in fake])
        self.recolor(snap)
        return VGroup(self._zmesh(snap), dots), VGroup()


class _Curve:
    """A curve over training (value at each snapshot) on small axes, extended snapshot by snapshot."""

    def __init__(self, scene: TraceScene, steps, series, colours, labels, y_range, center, width, height, title,
                 label_sources=None):
        self.s = scene
        self.steps, self.series, self.colours = list(steps), series, colours
        self.ax = Axes(x_range=[0, max(self.steps[-1], 1), max(self.steps[-1], 1)], y_range=y_range,
                       x_length=width, y_length=height, tips=False,
                       axis_config={"color": scene.muted, "stroke_width": 1.5, "include_ticks": False})
        self.ax.move_to(center)
        self.title = scene.text(title, size=16, color=scene.muted).next_to(self.ax, UP, buff=0.08)
        keys = VGroup(*[scene.text(lab, size=14, color=c, source=src)
                        for lab, c, src in zip(labels, colours, label_sources or [None] * len(labels))])
        keys.arrange(RIGHT, buff=0.25).next_to(self.ax, DOWN, buff=0.08)
        self.static = VGroup(self.ax, self.title, keys)
        self.lines = VGroup()

    def upto(self, k: int) -> VGroup:
        lo, hi = self.ax.y_range[0], self.ax.y_range[1]
        out = VGroup()
        for vals, c in zip(self.series, self.colours):
            pts = [self.ax.c2p(self.steps[j], min(max(float(vals[j]), lo), hi)) for j in range(k + 1)]
            m = VMobject(stroke_color=c, stroke_width=2.5)
            m.set_points_as_corners(pts if len(pts) > 1 else [pts[0], pts[0]])
            out.add(m)
        return out


class _GANScene(TraceScene):
    def caption(self, s, hold: float = 0.0, source=None) -> None:
        """TraceScene.caption, also logged in ``self.shown`` (captions are flat paths, not Text);
        ``source``: the trace values its numbers show (see :func:`scenes.mobjects.tag`)."""
        if s:
            self.__dict__.setdefault("shown", []).append(("caption", s, tuple(source) if source else None))
        super().caption(s, hold)

    def title(self, s: str, sub: str | None = None):
        log = self.__dict__.setdefault("shown", [])
        log += [("caption", s, None)] + ([("caption", sub, None)] if sub else [])
        return super().title(s, sub)

    @staticmethod
    def at(path: str, values=None) -> list[tuple]:
        """Sources of the trace value at ``path`` (``runs.0.final.js``), one per entry of a printed vector."""
        return [(path, None, None)] if values is None else [(path, None, k) for k in range(np.size(values))]


class GANTrainingScene(_GANScene):
    model = "gan"
    preset = "gan-1d"

    # ------------------------------------------------------------------ script
    def construct(self) -> None:
        self.intro()
        self.show_start()
        self.train()
        self.conclude()

    # ------------------------------------------------------------------ beats
    def intro(self) -> None:
        tr = self.trace
        self.run_ = tr.runs[0]
        s = tr.settings
        self.title(f"GAN training on {tr.data}",
                   f"L_G = {_LG[self.run_.loss]} ({_NAME[self.run_.loss]}), {s['optimizer']}")
        self.add(self.provenance().to_corner(UR, buff=0.12).shift(0.95 * DOWN))
        self.panel = _DataPanel(self, self.run_, np.array([-2.9, -0.35, 0]), 7.2, 5.6)
        self.play(FadeIn(self.panel.static), run_time=0.8)
        snaps = self.run_.snapshots
        steps = [sn.step for sn in snaps]
        losses = [sn.loss_d for sn in snaps] + [sn.loss_g for sn in snaps]
        lo, hi = min(losses), max(losses)
        pad = 0.1 * (hi - lo) if hi > lo else 0.5
        self.loss_curve = _Curve(self, steps, [[sn.loss_d for sn in snaps], [sn.loss_g for sn in snaps]],
                                 [self.role("gradient"), self.role("input")], ["L_D", "L_G"],
                                 [lo - pad, hi + pad, (hi - lo + 2 * pad)], np.array([4.1, 0.05, 0]), 4.6, 1.45,
                                 "losses on the evaluation set")
        self.js_curve = _Curve(self, steps, [[sn.js for sn in snaps]], [self.role("output")],
                               [f"JS (bits); two real samples: {self.num(tr.js_floor)}"], [0, 1, 1],
                               np.array([4.1, -2.25, 0]), 4.6, 1.35, "JS(real, generated)",
                               label_sources=[self.at("js_floor")])
        self.play(FadeIn(self.loss_curve.static), FadeIn(self.js_curve.static), run_time=0.6)
        if tr.dim == 2:
            key = VGroup(self.text("background: D(x) from", size=15, color=self.muted),
                         self.text("0 (fake)", size=15, color=self.role("fake")),
                         self.text("to 1 (real)", size=15, color=self.role("real"))).arrange(RIGHT, buff=0.1)
            self.add(key.next_to(np.array([1.95, 1.55, 0]), RIGHT, buff=0))
        if tr.dim == 1:
            self.caption("Blue: the real data's histogram. Orange: the generator's. Red: D(x), the probability 'real'.",
                         hold=1.2)
        else:
            self.caption("Blue: real points. Orange: generated points and the image of a z grid. Background: D(x).",
                         hold=1.2)

    def show_start(self) -> None:
        sn = self.run_.snapshots[0]
        self.dyn, self.swap = self.panel.dynamic(sn)
        self.counter = self.stats(0)
        adds = [FadeIn(self.dyn), FadeIn(self.swap), FadeIn(self.counter)]
        self.curves = VGroup(self.loss_curve.upto(0), self.js_curve.upto(0))
        self.play(*adds, FadeIn(self.curves), run_time=0.8)
        self.caption(f"Step 0: the untrained G puts its samples at mean {self.vec(sn.mean_fake)}; "
                     f"the data's mean is {self.vec(self.trace.mean_real)}.", hold=1.5,
                     source=self.at("runs.0.snapshots.0.step") + self.at("runs.0.snapshots.0.mean_fake", sn.mean_fake)
                     + self.at("mean_real", self.trace.mean_real))
        self.caption("Each step: D learns to tell real from fake, then G follows D's gradient.", hold=1.0)

    def train(self) -> None:
        snaps = self.run_.snapshots
        for k in range(1, len(snaps)):
            self.advance(k)
        self.pause(1.0)

    def advance(self, k: int) -> None:
        sn = self.run_.snapshots[k]
        dyn, swap = self.panel.dynamic(sn)
        counter = self.stats(k)
        curves = VGroup(self.loss_curve.upto(k), self.js_curve.upto(k))
        self.remove(self.swap, self.counter, self.curves)
        self.add(swap, counter, curves)
        self.play(ReplacementTransform(self.dyn, dyn), run_time=0.45)
        self.dyn, self.swap, self.counter, self.curves = dyn, swap, counter, curves

    def conclude(self) -> None:
        f = self.run_.final
        msg = (f"After {self.run_.snapshots[-1].step} steps: mean {self.vec(f.mean_fake)} vs {self.vec(f.mean_real)}, "
               f"std {self.vec(f.std_fake)} vs {self.vec(f.std_real)}, JS {self.num(f.js)} bits")
        src = self.at(f"runs.0.snapshots.{len(self.run_.snapshots) - 1}.step")
        src += sum((self.at(f"runs.0.final.{k}", getattr(f, k)) for k in ("mean_fake", "mean_real", "std_fake", "std_real")),
                   []) + self.at("runs.0.final.js")
        if f.n_modes is not None:
            msg += f", {f.modes_covered} of {f.n_modes} modes"
            src += self.at("runs.0.final.modes_covered") + self.at("runs.0.final.n_modes")
        self.caption(msg + ".", hold=2.5, source=src)

    # ------------------------------------------------------------------ helpers
    def vec(self, v) -> str:
        v = np.ravel(v)
        return self.num(v[0]) if v.size == 1 else "(" + ", ".join(self.num(x) for x in v) + ")"

    def stats(self, k: int) -> VGroup:
        """The counter and D's means at snapshot ``k``."""
        sn, snap = self.run_.snapshots[k], f"runs.0.snapshots.{k}"
        rows = [f"step {sn.step} / {self.run_.snapshots[-1].step}",
                f"mean D(x) = {self.num(sn.d_real)}",
                f"mean D(G(z)) = {self.num(sn.d_fake)}"]
        src = self.at(f"{snap}.step") + self.at(f"runs.0.snapshots.{len(self.run_.snapshots) - 1}.step")
        if sn.modes_covered is not None:
            rows[0] += f",  modes: {sn.modes_covered} of {len(sn.mode_counts)}"
            src += self.at(f"{snap}.modes_covered") + [(f"{snap}.mode_counts", None, "columns")]
        g = self.text("\n".join(rows), size=17, source=src + self.at(f"{snap}.d_real") + self.at(f"{snap}.d_fake"))
        return g.next_to(np.array([1.95, 2.5, 0]), DOWN + RIGHT, buff=0)


class GANCompareScene(_GANScene):
    """The two runs of a compare trace side by side, snapshot by snapshot."""
    model = "gan"
    preset = "gan-saturating"

    def construct(self) -> None:
        tr = self.trace
        if len(tr.runs) != 2:
            raise InputError("gan-compare needs a trace with two runs: use --preset gan-saturating or --compare-loss")
        self.title("Same seed, two generator losses",
                   f"{tr.data}; {tr.settings['optimizer']}, {tr.settings['train_steps']} generator steps")
        self.add(self.provenance())   # bottom-right corner: the top holds two title lines here
        self.panels = [_DataPanel(self, run, np.array([x - 0.2, -0.2, 0]), 5.3, 4.4) for run, x in zip(tr.runs, (-3.5, 3.5))]
        heads = VGroup()
        for run, x in zip(tr.runs, (-3.5, 3.5)):
            heads.add(self.text(f"{_NAME[run.loss]}: L_G = {_LG[run.loss]}", size=22).move_to([x, 2.35, 0]))
        self.play(FadeIn(heads), *[FadeIn(p.static) for p in self.panels], run_time=0.8)
        self.show(0)
        self.caption("Both generators start from the same weights and see the same batches.", hold=1.5)
        for k in range(1, len(tr.runs[0].snapshots)):
            self.show(k)
        self.pause(1.0)
        a, b = tr.runs
        last = len(a.snapshots) - 1
        self.caption(f"{_NAME[a.loss]}: JS {self.num(a.final.js)} bits, mean D(G(z)) {self.num(a.snapshots[-1].d_fake)}.  "
                     f"{_NAME[b.loss]}: JS {self.num(b.final.js)} bits, mean D(G(z)) {self.num(b.snapshots[-1].d_fake)}.",
                     hold=2.5, source=[(p, None, None) for r in (0, 1)
                                       for p in (f"runs.{r}.final.js", f"runs.{r}.snapshots.{last}.d_fake")])
        if "minimax" in (a.loss, b.loss):
            mm = a if a.loss == "minimax" else b
            T = len(mm.curves.grad_g)
            self.caption(f"Minimax: when D(G(z)) ≈ 0 the gradient −D(G(z))/B vanishes; ‖∇L_G‖ fell from "
                         f"{self.num(mm.curves.grad_g[0])} to {self.num(mm.curves.grad_g[T - 1])}.", hold=2.5)

    def show(self, k: int) -> None:
        dyns, swaps, stats = VGroup(), VGroup(), VGroup()
        for r, (p, x) in enumerate(zip(self.panels, (-3.5, 3.5))):
            sn = p.run.snapshots[k]
            d, sw = p.dynamic(sn)
            dyns.add(d)
            swaps.add(sw)
            stats.add(self.text(f"step {sn.step}: JS = {self.num(sn.js)} bits, mean D(G(z)) = {self.num(sn.d_fake)}",
                                size=17, color=self.muted,
                                source=[(f"runs.{r}.snapshots.{k}.{f}", None, None) for f in ("step", "js", "d_fake")])
                      .move_to([x, -2.95, 0]))
        if k == 0:
            self.play(FadeIn(dyns), FadeIn(swaps), FadeIn(stats), run_time=0.8)
        else:
            self.remove(self.swaps, self.stats_)
            self.add(swaps, stats)
            self.play(ReplacementTransform(self.dyns, dyns), run_time=0.45)
        self.dyns, self.swaps, self.stats_ = dyns, swaps, stats
