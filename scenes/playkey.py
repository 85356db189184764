"""The key of one ``play()`` in Manim's partial-movie cache, computed fast.

Manim names each animation's movie by a digest of everything the play depends on: the camera, the
animations and the mobjects on screen, walked attribute by attribute and written out as JSON.
On a GateLab scene that walk cost a third of an ``-ql`` render (65 ms per play, 142 plays in
``lstm-gates``), on every render, cached or not.

:func:`play_key` digests the same things through :mod:`pickle`, which walks objects in C: every
object's attributes (but the run-dependent ones Manim filters out too), every array's bytes, and for
every function (updaters, rate functions) its code, defaults, closure values and the globals its
code names, so an edited function changes the key. Only GateLab's own scenes use it
(:func:`install` routes them here); a play that cannot be pickled falls back to Manim's digest.
A key that cannot be reproduced (a value whose pickle varies between runs) only costs a re-render,
never a wrong movie: anything that differs gives a different key.
"""
from __future__ import annotations

import hashlib
import io
import pickle
import types
from typing import Any

import numpy as np

SKIP_KEYS = frozenset({"original_id", "background", "pixel_array_to_cairo_context", "path_obj"})
CAMERA_SKIP = SKIP_KEYS | {"pixel_array"}     # the camera's last frame: the previous play's, not this one's input
OPAQUE = ("Scene", "CairoRenderer", "OpenGLRenderer", "SceneFileWriter")   # stand-ins, as Manim does for the scene


def _instance(cls: str, state: dict) -> None: ...   # reduction markers: never called, only named in the pickle
def _function(*parts) -> None: ...
def _method(func, owner) -> None: ...
def _cls(module: str, qualname: str) -> None: ...
def _opaque(name: str) -> None: ...
def _cycle(name: str) -> None: ...
def _array(dtype: str, shape: tuple, data: bytes) -> None: ...


_MARKERS = frozenset({_instance, _function, _method, _cls, _opaque, _cycle, _array})
_SLOTS: dict[type, tuple[str, ...]] = {}


def _slots(t: type) -> tuple[str, ...]:
    if t not in _SLOTS:
        _SLOTS[t] = tuple(s for k in t.__mro__ for s in getattr(k, "__slots__", ())
                          if isinstance(s, str) and s not in ("__dict__", "__weakref__"))
    return _SLOTS[t]


_NATIVE, _TYPE, _FUNCTION, _METHOD, _MODULE, _OPAQUE, _CAMERA, _INSTANCE = range(8)
_KINDS: dict[type, int] = {}
_QUALNAMES: dict[type, str] = {}
_DTYPES: dict[np.dtype, str] = {}


def _kind(t: type) -> int:
    """How :class:`_Pickler` reduces an object of type ``t`` (worked out once per type)."""
    if issubclass(t, np.ndarray) or issubclass(t, np.generic):
        return _NATIVE                                   # numpy's own reduction
    if issubclass(t, type):
        return _TYPE
    if issubclass(t, types.FunctionType):
        return _FUNCTION
    if issubclass(t, types.MethodType):
        return _METHOD
    if issubclass(t, types.ModuleType):
        return _MODULE
    names = [k.__name__ for k in t.__mro__]
    if any(n in OPAQUE for n in names):
        return _OPAQUE
    return _CAMERA if "Camera" in names else _INSTANCE


def _qualname(t: type) -> str:
    if t not in _QUALNAMES:
        _QUALNAMES[t] = f"{t.__module__}.{t.__qualname__}"
    return _QUALNAMES[t]


def _code(co: types.CodeType) -> tuple:
    consts = []
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            consts.append(_code(c))
        elif isinstance(c, frozenset):
            consts.append(("frozenset", tuple(sorted(map(repr, c)))))
        else:
            consts.append(c)
    return co.co_code, co.co_names, co.co_varnames, co.co_freevars, tuple(consts)


def _names(co: types.CodeType) -> set[str]:
    out = set(co.co_names)
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            out |= _names(c)
    return out


