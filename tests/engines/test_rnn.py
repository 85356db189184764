"""Elman RNN engine: the numbers of the lecture notes' exam RNN, hand derivations, finite differences for every
gradient, PyTorch references, layouts, clipping, the binary adder, vanishing/exploding."""
from __future__ import annotations

import copy
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from gatelab.engines import presets, rnn
from gatelab.engines.errors import InputError

REFS = Path(__file__).parent / "refs" / "torch_rnn.json"


def _preset(name, **options):
    doc = presets.load(name)
    return rnn.build(doc.weights, doc.inputs, **{**doc.options, **options})


# --------------------------------------------------------------------------- the exam

def _exam_by_hand():
    """The exam RNN of the lecture notes, derived with plain floats (no numpy, no engine)."""
    h = [0.0, 0.0]
    out = []
    for x in (2.0, 3.0):
        a1 = 0.1 * h[0] + 0.2 * h[1] + 0.5 * x + 1.0
        a2 = 0.3 * h[0] + 0.4 * h[1] + 0.6 * x - 1.0
        h = [math.tanh(a1), math.tanh(a2)]
        y = 1.0 * h[0] + 2.0 * h[1] + 0.1
        out.append((list(h), y))
    return out


def test_exam_matches_the_lecture_notes_and_hand_derivation():
    tr = _preset("exam-rnn")
    notes = [([0.96403, 0.19738], 1.45878), ([0.98978, 0.82368], 2.73715)]
    assert [s.t for s in tr.steps] == [1, 2]
    assert tr.h0.tolist() == [0.0, 0.0]
    for s, (h_m, y_m), (h_hand, y_hand) in zip(tr.steps, notes, _exam_by_hand()):
        np.testing.assert_allclose(s.h, h_m, atol=5e-6)
        assert abs(s.y[0] - y_m) < 5e-6
        np.testing.assert_allclose(s.h, h_hand, rtol=0, atol=1e-14)
        assert abs(s.y[0] - y_hand) < 1e-14
        assert [round(v, 5) for v in s.h] == h_m and round(float(s.y[0]), 5) == y_m


def test_exam_recipe_fields():
    tr = _preset("exam-rnn")
    np.testing.assert_array_equal(tr.WU, [[0.1, 0.2, 0.5], [0.3, 0.4, 0.6]])
    s1, s2 = tr.steps
    np.testing.assert_array_equal(s1.hx, [0.0, 0.0, 2.0])
    np.testing.assert_allclose(s1.m, [1.0, 1.2], atol=1e-15)
    np.testing.assert_allclose(s1.a, [2.0, 0.2], atol=1e-15)
    np.testing.assert_allclose(s2.hx, [math.tanh(2.0), math.tanh(0.2), 3.0], atol=1e-15)
    (h1, _), (h2, y2) = _exam_by_hand()
    np.testing.assert_allclose(s2.hx, h1 + [3.0], atol=1e-15)
    np.testing.assert_allclose(s2.q, [h2[0] + 2 * h2[1]], atol=1e-14)
    np.testing.assert_allclose(s2.o, [y2], atol=1e-14)
    assert "(2, 1)" in tr.reading and "(1, 2)" in tr.reading and "(2, 2)" in tr.reading


def test_exam_with_vector_u_as_in_the_lecture_notes():
    """U=[0.5,0.6] and V=[1,2] exactly as the exam in the lecture notes writes them: read as a column / a row."""
    tr = rnn.build({"U": [0.5, 0.6], "W": [[0.1, 0.2], [0.3, 0.4]], "b_h": [1.0, -1.0], "V": [1.0, 2.0], "b_y": [0.1]},
                   {"x": [2, 3], "h0": [0, 0]})
    ref = _preset("exam-rnn")
    for a, b in zip(tr.steps, ref.steps):
        np.testing.assert_array_equal(a.h, b.h)
        np.testing.assert_array_equal(a.y, b.y)
    assert "column of shape (2, 1)" in tr.reading and "row of shape (1, 2)" in tr.reading


