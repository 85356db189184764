"""gan and gan-snapshot diagrams: the trace's numbers on the figure, --step, escaping, determinism."""
from __future__ import annotations

import numpy as np
import pytest

from gatelab.diagrams import api
from gatelab.style import fmt
from gatelab.engines import registry
from gatelab.engines.errors import InputError
from gatelab.engines.registry import Source

from _diagram_helpers import metadata, parse_svg, svg_nodes, svg_texts

FAST = {"train_steps": 30, "snapshot_every": 10, "batch_size": 16}


def _text(path):
    return " ".join(svg_texts(parse_svg(path)))


def test_gan_architecture_svg_shows_the_run(tmp_path):
    p = tmp_path / "gan.svg"
    api.render("gan", options=FAST, output=str(p))
    root = parse_svg(p)
    assert set(svg_nodes(root)) == {"z", "G", "fake", "real", "D", "Dout", "loss"}
    text = " ".join(svg_texts(root))
    tr = registry.compute("gan", Source(), FAST).trace
    last = tr.runs[0].snapshots[-1]
    for v in (tr.mean_real[0], tr.std_real[0], last.mean_fake[0], last.std_fake[0], last.d_real, last.d_fake,
              last.loss_d, last.loss_g):
        assert fmt(v) in text, v
    assert "1 → 16 → 16 → 1" in text and "min_G max_D V(D, G)" in text
    assert "−log D(G(z))" in text and "log(1 − D(G(z)))" in text  # both G losses are written out
    meta = metadata(root)
    assert meta["diagram"] == "gan" and meta["trace-sha256"] == tr.digest()


def test_gan_snapshot_values_of_the_chosen_step_for_both_runs(tmp_path):
    p = tmp_path / "s.svg"
    api.render("gan-snapshot", source=Source(preset="gan-saturating"), options={**FAST, "step": 7}, output=str(p))
    text = _text(p)
    tr = registry.compute("gan", Source(preset="gan-saturating"), FAST).trace
    assert len(tr.runs) == 2
    for run in tr.runs:
        c = run.curves
        for v in (c.real_mean[6, 0], c.fake_mean[6, 0], c.d_real[6], c.d_fake[6], c.loss_d[6], c.loss_g[6],
                  c.grad_d[6], c.grad_g[6]):
            assert fmt(v) in text, (run.loss, v)
    assert "step 7 of 30" in text


def test_gan_snapshot_default_is_last_step_and_bad_step():
    dot = api.render("gan-snapshot", options=FAST, dot_only=True)
    assert "training step 30 of 30" in dot
    with pytest.raises(InputError, match=r"--step 31 is outside the training run; expected 1..30"):
        api.render("gan-snapshot", options={**FAST, "step": 31}, dot_only=True)


def test_same_trace_same_dot_and_csv_name_is_escaped(tmp_path):
    assert api.render("gan", options=FAST, dot_only=True) == api.render("gan", options=FAST, dot_only=True)
    csv = tmp_path / '<b>"x.csv'
    rng = np.random.default_rng(0)
    csv.write_text("\n".join(f"{a},{b}" for a, b in rng.normal(size=(40, 2))))
    dot = api.render("gan", options={**FAST, "data": str(csv)}, dot_only=True)
    dot = dot[dot.index("digraph"):]  # the graph itself (the // provenance comments are not drawn)
    assert "&lt;b&gt;&quot;x.csv" in dot and '<b>"x.csv' not in dot


def test_cli_diagram_gan_snapshot_bad_step_exit_2(run_cli):
    r = run_cli("diagram", "gan-snapshot", "--step", "0", "--train-steps", "5", "--dot")
    assert r.exit_code == 2 and "--step 0 is outside the training run" in r.stderr
