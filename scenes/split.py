"""One scene on several cores: its animations drawn by separate processes, joined without re-encoding.

Manim draws a scene as one movie file per animation (play or wait) and joins them at the end.
:func:`render` starts ``parts`` worker processes; worker ``k`` runs the whole ``construct()``
but draws only the animations ``i`` with ``i % parts == k`` (the others run instantly, without
drawing, exactly as Manim skips animations before ``--from_animation_number``, so every worker
reaches every animation in the same state). Interleaving needs no dry run to balance the work.
Each worker uses its own media directory under the cache (``<scene>/<quality>/parts-N/k``,
locked, Manim's partial-movie cache on). The per-animation files are then put back in order and
joined exactly as Manim joins one process's files (:func:`join`: FFmpeg's concat demuxer,
packets copied, nothing re-encoded), so the video is frame for frame the single-process one.

gif and png are not split (a gif is re-encoded with one palette for the whole scene; a png is one frame).
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from io import BytesIO
from pathlib import Path

from gatelab.engines.errors import OutputError

from . import api, encoder


def _draw_share(job: dict) -> list[str | None]:
    """Worker: draw this worker's share of a scene's animations; return one movie file or None per animation."""
    from manim import tempconfig

    base = api.scene_class(job["name"], source=job["source"], options=job["options"], theme=job["theme"],
                           tex=job["tex"], computed=job["computed"])
    cls = type(base.__name__, (base,), {"draw_share": (job["k"], job["n"]), "__module__": base.__module__})
    media = Path(job["media"])
    with api.locked(media):
        cfg = api.manim_config(job["name"], job["quality"], job["fmt"], media, theme=job["theme"], progress=False,
                               cache=job["cache"])
        with tempconfig(cfg):
            scene = cls()
            try:
                scene.render()
            finally:
                encoder.close_shared()     # a pool worker ends without atexit: its encoder process goes now
        files = list(scene.renderer.file_writer.partial_movie_files)
        missing = [f for f in files if f is not None and not os.path.exists(f)]
        if missing:
            raise OutputError(f"a worker of scene {job['name']!r} lost its movie {missing[0]}")
    return [None if f is None else str(f) for f in files]


def interleave(shares: list[list[str | None]]) -> list[str]:
    """Animation ``i``'s file comes from worker ``i % n``: the files in the scene's order."""
    n = len(shares)
    count = max((len(s) for s in shares), default=0)
    out = []
    for i in range(count):
        share = shares[i % n]
        f = share[i] if i < len(share) else None
        if f is None:
            raise OutputError(f"animation {i} was not drawn by worker {i % n}")
        out.append(f)
    return out


def join(files: list[str], target: Path) -> None:
    """Concatenate movie files with identical encoding into ``target`` by copying packets (as Manim does)."""
    import av

    manifest = BytesIO("".join(f"file 'file:{Path(f).as_posix()}'\n" for f in files).encode())
    with av.open(manifest, format="concat", options={"safe": "0", "an": "1"}) as src, \
            av.open(str(target), mode="w") as dst:
        stream = src.streams.video[0]
        out = dst.add_stream_from_template(template=stream)
        for packet in src.demux(stream):
            if packet.dts is None:        # the demuxer's flushing packets
                continue
            packet.dts = None             # consecutive files restart their dts; let libav recompute it
            packet.stream = out
            dst.mux(packet)


def stop_processes(procs, grace: float) -> None:
    """SIGTERM each live process (a GateLab worker unwinds its render: Manim removes the movie it was writing),
    wait up to ``grace`` seconds in all, then SIGKILL what is left."""
    for p in procs:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + grace
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join(5)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the workers (a stop signal or a failed worker) and wait for them, so the temporary directories can go."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    stop_processes(procs, grace=10)


def render(cls, name: str, final: Path, *, quality: str, fmt: str, theme: str, progress: bool, cache: bool,
           cache_dir: str | None, parts: int) -> None:
    """Draw scene class ``cls`` (from :func:`api.scene_class`) in ``parts`` processes and write ``final`` atomically."""
    tmp_dirs: list[str] = []
    jobs = []
    for k in range(parts):
        if cache:
            media = api.media_dir(name, quality, cache_dir, part=f"parts-{parts}/{k}")
        else:
            media = Path(tempfile.mkdtemp(prefix="gatelab-part-"))
            tmp_dirs.append(str(media))
        jobs.append({"name": name, "source": cls.source, "options": {**cls.engine_options, **cls.scene_options},
                     "theme": theme, "tex": cls.use_tex, "computed": cls.computed, "quality": quality, "fmt": fmt,
                     "media": str(media), "cache": cache, "k": k, "n": parts})
    fd, tmp = tempfile.mkstemp(prefix=".gatelab-render-", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    try:
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        with ProcessPoolExecutor(max_workers=parts, mp_context=ctx) as pool:
            try:
                files = interleave(list(pool.map(_draw_share, jobs)))
            except BaseException:
                _stop(pool)
                raise
        if not files:
            raise OutputError(f"manim wrote no .{fmt} file for scene {name!r}")
        join(files, Path(tmp))
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        for d in tmp_dirs:
            shutil.rmtree(d, ignore_errors=True)
