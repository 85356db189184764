"""gan-training and gan-compare: a GAN learning, every number and curve from the engine's trace.

gan-training: the real and generated distributions over training (1-D: histograms on the
JS bins, the D(x) curve and the generator's transport z -> G(z) below the axis, as in
Goodfellow et al.'s figure 1; 2-D: points over the D(x) heatmap, with the image of the
fixed z grid), the losses and the JS divergence drawn as they evolve, and the step counter.

gan-compare: two runs side by side: two traces (scene options --left/--right name their presets,
default gan-ring, healthy, vs gan-mode-collapse), or the two runs of one compare trace
(--preset gan-saturating: minimax vs non-saturating from the same seed).

2-D panels draw D(x) as a smooth image of the trace's fine grid (``snapshot.d_image``, see
scenes/gan_image.py for the colour map and its bar); axes of the curves carry tick values
("scale" labels: positions on an axis, not trace values).

    manim -ql scenes/gan.py GANTrainingScene         # default preset gan-1d
    gatelab scene gan-training --preset gan-ring
    gatelab scene gan-compare                        # gan-ring vs gan-mode-collapse
    gatelab scene gan-compare --left gan-1d --right gan-oscillation
    gatelab scene gan-compare --preset gan-saturating  # minimax vs non-saturating, one trace
"""
from __future__ import annotations

import numpy as np
from types import SimpleNamespace

from manim import (DOWN, LEFT, RIGHT, UP, UR, Arrow, Axes, DashedLine, Dot, FadeIn, Group, Line, ReplacementTransform,
                   VGroup, VMobject)
from manim.utils.color import ManimColor

from gatelab.engines.errors import InputError
from gatelab.scenes.base import TraceScene
from gatelab.scenes.gan_image import ImageCamera, colour_bar, d_image, scale_text

_LG = {"minimax": "log(1 − D(G(z)))", "non_saturating": "−log D(G(z))"}
_NAME = {"minimax": "minimax", "non_saturating": "non-saturating"}
N_DOTS = 160      # generated / real points drawn per 2-D snapshot
Z_EVERY = 4       # every 4th point of the 1-D z grid gets a transport arrow


