"""Attention: scores, masks, softmax and the weighted sum; self-attention; multi-head attention.

Notation
--------
Row-vector convention (as in "Attention is all you need" and the lecture notes): every token is a
row, a projection is ``X W`` with ``W`` of shape ``[d_in, d_out]``.

- ``q`` [T_q, d_k]   queries, one row per query position ``i``
- ``k`` [T_k, d_k]   keys, one row per key position ``j``
- ``v`` [T_k, d_v]   values
- ``x`` [T, d_model] token representations (self-attention: q = x W^q, k = x W^k, v = x W^v)
- ``dots`` [T_q, T_k] the raw score before scaling (q_i.k_j, or q_i W_a k_j, or the additive score)
- ``scale``           the divisor of the raw score: sqrt(d_k) for scaled dot product, otherwise 1
- ``scores`` e [T_q, T_k] = dots / scale, with masked entries set to -inf (JSON null)
- ``mask`` [T_q, T_k] boolean, **True = ignore that key**: the union of the parts below and of any
  explicit boolean mask given in the inputs
- ``causal_mask`` [T_q, T_k] boolean, the causal part: True exactly where j > i (all False without ``causal``)
- ``padding_mask`` [T_q, T_k] boolean, the key-padding part: column j is True when ``key_padding[j]``
  (all False without ``key_padding``). Multi-head traces carry one mask of each kind, shared by every head.
- ``weights`` alpha [T_q, T_k] = softmax over keys of e (a row whose keys are all masked is all zero)
- ``output`` z [T_q, d_v] = alpha v
- multi-head: ``W_q, W_k, W_v`` [E, E] split by columns into H heads of width d_k = E / H,
  ``W_o`` [E, E], biases ``b_q, b_k, b_v, b_o`` [E]; or per-head ``heads: [{W_q, W_k, W_v} [E, d_k]]``.

Equations
---------
    dot:         dots_ij = q_i . k_j                          scale = 1
    scaled_dot:  dots_ij = q_i . k_j                          scale = sqrt(d_k)
    general:     dots_ij = q_i W_a k_j^T     (Luong)           scale = 1,  W_a [d_q, d_k]
    additive:    dots_ij = v_a . tanh(q_i W_aq + k_j W_ak)  (Bahdanau)  scale = 1,
                 W_aq [d_q, d_a], W_ak [d_k, d_a], v_a [d_a]
    mask = causal_mask | padding_mask | explicit mask
    e_ij = dots_ij / scale,  e_ij = -inf where mask_ij
    alpha_i = softmax(e_i)   (all-masked row -> alpha_i = 0, z_i = 0, no NaN)
    z_i = sum_j alpha_ij v_j
    multi-head (head h uses columns h*d_k:(h+1)*d_k):
    Q = x W_q + b_q,  K = x_kv W_k + b_k,  V = x_kv W_v + b_v
    head_h = Attention(Q_h, K_h, V_h),  output = concat_h(head_h) W_o + b_o

PyTorch ``nn.MultiheadAttention`` state_dict (``in_proj_weight`` [3E, E], ``in_proj_bias`` [3E],
``out_proj.weight`` [E, E], ``out_proj.bias`` [E]) is ``Linear`` layout ``y = x W^T + b``; it is
loaded as ``W_q = in_proj_weight[:E].T`` etc. Its ``key_padding_mask``/boolean ``attn_mask`` use the
same meaning as ours (True = ignore); its returned attention weights are the head average
(``mean_weights`` here).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, NamedTuple

import numpy as np

from ._numerics import softmax
from .errors import InputError
from .io import ModelKeys, as_array, check_inputs, check_keys, check_shape, check_weights, require
from .trace import Array, BoolArray, IntArray, Record

SCORES = ("dot", "scaled_dot", "general", "additive")
MHA_WEIGHTS = ("W_q", "W_k", "W_v", "W_o", "b_q", "b_k", "b_v", "b_o", "heads",           # ours
               "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")     # nn.MultiheadAttention
HEAD_WEIGHTS = ("W_q", "W_k", "W_v", "b_q", "b_k", "b_v")
MODEL_KEYS = {
    "attention": ModelKeys(inputs=("x", "q", "k", "v", "tokens", "key_tokens", "columns", "mask", "key_padding"),
                           options=("score", "mask"),
                           weights=("W_q", "W_k", "W_v", "b_q", "b_k", "b_v", "W_a", "W_aq", "W_ak", "v_a")),
    "multihead": ModelKeys(inputs=("x", "memory", "heads", "tokens", "key_tokens", "mask", "key_padding"),
                           options=("heads", "mask"), weights=MHA_WEIGHTS),
}


# --------------------------------------------------------------------------- traces

@dataclass(frozen=True)
class AttentionTrace(Record):
    """One attention computation (a single head)."""
    kind: ClassVar[str] = "attention"
    score: str
    q: Array                 # [T_q, d_k]
    k: Array                 # [T_k, d_k]
    v: Array                 # [T_k, d_v]
    dots: Array              # [T_q, T_k] raw score before scaling
    scale: float             # divisor: sqrt(d_k) for scaled_dot, else 1
    scores: Array            # [T_q, T_k] dots / scale, masked -> -inf (null)
    weights: Array           # [T_q, T_k] softmax rows (masked keys exactly 0)
    output: Array            # [T_q, d_v]
    mask: BoolArray          # [T_q, T_k] True = ignored key (causal | padding | explicit)
    causal_mask: BoolArray   # [T_q, T_k] the causal part: True where j > i (when causal)
    padding_mask: BoolArray  # [T_q, T_k] the key-padding part: column j True when key j is padding
    argmax: IntArray         # [T_q] most attended key per query (-1 if every key is masked)
    row_sums: Array          # [T_q] sum of weights per query (1, or 0 for an all-masked row)
    tokens: tuple[str, ...] = ()       # query labels
    key_tokens: tuple[str, ...] = ()   # key labels
    x: Array | None = None             # [T, d_model] when self-attention from x
    W_q: Array | None = None           # [d_model, d_k]
    W_k: Array | None = None
    W_v: Array | None = None           # [d_model, d_v]
    features: Array | None = None      # additive only: [T_q, T_k, d_a] tanh(q W_aq + k W_ak)
    d_k: int = 0
    x_columns: tuple[str, ...] = ()    # optional labels of the columns of x (inputs "columns")


@dataclass(frozen=True)
class Head(Record):
    h: int
    q: Array                 # [T, d_k]
    k: Array                 # [T_k, d_k]
    v: Array                 # [T_k, d_k]
    dots: Array              # [T, T_k]
    scale: float
    scores: Array            # [T, T_k]
    weights: Array           # [T, T_k]
    output: Array            # [T, d_k]
    argmax: IntArray         # [T]


@dataclass(frozen=True)
class MultiHeadTrace(Record):
    kind: ClassVar[str] = "multihead"
    num_heads: int
    d_model: int
    d_k: int
    x: Array                 # [T, E] queries' inputs
    x_kv: Array              # [T_k, E] keys'/values' inputs (= x for self-attention)
    mask: BoolArray          # [T, T_k] True = ignored key (causal | padding | explicit), shared by the heads
    causal_mask: BoolArray   # [T, T_k] the causal part: True where j > i (when causal)
    padding_mask: BoolArray  # [T, T_k] the key-padding part: column j True when key j is padding
    heads: tuple[Head, ...]
    concat: Array            # [T, E]
    output: Array            # [T, E]
    mean_weights: Array      # [T, T_k] average of the heads' weights (what torch returns)
    tokens: tuple[str, ...] = ()
    key_tokens: tuple[str, ...] = ()
    shapes: dict | None = None


# --------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class ScoreParams:
    """Parameters of the general (W_a) and additive (W_aq, W_ak, v_a) scores."""
    W_a: np.ndarray | None = None
    W_aq: np.ndarray | None = None
    W_ak: np.ndarray | None = None
    v_a: np.ndarray | None = None


@dataclass(frozen=True)
class MHAParams:
    """Multi-head attention parameters in our row convention (``x W + b``)."""
    W_q: np.ndarray   # [E, E]
    W_k: np.ndarray
    W_v: np.ndarray
    W_o: np.ndarray
    b_q: np.ndarray   # [E]
    b_k: np.ndarray
    b_v: np.ndarray
    b_o: np.ndarray

    def __post_init__(self) -> None:
        E = self.W_q.shape[0] if self.W_q.ndim == 2 else 0
        for n in ("W_q", "W_k", "W_v", "W_o"):
            a = getattr(self, n)
            if a.ndim != 2 or a.shape != (E, E):
                raise InputError(f"{n} has shape {a.shape}, expected ({E}, {E}) = (d_model, d_model)")
        for n in ("b_q", "b_k", "b_v", "b_o"):
            check_shape(n, getattr(self, n), (E,), "(d_model,)")

    @property
    def d_model(self) -> int:
        return int(self.W_q.shape[0])

    @classmethod
    def from_weights(cls, w: Mapping[str, Any]) -> "MHAParams":
        """Our names (``W_q`` ... ``b_o``) or the PyTorch ``nn.MultiheadAttention`` state_dict."""
        if "in_proj_weight" in w:
            require(w, ["in_proj_weight", "out_proj.weight"], "PyTorch nn.MultiheadAttention")
            ipw = as_array("in_proj_weight", w["in_proj_weight"], 2)
            E = ipw.shape[1]
            check_shape("in_proj_weight", ipw, (3 * E, E), "(3*embed_dim, embed_dim)")
            ipb = as_array("in_proj_bias", w["in_proj_bias"], 1) if "in_proj_bias" in w else np.zeros(3 * E)
            check_shape("in_proj_bias", ipb, (3 * E,), "(3*embed_dim,)")
            opw = as_array("out_proj.weight", w["out_proj.weight"], 2)
            check_shape("out_proj.weight", opw, (E, E), "(embed_dim, embed_dim)")
            opb = as_array("out_proj.bias", w["out_proj.bias"], 1) if "out_proj.bias" in w else np.zeros(E)
            # torch Linear is y = x W^T + b: transpose into our x W + b
            return cls(ipw[:E].T, ipw[E:2 * E].T, ipw[2 * E:].T, opw.T,
                       ipb[:E], ipb[E:2 * E], ipb[2 * E:], opb)
        if "heads" in w and "W_q" not in w:
            return cls._from_heads(w)
        require(w, ["W_q", "W_k", "W_v", "W_o"], "multi-head attention (our names; or in_proj_weight/out_proj.weight)")
        W_q = as_array("W_q", w["W_q"], 2)
        E = W_q.shape[0]
        mats = [W_q] + [as_array(n, w[n], 2) for n in ("W_k", "W_v", "W_o")]
        biases = [as_array(n, w[n], 1) if n in w else np.zeros(E) for n in ("b_q", "b_k", "b_v", "b_o")]
        return cls(*mats, *biases)


    @classmethod
    def _from_heads(cls, w: Mapping[str, Any]) -> "MHAParams":
        """Per-head weights: ``"heads": [{"W_q": [E, d_k], "W_k": [E, d_k], "W_v": [E, d_k], "b_q"?...}, ...]``
        plus ``W_o`` [E, E] (``b_o``); head h becomes columns h*d_k:(h+1)*d_k of the stacked W_q, W_k, W_v."""
        heads = w["heads"]
        if not isinstance(heads, list) or not heads or not all(isinstance(h, dict) for h in heads):
            raise InputError('weights "heads" must be a list of objects {"W_q", "W_k", "W_v"} (one per head)')
        require(w, ["W_o"], "multi-head attention with per-head weights")
        W_o = as_array("W_o", w["W_o"], 2)
        E = W_o.shape[0]
        H = len(heads)
        if E % H:
            raise InputError(f"{H} heads do not divide the model width d_model = {E} (rows of W_o)")
        dk = E // H
        cols: dict[str, list[np.ndarray]] = {n: [] for n in ("W_q", "W_k", "W_v", "b_q", "b_k", "b_v")}
        for h, hw in enumerate(heads):
            check_keys(hw, HEAD_WEIGHTS, f"weight in heads[{h}]")
            require(hw, ["W_q", "W_k", "W_v"], f"head {h + 1}")
            for n in ("W_q", "W_k", "W_v"):
                M = as_array(f"heads[{h}].{n}", hw[n], 2)
                check_shape(f"heads[{h}].{n}", M, (E, dk), "(d_model, d_model / heads)")
                cols[n].append(M)
            for n in ("b_q", "b_k", "b_v"):
                b = as_array(f"heads[{h}].{n}", hw[n], 1) if n in hw else np.zeros(dk)
                check_shape(f"heads[{h}].{n}", b, (dk,), "(d_model / heads,)")
                cols[n].append(b)
        stack = {n: np.concatenate(v, axis=-1) for n, v in cols.items()}   # H x [E, d_k] -> [E, E]
        b_o = as_array("b_o", w["b_o"], 1) if "b_o" in w else np.zeros(E)
        return cls(stack["W_q"], stack["W_k"], stack["W_v"], W_o, stack["b_q"], stack["b_k"], stack["b_v"], b_o)


def score_params(w: Mapping[str, Any], score: str, d_q: int, d_k: int, prefix: str = "") -> ScoreParams:
    """Validate the weights a score function needs."""
    if score == "general":
        require(w, [prefix + "W_a"], "the general (Luong) score")
        W_a = as_array(prefix + "W_a", w[prefix + "W_a"], 2)
        check_shape(prefix + "W_a", W_a, (d_q, d_k), "(d_q, d_k)")
        return ScoreParams(W_a=W_a)
    if score == "additive":
        require(w, [prefix + "W_aq", prefix + "W_ak", prefix + "v_a"], "the additive (Bahdanau) score")
        v_a = as_array(prefix + "v_a", w[prefix + "v_a"], 1)
        d_a = v_a.shape[0]
        W_aq = as_array(prefix + "W_aq", w[prefix + "W_aq"], 2)
        check_shape(prefix + "W_aq", W_aq, (d_q, d_a), "(d_q, d_a)")
        W_ak = as_array(prefix + "W_ak", w[prefix + "W_ak"], 2)
        check_shape(prefix + "W_ak", W_ak, (d_k, d_a), "(d_k, d_a)")
        return ScoreParams(W_aq=W_aq, W_ak=W_ak, v_a=v_a)
    return ScoreParams()


# --------------------------------------------------------------------------- pure maths

def causal_mask(T_q: int, T_k: int | None = None) -> np.ndarray:
    """[T_q, T_k] True above the diagonal: query i may not see keys j > i."""
    T_k = T_q if T_k is None else T_k
    return np.triu(np.ones((T_q, T_k), dtype=bool), k=1)


def raw_scores(q: np.ndarray, k: np.ndarray, score: str, p: ScoreParams = ScoreParams()):
    """(dots [T_q, T_k], scale, features or None)."""
    if score in ("dot", "scaled_dot"):
        if q.shape[1] != k.shape[1]:
            raise InputError(f"q has width {q.shape[1]} but k has width {k.shape[1]}; dot-product scores need equal d_k")
        dots = q @ k.T                                  # [T_q, d_k] x [d_k, T_k] -> [T_q, T_k]
        scale = float(np.sqrt(q.shape[1])) if score == "scaled_dot" else 1.0
        return dots, scale, None
    if score == "general":
        return q @ p.W_a @ k.T, 1.0, None              # [T_q, d_q][d_q, d_k][d_k, T_k] -> [T_q, T_k]
    if score == "additive":
        feats = np.tanh((q @ p.W_aq)[:, None, :] + (k @ p.W_ak)[None, :, :])  # -> [T_q, T_k, d_a]
        return feats @ p.v_a, 1.0, feats                # [T_q, T_k, d_a] -> [T_q, T_k]
    raise InputError(f"score {score!r} is unknown; expected one of {', '.join(SCORES)}")


def attend(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None,
           score: str = "scaled_dot", p: ScoreParams = ScoreParams()):
    """Core attention. Returns (dots, scale, scores, weights, output, features)."""
    T_q, T_k = q.shape[0], k.shape[0]
    if v.shape[0] != T_k:
        raise InputError(f"v has {v.shape[0]} rows but k has {T_k}; expected one value per key")
    mask = np.zeros((T_q, T_k), dtype=bool) if mask is None else mask
    dots, scale, feats = raw_scores(q, k, score, p)
    e = np.where(mask, -np.inf, dots / scale)          # [T_q, T_k]
    alpha = softmax(e, axis=-1)                         # all -inf row -> zeros
    z = alpha @ v                                       # [T_q, T_k] x [T_k, d_v] -> [T_q, d_v]
    return dots, scale, e, alpha, z, feats


def row_argmax(alpha: np.ndarray, mask: np.ndarray) -> np.ndarray:
    am = np.argmax(alpha, axis=-1).astype(np.int64)
    return np.where(np.all(mask, axis=-1), -1, am)


class Masks(NamedTuple):
    """The combined mask and its causal and key-padding parts, each [T_q, T_k] (True = ignore)."""
    mask: np.ndarray
    causal: np.ndarray
    padding: np.ndarray


def build_mask(T_q: int, T_k: int, *, causal: bool = False, key_padding: Any = None,
               explicit: Any = None) -> np.ndarray:
    """Combine an explicit boolean mask, a causal mask and a key-padding mask (True = ignore)."""
    return mask_parts(T_q, T_k, causal=causal, key_padding=key_padding, explicit=explicit).mask


def mask_parts(T_q: int, T_k: int, *, causal: bool = False, key_padding: Any = None,
               explicit: Any = None) -> Masks:
    """The combined mask with its causal part (j > i) and key-padding part (columns) kept apart."""
    m = np.zeros((T_q, T_k), dtype=bool)
    cm = np.zeros((T_q, T_k), dtype=bool)
    pm = np.zeros((T_q, T_k), dtype=bool)
    if explicit is not None:
        try:
            e = np.array(explicit, dtype=bool)
        except (TypeError, ValueError):
            raise InputError('mask must be "causal", "none" or a [T_q, T_k] array of true/false') from None
        if e.shape != (T_q, T_k):
            raise InputError(f"mask has shape {e.shape}, expected ({T_q}, {T_k}) = (queries, keys); true = ignore that key")
        m |= e
    if causal:
        cm = causal_mask(T_q, T_k)
    if key_padding is not None:
        kp = _bools("key_padding", key_padding)
        if kp.shape != (T_k,):
            raise InputError(f"key_padding has length {kp.shape[0] if kp.ndim == 1 else kp.shape}, expected {T_k} (one true/false per key; true = ignore that key)")
        pm = np.broadcast_to(kp[None, :], (T_q, T_k)).copy()   # [T_k] -> [T_q, T_k]
    return Masks(m | cm | pm, cm, pm)


def _bools(name: str, value: Any) -> np.ndarray:
    arr = np.array(value)
    if arr.dtype != np.bool_:
        if arr.dtype.kind in "iuf" and np.all(np.isin(arr, (0, 1))):
            arr = arr.astype(bool)
        else:
            raise InputError(f"{name} must be a list of true/false (true = ignore that key), got {arr.tolist()!r}"[:200])
    if arr.ndim != 1:
        raise InputError(f"{name} has shape {arr.shape}, expected one true/false per key")
    return arr


def _mask_inputs(inputs: Mapping[str, Any], T_q: int, T_k: int, mask_option: str | None) -> Masks:
    m = inputs.get("mask")
    causal = mask_option == "causal"
    explicit = None
    if isinstance(m, str):
        if m not in ("causal", "none"):
            raise InputError(f'mask is {m!r}, expected "causal", "none" or a [T_q, T_k] array of true/false')
        causal = causal or m == "causal"
    elif m is not None:
        explicit = m
    if causal and T_q != T_k:
        raise InputError(f"a causal mask needs as many queries as keys, got {T_q} queries and {T_k} keys")
    return mask_parts(T_q, T_k, causal=causal, key_padding=inputs.get("key_padding"), explicit=explicit)


def _tokens(name: str, value: Any, n: int) -> tuple[str, ...]:
    if value is None:
        return tuple(f"{name[0]}{i + 1}" for i in range(n))
    if not isinstance(value, (list, tuple)) or not all(isinstance(t, str) for t in value):
        raise InputError(f"{name} must be a list of strings, got {value!r}"[:200])
    if len(value) != n:
        raise InputError(f"{name} has {len(value)} entries, expected {n} (one per row)")
    return tuple(value)


# --------------------------------------------------------------------------- single-head engine

def _parts(T_q: int, T_k: int, mask, causal, padding) -> Masks:
    """(combined, causal, padding) from a caller's mask (counted as explicit) and optional parts."""
    z = np.zeros((T_q, T_k), dtype=bool)
    parts = []
    for name, m in (("mask", mask), ("causal mask", causal), ("padding mask", padding)):
        m = z if m is None else np.asarray(m, dtype=bool)
        if m.shape != (T_q, T_k):
            raise InputError(f"{name} has shape {m.shape}, expected ({T_q}, {T_k}) = (queries, keys)")
        parts.append(m)
    return Masks(parts[0] | parts[1] | parts[2], parts[1], parts[2])


