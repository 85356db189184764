"""A lecture file: the outputs of a lecture as one TOML document, checked before anything renders.

``load(path) -> Lecture``; ``Lecture.jobs`` holds one frozen :class:`Job` per ``[[output]]`` table::

    [lecture]
    title = "Week 5: gated recurrent networks"   # optional
    out = "media"          # output directory, relative to this file (default: --out, or ./media)
    quality = "m"          # default quality of every scene (l, m, h, k)

    [[output]]
    diagram = "lstm-unfolded"        # exactly one of: diagram, scene, plot (a catalogue name)
    preset = "lstm-3step"            # source: preset | weights (+ inputs) | seed (+ hidden, input_size, steps)
    formats = ["svg", "png"]
    max_steps = 4                    # any option the view or its model takes (as on the command line)

    [[output]]
    name = "lstm-gates-brisk"        # output name (default: the view's name)
    scene = "lstm-gates"
    pace = 0.5

Keys may be spelled with dashes, as the command-line flags are (``max-steps``). Paths (``weights``,
``inputs``, the ``data`` option) are relative to the lecture file; ``inputs`` may also be an inline
table (``inputs = {x = [[1.0, 0.5]]}``). Every error names the file and the line of the offending
key: ``lecture.toml:12: unknown option 'hiden' (did you mean 'hidden'?)``. Nothing in the file
is executed: it is read as data by :mod:`tomllib`.
"""
from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from gatelab.engines import registry
from gatelab.engines.catalogue import Catalogue, OptionSpec
from gatelab.engines.errors import InputError

KINDS = ("diagram", "scene", "plot")
QUALITIES = ("l", "m", "h", "k")
FORMATS = {"diagram": ("svg", "png", "pdf", "dot"), "scene": ("mp4", "gif", "webm", "png"), "plot": ("svg", "png", "pdf")}
DEFAULT_FORMATS = {"diagram": ("svg",), "scene": ("mp4",), "plot": ("svg",)}
DEFAULT_THEME = {"diagram": "light", "scene": "dark", "plot": "light"}
SUBDIR = {"diagram": "diagrams", "scene": "videos", "plot": "plots"}

SOURCE_KEYS = ("preset", "weights", "inputs", "seed", "hidden", "input_size", "steps", "module", "head_module")
JOB_KEYS = ("name", "title", "formats", "quality", "theme", "values", "digits", "tex")
LECTURE_KEYS = ("title", "out", "quality")
PATH_OPTIONS = ("data",)          # option values that name a file: relative to the lecture file
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$")


@dataclass(frozen=True)
class Job:
    """One output of a lecture: a view drawn from a source, written as ``OUT/<subdir>/<name>.<format>``.

    ``options`` holds engine and view options together (as the CLI passes them); ``quality`` is the
    scenes' quality (None for diagrams and plots); ``line`` is the line of its table in the file
    (0 for jobs made in code, e.g. ``gatelab all``).
    """
    name: str
    kind: str
    view: str
    source: registry.Source = registry.Source()
    options: Mapping[str, Any] = field(default_factory=dict)
    formats: tuple[str, ...] = ()
    quality: str | None = None
    theme: str = ""
    values: str = "all"
    digits: int = 3
    tex: bool = False
    title: str = ""
    line: int = 0

    @property
    def subdir(self) -> str:
        return SUBDIR[self.kind]

    def path(self, out_dir: str | os.PathLike, fmt: str) -> str:
        """Where format ``fmt`` of this output is written."""
        return os.path.join(os.fspath(out_dir), self.subdir, f"{self.name}.{fmt}")

    def outputs(self, out_dir: str | os.PathLike) -> list[tuple[str, str]]:
        """[(fmt, path)] of every file this job writes."""
        return [(f, self.path(out_dir, f)) for f in self.formats]


@dataclass(frozen=True)
class Lecture:
    """A parsed lecture file: its jobs in file order, its title and output directory (None: the caller's)."""
    jobs: tuple[Job, ...]
    title: str = ""
    out: str | None = None
    path: str = ""

    def select(self, patterns: tuple[str, ...]) -> "Lecture":
        """The jobs whose output name matches any of the glob ``patterns`` (all of them when none is given)."""
        import fnmatch

        if not patterns:
            return self
        jobs = tuple(j for j in self.jobs if any(fnmatch.fnmatchcase(j.name, p) for p in patterns))
        if not jobs:
            names = ", ".join(dict.fromkeys(j.name for j in self.jobs))
            raise InputError(f"--only {' '.join(patterns)} matches no output (outputs: {names})")
        return Lecture(jobs, self.title, self.out, self.path)


