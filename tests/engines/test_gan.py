"""The GAN engine: finite differences for every gradient, an independent PyTorch reference of
one training iteration, determinism, JSON round trip, the claims of every preset."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gatelab.engines import gan, gan_model
from gatelab.engines.presets import catalogue as preset_catalogue
from gatelab.engines.errors import InputError

REFS = Path(__file__).parent / "refs" / "torch_gan.json"


# --------------------------------------------------------------------------- helpers

def _tiny(seed=0, x_dim=2, z_dim=2, gh=(3, 4), dh=(4, 3), g_act="leaky_relu", d_act="tanh"):
    rng = np.random.default_rng(seed)
    p = gan.init_params(rng, z_dim, x_dim, gh, dh, g_act, d_act)
    # larger weights than the default init, so tanh/leaky-relu are exercised away from 0
    arrays = {k: v * 2.5 for k, v in p.arrays().items()}
    return gan.Params.from_arrays(arrays, g_act, d_act)


def _with(params, name, value):
    arrays = dict(params.arrays())
    arrays[name] = value
    return gan.Params.from_arrays(arrays, params.g_act, params.d_act)


def _fd(loss_fn, params, names, eps=1e-6):
    """Central differences of loss_fn(params) for every element of each named array."""
    out = {}
    for name in names:
        base = np.array(params.arrays()[name])
        g = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            up, dn = base.copy(), base.copy()
            up[idx] += eps
            dn[idx] -= eps
            g[idx] = (loss_fn(_with(params, name, up)) - loss_fn(_with(params, name, dn))) / (2 * eps)
        out[name] = g
    return out


def _independent_forward(layers, x, act):
    """A second, minimal MLP forward written for the tests (not the engine's)."""
    h = np.asarray(x, dtype=float)
    for i, L in enumerate(layers):
        h = h @ L.W + L.b
        if i < len(layers) - 1:
            h = np.maximum(h, 0.2 * h) if act == "leaky_relu" else np.tanh(h)
    return h


# --------------------------------------------------------------------------- finite differences

ACTS = [("leaky_relu", "tanh"), ("tanh", "leaky_relu"), ("leaky_relu", "leaky_relu"), ("tanh", "tanh")]


@pytest.mark.parametrize("g_act,d_act", ACTS)
def test_discriminator_gradient_matches_finite_differences(g_act, d_act):
    p = _tiny(1, g_act=g_act, d_act=d_act)
    rng = np.random.default_rng(11)
    x, z = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    loss, grads, _ = gan.d_step_grads(p, x, z)
    names = [n for n in p.arrays() if n.startswith("D_")]
    assert set(grads) == set(names) and len(names) == 6
    fd = _fd(lambda q: gan.d_step_grads(q, x, z)[0], p, names)
    for n in names:
        np.testing.assert_allclose(grads[n], fd[n], rtol=1e-6, atol=1e-8, err_msg=n)
    # the value is -(mean log D(x) + mean log(1 - D(G(z)))), computed here from probabilities
    Dx = 1 / (1 + np.exp(-_independent_forward(p.D, x, d_act)[:, 0]))
    Dg = 1 / (1 + np.exp(-_independent_forward(p.D, _independent_forward(p.G, z, g_act), d_act)[:, 0]))
    assert loss == pytest.approx(-(np.mean(np.log(Dx)) + np.mean(np.log(1 - Dg))), rel=1e-12)


@pytest.mark.parametrize("loss", ["minimax", "non_saturating"])
@pytest.mark.parametrize("g_act,d_act", ACTS)
def test_generator_gradient_matches_finite_differences(loss, g_act, d_act):
    p = _tiny(2, g_act=g_act, d_act=d_act)
    z = np.random.default_rng(12).normal(size=(6, 2))
    value, grads, _ = gan.g_step_grads(p, z, loss)
    names = [n for n in p.arrays() if n.startswith("G_")]
    assert set(grads) == set(names) and len(names) == 6
    fd = _fd(lambda q: gan.g_step_grads(q, z, loss)[0], p, names)
    for n in names:
        np.testing.assert_allclose(grads[n], fd[n], rtol=1e-6, atol=1e-8, err_msg=n)
    Dg = 1 / (1 + np.exp(-_independent_forward(p.D, _independent_forward(p.G, z, g_act), d_act)[:, 0]))
    expect = np.mean(np.log(1 - Dg)) if loss == "minimax" else -np.mean(np.log(Dg))
    assert value == pytest.approx(expect, rel=1e-12)


def test_gradients_1d_one_hidden_layer():
    p = _tiny(3, x_dim=1, z_dim=1, gh=(4,), dh=(5,), g_act="leaky_relu", d_act="leaky_relu")
    rng = np.random.default_rng(5)
    x, z = rng.normal(2, 1, size=(7, 1)), rng.normal(size=(7, 1))
    _, gd, _ = gan.d_step_grads(p, x, z)
    fd = _fd(lambda q: gan.d_step_grads(q, x, z)[0], p, list(gd))
    for n in gd:
        np.testing.assert_allclose(gd[n], fd[n], rtol=1e-6, atol=1e-8, err_msg=n)
    for loss in ("minimax", "non_saturating"):
        _, gg, _ = gan.g_step_grads(p, z, loss)
        fd = _fd(lambda q: gan.g_step_grads(q, z, loss)[0], p, list(gg))
        for n in gg:
            np.testing.assert_allclose(gg[n], fd[n], rtol=1e-6, atol=1e-8, err_msg=f"{loss} {n}")


def test_minimax_gradient_vanishes_where_non_saturating_does_not():
    """dL_G/da = -D/B (minimax) vs (D - 1)/B: with D(G(z)) ~ 0 the minimax gradient is tiny."""
    p = _tiny(4, x_dim=1, z_dim=1, gh=(3,), dh=(3,))
    arrays = dict(p.arrays())
    last = f"D_b{len(p.D)}"
    arrays[last] = np.array([-20.0])  # D(G(z)) ~ 2e-9 for every sample
    p = gan.Params.from_arrays(arrays, p.g_act, p.d_act)
    z = np.random.default_rng(0).normal(size=(8, 1))
    norm = lambda g: np.sqrt(sum(np.sum(v ** 2) for v in g.values()))
    g_mm = norm(gan.g_step_grads(p, z, "minimax")[1])
    g_ns = norm(gan.g_step_grads(p, z, "non_saturating")[1])
    assert g_ns > 0 and g_mm / g_ns < 1e-7


def _sgd_settings(p, d_steps=1, loss="non_saturating"):
    return gan.Settings(seed=0, z_dim=p.z_dim, g_hidden=(), d_hidden=(), g_act=p.g_act, d_act=p.d_act, beta1=0.5,
                        beta2=0.999, loss=loss, optimizer="sgd", train_steps=1, lr_g=0.05, lr_d=0.1, batch_size=5,
                        d_steps=d_steps, snapshot_every=1, compare_loss=False)


@pytest.mark.parametrize("loss", ["minimax", "non_saturating"])
def test_training_iteration_steps_along_the_checked_gradients(loss):
    """With SGD, one iteration of the training loop is theta - lr * (the gradients checked above by finite
    differences): k D steps with d_step_grads, then a G step with g_step_grads against the updated D."""
    p = _tiny(6, g_act="tanh", d_act="leaky_relu")
    rng = np.random.default_rng(21)
    xs, zs, zg = [rng.normal(size=(5, 2)) for _ in range(2)], [rng.normal(size=(5, 2)) for _ in range(2)], rng.normal(size=(5, 2))
    st = _sgd_settings(p, d_steps=2, loss=loss)
    expect = p
    for x, z in zip(xs, zs):
        _, gD, _ = gan.d_step_grads(expect, x, z)
        expect = gan.Params.from_arrays({**expect.arrays(), **{k: expect.arrays()[k] - st.lr_d * v for k, v in gD.items()}},
                                        p.g_act, p.d_act)
    _, gG, _ = gan.g_step_grads(expect, zg, loss)
    expect = gan.Params.from_arrays({**expect.arrays(), **{k: expect.arrays()[k] - st.lr_g * v for k, v in gG.items()}},
                                    p.g_act, p.d_act)
    got = gan.train_step(p, xs, zs, zg, st)
    for name, value in expect.arrays().items():
        np.testing.assert_array_equal(got.arrays()[name], value, err_msg=name)


def test_training_loop_calls_the_checked_gradient_functions(monkeypatch):
    """The loop's gradients come from d_loss_grads / g_loss_grads, the functions behind d_step_grads and
    g_step_grads (so a bug in them fails the finite-difference tests above)."""
    calls = {"d": 0, "g": 0}
    d_orig, g_orig = gan_model.d_loss_grads, gan_model.g_loss_grads

    def d_spy(*a, **k):
        calls["d"] += 1
        return d_orig(*a, **k)

    def g_spy(*a, **k):
        calls["g"] += 1
        return g_orig(*a, **k)
    monkeypatch.setattr(gan_model, "d_loss_grads", d_spy)
    monkeypatch.setattr(gan_model, "g_loss_grads", g_spy)
    gan.build(SMALL_W, SMALL_IN, train_steps=3, d_steps=2, snapshot_every=3, batch_size=4)
    assert calls == {"d": 6, "g": 3}
    p = _tiny(1)
    z = np.random.default_rng(0).normal(size=(3, 2))
    gan.g_step_grads(p, z, "minimax")
    gan.d_step_grads(p, z, z)
    assert calls == {"d": 7, "g": 4}


# --------------------------------------------------------------------------- independent reference (PyTorch)

def _layers(dump):
    return tuple(gan.Layer(np.array(L["weight"]).T, np.array(L["bias"])) for L in dump)


def _ref_cases():
    return json.loads(REFS.read_text())["cases"]


@pytest.mark.parametrize("case", _ref_cases(), ids=lambda c: c["name"])
def test_one_training_iteration_matches_pytorch(case):
    p0 = gan.Params(_layers(case["G0"]), _layers(case["D0"]), case["g_act"], case["d_act"])
    xs = [np.array(a) for a in case["x"]]
    zds = [np.array(a) for a in case["z_d"]]
    zg = np.array(case["z_g"])
    L_D, dD, _ = gan.d_step_grads(p0, xs[0], zds[0])
    assert L_D == pytest.approx(case["L_D"], rel=1e-12)
    for i, L in enumerate(case["dD"], 1):
        np.testing.assert_allclose(dD[f"D_W{i}"], np.array(L["weight"]).T, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(dD[f"D_b{i}"], L["bias"], rtol=1e-10, atol=1e-13)
    st = gan.Settings(seed=0, z_dim=case["z_dim"], g_hidden=tuple(case["g_hidden"]), d_hidden=tuple(case["d_hidden"]),
                      g_act=case["g_act"], d_act=case["d_act"], beta1=case["beta1"], beta2=case["beta2"],
                      loss=case["loss"], optimizer=case["optimizer"], train_steps=1, lr_g=case["lr_g"],
                      lr_d=case["lr_d"], batch_size=case["batch_size"], d_steps=case["d_steps"], snapshot_every=1,
                      compare_loss=False)
    p1 = gan.train_step(p0, xs, zds, zg, st)
    for ours, theirs in ((p1.D, case["D1"]), (p1.G, case["G1"])):
        for L, T in zip(ours, theirs):
            np.testing.assert_allclose(L.W, np.array(T["weight"]).T, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(L.b, T["bias"], rtol=1e-10, atol=1e-12)
    # the generator gradient at (G_0, D_k): D_k from torch, so this checks the G step alone
    mid = gan.Params(p0.G, _layers(case["D1"]), case["g_act"], case["d_act"])
    L_G, dG, _ = gan.g_step_grads(mid, zg, case["loss"])
    assert L_G == pytest.approx(case["L_G"], rel=1e-12)
    for i, L in enumerate(case["dG"], 1):
        np.testing.assert_allclose(dG[f"G_W{i}"], np.array(L["weight"]).T, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(dG[f"G_b{i}"], L["bias"], rtol=1e-10, atol=1e-13)


# --------------------------------------------------------------------------- hand-checked statistics

def test_js_bits_hand_values():
    assert gan.js_bits(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == 0.0
    assert gan.js_bits(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(1.0)
    # m = (0.75, 0.25): 0.5*(0.5 log2(2/3) + 0.5 log2 2) + 0.5 log2(4/3) = 0.311278 bits
    assert gan.js_bits(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == pytest.approx(0.3112781245, abs=1e-9)


def test_histogram_and_mode_counts_hand_case():
    edges = np.array([[0.0, 1.0, 2.0, 3.0]])
    h = gan.histogram(np.array([[-5.0], [0.5], [1.5], [1.6], [9.0]]), edges)
    assert h.tolist() == [0.4, 0.4, 0.2]  # out-of-range samples land in the edge bins
    means, stds = np.array([[0.0, 0.0], [4.0, 0.0]]), np.array([0.5, 0.5])
    x = np.array([[0.1, 0.0], [1.4, 0.0], [1.6, 0.0], [3.9, 0.2], [10.0, 0.0]])
    # nearest centre and within 3 std = 1.5: (0.1) and (1.4) -> mode 0, (3.9, 0.2) -> mode 1; 1.6 and 10 are not
    assert gan.mode_counts(x, means, stds).tolist() == [2, 1]


# --------------------------------------------------------------------------- small training runs

SMALL_W = {"seed": 3, "z_dim": 1, "g_hidden": [6], "d_hidden": [6]}
SMALL_IN = {"data": "mixture", "means": [1.0, 3.0], "stds": [0.3, 0.3]}
SMALL_OPT = dict(train_steps=40, snapshot_every=10, batch_size=16, lr_g=1e-2, lr_d=1e-2)


def test_same_seed_same_trace_bit_for_bit_and_other_seed_differs():
    a = gan.build(SMALL_W, SMALL_IN, **SMALL_OPT)
    b = gan.build(dict(SMALL_W), dict(SMALL_IN), **SMALL_OPT)
    assert a.digest() == b.digest()
    assert a.to_json() == b.to_json()
    c = gan.build({**SMALL_W, "seed": 4}, SMALL_IN, **SMALL_OPT)
    assert c.digest() != a.digest()


def test_inputs_not_mutated_and_trace_read_only():
    w = {"seed": 1, "z_dim": 2, "g_hidden": [5], "d_hidden": [5]}
    inp = {"data": "ring", "modes": 4, "radius": 1.0, "std": 0.1}
    w0, i0 = json.dumps(w), json.dumps(inp)
    tr = gan.build(w, inp, train_steps=5, snapshot_every=5, batch_size=8)
    assert json.dumps(w) == w0 and json.dumps(inp) == i0
    with pytest.raises(ValueError):
        tr.runs[0].snapshots[0].fake[0, 0] = 1.0
    with pytest.raises(AttributeError):
        tr.runs[0].final.js = 0.0  # frozen


def test_json_round_trip():
    tr = gan.build(SMALL_W, SMALL_IN, compare_loss=True, **SMALL_OPT)
    back = gan.GANTrace.from_dict(json.loads(tr.to_json()))
    assert back.digest() == tr.digest()
    assert isinstance(back.runs[1].params.G[0], gan.Layer)
    np.testing.assert_array_equal(back.runs[1].snapshots[-1].d_grid, tr.runs[1].snapshots[-1].d_grid)
    assert back.runs[0].snapshots[2].mode_counts.dtype == np.int64


def test_trace_structure_and_consistency_2d():
    tr = gan.build({"seed": 2, "z_dim": 2, "g_hidden": [8], "d_hidden": [8], "d_act": "tanh"},
                   {"data": "ring", "modes": 6, "radius": 2.0, "std": 0.1}, train_steps=25, snapshot_every=10,
                   batch_size=32, lr_g=5e-3, lr_d=5e-3)
    run = tr.runs[0]
    assert [s.step for s in run.snapshots] == [0, 10, 20, 25]
    assert run.curves.loss_d.shape == (25,) and run.curves.fake_mean.shape == (25, 2)
    assert tr.grid.shape == (2, gan.GRID[2]) and tr.real_hist.shape == (gan.BINS[2], gan.BINS[2])
    assert tr.real_hist.sum() == pytest.approx(1.0) and tr.modes.shape == (6, 2)
    last = run.snapshots[-1]
    assert last.d_grid.shape == (gan.GRID[2], gan.GRID[2]) and last.fake_hist.sum() == pytest.approx(1.0)
    assert np.all((last.d_grid > 0) & (last.d_grid < 1)) and 0 <= last.js <= 1
    # the stored z mapping and D heatmap agree with an independent forward pass of the trained weights
    np.testing.assert_allclose(last.z_map, _independent_forward(run.params.G, tr.z_grid, "leaky_relu"), rtol=1e-12)
    gx, gy = np.meshgrid(tr.grid[0], tr.grid[1])
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    D = 1 / (1 + np.exp(-_independent_forward(run.params.D, pts, "tanh")[:, 0]))
    np.testing.assert_allclose(last.d_grid, D.reshape(gan.GRID[2], gan.GRID[2]), rtol=1e-12)
    # final statistics are those of the last snapshot
    np.testing.assert_array_equal(run.final.mean_fake, last.mean_fake)
    assert run.final.js == last.js and run.final.modes_covered == last.modes_covered
    # the JS of every snapshot is that of its two stored histograms (computed here in nats, then / ln 2)
    for s in run.snapshots:
        p, q = tr.real_hist.ravel(), s.fake_hist.ravel()
        m = (p + q) / 2
        kl = lambda a: sum(ai * np.log(ai / mi) for ai, mi in zip(a, m) if ai > 0)
        assert s.js == pytest.approx((kl(p) + kl(q)) / 2 / np.log(2), abs=1e-12)
    # at step 0 the weights are the initial ones
    np.testing.assert_allclose(run.snapshots[0].z_map, _independent_forward(tr.init.G, tr.z_grid, "leaky_relu"))


def test_explicit_initial_weights_are_used():
    w = {"seed": 0, "G_W1": [[1.0, -1.0]], "G_b1": [0.5, 0.0], "G_W2": [[2.0], [1.0]], "G_b2": [0.0],
         "D_W1": [[0.5, -0.5, 1.0]], "D_b1": [0.0, 0.1, 0.2], "D_W2": [[1.0], [1.0], [-1.0]], "D_b2": [0.0]}
    tr = gan.build(w, SMALL_IN, train_steps=2, snapshot_every=1, batch_size=4)
    np.testing.assert_array_equal(tr.init.G[1].W, [[2.0], [1.0]])
    assert tr.settings["g_hidden"] == [2] and tr.settings["d_hidden"] == [3]
    # G(z) = 2*lrelu(z + 0.5) + lrelu(-z), by hand on the z grid
    z = tr.z_grid[:, 0]
    lr = lambda u: np.where(u > 0, u, 0.2 * u)
    np.testing.assert_allclose(tr.runs[0].snapshots[0].z_map[:, 0], 2 * lr(z + 0.5) + lr(-z))


@pytest.mark.parametrize("weights,inputs,opts,msg", [
    ({}, {"data": "mixture", "means": [1.0], "stds": [0.0]}, {}, "stds must be positive"),
    ({}, {"data": "mixture", "means": [1.0, float("nan")], "stds": [1, 1]}, {}, "means contains NaN"),
    ({}, {"data": "mixture", "means": [[1, 2, 3]], "stds": [1]}, {}, r"means has shape \(1, 3\)"),
    ({}, {"data": "spiral"}, {}, "unknown GAN data 'spiral'"),
    ({}, {"data": "mixture", "means": [1.0, 2.0], "stds": [1.0]}, {}, r"stds has shape \(1,\), expected \(2,\)"),
    ({}, SMALL_IN, {"loss": "wasserstein"}, "unknown loss 'wasserstein'"),
    ({}, SMALL_IN, {"optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'"),
    ({}, SMALL_IN, {"train_steps": 0}, "train_steps is 0"),
    ({}, SMALL_IN, {"lr_g": -1.0}, "lr_g is -1.0"),
    ({"g_hidden": "wide"}, SMALL_IN, {}, "g_hidden is 'wide'"),
    ({"g_act": "relu6"}, SMALL_IN, {}, "g_act is 'relu6'"),
    ({"W": [1.0]}, SMALL_IN, {}, "unknown weight 'W' for gan"),
    ({"sed": 1}, SMALL_IN, {}, "unknown weight 'sed' for gan \\(did you mean 'seed'\\?\\)"),
    ({}, {**SMALL_IN, "mean": [1.0]}, {}, "unknown input key 'mean' \\(did you mean 'means'\\?\\)"),
    ({"G_W1": [[1.0, 2.0]], "G_b1": [0.0], "G_W2": [[1.0]], "G_b2": [0.0], "D_W1": [[1.0]], "D_b1": [0.0]},
     SMALL_IN, {}, r"G_b1 has shape \(1,\), expected \(2,\)"),
])
def test_bad_inputs_raise_one_line_input_error(weights, inputs, opts, msg):
    with pytest.raises(InputError, match=msg) as e:
        gan.build(weights, inputs, **opts)
    assert "\n" not in str(e.value)


# --------------------------------------------------------------------------- preset claims (each trained once per test process)

GAN_PRESETS = [p.name for p in preset_catalogue() if p.model == "gan"]
same_worker = pytest.mark.xdist_group("gan-presets")     # the trainings are shared (conftest preset_trace)


class _Traces:
    def __init__(self, get):
        self.get = get

    def __getitem__(self, name: str):
        return self.get("gan", name)


@pytest.fixture
def presets(preset_trace):
    """presets[NAME] -> the trained trace of GAN preset NAME."""
    return _Traces(preset_trace)


@same_worker
def test_gan_1d_converges(presets):
    tr = presets["gan-1d"]
    run = tr.runs[0]
    f = run.final
    assert abs(f.mean_fake[0] - f.mean_real[0]) <= 0.10 * abs(f.mean_real[0])
    assert abs(f.std_fake[0] - f.std_real[0]) <= 0.10 * f.std_real[0]
    assert run.snapshots[0].js > 0.9 and f.js < 0.1  # from nearly disjoint to close
    assert f.modes_covered == 2
    # D ends near the equilibrium 1/2 on both real and generated samples
    assert abs(run.snapshots[-1].d_real - 0.5) < 0.1 and abs(run.snapshots[-1].d_fake - 0.5) < 0.1


@same_worker
def test_gan_ring_covers_the_ring(presets):
    run = presets["gan-ring"].runs[0]
    assert run.final.n_modes == 8 and run.final.modes_covered >= 7
    assert run.snapshots[0].modes_covered <= 1 and run.snapshots[0].js > 0.9
    assert run.final.js < 0.35 and run.final.hq_share > 0.6


@same_worker
def test_gan_mode_collapse_collapses(presets):
    tr, healthy = presets["gan-mode-collapse"], presets["gan-ring"]
    run = tr.runs[0]
    # same data and same initial weights as the healthy gan-ring run
    assert tr.init.digest() == healthy.init.digest()
    np.testing.assert_array_equal(tr.modes, healthy.modes)
    assert run.final.modes_covered <= 2 < healthy.runs[0].final.modes_covered
    assert all(s.modes_covered <= 2 for s in run.snapshots)
    # collapsed, not lost: the samples sit on a mode, with a tiny spread compared with the ring
    assert run.final.hq_share > 0.5
    assert np.all(run.final.std_fake < 0.25 * run.final.std_real)
    assert run.final.js > 0.6


@same_worker
def test_gan_saturating_minimax_stalls_where_non_saturating_learns(presets):
    tr = presets["gan-saturating"]
    mm, ns = tr.runs
    assert (mm.loss, ns.loss) == ("minimax", "non_saturating")
    # same seed: same initial weights and the very same real batches
    np.testing.assert_array_equal(mm.curves.real_mean, ns.curves.real_mean)
    assert mm.snapshots[0].js == ns.snapshots[0].js
    # minimax: D rejects the fakes with confidence, the generator gradient dies, nothing is learned
    assert all(s.js > 0.99 for s in mm.snapshots)
    assert mm.snapshots[-1].d_fake < 1e-3
    T = len(mm.curves.grad_g)
    assert np.median(mm.curves.grad_g[T // 2:]) < 0.01 * mm.curves.grad_g[0]
    assert mm.final.mean_rel_err[0] > 0.5
    # non-saturating from the same start: learns the data
    assert ns.final.js < 0.15
    assert ns.final.mean_rel_err[0] < 0.1 and ns.final.std_rel_err[0] < 0.1
    assert np.median(ns.curves.grad_g[T // 2:]) > 10 * np.median(mm.curves.grad_g[T // 2:])


def test_initial_weights_from_a_pytorch_state_dict():
    case = _ref_cases()[0]
    state = {}
    for name, dump in (("G", case["G0"]), ("D", case["D0"])):
        for j, L in enumerate(dump):  # nn.Sequential: Linear at 0, 2, 4 (activations in between)
            state[f"{name}.{2 * j}.weight"] = L["weight"]
            state[f"{name}.{2 * j}.bias"] = L["bias"]
    p = gan.Params.from_torch(state, case["g_act"], case["d_act"])
    expect = gan.Params(_layers(case["G0"]), _layers(case["D0"]), case["g_act"], case["d_act"])
    assert p.digest() == expect.digest()
    tr = gan.build({"seed": 0, **state}, {"data": "mixture", "means": [2.0], "stds": [1.0]}, train_steps=2,
                   snapshot_every=1, batch_size=4)
    assert tr.init.digest() == expect.digest()
    bad = dict(state)
    bad["G.2.weight"] = [[1.0, 2.0]]
    with pytest.raises(InputError, match=r"G.2.weight has shape \(1, 2\), expected \(n_out, 5\) = \(n_out, outputs of G.0.weight\)"):
        gan.Params.from_torch(bad)
    with pytest.raises(InputError, match="mix our names"):
        gan.build({**state, "G_W1": [[1.0]]}, SMALL_IN)
    del bad["G.2.bias"]
    with pytest.raises(InputError, match=r"has G.2.weight but no G.2.bias"):
        gan.Params.from_torch(bad)


def test_walkthrough_table_and_explain_read_the_trace(tmp_path):
    from gatelab.style import fmt
    from gatelab.walkthroughs import gan as wt
    csv = tmp_path / "a&b_50%.csv"
    csv.write_text("\n".join(f"{v}" for v in np.random.default_rng(1).normal(3.0, 1.0, 50)))
    tr = gan.build(SMALL_W, SMALL_IN, data=str(csv), compare_loss=True, **SMALL_OPT)
    table = wt.table(tr)
    for run in tr.runs:
        for s in run.snapshots:
            assert f"{fmt(s.js)}" in table and f"{fmt(s.loss_d)}" in table
    md = wt.explain(tr, "md")
    mm = tr.runs[1]
    assert mm.loss == "minimax" and f"ends at JS {fmt(mm.final.js)} bits" in md
    assert mm.curves.grad_g_median_late == float(np.median(mm.curves.grad_g[len(mm.curves.grad_g) // 2:]))
    assert f"median {fmt(mm.curves.grad_g_median_late)}" in md
    tex = wt.explain(tr, "tex")
    assert r"a\&b\_50\%.csv" in tex and "a&b" not in tex
