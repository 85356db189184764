"""Choosing a reader by a file's CONTENT, and the two entry points built on it.

``detect(path)`` looks at the first bytes (and a zip's member names), never at the extension
alone: a zip with ``<name>/data.pkl`` is PyTorch, a zip with ``config.json`` and
``model.weights.h5`` a Keras ``.keras`` archive, a zip of ``.npy`` members an ``.npz``; the HDF5
signature is a Keras ``.weights.h5``; an 8-byte header length then ``{`` is safetensors; a JSON
object is GateLab JSON. The extension only sharpens the error for a damaged file.
"""
from __future__ import annotations

import os
import zipfile
from typing import Any, Callable

import numpy as np

from ..errors import InputError
from . import Checkpoint, Module, TensorInfo
from . import modules as M

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
KNOWN = "a PyTorch state_dict, safetensors, Keras, .npz or GateLab JSON file"


def _unknown(path: str) -> InputError:
    return InputError(f"weights file {path!r} is not {KNOWN}")


def detect(path: str) -> str:
    """'torch' | 'safetensors' | 'keras' | 'keras-weights-h5' | 'npz' | 'json', or a one-line InputError."""
    if not os.path.exists(path):
        raise InputError(f"weights file {path!r} does not exist")
    if os.path.isdir(path):
        raise InputError(f"weights file {path!r} is a directory without config.json: model folders (Hugging Face) "
                         "hold config.json and model.safetensors; otherwise give one file (.pt, .safetensors, .keras, "
                         ".weights.h5, .npz or .json)")
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as e:
        raise InputError(f"cannot read weights file {path!r}: {e.strerror}") from None
    ext = os.path.splitext(path)[1].lower()
    if head[:2] == b"PK":
        return _zip_kind(path, ext)
    if head.startswith(HDF5_MAGIC):
        return "keras-weights-h5"
    from . import safetensors_, torch_zip
    if torch_zip.is_legacy(head):
        return "torch"
    if safetensors_.looks_like(head, size):
        return "safetensors"
    if not head.strip():
        _empty(path)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[") or ext == ".json":
        return "json"                        # a .json file that does not parse gets the JSON parser's message
    if ext == ".npz":
        return "npz"
    if head.startswith(b"\x93NUMPY"):
        raise InputError(f"weights file {path!r} is a single .npy array; weights need names: save an .npz "
                         "(np.savez(path, **named_arrays))")
    if ext == ".safetensors":
        safetensors_.scan(path)              # raises the precise reason (truncated header ...)
    if head[:1] == b"\x80" or ext in (".pt", ".pth", ".bin", ".ckpt"):
        raise InputError(f"weights file {path!r} is not a readable PyTorch file: not a torch.save zip archive "
                         f"(truncated or corrupt?); expected {KNOWN}")
    raise _unknown(path)


def _empty(path: str) -> str:
    raise InputError(f"weights file {path!r} is empty; expected {KNOWN}")


def _zip_kind(path: str, ext: str) -> str:
    from . import torch_zip
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        what = {".pt": "PyTorch", ".pth": "PyTorch", ".bin": "PyTorch", ".keras": "Keras .keras",
                ".npz": ".npz"}.get(ext, "zip")
        raise InputError(f"weights file {path!r} is a damaged {what} archive (truncated?); expected {KNOWN}") from None
    if torch_zip.is_torch_zip(names):
        return "torch"
    if "config.json" in names and "model.weights.h5" in names:
        return "keras"
    if names and all(n.endswith(".npy") for n in names):
        return "npz"
    raise InputError(f"weights file {path!r} is a zip archive but not {KNOWN} (members: {', '.join(names[:4])}"
                     f"{' ...' if len(names) > 4 else ''})")


# --------------------------------------------------------------------------- reading

def read(path: str | os.PathLike, *, data: bool = True) -> Checkpoint:
    """The checkpoint at ``path``: its tensors and the modules found in it. With ``data=False``
    nothing but headers is read (safetensors, PyTorch); ``Checkpoint.loader`` reads on demand."""
    p = os.fspath(path)
    kind = detect(p)
    if kind in ("keras", "keras-weights-h5"):
        return _keras(p, kind)
    if kind in ("json", "npz"):
        return _read_small(p, kind)
    infos, raw, meta = _stored(p, kind)
    loader = float_loader(p, raw, {t.name: t.dtype for t in infos})
    return assemble(p, kind, infos, loader, meta, data=data)


def assemble(path: str, fmt: str, infos: list[TensorInfo], loader: Callable[[str], np.ndarray],
             meta: dict[str, Any], *, data: bool) -> Checkpoint:
    by_name = {t.name: t for t in infos}
    found = M.find(by_name) or M.ours(by_name)
    mods = []
    for f in found:
        params = {local: loader(full) for local, full in f.names.items()} if data else {}
        mods.append(Module(f.name, f.kind, f.framework, params, f.config, f.models,
                           tuple(by_name[n] for n in f.names.values())))
    return Checkpoint(path, fmt, tuple(infos), tuple(mods), meta, loader)


def _stored(path: str, kind: str) -> tuple[list[TensorInfo], Callable[[str], np.ndarray], dict[str, Any]]:
    if kind == "safetensors":
        from . import safetensors_
        h = safetensors_.scan(path)
        return h.infos, lambda n: safetensors_.load(h, n), {"metadata": h.metadata} if h.metadata else {}
    from . import torch_zip
    a = torch_zip.scan(path)
    return a.infos, lambda n: torch_zip.load(a, n), {"pickle": a.kind, **a.meta}


def float_loader(path: str, raw: Callable[[str], np.ndarray], dtypes: dict[str, str]) -> Callable[[str], np.ndarray]:
    """Float tensors as float64 (exact widening), each checked finite and named when not."""
    def load(name: str) -> np.ndarray:
        if name not in dtypes:
            raise InputError(f"no tensor {name!r} in {path!r}")
        a = raw(name)
        if a.dtype.kind != "f":
            return a
        if not np.isfinite(a).all():         # checked before widening (exact, so finiteness is the same): half the memory
            bad = "NaN" if np.any(np.isnan(a)) else "inf"
            raise InputError(f"tensor {name!r} in {path!r} contains {bad} (stored as {dtypes[name]}); expected finite numbers")
        return a.astype(np.float64)
    return load


def _keras(path: str, kind: str) -> Checkpoint:
    try:
        from . import keras
    except ImportError:
        raise InputError(f"weights file {path!r} is a Keras file; Keras files are not supported in this build") from None
    return keras.read_keras(path) if kind == "keras" else keras.read_weights_h5(path)


def _read_small(path: str, kind: str) -> Checkpoint:
    """GateLab JSON / .npz: every array read (they are small). A file for one engine is one module
    (as ``load_for_model`` reads it); names with module prefixes are found as in any state_dict."""
    doc = read_gatelab(path, kind)
    arrays: dict[str, np.ndarray] = {}
    for k, v in doc.weights.items():
        try:
            arrays[k] = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError):
            continue                                  # per-head lists, GAN settings ...: not tensors
    infos = [TensorInfo(k, tuple(a.shape), "float64" if kind == "json" else str(np.asarray(doc.weights[k]).dtype))
             for k, a in arrays.items()]
    loader = float_loader(path, arrays.__getitem__, {t.name: t.dtype for t in infos})
    meta = {"model": doc.model, "description": doc.description, "options": dict(doc.options),
            "inputs": doc.inputs is not None, "single": single_module(doc)}
    ck = assemble(path, kind, infos, loader, meta, data=True)
    if meta["single"]:
        top = next((m for m in ck.modules if "part_of" not in m.config), None)
        models = (doc.model,) if doc.model else (top.models if top else ())
        kind_name = top.kind if top is not None and top.framework != "gatelab" else f"GateLab {models[0] if models else 'weights'}"
        cfg = {**(top.config if top else {}), **doc.options}
        mod = Module("", kind_name, top.framework if top else "gatelab", arrays, cfg, models, tuple(infos))
        ck = Checkpoint(path, kind, ck.tensors, (mod,), meta, loader)
    return ck


