"""The scene catalogue: names, one-line summaries, CLI options (no manim import).

Each scene names the model whose trace it draws (``model``, a key of the engine registry's
``MODELS``) and its default example (``preset``); ``gatelab scene NAME`` asks the registry
for that trace from ``--preset/--weights/--seed`` and hands it to the scene class
(``attr``). ``one_cell`` marks a scene that animates a single recurrent cell and names the
diagram that draws stacked or bidirectional traces instead.
"""
from __future__ import annotations

from gatelab.engines.catalogue import Catalogue, Entry, Need, OptionSpec
from gatelab.engines.errors import InputError


# Scene options (CLI flags of `gatelab scene`). Names must not clash with engine options
# (engines.registry.OPTIONS) nor with the scene command's own flags.
OPTIONS: dict[str, OptionSpec] = {
    "pace": OptionSpec(float, "Scene pacing: multiply every pause by this factor (1 = lecture pace, 0.5 = brisk)."),
    "left": OptionSpec(str, "gan-compare: preset of the left panel (default gan-ring)."),
    "right": OptionSpec(str, "gan-compare: preset of the right panel (default gan-mode-collapse)."),
}

SCENES = Catalogue("scene", OPTIONS)


def _s(name: str, summary: str, module: str, scene_class: str, options: tuple[str, ...] = ("pace",), *,
       model: str, preset: str | None = None, one_cell: str = "", needs=None) -> Entry:
    return Entry("scene", name, summary, module, scene_class, options, model=model, preset=preset, one_cell=one_cell,
                 needs=needs)


def _gan_compare(source, eo: dict, so: dict) -> dict[str, Need]:
    """Two traces (--left/--right presets, default gan-ring vs gan-mode-collapse) when no source is named;
    with --preset/--weights/--seed, that one trace (the scene then needs it to have two runs)."""
    named = source.preset is not None or source.weights is not None or source.seed is not None
    if named and (so.get("left") or so.get("right")):
        raise InputError("--left/--right choose the two presets of gan-compare; drop --preset/--weights/--seed "
                         "(or drop --left/--right to compare the two runs of one trace)")
    if named:
        return {"": Need("gan")}
    return {"left": Need("gan", preset=so.get("left") or "gan-ring"),
            "right": Need("gan", preset=so.get("right") or "gan-mode-collapse")}


for _spec in (
    _s("lstm-gates", "LSTM cell over the input sequence, step by step: gates fill to their values, the "
              "highway updates, h_t and y out.",
              "gatelab.scenes.lstm", "LSTMGatesScene", ("pace",), model="lstm", preset="lstm-3step",
       one_cell="lstm-stacked / lstm-bidirectional"),
    _s("gan-training", "GAN training: real vs generated densities (1-D) or points over the D(x) heatmap (2-D), "
              "D(x), the z -> G(z) transport, losses and JS divergence drawn as they evolve, step counter.",
              "gatelab.scenes.gan", "GANTrainingScene", ("pace",), model="gan", preset="gan-1d"),
    _s("gan-compare", "Two GAN runs side by side: --left/--right presets (default gan-ring, healthy, vs "
              "gan-mode-collapse), or the two runs of one trace (--preset gan-saturating: minimax vs non-saturating).",
       "gatelab.scenes.gan", "GANCompareScene", ("pace", "left", "right"), model="gan", preset="gan-ring",
       needs=_gan_compare),
):
    SCENES.add(_spec)


for _spec in (
    _s("attention-walkthrough", "Scaled dot-product attention worked through: x -> q, k, v -> q.k -> /sqrt(d_k) "
              "-> softmax -> z = sum a v, then the whole weight matrix (default thinking-machines).",
              "gatelab.scenes.attention", "AttentionWalkthroughScene", ("pace",), model="attention",
              preset="thinking-machines"),
):
    SCENES.add(_spec)


