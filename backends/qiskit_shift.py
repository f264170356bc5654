"""Qiskit Aer with our own batched parameter-shift autograd function.

The circuit description is compiled once into a Qiskit circuit in gate-angle
form: one ``Parameter`` per rotation gate, in ``Circuit.rotations`` order. The
gate angles are computed in torch (``circuit.angles(x, w)``), so torch's chain
rule carries gradients from the angles back to inputs and weights; the Qiskit
side only ever differentiates with respect to gate angles, with the
parameter-shift rule

    dE/dtheta_k = (E(theta + pi/2 e_k) - E(theta - pi/2 e_k)) / 2,

exact for RX/RY/RZ (generators with eigenvalues +-1/2).

Every forward pass is ONE simulator call for the whole batch, and every
backward pass is ONE simulator call for all 2*K*B shifted rows. Exact mode
uses Aer's ``EstimatorV2`` at precision 0 (exact expectation values); with
``shots=N`` it samples bitstrings with Aer's ``SamplerV2`` and averages the
parity of each Z string's wires.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import nn
from torch.autograd.function import once_differentiable

from .circuit import Circuit
from .layer import QuantumLayer


# --- compiling the description --------------------------------------------------

def compile_circuit(circuit: Circuit, angle_of: Callable[[int, Any], Any]):
    """Walk ``circuit.gates`` into a new ``QuantumCircuit``.

    ``angle_of(k, gate)`` gives the angle of the k-th rotation gate (a Qiskit
    parameter, parameter expression or float). Wire ``i`` is qubit ``i``.
    """
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(circuit.n_qubits, name=circuit.name)
    k = 0
    for gate in circuit.gates:
        if gate.name == "H":
            qc.h(gate.wires[0])
        elif gate.name == "CNOT":
            qc.cx(gate.wires[0], gate.wires[1])
        elif gate.name in ("RX", "RY", "RZ"):
            getattr(qc, gate.name.lower())(angle_of(k, gate), gate.wires[0])
            k += 1
        else:  # pragma: no cover - the builder only makes the gates above
            raise ValueError(f"gate {gate.name!r} is not supported by the Qiskit backends")
    return qc


def gate_angle_circuit(circuit: Circuit):
    """The circuit in gate-angle form and its parameters ``theta[k]``.

    A ``ParameterVector`` keeps ``circuit.parameters`` (sorted by Qiskit) in
    rotation order, also past ten parameters (theta[10] after theta[9]).
    """
    from qiskit.circuit import ParameterVector

    theta = ParameterVector("theta", len(circuit.rotations))
    qc = compile_circuit(circuit, lambda k, gate: theta[k])
    assert list(qc.parameters) == list(theta), "parameter order must follow the rotations"
    return qc, theta


def observables(circuit: Circuit):
    """One ``SparsePauliOp`` per output: the raw Z string (offset/scale are applied later)."""
    from qiskit.quantum_info import SparsePauliOp

    return [SparsePauliOp(obs.pauli_string(circuit.n_qubits)) for obs in circuit.observables]


def aer_backend_options(threads: int | None) -> dict:
    """Aer options for a thread budget; empty (Aer's defaults) when none is given.

    Our circuits are small and a batch is many parameter rows, i.e. many
    experiments: below ``statevector_parallel_threshold`` (14 qubits) one
    experiment runs on one thread, so the threads are spent on experiments.
    """
    if threads is None:
        return {}
    return {"max_parallel_threads": threads, "max_parallel_experiments": threads}


def torch_seed() -> int:
    """A simulator seed drawn from torch's global generator (reproducible under manual_seed)."""
    return int(torch.randint(0, 2**31 - 1, (1,)).item())


class CountingRun:
    """Stands in for ``backend.run`` so every real simulator call is counted on ``layer``.

    ``simulator_calls[layer._phase]`` grows by one per call; ``circuit_executions``
    by the number of circuits it simulates (bound parameter rows included).
    A class, not a closure, so ``copy.deepcopy`` of a layer counts on the copy.
    """

    def __init__(self, run, layer: QuantumLayer):
        self.run, self.layer = run, layer

    def __call__(self, circuits, *args, **kwargs):
        self.layer.simulator_calls[self.layer._phase] += 1
        self.layer.circuit_executions += _experiments(circuits, kwargs.get("parameter_binds"))
        return self.run(circuits, *args, **kwargs)


def count_backend_runs(backend, layer: QuantumLayer) -> None:
    """Count ``backend``'s simulator calls on ``layer`` (see ``CountingRun``)."""
    backend.run = CountingRun(backend.run, layer)


def _experiments(circuits, parameter_binds) -> int:
    circuits = circuits if isinstance(circuits, (list, tuple)) else [circuits]
    if not parameter_binds:
        return len(circuits)
    total = 0
    for binds in parameter_binds:
        sizes = [np.size(v) for v in binds.values()]
        total += max(sizes) if sizes else 1
    return total


# --- the autograd function ----------------------------------------------------

class _ParameterShift(torch.autograd.Function):
    """Angles (B, K) float64 -> raw expectations (B, n_obs) float64."""

    @staticmethod
    def forward(ctx, angles: torch.Tensor, layer: "QiskitShiftLayer") -> torch.Tensor:
        ctx.layer = layer
        ctx.save_for_backward(angles)
        values = layer._evaluate(angles.detach().cpu().numpy(), "forward")
        return torch.from_numpy(values).to(angles.device)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output: torch.Tensor):
        if not ctx.needs_input_grad[0]:
            return None, None
        (angles,) = ctx.saved_tensors
        layer = ctx.layer
        theta = angles.detach().cpu().numpy()
        batch, k = theta.shape
        shift = (np.pi / 2) * np.eye(k)                         # (K, K)
        plus = theta[None, :, :] + shift[:, None, :]            # (K, B, K): row (k, b)
        minus = theta[None, :, :] - shift[:, None, :]
        rows = np.concatenate([plus, minus]).reshape(2 * k * batch, k)
        values = layer._evaluate(rows, "backward").reshape(2, k, batch, -1)
        jacobian = torch.from_numpy((values[0] - values[1]) / 2)  # (K, B, n_obs)
        grad = torch.einsum("bo,kbo->bk", grad_output.detach().cpu().to(torch.float64), jacobian)
        return grad.to(angles.device), None


