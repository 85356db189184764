"""The GAN's evaluation: fixed samples, a drawing window with its histogram bins and D(x) grids, and the
snapshot of the two networks taken on them every ``snapshot_every`` generator steps.

Every snapshot statistic uses the same N_EVAL real samples and N_EVAL noises (drawn once from the seed),
so the numbers of two snapshots or two runs differ only by training (Equations: :mod:`engines.gan`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._numerics import sigmoid
from .gan_data import Data, histogram, js_bits, mode_counts
from .gan_model import mlp_forward, softplus
from .trace import Array, IntArray, Record

N_EVAL = 2000          # real and generated samples behind every snapshot statistic
N_SHOW = 400           # samples stored per snapshot for drawing
BINS = {1: 60, 2: 24}  # histogram bins per axis for the JS estimate
GRID = {1: 121, 2: 33}  # D(x) evaluation grid per axis
IMAGE = 64              # 2-D: D(x) also on a fine IMAGE x IMAGE grid (snapshot.d_image) for smooth pictures
COVER_SHARE = 0.2


@dataclass(frozen=True)
class Snapshot(Record):
    step: int               # generator steps done
    fake: Array             # [N_SHOW, d] G(z) for the first N_SHOW fixed eval noises
    fake_hist: Array        # [nb] or [nb, nb] share of generated samples per bin
    d_grid: Array           # [G] or [G, G] (rows = y) D(x) on the grid
    z_map: Array            # [Z, d] G of the fixed z grid
    loss_d: float           # L_D on the fixed eval batch (n_eval real, n_eval fake)
    loss_g: float           # L_G of this run's loss on the eval noise
    loss_g_minimax: float   # mean log(1 - D(G(z)))
    loss_g_ns: float        # -mean log D(G(z))
    d_real: float           # mean D(x) over eval real
    d_fake: float           # mean D(G(z)) over eval fakes
    js: float               # JS(real || generated) in bits
    mean_fake: Array        # [d]
    std_fake: Array         # [d]
    mode_counts: IntArray | None = None  # [K] high-quality samples per mode
    modes_covered: int | None = None
    d_image: Array | None = None  # 2-D: [IMAGE, IMAGE] (rows = y) D(x) on the fine grid trace.image_grid


@dataclass(frozen=True)
class EvalSet:
    """What every snapshot of every run is measured on (training coordinates unless said otherwise)."""
    real: np.ndarray        # [n, d] training coordinates
    z: np.ndarray           # [n, d_z]
    grid_pts: np.ndarray    # [G or G*G, d] training coordinates
    z_grid: np.ndarray      # [Z, d_z]
    edges: np.ndarray       # [d, nb+1] user coordinates
    real_hist: np.ndarray   # [nb] or [nb, nb]
    real_user: np.ndarray   # [n, d] the real samples in user coordinates
    grid: np.ndarray        # [d, G] axes of the D(x) grid (user coordinates)
    js_floor: float         # JS between two independent real samples of n (the estimator's floor)
    img_pts: np.ndarray | None = None     # [IMAGE*IMAGE, 2] training coordinates (2-D only)
    image_axes: np.ndarray | None = None  # [2, IMAGE] user coordinates (2-D only)


def eval_set(data: Data, z_dim: int, seed: int) -> EvalSet:
    """The fixed evaluation samples and the window: the real samples' range plus a quarter on each side
    (in 2-D one square window, so circles look round), cut into BINS bins and GRID grid points per axis."""
    erng = np.random.default_rng([seed, 2])
    real = data.sample(erng, N_EVAL)  # [n, d]
    z = erng.standard_normal((N_EVAL, z_dim))  # [n, d_z]
    real2_u = data.to_user(data.sample(erng, N_EVAL))
    real_u = data.to_user(real)
    lo, hi = real_u.min(axis=0), real_u.max(axis=0)
    span = hi - lo
    lo, hi = lo - 0.25 * span, hi + 0.25 * span
    if data.dim == 2:  # one square window, so circles look round
        c, r = (lo + hi) / 2, float(np.max(hi - lo)) / 2
        lo, hi = c - r, c + r
    nb, ng = BINS[data.dim], GRID[data.dim]
    edges = np.stack([np.linspace(lo[j], hi[j], nb + 1) for j in range(data.dim)])  # [d, nb+1]
    grid = np.stack([np.linspace(lo[j], hi[j], ng) for j in range(data.dim)])  # [d, G]
    if data.dim == 1:
        pts = grid.T  # [G, 1]
    else:
        gx, gy = np.meshgrid(grid[0], grid[1])  # [G (y), G (x)]
        pts = np.stack([gx.ravel(), gy.ravel()], axis=1)  # [G*G, 2]
    real_hist = histogram(real_u, edges)
    js_floor = js_bits(real_hist, histogram(real2_u, edges))
    img_axes, img_pts = _image_grid(lo, hi) if data.dim == 2 else (None, None)
    return EvalSet(real, z, data.from_user(pts), _z_grid(z_dim), edges, real_hist, real_u, grid, js_floor,
                   None if img_pts is None else data.from_user(img_pts), img_axes)


def snapshot(step, G, D, data: Data, ev: EvalSet, g_act, d_act, loss) -> Snapshot:
    """G and D (lists of (W, b)) measured on ``ev`` after ``step`` generator steps."""
    fake, _ = mlp_forward(G, ev.z, g_act)  # [n, d_z] -> [n, d]
    n = len(ev.real)
    a = mlp_forward(D, np.concatenate([ev.real, fake]), d_act)[0][:, 0]  # [2n]
    a_r, a_f = a[:n], a[n:]
    p = sigmoid(a)
    ld = float(np.mean(softplus(-a_r)) + np.mean(softplus(a_f)))
    lmm = float(-np.mean(softplus(a_f)))
    lns = float(np.mean(softplus(-a_f)))
    fake_u = data.to_user(fake)
    hist = histogram(fake_u, ev.edges)
    dg = sigmoid(mlp_forward(D, ev.grid_pts, d_act)[0][:, 0])
    if data.dim == 2:
        side = int(round(np.sqrt(len(dg))))
        dg = dg.reshape(side, side)  # [G*G] -> [G (y), G (x)]
    counts = covered = None
    if data.kind == "mixture":
        counts = mode_counts(fake_u, data.means, data.stds)
        covered = int(np.sum(counts >= COVER_SHARE * data.weights * n))
    img = None if ev.img_pts is None else sigmoid(mlp_forward(D, ev.img_pts, d_act)[0][:, 0]).reshape(IMAGE, IMAGE)
    return Snapshot(step=step, fake=fake_u[:N_SHOW], fake_hist=hist, d_grid=dg, d_image=img,
                    z_map=data.to_user(mlp_forward(G, ev.z_grid, g_act)[0]),
                    loss_d=ld, loss_g=lmm if loss == "minimax" else lns, loss_g_minimax=lmm, loss_g_ns=lns,
                    d_real=float(p[:n].mean()), d_fake=float(p[n:].mean()),
                    js=js_bits(ev.real_hist, hist), mean_fake=fake_u.mean(axis=0), std_fake=fake_u.std(axis=0),
                    mode_counts=counts, modes_covered=covered)


def _z_grid(z_dim: int) -> np.ndarray:
    if z_dim == 2:
        a = np.linspace(-2.0, 2.0, 9)
        zz = np.stack(np.meshgrid(a, a), axis=-1)  # [9, 9, 2]
        return zz.reshape(-1, 2)  # [81, 2]
    g = np.zeros((41, z_dim))
    g[:, 0] = np.linspace(-2.5, 2.5, 41)  # [41, d_z]: a line along z_1, other coordinates 0
    return g


def _image_grid(lo: np.ndarray, hi: np.ndarray):
    """The fine 2-D grid of d_image: axes [2, IMAGE] and points [IMAGE*IMAGE, 2] (user coordinates, rows = y)."""
    axes = np.stack([np.linspace(lo[j], hi[j], IMAGE) for j in range(2)])  # [2, IMAGE]
    gx, gy = np.meshgrid(axes[0], axes[1])  # [IMAGE (y), IMAGE (x)]
    return axes, np.stack([gx.ravel(), gy.ravel()], axis=1)  # [IMAGE*IMAGE, 2]
