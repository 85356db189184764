"""The fast partial-movie key changes with everything a play draws, and only with that."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from manim import BLUE, RED, RIGHT, Circle, FadeIn, Square, linear, smooth

from gatelab.scenes import playkey


def _key(*objs) -> str:
    return playkey.digest(objs)


def test_same_state_same_key_and_copies_agree():
    a = Circle().shift(RIGHT)
    assert _key(FadeIn(a), [a]) == _key(FadeIn(a), [a])
    b = a.copy()
    assert _key([a]) == _key([b])


def test_drawn_state_changes_the_key():
    a = Square()
    base = _key([a])
    assert _key([a.copy().set_color(RED)]) != base
    assert _key([a.copy().shift(1e-9 * RIGHT)]) != base
    assert _key([a.copy().set_stroke(width=7)]) != base
    assert _key([a.copy().set_z_index(2)]) != base
    assert _key([Square(), Circle()]) != _key([Circle(), Square()])            # drawing order
    assert _key(FadeIn(a, run_time=1)) != _key(FadeIn(a, run_time=2))
    assert _key(FadeIn(a, rate_func=smooth)) != _key(FadeIn(a, rate_func=linear))


class _Marked(np.ndarray):
    """An array subclass (numpy reduces it with its data)."""


class _Holder:
    def __init__(self, **state) -> None:
        self.__dict__.update(state)


def test_every_kind_of_array_is_keyed_by_its_values():
    plain = np.arange(6.0).reshape(2, 3)
    assert _key(plain) != _key(plain.reshape(3, 2))                                    # shape
    assert _key(plain) != _key(plain.astype(np.float32))                               # dtype
    assert _key(plain.view(_Marked)) != _key((plain + 1).view(_Marked))                 # a subclass's data
    objects = np.array([Square(), "x"], dtype=object)
    changed = np.array([Square().set_color(RED), "x"], dtype=object)
    assert _key(objects) == _key(np.array([Square(), "x"], dtype=object))
    assert _key(objects) != _key(changed)                                              # an object array's items


def test_run_dependent_attributes_are_left_out_without_touching_the_object():
    a, b = _Holder(points=np.zeros(3), original_id="140234"), _Holder(points=np.zeros(3), original_id="99")
    assert _key(a) == _key(b) == _key(_Holder(points=np.zeros(3)))
    assert a.original_id == "140234" and list(vars(a)) == ["points", "original_id"]
    assert _key(_Holder(points=np.zeros(3), x=1)) != _key(_Holder(points=np.zeros(3), x=2))


def _updater(k):
    def move(m, dt):
        m.shift(k * dt * RIGHT)
    return move


def test_functions_are_keyed_by_code_and_values():
    def f(m, dt):
        m.shift(dt * RIGHT)

    def g(m, dt):
        m.shift(2 * dt * RIGHT)

    s = Square()
    assert _key(s.copy().add_updater(f)) != _key(s.copy().add_updater(g))                   # code
    assert _key(s.copy().add_updater(_updater(1))) != _key(s.copy().add_updater(_updater(2)))   # closure
    assert _key(s.copy().add_updater(_updater(1))) == _key(s.copy().add_updater(_updater(1)))
    assert _key([s.copy().set_color(BLUE)]) == _key([s.copy().set_color(BLUE)])


def test_key_is_the_same_in_another_process():
    code = ("from manim import Circle, FadeIn, RIGHT, smooth\nfrom gatelab.scenes import playkey\n"
            "a = Circle().shift(RIGHT)\nprint(playkey.digest((FadeIn(a, rate_func=smooth), [a])))")
    a = Circle().shift(RIGHT)
    here = playkey.digest((FadeIn(a, rate_func=smooth), [a]))
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2")}
    assert runs == {here}


def test_only_gatelab_scenes_use_it(tmp_path):
    from manim import Scene, tempconfig
    from manim.renderer import cairo_renderer

    import gatelab.scenes.base  # noqa: F401  (installs the key)

    hook = cairo_renderer.get_hash_from_play_call
    assert getattr(hook, "gatelab", False)
    with tempconfig({"media_dir": str(tmp_path)}):
        scene = Scene()
        plain = hook(scene, scene.renderer.camera, [FadeIn(Square())], [], backend="cairo",
                     encoder_fingerprint="x", renderer_state=())
    assert not plain.startswith("g")                     # Manim's own digest for a plain Manim scene
