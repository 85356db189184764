"""What determines an output, as a key: an output is re-rendered only when its key changed.

Two hashes per output, both recorded beside the outputs in ``OUT/.gatelab-cache/<subdir>/<name>.<fmt>.json``:

- ``inputs``: everything the *traces* depend on, computable without running an engine: the view,
  its source (preset name, the bytes of weights/inputs/data files, the seed and sizes), its options,
  GateLab's version and the code of the engines and catalogues. When it matches the record, the
  recorded trace digests still hold and the engines need not run.
- ``key``: everything the *file* depends on: the trace digests (``Trace.digest()``) and provenance,
  the view, output name, format, options, theme, quality, the source code of the view's modules and
  what they import from GateLab's view layer, GateLab's version, and the version of the renderer
  (manim, Graphviz's ``dot``, matplotlib).

A record counts only while its output file still has the size and modification time it had when
the record was written; a user who edits or deletes an output gets it re-rendered.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from gatelab.engines import __version__

from .spec import PATH_OPTIONS, Job

CACHE_DIR = ".gatelab-cache"
RENDER_ROOTS = {"diagram": ("gatelab.diagrams.api", "gatelab.diagrams.export"), "scene": ("gatelab.scenes.api",),
                "plot": ()}
_PKG = Path(__file__).resolve().parents[1]          # the gatelab package directory


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode("utf-8")).hexdigest()


@lru_cache(maxsize=256)
def _file_sha(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_sha(path: str) -> str | None:
    """sha256 of a file's bytes (None when it is not a readable file; the engine will say why)."""
    try:
        st = os.stat(path)
        return _file_sha(os.path.abspath(path), st.st_size, st.st_mtime_ns) if os.path.isfile(path) else None
    except OSError:
        return None


# --------------------------------------------------------------------------- code

@lru_cache(maxsize=None)
def _module_file(name: str) -> str | None:
    """The source file of a ``gatelab.*`` module, found without importing it."""
    rel = name.split(".")[1:]
    base = _PKG.joinpath(*rel)
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return str(cand)
    spec = importlib.util.find_spec(name) if not rel else None
    return spec.origin if spec and spec.origin else None


@lru_cache(maxsize=None)
def _imports(name: str) -> tuple[str, ...]:
    """The ``gatelab.*`` modules ``name``'s source imports (anywhere in the file, relative imports resolved)."""
    path = _module_file(name)
    if path is None:
        return ()
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                mod = f"{parent}.{node.module}" if node.module else parent
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)   # `from . import export` names a module
    return tuple(sorted(m for m in found if m.startswith("gatelab.") and _module_file(m) is not None))


def _view_layer(name: str) -> bool:
    """Modules whose code shapes a drawing. Not the engines (their effect is the trace digests), nor the
    catalogues (which traces a view needs is in :func:`inputs_hash`; which function draws it is in
    :func:`view_hash`), so adding a catalogue entry re-renders nothing."""
    return (name.startswith("gatelab.") and not name.startswith(("gatelab.engines", "gatelab.lecture"))
            and not name.endswith(".catalogue"))


@lru_cache(maxsize=None)
def code_hash(roots: tuple[str, ...]) -> str:
    """sha256 of the source of ``roots`` and every view-layer module they import, transitively."""
    seen: set[str] = set()
    todo = [r for r in roots]
    while todo:
        m = todo.pop()
        if m in seen or not _view_layer(m):
            continue
        seen.add(m)
        todo.extend(_imports(m))
    h = hashlib.sha256()
    for m in sorted(seen):
        path = _module_file(m)
        if path:
            h.update(m.encode() + b"\0" + Path(path).read_bytes() + b"\0")
    return h.hexdigest()


