"""A deck with a scene: its beats become slides of the same render as the plain video, and the HTML deck
works in a real headless Chromium (no console errors, every media file there, slides not blank)."""
from __future__ import annotations

import re

import pytest

from gatelab.present import reveal
from tests.present import _chromium

pytestmark = pytest.mark.slow

LECTURE = """
[lecture]
title = "Highway"

[[output]]
diagram = "lstm-unfolded"

[[output]]
name = "hw"
scene = "highway"             # seeded, two examples: a short scene
seed = 1
hidden = 2
steps = 2
quality = "l"
pace = 0.0
"""


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    from click.testing import CliRunner

    from gatelab.render import cli

    d = tmp_path_factory.mktemp("browser")
    (d / "talk.toml").write_text(LECTURE)
    res = CliRunner().invoke(cli, ["slides", str(d / "talk.toml"), "--out", str(d / "out")], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return d / "out"


def _frames(path) -> int:
    import av

    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def test_each_beat_is_a_slide_cut_from_the_plain_video(deck):
    from gatelab.scenes.highway import HighwayScene

    html = (deck / "talk.html").read_text()
    videos = re.findall(r'data-background-video="([^"]+)"', html)
    images = re.findall(r'data-background-image="([^"]+)"', html)
    assert len(images) == 1
    # intro, one forward beat per example (two), gradient
    assert len(videos) == 2 + 2 and len(HighwayScene.beats) == 3
    plain = deck / "videos" / "hw.mp4"
    assert _frames(plain) == sum(_frames(deck / v) for v in videos)


def test_scene_slides_carry_notes_of_their_beat(deck):
    notes = re.findall(r'<aside class="notes"[^>]*>(.*?)</aside>', (deck / "talk.html").read_text(), flags=re.S)
    assert len(notes) == 5
    assert [n.split("\n")[0].strip() for n in notes[1:]] == ["highway: intro"] + ["highway: forward"] * 2 + \
        ["highway: gradient"]
    assert "Example b = 1" in notes[2] and "Example b = 2" in notes[3] and "Example b = 1" not in notes[3]


def test_the_html_deck_in_chromium(deck, tmp_path):
    from PIL import Image, ImageStat

    html = deck / "talk.html"
    assert reveal.remote_links(html.read_text()) == []
    page = _chromium.load(html)
    assert page["errors"] == [], page
    assert page["ready"] and page["slides"] == 5, page
    assert not [ln for ln in page["console"] if "Uncaught" in ln or "rror" in ln], page["console"]
    for k in (0, 3):
        shot = _chromium.screenshot(html, k, tmp_path / f"slide{k}.png")
        with Image.open(shot) as im:
            assert ImageStat.Stat(im.convert("L")).stddev[0] > 8, f"slide {k} looks blank"
