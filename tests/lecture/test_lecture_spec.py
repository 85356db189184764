"""The lecture file parser: jobs from TOML, every error one line naming the file and the line."""
from __future__ import annotations

import pytest

from gatelab.engines.errors import InputError
from gatelab.lecture import load, parse

GOOD = """\
[lecture]
title = "Week 5"
quality = "m"
out = "build"

[[output]]
diagram = "lstm-unfolded"
formats = ["svg", "png"]
max-steps = 4

# the gates, brisk
[[output]]
name = "gates"
scene = "lstm-gates"
pace = 0.5
quality = "l"

[[output]]
scene = "rnn-unfold"
seed = 3
hidden = 2
inputs = {x = [[1.0, 2.0]]}

[[output]]
plot = "activations"
function = "tanh"
"""


def test_jobs_in_file_order_with_lines_defaults_and_paths(tmp_path):
    f = tmp_path / "lec.toml"
    f.write_text(GOOD)
    lec = load(f)
    assert lec.title == "Week 5" and lec.out == str(tmp_path / "build")
    d, s, r, p = lec.jobs
    assert (d.kind, d.view, d.name, d.formats, d.options, d.line, d.theme) == \
        ("diagram", "lstm-unfolded", "lstm-unfolded", ("svg", "png"), {"max_steps": 4}, 6, "light")
    assert (s.kind, s.name, s.view, s.quality, s.options, s.formats, s.line, s.theme) == \
        ("scene", "gates", "lstm-gates", "l", {"pace": 0.5}, ("mp4",), 12, "dark")
    assert r.quality == "m" and r.source.seed == 3 and r.source.hidden == 2 and r.source.inputs == {"x": [[1.0, 2.0]]}
    assert p.kind == "plot" and p.options == {"function": "tanh"} and p.quality is None
    assert d.path("OUT", "png").endswith("diagrams/lstm-unfolded.png") and s.path("OUT", "mp4").endswith("videos/gates.mp4")


def test_paths_are_relative_to_the_lecture_file(tmp_path):
    f = tmp_path / "sub" / "lec.toml"
    f.parent.mkdir()
    f.write_text('[[output]]\ndiagram = "lstm-cell"\nweights = "w.json"\ninputs = "x.json"\n')
    (tmp_path / "sub" / "w.json").write_text("{}")
    (tmp_path / "sub" / "x.json").write_text("{}")
    (job,) = load(f).jobs
    assert job.source.weights == str(tmp_path / "sub" / "w.json") and job.source.inputs == str(tmp_path / "sub" / "x.json")


@pytest.mark.parametrize("text, message", [
    ('[[output]]\nscene = "lstm-gates"\n\nhiden = 3\n', "lecture.toml:4: unknown option 'hiden' (did you mean 'hidden'?)"),
    ('[[output]]\ndiagram = "gan"\n[[output]]\ndiagram = "lstm-unfoldd"\n',
     "lecture.toml:4: unknown diagram 'lstm-unfoldd' (did you mean 'lstm-unfolded'?)"),
    ('[[output]]\ndiagram = "lstm-cell"\nstep = "two"\n', "lecture.toml:3: step = 'two': expected an integer"),
    ('[[output]]\ndiagram = "lstm-cell"\nvariant = "peep"\n', "lecture.toml:3: variant = 'peep': expected one of standard"),
    ('[[output]]\nscene = "lstm-gates"\nformats = ["svg"]\n', "lecture.toml:3: unknown scene format 'svg'"),
    ('[[output]]\nscene = "lstm-gates"\nquality = "x"\n', "lecture.toml:3: quality = 'x': expected one of l, m, h, k"),
    ('[[output]]\ndiagram = "gan"\nquality = "l"\n', "lecture.toml:3: quality applies to scenes"),
    ('[[output]]\ndiagram = "gan"\nscene = "gan-compare"\n', "lecture.toml:1: an output names exactly one of"),
    ('[[output]]\nname = "../etc/x"\ndiagram = "gan"\n', "lecture.toml:2: output name '../etc/x' must be"),
    ('[[output]]\ndiagram = "gan"\n\n[[output]]\ndiagram = "gan"\n', "lecture.toml:4: output name 'gan' is already used on line 1"),
    ('[lectur]\ntitle = "x"\n', "lecture.toml:1: unknown table 'lectur' (did you mean 'lecture'?)"),
    ('[lecture]\ntitel = "x"\n[[output]]\ndiagram = "gan"\n', "lecture.toml:2: unknown key 'titel' (did you mean 'title'?)"),
    ('[lecture]\ntitle = "x"\n', "a lecture file lists its outputs as [[output]] tables; found none"),
    ('[[output]]\ndiagram = "gan"\nseed = "3"\n', "lecture.toml:3: seed = '3': expected an integer"),
    ('[[output]]\ndiagram = "gan"\n\nx = \n', "lecture.toml:4: invalid TOML"),
    ('[[output]]\ndiagram = "lstm-cell"\npreset = "lstm-3stp"\n', "lecture.toml:3: unknown preset 'lstm-3stp' (did you mean 'lstm-3step'?)"),
    ('[[output]]\ndiagram = "lstm-cell"\nweights = "nowhere.pt"\n', "lecture.toml:3: weights file"),
])
def test_errors_name_the_line_and_the_closest_word(text, message):
    with pytest.raises(InputError) as e:
        parse(text)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_load_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load(tmp_path / "none.toml")
    (tmp_path / "bad.toml").write_bytes(b"\xff\xfe[[output]]")
    with pytest.raises(InputError, match="not UTF-8"):
        load(tmp_path / "bad.toml")


def test_select_by_glob():
    lec = parse('[[output]]\ndiagram = "gan"\n[[output]]\ndiagram = "lstm-cell"\n[[output]]\nscene = "lstm-gates"\n')
    assert [j.name for j in lec.select(("lstm-*",)).jobs] == ["lstm-cell", "lstm-gates"]
    with pytest.raises(InputError, match="matches no output"):
        lec.select(("nothing*",))