# --------------------------------------------------------------------------- catalogues (imported lazily)

def catalogue(kind: str) -> Catalogue:
    if kind == "diagram":
        from gatelab.diagrams.catalogue import DIAGRAMS
        return DIAGRAMS
    if kind == "scene":
        from gatelab.scenes.catalogue import SCENES
        return SCENES
    from gatelab.diagrams.catalogue import PLOTS
    return PLOTS


def view_options(kind: str, view: str) -> dict[str, OptionSpec]:
    """Options a view takes: its own and its model's engine options (what its CLI command accepts)."""
    entry = catalogue(kind).get(view)
    opts = {k: catalogue(kind).options[k] for k in entry.options}
    if entry.model in registry.MODELS:
        opts.update({k: registry.OPTIONS[k] for k in registry.get(entry.model).options})
    return opts


# --------------------------------------------------------------------------- line numbers

class _Lines:
    """Line numbers of tables and keys in the raw text (tomllib keeps no positions)."""

    _HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(#.*)?$")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[int, str, bool]] = []     # (line, name, is_array)
        for i, ln in enumerate(self.lines, 1):
            m = self._HEADER.match(ln)
            if m:
                self.headers.append((i, m.group(1).replace('"', "").replace("'", "").strip(), ln.lstrip().startswith("[[")))

    def table(self, name: str, index: int = 0) -> tuple[int, int]:
        """(first, last) line of the ``index``-th table called ``name`` (its header up to the next header)."""
        found = [(ln, k) for k, (ln, n, _) in enumerate(self.headers) if n == name]
        if index >= len(found):
            return (1, len(self.lines))
        ln, k = found[index]
        end = len(self.lines)
        for ln2, n2, _ in self.headers[k + 1:]:
            if not n2.startswith(name + "."):
                end = ln2 - 1
                break
        return (ln, end)

    def key(self, key: str, span: tuple[int, int]) -> int:
        """The line of ``key = ...`` inside ``span`` (the table's first line when not found)."""
        pat = re.compile(r"^\s*(\"|')?" + re.escape(key) + r"(\"|')?\s*=")
        for i in range(span[0], min(span[1], len(self.lines)) + 1):
            if pat.match(self.lines[i - 1]):
                return i
        return span[0]


class _Where:
    """Formats ``file:line: message`` errors for one table."""

    def __init__(self, fname: str, lines: _Lines, span: tuple[int, int]) -> None:
        self.fname, self.lines, self.span = fname, lines, span

    def line(self, key: str | None = None) -> int:
        return self.span[0] if key is None else self.lines.key(key, self.span)

    def error(self, message: str, key: str | None = None) -> InputError:
        return InputError(f"{self.fname}:{self.line(key)}: {message}")


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --------------------------------------------------------------------------- values

def _typed(where: _Where, raw_key: str, value: Any, spec: OptionSpec) -> Any:
    """Check one option value against its OptionSpec (int, float, str, bool or a tuple of choices)."""
    t = spec.type
    ok = (isinstance(value, bool) if t is bool else
          isinstance(value, int) and not isinstance(value, bool) if t is int else
          isinstance(value, (int, float)) and not isinstance(value, bool) if t is float else
          isinstance(value, str) if t is str else value in t)
    if not ok:
        want = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(t) \
            if not isinstance(t, tuple) else "one of " + ", ".join(map(str, t))
        raise where.error(f"{raw_key} = {value!r}: expected {want}", raw_key)
    return float(value) if t is float else value


def _string(where: _Where, raw_key: str, value: Any, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(value, str) or (choices is not None and value not in choices):
        want = f"one of {', '.join(choices)}" if choices else "a string"
        raise where.error(f"{raw_key} = {value!r}: expected {want}", raw_key)
    return value


def _rel(base: Path, value: str) -> str:
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else base / p)


def _source(where: _Where, keys: dict[str, tuple[str, Any]], base: Path) -> registry.Source:
    """The source keys of one output as a registry.Source (paths relative to the lecture file)."""
    got: dict[str, Any] = {}
    for k in SOURCE_KEYS:
        if k not in keys:
            continue
        raw, v = keys[k]
        if k in ("seed", "hidden", "input_size", "steps"):
            if not isinstance(v, int) or isinstance(v, bool):
                raise where.error(f"{raw} = {v!r}: expected an integer", raw)
        elif k == "inputs" and isinstance(v, dict):
            pass                                     # inline data: {x = [[...]]}
        else:
            _string(where, raw, v)
        if k in ("weights", "inputs") and isinstance(v, str):
            v = _rel(base, v)
            if not os.path.isfile(v):
                raise where.error(f"{k} file {v!r} does not exist", raw)
        if k == "preset":
            from gatelab.engines import presets

            if v not in presets.names():
                raise where.error(f"unknown preset {v!r}{_did_you_mean(v, presets.names())} "
                                  f"(`gatelab list` shows them all)", raw)
        got["head" if k == "head_module" else k] = v
    return registry.Source(**got)


def _formats(where: _Where, kind: str, raw: str | None, value: Any) -> tuple[str, ...]:
    if raw is None:
        return DEFAULT_FORMATS[kind]
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(f, str) for f in items):
        raise where.error(f"{raw} = {value!r}: expected a format or a list of formats", raw)
    for f in items:
        if f not in FORMATS[kind]:
            raise where.error(f"unknown {kind} format {f!r}{_did_you_mean(f, FORMATS[kind])}; "
                              f"expected one of: {', '.join(FORMATS[kind])}", raw)
    return tuple(dict.fromkeys(items))


