"""Sequence to sequence: an encoder-decoder over string tokens, with a fixed context vector or attention.

Notation
--------
- source tokens ``x_1 .. x_{T_in}`` (strings of ``src_vocab``), target tokens ``y_1 .. y_{T_out}`` (``tgt_vocab``)
- ``E_src`` [V_src, e], ``E_tgt`` [V_tgt, e]  embedding matrices (row = token)
- encoder: a bidirectional recurrent encoder with hidden size H: forward states ``hf_j``, backward states ``hb_j``;
  annotations ``h_j = [hf_j, hb_j]`` [2H]
- ``C = [hf_{T_in}, hb_1]`` [2H] the fixed context: the last state of each direction
- decoder state ``s_i`` [H_d], ``s_0 = tanh(C W_init + b_init)`` (or ``s_0 = C`` when no ``W_init`` is given); ``c_i`` [2H] the context of output step i
- ``alpha`` [T_out, T_in] the alignment (attention weights); ``e_ij`` the alignment scores
- output ``logits_i = [s_i, c_i] W_out + b_out`` [V_tgt], ``p_i = softmax(logits_i)``
- cell(input, state) from :mod:`engines.cells`: ``rnn`` (Elman, tanh), ``gru`` (textbook convention) or ``lstm`` (colah);
  every matrix acts on the concatenation ``[h_prev, input]`` (h first), row convention is W·[h, x] with W [H, H + D]

Equations
---------
    rnn:  h = tanh(W [h_prev, x] + b)
    gru:  z = σ(W_z [h_prev, x] + b_z),  r = σ(W_r [h_prev, x] + b_r),
          n = tanh(W_n [r * h_prev, x] + b_n),  h = (1 - z) * h_prev + z * n   (files may say W_h, b_h)
    lstm: f, i, o = σ(W_f|W_i|W_o [h_prev, x] + b),  g = tanh(W_C [h_prev, x] + b_C),
          c = f * c_prev + i * g,  h = o * tanh(c)
    fixed context (attention = none):   c_i = C for every i;  s_i = cell([E_tgt y_{i-1}, C], s_{i-1})
    Bahdanau (additive, scored with the previous state):
          e_ij = v_a . tanh(s_{i-1} W_aq + h_j W_ak),  alpha_i = softmax(e_i),  c_i = sum_j alpha_ij h_j,
          s_i = cell([E_tgt y_{i-1}, c_i], s_{i-1})
    Luong (dot / general, scored with the new state; input feeding of the previous context, c_0 = C):
          s_i = cell([E_tgt y_{i-1}, c_{i-1}], s_{i-1}),  e_ij = s_i . h_j  or  s_i W_a h_j^T,
          alpha_i = softmax(e_i),  c_i = sum_j alpha_ij h_j
    logits_i = [s_i, c_i] W_out + b_out,  p_i = softmax(logits_i),  prediction = argmax p_i
    teacher forcing: y_{i-1} is the given target token (y_0 = <s>); free running: y_{i-1} = previous prediction
    loss (when a target is given) = sum_i -ln p_i(y_i)   (nats)

The encoder runs forward and backward in every mode (so one weights file serves all three modes);
with ``attention = none`` the decoder only sees C.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from . import attention as att
from . import cells
from ._numerics import softmax
from .errors import InputError
from .io import ModelKeys, as_array, check_inputs, check_keys, check_shape, require
from .trace import Array, IntArray, Record, ro

CELLS = ("rnn", "gru", "lstm")
CELL_WEIGHTS = {"rnn": ("W",), "gru": ("W_z", "W_r", "W_n"), "lstm": ("W_f", "W_i", "W_C", "W_o")}
CELL_BIASES = {"rnn": ("b",), "gru": ("b_z", "b_r", "b_n"), "lstm": ("b_f", "b_i", "b_C", "b_o")}
PARTS = ("enc_fwd", "enc_bwd", "dec")
_TOP = ("src_vocab", "tgt_vocab", "E_src", "E_tgt", "W_init", "b_init", "W_out", "b_out", "W_a", "W_aq", "W_ak", "v_a")
KEYS = ModelKeys(inputs=("source", "target", "max_len"), options=("cell", "attention", "score", "decode"),
                 weights=_TOP + tuple(f"{p}.{n}" for p in PARTS for k in CELLS for n in CELL_WEIGHTS[k] + CELL_BIASES[k]))
MODEL_KEYS = {"seq2seq": KEYS}
BOS, EOS = "<s>", "</s>"


# --------------------------------------------------------------------------- cells

@dataclass(frozen=True)
class Cell:
    kind: str         # rnn | gru | lstm
    w: Any            # cells.ElmanWeights | cells.GRUWeights | cells.LSTMWeights, every W [H, H + D]
    H: int
    D: int


_GATES = {"rnn": ("h",), "gru": ("z", "r", "n"), "lstm": ("f", "i", "g", "o", "c")}


def cell_step(cell: Cell, x: np.ndarray, h: np.ndarray, c: np.ndarray | None):
    """One step of :mod:`engines.cells`. Returns (h_new, c_new or None, the gates recorded in the trace)."""
    if cell.kind == "rnn":
        s = cells.elman_step(cell.w, x, h)                          # [H] + [D] -> [H]
    elif cell.kind == "gru":
        s = cells.gru_step(cell.w, x, h, "textbook")
    else:
        s = cells.lstm_step(cell.w, x, h, c)
    return s["h"], s.get("c"), {k: s[k] for k in _GATES[cell.kind]}


def _cell(w: Mapping[str, Any], part: str, kind: str, D: int, H: int | None = None,
          origin: Mapping[str, str] | None = None) -> Cell:
    names = [f"{part}.{n}" for n in CELL_WEIGHTS[kind]]
    require(w, names, f"the {kind} cell of {part}")
    label = (lambda k: origin.get(k, k)) if origin else (lambda k: k)  # the name as the file gives it
    mats = {}
    for n in CELL_WEIGHTS[kind]:
        key = f"{part}.{n}"
        M = as_array(label(key), w[key], 2)
        if H is None:
            H = M.shape[0]
        check_shape(label(key), M, (H, H + D), f"(hidden, hidden + input) = ({H}, {H} + {D})")
        mats[n] = M
    bs = {}
    for n in CELL_BIASES[kind]:
        key = f"{part}.{n}"
        bs[n] = as_array(label(key), w[key], 1) if key in w else np.zeros(H)
        check_shape(label(key), bs[n], (H,), "(hidden,)")
    if kind == "rnn":
        cw = cells.ElmanWeights(mats["W"], bs["b"])
    elif kind == "gru":
        cw = cells.GRUWeights(mats["W_r"], mats["W_z"], mats["W_n"], bs["b_r"], bs["b_z"], bs["b_n"])
    else:
        cw = cells.LSTMWeights(mats["W_f"], mats["W_i"], mats["W_C"], mats["W_o"], bs["b_f"], bs["b_i"], bs["b_C"], bs["b_o"])
    return Cell(kind, cw, int(H), D)


# --------------------------------------------------------------------------- traces

@dataclass(frozen=True)
class EncStep(Record):
    j: int
    token: str
    x: Array          # [e] embedding
    hf: Array         # [H] forward state after reading x_j
    hb: Array         # [H] backward state after reading x_j (going right to left)
    h: Array          # [2H] annotation [hf, hb]


@dataclass(frozen=True)
class DecStep(Record):
    i: int
    input_token: str          # y_{i-1} fed to the decoder
    x: Array                  # [e] its embedding
    s_prev: Array             # [H_d]
    scores: Array | None      # [T_in] e_i (None for a fixed context)
    alpha: Array | None       # [T_in]
    context: Array            # [2H] c_i
    gates: dict               # cell internals of this step
    s: Array                  # [H_d]
    logits: Array             # [V_tgt]
    probs: Array              # [V_tgt]
    predicted: str
    p_predicted: float
    target: str | None = None
    p_target: float | None = None
    loss: float | None = None     # -ln p(target)
    top: IntArray | None = None   # [3] indices of the most probable target tokens, most probable first
    attended: int | None = None   # j of the largest alpha_ij (None for a fixed context)


@dataclass(frozen=True)
class Seq2SeqTrace(Record):
    kind: ClassVar[str] = "seq2seq"
    cell: str
    attention: str                # none | bahdanau | luong
    score: str                    # additive (bahdanau) | dot | scaled_dot | general (luong) | none
    decode: str                   # teacher | free
    src_vocab: tuple[str, ...]
    tgt_vocab: tuple[str, ...]
    source: tuple[str, ...]
    target: tuple[str, ...]       # the given target (may be empty when free running)
    predicted: tuple[str, ...]
    source_ids: IntArray
    predicted_ids: IntArray
    encoder: tuple[EncStep, ...]
    annotations: Array            # [T_in, 2H]
    fixed_context: Array          # [2H] C = [hf_T, hb_1]
    s0: Array                     # [H_d]
    s0_rule: str                  # "tanh(C W_init + b_init)" or "C"
    alignment: Array | None       # [T_out, T_in] (None for a fixed context)
    contexts: Array               # [T_out, 2H]
    steps: tuple[DecStep, ...]
    total_loss: float | None
    accuracy: float | None        # share of steps whose prediction equals the target
    shapes: dict | None = None


# --------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class Params:
    kind: str
    src_vocab: tuple[str, ...]
    tgt_vocab: tuple[str, ...]
    E_src: np.ndarray
    E_tgt: np.ndarray
    enc_fwd: Cell
    enc_bwd: Cell
    dec: Cell
    W_init: np.ndarray | None     # None: s_0 = C
    b_init: np.ndarray | None
    W_out: np.ndarray
    b_out: np.ndarray
    score: att.ScoreParams

    @property
    def H(self) -> int:
        return self.enc_fwd.H

    @classmethod
    def from_weights(cls, weights: Mapping[str, Any], *, cell: str, attention: str, score: str) -> "Params":
        """Validate and load a seq2seq weights object (our names or the aliases of :func:`normalise_names`)."""
        return _from_weights(weights, cell, attention, score)


def _vocab(w, name):
    v = w.get(name)
    if not isinstance(v, list) or not v or not all(isinstance(t, str) for t in v):
        raise InputError(f"{name} must be a list of token strings (one per embedding row)")
    if len(set(v)) != len(v):
        raise InputError(f"{name} has repeated tokens")
    return tuple(v)


_PART_ALIASES = {"enc_f.": "enc_fwd.", "enc_b.": "enc_bwd."}
# The GRU candidate is W_n / b_n everywhere in the code; seq2seq weights files written before that
# (the shipped seq2seq presets among them) call it W_h / b_h.
_NAME_ALIASES = {"W_h": "W_n", "b_h": "b_n"}


def _canonical(w: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(weights under our names, our name -> the name given) for the aliases in :func:`normalise_names`."""
    out: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for given, v in w.items():
        k = given
        for a, b in _PART_ALIASES.items():
            if k.startswith(a):
                k = b + k[len(a):]
        part, _, name = k.rpartition(".")
        if part in PARTS and name in _NAME_ALIASES:
            k = f"{part}.{_NAME_ALIASES[name]}"
        if k in out:
            raise InputError(f"{origin[k]} and {given} are the same weight given twice; give only one")
        out[k], origin[k] = v, given
    if "W_o" in out:
        if "W_out" in out:
            raise InputError("W_out and W_o are the same weight given twice (W_o is W_out transposed); give only one")
        out["W_out"] = np.ascontiguousarray(as_array("W_o", out.pop("W_o"), 2).T)   # [V, H_d + 2H] -> [H_d + 2H, V]
        origin["W_out"] = origin.pop("W_o")
    if "b_o" in out:
        if "b_out" in out:
            raise InputError("b_out and b_o are the same weight given twice; give only one")
        out["b_out"], origin["b_out"] = out.pop("b_o"), origin.pop("b_o")
    return out, origin


