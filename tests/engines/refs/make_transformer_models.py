"""Make the tiny Hugging Face model folders and the framework's numbers the whole-model tests compare with.

Run from the repository root (needs torch and transformers; the test suite does not):

    .venv/bin/python tests/engines/refs/make_transformer_models.py

Writes ``tests/engines/refs/hf/<name>/`` for bert-tiny (BertForPreTraining: pooler, masked-LM and
next-sentence heads; post-LN), gpt2-tiny (GPT2LMHeadModel; pre-LN, causal, tied LM head) and
vit-tiny (ViTForImageClassification; pre-LN, patches, [class] token; ``vit_pooler``: a ViTModel
with a ReLU pooler narrower than the model and no qkv biases), each saved with
``save_pretrained`` (config.json + model.safetensors) plus a WordLevel ``tokenizer.json`` made
with the ``tokenizers`` library (ViT: ``preprocessor_config.json`` and a small PNG). The framework
is then run in float64 on the stored (float32) weights and its attentions, hidden states and
logits are saved beside them as ``ref.npz``. ``param_counts.json`` holds ``sum(p.numel())`` of
BERT-base, GPT-2 small, ViT-base and torch's nn.Transformer base/big, built on the meta device.
``bert_sst`` (BertForSequenceClassification saved with ``torch.save`` as ``pytorch_model.bin``, a
config.json without ``model_type``, WordPiece ``vocab.txt``), ``bert_ner`` (BertForTokenClassification)
and ``gpt2_bpe`` (``vocab.json`` + ``merges.txt``, ``pytorch_model.bin`` shards with their index) are
the folders older and fine-tuned checkpoints come as. ``roberta`` and ``distilbert`` write a
masked-LM and a sequence-classifier folder of each BERT-style family. ``encdec`` writes the ``transformer-translate`` preset (a torch nn.Transformer with embeddings and a
generator) and its float64 numbers (``torch_encdec.npz``).
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "hf")
WORDS = "the a cat dog sat ran on in mat park it was tired because . , and".split()


def _word_level(specials: list[str], lowercase: bool, template: bool) -> Tokenizer:
    vocab = {t: i for i, t in enumerate(specials + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token=specials[1] if len(specials) > 1 else specials[0]))
    if lowercase:
        tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens(specials)
    if template:
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    return tok


def _eager(cfg):
    cfg._attn_implementation = "eager"      # the plain softmax path, which returns the attention weights
    return cfg


def _np(t) -> np.ndarray:
    return t.detach().to(torch.float64).numpy()


def _save_run(folder: str, out, extra: dict) -> None:
    arrays = {"hidden_states": np.stack([_np(h[0]) for h in out.hidden_states]),
              "attentions": np.stack([_np(a[0]) for a in out.attentions]), **extra}
    np.savez_compressed(os.path.join(folder, "ref.npz"), **arrays)


def _ref_json(folder: str, text: str, tokens, ids) -> None:
    with open(os.path.join(folder, "ref.json"), "w") as f:
        json.dump({"text": text, "tokens": tokens, "ids": ids}, f, indent=1)


def _save_folder(folder: str, model, tok: Tokenizer) -> None:
    model.save_pretrained(folder)
    tok.save(os.path.join(folder, "tokenizer.json"))


def _text_run(folder: str, model, tok: Tokenizer, text: str, extra=None) -> None:
    """The model in float64 on ``text``: ref.npz (hidden states, attentions, logits and ``extra(model, x)``'s
    arrays) and ref.json."""
    enc = tok.encode(text)
    x = torch.tensor([enc.ids])
    model = model.double()
    with torch.no_grad():
        out = model(input_ids=x, output_attentions=True, output_hidden_states=True)
        more = extra(model, x) if extra else {}
    _save_run(folder, out, {"input_ids": np.array(enc.ids), "logits": _np(out.logits[0]), **more})
    _ref_json(folder, text, enc.tokens, enc.ids)


def _padded_run(folder: str, model, tok: Tokenizer, text: str, pad: int) -> None:
    """The model in float64 on ``text`` with two pad tokens appended (masked as keys): ref.npz and ref.json."""
    enc = tok.encode(text)
    x = torch.tensor([list(enc.ids) + [pad, pad]])
    with torch.no_grad():
        out = model.double()(input_ids=x, attention_mask=(x != pad).long(), output_attentions=True,
                             output_hidden_states=True)
    _save_run(folder, out, {"input_ids": x[0].numpy(), "logits": _np(out.logits[0])})
    _ref_json(folder, text, enc.tokens, enc.ids)


def bert() -> None:
    from transformers import BertConfig, BertForPreTraining
    folder = os.path.join(OUT, "bert-tiny")
    tok = _word_level(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], lowercase=True, template=True)
    cfg = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=16, type_vocab_size=2, hidden_act="gelu",
                     pad_token_id=0)
    torch.manual_seed(0)
    model = BertForPreTraining(_eager(cfg)).eval()
    _save_folder(folder, model, tok)
    text = "The cat sat on the [MASK] because it was tired ."
    enc = tok.encode(text)
    ids = list(enc.ids) + [0, 0]                         # two [PAD]s: the padding mask
    model = model.double()
    x = torch.tensor([ids])
    am = (x != 0).long()
    with torch.no_grad():
        out = model(input_ids=x, attention_mask=am, output_attentions=True, output_hidden_states=True)
        pooled = model.bert(input_ids=x, attention_mask=am).pooler_output
    _save_run(folder, out, {"input_ids": np.array(ids), "mlm_logits": _np(out.prediction_logits[0]),
                            "nsp_logits": _np(out.seq_relationship_logits[0]), "pooled": _np(pooled[0])})
    _ref_json(folder, text, enc.tokens, enc.ids)


def bert_pair() -> None:
    """A sentence pair through the bert-tiny folder (token types 0 then 1, as the tokenizer's pair template
    gives them): hidden states, the masked-LM logits and the next-sentence logits (``ref_pair.npz``)."""
    from transformers import BertForPreTraining
    folder = os.path.join(OUT, "bert-tiny")
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    first, second = "the cat sat on the [MASK] .", "it was tired ."
    enc = tok.encode(first, second)
    model = BertForPreTraining.from_pretrained(folder, attn_implementation="eager").double().eval()
    with torch.no_grad():
        out = model(input_ids=torch.tensor([enc.ids]), token_type_ids=torch.tensor([enc.type_ids]),
                    output_attentions=True, output_hidden_states=True)
    np.savez_compressed(os.path.join(folder, "ref_pair.npz"), input_ids=np.array(enc.ids),
                        type_ids=np.array(enc.type_ids), hidden_states=np.stack([_np(h[0]) for h in out.hidden_states]),
                        mlm_logits=_np(out.prediction_logits[0]), nsp_logits=_np(out.seq_relationship_logits[0]))
    with open(os.path.join(folder, "ref_pair.json"), "w") as f:
        json.dump({"text": first, "text_pair": second, "tokens": enc.tokens, "ids": enc.ids,
                   "type_ids": enc.type_ids}, f, indent=1)


def gpt2() -> None:
    from transformers import GPT2Config, GPT2LMHeadModel
    folder = os.path.join(OUT, "gpt2-tiny")
    tok = _word_level(["<|endoftext|>"], lowercase=False, template=False)
    cfg = GPT2Config(vocab_size=tok.get_vocab_size(), n_embd=16, n_layer=2, n_head=2, n_positions=16,
                     bos_token_id=0, eos_token_id=0)
    torch.manual_seed(1)
    model = GPT2LMHeadModel(_eager(cfg)).eval()
    _save_folder(folder, model, tok)
    _text_run(folder, model, tok, "the dog ran in the park and the cat sat on the mat", lambda m, x: {
        "generated": m.generate(x, max_new_tokens=3, do_sample=False, pad_token_id=0)[0, x.shape[1]:].numpy()})


def gpt2_cls() -> None:
    """GPT2ForSequenceClassification: a bias-free ``score`` layer read at the last token (no LM head)."""
    from transformers import GPT2Config, GPT2ForSequenceClassification
    folder = os.path.join(OUT, "gpt2-cls")
    tok = _word_level(["<|endoftext|>"], lowercase=False, template=False)
    cfg = GPT2Config(vocab_size=tok.get_vocab_size(), n_embd=16, n_layer=2, n_head=2, n_positions=16,
                     bos_token_id=0, eos_token_id=0, pad_token_id=0, num_labels=3,
                     id2label={0: "sad", 1: "calm", 2: "happy"}, label2id={"sad": 0, "calm": 1, "happy": 2})
    torch.manual_seed(12)
    model = GPT2ForSequenceClassification(_eager(cfg)).eval()
    _save_folder(folder, model, tok)
    _text_run(folder, model, tok, "the dog ran in the park")


def _vit_run(folder: str, model, size: int) -> tuple:
    """Save ``model``, a ViT image processor and a small PNG in ``folder``; the model's float64 outputs on it."""
    from PIL import Image
    from transformers import ViTImageProcessor
    model.save_pretrained(folder)
    proc = ViTImageProcessor(size={"height": size, "width": size}, image_mean=[0.5, 0.4, 0.3], image_std=[0.2, 0.25, 0.3])
    proc.save_pretrained(folder)
    rng = np.random.default_rng(3)
    img = Image.fromarray(rng.integers(0, 256, size=(10, 12, 3), dtype=np.uint8), "RGB")
    img.save(os.path.join(folder, "image.png"))
    pix = proc(images=Image.open(os.path.join(folder, "image.png")), return_tensors="pt")["pixel_values"]
    model = model.double()
    # ViT's eager attention computes its softmax in float32 (dtype=torch.float32) even for a float64
    # model; for a float64 reference the softmax keeps the input's dtype while this model runs
    orig = torch.nn.functional.softmax
    torch.nn.functional.softmax = lambda x, dim=None, dtype=None, **kw: orig(
        x, dim=dim, dtype=None if x.dtype == torch.float64 else dtype, **kw)
    try:
        with torch.no_grad():
            out = model(pixel_values=pix.double(), output_attentions=True, output_hidden_states=True)
    finally:
        torch.nn.functional.softmax = orig
    return pix, out


