"""Make the whole-model presets ``engines/presets/tiny-bert/``, ``tiny-gpt2/`` and ``tiny-vit/``: model
folders in exactly the Hugging Face layout a user's folder has (config.json, model.safetensors,
tokenizer.json / preprocessor_config.json), written with numpy, ``safetensors`` and ``tokenizers``
only (no framework), plus ``gatelab-preset.json`` (description and default input).

    .venv/bin/python tests/engines/refs/make_whole_model_presets.py

The weights are seeded random numbers (std 0.3, so heads differ visibly), except one designed head:
tiny-gpt2's layer 1 head 1 attends to the previous token. Its position embeddings are one-hot in the
first 16 of 32 dimensions (scaled by 4), its word embeddings live in the other 16, and that head's
W_k reads the position one-hot while W_q maps position t to position t - 1, so q_t . k_s peaks at
s = t - 1. The tests check that it does (and that every preset runs).
"""
from __future__ import annotations

import json
import os

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PRESETS = os.path.join(ROOT, "engines", "presets")
WORDS = ("the a cat dog sat ran on in mat park it was tired because and , . "
         "big small red sun moon sky tree bird").split()


def _tok(specials: list[str], bert: bool) -> Tokenizer:
    vocab = {t: i for i, t in enumerate(specials + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]" if bert else specials[0]))
    if bert:
        tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens(specials)
    if bert:
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    return tok


def _write(name: str, config: dict, tensors: dict, doc: dict, tok: Tokenizer | None = None, extra=None) -> None:
    d = os.path.join(PRESETS, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()},
              os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
    if tok is not None:
        tok.save(os.path.join(d, "tokenizer.json"))
    for fname, content in (extra or {}).items():
        with open(os.path.join(d, fname), "w") as f:
            json.dump(content, f, indent=2, sort_keys=True)
            f.write("\n")
    with open(os.path.join(d, "gatelab-preset.json"), "w") as f:
        json.dump({"model": "transformer", **doc}, f, indent=2)
        f.write("\n")


def _layer_bert_like(rng, pre: str, d: int, f: int, vit: bool, s: float = 0.3) -> dict:
    r = lambda *shape: rng.normal(0, s, size=shape)
    a = "attention.attention." if vit else "attention.self."
    out = {f"{pre}{a}{n}.weight": r(d, d) for n in ("query", "key", "value")}
    out.update({f"{pre}{a}{n}.bias": r(d) * 0.3 for n in ("query", "key", "value")})
    out.update({f"{pre}attention.output.dense.weight": r(d, d), f"{pre}attention.output.dense.bias": r(d) * 0.3,
                f"{pre}intermediate.dense.weight": r(f, d), f"{pre}intermediate.dense.bias": r(f) * 0.3,
                f"{pre}output.dense.weight": r(d, f), f"{pre}output.dense.bias": r(d) * 0.3})
    norms = ("layernorm_before", "layernorm_after") if vit else ("attention.output.LayerNorm", "output.LayerNorm")
    for n in norms:
        out[f"{pre}{n}.weight"] = 1 + 0.1 * r(d)
        out[f"{pre}{n}.bias"] = 0.1 * r(d)
    return out


def tiny_bert() -> None:
    rng = np.random.default_rng(11)
    tok = _tok(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], bert=True)
    V, d, f, L, P = tok.get_vocab_size(), 16, 32, 2, 16
    cfg = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "vocab_size": V, "hidden_size": d,
           "num_hidden_layers": L, "num_attention_heads": 2, "intermediate_size": f, "hidden_act": "gelu",
           "max_position_embeddings": P, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": 0}
    r = lambda *shape: rng.normal(0, 0.3, size=shape)
    t = {"bert.embeddings.word_embeddings.weight": r(V, d) * 3, "bert.embeddings.position_embeddings.weight": r(P, d),
         "bert.embeddings.token_type_embeddings.weight": r(2, d) * 0.3,
         "bert.embeddings.LayerNorm.weight": np.ones(d), "bert.embeddings.LayerNorm.bias": np.zeros(d),
         "cls.predictions.transform.dense.weight": r(d, d), "cls.predictions.transform.dense.bias": r(d) * 0.3,
         "cls.predictions.transform.LayerNorm.weight": np.ones(d), "cls.predictions.transform.LayerNorm.bias": np.zeros(d),
         "cls.predictions.bias": np.zeros(V)}
    for i in range(L):
        t.update(_layer_bert_like(rng, f"bert.encoder.layer.{i}.", d, f, vit=False))
    _write("tiny-bert", cfg, t, {"description": "A tiny BERT (2 layers, 2 heads, d 16; seeded random weights) on a "
                                                "sentence with [MASK]: post-LN layers, attention and masked-LM top-5.",
                                 "inputs": {"text": "The cat sat on the [MASK] because it was tired ."}}, tok)


