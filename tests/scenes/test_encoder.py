"""The per-animation encoder: the same packets as Manim's, and the same file whatever the heap holds."""
from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import io
from fractions import Fraction

import av
import numpy as np
import pytest
from manim import BLUE, LEFT, RED, RIGHT, UP, Circle, FadeIn, Scene, Square, tempconfig
from manim._config.video_encoder import VideoEncoderSpec
from manim.scene.video_segment_encoder import VideoSegmentEncoder

from gatelab.scenes import api, encoder
from gatelab.scenes.encoder import EncoderProcess, FramePool, ProcessSegmentEncoder, SegmentEncoder

W, H = 854, 480          # -q l


def _frames(n: int = 24) -> list[np.ndarray]:
    """Frames like a scene's, drawn with cairo: lines of antialiased text fading in and drifting, a disc."""
    import cairo

    out = []
    for i in range(n):
        surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, W, H)
        ctx = cairo.Context(surface)
        ctx.set_source_rgb(0.08, 0.09, 0.15)
        ctx.paint()
        ctx.set_font_size(22)
        for row in range(8):
            ctx.set_source_rgba(0.9, 0.6 + 0.04 * row, 0.1, min(1.0, (i + 1) / n + 0.1 * row))
            ctx.move_to(25 + 2 * i + row % 3, 60 + 50 * row + 0.3 * i)
            ctx.show_text(f"h_{row} = tanh(W x + U h) = {0.123 * row + 0.01 * i:.4f}  gate {row}")
        ctx.arc(700 - 3 * i, 300, 40 + i, 0, 2 * np.pi)
        ctx.set_source_rgba(0.3, 0.7, 0.9, 0.6)
        ctx.fill()
        bgra = np.ndarray((H, W, 4), np.uint8, surface.get_data())
        out.append(np.ascontiguousarray(bgra[..., [2, 1, 0, 3]]))
    return out


def _spec(quality: str, fmt: str = "mp4", codec: str = "libx264") -> VideoEncoderSpec:
    options = api.manim_config("x", quality, fmt, "/tmp", theme="dark", progress=False, cache=False)["video_encoder_options"]
    size = {"l": (854, 480), "h": (1920, 1080)}[quality]
    return VideoEncoderSpec(fmt, codec, "yuv420p", *size, Fraction(15), tuple(sorted(options.items())))


@pytest.fixture
def process():
    """An encoder process with four 480p slots (fewer than a segment's frames: slots are reused)."""
    proc = EncoderProcess(1920 * 1080 * 4, 4)
    yield proc
    proc.close()
    assert proc.proc.returncode == 0


def _in_process(process: EncoderProcess):
    def make(*, target, spec):
        return ProcessSegmentEncoder(target=target, spec=spec, process=process, pool=FramePool())
    return make


def _encode(cls, spec: VideoEncoderSpec, frames, path) -> bytes:
    enc = cls(target=path, spec=spec)
    for i, a in enumerate(frames):
        enc.write_frame(a, repeat=5 if i % 6 == 0 else 1)      # held frames too, as a wait sends them
    enc.finish()
    return path.read_bytes()


@pytest.mark.parametrize("where", ["thread", "process"])
@pytest.mark.parametrize("quality", ["l", "h"])
def test_same_packets_as_manims_encoder(tmp_path, quality, where, process):
    frames = _frames(12)
    if quality == "h":
        frames = [np.ascontiguousarray(np.pad(a, ((0, 600), (0, 1066), (0, 0)), mode="edge")) for a in frames]
    spec = _spec(quality)
    ours = _encode(SegmentEncoder if where == "thread" else _in_process(process), spec, frames, tmp_path / "ours.mp4")
    theirs = _encode(VideoSegmentEncoder, spec, frames, tmp_path / "theirs.mp4")
    assert ours == theirs


def test_webm_decodes_to_the_same_frames(tmp_path, process):
    """VP9 files are not byte-reproducible (not even Manim's own twice); their decoded frames are equal."""
    spec = VideoEncoderSpec("webm", "libvpx-vp9", "yuv420p", W, H, Fraction(15), ())
    decoded = []
    for name, cls in (("thread", SegmentEncoder), ("process", _in_process(process)), ("manim", VideoSegmentEncoder)):
        path = tmp_path / f"{name}.webm"
        _encode(cls, spec, _frames(8), path)
        with av.open(str(path)) as c:
            decoded.append([f.to_ndarray(format="yuv420p") for f in c.decode(video=0)])
    assert len(decoded[0]) == len(decoded[1]) == len(decoded[2]) == 8 + 2 * 4
    assert all(np.array_equal(a, c) and np.array_equal(b, c) for a, b, c in zip(*decoded))


