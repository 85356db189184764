"""Write the Keras 3 fixtures of tests/formats: small models saved by Keras itself, and Keras's outputs.

Run with Keras 3 installed (the float32 files here were made with the numpy backend; the float64
model is made in a subprocess under the torch backend, the one that computes in float64):

    KERAS_BACKEND=numpy python tests/formats/refs/make_keras_fixtures.py [NAME ...]   # NAME: only those models

For each model NAME it writes, into tests/formats/refs/keras/:

- ``NAME.keras``       ``model.save``: a zip of config.json, metadata.json, model.weights.h5
- ``NAME.weights.h5``  ``model.save_weights``: the weights alone
- ``NAME.json``        what Keras computed on fixed inputs: for every recurrent layer its input
                       and per-step hidden states (``h`` [T, units], from a copy of the layer with
                       return_sequences=True and the same weights), for LSTM the per-step cell
                       state ``c`` (the final state of a return_state=True copy after x_1..x_t),
                       the model's output and ``count_params``; for MultiHeadAttention the output and the
                       attention scores [heads, T, T] (with and without a causal mask).

``legacy_lstm`` and ``legacy_bigru`` are written as Keras 2 HDF5 files instead: ``NAME.h5``
(``model.save``, the legacy format) and ``NAME.keras2.h5`` (Keras 2's ``save_weights`` layout).

It also writes damaged files (truncated, missing parts, bad JSON) and a ``.keras`` whose
config names classes from a package that does not exist, to show such a file is read as data.
GateLab's tests read these files without Keras.
"""
from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "numpy")

import numpy as np  # noqa: E402

import keras  # noqa: E402
from keras import layers  # noqa: E402

OUT = Path(__file__).resolve().parent / "keras"


def arr(a) -> list:
    return np.asarray(keras.ops.convert_to_numpy(a), dtype=np.float64).tolist()


