"""Independent reference numbers from PyTorch (run offline; the suite only reads the JSON).

    /tmp/torchenv/bin/python tests/engines/refs/make_torch_attention_refs.py

Writes torch_attention.json with:
- "mha": nn.MultiheadAttention(embed_dim=4, num_heads=2) in float64: its state_dict, the input x,
  the key_padding_mask and boolean causal attn_mask, the output and per-head attention weights;
  plus a cross-attention case (query != key/value sequence) with padding only.
- "sdpa": F.scaled_dot_product_attention on random q, k, v with a boolean mask (torch: True = *take
  part*, so the mask stored is ours: True = ignore).
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent / "torch_attention.json"


def tolist(t):
    return t.detach().cpu().tolist()


def main() -> None:
    E, H, T, S = 4, 2, 5, 3
    mha = torch.nn.MultiheadAttention(E, H, bias=True, batch_first=True)
    with torch.no_grad():  # non-zero biases (torch initialises them to zero)
        mha.in_proj_bias.normal_(0, 0.3)
        mha.out_proj.bias.normal_(0, 0.3)
    x = torch.randn(1, T, E)
    kpm = torch.tensor([[False, False, False, False, True]])
    causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    out, w = mha(x, x, x, key_padding_mask=kpm, attn_mask=causal, need_weights=True, average_attn_weights=False)
    mem = torch.randn(1, S, E)
    kpm2 = torch.tensor([[False, True, False]])
    out2, w2 = mha(x, mem, mem, key_padding_mask=kpm2, need_weights=True, average_attn_weights=False)
    sd = {k: tolist(v) for k, v in mha.state_dict().items()}

    q, k, v = torch.randn(3, 6), torch.randn(4, 6), torch.randn(4, 5)
    ignore = torch.tensor([[False, False, True, False]] * 3)
    ignore[0, 1] = True
    z = F.scaled_dot_product_attention(q[None], k[None], v[None], attn_mask=~ignore[None])
    doc = {
        "generator": "tests/engines/refs/make_torch_attention_refs.py",
        "torch_version": torch.__version__,
        "mha": {"state_dict": sd, "num_heads": H, "x": tolist(x[0]),
                "key_padding": tolist(kpm[0]), "causal": True,
                "output": tolist(out[0]), "head_weights": tolist(w[0]),
                "cross": {"memory": tolist(mem[0]), "key_padding": tolist(kpm2[0]),
                          "output": tolist(out2[0]), "head_weights": tolist(w2[0])}},
        "sdpa": {"q": tolist(q), "k": tolist(k), "v": tolist(v), "mask": tolist(ignore), "output": tolist(z[0])},
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
