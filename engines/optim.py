"""Optimisers and gradient clipping, written once: used by the GAN training (:mod:`engines.gan`),
the seq2seq training script (:mod:`engines.seq2seq_train`) and the RNN engine's clipping.

Notation
--------
``theta`` a parameter array, ``g`` its gradient, ``lr`` the learning rate, ``t`` the number of
steps taken (1, 2, ...), ``m``, ``v`` Adam's first and second moment estimates (zeros at first),
``b1``, ``b2`` their decay rates, ``eps`` a small constant, ``beta`` a clipping threshold.

Equations
---------
    SGD:   theta <- theta - lr g
    Adam:  m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
           theta <- theta - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    global norm:        ||g|| = sqrt(Σ over every array of Σ g^2)
    clipping by norm:   g <- (beta / ||g||) g   if ||g|| > beta, else g unchanged

An optimiser updates the arrays it is given **in place** (a training loop owns them; the GAN's
are views into one flat vector); it never keeps references to the gradients.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import InputError

OPTIMIZERS = ("sgd", "adam")


class SGD:
    """theta <- theta - lr g."""

    def __init__(self, lr: float):
        self.lr = lr

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        for theta, g in zip(params, grads):
            theta -= self.lr * g


class Adam:
    """Adam (Kingma & Ba 2015) with bias-corrected moments; state starts at zero on the first step."""

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m: list[np.ndarray] = []
        self.v: list[np.ndarray] = []

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        if not self.m:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        for theta, g, m, v in zip(params, grads, self.m, self.v):
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            mhat = m / (1 - self.b1 ** self.t)
            vhat = v / (1 - self.b2 ** self.t)
            theta -= self.lr * mhat / (np.sqrt(vhat) + self.eps)


def make(kind: str, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> SGD | Adam:
    """An optimiser by name: ``sgd`` or ``adam``."""
    if kind == "sgd":
        return SGD(lr)
    if kind == "adam":
        return Adam(lr, beta1, beta2, eps)
    raise InputError(f"unknown optimizer {kind!r}; expected one of: {', '.join(OPTIMIZERS)}")


def global_norm(grads: Sequence[np.ndarray]) -> float:
    """sqrt of the sum of squares over every array."""
    return float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))


def clip_scale(norm: float, beta: float) -> float:
    """The factor of clipping by norm: beta / ||g|| if ||g|| > beta, else 1."""
    return beta / norm if norm > beta else 1.0
