"""What the PennyLane backends share: circuit -> QNode -> TorchLayer.

The circuit description is compiled by walking ``Circuit.gates`` into a QNode
function ``qnode(inputs, weights)`` (just ``qnode(inputs)`` for a circuit
without weights, such as the textbook's). Inputs are indexed ``inputs[..., i]``
so that the whole (batch, n_inputs) tensor goes through in one call (parameter
broadcasting). The QNode is wrapped in ``qml.qnn.TorchLayer`` exactly as users
do, and the TorchLayer's weights are then set to the given initial weights, so
every backend starts from identical numbers.

Traps handled here (see /work/shared/notes/library-facts.md):

* ``diff_method="parameter-shift"`` inside a TorchLayer with a batch fails
  ("Computing the gradient of broadcasted tapes ... not supported"); the QNode
  is wrapped in ``qml.transforms.broadcast_expand`` for that method.
* Shots go on the QNode (``qml.QNode(..., shots=N)``); device-level shots are
  deprecated. With shots the device is seeded from torch's global generator
  when the layer is built, so runs are reproducible under ``torch.manual_seed``.
* backprop through complex amplitudes warns "Casting complex values to real
  discards the imaginary part": harmless, filtered.

Threads:

* lightning.qubit runs on OpenMP threads from its own bundled libgomp, which
  reads ``OMP_NUM_THREADS`` once, when lightning's compiled module is first
  loaded. The harness sets ``OMP_NUM_THREADS`` in the child process's
  environment before anything is imported; as a fallback, when ``threads`` is
  given and lightning is not loaded yet, ``configure_threads`` sets it in
  ``os.environ`` here. Once lightning is loaded the thread count can no longer
  change; a differing request then only warns.
* default.qubit computes with torch, so it runs on torch's intra-op threads,
  which the harness sets (``torch.set_num_threads``); nothing is done here.
"""
from __future__ import annotations

import functools
import operator
import os
import sys
import warnings

import torch

from .circuit import Circuit
from .layer import QuantumLayer

_CAST_WARNING = "Casting complex values to real discards the imaginary part"
warnings.filterwarnings("ignore", message=_CAST_WARNING)

_LIGHTNING_OPS = "pennylane_lightning.lightning_qubit_ops"


def configure_threads(simulator: str, threads: int | None) -> str:
    """Apply a thread request for ``simulator``; return a short note of what happened."""
    if threads is None:
        return "threads: inherited"
    if simulator != "lightning.qubit":
        return f"threads: torch intra-op threads (now {torch.get_num_threads()}), set by the harness"
    current = os.environ.get("OMP_NUM_THREADS")
    if _LIGHTNING_OPS not in sys.modules:
        os.environ["OMP_NUM_THREADS"] = str(threads)
        return f"threads: OMP_NUM_THREADS={threads} set before lightning was loaded"
    if current != str(threads):
        warnings.warn(f"lightning.qubit is already loaded with OMP_NUM_THREADS={current}; "
                      f"threads={threads} cannot take effect in this process "
                      f"(set OMP_NUM_THREADS in the environment before starting Python)",
                      RuntimeWarning, stacklevel=3)
        return f"threads: OMP_NUM_THREADS={current} (lightning already loaded; {threads} requested)"
    return f"threads: OMP_NUM_THREADS={threads}"


def _z_string(qml, wires):
    if not wires:
        return qml.Identity(0)
    return functools.reduce(operator.matmul, [qml.PauliZ(w) for w in wires])


