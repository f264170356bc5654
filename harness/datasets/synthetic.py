"""A seeded synthetic classification set of any width, for the scaling workload.

Features are uniform in [-pi, pi); the label says whether the mean of sin(x_i)
is positive, so the set is learnable at every width and two seeds give two
different sets.
"""
from __future__ import annotations

import math

import torch

from backends import checks


def load_synthetic(n_features: int = 4, train_size: int = 64, test_size: int = 32, seed: int = 0):
    n_features = checks.ranged("qubits", n_features)       # one feature per qubit of the entangler
    train_size = checks.whole("train size", train_size, 1, 10 ** 7)
    test_size = checks.whole("test size", test_size, 1, 10 ** 7)
    gen = torch.Generator().manual_seed(int(seed))
    X = (torch.rand(train_size + test_size, n_features, generator=gen) * 2 - 1) * math.pi
    y = (torch.sin(X).mean(dim=1) > 0).long()
    return (X[:train_size], y[:train_size]), (X[train_size:], y[train_size:])