def test_other_reading_one_two_vector_step():
    """One step with x = [2, 3] needs U of shape (2, 2); check against a hand computation."""
    U = [[0.5, 0.6], [-0.4, 0.2]]
    tr = rnn.build({"U": U, "W": [[0.1, 0.2], [0.3, 0.4]], "b_h": [1.0, -1.0], "V": [[1.0, 2.0]], "b_y": [0.1]},
                   {"x": [[2.0, 3.0]]})
    assert len(tr.steps) == 1
    a = [0.5 * 2 + 0.6 * 3 + 1.0, -0.4 * 2 + 0.2 * 3 - 1.0]
    h = [math.tanh(v) for v in a]
    np.testing.assert_allclose(tr.steps[0].h, h, atol=1e-15)
    assert abs(tr.steps[0].y[0] - (h[0] + 2 * h[1] + 0.1)) < 1e-15
    assert "(1, 2)" in tr.reading and "2-vector" in tr.reading


def test_wrong_reading_error_says_how_to_fix():
    with pytest.raises(InputError) as e:
        rnn.build({"U": [0.5, 0.6], "W": [[0.1, 0.2], [0.3, 0.4]], "b_h": [1.0, -1.0]}, {"x": [[2.0, 3.0]]})
    msg = str(e.value)
    assert "x has shape (1, 2)" in msg and "U of shape (2, 2)" in msg and "\n" not in msg


# --------------------------------------------------------------------------- gradients

def _random_case(seed, H=3, D=2, O=2, T=5):
    rng = np.random.default_rng(seed)
    w = {"U": rng.normal(size=(H, D)) * 0.8, "W": rng.normal(size=(H, H)) * 0.6, "b_h": rng.normal(size=H) * 0.3,
         "V": rng.normal(size=(O, H)), "b_y": rng.normal(size=O) * 0.3}
    x = rng.normal(size=(T, D))
    h0 = rng.normal(size=H) * 0.5
    return rng, w, x, h0


def _loss(w, x, h0, act, out, target):
    p = rnn.Params(U=w["U"], W=w["W"], b_h=w["b_h"], V=w.get("V"), b_y=w.get("b_y"))
    return rnn.run(p, x, h0, activation=act, output=out, target=target).loss


def _fd(w, x, h0, act, out, target, eps=1e-6):
    g = {}
    for name in ("U", "W", "b_h", "V", "b_y"):
        if name not in w:
            continue
        arr = w[name]
        gi = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            wp = {k: v.copy() for k, v in w.items()}
            wm = {k: v.copy() for k, v in w.items()}
            wp[name][idx] += eps
            wm[name][idx] -= eps
            gi[idx] = (_loss(wp, x, h0, act, out, target) - _loss(wm, x, h0, act, out, target)) / (2 * eps)
        g[name] = gi
    gh0 = np.zeros_like(h0)
    for i in range(h0.size):
        hp, hm = h0.copy(), h0.copy()
        hp[i] += eps
        hm[i] -= eps
        gh0[i] = (_loss(w, x, hp, act, out, target) - _loss(w, x, hm, act, out, target)) / (2 * eps)
    g["h0"] = gh0
    return g


_GRAD_CASES = list(itertools.product(("tanh", "relu", "sigmoid", "identity"), ("none", "identity", "sigmoid", "softmax"),
                                     ("sum", "last", "every")))


