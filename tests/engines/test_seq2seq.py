"""seq2seq engine: PyTorch re-implementation cross-check, alignment invariants, decoding modes, CLI errors."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gatelab.engines import cells, registry
from gatelab.engines import seq2seq as S
from gatelab.engines.errors import InputError
from tests.cli_helpers import one_line_error as _one_line_error

# these tests pin the untrained translate preset (the default is the trained seq2seq-reverse)
_TRANSLATE = registry.Source(preset="seq2seq-translate")

REF = json.loads((Path(__file__).parent / "refs" / "torch_seq2seq.json").read_text())
PRESET = json.loads((Path(S.__file__).parent / "presets" / "seq2seq-translate.json").read_text(encoding="utf-8"))


def _opts(c):
    o = {"cell": c["cell"], "attention": c["attention"], "decode": c["decode"]}
    if c["attention"] == "luong":
        o["score"] = c["score"]
    return o


@pytest.mark.parametrize("case", REF["cases"], ids=lambda c: f"{c['cell']}-{c['attention']}-{c['score']}-{c['decode']}")
def test_matches_torch_reimplementation(case):
    tr = registry.compute("seq2seq", _TRANSLATE, options=_opts(case)).trace
    L = np.array([st.logits for st in tr.steps])
    assert L.shape == np.array(case["logits"]).shape
    assert np.allclose(L, case["logits"], atol=1e-12)
    if case["attention"] == "none":
        assert tr.alignment is None
    else:
        assert np.allclose(tr.alignment, case["alignment"], atol=1e-12)


@pytest.mark.parametrize("attention,score", [("bahdanau", None), ("luong", "dot"), ("luong", "general"),
                                             ("luong", "scaled_dot")])
def test_alignment_invariants(attention, score):
    opts = {"attention": attention, **({"score": score} if score else {})}
    tr = registry.compute("seq2seq", _TRANSLATE, options=opts).trace
    assert tr.alignment.shape == (len(tr.steps), len(tr.source))
    assert np.allclose(tr.alignment.sum(axis=1), 1.0, atol=1e-12) and np.all(tr.alignment > 0)
    assert np.allclose(tr.contexts, tr.alignment @ tr.annotations, atol=1e-12)
    for st in tr.steps:
        assert np.allclose(st.probs.sum(), 1.0) and st.predicted == tr.tgt_vocab[int(np.argmax(st.probs))]


def test_fixed_context_is_last_encoder_states():
    tr = registry.compute("seq2seq", _TRANSLATE, options={"attention": "none"}).trace
    H = tr.encoder[0].hf.shape[0]
    assert np.array_equal(tr.fixed_context, np.concatenate([tr.encoder[-1].hf, tr.encoder[0].hb]))
    assert all(np.array_equal(c, tr.fixed_context) for c in tr.contexts) and tr.fixed_context.shape == (2 * H,)
    d = json.loads(tr.to_json())
    assert d["alignment"] is None and len(d["contexts"]) == len(d["steps"])


def test_teacher_forcing_vs_free_running():
    t = registry.compute("seq2seq", _TRANSLATE).trace
    assert [st.input_token for st in t.steps] == ["<s>"] + list(t.target[:-1])
    assert t.total_loss == pytest.approx(sum(-math.log(st.p_target) for st in t.steps), abs=1e-12)
    assert t.accuracy == pytest.approx(np.mean([a == b for a, b in zip(t.predicted, t.target)]))
    f = registry.compute("seq2seq", _TRANSLATE, options={"decode": "free", "cell": "lstm"}).trace
    assert [st.input_token for st in f.steps] == ["<s>"] + list(f.predicted[:-1])
    # the first step sees the same history in both modes
    t2 = registry.compute("seq2seq", _TRANSLATE, options={"cell": "lstm"}).trace
    assert np.array_equal(f.steps[0].logits, t2.steps[0].logits)


def test_free_running_stops_at_end_token(write_json, run_cli):
    doc = json.loads(json.dumps(PRESET))
    doc["inputs"] = {"source": "je suis", "max_len": 6}
    # bias the output towards </s> so greedy decoding stops at once
    doc["weights"]["b_out"] = [0.0, 50.0] + [0.0] * 6
    r = run_cli("compute", "seq2seq", "--weights", write_json(doc), "--decode", "free", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["predicted"] == ["</s>"] and len(d["steps"]) == 1 and d["total_loss"] is None


def test_gru_cell_by_hand():
    rng = np.random.default_rng(0)
    H, D = 2, 3
    W = {n: rng.normal(size=(H, H + D)) for n in ("W_z", "W_r", "W_h")}
    b = {n: rng.normal(size=H) for n in ("b_z", "b_r", "b_h")}
    h, x = rng.normal(size=H), rng.normal(size=D)
    sig = lambda v: 1 / (1 + np.exp(-v))
    z = sig(W["W_z"][:, :H] @ h + W["W_z"][:, H:] @ x + b["b_z"])
    r = sig(W["W_r"][:, :H] @ h + W["W_r"][:, H:] @ x + b["b_r"])
    n = np.tanh(W["W_h"][:, :H] @ (r * h) + W["W_h"][:, H:] @ x + b["b_h"])
    w = cells.GRUWeights(W["W_r"], W["W_z"], W["W_h"], b["b_r"], b["b_z"], b["b_h"])
    hn, _, g = S.cell_step(S.Cell("gru", w, H, D), x, h, None)
    assert np.allclose(hn, (1 - z) * h + z * n, atol=1e-15) and np.allclose(g["r"], r)


def test_round_trip_determinism_and_immutability(run_cli):
    a = run_cli("compute", "seq2seq", "-p", "seq2seq-translate", "--json")
    assert a.exit_code == 0 and a.stdout == run_cli("compute", "seq2seq", "-p", "seq2seq-translate", "--json").stdout
    d = json.loads(a.stdout)
    assert {"alignment", "contexts", "steps", "source", "target", "predicted"} <= set(d)
    tr = registry.compute("seq2seq", _TRANSLATE).trace
    assert S.Seq2SeqTrace.from_dict(d).to_json() == tr.to_json()
    with pytest.raises(ValueError):
        tr.steps[0].gates["z"][0] = 1.0


def test_explain_and_table(run_cli):
    for args in ((), ("--attention", "none"), ("--attention", "luong", "--score", "general"), ("--decode", "free")):
        for fmt in ("md", "tex"):
            r = run_cli("explain", "seq2seq", "-p", "seq2seq-translate", *args, "--format", fmt)
            assert r.exit_code == 0 and "Encoder" in r.stdout
    out = run_cli("compute", "seq2seq", "-p", "seq2seq-translate").stdout
    assert "alignment" in out and "étudiant" in out
    assert "fixed context" in run_cli("compute", "seq2seq", "-p", "seq2seq-translate", "--attention", "none").stdout


def test_random_source(run_cli):
    for cell in S.CELLS:
        r = run_cli("compute", "seq2seq", "--seed", "2", "--cell", cell, "--attention", "luong")
        assert r.exit_code == 0, r.stderr


def test_bad_inputs(run_cli, write_json):
    doc = json.loads(json.dumps(PRESET))
    doc["inputs"]["source"] = ["je", "suis", "content"]
    _one_line_error(run_cli("compute", "seq2seq", "--weights", write_json(doc)), "source token 'content'")
    doc = json.loads(json.dumps(PRESET))
    del doc["inputs"]["target"]
    _one_line_error(run_cli("compute", "seq2seq", "--weights", write_json(doc)), "teacher forcing needs")
    assert run_cli("compute", "seq2seq", "--weights", write_json(doc), "--decode", "free").exit_code == 0
    doc = json.loads(json.dumps(PRESET))
    doc["weights"]["E_src"] = doc["weights"]["E_src"][:-1]
    _one_line_error(run_cli("compute", "seq2seq", "--weights", write_json(doc)), "E_src has shape (5, 3), expected (6, e)")
    doc = json.loads(json.dumps(PRESET))
    doc["weights"]["dec.W_z"] = [[0.0] * 3] * 4
    _one_line_error(run_cli("compute", "seq2seq", "--weights", write_json(doc)), "dec.W_z has shape (4, 3)")
    _one_line_error(run_cli("compute", "seq2seq", "-p", "seq2seq-translate", "--score", "dot"), "Bahdanau attention uses the additive score")
    _one_line_error(run_cli("compute", "seq2seq", "-p", "seq2seq-translate", "--attention", "luong", "--score", "additive"), "Luong")
    # Luong dot needs decoder hidden == 2 * encoder hidden
    rng = np.random.default_rng(0)
    w = S.random_weights(rng, ["a"], ["<s>", "</s>", "a"], e=2, H=2, Hd=3, A=2)
    _one_line_error(run_cli("compute", "seq2seq", "--weights",
                            write_json({"weights": w, "inputs": {"source": ["a"], "target": ["a", "</s>"]}}),
                            "--attention", "luong"), "decoder hidden (3) = 2 * encoder hidden (4)")


def test_training_module_names_and_s0_equal_to_C():
    """Aliases (the training script's enc_f./enc_b., the GRU candidate's older W_h/b_h, W_o [V, H_d + 2H],
    b_o; no W_init so s_0 = C) load into this engine and give the same numbers as our names."""
    rng = np.random.default_rng(1)
    w = S.random_weights(rng, ["1", "2", "3"], ["<s>", "</s>", "1", "2", "3"], e=3, H=2, Hd=4, A=3)
    del w["W_init"]
    inp = {"source": ["1", "3", "2"], "target": ["2", "3", "1", "</s>"]}
    ours = S.build(w, inp, cell="gru")
    assert ours.s0_rule == "C" and np.array_equal(ours.s0, ours.fixed_context)
    theirs = {}
    for k, v in w.items():
        k2 = k.replace("enc_fwd.", "enc_f.").replace("enc_bwd.", "enc_b.").replace(".W_n", ".W_h").replace(".b_n", ".b_h")
        theirs[k2] = v
    theirs["W_o"] = np.array(theirs.pop("W_out")).T.tolist()
    theirs["b_o"] = theirs.pop("b_out")
    tr = S.build(theirs, inp, cell="gru")
    assert np.allclose([st.logits for st in tr.steps], [st.logits for st in ours.steps], atol=1e-13)
    assert np.allclose(tr.alignment, ours.alignment, atol=1e-13) and tr.predicted == ours.predicted
    w["dec.W_z"] = np.zeros((3, 3 + 3 + 4)).tolist()
    with pytest.raises(Exception, match="without W_init"):
        S.build({**w, "dec.W_r": w["dec.W_z"], "dec.W_n": w["dec.W_z"],
                 "dec.b_z": [0.0] * 3, "dec.b_r": [0.0] * 3, "dec.b_n": [0.0] * 3}, inp, cell="gru")
    # the older name of the GRU candidate (W_h) is the same weight as W_n: both at once is an error
    with pytest.raises(InputError, match="dec.W_n and dec.W_h are the same weight given twice"):
        S.build({**w, "dec.W_h": w["dec.W_n"]}, inp, cell="gru")
