"""A forward pass through a randomly initialised GPT-2-small-sized model (12 layers, d 768, 12 heads,
vocabulary 50257, 1024 positions) on 32 tokens, loading the model folder from safetensors included:
GateLab (numpy, float64) vs transformers + torch (CPU, float32) in the same run when they are
installed (goal: GateLab <= 1.5x torch). The ~500 MB folder is written to a temporary directory.
"""
from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _timing import ROOT, table

sys.path.insert(0, str(ROOT))

L, D, H, V, P, T = 12, 768, 12, 50257, 1024, 32


def make_folder(path: Path) -> None:
    from safetensors.numpy import save_file
    rng = np.random.default_rng(0)
    r = lambda *s: (0.02 * rng.standard_normal(s, dtype=np.float32))
    t = {"transformer.wte.weight": r(V, D), "transformer.wpe.weight": r(P, D),
         "transformer.ln_f.weight": np.ones(D, np.float32), "transformer.ln_f.bias": np.zeros(D, np.float32)}
    for i in range(L):
        h = f"transformer.h.{i}."
        t.update({h + "attn.c_attn.weight": r(D, 3 * D), h + "attn.c_attn.bias": r(3 * D),
                  h + "attn.c_proj.weight": r(D, D), h + "attn.c_proj.bias": r(D),
                  h + "mlp.c_fc.weight": r(D, 4 * D), h + "mlp.c_fc.bias": r(4 * D),
                  h + "mlp.c_proj.weight": r(4 * D, D), h + "mlp.c_proj.bias": r(D),
                  h + "ln_1.weight": np.ones(D, np.float32), h + "ln_1.bias": np.zeros(D, np.float32),
                  h + "ln_2.weight": np.ones(D, np.float32), h + "ln_2.bias": np.zeros(D, np.float32)})
    save_file(t, str(path / "model.safetensors"), metadata={"format": "pt"})
    (path / "config.json").write_text(json.dumps({
        "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": V, "n_embd": D, "n_layer": L,
        "n_head": H, "n_positions": P, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5}))


def gatelab_forward(path: Path, ids: np.ndarray) -> np.ndarray:
    from gatelab.engines import transformer_model as tm
    from gatelab.engines.formats import hf_folder
    p = hf_folder.open_folder(str(path)).params()
    return tm.forward(p, ids=ids).logits


def torch_forward(path: Path, ids: np.ndarray) -> np.ndarray:
    import torch
    from transformers import GPT2LMHeadModel
    model = GPT2LMHeadModel.from_pretrained(str(path)).eval()
    with torch.no_grad():
        return model(input_ids=torch.tensor(ids[None])).logits[0].numpy()


def timed(fn, *args, repeat: int = 3) -> tuple[float, np.ndarray]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="gatelab-bench-gpt2-"))
    try:
        make_folder(tmp)
        ids = np.random.default_rng(1).integers(0, V, size=T)
        t_g, ours = timed(gatelab_forward, tmp, ids)
        rows = [(f"GateLab numpy float64: load + forward, {L} x {D} x {H} heads, {T} tokens", f"{t_g:.3f} s")]
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError:
            rows.append(("transformers + torch", "not installed: no comparison"))
        else:
            t_t, theirs = timed(torch_forward, tmp, ids)
            rows += [("transformers + torch CPU float32: load + forward", f"{t_t:.3f} s"),
                     ("ratio GateLab / torch (goal <= 1.5)", f"{t_g / t_t:.2f}"),
                     ("max |logit difference| (float32 vs float64)", f"{np.max(np.abs(ours - theirs)):.2e}")]
        print(table(rows))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
