"""Shipped presets: named worked examples stored as data files in ``engines/presets/``.

Each preset is a weights file in the user format (see :mod:`engines.io`) and must
name its ``model`` and carry a one-line ``description``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .io import WeightsDoc, parse_weights_doc


@dataclass(frozen=True)
class PresetInfo:
    name: str
    model: str
    description: str


def _dir() -> Path:
    # the presets ship as plain files beside this module (package data); a path lookup is
    # ~7 ms cheaper at start-up than importlib.resources
    return Path(__file__).resolve().parent / "presets"


def names() -> list[str]:
    d = _dir()
    if not d.is_dir():
        return []
    return sorted(p.name[:-5] for p in d.iterdir() if p.name.endswith(".json"))


def _raw(name: str) -> dict:
    path = _dir() / f"{name}.json"
    if not path.is_file():
        known = ", ".join(names())
        raise InputError(f"unknown preset {name!r}; expected one of: {known}")
    return json.loads(path.read_text(encoding="utf-8"))


def load(name: str) -> WeightsDoc:
    return parse_weights_doc(_raw(name), where=f"preset {name!r}")


def text(name: str) -> str:
    """The preset file's exact text (hashed into diagram metadata)."""
    _raw(name)
    return (_dir() / f"{name}.json").read_text(encoding="utf-8")


def catalogue() -> list[PresetInfo]:
    out = []
    for n in names():
        doc = _raw(n)
        out.append(PresetInfo(n, doc.get("model", "?"), doc.get("description", "")))
    return out
