"""`gatelab plot activations`: the curves drawn are the trace's arrays, the shaded spans are the
engine's regions, the SVG is reproducible, bad options are one-line errors."""
from __future__ import annotations

import numpy as np
import pytest

from gatelab.diagrams import plot_activations
from gatelab.engines import registry
from gatelab.engines.registry import Source

from cli_helpers import one_line_error


def _trace(**opts):
    return registry.compute("activations", Source(), opts).trace


def test_curves_and_regions_come_from_the_trace():
    tr = _trace()
    fig = plot_activations.figure(tr, "t")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["sigmoid", "tanh", "ReLU", "leaky ReLU (slope 0.01)", "ELU", "SELU",
                                               "softplus", "GELU"]
    by = {c.name: c for c in tr.curves}
    names = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus", "gelu"]
    for ax, name in zip(axes, names):
        lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == len(tr.x)]
        np.testing.assert_array_equal(lines[0].get_xdata(), tr.x)
        np.testing.assert_array_equal(lines[0].get_ydata(), by[name].y)
        np.testing.assert_array_equal(lines[1].get_ydata(), by[name].dy)
        spans = sorted((p.get_x(), p.get_x() + p.get_width()) for p in ax.patches)
        assert spans == sorted((r.lo, r.hi) for r in by[name].regions)
    gelu = axes[-1]
    np.testing.assert_array_equal([ln for ln in gelu.get_lines() if len(ln.get_xdata()) == len(tr.x)][2].get_ydata(),
                                  by["gelu_tanh"].y)
    labels = [t.get_text() for ax in axes for t in ax.get_legend().get_texts()]
    assert "saturated: sigmoid'(x) < 0.05 for |x| > 2.89" in labels
    assert "dead: relu'(x) = 0 on [-4, 0]" in labels


@pytest.mark.slow
def test_one_function(run_cli, tmp_path):
    out = tmp_path / "relu.png"
    assert run_cli("plot", "activations", "--function", "relu", "-o", str(out)).exit_code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = plot_activations.figure(_trace(function="relu"))
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["ReLU"]


@pytest.mark.slow
def test_svg_is_reproducible(run_cli, tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    assert run_cli("plot", "activations", "-o", str(a)).exit_code == 0
    assert run_cli("plot", "activations", "-o", str(b)).exit_code == 0
    assert a.read_bytes() == b.read_bytes() and b"<svg" in a.read_bytes()


def test_bad_options(run_cli, tmp_path):
    out = tmp_path / "x.svg"
    r = run_cli("plot", "activations", "--function", "swish", "-o", str(out))
    assert r.exit_code == 2 and "Traceback" not in r.output
    one_line_error(run_cli("plot", "activations", "--units", "bits", "-o", str(out)), "--units")
    one_line_error(run_cli("plot", "activations", "--preset", "norms", "-o", str(out)), "norms")
    assert not out.exists()
