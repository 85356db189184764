"""Text view of a recurrent-compare trace: the three cells' gradient norms on one sequence."""
from __future__ import annotations


from .doc import Doc
from .grid import num as f
from .grid import rows_grid as grid


def _rows(tr) -> list[list[str]]:
    rnn, lstm, gru = tr.rnn.steps, tr.lstm.bptt.steps, tr.gru.bptt.steps
    return [[str(k + 1), f(rnn[k].dh_norm, 4), f(lstm[k].dh_norm, 4), f(lstm[k].dc_norm, 4), f(gru[k].dh_norm, 4)]
            for k in range(len(rnn))]


_LOSS = {"mse_last": "L = 1/2 ||y_T - target||^2", "mse_all": "L = 1/2 sum_t ||y_t - target_t||^2",
         "sum_y": "L = sum(y_T)", "sum_h": "L = sum(h_T)"}


def _losses(tr) -> str:
    return (f"RNN {tr.rnn.loss_rule}; LSTM {_LOSS.get(tr.lstm.bptt.loss_kind, tr.lstm.bptt.loss_kind)}; "
            f"GRU {_LOSS.get(tr.gru.bptt.loss_kind, tr.gru.bptt.loss_kind)}")


_HEADER = ["t", "RNN ||dL/dh_t||", "LSTM ||dL/dh_t||", "LSTM ||dL/dc_t||", "GRU ||dL/dh_t||"]


def table(tr) -> str:
    return ("One input sequence through three cells; gradient norms going back in time.\n"
            f"losses: {_losses(tr)}\n"
            + grid(_rows(tr), _HEADER) + "\n")


def explain(tr, fmt: str = "md") -> str:
    d = Doc()
    d.heading("RNN vs LSTM vs GRU on one sequence")
    d.para("The same inputs x_1 .. x_T go through an Elman RNN, an LSTM and a GRU, each with its own weights. "
        "For each step t the table gives the norm of the loss gradient with respect to the state at t: "
        "how much of the signal from the end of the sequence is still there.")
    d.para(f"Losses: {_losses(tr)}.")
    d.code(grid(_rows(tr), _HEADER))
    return d.render(fmt)
