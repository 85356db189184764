"""Generate the seq2seq-translate preset (random-but-seeded weights, rounded to 3 decimals).

    .venv/bin/python tests/engines/refs/make_seq2seq_presets.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
from gatelab.engines.seq2seq import random_weights  # noqa: E402

OUT = ROOT / "engines" / "presets"


def main() -> None:
    rng = np.random.default_rng(2014)
    src_vocab = ["<unk>", "je", "suis", "étudiant", "elle", "est"]
    tgt_vocab = ["<s>", "</s>", "I", "am", "a", "student", "she", "is"]
    w = random_weights(rng, src_vocab, tgt_vocab, e=3, H=2, Hd=4, A=3, scale=1.5, digits=3, attn_scale=6.0)
    doc = {
        "model": "seq2seq",
        "description": "je suis étudiant -> I am a student: GRU encoder-decoder, Bahdanau attention, random seeded weights",
        "options": {"cell": "gru", "attention": "bahdanau", "decode": "teacher"},
        "notes": ("UNTRAINED: weights drawn with numpy default_rng(2014) by tests/engines/refs/make_seq2seq_presets.py "
                  "(scale 1.5/sqrt(fan-in), attention weights 6/sqrt(fan-in) so the alignments are not flat, 3 decimals), so predictions and alignments show the mechanics, not a "
                  "translation. Embedding 3, encoder hidden 2 per direction (annotations 4), decoder hidden 4, "
                  "attention width 3. Weights for rnn/gru/lstm cells and for every attention mode are all present."),
        "weights": w,
        "inputs": {"source": ["je", "suis", "étudiant"], "target": ["I", "am", "a", "student", "</s>"]},
    }
    (OUT / "seq2seq-translate.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("wrote", OUT / "seq2seq-translate.json")


if __name__ == "__main__":
    main()
