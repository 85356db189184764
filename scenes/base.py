"""TraceScene: a Manim scene that draws one engine trace.

The trace is loaded in :meth:`TraceScene.setup` (Manim advises against overriding
``__init__``). Class attributes say where it comes from; by default the scene's own
preset, so the plain Manim CLI works::

    manim -ql scenes/lstm.py LSTMGatesScene

``gatelab scene lstm-gates --preset ...`` builds a subclass carrying an already computed
trace (see :func:`scenes.api.scene_class`). Scenes never touch manim's global config:
the theme's background is set on this scene's camera only.
"""
from __future__ import annotations

from typing import Any, ClassVar

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Scene, VGroup, VMobject
from manim.utils.color import ManimColor

from gatelab import style
from gatelab.engines import registry

from . import api, encoder, layers, paths, playkey, stop
from .mobjects import Equation, GlyphText, flat_text, label_text, tag

playkey.install()            # GateLab scenes' partial-movie keys: see scenes/playkey.py


class TraceScene(Scene):
    """Base of every GateLab scene. Subclasses set ``model`` (and ``preset`` if not the model's default)."""

    model: ClassVar[str] = ""
    preset: ClassVar[str | None] = None
    source: ClassVar[registry.Source] = registry.Source()
    engine_options: ClassVar[dict[str, Any]] = {}
    scene_options: ClassVar[dict[str, Any]] = {}
    defaults: ClassVar[dict[str, Any]] = {"pace": 1.0}
    theme_name: ClassVar[str] = "dark"
    use_tex: ClassVar[bool] = False
    computed: ClassVar[registry.Computed | None] = None
    draw_share: ClassVar[tuple[int, int] | None] = None   # (k, n): draw only plays i with i % n == k

    # ------------------------------------------------------------------ lifecycle
    def setup(self) -> None:
        cls = type(self)
        computed = cls.computed
        if computed is None:   # the plain Manim CLI: this scene's own example, from the registry
            spec = next(e for e in api.catalogue.SCENES.values() if e.attr == type(self).__name__)
            computed = api.compute(spec, self.source, dict(self.engine_options), dict(self.scene_options))
        if isinstance(computed, dict):   # an entry with ``needs`` drew several traces: {label: Computed}
            self.results = computed
            computed = next(iter(computed.values()))
        self.result = computed
        self.trace = computed.trace
        self.opts = {**self.defaults, **self.scene_options}
        self.pace = max(float(self.opts.get("pace", 1.0)), 0.0)
        self.th = style.theme(self.theme_name)
        self.fg = ManimColor(self.th.foreground)
        self.muted = ManimColor(self.th.muted)
        self.panel = ManimColor(self.th.panel)
        self.camera.background_color = ManimColor(self.th.background)
        self.camera.init_background()
        self._title: VGroup | None = None
        self._caption: VMobject | None = None
        encoder.install(self.renderer)          # before: a skipped play neither draws nor swaps frames
        self._skip_drawing_skipped()
        paths.install(self.renderer.camera)

    def _skip_drawing_skipped(self) -> None:
        """While construct() runs, a play Manim skips (before a --from range, cached, or a dry run) draws
        nothing: Manim would still paint its static layer and one frame, then throw them away. The last
        frame of a png is drawn after construct(), as before."""
        renderer = self.renderer
        draw = getattr(renderer, "update_frame", None)
        if draw is None or getattr(renderer, "camera", None) is None:
            return
        self._constructing = True
        if hasattr(renderer.camera, "type_or_raise"):
            # Manim's camera builds its table of drawing functions on the first draw, and the table is
            # part of every cached play's hash: build it now, so a play hashes the same whether or not
            # an earlier one was drawn (skipped or taken from the cache).
            from manim import Mobject
            renderer.camera.type_or_raise(Mobject())

        def update_frame(scene, *args, **kwargs):
            if renderer.skip_animations and getattr(scene, "_constructing", False):
                return None
            return draw(scene, *args, **kwargs)

        renderer.update_frame = update_frame
        share = type(self).draw_share
        if share is not None:          # one worker of a split render (scenes/split.py)
            decide = renderer.update_skipping_status

            def update_skipping_status():
                decide()
                if renderer.num_plays % share[1] != share[0]:
                    renderer.skip_animations = True

            renderer.update_skipping_status = update_skipping_status

    def tear_down(self) -> None:
        self._constructing = False
        super().tear_down()

    def render(self, *args, **kwargs):
        try:
            return super().render(*args, **kwargs)
        except BaseException:
            with stop.stops_held():       # a second stop waits: after a failure or a stop nothing of the
                encoder.close_shared()    # render outlives it (the encoder process removes its open movies)
            raise

    def play(self, *args, **kwargs):
        stop.check()                      # a stop swallowed on its way (scenes/stop.py) ends the render here
        return super().play(*args, **kwargs)

    def add(self, *mobjects):
        """Scene.add, also remembering every Text and Equation ever shown with the trace values its numbers
        show (``gatelab_source``, see :func:`scenes.mobjects.tag`): ``self.shown`` holds (kind, text, source)."""
        log = self.__dict__.setdefault("shown", [])
        for m in mobjects:
            for s in m.get_family():
                if isinstance(s, Equation):
                    log.append(("eq", s.tex, getattr(s, "gatelab_source", None)))
                elif isinstance(s, GlyphText):
                    log.append(("text", s.original_text, getattr(s, "gatelab_source", None)))
        return super().add(*mobjects)

    # ------------------------------------------------------------------ drawing less per frame
    def begin_animations(self) -> None:
        """Manim's begin, then a tighter static/moving split (same pixels; see :mod:`scenes.layers`)."""
        super().begin_animations()
        if self.renderer.skip_animations:
            self.static_mobjects = []          # nothing is drawn: no static layer to paint
        self._layers = None if self.renderer.skip_animations else layers.tighten(self)

    def update_to_time(self, t: float) -> None:
        super().update_to_time(t)
        layers.check_frame(self, getattr(self, "_layers", None))

    # ------------------------------------------------------------------ helpers
    def role(self, name: str) -> ManimColor:
        """Okabe-Ito colour of a role (forget, input, cell, ...); on white, yellow and grey are darkened."""
        c = style.ROLE[name]
        if self.theme_name == "light" and c == style.OKABE_ITO["yellow"]:
            c = "#B08800"                  # yellow text on white is unreadable
        elif self.theme_name == "light" and c == style.OKABE_ITO["grey"]:
            c = self.th.muted              # grey #999 on white is too faint for small text
        return ManimColor(c)

    def text(self, s: str, size: float = 24, color=None, source=None, **kw) -> GlyphText:
        """A line of text; ``source``: the trace values its numbers show (see :func:`scenes.mobjects.tag`)."""
        return tag(label_text(s, size=size, color=color if color is not None else self.fg, **kw), source)

    def line(self, s: str, size: float = 24, color=None, **kw):
        """A title/caption line as one flat path (cheap to animate); ``.text`` keeps the string."""
        return flat_text(s, size=size, color=color if color is not None else self.fg, **kw)

    def eq(self, tex: str, size: float = 30, color=None, source=None) -> Equation:
        return tag(Equation(tex, font_size=size, color=color if color is not None else self.fg, use_tex=self.use_tex),
                   source)

    def num(self, x: float, digits: int = 3) -> str:
        return style.fmt(x, digits)

    def tnum(self, x: float, digits: int = 3) -> str:
        """A number for an equation: exponent form becomes ``m \\times 10^{e}``."""
        return style.tex_num(x, digits)

    EQ_Y: ClassVar[float] = -2.6   # centre line of the equation band

    def show_eq(self, tex: str, size: float = 28, source=None) -> Equation:
        """Replace the equation in the band above the caption (scaled to fit the frame)."""
        eq = self.eq(tex, size=size, source=source)
        if eq.width > 13.2:
            eq.scale_to_fit_width(13.2)
        eq.move_to([0, self.EQ_Y, 0])
        old = getattr(self, "_eq", None)
        anims = [FadeIn(eq, shift=0.15 * UP)]
        if old is not None and old in self.mobjects:
            anims.append(FadeOut(old))
        self.play(*anims, run_time=0.8)
        self._eq = eq
        return eq

    def pause(self, seconds: float = 1.0) -> None:
        if seconds * self.pace > 0:
            self.wait(seconds * self.pace)

    def title(self, s: str, sub: str | None = None) -> VGroup:
        """Replace the title line at the top (with an optional muted subtitle)."""
        head = self.line(s, size=34, weight="BOLD")
        group = VGroup(head)
        if sub:
            group.add(self.line(sub, size=20, color=self.muted).next_to(head, DOWN, buff=0.12))
        max_w = self.camera.frame_width - 0.8      # long titles shrink instead of running off the frame
        for part in group:
            if part.width > max_w:
                part.scale_to_fit_width(max_w)
        group.arrange(DOWN, buff=0.12).to_edge(UP, buff=0.25)
        anims = [FadeIn(group, shift=0.2 * DOWN)]
        if self._title is not None:
            anims.append(FadeOut(self._title))
        self.play(*anims, run_time=0.8)
        self._title = group
        return group

    def caption(self, s: str | None, hold: float = 0.0) -> None:
        """One narration line at the bottom edge (None clears it)."""
        anims = []
        if self._caption is not None:
            anims.append(FadeOut(self._caption))
            self._caption = None
        if s:
            cap = self.line(s, size=22, color=self.muted).to_edge(DOWN, buff=0.34)
            if cap.width > 13:
                cap.scale_to_fit_width(13)
            anims.append(FadeIn(cap))
            self._caption = cap
        if anims:
            self.play(*anims, run_time=0.5)
        if hold:
            self.pause(hold)

    def provenance(self) -> GlyphText:
        """Small corner note naming where the numbers come from."""
        p = self.result.provenance
        src = (f"preset {p['preset']}" if "preset" in p else f"weights {p['weights']}" if "weights" in p
               else f"seed {p['seed']}" if "seed" in p else "")
        note = self.text(f"numbers: {self.result.model} engine, {src}", size=14, color=self.muted)
        note.gatelab_source = "provenance"      # names the source of the numbers, shows none of them
        return note.to_corner(DOWN + RIGHT, buff=0.15)

    def clear_all(self, run_time: float = 0.6) -> None:
        if self.mobjects:
            self.play(*[FadeOut(m) for m in self.mobjects], run_time=run_time)
        self._title = None
        self._caption = None


__all__ = ["TraceScene", "LEFT", "RIGHT"]
