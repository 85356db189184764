"""gan-loss: the GAN losses and their derivatives against hand values and central finite differences."""
from __future__ import annotations

import math

import numpy as np
import pytest

from gatelab.engines import gan_loss as gl
from gatelab.engines.errors import InputError


def _fd(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("p", [0.01, 0.2, 0.5, 0.9, 0.99])
def test_derivatives_match_central_differences(p):
    c = gl.case(0.7, p)
    assert c.dloss_g_minimax == pytest.approx(_fd(lambda q: math.log(1 - q), p), rel=1e-6)
    assert c.dloss_g_ns == pytest.approx(_fd(lambda q: -math.log(q), p), rel=1e-6)
    assert c.dloss_d_dfake == pytest.approx(_fd(lambda q: -(math.log(0.7) + math.log(1 - q)), p), rel=1e-6)
    assert gl.case(p, 0.3).dloss_d_dreal == pytest.approx(_fd(lambda q: -(math.log(q) + math.log(0.7)), p), rel=1e-6)
    a = math.log(p / (1 - p))                      # the logit: p = sigma(a)
    sig = lambda t: 1 / (1 + math.exp(-t))       # noqa: E731
    assert c.dlogit_minimax == pytest.approx(_fd(lambda t: math.log(1 - sig(t)), a), rel=1e-6, abs=1e-9)
    assert c.dlogit_ns == pytest.approx(_fd(lambda t: -math.log(sig(t)), a), rel=1e-6, abs=1e-9)


def test_hand_values():
    c = gl.case(0.9, 0.2)
    assert c.loss_d == pytest.approx(-(math.log(0.9) + math.log(0.8)))     # 0.328504...
    assert c.loss_d == pytest.approx(0.3285040669720361)
    assert c.dloss_d_dreal == pytest.approx(-1 / 0.9)                      # d(-log p)/dp = -1/p
    assert c.dloss_g_ns == -5.0 and c.dloss_g_minimax == -1.25 and c.dloss_d_dfake == 1.25
    assert c.dlogit_minimax == -0.2 and c.dlogit_ns == pytest.approx(-0.8) and c.ratio == pytest.approx(0.25)
    half = gl.case(0.5, 0.5)
    assert half.loss_d == pytest.approx(math.log(4))                        # the equilibrium value
    assert half.loss_d / gl.LN2 == pytest.approx(2.0)                       # 2 bits
    assert gl.saturation_p() == pytest.approx(1 / 11)


def test_curves_show_the_saturation():
    tr = gl.build({}, {"d_real": [0.9], "d_fake": [0.01]})
    c = tr.curves
    small = c.p < tr.saturation_p
    assert small.any() and (~small).any()
    assert np.all(np.abs(c.dlogit_minimax[small]) < tr.ratio_threshold * np.abs(c.dlogit_ns[small]))
    assert np.all(np.abs(c.dlogit_minimax[~small]) >= tr.ratio_threshold * np.abs(c.dlogit_ns[~small]) * (1 - 1e-12))
    np.testing.assert_allclose(c.dloss_g_ns[5:-5], np.gradient(c.loss_g_ns, c.p)[5:-5], rtol=2e-2)  # interior


def test_lists_broadcast_and_bad_input():
    tr = gl.build({}, {}, d_real="0.9", d_fake="0.2, 0.5,0.01")
    assert [c.d_fake for c in tr.cases] == [0.2, 0.5, 0.01] and {c.d_real for c in tr.cases} == {0.9}
    for bad in ("1", "0", "-0.1", "nan", "abc", ""):
        with pytest.raises(InputError):
            gl.build({}, {}, d_real="0.9", d_fake=bad)
    with pytest.raises(InputError, match="equal lengths"):
        gl.build({}, {}, d_real="0.1,0.2", d_fake="0.3,0.4,0.5")
    with pytest.raises(InputError):
        gl.build({"W": 1}, {"d_real": 0.5, "d_fake": 0.5})


def test_cli(run_cli, tmp_path):
    from cli_helpers import one_line_error
    r = run_cli("compute", "gan-loss", "--d-real", "0.9", "--d-fake", "0.2")
    assert r.exit_code == 0 and "0.3285" in r.output and "0.4739" in r.output   # nats and bits
    r = run_cli("explain", "gan-loss", "--d-fake", "0.01")
    assert r.exit_code == 0 and "-1/0.9 = -1.111" in r.output and "saturated here" in r.output
    one_line_error(run_cli("compute", "gan-loss", "--d-fake", "1.5"), "not a probability in (0, 1)")
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    for p in (a, b):
        assert run_cli("plot", "gan-loss-curves", "-o", str(p)).exit_code == 0
    assert a.read_bytes() == b.read_bytes() and a.read_bytes().lstrip().startswith(b"<?xml")
