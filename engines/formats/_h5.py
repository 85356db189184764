"""An HDF5 file as a tree of plain data: groups, their attributes and float arrays.

Only what is stored in the file itself is read: soft and external links, external storage and
virtual datasets (all of which point at other files or paths) are refused, so reading a file
never opens another one. ``h5py`` is imported here, lazily, so GateLab starts without it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

from ..errors import InputError, ToolMissing

MAX_DEPTH = 16
MAX_NODES = 100_000
_FLOAT_KINDS = "f"


@dataclass
class Var:
    """One dataset: its value as float64 (None when not a float array), shape and stored dtype."""
    key: str
    shape: tuple[int, ...]
    dtype: str
    value: np.ndarray | None
    offset: int | None            # byte offset of its data in the file: the order it was written


@dataclass
class Node:
    """One group: its attributes, its datasets and its sub-groups, in the file's key order."""
    key: str
    path: str
    attrs: dict[str, Any] = field(default_factory=dict)
    datasets: dict[str, Var] = field(default_factory=dict)
    groups: dict[str, "Node"] = field(default_factory=dict)

    def first_offset(self) -> int | None:
        """Smallest data offset in this subtree: the position this group's data was written at."""
        offs = [v.offset for v in self.datasets.values() if v.offset is not None]
        offs += [o for o in (g.first_offset() for g in self.groups.values()) if o is not None]
        return min(offs) if offs else None

    def walk(self):
        """Every dataset below this group as (path relative to it, Var)."""
        for k in sorted(self.datasets, key=lambda s: (0, int(s), "") if s.isdigit() else (1, 0, s)):
            yield k, self.datasets[k]
        for k, g in self.groups.items():
            for sub, v in g.walk():
                yield f"{k}/{sub}", v


def h5py_module():
    try:
        import h5py
    except ImportError:
        raise ToolMissing("reading Keras .keras/.weights.h5 files needs h5py; pip install h5py") from None
    return h5py


def _attr(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return [_attr(v) for v in value.tolist()] if value.dtype.kind in "OSU" else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_tree(source: str | os.PathLike | BinaryIO, where: str) -> Node:
    """The whole file as a :class:`Node` tree (raises InputError for unreadable or unsafe files)."""
    h5py = h5py_module()
    try:
        fh = h5py.File(source, "r")
    except (OSError, ValueError) as e:
        msg = str(e).splitlines()[0] if str(e) else e.__class__.__name__
        raise InputError(f"{where} is not a readable HDF5 file (truncated or damaged: {msg[:120]})") from None
    counter = [0]
    try:
        with fh:
            return _group(h5py, fh, "", "", where, 0, counter)
    except (OSError, RuntimeError, KeyError, TypeError) as e:
        raise InputError(f"{where} is damaged: cannot read its contents ({e.__class__.__name__}: "
                         f"{str(e).splitlines()[0][:120] if str(e) else ''})") from None


def _group(h5py, g, key: str, path: str, where: str, depth: int, counter: list[int]) -> Node:
    if depth > MAX_DEPTH:
        raise InputError(f"{where}: groups nested deeper than {MAX_DEPTH} levels at {path!r}; not a Keras weights file")
    node = Node(key, path, {str(k): _attr(v) for k, v in g.attrs.items()})
    for k in g.keys():
        counter[0] += 1
        if counter[0] > MAX_NODES:
            raise InputError(f"{where} holds more than {MAX_NODES} groups and datasets; not a Keras weights file")
        sub = f"{path}/{k}" if path else k
        link = g.get(k, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise InputError(f"{where}: {sub!r} is a link to another place or file; refusing to follow it")
        obj = g[k]
        if isinstance(obj, h5py.Group):
            node.groups[k] = _group(h5py, obj, k, sub, where, depth + 1, counter)
        elif isinstance(obj, h5py.Dataset):
            node.datasets[k] = _dataset(obj, k, sub, where)
    return node


def _dataset(d, key: str, path: str, where: str) -> Var:
    if d.is_virtual or d.external:
        raise InputError(f"{where}: dataset {path!r} keeps its data in another file; refusing to read it")
    dtype = str(d.dtype)
    value = None
    if d.dtype.kind in _FLOAT_KINDS:
        raw = d[()]
        value = np.array(raw, dtype=np.float64)
        if not np.all(np.isfinite(value)):
            bad = "NaN" if np.any(np.isnan(value)) else "inf"
            raise InputError(f"{where}: dataset {path!r} contains {bad}; expected finite numbers")
    try:
        offset = d.id.get_offset()
    except Exception:       # compact/chunked storage has no single offset
        offset = None
    return Var(key, tuple(int(s) for s in d.shape), dtype, value, offset)