def weight_names() -> list[str]:
    """Every weight name the engine reads: ours (one file carries every cell kind and every score)
    and the aliases of :func:`normalise_names`."""
    cell = [n for k in CELLS for n in CELL_WEIGHTS[k] + CELL_BIASES[k]] + list(_NAME_ALIASES)
    return list(_TOP) + ["W_o", "b_o"] + [f"{p}.{n}" for p in PARTS + ("enc_f", "enc_b") for n in cell]


def normalise_names(w: Mapping[str, Any]) -> dict[str, Any]:
    """Our names for the aliases this engine reads: the training script's ``enc_f.``/``enc_b.`` prefixes,
    the GRU candidate's older ``W_h``/``b_h``, and an output layer ``W_o`` [V, H_d + 2H] (Linear layout)
    with ``b_o``."""
    return _canonical(w)[0]


def _from_weights(w: Mapping[str, Any], kind: str, attention: str, score: str) -> Params:
    if kind not in CELLS:
        raise InputError(f"--cell is {kind!r}, expected one of {', '.join(CELLS)}")
    check_keys(w, weight_names(), "weight", "seq2seq",
               expected=", ".join(_TOP[:4]) + ", <part>.<cell weight> for part enc_fwd, enc_bwd, dec (cell weights "
               + "; ".join(f"{k}: {', '.join(CELL_WEIGHTS[k] + CELL_BIASES[k])}" for k in CELLS) + "), "
               + ", ".join(_TOP[4:]))
    w, origin = _canonical(w)
    require(w, ["src_vocab", "tgt_vocab", "E_src", "E_tgt", "W_out"], "seq2seq")
    sv, tv = _vocab(w, "src_vocab"), _vocab(w, "tgt_vocab")
    for t in (BOS, EOS):
        if t not in tv:
            raise InputError(f"tgt_vocab must contain {t!r}")
    E_src = as_array("E_src", w["E_src"], 2)
    if E_src.shape[0] != len(sv):
        raise InputError(f"E_src has shape {E_src.shape}, expected ({len(sv)}, e) = (len(src_vocab), embedding)")
    e = E_src.shape[1]
    E_tgt = as_array("E_tgt", w["E_tgt"], 2)
    if E_tgt.shape[0] != len(tv):
        raise InputError(f"E_tgt has shape {E_tgt.shape}, expected ({len(tv)}, e) = (len(tgt_vocab), embedding)")
    e_t = E_tgt.shape[1]
    fwd = _cell(w, "enc_fwd", kind, e, None, origin)
    bwd = _cell(w, "enc_bwd", kind, e, fwd.H, origin)
    H2 = 2 * fwd.H
    dec = _cell(w, "dec", kind, e_t + H2, None, origin)
    if "W_init" in w:
        W_init = as_array("W_init", w["W_init"], 2)
        check_shape("W_init", W_init, (H2, dec.H), "(2 * encoder hidden, decoder hidden)")
        b_init = as_array("b_init", w["b_init"], 1) if "b_init" in w else np.zeros(dec.H)
        check_shape("b_init", b_init, (dec.H,), "(decoder hidden,)")
    else:                                               # s_0 = C itself
        if dec.H != H2:
            raise InputError(f"without W_init the decoder starts from s_0 = C, so its hidden size ({dec.H}) must be "
                             f"2 * encoder hidden ({H2}); give W_init [{H2}, {dec.H}] otherwise")
        W_init, b_init = None, None
    W_out = as_array("W_out", w["W_out"], 2)
    check_shape("W_out", W_out, (dec.H + H2, len(tv)), "(decoder hidden + 2 * encoder hidden, len(tgt_vocab))")
    b_out = as_array("b_out", w["b_out"], 1) if "b_out" in w else np.zeros(len(tv))
    check_shape("b_out", b_out, (len(tv),), "(len(tgt_vocab),)")
    if attention == "bahdanau":
        sp = att.score_params(w, "additive", dec.H, H2)
    elif attention == "luong":
        if score in ("dot", "scaled_dot") and dec.H != H2:
            raise InputError(f"Luong {score} scores need decoder hidden ({dec.H}) = 2 * encoder hidden ({H2}); use --score general")
        sp = att.score_params(w, score, dec.H, H2)
    else:
        sp = att.ScoreParams()
    return Params(kind, sv, tv, E_src, E_tgt, fwd, bwd, dec, W_init, b_init, W_out, b_out, sp)


