"""The diagram catalogue: names, one-line summaries, CLI options and the traces each draws.

Importing this module must stay cheap (no graphviz import): ``gatelab list`` and
the CLI's option parsing read it.

Each entry names the module holding its builder ``attr(computed, *, style, opts) ->
graphviz.Digraph``. ``computed`` is one ``registry.Computed`` of ``model`` (default example
``preset``), or, for an entry with ``needs``, a dict ``{label: Computed}`` of the traces its
``needs(engine_options, diagram_options)`` declares. The registry computes them; builders
only draw.
"""
from __future__ import annotations

from gatelab.engines.catalogue import Catalogue, Entry, Need, OptionSpec
from gatelab.engines.errors import InputError


# Diagram-specific options (engine options from engines.registry.OPTIONS are accepted too).
OPTIONS: dict[str, OptionSpec] = {
    "step": OptionSpec(int, "Which time step t (1-based) a cell diagram shows the values of (default: the last)."),
    "layout": OptionSpec(("many-to-many", "many-to-one", "one-to-many"), "RNN diagram layout: which outputs (and inputs) are drawn."),
    "rolled": OptionSpec(bool, "Also draw the rolled (folded) form beside the unfolded one."),
    "query": OptionSpec(str, "attention-walkthrough: which query position i (1-based), or query token, to follow (default 1)."),
    "compare": OptionSpec(bool, "bptt: draw an Elman RNN and an LSTM side by side (vanishing vs kept gradient)."),
    "side_by_side": OptionSpec(bool, "seq2seq diagrams: the same weights without and with attention in one figure; char-rnn: teacher forcing above free running."),
    "top_k": OptionSpec(int, "self-attention: draw only the K strongest keys per query."),
    "head": OptionSpec(int, "self-attention: draw head H (1-based) of a multi-head trace (default: every head)."),
    "layer": OptionSpec(int, "self-attention on a whole model: the layer L (1-based) whose heads are drawn (default 1)."),
    "example": OptionSpec(int, "highway: which example vector b (1-based) to draw the values of (default 1)."),
    "max_steps": OptionSpec(int, "Unfolded diagrams: draw at most this many steps, eliding the middle (default 8)."),
    "word": OptionSpec(str, "embedding-lookup: the word whose one-hot vector selects a row of V (default: the first grouped word)."),
}

DIAGRAMS = Catalogue("diagram", OPTIONS)


# --------------------------------------------------------------------------- traces of the figures

def _lstm_cell(source, eo: dict, vo: dict) -> dict[str, Need]:
    """--variant peephole (or peephole-full) with no weights given draws the shipped example."""
    preset = {"peephole": "lstm-peephole", "peephole-full": "lstm-peephole-full"}.get(eo.get("variant"))
    return {"": Need("lstm", preset=preset)}


def _stacked(source, eo: dict, vo: dict) -> dict[str, Need]:
    return {"": Need("lstm", preset="lstm-stacked", seeded={"layers": 2})}


def _bidirectional(source, eo: dict, vo: dict) -> dict[str, Need]:
    return {"": Need("lstm", preset="lstm-bidirectional", seeded={"bidirectional": True})}


def _self_attention(source, eo: dict, vo: dict) -> dict[str, Need]:
    """A multi-head trace by default; a single-head one when the source is for ``attention``; one layer of a
    whole Transformer with ``--layer L`` or a model folder."""
    import os
    if vo.get("layer") is not None or (source.weights is not None and os.path.isdir(str(source.weights))):
        return {"": Need(MODEL, preset=HEADS_PRESET)}
    return {"": Need(("multihead", "attention"))}


def _with_attention(eo: dict) -> str:
    return eo["attention"] if eo.get("attention") not in (None, "none") else "bahdanau"


def _seq2seq_fixed(source, eo: dict, vo: dict) -> dict[str, Need]:
    needs = {"fixed": Need("seq2seq", force={"attention": "none"})}
    if vo.get("side_by_side"):
        needs["attention"] = Need("seq2seq", force={"attention": _with_attention(eo)})
    return needs


