"""Independent PyTorch re-implementation of the seq2seq preset (run offline; JSON committed).

    /tmp/torchenv/bin/python tests/engines/refs/make_torch_seq2seq_refs.py

Reads engines/presets/seq2seq-translate.json and recomputes, in torch, the decoder logits and the
alignment for each cell and attention mode. LSTM and RNN use torch's own nn.LSTMCell / nn.RNNCell
(our W·[h, x] is split into weight_hh = W[:, :H] and weight_ih = W[:, H:]; torch's gate order is
i, f, g, o). The GRU is the textbook convention (r applied to h before the matrix), which torch's
GRUCell does not implement, so it is written out with torch ops.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

torch.set_default_dtype(torch.float64)
ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).resolve().parent / "torch_seq2seq.json"


def T(x):
    return torch.tensor(x, dtype=torch.float64)


def make_cell(w, part, kind, H):
    if kind == "lstm":
        W = torch.cat([T(w[f"{part}.W_{g}"]) for g in ("i", "f", "C", "o")])      # [4H, H + D]
        b = torch.cat([T(w[f"{part}.b_{g}"]) for g in ("i", "f", "C", "o")])
        m = torch.nn.LSTMCell(W.shape[1] - H, H)
        with torch.no_grad():
            m.weight_hh.copy_(W[:, :H]); m.weight_ih.copy_(W[:, H:]); m.bias_ih.copy_(b); m.bias_hh.zero_()

        def step(x, state):
            h, c = m(x[None], (state[0][None], state[1][None]))
            return h[0], (h[0], c[0])
        return step
    if kind == "rnn":
        W, b = T(w[f"{part}.W"]), T(w[f"{part}.b"])
        m = torch.nn.RNNCell(W.shape[1] - H, H, nonlinearity="tanh")
        with torch.no_grad():
            m.weight_hh.copy_(W[:, :H]); m.weight_ih.copy_(W[:, H:]); m.bias_ih.copy_(b); m.bias_hh.zero_()

        def step(x, state):
            h = m(x[None], state[0][None])[0]
            return h, (h, state[1])
        return step
    Wz, Wr, Wh = (T(w[f"{part}.{n}"]) for n in ("W_z", "W_r", "W_h"))
    bz, br, bh = (T(w[f"{part}.{n}"]) for n in ("b_z", "b_r", "b_h"))

    def step(x, state):
        h = state[0]
        z = torch.sigmoid(Wz[:, :H] @ h + Wz[:, H:] @ x + bz)
        r = torch.sigmoid(Wr[:, :H] @ h + Wr[:, H:] @ x + br)
        n = torch.tanh(Wh[:, :H] @ (r * h) + Wh[:, H:] @ x + bh)
        hn = (1 - z) * h + z * n
        return hn, (hn, state[1])
    return step


def run(doc, kind, attention, score, decode):
    w = doc["weights"]
    sv, tv = w["src_vocab"], w["tgt_vocab"]
    src, tgt = doc["inputs"]["source"], doc["inputs"]["target"]
    Es, Et = T(w["E_src"]), T(w["E_tgt"])
    H = T(w["enc_fwd.W_z"]).shape[0]
    Hd = T(w["dec.W_z"]).shape[0]
    fwd, bwd, dec = make_cell(w, "enc_fwd", kind, H), make_cell(w, "enc_bwd", kind, H), make_cell(w, "dec", kind, Hd)
    X = Es[[sv.index(t) for t in src]]
    st = (torch.zeros(H), torch.zeros(H)); HF = []
    for x in X:
        h, st = fwd(x, st); HF.append(h)
    st = (torch.zeros(H), torch.zeros(H)); HB = [None] * len(src)
    for j in reversed(range(len(src))):
        h, st = bwd(X[j], st); HB[j] = h
    A = torch.stack([torch.cat([a, b]) for a, b in zip(HF, HB)])
    C = torch.cat([HF[-1], HB[0]])
    s = torch.tanh(C @ T(w["W_init"]) + T(w.get("b_init", [0.0] * Hd)))
    state = (s, torch.zeros(Hd))
    prev, prev_ctx = "<s>", C
    logits_all, align = [], []
    for i in range(len(tgt)):
        x = Et[tv.index(prev)]
        s_prev = state[0]
        if attention == "bahdanau":
            e = torch.tanh(s_prev @ T(w["W_aq"]) + A @ T(w["W_ak"])) @ T(w["v_a"])
            a = torch.softmax(e, 0); ctx = a @ A
            s, state = dec(torch.cat([x, ctx]), state)
        elif attention == "luong":
            s, state = dec(torch.cat([x, prev_ctx]), state)
            e = A @ s if score == "dot" else A @ (T(w["W_a"]).T @ s)
            a = torch.softmax(e, 0); ctx = a @ A
        else:
            a, ctx = None, C
            s, state = dec(torch.cat([x, ctx]), state)
        logits = torch.cat([s, ctx]) @ T(w["W_out"]) + T(w["b_out"])
        logits_all.append(logits.tolist())
        align.append(None if a is None else a.tolist())
        prev_ctx = ctx
        prev = tgt[i] if decode == "teacher" else tv[int(torch.argmax(logits))]
        if decode == "free" and prev == "</s>":
            break
    return {"cell": kind, "attention": attention, "score": score, "decode": decode,
            "logits": logits_all, "alignment": align}


def main() -> None:
    doc = json.loads((ROOT / "engines" / "presets" / "seq2seq-translate.json").read_text(encoding="utf-8"))
    cases = []
    for kind in ("rnn", "gru", "lstm"):
        for attention, score in (("none", "none"), ("bahdanau", "additive"), ("luong", "dot"), ("luong", "general")):
            cases.append(run(doc, kind, attention, score, "teacher"))
    cases.append(run(doc, "lstm", "bahdanau", "additive", "free"))
    cases.append(run(doc, "gru", "luong", "general", "free"))
    OUT.write_text(json.dumps({"generator": "tests/engines/refs/make_torch_seq2seq_refs.py",
                               "torch_version": torch.__version__, "cases": cases}, indent=1) + "\n")
    print("wrote", OUT, len(cases), "cases")


if __name__ == "__main__":
    main()