# --------------------------------------------------------------------------- engine

def encode(p: Params, ids: np.ndarray):
    T = len(ids)
    X = p.E_src[ids]                                     # [T_in] -> [T_in, e]
    H = p.H
    hf, cf = np.zeros(H), np.zeros(H)
    HF, HB = np.zeros((T, H)), np.zeros((T, H))
    for j in range(T):
        hf, cf_new, _ = cell_step(p.enc_fwd, X[j], hf, cf)
        cf = cf_new if cf_new is not None else cf
        HF[j] = hf
    hb, cb = np.zeros(H), np.zeros(H)
    for j in reversed(range(T)):
        hb, cb_new, _ = cell_step(p.enc_bwd, X[j], hb, cb)
        cb = cb_new if cb_new is not None else cb
        HB[j] = hb
    return X, HF, HB, np.concatenate([HF, HB], axis=1)   # annotations [T_in, 2H]


def run(p: Params, source: list[str], target: list[str] | None, *, attention: str = "bahdanau",
        score: str = "additive", decode: str = "teacher", max_len: int | None = None) -> Seq2SeqTrace:
    src_ids = np.array([p.src_vocab.index(t) for t in source], dtype=np.int64)
    X, HF, HB, A = encode(p, src_ids)
    T_in = len(source)
    C = np.concatenate([HF[-1], HB[0]])                  # [2H] last state of each direction
    s = np.tanh(C @ p.W_init + p.b_init) if p.W_init is not None else C.copy()   # [2H] -> [H_d]
    s0 = s.copy()
    c_state = np.zeros(p.dec.H)
    n_steps = len(target) if (target and (decode == "teacher" or max_len is None)) else (max_len or 2 * T_in + 2)
    prev_tok = BOS
    prev_ctx = C
    steps, preds, contexts, aligns = [], [], [], []
    for i in range(n_steps):
        x = p.E_tgt[p.tgt_vocab.index(prev_tok)]         # [e]
        s_prev = s
        e_i = alpha = None
        if attention == "bahdanau":
            e_i = att.raw_scores(s_prev[None, :], A, "additive", p.score)[0][0]     # [1, T_in] -> [T_in]
            alpha = softmax(e_i)
            ctx = alpha @ A                              # [T_in] x [T_in, 2H] -> [2H]
            s, c_new, gates = cell_step(p.dec, np.concatenate([x, ctx]), s_prev, c_state)
        elif attention == "luong":
            s, c_new, gates = cell_step(p.dec, np.concatenate([x, prev_ctx]), s_prev, c_state)
            dots, scale, _ = att.raw_scores(s[None, :], A, score, p.score)
            e_i = dots[0] / scale
            alpha = softmax(e_i)
            ctx = alpha @ A
        else:
            ctx = C
            s, c_new, gates = cell_step(p.dec, np.concatenate([x, ctx]), s_prev, c_state)
        c_state = c_new if c_new is not None else c_state
        logits = np.concatenate([s, ctx]) @ p.W_out + p.b_out   # [H_d + 2H] -> [V_tgt]
        probs = softmax(logits)
        k = int(np.argmax(probs))
        tok = p.tgt_vocab[k]
        tgt = target[i] if target and i < len(target) else None
        pt = float(probs[p.tgt_vocab.index(tgt)]) if tgt is not None else None
        loss = float(-np.log(pt)) if pt is not None and pt > 0 else (float("inf") if pt == 0 else None)
        gates = {k: ro(v) for k, v in gates.items()}
        steps.append(DecStep(i + 1, prev_tok, x, s_prev, e_i, alpha, ctx, gates, s, logits, probs, tok,
                             float(probs[k]), tgt, pt, loss, top=np.argsort(-probs, kind="stable")[:3],
                             attended=None if alpha is None else int(np.argmax(alpha))))
        preds.append(k)
        contexts.append(ctx)
        aligns.append(alpha)
        prev_ctx = ctx
        if decode == "teacher":
            prev_tok = tgt if tgt is not None else tok
        else:
            prev_tok = tok
            if tok == EOS:
                break
    losses = [st.loss for st in steps if st.loss is not None]
    comparable = [st for st in steps if st.target is not None]
    enc = tuple(EncStep(j + 1, source[j], X[j], HF[j], HB[j], A[j]) for j in range(T_in))
    Hd, H2 = p.dec.H, 2 * p.H
    shapes = {"source": [T_in], "embeddings": [T_in, int(X.shape[1])], "annotations": [T_in, H2],
              "fixed_context": [H2], "decoder_state": [Hd], "alignment": [len(steps), T_in],
              "contexts": [len(steps), H2], "logits": [len(p.tgt_vocab)]}
    return Seq2SeqTrace(
        cell=p.kind, attention=attention, score=score if attention != "none" else "none", decode=decode,
        src_vocab=p.src_vocab, tgt_vocab=p.tgt_vocab, source=tuple(source), target=tuple(target or ()),
        predicted=tuple(p.tgt_vocab[k] for k in preds), source_ids=src_ids, predicted_ids=np.array(preds, np.int64),
        encoder=enc, annotations=A, fixed_context=C, s0=s0,
        s0_rule="tanh(C W_init + b_init)" if p.W_init is not None else "C",
        alignment=np.array(aligns) if attention != "none" else None, contexts=np.array(contexts),
        steps=tuple(steps), total_loss=float(sum(losses)) if losses else None,
        accuracy=(sum(st.predicted == st.target for st in comparable) / len(comparable)) if comparable else None,
        shapes=shapes)


