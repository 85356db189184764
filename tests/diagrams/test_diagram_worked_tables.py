"""binary-adder-table, norms, cross-entropy and the adder reading on rnn-unfolded: the trace's
numbers in the SVG (lxml), statistics against numpy along the stated axis, refusals."""
from __future__ import annotations

import numpy as np
import pytest

from gatelab.diagrams import api
from gatelab.style import fmt
from gatelab.engines import presets, registry
from gatelab.engines.registry import Source

from _diagram_helpers import metadata, parse_svg, svg_nodes, svg_texts
from cli_helpers import one_line_error


def _svg(tmp_path, name, **kw):
    p = tmp_path / f"{name}.svg"
    api.render(name, output=str(p), **kw)
    root = parse_svg(p)
    return root, svg_texts(root)


# --------------------------------------------------------------------------- binary adder

def test_rnn_unfolded_reads_the_adder(tmp_path):
    root, texts = _svg(tmp_path, "rnn-unfolded", source=Source(preset="binary-adder"))
    joined = " ".join(texts)
    tr = registry.compute("rnn", Source(preset="binary-adder")).trace
    assert "1 0 1 0 0" in texts and "1 1 0 0 0" in texts and "0 0 0 1 0" in texts   # a, b, sum bits LSB first
    for bits, value in (("1 0 1 0 0", "5"), ("1 1 0 0 0", "3"), ("0 0 0 1 0", "8")):
        i = texts.index(bits)
        assert texts[i + 1].strip() == "\u2192" and texts[i + 2] == value
    assert any(t.startswith("= 5 + 3") and t.endswith("\u2713") for t in texts)
    for name in tr.unit_names:
        assert name in texts
    for k, s in enumerate(tr.steps):
        assert f"carry {int(s.h[tr.adder.carry_unit])}" in texts
        assert f"a={int(s.x[0])} b={int(s.x[1])} (\u00d7{2 ** k})" in [t.replace("\xa0", "").replace("  ", " ") for t in texts]
    assert "place values 1, 2, 4, 8, 16" in joined


def test_exam_rnn_has_no_adder_rows(tmp_path):
    _, texts = _svg(tmp_path, "rnn-unfolded")
    assert not any("least significant" in t or t.startswith("carry ") for t in texts)


def test_binary_adder_table(tmp_path):
    root, texts = _svg(tmp_path, "binary-adder-table")
    a = registry.compute("rnn", Source(preset="binary-adder")).trace.adder
    assert svg_nodes(root) == ["truth_table", "legend"]
    assert texts.count("\u2713") == 8 and "\u2717" not in texts
    for r in a.truth_table:       # every row's vectors are in the SVG
        for v in (r.h_prev, r.pre, r.h):
            assert fmt(v[0]) in " ".join(texts) and ("[" + ", ".join(fmt(e) for e in v) + "]") in texts
        assert f"{r.full_adder_sum}, {r.full_adder_carry}" in texts
    assert any("every row equals the 1-bit full adder" in t for t in texts)
    assert metadata(root)["preset"] == "binary-adder"


def test_binary_adder_table_needs_an_adder_trace(run_cli, tmp_path):
    out = tmp_path / "t.svg"
    r = run_cli("diagram", "binary-adder-table", "--preset", "exam-rnn", "-o", str(out))
    one_line_error(r, "binary-adder reading", "preset binary-adder")
    assert not out.exists()


# --------------------------------------------------------------------------- norms

def test_norms_statistics_along_the_stated_axis(tmp_path):
    root, texts = _svg(tmp_path, "norms")
    x = np.array(presets.load("norms").inputs["x"])
    ln = registry.compute("layernorm", Source(preset="norms")).trace
    bn = registry.compute("batchnorm", Source(preset="norms")).trace
    # layer norm: one mean/variance per row (axis 1); batch norm: per column (axis 0); biased variance
    np.testing.assert_allclose(ln.mean, x.mean(axis=1), rtol=0, atol=1e-15)
    np.testing.assert_allclose(ln.var, x.var(axis=1), rtol=1e-15)
    np.testing.assert_allclose(bn.mean, x.mean(axis=0), rtol=0, atol=1e-15)
    np.testing.assert_allclose(bn.var, x.var(axis=0), rtol=1e-15)
    np.testing.assert_allclose(ln.y, (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5), rtol=1e-13)
    np.testing.assert_allclose(bn.y, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-13)
    for v in (*ln.mean, *ln.var, *bn.mean, *bn.var, *ln.y.ravel(), *bn.y.ravel(), *x.ravel()):
        assert fmt(v) in texts, v
    assert any("across each row" in t and "axis 1" in t for t in texts)
    assert any("down each column" in t and "axis 0" in t for t in texts)


