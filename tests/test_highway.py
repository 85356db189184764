"""Highway layer: engine against a hand derivation and central differences, the residual case,
the carry-path split of dy/dx, bad input through the CLI, the diagram's SVG and the scene."""
from __future__ import annotations

import math

import numpy as np
import pytest

from gatelab.engines import highway, registry
from gatelab.engines.errors import InputError
from tests.cli_helpers import one_line_error

W = {"W_H": [[0.5, -1.0], [1.0, 0.5]], "b_H": [0.2, 0.5], "W_T": [[2.0, 0.5], [0.5, 2.0]], "b_T": [-1.0, -1.0]}
X = [[-1.0, -0.5], [1.5, 1.0], [0.5, -0.5]]


# --------------------------------------------------------------------------- hand-derived case

def _hand(x, w, residual=False):
    """Plain floats, one example: the equations of the lecture notes written out unit by unit."""
    D = len(x)
    a_H = [sum(w["W_H"][i][j] * x[j] for j in range(D)) + w["b_H"][i] for i in range(D)]
    H = [math.tanh(a) for a in a_H]
    if residual:
        return {"H": H, "y": [H[i] + x[i] for i in range(D)]}
    a_T = [sum(w["W_T"][i][j] * x[j] for j in range(D)) + w["b_T"][i] for i in range(D)]
    T = [1.0 / (1.0 + math.exp(-a)) for a in a_T]
    y = [T[i] * H[i] + (1.0 - T[i]) * x[i] for i in range(D)]
    # L = sum(y): dL/dx_j = (1 - T_j) + sum_i [T_i (1 - H_i^2) W_H[i][j] + (H_i - x_i) T_i (1 - T_i) W_T[i][j]]
    dx = [(1.0 - T[j]) + sum(T[i] * (1 - H[i] ** 2) * w["W_H"][i][j] + (H[i] - x[i]) * T[i] * (1 - T[i]) * w["W_T"][i][j]
                             for i in range(D)) for j in range(D)]
    return {"H": H, "T": T, "C": [1.0 - t for t in T], "y": y, "dx": dx, "dx_carry": [1.0 - t for t in T]}


def test_hand_derived_example():
    tr = highway.build(W, {"x": X})
    for e, x in zip(tr.examples, X):
        ref = _hand(x, W)
        for k, v in ref.items():
            assert getattr(e, k).tolist() == pytest.approx(v, abs=1e-12), k
    ref = _hand(X[0], W)
    assert tr.loss == pytest.approx(sum(sum(_hand(x, W)["y"]) for x in X), abs=1e-12)
    assert tr.examples[0].y.tolist() == pytest.approx([-0.9553057, -0.5102522], abs=1e-6)   # printed by `compute`
    assert ref["T"][0] < 0.05 and tr.examples[0].regime == "mostly carried"
    assert tr.examples[1].regime == "mostly transformed" and tr.examples[2].regime == "mixed"


def test_preset_is_this_case_and_a_1d_x_is_one_example():
    tr = registry.compute("highway").trace
    assert [e.x.tolist() for e in tr.examples] == X and tr.W_H.tolist() == W["W_H"]
    one = highway.build(W, {"x": X[1]})
    assert len(one.examples) == 1 and one.examples[0].y.tolist() == tr.examples[1].y.tolist()


def test_residual_special_case():
    tr = highway.build({"W_H": W["W_H"], "b_H": W["b_H"]}, {"x": X}, residual=True)
    for e, x in zip(tr.examples, X):
        assert e.y.tolist() == pytest.approx(_hand(x, W, residual=True)["y"], abs=1e-12)
        assert e.T is None and e.regime == "residual"
        assert np.array_equal(e.J_carry, np.eye(2)) and not e.J_gate.any()
        assert np.allclose(e.dx_carry, e.dy)               # the identity path passes dL/dy through unchanged
    assert tr.grads.W_T is None
    # the preset's gate weights are simply unused with --residual
    assert registry.compute("highway", options={"residual": True}).trace.examples[0].y.tolist() == tr.examples[0].y.tolist()


# --------------------------------------------------------------------------- finite differences

def _loss(w, x, target, **opts):
    inputs = {"x": x} if target is None else {"x": x, "target": target}
    return highway.build({k: np.asarray(v) for k, v in w.items()}, inputs, **opts).loss


@pytest.mark.parametrize("opts", [{}, {"residual": True}, {"h_activation": "relu"}])
@pytest.mark.parametrize("with_target", [False, True])
def test_every_gradient_by_central_differences(opts, with_target):
    rng = np.random.default_rng(3)
    w, inp = highway.random(rng, hidden=3, input_size=3, steps=4)
    if opts.get("residual"):
        w = {"W_H": w["W_H"], "b_H": w["b_H"]}
    x = np.asarray(inp["x"])
    target = rng.standard_normal(x.shape) if with_target else None
    tr = highway.build(w, {"x": x} if target is None else {"x": x, "target": target}, **opts)
    eps = 1e-6
    for name in w:
        P = np.asarray(w[name], dtype=float)
        num = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            up, dn = P.copy(), P.copy()
            up[idx] += eps
            dn[idx] -= eps
            num[idx] = (_loss({**w, name: up}, x, target, **opts) - _loss({**w, name: dn}, x, target, **opts)) / (2 * eps)
        assert np.allclose(getattr(tr.grads, name), num, atol=1e-7), name
    for b in range(x.shape[0]):
        num = np.zeros(x.shape[1])
        for j in range(x.shape[1]):
            up, dn = x.copy(), x.copy()
            up[b, j] += eps
            dn[b, j] -= eps
            num[j] = (_loss(w, up, target, **opts) - _loss(w, dn, target, **opts)) / (2 * eps)
        assert np.allclose(tr.examples[b].dx, num, atol=1e-7)


