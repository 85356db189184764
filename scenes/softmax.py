"""softmax-temperature: p = softmax(z / T) as T sweeps (0.1 -> 10), with seeded sample counts.

Left, the probabilities of the next token; right, how often each token came out of the
trace's seeded sampler (n draws per T). Then the two limits from the trace: T -> 0 (argmax,
one-hot) and T -> infinity (uniform).

    manim -ql scenes/softmax.py SoftmaxTemperatureScene
"""
from __future__ import annotations

from manim import DOWN, LEFT, DashedVMobject, FadeIn, FadeOut, Rectangle, ReplacementTransform, VGroup

from gatelab.scenes.base import TraceScene
from gatelab.scenes.mobjects import LabelledBar

BASE_Y = -1.2
BAR_H = 2.55


class SoftmaxTemperatureScene(TraceScene):
    model = "softmax"
    preset = "softmax-temperature"
    EQ_Y = -2.85

    beats = ("show_logits", "at_temperature", "limits")   # construct()'s paragraphs: one slide each

    def construct(self) -> None:
        self.show_logits()
        for k in range(len(self.trace.rows)):
            self.at_temperature(k)
        self.limits()

    # ------------------------------------------------------------------ beats
    def show_logits(self) -> None:
        tr = self.trace
        self.C = len(tr.logits)
        self.pitch = min(1.15, 5.6 / self.C)
        self.tokens = list(tr.tokens) or [f"#{c + 1}" for c in range(self.C)]
        self.title("Sampling temperature: p = softmax(z / T)")
        self.add(self.provenance())
        self.token_row = VGroup()
        for c in range(self.C):
            t = self.text(self.tokens[c], size=22).move_to([self.x(0, c), BASE_Y - 0.35, 0])
            z = self.text(f"z={self.num(tr.logits[c])}", size=17, color=self.muted).next_to(t, DOWN, buff=0.08)
            self.token_row.add(VGroup(t, z))
        counts_row = self.token_row.copy().shift([self.x(1, 0) - self.x(0, 0), 0, 0])
        for g in counts_row:
            g.remove(g[1])
        self.heads = VGroup(
            self.text("probability p", size=24, color=self.role("attention")).move_to([self.mid(0), 1.9, 0]),
            self.text(f"{tr.samples} seeded samples", size=24, color=self.role("input")).move_to([self.mid(1), 1.9, 0]))
        self.counts_row = counts_row
        self.play(FadeIn(self.token_row, lag_ratio=0.1), FadeIn(counts_row), FadeIn(self.heads), run_time=1.2)
        self.show_eq("p_i = \\frac{e^{z_i / T}}{\\sum_j e^{z_j / T}}")
        self.caption("Logits z score the candidate next tokens; T rescales them before the softmax.", hold=2.0)
        self.p_bars = None
        self.n_bars = None
        self.t_label = None

    def at_temperature(self, k: int) -> None:
        tr = self.trace
        row = tr.rows[k]
        p_bars = self.bars(row.p, 1.0, 0, "attention", digits=2)
        n_bars = self.bars(row.counts, float(tr.samples), 1, "input", digits=4)
        label = VGroup(self.text(f"T = {self.num(row.T)}", size=34, weight="BOLD"),
                       self.text(f"entropy {self.num(row.entropy_bits)} bits", size=20, color=self.muted))
        label.arrange(DOWN, buff=0.08).move_to([0, 2.5, 0])
        if self.p_bars is None:
            self.play(FadeIn(p_bars), FadeIn(n_bars), FadeIn(label), run_time=1.2)
        else:
            self.play(ReplacementTransform(self.p_bars, p_bars), ReplacementTransform(self.n_bars, n_bars),
                      ReplacementTransform(self.t_label, label), run_time=1.2)
        self.p_bars, self.n_bars, self.t_label = p_bars, n_bars, label
        first, last = k == 0, k == len(tr.rows) - 1
        if first:
            self.caption("Small T: the largest logit takes almost everything.", hold=1.5)
        elif last:
            self.caption("Large T: the probabilities flatten towards uniform.", hold=1.5)
        else:
            if k == 1:
                self.caption(None)
            self.pause(1.4)

    def limits(self) -> None:
        tr = self.trace
        self.title("The two limits")
        zero = self.ghost(tr.limit_zero, self.role("output"))
        inf = self.ghost(tr.limit_inf, self.role("y"))
        k0 = self.text("T → 0: argmax (one-hot)", size=22, color=self.role("output"))
        ki = self.text(f"T → ∞: uniform 1/{self.C}", size=22, color=self.role("y"))
        VGroup(k0, ki).arrange(DOWN, aligned_edge=LEFT, buff=0.12).move_to([self.x(1, 2), 0.9, 0])
        self.play(FadeOut(self.n_bars), FadeOut(self.counts_row), FadeOut(self.heads[1]), FadeIn(zero), FadeIn(k0),
                  run_time=1.0)
        self.show_eq(f"T \\to 0: p \\to ({', '.join(self.num(v) for v in tr.limit_zero)})")
        self.pause(1.5)
        self.play(FadeIn(inf), FadeIn(ki), run_time=1.0)
        self.show_eq(f"T \\to \\infty: p \\to ({', '.join(self.num(v) for v in tr.limit_inf)})")
        self.caption(f"Greedy decoding is T → 0; the trace's argmax is “{self.tokens[int(tr.argmax)]}”.", hold=3.0)

    # ------------------------------------------------------------------ helpers
    def x(self, panel: int, c: int) -> float:
        left = -6.0 if panel == 0 else 0.9
        return left + (c + 0.5) * self.pitch

    def mid(self, panel: int) -> float:
        return (self.x(panel, 0) + self.x(panel, self.C - 1)) / 2

    def bars(self, values, vmax: float, panel: int, role: str, digits: int) -> VGroup:
        group = VGroup()
        for c, v in enumerate(values):
            b = LabelledBar(float(v), vmax=vmax, max_height=BAR_H, width=self.pitch * 0.55, color=self.role(role),
                            fg=self.fg, font_size=18, digits=digits)
            b.shift([self.x(panel, c), BASE_Y, 0] - b.baseline.get_center())
            group.add(b)
        return group

    def ghost(self, values, color) -> VGroup:
        group = VGroup()
        for c, v in enumerate(values):
            h = max(float(v) * BAR_H, 0.02)
            r = DashedVMobject(Rectangle(width=self.pitch * 0.7, height=h, color=color, stroke_width=3), num_dashes=24)
            r.move_to([self.x(0, c), BASE_Y + h / 2, 0])
            group.add(r)
        return group
