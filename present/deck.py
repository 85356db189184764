"""A lecture as a slide deck: ``build(jobs, out_dir, ...)`` -> deck.html / deck.pdf / deck.pptx.

Each job of a lecture (``gatelab.lecture.spec.Job``: ``name``, ``kind``, ``view``, ``source``,
``options``, ``quality``) becomes slides, in the lecture's order:

- a scene: one slide per beat (:mod:`present.beats`), rendered once; the same render's plain
  video is written to ``OUT/videos/NAME.mp4``;
- a diagram or a plot: one still slide (:mod:`present.stills`); its PNG is kept in
  ``OUT/diagrams/NAME.png`` or ``OUT/plots/NAME.png``.

Every slide carries speaker notes from the model's ``explain`` walkthrough. The converters are
manim-slides' own (reveal.js HTML made offline by :mod:`present.reveal`, PDF, PPTX). Work files
live in a temporary directory inside ``OUT`` that is always removed; every output appears
atomically (written under a temporary name, then renamed).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable

from gatelab.engines.errors import InputError, OutputError

from . import beats, reveal, stills

FORMATS = ("html", "pdf", "pptx")
SIZES = {"l": (854, 480), "m": (1280, 720), "h": (1920, 1080), "k": (3840, 2160)}


def deck_quality(jobs: list, override: str | None) -> str:
    """One quality for the whole deck (slides share a resolution): ``override``, else the highest any
    scene of the lecture asks for, else low."""
    order = tuple(SIZES)
    q = override or max((j.quality for j in jobs if j.kind == "scene" and j.quality), key=order.index, default="l")
    if q not in SIZES:
        raise InputError(f"unknown quality {q!r}; expected one of: {', '.join(SIZES)}")
    return q


def _out_dir(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {str(out)!r} is a file, expected a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create {str(out)!r}: {e.strerror}") from None
    if not os.access(out, os.W_OK):
        raise OutputError(f"directory {str(out)!r} is not writable")
    return out


def _keep(src: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    return dest


def job_config(job: Any, *, out: Path, work: Path, quality: str, theme: str | None):
    """The manim-slides ``PresentationConfig`` of one lecture job (renders it); ``theme`` overrides the job's."""
    from gatelab.style import theme as get_theme

    options = dict(getattr(job, "options", None) or {})
    theme = theme or getattr(job, "theme", "") or ("dark" if job.kind == "scene" else "light")
    size, background = SIZES[quality], get_theme(theme).background
    if job.kind == "scene":
        return beats.render(job.view, source=job.source, options=options, quality=quality, theme=theme,
                            tex=getattr(job, "tex", False), work=work, video=out / "videos" / f"{job.name}.mp4")
    raw = work / f"{job.name}.raw.png"
    if job.kind == "diagram":
        png, text = stills.diagram_png(job.view, job.source, options, theme, raw,
                                       values=getattr(job, "values", "all"), digits=getattr(job, "digits", 3))
        _keep(png, out / "diagrams" / f"{job.name}.png")
    elif job.kind == "plot":
        png, text = stills.plot_png(job.view, job.source, options, raw)
        _keep(png, out / "plots" / f"{job.name}.png")
    else:
        raise InputError(f"job {job.name!r} has kind {job.kind!r}; expected diagram, scene or plot")
    slide = stills.fit(png, work / f"{job.name}.png", size, background)
    return stills.still_config(slide, f"{job.view}\n\n{text}", size, background)


def convert(configs: list, dest: Path, fmt: str, *, theme: str, one_file: bool, title: str) -> Path:
    """Write the deck in ``fmt`` (html, pdf or pptx) to ``dest``, atomically."""
    if fmt == "html":
        with beats.quiet():
            return reveal.write(configs, dest, theme=theme, one_file=one_file, title=title)
    from manim_slides.convert import PDF, PowerPoint

    tmp = dest.with_name(f".{dest.stem}.tmp-{os.getpid()}{dest.suffix}")
    try:
        with beats.quiet():
            if fmt == "pdf":
                PDF(presentation_configs=configs).convert_to(tmp)
            elif fmt == "pptx":
                w, h = configs[0].resolution
                PowerPoint(presentation_configs=configs, width=w, height=h).convert_to(tmp)
            else:
                raise InputError(f"unknown deck format {fmt!r}; expected one of: {', '.join(FORMATS)}")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def build(jobs: Iterable[Any], out: str | Path, *, name: str = "deck", to: tuple[str, ...] = ("html",),
          quality: str | None = None, theme: str | None = None, one_file: bool = False, title: str | None = None,
          report: Callable[[str], None] = lambda s: None) -> list[Path]:
    """Render every job as slides and write the deck in each format of ``to``; returns the deck files.

    ``theme`` None: each job's own (scenes dark, diagrams and plots light unless the lecture says);
    the HTML controls follow ``theme or "dark"``."""
    jobs = list(jobs)
    if not jobs:
        raise InputError("the lecture lists no outputs; a deck needs at least one")
    bad = [f for f in to if f not in FORMATS]
    if bad:
        raise InputError(f"unknown deck format {bad[0]!r}; expected one of: {', '.join(FORMATS)}")
    if theme not in (None, "light", "dark"):
        raise InputError(f"unknown theme {theme!r}; expected light or dark")
    q = deck_quality(jobs, quality)
    out = _out_dir(Path(out))
    work = Path(tempfile.mkdtemp(prefix=".gatelab-deck-", dir=out))
    try:
        configs = []
        for job in jobs:
            report(f"{job.kind} {job.view} -> slides")
            configs.append(job_config(job, out=out, work=work, quality=q, theme=theme))
        written = [convert(configs, out / f"{name}.{fmt}", fmt, theme=theme or "dark", one_file=one_file,
                           title=title or name) for fmt in dict.fromkeys(to)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return written
