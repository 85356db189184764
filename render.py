"""GateLab command line: ``gatelab`` (or ``python render.py``).

The thin orchestrator, and the only module that imports engines, diagrams and scenes.
graphviz and manim are imported lazily, so ``compute``/``explain`` never pay for them.
Every user error is reported as one line ``Error: ...`` with exit code 2.
"""
from __future__ import annotations

import sys
from typing import Any

if __name__ == "__main__" and __package__ in (None, ""):
    # `python render.py` from a checkout: make sure this checkout is importable as `gatelab`
    import importlib.util
    import os

    if importlib.util.find_spec("gatelab") is None:
        _root = os.path.dirname(os.path.abspath(__file__))
        _spec = importlib.util.spec_from_file_location("gatelab", os.path.join(_root, "__init__.py"),
                                                       submodule_search_locations=[_root])
        sys.modules["gatelab"] = importlib.util.module_from_spec(_spec)
        _spec.loader.exec_module(sys.modules["gatelab"])

import click

from gatelab.engines import __version__, presets, registry
from gatelab.engines.errors import GateLabError
from gatelab.diagrams import catalogue as dcat
from gatelab.scenes import catalogue as scat


class Terminated(KeyboardInterrupt):
    """SIGTERM reached the CLI: unwind like Ctrl-C, so every render removes its temporary files."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum, frame) -> None:
    from gatelab.lecture.worker import redeliver_stops

    if not getattr(_terminate, "hooked", False):
        redeliver_stops(Terminated, signum)     # a stop that lands in a finaliser is sent again, not lost
        _terminate.hooked = True
    raise Terminated(signum)


class _OneLineGroup(click.Group):
    """Report usage errors and GateLab errors as a single line, exit code 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _terminate)
        try:
            rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                              standalone_mode=False, **extra)
        except click.exceptions.Abort as e:
            if isinstance(e.__cause__, Terminated):
                click.echo("Stopped by SIGTERM: no partial output left.", err=True)
                sys.exit(128 + e.__cause__.signum)
            click.echo("Aborted.", err=True)
            sys.exit(1)
        except click.ClickException as e:
            click.echo(f"Error: {e.format_message()}", err=True)
            sys.exit(2 if isinstance(e, click.UsageError) else max(e.exit_code, 2))
        except GateLabError as e:
            click.echo(f"Error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", err=True)
            sys.exit(2)
        if isinstance(rv, int) and rv:
            sys.exit(rv)
        if standalone_mode:
            sys.exit(0)
        return rv


# --------------------------------------------------------------------------- options

