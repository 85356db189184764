"""Views of whole Transformer models (attention-heads, transformer-model, vit-patches, self-attention --layer):
golden DOT of a small model view, every drawn number against the trace record it shows, determinism,
metadata, and one-line errors for bad --layer/--head/--query. Traces are the shipped tiny presets."""
from __future__ import annotations

import dataclasses
import os
import re

import numpy as np
import pytest

from gatelab.diagrams import api, attention_heads
from gatelab.diagrams._draw import Style
from gatelab.engines import registry
from gatelab.engines.registry import Source
from gatelab.style import fmt
from cli_helpers import one_line_error

from _diagram_helpers import SVG_NS, check_golden, metadata, parse_svg, svg_texts

XLINK = "{http://www.w3.org/1999/xlink}"


def _cells(root) -> dict[str, str]:
    """{cell id: tooltip} of the heatmap cells (graphviz writes a cell's ID on its <g> and TOOLTIP as xlink:title)."""
    out = {}
    for g in root.iter(f"{{{SVG_NS}}}g"):
        if re.fullmatch(r"a_L\d+H\d+_\d+_\d+", g.get("id") or ""):
            out[g.get("id")[2:]] = g.find(f"{{{SVG_NS}}}a").get(f"{XLINK}title")
    return out


TINY = Source(preset="tiny-gpt2")
REFS = os.path.join(os.path.dirname(__file__), "..", "engines", "refs", "hf")


@pytest.fixture(scope="module")
def gpt2():
    return registry.compute("transformer", Source(preset="tiny-gpt2"))


def test_attention_heads_golden():
    check_golden("attention-heads", api.build("attention-heads", source=TINY)[0].source)
    check_golden("transformer-model-bert", api.build("transformer-model", source=Source(preset="tiny-bert"))[0].source)


def test_attention_heads_cells_are_the_trace(tmp_path, gpt2):
    p = tmp_path / "h.svg"
    api.render("attention-heads", source=TINY, output=str(p))
    root = parse_svg(p)
    A = np.stack([lay.attention for lay in gpt2.trace.layers])            # [L, H, T, T]
    L, H, T, _ = A.shape
    cells = _cells(root)
    assert len(cells) == L * H * T * T
    for (l, h, i, j), a in np.ndenumerate(A):
        tip = cells[f"L{l + 1}H{h + 1}_{i}_{j}"]
        assert tip.startswith(f"layer {l + 1} head {h + 1}: {gpt2.trace.tokens[i]} -> {gpt2.trace.tokens[j]} = ")
        assert float(tip.rsplit("= ", 1)[1]) == pytest.approx(a, rel=1e-5, abs=1e-12)
    texts = svg_texts(root)
    printed = [t for t in texts if re.fullmatch(r"[0-9.e+-]+", t.strip())]
    assert sorted(printed) == sorted([fmt(float(a), 2) for a in A.ravel()] + ["0", "0.25", "0.5", "0.75", "1"])
    for e in np.asarray(gpt2.trace.entropy).ravel():                        # per-head entropy under each head
        assert f"{fmt(float(e), 3)} bits" in texts
    meta = metadata(root)
    assert meta["preset"] == "tiny-gpt2" and meta["diagram"] == "attention-heads"
    assert meta["trace-sha256"] == gpt2.trace.digest()


