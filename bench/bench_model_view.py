"""The model view (`gatelab diagram attention-heads`) of a 12-layer x 12-head model as SVG: goal under 2 s.

The view's cost grows with layers x heads x tokens^2 (one heatmap cell each), not with the model's
width, so the model is a randomly initialised GPT-2 with 12 layers and 12 heads of width 4 (d 48),
written as a Hugging Face folder to a temporary directory, run on 16 tokens given as ids. Timed: the
whole `gatelab diagram` process (load, forward pass, layout, dot -Tsvg), and in-process the DOT
building alone and the render.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _timing import BIN, ROOT, table, wall

sys.path.insert(0, str(ROOT))

L, H, D, V, P, T = 12, 12, 48, 64, 32, 16


def make_folder(path: Path) -> None:
    from safetensors.numpy import save_file
    rng = np.random.default_rng(0)
    r = lambda *s: (0.5 * rng.standard_normal(s).astype(np.float32))     # noqa: E731  (heads that differ visibly)
    one, zero = np.ones(D, np.float32), np.zeros(D, np.float32)
    t = {"transformer.wte.weight": r(V, D), "transformer.wpe.weight": r(P, D),
         "transformer.ln_f.weight": one, "transformer.ln_f.bias": zero}
    for i in range(L):
        h = f"transformer.h.{i}."
        t.update({h + "attn.c_attn.weight": r(D, 3 * D), h + "attn.c_attn.bias": r(3 * D),
                  h + "attn.c_proj.weight": r(D, D), h + "attn.c_proj.bias": r(D),
                  h + "mlp.c_fc.weight": r(D, 4 * D), h + "mlp.c_fc.bias": r(4 * D),
                  h + "mlp.c_proj.weight": r(4 * D, D), h + "mlp.c_proj.bias": r(D),
                  h + "ln_1.weight": one, h + "ln_1.bias": zero, h + "ln_2.weight": one, h + "ln_2.bias": zero})
    save_file(t, str(path / "model.safetensors"), metadata={"format": "pt"})
    (path / "config.json").write_text(json.dumps({
        "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": V, "n_embd": D, "n_layer": L,
        "n_head": H, "n_positions": P, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5}))


def cpu(cmd: list[str], repeat: int = 5) -> float:
    """Median CPU seconds (user + system, the process and its dot child) of running ``cmd``: on a shared,
    loaded machine wall-clock time measures the neighbours too."""
    import os
    import resource
    import statistics
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": ""}
    times = []
    for _ in range(repeat + 1):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return statistics.median(times[1:])


def main() -> None:
    if shutil.which("dot") is None:
        print("Graphviz's `dot` is not installed: nothing to measure")
        return
    tmp = Path(tempfile.mkdtemp(prefix="gatelab-bench-"))
    try:
        folder = tmp / "gpt2-12x12"
        folder.mkdir()
        make_folder(folder)
        ids = ",".join(str(i) for i in range(1, T + 1))
        args = ["diagram", "attention-heads", "--weights", str(folder), "--token-ids", ids]
        whole = wall([str(BIN / "gatelab"), *args, "-o", str(tmp / "view.svg")])
        whole_cpu = cpu([str(BIN / "gatelab"), *args, "-o", str(tmp / "view.svg")])
        query = wall([str(BIN / "gatelab"), *args, "--query", "5", "-o", str(tmp / "query.svg")])
        from gatelab.diagrams import api, export
        from gatelab.engines.registry import Source
        src = Source(weights=str(folder))
        t0 = time.perf_counter()
        graph, meta = api.build("attention-heads", source=src, options={"token_ids": ids})
        t1 = time.perf_counter()
        export.export(graph, str(tmp / "inproc.svg"), "svg", meta)
        t2 = time.perf_counter()
        size = (tmp / "view.svg").stat().st_size
        print(f"model view of {L} layers x {H} heads on {T} tokens ({L * H * T * T:,} cells), SVG {size / 1e6:.1f} MB:")
        print(table([
            ("gatelab diagram attention-heads (whole process)", f"{whole * 1000:7.1f} ms  (goal < 2000 ms)"),
            ("  its CPU time (user + system, with dot)", f"{whole_cpu * 1000:7.1f} ms"),
            ("  with --query (one row per head)", f"{query * 1000:7.1f} ms"),
            ("in-process: engine run + DOT building", f"{(t1 - t0) * 1000:7.1f} ms"),
            ("in-process: dot -Tsvg + metadata", f"{(t2 - t1) * 1000:7.1f} ms"),
        ]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
