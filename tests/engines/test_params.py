"""Model summary engine: the Keras count of the lecture notes' stacked-LSTM model, Keras formulas re-derived from the weight
tensors' shapes, PyTorch counts from real nn modules (refs/torch_rnn.json), shapes, errors."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gatelab.engines import params, presets
from gatelab.engines.errors import InputError

REFS = Path(__file__).parent / "refs" / "torch_rnn.json"


def _keras_weight_shapes(typ, d, u, reset_after=True):
    """The shapes of the weight tensors Keras creates (layer.weights), written out by hand."""
    if typ == "Dense":
        return [(d, u), (u,)]
    G = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[typ]
    bias = (2, G * u) if (typ == "GRU" and reset_after) else (G * u,)
    return [(d, G * u), (u, G * u), bias]


def _count(shapes):
    return sum(math.prod(s) for s in shapes)


def test_keras_lstm_summary_model_is_11191():
    doc = presets.load("keras-lstm-summary")
    tr = params.build(doc.weights, doc.inputs, **doc.options)
    assert tr.framework == "keras" and "Keras" in tr.convention
    assert [layer.params for layer in tr.layers] == [3840, 7320, 31]
    assert tr.total == 11191
    assert tr.layers[0].formula == "4*30*(30+1+1) = 3840"
    assert [layer.output_shape for layer in tr.layers] == [[None, 30], [30], [1]]
    # independently: Keras weight tensors of LSTM(30) on 1, LSTM(30) on 30, Dense(1) on 30
    assert _count(_keras_weight_shapes("LSTM", 1, 30)) == 3840
    assert _count(_keras_weight_shapes("LSTM", 30, 30)) == 7320
    assert _count(_keras_weight_shapes("Dense", 30, 1)) == 31


@pytest.mark.parametrize("typ", ["SimpleRNN", "LSTM", "GRU", "Dense"])
@pytest.mark.parametrize("d,u", [(1, 30), (30, 30), (3, 5), (7, 2), (16, 64)])
def test_keras_counts_match_weight_shapes(typ, d, u):
    tr = params.summarize([None, d], [{"type": typ, "units": u}], "keras")
    layer = tr.layers[0]
    assert layer.params == _count(_keras_weight_shapes(typ, d, u))
    assert layer.kernel + layer.recurrent + layer.bias == layer.params == tr.total
    assert layer.formula.endswith(f"= {layer.params}")


def test_keras_gru_reset_after_false():
    tr = params.summarize([5, 4], [{"type": "GRU", "units": 6, "reset_after": False}], "keras")
    assert tr.total == _count(_keras_weight_shapes("GRU", 4, 6, reset_after=False)) == 3 * 6 * (6 + 4 + 1)


def _torch_rows():
    return json.loads(REFS.read_text())["counts"]["layers"]


@pytest.mark.parametrize("row", _torch_rows(), ids=lambda r: f"{r['type']}-{r['input_dim']}-{r['units']}")
def test_torch_counts_match_real_modules(row):
    tr = params.summarize([None, row["input_dim"]], [{"type": row["type"], "units": row["units"]}], "torch")
    assert tr.total == row["params"]


def test_torch_total_of_the_keras_lstm_summary_model_matches_real_modules():
    doc = presets.load("keras-lstm-summary")
    tr = params.build(doc.weights, doc.inputs, framework="torch")
    ref = json.loads(REFS.read_text())["counts"]["keras_lstm_summary_total"]
    assert tr.total == ref == 11431
    assert [layer.name for layer in tr.layers] == ["LSTM", "LSTM", "Linear"]
    assert "two bias" in tr.convention


def test_torch_names_accepted_and_dense_on_sequences():
    tr = params.summarize([10, 3], [{"type": "RNN", "units": 4, "return_sequences": True},
                                    {"type": "Linear", "units": 2}], "keras")
    assert [layer.type for layer in tr.layers] == ["SimpleRNN", "Dense"]
    assert tr.layers[1].output_shape == [10, 2] and tr.layers[1].params == 2 * (4 + 1)


@pytest.mark.parametrize("shape,layers,needle", [
    ([None, 1], [{"type": "LSTM", "units": 3}, {"type": "LSTM", "units": 3}], "set return_sequences: true on layers[0]"),
    ([4], [{"type": "GRU", "units": 3}], "needs a sequence input"),
    ([None, 1], [{"type": "Conv2D", "units": 3}], "layers[0].type is 'Conv2D'"),
    ([None, 1], [{"type": "LSTM", "units": 0}], "layers[0].units is 0"),
    ([None, 1], [{"type": "LSTM"}], "has no units"),
    ([None, 1], [{"type": "LSTM", "units": 2, "return_sequences": "yes"}], "return_sequences is 'yes'"),
    ([None, 1], [], "non-empty list"),
    ([None, 0], [{"type": "Dense", "units": 1}], "input_shape[1] is 0"),
    ([1, 2, 3], [{"type": "Dense", "units": 1}], "input_shape is [1, 2, 3]"),
    ([None, 1], [{"type": "Dense", "units": 1, "return_sequences": True}], "applies to recurrent layers"),
    ([None, 1], [{"type": "LSTM", "units": 1, "unitz": 3}], "unknown key(s) unitz"),
])
def test_bad_architectures(shape, layers, needle):
    with pytest.raises(InputError) as e:
        params.summarize(shape, layers)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_round_trip_determinism_and_random():
    doc = presets.load("keras-lstm-summary")
    tr = params.build(doc.weights, doc.inputs)
    back = params.SummaryTrace.from_dict(json.loads(tr.to_json()))
    assert back.to_dict() == tr.to_dict() and back.digest() == tr.digest()
    w1, i1 = params.random(np.random.default_rng(4), hidden=5, input_size=2, steps=3)
    w2, i2 = params.random(np.random.default_rng(4), hidden=5, input_size=2, steps=3)
    assert (w1, i1) == (w2, i2)
    rt = params.build(w1, i1)
    assert rt.layers[0].units == 5 and rt.input_shape == [3, 2]
    assert rt.total == _count(_keras_weight_shapes(rt.layers[0].type, 2, 5)) + 6
