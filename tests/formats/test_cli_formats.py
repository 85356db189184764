"""Checkpoints through the existing CLI (`--weights FILE` reads the file's one model-driving module)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.cli_helpers import one_line_error

REFS = Path(__file__).resolve().parent / "refs"
OUT = json.loads((REFS / "torch_outputs.json").read_text())


def test_compute_from_a_torch_checkpoint_with_a_head(run_cli, write_json):
    ref = OUT["rnn_head"]
    x = write_json({"x": ref["x"]}, "x.json")
    r = run_cli("compute", "rnn", "--weights", REFS / "rnn_head.pt", "--inputs", x, "--json")
    assert r.exit_code == 0, r.output
    steps = json.loads(r.stdout)["steps"]
    np.testing.assert_allclose([s["h"] for s in steps], ref["outputs"], rtol=0, atol=1e-9)
    np.testing.assert_allclose([s["y"] for s in steps], ref["ys"], rtol=0, atol=1e-9)


def test_compute_from_a_bare_lstm_safetensors(run_cli):
    ref = OUT["lstm_bidir"]
    r = run_cli("compute", "lstm", "--weights", REFS / "lstm_bidir.safetensors", "--inputs", REFS / "x.json", "--json")
    assert r.exit_code == 0, r.output
    np.testing.assert_allclose(json.loads(r.stdout)["outputs"], ref["outputs"], rtol=0, atol=1e-6)   # float32 file


def test_wrong_model_and_ambiguous_files(run_cli):
    one_line_error(run_cli("compute", "gru", "--weights", REFS / "lstm_bidir.pt", "--inputs", REFS / "x.json"),
                   "fits gru", "it drives lstm", "gru expects weight_ih_l0 (3H, D)")
    one_line_error(run_cli("compute", "lstm", "--weights", REFS / "encdec.pt", "--inputs", REFS / "x.json"),
                   "several modules fit lstm", "'enc', 'dec'", "--module NAME")


def test_module_and_head_module_choose_inside_a_checkpoint(run_cli, tmp_path):
    """--module picks one of several fitting modules; the choice is said on stderr and in the SVG metadata."""
    import json as _json

    x = tmp_path / "x2.json"
    x.write_text(_json.dumps({"x": [[0.5, -1.0], [1.0, 0.25], [0.0, 2.0]]}))
    r = run_cli("compute", "lstm", "--weights", REFS / "encdec.pt", "--module", "enc", "--inputs", x, "--json")
    assert r.exit_code == 0, r.output
    assert "using module 'enc'" in r.stderr and _json.loads(r.stdout)["kind"] == "lstm"
    out = tmp_path / "enc.svg"
    r = run_cli("diagram", "lstm-unfolded", "--weights", REFS / "encdec.pt", "--module", "dec",
                "--head-module", "head", "--inputs", x, "-o", out)
    assert r.exit_code == 0, r.output
    svg = out.read_text()
    assert "using module &apos;dec&apos;" in svg or "using module 'dec'" in svg
    one_line_error(run_cli("compute", "lstm", "--module", "enc"), "--module/--head-module", "--weights FILE")


@pytest.mark.slow
@pytest.mark.xdist_group("keras")      # imports Keras once per worker with tests/formats/test_keras_verify.py
def test_verify_from_the_cli_against_keras(run_cli, tmp_path):
    """--verify runs Keras on the file's weights: the report goes to stderr, and into the SVG's metadata."""
    import json as _json

    weights = REFS / "keras" / "lstm_seq.keras"
    x = tmp_path / "x.json"
    x.write_text(_json.dumps({"x": [[0.1, 0.2], [0.3, -0.4], [0.5, 0.0]]}))
    r = run_cli("compute", "lstm", "--weights", weights, "--inputs", x, "--verify")
    assert r.exit_code == 0, r.output
    assert "--verify: keras" in r.stderr and "agrees with GateLab" in r.stderr
    out = tmp_path / "v.svg"
    r = run_cli("diagram", "lstm-unfolded", "--weights", weights, "--inputs", x, "--verify", "-o", out)
    assert r.exit_code == 0, r.output
    assert 'verified="--verify: keras' in out.read_text()
    one_line_error(run_cli("compute", "lstm", "--verify"), "--verify", "--weights FILE")
