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


# A whole-model preset is a folder in exactly the layout of a user's Hugging Face model folder
# (config.json, model.safetensors, tokenizer.json ...) plus this file: its model, description and
# default input ({"text": ...}, or {"image": FILE} relative to the folder).
FOLDER_DOC = "gatelab-preset.json"


def names() -> list[str]:
    d = _dir()
    if not d.is_dir():
        return []
    return sorted([p.name[:-5] for p in d.iterdir() if p.name.endswith(".json")]
                  + [p.name for p in d.iterdir() if (p / FOLDER_DOC).is_file()])


def folder(name: str) -> Path | None:
    """The folder of a whole-model preset (None for a one-file preset)."""
    p = _dir() / name
    return p if (p / FOLDER_DOC).is_file() else None


def _raw(name: str) -> dict:
    f = folder(name) if name and "/" not in name and "\\" not in name and not name.startswith(".") else None
    path = f / FOLDER_DOC if f is not None else _dir() / f"{name}.json"
    if not path.is_file():
        known = ", ".join(names())
        raise InputError(f"unknown preset {name!r}; expected one of: {known}")
    return json.loads(path.read_text(encoding="utf-8"))


def load(name: str) -> WeightsDoc:
    raw = _raw(name)
    f = folder(name)
    if f is None:
        return parse_weights_doc(raw, where=f"preset {name!r}")
    inputs = dict(raw.get("inputs") or {})
    if "image" in inputs:
        inputs["image"] = str(f / inputs["image"])
    return WeightsDoc({}, {"model_folder": str(f), "source": f"preset {name}", **inputs}, dict(raw.get("options") or {}),
                      raw.get("model"), raw.get("description", ""), {k: v for k, v in raw.items() if k in ("notes", "models")})


def text(name: str) -> str:
    """The preset's exact text (hashed into diagram metadata); a folder's files in name order."""
    _raw(name)
    f = folder(name)
    if f is None:
        return (_dir() / f"{name}.json").read_text(encoding="utf-8")
    import hashlib
    return "\n".join(f"{p.name} {hashlib.sha256(p.read_bytes()).hexdigest()}" for p in sorted(f.iterdir()) if p.is_file())


def catalogue() -> list[PresetInfo]:
    out = []
    for n in names():
        doc = _raw(n)
        out.append(PresetInfo(n, doc.get("model", "?"), doc.get("description", "")))
    return out
