"""Saturated and dead regions of the activations trace against independent calculations."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from gatelab.engines import activations as A
from gatelab.engines import registry
from gatelab.engines.errors import InputError

from cli_helpers import one_line_error


def _bisect(g, lo: float, hi: float) -> float:
    """The root of g on [lo, hi] (g changes sign), by plain bisection."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if (g(lo) < 0) == (g(mid) < 0):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


DERIV = {
    "sigmoid": lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2,
    "tanh": lambda x: 1 / math.cosh(x) ** 2,
}


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
@pytest.mark.parametrize("theta", [0.05, 0.01, 0.2])
def test_saturation_bound_is_where_the_slope_crosses_the_threshold(name, theta):
    tr = A.build({}, {"range": [-8.0, 8.0, 161], "saturation_threshold": theta}, function=name)
    c = tr.curves[0]
    ref = _bisect(lambda x: DERIV[name](x) - theta, 0.0, 20.0)
    assert c.saturation_bound == pytest.approx(ref, abs=1e-12)
    assert tr.saturation_threshold == theta
    # every grid point inside a saturated region has f' < theta, every other point f' >= theta
    inside = np.zeros_like(tr.x, dtype=bool)
    for r in c.regions:
        assert r.what == "saturated"
        inside |= (tr.x >= r.lo) & (tr.x <= r.hi)
    np.testing.assert_array_equal(inside, np.abs(tr.x) > ref)
    assert np.all(c.dy[inside] < theta) and np.all(c.dy[~inside] >= theta)


def test_preset_regions():
    tr = registry.compute("activations").trace
    by = {c.name: c for c in tr.curves}
    assert tr.saturation_threshold == 0.05
    assert [(r.what, r.lo, r.hi) for r in by["relu"].regions] == [("dead", -4.0, 0.0)]
    for n in ("leaky_relu", "elu", "selu", "softplus", "gelu", "gelu_tanh"):
        assert by[n].regions == () and by[n].saturation_bound is None
    s = by["sigmoid"].regions
    assert [r.what for r in s] == ["saturated", "saturated"] and s[0].lo == -4.0 and s[1].hi == 4.0
    assert -s[0].hi == s[1].lo == by["sigmoid"].saturation_bound


def test_dead_runs_on_an_unsorted_grid():
    """Runs of f' = 0 are found on the sorted grid, so an unsorted x gives one run, not three."""
    tr = A.build({}, {"x": [1.0, -2.0, 0.5, -1.0, -3.0]}, function="relu")
    assert [(r.lo, r.hi) for r in tr.curves[0].regions] == [(-3.0, -1.0)]


@pytest.mark.parametrize("theta,msg", [(0.3, "outside (0, 0.25)"), (0, "outside (0, 0.25)"), ("x", "must be a number")])
def test_bad_threshold(theta, msg):
    with pytest.raises(InputError, match=re.escape(msg)):
        A.build({}, {"range": [-1.0, 1.0, 5], "saturation_threshold": theta}, function="sigmoid")


def test_bad_threshold_cli(run_cli, write_json, tmp_path):
    inputs = write_json({"range": [-4, 4, 9], "saturation_threshold": 2}, "x.json")
    out = tmp_path / "never.png"
    one_line_error(run_cli("plot", "activations", "--inputs", inputs, "-o", str(out)), "saturation_threshold 2")
    assert not out.exists()
