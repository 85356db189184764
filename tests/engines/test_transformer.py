"""Transformer pieces: PE formula and rotation identity, norms, blocks vs PyTorch, CLI errors."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gatelab.engines import registry
from gatelab.engines import transformer as TF
from tests.cli_helpers import one_line_error as _one_line_error

REF = json.loads((Path(__file__).parent / "refs" / "torch_transformer.json").read_text())


def test_pe_matches_vaswani_formula_elementwise():
    T, d = 7, 6
    pe = TF.positional_encoding(T, d)
    for t in range(T):
        for i in range(d // 2):
            ang = t / 10000 ** (2 * i / d)
            assert pe[t, 2 * i] == pytest.approx(math.sin(ang), abs=1e-15)
            assert pe[t, 2 * i + 1] == pytest.approx(math.cos(ang), abs=1e-15)
    assert pe[1, 0] == pytest.approx(math.sin(1.0))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 32).map(lambda n: 2 * n), st.integers(0, 60), st.integers(0, 200))
def test_rotation_identity_to_1e12(d, k, t0):
    pe = TF.positional_encoding(t0 + k + 1, d)
    M = TF.rotation_matrix(d, k)
    assert np.max(np.abs(M @ pe[t0] - pe[t0 + k])) < 1e-12
    assert np.allclose(M @ M.T, np.eye(d), atol=1e-12)          # a rotation: orthogonal


def test_pe_preset_and_trace():
    tr = registry.compute("positional-encoding").trace
    assert tr.pe.shape == (8, 8) and [r.k for r in tr.rotations] == [1, 3]
    assert all(r.max_error < 1e-12 for r in tr.rotations)
    assert tr.omega.tolist() == pytest.approx([1.0, 0.1, 0.01, 0.001], rel=1e-12)


def test_layer_norm_rows_zero_mean_unit_variance():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 7)) * 3 + 2
    tr = TF.run_norm(x, np.ones(7), np.zeros(7), "layer", eps=0.0)
    assert np.allclose(tr.y.mean(axis=1), 0, atol=1e-12) and np.allclose(tr.y.var(axis=1), 1, atol=1e-12)
    bn = TF.run_norm(x, np.ones(7), np.zeros(7), "batch", eps=0.0)
    assert np.allclose(bn.y.mean(axis=0), 0, atol=1e-12) and np.allclose(bn.y.var(axis=0), 1, atol=1e-12)
    # by hand for one row: x = [1, 2, 6] -> mean 3, biased var 14/3
    h = TF.run_norm(np.array([[1.0, 2.0, 6.0], [0.0, 0.0, 3.0]]), np.ones(3), np.zeros(3), "layer", eps=0.0)
    assert h.mean[0] == 3.0 and h.var[0] == pytest.approx(14 / 3)
    assert h.y[0] == pytest.approx([-2 / math.sqrt(14 / 3), -1 / math.sqrt(14 / 3), 3 / math.sqrt(14 / 3)])


def test_norms_match_torch():
    n = REF["norms"]
    x, g, b = np.array(n["x"]), np.array(n["gamma"]), np.array(n["beta"])
    ln = TF.run_norm(x, g, b, "layer", n["eps"])
    bn = TF.run_norm(x, g, b, "batch", n["eps"])
    assert np.allclose(ln.y, n["layer_norm"], atol=1e-12)
    assert np.allclose(bn.y, n["batch_norm"], atol=1e-12)
    assert np.allclose(bn.var_unbiased, n["running_var"], atol=1e-12)   # torch keeps the unbiased one
    assert np.allclose(bn.mean, n["running_mean"], atol=1e-12)


def test_encoder_block_matches_torch():
    e = REF["encoder"]
    tr = TF.run_block(e["state_dict"], np.array(e["x"]), heads=e["heads"], key_padding=e["key_padding"])
    assert np.allclose(tr.output, e["output"], atol=1e-12)
    assert tr.norm_position == "post"


def test_decoder_block_matches_torch():
    e = REF["decoder"]
    tr = TF.run_block(e["state_dict"], np.array(e["x"]), block="decoder", heads=e["heads"],
                      key_padding=e["key_padding"], memory=np.array(e["memory"]),
                      memory_key_padding=e["memory_key_padding"])
    assert np.allclose(tr.output, e["output"], atol=1e-12)
    T = 5
    for hd in tr.self_attn.heads:                              # causal + target padding
        assert np.all(hd.weights[np.triu(np.ones((T, T), bool), 1)] == 0) and np.all(hd.weights[:, 3:] == 0)
    for hd in tr.cross_attn.heads:                             # padding only, never causal
        assert np.all(hd.weights[:, 2] == 0) and np.all(hd.weights[0, [0, 1, 3]] > 0)
        assert np.allclose(hd.weights.sum(axis=1), 1)


def test_block_attention_masks_kept_apart():
    e = REF["decoder"]
    tr = TF.run_block(e["state_dict"], np.array(e["x"]), block="decoder", heads=e["heads"],
                      key_padding=e["key_padding"], memory=np.array(e["memory"]),
                      memory_key_padding=e["memory_key_padding"])
    T, S = 5, np.array(e["memory"]).shape[0]
    sa, ca = tr.self_attn, tr.cross_attn
    assert np.array_equal(sa.causal_mask, np.array([[j > i for j in range(T)] for i in range(T)]))
    assert np.array_equal(sa.padding_mask, np.tile(np.array(e["key_padding"], bool), (T, 1)))
    assert np.array_equal(sa.mask, sa.causal_mask | sa.padding_mask)
    assert not ca.causal_mask.any()                                    # cross-attention is never causal
    assert np.array_equal(ca.padding_mask, np.tile(np.array(e["memory_key_padding"], bool), (T, 1)))
    assert ca.mask.shape == (T, S) and np.array_equal(ca.mask, ca.padding_mask)
    enc = TF.run_block(REF["encoder"]["state_dict"], np.array(REF["encoder"]["x"]), heads=REF["encoder"]["heads"],
                       key_padding=REF["encoder"]["key_padding"])
    assert not enc.self_attn.causal_mask.any()                         # the encoder is not causal
    assert np.array_equal(enc.self_attn.mask, enc.self_attn.padding_mask)


def test_block_preset_shapes_and_residual_structure():
    tr = registry.compute("transformer").trace
    names = [s.name for s in tr.sublayers]
    assert names == ["input + PE", "self-attention", "add & norm 1", "ffn hidden (relu)", "ffn", "add & norm 2"]
    shapes = {s.name: s.shape for s in tr.sublayers}
    assert shapes["ffn hidden (relu)"] == (5, 8) and shapes["add & norm 2"] == (5, 4)
    assert np.allclose(tr.x, tr.x_in + TF.positional_encoding(5, 4))
    # post-LN: add & norm 1 = LN(x + attention) with gamma 1, beta 0 -> rows mean 0, var ~1
    h = tr.sublayers[2].value
    assert np.allclose(h.mean(axis=1), 0, atol=1e-12) and np.allclose(h.var(axis=1), 1, atol=1e-4)
    r = h - 0
    manual = (tr.x + tr.sublayers[1].value)
    mu, var = manual.mean(1, keepdims=True), manual.var(1, keepdims=True)
    assert np.allclose(r, (manual - mu) / np.sqrt(var + 1e-5), atol=1e-12)
    d = registry.compute("transformer", options={"block": "decoder"}).trace
    assert [s.name for s in d.sublayers][3:5] == ["cross-attention", "add & norm 2"]


def test_json_round_trip_and_determinism(run_cli):
    for m, opts in (("transformer", ()), ("transformer", ("--block", "decoder")), ("positional-encoding", ()),
                    ("layernorm", ()), ("batchnorm", ())):
        a = run_cli("compute", m, *opts, "--json")
        assert a.exit_code == 0, a.stderr
        assert a.stdout == run_cli("compute", m, *opts, "--json").stdout
        tr = registry.compute(m, options=dict(zip(opts[::2], opts[1::2])) and {"block": "decoder"}).trace
        assert type(tr).from_dict(json.loads(tr.to_json())).to_json() == tr.to_json()


def test_explain_md_and_tex(run_cli):
    for m in ("transformer", "positional-encoding", "layernorm", "batchnorm"):
        for fmt in ("md", "tex"):
            r = run_cli("explain", m, "--format", fmt)
            assert r.exit_code == 0 and len(r.stdout) > 200
    assert "post-LN" in run_cli("explain", "transformer").stdout


def test_random_sources(run_cli):
    for m in ("transformer", "positional-encoding", "layernorm", "batchnorm"):
        r = run_cli("compute", m, "--seed", "5", "--hidden", "4", "--steps", "3")
        assert r.exit_code == 0, (m, r.stderr)


def test_bad_inputs(run_cli, write_json):
    _one_line_error(run_cli("compute", "transformer", "--heads", "3"), "--heads is 3", "d_model = 4")
    raw = json.loads((Path(TF.__file__).parent / "presets" / "transformer-block.json").read_text())
    bad = json.loads(json.dumps(raw))
    bad["inputs"]["x"] = [[1.0, 2.0, 3.0]] * 5
    _one_line_error(run_cli("compute", "transformer", "--weights", write_json(bad)), "x has shape (5, 3), expected (5, 4)")
    bad = json.loads(json.dumps(raw))
    bad["inputs"]["key_padding"] = [False, True]
    _one_line_error(run_cli("compute", "transformer", "--weights", write_json(bad)), "key_padding has length 2, expected 5")
    bad = json.loads(json.dumps(raw))
    del bad["inputs"]["target"]
    bad["inputs"]["memory"] = [[0.5, -0.5, 0.25, 0.0]] * 4
    bad["inputs"]["memory_key_padding"] = [False] * 7
    _one_line_error(run_cli("compute", "transformer", "--block", "decoder", "--weights", write_json(bad)),
                    "key_padding has length 7, expected 4")
    bad = json.loads(json.dumps(raw))
    del bad["inputs"]["target"]
    _one_line_error(run_cli("compute", "transformer", "--block", "decoder", "--weights", write_json(bad)), "memory")
    bad = json.loads(json.dumps(raw))
    bad["inputs"]["memory"] = [[0.5, -0.5, 0.25, 0.0]] * 4
    _one_line_error(run_cli("compute", "transformer", "--block", "decoder", "--weights", write_json(bad)), "not both")
    bad = json.loads(json.dumps(raw))
    bad["inputs"]["target"]["token"] = bad["inputs"]["target"].pop("tokens")
    _one_line_error(run_cli("compute", "transformer", "--block", "decoder", "--weights", write_json(bad)),
                    "did you mean 'tokens'")
    bad = json.loads(json.dumps(raw))
    bad["weights"]["linear1.weight"] = [[0.0] * 3] * 8
    _one_line_error(run_cli("compute", "transformer", "--weights", write_json(bad)), "linear1.weight")
    _one_line_error(run_cli("compute", "transformer", "--eps", "-1"), "--eps")
    w = write_json({"model": "positional-encoding", "weights": {}, "inputs": {"T": 4, "d_model": 5}})
    _one_line_error(run_cli("compute", "positional-encoding", "--weights", w), "d_model is 5")
    w = write_json({"weights": {"gamma": [1, 1]}, "inputs": {"x": [[1, 2, 3], [2, 3, 4]]}})
    _one_line_error(run_cli("compute", "layernorm", "--weights", w), "gamma has shape (2,), expected (3,)")
    w = write_json({"weights": {}, "inputs": {"x": [[1, 2, 3]]}})
    _one_line_error(run_cli("compute", "batchnorm", "--weights", w), "batch of at least 2")


def test_the_translation_pair_decoder_reads_the_encoder_output():
    """The shipped block example is one translation pair: the decoder's memory is the encoder block's
    output on the source sentence (not a second, unrelated input), its padding carried over."""
    from gatelab.engines import registry

    enc = registry.compute("transformer", registry.Source(preset="transformer-block"), {"block": "encoder"}).trace
    dec = registry.compute("transformer", registry.Source(preset="transformer-block"), {"block": "decoder"}).trace
    np.testing.assert_array_equal(dec.memory, enc.output)
    assert dec.memory_tokens == enc.tokens == ("I", "am", "a", "student", "<pad>")
    assert dec.tokens == ("<s>", "je", "suis", "etudiant")
    cross = np.asarray(dec.cross_attn.heads[0].weights)          # [T_target, S]
    assert np.all(cross[:, -1] == 0.0) and np.allclose(cross.sum(axis=1), 1.0)   # the source <pad> is masked
