"""Generate an independent PyTorch reference for the gan engine: one full training iteration.

Run offline (the test suite does not need torch):

    /tmp/torchenv/bin/python tests/engines/refs/gen_torch_gan.py

Writes tests/engines/refs/torch_gan.json. For each case: the initial weights (torch
nn.Linear layout, weight [out, in]), the real batches x, the noises z of the k
discriminator steps and of the generator step, and what torch computes with autograd,
BCE-with-logits losses and torch.optim (SGD / Adam): L_D and dL_D/dtheta_D of the first
D step, D after its k steps, L_G and dL_G/dtheta_G at (G_0, D_k), and G after its step.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).with_name("torch_gan.json")


def mlp(sizes, act):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.LeakyReLU(0.2) if act == "leaky_relu" else torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def linears(net):
    return [m for m in net if isinstance(m, torch.nn.Linear)]


def dump(net):
    return [{"weight": m.weight.detach().numpy().tolist(), "bias": m.bias.detach().numpy().tolist()} for m in linears(net)]


def grads(net):
    return [{"weight": m.weight.grad.numpy().tolist(), "bias": m.bias.grad.numpy().tolist()} for m in linears(net)]


def case(name, seed, d, dz, gh, dh, g_act, d_act, loss, opt, lr_g, lr_d, B, k, b1=0.5, b2=0.999):
    rng = np.random.default_rng(seed)
    G, D = mlp([dz, *gh, d], g_act), mlp([d, *dh, 1], d_act)
    with torch.no_grad():
        for p in list(G.parameters()) + list(D.parameters()):
            p.copy_(torch.from_numpy(rng.uniform(-0.9, 0.9, tuple(p.shape))))
    G0, D0 = dump(G), dump(D)
    xs = [rng.normal(2.0, 1.0, (B, d)) for _ in range(k)]
    zds = [rng.normal(size=(B, dz)) for _ in range(k)]
    zg = rng.normal(size=(B, dz))
    mk = (lambda ps, lr: torch.optim.SGD(ps, lr=lr)) if opt == "sgd" else \
         (lambda ps, lr: torch.optim.Adam(ps, lr=lr, betas=(b1, b2), eps=1e-8))
    od, og = mk(D.parameters(), lr_d), mk(G.parameters(), lr_g)
    first = None
    for x, z in zip(xs, zds):
        od.zero_grad()
        with torch.no_grad():
            fake = G(torch.from_numpy(z))
        a_r, a_f = D(torch.from_numpy(x))[:, 0], D(fake)[:, 0]
        ld = F.binary_cross_entropy_with_logits(a_r, torch.ones(B)) + F.binary_cross_entropy_with_logits(a_f, torch.zeros(B))
        ld.backward()
        if first is None:
            first = (float(ld), grads(D))
        od.step()
    D1 = dump(D)
    og.zero_grad()
    for p in D.parameters():
        p.requires_grad_(False)
    a = D(G(torch.from_numpy(zg)))[:, 0]
    if loss == "minimax":
        lg = -F.binary_cross_entropy_with_logits(a, torch.zeros(B))   # mean log(1 - D(G(z)))
    else:
        lg = F.binary_cross_entropy_with_logits(a, torch.ones(B))    # -mean log D(G(z))
    lg.backward()
    g_grads = grads(G)
    og.step()
    return dict(name=name, d=d, z_dim=dz, g_hidden=gh, d_hidden=dh, g_act=g_act, d_act=d_act, loss=loss,
                optimizer=opt, lr_g=lr_g, lr_d=lr_d, batch_size=B, d_steps=k, beta1=b1, beta2=b2,
                G0=G0, D0=D0, x=[a.tolist() for a in xs], z_d=[a.tolist() for a in zds], z_g=zg.tolist(),
                L_D=first[0], dD=first[1], D1=D1, L_G=float(lg), dG=g_grads, G1=dump(G),
                torch_version=torch.__version__)


def main():
    cases = [
        case("1d-leaky-ns-adam", 1, 1, 1, [5, 4], [4, 3], "leaky_relu", "leaky_relu", "non_saturating", "adam", 1e-2, 2e-2, 8, 1),
        case("1d-leaky-minimax-sgd-k2", 2, 1, 1, [4], [5], "leaky_relu", "leaky_relu", "minimax", "sgd", 0.1, 0.3, 6, 2),
        case("2d-tanh-minimax-adam-k3", 3, 2, 2, [4, 3], [3, 4], "tanh", "tanh", "minimax", "adam", 5e-3, 1e-2, 5, 3),
        case("2d-mixed-ns-sgd", 4, 2, 3, [6], [4, 4], "tanh", "leaky_relu", "non_saturating", "sgd", 0.05, 0.1, 7, 1),
    ]
    OUT.write_text(json.dumps({"generator": "tests/engines/refs/gen_torch_gan.py", "cases": cases}, indent=1))
    print(f"wrote {OUT} ({len(cases)} cases, torch {torch.__version__})")


if __name__ == "__main__":
    main()
