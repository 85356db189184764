"""Monospaced tables for `gatelab compute` (and for number grids inside worked solutions)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from gatelab.style import fmt, fmt_vec


def grid(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "r") -> str:
    """Columns padded to their widest cell, the header underlined with dashes.

    ``align`` is one letter per column (``l`` or ``r``); a single letter applies to all.
    """
    allrows = [list(header)] + [list(r) for r in rows]
    n = max(len(r) for r in allrows)
    allrows = [r + [""] * (n - len(r)) for r in allrows]
    al = align * n if len(align) == 1 else align.ljust(n, "r")
    widths = [max(len(r[c]) for r in allrows) for c in range(n)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(cells, widths, al)).rstrip()

    return "\n".join([line(allrows[0]), line(["-" * w for w in widths])] + [line(r) for r in allrows[1:]])


def matrix_rows(M, row_labels: Sequence[str], col_labels: Sequence[str] | None = None, digits: int = 4,
                limit: int = 8, null: str = "masked") -> str:
    """A labelled grid of a matrix's numbers; past ``limit`` columns, '…'; non-finite cells print ``null``."""
    M = np.asarray(M, dtype=float)
    if M.ndim == 1:
        M = M[None, :]
    ncol = M.shape[1]
    cols = list(col_labels) if col_labels is not None else [str(j + 1) for j in range(ncol)]
    show = list(range(min(ncol, limit)))
    more = ["…"] if ncol > limit else []
    rows = [[lab] + [null if not np.isfinite(M[i, j]) else fmt(M[i, j], digits) for j in show] + more
            for i, lab in enumerate(row_labels)]
    return grid([""] + [cols[j] for j in show] + more, rows)


def num(x, digits: int = 4) -> str:
    """A number for the plain-text tables (4 significant digits by default)."""
    return fmt(x, digits)


def vec(v, digits: int = 4, limit: int = 8) -> str:
    """'[0.964, 0.197]'; past ``limit`` entries, '…'."""
    return fmt_vec(v, digits, limit=limit)


def rows_grid(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None) -> str:
    """:func:`grid` with the rows first (an empty header when none is given)."""
    return grid(header or [""] * len(rows[0]), rows)