class _Name(click.Choice):
    """A catalogue name: a misspelling gets a short error with the closest name, not the whole list."""

    def __init__(self, names, what: str) -> None:
        super().__init__(list(names))
        self.what = what

    def get_metavar(self, param, ctx=None, **_kw) -> str:  # `gatelab compute MODEL`, not {rnn|lstm|...}
        return self.what.upper()

    def convert(self, value, param, ctx):
        if value in self.choices:
            return value
        import difflib
        close = difflib.get_close_matches(str(value), list(self.choices), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        self.fail(f"unknown {self.what} {value!r}{hint} (`gatelab list` shows them all)", param, ctx)


def _click_type(t: Any):
    if isinstance(t, tuple):
        return click.Choice(t)
    return t


def _option_decorators(table: dict[str, registry.OptionSpec], skip: set[str] = frozenset()):
    decs = []
    for name, spec in table.items():
        if name in skip:
            continue
        flag = "--" + name.replace("_", "-")
        if spec.type is bool:
            decs.append(click.option(flag, name, is_flag=True, default=None, help=spec.help))
        else:
            decs.append(click.option(flag, name, type=_click_type(spec.type), default=None, help=spec.help))
    return decs


def _apply(decs):
    def wrap(f):
        for d in reversed(decs):
            f = d(f)
        return f
    return wrap


def source_options(f):
    """--preset/--weights/--inputs/--seed and the sizes of random weights."""
    decs = [
        click.option("--preset", "-p", default=None, help="A shipped worked example (see `gatelab list`)."),
        click.option("--weights", "-w", type=click.Path(dir_okay=True), default=None,
                     help="Weights file: PyTorch .pt/.pth/.bin state_dict, .safetensors, Keras .keras/.weights.h5, "
                          "or our .json/.npz (`gatelab inspect FILE` shows what is inside); or a Hugging Face model "
                          "folder (config.json + model.safetensors or pytorch_model.bin) of a BERT, RoBERTa, DistilBERT, "
                          "ELECTRA, GPT-2 or ViT."),
        click.option("--module", default=None, help="Which module of a checkpoint to draw (e.g. rnn), when several fit."),
        click.option("--head-module", "head_module", default=None,
                     help="A linear/dense layer of the checkpoint to use as the output layer (none: no head)."),
        click.option("--inputs", "-i", type=click.Path(dir_okay=False), default=None,
                     help='Inputs: JSON {"x": [[...], ...]} time-major, optional "h0", "c0", "target"; or .npy (x) / .npz.'),
        click.option("--seed", type=int, default=None, help="Random weights and inputs from this seed."),
        click.option("--hidden", type=int, default=None, help="Hidden size of random weights (with --seed)."),
        click.option("--input-size", "input_size", type=int, default=None, help="Input size of random weights (with --seed)."),
        click.option("--steps", type=int, default=None, help="Sequence length of random inputs (with --seed)."),
    ]
    return _apply(decs)(f)


verify_option = click.option(
    "--verify", is_flag=True,
    help="Run the framework that wrote --weights (torch or keras, if installed) on the same inputs and fail "
         "(exit 2) when any drawn value differs by more than 1e-6 (float32) / 1e-9 (float64).")


def _source(kw: dict) -> registry.Source:
    keys = ("preset", "weights", "inputs", "seed", "hidden", "input_size", "steps", "module")
    return registry.Source(**{k: kw.pop(k) for k in keys}, head=kw.pop("head_module"))


def _engine_options(kw: dict) -> dict:
    return {k: kw.pop(k) for k in list(kw) if k in registry.OPTIONS and kw[k] is not None}


# --------------------------------------------------------------------------- commands

@click.group(cls=_OneLineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gatelab")
def cli() -> None:
    """GateLab: diagrams and animations of sequence models, drawn from real engine runs."""


def catalogue_rows() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every catalogue as (title, [(name, summary)]): `gatelab list` and docs/catalogue.md come from here."""
    return [("Models (gatelab compute|explain MODEL)",
             [(m.name, f"{m.summary} [default preset: {m.default_preset}]") for m in registry.MODELS.values()]),
            ("Presets (--preset NAME)", [(p.name, f"[{p.model}] {p.description}") for p in presets.catalogue()]),
            *((title, [(e.name, e.summary) for e in cat.values()])
              for title, cat in (("Diagrams (gatelab diagram NAME)", dcat.DIAGRAMS),
                                 ("Scenes (gatelab scene NAME)", scat.SCENES),
                                 ("Plots (gatelab plot NAME)", dcat.PLOTS)))]


@cli.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "md"]), default="text", show_default=True,
              help="md: the Markdown tables of docs/catalogue.md.")
def list_cmd(fmt: str) -> None:
    """Models, presets, diagrams, scenes and plots, one line each."""
    for title, rows in catalogue_rows():
        if fmt == "md":
            click.echo(f"## {title}\n\n| name | what it is |\n|---|---|")
            for n, s in rows:
                click.echo(f"| `{n}` | {s.replace('|', chr(92) + '|')} |")
        else:
            click.echo(title + ":")
            width = max((len(n) for n, _ in rows), default=0)
            for n, s in rows:
                click.echo(f"  {n.ljust(width)}  {s}")
        click.echo()


@cli.command()
@click.argument("model", type=_Name(registry.MODELS, "model"))
@source_options
@_apply(_option_decorators(registry.OPTIONS))
@click.option("--json", "as_json", is_flag=True, help="Print the whole trace as JSON.")
@verify_option
def compute(model: str, as_json: bool, verify: bool, **kw) -> None:
    """Run MODEL's engine and print its values (a table, or the trace as JSON)."""
    src = _source(kw)
    result = registry.compute(model, src, _engine_options(kw))
    _note(result)
    if verify:
        click.echo(registry.verify(result, src).line(), err=True)
    if as_json:
        click.echo(result.trace.to_json())
    else:
        click.echo(registry.walkthrough(model).table(result.trace))


@cli.command()
@click.argument("model", type=_Name(registry.MODELS, "model"))
@source_options
@_apply(_option_decorators(registry.OPTIONS))
@click.option("--format", "fmt", type=click.Choice(["md", "tex"]), default="md", show_default=True,
              help="Markdown for notes, LaTeX for an answer key.")
def explain(model: str, fmt: str, **kw) -> None:
    """The worked solution of MODEL, step by step, with shapes and numbers."""
    src = _source(kw)
    result = registry.compute(model, src, _engine_options(kw))
    _note(result)
    click.echo(registry.walkthrough(model).explain(result.trace, fmt))


_DIAGRAM_SHARED = set(registry.OPTIONS)


@cli.command()
@click.argument("name", type=_Name(dcat.DIAGRAMS, "diagram"))
@source_options
@_apply(_option_decorators(registry.OPTIONS))
@_apply(_option_decorators(dcat.OPTIONS, skip=_DIAGRAM_SHARED))
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False), default=None,
              help="Output file; its extension (.svg/.png/.pdf/.dot) picks the format.")
