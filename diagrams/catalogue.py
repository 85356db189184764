"""The diagram catalogue: names, one-line summaries and CLI options.

Importing this module must stay cheap (no graphviz import): ``gatelab list`` and
the CLI's option parsing read it.
"""
from __future__ import annotations

from dataclasses import dataclass

from engines.registry import OptionSpec


@dataclass(frozen=True)
class DiagramSpec:
    name: str
    summary: str
    module: str                 # module holding the builder
    options: tuple[str, ...] = ()


# Diagram-specific options (engine options from engines.registry.OPTIONS are accepted too).
OPTIONS: dict[str, OptionSpec] = {}

DIAGRAMS: dict[str, DiagramSpec] = {}
