"""Small checkpoints written by real PyTorch, and PyTorch's own outputs on fixed inputs
(run offline, in an environment with torch; the files and ``torch_outputs.json`` are committed):

    .venv/bin/python tests/formats/refs/make_torch_fixtures.py

GateLab's test suite never needs torch: it reads these files with GateLab's readers, runs the
numpy engines and compares with the outputs recorded here (1e-9 for float64 files, 1e-6 for
float32; float16/bfloat16 files are compared with a float64 copy of the same rounded weights).

Files (a few KB each):
- ``lstm_bidir.pt`` / ``.safetensors``: a bare nn.LSTM(3, 4, num_layers=2, bidirectional=True,
  batch_first=True), float32, no prefix.
- ``rnn_head.pt`` / ``.safetensors``: a module ``rnn`` = nn.RNN(2, 3) + ``head`` = nn.Linear(3, 1), float64.
- ``gru_head.pt`` / ``.safetensors``: ``gru`` = nn.GRU(2, 3, num_layers=2, bidirectional=True, batch_first=True)
  + ``out`` = nn.Linear(6, 2), float64.
- ``encdec.pt``: two LSTMs ``enc`` and ``dec`` (the same shapes) + ``head``: several modules fit lstm.
- ``lstm_f16.safetensors`` (float16) and ``lstm_bf16.pt`` / ``.safetensors`` (bfloat16): ``rnn`` + ``head``.
- ``attn.pt``: a module with ``embed`` = nn.Linear(3, 4) and ``attn`` = nn.MultiheadAttention(4, 2), float64.
- ``transformer.pt`` / ``.safetensors``: ``embed`` nn.Linear, ``encoder`` = nn.TransformerEncoder of
  2 nn.TransformerEncoderLayer(4, 2, 8) and ``decoder`` = nn.TransformerDecoderLayer(4, 2, 8), float64.
- ``views.pt``: a state_dict of views (a transposed and a sliced tensor), float16/bfloat16 tensors and
  BatchNorm buffers (``num_batches_tracked`` int64); ``views_legacy.pt`` the same with the pre-1.6 format.
- ``whole_model.pt``: ``torch.save(model)`` (the whole pickled module).
- ``malicious.pt`` / ``malicious_eval.pt``: zips whose ``data.pkl`` would call ``os.system("touch
  GATELAB_PWNED")`` / ``builtins.eval`` (protocol 4 STACK_GLOBAL): written opcode by opcode, never run.
- ``truncated.pt``, ``truncated.safetensors``, ``bad_header.safetensors``, ``truncated.npz``,
  ``inf_f16.safetensors`` (a float16 inf in ``rnn.weight_hh_l0``): broken files.
- ``x_batch_first.npy``: an input of shape (1, 6, 3) (batch-first), refused by GateLab; ``x.json`` the
  same sequence time-major (6, 3).
"""
from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent
torch.manual_seed(7)


def tl(t):
    return t.detach().double().tolist()


def save_both(model: torch.nn.Module, stem: str, pt: bool = True, st: bool = True) -> None:
    sd = {k: v.contiguous() for k, v in model.state_dict().items()}
    if pt:
        torch.save(model.state_dict(), HERE / f"{stem}.pt")
    if st:
        save_file(sd, str(HERE / f"{stem}.safetensors"))


class RNNHead(torch.nn.Module):
    def __init__(self, cell: str, d: int, h: int, o: int, **kw) -> None:
        super().__init__()
        self.rnn = getattr(torch.nn, cell)(d, h, **kw)
        self.head = torch.nn.Linear(h * (2 if kw.get("bidirectional") else 1), o)