@click.option("--format", "-f", "formats", type=click.Choice(["svg", "png", "pdf"]), multiple=True,
              help="Output format(s) when -o is not given (repeatable). Default: svg.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="media", show_default=True,
              help="Media directory; files go to OUT/diagrams/NAME.FORMAT.")
@click.option("--theme", type=click.Choice(["light", "dark"]), default="light", show_default=True)
@click.option("--values", type=click.Choice(["none", "key", "all"]), default="all", show_default=True,
              help="Which numbers to print on the figure.")
@click.option("--digits", type=click.IntRange(1, 8), default=3, show_default=True,
              help="Significant digits of printed numbers.")
@click.option("--dot", "dot_only", is_flag=True, help="Print the DOT source instead of rendering (no Graphviz binary needed).")
@verify_option
def diagram(name: str, output, formats, out_dir, theme, values, digits, dot_only, verify, **kw) -> None:
    """Draw diagram NAME from a real trace and export it (SVG by default)."""
    from gatelab.diagrams import api
    src = _source(kw)
    options = {k: v for k, v in kw.items() if v is not None}
    result = api.render(name, source=src, options=options, theme=theme, values=values, digits=digits,
                        formats=tuple(formats), output=output, out_dir=out_dir, dot_only=dot_only, verify=verify)
    if dot_only:
        click.echo(result, nl=False)
    else:
        for path in result:
            click.echo(path)


@cli.command()
@click.argument("name", type=_Name(scat.SCENES, "scene"))
@source_options
@_apply(_option_decorators(registry.OPTIONS))
@_apply(_option_decorators(scat.OPTIONS, skip=_DIAGRAM_SHARED))
@click.option("--quality", "-q", type=click.Choice(["l", "m", "h", "k"]), default="l", show_default=True,
              help="l=480p15, m=720p30, h=1080p60, k=4K.")
@click.option("--format", "fmt", type=click.Choice(["mp4", "gif", "webm", "png"]), default="mp4", show_default=True,
              help="png writes the last frame.")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False), default=None, help="Output file.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="media", show_default=True,
              help="Media directory; files go to OUT/videos/NAME.FORMAT.")
@click.option("--theme", type=click.Choice(["light", "dark"]), default="dark", show_default=True)
@click.option("--tex", is_flag=True, help="Typeset equations with LaTeX (must be installed).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: only when stderr is a terminal, so logs stay readable).")
@click.option("--jobs", "-j", "jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Draw the scene's animations in N processes and join them (mp4, webm).")
@click.option("--cache/--no-cache", "cache", default=True, show_default=True,
              help="Keep each animation's movie (~/.cache/gatelab/manim) so a re-render draws only what changed.")
@verify_option
def scene(name: str, quality, fmt, output, out_dir, theme, tex, progress, jobs, cache, verify, **kw) -> None:
    """Render animation NAME (Manim) from a real trace."""
    from gatelab.scenes import api
    src = _source(kw)
    options = {k: v for k, v in kw.items() if v is not None}
    path = api.render(name, source=src, options=options, quality=quality, fmt=fmt, output=output,
                      out_dir=out_dir, theme=theme, tex=tex, progress=_progress(progress), verify=verify,
                      parts=jobs, cache=cache)
    click.echo(path)


@cli.command()
@click.argument("name", type=_Name(dcat.PLOTS, "plot"))
@source_options
@_apply(_option_decorators({k: registry.OPTIONS[k] for p in dcat.PLOTS.values() for k in registry.get(p.model).options}))
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False), default=None,
              help="Output file (.svg/.png/.pdf). Default: OUT/plots/NAME.svg.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="media", show_default=True)
def plot(name: str, output, out_dir, **kw) -> None:
    """Plot NAME (training curves) with matplotlib from a real trace; SVG by default."""
    import importlib
    import os
    spec = dcat.PLOTS.get(name)
    src = _source(kw)
    engine_options = _engine_options(kw)      # pops them from kw: read once
    result = registry.resolve(spec.traces(src, engine_options, {}), src, engine_options)[""]
    plot_module = importlib.import_module(spec.module)
    if output is None:
        output = os.path.join(out_dir, "plots", f"{name}.svg")
        try:
            os.makedirs(os.path.dirname(output), exist_ok=True)
        except OSError as e:
            raise click.UsageError(f"cannot create {os.path.dirname(output)!r}: {e.strerror}") from None
    title = result.provenance.get("preset") or os.path.basename(str(result.provenance.get("weights", ""))) or ""
    click.echo(plot_module.save(getattr(plot_module, spec.attr)(result.trace, title), output))


