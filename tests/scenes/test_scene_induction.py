"""induction-head scene: every number on screen is the trace value it names; the last frame is drawn."""
from __future__ import annotations

from pathlib import Path

import pytest

from gatelab.scenes import api

from _scene_helpers import check_numbers, check_provenance, pixel_std


@pytest.mark.slow
def test_induction_scene_numbers_are_the_records_they_show(tmp_path):
    scene = api.run("induction-head", media_dir=str(tmp_path), last_frame=True)
    assert check_numbers(scene) >= 10
    check_provenance(scene)
    sources = {src[0] for _, _, source in scene.shown if isinstance(source, tuple) for src in source}
    assert {"named_heads.0.score", "named_heads.1.score", "step.attention_weight", "step.probability"} <= sources
    assert any(s.startswith("predictions.") for s in sources)
    assert pixel_std(str(next(Path(tmp_path).rglob("*.png")))) > 10
