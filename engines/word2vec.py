"""word2vec: skip-gram with negative sampling (Mikolov et al. 2013), trained in numpy on a toy corpus.

A word enters as a one-hot vector x_w (all zeros but a 1 at the word's index); multiplying it
by the embedding matrix V selects one row, the word's dense vector v_w = x_w^T V. One-hot
vectors of different words are orthogonal (every cosine similarity is 0): they say nothing
about which words are alike. Skip-gram learns V so that words used in the same contexts get
similar vectors.

Notation
--------
    n          vocabulary size (words in order of first appearance in the corpus)
    d          embedding dimension (option ``dim``; 2 <= d <= n)
    x_w        one-hot vector of word w                                  [n]
    V          input (centre) embeddings, row v_w = x_w^T V               [n, d]
    U          output (context) embeddings, row u_w                       [n, d]
    (c, o)     a training pair: centre word c, context word o within ``window`` words of c
               in the same sentence
    k          negatives per pair (option ``negatives``), drawn from P_n
    P_n(w)     noise distribution, count(w)^0.75 / sum_w' count(w')^0.75
    sigma      the logistic sigmoid

Equations
---------
    s_0 = u_o . v_c,  s_j = u_{n_j} . v_c  (j = 1..k, n_j ~ P_n)
    L(c, o) = -log sigma(s_0) - sum_j log sigma(-s_j)
    dL/ds_0 = sigma(s_0) - 1,   dL/ds_j = sigma(s_j)
    dL/dv_c = (sigma(s_0) - 1) u_o + sum_j sigma(s_j) u_{n_j}
    dL/du_o = (sigma(s_0) - 1) v_c,   dL/du_{n_j} = sigma(s_j) v_c   (summed if a word repeats)
    A batch of B pairs minimises the mean of L over the pairs.

    Optimisers (a small step function, ``STEPS``): SGD  theta <- theta - lr g;
    Adam m <- b1 m + (1-b1) g, v <- b2 v + (1-b2) g^2, theta <- theta - lr m^/(sqrt(v^) + 1e-8).

    Analysis of the learned V: cosine similarity cos(a, b) = v_a . v_b / (|v_a| |v_b|); the
    nearest neighbours of each word; ``neighbour_accuracy`` = share of grouped words whose
    nearest neighbour (among all other words) is in the same group; PCA: the SVD of the
    centred matrix V - mean(V) = P S Q^T, 2-D coordinates (V - mean) Q[:, :2], explained
    variance ratio S_i^2 / sum S^2 (each component's sign: its largest loading is positive).

Weights (the recipe: a word2vec's numbers are trained): ``{"seed": 0}`` seeds the initial
V, U ~ N(0, 0.5^2/d), the shuffling and the negatives. Inputs: ``{"corpus": ["the cat eats", ...],
"groups": {"animal": ["cat", ...], ...}}`` or a grammar the corpus is generated from,
``{"grammar": {"slots": {"animal": [...], ...}, "templates": ["the {animal} eats", ...]},
"n_sentences": 80, "corpus_seed": 0}`` (its slots are the groups). Words are split on
whitespace and lower-cased.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping

import numpy as np

from ._embedding import cosine_matrix, group_scores, nearest, pca2
from ._numerics import sigmoid
from .errors import InputError
from .trace import Array, IntArray, Record

WEIGHT_KEYS = ("seed",)
INPUT_KEYS = ("corpus", "groups", "grammar", "n_sentences", "corpus_seed")
GRAMMAR_KEYS = ("slots", "templates")
DEFAULTS = dict(dim=6, window=2, negatives=4, epochs=30, lr=0.05, optimizer="adam", batch_size=32)
MAX_TOKENS, MAX_VOCAB, MAX_UPDATES = 20000, 300, 200000
N_NEIGHBOURS = 5
_SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _refuse_unknown(keys, valid: tuple[str, ...], what: str) -> None:
    """A key not in ``valid`` is a one-line error naming the closest valid one (the shared wording)."""
    from .io import check_keys

    check_keys(keys, valid, what, 'word2vec' if what.endswith("weight") else None)


def unknown_word(word: str, vocab: tuple[str, ...], where: str) -> InputError:
    """The one-line error for a word that is not in the vocabulary (with the closest word)."""
    close = difflib.get_close_matches(str(word), list(vocab), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else f"; the vocabulary is: {', '.join(vocab[:12])}" + \
        (", ..." if len(vocab) > 12 else "")
    return InputError(f"unknown word {word!r} in {where}{hint}")


# --------------------------------------------------------------------------- trace

@dataclass(frozen=True)
class Worked(Record):
    """One training pair's update, with every number of the equations."""
    label: str                    # which update this is
    epoch: int                    # 1-based
    centre: int                   # c
    context: int                  # o
    negatives: IntArray           # [k] n_j
    v: Array                      # [d] v_c
    u: Array                      # [1 + k, d] rows u_o, u_{n_1}, ..., u_{n_k}
    s: Array                      # [1 + k] s_0, s_1..s_k
    sig: Array                    # [1 + k] sigma(s)
    labels: Array                 # [1 + k] 1, 0, ..., 0
    ds: Array                     # [1 + k] dL/ds = sigma(s) - label
    loss: float                   # L(c, o)
    grad_v: Array                 # [d] dL/dv_c
    grad_u: Array                 # [1 + k, d] dL/du per row of u
    lr: float
    v_new: Array                  # [d] v_c - lr dL/dv_c (a plain SGD step on this pair alone)
    u_new: Array                  # [1 + k, d] rows after the same step (repeated words: summed gradient)
    loss_after: float             # L(c, o) with the stepped vectors and the same negatives


