"""Scene speed: `lstm-gates -ql` now vs a checkout of an earlier commit, and `-j 2` vs `-j 1`, in one run.

Rows (whole-process wall time, median of GATELAB_BENCH_REPEAT runs, default 1; every run cold: a fresh
cache directory, so Manim's partial-movie cache never helps):
  base      `gatelab scene lstm-gates -q l` from the base commit (git archive into a temporary directory,
            imported ahead of this checkout with PYTHONPATH; same virtualenv, same Manim)
  now -j 1  this checkout, one process
  now -j 2  this checkout, the animations drawn by two processes and joined
  now, cached   a second render into the same cache (nothing changed: every animation from the cache)
Ratios: now/base (goal <= 1/3), -j 2 / -j 1 (goal <= 0.6). The pictures are compared too: every frame of
the base video against the -j 1 and -j 2 videos, decoded with PyAV (max pixel difference, frames differing).

    .venv/bin/python bench/bench_scene_speed.py                  # base = 03b3737 (the commit before this work)
    .venv/bin/python bench/bench_scene_speed.py BASE_COMMIT
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import BIN, ROOT, table, wall  # noqa: E402

BASE = "03b37376e4e3f5db35da4c904625a3265d01885a"
SCENE = "lstm-gates"
REPEAT = int(os.environ.get("GATELAB_BENCH_REPEAT", "1"))
CLI = "from gatelab.render import main; main()"


def checkout(commit: str, into: Path) -> Path:
    """The package of ``commit`` as importable ``gatelab`` under ``into`` (git archive, no worktree left behind)."""
    pkg = into / "gatelab"
    pkg.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(pkg)], input=archive, check=True)
    return into


def frames(path: Path) -> list[np.ndarray]:
    import av
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def compare(a: Path, b: Path) -> str:
    fa, fb = frames(a), frames(b)
    if len(fa) != len(fb):
        return f"{len(fa)} vs {len(fb)} frames"
    diffs = [int(np.abs(x.astype(int) - y.astype(int)).max()) for x, y in zip(fa, fb)]
    return f"{len(fa)} frames, max pixel difference {max(diffs)}/255, {sum(d > 0 for d in diffs)} frames differ"


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else BASE
    tmp = Path(tempfile.mkdtemp(prefix="gatelab-bench-speed-"))
    py = str(BIN / "python")
    try:
        old = checkout(base, tmp / "base")
        runs = {}

        def timed(label, cmd, env, out):
            def once():
                cache = tempfile.mkdtemp(dir=tmp)      # cold: a fresh cache each run
                return {"GATELAB_CACHE_DIR": cache, **env}
            times = []
            for _ in range(REPEAT):
                times.append(wall(cmd + ["-o", str(out)], repeat=1, warmup=0, env=once()))
            runs[label] = sorted(times)[len(times) // 2]

        args = ["scene", SCENE, "-q", "l", "--no-progress"]
        timed("base", [py, "-c", CLI, *args], {"PYTHONPATH": str(old)}, tmp / "base.mp4")
        timed("j1", [py, "-c", CLI, *args, "-j", "1"], {}, tmp / "j1.mp4")
        timed("j2", [py, "-c", CLI, *args, "-j", "2"], {}, tmp / "j2.mp4")
        warm = str(tmp / "warm-cache")
        wall([py, "-c", CLI, *args, "-o", str(tmp / "w1.mp4")], repeat=1, warmup=0, env={"GATELAB_CACHE_DIR": warm})
        cached = wall([py, "-c", CLI, *args, "-o", str(tmp / "w2.mp4")], repeat=1, warmup=0,
                      env={"GATELAB_CACHE_DIR": warm})
        load = os.getloadavg()
        rows = [("base commit", f"{base[:10]}  {runs['base']:7.1f} s"),
                ("now, -j 1", f"{runs['j1']:7.1f} s   now/base = {runs['j1'] / runs['base']:.2f}  (goal <= 0.33)"),
                ("now, -j 2", f"{runs['j2']:7.1f} s   -j 2 / -j 1 = {runs['j2'] / runs['j1']:.2f}  (goal <= 0.6),"
                              f"  -j 2 / base = {runs['j2'] / runs['base']:.2f}"),
                ("now, cached re-render", f"{cached:7.1f} s   cached / -j 1 = {cached / runs['j1']:.2f}"),
                ("pictures base vs -j 1", compare(tmp / "base.mp4", tmp / "j1.mp4")),
                ("pictures base vs -j 2", compare(tmp / "base.mp4", tmp / "j2.mp4")),
                ("machine", f"{os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")]
        print(f"gatelab scene {SCENE} -q l, whole-process wall time, median of {REPEAT} cold run(s) each")
        print(table(rows))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
