"""The gallery: a small PNG of every diagram, scene (last frame) and plot, and a Markdown page.

``gatelab gallery --out docs/gallery --page docs/gallery.md`` (``make gallery``) draws each
catalogue entry from its default example and writes ``OUT/<kind>-<name>.png`` (``width`` pixels
wide) and the page: one row per entry with its picture, its summary and the command that makes
it. The page depends only on the catalogues (a test checks the committed one is current);
the thumbnails are pictures of real engine runs like every other output.
"""
from __future__ import annotations

import fnmatch
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gatelab.engines import registry
from gatelab.engines.errors import InputError

WIDTH = 320


@dataclass(frozen=True)
class Item:
    kind: str          # diagram | scene | plot
    name: str
    summary: str

    @property
    def command(self) -> str:
        return {"diagram": f"gatelab diagram {self.name} --format png",
                "scene": f"gatelab scene {self.name} -q h",
                "plot": f"gatelab plot {self.name}"}[self.kind]

    @property
    def file(self) -> str:
        return f"{self.kind}-{self.name}.png"


def items(kinds: tuple[str, ...] = ("diagram", "scene", "plot")) -> list[Item]:
    """Every catalogue entry of ``kinds``, in catalogue order."""
    from gatelab.diagrams import catalogue as dcat
    from gatelab.scenes import catalogue as scat

    cats = {"diagram": dcat.DIAGRAMS, "scene": scat.SCENES, "plot": dcat.PLOTS}
    return [Item(k, e.name, e.summary) for k in kinds for e in cats[k].values()]


def page(entries: list[Item], thumbs: str) -> str:
    """The gallery page; ``thumbs`` is the thumbnails' directory relative to the page."""
    titles = {"diagram": "Diagrams", "scene": "Scenes (last frame)", "plot": "Plots"}
    lines = ["# Gallery", "",
             "Every diagram, scene and plot of the catalogue, drawn from its default example. "
             "Each picture is made by the command under it; `make gallery` (`gatelab gallery --out docs/gallery "
             "--page docs/gallery.md`) redraws them all.", ""]
    for kind in ("diagram", "scene", "plot"):
        group = [e for e in entries if e.kind == kind]
        if not group:
            continue
        lines += [f"## {titles[kind]}", "", "| picture | name and command |", "|---|---|"]
        for e in group:
            summary = e.summary.replace("|", "\\|")
            lines.append(f"| ![{e.name}]({thumbs}/{e.file}) | **`{e.name}`**: {summary}<br>`{e.command}` |")
        lines.append("")
    return "\n".join(lines)


def _shrink(src: Path, dest: Path, width: int) -> None:
    from PIL import Image

    with Image.open(src) as im:
        im = im.convert("RGB")
        h = max(1, round(im.height * width / im.width))
        im = im.resize((width, h), Image.LANCZOS)
        tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
        im.save(tmp, format="PNG", optimize=True)
    os.replace(tmp, dest)


def _draw(item: Item, png: Path, work: Path) -> None:
    """The full-size picture of ``item`` from its default example."""
    if item.kind == "diagram":
        from gatelab.diagrams import api, export

        graph, meta = api.build(item.name)
        export.export(graph, str(png), "png", meta)
    elif item.kind == "scene":
        from gatelab.scenes import api

        api.render(item.name, fmt="png", output=str(png), out_dir=str(work), progress=False)
    else:
        from . import stills

        stills.plot_png(item.name, registry.Source(), {}, png)


def build(out: str | Path, page_path: str | Path | None = None, *, width: int = WIDTH, only: str | None = None,
          kinds: tuple[str, ...] = ("diagram", "scene", "plot"),
          report: Callable[[str], None] = lambda s: None) -> list[Path]:
    """Draw the thumbnails into ``out`` and (when ``page_path`` is given) write the page; returns the files."""
    if width < 16:
        raise InputError(f"--width {width} is too small; expected at least 16 pixels")
    entries = items()                       # the page lists everything; ``kinds``/``only`` choose what is drawn
    chosen = [e for e in items(kinds) if only is None or fnmatch.fnmatch(e.name, only)]
    if not chosen:
        raise InputError(f"--only {only!r} matches no diagram, scene or plot")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix=".gatelab-gallery-", dir=out) as tmp:
        for e in chosen:
            report(f"{e.kind} {e.name}")
            full = Path(tmp) / e.file
            _draw(e, full, Path(tmp))
            _shrink(full, out / e.file, width)
            written.append(out / e.file)
    if page_path is not None:
        page_path = Path(page_path)
        rel = os.path.relpath(out, page_path.parent or ".")
        tmp_page = page_path.with_name(f".{page_path.name}.tmp-{os.getpid()}")
        tmp_page.write_text(page(entries, rel) + "\n", encoding="utf-8")
        os.replace(tmp_page, page_path)
        written.append(page_path)
    return written
