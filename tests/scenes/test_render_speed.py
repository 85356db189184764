"""Rendering fast: the tighter static layer draws the same pixels, the partial-movie cache re-draws only
what changed, a split render joins to the single-process video frame for frame."""
from __future__ import annotations

import numpy as np
import pytest
from manim import BLUE, DOWN, LEFT, RED, RIGHT, UP, Circle, FadeIn, Scene, Square, tempconfig
from manim.renderer.cairo_renderer import CairoRenderer

from gatelab.scenes import api, layers, split

_ADD_FRAME = CairoRenderer.add_frame
TINY = {"pixel_width": 160, "pixel_height": 90, "frame_rate": 10, "progress_bar": "none", "verbosity": "WARNING",
        "disable_caching": True, "preview": False, "format": "mp4"}


class _Layered(Scene):
    """A plain scene using the same two hooks as TraceScene (``tighten`` after begin, ``check_frame`` per frame)."""
    tight = True
    events: list

    def begin_animations(self):
        super().begin_animations()
        self._plan = layers.tighten(self) if self.tight and not self.renderer.skip_animations else None
        if self._plan is not None:
            type(self).events.append(("lifted", len(self._plan.lifted)))

    def update_to_time(self, t):
        super().update_to_time(t)
        was = self._plan is not None and self._plan.active
        layers.check_frame(self, self._plan)
        if was and not self._plan.active:
            type(self).events.append(("fallback",))

    def construct(self):
        mover = Circle(radius=0.4, color=RED, fill_opacity=0.6).shift(3 * LEFT)
        self.add(mover)
        far = Square(side_length=1, color=BLUE, fill_opacity=0.7).shift(2.5 * UP + 4 * RIGHT)   # drawn above, far
        over = Square(side_length=1.2, color=BLUE, fill_opacity=0.5).shift(3 * LEFT)           # drawn above, touching
        crossed = Square(side_length=0.8, fill_opacity=0.8).shift(0.5 * RIGHT + DOWN * 0.2)    # reached mid-way
        self.add(far, over, crossed)
        self.play(mover.animate.shift(0.3 * UP), run_time=0.5)           # lifts `far` and `crossed`, keeps `over`
        self.play(mover.animate.shift(6 * RIGHT), run_time=1.0)           # reaches `crossed`: falls back
        self.play(FadeIn(Circle(radius=0.2).shift(2 * DOWN)), run_time=0.5)


def _frames(tight: bool, tmp_path, monkeypatch) -> tuple[list[np.ndarray], list]:
    got: list[np.ndarray] = []
    def record(self, frame, num_frames=1):
        got.append(frame.copy())
        return _ADD_FRAME(self, frame, num_frames)

    monkeypatch.setattr(CairoRenderer, "add_frame", record)
    cls = type("L", (_Layered,), {"tight": tight, "events": []})
    with tempconfig({**TINY, "media_dir": str(tmp_path / f"m{tight}")}):
        cls().render()
    return got, cls.events


def test_tighter_static_layer_draws_the_same_pixels(tmp_path, monkeypatch):
    manim_frames, _ = _frames(False, tmp_path, monkeypatch)
    ours, events = _frames(True, tmp_path, monkeypatch)
    assert len(ours) == len(manim_frames) == 20
    assert all(np.array_equal(a, b) for a, b in zip(ours, manim_frames))
    assert ("lifted", 2) in events[:1] and ("fallback",) in events      # both paths were taken


def test_conflicts_respect_draw_order():
    a = np.array([[0.0, 0.0, 1.0, 1.0]])
    b = np.array([[0.5, 0.5, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0]])
    assert layers._conflicts(a, np.array([0.0]), b, np.array([1.0, 1.0])).tolist() == [True, False]
    assert layers._conflicts(a, np.array([2.0]), b, np.array([1.0, 1.0])).tolist() == [False, False]   # drawn after


def test_interleave_puts_files_back_in_order():
    shares = [["a0", None, "a2", None], [None, "b1", None, "b3"]]
    assert split.interleave(shares) == ["a0", "b1", "a2", "b3"]
    with pytest.raises(Exception, match="animation 1"):
        split.interleave([["a0", None], [None, None]])


def test_parts_must_be_positive(tmp_path):
    from gatelab.engines.errors import InputError
    with pytest.raises(InputError, match="parts"):
        api.render("lstm-gates", parts=0, out_dir=str(tmp_path))


# --------------------------------------------------------------------------- real renders (slow)

def _short(monkeypatch, last_caption: str) -> None:
    """softmax-temperature cut to four beats (the last one's caption chosen by the test)."""
    cls = api.scene_class("softmax-temperature").__mro__[1]

    def construct(self):
        self.title("Softmax", "four beats")
        self.caption("one", hold=0.2)
        self.caption("two")
        self.caption(last_caption)

    monkeypatch.setattr(cls, "construct", construct)


def _decode(path) -> list[np.ndarray]:
    import av
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