@pytest.mark.parametrize("act,out,tkind", _GRAD_CASES)
def test_every_gradient_matches_central_differences(act, out, tkind):
    rng, w, x, h0 = _random_case(_GRAD_CASES.index((act, out, tkind)))
    if out == "none":
        w = {k: w[k] for k in ("U", "W", "b_h")}
    size = w["V"].shape[0] if out != "none" else w["U"].shape[0]
    target = None if tkind == "sum" else (rng.uniform(size=size) if tkind == "last" else rng.uniform(size=(len(x), size)))
    p = rnn.Params(U=w["U"], W=w["W"], b_h=w["b_h"], V=w.get("V"), b_y=w.get("b_y"))
    tr = rnn.run(p, x, h0, activation=act, output=out, target=target)
    fd = _fd(w, x, h0, act, out, target)
    got = {"U": tr.grads.U, "W": tr.grads.W, "b_h": tr.grads.b_h, "V": tr.grads.V, "b_y": tr.grads.b_y, "h0": tr.dh0}
    for name, g in fd.items():
        np.testing.assert_allclose(got[name], g, rtol=1e-6, atol=1e-8, err_msg=name)
    # ||dL/dh_0||: the norm of the independent finite-difference gradient, and of the trace's own vector
    np.testing.assert_allclose(tr.dh0_norm, np.linalg.norm(fd["h0"]), rtol=1e-6, atol=1e-8)
    assert tr.dh0_norm == np.linalg.norm(tr.dh0)
    if tr.steps[0].dh_norm > 0:
        assert tr.dh0_ratio == tr.dh0_norm / tr.steps[0].dh_norm
    if out == "softmax" and tkind == "sum":
        # sum(softmax(o)) = 1 whatever the weights: every parameter gradient is exactly 0
        assert tr.grad_norm < 1e-12 and np.all(np.abs(fd["U"]) < 1e-9)
    else:
        assert np.any(np.abs(fd["U"]) > 1e-6)  # the check is not vacuous


def test_dL_dh_t_matches_finite_differences_of_a_perturbed_state():
    """dL/dh_t: perturb h_t inside the recurrence (run the tail from a perturbed state)."""
    rng, w, x, h0 = _random_case(7)
    p = rnn.Params(**w)
    tr = rnn.run(p, x, h0, activation="tanh", output="sigmoid", target=rng.uniform(size=(5, 2)))
    tg = np.array([s.target for s in tr.steps])
    eps = 1e-6
    for t in range(1, 5):  # dL/dh_t (t = 1..4): loss of steps <= t is fixed, tail re-run from h_t
        for i in range(3):
            hp = np.array(tr.steps[t - 1].h); hm = hp.copy()
            hp[i] += eps; hm[i] -= eps
            lp = rnn.run(p, x[t:], hp, activation="tanh", output="sigmoid", target=tg[t:]).loss
            lm = rnn.run(p, x[t:], hm, activation="tanh", output="sigmoid", target=tg[t:]).loss
            direct = tr.steps[t - 1].y - tg[t - 1]  # the step's own loss term, by hand
            yv = tr.steps[t - 1].y
            own = p.V.T @ (yv * (1 - yv) * direct)
            assert abs(tr.steps[t - 1].dh[i] - ((lp - lm) / (2 * eps) + own[i])) < 1e-7, (t, i)
    assert abs(tr.steps[0].dh_norm - np.linalg.norm(tr.steps[0].dh)) < 1e-15


def test_step_activation_has_zero_derivative():
    tr = _preset("binary-adder")
    assert np.all(tr.grads.U == 0) and np.all(tr.grads.W == 0) and np.all(tr.grads.b_h == 0)
    assert np.all(tr.dh0 == 0)
    assert tr.grads.b_y.tolist() == [1.0]  # L = sum(y_T): dL/db_y = 1


def test_linear_rnn_gradient_is_the_polynomial_in_w():
    """h_t = w (u_t + h_{t-1}): dh_3/dw = u_3 + 2 w u_2 + 3 w^2 (u_1 + h_0) (U and W tied)."""
    doc = presets.load("linear-rnn")
    w = doc.weights["U"][0][0]
    u1, u2, u3 = (r[0] for r in doc.inputs["x"])
    h0 = doc.inputs["h0"][0]
    tr = _preset("linear-rnn")
    assert abs(tr.steps[-1].h[0] - (w * u3 + w ** 2 * u2 + w ** 3 * (u1 + h0))) < 1e-14
    tied = tr.grads.U[0, 0] + tr.grads.W[0, 0]
    assert abs(tied - (u3 + 2 * w * u2 + 3 * w ** 2 * (u1 + h0))) < 1e-13
    assert [round(s.ratio, 12) for s in tr.steps[1:]] == [w, w]


