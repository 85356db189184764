"""Draw less per frame: a tighter split of a play() into a static layer and moving mobjects.

Manim paints the mobjects an animation leaves alone into a static image once per ``play()``
and redraws the rest every frame. To keep the drawing order it redraws *everything above*
the first animated mobject in z-order, even a mobject on the other side of the frame: in a
GateLab scene, fading one caption redraws the whole cell diagram, every number on it and the
equations 15-60 times a second.

:func:`tighten` keeps the redraw to the animated mobjects plus the ones drawn above them that
come near them. Two mobjects whose painted pixels never meet can be composited in either order
with the same result, so the frames are pixel-identical to Manim's. "Never meet" is checked
with boxes: the box of a mobject's Bézier control points (which contain its curves), widened
by its stroke (half the line width, times the miter limit for sharp joins) and three pixels
of antialiasing. A mobject moves to the static layer only if its box misses the animated
mobjects' boxes at the start and the end of the animation; :func:`check_frame` re-checks every
frame against the current boxes and, the first time a moving mobject reaches one that went
static, falls back to Manim's own split for the rest of the play (the frames drawn before were
correct). Plays with updaters or foreground mobjects keep Manim's split.
"""
from __future__ import annotations

import numpy as np

MITER = 10.0             # cairo's default miter limit (manim draws with miter joins)
LINE = 0.01              # manim's cairo line width per unit of stroke_width (frame units)
AA_PIXELS = 3.0          # antialiasing fringe, generously


class _Plan:
    """One play's layers: the mobjects moved to the static layer and Manim's own split to fall back to."""

    def __init__(self, lifted: list, orig_moving: list, orig_static: list) -> None:
        self.lifted = lifted
        self.lifted_boxes = np.empty((0, 4))
        self.lifted_places = np.empty(0)
        self.pos: dict[int, int] = {}
        self.orig_moving = orig_moving
        self.orig_static = orig_static
        self.active = True


def _margin(m, pixel: float) -> float:
    width = 0.0
    for background in (False, True):
        try:
            if m.get_stroke_opacity(background) > 0:
                width = max(width, float(m.get_stroke_width(background)))
        except (AttributeError, IndexError, TypeError):
            width = max(width, 10.0)
    return width * LINE * MITER / 2 + AA_PIXELS * pixel


def boxes(items: list, pixel: float) -> np.ndarray:
    """``[n, 4]`` boxes (xmin, ymin, xmax, ymax) of the items' own points, widened as described above;
    an item without points gets an empty box (it paints nothing)."""
    out = np.empty((len(items), 4))
    for k, m in enumerate(items):
        pts = m.points
        if len(pts) == 0:
            out[k] = (np.inf, np.inf, -np.inf, -np.inf)
            continue
        lo = pts[:, :2].min(axis=0)   # [n, 3] -> [2]
        hi = pts[:, :2].max(axis=0)
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
            out[k] = (-np.inf, -np.inf, np.inf, np.inf)   # unknown extent: touches everything
            continue
        r = _margin(m, pixel)
        out[k] = (lo[0] - r, lo[1] - r, hi[0] + r, hi[1] + r)
    return out


def _conflicts(a: np.ndarray, pa: np.ndarray, b: np.ndarray, pb: np.ndarray) -> np.ndarray:
    """``[len(b)]`` bool: box b[j] meets a box a[i] drawn before it (pa[i] < pb[j])."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros(len(b), bool)
    sep = ((a[:, None, 2] < b[None, :, 0]) | (b[None, :, 2] < a[:, None, 0])
           | (a[:, None, 3] < b[None, :, 1]) | (b[None, :, 3] < a[:, None, 1]))   # [na, nb]
    return (~sep & (pa[:, None] < pb[None, :])).any(axis=0)


def _animated(scene, pos: dict[int, int], states: bool) -> tuple[list, np.ndarray]:
    """The animations' display items (with ``states``: also their start and target copies) and their
    places in the draw order; an item Manim did not list takes its animation's earliest place."""
    items: list = []
    places: list[int] = []
    for anim in scene.animations:
        fam = anim.mobject.family_members_with_points()
        first = min((pos[id(m)] for m in fam if id(m) in pos), default=-1)
        for m in fam:
            items.append(m)
            places.append(pos.get(id(m), first))
        if states:
            for attr in ("starting_mobject", "target_mobject", "target_copy"):
                other = getattr(anim, attr, None)
                if other is not None and hasattr(other, "family_members_with_points"):
                    extra = other.family_members_with_points()
                    items.extend(extra)
                    places.extend([first] * len(extra))
    return items, np.asarray(places, dtype=float)


def tighten(scene) -> _Plan | None:
    """Called right after Manim's ``begin_animations``: shrink ``scene.moving_mobjects`` and grow
    ``scene.static_mobjects`` (Manim then paints the static image from them). None = unchanged.

    A mobject that is not animated goes static when it meets no moving mobject drawn before it
    (one drawn after it keeps its order either way); the mobjects with points inside one with
    points go with it.
    """
    moving = scene.moving_mobjects
    if not moving or scene.is_current_animation_frozen_frame() or scene.foreground_mobjects:
        return None
    if any(m.updaters or getattr(m, "z_index", 0) for m in scene.get_mobject_family_members()):
        return None
    camera = scene.renderer.camera
    pixel = camera.frame_width / camera.pixel_width
    display = camera.get_mobjects_to_display(moving)       # Manim's draw order of the moving items
    pos = {id(m): k for k, m in enumerate(display)}
    items, places = _animated(scene, pos, states=True)
    animated = {id(m) for anim in scene.animations for m in anim.mobject.get_family()}
    box_list, place_list = [boxes(items, pixel)], [places]
    keep: set[int] = set()
    decided: set[int] = set()
    lifted: list = []
    for k, m in enumerate(display):
        if id(m) in decided:
            continue
        unit = [u for u in m.family_members_with_points() if id(u) in pos]
        decided.update(id(u) for u in unit)
        ub = boxes(unit, pixel)
        union = np.array([[ub[:, 0].min(), ub[:, 1].min(), ub[:, 2].max(), ub[:, 3].max()]])
        here = np.array([float(k)])
        if any(id(u) in animated for u in unit) or _conflicts(np.concatenate(box_list), np.concatenate(place_list),
                                                              union, here)[0]:
            keep.update(id(u) for u in unit)
            box_list.append(union)
            place_list.append(here)
        else:
            lifted.extend(unit)
    if not lifted:
        return None
    plan = _Plan(lifted, moving, scene.static_mobjects)
    plan.pos = pos
    plan.lifted_boxes = boxes(lifted, pixel)
    plan.lifted_places = np.array([pos[id(m)] for m in lifted], dtype=float)
    scene.moving_mobjects = [m for m in display if id(m) in keep]
    scene.static_mobjects = list(scene.static_mobjects) + lifted
    return plan


def check_frame(scene, plan: _Plan | None) -> None:
    """Before a frame is drawn: if an animated mobject now reaches a mobject painted into the static
    layer above it, go back to Manim's split for the rest of this play."""
    if plan is None or not plan.active:
        return
    camera = scene.renderer.camera
    pixel = camera.frame_width / camera.pixel_width
    items, places = _animated(scene, plan.pos, states=False)
    if _conflicts(boxes(items, pixel), places, plan.lifted_boxes, plan.lifted_places).any():
        plan.active = False
        scene.moving_mobjects = plan.orig_moving
        scene.static_mobjects = plan.orig_static
        scene.renderer.save_static_frame_data(scene, plan.orig_static)
