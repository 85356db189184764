"""Trace base: frozen dataclasses of read-only arrays that round-trip through JSON.

Every engine returns a trace built from :class:`Record` dataclasses::

    @dataclass(frozen=True)
    class LSTMStep(Record):
        t: int
        x: Array          # [input]
        f: Array          # [hidden]
        ...

    @dataclass(frozen=True)
    class LSTMTrace(Record):
        kind: ClassVar[str] = "lstm"
        steps: tuple[LSTMStep, ...]

Field annotations drive (de)serialisation: ``Array`` (float64), ``IntArray``,
``BoolArray``, nested ``Record`` types, ``tuple[Record, ...]``, ``X | None`` and
plain JSON values (str, int, float, bool, dict, list). Arrays are copied and made
read-only in ``__post_init__`` so a trace can never be changed after it is made.

JSON form: arrays become nested lists; non-finite floats (masked scores, infinite
KL) become ``null`` and come back as NaN unless a field is restored otherwise.
``to_dict()`` of a top-level trace carries ``schema_version`` and ``kind``.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from typing import Annotated, Any, ClassVar, get_args, get_origin, get_type_hints

import numpy as np

SCHEMA_VERSION = 1

Array = Annotated[np.ndarray, "float64"]
IntArray = Annotated[np.ndarray, "int64"]
BoolArray = Annotated[np.ndarray, "bool"]

_DTYPES = {"float64": np.float64, "int64": np.int64, "bool": np.bool_}


def ro(a: Any, dtype: Any = np.float64) -> np.ndarray:
    """A read-only copy of ``a`` as ``dtype`` (float64 by default)."""
    arr = np.array(a, dtype=dtype, copy=True, order="C")  # C order: results never depend on input layout
    arr.setflags(write=False)
    return arr


def _to_json(v: Any) -> Any:
    if isinstance(v, Record):
        return v.to_dict(top=False)
    if isinstance(v, np.ndarray):
        if v.dtype == np.bool_:
            return v.tolist()
        if np.issubdtype(v.dtype, np.integer):
            return v.tolist()
        return _floats(v.tolist())
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if np.isfinite(f) else None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (tuple, list)):
        return [_to_json(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _to_json(x) for k, x in v.items()}
    return v


def _floats(x: Any) -> Any:
    if isinstance(x, list):
        return [_floats(e) for e in x]
    return x if (x is None or np.isfinite(x)) else None


def _array_dtype(hint: Any) -> Any | None:
    if get_origin(hint) is Annotated:
        base, *meta = get_args(hint)
        if base is np.ndarray:
            return _DTYPES[meta[0]]
    if hint is np.ndarray:
        return np.float64
    return None


def _from_json(hint: Any, v: Any) -> Any:
    dtype = _array_dtype(hint)
    if dtype is not None:
        if v is None:
            return None
        return ro(np.array(v, dtype=np.float64) if dtype is np.float64 else v, dtype)
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if v is None:
            return None
        inner = [a for a in get_args(hint) if a is not type(None)]
        return _from_json(inner[0], v)
    if origin is tuple:
        args = get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_json(args[0], x) for x in v)
        return tuple(_from_json(a, x) for a, x in zip(args, v))
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint.from_dict(v)
    return v


def _freeze(hint: Any, v: Any) -> Any:
    dtype = _array_dtype(hint)
    if dtype is not None:
        return None if v is None else ro(v, dtype)
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if v is None:
            return None
        inner = [a for a in get_args(hint) if a is not type(None)]
        return _freeze(inner[0], v)
    if origin is tuple and isinstance(v, list):
        return tuple(v)
    return v


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls, include_extras=True)


class Record:
    """Mixin for frozen dataclasses: read-only arrays and a JSON round trip."""

    kind: ClassVar[str] = ""

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            object.__setattr__(self, f.name, _freeze(hints[f.name], getattr(self, f.name)))

    def to_dict(self, top: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if top:
            d["schema_version"] = SCHEMA_VERSION
            if self.kind:
                d["kind"] = self.kind
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            d[f.name] = _to_json(getattr(self, f.name))
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]):
        if "schema_version" in d and d["schema_version"] != SCHEMA_VERSION:
            raise ValueError(
                f"trace schema_version {d['schema_version']} is not supported, expected {SCHEMA_VERSION}"
            )
        hints = _hints(cls)
        kwargs = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name in d:
                kwargs[f.name] = _from_json(hints[f.name], d[f.name])
        return cls(**kwargs)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False, allow_nan=False)

    def digest(self) -> str:
        """sha256 of the canonical JSON: identical traces give identical digests."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        import hashlib  # lazy: start-up time of `gatelab compute` matters

        return hashlib.sha256(blob.encode()).hexdigest()
