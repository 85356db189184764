"""Training of the ``induction-heads`` preset: a 2-layer GPT-2 learns to continue repeated sequences.

``python -m gatelab.engines.induction_train`` retrains (seeded, deterministic on one BLAS kernel)
and writes the folder ``engines/presets/induction-heads/``; ``--check`` retrains from the folder's
own configuration and compares the weights with the shipped ones; ``--steps N`` trains shorter
(the tests do), ``--out DIR`` writes elsewhere; ``--d-model``, ``--heads``, ``--positions``,
``--half`` change the sizes.

Task: a batch of sequences of ``length`` distinct random tokens in which a segment of ``N`` tokens
(``N`` cycling over ``train_halves``) starting at a random ``a`` appears again at a random
``b >= a + N``, so the second copy can only be predicted by finding the earlier occurrence of the
current token and copying its successor. Random starts and gaps mean no fixed positional offset
leads to the copy (a model that learns "look N-1 positions back" fails), which is what makes the
heads learn the content-based mechanism. Half the batches (``chunk_fraction``) are copied 2-letter
chunks instead (:func:`chunk_batch`), where only the current token locates the copy: that makes a
layer-1 head attend the previous token. Loss: mean next-token cross-entropy over the predictions of the
copyable tokens (:func:`loss_weight`; the random tokens are unpredictable and only add noise), by
:func:`engines.induction.loss_and_grads`. Optimiser: Adam (:class:`engines.optim.Adam`, beta1
0.9, beta2 0.999, eps 1e-8), no clipping. Initial weights: GPT-2's scheme with std ``init_std`` (N(0, 0.2^2), c_proj scaled by
1/sqrt(2 L)) from ``seed``; the batches come from the generator seeded ``[seed, 1]``; batches
that contain a held-out sequence drop it. Scores: :func:`engines.induction.evaluate`.
"""
from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from . import induction as I
from . import induction_folder as F
from . import optim
from .errors import InputError

LETTERS = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class Config:
    vocab: int = 24               # V: tokens are the first V capital letters
    d_model: int = 32
    heads: int = 4
    layers: int = 2
    positions: int = 24           # n_positions; training sequences use all of them
    train_halves: tuple[int, ...] = (4, 5, 6, 7, 8)
    half: int = 8                 # N of the held-out sequences (and of the example)
    batch: int = 32
    steps: int = 3000
    lr: float = 0.003
    seed: int = 0
    init_std: float = 0.2
    heldout_seed: int = 12345
    heldout_count: int = 256
    chunk_fraction: float = 0.5   # share of the batches of copied short chunks (:func:`chunk_batch`)
    chunk_lengths: tuple[int, ...] = (2,)
    chunk_first: int = 12         # distinct tokens the chunks are copied from

    def __post_init__(self) -> None:
        for n in ("vocab", "d_model", "heads", "positions", "half", "batch", "steps", "heldout_count"):
            v = getattr(self, n)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise InputError(f"--{n.replace('_', '-')} must be a positive integer, got {v!r}")
        if self.layers != 2:
            raise InputError(f"layers must be 2 (a previous-token layer, then an induction layer), got {self.layers!r}")
        if self.d_model % self.heads:
            raise InputError(f"--heads {self.heads} does not divide --d-model {self.d_model}; expected a divisor")
        if self.vocab > len(LETTERS) or self.vocab < 2:
            raise InputError(f"--vocab {self.vocab} is out of range; expected 2 .. {len(LETTERS)} (capital letters)")
        halves = tuple(self.train_halves) + (self.half,)
        if any(not isinstance(h, (int, np.integer)) or h < 2 for h in halves):
            raise InputError(f"half lengths must be integers >= 2, got {halves}")
        if 2 * max(halves) > self.positions:
            raise InputError(f"a repeated sequence of half length {max(halves)} needs {2 * max(halves)} positions; "
                             f"--positions is {self.positions}")
        if self.positions - min(halves) > self.vocab:
            raise InputError(f"--vocab {self.vocab} is too small: a sequence of {self.positions} tokens with a repeat of "
                             f"{min(halves)} needs {self.positions - min(halves)} distinct tokens")
        if not (0.0 <= self.chunk_fraction <= 1.0):
            raise InputError(f"chunk_fraction is {self.chunk_fraction!r}, expected a number in 0 .. 1")
        if not (2 <= self.chunk_first <= min(self.vocab, self.positions - 1)):
            raise InputError(f"chunk_first is {self.chunk_first!r}, expected 2 .. {min(self.vocab, self.positions - 1)}")
        if not self.chunk_lengths or any(not isinstance(c, (int, np.integer)) or not 2 <= c <= self.chunk_first
                                         for c in self.chunk_lengths):
            raise InputError(f"chunk_lengths are {self.chunk_lengths!r}, expected integers in 2 .. {self.chunk_first}")
        if not (np.isfinite(self.lr) and self.lr > 0 and np.isfinite(self.init_std) and self.init_std > 0):
            raise InputError(f"lr and init_std must be positive finite numbers, got {self.lr!r}, {self.init_std!r}")

    @property
    def tokens(self) -> list[str]:
        return list(LETTERS[: self.vocab])

    @property
    def shape(self) -> I.Shape:
        return I.Shape(self.vocab, self.d_model, self.heads, self.layers, self.positions)


