"""Scenes of whole Transformer models: attention-layers and vit run end to end on the tiny presets, every number
on screen is the trace record it names, the query follows --query, the last frames are not blank."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gatelab.scenes import api
from gatelab.style import fmt

from _scene_helpers import check_numbers, check_provenance, pixel_std


def _sources(scene) -> set[tuple]:
    return {src for _, _, source in scene.shown if isinstance(source, tuple) for src in source}


pytestmark = pytest.mark.slow          # manim text and a 480p frame: several seconds each


@pytest.fixture(scope="module")
def layers_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("layers")
    scene = api.run("attention-layers", media_dir=str(tmp), options={"query": "it", "pace": 0.2}, last_frame=True)
    return scene, next(Path(tmp).rglob("*.png"))


def test_attention_layers_numbers(layers_run):
    scene, png = layers_run
    tr = scene.trace
    q = tr.tokens.index("it")
    assert scene.q == q == tr.focus["query"]
    assert check_numbers(scene) >= len(tr.layers) * tr.layers[0].attention.shape[0] + 3
    check_provenance(scene)
    shown = _sources(scene)
    for l, lay in enumerate(tr.layers):                        # every head's strongest key for the query is named
        for h in range(lay.attention.shape[0]):
            assert (f"layers.{l}.attention", None, (h, q, int(tr.strongest_key[l, h, q]))) in shown
    top = int(np.argmax(tr.rollout[q]))
    assert ("rollout", None, (q, top)) in shown
    texts = " ".join(text for _, text, _ in scene.shown)
    assert f"{tr.tokens[top]} {fmt(float(tr.rollout[q, top]), 2)}" in texts
    assert pixel_std(str(png)) > 10


def test_attention_layers_default_query_is_the_last_token(tmp_path):
    scene = api.run("attention-layers", media_dir=str(tmp_path), options={"pace": 0})
    assert scene.q == len(scene.trace.tokens) - 1


def test_vit_scene_numbers(tmp_path):
    scene = api.run("vit", media_dir=str(tmp_path), options={"pace": 0.2}, last_frame=True)
    tr = scene.trace
    assert check_numbers(scene) == (tr.layers[-1].attention.shape[0] + 1) * (len(tr.tokens) - 1)
    shown = _sources(scene)
    L = len(tr.layers)
    for k in range(1, len(tr.tokens)):                          # every patch's [class] weight, every head, rollout
        assert ("rollout", None, (0, k)) in shown
        assert (f"layers.{L - 1}.attention", None, (0, 0, k)) in shown
    assert pixel_std(str(next(Path(tmp_path).rglob("*.png")))) > 10


def test_vit_scene_refuses_a_text_model(run_cli, tmp_path):
    from cli_helpers import one_line_error
    out = tmp_path / "v.png"
    one_line_error(run_cli("scene", "vit", "--preset", "tiny-gpt2", "--format", "png", "-o", out), "ViT", "gpt2")
    assert not out.exists()
