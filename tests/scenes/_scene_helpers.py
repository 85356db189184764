"""Helpers for the scene tests: the numbers a scene put on screen, checked against the trace records they show.

A scene logs every Text and Equation it adds in ``scene.shown`` as ``(kind, text, source)``; ``source`` is
the mobject's ``gatelab_source``: one ``(field, t, unit)`` per number of the text, in reading order
(see ``gatelab.scenes.mobjects.tag``). :func:`check_numbers` resolves each source against the trace and
compares the displayed number with the value formatted as the scenes format it.
"""
from __future__ import annotations

import re

import numpy as np

from gatelab.style import fmt

_NUM = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?!\w)")
_SUBSCRIPT = re.compile(r"_\{[^}]*\}|_\w|\^\{[^}]*\}|\^\w")
DIGITS = (1, 2, 3, 4, 5)          # significant digits the scenes print with


def numbers_in_text(s: str) -> list[str]:
    """The numbers of a line of text, in reading order ('x₁' and 'lstm-3step' hold none)."""
    return _NUM.findall(s.replace("−", "-"))


def numbers_in_tex(tex: str) -> list[str]:
    """The numbers of an equation, in reading order, without sub/superscripts (h_{t-1}, W^Q) and commands."""
    body = _SUBSCRIPT.sub("", tex)
    body = re.sub(r"\\[A-Za-z]+", " ", body)        # \sigma, \odot, \cdot ...
    return _NUM.findall(body)


def resolve(trace, source):
    """The trace value a ``(field, t, unit)`` source names.

    ``t``: None for the trace itself, else the step record whose ``t`` it is. ``field``: an attribute
    path (``params.V``; digits index a sequence: ``runs.0.snapshots.2.js``). ``unit``: None (the value),
    an index or index tuple, ``"columns"`` (the width of a matrix or the length of a vector).
    """
    field, t, unit = source
    obj = trace
    if t is not None:
        (obj,) = [s for s in trace.steps if s.t == t]
    for part in field.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    if unit is None:
        return obj
    if unit == "columns":
        return np.shape(obj)[-1]
    return np.asarray(obj)[unit]


def _matches(shown: str, value) -> bool:
    return any(shown == fmt(value, d) for d in DIGITS)


def check_numbers(scene, *, strict: bool = True, kinds=("text", "eq")) -> int:
    """Every number of every logged mobject with a source equals the value its source names.

    A Text that is only a number must have a source; with ``strict`` every Text and Equation holding a
    number must. Returns how many numbers were checked.
    """
    checked = 0
    for kind, text, source in scene.shown:
        if kind not in kinds:
            continue
        if source in ("provenance", "scale"):
            continue                                  # provenance: check_provenance; scale: axis ticks, no trace value
        nums = numbers_in_tex(text) if kind == "eq" else numbers_in_text(text)
        if source is None:
            assert not nums or not (strict or nums == [text.strip()]), \
                f"{kind} {text!r} shows numbers {nums} without saying which trace values they are"
            continue
        assert len(nums) == len(source), f"{kind} {text!r}: numbers {nums} but sources {list(source)}"
        for n, src in zip(nums, source):
            field, _, unit = src                      # "provenance.token_ids": the run's inputs, not the trace
            value = (scene.result.provenance[field.split(".", 1)[1]][unit] if field.startswith("provenance.")
                     else resolve(scene.trace, src))
            assert _matches(n, value), f"{kind} {text!r} shows {n} for {src}, which is {value!r} in the trace"
            checked += 1
    return checked


def check_provenance(scene) -> None:
    """The corner note names the run the numbers come from."""
    notes = [text for _, text, source in scene.shown if source == "provenance"]
    p = scene.result.provenance
    src = f"preset {p['preset']}" if "preset" in p else f"seed {p['seed']}" if "seed" in p else f"weights {p['weights']}"
    assert notes and all(n == f"numbers: {scene.result.model} engine, {src}" for n in notes), notes


def pixel_std(png_path: str) -> float:
    from PIL import Image
    return float(np.asarray(Image.open(png_path).convert("L"), dtype=float).std())
