"""Helpers for the scene tests: what numbers a scene put on screen, and which a trace holds."""
from __future__ import annotations

import re

import numpy as np

from gatelab.style import fmt

_NUM = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
_SUBSCRIPT = re.compile(r"_\{[^}]*\}|_\w|\^\{[^}]*\}|\^\w")


def trace_numbers(obj, digits=(2, 3, 4, 5)) -> set[str]:
    """Every float of a trace (recursively through its JSON form), formatted as the scenes do."""
    out: set[str] = set()

    def walk(v):
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
        elif isinstance(v, bool) or v is None or isinstance(v, str):
            return
        elif isinstance(v, (int, float, np.floating, np.integer)):
            for d in digits:
                for s in (fmt(v, d), fmt(-v, d)):   # "-0.9" shows as a minus sign and 0.9 in an equation
                    out.add(s)
                    if "e" in s:                    # m x 10^{e} in equations
                        out.add(s.split("e")[0])
    walk(obj.to_dict() if hasattr(obj, "to_dict") else obj)
    return out


def screen_texts(scene) -> list[str]:
    """original_text of every Text mobject on screen (after construct)."""
    from manim import Text
    seen = []
    for m in scene.mobjects:
        for s in m.get_family():
            if isinstance(s, Text):
                seen.append(s.original_text)
    return seen


def screen_equations(scene, history: list | None = None) -> list[str]:
    from gatelab.scenes.mobjects import Equation
    out = []
    for m in scene.mobjects:
        for s in m.get_family():
            if isinstance(s, Equation):
                out.append(s.tex)
    return out


def numbers_in_text(s: str) -> list[str]:
    return _NUM.findall(s.replace("−", "-"))


def numbers_in_tex(tex: str) -> list[str]:
    body = _SUBSCRIPT.sub("", tex)
    body = re.sub(r"\\[A-Za-z]+", " ", body)        # \sigma, \odot, \cdot ...
    return [n.lstrip("-") for n in _NUM.findall(body)]


def pixel_std(png_path: str) -> float:
    from PIL import Image
    return float(np.asarray(Image.open(png_path).convert("L"), dtype=float).std())