def vit() -> None:
    from transformers import ViTConfig, ViTForImageClassification
    folder = os.path.join(OUT, "vit-tiny")
    cfg = ViTConfig(image_size=8, patch_size=4, num_channels=3, hidden_size=16, num_hidden_layers=2,
                    num_attention_heads=2, intermediate_size=32, num_labels=3,
                    id2label={0: "cat", 1: "dog", 2: "mat"}, label2id={"cat": 0, "dog": 1, "mat": 2})
    torch.manual_seed(2)
    pix, out = _vit_run(folder, ViTForImageClassification(_eager(cfg)).eval(), 8)
    _save_run(folder, out, {"pixel_values": _np(pix[0]), "logits": _np(out.logits[0])})


def vit_pooler() -> None:
    """A ViTModel with its pooler (no classifier), as the in21k checkpoints are: here a narrower pooler
    (pooler_output_size 12 < hidden 16) with ReLU, and no query/key/value biases (qkv_bias false)."""
    from transformers import ViTConfig, ViTModel
    folder = os.path.join(OUT, "vit-pooler")
    cfg = ViTConfig(image_size=8, patch_size=4, num_channels=3, hidden_size=16, num_hidden_layers=2,
                    num_attention_heads=2, intermediate_size=32, pooler_output_size=12, pooler_act="relu",
                    qkv_bias=False, architectures=["ViTModel"])
    torch.manual_seed(4)
    model = ViTModel(_eager(cfg)).eval()
    with torch.no_grad():                     # a visible bias, so that the ReLU cuts some units and passes others
        model.pooler.dense.bias.copy_(torch.linspace(-0.5, 0.5, 12))
    pix, out = _vit_run(folder, model, 8)
    _save_run(folder, out, {"pixel_values": _np(pix[0]), "pooled": _np(out.pooler_output[0])})


