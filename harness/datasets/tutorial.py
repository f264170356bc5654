"""The TorchConnector tutorial's Part 1 data (qiskit-machine-learning's documentation), drawn the way the tutorial draws it.

The tutorial takes every random number from one numpy generator
(``algorithm_globals.random``, which is ``np.random.default_rng(42)``), in this
order: the classification points (20 x 2, uniform in [-1, 1]), the
classifier's 8 initial weights, the sampler classifier's 4, the regression
points (20 x 1, uniform in [-pi, pi]), their noise (20 x 1, uniform in
[-0.2, 0.2]) and the regression's one weight; each weight is
``0.1 * (2 * u - 1)``. ``TutorialStream`` replays that order from ``seed``,
so seed 42 gives the tutorial's own training data and initial weights (the
tests check its printed weights) and any other seed is another draw of the
same kind.

Test sets are separate draws of the same kind and size from a generator of
their own (numpy's ``SeedSequence(seed)`` spawned once), so they share no
numbers with the training stream.

Labels: classification gives int64 class indices in {0, 1} (1 where
x0 + x1 >= 0; the classify task maps them to the tutorial's -1/+1);
regression gives float32 targets of shape (N, 1).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from backends import checks

TUTORIAL_SIZE = 20           # points in each of the tutorial's data sets
NOISE = 0.2                  # half-width of the regression noise
# the tutorial's draws of initial weights, in stream order, by the circuit they start
WEIGHT_ORDER = (("tutorial-classify", 8), ("tutorial-parity", 4), ("tutorial-regress", 1))


def _check(name: str, value, minimum: int = 1) -> int:
    return checks.ranged("seed", value) if name == "seed" else checks.whole(name.replace("_", " "), value, minimum,
                                                                           10 ** 7)


def _classification(rng: np.random.Generator, n: int):
    X = 2 * rng.random([n, 2]) - 1
    return X, (np.sum(X, axis=1) >= 0).astype(np.int64)


def _regression(rng: np.random.Generator, n: int, noise: float):
    X = 2 * math.pi * rng.random([n, 1]) - math.pi
    return X, np.sin(X) + noise * (2 * rng.random([n, 1]) - 1)


def _weights(rng: np.random.Generator, n: int) -> np.ndarray:
    return 0.1 * (2 * rng.random(n) - 1)


@dataclass(frozen=True)
class TutorialStream:
    """Everything Part 1 draws from one generator seeded with ``seed``, in the tutorial's order."""

    classify_x: np.ndarray
    classify_y: np.ndarray
    weights: dict
    regress_x: np.ndarray
    regress_y: np.ndarray

    @classmethod
    def draw(cls, seed: int, n_classify: int = TUTORIAL_SIZE, n_regress: int = TUTORIAL_SIZE,
             noise: float = NOISE) -> "TutorialStream":
        rng = np.random.default_rng(seed)
        cx, cy = _classification(rng, n_classify)
        weights = {name: _weights(rng, n) for name, n in WEIGHT_ORDER[:2]}
        rx, ry = _regression(rng, n_regress, noise)
        weights[WEIGHT_ORDER[2][0]] = _weights(rng, WEIGHT_ORDER[2][1])
        return cls(cx, cy, weights, rx, ry)


def _test_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


def _tensors(X, y, y_dtype):
    return torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y.astype(y_dtype))


def load_tutorial_classification(train_size: int = TUTORIAL_SIZE, test_size: int = TUTORIAL_SIZE, seed: int = 0):
    """Points uniform in [-1, 1]^2, class 1 where x0 + x1 >= 0: ``(X_train, y_train), (X_test, y_test)``."""
    n_train, n_test = _check("train_size", train_size), _check("test_size", test_size)
    seed = _check("seed", seed, 0)
    stream = TutorialStream.draw(seed, n_classify=n_train)
    test = _classification(_test_rng(seed), n_test)
    return (_tensors(stream.classify_x, stream.classify_y, np.int64), _tensors(*test, np.int64))


def load_tutorial_regression(train_size: int = TUTORIAL_SIZE, test_size: int = TUTORIAL_SIZE, seed: int = 0,
                             noise: float = NOISE):
    """x uniform in [-pi, pi], y = sin(x) + noise uniform in [-noise, noise]; X and y float32 (N, 1)."""
    n_train, n_test = _check("train_size", train_size), _check("test_size", test_size)
    seed = _check("seed", seed, 0)
    noise = checks.real("noise", noise, 0.0, 10.0)
    stream = TutorialStream.draw(seed, n_regress=n_train, noise=float(noise))
    test = _regression(_test_rng(seed), n_test, float(noise))
    return (_tensors(stream.regress_x, stream.regress_y, np.float32), _tensors(*test, np.float32))


def tutorial_weights(circuit_name: str, seed: int) -> np.ndarray | None:
    """The tutorial's initial weights for one of its circuits, from the stream of ``seed``;
    None for a circuit the tutorial's Part 1 does not draw weights for."""
    if circuit_name not in dict(WEIGHT_ORDER):
        return None
    return TutorialStream.draw(seed).weights[circuit_name]