def _tints(tr, m) -> list[list[str]]:
    """Background colours of the value cells of ``m``'s table, row by row (parsed with lxml)."""
    from lxml import etree

    from gatelab.diagrams._draw import Style
    from gatelab.diagrams.norms import _matrix

    html = _matrix(tr, m, "x", Style(), "#56B4E9", True)
    rows = etree.fromstring(html).findall("TR")[1:1 + m.shape[0]]
    return [[td.get("BGCOLOR") for td in r.findall("TD")[1:1 + m.shape[1]]] for r in rows]


def test_norms_highlights_rows_vs_columns():
    """Layer norm: a row's cells share one tint (neighbouring rows differ); batch norm: a column's do."""
    ln = registry.compute("layernorm", Source(preset="norms")).trace
    bn = registry.compute("batchnorm", Source(preset="norms")).trace
    t = _tints(ln, ln.x)
    assert all(len(set(r)) == 1 for r in t) and all(t[n][0] != t[n + 1][0] for n in range(len(t) - 1))
    t = _tints(bn, bn.x)
    assert all(len({r[j] for r in t}) == 1 for j in range(len(t[0]))) and t[0][0] != t[0][1]


def test_norms_seeded_uses_one_batch(tmp_path):
    _, texts = _svg(tmp_path, "norms", source=Source(seed=3, hidden=4, steps=5))
    ln = registry.compute("layernorm", Source(seed=3, hidden=4, steps=5)).trace
    assert all(fmt(v) in texts for v in ln.mean)


def test_norms_refuses_another_models_preset(run_cli):
    one_line_error(run_cli("diagram", "norms", "--preset", "exam-rnn", "--dot"), "exam-rnn")


def test_norms_refuses_an_option_it_does_not_take(run_cli):
    one_line_error(run_cli("diagram", "norms", "--layout", "many-to-one", "--dot"), "--layout")


# --------------------------------------------------------------------------- cross-entropy

def test_cross_entropy_table(tmp_path):
    root, texts = _svg(tmp_path, "cross-entropy")
    tr = registry.compute("info", Source(preset="cross-entropy-table")).trace
    m1, m2 = tr.models
    assert "6.966" in texts and "2.725" in texts and texts.count("25%") == 2
    assert fmt(m1.total_cross_entropy, 4) == "6.966" and fmt(m2.total_cross_entropy, 4) == "2.725"
    # independent: per-example bits -log2 q(true) from the preset's table
    doc = presets.load("cross-entropy-table").inputs
    cls = doc["classes"]
    for name, m in (("Model 1", m1), ("Model 2", m2)):
        bits = [-np.log2(doc["models"][name][n][cls.index(lab)]) for n, lab in enumerate(doc["labels"])]
        np.testing.assert_allclose(m.cross_entropy, bits, rtol=1e-14)
        for b in bits:
            assert fmt(b) in texts
    assert any("Error rates tie (25% each) while cross-entropy differs" in t for t in texts)
    assert texts.count("boy \u2717") == 2


def test_cross_entropy_in_nats(tmp_path):
    _, texts = _svg(tmp_path, "cross-entropy", options={"units": "nats"})
    tr = registry.compute("info", Source(preset="cross-entropy-table"), {"units": "nats"}).trace
    assert fmt(tr.models[0].total_cross_entropy, 4) in texts and "cross-entropy total (nats)" in texts


def test_cross_entropy_bad_units(run_cli):
    r = run_cli("diagram", "cross-entropy", "--units", "decibans", "--dot")
    assert r.exit_code == 2 and "Traceback" not in r.output


@pytest.mark.parametrize("name", ["binary-adder-table", "norms", "cross-entropy"])
def test_dark_theme_deterministic(tmp_path, name):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    api.render(name, output=str(a), theme="dark")
    api.render(name, output=str(b), theme="dark")
    assert a.read_bytes() == b.read_bytes()
