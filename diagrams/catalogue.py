"""The diagram catalogue: names, one-line summaries and CLI options.

Importing this module must stay cheap (no graphviz import): ``gatelab list`` and
the CLI's option parsing read it.

Each entry names the module holding its builder. ``model`` is the engine whose trace it
draws (else the module's ``MODEL``); ``builder`` is the function ``build(computed, *, style,
opts) -> graphviz.Digraph``; ``prepare`` optionally names a function ``(source,
engine_options, opts) -> computed`` for figures that need several traces.
"""
from __future__ import annotations

from dataclasses import dataclass

from gatelab.engines.errors import InputError
from gatelab.engines.registry import OptionSpec


@dataclass(frozen=True)
class DiagramSpec:
    name: str
    summary: str
    module: str                 # module holding the builder
    options: tuple[str, ...] = ()
    model: str = ""             # engine model (default: the module's MODEL)
    builder: str = "build"      # builder function in `module`
    prepare: str = ""           # optional function computing the trace(s)


# Diagram-specific options (engine options from engines.registry.OPTIONS are accepted too).
OPTIONS: dict[str, OptionSpec] = {
    "step": OptionSpec(int, "Which time step t (1-based) a cell diagram shows the values of (default: the last)."),
    "layout": OptionSpec(("many-to-many", "many-to-one", "one-to-many"), "RNN diagram layout: which outputs (and inputs) are drawn."),
    "rolled": OptionSpec(bool, "Also draw the rolled (folded) form beside the unfolded one."),
    "query": OptionSpec(int, "attention-walkthrough: which query position i (1-based) to follow (default 1)."),
    "compare": OptionSpec(bool, "bptt: draw an Elman RNN and an LSTM side by side (vanishing vs kept gradient)."),
    "side_by_side": OptionSpec(bool, "seq2seq diagrams: the same weights without and with attention in one figure."),
    "top_k": OptionSpec(int, "self-attention: draw only the K strongest keys per query."),
    "head": OptionSpec(int, "self-attention: draw head H (1-based) of a multi-head trace (default: every head)."),
    "max_steps": OptionSpec(int, "Unfolded diagrams: draw at most this many steps, eliding the middle (default 8)."),
}

DIAGRAMS: dict[str, DiagramSpec] = {}


def add(spec: DiagramSpec) -> None:
    for o in spec.options:
        if o not in OPTIONS:
            raise KeyError(f"diagram {spec.name!r} names unknown option {o!r}")
    DIAGRAMS[spec.name] = spec