def _seq2seq_attention(source, eo: dict, vo: dict) -> dict[str, Need]:
    """With no weights given: the trained seq2seq-reverse model (GRU + Bahdanau), whose alignment
    means something; other cells or scores fall back to the model's default example."""
    if eo.get("attention") == "none":
        raise InputError("seq2seq-attention needs --attention bahdanau or luong (for a fixed context use the seq2seq diagram)")
    trained = eo.get("cell") in (None, "gru") and eo.get("attention") in (None, "bahdanau") \
        and eo.get("score") in (None, "additive")
    needs = {"attention": Need("seq2seq", preset="seq2seq-reverse" if trained else None)}
    if vo.get("side_by_side"):
        needs = {"fixed": Need("seq2seq", preset=needs["attention"].preset, force={"attention": "none"}), **needs}
    return needs


def _transformer(source, eo: dict, vo: dict) -> dict[str, Need]:
    if eo.get("block"):
        return {eo["block"]: Need("transformer")}
    return {b: Need("transformer", force={"block": b}) for b in ("encoder", "decoder")}


def _bptt(source, eo: dict, vo: dict) -> dict[str, Need]:
    """One trace (an RNN or an LSTM, whichever the source is for) or, with --compare, one of each."""
    if not vo.get("compare"):
        return {"": Need(("rnn", "lstm"), preset="vanishing-rnn")}
    if source.weights or source.inputs:
        raise InputError("--compare runs the shipped presets or --seed N; it does not take --weights/--inputs")
    if source.preset:
        raise InputError("--compare uses presets vanishing-rnn and lstm-3step (or --seed N for both); drop --preset")
    return {"rnn": Need("rnn", preset="vanishing-rnn"), "lstm": Need("lstm", preset="lstm-3step")}


def _d(name: str, summary: str, module: str, options: tuple[str, ...] = (), *, model: str = "",
       builder: str = "build", needs=None) -> Entry:
    return Entry("diagram", name, summary, module, builder, options, model=model, needs=needs)