def test_attention_heads_deterministic(tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    api.render("attention-heads", source=TINY, output=str(a), options={"query": "it"})
    api.render("attention-heads", source=TINY, output=str(b), options={"query": "it"})
    assert a.read_bytes() == b.read_bytes()


def test_query_strips_and_strongest_key(tmp_path, gpt2):
    p = tmp_path / "q.svg"
    api.render("attention-heads", source=TINY, output=str(p), options={"query": "it"})
    root = parse_svg(p)
    i = gpt2.trace.tokens.index("it")
    cells = _cells(root)
    assert {k.split("_")[1] for k in cells} == {str(i)}                     # only the query's row
    texts = svg_texts(root)
    toks = gpt2.trace.tokens
    for l, lay in enumerate(gpt2.trace.layers):
        for h in range(lay.attention.shape[0]):
            j = int(gpt2.trace.strongest_key[l, h, i])
            assert f"\u2192 {toks[j]} {fmt(float(lay.attention[h, i, j]))}" in texts
    assert any(f"query 'it' (position {i})" in t for t in texts)


def test_named_heads_are_labelled(gpt2):
    tr = dataclasses.replace(gpt2.trace, head_labels={"L1H1": "previous token", "L2H2": "induction"})
    c = dataclasses.replace(gpt2, trace=tr)
    dot = attention_heads.build(c, style=Style(), opts={}).source
    assert dot.count("previous token") == 1 and dot.count("induction") == 1
    plain = attention_heads.build(gpt2, style=Style(), opts={}).source
    assert "previous token" not in plain


def test_chosen_head_is_framed():
    dot = api.build("attention-heads", source=TINY, options={"layer": 2, "head": 1})[0].source
    assert dot.count("(chosen)") == 1
    grid = dot.split("layer 2", 1)[1]                # the chosen head is in layer 2's row, its first head
    assert grid.index("(chosen)") < grid.index(">H2<")


def test_transformer_model_numbers(tmp_path, gpt2):
    p = tmp_path / "m.svg"
    api.render("transformer-model", output=str(p))
    text = " ".join(svg_texts(parse_svg(p)))
    cfg = gpt2.trace.config
    assert f"pre-LN: {cfg['layers']} layers, d_model = {cfg['d_model']}, {cfg['heads']} heads" in text
    assert f"d_ff = {cfg['d_ff']}" in text and f"{cfg['parameters']:,} parameters" in text
    assert f"\u00d7 {cfg['layers']}" in text
    for part in ("embeddings", "layers", "final LayerNorm"):
        assert f"{cfg['parameter_parts'][part]:,} parameters" in text
    pr = gpt2.trace.predictions[0]
    assert f"\u201c{pr.top[0]}\u201d {fmt(float(pr.probs[0]))}" in text
    assert "causal mask" in text


def _edges(dot: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+)(?::e)? -> (\w+)", dot, flags=re.M)


def test_layer_norm_drawn_where_the_model_has_it():
    pre = _edges(api.build("transformer-model")[0].source)
    post_dot = api.build("transformer-model", source=Source(preset="tiny-bert"))[0].source
    post = _edges(post_dot)
    assert ("block_in", "ln1") in pre and ("ln1", "mha") in pre and ("block_out", "final_ln") in pre
    assert ("block_in", "mha") in post and ("add1", "ln1") in post and ("add2", "ln2") in post
    assert "final_ln" not in post_dot and "post-LN" in post_dot and "then LayerNorm" in post_dot


def test_edges_out_of_the_repeated_block_start_at_its_box():
    """The block's title sits at the top of its box: the edge onwards starts at the box, not at x^l inside it."""
    for dot in (api.build("transformer-model")[0].source,
                api.build("transformer-model", source=Source(preset="tiny-bert"))[0].source):
        assert "compound=true" in dot
        out = re.findall(r"^\s*block_out -> (\w+) \[(.*)\]$", dot, flags=re.M)
        assert out and all("ltail=cluster_block" in attrs for _, attrs in out)


def test_vit_pooler_is_drawn_as_the_checkpoint_has_it(tmp_path):
    folder = os.path.join(REFS, "vit-pooler")               # ViTModel: ReLU pooler 16 -> 12, no classifier
    p = tmp_path / "v.svg"
    api.render("transformer-model", source=Source(weights=folder), options={"image": os.path.join(folder, "image.png")},
               output=str(p))
    text = " ".join(svg_texts(parse_svg(p)))
    assert "pooler.dense on the [class] token: relu(LN_f(x^L)[0] W + b) [12]" in text
    assert "classifier" not in text and "pooler: 204 parameters" in text


def test_vit_patches_numbers(tmp_path):
    vit = registry.compute("transformer", Source(preset="tiny-vit"))
    p = tmp_path / "v.svg"
    api.render("vit-patches", output=str(p))
    root = parse_svg(p)
    texts = svg_texts(root)
    tips = [a.get(f"{XLINK}title") for a in root.iter(f"{{{SVG_NS}}}a") if (a.get(f"{XLINK}title") or "").startswith("patch")]
    last = vit.trace.layers[-1].attention
    expected = [w for h in range(last.shape[0]) for w in last[h, 0, 1:]] + list(vit.trace.rollout[0, 1:])
    assert [float(t.rsplit(": ", 1)[1]) for t in tips] == pytest.approx(expected, rel=1e-5)
    assert [t for t in texts if re.fullmatch(r"[0-9.e+-]+", t)] == [fmt(float(w)) for w in expected]
    gr, gc = vit.trace.grid
    assert f"{gr} x {gc} patches" in texts and f"of {vit.trace.patch_size} x {vit.trace.patch_size} px" in texts
    assert metadata(root)["preset"] == "tiny-vit"


def test_self_attention_one_layer_of_a_model(tmp_path, gpt2):
    p = tmp_path / "s.svg"
    api.render("self-attention", source=Source(preset="tiny-gpt2"), output=str(p), options={"layer": 2, "head": 2})
    texts = svg_texts(parse_svg(p))
    assert any("layer 2 (head 2 of 2)" in t for t in texts)
    w = gpt2.trace.layers[1].attention[1]
    T = w.shape[0]
    nums = [t for t in texts[texts.index("weights \u03b1 (rows: queries)"):] if re.fullmatch(r"[0-9.e+-]+", t)]
    assert nums == [fmt(float(w[i, j])) for i in range(T) for j in range(i + 1)]     # causal: j <= i drawn
    assert sum(t == "\u00d7 causal" for t in texts) == T * (T - 1) // 2


@pytest.mark.parametrize("args, needles", [
    (("self-attention", "--layer", "0"), ("--layer 0 is out of range", "1..2")),
    (("self-attention", "--layer", "3"), ("--layer 3 is out of range",)),
    (("self-attention", "--layer", "1", "--head", "7"), ("--head 7 is out of range",)),
    (("attention-heads", "--query", "dog"), ("--query 'dog'", "nor a position")),
    (("attention-heads", "--query", "42"), ("--query '42'",)),
    (("attention-heads", "--layer", "1", "--head", "9"), ("--head is 9",)),
    (("vit-patches", "--preset", "tiny-gpt2"), ("ViT",)),
    (("transformer-model", "--preset", "exam-rnn"), ("exam-rnn",)),
])
def test_bad_view_options_are_one_line_errors(run_cli, tmp_path, args, needles):
    out = tmp_path / "x.svg"
    one_line_error(run_cli("diagram", *args, "-o", out), *needles)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_layer_option_needs_a_model():
    with pytest.raises(Exception, match="not 'transformer'"):
        api.build("self-attention", source=Source(preset="causal-self-attention"), options={"layer": 1})


def test_large_model_view_merges_only_equal_colours(monkeypatch, gpt2):
    """Above the tooltip budget a row's neighbouring cells of one displayed colour become one cell: expanded again
    (COLSPAN), every cell's colour is still the colour of its own weight."""
    monkeypatch.setattr(attention_heads, "TOOLTIP_CELLS", 0)
    monkeypatch.setattr(attention_heads, "NUMBERS_MAX_T", 0)
    st = Style()
    dot = attention_heads.build(gpt2, style=st, opts={}).source
    lut = attention_heads._lut(st)
    A = np.stack([lay.attention for lay in gpt2.trace.layers])
    L, H, T, _ = A.shape
    rows = re.findall(r"<TR>((?:<TD(?: COLSPAN=\"\d+\")? WIDTH[^>]*BGCOLOR=\"#[0-9A-F]{6}\"></TD>)+)</TR>", dot)
    assert len(rows) == L * H * T
    for k, row in enumerate(rows):
        l, h, i = k // (H * T), (k // T) % H, k % T
        colours = []
        for span, colour in re.findall(r"<TD(?: COLSPAN=\"(\d+)\")? WIDTH[^>]*BGCOLOR=\"(#[0-9A-F]{6})\">", row):
            colours += [colour] * int(span or 1)
        assert colours == [lut[int(np.clip(np.rint(a * 255), 0, 255))] for a in A[l, h, i]]
    assert dot.count("COLSPAN") > 0 and "TOOLTIP" not in dot


def test_encoder_decoder_model_view(tmp_path):
    """An encoder-decoder draws its encoder's self-attention, the decoder's masked self-attention and the
    cross-attention (target rows, source columns), every cell the trace's."""
    ed = registry.compute("transformer", Source(preset="transformer-translate"))
    p = tmp_path / "ed.svg"
    api.render("attention-heads", source=Source(preset="transformer-translate"), output=str(p))
    root = parse_svg(p)
    tips = {}
    for g in root.iter(f"{{{SVG_NS}}}g"):
        m = re.fullmatch(r"a_([EX]?)L(\d+)H(\d+)_(\d+)_(\d+)", g.get("id") or "")
        if m:
            tips[(m.group(1), *map(int, m.groups()[1:]))] = g.find(f"{{{SVG_NS}}}a").get(f"{XLINK}title")
    src, tgt = ed.trace.source_tokens, ed.trace.tokens
    groups = {"E": ([lay.attention for lay in ed.trace.encoder_layers], src, src),
              "": ([lay.attention for lay in ed.trace.layers], tgt, tgt),
              "X": ([lay.cross_attention for lay in ed.trace.layers], tgt, src)}
    n = 0
    for key, (mats, qt, kt) in groups.items():
        for (l, h, i, j), a in np.ndenumerate(np.stack(mats)):
            tip = tips[(key, l + 1, h + 1, i, j)]
            assert tip.startswith(f"layer {l + 1} head {h + 1}: {qt[i]} -> {kt[j]} = ")
            assert float(tip.rsplit("= ", 1)[1]) == pytest.approx(a, rel=1e-5, abs=1e-12)
            n += 1
    assert n == len(tips)
    texts = " ".join(svg_texts(root))
    assert "columns the source tokens " + " ".join(src) in texts


def test_encoder_decoder_architecture():
    ed = registry.compute("transformer", Source(preset="transformer-translate"))
    dot = api.build("transformer-model", source=Source(preset="transformer-translate"))[0].source
    edges = _edges(dot)
    cfg = ed.trace.config
    assert ("enc_final_ln", "dec_cross") in edges                       # the encoder output is the memory
    assert ("dec_add1", "dec_ln1") in edges and ("dec_ln1", "dec_cross") in edges and ("dec_lnc", "dec_ffn") in edges
    assert "enc_cross" not in dot and "masked multi-head self-attention" in dot
    assert f"\u00d7 {cfg['encoder_layers']}" in dot and f"{cfg['parameter_parts']['decoder layers']:,} parameters" in dot
    assert " ".join(ed.trace.source_tokens) in dot


def test_self_attention_decoder_layer_is_causal():
    dot = api.build("self-attention", source=Source(preset="transformer-translate"), options={"layer": 1})[0].source
    T = len(registry.compute("transformer", Source(preset="transformer-translate")).trace.tokens)
    assert dot.count("\u00d7 causal") == 2 * T * (T - 1) // 2 + 1          # both heads' upper triangles, the legend


def test_hostile_tokens_stay_text(tmp_path, gpt2):
    """Token strings come from a user's tokenizer: markup, quotes and DOT syntax must come out as text."""
    from gatelab.diagrams import export, transformer_model
    hostile = ['<script>x</script>', '"]; a [label=', "</TD></TR></TABLE>>", "a & b", "\\N"]
    toks = tuple(hostile[i % len(hostile)] + str(i) for i in range(len(gpt2.trace.tokens)))
    c = dataclasses.replace(gpt2, trace=dataclasses.replace(gpt2.trace, tokens=toks))
    for k, mod in enumerate((attention_heads, transformer_model)):
        p = tmp_path / f"h{k}.svg"
        export.export(mod.build(c, style=Style(), opts={}), str(p), "svg")
        text = " ".join(svg_texts(parse_svg(p)))
        assert "<script>x</script>0" in text and "\\N4" in text


def test_the_head_view_of_a_whole_model_defaults_to_the_trained_heads_and_names_them(tmp_path):
    """With --layer and no source, the head view draws the induction-heads model; a head whose held-out
    score clears its bar carries its job in its panel title, from the trace's head_labels."""
    from gatelab.engines import registry

    labels = registry.compute("transformer", Source(preset="induction-heads"), {}).trace.head_labels
    assert labels, "the shipped induction-heads model names its heads"
    for key, job in labels.items():
        layer, head = (int(n) for n in key[1:].split("H"))
        p = tmp_path / f"{key}.svg"
        api.render("self-attention", output=str(p), options={"layer": layer})
        texts = svg_texts(parse_svg(p))
        assert "preset induction-heads" in " ".join(texts)
        assert f"head {head}: {job}" in texts
        assert sum(": " in t and t.startswith("head ") for t in texts) == 1    # only the named head


def test_byte_level_tokens_are_shown_as_text():
    from gatelab.diagrams import _model as M
    from gatelab.engines import transformer_whole as tw
    from pathlib import Path
    hf = Path(__file__).resolve().parents[1] / "engines" / "refs" / "hf"
    tr = tw.build_folder(str(hf / "gpt2-bpe"), text="the cat ran in the park")
    assert any(t.startswith("\u0120") for t in tr.tokens)                # the trace keeps the tokenizer's tokens
    shown = M.tokens(tr)
    assert shown[:3] == ["the", "cat", "ran"] and not any("\u0120" in t for t in shown)
    assert M._readable("\u00c3\u00a9t") == "\u00e9t" and M._readable("\u0120") == "\u2423"
    assert M._readable("<|endoftext|>") == "<|endoftext|>" and M._readable("##s") == "##s"
    bert = tw.build_folder(str(hf / "bert-tiny"), text="the cat sat")
    assert M.tokens(bert) == list(bert.tokens)                           # WordPiece tokens are left alone