def run(q, k, v, *, score: str = "scaled_dot", mask=None, causal=None, padding=None,
        p: ScoreParams = ScoreParams(), tokens=(), key_tokens=(), x=None, W_q=None, W_k=None, W_v=None,
        x_columns=()) -> AttentionTrace:
    """``mask`` (explicit), ``causal`` and ``padding`` are [T_q, T_k] booleans (True = ignore); the
    trace's ``mask`` is their union and ``causal_mask``/``padding_mask`` keep the two kinds apart."""
    ms = _parts(q.shape[0], k.shape[0], mask, causal, padding)
    mask = ms.mask
    dots, scale, e, alpha, z, feats = attend(q, k, v, mask, score, p)
    return AttentionTrace(score=score, q=q, k=k, v=v, dots=dots, scale=scale, scores=e, weights=alpha,
                          output=z, mask=mask, causal_mask=ms.causal, padding_mask=ms.padding,
                          argmax=row_argmax(alpha, mask), row_sums=alpha.sum(axis=-1),
                          tokens=tuple(tokens), key_tokens=tuple(key_tokens), x=x, W_q=W_q, W_k=W_k,
                          W_v=W_v, features=feats, d_k=int(k.shape[1]), x_columns=tuple(x_columns))


def build(weights: Mapping[str, Any], inputs: Mapping[str, Any], *, score: str = "scaled_dot",
          mask: str | None = None) -> AttentionTrace:
    """Inputs ``{"q", "k", "v"}`` or ``{"x"}`` (self-attention; weights ``W_q, W_k, W_v`` [d_model, d_k]),
    optional ``"mask"`` ("causal" or a boolean [T_q, T_k]), ``"key_padding"`` [T_k] (true = ignore),
    ``"tokens"`` and ``"key_tokens"``."""
    if score not in SCORES:
        raise InputError(f"--score is {score!r}, expected one of {', '.join(SCORES)}")
    weights = weights or {}
    check_inputs(inputs, MODEL_KEYS["attention"])
    check_weights(weights, MODEL_KEYS["attention"], "attention")
    x = W_q = W_k = W_v = None
    if "x" in inputs:
        x = as_array("x", inputs["x"], 2)
        require(weights, ["W_q", "W_k", "W_v"], "self-attention from x")
        d = x.shape[1]
        W_q = as_array("W_q", weights["W_q"], 2)
        W_k = as_array("W_k", weights["W_k"], 2)
        W_v = as_array("W_v", weights["W_v"], 2)
        for n, W in (("W_q", W_q), ("W_k", W_k), ("W_v", W_v)):
            if W.shape[0] != d:
                raise InputError(f"{n} has shape {W.shape}, expected ({d}, d_out) = (d_model of x, projection width)")
        q = x @ W_q                                     # [T, d_model] -> [T, d_k]
        k = x @ W_k                                     # [T, d_model] -> [T, d_k]
        v = x @ W_v                                     # [T, d_model] -> [T, d_v]
        for n in ("b_q", "b_k", "b_v"):
            if n in weights:
                b = as_array(n, weights[n], 1)
                target = {"b_q": q, "b_k": k, "b_v": v}[n]
                check_shape(n, b, (target.shape[1],), "(projection width,)")
        q = q + (as_array("b_q", weights["b_q"], 1) if "b_q" in weights else 0.0)
        k = k + (as_array("b_k", weights["b_k"], 1) if "b_k" in weights else 0.0)
        v = v + (as_array("b_v", weights["b_v"], 1) if "b_v" in weights else 0.0)
        tq = _tokens("tokens", inputs.get("tokens"), x.shape[0])
        tk = tq
        cols = _tokens("columns", inputs["columns"], d) if inputs.get("columns") is not None else ()
    else:
        cols = ()
        missing = [n for n in ("q", "k", "v") if n not in inputs]
        if missing:
            raise InputError(f'attention inputs need "q", "k" and "v" (or "x" with weights W_q, W_k, W_v); missing {", ".join(missing)}')
        q = as_array("q", inputs["q"], 2)
        k = as_array("k", inputs["k"], 2)
        v = as_array("v", inputs["v"], 2)
        if v.shape[0] != k.shape[0]:
            raise InputError(f"v has shape {v.shape}, expected ({k.shape[0]}, d_v): one value row per key row of k {k.shape}")
        tq = _tokens("tokens", inputs.get("tokens"), q.shape[0])
        tk = _tokens("key_tokens", inputs.get("key_tokens", inputs.get("tokens") if q.shape[0] == k.shape[0] else None), k.shape[0])
    if score in ("dot", "scaled_dot") and q.shape[1] != k.shape[1]:
        raise InputError(f"q has shape {q.shape} and k has shape {k.shape}; {score} scores need the same width d_k")
    p = score_params(weights, score, q.shape[1], k.shape[1])
    m = _mask_inputs(inputs, q.shape[0], k.shape[0], mask)
    return run(q, k, v, score=score, mask=m.mask, causal=m.causal, padding=m.padding, p=p, tokens=tq, key_tokens=tk, x=x, W_q=W_q, W_k=W_k, W_v=W_v,
               x_columns=cols)


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int,
           score: str = "scaled_dot", mask: str | None = None):
    """Self-attention weights W_q, W_k, W_v [input_size, hidden] and x [steps, input_size]."""
    d, dk = input_size, hidden
    s = 1.0 / np.sqrt(d)
    w: dict[str, Any] = {n: (rng.standard_normal((d, dk)) * s).tolist() for n in ("W_q", "W_k", "W_v")}
    if score == "general":
        w["W_a"] = (rng.standard_normal((dk, dk)) / np.sqrt(dk)).tolist()
    if score == "additive":
        w["W_aq"] = (rng.standard_normal((dk, dk)) / np.sqrt(dk)).tolist()
        w["W_ak"] = (rng.standard_normal((dk, dk)) / np.sqrt(dk)).tolist()
        w["v_a"] = rng.standard_normal(dk).tolist()
    return w, {"x": rng.standard_normal((steps, d)).tolist()}


