"""The highway figure's DOT against its reviewed golden (the numbers in it are checked against the trace in
tests/test_highway.py)."""
from __future__ import annotations

from gatelab.diagrams import api

from _diagram_helpers import check_golden


def test_golden_dot():
    check_golden("highway", api.build("highway")[0].source)
    check_golden("highway-residual", api.build("highway", options={"residual": True})[0].source)