DIAGRAMS.add(
    _d("lstm-unfolded", "The LSTM unfolded over T steps predicting y: cell-state highway on top, "
                "hidden state below, f/i/g/o/c/h values in every step (the flagship).",
                "gatelab.diagrams.lstm", ("max_steps",), model="lstm", builder="build_unfolded"),
    _d("lstm-cell", "One LSTM cell's internals in colah's layout (sigma, sigma, tanh, sigma; x and +; the "
                "C highway) with the values of step --step t; --variant peephole draws the peepholes.",
                "gatelab.diagrams.lstm", ("step",), model="lstm", builder="build_cell", needs=_lstm_cell),
    _d("lstm-stacked", "A stacked LSTM on a grid: time left to right, layers bottom to top, h and c of every "
                "run (default preset lstm-stacked; --seed N --layers L for random weights).",
                "gatelab.diagrams.lstm_stack", (), model="lstm", needs=_stacked),
    _d("lstm-bidirectional", "A bidirectional LSTM: forward and backward runs and the concatenated outputs "
                "[h_fwd_t, h_bwd_t] (default preset lstm-bidirectional).",
                "gatelab.diagrams.lstm_stack", (), model="lstm", needs=_bidirectional),
    _d("rnn-unfolded", "Elman RNN unfolded over T steps (x_t, h_t, y_t; U, W, V on the edges); --layout "
                "many-to-many|many-to-one|one-to-many, --rolled draws the rolled form beside it.",
                "gatelab.diagrams.rnn", ("layout", "rolled", "max_steps"), model="rnn", builder="build_unfolded"),
    _d("gru-cell", "One GRU step as a dataflow graph (reset, update, candidate; kept and written shares) in "
                "the trace's convention, named on the figure (--convention textbook|torch), values of --step t.",
                "gatelab.diagrams.gru", ("step",), model="gru", builder="build_cell"),
    _d("gru-unfolded", "The GRU unfolded over T steps with r, z, n values per step and the mixing rule of "
                "its convention (textbook or torch, named on the figure).",
                "gatelab.diagrams.gru", ("max_steps",), model="gru", builder="build_unfolded"),
    _d("attention-walkthrough", "Scaled dot-product attention as a computation graph for one query: x -> q, k, v "
                "-> q.k -> / sqrt(d_k) -> softmax -> alpha -> z = sum alpha v, every value from the run "
                "(default thinking-machines, the notes' two-word example).",
                "gatelab.diagrams.attention", ("query",), model="attention", builder="build_walkthrough"),
    _d("gan", "GAN architecture: z -> G -> fake, real -> D -> P(real), with the losses (minimax and "
                "non-saturating, min_G max_D V) and the trained run's D(x), D(G(z)), L_D, L_G.",
                "gatelab.diagrams.gan", (), model="gan", builder="build_arch"),
    _d("gan-snapshot", "One GAN training step (--step t, default the last): batch means, mean D(x) and "
                "D(G(z)), L_D, L_G and gradient norms, for each run of the trace.",
                "gatelab.diagrams.gan", ("step",), model="gan", builder="build_snapshot"),
    _d("self-attention", "Token-to-token attention as a bipartite graph per head (line width = weight), "
                "--top-k per query, --head h or all heads, and the weight matrix with the mask drawn explicitly.",
                "gatelab.diagrams.attention", ("top_k", "head", "layer"), model="multihead", builder="build_self", needs=_self_attention),
    _d("seq2seq", "Encoder-decoder with a fixed context vector C (the last encoder states); "
                "--side-by-side adds the attention model under it, as in the exam question.",
                "gatelab.diagrams.seq2seq", ("side_by_side",), model="seq2seq", needs=_seq2seq_fixed),
    _d("seq2seq-attention", "Encoder-decoder with attention: a context c_i per decoder step, edges sized by "
                "alpha_ij, and the alignment matrix with numbers and bars; --side-by-side adds the fixed-context model.",
                "gatelab.diagrams.seq2seq", ("side_by_side",), model="seq2seq", needs=_seq2seq_attention),
    _d("transformer-block", "Encoder and decoder blocks (post-LN): multi-head / masked / cross attention, "
                "add & norm, FFN, residuals, with the tensor shapes from the trace (--block encoder|decoder for one).",
                "gatelab.diagrams.transformer", (), model="transformer", needs=_transformer),
    _d("model-summary", "Keras-style layer stack with per-layer parameter counts, their formulas and the "
                "total; the bias convention (Keras or PyTorch) is named.",
                "gatelab.diagrams.summary", (), model="model-summary"),
    _d("bptt", "Backpropagation through time on the unfolded RNN or LSTM: backward edges sized by the "
                "per-step gradient norm (printed too); --compare puts an RNN and an LSTM side by side.",
                "gatelab.diagrams.bptt", ("compare",), model="rnn", needs=_bptt),
    _d("highway", "Highway layer for one example (--example b): x splits into H(x) and the gate T, carry "
                "C = 1 - T, T*H + C*x = y, and the gradient's carry path diag(1 - T); --residual: y = H(x) + x.",
                "gatelab.diagrams.highway", ("example",), model="highway"),
    _d("embedding-lookup", "word2vec: the one-hot vector of --word WORD times the learned matrix V selects one row, "
                "the dense vector v_w; the one-hot cosine (0) against the learned one of its nearest neighbour.",
                "gatelab.diagrams.word2vec", ("word",), model="word2vec"),
)


# --------------------------------------------------------------------------- whole Transformer models

MODEL = "transformer"               # the engine of whole models (a Hugging Face folder or a whole-model preset)
MODEL_PRESET = "tiny-gpt2"          # the example drawn when no source is named
VIT_PRESET = "tiny-vit"


def _model(source, eo: dict, vo: dict) -> dict[str, Need]:
    return {"": Need(MODEL, preset=MODEL_PRESET)}


HEADS_PRESET = "induction-heads"    # the model view's example: a trained model whose heads have jobs


def _heads(source, eo: dict, vo: dict) -> dict[str, Need]:
    return {"": Need(MODEL, preset=HEADS_PRESET)}


