"""The GAN's training: k discriminator steps then one generator step per iteration, with the gradients of
:func:`engines.gan_model.d_loss_grads` / :func:`engines.gan_model.g_loss_grads` and an optimiser of
:mod:`engines.optim`; curves every step, snapshots (:mod:`engines.gan_eval`) every ``snapshot_every``
steps, and the trace of one run per generator loss (Equations: :mod:`engines.gan`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from . import gan_model as model
from . import optim
from .gan_data import Data
from .gan_eval import N_SHOW, EvalSet, Snapshot, eval_set, snapshot
from .gan_model import LOSSES, Layer, Params
from .gan_osc import Oscillation, measure as measure_oscillation
from .errors import InputError
from .trace import Array, Record

ADAM_EPS = 1e-8
LABELS = {"minimax": "minimax", "non_saturating": "non-saturating"}


@dataclass(frozen=True)
class Curves(Record):
    """One value per generator step (D values of its last D step, before the updates)."""
    loss_d: Array        # [T]
    loss_g: Array        # [T]
    d_real: Array        # [T] mean D(x) on the real batch
    d_fake: Array        # [T] mean D(G(z)) on the fake batch
    grad_d: Array        # [T] ||dL_D/dtheta_D||
    grad_g: Array        # [T] ||dL_G/dtheta_G||
    real_mean: Array     # [T, d] batch mean of the real half
    fake_mean: Array     # [T, d] batch mean of the fake half
    grad_g_median_late: float | None = None   # median of grad_g over the second half of training (t >= T // 2)


@dataclass(frozen=True)
class Stats(Record):
    mean_real: Array     # [d]
    std_real: Array      # [d]
    mean_fake: Array     # [d]
    std_fake: Array      # [d]
    mean_rel_err: Array  # [d] |mean_fake - mean_real| / |mean_real|
    std_rel_err: Array   # [d] |std_fake - std_real| / std_real
    js: float            # bits
    js_floor: float      # bits: JS between two independent real samples (the estimator's floor)
    modes_covered: int | None = None
    n_modes: int | None = None
    hq_share: float | None = None   # share of generated samples within 3 std of a mode


@dataclass(frozen=True)
class Run(Record):
    label: str
    loss: str
    snapshots: tuple[Snapshot, ...]
    curves: Curves
    final: Stats
    params: Params       # the trained weights
    oscillation: Oscillation | None = None  # does mean D(G(z)) settle or cycle (engines/gan_osc.py)


@dataclass(frozen=True)
class GANTrace(Record):
    kind: ClassVar[str] = "gan"
    data: str                    # a readable description of the data
    dim: int                     # d
    settings: dict               # every hyper-parameter used
    real: Array                  # [N_SHOW, d] real eval samples (drawing)
    real_hist: Array             # [nb] or [nb, nb]
    edges: Array                 # [d, nb + 1] histogram bin edges
    grid: Array                  # [d, G] axes of the D(x) grid
    z_grid: Array                # [Z, d_z]
    mean_real: Array             # [d]
    std_real: Array              # [d]
    js_floor: float
    init: Params
    runs: tuple[Run, ...]
    modes: Array | None = None   # [K, d] mixture centres
    mode_stds: Array | None = None  # [K]
    mode_weights: Array | None = None  # [K]
    image_grid: Array | None = None  # 2-D: [2, IMAGE] axes of the snapshots' d_image (same window as grid)


@dataclass(frozen=True)
class Settings:
    seed: int
    z_dim: int
    g_hidden: tuple[int, ...]
    d_hidden: tuple[int, ...]
    g_act: str
    d_act: str
    beta1: float
    beta2: float
    loss: str
    optimizer: str
    train_steps: int
    lr_g: float
    lr_d: float
    batch_size: int
    d_steps: int
    snapshot_every: int
    compare_loss: bool

    def as_dict(self) -> dict:
        d = {f: getattr(self, f) for f in self.__dataclass_fields__}
        d["g_hidden"], d["d_hidden"] = list(self.g_hidden), list(self.d_hidden)
        return d


class _Flat:
    """A flat parameter vector with per-layer views (the optimiser updates one vector)."""

    def __init__(self, net: tuple[Layer, ...]):
        self.shapes = [(L.W.shape, L.b.shape) for L in net]
        self.vec = np.concatenate([a.ravel() for L in net for a in (L.W, L.b)])
        self.layers = []
        o = 0
        for ws, bs in self.shapes:
            nW, nb = int(np.prod(ws)), int(np.prod(bs))
            self.layers.append((self.vec[o:o + nW].reshape(ws), self.vec[o + nW:o + nW + nb]))
            o += nW + nb

    def freeze(self) -> tuple[Layer, ...]:
        return tuple(Layer(W, b) for W, b in self.layers)


def _grad_vec(grads) -> np.ndarray:
    return np.concatenate([a.ravel() for dW, db in grads for a in (dW, db)])


def _optimizers(st: Settings):
    """(G's optimiser, D's optimiser) with fresh state."""
    return (optim.make(st.optimizer, st.lr_g, st.beta1, st.beta2, ADAM_EPS),
            optim.make(st.optimizer, st.lr_d, st.beta1, st.beta2, ADAM_EPS))


def train_step(params: Params, x_real_batches, z_d_batches, z_g: np.ndarray, st: Settings) -> Params:
    """k D steps then one G step from fresh optimiser state (SGD, or Adam's first step):
    the reference point for the independent PyTorch check. Returns the new parameters."""
    gf, df = _Flat(params.G), _Flat(params.D)
    og, od = _optimizers(st)
    _iteration(gf, df, og, od, params.g_act, params.d_act, st.loss, x_real_batches, z_d_batches, z_g)
    return Params(gf.freeze(), df.freeze(), params.g_act, params.d_act)


def _iteration(gf, df, og, od, g_act, d_act, loss, xs, zds, zg):
    """One training iteration: a D step per real batch (with its noise), then one G step on ``zg``,
    both with the gradients of :func:`d_loss_grads` / :func:`g_loss_grads`."""
    for x_real, z in zip(xs, zds):
        ld, grads, info = model.d_loss_grads(gf.layers, df.layers, g_act, d_act, x_real, z)
        gd = _grad_vec(grads)
        od.step([df.vec], [gd])
    lg, grads, _ = model.g_loss_grads(gf.layers, df.layers, g_act, d_act, zg, loss)
    gg = _grad_vec(grads)
    og.step([gf.vec], [gg])
    return (ld, lg, info["d_real"], info["d_fake"], float(np.linalg.norm(gd)), float(np.linalg.norm(gg)),
            info["real_mean"], info["fake_mean"])


def _train(init: Params, data: Data, st: Settings, loss: str, ev: EvalSet, label: str) -> Run:
    """One training run with generator loss ``loss``, snapshots on ``ev``."""
    rng = np.random.default_rng([st.seed, 1])
    gf, df = _Flat(init.G), _Flat(init.D)
    og, od = _optimizers(st)
    T, B, d = st.train_steps, st.batch_size, data.dim
    cols = {k: np.empty(T) for k in ("loss_d", "loss_g", "d_real", "d_fake", "grad_d", "grad_g")}
    rmeans, fmeans = np.empty((T, d)), np.empty((T, d))
    snaps = [snapshot(0, gf.layers, df.layers, data, ev, init.g_act, init.d_act, loss)]
    for t in range(T):
        xs = [data.sample(rng, B) for _ in range(st.d_steps)]
        zs = [rng.standard_normal((B, st.z_dim)) for _ in range(st.d_steps)]
        zg = rng.standard_normal((B, st.z_dim))
        ld, lg, dr, dfk, gnd, gng, rm, fm = _iteration(gf, df, og, od, init.g_act, init.d_act, loss, xs, zs, zg)
        cols["loss_d"][t], cols["loss_g"][t], cols["d_real"][t], cols["d_fake"][t] = ld, lg, dr, dfk
        cols["grad_d"][t], cols["grad_g"][t] = gnd, gng
        rmeans[t], fmeans[t] = data.to_user(rm), data.to_user(fm)
        if (t + 1) % st.snapshot_every == 0 or t + 1 == T:
            snaps.append(snapshot(t + 1, gf.layers, df.layers, data, ev, init.g_act, init.d_act, loss))
    last = snaps[-1]
    mean_real, std_real = ev.real_user.mean(axis=0), ev.real_user.std(axis=0)
    final = Stats(mean_real=mean_real, std_real=std_real, mean_fake=last.mean_fake, std_fake=last.std_fake,
                  mean_rel_err=np.abs(last.mean_fake - mean_real) / np.maximum(np.abs(mean_real), 1e-12),
                  std_rel_err=np.abs(last.std_fake - std_real) / std_real,
                  js=last.js, js_floor=ev.js_floor, modes_covered=last.modes_covered,
                  n_modes=None if last.mode_counts is None else len(last.mode_counts),
                  hq_share=None if last.mode_counts is None else float(last.mode_counts.sum() / len(ev.real)))
    curves = Curves(real_mean=rmeans, fake_mean=fmeans, **cols, grad_g_median_late=float(np.median(cols["grad_g"][T // 2:])))
    return Run(label, loss, tuple(snaps), curves, final, Params(gf.freeze(), df.freeze(), init.g_act, init.d_act))


def run(init: Params, data: Data, st: Settings) -> GANTrace:
    """Train from ``init`` on ``data`` with ``st`` (and, with compare_loss, also with the other G loss)."""
    if init.x_dim != data.dim:
        raise InputError(f"G outputs {init.x_dim} value(s) per sample but the data are {data.dim}-D; expected equal")
    ev = eval_set(data, init.z_dim, st.seed)
    losses = [st.loss] + ([l for l in LOSSES if l != st.loss] if st.compare_loss else [])
    runs = tuple(_with_oscillation(_train(init, data, st, l, ev, LABELS[l])) for l in losses)
    mixture = data.kind == "mixture"
    return GANTrace(data=data.label, dim=data.dim, settings=st.as_dict(), real=ev.real_user[:N_SHOW],
                    real_hist=ev.real_hist, edges=ev.edges, grid=ev.grid, z_grid=ev.z_grid,
                    mean_real=ev.real_user.mean(axis=0), std_real=ev.real_user.std(axis=0), js_floor=ev.js_floor,
                    init=init, runs=runs,
                    modes=data.means if mixture else None, mode_stds=data.stds if mixture else None,
                    mode_weights=data.weights if mixture else None, image_grid=ev.image_axes)


def _with_oscillation(r: Run) -> Run:
    """The run with its oscillation measured on the snapshots (mean D(G(z)) and mean G(z))."""
    sn = r.snapshots
    return replace(r, oscillation=measure_oscillation([x.step for x in sn], [x.d_fake for x in sn],
                                                      np.stack([x.mean_fake for x in sn])))