for _spec in (
    DiagramSpec("lstm-unfolded", "The LSTM unfolded over T steps predicting y: cell-state highway on top, "
                "hidden state below, f/i/g/o/c/h values in every step (the flagship).",
                "gatelab.diagrams.lstm", ("max_steps",), model="lstm", builder="build_unfolded"),
    DiagramSpec("lstm-cell", "One LSTM cell's internals in colah's layout (sigma, sigma, tanh, sigma; x and +; the "
                "C highway) with the values of step --step t; --variant peephole draws the peepholes.",
                "gatelab.diagrams.lstm", ("step",), model="lstm", builder="build_cell", prepare="prepare_cell"),
    DiagramSpec("lstm-stacked", "A stacked LSTM on a grid: time left to right, layers bottom to top, h and c of every "
                "run (default preset lstm-stacked; --seed N --layers L for random weights).",
                "gatelab.diagrams.lstm_stack", (), model="lstm", prepare="prepare_stacked"),
    DiagramSpec("lstm-bidirectional", "A bidirectional LSTM: forward and backward runs and the concatenated outputs "
                "[h_fwd_t, h_bwd_t] (default preset lstm-bidirectional).",
                "gatelab.diagrams.lstm_stack", (), model="lstm", prepare="prepare_bidirectional"),
    DiagramSpec("rnn-unfolded", "Elman RNN unfolded over T steps (x_t, h_t, y_t; U, W, V on the edges); --layout "
                "many-to-many|many-to-one|one-to-many, --rolled draws the rolled form beside it.",
                "gatelab.diagrams.rnn", ("layout", "rolled", "max_steps"), model="rnn", builder="build_unfolded"),
    DiagramSpec("gru-cell", "One GRU step as a dataflow graph (reset, update, candidate; kept and written shares) in "
                "the trace's convention, named on the figure (--convention textbook|torch), values of --step t.",
                "gatelab.diagrams.gru", ("step",), model="gru", builder="build_cell"),
    DiagramSpec("gru-unfolded", "The GRU unfolded over T steps with r, z, n values per step and the mixing rule of "
                "its convention (textbook or torch, named on the figure).",
                "gatelab.diagrams.gru", ("max_steps",), model="gru", builder="build_unfolded"),
    DiagramSpec("attention-walkthrough", "Scaled dot-product attention as a computation graph for one query: x -> q, k, v "
                "-> q.k -> / sqrt(d_k) -> softmax -> alpha -> z = sum alpha v, every value from the run "
                "(default thinking-machines, the notes' two-word example).",
                "gatelab.diagrams.attention", ("query",), model="attention", builder="build_walkthrough"),
    DiagramSpec("gan", "GAN architecture: z -> G -> fake, real -> D -> P(real), with the losses (minimax and "
                "non-saturating, min_G max_D V) and the trained run's D(x), D(G(z)), L_D, L_G.",
                "gatelab.diagrams.gan", (), model="gan", builder="build_arch"),
    DiagramSpec("gan-snapshot", "One GAN training step (--step t, default the last): batch means, mean D(x) and "
                "D(G(z)), L_D, L_G and gradient norms, for each run of the trace.",
                "gatelab.diagrams.gan", ("step",), model="gan", builder="build_snapshot"),
    DiagramSpec("self-attention", "Token-to-token attention as a bipartite graph per head (line width = weight), "
                "--top-k per query, --head h or all heads, and the weight matrix with the mask drawn explicitly.",
                "gatelab.diagrams.attention", ("top_k", "head"), model="multihead", builder="build_self", prepare="prepare_self"),
    DiagramSpec("seq2seq", "Encoder-decoder with a fixed context vector C (the last encoder states); "
                "--side-by-side adds the attention model under it, as in the exam question.",
                "gatelab.diagrams.seq2seq", ("side_by_side",), model="seq2seq", prepare="prepare_fixed"),
    DiagramSpec("seq2seq-attention", "Encoder-decoder with attention: a context c_i per decoder step, edges sized by "
                "alpha_ij, and the alignment matrix with numbers and bars; --side-by-side adds the fixed-context model.",
                "gatelab.diagrams.seq2seq", ("side_by_side",), model="seq2seq", prepare="prepare_attention"),
    DiagramSpec("transformer-block", "Encoder and decoder blocks (post-LN): multi-head / masked / cross attention, "
                "add & norm, FFN, residuals, with the tensor shapes from the trace (--block encoder|decoder for one).",
                "gatelab.diagrams.transformer", (), model="transformer", prepare="prepare"),
    DiagramSpec("model-summary", "Keras-style layer stack with per-layer parameter counts, their formulas and the "
                "total; the bias convention (Keras or PyTorch) is named.",
                "gatelab.diagrams.summary", (), model="model-summary"),
    DiagramSpec("bptt", "Backpropagation through time on the unfolded RNN or LSTM: backward edges sized by the "
                "per-step gradient norm (printed too); --compare puts an RNN and an LSTM side by side.",
                "gatelab.diagrams.bptt", ("compare",), model="rnn", prepare="prepare"),
):
    add(_spec)


def get(name: str) -> DiagramSpec:
    if name not in DIAGRAMS:
        raise InputError(f"unknown diagram {name!r}; expected one of: {', '.join(DIAGRAMS)}")
    return DIAGRAMS[name]
