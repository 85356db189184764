"""GAN benchmark: one training iteration of gan-1d in our numpy engine vs the same architecture,
batch and optimiser in PyTorch CPU (measured in one run), plus whole-preset training times.

    .venv/bin/python bench/bench_gan.py                # torch from $GATELAB_TORCH_PYTHON or /tmp/torchenv
    GATELAB_TORCH_PYTHON=/path/to/python bench/bench_gan.py

One iteration = k D steps (G forward without grad, D forward/backward on B real + B fake, Adam)
then one G step (G and D forward, backward through D into G, Adam). Best of 3 interleaved passes, each the
median of 5 rounds of 200 iterations, after warm-up (the machine may be shared). Not a test: it prints a table.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from gatelab.engines import gan, gan_train, presets, registry  # noqa: E402

from _timing import table  # noqa: E402

ITERS, ROUNDS, PASSES = 200, 5, 3
TORCH_PY = os.environ.get("GATELAB_TORCH_PYTHON", "/tmp/torchenv/bin/python")

TORCH_SCRIPT = r"""
import json, statistics, sys, time
import torch
cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
dtype = {"float64": torch.float64, "float32": torch.float32}[cfg["dtype"]]
torch.manual_seed(0)
def mlp(sizes):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.LeakyReLU(0.2))
    return torch.nn.Sequential(*layers).to(dtype)
G, D = mlp(cfg["g_sizes"]), mlp(cfg["d_sizes"])
B, k, dz = cfg["batch"], cfg["d_steps"], cfg["g_sizes"][0]
od = torch.optim.Adam(D.parameters(), lr=cfg["lr_d"], betas=(cfg["beta1"], cfg["beta2"]))
og = torch.optim.Adam(G.parameters(), lr=cfg["lr_g"], betas=(cfg["beta1"], cfg["beta2"]))
bce = torch.nn.functional.binary_cross_entropy_with_logits
ones, zeros = torch.ones(B, dtype=dtype), torch.zeros(B, dtype=dtype)
labels = torch.cat([ones, zeros])
def sample(n):   # the same 1-D mixture (means/stds) as the preset
    kk = torch.randint(0, len(cfg["means"]), (n,))
    return (torch.tensor(cfg["means"], dtype=dtype)[kk] + torch.tensor(cfg["stds"], dtype=dtype)[kk] * torch.randn(n, dtype=dtype))[:, None]
def iteration():
    for _ in range(k):
        x = sample(B)
        with torch.no_grad():
            fake = G(torch.randn(B, dz, dtype=dtype))
        od.zero_grad()
        a = D(torch.cat([x, fake]))[:, 0]
        loss_d = bce(a[:B], ones) + bce(a[B:], zeros)
        loss_d.backward()
        od.step()
    og.zero_grad()
    for p in D.parameters():
        p.requires_grad_(False)
    loss_g = bce(D(G(torch.randn(B, dz, dtype=dtype)))[:, 0], ones)
    loss_g.backward()
    og.step()
    for p in D.parameters():
        p.requires_grad_(True)
for _ in range(50):
    iteration()
times = []
for _ in range(cfg["rounds"]):
    t0 = time.perf_counter()
    for _ in range(cfg["iters"]):
        iteration()
    times.append((time.perf_counter() - t0) / cfg["iters"])
