"""``.safetensors`` files: an 8-byte little-endian header length, a JSON header naming each
tensor's dtype, shape and byte range, then the raw little-endian bytes.

Nothing is executed and nothing is read until it is asked for: :func:`scan` parses the header
only (``gatelab inspect`` on a 500 MB file reads a few kilobytes), :func:`load` reads one tensor.
Float tensors become float64 exactly: float16 through numpy, bfloat16 decoded from its raw 16
bits (the top half of a float32), since numpy has no bfloat16. Reading goes through the
``safetensors`` package (which validates the file again, memory-mapped) for every dtype numpy
knows; no framework is needed.
"""
from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from ..errors import InputError
from . import TensorInfo

# safetensors dtype -> (our name, item size in bytes)
DTYPES: dict[str, tuple[str, int]] = {
    "F64": ("float64", 8), "F32": ("float32", 4), "F16": ("float16", 2), "BF16": ("bfloat16", 2),
    "I64": ("int64", 8), "I32": ("int32", 4), "I16": ("int16", 2), "I8": ("int8", 1),
    "U64": ("uint64", 8), "U32": ("uint32", 4), "U16": ("uint16", 2), "U8": ("uint8", 1),
    "BOOL": ("bool", 1), "F8_E4M3": ("float8_e4m3", 1), "F8_E5M2": ("float8_e5m2", 1),
}
_MAX_HEADER = 100 * 1024 * 1024     # the library's own limit


class Header:
    """The parsed header: tensors in file order, their byte ranges, the data's start."""

    def __init__(self, path: str, infos: list[TensorInfo], ranges: dict[str, tuple[int, int]],
                 data_start: int, metadata: dict[str, str]) -> None:
        self.path, self.infos, self.ranges, self.data_start, self.metadata = path, infos, ranges, data_start, metadata


def _bad(path: str, why: str) -> InputError:
    return InputError(f"weights file {path!r} is not a valid safetensors file: {why}")


def looks_like(head: bytes, size: int) -> bool:
    """The first bytes of a safetensors file: a header length that fits the file, then '{'."""
    if len(head) < 9:
        return False
    n = int.from_bytes(head[:8], "little")
    return 2 <= n <= size - 8 and head[8:9] == b"{"


def scan(path: str) -> Header:
    """Parse and check the header without reading any tensor data."""
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        n = int.from_bytes(fh.read(8), "little")
        if size < 8 or n > size - 8 or n > _MAX_HEADER:
            raise _bad(path, f"the header claims {n} bytes but the file has {max(size - 8, 0)} after its 8-byte length (truncated?)")
        raw = fh.read(n)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _bad(path, f"its JSON header does not parse ({e.__class__.__name__})") from None
    if not isinstance(doc, dict):
        raise _bad(path, "its header is not a JSON object")
    meta = doc.pop("__metadata__", None) or {}
    if not isinstance(meta, dict):
        raise _bad(path, "__metadata__ is not an object")
    data_len = size - 8 - n
    infos: list[TensorInfo] = []
    ranges: dict[str, tuple[int, int]] = {}
    for name, entry in doc.items():
        infos.append(_entry(path, name, entry, data_len, ranges))
    spans = sorted(ranges.values())
    for (_, e0), (b1, _) in zip(spans, spans[1:]):
        if b1 < e0:
            raise _bad(path, "two tensors' byte ranges overlap")
    return Header(path, infos, ranges, 8 + n, {str(k): str(v) for k, v in meta.items()})


def _entry(path: str, name: str, entry: Any, data_len: int, ranges: dict) -> TensorInfo:
    if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= set(entry):
        raise _bad(path, f"tensor {name!r} lacks dtype/shape/data_offsets")
    dt, shape, offs = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dt not in DTYPES:
        raise _bad(path, f"tensor {name!r} has unknown dtype {dt!r}")
    if (not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)
            or not isinstance(offs, list) or len(offs) != 2 or not all(isinstance(o, int) for o in offs)):
        raise _bad(path, f"tensor {name!r} has a malformed shape or data_offsets")
    begin, end = offs
    numel = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if not 0 <= begin <= end <= data_len:
        raise _bad(path, f"tensor {name!r} lies outside the file's {data_len} data bytes (truncated?)")
    if end - begin != numel * DTYPES[dt][1]:
        raise _bad(path, f"tensor {name!r} has {end - begin} bytes, expected {numel * DTYPES[dt][1]} for {dt} {tuple(shape)}")
    ranges[name] = (begin, end)
    return TensorInfo(name, tuple(shape), DTYPES[dt][0])


def load(header: Header, name: str) -> np.ndarray:
    """One tensor as stored (bfloat16 already widened to float32, exactly); see :func:`.to_float64`."""
    info = next(t for t in header.infos if t.name == name)
    if info.dtype.startswith("float8"):
        raise InputError(f"tensor {name!r} in {header.path!r} is {info.dtype}, which GateLab does not read; "
                         "save it as float32, float16 or bfloat16")
    if info.dtype == "bfloat16":
        begin, end = header.ranges[name]
        with open(header.path, "rb") as fh:
            fh.seek(header.data_start + begin)
            raw = fh.read(end - begin)
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16    # bfloat16 = top 16 bits of a float32
        return bits.view("<f4").reshape(info.shape)
    from safetensors import safe_open   # validates the file again and memory-maps it

    try:
        with safe_open(header.path, framework="numpy") as f:
            return np.asarray(f.get_tensor(name))
    except Exception as e:  # SafetensorError on a file changed since it was scanned
        raise _bad(header.path, f"{e.__class__.__name__} reading {name!r}") from None
