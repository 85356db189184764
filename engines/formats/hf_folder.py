"""A Hugging Face model folder, read as data: ``config.json`` + ``model.safetensors`` (or shards listed
in ``model.safetensors.index.json``), ``tokenizer.json`` (through the ``tokenizers`` library; nothing
is executed) and, for images, ``preprocessor_config.json``. Nothing is downloaded.

    folder = open_folder("path/to/model")          # config checked, tensor headers read
    params = folder.params()                        # engines.transformer_model.ModelParams
    ids, tokens, special = folder.encode("The cat sat.")
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..errors import InputError


def is_folder(path: str | os.PathLike) -> bool:
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, "config.json"))


def _json(path: str, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{what} {path!r} is not valid JSON ({e.__class__.__name__})") from None
    except OSError as e:
        raise InputError(f"cannot read {what} {path!r}: {e.strerror}") from None


def _tensor_files(path: str) -> tuple[list[str], Callable[[str], np.ndarray], list[str]]:
    """Tensor names, a float64 loader and the files read (single file or the shards of the index)."""
    from . import safetensors_
    from ._read import float_loader
    single = os.path.join(path, "model.safetensors")
    index = os.path.join(path, "model.safetensors.index.json")
    if os.path.isfile(single):
        files = {None: single}
        where: dict[str, str] = {}
    elif os.path.isfile(index):
        idx = _json(index, "shard index")
        wm = idx.get("weight_map") if isinstance(idx, dict) else None
        if not isinstance(wm, dict) or not wm:
            raise InputError(f"shard index {index!r} has no weight_map")
        for f in set(wm.values()):
            if not isinstance(f, str) or os.path.basename(f) != f or not os.path.isfile(os.path.join(path, f)):
                raise InputError(f"shard {f!r} listed in {index!r} is not a file in the folder")
        files = {f: os.path.join(path, f) for f in set(wm.values())}
        where = dict(wm)
    else:
        found = [f for f in os.listdir(path) if f.endswith((".bin", ".pt", ".h5", ".msgpack"))]
        extra = f" (found {found[0]}: save with safe_serialization)" if found else ""
        raise InputError(f"model folder {path!r} has no model.safetensors or model.safetensors.index.json{extra}")
    headers = {k: safetensors_.scan(f) for k, f in files.items()}
    infos = {t.name: (k, t) for k, h in headers.items() for t in h.infos}
    for name, shard in where.items():
        if name not in infos or infos[name][0] != shard:
            raise InputError(f"tensor {name!r} is listed in the shard index under {shard!r} but is not stored there")

    def raw(name: str) -> np.ndarray:
        return safetensors_.load(headers[infos[name][0]], name)
    loader = float_loader(path, raw, {n: t.dtype for n, (_, t) in infos.items()})
    return list(infos), loader, list(files.values())


@dataclass
class Folder:
    path: str
    config: dict
    family: str
    names: list[str]
    load: Callable[[str], np.ndarray]
    files: list[str]
    _tok: Any = field(default=None, repr=False)

    # ----------------------------------------------------------------- weights
    def params(self):
        from .. import transformer_hf as hf
        from ..transformer_model import ModelParams
        k = hf.dims(self.config)
        parts = getattr(hf, self.family)(self.config, self.names, self.load, self.path)
        counts = hf.count(self.config, pooler="pooler" in parts)
        extra = {"vit": dict(patch_size=k.get("patch_size", 0), image_size=k.get("image_size", (0, 0)),
                             channels=k.get("channels", 0))}.get(self.family, {})
        if "classifier" in parts:
            extra["labels"] = hf.labels(self.config, parts["classifier"][1].size)
        cfg = {"model_type": self.family, "layers": k["layers"], "d_model": k["d_model"], "heads": k["heads"],
               "d_ff": k["d_ff"], "vocab": k["vocab"], "positions": k["positions"], "activation": k["activation"],
               "eps": k["eps"], "parameters": counts["total"], "parameter_parts": counts,
               "architecture": (self.config.get("architectures") or [""])[0]}
        return ModelParams(family=self.family, norm="post-LN" if self.family == "bert" else "pre-LN", act=k["activation"],
                           eps=k["eps"], heads=k["heads"], d_model=k["d_model"], d_ff=k["d_ff"], vocab=k["vocab"],
                           positions=k["positions"], config=cfg,
                           inverse_layer_scale=bool(self.config.get("scale_attn_by_inverse_layer_idx")),
                           **parts, **extra)

    # ----------------------------------------------------------------- text
    def tokenizer(self):
        if self._tok is None:
            p = os.path.join(self.path, "tokenizer.json")
            if not os.path.isfile(p):
                return None
            from tokenizers import Tokenizer
            try:
                self._tok = Tokenizer.from_file(p)
            except Exception as e:  # the library's own parse error
                raise InputError(f"tokenizer {p!r} does not load ({str(e).splitlines()[0][:120]})") from None
        return self._tok

    def vocab(self) -> dict[str, int] | None:
        tok = self.tokenizer()
        if tok is not None:
            return tok.get_vocab(with_added_tokens=True)
        vj, vt = os.path.join(self.path, "vocab.json"), os.path.join(self.path, "vocab.txt")
        if os.path.isfile(vj):
            v = _json(vj, "vocabulary")
            return {str(k): int(i) for k, i in v.items()} if isinstance(v, dict) else None
        if os.path.isfile(vt):
            with open(vt, encoding="utf-8") as fh:
                return {line.rstrip("\n"): i for i, line in enumerate(fh)}
        return None

    def specials(self) -> set[int]:
        tok = self.tokenizer()
        if tok is not None:
            return {i for i, t in tok.get_added_tokens_decoder().items() if t.special}
        v = self.vocab() or {}
        return {i for s, i in v.items() if s in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<|endoftext|>")}

    def names_of(self) -> Callable[[int], str]:
        inv = {i: s for s, i in (self.vocab() or {}).items()}
        return lambda i: inv.get(i, f"#{i}")

    def token_id(self, token: str) -> int | None:
        return (self.vocab() or {}).get(token)

    def encode(self, text: str) -> tuple[np.ndarray, tuple[str, ...]]:
        tok = self.tokenizer()
        if tok is None:
            raise InputError(f"--text needs {os.path.join(self.path, 'tokenizer.json')!r}, which is missing; "
                             "give --token-ids 3,17,5 (or --tokens a,b,c with a vocab.json/vocab.txt)")
        enc = tok.encode(text)
        return np.array(enc.ids, dtype=np.int64), tuple(enc.tokens)

    def from_tokens(self, tokens: list[str]) -> np.ndarray:
        v = self.vocab()
        if v is None:
            raise InputError(f"--tokens needs the model's vocabulary (tokenizer.json, vocab.json or vocab.txt in "
                             f"{self.path!r}); give --token-ids instead")
        for t in tokens:
            if t not in v:
                import difflib
                hint = difflib.get_close_matches(t, list(v), n=1, cutoff=0.6)
                raise InputError(f"token {t!r} is not in the model's vocabulary" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
        return np.array([v[t] for t in tokens], dtype=np.int64)

    # ----------------------------------------------------------------- images
    def image(self, file: str) -> np.ndarray:
        """[C, H, W] float64: resized, rescaled and normalised as preprocessor_config.json says."""
        from PIL import Image, UnidentifiedImageError
        pc_path = os.path.join(self.path, "preprocessor_config.json")
        pc = _json(pc_path, "preprocessor config") if os.path.isfile(pc_path) else {}
        try:
            img = Image.open(file)
            img.load()
        except FileNotFoundError:
            raise InputError(f"image {file!r} does not exist") from None
        except (UnidentifiedImageError, OSError) as e:
            raise InputError(f"image {file!r} is not a readable image ({e.__class__.__name__})") from None
        C = int(self.config.get("num_channels", 3))
        bands = len(img.getbands())
        if img.mode == "P":
            img, bands = img.convert("RGB"), 3
        if bands != C:
            raise InputError(f"image {file!r} has {bands} channel{'s' if bands != 1 else ''} (mode {img.mode}); "
                             f"the model expects {C} (num_channels)")
        size = pc.get("size", {})
        side = self.config.get("image_size", 224)
        h = size.get("height", side) if isinstance(size, dict) else side
        w = size.get("width", side) if isinstance(size, dict) else side
        if pc.get("do_resize", True) and img.size != (w, h):
            img = img.resize((w, h), resample=int(pc.get("resample", 2)))
        x = np.asarray(img, dtype=np.float64)
        x = x[:, :, None] if x.ndim == 2 else x                      # [H, W] -> [H, W, 1]
        if pc.get("do_rescale", True):
            x = x * float(pc.get("rescale_factor", 1 / 255))
        if pc.get("do_normalize", True):
            x = (x - np.asarray(pc.get("image_mean", [0.5] * C))) / np.asarray(pc.get("image_std", [0.5] * C))
        return np.ascontiguousarray(x.transpose(2, 0, 1))            # [H, W, C] -> [C, H, W]


def weights_doc(path: str, model: str | None):
    """What the registry reads for ``--weights DIR``: the transformer model with the folder as its input,
    or, for ``model-summary``, the config.json to count from (checked like any model folder)."""
    from ..io import WeightsDoc
    folder = open_folder(path)
    name = os.path.basename(os.path.normpath(path))
    if model == "model-summary":
        return WeightsDoc({}, {"config": folder.config, "tensors": _stored_count(folder)}, {}, "model-summary",
                          f"{name}: config.json ({folder.family})", {"models": ["model-summary", "transformer"]})
    return WeightsDoc({}, {"model_folder": path}, {}, "transformer", f"{name}: a {folder.family} model folder",
                      {"models": ["transformer", "model-summary"]})


def _stored_count(folder: Folder) -> int:
    from . import safetensors_
    return int(sum(int(np.prod(t.shape)) for f in folder.files for t in safetensors_.scan(f).infos))


def open_folder(path: str | os.PathLike) -> Folder:
    from ..transformer_hf import check_config
    p = os.fspath(path)
    cfg = _json(os.path.join(p, "config.json"), "model config")
    family = check_config(cfg, p)
    names, load, files = _tensor_files(p)
    return Folder(p, cfg, family, names, load, files)
