"""The ``induction-heads`` model as a GateLab engine: the trained tiny GPT-2 on one token sequence,
with its held-out head scores.

Notation and equations: :mod:`engines.induction`. The trace carries the tokens, every layer's and
head's attention ``A^l [H, T, T]`` on the input, the next-token probabilities at every position,
the earlier occurrence of each token (``earlier[t]``: the last s < t with x_s = x_t, or -1), one
worked induction step, and the held-out ``scores`` with the named heads (``head_labels``).

Weights (a preset's ``weights`` object) take one of two forms:

- ``{"folder": "induction-heads"}``: a model folder shipped with GateLab (GPT-2 layout, see
  :mod:`engines.induction_folder`); only shipped names are accepted, never a path;
- ``{"config": {...}, "task": {...}, "params": {name: array}}``: the same model given as data
  (``random`` returns this form: the untrained model, seeded).

Inputs: ``{"tokens": ["A", "B", ...]}`` (from the model's vocabulary, at most n_positions of them).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from . import induction as I
from . import induction_folder as F
from ._numerics import softmax
from .errors import InputError
from .io import ModelKeys, check_inputs, check_keys
from .trace import Array, IntArray, Record

MODEL_KEYS = ModelKeys(inputs=("tokens",), weights=("folder", "config", "task", "params"))
FOLDERS = (F.PRESET,)


@dataclass(frozen=True)
class InductionLayer(Record):
    layer: int                 # counted from 1
    attention: Array           # [H, T, T]


@dataclass(frozen=True)
class Prediction(Record):
    position: int              # t (0-based): the prediction of the token at t + 1
    token: str                 # x_t
    predicted: str             # argmax of p_t
    probability: float         # p_t(predicted)
    target: str | None         # x_{t+1} (None at the last position)
    p_target: float | None     # p_t(x_{t+1})


@dataclass(frozen=True)
class InductionStep(Record):
    query: int                 # t: a position whose token occurred before
    query_token: str
    earlier: int               # j: the earlier occurrence of x_t
    key: int                   # j + 1: the key right after it
    copied_token: str          # x_{j+1}
    previous_weight: float     # A^1[prev head][j+1, j]: the key's layer-1 look at its previous token
    attention_weight: float    # A^2[induction head][t, j+1]
    top_key: int               # argmax_s A^2[induction head][t, s]
    logit: float               # z_t(x_{j+1})
    probability: float         # p_t(x_{j+1})
    top_rival: str             # the most probable other token
    rival_logit: float


@dataclass(frozen=True)
class NamedHead(Record):
    job: str                   # "previous token" | "induction"
    layer: int                 # counted from 1
    head: int                  # counted from 1
    score: float               # held-out score (see engines.induction)
    control: float             # the same score of the untrained model


@dataclass(frozen=True)
class InductionTrace(Record):
    kind: ClassVar[str] = "induction-heads"
    tokens: tuple[str, ...]
    ids: IntArray              # [T]
    vocab: tuple[str, ...]
    config: dict               # GPT-2 sizes: n_layer, n_head, n_embd, n_positions, vocab_size
    layers: tuple[InductionLayer, ...]
    logits: Array              # [T, V]
    probs: Array               # [T, V]
    predictions: tuple[Prediction, ...]
    earlier: IntArray          # [T]
    step: InductionStep | None
    scores: dict
    head_labels: dict
    named_heads: tuple[NamedHead, ...]         # previous-token head, then induction head


def _model(weights: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], dict, dict]:
    check_keys(weights, MODEL_KEYS.weights, "weight", "induction-heads")
    if "folder" in weights:
        if weights["folder"] not in FOLDERS:
            raise InputError(f"unknown model folder {weights['folder']!r}; expected one of: {', '.join(FOLDERS)}")
        w, config, task = F.read(F.preset_dir())
    elif all(k in weights for k in ("config", "task", "params")):
        w, config, task = dict(weights["params"]), dict(weights["config"]), dict(weights["task"])
    else:
        raise InputError('induction-heads weights need {"folder": NAME} or {"config", "task", "params"}')
    s = I.shape_of(config)
    p = I.check_params({k.removeprefix("transformer."): v for k, v in w.items()}, s)
    return p, config, task


def _ids(inputs: Mapping[str, Any], vocab: list[str], positions: int) -> np.ndarray:
    check_inputs(inputs, MODEL_KEYS)
    toks = inputs.get("tokens")
    if not isinstance(toks, list) or len(toks) < 2 or not all(isinstance(t, str) for t in toks):
        raise InputError('inputs "tokens" must be a list of at least two token strings, e.g. ["A", "B", "A", "B"]')
    if len(toks) > positions:
        raise InputError(f"{len(toks)} tokens is longer than the model's {positions} positions; expected at most {positions}")
    bad = [t for t in toks if t not in vocab]
    if bad:
        raise InputError(f"token {bad[0]!r} is not in the vocabulary; expected one of: {' '.join(vocab)}")
    return np.array([vocab.index(t) for t in toks], dtype=np.int64)


def earlier_occurrences(ids: np.ndarray) -> np.ndarray:
    """earlier[t] = the last s < t with ids[s] == ids[t], else -1."""
    out = np.full(len(ids), -1, dtype=np.int64)
    seen: dict[int, int] = {}
    for t, i in enumerate(ids.tolist()):
        out[t] = seen.get(i, -1)
        seen[i] = t
    return out


def _step(ids, vocab, A, logits, probs, earlier, scores) -> InductionStep | None:
    """The first position whose token occurred before (and whose successor is not itself)."""
    cands = [t for t in range(len(ids)) if earlier[t] >= 0 and earlier[t] + 1 < t]
    if not cands:
        return None
    t = cands[len(cands) // 2]
    j = int(earlier[t])
    c = int(ids[j + 1])
    hp, hi = scores["previous_token"]["head"] - 1, scores["induction"]["head"] - 1
    rival = int(np.argmax(np.where(np.arange(len(vocab)) == c, -np.inf, logits[t])))
    return InductionStep(t, vocab[ids[t]], j, j + 1, vocab[c], float(A[0][hp, j + 1, j]), float(A[1][hi, t, j + 1]),
                         int(np.argmax(A[1][hi, t])), float(logits[t, c]), float(probs[t, c]), vocab[rival],
                         float(logits[t, rival]))


def build(weights: Mapping[str, Any], inputs: Mapping[str, Any], **options: Any) -> InductionTrace:
    if options:
        raise InputError(f"option --{next(iter(options)).replace('_', '-')} does not apply to model 'induction-heads'")
    p, config, task = _model(weights)
    s = I.shape_of(config)
    vocab = list(task["vocab"])
    ids = _ids(inputs, vocab, s.positions)
    logits, caches, _ = I.forward(p, ids[None], s)                     # [1, T, V]
    logits = logits[0]
    probs = softmax(logits)
    A = [c["A"][0] for c in caches]                                    # L x [H, T, T]
    preds = []
    for t in range(len(ids)):
        k = int(np.argmax(probs[t]))
        nxt = int(ids[t + 1]) if t + 1 < len(ids) else None
        preds.append(Prediction(t, vocab[ids[t]], vocab[k], float(probs[t, k]),
                                None if nxt is None else vocab[nxt], None if nxt is None else float(probs[t, nxt])))
    scores = I.evaluate(p, config, task)
    earlier = earlier_occurrences(ids)
    sizes = {k: config[k] for k in ("n_layer", "n_head", "n_embd", "n_positions", "vocab_size")}
    return InductionTrace(tuple(vocab[i] for i in ids), ids, tuple(vocab), sizes,
                          tuple(InductionLayer(i + 1, a) for i, a in enumerate(A)), logits, probs, tuple(preds),
                          earlier, _step(ids, vocab, A, logits, probs, earlier, scores), scores, I.head_labels(scores),
                          tuple(NamedHead(job, scores[n]["layer"], scores[n]["head"], scores[n]["score"],
                                          scores["control"][n]["score"])
                                for n, job in (("previous_token", "previous token"), ("induction", "induction"))))


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int, **options: Any):
    """The untrained model at the shipped preset's sizes (GPT-2 initialisation from ``rng``), on a
    repeated sequence of ``min(steps, n_positions // 2)`` tokens; ``hidden`` and ``input_size`` are unused."""
    _, config, task = F.read(F.preset_dir())
    s = I.shape_of(config)
    p = I.init_params(s, rng)
    half = max(2, min(int(steps), s.positions // 2))
    x = I.repeated_batch(rng, 1, half, s.vocab)[0]
    weights = {"config": config, "task": task, "params": p}
    return weights, {"tokens": [task["vocab"][i] for i in x]}
