"""What a worker does with one job: compute its traces, work out its keys, render what changed.

:func:`run` is the function every executor calls (a local process pool, or a Dask worker on another
machine): it takes a :class:`Task` (plain picklable data) and returns a :class:`Result`. It never
writes a final output or a cache record; the building process moves finished files into place
atomically and records their keys, so a worker stopped at any moment leaves nothing behind but its
own scratch directory, which the builder removes.

Traces are computed once per job: the views' own ``registry.resolve`` calls inside the render are
answered from the traces this task already computed (a per-thread memo that exists only while a
task runs; outside a task ``resolve`` behaves exactly as before).
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from gatelab.engines import registry
from gatelab.scenes import stop

from . import cache
from .spec import Job


@dataclass(frozen=True)
class Task:
    job: Job
    formats: tuple[str, ...]               # the formats to bring up to date
    previous: dict[str, str]               # fmt -> key of the file already in place (intact)
    code: str                              # cache.view_hash(job), computed by the builder
    env: dict[str, str]                    # cache.environment(...), computed by the builder
    scratch: str | None = None             # a directory on the output's file system (local pool), else None
    media_dir: str | None = None           # where Manim's per-animation movies are kept (None: the user's cache)


@dataclass
class Result:
    traces: dict[str, dict[str, Any]]      # label -> {"digest", "provenance", "options"}
    keys: dict[str, str]                   # fmt -> key
    files: dict[str, Any] = field(default_factory=dict)    # fmt -> path in scratch (local) or bytes (remote)
    frames: int | None = None              # video frames rendered, when known
    seconds: float = 0.0
    stopped: bool = False


# --------------------------------------------------------------------------- traces, computed once per task

_local = threading.local()
_original_resolve = registry.resolve


def _resolve(needs, source=registry.Source(), options=None):
    memo = getattr(_local, "memo", None)
    if memo is None:
        return _original_resolve(needs, source, options)
    k = repr((sorted(needs.items()), source, sorted((options or {}).items())))
    if k not in memo:
        memo[k] = _original_resolve(needs, source, options)
    return memo[k]


def _install_memo() -> None:
    if registry.resolve is not _resolve:
        registry.resolve = _resolve


def traces(job: Job) -> dict[str, registry.Computed]:
    """The traces ``job``'s view draws, resolved exactly as the view's own command resolves them."""
    from .spec import catalogue

    entry = catalogue(job.kind).get(job.view)
    if job.kind == "diagram":
        from gatelab.diagrams import api as dapi

        eng, view = dapi.split_options(job.view, entry.model, dict(job.options))
        return registry.resolve(entry.traces(job.source, eng, view), job.source, eng)
    if job.kind == "scene":
        from gatelab.scenes import api as sapi

        eng, view = sapi.split_options(job.view, dict(job.options))
        got = sapi.compute(entry, job.source, eng, view)
        return got if isinstance(got, dict) else {"": got}
    eng = dict(job.options)
    return registry.resolve(entry.traces(job.source, eng, {}), job.source, eng)


def describe(computed: dict[str, registry.Computed]) -> dict[str, dict[str, Any]]:
    """What of each trace goes into the key: its digest, provenance and options (as plain JSON)."""
    import json

    info = {label: {"digest": c.trace.digest(), "model": c.model, "provenance": c.provenance, "options": c.options}
            for label, c in computed.items()}
    return json.loads(json.dumps(info, sort_keys=True, default=str))


# --------------------------------------------------------------------------- rendering one file

def _render(job: Job, fmt: str, target: str, media_dir: str | None) -> str:
    if job.kind == "diagram":
        from gatelab.diagrams import api as dapi

        dapi.render(job.view, source=job.source, options=dict(job.options), theme=job.theme, values=job.values,
                    digits=job.digits, formats=(fmt,), output=target)
        return target
    if job.kind == "scene":
        from gatelab.scenes import api as sapi

        return sapi.render(job.view, source=job.source, options=dict(job.options), quality=job.quality or "l", fmt=fmt,
                           output=target, theme=job.theme, tex=job.tex, progress=False, cache_dir=media_dir)
    import importlib

    from .spec import catalogue

    entry = catalogue("plot").get(job.view)
    (computed,) = traces(job).values()
    prov = computed.provenance
    title = prov.get("preset") or os.path.basename(str(prov.get("weights", ""))) or ""
    mod = importlib.import_module(entry.module)
    return mod.save(getattr(mod, entry.attr)(computed.trace, title), target)


def _frames(path: str) -> int | None:
    try:
        import av

        with av.open(path) as c:
            n = c.streams.video[0].frames
        return int(n) or None
    except Exception:  # noqa: BLE001 - a count we cannot read is simply unknown
        return None


# --------------------------------------------------------------------------- the task

_stopping = stop.requested             # also seen by every scene before each animation (scenes/stop.py)


def _check_env(env: dict[str, str]) -> None:
    from gatelab.engines.errors import InputError

    here = cache.environment({k for k, v in (("diagram", "dot"), ("scene", "manim"), ("plot", "matplotlib")) if v in env})
    for k, v in env.items():
        if here.get(k) != v:
            raise InputError(f"this worker has {k} {here.get(k)!r} but the build uses {v!r}; "
                             f"install the same versions on every machine of the cluster")


def run(task: Task) -> Result:
    """Bring the task's files up to date; returns their keys and the finished files (not yet in place)."""
    t0 = time.perf_counter()
    if _stopping.is_set():
        return Result({}, {}, stopped=True)
    _busy.set()
    try:
        return _run(task, t0)
    except KeyboardInterrupt:
        if _stopping.is_set() and _in_pool:
            os._exit(0)                          # the render has unwound (its temporary files are gone): leave
        raise
    finally:
        _busy.clear()


