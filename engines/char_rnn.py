"""Character-level language model (char-RNN): one-hot letters in, a softmax over the vocabulary out.

The recurrent cell is not rewritten here: each step runs the Elman engine (``engines/rnn.py``),
the LSTM engine (``engines/lstm.py``) or the GRU engine (``engines/gru.py``, textbook convention)
with a linear output layer, and their BPTT gives the gradients of the training loss.

Notation
--------
    K            vocabulary size: the text's sorted distinct characters (h, e, l, o -> e, h, l, o)
    H            hidden size
    c_1 .. c_N   the text's characters; T = N - 1 steps
    x_t          one-hot vector of the letter fed at step t                [K]
    h_t          hidden state (h_0 = 0; the LSTM also carries c_t, c_0 = 0)  [H]
    o_t          output scores V h_t + b_y                                  [K]
    p_t          softmax(o_t)                                               [K]
    V, b_y       output layer                                               [K, H], [K]
    cell weights Elman U [H, K], W [H, H], b_h [H];
                 LSTM W_f, W_i, W_C, W_o [H, H + K], b_f, b_i, b_C, b_o [H];
                 GRU  W_r, W_z, W_n [H, H + K], b_r, b_z, b_n [H]

Equations
---------
    h_t   = cell(x_t, h_{t-1})                 (Elman: tanh(U x_t + W h_{t-1} + b_h))
    o_t   = V h_t + b_y,   p_t = softmax(o_t)
    chosen letter  y^_t = argmax_k o_t[k]      (the winner of the scores)
    teacher forcing:  x_t = onehot(c_t)        (the true previous letter)
    free running:     x_1 = onehot(c_1),  x_t = onehot(y^_{t-1})  (the model's own prediction)
    loss (teacher forcing, the training loss):  L = - sum_t ln p_t[c_{t+1}]
    the same sum under free running is reported too: its letters were fed by the model itself,
    so it measures the exposure bias (states never seen in training).

Gradients
---------
    dL/do_t = p_t - onehot(c_{t+1}).  The cell engines' BPTT takes the squared-error loss
    1/2 sum_t ||o_t - r_t||^2, whose gradient is o_t - r_t; with r_t = o_t - (p_t - onehot(c_{t+1}))
    it is exactly dL/do_t, so their BPTT returns the cross-entropy gradients of every weight
    (checked against central finite differences in the tests).

Sampling
--------
    p_t^tau = softmax(o_t / tau) (``engines.activations.softmax_t``); letters drawn with
    ``np.random.default_rng([sample_seed, s])`` for sample s, fed back like free running.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from . import gru, lstm, rnn
from ._numerics import softmax
from .activations import softmax_t
from .errors import InputError
from .io import as_array, check_shape
from .trace import Array, Record

CELLS = ("rnn", "lstm", "gru")
CELL_KEYS = {"rnn": ("U", "W", "b_h"),
             "lstm": ("W_f", "W_i", "W_C", "W_o", "b_f", "b_i", "b_C", "b_o"),
             "gru": ("W_r", "W_z", "W_n", "b_r", "b_z", "b_n")}
OUT_KEYS = ("V", "b_y")
META_KEYS = ("vocab", "initial")          # the vocabulary, and the untrained weights kept beside the trained ones
INPUT_KEYS = ("text", "sample_seed")


# --------------------------------------------------------------------------- trace

@dataclass(frozen=True)
class CharStep(Record):
    t: int
    fed: str                      # the letter fed as x_t
    x: Array                      # [K] one-hot
    h: Array                      # [H] h_t
    c: Array | None               # [H] c_t (LSTM only)
    scores: Array                 # [K] o_t
    p: Array                      # [K] softmax(o_t)
    chosen: str                   # argmax letter
    chosen_index: int
    chosen_score: float           # o_t at the argmax
    target: str                   # the text's next letter c_{t+1}
    target_index: int
    target_score: float           # o_t at the target
    correct: bool                 # chosen == target
    p_target: float               # p_t[target]
    loss: float                   # -ln p_t[target]


@dataclass(frozen=True)
class Decoding(Record):
    mode: str                     # "teacher" | "free"
    steps: tuple[CharStep, ...]
    generated: str                # the chosen letters
    loss: float                   # sum_t -ln p_t[target] along this decoding
    first_wrong: int | None       # first step t whose chosen letter is not the target


@dataclass(frozen=True)
class SampleStep(Record):
    t: int
    fed: str
    p: Array                      # [K] softmax(o_t / tau)
    drawn: str
    drawn_index: int
    target: str


@dataclass(frozen=True)
class SampleRun(Record):
    index: int                    # s, 1-based
    steps: tuple[SampleStep, ...]
    generated: str
    first_wrong: int | None


@dataclass(frozen=True)
class CharRNNTrace(Record):
    kind: ClassVar[str] = "char-rnn"
    cell: str
    weights_set: str              # "trained" | "initial" (the untrained weights kept in the file)
    vocab: tuple[str, ...]
    text: str
    hidden: int
    decode: str                   # which decoding `generated` reports
    teacher: Decoding
    free: Decoding
    generated: str                # the chosen letters of `decode` (free running: from the first letter)
    loss: float                   # teacher-forcing cross-entropy (the training loss)
    loss_rule: str
    temperature: float
    sample_seed: int
    samples: tuple[SampleRun, ...]


# --------------------------------------------------------------------------- weights

def _refuse_unknown(keys, valid: tuple[str, ...], what: str) -> None:
    """A key not in ``valid`` is a one-line error naming the closest valid one (the shared wording)."""
    from .io import check_keys

    check_keys(keys, valid, what, 'char-rnn' if what.endswith("weight") else None)


def read_vocab(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(s, str) and len(s) == 1 for s in value):
        raise InputError('weights "vocab" must be a non-empty list of single characters, e.g. ["e", "h", "l", "o"]')
    if len(set(value)) != len(value):
        raise InputError(f"weights \"vocab\" repeats a character: {list(value)}; expected distinct characters")
    return tuple(value)


def arrays(weights: Mapping[str, Any], cell: str, K: int) -> dict[str, np.ndarray]:
    """The cell's and the output layer's arrays, checked against vocabulary size K."""
    names = CELL_KEYS[cell] + OUT_KEYS
    missing = [k for k in names if k not in weights]
    if missing:
        other = [c for c in CELLS if c != cell and all(k in weights for k in CELL_KEYS[c])]
        hint = f" (these look like --cell {other[0]} weights)" if other else ""
        raise InputError(f"char-rnn weights for --cell {cell} are missing {', '.join(missing)}{hint}")
    w = {k: as_array(k, weights[k]) for k in names}
    if w["V"].ndim != 2 or w["V"].shape[0] != K:
        raise InputError(f"V has shape {w['V'].shape}, expected ({K}, H) = (vocabulary, hidden)")
    H = w["V"].shape[1]
    check_shape("b_y", w["b_y"], (K,), "(vocabulary,)")
    if cell == "rnn":
        check_shape("U", w["U"], (H, K), "(hidden, vocabulary)")
        check_shape("W", w["W"], (H, H), "(hidden, hidden)")
        check_shape("b_h", w["b_h"], (H,), "(hidden,)")
    else:
        for k in CELL_KEYS[cell]:
            check_shape(k, w[k], (H, H + K) if k.startswith("W") else (H,),
                        "(hidden, hidden + vocabulary)" if k.startswith("W") else "(hidden,)")
    return w


def cell_params(cell: str, w: Mapping[str, np.ndarray]):
    """The cell engine's parameter object for the arrays ``w``."""
    if cell == "rnn":
        return rnn.Params.from_weights(w)
    if cell == "lstm":
        return lstm.LSTMParams.from_weights(dict(w), variant="standard")
    return gru.GRUParams.from_weights(dict(w), convention="textbook")


