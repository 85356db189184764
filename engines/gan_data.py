"""The GAN's training data and the statistics its snapshots report.

Data: a Gaussian mixture (1-D or 2-D), a ring of Gaussians, two moons, or points from a CSV file
(standardised per coordinate for training). Statistics: the histogram Jensen-Shannon divergence in
bits and the high-quality samples per mixture mode (Equations: :mod:`engines.gan`).
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError
from .io import as_array, check_keys, check_shape

DATA_KEYS = {"mixture": ("data", "means", "stds", "weights"), "ring": ("data", "modes", "radius", "std"),
             "moons": ("data", "noise"), "csv": ("data_csv",)}
INPUT_KEYS = tuple(dict.fromkeys(k for ks in DATA_KEYS.values() for k in ks))


# --------------------------------------------------------------------------- data

@dataclass(frozen=True)
class Data:
    """A training distribution. Samples come out in *training* coordinates (x - shift) / scale."""
    kind: str
    dim: int
    means: np.ndarray | None = None     # [K, d]
    stds: np.ndarray | None = None      # [K]
    weights: np.ndarray | None = None   # [K]
    noise: float = 0.0                  # moons
    points: np.ndarray | None = None    # [N, d] csv (standardised)
    shift: np.ndarray | None = None     # [d]
    scale: np.ndarray | None = None     # [d]
    label: str = ""

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.kind == "mixture":
            k = rng.choice(len(self.weights), size=n, p=self.weights)  # [n]
            return self.means[k] + self.stds[k][:, None] * rng.standard_normal((n, self.dim))  # [n, d]
        if self.kind == "moons":
            upper = rng.random(n) < 0.5
            t = np.pi * rng.random(n)
            x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
            y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
            return np.stack([x, y], axis=1) + self.noise * rng.standard_normal((n, 2))  # [n, 2]
        idx = rng.integers(0, len(self.points), size=n)
        return self.points[idx]  # [n, d]

    def to_user(self, x: np.ndarray) -> np.ndarray:
        return x if self.shift is None else x * self.scale + self.shift

    def from_user(self, x: np.ndarray) -> np.ndarray:
        return x if self.shift is None else (x - self.shift) / self.scale


def read_csv_points(path: str) -> np.ndarray:
    """Rows ``x`` or ``x,y`` (one optional header line) -> [N, d]. One-line InputError otherwise."""
    p = os.fspath(path)
    try:
        with open(p, newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh)]
    except FileNotFoundError:
        raise InputError(f"data CSV {p!r} does not exist; expected a file of x or x,y rows") from None
    except IsADirectoryError:
        raise InputError(f"data CSV {p!r} is a directory; expected a file of x or x,y rows") from None
    except (UnicodeDecodeError, OSError, csv.Error) as e:
        raise InputError(f"cannot read data CSV {p!r} ({e.__class__.__name__}); expected a text file of x or x,y rows") from None
    pts = []
    width = None
    for n, row in enumerate(rows, 1):
        cells = [c.strip() for c in row]
        if not cells or all(c == "" for c in cells):
            continue
        try:
            vals = [float(c) for c in cells]
        except ValueError:
            if n == 1 and not pts:
                continue  # a header line
            raise InputError(f"data CSV {p!r} line {n}: {','.join(cells)[:40]!r} is not numeric; expected rows of x or x,y") from None
        if len(vals) not in (1, 2):
            raise InputError(f"data CSV {p!r} line {n} has {len(vals)} columns; expected rows of x or x,y (1 or 2 columns)")
        if width is None:
            width = len(vals)
        elif len(vals) != width:
            raise InputError(f"data CSV {p!r} line {n} has {len(vals)} columns but earlier rows have {width}; expected the same in every row")
        if not all(np.isfinite(vals)):
            raise InputError(f"data CSV {p!r} line {n} contains NaN or inf; expected finite numbers")
        pts.append(vals)
    if len(pts) < 8:
        raise InputError(f"data CSV {p!r} has {len(pts)} numeric rows; expected at least 8 rows of x or x,y")
    arr = np.array(pts, dtype=np.float64)  # [N, d]
    if np.any(arr.std(axis=0) == 0):
        raise InputError(f"data CSV {p!r}: a column is constant; expected points that vary in every coordinate")
    return arr


def make_data(inputs: dict[str, Any]) -> Data:
    if not isinstance(inputs, dict):
        raise InputError('GAN inputs must be an object like {"data": "mixture", "means": [...], "stds": [...], "weights": [...]}')
    kind = "csv" if "data_csv" in inputs else inputs.get("data")
    accepted = DATA_KEYS[kind] if kind in DATA_KEYS else INPUT_KEYS
    check_keys(inputs, accepted, "input key")
    if "data_csv" in inputs:
        pts = read_csv_points(inputs["data_csv"])
        shift, scale = pts.mean(axis=0), pts.std(axis=0)
        return Data("csv", pts.shape[1], points=(pts - shift) / scale, shift=shift, scale=scale,
                    label=f"csv {os.path.basename(os.fspath(inputs['data_csv']))} ({len(pts)} points)")
    kind = inputs.get("data")
    if kind == "mixture":
        for k in ("means", "stds"):
            if k not in inputs:
                raise InputError(f'mixture data needs "{k}"; expected {{"data": "mixture", "means": [K] or [K, 2], "stds": [K], "weights": [K]}}')
        means = as_array("means", inputs["means"])
        if means.ndim == 1:
            means = means[:, None]  # [K] -> [K, 1]
        if means.ndim != 2 or means.shape[1] not in (1, 2):
            raise InputError(f"means has shape {means.shape}, expected [K] (1-D data) or [K, 2] (2-D data)")
        K = means.shape[0]
        stds = as_array("stds", inputs["stds"], 1)
        check_shape("stds", stds, (K,), "(K,) one std per mode")
        if np.any(stds <= 0):
            raise InputError("stds must be positive")
        w = as_array("weights", inputs.get("weights", [1.0] * K), 1)
        check_shape("weights", w, (K,), "(K,) one weight per mode")
        if np.any(w < 0) or w.sum() <= 0:
            raise InputError("weights must be non-negative with a positive sum")
        return Data("mixture", means.shape[1], means, stds, w / w.sum(), label=f"mixture of {K} Gaussians")
    if kind == "ring":
        modes = inputs.get("modes", 8)
        if not isinstance(modes, int) or isinstance(modes, bool) or modes < 1:
            raise InputError(f"ring modes is {modes!r}, expected a positive integer")
        radius = float(as_array("radius", inputs.get("radius", 2.0), 0))
        std = float(as_array("std", inputs.get("std", 0.05), 0))
        if radius <= 0 or std <= 0:
            raise InputError("ring radius and std must be positive")
        ang = 2 * np.pi * np.arange(modes) / modes
        means = radius * np.stack([np.cos(ang), np.sin(ang)], axis=1)  # [K, 2]
        return Data("mixture", 2, means, np.full(modes, std), np.full(modes, 1.0 / modes),
                    label=f"ring of {modes} Gaussians (radius {radius:g}, std {std:g})")
    if kind == "moons":
        noise = float(as_array("noise", inputs.get("noise", 0.05), 0))
        if noise < 0:
            raise InputError("moons noise must be >= 0")
        return Data("moons", 2, noise=noise, label=f"two moons (noise {noise:g})")
    raise InputError(f"unknown GAN data {kind!r}; expected inputs {{\"data\": \"mixture\"|\"ring\"|\"moons\", ...}} "
                     f"or {{\"data_csv\": \"points.csv\"}}")


# --------------------------------------------------------------------------- statistics

def js_bits(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence of two histograms (normalised inside), in bits, in [0, 1]."""
    p = p / p.sum()
    q = q / q.sum()
    m = 0.5 * (p + q)

    def kl(a):
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / m[nz])))
    return 0.5 * kl(p) + 0.5 * kl(q)


def histogram(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of samples per bin (``edges`` [d, nb+1]); out-of-range samples land in the edge bins."""
    d, nb = edges.shape[0], edges.shape[1] - 1
    idx = np.zeros(len(x), dtype=np.int64)
    for j in range(d):
        lo, hi = edges[j, 0], edges[j, -1]
        k = np.clip(np.floor((x[:, j] - lo) / (hi - lo) * nb).astype(np.int64), 0, nb - 1)
        idx = idx * nb + k
    counts = np.bincount(idx, minlength=nb ** d).astype(np.float64)
    return (counts / len(x)).reshape((nb,) * d)  # [nb] or [nb, nb]


def mode_counts(x: np.ndarray, means: np.ndarray, stds: np.ndarray) -> np.ndarray:
    """High-quality samples per mode: nearest centre, within 3 std of it."""
    dist = np.sqrt(((x[:, None, :] - means[None, :, :]) ** 2).sum(axis=2))  # [n, K]
    k = np.argmin(dist, axis=1)
    hq = dist[np.arange(len(x)), k] < 3 * stds[k]
    return np.bincount(k[hq], minlength=len(means)).astype(np.int64)

