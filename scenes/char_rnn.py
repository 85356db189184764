"""char-rnn: a character-level RNN writes letter by letter.

First greedy free running: fed the first letter, each step's softmax p_t is shown as bars, the
winner is written and fed back. Then the trace's seeded samples at temperature T: each letter
is drawn from softmax(o_t / T) (the draws were made by the engine; the scene only shows them),
and the first letter that departs from the text is marked: every later letter is conditioned
on it. With ``--untrained`` the same beats show the untrained model going wrong from the start.

    manim -ql scenes/char_rnn.py CharRNNScene
"""
from __future__ import annotations

from manim import DOWN, LEFT, FadeIn, FadeOut, Indicate, ReplacementTransform, RoundedRectangle, VGroup

from gatelab.scenes.base import TraceScene
from gatelab.scenes.mobjects import LabelledBar

ROW_X = -6.3          # left edge of the letter rows
ROW_TOP = 1.55
ROW_STEP = 0.72
CELL = 0.56
BAR_X = 2.2           # left of the bar chart
BAR_BASE = -1.45
BAR_H = 2.6


class CharRNNScene(TraceScene):
    model = "char-rnn"
    preset = "char-rnn-hello"

    beats = ("show_text", "greedy", "sample_run", "conclude")   # construct()'s paragraphs: one slide each

    def construct(self) -> None:
        self.show_text()
        self.greedy()
        for k in range(len(self.trace.samples)):
            self.sample_run(k)
        self.conclude()

    # ------------------------------------------------------------------ beats
    def show_text(self) -> None:
        tr = self.trace
        which = "untrained weights" if tr.weights_set == "initial" else "trained weights"
        self.title("Char-RNN: writing letter by letter", f"{tr.cell} cell, {which}; text “{tr.text}”")
        self.add(self.provenance())
        self.rows = VGroup()
        self.n_rows = 0
        target = self.row_of("text", tr.text, [None] * len(tr.text))
        self.play(FadeIn(target, lag_ratio=0.1), run_time=1.0)
        vocab = self.text("vocabulary: " + "  ".join(tr.vocab) + "  (one-hot vectors of length "
                          f"{len(tr.vocab)})", size=18, color=self.muted, source=[("vocab", None, "columns")])
        vocab.move_to([0, 2.3, 0]).align_to([ROW_X + 0.3, 0, 0], LEFT)
        self.play(FadeIn(vocab), run_time=0.6)
        self.caption("Feed the first letter; the model scores every letter of the vocabulary for the next one.", hold=1.2)
        self.bars = None
        self.bar_head = None

    def greedy(self) -> None:
        tr = self.trace
        dec = tr.free
        row = self.row_of("greedy", tr.text[0], [True])
        self.play(FadeIn(row), run_time=0.5)
        self.caption("Greedy free running: the winner of the softmax is written and fed back.")
        for i, s in enumerate(dec.steps):
            self.show_bars(s.p, f"free.steps.{i}.p", f"p_{s.t} = softmax(o_{s.t})", s.chosen_index)
            self.write_letter(row, s.chosen, s.correct, i + 1)
        verdict = ("it writes the text" if dec.first_wrong is None
                   else "one wrong winner, and every later step is fed a letter it never saw in training")
        self.caption(f"Free running writes “{dec.generated}”: {verdict}.", hold=1.5)

    def sample_run(self, k: int) -> None:
        tr = self.trace
        run = tr.samples[k]
        if k == 0:
            self.caption("Now sample each letter from softmax(o / T) instead of taking the winner.", hold=0.8)
        row = self.row_of(f"sample {run.index}", tr.text[0], [True], source=[(f"samples.{k}.index", None, None)])
        self.play(FadeIn(row), run_time=0.4)
        for i, s in enumerate(run.steps):
            src = f"samples.{k}.steps.{i}.p"
            self.show_bars(s.p, src, f"softmax(o_{s.t} / T), T = {self.num(tr.temperature)}", s.drawn_index,
                           extra=[("temperature", None, None)])
            right = s.drawn == s.target and (run.first_wrong is None or s.t < run.first_wrong)
            self.write_letter(row, s.drawn, right, i + 1, fast=True)
        if run.first_wrong is not None:
            cell = row[1][run.first_wrong]
            self.play(Indicate(cell, color=self.role("forget"), scale_factor=1.25), run_time=0.6)
            self.caption(f"Sample {run.index}: the draw at step {run.first_wrong} departs from the text; "
                         "everything after it follows from that letter.", hold=1.0)

    def conclude(self) -> None:
        if self.bars is not None:
            self.play(FadeOut(self.bars), FadeOut(self.bar_head), run_time=0.5)
        self.caption("Trained on true letters only (teacher forcing), fed its own letters the model meets "
                     "states it never saw: exposure bias.", hold=2.5)

    # ------------------------------------------------------------------ helpers
    def row_of(self, name: str, first: str, flags: list, source=None) -> VGroup:
        """A labelled row of letter cells; cells are added as letters are written."""
        y = ROW_TOP - self.n_rows * ROW_STEP
        self.n_rows += 1
        label = self.text(name, size=18, color=self.muted, source=source).move_to([ROW_X + 0.75, y, 0])
        cells = VGroup()
        for i, ch in enumerate(first):
            cells.add(self.cell(ch, i, y, flags[i] if i < len(flags) else None))
        return VGroup(label, cells)

    def cell(self, ch: str, i: int, y: float, right) -> VGroup:
        colour = self.fg if right is None else (self.role("output") if right else self.role("forget"))
        box = RoundedRectangle(width=CELL, height=CELL, corner_radius=0.08, stroke_color=colour, stroke_width=2.5)
        box.move_to([ROW_X + 1.9 + i * (CELL + 0.12), y, 0])
        return VGroup(box, self.text(ch, size=24, color=colour).move_to(box.get_center()))

    def write_letter(self, row: VGroup, ch: str, right: bool, i: int, fast: bool = False) -> None:
        y = row[0].get_center()[1]
        c = self.cell(ch, i, y, right)
        self.play(FadeIn(c, shift=0.2 * DOWN), run_time=0.35 if fast else 0.6)
        row[1].add(c)
        self.pause(0.15 if fast else 0.5)

    def show_bars(self, p, field: str, head: str, win: int, extra=None) -> None:
        tr = self.trace
        pitch = 0.95 if len(tr.vocab) <= 6 else 5.0 / len(tr.vocab)
        bars = VGroup()
        for k, ch in enumerate(tr.vocab):
            colour = self.role("output") if k == win else self.role("hidden")
            b = LabelledBar(float(p[k]), vmax=1.0, max_height=BAR_H, width=pitch * 0.6, color=colour, fg=self.fg,
                            label=ch, font_size=18, digits=2, source=(field, None, k))
            b.shift([BAR_X + (k + 0.5) * pitch, BAR_BASE, 0] - b.baseline.get_center())
            bars.add(b)
        title = self.text(head, size=20, source=extra).move_to([BAR_X + 0.5 * pitch * len(tr.vocab), 1.65, 0])
        if self.bars is None:
            self.play(FadeIn(bars), FadeIn(title), run_time=0.5)
        else:
            self.play(ReplacementTransform(self.bars, bars), ReplacementTransform(self.bar_head, title), run_time=0.5)
            self.add(bars, title)          # already on screen; logs the numbers they show
        self.bars, self.bar_head = bars, title
