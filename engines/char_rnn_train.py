"""Training of the ``char-rnn-hello`` preset: a char-RNN learns "hello" under teacher forcing.

``python -m gatelab.engines.char_rnn_train`` retrains (seeded, deterministic, about a second)
and writes ``engines/presets/char-rnn-hello.json``; ``--check`` retrains and compares with the
shipped file instead; ``--text``, ``--cell``, ``--hidden``, ``--steps``, ``--seed`` train on
another short text (vocabulary = its sorted distinct characters) and ``--out`` writes elsewhere.

Loss and gradients: :func:`engines.char_rnn.loss_and_grads` (teacher-forcing cross-entropy,
BPTT of the cell engines). Optimiser: Adam (beta1 0.9, beta2 0.999, eps 1e-8) through
:func:`adam_step`, one full-sequence step per iteration, no clipping. Initial weights:
N(0, init_scale^2 / fan_in) for matrices (fan_in = the columns), zeros for biases, drawn in
the order of ``char_rnn.CELL_KEYS[cell] + OUT_KEYS``; they are kept in the preset under
``weights.initial`` so the untrained model can be shown too (``--untrained``).
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from . import char_rnn as C
from .io import read_trained_preset
from .errors import InputError

PRESET = "char-rnn-hello"
SAMPLE_TEMPERATURE = 3.0  # the trained model is confident (p > 0.99): a high temperature lets early draws go wrong
SAMPLES = 4


@dataclass(frozen=True)
class Config:
    text: str = "hello"
    cell: str = "rnn"
    hidden: int = 3
    steps: int = 200
    lr: float = 0.05
    seed: int = 1
    init_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.cell not in C.CELLS:
            raise InputError(f"--cell {self.cell!r} is unknown; expected one of: {', '.join(C.CELLS)}")
        if not isinstance(self.text, str) or len(self.text) < 2:
            raise InputError(f"--text {self.text!r} is too short; expected at least two characters")
        if len(self.text) > 200:
            raise InputError(f"--text has {len(self.text)} characters; expected a short text (at most 200)")
        for n in ("hidden", "steps"):
            v = getattr(self, n)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise InputError(f"--{n} must be a positive integer, got {v!r}")
        for n in ("lr", "init_scale"):
            if not (np.isfinite(getattr(self, n)) and getattr(self, n) > 0):
                raise InputError(f"{n} must be a positive finite number, got {getattr(self, n)!r}")

    @property
    def vocab(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.text)))


def shapes(cell: str, H: int, K: int) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    for k in C.CELL_KEYS[cell]:
        if k.startswith("b"):
            out[k] = (H,)
        elif cell == "rnn":
            out[k] = (H, K) if k == "U" else (H, H)
        else:
            out[k] = (H, H + K)
    out.update(V=(K, H), b_y=(K,))
    return out


def init(cfg: Config, rng: np.random.Generator) -> dict[str, np.ndarray]:
    K = len(cfg.vocab)
    return {k: np.zeros(s) if len(s) == 1 else rng.normal(0.0, cfg.init_scale / np.sqrt(s[1]), size=s)
            for k, s in shapes(cfg.cell, cfg.hidden, K).items()}


def adam_step(p: dict, g: dict, state: dict, t: int, lr: float, b1: float = 0.9, b2: float = 0.999,
              eps: float = 1e-8) -> dict:
    """One Adam update (returns new arrays; ``state`` holds the moments m, v and is updated)."""
    out = {}
    for k in p:
        state["m"][k] = b1 * state["m"][k] + (1 - b1) * g[k]
        state["v"][k] = b2 * state["v"][k] + (1 - b2) * g[k] * g[k]
        mh = state["m"][k] / (1 - b1 ** t)
        vh = state["v"][k] / (1 - b2 ** t)
        out[k] = p[k] - lr * mh / (np.sqrt(vh) + eps)
    return out


@dataclass(frozen=True)
class Result:
    cfg: Config
    initial: dict
    params: dict
    losses: np.ndarray
    seconds: float

    def weights_doc(self) -> dict[str, Any]:
        """The engine's weights: vocabulary, trained arrays, and the untrained ones under "initial"."""
        w: dict[str, Any] = {"vocab": list(self.cfg.vocab)}
        w.update({k: v.tolist() for k, v in self.params.items()})
        w["initial"] = {k: v.tolist() for k, v in self.initial.items()}
        return w


def train(cfg: Config) -> Result:
    """Seeded Adam on the teacher-forcing loss of the whole text; deterministic bit for bit."""
    vocab = cfg.vocab
    ids = np.array([vocab.index(ch) for ch in cfg.text], dtype=np.int64)
    p = init(cfg, np.random.default_rng(cfg.seed))
    first = {k: v.copy() for k, v in p.items()}
    state = {"m": {k: np.zeros_like(v) for k, v in p.items()}, "v": {k: np.zeros_like(v) for k, v in p.items()}}
    losses = np.zeros(cfg.steps)
    t0 = time.perf_counter()
    for t in range(1, cfg.steps + 1):
        losses[t - 1], g = C.loss_and_grads(cfg.cell, p, ids, len(vocab))
        p = adam_step(p, g, state, t, cfg.lr)
    return Result(cfg, first, p, losses, time.perf_counter() - t0)


