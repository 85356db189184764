"""word2vec (skip-gram, negative sampling): the loss and gradients against plain-float hand derivations and
central differences, the optimiser steps, the worked update against real training, what the shipped preset
learns (measured independently from the learned matrix), the one-hot contrast, PCA against an independent
eigen-decomposition, the corpus grammar, and bad input."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from gatelab.engines import presets, registry, word2vec
from gatelab.engines.errors import InputError


@pytest.fixture(scope="module")
def toy():
    return registry.compute("word2vec").trace


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# --------------------------------------------------------------------------- loss and gradients

def test_one_pair_by_hand():
    """L = -log sigma(u_o.v_c) - sum_j log sigma(-u_nj.v_c) and its gradients, in plain floats."""
    V = np.array([[0.5, -1.0], [0.2, 0.3], [1.0, 0.0]])
    U = np.array([[0.1, 0.4], [-0.7, 0.2], [0.3, -0.5]])
    w = word2vec.worked_update(V, U, 0, 1, np.array([2, 0]), 0.1, "test", 1)
    v, uo, n1, n2 = [0.5, -1.0], [-0.7, 0.2], [0.3, -0.5], [0.1, 0.4]
    dot = lambda a, b: a[0] * b[0] + a[1] * b[1]
    s = [dot(uo, v), dot(n1, v), dot(n2, v)]
    assert w.s.tolist() == pytest.approx(s, abs=1e-15)
    assert w.sig.tolist() == pytest.approx([_sig(x) for x in s], abs=1e-15)
    assert w.loss == pytest.approx(-math.log(_sig(s[0])) - math.log(_sig(-s[1])) - math.log(_sig(-s[2])), abs=1e-14)
    g = [_sig(s[0]) - 1, _sig(s[1]), _sig(s[2])]
    gv = [g[0] * uo[i] + g[1] * n1[i] + g[2] * n2[i] for i in range(2)]
    assert w.grad_v.tolist() == pytest.approx(gv, abs=1e-15)
    assert w.grad_u[0].tolist() == pytest.approx([g[0] * x for x in v], abs=1e-15)
    assert w.grad_u[1].tolist() == pytest.approx([g[1] * x for x in v], abs=1e-15)
    # the centre word 0 is also negative n_2: u_0 gets sigma(s_2) v_c
    assert w.grad_u[2].tolist() == pytest.approx([g[2] * x for x in v], abs=1e-15)
    assert w.v_new.tolist() == pytest.approx([v[i] - 0.1 * gv[i] for i in range(2)], abs=1e-15)
    assert w.loss_after < w.loss


def _fd(f, P, eps=1e-6):
    num = np.zeros_like(P)
    for idx in np.ndindex(P.shape):
        up, dn = P.copy(), P.copy()
        up[idx] += eps
        dn[idx] -= eps
        num[idx] = (f(up) - f(dn)) / (2 * eps)
    return num


def test_batch_gradients_by_central_differences():
    """Repeated centres, a negative equal to the context and to the centre: every gradient summed right."""
    rng = np.random.default_rng(5)
    V, U = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    centres, contexts = np.array([0, 2, 0, 5]), np.array([1, 3, 4, 5])
    negs = np.array([[1, 2, 0], [4, 4, 3], [0, 5, 2], [5, 1, 1]])
    loss, gV, gU, _ = word2vec.sgns_grads(V, U, centres, contexts, negs)
    assert np.allclose(gV, _fd(lambda M: word2vec.sgns_grads(M, U, centres, contexts, negs)[0], V), atol=1e-8)
    assert np.allclose(gU, _fd(lambda M: word2vec.sgns_grads(V, M, centres, contexts, negs)[0], U), atol=1e-8)
    per = [-math.log(_sig(U[o] @ V[c])) - sum(math.log(_sig(-(U[j] @ V[c]))) for j in n)
           for c, o, n in zip(centres, contexts, negs)]
    assert loss == pytest.approx(sum(per) / 4, abs=1e-13)


def test_worked_gradients_by_central_differences(toy):
    for w in toy.worked:
        c, targets = w.centre, [w.context, *w.negatives]

        def pair_loss(v, u):
            return -math.log(_sig(u[0] @ v)) - sum(math.log(_sig(-(u[r] @ v))) for r in range(1, len(u)))
        assert np.allclose(w.grad_v, _fd(lambda v: pair_loss(v, w.u), np.array(w.v)), atol=1e-8)
        if len(set(targets)) == len(targets):       # distinct rows: each grad_u row is that row's gradient
            assert np.allclose(w.grad_u, _fd(lambda u: pair_loss(w.v, u), np.array(w.u)), atol=1e-8)
        assert toy.vocab[c] and w.loss_after < w.loss


def test_sgd_with_one_pair_per_step_makes_the_worked_update():
    """With --optimizer sgd and one pair, one epoch of training IS the worked update."""
    rng = np.random.default_rng(0)
    V0, U0 = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    noise = np.full(4, 0.25)
    V, U, losses, loss0, worked = word2vec.train(V0, U0, np.array([[1, 2]]), noise, np.random.default_rng(3),
                                                 negatives=2, epochs=1, lr=0.3, optimizer="sgd", batch_size=1)
    w = worked[0]
    assert np.allclose(V[1], w.v_new, atol=1e-15) and np.allclose(U[[2, *w.negatives]], w.u_new, atol=1e-15)
    assert losses.tolist() == pytest.approx([w.loss]) and loss0 == pytest.approx(w.loss)
    assert np.array_equal(np.delete(V, 1, axis=0), np.delete(V0, 1, axis=0))   # other centre rows untouched


def test_adam_step_against_the_textbook_rule():
    p, state = {"a": np.array([1.0])}, {}
    m = v = 0.0
    x = 1.0
    for t, g in enumerate([0.5, -0.2, 0.1], start=1):
        p, state = word2vec.adam_step(p, {"a": np.array([g])}, state, 0.01)
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        x -= 0.01 * (m / (1 - 0.9 ** t)) / (math.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        assert p["a"][0] == pytest.approx(x, abs=1e-15)
    assert word2vec.sgd_step({"a": np.array([1.0])}, {"a": np.array([2.0])}, {}, 0.1)[0]["a"][0] == pytest.approx(0.8)


# --------------------------------------------------------------------------- what the preset learns

def _groups_of(tr):
    return {w: g for g, ws in tr.groups.items() for w in ws}


def test_each_grouped_word_has_a_nearest_neighbour_of_its_own_group(toy):
    """Recomputed from V alone with numpy: cosine similarity, nearest other word."""
    V = np.array(toy.V)
    Vn = V / np.linalg.norm(V, axis=1, keepdims=True)
    cos = Vn @ Vn.T
    np.fill_diagonal(cos, -np.inf)
    group = _groups_of(toy)
    assert sorted(group) == sorted(["cat", "dog", "horse", "cow", "apple", "bread", "cheese", "rice",
                                    "red", "green", "blue", "yellow"])
    for w, g in group.items():
        i = toy.vocab.index(w)
        nearest = toy.vocab[int(np.argmax(cos[i]))]
        assert group.get(nearest) == g, (w, nearest)
        assert toy.vocab[int(toy.neighbours[i][0])] == nearest
    assert toy.neighbour_accuracy == 1.0 and set(toy.group_accuracy.values()) == {1.0}
    assert toy.cos_within > 0.85 and toy.cos_between < 0.35            # printed by `compute`: 0.929, 0.246
    assert toy.loss[-1] < toy.loss_init - 1.0                          # 3.47 -> 1.81


def test_untrained_vectors_do_not_group_words():
    tr = registry.compute("word2vec", options={"epochs": 0}).trace
    assert len(tr.loss) == 0 and len(tr.worked) == 1
    assert tr.neighbour_accuracy < 0.5 and abs(tr.cos_within - tr.cos_between) < 0.2


def test_one_hot_vectors_are_orthogonal_and_select_rows(toy):
    n = len(toy.vocab)
    X = np.array(toy.one_hot)
    assert np.array_equal(X, np.eye(n))
    off = np.array(toy.one_hot_cos)[~np.eye(n, dtype=bool)]
    assert off.size == n * (n - 1) and np.all(off == 0.0)
    assert np.array_equal(X @ toy.V, toy.V)                            # x_w^T V = row w of V


def test_pca_matches_an_eigen_decomposition_of_the_covariance(toy):
    X = np.array(toy.V) - np.array(toy.V).mean(axis=0)
    evals, evecs = np.linalg.eigh(X.T @ X)
    order = np.argsort(evals)[::-1]
    evals, evecs = evals[order], evecs[:, order]
    assert toy.explained_variance_ratio.tolist() == pytest.approx((evals / evals.sum()).tolist(), abs=1e-10)
    for k in range(2):
        proj = X @ evecs[:, k]
        sign = np.sign(proj @ toy.pca[:, k])
        assert np.allclose(toy.pca[:, k], sign * proj, atol=1e-10)
    assert sum(toy.explained_variance_ratio) == pytest.approx(1.0)


def test_corpus_comes_from_the_grammar(toy):
    g = presets.load("word2vec-toy").inputs["grammar"]
    pats = [re.compile("^" + re.sub(r"\\\{(\w+)\\\}", lambda m: "(" + "|".join(g["slots"][m.group(1)]) + ")",
                                     re.escape(t)) + "$") for t in g["templates"]]
    assert len(toy.sentences) == 80 and all(any(p.match(s) for p in pats) for s in toy.sentences)
    assert len(toy.tokens) == sum(len(s.split()) for s in toy.sentences)
    # every grouped word occurs, and the noise distribution is unigram^0.75
    counts = np.array(toy.counts, float)
    assert np.allclose(toy.noise, counts ** 0.75 / (counts ** 0.75).sum())


def test_deterministic_round_trip_and_read_only(toy):
    again = registry.compute("word2vec").trace
    assert again.digest() == toy.digest()
    assert word2vec.Word2VecTrace.from_dict(toy.to_dict()).digest() == toy.digest()
    with pytest.raises(ValueError):
        toy.V[0, 0] = 1.0


def test_a_seeded_corpus_also_learns_the_groups():
    tr = registry.compute("word2vec", registry.Source(seed=1)).trace
    assert tr.sentences != registry.compute("word2vec", options={"epochs": 0}).trace.sentences
    assert tr.neighbour_accuracy >= 0.75


def test_own_corpus_with_groups():
    tr = word2vec.build({"seed": 2}, {"corpus": ["the cat eats", "the dog eats", "a red apple", "a green apple"] * 5,
                                      "groups": {"pets": ["Cat", "dog"]}}, dim=2, epochs=5)
    assert tr.vocab[:3] == ("the", "cat", "eats") and tr.group_of[tr.vocab.index("dog")] == "pets"
    assert tr.V.shape == (len(tr.vocab), 2)


# --------------------------------------------------------------------------- bad input

TOY = {"corpus": ["the cat eats", "the dog eats"]}


@pytest.mark.parametrize("weights, inputs, options, needle", [
    ({"seed": 0}, TOY, {"dim": 9}, "--dim 9 is larger than the vocabulary (4 words)"),
    ({"seed": 0}, TOY, {"dim": 1}, "--dim must be an integer in 2.."),
    ({"seed": 0}, {"corpus": []}, {}, "the corpus is empty"),
    ({"seed": 0}, {"corpus": ["  ", ""]}, {}, "the corpus is empty"),
    ({"seed": 0}, {"corpsu": ["a b"]}, {}, "did you mean 'corpus'"),
    ({"sed": 0}, TOY, {}, "did you mean 'seed'"),
    ({"seed": 0}, {**TOY, "groups": {"animal": ["cat", "zebra"]}}, {"dim": 2}, "unknown word 'zebra'"),
    ({"seed": 0}, {"corpus": ["cat", "dog"]}, {"dim": 2}, "no (centre, context) pairs"),
    ({"seed": 0}, TOY, {"dim": 2, "negatives": 0}, "--negatives must be an integer in 1..50"),
    ({"seed": 0}, {"grammar": {"slots": {"a": ["x"]}, "templates": ["{b} y"]}}, {}, "slot {b}"),
])
def test_bad_input_is_one_input_error(weights, inputs, options, needle):
    with pytest.raises(InputError) as e:
        word2vec.build(weights, inputs, **options)
    assert needle in str(e.value) and "\n" not in str(e.value)
