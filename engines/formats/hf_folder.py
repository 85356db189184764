"""A Hugging Face model folder, read as data: ``config.json`` + ``model.safetensors`` or ``pytorch_model.bin``
(a torch.save file, unpickled without torch and without running anything; or the shards their
``.index.json`` lists), ``tokenizer.json`` (through the ``tokenizers`` library; nothing
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


# weights files of a folder, in the order Hugging Face's from_pretrained looks for them
WEIGHTS = (("model.safetensors", "model.safetensors.index.json"), ("pytorch_model.bin", "pytorch_model.bin.index.json"))


def scan_file(file: str) -> tuple[list, Callable[[str], np.ndarray]]:
    """One weights file's tensor infos and raw loader: safetensors, or a torch.save file (read as data)."""
    if file.endswith(".safetensors"):
        from . import safetensors_
        h = safetensors_.scan(file)
        return h.infos, lambda n: safetensors_.load(h, n)
    from . import torch_zip
    a = torch_zip.scan(file)
    return a.infos, lambda n: torch_zip.load(a, n)


def _weights_files(path: str) -> tuple[dict[str | None, str], dict[str, str]]:
    """The folder's weights files (shard name -> path) and, for shards, the index's tensor -> shard map."""
    for single, index in WEIGHTS:
        if os.path.isfile(os.path.join(path, single)):
            return {None: os.path.join(path, single)}, {}
        index = os.path.join(path, index)
        if os.path.isfile(index):
            idx = _json(index, "shard index")
            wm = idx.get("weight_map") if isinstance(idx, dict) else None
            if not isinstance(wm, dict) or not wm:
                raise InputError(f"shard index {index!r} has no weight_map")
            for f in set(wm.values()):
                if not isinstance(f, str) or os.path.basename(f) != f or not os.path.isfile(os.path.join(path, f)):
                    raise InputError(f"shard {f!r} listed in {index!r} is not a file in the folder")
            return {f: os.path.join(path, f) for f in sorted(set(wm.values()))}, dict(wm)
    found = [f for f in sorted(os.listdir(path)) if f.endswith((".h5", ".msgpack", ".ckpt"))]
    extra = f" (found {found[0]}: TensorFlow/Flax weights are not read; save the PyTorch weights)" if found else ""
    raise InputError(f"model folder {path!r} has no model.safetensors, pytorch_model.bin or their shard "
                     f"index{extra}")


