"""Initial circuit weights, drawn by the harness so every backend starts equal.

A task names its scheme (``TaskSpec.weights``); each is a function of the
circuit and the seed alone:

- ``uniform-2pi``: uniform in [0, 2*pi), as PennyLane's TorchLayer draws them;
- ``connector``: uniform in [-1, 1), what ``TorchConnector`` draws when given
  none (the TorchConnector tutorial's MNIST network relies on it);
- ``tutorial``: uniform in [-0.1, 0.1], ``0.1 * (2 * u - 1)``, drawn where the
  TorchConnector tutorial's Part 1 draws them in its one numpy stream (see
  ``harness.datasets.tutorial``), so seed 42 gives its printed weights.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from backends.description import Circuit
from backends.errors import UserError

SCHEMES = ("uniform-2pi", "connector", "tutorial")


def initial_weights(circuit: Circuit, seed: int, scheme: str = "uniform-2pi") -> torch.Tensor:
    """float32 (n_weights,), from ``seed`` and ``scheme`` alone."""
    if scheme not in SCHEMES:
        raise UserError(f"unknown initial-weight scheme '{scheme}'; valid: {', '.join(SCHEMES)}")
    gen = torch.Generator().manual_seed(int(seed))
    if scheme == "uniform-2pi":
        return (torch.rand(circuit.n_weights, generator=gen, dtype=torch.float64) * 2 * math.pi).float()
    if scheme == "connector":
        return (torch.rand(circuit.n_weights, generator=gen, dtype=torch.float64) * 2 - 1).float()
    from harness.datasets.tutorial import tutorial_weights
    drawn = tutorial_weights(circuit.name, int(seed))
    if drawn is None:            # not one of Part 1's circuits: the same distribution, its own draw
        drawn = 0.1 * (2 * np.random.default_rng(int(seed)).random(circuit.n_weights) - 1)
    return torch.from_numpy(np.asarray(drawn, dtype=np.float64)).float()
