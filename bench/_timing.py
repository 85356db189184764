"""Tiny helpers for the benchmarks: whole-process wall times, measured in one run."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def wall(cmd: list[str], repeat: int = 7, warmup: int = 1, **kw) -> float:
    """Median wall-clock seconds of running ``cmd`` as a fresh process."""
    # Users' machines cache bytecode; this environment may forbid it (PYTHONDONTWRITEBYTECODE),
    # which would charge every run for compiling every module. Allow it, as a user would have.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "", **kw.pop("env", {})}
    for _ in range(warmup):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT, **kw)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT, **kw)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def table(rows: list[tuple[str, str]]) -> str:
    w = max(len(a) for a, _ in rows)
    return "\n".join(f"  {a.ljust(w)}  {b}" for a, b in rows)