def _view(where: _Where, keys: dict[str, tuple[str, Any]]) -> tuple[str, str]:
    given = [k for k in KINDS if k in keys]
    if len(given) != 1:
        what = "none" if not given else " and ".join(given)
        raise where.error(f"an output names exactly one of diagram, scene or plot (found {what})")
    kind = given[0]
    raw, view = keys[kind]
    _string(where, raw, view)
    cat = catalogue(kind)
    if view not in cat:
        raise where.error(f"unknown {kind} {view!r}{_did_you_mean(view, cat)} (`gatelab list` shows them all)", raw)
    return kind, view


# --------------------------------------------------------------------------- parsing

def _job(where: _Where, table: Any, base: Path, default_quality: str | None) -> Job:
    if not isinstance(table, dict):
        raise where.error("each [[output]] must be a table of keys")
    keys = {k.replace("-", "_"): (k, v) for k, v in table.items()}
    kind, view = _view(where, keys)
    opts_spec = view_options(kind, view)
    allowed = {*KINDS, *SOURCE_KEYS, *JOB_KEYS, *opts_spec}
    for k, (raw, _) in keys.items():
        if k not in allowed:
            valid = [*SOURCE_KEYS, *JOB_KEYS, *opts_spec]
            raise where.error(f"unknown option {raw!r}{_did_you_mean(k, valid)} for {kind} {view!r}", raw)
    options = {}
    for k in opts_spec:
        if k in keys:
            raw, v = keys[k]
            v = _typed(where, raw, v, opts_spec[k])
            options[k] = _rel(base, v) if k in PATH_OPTIONS and isinstance(v, str) else v
    name = _string(where, keys["name"][0], keys["name"][1]) if "name" in keys else view
    if not _NAME.match(name):
        raise where.error(f"output name {name!r} must be letters, digits, '.', '_', '+' or '-' "
                          f"(it becomes a file name)", keys["name"][0] if "name" in keys else None)
    quality = None
    if kind == "scene":
        quality = (_string(where, keys["quality"][0], keys["quality"][1], QUALITIES) if "quality" in keys
                   else default_quality or "l")
    elif "quality" in keys:
        raise where.error(f"quality applies to scenes, not to {kind} {view!r}", keys["quality"][0])
    fmts = _formats(where, kind, *keys.get("formats", (None, None)))
    settings: dict[str, Any] = {}
    if "theme" in keys:
        settings["theme"] = _string(where, keys["theme"][0], keys["theme"][1], ("light", "dark"))
    if "values" in keys or "digits" in keys:
        if kind != "diagram":
            raise where.error(f"values/digits apply to diagrams, not to {kind} {view!r}")
        if "values" in keys:
            settings["values"] = _string(where, keys["values"][0], keys["values"][1], ("none", "key", "all"))
        if "digits" in keys:
            raw, d = keys["digits"]
            if not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 8:
                raise where.error(f"{raw} = {d!r}: expected an integer from 1 to 8", raw)
            settings["digits"] = d
    if "tex" in keys:
        if kind != "scene" or not isinstance(keys["tex"][1], bool):
            raise where.error("tex = true|false applies to scenes only", keys["tex"][0])
        settings["tex"] = keys["tex"][1]
    title = _string(where, keys["title"][0], keys["title"][1]) if "title" in keys else ""
    return Job(name=name, kind=kind, view=view, source=_source(where, keys, base), options=options, formats=fmts,
               quality=quality, theme=settings.pop("theme", DEFAULT_THEME[kind]), title=title,
               line=where.line(), **settings)


