"""Draw less per frame: a glyph-heavy path is handed to cairo once, then re-placed.

Manim's camera feeds every Bézier curve of every drawn mobject to cairo from Python, every frame
(``set_cairo_context_path``): a line of text or an equation is hundreds of ``curve_to`` calls, and
the static layer of each ``play()`` redraws all of them again. Most of those paths only move
(a ``FadeIn`` with a shift, the static layer of the next play) or do not change at all.

:func:`install` wraps the camera's path building: a path of at least :data:`MIN_POINTS` points is
keyed by its shape relative to its first point (rounded to :data:`DIGITS` decimals of a frame
unit, about 1e-5 pixel at 4K); cairo gets the stored shape (``append_path``, one C call) translated
to the path's first point. Colour, opacity, stroke and fill are applied by Manim as before. A
mobject whose shape changes every frame (a morph, a scaling) builds a new shape every frame.
"""
from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict

import numpy as np

MIN_POINTS = 8           # 2 curves: a rectangle (4 curves) is already cheaper to look up than to rebuild
DIGITS = 7               # frame units (8 wide): 1e-7 is far below a pixel at any quality
KEEP = 4096              # shapes kept (least recently used dropped)


class PathCache:
    """The camera's paths by shape: ``{key: cairo path of the shape with its first point at the origin}``.

    Every large path is drawn the same way, first time or not: the shape (rounded as in the key) is
    built once on a scratch context with the camera's scale and no offset, and each draw appends it
    translated to the path's first point. So the pixels depend on the shape and the place only, never
    on what was drawn before (a scene split over processes draws the same frames as one process).
    """

    def __init__(self) -> None:
        self.paths: OrderedDict = OrderedDict()
        self.hits = self.misses = 0
        self._scratch = None

    def _canonical(self, ctx, shape: np.ndarray, build, vmobject):
        import cairo

        if self._scratch is None:
            self._scratch = cairo.Context(cairo.ImageSurface(cairo.FORMAT_A8, 1, 1))
            from manim import VMobject
            self._proxy = VMobject()
        xx, yx, xy, yy, _, _ = ctx.get_matrix()
        self._scratch.set_matrix(cairo.Matrix(xx, yx, xy, yy, 0.0, 0.0))
        proxy = self._proxy
        proxy.points = np.column_stack([shape, np.zeros(len(shape))])
        proxy.n_points_per_cubic_curve = vmobject.n_points_per_cubic_curve
        build(self._scratch, proxy)
        path = self._scratch.copy_path()
        self._scratch.new_path()
        return path

    def set_path(self, ctx, vmobject, build):
        """``build(ctx, vmobject)``: Manim's own path building (small paths, and each new shape once)."""
        points = vmobject.points
        if len(points) < MIN_POINTS or not np.isfinite(points).all():
            return build(ctx, vmobject)
        first = points[0]
        shape = np.round(points[:, :2] - first[:2], DIGITS) + 0.0      # + 0.0: no -0.0 in the key
        key = (len(points), tuple(ctx.get_matrix())[:4], hashlib.blake2b(shape.tobytes(), digest_size=16).digest())
        path = self.paths.get(key)
        if path is None:
            self.misses += 1
            path = self.paths[key] = self._canonical(ctx, shape, build, vmobject)
            if len(self.paths) > KEEP:
                self.paths.popitem(last=False)
        else:
            self.hits += 1
            self.paths.move_to_end(key)
        ctx.new_path()
        matrix = ctx.get_matrix()
        ctx.translate(float(first[0]), float(first[1]))
        ctx.append_path(path)
        ctx.set_matrix(matrix)
        return None


_CACHES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_CLASSES: dict[type, type] = {}


def _cached_class(base: type) -> type:
    """``base`` with its path building routed through the camera's :class:`PathCache`. The cache is
    kept outside the camera: Manim hashes the camera's attributes into every cached play's key."""
    if base not in _CLASSES:
        def set_cairo_context_path(self, ctx, vmobject):
            return _CACHES[self].set_path(ctx, vmobject, super(cls, self).set_cairo_context_path)

        cls = type(base.__name__, (base,), {"set_cairo_context_path": set_cairo_context_path,
                                            "__module__": base.__module__})
        _CLASSES[base] = cls
    return _CLASSES[base]


def install(camera) -> PathCache | None:
    """Route ``camera``'s path building through a :class:`PathCache` (cairo cameras only)."""
    if not hasattr(camera, "set_cairo_context_path"):
        return None
    if camera not in _CACHES:
        camera.__class__ = _cached_class(type(camera))
        _CACHES[camera] = PathCache()
    return _CACHES[camera]
