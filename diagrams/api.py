"""``render(name, ...)``: trace(s) from the registry -> builder -> exported files.

The CLI's ``gatelab diagram``, ``all`` and ``demo`` call this with a fixed signature.
Builders live in the module named by the diagram's catalogue entry and follow::

    def build(computed, *, style, opts) -> graphviz.Digraph

``computed`` is a ``registry.Computed``, or ``{label: Computed}`` for a figure whose entry
declares several traces (``needs``). This module asks the registry for them; builders only draw.
"""
from __future__ import annotations

import hashlib
import importlib
import os
from typing import Any

from gatelab.engines import __version__, presets, registry
from gatelab.engines.errors import InputError, OutputError

from . import catalogue, export
from ._draw import Style
from gatelab.style import theme as _theme

_EXT = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


def _flag(k: str) -> str:
    return "--" + k.replace("_", "-")


def split_options(name: str, model: str, options: dict[str, Any]) -> tuple[dict, dict]:
    """Split ``options`` into (engine options, diagram options); reject what ``name`` does not take."""
    spec = catalogue.get(name)
    model_opts = registry.get(model).options if model else ()
    engine, diagram = {}, {}
    for k, v in options.items():
        if v is None:
            continue
        if k in spec.options:
            diagram[k] = v
        elif k in model_opts:
            engine[k] = v
        else:
            accepted = ", ".join(_flag(o) for o in (*model_opts, *spec.options)) or "none"
            raise InputError(f"option {_flag(k)} does not apply to diagram {name!r} (it accepts: {accepted})")
    return engine, diagram


def _provenance(computed: Any) -> dict[str, Any]:
    """Metadata of one or several Computed objects (a dict of them for comparison figures)."""
    if isinstance(computed, dict) and len(computed) == 1:
        computed = next(iter(computed.values()))
    items = computed.items() if isinstance(computed, dict) else [("", computed)]
    meta: dict[str, Any] = {}
    for label, c in items:
        if not isinstance(c, registry.Computed):
            continue
        pre = f"{label}-" if label else ""
        prov = c.provenance
        meta[f"{pre}model"] = c.model
        if "preset" in prov:
            meta[f"{pre}preset"] = prov["preset"]
            meta[f"{pre}preset-sha256"] = hashlib.sha256(presets.text(prov["preset"]).encode("utf-8")).hexdigest()
        if "weights_sha256" in prov:
            meta[f"{pre}weights-sha256"] = prov["weights_sha256"]
        if "inputs_sha256" in prov:
            meta[f"{pre}inputs-sha256"] = prov["inputs_sha256"]
        if "seed" in prov:
            meta[f"{pre}seed"] = prov["seed"]
        if prov.get("note"):
            meta[f"{pre}weights-module"] = prov["note"]
        if c.options:
            meta[f"{pre}options"] = ",".join(f"{k}={v}" for k, v in sorted(c.options.items()))
        meta[f"{pre}trace-sha256"] = c.trace.digest()
    return meta


def build(name: str, *, source: registry.Source = registry.Source(), options: dict[str, Any] | None = None,
          theme: str = "light", values: str = "all", digits: int = 3, verify: bool = False):
    """Compute the trace(s) and build the graph; returns ``(graphviz.Digraph, metadata)``."""
    spec = catalogue.get(name)
    model = spec.model
    eng_opts, diag_opts = split_options(name, model, dict(options or {}))
    if values not in ("none", "key", "all"):
        raise InputError(f"--values must be none, key or all, got {values!r}")
    if theme not in ("light", "dark"):
        raise InputError(f"--theme must be light or dark, got {theme!r}")
    traces = registry.resolve(spec.traces(source, eng_opts, diag_opts), source, eng_opts)
    computed = traces[""] if list(traces) == [""] else traces
    checked = [registry.verify(c, source).line() for c in traces.values()] if verify else []
    st = Style(theme=_theme(theme), values=values, digits=digits)
    mod = importlib.import_module(spec.module)
    graph = getattr(mod, spec.attr)(computed, style=st, opts=diag_opts)
    meta = {"generator": f"GateLab {__version__}", "diagram": name, **_provenance(computed),
            "theme": theme, "values": values, "digits": digits}
    if checked:
        meta["verified"] = " | ".join(checked)
    if diag_opts:
        meta["diagram-options"] = ",".join(f"{k}={v}" for k, v in sorted(diag_opts.items()))
    return graph, meta


def targets(name: str, formats: tuple[str, ...], output: str | None, out_dir: str | None) -> list[tuple[str, str]]:
    """[(path, fmt)] from ``-o PATH`` (extension picks the format) or ``OUT/diagrams/NAME.FMT``."""
    if output is not None:
        ext = os.path.splitext(output)[1].lower()
        if ext not in _EXT:
            raise OutputError(f"output {output!r} has extension {ext or '(none)'!r}; use .svg, .png, .pdf or .dot")
        fmt = _EXT[ext]
        if formats and set(formats) != {fmt}:
            raise OutputError(f"--format {','.join(formats)} conflicts with -o {output!r}; give one or the other")
        return [(output, fmt)]
    fmts = tuple(dict.fromkeys(formats or ("svg",)))
    for f in fmts:
        if f not in export.FORMATS:
            raise OutputError(f"unknown format {f!r}; expected one of: {', '.join(export.FORMATS)}")
    directory = os.path.join(out_dir or "media", "diagrams")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create output directory {directory!r}: {e.strerror}") from None
    return [(os.path.join(directory, f"{name}.{f}"), f) for f in fmts]


def render(name: str, *, source: registry.Source = registry.Source(), options: dict[str, Any] | None = None,
           theme: str = "light", values: str = "all", digits: int = 3, formats: tuple[str, ...] = (),
           output: str | None = None, out_dir: str | None = "media", dot_only: bool = False, verify: bool = False):
    """Draw diagram ``name`` from a real trace. Returns the paths written, or the DOT text."""
    catalogue.get(name)
    if not dot_only:
        outs = targets(name, tuple(formats), output, out_dir)  # bad paths fail before any work
    graph, meta = build(name, source=source, options=options, theme=theme, values=values, digits=digits, verify=verify)
    if dot_only:
        return export.dot_with_metadata(graph.source, meta)
    if any(f != "dot" for _, f in outs):
        export.dot_binary()  # fail with one clear line before writing anything
    written = []
    for path, fmt in outs:
        written.append(export.export(graph, path, fmt, meta))
    return written
