"""`gatelab slides`: still slides of diagrams and plots, notes, offline HTML, PDF, PPTX, clean outputs."""
from __future__ import annotations

import re

import pytest

from gatelab import style
from gatelab.engines import registry
from gatelab.present import reveal
from tests.cli_helpers import one_line_error

LECTURE = """
[lecture]
title = "Gates"

[[output]]
diagram = "lstm-cell"
step = 2

[[output]]
name = "acts"
plot = "activations"
"""


@pytest.fixture(scope="module")
def stills_deck(tmp_path_factory):
    """A two-slide lecture (a diagram, a plot) built to HTML, PDF and PPTX through the CLI."""
    from click.testing import CliRunner

    from gatelab.render import cli

    d = tmp_path_factory.mktemp("deck")
    (d / "gates.toml").write_text(LECTURE)
    out = d / "out"
    res = CliRunner().invoke(cli, ["slides", str(d / "gates.toml"), "--out", str(out), "--to", "html", "--to", "pdf",
                                   "--to", "pptx"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return out, res


def _notes(html: str) -> list[str]:
    return re.findall(r'<aside class="notes"[^>]*>(.*?)</aside>', html, flags=re.S)


@pytest.mark.slow
def test_the_deck_files_and_the_still_pictures_are_written(stills_deck):
    out, res = stills_deck
    assert res.stdout.split() == [str(out / f"gates.{f}") for f in ("html", "pdf", "pptx")]
    assert (out / "diagrams" / "lstm-cell.png").stat().st_size > 1000
    assert (out / "plots" / "acts.png").stat().st_size > 1000
    leftovers = [p.name for p in out.rglob("*") if p.name.startswith(".")]
    assert leftovers == []


@pytest.mark.slow
def test_html_loads_nothing_from_the_network_and_every_slide_file_exists(stills_deck):
    out, _ = stills_deck
    html = (out / "gates.html").read_text()
    assert reveal.remote_links(html) == []
    assert "<title>Gates</title>" in html
    media = re.findall(r'data-background-(?:image|video)="([^"]+)"', html)
    assert len(media) == 2
    for ref in media:
        assert (out / ref).is_file(), ref
    for ref in re.findall(r'(?:src|href)="([^"]+)"', re.sub(r"<!--.*?-->", "", html, flags=re.S)):
        assert (out / ref).is_file(), ref
    assert any("reveal.js/dist/reveal.js" in r for r in re.findall(r'src="([^"]+)"', html))


@pytest.mark.slow
def test_notes_carry_the_walkthrough_of_the_step_the_diagram_shows(stills_deck):
    out, _ = stills_deck
    notes = _notes((out / "gates.html").read_text())
    assert len(notes) == 2
    f2 = registry.compute("lstm", registry.Source(), {}).trace.steps[1].f
    assert "lstm-cell" in notes[0] and "Step t = 2" in notes[0]
    assert all(style.fmt(v, 4) in notes[0] for v in f2)
    assert "activations" in notes[1].lower()


@pytest.mark.slow
def test_pdf_has_a_page_per_slide_and_pptx_a_slide_with_notes_each(stills_deck):
    import pptx

    out, _ = stills_deck
    pdf = (out / "gates.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) == 2
    deck = pptx.Presentation(str(out / "gates.pptx"))
    assert len(deck.slides) == 2
    assert "Step t = 2" in deck.slides[0].notes_slide.notes_text_frame.text


@pytest.mark.slow
def test_one_file_inlines_reveal_and_the_pictures(tmp_path, run_cli):
    (tmp_path / "one.toml").write_text('[[output]]\ndiagram = "rnn-unfolded"\n')
    res = run_cli("slides", tmp_path / "one.toml", "--out", tmp_path / "o", "--one-file", "--theme", "light")
    assert res.exit_code == 0, res.output
    html = (tmp_path / "o" / "one.html").read_text()
    assert reveal.remote_links(html) == [] and "data:image/png;base64," in html
    assert "<script src=" not in re.sub(r"<!--.*?-->", "", html, flags=re.S) and "Reveal.initialize" in html
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["diagrams", "one.html"]


def test_remote_links_are_found():
    assert reveal.remote_links('<script src="https://cdn.example/reveal.js">')
    assert reveal.remote_links("<link href=//cdn.example/x.css>")
    assert reveal.remote_links('<img src="deck_assets/a.png">') == []


def test_vendored_reveal_is_complete():
    for rel in ("reveal.js", "reveal.css", "theme/dracula.css", "theme/serif.css",
                "plugin/notes.js", "plugin/markdown.js", "plugin/highlight/zenburn.css", "LICENSE"):
        assert (reveal.VENDOR / rel).is_file(), rel
    for css in reveal.VENDOR.rglob("*.css"):
        assert not re.search(r"@import|url\((?!data:)", css.read_text()), css


def test_bad_input_is_one_line(tmp_path, run_cli):
    (tmp_path / "bad.toml").write_text('[[output]]\ndiagram = "lstm-unfoldd"\n')
    one_line_error(run_cli("slides", tmp_path / "bad.toml", "--out", tmp_path / "o"), "bad.toml:2", "lstm-unfolded")
    one_line_error(run_cli("slides", tmp_path / "missing.toml"), "missing.toml")
    (tmp_path / "ok.toml").write_text('[[output]]\ndiagram = "rnn-unfolded"\n')
    (tmp_path / "file").write_text("x")
    one_line_error(run_cli("slides", tmp_path / "ok.toml", "--out", tmp_path / "file"), "is a file")
    one_line_error(run_cli("slides", tmp_path / "ok.toml", "--to", "key"), "key")
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
