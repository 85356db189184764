"""Build a lecture: every job checked against its cache record, the rest rendered by workers.

Order of work:

1. the lecture file was checked by :mod:`.spec` (nothing rendered yet);
2. each output's record (``OUT/.gatelab-cache``) is compared with its key; outputs whose traces'
   inputs did not change are decided here without running an engine (a rebuild costs file reads);
3. the other jobs are locked (one ``fcntl.flock`` per job, so two builds into one directory never
   render the same output at once; the second finds it cached) and sent to the executor
   (``ProcessPoolExecutor`` or a Dask cluster); workers return finished files, which this process
   moves into place with ``os.replace`` (or writes atomically) and then records;
4. SIGINT/SIGTERM: pending jobs are cancelled, the workers are told to stop (their renders unwind and
   remove their own temporary files), the build's scratch directory is removed; no partial file is
   ever at an output path.

One failing job never stops the others: it is reported in the summary with its one-line reason.
"""
from __future__ import annotations

import concurrent.futures as cf
import fcntl
import json
import multiprocessing
import os
import shutil
import signal
import sys
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any, Callable

from gatelab.engines.errors import GateLabError, InputError

from . import cache
from .spec import Job, Lecture
from .worker import Result, Task


@dataclass
class Outcome:
    """What happened to one job: ``status`` is cached, rendered, failed or stopped."""
    job: Job
    status: str
    files: list[tuple[str, int]]            # (path, size in bytes)
    seconds: float = 0.0
    why: str = ""
    frames: int | None = None


class Interrupted(BaseException):
    """SIGTERM (or SIGINT) reached the building process."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def one_line(e: BaseException) -> str:
    msg = str(e).strip().splitlines()
    if isinstance(e, GateLabError) and msg:
        return msg[0]
    return f"{type(e).__name__}: {msg[0]}" if msg else type(e).__name__


# --------------------------------------------------------------------------- locks and scratch space

def _try_lock(path: str) -> int | None:
    """An exclusive lock on ``path`` (created if needed), or None when another build holds it."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)                           # closing the descriptor releases the flock


def _sweep_dead_builds(tmp_root: str) -> None:
    """Remove scratch directories of builds that died without cleaning up (their lock is free)."""
    try:
        names = os.listdir(tmp_root)
    except OSError:
        return
    for n in names:
        if not n.endswith(".lock"):
            continue
        fd = _try_lock(os.path.join(tmp_root, n))
        if fd is None:
            continue                            # a running build
        try:
            shutil.rmtree(os.path.join(tmp_root, n[:-5]), ignore_errors=True)
            os.unlink(os.path.join(tmp_root, n))
        except OSError:
            pass
        finally:
            _unlock(fd)


# --------------------------------------------------------------------------- the build

