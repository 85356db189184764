"""A tiny GPT-2 trained on repeated random tokens, and the scores of its previous-token and
induction heads.

The architecture is GPT-2's exactly (so a GPT-2 loader reads the shipped folder): token
embeddings ``wte``, learned positions ``wpe``, pre-LN blocks, a fused query/key/value projection,
a tanh-GELU MLP, a final LayerNorm and an LM head tied to ``wte``. Parameters carry the Hugging
Face names without the ``transformer.`` prefix (``h.0.attn.c_attn.weight`` ...) in the Conv1D
layout (``x W + b``, W is [in, out]).

Notation
--------
    B, T          batch and sequence length;  V vocabulary;  d = n_embd;  H heads of d_h = d / H
    L             layers (l = 1 .. L in the scores, 0-based in the names h.{l-1}.*)
    x [B, T]      token ids;  N the half length of a repeated sequence (T = 2N: x[N + i] = x[i])
    h^l [B, T, d] residual stream entering layer l;  LN(z) = gamma (z - mu) / sqrt(var + eps) + beta
    A^l [B, H, T, T]  attention weights of layer l (row = query position, column = key position)

Equations
---------
    h^1 = wte[x] + wpe[0 .. T-1]
    a = LN_1(h^l);  [q | k | v] = a W_attn + b_attn          [B, T, d] -> [B, T, 3d], split into H heads
    A = softmax(q k^T / sqrt(d_h) + M),  M[t, s] = -inf for s > t (causal)
    o = concat_heads(A v) W_proj + b_proj;    r = h^l + o
    m = LN_2(r);  u = m W_fc + b_fc;  g = gelu(u) = u/2 (1 + tanh(sqrt(2/pi) (u + 0.044715 u^3)))
    h^{l+1} = r + g W_mp + b_mp                               (W_fc [d, 4d], W_mp [4d, d])
    z = LN_f(h^{L+1}) wte^T;  p = softmax(z);  loss = mean over the scored positions of -ln p[t](x[t+1])

Scores (held-out sequences, heads counted from 1)
------
    previous token:  mean over queries t >= 1 of A^1[head][t, t-1]      (best head of layer 1)
    induction:       mean over queries t = N .. 2N-1 of A^2[head][t, t-N+1]: the key right after
                     the earlier occurrence of the query's token          (best head of layer 2)
    accuracy_repeated: argmax p[t] == x[t+1] for the targets t+1 = N+1 .. 2N-1 (their previous token
                     occurred before); accuracy_first_half: targets 1 .. N-1, chance = 1/(V - t) at best
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ._numerics import softmax
from .errors import InputError

GELU_C = np.sqrt(2.0 / np.pi)
BLOCK = ("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
         "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
         "mlp.c_proj.weight", "mlp.c_proj.bias")


@dataclass(frozen=True)
class Shape:
    vocab: int
    d: int
    heads: int
    layers: int
    positions: int
    eps: float = 1e-5

    @property
    def d_head(self) -> int:
        return self.d // self.heads


def param_shapes(s: Shape) -> dict[str, tuple[int, ...]]:
    """GPT-2 parameter names (no ``transformer.`` prefix) and shapes, in the order GPT-2 declares them."""
    d = s.d
    out: dict[str, tuple[int, ...]] = {"wte.weight": (s.vocab, d), "wpe.weight": (s.positions, d)}
    per = ((d,), (d,), (d, 3 * d), (3 * d,), (d, d), (d,), (d,), (d,), (d, 4 * d), (4 * d,), (4 * d, d), (d,))
    for layer in range(s.layers):
        out.update({f"h.{layer}.{n}": shp for n, shp in zip(BLOCK, per)})
    out.update({"ln_f.weight": (d,), "ln_f.bias": (d,)})
    return out


def shape_of(config: Mapping[str, Any]) -> Shape:
    """The model's sizes from a GPT-2 ``config.json``."""
    return Shape(int(config["vocab_size"]), int(config["n_embd"]), int(config["n_head"]), int(config["n_layer"]),
                 int(config["n_positions"]), float(config.get("layer_norm_epsilon", 1e-5)))


