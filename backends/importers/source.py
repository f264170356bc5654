"""An imported circuit evaluated in its source framework: values and gradients, as the source computes them.

Qiskit and OpenQASM 3 sources: Qiskit's ``Statevector`` of the source circuit
(parameters bound by object) and ``expectation_value`` of each ``SparsePauliOp``.
Gradients by central finite differences on the source circuit's parameters,
step ``STEP`` = 1e-5: the truncation error is about STEP^2 / 6 times a third
derivative and the rounding error about 1e-16 / STEP, both near 1e-11, well
inside the 1e-6 the checks ask. (An exact parameter-shift rule would need the
shift of every gate under every expression; finite differences need nothing.)

PennyLane sources: a QNode on ``default.qubit`` with torch backprop, gradients
by ``torch.autograd.functional.jacobian``, one sample at a time.

The result is numpy float64: ``values`` (batch, n_outputs), ``input_grads``
(batch, n_outputs, n_inputs) and ``weight_grads`` (batch, n_outputs, n_weights).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import Imported

STEP = 1e-5


@dataclass(frozen=True)
class SourceOutputs:
    values: np.ndarray
    input_grads: np.ndarray
    weight_grads: np.ndarray
    method: str                   # how the gradients were computed


def source_outputs(imported: Imported, x, w) -> SourceOutputs:
    x = np.atleast_2d(np.asarray(x, dtype=float))
    w = np.asarray(w, dtype=float).reshape(-1)
    if imported.format == "pennylane":
        return _pennylane(imported.source, x, w)
    return _qiskit(imported.source, x, w)


def qiskit_values(source, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(batch, n_outputs) expectation values of the source circuit, by Qiskit's Statevector."""
    from qiskit.quantum_info import Statevector
    out = []
    for row in x:
        binding = {**dict(zip(source.input_params, row)), **dict(zip(source.weight_params, w))}
        used = {p: binding[p] for p in source.circuit.parameters}
        state = Statevector(source.circuit.assign_parameters(used))
        out.append([float(np.real(state.expectation_value(op))) for op in source.observables])
    return np.array(out)


def _qiskit(source, x, w) -> SourceOutputs:
    values = qiskit_values(source, x, w)
    n_out = values.shape[1]
    dx = np.zeros((x.shape[0], n_out, x.shape[1]))
    dw = np.zeros((x.shape[0], n_out, w.size))
    for i in range(x.shape[1]):
        step = np.zeros_like(x)
        step[:, i] = STEP
        dx[:, :, i] = (qiskit_values(source, x + step, w) - qiskit_values(source, x - step, w)) / (2 * STEP)
    for j in range(w.size):
        step = np.zeros_like(w)
        step[j] = STEP
        dw[:, :, j] = (qiskit_values(source, x, w + step) - qiskit_values(source, x, w - step)) / (2 * STEP)
    return SourceOutputs(values, dx, dw, f"qiskit Statevector; central differences, step {STEP:g}")


def _qnode(source):
    import pennylane as qml
    device = qml.device("default.qubit", wires=list(source.wires))

    def run(inputs, **weights):
        returned = source.qfunc(inputs, **weights)
        if source.observables is None:
            return returned
        return [qml.expval(_pl_observable(qml, obs, source.wires)) for obs in source.observables]
    return qml.QNode(run, device, interface="torch", diff_method="backprop")


def _pl_observable(qml, obs, wires):
    ops = []
    for t in obs.terms:
        word = qml.prod(*[getattr(qml, f"Pauli{letter}")(wires[w]) for w, letter in t.word]) \
            if len(t.word) > 1 else getattr(qml, f"Pauli{t.word[0][1]}")(wires[t.word[0][0]])
        ops.append(t.coeff * word)
    if obs.offset:
        ops.append(obs.offset * qml.Identity(wires[0]))
    return qml.sum(*ops) if len(ops) > 1 else ops[0]


def _weights(source, w):
    out, k = {}, 0
    for name, shape in source.weight_shapes:
        size = int(np.prod(shape))
        out[name] = w[k:k + size].reshape(shape)
        k += size
    return out


def _as_outputs(result):
    import torch
    if isinstance(result, (list, tuple)):
        return torch.stack([torch.as_tensor(r) for r in result], dim=-1)
    return torch.as_tensor(result).reshape(-1)


def pennylane_values(source, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(batch, n_outputs) by default.qubit, one sample at a time (no broadcasting assumed)."""
    import torch
    qnode = _qnode(source)
    wt = torch.tensor(w, dtype=torch.float64)
    with torch.no_grad():
        return np.array([_as_outputs(qnode(torch.tensor(row, dtype=torch.float64), **_weights(source, wt))).numpy()
                         for row in x])


def _pennylane(source, x, w) -> SourceOutputs:
    import torch
    from torch.autograd.functional import jacobian
    qnode = _qnode(source)

    def f(xs, ws):
        return _as_outputs(qnode(xs, **_weights(source, ws)))
    values, dx, dw = [], [], []
    wt = torch.tensor(w, dtype=torch.float64)
    for row in x:
        xt = torch.tensor(row, dtype=torch.float64)
        values.append(f(xt, wt).detach().numpy())
        jx, jw = jacobian(f, (xt, wt))
        dx.append(jx.numpy())
        dw.append(jw.numpy())
    return SourceOutputs(np.array(values), np.array(dx), np.array(dw), "default.qubit; torch backprop")
