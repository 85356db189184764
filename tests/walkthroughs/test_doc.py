"""The document builder: one worked solution, printed as Markdown and as LaTeX."""
from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from gatelab.engines import registry
from gatelab.style import fmt, fmt_vec, tex_escape, tex_num
from gatelab.walkthroughs._plain import plain
from gatelab.walkthroughs.doc import TEX_PREAMBLE, Doc


@pytest.mark.parametrize("latex, text", [
    (r"\sigma(W_f \cdot [h_{t-1}, x_t] + b_f)", "σ(W_f·[h_{t-1}, x_t] + b_f)"),
    (r"c_t = f_t \odot c_{t-1} + i_t \odot g_t", "c_t = f_t * c_{t-1} + i_t * g_t"),
    (r"\|\partial L/\partial h_t\|", "||dL/dh_t||"),
    (r"g_t = \tilde C_t = \tanh(z)", "g_t = C~_t = tanh(z)"),
    (r"h_{0} + x^{100} + y^{-84}", "h_0 + x^100 + y^{-84}"),
    (r"\frac{\partial L_G}{\partial a_i} = -\frac{D(G(z_i)) - 1}{B}", "dL_G/da_i = -(D(G(z_i)) - 1)/B"),
    (r"a \quad b\qquad(c)", "a  b   (c)"),
    (r"x^\top W \le \beta", "x^T W <= β"),
    (r"\mathrm{sum}(y_T)\text{ numbers}", "sum(y_T) numbers"),
])
def test_plain_spells_latex_out(latex, text):
    assert plain(latex) == text


def test_unknown_command_degrades_to_its_name():
    assert plain(r"\foo{x} + \bar y") == "foox + y-bar"


def _doc() -> Doc:
    d = Doc(digits=4)
    d.heading("Step $t = 1$", 3)
    d.para(f"Vector {d.vec([0.96403, -0.5])} in text, and in math $h_1 = {d.vec([0.96403, -0.5], bold=True)}$.")
    d.equations([r"f_t = \sigma(z_f)", r"h_t = o_t \odot \tanh(c_t)"])
    d.derivation([("Concatenate", [f"[h_0, x_1] = {d.cat([0, 0], [1])}"]),
                  ("Cell", [f"c_1 = {d.vec([1, 2])}", f"= {d.vec([3, 4])}", f"h_1 = {d.num(2.5e-84)}"])])
    d.table(["$t$", r"$\|\partial L/\partial h_t\|$"], [["1", d.num(0.0283612)]])
    d.items([f"token {d.lit('a$b **c** & 50%_x')}", "**bold** text"])
    d.code("a  b\n1  2…")
    return d


def test_markdown_rendering():
    md = _doc().markdown()
    assert md.startswith("### Step t = 1\n")
    assert "Vector [0.964, -0.5] in text, and in math h_1 = **[0.964, -0.5]**." in md
    assert "    f_t = σ(z_f)\n    h_t = o_t * tanh(c_t)" in md
    assert "1. Concatenate: [h_0, x_1] = [0, 0 | 1]\n2. Cell: c_1 = [1, 2] = [3, 4]; h_1 = 2.5e-84" in md
    assert "| t | ‖dL/dh_t‖ |\n|---|---|\n| 1 | 0.02836 |" in md
    assert "- token a$b **c** & 50%_x" in md          # outside text comes out as given
    assert "```\na  b\n1  2…\n```" in md


def test_tex_rendering():
    tex = _doc().tex()
    assert tex.startswith(TEX_PREAMBLE + "\n\\paragraph{Step $t = 1$}")
    assert r"Vector [0.964, -0.5] in text" in tex
    assert r"$h_1 = \begin{bmatrix}0.964 \\ -0.5\end{bmatrix}$" in tex          # column vector, no bold marks
    assert "\\begin{align*}\nf_t &= \\sigma(z_f) \\\\\nh_t &= o_t \\odot \\tanh(c_t)\n\\end{align*}" in tex
    assert r"[h_0, x_1] &= \begin{bmatrix}0 \\ 0 \\ \hline 1\end{bmatrix}" in tex
    assert r"&= \begin{bmatrix}3 \\ 4\end{bmatrix}" in tex                      # a continuation row
    assert r"h_1 &= 2.5 \times 10^{-84}" in tex
    assert r"\item token a\$b **c** \& 50\%\_x" in tex                          # never read as markup
    assert r"\item \textbf{bold} text" in tex
    assert "\\begin{verbatim}\na  b\n1  2...\n\\end{verbatim}" in tex
    assert tex.count("{") == tex.count("}")
    assert not re.search(r"[^\x00-\x7f]", tex)


def test_render_checks_the_format():
    assert Doc().para("x").render("md") == "x\n"
    with pytest.raises(ValueError, match="expected 'md' or 'tex'"):
        Doc().render("html")


def test_one_formatter_everywhere():
    d = Doc(digits=3)
    d.para(f"{d.num(1234.56)} {d.num(1e-7)} {d.num(float('inf'))} {d.num(None)} {d.vec(np.arange(12), limit=3)}")
    assert d.markdown() == f"{fmt(1234.56, 3)} {fmt(1e-7, 3)} ∞ - {fmt_vec(np.arange(12), 3, limit=3)}\n"
    assert fmt_vec(np.arange(12), 3, limit=3) == "[0, 1, 2, …]"
    assert tex_num(2.5e-84, 3) == r"2.5 \times 10^{-84}" and tex_num(float("-inf")) == r"-\infty"
    assert tex_escape("a_b & {c}") == r"a\_b \& \{c\}"


def test_a_value_just_short_of_one_does_not_read_as_one():
    assert [fmt(v) for v in (0.964027, 0.9994, 0.9996, 0.99996, -0.99996, 0.999996, 1.0, 1.0004)] == \
        ["0.964", "0.999", "0.9996", "0.99996", "-0.99996", "1", "1", "1"]
    assert fmt(0.998, 1) == "0.998" and fmt(0.9999, 1) == "1" and fmt(0.5, 1) == "0.5"
    assert fmt(1e-7) == "1e-07" and fmt(0.0) == "0"            # as 0 is shown only for 0 itself


# --------------------------------------------------------------------------- every model's worked solution

@pytest.mark.parametrize("model", list(registry.MODELS))
def test_markdown_and_tex_say_the_same(model):
    """Both renderings come from one document: the same headings in the same order."""
    opts = {"train_steps": 20, "snapshot_every": 10} if model == "gan" else {}
    trace = registry.compute(model, options=opts).trace
    wt = registry.walkthrough(model)
    md, tex = wt.explain(trace, "md"), wt.explain(trace, "tex")
    md_heads = [re.sub(r"[^a-z0-9]", "", h.lower()) for h in re.findall(r"^#+ (.*)$", md, re.M)]
    tex_heads = [re.sub(r"\\[a-z]+|[^a-z0-9]", "", h.lower())
                 for h in re.findall(r"^\\(?:section\*|subsection\*|paragraph)\{(.*)\}$", tex, re.M)]
    assert md_heads and md_heads == tex_heads


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("model", list(registry.MODELS))
def test_tex_compiles_with_plain_pdflatex(model, tmp_path):
    opts = {"train_steps": 20, "snapshot_every": 10} if model == "gan" else {}
    tex = registry.walkthrough(model).explain(registry.compute(model, options=opts).trace, "tex")
    doc = tmp_path / "w.tex"
    doc.write_text("\\documentclass{article}\\usepackage{amsmath}\\begin{document}\n" + tex + "\\end{document}\n")
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:]