def check_params(p: Mapping[str, np.ndarray], s: Shape) -> dict[str, np.ndarray]:
    """float64 copies of every parameter; a one-line error for a missing, extra or misshapen one."""
    want = param_shapes(s)
    for k in p:
        if k not in want:
            raise InputError(f"unknown GPT-2 parameter {k!r}; expected names like {next(iter(want))!r}")
    out = {}
    for k, shp in want.items():
        if k not in p:
            raise InputError(f"parameter {k!r} is missing; expected shape {shp}")
        a = np.asarray(p[k], dtype=np.float64)
        if a.shape != shp:
            raise InputError(f"parameter {k!r} has shape {a.shape}, expected {shp}")
        out[k] = a
    return out


# --------------------------------------------------------------------------- forward

def layernorm(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float):
    """LN over the last axis; returns (y, (xhat, inv_sigma)) for the backward pass."""
    mu = z.mean(-1, keepdims=True)                                   # [..., d] -> [..., 1]
    inv = 1.0 / np.sqrt(((z - mu) ** 2).mean(-1, keepdims=True) + eps)
    xhat = (z - mu) * inv
    return xhat * gamma + beta, (xhat, inv)


def gelu(u: np.ndarray) -> np.ndarray:
    """GPT-2's gelu_new: u/2 (1 + tanh(sqrt(2/pi) (u + 0.044715 u^3)))."""
    return 0.5 * u * (1.0 + np.tanh(GELU_C * (u + 0.044715 * (u * u * u))))


def _split(z: np.ndarray, H: int) -> np.ndarray:
    B, T, d = z.shape
    return z.reshape(B, T, H, d // H).transpose(0, 2, 1, 3)          # [B, T, d] -> [B, H, T, d_h]


def _merge(z: np.ndarray) -> np.ndarray:
    B, H, T, dh = z.shape
    return z.transpose(0, 2, 1, 3).reshape(B, T, H * dh)             # [B, H, T, d_h] -> [B, T, d]


def forward(p: Mapping[str, np.ndarray], x: np.ndarray, s: Shape) -> tuple[np.ndarray, list[dict], dict]:
    """Logits [B, T, V], per-layer caches (attention ``A`` among them) and the embedding/final cache."""
    x = np.asarray(x)
    B, T = x.shape
    H, dh = s.heads, s.d_head
    causal = np.triu(np.full((T, T), -np.inf), 1)                    # [T, T]
    h = p["wte.weight"][x] + p["wpe.weight"][:T]                      # [B, T] -> [B, T, d]
    caches = []
    for layer in range(s.layers):
        w = {n: p[f"h.{layer}.{n}"] for n in BLOCK}
        a, ln1 = layernorm(h, w["ln_1.weight"], w["ln_1.bias"], s.eps)
        qkv = a @ w["attn.c_attn.weight"] + w["attn.c_attn.bias"]     # [B, T, d] -> [B, T, 3d]
        q, k, v = (_split(z, H) for z in np.split(qkv, 3, axis=-1))   # 3 x [B, H, T, d_h]
        A = softmax(q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh) + causal)   # [B, H, T, T]
        heads = _merge(A @ v)                                          # [B, H, T, d_h] -> [B, T, d]
        r = h + heads @ w["attn.c_proj.weight"] + w["attn.c_proj.bias"]
        m, ln2 = layernorm(r, w["ln_2.weight"], w["ln_2.bias"], s.eps)
        u = m @ w["mlp.c_fc.weight"] + w["mlp.c_fc.bias"]              # [B, T, d] -> [B, T, 4d]
        g = gelu(u)
        h_next = r + g @ w["mlp.c_proj.weight"] + w["mlp.c_proj.bias"]  # [B, T, 4d] -> [B, T, d]
        caches.append(dict(a=a, ln1=ln1, q=q, k=k, v=v, A=A, heads=heads, m=m, ln2=ln2, u=u, g=g))
        h = h_next
    f, lnf = layernorm(h, p["ln_f.weight"], p["ln_f.bias"], s.eps)
    logits = f @ p["wte.weight"].T                                     # [B, T, d] -> [B, T, V]
    return logits, caches, dict(x=x, f=f, lnf=lnf)


