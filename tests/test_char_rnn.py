"""char-rnn: a hand-derived step in plain floats, central differences for every gradient of the training
loss (Elman, LSTM, GRU cells), the preset's claims (trained: "ello"; untrained: not), deterministic training,
sampling, one-line errors through the CLI, the diagram's SVG numbers and the scene."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gatelab.engines import char_rnn as C
from gatelab.engines import char_rnn_train as T
from gatelab.engines import registry
from gatelab.engines.activations import softmax_t
from gatelab.engines.errors import InputError
from gatelab.engines.trace import Record
from tests.cli_helpers import one_line_error

# K = 2 (vocabulary "a", "b"), H = 2
W = {"vocab": ["a", "b"], "U": [[0.5, -1.0], [1.5, 0.25]], "W": [[0.3, -0.2], [0.1, 0.4]], "b_h": [0.1, -0.3],
     "V": [[1.0, -2.0], [-0.5, 0.75]], "b_y": [0.2, -0.1]}


# --------------------------------------------------------------------------- hand-derived case

def _hand_step(fed: int, h_prev: list[float]) -> tuple[list[float], list[float], list[float]]:
    """h = tanh(U x + W h_prev + b_h), o = V h + b_y, p = softmax(o), x = onehot(fed), in plain floats."""
    h = [math.tanh(W["U"][i][fed] + sum(W["W"][i][j] * h_prev[j] for j in range(2)) + W["b_h"][i]) for i in range(2)]
    o = [sum(W["V"][k][i] * h[i] for i in range(2)) + W["b_y"][k] for k in range(2)]
    z = [math.exp(v) for v in o]
    return h, o, [v / sum(z) for v in z]


def test_hand_derived_steps():
    tr = C.build(W, {"text": "aba"})
    h1, o1, p1 = _hand_step(0, [0.0, 0.0])                  # teacher: feed 'a', target 'b'
    h2, o2, p2 = _hand_step(1, h1)                          # teacher: feed 'b', target 'a'
    s1, s2 = tr.teacher.steps
    assert s1.h.tolist() == pytest.approx(h1, abs=1e-12) and s1.scores.tolist() == pytest.approx(o1, abs=1e-12)
    assert s1.p.tolist() == pytest.approx(p1, abs=1e-12) and s2.h.tolist() == pytest.approx(h2, abs=1e-12)
    assert s1.chosen == "ab"[max(range(2), key=lambda k: o1[k])] and s1.target == "b"
    assert tr.loss == pytest.approx(-math.log(p1[1]) - math.log(p2[0]), abs=1e-12)
    # free running feeds step 1's winner, not the true 'b'
    win = max(range(2), key=lambda k: o1[k])
    hf, of, _ = _hand_step(win, h1)
    assert tr.free.steps[1].fed == "ab"[win] and tr.free.steps[1].scores.tolist() == pytest.approx(of, abs=1e-12)
    # by hand: tanh([0.5 + 0.1, 1.5 - 0.3]) = [0.537050, 0.833655]; o = [-0.930260, 0.256716]: 'b' wins
    assert o1 == pytest.approx([-0.9302596, 0.2567162], abs=1e-6) and s1.correct and s1.chosen == "b"


# --------------------------------------------------------------------------- gradients

@pytest.mark.parametrize("cell", C.CELLS)
def test_every_gradient_matches_central_differences(cell):
    cfg = T.Config(cell=cell, hidden=3, seed=4, init_scale=1.5)
    p = T.init(cfg, np.random.default_rng(cfg.seed))
    ids = np.array([cfg.vocab.index(ch) for ch in cfg.text])
    K = len(cfg.vocab)
    loss, g = C.loss_and_grads(cell, p, ids, K)
    assert set(g) == set(p)
    eps = 1e-6
    for name, arr in p.items():
        num = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            plus, minus = {k: v.copy() for k, v in p.items()}, {k: v.copy() for k, v in p.items()}
            plus[name][idx] += eps
            minus[name][idx] -= eps
            num[idx] = (C.loss_and_grads(cell, plus, ids, K)[0] - C.loss_and_grads(cell, minus, ids, K)[0]) / (2 * eps)
        np.testing.assert_allclose(g[name], num, rtol=1e-5, atol=1e-7, err_msg=f"{cell} {name}")
    # the loss is the cross-entropy of the softmax of the engine's scores
    tr = C.build({"vocab": list(cfg.vocab), **{k: v.tolist() for k, v in p.items()}}, {"text": cfg.text}, cell=cell)
    assert loss == pytest.approx(sum(-math.log(s.p[s.target_index]) for s in tr.teacher.steps), rel=1e-12)


# --------------------------------------------------------------------------- the preset's claims

def test_trained_writes_ello_and_untrained_does_not():
    trained = registry.compute("char-rnn").trace
    untrained = registry.compute("char-rnn", options={"untrained": True}).trace
    assert trained.text == "hello" and trained.vocab == ("e", "h", "l", "o")
    assert trained.free.generated == "ello" and trained.generated == "ello" and trained.free.first_wrong is None
    assert untrained.free.generated != "ello" and untrained.weights_set == "initial"
    assert untrained.free.steps[0].fed == "h" and untrained.free.steps[0].chosen != "e"   # another letter wins
    assert untrained.loss > 1.0 > 0.05 > trained.loss
    # the untrained model's mistake is fed back: free running departs from teacher forcing
    assert untrained.free.steps[1].fed == untrained.free.steps[0].chosen != untrained.teacher.steps[1].fed


def test_preset_is_reproduced_by_training_and_check_passes():
    doc = json.loads(open(T.preset_path(), encoding="utf-8").read())
    res = T.train(T.Config(**doc["training"]["config"]))
    assert T.compare(doc["weights"], res.weights_doc())[1]
    assert res.losses[0] == pytest.approx(doc["training"]["loss_first"], rel=1e-12)
    assert T.main(["--check"]) == 0


def test_training_is_deterministic_from_the_seed_and_learns_another_text(tmp_path):
    cfg = T.Config(text="abcab", hidden=4, seed=3, steps=150)
    a, b = T.train(cfg), T.train(cfg)
    assert a.weights_doc() == b.weights_doc() and a.losses.tolist() == b.losses.tolist()
    c = T.train(T.Config(text="abcab", hidden=4, seed=4, steps=150))
    assert c.weights_doc()["U"] != a.weights_doc()["U"]
    assert a.losses[-1] < 0.1 * a.losses[0]
    tr = C.build(a.weights_doc(), {"text": "abcab"})
    assert tr.vocab == ("a", "b", "c") and tr.free.generated == "bcab"
    out = tmp_path / "p.json"
    assert T.main(["--text", "abcab", "--hidden", "4", "--seed", "3", "--steps", "150", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["weights"] == a.weights_doc()
    assert T.main(["--check", "--out", str(out)]) == 0


def test_sampling_uses_softmax_with_temperature_and_is_seeded():
    tr = registry.compute("char-rnn", options={"temperature": 3.0, "samples": 5}).trace
    first = tr.free.steps[0]
    for run in tr.samples:
        np.testing.assert_allclose(run.steps[0].p, softmax_t(first.scores, 3.0), rtol=0, atol=1e-15)
    again = registry.compute("char-rnn", options={"temperature": 3.0, "samples": 5}).trace
    assert [r.generated for r in again.samples] == [r.generated for r in tr.samples]
    assert any(r.first_wrong is not None for r in tr.samples)     # T = 3 lets early draws go wrong
    cold = registry.compute("char-rnn", options={"temperature": 0.05, "samples": 3}).trace
    assert all(r.generated == "ello" for r in cold.samples)         # T -> 0: the argmax


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_other_cells_train_on_hello(cell):
    res = T.train(T.Config(cell=cell, hidden=3, seed=0, steps=200))
    tr = C.build(res.weights_doc(), {"text": "hello"}, cell=cell)
    assert tr.free.generated == "ello" and tr.cell == cell


def test_trace_round_trips_through_json():
    tr = registry.compute("char-rnn").trace
    back = Record.from_dict.__func__(type(tr), json.loads(tr.to_json()))
    assert back.to_dict() == tr.to_dict()


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("weights, inputs, opts, needle", [
    (W, {"text": "abx"}, {}, "outside the vocabulary"),
    (W, {"text": ""}, {}, "empty"),
    (W, {"text": "a"}, {}, "one character"),
    ({**W, "Vv": 1}, {"text": "ab"}, {}, "did you mean 'V'"),
    (W, {"text": "ab", "txt": 1}, {}, "did you mean 'text'"),
    (W, {"text": "ab"}, {"untrained": True}, "initial"),
    (W, {"text": "ab"}, {"cell": "lstm"}, "use --cell rnn"),
    (W, {"text": "ab"}, {"temperature": 0.0}, "temperature"),
    ({**W, "vocab": ["a", "a"]}, {"text": "ab"}, {}, "repeats"),
    ({**W, "V": [[1.0, 2.0]]}, {"text": "ab"}, {}, "V has shape"),
])
def test_bad_input_is_refused(weights, inputs, opts, needle):
    with pytest.raises(InputError, match=needle.replace("(", r"\(")):
        C.build(weights, inputs, **opts)


@pytest.mark.parametrize("args, needle", [
    (["--text", "hellx"], "outside the vocabulary"),
    (["--text", ""], "empty"),
    (["--temperature", "-1"], "temperature"),
])
def test_cli_bad_input_is_one_line(run_cli, args, needle):
    one_line_error(run_cli("compute", "char-rnn", *args), needle)


# --------------------------------------------------------------------------- CLI

def test_cli_compute_free_prints_and_json_has_generated(run_cli):
    r = run_cli("compute", "char-rnn", "--preset", "char-rnn-hello", "--decode", "free")
    assert r.exit_code == 0 and "generated (free): 'ello'" in r.stdout
    r = run_cli("compute", "char-rnn", "--preset", "char-rnn-hello", "--decode", "free", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["generated"] == "ello"
    r = run_cli("compute", "char-rnn", "--untrained", "--json")
    d = json.loads(r.stdout)
    assert d["generated"] != "ello" and d["weights_set"] == "initial"
    r = run_cli("compute", "char-rnn", "--decode", "teacher", "--text", "hell", "--json")
    assert json.loads(r.stdout)["generated"] == "ell" and json.loads(r.stdout)["decode"] == "teacher"
    for fmt in ("md", "tex"):
        r = run_cli("explain", "char-rnn", "--untrained", "--format", fmt)
        assert r.exit_code == 0 and "Exposure bias" in r.stdout


def test_cli_seed_trains_on_the_given_text(run_cli):
    r = run_cli("compute", "char-rnn", "--seed", "2", "--hidden", "4", "--text", "abab", "--json")
    d = json.loads(r.stdout)
    assert r.exit_code == 0 and d["vocab"] == ["a", "b"] and d["text"] == "abab" and d["hidden"] == 4


# --------------------------------------------------------------------------- diagram and scene

@pytest.mark.parametrize("opts", [{}, {"side_by_side": True, "untrained": True}])
def test_diagram_svg_has_the_trace_numbers(tmp_path, opts):
    from gatelab.diagrams import api
    from gatelab.style import fmt
    from tests.diagrams._diagram_helpers import parse_svg, svg_texts

    [path] = api.render("char-rnn", options=opts, output=str(tmp_path / "c.svg"))
    text = " ".join(svg_texts(parse_svg(path)))
    tr = registry.compute("char-rnn", options={"untrained": opts.get("untrained")}).trace
    decs = [tr.teacher, tr.free] if opts else [tr.free]
    for dec in decs:
        for s in dec.steps:
            for v in (*s.h, *s.scores, *s.p):
                assert fmt(v) in text, fmt(v)
            assert f"chooses '{s.chosen}', target '{s.target}'" in text
    assert ("teacher forcing: the true" in text) == bool(opts) and "free running" in text
    assert ("feeds" in text) and (fmt(tr.loss) in text)


@pytest.mark.slow
@pytest.mark.xdist_group("scene:char-rnn")
def test_scene_runs_and_every_number_is_its_record(scene_run):
    from tests.scenes._scene_helpers import check_numbers, check_provenance

    scene, _ = scene_run("char-rnn")      # the run test_every_scene_runs[char-rnn] checks too
    assert scene.renderer.time > 10
    assert check_numbers(scene) > 20
    check_provenance(scene)
    letters = [t for kind, t, _ in scene.shown if kind == "text"]
    for r in scene.trace.samples:
        for s in r.steps:
            assert s.drawn in letters