def _tokens(name: str, value: Any, vocab: tuple[str, ...]) -> list[str]:
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise InputError(f"{name} must be a list of token strings or a space-separated string")
    for t in value:
        if t not in vocab:
            raise InputError(f"{name} token {t!r} is not in the vocabulary ({', '.join(vocab)})"[:300])
    return list(value)


def build(weights: Mapping[str, Any], inputs: Mapping[str, Any], *, cell: str | None = None,
          attention: str | None = None, score: str | None = None, decode: str | None = None) -> Seq2SeqTrace:
    """Inputs: ``"source"`` (tokens), optional ``"target"`` (tokens ending with </s>), ``"max_len"``."""
    cell = cell or "gru"
    attention = attention or "bahdanau"
    if attention not in ("none", "bahdanau", "luong"):
        raise InputError(f"--attention is {attention!r}, expected none, bahdanau or luong")
    if attention == "bahdanau":
        if score not in (None, "additive"):
            raise InputError(f"Bahdanau attention uses the additive score, got --score {score}")
        score = "additive"
    elif attention == "luong":
        score = score or "dot"
        if score == "additive":
            raise InputError("Luong attention uses dot, scaled_dot or general scores; --score additive is Bahdanau's")
    else:
        score = "none"
    decode = decode or "teacher"
    if decode not in ("teacher", "free"):
        raise InputError(f"--decode is {decode!r}, expected teacher or free")
    check_inputs(inputs, KEYS)
    p = Params.from_weights(weights, cell=cell, attention=attention, score=score)
    if "source" not in inputs:
        raise InputError('seq2seq inputs need "source": ["tok", ...] (and "target" for teacher forcing)')
    src = _tokens("source", inputs["source"], p.src_vocab)
    if not src:
        raise InputError("source is empty; expected at least one token")
    tgt = _tokens("target", inputs["target"], p.tgt_vocab) if inputs.get("target") is not None else None
    if decode == "teacher" and not tgt:
        raise InputError('teacher forcing needs "target" tokens; use --decode free to decode without one')
    max_len = inputs.get("max_len")
    if max_len is not None and (not isinstance(max_len, int) or max_len < 1):
        raise InputError(f"max_len must be a positive integer, got {max_len!r}")
    return run(p, src, tgt, attention=attention, score=score, decode=decode, max_len=max_len)


