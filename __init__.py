"""GateLab: lecture-quality diagrams and animations of sequence models, drawn from real engine runs.

The public Python API (the CLI ``gatelab`` is built on the same functions)::

    import gatelab

    run = gatelab.compute("lstm", preset="lstm-3step")   # the engine's trace
    run.trace.steps[0].f                                  # forget gate at t = 1 (read-only array)

    fig = gatelab.diagram("lstm-unfolded")                # Jupyter shows it inline (SVG)
    fig.save("lstm.svg")                                  # .svg / .png / .pdf / .dot
    fig.source                                            # the DOT text

    video = gatelab.scene("lstm-gates", quality="l")      # renders an MP4; Jupyter embeds it
    str(video)                                            # its path

Where the numbers come from is the same everywhere: ``preset=NAME``, ``weights=PATH``
(with ``inputs=PATH`` or ``inputs={"x": [[...], ...]}``), or ``seed=N`` with ``hidden``,
``input_size`` and ``steps``. Every other keyword is a model, diagram or scene option
(``variant="peephole"``, ``layers=2``, ``step=2``, ``pace=0.5``).

Importing ``gatelab`` is cheap: engines, graphviz and manim load when first used.
"""
from __future__ import annotations

from typing import Any

from gatelab.engines import __version__  # absolute: test runners may import this file under another name

__all__ = ["__version__", "compute", "diagram", "scene", "Diagram", "Video"]

_SOURCE_KEYS = ("preset", "weights", "inputs", "seed", "hidden", "input_size", "steps", "module")


def _split(kw: dict[str, Any]):
    from gatelab.engines import registry

    source = registry.Source(**{k: kw.pop(k) for k in _SOURCE_KEYS if k in kw}, head=kw.pop("head_module", None))
    return source, {k: v for k, v in kw.items() if v is not None}


def compute(model: str, **kw: Any):
    """Run ``model``'s engine; returns a ``Computed`` (``.trace``, ``.options``, ``.provenance``)."""
    from gatelab.engines import registry

    source, options = _split(kw)
    return registry.compute(model, source, options)


class Diagram:
    """A built diagram: ``.graph`` (graphviz.Digraph), ``.meta``, ``.source`` (DOT), ``.svg()``, ``.save(path)``."""

    def __init__(self, name: str, graph: Any, meta: dict[str, Any]) -> None:
        self.name, self.graph, self.meta = name, graph, meta

    @property
    def source(self) -> str:
        from gatelab.diagrams import export

        return export.dot_with_metadata(self.graph.source, self.meta)

    def svg(self) -> str:
        from gatelab.diagrams import export

        return export.svg_with_metadata(export.render_bytes(self.graph.source, "svg"), self.meta).decode("utf-8")

    def _repr_svg_(self) -> str:  # Jupyter: shown inline
        return self.svg()

    def save(self, path: str) -> str:
        """Write the figure; the extension (.svg/.png/.pdf/.dot) picks the format. Returns the path."""
        from gatelab.diagrams import api, export

        ((target, fmt),) = api.targets(self.name, (), path, None)
        return export.export(self.graph, target, fmt, self.meta)

    def __repr__(self) -> str:
        return f"<gatelab.Diagram {self.name!r}>"


def diagram(name: str, *, theme: str = "light", values: str = "all", digits: int = 3, **kw: Any) -> Diagram:
    """Build diagram ``name`` from a real trace (nothing is written until ``.save``)."""
    from gatelab.diagrams import api

    source, options = _split(kw)
    graph, meta = api.build(name, source=source, options=options, theme=theme, values=values, digits=digits)
    return Diagram(name, graph, meta)


class Video(str):
    """The path of a rendered scene; Jupyter embeds it (video, or image for ``fmt="png"``)."""

    def _repr_html_(self) -> str:
        import base64
        import html

        data = base64.b64encode(open(self, "rb").read()).decode("ascii")
        if self.endswith(".png") or self.endswith(".gif"):
            mime = "image/png" if self.endswith(".png") else "image/gif"
            return f'<img src="data:{mime};base64,{data}" alt="{html.escape(self)}"/>'
        mime = "video/webm" if self.endswith(".webm") else "video/mp4"
        return f'<video controls src="data:{mime};base64,{data}"></video>'


def scene(name: str, *, quality: str = "l", fmt: str = "mp4", output: str | None = None, out_dir: str = "media",
          theme: str = "dark", tex: bool = False, progress: bool = False, **kw: Any) -> Video:
    """Render scene ``name`` (Manim) from a real trace; returns the file's path as a ``Video``."""
    from gatelab.scenes import api

    source, options = _split(kw)
    return Video(api.render(name, source=source, options=options, quality=quality, fmt=fmt, output=output,
                            out_dir=out_dir, theme=theme, tex=tex, progress=progress))
