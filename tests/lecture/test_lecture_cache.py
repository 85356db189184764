"""The cache keys: each thing an output depends on changes its key; nothing else does."""
from __future__ import annotations

import dataclasses

from gatelab.engines import registry
from gatelab.lecture import cache, parse

JOB = parse('[[output]]\nscene = "lstm-gates"\npace = 0.5\n').jobs[0]
TRACES = {"": {"digest": "a" * 64, "model": "lstm", "provenance": {"preset": "lstm-3step"}, "options": {}}}
ENV = {"gatelab": "0.1.0", "manim": "0.22.0"}


def _closure(*roots: str) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        m = todo.pop()
        if m not in seen and cache._view_layer(m):
            seen.add(m)
            todo.extend(cache._imports(m))
    return seen


def test_the_code_of_a_scene_is_its_module_and_the_view_modules_it_imports():
    got = _closure("gatelab.scenes.lstm", "gatelab.scenes.api")
    assert {"gatelab.scenes.lstm", "gatelab.scenes.base", "gatelab.scenes.mobjects", "gatelab.style",
            "gatelab.scenes.api"} <= got
    assert not any(m.startswith("gatelab.engines") or m.endswith("catalogue") for m in got)
    assert "gatelab.scenes.gan" not in got and "gatelab.diagrams.lstm" not in got
    lstm = cache.view_hash(JOB)
    assert lstm == cache.view_hash(dataclasses.replace(JOB, name="other", options={}))   # same code
    assert lstm != cache.view_hash(dataclasses.replace(JOB, view="gru-gates"))


def test_every_part_of_the_key_changes_it():
    base = cache.output_key(JOB, "mp4", TRACES, "code", ENV)
    assert base == cache.output_key(JOB, "mp4", dict(TRACES), "code", dict(ENV))
    changed = [
        cache.output_key(JOB, "gif", TRACES, "code", ENV),
        cache.output_key(JOB, "mp4", {"": {**TRACES[""], "digest": "b" * 64}}, "code", ENV),
        cache.output_key(JOB, "mp4", {"": {**TRACES[""], "provenance": {"preset": "x"}}}, "code", ENV),
        cache.output_key(JOB, "mp4", TRACES, "code2", ENV),
        cache.output_key(JOB, "mp4", TRACES, "code", {**ENV, "manim": "0.22.1"}),
        cache.output_key(dataclasses.replace(JOB, options={"pace": 1.0}), "mp4", TRACES, "code", ENV),
        cache.output_key(dataclasses.replace(JOB, quality="h"), "mp4", TRACES, "code", ENV),
        cache.output_key(dataclasses.replace(JOB, theme="light"), "mp4", TRACES, "code", ENV),
        cache.output_key(dataclasses.replace(JOB, name="gates"), "mp4", TRACES, "code", ENV),
    ]
    assert len({base, *changed}) == len(changed) + 1


def test_the_traces_inputs_follow_the_bytes_of_the_files(tmp_path):
    w = tmp_path / "w.json"
    w.write_text('{"model": "lstm"}')
    job = dataclasses.replace(JOB, source=registry.Source(weights=str(w)))
    first = cache.inputs_hash(job)
    assert cache.inputs_hash(job) == first
    w.write_text('{"model": "lstm" }')
    assert cache.inputs_hash(job) != first
    assert cache.inputs_hash(dataclasses.replace(job, options={"pace": 2.0})) != cache.inputs_hash(job)
    assert cache.inputs_hash(JOB) != cache.inputs_hash(dataclasses.replace(JOB, source=registry.Source(seed=1)))
