"""``gatelab slides`` and ``gatelab gallery`` (added to the CLI group by ``render.py``)."""
from __future__ import annotations

from pathlib import Path

import click


@click.command("slides")
@click.argument("lecture", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the deck (LECTURE.html, its LECTURE_assets/, .pdf, .pptx), the plain videos and "
                   "the still pictures. Default: the lecture's out directory (else media), then slides/.")
@click.option("--to", "to", type=click.Choice(["html", "pdf", "pptx"]), multiple=True,
              help="Deck format(s), repeatable. Default: html.")
@click.option("--quality", "-q", type=click.Choice(["l", "m", "h", "k"]), default=None,
              help="Quality of every slide (default: the lecture's own; l=480p15, m=720p30, h=1080p60, k=4K).")
@click.option("--theme", type=click.Choice(["light", "dark"]), default=None,
              help="One theme for every slide (default: each output's own; scenes dark, diagrams light).")
@click.option("--one-file", is_flag=True, help="HTML: inline the videos, images and reveal.js into the one file.")
def slides(lecture: str, out_dir: str, to: tuple[str, ...], quality, theme: str, one_file: bool) -> None:
    """Build LECTURE (a lecture .toml) as a slide deck: one slide per scene beat, one per diagram or
    plot, speaker notes from the worked solution; HTML (reveal.js, works offline), PDF, PPTX."""
    from gatelab.lecture import spec

    from . import deck

    lec = spec.load(lecture)
    if out_dir is None:
        out_dir = str(Path(lec.out or "media") / "slides")
    for path in deck.build(lec.jobs, out_dir, name=Path(lecture).stem, to=to or ("html",), quality=quality,
                           theme=theme, one_file=one_file, title=lec.title or None,
                           report=lambda s: click.echo(s, err=True)):
        click.echo(str(path))


@click.command("gallery")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="docs/gallery", show_default=True,
              help="Directory of the thumbnails.")
@click.option("--page", "page", type=click.Path(dir_okay=False), default="docs/gallery.md", show_default=True,
              help="The Markdown page listing them.")
@click.option("--width", type=int, default=320, show_default=True, help="Thumbnail width in pixels.")
@click.option("--only", default=None, help="Only entries whose name matches this shell pattern (the page lists all).")
@click.option("--scenes/--no-scenes", "with_scenes", default=True, show_default=True,
              help="Include the scenes' last frames (the slow part).")
def gallery(out_dir: str, page: str, width: int, only, with_scenes: bool) -> None:
    """Thumbnails of every diagram, scene (last frame) and plot, and the gallery page with their commands."""
    from . import gallery as gal

    kinds = ("diagram", "scene", "plot") if with_scenes else ("diagram", "plot")
    for path in gal.build(out_dir, page, width=width, only=only, kinds=kinds,
                          report=lambda s: click.echo(s, err=True)):
        click.echo(str(path))


COMMANDS = (slides, gallery)
