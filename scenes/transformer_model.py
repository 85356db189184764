"""Whole Transformer models: ``attention-layers`` (a sentence flowing up through the layers) and ``vit``.

``attention-layers``: the input tokens in a row at the bottom and a copy of the row for the output of
every layer above it. Layer by layer, each head lights up: lines from the chosen query (``--query``,
resolved by the engine into ``trace.focus``; default: the last token, a BERT [MASK], ViT's [class])
to every key of the layer below, width = that head's weight ``layers[l].attention[h, q, j]``; the
caption names each head's strongest key (``strongest_key``) and its weight. It ends on the
attention rollout (``rollout[q, :]``): how much of each input token reaches the query at the top.

``vit``: the image (the trace's normalised pixels, each channel min-max scaled for display) is cut
into its patch grid, the patches slide into a sequence behind the [class] token, then the [class]
token's attention to each patch (each head of the last layer, then the rollout) tints the image.

Every number on screen is tagged with the trace record it shows.

    manim -ql scenes/transformer_model.py AttentionLayersScene
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, UP, Create, FadeIn, FadeOut, Line, Rectangle, Square, VGroup)
from manim.utils.color import ManimColor

from gatelab.diagrams import _model as M
from gatelab.scenes.base import TraceScene

HEAD_ROLES = ("attention", "input", "output", "candidate", "forget", "hidden")
MAX_ROW_W = 12.0


def default_query(trace) -> int:
    """The query a scene follows without --query: GPT-2 the last token (where the next one is predicted),
    BERT the first [MASK], ViT and a sequence classifier the first token (where the class is read)."""
    if trace.family == "vit" or trace.prediction_kind == "class":
        return 0
    if trace.prediction_kind == "masked token" and trace.predictions:
        return int(trace.predictions[0].position)
    return len(trace.tokens) - 1


class AttentionLayersScene(TraceScene):
    beats = ('setup_rows', 'light_layer', 'show_rollout')   # construct()'s paragraphs: one slide each
    model = "transformer"
    preset = "tiny-gpt2"

    def construct(self) -> None:
        self.setup_rows()
        for layer in range(len(self.trace.layers)):
            self.light_layer(layer)
        self.show_rollout()

    # ------------------------------------------------------------------ beats
    def setup_rows(self) -> None:
        tr = self.trace
        self.toks = M.tokens(tr)
        q = M.query_index(self.result)
        self.q = default_query(tr) if q is None else q
        L, T = len(tr.layers), len(self.toks)
        self.title(f"A sentence through the layers: {tr.family}, {tr.norm}",
                   sub=f"query \u201c{self.toks[self.q]}\u201d: which tokens each head reads")
        self.add(self.provenance())
        top, bottom = 2.2, -2.0
        self.gap = (top - bottom) / max(L, 1)
        self.xs = np.linspace(-MAX_ROW_W / 2 + 1.4, MAX_ROW_W / 2 + 0.4, T) if T > 1 else np.array([0.0])
        size = float(min(22, max(12, 160 / max(T, 1))))
        special = M.special(tr)
        base = VGroup(*[self.line(t, size=size, color=self.muted if special[i] else self.fg).move_to([x, bottom, 0])
                        for i, (t, x) in enumerate(zip(self.toks, self.xs))])   # one flat path per token, copied up
        self.rows = []
        for r in range(L + 1):
            y = bottom + r * self.gap
            row = base if r == 0 else base.copy().shift((y - bottom) * UP)
            if r > 0:
                row[self.q].set_color(self.role("attention"))
            name = self.line("input" if r == 0 else f"L{r}", size=16, color=self.muted).move_to([-6.6, y, 0])
            self.rows.append(VGroup(name, row))
        self.play(FadeIn(self.rows[0], lag_ratio=0.05), run_time=0.8)
        self.caption("Each layer rereads the layer below: query row above, key row below.", hold=1.0)

    def light_layer(self, layer: int) -> None:
        tr = self.trace
        A = np.asarray(tr.layers[layer].attention)                 # [H, T, T]
        lines = VGroup()
        parts, sources = [], []
        below, above = self.rows[layer][1], self.rows[layer + 1][1]
        for h in range(A.shape[0]):
            colour = self.role(HEAD_ROLES[h % len(HEAD_ROLES)])
            for j in range(A.shape[2]):
                w = float(A[h, self.q, j])
                if w <= 1e-3:
                    continue
                a = above[self.q].get_bottom() + 0.05 * DOWN
                b = below[j].get_top() + 0.05 * UP
                lines.add(Line(a, b, stroke_width=0.6 + 9 * w, color=colour, stroke_opacity=0.3 + 0.7 * w))
            j = int(tr.strongest_key[layer, h, self.q])
            parts.append(f"H{h + 1} \u2192 {self.toks[j]} {self.num(float(A[h, self.q, j]), 2)}")
            sources.append((f"layers.{layer}.attention", None, (h, self.q, j)))
        self.play(FadeIn(self.rows[layer + 1], lag_ratio=0.03), run_time=0.6)
        self.play(Create(lines, lag_ratio=0.02), run_time=1.2)
        note = self.text("   ".join(parts), size=18, source=sources)
        if note.width > 12.5:
            note.scale_to_fit_width(12.5)
        note.to_edge(DOWN, buff=0.85)
        old = getattr(self, "_note", None)
        self.play(FadeIn(note), *([FadeOut(old)] if old is not None else []), run_time=0.5)
        self._note = note
        self.pause(1.2)
        self.play(lines.animate.set_stroke(opacity=0.15), run_time=0.4)
        self.__dict__.setdefault("faded", []).append(lines)

    def show_rollout(self) -> None:
        tr = self.trace
        R = np.asarray(tr.rollout)                                 # [T, T]
        self.play(*[FadeOut(x) for x in self.faded], run_time=0.5)
        top, bottom = self.rows[-1][1], self.rows[0][1]
        colour = self.role("attention")
        lines = VGroup(*[Line(top[self.q].get_bottom(), bottom[j].get_top(), stroke_width=0.6 + 12 * float(R[self.q, j]),
                              color=colour, stroke_opacity=0.35 + 0.65 * float(R[self.q, j]))
                         for j in range(R.shape[1]) if float(R[self.q, j]) > 1e-3])
        self.title("Attention rollout", sub="each layer's head-average plus the identity (the residual), chained")
        self.play(Create(lines, lag_ratio=0.03), run_time=1.5)
        order = sorted(range(R.shape[1]), key=lambda j: (-float(R[self.q, j]), j))[:3]   # the three named
        parts = [f"{self.toks[j]} {self.num(float(R[self.q, j]), 2)}" for j in order]
        note = self.text(f"\u201c{self.toks[self.q]}\u201d at the top draws on: " + ",  ".join(parts), size=20,
                         source=[("rollout", None, (self.q, j)) for j in order])
        if note.width > 12.5:
            note.scale_to_fit_width(12.5)
        note.to_edge(DOWN, buff=0.85)
        self.play(FadeOut(self._note), FadeIn(note), run_time=0.5)
        self._note = note
        self.caption("Rollout follows attention through every layer back to the input tokens.", hold=2.0)


class ViTScene(TraceScene):
    beats = ('show_image', 'to_sequence', 'tint')   # construct()'s paragraphs: one slide each
    model = "transformer"
    preset = "tiny-vit"

    def construct(self) -> None:
        if self.trace.family != "vit":
            from gatelab.engines.errors import InputError
            raise InputError(f"scene vit draws a ViT model (an image cut into patches); this trace is a "
                             f"{self.trace.family} model (try --preset tiny-vit)")
        self.show_image()
        self.to_sequence()
        for h in range(np.asarray(self.trace.layers[-1].attention).shape[0]):
            self.tint(f"last layer, head H{h + 1}", f"layers.{len(self.trace.layers) - 1}.attention", (h, 0))
        self.tint("rollout over all layers", "rollout", (0,))

    def show_image(self) -> None:
        tr = self.trace
        self.disp = M.display_image(tr.image)                             # [H, W, 3] display colours
        self.gr, self.gc = (int(tr.grid[0]), int(tr.grid[1]))
        p = int(tr.patch_size)
        Hpx, Wpx = self.disp.shape[:2]
        step = min(3.2 / max(Hpx, Wpx), 0.4)
        self.title("Vision Transformer: an image as a sequence of patches",
                   sub=f"{self.gr} \u00d7 {self.gc} patches, then [class] attention")
        self.add(self.provenance())
        self.patches = VGroup()
        for r in range(self.gr):
            for c in range(self.gc):
                px = VGroup(*[Square(step, stroke_width=0).set_fill(ManimColor(M.hex_colour(self.disp[y, x])), 1)
                              .move_to([(x - Wpx / 2) * step, (Hpx / 2 - y) * step, 0])
                              for y in range(r * p, (r + 1) * p) for x in range(c * p, (c + 1) * p)])
                frame = Rectangle(width=p * step, height=p * step, color=self.fg, stroke_width=1.5).move_to(px)
                self.patches.add(VGroup(px, frame))
        self.patches.move_to([-3.2, 0.2, 0])
        self.play(FadeIn(self.patches), run_time=1.0)
        self.play(self.patches.animate.arrange_in_grid(self.gr, self.gc, buff=(0.12, 0.36)).move_to([-3.2, 0.2, 0]), run_time=1.0)
        self.caption("The image is cut into patches; each is flattened and projected to d_model.", hold=1.0)

    def to_sequence(self) -> None:
        seq = self.patches.copy()
        cls = Rectangle(width=0.5, height=0.5, color=self.role("attention"), stroke_width=3)
        label = self.text("[class]", size=16, color=self.role("attention")).next_to(cls, UP, buff=0.08)
        row = VGroup(VGroup(cls, label), *[s.copy().scale_to_fit_height(0.5) for s in seq])
        row.arrange(direction=np.array([1.0, 0, 0]), buff=0.12)
        if row.width > 6.2:
            row.scale_to_fit_width(6.2)
        row.move_to([3.3, 2.0, 0])
        self.play(FadeIn(row, lag_ratio=0.05), run_time=1.2)
        self.caption("[class] goes first; a learned position embedding is added to every position.", hold=1.0)
        self.seq = row

    def tint(self, what: str, field: str, index: tuple) -> None:
        obj = self.trace
        for part in field.split("."):
            obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
        w = np.asarray(obj)[index][1:]                               # the [class] row over the patches
        top = float(w.max()) if w.size and float(w.max()) > 0 else 1.0
        colour = self.role("attention")
        overlay = VGroup()
        labels = VGroup()
        for k, patch in enumerate(self.patches):
            overlay.add(Rectangle(width=patch.width, height=patch.height, stroke_width=0)
                        .set_fill(colour, opacity=0.75 * float(w[k]) / top).move_to(patch))
            if len(self.patches) <= 36:
                labels.add(self.text(self.num(float(w[k]), 2), size=14, source=[(field, None, (*index, k + 1))])
                           .next_to(patch, DOWN, buff=0.05))
        old = [m for m in (getattr(self, "_overlay", None), getattr(self, "_labels", None)) if m is not None]
        self.play(*[FadeOut(m) for m in old], FadeIn(overlay), FadeIn(labels), run_time=0.8)
        self._overlay, self._labels = overlay, labels
        self.caption(f"[class] \u2192 patches, {what}: brighter = more attention.", hold=1.2)

