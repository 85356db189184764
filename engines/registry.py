"""One registry of models and engine options; it feeds ``click.Choice``, ``gatelab list``,
``compute``, ``explain`` and every diagram/scene that needs a trace.

Engine module protocol (``ModelSpec.engine``)::

    build(weights: dict, inputs: dict, **options) -> Record      # validates, runs, returns the trace
    random(rng: np.random.Generator, *, hidden, input_size, steps, **options) -> (weights, inputs)

Walkthrough module protocol (``ModelSpec.walkthrough``)::

    table(trace) -> str                 # the readable default of `gatelab compute`
    explain(trace, fmt: "md" | "tex") -> str
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from . import io, presets
from .catalogue import Catalogue, Entry, Need, OptionSpec
from .errors import InputError
from .trace import Record

ModelSpec = Entry  # a model's catalogue entry


# Engine options shared across models. A model accepts only those listed in its spec.
OPTIONS: dict[str, OptionSpec] = {
    "variant": OptionSpec(("standard", "peephole", "peephole-full"),
                          "LSTM variant: peephole gates also see the cell state (diagonal P, or full matrices W·[C, h, x])."),
    "layers": OptionSpec(int, "Number of stacked recurrent layers."),
    "bidirectional": OptionSpec(bool, "Also run the sequence backwards and concatenate both outputs."),
    "convention": OptionSpec(("textbook", "torch"), "GRU update-gate convention (textbook: h=(1-z)h_prev+z*h~; torch: h=(1-z)n+z*h_prev)."),
    "activation": OptionSpec(("tanh", "relu", "sigmoid", "step", "identity"), "Hidden activation of the Elman RNN."),
    "output_layer": OptionSpec(("none", "identity", "sigmoid", "softmax"), "Output layer y_t = g(V h_t + b_y) of the RNN."),
    "clip": OptionSpec(float, "Clip the gradient by norm: if ||g|| > BETA, g <- BETA g/||g||."),
    "score": OptionSpec(("dot", "scaled_dot", "general", "additive"), "Attention score: q.k, q.k/sqrt(d_k), Luong q W_a k, Bahdanau v_a.tanh(q W_aq + k W_ak)."),
    "mask": OptionSpec(("none", "causal"), "Attention mask: causal hides later keys (query t sees keys <= t)."),
    "heads": OptionSpec(int, "Number of attention heads (must divide the model width)."),
    "attention": OptionSpec(("none", "bahdanau", "luong"), "seq2seq: fixed context (none) or attention over a bidirectional encoder."),
    "cell": OptionSpec(("rnn", "gru", "lstm"), "Recurrent cell of seq2seq and char-rnn."),
    "decode": OptionSpec(("teacher", "free"), "seq2seq and char-rnn decoding: teacher forcing (feed the target) or free running (feed the argmax)."),
    "block": OptionSpec(("encoder", "decoder"), "Transformer block: encoder (self-attention, FFN) or decoder (masked self-attention, cross-attention, FFN)."),
    "eps": OptionSpec(float, "Epsilon added to the variance in layer/batch norm."),
    "units": OptionSpec(("bits", "nats"), "Information units: bits (log2) or nats (ln)."),
    "temperature": OptionSpec(float, "Softmax temperature T in softmax(z/T) (T > 0)."),
    "samples": OptionSpec(int, "Number of seeded samples drawn from softmax(z/T)."),
    "function": OptionSpec(("all", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus", "gelu", "gelu_tanh"), "Activation function(s) to tabulate."),
    "framework": OptionSpec(("keras", "torch"), "Parameter-count convention of model-summary: keras (one bias) or torch (two biases)."),
    "loss": OptionSpec(("minimax", "non_saturating"), "GAN generator loss: minimax log(1-D(G(z))) or non-saturating -log D(G(z))."),
    "optimizer": OptionSpec(("sgd", "adam"), "Optimiser: GAN (for G and D) and word2vec."),
    "train_steps": OptionSpec(int, "GAN training iterations (each: d_steps D updates, then one G update)."),
    "lr_g": OptionSpec(float, "GAN generator learning rate."),
    "lr_d": OptionSpec(float, "GAN discriminator learning rate."),
    "batch_size": OptionSpec(int, "GAN batch: B real and B generated samples per D step, B noises per G step; word2vec: pairs per update."),
    "d_steps": OptionSpec(int, "GAN discriminator steps k per generator step."),
    "snapshot_every": OptionSpec(int, "GAN: record a snapshot every N generator steps."),
    "compare_loss": OptionSpec(bool, "GAN: also train the other generator loss from the same seed (two runs in one trace)."),
    "data": OptionSpec(str, "GAN training data: a CSV file of x or x,y rows (overrides the preset's data)."),
    "residual": OptionSpec(bool, "Highway layer: drop the gate and use the residual form y = H(x) + x."),
    "h_activation": OptionSpec(("tanh", "relu"), "Highway layer: activation f of the transform H(x) = f(W_H x + b_H) (default tanh)."),
    "dim": OptionSpec(int, "word2vec: embedding dimension d (2 <= d <= vocabulary size)."),
    "window": OptionSpec(int, "word2vec: context window (words on each side of the centre word)."),
    "negatives": OptionSpec(int, "word2vec: negative samples k per (centre, context) pair, from unigram^0.75."),
    "epochs": OptionSpec(int, "word2vec: passes over every (centre, context) pair of the corpus (0: untrained vectors)."),
    "lr": OptionSpec(float, "word2vec: learning rate."),
    "untrained": OptionSpec(bool, "char-rnn: run the untrained initial weights kept in the file (weights.initial) instead of the trained ones."),
    "text": OptionSpec(str, "char-rnn: the text to run on (its letters must be in the model's vocabulary); with --seed N, the text to train on. "
                            "transformer (a whole model): the text, tokenised with the folder's tokenizer.json."),
    "text_pair": OptionSpec(str, "transformer (a BERT): the second sentence of a pair (token type 1); the "
                                 "next-sentence head, when stored, says whether it follows --text."),
    "tokens": OptionSpec(str, "transformer (a whole model): comma-separated tokens (a,b,c), each checked against the vocabulary."),
    "token_ids": OptionSpec(str, "transformer (a whole model): comma-separated token ids (3,17,5); no tokenizer needed."),
    "image": OptionSpec(str, "transformer (a ViT): an image file, resized and normalised as the folder's preprocessor_config.json says."),
    "layer": OptionSpec(int, "Whole Transformer: the layer (1-based) that explain and the per-head views show."),
    "head": OptionSpec(int, "Whole Transformer: the attention head (1-based) that explain and the per-head views show."),
    "query": OptionSpec(str, "Whole Transformer: the query token (its text, first match; or a 0-based position)."),
    "generate": OptionSpec(int, "GPT-2: generate N tokens after the input (greedy; sampled with --temperature T > 0, seed 0)."),
    "d_real": OptionSpec(str, "gan-loss: D(x), a probability in (0, 1), or a comma-separated list (0.9,0.6)."),
    "d_fake": OptionSpec(str, "gan-loss: D(G(z)), a probability in (0, 1), or a comma-separated list (0.2,0.01)."),
}

MODELS = Catalogue("model", OPTIONS)


def _model(name: str, summary: str, engine: str, text: str, preset: str, options: tuple[str, ...] = (),
           build: str = "build", random: str = "random") -> Entry:
    return Entry("model", name, summary, engine, build, options, model=name, preset=preset, text=text, random=random)


MODELS.add(
    _model("rnn", "Elman RNN h_t = f(U x_t + W h_{t-1} + b_h), y_t = g(V h_t + b_y), with BPTT and clipping.",
              "gatelab.engines.rnn", "gatelab.walkthroughs.rnn", "exam-rnn", ("activation", "output_layer", "clip")),
    _model("lstm", "LSTM (colah notation): gates f, i, o, candidate g = C~, cell c, hidden h; BPTT.",
              "gatelab.engines.lstm", "gatelab.walkthroughs.lstm", "lstm-3step", ("variant", "layers", "bidirectional")),
    _model("gru", "GRU in the textbook or PyTorch convention: gates r, z, candidate n, hidden h.",
              "gatelab.engines.gru", "gatelab.walkthroughs.gru", "gru-3step", ("convention", "layers", "bidirectional")),
    _model("model-summary", "Keras-Sequential-like stack (SimpleRNN/LSTM/GRU/Dense) with parameter counts.",
              "gatelab.engines.params", "gatelab.walkthroughs.params", "keras-lstm-summary", ("framework",)),
    _model("attention", "Attention: scores (dot, scaled dot, general, additive), masks, softmax, weighted sum.",
              "gatelab.engines.attention", "gatelab.walkthroughs.attention", "thinking-machines", ("score", "mask")),
    _model("multihead", "Multi-head attention: per-head Q/K/V projections, concat, output projection.",
              "gatelab.engines.attention", "gatelab.walkthroughs.attention", "causal-self-attention", ("heads", "mask"),
              build="build_multihead", random="random_multihead"),
    _model("seq2seq", "Encoder-decoder with a fixed context vector or with attention (alignment matrix).",
              "gatelab.engines.seq2seq", "gatelab.walkthroughs.seq2seq", "seq2seq-translate", ("cell", "attention", "score", "decode")),
    _model("transformer", "One Transformer encoder/decoder block: MHA, add & norm, FFN, masks; or a whole BERT, RoBERTa, "
              "DistilBERT, ELECTRA, GPT-2 or ViT model from a Hugging Face folder (--weights DIR) or a whole-model preset.",
              "gatelab.engines.transformer", "gatelab.walkthroughs.transformer", "transformer-block",
              ("block", "heads", "eps", "text", "text_pair", "tokens", "token_ids", "image", "layer", "head", "query",
               "generate",
               "temperature")),
    _model("positional-encoding", "Sinusoidal positional encoding and its rotation matrices M(k).",
              "gatelab.engines.transformer", "gatelab.walkthroughs.transformer", "positional-encoding", (),
              build="build_pe", random="random_pe"),
    _model("layernorm", "Layer norm (across features) of a batch of vectors.",
              "gatelab.engines.transformer", "gatelab.walkthroughs.transformer", "norms", ("eps",),
              build="build_layernorm", random="random_norm"),
    _model("batchnorm", "Batch norm (across the batch, training-mode statistics).",
              "gatelab.engines.transformer", "gatelab.walkthroughs.transformer", "norms", ("eps",),
              build="build_batchnorm", random="random_norm"),
    _model("info", "Entropy, cross-entropy and KL divergence in bits or nats.",
              "gatelab.engines.info", "gatelab.walkthroughs.info", "cross-entropy-table", ("units",)),
    _model("softmax", "Softmax with temperature softmax(z/T) and seeded sampling.",
              "gatelab.engines.activations", "gatelab.walkthroughs.activations", "softmax-temperature", ("temperature", "samples"),
              build="build_softmax", random="random_softmax"),
    _model("activations", "Activation functions and their derivatives on a grid.",
              "gatelab.engines.activations", "gatelab.walkthroughs.activations", "activations", ("function",)),
    _model("recurrent-compare", "An Elman RNN, an LSTM and a GRU on one input sequence: each cell's trace and BPTT, side by side.",
           "gatelab.engines.compare", "gatelab.walkthroughs.compare", "gradient-flow"),
    _model("gan", "A GAN trained in numpy: MLP generator and discriminator, snapshots of training.",
              "gatelab.engines.gan", "gatelab.walkthroughs.gan", "gan-1d",
              ("loss", "optimizer", "train_steps", "lr_g", "lr_d", "batch_size", "d_steps", "snapshot_every",
               "compare_loss", "data")),
    _model("highway", "Highway layer y = T*H(x) + (1-T)*x with gate T = sigmoid(W_T x + b_T); --residual: y = H(x) + x; "
              "gradients and the carry path of dy/dx.",
              "gatelab.engines.highway", "gatelab.walkthroughs.highway", "highway", ("residual", "h_activation")),
    _model("word2vec", "word2vec skip-gram with negative sampling trained in numpy on a toy corpus: one-hot vs learned "
              "vectors, nearest neighbours, 2-D PCA.",
              "gatelab.engines.word2vec", "gatelab.walkthroughs.word2vec", "word2vec-toy",
              ("dim", "window", "negatives", "epochs", "lr", "optimizer", "batch_size")),
    _model("char-rnn", "Character-level RNN (Elman, --cell lstm|gru too): one-hot letters, softmax over the vocabulary; "
              "teacher forcing vs free running (exposure bias), sampling with a temperature.",
              "gatelab.engines.char_rnn", "gatelab.walkthroughs.char_rnn", "char-rnn-hello",
              ("cell", "decode", "untrained", "text", "temperature", "samples")),
    _model("gan-loss", "GAN losses at given D(x), D(G(z)): L_D, minimax and non-saturating L_G, their derivatives "
              "(nats and bits) and the minimax saturation.",
              "gatelab.engines.gan_loss", "gatelab.walkthroughs.gan_loss", "gan-loss", ("d_real", "d_fake")),
    _model("induction-heads", "A 2-layer GPT-2 trained in numpy on repeated random tokens: a previous-token head, an "
              "induction head, held-out scores vs the untrained model.",
              "gatelab.engines.induction_run", "gatelab.walkthroughs.induction", "induction-heads-example"),
)


@dataclass(frozen=True)
class Source:
    """Where a trace's numbers come from: a preset, a weights file, or a seeded random init.

    ``inputs`` is a file (JSON) or the data itself (``{"x": [[...], ...], "h0": [...]}``).
    """
    preset: str | None = None
    weights: str | None = None
    inputs: str | Mapping[str, Any] | None = None
    seed: int | None = None
    hidden: int | None = None
    input_size: int | None = None
    steps: int | None = None
    module: str | None = None       # which module of a checkpoint holding several (e.g. "rnn")
    head: str | None = None         # a linear/dense layer used as the output layer ("none": no head)


@dataclass(frozen=True)
class Computed:
    model: str
    trace: Record
    options: dict[str, Any]
    provenance: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def get(name: str) -> Entry:
    return MODELS.get(name)


def engine(name: str):
    return importlib.import_module(get(name).engine)


def walkthrough(name: str):
    return importlib.import_module(get(name).walkthrough)


def _check_source(spec: Entry, source: Source, options: Mapping[str, Any]) -> None:
    """One-line errors for options the model does not take and sources that contradict each other."""
    for k in options:
        if k not in spec.options:
            accepted = ", ".join("--" + o.replace("_", "-") for o in spec.options) or "none"
            raise InputError(f"option --{k.replace('_', '-')} does not apply to model {spec.name!r} (it accepts: {accepted})")
    sizes = {"hidden": source.hidden, "input_size": source.input_size, "steps": source.steps}
    given = [n for n, v in (("--preset", source.preset), ("--weights", source.weights), ("--seed", source.seed)) if v is not None]
    if len(given) > 1:
        raise InputError(f"{' and '.join(given)} conflict: give one source of weights (a preset, a weights file or a seed)")
    if (source.module is not None or source.head is not None) and source.weights is None:
        raise InputError("--module/--head-module choose a module inside a weights file; give --weights FILE")
    if any(v is not None for v in sizes.values()) and source.seed is None:
        raise InputError("--hidden/--input-size/--steps set the size of random weights and need --seed N")
    for n, v in sizes.items():
        if v is not None and v < 1:
            raise InputError(f"--{n.replace('_', '-')} must be a positive integer, got {v}")


def compute(model: str, source: Source = Source(), options: dict[str, Any] | None = None) -> Computed:
    """Resolve ``source`` into weights and inputs, run the model's engine, return the trace."""
    spec = get(model)
    options = {k: v for k, v in (options or {}).items() if v is not None}
    _check_source(spec, source, options)
    sizes = {"hidden": source.hidden, "input_size": source.input_size, "steps": source.steps}
    provenance: dict[str, Any] = {}
    description = ""
    eng = importlib.import_module(spec.engine)
    if source.seed is not None:
        rng = np.random.default_rng(source.seed)
        weights, inputs = getattr(eng, spec.random)(rng, hidden=source.hidden or 3, input_size=source.input_size or 2,
                                     steps=source.steps or 3, **options)
        doc_options: dict[str, Any] = {}
        extra: Mapping[str, Any] = {}
        provenance.update(seed=source.seed, **{k: v for k, v in sizes.items() if v is not None})
        description = f"random weights, seed {source.seed}"
    else:
        if source.weights is not None:
            from . import formats

            doc, note = formats.load_for_model(source.weights, model, module=source.module, head=source.head)
            provenance.update(weights=source.weights, weights_sha256=io.file_sha256(source.weights))
            if note:
                provenance.update(module=doc.extra.get("module"), head=doc.extra.get("head"), note=note)
        else:
            name = source.preset or spec.default_preset
            doc = presets.load(name)
            provenance.update(preset=name)
        if doc.model is not None and doc.model != model and model not in (doc.extra.get("models") or ()):
            what = f"preset {source.preset or spec.default_preset!r}" if source.weights is None else f"weights file {source.weights!r}"
            raise InputError(f"{what} is for model {doc.model!r}, not {model!r}")
        weights, inputs, doc_options, extra = doc.weights, doc.inputs, doc.options, doc.extra
        description = doc.description
    if isinstance(source.inputs, Mapping):
        inputs = dict(source.inputs)
        provenance.update(inputs="(given as data)")
    elif source.inputs is not None:
        inputs = io.read_inputs(source.inputs)
        provenance.update(inputs=source.inputs, inputs_sha256=io.file_sha256(source.inputs))
    if inputs is None:
        raise InputError('--weights needs --inputs FILE (JSON like {"x": [[...], ...]}) unless the weights file has "inputs"')
    if isinstance(inputs, Mapping) and "token_ids" in inputs and model in ("rnn", "lstm", "gru"):
        inputs = _embedded(inputs, extra if source.weights is not None else {}, provenance)
    unknown = [k for k in doc_options if k not in spec.options]
    if unknown:
        where = f"weights file {source.weights!r}" if source.weights is not None else "the preset"
        accepted = ", ".join(spec.options) or "none"
        raise InputError(f"option {unknown[0]!r} in {where} does not apply to model {model!r} (it accepts: {accepted})")
    merged = {**doc_options, **options}
    trace = getattr(eng, spec.build)(weights, inputs, **merged)
    if hasattr(eng, "annotate") and any(k in extra for k in io.VIEW_KEYS):
        trace = eng.annotate(trace, extra)   # what the file declares about its units (io.VIEW_KEYS)
    return Computed(model, trace, merged, provenance, description)


