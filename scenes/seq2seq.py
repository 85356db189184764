"""seq2seq-attention: a fixed context vector first, then attention decoding step by step.

Part 1: the encoder reads the source; every decoder step gets the same vector C (the trace's
``fixed_context`` = [hf_T, hb_1]). Part 2: with attention, decoder step i weighs the encoder
annotations h_j by alpha_ij: the weights light up, the alignment matrix fills row by row and
the context c_i = sum_j alpha_ij h_j is formed; the predicted token and its probability are
the trace's. Default preset seq2seq-reverse (trained in numpy to reverse digits).

    manim -ql scenes/seq2seq.py Seq2SeqAttentionScene
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Create, FadeIn, FadeOut, RoundedRectangle,
                   SurroundingRectangle, VGroup)

from gatelab.scenes.base import TraceScene
from gatelab.scenes.mobjects import Heatmap, ValueColumn, sub

SHOW = 4


class Seq2SeqAttentionScene(TraceScene):
    model = "seq2seq"
    preset = "seq2seq-reverse"
    EQ_Y = -2.75

    beats = ("fixed_context", "attention_intro", "decode_step", "summary")   # construct()'s paragraphs: one slide each

    def construct(self) -> None:
        self.fixed_context()
        if self.trace.alignment is not None:
            self.attention_intro()
            for i in range(len(self.trace.steps)):
                self.decode_step(i)
            self.summary()

    # ------------------------------------------------------------------ part 1
    def fixed_context(self) -> None:
        tr = self.trace
        self.Tin = len(tr.source)
        self.title("Encoder–decoder with one fixed context vector")
        self.add(self.provenance())
        enc = VGroup()
        for tok in tr.source:
            box = RoundedRectangle(width=0.8, height=0.6, corner_radius=0.1, color=self.role("hidden"))
            lab = self.text(tok, size=22).next_to(box, DOWN, buff=0.15)
            enc.add(VGroup(box, lab))
        enc.arrange(RIGHT, buff=0.3).move_to([-4.2, 0.9, 0])
        if enc.width > 5.2:
            enc.scale_to_fit_width(5.2)
        links = VGroup(*[Arrow(enc[j][0].get_right(), enc[j + 1][0].get_left(), buff=0.02, color=self.muted,
                               stroke_width=2, max_tip_length_to_length_ratio=0.4) for j in range(self.Tin - 1)])
        C = self.vector(tr.fixed_context, "C", "cell").move_to([2.4, 0.9, 0])
        to_c = Arrow(enc.get_right(), C.get_left(), buff=0.15, color=self.role("cell"))
        T_out = len(tr.steps)
        dec = VGroup(*[RoundedRectangle(width=0.7, height=0.5, corner_radius=0.1, color=self.role("output"))
                       for _ in range(T_out)]).arrange(RIGHT, buff=0.25).move_to([1.8, -0.9, 0])
        dec_labels = VGroup(*[self.text(f"y{sub(k + 1)}", size=20, color=self.role("output")).next_to(b, DOWN, buff=0.12)
                              for k, b in enumerate(dec)])
        feeds = VGroup(*[Arrow(C.get_bottom(), b.get_top(), buff=0.08, color=self.role("cell"), stroke_width=2,
                               tip_length=0.14, max_tip_length_to_length_ratio=0.5) for b in dec])
        self.play(FadeIn(enc, lag_ratio=0.2), Create(links), run_time=1.5)
        self.play(Create(to_c), FadeIn(C), run_time=1.0)
        self.show_eq("C = [\\overrightarrow{h}_T,\\ \\overleftarrow{h}_1]\\ \\mathrm{(the\\ last\\ encoder\\ states)}")
        self.play(FadeIn(dec), FadeIn(dec_labels), Create(feeds), run_time=1.2)
        self.caption("Every decoder step sees the same C: the whole sentence squeezed into one vector.", hold=2.5)
        self.caption("Attention instead builds a new context cᵢ for every output step.", hold=1.5)

    # ------------------------------------------------------------------ part 2
    def attention_intro(self) -> None:
        tr = self.trace
        self.clear_all()
        self.title(f"With attention ({tr.attention}, score: {tr.score})")
        self.add(self.provenance())
        self.T_out = len(tr.steps)
        rows = [f"{s.input_token} → {s.predicted}" for s in tr.steps]
        self.hm = Heatmap(tr.alignment, row_labels=rows, col_labels=list(tr.source), cell=1.05,
                          cell_h=min(0.46, 3.3 / self.T_out), vmax=1.0, digits=2, fg=self.fg,
                          pos=self.role("attention"), font_size=18)
        self.hm.move_to([-2.4, 0.3, 0])
        ann = self.text("encoder annotations hⱼ: forward and backward states of each source token", size=18,
                        color=self.muted)
        ann.next_to(self.hm.col_labels, UP, buff=0.2)
        self.play(FadeIn(self.hm.col_labels), FadeIn(self.hm.row_labels), FadeIn(ann), run_time=1.2)
        self.show_eq("e_{ij} = \\mathrm{score}(s_{i-1}, h_j),\\quad \\alpha_{ij} = \\mathrm{softmax}_j(e_{ij}),"
                     "\\quad c_i = \\sum_j \\alpha_{ij} h_j")
        self.caption("Rows: decoder steps (input → prediction). Columns: source tokens.", hold=1.5)
        self.panel = None
        self.pick = None

    def decode_step(self, i: int) -> None:
        tr = self.trace
        s = tr.steps[i]
        row = self.hm.row(i)
        self.play(FadeIn(row, lag_ratio=0.15), run_time=0.9)
        pick = SurroundingRectangle(self.hm.cells[i][s.attended], color=self.role("y"), buff=0.02, stroke_width=4)
        info = VGroup(self.text(f"step {s.i}: input “{s.input_token}”", size=20),
                      self.text(f"predicts “{s.predicted}”  p = {self.num(s.p_predicted, 2)}", size=20,
                                color=self.role("output")))
        if s.target is not None:
            info.add(self.text(f"target “{s.target}”", size=18, color=self.muted))
        info.arrange(DOWN, aligned_edge=LEFT, buff=0.12).move_to([4.6, 0.9, 0]).align_to([2.3, 0, 0], LEFT)
        ctx = self.vector(s.context, f"c{sub(s.i)}", "attention").next_to(info, DOWN, buff=0.35).align_to(info, LEFT)
        anims = [Create(pick), FadeIn(info), FadeIn(ctx)]
        if self.panel is not None:
            anims += [FadeOut(self.panel), FadeOut(self.pick)]
        self.play(*anims, run_time=0.8)
        self.panel, self.pick = VGroup(info, ctx), pick
        terms = " + ".join(f"{self.num(a, 2)}\\,h_{{{k + 1}}}" for k, a in enumerate(s.alpha[:6]))
        if i < 2 or i == self.T_out - 1:
            self.show_eq(f"c_{{{s.i}}} = {terms}")
            self.pause(1.5)
        else:
            self.pause(0.8)

    def summary(self) -> None:
        tr = self.trace
        self.play(FadeOut(self.panel), FadeOut(self.pick))
        acc = (f"  Steps predicted right: {self.num(100 * tr.accuracy)}%." if tr.accuracy is not None else "")
        self.caption("The alignment matrix shows which source word each output looked at." + acc, hold=3.0)

    # ------------------------------------------------------------------ helpers
    def vector(self, values, label: str, role: str) -> VGroup:
        vals = np.ravel(values)
        col = ValueColumn(vals[:SHOW], horizontal=True, vmax=max(float(np.max(np.abs(vals))), 1e-9), cell_w=0.72,
                          cell_h=0.4, font_size=17, fg=self.fg, pos=self.role(role), neg=self.role(role))
        parts = [self.text(label, size=22, color=self.role(role)), col]
        if vals.size > SHOW:
            parts.append(self.text(f"… ({vals.size})", size=17, color=self.muted))
        return VGroup(*parts).arrange(RIGHT, buff=0.12)
