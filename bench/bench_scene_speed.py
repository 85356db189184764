"""Scene speed: `lstm-gates -ql` now vs a checkout of an earlier commit, and `-j 2` vs `-j 1`, in one run.

Rows (whole-process wall time, median of GATELAB_BENCH_REPEAT rounds, default 1, each round running base,
-j 1 and -j 2 in turn; every run cold: a fresh cache directory, so Manim's partial-movie cache never helps):
  base      `gatelab scene lstm-gates -q l` from the base commit (git archive into a temporary directory,
            imported ahead of this checkout with PYTHONPATH; same virtualenv, same Manim)
  now -j 1  this checkout, one process
  now -j 2  this checkout, the animations drawn by two processes and joined
  now, cached   a second render into the same cache (nothing changed: every animation from the cache)
Ratios: now/base (goal <= 1/3), -j 2 / -j 1 (goal <= 0.6). The pictures are compared too: every frame of
the base video against the -j 1 and -j 2 videos, decoded with PyAV, one frame at a time. Expect small
differences at glyph edges: a line of text is now one filled path (the glyphs' antialiased edges are
no longer composited one glyph at a time where they touch), equations skip an SVG round trip, and
drafts are encoded with x264's "superfast" preset, without B-frames or macroblock tree; the numbers and the
layout are the same.

    .venv/bin/python bench/bench_scene_speed.py                  # base = 03b3737 (the commit before this work)
    .venv/bin/python bench/bench_scene_speed.py BASE_COMMIT
"""
from __future__ import annotations

import itertools
import os
import resource
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


def frames(path: Path):
    """The decoded frames of a video, one at a time (a whole -ql video is 2 GB as arrays)."""
    import av
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            yield f.to_ndarray(format="rgb24")


def compare(a: Path, b: Path) -> str:
    n, worst, differ, edge = 0, 0, 0, 0
    missing = object()
    for x, y in itertools.zip_longest(frames(a), frames(b), fillvalue=missing):
        if x is missing or y is missing:
            return f"different frame counts (after {n} frames)"
        d = np.abs(x.astype(np.int16) - y.astype(np.int16)).max(axis=2)
        n += 1
        worst = max(worst, int(d.max()))
        differ += bool(d.max())
        edge = max(edge, int((d > 16).sum()))
    return (f"{n} frames, max pixel difference {worst}/255, {differ} frames differ; "
            f"at most {edge} pixels of a frame differ by more than 16/255")


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else BASE
    tmp = Path(tempfile.mkdtemp(prefix="gatelab-bench-speed-"))
    py = str(BIN / "python")
    try:
        old = checkout(base, tmp / "base")
        times: dict[str, list[float]] = {"base": [], "j1": [], "j2": []}
        cpu: dict[str, list[float]] = {"base": [], "j1": [], "j2": []}
        args = ["scene", SCENE, "-q", "l", "--no-progress"]
        commands = {"base": ([py, "-c", CLI, *args], {"PYTHONPATH": str(old)}),
                    "j1": ([py, "-c", CLI, *args, "-j", "1"], {}),
                    "j2": ([py, "-c", CLI, *args, "-j", "2"], {})}
        for _ in range(REPEAT):            # round by round, so a slow spell of a shared machine hits all three
            for label, (cmd, env) in commands.items():
                cache = tempfile.mkdtemp(dir=tmp)          # cold: a fresh cache each run
                before = children_cpu()
                times[label].append(wall(cmd + ["-o", str(tmp / f"{label}.mp4")], repeat=1, warmup=0,
                                         env={"GATELAB_CACHE_DIR": cache, **env}))
                cpu[label].append(children_cpu() - before)
        runs = {label: sorted(t)[len(t) // 2] for label, t in times.items()}
        cpus = {label: sorted(t)[len(t) // 2] for label, t in cpu.items()}
        warm = str(tmp / "warm-cache")
        wall([py, "-c", CLI, *args, "-o", str(tmp / "w1.mp4")], repeat=1, warmup=0, env={"GATELAB_CACHE_DIR": warm})
        cached = wall([py, "-c", CLI, *args, "-o", str(tmp / "w2.mp4")], repeat=1, warmup=0,
                      env={"GATELAB_CACHE_DIR": warm})
        load = os.getloadavg()
        rows = [("base commit", f"{base[:10]}  {runs['base']:7.1f} s"),
                ("now, -j 1", f"{runs['j1']:7.1f} s   now/base = {runs['j1'] / runs['base']:.2f}  (goal <= 0.33)"),
                ("now, -j 2", f"{runs['j2']:7.1f} s   -j 2 / -j 1 = {runs['j2'] / runs['j1']:.2f}  (goal <= 0.6),"
                              f"  -j 2 / base = {runs['j2'] / runs['base']:.2f}"),
                ("CPU seconds", f"base {cpus['base']:.1f}, -j 1 {cpus['j1']:.1f} ({cpus['j1'] / cpus['base']:.2f} of base), "
                                f"-j 2 {cpus['j2']:.1f}  (all processes and threads; steady on a shared machine)"),
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