@dataclass(frozen=True)
class Word2VecTrace(Record):
    kind: ClassVar[str] = "word2vec"
    vocab: tuple[str, ...]        # [n]
    counts: IntArray              # [n]
    noise: Array                  # [n] P_n
    groups: dict                  # {group: [word, ...]} (only words of the vocabulary)
    group_of: tuple[str, ...]     # [n] each word's group ("" for none)
    sentences: tuple[str, ...]
    tokens: IntArray              # [N] the corpus as word indices
    one_hot: Array                # [n, n] row w = x_w
    one_hot_cos: Array            # [n, n] cosine similarities of the one-hot vectors (the identity)
    settings: dict                # dim, window, negatives, epochs, lr, optimizer, batch_size, seed
    n_pairs: int                  # (centre, context) pairs per epoch
    V_init: Array                 # [n, d]
    U_init: Array                 # [n, d]
    V: Array                      # [n, d] learned embeddings (rows v_w)
    U: Array                      # [n, d] learned context vectors (rows u_w)
    loss: Array                   # [epochs] mean L over each epoch's pairs (before each update)
    loss_init: float              # mean L over epoch 1's pairs at the initial weights
    cos: Array                    # [n, n] cosine similarity of the rows of V
    neighbours: IntArray          # [n, K] nearest other words, most similar first
    neighbour_cos: Array          # [n, K]
    neighbour_accuracy: float | None    # share of grouped words whose nearest neighbour shares the group
    group_accuracy: dict          # {group: share}
    cos_within: float | None      # mean cosine between different words of one group
    cos_between: float | None     # mean cosine between words of different groups
    pca: Array                    # [n, 2] 2-D coordinates
    pca_components: Array         # [2, d]
    explained_variance_ratio: Array     # [min(n, d)]
    worked: tuple[Worked, ...]    # the first update, and the first update of the last epoch


# --------------------------------------------------------------------------- corpus

def _words(sentence: Any, i: int) -> list[str]:
    if not isinstance(sentence, str):
        raise InputError(f"corpus sentence {i + 1} is a {type(sentence).__name__}, expected a string of words")
    return sentence.lower().split()