class _Pickler(pickle.Pickler):
    def __init__(self, file) -> None:
        super().__init__(file, protocol=5)
        self.open_functions: set[int] = set()

    def reducer_override(self, obj: Any):
        t = type(obj)
        if t is np.ndarray:
            name = _DTYPES.get(obj.dtype)
            if name is None:
                name = _DTYPES[obj.dtype] = "O" if obj.dtype.hasobject else obj.dtype.str
            if name != "O":
                return _array, (name, obj.shape, obj.tobytes())           # cheaper than numpy's own reduction
        kind = _KINDS.get(t)
        if kind is None:
            kind = _KINDS[t] = _kind(t)
        if kind is _INSTANCE or kind is _CAMERA:
            state = getattr(obj, "__dict__", None)
            if not isinstance(state, dict):
                return NotImplemented
            skip = CAMERA_SKIP if kind is _CAMERA else SKIP_KEYS
            if any(k in state for k in skip):                 # a copy, in order, without the run-dependent keys
                state = {k: v for k, v in state.items() if k not in skip}
            names = _slots(t)
            slots = {s: getattr(obj, s) for s in names if hasattr(obj, s)} if names else {}
            return _instance, (_qualname(t), state, slots)
        if kind is _NATIVE:
            return NotImplemented
        if kind is _TYPE:
            return _cls, (obj.__module__, obj.__qualname__)
        if kind is _FUNCTION:
            return NotImplemented if obj in _MARKERS else self._function(obj)
        if kind is _METHOD:
            return _method, (obj.__func__, obj.__self__)
        if kind is _MODULE:
            return _opaque, (obj.__name__,)
        return _opaque, (t.__qualname__,)

    def _function(self, fn: types.FunctionType):
        if id(fn) in self.open_functions:               # a function reaching itself through its globals
            return _cycle, (fn.__qualname__,)
        self.open_functions.add(id(fn))
        try:
            cells = []
            for c in fn.__closure__ or ():
                try:
                    cells.append(c.cell_contents)
                except ValueError:
                    cells.append(_cycle)
            g = fn.__globals__
            used = {n: g[n] for n in sorted(_names(fn.__code__)) if n in g and not isinstance(g[n], types.ModuleType)}
            parts = (fn.__module__, fn.__qualname__, _code(fn.__code__), fn.__defaults__, fn.__kwdefaults__,
                     tuple(cells), used)
            buf = io.BytesIO()                          # pickled here, while the function is open
            _Pickler(buf).dump_nested(self, parts)
            return _function, (hashlib.blake2b(buf.getvalue(), digest_size=16).digest(),)
        finally:
            self.open_functions.discard(id(fn))

    def dump_nested(self, parent: "_Pickler", obj: Any) -> None:
        self.open_functions = parent.open_functions
        self.dump(obj)


def digest(obj: Any) -> str:
    buf = io.BytesIO()
    _Pickler(buf).dump(obj)
    return hashlib.blake2b(buf.getbuffer(), digest_size=20).hexdigest()


def play_key(scene, camera, animations, mobjects, *, backend: str, encoder_fingerprint: str,
             renderer_state: Any) -> str:
    """A filename-safe key of one play: the same inputs as Manim's digest, through :func:`digest`."""
    import manim

    ordered = sorted(animations, key=str)
    return "g" + digest((manim.__version__, backend, encoder_fingerprint, camera, ordered, list(mobjects),
                         renderer_state))


def install() -> None:
    """Route the play keys of GateLab scenes (``TraceScene``) through :func:`play_key`; other scenes keep
    Manim's. Idempotent."""
    from manim.renderer import cairo_renderer

    original = cairo_renderer.get_hash_from_play_call
    if getattr(original, "gatelab", False):
        return

    def get_hash_from_play_call(scene, *args, **kwargs):
        from .base import TraceScene

        if isinstance(scene, TraceScene):
            try:
                return play_key(scene, *args, **kwargs)
            except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
                pass
        return original(scene, *args, **kwargs)

    get_hash_from_play_call.gatelab = True
    cairo_renderer.get_hash_from_play_call = get_hash_from_play_call
