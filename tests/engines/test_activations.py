"""Activations and softmax-with-temperature: torch references, finite differences, limits, sampling."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gatelab.engines import activations as Act
from gatelab.engines import registry
from tests.cli_helpers import one_line_error as _one_line_error

REF = json.loads((Path(__file__).parent / "refs" / "torch_activations.json").read_text())


@pytest.mark.parametrize("name", list(Act.FUNCTIONS))
def test_matches_torch_values_and_autograd(name):
    x = np.array(REF["x"])
    y, dy = Act.activation(name, x)
    assert np.allclose(y, REF["functions"][name]["y"], rtol=1e-12, atol=1e-14)
    assert np.allclose(dy, REF["functions"][name]["dy"], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(Act.FUNCTIONS))
def test_derivative_by_central_differences(name):
    x = np.array([-5.0, -2.3, -1.1, -0.3, -0.01, 0.02, 0.4, 1.3, 2.9, 6.0])   # away from the kink at 0
    h = 1e-6
    fd = (Act.activation(name, x + h)[0] - Act.activation(name, x - h)[0]) / (2 * h)
    assert np.allclose(Act.activation(name, x)[1], fd, atol=1e-8)


def test_known_values():
    assert Act.activation("gelu", np.array([1.0]))[0][0] == pytest.approx(0.8413447460685429, abs=1e-15)  # Phi(1)
    assert Act.SELU_LAMBDA == pytest.approx(1.0507009873554805) and Act.SELU_ALPHA == pytest.approx(1.6732632423543772)
    assert Act.activation("softplus", np.array([0.0]))[0][0] == pytest.approx(math.log(2), abs=1e-15)
    y, dy = Act.activation("relu", np.array([-1.0, 0.0, 2.0]))
    assert y.tolist() == [0.0, 0.0, 2.0] and dy.tolist() == [0.0, 0.0, 1.0]
    y, _ = Act.activation("softplus", np.array([800.0, -800.0]))
    assert y[0] == 800.0 and 0 <= y[1] < 1e-300                            # no overflow


def test_preset_grid_and_dead_relu(run_cli):
    tr = registry.compute("activations").trace
    assert len(tr.x) == 81 and tr.x[0] == -4.0 and tr.x[-1] == 4.0
    relu = next(c for c in tr.curves if c.name == "relu")
    assert relu.dead == pytest.approx(41 / 81)
    r = run_cli("compute", "activations", "--function", "gelu")
    assert r.exit_code == 0 and "gelu" in r.stdout and "sigmoid" not in r.stdout
    assert "dead ReLU" in run_cli("explain", "activations").stdout


def test_softmax_temperature_matches_torch_and_limits():
    z = np.array(REF["softmax"]["z"])
    for T, p in zip(REF["softmax"]["T"], REF["softmax"]["p"]):
        assert np.allclose(Act.softmax_t(z, T), p, atol=1e-15)
    assert np.allclose(Act.softmax_t(z, 1e-3), [1, 0, 0, 0, 0], atol=1e-12)     # T -> 0: argmax
    assert np.allclose(Act.softmax_t(z, 1e7), 0.2, atol=1e-6)                    # T -> inf: uniform
    tie = Act.run_softmax(np.array([1.0, 3.0, 3.0]), np.array([0.01]), samples=0, seed=0)
    assert tie.limit_zero.tolist() == [0.0, 0.5, 0.5] and np.allclose(tie.rows[0].p, [0, 0.5, 0.5])


def test_softmax_preset_sampling_is_seeded_and_sensible(run_cli):
    tr = registry.compute("softmax").trace
    assert tr.temperatures[0] == 0.1 and tr.temperatures[-1] == 10.0
    ent = [r.entropy_bits for r in tr.rows]
    assert all(a < b for a, b in zip(ent, ent[1:]))                        # hotter = flatter
    for r in tr.rows:
        assert r.counts.sum() == 1000 and abs(r.p.sum() - 1) < 1e-12
        assert np.max(np.abs(r.frequencies - r.p)) < 0.06                     # 1000 draws: within ~4 sd
    a = run_cli("compute", "softmax", "--json").stdout
    assert a == run_cli("compute", "softmax", "--json").stdout
    one = json.loads(run_cli("compute", "softmax", "--temperature", "0.5", "--samples", "10", "--json").stdout)
    assert one["temperatures"] == [0.5] and sum(one["rows"][0]["counts"]) == 10


def test_softmax_explain(run_cli):
    out = run_cli("explain", "softmax").stdout
    assert "T -> 0" in out and "T -> infinity" in out and "[0.2, 0.2, 0.2, 0.2, 0.2]" in out


def test_bad_inputs(run_cli, write_json):
    _one_line_error(run_cli("compute", "softmax", "--temperature", "0"), "temperature must be")
    _one_line_error(run_cli("compute", "softmax", "--temperature", "-1"), "temperature must be")
    _one_line_error(run_cli("compute", "softmax", "--samples", "-3"), "samples must be")
    w = write_json({"weights": {}, "inputs": {"logits": [1, 2], "tokens": ["a"]}})
    _one_line_error(run_cli("compute", "softmax", "--weights", w), "tokens must be a list of 2")
    w = write_json({"weights": {}, "inputs": {"range": [2, 1, 5]}})
    _one_line_error(run_cli("compute", "activations", "--weights", w), "start < stop")
    w = write_json({"weights": {}, "inputs": {"x": [1, "a"]}})
    _one_line_error(run_cli("compute", "activations", "--weights", w), "x must be a numeric array")
    r = run_cli("compute", "softmax", "--seed", "1")
    assert r.exit_code == 0


def test_round_trip():
    for m in ("softmax", "activations"):
        tr = registry.compute(m).trace
        assert type(tr).from_dict(json.loads(tr.to_json())).to_json() == tr.to_json()
