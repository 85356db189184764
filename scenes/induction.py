"""induction-head: how a trained 2-layer GPT-2 continues a repeated sequence.

The repeated sequence appears; layer 1's previous-token head joins every position to the one
before it (arcs drawn with the head's own weights) and writes "what came before me" under each
token; layer 2's induction head, at one query, finds the position whose previous token is the
query's token and copies that position's token (the weight and the copied token's probability
from the trace); the scene ends on the predicted next tokens of the repeated half with their
probabilities. Default preset induction-heads-example.

    manim -ql scenes/induction.py InductionHeadScene
"""
from __future__ import annotations

import numpy as np
from manim import DOWN, ArcBetweenPoints, Create, FadeIn, FadeOut, SurroundingRectangle, VGroup

from gatelab.scenes.base import TraceScene

ROW_Y = 1.1            # token row
PREV_Y = 0.25          # "after X" row (layer 1's write)
PRED_Y = -0.95         # predictions row
PROB_Y = -1.4


class InductionHeadScene(TraceScene):
    beats = ('show_sequence', 'previous_token_head', 'induction_head', 'predictions')   # construct()'s paragraphs: one slide each
    model = "induction-heads"
    preset = "induction-heads-example"
    EQ_Y = -2.3

    def construct(self) -> None:
        self.show_sequence()
        self.previous_token_head()
        self.induction_head()
        self.predictions()

    def named(self, nh) -> bool:
        """Whether the engine named this head for its job (its held-out score reached the bar)."""
        return self.trace.head_labels.get(f"L{nh.layer}H{nh.head}") == nh.job

    # ------------------------------------------------------------------ beats
    def show_sequence(self) -> None:
        tr = self.trace
        self.T = len(tr.tokens)
        self.gap = min(0.82, 13.0 / self.T)
        self.xs = [(i - (self.T - 1) / 2) * self.gap for i in range(self.T)]
        c = tr.config
        self.title("Induction heads: copy what came next last time",
                   f"GPT-2 trained in numpy: {c['n_layer']} layers x {c['n_head']} heads, d_model {c['n_embd']}")
        self.add(self.provenance())
        self.toks = VGroup(*[self.text(t, size=28, weight="BOLD").move_to([x, ROW_Y, 0])
                             for t, x in zip(tr.tokens, self.xs)])
        self.play(FadeIn(self.toks, lag_ratio=0.05), run_time=1.2)
        self.caption("Random letters, then the same letters again: the second half can only be predicted by copying.",
                     hold=1.0)

    def previous_token_head(self) -> None:
        tr = self.trace
        nh = tr.named_heads[0]
        A = tr.layers[nh.layer - 1].attention[nh.head - 1]
        head = self.text(f"L{nh.layer}H{nh.head}: previous-token head, held-out score {self.num(nh.score)} "
                         f"(untrained {self.num(nh.control)})", size=20, color=self.role("forget"),
                         source=[("named_heads.0.score", None, None), ("named_heads.0.control", None, None)])
        head.move_to([0, 2.15, 0])
        arcs = VGroup()
        for t in range(1, self.T):
            w = float(A[t, t - 1])
            arcs.add(ArcBetweenPoints([self.xs[t], ROW_Y + 0.25, 0], [self.xs[t - 1], ROW_Y + 0.25, 0], angle=-2.2,
                                      stroke_width=1 + 5 * w, color=self.role("forget")).set_stroke(opacity=0.2 + 0.8 * w))
        self.play(FadeIn(head), Create(arcs, lag_ratio=0.05), run_time=1.5)
        self.prev = VGroup(*[self.text(f"after {tr.tokens[t - 1]}", size=13, color=self.role("forget"))
                             .move_to([self.xs[t], PREV_Y, 0]) for t in range(1, self.T)])
        if self.named(nh):
            self.play(FadeIn(self.prev, shift=0.1 * DOWN, lag_ratio=0.04), run_time=1.0)
            self.caption("Layer 1: each position attends the one before it and writes “what came before me”.", hold=1.2)
        else:
            self.caption("Layer 1: this model's heads give the previous position only a small share (arcs: real weights).",
                         hold=1.2)
        self.play(FadeOut(arcs), run_time=0.4)
        self.head1 = head

    def induction_head(self) -> None:
        tr = self.trace
        st = tr.step
        if st is None:
            self.caption("No token of this input occurred before: there is nothing to copy.", hold=1.5)
            return
        nh = tr.named_heads[1]
        head = self.text(f"L{nh.layer}H{nh.head}: induction head, held-out score {self.num(nh.score)} "
                         f"(untrained {self.num(nh.control)})", size=20, color=self.role("input"),
                         source=[("named_heads.1.score", None, None), ("named_heads.1.control", None, None)])
        head.move_to([0, 2.15, 0])
        self.play(FadeOut(self.head1), FadeIn(head), run_time=0.6)
        q, j, k = st.query, st.earlier, st.key
        qbox = SurroundingRectangle(self.toks[q], color=self.role("input"), buff=0.08)
        jbox = SurroundingRectangle(self.toks[j], color=self.muted, buff=0.08)
        self.play(Create(qbox), Create(jbox), run_time=0.6)
        self.caption(f"Layer 2 at “{st.query_token}”: which position says “after {st.query_token}”?", hold=0.6)
        kbox = SurroundingRectangle(VGroup(self.toks[k], self.prev[k - 1]), color=self.role("input"), buff=0.08)
        arc = ArcBetweenPoints([self.xs[q], ROW_Y - 0.3, 0], [self.xs[k], ROW_Y - 0.3, 0], angle=-1.2,
                               stroke_width=2 + 6 * st.attention_weight, color=self.role("input"))
        w = self.text(f"weight {self.num(st.attention_weight)}", size=18, color=self.role("input"),
                      source=[("step.attention_weight", None, None)])
        w.next_to(arc, DOWN, buff=0.05)
        self.play(Create(kbox), Create(arc), FadeIn(w), run_time=1.2)
        copy = self.text(f"copies “{st.copied_token}”: p = {self.num(st.probability)}", size=20, color=self.role("input"),
                         source=[("step.probability", None, None)])
        copy.move_to([self.xs[q], PRED_Y, 0])
        if copy.get_right()[0] > 6.9:
            copy.shift((6.9 - copy.get_right()[0]) * np.array([1, 0, 0]))
        self.play(FadeIn(copy, shift=0.1 * DOWN), run_time=0.6)
        self.caption(f"It attends the token after the earlier “{st.query_token}” and copies it as the prediction."
                     if self.named(nh) else "This head's weight on that key is small: the model copies by other routes.",
                     hold=1.5)
        self.play(FadeOut(VGroup(qbox, jbox, kbox, arc, w, copy)), run_time=0.4)

    def predictions(self) -> None:
        tr = self.trace
        rows = VGroup()
        for p in tr.predictions:
            if tr.earlier[p.position] < 0 or p.target is None:
                continue
            ok = p.predicted == p.target
            colour = self.role("output") if ok else self.role("forget")
            i = p.position
            rows.add(self.text(p.predicted, size=22, weight="BOLD", color=colour).move_to([self.xs[i], PRED_Y, 0]))
            rows.add(self.text(self.num(p.probability, 2), size=13, color=colour,
                               source=[(f"predictions.{i}.probability", None, None)]).move_to([self.xs[i], PROB_Y, 0]))
        label = self.text("predicted next token, p", size=16, color=self.muted).move_to([self.xs[0] + 1.2, PRED_Y, 0])
        self.play(FadeIn(rows, lag_ratio=0.05), FadeIn(label), run_time=1.5)
        self.caption("The repeated half, predicted by copying: each prediction is the next letter of the first half.",
                     hold=2.0)
