"""Fast text and equations draw what Manim's own classes draw; the path cache draws the same picture."""
from __future__ import annotations

import numpy as np
import pytest
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Scene, SVGMobject, Text, tempconfig
from manim.renderer.cairo_renderer import CairoRenderer

from gatelab.scenes import glyphs, mobjects, paths
from gatelab.style import FONT, MONO_FONT

LINES = ["0.123", "-1.05", "1e-19", "f₁ = 0.12", "g₂ = C̃₂", "σ ⊙ x₁ … x₃", "[h₀, x₁]", "A", " lead", "trail ",
         "Every gate reads the same vector: the last hidden state next to the new input.",
         "numbers: lstm engine, preset lstm-3step", "ich bin müde → i am tired", " "]
EQUATIONS = [r"f_{1} = \sigma(W_f [h_{0}, x_{1}] + b_f)", r"c_{2} = f_{2} \odot c_{1} + i_{2} \odot g_{2}",
             r"\frac{a}{b} + \sqrt{x_1^2}", r"y = V h_{3} + b_y = [0.12, -3.4]\cdot[1.5]",
             r"\mathrm{softmax}(\frac{QK^T}{\sqrt{d_k}})V", r"-1.5 \times 10^{-19}", r"\tanh(z) = 0.762"]


def _outline(m) -> np.ndarray:
    parts = m.family_members_with_points()
    return np.concatenate([p.points for p in parts]) if parts else np.zeros((0, 3))


@pytest.mark.parametrize("font", [FONT, MONO_FONT])
@pytest.mark.parametrize("weight", ["NORMAL", "BOLD"])
def test_text_points_are_manims_text(font, weight, tmp_path):
    with tempconfig({"media_dir": str(tmp_path)}):
        for s in LINES:
            for size in (14, 22, 34):
                ref = _outline(Text(s, font=font, font_size=size, weight=weight))
                ours = glyphs.text_points(s, font=font, size=size, weight=weight)
                assert ours.shape == ref.shape, s
                assert np.abs(ours - ref).max(initial=0.0) < 1e-9, s


def _mathtext_svg(tex: str, path) -> str:
    """The equation as matplotlib writes it to SVG (glyphs as paths): the route Manim reads."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    with rc_context({"mathtext.fontset": "dejavusans", "svg.fonttype": "path"}):
        prop = FontProperties(family=FONT, size=mobjects.MATHTEXT_PT)
        fig = Figure(figsize=(8, 1))
        fig.patch.set_visible(False)
        fig.text(0.01, 0.5, f"${tex}$", fontproperties=prop, color="black")
        fig.savefig(path, dpi=72, format="svg")
    return str(path)


def test_math_points_are_the_svg_manim_would_read(tmp_path):
    with tempconfig({"media_dir": str(tmp_path)}):
        for k, tex in enumerate(EQUATIONS):
            ref = _outline(SVGMobject(_mathtext_svg(tex, tmp_path / f"e{k}.svg"), height=None, stroke_width=0))
            ours = glyphs.math_points(tex, font=FONT, size=mobjects.MATHTEXT_PT)
            assert ours.shape == ref.shape, tex
            assert np.abs(ours - ref).max() < 1e-3, tex        # the SVG rounds coordinates; 1e-3 pt


def test_label_text_is_one_path_and_keeps_its_string(tmp_path):
    t = mobjects.label_text("h₂ = 0.5", size=20)
    assert isinstance(t, mobjects.GlyphText) and t.text == t.original_text == "h₂ = 0.5"
    assert t.submobjects == [] and len(t.points) > 0
    with tempconfig({"media_dir": str(tmp_path)}):                # Manim's Text writes its SVG there
        two = mobjects.label_text("two\nlines", size=20)        # outside the fast subset: Manim's Text, flattened
    assert two.text == "two\nlines" and two.height > t.height * 1.5


def test_bad_equation_is_a_clear_error():
    with pytest.raises(ValueError, match="not valid mathtext"):
        glyphs.math_points(r"\frac{1", font=FONT, size=20)


def test_unknown_path_command_is_left_to_manim():
    with pytest.raises(glyphs.Unsupported):
        glyphs.path_points("M 0 0 Q 1 1 2 0 Z")


_ADD_FRAME = CairoRenderer.add_frame
TINY = {"pixel_width": 320, "pixel_height": 180, "frame_rate": 10, "progress_bar": "none", "verbosity": "WARNING",
        "disable_caching": True, "preview": False, "format": "mp4"}


class _Words(Scene):
    cached = True
    stats: list

    def setup(self):
        if self.cached:
            type(self).stats.append(paths.install(self.renderer.camera))

    def construct(self):
        a = mobjects.label_text("Forget gate f: how much survives", size=28).shift(UP)
        b = mobjects.Equation(r"c_{1} = f_{1} \odot c_{0} + i_{1} \odot g_{1}", font_size=30).shift(DOWN)
        self.add(a)
        self.play(FadeIn(b, shift=0.4 * RIGHT), run_time=0.6)          # b moves: the same shape re-placed
        self.play(a.animate.shift(0.7 * LEFT + 0.2 * DOWN), run_time=0.5)
        self.play(FadeOut(a), b.animate.scale(1.3), run_time=0.5)      # b scales: a new shape every frame


def _frames(cached: bool, tmp_path, monkeypatch):
    got: list[np.ndarray] = []

    def record(self, frame, num_frames=1):
        got.append(frame.copy())
        return _ADD_FRAME(self, frame, num_frames)

    monkeypatch.setattr(CairoRenderer, "add_frame", record)
    cls = type("W", (_Words,), {"cached": cached, "stats": []})
    with tempconfig({**TINY, "media_dir": str(tmp_path / f"m{cached}")}):
        cls().render()
    return got, cls.stats


def test_path_cache_draws_the_same_pixels(tmp_path, monkeypatch):
    plain, _ = _frames(False, tmp_path, monkeypatch)
    ours, stats = _frames(True, tmp_path, monkeypatch)
    assert len(ours) == len(plain) == 16
    # The stored shape is built at the origin and placed: cairo rounds it to its 1/256-pixel grid there, and
    # Manim's tolerance for "this curve continues the last one" is relative to the coordinates, so a glyph
    # edge pixel or two may differ slightly from Manim's own drawing (never a visible change).
    for a, b in zip(ours, plain):
        d = np.abs(a.astype(int) - b.astype(int)).max(axis=2)
        assert d.max() <= 16 and (d > 2).sum() <= 4, f"pixels differ by up to {d.max()}/255 at {(d > 2).sum()} pixels"
    assert stats[0].hits >= 5 and stats[0].misses >= 5                  # both ways were taken
