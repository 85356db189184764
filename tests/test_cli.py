"""CLI behaviour shared by every command: listing, one-line errors with exit code 2."""
from __future__ import annotations

import subprocess
import sys

import pytest

from gatelab.engines import presets, registry
from tests.cli_helpers import one_line_error as _one_line_error


def test_list_has_a_row_for_every_catalogue_entry(run_cli):
    """Every model, preset, diagram, scene and plot of the catalogues has its own row in `gatelab list`."""
    from gatelab.diagrams import catalogue as diagrams
    from gatelab.diagrams.catalogue import PLOTS
    from gatelab.scenes import catalogue as scenes

    r = run_cli("list")
    assert r.exit_code == 0
    rows = {line.split()[0] for line in r.stdout.splitlines() if line.startswith("  ")}
    for names in (registry.MODELS, presets.names(), diagrams.DIAGRAMS, scenes.SCENES, PLOTS):
        missing = sorted(set(names) - rows)
        assert not missing, f"not listed: {missing}"


def test_every_preset_names_a_registered_model_and_describes_itself():
    for info in presets.catalogue():
        assert info.model in registry.MODELS, info
        assert info.description.strip(), f"preset {info.name} has no description"


def test_version(run_cli):
    r = run_cli("--version")
    assert r.exit_code == 0 and "gatelab" in r.stdout


def test_unknown_model_is_one_line(run_cli):
    _one_line_error(run_cli("compute", "transformerz"), "transformerz")


def test_unknown_preset_lists_known_ones(run_cli):
    _one_line_error(run_cli("compute", "lstm", "--preset", "nope"), "unknown preset 'nope'", "lstm-3step")


def test_preset_for_another_model(run_cli):
    _one_line_error(run_cli("compute", "lstm", "--preset", "exam-rnn"), "is for model 'rnn'")


def test_conflicting_sources(run_cli):
    _one_line_error(run_cli("compute", "lstm", "--preset", "lstm-3step", "--seed", "1"), "conflict")


def test_sizes_need_a_seed(run_cli):
    _one_line_error(run_cli("compute", "lstm", "--hidden", "3"), "--seed")


def test_option_not_for_this_model(run_cli):
    _one_line_error(run_cli("compute", "lstm", "--convention", "torch"), "--convention", "lstm")


def test_missing_weights_file(run_cli, tmp_path):
    _one_line_error(run_cli("compute", "lstm", "--weights", tmp_path / "nope.json", "--inputs", tmp_path / "x.json"),
                    "does not exist")


def test_malformed_weights_file(run_cli, tmp_path):
    p = tmp_path / "w.json"
    p.write_text("{not json")
    _one_line_error(run_cli("compute", "lstm", "--weights", p), "not valid JSON")


def test_weights_without_inputs(run_cli, write_json):
    w = write_json({"W_f": [[0.0]]}, "w.json")
    _one_line_error(run_cli("compute", "lstm", "--weights", w), "--inputs")


def test_unknown_weights_format(run_cli, tmp_path):
    # the format is chosen by content: text that is no known format names what was expected
    p = tmp_path / "w.txt"
    p.write_text("not weights")
    _one_line_error(run_cli("compute", "lstm", "--weights", p), "'" + str(p) + "' is not a PyTorch state_dict",
                    ".npz or GateLab JSON")


def test_compute_does_not_import_manim_or_graphviz():
    code = ("import sys; from gatelab import render; from click.testing import CliRunner; "
            "r = CliRunner().invoke(render.cli, ['compute', 'lstm']); assert r.exit_code == 0, r.output; "
            "bad = [m for m in ('manim', 'graphviz') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_console_script_exit_code(tmp_path):
    r = subprocess.run([sys.executable, "render.py", "compute", "lstm", "--preset", "nope"],
                       capture_output=True, text=True, cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and r.stderr.startswith("Error: ")


def test_misspelt_option_in_a_weights_file(run_cli, write_json):
    w = write_json({"model": "lstm", "options": {"varient": "peephole"},
                    "weights": {"W_f": [[0.0]]}, "inputs": {"x": [[1.0]]}}, "w.json")
    _one_line_error(run_cli("compute", "lstm", "--weights", w), "'varient'", "does not apply to model 'lstm'")


def test_misspelt_model_gets_a_suggestion(run_cli):
    line = _one_line_error(run_cli("compute", "lsmt"), "unknown model 'lsmt'", "did you mean 'lstm'")
    assert len(line) < 120 and "'rnn'" not in line   # the short form, not the whole catalogue


@pytest.mark.parametrize("model", list(registry.MODELS))
def test_explain_tex_is_pdflatex_safe(run_cli, model):
    """Every TeX walkthrough has the preamble comment and only characters pdflatex's UTF-8 input knows."""
    r = run_cli("explain", model, "--format", "tex")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("% GateLab")
    assert not set(r.stdout) & set("≈π·…×σ−"), sorted(set(ch for ch in r.stdout if ord(ch) > 127))
    assert r.stdout.count("{") == r.stdout.count("}")