def circuit_function(circuit: Circuit):
    """The QNode's quantum function, compiled from the gate list.

    ``qnode(inputs, weights)``, or ``qnode(inputs)`` when the circuit has no
    weights: TorchLayer requires every non-input argument to have a shape.
    """
    import pennylane as qml

    gates = circuit.gates
    observables = circuit.observables

    def body(inputs, weights):
        inp = lambda i: inputs[..., i]          # noqa: E731  (batch-friendly indexing)
        wgt = lambda j: weights[j]              # noqa: E731
        for gate in gates:
            if gate.name == "H":
                qml.Hadamard(wires=gate.wires[0])
            elif gate.name == "CNOT":
                qml.CNOT(wires=list(gate.wires))
            elif gate.name == "RX":
                qml.RX(gate.angle.evaluate(inp, wgt), wires=gate.wires[0])
            elif gate.name == "RY":
                qml.RY(gate.angle.evaluate(inp, wgt), wires=gate.wires[0])
            elif gate.name == "RZ":
                qml.RZ(gate.angle.evaluate(inp, wgt), wires=gate.wires[0])
            else:  # pragma: no cover - Circuit only builds the gates above
                raise ValueError(f"unknown gate {gate.name!r}")
        return [qml.expval(_z_string(qml, obs.wires)) for obs in observables]

    if circuit.n_weights:
        def qnode(inputs, weights):
            return body(inputs, weights)
    else:
        def qnode(inputs):
            return body(inputs, None)
    qnode.__name__ = f"{circuit.name}_circuit"
    return qnode


def make_torch_layer(circuit: Circuit, weights: torch.Tensor, *, simulator: str, diff_method: str,
                     shots: int | None = None, seed: int | None = None):
    """A ``qml.qnn.TorchLayer`` for ``circuit`` whose weights start at ``weights``."""
    import pennylane as qml

    device_kwargs = {"wires": circuit.n_qubits}
    if seed is not None:
        device_kwargs["seed"] = seed
    dev = qml.device(simulator, **device_kwargs)
    qnode_kwargs = {"interface": "torch", "diff_method": diff_method}
    if shots is not None:
        qnode_kwargs["shots"] = shots
    qnode = qml.QNode(circuit_function(circuit), dev, **qnode_kwargs)
    if diff_method == "parameter-shift":
        # parameter-shift cannot differentiate a broadcasted tape: split the batch first
        qnode = qml.transforms.broadcast_expand(qnode)
    if circuit.n_weights:
        initial = torch.as_tensor(weights, dtype=torch.float32).detach().clone()
        layer = qml.qnn.TorchLayer(qnode, {"weights": (circuit.n_weights,)},
                                   init_method={"weights": initial})
        with torch.no_grad():           # set explicitly too: identical numbers whatever init did
            layer.weights.copy_(initial)
    else:
        layer = qml.qnn.TorchLayer(qnode, {})
    return layer


class PennyLaneLayer(QuantumLayer):
    """A TorchLayer on a PennyLane device, behind the common QuantumLayer interface."""

    def __init__(self, circuit: Circuit, weights: torch.Tensor, *, simulator: str, diff_method: str,
                 shots: int | None = None, threads: int | None = None):
        super().__init__(circuit, shots=shots)
        self.simulator = simulator
        self.diff_method = diff_method
        self.threads_note = configure_threads(simulator, threads)
        # draw the sampling seed from torch's global generator only when sampling,
        # so exact backends leave the generator where the torch reference does
        seed = int(torch.randint(0, 2 ** 31 - 1, (1,))) if shots is not None else None
        self.seed = seed
        self.qlayer = make_torch_layer(circuit, weights, simulator=simulator, diff_method=diff_method,
                                       shots=shots, seed=seed)
        self._n_out = circuit.n_outputs

    def _count_backward(self, grad):
        self.simulator_calls["backward"] += 1
        return grad

    def expectations(self, x):
        # float64 like the torch reference: TorchLayer casts its weights to the input's
        # dtype, and float32 angles such as the tutorial's 2(pi - x0)(pi - x1) lose ~1e-6
        out = self.qlayer(x.to(torch.float64))
        self.simulator_calls["forward"] += 1
        # one circuit per sample (default.qubit backprop simulates them as one broadcast tape)
        self.circuit_executions += x.shape[0]
        if out.requires_grad:
            out.register_hook(self._count_backward)
        return out.reshape(x.shape[0], self._n_out)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, device={self.simulator}, diff_method={self.diff_method}"


def build_pennylane(circuit: Circuit, weights: torch.Tensor, *, simulator: str, spec=None,
                    shots=None, threads=None) -> PennyLaneLayer:
    if spec is None or spec.simulator != simulator:
        raise ValueError(f"a {simulator} backend needs its registry spec (got {spec!r})")
    return PennyLaneLayer(circuit, weights, simulator=simulator, diff_method=spec.diff_method,
                          shots=shots, threads=threads)
