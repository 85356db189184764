"""positional-encoding: the sinusoid bands, then one rotation M(k) taking PE(t) to PE(t+k).

Part 1: the T x d matrix PE (numbers printed), each column pair a sine/cosine of one
frequency omega_i, drawn as curves through the trace's points. Part 2: the first frequency
pair as points on the unit circle; the 2x2 block of the trace's M(k) turns PE(t) into
PE(t+k) for every t (the trace's max error printed).

    manim -ql scenes/positional.py PositionalEncodingScene
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Circle, Create, Dot, FadeIn, Line, TransformFromCopy, VGroup, VMobject)

from gatelab.scenes.base import TraceScene
from gatelab.scenes.mobjects import Heatmap, sub

CIRCLE_R = 2.0


class PositionalEncodingScene(TraceScene):
    model = "positional-encoding"
    preset = "positional-encoding"
    EQ_Y = -2.75

    beats = ("show_matrix", "show_curves", "rotation")   # construct()'s paragraphs: one slide each

    def construct(self) -> None:
        self.show_matrix()
        self.show_curves()
        if self.trace.rotations:
            self.rotation(self.trace.rotations[0])

    # ------------------------------------------------------------------ beats
    def show_matrix(self) -> None:
        tr = self.trace
        self.title("Sinusoidal positional encoding")
        self.add(self.provenance())
        d_shown = min(tr.d, 8)
        T_shown = min(tr.T, 10)
        cols = [f"{'sin' if j % 2 == 0 else 'cos'} ω{sub(j // 2)}" for j in range(d_shown)]
        rows = [f"t={t}" for t in range(T_shown)]
        cell = min(0.72, 5.6 / d_shown)
        hm = Heatmap(tr.pe[:T_shown, :d_shown], row_labels=rows, col_labels=cols, cell=cell,
                     cell_h=min(0.42, 3.9 / T_shown), vmax=1.0, digits=2, fg=self.fg, pos=self.role("output"),
                     neg=self.role("input"), font_size=15)
        hm.col_labels.set(font_size=13)
        for lab in hm.col_labels:
            if lab.width > cell * 0.95:
                lab.scale_to_fit_width(cell * 0.95)
        hm.move_to([-2.9, 0.15, 0])
        self.hm = hm
        self.play(FadeIn(hm.col_labels), FadeIn(hm.row_labels), run_time=0.8)
        for r in range(T_shown):
            self.play(FadeIn(hm.row(r)), run_time=0.3)
        self.show_eq("PE_{t,2i} = \\sin(t\\,\\omega_i),\\quad PE_{t,2i+1} = \\cos(t\\,\\omega_i),\\quad"
                     " \\omega_i = 10000^{-2i/d}")
        om = ", ".join(self.num(w) for w in tr.omega[:4])
        self.caption(f"One frequency per column pair: ω = {om}{', …' if tr.omega.size > 4 else ''}", hold=2.0)

    def show_curves(self) -> None:
        tr = self.trace
        T = tr.T
        x0, x1, y0, yh = 1.0, 6.3, 0.4, 1.1
        axis = Line([x0, y0, 0], [x1, y0, 0], color=self.muted, stroke_width=1.5)
        pts = lambda col: [np.array([x0 + (x1 - x0) * t / max(T - 1, 1), y0 + yh * tr.pe[t, col], 0]) for t in range(T)]
        curves = VGroup()
        colours = [self.role("output"), self.role("candidate"), self.role("input"), self.role("cell")]
        for j, col in enumerate(range(0, min(tr.d, 8), 2)):
            line = VMobject(stroke_color=colours[j % 4], stroke_width=3).set_points_as_corners(pts(col))
            dots = VGroup(*[Dot(p, radius=0.04, color=colours[j % 4]) for p in pts(col)])
            curves.add(VGroup(line, dots))
        keys = VGroup(*[self.text(f"sin ω{sub(j)}  (λ = {self.num(tr.wavelength[j])})", size=16, color=colours[j % 4])
                        for j in range(len(curves))]).arrange(DOWN, aligned_edge=LEFT, buff=0.08)
        keys.next_to(axis, DOWN, buff=1.35).align_to(axis, LEFT)
        t_lab = self.text("position t →", size=16, color=self.muted).next_to(axis, DOWN, buff=yh + 0.1)
        t_lab.align_to(axis, RIGHT)
        self.play(Create(axis), FadeIn(t_lab))
        for c, k in zip(curves, keys):
            self.play(Create(c[0]), FadeIn(c[1]), FadeIn(k), run_time=0.9)
        self.caption("Fast columns tell neighbours apart; slow ones change little over the sequence.", hold=2.5)

    def rotation(self, rot) -> None:
        tr = self.trace
        k = int(rot.k)
        self.clear_all()
        self.title(f"A fixed rotation M({k}) maps PE(t) to PE(t + {k})")
        self.add(self.provenance())
        centre = np.array([-3.6, 0.1, 0])
        circle = Circle(radius=CIRCLE_R, color=self.muted, stroke_width=2).move_to(centre)
        axes = VGroup(Line(centre + LEFT * 2.3, centre + RIGHT * 2.3, color=self.muted, stroke_width=1),
                      Line(centre + DOWN * 2.3, centre + UP * 2.3, color=self.muted, stroke_width=1))
        ax_l = VGroup(self.text("sin", size=16, color=self.muted).next_to(axes[0], RIGHT, buff=0.05),
                      self.text("cos", size=16, color=self.muted).next_to(axes[1].get_bottom(), LEFT, buff=0.1))
        self.play(Create(circle), FadeIn(axes), FadeIn(ax_l))
        point = lambda v: centre + CIRCLE_R * np.array([v[0], v[1], 0])
        dots = VGroup()
        for t in range(tr.T):
            d = Dot(point(tr.pe[t, :2]), radius=0.07, color=self.role("output"))
            lab = self.text(f"t={t}", size=15).next_to(d, (point(tr.pe[t, :2]) - centre) / CIRCLE_R, buff=0.08)
            dots.add(VGroup(d, lab))
        self.play(FadeIn(dots, lag_ratio=0.15), run_time=1.6)
        self.caption("The first frequency pair (sin, cos) of every position lies on the unit circle.", hold=1.5)
        B = rot.blocks[0]
        block = Heatmap(B, cell=1.05, cell_h=0.55, vmax=1.0, digits=3, fg=self.fg, pos=self.role("output"),
                        neg=self.role("input"), font_size=20)
        name = self.text(f"M{sub(0)}({k}) =", size=24).next_to(block, LEFT, buff=0.2)
        group = VGroup(name, block).move_to([3.4, 1.4, 0])
        self.play(FadeIn(group))
        t = 1 if tr.T > 1 + k else 0
        src, dst = tr.pe[t, :2], rot.shifted[t, :2]
        arrow_a = Arrow(centre, point(src), buff=0, color=self.role("output"), stroke_width=4)
        arrow_b = Arrow(centre, point(dst), buff=0, color=self.role("attention"), stroke_width=4)
        self.play(Create(arrow_a))
        self.play(TransformFromCopy(arrow_a, arrow_b, path_arc=np.arctan2(dst[1], dst[0]) - np.arctan2(src[1], src[0])),
                  run_time=1.5)
        v = lambda a: f"\\left[{self.num(a[0])},\\ {self.num(a[1])}\\right]"
        self.show_eq(f"M_0({k})\\, PE_{{{t}}} = M_0({k})\\,{v(src)}^T = {v(dst)}^T = PE_{{{t + k}}}")
        err = self.text(f"max |PE(t+{k}) − M({k}) PE(t)| over all t = {self.num(rot.max_error)}", size=20,
                        color=self.muted).move_to([3.4, -0.4, 0])
        if err.width > 6.4:
            err.scale_to_fit_width(6.4)
        self.play(FadeIn(err))
        self.caption(f"M depends only on the offset {k}, not on t: relative positions are a linear map.", hold=3.0)