# --------------------------------------------------------------------------- PyTorch references

def _refs():
    return json.loads(REFS.read_text())["cases"]


@pytest.mark.parametrize("case", _refs(), ids=lambda c: c["name"])
def test_matches_pytorch_reference(case):
    tr = rnn.build(case["weights"], case["inputs"], activation=case["activation"], output_layer=case["output"],
                   clip=case["clip"])
    assert tr.layout == "PyTorch"
    np.testing.assert_allclose([s.h for s in tr.steps], case["h"], rtol=0, atol=1e-12)
    np.testing.assert_allclose([s.y for s in tr.steps], case["y"], rtol=0, atol=1e-12)
    assert abs(tr.loss - case["loss"]) < 1e-12
    g = case["grads"]
    np.testing.assert_allclose(tr.grads.U, g["weight_ih_l0"], atol=1e-12)
    np.testing.assert_allclose(tr.grads.W, g["weight_hh_l0"], atol=1e-12)
    np.testing.assert_allclose(tr.grads.b_h, g["bias_ih_l0"], atol=1e-12)
    np.testing.assert_allclose(tr.grads.b_h, g["bias_hh_l0"], atol=1e-12)
    np.testing.assert_allclose(tr.grads.V, g["V"], atol=1e-12)
    np.testing.assert_allclose(tr.grads.b_y, g["b_y"], atol=1e-12)
    np.testing.assert_allclose(tr.b_h, np.add(case["weights"]["bias_ih_l0"], case["weights"]["bias_hh_l0"]), atol=0)
    if case["clipped"] is not None:
        c = case["clipped"]
        assert abs(tr.clip.norm_before - c["norm_before"]) < 1e-12
        # torch scales by max_norm / (norm + 1e-6): equal to ours up to a relative 1e-6/norm
        rel = 2e-6 / c["norm_before"]
        for ours, theirs in ((tr.clip.grads.U, c["U"]), (tr.clip.grads.W, c["W"]), (tr.clip.grads.b_h, c["b_h"]),
                             (tr.clip.grads.V, c["V"]), (tr.clip.grads.b_y, c["b_y"])):
            np.testing.assert_allclose(ours, theirs, rtol=rel, atol=0)


# --------------------------------------------------------------------------- layouts

def _same_weights_three_layouts(seed=3, H=3, D=2):
    rng = np.random.default_rng(seed)
    U, W, b1, b2 = rng.normal(size=(H, D)), rng.normal(size=(H, H)) * 0.5, rng.normal(size=H), rng.normal(size=H)
    V, by = rng.normal(size=(1, H)), rng.normal(size=1)
    ours = {"U": U.tolist(), "W": W.tolist(), "b_h": (b1 + b2).tolist(), "V": V.tolist(), "b_y": by.tolist()}
    torch = {"weight_ih_l0": U.tolist(), "weight_hh_l0": W.tolist(), "bias_ih_l0": b1.tolist(),
             "bias_hh_l0": b2.tolist(), "V": V.tolist(), "b_y": by.tolist()}
    keras = {"simple_rnn/simple_rnn_cell/kernel:0": U.T.tolist(),
             "simple_rnn/simple_rnn_cell/recurrent_kernel:0": W.T.tolist(),
             "simple_rnn/simple_rnn_cell/bias:0": (b1 + b2).tolist(), "V": V.tolist(), "b_y": by.tolist()}
    inputs = {"x": rng.normal(size=(4, D)).tolist(), "h0": rng.normal(size=H).tolist(),
              "target": rng.normal(size=(4, 1)).tolist()}
    return ours, torch, keras, inputs


