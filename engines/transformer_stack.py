"""The blocks of a whole Transformer, shared by every family (BERT, GPT-2, ViT, encoder-decoder).

Every function works on ``[..., T, d]`` arrays: a leading batch dimension (or none) passes through,
so a training loop can run them on ``[B, T, d]`` and the model engine on ``[T, d]``.

Notation
--------
Row convention (``x W``), as in :mod:`engines.attention`:

- ``x`` [..., T, d]      token representations, ``d`` = d_model, ``H`` heads of width ``d_k = d / H``
- ``W_qkv`` [d, 3d], ``b_qkv`` [3d]   the query, key and value projections side by side (q | k | v)
- ``W_o`` [d, d], ``b_o`` [d]          the output projection
- ``q, k, v`` [..., H, T, d_k]         per head; ``scores`` [..., H, T_q, T_k]; ``alpha`` the weights
- ``mask`` [T_q, T_k] or [..., T_q, T_k] boolean, **True = ignore that key** (causal: j > i; padding)
- ``W_1`` [d, d_ff], ``b_1``, ``W_2`` [d_ff, d], ``b_2``  the position-wise feed-forward network
- ``gamma, beta`` [d]  a LayerNorm's affine parameters (``eps`` its variance epsilon)

Equations
---------
    Q = x W_q + b_q,  K = m W_k + b_k,  V = m W_v + b_v        (m = x for self-attention, the memory for cross)
    scores_h = Q_h K_h^T / s   (s = sqrt(d_k); GPT-2's scale_attn_by_inverse_layer_idx also divides by l + 1)
    scores_h[i, j] = -inf where mask[i, j];   alpha_h = softmax_j(scores_h);   z_h = alpha_h V_h
    MHA(x, m) = concat_h(z_h) W_o + b_o
    FFN(x) = act(x W_1 + b_1) W_2 + b_2,  act = GELU exact x Phi(x) | GELU tanh | ReLU
    post-LN layer (Vaswani, BERT):  h = LN_1(x + MHA(x));               out = LN_2(h + FFN(h))
    pre-LN layer (GPT-2, ViT):      h = x + MHA(LN_1(x));               out = h + FFN(LN_2(h))
    decoder layers add cross-attention to the memory between the two (post: LN_c(h + MHA(h, mem));
    pre: h + MHA(LN_c(h), mem)).

Derived numbers (computed here so views only draw them)
    entropy_h = mean over queries i of  -sum_j alpha_h[i, j] log2 alpha_h[i, j]    (bits)
    strongest_key_h[i] = argmax_j alpha_h[i, j]
    rollout (Abnar & Zuidema 2020): A_l = 0.5 I + 0.5 mean_h alpha_{l,h} (the residual path as the identity,
        rows renormalised), R = A_L ... A_2 A_1; R[i, j] is how much of input token j reaches output i.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._numerics import softmax
from .activations import FUNCTIONS
from .transformer import layer_norm as _layer_norm

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


# --------------------------------------------------------------------------- activations

def _erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def gelu_exact(x: np.ndarray) -> np.ndarray:
    """Exact GELU x Phi(x) (erf): torch's nn.GELU() and Hugging Face's "gelu"."""
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    """GELU's tanh form 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): GPT-2's "gelu_new"."""
    return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


ACTIVATIONS = {"gelu": gelu_exact, "gelu_tanh": gelu_tanh, "relu": relu}
assert set(ACTIVATIONS) <= set(FUNCTIONS)          # the same names as the activations table


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis (the one in :mod:`engines.transformer`), output only."""
    return _layer_norm(x, gamma, beta, eps)[0]


# --------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class AttnParams:
    W_qkv: np.ndarray      # [d, 3d]
    b_qkv: np.ndarray      # [3d]
    W_o: np.ndarray        # [d, d]
    b_o: np.ndarray        # [d]


@dataclass(frozen=True)
class Norm:
    gamma: np.ndarray
    beta: np.ndarray


