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
from gatelab.scenes.encoder import SegmentEncoder

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


def _encode(cls, spec: VideoEncoderSpec, frames, path) -> bytes:
    enc = cls(target=path, spec=spec)
    for i, a in enumerate(frames):
        enc.write_frame(a, repeat=5 if i % 6 == 0 else 1)      # held frames too, as a wait sends them
    enc.finish()
    return path.read_bytes()


@pytest.mark.parametrize("quality", ["l", "h"])
def test_same_packets_as_manims_encoder(tmp_path, quality):
    frames = _frames(12)
    if quality == "h":
        frames = [np.ascontiguousarray(np.pad(a, ((0, 600), (0, 1066), (0, 0)), mode="edge")) for a in frames]
    spec = _spec(quality)
    ours = _encode(SegmentEncoder, spec, frames, tmp_path / "ours.mp4")
    theirs = _encode(VideoSegmentEncoder, spec, frames, tmp_path / "theirs.mp4")
    assert ours == theirs


def test_webm_decodes_to_the_same_frames(tmp_path):
    """VP9 files are not byte-reproducible (not even Manim's own twice); their decoded frames are equal."""
    spec = VideoEncoderSpec("webm", "libvpx-vp9", "yuv420p", W, H, Fraction(15), ())
    decoded = []
    for cls in (SegmentEncoder, VideoSegmentEncoder):
        path = tmp_path / f"{cls.__name__}.webm"
        _encode(cls, spec, _frames(8), path)
        with av.open(str(path)) as c:
            decoded.append([f.to_ndarray(format="yuv420p") for f in c.decode(video=0)])
    assert len(decoded[0]) == len(decoded[1]) == 8 + 2 * 4
    assert all(np.array_equal(a, b) for a, b in zip(*decoded))


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
    for cls in (SegmentEncoder, VideoSegmentEncoder):
        write = cls.__dict__["write_frame"]

        def record(self, pixels, *, repeat=1, _write=write):
            got.append((hashlib.sha256(pixels.tobytes()).hexdigest(), repeat))
            return _write(self, pixels, repeat=repeat)

        monkeypatch.setattr(cls, "write_frame", record)
    scene = type("P", (_Plain,), {"ours": ours})
    with tempconfig({"pixel_width": 320, "pixel_height": 180, "frame_rate": 15, "progress_bar": "none",
                     "verbosity": "WARNING", "disable_caching": True, "preview": False, "format": "mp4",
                     "media_dir": str(tmp_path / f"m{ours}")}):
        scene().render()
    monkeypatch.undo()
    return got


def test_frames_sent_without_copying_are_the_frames_manim_sends(tmp_path, monkeypatch):
    ours, manims = _sent(True, tmp_path, monkeypatch), _sent(False, tmp_path, monkeypatch)
    assert len(ours) == len(manims) > 20
    assert any(repeat > 1 for _, repeat in ours)          # the held frame went through too
    assert ours == manims
