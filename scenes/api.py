"""Render a catalogue scene to a file: ``render(name, *, source, options, ...) -> path``.

Order of work, so that bad input costs nothing:

1. check the name, the options and the output path (no manim import yet);
2. ask the registry for the scene's trace (engine errors surface here);
3. import manim and the scene module, build a subclass of the scene class carrying
   the computed trace, the scene options, the theme and the equation backend;
4. render it under :func:`manim.tempconfig` into the scene's media directory for that
   quality (:func:`media_dir`, under :func:`cache_root`), holding a lock on it (manim's
   text and movie caches race when two processes share one); manim's own partial-movie
   cache is on, so animations that did not change are not drawn again; then copy the
   finished file beside the output and rename it into place (no partial output file ever).

manim's global config is never changed outside the ``tempconfig`` block.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from gatelab.engines import registry
from gatelab.engines.errors import InputError, OutputError, ToolMissing

from gatelab.engines.catalogue import Entry, Need

from . import catalogue, stop

QUALITIES = {"l": "low_quality", "m": "medium_quality", "h": "high_quality", "k": "fourk_quality"}
FORMATS = ("mp4", "gif", "webm", "png")
# Manim encodes each animation's frames on a thread and, by default, waits for it to finish before
# drawing the next animation (~15% of an -ql render spent waiting). Letting a few encoders run
# behind the drawing overlaps the two on a second core; a longer queue lets drawing run ahead
# (RGBA frames: 1.6 MB each at 480p, 8.3 MB at 1080p, 33 MB at 4K). Same frames, same bytes.
MAX_CACHED = 5000   # per-animation movies kept per media directory (Manim's default, 100, is less than one scene)
# x264's preset per quality: a draft (-q l, 480p) needs no slow search; its encoder shares 2 cores with
# the drawing. On these mostly still, flat frames B-frames buy nothing (at the same preset, 10% smaller
# files without them) and "superfast" takes 20% less CPU per frame than "veryfast" (3.6 vs 4.5 ms),
# about half of the default "medium"; higher qualities keep more of the search.
# One x264 thread per encoder at -q l and -q m (several animations' movies are encoded at once; each
# encoder's own thread pool only added overhead: -10% CPU at -q l, files slightly smaller).
# x264's macroblock-tree rate control reads memory it never wrote when the half-size lookahead frame is
# not a whole number of macroblocks wide (854 / 2 = 427 pixels at -q l; 1280, 1920 and 3840 are fine):
# the same frames then encode to slightly different videos from run to run. Drafts switch it off, so
# every render of a scene is the same file.
ENCODER = {"l": {"max_inflight_encoders": 4, "encoder_queue_size": 48, "preset": "superfast", "threads": "1",
                 "x264-params": "mbtree=0:bframes=0"},
           "m": {"max_inflight_encoders": 4, "encoder_queue_size": 24, "preset": "faster", "threads": "1"},
           "h": {"max_inflight_encoders": 3, "encoder_queue_size": 12, "preset": "medium", "threads": "0"},
           "k": {"max_inflight_encoders": 2, "encoder_queue_size": 6, "preset": "medium", "threads": "0"}}
X264 = ("preset", "threads", "x264-params")


def split_options(name: str, options: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split CLI options into (engine options, scene options), rejecting ones the scene does not take."""
    spec = get(name)
    engine: dict[str, Any] = {}
    scene: dict[str, Any] = {}
    for k, v in (options or {}).items():
        if v is None:
            continue
        if k in spec.options:
            scene[k] = v
        elif k in registry.OPTIONS:
            engine[k] = v
        else:
            accepted = ", ".join("--" + o.replace("_", "-") for o in spec.options) or "none"
            raise InputError(f"option --{k.replace('_', '-')} does not apply to scene {name!r} "
                             f"(its own options: {accepted})")
    return engine, scene


def get(name: str) -> Entry:
    return catalogue.SCENES.get(name)


def compute(spec: Entry, source: registry.Source = registry.Source(),
            engine_options: dict[str, Any] | None = None, scene_options: dict[str, Any] | None = None):
    """The trace a scene draws, from the registry (the scene's own example when the source names none);
    a scene whose entry declares ``needs`` gets ``{label: Computed}`` when it needs several traces."""
    if spec.needs is None:
        return registry.resolve({"": Need(spec.model, spec.preset)}, source, engine_options)[""]
    got = registry.resolve(spec.traces(source, dict(engine_options or {}), dict(scene_options or {})), source,
                           engine_options)
    return got[""] if list(got) == [""] else got


def check_tex(tex: bool) -> None:
    """``--tex`` needs ``latex`` and ``dvisvgm`` on PATH (manim's MathTex pipeline)."""
    if not tex:
        return
    missing = [p for p in ("latex", "dvisvgm") if shutil.which(p) is None]
    if missing:
        raise ToolMissing(f"--tex needs LaTeX, but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not on PATH; install TeX Live "
                          f"(latex, dvisvgm) or drop --tex to typeset equations with matplotlib mathtext")


