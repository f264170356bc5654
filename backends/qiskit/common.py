"""What the three Qiskit backends share: compiling the description, observables, Aer options, counters.

The description is compiled natively (H -> h, CNOT -> cx, RX -> rx, ...), so a
Qiskit user would recognise every gate, either in gate-angle form (one
``Parameter`` per rotation, for ``qiskit-shift``) or with each angle a Qiskit
expression of ``x[i]`` and ``w[j]`` (for qiskit-machine-learning, whose
gradients differentiate the expressions themselves).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from backends.description import Circuit
from backends.description.gates import GATES
from backends.errors import UserError
from backends.layer import QuantumLayer


def compile_circuit(circuit: Circuit, angle_of: Callable[[int, Any], Any]):
    """Walk ``circuit.gates`` into a new ``QuantumCircuit``, each gate Qiskit's own from the gate table.

    ``angle_of(k, expr)`` gives the value of the k-th parameter slot (a Qiskit
    parameter, parameter expression or float). Wire ``i`` is qubit ``i``. The two
    table gates Qiskit has no gate for are written as its users would: ``Rot`` as
    RZ RY RZ, ``MultiRZ`` as a CNOT ladder around one RZ.
    """
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(circuit.n_qubits, name=circuit.name)
    k = 0
    for gate in circuit.gates:
        params = [angle_of(k + i, p) for i, p in enumerate(gate.params)]
        k += len(params)
        spec = GATES[gate.name]
        if spec.qiskit:
            getattr(qc, spec.qiskit)(*params, *gate.wires)
        elif gate.name == "Rot":                    # Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi)
            w = gate.wires[0]
            qc.rz(params[0], w)
            qc.ry(params[1], w)
            qc.rz(params[2], w)
        elif gate.name == "MultiRZ":
            ladder = list(zip(gate.wires[:-1], gate.wires[1:]))
            for a, b in ladder:
                qc.cx(a, b)
            qc.rz(params[0], gate.wires[-1])
            for a, b in reversed(ladder):
                qc.cx(a, b)
        else:  # pragma: no cover - every table gate is handled above
            raise ValueError(f"gate {gate.name!r} has no Qiskit form")
    return qc


def gate_angle_circuit(circuit: Circuit):
    """The circuit in gate-angle form and its parameters ``theta[k]``.

    A ``ParameterVector`` keeps ``circuit.parameters`` (sorted by Qiskit) in
    rotation order, also past ten parameters (theta[10] after theta[9]).
    """
    from qiskit.circuit import ParameterVector

    theta = ParameterVector("theta", len(circuit.slots))
    qc = compile_circuit(circuit, lambda k, expr: theta[k])
    assert list(qc.parameters) == list(theta), "parameter order must follow the slots"
    return qc, theta


def sparse_pauli_op(obs, n_qubits: int):
    """An output's measured operator as a ``SparsePauliOp``: the bare word of a single term
    (its coefficient and the offset are applied later), the whole weighted sum otherwise.

    Wire ``w`` is qubit ``w``; ``from_sparse_list`` places it in Qiskit's little-endian label.
    """
    from qiskit.quantum_info import SparsePauliOp

    return SparsePauliOp.from_sparse_list(
        [("".join(letter for _, letter in t.word), [w for w, _ in t.word], t.coeff) for t in obs.measured],
        n_qubits)


def observables(circuit: Circuit):
    """One ``SparsePauliOp`` per output (see ``sparse_pauli_op``)."""
    return [sparse_pauli_op(obs, circuit.n_qubits) for obs in circuit.observables]


def aer_backend_options(threads: int | None) -> dict:
    """Aer options for a thread budget; empty (Aer's defaults) when none is given.

    Our circuits are small and a batch is many parameter rows, i.e. many
    experiments: below ``statevector_parallel_threshold`` (14 qubits) one
    experiment runs on one thread, so the threads are spent on experiments
    (with runtime parameter binding, on the parameter rows of one circuit).
    """
    if threads is None:
        return {}
    return {"max_parallel_threads": threads, "max_parallel_experiments": threads}


def torch_seed() -> int:
    """A simulator seed drawn from torch's global generator (reproducible under manual_seed)."""
    return int(torch.randint(0, 2**31 - 1, (1,)).item())


class CountingRun:
    """Stands in for ``backend.run`` so every real simulator call is counted on ``layer``.

    ``simulator_calls[layer._phase]`` grows by one per call; ``executions[layer._phase]``
    by the number of circuits it simulates (bound parameter rows included).
    A class, not a closure, so ``copy.deepcopy`` of a layer counts on the copy.
    (Used by the ``qiskit-ml`` backend; ``qiskit-shift`` counts in ``_evaluate``.)
    """

    def __init__(self, run, layer: QuantumLayer):
        self.run, self.layer = run, layer

    def __call__(self, circuits, *args, **kwargs):
        self.layer.simulator_calls[self.layer._phase] += 1
        self.layer.executions[self.layer._phase] += _experiments(circuits, kwargs.get("parameter_binds"))
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


def expression_circuit(circuit: Circuit, backend: str = "qiskit-ml"):
    """The circuit with each gate's angle a Qiskit expression of x[i] and w[j]."""
    from qiskit.circuit import ParameterVector

    x = ParameterVector("x", circuit.n_inputs)
    w = ParameterVector("w", circuit.n_weights)

    def angle_of(k, expr):
        value = expr.evaluate(lambda i: x[i], lambda j: w[j])
        return float(value) if isinstance(value, (int, float)) else value

    qc = compile_circuit(circuit, angle_of)
    unused = [p.name for p in list(x) + list(w) if p not in qc.parameters]
    if unused:
        # EstimatorQNN and SamplerQNN insist that every input and weight parameter is in the circuit
        raise UserError(f"backend '{backend}' needs every input and weight to appear in a gate angle; "
                        f"circuit '{circuit.name}' never uses {', '.join(unused)}")
    return qc, x, w
