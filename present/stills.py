"""Still slides: a diagram or a plot drawn from its trace, as one image slide with speaker notes.

The picture is the view's own PNG (Graphviz for diagrams, matplotlib for plots), fitted into a
canvas of the deck's resolution on the theme's background, so every converter (HTML, PDF,
PPTX) shows it like the scene slides. The notes come from the model's ``explain`` walkthrough
(the step the figure shows, when it shows one; otherwise the walkthrough's opening).
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from gatelab.engines import registry

from . import notes


def _first(computed: Any) -> registry.Computed:
    return next(iter(computed.values())) if isinstance(computed, dict) else computed


def explain_md(computed: Any) -> str:
    """The walkthrough (Markdown) of a trace, or of the first of several."""
    c = _first(computed)
    return registry.walkthrough(c.model).explain(c.trace, "md")


def fit(png: Path, dest: Path, size: tuple[int, int], background: str) -> Path:
    """``png`` scaled to fit ``size`` (never enlarged past 2x), centred on ``background``."""
    from PIL import Image

    w, h = size
    with Image.open(png) as im:
        im = im.convert("RGBA")
        scale = min((w * 0.94) / im.width, (h * 0.94) / im.height, 2.0)
        im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.LANCZOS)
        canvas = Image.new("RGBA", (w, h), background)
        canvas.alpha_composite(im, ((w - im.width) // 2, (h - im.height) // 2))
        canvas.convert("RGB").save(dest)
    return dest


def diagram_png(view: str, source: registry.Source, options: dict, theme: str, dest: Path, *,
                values: str = "all", digits: int = 3) -> tuple[Path, str]:
    """Draw diagram ``view`` to ``dest`` (PNG); returns (path, notes)."""
    from gatelab.diagrams import api, catalogue, export

    graph, meta = api.build(view, source=source, options=options, theme=theme, values=values, digits=digits)
    export.export(graph, str(dest), "png", meta)
    spec = catalogue.get(view)
    eng, diag = api.split_options(view, spec.model, dict(options))
    traces = registry.resolve(spec.traces(source, eng, diag), source, eng)
    md = explain_md(traces[""] if list(traces) == [""] else traces)
    step = diag.get("step")
    text = notes.for_sources(md, [], step=step) if step else notes.opening(md)
    return dest, text


def plot_png(view: str, source: registry.Source, options: dict, dest: Path) -> tuple[Path, str]:
    """Draw plot ``view`` to ``dest`` (PNG); returns (path, notes)."""
    from gatelab.diagrams import catalogue

    spec = catalogue.PLOTS.get(view)
    opts = {k: v for k, v in options.items() if v is not None}
    computed = registry.resolve(spec.traces(source, opts, {}), source, opts)[""]
    module = importlib.import_module(spec.module)
    title = computed.provenance.get("preset") or ""
    module.save(getattr(module, spec.attr)(computed.trace, title), str(dest))
    return dest, notes.opening(explain_md(computed))


def still_config(image: Path, text: str, size: tuple[int, int], background: str):
    """A one-slide manim-slides ``PresentationConfig`` showing ``image``."""
    from manim_slides.config import PresentationConfig, SlideConfig, SlideType

    slide = SlideConfig(file=image, rev_file=image, type=SlideType.Image, notes=text)
    return PresentationConfig(slides=[slide], resolution=size, background_color=background)
