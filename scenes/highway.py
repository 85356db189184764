"""highway: a highway layer mixing transform and carry, then the gradient's carry path.

For each example x_b the transform H(x) appears, the gate T fills to its real values, the
two shares T*H and (1 - T)*x form and add up to y. Last, the gradient goes back from y to x
along the carry path diag(1 - T), with each example's carry share of dL/dx from the trace.
A residual trace (``--residual``) has no gate: y = H(x) + x and the carry path is I.

    manim -ql scenes/highway.py HighwayScene          # default preset highway
    gatelab scene highway -q l --residual
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Create, DashedVMobject, FadeIn, FadeOut, Indicate,
                   VGroup)

from gatelab.scenes.base import TraceScene
from gatelab.scenes.mobjects import GateBox, ValueColumn, sub

# Layout (manim units; the frame is 14.2 x 8): x on the left, the transform branch on top, the
# gate and the carry branch below, y on the right; equations in the band at EQ_Y.
X_X, X_MID, X_MIX, X_Y = -5.4, -1.6, 2.0, 5.3
TOP_Y, LOW_Y, MID_Y = 1.8, -0.9, 0.3


class HighwayScene(TraceScene):
    model = "highway"
    preset = "highway"
    EQ_Y = -2.78

    # ------------------------------------------------------------------ script
    beats = ("intro", "forward", "gradient")   # construct()'s paragraphs: one slide each

    def construct(self) -> None:
        self.intro()
        for e in self.trace.examples:
            self.forward(e)
        self.gradient()

    # ------------------------------------------------------------------ beats
    def intro(self) -> None:
        tr = self.trace
        self.D = tr.width
        self.title("Residual layer: y = H(x) + x" if tr.residual else "Highway layer: y = T·H(x) + (1 − T)·x",
                   f"H(x) = {tr.activation}(W_H x + b_H)" + ("" if tr.residual else ",  gate T = σ(W_T x + b_T)"))
        self.add(self.provenance())
        self.draw_skeleton()
        self.cols = VGroup()
        self.caption("The transform branch H(x) on top; the carry branch below passes x through.", hold=0.5)

    def forward(self, e) -> None:
        tr = self.trace
        b = e.b
        self.play(FadeOut(self.cols), *[box.animate.fill_to(0) for box in self.gates], run_time=0.4)
        x = self.column(e.x, f"x{sub(b)}", "x").cells_at([X_X, MID_Y, 0])
        H = self.column(e.H, "H(x)", "candidate").cells_at([X_MID, TOP_Y, 0])
        self.play(FadeIn(x, shift=0.3 * RIGHT))
        self.play(FadeIn(H, shift=0.3 * RIGHT), Indicate(self.arrows[0], color=self.role("candidate")), run_time=0.8)
        cols = VGroup(x, H)
        if not tr.residual:
            self.play(*[box.animate.fill_to(v) for box, v in zip(self.gates, e.T)], run_time=1.0)
            vals = VGroup(*[box.value_label(v, font_size=18).next_to(box, UP, buff=0.08) for box, v in zip(self.gates, e.T)])
            self.play(FadeIn(vals), run_time=0.4)
            cols.add(vals)
            self.show_eq(f"T = \\sigma({self.vec(e.a_T)}) = {self.vec(e.T)},\\quad 1 - T = {self.vec(e.C)}")
            self.caption(f"Example {b}: {e.regime} (mean T = {self.num(e.T_mean)}).")
        TH = self.column(e.TH, "T·H(x)" if not tr.residual else "H(x)", "candidate").cells_at([X_MIX, TOP_Y, 0])
        Cx = self.column(e.Cx, "(1 − T)·x" if not tr.residual else "x", "cell").cells_at([X_MIX, LOW_Y, 0])
        self.play(FadeIn(TH, shift=0.3 * RIGHT), FadeIn(Cx, shift=0.3 * RIGHT), run_time=0.8)
        y = self.column(e.y, f"y{sub(b)}", "hidden").cells_at([X_Y, MID_Y, 0])
        self.play(Indicate(self.add_node, color=self.role("cell")), FadeIn(y, shift=0.3 * RIGHT), run_time=0.8)
        cols.add(TH, Cx, y)
        if tr.residual:
            self.show_eq(f"y = H(x) + x = {self.vec(e.H)} + {self.vec(e.x)} = {self.vec(e.y)}")
        else:
            self.show_eq(f"y = {self.vec(e.TH)} + {self.vec(e.Cx)} = {self.vec(e.y)}")
        self.cols = cols
        self.pause(0.5)

    def gradient(self) -> None:
        tr = self.trace
        e = tr.examples[-1]
        carry = "I" if tr.residual else "diag(1 − T)"
        self.caption(f"Backward: dL/dx gets the carry term {carry} of dy/dx, however small H's slope is.")
        self.play(*[Create(a) for a in self.back_path()], run_time=1.5)
        if tr.residual:
            self.show_eq(f"\\partial L/\\partial x = {self.vec(e.dx_carry)} + {self.vec(e.dx_transform)}"
                         f" = {self.vec(e.dx)}")
        else:
            self.show_eq(f"\\partial L/\\partial x = (1 - T)\\odot\\partial L/\\partial y + \\ldots = "
                         f"{self.vec(e.dx_carry)} + {self.vec(e.dx_transform)} + {self.vec(e.dx_gate)}"
                         f" = {self.vec(e.dx)}")
        rows = VGroup(*[self.text(f"x{sub(ex.b)}" + ("" if tr.residual else f" ({ex.regime})")
                                  + f":  ‖∂L/∂x‖ = {self.num(ex.dx_norm)},  carry path alone {self.num(ex.dx_carry_norm)}",
                                  size=17, color=self.role("gradient")) for ex in tr.examples])
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.08).move_to([0, -2.0, 0])
        self.play(FadeIn(rows, lag_ratio=0.2), run_time=1.2)
        self.caption("The carry path is how a deep stack of highway (or residual) layers stays trainable.", hold=2.0)

    # ------------------------------------------------------------------ drawing helpers
    def vec(self, v) -> str:
        vals = np.ravel(np.asarray(v, dtype=float))
        return "[" + ", ".join(self.num(x) for x in vals) + "]"

    def column(self, values, label: str, role: str) -> ValueColumn:
        col = self.role(role)
        cell_h = min(0.44, 1.3 / max(self.D, 1))
        return ValueColumn(values, label=label, label_color=col, fg=self.fg, pos=col, neg=col, vmax=1.0,
                           cell_w=0.95, cell_h=cell_h, font_size=max(15, min(20, 46 * cell_h)))

    def back_path(self) -> VGroup:
        """Dashed arrows running backwards along the carry branch: y -> + -> carried share -> x."""
        d = 0.18 * DOWN
        pts = [[X_Y - 0.6, MID_Y, 0], self.add_node.get_bottom(), [X_MIX + 0.6, LOW_Y, 0], [X_MIX - 0.6, LOW_Y, 0],
               [X_X + 0.6, MID_Y - 0.3, 0]]
        segs = [(0, 1), (1, 2), (3, 4)]
        return VGroup(*[DashedVMobject(Arrow(np.array(pts[a]) + d, np.array(pts[b]) + d, buff=0.08,
                                             color=self.role("gradient"), stroke_width=5), num_dashes=14)
                        for a, b in segs])

    def draw_skeleton(self) -> None:
        w = 3
        self.add_node = VGroup(self.text("+", size=34, color=self.role("cell"))).move_to([X_Y - 1.55, MID_Y, 0])
        self.gates = VGroup()
        if not self.trace.residual:
            self.gates = VGroup(*[GateBox("", color=self.role("update"), width=min(0.75, 2.0 / self.D), height=0.8,
                                          fg=self.fg) for _ in range(self.D)])
            self.gates.arrange(RIGHT, buff=0.12).move_to([X_MID, MID_Y, 0])
        gate_label = (self.text("T", size=28, color=self.role("update"), weight="BOLD").next_to(self.gates, LEFT, buff=0.15)
                      if not self.trace.residual else self.text("identity", size=22, color=self.role("cell"))
                      .move_to([X_MID, LOW_Y + 0.9, 0]))
        mk = lambda a, b, role, sw=w: Arrow(a, b, buff=0.05, color=self.role(role), stroke_width=sw)  # noqa: E731
        self.arrows = VGroup(
            mk([X_X + 0.6, MID_Y + 0.35, 0], [X_MID - 0.65, TOP_Y, 0], "candidate"),
            mk([X_MID + 0.6, TOP_Y, 0], [X_MIX - 0.6, TOP_Y, 0], "candidate"),
            mk([X_MIX + 0.6, TOP_Y, 0], self.add_node.get_top() + 0.1 * UP, "candidate"),
            mk([X_X + 0.6, MID_Y - 0.3, 0], [X_MIX - 0.6, LOW_Y, 0], "cell", 6),
            mk([X_MIX + 0.6, LOW_Y, 0], self.add_node.get_bottom() + 0.1 * DOWN, "cell", 6),
            mk(self.add_node.get_right() + 0.1 * RIGHT, [X_Y - 0.6, MID_Y, 0], "hidden"),
        )
        if not self.trace.residual:
            self.arrows.add(mk([X_X + 0.6, MID_Y, 0], self.gates.get_left() + 0.5 * LEFT, "update"),
                            mk(self.gates.get_corner(UP + RIGHT) + 0.05 * RIGHT, [X_MIX - 0.6, TOP_Y - 0.3, 0], "update"))
        self.play(FadeIn(self.arrows), FadeIn(self.add_node), FadeIn(self.gates), FadeIn(gate_label), run_time=1.0)
