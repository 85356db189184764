"""Keras 3 files read as data: layers, configs, tensors, counts, damaged and hostile files (no Keras needed)."""
from __future__ import annotations

import sys
import zipfile

import h5py
import numpy as np
import pytest

from _keras_fixtures import keras_path, keras_ref, one_line
from gatelab.engines.errors import InputError
from gatelab.engines.formats.keras import read_keras, read_weights_h5, sniff
from gatelab.engines.formats.keras_select import select_keras

FIXTURES = ("lstm_seq", "gru_after", "gru_before", "rnn_fn", "bilstm", "stacked", "mixed_fn", "mha_fn", "lstm_f64")


def _mods(ckpt):
    return {m.name: m for m in ckpt.modules}


@pytest.mark.parametrize("name", FIXTURES)
def test_layer_counts_match_keras_count_params(name):
    """Every parameter Keras counts is read, once, from both file kinds."""
    expected = keras_ref(name)["count_params"]
    for ckpt in (read_keras(keras_path(f"{name}.keras")), read_weights_h5(keras_path(f"{name}.weights.h5"))):
        assert sum(m.count for m in ckpt.modules) == expected
        assert sum(int(np.prod(t.shape)) for t in ckpt.tensors) == expected


def test_layers_in_model_order_with_kinds_and_models():
    ckpt = read_keras(keras_path("mixed_fn.keras"))
    assert ckpt.format == "keras"
    assert [(m.name, m.kind, m.models) for m in ckpt.modules] == [
        ("conv", "keras.Conv1D", ()), ("lstm_a", "keras.LSTM", ("lstm",)),
        ("bigru", "keras.Bidirectional", ("gru",)), ("out", "keras.Dense", ())]
    assert all(m.framework == "keras" for m in ckpt.modules)
    m = _mods(ckpt)
    assert m["conv"].config["not_drawable"] == "Conv1D layers are not supported"
    assert m["out"].config["follows"] == ["bigru"] and m["bigru"].config["follows"] == ["lstm_a"]
    assert ckpt.meta["input_shape"] == [5, 2] and ckpt.meta["model"]["class_name"] == "Functional"


def test_weights_file_alone_has_the_same_layers_in_the_same_order():
    """Without config.json, classes come from Keras's group names and order from the data's layout."""
    a = read_keras(keras_path("mixed_fn.keras"))
    b = read_weights_h5(keras_path("mixed_fn.weights.h5"))
    assert b.format == "keras-weights-h5"
    assert [(m.name, m.kind, m.models) for m in a.modules] == [(m.name, m.kind, m.models) for m in b.modules]
    for ma, mb in zip(a.modules, b.modules):
        assert ma.params.keys() == mb.params.keys()
        for k in ma.params:
            np.testing.assert_array_equal(ma.params[k], mb.params[k])


def test_configs_come_from_the_keras_file():
    gru_a = _mods(read_keras(keras_path("gru_after.keras")))["gru"].config
    gru_b = _mods(read_keras(keras_path("gru_before.keras")))["gru"].config
    rnn = _mods(read_keras(keras_path("rnn_fn.keras")))
    assert (gru_a["units"], gru_a["reset_after"], gru_a["return_sequences"]) == (3, True, False)
    assert (gru_b["units"], gru_b["reset_after"], gru_b["return_sequences"]) == (2, False, True)
    assert (rnn["encoder"].config["activation"], rnn["encoder"].config["units"]) == ("relu", 4)
    assert rnn["probs"].config["activation"] == "softmax"
    assert "assumed" not in rnn["encoder"].config and rnn["encoder"].config["source"] == "config.json"
    mha = _mods(read_keras(keras_path("mha_fn.keras")))["self_attn"].config
    assert (mha["num_heads"], mha["key_dim"], mha["d_model"]) == (2, 2, 4)


def test_weights_file_alone_says_what_it_assumes():
    rnn = _mods(read_weights_h5(keras_path("rnn_fn.weights.h5")))
    assert rnn["encoder"].config["assumed"] == ["activation tanh"]
    assert rnn["probs"].config["assumed"] == ["activation linear"]
    gru = _mods(read_weights_h5(keras_path("gru_before.weights.h5")))["gru"].config
    assert gru["reset_after"] is False          # from the bias shape (3*units,)
    sel = select_keras(read_weights_h5(keras_path("rnn_fn.weights.h5")), "rnn")
    assert "assumed (no config.json): activation tanh, activation linear" in sel.note


def test_tensors_keep_names_shapes_and_stored_dtype():
    ckpt = read_keras(keras_path("bilstm.keras"))
    assert [(t.name, t.shape, t.dtype) for t in ckpt.tensors] == [
        ("bidirectional/kernel", (2, 8), "float32"), ("bidirectional/recurrent_kernel", (2, 8), "float32"),
        ("bidirectional/bias", (8,), "float32"), ("bidirectional/kernel_reverse", (2, 8), "float32"),
        ("bidirectional/recurrent_kernel_reverse", (2, 8), "float32"), ("bidirectional/bias_reverse", (8,), "float32"),
        ("dense/kernel", (4, 1), "float32"), ("dense/bias", (1,), "float32")]
    assert ckpt.meta["dtype"] == "float32"
    f64 = read_keras(keras_path("lstm_f64.keras"))
    assert f64.meta["dtype"] == "float64" and {t.dtype for t in f64.tensors} == {"float64"}
    mha = read_keras(keras_path("mha_fn.keras"))
    assert [t.name for t in mha.tensors][:2] == ["self_attn/query/kernel", "self_attn/query/bias"]
    assert mha.tensors[0].shape == (4, 2, 2)