@pytest.mark.slow
def test_cache_redraws_only_the_changed_beat(tmp_path, monkeypatch):
    from manim.scene.scene_file_writer import SceneFileWriter
    drawn: list[int] = []
    orig = SceneFileWriter.begin_animation

    def count(self, allow_write=False, *, animation_index, file_path=None):
        if allow_write:
            drawn.append(animation_index)
        return orig(self, allow_write, animation_index=animation_index, file_path=file_path)

    monkeypatch.setattr(SceneFileWriter, "begin_animation", count)
    cache = tmp_path / "cache"
    _short(monkeypatch, "three")
    api.render("softmax-temperature", output=str(tmp_path / "a.mp4"), progress=False, cache_dir=str(cache))
    first = list(drawn)
    drawn.clear()
    api.render("softmax-temperature", output=str(tmp_path / "b.mp4"), progress=False, cache_dir=str(cache))
    assert drawn == [] and len(first) >= 4
    _short(monkeypatch, "three, changed")
    api.render("softmax-temperature", output=str(tmp_path / "c.mp4"), progress=False, cache_dir=str(cache))
    assert drawn == [first[-1]]                                     # only the last beat is drawn again
    assert len(_decode(tmp_path / "a.mp4")) == len(_decode(tmp_path / "c.mp4"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "b.mp4", "c.mp4", "cache"]


@pytest.mark.slow
def test_split_render_equals_single_process_frame_for_frame(tmp_path, monkeypatch):
    _short(monkeypatch, "three")
    one = api.render("softmax-temperature", output=str(tmp_path / "one.mp4"), progress=False, cache=False)
    two = api.render("softmax-temperature", output=str(tmp_path / "two.mp4"), progress=False, cache=False, parts=2)
    a, b = _decode(one), _decode(two)
    assert len(a) == len(b) > 20
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.mp4", "two.mp4"]


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_sigterm_stops_a_scene_render_and_leaves_nothing(tmp_path, jobs):
    """`gatelab scene` stopped by SIGTERM mid-render: exit 143 with one line, no partial output, no temporary
    directory (its throw-away media directory, the split workers' ones), no worker process left running."""
    import os
    import signal
    import subprocess
    import sys
    import time

    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    out.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "gatelab.render", "scene", "lstm-gates", "-q", "l", "-j", str(jobs),
                             "--no-cache", "-o", str(out / "v.mp4")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "TMPDIR": str(tmp)})
    deadline = time.monotonic() + 180
    while not any(tmp.rglob("*.mp4")):          # the render has written its first animations
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.2)
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.strip() == "Stopped by SIGTERM: no partial output left.", stderr
    assert list(out.iterdir()) == [] and list(tmp.iterdir()) == []
    for pid in map(int, children):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        with open(f"/proc/{pid}/stat") as fh:
            assert fh.read().split()[2] == "Z", f"worker {pid} still running"


def _lost_stop_at_third_animation(monkeypatch) -> list[int]:
    """Every scene's third animation finds a stop asked and its exception lost (scenes.stop.requested set, no
    KeyboardInterrupt raised); the short softmax-temperature scene. Returns the animations counted."""
    from gatelab.scenes import base, stop
    plays: list[int] = []
    orig = base.TraceScene.play

    def play(self, *args, **kwargs):
        plays.append(len(plays))
        if len(plays) == 3:
            stop.requested.set()
        return orig(self, *args, **kwargs)

    monkeypatch.setattr(base.TraceScene, "play", play)
    _short(monkeypatch, "three")
    return plays


def _render_stopped(out, cache) -> None:
    from gatelab.scenes import stop
    try:
        with pytest.raises(KeyboardInterrupt):
            api.render("softmax-temperature", output=str(out), progress=False, cache_dir=str(cache))
    finally:
        stop.requested.clear()


def test_a_stop_swallowed_on_its_way_still_ends_the_render_at_its_next_animation(tmp_path, monkeypatch):
    """A lecture worker's stop sets scenes.stop.requested as well as raising; if a library swallowed the
    KeyboardInterrupt, the next animation raises it and the render removes the movies it wrote."""
    plays = _lost_stop_at_third_animation(monkeypatch)
    cache = tmp_path / "cache"
    _render_stopped(tmp_path / "a.mp4", cache)
    assert len(plays) == 3                                        # the third animation did not start
    assert not list(cache.rglob("*.mp4")) and not (tmp_path / "a.mp4").exists()
    api.render("softmax-temperature", output=str(tmp_path / "b.mp4"), progress=False, cache_dir=str(cache))
    assert len(plays) > 4 and (tmp_path / "b.mp4").exists()      # the flag cleared, renders go on as before


def test_a_second_stop_during_the_clean_up_waits_until_the_movies_are_gone(tmp_path, monkeypatch):
    """A lecture build may stop a worker twice (its pool signals the workers again when another one leaves):
    the second stop arriving while a stopped render removes its per-animation movies is held until they are gone."""
    import os
    import signal
    orig_drop = api.drop_partial_movies

    def drop(media, *, since):
        os.kill(os.getpid(), signal.SIGINT)              # the second stop lands as the clean-up begins
        for _ in range(1000):
            pass                                          # bytecodes at which an unheld stop would be raised
        orig_drop(media, since=since)

    _lost_stop_at_third_animation(monkeypatch)
    monkeypatch.setattr(api, "drop_partial_movies", drop)
    _render_stopped(tmp_path / "a.mp4", tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.mp4"))