def _generate(grammar: Any, n_sentences: Any, seed: Any) -> tuple[list[str], dict]:
    """Sentences from ``templates`` with each ``{slot}`` filled uniformly; a seeded, reproducible corpus."""
    if not isinstance(grammar, Mapping):
        raise InputError('grammar must be an object {"slots": {...}, "templates": [...]}')
    _refuse_unknown(grammar, GRAMMAR_KEYS, "grammar key")
    slots, templates = grammar.get("slots"), grammar.get("templates")
    if not isinstance(slots, Mapping) or not isinstance(templates, list) or not templates:
        raise InputError('grammar needs "slots" {name: [words]} and a non-empty list of "templates"')
    for name, words in slots.items():
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.split() == [w] for w in words):
            raise InputError(f"grammar slot {name!r} must be a non-empty list of single words")
    for t in templates:
        for name in _SLOT.findall(str(t)):
            if name not in slots:
                raise InputError(f"template {t!r} uses slot {{{name}}}, which the grammar does not define")
    if not isinstance(n_sentences, int) or isinstance(n_sentences, bool) or not 1 <= n_sentences <= 5000:
        raise InputError(f"n_sentences must be an integer in 1..5000, got {n_sentences!r}")
    rng = np.random.default_rng(int(seed))
    out = []
    for _ in range(n_sentences):
        t = str(templates[int(rng.integers(len(templates)))])
        out.append(_SLOT.sub(lambda m: slots[m.group(1)][int(rng.integers(len(slots[m.group(1)])))], t))
    return out, {k: [w.lower() for w in v] for k, v in slots.items()}


def corpus(inputs: Mapping[str, Any]) -> tuple[list[str], list[list[str]], dict]:
    """Validated sentences, their words, and the groups (``{}`` when none are given)."""
    if not isinstance(inputs, Mapping):
        raise InputError('inputs must be an object like {"corpus": ["the cat eats", ...]}')
    _refuse_unknown(inputs, INPUT_KEYS, "input key")
    if "grammar" in inputs and "corpus" in inputs:
        raise InputError('give either "corpus" (sentences) or "grammar" (to generate them), not both')
    if "grammar" in inputs:
        sentences, groups = _generate(inputs["grammar"], inputs.get("n_sentences", 80), inputs.get("corpus_seed", 0))
        groups = inputs.get("groups", groups)
    elif "corpus" in inputs:
        sentences = inputs["corpus"]
        if isinstance(sentences, str):
            sentences = [s for s in re.split(r"[.\n]+", sentences)]
        if not isinstance(sentences, list):
            raise InputError('"corpus" must be a list of sentences (strings)')
        groups = inputs.get("groups", {})
    else:
        raise InputError('inputs have no "corpus"; expected {"corpus": ["the cat eats", ...]} or a "grammar"')
    words = [w for w in (_words(s, i) for i, s in enumerate(sentences)) if w]
    if not words:
        raise InputError("the corpus is empty: it has no words; expected sentences like \"the cat eats\"")
    if sum(map(len, words)) > MAX_TOKENS:
        raise InputError(f"the corpus has {sum(map(len, words))} words; this toy trainer takes at most {MAX_TOKENS}")
    if not isinstance(groups, Mapping) or not all(isinstance(v, list) for v in groups.values()):
        raise InputError('"groups" must be an object {group: [word, ...]}')
    return [" ".join(w) for w in words], words, {str(k): [str(w).lower() for w in v] for k, v in groups.items()}