for _spec in (
    _s("rnn-unfold", "A rolled RNN unfolds into T steps, values flow forward, then ||dL/dh_t|| going back "
              "(vanishing-rnn; try --preset exploding-rnn), a per-step factor just below vs just above one compounded "
              "over many steps, clipping by norm.",
              "gatelab.scenes.rnn", "RNNUnfoldScene", ("pace",), model="rnn", preset="vanishing-rnn"),
    _s("gradient-flow", "RNN vs LSTM vs GRU on the same sequence: per-step gradient norms as bars, "
              "the LSTM's forget-gate path highlighted.",
              "gatelab.scenes.rnn", "GradientFlowScene", ("pace",), model="recurrent-compare", preset="gradient-flow"),
):
    SCENES.add(_spec)


for _spec in (
    _s("softmax-temperature", "softmax(z/T) as T sweeps from sharp to flat: probabilities and seeded sample "
              "counts, then the argmax (T -> 0) and uniform (T -> inf) limits.",
              "gatelab.scenes.softmax", "SoftmaxTemperatureScene", ("pace",), model="softmax", preset="softmax-temperature"),
):
    SCENES.add(_spec)


for _spec in (
    _s("gru-gates", "GRU cell over the input sequence, convention named (textbook or --convention torch): r and z fill, "
              "candidate n, h = blend of old state and candidate.",
              "gatelab.scenes.gru", "GRUGatesScene", ("pace",), model="gru", preset="gru-3step",
       one_cell="gru-unfolded (one layer)"),
):
    SCENES.add(_spec)


for _spec in (
    _s("positional-encoding", "Sinusoidal positional encoding: the PE matrix and its sine bands, then the "
              "rotation M(k) that maps PE(t) to PE(t+k) for one frequency pair.",
              "gatelab.scenes.positional", "PositionalEncodingScene", ("pace",), model="positional-encoding",
              preset="positional-encoding"),
):
    SCENES.add(_spec)


for _spec in (
    _s("self-attention", "Multi-head self-attention head view (line width = weight), heads in sequence, "
              "the causal mask over the upper triangle and a masked padding key.",
              "gatelab.scenes.selfattn", "SelfAttentionScene", ("pace",), model="multihead", preset="causal-self-attention"),
):
    SCENES.add(_spec)


for _spec in (
    _s("seq2seq-attention", "Encoder-decoder: the fixed context vector first, then attention decoding step "
              "by step (alignment weights light up, the matrix fills row by row, c_i formed).",
              "gatelab.scenes.seq2seq", "Seq2SeqAttentionScene", ("pace",), model="seq2seq", preset="seq2seq-reverse"),
):
    SCENES.add(_spec)


for _spec in (
    _s("highway", "Highway layer: per example H(x) appears, the gate T fills, T*H and (1-T)*x mix into y; then "
              "the gradient's carry path diag(1-T) (--residual: y = H(x) + x, carry path I).",
              "gatelab.scenes.highway", "HighwayScene", ("pace",), model="highway", preset="highway"),
):
    SCENES.add(_spec)


for _spec in (
    _s("char-rnn", "Char-RNN writing letter by letter: greedy free running (softmax bars, winner fed back), then the "
              "engine's seeded samples at temperature T, with the first letter that departs from the text marked.",
              "gatelab.scenes.char_rnn", "CharRNNScene", ("pace",), model="char-rnn", preset="char-rnn-hello"),
):
    SCENES.add(_spec)


for _spec in (
    _s("attention-layers", "A sentence flowing up through a whole Transformer's layers: each layer's heads light up for "
              "the query token (--query TOKEN; default the last token, BERT's [MASK]), strongest keys named, ending on "
              "the attention rollout (default preset tiny-gpt2).",
              "gatelab.scenes.transformer_model", "AttentionLayersScene", ("pace",), model="transformer",
              preset="tiny-gpt2"),
    _s("vit", "Vision Transformer: the image cut into patches, the patch sequence behind [class], then the [class] "
              "token's attention to every patch (each last-layer head, then the rollout) on the image (default tiny-vit).",
              "gatelab.scenes.transformer_model", "ViTScene", ("pace",), model="transformer", preset="tiny-vit"),
    _s("induction-head", "A trained 2-layer GPT-2 on a repeated sequence: layer 1's previous-token head writes what came "
              "before each token, layer 2's induction head finds the earlier occurrence and copies its successor; "
              "predictions with probabilities.",
              "gatelab.scenes.induction", "InductionHeadScene", ("pace",), model="induction-heads",
              preset="induction-heads-example"),
):
    SCENES.add(_spec)
