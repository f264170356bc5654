"""PennyLane lightning.qubit backends: lightning-adjoint, lightning-shift.

A TorchLayer on ``lightning.qubit`` with ``diff_method=spec.diff_method``; see
``pennylane_common`` for the compilation and the traps handled. Threads:
lightning runs on OpenMP and reads ``OMP_NUM_THREADS`` once, when its compiled
module loads. The harness sets it in the child process's environment; if
``threads`` is given and lightning is not loaded yet, ``build`` sets it too.
"""
from __future__ import annotations

import torch

from backends.description import Circuit
from backends.pennylane.common import PennyLaneLayer, build_pennylane

SIMULATOR = "lightning.qubit"


def build(circuit: Circuit, weights: torch.Tensor, *, spec=None, shots=None, threads=None) -> PennyLaneLayer:
    return build_pennylane(circuit, weights, simulator=SIMULATOR, spec=spec, shots=shots, threads=threads)
