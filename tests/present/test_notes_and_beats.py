"""Speaker notes are the walkthrough trimmed to the numbers a slide shows; every scene marks its beats."""
from __future__ import annotations

import ast
import importlib
import inspect
import textwrap

import pytest

from gatelab import style
from gatelab.engines import registry
from gatelab.present import notes


@pytest.fixture(scope="module")
def lstm():
    run = registry.compute("lstm", registry.Source(preset="lstm-3step"), {})
    return run.trace, registry.walkthrough("lstm").explain(run.trace, "md")


def test_sections_cut_at_headings(lstm):
    _, md = lstm
    heads = [s.heading for s in notes.sections(md)]
    assert heads[0].startswith("LSTM") and "Step t = 1" in heads and "Step t = 3" in heads
    assert "\n".join(s.text for s in notes.sections("no heading\nat all")) == "no heading\nat all"


def test_a_slide_showing_f_at_step_2_gets_that_line_of_step_2(lstm):
    trace, md = lstm
    f2 = trace.steps[1].f
    text = notes.for_sources(md, [("f", 2, 0), ("f", 2, 1)])
    assert text.startswith("**Step t = 2**")
    assert "Forget gate" in text and "Output gate" not in text and "Step t = 1" not in text
    for v in f2:                                   # the walkthrough prints 4 significant digits
        assert style.fmt(v, 4) in text
    assert style.fmt(trace.steps[0].f[0], 4) not in text


def test_h_prev_is_read_as_the_previous_step(lstm):
    _, md = lstm
    text = notes.for_sources(md, [("h_prev", 3, 0)])
    assert text.startswith("**Step t = 3**") and "h_2" in text


def test_no_step_falls_back_to_the_best_section_then_the_opening(lstm):
    _, md = lstm
    assert "V = " in notes.for_sources(md, [("y", None, 0)])          # the Output section names y
    opening = notes.for_sources(md, [])
    assert opening.startswith("**LSTM") and "f_t = σ" in opening
    assert notes.for_sources("", [("f", 1, 0)]) == ""


def test_trim_cuts_at_a_line_and_marks_it():
    text = "\n".join(f"line {k} " + "x" * 40 for k in range(100))
    cut = notes.trim(text, 300)
    assert len(cut) <= 300 and cut.endswith("…") and cut.splitlines()[0] == text.splitlines()[0]
    assert notes.trim("short") == "short"


def _scene_classes():
    from gatelab.scenes import catalogue

    seen = {}
    for e in catalogue.SCENES.values():
        seen[(e.module, e.attr)] = e.name
    return sorted(seen)


@pytest.mark.parametrize("module,attr", _scene_classes())
def test_every_scene_marks_its_beats_and_construct_calls_them(module, attr):
    from gatelab.present import beats

    cls = getattr(importlib.import_module(module), attr)
    names = beats.beats_of(cls)
    assert names, f"{attr} declares no beats"
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls.construct)))
    called = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    assert set(names) <= called, set(names) - called
    assert names[0] in called


def test_a_beat_that_is_not_a_method_is_an_error():
    from gatelab.engines.errors import InputError
    from gatelab.present import beats

    class Broken:
        beats = ("nope",)

    with pytest.raises(InputError, match="nope"):
        beats.beats_of(Broken)


def test_the_kth_call_of_a_repeated_beat_gets_the_kth_section_headed_alike():
    run = registry.compute("highway", registry.Source(), {})
    md = registry.walkthrough("highway").explain(run.trace, "md")
    assert notes.for_call(md, 1, 3).startswith("**Example b = 2")
    assert notes.for_call(md, 1, 4) == ""          # no group of four alike headings
    assert notes.has_step([("f", 2, 0)]) and not notes.has_step([("W", None, 0)])