def _vocab_txt(folder: str, specials: list[str], pieces: list[str]) -> list[str]:
    vocab = specials + WORDS + pieces
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in vocab))
    return vocab


def bert_sst() -> None:
    """An older-style folder: BertForSequenceClassification saved with torch.save (pytorch_model.bin), a
    config.json without model_type, and only vocab.txt + tokenizer_config.json (WordPiece) for the text."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer
    folder = os.path.join(OUT, "bert-sst")
    os.makedirs(folder, exist_ok=True)
    vocab = _vocab_txt(folder, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], ["##s", "##ed", "##ing"])
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "model_max_length": 16, "tokenizer_class": "BertTokenizer"}, f, indent=1)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=16, type_vocab_size=2, pad_token_id=0,
                     num_labels=2, id2label={0: "negative", 1: "positive"}, label2id={"negative": 0, "positive": 1},
                     architectures=["BertForSequenceClassification"])
    torch.manual_seed(5)
    model = BertForSequenceClassification(_eager(cfg)).eval()
    torch.save(model.state_dict(), os.path.join(folder, "pytorch_model.bin"))
    cfg_dict = cfg.to_dict()
    cfg_dict.pop("model_type")                       # as configs written before transformers stored it
    cfg_dict.pop("_attn_implementation", None)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg_dict, f, indent=1)
    tok = BertTokenizer(os.path.join(folder, "vocab.txt"), do_lower_case=True)
    text = "The cats sat on the mat and the dog walked ."
    enc = tok(text)
    model = model.double()
    x = torch.tensor([enc["input_ids"]])
    with torch.no_grad():
        out = model(input_ids=x, output_attentions=True, output_hidden_states=True)
        pooled = model.bert(input_ids=x).pooler_output
    _save_run(folder, out, {"input_ids": np.array(enc["input_ids"]), "logits": _np(out.logits[0]),
                            "pooled": _np(pooled[0])})
    _ref_json(folder, text, tok.convert_ids_to_tokens(enc["input_ids"]), enc["input_ids"])


def bert_ner() -> None:
    """BertForTokenClassification (saved without a pooler, as transformers does), model.safetensors."""
    from transformers import BertConfig, BertForTokenClassification
    folder = os.path.join(OUT, "bert-ner")
    tok = _word_level(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], lowercase=True, template=True)
    labels = ["O", "B-ANIMAL", "I-ANIMAL", "B-PLACE"]
    cfg = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=16, type_vocab_size=2, pad_token_id=0,
                     num_labels=len(labels), id2label=dict(enumerate(labels)),
                     label2id={l: i for i, l in enumerate(labels)})
    torch.manual_seed(6)
    model = BertForTokenClassification(_eager(cfg)).eval()
    _save_folder(folder, model, tok)
    _text_run(folder, model, tok, "The dog ran in the park")


def gpt2_bpe() -> None:
    """GPT-2 as older folders hold it: a byte-level BPE as vocab.json + merges.txt (no tokenizer.json) and the
    weights as pytorch_model.bin shards listed in pytorch_model.bin.index.json."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer
    folder = os.path.join(OUT, "gpt2-bpe")
    os.makedirs(folder, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(["the dog ran in the park and the cat sat on the mat because it was tired"] * 4,
                            vocab_size=300, min_frequency=1, special_tokens=["<|endoftext|>"])
    bpe.save_model(folder)                           # vocab.json, merges.txt
    V = bpe.get_vocab_size()
    cfg = GPT2Config(vocab_size=V, n_embd=16, n_layer=2, n_head=2, n_positions=32, bos_token_id=0, eos_token_id=0)
    torch.manual_seed(7)
    model = GPT2LMHeadModel(_eager(cfg)).eval()
    state = {k: v for k, v in model.state_dict().items() if k != "lm_head.weight"}       # tied to wte, not stored
    shards = {"pytorch_model-00001-of-00002.bin": [k for k in state if not k.startswith("transformer.h.1.")],
              "pytorch_model-00002-of-00002.bin": [k for k in state if k.startswith("transformer.h.1.")]}
    for name, keys in shards.items():
        torch.save({k: state[k] for k in keys}, os.path.join(folder, name))
    with open(os.path.join(folder, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": sum(v.numel() * v.element_size() for v in state.values())},
                   "weight_map": {k: n for n, keys in shards.items() for k in keys}}, f, indent=1)
    cfg_dict = cfg.to_dict()
    cfg_dict.pop("_attn_implementation", None)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg_dict, f, indent=1)
    tok = GPT2Tokenizer(os.path.join(folder, "vocab.json"), os.path.join(folder, "merges.txt"))
    text = "the cat ran in the park because it was tired"
    ids = tok(text)["input_ids"]
    model = model.double()
    x = torch.tensor([ids])
    with torch.no_grad():
        out = model(input_ids=x, output_attentions=True, output_hidden_states=True)
    _save_run(folder, out, {"input_ids": np.array(ids), "logits": _np(out.logits[0])})
    _ref_json(folder, text, tok.convert_ids_to_tokens(ids), ids)