def _embedded(inputs: Mapping[str, Any], extra: Mapping[str, Any], provenance: dict[str, Any]) -> dict[str, Any]:
    """``{"token_ids": [3, 1, 4]}``: the rows of the checkpoint's embedding table as the inputs x_t."""
    E = extra.get("embedding_matrix")
    if E is None:
        raise InputError('inputs "token_ids" need an embedding table in the weights file (an nn.Embedding or '
                         'keras.Embedding as wide as the recurrent layer\'s input); give "x" vectors instead')
    if "x" in inputs:
        raise InputError('inputs give both "x" and "token_ids"; give one')
    ids = inputs["token_ids"]
    if (not isinstance(ids, list) or not ids
            or not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(E) for i in ids)):
        raise InputError(f'inputs "token_ids" must be a non-empty list of integers 0 .. {len(E) - 1} '
                         f"(the rows of embedding {extra.get('embedding')!r}), got {str(ids)[:60]}")
    provenance.update(embedding=extra.get("embedding"), token_ids=list(ids))
    return {**{k: v for k, v in inputs.items() if k != "token_ids"}, "x": np.asarray(E)[ids]}


# --------------------------------------------------------------------------- views' traces

def is_empty(source: Source) -> bool:
    """True when the source names no preset, weights file or seed (a view's default example applies)."""
    return source.preset is None and source.weights is None and source.seed is None