class _DataPanel:
    """One run's data picture inside a box: built from a trace and a snapshot, redrawn per snapshot."""

    def __init__(self, scene: TraceScene, run, center, width: float, height: float, trace=None):
        self.s, self.run, self.tr = scene, run, trace if trace is not None else scene.trace
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
            self.static = VGroup(self.ax, self.real)

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
    def heat(self, snap):
        """D(x) as a smooth image over the axes' window: the fine grid when the trace has it, else the coarse one.
        Both grids span the same window as the axes (the engine's ``edges``), so pixel centres line up."""
        d = snap.d_image if snap.d_image is not None else snap.d_grid
        x0, y0 = self.ax.c2p(self.tr.edges[0, 0], self.tr.edges[1, 0])[:2]
        x1, y1 = self.ax.c2p(self.tr.edges[0, -1], self.tr.edges[1, -1])[:2]
        im = d_image(d, self.s, x1 - x0, y1 - y0)
        return im.move_to([(x0 + x1) / 2, (y0 + y1) / 2, 0])

    def _zmesh(self, snap) -> VGroup:
        """G of the z grid as a deformed grid: lines of constant z_2 in one shade, of constant z_1 in another,
        brighter towards the centre of the z grid; segments wholly outside the window are left out."""
        n = int(round(np.sqrt(len(snap.z_map))))
        pts = np.asarray(snap.z_map).reshape(n, n, 2)  # [z_2 index, z_1 index, 2]
        lo, hi = self.tr.edges[:, 0], self.tr.edges[:, -1]
        inside = np.all((pts >= lo) & (pts <= hi), axis=-1)  # [n, n]
        pts = np.clip(pts, lo, hi)
        c_row, c_col = ManimColor(self.s.role("fake")), ManimColor(self.s.role("output"))
        lines = VGroup()
        for k in range(n):
            w = 1.0 - abs(k - (n - 1) / 2) / ((n - 1) / 2)  # 1 at the centre line, 0 at the border
            for seq, ok, c in ((pts[k], inside[k], c_row), (pts[:, k], inside[:, k], c_col)):
                for j in range(n - 1):
                    if not (ok[j] or ok[j + 1]):
                        continue
                    m = Line(self.ax.c2p(*seq[j]), self.ax.c2p(*seq[j + 1]), stroke_width=0.8 + 1.2 * w,
                             stroke_opacity=0.35 + 0.5 * w, color=c)
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
        return VGroup(self._zmesh(snap), dots), Group(self.heat(snap))


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
        ticks = self._ticks(y_range)
        keys = VGroup(*[scene.text(lab, size=14, color=c, source=src)
                        for lab, c, src in zip(labels, colours, label_sources or [None] * len(labels))])
        keys.arrange(RIGHT, buff=0.25).next_to(ticks, DOWN, buff=0.06)
        self.static = VGroup(self.ax, self.title, ticks, keys)
        self.lines = VGroup()

    def _ticks(self, y_range) -> VGroup:
        """Tick marks and values: y at the bottom, middle and top of the range, x at 0 and the last step
        (positions on the axes, tagged "scale"), and the x axis' name."""
        s, out = self.s, VGroup()
        lo, hi = y_range[0], y_range[1]
        for v in (lo, (lo + hi) / 2, hi):
            p = self.ax.c2p(0, v)
            out.add(Line(p, p + 0.08 * LEFT, color=s.muted, stroke_width=1.5))
            out.add(scale_text(s, s.num(v, 2), 12, s.muted).next_to(p + 0.08 * LEFT, LEFT, buff=0.05))
        T = self.ax.x_range[1]
        for v in (0, T):
            p = self.ax.c2p(v, lo)
            out.add(Line(p, p + 0.08 * DOWN, color=s.muted, stroke_width=1.5))
            out.add(scale_text(s, str(int(v)), 12, s.muted).next_to(p + 0.08 * DOWN, DOWN, buff=0.04))
        out.add(s.text("generator step", size=12, color=s.muted).next_to(self.ax.c2p(T / 2, lo), DOWN, buff=0.14))
        return out

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
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("camera_class", ImageCamera)   # draws the D(x) images (see scenes/gan_image.py)
        super().__init__(*args, **kwargs)

    def neutral(self) -> ManimColor:
        """The colour of D(x) = 1/2 in the D(x) images: the muted grey, distinct from the background."""
        return self.muted

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
    beats = ("intro", "show_start", "train", "conclude")   # construct()'s paragraphs: one slide each

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
                                 [lo - pad, hi + pad, (hi - lo + 2 * pad)], np.array([4.3, -0.1, 0]), 4.3, 1.0,
                                 "losses on the evaluation set (nats)")
        self.js_curve = _Curve(self, steps, [[sn.js for sn in snaps]], [self.role("output")],
                               [f"JS (bits); two real samples: {self.num(tr.js_floor)}"], [0, 1, 1],
                               np.array([4.3, -2.05, 0]), 4.3, 0.9, "JS(real, generated) (bits)",
                               label_sources=[self.at("js_floor")])
        self.play(FadeIn(self.loss_curve.static), FadeIn(self.js_curve.static), run_time=0.6)
        if tr.dim == 2:
            self.add(colour_bar(self, width=3.2).move_to([4.3, 1.2, 0]))
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
        o = self.run_.oscillation
        if o is not None and o.oscillating:
            self.caption(f"It does not settle: mean D(G(z)) cycles with period {self.num(o.period_acf)} steps "
                         f"and amplitude {self.num(o.amplitude)} (late/early amplitude {self.num(o.growth)}).", hold=2.5,
                         source=[(f"runs.0.oscillation.{k}", None, None) for k in ("period_acf", "amplitude", "growth")])

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
    """Two runs side by side, snapshot by snapshot: two traces (``left``/``right``) or one trace's two runs."""
    model = "gan"
    preset = "gan-ring"
    X = (-3.5, 3.5)

    beats = ("pick_runs", "show_heads", "show", "verdict")   # construct()'s paragraphs: one slide each

    def construct(self) -> None:
        self.pick_runs()
        self.show_heads()
        self.show(0)
        self.caption(self.opening, hold=1.5)
        for k in range(1, self.n_snaps):
            self.show(k)
        self.pause(1.0)
        self.verdict()

    # ------------------------------------------------------------------ beats
    def pick_runs(self) -> None:
        """``self.sides``: (trace, run, source prefix, heading) for the left and the right panel."""
        results = getattr(self, "results", None)
        if results and set(results) == {"left", "right"}:
            self.trace = SimpleNamespace(left=results["left"].trace, right=results["right"].trace)
            self.sides = [(results[k].trace, results[k].trace.runs[0], f"{k}.runs.0",
                           f"{results[k].provenance.get('preset', k)}: {_NAME[results[k].trace.runs[0].loss]} L_G")
                          for k in ("left", "right")]
            self.opening = "Two recipes, trained by the same engine; every number below is read from its trace."
        else:
            tr = self.trace
            if len(tr.runs) != 2:
                raise InputError("gan-compare needs two traces (--left/--right presets) or a trace with two runs: "
                                 "use --preset gan-saturating or --compare-loss")
            self.sides = [(tr, run, f"runs.{r}", f"{_NAME[run.loss]}: L_G = {_LG[run.loss]}")
                          for r, run in enumerate(tr.runs)]
            self.opening = "Both generators start from the same weights and see the same batches."
        self.n_snaps = min(len(run.snapshots) for _, run, _, _ in self.sides)

    def show_heads(self) -> None:
        (ta, ra, _, _), (tb, rb, _, _) = self.sides
        if ta is tb:
            self.title("Same seed, two generator losses",
                       f"{ta.data}; {ta.settings['optimizer']}, {ta.settings['train_steps']} generator steps")
        else:
            same = ta.data == tb.data
            self.title("Two GAN runs side by side", ta.data if same else f"{ta.data}  |  {tb.data}")
        self.add(self.provenance())   # bottom-right corner: the top holds two title lines here
        self.panels = [_DataPanel(self, run, np.array([x * 1.03, -0.45, 0]), 5.0, 4.0, trace=tr)
                       for (tr, run, _, _), x in zip(self.sides, self.X)]
        heads = VGroup(*[self.text(head, size=22).move_to([x, 2.3, 0]) for (_, _, _, head), x in zip(self.sides, self.X)])
        for h in heads:
            if h.width > 6.4:
                h.scale_to_fit_width(6.4)
        extra = [FadeIn(colour_bar(self, width=2.5).move_to([0, -0.45, 0]))] if ta.dim == 2 else []
        self.play(FadeIn(heads), *[FadeIn(p.static) for p in self.panels], *extra, run_time=0.8)

    def provenance(self):
        """The corner note; with two traces it names both presets (left | right)."""
        results = getattr(self, "results", None)
        if not (results and set(results) == {"left", "right"}):
            return super().provenance()
        names = [results[k].provenance.get("preset", "?") for k in ("left", "right")]
        note = self.text(f"numbers: gan engine, presets {names[0]} | {names[1]}", size=14, color=self.muted)
        note.gatelab_source = "provenance"
        return note.to_corner(DOWN + RIGHT, buff=0.15)

    def verdict(self) -> None:
        (_, a, pa, _), (_, b, pb, _) = self.sides
        la, lb = len(a.snapshots) - 1, len(b.snapshots) - 1
        name = [_NAME[a.loss], _NAME[b.loss]] if a.loss != b.loss else ["left", "right"]
        self.caption(f"{name[0]}: JS {self.num(a.final.js)} bits, mean D(G(z)) {self.num(a.snapshots[-1].d_fake)}.  "
                     f"{name[1]}: JS {self.num(b.final.js)} bits, mean D(G(z)) {self.num(b.snapshots[-1].d_fake)}.",
                     hold=2.5, source=[(f"{pa}.final.js", None, None), (f"{pa}.snapshots.{la}.d_fake", None, None),
                                       (f"{pb}.final.js", None, None), (f"{pb}.snapshots.{lb}.d_fake", None, None)])
        if a.loss != b.loss and "minimax" in (a.loss, b.loss):
            mm = a if a.loss == "minimax" else b
            T = len(mm.curves.grad_g)
            self.caption(f"Minimax: when D(G(z)) ≈ 0 the gradient −D(G(z))/B vanishes; ‖∇L_G‖ fell from "
                         f"{self.num(mm.curves.grad_g[0])} to {self.num(mm.curves.grad_g[T - 1])}.", hold=2.5)
        for (_, run, pre, _), side in zip(self.sides, ("left", "right")):
            o = run.oscillation
            if o is not None and o.oscillating:
                self.caption(f"{side}: mean D(G(z)) cycles with period {self.num(o.period_acf)} steps, amplitude "
                             f"{self.num(o.amplitude)}: it does not settle.", hold=2.0,
                             source=[(f"{pre}.oscillation.period_acf", None, None),
                                     (f"{pre}.oscillation.amplitude", None, None)])

    def show(self, k: int) -> None:
        dyns, swaps, stats = VGroup(), Group(), VGroup()
        for p, (_, run, pre, _), x in zip(self.panels, self.sides, self.X):
            sn = run.snapshots[k]
            d, sw = p.dynamic(sn)
            dyns.add(d)
            swaps.add(sw)
            row = f"step {sn.step}: JS = {self.num(sn.js)} bits, mean D(G(z)) = {self.num(sn.d_fake)}"
            src = [(f"{pre}.snapshots.{k}.{f}", None, None) for f in ("step", "js", "d_fake")]
            if sn.modes_covered is not None:
                row += f", modes {sn.modes_covered} of {len(sn.mode_counts)}"
                src += [(f"{pre}.snapshots.{k}.modes_covered", None, None), (f"{pre}.snapshots.{k}.mode_counts", None, "columns")]
            stats.add(self.text(row, size=15, color=self.muted, source=src).move_to([x, 1.92, 0]))
        if k == 0:
            self.play(FadeIn(dyns), FadeIn(swaps), FadeIn(stats), run_time=0.8)
        else:
            self.remove(self.swaps, self.stats_)
            self.add(swaps, stats)
            self.play(ReplacementTransform(self.dyns, dyns), run_time=0.45)
        self.dyns, self.swaps, self.stats_ = dyns, swaps, stats