def test_segments_of_one_process_interleave(tmp_path, process):
    """Several animations' movies are encoded at once (Manim keeps a few in flight): each is its own file."""
    spec = _spec("l")
    frames = _frames(10)
    encoders = [_in_process(process)(target=tmp_path / f"p{k}.mp4", spec=spec) for k in range(3)]
    for i in range(len(frames)):
        for k, enc in enumerate(encoders):
            enc.write_frame(frames[(i + 3 * k) % len(frames)], repeat=5 if i % 6 == 0 else 1)   # as _encode
    for enc in encoders:
        enc.finish()
    for k in range(3):
        alone = _encode(VideoSegmentEncoder, spec, [frames[(i + 3 * k) % len(frames)] for i in range(10)],
                        tmp_path / f"m{k}.mp4")
        assert (tmp_path / f"p{k}.mp4").read_bytes() == alone


def test_a_failing_segment_is_one_error_and_leaves_no_file(tmp_path, process):
    bad = VideoEncoderSpec("mp4", "libx264", "yuv420p", W, H, Fraction(15), (("preset", "no-such-preset"),))
    enc = _in_process(process)(target=tmp_path / "bad.mp4", spec=bad)
    enc.write_frame(_frames(1)[0])
    with pytest.raises(RuntimeError, match=r"Failed to encode video segment .*bad\.mp4"):
        enc.finish()
    enc.abort()
    assert list(tmp_path.iterdir()) == []
    good = _encode(_in_process(process), _spec("l"), _frames(3), tmp_path / "good.mp4")   # the process goes on
    assert good == _encode(VideoSegmentEncoder, _spec("l"), _frames(3), tmp_path / "manim.mp4")


def test_an_aborted_or_unfinished_segment_leaves_no_file(tmp_path):
    proc = EncoderProcess(W * H * 4, 2)
    aborted = _in_process(proc)(target=tmp_path / "aborted.mp4", spec=_spec("l"))
    open_ = _in_process(proc)(target=tmp_path / "open.mp4", spec=_spec("l"))
    for a in _frames(4):
        aborted.write_frame(a)
        open_.write_frame(a)
    aborted.abort()
    assert not (tmp_path / "aborted.mp4").exists()
    proc.close()                                     # the render ended with a movie still open
    assert proc.proc.returncode == 0
    assert list(tmp_path.iterdir()) == []


def test_an_encoder_process_that_dies_fails_the_segment_instead_of_hanging(tmp_path):
    proc = EncoderProcess(W * H * 4, 2)
    enc = _in_process(proc)(target=tmp_path / "x.mp4", spec=_spec("l"))
    enc.write_frame(_frames(1)[0])
    proc.proc.kill()
    proc.reader.join(timeout=10)
    with pytest.raises(RuntimeError, match="video encoder process stopped"):
        for a in _frames(4):                         # two slots: a write waits for one, then fails
            enc.write_frame(a)
        enc.finish()
    enc.abort()
    proc.close()
    assert not (tmp_path / "x.mp4").exists()


def _dirty_heap(rng) -> None:
    """Leave random bytes in freed heap memory, where the encoder's next allocations come from."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = []
    for size in rng.integers(1000, 3_000_000, 200):
        p = libc.malloc(int(size))
        np.frombuffer((ctypes.c_ubyte * int(size)).from_address(p), np.uint8)[:] = rng.integers(0, 256, int(size),
                                                                                               dtype=np.uint8)
        blocks.append(p)
    for p in blocks:
        libc.free(p)


def test_a_draft_is_the_same_file_whatever_the_heap_held():
    """x264's macroblock tree reads unwritten memory at 854x480: with x264's defaults, four encodes of these
    frames, each after leaving random bytes on the heap, give two to four different files. Drafts give one."""
    rng = np.random.default_rng(5)
    frames = [av.VideoFrame.from_ndarray(a, format="rgba").reformat(W, H, "yuv420p") for a in _frames(30)]
    options = dict(_spec("l").options)
    digests = set()
    for _ in range(4):
        _dirty_heap(rng)
        out = io.BytesIO()
        with av.open(out, "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=15, options=options)
            stream.pix_fmt, stream.width, stream.height = "yuv420p", W, H
            for i, frame in enumerate(frames):
                frame.pts = i
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
        digests.add(hashlib.sha256(out.getvalue()).hexdigest())
    assert len(digests) == 1


class _Plain(Scene):
    """A static layer, a moving circle, a held frame, a fade: with or without GateLab's encoder."""
    ours = True

    def setup(self):
        if self.ours:
            encoder.install(self.renderer)

    def construct(self):
        self.add(Square(side_length=2, color=BLUE, fill_opacity=0.6))
        dot = Circle(radius=0.4, color=RED, fill_opacity=0.8).shift(3 * LEFT)
        self.play(dot.animate.shift(6 * RIGHT), run_time=1.0)
        self.wait(0.5)
        self.play(FadeIn(Circle(radius=0.3).shift(2 * UP)), run_time=0.5)