def _tensor_files(path: str) -> tuple[list[str], Callable[[str], np.ndarray], list[str]]:
    """Tensor names, a float64 loader and the files read (single file or the shards of the index)."""
    from ._read import float_loader
    files, where = _weights_files(path)
    scanned = {k: scan_file(f) for k, f in files.items()}
    infos = {t.name: (k, t) for k, (h, _) in scanned.items() for t in h}
    for name, shard in where.items():
        if name not in infos or infos[name][0] != shard:
            raise InputError(f"tensor {name!r} is listed in the shard index under {shard!r} but is not stored there")

    def raw(name: str) -> np.ndarray:
        return scanned[infos[name][0]][1](name)
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
        parts = hf.loader(self.family)(self.config, self.names, self.load, self.path)
        pooler_name = parts.pop("pooler_name", None)         # a classifier's first layer, read as the pooler
        counts = hf.count(self.config, pooler=any(n.endswith("pooler.dense.weight") for n in self.names))
        extra = {"vit": dict(patch_size=k.get("patch_size", 0), image_size=k.get("image_size", (0, 0)),
                             channels=k.get("channels", 0))}.get(self.family, {})
        if "classifier" in parts:
            extra["labels"] = hf.labels(self.config, parts["classifier"][1].size)
        cfg = {"model_type": self.family, "layers": k["layers"], "d_model": k["d_model"], "heads": k["heads"],
               "d_ff": k["d_ff"], "vocab": k["vocab"], "positions": k["positions"], "activation": k["activation"],
               "eps": k["eps"], "parameters": counts["total"], "parameter_parts": counts,
               "architecture": (self.config.get("architectures") or [""])[0]}
        if pooler_name:
            cfg["pooler"] = {"tensor": pooler_name, "activation": parts["pool_act"]}
        elif self.family == "vit" and "pooler" in parts:
            cfg["pooler"] = {"tensor": "pooler.dense", "activation": parts["pool_act"]}
        if k.get("embedding_size", k["d_model"]) != k["d_model"]:      # ELECTRA: narrower embeddings, projected
            cfg["embedding_size"] = k["embedding_size"]
        family = hf.engine_family(self.family)
        return ModelParams(family=family, norm="post-LN" if family == "bert" else "pre-LN", act=k["activation"],
                           eps=k["eps"], heads=k["heads"], d_model=k["d_model"], d_ff=k["d_ff"], vocab=k["vocab"],
                           positions=k["positions"], config=cfg,
                           inverse_layer_scale=bool(self.config.get("scale_attn_by_inverse_layer_idx")),
                           **parts, **extra)

    # ----------------------------------------------------------------- text
    def tokenizer(self):
        """``tokenizer.json``; without it, BERT's ``vocab.txt`` (WordPiece) or GPT-2's ``vocab.json`` + ``merges.txt``
        (byte-level BPE) as the slow tokenizers of older folders read them; None when there is neither."""
        if self._tok is None:
            p = os.path.join(self.path, "tokenizer.json")
            try:
                if os.path.isfile(p):
                    from tokenizers import Tokenizer
                    self._tok = Tokenizer.from_file(p)
                else:
                    p, self._tok = self._vocab_tokenizer()
            except InputError:
                raise
            except Exception as e:  # the library's own parse error
                raise InputError(f"tokenizer {p!r} does not load ({str(e).splitlines()[0][:120]})") from None
        return self._tok

    def _vocab_tokenizer(self):
        vt, vj, merges = (os.path.join(self.path, f) for f in ("vocab.txt", "vocab.json", "merges.txt"))
        if self.family in ("bert", "distilbert") and os.path.isfile(vt):
            from tokenizers.implementations import BertWordPieceTokenizer
            tc = os.path.join(self.path, "tokenizer_config.json")
            lower = _json(tc, "tokenizer config").get("do_lower_case", True) if os.path.isfile(tc) else True
            if not isinstance(lower, bool):
                raise InputError(f"tokenizer config {tc!r}: do_lower_case is {lower!r}, expected true or false")
            return vt, BertWordPieceTokenizer(vt, lowercase=lower)
        if self.family in ("gpt2", "roberta") and os.path.isfile(vj) and os.path.isfile(merges):
            from tokenizers import AddedToken, processors
            from tokenizers.implementations import ByteLevelBPETokenizer
            tok = ByteLevelBPETokenizer(vj, merges)
            specials = ["<|endoftext|>"] if self.family == "gpt2" else ["<s>", "<pad>", "</s>", "<unk>"]
            tok.add_special_tokens([t for t in specials if tok.token_to_id(t) is not None])
            if self.family == "roberta":                 # as RobertaTokenizer: <s> ... </s>; <mask> takes the space before it
                tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True)])
                tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")),
                                                                  ("<s>", tok.token_to_id("<s>")))
            return vj, tok
        return None, None

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
        return {i for s, i in v.items() if s in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<|endoftext|>", "<s>",
                                                  "</s>", "<pad>", "<unk>", "<mask>")}

    def names_of(self) -> Callable[[int], str]:
        inv = {i: s for s, i in (self.vocab() or {}).items()}
        return lambda i: inv.get(i, f"#{i}")

    def token_id(self, token: str) -> int | None:
        return (self.vocab() or {}).get(token)

    def encode(self, text: str) -> tuple[np.ndarray, tuple[str, ...]]:
        tok = self.tokenizer()
        if tok is None:
            raise InputError(f"--text needs {os.path.join(self.path, 'tokenizer.json')!r} (or BERT's vocab.txt, GPT-2's "
                             "vocab.json + merges.txt), which is missing; give --token-ids 3,17,5 (or --tokens a,b,c "
                             "with a vocab.json/vocab.txt)")
        enc = tok.encode(text)
        return np.array(enc.ids, dtype=np.int64), tuple(enc.tokens)

    def encode_pair(self, text: str, pair: str) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
        """A sentence pair through the tokenizer's pair template: ids, tokens and token types (0 then 1)."""
        tok = self.tokenizer()
        if tok is None:
            raise InputError(f"--text-pair needs {os.path.join(self.path, 'tokenizer.json')!r} (or vocab.txt), "
                             "which is missing")
        enc = tok.encode(text, pair)
        return (np.array(enc.ids, dtype=np.int64), tuple(enc.tokens), np.array(enc.type_ids, dtype=np.int64))

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
        if img.mode == "P" or (pc.get("do_convert_rgb") and C == 3 and img.mode != "RGB"):   # as the processor does
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
        pooler = any(n.endswith("pooler.dense.weight") for n in folder.names)
        return WeightsDoc({}, {"config": folder.config, "tensors": _stored_count(folder), "pooler": pooler}, {}, "model-summary",
                          f"{name}: config.json ({folder.family})", {"models": ["model-summary", "transformer"]})
    return WeightsDoc({}, {"model_folder": path}, {}, "transformer", f"{name}: a {folder.family} model folder",
                      {"models": ["transformer", "model-summary"]})


def _stored_count(folder: Folder) -> int:
    return int(sum(int(np.prod(t.shape)) for f in folder.files for t in scan_file(f)[0]))


def open_folder(path: str | os.PathLike) -> Folder:
    from ..transformer_hf import check_config
    p = os.fspath(path)
    cfg = _json(os.path.join(p, "config.json"), "model config")
    if isinstance(cfg, dict) and "model_type" not in cfg:          # an older config: the tensors tell the family
        names, load, files = _tensor_files(p)
        family = check_config(cfg, p, names)
        cfg = {**cfg, "model_type": family}
    else:
        family = check_config(cfg, p)
        names, load, files = _tensor_files(p)
    return Folder(p, cfg, family, names, load, files)
