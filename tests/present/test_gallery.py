"""The committed gallery lists every catalogue entry with its command and has a thumbnail for each."""
from __future__ import annotations

from pathlib import Path

from gatelab.diagrams import catalogue as dcat
from gatelab.present import gallery
from gatelab.scenes import catalogue as scat
from tests.cli_helpers import one_line_error

ROOT = Path(__file__).resolve().parents[2]


def test_the_gallery_page_is_current():
    committed = (ROOT / "docs" / "gallery.md").read_text(encoding="utf-8")
    assert committed == gallery.page(gallery.items(), "gallery") + "\n", "run `make gallery` and commit the result"


def test_every_diagram_scene_and_plot_is_listed_with_its_command_and_thumbnail():
    from PIL import Image

    page = (ROOT / "docs" / "gallery.md").read_text(encoding="utf-8")
    names = [("diagram", n) for n in dcat.DIAGRAMS] + [("scene", n) for n in scat.SCENES] + [("plot", n) for n in dcat.PLOTS]
    for kind, name in names:
        assert f"`gatelab {kind} {name}" in page, name
        thumb = ROOT / "docs" / "gallery" / f"{kind}-{name}.png"
        assert f"(gallery/{thumb.name})" in page
        with Image.open(thumb) as im:
            assert im.width == gallery.WIDTH, thumb
    assert sorted(p.name for p in (ROOT / "docs" / "gallery").iterdir()) == sorted(f"{k}-{n}.png" for k, n in names)


def test_readme_shows_the_gallery():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/gallery.md" in readme and "docs/gallery/" in readme


def test_gallery_draws_a_chosen_entry(tmp_path, run_cli):
    res = run_cli("gallery", "--out", tmp_path / "g", "--page", tmp_path / "g.md", "--only", "rnn-unfolded",
                  "--width", "200")
    assert res.exit_code == 0, res.output
    from PIL import Image

    with Image.open(tmp_path / "g" / "diagram-rnn-unfolded.png") as im:
        assert im.width == 200
    assert (tmp_path / "g.md").read_text() == gallery.page(gallery.items(), "g") + "\n"
    assert [p.name for p in (tmp_path / "g").iterdir()] == ["diagram-rnn-unfolded.png"]
    one_line_error(run_cli("gallery", "--out", tmp_path / "h", "--only", "nothing-*"), "nothing-*")