def _byte_level_roberta(folder: str):
    """A byte-level BPE with RoBERTa's specials and post-processor (<s> ... </s>; <mask> absorbs the space before it)."""
    from tokenizers import AddedToken, ByteLevelBPETokenizer
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(["the dog ran in the park and the cat sat on the mat because it was tired"] * 4,
                            vocab_size=300, min_frequency=1, special_tokens=specials)
    bpe.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True)])
    bpe.post_processor = processors.RobertaProcessing(("</s>", bpe.token_to_id("</s>")), ("<s>", bpe.token_to_id("<s>")))
    bpe.save(os.path.join(folder, "tokenizer.json"))
    return Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))


def roberta() -> None:
    """RobertaForMaskedLM (positions counted from padding_idx + 1, one token type, lm_head tied) with padding,
    and RobertaForSequenceClassification (classifier.dense + tanh + classifier.out_proj, no pooler)."""
    from transformers import RobertaConfig, RobertaForMaskedLM, RobertaForSequenceClassification
    for name, cls, seed, extra in (("roberta-tiny", RobertaForMaskedLM, 8, {}),
                                   ("roberta-sst", RobertaForSequenceClassification, 9,
                                    dict(num_labels=3, id2label={0: "negative", 1: "neutral", 2: "positive"},
                                         label2id={"negative": 0, "neutral": 1, "positive": 2}))):
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        tok = _byte_level_roberta(folder)
        cfg = RobertaConfig(vocab_size=tok.get_vocab_size(), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=32, max_position_embeddings=20, type_vocab_size=1, pad_token_id=1,
                            bos_token_id=0, eos_token_id=2, **extra)
        torch.manual_seed(seed)
        model = cls(_eager(cfg)).eval()
        model.save_pretrained(folder)
        _padded_run(folder, model, tok, "the cat sat on the <mask> because it was tired", pad=1)   # positions skip pads