def test_carry_split_adds_up_to_the_full_jacobian():
    tr = highway.build(W, {"x": X})
    eps = 1e-6
    for e in tr.examples:
        assert np.allclose(e.J_carry + e.J_transform + e.J_gate, e.J, atol=1e-15)
        assert np.allclose(e.J_carry, np.diag(e.C))
        assert np.allclose(e.dx_carry + e.dx_transform + e.dx_gate, e.dx, atol=1e-15)
        num = np.zeros((2, 2))                              # dy/dx by central differences, column by column
        for j in range(2):
            up, dn = e.x.copy(), e.x.copy()
            up[j] += eps
            dn[j] -= eps
            num[:, j] = (highway.build(W, {"x": up}).examples[0].y - highway.build(W, {"x": dn}).examples[0].y) / (2 * eps)
        assert np.allclose(e.J, num, atol=1e-8)


def test_trace_round_trips_through_json():
    tr = highway.build(W, {"x": X, "target": np.zeros((3, 2)).tolist()})
    assert highway.HighwayTrace.from_dict(tr.to_dict()).digest() == tr.digest()


# --------------------------------------------------------------------------- bad input (CLI: one line, exit 2)

@pytest.mark.parametrize("weights, inputs, needles", [
    ({**W, "W_H": [[0.5, -1.0, 0.2], [1.0, 0.5, 0.1]]}, {"x": X}, ["W_H has shape (2, 3)", "width of x"]),
    (W, {"x": [[1.0, 2.0, 3.0]]}, ["x has shape (1, 3)", "expected (B, 2)"]),
    ({**W, "b_T": [1.0, 2.0, 3.0]}, {"x": X}, ["b_T has shape (3,)"]),
    ({**{k: v for k, v in W.items() if k != "W_H"}, "W_h": W["W_H"]}, {"x": X}, ["unknown weight 'W_h'", "did you mean 'W_H'"]),
    (W, {"x": X, "targt": X}, ["unknown input key 'targt'", "did you mean 'target'"]),
    (W, {"x": X, "target": [[1.0, 2.0]]}, ["target has shape (1, 2)"]),
])
def test_bad_input_is_one_line(run_cli, write_json, weights, inputs, needles):
    path = write_json({"model": "highway", "weights": weights, "inputs": inputs}, "w.json")
    one_line_error(run_cli("compute", "highway", "--weights", path), *needles)


def test_bad_options_are_one_line(run_cli):
    one_line_error(run_cli("compute", "highway", "--h-activation", "sigmoid"), "sigmoid")
    one_line_error(run_cli("diagram", "highway", "--example", "4", "--dot"), "--example 4", "1..3")
    with pytest.raises(InputError, match="unknown weight"):
        highway.build({**W, "V": [1.0]}, {"x": X})


def test_compute_and_explain(run_cli):
    r = run_cli("compute", "highway")
    assert r.exit_code == 0 and "mostly" not in r.stdout and "-0.9553" in r.stdout
    for fmt in ("md", "tex"):
        r = run_cli("explain", "highway", "--format", fmt)
        assert r.exit_code == 0 and "mostly carried" in r.stdout and "mostly transformed" in r.stdout


# --------------------------------------------------------------------------- diagram

@pytest.mark.parametrize("example, residual", [(1, False), (2, False), (3, True)])
def test_diagram_svg_has_the_trace_numbers(tmp_path, example, residual):
    from gatelab.diagrams import api
    from gatelab.style import fmt
    from tests.diagrams._diagram_helpers import parse_svg, svg_texts

    opts = {"example": example, "residual": True if residual else None}
    [path] = api.render("highway", options=opts, output=str(tmp_path / "h.svg"))
    text = " ".join(svg_texts(parse_svg(path)))
    e = registry.compute("highway", options={"residual": residual or None}).trace.examples[example - 1]
    fields = ("x", "H", "y", "dx", "dx_carry") + (() if residual else ("T", "C", "TH", "Cx"))
    for f in fields:
        for v in getattr(e, f):
            assert fmt(v) in text, (f, fmt(v))
    assert ("Residual" in text) == residual and f"example {example} of 3" in text


# --------------------------------------------------------------------------- scene

@pytest.mark.xdist_group("scene:highway")
def test_scene_runs_and_shows_the_trace(scene_run):
    from gatelab.style import fmt
    scene, _ = scene_run("highway")       # the run test_every_scene_runs[highway] checks too
    assert scene.renderer.time > 15
    texts = [s for kind, s, *_ in scene.shown if kind == "text"]
    for e in scene.trace.examples:      # each example's gate and output, as the scene formats them
        for v in (*e.T, *e.y):
            assert fmt(v) in texts


@pytest.mark.slow
def test_scene_last_frame(tmp_path):
    from pathlib import Path

    from gatelab.scenes import api
    from tests.scenes._scene_helpers import pixel_std

    api.run("highway", media_dir=str(tmp_path), last_frame=True, options={"residual": True})
    assert pixel_std(str(next(Path(tmp_path).rglob("*.png")))) > 10
