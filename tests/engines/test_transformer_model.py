"""Whole Transformer models (BERT, GPT-2, ViT) against transformers+torch run in float64 on the same
weights (tests/engines/refs/make_transformer_models.py made the folders and the numbers), plus
hand-checkable properties of the shared blocks and the whole-model presets."""
from __future__ import annotations

import json
import math
import os
import shutil

import numpy as np
import pytest

from gatelab.engines import presets
from gatelab.engines import transformer as blk
from gatelab.engines import transformer_hf as hf
from gatelab.engines import transformer_model as tm
from gatelab.engines import transformer_stack as ts
from gatelab.engines import transformer_whole as tw
from gatelab.engines.errors import InputError
from gatelab.engines.formats import hf_folder

REFS = os.path.join(os.path.dirname(__file__), "refs", "hf")
TOL = 1e-9


def _ref(name):
    return hf_folder.open_folder(os.path.join(REFS, name)), np.load(os.path.join(REFS, name, "ref.npz"))


def _attn(tr):
    return np.stack([lay.attention for lay in tr.layers])


# --------------------------------------------------------------------------- against the framework

def test_bert_post_ln_matches_transformers_every_layer_and_head_with_padding():
    folder, ref = _ref("bert-tiny")
    p = folder.params()
    assert p.norm == "post-LN" and p.act == "gelu"
    ids = ref["input_ids"]
    assert ids[-1] == 0 and ids[-2] == 0                       # two [PAD]s: masked as keys
    fw = tm.forward(p, ids=ids, padding=ids == 0)
    np.testing.assert_allclose(fw.hidden_states, ref["hidden_states"], atol=TOL, rtol=0)
    np.testing.assert_allclose(np.stack([o.self_attn.alpha for o in fw.outs]), ref["attentions"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fw.logits, ref["mlm_logits"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fw.pooled, ref["pooled"], atol=TOL, rtol=0)
    tr = tw.build_folder(folder.path, token_ids=",".join(map(str, ids)))
    assert [pr.position for pr in tr.predictions] == [int(np.flatnonzero(ids == 4)[0])]    # the one [MASK]
    top = np.argsort(-ref["mlm_logits"][tr.predictions[0].position])[:5]
    assert list(tr.predictions[0].top_ids) == list(top)
    assert np.all(_attn(tr)[..., -2:] == 0)                    # no query attends to padding


def test_gpt2_pre_ln_causal_matches_transformers():
    folder, ref = _ref("gpt2-tiny")
    p = folder.params()
    assert p.norm == "pre-LN" and p.act == "gelu_tanh" and p.lm_head is p.word      # tied LM head
    fw = tm.forward(p, ids=ref["input_ids"])
    hs = fw.hidden_states.copy()
    hs[-1] = ts.layer_norm(hs[-1], p.final_ln.gamma, p.final_ln.beta, p.eps)   # transformers reports the last after ln_f
    np.testing.assert_allclose(hs, ref["hidden_states"], atol=TOL, rtol=0)
    alpha = np.stack([o.self_attn.alpha for o in fw.outs])
    np.testing.assert_allclose(alpha, ref["attentions"], atol=TOL, rtol=0)
    assert np.all(np.triu(alpha, k=1) == 0)
    np.testing.assert_allclose(fw.logits, ref["logits"], atol=TOL, rtol=0)
    assert list(tm.generate(p, ref["input_ids"], 3, None)) == list(ref["generated"])   # greedy, as model.generate


def test_vit_pre_ln_matches_transformers_and_the_image_processor():
    folder, ref = _ref("vit-tiny")
    p = folder.params()
    fw = tm.forward(p, image=ref["pixel_values"])
    np.testing.assert_allclose(fw.hidden_states, ref["hidden_states"], atol=TOL, rtol=0)
    np.testing.assert_allclose(np.stack([o.self_attn.alpha for o in fw.outs]), ref["attentions"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fw.logits, ref["logits"], atol=TOL, rtol=0)
    # the processor works in float32: our float64 preprocessing agrees to float32 precision
    np.testing.assert_allclose(folder.image(os.path.join(folder.path, "image.png")), ref["pixel_values"], atol=1e-6)
    tr = tw.build_folder(folder.path, image=os.path.join(folder.path, "image.png"))
    assert tr.tokens == ("[CLS]", "p(1,1)", "p(1,2)", "p(2,1)", "p(2,2)") and tr.grid == (2, 2) and tr.patch_size == 4
    assert tr.predictions[0].top[0] == ("cat", "dog", "mat")[int(np.argmax(ref["logits"]))]


def test_vit_pooler_of_its_own_width_and_activation_matches_transformers():
    folder, ref = _ref("vit-pooler")           # ViTModel: pooler 16 -> 12 with ReLU, qkv_bias false
    p = folder.params()
    assert p.pool_act == "relu" and p.pooler[0].shape == (16, 12) and p.classifier is None
    fw = tm.forward(p, image=ref["pixel_values"])
    np.testing.assert_allclose(fw.hidden_states, ref["hidden_states"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fw.pooled, ref["pooled"], atol=TOL, rtol=0)
    assert 0 < np.count_nonzero(fw.pooled) < 12                  # the ReLU cut some units and passed others
    assert p.config["parameter_parts"]["pooler"] == 16 * 12 + 12
    cfg = dict(folder.config, pooler_act="swish")
    with pytest.raises(InputError, match="pooler_act 'swish' is not supported; expected one of tanh"):
        hf.check_config(cfg, "vit-pooler")


def test_text_is_tokenised_as_the_tokenizers_library_does():
    from tokenizers import Tokenizer
    for name in ("bert-tiny", "gpt2-tiny"):
        folder = hf_folder.open_folder(os.path.join(REFS, name))
        meta = json.load(open(os.path.join(REFS, name, "ref.json")))
        ids, toks = folder.encode(meta["text"])
        enc = Tokenizer.from_file(os.path.join(REFS, name, "tokenizer.json")).encode(meta["text"])
        assert list(ids) == enc.ids == meta["ids"] and list(toks) == enc.tokens
    tr = tw.build_folder(os.path.join(REFS, "bert-tiny"), text="the cat sat on the [MASK]")
    assert tr.tokens[0] == "[CLS]" and tr.tokens[-1] == "[SEP]" and "[MASK]" in tr.tokens
    assert list(tr.special) == [t in ("[CLS]", "[SEP]", "[MASK]") for t in tr.tokens]


def test_sharded_folder_reads_like_the_single_file(tmp_path):
    from safetensors.numpy import save_file
    src = os.path.join(REFS, "gpt2-tiny")
    dst = tmp_path / "sharded"
    dst.mkdir()
    for f in ("config.json", "tokenizer.json"):
        shutil.copy(os.path.join(src, f), dst / f)
    folder = hf_folder.open_folder(src)
    names = sorted(folder.names)
    half = len(names) // 2
    wm = {}
    for k, part in enumerate((names[:half], names[half:])):
        fname = f"model-0000{k + 1}-of-00002.safetensors"
        save_file({n: folder.load(n).astype(np.float32) for n in part}, str(dst / fname))
        wm.update({n: fname for n in part})
    (dst / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": wm}))
    a = tw.build_folder(src, text="the cat sat")
    b = tw.build_folder(str(dst), text="the cat sat")
    assert np.array_equal(a.hidden_states, b.hidden_states)


def test_bert_sequence_classifier_from_an_older_folder_matches_transformers():
    """pytorch_model.bin (torch.save, read without torch), no model_type in config.json, WordPiece from vocab.txt."""
    folder, ref = _ref("bert-sst")
    meta = json.load(open(os.path.join(REFS, "bert-sst", "ref.json")))
    assert folder.family == "bert" and "model_type" not in json.load(open(os.path.join(folder.path, "config.json")))
    assert folder.files == [os.path.join(folder.path, "pytorch_model.bin")]
    ids, toks = folder.encode(meta["text"])                     # as transformers' BertTokenizer on vocab.txt
    assert list(ids) == meta["ids"] == list(ref["input_ids"]) and list(toks) == meta["tokens"]
    p = folder.params()
    assert p.classify == "sequence" and p.labels == ("negative", "positive")
    fw = tm.forward(p, ids=ids)
    np.testing.assert_allclose(fw.hidden_states, ref["hidden_states"], atol=TOL, rtol=0)
    np.testing.assert_allclose(np.stack([o.self_attn.alpha for o in fw.outs]), ref["attentions"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fw.pooled, ref["pooled"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fw.logits, ref["logits"], atol=TOL, rtol=0)
    tr = tw.build_folder(folder.path, text=meta["text"])
    assert tr.prediction_kind == "class" and len(tr.predictions) == 1
    probs = np.exp(ref["logits"] - ref["logits"].max())
    probs /= probs.sum()
    assert tr.predictions[0].top == tuple(("negative", "positive")[i] for i in np.argsort(-probs))
    np.testing.assert_allclose(tr.predictions[0].probs, np.sort(probs)[::-1], atol=TOL, rtol=0)
    assert list(tr.special) == [t in ("[CLS]", "[SEP]", "[UNK]") for t in tr.tokens]      # "walked" is [UNK]


def test_bert_token_classifier_matches_transformers_at_every_token():
    folder, ref = _ref("bert-ner")
    p = folder.params()
    assert p.classify == "token" and p.pooler is None
    fw = tm.forward(p, ids=ref["input_ids"])
    np.testing.assert_allclose(fw.hidden_states, ref["hidden_states"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fw.logits, ref["logits"], atol=TOL, rtol=0)
    meta = json.load(open(os.path.join(REFS, "bert-ner", "ref.json")))
    tr = tw.build_folder(folder.path, text=meta["text"])
    labels = ("O", "B-ANIMAL", "I-ANIMAL", "B-PLACE")
    assert tr.prediction_kind == "token class" and [pr.position for pr in tr.predictions] == list(range(len(tr.tokens)))
    assert [pr.top[0] for pr in tr.predictions] == [labels[i] for i in np.argmax(ref["logits"], axis=-1)]


def test_gpt2_from_bin_shards_and_a_bpe_vocabulary_matches_transformers():
    folder, ref = _ref("gpt2-bpe")
    meta = json.load(open(os.path.join(REFS, "gpt2-bpe", "ref.json")))
    assert len(folder.files) == 2 and all(f.endswith(".bin") for f in folder.files)
    ids, toks = folder.encode(meta["text"])                     # as transformers' GPT2Tokenizer on vocab.json + merges.txt
    assert list(ids) == meta["ids"] and list(toks) == meta["tokens"]
    p = folder.params()
    assert p.lm_head is p.word                                  # tied: lm_head.weight is not stored
    fw = tm.forward(p, ids=ids)
    np.testing.assert_allclose(fw.logits, ref["logits"], atol=TOL, rtol=0)
    np.testing.assert_allclose(np.stack([o.self_attn.alpha for o in fw.outs]), ref["attentions"], atol=TOL, rtol=0)


def test_the_family_of_a_config_without_model_type_comes_from_the_tensor_names(tmp_path):
    for name, family in (("bert-sst", "bert"), ("gpt2-bpe", "gpt2"), ("vit-tiny", "vit")):
        dst = tmp_path / name
        shutil.copytree(os.path.join(REFS, name), dst)
        cfg = json.loads((dst / "config.json").read_text())
        for key in ("model_type", "architectures"):
            cfg.pop(key, None)
        (dst / "config.json").write_text(json.dumps(cfg))
        folder = hf_folder.open_folder(dst)
        assert folder.family == family and folder.config["model_type"] == family
    (dst / "config.json").write_text(json.dumps({"hidden_size": 16}))
    for f in dst.iterdir():
        if f.name.endswith(".safetensors"):
            f.unlink()
    from safetensors.numpy import save_file
    save_file({"w": np.zeros(2, np.float32)}, str(dst / "model.safetensors"))
    with pytest.raises(InputError, match="no model_type, and neither its architectures nor the tensor names"):
        hf_folder.open_folder(dst)


def test_a_classifier_of_another_head_type_is_a_clear_error(tmp_path):
    dst = tmp_path / "qa"
    shutil.copytree(os.path.join(REFS, "bert-sst"), dst)
    cfg = json.loads((dst / "config.json").read_text())
    cfg["architectures"] = ["BertForMultipleChoice"]
    (dst / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(InputError, match="belongs to BertForMultipleChoice"):
        hf_folder.open_folder(dst).params()


@pytest.mark.parametrize("name", ["roberta-tiny", "roberta-sst", "distilbert-tiny", "distilbert-sst"])
def test_roberta_and_distilbert_match_transformers_with_padding(name):
    """RoBERTa: positions from padding_idx + 1 and one token type; DistilBERT: its own names, no token types;
    masked-LM heads tied, sequence classifiers (tanh / ReLU before the last layer); two pads at the end."""
    folder, ref = _ref(name)
    p = folder.params()
    assert p.family == "bert" and p.norm == "post-LN" and folder.family == name.split("-")[0]
    ids, pad = ref["input_ids"], folder.config["pad_token_id"]
    assert ids[-1] == ids[-2] == pad
    fw = tm.forward(p, ids=ids, padding=ids == pad)
    np.testing.assert_allclose(fw.hidden_states, ref["hidden_states"], atol=TOL, rtol=0)
    np.testing.assert_allclose(np.stack([o.self_attn.alpha for o in fw.outs]), ref["attentions"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fw.logits, ref["logits"], atol=TOL, rtol=0)
    meta = json.load(open(os.path.join(REFS, name, "ref.json")))
    tr = tw.build_folder(folder.path, token_ids=",".join(map(str, ids)))
    assert list(folder.encode(meta["text"])[0]) == meta["ids"]
    if name.endswith("-sst"):
        assert p.classify == "sequence" and p.pool_act == ("tanh" if name.startswith("roberta") else "relu")
        assert tr.prediction_kind == "class" and tr.predictions[0].top[0] == p.labels[int(np.argmax(ref["logits"]))]
    else:
        mask = folder.token_id("<mask>" if name.startswith("roberta") else "[MASK]")
        assert tr.prediction_kind == "masked token" and [pr.position for pr in tr.predictions] == [int(np.flatnonzero(ids == mask)[0])]
        assert list(tr.predictions[0].top_ids) == list(np.argsort(-ref["logits"][tr.predictions[0].position])[:5])
    assert np.all(_attn(tr)[..., -2:] == 0)                    # no query attends to padding


def test_roberta_counts_positions_from_the_padding_index():
    folder, _ = _ref("roberta-tiny")
    p = folder.params()
    assert p.position_offset == 2 and p.types.shape[0] == 1
    ids = np.array([0, 5, 6, 1, 7])                               # a pad in the middle sits at padding_idx
    x = tm.embed_tokens(p, ids)
    expect = p.word[ids] + p.pos[[2, 3, 4, 1, 5]] + p.types[0]
    np.testing.assert_allclose(x, ts.layer_norm(expect, p.emb_ln.gamma, p.emb_ln.beta, p.eps), atol=1e-15)


def test_roberta_and_distilbert_folders_without_tokenizer_json_tokenise_the_same(tmp_path):
    """vocab.json + merges.txt (RoBERTa's byte-level BPE, <s> ... </s>, <mask> taking the space before it) and
    vocab.txt (DistilBERT's WordPiece), written from the fixtures' tokenizer.json."""
    for name in ("roberta-tiny", "distilbert-tiny"):
        dst = tmp_path / name
        shutil.copytree(os.path.join(REFS, name), dst)
        model = json.loads((dst / "tokenizer.json").read_text())["model"]
        (dst / "tokenizer.json").unlink()
        vocab = sorted(model["vocab"], key=model["vocab"].get)
        if name.startswith("roberta"):
            (dst / "vocab.json").write_text(json.dumps(model["vocab"]))
            merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
            (dst / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
        else:
            (dst / "vocab.txt").write_text("".join(t + "\n" for t in vocab))
        meta = json.load(open(os.path.join(REFS, name, "ref.json")))
        ids, toks = hf_folder.open_folder(dst).encode(meta["text"])
        assert list(ids) == meta["ids"], name


def test_a_sentence_pair_matches_transformers_next_sentence_head_included():
    """--text-pair: the tokenizer's pair template (token types 0 then 1), and BERT's NSP head on the pooled [CLS]."""
    path = os.path.join(REFS, "bert-tiny")
    ref = np.load(os.path.join(path, "ref_pair.npz"))
    meta = json.load(open(os.path.join(path, "ref_pair.json")))
    tr = tw.build_folder(path, text=meta["text"], text_pair=meta["text_pair"])
    assert list(tr.token_ids) == meta["ids"] and list(tr.type_ids) == meta["type_ids"]
    np.testing.assert_allclose(tr.hidden_states, ref["hidden_states"], atol=TOL, rtol=0)
    nsp = np.exp(ref["nsp_logits"] - ref["nsp_logits"].max())
    nsp /= nsp.sum()
    np.testing.assert_allclose([tr.next_sentence["is_next"], tr.next_sentence["not_next"]], nsp, atol=TOL, rtol=0)
    top = np.argsort(-ref["mlm_logits"][tr.predictions[0].position])[:5]
    assert list(tr.predictions[0].top_ids) == list(top)
    single = tw.build_folder(path, text=meta["text"])
    assert single.type_ids is None and single.next_sentence is None       # NSP is read on a pair only


def test_gpt2_sequence_classifier_reads_the_last_non_pad_token_as_transformers():
    folder, ref = _ref("gpt2-cls")
    p = folder.params()
    assert p.classify == "last" and p.lm_head is None and p.pad_id == 0 and p.labels == ("sad", "calm", "happy")
    ids = ref["input_ids"]
    fw = tm.forward(p, ids=ids)
    np.testing.assert_allclose(np.stack([o.self_attn.alpha for o in fw.outs]), ref["attentions"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fw.logits, ref["logits"], atol=TOL, rtol=0)
    padded = tm.forward(p, ids=np.append(ids, [0, 0]))          # trailing pads: the last real token is read
    np.testing.assert_allclose(padded.logits, ref["logits"], atol=TOL, rtol=0)
    tr = tw.build_folder(folder.path, token_ids=",".join(map(str, ids)))
    assert tr.prediction_kind == "class" and tr.predictions[0].position == len(ids) - 1
    with pytest.raises(InputError, match="sequence classifier"):
        tw.build_folder(folder.path, token_ids="5,6", generate=2)


@pytest.mark.parametrize("name", ["electra-disc", "electra-gen", "electra-sst"])
def test_electra_matches_transformers_with_its_embedding_projection(name):
    """embedding_size 8 < hidden 16 (embeddings_project); the discriminator's P(replaced) per token, the
    generator's masked LM (its own LayerNorm, tied decoder), the gelu sequence classifier; two pads."""
    folder, ref = _ref(name)
    p = folder.params()
    assert p.family == "bert" and p.emb_proj is not None and p.emb_proj[0].shape == (8, 16)
    ids = ref["input_ids"]
    fw = tm.forward(p, ids=ids, padding=ids == 0)
    np.testing.assert_allclose(fw.hidden_states, ref["hidden_states"], atol=TOL, rtol=0)
    np.testing.assert_allclose(np.stack([o.self_attn.alpha for o in fw.outs]), ref["attentions"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fw.logits, ref["logits"], atol=TOL, rtol=0)
    tr = tw.build_folder(folder.path, token_ids=",".join(map(str, ids)))
    if name == "electra-disc":
        assert tr.prediction_kind == "replaced token" and len(tr.predictions) == len(ids)
        p_rep = 1 / (1 + np.exp(-ref["logits"]))
        got = [dict(zip(pr.top, pr.probs))["replaced"] for pr in tr.predictions]
        np.testing.assert_allclose(got, p_rep, atol=TOL, rtol=0)
    elif name == "electra-gen":
        assert tr.prediction_kind == "masked token"
        assert list(tr.predictions[0].top_ids) == list(np.argsort(-ref["logits"][tr.predictions[0].position])[:5])
    else:
        assert tr.prediction_kind == "class" and p.pool_act == "gelu"


# --------------------------------------------------------------------------- the blocks

def test_post_ln_relu_layer_equals_the_one_block_engine():
    """A post-LN ReLU layer of the stack is the torch-checked encoder block of engines.transformer."""
    rng = np.random.default_rng(0)
    w, inputs = blk.random(rng, hidden=8, input_size=1, steps=5, heads=2)
    x = np.asarray(inputs["x"])
    ref = blk.run_block(w, x, heads=2)
    inw, inb = np.asarray(w["self_attn.in_proj_weight"]), np.asarray(w["self_attn.in_proj_bias"])
    p = ts.LayerParams(ts.AttnParams(inw.T, inb, np.asarray(w["self_attn.out_proj.weight"]).T,
                                     np.asarray(w["self_attn.out_proj.bias"])),
                       ts.Norm(np.ones(8), np.zeros(8)), np.asarray(w["linear1.weight"]).T, np.asarray(w["linear1.bias"]),
                       np.asarray(w["linear2.weight"]).T, np.asarray(w["linear2.bias"]), ts.Norm(np.ones(8), np.zeros(8)))
    out = ts.layer(x, p, 2, norm="post-LN", act="relu", eps=1e-5)
    np.testing.assert_allclose(out.out, ref.output, atol=1e-12)
    np.testing.assert_allclose(out.self_attn.alpha[1], ref.self_attn.heads[1].weights, atol=1e-12)


def test_blocks_take_a_leading_batch_dimension():
    folder, _ = _ref("gpt2-tiny")
    p = folder.params()
    x = np.stack([tm.embed_tokens(p, np.array(ids)) for ids in ([1, 4, 6, 8], [3, 5, 7, 9])])     # [2, 4, d]
    hs, outs = ts.stack(x, p.layers, p.heads, norm=p.norm, act=p.act, eps=p.eps, mask=ts.causal_mask(4))
    for b, ids in enumerate(([1, 4, 6, 8], [3, 5, 7, 9])):
        one = tm.forward(p, ids=np.array(ids))
        np.testing.assert_allclose(hs[:, b], one.hidden_states, atol=1e-12)
        np.testing.assert_allclose(outs[1].self_attn.alpha[b], one.outs[1].self_attn.alpha, atol=1e-12)


def test_gelu_forms_and_the_derived_numbers_by_hand():
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(ts.gelu_exact(x), x * 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x])))
    assert abs(ts.gelu_tanh(np.array([1.0]))[0] - 0.8411919906082768) < 1e-15      # 0.5(1 + tanh(sqrt(2/pi)*1.044715))
    uniform = np.full((1, 4, 4), 0.25)
    assert np.allclose(ts.entropy_bits(uniform), 2.0)                               # log2 4
    one_hot = np.eye(3)[None]
    assert np.allclose(ts.entropy_bits(one_hot), 0.0)
    a = np.array([[[1.0, 0.0], [0.5, 0.5]]])
    np.testing.assert_allclose(ts.rollout([a]), [[1.0, 0.0], [0.25, 0.75]])         # 0.5 I + 0.5 A
    np.testing.assert_allclose(ts.rollout([a, a]), np.array([[1, 0], [0.25, 0.75]]) @ np.array([[1, 0], [0.25, 0.75]]))
    np.testing.assert_allclose(ts.patches(np.arange(2 * 4 * 4.0).reshape(2, 4, 4), 2)[1],
                               [2, 3, 6, 7, 18, 19, 22, 23])                       # patch (1,2): channel first


# --------------------------------------------------------------------------- presets and the trace

@pytest.mark.parametrize("name", ["tiny-bert", "tiny-gpt2", "tiny-vit"])
def test_whole_model_presets_run_and_round_trip(name):
    doc = presets.load(name)
    assert doc.model == "transformer" and name in presets.names()
    tr = blk.build({}, doc.inputs, **doc.options)
    L, H = tr.config["layers"], tr.config["heads"]
    T = len(tr.tokens)
    assert tr.hidden_states.shape[:2] == (L + 1, T) and tr.entropy.shape == (L, H)
    assert tr.strongest_key.shape == (L, H, T) and tr.rollout.shape == (T, T)
    np.testing.assert_allclose(tr.rollout.sum(axis=1), 1.0)
    np.testing.assert_allclose(_attn(tr).sum(axis=-1), 1.0)
    back = type(tr).from_dict(json.loads(tr.to_json()))
    assert back.digest() == tr.digest() and back.scores is None and back.head_labels is None
    assert len(tr.to_json()) < 200_000


def test_tiny_gpt2_layer1_head1_attends_to_the_previous_token():
    doc = presets.load("tiny-gpt2")
    tr = blk.build({}, doc.inputs, **doc.options)
    T = len(tr.tokens)
    assert list(tr.strongest_key[0, 0, 1:]) == list(range(T - 1))
    assert tr.entropy[0, 0] < 0.01 and tr.generated is not None and len(tr.generated) == 3


def test_param_counts_equal_the_frameworks():
    fw = json.load(open(os.path.join(REFS, "param_counts.json")))
    assert hf.count({"model_type": "bert"})["total"] == fw["bert-base (BertModel, with pooler)"] == 109_482_240
    assert hf.count({"model_type": "gpt2"})["total"] == fw["gpt2-small (GPT2Model)"] == 124_439_808
    assert hf.count({"model_type": "vit"})["total"] == fw["vit-base-patch16-224 (ViTModel, with pooler)"]
    assert hf.count({"model_type": "roberta", "vocab_size": 50265, "max_position_embeddings": 514,
                     "type_vocab_size": 1})["total"] == fw["roberta-base (RobertaModel, with pooler)"] == 124_645_632
    assert hf.count({"model_type": "distilbert"})["total"] == fw["distilbert-base-uncased (DistilBertModel)"] == 66_362_880
    assert hf.count({"model_type": "electra"})["total"] == fw["electra-small-discriminator (ElectraModel)"] == 13_483_008
    for name in ("bert-tiny", "gpt2-tiny", "vit-tiny", "bert-sst", "bert-ner", "roberta-tiny", "roberta-sst",
                 "distilbert-tiny", "distilbert-sst", "gpt2-cls", "electra-disc", "electra-gen", "electra-sst",
                 "vit-pooler"):           # the tiny folders: every stored base-model tensor
        folder = hf_folder.open_folder(os.path.join(REFS, name))
        base = [n for n in folder.names
                if not n.startswith(("cls.", "classifier.", "lm_head.", "vocab_", "pre_classifier.", "score.",
                                     "discriminator_predictions.", "generator_"))]
        stored = sum(folder.load(n).size for n in base)
        assert folder.params().config["parameters"] == stored


def test_focus_is_checked():
    folder = os.path.join(REFS, "gpt2-tiny")
    tr = tw.build_folder(folder, text="the cat sat on the mat", layer=2, head=1, query="sat")
    assert tr.focus == {"layer": 2, "head": 1, "query": 2}
    with pytest.raises(InputError, match="--layer is 3, expected 1 .. 2"):
        tw.build_folder(folder, text="the cat", layer=3)
    with pytest.raises(InputError, match="--query 'dog' is not one of the tokens"):
        tw.build_folder(folder, text="the cat", query="dog")


def test_encoder_decoder_counts_equal_torch_nn_transformer_and_the_presets_state_them():
    from gatelab.engines import params, transformer_params as tp
    fw = json.load(open(os.path.join(REFS, "param_counts.json")))
    base = {"family": "encoder-decoder", "layers": 6, "d_model": 512, "d_ff": 2048, "heads": 8, "final_norms": True}
    big = {**base, "d_model": 1024, "d_ff": 4096, "heads": 16}
    assert tp.summarize({"transformer": base}).total == fw["nn.Transformer base (d 512, 8 heads, 6+6 layers, d_ff 2048)"]
    assert tp.summarize({"transformer": big}).total == fw["nn.Transformer big (d 1024, 16 heads, 6+6 layers, d_ff 4096)"]
    for name, total in (("transformer-base-params", 44_140_544 - 2 * 2 * 512 + 37000 * 512),
                        ("bert-base-params", 109_482_240), ("gpt2-small-params", 124_439_808)):
        doc = presets.load(name)
        tr = params.build(doc.weights, doc.inputs)
        assert tr.total == total and tr.assumptions
    with pytest.raises(InputError, match="unknown key in transformer description: 'layer'"):
        tp.summarize({"transformer": {"family": "bert", "layer": 2}})


def test_encoder_decoder_matches_torch_nn_transformer_and_the_memory_is_the_encoder_output():
    doc = presets.load("transformer-translate")
    tr = blk.build(doc.weights, doc.inputs)
    ref = np.load(os.path.join(os.path.dirname(__file__), "refs", "torch_encdec.npz"))
    assert tr.family == "encoder-decoder" and tr.source_tokens == ("ich", "bin", "müde")
    np.testing.assert_allclose(tr.encoder_hidden_states, ref["encoder_hidden_states"], atol=TOL, rtol=0)
    np.testing.assert_allclose(np.stack([lay.attention for lay in tr.encoder_layers]), ref["encoder_attentions"], atol=TOL)
    np.testing.assert_allclose(tr.memory, ref["memory"], atol=TOL, rtol=0)
    np.testing.assert_allclose(tr.hidden_states, ref["decoder_hidden_states"], atol=TOL, rtol=0)
    np.testing.assert_allclose(_attn(tr), ref["decoder_attentions"], atol=TOL, rtol=0)
    np.testing.assert_allclose(np.stack([lay.cross_attention for lay in tr.layers]), ref["cross_attentions"], atol=TOL)
    probs = np.exp(ref["logits"]) / np.exp(ref["logits"]).sum(-1, keepdims=True)
    for pr in tr.predictions:
        np.testing.assert_allclose(pr.probs, np.sort(probs[pr.position])[::-1][:5], atol=TOL)
    # the memory is really the encoder's output: another source sentence changes every cross-attention
    other = blk.build(doc.weights, {**doc.inputs, "source": ["du", "bist", "müde"]})
    assert not np.allclose(other.layers[0].cross_attention, tr.layers[0].cross_attention)
    assert np.array_equal(other.layers[0].attention, tr.layers[0].attention)       # layer 1 self-attention: target only
    back = type(tr).from_dict(json.loads(tr.to_json()))
    assert back.digest() == tr.digest()


def test_an_untied_masked_lm_decoder_is_used_as_stored(tmp_path):
    from safetensors.numpy import load_file, save_file
    dst = tmp_path / "untied"
    shutil.copytree(os.path.join(REFS, "bert-tiny"), dst)
    tensors = load_file(str(dst / "model.safetensors"))
    word = tensors["bert.embeddings.word_embeddings.weight"]
    tensors["cls.predictions.decoder.weight"] = 2 * word                  # no longer the embeddings
    save_file(tensors, str(dst / "model.safetensors"))
    ids = np.load(os.path.join(REFS, "bert-tiny", "ref.npz"))["input_ids"]
    tied = tm.forward(hf_folder.open_folder(os.path.join(REFS, "bert-tiny")).params(), ids=ids)
    untied = tm.forward(hf_folder.open_folder(dst).params(), ids=ids)
    bias = tensors["cls.predictions.bias"]
    np.testing.assert_allclose(untied.logits - bias, 2 * (tied.logits - bias), rtol=1e-12, atol=1e-12)