def distilbert() -> None:
    """DistilBertForMaskedLM (no token types; vocab_transform, vocab_layer_norm, tied vocab_projector) and
    DistilBertForSequenceClassification (pre_classifier + ReLU + classifier)."""
    from transformers import DistilBertConfig, DistilBertForMaskedLM, DistilBertForSequenceClassification
    for name, cls, seed, extra in (("distilbert-tiny", DistilBertForMaskedLM, 10, {}),
                                   ("distilbert-sst", DistilBertForSequenceClassification, 11,
                                    dict(num_labels=2, id2label={0: "NEGATIVE", 1: "POSITIVE"},
                                         label2id={"NEGATIVE": 0, "POSITIVE": 1}))):
        folder = os.path.join(OUT, name)
        tok = _word_level(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], lowercase=True, template=True)
        cfg = DistilBertConfig(vocab_size=tok.get_vocab_size(), dim=16, n_layers=2, n_heads=2, hidden_dim=32,
                               max_position_embeddings=16, pad_token_id=0, **extra)
        torch.manual_seed(seed)
        model = cls(_eager(cfg)).eval()
        model.save_pretrained(folder)
        tok.save(os.path.join(folder, "tokenizer.json"))
        _padded_run(folder, model, tok, "The cat sat on the [MASK] because it was tired .", pad=0)


