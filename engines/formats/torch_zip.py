"""PyTorch ``torch.save`` files (``.pt``/``.pth``/``.bin``) read as data, without torch.

A ``torch.save(model.state_dict(), path)`` file (torch >= 1.6) is a zip: ``<name>/data.pkl`` is a
pickle of the (ordered) dict whose tensors point at raw storages ``<name>/data/<key>``. Older
files (``_use_new_zipfile_serialization=False``) are a row of pickles followed by the storages.

The pickle is read by a *restricted* unpickler: ``find_class`` hands out only our own stand-ins
for the few names a state_dict needs (``torch._utils._rebuild_tensor_v2``, ``_rebuild_parameter``,
``collections.OrderedDict``, the ``torch.*Storage`` types and dtypes). Any other import
(``os.system``, ``builtins.eval``, ``subprocess.Popen``, a model class) stops the read before it
runs, with one line, except the metadata classes training checkpoints keep beside the weights
(``argparse.Namespace``, numpy scalars, paths, Lightning's and OmegaConf's objects in a ``.ckpt``):
those are never imported either, but read as inert placeholders (a numpy scalar's number is
decoded as data), so a training checkpoint's ``state_dict`` is usable as it is; a whole pickled model (``torch.save(model)``) is told to save
``model.state_dict()`` instead. Storages are never read while scanning: a tensor is
``(storage, offset, shape, stride)`` until :func:`load` reads its bytes, so views (a transposed
or sliced tensor) come out exactly as torch would give them.
"""
from __future__ import annotations

import io
import pickle
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from . import TensorInfo

# torch storage class / dtype name -> (our dtype name, numpy dtype code, item size)
_STORAGES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16", "BFloat16Storage": "bfloat16",
    "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16", "CharStorage": "int8",
    "ByteStorage": "uint8", "BoolStorage": "bool",
}
_DTYPE_NAMES = {"float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
                "float16": "float16", "half": "float16", "bfloat16": "bfloat16", "int64": "int64", "long": "int64",
                "int32": "int32", "int": "int32", "int16": "int16", "int8": "int8", "uint8": "uint8", "bool": "bool"}
NUMPY = {"float32": "f4", "float64": "f8", "float16": "f2", "bfloat16": "u2", "int64": "i8", "int32": "i4",
         "int16": "i2", "int8": "i1", "uint8": "u1", "bool": "?"}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class Refused(InputError):
    """The pickle asked for something a state_dict never needs; nothing was run."""


@dataclass(frozen=True)
class _Kind:
    """A storage type or dtype named by the pickle (``torch.FloatStorage``, ``torch.float32``)."""
    dtype: str


@dataclass(frozen=True)
class _Storage:
    key: str
    dtype: str
    numel: int


class _Tensor:
    """A tensor not yet read: a view (offset, shape, stride in elements) of a storage."""
    __slots__ = ("storage", "offset", "shape", "stride")

    def __init__(self, storage: _Storage, offset: int, shape: tuple[int, ...], stride: tuple[int, ...]) -> None:
        object.__setattr__(self, "storage", storage)
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "stride", stride)

    def __setattr__(self, *_: Any) -> None:       # a pickle BUILD on a tensor is refused
        raise TypeError("tensors are read-only")


class _Dict(dict):
    """``collections.OrderedDict`` as the pickle builds it (plain dict order is insertion order)."""


def _ints(v: Any, what: str) -> tuple[int, ...]:
    if not isinstance(v, tuple) or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in v):
        raise TypeError(f"{what} is not a tuple of non-negative integers")
    return v


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    if not isinstance(storage, _Storage) or not isinstance(offset, int) or offset < 0:
        raise TypeError("a tensor must view a storage at a non-negative offset")
    shape, stride = _ints(size, "size"), _ints(stride, "stride")
    if len(shape) != len(stride):
        raise TypeError("size and stride differ in length")
    if all(shape):
        last = offset + sum((n - 1) * s for n, s in zip(shape, stride))
        if last >= storage.numel:
            raise TypeError(f"a view reaches element {last} of a storage of {storage.numel}")
    return _Tensor(storage, offset, shape, stride)


def _rebuild_tensor(storage, offset, size, stride):
    return _rebuild_tensor_v2(storage, offset, size, stride)


