"""A plain-torch batched statevector simulator: the correctness reference.

The state is complex128 of shape (batch, 2, ..., 2), wire w on axis w + 1.
Every gate is a torch operation, so autograd gives exact gradients with
respect to inputs and weights; no parameter-shift, no framework.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from backends.description import Circuit, Gate
from backends.description.gates import matrix
from .layer import QuantumLayer

_H = torch.tensor([[1, 1], [1, -1]], dtype=torch.complex128) / math.sqrt(2)


def _rotation(name: str, theta: torch.Tensor) -> torch.Tensor:
    """(batch, 2, 2) matrices of RX/RY/RZ(theta) = exp(-i theta P / 2)."""
    c = torch.cos(theta / 2).to(torch.complex128)
    s = torch.sin(theta / 2).to(torch.complex128)
    zero = torch.zeros_like(c)
    if name == "RX":
        rows = [[c, -1j * s], [-1j * s, c]]
    elif name == "RY":
        rows = [[c, -s], [s, c]]
    else:  # RZ
        rows = [[c - 1j * s, zero], [zero, c + 1j * s]]
    return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)


def _apply_1q(state: torch.Tensor, matrix: torch.Tensor, wire: int) -> torch.Tensor:
    moved = torch.movedim(state, wire + 1, -1)
    if matrix.dim() == 2:
        out = moved @ matrix.T
    else:  # one matrix per batch row
        shape = moved.shape
        flat = moved.reshape(shape[0], -1, 2)
        out = torch.bmm(flat, matrix.transpose(1, 2)).reshape(shape)
    return torch.movedim(out, -1, wire + 1)


def _apply_cnot(state: torch.Tensor, control: int, target: int) -> torch.Tensor:
    off = state.select(control + 1, 0)
    on = state.select(control + 1, 1)
    # after select, axes past the control shift down by one
    target_axis = target + 1 if target < control else target
    return torch.stack([off, on.flip(target_axis)], dim=control + 1)


def _apply_matrix(state: torch.Tensor, matrix: torch.Tensor, wires) -> torch.Tensor:
    """A (2**k, 2**k) or per-row (batch, 2**k, 2**k) matrix on ``wires`` (first wire most significant)."""
    k, batch = len(wires), state.shape[0]
    axes = [w + 1 for w in wires]
    moved = torch.movedim(state, axes, list(range(state.dim() - k, state.dim())))
    shape = moved.shape
    flat = moved.reshape(batch, -1, 2 ** k)
    out = flat @ (matrix.T if matrix.dim() == 2 else matrix.transpose(1, 2))
    return torch.movedim(out.reshape(shape), list(range(state.dim() - k, state.dim())), axes)


def simulate(circuit: Circuit, angles: torch.Tensor) -> torch.Tensor:
    """Statevector (batch, 2, ..., 2) after the circuit, angles in gate-angle form (one column per slot)."""
    batch, n = angles.shape[0], circuit.n_qubits
    state = torch.zeros((batch,) + (2,) * n, dtype=torch.complex128)
    state.view(batch, -1)[:, 0] = 1.0
    k = 0
    for gate in circuit.gates:
        params = [angles[:, k + i] for i in range(len(gate.params))]
        state = _apply(state, gate, params)
        k += len(params)
    return state


def _apply(state, gate: Gate, params):
    # the gates of the seed circuits keep their own short paths; every other gate goes by its table matrix
    if gate.name == "H":
        return _apply_1q(state, _H, gate.wires[0])
    if gate.name == "CNOT":
        return _apply_cnot(state, *gate.wires)
    if gate.name in ("RX", "RY", "RZ"):
        return _apply_1q(state, _rotation(gate.name, params[0]), gate.wires[0])
    m = matrix(gate.name, params, torch, len(gate.wires))
    return _apply_matrix(state, m, gate.wires) if len(gate.wires) > 1 else _apply_1q(state, m, gate.wires[0])


def z_signs(circuit: Circuit) -> torch.Tensor:
    """(n_outputs, 2**n) eigenvalues of each Z string over basis states."""
    n = circuit.n_qubits
    index = torch.arange(2 ** n)
    rows = []
    for obs in circuit.observables:
        sign = torch.ones(2 ** n, dtype=torch.float64)
        for w in obs.wires:
            bit = (index >> (n - 1 - w)) & 1     # wire 0 is the most significant axis
            sign = sign * (1 - 2 * bit).to(torch.float64)
        rows.append(sign)
    return torch.stack(rows)


class TorchStatevectorLayer(QuantumLayer):
    def __init__(self, circuit: Circuit, weights: torch.Tensor):
        super().__init__(circuit)
        self.weights = nn.Parameter(weights)
        self.register_buffer("_signs", z_signs(circuit), persistent=False)

    def expectations(self, x):
        angles = self.circuit.angles(x.to(torch.float64), self.weights.to(torch.float64))
        probs = simulate(self.circuit, angles).reshape(x.shape[0], -1).abs() ** 2
        self.simulator_calls["forward"] += 1
        self.executions["forward"] += x.shape[0]     # one batched simulation of B circuits
        return probs @ self._signs.T


def build(circuit: Circuit, weights: torch.Tensor, *, spec=None, shots=None, threads=None):
    return TorchStatevectorLayer(circuit, weights)
