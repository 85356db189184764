"""gan-training and gan-compare: run end to end at the lowest cost; every number on screen that shows a
trace value is the value of the record it names (run, snapshot, field)."""
from __future__ import annotations

from pathlib import Path

import pytest

from gatelab.engines import registry
from gatelab.scenes import api

from _scene_helpers import check_numbers, check_provenance, pixel_std

FAST = {"train_steps": 40, "snapshot_every": 20, "batch_size": 32}


def _run(name, tmp, preset, **kw):
    scene = api.run(name, source=registry.Source(preset=preset), options=FAST, media_dir=str(tmp), **kw)
    return scene


def _numbers_are_the_records(scene) -> str:
    """Check every sourced number (titles and the formula constants of the captions carry none); the text."""
    assert check_numbers(scene, strict=False, kinds=("text", "eq", "caption")) > 10
    check_provenance(scene)
    return " ".join(text for kind, text, _ in scene.shown if kind in ("text", "caption"))


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["gan-1d", "gan-ring"])
def test_gan_training_last_frame(tmp_path, preset):
    from gatelab.style import fmt
    scene = _run("gan-training", tmp_path, preset, last_frame=True)
    png = next(Path(tmp_path).rglob("*.png"))
    assert pixel_std(str(png)) > 10
    text = _numbers_are_the_records(scene)
    run = scene.trace.runs[0]
    assert [s.step for s in run.snapshots] == [0, 20, 40]
    assert "step 40 / 40" in text
    last = run.snapshots[-1]
    assert f"mean D(G(z)) = {fmt(last.d_fake)}" in text and f"JS {fmt(run.final.js)} bits" in text
    if preset == "gan-ring":
        assert f"modes: {last.modes_covered} of 8" in text


@pytest.mark.slow
def test_gan_compare_shows_both_runs(tmp_path):
    from gatelab.style import fmt
    scene = _run("gan-compare", tmp_path, "gan-saturating")
    text = _numbers_are_the_records(scene)
    mm, ns = scene.trace.runs
    assert f"step 40: JS = {fmt(mm.snapshots[-1].js)} bits" in text
    assert f"step 40: JS = {fmt(ns.snapshots[-1].js)} bits" in text
    assert "minimax: L_G = log(1 − D(G(z)))" in text and "non-saturating: L_G = −log D(G(z))" in text
    g = mm.curves.grad_g
    assert f"fell from {fmt(g[0])} to {fmt(g[len(g) - 1])}." in text
    assert scene.renderer.time > 10


def test_gan_compare_needs_two_runs(run_cli, tmp_path):
    r = run_cli("scene", "gan-compare", "--preset", "gan-1d", "--train-steps", "5", "--no-progress",
                "-o", str(tmp_path / "c.mp4"))
    assert r.exit_code == 2, r.output
    assert "gan-compare needs a trace with two runs" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "c.mp4").exists()
