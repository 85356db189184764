"""A state_dict with recurrent *cells* (``nn.RNNCell``, ``nn.GRUCell``, ``nn.LSTMCell``: the way hand-written
seq2seq decoders hold them) and PyTorch's outputs when each cell is unrolled over a fixed input (run offline
with torch; the files are committed):

    python tests/formats/refs/make_cell_checkpoint.py

``cells.pt``: ``rnn_cell`` = nn.RNNCell(2, 3), ``gru_cell`` = nn.GRUCell(2, 3), ``dec`` = nn.LSTMCell(2, 3) and
``out`` = nn.Linear(3, 1), float64. ``cells.json``: ``x`` [T, 2] and, per cell, ``h`` [T, 3] (and ``c`` for the
LSTM cell) from h_0 = c_0 = 0, and ``y`` = out(h_t) of the LSTM cell. ``emb_lstm.pt`` / ``.json``: a model whose
inputs are token ids through an nn.Embedding (see :func:`embedded`).
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent


class Cells(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn_cell = torch.nn.RNNCell(2, 3)
        self.gru_cell = torch.nn.GRUCell(2, 3)
        self.dec = torch.nn.LSTMCell(2, 3)
        self.out = torch.nn.Linear(3, 1)


def main() -> None:
    torch.manual_seed(21)
    torch.set_default_dtype(torch.float64)
    m = Cells()
    x = torch.randn(5, 2)
    torch.save(m.state_dict(), HERE / "cells.pt")
    ref: dict = {"generator": "tests/formats/refs/make_cell_checkpoint.py", "torch_version": torch.__version__,
                 "x": x.tolist()}
    with torch.no_grad():
        for name in ("rnn_cell", "gru_cell"):
            h, hs = torch.zeros(1, 3), []
            for t in range(len(x)):
                h = getattr(m, name)(x[t:t + 1], h)
                hs.append(h[0].tolist())
            ref[name] = {"h": hs}
        h, c, hs, cs, ys = torch.zeros(1, 3), torch.zeros(1, 3), [], [], []
        for t in range(len(x)):
            h, c = m.dec(x[t:t + 1], (h, c))
            hs.append(h[0].tolist())
            cs.append(c[0].tolist())
            ys.append(m.out(h)[0].tolist())
        ref["dec"] = {"h": hs, "c": cs, "y": ys}
    (HERE / "cells.json").write_text(json.dumps(ref, indent=1) + "\n")


class EmbLSTM(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = torch.nn.Embedding(20, 4)
        self.lstm = torch.nn.LSTM(4, 3, batch_first=True)
        self.fc = torch.nn.Linear(3, 20)


def embedded() -> None:
    """``emb_lstm.pt``: nn.Embedding(20, 4) -> nn.LSTM(4, 3) -> nn.Linear(3, 20), float64, and ``emb_lstm.json``:
    torch's outputs on token ids (the LSTM's input x = the embedding rows, its h and the logits y)."""
    torch.manual_seed(22)
    torch.set_default_dtype(torch.float64)
    m = EmbLSTM()
    torch.save(m.state_dict(), HERE / "emb_lstm.pt")
    ids = [3, 1, 4, 1, 5]
    with torch.no_grad():
        x = m.embedding(torch.tensor([ids]))
        h, _ = m.lstm(x)
        y = m.fc(h)
    (HERE / "emb_lstm.json").write_text(json.dumps({
        "generator": "tests/formats/refs/make_cell_checkpoint.py", "torch_version": torch.__version__,
        "token_ids": ids, "x": x[0].tolist(), "h": h[0].tolist(), "y": y[0].tolist()}, indent=1) + "\n")


if __name__ == "__main__":
    main()
    embedded()