def test_float64_weights_keep_their_precision():
    w = _mods(read_keras(keras_path("lstm_f64.keras")))["lstm"].params["kernel"]
    assert w.dtype == np.float64
    assert np.any(w.astype(np.float32).astype(np.float64) != w)   # values float32 cannot hold survived


def test_sniff_tells_the_kinds_apart(tmp_path):
    assert sniff(keras_path("lstm_seq.keras")) == "keras"
    assert sniff(keras_path("lstm_seq.weights.h5")) == "keras-weights-h5"
    assert sniff(keras_path("notazip.keras")) is None
    assert sniff(keras_path("no_weights.keras")) is None
    assert sniff(tmp_path / "missing.keras") is None


@pytest.mark.parametrize("name, reader, needles", [
    ("truncated.keras", read_keras, ["truncated", "not a zip"]),
    ("notazip.keras", read_keras, ["not a readable .keras archive"]),
    ("no_weights.keras", read_keras, ["has no model.weights.h5", "config.json"]),
    ("bad_config.keras", read_keras, ["config.json is not valid JSON"]),
    ("wrong_units.keras", read_keras, ["layer 'lstm' (LSTM)", "recurrent_kernel has shape (3, 12), expected (4, 16)"]),
    ("truncated.weights.h5", read_weights_h5, ["not a readable HDF5 file", "truncated"]),
    ("not_keras.h5", read_weights_h5, ["not a Keras 3 weights file", "foo"]),
    ("lstm_seq.keras", read_weights_h5, ["not a readable HDF5 file"]),
    ("lstm_seq.weights.h5", read_keras, ["not a readable .keras archive"]),
    ("missing.keras", read_keras, ["does not exist"]),
    ("missing.weights.h5", read_weights_h5, ["does not exist"]),
])
def test_damaged_files_give_one_line_errors(name, reader, needles):
    with pytest.raises(InputError) as e:
        reader(keras_path(name))
    msg = one_line(e)
    for n in needles:
        assert n in msg, (n, msg)


def test_custom_classes_are_read_as_data_and_never_imported(tmp_path, monkeypatch):
    """config.json names a model class, a layer class and an activation from a package that exists
    on sys.path here and would leave a mark if imported: reading the file imports nothing."""
    pkg = tmp_path / "gatelab_evil_pkg"
    pkg.mkdir()
    mark = tmp_path / "imported"
    for mod in ("__init__", "models", "layers", "activations"):
        (pkg / f"{mod}.py").write_text(f"open({str(mark)!r}, 'w').write('{mod}')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    ckpt = read_keras(keras_path("custom_class.keras"))
    assert not mark.exists() and "gatelab_evil_pkg" not in sys.modules
    m = _mods(ckpt)
    assert ckpt.meta["model"]["custom"] == "gatelab_evil_pkg>Backdoor"
    assert m["exploit"].models == () and m["exploit"].config["custom"] == "gatelab_evil_pkg>Exploit"
    assert "custom class gatelab_evil_pkg>Exploit" in m["exploit"].config["not_drawable"]
    assert select_keras(ckpt, "lstm").module == "lstm"      # the built-in layers still work
    with pytest.raises(InputError) as e:
        select_keras(ckpt, "lstm", module="exploit")
    assert "custom class gatelab_evil_pkg>Exploit" in one_line(e)


def _h5_with(tmp_path, build) -> str:
    p = tmp_path / "x.weights.h5"
    with h5py.File(p, "w") as fh:
        fh.create_group("layers/dense/vars").attrs["name"] = "dense"
        fh["layers/dense/vars/0"] = np.ones((2, 1), dtype="float32")
        build(fh)
    return str(p)


@pytest.mark.parametrize("kind", ["external", "soft"])
def test_links_to_other_places_are_refused(tmp_path, kind):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as fh:
        fh["data"] = np.zeros(1)

    def add(fh):
        fh["layers/dense/vars/1"] = (h5py.ExternalLink(str(other), "/data") if kind == "external"
                                     else h5py.SoftLink("/layers/dense/vars/0"))
    with pytest.raises(InputError) as e:
        read_weights_h5(_h5_with(tmp_path, add))
    assert "refusing to follow it" in one_line(e)


def test_nan_weights_are_named(tmp_path):
    def add(fh):
        fh["layers/dense/vars/1"] = np.array([np.nan], dtype="float32")
    with pytest.raises(InputError) as e:
        read_weights_h5(_h5_with(tmp_path, add))
    assert "layers/dense/vars/1" in one_line(e) and "NaN" in str(e.value)


def test_a_zip_without_keras_members_names_what_it_has(tmp_path):
    p = tmp_path / "other.keras"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("readme.txt", "hi")
    with pytest.raises(InputError) as e:
        read_keras(p)
    assert "has no config.json or model.weights.h5" in one_line(e) and "readme.txt" in str(e.value)


def test_a_damaged_keras_2_file_says_what_it_is(tmp_path):
    p = tmp_path / "old.h5"
    with h5py.File(p, "w") as fh:
        fh.attrs["layer_names"] = [b"lstm"]
        fh["lstm/lstm/lstm_cell/kernel:0"] = np.zeros((1, 4), dtype="float32")      # no weight_names
    with pytest.raises(InputError) as e:
        read_weights_h5(p)
    assert "is a Keras 2 HDF5 file" in one_line(e) and "weight_names" in str(e.value)
