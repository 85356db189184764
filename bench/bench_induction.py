"""induction-heads benchmark: one training step (forward, backward, Adam) of the tiny GPT-2 in our numpy
engine vs the same model (the shipped folder loaded by transformers), batch and optimiser in PyTorch CPU,
measured in one run; then the whole training's wall and CPU time (the preset's configuration).

    .venv/bin/python bench/bench_induction.py            # torch + transformers: pip install torch transformers
    .venv/bin/python bench/bench_induction.py --no-train # the step comparison only

Both run in float64 on one thread (the numpy engine's BLAS is pinned with OMP_NUM_THREADS=1 by the
caller if wanted; torch via set_num_threads(1)). Best of 3 interleaved passes, each the median of 5
rounds of 50 steps, after warm-up (the machine may be shared). Not a test: it prints a table.
"""
from __future__ import annotations

import statistics
import sys
import time

import numpy as np  # noqa: E402

from gatelab.engines import induction as I  # noqa: E402
from gatelab.engines import induction_folder as F  # noqa: E402
from gatelab.engines import induction_train as TR  # noqa: E402
from gatelab.engines import optim  # noqa: E402

from _timing import table  # noqa: E402

STEPS, ROUNDS, PASSES = 50, 5, 3


def numpy_stepper(p, s, x, wt, lr):
    keys = list(p)
    opt = optim.Adam(lr)

    def step():
        _, g = I.loss_and_grads(p, x, s, wt)
        opt.step([p[k] for k in keys], [g[k] for k in keys])
    return step


def torch_stepper(x, wt, lr):
    import torch
    from transformers import GPT2LMHeadModel

    torch.set_num_threads(1)
    model = GPT2LMHeadModel.from_pretrained(F.preset_dir(), dtype=torch.float64, attn_implementation="eager")
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    xt = torch.tensor(x)
    w = torch.tensor(wt / wt.sum(), dtype=torch.float64)               # [B, T-1], as the numpy loss

    def step():
        opt.zero_grad()
        logits = model(xt).logits[:, :-1]
        nll = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), xt[:, 1:].reshape(-1),
                                                reduction="none").view(x.shape[0], -1)
        (nll * w).sum().backward()
        opt.step()
    return step


def timed(step) -> float:
    rounds = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        for _ in range(STEPS):
            step()
        rounds.append((time.perf_counter() - t0) / STEPS)
    return statistics.median(rounds)


def main() -> None:
    weights, config, task = F.read()
    cfg = TR.Config(**{**task["training"], "train_halves": tuple(task["training"]["train_halves"])})
    s = I.shape_of(config)
    p = I.check_params({k.removeprefix("transformer."): v for k, v in weights.items()}, s)
    x, _, b = I.repeated_with_starts(np.random.default_rng(0), cfg.batch, cfg.half, cfg.vocab, cfg.positions)
    wt = TR.loss_weight(cfg.positions, b, cfg.half)
    ours = numpy_stepper(p, s, x, wt, cfg.lr)
    try:
        theirs = torch_stepper(x, wt, cfg.lr)
    except ImportError:
        theirs = None
    for f in (ours, theirs):
        if f is not None:
            for _ in range(10):
                f()
    best_np, best_t = float("inf"), float("inf")
    for _ in range(PASSES):
        best_np = min(best_np, timed(ours))
        if theirs is not None:
            best_t = min(best_t, timed(theirs))
    rows = [(f"numpy engine, one step (B={cfg.batch}, T={cfg.positions}, d={cfg.d_model})", f"{best_np * 1e3:7.2f} ms")]
    if theirs is not None:
        rows.append(("PyTorch CPU (transformers GPT-2, float64, 1 thread)",
                     f"{best_t * 1e3:7.2f} ms   numpy/torch = {best_np / best_t:.2f}x (goal <= 1.5x)"))
    else:
        rows.append(("PyTorch CPU", "not installed (pip install torch transformers)"))
    print("one training step (best of 3 passes, median of 5 rounds of 50 steps):")
    print(table(rows))
    if "--no-train" not in sys.argv:
        res = TR.train(cfg)
        print(f"whole training ({cfg.steps} steps): {res.seconds:.1f} s wall, {res.cpu_seconds:.1f} s CPU "
              f"(goal: under 2 minutes on 2 cores)")


if __name__ == "__main__":
    main()
