"""Per-animation video encoding: in a process of its own, each drawn frame copied and converted once.

Manim encodes every animation on a thread of its own while the scene draws the next frames. Its
encoder turns each RGBA frame into a PyAV frame with ``VideoFrame.from_ndarray``, which copies the
1.6 MB frame twice (``tobytes``, then line by line) while holding the GIL, and each frame's PyAV calls
take and hand back the GIL several times: the drawing thread waits at every hand-over. A held frame
(a ``wait``: one image repeated for seconds) is copied and converted to the stream's pixel format once
per repeat.

:class:`EncoderProcess` encodes a render's movies in a process of its own
(:mod:`gatelab.scenes.encoder_process`); :class:`ProcessSegmentEncoder` stands in for Manim's encoder
of one movie: it copies each frame into a shared-memory slot and sends one short request. The process
converts a frame once with the same reformatter call as PyAV's own ``encode`` (so the encoder receives
the same pixels and writes the same packets as Manim's; tested) and sends it ``repeat`` times with
consecutive timestamps. :class:`SegmentEncoder` does the same in the animation's thread, where no
process can be started.

:func:`hand_over` saves the drawing thread a copy per frame too: Manim copies the camera's pixels for
every frame it sends to the encoder (the camera then draws the next frame over its own array). Here the
camera's array itself is sent, and the camera draws the next frame in another array: one the encoder
has finished with (a :class:`FramePool`), or a new one. The pixels sent are the same.
"""
from __future__ import annotations

import atexit
import itertools
import mmap
import os
import queue
import subprocess
import sys
import threading
import weakref
from collections import deque
from fractions import Fraction
from pathlib import Path

import numpy as np
from manim.scene.video_segment_encoder import VideoSegmentEncoder

from . import encoder_process
from .stop import stops_held

FRAME_MEMORY = 160 * 2**20     # shared frame slots of an encoder process: 32 at 480p, 19 at 1080p, 4 at 4K
MAX_SLOTS = 32


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

    def _release(self, pixels):
        """After the copy: the camera may draw in ``pixels`` again."""
        return None if self.pool is None else (lambda: self.pool.give(pixels))

    def write_frame(self, pixels, *, repeat: int = 1) -> None:
        self._validate_frame(pixels, repeat)
        time_base = Fraction(self.spec.frame_rate.denominator, self.spec.frame_rate.numerator)
        try:
            height, width = pixels.shape[:2]
            self._next_pts = encoder_process.encode(self._stream, self._container, pixels, width, height, repeat,
                                                    self._next_pts, time_base, release=self._release(pixels))
        except BaseException as error:
            raise self._operation_error("encode", error) from error