def parse(text: str, fname: str = "lecture.toml", base: str | os.PathLike = ".") -> Lecture:
    """Parse a lecture document (``fname`` is used in error messages, ``base`` resolves relative paths)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column \d+\)", str(e))
        line = m.group(1) if m else "1"
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e)) or "syntax error"
        raise InputError(f"{fname}:{line}: invalid TOML: {msg}") from None
    lines = _Lines(text)
    top = _Where(fname, lines, (1, len(lines.lines) or 1))
    for k in doc:
        if k not in ("lecture", "output"):
            raise top.error(f"unknown table {k!r}{_did_you_mean(k, ('lecture', 'output'))}; "
                            f"a lecture file has [lecture] and [[output]] tables", k)
    head = doc.get("lecture", {})
    hw = _Where(fname, lines, lines.table("lecture"))
    if not isinstance(head, dict):
        raise hw.error("[lecture] must be a table")
    for k in head:
        if k not in LECTURE_KEYS:
            raise hw.error(f"unknown key {k!r}{_did_you_mean(k, LECTURE_KEYS)} in [lecture] "
                           f"(it takes: {', '.join(LECTURE_KEYS)})", k)
    quality = _string(hw, "quality", head["quality"], QUALITIES) if "quality" in head else None
    out = _rel(Path(base), _string(hw, "out", head["out"])) if "out" in head else None
    outputs = doc.get("output", [])
    if not isinstance(outputs, list) or not outputs:
        raise top.error("a lecture file lists its outputs as [[output]] tables; found none")
    jobs: list[Job] = []
    seen: dict[tuple[str, str], int] = {}
    for i, table in enumerate(outputs):
        where = _Where(fname, lines, lines.table("output", i))
        job = _job(where, table, Path(base), quality)
        if (job.subdir, job.name) in seen:
            raise where.error(f"output name {job.name!r} is already used on line {seen[job.subdir, job.name]}; "
                              f"give this output its own name = \"...\"", "name")
        seen[job.subdir, job.name] = job.line
        jobs.append(job)
    title = _string(hw, "title", head["title"]) if "title" in head else ""
    return Lecture(tuple(jobs), title, out, fname)


def load(path: str | os.PathLike) -> Lecture:
    """Read and check the lecture file ``path`` (relative paths inside it are relative to its folder)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"lecture file {str(p)!r} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"lecture file {str(p)!r} is a directory, expected a .toml file") from None
    except UnicodeDecodeError:
        raise InputError(f"lecture file {str(p)!r} is not UTF-8 text") from None
    except OSError as e:
        raise InputError(f"cannot read lecture file {str(p)!r}: {e.strerror}") from None
    lec = parse(text, str(p), p.parent)
    return Lecture(lec.jobs, lec.title, lec.out, str(p))


def catalogue_lecture(*, scenes: bool = True, quality: str = "l") -> Lecture:
    """The built-in catalogue as a lecture: every diagram (SVG) and, with ``scenes``, every scene (MP4)."""
    from gatelab.diagrams.catalogue import DIAGRAMS

    jobs = [Job(name=n, kind="diagram", view=n, formats=("svg",), theme="light") for n in DIAGRAMS]
    if scenes:
        from gatelab.scenes.catalogue import SCENES

        jobs += [Job(name=n, kind="scene", view=n, formats=("mp4",), quality=quality, theme="dark") for n in SCENES]
    return Lecture(tuple(jobs), "GateLab catalogue")