# --- the layer ------------------------------------------------------------------

class QiskitShiftLayer(QuantumLayer):
    def __init__(self, circuit: Circuit, weights: torch.Tensor, *, shots=None, threads=None):
        super().__init__(circuit, shots=shots)
        self.weights = nn.Parameter(weights.to(torch.float32))
        self.threads = threads
        self.qiskit_circuit, self.theta = gate_angle_circuit(circuit)
        self._phase = "forward"
        backend_options = aer_backend_options(threads)
        if shots is None:
            from qiskit_aer.primitives import EstimatorV2

            self._estimator = EstimatorV2(options={"default_precision": 0.0,
                                                   "backend_options": backend_options})
            # shape (n_obs, 1) against parameter rows (R, K) broadcasts to evs (n_obs, R);
            # a nested list, since numpy would iterate a SparsePauliOp into its coefficients
            self._observables = [[op] for op in observables(circuit)]
            count_backend_runs(self._estimator._backend, self)
        else:
            from qiskit_aer.primitives import SamplerV2

            self._sampler = SamplerV2(default_shots=shots, options={"backend_options": backend_options})
            self._measured = self.qiskit_circuit.measure_all(inplace=False)   # register "meas"
            self._wires = [list(obs.wires) for obs in circuit.observables]
            count_backend_runs(self._sampler._backend, self)

    def _evaluate(self, rows: np.ndarray, phase: str) -> np.ndarray:
        """Raw Z-string expectations (R, n_obs) of R angle rows, in one simulator call."""
        rows = np.ascontiguousarray(rows, dtype=np.float64)
        self._phase = phase
        if self.shots is None:
            result = self._estimator.run([(self.qiskit_circuit, self._observables, rows)]).result()
            return np.asarray(result[0].data.evs, dtype=np.float64).T      # (n_obs, R) -> (R, n_obs)
        self._sampler.options.run_options["seed_simulator"] = torch_seed()
        result = self._sampler.run([(self._measured, rows)], shots=self.shots).result()
        # bits[r, s, i] is qubit i's outcome (order="little": clbit i at index i,
        # whereas Qiskit's bitstrings print qubit 0 as the rightmost character).
        bits = result[0].data.meas.to_bool_array(order="little")           # (R, shots, n_qubits)
        columns = []
        for wires in self._wires:
            parity = np.bitwise_xor.reduce(bits[..., wires], axis=-1) if wires else np.zeros(bits.shape[:2], bool)
            columns.append(np.mean(1.0 - 2.0 * parity, axis=-1))
        return np.stack(columns, axis=-1)

    def expectations(self, x: torch.Tensor) -> torch.Tensor:
        angles = self.circuit.angles(x.to(torch.float64), self.weights.to(torch.float64))
        return _ParameterShift.apply(angles, self)


def build(circuit: Circuit, weights: torch.Tensor, *, spec=None, shots=None, threads=None):
    return QiskitShiftLayer(circuit, weights, shots=shots, threads=threads)
