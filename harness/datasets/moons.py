"""Two interleaving half-moons (scikit-learn ``make_moons``): the small 2-feature task.

Training and test sets are two separate draws: each gets its own seed, derived
from ``seed`` through numpy's SeedSequence, so they are independent samples of
the same distribution rather than one sample split in two.
"""
from __future__ import annotations

from importlib import metadata

import numpy as np
import torch

from backends import checks

from .cache import cached


def load_moons(train_size: int = 200, test_size: int = 100, noise: float = 0.1, seed: int = 0):
    """Half-moons as ``(X_train, y_train), (X_test, y_test)``: X float32 (N, 2), y int64 in {0, 1}."""
    # make_moons splits n into n//2 and n - n//2 points: fewer than 2 leaves a class empty
    n_train = checks.whole("train size", train_size, 2, 10 ** 7)
    n_test = checks.whole("test size", test_size, 2, 10 ** 7)
    noise = checks.real("noise", noise, 0.0, 10.0)
    seed = checks.ranged("seed", seed)

    train_seed, test_seed = (int(s.generate_state(1)[0]) for s in np.random.SeedSequence(int(seed)).spawn(2))

    def draw(n: int, state: int):
        def make() -> dict[str, np.ndarray]:
            from sklearn.datasets import make_moons         # about 1 s to import: once per machine, cached
            X, y = make_moons(n_samples=n, noise=float(noise), random_state=state)
            return {"X": X, "y": y}
        key = {"n_samples": n, "noise": float(noise), "random_state": state,
               "scikit-learn": metadata.version("scikit-learn"), "make": 1}
        arrays = cached("make-moons", key, make)
        return torch.from_numpy(arrays["X"].astype(np.float32)), torch.from_numpy(arrays["y"].astype(np.int64))

    return draw(n_train, train_seed), draw(n_test, test_seed)