# --------------------------------------------------------------------------- one pass of a cell engine

def run_cell(cell: str, P, X: np.ndarray, state: dict | None, target: np.ndarray | None = None):
    """Run the cell engine over X [T, K] from ``state``; returns (hs [T, H], cs [T, H] | None,
    scores [T, K], last state, grads | None). ``target`` [T, K] gives the engine's BPTT grads."""
    H = P.hidden
    h0 = np.zeros(H) if state is None else state["h"]
    if cell == "rnn":
        tr = rnn.run(P, X, h0, activation="tanh", output="identity", target=target)
        hs = np.array([s.h for s in tr.steps])                        # [T, H]
        scores = np.array([s.o for s in tr.steps])                    # [T, K]
        grads = None if target is None else {k: np.array(getattr(tr.grads, k)) for k in CELL_KEYS["rnn"] + OUT_KEYS}
        return hs, None, scores, {"h": hs[-1]}, grads
    if cell == "lstm":
        c0 = np.zeros(H) if state is None else state["c"]
        tr = lstm.run(P, X, h0, c0, target, with_bptt=target is not None)
        hs = np.array(tr.outputs)
        cs = np.array([s.c for s in tr.steps])                        # [T, H]
        grads = None
        if target is not None:
            g = tr.bptt.runs[0]
            grads = {f"{k}_{n}": np.array(getattr(g, f"d{k}_{'g' if n == 'C' else n}"))
                     for k in ("W", "b") for n in ("f", "i", "C", "o")}
            grads.update(V=np.array(tr.bptt.dV), b_y=np.array(tr.bptt.db_y))
        return hs, cs, np.array(tr.ys), {"h": hs[-1], "c": cs[-1]}, grads
    tr = gru.run(P, X, h0, target)
    hs = np.array(tr.outputs)
    grads = None
    if target is not None:
        g = tr.bptt.runs[0]
        grads = {f"{k}_{n}": np.array(getattr(g, f"d{k}_{n}")) for k in ("W", "b") for n in ("r", "z", "n")}
        grads.update(V=np.array(tr.bptt.dV), b_y=np.array(tr.bptt.db_y))
    return hs, None, np.array(tr.ys), {"h": hs[-1]}, grads


