"""rnn-unfold and gradient-flow: recurrence unrolled in time, and what happens to gradients.

rnn-unfold (default preset vanishing-rnn; try --preset exploding-rnn): the rolled cell
unfolds into T steps, values flow forward, then the backward pass shows ||dL/dh_t|| step by
step back, the 0.99^100 / 1.01^100 intuition (numbers from the trace's ``decay`` record),
and clipping by norm when the trace has it (``--clip BETA``; exploding-rnn clips at 5).

gradient-flow: RNN vs LSTM vs GRU on the SAME input sequence (one ``recurrent-compare``
trace, default preset gradient-flow): per-step gradient norms as bars, then the LSTM's
forget-gate path ||diag(f_t)|| highlighted.

    manim -ql scenes/rnn.py RNNUnfoldScene
    manim -ql scenes/rnn.py GradientFlowScene
"""
from __future__ import annotations

from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Create, CurvedArrow, DashedLine, FadeIn,
                   FadeOut, GrowFromEdge, Indicate, RoundedRectangle, SurroundingRectangle,
                   TransformFromCopy, VGroup)

from gatelab.scenes.base import TraceScene
from gatelab.scenes.mobjects import LabelledBar, ValueColumn, sub, units

CELL_Y = 0.2


class RNNUnfoldScene(TraceScene):
    model = "rnn"
    preset = "vanishing-rnn"
    EQ_Y = -2.45

    beats = ("rolled", "unfold", "forward_values", "backward_norms", "power_intuition", "clipping")   # construct()'s paragraphs: one slide each

    def construct(self) -> None:
        self.rolled()
        self.unfold()
        self.forward_values()
        self.backward_norms()
        self.power_intuition()
        self.clipping()

    # ------------------------------------------------------------------ beats
    def rolled(self) -> None:
        tr = self.trace
        self.T = len(tr.steps)
        self.title("A recurrent network, rolled up")
        self.add(self.provenance())
        box = RoundedRectangle(width=1.4, height=1.0, corner_radius=0.15, color=self.role("hidden"))
        box.move_to([0, CELL_Y, 0])
        name = self.text("h", size=32, color=self.role("hidden")).move_to(box)
        loop = CurvedArrow(box.get_right() + 0.2 * UP, box.get_left() + 0.2 * UP, angle=-4.2,
                           color=self.role("hidden"), stroke_width=3)
        loop_label = self.text("W", size=24, color=self.muted).next_to(loop, UP, buff=0.05)
        x_in = Arrow(box.get_bottom() + 1.0 * DOWN, box.get_bottom(), buff=0.02, color=self.role("x"))
        x_label = self.text("xₜ", size=24, color=self.role("x")).next_to(x_in, DOWN, buff=0.05)
        self.rolled_group = VGroup(box, name, loop, loop_label, x_in, x_label)
        self.play(Create(box), FadeIn(name), run_time=0.8)
        self.play(Create(loop), FadeIn(loop_label), Create(x_in), FadeIn(x_label), run_time=1.2)
        self.show_eq(f"h_t = \\mathrm{{{tr.activation}}}(U x_t + W h_{{t-1}} + b_h)")
        self.caption("The same cell, with the same weights, is applied at every time step.", hold=2.0)

    def unfold(self) -> None:
        T = self.T
        pitch = min(1.3, 12.6 / T)
        self.pitch = pitch
        xs = [(-(T - 1) / 2 + k) * pitch for k in range(T)]
        self.cells = VGroup()
        self.xlabels = VGroup()
        for k, s in enumerate(self.trace.steps):
            box = RoundedRectangle(width=pitch * 0.8, height=1.0, corner_radius=0.1, color=self.role("hidden"))
            box.move_to([xs[k], CELL_Y, 0])
            self.cells.add(box)
            ids = self.result.provenance.get("token_ids")
            if ids:                           # the input is an embedding row
                lab = self.text(f"x{sub(s.t)} = E[{ids[k]}]", size=16, color=self.role("x"),
                                source=[("provenance.token_ids", None, k)])
            elif s.x.size == 1:
                lab = self.text(f"x{sub(s.t)}={self.num(s.x[0])}", size=16, color=self.role("x"), source=[("x", s.t, 0)])
            else:                             # a vector: named (its values are in the cell's inputs)
                lab = self.text(f"x{sub(s.t)}", size=16, color=self.role("x"))
            lab.next_to(box, DOWN, buff=0.25)
            self.xlabels.add(lab)
        self.links = VGroup(*[Arrow(self.cells[k].get_right(), self.cells[k + 1].get_left(), buff=0.02,
                                    color=self.muted, stroke_width=2, max_tip_length_to_length_ratio=0.4)
                              for k in range(T - 1)])
        self.title(f"Unfolded over T = {T} steps")
        self.play(*[TransformFromCopy(self.rolled_group[0], c) for c in self.cells],
                  FadeOut(self.rolled_group), run_time=1.8)
        self.play(FadeIn(self.links), FadeIn(self.xlabels, lag_ratio=0.1), run_time=1.2)
        self.caption("Unfolded, it is a deep feed-forward network with one layer per step.", hold=1.5)

    def forward_values(self) -> None:
        self.title("Forward: values flow left to right")
        self.hcols = VGroup()
        for k, s in enumerate(self.trace.steps):
            col = ValueColumn(s.h, vmax=1.0, cell_w=self.pitch * 0.72, cell_h=0.34, font_size=15, fg=self.fg,
                              pos=self.role("hidden"), neg=self.role("hidden"), source=units("h", s.t, s.h.size))
            if col.height > 0.95:
                col.scale_to_fit_height(0.95)
            col.move_to(self.cells[k])
            self.hcols.add(col)
            anims = [FadeIn(col)]
            if k:
                anims.append(Indicate(self.links[k - 1], color=self.role("hidden")))
            self.play(*anims, run_time=0.45 if k else 0.8)
        self.caption(f"h₁ … h{sub(self.T)}: each step squashes the last state mixed with the new input.", hold=1.5)

    def backward_norms(self) -> None:
        tr = self.trace
        self.title("Backward: ‖dL/dhₜ‖ going back in time")
        self.caption(f"Loss: {tr.loss_rule}.", hold=1.0)
        norms = [s.dh_norm for s in tr.steps]
        vmax = max(norms) or 1.0
        self.bars = VGroup()
        for k, s in enumerate(tr.steps):
            bar = LabelledBar(s.dh_norm, vmax=vmax, max_height=1.6, width=self.pitch * 0.45,
                              color=self.role("gradient"), fg=self.fg, font_size=15, source=("dh_norm", s.t, None))
            bar.shift(self.cells[k].get_top() + 0.2 * UP - bar.baseline.get_center())
            self.bars.add(bar)
        for k in reversed(range(self.T)):
            b = self.bars[k]
            self.play(GrowFromEdge(b.bar, DOWN), FadeIn(b.baseline), FadeIn(b.value_text),
                      run_time=0.5 if k < self.T - 1 else 0.9)
        d = tr.decay
        if d.mean_ratio is not None:
            self.show_eq(f"\\frac{{\\|dL/dh_{{t-1}}\\|}}{{\\|dL/dh_t\\|}} \\approx {self.num(d.mean_ratio)}"
                         f" \\ \\mathrm{{per\\ step}}: \\quad \\frac{{\\|dL/dh_1\\|}}{{\\|dL/dh_{{{self.T}}}\\|}}"
                         f" = {self.num(d.first_over_last)}")
        self.caption(f"Verdict: {d.verdict}. Early steps get {'almost no' if d.verdict == 'vanishing' else 'huge'}"
                     f" gradient." if d.verdict in ("vanishing", "exploding") else f"Verdict: {d.verdict}.", hold=2.5)

    def power_intuition(self) -> None:
        d = self.trace.decay
        self.title("Why: a product of T factors")
        lines = [f"{self.num(d.p099)}^{{100}} = {self.num(d.p099_pow100, 5)}",
                 f"{self.num(d.p101)}^{{100}} = {self.num(d.p101_pow100, 5)}"]
        if d.mean_ratio is not None and d.mean_ratio_pow100 is not None:
            lines.append(f"\\mathrm{{this\\ RNN}}: {self.num(d.mean_ratio)}^{{100}} = {self.tnum(d.mean_ratio_pow100)}")
        eqs = VGroup(*[self.eq(s, size=30) for s in lines]).arrange(DOWN, aligned_edge=LEFT, buff=0.25)
        panel = SurroundingRectangle(eqs, color=self.muted, buff=0.25, fill_color=self.panel, fill_opacity=0.95)
        group = VGroup(panel, eqs).move_to([0, -1.9, 0])
        old = getattr(self, "_eq", None)
        self.play(FadeOut(old) if old is not None else FadeIn(VGroup()), FadeIn(group), run_time=1.0)
        self._eq = None
        self.caption("Slightly below 1 per step vanishes; slightly above 1 explodes.", hold=3.0)
        self.play(FadeOut(group), run_time=0.6)

    def clipping(self) -> None:
        c = self.trace.clip
        self.title("Gradient clipping by norm")
        if c is None:
            self.show_eq("\\mathrm{if}\\ \\|g\\| > \\beta: \\quad g \\leftarrow \\beta\\, g / \\|g\\|")
            self.caption("This trace was computed without clipping: add --clip BETA to see it applied.", hold=3.0)
            return
        self.play(FadeOut(self.bars), FadeOut(self.hcols), run_time=0.6)
        vmax = max(c.norm_before, c.beta)
        before = LabelledBar(c.norm_before, vmax=vmax, max_height=2.2, width=0.9, color=self.role("gradient"),
                             label="‖g‖ before", fg=self.fg, font_size=20, source=("clip.norm_before", None, None))
        after = LabelledBar(c.norm_after, vmax=vmax, max_height=2.2, width=0.9, color=self.role("output"),
                            label="after", fg=self.fg, font_size=20, source=("clip.norm_after", None, None))
        y0 = 0.3
        before.shift([-1.3, y0, 0] - before.baseline.get_center())
        after.shift([1.3, y0, 0] - after.baseline.get_center())
        after.value_text.next_to(after.bar, RIGHT, buff=0.15)
        self.play(FadeOut(self.cells), FadeOut(self.links), FadeOut(self.xlabels), run_time=0.5)
        beta_y = before.baseline.get_y() + 2.2 * min(c.beta / vmax, 1.0)
        beta_line = DashedLine([-2.2, beta_y, 0], [2.2, beta_y, 0], color=self.role("y"))
        beta_lab = self.text(f"β = {self.num(c.beta)}", size=22, color=self.role("y")).next_to(beta_line, LEFT)
        self.play(GrowFromEdge(before.bar, DOWN), FadeIn(before.baseline, before.value_text, before.label))
        self.play(Create(beta_line), FadeIn(beta_lab))
        self.show_eq(f"\\|g\\| = {self.num(c.norm_before)} > \\beta = {self.num(c.beta)}: \\quad"
                     f" g \\leftarrow \\frac{{\\beta}}{{\\|g\\|}} g = {self.num(c.scale)}\\, g"
                     if c.clipped else
                     f"\\|g\\| = {self.num(c.norm_before)} \\leq \\beta = {self.num(c.beta)}: \\quad g\\ \\mathrm{{unchanged}}")
        self.play(TransformFromCopy(before.bar, after.bar), FadeIn(after.baseline, after.value_text, after.label),
                  run_time=1.5)
        self.caption("Clipping keeps the direction and caps the length of the step.", hold=3.0)

    # ------------------------------------------------------------------ helpers


