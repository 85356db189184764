"""Text views of a char-rnn trace: the `compute` table and the `explain` worked solution.

Only reads :class:`engines.char_rnn.CharRNNTrace`; every number printed comes from the trace.
"""
from __future__ import annotations


from .doc import Doc
from .grid import num as f
from .grid import rows_grid as grid
from .grid import vec

_CELL = {"rnn": "h_t = tanh(U x_t + W h_{t-1} + b_h)",
         "lstm": "LSTM cell (gates f, i, o, candidate C~; h_t = o_t * tanh(c_t))",
         "gru": "GRU cell (textbook convention: h_t = (1 - z_t) h_{t-1} + z_t n_t)"}


def _header(tr) -> list[str]:
    return ["t", "fed", "x_t (one-hot)", "h_t", "scores o_t", "softmax p_t", "chosen", "target", "-ln p[target]"]


def _rows(tr, dec) -> list[list[str]]:
    return [[str(s.t), repr(s.fed), vec(s.x, 0), vec(s.h, 3), vec(s.scores, 3), vec(s.p, 3),
             repr(s.chosen) + ("" if s.correct else " (wrong)"), repr(s.target), f(s.loss)]
            for s in dec.steps]


def _vocab(tr) -> str:
    return "vocabulary " + ", ".join(f"{c!r}={i + 1}" for i, c in enumerate(tr.vocab))


def _title(tr) -> str:
    which = "UNTRAINED (initial) weights" if tr.weights_set == "initial" else "trained weights"
    return f"char-rnn  cell={tr.cell}  H={tr.hidden}  K={len(tr.vocab)}  {which}  text {tr.text!r}  ({_vocab(tr)})"


def _samples(tr) -> list[str]:
    return [f"sample {s.index}: {tr.text[0]!r} -> {s.generated!r}"
            + (f" (first departs from the text at t={s.first_wrong})" if s.first_wrong else "")
            for s in tr.samples]


def table(tr) -> str:
    out = [_title(tr)]
    for dec, what in ((tr.teacher, "teacher forcing (the true previous letter is fed)"),
                      (tr.free, "free running (the model's own argmax is fed back)")):
        out.append(f"\n{what}: generated {dec.generated!r}, sum of -ln p[target] = {f(dec.loss)}")
        out.append(grid(_rows(tr, dec), _header(tr)))
    out.append(f"\n{tr.loss_rule}:  L = {f(tr.loss)}")
    out.append(f"generated ({tr.decode}): {tr.generated!r}")
    if tr.samples:
        out.append(f"sampling from softmax(o_t / {f(tr.temperature)}), seed {tr.sample_seed}: " + "; ".join(_samples(tr)))
    return "\n".join(out) + "\n"


def _step_lines(tr, s) -> list[str]:
    verdict = "right" if s.correct else f"wrong: the target {s.target!r} scores only {f(s.target_score)}"
    return [f"x_{s.t} = onehot({s.fed!r}) = {vec(s.x, 0)};  h_{s.t} = {vec(s.h)}",
            f"o_{s.t} = V h_{s.t} + b_y = {vec(s.scores)}  (one score per letter {', '.join(map(repr, tr.vocab))})",
            f"p_{s.t} = softmax(o_{s.t}) = {vec(s.p)}",
            f"winner: {s.chosen!r} with score {f(s.chosen_score)} ({verdict});  -ln p[{s.target!r}] = -ln {f(s.p_target)} = {f(s.loss)}"]


def explain(tr, fmt: str = "md") -> str:
    d = Doc()
    d.heading("Char-RNN: teacher forcing vs free running")
    d.para(f"{_title(tr)}. Each letter is a one-hot vector of length {len(tr.vocab)}; the cell is {_CELL[tr.cell]}; "
        "the output scores are o_t = V h_t + b_y and p_t = softmax(o_t). The chosen letter is the argmax of the scores.")
    d.math(r"L = -\sum_t \ln p_t[c_{t+1}]")
    d.heading("Teacher forcing (training): feed the true previous letter", 2)
    for s in tr.teacher.steps:
        d.items(_step_lines(tr, s))
    d.para(f"{tr.loss_rule}: L = {f(tr.loss)}. Teacher forcing chooses {tr.teacher.generated!r}.")
    d.heading("Free running (inference): feed back the model's own prediction", 2)
    for s in tr.free.steps:
        d.items(_step_lines(tr, s))
    d.para(f"Fed {tr.text[0]!r} and run free, the model writes {tr.free.generated!r} "
        f"(the text continues {tr.text[1:]!r}); the same sum of -ln p[target] along this run is {f(tr.free.loss)}.")
    if tr.free.first_wrong is not None:
        t = tr.free.first_wrong
        d.para(f"Exposure bias: the first wrong letter appears at t = {t}; from then on the model is fed its own mistake, "
            "a state teacher forcing never showed it in training, and every later letter depends on that mistake.")
    else:
        d.para("Free running matches the text: with these weights the model's own predictions are the true letters, "
            "so it never sees a state teacher forcing did not show it.")
    if tr.samples:
        d.heading(f"Sampling with temperature {f(tr.temperature)}", 2)
        d.para("Each letter is drawn from softmax(o_t / T) and fed back; one early unlikely draw changes the rest.")
        d.items(_samples(tr))
    d.code(grid(_rows(tr, tr.free), _header(tr)))
    return d.render(fmt)
