"""The shared pieces of the training loops and recurrent engines: SGD and Adam steps against
hand-computed updates, clipping by global norm, the one softmax, and the one loss rule of the
RNN, LSTM and GRU engines (hand values, and each engine's trace obeys it)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from gatelab.engines import _recurrent as R
from gatelab.engines import gru, lstm, optim, rnn
from gatelab.engines._numerics import softmax
from gatelab.engines.errors import InputError


# --------------------------------------------------------------------------- optimisers

def test_sgd_step_by_hand():
    theta, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    optim.SGD(0.1).step([theta], [g])
    np.testing.assert_array_equal(theta, [0.95, -2.025])
    np.testing.assert_array_equal(g, [0.5, 0.25])          # the gradient is not touched


def test_adam_two_steps_by_hand():
    """Step 1: m = 0.1 g, v = 0.001 g^2, bias-corrected m/(1-0.9) = g, v/(1-0.999) = g^2, so the update is
    lr g / (|g| + eps) = 0.1 * 0.5 / 0.50000001 = 0.099999998. Step 2 with g = -0.25:
    m = 0.9 * 0.05 - 0.025 = 0.02, v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00031225,
    update = 0.1 * (0.02 / 0.19) / (sqrt(0.00031225 / 0.001999) + 1e-8) = 0.0266337..."""
    theta = np.array([1.0, -2.0])
    adam = optim.Adam(0.1, 0.9, 0.999, 1e-8)
    adam.step([theta], [np.array([0.5, -0.125])])
    assert theta[0] == pytest.approx(1.0 - 0.1 * 0.5 / 0.50000001, abs=1e-15)
    assert theta[0] == pytest.approx(0.900000002, abs=1e-15)
    adam.step([theta], [np.array([-0.25, 0.0625])])
    upd = 0.1 * (0.02 / 0.19) / (math.sqrt(0.00031225 / 0.001999) + 1e-8)
    assert upd == pytest.approx(0.0266337, abs=1e-7)
    assert theta[0] == pytest.approx(0.900000002 - upd, abs=1e-14)
    assert theta[0] == pytest.approx(0.8733662987078463, abs=1e-14)
    assert theta[1] == pytest.approx(-1.8733663067295048, abs=1e-14)
    assert adam.t == 2


def test_adam_keeps_one_state_per_array():
    a, b = np.array([1.0]), np.array([[2.0, 3.0]])
    adam = optim.Adam(0.01)
    adam.step([a, b], [np.array([1.0]), np.array([[-1.0, 0.0]])])
    # first step: each entry moves by lr * sign(g) (up to eps); a zero gradient does not move
    np.testing.assert_allclose(a, [0.99], atol=1e-9)
    np.testing.assert_allclose(b, [[2.01, 3.0]], atol=1e-9)


def test_make_and_clipping():
    assert isinstance(optim.make("sgd", 0.1), optim.SGD) and isinstance(optim.make("adam", 0.1), optim.Adam)
    with pytest.raises(InputError, match="unknown optimizer 'rmsprop'"):
        optim.make("rmsprop", 0.1)
    g = [np.array([3.0]), np.array([[0.0, 4.0]])]
    assert optim.global_norm(g) == 5.0
    assert optim.clip_scale(5.0, 2.0) == 0.4 and optim.clip_scale(5.0, 5.0) == 1.0 and optim.clip_scale(1.0, 2.0) == 1.0


def test_softmax_by_hand_and_masked_rows():
    p = softmax(np.array([[0.0, math.log(3.0)], [-np.inf, -np.inf]]), axis=1)
    np.testing.assert_allclose(p[0], [0.25, 0.75], rtol=1e-15)
    np.testing.assert_array_equal(p[1], [0.0, 0.0])
    np.testing.assert_allclose(softmax(np.array([1000.0, 1000.0])), [0.5, 0.5])


# --------------------------------------------------------------------------- the loss rule

PRED = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])


def test_loss_rule_by_hand():
    last = R.loss_rule(PRED, np.array([4.0, 4.0]), True)            # e_T = (1, 2)
    assert (last.kind, last.value) == ("mse_last", 2.5)
    np.testing.assert_array_equal(last.grad, [[0, 0], [0, 0], [1, 2]])
    np.testing.assert_array_equal(last.per_step, [0, 0, 2.5])
    every = R.loss_rule(PRED, np.zeros((3, 2)), True)               # 1/2 (1 + 4 + 9 + 16 + 25 + 36)
    assert (every.kind, every.value) == ("mse_all", 45.5)
    np.testing.assert_array_equal(every.per_step, [2.5, 12.5, 30.5])
    np.testing.assert_array_equal(every.grad, PRED)
    assert every.rule == "L = 1/2 sum_t ||y_t - target_t||^2 over every step"
    s = R.loss_rule(PRED, None, True)
    assert (s.kind, s.value, s.rule) == ("sum_y", 11.0, "L = sum(y_T) (no target given)")
    np.testing.assert_array_equal(s.grad, [[0, 0], [0, 0], [1, 1]])
    h = R.loss_rule(PRED, None, False)
    assert (h.kind, h.value) == ("sum_h", 11.0) and "no output layer" in h.rule
    assert R.loss_rule(PRED, np.zeros(2), False).rule == "L = 1/2 sum_t ||h_t - target_t||^2 on the last step only"


def test_read_target_shapes():
    np.testing.assert_array_equal(R.read_target(0.5, 1, 3), [0.5])                      # scalar -> [1]
    assert R.read_target([1.0, 2.0, 3.0], 1, 3).shape == (3, 1)                         # [T] per step when O = 1
    assert R.read_target([[1.0, 2.0]] * 3, 2, 3).shape == (3, 2)
    with pytest.raises(InputError, match=r"target has shape \(3,\), expected \(2,\) = \(output,\) for the last step"):
        R.read_target([1.0, 2.0, 3.0], 2, 3)
    with pytest.raises(InputError, match=r"target has shape \(2, 2\), expected \(3, 2\) = \(steps, hidden\)"):
        R.read_target([[1.0, 2.0]] * 2, 2, 3, "hidden")


@pytest.mark.parametrize("target", [None, "last", "all"])
def test_every_recurrent_engine_reports_the_rule(target):
    """rnn, lstm and gru: the trace's loss is loss_rule of its own predictions, and the trace's
    kind is the rule's."""
    rng = np.random.default_rng(4)
    tg = None if target is None else (rng.normal(size=1) if target == "last" else rng.normal(size=(3, 1)))
    for eng in (lstm, gru):
        w, inp = eng.random(np.random.default_rng(1), hidden=2, input_size=2, steps=3, output=1)
        if tg is not None:
            inp["target"] = tg.tolist()
        tr = eng.build(w, inp)
        rule = R.loss_rule(tr.ys, None if tg is None else np.atleast_1d(tg), True)
        assert (tr.bptt.loss_kind, tr.bptt.loss) == (rule.kind, rule.value)
    w, inp = rnn.random(np.random.default_rng(1), hidden=2, input_size=2, steps=3)
    tr = rnn.run(rnn.Params.from_weights(w), np.array(inp["x"]), target=tg)
    ys = np.array([s.y for s in tr.steps])
    rule = R.loss_rule(ys, tg, True)
    assert (tr.loss_kind, tr.loss, tr.loss_rule) == (rule.kind, rule.value, rule.rule)
    np.testing.assert_array_equal([s.loss for s in tr.steps], rule.per_step)
