"""Reading a whole-Transformer trace (``kind == "transformer-model"``) for the views.

The one place the diagrams and scenes look into that trace: the attention tensor of every layer
and head, the tokens, the named heads, the query the engine resolved from ``--query`` (its
``focus``), and ``--layer/--head`` as 0-based indices with one-line errors. Nothing here computes a
model number; it only selects. Token positions are shown from 0, as ``--query N`` and the engine's
text output count them; layers and heads from 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gatelab.engines.errors import InputError

KIND = "transformer-model"


def is_model(trace: Any) -> bool:
    return getattr(trace, "kind", "") == KIND


def attention(trace: Any) -> np.ndarray:
    """Every layer's and head's attention weights, ``[L, H, T, T]`` (rows: queries, columns: keys)."""
    return np.stack([np.asarray(layer.attention) for layer in trace.layers])


def _byte_level_decoder() -> dict[str, int]:
    """GPT-2's byte-level BPE alphabet: the printable character standing for each byte (``Ġ`` for a space)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = {}, 0
    for b in range(256):
        if b in keep:
            chars[chr(b)] = b
        else:
            chars[chr(256 + extra)] = b
            extra += 1
    return chars


_BYTE_LEVEL = _byte_level_decoder()


def _readable(token: str) -> str:
    """A byte-level BPE token as text (``Ġdog`` -> ``dog``, ``Ã©`` -> ``é``); a token of spaces or newlines
    shows as ``␣`` / ``↵``; special tokens and tokens outside that alphabet are left as they are."""
    if not token or token.startswith("<") or any(ch not in _BYTE_LEVEL for ch in token):
        return token
    text = bytes(_BYTE_LEVEL[ch] for ch in token).decode("utf-8", "replace")
    return text.strip() or text.replace(" ", "␣").replace("\n", "↵")


def tokens(trace: Any) -> list[str]:
    """The tokens as the views print them: byte-level BPE (GPT-2, RoBERTa) decoded to text."""
    toks = [str(t) for t in trace.tokens]
    if (getattr(trace, "config", None) or {}).get("model_type") in ("gpt2", "roberta"):
        return [_readable(t) for t in toks]
    return toks


def special(trace: Any) -> list[bool]:
    sp = getattr(trace, "special", None)
    return [bool(s) for s in sp] if sp is not None else [False] * len(trace.tokens)


def head_labels(trace: Any) -> dict[tuple[int, int], str]:
    """``{(layer, head): name}`` 0-based, from the trace's ``head_labels`` (``{"L1H2": "previous token"}``)."""
    out: dict[tuple[int, int], str] = {}
    for key, name in (getattr(trace, "head_labels", None) or {}).items():
        k = str(key).upper()
        if k.startswith("L") and "H" in k:
            lay, head = k[1:].split("H", 1)
            if lay.isdigit() and head.isdigit():
                out[(int(lay) - 1, int(head) - 1)] = str(name)
    return out


def _index(value: Any, n: int, flag: str, what: str) -> int:
    try:
        i = int(value)
    except (TypeError, ValueError):
        raise InputError(f"{flag} must be a whole number, got {value!r}; expected 1..{n}") from None
    if not 1 <= i <= n:
        raise InputError(f"{flag} {i} is out of range: the model has {what} 1..{n}")
    return i - 1


def layer_index(trace: Any, value: Any) -> int:
    return _index(value, len(trace.layers), "--layer", "layers")


def head_index(trace: Any, value: Any) -> int:
    return _index(value, attention_shape(trace)[1], "--head", "heads")


def attention_shape(trace: Any) -> tuple[int, int, int, int]:
    first = np.asarray(trace.layers[0].attention)
    return (len(trace.layers), *first.shape)      # (L, H, T, T)


def query_index(computed: Any) -> int | None:
    """The query position chosen with ``--query`` (resolved by the engine into ``trace.focus``), or None
    when the user gave no ``--query``. Positions count from 0, as the engine and ``--query N`` do."""
    if (getattr(computed, "options", None) or {}).get("query") is None:
        return None
    focus = getattr(computed.trace, "focus", None) or {}
    return int(focus["query"]) if "query" in focus else None


def chosen_head(computed: Any) -> tuple[int, int] | None:
    """(layer, head), 0-based, of ``--layer/--head`` as the engine checked them (``trace.focus``), or None."""
    opts = getattr(computed, "options", None) or {}
    focus = getattr(computed.trace, "focus", None) or {}
    if opts.get("layer") is None and opts.get("head") is None or "layer" not in focus:
        return None
    return int(focus["layer"]) - 1, int(focus["head"]) - 1


def source_name(computed: Any) -> str:
    """The preset, or the weights folder's name, for a figure's subtitle."""
    import os
    prov = getattr(computed, "provenance", {}) or {}
    if prov.get("preset"):
        return f"preset {prov['preset']}"
    if prov.get("weights"):
        return f"weights {os.path.basename(os.path.normpath(str(prov['weights'])))}"
    return ""


@dataclass(frozen=True)
class HeadView:
    weights: np.ndarray            # [T, T] one head's attention weights, as in the trace


@dataclass(frozen=True)
class LayerView:
    """One layer of a whole-model trace in the shape the self-attention figure draws (a multi-head trace):
    its heads' weights and the masks the model applied (causal for GPT-2, the padding keys)."""
    heads: tuple[HeadView, ...]
    mask: np.ndarray
    causal_mask: np.ndarray
    padding_mask: np.ndarray
    tokens: tuple[str, ...]
    key_tokens: tuple[str, ...]
    layer: int                     # 1-based
    kind: str = "multihead"


def layer_view(trace: Any, layer: int) -> LayerView:
    """``layer`` is 0-based; the masks are the model's own (GPT-2 and an encoder-decoder's decoder layers: causal;
    ``padding`` keys)."""
    A = np.asarray(trace.layers[layer].attention)                       # [H, T, T]
    T = A.shape[-1]
    causal = (np.triu(np.ones((T, T), dtype=bool), 1) if trace.family in ("gpt2", "encoder-decoder")   # decoders
              else np.zeros((T, T), dtype=bool))
    pad = np.asarray(getattr(trace, "padding", np.zeros(T, dtype=bool)), dtype=bool)
    padding = np.broadcast_to(pad[None, :], (T, T)).copy()
    toks = tuple(tokens(trace))
    return LayerView(tuple(HeadView(a) for a in A), causal | padding, causal, padding, toks, toks, layer + 1)


def display_image(image: Any) -> np.ndarray:
    """A ViT trace's normalised pixels [C, H, W] as display colours [H, W, 3] in [0, 1]: each channel min-max
    scaled (a display mapping, said on the figures; the model saw the normalised values)."""
    img = np.asarray(image, dtype=float)
    lo = img.min(axis=(1, 2), keepdims=True)
    span = img.max(axis=(1, 2), keepdims=True) - lo
    img = (img - lo) / np.where(span > 0, span, 1.0)
    if img.shape[0] == 1:
        img = np.repeat(img, 3, axis=0)
    return np.transpose(img[:3], (1, 2, 0))


def hex_colour(rgb: Any) -> str:
    r, g, b = (int(round(255 * min(max(float(v), 0.0), 1.0))) for v in rgb)
    return f"#{r:02X}{g:02X}{b:02X}"
