"""Shared by the lecture tests: a small lecture of three diagrams and what a build left behind."""
from __future__ import annotations

from pathlib import Path

THREE = """\
[[output]]
diagram = "lstm-unfolded"

[[output]]
diagram = "gru-cell"
step = 2

[[output]]
diagram = "attention-walkthrough"
formats = ["svg", "dot"]
"""


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".gatelab-cache" not in p.parts}


def _status(outcomes) -> dict[str, str]:
    return {o.job.name: o.status for o in outcomes}


def _leftovers(out: Path) -> list[str]:
    """Temporary files or directories anywhere under ``out`` (none may survive a build)."""
    bad = [p for p in out.rglob("*") if p.name.startswith((".gatelab-render-", ".gatelab-")) and p.name != ".gatelab-cache"
           or p.suffix == ".part" or "tmp" in p.relative_to(out).parts]
    return [str(p.relative_to(out)) for p in bad]
