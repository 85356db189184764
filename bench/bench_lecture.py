"""Lecture build benchmark: the cache and the workers of `gatelab all`, whole-process wall times in one run.

Rows:
  cold -j N       `gatelab all -q l -j N` into an empty directory (every diagram and scene rendered)
  cached          the same command again: every output's key checked, nothing rendered
  -j 1 / -j 2     two cold builds of the whole catalogue, one worker vs two

Goals: cached <= 5% of cold; -j 2 <= 0.6x of -j 1 (on 2 free cores: the ratio says little on a machine
whose cores are busy with other work, so the load average is printed beside it). A shared machine's
speed drifts by a quarter over minutes, so GATELAB_BENCH_REPEAT=N runs N rounds of (-j 1, -j 2) cold
builds in turn and prints each round's ratio and the medians. Not a test: prints a table; one round
takes several minutes (two cold renders of the catalogue).

    .venv/bin/python bench/bench_lecture.py              # the whole catalogue
    .venv/bin/python bench/bench_lecture.py --no-scenes  # diagrams only (seconds)
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _timing import BIN, table  # noqa: E402


def run(out: str, jobs: int, extra: list[str]) -> float:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": ""}
    t0 = time.perf_counter()
    proc = subprocess.run([str(BIN / "gatelab"), "all", "-q", "l", "-j", str(jobs), "--out", out, *extra],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout)
        raise SystemExit(f"gatelab all -j {jobs} failed (exit {proc.returncode})")
    return seconds


def main() -> None:
    extra = [a for a in sys.argv[1:] if a == "--no-scenes"]
    rounds = int(os.environ.get("GATELAB_BENCH_REPEAT", "1"))
    cores = os.cpu_count() or 1
    scratch = tempfile.mkdtemp(prefix="gatelab-bench-lecture-")
    ones, twos = [], []
    try:
        for r in range(rounds):
            ones.append(run(os.path.join(scratch, f"j1-{r}"), 1, extra))
            twos.append(run(os.path.join(scratch, f"j2-{r}"), 2, extra))
        cached = run(os.path.join(scratch, "j1-0"), 1, extra)
        cached2 = run(os.path.join(scratch, "j2-0"), 2, extra)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    what = "diagrams" if extra else "diagrams and scenes"
    one, two = statistics.median(ones), statistics.median(twos)
    print(f"gatelab all -q l ({what}), {cores} cores, load average {load:.1f}, median of {rounds} round(s)")
    print(table([
        ("cold -j 1", f"{one:7.1f} s"),
        ("cached -j 1", f"{cached:7.1f} s   {cached / one:6.1%} of cold   (goal <= 5%)"),
        ("cold -j 2", f"{two:7.1f} s   {two / one:6.2f}x of -j 1   (goal <= 0.6x)"),
        ("cached -j 2", f"{cached2:7.1f} s   {cached2 / two:6.1%} of cold"),
        ("rounds", "  ".join(f"{a:.0f}/{b:.0f} s = {b / a:.2f}x" for a, b in zip(ones, twos))),
    ]))


if __name__ == "__main__":
    main()