class GRUOut(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = torch.nn.GRU(2, 3, num_layers=2, bidirectional=True, batch_first=True)
        self.out = torch.nn.Linear(6, 2)


class EncDec(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = torch.nn.LSTM(2, 3)
        self.dec = torch.nn.LSTM(2, 3)
        self.head = torch.nn.Linear(3, 1)


class Attn(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Linear(3, 4)
        self.attn = torch.nn.MultiheadAttention(4, 2)


class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Linear(3, 4)
        layer = torch.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0)
        self.encoder = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.decoder = torch.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0)


def recurrent_outputs(rnn: torch.nn.Module, x_tm: torch.Tensor, head: torch.nn.Linear | None) -> dict:
    """Per-step top-layer outputs (h), h_n (and c_n), and head(h_t) for a time-major x [T, D]."""
    xb = x_tm.unsqueeze(0) if rnn.batch_first else x_tm.unsqueeze(1)
    out, state = rnn(xb)
    out = out[0] if rnn.batch_first else out[:, 0]                # [T, dirs*H]
    res = {"outputs": tl(out)}
    if isinstance(state, tuple):
        res.update(h_n=tl(state[0][:, 0]), c_n=tl(state[1][:, 0]))
    else:
        res["h_n"] = tl(state[:, 0])
    if head is not None:
        res["ys"] = tl(head(out))
    return res


def main() -> None:
    torch.set_default_dtype(torch.float64)
    refs: dict = {"generator": "tests/formats/refs/make_torch_fixtures.py", "torch_version": torch.__version__}
    x3 = torch.randn(6, 3)
    x2 = torch.randn(5, 2)

    lstm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True).float()
    save_both(lstm, "lstm_bidir")
    refs["lstm_bidir"] = {"model": "lstm", "module": "", "dtype": "float32", "x": tl(x3),
                          **recurrent_outputs(lstm.double(), x3, None)}
    np.save(HERE / "x_batch_first.npy", x3.unsqueeze(0).numpy())
    (HERE / "x.json").write_text(json.dumps({"x": tl(x3)}) + "\n")

    m = RNNHead("RNN", 2, 3, 1)
    save_both(m, "rnn_head")
    refs["rnn_head"] = {"model": "rnn", "module": "rnn", "head": "head", "dtype": "float64", "x": tl(x2),
                        **recurrent_outputs(m.rnn, x2, m.head)}

    g = GRUOut()
    save_both(g, "gru_head")
    refs["gru_head"] = {"model": "gru", "module": "gru", "head": "out", "dtype": "float64", "x": tl(x2),
                        **recurrent_outputs(g.gru, x2, g.out)}

    ed = EncDec()
    torch.save(ed.state_dict(), HERE / "encdec.pt")
    refs["encdec"] = {"model": "lstm", "module": "dec", "head": "head", "dtype": "float64", "x": tl(x2),
                      **recurrent_outputs(ed.dec, x2, ed.head)}

    low = RNNHead("LSTM", 2, 3, 1)
    half = {k: v.half() for k, v in low.state_dict().items()}
    save_file(half, str(HERE / "lstm_f16.safetensors"))
    low.load_state_dict({k: v.double() for k, v in half.items()})
    refs["lstm_f16"] = {"model": "lstm", "module": "rnn", "head": "head", "dtype": "float16", "x": tl(x2),
                        **recurrent_outputs(low.rnn, x2, low.head)}
    low = RNNHead("LSTM", 2, 3, 1)
    bf = {k: v.bfloat16() for k, v in low.state_dict().items()}
    torch.save(bf, HERE / "lstm_bf16.pt")
    save_file(bf, str(HERE / "lstm_bf16.safetensors"))
    low.load_state_dict({k: v.double() for k, v in bf.items()})
    refs["lstm_bf16"] = {"model": "lstm", "module": "rnn", "head": "head", "dtype": "bfloat16", "x": tl(x2),
                         **recurrent_outputs(low.rnn, x2, low.head)}
    attention_and_transformer(refs)
    odd_files(refs)
    (HERE / "torch_outputs.json").write_text(json.dumps(refs, indent=1) + "\n")


