"""Initial circuit weights, drawn by the harness so every backend starts equal."""
from __future__ import annotations

import math

import torch

from backends.circuit import Circuit


def initial_weights(circuit: Circuit, seed: int) -> torch.Tensor:
    """Uniform in [0, 2*pi), as PennyLane's TorchLayer draws them; float32, from ``seed`` alone."""
    gen = torch.Generator().manual_seed(int(seed))
    return (torch.rand(circuit.n_weights, generator=gen, dtype=torch.float64) * 2 * math.pi).float()