class EncoderProcess:
    """A process of its own that encodes a render's frames (:mod:`gatelab.scenes.encoder_process`).

    Encoding in a thread of the render (as Manim does) costs the drawing thread more than the encoding
    itself: each frame's PyAV calls take and hand back the GIL several times, and the drawing thread
    waits at every hand-over (an ``-ql`` render drew 20-40% slower with its encoders running than
    without). Here a frame crosses to the encoder through shared memory: the segment's thread copies
    it into a free slot (numpy, without the GIL) and sends one short request.
    """

    def __init__(self, slot_bytes: int, slots: int) -> None:
        fd = os.memfd_create("gatelab-frames")
        try:
            os.ftruncate(fd, slot_bytes * slots)
            self.memory = mmap.mmap(fd, slot_bytes * slots)
            self.proc = subprocess.Popen(
                [sys.executable, encoder_process.__file__, str(fd), str(slot_bytes), str(slots)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=(fd,))
        finally:
            os.close(fd)
        self.slot_bytes = slot_bytes
        self.owner = os.getpid()
        self.free: queue.SimpleQueue = queue.SimpleQueue()
        for k in range(slots):
            self.free.put(k)
        self.send_lock = threading.Lock()
        self.waiting: dict[int, tuple[threading.Event, list]] = {}
        self.stopped: str | None = None
        self.segments = itertools.count()
        self.reader = threading.Thread(target=self._read, name="gatelab-encoder-replies", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            while (message := encoder_process.read_message(self.proc.stdout)) is not None:
                if message[0] == "free":
                    self.free.put(message[1])
                else:
                    event, reply = self.waiting.pop(message[1])
                    reply.append(message[2])
                    event.set()
        except (OSError, EOFError, ValueError):
            pass
        finally:
            self.stopped = self.stopped or f"the video encoder process stopped (exit code {self.proc.poll()})"
            for event, _ in list(self.waiting.values()):
                event.set()
            self.free.put(None)

    def send(self, message) -> None:
        if self.stopped:
            raise RuntimeError(self.stopped)
        try:
            with self.send_lock:
                encoder_process.write_message(self.proc.stdin, message)
        except (BrokenPipeError, ValueError) as error:
            raise RuntimeError(self.stopped or f"the video encoder process stopped ({error})") from None

    def request(self, message):
        """Send ``message`` and wait for its segment's ``done``; returns the error text or None."""
        event, reply = self.waiting.setdefault(message[1], (threading.Event(), []))
        self.send(message)
        event.wait()
        if not reply:
            raise RuntimeError(self.stopped)
        return reply[0]

    def slot(self) -> int:
        k = self.free.get()
        if k is None:
            self.free.put(None)
            raise RuntimeError(self.stopped)
        return k

    def view(self, k: int, shape) -> np.ndarray:
        return np.frombuffer(self.memory, np.uint8, int(np.prod(shape)), k * self.slot_bytes).reshape(shape)

    def close(self) -> None:
        """End the process (it closes and removes any segment still open) and wait for it."""
        if os.getpid() != self.owner:          # a forked copy: the process and its reader are the parent's
            return
        self.stopped = self.stopped or "the video encoder process was closed"
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join()
        self.proc.stdout.close()
        try:
            self.memory.close()
        except BufferError:          # a frame view is still alive: the mapping goes with it
            pass


class ProcessSegmentEncoder(SegmentEncoder):
    """One animation's movie, encoded by the render's :class:`EncoderProcess` (the same file as
    :class:`SegmentEncoder` writes)."""

    def __init__(self, *, target: Path, spec, process: EncoderProcess, pool: FramePool) -> None:
        self.target, self.spec, self.process, self.pool = Path(target), spec, process, pool
        self._closed = False
        self.segment = next(process.segments)
        process.send(("open", self.segment, str(self.target), spec.container_format, spec.codec,
                      spec.pixel_format, spec.width, spec.height, spec.frame_rate, tuple(spec.options)))

    def write_frame(self, pixels, *, repeat: int = 1) -> None:
        self._validate_frame(pixels, repeat)
        try:
            k = self.process.slot()
            np.copyto(self.process.view(k, pixels.shape), pixels)
            self.pool.give(pixels)
            self.process.send(("frame", self.segment, k, repeat))
        except BaseException as error:
            raise self._operation_error("encode", error) from error

    def finish(self) -> None:
        if self._closed:
            return
        self._closed = True
        error = self.process.request(("finish", self.segment))
        if error is not None:
            raise self._operation_error("encode", RuntimeError(error))

    def abort(self) -> None:
        self._closed = True
        try:
            self.process.request(("abort", self.segment))
        except RuntimeError:
            pass                       # the process has stopped: it holds nothing open any more
        finally:
            self.target.unlink(missing_ok=True)


_SHARED: list[EncoderProcess] = []       # the encoder process of this process's renders (at most one)


def shared_process(frame_bytes: int) -> EncoderProcess | None:
    """The encoder process for frames of ``frame_bytes``: the running one when its slots are big enough
    and it is alive (a lecture build's worker renders scene after scene with one), else a new one; None
    where no process can be started (the movies are then encoded in threads)."""
    if _SHARED:
        process = _SHARED[0]
        if process.slot_bytes >= frame_bytes and not process.stopped and process.proc.poll() is None:
            return process
        close_shared()
    if not hasattr(os, "memfd_create"):
        return None
    try:
        process = EncoderProcess(frame_bytes, max(2, min(MAX_SLOTS, FRAME_MEMORY // frame_bytes)))
    except OSError:
        return None
    _SHARED.append(process)
    return process


def close_shared() -> None:
    """End the encoder process (it closes and removes any movie still open) and wait for it."""
    while _SHARED:
        _SHARED.pop().close()


atexit.register(close_shared)
# A forked process (a split render's worker) has its own renders: it starts its own encoder process and
# leaves its parent's alone (the parent's threads and pipes to it are not its own).
os.register_at_fork(after_in_child=_SHARED.clear)


def _holding_stops(function):
    def run(*args, **kwargs):
        with stops_held():
            return function(*args, **kwargs)
    return run


def install(renderer) -> None:
    """Make ``renderer`` (one scene's Cairo renderer) send its frames without copying them, and its file
    writer encode them in the :class:`EncoderProcess` of :func:`shared_process` (:class:`SegmentEncoder`
    in a thread where a process cannot be started)."""
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
        process = shared_process(spec.width * spec.height * 4)
        if process is not None:
            return ProcessSegmentEncoder(target=target, spec=spec, process=process, pool=pool)
        encoder = SegmentEncoder(target=target, spec=spec)
        encoder.pool = pool
        return encoder

    file_writer._create_segment_encoder = create
    opened = file_writer.open_partial_movie_stream

    def open_partial_movie_stream(*args, **kwargs):
        with stops_held():
            opened(*args, **kwargs)
            job = file_writer._current_encode_job
            if job is not None:
                job.seal = _holding_stops(job.seal)

    file_writer.open_partial_movie_stream = open_partial_movie_stream
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
