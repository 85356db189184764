"""Information engine: the notes' cross-entropy table, KL identities, 0 log 0, infinite KL, CLI errors."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gatelab.engines import info as I
from gatelab.engines import registry
from tests.cli_helpers import one_line_error as _one_line_error


def test_cross_entropy_table_of_the_notes():
    tr = registry.compute("info").trace
    m1, m2 = tr.models
    assert (m1.name, m2.name) == ("Model 1", "Model 2")
    # hand: -(log2 .4 + log2 .4 + log2 .5 + log2 .1) and -(log2 .7 + log2 .8 + log2 .9 + log2 .3)
    hand1 = -sum(math.log2(v) for v in (0.4, 0.4, 0.5, 0.1))
    hand2 = -sum(math.log2(v) for v in (0.7, 0.8, 0.9, 0.3))
    assert m1.total_cross_entropy == pytest.approx(hand1, abs=1e-12)
    assert m2.total_cross_entropy == pytest.approx(hand2, abs=1e-12)
    assert round(m1.total_cross_entropy, 3) == 6.966 and round(m2.total_cross_entropy, 3) == 2.725
    assert m1.error_rate == 0.25 and m2.error_rate == 0.25
    assert m1.correct.tolist() == [True, True, True, False]
    # the notes' per-class sums: boy 2.322, girl 1.322, other 3.322
    assert [round(v, 3) for v in m1.per_class_cross_entropy] == [2.322, 1.322, 3.322]
    # one-hot truth: H(P) = 0, KL(P||Q) = H(P,Q) >= 0; reverse KL infinite and flagged
    assert tr.total_entropy == 0.0
    for m in (m1, m2):
        assert np.all(m.kl >= 0) and np.allclose(m.kl, m.cross_entropy - tr.entropy, atol=1e-12)
        assert m.total_kl == pytest.approx(m.total_cross_entropy - tr.total_entropy, abs=1e-12)
        assert np.all(m.kl_reverse_infinite) and not m.kl_total_infinite


def test_cli_table_and_explain(run_cli):
    r = run_cli("compute", "info")
    assert r.exit_code == 0 and "6.966" in r.stdout and "2.725" in r.stdout and "25%" in r.stdout
    e = run_cli("explain", "info").stdout
    assert "-log2(0.1) = 3.322" in e and "boy's cross-entropy = 2.322" in e and "Model 2 is better" in e
    t = run_cli("explain", "info", "--format", "tex").stdout
    assert "\\section*" in t and "6.966" in t
    nats = json.loads(run_cli("compute", "info", "--units", "nats", "--json").stdout)
    assert nats["models"][0]["total_cross_entropy"] == pytest.approx(6.965784284662087 * math.log(2), abs=1e-12)


def test_zero_log_zero_and_known_values():
    assert I.entropy(np.array([1.0, 0.0, 0.0])) == 0.0
    assert I.entropy(np.array([0.5, 0.5])) == 1.0
    assert I.entropy(np.array([0.25] * 4)) == 2.0
    assert I.entropy(np.array([0.5, 0.5]), "nats") == pytest.approx(math.log(2), abs=1e-15)
    # KL(Bern(1/2) || Bern(1/4)) = 1/2 log2 2 + 1/2 log2 (2/3)
    assert I.kl_divergence(np.array([0.5, 0.5]), np.array([0.25, 0.75])) == pytest.approx(
        0.5 + 0.5 * math.log2(2 / 3), abs=1e-15)
    # p has a zero where q has mass: fine (0 log 0 = 0)
    assert I.cross_entropy(np.array([1.0, 0.0]), np.array([0.5, 0.5])) == 1.0


def test_infinite_kl_is_flagged_not_nan(run_cli, write_json):
    kl = I.kl_divergence(np.array([0.5, 0.5]), np.array([1.0, 0.0]))
    assert np.isinf(kl) and kl > 0
    w = write_json({"weights": {}, "inputs": {"p": [[0.5, 0.5], [1.0, 0.0]], "q": [[1.0, 0.0], [0.5, 0.5]]}})
    r = run_cli("compute", "info", "--weights", w, "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    m = d["models"][0]
    assert m["kl"][0] is None and m["kl_infinite"] == [True, False] and m["kl_total_infinite"] is True
    assert m["total_kl"] is None and m["cross_entropy"][0] is None and m["kl"][1] == 1.0
    assert "NaN" not in r.stdout
    assert "inf" in run_cli("compute", "info", "--weights", w).stdout


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 6), st.integers(0, 2**31 - 1))
def test_kl_identity_and_gibbs_inequality(C, seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(C) * 0.7, size=3)
    q = rng.dirichlet(np.ones(C), size=3)
    p[0, 0] = 0.0
    p[0] /= p[0].sum()
    for units in ("bits", "nats"):
        H, Hpq, kl = I.entropy(p, units), I.cross_entropy(p, q, units), I.kl_divergence(p, q, units)
        assert np.all(kl >= -1e-12)
        assert np.allclose(kl, Hpq - H, atol=1e-10)
        assert np.allclose(I.kl_divergence(p, p, units), 0.0, atol=1e-12)
    assert np.allclose(I.entropy(p, "nats"), I.entropy(p, "bits") * math.log(2))


def test_round_trip_and_determinism():
    tr = registry.compute("info").trace
    back = I.InfoTrace.from_dict(json.loads(tr.to_json()))
    assert back.to_json() == tr.to_json() and back.digest() == registry.compute("info").trace.digest()


def test_bad_inputs(run_cli, write_json):
    w = write_json({"weights": {}, "inputs": {"p": [[0.5, 0.4]], "q": [[0.5, 0.5]]}})
    _one_line_error(run_cli("compute", "info", "--weights", w), "p row 0 sums to 0.9")
    w = write_json({"weights": {}, "inputs": {"p": [[0.5, 0.5]], "q": [[0.2, 0.3, 0.5]]}})
    _one_line_error(run_cli("compute", "info", "--weights", w), "q has shape (1, 3), expected (1, 2)")
    w = write_json({"weights": {}, "inputs": {"classes": ["a", "b"], "labels": ["c"], "q": [[0.5, 0.5]]}})
    _one_line_error(run_cli("compute", "info", "--weights", w), "label 'c'")
    w = write_json({"weights": {}, "inputs": {"p": [[1.5, -0.5]], "q": [[0.5, 0.5]]}})
    _one_line_error(run_cli("compute", "info", "--weights", w), "negative")
    r = run_cli("compute", "info", "--seed", "3", "--hidden", "3", "--steps", "5")
    assert r.exit_code == 0 and "model A" in r.stdout
