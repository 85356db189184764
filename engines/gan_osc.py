"""Does GAN training settle or cycle? The oscillation of mean D(G(z)) over a run's snapshots, measured.

Notation
--------
    s_j       the generator step of snapshot j (evenly spaced, ``snapshot_every`` apart)
    y_j       mean D(G(z)) on the fixed evaluation noise at snapshot j
    W         the analysed window: snapshots with s_j >= ``SKIP`` x (last step) (the start-up transient is left out)
    r_j       y_j minus its least-squares line over W (detrended)

Equations
---------
    zero crossings  c_m: where r changes sign, linearly interpolated between snapshots
    period (zero crossings)  P_0 = 2 mean(c_{m+1} - c_m)           (two crossings per cycle)
    autocorrelation  rho(l) = sum_j r_j r_{j+l} / sum_j r_j^2,  l = 0 .. |W|/2
    (the same autocorrelation of the detrended mean G(z) gives ``period_mean_fake``: G's samples
    can swing across the data once while D(G(z)) rises and falls twice)
    period (autocorrelation) P_acf = l* (s_{j+1} - s_j), l* the highest local maximum of rho after its
                     first negative value (rho(l*) = ``acf_peak``: near 1 for a clean cycle, small for noise)
    amplitude        A = (max_W r - min_W r) / 2   (and the same for the mean of G(z), along the
                     coordinate that moves most)
    growth           A over the last third of W / A over its first third (< 1: damped, >= 1: sustained)
    cycles           (last - first step of W) / P_acf
    oscillating      acf_peak >= 0.5 and cycles >= 2 and A >= 0.1
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .trace import Array, Record

SKIP = 0.2
MIN_PEAK, MIN_CYCLES, MIN_AMPLITUDE = 0.5, 2.0, 0.1


@dataclass(frozen=True)
class Oscillation(Record):
    window_start: int            # first generator step of the analysed window
    steps: Array                 # [W] generator steps of the window's snapshots
    detrended: Array             # [W] r_j: mean D(G(z)) minus its linear trend
    crossings: Array             # [C] generator steps where r crosses 0
    acf: Array                   # [L] rho(0..L-1)
    period_zero: float | None    # generator steps, from the zero crossings (None: fewer than 3)
    period_acf: float | None     # generator steps, from the autocorrelation peak (None: no peak)
    acf_peak: float | None       # rho at that peak
    amplitude: float             # of mean D(G(z)) (probability units)
    amplitude_mean_fake: float   # of mean G(z) (data units)
    period_mean_fake: float | None  # generator steps, autocorrelation peak of mean G(z) (its own cycle)
    growth: float | None         # late / early amplitude
    cycles: float | None
    oscillating: bool


def _detrend(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    A = np.stack([s, np.ones_like(s)], axis=1)  # [W, 2]
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return y - A @ coef


def _crossings(s: np.ndarray, r: np.ndarray) -> np.ndarray:
    out = []
    for j in range(len(r) - 1):
        if r[j] == 0.0:
            out.append(s[j])
        elif r[j] * r[j + 1] < 0:
            out.append(s[j] + (s[j + 1] - s[j]) * r[j] / (r[j] - r[j + 1]))
    return np.array(out, dtype=np.float64)


def _acf(r: np.ndarray) -> np.ndarray:
    n = len(r)
    den = float(np.dot(r, r))
    L = n // 2 + 1
    if den == 0.0:
        return np.zeros(L)
    return np.array([float(np.dot(r[: n - l], r[l:])) / den for l in range(L)])


def _acf_peak(rho: np.ndarray) -> tuple[int, float] | None:
    neg = np.nonzero(rho < 0)[0]
    if len(neg) == 0:
        return None
    best = None
    for l in range(int(neg[0]) + 1, len(rho) - 1):
        if rho[l] >= rho[l - 1] and rho[l] >= rho[l + 1] and (best is None or rho[l] > rho[best]):
            best = l
    return None if best is None else (best, float(rho[best]))


def _half_range(a: np.ndarray) -> float:
    return float((a.max() - a.min()) / 2) if a.size else 0.0


def measure(steps, d_fake, mean_fake) -> Oscillation:
    """The oscillation of mean D(G(z)) (``d_fake`` [S]) over snapshot ``steps`` [S]; ``mean_fake`` [S, d]."""
    s = np.asarray(steps, dtype=np.float64)
    y = np.asarray(d_fake, dtype=np.float64)
    m = np.asarray(mean_fake, dtype=np.float64).reshape(len(s), -1)  # [S, d]
    w = s >= SKIP * s[-1]
    s, y, m = s[w], y[w], m[w]
    r = _detrend(s, y) if len(s) >= 3 else y - y.mean()
    rm = np.stack([_detrend(s, m[:, j]) if len(s) >= 3 else m[:, j] - m[:, j].mean() for j in range(m.shape[1])], 1)
    moving = int(np.argmax(rm.max(axis=0) - rm.min(axis=0)))
    c = _crossings(s, r)
    rho = _acf(r)
    peak = _acf_peak(rho)
    dt = float(np.median(np.diff(s))) if len(s) > 1 else 0.0
    period_acf = None if peak is None else peak[0] * dt
    third = max(len(r) // 3, 1)
    early = _half_range(r[:third])
    growth = None if early == 0.0 or len(r) < 3 else _half_range(r[-third:]) / early
    span = float(s[-1] - s[0]) if len(s) else 0.0
    cycles = None if not period_acf else span / period_acf
    amp = _half_range(r)
    peak_m = _acf_peak(_acf(rm[:, moving]))
    osc = bool(peak is not None and peak[1] >= MIN_PEAK and (cycles or 0.0) >= MIN_CYCLES and amp >= MIN_AMPLITUDE)
    return Oscillation(window_start=int(s[0]) if len(s) else 0, steps=s, detrended=r, crossings=c, acf=rho,
                       period_zero=float(2 * np.mean(np.diff(c))) if len(c) >= 3 else None,
                       period_acf=period_acf, acf_peak=None if peak is None else peak[1], amplitude=amp,
                       amplitude_mean_fake=_half_range(rm[:, moving]),
                       period_mean_fake=None if peak_m is None else peak_m[0] * dt, growth=growth, cycles=cycles, oscillating=osc)