def test_same_weights_in_torch_and_keras_layout_give_identical_traces():
    ours, torch, keras, inputs = _same_weights_three_layouts()
    dicts = []
    for w in (ours, torch, keras):
        d = rnn.build(w, inputs, clip=0.5).to_dict()
        for k in ("layout", "b_ih", "b_hh"):
            d.pop(k)
        dicts.append(json.dumps(d, sort_keys=True))
    # b_h = b_ih + b_hh is one float addition, so torch equals the others bit for bit
    assert dicts[0] == dicts[2]
    assert dicts[1] == dicts[2]
    t = rnn.build(torch, inputs)
    assert t.layout == "PyTorch" and t.b_ih is not None and t.b_hh is not None
    assert rnn.build(keras, inputs).layout == "Keras"


def test_mixed_or_multilayer_layouts_are_rejected():
    ours, torch, keras, inputs = _same_weights_three_layouts()
    with pytest.raises(InputError, match="mix"):
        rnn.build({**ours, "kernel": keras["simple_rnn/simple_rnn_cell/kernel:0"]}, inputs)
    with pytest.raises(InputError, match="weight_ih_l1"):
        rnn.build({**torch, "weight_ih_l1": [[0.0]]}, inputs)
    with pytest.raises(InputError, match="bias_hh_l0"):
        rnn.build({k: v for k, v in torch.items() if k != "bias_hh_l0"}, inputs)


# --------------------------------------------------------------------------- clipping

def test_clipping_by_norm_exactly():
    rng, w, x, h0 = _random_case(11)
    p = rnn.Params(**w)
    free = rnn.run(p, x, h0, output="identity")
    flat = np.concatenate([free.grads.U.ravel(), free.grads.W.ravel(), free.grads.b_h, free.grads.V.ravel(), free.grads.b_y])
    norm = float(np.sqrt(np.sum(flat ** 2)))
    assert abs(free.grad_norm - norm) < 1e-12 and free.clip is None
    beta = norm / 3
    tr = rnn.run(p, x, h0, output="identity", clip=beta)
    assert tr.clip.clipped and abs(tr.clip.norm_after - beta) < 1e-12 and abs(tr.clip.norm_before - norm) < 1e-12
    np.testing.assert_allclose(tr.clip.grads.W, beta * free.grads.W / norm, rtol=1e-14)
    np.testing.assert_allclose(tr.clip.grads.b_y, beta * free.grads.b_y / norm, rtol=1e-14)
    np.testing.assert_array_equal(tr.grads.W, free.grads.W)  # the unclipped gradient is kept too
    big = rnn.run(p, x, h0, output="identity", clip=norm * 2)
    assert not big.clip.clipped and big.clip.scale == 1.0
    np.testing.assert_array_equal(big.clip.grads.U, free.grads.U)
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(InputError, match="--clip"):
            rnn.run(p, x, h0, clip=bad)


# --------------------------------------------------------------------------- presets

def _bits(n, k):
    return [(n >> i) & 1 for i in range(k)]


def test_binary_adder_adds_every_pair_of_4_bit_numbers():
    doc = presets.load("binary-adder")
    for a in range(16):
        for b in range(16):
            x = [[float(p), float(q)] for p, q in zip(_bits(a, 4) + [0], _bits(b, 4) + [0])]
            tr = rnn.build(doc.weights, {"x": x}, **doc.options)
            ys = [float(s.y[0]) for s in tr.steps]
            assert all(v in (0.0, 1.0) for v in ys), (a, b, ys)
            assert sum(int(v) << t for t, v in enumerate(ys)) == a + b, (a, b, ys)


def test_binary_adder_preset_example_is_five_plus_three():
    tr = _preset("binary-adder")
    xs = np.array([s.x for s in tr.steps])
    a = sum(int(v) << t for t, v in enumerate(xs[:, 0]))
    b = sum(int(v) << t for t, v in enumerate(xs[:, 1]))
    assert sum(int(s.y[0]) << (s.t - 1) for s in tr.steps) == a + b == 8


