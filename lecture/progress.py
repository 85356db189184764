"""What a build shows: live progress (rich on a terminal, plain lines otherwise) and the summary table.

``run(lecture, out_dir, ...) -> exit code`` is what ``gatelab build`` and ``gatelab all`` call:
0 when every output is in place, 1 when a job failed (the others still finish), 130/143 when
SIGINT/SIGTERM stopped the build.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import IO

from .build import Interrupted, Outcome, build
from .spec import Job, Lecture


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def _where(job: Job) -> str:
    return f"{job.subdir}/{job.name}.{','.join(job.formats)}"


class Display:
    """Receives the builder's events; on a terminal a rich Live view (one line per running job and an
    overall bar), otherwise one plain line per finished job."""

    def __init__(self, total: int, *, stream: IO[str], live: bool) -> None:
        self.total, self.stream, self.done = total, stream, 0
        self.running: dict[str, float] = {}
        self.lock = threading.Lock()
        self.live = None
        self.tty = live
        if live:
            from rich.console import Console
            from rich.live import Live

            self.console = Console(file=stream)
            self.live = Live(get_renderable=self._view, console=self.console, refresh_per_second=4, transient=True)
            self.live.start()

    def _view(self):
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        with self.lock:
            running = sorted(self.running.items(), key=lambda kv: kv[1])
            done = self.done
        now = time.perf_counter()
        t = Table.grid(padding=(0, 2))
        for name, t0 in running:
            t.add_row("[cyan]rendering[/]", name, f"{now - t0:5.1f} s")
        bar = Table.grid(padding=(0, 1))
        bar.add_row(ProgressBar(total=self.total, completed=done, width=40), f"{done}/{self.total} outputs")
        return Group(t, bar)

    def __call__(self, event: str, job: Job | None, outcome: Outcome | None) -> None:
        with self.lock:
            if event == "start" and job is not None:
                self.running[_where(job)] = time.perf_counter()
            elif event == "done" and outcome is not None:
                self.running.pop(_where(outcome.job), None)
                self.done += 1
                if not self.tty:
                    why = f"  ({outcome.why})" if outcome.why else ""
                    print(f"[{self.done}/{self.total}] {outcome.status:8s} {_where(outcome.job)}  "
                          f"{outcome.seconds:.1f} s{why}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def summary(outcomes: list[Outcome], seconds: float, out_dir: str, stream: IO[str], *, rich: bool) -> None:
    """The table: output, size, seconds, status, frames per second where known, and why a job failed."""
    rows = []
    for o in outcomes:
        names = ", ".join(f"{o.job.subdir}/{o.job.name}.{f}" for f in o.job.formats)
        size = _size(sum(s for _, s in o.files)) if o.files else "-"
        fps = f"{o.frames / o.seconds:.0f}" if o.frames and o.status == "rendered" and o.seconds > 0 else ""
        rows.append((names, size, f"{o.seconds:.1f}", o.status, fps, o.why))
    counts = {s: sum(o.status == s for o in outcomes) for s in ("rendered", "cached", "failed", "stopped")}
    total = (f"{len(outcomes)} outputs: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n or s != "stopped")
             + f" ({seconds:.1f} s) in {out_dir}")
    head = ("output", "size", "seconds", "status", "frames/s", "why")
    keep = [k for k in range(len(head)) if k < 4 or any(r[k] for r in rows)]     # no empty frames/s or why column
    if rich:
        from rich.console import Console
        from rich.table import Table

        colour = {"rendered": "green", "cached": "blue", "failed": "red", "stopped": "yellow"}
        table = Table(show_edge=False)
        for k in keep:
            table.add_column(head[k], overflow="fold", justify="right" if k in (1, 2, 4) else "left")
        for r in rows:
            table.add_row(*(f"[{colour[r[3]]}]{r[3]}[/]" if k == 3 else r[k] for k in keep))
        console = Console(file=stream)
        console.print(table)
        console.print(total)
        return
    widths = {k: max(len(head[k]), *(len(r[k]) for r in rows)) for k in keep}
    for r in (head, *rows):
        cells = [r[k].ljust(widths[k]) if k in (0, 3, 5) else r[k].rjust(widths[k]) for k in keep]
        print("  ".join(cells).rstrip(), file=stream)
    print(total, file=stream, flush=True)


def run(lecture: Lecture, out_dir: str, *, workers: int | None = None, quality: str | None = None, force: bool = False,
        executor: str = "local", scheduler: str | None = None, out: IO[str] | None = None,
        err: IO[str] | None = None) -> int:
    """Build with a display; print the summary; return the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    tty = err.isatty()
    display = Display(len(lecture.jobs), stream=err, live=tty)
    t0 = time.perf_counter()
    try:
        outcomes = build(lecture, out_dir, workers=workers, quality=quality, force=force, executor=executor,
                         scheduler=scheduler, on_event=display)
    except Interrupted as e:
        display.close()
        print(f"Stopped by {e}: no partial output left; finished outputs and their records are kept.", file=err, flush=True)
        return 128 + int(e.signum)
    finally:
        display.close()
    summary(outcomes, time.perf_counter() - t0, out_dir, out, rich=tty and out.isatty())
    return 1 if any(o.status in ("failed", "stopped") for o in outcomes) else 0