def _target(name: str, fmt: str, output: str | None, out_dir: str | None) -> tuple[Path, str]:
    """The final path and the format (``-o`` with a known extension picks the format when --format is default)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    if output is not None:
        path = Path(output)
        ext = path.suffix.lower().lstrip(".")
        if ext not in FORMATS:
            raise OutputError(f"output {output!r} must end in .mp4, .gif, .webm or .png")
        if fmt != "mp4" and ext != fmt:
            raise OutputError(f"output {output!r} does not match --format {fmt}")
        fmt = ext
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise OutputError(f"directory {str(parent)!r} of output {output!r} does not exist")
        if path.is_dir():
            raise OutputError(f"output {output!r} is a directory")
    else:
        base = Path(out_dir or "media")
        if base.exists() and not base.is_dir():
            raise OutputError(f"--out {str(base)!r} is a file, expected a directory")
        parent = base / "videos"
        path = parent / f"{name}.{fmt}"
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK):
        raise OutputError(f"directory {str(probe)!r} is not writable")
    return path, fmt


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create {str(path.parent)!r}: {e.strerror}") from None


def scene_class(name: str, *, source: registry.Source = registry.Source(), options: dict[str, Any] | None = None,
                theme: str = "dark", tex: bool = False, computed: registry.Computed | None = None):
    """The scene class of ``name`` bound to a computed trace, its options, theme and equation backend.

    Imports manim (through the scene module). ``computed`` skips the engine run when given.
    """
    import importlib

    spec = get(name)
    engine_opts, scene_opts = split_options(name, options)
    if theme not in ("light", "dark"):
        raise InputError(f"unknown theme {theme!r}; expected light or dark")
    check_tex(tex)
    if computed is None:
        computed = compute(spec, source, engine_opts, scene_opts)
    tr = (computed if not isinstance(computed, dict) else next(iter(computed.values()))).trace
    if spec.one_cell and (getattr(tr, "num_layers", 1) > 1 or getattr(tr, "bidirectional", False)):
        kind = f"{tr.num_layers} layers" + (", bidirectional" if tr.bidirectional else "")
        raise InputError(f"{name} animates a single cell, but this trace has {kind}; "
                         f"draw it with `gatelab diagram {spec.one_cell}`")
    module = importlib.import_module(spec.module)
    base = getattr(module, spec.attr)
    attrs = {"computed": computed, "model": spec.model, "preset": spec.preset, "source": source, "engine_options": engine_opts,
             "scene_options": scene_opts, "theme_name": theme, "use_tex": tex, "__module__": base.__module__}
    return type(spec.attr, (base,), attrs)


def cache_root() -> Path:
    """Where Manim's per-animation movies are kept between renders: ``$GATELAB_CACHE_DIR`` or
    ``$XDG_CACHE_HOME/gatelab`` (``~/.cache/gatelab``), then ``manim/``."""
    base = os.environ.get("GATELAB_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "gatelab")
    return Path(base) / "manim"


def media_dir(name: str, quality: str, cache_dir: str | None = None, part: str | None = None) -> Path:
    """The media directory of one scene at one quality (and one part of a split render), created."""
    path = (Path(cache_dir) if cache_dir else cache_root()) / name / quality
    if part:
        path = path / part
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the cache directory {str(path)!r}: {e.strerror}") from None
    if not os.access(path, os.W_OK):
        raise OutputError(f"the cache directory {str(path)!r} is not writable")
    return path


@contextlib.contextmanager
def locked(directory: Path):
    """Hold an exclusive lock on ``directory`` (one render at a time uses a media directory: Manim's
    text and movie caches are not safe for two writers). Released when the process dies, too."""
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield directory
    finally:
        os.close(fd)          # closing releases the lock


def drop_partial_movies(media: Path, *, since: float) -> None:
    """Delete the per-animation movies a render begun at ``since`` wrote: after an error or a signal
    the last one may be cut short, and a later render would reuse it by its hash."""
    for p in media.rglob("*"):
        if "partial_movie_files" in p.parts and p.is_file():
            try:
                if p.stat().st_mtime >= since - 1.0:
                    p.unlink()
            except OSError:
                pass


def manim_config(name: str, quality: str, fmt: str, media: Path, *, theme: str = "dark", progress: bool = True,
                 cache: bool = True, first: int = 0, last: int = -1) -> dict[str, Any]:
    """The config a render runs under (inside :func:`manim.tempconfig`); ``first``/``last``: the
    range of animation numbers to draw (both included; -1 = to the end)."""
    from gatelab.style import theme as get_theme

    return {
        "quality": QUALITIES[quality],
        "format": fmt,
        "media_dir": str(media),
        "output_file": name,
        "progress_bar": "display" if progress else "none",
        "verbosity": "WARNING",
        "background_color": get_theme(theme).background,
        "disable_caching": not cache,
        "max_files_cached": MAX_CACHED,
        "from_animation_number": first,
        "upto_animation_number": last,
        "preview": False,
        "max_inflight_encoders": ENCODER[quality]["max_inflight_encoders"],
        "encoder_queue_size": ENCODER[quality]["encoder_queue_size"],
        "video_encoder_options": ({"crf": "23", **{k: v for k, v in ENCODER[quality].items() if k in X264}}
                                  if fmt in ("mp4", "gif") else {}),
    }


def _publish(produced: Path, final: Path) -> None:
    """Copy ``produced`` next to ``final`` and rename it into place (never a partial output file)."""
    fd, tmp = tempfile.mkstemp(prefix=".gatelab-render-", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    try:
        shutil.copyfile(produced, tmp)
        os.replace(tmp, final)
    except OSError as e:
        raise OutputError(f"cannot write {str(final)!r}: {e.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def render(name: str, *, source: registry.Source = registry.Source(), options: dict[str, Any] | None = None,
           quality: str = "l", fmt: str = "mp4", output: str | None = None, out_dir: str | None = "media",
           theme: str = "dark", tex: bool = False, progress: bool = True, verify: bool = False,
           cache: bool = True, cache_dir: str | None = None, parts: int = 1) -> str:
    """Render scene ``name`` and return the path of the file written.

    ``cache``: keep Manim's per-animation movies in ``cache_dir`` (default :func:`cache_root`), one
    directory per scene and quality, so a re-render draws only the animations that changed.
    ``parts``: draw the animations in that many processes at once and join their movies without
    re-encoding (mp4 and webm; see :mod:`gatelab.scenes.split`).
    """
    spec = get(name)
    if quality not in QUALITIES:
        raise InputError(f"unknown quality {quality!r}; expected one of: {', '.join(QUALITIES)}")
    if not isinstance(parts, int) or parts < 1:
        raise InputError(f"parts must be a whole number >= 1, got {parts!r}")
    engine_opts, scene_opts = split_options(name, options)
    check_tex(tex)
    final, fmt = _target(name, fmt, output, out_dir)
    computed = compute(spec, source, engine_opts, scene_opts)  # engine errors before importing manim
    if verify and isinstance(computed, dict):
        raise InputError(f"--verify checks one weights file; scene {name!r} draws several traces here")
    if verify:
        registry.verify(computed, source)
    cls = scene_class(name, source=source, options=options, theme=theme, tex=tex, computed=computed)
    _make_parent(final)
    if not os.access(final.parent, os.W_OK):
        raise OutputError(f"cannot write in {str(final.parent)!r}")
    if parts > 1 and fmt in ("mp4", "webm"):
        from . import split
        split.render(cls, name, final, quality=quality, fmt=fmt, theme=theme, progress=progress, cache=cache,
                     cache_dir=cache_dir, parts=parts)
        return str(final)

    from manim import tempconfig

    media = media_dir(name, quality, cache_dir) if cache else Path(tempfile.mkdtemp(prefix="gatelab-render-"))
    try:
        with locked(media):
            started = time.time()
            try:
                with tempconfig(manim_config(name, quality, fmt, media, theme=theme, progress=progress, cache=cache)):
                    scene = cls(skip_animations=(fmt == "png"))   # png: only the last frame is drawn
                    scene.render()
            except BaseException:
                with stop.stops_held():          # a second stop waits until the movies are gone
                    drop_partial_movies(media, since=started)
                raise
            produced = getattr(scene.renderer.file_writer, "final_file_path", None)
            if produced is None or not Path(produced).exists():
                found = sorted(p for p in media.rglob(f"*.{fmt}") if "partial_movie_files" not in p.parts
                               and p.stem == name)
                produced = found[0] if found else None
            if produced is None:
                raise OutputError(f"manim wrote no .{fmt} file for scene {name!r}")
            _publish(Path(produced), final)
    finally:
        if not cache:
            shutil.rmtree(media, ignore_errors=True)
    return str(final)


def run(name: str, *, source: registry.Source = registry.Source(), options: dict[str, Any] | None = None,
        theme: str = "dark", tex: bool = False, media_dir: str, last_frame: bool = False):
    """Run a scene's construct() cheaply (tests, tooling): dry run, or the last frame as PNG at 480p.

    Returns the scene object (its mobjects are inspectable after construct).
    """
    from manim import tempconfig

    cls = scene_class(name, source=source, options=options, theme=theme, tex=tex)
    cfg = {"quality": "low_quality", "media_dir": media_dir, "output_file": name, "progress_bar": "none",
           "verbosity": "WARNING", "disable_caching": True, "preview": False,
           "format": "png" if last_frame else "mp4", "dry_run": not last_frame}
    with tempconfig(cfg):
        scene = cls(skip_animations=True)
        scene.render()
    return scene
