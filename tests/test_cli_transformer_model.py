"""`gatelab compute|explain transformer` on whole models: a Hugging Face folder (--weights DIR) or a
whole-model preset; every bad input is one line, exit 2, nothing on stdout."""
from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from tests.cli_helpers import one_line_error

REFS = os.path.join(os.path.dirname(__file__), "engines", "refs", "hf")
BERT, GPT2, VIT = (os.path.join(REFS, n) for n in ("bert-tiny", "gpt2-tiny", "vit-tiny"))


def _copy(tmp_path, src, name="m"):
    dst = tmp_path / name
    shutil.copytree(src, dst)
    return dst


def _edit_config(folder, **changes):
    cfg = json.loads((folder / "config.json").read_text())
    cfg.update(changes)
    (folder / "config.json").write_text(json.dumps(cfg))


def test_compute_summary_names_tokens_entropy_and_predictions(run_cli):
    r = run_cli("compute", "transformer", "--weights", BERT, "--text", "The cat sat on the [MASK] .")
    assert r.exit_code == 0, r.output
    assert "bert, post-LN" in r.stdout and "[CLS]* the cat sat on the [MASK]* . [SEP]*" in r.stdout
    assert "attention entropy" in r.stdout and "6:[MASK]" in r.stdout


def test_compute_json_is_the_whole_trace(run_cli):
    r = run_cli("compute", "transformer", "--weights", GPT2, "--tokens", "the,cat,sat", "--generate", "2", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["kind"] == "transformer-model" and d["family"] == "gpt2" and d["norm"] == "pre-LN"
    assert d["tokens"] == ["the", "cat", "sat"] and len(d["layers"]) == 2 and len(d["generated"]) == 2
    assert np.asarray(d["layers"][0]["attention"]).shape == (2, 3, 3)


def test_presets_need_no_file(run_cli):
    for name in ("tiny-bert", "tiny-gpt2", "tiny-vit"):
        r = run_cli("compute", "transformer", "--preset", name)
        assert r.exit_code == 0, (name, r.output)
    r = run_cli("compute", "transformer", "--weights", VIT, "--image", os.path.join(VIT, "image.png"))
    assert r.exit_code == 0 and "grid 2 x 2" in r.stdout


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_explain_one_head_at_one_query(run_cli, fmt):
    r = run_cli("explain", "transformer", "--preset", "tiny-gpt2", "--layer", "1", "--head", "1", "--query", "it",
                "--format", fmt)
    assert r.exit_code == 0, r.output
    assert "layer 1, head 1, query it (position 7)" in r.stdout
    assert "because" in r.stdout and ("sqrt" in r.stdout or r"\sqrt" in r.stdout)


def test_unknown_model_type_lists_the_supported(run_cli, tmp_path):
    m = _copy(tmp_path, BERT)
    _edit_config(m, model_type="llama")
    one_line_error(run_cli("compute", "transformer", "--weights", m, "--text", "the cat"),
                   "model_type 'llama'", "bert, gpt2, vit")


def test_text_longer_than_the_positions(run_cli):
    one_line_error(run_cli("compute", "transformer", "--weights", GPT2, "--text", "the cat " * 9),
                   "18 tokens", "at most 16")


def test_token_not_in_the_vocabulary(run_cli):
    one_line_error(run_cli("compute", "transformer", "--weights", BERT, "--tokens", "the,cta"), "'cta'", "did you mean 'cat'")
    one_line_error(run_cli("compute", "transformer", "--weights", GPT2, "--token-ids", "1,99"), "token id 99")


def test_text_without_tokenizer_suggests_token_ids(run_cli, tmp_path):
    m = _copy(tmp_path, BERT)
    (m / "tokenizer.json").unlink()
    one_line_error(run_cli("compute", "transformer", "--weights", m, "--text", "the cat"), "tokenizer.json", "--token-ids")
    assert run_cli("compute", "transformer", "--weights", m, "--token-ids", "2,5,6,3").exit_code == 0


def test_image_with_the_wrong_channel_count(run_cli, tmp_path):
    from PIL import Image
    p = tmp_path / "gray.png"
    Image.fromarray(np.zeros((8, 8), np.uint8), "L").save(p)
    one_line_error(run_cli("compute", "transformer", "--weights", VIT, "--image", p), "1 channel", "expects 3")


def test_tensors_not_matching_the_config(run_cli, tmp_path):
    m = _copy(tmp_path, BERT)
    _edit_config(m, intermediate_size=64)
    one_line_error(run_cli("compute", "transformer", "--weights", m, "--text", "the cat"),
                   "intermediate.dense.weight", "(32, 16)", "expected (64, 16)")
    m2 = _copy(tmp_path, GPT2, "m2")
    _edit_config(m2, n_layer=1)
    one_line_error(run_cli("compute", "transformer", "--weights", m2, "--text", "the cat"), "h.1.", "does not belong")


def test_config_keys_are_strict_but_know_what_hugging_face_writes(run_cli, tmp_path):
    m = _copy(tmp_path, BERT)
    _edit_config(m, hiden_dropout=0.1)
    one_line_error(run_cli("compute", "transformer", "--weights", m, "--text", "the cat"),
                   "unknown key 'hiden_dropout'", "hidden_dropout_prob")
    m2 = _copy(tmp_path, BERT, "m2")
    _edit_config(m2, torch_dtype="float32", gradient_checkpointing=False, position_embedding_type="absolute")
    assert run_cli("compute", "transformer", "--weights", m2, "--text", "the cat").exit_code == 0


def test_whole_model_options_need_a_whole_model(run_cli):
    one_line_error(run_cli("compute", "transformer", "--text", "the cat"), "--text applies to a whole model")
    one_line_error(run_cli("compute", "transformer", "--seed", "1", "--layer", "1"), "--layer applies to a whole model")
    one_line_error(run_cli("compute", "transformer", "--weights", BERT, "--text", "x", "--heads", "2"), "config.json")
    one_line_error(run_cli("compute", "transformer", "--weights", BERT), "needs an input")
    one_line_error(run_cli("compute", "transformer", "--weights", BERT, "--text", "a", "--token-ids", "1"), "conflict")


def test_model_summary_counts_a_model_folder(run_cli):
    r = run_cli("compute", "model-summary", "--weights", BERT)
    assert r.exit_code == 0, r.output
    assert "Total params: 5,392" in r.stdout and "heads included" in r.stdout
    r = run_cli("compute", "model-summary", "--preset", "gpt2-small-params")
    assert "Total params: 124,439,808" in r.stdout


def test_inspect_a_model_folder_reads_headers_and_counts(run_cli):
    r = run_cli("inspect", GPT2, "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["format"] == "hf-folder" and s["tensors"] == 28 and s["total_parameters"] == 7136
    assert s["modules"][0]["count"] == 7136          # GPT2Model: every stored tensor (the LM head is tied, not stored)
    r = run_cli("inspect", "--preset", "tiny-bert")
    assert r.exit_code == 0 and "gatelab compute transformer --preset tiny-bert" in r.stdout


SST, NER, BPE = (os.path.join(REFS, n) for n in ("bert-sst", "bert-ner", "gpt2-bpe"))


def test_older_and_fine_tuned_folders_run_from_the_cli(run_cli, tmp_path):
    r = run_cli("compute", "transformer", "--weights", SST, "--text", "The cats sat on the mat .", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["prediction_kind"] == "class" and set(d["predictions"][0]["top"]) == {"negative", "positive"}
    r = run_cli("compute", "transformer", "--weights", NER, "--text", "the dog ran")
    assert r.exit_code == 0 and "top predictions (token class)" in r.stdout and "2:dog" in r.stdout
    out = tmp_path / "ner.svg"
    r = run_cli("diagram", "transformer-model", "--weights", NER, "--text", "the dog ran", "-o", out)
    assert r.exit_code == 0 and "token classifier" in out.read_text()
    for folder, kind in ((SST, "1 torch.save file"), (BPE, "2 torch.save files")):
        r = run_cli("inspect", folder)
        assert r.exit_code == 0 and kind in r.stdout, r.output
    r = run_cli("compute", "transformer", "--weights", BPE, "--text", "the cat ran", "--generate", "2")
    assert r.exit_code == 0 and "generated (greedy" in r.stdout


def test_a_folder_without_weights_names_what_it_looks_for(run_cli, tmp_path):
    m = _copy(tmp_path, SST)
    (m / "pytorch_model.bin").unlink()
    (m / "tf_model.h5").write_bytes(b"\x89HDF\r\n\x1a\n")
    one_line_error(run_cli("compute", "transformer", "--weights", m, "--text", "the cat"),
                   "no model.safetensors, pytorch_model.bin", "tf_model.h5", "not read")
    m2 = _copy(tmp_path, SST, "m2")
    (m2 / "pytorch_model.bin").write_bytes(b"PK\x03\x04 not really a zip")
    one_line_error(run_cli("compute", "transformer", "--weights", m2, "--text", "the cat"), "pytorch_model.bin")


def test_roberta_and_distilbert_from_the_cli(run_cli, tmp_path):
    rob, dis = os.path.join(REFS, "roberta-tiny"), os.path.join(REFS, "distilbert-sst")
    r = run_cli("compute", "transformer", "--weights", rob, "--text", "the cat sat on the <mask>")
    assert r.exit_code == 0 and "top predictions (masked token)" in r.stdout and "<s>*" in r.stdout, r.output
    r = run_cli("compute", "model-summary", "--weights", os.path.join(REFS, "roberta-sst"))
    assert r.exit_code == 0 and "no pooler stored" in r.stdout and "pooler  " not in r.stdout, r.output
    out = tmp_path / "d.svg"
    r = run_cli("diagram", "transformer-model", "--weights", dis, "--text", "the cat sat", "-o", out)
    svg = out.read_text().replace("&#45;", "-")
    assert r.exit_code == 0 and "encoder-only (DistilBERT)" in svg and "pre_classifier: relu(x^L[CLS] W + b)" in svg
    assert "token type" not in svg                               # DistilBERT has no token types
    r = run_cli("explain", "transformer", "--weights", dis, "--text", "the cat sat", "--layer", "1", "--head", "2")
    assert r.exit_code == 0 and "A DistilBERT model (post-LN" in r.stdout
    m = _copy(tmp_path, dis)
    _edit_config(m, n_layers=3)
    one_line_error(run_cli("compute", "transformer", "--weights", m, "--text", "the cat"), "transformer.layer.2", "missing")


def test_query_finds_a_byte_level_token_by_its_text(run_cli):
    r = run_cli("explain", "transformer", "--weights", BPE, "--text", "the cat ran in the park", "--query", "park",
                "--layer", "1", "--head", "1")
    assert r.exit_code == 0 and "query \u0120park (position 5)" in r.stdout, r.output


def test_do_convert_rgb_converts_a_grey_image(run_cli, tmp_path):
    from PIL import Image
    m = _copy(tmp_path, VIT)
    pc = json.loads((m / "preprocessor_config.json").read_text())
    (m / "preprocessor_config.json").write_text(json.dumps({**pc, "do_convert_rgb": True}))
    p = tmp_path / "gray.png"
    Image.fromarray(np.full((8, 8), 128, np.uint8), "L").save(p)
    r = run_cli("compute", "transformer", "--weights", m, "--image", p)
    assert r.exit_code == 0, r.output


def test_a_sentence_pair_and_the_next_sentence_head(run_cli, tmp_path):
    r = run_cli("compute", "transformer", "--weights", BERT, "--text", "the cat sat .", "--text-pair", "it was tired .",
                "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["type_ids"] == [0] * 6 + [1] * 5 and set(d["next_sentence"]) == {"is_next", "not_next"}
    out = tmp_path / "m.svg"
    r = run_cli("diagram", "transformer-model", "--weights", BERT, "--text", "the cat sat .", "--text-pair", "it was",
                "-o", out)
    assert r.exit_code == 0 and "next-sentence head" in out.read_text().replace("&#45;", "-")
    one_line_error(run_cli("compute", "transformer", "--weights", BERT, "--text-pair", "it was tired ."), "--text")
    one_line_error(run_cli("compute", "transformer", "--weights", GPT2, "--text", "the cat", "--text-pair", "sat"),
                   "BERT-style")
    r = run_cli("compute", "transformer", "--weights", os.path.join(REFS, "distilbert-tiny"), "--text", "the cat",
                "--text-pair", "sat on the mat", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["type_ids"] is None       # DistilBERT has no token types


def test_electra_from_the_cli(run_cli, tmp_path):
    disc = os.path.join(REFS, "electra-disc")
    r = run_cli("compute", "transformer", "--weights", disc, "--text", "the cat sat on the mat")
    assert r.exit_code == 0 and "top predictions (replaced token)" in r.stdout and "2:cat" in r.stdout, r.output
    out = tmp_path / "e.svg"
    r = run_cli("diagram", "transformer-model", "--weights", disc, "--text", "the cat sat", "-o", out)
    svg = out.read_text().replace("&#45;", "-").replace("&gt;", ">")
    assert r.exit_code == 0 and "encoder-only (ELECTRA)" in svg and "projection 8 -> 16" in svg
    r = run_cli("compute", "model-summary", "--weights", disc)
    assert r.exit_code == 0 and "embedding projection" in r.stdout and "Total params: 4,928" in r.stdout, r.output
