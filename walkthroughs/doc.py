"""One worked solution, two renderings: a walkthrough is written once and printed as Markdown or LaTeX.

    d = Doc()
    d.heading("LSTM, hidden 2").para("Weights $W_f$ act on $[h_{t-1}, x_t]$.")
    d.equations([r"f_t = \\sigma(W_f \\cdot [h_{t-1}, x_t] + b_f)", r"h_t = o_t \\odot \\tanh(c_t)"])
    d.derivation([("Forget gate", [f"f_1 = \\\\sigma(z_f) = {d.vec(s.f, bold=True)}"])])
    d.markdown()   # or d.tex(), or d.render("md" | "tex")

Text is plain prose; ``$...$`` spans are math written in LaTeX, ``**...**`` is bold. Numbers,
vectors and matrices enter through :meth:`Doc.num`, :meth:`Doc.vec`, :meth:`Doc.mat` and
:meth:`Doc.cat`, text from outside (tokens, file names) through :meth:`Doc.lit`; they return
placeholders, and each rendering prints them its own way:

- Markdown: math is spelled out in Unicode (``\\sigma`` -> σ, ``\\odot`` -> *), so it reads in a
  terminal; values print as ``[0.964, 0.197]``. A display formula (:meth:`Doc.math`) stays LaTeX
  inside ``$$ ... $$``, which Markdown viewers typeset.
- LaTeX: text is escaped (:func:`gatelab.style.tex_escape`), math is kept; values inside math
  are column vectors / matrices (``bmatrix``), values in text print as in Markdown. The result
  opens with a preamble comment and holds only characters plain pdflatex accepts.

Every number goes through :func:`gatelab.style.fmt` (``tex_num`` in math).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from gatelab.style import fmt, fmt_vec, tex_escape, tex_num, tex_unicode

from ._plain import plain

TEX_PREAMBLE = "% GateLab worked solution. Needs \\usepackage{amsmath}; UTF-8 input (pdflatex >= 2018 default)."

# Inside verbatim nothing is interpreted: characters pdflatex lacks become ASCII there.
_VERBATIM_ASCII = {"…": "...", "−": "-", "·": ".", "≈": "~", "×": "x", "σ": "sigma", "α": "alpha",
                   "π": "pi", "θ": "theta", "‖": "||", "∞": "inf", "→": "->", "⊙": "*", "Σ": "sum"}
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
_TEXT_TOKENS = re.compile("(\x00\\d+\x00|\\*\\*)")
_HEADINGS = {1: "section*", 2: "subsection*"}


@dataclass(frozen=True)
class _Value:
    kind: str            # num | vec | mat | cat | lit
    data: Any
    digits: int
    limit: int | None = None
    bold: bool = False


class Doc:
    """A worked solution as a list of blocks; :meth:`markdown` and :meth:`tex` print it."""

    def __init__(self, digits: int = 4):
        self.digits = digits
        self._blocks: list[tuple[str, Any]] = []
        self._values: list[_Value] = []

    # ------------------------------------------------------------------ values
    def _put(self, kind: str, data: Any, digits: int | None, limit: int | None = None, bold: bool = False) -> str:
        self._values.append(_Value(kind, data, self.digits if digits is None else digits, limit, bold))
        return f"\x00{len(self._values) - 1}\x00"

    def num(self, x: Any, digits: int | None = None, *, bold: bool = False) -> str:
        """A number (``-`` for None)."""
        return self._put("num", x, digits, bold=bold)

    def vec(self, v: Any, digits: int | None = None, *, limit: int | None = None, bold: bool = False) -> str:
        """A vector: ``[0.964, 0.197]``; a column vector in TeX math. Past ``limit`` entries, '…'."""
        return self._put("vec", np.ravel(v), digits, limit, bold)

    def mat(self, m: Any, digits: int | None = None) -> str:
        """A matrix: ``[[0.1, 0.2], [0.3, 0.4]]``; a ``bmatrix`` in TeX math."""
        return self._put("mat", np.atleast_2d(m), digits)

    def lit(self, text: Any) -> str:
        """Text from outside (a token, a class name, a file name): printed as is, never read as markup."""
        return self._put("lit", str(text), None)

    def cat(self, a: Any, b: Any, digits: int | None = None) -> str:
        """The concatenation [a, b] showing where a ends: ``[0, 0 | 1]``; a ruled column vector in TeX math."""
        return self._put("cat", (np.ravel(a), np.ravel(b)), digits)

    # ------------------------------------------------------------------ blocks
    def heading(self, text: str, level: int = 1) -> Doc:
        return self._add("heading", (level, text))

    def para(self, text: str) -> Doc:
        return self._add("para", text)

    def math(self, latex: str) -> Doc:
        """A display formula, LaTeX in both renderings (Markdown: ``$$ ... $$``)."""
        return self._add("math", latex)

    def equations(self, rows: Sequence[str]) -> Doc:
        """A system of equations (LaTeX rows): an indented plain block in Markdown, ``align*`` in TeX.
        A row without ``&`` is aligned at its first ``=``."""
        return self._add("equations", list(rows))

    def derivation(self, rows: Iterable[tuple[str, Sequence[str]]]) -> Doc:
        """Numbered steps, each a label and equations (LaTeX): ``1. Label: eq; eq`` in Markdown,
        one ``align*`` row per equation in TeX (the labels are the Markdown's guide only). An
        equation that starts with ``=`` continues the one before (a new row in TeX only)."""
        return self._add("derivation", [(label, list(eqs)) for label, eqs in rows])

    def items(self, lines: Iterable[str], *, numbered: bool = False) -> Doc:
        return self._add("items", (numbered, list(lines)))

    def table(self, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Doc:
        """A table of short cells (text with ``$...$`` math): a pipe table / a ``tabular``."""
        return self._add("table", (list(header), [list(r) for r in rows]))

    def code(self, text: str) -> Doc:
        """Preformatted text (a monospaced grid of numbers): a fenced block / ``verbatim``."""
        return self._add("code", text)

    def _add(self, kind: str, payload: Any) -> Doc:
        self._blocks.append((kind, payload))
        return self

    # ------------------------------------------------------------------ rendering
    def render(self, fmt_: str) -> str:
        if fmt_ == "md":
            return self.markdown()
        if fmt_ == "tex":
            return self.tex()
        raise ValueError(f"format {fmt_!r}, expected 'md' or 'tex'")

    def markdown(self) -> str:
        return "\n\n".join(_Markdown(self).block(kind, p) for kind, p in self._blocks) + "\n"

    def tex(self) -> str:
        r = _TeX(self)
        return TEX_PREAMBLE + "\n" + "\n\n".join(r.block(kind, p) for kind, p in self._blocks) + "\n"


def _plain_value(v: _Value) -> str:
    """A value as plain text (Markdown, and TeX outside math)."""
    if v.kind == "lit":
        return v.data
    if v.kind == "num":
        return "-" if v.data is None else fmt(v.data, v.digits)
    if v.kind == "vec":
        return fmt_vec(v.data, v.digits, limit=v.limit)
    if v.kind == "mat":
        return "[" + ", ".join(fmt_vec(row, v.digits) for row in v.data) + "]"
    a, b = v.data
    return "[" + ", ".join(fmt(e, v.digits) for e in a) + " | " + ", ".join(fmt(e, v.digits) for e in b) + "]"


def _tex_value(v: _Value) -> str:
    """A value inside TeX math."""
    n = lambda x: tex_num(x, v.digits)  # noqa: E731
    if v.kind == "lit":
        return r"\text{" + tex_escape(v.data) + "}"
    if v.kind == "num":
        return "-" if v.data is None else n(v.data)
    if v.kind == "vec":
        shown = v.data if v.limit is None else v.data[: v.limit]
        body = r" \\ ".join(n(e) for e in shown) + (r" \\ \vdots" if len(shown) < len(v.data) else "")
    elif v.kind == "mat":
        body = r" \\ ".join(" & ".join(n(e) for e in row) for row in v.data)
    else:
        a, b = v.data
        body = r" \\ ".join(n(e) for e in a) + r" \\ \hline " + r" \\ ".join(n(e) for e in b)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


class _Markdown:
    def __init__(self, doc: Doc):
        self.values = doc._values

    def fill(self, s: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.value(self.values[int(m.group(1))]), s)

    @staticmethod
    def value(v: _Value) -> str:
        return f"**{_plain_value(v)}**" if v.bold else _plain_value(v)

    def math(self, latex: str) -> str:
        return self.fill(plain(latex).strip())

    def inline(self, s: str) -> str:
        parts = s.split("$")
        return "".join(self.math(p) if k % 2 else self.fill(p) for k, p in enumerate(parts))

    def chain(self, eqs: Sequence[str]) -> str:
        """Equations of one step on one line: '; ' between them, a continuation ('= ...') joined by a space."""
        out = ""
        for e in eqs:
            m = self.math(e)
            out += ("" if not out else " " if e.lstrip().startswith("=") else "; ") + m
        return out

    def cell(self, s: str) -> str:
        """A table cell: a norm's ``||`` prints as ``‖`` and any other ``|`` is escaped (it would split the cell)."""
        return self.inline(s).replace("||", "‖").replace("|", "\\|")

    def block(self, kind: str, p: Any) -> str:
        if kind == "heading":
            return "#" * p[0] + " " + self.inline(p[1])
        if kind == "para":
            return self.inline(p)
        if kind == "math":
            return f"$$ {self.fill(p)} $$"
        if kind == "equations":
            return "\n".join("    " + self.math(row) for row in p)
        if kind == "derivation":
            return "\n".join(f"{k}. {self.inline(label)}: " + self.chain(eqs) for k, (label, eqs) in enumerate(p, 1))
        if kind == "items":
            numbered, lines = p
            return "\n".join((f"{k}. " if numbered else "- ") + self.inline(line) for k, line in enumerate(lines, 1))
        if kind == "table":
            header, rows = p
            out = ["| " + " | ".join(self.cell(c) for c in header) + " |", "|" + "---|" * len(header)]
            return "\n".join(out + ["| " + " | ".join(self.cell(c) for c in r) + " |" for r in rows])
        return "```\n" + self.fill(p) + "\n```"


class _TeX:
    def __init__(self, doc: Doc):
        self.values = doc._values

    def math(self, latex: str) -> str:
        s = _PLACEHOLDER.sub(lambda m: _tex_value(self.values[int(m.group(1))]), latex.replace("**", ""))
        return tex_unicode(s)

    def text(self, s: str) -> str:
        out, bold = [], False
        for tok in _TEXT_TOKENS.split(s):
            if tok == "**":
                out.append("}" if bold else r"\textbf{")
                bold = not bold
            elif _PLACEHOLDER.fullmatch(tok):
                v = self.values[int(tok[1:-1])]
                out.append((r"\textbf{%s}" if v.bold else "%s") % tex_escape(_plain_value(v)))
            else:
                out.append(tex_escape(tok))
        return "".join(out) + ("}" if bold else "")

    def inline(self, s: str) -> str:
        parts = s.split("$")
        return "".join(f"${self.math(p)}$" if k % 2 else self.text(p) for k, p in enumerate(parts))

    def align(self, rows: Iterable[str]) -> str:
        rows = [r if "&" in r else r.replace("=", "&=", 1) for r in rows]
        return "\\begin{align*}\n" + " \\\\\n".join(self.math(r) for r in rows) + "\n\\end{align*}"

    def block(self, kind: str, p: Any) -> str:
        if kind == "heading":
            level, text = p
            return f"\\{_HEADINGS.get(level, 'paragraph')}{{{self.inline(text)}}}"
        if kind == "para":
            return self.inline(p)
        if kind == "math":
            return f"\\[ {self.math(p)} \\]"
        if kind == "equations":
            return self.align(p)
        if kind == "derivation":
            return self.align([e for _, eqs in p for e in eqs])
        if kind == "items":
            numbered, lines = p
            env = "enumerate" if numbered else "itemize"
            return f"\\begin{{{env}}}\n" + "\n".join(f"  \\item {self.inline(x)}" for x in lines) + f"\n\\end{{{env}}}"
        if kind == "table":
            header, rows = p
            body = [" & ".join(self.inline(c) for c in header) + r" \\ \hline"]
            body += [" & ".join(self.inline(c) for c in r) + r" \\" for r in rows]
            return ("\\begin{center}\\begin{tabular}{" + "r" * len(header) + "}\n" + "\n".join(body)
                    + "\n\\end{tabular}\\end{center}")
        text = _PLACEHOLDER.sub(lambda m: _plain_value(self.values[int(m.group(1))]), p)   # no markup in verbatim
        return "\\begin{verbatim}\n" + "".join(_VERBATIM_ASCII.get(c, c) for c in text) + "\n\\end{verbatim}"