@dataclass(frozen=True)
class Result:
    cfg: Config
    params: dict
    losses: np.ndarray
    seconds: float
    cpu_seconds: float
    scores: dict = field(default_factory=dict)


def task_doc(cfg: Config) -> dict[str, Any]:
    """The task part of ``gatelab-task.json`` (what :func:`engines.induction.evaluate` reads)."""
    return {"task": "repeat", "half": cfg.half, "vocab": cfg.tokens, "heldout_seed": cfg.heldout_seed,
            "heldout_count": cfg.heldout_count,
            "training": {**asdict(cfg), "train_halves": list(cfg.train_halves), "chunk_lengths": list(cfg.chunk_lengths)}}


def loss_weight(length: int, starts: np.ndarray, half: int) -> np.ndarray:
    """[B, length - 1]: 1 for the predictions of the copyable tokens (positions t = b .. b + half - 2 of a
    repeat starting at b predict x[t+1], whose previous token occurred before), 0 elsewhere (random
    tokens cannot be predicted)."""
    t = np.arange(length - 1)[None, :]
    b = np.asarray(starts)[:, None]
    return ((t >= b) & (t <= b + half - 2)).astype(np.float64)


def chunk_batch(rng: np.random.Generator, n: int, cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """(x [n, positions], loss weight [n, positions - 1]): ``chunk_first`` distinct random tokens, then
    chunks of ``chunk_lengths`` tokens copied from random places of that prefix, one after another.
    Inside a chunk the next token is the successor of the current token's earlier occurrence, while the
    token before the chunk is unrelated to the one before the copied place: only the current token
    locates the copy, so a layer-1 head must bring each key its previous token. The weight is 1 for
    the predictions inside a chunk, 0 elsewhere."""
    T, first = cfg.positions, cfg.chunk_first
    x = np.empty((n, T), dtype=np.int64)
    w = np.zeros((n, T - 1))
    for r in range(n):
        pool = rng.permutation(cfg.vocab)[:first]
        seq = list(pool)
        while len(seq) < T:
            c = int(rng.choice(cfg.chunk_lengths))
            j = int(rng.integers(0, first - c + 1))
            start = len(seq)
            seq += list(pool[j:j + c])
            w[r, start: min(start + c - 1, T - 1)] = 1.0
        x[r] = seq[:T]
    return x, w


def train(cfg: Config) -> Result:
    """Seeded Adam on the repeated-sequence task; deterministic bit for bit on one BLAS kernel."""
    s = cfg.shape
    p = I.init_params(s, np.random.default_rng(cfg.seed), cfg.init_std)
    keys = list(p)
    opt = optim.Adam(cfg.lr)
    rng = np.random.default_rng([cfg.seed, 1])
    held = {tuple(r) for r in I.heldout(task_doc(cfg))}
    losses = np.zeros(cfg.steps)
    t0, c0 = time.perf_counter(), time.process_time()
    for t in range(cfg.steps):
        if rng.random() < cfg.chunk_fraction:
            x, w = chunk_batch(rng, cfg.batch, cfg)
        else:
            half = cfg.train_halves[t % len(cfg.train_halves)]
            x, _, b = I.repeated_with_starts(rng, cfg.batch, half, cfg.vocab, cfg.positions)
            if half == cfg.half and 2 * half == cfg.positions:
                keep = [tuple(r) not in held for r in x]
                x, b = x[keep], b[keep]
            w = loss_weight(cfg.positions, b, half)
        losses[t], g = I.loss_and_grads(p, x, s, w)
        opt.step([p[k] for k in keys], [g[k] for k in keys])
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    config = F.gpt2_config(vocab=cfg.vocab, d=cfg.d_model, heads=cfg.heads, layers=cfg.layers, positions=cfg.positions)
    return Result(cfg, p, losses, seconds, cpu, I.evaluate(p, config, task_doc(cfg)))


def example(cfg: Config) -> list[str]:
    """The example input: the first held-out sequence, as tokens."""
    return [cfg.tokens[i] for i in I.heldout(task_doc(cfg))[0]]


def write_folder(res: Result, out: str) -> None:
    cfg = res.cfg
    task = task_doc(cfg)
    task["example"] = {"tokens": example(cfg)}
    task["results"] = {"scores": res.scores, "loss_first": float(res.losses[0]),
                       "loss_last_100": float(res.losses[-100:].mean()),
                       "loss_every_100": [round(float(v), 6) for v in res.losses[::100]]}
    config = F.gpt2_config(vocab=cfg.vocab, d=cfg.d_model, heads=cfg.heads, layers=cfg.layers, positions=cfg.positions)
    F.write(out, res.params, config, task)


def example_preset(res: Result) -> str:
    """The JSON preset ``induction-heads-example`` (the model folder on its example input)."""
    import json

    sc = res.scores
    doc = {
        "model": "induction-heads",
        "description": (f"tiny GPT-2 trained in numpy on repeated random letters: held-out accuracy on the repeated "
                        f"half {sc['accuracy_repeated']:.3f}, previous-token head L1H{sc['previous_token']['head']} "
                        f"{sc['previous_token']['score']:.2f}, induction head L2H{sc['induction']['head']} "
                        f"{sc['induction']['score']:.2f}"),
        "notes": (f"The weights are the GPT-2 model folder engines/presets/{F.PRESET}/ (config.json, model.safetensors, "
                  "tokenizer.json, gatelab-task.json), written with this file by python -m gatelab.engines.induction_train. "
                  + summary(sc) + "."),
        "weights": {"folder": F.PRESET},
        "inputs": {"tokens": example(res.cfg)},
    }
    return json.dumps(doc, indent=2) + "\n"


# Bit for bit on the same BLAS kernel; another kernel rounds matrix products differently and over
# thousands of Adam steps the weights drift (the seq2seq preset measured 2.1e-3), so --check accepts
# weight differences below this bound, with the held-out claims re-measured on the retrained model.
CHECK_ATOL = 1e-2


def compare(stored: dict, made: dict) -> tuple[str, bool]:
    if set(stored) != set(made):
        return f"DIFFERENT names: {sorted(set(stored) ^ set(made))[:3]}", False
    worst = 0.0
    for k in stored:
        if stored[k].shape != made[k].shape:
            return f"DIFFERENT shape of {k}: {stored[k].shape} vs {made[k].shape}", False
        worst = max(worst, float(np.max(np.abs(stored[k] - made[k]))))
    if worst == 0.0:
        return "identical", True
    if worst <= CHECK_ATOL:
        return f"within tolerance (max |dw| = {worst:.2e} <= {CHECK_ATOL:g}: different BLAS rounding)", True
    return f"DIFFERENT (max |dw| = {worst:.2e} > {CHECK_ATOL:g})", False


def summary(scores: dict) -> str:
    pt, ind, c = scores["previous_token"], scores["induction"], scores["control"]
    return (f"held-out accuracy on the repeated half {scores['accuracy_repeated']:.3f} "
            f"(first half {scores['accuracy_first_half']:.3f}, chance {scores['chance_first_half']:.3f}); "
            f"previous-token head L{pt['layer']}H{pt['head']} {pt['score']:.3f}; induction head "
            f"L{ind['layer']}H{ind['head']} {ind['score']:.3f}; untrained: {c['accuracy_repeated']:.3f}, "
            f"{c['previous_token']['score']:.3f}, {c['induction']['score']:.3f}")


def main(argv: list[str] | None = None) -> int:
    import argparse
    d = Config()
    ap = argparse.ArgumentParser(prog="python -m gatelab.engines.induction_train",
                                 description=f"Train the {F.PRESET} preset (deterministic).")
    ap.add_argument("--out", default=None, help="the folder to write (default: the shipped preset)")
    ap.add_argument("--check", action="store_true", help="retrain from the folder's configuration and compare")
    ap.add_argument("--steps", type=int, default=d.steps)
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--d-model", type=int, default=d.d_model)
    ap.add_argument("--heads", type=int, default=d.heads)
    ap.add_argument("--positions", type=int, default=d.positions)
    ap.add_argument("--half", type=int, default=d.half)
    a = ap.parse_args(argv)
    out = a.out or str(F.preset_dir())
    try:
        if a.check:
            weights, _, task = F.read(out)
            tr = dict(task["training"])
            res = train(Config(**{**tr, "train_halves": tuple(tr["train_halves"]),
                                  "chunk_lengths": tuple(tr.get("chunk_lengths", Config.chunk_lengths))}))
            stored = {k.removeprefix("transformer."): v for k, v in weights.items()}
            verdict, ok = compare(stored, res.params)
            print(f"{verdict}: retrained weights vs {out} ({res.seconds:.1f}s, CPU {res.cpu_seconds:.1f}s); "
                  f"{summary(res.scores)}", file=sys.stderr)
            return 0 if ok else 1
        halves = tuple(h for h in d.train_halves if 2 * h <= a.positions) or (a.half,)
        res = train(Config(steps=a.steps, seed=a.seed, d_model=a.d_model, heads=a.heads, positions=a.positions,
                           half=a.half, train_halves=halves))
        write_folder(res, out)
        if a.out is None:
            path = F.preset_dir().parent / f"{F.PRESET}-example.json"
            path.with_suffix(".tmp").write_text(example_preset(res), encoding="utf-8")
            path.with_suffix(".tmp").replace(path)
    except InputError as e:
        print(f"Error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {res.seconds:.1f}s training (CPU {res.cpu_seconds:.1f}s); {summary(res.scores)}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
