"""self-attention: the head view (line thickness = weight), heads in sequence, masks.

Left, queries and keys as two columns of tokens joined by lines whose width and opacity are
the head's attention weights; right, the same weights as a matrix. Each head in turn. Then
the masks: the causal mask covers the upper triangle (a query never sees later keys) and a
padding key is masked for every query; both become weight 0 after the softmax.
Default preset causal-self-attention (multihead engine).

    manim -ql scenes/selfattn.py SelfAttentionScene
"""
from __future__ import annotations

import numpy as np
from manim import (LEFT, RIGHT, UP, Create, FadeIn, Line, ReplacementTransform,
                   SurroundingRectangle, VGroup)

from gatelab.scenes.base import TraceScene
from gatelab.scenes.mobjects import Heatmap

XQ, XK = -5.0, -1.7
HEAD_ROLES = ("attention", "input", "output", "candidate", "forget", "hidden")


class SelfAttentionScene(TraceScene):
    model = "multihead"
    preset = "causal-self-attention"
    EQ_Y = -2.8

    beats = ("setup_tokens", "show_head", "show_masks")   # construct()'s paragraphs: one slide each

    def construct(self) -> None:
        self.setup_tokens()
        for h in range(len(self.trace.heads)):
            self.show_head(h)
        self.show_masks()

    # ------------------------------------------------------------------ beats
    def setup_tokens(self) -> None:
        tr = self.trace
        self.T = tr.mask.shape[0]
        self.Tk = tr.mask.shape[1]
        self.qtok = list(tr.tokens) or [f"#{i + 1}" for i in range(self.T)]
        self.ktok = list(tr.key_tokens) or self.qtok
        self.title(f"Self-attention: {tr.num_heads} heads, head view")
        self.add(self.provenance())
        gap = min(0.62, 3.6 / max(self.T, self.Tk))
        self.qy = [1.4 - i * gap for i in range(self.T)]
        self.ky = [1.4 - j * gap for j in range(self.Tk)]
        self.q_labels = VGroup(*[self.text(t, size=22).move_to([XQ, y, 0]).align_to([XQ + 0.3, 0, 0], RIGHT)
                                 for t, y in zip(self.qtok, self.qy)])
        self.k_labels = VGroup(*[self.text(t, size=22).move_to([XK, y, 0]).align_to([XK - 0.3, 0, 0], LEFT)
                                 for t, y in zip(self.ktok, self.ky)])
        heads = VGroup(self.text("queries", size=18, color=self.muted).next_to(self.q_labels, UP, buff=0.25),
                       self.text("keys", size=18, color=self.muted).next_to(self.k_labels, UP, buff=0.25))
        self.play(FadeIn(self.q_labels, lag_ratio=0.1), FadeIn(self.k_labels, lag_ratio=0.1), FadeIn(heads))
        self.show_eq("\\alpha = \\mathrm{softmax}\\left(\\frac{QK^T}{\\sqrt{d_k}} + \\mathrm{mask}\\right),"
                     f"\\quad d_k = {tr.d_k}")
        self.caption("Each line joins a query to a key; its width is the attention weight.", hold=1.5)
        self.lines = None
        self.matrix = None
        self.head_label = None

    def show_head(self, h: int) -> None:
        tr = self.trace
        head = tr.heads[h]
        colour = self.role(HEAD_ROLES[h % len(HEAD_ROLES)])
        lines = VGroup()
        for i in range(self.T):
            for j in range(self.Tk):
                w = float(head.weights[i, j])
                if tr.mask[i, j] or w <= 0:
                    continue
                a = np.array([XQ + 0.4, self.qy[i], 0])
                b = np.array([XK - 0.4, self.ky[j], 0])
                lines.add(Line(a, b, stroke_width=0.8 + 11 * w, color=colour, stroke_opacity=0.25 + 0.75 * w))
        matrix = Heatmap(head.weights, row_labels=self.qtok, col_labels=self.ktok, cell=0.92, cell_h=0.52,
                         vmax=1.0, digits=2, fg=self.fg, pos=colour, mask=tr.mask, masked_text="0", font_size=18)
        matrix.move_to([3.6, 0.5, 0])
        label = self.text(f"head {head.h + 1} of {tr.num_heads}", size=26, color=colour, weight="BOLD")
        label.next_to(matrix, UP, buff=0.25)
        if self.lines is None:
            self.play(Create(lines, lag_ratio=0.05), FadeIn(matrix), FadeIn(label), run_time=2.0)
        else:
            self.play(ReplacementTransform(self.lines, lines), ReplacementTransform(self.matrix, matrix),
                      ReplacementTransform(self.head_label, label), run_time=1.5)
        self.lines, self.matrix, self.head_label = lines, matrix, label
        favourites = ", ".join(f"{self.qtok[i]}→{self.ktok[int(head.argmax[i])]}" for i in range(self.T)
                               if head.argmax[i] >= 0)
        self.caption(f"Head {head.h + 1} attends most: {favourites}", hold=2.5)

    def show_masks(self) -> None:
        tr = self.trace
        m = self.matrix
        self.title("Masks: what a query may not see")
        # the trace keeps the two kinds apart (causal_mask, padding_mask); mask is their union
        causal_m = tr.causal_mask if tr.causal_mask is not None else np.zeros_like(tr.mask)
        pad_m = tr.padding_mask if tr.padding_mask is not None else np.zeros_like(tr.mask)
        causal = [(i, j) for i in range(self.T) for j in range(self.Tk) if causal_m[i, j]]
        pad_cols = [j for j in range(self.Tk) if pad_m[:, j].any()]
        if causal:
            cells = [m.cells[i][j] for i, j in causal if j not in pad_cols]
            if cells:
                tri = self.cover(cells, self.role("forget"))
                self.play(FadeIn(tri), run_time=1.2)
                self.caption("Causal mask: the upper triangle (later keys) gets −∞ before the softmax, so weight 0.",
                             hold=2.5)
        if pad_cols:
            boxes = VGroup(*[SurroundingRectangle(VGroup(*[m.cells[i][j] for i in range(self.T)]),
                                                  color=self.role("y"), buff=0.03, stroke_width=4)
                             for j in pad_cols])
            self.play(Create(boxes), run_time=1.0)
            names = ", ".join(f"“{self.ktok[j]}”" for j in pad_cols)
            self.caption(f"Padding mask: the key {names} is ignored by every query.", hold=2.5)
        self.show_eq("\\mathrm{mask}_{ij} = -\\infty\\ \\ (j > i\\ \\mathrm{or}\\ j\\ \\mathrm{is\\ padding}),"
                     "\\quad e^{-\\infty} = 0")
        self.caption("Decoder self-attention uses both masks; cross-attention only the padding mask.", hold=3.0)

    # ------------------------------------------------------------------ helpers
    def cover(self, cells, colour) -> VGroup:
        return VGroup(*[c.copy().set_fill(colour, opacity=0.45).set_stroke(colour, width=1) for c in cells])