def test_vanishing_preset_shrinks_geometrically():
    tr = _preset("vanishing-rnn")
    assert len(tr.steps) >= 8
    # W = 0.5 * orthogonal and tanh' <= 1: each step back multiplies the norm by at most 0.5
    np.testing.assert_allclose(np.linalg.svd(tr.W, compute_uv=False), [0.5, 0.5], atol=1e-15)
    ratios = [s.ratio for s in tr.steps[1:]]
    assert all(0.4 < r <= 0.5 + 1e-12 for r in ratios), ratios
    norms = [s.dh_norm for s in tr.steps]
    assert all(a < b for a, b in zip(norms, norms[1:]))
    assert tr.decay.verdict == "vanishing" and tr.decay.mean_ratio < 0.5 + 1e-12
    assert abs(tr.decay.first_over_last - norms[0] / norms[-1]) < 1e-15


def test_exploding_preset_grows_by_exactly_1_25():
    tr = _preset("exploding-rnn")
    np.testing.assert_allclose(np.linalg.svd(tr.W, compute_uv=False), [1.25, 1.25], atol=1e-15)
    for s in tr.steps[1:]:
        assert abs(s.ratio - 1.25) < 1e-12
    assert abs(tr.decay.first_over_last - 1.25 ** (len(tr.steps) - 1)) < 1e-9
    assert tr.decay.verdict == "exploding"
    assert tr.loss_kind == "sum_h"
    assert tr.clip is not None and tr.clip.clipped and abs(tr.clip.norm_after - tr.clip.beta) < 1e-12


def test_reference_powers_match_the_lecture_notes():
    d = _preset("exam-rnn").decay
    assert round(d.p099_pow100, 3) == 0.366 and round(d.p101_pow100, 4) == 2.7048
    prod = 1.0
    for _ in range(100):
        prod *= 1.01
    assert abs(d.p101_pow100 - prod) < 1e-12
    assert abs(d.p099_pow100 - math.exp(100 * math.log(0.99))) < 1e-12


# --------------------------------------------------------------------------- contracts

@pytest.mark.parametrize("name", [p.name for p in presets.catalogue() if p.model == "rnn"])
def test_json_round_trip_and_determinism(name):
    tr = _preset(name)
    back = rnn.RNNTrace.from_dict(json.loads(tr.to_json()))
    assert back.to_dict() == tr.to_dict()
    assert back.digest() == tr.digest() == _preset(name).digest()
    assert isinstance(back.steps[0], rnn.Step) and back.steps[0].t == 1


def test_inputs_not_mutated_and_trace_read_only():
    ours, _, _, inputs = _same_weights_three_layouts()
    w = {k: np.array(v) for k, v in ours.items()}
    inp = {k: np.array(v) for k, v in inputs.items()}
    w0, i0 = copy.deepcopy(w), copy.deepcopy(inp)
    tr = rnn.build(w, inp, clip=0.1)
    for k in w:
        np.testing.assert_array_equal(w[k], w0[k])
    for k in inp:
        np.testing.assert_array_equal(inp[k], i0[k])
    with pytest.raises(ValueError):
        tr.steps[0].h[0] = 1.0
    with pytest.raises(ValueError):
        tr.grads.U[0, 0] = 1.0


def test_random_is_seeded_and_sized():
    w1, i1 = rnn.random(np.random.default_rng(5), hidden=4, input_size=3, steps=6)
    w2, i2 = rnn.random(np.random.default_rng(5), hidden=4, input_size=3, steps=6)
    assert w1 == w2 and i1 == i2
    tr = rnn.build(w1, i1)
    assert (tr.hidden, tr.input_size, len(tr.steps), tr.output_size) == (4, 3, 6, 1)
    w3, _ = rnn.random(np.random.default_rng(6), hidden=4, input_size=3, steps=6)
    assert w3 != w1