def random_weights(rng: np.random.Generator, src_vocab, tgt_vocab, *, e: int, H: int, Hd: int, A: int,
                   scale: float = 1.0, digits: int | None = None, attn_scale: float | None = None) -> dict[str, Any]:
    """Weights for every cell kind and every attention mode (one file serves all)."""
    def r(*shape, k=None):
        m = rng.normal(size=shape) * (scale if k is None else k) / np.sqrt(shape[-1])
        return (np.round(m, digits) if digits else m).tolist()

    w: dict[str, Any] = {"src_vocab": list(src_vocab), "tgt_vocab": list(tgt_vocab),
                         "E_src": r(len(src_vocab), e), "E_tgt": r(len(tgt_vocab), e)}
    dims = {"enc_fwd": (H, e), "enc_bwd": (H, e), "dec": (Hd, e + 2 * H)}
    for part, (h, d) in dims.items():
        for kind in CELLS:
            for n in CELL_WEIGHTS[kind]:
                w[f"{part}.{n}"] = r(h, h + d)
            for n in CELL_BIASES[kind]:
                w[f"{part}.{n}"] = (np.round(0.1 * rng.normal(size=h), digits) if digits else 0.1 * rng.normal(size=h)).tolist()
    w.update({"W_init": r(2 * H, Hd), "W_out": r(Hd + 2 * H, len(tgt_vocab)), "b_out": [0.0] * len(tgt_vocab),
              "W_aq": r(Hd, A, k=attn_scale), "W_ak": r(2 * H, A, k=attn_scale), "v_a": r(A, k=attn_scale),
              "W_a": r(Hd, 2 * H, k=attn_scale)})
    return w


def random(rng: np.random.Generator, *, hidden: int, input_size: int, steps: int, cell=None, attention=None,
           score=None, decode=None):
    """A random model over digit tokens: encoder hidden = ``hidden``, decoder hidden = 2 * hidden,
    embedding = ``input_size``; the source is ``steps`` random digits and the target its reverse."""
    src_vocab = [str(d) for d in range(5)]
    tgt_vocab = [BOS, EOS] + src_vocab
    w = random_weights(rng, src_vocab, tgt_vocab, e=input_size, H=hidden, Hd=2 * hidden, A=hidden)
    src = [str(int(d)) for d in rng.integers(0, 5, size=steps)]
    return w, {"source": src, "target": src[::-1] + [EOS]}