# --------------------------------------------------------------------------- multi-head engine

def run_multihead(p: MHAParams, x: np.ndarray, num_heads: int, *, x_kv: np.ndarray | None = None,
                  mask: np.ndarray | None = None, causal: np.ndarray | None = None,
                  padding: np.ndarray | None = None, tokens=(), key_tokens=()) -> MultiHeadTrace:
    """``mask`` (explicit), ``causal`` and ``padding``: [T, T_k] booleans, True = ignore (see ``run``)."""
    E = p.d_model
    if num_heads < 1 or E % num_heads:
        raise InputError(f"--heads is {num_heads}, which does not divide the model width d_model = {E}")
    if x.shape[1] != E:
        raise InputError(f"x has shape {x.shape}, expected (T, {E}) = (tokens, d_model)")
    x_kv = x if x_kv is None else x_kv
    if x_kv.shape[1] != E:
        raise InputError(f"memory has shape {x_kv.shape}, expected (T_k, {E}) = (tokens, d_model)")
    T, T_k = x.shape[0], x_kv.shape[0]
    ms = _parts(T, T_k, mask, causal, padding)
    mask = ms.mask
    dk = E // num_heads
    Q = x @ p.W_q + p.b_q                               # [T, E] -> [T, E]
    K = x_kv @ p.W_k + p.b_k                            # [T_k, E] -> [T_k, E]
    V = x_kv @ p.W_v + p.b_v                            # [T_k, E] -> [T_k, E]
    heads = []
    for h in range(num_heads):
        sl = slice(h * dk, (h + 1) * dk)
        dots, scale, e, alpha, z, _ = attend(Q[:, sl], K[:, sl], V[:, sl], mask, "scaled_dot")
        heads.append(Head(h, Q[:, sl], K[:, sl], V[:, sl], dots, scale, e, alpha, z, row_argmax(alpha, mask)))
    concat = np.concatenate([hd.output for hd in heads], axis=1)   # H x [T, d_k] -> [T, E]
    out = concat @ p.W_o + p.b_o                        # [T, E] -> [T, E]
    mean_w = np.mean([hd.weights for hd in heads], axis=0)
    shapes = {"x": [T, E], "Q": [T, E], "K": [T_k, E], "V": [T_k, E], "head": [T, dk],
              "weights": [T, T_k], "concat": [T, E], "output": [T, E]}
    return MultiHeadTrace(num_heads=num_heads, d_model=E, d_k=dk, x=x, x_kv=x_kv, mask=mask,
                          causal_mask=ms.causal, padding_mask=ms.padding, heads=tuple(heads),
                          concat=concat, output=out, mean_weights=mean_w, tokens=tuple(tokens),
                          key_tokens=tuple(key_tokens), shapes=shapes)


