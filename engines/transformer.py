"""Transformer pieces: sinusoidal positional encoding and its rotations, layer norm, batch norm,
residual connections, the position-wise FFN, and one encoder block / one decoder block.

Notation
--------
- ``x`` [T, d]        token representations (rows), ``d`` = d_model
- ``PE`` [T, d]       positional encoding, ``omega_i = 1 / 10000^(2i/d)`` for pair i = 0 .. d/2-1
- ``M(k)`` [d, d]     block-diagonal rotation taking PE[t] to PE[t+k]
- ``mu, var``         per-row (layer norm) or per-column (batch norm) mean and biased variance
- ``gamma, beta`` [d] affine parameters of a norm; ``eps`` the variance epsilon (default 1e-5, as torch)
- FFN: ``W_1`` [d, d_ff], ``b_1`` [d_ff], ``W_2`` [d_ff, d], ``b_2`` [d] (row convention x W)
- ``memory`` [S, d]   the encoder output a decoder block attends to; with ``"target"`` inputs (a
                      translation pair) it is computed: the encoder block's output on ``x``, and
                      the decoder block runs on the target sentence

Equations
---------
    PE[t, 2i]   = sin(t * omega_i),   PE[t, 2i+1] = cos(t * omega_i)       (Vaswani et al. 2017)
    [PE[t+k, 2i], PE[t+k, 2i+1]] = R(omega_i k) [PE[t, 2i], PE[t, 2i+1]],
        R(a) = [[cos a, sin a], [-sin a, cos a]],  M(k) = diag(R(omega_0 k), ..., R(omega_{d/2-1} k))
    LayerNorm(x)_t = gamma * (x_t - mu_t) / sqrt(var_t + eps) + beta        (mu, var over the features of row t)
    BatchNorm(x)_:,j = gamma_j * (x_:,j - mu_j) / sqrt(var_j + eps) + beta_j (mu, var over the batch; training mode,
                       biased variance for normalising; the unbiased one is what a running average would store)
    residual: y = x + H(x)
    FFN(x) = relu(x W_1 + b_1) W_2 + b_2
    encoder block (post-LN, as in Vaswani et al. and torch's default norm_first=False):
        a = MHA(x, x, x; key padding);  h = LN_1(x + a);  f = FFN(h);  out = LN_2(h + f)
    decoder block (post-LN):
        a = MHA(y, y, y; causal + target padding);  h1 = LN_1(y + a)
        c = MHA(h1, memory, memory; memory padding only);  h2 = LN_2(h1 + c)
        f = FFN(h2);  out = LN_3(h2 + f)

Weights use PyTorch's ``nn.TransformerEncoderLayer`` / ``nn.TransformerDecoderLayer`` state_dict names
(``self_attn.in_proj_weight`` ..., ``multihead_attn.*``, ``linear1.weight`` [d_ff, d], ``linear2.*``,
``norm1.weight``/``norm1.bias`` ...); our names are accepted too (``self_attn.W_q`` ..., ``W_1``, ``b_1``,
``W_2``, ``b_2``, ``gamma1``/``beta1`` ...).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from . import attention as att
from .errors import InputError
from .io import ModelKeys, as_array, check_inputs, check_shape, check_weights
from .trace import Array, Record

_NORM_KEYS = ModelKeys(inputs=("x",), options=("eps",), weights=("gamma", "beta", "weight", "bias"))
MODEL_KEYS = {
    "transformer": ModelKeys(
        inputs=("x", "block", "heads", "memory", "tokens", "memory_tokens", "key_padding", "memory_key_padding",
                "positional_encoding", "target"),
        options=("block", "heads", "eps"),
        weights=tuple(p + n for p in ("self_attn.", "multihead_attn.") for n in att.MHA_WEIGHTS)
        + ("linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "W_1", "b_1", "W_2", "b_2")
        + tuple(f"{n}{i}" + s for i in (1, 2, 3) for n, s in (("norm", ".weight"), ("norm", ".bias"), ("gamma", ""), ("beta", "")))),
    "positional-encoding": ModelKeys(inputs=("T", "d_model", "k")),
    "layernorm": _NORM_KEYS,
    "batchnorm": _NORM_KEYS,
}


# --------------------------------------------------------------------------- positional encoding

def omegas(d: int) -> np.ndarray:
    """[ceil(d/2)] angular frequencies 1 / 10000^(2i/d)."""
    i = np.arange((d + 1) // 2)
    return 1.0 / np.power(10000.0, 2.0 * i / d)


def positional_encoding(T: int, d: int, start: int = 0) -> np.ndarray:
    """[T, d] sinusoidal encoding of positions start .. start+T-1."""
    t = np.arange(start, start + T, dtype=np.float64)[:, None]     # [T, 1]
    ang = t * omegas(d)[None, :]                                      # [T, 1] x [1, d/2] -> [T, d/2]
    pe = np.empty((T, d))
    pe[:, 0::2] = np.sin(ang)
    pe[:, 1::2] = np.cos(ang[:, : d // 2])
    return pe


def rotation_blocks(d: int, k: float) -> np.ndarray:
    """[d/2, 2, 2] the 2x2 rotations R(omega_i k) acting on (sin, cos) pairs (d even)."""
    a = omegas(d)[: d // 2] * k
    c, s = np.cos(a), np.sin(a)
    return np.stack([np.stack([c, s], -1), np.stack([-s, c], -1)], -2)   # [d/2, 2, 2]


def rotation_matrix(d: int, k: float) -> np.ndarray:
    """[d, d] block-diagonal M(k) with PE[t + k] = M(k) PE[t]."""
    if d % 2:
        raise InputError(f"d_model is {d}; the rotation property needs an even d_model (sin/cos pairs)")
    M = np.zeros((d, d))
    for i, R in enumerate(rotation_blocks(d, k)):
        M[2 * i:2 * i + 2, 2 * i:2 * i + 2] = R
    return M


@dataclass(frozen=True)
class Rotation(Record):
    k: int
    M: Array               # [d, d]
    blocks: Array          # [d/2, 2, 2]
    shifted: Array         # [T - k, d]  M(k) PE[t] for t = 0 .. T-k-1
    max_error: float       # max |PE[t+k] - M(k) PE[t]|


@dataclass(frozen=True)
class PETrace(Record):
    kind: ClassVar[str] = "positional-encoding"
    T: int
    d: int
    omega: Array           # [d/2]
    wavelength: Array      # [d/2] 2 pi / omega
    pe: Array              # [T, d]
    rotations: tuple[Rotation, ...]


def run_pe(T: int, d: int, ks: tuple[int, ...] = (1,)) -> PETrace:
    if T < 1 or d < 2:
        raise InputError(f"positional encoding needs T >= 1 and d_model >= 2, got T = {T}, d_model = {d}")
    pe = positional_encoding(T, d)
    rots = []
    for k in ks:
        M = rotation_matrix(d, k)
        shifted = pe[: max(T - k, 0)] @ M.T                # rows: (M PE[t])^T = PE[t]^T M^T  [T-k, d]
        err = float(np.max(np.abs(pe[k:] - shifted))) if T > k else 0.0
        rots.append(Rotation(k, M, rotation_blocks(d, k), shifted, err))
    w = omegas(d)
    return PETrace(T=T, d=d, omega=w, wavelength=2 * np.pi / w, pe=pe, rotations=tuple(rots))


def build_pe(weights: Mapping[str, Any], inputs: Mapping[str, Any]) -> PETrace:
    """Inputs: ``{"T": 6, "d_model": 8, "k": [1, 2]}``."""
    check_inputs(inputs, MODEL_KEYS["positional-encoding"])
    check_weights(weights, MODEL_KEYS["positional-encoding"], "positional-encoding")
    T, d = inputs.get("T"), inputs.get("d_model")
    ks = inputs.get("k", [1])
    for name, v in (("T", T), ("d_model", d)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise InputError(f"{name} must be a positive integer, got {v!r}")
    if isinstance(ks, int):
        ks = [ks]
    if not isinstance(ks, list) or not all(isinstance(k, int) and not isinstance(k, bool) and k >= 0 for k in ks):
        raise InputError(f"k must be a list of non-negative integer offsets, got {ks!r}")
    if d % 2:
        raise InputError(f"d_model is {d}, expected an even number (sin/cos pairs)")
    return run_pe(T, d, tuple(ks))


def random_pe(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int):
    return {}, {"T": steps, "d_model": 2 * hidden, "k": [1, int(rng.integers(1, max(steps, 2)))]}


# --------------------------------------------------------------------------- norms

@dataclass(frozen=True)
class NormTrace(Record):
    kind: ClassVar[str] = "norm"
    which: str             # "layer" or "batch"
    x: Array               # [N, d]
    mean: Array            # [N] (layer) or [d] (batch)
    var: Array             # biased variance, same shape
    var_unbiased: Array    # n/(n-1) * var (what torch keeps as running_var for batch norm)
    xhat: Array            # [N, d]
    gamma: Array           # [d]
    beta: Array            # [d]
    y: Array               # [N, d]
    eps: float
    out_mean: Array        # mean of y along the normalised axis (beta when gamma = 1)
    out_std: Array         # biased std of xhat along the normalised axis (~1)
    other: "NormTrace | None" = None    # the other norm on the same x, for the LN-vs-BN comparison


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5):
    mu = x.mean(axis=-1, keepdims=True)                  # [N, d] -> [N, 1]
    var = x.var(axis=-1, keepdims=True)                  # biased
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, mu[..., 0], var[..., 0], xhat


def batch_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5):
    mu = x.mean(axis=0)                                  # [N, d] -> [d]
    var = x.var(axis=0)                                  # biased (training mode)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, mu, var, xhat


def run_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, which: str, eps: float = 1e-5,
             compare: bool = True) -> NormTrace:
    if not (eps >= 0 and np.isfinite(eps)):
        raise InputError(f"--eps must be a finite number >= 0, got {eps}")
    fn, axis = (layer_norm, 1) if which == "layer" else (batch_norm, 0)
    n = x.shape[axis]
    if which == "batch" and x.shape[0] < 2:
        raise InputError(f"batch norm needs a batch of at least 2 rows, x has shape {x.shape}")
    y, mu, var, xhat = fn(x, gamma, beta, eps)
    other = None
    if compare:
        other = run_norm(x, gamma, beta, "batch" if which == "layer" else "layer", eps, compare=False) \
            if x.shape[0] >= 2 else None
    return NormTrace(which=which, x=x, mean=mu, var=var, var_unbiased=var * n / max(n - 1, 1), xhat=xhat,
                     gamma=gamma, beta=beta, y=y, eps=float(eps), out_mean=y.mean(axis=axis),
                     out_std=xhat.std(axis=axis), other=other)


def _norm_inputs(weights, inputs, model):
    check_inputs(inputs, MODEL_KEYS[model])
    check_weights(weights, MODEL_KEYS[model], model)
    if "x" not in inputs:
        raise InputError('norm inputs need "x": [[...], ...] of shape (batch, features)')
    x = as_array("x", inputs["x"], 2)
    d = x.shape[1]
    g = weights.get("gamma", weights.get("weight"))
    b = weights.get("beta", weights.get("bias"))
    gamma = as_array("gamma", g, 1) if g is not None else np.ones(d)
    beta = as_array("beta", b, 1) if b is not None else np.zeros(d)
    check_shape("gamma", gamma, (d,), "(features,)")
    check_shape("beta", beta, (d,), "(features,)")
    return x, gamma, beta


def build_layernorm(weights, inputs, *, eps: float | None = None) -> NormTrace:
    x, g, b = _norm_inputs(weights or {}, inputs, "layernorm")
    return run_norm(x, g, b, "layer", 1e-5 if eps is None else eps)


def build_batchnorm(weights, inputs, *, eps: float | None = None) -> NormTrace:
    x, g, b = _norm_inputs(weights or {}, inputs, "batchnorm")
    return run_norm(x, g, b, "batch", 1e-5 if eps is None else eps)


def random_norm(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int, eps=None):
    return ({"gamma": np.round(1 + 0.2 * rng.normal(size=hidden), 3).tolist(),
             "beta": np.round(0.1 * rng.normal(size=hidden), 3).tolist()},
            {"x": np.round(rng.normal(size=(max(steps, 2), hidden)) * 2 + 1, 3).tolist()})


# --------------------------------------------------------------------------- blocks

@dataclass(frozen=True)
class SubLayer(Record):
    name: str              # e.g. "self-attention", "add & norm 1", "ffn"
    shape: tuple[int, ...]
    value: Array


@dataclass(frozen=True)
class BlockTrace(Record):
    kind: ClassVar[str] = "transformer"
    block: str                              # encoder | decoder
    norm_position: str                      # "post" (Vaswani)
    d_model: int
    d_ff: int
    num_heads: int
    eps: float
    tokens: tuple[str, ...]
    memory_tokens: tuple[str, ...]
    x_in: Array                             # [T, d] given input (embeddings)
    pe: Array | None                        # [T, d] when positional encoding was added
    x: Array                                # [T, d] block input
    self_attn: att.MultiHeadTrace           # its causal_mask / padding_mask keep the two mask kinds apart
    cross_attn: att.MultiHeadTrace | None   # memory padding only (causal_mask all False)
    ffn_hidden: Array                       # [T, d_ff] relu(h W_1 + b_1)
    sublayers: tuple[SubLayer, ...]
    output: Array                           # [T, d]
    memory: Array | None = None             # [S, d]
    ffn_inactive: int | None = None         # how many entries of ffn_hidden are 0 (ReLU units off)


@dataclass(frozen=True)
class FFNParams:
    W_1: np.ndarray
    b_1: np.ndarray
    W_2: np.ndarray
    b_2: np.ndarray


def ffn(x: np.ndarray, p: FFNParams) -> tuple[np.ndarray, np.ndarray]:
    hid = np.maximum(x @ p.W_1 + p.b_1, 0.0)            # [T, d] -> [T, d_ff]
    return hid @ p.W_2 + p.b_2, hid                      # [T, d_ff] -> [T, d]


def _sub(w: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix):]: v for k, v in w.items() if k.startswith(prefix)}


def _ffn_params(w: Mapping[str, Any], d: int) -> FFNParams:
    if "linear1.weight" in w:
        W1 = as_array("linear1.weight", w["linear1.weight"], 2).T       # torch [d_ff, d] -> [d, d_ff]
        dff = W1.shape[1]
        check_shape("linear1.weight", W1.T, (dff, d), "(dim_feedforward, d_model)")
        b1 = as_array("linear1.bias", w.get("linear1.bias", np.zeros(dff)), 1)
        W2 = as_array("linear2.weight", w.get("linear2.weight"), 2).T
        check_shape("linear2.weight", W2.T, (d, dff), "(d_model, dim_feedforward)")
        b2 = as_array("linear2.bias", w.get("linear2.bias", np.zeros(d)), 1)
    elif "W_1" in w:
        W1 = as_array("W_1", w["W_1"], 2)
        dff = W1.shape[1]
        check_shape("W_1", W1, (d, dff), "(d_model, d_ff)")
        b1 = as_array("b_1", w.get("b_1", np.zeros(dff)), 1)
        W2 = as_array("W_2", w.get("W_2"), 2)
        check_shape("W_2", W2, (dff, d), "(d_ff, d_model)")
        b2 = as_array("b_2", w.get("b_2", np.zeros(d)), 1)
    else:
        raise InputError("transformer weights are missing the FFN: linear1.weight/linear2.weight (torch) or W_1/W_2")
    check_shape("b_1 (linear1.bias)", b1, (dff,), "(d_ff,)")
    check_shape("b_2 (linear2.bias)", b2, (d,), "(d_model,)")
    return FFNParams(W1, b1, W2, b2)


def _norm_params(w: Mapping[str, Any], i: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    g = w.get(f"norm{i}.weight", w.get(f"gamma{i}"))
    b = w.get(f"norm{i}.bias", w.get(f"beta{i}"))
    gamma = as_array(f"norm{i}.weight", g, 1) if g is not None else np.ones(d)
    beta = as_array(f"norm{i}.bias", b, 1) if b is not None else np.zeros(d)
    check_shape(f"norm{i}.weight", gamma, (d,), "(d_model,)")
    check_shape(f"norm{i}.bias", beta, (d,), "(d_model,)")
    return gamma, beta


def run_block(w: Mapping[str, Any], x_in: np.ndarray, *, block: str = "encoder", heads: int = 1, eps: float = 1e-5,
              add_pe: bool = False, memory: np.ndarray | None = None, key_padding=None, memory_key_padding=None,
              tokens=(), memory_tokens=()) -> BlockTrace:
    if block not in ("encoder", "decoder"):
        raise InputError(f"--block is {block!r}, expected encoder or decoder")
    if not (eps >= 0 and np.isfinite(eps)):
        raise InputError(f"--eps must be a finite number >= 0, got {eps}")
    T, d = x_in.shape
    sa = att.MHAParams.from_weights(_sub(w, "self_attn."))
    if sa.d_model != d:
        raise InputError(f"x has shape {x_in.shape}, expected ({T}, {sa.d_model}) = (tokens, d_model of self_attn)")
    if heads < 1 or d % heads:
        raise InputError(f"--heads is {heads}, which does not divide the model width d_model = {d}")
    f = _ffn_params(w, d)
    pe = positional_encoding(T, d) if add_pe else None
    x = x_in + pe if add_pe else x_in                    # [T, d]
    subs = [SubLayer("input" + (" + PE" if add_pe else ""), (T, d), x)]
    causal = block == "decoder"
    m_self = att.mask_parts(T, T, causal=causal, key_padding=key_padding)
    a = att.run_multihead(sa, x, heads, causal=m_self.causal, padding=m_self.padding, tokens=tokens, key_tokens=tokens)
    g1, b1 = _norm_params(w, 1, d)
    h, *_ = layer_norm(x + a.output, g1, b1, eps)        # [T, d]
    subs += [SubLayer("masked self-attention" if causal else "self-attention", (T, d), a.output),
             SubLayer("add & norm 1", (T, d), h)]
    cross = None
    if block == "decoder":
        if memory is None:
            raise InputError('a decoder block needs "memory": [[...], ...] (the encoder output, shape (S, d_model))')
        if memory.shape[1] != d:
            raise InputError(f"memory has shape {memory.shape}, expected (S, {d}) = (source tokens, d_model)")
        ca = att.MHAParams.from_weights(_sub(w, "multihead_attn."))
        if ca.d_model != d:
            raise InputError(f"multihead_attn has d_model {ca.d_model}, expected {d}")
        S = memory.shape[0]
        m_cross = att.mask_parts(T, S, key_padding=memory_key_padding)     # padding only, never causal
        cross = att.run_multihead(ca, h, heads, x_kv=memory, padding=m_cross.padding, tokens=tokens,
                                  key_tokens=memory_tokens)
        g2, b2 = _norm_params(w, 2, d)
        h, *_ = layer_norm(h + cross.output, g2, b2, eps)
        subs += [SubLayer("cross-attention", (T, d), cross.output), SubLayer("add & norm 2", (T, d), h)]
    out_ffn, hid = ffn(h, f)
    gl, bl = _norm_params(w, 3 if block == "decoder" else 2, d)
    out, *_ = layer_norm(h + out_ffn, gl, bl, eps)
    subs += [SubLayer("ffn hidden (relu)", (T, f.W_1.shape[1]), hid), SubLayer("ffn", (T, d), out_ffn),
             SubLayer(f"add & norm {3 if block == 'decoder' else 2}", (T, d), out)]
    return BlockTrace(block=block, norm_position="post", d_model=d, d_ff=int(f.W_1.shape[1]), num_heads=heads,
                      eps=float(eps), tokens=tuple(tokens), memory_tokens=tuple(memory_tokens), x_in=x_in, pe=pe,
                      x=x, self_attn=a, cross_attn=cross, ffn_hidden=hid, sublayers=tuple(subs), output=out,
                      memory=memory, ffn_inactive=int(np.sum(hid == 0)))


def build(weights: Mapping[str, Any], inputs: Mapping[str, Any], *, block: str | None = None,
          heads: int | None = None, eps: float | None = None, **whole: Any):
    """Inputs: ``"x"`` [T, d], optional ``"positional_encoding": true``, ``"key_padding"`` [T], ``"tokens"``;
    decoder: ``"memory"`` [S, d], ``"memory_key_padding"`` [S], ``"memory_tokens"``.

    A whole model (a Hugging Face folder given with ``--weights DIR``, or a whole-model preset) arrives as
    ``inputs = {"model_folder": DIR}`` and runs in :mod:`engines.transformer_model` with the options
    ``WHOLE_MODEL_OPTIONS`` (``--text``, ``--layer`` ...); it returns a ``transformer-model`` trace."""
    from .transformer_whole import whole_model
    trace = whole_model(weights, inputs, block=block, heads=heads, eps=eps, **whole)
    if trace is not None:
        return trace
    check_inputs(inputs, MODEL_KEYS["transformer"])
    check_weights(weights, MODEL_KEYS["transformer"], "transformer")
    if "x" not in inputs:
        raise InputError('transformer inputs need "x": [[...], ...] of shape (tokens, d_model)')
    x = as_array("x", inputs["x"], 2)
    block = block or inputs.get("block", "encoder")
    H = heads if heads is not None else inputs.get("heads", 1)
    if not isinstance(H, int) or isinstance(H, bool):
        raise InputError(f"heads must be a positive integer, got {H!r}")
    if inputs.get("target") is not None:
        return _translation(weights, inputs, x, block=block, heads=H, eps=1e-5 if eps is None else eps)
    memory = as_array("memory", inputs["memory"], 2) if inputs.get("memory") is not None else None
    tokens = att._tokens("tokens", inputs.get("tokens"), x.shape[0])
    mtok = att._tokens("memory_tokens", inputs.get("memory_tokens"), memory.shape[0]) if memory is not None else ()
    kp = inputs.get("key_padding")
    mkp = inputs.get("memory_key_padding") if block == "decoder" else None
    return run_block(weights, x, block=block, heads=H, eps=1e-5 if eps is None else eps,
                     add_pe=bool(inputs.get("positional_encoding", False)), memory=memory if block == "decoder" else None,
                     key_padding=kp, memory_key_padding=mkp, tokens=tokens, memory_tokens=mtok if block == "decoder" else ())


_TARGET_KEYS = ("x", "tokens", "key_padding")


def _translation(weights: Mapping[str, Any], inputs: Mapping[str, Any], x: np.ndarray, *, block: str, heads: int,
                 eps: float) -> BlockTrace:
    """A translation pair: ``x`` (with ``tokens``, ``key_padding``) is the source sentence the encoder
    block reads; ``"target": {"x", "tokens", "key_padding"}`` is the sentence the decoder block reads,
    and its memory is the encoder block's output on the source (padding carried over)."""
    target = inputs["target"]
    if inputs.get("memory") is not None or inputs.get("memory_tokens") is not None:
        raise InputError('give "target" or "memory", not both: with "target" the memory is the encoder output on "x"')
    if not isinstance(target, Mapping) or "x" not in target:
        raise InputError('"target" must be {"x": [[...], ...], "tokens": [...], "key_padding": [...]} (the decoder\'s sentence)')
    check_inputs(target, ModelKeys(inputs=_TARGET_KEYS))
    add_pe = bool(inputs.get("positional_encoding", False))
    tokens = att._tokens("tokens", inputs.get("tokens"), x.shape[0])
    enc = run_block(weights, x, block="encoder", heads=heads, eps=eps, add_pe=add_pe,
                    key_padding=inputs.get("key_padding"), tokens=tokens)
    if block == "encoder":
        return enc
    tx = as_array("target.x", target["x"], 2)
    ttok = att._tokens("target.tokens", target.get("tokens"), tx.shape[0])
    return run_block(weights, tx, block="decoder", heads=heads, eps=eps, add_pe=add_pe, memory=enc.output,
                     key_padding=target.get("key_padding"), memory_key_padding=inputs.get("key_padding"),
                     tokens=ttok, memory_tokens=tokens)


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int, block: str | None = None,
           heads: int | None = None, eps: float | None = None, **whole: Any):
    """``hidden`` = d_model (made divisible by the heads), d_ff = 2 d_model, ``steps`` tokens."""
    given = [k for k, v in whole.items() if v is not None]
    if given:
        raise InputError(f"--{given[0].replace('_', '-')} applies to a whole model, not to random weights of one block "
                         "(--seed); give --weights DIR or a whole-model preset")
    H = heads or 2
    d = max(hidden, H)
    d = d + (-d) % H
    dff = 2 * d
    r = lambda *s: (rng.normal(size=s) / np.sqrt(s[-1])).tolist()
    w: dict[str, Any] = {}
    for pfx in ("self_attn.", "multihead_attn."):
        w[pfx + "in_proj_weight"] = r(3 * d, d)
        w[pfx + "in_proj_bias"] = (0.1 * rng.normal(size=3 * d)).tolist()
        w[pfx + "out_proj.weight"] = r(d, d)
        w[pfx + "out_proj.bias"] = (0.1 * rng.normal(size=d)).tolist()
    w.update({"linear1.weight": r(dff, d), "linear1.bias": (0.1 * rng.normal(size=dff)).tolist(),
              "linear2.weight": r(d, dff), "linear2.bias": (0.1 * rng.normal(size=d)).tolist()})
    return w, {"x": rng.normal(size=(steps, d)).tolist(), "memory": rng.normal(size=(steps + 1, d)).tolist(),
               "heads": H}