# --------------------------------------------------------------------------- backward

def layernorm_backward(dy: np.ndarray, cache: tuple, gamma: np.ndarray):
    """(dz, dgamma, dbeta) of y = gamma xhat + beta, xhat = (z - mu) / sqrt(var + eps)."""
    xhat, inv = cache
    dxh = dy * gamma
    dz = inv * (dxh - dxh.mean(-1, keepdims=True) - xhat * (dxh * xhat).mean(-1, keepdims=True))
    axes = tuple(range(dy.ndim - 1))
    return dz, (dy * xhat).sum(axes), dy.sum(axes)


def gelu_grad(u: np.ndarray) -> np.ndarray:
    """d gelu / du."""
    u2 = u * u
    th = np.tanh(GELU_C * u * (1.0 + 0.044715 * u2))
    return 0.5 * (1.0 + th) + 0.5 * u * (1.0 - th * th) * GELU_C * (1.0 + 3 * 0.044715 * u2)


def _mm_grads(inp: np.ndarray, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dW, db) of out = inp W + b summed over every leading axis."""
    n = inp.shape[-1]
    return inp.reshape(-1, n).T @ dout.reshape(-1, dout.shape[-1]), dout.reshape(-1, dout.shape[-1]).sum(0)


def backward(p: Mapping[str, np.ndarray], dlogits: np.ndarray, caches: list[dict], top: dict,
             s: Shape) -> dict[str, np.ndarray]:
    """Gradients of every parameter given dL/dlogits [B, T, V] (hand-written; checked by finite
    differences and against PyTorch autograd)."""
    g: dict[str, np.ndarray] = {}
    dh_, dh = s.d_head, None
    g["wte.weight"] = _mm_grads(dlogits, top["f"])[0]                 # tied head: dz^T f -> [V, d]
    df = dlogits @ p["wte.weight"]                                     # [B, T, V] -> [B, T, d]
    dh, g["ln_f.weight"], g["ln_f.bias"] = layernorm_backward(df, top["lnf"], p["ln_f.weight"])
    for layer in reversed(range(s.layers)):
        c, pre = caches[layer], f"h.{layer}."
        w = {n: p[pre + n] for n in BLOCK}
        # MLP branch: h_next = r + gelu(m W_fc + b_fc) W_mp + b_mp
        g[pre + "mlp.c_proj.weight"], g[pre + "mlp.c_proj.bias"] = _mm_grads(c["g"], dh)
        du = (dh @ w["mlp.c_proj.weight"].T) * gelu_grad(c["u"])      # [B, T, d] -> [B, T, 4d]
        g[pre + "mlp.c_fc.weight"], g[pre + "mlp.c_fc.bias"] = _mm_grads(c["m"], du)
        dm = du @ w["mlp.c_fc.weight"].T                               # [B, T, 4d] -> [B, T, d]
        dr_ln, g[pre + "ln_2.weight"], g[pre + "ln_2.bias"] = layernorm_backward(dm, c["ln2"], w["ln_2.weight"])
        dr = dh + dr_ln
        # attention branch: r = h + concat(A v) W_proj + b_proj
        g[pre + "attn.c_proj.weight"], g[pre + "attn.c_proj.bias"] = _mm_grads(c["heads"], dr)
        dheads = _split(dr @ w["attn.c_proj.weight"].T, s.heads)      # [B, T, d] -> [B, H, T, d_h]
        A = c["A"]
        dA = dheads @ c["v"].transpose(0, 1, 3, 2)                     # [B, H, T, T]
        dv = A.transpose(0, 1, 3, 2) @ dheads
        dsc = A * (dA - (dA * A).sum(-1, keepdims=True)) / np.sqrt(dh_)  # softmax backward, then the scaling
        dq = dsc @ c["k"]
        dk = dsc.transpose(0, 1, 3, 2) @ c["q"]
        dqkv = np.concatenate([_merge(dq), _merge(dk), _merge(dv)], axis=-1)   # [B, T, 3d]
        g[pre + "attn.c_attn.weight"], g[pre + "attn.c_attn.bias"] = _mm_grads(c["a"], dqkv)
        da = dqkv @ w["attn.c_attn.weight"].T
        dh_ln, g[pre + "ln_1.weight"], g[pre + "ln_1.bias"] = layernorm_backward(da, c["ln1"], w["ln_1.weight"])
        dh = dr + dh_ln
    x = top["x"]
    np.add.at(g["wte.weight"], x.ravel(), dh.reshape(-1, s.d))
    g["wpe.weight"] = np.zeros_like(p["wpe.weight"])
    g["wpe.weight"][: x.shape[1]] = dh.sum(0)
    return {k: g[k] for k in param_shapes(s)}


def loss_and_grads(p: Mapping[str, np.ndarray], x: np.ndarray, s: Shape, weight: np.ndarray | None = None):
    """Weighted mean cross-entropy of next-token prediction over positions 0 .. T-2 (``weight`` [T-1] or
    [B, T-1] picks and weights the scored predictions; default: all equally), and its gradient for every
    parameter."""
    logits, caches, top = forward(p, x, s)
    B, T = x.shape
    wt = np.broadcast_to(np.ones(T - 1) if weight is None else np.asarray(weight, dtype=np.float64), (B, T - 1))
    wt = wt / wt.sum()
    P = softmax(logits[:, :-1])                                        # [B, T-1, V]
    tgt = x[:, 1:]
    pt = np.take_along_axis(P, tgt[..., None], -1)[..., 0]             # [B, T-1]
    loss = float(-(np.log(pt) * wt).sum())
    dlog = np.zeros_like(logits)
    dlog[:, :-1] = P
    np.put_along_axis(dlog[:, :-1], tgt[..., None], np.take_along_axis(P, tgt[..., None], -1) - 1.0, -1)
    dlog[:, :-1] *= wt[:, :, None]
    return loss, backward(p, dlog, caches, top, s)


# --------------------------------------------------------------------------- task and scores

def repeated_batch(rng: np.random.Generator, n: int, half: int, vocab: int, length: int | None = None) -> np.ndarray:
    """[n, length]: distinct random tokens in which a segment of ``half`` tokens starting at ``a`` is
    repeated at ``b`` (a and b drawn per row, b >= a + half); ``length`` defaults to 2 half (a = 0,
    b = half: ``A B C D | A B C D``). Every token is distinct outside the repeat."""
    return repeated_with_starts(rng, n, half, vocab, length)[0]


def repeated_with_starts(rng: np.random.Generator, n: int, half: int, vocab: int, length: int | None = None):
    """(:func:`repeated_batch`'s tokens, a [n], b [n])."""
    length = 2 * half if length is None else length
    pool = np.argsort(rng.random((n, vocab)), axis=1)[:, : length - half]   # [n, length - half] distinct
    a = rng.integers(0, length - 2 * half + 1, size=n)                        # first copy starts at a
    b = a + half + (rng.random(n) * (length - 2 * half - a + 1)).astype(np.int64)   # second at b in [a + half, length - half]
    x = np.empty((n, length), dtype=np.int64)
    for r in range(n):
        src = list(pool[r])
        seg = src[a[r]: a[r] + half]
        rest = src[: a[r]] + src[a[r] + half:]
        x[r] = rest[: a[r]] + seg + rest[a[r]: b[r] - half] + seg + rest[b[r] - half:]
    return x, a, b


def heldout(task: Mapping[str, Any]) -> np.ndarray:
    """The seeded held-out sequences the scores are measured on."""
    rng = np.random.default_rng(int(task["heldout_seed"]))
    return repeated_batch(rng, int(task["heldout_count"]), int(task["half"]), len(task["vocab"]))


def head_scores(A_layers: list[np.ndarray], half: int) -> dict[str, np.ndarray]:
    """Per head: previous-token score of every layer-1 head, induction score of every layer-2 head."""
    T = 2 * half
    t = np.arange(1, T)
    prev = A_layers[0][:, :, t, t - 1].mean(axis=(0, 2))               # [B, H, T-1] -> [H]
    q = np.arange(half, T)
    ind = A_layers[1][:, :, q, q - half + 1].mean(axis=(0, 2))          # [B, H, N] -> [H]
    return {"previous_token": prev, "induction": ind}


def _three(p: Mapping[str, np.ndarray], x: np.ndarray, s: Shape, half: int) -> dict[str, Any]:
    logits, caches, _ = forward(p, x, s)
    hs = head_scores([c["A"] for c in caches], half)
    pred = logits.argmax(-1)[:, :-1]                                   # predicts x[:, 1:]
    right = pred == x[:, 1:]
    out: dict[str, Any] = {}
    for name, layer in (("previous_token", 1), ("induction", 2)):
        best = int(np.argmax(hs[name]))
        out[name] = {"layer": layer, "head": best + 1, "score": float(hs[name][best]),
                     "per_head": [float(v) for v in hs[name]]}
    out["accuracy_repeated"] = float(right[:, half:].mean())           # targets N+1 .. 2N-1
    out["accuracy_first_half"] = float(right[:, : half - 1].mean())    # targets 1 .. N-1
    return out


def evaluate(weights: Mapping[str, np.ndarray], config: Mapping[str, Any], task: Mapping[str, Any]) -> dict:
    """The held-out scores of a trained model and of its untrained control (the initial weights
    regenerated from ``task["training"]["seed"]``): layers and heads counted from 1."""
    s = shape_of(config)
    p = check_params({k.removeprefix("transformer."): v for k, v in weights.items() if k != "lm_head.weight"}, s)
    x = heldout(task)
    half = int(task["half"])
    out = _three(p, x, s, half)
    ctl = _three(init_params(s, np.random.default_rng(int(task["training"]["seed"])),
                             float(task["training"].get("init_std", 0.02))), x, s, half)
    out["control"] = {k: ctl[k] for k in ("previous_token", "induction", "accuracy_repeated", "accuracy_first_half")}
    out["chance_first_half"] = float(np.mean([1.0 / (len(task["vocab"]) - t) for t in range(1, half)]))
    out["heldout"] = {"sequences": int(task["heldout_count"]), "seed": int(task["heldout_seed"]), "half": half}
    return out


# A head is named for its job only when its held-out score clears these bars.
THRESHOLDS = {"previous_token": 0.8, "induction": 0.6}


def head_labels(scores: Mapping[str, Any]) -> dict[str, str]:
    """``{"L1H2": "previous token", "L2H1": "induction"}`` from the scores of :func:`evaluate`: only the
    heads whose score reaches :data:`THRESHOLDS` (an empty dict when none does)."""
    return {f"L{scores[n]['layer']}H{scores[n]['head']}": label
            for n, label in (("previous_token", "previous token"), ("induction", "induction"))
            if scores[n]["score"] >= THRESHOLDS[n]}


def init_params(s: Shape, rng: np.random.Generator, std: float = 0.02) -> dict[str, np.ndarray]:
    """GPT-2's initialisation: N(0, std^2) matrices and embeddings (c_proj: std / sqrt(2 L)),
    zero biases, unit LayerNorm gains; drawn in :func:`param_shapes` order."""
    out = {}
    for k, shp in param_shapes(s).items():
        if k.endswith("ln_1.weight") or k.endswith("ln_2.weight") or k == "ln_f.weight":
            out[k] = np.ones(shp)
        elif len(shp) == 1:
            out[k] = np.zeros(shp)
        else:
            sd = std / np.sqrt(2 * s.layers) if k.endswith("c_proj.weight") else std
            out[k] = rng.normal(0.0, sd, size=shp)
    return out