def _rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype, metadata=None):
    return _rebuild_tensor_v2(storage, offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, hooks=None, state=None):
    if not isinstance(data, _Tensor):
        raise TypeError("a parameter must wrap a tensor")
    return data


def _latin1_bytes(text, encoding="latin1"):
    """Protocol 2 writes bytes as ``_codecs.encode(text, "latin1")``: only that is done here."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise TypeError("_codecs.encode is read only as protocol 2's bytes (text, 'latin1')")
    return text.encode("latin1")


_ALLOWED = {
    ("_codecs", "encode"): _latin1_bytes,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("collections", "OrderedDict"): _Dict,
}


# What training checkpoints keep beside the weights (hyper-parameters, counters, numpy scalars, paths, the
# Lightning and OmegaConf objects a ``.ckpt`` holds): named by the pickle, never imported; read as
# :class:`_Opaque` placeholders that only record what the pickle hands them.
_METADATA = {("argparse", "Namespace"), ("numpy", "dtype"), ("numpy", "ndarray"),
             ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
             ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
             ("pathlib", "PosixPath"), ("pathlib", "WindowsPath"), ("pathlib", "PurePosixPath"),
             ("pathlib", "PureWindowsPath"), ("torch.torch_version", "TorchVersion"), ("torch", "Size"),
             ("datetime", "datetime"), ("datetime", "date"), ("datetime", "timedelta")}
_METADATA_PACKAGES = ("lightning.", "pytorch_lightning.", "lightning_fabric.", "omegaconf.")


class _Opaque:
    """An object of a metadata class the pickle names (:data:`_METADATA`): nothing of that class is imported
    or run; the placeholder keeps the arguments, state and items the pickle gives it."""
    qualname = ""

    def __new__(cls, *args: Any, **kwargs: Any) -> _Opaque:
        obj = object.__new__(cls)
        obj.args, obj.state, obj.items = args, None, []
        return obj

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __setitem__(self, key: Any, value: Any) -> None:
        self.items.append((key, value))

    def append(self, value: Any) -> None:
        self.items.append(value)

    def extend(self, values: Any) -> None:
        self.items.extend(values)

    def fields(self) -> dict | None:
        """A dict-like object's items (Lightning's AttributeDict) or an object's attributes (``Namespace``)."""
        if self.items and all(isinstance(i, tuple) and len(i) == 2 and isinstance(i[0], str) for i in self.items):
            return dict(self.items)
        if isinstance(self.state, dict) and all(isinstance(k, str) for k in self.state):
            return self.state
        return None

    def value(self) -> Any:
        """A numpy scalar's number (dtype code and raw bytes, decoded as data); otherwise ``<class name>``."""
        if self.qualname.endswith("multiarray.scalar") and len(self.args) == 2 and isinstance(self.args[1], bytes):
            dt = self.args[0]
            if isinstance(dt, _Opaque) and dt.args and isinstance(dt.args[0], str) and dt.args[0][:1] in "fiub":
                order = dt.state[1] if isinstance(dt.state, tuple) and len(dt.state) > 1 and dt.state[1] in "<>" else "<"
                try:
                    return np.frombuffer(self.args[1], np.dtype(order + dt.args[0]))[0].item()
                except (TypeError, ValueError):
                    pass
        if self.qualname.startswith("pathlib.") and self.args and all(isinstance(a, str) for a in self.args):
            import pathlib
            kind = pathlib.PureWindowsPath if "Windows" in self.qualname else pathlib.PurePosixPath
            return str(kind(*self.args))
        return f"<{self.qualname}>"


_OPAQUE: dict[str, type] = {}


def _opaque(module: str, name: str) -> type:
    qualname = f"{module}.{name}"
    if qualname not in _OPAQUE:
        _OPAQUE[qualname] = type(name, (_Opaque,), {"qualname": qualname, "__module__": __name__})
    return _OPAQUE[qualname]


