"""The ``induction-heads`` preset folder: a GPT-2 model folder as ``GPT2LMHeadModel.save_pretrained``
writes it (``config.json``, ``model.safetensors`` with ``transformer.``-prefixed names, the LM head
tied and not stored), a WordLevel ``tokenizer.json`` and ``gatelab-task.json`` (the task: half
length, vocabulary, held-out seed and count, the training configuration, the example input).

Reading is data only: JSON documents and a safetensors file; nothing is executed.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from .errors import InputError

PRESET = "induction-heads"
TASK_FILE = "gatelab-task.json"
FILES = ("config.json", "model.safetensors", "tokenizer.json", TASK_FILE)


def preset_dir() -> Path:
    return Path(__file__).resolve().parent / "presets" / PRESET


def gpt2_config(*, vocab: int, d: int, heads: int, layers: int, positions: int, eps: float = 1e-5) -> dict:
    """A GPT-2 ``config.json`` (the keys ``GPT2Config`` writes; float64 weights, no dropout in use)."""
    return {
        "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.0,
        "bos_token_id": None, "embd_pdrop": 0.0, "eos_token_id": None, "initializer_range": 0.02,
        "layer_norm_epsilon": eps, "model_type": "gpt2", "n_embd": d, "n_head": heads, "n_inner": None,
        "n_layer": layers, "n_positions": positions, "reorder_and_upcast_attn": False, "resid_pdrop": 0.0,
        "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True, "tie_word_embeddings": True,
        "torch_dtype": "float64", "use_cache": False, "vocab_size": vocab,
    }


def tokenizer_json(vocab: list[str]) -> str:
    """A WordLevel tokenizer (whitespace-separated tokens), made with the ``tokenizers`` library."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.WordLevel({t: i for i, t in enumerate(vocab)}, unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return tok.to_str(pretty=True) + "\n"


def write(out: str | os.PathLike, params: Mapping[str, np.ndarray], config: dict, task: dict) -> None:
    """Write the four files into ``out`` (each through a temporary file, then renamed)."""
    from safetensors.numpy import save_file

    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        tensors = {f"transformer.{k}": np.ascontiguousarray(v, dtype=np.float64) for k, v in params.items()}
        tmp = out / "model.safetensors.tmp"
        save_file(tensors, str(tmp), metadata={"format": "pt"})
        os.chmod(tmp, 0o644)
        os.replace(tmp, out / "model.safetensors")
        for name, text in (("config.json", json.dumps(config, indent=2) + "\n"),
                           ("tokenizer.json", tokenizer_json(task["vocab"])),
                           (TASK_FILE, json.dumps(task, indent=2) + "\n")):
            (out / (name + ".tmp")).write_text(text, encoding="utf-8")
            os.replace(out / (name + ".tmp"), out / name)
    except OSError as e:
        raise InputError(f"cannot write {str(out)!r}: {e.strerror}") from None


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise InputError(f"cannot read {str(path)!r}: {e.strerror}") from None
    except ValueError as e:
        raise InputError(f"{str(path)!r} is not valid JSON ({str(e).splitlines()[0]})") from None


def read(folder: str | os.PathLike | None = None) -> tuple[dict[str, np.ndarray], dict, dict]:
    """(weights with the folder's names, config, task) of a folder written by :func:`write`."""
    from safetensors.numpy import load_file

    folder = Path(folder) if folder is not None else preset_dir()
    for name in FILES:
        if not (folder / name).is_file():
            raise InputError(f"{str(folder)!r} has no {name}; expected a folder written by "
                             f"python -m gatelab.engines.induction_train")
    config, task = _json(folder / "config.json"), _json(folder / TASK_FILE)
    if not isinstance(config, dict) or config.get("model_type") != "gpt2":
        raise InputError(f"{str(folder / 'config.json')!r} is not a GPT-2 config; expected model_type 'gpt2'")
    try:
        weights = {k: v.astype(np.float64) for k, v in load_file(str(folder / "model.safetensors")).items()}
    except Exception as e:   # the library raises its own error types for a damaged file
        raise InputError(f"{str(folder / 'model.safetensors')!r} is not a readable safetensors file ({e})") from None
    return weights, config, task


TASK_KEYS = ("task", "half", "vocab", "heldout_seed", "heldout_count", "training", "example", "results")
TRAINING_KEYS = ("vocab", "d_model", "heads", "layers", "positions", "train_halves", "half", "batch", "steps", "lr",
                 "seed", "init_std", "heldout_seed", "heldout_count", "task", "chunk_fraction", "chunk_lengths",
                 "chunk_first")


def check_task(task: Any, where: str, config: Mapping[str, Any]) -> dict:
    """A ``gatelab-task.json`` document checked key by key (strict: an unknown key is an error)."""
    from .io import check_keys

    if not isinstance(task, dict):
        raise InputError(f"{where} must be a JSON object with keys {', '.join(TASK_KEYS[:5])} ...")
    check_keys(task, TASK_KEYS, "key", where)
    missing = [k for k in TASK_KEYS[:6] if k not in task]
    if missing:
        raise InputError(f"{where} has no {missing[0]!r}; expected keys {', '.join(TASK_KEYS[:6])}")
    if task["task"] != "repeat":
        raise InputError(f"{where}: task is {task['task']!r}, expected 'repeat'")
    vocab, V = task["vocab"], int(config.get("vocab_size", -1))
    if not isinstance(vocab, list) or len(vocab) != V or not all(isinstance(t, str) for t in vocab):
        raise InputError(f"{where}: vocab must list the model's {V} tokens as strings")
    pos = int(config.get("n_positions", 0))
    for k, lo, hi in (("half", 2, pos // 2), ("heldout_count", 1, 100_000), ("heldout_seed", 0, 2 ** 63 - 1)):
        v = task[k]
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            raise InputError(f"{where}: {k} is {v!r}, expected an integer in {lo} .. {hi}")
    if task["half"] > V:
        raise InputError(f"{where}: half {task['half']} needs {task['half']} distinct tokens; the vocabulary has {V}")
    tr = task["training"]
    if not isinstance(tr, dict):
        raise InputError(f"{where}: training must be an object (the training configuration)")
    check_keys(tr, TRAINING_KEYS, "training key", where)
    seed = tr.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"{where}: training.seed is {seed!r}, expected a non-negative integer")
    std = tr.get("init_std", 0.02)
    if not isinstance(std, (int, float)) or isinstance(std, bool) or not (np.isfinite(std) and std > 0):
        raise InputError(f"{where}: training.init_std is {std!r}, expected a positive number")
    return task


def folder_scores(path: str, names: list[str], load: Callable[[str], np.ndarray],
                  config: Mapping[str, Any]) -> tuple[dict, dict] | None:
    """(scores, head_labels) of a GPT-2 folder that carries a ``gatelab-task.json`` (None without one):
    :func:`engines.induction.evaluate` on the task's held-out sequences, the labels by its thresholds."""
    from . import induction as I

    f = Path(path) / TASK_FILE
    if not f.is_file():
        return None
    task = check_task(_json(f), repr(str(f)), config)
    scores = I.evaluate({n: load(n) for n in names}, config, task)
    return scores, I.head_labels(scores)
