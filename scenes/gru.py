"""gru-gates: one GRU cell over x_1 .. x_T, the convention named on screen.

Per step the reset gate r and the update gate z fill to their values, the candidate n
(the textbook's h~) appears, and h_t mixes the old state and the candidate:
textbook h_t = (1 - z) * h_{t-1} + z * n, torch h_t = (1 - z) * n + z * h_{t-1}
(``--convention torch``). Every number comes from the GRU engine's trace.

    manim -ql scenes/gru.py GRUGatesScene
"""
from __future__ import annotations

from manim import (DOWN, LEFT, RIGHT, UP, UR, Arrow, Create, DashedVMobject, FadeIn, FadeOut, GrowArrow, Indicate,
                   Line, Rectangle, ReplacementTransform, SurroundingRectangle, VGroup)

from gatelab.scenes.lstm import LSTMGatesScene
from gatelab.scenes.mobjects import sub

STATE_Y = 1.9
GATE_Y = -0.15
BUS_Y = -1.45
X_PREV, X_NEXT = -5.9, 5.9
X_R, X_N, X_Z, X_MIX = -3.4, -1.0, 1.5, 3.7
N_COL_H = 1.2               # the candidate's column, for more than two units


class GRUGatesScene(LSTMGatesScene):
    model = "gru"
    preset = "gru-3step"

    beats = ("intro_gru", "show_inputs", "reset_gate", "update_gate", "candidate", "mix", "carry_hidden", "final_output")   # construct()'s paragraphs: one slide each

    def construct(self) -> None:
        self.intro_gru()
        for k, step in enumerate(self.trace.steps):
            first = k == 0
            self.show_inputs(step, first)
            self.reset_gate(step, first)
            self.update_gate(step, first)
            self.candidate(step, first)
            self.mix(step, first)
            if k < len(self.trace.steps) - 1:
                self.carry_hidden(step)
        self.final_output()

    # ------------------------------------------------------------------ beats
    def intro_gru(self) -> None:
        tr = self.trace
        self.T = len(tr.steps)
        self.H = int(tr.hidden)
        self.unit_w = self.unit_width(self.H)
        self.textbook = tr.convention == "textbook"
        self.set_title(f"A GRU cell reads x₁ … x{sub(self.T)}")
        self.add(self.provenance().to_corner(UR, buff=0.12).shift(0.62 * DOWN))
        self.draw_sequence()
        self.draw_gru()
        self.h_prev_col = self.column(tr.h0, "h₀", "hidden", source=self.src("h0", None, tr.h0)).cells_at([X_PREV, STATE_Y, 0])
        self.play(FadeIn(self.h_prev_col))
        rule = ("textbook (Cho et al.): h = (1 − z)·h₋₁ + z·n" if self.textbook
                else "PyTorch nn.GRU: h = (1 − z)·n + z·h₋₁")
        self.caption(f"Convention: {rule}", hold=2.0)
        self.caption("Two gates: reset r (how much past feeds the candidate), update z (old vs new).", hold=1.5)

    def reset_gate(self, s, first: bool) -> None:
        t = s.t
        self.pulse_bus(X_R, "forget")
        self.open_gate(self.gates["r"], s.r, ("r", t))
        if first:
            self.caption("Reset gate r: how much of h₋₁ the candidate may look at.", hold=1.0)
        self.show_eq(f"r_{{{t}}} = \\sigma(W_r [h_{{{t - 1}}}, x_{{{t}}}] + b_r) = \\sigma({self.vec(s.a_r)})",
                     f"= {self.vec(s.r)}")
        self.pause(1.2)

    def update_gate(self, s, first: bool) -> None:
        t = s.t
        self.pulse_bus(X_Z, "input")
        self.open_gate(self.gates["z"], s.z, ("z", t))
        if first:
            who = "the new candidate" if self.textbook else "the old state"
            self.caption(f"Update gate z: the share of {who} in h.", hold=1.0)
        self.show_eq(f"z_{{{t}}} = \\sigma(W_z [h_{{{t - 1}}}, x_{{{t}}}] + b_z) = \\sigma({self.vec(s.a_z)})",
                     f"= {self.vec(s.z)}")
        self.pause(1.2)

    def candidate(self, s, first: bool) -> None:
        t = s.t
        self.pulse_bus(X_N, "candidate")
        n_col = self.column(s.n, f"n{sub(t)}", "candidate", horizontal=self.n_wide, cell_w=0.9, max_h=N_COL_H,
                            source=self.src("n", t, s.n))
        n_col.cells_at(self.n_at)
        n_col.label.next_to(n_col.cells, LEFT if self.n_wide else RIGHT, buff=0.12)
        self.n_col = n_col
        self.play(FadeIn(n_col, shift=0.2 * UP), FadeOut(self.n_slot))
        if self.textbook:
            line2 = (f"= \\tanh(W_n [{self.vec(s.rh)}, {self.vec(s.x)}] + b_n) = \\tanh({self.vec(s.a_n)})"
                     f" = {self.vec(s.n)}")
            line1 = f"n_{{{t}}} = \\tanh(W_n [r_{{{t}}} \\odot h_{{{t - 1}}}, x_{{{t}}}] + b_n)"
        else:
            line1 = (f"n_{{{t}}} = \\tanh(W_{{in}} x_{{{t}}} + b_{{in}} + r_{{{t}}} \\odot (W_{{hn}} h_{{{t - 1}}}"
                     f" + b_{{hn}}))")
            line2 = f"= \\tanh({self.vec(s.a_n)}) = {self.vec(s.n)}"
        if first:
            self.caption("Candidate n (the textbook's h̃): a proposal for the new state, in (−1, 1).", hold=1.0)
        self.show_eq(line1, line2)
        self.pause(1.2)

    def mix(self, s, first: bool) -> None:
        t = s.t
        road = self.state_line.copy().set_stroke(self.role("hidden"), width=10, opacity=0.9)
        self.play(Indicate(self.mix_node, color=self.role("update")), Create(road), run_time=1.2)
        self.h_col = self.column(s.h, f"h{sub(t)}", "hidden", source=self.src("h", t, s.h)).cells_at([X_NEXT, STATE_Y, 0])
        self.play(FadeIn(self.h_col, shift=0.3 * RIGHT), FadeOut(road))
        if self.textbook:
            line1 = (f"h_{{{t}}} = (1 - z_{{{t}}}) \\odot h_{{{t - 1}}} + z_{{{t}}} \\odot n_{{{t}}}"
                     f" = {self.vec(s.keep)} + {self.vec(s.new)}")
        else:
            line1 = (f"h_{{{t}}} = (1 - z_{{{t}}}) \\odot n_{{{t}}} + z_{{{t}}} \\odot h_{{{t - 1}}}"
                     f" = {self.vec(s.new)} + {self.vec(s.keep)}")
        if first:
            self.caption("No separate cell state: h itself is the memory, blended by z.", hold=1.0)
        self.show_eq(line1, f"= {self.vec(s.h)}")
        self.pause(2.0)

    def carry_hidden(self, s) -> None:
        self.caption(f"h{sub(s.t)} becomes the memory of step {s.t + 1}.")
        new_h = self.column(s.h, f"h{sub(s.t)}", "hidden", source=self.src("h", s.t, s.h)).cells_at([X_PREV, STATE_Y, 0])
        resets = [box.animate.fill_to(0) for pair in self.gates.values() for box in pair.boxes]
        self.play(ReplacementTransform(self.h_col, new_h), FadeOut(self.h_prev_col), FadeOut(self.hx_col),
                  FadeOut(self.n_col), FadeIn(self.n_slot), FadeOut(self.gate_values), *resets, run_time=1.2)
        self.h_prev_col = new_h
        self.gate_values = VGroup()
        self.caption(None)

    def final_output(self) -> None:
        tr = self.trace
        V = getattr(tr.params, "V", None)
        if tr.y is None or V is None:
            self.set_title(f"h{sub(self.T)} sums up x₁ … x{sub(self.T)}")
            self.caption(None)
            self.pause(2.0)
            return
        self.set_title(f"Predict y from x₁ … x{sub(self.T)}")
        y_col = self.column(tr.y, "y", "y", max_h=0.4, source=self.src("y", None, tr.y))
        y_col.label.next_to(y_col.cells, LEFT, buff=0.12)
        y_col.next_to(self.h_col, DOWN, buff=0.4).align_to(self.h_col, RIGHT)
        arrow = Arrow(self.h_col.get_bottom(), y_col.get_top(), buff=0.05, color=self.role("y"), stroke_width=3)
        self.play(GrowArrow(arrow), FadeIn(y_col))
        self.output_eq()
        self.play(Create(SurroundingRectangle(y_col, color=self.role("y"), buff=0.08)))
        self.caption("Fewer gates than the LSTM, the same idea: gated, additive updates of the memory.", hold=3.0)

    # ------------------------------------------------------------------ drawing
    def draw_gru(self) -> None:
        """State line on top; r gates h_{t-1} into the candidate n; n and z meet at the mix node."""
        fg, w = self.muted, 2.5
        self.state_line = Line([X_PREV + 0.55, STATE_Y, 0], [X_NEXT - 0.55, STATE_Y, 0], color=self.role("hidden"),
                               stroke_width=5)
        self.mix_node = self.op_node("+", [X_MIX, STATE_Y, 0], "update")
        self.rh_node = self.op_node("×", [X_R, STATE_Y - 0.75, 0], "reset")
        self.gates = {"r": self.gate_pair("r", "reset", X_R), "z": self.gate_pair("z", "update", X_Z)}
        gtop = self.gates["r"].get_top()[1] + 0.02
        n_top = GATE_Y - 0.2 + 0.24
        # n: a row between the gates for two units, else a column hanging from where the reset arrow lands
        self.n_wide = self.H <= 2
        self.n_at = [X_N, GATE_Y - 0.2 if self.n_wide else n_top - N_COL_H / 2, 0]
        y_n, y_z = STATE_Y - 0.5, STATE_Y - 1.05
        arrow = dict(buff=0.03, stroke_width=w, tip_length=0.16, max_tip_length_to_length_ratio=0.4)
        links = VGroup(
            Arrow([X_R, STATE_Y, 0], self.rh_node.get_top(), color=self.role("hidden"), **arrow),
            Arrow([X_R, gtop, 0], self.rh_node.get_bottom(), color=self.role("reset"), **arrow),
            Line(self.rh_node.get_right(), [X_N - 0.3, STATE_Y - 0.75, 0], color=self.role("reset"), stroke_width=w),
            Arrow([X_N - 0.3, STATE_Y - 0.75, 0], [X_N - 0.3, n_top, 0], color=self.role("reset"), **arrow),
            Line([X_N + 0.3, n_top, 0], [X_N + 0.3, y_n, 0], color=self.role("candidate"), stroke_width=w),
            Line([X_N + 0.3, y_n, 0], [X_MIX - 0.2, y_n, 0], color=self.role("candidate"), stroke_width=w),
            Arrow([X_MIX - 0.2, y_n, 0], self.mix_node.get_bottom() + 0.1 * LEFT, color=self.role("candidate"),
                  **arrow),
            Line([X_Z, gtop, 0], [X_Z, y_z, 0], color=self.role("update"), stroke_width=w),
            Line([X_Z, y_z, 0], [X_MIX + 0.25, y_z, 0], color=self.role("update"), stroke_width=w),
            Arrow([X_MIX + 0.25, y_z, 0], self.mix_node.get_bottom() + 0.1 * RIGHT, color=self.role("update"),
                  **arrow),
        )
        self.bus = VGroup(Line([X_PREV, BUS_Y, 0], [X_Z, BUS_Y, 0], color=fg, stroke_width=w),
                          Line([X_PREV, BUS_Y, 0], [X_PREV, GATE_Y - 0.9, 0], color=fg, stroke_width=w))
        self.bus_taps = {}
        gbot = self.gates["r"].frame_bottom - 0.36
        for x, role in ((X_R, "forget"), (X_Z, "input"), (X_N, "candidate")):
            top = gbot if x != X_N else GATE_Y - 0.45 if self.n_wide else self.n_at[1] - N_COL_H / 2 - 0.02
            self.bus_taps[role] = Arrow([x, BUS_Y, 0], [x, top, 0], buff=0.0, color=fg, stroke_width=w,
                                        tip_length=0.16, max_tip_length_to_length_ratio=0.5)
        self.n_slot = DashedVMobject(Rectangle(width=0.9 * self.H if self.n_wide else 0.9,
                                               height=0.44 if self.n_wide else N_COL_H, color=self.role("candidate"),
                                               stroke_width=2), num_dashes=30).move_to(self.n_at)
        self.play(Create(self.state_line), FadeIn(self.mix_node), FadeIn(self.rh_node), run_time=1.0)
        self.play(*[FadeIn(g) for g in self.gates.values()], FadeIn(links), FadeIn(self.bus),
                  *[FadeIn(a) for a in self.bus_taps.values()], FadeIn(self.n_slot), run_time=1.2)
        self.gate_values = VGroup()
