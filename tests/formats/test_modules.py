"""Modules found by names AND shapes, and the choice of module/head for a model (synthetic state_dicts)."""
from __future__ import annotations

import numpy as np
import pytest

from gatelab.engines import formats
from gatelab.engines.errors import InputError
from gatelab.engines.formats import TensorInfo, _read, modules


def ckpt(shapes: dict[str, tuple[int, ...]], path: str = "m.pt"):
    """A checkpoint from names and shapes alone; tensor k holds k + 0.5 everywhere (to see what was picked)."""
    infos = [TensorInfo(n, s, "float32") for n, s in shapes.items()]
    index = {n: i for i, n in enumerate(shapes)}
    return _read.assemble(path, "torch", infos, lambda n: np.full(shapes[n], index[n] + 0.5), {}, data=False)


def rnn_names(prefix: str, G: int, H: int, D: int, layers: int = 1, bidir: bool = False) -> dict:
    out = {}
    for k in range(layers):
        for rev in ([False, True] if bidir else [False]):
            s = f"_l{k}" + ("_reverse" if rev else "")
            d = D if k == 0 else H * (2 if bidir else 1)
            out.update({f"{prefix}weight_ih{s}": (G * H, d), f"{prefix}weight_hh{s}": (G * H, H),
                        f"{prefix}bias_ih{s}": (G * H,), f"{prefix}bias_hh{s}": (G * H,)})
    return out


@pytest.mark.parametrize("G,kind,model", [(1, "nn.RNN", "rnn"), (3, "nn.GRU", "gru"), (4, "nn.LSTM", "lstm")])
def test_gate_multiple_tells_rnn_gru_lstm_apart(G, kind, model):
    c = ckpt(rnn_names("net.rnn.", G, 5, 2))
    (m,) = c.modules
    assert (m.name, m.kind, m.models) == ("net.rnn", kind, (model,))
    assert m.config["hidden"] == 5 and m.config["input_size"] == 2


def test_stacked_bidirectional_lstm_and_a_head():
    c = ckpt({**rnn_names("rnn.", 4, 3, 2, layers=2, bidir=True), "head.weight": (1, 6), "head.bias": (1,)})
    sel = formats.select(c, "lstm")
    assert sel.module == "rnn" and sel.head == "head"
    assert sel.options == {"layers": 2, "bidirectional": True}
    assert sel.note == ("using module 'rnn' (nn.LSTM layout, 2 layers, bidirectional, hidden 3) with 'head' "
                        "(nn.Linear 6 -> 1) as the output layer V, b_y")
    assert set(sel.weights) == {n[4:] for n in rnn_names("rnn.", 4, 3, 2, 2, True)} | {"V", "b_y"}
    assert sel.weights["V"].shape == (1, 6) and sel.weights["V"][0, 0] == 16.5     # head.weight is tensor 16


def test_head_none_and_explicit_head():
    shapes = {**rnn_names("rnn.", 4, 3, 2), "a.weight": (2, 3), "a.bias": (2,), "b.weight": (1, 3)}
    c = ckpt(shapes)
    sel = formats.select(c, "lstm")                   # two Linears read 3 features: no automatic head
    assert sel.head is None and "'a', 'b' could be one (choose with --head-module NAME)" in sel.note
    sel = formats.select(c, "lstm", head="b")
    assert sel.head == "b" and np.array_equal(sel.weights["b_y"], np.zeros(1))    # no bias: b_y = 0
    assert formats.select(ckpt({**rnn_names("rnn.", 4, 3, 2), "a.weight": (2, 3)}), "lstm", head="none").head is None
    with pytest.raises(InputError, match="--head-module a: nn.Linear reads 4 features but module 'rnn' outputs 3"):
        formats.select(ckpt({**rnn_names("rnn.", 4, 3, 2), "a.weight": (2, 4)}), "lstm", head="a")
    with pytest.raises(InputError, match="module 'rnn' is an nn.LSTM, expected an nn.Linear"):
        formats.select(c, "lstm", head="rnn")


def test_several_modules_fit():
    c = ckpt({**rnn_names("enc.", 4, 3, 2), **rnn_names("dec.", 4, 3, 2)})
    with pytest.raises(InputError) as e:
        formats.select(c, "lstm")
    assert str(e.value) == "several modules fit lstm in 'm.pt': 'enc', 'dec'; choose one with --module NAME"
    assert formats.select(c, "lstm", module="dec").weights["weight_ih_l0"][0, 0] == 4.5


def test_none_fits_names_the_closest_and_the_shapes_expected():
    c = ckpt({"emb.weight": (10, 4), **rnn_names("rnn.", 3, 4, 4)})
    with pytest.raises(InputError) as e:
        formats.select(c, "lstm")
    msg = str(e.value)
    assert "no module in 'm.pt' fits lstm: the closest is 'rnn', an nn.GRU" in msg
    assert "lstm expects weight_ih_l0 (4H, D), weight_hh_l0 (4H, H)" in msg and "\n" not in msg


