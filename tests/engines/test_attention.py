"""Attention engine: hand-checked worked examples, invariants, PyTorch references, CLI errors."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gatelab.engines import attention as A
from gatelab.engines import registry
from gatelab.engines.errors import InputError
from tests.cli_helpers import one_line_error as _one_line_error

REFS = Path(__file__).parent / "refs"


def _preset(name):
    from gatelab.engines import presets
    return registry.compute(presets.load(name).model, registry.Source(preset=name))


# ----------------------------------------------------------------------------- worked examples

def test_thinking_machines_numbers():
    tr = _preset("thinking-machines").trace
    assert tr.q.shape == (2, 64) and tr.k.shape == (2, 64) and tr.d_k == 64
    assert tr.dots[0, 0] == 112.0 and tr.dots[0, 1] == 96.0        # exact integers
    assert tr.scale == 8.0
    assert tr.scores[0].tolist() == [14.0, 12.0]
    # softmax(14, 12) by hand: e^14 / (e^14 + e^12) = 1 / (1 + e^-2)
    w1 = 1.0 / (1.0 + math.exp(-2.0))
    assert tr.weights[0, 0] == pytest.approx(w1, abs=1e-15)
    assert round(tr.weights[0, 0], 4) == 0.8808 and round(tr.weights[0, 1], 4) == 0.1192
    assert tr.output[0] == pytest.approx(w1 * tr.v[0] + (1 - w1) * tr.v[1], abs=1e-12)
    # q, k, v really are the projections of the embeddings
    raw = json.loads((Path(A.__file__).parent / "presets" / "thinking-machines.json").read_text())
    x = np.array(raw["inputs"]["x"], float)
    assert np.array_equal(tr.v, x @ np.array(raw["weights"]["W_v"], float))
    assert tr.argmax.tolist()[0] == 0


def test_thinking_machines_explain(run_cli):
    r = run_cli("explain", "attention")
    assert r.exit_code == 0
    out = r.stdout
    for s in ("q1·k1 = 112", "q1·k2 = 96", "112 / 8 = 14", "96 / 8 = 12", "softmax(14, 12) = (0.8808, 0.1192)",
              "z1 = 0.8808 v1 + 0.1192 v2", "0.88 v1 + 0.12 v2"):
        assert s in out, s
    tex = run_cli("explain", "attention", "--format", "tex").stdout
    assert "\\section*" in tex and "0.8808" in tex


def test_qkv_sentence_matches_the_notes():
    tr = _preset("qkv-sentence").trace
    # The notes' "Query 5x4 Matrix" (seeds 000/004), two decimals (truncated or rounded)
    notes_q = [[1.71, 1.38, 1.52, 2.64], [5.27, 5.13, 4.62, 4.72], [2.19, 2.13, 1.60, 1.58],
               [5.76, 5.12, 4.53], [9.32, 8.11, 5.54]]
    for i, row in enumerate(notes_q):
        assert tr.q[i, :len(row)] == pytest.approx(row, abs=0.011)
    # The notes' key for row 1 as the sum of their hand-written partial products
    partials = [(.27, .41, .151, .065), (.56, .528, 1.009, .40), (.892, 1.119, .045, 1.074),
                (.031, .093, .237, .093), (-.553, -.026, -.0585, -.280), (-.039, -.176, -.084, -.059)]
    assert tr.k[0] == pytest.approx(np.sum(partials, axis=0), abs=0.005)
    assert tr.x.shape == (5, 6) and tr.W_q.shape == (6, 4)
    assert np.allclose(tr.weights.sum(axis=1), 1.0)


# ----------------------------------------------------------------------------- score functions vs loops

def _loop_attention(q, k, v, score, p, mask):
    Tq, Tk = q.shape[0], k.shape[0]
    out = np.zeros((Tq, v.shape[1]))
    W = np.zeros((Tq, Tk))
    for i in range(Tq):
        e = []
        for j in range(Tk):
            if score == "dot":
                s = sum(q[i, a] * k[j, a] for a in range(q.shape[1]))
            elif score == "scaled_dot":
                s = sum(q[i, a] * k[j, a] for a in range(q.shape[1])) / math.sqrt(q.shape[1])
            elif score == "general":
                s = sum(q[i, a] * p.W_a[a, b] * k[j, b] for a in range(q.shape[1]) for b in range(k.shape[1]))
            else:
                hid = [math.tanh(sum(q[i, a] * p.W_aq[a, c] for a in range(q.shape[1]))
                                 + sum(k[j, b] * p.W_ak[b, c] for b in range(k.shape[1]))) for c in range(len(p.v_a))]
                s = sum(p.v_a[c] * hid[c] for c in range(len(p.v_a)))
            e.append(None if mask[i, j] else s)
        live = [s for s in e if s is not None]
        if not live:
            continue
        m = max(live)
        den = sum(math.exp(s - m) for s in live)
        for j in range(Tk):
            if e[j] is not None:
                W[i, j] = math.exp(e[j] - m) / den
                out[i] += W[i, j] * v[j]
    return W, out


@pytest.mark.parametrize("score", A.SCORES)
def test_scores_match_explicit_loops(score):
    rng = np.random.default_rng(3)
    q, k, v = rng.normal(size=(3, 4)), rng.normal(size=(5, 4 if score != "general" else 3)), rng.normal(size=(5, 2))
    if score == "general":
        p = A.ScoreParams(W_a=rng.normal(size=(4, 3)))
    elif score == "additive":
        p = A.ScoreParams(W_aq=rng.normal(size=(4, 6)), W_ak=rng.normal(size=(k.shape[1], 6)), v_a=rng.normal(size=6))
    else:
        p = A.ScoreParams()
    mask = np.zeros((3, 5), bool)
    mask[:, 4] = True
    mask[2, :] = True                     # a fully masked row
    tr = A.run(q, k, v, score=score, mask=mask, p=p)
    W, out = _loop_attention(q, k, v, score, p, mask)
    assert np.allclose(tr.weights, W, atol=1e-12) and np.allclose(tr.output, out, atol=1e-12)
    assert tr.weights[2].tolist() == [0.0] * 5 and tr.output[2].tolist() == [0.0, 0.0]
    assert tr.argmax[2] == -1 and tr.row_sums.tolist()[2] == 0.0
    assert not np.any(np.isnan(tr.weights))


def test_scale_and_dots_fields():
    q = np.array([[1.0, 2.0, 0.0, 1.0]])
    k = np.array([[2.0, 1.0, 1.0, 0.0], [0.0, 0.0, 3.0, 1.0]])
    tr = A.run(q, k, k, score="scaled_dot")
    assert tr.dots.tolist() == [[4.0, 1.0]] and tr.scale == 2.0 and tr.scores.tolist() == [[2.0, 0.5]]
    assert A.run(q, k, k, score="dot").scale == 1.0


# ----------------------------------------------------------------------------- invariants

@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2**31 - 1), st.booleans())
def test_rows_sum_to_one_and_masked_keys_get_zero(Tq, Tk, dk, seed, causal):
    rng = np.random.default_rng(seed)
    q, k, v = rng.normal(size=(Tq, dk)) * 5, rng.normal(size=(Tk, dk)) * 5, rng.normal(size=(Tk, 3))
    pad = rng.random(Tk) < 0.3
    m = A.build_mask(Tq, Tk, causal=causal and Tq == Tk, key_padding=pad)
    tr = A.run(q, k, v, mask=m)
    assert np.all(tr.weights[m] == 0.0)
    live = ~np.all(m, axis=1)
    assert np.allclose(tr.weights[live].sum(axis=1), 1.0, atol=1e-12)
    assert np.all(tr.weights[~live] == 0.0) and np.all(tr.output[~live] == 0.0)
    assert np.all(np.isfinite(tr.weights)) and np.all(np.isfinite(tr.output))


def test_causal_mask_zeros_above_diagonal():
    tr = registry.compute("multihead").trace
    T = tr.x.shape[0]
    upper = np.triu(np.ones((T, T), bool), 1)
    for hd in tr.heads:
        assert np.all(hd.weights[upper] == 0.0)
        assert np.all(hd.weights[:, -1] == 0.0)         # padding key
        assert np.allclose(hd.weights.sum(axis=1), 1.0)
    assert tr.heads[0].weights[0, 0] == 1.0


# ----------------------------------------------------------------------------- mask kinds kept apart

def test_mask_parts_are_what_the_inputs_say_single_head():
    T = 4
    pad = [False, True, False, True]
    w = {"W_q": np.eye(3).tolist(), "W_k": np.eye(3).tolist(), "W_v": np.eye(3).tolist()}
    x = np.random.default_rng(3).normal(size=(T, 3)).tolist()
    tr = A.build(w, {"x": x, "mask": "causal", "key_padding": pad})
    upper = np.zeros((T, T), bool)
    for i in range(T):
        for j in range(T):
            upper[i, j] = j > i                          # strictly upper triangle, written out
    cols = np.zeros((T, T), bool)
    cols[:, [1, 3]] = True                               # the key_padding columns
    assert tr.causal_mask.dtype == np.bool_ and tr.padding_mask.dtype == np.bool_
    assert np.array_equal(tr.causal_mask, upper)
    assert np.array_equal(tr.padding_mask, cols)
    assert np.array_equal(tr.mask, upper | cols)         # the combined mask is kept as before
    assert np.all(tr.weights[upper] == 0.0) and np.all(tr.weights[cols] == 0.0)
    assert np.all(tr.weights[~(upper | cols)] > 0.0)
    # no causal option: the causal part is all False; no key_padding: the padding part is all False
    tr2 = A.build(w, {"x": x, "key_padding": pad})
    assert not tr2.causal_mask.any() and np.array_equal(tr2.padding_mask, cols)
    tr3 = A.build(w, {"x": x}, mask="causal")
    assert np.array_equal(tr3.causal_mask, upper) and not tr3.padding_mask.any()
    # an explicit boolean mask belongs to neither kind, but is in the combined mask
    ex = np.zeros((T, T), bool)
    ex[2, 0] = True
    tr4 = A.build(w, {"x": x, "mask": ex.tolist(), "key_padding": pad})
    assert not tr4.causal_mask.any() and np.array_equal(tr4.padding_mask, cols)
    assert np.array_equal(tr4.mask, ex | cols) and tr4.weights[2, 0] == 0.0


def test_mask_parts_multihead_shared_by_heads_and_round_trip():
    tr = registry.compute("multihead").trace               # causal-self-attention: causal + <pad> last
    T = tr.x.shape[0]
    upper = np.array([[j > i for j in range(T)] for i in range(T)])
    cols = np.zeros((T, T), bool)
    cols[:, -1] = True
    assert np.array_equal(tr.causal_mask, upper) and np.array_equal(tr.padding_mask, cols)
    assert np.array_equal(tr.mask, upper | cols)
    for hd in tr.heads:
        assert np.all(hd.weights[tr.causal_mask] == 0.0) and np.all(hd.weights[tr.padding_mask] == 0.0)
    d = json.loads(tr.to_json())
    assert d["causal_mask"] == upper.tolist() and d["padding_mask"] == cols.tolist()
    back = A.MultiHeadTrace.from_dict(d)
    assert back.causal_mask.dtype == np.bool_ and np.array_equal(back.padding_mask, cols)
    assert not back.causal_mask.flags.writeable


def test_run_mask_part_of_wrong_shape_is_one_line():
    q = np.ones((2, 2))
    with pytest.raises(InputError, match=r"^padding mask has shape \(3,\), expected \(2, 2\)"):
        A.run(q, q, q, padding=np.zeros(3, bool))


def test_masked_scores_are_null_in_json_and_round_trip():
    d = json.loads(registry.compute("multihead").trace.to_json())
    assert d["kind"] == "multihead" and set(d["heads"][0]) >= {"scores", "weights", "output"} and "output" in d
    assert d["heads"][0]["scores"][0][1] is None and d["heads"][0]["scores"][1][0] is not None
    tr = registry.compute("attention").trace
    d1 = json.loads(tr.to_json())
    assert {"scores", "weights", "output", "dots", "scale", "argmax"} <= set(d1)
    back = A.AttentionTrace.from_dict(d1)
    assert back.digest() == tr.digest()
    mh = registry.compute("multihead").trace
    assert A.MultiHeadTrace.from_dict(json.loads(mh.to_json())).to_json() == mh.to_json()


def test_determinism_and_immutability(run_cli):
    a = run_cli("compute", "multihead", "--json").stdout
    b = run_cli("compute", "multihead", "--json").stdout
    assert a == b
    s1 = run_cli("compute", "attention", "--seed", "4", "--json").stdout
    assert s1 == run_cli("compute", "attention", "--seed", "4", "--json").stdout
    tr = registry.compute("attention").trace
    with pytest.raises(ValueError):
        tr.weights[0, 0] = 0.5


# ----------------------------------------------------------------------------- PyTorch references

def _torch_ref():
    return json.loads((REFS / "torch_attention.json").read_text())


def test_multihead_matches_torch_self_attention_with_masks():
    ref = _torch_ref()["mha"]
    p = A.MHAParams.from_weights(ref["state_dict"])
    x = np.array(ref["x"])
    m = A.build_mask(5, 5, causal=True, key_padding=ref["key_padding"])
    tr = A.run_multihead(p, x, ref["num_heads"], mask=m)
    assert np.allclose(tr.output, ref["output"], atol=1e-12)
    for h, hd in enumerate(tr.heads):
        assert np.allclose(hd.weights, ref["head_weights"][h], atol=1e-12)


def test_multihead_matches_torch_cross_attention():
    ref = _torch_ref()["mha"]
    p = A.MHAParams.from_weights(ref["state_dict"])
    c = ref["cross"]
    m = A.build_mask(5, 3, key_padding=c["key_padding"])
    tr = A.run_multihead(p, np.array(ref["x"]), 2, x_kv=np.array(c["memory"]), mask=m)
    assert np.allclose(tr.output, c["output"], atol=1e-12)
    assert np.allclose(tr.mean_weights, np.mean(c["head_weights"], axis=0), atol=1e-12)


def test_scaled_dot_matches_torch_sdpa():
    ref = _torch_ref()["sdpa"]
    tr = A.run(np.array(ref["q"]), np.array(ref["k"]), np.array(ref["v"]), mask=np.array(ref["mask"]))
    assert np.allclose(tr.output, ref["output"], atol=1e-12)


def test_torch_state_dict_through_the_cli(run_cli, write_json):
    ref = _torch_ref()["mha"]
    w = write_json(ref["state_dict"], "sd.json")
    i = write_json({"x": ref["x"], "mask": "causal", "key_padding": ref["key_padding"]}, "in.json")
    r = run_cli("compute", "multihead", "--weights", w, "--inputs", i, "--heads", "2", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert np.allclose(d["output"], ref["output"], atol=1e-12)


# ----------------------------------------------------------------------------- bad input via the CLI


def test_bad_qkv_dims(run_cli, write_json):
    w = write_json({"weights": {}, "inputs": {"q": [[1, 2, 3]], "k": [[1, 2], [3, 4]], "v": [[1], [2]]}})
    _one_line_error(run_cli("compute", "attention", "--weights", w), "q has shape (1, 3)", "k has shape (2, 2)")
    w = write_json({"weights": {}, "inputs": {"q": [[1, 2]], "k": [[1, 2], [3, 4]], "v": [[1]]}})
    _one_line_error(run_cli("compute", "attention", "--weights", w), "v has shape (1, 1)")
    w = write_json({"weights": {}, "inputs": {"q": [[1, 2]], "k": [[1, 2]]}})
    _one_line_error(run_cli("compute", "attention", "--weights", w), "missing v")


def test_heads_must_divide_width(run_cli):
    _one_line_error(run_cli("compute", "multihead", "--heads", "3"), "--heads is 3", "d_model = 4")


def test_mask_wrong_length(run_cli, write_json):
    raw = json.loads((Path(A.__file__).parent / "presets" / "causal-self-attention.json").read_text())
    raw["inputs"]["key_padding"] = [False, True]
    _one_line_error(run_cli("compute", "multihead", "--weights", write_json(raw)), "key_padding has length 2, expected 5")
    raw["inputs"]["key_padding"] = None
    raw["inputs"]["mask"] = [[False, True], [False, False]]
    _one_line_error(run_cli("compute", "multihead", "--weights", write_json(raw)), "mask has shape (2, 2), expected (5, 5)")
    raw["inputs"]["mask"] = "upper"
    _one_line_error(run_cli("compute", "multihead", "--weights", write_json(raw)), "mask is 'upper'")


def test_bad_weights_and_scores(run_cli, write_json):
    w = write_json({"weights": {"W_q": [[1, 0]], "W_k": [[1, 0]], "W_v": [[1, 0]]}, "inputs": {"x": [[1, 2]]}})
    _one_line_error(run_cli("compute", "attention", "--weights", w), "W_q has shape (1, 2)")
    w = write_json({"weights": {}, "inputs": {"q": [[1, 2]], "k": [[1, 2]], "v": [[1]]}})
    _one_line_error(run_cli("compute", "attention", "--weights", w, "--score", "general"), "W_a")
    w = write_json({"weights": {"W_a": [[1, 0, 0], [0, 1, 0]]}, "inputs": {"q": [[1, 2]], "k": [[1, 2]], "v": [[1]]}})
    _one_line_error(run_cli("compute", "attention", "--weights", w, "--score", "general"), "W_a has shape (2, 3), expected (2, 2)")
    sd = {"in_proj_weight": np.zeros((6, 4)).tolist(), "out_proj.weight": np.zeros((4, 4)).tolist()}
    _one_line_error(run_cli("compute", "multihead", "--weights", write_json({"weights": sd, "inputs": {"x": [[0] * 4]}})),
                    "in_proj_weight has shape (6, 4), expected (12, 4)")


def test_random_sources(run_cli):
    r = run_cli("compute", "multihead", "--seed", "1", "--hidden", "2", "--heads", "3")
    assert r.exit_code == 0 and "3 heads" in r.stdout and "d_model = 6" in r.stdout
    for score in A.SCORES:
        r = run_cli("compute", "attention", "--seed", "2", "--score", score, "--mask", "causal")
        assert r.exit_code == 0, r.stderr
        assert "masked" in r.stdout or "-inf" in r.stdout


def test_build_rejects_unknown_score():
    with pytest.raises(InputError):
        A.build({}, {"q": [[1.0]], "k": [[1.0]], "v": [[1.0]]}, score="cosine")


def test_per_head_weights_equal_column_split(run_cli, write_json):
    raw = json.loads((Path(A.__file__).parent / "presets" / "causal-self-attention.json").read_text())
    w = {k: np.array(v) for k, v in raw["weights"].items()}
    heads = [{n: w[n][:, 2 * h:2 * h + 2].tolist() for n in ("W_q", "W_k", "W_v")}
             | {n: w[n][2 * h:2 * h + 2].tolist() for n in ("b_q", "b_k", "b_v")} for h in range(2)]
    doc = {"model": "multihead", "options": {"heads": 2, "mask": "causal"},
           "weights": {"heads": heads, "W_o": raw["weights"]["W_o"], "b_o": raw["weights"]["b_o"]},
           "inputs": raw["inputs"]}
    r = run_cli("compute", "multihead", "--weights", write_json(doc), "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["output"] == json.loads(run_cli("compute", "multihead", "--json").stdout)["output"]
    doc["weights"]["heads"][1]["W_q"] = [[0.0] * 3] * 4
    _one_line_error(run_cli("compute", "multihead", "--weights", write_json(doc)), "heads[1].W_q has shape (4, 3), expected (4, 2)")


def test_local_and_global_heads_preset():
    tr = _preset("multihead-local-global").trace
    local, glob = tr.heads
    assert local.argmax.tolist() == [0, 1, 2, 3, 4]                 # each token attends most to itself
    assert np.all(np.diag(local.weights) > 0.75)
    assert np.all(local.weights[1:4, [0, 1, 2]].max(axis=1) > 0)
    assert glob.argmax.tolist() == [0] * 5 and np.all(glob.weights[:, 0] > 0.95)   # everyone looks at token 1
    # head 1 by hand: q_i.k_j = 16 cos(0.6 (i - j)) up to the 6-decimal rounding of the features
    i, j = np.meshgrid(range(5), range(5), indexing="ij")
    assert np.allclose(local.dots, 16 * np.cos(0.6 * (i - j)), atol=1e-4)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_multihead_shapes_round_trip_and_head_split(H, dk, T, Tk, seed):
    rng = np.random.default_rng(seed)
    E = H * dk
    p = A.MHAParams(*(rng.normal(size=(E, E)) for _ in range(4)), *(rng.normal(size=E) for _ in range(4)))
    x, mem = rng.normal(size=(T, E)), rng.normal(size=(Tk, E))
    tr = A.run_multihead(p, x, H, x_kv=mem)
    assert tr.output.shape == (T, E) and len(tr.heads) == H and tr.heads[0].weights.shape == (T, Tk)
    # head h is plain scaled dot-product attention on its column block
    for h, hd in enumerate(tr.heads):
        sl = slice(h * dk, (h + 1) * dk)
        single = A.run((x @ p.W_q + p.b_q)[:, sl], (mem @ p.W_k + p.b_k)[:, sl], (mem @ p.W_v + p.b_v)[:, sl])
        assert np.allclose(hd.output, single.output, atol=1e-12)
    assert np.allclose(tr.output, tr.concat @ p.W_o + p.b_o, atol=1e-12)
    assert A.MultiHeadTrace.from_dict(json.loads(tr.to_json())).digest() == tr.digest()
