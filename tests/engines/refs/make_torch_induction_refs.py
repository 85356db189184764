"""Independent reference for the ``induction-heads`` preset folder, made with transformers + PyTorch.

Run offline (the test suite needs neither):

    .venv/bin/python -m pip install torch==2.13.0 transformers
    .venv/bin/python tests/engines/refs/make_torch_induction_refs.py

It proves the folder is a GPT-2 model folder: ``GPT2LMHeadModel.from_pretrained`` loads it with no
missing or unexpected tensor, ``save_pretrained`` of the loaded model writes the same tensor names
and shapes, and the folder's ``tokenizer.json`` (read by ``tokenizers``) gives the example's ids.
Then it writes ``torch_induction.npz`` beside this script (float64):

- ``ids`` [T], ``logits`` [T, V] and ``attentions`` [L, H, T, T] of the example input;
- ``batch`` [B, T] (a small seeded batch of the task), ``loss`` (the mean next-token cross-entropy
  over every position, by ``cross_entropy`` on the float64 logits) and ``grad:<name>`` dloss/dparameter for every
  parameter, by autograd (``grad:transformer.wte.weight`` includes the tied LM head).
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load_file
from tokenizers import Tokenizer
from transformers import GPT2LMHeadModel

ROOT = Path(__file__).resolve().parents[3]
FOLDER = ROOT / "engines" / "presets" / "induction-heads"
OUT = Path(__file__).with_name("torch_induction.npz")
BATCH_SEED, BATCH, BATCH_HALF = 7, 3, 5


def batch(vocab: int, positions: int) -> np.ndarray:
    """The same generator as the engine's task (kept in step by hand: distinct tokens, then a repeat)."""
    rng = np.random.default_rng(BATCH_SEED)
    first = np.argsort(rng.random((BATCH, vocab)), axis=1)[:, : positions - BATCH_HALF]
    return np.concatenate([first, first[:, positions - 2 * BATCH_HALF:]], axis=1)


def main() -> int:
    torch.manual_seed(0)
    model, info = GPT2LMHeadModel.from_pretrained(FOLDER, dtype=torch.float64, attn_implementation="eager",
                                                  output_loading_info=True)
    bad = {k: v for k, v in info.items() if v}
    if bad:
        print(f"loading info not clean: {bad}", file=sys.stderr)
        return 1
    model.eval()
    ours = load_file(str(FOLDER / "model.safetensors"))
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        theirs = load_file(str(Path(tmp) / "model.safetensors"))
        if {k: v.shape for k, v in theirs.items()} != {k: v.shape for k, v in ours.items()}:
            print(f"save_pretrained names/shapes differ: {sorted(set(theirs) ^ set(ours))}", file=sys.stderr)
            return 1
    task = json.loads((FOLDER / "gatelab-task.json").read_text())
    tok = Tokenizer.from_file(str(FOLDER / "tokenizer.json"))
    text = " ".join(task["example"]["tokens"])
    ids = np.array(tok.encode(text).ids)
    assert [task["vocab"][i] for i in ids] == task["example"]["tokens"], "tokenizer ids differ from the vocabulary"
    with torch.no_grad():
        out = model(torch.tensor(ids)[None], output_attentions=True)
    result = {"ids": ids, "logits": out.logits[0].numpy(),
              "attentions": np.stack([a[0].numpy() for a in out.attentions])}
    x = batch(model.config.vocab_size, model.config.n_positions)
    xt = torch.tensor(x)
    logits = model(xt).logits                                          # float64 (the library's own loss upcasts to float32)
    loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), xt[:, 1:].reshape(-1))
    loss.backward()
    result.update(batch=x, loss=np.array(loss.item()))
    for name, prm in model.named_parameters():
        result[f"grad:{name}"] = prm.grad.numpy().copy()
    np.savez_compressed(OUT, **result)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes); loss {loss.item():.6f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
