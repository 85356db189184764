"""Scene benchmark: `gatelab scene lstm-gates` vs plain Manim, whole-process wall time.

Rows, per quality:
  gatelab     `gatelab scene lstm-gates -q Q` (CLI, engine run, api, own media dir, atomic move)
  manim CLI   `manim -qQ scenes/lstm.py LSTMGatesScene` (Manim's own CLI, the same scene class)
  twin        a plain Manim scene with no GateLab import and no engine: the same number of play()
              calls with the same run times, and the same number of Text and shape mobjects on
              screen at each play (numbers and words of the same lengths), recorded from a dry run

Overhead = gatelab / twin - 1 (goal: <= 10%). Manim's CLI rows run with --disable_caching, as
gatelab does (each gatelab render has its own fresh media dir, so a cache could never hit;
with caching on, Manim spends ~40% of an -ql render hashing every play() call). The twin matches timeline and mobject counts, not
glyph shapes, so it is a close but not exact replica. Not a test: prints a table.

    .venv/bin/python bench/bench_scene.py            # -ql, 3 runs each (median)
    .venv/bin/python bench/bench_scene.py l h        # also -qh (minutes per run on 2 cores)
    GATELAB_BENCH_REPEAT=1 .venv/bin/python bench/bench_scene.py h
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _timing import BIN, table, wall  # noqa: E402

SCENE, MODULE, CLASS = "lstm-gates", "scenes/lstm.py", "LSTMGatesScene"
REPEAT = int(os.environ.get("GATELAB_BENCH_REPEAT", "3"))

TWIN = r'''
import json, os
from manim import FadeIn, Indicate, Rectangle, Scene, Text


class Twin(Scene):
    def construct(self):
        plan = json.load(open(os.environ["TWIN_PLAN"]))
        texts = [Text(s, font="DejaVu Sans", font_size=20) for s in plan["texts"]]
        shapes = [Rectangle(width=0.8, height=0.4, fill_opacity=0.5) for _ in range(plan["shapes"])]
        for k, m in enumerate(texts + shapes):
            m.move_to([-6.5 + (k % 14) * 1.0, 3.2 - (k // 14) * 0.45, 0])
        on_t = on_s = 0
        shown = []
        for step in plan["plays"]:
            if step["wait"]:
                self.wait(step["run_time"])
                continue
            new = texts[on_t:step["texts"]] + shapes[on_s:step["shapes"]]
            on_t, on_s = max(on_t, step["texts"]), max(on_s, step["shapes"])
            if new:
                self.play(*[FadeIn(m) for m in new], run_time=step["run_time"])
                shown += new
            elif shown:
                self.play(Indicate(shown[len(shown) // 2]), run_time=step["run_time"])
            else:
                self.wait(step["run_time"])
'''


def record_plan(tmp: Path) -> dict:
    """Dry-run the scene once and record its timeline and on-screen mobject counts per play."""
    from manim import Scene, Text, VMobject, Wait

    from gatelab.scenes import api

    plays: list[dict] = []
    orig_play = Scene.play

    def counts(scene):
        texts = shapes = 0
        stack = list(scene.mobjects)
        while stack:
            m = stack.pop()
            if isinstance(m, Text):
                texts += 1
                continue
            if isinstance(m, VMobject) and m.has_points():
                shapes += 1
            stack.extend(m.submobjects)
        return texts, shapes

    def play(self, *a, **kw):
        wait = bool(a) and all(isinstance(x, Wait) for x in a)
        r = orig_play(self, *a, **kw)
        t, s = counts(self)
        plays.append({"run_time": float(self.duration), "texts": t, "shapes": min(s, 400), "wait": wait})
        return r

    Scene.play = play
    try:
        scene = api.run(SCENE, media_dir=str(tmp))
    finally:
        Scene.play = orig_play
    texts = [t.original_text for top in scene.mobjects for t in top.get_family() if isinstance(t, Text)]
    n_text = max(p["texts"] for p in plays)
    texts = (texts * (n_text // max(len(texts), 1) + 1))[:n_text]
    return {"plays": plays, "texts": texts, "shapes": max(p["shapes"] for p in plays),
            "video_seconds": sum(p["run_time"] for p in plays)}


def engine_ms(n: int = 50) -> float:
    import statistics
    import time

    from gatelab.engines import registry
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        registry.compute("lstm")
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    qualities = [q for q in sys.argv[1:] if q in "lmhk"] or ["l"]
    tmp = Path(tempfile.mkdtemp(prefix="gatelab-bench-"))
    try:
        plan = record_plan(tmp / "dry")
        (tmp / "plan.json").write_text(json.dumps(plan))
        (tmp / "twin.py").write_text(TWIN)
        rows = [("scene", f"{SCENE}: {len(plan['plays'])} animations, {plan['video_seconds']:.1f} s of video, "
                          f"up to {len(plan['texts'])} Text + {plan['shapes']} shape mobjects on screen"),
                ("engine run (in process)", f"{engine_ms():.2f} ms per registry.compute('lstm')")]
        for q in qualities:
            out = tmp / f"out-{q}"
            ours = wall([str(BIN / "gatelab"), "scene", SCENE, "-q", q, "--no-progress", "--out", str(out)],
                        repeat=REPEAT, warmup=0)
            cli = wall([str(BIN / "manim"), f"-q{q}", "--media_dir", str(tmp / f"m-{q}"), "--progress_bar", "none",
                        "--disable_caching", MODULE, CLASS], repeat=REPEAT, warmup=0)
            twin = wall([str(BIN / "manim"), f"-q{q}", "--media_dir", str(tmp / f"t-{q}"), "--progress_bar", "none",
                         "--disable_caching", str(tmp / "twin.py"), "Twin"], repeat=REPEAT, warmup=0,
                        env={"TWIN_PLAN": str(tmp / "plan.json")})
            rows += [(f"-q{q} gatelab", f"{ours:7.2f} s"),
                     (f"-q{q} manim CLI, same scene", f"{cli:7.2f} s   ({(ours / cli - 1) * 100:+.1f}% for gatelab)"),
                     (f"-q{q} plain Manim twin", f"{twin:7.2f} s   ({(ours / twin - 1) * 100:+.1f}% for gatelab)")]
        print(f"median of {REPEAT} whole-process runs each")
        print(table(rows))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
