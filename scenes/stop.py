"""A stop asked of the renders of this process, checked at every animation.

A stop signal raises KeyboardInterrupt wherever the main thread happens to be; a library that swallows
it there (a clean-up block that catches everything, a callback whose errors are only printed) would let
the render run on to its end. A lecture worker's signal handler also sets :data:`requested`, and every
GateLab scene calls :func:`check` before each animation, so such a render still stops at its next one.
:func:`stops_held` defers a stop while a block that must finish runs (Manim's encoder hand-over, a
failed render's clean-up: a second stop there would leave its movies behind). Only the standard library
is imported here: a signal handler may use this module before Manim is loaded.
"""
from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager

requested = threading.Event()


def check() -> None:
    """Raise KeyboardInterrupt when a stop was asked (the render unwinds and removes what it wrote)."""
    if requested.is_set():
        raise KeyboardInterrupt("stop requested")


@contextmanager
def stops_held():
    """SIGINT and SIGTERM wait until the block is over (main thread; elsewhere, nothing changes).

    Manim starts an animation's encoder thread and only then records it, and marks a movie sealed
    before it queues the end marker: a stop (KeyboardInterrupt) between the two leaves a thread that
    waits for frames forever, and a process that cannot exit. Those steps run with stops held; a stop
    that came meanwhile is handled as soon as they are done, by the handler it would have met.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler is not None:                     # None: set outside Python, left alone
            previous[signum] = handler
            signal.signal(signum, lambda got, frame: held.append(got))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if held:
            handler = previous[held[0]]
            if callable(handler):
                handler(held[0], None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), held[0])
