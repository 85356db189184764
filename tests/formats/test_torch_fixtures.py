"""Checkpoints written by real PyTorch reproduce PyTorch's own outputs through GateLab's readers
and numpy engines (no torch needed: the outputs are committed in refs/torch_outputs.json)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gatelab.engines import attention, formats, gru, lstm, rnn, transformer
from gatelab.engines.errors import InputError

REFS = Path(__file__).resolve().parent / "refs"
OUT = json.loads((REFS / "torch_outputs.json").read_text())
TOL = {"float64": 1e-9, "float32": 1e-6, "float16": 1e-9, "bfloat16": 1e-9}   # f16/bf16: torch ran the same rounded weights in float64

RECURRENT = [("lstm_bidir", "lstm_bidir.pt"), ("lstm_bidir", "lstm_bidir.safetensors"),
             ("rnn_head", "rnn_head.pt"), ("rnn_head", "rnn_head.safetensors"),
             ("gru_head", "gru_head.pt"), ("gru_head", "gru_head.safetensors"),
             ("encdec", "encdec.pt"), ("lstm_f16", "lstm_f16.safetensors"),
             ("lstm_bf16", "lstm_bf16.pt"), ("lstm_bf16", "lstm_bf16.safetensors")]
ENGINES = {"rnn": rnn, "lstm": lstm, "gru": gru}


@pytest.mark.parametrize("key,fname", RECURRENT)
def test_recurrent_checkpoint_reproduces_torch(key, fname):
    ref = OUT[key]
    module = ref["module"] if key == "encdec" else None          # encdec holds two LSTMs: choose one
    doc, note = formats.load_for_model(REFS / fname, ref["model"], module=module)
    assert note.startswith(f"using module {ref['module']!r}" if ref["module"] else "using module ''")
    if "ys" in ref:
        assert f"with {ref['head']!r}" in note
    tr = ENGINES[ref["model"]].build(doc.weights, {"x": ref["x"]}, **doc.options)
    tol = TOL[ref["dtype"]]
    if ref["model"] == "rnn":
        outs = np.array([s.h for s in tr.steps])                 # [T, H]
        ys = np.array([s.y for s in tr.steps])                   # [T, O]
    else:
        outs, ys = tr.outputs, tr.ys
        np.testing.assert_allclose(tr.h_n, ref["h_n"], rtol=0, atol=tol)
        if "c_n" in ref:
            np.testing.assert_allclose(tr.c_n, ref["c_n"], rtol=0, atol=tol)
    np.testing.assert_allclose(outs, ref["outputs"], rtol=0, atol=tol)
    if "ys" in ref:
        np.testing.assert_allclose(ys, ref["ys"], rtol=0, atol=tol)


def test_options_say_what_the_file_implies():
    doc, _ = formats.load_for_model(REFS / "gru_head.pt", "gru")
    assert doc.options == {"layers": 2, "bidirectional": True, "convention": "torch"}
    assert doc.model == "gru" and doc.extra["module"] == "gru" and doc.extra["head"] == "out"
    assert doc.weights["V"].shape == (2, 6) and "gru.weight_ih_l0" not in doc.weights and "weight_ih_l0" in doc.weights


def test_multihead_attention_inside_a_module():
    ref = OUT["attn"]
    doc, note = formats.load_for_model(REFS / "attn.pt", "multihead")
    assert "using module 'attn'" in note and "--heads" in note
    tr = attention.build_multihead(doc.weights, {"x": ref["x"]}, heads=ref["heads"], mask=ref["mask"])
    np.testing.assert_allclose(tr.output, ref["output"], rtol=0, atol=1e-9)
    for h, head in enumerate(tr.heads):
        np.testing.assert_allclose(head.weights, ref["head_weights"][h], rtol=0, atol=1e-9)


@pytest.mark.parametrize("fname", ["transformer.pt", "transformer.safetensors"])
@pytest.mark.parametrize("key", ["transformer_enc1", "transformer_dec"])
def test_transformer_layers_inside_a_model(key, fname):
    ref = OUT[key]
    doc, note = formats.load_for_model(REFS / fname, "transformer", module=ref["module"])
    assert doc.options == {"block": "decoder" if key.endswith("dec") else "encoder"}
    inputs = {"x": ref["x"], **({"memory": ref["memory"]} if "memory" in ref else {})}
    tr = transformer.build(doc.weights, inputs, heads=ref["heads"], **doc.options)
    np.testing.assert_allclose(tr.output, ref["output"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("fname", ["views.pt", "views_legacy.pt"])
def test_views_dtypes_and_buffers_read_exactly(fname):
    ck = formats.read(REFS / fname, data=False)
    infos = {t.name: t for t in ck.tensors}
    for name, ref in OUT["views"].items():
        assert infos[name].dtype == ref["dtype"] and list(infos[name].shape) == ref["shape"], name
        a = ck.loader(name)
        assert a.shape == tuple(ref["shape"])
        np.testing.assert_array_equal(a, np.array(ref["values"]))       # exact: float16/bfloat16 widen exactly
    assert ck.loader("bn.num_batches_tracked").dtype.kind == "i"           # readable as data ...
    assert ck.loader("h").dtype == np.float64


def test_an_int_buffer_is_not_a_weight(tmp_path):
    from gatelab.engines.formats import TensorInfo, _read
    infos = [TensorInfo("head.weight", (1, 3), "int64"), TensorInfo("head.bias", (1,), "float32"),
             TensorInfo("rnn.weight_ih_l0", (3, 2), "float32"), TensorInfo("rnn.weight_hh_l0", (3, 3), "float32")]
    arrays = {"head.weight": np.array([[1, 2, 3]]), "head.bias": np.zeros(1),
              "rnn.weight_ih_l0": np.zeros((3, 2)), "rnn.weight_hh_l0": np.zeros((3, 3))}
    ck = _read.assemble("f.pt", "torch", infos, arrays.__getitem__, {}, data=False)
    with pytest.raises(InputError, match="'head.weight' in 'f.pt' is int64: weights must be floating point"):
        formats.select(ck, "rnn")


try:
    import torch
except ImportError:          # the suite never needs torch; only this cross-check does
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed: the cross-check against "
                                                       "torch.load(weights_only=True) needs it")


@needs_torch
@pytest.mark.parametrize("fname", sorted(p.name for p in REFS.glob("*.pt") if not p.name.startswith(("malicious", "whole", "truncated"))))
def test_reader_matches_torch_load(fname):
    ref = torch.load(REFS / fname, weights_only=True)
    flat = {}

    def walk(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                walk(v, f"{prefix}{k}.")
            else:
                flat[f"{prefix}{k}"] = v
    walk(ref)
    ck = formats.read(REFS / fname, data=False)
    assert [t.name for t in ck.tensors] == list(flat)
    for name, t in flat.items():
        ours = ck.loader(name)
        theirs = t.double().numpy() if t.is_floating_point() else t.numpy()
        assert ours.shape == theirs.shape and np.array_equal(ours, theirs), name


@needs_torch
@pytest.mark.parametrize("fname", sorted(p.name for p in REFS.glob("*.safetensors")
                                         if not p.name.startswith(("truncated", "bad_header", "inf_"))))
def test_reader_matches_safetensors_torch(fname):
    from safetensors.torch import load_file
    ref = load_file(str(REFS / fname))
    ck = formats.read(REFS / fname, data=False)
    assert sorted(t.name for t in ck.tensors) == sorted(ref)
    for name, t in ref.items():
        assert np.array_equal(ck.loader(name), t.double().numpy()), name


def test_a_training_checkpoint_is_read_beside_its_metadata(run_cli, write_json):
    """A Lightning-style .ckpt: state_dict beside optimizer state, an AttributeDict of hyper-parameters with an
    argparse.Namespace, a path and numpy scalars (placeholders, never imported); the LSTM reproduces torch."""
    ref = json.loads((REFS / "train_ckpt.json").read_text())
    ckpt = formats.read(REFS / "train.ckpt", data=False)
    values = ckpt.meta["values"]
    assert values["epoch"] == 2 and values["best_val_loss"] == ref["best_val_loss"]
    assert values["hyper_parameters.best"] == 0.25 and values["hyper_parameters.args.data"] == "/data/x"
    assert values["hyper_parameters.args.seed"] == 11
    doc, note = formats.load_for_model(REFS / "train.ckpt", "lstm", module="state_dict.rnn", head="state_dict.head")
    assert "state_dict.head" in note
    tr = lstm.build(doc.weights, {"x": ref["x"]}, **doc.options)
    np.testing.assert_allclose(tr.outputs, ref["outputs"], rtol=0, atol=1e-6)       # float32 weights
    np.testing.assert_allclose(np.ravel(tr.c_n), ref["c_T"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.ravel(tr.ys), np.ravel(ref["y"]), rtol=0, atol=1e-6)
    r = run_cli("inspect", REFS / "train.ckpt")
    assert r.exit_code == 0 and "other entries: epoch = 2" in r.stdout and "best_val_loss = 0.3125" in r.stdout
    r = run_cli("compute", "lstm", "--weights", REFS / "train.ckpt", "--module", "state_dict.rnn",
                "--inputs", write_json({"x": ref["x"]}))
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("module, model", [("rnn_cell", "rnn"), ("gru_cell", "gru"), ("dec", "lstm")])
def test_recurrent_cells_unrolled_reproduce_torch(module, model):
    """nn.RNNCell / nn.GRUCell / nn.LSTMCell (weight_ih, weight_hh, bias_*: no _l0) run as one-layer recurrences."""
    ref = json.loads((REFS / "cells.json").read_text())
    head = "out" if module == "dec" else None
    doc, note = formats.load_for_model(REFS / "cells.pt", model, module=module, head=head)
    assert f"using module {module!r}" in note
    tr = ENGINES[model].build(doc.weights, {"x": ref["x"]}, **doc.options)
    hs = np.array([s.h for s in tr.steps]) if model == "rnn" else tr.outputs
    np.testing.assert_allclose(hs, ref[module]["h"], rtol=0, atol=1e-12)
    if model == "lstm":
        np.testing.assert_allclose([s.c for s in tr.runs[0].steps], ref["dec"]["c"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(tr.ys, ref["dec"]["y"], rtol=0, atol=1e-12)
    kinds = {m.name: m.kind for m in formats.read(REFS / "cells.pt", data=False).modules}
    assert kinds == {"rnn_cell": "nn.RNNCell", "gru_cell": "nn.GRUCell", "dec": "nn.LSTMCell", "out": "nn.Linear"}


def test_token_ids_through_the_checkpoints_embedding(run_cli, write_json):
    """{"token_ids": [...]}: x_t = the embedding row (nn.Embedding, stored like a Linear without bias), then the
    LSTM and its head, as torch runs them; without an embedding table it is one line."""
    from gatelab.engines import registry
    ref = json.loads((REFS / "emb_lstm.json").read_text())
    src = registry.Source(weights=str(REFS / "emb_lstm.pt"), inputs={"token_ids": ref["token_ids"]})
    run = registry.compute("lstm", src)
    np.testing.assert_allclose([s.x for s in run.trace.steps], ref["x"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.trace.outputs, ref["h"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.trace.ys, ref["y"], rtol=0, atol=1e-12)
    assert run.provenance["embedding"] == "embedding" and run.provenance["token_ids"] == ref["token_ids"]
    r = run_cli("compute", "rnn", "--weights", REFS / "rnn_head.pt", "--inputs", write_json({"token_ids": [1, 2]}))
    assert r.exit_code == 2 and "need an embedding table" in r.output
    r = run_cli("compute", "lstm", "--weights", REFS / "emb_lstm.pt", "--inputs", write_json({"token_ids": [1, 20]}))
    assert r.exit_code == 2 and "integers 0 .. 19" in r.output