def tiny_gpt2() -> None:
    rng = np.random.default_rng(12)
    tok = _tok(["<|endoftext|>"], bert=False)
    V, d, L, P, H = tok.get_vocab_size(), 32, 2, 16, 2
    dk, f = d // H, 4 * d
    cfg = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": V, "n_embd": d, "n_layer": L,
           "n_head": H, "n_positions": P, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
           "bos_token_id": 0, "eos_token_id": 0}
    r = lambda *shape: rng.normal(0, 0.3, size=shape)
    wte = np.zeros((V, d))
    wte[:, P:] = rng.normal(0, 1.0, size=(V, d - P))           # words in dimensions 16..31
    wpe = np.zeros((P, d))
    wpe[:, :P] = 4.0 * np.eye(P)                                # positions one-hot in dimensions 0..15
    t = {"transformer.wte.weight": wte, "transformer.wpe.weight": wpe,
         "transformer.ln_f.weight": np.ones(d), "transformer.ln_f.bias": np.zeros(d)}
    for i in range(L):
        h = f"transformer.h.{i}."
        W = r(d, 3 * d)                                         # Conv1D: [in, out] = [d, q | k | v]
        if i == 0:                                              # head 1 (columns 0..15 of q and of k)
            W[:, :dk] = 0.0
            W[:, d:d + dk] = 0.0
            for p in range(1, P):
                W[p, p - 1] = 3.0                               # q_t reads position t, points at t - 1
            W[:P, d:d + dk] = 3.0 * np.eye(P)                   # k_s = position s
        t.update({h + "attn.c_attn.weight": W, h + "attn.c_attn.bias": np.zeros(3 * d),
                  h + "attn.c_proj.weight": r(d, d), h + "attn.c_proj.bias": r(d) * 0.1,
                  h + "mlp.c_fc.weight": r(d, f), h + "mlp.c_fc.bias": r(f) * 0.1,
                  h + "mlp.c_proj.weight": r(f, d), h + "mlp.c_proj.bias": r(d) * 0.1,
                  h + "ln_1.weight": np.ones(d), h + "ln_1.bias": np.zeros(d),
                  h + "ln_2.weight": np.ones(d), h + "ln_2.bias": np.zeros(d)})
    _write("tiny-gpt2", cfg, t, {"description": "A tiny GPT-2 (2 layers, 2 heads, d 32; seeded random weights, layer 1 "
                                                "head 1 built to attend to the previous token): pre-LN, causal, next-token top-5.",
                                 "inputs": {"text": "the cat sat on the mat because it was tired"},
                                 "options": {"generate": 3}}, tok)


def tiny_vit() -> None:
    from PIL import Image
    rng = np.random.default_rng(13)
    d, f, L, p, C, side = 16, 32, 2, 4, 3, 12
    N = (side // p) ** 2
    cfg = {"architectures": ["ViTForImageClassification"], "model_type": "vit", "hidden_size": d,
           "num_hidden_layers": L, "num_attention_heads": 2, "intermediate_size": f, "hidden_act": "gelu",
           "image_size": side, "patch_size": p, "num_channels": C, "layer_norm_eps": 1e-12, "qkv_bias": True,
           "id2label": {"0": "sun", "1": "sky", "2": "tree"}, "label2id": {"sun": 0, "sky": 1, "tree": 2}}
    r = lambda *shape: rng.normal(0, 0.3, size=shape)
    t = {"vit.embeddings.cls_token": r(1, 1, d), "vit.embeddings.position_embeddings": r(1, N + 1, d),
         "vit.embeddings.patch_embeddings.projection.weight": r(d, C, p, p),
         "vit.embeddings.patch_embeddings.projection.bias": r(d) * 0.1,
         "vit.layernorm.weight": np.ones(d), "vit.layernorm.bias": np.zeros(d),
         "classifier.weight": r(3, d), "classifier.bias": np.zeros(3)}
    for i in range(L):
        t.update(_layer_bert_like(rng, f"vit.encoder.layer.{i}.", d, f, vit=True))
    pre = {"do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
           "image_std": [0.5, 0.5, 0.5], "image_processor_type": "ViTImageProcessor", "resample": 2,
           "rescale_factor": 1 / 255, "size": {"height": side, "width": side}}
    _write("tiny-vit", cfg, t, {"description": "A tiny ViT (12x12 image, 4x4 patches, 2 layers, 2 heads; seeded random "
                                               "weights): patches, [class] token, pre-LN, class top-3.",
                                "inputs": {"image": "image.png"}}, None, {"preprocessor_config.json": pre})
    yy, xx = np.mgrid[0:side, 0:side]
    img = np.zeros((side, side, 3), dtype=np.uint8)
    img[..., 2] = 200                                            # a blue sky
    img[(yy - 3) ** 2 + (xx - 8) ** 2 <= 5] = (250, 210, 40)     # a sun
    img[yy >= 9] = (40, 150, 60)                                 # grass
    Image.fromarray(img, "RGB").save(os.path.join(PRESETS, "tiny-vit", "image.png"))


if __name__ == "__main__":
    tiny_bert()
    tiny_gpt2()
    tiny_vit()