def vocabulary(words: list[list[str]]) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Words in order of first appearance, their counts, and the corpus as indices."""
    index: dict[str, int] = {}
    for s in words:
        for w in s:
            index.setdefault(w, len(index))
    tokens = np.array([index[w] for s in words for w in s], dtype=np.int64)          # [N]
    counts = np.bincount(tokens, minlength=len(index)).astype(np.int64)               # [n]
    return tuple(index), counts, tokens


def pairs(words: list[list[str]], vocab: tuple[str, ...], window: int) -> np.ndarray:
    """Every (centre, context) pair within ``window`` words, sentence by sentence: [P, 2]."""
    index = {w: i for i, w in enumerate(vocab)}
    out = []
    for s in words:
        ids = [index[w] for w in s]
        for i, c in enumerate(ids):
            for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                if j != i:
                    out.append((c, ids[j]))
    return np.array(out, dtype=np.int64).reshape(-1, 2)


# --------------------------------------------------------------------------- loss, gradients, optimisers

def sgns_grads(V: np.ndarray, U: np.ndarray, centres: np.ndarray, contexts: np.ndarray,
               negatives: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, dict]:
    """Mean skip-gram negative-sampling loss of a batch and its gradients dL/dV, dL/dU ([n, d] each).

    ``centres``, ``contexts``: [B]; ``negatives``: [B, k]. Also returns the per-pair pieces."""
    B = centres.shape[0]
    targets = np.concatenate([contexts[:, None], negatives], axis=1)       # [B, 1 + k]
    labels = np.zeros(targets.shape)
    labels[:, 0] = 1.0
    v = V[centres]                                                          # [B, d]
    u = U[targets]                                                          # [B, 1 + k, d]
    s = np.einsum("bkd,bd->bk", u, v)                                       # [B, 1 + k]
    sig = sigmoid(s)
    # -log sigma(s) for positives, -log sigma(-s) for negatives, stably: softplus(-+s)
    sign = np.where(labels == 1.0, -1.0, 1.0)
    per_pair = np.sum(np.logaddexp(0.0, sign * s), axis=1)                  # [B]
    ds = (sig - labels) / B                                                 # [B, 1 + k] d(mean L)/ds
    gV, gU = np.zeros_like(V), np.zeros_like(U)
    np.add.at(gV, centres, np.einsum("bk,bkd->bd", ds, u))                  # [B, d] into [n, d]
    np.add.at(gU, targets, ds[:, :, None] * v[:, None, :])                  # [B, 1 + k, d] into [n, d]
    parts = dict(v=v, u=u, s=s, sig=sig, labels=labels, per_pair=per_pair)
    return float(per_pair.mean()), gV, gU, parts


def sgd_step(params: dict, grads: dict, state: dict, lr: float) -> tuple[dict, dict]:
    return {k: params[k] - lr * grads[k] for k in params}, state


def adam_step(params: dict, grads: dict, state: dict, lr: float, b1: float = 0.9, b2: float = 0.999,
              eps: float = 1e-8) -> tuple[dict, dict]:
    t = state.get("t", 0) + 1
    m = {k: b1 * state.get("m", {}).get(k, 0.0) + (1 - b1) * grads[k] for k in params}
    v = {k: b2 * state.get("v", {}).get(k, 0.0) + (1 - b2) * grads[k] ** 2 for k in params}
    new = {k: params[k] - lr * (m[k] / (1 - b1 ** t)) / (np.sqrt(v[k] / (1 - b2 ** t)) + eps) for k in params}
    return new, {"t": t, "m": m, "v": v}


# Swappable: any ``step(params, grads, state, lr) -> (params, state)`` works here.
STEPS: dict[str, Callable[..., tuple[dict, dict]]] = {"sgd": sgd_step, "adam": adam_step}


def worked_update(V: np.ndarray, U: np.ndarray, c: int, o: int, negs: np.ndarray, lr: float,
                  label: str, epoch: int) -> Worked:
    """One pair's loss, gradients and a plain SGD step on that pair alone."""
    c_, o_, n_ = np.array([c]), np.array([o]), negs[None, :]
    loss, gV, gU, p = sgns_grads(V, U, c_, o_, n_)
    targets = np.concatenate([[o], negs])                                   # [1 + k]
    V2, U2 = V - lr * gV, U - lr * gU
    after, _, _, _ = sgns_grads(V2, U2, c_, o_, n_)
    return Worked(label=label, epoch=epoch, centre=int(c), context=int(o), negatives=negs, v=p["v"][0], u=p["u"][0],
                  s=p["s"][0], sig=p["sig"][0], labels=p["labels"][0], ds=p["sig"][0] - p["labels"][0], loss=loss,
                  grad_v=gV[c], grad_u=gU[targets], lr=lr, v_new=V2[c], u_new=U2[targets], loss_after=after)


