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
"""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
from manim.scene.video_segment_encoder import VideoSegmentEncoder


class SegmentEncoder(VideoSegmentEncoder):
    """Manim's :class:`VideoSegmentEncoder` with a cheaper frame hand-over (same packets)."""

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


def install(file_writer) -> None:
    """Make ``file_writer`` (one scene's SceneFileWriter) encode its animations with :class:`SegmentEncoder`."""
    make = getattr(file_writer, "_create_segment_encoder", None)
    if make is None:
        return

    def create(target):
        spec = file_writer.video_encoder
        if spec is None:
            return make(target)
        return SegmentEncoder(target=target, spec=spec)

    file_writer._create_segment_encoder = create
