"""One catalogue type for everything GateLab can compute or draw: models, diagrams, scenes, plots.

An :class:`Entry` names a thing, says in one line what it is, where its code lives (a module
imported only when it is used), the CLI options it takes, and, for views, the traces it
needs (:class:`Need`). ``gatelab list``, the CLI's choices and the docs are generated from
the catalogues; importing a catalogue never imports numpy-heavy engines, graphviz or manim.

A view never runs an engine: it declares its needs, the registry resolves them against the
user's source (preset, weights file, inputs, seed) and hands the view the traces.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

from .errors import InputError


@dataclass(frozen=True)
class OptionSpec:
    """An option exposed on the CLI as ``--<name>`` (underscores become dashes).

    ``type`` is ``int``, ``float``, ``str``, ``bool`` (a flag) or a tuple of choices.
    """
    type: Any
    help: str


@dataclass(frozen=True)
class Need:
    """One trace a view needs.

    ``model``: the engine (a tuple means "whichever of these the preset or weights file is
    for", the first one for ``--seed``). ``preset``: the example drawn when the user names no
    preset, weights or seed (default: the model's own). ``force``: engine options this trace
    always uses. ``seeded``: options used with ``--seed`` unless the user set them.
    """
    model: str | tuple[str, ...]
    preset: str | None = None
    force: Mapping[str, Any] = field(default_factory=dict)
    seeded: Mapping[str, Any] = field(default_factory=dict)

    @property
    def models(self) -> tuple[str, ...]:
        return self.model if isinstance(self.model, tuple) else (self.model,)


@dataclass(frozen=True)
class Entry:
    """A model, diagram, scene or plot.

    ``module``/``attr``: where its code lives (the engine's build function, the diagram
    builder, the scene class, the plot function). ``model``/``preset``: the engine whose trace
    a view draws and its default example. ``needs``: for views that draw several traces or
    whose trace depends on options, a function ``(engine_options, view_options) -> {label:
    Need}``. Models also name their text walkthrough (``text``) and their random-weights
    function (``random``). ``one_cell``: a scene that animates a single recurrent cell (a
    stacked or bidirectional trace is refused and sent to ``one_cell``, the diagram that can
    draw it).
    """
    kind: str                                   # "model" | "diagram" | "scene" | "plot"
    name: str
    summary: str
    module: str
    attr: str = "build"
    options: tuple[str, ...] = ()
    model: str = ""
    preset: str | None = None
    needs: Callable[[Any, dict, dict], dict[str, Need]] | None = None
    text: str = ""
    random: str = "random"
    one_cell: str = ""

    # names used by the engine registry
    @property
    def engine(self) -> str:
        return self.module

    @property
    def build(self) -> str:
        return self.attr

    @property
    def walkthrough(self) -> str:
        return self.text

    @property
    def default_preset(self) -> str | None:
        return self.preset

    def traces(self, source: Any, engine_options: dict, view_options: dict) -> dict[str, Need]:
        """The traces this view needs: its ``needs`` function, or one trace of ``model``."""
        if self.needs is not None:
            return self.needs(source, engine_options, view_options)
        return {"": Need(self.model, self.preset)}


class Catalogue(Mapping[str, Entry]):
    """Entries of one kind, in the order they were added; unknown names get the closest one."""

    def __init__(self, kind: str, options: Mapping[str, OptionSpec]) -> None:
        self.kind = kind
        self.options = options
        self._entries: dict[str, Entry] = {}

    def add(self, *entries: Entry) -> None:
        for e in entries:
            if e.kind != self.kind:
                raise ValueError(f"{e.name!r} is a {e.kind}, not a {self.kind}")
            unknown = [o for o in e.options if o not in self.options]
            if unknown:
                raise KeyError(f"{self.kind} {e.name!r} names unknown option {unknown[0]!r}")
            self._entries[e.name] = e

    def get(self, name: str) -> Entry:  # type: ignore[override]
        if name not in self._entries:
            close = difflib.get_close_matches(str(name), list(self._entries), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of: {', '.join(self._entries)}"
            raise InputError(f"unknown {self.kind} {name!r}{hint}")
        return self._entries[name]

    def __getitem__(self, name: str) -> Entry:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