def build_options(f):
    """-j, -q, --only, --out, --force, --executor, --scheduler: shared by `build` and `all`."""
    decs = [
        click.option("--jobs", "-j", "workers", type=click.IntRange(1, 256), default=None,
                     help="Worker processes (default: the number of cores)."),
        click.option("--only", multiple=True, metavar="PATTERN",
                     help="Only the outputs whose name matches this glob (repeatable), e.g. 'lstm-*'."),
        click.option("--force", is_flag=True, help="Render again even what the cache says is up to date."),
        click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
                     help="local: worker processes on this machine; dask: the Dask cluster at --scheduler."),
        click.option("--scheduler", default=None, metavar="ADDRESS",
                     help="Dask scheduler address for --executor dask (e.g. tcp://10.0.0.5:8786)."),
    ]
    return _apply(decs)(f)


@cli.command("build")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--quality", "-q", type=click.Choice(["l", "m", "h", "k"]), default=None,
              help="Quality of every scene (default: as the lecture file says, else l).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output directory (default: the file's [lecture] out, else media).")
@build_options
def build_cmd(file: str, quality, out_dir, workers, only, force, executor, scheduler) -> None:
    """Build every output a lecture file lists (diagrams, scenes, plots), in parallel; unchanged outputs are
    cached. The file is checked whole before anything renders."""
    from gatelab import lecture
    from gatelab.lecture import progress

    lec = lecture.load(file).select(tuple(only))
    return progress.run(lec, out_dir or lec.out or "media", workers=workers, quality=quality, force=force,
                        executor=executor, scheduler=scheduler)


@cli.command("all")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="media", show_default=True)
@click.option("--scenes/--no-scenes", "with_scenes", default=True, show_default=True,
              help="Also render every scene (MP4); --no-scenes: the diagrams only.")
@click.option("--quality", "-q", type=click.Choice(["l", "m", "h", "k"]), default="l", show_default=True,
              help="Quality of the scenes.")
@build_options
def all_cmd(out_dir: str, with_scenes: bool, quality, workers, only, force, executor, scheduler) -> None:
    """The whole catalogue: every diagram (SVG) and every scene (MP4), built like a lecture (cached, in parallel)."""
    from gatelab.lecture import catalogue_lecture, progress

    lec = catalogue_lecture(scenes=with_scenes, quality=quality).select(tuple(only))
    return progress.run(lec, out_dir, workers=workers, quality=quality, force=force, executor=executor,
                        scheduler=scheduler)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="media", show_default=True)
def demo(out_dir: str) -> None:
    """The default outputs: the lstm-3step walkthrough, its unfolded diagram and the gates animation."""
    result = registry.compute("lstm")
    click.echo(registry.walkthrough("lstm").table(result.trace))
    if "lstm-unfolded" in dcat.DIAGRAMS:
        from gatelab.diagrams import api as dapi
        for path in dapi.render("lstm-unfolded", source=registry.Source(), options={}, theme="light",
                                values="all", digits=3, formats=("svg", "png"), output=None,
                                out_dir=out_dir, dot_only=False):
            click.echo(f"wrote {path}")
    if "lstm-gates" in scat.SCENES:
        from gatelab.scenes import api as sapi
        path = sapi.render("lstm-gates", source=registry.Source(), options={}, quality="l", fmt="mp4",
                           output=None, out_dir=out_dir, theme="dark", tex=False, progress=_progress(None))
        click.echo(f"wrote {path}")


def _note(result: registry.Computed) -> None:
    """Which module of a checkpoint was used, on stderr (stdout stays the table or the JSON)."""
    if result.provenance.get("note"):
        click.echo(result.provenance["note"], err=True)


def _progress(flag: bool | None) -> bool:
    """--progress/--no-progress as given; by default only on an interactive terminal."""
    return sys.stderr.isatty() if flag is None else flag


@cli.command("inspect")
@click.argument("file", required=False, type=click.Path(dir_okay=True))
@click.option("--preset", "-p", default=None, help="Inspect a shipped preset instead of a file.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def inspect_cmd(file: str | None, preset: str | None, as_json: bool) -> None:
    """What is inside a weights file (.pt/.pth/.bin, .safetensors, .keras, .weights.h5, .npz, .json):
    modules, shapes, dtypes, parameter counts and the command that draws each module. Reads headers only."""
    from gatelab.engines.formats import inspect as finspect
    if (file is None) == (preset is None):
        raise click.UsageError("give a weights FILE or --preset NAME (one of them)")
    path = finspect.preset_path(preset) if preset else file
    s = finspect.summary(path, preset=preset)
    if as_json:
        import json
        click.echo(json.dumps(s, indent=1))
    else:
        click.echo(finspect.text(s))


# `gatelab slides LECTURE.toml` and `gatelab gallery` (presenting a lecture; gatelab/present/)
from gatelab.present.cli import COMMANDS as _PRESENT_COMMANDS  # noqa: E402

for _command in _PRESENT_COMMANDS:
    cli.add_command(_command)


def main() -> None:
    cli.main(prog_name="gatelab")


if __name__ == "__main__":
    main()
