"""PennyLane lightning.qubit backends: lightning-adjoint, lightning-shift.

A TorchLayer on ``lightning.qubit`` with ``diff_method=spec.diff_method``; see
``pennylane_common`` for the compilation and the traps handled. Threads:
lightning's OpenMP team follows torch's thread count in this process, so
``threads`` is applied with ``torch.set_num_threads`` (see ``configure_threads``).
"""
from __future__ import annotations

import torch

from backends.description import Circuit
from backends.pennylane.common import PennyLaneLayer, build_pennylane

SIMULATOR = "lightning.qubit"


def build(circuit: Circuit, weights: torch.Tensor, *, spec=None, shots=None, threads=None) -> PennyLaneLayer:
    return build_pennylane(circuit, weights, simulator=SIMULATOR, spec=spec, shots=shots, threads=threads)