def electra() -> None:
    """ELECTRA with embedding_size 8 < hidden_size 16 (embeddings_project): the discriminator
    (ElectraForPreTraining: P(replaced) per token), the generator (ElectraForMaskedLM: its own LayerNorm'd
    head, decoder tied to the embeddings) and ElectraForSequenceClassification (dense -> gelu -> out_proj)."""
    from transformers import (ElectraConfig, ElectraForMaskedLM, ElectraForPreTraining,
                              ElectraForSequenceClassification)
    for name, cls, seed, extra in (("electra-disc", ElectraForPreTraining, 13, {}),
                                   ("electra-gen", ElectraForMaskedLM, 14, {}),
                                   ("electra-sst", ElectraForSequenceClassification, 15,
                                    dict(num_labels=2, id2label={0: "negative", 1: "positive"},
                                         label2id={"negative": 0, "positive": 1}))):
        folder = os.path.join(OUT, name)
        tok = _word_level(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], lowercase=True, template=True)
        cfg = ElectraConfig(vocab_size=tok.get_vocab_size(), embedding_size=8, hidden_size=16, num_hidden_layers=2,
                            num_attention_heads=2, intermediate_size=32, max_position_embeddings=16,
                            type_vocab_size=2, pad_token_id=0, **extra)
        torch.manual_seed(seed)
        model = cls(_eager(cfg)).eval()
        model.save_pretrained(folder)
        tok.save(os.path.join(folder, "tokenizer.json"))
        _padded_run(folder, model, tok, "The cat sat on the [MASK] because it was tired .", pad=0)


def encdec() -> None:
    """torch nn.Transformer (2 + 2 post-LN layers, d 8, 2 heads, d_ff 16, final norms) plus embeddings and a
    generator, written as the ``transformer-translate`` preset (nn.Transformer state_dict names), and its
    per-layer outputs, per-head self- and cross-attention weights and logits in float64 (torch_encdec.npz)."""
    import math
    torch.manual_seed(4)
    src_vocab = ["<pad>", "ich", "bin", "müde", "du", "bist", "die", "katze", "schläft"]
    tgt_vocab = ["<pad>", "<s>", "</s>", "i", "am", "tired", "you", "are", "the", "cat", "sleeps"]
    source, target = ["ich", "bin", "müde"], ["<s>", "i", "am", "tired"]
    d, H = 8, 2
    net = torch.nn.Transformer(d_model=d, nhead=H, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
                               dropout=0.0, batch_first=True).eval()
    src_e, tgt_e = torch.nn.Embedding(len(src_vocab), d), torch.nn.Embedding(len(tgt_vocab), d)
    gen = torch.nn.Linear(d, len(tgt_vocab))
    weights = {k: v.tolist() for k, v in net.state_dict().items()}
    weights.update({"src_embed.weight": src_e.weight.tolist(), "tgt_embed.weight": tgt_e.weight.tolist(),
                    "generator.weight": gen.weight.tolist(), "generator.bias": gen.bias.tolist()})
    preset = {"model": "transformer",
              "description": "An encoder-decoder Transformer (2 + 2 post-LN layers, d 8, 2 heads; torch-initialised, "
                             "untrained) on one translation pair: ich bin müde -> i am tired; the encoder output is "
                             "the decoder's memory.",
              "notes": "Made by tests/engines/refs/make_transformer_models.py (torch nn.Transformer state_dict names, "
                       "final LayerNorms included); the numbers are checked against torch in float64.",
              "weights": weights,
              "inputs": {"source_vocab": src_vocab, "target_vocab": tgt_vocab, "source": source, "target": target,
                         "heads": H}}
    with open(os.path.join(HERE, "..", "..", "..", "engines", "presets", "transformer-translate.json"), "w") as f:
        json.dump(preset, f, ensure_ascii=False)
        f.write("\n")
    net, src_e, tgt_e, gen = net.double(), src_e.double(), tgt_e.double(), gen.double()

    def pe(T):
        t = torch.arange(T, dtype=torch.float64)[:, None]
        w = 1.0 / torch.pow(10000.0, torch.arange(0, d, 2, dtype=torch.float64) / d)
        out = torch.zeros(T, d, dtype=torch.float64)
        out[:, 0::2], out[:, 1::2] = torch.sin(t * w), torch.cos(t * w)
        return out
    xs = src_e(torch.tensor([src_vocab.index(t) for t in source])) * math.sqrt(d) + pe(len(source))
    xt = tgt_e(torch.tensor([tgt_vocab.index(t) for t in target])) * math.sqrt(d) + pe(len(target))
    causal = net.generate_square_subsequent_mask(len(target), dtype=torch.float64)
    with torch.no_grad():
        enc_h, enc_a, x = [xs[None]], [], xs[None]
        for lay in net.encoder.layers:
            enc_a.append(lay.self_attn(x, x, x, need_weights=True, average_attn_weights=False)[1][0])
            x = lay(x)
            enc_h.append(x)
        memory = net.encoder.norm(x)
        dec_h, dec_a, dec_c, y = [xt[None]], [], [], xt[None]
        for lay in net.decoder.layers:
            dec_a.append(lay.self_attn(y, y, y, attn_mask=causal, need_weights=True, average_attn_weights=False)[1][0])
            h = lay.norm1(y + lay.self_attn(y, y, y, attn_mask=causal, need_weights=False)[0])
            dec_c.append(lay.multihead_attn(h, memory, memory, need_weights=True, average_attn_weights=False)[1][0])
            y = lay(y, memory, tgt_mask=causal)
            dec_h.append(y)
        logits = gen(net.decoder.norm(y))[0]
        full = net(xs[None], xt[None], tgt_mask=causal)          # the module's own forward agrees
        assert torch.allclose(gen(full)[0], logits, atol=1e-12)
    np.savez_compressed(os.path.join(HERE, "torch_encdec.npz"),
                        encoder_hidden_states=np.stack([_np(h[0]) for h in enc_h]), encoder_attentions=np.stack([_np(a) for a in enc_a]),
                        memory=_np(memory[0]), decoder_hidden_states=np.stack([_np(h[0]) for h in dec_h]),
                        decoder_attentions=np.stack([_np(a) for a in dec_a]), cross_attentions=np.stack([_np(a) for a in dec_c]),
                        logits=_np(logits))


