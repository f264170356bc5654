"""A plain-torch batched statevector simulator: the correctness reference.

The state is complex128 of shape (batch, 2, ..., 2), wire w on axis w + 1.
Every gate is a torch operation, so autograd gives exact gradients with
respect to inputs and weights; no parameter-shift, no framework.
Outputs are read off the final state: Z-only terms from the probabilities
(one matrix product, as before sums existed), X/Y terms as
Re <psi| P |psi> with P a bit flip and a phase (``pauli_parts``).
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


def _flip_and_phase(word, n: int):
    """A Pauli word P as (flip, phase): (P psi)[b] = phase[b] * psi[b ^ flip] over flat basis indices b.

    X flips its wire's bit; Z gives (-1)^bit; Y = i X Z gives -i (-1)^bit with the flip.
    """
    index = torch.arange(2 ** n)
    flip, phase = 0, torch.ones(2 ** n, dtype=torch.complex128)
    for w, letter in word:
        bit = (index >> (n - 1 - w)) & 1     # wire 0 is the most significant axis
        sign = (1 - 2 * bit).to(torch.complex128)
        if letter != "X":
            phase = phase * (sign if letter == "Z" else -1j * sign)
        if letter != "Z":
            flip |= 1 << (n - 1 - w)
    return flip, phase


def pauli_parts(circuit: Circuit):
    """Each output's measured operator split by bit flip: a diagonal part and the rest.

    Returns ``diagonal`` (n_outputs, 2**n), real: the Z-only terms' eigenvalues summed
    with their coefficients, so ``probs @ diagonal.T`` gives them at once, and
    ``flipped``, a list of (output, flip, (2**n,) complex vector d): terms sharing a
    flip summed into d, contributing Re sum_b conj(psi[b]) d[b] psi[b ^ flip].
    """
    n = circuit.n_qubits
    diagonal = torch.zeros(circuit.n_outputs, 2 ** n, dtype=torch.float64)
    flipped: dict[tuple[int, int], torch.Tensor] = {}
    for o, obs in enumerate(circuit.observables):
        for term in obs.measured:
            flip, phase = _flip_and_phase(term.word, n)
            if flip == 0:
                diagonal[o] += term.coeff * phase.real
            else:
                flipped[o, flip] = flipped.get((o, flip), 0) + term.coeff * phase
    return diagonal, [(o, flip, d) for (o, flip), d in flipped.items()]


def z_signs(circuit: Circuit) -> torch.Tensor:
    """(n_outputs, 2**n) eigenvalues of each output's measured operator, when every output is Z-only."""
    bad = [o.label for o in circuit.observables if not o.z_only]
    if bad:
        raise ValueError(f"outputs {', '.join(bad)} are not diagonal; use pauli_parts")
    return pauli_parts(circuit)[0]


class TorchStatevectorLayer(QuantumLayer):
    def __init__(self, circuit: Circuit, weights: torch.Tensor):
        super().__init__(circuit)
        self.weights = nn.Parameter(weights)
        diagonal, flipped = pauli_parts(circuit)
        self.register_buffer("_signs", diagonal, persistent=False)
        # X/Y terms: (output, gather index b ^ flip, d); none for Z-only outputs, which keep the one matmul
        index = torch.arange(2 ** circuit.n_qubits)
        self._flipped = [(o, index ^ flip, d) for o, flip, d in flipped]

    def expectations(self, x):
        angles = self.circuit.angles(x.to(torch.float64), self.weights.to(torch.float64))
        amplitudes = simulate(self.circuit, angles).reshape(x.shape[0], -1)
        self.simulator_calls["forward"] += 1
        self.executions["forward"] += x.shape[0]     # one batched simulation of B circuits
        values = (amplitudes.abs() ** 2) @ self._signs.T
        if not self._flipped:
            return values
        extra = [torch.zeros_like(values[:, 0]) for _ in range(values.shape[1])]
        for o, gather, d in self._flipped:
            extra[o] = extra[o] + (amplitudes.conj() * d * amplitudes[:, gather]).real.sum(dim=1)
        return values + torch.stack(extra, dim=1)


def build(circuit: Circuit, weights: torch.Tensor, *, spec=None, shots=None, threads=None):
    return TorchStatevectorLayer(circuit, weights)
