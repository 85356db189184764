"""Independent references from PyTorch for the Transformer pieces (run offline; JSON committed).

    /tmp/torchenv/bin/python tests/engines/refs/make_torch_transformer_refs.py

- nn.TransformerEncoderLayer / nn.TransformerDecoderLayer (d_model 4, 2 heads, d_ff 8, dropout 0,
  post-LN = norm_first False, ReLU), run in train() mode so the fused "fast path" is not used.
- nn.LayerNorm and nn.BatchNorm1d (training mode) outputs, and BatchNorm's running_var update
  (momentum 1 -> the unbiased batch variance).
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

torch.manual_seed(1)
torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent / "torch_transformer.json"


def tl(t):
    return t.detach().tolist()


def main() -> None:
    d, H, dff, T, S = 4, 2, 8, 5, 4
    enc = torch.nn.TransformerEncoderLayer(d, H, dff, dropout=0.0, batch_first=True, norm_first=False)
    dec = torch.nn.TransformerDecoderLayer(d, H, dff, dropout=0.0, batch_first=True, norm_first=False)
    for m in (enc, dec):
        m.train()
        with torch.no_grad():
            for name, p in m.named_parameters():
                if name.endswith("bias") or name.startswith("norm"):
                    p.add_(0.2 * torch.randn_like(p))
    x = torch.randn(1, T, d)
    kp = torch.tensor([[False, False, False, True, True]])
    y_enc = enc(x, src_key_padding_mask=kp)
    mem = torch.randn(1, S, d)
    mkp = torch.tensor([[False, False, True, False]])
    causal = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    y_dec = dec(x, mem, tgt_mask=causal, tgt_key_padding_mask=kp, memory_key_padding_mask=mkp)

    xn = torch.randn(6, 3) * 2 + 1
    ln = torch.nn.LayerNorm(3, eps=1e-5)
    bn = torch.nn.BatchNorm1d(3, eps=1e-5, momentum=1.0)
    with torch.no_grad():
        ln.weight.copy_(torch.tensor([1.5, 0.5, -1.0])); ln.bias.copy_(torch.tensor([0.1, 0.0, -0.2]))
        bn.weight.copy_(torch.tensor([1.5, 0.5, -1.0])); bn.bias.copy_(torch.tensor([0.1, 0.0, -0.2]))
    bn.train()
    y_bn = bn(xn)
    doc = {
        "generator": "tests/engines/refs/make_torch_transformer_refs.py", "torch_version": torch.__version__,
        "encoder": {"state_dict": {k: tl(v) for k, v in enc.state_dict().items()}, "heads": H,
                    "x": tl(x[0]), "key_padding": tl(kp[0]), "output": tl(y_enc[0])},
        "decoder": {"state_dict": {k: tl(v) for k, v in dec.state_dict().items()}, "heads": H,
                    "x": tl(x[0]), "key_padding": tl(kp[0]), "memory": tl(mem[0]),
                    "memory_key_padding": tl(mkp[0]), "output": tl(y_dec[0])},
        "norms": {"x": tl(xn), "gamma": [1.5, 0.5, -1.0], "beta": [0.1, 0.0, -0.2], "eps": 1e-5,
                  "layer_norm": tl(ln(xn)), "batch_norm": tl(y_bn), "running_var": tl(bn.running_var),
                  "running_mean": tl(bn.running_mean)},
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