def counts() -> None:
    from transformers import (BertConfig, BertModel, DistilBertConfig, DistilBertModel, ElectraConfig, ElectraModel,
                              GPT2Config, GPT2Model, RobertaConfig, RobertaModel, ViTConfig, ViTModel)
    n = lambda m: sum(p.numel() for p in m.parameters())
    with torch.device("meta"):
        res = {
            "bert-base (BertModel, with pooler)": n(BertModel(BertConfig())),
            "roberta-base (RobertaModel, with pooler)": n(RobertaModel(RobertaConfig(
                vocab_size=50265, max_position_embeddings=514, type_vocab_size=1))),
            "distilbert-base-uncased (DistilBertModel)": n(DistilBertModel(DistilBertConfig())),
            "electra-small-discriminator (ElectraModel)": n(ElectraModel(ElectraConfig(
                embedding_size=128, hidden_size=256, num_attention_heads=4, intermediate_size=1024))),
            "gpt2-small (GPT2Model)": n(GPT2Model(GPT2Config())),
            "vit-base-patch16-224 (ViTModel, with pooler)": n(ViTModel(ViTConfig())),
            "nn.Transformer base (d 512, 8 heads, 6+6 layers, d_ff 2048)": n(torch.nn.Transformer()),
            "nn.Transformer big (d 1024, 16 heads, 6+6 layers, d_ff 4096)": n(
                torch.nn.Transformer(d_model=1024, nhead=16, dim_feedforward=4096)),
        }
    with open(os.path.join(HERE, "hf", "param_counts.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    for fn in (bert, bert_pair, gpt2, gpt2_cls, vit, vit_pooler, bert_sst, bert_ner, gpt2_bpe, roberta, distilbert, electra, encdec, counts):
        if len(sys.argv) == 1 or fn.__name__ in sys.argv[1:]:
            fn()
