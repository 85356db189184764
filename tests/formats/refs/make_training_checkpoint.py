"""A training checkpoint as Lightning writes one (``trainer.save_checkpoint("train.ckpt")``), written by real
PyTorch, and PyTorch's outputs on a fixed input (run offline with torch; the files are committed):

    python tests/formats/refs/make_training_checkpoint.py

``train.ckpt`` is ``torch.save`` of a dict: ``epoch``, ``global_step``, ``pytorch-lightning_version``,
``state_dict`` (a LightningModule's ``rnn`` = nn.LSTM(2, 3) + ``head`` = nn.Linear(3, 1), float32),
``optimizer_states`` (Adam's state: exp_avg tensors beside the weights), ``hyper_parameters`` (Lightning's
``AttributeDict``, a dict subclass, holding an ``argparse.Namespace``, a ``pathlib`` path and a numpy
float64), ``best_val_loss`` (a numpy float64 scalar) and ``callbacks``. Lightning itself is not needed:
its ``AttributeDict`` class is stood in by a class of the same module and name, which is all the pickle
records. ``train_ckpt.json`` holds torch's LSTM outputs and the head's y on ``x``.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import types
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent


def _lightning_attribute_dict() -> type:
    """A class pickled as ``lightning.fabric.utilities.data.AttributeDict`` (a dict subclass), as Lightning's."""
    names = ["lightning", "lightning.fabric", "lightning.fabric.utilities", "lightning.fabric.utilities.data"]
    for n in names:
        sys.modules.setdefault(n, types.ModuleType(n))
    cls = type("AttributeDict", (dict,), {"__module__": names[-1]})
    sys.modules[names[-1]].AttributeDict = cls
    return cls


class Module(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = torch.nn.LSTM(2, 3)
        self.head = torch.nn.Linear(3, 1)


def main() -> None:
    torch.manual_seed(11)
    m = Module()
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    x = torch.randn(4, 2)
    for _ in range(3):                                  # a few steps: the optimizer has state
        out, _ = m.rnn(x.unsqueeze(1))
        loss = m.head(out[-1, 0]).pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    hp = _lightning_attribute_dict()(hidden=3, lr=1e-2, args=argparse.Namespace(data=pathlib.PurePosixPath("/data/x"),
                                                                                 seed=11),
                                     best=np.float64(0.25))
    ckpt = {"epoch": 2, "global_step": 3, "pytorch-lightning_version": "2.4.0", "state_dict": m.state_dict(),
            "optimizer_states": [opt.state_dict()], "lr_schedulers": [], "hyper_parameters": hp,
            "best_val_loss": np.float64(0.3125), "callbacks": {"ModelCheckpoint": {"best_model_score": None}}}
    torch.save(ckpt, HERE / "train.ckpt")
    with torch.no_grad():
        md = m.double()
        out, (h, c) = md.rnn(x.double().unsqueeze(1))
        y = md.head(out[:, 0])
    (HERE / "train_ckpt.json").write_text(json.dumps({
        "generator": "tests/formats/refs/make_training_checkpoint.py", "torch_version": torch.__version__,
        "x": x.double().tolist(), "outputs": out[:, 0].tolist(), "h_T": h[0, 0].tolist(), "c_T": c[0, 0].tolist(),
        "y": y.tolist(), "best_val_loss": 0.3125}, indent=1) + "\n")


if __name__ == "__main__":
    main()
