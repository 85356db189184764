"""`gatelab compute|explain gan` from the command line, user CSV data, and every bad input (exit 2, one line)."""
from __future__ import annotations

import json

import numpy as np
import pytest

FAST = ("--train-steps", "30", "--snapshot-every", "10", "--batch-size", "16")


def test_compute_table_default_preset_options_override(run_cli):
    r = run_cli("compute", "gan", *FAST)
    assert r.exit_code == 0, r.stderr
    assert "GAN on mixture of 2 Gaussians (1-D)" in r.stdout
    assert "JS bits" in r.stdout and "steps=30" in r.stdout and "B=16" in r.stdout
    assert "final: mean" in r.stdout


def test_compute_json_compare_run(run_cli):
    r = run_cli("compute", "gan", "--preset", "gan-saturating", "--json", *FAST)
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["kind"] == "gan" and d["schema_version"] == 1
    assert [run["loss"] for run in d["runs"]] == ["minimax", "non_saturating"]
    assert [s["step"] for s in d["runs"][0]["snapshots"]] == [0, 10, 20, 30]
    assert d["settings"]["optimizer"] == "sgd" and d["settings"]["train_steps"] == 30


def test_explain_md_and_tex(run_cli):
    r = run_cli("explain", "gan", "--preset", "gan-saturating", *FAST)
    assert r.exit_code == 0, r.stderr
    assert "min_G max_D V(D, G)" in r.stdout and "## Comparison" in r.stdout
    r = run_cli("explain", "gan", "--format", "tex", *FAST)
    assert r.exit_code == 0 and r.stdout.split("\n", 1)[1].startswith(r"\section*{GAN training")


def test_seeded_random_gan(run_cli):
    r = run_cli("compute", "gan", "--seed", "5", "--hidden", "4", "--input-size", "2", "--json", *FAST)
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["dim"] == 2 and d["settings"]["g_hidden"] == [4, 4]
    assert run_cli("compute", "gan", "--seed", "5", "--hidden", "4", "--input-size", "2", "--json", *FAST).stdout == r.stdout


@pytest.mark.parametrize("dim", [1, 2])
def test_user_csv_data(run_cli, tmp_path, dim):
    rng = np.random.default_rng(dim)
    pts = rng.normal([10.0, -3.0][:dim], [2.0, 0.5][:dim], size=(300, dim))
    path = tmp_path / "pts.csv"
    path.write_text(("x,y\n" if dim == 2 else "x\n") + "\n".join(",".join(repr(float(v)) for v in row) for row in pts) + "\n")
    r = run_cli("compute", "gan", "--data", str(path), "--json", *FAST)
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["dim"] == dim and d["data"] == "csv pts.csv (300 points)"
    # the trace is in the CSV's units: the real statistics are those of (a resample of) the points
    np.testing.assert_allclose(d["mean_real"], pts.mean(axis=0), atol=0.25 * pts.std(axis=0).max())
    np.testing.assert_allclose(d["std_real"], pts.std(axis=0), rtol=0.15)
    assert d["modes"] is None and d["runs"][0]["final"]["n_modes"] is None


