"""PennyLane-Qulacs backend: qulacs-shift.

A TorchLayer on the ``qulacs.simulator`` device of PennyLane-Qulacs 0.44 (a
legacy ``QubitDevice`` that PennyLane 0.45 wraps in its device facade), with
parameter-shift, the only gradient method the plugin offers (it has no
adjoint and no backprop). It is compiled and counted exactly as the other
PennyLane backends (``pennylane/common.py``): the facade splits the batch and
decomposes the gates qulacs does not implement (it runs RX, RY, RZ, CRZ,
PhaseShift and the fixed gates natively).

Seeds: the plugin's sampling draws from numpy's global generator (the legacy
``QubitDevice.generate_samples``) and takes no seed of its own, so with shots
that generator is seeded once, when the layer is built, from torch's global
generator: reproducible under ``torch.manual_seed`` like every other backend.

Threads: qulacs runs OpenMP loops sized by ``OMP_NUM_THREADS`` when its
library loads (and only on states above its own size threshold), so a
request is applied through that variable while qulacs is not loaded yet; the
child's thread environment is recorded in its row.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import torch

from backends.description import Circuit
from backends.pennylane.common import PennyLaneLayer, build_pennylane

SIMULATOR = "qulacs.simulator"


def configure_threads(threads: int | None) -> str:
    if threads is None:
        return "threads: inherited"
    if "qulacs" in sys.modules:
        return f"threads: qulacs already loaded (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')})"
    os.environ["OMP_NUM_THREADS"] = str(threads)
    return f"threads: {threads} (OMP_NUM_THREADS before qulacs loads)"


class QulacsLayer(PennyLaneLayer):
    """The common layer, with numpy's global generator seeded from the layer's sampling seed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.seed is not None:
            np.random.seed(self.seed)


def build(circuit: Circuit, weights: torch.Tensor, *, spec=None, shots=None, threads=None) -> PennyLaneLayer:
    return build_pennylane(circuit, weights, simulator=SIMULATOR, spec=spec, shots=shots, threads=threads,
                           configure=configure_threads, layer=QulacsLayer)