def train(V: np.ndarray, U: np.ndarray, P: np.ndarray, noise: np.ndarray, rng: np.random.Generator, *,
          negatives: int, epochs: int, lr: float, optimizer: str, batch_size: int):
    """Shuffled mini-batches of pairs, fresh negatives from ``noise`` each epoch.

    Returns V, U, the mean loss of each epoch, the mean loss of epoch 1's pairs at the initial
    weights, and the worked updates (the first one; the first of the last epoch)."""
    step = STEPS[optimizer]
    params, state = {"V": V, "U": U}, {}
    losses, worked, loss_init = [], [], 0.0
    for epoch in range(1, max(epochs, 1) + 1):
        order = rng.permutation(P.shape[0])
        negs = rng.choice(noise.shape[0], size=(P.shape[0], negatives), p=noise)   # [P, k]
        C, O = P[order, 0], P[order, 1]
        if epoch == 1:
            loss_init = sgns_grads(V, U, C, O, negs)[0]
        if epoch == 1 or epoch == epochs:
            label = "first update (initial weights)" if epoch == 1 else "first update of the last epoch"
            worked.append(worked_update(params["V"], params["U"], C[0], O[0], negs[0], lr, label, epoch))
        if epochs == 0:
            break
        total = 0.0
        for start in range(0, P.shape[0], batch_size):
            sl = slice(start, start + batch_size)
            loss, gV, gU, _ = sgns_grads(params["V"], params["U"], C[sl], O[sl], negs[sl])
            total += loss * len(C[sl])
            params, state = step(params, {"V": gV, "U": gU}, state, lr)
        losses.append(total / P.shape[0])
    return params["V"], params["U"], np.array(losses), loss_init, tuple(worked)


# --------------------------------------------------------------------------- protocol