def onehot(indices, K: int) -> np.ndarray:
    return np.eye(K)[np.asarray(indices, dtype=np.int64)]            # [T] -> [T, K]


def loss_and_grads(cell: str, w: Mapping[str, np.ndarray], ids: np.ndarray, K: int) -> tuple[float, dict]:
    """Teacher-forcing cross-entropy L = -sum_t ln p_t[c_{t+1}] of the id sequence and dL/d(every array)."""
    P = cell_params(cell, w)
    X, tgt = onehot(ids[:-1], K), ids[1:]                           # [T, K], [T]
    _, _, scores, _, _ = run_cell(cell, P, X, None)
    p = softmax(scores, axis=-1)                                     # [T, K]
    T = len(tgt)
    loss = -float(np.sum(np.log(p[np.arange(T), tgt])))
    surrogate = scores - (p - onehot(tgt, K))                        # o - r = p - onehot: the CE gradient
    _, _, _, _, grads = run_cell(cell, P, X, None, target=surrogate)
    return loss, grads


# --------------------------------------------------------------------------- decoding

def _step(t: int, fed: int, x, h, c, o, tgt: int, vocab) -> CharStep:
    p = softmax(o)
    k = int(np.argmax(o))
    return CharStep(t=t, fed=vocab[fed], x=x, h=h, c=c, scores=o, p=p, chosen=vocab[k], chosen_index=k,
                    chosen_score=float(o[k]), target=vocab[tgt], target_index=tgt, target_score=float(o[tgt]),
                    correct=k == tgt, p_target=float(p[tgt]), loss=-float(np.log(p[tgt])))


def _decoding(mode: str, steps: list[CharStep]) -> Decoding:
    wrong = [s.t for s in steps if not s.correct]
    return Decoding(mode=mode, steps=tuple(steps), generated="".join(s.chosen for s in steps),
                    loss=float(sum(s.loss for s in steps)), first_wrong=wrong[0] if wrong else None)


def teacher(cell: str, P, ids: np.ndarray, vocab) -> Decoding:
    K = len(vocab)
    X = onehot(ids[:-1], K)
    hs, cs, scores, _, _ = run_cell(cell, P, X, None)
    return _decoding("teacher", [_step(t + 1, int(ids[t]), X[t], hs[t], None if cs is None else cs[t], scores[t],
                                       int(ids[t + 1]), vocab) for t in range(len(ids) - 1)])


def free(cell: str, P, ids: np.ndarray, vocab) -> Decoding:
    """Feed the first letter, then each step's argmax; as many steps as teacher forcing."""
    K, state, fed, steps = len(vocab), None, int(ids[0]), []
    for t in range(len(ids) - 1):
        x = onehot([fed], K)                                         # [1, K]
        hs, cs, scores, state, _ = run_cell(cell, P, x, state)
        s = _step(t + 1, fed, x[0], hs[0], None if cs is None else cs[0], scores[0], int(ids[t + 1]), vocab)
        steps.append(s)
        fed = s.chosen_index
    return _decoding("free", steps)


def sample(cell: str, P, ids: np.ndarray, vocab, tau: float, seed: int, index: int) -> SampleRun:
    """Free running that draws each letter from softmax(o_t / tau) instead of taking the argmax."""
    rng = np.random.default_rng([seed, index])
    K, state, fed, steps = len(vocab), None, int(ids[0]), []
    for t in range(len(ids) - 1):
        _, _, scores, state, _ = run_cell(cell, P, onehot([fed], K), state)
        p = softmax_t(scores[0], tau)
        k = int(rng.choice(K, p=p))
        steps.append(SampleStep(t=t + 1, fed=vocab[fed], p=p, drawn=vocab[k], drawn_index=k,
                                target=vocab[int(ids[t + 1])]))
        fed = k
    wrong = [s.t for s in steps if s.drawn != s.target]
    return SampleRun(index=index, steps=tuple(steps), generated="".join(s.drawn for s in steps),
                     first_wrong=wrong[0] if wrong else None)


