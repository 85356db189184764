"""Independent reference values of activations and their derivatives from PyTorch autograd.

    /tmp/torchenv/bin/python tests/engines/refs/make_torch_activation_refs.py
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent / "torch_activations.json"
FNS = {
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.01), "elu": lambda x: F.elu(x, 1.0), "selu": F.selu,
    "softplus": F.softplus, "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
}


def main() -> None:
    x = torch.tensor([-6.0, -3.3, -1.7, -0.4, -0.05, 0.05, 0.3, 1.0, 2.2, 4.5, 9.0])
    doc = {"generator": "tests/engines/refs/make_torch_activation_refs.py", "torch_version": torch.__version__,
           "x": x.tolist(), "functions": {}}
    for name, fn in FNS.items():
        xx = x.clone().requires_grad_(True)
        y = fn(xx)
        (g,) = torch.autograd.grad(y.sum(), xx)
        doc["functions"][name] = {"y": y.detach().tolist(), "dy": g.tolist()}
    z = torch.tensor([2.0, 1.0, 0.5, 0.2, -1.0])
    doc["softmax"] = {"z": z.tolist(), "T": [0.1, 0.5, 1.0, 3.0],
                      "p": [torch.softmax(z / T, 0).tolist() for T in (0.1, 0.5, 1.0, 3.0)]}
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
