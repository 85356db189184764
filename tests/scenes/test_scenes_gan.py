"""gan-training and gan-compare: run end to end at the lowest cost; every number on screen that shows a
trace value is the value of the record it names (run, snapshot, field). The default runs (40 training
steps) are shared with test_scenes.py::test_every_scene_runs through the ``scene_run`` fixture."""
from __future__ import annotations

import numpy as np
import pytest

from gatelab.engines import registry
from gatelab.scenes import api

from _scene_helpers import check_numbers, check_provenance, pixel_std

FAST = {"train_steps": 40, "snapshot_every": 10, "batch_size": 32}


def _run(name, tmp, preset, **kw):
    scene = api.run(name, source=registry.Source(preset=preset), options=FAST, media_dir=str(tmp), **kw)
    return scene


def _numbers_are_the_records(scene) -> str:
    """Check every sourced number (titles and the formula constants of the captions carry none); the text."""
    assert check_numbers(scene, strict=False, kinds=("text", "eq", "caption")) > 10
    check_provenance(scene)
    return " ".join(text for kind, text, _ in scene.shown if kind in ("text", "caption"))


@pytest.mark.slow
@pytest.mark.xdist_group("scene:gan-training")
@pytest.mark.parametrize("preset", [None, "gan-ring"], ids=["default-gan-1d", "gan-ring"])
def test_gan_training_last_frame(scene_run, preset):
    from gatelab.style import fmt
    scene, png = scene_run("gan-training", preset, **FAST)
    assert scene.result.provenance["preset"] == (preset or "gan-1d")
    assert pixel_std(str(png)) > 10
    text = _numbers_are_the_records(scene)
    run = scene.trace.runs[0]
    assert [s.step for s in run.snapshots] == [0, 10, 20, 30, 40]
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
    assert "gan-compare needs two traces" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "c.mp4").exists()


@pytest.mark.slow
@pytest.mark.xdist_group("scene:gan-compare")
def test_gan_compare_two_traces(scene_run):
    """Default: gan-ring (left) vs gan-mode-collapse (right), each number read from its own trace."""
    from gatelab.style import fmt
    scene, png = scene_run("gan-compare", **FAST)
    assert set(scene.results) == {"left", "right"}
    assert [scene.results[k].provenance["preset"] for k in ("left", "right")] == ["gan-ring", "gan-mode-collapse"]
    assert check_numbers(scene, strict=False, kinds=("text", "eq", "caption")) > 10
    text = " ".join(t for kind, t, _ in scene.shown if kind in ("text", "caption"))
    left, right = scene.trace.left.runs[0], scene.trace.right.runs[0]
    assert scene.trace.left.settings != scene.trace.right.settings
    for run in (left, right):
        assert f"step 40: JS = {fmt(run.snapshots[-1].js)} bits" in text
    assert "numbers: gan engine, presets gan-ring | gan-mode-collapse" in text
    assert pixel_std(str(png)) > 10


def test_gan_compare_left_right_options(run_cli, tmp_path):
    from gatelab.scenes import catalogue
    needs = catalogue.SCENES["gan-compare"].traces(registry.Source(), {}, {"left": "gan-1d"})
    assert needs["left"].preset == "gan-1d" and needs["right"].preset == "gan-mode-collapse"
    assert list(catalogue.SCENES["gan-compare"].traces(registry.Source(preset="gan-saturating"), {}, {})) == [""]
    r = run_cli("scene", "gan-compare", "--preset", "gan-ring", "--left", "gan-1d", "--no-progress",
                "-o", str(tmp_path / "c.mp4"))
    assert r.exit_code == 2 and "--left/--right choose the two presets" in r.stderr
    r = run_cli("scene", "gan-compare", "--left", "exam-rnn", "--no-progress", "-o", str(tmp_path / "c.mp4"))
    assert r.exit_code == 2 and "not 'gan'" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "c.mp4").exists()


def test_d_image_matches_d_grid_on_shared_points():
    """The fine 64 x 64 image and the 33 x 33 grid are D(x) on the same window: corners agree exactly."""
    tr = registry.compute("gan", registry.Source(preset="gan-ring"), FAST).trace
    assert tr.image_grid.shape == (2, 64)
    np.testing.assert_array_equal(tr.image_grid[:, [0, -1]], tr.grid[:, [0, -1]])
    for sn in tr.runs[0].snapshots:
        assert sn.d_image.shape == (64, 64)
        np.testing.assert_allclose(sn.d_image[[0, 0, -1, -1], [0, -1, 0, -1]], sn.d_grid[[0, 0, -1, -1], [0, -1, 0, -1]],
                                   rtol=1e-12)


def test_colour_map_ends():
    from gatelab.scenes.gan_image import d_rgba
    rgba = d_rgba(np.array([[0.0, 0.5, 1.0]]), "#ff0000", "#0000ff", "#808080", "#000000")
    assert rgba.dtype == np.uint8 and rgba.shape == (1, 3, 4)
    r, m, b = rgba[0, :, :3].astype(int)
    assert r[0] > r[2] and b[2] > b[0] and m[0] == m[1] == m[2] > 0   # fake red, real blue, middle grey (not background)
