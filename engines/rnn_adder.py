"""Reading an Elman RNN as a serial binary adder: decoded integers and the 1-bit truth table.

A weights file (the ``binary-adder`` preset) declares ``"decode": "binary-adder"``; the registry
then calls :func:`annotate`, which adds this reading to the RNN trace. Views only print it.

Notation
--------
    x_t = [a_t, b_t]   the t-th bits of a and b, least significant first (t = 1 .. T)
    y_t                the output: the t-th bit of the sum
    h_t                hidden state; the *carry unit* k is the one unit the recurrence reads
                       (the only non-zero column of W), so carry_t = h_t[k]
    place_t            2^(t-1), the value of bit t when read LSB first

Equations
---------
    a = sum_t a_t 2^(t-1),   b = sum_t b_t 2^(t-1),   sum = sum_t y_t 2^(t-1)
    correct = (sum == a + b)
    truth table, for every a, b, c in {0, 1}: one engine step h_1 = f(U [a, b] + W h_c + b_h),
    y_1 = g(V h_1 + b_y) from the state h_c that encodes carry-in c, where h_c is the state the
    network itself reaches after reading [c, c] from h = 0 (its sum s = 2c); the row gives
    sum bit y_1 and carry-out h_1[k], next to the full adder's (a + b + c) mod 2 and
    floor((a + b + c) / 2).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError
from .trace import Array, IntArray, Record

DECODERS = ("binary-adder",)


@dataclass(frozen=True)
class TruthRow(Record):
    a: int
    b: int
    carry_in: int
    h_prev: Array          # [H] the state encoding carry-in
    x: Array               # [2] [a, b]
    pre: Array             # [H] a_1 = U x + W h_prev + b_h
    h: Array               # [H] h_1
    y: Array               # [O] y_1
    sum_bit: int           # y_1 read as a bit
    carry_out: int         # h_1[carry_unit]
    full_adder_sum: int    # (a + b + c) mod 2
    full_adder_carry: int  # (a + b + c) // 2
    matches: bool          # both bits equal the full adder's


@dataclass(frozen=True)
class AdderReading(Record):
    order: str                   # "lsb-first"
    carry_unit: int              # 0-based index k of the unit W feeds back
    place: IntArray              # [T] 2^(t-1)
    a_bits: IntArray             # [T]
    b_bits: IntArray             # [T]
    sum_bits: IntArray           # [T] y_t as bits
    carries: IntArray            # [T] h_t[k]
    a: int
    b: int
    sum: int
    expected: int                # a + b
    correct: bool
    carry_states: Array          # [2, H] h_c for c = 0, 1
    truth_table: tuple[TruthRow, ...]
    truth_table_ok: bool         # every row matches the full adder


def _bits(name: str, v: np.ndarray) -> np.ndarray:
    bad = np.flatnonzero((v != 0.0) & (v != 1.0))
    if bad.size:
        raise InputError(f"decode binary-adder reads bits: {name} at step t={int(bad[0]) + 1} is "
                         f"{float(v[bad[0]]):g}, expected 0 or 1")
    return v.astype(np.int64)


def carry_unit(W: np.ndarray) -> int:
    """The one hidden unit the recurrence reads (the only non-zero column of W)."""
    cols = np.flatnonzero(np.any(W != 0.0, axis=0))
    if cols.size != 1:
        raise InputError(f"decode binary-adder needs W to read exactly one hidden unit (the carry); "
                         f"W has {cols.size} non-zero columns")
    return int(cols[0])


def read(trace: Any) -> AdderReading:
    """Decode an RNN trace whose inputs are [a_t, b_t] bits and whose one output is the sum bit."""
    from . import rnn  # the adder runs the RNN engine itself (rnn imports this module's records)

    if trace.input_size != 2 or trace.output_size != 1:
        raise InputError(f"decode binary-adder needs inputs [a_t, b_t] (input size 2) and one output; "
                         f"this RNN has input size {trace.input_size} and {trace.output_size} output(s)")
    T = len(trace.steps)
    x = np.array([s.x for s in trace.steps])              # [T, 2]
    a_bits, b_bits = _bits("a_t = x_t[1]", x[:, 0]), _bits("b_t = x_t[2]", x[:, 1])
    y_bits = _bits("the sum bit y_t", np.array([s.y[0] for s in trace.steps]))
    k = carry_unit(trace.W)
    carries = _bits(f"the carry h_t[{k + 1}]", np.array([s.h[k] for s in trace.steps]))
    place = 2 ** np.arange(T, dtype=np.int64)             # [T]
    params = rnn.Params(U=trace.U, W=trace.W, b_h=trace.b_h, V=trace.V, b_y=trace.b_y)

    def step(x1, h_prev):
        return rnn.run(params, np.array([x1], dtype=np.float64), h_prev,
                       activation=trace.activation, output=trace.output).steps[0]

    zero = np.zeros(trace.hidden)
    states = np.array([step([c, c], zero).h for c in (0, 1)])   # [2, H]
    rows = []
    for a in (0, 1):
        for b in (0, 1):
            for c in (0, 1):
                s = step([a, b], states[c])
                sb = _bits("the truth table's sum bit", s.y[:1])[0]
                co = _bits("the truth table's carry", s.h[k:k + 1])[0]
                fs, fc = (a + b + c) % 2, (a + b + c) // 2
                rows.append(TruthRow(a=a, b=b, carry_in=c, h_prev=states[c], x=s.x, pre=s.a, h=s.h, y=s.y,
                                     sum_bit=int(sb), carry_out=int(co), full_adder_sum=fs, full_adder_carry=fc,
                                     matches=bool(sb == fs and co == fc)))
    a_int, b_int, s_int = (int(np.dot(place, v)) for v in (a_bits, b_bits, y_bits))
    return AdderReading(order="lsb-first", carry_unit=k, place=place, a_bits=a_bits, b_bits=b_bits,
                        sum_bits=y_bits, carries=carries, a=a_int, b=b_int, sum=s_int, expected=a_int + b_int,
                        correct=s_int == a_int + b_int, carry_states=states, truth_table=tuple(rows),
                        truth_table_ok=all(r.matches for r in rows))


def unit_names(value: Any, hidden: int) -> tuple[str, ...]:
    """Validate ``"unit_names"`` from a weights file: one short string per hidden unit."""
    if not (isinstance(value, list) and len(value) == hidden and all(isinstance(v, str) for v in value)):
        raise InputError(f"unit_names must be a list of {hidden} strings (one per hidden unit), got {value!r}"[:200])
    if any(len(v) > 60 for v in value):
        raise InputError("unit_names entries must be at most 60 characters")
    return tuple(value)


def check_decode(value: Any) -> str:
    if value not in DECODERS:
        raise InputError(f"decode {value!r} is unknown; expected one of: {', '.join(DECODERS)}"[:200])
    return value
