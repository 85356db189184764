"""The binary-adder reading of the RNN trace: integers decoded LSB first, the 1-bit truth table
(one engine step per row) against an independent full adder, unit names from the preset file."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from gatelab.engines import presets, registry, rnn, rnn_adder
from gatelab.engines.errors import InputError
from gatelab.engines.registry import Source

from cli_helpers import one_line_error

ADDER = Source(preset="binary-adder")


def _lsb_int(bits) -> int:
    """Independent decoding: the bits reversed into a binary string."""
    return int("".join(str(int(b)) for b in reversed(list(bits))), 2)


def _full_adder(a: int, b: int, c: int) -> tuple[int, int]:
    """A 1-bit full adder in gates: sum = a xor b xor c, carry = ab or c(a xor b)."""
    return a ^ b ^ c, (a & b) | (c & (a ^ b))


def _inputs(a: int, b: int, bits: int = 4) -> dict:
    x = [[(a >> t) & 1, (b >> t) & 1] for t in range(bits)] + [[0, 0]]
    return {"x": x, "h0": [0, 0, 0]}


def test_preset_reads_5_plus_3_is_8():
    tr = registry.compute("rnn", ADDER).trace
    a = tr.adder
    raw = json.loads(presets.text("binary-adder"))["inputs"]["x"]
    assert (a.a, a.b, a.sum, a.expected, a.correct) == (5, 3, 8, 8, True)
    assert a.a == _lsb_int(r[0] for r in raw) and a.b == _lsb_int(r[1] for r in raw)
    assert a.sum == _lsb_int(s.y[0] for s in tr.steps)
    assert a.place.tolist() == [1, 2, 4, 8, 16] and a.order == "lsb-first"
    assert a.carry_unit == 1 and a.carries.tolist() == [int(s.h[1]) for s in tr.steps]


@pytest.mark.parametrize("a,b", list(itertools.product(range(16), range(16))))
def test_every_4_bit_pair_decodes_to_its_sum(a, b):
    tr = registry.compute("rnn", Source(preset="binary-adder", inputs=_inputs(a, b))).trace
    assert (tr.adder.a, tr.adder.b, tr.adder.sum, tr.adder.correct) == (a, b, a + b, True)


def test_truth_table_is_the_full_adder():
    a = registry.compute("rnn", ADDER).trace.adder
    got = {(r.a, r.b, r.carry_in): (r.sum_bit, r.carry_out) for r in a.truth_table}
    assert got == {abc: _full_adder(*abc) for abc in itertools.product((0, 1), repeat=3)}
    assert a.truth_table_ok and all(r.matches for r in a.truth_table)
    assert a.carry_states.tolist() == [[0, 0, 0], [1, 1, 0]]


def test_truth_table_rows_are_one_engine_step_by_hand():
    """Each row in plain floats: a = U x + W h_prev + b_h, h = step(a), y = V h + b_y."""
    doc = presets.load("binary-adder")
    U, W, b_h, V, b_y = (doc.weights[k] for k in ("U", "W", "b_h", "V", "b_y"))
    for r in registry.compute("rnn", ADDER).trace.adder.truth_table:
        x, hp = [r.a, r.b], r.h_prev.tolist()
        pre = [sum(U[i][j] * x[j] for j in range(2)) + sum(W[i][j] * hp[j] for j in range(3)) + b_h[i] for i in range(3)]
        h = [1.0 if v > 0 else 0.0 for v in pre]
        y = sum(V[0][j] * h[j] for j in range(3)) + b_y[0]
        assert r.pre.tolist() == pre and r.h.tolist() == h and r.y[0] == y


def test_a_broken_adder_is_caught():
    """V = [1, -1, 0] forgets the s >= 3 unit: only a = b = c = 1 gives the wrong sum bit."""
    doc = presets.load("binary-adder")
    w = {**doc.weights, "V": [[1.0, -1.0, 0.0]]}
    tr = rnn.annotate(rnn.build(w, doc.inputs, **doc.options), {"decode": "binary-adder"})
    bad = [(r.a, r.b, r.carry_in) for r in tr.adder.truth_table if not r.matches]
    assert bad == [(1, 1, 1)] and not tr.adder.truth_table_ok


def test_unit_names_come_from_the_preset_and_round_trip():
    tr = registry.compute("rnn", ADDER).trace
    assert list(tr.unit_names) == json.loads(presets.text("binary-adder"))["unit_names"]
    back = rnn.RNNTrace.from_dict(json.loads(tr.to_json()))
    assert back.digest() == tr.digest() and back.adder.sum == 8 and back.unit_names == tr.unit_names


def test_other_rnn_traces_have_no_reading():
    tr = registry.compute("rnn").trace
    assert tr.adder is None and tr.unit_names == ()


@pytest.mark.parametrize("extra,msg", [
    ({"unit_names": ["a", "b"]}, "unit_names must be a list of 3 strings"),
    ({"decode": "ternary"}, "decode 'ternary' is unknown"),
])
def test_bad_declarations(extra, msg):
    doc = presets.load("binary-adder")
    with pytest.raises(InputError, match=msg):
        rnn.annotate(rnn.build(doc.weights, doc.inputs, **doc.options), extra)


def test_carry_unit_must_be_unique():
    with pytest.raises(InputError, match="exactly one hidden unit"):
        rnn_adder.carry_unit(np.eye(3))


def test_non_bit_input_is_one_line_error(run_cli, write_json):
    inputs = write_json({"x": [[1, 0.5], [0, 0]]}, "x.json")
    r = run_cli("compute", "rnn", "--preset", "binary-adder", "--inputs", inputs)
    one_line_error(r, "reads bits", "t=1", "0.5")


def test_weights_file_declares_unit_names(run_cli, write_json):
    doc = json.loads(presets.text("binary-adder"))
    doc["unit_names"] = ["one", "two"]
    r = run_cli("compute", "rnn", "--weights", write_json(doc, "w.json"))
    one_line_error(r, "unit_names must be a list of 3 strings")