@pytest.mark.parametrize("weights,inputs,needle", [
    ({"U": [[1.0]], "W": [[1.0, 0.0]], "b_h": [0.0]}, {"x": [1.0]}, "W has shape (1, 2), expected (1, 1)"),
    ({"U": [[1.0]], "W": [[1.0]], "b_h": [0.0, 1.0]}, {"x": [1.0]}, "b_h has shape (2,), expected (1,)"),
    ({"U": [[1.0]], "W": [[1.0]], "b_h": [0.0], "V": [[1.0, 2.0]], "b_y": [0.0]}, {"x": [1.0]}, "V has shape (1, 2)"),
    ({"U": [[1.0]], "W": [[1.0]], "b_h": [0.0]}, {"x": [[1.0, 2.0], [3.0, 4.0]]}, "x has shape (2, 2), expected (T, 1)"),
    ({"U": [[1.0]], "W": [[1.0]], "b_h": [0.0]}, {"x": []}, "x is empty"),
    ({"U": [[1.0]], "W": [[1.0]], "b_h": [0.0]}, {"x": [1.0, float("nan")]}, "x contains NaN"),
    ({"U": [[1.0]], "W": [[float("inf")]], "b_h": [0.0]}, {"x": [1.0]}, "W contains inf"),
    ({"U": [[1.0]], "W": [[1.0]], "b_h": [0.0]}, {"x": [1.0], "h0": [0.0, 0.0]}, "h0 has shape (2,), expected (1,)"),
    ({"U": [[1.0]], "b_h": [0.0]}, {"x": [1.0]}, "missing W"),
    ({"U": [[1.0]], "W": [[1.0]], "b_h": [0.0]}, {"h0": [0.0]}, 'no "x"'),
    ({"U": [[1.0]], "W": [[1.0]], "b_h": [0.0], "V": [[1.0]], "b_y": [0.0]}, {"x": [1.0, 2.0], "target": [[1.0]]},
     "target has shape (1, 1), expected (2, 1)"),
])
def test_bad_inputs_name_the_tensor(weights, inputs, needle):
    with pytest.raises(InputError) as e:
        rnn.build(weights, inputs)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_output_layer_option_needs_v():
    with pytest.raises(InputError, match="needs an output layer"):
        rnn.build({"U": [[1.0]], "W": [[1.0]], "b_h": [0.0]}, {"x": [1.0]}, output_layer="sigmoid")


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(H=st.integers(1, 4), D=st.integers(1, 3), O=st.integers(1, 3), T=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_shapes_and_one_fd_entry_for_any_size(H, D, O, T, seed):
    rng, w, x, h0 = _random_case(seed, H=H, D=D, O=O, T=T)
    tr = rnn.run(rnn.Params(**w), x, h0, output="identity", target=rng.uniform(size=(T, O)))
    s = tr.steps[-1]
    assert (s.hx.shape, tr.WU.shape, s.y.shape, tr.grads.U.shape, tr.grads.V.shape) == \
        ((H + D,), (H, H + D), (O,), (H, D), (O, H))
    np.testing.assert_array_equal(tr.WU[:, :H], w["W"])
    np.testing.assert_array_equal(tr.WU[:, H:], w["U"])
    i, j = rng.integers(H), rng.integers(H)
    wp = {k: v.copy() for k, v in w.items()}; wm = {k: v.copy() for k, v in w.items()}
    wp["W"][i, j] += 1e-6; wm["W"][i, j] -= 1e-6
    tg = np.array([st_.target for st_ in tr.steps])
    fd = (_loss(wp, x, h0, "tanh", "identity", tg) - _loss(wm, x, h0, "tanh", "identity", tg)) / 2e-6
    assert abs(tr.grads.W[i, j] - fd) <= 1e-6 * max(1.0, abs(fd))
