"""Generate PyTorch reference numbers for the LSTM and GRU engines (run offline, needs torch).

    /tmp/torchenv/bin/python tests/engines/refs/make_torch_lstm_gru.py

Writes ``torch_lstm_gru.json`` beside this file: for each case the weights (PyTorch state_dict
names), inputs, initial states, and what torch (float64) computes: ``output``, ``h_n``, ``c_n``,
the loss and its gradients with respect to every parameter (autograd), and for single-layer
cases the per-step total dL/dh_t (and dL/dc_t) from an explicit nn.LSTMCell / nn.GRUCell loop
with ``retain_grad``. The test suite reads the JSON only; it never imports torch.

Loss conventions (the engines' shared convention):
  * no target, no output layer:  L = sum(output[T-1])   (top layer, both directions)
  * output layer V, b_y (nn.Linear) and target [O]: L = 1/2 ||V output[T-1] + b_y - target||^2
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

torch.set_default_dtype(torch.float64)


def tolist(t: torch.Tensor):
    return t.detach().cpu().tolist()


def make_case(kind: str, name: str, *, D: int, H: int, T: int, layers: int, bidir: bool,
              seed: int, with_linear: bool = False, O: int = 1) -> dict:
    g = torch.Generator().manual_seed(seed)
    cls = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
    net = cls(D, H, num_layers=layers, bidirectional=bidir)
    dirs = 2 if bidir else 1
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.rand(p.shape, generator=g) * 2.0 - 1.0)  # uniform(-1, 1): gates far from 0.5
    x = torch.randn(T, D, generator=g)
    h0 = torch.randn(layers * dirs, H, generator=g) * 0.5
    c0 = torch.randn(layers * dirs, H, generator=g) * 0.5
    case: dict = {"kind": kind, "name": name, "layers": layers, "bidirectional": bidir,
                  "weights": {k: tolist(v) for k, v in net.state_dict().items()},
                  "x": tolist(x), "h0": tolist(h0)}
    if kind == "lstm":
        case["c0"] = tolist(c0)
        out, (hn, cn) = net(x, (h0, c0))
        case["c_n"] = tolist(cn)
    else:
        out, hn = net(x, h0)
    case["output"] = tolist(out)
    case["h_n"] = tolist(hn)
    if with_linear:
        lin = torch.nn.Linear(H * dirs, O)
        with torch.no_grad():
            lin.weight.copy_(torch.rand(lin.weight.shape, generator=g) * 2 - 1)
            lin.bias.copy_(torch.rand(lin.bias.shape, generator=g) * 2 - 1)
        target = torch.randn(O, generator=g)
        y = lin(out[-1])
        loss = 0.5 * ((y - target) ** 2).sum()
        case["weights"]["V"] = tolist(lin.weight)
        case["weights"]["b_y"] = tolist(lin.bias)
        case["target"] = tolist(target)
        case["y"] = tolist(y)
        params = list(net.named_parameters()) + [("V", lin.weight), ("b_y", lin.bias)]
    else:
        loss = out[-1].sum()
        params = list(net.named_parameters())
    grads = torch.autograd.grad(loss, [p for _, p in params])
    case["loss"] = loss.item()
    case["grads"] = {n: tolist(gr) for (n, _), gr in zip(params, grads)}

    if layers == 1 and not bidir:
        # Per-step total gradients from an explicit cell loop (each h_t/c_t is a node).
        cell_cls = torch.nn.LSTMCell if kind == "lstm" else torch.nn.GRUCell
        cell = cell_cls(D, H)
        with torch.no_grad():
            cell.weight_ih.copy_(net.weight_ih_l0)
            cell.weight_hh.copy_(net.weight_hh_l0)
            cell.bias_ih.copy_(net.bias_ih_l0)
            cell.bias_hh.copy_(net.bias_hh_l0)
        h = h0[0].clone().requires_grad_(True)
        c = c0[0].clone().requires_grad_(True)
        hs, cs = [], []
        h0_leaf, c0_leaf = h, c
        for t in range(T):
            if kind == "lstm":
                # explicit torch ops, so that h_t is computed FROM the retained c_t node
                # (nn.LSTMCell's own c output is a separate node); checked against nn.LSTMCell.
                h_ref, c_ref = cell(x[t:t + 1], (h[None].detach(), c[None].detach()))
                z = cell.weight_ih @ x[t] + cell.bias_ih + cell.weight_hh @ h + cell.bias_hh
                i_, f_, g_, o_ = z.split(H)
                c = torch.sigmoid(f_) * c + torch.sigmoid(i_) * torch.tanh(g_)
                c.retain_grad()
                h = torch.sigmoid(o_) * torch.tanh(c)
                assert torch.allclose(h, h_ref[0], atol=1e-14, rtol=0) and torch.allclose(c, c_ref[0], atol=1e-14, rtol=0)
                cs.append(c)
            else:
                h = cell(x[t:t + 1], h[None])[0]
            h.retain_grad()
            hs.append(h)
        if with_linear:
            loss2 = 0.5 * ((lin(hs[-1]) - target) ** 2).sum()
        else:
            loss2 = hs[-1].sum()
        loss2.backward()
        case["dh"] = [tolist(hh.grad) for hh in hs]
        if kind == "lstm":
            # Note: torch's c_t.grad for t < T is the gradient through c_{t+1} AND through h_t.
            case["dc"] = [tolist(cc.grad) for cc in cs]
            case["dc0"] = tolist(c0_leaf.grad)
            # Jacobian dc_t/dc_{t-1} (t >= 2) with h_{t-1} = o_{t-1} tanh(c_{t-1}), o_{t-1} held fixed
            W_ih, W_hh = cell.weight_ih.detach(), cell.weight_hh.detach()
            b = (cell.bias_ih + cell.bias_hh).detach()
            jac = []
            with torch.no_grad():
                hh, cc = h0[0], c0[0]
                states = []
                for t in range(T):
                    z = W_ih @ x[t] + W_hh @ hh + b
                    i_, f_, g_, o_ = z.split(H)
                    cc = torch.sigmoid(f_) * cc + torch.sigmoid(i_) * torch.tanh(g_)
                    hh = torch.sigmoid(o_) * torch.tanh(cc)
                    states.append((torch.sigmoid(o_), cc))
            for t in range(1, T):
                o_prev = states[t - 1][0]

                def step(c_prev, t=t, o_prev=o_prev):
                    h_prev = o_prev * torch.tanh(c_prev)
                    z = W_ih @ x[t] + W_hh @ h_prev + b
                    i_, f_, g_, o_ = z.split(H)
                    return torch.sigmoid(f_) * c_prev + torch.sigmoid(i_) * torch.tanh(g_)
                jac.append(tolist(torch.autograd.functional.jacobian(step, states[t - 1][1])))
            case["J"] = jac  # J[k] = dc_{k+2}/dc_{k+1}
        case["dh0"] = tolist(h0_leaf.grad)
    return case


def main() -> None:
    cases = [
        make_case("lstm", "lstm_1layer", D=2, H=3, T=4, layers=1, bidir=False, seed=1),
        make_case("lstm", "lstm_1layer_linear", D=2, H=3, T=4, layers=1, bidir=False, seed=2, with_linear=True, O=2),
        make_case("lstm", "lstm_2layer", D=2, H=3, T=4, layers=2, bidir=False, seed=3),
        make_case("lstm", "lstm_bidir", D=2, H=2, T=3, layers=1, bidir=True, seed=4),
        make_case("lstm", "lstm_2layer_bidir", D=3, H=2, T=4, layers=2, bidir=True, seed=5, with_linear=True),
        make_case("gru", "gru_1layer", D=2, H=3, T=4, layers=1, bidir=False, seed=11),
        make_case("gru", "gru_1layer_linear", D=2, H=3, T=4, layers=1, bidir=False, seed=12, with_linear=True, O=2),
        make_case("gru", "gru_2layer", D=2, H=3, T=4, layers=2, bidir=False, seed=13),
        make_case("gru", "gru_bidir", D=2, H=2, T=3, layers=1, bidir=True, seed=14),
        make_case("gru", "gru_2layer_bidir", D=3, H=2, T=4, layers=2, bidir=True, seed=15, with_linear=True),
    ]
    doc = {"generator": "tests/engines/refs/make_torch_lstm_gru.py", "torch": torch.__version__,
           "dtype": "float64", "cases": cases, "presets": presets_main()}
    out = Path(__file__).with_name("torch_lstm_gru.json")
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(cases)} cases)")


# --------------------------------------------------------------------------- presets, in our names
# A second, independent implementation: the equations of docs/lstm-gru.md written in torch ops on
# our-named tensors (autograd gives every gradient), for the shipped presets. For standard LSTMs and
# torch-convention GRUs it is itself checked against nn.LSTM / nn.GRU below.

PRESETS = Path(__file__).resolve().parents[3] / "engines" / "presets"


def _suffix(k: int, rev: bool) -> str:
    return "" if (k == 0 and not rev) else f"_l{k}" + ("_reverse" if rev else "")


def _pick(w: dict, names: tuple[str, ...], k: int, rev: bool):
    for n in names:
        for cand in (n + _suffix(k, rev), n + f"_l{k}" + ("_reverse" if rev else ""),
                     n + ("_reverse" if rev else "") if k == 0 else ""):
            if cand in w:
                return cand
    raise KeyError(names)


def lstm_ours(w: dict, x, h0s, c0s, layers, bidir, peephole):
    T, dirs = x.shape[0], 2 if bidir else 1
    runs, inp = [], x
    for k in range(layers):
        outs = []
        for rev in range(dirs):
            nm = {g: _pick(w, (f"W_{g}",) if g != "C" else ("W_C", "W_g"), k, bool(rev)) for g in "fiCo"}
            bm = {g: _pick(w, (f"b_{g}",) if g != "C" else ("b_C", "b_g"), k, bool(rev)) for g in "fiCo"}
            h, c = h0s[k * dirs + rev], c0s[k * dirs + rev]
            steps, out = [], [None] * T
            for t in (range(T - 1, -1, -1) if rev else range(T)):
                hx = torch.cat([h, inp[t]])
                zf = w[nm["f"]] @ hx + w[bm["f"]]
                zi = w[nm["i"]] @ hx + w[bm["i"]]
                if peephole:
                    zf = zf + w["P_f" + _suffix(k, bool(rev))] * c
                    zi = zi + w["P_i" + _suffix(k, bool(rev))] * c
                f, i = torch.sigmoid(zf), torch.sigmoid(zi)
                g = torch.tanh(w[nm["C"]] @ hx + w[bm["C"]])
                c = f * c + i * g
                c.retain_grad()
                zo = w[nm["o"]] @ hx + w[bm["o"]]
                if peephole:
                    zo = zo + w["P_o" + _suffix(k, bool(rev))] * c
                o = torch.sigmoid(zo)
                h = o * torch.tanh(c)
                h.retain_grad()
                steps.append(dict(t=t + 1, f=f, i=i, g=g, o=o, c=c, h=h))
                out[t] = h
            runs.append(steps)
            outs.append(torch.stack(out))
        inp = torch.cat(outs, dim=1)
    return runs, inp


def gru_ours(w: dict, x, h0s, layers, bidir, convention):
    T, dirs = x.shape[0], 2 if bidir else 1
    runs, inp = [], x
    for k in range(layers):
        outs = []
        for rev in range(dirs):
            sx = _suffix(k, bool(rev))
            Wr, Wz = w[_pick(w, ("W_r",), k, bool(rev))], w[_pick(w, ("W_z",), k, bool(rev))]
            Wn = w[_pick(w, ("W_n", "W", "W_h"), k, bool(rev))]
            br, bz = w[_pick(w, ("b_r",), k, bool(rev))], w[_pick(w, ("b_z",), k, bool(rev))]
            bn = w[_pick(w, ("b_n", "b", "b_h"), k, bool(rev))]
            bhn = w.get("b_hn" + sx)
            h = h0s[k * dirs + rev]
            H = h.shape[0]
            steps, out = [], [None] * T
            for t in (range(T - 1, -1, -1) if rev else range(T)):
                hx = torch.cat([h, inp[t]])
                r = torch.sigmoid(Wr @ hx + br)
                z = torch.sigmoid(Wz @ hx + bz)
                if convention == "textbook":
                    n = torch.tanh(Wn @ torch.cat([r * h, inp[t]]) + bn)
                    h = (1 - z) * h + z * n
                else:
                    hn = Wn[:, :H] @ h + (bhn if bhn is not None else 0.0)
                    n = torch.tanh(Wn[:, H:] @ inp[t] + bn + r * hn)
                    h = (1 - z) * n + z * h
                h.retain_grad()
                steps.append(dict(t=t + 1, r=r, z=z, n=n, h=h))
                out[t] = h
            runs.append(steps)
            outs.append(torch.stack(out))
        inp = torch.cat(outs, dim=1)
    return runs, inp


def preset_case(name: str, convention: str | None = None) -> dict:
    doc = json.loads((PRESETS / f"{name}.json").read_text())
    opts = doc.get("options", {})
    model = doc["model"]
    layers = int(opts.get("layers", 1))
    bidir = bool(opts.get("bidirectional", False))
    n_runs = layers * (2 if bidir else 1)
    w = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in doc["weights"].items()}
    inputs = doc["inputs"]
    x = torch.tensor(inputs["x"], dtype=torch.float64)
    if x.ndim == 1:
        x = x[:, None]
    H = w["b_f" if model == "lstm" else "b_r"].shape[0]
    h0 = torch.tensor(inputs.get("h0", [[0.0] * H] * n_runs), dtype=torch.float64).reshape(n_runs, H)
    if model == "lstm":
        c0 = torch.tensor(inputs.get("c0", [[0.0] * H] * n_runs), dtype=torch.float64).reshape(n_runs, H)
        runs, outputs = lstm_ours(w, x, h0, c0, layers, bidir, opts.get("variant") == "peephole")
        keys = ("f", "i", "g", "o", "c", "h")
    else:
        convention = convention or opts.get("convention", "textbook")
        runs, outputs = gru_ours(w, x, h0, layers, bidir, convention)
        keys = ("r", "z", "n", "h")
    y = w["V"] @ outputs[-1] + w["b_y"]
    target = torch.tensor(inputs["target"], dtype=torch.float64)
    loss = 0.5 * ((y - target) ** 2).sum()
    loss.backward()
    case = {"preset": name, "model": model, "convention": convention,
            "runs": [[{"t": s["t"], **{kk: tolist(s[kk]) for kk in keys}} for s in run] for run in runs],
            "outputs": tolist(outputs), "y": tolist(y), "loss": loss.item(),
            "grads": {k: tolist(v.grad) for k, v in w.items()},
            "dh": [tolist(s["h"].grad) for s in runs[0]]}
    if model == "lstm":
        case["dc"] = [tolist(s["c"].grad) for s in runs[0]]
    # the manual implementation against the library layer, where torch has one
    if (model == "lstm" and opts.get("variant", "standard") == "standard") or (model == "gru" and convention == "torch"):
        net = (torch.nn.LSTM if model == "lstm" else torch.nn.GRU)(x.shape[1], H, num_layers=layers, bidirectional=bidir)
        order = ("i", "f", "C", "o") if model == "lstm" else ("r", "z", "n")
        with torch.no_grad():
            for k in range(layers):
                for rev in range(2 if bidir else 1):
                    sx = f"_l{k}" + ("_reverse" if rev else "")
                    Ws = [w[_pick(w, (f"W_{g}",) if g not in "Cn" else (("W_C", "W_g") if g == "C" else ("W_n", "W", "W_h")), k, bool(rev))] for g in order]
                    bs = [w[_pick(w, (f"b_{g}",) if g not in "Cn" else (("b_C", "b_g") if g == "C" else ("b_n", "b", "b_h")), k, bool(rev))] for g in order]
                    getattr(net, "weight_ih" + sx).copy_(torch.cat([W[:, H:] for W in Ws]))
                    getattr(net, "weight_hh" + sx).copy_(torch.cat([W[:, :H] for W in Ws]))
                    getattr(net, "bias_ih" + sx).copy_(torch.cat(bs))
                    bhh = torch.zeros(len(order) * H)
                    if model == "gru" and ("b_hn" + _suffix(k, bool(rev))) in w:
                        bhh[2 * H:] = w["b_hn" + _suffix(k, bool(rev))]
                    getattr(net, "bias_hh" + sx).copy_(bhh)
            lib = net(x, (h0, c0))[0] if model == "lstm" else net(x, h0)[0]
        assert torch.allclose(lib, outputs.detach(), atol=1e-14, rtol=0), name
        case["checked_against_nn"] = True
    return case


def presets_main() -> list[dict]:
    return [preset_case("lstm-3step"), preset_case("lstm-peephole"), preset_case("lstm-stacked"),
            preset_case("lstm-bidirectional"), preset_case("gru-3step"), preset_case("gru-3step", "torch")]


if __name__ == "__main__":
    main()