def read_gatelab(path: str, kind: str):
    """A GateLab JSON or .npz file exactly as ``engines.io`` has always read it (a WeightsDoc)."""
    from .. import io
    if kind == "npz":
        try:
            with np.load(path, allow_pickle=False) as z:
                return io.WeightsDoc({k: np.array(z[k]) for k in z.files})
        except Exception as e:  # zipfile.BadZipFile, ValueError (pickled object arrays) ...
            raise InputError(f"weights file {path!r} is not a readable .npz archive ({e.__class__.__name__})") from None
    return io.parse_weights_doc(io._read_json(path, "weights"), where=f"weights file {path!r}")


def single_module(doc) -> bool:
    """A JSON/.npz file for one engine, named as the engines expect (no module prefixes)."""
    infos = {}
    for k, v in doc.weights.items():
        try:
            infos[k] = TensorInfo(k, tuple(np.shape(np.asarray(v, dtype=np.float64))), "float64")
        except (TypeError, ValueError):
            continue
    found = M.find(infos)
    tops = {f.name for f in found if "part_of" not in f.config}
    return not found or (tops == {""} and not any(f.kind in M.HEAD_KINDS for f in found if f.name))


def load_for_model(path: str | os.PathLike, model: str | None, *, module: str | None = None,
                   head: str | None = None):
    """``(WeightsDoc, note)`` for ``model`` from any weights file: what the registry calls.

    A GateLab JSON/.npz file for one engine comes back exactly as ``engines.io`` reads it (note
    ``""``); a checkpoint with modules goes through :func:`select` (only the chosen tensors are read).
    ``model=None`` takes the file's one model-driving module.
    """
    from .. import io
    p = os.fspath(path)
    from . import hf_folder
    if hf_folder.is_folder(p):
        if module is not None or head is not None:
            raise InputError("--module/--head-module choose inside a checkpoint file; a model folder is one model")
        return hf_folder.weights_doc(p, model), ""
    kind = detect(p)
    if kind in ("json", "npz"):
        doc = read_gatelab(p, kind)
        if single_module(doc):
            if module is not None or head is not None:
                raise InputError(f"--module/--head-module choose inside a checkpoint with several modules; {p!r} holds "
                                 "one set of GateLab weights")
            return doc, ""
    ckpt = read(p, data=False)
    from . import select as select_any   # dispatches Keras files to the Keras layer chooser
    sel = select_any(ckpt, model, module=module, head=head)
    chosen = next((m for m in ckpt.modules if m.name == sel.module), None)   # None: the whole model (model-summary)
    models = list(chosen.models) if chosen is not None else [model]
    inputs = ckpt.meta.get("summary") if model == "model-summary" else None   # a .keras file's architecture
    extra = {"models": models, "module": sel.module, "head": sel.head, "note": sel.note}
    if chosen is not None and (model or models[0]) in ("rnn", "lstm", "gru"):
        found = embedding(ckpt, chosen)
        if found is not None:                      # inputs may then be token ids: x_t = E[id_t]
            extra.update(embedding=found[0], embedding_matrix=found[1])
    doc = io.WeightsDoc(sel.weights, inputs, sel.options, model or models[0],
                        f"{os.path.basename(p)}: {sel.note}", extra)
    return doc, sel.note


