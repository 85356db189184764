"""A GPT-2 model folder that carries a gatelab-task.json: the whole-model engine measures its held-out
head scores (engines.induction.evaluate) and names only the heads that clear the bars."""
from __future__ import annotations

import json
import shutil

import pytest

from gatelab.diagrams import api
from gatelab.engines import induction as I
from gatelab.engines import induction_folder as F
from gatelab.engines import presets, registry
from gatelab.engines.registry import Source
from tests.cli_helpers import one_line_error


@pytest.fixture(scope="module")
def whole():
    return registry.compute("transformer", Source(preset="induction-heads")).trace


def test_preset_runs_the_folder_on_its_example(whole):
    _, _, task = F.read()
    assert list(whole.tokens) == task["example"]["tokens"]
    assert whole.family == "gpt2" and len(whole.layers) == 2


def test_scores_are_the_engine_evaluation_and_labels_are_honest(whole):
    w, config, task = F.read()
    sc = I.evaluate(w, config, task)
    assert whole.scores == sc
    assert whole.head_labels == I.head_labels(sc)
    for key, job in whole.head_labels.items():                      # a named head clears its bar
        name = {"previous token": "previous_token", "induction": "induction"}[job]
        assert key == f"L{sc[name]['layer']}H{sc[name]['head']}" and sc[name]["score"] >= I.THRESHOLDS[name]


def test_head_labels_follow_the_thresholds():
    def sc(prev, ind):
        return {"previous_token": {"layer": 1, "head": 2, "score": prev}, "induction": {"layer": 2, "head": 1, "score": ind}}
    assert I.head_labels(sc(0.8, 0.6)) == {"L1H2": "previous token", "L2H1": "induction"}
    assert I.head_labels(sc(0.79, 0.6)) == {"L2H1": "induction"}
    assert I.head_labels(sc(0.9, 0.59)) == {"L1H2": "previous token"}
    assert I.head_labels(sc(0.1, 0.06)) == {}


def test_folder_without_a_task_has_no_scores():
    tr = registry.compute("transformer", Source(preset="tiny-gpt2")).trace
    assert tr.scores is None and tr.head_labels is None


def test_compute_prints_the_scores(run_cli):
    r = run_cli("compute", "transformer", "--preset", "induction-heads")
    assert r.exit_code == 0
    assert "held-out scores (256 repeated sequences" in r.stdout and "named heads (previous token >= 0.8" in r.stdout
    r = run_cli("compute", "transformer", "--preset", "induction-heads", "--tokens", "A,B,C,A,B,C")
    assert r.exit_code == 0 and "tokens (6" in r.stdout and "held-out scores" in r.stdout


def _copy(tmp_path, change):
    d = tmp_path / "m"
    shutil.copytree(presets.folder("induction-heads"), d)
    task = json.loads((d / F.TASK_FILE).read_text())
    change(task)
    (d / F.TASK_FILE).write_text(json.dumps(task))
    return d


@pytest.mark.parametrize("change, needles", [
    (lambda t: t.update(secret=1), ("secret",)),
    (lambda t: t.pop("half"), ("has no 'half'",)),
    (lambda t: t.update(half=99), ("half is 99",)),
    (lambda t: t.update(vocab=["A", "B"]), ("vocab must list",)),
    (lambda t: t.update(task="sort"), ("expected 'repeat'",)),
    (lambda t: t["training"].update(seed=-1), ("training.seed",)),
    (lambda t: t["training"].update(lr2=1), ("lr2",)),
])
def test_bad_task_file_is_a_one_line_error(run_cli, tmp_path, change, needles):
    d = _copy(tmp_path, change)
    one_line_error(run_cli("compute", "transformer", "--weights", d, "--tokens", "A,B,A,B"), *needles)


def test_task_file_that_is_not_json(run_cli, tmp_path):
    d = _copy(tmp_path, lambda t: None)
    (d / F.TASK_FILE).write_text("{not json")
    one_line_error(run_cli("compute", "transformer", "--weights", d, "--tokens", "A,B,A,B"), "not valid JSON")


def test_model_view_defaults_to_the_trained_model(whole):
    dot = api.build("attention-heads")[0].source
    assert "induction-heads" in dot
    for job in (whole.head_labels or {}).values():
        assert job in dot