class _Unpickler(pickle.Unpickler):
    def __init__(self, fh: io.BytesIO, path: str, storages: dict[str, _Storage]) -> None:
        super().__init__(fh)
        self.path, self.storages = path, storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name in _STORAGES:
            return _Kind(_STORAGES[name])
        if module == "torch" and name in _DTYPE_NAMES:
            return _Kind(_DTYPE_NAMES[name])
        if (module, name) in _METADATA or module.startswith(_METADATA_PACKAGES):
            return _opaque(module, name)
        what = f"{module}.{name}"
        if module == "__main__" or module.startswith("torch.nn") or (module.startswith("torch") and name[:1].isupper()):
            raise Refused(f"weights file {self.path!r} holds a whole pickled model ({what}), which GateLab will not "
                          "unpickle; save the weights alone: torch.save(model.state_dict(), PATH)")
        hint = name[:1].isupper() * "; if it is a whole model, save its weights: torch.save(model.state_dict(), PATH)"
        raise Refused(f"weights file {self.path!r} asks to import {what}, which a state_dict never needs; "
                      f"refused before anything ran{hint}")

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and isinstance(pid[1], _Kind)):
            raise Refused(f"weights file {self.path!r} names a storage GateLab does not know ({_short(pid)})")
        key, numel = str(pid[2]), pid[4]
        if not isinstance(numel, int) or numel < 0:
            raise Refused(f"weights file {self.path!r} names storage {key!r} with a bad size")
        st = self.storages.get(key)
        if st is None:
            st = self.storages[key] = _Storage(key, pid[1].dtype, numel)
        return st


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


class Archive:
    """A scanned torch file: tensor views by name, and how to read a storage's bytes."""

    def __init__(self, path: str, tensors: dict[str, _Tensor], storage_bytes, big_endian: bool, kind: str,
                 meta: dict[str, Any]) -> None:
        self.path, self.tensors, self._bytes, self.big_endian, self.kind, self.meta = (
            path, tensors, storage_bytes, big_endian, kind, meta)

    @property
    def infos(self) -> list[TensorInfo]:
        return [TensorInfo(n, t.shape, t.storage.dtype) for n, t in self.tensors.items()]


def is_torch_zip(names: list[str]) -> bool:
    return any(n.count("/") == 1 and n.endswith("/data.pkl") for n in names)


def is_legacy(head: bytes) -> bool:
    """A pre-1.6 torch.save file starts with the pickled magic number (protocol 2, LONG1 of 10 bytes)."""
    return head[:4] == b"\x80\x02\x8a\x0a" and int.from_bytes(head[4:14], "little") == _LEGACY_MAGIC


def scan(path: str) -> Archive:
    with open(path, "rb") as fh:
        head = fh.read(16)
    if is_legacy(head):
        return _scan_legacy(path)
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            pkl = next(n for n in names if n.count("/") == 1 and n.endswith("/data.pkl"))
            root = pkl[: -len("data.pkl")]
            data = z.read(pkl)
            order = z.read(root + "byteorder").decode().strip() if root + "byteorder" in names else "little"
            sizes = {i.filename: i.file_size for i in z.infolist()}
    except (zipfile.BadZipFile, StopIteration, OSError, EOFError, ValueError, KeyError) as e:
        raise _corrupt(path, f"its zip archive is damaged ({e.__class__.__name__})") from None
    storages: dict[str, _Storage] = {}
    obj = _unpickle(data, path, storages)
    for st in storages.values():
        name = f"{root}data/{st.key}"
        if name not in sizes:
            raise _corrupt(path, f"storage {name!r} is missing")
        if sizes[name] < st.numel * _itemsize(st.dtype):
            raise _corrupt(path, f"storage {name!r} has {sizes[name]} bytes, expected {st.numel * _itemsize(st.dtype)} (truncated?)")

    def storage_bytes(st: _Storage) -> bytes:
        try:
            with zipfile.ZipFile(path) as zz:
                return zz.read(f"{root}data/{st.key}")
        except (zipfile.BadZipFile, OSError, KeyError, EOFError) as e:
            raise _corrupt(path, f"storage {st.key!r} cannot be read ({e.__class__.__name__})") from None

    tensors, meta = _flatten(obj, path)
    return Archive(path, tensors, storage_bytes, order == "big", "zip", meta)