def test_unknown_module_lists_the_modules():
    c = ckpt({**rnn_names("rnn.", 4, 3, 2), "head.weight": (1, 3)})
    with pytest.raises(InputError, match=r"no module 'nope' in 'm.pt'; its modules: 'rnn' \(nn.LSTM\), 'head' \(nn.Linear\)"):
        formats.select(c, "lstm", module="nope")
    with pytest.raises(InputError, match="module 'rnn' in 'm.pt' is an nn.LSTM: it drives lstm, not gru"):
        formats.select(c, "gru", module="rnn")
    with pytest.raises(InputError, match="is an nn.Linear; it can be an output layer"):
        formats.select(c, "lstm", module="head")


def test_proj_size_and_stacked_rnn_are_found_and_refused_clearly():
    shapes = {"lstm.weight_ih_l0": (8, 3), "lstm.weight_hh_l0": (8, 1), "lstm.weight_hr_l0": (1, 2)}
    with pytest.raises(InputError, match=r"cannot drive|closest is 'lstm', an nn.LSTM .*proj_size=1 \(weight_hr_l0\)"):
        formats.select(ckpt(shapes), "lstm")
    with pytest.raises(InputError, match="runs one forward layer; this nn.RNN has 2 layer"):
        formats.select(ckpt(rnn_names("r.", 1, 3, 2, layers=2)), "rnn")


def test_multihead_and_transformer_layers():
    E = 4
    mha = {"in_proj_weight": (3 * E, E), "in_proj_bias": (3 * E,), "out_proj.weight": (E, E), "out_proj.bias": (E,)}
    layer = {**{f"self_attn.{k}": s for k, s in mha.items()}, "linear1.weight": (8, E), "linear1.bias": (8,),
             "linear2.weight": (E, 8), "linear2.bias": (E,), "norm1.weight": (E,), "norm1.bias": (E,),
             "norm2.weight": (E,), "norm2.bias": (E,)}
    c = ckpt({f"enc.layers.0.{k}": s for k, s in layer.items()} | {"attn." + k: s for k, s in mha.items()})
    kinds = [(m.name, m.kind, m.models) for m in c.modules]
    assert kinds == [("enc.layers.0", "nn.TransformerEncoderLayer", ("transformer",)),
                     ("enc.layers.0.self_attn", "nn.MultiheadAttention", ("multihead",)),
                     ("attn", "nn.MultiheadAttention", ("multihead",))]
    sel = formats.select(c, "transformer")
    assert sel.module == "enc.layers.0" and sel.options == {"block": "encoder"} and "num_heads is not stored" in sel.note
    assert set(sel.weights) == set(layer)
    with pytest.raises(InputError, match="'enc.layers.0.self_attn', 'attn'; choose one"):
        formats.select(c, "multihead")
    sep = {"q_proj_weight": (E, E), "k_proj_weight": (E, 3), "v_proj_weight": (E, 3), "out_proj.weight": (E, E)}
    with pytest.raises(InputError, match="separate q/k/v projections"):
        formats.select(ckpt({"x." + k: s for k, s in sep.items()}), "multihead")


def test_gatelab_names_are_one_module():
    c = ckpt({"W_f": (2, 3), "W_i": (2, 3), "W_C": (2, 3), "W_o": (2, 3), "b_f": (2,)})
    (m,) = c.modules
    assert m.framework == "gatelab" and m.models == ("lstm",)
    assert modules.output_width("nn.LSTM", {"hidden": 3, "bidirectional": True}) == 6


def test_prefixed_npz_goes_through_select(tmp_path):
    from gatelab.engines import io
    rng = np.random.default_rng(0)
    arrays = {k: rng.normal(size=s) for k, s in {**rnn_names("rnn.", 4, 3, 2), "head.weight": (1, 3),
                                                 "head.bias": (1,)}.items()}
    np.savez(tmp_path / "w.npz", **arrays)
    doc = io.read_weights(tmp_path / "w.npz")
    assert doc.model == "lstm" and doc.extra["head"] == "head"
    np.testing.assert_array_equal(doc.weights["weight_hh_l0"], arrays["rnn.weight_hh_l0"])
    np.testing.assert_array_equal(doc.weights["V"], arrays["head.weight"])
    # a single-module .npz reads exactly as before: names untouched, no options
    np.savez(tmp_path / "one.npz", **{k[4:]: v for k, v in arrays.items() if k.startswith("rnn.")})
    doc = io.read_weights(tmp_path / "one.npz")
    assert doc.model is None and doc.options == {} and set(doc.weights) == {k[4:] for k in arrays if k.startswith("rnn.")}