@dataclass(frozen=True)
class LayerParams:
    attn: AttnParams
    ln_1: Norm             # after (post-LN) or before (pre-LN) the self-attention
    W_1: np.ndarray        # [d, d_ff]
    b_1: np.ndarray
    W_2: np.ndarray        # [d_ff, d]
    b_2: np.ndarray
    ln_2: Norm             # around the feed-forward network
    cross: AttnParams | None = None     # decoder layers of an encoder-decoder
    ln_c: Norm | None = None


@dataclass(frozen=True)
class Attn:
    """One multi-head attention: per-head q, k, v, scaled masked scores, weights and outputs."""
    q: np.ndarray          # [..., H, T_q, d_k]
    k: np.ndarray          # [..., H, T_k, d_k]
    v: np.ndarray          # [..., H, T_k, d_k]
    scale: float           # s: scores = q k^T / s
    scores: np.ndarray     # [..., H, T_q, T_k] (-inf where masked)
    alpha: np.ndarray      # [..., H, T_q, T_k]
    z: np.ndarray          # [..., H, T_q, d_k] per-head outputs alpha v
    out: np.ndarray        # [..., T_q, d] after W_o


# --------------------------------------------------------------------------- attention

def split_heads(x: np.ndarray, H: int) -> np.ndarray:
    *lead, T, d = x.shape
    return x.reshape(*lead, T, H, d // H).swapaxes(-2, -3)          # [..., T, d] -> [..., H, T, d_k]


def merge_heads(z: np.ndarray) -> np.ndarray:
    *lead, H, T, dk = z.shape
    return z.swapaxes(-2, -3).reshape(*lead, T, H * dk)              # [..., H, T, d_k] -> [..., T, d]


def causal_mask(T_q: int, T_k: int | None = None) -> np.ndarray:
    """[T_q, T_k] True above the diagonal (query i may not see key j > i)."""
    T_k = T_q if T_k is None else T_k
    return np.triu(np.ones((T_q, T_k), dtype=bool), k=1 + T_k - T_q)


def mha(x: np.ndarray, p: AttnParams, H: int, *, memory: np.ndarray | None = None,
        mask: np.ndarray | None = None, scale: float | None = None) -> Attn:
    """Multi-head scaled dot-product attention of ``x`` over itself or over ``memory``."""
    d = x.shape[-1]
    if memory is None:
        qkv = x @ p.W_qkv + p.b_qkv                                  # [..., T, d] -> [..., T, 3d]
        q, k, v = qkv[..., :d], qkv[..., d:2 * d], qkv[..., 2 * d:]
    else:
        q = x @ p.W_qkv[:, :d] + p.b_qkv[:d]                         # [..., T, d]
        kv = memory @ p.W_qkv[:, d:] + p.b_qkv[d:]                   # [..., S, d] -> [..., S, 2d]
        k, v = kv[..., :d], kv[..., d:]
    q, k, v = split_heads(q, H), split_heads(k, H), split_heads(v, H)     # [..., H, T, d_k]
    s = math.sqrt(d // H) if scale is None else scale
    scores = (q @ k.swapaxes(-1, -2)) / s                            # [..., H, T_q, T_k]
    if mask is not None:
        m = mask if mask.ndim < 3 else mask[..., None, :, :]         # [T_q, T_k] or [..., 1, T_q, T_k]
        scores = np.where(m, -np.inf, scores)
    alpha = softmax(scores, axis=-1)
    z = alpha @ v                                                    # [..., H, T_q, d_k]
    out = merge_heads(z) @ p.W_o + p.b_o                             # [..., T_q, d]
    return Attn(q, k, v, s, scores, alpha, z, out)


def ffn(x: np.ndarray, p: LayerParams, act: str) -> np.ndarray:
    return ACTIVATIONS[act](x @ p.W_1 + p.b_1) @ p.W_2 + p.b_2       # [..., T, d] -> [..., T, d_ff] -> [..., T, d]


@dataclass(frozen=True)
class LayerOut:
    out: np.ndarray        # [..., T, d]
    self_attn: Attn
    cross_attn: Attn | None


def layer(x: np.ndarray, p: LayerParams, H: int, *, norm: str, act: str, eps: float,
          mask: np.ndarray | None = None, memory: np.ndarray | None = None,
          memory_mask: np.ndarray | None = None, scale: float | None = None) -> LayerOut:
    """One Transformer layer, ``norm`` = "pre-LN" or "post-LN"; cross-attention when ``p.cross``."""
    pre = norm == "pre-LN"
    ln = lambda t, n: layer_norm(t, n.gamma, n.beta, eps)
    a = mha(ln(x, p.ln_1) if pre else x, p.attn, H, mask=mask, scale=scale)
    h = x + a.out if pre else ln(x + a.out, p.ln_1)
    c = None
    if p.cross is not None:
        c = mha(ln(h, p.ln_c) if pre else h, p.cross, H, memory=memory, mask=memory_mask, scale=scale)
        h = h + c.out if pre else ln(h + c.out, p.ln_c)
    out = h + ffn(ln(h, p.ln_2), p, act) if pre else ln(h + ffn(h, p, act), p.ln_2)
    return LayerOut(out, a, c)


def stack(x: np.ndarray, layers: tuple[LayerParams, ...], H: int, *, norm: str, act: str, eps: float,
          mask: np.ndarray | None = None, memory: np.ndarray | None = None, memory_mask: np.ndarray | None = None,
          inverse_layer_scale: bool = False) -> tuple[np.ndarray, list[LayerOut]]:
    """N layers in turn; returns the hidden states [N+1, ..., T, d] (input first) and each layer's output."""
    hs, outs = [x], []
    for i, p in enumerate(layers):
        s = math.sqrt(x.shape[-1] // H) * (i + 1) if inverse_layer_scale else None
        o = layer(hs[-1], p, H, norm=norm, act=act, eps=eps, mask=mask, memory=memory, memory_mask=memory_mask,
                  scale=s)
        hs.append(o.out)
        outs.append(o)
    return np.stack(hs), outs


# --------------------------------------------------------------------------- embeddings

def sinusoidal(T: int, d: int) -> np.ndarray:
    from .transformer import positional_encoding
    return positional_encoding(T, d)


def patches(image: np.ndarray, P: int) -> np.ndarray:
    """[C, Hpx, Wpx] -> [N, C*P*P]: P x P patches in row-major order, each flattened channel first
    (the order of a Conv2d(kernel=stride=P) weight [d, C, P, P])."""
    C, Hp, Wp = image.shape
    r, c = Hp // P, Wp // P
    x = image[:, :r * P, :c * P].reshape(C, r, P, c, P)              # [C, r, P, c, P]
    return x.transpose(1, 3, 0, 2, 4).reshape(r * c, C * P * P)     # -> [N, C*P*P]


# --------------------------------------------------------------------------- derived numbers

def entropy_bits(alpha: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """[..., H, T, T] -> [..., H] mean over (valid) queries of the row entropy in bits."""
    with np.errstate(divide="ignore", invalid="ignore"):
        e = -np.sum(np.where(alpha > 0, alpha * np.log2(np.where(alpha > 0, alpha, 1.0)), 0.0), axis=-1)
    if valid is None:
        return e.mean(axis=-1)
    return e[..., valid].mean(axis=-1)


def rollout(alphas: list[np.ndarray]) -> np.ndarray:
    """Attention rollout (Abnar & Zuidema): product of 0.5 I + 0.5 mean_h alpha over layers, rows renormalised."""
    T = alphas[0].shape[-1]
    R = np.eye(T)
    for a in alphas:
        A = 0.5 * np.eye(T) + 0.5 * a.mean(axis=0)                  # [H, T, T] -> [T, T]
        A = A / A.sum(axis=-1, keepdims=True)
        R = A @ R
    return R
