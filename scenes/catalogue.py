"""The scene catalogue: names, one-line summaries and CLI options (no manim import)."""
from __future__ import annotations

from dataclasses import dataclass

from engines.registry import OptionSpec


@dataclass(frozen=True)
class SceneSpec:
    name: str
    summary: str
    module: str                 # e.g. "scenes.lstm"
    scene_class: str            # e.g. "LSTMGatesScene"
    options: tuple[str, ...] = ()


OPTIONS: dict[str, OptionSpec] = {}

SCENES: dict[str, SceneSpec] = {}