def model_of(source: Source, candidates: tuple[str, ...]) -> str:
    """Which of ``candidates`` the source is for: the model its preset or weights file names
    (the first candidate for a seed, or a file that names none)."""
    if len(candidates) == 1:
        return candidates[0]
    named = None
    if source.preset is not None:
        named = presets.load(source.preset).model
    elif source.weights is not None:
        from . import formats

        doc, _ = formats.load_for_model(source.weights, None, module=source.module, head=source.head)
        named = doc.model
    if named is None:
        return candidates[0]
    if named not in candidates:
        what = f"preset {source.preset!r}" if source.preset else f"weights file {source.weights!r}"
        raise InputError(f"{what} is for model {named!r}; this figure draws {' or '.join(candidates)}")
    return named


def resolve(needs: Mapping[str, Need], source: Source = Source(),
            options: Mapping[str, Any] | None = None) -> dict[str, Computed]:
    """Compute every trace a view needs from the user's source and engine options.

    Each :class:`Need` runs on the user's source, or on its own default preset when the user
    named none; an option the need's model does not take is left out for that trace (a
    comparison figure passes ``--seed`` sizes to every model, but ``--variant`` only to the LSTM).
    """
    options = {k: v for k, v in (options or {}).items() if v is not None}
    models = [model_of(source, need.models) for need in needs.values()]
    taken = {o for m in models for o in get(m).options}
    for k in options:
        if k not in taken:
            accepted = ", ".join(sorted("--" + o.replace("_", "-") for o in taken)) or "none"
            raise InputError(f"option --{k.replace('_', '-')} does not apply to model {' or '.join(dict.fromkeys(models))!r} "
                             f"(it accepts: {accepted})")
    out: dict[str, Computed] = {}
    for label, need in needs.items():
        model = model_of(source, need.models)
        spec = get(model)
        src = source
        if is_empty(source):
            preset = need.preset or spec.default_preset
            src = Source(preset=preset, inputs=source.inputs)
        opts = {k: v for k, v in options.items() if k in spec.options}
        if source.seed is not None:
            opts = {**{k: v for k, v in need.seeded.items() if k not in opts}, **opts}
        out[label] = compute(model, src, {**opts, **need.force})
    return out


def verify(computed: Computed, source: Source) -> Any:
    """``--verify``: run the framework that wrote the weights file (torch or keras, when installed) on the
    same weights and inputs; returns the report (``.ok``, ``.line()``), or raises a one-line error."""
    if source.weights is None:
        raise InputError("--verify compares with the framework that wrote a weights file; give --weights FILE")
    from . import formats
    from .formats import verify as _verify

    doc, _ = formats.load_for_model(source.weights, computed.model, module=source.module, head=source.head)
    report = _verify.verify(doc.weights, computed.model, None, computed.trace)
    if not report.ok:
        raise InputError(report.line())
    return report
