"""Reading weights/inputs files and validating arrays at the public boundary.

Weights file format (also the format of every shipped preset)::

    {
      "model": "lstm",                      # optional: which engine it is for
      "description": "one line",            # optional
      "options": {"variant": "peephole"},   # optional engine options
      "weights": {"W_f": [[...]], ...},     # named arrays (our names, or PyTorch/Keras names)
      "inputs": {"x": [[...], ...], "h0": [...]},  # optional default inputs
      "unit_names": ["s >= 1", ...],       # optional (rnn): what each hidden unit detects
      "decode": "binary-adder"             # optional (rnn): read the bit sequences as integers
    }

plus, in the shipped presets, ``notes`` (where the numbers come from), ``reading`` (how the inputs
are read), ``models`` (more models the preset serves) and ``training`` (how the weights were
trained). These top-level keys are a closed set: any other key is an error naming the closest one.

The two optional view keys (``VIEW_KEYS``) are data about the weights; the engine's ``annotate``
validates them and carries them into the trace, so figures only print them.

A *flat* JSON object of arrays, or an ``.npz`` archive, is read as the ``weights``
part alone (this is what ``torch.save``-then-convert or ``np.savez(**state_dict)`` gives).
PyTorch ``.pt``/``.pth``/``.bin``, ``.safetensors`` and Keras files are read by
:mod:`engines.formats` (as data, never executed); names with module prefixes are mapped there.

Inputs file: ``{"x": [[...], ...]}`` (time-major ``[T, input_size]``) with optional
``"h0"``, ``"c0"`` and model-specific keys; or ``.npy`` (``x`` alone) or ``.npz`` (``x``, ``h0``,
``c0``, ``target`` ...). A batched ``x`` (``[1, T, D]``) is refused: drop the batch axis.


Every engine declares the keys it reads (:class:`ModelKeys`) and rejects any other input key,
weight name or option with :func:`check_keys`: a misspelt key is an error, never ignored.
"""
from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from .errors import InputError

VIEW_KEYS = ("unit_names", "decode")
TOP_LEVEL_KEYS = ("model", "description", "options", "weights", "inputs", "notes", "reading", "models", "training", *VIEW_KEYS)
_FLAT_META = ("model", "description", "options")   # what a flat file of named arrays may carry beside them


@dataclass(frozen=True)
class ModelKeys:
    """The keys one model reads: input keys, option names and weight names. ``weights`` lists the
    names of the default layout; models whose accepted names depend on the layout in use (framework
    names, layers, directions) check them with a function beside their ``Params``."""
    inputs: tuple[str, ...]
    options: tuple[str, ...] = ()
    weights: tuple[str, ...] = ()


def closest(key: str, accepted: Iterable[str]) -> str | None:
    """The accepted name closest to ``key`` (difflib), also trying the last part of a path like
    ``lstm/lstm_cell/kernal:0``; None when nothing is close."""
    names = list(accepted)
    same = [n for n in names if n.lower() == key.lower()]
    if same:                                  # 'W_h' -> 'W_H' before any edit-distance guess
        return same[0]
    for cand in (key, re.sub(r":\d+$", "", key).split("/")[-1]):
        hit = difflib.get_close_matches(cand, names, n=1, cutoff=0.6)
        if hit:
            return hit[0]
    return None


def unknown_key(kind: str, key: str, accepted: Sequence[str], model: str | None = None,
                expected: str | None = None) -> InputError:
    """``unknown input key 'taget' (did you mean 'target'?); expected x, h0, c0, target``."""
    hint = closest(key, accepted)
    return InputError(f"unknown {kind} {key!r}" + (f" for {model}" if model else "")
                      + (f" (did you mean {hint!r}?)" if hint else "")
                      + f"; expected {expected or ', '.join(accepted) or 'none'}")


def check_keys(given: Iterable[str], accepted: Sequence[str], kind: str, model: str | None = None,
               expected: str | None = None, shown: Callable[[str], str] | None = None,
               suggest: Sequence[str] | None = None) -> None:
    """Raise :func:`unknown_key` for the first key of ``given`` not in ``accepted``. ``shown`` maps a
    key to the name the user wrote (e.g. a Keras path renamed before the check); ``suggest`` lists the
    names to suggest from when they differ from ``accepted``."""
    ok = set(accepted)
    for k in given:
        if k not in ok:
            raise unknown_key(kind, shown(k) if shown else k, accepted if suggest is None else suggest, model,
                              expected or (None if suggest is None else ", ".join(accepted)))


