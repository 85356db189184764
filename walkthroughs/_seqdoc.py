"""Small text helpers shared by the attention/seq2seq/transformer/info/activations walkthroughs.

A ``Doc`` collects Markdown or LaTeX; it only formats numbers it is given (via diagrams.style.fmt).
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from gatelab.style import fmt


def f(x, digits: int = 4) -> str:
    return fmt(x, digits)


def vec(v, digits: int = 4, limit: int = 8) -> str:
    """'[0.964, 0.197]'; long vectors show the first ``limit`` entries then '…'."""
    items = list(np.asarray(v).ravel())
    shown = ", ".join(fmt(e, digits) for e in items[:limit])
    return "[" + shown + (", …" if len(items) > limit else "") + "]"


def grid(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None) -> str:
    """A plain monospaced table (right-aligned columns)."""
    allrows = ([list(header)] if header else []) + [list(r) for r in rows]
    if not allrows:
        return ""
    n = max(len(r) for r in allrows)
    allrows = [r + [""] * (n - len(r)) for r in allrows]
    w = [max(len(r[c]) for r in allrows) for c in range(n)]
    lines = ["  ".join(r[c].rjust(w[c]) for c in range(n)) for r in allrows]
    if header:
        lines.insert(1, "  ".join("-" * w[c] for c in range(n)))
    return "\n".join(lines)


def matrix_rows(M, row_labels: Sequence[str], col_labels: Sequence[str] | None = None, digits: int = 4,
                limit: int = 8, null: str = "masked") -> str:
    M = np.asarray(M, dtype=float)
    if M.ndim == 1:
        M = M[None, :]
    ncol = M.shape[1]
    cols = list(col_labels) if col_labels is not None else [str(j + 1) for j in range(ncol)]
    show = list(range(min(ncol, limit)))
    header = [""] + [cols[j] for j in show] + (["…"] if ncol > limit else [])
    rows = []
    for i, lab in enumerate(row_labels):
        cells = [null if not np.isfinite(M[i, j]) else fmt(M[i, j], digits) for j in show]
        rows.append([lab] + cells + (["…"] if ncol > limit else []))
    return grid(rows, header)


class Doc:
    """Collects a worked solution as Markdown (``md``) or LaTeX (``tex``)."""

    def __init__(self, fmt_: str):
        if fmt_ not in ("md", "tex"):
            raise ValueError(f"format {fmt_!r}, expected md or tex")
        self.tex = fmt_ == "tex"
        self.parts: list[str] = []

    def h(self, text: str, level: int = 1) -> None:
        if self.tex:
            cmd = {1: "section*", 2: "subsection*"}.get(level, "paragraph")
            self.parts.append(f"\\{cmd}{{{tex_escape(text)}}}")
        else:
            self.parts.append("#" * level + " " + text)

    def p(self, text: str) -> None:
        self.parts.append(tex_escape(text) if self.tex else text)

    def math(self, md: str, tex: str | None = None) -> None:
        """A display equation: ``md`` for Markdown (inside $$), ``tex`` (defaults to md) for LaTeX."""
        body = tex if tex is not None else md
        self.parts.append(f"\\[ {body} \\]" if self.tex else f"$$ {md} $$")

    def items(self, lines: Iterable[str]) -> None:
        lines = list(lines)
        if self.tex:
            self.parts.append("\\begin{itemize}\n" + "\n".join(f"  \\item {tex_escape(l)}" for l in lines)
                              + "\n\\end{itemize}")
        else:
            self.parts.append("\n".join(f"- {l}" for l in lines))

    def code(self, text: str) -> None:
        if self.tex:
            self.parts.append("\\begin{verbatim}\n" + text + "\n\\end{verbatim}")
        else:
            self.parts.append("```\n" + text + "\n```")

    def render(self) -> str:
        return "\n\n".join(self.parts) + "\n"


def tex_escape(s: str) -> str:
    """Escape LaTeX specials in plain text, keeping $...$ math spans intact."""
    out, inmath = [], False
    for ch in s:
        if ch == "$":
            inmath = not inmath
            out.append(ch)
        elif not inmath and ch in "&%#_{}":
            out.append("\\" + ch)
        elif not inmath and ch == "~":
            out.append("\\textasciitilde{}")
        elif not inmath and ch == "^":
            out.append("\\textasciicircum{}")
        elif not inmath and ch == "\\":
            out.append("\\textbackslash{}")
        elif not inmath and ch == "<":
            out.append("\\textless{}")
        elif not inmath and ch == ">":
            out.append("\\textgreater{}")
        else:
            out.append(ch)
    return "".join(out)
