"""Generate independent PyTorch references for the rnn and model-summary engines.

Run offline (the test suite does not need torch):

    /tmp/torchenv/bin/python tests/engines/refs/gen_torch_rnn.py

Writes tests/engines/refs/torch_rnn.json: for each case the weights (PyTorch nn.RNN
state_dict names + our V/b_y), the inputs, torch's hidden states h_t and outputs y_t,
the autograd gradients of the stated loss, and clip_grad_norm_ results; plus
parameter counts of real nn.RNN / nn.LSTM / nn.GRU / nn.Linear modules.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).with_name("torch_rnn.json")


def case(name, seed, D, H, O, T, nonlinearity, output, target_kind, clip):
    rng = np.random.default_rng(seed)
    rnn = torch.nn.RNN(D, H, nonlinearity=nonlinearity, batch_first=False)
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.8, 0.8, tuple(p.shape))))
    V = torch.tensor(rng.uniform(-1, 1, (O, H)), requires_grad=True)
    b_y = torch.tensor(rng.uniform(-0.5, 0.5, O), requires_grad=True)
    x = torch.tensor(rng.normal(size=(T, D)))
    h0 = torch.tensor(rng.normal(size=H) * 0.5)
    hs, _ = rnn(x[:, None, :], h0[None, None, :])   # [T, 1, H]
    hs = hs[:, 0, :]                                # [T, H]
    o = hs @ V.T + b_y                               # [T, O]
    y = {"identity": o, "sigmoid": torch.sigmoid(o), "softmax": torch.softmax(o, dim=-1)}[output]
    target = None
    if target_kind == "none":
        loss = y[-1].sum()
    elif target_kind == "last":
        target = torch.tensor(rng.uniform(0, 1, O))
        loss = 0.5 * ((y[-1] - target) ** 2).sum()
    else:
        target = torch.tensor(rng.uniform(0, 1, (T, O)))
        loss = 0.5 * ((y - target) ** 2).sum()
    loss.backward()
    sd = {k: v.detach().numpy().tolist() for k, v in rnn.state_dict().items()}
    grads = {k: p.grad.detach().numpy().tolist() for k, p in rnn.named_parameters()}
    grads["V"] = V.grad.numpy().tolist()
    grads["b_y"] = b_y.grad.numpy().tolist()
    # clipping by global norm over OUR parameterisation (U, W, b_h = b_ih + b_hh counted once, V, b_y):
    # dL/db_h = dL/db_ih = dL/db_hh, so use the leaves U, W, bias_ih (as b_h), V, b_y.
    ours = [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, V, b_y]
    clipped = None
    if clip is not None:
        total = torch.nn.utils.clip_grad_norm_(ours, max_norm=clip)   # uses max_norm / (norm + 1e-6)
        clipped = {"norm_before": float(total),
                   "U": rnn.weight_ih_l0.grad.numpy().tolist(), "W": rnn.weight_hh_l0.grad.numpy().tolist(),
                   "b_h": rnn.bias_ih_l0.grad.numpy().tolist(), "V": V.grad.numpy().tolist(),
                   "b_y": b_y.grad.numpy().tolist()}
    return {
        "name": name, "activation": nonlinearity, "output": output, "clip": clip,
        "weights": {**sd, "V": V.detach().numpy().tolist(), "b_y": b_y.detach().numpy().tolist()},
        "inputs": {"x": x.numpy().tolist(), "h0": h0.numpy().tolist(),
                   **({"target": target.numpy().tolist()} if target is not None else {})},
        "h": hs.detach().numpy().tolist(), "y": y.detach().numpy().tolist(),
        "loss": float(loss.detach()), "grads": grads, "clipped": clipped,
    }


def counts():
    rows = []
    for D, u in ((1, 30), (30, 30), (3, 5), (7, 2), (16, 64)):
        for kind, mod in (("SimpleRNN", torch.nn.RNN(D, u)), ("LSTM", torch.nn.LSTM(D, u)),
                          ("GRU", torch.nn.GRU(D, u)), ("Dense", torch.nn.Linear(D, u))):
            rows.append({"type": kind, "input_dim": D, "units": u,
                         "params": sum(p.numel() for p in mod.parameters())})
    stack = torch.nn.ModuleList([torch.nn.LSTM(1, 30), torch.nn.LSTM(30, 30), torch.nn.Linear(30, 1)])
    return {"layers": rows, "keras_lstm_summary_total": sum(p.numel() for p in stack.parameters())}


def main():
    cases = [
        case("tanh_sum", 1, 3, 4, 2, 5, "tanh", "identity", "none", None),
        case("relu_sum", 2, 2, 3, 1, 4, "relu", "identity", "none", None),
        case("tanh_softmax_every_step", 3, 3, 4, 3, 6, "tanh", "softmax", "every", 0.5),
        case("tanh_sigmoid_last", 4, 2, 3, 2, 5, "tanh", "sigmoid", "last", 100.0),
    ]
    doc = {"generator": "tests/engines/refs/gen_torch_rnn.py", "torch": torch.__version__,
           "cases": cases, "counts": counts()}
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
