"""Small checkpoints written by the tests themselves, in the layout users bring."""
from __future__ import annotations

from pathlib import Path

import numpy as np

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def word_lm(path: Path, cell: str = "lstm", *, hidden: int = 6, width: int = 8, vocab: int = 50, layers: int = 1,
            decoder: bool = True, seed: int = 0) -> str:
    """A word-level language model's state_dict as .safetensors, PyTorch names: ``encoder`` (nn.Embedding
    [vocab, width]) -> ``rnn`` (nn.RNN/GRU/LSTM, ``layers`` deep) -> ``decoder`` (nn.Linear hidden -> vocab);
    seeded random weights. Returns the path."""
    from safetensors.numpy import save_file
    rng = np.random.default_rng(seed)
    rows = GATES[cell] * hidden
    w = {"encoder.weight": rng.normal(size=(vocab, width))}
    for k in range(layers):
        w |= {f"rnn.weight_ih_l{k}": rng.normal(size=(rows, width if k == 0 else hidden)) / 3,
              f"rnn.weight_hh_l{k}": rng.normal(size=(rows, hidden)) / 3,
              f"rnn.bias_ih_l{k}": rng.normal(size=rows) / 3, f"rnn.bias_hh_l{k}": rng.normal(size=rows) / 3}
    if decoder:
        w |= {"decoder.weight": rng.normal(size=(vocab, hidden)) / 3, "decoder.bias": rng.normal(size=vocab) / 3}
    save_file({k: v.astype(np.float32) for k, v in w.items()}, str(path))
    return str(path)
