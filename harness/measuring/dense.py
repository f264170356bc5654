"""An independent reference for the torch reference: a numpy statevector, differentiated numerically.

The torch backend is what every other backend is compared with, so it cannot
vouch for itself. This simulator shares only the circuit description with it
(the gate list, the angle expressions, the observables); the state update is
written differently (a gate is a dense 2x2 or 4x4 matrix contracted with
``np.tensordot``, the CNOT included), an output is <psi|O psi> with each Pauli
factor of O contracted in as a 2x2 matrix (no sign vectors, no bit flips),
and gradients are central finite differences, not autograd.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from backends.description import Circuit
from backends.description.gates import matrix

MAX_QUBITS = 14        # the finite differences cost 2 (inputs + weights) + 1 simulations of the batch
STEP = 1e-5            # float64: truncation ~ STEP**2 and rounding ~ 1e-16 / STEP both far below 1e-5

_H = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)
_CNOT = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=complex).reshape(2, 2, 2, 2)
_PAULI = {"RX": np.array([[0, 1], [1, 0]], dtype=complex),
          "RY": np.array([[0, -1j], [1j, 0]], dtype=complex),
          "RZ": np.array([[1, 0], [0, -1]], dtype=complex)}


def _rotation(name: str, theta: float) -> np.ndarray:
    """exp(-i theta P / 2) = cos(theta/2) I - i sin(theta/2) P."""
    return math.cos(theta / 2) * np.eye(2) - 1j * math.sin(theta / 2) * _PAULI[name]


def _apply(state: np.ndarray, matrix: np.ndarray, wires) -> np.ndarray:
    """Contract a gate (2,)*2k with the state (2,)*n on ``wires``; the new axes come first, then move back."""
    k = len(wires)
    out = np.tensordot(matrix, state, axes=(list(range(k, 2 * k)), list(wires)))
    return np.moveaxis(out, list(range(k)), list(wires))


def expectations(circuit: Circuit, angles: np.ndarray) -> np.ndarray:
    """(batch, n_outputs) raw expectations of the measured operators, one circuit per row of gate angles."""
    n = circuit.n_qubits
    rows = []
    for theta in angles:
        state = np.zeros((2,) * n, dtype=complex)
        state[(0,) * n] = 1.0
        k = 0
        for gate in circuit.gates:
            if gate.name == "H":
                state = _apply(state, _H, gate.wires)
            elif gate.name == "CNOT":
                state = _apply(state, _CNOT, gate.wires)
            elif gate.name in _PAULI:
                state = _apply(state, _rotation(gate.name, float(theta[k])), gate.wires)
                k += 1
            else:                  # the other gates by the table's matrix, as (2,)*2k for the contraction
                params = [float(t) for t in theta[k:k + len(gate.params)]]
                k += len(params)
                m = matrix(gate.name, params, np, len(gate.wires))
                state = _apply(state, m.reshape((2,) * (2 * len(gate.wires))), gate.wires)
        rows.append([_expectation(state, obs) for obs in circuit.observables])
    return np.array(rows, dtype=float)


def _expectation(state: np.ndarray, obs) -> float:
    """Re <psi| sum_k c_k P_k |psi> of the measured terms, each Pauli factor a 2x2 matrix contracted in."""
    total = 0.0
    for term in obs.measured:
        moved = state
        for wire, letter in term.word:
            moved = _apply(moved, _PAULI["R" + letter], (wire,))
        total += term.coeff * float(np.real(np.vdot(state, moved)))
    return total


def outputs(circuit: Circuit, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The layer's outputs ``offset + scale * <P>`` in float64."""
    with torch.no_grad():
        angles = circuit.angles(torch.from_numpy(x), torch.from_numpy(w)).numpy()
    scale = np.array([o.scale for o in circuit.observables])
    offset = np.array([o.offset for o in circuit.observables])
    return offset + scale * expectations(circuit, angles)


def reference(circuit: Circuit, x, weights, cotangent):
    """(outputs, d<cotangent, out>/dx, d<cotangent, out>/dweights) as float64 tensors.

    Input i of row b moves only row b's outputs, so one shifted batch per input
    column gives that column of the input gradient for every row at once.
    """
    x = x.detach().double().numpy().copy()
    w = torch.as_tensor(weights).detach().double().numpy().copy()
    v = cotangent.detach().double().numpy()
    out = outputs(circuit, x, w)
    grad_x = np.zeros_like(x)
    for i in range(x.shape[1]):
        up, down = x.copy(), x.copy()
        up[:, i] += STEP
        down[:, i] -= STEP
        grad_x[:, i] = ((outputs(circuit, up, w) - outputs(circuit, down, w)) * v).sum(axis=1) / (2 * STEP)
    grad_w = np.zeros_like(w)
    for j in range(w.shape[0]):
        up, down = w.copy(), w.copy()
        up[j] += STEP
        down[j] -= STEP
        grad_w[j] = ((outputs(circuit, x, up) - outputs(circuit, x, down)) * v).sum() / (2 * STEP)
    return (torch.from_numpy(out), torch.from_numpy(grad_x),
            torch.from_numpy(grad_w) if circuit.n_weights else None)