def _run(task: Task, t0: float) -> Result:
    _check_env(task.env)
    _install_memo()
    _local.memo = {}
    job = task.job
    scratch = tempfile.mkdtemp(prefix=f"{job.name}-", dir=task.scratch) if task.scratch else tempfile.mkdtemp(prefix="gatelab-")
    try:
        info = describe(traces(job))
        keys = {f: cache.output_key(job, f, info, task.code, task.env) for f in task.formats}
        res = Result(info, keys)
        for fmt in task.formats:
            if keys[fmt] == task.previous.get(fmt):
                continue                            # same trace and code: the file in place is still right
            path = _render(job, fmt, os.path.join(scratch, f"{job.name}.{fmt}"), task.media_dir)
            n = _frames(path) if fmt in ("mp4", "webm", "gif") else None
            if n:
                res.frames = (res.frames or 0) + n
            if task.scratch:
                res.files[fmt] = path
            else:
                with open(path, "rb") as fh:
                    res.files[fmt] = fh.read()
        res.seconds = time.perf_counter() - t0
        return res
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    finally:
        _local.memo = None
        if not task.scratch:
            shutil.rmtree(scratch, ignore_errors=True)


# --------------------------------------------------------------------------- local worker processes

_busy = threading.Event()
_in_pool = False


def _on_term(signum, frame) -> None:
    _stopping.set()
    if not _busy.is_set():
        os._exit(0)                              # idle: nothing to clean up
    raise KeyboardInterrupt


def redeliver_stops(stop: type[BaseException], signum: int) -> None:
    """Make a stop raised by a signal handler survive landing in a callback that cannot raise.

    A handler's exception that hits a weakref callback or a ``__del__`` (a garbage-collected thread's
    ``WeakSet`` entry, say) is printed as "Exception ignored" and lost, and the process would go on.
    This hook keeps it quiet and sends the signal again a moment later, from a timer thread (sent from
    inside the hook, the handler would run, and raise, inside the hook again).
    """
    previous = sys.unraisablehook

    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, stop):
            again = threading.Timer(0.02, os.kill, (os.getpid(), getattr(unraisable.exc_value, "signum", signum)))
            again.daemon = True
            again.start()
            return
        previous(unraisable)

    sys.unraisablehook = hook


def init_process() -> None:
    """Initializer of local worker processes: SIGTERM unwinds the current render (its ``finally`` blocks remove
    its temporary files) and makes the remaining tasks return at once."""
    global _in_pool
    _in_pool = True
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    redeliver_stops(KeyboardInterrupt, signal.SIGTERM)
