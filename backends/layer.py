"""What every backend's quantum layer shares: input checks and the output map.

A backend subclasses ``QuantumLayer`` and implements ``expectations(x)``, which
returns the raw expectation values of each output's measured operator
(``Observable.measured``: a bare Pauli word, or a whole weighted sum),
(batch, n_outputs), in any float dtype. ``forward`` checks the batch first, so a wrong shape is refused
before any simulator sees it, and maps the raw values through each
observable's ``offset + scale * <P>`` into float32.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from backends.description import Circuit
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


@dataclass(frozen=True)
class WorkCount:
    """Circuits simulated for one forward + backward of one batch, counted the same way everywhere.

    ``values``: circuits simulated to produce the outputs. ``gradient_circuits``:
    extra circuits simulated only for the gradient (parameter-shift's shifted
    circuits). ``adjoint_passes``: the reverse sweeps of the adjoint method,
    one per observable of each circuit for a Jacobian, one per circuit for a
    vector-Jacobian product (``device_vjp``). Autograd through a statevector (backprop, the torch
    reference) simulates nothing extra: both gradient counts are 0.
    ``gradient_in_forward``: the gradient work happened inside the forward call.
    """

    values: int
    gradient_circuits: int
    adjoint_passes: int
    gradient_in_forward: bool
    simulator_calls: int | None = None       # calls into the simulator, where the backend sees them

    def as_row(self) -> dict:
        return {"value_executions_per_eval": self.values,
                "gradient_executions_per_eval": self.gradient_circuits,
                "adjoint_passes_per_eval": self.adjoint_passes,
                "simulator_calls_per_eval": self.simulator_calls}


class QuantumLayer(nn.Module):
    """Base of every backend's layer: (batch, n_inputs) -> (batch, n_outputs) float32."""

    backend_name = "?"

    def __init__(self, circuit: Circuit, shots: int | None = None):
        super().__init__()
        self.circuit = circuit
        self.shots = shots
        # Counters by the pass they happen in. ``simulator_calls``: calls into the
        # simulator; ``executions``: circuits it simulated (one per parameter row).
        # Backends that run their own simulator keep them always (it costs a
        # dict update per call); the PennyLane layers count through the device
        # only inside ``count_work``.
        self.simulator_calls = {"forward": 0, "backward": 0}
        self.executions = {"forward": 0, "backward": 0}
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

    def settings(self) -> dict:
        """Backend settings that can change a figure, recorded in the result row."""
        return {}

    def reset_counters(self) -> None:
        # in place: the qiskit backends' wrapped simulator calls write into these very dicts
        for counters in (self.simulator_calls, self.executions, getattr(self, "estimator_calls", None)):
            if counters is not None:
                for key in counters:
                    counters[key] = 0

    def count_work(self, x: torch.Tensor) -> "WorkCount":
        """One forward and backward of batch ``x``, counting the circuits simulated.

        Run outside every timed span: the counting itself may cost time.
        Leaves gradients on the parameters; the caller zeroes them.
        """
        self.reset_counters()
        out = self(x)
        forward = dict(self.executions)
        out.sum().backward()
        backward = {k: self.executions[k] - forward[k] for k in forward}
        # our own simulators: forward-phase circuits give values, backward-phase ones the gradient
        return WorkCount(values=forward["forward"], gradient_circuits=backward["backward"] + forward["backward"],
                         adjoint_passes=0, gradient_in_forward=forward["backward"] > 0,
                         simulator_calls=sum(self.simulator_calls.values()))

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
