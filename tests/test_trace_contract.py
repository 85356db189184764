"""The trace base: read-only arrays, JSON round trip, schema version, digest."""
from __future__ import annotations

import json
from dataclasses import dataclass, FrozenInstanceError
from typing import ClassVar

import numpy as np
import pytest

from gatelab.engines.trace import Array, BoolArray, IntArray, Record, SCHEMA_VERSION


@dataclass(frozen=True)
class _Step(Record):
    t: int
    x: Array
    mask: BoolArray | None = None


@dataclass(frozen=True)
class _Trace(Record):
    kind: ClassVar[str] = "toy"
    steps: tuple[_Step, ...]
    ids: IntArray
    note: str = ""


def _make():
    return _Trace(steps=[_Step(1, [1.0, -np.inf]), _Step(2, [0.5, 2.0], np.array([True, False]))],
                  ids=[3, 4], note="n")


def test_arrays_are_read_only_copies():
    src = np.array([1.0, 2.0])
    s = _Step(1, src)
    src[0] = 99.0
    assert s.x[0] == 1.0
    with pytest.raises(ValueError):
        s.x[0] = 5.0
    with pytest.raises(FrozenInstanceError):
        s.t = 3  # type: ignore[misc]


def test_json_round_trip_and_metadata():
    tr = _make()
    d = json.loads(tr.to_json())
    assert d["schema_version"] == SCHEMA_VERSION and d["kind"] == "toy"
    assert d["steps"][0]["x"] == [1.0, None]  # non-finite -> null
    back = _Trace.from_dict(d)
    assert isinstance(back.steps, tuple) and back.steps[1].mask.dtype == np.bool_
    assert back.ids.dtype == np.int64 and back.ids.tolist() == [3, 4]
    assert np.isnan(back.steps[0].x[1])
    assert back.steps[1].x.tolist() == [0.5, 2.0]


def test_digest_is_deterministic_and_sensitive():
    assert _make().digest() == _make().digest()
    other = _Trace(steps=[_Step(1, [1.0, 0.0])], ids=[3, 4])
    assert other.digest() != _make().digest()


def test_wrong_schema_version_rejected():
    d = _make().to_dict()
    d["schema_version"] = 999
    with pytest.raises(ValueError, match="schema_version 999"):
        _Trace.from_dict(d)
