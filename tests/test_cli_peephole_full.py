"""CLI for the LSTM variant peephole-full: the preset, the diagram default, and one-line refusals."""
from __future__ import annotations

import json

import pathlib

import gatelab.engines as E
from tests.cli_helpers import one_line_error as _error


def test_preset_computes_and_explains(run_cli):
    r = run_cli("compute", "lstm", "--preset", "lstm-peephole-full")
    assert r.exit_code == 0 and "peephole-full" in r.stdout
    r = run_cli("explain", "lstm", "--preset", "lstm-peephole-full")
    assert r.exit_code == 0 and "W_f·[C_{t-1}, h_{t-1}, x_t]" in r.stdout and "W_o·[C_t, h_{t-1}, x_t]" in r.stdout


def test_full_matrices_refused_by_diagonal_variant(run_cli, write_json, tmp_path):
    doc = _preset_doc()
    out = tmp_path / "x.png"
    _error(run_cli("diagram", "lstm-cell", "--weights", write_json(doc), "--variant", "peephole", "-o", str(out)),
           "W_f has shape (2, 5) = [H, 2H + D]: these are full peephole matrices; use --variant peephole-full")
    assert not out.exists()


def test_diagonal_file_refused_by_full_variant(run_cli):
    _error(run_cli("compute", "lstm", "--preset", "lstm-peephole", "--variant", "peephole-full"),
           "P_f given: these are diagonal peephole weights [H]; use --variant peephole")
    _error(run_cli("compute", "lstm", "--preset", "lstm-3step", "--variant", "peephole-full"),
           "W_f has shape (2, 3) = [H, H + D]", "peephole-full needs full peephole matrices")
    _error(run_cli("compute", "lstm", "--seed", "1", "--variant", "peephole-full", "--layers", "2"),
           "variant peephole-full runs one layer in one direction")


def _preset_doc():
    return json.loads((pathlib.Path(E.__file__).parent / "presets" / "lstm-peephole-full.json").read_text())


def test_lstm_cell_full_default_preset():
    from gatelab.diagrams import api
    g, meta = api.build("lstm-cell", options={"variant": "peephole-full"})
    assert meta["preset"] == "lstm-peephole-full" and "p_o -> gate_o" in g.source
    assert "full peephole matrices W" in g.source
