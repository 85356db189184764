"""word2vec through the CLI: the neighbours table, the worked update, one-line refusals (exit 2, no file
written), the embedding-lookup diagram's numbers in the SVG, and the word-embeddings plot."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.cli_helpers import one_line_error

sys.path.insert(0, str(Path(__file__).resolve().parent / "diagrams"))
from _diagram_helpers import parse_svg, svg_texts  # noqa: E402

from gatelab.style import fmt  # noqa: E402


@pytest.fixture(scope="module")
def trace_json():
    from click.testing import CliRunner

    from gatelab.render import cli
    r = CliRunner().invoke(cli, ["compute", "word2vec", "--json"], catch_exceptions=False)
    assert r.exit_code == 0
    return json.loads(r.stdout)


def test_compute_shows_the_nearest_neighbours_table(run_cli, trace_json):
    r = run_cli("compute", "word2vec")
    assert r.exit_code == 0, r.stderr
    assert "nearest 1 (cos)" in r.stdout and "neighbour_accuracy = 1 " in r.stdout
    cat = next(line for line in r.stdout.splitlines() if line.split()[:2] == ["cat", "animal"])
    i = trace_json["vocab"].index("cat")
    first = trace_json["vocab"][trace_json["neighbours"][i][0]]
    assert cat.split()[3:5] == [first, fmt(trace_json["neighbour_cos"][i][0])]
    assert "every cosine between different words is 0" in r.stdout


def test_explain_works_through_one_pair(run_cli, trace_json):
    r = run_cli("explain", "word2vec")
    assert r.exit_code == 0, r.stderr
    w = trace_json["worked"][0]
    for x in (w["s"][0], w["sig"][0], w["loss"], w["grad_v"][0], w["loss_after"]):
        assert fmt(x, 4) in r.stdout, x
    assert "sigma(s)" in r.stdout and "dL/dv_c" in r.stdout


@pytest.mark.parametrize("args, needles", [
    (("compute", "word2vec", "--dim", "50"), ["--dim 50 is larger than the vocabulary (22 words)"]),
    (("diagram", "embedding-lookup", "--word", "zebra", "--dot"), ["unknown word 'zebra' in --word"]),
    (("diagram", "embedding-lookup", "--word", "hrose", "--dot"), ["did you mean 'horse'"]),
    (("compute", "word2vec", "--epochs", "-1"), ["--epochs must be an integer in 0..5000"]),
])
def test_bad_options_are_one_line(run_cli, args, needles):
    one_line_error(run_cli(*args), *needles)


def test_empty_corpus_is_one_line_and_writes_nothing(run_cli, write_json, tmp_path):
    w = write_json({"model": "word2vec", "weights": {"seed": 0}, "inputs": {"corpus": []}}, "w.json")
    one_line_error(run_cli("compute", "word2vec", "--weights", w), "the corpus is empty")
    out = tmp_path / "x.svg"
    one_line_error(run_cli("diagram", "embedding-lookup", "--weights", w, "-o", str(out)), "the corpus is empty")
    one_line_error(run_cli("plot", "word-embeddings", "--weights", w, "-o", str(out)), "the corpus is empty")
    assert not out.exists()


def test_embedding_lookup_svg_carries_the_selected_row(tmp_path, trace_json):
    from gatelab.diagrams import api
    out = tmp_path / "e.svg"
    api.render("embedding-lookup", options={"word": "Horse"}, output=str(out))
    texts = svg_texts(parse_svg(out))
    i = trace_json["vocab"].index("horse")
    row = [fmt(x) for x in trace_json["V"][i]]
    joined = " ".join(texts)
    for x in row:
        assert texts.count(x) >= 2, x              # in the highlighted row of V and in the dense vector
    assert f"row {i + 1} of V" in joined and "horse" in joined
    assert f"= {fmt(trace_json['neighbour_cos'][i][0])}" in joined


def test_embedding_lookup_escapes_words(tmp_path, write_json):
    from gatelab.diagrams import api
    from gatelab.engines.registry import Source
    w = write_json({"model": "word2vec", "weights": {"seed": 0}, "options": {"dim": 2, "epochs": 2},
                    "inputs": {"corpus": ["<b>x</b> \"]; eats", "a <b>x</b> eats"]}}, "w.json")
    out = tmp_path / "e.svg"
    api.render("embedding-lookup", source=Source(weights=w), options={"word": "<b>x</b>"}, output=str(out))
    assert "<b>x</b>" in " ".join(svg_texts(parse_svg(out)))


@pytest.mark.slow
def test_word_embeddings_plot(run_cli, tmp_path, trace_json):
    out = tmp_path / "p.svg"
    r = run_cli("plot", "word-embeddings", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    from gatelab.diagrams import plot_word2vec
    from gatelab.engines import registry
    tr = registry.compute("word2vec").trace
    fig = plot_word2vec.figure(tr, "t")
    ax = fig.axes[0]
    ratio = trace_json["explained_variance_ratio"]
    assert fmt(100 * ratio[0]) in ax.get_xlabel() and fmt(100 * ratio[1]) in ax.get_ylabel()
    pts = np.vstack([c.get_offsets() for c in ax.collections])
    assert sorted(map(tuple, pts.round(12))) == sorted(map(tuple, np.array(trace_json["pca"]).round(12)))
    assert {t.get_text() for t in ax.texts} == set(trace_json["vocab"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["animal", "food", "colour", "other words"]
    assert out.stat().st_size > 1000
