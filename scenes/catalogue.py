"""The scene catalogue: names, one-line summaries and CLI options (no manim import).

Each scene names the model whose trace it draws (``model``, a key of
``engines.registry.MODELS``); ``gatelab scene NAME`` computes that model's trace from
``--preset/--weights/--seed`` (default: the model's default preset, or ``preset``
below when the scene wants another one) and hands it to the scene class.
"""
from __future__ import annotations

from dataclasses import dataclass

from gatelab.engines.registry import OptionSpec


@dataclass(frozen=True)
class SceneSpec:
    name: str
    summary: str
    module: str                 # e.g. "gatelab.scenes.lstm"
    scene_class: str            # e.g. "LSTMGatesScene"
    options: tuple[str, ...] = ()
    model: str = ""             # engines.registry model whose trace the scene draws
    preset: str | None = None   # default preset when it is not the model's default


# Scene options (CLI flags of `gatelab scene`). Names must not clash with engine options
# (engines.registry.OPTIONS) nor with the scene command's own flags.
OPTIONS: dict[str, OptionSpec] = {
    "pace": OptionSpec(float, "Scene pacing: multiply every pause by this factor (1 = lecture pace, 0.5 = brisk)."),
}

SCENES: dict[str, SceneSpec] = {}


def register(spec: SceneSpec) -> None:
    for o in spec.options:
        if o not in OPTIONS:
            raise KeyError(f"scene {spec.name!r} names unknown option {o!r}")
    SCENES[spec.name] = spec


for _spec in (
    SceneSpec("lstm-gates", "LSTM cell over the input sequence, step by step: gates fill to their values, the "
              "highway updates, h_t and y out.",
              "gatelab.scenes.lstm", "LSTMGatesScene", ("pace",), model="lstm", preset="lstm-3step"),
    SceneSpec("gan-training", "GAN training: real vs generated densities (1-D) or points over the D(x) heatmap (2-D), "
              "D(x), the z -> G(z) transport, losses and JS divergence drawn as they evolve, step counter.",
              "gatelab.scenes.gan", "GANTrainingScene", ("pace",), model="gan", preset="gan-1d"),
    SceneSpec("gan-compare", "Two GAN runs of one trace side by side (default gan-saturating: minimax vs "
              "non-saturating from the same seed).", "gatelab.scenes.gan", "GANCompareScene", ("pace",), model="gan",
              preset="gan-saturating"),
):
    register(_spec)


for _spec in (
    SceneSpec("attention-walkthrough", "Scaled dot-product attention worked through: x -> q, k, v -> q.k -> /sqrt(d_k) "
              "-> softmax -> z = sum a v, then the whole weight matrix (default thinking-machines).",
              "gatelab.scenes.attention", "AttentionWalkthroughScene", ("pace",), model="attention",
              preset="thinking-machines"),
):
    register(_spec)


for _spec in (
    SceneSpec("rnn-unfold", "A rolled RNN unfolds into T steps, values flow forward, then ||dL/dh_t|| going back "
              "(vanishing-rnn; try --preset exploding-rnn), a per-step factor just below vs just above one compounded "
              "over many steps, clipping by norm.",
              "gatelab.scenes.rnn", "RNNUnfoldScene", ("pace",), model="rnn", preset="vanishing-rnn"),
    SceneSpec("gradient-flow", "RNN vs LSTM vs GRU on the same sequence: per-step gradient norms as bars, "
              "the LSTM's forget-gate path highlighted.",
              "gatelab.scenes.rnn", "GradientFlowScene", ("pace",), model="rnn", preset="vanishing-rnn"),
):
    register(_spec)


for _spec in (
    SceneSpec("softmax-temperature", "softmax(z/T) as T sweeps from sharp to flat: probabilities and seeded sample "
              "counts, then the argmax (T -> 0) and uniform (T -> inf) limits.",
              "gatelab.scenes.softmax", "SoftmaxTemperatureScene", ("pace",), model="softmax", preset="softmax-temperature"),
):
    register(_spec)


for _spec in (
    SceneSpec("gru-gates", "GRU cell over the input sequence, convention named (textbook or --convention torch): r and z fill, "
              "candidate n, h = blend of old state and candidate.",
              "gatelab.scenes.gru", "GRUGatesScene", ("pace",), model="gru", preset="gru-3step"),
):
    register(_spec)


for _spec in (
    SceneSpec("positional-encoding", "Sinusoidal positional encoding: the PE matrix and its sine bands, then the "
              "rotation M(k) that maps PE(t) to PE(t+k) for one frequency pair.",
              "gatelab.scenes.positional", "PositionalEncodingScene", ("pace",), model="positional-encoding",
              preset="positional-encoding"),
):
    register(_spec)


for _spec in (
    SceneSpec("self-attention", "Multi-head self-attention head view (line width = weight), heads in sequence, "
              "the causal mask over the upper triangle and a masked padding key.",
              "gatelab.scenes.selfattn", "SelfAttentionScene", ("pace",), model="multihead", preset="causal-self-attention"),
):
    register(_spec)


for _spec in (
    SceneSpec("seq2seq-attention", "Encoder-decoder: the fixed context vector first, then attention decoding step "
              "by step (alignment weights light up, the matrix fills row by row, c_i formed).",
              "gatelab.scenes.seq2seq", "Seq2SeqAttentionScene", ("pace",), model="seq2seq", preset="seq2seq-reverse"),
):
    register(_spec)