def _int_option(name: str, v: Any, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
        raise InputError(f"--{name.replace('_', '-')} must be an integer in {lo}..{hi}, got {v!r}")
    return int(v)


def _settings(opts: dict, n: int, seed: int) -> dict:
    s = {**DEFAULTS, **{k: v for k, v in opts.items() if v is not None}}
    dim = _int_option("dim", s["dim"], 2, 10 ** 6)
    if dim > n:
        raise InputError(f"--dim {dim} is larger than the vocabulary ({n} words); expected 2..{n}: "
                         "an embedding wider than the one-hot vector it replaces compresses nothing")
    for name, lo, hi in (("window", 1, 20), ("negatives", 1, 50), ("epochs", 0, 5000), ("batch_size", 1, 100000)):
        s[name] = _int_option(name, s[name], lo, hi)
    lr = s["lr"]
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (0 < lr <= 10):
        raise InputError(f"--lr must be a number in (0, 10], got {lr!r}")
    if s["optimizer"] not in STEPS:
        raise InputError(f"--optimizer {s['optimizer']!r} is unknown for word2vec; expected one of: {', '.join(STEPS)}")
    return dict(dim=dim, window=s["window"], negatives=s["negatives"], epochs=s["epochs"], lr=float(lr),
                optimizer=s["optimizer"], batch_size=s["batch_size"], seed=seed)


def _seed(weights: Any) -> int:
    if not isinstance(weights, Mapping):
        raise InputError('weights for word2vec must be an object like {"seed": 0}')
    _refuse_unknown(weights, WEIGHT_KEYS, "weight")
    seed = weights.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"weights seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _groups(groups: dict, vocab: tuple[str, ...]) -> tuple[dict, tuple[str, ...]]:
    of = [""] * len(vocab)
    index = {w: i for i, w in enumerate(vocab)}
    for g, words in groups.items():
        for w in words:
            if w not in index:
                raise unknown_word(w, vocab, f"group {g!r} (it never occurs in the corpus)")
            if of[index[w]]:
                raise InputError(f"word {w!r} is in two groups, {of[index[w]]!r} and {g!r}; a word has one group")
            of[index[w]] = g
    return {g: list(ws) for g, ws in groups.items()}, tuple(of)


def build(weights: Mapping[str, Any], inputs: Mapping[str, Any], **options: Any) -> Word2VecTrace:
    """Validate the recipe and the corpus, train, and analyse the learned vectors."""
    seed = _seed(weights)
    sentences, words, groups = corpus(inputs)
    vocab, counts, tokens = vocabulary(words)
    n = len(vocab)
    if n < 2:
        raise InputError(f"the corpus has {n} distinct word; word2vec needs at least 2 (and a context to predict)")
    if n > MAX_VOCAB:
        raise InputError(f"the corpus has {n} distinct words; this toy trainer takes at most {MAX_VOCAB}")
    s = _settings(options, n, seed)
    groups, group_of = _groups(groups, vocab)
    P = pairs(words, vocab, s["window"])                                     # [P, 2]
    if P.shape[0] == 0:
        raise InputError("the corpus has no (centre, context) pairs: every sentence is a single word")
    if s["epochs"] * -(-P.shape[0] // s["batch_size"]) > MAX_UPDATES:
        raise InputError(f"{s['epochs']} epochs of {P.shape[0]} pairs in batches of {s['batch_size']} is more than "
                         f"{MAX_UPDATES} updates; use fewer epochs or a larger --batch-size")
    noise = counts.astype(np.float64) ** 0.75
    noise /= noise.sum()                                                     # [n]
    rng = np.random.default_rng(seed)
    scale = 0.5 / np.sqrt(s["dim"])
    V0 = scale * rng.standard_normal((n, s["dim"]))                          # [n, d]
    U0 = scale * rng.standard_normal((n, s["dim"]))                          # [n, d]
    V, U, losses, loss_init, worked = train(V0, U0, P, noise, rng, negatives=s["negatives"], epochs=s["epochs"],
                                            lr=s["lr"], optimizer=s["optimizer"], batch_size=s["batch_size"])
    cos = cosine_matrix(V)
    k = min(N_NEIGHBOURS, n - 1)
    idx, idx_cos = nearest(cos, k)
    coords, comps, ratio = pca2(V)
    eye = np.eye(n)                                                          # [n, n] one-hot rows
    return Word2VecTrace(
        vocab=vocab, counts=counts, noise=noise, groups=groups, group_of=group_of, sentences=tuple(sentences),
        tokens=tokens, one_hot=eye, one_hot_cos=cosine_matrix(eye), settings=s, n_pairs=int(P.shape[0]),
        V_init=V0, U_init=U0, V=V, U=U, loss=losses, loss_init=loss_init, cos=cos, neighbours=idx,
        neighbour_cos=idx_cos, **group_scores(cos, idx, group_of), pca=coords, pca_components=comps,
        explained_variance_ratio=ratio, worked=worked)


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int, **_options: Any) -> tuple[dict, dict]:
    """A fresh init seed and a fresh corpus from the word2vec-toy preset's grammar (sizes are not used)."""
    from . import presets

    inputs = dict(presets.load("word2vec-toy").inputs)
    inputs["corpus_seed"] = int(rng.integers(0, 2 ** 31 - 1))
    return {"seed": int(rng.integers(0, 2 ** 31 - 1))}, inputs


def word_index(trace: Word2VecTrace, word: str | None) -> int:
    """The index of ``word`` (default: the first word of the first group, else the first word)."""
    if word is None:
        grouped = [i for i, g in enumerate(trace.group_of) if g]
        return grouped[0] if grouped else 0
    w = str(word).lower()
    if w not in trace.vocab:
        raise unknown_word(word, trace.vocab, "--word")
    return trace.vocab.index(w)