def _csv(tmp_path, text, name="bad.csv"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("text,msg", [
    ("1,2\n3,nan\n" + "1,2\n" * 10, "line 2 contains NaN or inf"),
    ("1,2\n3\n" + "1,2\n" * 10, "line 2 has 1 columns but earlier rows have 2"),
    ("1,2,3\n" * 10, "has 3 columns; expected rows of x or x,y"),
    ("x,y\n1,2\nfoo,3\n", "line 3: 'foo,3' is not numeric"),
    ("x\n1\n2\n", "has 2 numeric rows; expected at least 8"),
    ("1,5\n2,5\n3,5\n4,5\n5,5\n6,5\n7,5\n8,5\n", "a column is constant"),
])
def test_bad_csv_exits_2_with_one_line(run_cli, tmp_path, text, msg):
    r = run_cli("compute", "gan", "--data", _csv(tmp_path, text), *FAST)
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: data CSV") and msg in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_missing_csv(run_cli, tmp_path):
    r = run_cli("compute", "gan", "--data", str(tmp_path / "nope.csv"))
    assert r.exit_code == 2 and "does not exist" in r.stderr and r.stderr.count("\n") == 1


@pytest.mark.parametrize("args,msg", [
    (("--loss", "wasserstein"), "Invalid value for '--loss'"),
    (("--optimizer", "rmsprop"), "Invalid value for '--optimizer'"),
    (("--train-steps", "0"), "train_steps is 0, expected an integer in [1, 200000]"),
    (("--batch-size", "-3"), "batch_size is -3"),
    (("--lr-d", "nan"), "lr_d is nan"),
    (("--seed", "1", "--input-size", "3"), "--input-size 3 is not a GAN data dimension"),
    (("--variant", "peephole"), "option --variant does not apply to model 'gan'"),
])
def test_bad_options_exit_2(run_cli, args, msg):
    r = run_cli("compute", "gan", *args)
    assert r.exit_code == 2, r.stdout
    assert msg in r.stderr and r.stderr.count("\n") == 1


@pytest.mark.parametrize("doc,msg", [
    ({"model": "gan", "weights": {"seed": 0, "g_hidden": [0]}, "inputs": {"data": "moons"}}, "g_hidden width is 0"),
    ({"model": "gan", "weights": {"seed": -1}, "inputs": {"data": "moons"}}, "seed is -1"),
    ({"model": "gan", "weights": {"seed": 0}, "inputs": {"data": "mixture", "means": [1.0]}}, 'mixture data needs "stds"'),
    ({"model": "gan", "weights": {"seed": 0}, "inputs": {"data": "ring", "modes": 2.5}}, "ring modes is 2.5"),
    ({"model": "gan", "weights": {"seed": 0, "D_W1": [[1.0, 2.0]], "D_b1": [0.0, 0.0], "D_W2": [[1.0, 1.0]], "D_b2": [0.0, 0.0],
                                  "G_W1": [[1.0]], "G_b1": [0.0]}, "inputs": {"data": "moons"}},
     "D_W2 has shape (1, 2), expected (2, n_out)"),
    ({"model": "lstm", "weights": {}, "inputs": {}}, "is for model 'lstm', not 'gan'"),
])
def test_bad_weights_file_exit_2(run_cli, write_json, doc, msg):
    r = run_cli("compute", "gan", "--weights", write_json(doc, "w.json"), *FAST)
    assert r.exit_code == 2, r.stdout
    assert msg in r.stderr and r.stderr.count("\n") == 1


def test_weights_file_runs_moons(run_cli, write_json):
    doc = {"model": "gan", "description": "moons", "options": {"train_steps": 20},
           "weights": {"seed": 1, "z_dim": 2, "g_hidden": [8], "d_hidden": [8]}, "inputs": {"data": "moons", "noise": 0.1}}
    r = run_cli("compute", "gan", "--weights", write_json(doc, "w.json"), "--json", "--snapshot-every", "10")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["data"] == "two moons (noise 0.1)" and [s["step"] for s in d["runs"][0]["snapshots"]] == [0, 10, 20]


# --------------------------------------------------------------------------- gatelab plot gan-losses

def test_plot_gan_losses_svg_is_reproducible_and_holds_the_curves(run_cli, tmp_path):
    from lxml import etree
    out = tmp_path / "l.svg"
    r = run_cli("plot", "gan-losses", "--preset", "gan-saturating", "-o", str(out), *FAST)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == str(out)
    root = etree.fromstring(out.read_bytes())
    assert root.tag.endswith("svg")
    # 2 runs x (4 loss lines + 4 D lines + 1 JS + 2 grad) + 2 reference lines, drawn as paths with ids
    lines = root.xpath("//*[local-name()='g'][starts-with(@id, 'line2d_')]")
    assert len(lines) >= 24
    first = out.read_bytes()
    assert run_cli("plot", "gan-losses", "--preset", "gan-saturating", "-o", str(out), *FAST).exit_code == 0
    assert out.read_bytes() == first  # same trace -> byte-identical SVG
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".gatelab-")]  # no temp files left


def test_plot_default_path_and_png(run_cli, tmp_path):
    r = run_cli("plot", "gan-losses", "--out", str(tmp_path / "media"), *FAST)
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "media" / "plots" / "gan-losses.svg").is_file()
    png = tmp_path / "l.png"
    assert run_cli("plot", "gan-losses", "-o", str(png), *FAST).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args,msg", [
    (("-o", "{tmp}/x.gif"), "has extension '.gif'; use .svg, .png or .pdf"),
    (("-o", "{tmp}/missing/x.svg"), "does not exist"),
    (("--loss", "hinge"), "Invalid value for '--loss'"),
])
def test_plot_bad_input_exit_2(run_cli, tmp_path, args, msg):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = run_cli("plot", "gan-losses", *args, *FAST)
    assert r.exit_code == 2 and msg in r.stderr and r.stderr.count("\n") == 1



def test_plot_takes_the_engine_options(run_cli, tmp_path, monkeypatch):
    """`plot gan-losses --train-steps 30` trains 30 steps (the options reach the engine, not only the checks)."""
    from gatelab.engines import gan
    seen = []
    train = gan.run
    monkeypatch.setattr(gan, "run", lambda init, data, st: seen.append((st.train_steps, st.batch_size)) or train(init, data, st))
    assert run_cli("plot", "gan-losses", "-o", str(tmp_path / "l.svg"), *FAST).exit_code == 0
    assert seen == [(30, 16)]
