"""A scene rendered once as slides and as its plain video: every beat starts a slide.

Each scene class names its beats (``beats = ("intro", "show_inputs", ...)``: the methods its
``construct()`` calls, the lecture script's paragraphs). :func:`slide_class` mixes
manim-slides' ``Slide`` into the scene's class and wraps each beat so that entering it (not
from inside another beat) calls ``next_slide()``. ``next_slide`` only records where a slide
starts (manim-slides adds no wait between slides here), so the frames are those of the plain
scene: manim's combined movie is the plain video, and the partial movies, grouped per beat,
are the slides.

Speaker notes: the scene logs every number it shows with its trace source (``TraceScene.add``
fills ``self.shown``); the numbers shown during a slide's animations select the part of the
model's ``explain`` walkthrough that the notes carry (:mod:`present.notes`).
"""
from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gatelab.engines.errors import InputError, OutputError

from . import notes, stills

SCENE_QUALITIES = {"l": "low_quality", "m": "medium_quality", "h": "high_quality", "k": "fourk_quality"}


@contextlib.contextmanager
def quiet():
    """manim-slides' INFO log lines and tqdm bars off (GateLab reports progress itself)."""
    import logging

    log = logging.getLogger("manim-slides")
    level, env = log.level, os.environ.get("TQDM_DISABLE")
    log.setLevel(logging.WARNING)
    os.environ["TQDM_DISABLE"] = "1"
    try:
        yield
    finally:
        log.setLevel(level)
        if env is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = env


def beats_of(cls) -> tuple[str, ...]:
    """The beat names a scene class declares (each must be a method of the class)."""
    names = tuple(getattr(cls, "beats", ()) or ())
    for n in names:
        if not callable(getattr(cls, n, None)):
            raise InputError(f"scene {cls.__name__} declares beat {n!r}, which is not one of its methods")
    return names


def _beat(method, name: str):
    @functools.wraps(method)
    def beat(self, *args, **kwargs):
        if self._gl_depth == 0:
            self.next_slide()
            self._gl_starts.append((self._current_animation, name))
        self._gl_depth += 1
        try:
            return method(self, *args, **kwargs)
        finally:
            self._gl_depth -= 1
    return beat


def slide_class(cls):
    """``cls`` (a TraceScene subclass) with manim-slides' ``Slide`` mixed in and its beats marked."""
    from manim import Scene
    from manim_slides import Slide
    from manim_slides.slide.base import BaseSlide

    def __init__(self, *args, **kwargs) -> None:
        # Slide.__init__ only sets manim's `write_to_movie`, a config key manim 0.22 no longer has
        # (writing the movie is its default); BaseSlide.__init__ does the rest.
        BaseSlide.__init__(self, *args, **kwargs)

    def render(self, *args, **kwargs) -> None:
        # Slide.render sets config["max_files_cached"] = inf, which manim 0.22 refuses; caching is off
        # here anyway, so render the scene and save the slides (no reversed videos: the deck plays forward).
        from manim import config

        Scene.render(self, *args, **kwargs)
        if config.dry_run:          # nothing was written: only the slide boundaries (see ``plan``)
            self._add_last_slide()
        else:
            self._save_slides(use_cache=False, flush_cache=False, skip_reversing=True)

    def setup(self) -> None:
        cls.setup(self)
        self._gl_depth, self._gl_starts, self._gl_shown_after = 0, [], []

    def play(self, *args, **kwargs) -> None:
        Slide.play(self, *args, **kwargs)
        self._gl_shown_after.append(len(getattr(self, "shown", ())))

    ns: dict[str, Any] = {"__module__": cls.__module__, "skip_reversing": True, "__init__": __init__, "render": render, "setup": setup, "play": play}
    for name in beats_of(cls):
        ns[name] = _beat(getattr(cls, name), name)
    return type(cls.__name__, (cls, Slide), ns)


