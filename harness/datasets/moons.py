"""Two interleaving half-moons (scikit-learn ``make_moons``): the small 2-feature task.

Training and test sets are two separate draws: each gets its own seed, derived
from ``seed`` through numpy's SeedSequence, so they are independent samples of
the same distribution rather than one sample split in two.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
import torch

from backends.errors import UserError


def _check_size(name: str, value) -> int:
    # make_moons splits n into n//2 and n - n//2 points: fewer than 2 leaves a class empty.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 2:
        raise UserError(f"{name} must be an integer >= 2, got {value!r}")
    return int(value)


def load_moons(train_size: int = 200, test_size: int = 100, noise: float = 0.1, seed: int = 0):
    """Half-moons as ``(X_train, y_train), (X_test, y_test)``: X float32 (N, 2), y int64 in {0, 1}."""
    from sklearn.datasets import make_moons

    n_train = _check_size("train_size", train_size)
    n_test = _check_size("test_size", test_size)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not math.isfinite(noise) or noise < 0:
        raise UserError(f"noise must be a finite number >= 0, got {noise!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise UserError(f"seed must be a non-negative integer, got {seed!r}")

    train_seed, test_seed = (int(s.generate_state(1)[0]) for s in np.random.SeedSequence(int(seed)).spawn(2))

    def draw(n: int, state: int):
        X, y = make_moons(n_samples=n, noise=float(noise), random_state=state)
        return torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y.astype(np.int64))

    return draw(n_train, train_seed), draw(n_test, test_seed)
