"""A stop asked of the renders of this process, checked at every animation.

A stop signal raises KeyboardInterrupt wherever the main thread happens to be; a library that swallows
it there (a clean-up block that catches everything, a callback whose errors are only printed) would let
the render run on to its end. A lecture worker's signal handler also sets :data:`requested`, and every
GateLab scene calls :func:`check` before each animation, so such a render still stops at its next one.
Only the standard library is imported here: a signal handler may use this module before Manim is loaded.
"""
from __future__ import annotations

import threading

requested = threading.Event()


def check() -> None:
    """Raise KeyboardInterrupt when a stop was asked (the render unwinds and removes what it wrote)."""
    if requested.is_set():
        raise KeyboardInterrupt("stop requested")