def slide_notes(scene, md: str, title: str) -> list[str]:
    """One note per slide the scene recorded: its beat and the walkthrough part its numbers select."""
    shown = list(getattr(scene, "shown", ()))
    after = scene._gl_shown_after
    calls: dict[str, int] = {}
    starts = {}                          # animation index -> (beat starting there, its call number); last wins
    for index, name in scene._gl_starts:
        starts[index] = (name, calls.get(name, 0))
        calls[name] = calls.get(name, 0) + 1
    out = []
    for pre in scene._slides:
        if pre.skip_animations:
            continue
        s, e = pre.start_animation, pre.end_animation
        lo = after[s - 1] if s > 0 else 0
        hi = after[e - 1] if e > 0 else 0
        sources = [src for _, _, srcs in shown[lo:hi] if isinstance(srcs, tuple) for src in srcs]
        beat, k = starts.get(s, ("", 0))
        head = f"{title}: {beat.replace('_', ' ')}" if beat else title
        n = calls.get(beat, 0)
        text = "" if notes.has_step(sources) or n < 2 else notes.for_call(md, k, n)
        out.append(f"{head}\n\n{text or notes.for_sources(md, sources)}")
    return out


def _bound(view: str, source, options: dict, theme: str, tex: bool = False):
    from gatelab.scenes import api

    return slide_class(api.scene_class(view, source=source, options=options, theme=theme, tex=tex))


def plan(view: str, *, source, options: dict, theme: str = "dark", work: Path) -> list[str]:
    """The notes of every slide of scene ``view``, from a dry run (no frame drawn, nothing written)."""
    from manim import tempconfig

    cls = _bound(view, source, options, theme)
    cfg = {"quality": "low_quality", "media_dir": str(work), "output_file": view, "progress_bar": "none",
           "verbosity": "WARNING", "disable_caching": True, "preview": False, "dry_run": True}
    with tempconfig(cfg):
        scene = cls(output_folder=work / "slides")
        scene.render()
    return slide_notes(scene, stills.explain_md(cls.computed), view)


def render(view: str, *, source, options: dict, quality: str, theme: str, work: Path, video: Path | None,
           tex: bool = False):
    """Render scene ``view`` once as slides; returns its ``PresentationConfig`` (notes filled in).

    ``video``: where to put the plain video of the same render (atomically), or None.
    """
    from manim import tempconfig
    from manim_slides.config import PresentationConfig

    from gatelab.style import theme as get_theme

    if quality not in SCENE_QUALITIES:
        raise InputError(f"unknown quality {quality!r}; expected one of: {', '.join(SCENE_QUALITIES)}")
    cls = _bound(view, source, options, theme, tex)
    media = Path(tempfile.mkdtemp(prefix=".gatelab-slides-", dir=work))
    cfg = {"quality": SCENE_QUALITIES[quality], "format": "mp4", "media_dir": str(media), "output_file": view,
           "progress_bar": "none", "verbosity": "WARNING", "background_color": get_theme(theme).background,
           "disable_caching": True, "max_files_cached": -1, "preview": False}
    with tempconfig(cfg), quiet():
        scene = cls(output_folder=media / "slides")
        scene.render()
    config_file = media / "slides" / f"{cls.__name__}.json"
    config = PresentationConfig.from_file(config_file)
    md = stills.explain_md(cls.computed)
    texts = slide_notes(scene, md, view)
    if len(texts) != len(config.slides):
        raise OutputError(f"scene {view!r}: {len(config.slides)} slides but {len(texts)} notes")
    for slide, text in zip(config.slides, texts):
        slide.notes = text
    if video is not None:
        produced = [p for p in media.rglob(f"{view}.mp4") if "partial_movie_files" not in p.parts]
        if not produced:
            raise OutputError(f"manim wrote no video for scene {view!r}")
        video.parent.mkdir(parents=True, exist_ok=True)
        tmp = video.with_name(f".{video.name}.tmp-{os.getpid()}")
        shutil.copyfile(produced[0], tmp)
        os.replace(tmp, video)
    return config
