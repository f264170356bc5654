"""What every backend's quantum layer shares: input checks and the output map.

A backend subclasses ``QuantumLayer`` and implements ``expectations(x)``, which
returns the raw Pauli-Z-string expectation values, (batch, n_outputs), in any
float dtype. ``forward`` checks the batch first, so a wrong shape is refused
before any simulator sees it, and maps the raw values through each
observable's ``offset + scale * <P>`` into float32.
"""
from __future__ import annotations

import torch
from torch import nn

from .circuit import Circuit
from .errors import ShapeError


def check_batch(circuit: Circuit, x) -> None:
    """Refuse anything but a (batch, n_inputs) floating tensor, naming both shapes.

    The Qiskit textbook's reshape turned one image into a 25-row batch for a
    1-input layer and nothing complained; here it is a clear error.
    """
    expected = f"(batch, {circuit.n_inputs})"
    if not torch.is_tensor(x):
        raise ShapeError(f"circuit '{circuit.name}' expects a tensor of shape {expected}; "
                         f"received {type(x).__name__}")
    if x.dim() != 2 or x.shape[1] != circuit.n_inputs or x.shape[0] < 1:
        raise ShapeError(f"circuit '{circuit.name}' expects input of shape {expected}; "
                         f"received {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ShapeError(f"circuit '{circuit.name}' expects floating-point input; received {x.dtype}")


def check_weights(circuit: Circuit, weights) -> torch.Tensor:
    weights = torch.as_tensor(weights, dtype=torch.float32)
    if weights.shape != (circuit.n_weights,):
        raise ShapeError(f"circuit '{circuit.name}' has {circuit.n_weights} weights; "
                         f"received initial weights of shape {tuple(weights.shape)}")
    return weights.detach().clone()


class QuantumLayer(nn.Module):
    """Base of every backend's layer: (batch, n_inputs) -> (batch, n_outputs) float32."""

    backend_name = "?"

    def __init__(self, circuit: Circuit, shots: int | None = None):
        super().__init__()
        self.circuit = circuit
        self.shots = shots
        # Counters the harness reads; backends that can count them update them.
        self.simulator_calls = {"forward": 0, "backward": 0}
        self.circuit_executions = 0
        scales = [o.scale for o in circuit.observables]
        offsets = [o.offset for o in circuit.observables]
        self.register_buffer("_scale", torch.tensor(scales, dtype=torch.float64), persistent=False)
        self.register_buffer("_offset", torch.tensor(offsets, dtype=torch.float64), persistent=False)

    def expectations(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_batch(self.circuit, x)
        raw = self.expectations(x)
        out = self._offset + self._scale * raw.to(torch.float64)
        return out.to(torch.float32)

    def extra_repr(self) -> str:
        shots = "exact" if self.shots is None else f"shots={self.shots}"
        return f"backend={self.backend_name}, circuit={self.circuit.name}, {shots}"


def quantum_weights(layer: nn.Module):
    """The layer's trainable circuit weights, whatever the framework calls them.

    Found by shape, (n_weights,), so TorchLayer's ``weights``, TorchConnector's
    ``weight`` and our own ``weights`` are all found; None when the layer has no
    such parameter (the classical twin, or a circuit with no weights).
    """
    n = layer.circuit.n_weights
    found = [p for p in layer.parameters() if tuple(p.shape) == (n,)]
    return found[0] if n and len(found) == 1 else None