def check_inputs(inputs: Any, keys: ModelKeys) -> None:
    """Reject an inputs object with a key the model does not read."""
    if isinstance(inputs, Mapping):
        check_keys(inputs, keys.inputs, "input key")


def check_weights(weights: Any, keys: ModelKeys, model: str) -> None:
    """Reject a weight name that is not among ``keys.weights`` (for models with fixed names)."""
    if isinstance(weights, Mapping):
        check_keys(weights, keys.weights, "weight", model)


@dataclass(frozen=True)
class WeightsDoc:
    weights: dict[str, Any]
    inputs: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def file_sha256(path: str | os.PathLike) -> str:
    import hashlib  # lazy: only diagrams' metadata needs it, and start-up time matters

    if os.path.isdir(path):       # a model folder: its files' names and contents, in name order
        h = hashlib.sha256()
        for name in sorted(os.listdir(path)):
            full = os.path.join(path, name)
            if os.path.isfile(full):
                h.update(name.encode("utf-8") + b"\0" + file_sha256(full).encode("ascii"))
        return h.hexdigest()
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _read_json(path: str | os.PathLike, what: str) -> Any:
    try:
        with open(path, "r", encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise InputError(f"{what} file {os.fspath(path)!r} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{what} file {os.fspath(path)!r} is a directory, expected a .json file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{what} file {os.fspath(path)!r} is not valid JSON ({e.__class__.__name__}: {str(e).splitlines()[0]})") from None
    except OSError as e:
        raise InputError(f"cannot read {what} file {os.fspath(path)!r}: {e.strerror}") from None


def parse_weights_doc(doc: Any, where: str = "weights") -> WeightsDoc:
    """Interpret a parsed JSON object as a weights document (structured or flat)."""
    if not isinstance(doc, dict):
        raise InputError(f"{where} must be a JSON object of named arrays, got {type(doc).__name__}")
    if "weights" in doc:
        for k in doc:
            if k not in TOP_LEVEL_KEYS:
                raise unknown_key(f"key in {where}:", k, TOP_LEVEL_KEYS)
        w = doc["weights"]
        if not isinstance(w, dict):
            raise InputError(f"{where}: 'weights' must be an object of named arrays")
        inputs = doc.get("inputs")
        if inputs is not None and not isinstance(inputs, dict):
            raise InputError(f"{where}: 'inputs' must be an object like {{\"x\": [[...], ...]}}")
        options = doc.get("options") or {}
        if not isinstance(options, dict):
            raise InputError(f"{where}: 'options' must be an object")
        extra = {k: v for k, v in doc.items() if k not in ("model", "description", "options", "weights", "inputs")}
        return WeightsDoc(dict(w), inputs, dict(options), doc.get("model"), doc.get("description", ""), extra)
    structured = [k for k in doc if k in TOP_LEVEL_KEYS and k not in _FLAT_META]
    if structured:
        hint = closest("weights", [k for k in doc if k not in TOP_LEVEL_KEYS])
        raise InputError(f"{where} has {structured[0]!r} but no 'weights'"
                         + (f" (did you mean 'weights' for {hint!r}?)" if hint else "")
                         + "; expected {\"weights\": {...}, \"inputs\": {...}} or a flat object of named arrays")
    options = doc.get("options") or {}
    if not isinstance(options, dict):
        raise InputError(f"{where}: 'options' must be an object")
    flat = {k: v for k, v in doc.items() if k not in _FLAT_META}
    return WeightsDoc(flat, None, dict(options), doc.get("model"), doc.get("description", ""))


def read_weights(path: str | os.PathLike) -> WeightsDoc:
    """Read a weights file of any supported format (chosen by content, see :mod:`engines.formats`).

    A GateLab ``.json``/``.npz`` file for one engine reads exactly as it always has; a checkpoint
    holding modules (a PyTorch ``state_dict`` of a whole network, ``.safetensors``, Keras) gives
    the weights of its one model-driving module, in names the engines accept, with the options
    the file implies (``formats.load_for_model(path, model, module=..., head=...)`` chooses among several).
    """
    from .formats import _read as fr   # lazy: start-up time matters

    p = os.fspath(path)
    kind = fr.detect(p)
    if kind in ("json", "npz"):
        doc = fr.read_gatelab(p, kind)
        if fr.single_module(doc):
            return doc
    return fr.load_for_model(p, None)[0]


def read_inputs(path: str | os.PathLike) -> dict[str, Any]:
    """Inputs from JSON (``{"x": [[...], ...], "h0": ...}``), ``.npy`` (x alone) or ``.npz`` (x, h0, c0, target ...)."""
    p = os.fspath(path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(8)
    except (FileNotFoundError, IsADirectoryError, OSError):
        head = b""
    if head.startswith(b"\x93NUMPY") or head.startswith(b"PK"):
        doc = _read_numpy_inputs(p, npy=head.startswith(b"\x93NUMPY"))
    else:
        doc = _read_json(p, "inputs")
    if not isinstance(doc, dict):
        raise InputError(f"inputs file {p!r} must be a JSON object like {{\"x\": [[...], ...]}}")
    _refuse_batch(doc.get("x"))
    return doc


def _read_numpy_inputs(p: str, *, npy: bool) -> dict[str, Any]:
    try:
        if npy:
            return {"x": np.load(p, allow_pickle=False).tolist()}
        with np.load(p, allow_pickle=False) as z:
            return {k: z[k].tolist() for k in z.files}
    except Exception as e:  # BadZipFile, ValueError (object arrays), EOFError (truncated) ...
        what = ".npy array" if npy else ".npz archive"
        raise InputError(f"inputs file {p!r} is not a readable {what} ({e.__class__.__name__})") from None


def _refuse_batch(x: Any) -> None:
    """A batched tensor (batch-first [1, T, D] or time-major [T, 1, D]) is not one sequence."""
    if x is None:
        return
    try:
        shape = np.shape(np.asarray(x, dtype=np.float64))
    except (TypeError, ValueError):
        return
    if len(shape) >= 3:
        raise InputError(f"x has shape {tuple(shape)}: GateLab takes one sequence, time-major [T, input_size]; "
                         "drop the batch axis")


def as_array(name: str, value: Any, ndim: int | None = None, *, allow_empty: bool = False) -> np.ndarray:
    """``value`` as a float64 array, checked: numeric, finite, rank ``ndim``."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a numeric array (nested lists of numbers), got {_short(value)}") from None
    if ndim is not None and arr.ndim != ndim:
        raise InputError(f"{name} has {arr.ndim} dimension(s) {arr.shape}, expected {ndim}")
    if arr.size == 0 and not allow_empty:
        raise InputError(f"{name} is empty, expected at least one value")
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.any(np.isnan(arr)) else "inf"
        raise InputError(f"{name} contains {bad}; expected finite numbers")
    return arr


def check_shape(name: str, arr: np.ndarray, expected: tuple[int, ...], meaning: str = "") -> None:
    """Raise ``InputError`` naming the tensor, the shape found and the one expected."""
    if tuple(arr.shape) != tuple(expected):
        m = f" = {meaning}" if meaning else ""
        raise InputError(f"{name} has shape {tuple(arr.shape)}, expected {tuple(expected)}{m}")


def require(weights: Mapping[str, Any], names: list[str], layout: str) -> None:
    missing = [n for n in names if n not in weights]
    if missing:
        raise InputError(f"weights for {layout} are missing {', '.join(missing)}; found {', '.join(sorted(weights)) or 'nothing'}")


def sequence(name: str, value: Any, input_size: int | None = None) -> np.ndarray:
    """A time-major input sequence ``[T, input_size]``; a 1-D list is read as T scalar steps."""
    arr = as_array(name, value)
    if arr.ndim == 1:
        arr = arr[:, None]  # [T] -> [T, 1]
    if arr.ndim != 2:
        raise InputError(f"{name} has shape {arr.shape}, expected [T, input_size] (time-major)")
    if input_size is not None and arr.shape[1] != input_size:
        raise InputError(f"{name} has shape {arr.shape}, expected (T, {input_size}) = (steps, input_size)")
    return arr


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def read_trained_preset(path: str, *, needs: tuple[str, ...] = ("weights",)) -> dict:
    """A preset file written by a training script (``--check`` compares with it): JSON with a
    ``weights`` object and the other top-level keys in ``needs``; a one-line error otherwise."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as e:
        raise InputError(f"cannot read {path!r}: {e.strerror}") from None
    except ValueError as e:
        raise InputError(f"{path!r} is not valid JSON ({str(e).splitlines()[0]})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("weights"), dict) or any(k not in doc for k in needs):
        want = " and ".join(f'"{k}"' for k in needs)
        raise InputError(f"{path!r} has no {want}; expected a preset written by this script")
    return doc