@lru_cache(maxsize=1)
def engines_hash() -> str:
    """sha256 of the engines (code and presets) and of the catalogues that say which traces a view needs."""
    files = sorted(p for p in (_PKG / "engines").rglob("*") if p.suffix in (".py", ".json") and "__pycache__" not in p.parts)
    files += [_PKG / "diagrams" / "catalogue.py", _PKG / "scenes" / "catalogue.py", _PKG / "scenes" / "api.py"]
    h = hashlib.sha256()
    for p in files:
        if p.is_file():
            h.update(str(p.relative_to(_PKG)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


# --------------------------------------------------------------------------- renderers

def _dist_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


@lru_cache(maxsize=1)
def _dot_version() -> str:
    dot = shutil.which("dot")
    if dot is None:
        return "missing"
    try:
        proc = subprocess.run([dot, "-V"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return proc.stderr.decode("utf-8", "replace").strip() or proc.stdout.decode("utf-8", "replace").strip()


def environment(kinds: set[str]) -> dict[str, str]:
    """The versions of GateLab and of the renderers the given kinds of job use."""
    env = {"gatelab": __version__}
    if "diagram" in kinds:
        env["dot"] = _dot_version()
    if "scene" in kinds:
        env["manim"] = _dist_version("manim")
    if "plot" in kinds:
        env["matplotlib"] = _dist_version("matplotlib")
    return env


# --------------------------------------------------------------------------- keys

def _source_fields(job: Job) -> dict[str, Any]:
    src = job.source
    out: dict[str, Any] = {k: getattr(src, k) for k in ("preset", "seed", "hidden", "input_size", "steps", "module", "head")}
    out["weights"] = src.weights and [src.weights, file_sha(src.weights)]
    out["inputs"] = [src.inputs, file_sha(src.inputs)] if isinstance(src.inputs, str) else src.inputs
    return out


def inputs_hash(job: Job) -> str:
    """What the job's traces depend on (no engine run needed to compute it)."""
    files = {k: file_sha(v) for k, v in job.options.items() if k in PATH_OPTIONS and isinstance(v, str)}
    return _sha({"kind": job.kind, "view": job.view, "source": _source_fields(job), "options": dict(job.options),
                 "files": files, "engines": engines_hash(), "gatelab": __version__})


def view_hash(job: Job) -> str:
    """The code of the job's view: its module, the renderer of its kind, and their view-layer imports."""
    from .spec import catalogue

    entry = catalogue(job.kind).get(job.view)
    return _sha([entry.module, entry.attr, code_hash((entry.module, *RENDER_ROOTS[job.kind]))])


def output_key(job: Job, fmt: str, traces: Mapping[str, Mapping[str, Any]], code: str, env: Mapping[str, str]) -> str:
    """The key of one output file: ``traces`` is ``{label: {"digest":..., "provenance":..., "options":...}}``."""
    return _sha({"traces": traces, "kind": job.kind, "view": job.view, "name": job.name, "format": fmt,
                 "options": dict(job.options), "quality": job.quality, "theme": job.theme, "values": job.values,
                 "digits": job.digits, "tex": job.tex, "code": code, "env": dict(env)})


# --------------------------------------------------------------------------- records

def record_path(out_dir: str, job: Job, fmt: str) -> str:
    return os.path.join(out_dir, CACHE_DIR, job.subdir, f"{job.name}.{fmt}.json")


def lock_path(out_dir: str, job: Job) -> str:
    return os.path.join(out_dir, CACHE_DIR, job.subdir, f"{job.name}.lock")


def read_record(out_dir: str, job: Job, fmt: str) -> dict[str, Any] | None:
    """The record of an output, or None when it is missing, unreadable or its file changed since."""
    try:
        with open(record_path(out_dir, job, fmt), encoding="utf-8") as fh:
            rec = json.load(fh)
        st = os.stat(job.path(out_dir, fmt))
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or rec.get("size") != st.st_size or rec.get("mtime_ns") != st.st_mtime_ns:
        return None
    return rec


def write_record(out_dir: str, job: Job, fmt: str, rec: dict[str, Any]) -> None:
    """Write the record atomically, stamped with the output file's current size and mtime."""
    from gatelab.diagrams.export import write_atomic

    st = os.stat(job.path(out_dir, fmt))
    rec = {**rec, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    path = record_path(out_dir, job, fmt)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomic(path, (json.dumps(rec, sort_keys=True, indent=1) + "\n").encode("utf-8"))