def _vit(source, eo: dict, vo: dict) -> dict[str, Need]:
    return {"": Need(MODEL, preset=VIT_PRESET)}


DIAGRAMS.add(
    _d("attention-heads", "Model view of a whole Transformer: every layer x every head as a heatmap of its attention "
                "matrix on one stated colour scale; --query TOKEN reduces each head to that token's row (which head "
                "resolves it; a token, or a position from 0); named heads labelled (default induction-heads, the trained "
                "tiny GPT-2 on a repeated sequence).",
                "gatelab.diagrams.attention_heads", (), model=MODEL, needs=_heads),
    _d("transformer-model", "The loaded model's architecture: embeddings, the N layers as one repeated block (x N) "
                "with LayerNorm where it really is (pre-LN or post-LN), heads, sizes and parameter counts.",
                "gatelab.diagrams.transformer_model", (), model=MODEL, needs=_model),
    _d("vit-patches", "Vision Transformer: the image and its patch grid, the patch sequence with [class] and position "
                "embeddings, and the [class] token's attention (each head of the last layer, and the rollout) on the image.",
                "gatelab.diagrams.vit_patches", (), model=MODEL, needs=_vit),
)


# --------------------------------------------------------------------------- worked-example tables

def _adder_table(source, eo: dict, vo: dict) -> dict[str, Need]:
    return {"": Need("rnn", preset="binary-adder")}


def _norms(source, eo: dict, vo: dict) -> dict[str, Need]:
    """Both norms of the same batch (preset norms by default; a seed gives both the same x)."""
    return {"layer": Need("layernorm", preset="norms"), "batch": Need("batchnorm", preset="norms")}


DIAGRAMS.add(
    _d("binary-adder-table", "The binary-adder RNN's truth table: every a, b, carry-in -> sum bit and carry-out, "
                "each row one engine step from the state encoding carry-in, checked against a 1-bit full adder.",
                "gatelab.diagrams.adder", (), model="rnn", builder="build_table", needs=_adder_table),
    _d("norms", "Layer norm vs batch norm of the same batch: the axis each normalises highlighted on the matrix "
                "(rows vs columns), with the means, variances and outputs of both traces.",
                "gatelab.diagrams.norms", (), model="layernorm", needs=_norms),
    _d("cross-entropy", "Two models' per-example cross-entropy (bits) and error rates: the error rates tie "
                "(25%) while the totals differ (6.966 vs 2.725 bits).",
                "gatelab.diagrams.info", (), model="info"),
    _d("char-rnn", "Char-RNN unfolded on a text: one-hot inputs, hidden values, output scores and softmax with the "
                "winner marked and the target beside it; --side-by-side: teacher forcing above free running (fed-back edges).",
                "gatelab.diagrams.char_rnn", ("side_by_side",), model="char-rnn"),
)


def get(name: str) -> Entry:
    return DIAGRAMS.get(name)


# Plots (matplotlib figures of training curves): ``attr(computed, title) -> Figure`` in ``module``.
PLOTS = Catalogue("plot", {})
PLOTS.add(
    Entry("plot", "gan-losses", "GAN loss curves, mean D(x) / D(G(z)), JS divergence and gradient norms (matplotlib).",
          "gatelab.diagrams.plot_gan", "figure", model="gan"),
    Entry("plot", "activations", "Activation functions and their derivatives, with saturating regions (f' < threshold) "
          "and ReLU's dead region shaded (matplotlib).", "gatelab.diagrams.plot_activations", "figure", model="activations"),
    Entry("plot", "word-embeddings", "word2vec's learned vectors in 2-D (PCA from the trace), labelled and coloured by "
          "group, explained variance on the axes, and the loss curve (matplotlib).",
          "gatelab.diagrams.plot_word2vec", "figure", model="word2vec"),
    Entry("plot", "gan-loss-curves", "GAN generator losses (minimax, non-saturating) and their gradients over D(G(z)), "
          "the minimax saturation near 0 shaded (matplotlib).", "gatelab.diagrams.plot_gan_loss", "figure",
          model="gan-loss"),
)