class Builder:
    """One build of ``jobs`` into ``out_dir``. ``on_event(kind, job, outcome_or_None)`` feeds the display."""

    def __init__(self, jobs: tuple[Job, ...], out_dir: str, *, workers: int, force: bool = False,
                 executor: str = "local", scheduler: str | None = None,
                 on_event: Callable[[str, Job, Outcome | None], None] = lambda *a: None) -> None:
        self.jobs, self.out, self.workers, self.force = jobs, os.fspath(out_dir), max(1, workers), force
        self.executor_kind, self.scheduler, self.on_event = executor, scheduler, on_event
        self.env = cache.environment({j.kind for j in jobs})
        self.outcomes: dict[int, Outcome] = {}
        self.locks: dict[int, int] = {}
        self.scratch: str | None = None
        self.scratch_lock: int | None = None

    # ------------------------------------------------------------------ cache decisions

    def _cached_formats(self, job: Job) -> tuple[list[str], dict[str, str]]:
        """(formats whose record proves them current, {fmt: key of an intact file} for the others)."""
        current, previous = [], {}
        inputs = cache.inputs_hash(job)
        code = cache.view_hash(job)
        for fmt in job.formats:
            rec = None if self.force else cache.read_record(self.out, job, fmt)
            if rec is None:
                continue
            if rec.get("inputs") == inputs and isinstance(rec.get("traces"), dict) \
                    and cache.output_key(job, fmt, rec["traces"], code, self.env) == rec.get("key"):
                current.append(fmt)
            elif isinstance(rec.get("key"), str):
                previous[fmt] = rec["key"]
        return current, previous

    def _cost(self, job: Job) -> float:
        """Seconds the job is expected to take (its last render's, else a guess by kind): the longest start
        first, so that N workers finish together instead of one rendering the longest scene alone at the end."""
        for fmt in job.formats:
            try:
                with open(cache.record_path(self.out, job, fmt), encoding="utf-8") as fh:
                    return float(json.load(fh).get("seconds", 0.0))
            except (OSError, ValueError, TypeError, AttributeError):
                continue
        return {"scene": 100.0, "plot": 5.0}.get(job.kind, 1.0)

    def _finish_cached(self, i: int, job: Job, t0: float) -> None:
        files = [(p, os.path.getsize(p)) for _, p in job.outputs(self.out)]
        self._done(i, Outcome(job, "cached", files, time.perf_counter() - t0))

    def _done(self, i: int, outcome: Outcome) -> None:
        self.outcomes[i] = outcome
        _unlock(self.locks.pop(i, None))
        self.on_event("done", outcome.job, outcome)

    # ------------------------------------------------------------------ results

    def _place(self, job: Job, fmt: str, payload: Any) -> str:
        """Move a finished file to its output path atomically (same file system: rename; else a copy)."""
        from gatelab.diagrams.export import write_atomic

        final = job.path(self.out, fmt)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        if isinstance(payload, (bytes, bytearray)):
            write_atomic(final, bytes(payload))
            return final
        try:
            os.replace(payload, final)
        except OSError:
            with open(payload, "rb") as fh:
                write_atomic(final, fh.read())
        return final

    def _accept(self, i: int, job: Job, res: Result, t0: float) -> None:
        if res.stopped:
            self._done(i, Outcome(job, "stopped", [], why="stopped before it started"))
            return
        try:
            inputs = cache.inputs_hash(job)
            for fmt in res.keys:                     # the formats this task brought up to date
                if fmt in res.files:
                    self._place(job, fmt, res.files[fmt])
                cache.write_record(self.out, job, fmt, {"inputs": inputs, "key": res.keys[fmt], "traces": res.traces,
                                                        "seconds": round(res.seconds, 3), "format": fmt})
        except OSError as e:
            raise GateLabError(f"cannot write {job.name!r} into {self.out!r}: {e.strerror}") from None
        finally:
            for p in res.files.values():
                if isinstance(p, str):
                    shutil.rmtree(os.path.dirname(p), ignore_errors=True)
        status = "rendered" if res.files else "cached"
        files = [(p, os.path.getsize(p)) for _, p in job.outputs(self.out)]
        self._done(i, Outcome(job, status, files, res.seconds, frames=res.frames))

    # ------------------------------------------------------------------ executor

    def _executor(self) -> cf.Executor:
        if self.executor_kind == "dask":
            try:
                from distributed import Client
            except ImportError:
                raise InputError("--executor dask needs the dask extra: pip install 'gatelab[dask]'") from None
            try:
                import dask

                timeout = dask.config.get("distributed.comm.timeouts.connect", "30s")   # the user's Dask config
                self._client = Client(self.scheduler, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError) as e:
                raise InputError(f"cannot reach the Dask scheduler at {self.scheduler!r}: {one_line(e)}") from None
            return self._client.get_executor(pure=False)
        if self.executor_kind == "thread":            # the Python API only: jobs on threads of this process
            return cf.ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="gatelab-build")
        from .worker import init_process

        return cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=init_process)

    def _make_scratch(self) -> None:
        tmp_root = os.path.join(self.out, cache.CACHE_DIR, "tmp")
        os.makedirs(tmp_root, exist_ok=True)
        _sweep_dead_builds(tmp_root)
        scratch = os.path.join(tmp_root, f"build-{os.getpid()}-{uuid.uuid4().hex[:12]}")
        self.scratch_lock = _try_lock(scratch + ".lock")
        os.mkdir(scratch, 0o700)
        self.scratch = scratch

    def _task(self, job: Job, todo: list[str], previous: dict[str, str]) -> Task:
        media = None
        if job.kind == "scene" and self.executor_kind != "dask":
            media = os.path.join(self.out, cache.CACHE_DIR, "manim")   # one locked folder per scene and quality
        return Task(job, tuple(todo), previous, cache.view_hash(job), self.env,
                    scratch=self.scratch if self.executor_kind != "dask" else None, media_dir=media)

    def _try_start(self, i: int, job: Job, pool: cf.Executor, running: dict) -> bool:
        """Lock the job and submit it (or finish it as cached); False when another build holds its lock."""
        t0 = time.perf_counter()
        try:
            fd = _try_lock(cache.lock_path(self.out, job))
        except OSError as e:
            self._done(i, Outcome(job, "failed", [], why=f"cannot write in {self.out!r}: {e.strerror}"))
            return True
        if fd is None:
            return False
        self.locks[i] = fd
        current, previous = self._cached_formats(job)      # again: another build may just have made it
        todo = [f for f in job.formats if f not in current]
        if not todo:
            self._finish_cached(i, job, t0)
            return True
        try:
            running[pool.submit(_run_task, self._task(job, todo, previous))] = (i, job, t0)
        except Exception as e:  # noqa: BLE001 - a broken pool fails the job, not the build
            self._done(i, Outcome(job, "failed", [], why=one_line(e)))
            return True
        self.on_event("start", job, None)
        return True

    def run(self) -> list[Outcome]:
        """Build every job; returns one Outcome per job in lecture order. Raises Interrupted on SIGINT/SIGTERM."""
        todo: list[tuple[int, Job]] = []
        for i, job in enumerate(self.jobs):
            t0 = time.perf_counter()
            try:
                current, _ = self._cached_formats(job)
            except OSError:
                current = []
            if len(current) == len(job.formats):
                self._finish_cached(i, job, t0)
            else:
                todo.append((i, job))
        if todo:
            self._render(sorted(todo, key=lambda ij: -self._cost(ij[1])))
        return [self.outcomes[i] for i in range(len(self.jobs))]

    def _render(self, todo: list[tuple[int, Job]]) -> None:
        try:
            os.makedirs(self.out, exist_ok=True)
            if self.executor_kind != "dask":
                self._make_scratch()
        except OSError as e:
            for i, job in todo:
                self._done(i, Outcome(job, "failed", [], why=f"cannot write in {self.out!r}: {e.strerror}"))
            return
        pool = self._executor()
        running: dict[cf.Future, tuple[int, Job, float]] = {}
        old = _catch_signals()
        try:
            pending = list(todo)
            while pending or running:
                pending = [(i, j) for i, j in pending if not self._try_start(i, j, pool, running)]
                if not running:
                    time.sleep(0.2)               # every job left is being rendered by another build
                    continue
                done, _ = cf.wait(list(running), timeout=0.2, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    i, job, t0 = running.pop(fut)
                    try:
                        self._accept(i, job, fut.result(), t0)
                    except KeyboardInterrupt:       # that worker alone was stopped
                        self._done(i, Outcome(job, "stopped", [], time.perf_counter() - t0, why="worker stopped"))
                    except Exception as e:  # noqa: BLE001 - one job's failure is reported, not raised
                        self._done(i, Outcome(job, "failed", [], time.perf_counter() - t0, why=one_line(e)))
                self.on_event("tick", None, None)
        except (KeyboardInterrupt, Interrupted) as e:
            self._stop(pool, running)
            raise e if isinstance(e, Interrupted) else Interrupted(signal.SIGINT) from None
        finally:
            _restore_signals(old)
            self._shutdown(pool)

    # ------------------------------------------------------------------ stopping

    def _stop(self, pool: cf.Executor, running: dict) -> None:
        """Cancel what has not started, stop what has, and mark them stopped."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for fut in running:
            fut.cancel()
        procs = list((getattr(pool, "_processes", None) or {}).values())
        try:
            pool.shutdown(wait=False, cancel_futures=True)
        except Exception:  # noqa: BLE001 - the stop goes on
            pass
        from gatelab.scenes.split import stop_processes

        stop_processes(procs, grace=15)
        for i, job, _ in running.values():
            if i not in self.outcomes:
                self._done(i, Outcome(job, "stopped", [], why="interrupted"))

    def _shutdown(self, pool: cf.Executor) -> None:
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        except Exception:  # noqa: BLE001 - a pool broken by the stop is still shut
            pass
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()
        for fd in list(self.locks.values()):
            _unlock(fd)
        self.locks.clear()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            try:
                os.unlink(self.scratch + ".lock")
            except OSError:
                pass
            _unlock(self.scratch_lock)
            self.scratch = None
        for d in (os.path.join(self.out, cache.CACHE_DIR, "tmp"),):
            try:
                os.rmdir(d)                       # only when no other build is using it
            except OSError:
                pass


def _run_task(task: Task) -> Result:
    from .worker import run

    return run(task)


def _raise(signum, frame) -> None:
    raise Interrupted(signum)


def _catch_signals() -> dict[Any, Any] | None:
    import threading

    from .worker import redeliver_stops

    if threading.current_thread() is not threading.main_thread():
        return None
    old: dict[Any, Any] = {s: signal.signal(s, _raise) for s in (signal.SIGTERM, signal.SIGINT)}
    old["unraisablehook"] = sys.unraisablehook
    redeliver_stops(Interrupted, signal.SIGTERM)
    return old


def _restore_signals(old: dict[Any, Any] | None) -> None:
    for s, h in (old or {}).items():
        if s == "unraisablehook":
            sys.unraisablehook = h
        else:
            signal.signal(s, h)


def build(lecture: Lecture, out_dir: str, *, workers: int | None = None, quality: str | None = None,
          force: bool = False, executor: str = "local", scheduler: str | None = None,
          on_event: Callable[[str, Job, Outcome | None], None] = lambda *a: None) -> list[Outcome]:
    """Build ``lecture`` into ``out_dir``; ``quality`` overrides every scene's quality.

    ``executor``: ``local`` (worker processes), ``dask`` (the cluster at ``scheduler``) or ``thread``
    (threads of this process: no start-up cost, for notebooks and tests; scenes then share manim's
    global config, so use it with ``workers=1`` when a lecture has scenes).
    """
    jobs = tuple(replace(j, quality=quality) if quality and j.kind == "scene" else j for j in lecture.jobs)
    if executor not in ("local", "dask", "thread"):
        raise InputError(f"unknown executor {executor!r}; expected local or dask")
    if executor == "dask" and not scheduler:
        raise InputError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    return Builder(jobs, out_dir, workers=workers or os.cpu_count() or 1, force=force, executor=executor,
                   scheduler=scheduler, on_event=on_event).run()
