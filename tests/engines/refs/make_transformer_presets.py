"""Generate the transformer-block, positional-encoding and norms presets (JSON committed).

    .venv/bin/python tests/engines/refs/make_transformer_presets.py
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[3] / "engines" / "presets"


def transformer_block() -> dict:
    rng = np.random.default_rng(2017)
    d, dff = 4, 8
    r = lambda *s: np.round(rng.normal(size=s) / np.sqrt(s[-1]), 2).tolist()
    b = lambda n: np.round(0.1 * rng.normal(size=n), 2).tolist()
    w = {}
    for pfx in ("self_attn.", "multihead_attn."):
        w[pfx + "in_proj_weight"] = r(3 * d, d)
        w[pfx + "in_proj_bias"] = b(3 * d)
        w[pfx + "out_proj.weight"] = r(d, d)
        w[pfx + "out_proj.bias"] = b(d)
    w.update({"linear1.weight": r(dff, d), "linear1.bias": b(dff), "linear2.weight": r(d, dff), "linear2.bias": b(d)})
    for i in (1, 2, 3):
        w[f"norm{i}.weight"] = [1.0] * d
        w[f"norm{i}.bias"] = [0.0] * d
    return {
        "model": "transformer",
        "description": "One post-LN Transformer block, d_model 4, 2 heads, d_ff 8: 'I am a student <pad>' (+ sinusoidal PE)",
        "options": {"block": "encoder", "heads": 2},
        "notes": ("Seeded (numpy default_rng(2017)) weights rounded to 2 decimals, in PyTorch "
                  "nn.TransformerDecoderLayer state_dict names (the encoder block ignores multihead_attn.* and norm3). "
                  "--block decoder uses 'memory' (4 source positions, the last one padding) for cross-attention."),
        "weights": w,
        "inputs": {"x": np.round(rng.normal(size=(5, d)), 2).tolist(),
                   "tokens": ["I", "am", "a", "student", "<pad>"],
                   "key_padding": [False, False, False, False, True],
                   "positional_encoding": True,
                   "memory": np.round(rng.normal(size=(4, d)), 2).tolist(),
                   "memory_tokens": ["je", "suis", "etudiant", "<pad>"],
                   "memory_key_padding": [False, False, False, True]},
    }


def main() -> None:
    docs = {
        "transformer-block": transformer_block(),
        "positional-encoding": {
            "model": "positional-encoding",
            "description": "Sinusoidal positional encoding, 8 positions x d_model 8, with rotation matrices M(1) and M(3)",
            "options": {},
            "weights": {},
            "inputs": {"T": 8, "d_model": 8, "k": [1, 3]},
        },
        "norms": {
            "model": "layernorm",
            "models": ["layernorm", "batchnorm"],
            "description": "Layer norm vs batch norm of the same batch: 4 vectors of 3 features (gamma 1, beta 0)",
            "options": {"eps": 1e-5},
            "weights": {"gamma": [1.0, 1.0, 1.0], "beta": [0.0, 0.0, 0.0]},
            "inputs": {"x": [[1.0, 2.0, 6.0], [0.5, -1.0, 2.5], [3.0, 3.0, 0.0], [-2.0, 4.0, 1.0]]},
        },
    }
    for name, doc in docs.items():
        (OUT / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print("wrote", OUT / f"{name}.json")


if __name__ == "__main__":
    main()