def inputs(seed: int, T: int, D: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((1, T, D)).astype(keras.config.floatx())


def sub_model_output(model, tensor, x) -> np.ndarray:
    """What Keras feeds a layer inside the model (as a numpy array, whatever the backend)."""
    return np.asarray(keras.ops.convert_to_numpy(keras.Model(model.inputs, tensor)(x)))


def probe(layer, x_layer, **changes):
    """A copy of a recurrent layer with config ``changes`` and the same weights."""
    cfg = dict(layer.get_config(), name=layer.name + "_probe", **changes)
    p = type(layer).from_config(cfg)
    p.build(x_layer.shape)
    p.set_weights(layer.get_weights())
    return p


def cell_states(layer, x_layer, backward: bool = False) -> list:
    """Per-step LSTM cell state c_t in time order: the layer's final state (return_state=True) after
    the prefix x_1..x_t (a backward layer: after the suffix x_T..x_t). This is Keras's layer path;
    stepping ``layer.cell`` by hand goes through ops that Keras rounds to float32."""
    p = probe(layer, x_layer, return_sequences=False, return_state=True)
    T = x_layer.shape[1]
    out = []
    for t in range(T):
        part = x_layer[:, t:] if backward else x_layer[:, : t + 1]
        out.append(arr(p(part)[2][0]))
    return out


def per_step(layer, x_layer):
    """Per-step h (a copy with return_sequences=True) and, for LSTM, c."""
    out = {"h": arr(probe(layer, x_layer, return_sequences=True, return_state=False)(x_layer)[0])}
    if isinstance(layer, layers.LSTM):
        out["c"] = cell_states(layer, x_layer)
    return out


def bidirectional_steps(layer, x_layer):
    """Outputs [T, 2H] of a Bidirectional copy with return_sequences=True; per-direction c for LSTM."""
    cfg = layer.get_config()
    cfg["layer"] = dict(cfg["layer"])
    cfg["layer"]["config"] = dict(cfg["layer"]["config"], return_sequences=True)
    cfg["name"] = layer.name + "_probe"
    bi = layers.Bidirectional.from_config(cfg)
    bi.build(x_layer.shape)
    bi.set_weights(layer.get_weights())
    out = {"h": arr(bi(x_layer)[0])}
    if isinstance(layer.forward_layer, layers.LSTM):
        out["c_forward"] = cell_states(layer.forward_layer, x_layer)
        out["c_backward"] = cell_states(layer.backward_layer, x_layer, backward=True)
    return out


def randomise(model, seed: int) -> None:
    """Every weight uniform(-0.8, 0.8), biases included: Keras initialises most biases to zero, and
    a zero bias would let a reader that drops or misplaces biases pass unnoticed."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-0.8, 0.8, w.shape).astype(w.dtype) for w in model.get_weights()])


ONLY = [a for a in sys.argv[1:] if not a.startswith("-")]     # NAME ...: write only these models


def save(name: str, model, x, extra: dict | None = None) -> None:
    if ONLY and name not in ONLY:
        return
    model.save(OUT / f"{name}.keras")
    model.save_weights(OUT / f"{name}.weights.h5")
    ref: dict = {"generator": "tests/formats/refs/make_keras_fixtures.py", "keras_version": keras.__version__,
                 "backend": keras.backend.backend(), "floatx": keras.config.floatx(),
                 "count_params": int(model.count_params()), "x": arr(x[0]), "output": arr(model(x)[0]),
                 "layers": {}}
    for layer in model.layers:
        if isinstance(layer, (layers.SimpleRNN, layers.LSTM, layers.GRU)):
            x_layer = sub_model_output(model, layer.input, x)
            ref["layers"][layer.name] = {"input": arr(x_layer[0]), **per_step(layer, x_layer)}
        elif isinstance(layer, layers.Bidirectional):
            x_layer = sub_model_output(model, layer.input, x)
            ref["layers"][layer.name] = {"input": arr(x_layer[0]), **bidirectional_steps(layer, x_layer)}
        elif isinstance(layer, layers.Dense):
            x_layer = sub_model_output(model, layer.input, x)
            ref["layers"][layer.name] = {"input": arr(x_layer[0]), "output": arr(layer(x_layer)[0])}
    ref.update(extra or {})
    (OUT / f"{name}.json").write_text(json.dumps(ref, indent=1) + "\n")


def models() -> None:
    keras.utils.set_random_seed(1234)

    # Sequential LSTM -> Dense, per-step Dense outputs.
    m = keras.Sequential([keras.Input((5, 2)), layers.LSTM(3, return_sequences=True, name="lstm"),
                          layers.Dense(1, name="dense")], name="lstm_seq")
    randomise(m, 1)
    save("lstm_seq", m, inputs(1, 5, 2))

    # GRU reset_after=True (Keras default), many-to-one, Dense(2).
    m = keras.Sequential([keras.Input((4, 2)), layers.GRU(3, name="gru"), layers.Dense(2, name="dense")],
                         name="gru_after")
    randomise(m, 2)
    save("gru_after", m, inputs(2, 4, 2))

    # GRU reset_after=False (one bias vector), per-step output.
    m = keras.Sequential([keras.Input((4, 3)), layers.GRU(2, reset_after=False, return_sequences=True, name="gru"),
                          layers.Dense(1, name="dense")], name="gru_before")
    randomise(m, 3)
    save("gru_before", m, inputs(3, 4, 3))

    # Functional SimpleRNN(relu) -> Dense(softmax), layer names chosen by the user.
    x = keras.Input((4, 2), name="tokens")
    h = layers.SimpleRNN(4, activation="relu", return_sequences=True, name="encoder")(x)
    y = layers.Dense(3, activation="softmax", name="probs")(h)
    m = keras.Model(x, y, name="rnn_fn")
    randomise(m, 4)
    save("rnn_fn", m, inputs(4, 4, 2))

    # Bidirectional LSTM -> Dense.
    m = keras.Sequential([keras.Input((4, 2)),
                          layers.Bidirectional(layers.LSTM(2, return_sequences=True), name="bidirectional"),
                          layers.Dense(1, name="dense")], name="bilstm")
    randomise(m, 5)
    save("bilstm", m, inputs(5, 4, 2))

    # Stacked LSTMs: two fitting layers, so a model choice needs --module.
    m = keras.Sequential([keras.Input((4, 2)), layers.LSTM(3, return_sequences=True, name="lstm"),
                          layers.LSTM(3, name="lstm_1"), layers.Dense(1, name="dense")], name="stacked")
    randomise(m, 6)
    save("stacked", m, inputs(6, 4, 2))

    # Embedding -> LSTM -> Dense: inputs as token ids (the Embedding's rows are the LSTM's x).
    m = keras.Sequential([keras.Input((4,), dtype="int32"), layers.Embedding(12, 3, name="embedding"),
                          layers.LSTM(2, return_sequences=True, name="lstm"), layers.Dense(1, name="dense")],
                         name="emb_lstm")
    randomise(m, 10)
    save("emb_lstm", m, np.array([[3, 1, 4, 1]], dtype="int32"), {"token_ids": [3, 1, 4, 1]})

    # SimpleRNN -> TimeDistributed(Dense): the per-step output layer written with the wrapper.
    m = keras.Sequential([keras.Input((4, 2)), layers.SimpleRNN(3, return_sequences=True, name="rnn"),
                          layers.TimeDistributed(layers.Dense(2, name="dense"), name="td")], name="rnn_td")
    randomise(m, 9)
    save("rnn_td", m, inputs(9, 4, 2))

    # Functional model with an unsupported layer (Conv1D) before an LSTM, a Bidirectional GRU, a Dense.
    x = keras.Input((5, 2), name="x")
    a = layers.Conv1D(3, 2, padding="same", name="conv")(x)
    b = layers.LSTM(3, return_sequences=True, name="lstm_a")(a)
    c = layers.Bidirectional(layers.GRU(2, return_sequences=True), name="bigru")(b)
    y = layers.Dense(1, name="out")(c)
    m = keras.Model(x, y, name="mixed_fn")
    randomise(m, 7)
    save("mixed_fn", m, inputs(7, 5, 2))

    # Multi-head self-attention (2 heads of width 2 on d_model 4).
    x = keras.Input((4, 4), name="x")
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=2, name="self_attn")
    y = mha(x, x)
    model = keras.Model(x, y, name="mha_fn")
    randomise(model, 8)
    xv = inputs(8, 4, 4)
    out, scores = mha(xv, xv, return_attention_scores=True)
    cout, cscores = mha(xv, xv, return_attention_scores=True, use_causal_mask=True)
    save("mha_fn", model, xv, {"attention": {"output": arr(out[0]), "scores": arr(scores[0]),
                                             "causal_output": arr(cout[0]), "causal_scores": arr(cscores[0])}})

    # The lecture's summary example: LSTM(30) on 1 input, LSTM(30), Dense(1) = 11191 parameters.
    m = keras.Sequential([keras.Input((None, 1)), layers.LSTM(30, return_sequences=True, name="lstm"),
                          layers.LSTM(30, name="lstm_1"), layers.Dense(1, name="dense")], name="summary")
    if ONLY and "summary" not in ONLY:
        return
    m.save(OUT / "summary.keras")
    (OUT / "summary.json").write_text(json.dumps({"count_params": int(m.count_params()), "layers": [
        {"name": lay.name, "count_params": int(lay.count_params())} for lay in m.layers]}, indent=1) + "\n")



def float64_model() -> None:
    """One model in float64. Only some backends compute in float64 (numpy and jax round to float32
    inside the layers), so this runs under KERAS_BACKEND=torch."""
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    keras.utils.set_random_seed(64)
    m = keras.Sequential([keras.Input((4, 2)), layers.LSTM(2, return_sequences=True, name="lstm"),
                          layers.Dense(1, name="dense")], name="lstm_f64")
    # Values that float32 cannot hold, so that reading them as float32 anywhere would show at 1e-9.
    rng = np.random.default_rng(64)
    m.set_weights([rng.uniform(-1.0, 1.0, w.shape) for w in m.get_weights()])
    save("lstm_f64", m, inputs(9, 4, 2))


def rewrite(src: Path, dst: Path, edit) -> None:
    """Copy a .keras zip, passing each member's bytes through ``edit(name, data) -> bytes | None``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info, data)


def _keras2_weights(path: Path, model) -> None:
    """``model``'s weights in the layout of Keras 2's ``model.save_weights("w.h5")`` (TensorFlow's Keras 2
    cannot be installed beside Keras 3, so the file is written with h5py as Keras 2's
    ``save_weights_to_hdf5_group`` lays it out: the root's ``layer_names``, each layer's group with its
    ``weight_names`` in order, a dataset per weight at that path, ``:0`` suffixed)."""
    import h5py

    def names(layer) -> list[str]:
        if isinstance(layer, layers.Bidirectional):
            inner = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[type(layer.forward_layer).__name__]
            return [f"{layer.name}/{side}_{inner}/{inner}_cell/{w}:0" for side in ("forward", "backward")
                    for w in ("kernel", "recurrent_kernel", "bias")]
        if isinstance(layer, (layers.SimpleRNN, layers.LSTM, layers.GRU)):
            cell = {"SimpleRNN": "simple_rnn_cell", "LSTM": "lstm_cell", "GRU": "gru_cell"}[type(layer).__name__]
            return [f"{layer.name}/{cell}/{w}:0" for w in ("kernel", "recurrent_kernel", "bias")]
        return [f"{layer.name}/{w}:0" for w in ("kernel", "bias")]

    with h5py.File(path, "w") as f:
        with_weights = [lay for lay in model.layers if lay.get_weights()]
        f.attrs["layer_names"] = [lay.name.encode() for lay in with_weights]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        for lay in with_weights:
            g = f.create_group(lay.name)
            wn = names(lay)
            g.attrs["weight_names"] = [n.encode() for n in wn]
            for n, w in zip(wn, lay.get_weights()):
                g.create_dataset(n, data=w)


def legacy() -> None:
    """Keras 2 HDF5 files: ``model.save("NAME.h5")`` as Keras 3 writes the legacy format, and NAME.keras2.h5
    in Keras 2's save_weights layout; NAME.json holds Keras's outputs as for the other fixtures."""
    m = keras.Sequential([keras.Input((4, 2)), layers.LSTM(3, return_sequences=True, name="lstm"),
                          layers.Dense(1, name="dense")], name="legacy_lstm")
    randomise(m, 11)
    save("legacy_lstm", m, inputs(11, 4, 2))
    m = keras.Sequential([keras.Input((4, 2)), layers.Bidirectional(layers.GRU(2, return_sequences=True),
                                                                    name="bidirectional"),
                          layers.Dense(1, name="dense")], name="legacy_bigru")
    randomise(m, 12)
    save("legacy_bigru", m, inputs(12, 4, 2))
    for name in ("legacy_lstm", "legacy_bigru"):
        if ONLY and name not in ONLY:
            continue
        model = keras.models.load_model(OUT / f"{name}.keras")
        model.save(OUT / f"{name}.h5")
        _keras2_weights(OUT / f"{name}.keras2.h5", model)
        (OUT / f"{name}.weights.h5").unlink()
        (OUT / f"{name}.keras").unlink()


def damaged() -> None:
    src = OUT / "lstm_seq.keras"
    raw = src.read_bytes()
    (OUT / "truncated.keras").write_bytes(raw[: len(raw) // 2])
    h5 = (OUT / "lstm_seq.weights.h5").read_bytes()
    (OUT / "truncated.weights.h5").write_bytes(h5[: len(h5) // 2])
    (OUT / "notazip.keras").write_text("this is not a Keras archive\n")
    rewrite(src, OUT / "no_weights.keras", lambda n, d: None if n == "model.weights.h5" else d)
    rewrite(src, OUT / "bad_config.keras", lambda n, d: b"{not json" if n == "config.json" else d)

    def wrong_units(n, d):
        if n != "config.json":
            return d
        cfg = json.loads(d)
        cfg["config"]["layers"][1]["config"]["units"] = 4
        return json.dumps(cfg).encode()
    rewrite(src, OUT / "wrong_units.keras", wrong_units)

    def custom(n, d):
        """A config naming a custom model class, a custom layer and a layer from a 'module' to import."""
        if n != "config.json":
            return d
        cfg = json.loads(d)
        cfg["module"] = "gatelab_evil_pkg.models"
        cfg["registered_name"] = "gatelab_evil_pkg>Backdoor"
        cfg["config"]["layers"].append({
            "module": "gatelab_evil_pkg.layers", "class_name": "Exploit", "registered_name": "gatelab_evil_pkg>Exploit",
            "config": {"name": "exploit", "command": "rm -rf /", "activation": {
                "module": "gatelab_evil_pkg.activations", "class_name": "function",
                "registered_name": "gatelab_evil_pkg>act", "config": "act"}},
            "build_config": {"input_shape": [None, 5, 1]}})
        return json.dumps(cfg).encode()
    rewrite(src, OUT / "custom_class.keras", custom)

    import h5py  # a valid HDF5 file that is not Keras weights
    with h5py.File(OUT / "not_keras.h5", "w") as fh:
        fh["foo"] = np.arange(6, dtype="float32").reshape(2, 3)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    if "--float64" in sys.argv:
        float64_model()
        return 0
    models()
    legacy()
    if ONLY:
        return 0
    damaged()
    import subprocess
    env = dict(os.environ, KERAS_BACKEND="torch")
    if subprocess.run([sys.executable, __file__, "--float64"], env=env).returncode != 0:
        print("float64 fixture not written: it needs Keras's torch backend (pip install torch)")
    for p in sorted(OUT.iterdir()):
        print(f"{p.stat().st_size:>8}  {p.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
