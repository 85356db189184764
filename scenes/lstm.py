"""lstm-gates: one LSTM cell processing x_1 .. x_T, every number from the engine's trace.

Per step the forget, input and output gates fill to their real values, the candidate g
(colah's C~) appears, the cell state updates along the highway (f * c_{t-1} + i * g) and
h_t comes out; the equations are shown with the trace's numbers substituted. At the end
y = V h_T + b_y when the trace has an output layer.

    manim -ql scenes/lstm.py LSTMGatesScene          # default preset lstm-3step
    gatelab scene lstm-gates -q l --preset lstm-3step
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, UL, UR, Arrow, Circle, Create, DashedVMobject, FadeIn, FadeOut, GrowArrow,
                   Indicate, Line, Rectangle, ReplacementTransform, SurroundingRectangle, VGroup)

from gatelab.scenes.base import TraceScene
from gatelab.scenes.mobjects import GateBox, ValueColumn, sub, units

# Layout (manim units; the frame is 14.2 x 8). The cell diagram sits in y in [-1.6, 3.0],
# equations in the band below it, the narration line at the bottom edge.
HIGHWAY_Y = 1.9
GATE_Y = -0.15
BUS_Y = -1.45
EQ_TOP = -1.75
X_PREV, X_NEXT = -5.9, 5.9
X_F, X_I, X_G, X_O, X_H = -3.5, -1.3, 0.65, 2.95, 4.4
X_ADD = (X_I + X_G) / 2
G_Y = GATE_Y - 0.2          # the candidate g's row (its label sits under the i*g link)
MIN_CELL_H = 0.2            # the smallest readable value cell; a longer vector is shown elided


class LSTMGatesScene(TraceScene):
    model = "lstm"
    preset = "lstm-3step"

    # ------------------------------------------------------------------ script
    beats = ("intro", "show_inputs", "forget_gate", "input_gate", "update_cell", "output_gate", "carry_state", "final_output")   # construct()'s paragraphs: one slide each

    def construct(self) -> None:
        self.intro()
        for k, step in enumerate(self.trace.steps):
            first = k == 0
            self.show_inputs(step, first)
            self.forget_gate(step, first)
            self.input_gate(step, first)
            self.update_cell(step, first)
            self.output_gate(step, first)
            if k < len(self.trace.steps) - 1:
                self.carry_state(step)
        self.final_output()

    # ------------------------------------------------------------------ beats
    def intro(self) -> None:
        tr = self.trace
        self.T = len(tr.steps)
        self.H = int(tr.hidden)
        self.unit_w = self.unit_width(self.H)
        self.title(f"An LSTM cell reads x₁ … x{sub(self.T)}")
        prov = self.provenance().to_corner(UR, buff=0.12).shift(0.62 * DOWN)
        self.add(prov)
        variant = {"peephole": "variant: diagonal peepholes P ⊙ c",
                   "peephole-full": "variant: full peephole matrices W·[C, h, x]"}.get(tr.variant)
        if variant:   # named for the whole scene
            self.add(self.text(variant, size=18, color=self.fg).next_to(prov, DOWN, buff=0.08).align_to(prov, RIGHT))
        self.draw_sequence()
        self.draw_skeleton()
        self.c_prev_col = self.column(tr.c0, "c₀", "cell", source=self.src("c0", None, tr.c0)).cells_at([X_PREV, HIGHWAY_Y, 0])
        self.play(FadeIn(self.c_prev_col))
        self.caption("The cell state c runs along the top: the highway that carries memory.", hold=1.5)
        self.caption("Three gates (σ, between 0 and 1) decide what to forget, write and show.", hold=1.5)
        if tr.variant in ("peephole", "peephole-full"):
            self.play(Indicate(self.peepholes, color=self.role("cell")), run_time=1.0)
        if tr.variant == "peephole-full":
            self.caption("Full peepholes: f and i also read all of Cₜ₋₁, o reads the new Cₜ (W·[C, h, x]).", hold=1.5)
        elif tr.variant == "peephole":
            self.caption("Peepholes: each gate also sees its own cell (P ⊙ c; o sees the new c).", hold=1.5)

    def _forget_eq(self, t: int) -> str:
        """The forget gate's equation in the trace's variant."""
        if self.trace.variant == "peephole-full":
            return f"f_{{{t}}} = \\sigma(W_f [c_{{{t - 1}}}, h_{{{t - 1}}}, x_{{{t}}}] + b_f)"
        peep = f" + P_f \\odot c_{{{t - 1}}}" if self.trace.variant == "peephole" else ""
        return f"f_{{{t}}} = \\sigma(W_f [h_{{{t - 1}}}, x_{{{t}}}] + b_f{peep})"

    def show_inputs(self, s, first: bool) -> None:
        t = s.t
        self.set_title(f"Step t = {t} of {self.T}: read x{sub(t)}")
        box = SurroundingRectangle(self.seq_items[t - 1], color=self.role("x"), buff=0.08)   # fits this item's width
        self.play(ReplacementTransform(self.seq_box, box), run_time=0.6)
        self.seq_box = box
        hx = np.concatenate([s.h_prev, s.x])
        hx_src = self.src("h_prev", t, s.h_prev) + self.src("x", t, s.x)
        self.hx_col = self.column(hx, f"[h{sub(t - 1)}, x{sub(t)}]", "x", max_h=1.45,
                                  source=hx_src).cells_at([X_PREV, GATE_Y - 0.25, 0])
        self.play(FadeIn(self.hx_col, shift=0.3 * RIGHT))
        if first:
            self.caption("Every gate reads the same vector: the last hidden state next to the new input.", hold=1.5)
        self.show_eq(f"[h_{{{t - 1}}}, x_{{{t}}}] = " + self.vec(hx), None, hx_src)

    def forget_gate(self, s, first: bool) -> None:
        t = s.t
        self.pulse_bus(X_F, "forget")
        self.open_gate(self.gates["f"], s.f, ("f", t))
        if first:
            self.caption("Forget gate f: how much of each memory unit survives (1 keeps, 0 erases).", hold=1.0)
        self.show_eq(self._forget_eq(t),
                     f"= \\sigma({self.vec(s.z_f)}) = {self.vec(s.f)}", [], self.src("z_f", t, s.z_f) + self.src("f", t, s.f))
        self.pause(1.5)

    def input_gate(self, s, first: bool) -> None:
        t = s.t
        self.pulse_bus(X_I, "input")
        self.open_gate(self.gates["i"], s.i, ("i", t))
        self.pulse_bus(X_G, "candidate")
        wide = self.H <= 2
        g_col = self.column(s.g, f"g{sub(t)} = C̃{sub(t)}" if wide else f"g{sub(t)}", "candidate", horizontal=wide,
                            cell_w=0.9, max_h=1.2, source=self.src("g", t, s.g))
        g_col.cells_at([X_G, G_Y if wide else G_Y - 0.25, 0])
        if not wide:
            g_col.label.next_to(g_col.cells, RIGHT, buff=0.1)
        self.g_col = g_col
        self.play(FadeIn(g_col, shift=0.2 * UP), FadeOut(self.g_slot))
        if first:
            self.caption("Input gate i: how much to write.  Candidate g (colah's C̃): what to write, in (-1, 1).",
                         hold=1.0)
        self.show_eq(f"i_{{{t}}} = \\sigma({self.vec(s.z_i)}) = {self.vec(s.i)}",
                     f"g_{{{t}}} = \\tanh(W_C [h_{{{t - 1}}}, x_{{{t}}}] + b_C) = \\tanh({self.vec(s.z_g)})"
                     f" = {self.vec(s.g)}",
                     self.src("z_i", t, s.z_i) + self.src("i", t, s.i), self.src("z_g", t, s.z_g) + self.src("g", t, s.g))
        self.pause(1.5)

    def update_cell(self, s, first: bool) -> None:
        t = s.t
        road = self.highway.copy().set_stroke(self.role("cell"), width=10, opacity=0.9)
        self.play(Indicate(self.mul_f, color=self.role("forget")), Indicate(self.mul_ig, color=self.role("input")),
                  run_time=0.8)
        self.play(Create(road), Indicate(self.add_node, color=self.role("cell")), run_time=1.2)
        self.c_col = self.column(s.c, f"c{sub(t)}", "cell", source=self.src("c", t, s.c)).cells_at([X_NEXT, HIGHWAY_Y, 0])
        self.play(FadeIn(self.c_col, shift=0.3 * RIGHT), FadeOut(road))
        if first:
            self.caption("New memory = kept old memory + written candidate: only × and +, no squashing.", hold=1.0)
        self.show_eq(f"c_{{{t}}} = f_{{{t}}} \\odot c_{{{t - 1}}} + i_{{{t}}} \\odot g_{{{t}}}"
                     f" = {self.vec(s.f)}\\odot{self.vec(s.c_prev)} + {self.vec(s.i)}\\odot{self.vec(s.g)}",
                     f"= {self.vec(s.c)}",
                     self.src("f", t, s.f) + self.src("c_prev", t, s.c_prev) + self.src("i", t, s.i) + self.src("g", t, s.g),
                     self.src("c", t, s.c))
        self.pause(2.0)

    def output_gate(self, s, first: bool) -> None:
        t = s.t
        self.pulse_bus(X_O, "output")
        self.open_gate(self.gates["o"], s.o, ("o", t))
        self.play(Indicate(self.tanh_node, color=self.role("cell")), Indicate(self.mul_h, color=self.role("output")),
                  run_time=0.8)
        self.h_col = self.column(s.h, f"h{sub(t)}", "hidden", max_h=1.1,
                                 source=self.src("h", t, s.h)).cells_at([X_NEXT, GATE_Y - 0.1, 0])
        self.play(FadeIn(self.h_col, shift=0.3 * RIGHT))
        if first:
            self.caption("Output gate o: how much of the squashed memory tanh(c) leaves as h.", hold=1.0)
        self.show_eq(f"o_{{{t}}} = \\sigma({self.vec(s.z_o)}) = {self.vec(s.o)}",
                     f"h_{{{t}}} = o_{{{t}}} \\odot \\tanh(c_{{{t}}}) = {self.vec(s.o)}\\odot{self.vec(s.tanh_c)}"
                     f" = {self.vec(s.h)}",
                     self.src("z_o", t, s.z_o) + self.src("o", t, s.o),
                     self.src("o", t, s.o) + self.src("tanh_c", t, s.tanh_c) + self.src("h", t, s.h))
        self.pause(2.0)

    def carry_state(self, s) -> None:
        """c_t and h_t slide back to the left: they are the next step's c_{t-1} and h_{t-1}."""
        self.caption(f"c{sub(s.t)} and h{sub(s.t)} become the memory of step {s.t + 1}.")
        new_c = self.column(s.c, f"c{sub(s.t)}", "cell", source=self.src("c", s.t, s.c)).cells_at([X_PREV, HIGHWAY_Y, 0])
        resets = [box.animate.fill_to(0) for pair in self.gates.values() for box in pair.boxes]
        self.play(ReplacementTransform(self.c_col, new_c), FadeOut(self.c_prev_col),
                  FadeOut(self.hx_col), FadeOut(self.h_col, target_position=self.hx_col),
                  FadeOut(self.g_col), FadeIn(self.g_slot), FadeOut(self.gate_values), *resets, run_time=1.2)
        self.c_prev_col = new_c
        self.gate_values = VGroup()
        self.caption(None)

    def final_output(self) -> None:
        tr = self.trace
        p = tr.params
        if tr.y is None or p.V is None:
            self.set_title(f"h{sub(self.T)} sums up x₁ … x{sub(self.T)}")
            self.caption(None)
            self.pause(2.0)
            return
        self.set_title(f"Predict y from x₁ … x{sub(self.T)}")
        y_col = self.column(tr.y, "y", "y", max_h=0.4, source=self.src("y", None, tr.y))
        y_col.label.next_to(y_col.cells, LEFT, buff=0.12)
        y_col.next_to(self.h_col, DOWN, buff=0.3).align_to(self.h_col, RIGHT)
        arrow = Arrow(self.h_col.get_bottom(), y_col.get_top(), buff=0.05, color=self.role("y"), stroke_width=3)
        self.play(GrowArrow(arrow), FadeIn(y_col))
        self.output_eq()
        self.play(Create(SurroundingRectangle(y_col, color=self.role("y"), buff=0.08)))
        self.caption(f"Many-to-one: only h{sub(self.T)} feeds y; the memory carried x₁ … x{sub(self.T - 1)} to it.",
                     hold=3.0)

    def output_eq(self) -> None:
        """y = V h_T + b_y with the numbers substituted; for a wide V in symbols, with y's values (its first and
        last ones for a vocabulary's logits)."""
        tr, p = self.trace, self.trace.params
        V, b_y, top = p.V, getattr(p, "b_y", None), tr.outputs[-1]   # top: the top layer's output at T
        head = f"y = V h_{{{self.T}}}" + (" + b_y" if b_y is not None else "")
        b_src = self.src("params.b_y", None, b_y) if b_y is not None else []
        if V.size <= 24:
            rows = " ; ".join(self.vec(r) for r in V)
            V_src = [("params.V", None, (r, c)) for r in range(V.shape[0]) for c in range(V.shape[1])]
            top_src = [("outputs", None, (len(tr.outputs) - 1, k)) for k in range(top.size)]
            bias = f" + {self.vec(b_y)}" if b_y is not None else ""
            self.show_eq(f"{head} = {rows}\\cdot{self.vec(top)}{bias}", f"= {self.vec(tr.y)}",
                         V_src + top_src + b_src, self.src("y", None, tr.y))
        elif tr.y.size <= 6:
            self.show_eq(head, f"= {self.vec(tr.y)}", None, self.src("y", None, tr.y))
        else:
            ends = [0, 1, 2, 3, tr.y.size - 2, tr.y.size - 1]
            self.show_eq(head, "= [" + ", ".join(self.num(tr.y[i]) for i in ends[:4]) + ", \\ldots, "
                         + ", ".join(self.num(tr.y[i]) for i in ends[4:]) + "]", None, [("y", None, i) for i in ends])

    # ------------------------------------------------------------------ drawing helpers
    def vec(self, v) -> str:
        vals = np.ravel(np.asarray(v, dtype=float))
        if vals.size == 1:
            return self.num(vals[0])
        return "[" + ", ".join(self.num(e) for e in vals) + "]"

    @staticmethod
    def src(field: str, t, values) -> list[tuple]:
        """The sources of a printed vector: (field, t, 0), (field, t, 1), ..."""
        return units(field, t, int(np.size(values)))

    def column(self, values, label: str, role: str, horizontal: bool = False, cell_w: float = 0.95,
               max_h: float = 1.25, source=None) -> ValueColumn:
        """A labelled value column; cells shrink (down to a readable size) so n values fit in ``max_h``; past
        what fits, the first and last values are shown and the others counted (the equation line has them all)."""
        col = self.role(role)
        n = np.asarray(values).size
        fit = max(3, int(max_h / MIN_CELL_H + 1e-9))
        cell_h = 0.44 if horizontal else min(0.44, max(max_h / max(min(n, fit), 1), MIN_CELL_H))
        return ValueColumn(values, label=label, label_color=col, fg=self.fg, pos=col, neg=col, vmax=1.0,
                           cell_w=cell_w, cell_h=cell_h, font_size=max(15, min(20, 46 * cell_h)),
                           horizontal=horizontal, source=source, limit=None if horizontal else fit)

    def set_title(self, s: str) -> None:
        head = self.line(s, size=30, weight="BOLD").to_corner(UL, buff=0.3)
        if self._title is None:
            self.play(FadeIn(head), run_time=0.6)
        else:
            self.play(ReplacementTransform(self._title, head), run_time=0.6)
        self._title = head

    def title(self, s: str, sub: str | None = None):  # left-aligned title, the sequence strip sits on the right
        self.set_title(s)
        return self._title

    def draw_sequence(self) -> None:
        ids = self.result.provenance.get("token_ids")
        items = VGroup(*[self.text(f"x{sub(s.t)} = E[{ids[s.t - 1]}]", size=22, color=self.fg,
                                   source=[("provenance.token_ids", None, s.t - 1)]) if ids else
                         self.text(f"x{sub(s.t)} = {self.vec(s.x)}", size=22, color=self.fg, source=self.src("x", s.t, s.x))
                         if np.size(s.x) <= 3 else self.text(f"x{sub(s.t)}", size=22, color=self.fg)
                         for s in self.trace.steps])   # long inputs: their values come with [h, x]
        items.arrange(RIGHT, buff=0.45).to_corner(UR, buff=0.32)
        if items.width > 6.2:
            items.scale_to_fit_width(6.2).to_corner(UR, buff=0.32)
        self.seq_items = items
        self.seq_box = SurroundingRectangle(items[0], color=self.role("x"), buff=0.08)
        self.play(FadeIn(items), Create(self.seq_box))

    def op_node(self, symbol: str, pos, role: str) -> VGroup:
        c = Circle(radius=0.22, color=self.role(role), stroke_width=3).move_to(pos)
        return VGroup(c, self.text(symbol, size=24).move_to(c))

    def draw_skeleton(self) -> None:
        fg, w = self.muted, 2.5
        y_mid = (HIGHWAY_Y + GATE_Y) / 2 + 0.15
        self.highway = Line([X_PREV + 0.55, HIGHWAY_Y, 0], [X_NEXT - 0.55, HIGHWAY_Y, 0],
                            color=self.role("cell"), stroke_width=5)
        self.mul_f = self.op_node("×", [X_F, HIGHWAY_Y, 0], "forget")
        self.add_node = self.op_node("+", [X_ADD, HIGHWAY_Y, 0], "cell")
        self.mul_ig = self.op_node("×", [X_ADD, y_mid, 0], "input")
        self.tanh_node = self.text("tanh", size=20, color=self.role("cell")).move_to([X_H, y_mid + 0.1, 0])
        self.mul_h = self.op_node("×", [X_H, GATE_Y - 0.1, 0], "output")
        self.gates = {
            "f": self.gate_pair("f", "forget", X_F),
            "i": self.gate_pair("i", "input", X_I),
            "o": self.gate_pair("o", "output", X_O),
        }
        gtop = self.gates["f"].get_top()[1] + 0.02
        links = VGroup(
            Arrow([X_F, gtop, 0], self.mul_f.get_bottom(), buff=0.02, color=self.role("forget"), stroke_width=w),
            Line([X_I, gtop, 0], [X_I, y_mid, 0], color=self.role("input"), stroke_width=w),
            Arrow([X_I, y_mid, 0], self.mul_ig.get_left(), buff=0.02, color=self.role("input"), stroke_width=w),
            Line([X_G, gtop, 0], [X_G, y_mid, 0], color=self.role("candidate"), stroke_width=w),
            Arrow([X_G, y_mid, 0], self.mul_ig.get_right(), buff=0.02, color=self.role("candidate"), stroke_width=w),
            Arrow(self.mul_ig.get_top(), self.add_node.get_bottom(), buff=0.02, color=self.role("input"),
                  stroke_width=w),
            Arrow([X_H, HIGHWAY_Y, 0], self.tanh_node.get_top(), buff=0.06, color=self.role("cell"), stroke_width=w),
            Arrow(self.tanh_node.get_bottom(), self.mul_h.get_top(), buff=0.06, color=self.role("cell"),
                  stroke_width=w),
            Arrow([X_O + 0.55, GATE_Y - 0.1, 0], self.mul_h.get_left(), buff=0.02, color=self.role("output"),
                  stroke_width=w),
            Arrow(self.mul_h.get_right(), [X_NEXT - 0.55, GATE_Y - 0.1, 0], buff=0.02, color=self.role("hidden"),
                  stroke_width=w),
        )
        self.bus = VGroup(Line([X_PREV, BUS_Y, 0], [X_O, BUS_Y, 0], color=fg, stroke_width=w),
                          Line([X_PREV, BUS_Y, 0], [X_PREV, GATE_Y - 0.9, 0], color=fg, stroke_width=w))
        slot_w, slot_h = (0.9 * self.H, 0.44) if self.H <= 2 else (0.9, min(0.44 * self.H, 1.2))
        self.g_slot = DashedVMobject(Rectangle(width=slot_w, height=slot_h, color=self.role("candidate"),
                                               stroke_width=2), num_dashes=30)
        self.g_slot.move_to([X_G, G_Y if self.H <= 2 else G_Y - 0.25, 0])
        self.bus_taps = {}
        gbot = self.gates["f"].frame_bottom - (0.36 if self.H <= 2 else 0.56)   # below the printed gate values
        for x, role in ((X_F, "forget"), (X_I, "input"), (X_G, "candidate"), (X_O, "output")):
            top = gbot if x != X_G else self.g_slot.get_bottom()[1] - 0.03
            self.bus_taps[role] = Arrow([x, BUS_Y, 0], [x, top, 0], buff=0.0, color=fg, stroke_width=w,
                                        tip_length=0.16, max_tip_length_to_length_ratio=0.5)
        self.peepholes = self.peephole_wires(gtop)
        self.play(Create(self.highway), FadeIn(self.mul_f, self.add_node, self.mul_ig, self.tanh_node, self.mul_h),
                  run_time=1.2)
        self.play(*[FadeIn(g) for g in self.gates.values()], FadeIn(links), FadeIn(self.bus), FadeIn(self.peepholes),
                  *[FadeIn(a) for a in self.bus_taps.values()],
                  FadeIn(self.g_slot), run_time=1.2)
        self.gate_values = VGroup()

    def peephole_wires(self, gtop: float) -> VGroup:
        """Dashed wires from the highway into the gates that read the cell state (peephole variants): f and i tap
        it before the forget ×, where it still carries c_{t-1}; o taps it after the +, where it carries c_t."""
        if self.trace.variant not in ("peephole", "peephole-full"):
            return VGroup()
        col, w = self.role("cell"), 2.2
        f_left = self.gates["f"].boxes.get_left()[0]
        i_left = self.gates["i"].boxes.get_left()[0]
        wires = [(X_PREV + 0.85, f_left + 0.12), (X_PREV + 1.3, i_left + 0.12), (X_O, X_O)]   # (tap x, gate x)
        return VGroup(*[DashedVMobject(Arrow([a, HIGHWAY_Y, 0], [b, gtop, 0], buff=0.02, color=col, stroke_width=w,
                                             tip_length=0.14, max_tip_length_to_length_ratio=0.2), num_dashes=12)
                        for a, b in wires])

    @staticmethod
    def unit_width(H: int) -> float:
        """One unit's gate box: a gate's H boxes (gaps 0.08) span at most 1.75, so its letter fits between them."""
        return min(0.6, max(0.1, (1.75 - 0.08 * (H - 1)) / H))

    def gate_pair(self, name: str, role: str, x: float) -> VGroup:
        boxes = VGroup(*[GateBox("", color=self.role(role), width=self.unit_w, height=1.1, fg=self.fg)
                         for _ in range(self.H)])
        boxes.arrange(RIGHT, buff=0.08).move_to([x, GATE_Y, 0])
        label = self.text(name, size=28, color=self.role(role), weight="BOLD").next_to(boxes, LEFT, buff=0.12)
        group = VGroup(boxes, label)
        group.boxes = boxes
        group.frame_bottom = boxes.get_bottom()[1]
        return group

    def open_gate(self, pair: VGroup, values, source: tuple | None = None) -> None:
        """Fill the gate's boxes to ``values`` and print them; ``source`` = (gate field, t) of the values."""
        anims = [box.animate.fill_to(float(v)) for box, v in zip(pair.boxes, values)]
        self.play(*anims, run_time=1.5)
        digits = 3 if self.H <= 2 else 2
        labels = VGroup(*[box.value_label(float(v), digits=digits, font_size=16, source=source and (*source, k))
                          .next_to(box.frame, DOWN, buff=0.08) for k, (box, v) in enumerate(zip(pair.boxes, values))])
        for k, lab in enumerate(labels):
            if self.H > 2 and k % 2:            # stagger, so neighbouring values never touch
                lab.shift(0.2 * DOWN)
            if lab.width > (self.unit_w + 0.04) * (1.0 if self.H <= 2 else 1.6):
                lab.scale_to_fit_width((self.unit_w + 0.04) * (1.0 if self.H <= 2 else 1.6))
        self.gate_values.add(labels)
        self.play(FadeIn(labels), run_time=0.5)

    def pulse_bus(self, x: float, role: str) -> None:
        tap = self.bus_taps[role]
        self.play(Indicate(self.hx_col.cells, color=self.role("x"), scale_factor=1.05),
                  tap.animate.set_color(self.role(role)), run_time=0.6)
        self.play(tap.animate.set_color(self.muted), run_time=0.3)

    def show_eq(self, line1: str, line2: str | None, source1=None, source2=None) -> None:
        """Two equation lines; ``source1``/``source2``: the trace values their numbers show, in order."""
        lines = [self.eq(line1, size=26, source=source1)]
        if line2:
            lines.append(self.eq(line2, size=26, source=source2))
        group = VGroup(*lines).arrange(DOWN, aligned_edge=LEFT, buff=0.22)
        if group.width > 13.4:
            group.scale_to_fit_width(13.4)
        group.move_to([0, 0, 0]).align_to([-6.8, EQ_TOP, 0], UL)
        old = getattr(self, "_eq", None)
        if old is not None:
            self.play(FadeOut(old, shift=0.2 * UP), run_time=0.4)
        self.play(FadeIn(group, shift=0.15 * UP), run_time=0.9)
        self._eq = group