class GradientFlowScene(TraceScene):
    """RNN vs LSTM vs GRU on the RNN trace's input sequence: per-step gradient norms side by side."""

    model = "recurrent-compare"
    preset = "gradient-flow"
    EQ_Y = -2.45

    def setup(self) -> None:
        super().setup()
        self.rnn, self.lstm, self.gru = self.trace.rnn, self.trace.lstm, self.trace.gru

    beats = ("intro", "grow_rows", "forget_path")   # construct()'s paragraphs: one slide each

    def construct(self) -> None:
        self.intro()
        self.rows = [self.bar_row(0, "RNN", "‖dL/dhₜ‖", [s.dh_norm for s in self.rnn.steps], "hidden", "rnn.steps.{}.dh_norm"),
                     self.bar_row(1, "LSTM", "‖dL/dcₜ‖", [s.dc_norm for s in self.lstm.bptt.steps], "cell",
                                  "lstm.bptt.steps.{}.dc_norm"),
                     self.bar_row(2, "GRU", "‖dL/dhₜ‖", [s.dh_norm for s in self.gru.bptt.steps], "update",
                                  "gru.bptt.steps.{}.dh_norm")]
        self.grow_rows()
        self.forget_path()

    def intro(self) -> None:
        self.T = len(self.rnn.steps)
        self.title("Gradient flow back through time", "the same input sequence through three cells")
        self.add(self.provenance())
        self.caption(f"RNN: {self.rnn.loss_rule}.  LSTM and GRU: their own weights, L = sum(y_T).", hold=2.0)

    def bar_row(self, r: int, name: str, what: str, norms, role: str, field: str) -> VGroup:
        """One cell's per-step norms as bars; ``field``: the trace record of step k's norm (``{}`` = k)."""
        base_y = 1.25 - r * 1.95
        pitch = min(1.0, 10.4 / self.T)
        x0 = -4.2
        vmax = max(norms) or 1.0
        bars = VGroup()
        for k, v in enumerate(norms):
            b = LabelledBar(v, vmax=vmax, max_height=1.15, width=pitch * 0.5, color=self.role(role), fg=self.fg,
                            font_size=14, label=f"t={k + 1}" if r == 2 else None, source=(field.format(k), None, None))
            b.shift([x0 + k * pitch, base_y, 0] - b.baseline.get_center())
            bars.add(b)
        head = VGroup(self.text(name, size=26, color=self.role(role), weight="BOLD"),
                      self.text(what, size=18, color=self.muted)).arrange(DOWN, buff=0.08)
        head.move_to([-5.8, base_y + 0.5, 0])
        row = VGroup(head, bars)
        row.bars, row.head = bars, head
        return row

    def grow_rows(self) -> None:
        for row in self.rows:
            self.play(FadeIn(row.head), run_time=0.4)
            for b in reversed(row.bars):
                self.play(GrowFromEdge(b.bar, DOWN), FadeIn(b.baseline, b.value_text,
                                                            *( [b.label] if b.label else [])), run_time=0.25)
            self.pause(1.2)
        self.caption("Each row is scaled to its own largest norm; the printed values are the norms.", hold=2.0)

    def forget_path(self) -> None:
        row = self.rows[1]
        steps = self.lstm.bptt.steps
        labels = VGroup(*[self.text(self.num(s.J_forget_norm, 2), size=14, color=self.role("forget"),
                                    source=[(f"lstm.bptt.steps.{k}.J_forget_norm", None, None)])
                          .next_to(b.baseline, DOWN, buff=0.08) for k, (s, b) in enumerate(zip(steps, row.bars))])
        key = self.text("‖diag(fₜ)‖", size=16, color=self.role("forget")).next_to(row.head, DOWN, buff=0.1)
        labels.add(key)
        lane = SurroundingRectangle(VGroup(row.bars, labels), color=self.role("forget"), buff=0.1, stroke_width=3)
        self.title("The LSTM's additive path: the forget gate")
        self.play(Create(lane), FadeIn(labels, lag_ratio=0.1), run_time=1.5)
        s = steps[-1]
        self.caption(f"dcₜ/dcₜ₋₁ = A + B + C + D with B = diag(fₜ): ‖B‖ ≈ {self.num(s.J_forget_norm, 2)}, "
                     f"no tanh' factor, so the cell gradient survives.", hold=3.5)
