"""The video encoder process: encodes the frames a render draws, on a core of its own.

Started by :class:`gatelab.scenes.encoder.EncoderProcess` as ``python encoder_process.py FD SLOT_BYTES SLOTS``
(by path: it imports only the standard library, numpy and PyAV, so it is ready before Manim is). Frames
arrive in a shared memory file (``FD``, ``SLOTS`` frames of ``SLOT_BYTES``); requests arrive on stdin and
replies leave on stdout as length-prefixed pickles between the two halves of GateLab (never a user's file):

    ("open", segment, target, container_format, codec, pixel_format, width, height, rate, options)
    ("frame", segment, slot, repeat)      -> ("free", slot) once the slot has been copied
    ("finish", segment) / ("abort", segment)   -> ("done", segment, error or None)

Each segment is encoded exactly as Manim's ``VideoSegmentEncoder`` with GateLab's ``SegmentEncoder``
hand-over does it in a thread (the same container, stream options, pixel conversion and timestamps), so
the files are the same. An error is reported once, with the segment's ``done``; later requests for that
segment are ignored. On end of input (the render finished, failed, or was killed) every segment still
open is closed and its file removed.
"""
from __future__ import annotations

import mmap
import os
import pickle
import signal
import struct
import sys
from contextlib import suppress
from fractions import Fraction

HEADER = struct.Struct("<I")


def write_message(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def read_message(stream):
    """The next message, or None at end of input."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    data = stream.read(HEADER.unpack(head)[0])
    return pickle.loads(data)


def encode(stream, container, pixels, width: int, height: int, repeat: int, pts: int, time_base, release=None) -> int:
    """Encode one RGBA frame ``repeat`` times from timestamp ``pts`` (returns the next one): copied once into
    a PyAV frame (``release()`` then, if given), converted once with the reformatter call of PyAV's own
    ``encode``, so the packets are Manim's."""
    import av
    import numpy as np

    frame = av.VideoFrame(width, height, "rgba")
    plane = frame.planes[0]
    rows = np.frombuffer(plane, np.uint8).reshape(height, plane.line_size)
    np.copyto(rows[:, :4 * width], pixels.reshape(height, 4 * width))
    if release is not None:
        release()
    context = stream.codec_context
    if frame.format.name != context.pix_fmt:
        frame = frame.reformat(context.width, context.height, context.pix_fmt, threads=context.thread_count)
    for _ in range(repeat):
        frame.pts = pts
        frame.time_base = time_base
        pts += 1
        for packet in stream.encode(frame):
            container.mux(packet)
    return pts


class Segment:
    def __init__(self, target, container_format, codec, pixel_format, width, height, rate, options) -> None:
        import av

        self.target, self.width, self.height = target, width, height
        self.time_base = Fraction(rate.denominator, rate.numerator)
        self.next_pts = 0
        self.closed = False
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        self.container = av.open(target, mode="w", format=container_format)
        try:
            self.stream = self.container.add_stream(codec, rate=rate, options=dict(options))
            self.stream.pix_fmt = pixel_format
            self.stream.width = width
            self.stream.height = height
        except BaseException:
            self.abort()
            raise

    def frame(self, pixels, repeat: int, release) -> None:
        self.next_pts = encode(self.stream, self.container, pixels, self.width, self.height, repeat,
                               self.next_pts, self.time_base, release)

    def finish(self) -> None:
        self.closed = True
        try:
            for packet in self.stream.encode():
                self.container.mux(packet)
        finally:
            self.container.close()

    def abort(self) -> None:
        if not self.closed:
            self.closed = True
            with suppress(Exception):
                self.container.close()
        with suppress(OSError):
            os.unlink(self.target)


class Release:
    """Tells the render that a frame slot may be drawn into again (once)."""

    def __init__(self, replies, slot: int) -> None:
        self.replies, self.slot, self.done = replies, slot, False

    def __call__(self) -> None:
        if not self.done:
            self.done = True
            write_message(self.replies, ("free", self.slot))


def serve(requests, replies, memory, slot_bytes: int) -> None:
    import numpy as np

    segments: dict = {}
    failed: dict = {}

    def fail(segment, error) -> None:
        seg = segments.pop(segment, None)
        if seg is not None:
            seg.abort()
        failed[segment] = f"{type(error).__name__}: {error}"

    try:
        while (message := read_message(requests)) is not None:
            kind, segment = message[0], message[1]
            if kind == "frame":
                slot, repeat = message[2], message[3]
                release = Release(replies, slot)
                seg = segments.get(segment)
                try:
                    if seg is not None:
                        size = seg.width * seg.height * 4
                        seg.frame(np.frombuffer(memory, np.uint8, size, slot * slot_bytes), repeat, release)
                except Exception as error:
                    fail(segment, error)
                finally:
                    release()
            elif kind == "open":
                try:
                    segments[segment] = Segment(*message[2:])
                except Exception as error:
                    fail(segment, error)
            elif kind == "finish":
                seg = segments.pop(segment, None)
                try:
                    if seg is not None:
                        seg.finish()
                except Exception as error:
                    failed[segment] = f"{type(error).__name__}: {error}"
                write_message(replies, ("done", segment, failed.pop(segment, None)))
            elif kind == "abort":
                seg = segments.pop(segment, None)
                if seg is not None:
                    seg.abort()
                failed.pop(segment, None)
                write_message(replies, ("done", segment, None))
    finally:
        for seg in segments.values():
            seg.abort()


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # the render decides what stops; end of input ends this
    fd, slot_bytes, slots = (int(a) for a in argv)
    memory = mmap.mmap(fd, slot_bytes * slots)
    try:
        serve(sys.stdin.buffer, sys.stdout.buffer, memory, slot_bytes)
    except (BrokenPipeError, KeyboardInterrupt):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
