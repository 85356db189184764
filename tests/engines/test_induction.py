"""induction-heads: the tiny GPT-2's hand-written backward vs finite differences and PyTorch autograd,
its forward vs transformers, the shipped preset's held-out scores, training and bad input."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gatelab.engines import induction as I
from gatelab.engines import induction_folder as F
from gatelab.engines import induction_run as R
from gatelab.engines import induction_train as TR
from gatelab.engines import registry
from gatelab.engines.errors import InputError
from tests.cli_helpers import one_line_error

REF = Path(__file__).parent / "refs" / "torch_induction.npz"


@pytest.fixture(scope="module")
def shipped():
    w, config, task = F.read()
    s = I.shape_of(config)
    return I.check_params({k.removeprefix("transformer."): v for k, v in w.items()}, s), config, task, s


def _perturbed(s, seed):
    rng = np.random.default_rng(seed)
    p = I.init_params(s, rng, std=0.5)
    return {k: v + rng.normal(0.0, 0.3, size=v.shape) if v.ndim == 1 else v for k, v in p.items()}


@pytest.mark.slow
def test_backward_matches_central_differences_for_every_parameter():
    s = I.Shape(vocab=6, d=4, heads=2, layers=2, positions=6)
    p = _perturbed(s, 3)
    x = I.repeated_batch(np.random.default_rng(4), 2, 2, 6, 5)
    wt = np.array([[0.0, 1.0, 0.0, 2.0], [1.0, 0.0, 0.5, 1.0]])    # per row and position (ones: the plain mean)
    _, g = I.loss_and_grads(p, x, s, wt)
    eps = 1e-6
    for k, v in p.items():
        num = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            v[idx] += eps
            lp = I.loss_and_grads(p, x, s, wt)[0]
            v[idx] -= 2 * eps
            lm = I.loss_and_grads(p, x, s, wt)[0]
            v[idx] += eps
            num[idx] = (lp - lm) / (2 * eps)
        assert np.allclose(g[k], num, rtol=1e-5, atol=1e-8), k
    assert set(g) == set(I.param_shapes(s))


def test_forward_and_gradients_match_transformers_and_torch_autograd(shipped):
    p, _, task, s = shipped
    ref = np.load(REF)
    assert [task["vocab"][i] for i in ref["ids"]] == task["example"]["tokens"]
    logits, caches, _ = I.forward(p, ref["ids"][None], s)
    assert np.max(np.abs(logits[0] - ref["logits"])) < 1e-10
    for layer, c in enumerate(caches):
        assert np.max(np.abs(c["A"][0] - ref["attentions"][layer])) < 1e-12
    loss, g = I.loss_and_grads(p, ref["batch"], s)
    assert abs(loss - float(ref["loss"])) < 1e-12
    names = [k for k in ref.files if k.startswith("grad:")]
    assert {k[len("grad:transformer."):] for k in names} == set(g)
    for k in names:
        assert np.allclose(g[k[len("grad:transformer."):]], ref[k], rtol=1e-9, atol=1e-12), k


def test_folder_is_a_gpt2_folder():
    config = json.loads((F.preset_dir() / "config.json").read_text())
    assert config["model_type"] == "gpt2" and config["activation_function"] == "gelu_new"
    assert config["n_layer"] == 2 and 2 <= config["n_head"] <= 4 and config["n_embd"] <= 32
    from safetensors.numpy import load_file

    names = set(load_file(str(F.preset_dir() / "model.safetensors")))
    assert all(n.startswith("transformer.") for n in names) and "lm_head.weight" not in names
    from tokenizers import Tokenizer

    task = json.loads((F.preset_dir() / F.TASK_FILE).read_text())
    tok = Tokenizer.from_file(str(F.preset_dir() / "tokenizer.json"))
    assert tok.encode(" ".join(task["vocab"])).ids == list(range(len(task["vocab"])))


def _same_numbers(got, want, where="scores"):
    """Equal structure, equal ints and strings, floats equal to 1e-12 (BLAS kernels differ in the last bit
    from one CPU to another)."""
    assert type(got) is type(want) or {type(got), type(want)} <= {int, float}, where
    if isinstance(got, dict):
        assert got.keys() == want.keys(), where
        for k in got:
            _same_numbers(got[k], want[k], f"{where}.{k}")
    elif isinstance(got, list):
        assert len(got) == len(want), where
        for i, (a, b) in enumerate(zip(got, want)):
            _same_numbers(a, b, f"{where}[{i}]")
    elif isinstance(got, float):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-15), where
    else:
        assert got == want, where


def test_shipped_preset_scores(shipped):
    p, config, task, _ = shipped
    sc = I.evaluate(p, config, task)
    assert sc["accuracy_repeated"] >= 0.95
    assert sc["previous_token"]["layer"] == 1 and sc["induction"]["layer"] == 2
    c = sc["control"]
    assert c["accuracy_repeated"] < 0.3
    assert sc["accuracy_first_half"] < 0.3                       # the first half is random: near chance
    _same_numbers(sc, task["results"]["scores"])                   # what training recorded is what the engine measures
    named = {f"L1H{sc['previous_token']['head']}": ("previous token", sc["previous_token"]["score"] >= 0.8),
             f"L2H{sc['induction']['head']}": ("induction", sc["induction"]["score"] >= 0.6)}
    assert I.head_labels(sc) == {k: job for k, (job, clears) in named.items() if clears}


@pytest.mark.slow
def test_shipped_preset_has_a_previous_token_and_an_induction_head(shipped):
    p, config, task, _ = shipped
    sc = I.evaluate(p, config, task)
    assert sc["previous_token"]["score"] >= 0.8 and sc["induction"]["score"] >= 0.6
    assert sc["control"]["previous_token"]["score"] < 0.5 and sc["control"]["induction"]["score"] < 0.3
    assert I.head_labels(sc) == {f"L1H{sc['previous_token']['head']}": "previous token",
                                 f"L2H{sc['induction']['head']}": "induction"}


def test_chunk_batch_targets_are_the_successors_of_earlier_occurrences():
    cfg = TR.Config(chunk_lengths=(2, 3))
    x, w = TR.chunk_batch(np.random.default_rng(3), 8, cfg)
    assert x.shape == (8, cfg.positions) and w.shape == (8, cfg.positions - 1)
    for r in range(8):
        first = list(x[r, : cfg.chunk_first])
        assert len(set(first)) == cfg.chunk_first and set(x[r]) <= set(first)    # copies of a distinct prefix
        scored = np.flatnonzero(w[r])
        assert len(scored) >= 4 and scored.min() >= cfg.chunk_first
        for t in scored:                                    # the target follows the current token in the prefix
            assert x[r, t + 1] == first[first.index(x[r, t]) + 1]


def test_head_scores_on_a_hand_made_pattern():
    T, half = 6, 3
    prev = np.zeros((1, 2, T, T))
    prev[0, 0, 0, 0] = 1.0
    prev[0, 0, np.arange(1, T), np.arange(T - 1)] = 1.0                 # head 1: exactly the previous token
    prev[0, 1] = np.tril(np.ones((T, T))) / np.arange(1, T + 1)[:, None]  # head 2: uniform
    ind = np.zeros((1, 2, T, T))
    ind[0, 1, np.arange(half, T), np.arange(1, half + 1)] = 0.5          # head 2: half its weight on t-N+1
    sc = I.head_scores([prev, ind], half)
    assert np.allclose(sc["previous_token"], [1.0, np.mean(1 / np.arange(2, T + 1))])
    assert np.allclose(sc["induction"], [0.0, 0.5])


def test_trace_carries_every_head_and_round_trips():
    tr = registry.compute("induction-heads").trace
    T = len(tr.tokens)
    H = tr.config["n_head"]
    assert len(tr.layers) == 2 and all(layer.attention.shape == (H, T, T) for layer in tr.layers)
    assert np.allclose(tr.probs.sum(-1), 1.0)
    assert tr.step is not None and tr.tokens[tr.step.earlier] == tr.step.query_token
    assert tr.tokens[tr.step.key] == tr.step.copied_token
    assert [h.job for h in tr.named_heads] == ["previous token", "induction"]
    again = R.InductionTrace.from_dict(json.loads(tr.to_json()))
    assert again.digest() == tr.digest()


def test_earlier_occurrences():
    assert R.earlier_occurrences(np.array([3, 1, 3, 2, 1, 3])).tolist() == [-1, -1, 0, -1, 1, 2]


def test_short_training_is_deterministic_and_writes_a_readable_folder(tmp_path):
    cfg = TR.Config(steps=3, batch=4, heldout_count=8)
    a, b = TR.train(cfg), TR.train(cfg)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert np.all(np.isfinite(a.losses)) and a.losses[0] > 0
    TR.write_folder(a, str(tmp_path / "m"))
    w, config, task = F.read(tmp_path / "m")
    assert TR.compare({k.removeprefix("transformer."): v for k, v in w.items()}, a.params) == ("identical", True)
    assert task["training"]["steps"] == 3 and config["n_positions"] == 24


def test_training_entry_point_writes_then_checks(tmp_path, capsys):
    out = str(tmp_path / "m")
    assert TR.main(["--steps", "2", "--out", out]) == 0
    assert TR.main(["--check", "--out", out]) == 0
    assert "identical" in capsys.readouterr().err


@pytest.mark.parametrize("kw, needle", [
    ({"heads": 3}, "does not divide"),
    ({"d_model": 0}, "positive integer"),
    ({"positions": 12}, "needs 16 positions"),
    ({"vocab": 27}, "out of range"),
    ({"steps": -1}, "positive integer"),
    ({"vocab": 8}, "too small"),
    ({"chunk_fraction": 1.5}, "chunk_fraction"),
    ({"chunk_first": 30}, "chunk_first"),
    ({"chunk_lengths": (1,)}, "chunk_lengths"),
    ({"chunk_lengths": ()}, "chunk_lengths"),
])
def test_bad_training_options_are_one_line(kw, needle):
    with pytest.raises(InputError, match=needle):
        TR.Config(**kw)


def test_bad_training_options_exit_2(tmp_path, capsys):
    assert TR.main(["--heads", "5", "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: ") and "does not divide" in err[0]
    assert not (tmp_path / "m").exists()


def test_compute_and_explain(run_cli):
    r = run_cli("compute", "induction-heads")
    assert r.exit_code == 0 and "previous-token head L1H" in r.stdout and "induction head L2H" in r.stdout
    e = run_cli("explain", "induction-heads")
    assert e.exit_code == 0 and "One induction step" in e.stdout and "is the right prediction" in e.stdout


@pytest.mark.parametrize("tokens, needle", [
    (["A", "b"], "not in the vocabulary"),
    (["A"] * 25, "longer than the model's 24 positions"),
    (["A"], "at least two"),
])
def test_bad_inputs_are_one_line(run_cli, write_json, tokens, needle):
    one_line_error(run_cli("compute", "induction-heads", "--inputs", write_json({"tokens": tokens})), needle)


def test_weights_folder_names_only_shipped_models():
    with pytest.raises(InputError, match="unknown model folder"):
        R.build({"folder": "../../etc"}, {"tokens": ["A", "B"]})
