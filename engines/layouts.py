"""Framework weight layouts: how PyTorch and Keras name the weights of our recurrent engines.

Nothing here does model maths: it renames, splits and checks shapes. Each engine's
``Params.from_weights`` detects the layout (:func:`detect`) and reads it with these helpers; the
names a layout may carry are listed by :func:`recurrent_names` (used to reject misspelt keys).

Our layout (colah notation): one matrix per gate acting on the concatenation
``[h_{t-1}, x_t]`` (h first), ``W_<gate>`` of shape ``[H, H + D]`` and ``b_<gate>`` ``[H]``.
Layer ``k`` and the backward direction are named with suffixes, exactly as PyTorch does:
``W_f`` (= ``W_f_l0``), ``W_f_l1``, ``W_f_l0_reverse`` (= ``W_f_reverse``), ``W_f_l1_reverse``.

PyTorch (``nn.LSTM`` / ``nn.GRU`` ``state_dict``): ``weight_ih_l{k}[_reverse]`` ``[G*H, D_k]``,
``weight_hh_l{k}[_reverse]`` ``[G*H, H]``, ``bias_ih_l{k}[_reverse]`` and ``bias_hh_l{k}[_reverse]``
``[G*H]`` with the gates stacked along the rows (LSTM ``i, f, g, o``; GRU ``r, z, n``).

Keras (``LSTM`` / ``GRU`` layer weights): ``kernel`` ``[D, G*H]``, ``recurrent_kernel`` ``[H, G*H]``,
``bias`` ``[G*H]`` (GRU ``reset_after=True``: ``[2, G*H]``, row 0 input bias, row 1 recurrent bias),
gates stacked along the columns (LSTM ``i, f, c, o``; GRU ``z, r, h``). Stacked/bidirectional
Keras weights use our suffixes (``kernel_l1``, ``kernel_reverse``), or the names Keras saves:

- ``lstm/lstm_cell/kernel:0`` (one layer) -> ``kernel``;
- several recurrent layers (``lstm/...``, ``lstm_1/...``, ``lstm_2/...``) are layers 0, 1, 2 in the
  order of the number Keras appends to the layer name (no number = 0), so ``lstm_1, lstm_2`` of a
  second model built in the same session still read as layers 0, 1;
- ``Bidirectional``: ``bidirectional/forward_lstm/lstm_cell/kernel`` -> ``kernel``,
  ``bidirectional/backward_lstm/lstm_cell/kernel`` -> ``kernel_reverse`` (``_l1`` ... for later layers);
- a single ``Dense`` layer after them (``dense/kernel``, ``dense/bias``: a group without
  ``recurrent_kernel``) -> ``dense_kernel``, ``dense_bias``.

Other prefixes in the path (``model_weights/``, ``sequential/``) are ignored.

The GRU's candidate weight is ``W_n``/``b_n`` in every engine; ``W_h``/``b_h`` (the older seq2seq
files) and ``W``/``b`` are read as the same weight. The LSTM's candidate is ``W_g`` in the code,
read from colah's ``W_C`` (or ``W_c``, ``W_g``).
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Any, Mapping, Sequence

import numpy as np

from .errors import InputError
from .io import as_array, check_keys, check_shape, unknown_key

_KERAS_BASE = ("kernel", "recurrent_kernel", "bias")


def suffix(layer: int, reverse: bool) -> str:
    """PyTorch-style suffix: ``_l0``, ``_l1_reverse``."""
    return f"_l{layer}" + ("_reverse" if reverse else "")


def run_label(layer: int, reverse: bool) -> str:
    return f"layer {layer} {'backward' if reverse else 'forward'}"


def mode(values: list[int], prefer: int | None = None) -> int:
    """The most common value (ties go to ``prefer`` if it is among the tied, else the first)."""
    counts = Counter(values)
    best = max(counts.values())
    tied = [v for v in values if counts[v] == best]
    if prefer is not None and prefer in tied:
        return prefer
    return tied[0]


_DIRECTION = re.compile(r"(forward|backward)_\w+")


def _layer_number(layer: str) -> int:
    """The number Keras appends to a layer name (``lstm_2`` -> 2; ``lstm`` -> 0)."""
    m = re.search(r"_(\d+)$", layer.split("/")[-1]) if layer else None
    return int(m.group(1)) if m else 0


def normalise_keras_names(weights: Mapping[str, Any]) -> dict[str, Any]:
    """Keras names as saved -> ``kernel``, ``kernel_l1``, ``kernel_reverse``, ``dense_kernel`` ...
    (see the module docstring); names that are not Keras tensors are unchanged."""
    return keras_names(weights)[0]


def keras_names(weights: Mapping[str, Any], model: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """:func:`normalise_keras_names` and, for each new name, the name as saved. A saved path whose last
    part is not a Keras tensor (``lstm/lstm_cell/recurent_kernel:0``) is an error naming the closest."""
    plain: list[tuple[str, str, Any]] = []                   # (original, new name, value)
    grouped: dict[str, list[tuple[str, str | None, str, Any]]] = {}   # layer -> (original, direction, base, value)
    for k, v in weights.items():
        path = re.sub(r":\d+$", "", k).split("/")
        base = path[-1]
        if len(path) > 1 and base in _KERAS_BASE:
            parts = path[:-1]
            cut = next((i for i, q in enumerate(parts) if _DIRECTION.fullmatch(q) or "cell" in q), len(parts))
            direction = next((q.split("_")[0] for q in parts if _DIRECTION.fullmatch(q)), None)
            grouped.setdefault("/".join(parts[:cut]), []).append((k, direction, base, v))
        elif len(path) > 1:
            raise unknown_key("weight", k, _KERAS_BASE, model,
                              "Keras tensors kernel, recurrent_kernel, bias under their layer's path")
        elif base in _KERAS_BASE or re.fullmatch(r"(kernel|recurrent_kernel|bias)(_l\d+)?(_reverse)?", base):
            plain.append((k, base, v))
        else:
            plain.append((k, k, v))
    recurrent = [g for g, ts in grouped.items() if any(t[2] == "recurrent_kernel" for t in ts)]
    dense = [g for g in grouped if g not in recurrent]
    if len(dense) > 1:
        raise InputError(f"Keras weights hold {len(dense)} layers without recurrent_kernel ({', '.join(dense)}); "
                         "give at most one Dense output layer")
    order = sorted(recurrent, key=lambda g: (_layer_number(g), recurrent.index(g)))
    bidir = {g: any(t[1] is not None for t in grouped[g]) for g in order}
    if len(set(bidir.values())) > 1:
        raise InputError("Keras weights mix Bidirectional and one-directional recurrent layers "
                         f"({', '.join(order)}); every layer must be bidirectional or none")
    for layer, g in enumerate(order):
        for k, direction, base, v in grouped[g]:
            rev = direction == "backward"
            plain.append((k, base + (("_reverse" if rev else "") if layer == 0 else suffix(layer, rev)), v))
    for g in dense:
        plain += [(k, "dense_" + base, v) for k, _, base, v in grouped[g] if base != "recurrent_kernel"]
    out: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for k, name, v in plain:
        if name in out:
            raise InputError(f"weights name {k!r} clashes with {origin[name]!r}: both are read as {name!r}")
        out[name], origin[name] = v, k
    return out, origin


def detect(weights: Mapping[str, Any]) -> str:
    """'torch', 'keras' or 'ours' from the weight names."""
    keys = list(weights)
    if any(k.startswith("weight_ih_l") or k.startswith("weight_hh_l") for k in keys):
        return "torch"
    if any(re.fullmatch(r"(kernel|recurrent_kernel)(_l\d+)?(_reverse)?", re.sub(r":\d+$", "", k).split("/")[-1]) for k in keys):
        return "keras"
    return "ours"


def display_suffix(layer: int, reverse: bool) -> str:
    """Suffix used in messages: none for layer 0 forward (``W_f``), else ``_l1``, ``_l0_reverse``."""
    return "" if (layer == 0 and not reverse) else suffix(layer, reverse)


def get_ours(weights: Mapping[str, Any], bases: tuple[str, ...], layer: int, reverse: bool) -> tuple[str, Any] | None:
    """Find a weight by any of its base names (``W_C`` or ``W_g``) for a layer/direction."""
    found = []
    for base in bases:
        cands = [base + suffix(layer, reverse)]
        if layer == 0:
            cands.append(base + ("_reverse" if reverse else ""))
        found += [c for c in cands if c in weights]
    if len(found) > 1:
        raise InputError(f"{' and '.join(found)} are the same weight given twice; give only one")
    return (found[0], weights[found[0]]) if found else None


def count_runs(weights: Mapping[str, Any], layout: str) -> tuple[int, bool]:
    """(layers, bidirectional) present in the weights, from their names."""
    keys = list(weights)
    if layout == "torch":
        pat = re.compile(r"weight_ih_l(\d+)(_reverse)?$")
    elif layout == "keras":
        pat = re.compile(r"kernel(?:_l(\d+))?(_reverse)?$")
    else:
        pat = re.compile(r"[Ww](?:_(?!l\d|reverse$)[A-Za-z]+?)?(?:_l(\d+))?(_reverse)?$")
    layers = 0
    bidir = False
    for k in keys:
        if layout == "keras" and k.startswith("recurrent_kernel"):
            continue
        m = pat.match(k)
        if m:
            layers = max(layers, int(m.group(1) or 0) + 1)
            bidir = bidir or bool(m.group(2))
    return max(layers, 1), bidir


def split_rows(name: str, a: np.ndarray, gates: int, hidden: int, width: int | None, meaning: str) -> list[np.ndarray]:
    """Split ``[G*H, width]`` (or ``[G*H]``) along rows into G blocks, checking the shape."""
    exp = (gates * hidden,) if width is None else (gates * hidden, width)
    if tuple(a.shape) != exp:
        raise InputError(f"{name} has shape {tuple(a.shape)}, expected {exp} = {meaning}")
    return [a[j * hidden:(j + 1) * hidden] for j in range(gates)]


def split_cols(name: str, a: np.ndarray, gates: int, hidden: int, rows: int, meaning: str) -> list[np.ndarray]:
    """Split ``[rows, G*H]`` along columns into G blocks ``[rows, H]``, checking the shape."""
    exp = (rows, gates * hidden)
    if tuple(a.shape) != exp:
        raise InputError(f"{name} has shape {tuple(a.shape)}, expected {exp} = {meaning}")
    return [a[:, j * hidden:(j + 1) * hidden] for j in range(gates)]


def infer_hidden(weights: Mapping[str, Any], gates: int, layout: str) -> int:
    """Hidden size from layer-0 framework weights: the most common reading among the tensors,
    so that a single wrong tensor is the one named in the error."""
    cands: list[int] = []
    prefer = None

    def shape(name: str) -> tuple[int, ...] | None:
        if name not in weights:
            return None
        try:
            return tuple(np.shape(np.asarray(weights[name], dtype=np.float64)))
        except (TypeError, ValueError):
            return None
    if layout == "torch":
        hh, ih = shape("weight_hh_l0"), shape("weight_ih_l0")
        if hh is not None and len(hh) == 2:
            cands.append(hh[1])
            prefer = hh[1]
            if hh[0] % gates == 0:
                cands.append(hh[0] // gates)
        if ih is not None and len(ih) == 2 and ih[0] % gates == 0:
            cands.append(ih[0] // gates)
        for b in ("bias_ih_l0", "bias_hh_l0"):
            bs = shape(b)
            if bs is not None and len(bs) == 1 and bs[0] % gates == 0:
                cands.append(bs[0] // gates)
    else:
        rk = shape("recurrent_kernel") or shape("recurrent_kernel_l0")
        k = shape("kernel") or shape("kernel_l0")
        if rk is not None and len(rk) == 2:
            cands.append(rk[0])
            prefer = rk[0]
            if rk[1] % gates == 0:
                cands.append(rk[1] // gates)
        if k is not None and len(k) == 2 and k[1] % gates == 0:
            cands.append(k[1] // gates)
        bs = shape("bias") or shape("bias_l0")
        if bs is not None and bs[-1] % gates == 0:
            cands.append(bs[-1] // gates)
    if not cands:
        raise InputError(f"cannot read the hidden size from the {layout} weights; found {', '.join(sorted(weights))}")
    return mode(cands, prefer=prefer)


# --------------------------------------------------------------------------- per-layer loaders (LSTM, GRU)

def ours_cell(weights: Mapping[str, Any], w_names: Mapping[str, tuple[str, ...]], b_names: Mapping[str, tuple[str, ...]],
              gates: Sequence[str], k: int, rev: int, H: int, D: int, dirs: int, n_layers: int, bidir: bool,
              model: str) -> dict[str, np.ndarray]:
    """W_<g> [H, H + D_k] and b_<g> [H] of layer ``k`` (backward if ``rev``) under our names."""
    d_in = D if k == 0 else H * dirs
    c: dict[str, np.ndarray] = {}
    for g in gates:
        for kind, table, shape, meaning in (
                ("W", w_names, (H, H + d_in), "(hidden, hidden + input)" if k == 0 else f"(hidden, hidden + {dirs}*hidden)"),
                ("b", b_names, (H,), "(hidden,)")):
            got = get_ours(weights, table[g], k, bool(rev))
            if got is None:
                names = " or ".join(b + suffix(k, bool(rev)) for b in table[g])
                raise InputError(f"{model} weights for {run_label(k, bool(rev))} are missing {names} "
                                 f"(layers={n_layers}, bidirectional={bidir}); found {', '.join(sorted(weights))}")
            a = as_array(got[0], got[1], len(shape))
            check_shape(got[0], a, shape, meaning)
            c[f"{kind}_{g}"] = a
    return c


def torch_mats(weights: Mapping[str, Any], k: int, rev: int, n_gates: int, H: int, D: int, dirs: int,
               n_layers: int, bidir: bool, model: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """weight_ih / weight_hh of layer ``k`` split into ``n_gates`` row blocks: [H, D_k] and [H, H]."""
    sfx = suffix(k, bool(rev))
    d_in = D if k == 0 else H * dirs
    for n in ("weight_ih", "weight_hh"):
        if n + sfx not in weights:
            raise InputError(f"PyTorch {model} weights for {run_label(k, bool(rev))} are missing {n + sfx} "
                             f"(layers={n_layers}, bidirectional={bidir}); found {', '.join(sorted(weights))}")
    G = n_gates
    wih = split_rows("weight_ih" + sfx, as_array("weight_ih" + sfx, weights["weight_ih" + sfx], 2), G, H, d_in,
                       f"({G}*hidden, input_size)" if k == 0 else f"({G}*hidden, {dirs}*hidden)")
    whh = split_rows("weight_hh" + sfx, as_array("weight_hh" + sfx, weights["weight_hh" + sfx], 2), G, H, H,
                       f"({G}*hidden, hidden)")
    return wih, whh


def keras_mats(weights: Mapping[str, Any], k: int, rev: int, n_gates: int, H: int, D: int, dirs: int,
               model: str) -> tuple[list[np.ndarray], list[np.ndarray], str]:
    """kernel / recurrent_kernel of layer ``k`` split into ``n_gates`` column blocks ([D_k, H], [H, H]),
    and the name of its bias ("" if none)."""
    d_in = D if k == 0 else H * dirs

    def name(base: str) -> str:
        for cand in (base + suffix(k, bool(rev)),) + ((base + ("_reverse" if rev else ""),) if k == 0 else ()):
            if cand in weights:
                return cand
        return ""
    nk, nr, nb = name("kernel"), name("recurrent_kernel"), name("bias")
    if not nk or not nr:
        raise InputError(f"Keras {model} weights for {run_label(k, bool(rev))} are missing "
                         f"{'kernel' if not nk else 'recurrent_kernel'}{suffix(k, bool(rev))}; found {', '.join(sorted(weights))}")
    G = n_gates
    ker = split_cols(nk, as_array(nk, weights[nk], 2), G, H, d_in,
                       f"(input_size, {G}*units)" if k == 0 else f"({dirs}*units, {G}*units)")
    rec = split_cols(nr, as_array(nr, weights[nr], 2), G, H, H, f"(units, {G}*units)")
    return ker, rec, nb


# --------------------------------------------------------------------------- accepted names

def recurrent_names(layout: str, bases: Sequence[str], n_layers: int, bidir: bool) -> list[str]:
    """Every name ``bases`` take in a layout for ``n_layers`` x directions runs: ``W_f``, ``W_f_l0``,
    ``W_f_reverse``, ``W_f_l1_reverse`` ... (PyTorch always writes ``_l<k>``)."""
    names = []
    for k in range(n_layers):
        for rev in range(2 if bidir else 1):
            forms = [suffix(k, bool(rev))]
            if k == 0 and layout != "torch":
                forms.append("_reverse" if rev else "")
            names += [b + f for b in bases for f in forms]
    return names


def check_recurrent_names(weights: Mapping[str, Any], accepted: Sequence[str], model: str, layout: str,
                          n_layers: int, bidir: bool, shown: Mapping[str, str] | None = None,
                          listed: Sequence[str] = ()) -> None:
    """Reject a weight name the layout does not carry (a misspelt one, or one of a layer or direction
    that the run does not have), naming the closest accepted name."""
    runs = f"layers={n_layers}, bidirectional={bidir}"
    what = ", ".join(listed) if listed else ", ".join(accepted)
    sfx = "; suffixes _l<k> and _reverse name the other layers and directions" if (n_layers > 1 or bidir) else ""
    check_keys(weights, accepted, "weight", model, f"{what} ({layout} names, {runs}){sfx}",
               shown=(lambda k: shown.get(k, k)) if shown else None)
