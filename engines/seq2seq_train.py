"""Training of the ``seq2seq-reverse`` preset (owner: seq2seq-reverse training, issue 6).

A tiny encoder-decoder with attention is trained in numpy to *reverse a digit sequence*
(``3 1 4 1 5 -> 5 1 4 1 3 </s>``). The right alignment is known: output step ``i`` must look
at source position ``T-1-i`` (the anti-diagonal). The trained weights are shipped as
``engines/presets/seq2seq-reverse.json`` and run through the seq2seq engine; this module is the
script that reproduces them bit for bit (``python -m engines.seq2seq_train``).

Notation
--------
    V            vocabulary size (``VOCAB``: <s>, </s>, 0 .. 9)
    T            source length, U = T + 1 target length (the reversed digits, then </s>)
    x_j          source token ids, j = 0 .. T-1;  y_i target ids, y_{-1} = <s>
    E_src, E_tgt embeddings                                  [V, d]
    h^f_j, h^b_j forward / backward encoder states            [H]
    h_j          annotation [h^f_j ; h^b_j]                   [2H]
    s_i          decoder state, s_{-1} = [h^f_{T-1} ; h^b_0]  [2H]
    e_ij         attention score, alpha_ij = softmax_j(e_ij), c_i = sum_j alpha_ij h_j
    o_i          logits, p_i = softmax(o_i)                   [V]

Equations (Bahdanau, additive score over a bidirectional encoder)
---------
    h^f_j = cell_f(E_src[x_j], h^f_{j-1}),   h^b_j = cell_b(E_src[x_j], h^b_{j+1})   (zero initial states)
    e_ij  = v_a . tanh(s_{i-1} W_aq + h_j W_ak)
    alpha_i = softmax(e_i),   c_i = sum_j alpha_ij h_j
    s_i   = cell_d([E_tgt[y_{i-1}] ; c_i], s_{i-1})
    o_i   = W_o [s_i ; c_i] + b_o,   p_i = softmax(o_i)
    L     = mean over the batch and the U steps of -log p_i[y_i]   (teacher forcing)

Cells (weights W [H, H + D] act on [h_{t-1}, x_t], h first, as in engines/rnn.py and engines/gru.py):
    rnn:  h = tanh(W [h, x] + b)
    gru (textbook):  z = sig(W_z [h,x] + b_z), r = sig(W_r [h,x] + b_r),
                     n = tanh(W_n [r*h, x] + b_n), h' = (1 - z) h + z n

Backward: hand-written BPTT through the output layer, the decoder cell, the attention (softmax and
additive score) and both encoder directions; checked against central finite differences for every
parameter in ``tests/engines/test_seq2seq_train.py``. Adam with a seeded ``np.random.Generator``.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, asdict
from typing import Any

import numpy as np

from ._numerics import sigmoid

VOCAB: tuple[str, ...] = ("<s>", "</s>", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
BOS, EOS = 0, 1
DIGITS = np.arange(2, 12)


# --------------------------------------------------------------------------- configuration

@dataclass(frozen=True)
class Config:
    emb: int = 8              # d: embedding width
    hidden: int = 8           # H: encoder hidden per direction (decoder hidden = 2H)
    attn: int = 8             # d_a: additive attention width
    cell: str = "gru"         # "rnn" | "gru"
    lengths: tuple[int, ...] = (4, 5)
    batch: int = 32
    steps: int = 3000
    lr: float = 0.01
    clip: float = 5.0
    seed: int = 0
    heldout: int = 400        # held-out sequences (half per length), never seen in training
    heldout_seed: int = 12345
    init_scale: float = 0.5


# --------------------------------------------------------------------------- parameters

def param_shapes(cfg: Config) -> dict[str, tuple[int, ...]]:
    V, d, H, A = len(VOCAB), cfg.emb, cfg.hidden, cfg.attn
    S = 2 * H
    shapes: dict[str, tuple[int, ...]] = {"E_src": (V, d), "E_tgt": (V, d)}
    gates = ("r", "z", "n") if cfg.cell == "gru" else ("",)
    for pre, hid, inp in (("enc_f", H, d), ("enc_b", H, d), ("dec", S, d + S)):
        for g in gates:
            nm = f"_{g}" if g else ""
            shapes[f"{pre}.W{nm}"] = (hid, hid + inp)
            shapes[f"{pre}.b{nm}"] = (hid,)
    shapes.update({"W_aq": (S, A), "W_ak": (S, A), "v_a": (A,), "W_o": (V, 2 * S), "b_o": (V,)})
    return shapes


def init_params(cfg: Config, rng: np.random.Generator) -> dict[str, np.ndarray]:
    out = {}
    for name, shp in param_shapes(cfg).items():
        if name.split(".")[-1].startswith("b"):
            out[name] = np.zeros(shp)
        else:
            fan_in = shp[-1] if len(shp) == 2 and not name.startswith(("E_", "W_a")) else shp[0]
            scale = 1.0 if name.startswith("E_") else cfg.init_scale * np.sqrt(1.0 / fan_in) * 2
            out[name] = rng.normal(0.0, scale, size=shp)
    return out


# --------------------------------------------------------------------------- cells (batched)

def _cell_fwd(p: dict, pre: str, cell: str, x: np.ndarray, h: np.ndarray):
    """One step for a batch: x [B, D], h [B, H] -> (h' [B, H], cache)."""
    hx = np.concatenate([h, x], axis=1)                     # [B, H + D]
    if cell == "rnn":
        hn = np.tanh(hx @ p[f"{pre}.W"].T + p[f"{pre}.b"])  # [B, H + D] @ [H + D, H] -> [B, H]
        return hn, (hx, hn)
    H = h.shape[1]
    z = sigmoid(hx @ p[f"{pre}.W_z"].T + p[f"{pre}.b_z"])   # [B, H]
    r = sigmoid(hx @ p[f"{pre}.W_r"].T + p[f"{pre}.b_r"])   # [B, H]
    rhx = np.concatenate([r * h, x], axis=1)                # [B, H + D]
    n = np.tanh(rhx @ p[f"{pre}.W_n"].T + p[f"{pre}.b_n"])  # [B, H]
    hn = (1 - z) * h + z * n
    return hn, (hx, rhx, z, r, n, H)


def _cell_bwd(p: dict, g: dict, pre: str, cell: str, cache, dh_new: np.ndarray):
    """Accumulate parameter gradients into g; return (dx [B, D], dh_prev [B, H])."""
    if cell == "rnn":
        hx, hn = cache
        da = dh_new * (1 - hn ** 2)                         # [B, H]
        g[f"{pre}.W"] += da.T @ hx
        g[f"{pre}.b"] += da.sum(0)
        dhx = da @ p[f"{pre}.W"]                            # [B, H] @ [H, H + D] -> [B, H + D]
        H = hn.shape[1]
        return dhx[:, H:], dhx[:, :H]
    hx, rhx, z, r, n, H = cache
    h = hx[:, :H]
    dz = dh_new * (n - h)
    dn = dh_new * z
    dh = dh_new * (1 - z)
    dan = dn * (1 - n ** 2)
    g[f"{pre}.W_n"] += dan.T @ rhx
    g[f"{pre}.b_n"] += dan.sum(0)
    drhx = dan @ p[f"{pre}.W_n"]                            # [B, H + D]
    drh = drhx[:, :H]
    dx = drhx[:, H:].copy()
    dr = drh * h
    dh += drh * r
    dar = dr * r * (1 - r)
    daz = dz * z * (1 - z)
    g[f"{pre}.W_r"] += dar.T @ hx
    g[f"{pre}.b_r"] += dar.sum(0)
    g[f"{pre}.W_z"] += daz.T @ hx
    g[f"{pre}.b_z"] += daz.sum(0)
    dhx = dar @ p[f"{pre}.W_r"] + daz @ p[f"{pre}.W_z"]     # [B, H + D]
    dh += dhx[:, :H]
    dx += dhx[:, H:]
    return dx, dh


def _softmax(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=-1, keepdims=True)
    e = np.exp(z - m)
    return e / e.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------- forward / backward

@dataclass
class Forward:
    loss: float
    alphas: np.ndarray        # [B, U, T]
    logits: np.ndarray        # [B, U, V]
    contexts: np.ndarray      # [B, U, 2H]
    states: np.ndarray        # [B, U, 2H]
    annotations: np.ndarray   # [B, T, 2H]
    cache: dict = field(default_factory=dict, repr=False)


def encode(p: dict, src: np.ndarray, cfg: Config):
    """src [B, T] ids -> annotations [B, T, 2H], s_init [B, 2H], caches."""
    B, T = src.shape
    H = cfg.hidden
    xe = p["E_src"][src]                                    # [B, T] -> [B, T, d]
    hf = np.zeros((B, H))
    hb = np.zeros((B, H))
    Hf = np.zeros((B, T, H))
    Hb = np.zeros((B, T, H))
    cf, cb = [None] * T, [None] * T
    for j in range(T):
        hf, cf[j] = _cell_fwd(p, "enc_f", cfg.cell, xe[:, j], hf)
        Hf[:, j] = hf
    for j in range(T - 1, -1, -1):
        hb, cb[j] = _cell_fwd(p, "enc_b", cfg.cell, xe[:, j], hb)
        Hb[:, j] = hb
    ann = np.concatenate([Hf, Hb], axis=2)                  # [B, T, 2H]
    s0 = np.concatenate([Hf[:, -1], Hb[:, 0]], axis=1)      # [B, 2H]
    return ann, s0, (xe, cf, cb)


def attend(p: dict, s: np.ndarray, ann: np.ndarray, ka: np.ndarray):
    """Additive score: s [B, S], ann [B, T, S], ka = ann W_ak [B, T, A] -> (alpha [B, T], c [B, S], F)."""
    F = np.tanh((s @ p["W_aq"])[:, None, :] + ka)          # [B, 1, A] + [B, T, A] -> [B, T, A]
    e = F @ p["v_a"]                                        # [B, T, A] -> [B, T]
    alpha = _softmax(e)
    c = np.einsum("bt,bts->bs", alpha, ann)                 # [B, T] x [B, T, S] -> [B, S]
    return alpha, c, F


def decoder_step(p: dict, cfg: Config, y_prev: np.ndarray, s: np.ndarray, ann: np.ndarray, ka: np.ndarray):
    alpha, c, F = attend(p, s, ann, ka)
    x = np.concatenate([p["E_tgt"][y_prev], c], axis=1)    # [B, d + S]
    s_new, cc = _cell_fwd(p, "dec", cfg.cell, x, s)
    sc = np.concatenate([s_new, c], axis=1)                 # [B, 2S]
    o = sc @ p["W_o"].T + p["b_o"]                          # [B, 2S] @ [2S, V] -> [B, V]
    return s_new, alpha, c, o, (s, F, x, cc, sc)


def forward(p: dict, src: np.ndarray, tgt: np.ndarray, cfg: Config) -> Forward:
    """Teacher forcing. src [B, T], tgt [B, U] (targets; inputs are <s> then tgt[:, :-1])."""
    B, T = src.shape
    U = tgt.shape[1]
    ann, s, enc_cache = encode(p, src, cfg)
    ka = ann @ p["W_ak"]                                    # [B, T, S] -> [B, T, A]
    y_in = np.concatenate([np.full((B, 1), BOS), tgt[:, :-1]], axis=1)
    S = ann.shape[2]
    alphas, logits = np.zeros((B, U, T)), np.zeros((B, U, len(VOCAB)))
    ctx, states = np.zeros((B, U, S)), np.zeros((B, U, S))
    steps = []
    loss = 0.0
    probs = np.zeros((B, U, len(VOCAB)))
    for i in range(U):
        s, alpha, c, o, cache = decoder_step(p, cfg, y_in[:, i], s, ann, ka)
        alphas[:, i], logits[:, i], ctx[:, i], states[:, i] = alpha, o, c, s
        pr = _softmax(o)
        probs[:, i] = pr
        loss -= np.log(pr[np.arange(B), tgt[:, i]]).sum()
        steps.append((alpha, cache))
    loss /= B * U
    return Forward(loss, alphas, logits, ctx, states, ann,
                   dict(src=src, tgt=tgt, y_in=y_in, enc=enc_cache, steps=steps, probs=probs, ka=ka))


def backward(p: dict, fw: Forward, cfg: Config) -> dict[str, np.ndarray]:
    """Gradients of ``fw.loss`` w.r.t. every parameter (hand-written BPTT)."""
    g = {k: np.zeros_like(v) for k, v in p.items()}
    cch = fw.cache
    src, tgt, y_in = cch["src"], cch["tgt"], cch["y_in"]
    B, T = src.shape
    U = tgt.shape[1]
    ann = fw.annotations
    S = ann.shape[2]
    H = cfg.hidden
    d_ann = np.zeros_like(ann)
    d_ka = np.zeros((B, T, cfg.attn))
    ds = np.zeros((B, S))                                   # dL/ds_i flowing back from step i+1
    for i in range(U - 1, -1, -1):
        alpha, (s_prev, F, x, cc, sc) = cch["steps"][i]
        do = cch["probs"][:, i].copy()
        do[np.arange(B), tgt[:, i]] -= 1.0
        do /= B * U                                         # [B, V]
        g["W_o"] += do.T @ sc
        g["b_o"] += do.sum(0)
        dsc = do @ p["W_o"]                                 # [B, 2S]
        ds_new = ds + dsc[:, :S]
        dc = dsc[:, S:].copy()
        dx, ds = _cell_bwd(p, g, "dec", cfg.cell, cc, ds_new)
        np.add.at(g["E_tgt"], y_in[:, i], dx[:, :cfg.emb])
        dc += dx[:, cfg.emb:]
        # c = sum_j alpha_j h_j
        d_ann += alpha[:, :, None] * dc[:, None, :]
        dalpha = np.einsum("bts,bs->bt", ann, dc)           # [B, T]
        de = alpha * (dalpha - (alpha * dalpha).sum(1, keepdims=True))
        g["v_a"] += np.einsum("bta,bt->a", F, de)
        dpre = de[:, :, None] * p["v_a"] * (1 - F ** 2)     # [B, T, A]
        dqa = dpre.sum(1)                                   # [B, A]
        g["W_aq"] += s_prev.T @ dqa
        ds += dqa @ p["W_aq"].T
        d_ka += dpre
    g["W_ak"] += np.einsum("bts,bta->sa", ann, d_ka)
    d_ann += d_ka @ p["W_ak"].T
    # s_{-1} = [h^f_{T-1}, h^b_0]
    dHf = d_ann[:, :, :H].copy()
    dHb = d_ann[:, :, H:].copy()
    dHf[:, -1] += ds[:, :H]
    dHb[:, 0] += ds[:, H:]
    xe, cf, cb = cch["enc"]
    dxe = np.zeros_like(xe)
    dh = np.zeros((B, H))
    for j in range(T - 1, -1, -1):
        dx, dh = _cell_bwd(p, g, "enc_f", cfg.cell, cf[j], dh + dHf[:, j])
        dxe[:, j] += dx
    dh = np.zeros((B, H))
    for j in range(T):
        dx, dh = _cell_bwd(p, g, "enc_b", cfg.cell, cb[j], dh + dHb[:, j])
        dxe[:, j] += dx
    np.add.at(g["E_src"], src.reshape(-1), dxe.reshape(-1, cfg.emb))
    return g


def loss_and_grads(p: dict, src: np.ndarray, tgt: np.ndarray, cfg: Config):
    fw = forward(p, src, tgt, cfg)
    return fw.loss, backward(p, fw, cfg)


# --------------------------------------------------------------------------- decoding

def greedy(p: dict, src: np.ndarray, cfg: Config, steps: int | None = None):
    """Free running: feed back the argmax. src [B, T] -> (ids [B, U], alphas [B, U, T])."""
    B, T = src.shape
    U = T + 1 if steps is None else steps
    ann, s, _ = encode(p, src, cfg)
    ka = ann @ p["W_ak"]
    y = np.full(B, BOS)
    out = np.zeros((B, U), dtype=np.int64)
    alphas = np.zeros((B, U, T))
    for i in range(U):
        s, alpha, c, o, _ = decoder_step(p, cfg, y, s, ann, ka)
        y = np.argmax(o, axis=1)
        out[:, i] = y
        alphas[:, i] = alpha
    return out, alphas


def reverse_targets(src: np.ndarray) -> np.ndarray:
    """[B, T] -> [B, T + 1]: the reversed digits then </s>."""
    return np.concatenate([src[:, ::-1], np.full((src.shape[0], 1), EOS)], axis=1)


def alignment_share(alphas: np.ndarray) -> float:
    """Mean attention mass on the right source position T-1-i over the digit steps i < T."""
    T = alphas.shape[2]
    idx = np.arange(T)
    return float(alphas[:, idx, T - 1 - idx].mean())


def evaluate(p: dict, cfg: Config, sets: dict[int, np.ndarray]) -> dict[str, Any]:
    """Free-running exact-match accuracy and alignment share over held-out sets by length."""
    n = correct = 0
    mass = 0.0
    per = {}
    for T, src in sorted(sets.items()):
        out, al = greedy(p, src, cfg)
        ok = np.all(out == reverse_targets(src), axis=1)
        sh = alignment_share(al)
        per[str(T)] = {"n": int(src.shape[0]), "accuracy": float(ok.mean()), "alignment_share": sh}
        n += src.shape[0]
        correct += int(ok.sum())
        mass += sh * src.shape[0]
    return {"n": n, "accuracy": correct / n, "alignment_share": mass / n, "by_length": per}


# --------------------------------------------------------------------------- data

def heldout_sets(cfg: Config) -> dict[int, np.ndarray]:
    """Held-out source sequences per length (distinct; excluded from training)."""
    rng = np.random.default_rng(cfg.heldout_seed)
    sets = {}
    per = cfg.heldout // len(cfg.lengths)
    for T in cfg.lengths:
        seen: set[tuple[int, ...]] = set()
        rows = []
        while len(rows) < per:
            r = tuple(int(v) for v in rng.choice(DIGITS, size=T))
            if r not in seen:
                seen.add(r)
                rows.append(r)
        sets[T] = np.array(rows, dtype=np.int64)
    return sets


def _batch(rng: np.random.Generator, T: int, B: int, banned: set) -> np.ndarray:
    src = rng.choice(DIGITS, size=(B, T))
    for b in range(B):
        while tuple(int(v) for v in src[b]) in banned:
            src[b] = rng.choice(DIGITS, size=T)
    return src


# --------------------------------------------------------------------------- training

@dataclass(frozen=True)
class Result:
    params: dict
    losses: np.ndarray
    seconds: float


def adam_train(cfg: Config, steps: int | None = None) -> Result:
    """Seeded Adam with global-norm clipping; deterministic bit for bit."""
    steps = cfg.steps if steps is None else steps
    rng = np.random.default_rng(cfg.seed)
    p = init_params(cfg, rng)
    banned = {tuple(int(v) for v in row) for s in heldout_sets(cfg).values() for row in s}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    losses = np.zeros(steps)
    t0 = time.perf_counter()
    for t in range(1, steps + 1):
        T = cfg.lengths[(t - 1) % len(cfg.lengths)]
        src = _batch(rng, T, cfg.batch, banned)
        loss, g = loss_and_grads(p, src, reverse_targets(src), cfg)
        losses[t - 1] = loss
        norm = np.sqrt(sum(float((x * x).sum()) for x in g.values()))
        k = cfg.clip / norm if norm > cfg.clip else 1.0
        for name in p:
            gg = g[name] * k
            m[name] = b1 * m[name] + (1 - b1) * gg
            v2[name] = b2 * v2[name] + (1 - b2) * gg * gg
            mh = m[name] / (1 - b1 ** t)
            vh = v2[name] / (1 - b2 ** t)
            p[name] = p[name] - cfg.lr * mh / (np.sqrt(vh) + eps)
    return Result(p, losses, time.perf_counter() - t0)


if __name__ == "__main__":
    import sys
    cfg = Config()
    res = adam_train(cfg)
    ev = evaluate(res.params, cfg, heldout_sets(cfg))
    print(f"{res.seconds:.1f}s loss {res.losses[-100:].mean():.4f}", json.dumps(ev), file=sys.stderr)