def embedding_source(ckpt: Checkpoint, chosen) -> tuple[Any, str, tuple[int, ...]] | None:
    """The checkpoint's one embedding table for ``chosen``'s input, from the stored shapes alone: (module,
    its tensor's local name, [V, D]). An ``nn.Embedding`` (stored like an ``nn.Linear`` without bias) or a
    ``keras.Embedding`` whose width D is the recurrent module's input size; None when there is none, or several."""
    D = chosen.config.get("input_size")
    found = []
    for m in ckpt.modules:
        if m is chosen:
            continue
        if m.kind == "nn.Linear" and not m.config.get("bias") and m.config.get("in_features") == D:
            local = "weight"
        elif m.kind == "keras.Embedding":
            local = "embeddings"
        else:
            continue
        named = [t for t in m.tensors if t.name.rsplit(".", 1)[-1].rsplit("/", 1)[-1] == local]
        stored = named or (list(m.tensors) if len(m.tensors) == 1 else [])   # Keras stores .../vars/0
        shape = tuple(m.params[local].shape) if local in m.params else tuple(stored[0].shape) if stored else None
        if shape is not None and len(shape) == 2 and shape[1] == D:
            found.append((m, local, shape))
    return found[0] if len(found) == 1 else None


def embedding(ckpt: Checkpoint, chosen) -> tuple[str, Any] | None:
    """(name, [V, D] matrix) of :func:`embedding_source`, read from the file; None when there is no one table."""
    from ._choose import _weight
    src = embedding_source(ckpt, chosen)
    return None if src is None else (src[0].name, _weight(ckpt, src[0], src[1]))