def _scan_legacy(path: str) -> Archive:
    with open(path, "rb") as fh:
        raw = fh.read()
    buf = io.BytesIO(raw)
    storages: dict[str, _Storage] = {}
    try:
        for _ in range(3):          # magic number, protocol version, system info
            _Unpickler(buf, path, storages).load()
        obj = _Unpickler(buf, path, storages).load()
        keys = _Unpickler(buf, path, storages).load()
    except Refused:
        raise
    except Exception as e:  # UnpicklingError, EOFError, TypeError from a bad tensor
        raise _corrupt(path, f"its pickle does not read as a state_dict ({e.__class__.__name__})") from None
    if not isinstance(keys, list):
        raise _corrupt(path, "its storage list is missing")
    offsets: dict[str, int] = {}
    pos = buf.tell()
    for key in keys:
        st = storages.get(str(key))
        if st is None or pos + 8 > len(raw):
            raise _corrupt(path, f"storage {key!r} is missing (truncated?)")
        count = int.from_bytes(raw[pos:pos + 8], "little")
        offsets[st.key] = pos + 8
        pos += 8 + count * _itemsize(st.dtype)
        if count < st.numel or pos > len(raw):
            raise _corrupt(path, f"storage {key!r} is cut short (truncated?)")

    def storage_bytes(st: _Storage) -> bytes:
        at = offsets[st.key]
        return raw[at: at + st.numel * _itemsize(st.dtype)]

    tensors, meta = _flatten(obj, path)
    return Archive(path, tensors, storage_bytes, False, "legacy", meta)


def _unpickle(data: bytes, path: str, storages: dict[str, _Storage]) -> Any:
    try:
        return _Unpickler(io.BytesIO(data), path, storages).load()
    except Refused:
        raise
    except Exception as e:  # UnpicklingError, EOFError, TypeError from a bad tensor ...
        raise _corrupt(path, f"its data.pkl does not read as a state_dict ({e.__class__.__name__}: {str(e)[:80]})") from None


def _corrupt(path: str, why: str) -> InputError:
    return InputError(f"weights file {path!r} is not a readable PyTorch file: {why}")


def _itemsize(dtype: str) -> int:
    return np.dtype(NUMPY[dtype]).itemsize


def _flatten(obj: Any, path: str) -> tuple[dict[str, _Tensor], dict[str, Any]]:
    """Tensors by dotted name; nested dicts (``{"model": state_dict, "epoch": 3}``) join with '.'."""
    if isinstance(obj, _Tensor):
        return {"tensor": obj}, {}
    if not isinstance(obj, dict):
        what = obj.qualname if isinstance(obj, _Opaque) else type(obj).__name__
        raise InputError(f"weights file {path!r} holds a {what}, not a state_dict "
                         "(a dict of tensors); save model.state_dict()")
    tensors: dict[str, _Tensor] = {}
    values: dict[str, Any] = {}

    def walk(o: Any, prefix: str) -> None:
        items = o.items() if isinstance(o, dict) else enumerate(o)
        for k, v in items:
            name = f"{prefix}{k}"
            if isinstance(v, _Tensor):
                tensors[name] = v
            elif isinstance(v, (dict, list, tuple)):
                walk(v, name + ".")
            elif isinstance(v, (int, float, str, bool)) or v is None:
                values[name] = v
            elif isinstance(v, _Opaque):         # hyper-parameters and other metadata: shown, never run
                fields = v.fields()
                if fields:
                    walk(fields, name + ".")
                else:
                    values[name] = v.value()
    walk(obj, "")
    return tensors, {"values": values} if values else {}


def load(archive: Archive, name: str) -> np.ndarray:
    """One tensor as stored (bfloat16 widened to float32, exactly), copied out of its storage view."""
    t = archive.tensors[name]
    st = t.storage
    code = NUMPY[st.dtype]
    dt = np.dtype(code if code in ("?", "i1", "u1") else (">" if archive.big_endian else "<") + code)
    raw = archive._bytes(st)
    base = np.frombuffer(raw, dtype=dt, count=st.numel)
    if not all(t.shape):
        out = np.zeros(t.shape, dtype=dt)
    else:
        view = np.lib.stride_tricks.as_strided(base[t.offset:], shape=t.shape,
                                               strides=tuple(s * dt.itemsize for s in t.stride))
        out = np.array(view)                 # copy: [storage view] -> [shape], C order
    if st.dtype == "bfloat16":
        out = (out.astype(np.uint32) << 16).view(np.float32)   # bfloat16 = top 16 bits of a float32
    return out.astype(out.dtype.newbyteorder("="))     # native byte order
