"""attention-walkthrough: scaled dot-product attention, one query worked through, then all.

embeddings x_i -> q_i, k_i, v_i -> dots q_1.k_j (112, 96) -> divide by sqrt(d_k) (14, 12)
-> softmax (0.88, 0.12) -> z_1 = sum_j a_1j v_j; then the whole weight matrix. Any Q/K/V
attention trace works (default preset thinking-machines). Long vectors show their first
entries and "…"; every number shown is read from the trace.

    manim -ql scenes/attention.py AttentionWalkthroughScene
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, Arrow, Create, FadeIn, FadeOut, GrowFromEdge, SurroundingRectangle, VGroup)

from gatelab.scenes.base import TraceScene
from gatelab.scenes.mobjects import HBar, Heatmap, ValueColumn, sub

SHOW = 4          # entries of a long vector printed before "…"


class AttentionWalkthroughScene(TraceScene):
    model = "attention"
    preset = "thinking-machines"
    EQ_Y = -2.75

    beats = ("show_embeddings", "project_qkv", "score_one_query", "weighted_sum", "all_queries")   # construct()'s paragraphs: one slide each

    def construct(self) -> None:
        self.show_embeddings()
        self.project_qkv()
        self.score_one_query(0)
        self.weighted_sum(0)
        self.all_queries()

    # ------------------------------------------------------------------ beats
    def show_embeddings(self) -> None:
        tr = self.trace
        self.T = tr.q.shape[0]
        self.Tk = tr.k.shape[0]
        self.qtok = list(tr.tokens) or [f"#{i + 1}" for i in range(self.T)]
        self.ktok = list(tr.key_tokens) or [f"#{j + 1}" for j in range(self.Tk)]
        self.title("Scaled dot-product attention, step by step")
        self.add(self.provenance())
        self.rows = VGroup()
        if tr.x is None:
            self.caption("This trace starts from given queries, keys and values.", hold=1.0)
            return
        shown = min(self.T, 4)
        for i in range(shown):
            word = self.text(self.qtok[i], size=24, color=self.fg)
            vec = self.vector(tr.x[i], f"x{sub(i + 1)}", "x", ("x", i))
            row = VGroup(word, vec).arrange(RIGHT, buff=0.35)
            self.rows.add(row)
        self.rows.arrange(DOWN, buff=0.5, aligned_edge=RIGHT).move_to([-3.6, 0.6, 0])
        self.play(FadeIn(self.rows, lag_ratio=0.3), run_time=1.5)
        self.caption(f"Each token is an embedding vector of width {tr.x.shape[1]}.", hold=1.5)

    def project_qkv(self) -> None:
        tr = self.trace
        shown = min(self.T, 4) if tr.x is not None else min(self.T, 4)
        self.qkv = VGroup()
        groups = []
        for i in range(shown):
            q = self.vector(tr.q[i], f"q{sub(i + 1)}", "output", ("q", i))
            k = self.vector(tr.k[i], f"k{sub(i + 1)}", "input", ("k", i)) if i < self.Tk else VGroup()
            v = self.vector(tr.v[i], f"v{sub(i + 1)}", "candidate", ("v", i)) if i < self.Tk else VGroup()
            g = VGroup(q, k, v).arrange(DOWN, buff=0.12, aligned_edge=LEFT)
            groups.append(g)
        self.qkv = VGroup(*groups).arrange(DOWN, buff=0.35, aligned_edge=LEFT)
        if self.qkv.height > 5.2:
            self.qkv.scale_to_fit_height(5.2)
        self.qkv.move_to([3.3, 0.45, 0])
        arrows = VGroup()
        if len(self.rows):
            for row, g in zip(self.rows, groups):
                arrows.add(Arrow(row.get_right(), g.get_left(), buff=0.15, color=self.muted, stroke_width=2))
        self.play(*[Create(a) for a in arrows], run_time=0.8)
        self.play(FadeIn(self.qkv, lag_ratio=0.2), run_time=1.6)
        d_in = tr.x.shape[1] if tr.x is not None else "d"
        self.show_eq(f"q_i = x_i W^Q,\\ \\ k_i = x_i W^K,\\ \\ v_i = x_i W^V \\quad "
                     f"(W: {d_in} \\times {tr.q.shape[1]})",
                     source=([("x", None, "columns")] if tr.x is not None else []) + [("q", None, "columns")])
        if tr.q.shape[1] > SHOW:
            self.caption(f"q, k, v have {tr.q.shape[1]} entries each: the first {SHOW} are printed.", hold=1.5)
        else:
            self.pause(1.5)
        self.arrows = arrows

    def score_one_query(self, i: int) -> None:
        tr = self.trace
        self.clear_all()
        self.title(f"Query {i + 1}: “{self.qtok[i]}” scores every key")
        self.add(self.provenance())
        rows = VGroup()
        col_x = [-5.2, -2.1, 0.7, 3.2]
        d_k = [("d_k", None, None)] if tr.d_k else [("k", None, "columns")]
        heads = VGroup(*[self.text(s, size=22, color=self.muted, source=src) for s, src in
                         (("key", None), (f"q{sub(i + 1)}·kⱼ", None), (f"÷ √{tr.d_k or tr.k.shape[1]}", d_k),
                          ("softmax", None))])
        for h, x in zip(heads, col_x):
            h.move_to([x, 2.2, 0])
        self.play(FadeIn(heads))
        self.heads = heads
        shown = min(self.Tk, 6)
        self.table = []
        bar_max = 2.8
        for j in range(shown):
            y = 1.5 - j * min(0.75, 3.6 / shown)
            key = self.text(self.ktok[j], size=24).move_to([col_x[0], y, 0])
            dot = self.text(self.num(tr.dots[i, j]), size=26, source=[("dots", None, (i, j))]).move_to([col_x[1], y, 0])
            scl = self.text(self.num(tr.scores[i, j]) if not tr.mask[i, j] else "masked", size=26,
                            source=[("scores", None, (i, j))] if not tr.mask[i, j] else None)
            scl.move_to([col_x[2], y, 0])
            bar = HBar(tr.weights[i, j], vmax=1.0, max_width=bar_max, color=self.role("attention"), fg=self.fg,
                       font_size=26, digits=2, source=("weights", None, (i, j))).left_at([col_x[3] - 0.7, y, 0])
            self.table.append((key, dot, scl, bar))
            rows.add(key)
        self.play(FadeIn(rows, lag_ratio=0.2))
        self.play(*[FadeIn(r[1], shift=0.2 * RIGHT) for r in self.table], run_time=1.0)
        self.show_eq(f"q_{{{i + 1}}} \\cdot k_j = " + ",\\ ".join(self.num(tr.dots[i, j]) for j in range(shown)),
                     source=[("dots", None, (i, j)) for j in range(shown)])
        self.pause(1.5)
        self.play(*[FadeIn(r[2], shift=0.2 * RIGHT) for r in self.table], run_time=1.0)
        self.show_eq(f"\\mathrm{{score}}_{{{i + 1}j}} = \\frac{{q_{{{i + 1}}} \\cdot k_j}}{{\\sqrt{{d_k}}}}"
                     f" = \\frac{{{self.num(tr.dots[i, 0])}}}{{{self.num(tr.scale)}}} = {self.num(tr.scores[i, 0])}"
                     + (f",\\ \\ \\frac{{{self.num(tr.dots[i, 1])}}}{{{self.num(tr.scale)}}} = "
                        f"{self.num(tr.scores[i, 1])}" if shown > 1 and not tr.mask[i, 1] else ""),
                     source=[(f, None, idx) for j in range(2 if shown > 1 and not tr.mask[i, 1] else 1)
                             for f, idx in (("dots", (i, j)), ("scale", None), ("scores", (i, j)))])
        self.caption("Dividing by √d_k keeps the scores from growing with the width of q and k.", hold=1.5)
        self.play(*[GrowFromEdge(r[3].bar, LEFT) for r in self.table],
                  *[FadeIn(r[3].value_text) for r in self.table], run_time=1.5)
        self.show_eq(f"\\alpha_{{{i + 1}j}} = \\mathrm{{softmax}}_j(\\mathrm{{score}}_{{{i + 1}j}}) = "
                     + ",\\ ".join(self.num(tr.weights[i, j], 2) for j in range(shown)),
                     source=[("weights", None, (i, j)) for j in range(shown)])
        self.caption(f"Softmax turns the scores into weights that sum to {self.num(tr.row_sums[i])}.", hold=2.0)

    def weighted_sum(self, i: int) -> None:
        tr = self.trace
        self.title(f"z{sub(i + 1)}: the values, mixed by the weights")
        keep = VGroup(*[VGroup(r[0], r[3]) for r in self.table])
        others = VGroup(*[VGroup(r[1], r[2]) for r in self.table], self.heads)
        self.play(FadeOut(others), keep.animate.shift(LEFT * 0.2), run_time=0.8)
        vs = VGroup(*[self.vector(tr.v[j], f"v{sub(j + 1)}", "candidate", ("v", j)) for j in range(min(self.Tk, 6))])
        for j, v in enumerate(vs):
            v.move_to([-1.0, self.table[j][0].get_y(), 0])
        self.play(FadeIn(vs, lag_ratio=0.2), run_time=1.0)
        terms = " + ".join(f"{self.num(tr.weights[i, j], 2)}\\, v_{{{j + 1}}}" for j in range(min(self.Tk, 4)))
        if self.Tk > 4:
            terms += " + \\ldots"
        self.show_eq(f"z_{{{i + 1}}} = \\sum_j \\alpha_{{{i + 1}j}} v_j = {terms}",
                     source=[("weights", None, (i, j)) for j in range(min(self.Tk, 4))])
        self.pause(1.0)
        vec = self.vector(tr.output[i], f"z{sub(i + 1)}", "attention", ("output", i))
        vec.next_to(vs, DOWN, buff=0.6).align_to(vs, LEFT)
        self.play(FadeIn(vec, shift=0.2 * DOWN), run_time=1.0)
        self.play(Create(SurroundingRectangle(vec, color=self.role("attention"), buff=0.08)))
        self.caption(f"“{self.qtok[i]}” mostly keeps the value of the key it attends to most: "
                     f"“{self.ktok[int(tr.argmax[i])]}”.", hold=2.5)

    def all_queries(self) -> None:
        tr = self.trace
        self.clear_all()
        self.title("Every query at once: the attention matrix")
        self.add(self.provenance())
        n, m = min(self.T, 8), min(self.Tk, 8)
        cell = min(1.3, 5.0 / max(n, m))
        hm = Heatmap(tr.weights[:n, :m], row_labels=self.qtok[:n], col_labels=self.ktok[:m], cell=cell * 1.45,
                     cell_h=cell * 0.75, vmax=1.0, digits=3, fg=self.fg, pos=self.role("attention"),
                     mask=tr.mask[:n, :m], masked_text="0", font_size=22, source="weights")
        hm.move_to([-0.5, 0.2, 0])
        if hm.width > 12:
            hm.scale_to_fit_width(12)
        self.play(FadeIn(hm.row_labels), FadeIn(hm.col_labels))
        for r in range(n):
            self.play(FadeIn(hm.row(r), lag_ratio=0.1), run_time=0.6)
        self.show_eq("Z = \\mathrm{softmax}\\left(\\frac{Q K^T}{\\sqrt{d_k}}\\right) V")
        self.caption("Rows are queries, columns keys; each row sums to 1.", hold=3.0)

    # ------------------------------------------------------------------ helpers
    def vector(self, values, label: str, role: str, source: tuple) -> VGroup:
        """Row ``values`` = trace field ``source[0]``, row ``source[1]``: its first SHOW entries printed."""
        field, row = source
        vals = np.ravel(values)
        col = ValueColumn(vals[:SHOW], horizontal=True, vmax=max(float(np.max(np.abs(vals))), 1e-9), cell_w=0.82,
                          cell_h=0.42, font_size=19, fg=self.fg, pos=self.role(role), neg=self.role(role),
                          source=[(field, None, (row, k)) for k in range(min(vals.size, SHOW))])
        name = self.text(label, size=24, color=self.role(role))
        parts = [name, col]
        if vals.size > SHOW:
            parts.append(self.text(f"… ({vals.size})", size=20, color=self.muted, source=[(field, None, "columns")]))
        return VGroup(*parts).arrange(RIGHT, buff=0.15)
