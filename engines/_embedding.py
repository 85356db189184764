"""Analysis of a learned embedding matrix (rows = words): cosine similarities, nearest neighbours,
group scores and a 2-D PCA. Pure numpy; used by :mod:`engines.word2vec`, kept apart so the
trainer's module stays short."""
from __future__ import annotations

import numpy as np


def cosine_matrix(M: np.ndarray) -> np.ndarray:
    """cos(a, b) of every pair of rows: [n, d] -> [n, n] (a zero row has cosine 0 with everything)."""
    norms = np.linalg.norm(M, axis=1, keepdims=True)                        # [n, 1]
    Mn = np.divide(M, norms, out=np.zeros_like(M), where=norms > 0)
    return Mn @ Mn.T                                                        # [n, d] @ [d, n] -> [n, n]


def nearest(cos: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k most similar other words of each word (ties: lower index first): [n, k] each."""
    n = cos.shape[0]
    idx = np.empty((n, k), dtype=np.int64)
    for i in range(n):
        others = [j for j in np.argsort(-cos[i], kind="stable") if j != i]
        idx[i] = others[:k]
    return idx, np.take_along_axis(cos, idx, axis=1)


def group_scores(cos: np.ndarray, idx: np.ndarray, group_of: tuple[str, ...]) -> dict:
    grouped = [i for i, g in enumerate(group_of) if g]
    if not grouped:
        return dict(neighbour_accuracy=None, group_accuracy={}, cos_within=None, cos_between=None)
    hit = {i: group_of[int(idx[i, 0])] == group_of[i] for i in grouped}
    per = {}
    for g in dict.fromkeys(group_of[i] for i in grouped):
        members = [i for i in grouped if group_of[i] == g]
        per[g] = float(np.mean([hit[i] for i in members]))
    within = [cos[a, b] for a in grouped for b in grouped if a < b and group_of[a] == group_of[b]]
    between = [cos[a, b] for a in grouped for b in grouped if a < b and group_of[a] != group_of[b]]
    return dict(neighbour_accuracy=float(np.mean(list(hit.values()))), group_accuracy=per,
                cos_within=float(np.mean(within)) if within else None,
                cos_between=float(np.mean(between)) if between else None)


def pca2(M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2-D PCA by the SVD of the centred matrix: coordinates [n, 2], components [2, d], variance ratios."""
    X = M - M.mean(axis=0)                                                  # [n, d]
    _, S, Qt = np.linalg.svd(X, full_matrices=False)                        # S [r], Qt [r, d]
    comps = Qt[:2].copy()                                                   # [2, d]
    for i in range(comps.shape[0]):
        if comps[i, np.argmax(np.abs(comps[i]))] < 0:                       # deterministic sign
            comps[i] = -comps[i]
    total = float(np.sum(S ** 2))
    ratio = S ** 2 / total if total > 0 else np.zeros_like(S)
    return X @ comps.T, comps, ratio                                        # [n, d] @ [d, 2] -> [n, 2]
