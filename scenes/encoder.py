"""Per-animation video encoding: Manim's segment encoder, each drawn frame copied and converted once.

Manim encodes every animation on a thread of its own while the scene draws the next frames. Its
encoder turns each RGBA frame into a PyAV frame with ``VideoFrame.from_ndarray``, which copies the
1.6 MB frame twice (``tobytes``, then line by line) while holding the GIL: about 2 ms per 480p frame
that the drawing thread waits out. A held frame (a ``wait``: one image repeated for seconds) is
copied and converted to the stream's pixel format once per repeat.

:class:`SegmentEncoder` copies the frame into the PyAV frame's plane with numpy (one copy, the GIL
released), converts it once with the same reformatter call as PyAV's own ``encode`` (so the encoder
receives the same pixels and writes the same packets as Manim's; tested), and sends the converted
frame ``repeat`` times with consecutive timestamps (the codec copies a frame's pixels when it takes it).

:func:`hand_over` saves the drawing thread a copy per frame too: Manim copies the camera's pixels for
every frame it sends to the encoder (the camera then draws the next frame over its own array). Here the
camera's array itself is sent, and the camera draws the next frame in another array: one the encoder
has finished with (a :class:`FramePool`), or a new one. The pixels sent are the same.
"""
from __future__ import annotations

import threading
import weakref
from collections import deque
from fractions import Fraction

import av
import numpy as np
from manim.scene.video_segment_encoder import VideoSegmentEncoder


class FramePool:
    """Frame arrays the encoder has finished with, for the camera to draw the next frames in."""

    def __init__(self, keep: int = 8) -> None:
        self.free: deque = deque()
        self.keep = keep
        self.handed: weakref.WeakValueDictionary = weakref.WeakValueDictionary()   # arrays the camera gave away
        self.lock = threading.Lock()

    def give(self, array) -> None:
        """The encoder is done with ``array``: keep it for drawing if the camera gave it away."""
        with self.lock:
            if self.handed.pop(id(array), None) is array and len(self.free) < self.keep:
                self.free.append(array)

    def take(self, like):
        with self.lock:
            if self.free:
                return self.free.pop()
        return np.empty_like(like)


class SegmentEncoder(VideoSegmentEncoder):
    """Manim's :class:`VideoSegmentEncoder` with a cheaper frame hand-over (same packets)."""

    pool: FramePool | None = None

    def write_frame(self, pixels, *, repeat: int = 1) -> None:
        self._validate_frame(pixels, repeat)
        time_base = Fraction(self.spec.frame_rate.denominator, self.spec.frame_rate.numerator)
        stream = self._stream
        try:
            height, width = pixels.shape[:2]
            frame = av.VideoFrame(width, height, "rgba")
            plane = frame.planes[0]
            rows = np.frombuffer(plane, np.uint8).reshape(height, plane.line_size)
            np.copyto(rows[:, :4 * width], pixels.reshape(height, 4 * width))
            if self.pool is not None:
                self.pool.give(pixels)           # copied: the camera may draw in it again
            if frame.format.name != stream.codec_context.pix_fmt:
                frame = frame.reformat(stream.codec_context.width, stream.codec_context.height,
                                       stream.codec_context.pix_fmt, threads=stream.codec_context.thread_count)
            for _ in range(repeat):
                frame.pts = self._next_pts
                frame.time_base = time_base
                self._next_pts += 1
                for packet in stream.encode(frame):
                    self._container.mux(packet)
        except BaseException as error:
            raise self._operation_error("encode", error) from error


def install(renderer) -> None:
    """Make ``renderer`` (one scene's Cairo renderer) send its frames without copying them, and its file
    writer encode them with :class:`SegmentEncoder`."""
    file_writer = getattr(renderer, "file_writer", None)
    make = getattr(file_writer, "_create_segment_encoder", None)
    camera = getattr(renderer, "camera", None)
    if make is None or not hasattr(camera, "pixel_array_to_cairo_context"):
        return
    pool = FramePool()

    def create(target):
        spec = file_writer.video_encoder
        if spec is None:
            return make(target)
        encoder = SegmentEncoder(target=target, spec=spec)
        encoder.pool = pool
        return encoder

    file_writer._create_segment_encoder = create
    hand_over(renderer, pool)


def hand_over(renderer, pool: FramePool) -> None:
    """``renderer.get_frame()`` returns the camera's array itself; the next draw starts in another array.

    Every write to the camera's array goes through ``update_frame`` (which first paints the background
    or the static layer over the whole array), so swapping arrays there is enough: a frame, once given,
    is never drawn on again, and reading the camera between draws still sees the last frame.
    """
    camera = renderer.camera
    draw = renderer.update_frame
    given = [False]              # the camera's current array has been given away since it was last drawn on

    def get_frame():
        frame = camera.pixel_array
        if not given[0]:
            given[0] = True
            with pool.lock:
                pool.handed[id(frame)] = frame
        return frame

    def update_frame(scene, *args, **kwargs):
        if given[0]:
            camera.pixel_array_to_cairo_context.pop(id(camera.pixel_array), None)   # its context dies with it
            camera.pixel_array = pool.take(camera.pixel_array)
            given[0] = False
        return draw(scene, *args, **kwargs)

    renderer.get_frame = get_frame
    renderer.update_frame = update_frame