def _sent(ours: bool, tmp_path, monkeypatch) -> list[tuple[str, int]]:
    """What the encoder received, read when it encodes it (a frame drawn over after it was sent shows here)."""
    got: list[tuple[str, int]] = []
    for cls in (SegmentEncoder, ProcessSegmentEncoder, VideoSegmentEncoder):
        write = cls.__dict__["write_frame"]

        def record(self, pixels, *, repeat=1, _write=write):
            got.append((hashlib.sha256(pixels.tobytes()).hexdigest(), repeat))
            return _write(self, pixels, repeat=repeat)

        monkeypatch.setattr(cls, "write_frame", record)
    scene = type("P", (_Plain,), {"ours": ours})
    with tempconfig({"pixel_width": 320, "pixel_height": 180, "frame_rate": 15, "progress_bar": "none",
                     "verbosity": "WARNING", "disable_caching": True, "preview": False, "format": "mp4",
                     "media_dir": str(tmp_path / f"m{ours}")}):
        made = scene()
        made.render()
        encoder.close_shared()
    monkeypatch.undo()
    return got


def test_frames_sent_without_copying_are_the_frames_manim_sends(tmp_path, monkeypatch):
    ours, manims = _sent(True, tmp_path, monkeypatch), _sent(False, tmp_path, monkeypatch)
    assert len(ours) == len(manims) > 20
    assert any(repeat > 1 for _, repeat in ours)          # the held frame went through too
    assert ours == manims


def test_a_stop_waits_until_an_encoder_job_is_recorded():
    """SIGTERM (or Ctrl-C) inside the held steps is handled when they end, by the handler it would have met."""
    import os
    import signal

    calls = []

    def stop(signum, frame):
        calls.append(signum)
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, stop)
    try:
        steps = []
        with pytest.raises(KeyboardInterrupt):
            with encoder.stops_held():
                os.kill(os.getpid(), signal.SIGTERM)
                steps.append("thread started")          # a stop here would have orphaned the thread
                steps.append("job recorded")
        assert steps == ["thread started", "job recorded"] and calls == [signal.SIGTERM]
        assert signal.getsignal(signal.SIGTERM) is stop
        with encoder.stops_held():                      # nothing held: nothing raised afterwards
            pass
        assert calls == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, before)


def test_one_encoder_process_serves_render_after_render():
    """A lecture worker renders scene after scene with one encoder process; bigger frames or a failed
    render end it (and wait for it)."""
    first = encoder.shared_process(W * H * 4)
    try:
        assert encoder.shared_process(W * H * 4) is first
        assert encoder.shared_process(320 * 180 * 4) is first            # smaller frames fit its slots
        bigger = encoder.shared_process(1920 * 1080 * 4)
        assert bigger is not first and first.proc.returncode == 0
        encoder.close_shared()
        assert bigger.proc.returncode == 0 and encoder.shared_process(W * H * 4) is not bigger
    finally:
        encoder.close_shared()


def test_a_forked_process_starts_its_own_encoder_process():
    """A split render's workers are forked from a process that may already have an encoder process."""
    import multiprocessing

    mine = encoder.shared_process(W * H * 4)
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            theirs = pool.apply_async(_encoder_pid_in_child).get(timeout=60)
        assert theirs != mine.proc.pid
        assert mine.proc.poll() is None and encoder.shared_process(W * H * 4) is mine
    finally:
        encoder.close_shared()


def _encoder_pid_in_child() -> int:
    process = encoder.shared_process(W * H * 4)
    pid = process.proc.pid
    encoder.close_shared()
    return pid