def attention_and_transformer(refs: dict) -> None:
    a = Attn().eval()
    torch.save(a.state_dict(), HERE / "attn.pt")
    x = torch.randn(5, 4)
    causal = torch.triu(torch.ones(5, 5, dtype=torch.bool), 1)
    out, w = a.attn(x, x, x, attn_mask=causal, average_attn_weights=False, need_weights=True)
    refs["attn"] = {"model": "multihead", "module": "attn", "dtype": "float64", "heads": 2, "mask": "causal",
                    "x": tl(x), "output": tl(out), "head_weights": tl(w)}

    t = Tiny()
    with torch.no_grad():
        for name, p in t.named_parameters():
            if name.endswith("bias") or ".norm" in name:
                p.add_(0.2 * torch.randn_like(p))
    t.train()              # dropout is 0; train mode keeps torch off its fused fast path
    save_both(t, "transformer")
    x = torch.randn(5, 1, 4)
    mem = torch.randn(3, 1, 4)
    causal = torch.triu(torch.ones(5, 5, dtype=torch.bool), 1)
    refs["transformer_enc1"] = {"model": "transformer", "module": "encoder.layers.1", "dtype": "float64",
                                "heads": 2, "x": tl(x[:, 0]), "output": tl(t.encoder.layers[1](x)[:, 0])}
    refs["transformer_dec"] = {"model": "transformer", "module": "decoder", "dtype": "float64", "heads": 2,
                               "x": tl(x[:, 0]), "memory": tl(mem[:, 0]),
                               "output": tl(t.decoder(x, mem, tgt_mask=causal)[:, 0])}


def odd_files(refs: dict) -> None:
    bn = torch.nn.BatchNorm1d(3)
    bn.num_batches_tracked += 4
    sd = {"t": torch.randn(3, 4).t(), "s": torch.randn(5, 4)[1:4, ::2], "h": torch.randn(2, 3).half(),
          "bf": torch.randn(4).bfloat16(), "bn": bn.state_dict(), "scalar": torch.tensor(2.5)}
    torch.save(sd, HERE / "views.pt")
    torch.save(sd, HERE / "views_legacy.pt", _use_new_zipfile_serialization=False)
    flat = {"t": sd["t"], "s": sd["s"], "h": sd["h"], "bf": sd["bf"], "scalar": sd["scalar"],
            **{f"bn.{k}": v for k, v in sd["bn"].items()}}
    refs["views"] = {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", ""),
                         "values": v.double().tolist() if v.is_floating_point() else v.tolist()}
                     for k, v in flat.items()}

    torch.save(EncDec(), HERE / "whole_model.pt")
    _malicious(HERE / "malicious.pt", _pickle_global_call(b"os", b"system", b"touch GATELAB_PWNED", proto=2))
    _malicious(HERE / "malicious_eval.pt",
               _pickle_global_call(b"builtins", b"eval", b"__import__('os').system('touch GATELAB_PWNED')", proto=4))

    raw = (HERE / "rnn_head.pt").read_bytes()
    (HERE / "truncated.pt").write_bytes(raw[: len(raw) // 2])
    raw = (HERE / "rnn_head.safetensors").read_bytes()
    (HERE / "truncated.safetensors").write_bytes(raw[:-20])
    n = int.from_bytes(raw[:8], "little")
    (HERE / "bad_header.safetensors").write_bytes(raw[:8] + b"{" + b"x" * (n - 1) + raw[8 + n:])
    buf = io.BytesIO()
    np.savez(buf, W_f=np.zeros((2, 3)), b_f=np.zeros(2))
    (HERE / "truncated.npz").write_bytes(buf.getvalue()[:-30])
    bad = RNNHead("LSTM", 2, 3, 1)
    half = {k: v.half() for k, v in bad.state_dict().items()}
    half["rnn.weight_hh_l0"][1, 2] = float("inf")
    save_file(half, str(HERE / "inf_f16.safetensors"))


def _pickle_global_call(module: bytes, name: bytes, arg: bytes, proto: int) -> bytes:
    """``module.name(arg)`` as pickle opcodes (what unpickling would run), built by hand."""
    s = b"\x80" + bytes([proto])
    if proto >= 4:                          # SHORT_BINUNICODE module, name; STACK_GLOBAL
        s += b"\x8c" + bytes([len(module)]) + module + b"\x8c" + bytes([len(name)]) + name + b"\x93"
    else:                                   # GLOBAL 'module name'
        s += b"c" + module + b"\n" + name + b"\n"
    s += b"X" + struct.pack("<I", len(arg)) + arg   # BINUNICODE arg
    s += b"\x85R."                          # TUPLE1, REDUCE, STOP
    return s


def _malicious(path: Path, data_pkl: bytes) -> None:
    # never unpickled here: pickle.loads would run it
    assert b"GATELAB_PWNED" in data_pkl and pickle.HIGHEST_PROTOCOL >= 4
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")


if __name__ == "__main__":
    main()