# --------------------------------------------------------------------------- the preset

def preset_doc(res: Result) -> dict[str, Any]:
    cfg = res.cfg
    w = res.weights_doc()
    trained = C.build(w, {"text": cfg.text}, cell=cfg.cell)
    untrained = C.build(w, {"text": cfg.text}, cell=cfg.cell, untrained=True)
    first = cfg.text[0]
    return {
        "model": "char-rnn",
        "description": (f"char-RNN ({cfg.cell}, H={cfg.hidden}) trained on {cfg.text!r}: fed {first!r} and run free it "
                        f"writes {trained.free.generated!r}; untrained it writes {untrained.free.generated!r}"),
        "options": {"cell": cfg.cell, "decode": "free", "temperature": SAMPLE_TEMPERATURE, "samples": SAMPLES},
        "notes": (f"Trained by python -m gatelab.engines.char_rnn_train (Adam, {cfg.steps} steps, lr {cfg.lr}, seed "
                  f"{cfg.seed}; teacher-forcing cross-entropy {res.losses[0]:.4f} -> {res.losses[-1]:.4f}). "
                  f"--untrained shows the initial weights kept under weights.initial."),
        "training": {"config": asdict(cfg), "loss_first": float(res.losses[0]), "loss_last": float(res.losses[-1]),
                     "loss_every_50": res.losses[::50].tolist()},
        "weights": w,
        "inputs": {"text": cfg.text, "sample_seed": 0},
    }


def dumps(doc: dict) -> str:
    """JSON with one array per line (floats as repr: exact float64 round trip)."""
    def block(d: dict, ind: str) -> str:
        rows = []
        for k, v in d.items():
            body = block(v, ind + "  ") if isinstance(v, dict) and k == "initial" else json.dumps(v, allow_nan=False)
            rows.append(f"{ind}  {json.dumps(k)}: {body}")
        return "{\n" + ",\n".join(rows) + "\n" + ind + "}"
    parts = [f"  {json.dumps(k)}: {block(v, '  ') if k in ('weights', 'training') else json.dumps(v)}"
             for k, v in doc.items()]
    return "{\n" + ",\n".join(parts) + "\n}\n"


def preset_path() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "presets", f"{PRESET}.json")


CHECK_ATOL = 1e-9   # a few hundred small Adam steps: BLAS rounding stays far below this


def compare(stored: dict, made: dict) -> tuple[str, bool]:
    if stored == made:
        return "identical", True
    if set(stored) != set(made) or stored.get("vocab") != made.get("vocab"):
        return "DIFFERENT names or vocabulary", False
    worst = 0.0
    for k in stored:
        if k == "vocab":
            continue
        a, b = (stored[k], made[k]) if k != "initial" else (stored[k], made[k])
        if isinstance(a, dict):
            if set(a) != set(b):
                return "DIFFERENT initial names", False
            pairs = [(np.asarray(a[n], float), np.asarray(b[n], float)) for n in a]
        else:
            pairs = [(np.asarray(a, float), np.asarray(b, float))]
        for x, y in pairs:
            if x.shape != y.shape:
                return f"DIFFERENT shape of {k}", False
            worst = max(worst, float(np.max(np.abs(x - y))))
    ok = worst <= CHECK_ATOL
    return (f"{'within tolerance' if ok else 'DIFFERENT'} (max |dw| = {worst:.2e}, tolerance {CHECK_ATOL:g})", ok)


def main(argv: list[str] | None = None) -> int:
    import argparse
    d = Config()
    ap = argparse.ArgumentParser(prog="python -m gatelab.engines.char_rnn_train",
                                 description=f"Train a char-RNN (default: the {PRESET} preset, deterministic).")
    ap.add_argument("--out", default=None, help="where to write the preset JSON (default: the shipped preset)")
    ap.add_argument("--check", action="store_true", help="retrain from the file's own config and compare instead of writing")
    ap.add_argument("--text", default=d.text)
    ap.add_argument("--cell", default=d.cell, help="rnn | lstm | gru")
    ap.add_argument("--hidden", type=int, default=d.hidden)
    ap.add_argument("--steps", type=int, default=d.steps)
    ap.add_argument("--seed", type=int, default=d.seed)
    a = ap.parse_args(argv)
    out = a.out or preset_path()
    try:
        if a.check:
            stored = read_trained_preset(out, needs=("weights", "training"))
            res = train(Config(**stored["training"]["config"]))
            verdict, ok = compare(stored["weights"], res.weights_doc())
            print(f"{verdict}: retrained weights vs {out} ({res.seconds:.2f}s)", file=sys.stderr)
            return 0 if ok else 1
        if not a.text:
            raise InputError("--text is empty; expected a short text of at least two characters")
        res = train(Config(text=a.text, cell=a.cell, hidden=a.hidden, steps=a.steps, seed=a.seed))
        doc = preset_doc(res)
        tmp = out + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(dumps(doc))
            os.replace(tmp, out)
        except OSError as e:
            raise InputError(f"cannot write {out!r}: {e.strerror}") from None
    except InputError as e:
        print(f"Error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {res.seconds:.2f}s training; {doc['description']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