print(json.dumps({"median": statistics.median(times), "torch": torch.__version__}))
"""


def numpy_iteration_time(doc, params, st) -> float:
    data = gan.make_data(doc.inputs)
    gf, df = gan_train._Flat(params.G), gan_train._Flat(params.D)
    og, od = gan_train._optimizers(st)
    rng = np.random.default_rng(0)
    B = st.batch_size

    def iteration():
        xs = [data.sample(rng, B) for _ in range(st.d_steps)]
        zs = [rng.standard_normal((B, st.z_dim)) for _ in range(st.d_steps)]
        zg = rng.standard_normal((B, st.z_dim))
        gan_train._iteration(gf, df, og, od, params.g_act, params.d_act, st.loss, xs, zs, zg)

    for _ in range(50):
        iteration()
    times = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        for _ in range(ITERS):
            iteration()
        times.append((time.perf_counter() - t0) / ITERS)
    return statistics.median(times)


def main() -> None:
    doc = presets.load("gan-1d")
    data = gan.make_data(doc.inputs)
    st = gan.settings(doc.weights, data.dim, doc.options)
    params = gan.init_params(np.random.default_rng([st.seed, 0]), st.z_dim, data.dim, st.g_hidden, st.d_hidden,
                             st.g_act, st.d_act)
    g_sizes, d_sizes = [st.z_dim, *st.g_hidden, data.dim], [data.dim, *st.d_hidden, 1]
    torch_ok = os.path.exists(TORCH_PY)
    configs = [(d, t) for d in ("float64", "float32") for t in (1, 2)] if torch_ok else []
    best: dict = {"numpy": float("inf")}
    version, errors = "", {}
    for _ in range(PASSES):   # interleaved passes, best of each: the machine is shared, so take the quietest
        best["numpy"] = min(best["numpy"], numpy_iteration_time(doc, params, st))
        for dtype, threads in configs:
            cfg = dict(g_sizes=g_sizes, d_sizes=d_sizes, batch=st.batch_size, d_steps=st.d_steps, lr_g=st.lr_g,
                       lr_d=st.lr_d, beta1=st.beta1, beta2=st.beta2, means=data.means[:, 0].tolist(),
                       stds=data.stds.tolist(), dtype=dtype, threads=threads, iters=ITERS, rounds=ROUNDS)
            out = subprocess.run([TORCH_PY, "-c", TORCH_SCRIPT, json.dumps(cfg)], capture_output=True, text=True)
            if out.returncode != 0:
                errors[(dtype, threads)] = out.stderr.strip().splitlines()[-1]
                continue
            res = json.loads(out.stdout)
            version = res["torch"]
            best[(dtype, threads)] = min(best.get((dtype, threads), float("inf")), res["median"])
    ours = best["numpy"]
    rows = [("numpy (ours, float64)", f"{ours * 1e6:8.1f} us/iteration")]
    for dtype, threads in configs:
        if (dtype, threads) in best:
            t = best[(dtype, threads)]
            rows.append((f"torch {version} CPU ({dtype}, {threads} thread(s))",
                         f"{t * 1e6:8.1f} us/iteration   torch / ours = {t / ours:5.2f}"))
        else:
            rows.append((f"torch ({dtype}, {threads} thread(s))", "failed: " + errors.get((dtype, threads), "?")))
    if not torch_ok:
        rows.append(("torch", f"not found at {TORCH_PY} (set GATELAB_TORCH_PYTHON)"))
    print(f"GAN training iteration, preset gan-1d: G {' -> '.join(map(str, g_sizes))}, D {' -> '.join(map(str, d_sizes))}, "
          f"{st.g_act}, B={st.batch_size}, k={st.d_steps}, {st.optimizer} (best of {PASSES} interleaved passes, each the median of {ROUNDS} x {ITERS} iterations):")
    print(table(rows))
    print()
    print("Whole-preset training (registry.compute: training + snapshots, in process):")
    rows = []
    for name in ("gan-1d", "gan-ring", "gan-mode-collapse", "gan-saturating"):
        t0 = time.perf_counter()
        tr = registry.compute("gan", registry.Source(preset=name)).trace
        dt = time.perf_counter() - t0
        steps = sum(len(r.curves.loss_d) for r in tr.runs)
        rows.append((name, f"{dt:6.2f} s  ({steps} generator steps in {len(tr.runs)} run(s), "
                           f"{dt / steps * 1e3:.2f} ms/step incl. snapshots)"))
    print(table(rows))


if __name__ == "__main__":
    main()