def build_multihead(weights: Mapping[str, Any], inputs: Mapping[str, Any], *, heads: int | None = None,
                    mask: str | None = None) -> MultiHeadTrace:
    """Weights: ``W_q, W_k, W_v, W_o`` [E, E] (+ ``b_*``), or ``in_proj_weight``/``out_proj.weight``...
    Inputs: ``{"x"}`` (self-attention) with optional ``"memory"`` (keys/values from another sequence),
    ``"mask"``, ``"key_padding"``, ``"tokens"``, ``"key_tokens"``; ``--heads`` or inputs ``"heads"``."""
    check_inputs(inputs, MODEL_KEYS["multihead"])
    check_weights(weights, MODEL_KEYS["multihead"], "multihead")
    p = MHAParams.from_weights(weights)
    if "x" not in inputs:
        raise InputError('multihead inputs need "x": [[...], ...] of shape (T, d_model)')
    x = as_array("x", inputs["x"], 2)
    x_kv = as_array("memory", inputs["memory"], 2) if inputs.get("memory") is not None else None
    H = heads if heads is not None else inputs.get("heads", 1)
    if not isinstance(H, int) or isinstance(H, bool):
        raise InputError(f"heads must be a positive integer, got {H!r}")
    if H < 1 or p.d_model % H:
        raise InputError(f"--heads is {H}, which does not divide the model width d_model = {p.d_model}")
    T_k = x.shape[0] if x_kv is None else x_kv.shape[0]
    if x.shape[1] != p.d_model:
        raise InputError(f"x has shape {x.shape}, expected ({x.shape[0]}, {p.d_model}) = (tokens, d_model)")
    m = _mask_inputs(inputs, x.shape[0], T_k, mask)
    tq = _tokens("tokens", inputs.get("tokens"), x.shape[0])
    tk = tq if x_kv is None else _tokens("key_tokens", inputs.get("key_tokens"), T_k)
    return run_multihead(p, x, H, x_kv=x_kv, mask=m.mask, causal=m.causal, padding=m.padding, tokens=tq, key_tokens=tk)


def random_multihead(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int,
                     heads: int | None = None, mask: str | None = None):
    """Random MHA: ``hidden`` is the per-head width d_k, d_model = heads * hidden (input_size is unused)."""
    H = heads or 2
    if H < 1:
        raise InputError(f"--heads must be a positive integer, got {H}")
    E = H * hidden
    s = 1.0 / np.sqrt(E)
    w = {n: (rng.standard_normal((E, E)) * s).tolist() for n in ("W_q", "W_k", "W_v", "W_o")}
    w.update({n: (0.1 * rng.standard_normal(E)).tolist() for n in ("b_q", "b_k", "b_v", "b_o")})
    return w, {"x": rng.standard_normal((steps, E)).tolist(), "heads": H}