def encode(text: Any, vocab: tuple[str, ...]) -> np.ndarray:
    if not isinstance(text, str):
        raise InputError(f"text must be a string, got {type(text).__name__}")
    if text == "":
        raise InputError("text is empty; expected at least two characters (the first is fed, the rest are predicted)")
    if len(text) < 2:
        raise InputError(f"text {text!r} has one character; expected at least two (the first is fed, the rest are predicted)")
    bad = sorted(set(text) - set(vocab))
    if bad:
        raise InputError(f"text {text!r} has characters outside the vocabulary: {', '.join(map(repr, bad))}; "
                         f"expected only {', '.join(map(repr, vocab))}")
    return np.array([vocab.index(ch) for ch in text], dtype=np.int64)


# --------------------------------------------------------------------------- protocol

def build(weights: Mapping[str, Any], inputs: Mapping[str, Any], *, cell: str | None = None,
          decode: str | None = None, untrained: bool | None = None, text: str | None = None,
          temperature: float | None = None, samples: int | None = None) -> CharRNNTrace:
    """Run teacher forcing and free running (and ``samples`` sampled runs) on the text."""
    cell = cell or "rnn"
    if cell not in CELLS:
        raise InputError(f"--cell {cell!r} is unknown; expected one of: {', '.join(CELLS)}")
    decode = decode or "free"
    if decode not in ("teacher", "free"):
        raise InputError(f"--decode {decode!r} is unknown; expected teacher or free")
    if not isinstance(weights, Mapping):
        raise InputError(f"weights must be an object of named arrays, got {type(weights).__name__}")
    valid = CELL_KEYS[cell] + OUT_KEYS + META_KEYS
    for other in CELLS:
        if other != cell and all(k in weights for k in CELL_KEYS[other]) and CELL_KEYS[cell][0] not in weights:
            raise InputError(f"these are --cell {other} weights ({', '.join(CELL_KEYS[other])}) but --cell is {cell}; "
                             f"use --cell {other}")
    _refuse_unknown(weights, valid, "weight")
    if "vocab" not in weights:
        raise InputError('char-rnn weights have no "vocab"; expected a list of the characters, e.g. ["e", "h", "l", "o"]')
    vocab = read_vocab(weights["vocab"])
    source = weights
    if untrained:
        if not isinstance(weights.get("initial"), Mapping):
            raise InputError('--untrained needs the untrained weights kept under "initial" in the weights file')
        source = weights["initial"]
        _refuse_unknown(source, CELL_KEYS[cell] + OUT_KEYS, "initial weight")
    P = cell_params(cell, arrays(source, cell, len(vocab)))
    if not isinstance(inputs, Mapping):
        raise InputError('inputs must be an object like {"text": "hello"}')
    _refuse_unknown(inputs, INPUT_KEYS, "input key")
    raw = text if text is not None else inputs.get("text")
    if raw is None:
        raise InputError('char-rnn needs a text: inputs {"text": "hello"} or --text')
    ids = encode(raw, vocab)
    tau = 1.0 if temperature is None else float(temperature)
    if not (np.isfinite(tau) and tau > 0):
        raise InputError(f"--temperature must be a finite number > 0, got {tau}")
    n = 3 if samples is None else samples
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 100:
        raise InputError(f"--samples must be an integer from 0 to 100, got {n!r}")
    seed = inputs.get("sample_seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"sample_seed must be a non-negative integer, got {seed!r}")
    tf, fr = teacher(cell, P, ids, vocab), free(cell, P, ids, vocab)
    return CharRNNTrace(
        cell=cell, weights_set="initial" if untrained else "trained", vocab=vocab, text=raw, hidden=P.hidden,
        decode=decode, teacher=tf, free=fr, generated=(fr if decode == "free" else tf).generated, loss=tf.loss,
        loss_rule="L = -sum_t ln p_t[c_{t+1}] (teacher forcing: the true previous letter is fed)",
        temperature=tau, sample_seed=seed,
        samples=tuple(sample(cell, P, ids, vocab, tau, seed, s + 1) for s in range(n)))


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int, cell: str | None = None,
           text: str | None = None, **_options: Any) -> tuple[dict, dict]:
    """Train a fresh model on ``text`` (default "hello") from a seed drawn from ``rng``: the weights
    carry their untrained start under "initial". ``input_size`` and ``steps`` follow from the text."""
    from .char_rnn_train import Config, train

    text = "hello" if text is None else text
    cfg = Config(text=text, cell=cell or "rnn", hidden=int(hidden), seed=int(rng.integers(2 ** 31)))
    res = train(cfg)
    return res.weights_doc(), {"text": text}
