"""PennyLane default.qubit backends: default-backprop, default-adjoint, default-shift.

A TorchLayer on ``default.qubit`` with ``diff_method=spec.diff_method``; see
``pennylane_common`` for the compilation, the traps handled and threads
(default.qubit computes with torch, on torch's intra-op threads, which the
harness sets).
"""
from __future__ import annotations

import torch

from backends.description import Circuit
from backends.pennylane.common import PennyLaneLayer, build_pennylane

SIMULATOR = "default.qubit"


def build(circuit: Circuit, weights: torch.Tensor, *, spec=None, shots=None, threads=None) -> PennyLaneLayer:
    return build_pennylane(circuit, weights, simulator=SIMULATOR, spec=spec, shots=shots, threads=threads)
