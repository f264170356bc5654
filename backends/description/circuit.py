"""The framework-neutral circuit description that every backend compiles.

A circuit is a list of gates on numbered wires. A rotation gate's angle is an
expression of the layer's inputs and weights (``backends.description.expressions``).
The outputs are expectation values of Pauli-Z strings, each optionally mapped
through ``offset + scale * <P>`` (the textbook reads P(|1>) = (1 - <Z>) / 2).

Backends never hand-write circuits: they walk ``Circuit.gates``. The simplest
way to do so is in "gate-angle form": every rotation gate gets its own angle
``theta[k] = gate.angle(x, w)``, computed in torch, so the chain rule from the
gate angles back to inputs and weights stays in torch and a backend only has to
differentiate with respect to gate angles.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .expressions import Expr, Input, Weight, _lift

ROTATIONS = ("RX", "RY", "RZ")


@dataclass(frozen=True)
class Gate:
    name: str                      # one of ROTATIONS or FIXED
    wires: tuple[int, ...]
    angle: Expr | None = None      # set for rotations only

    @property
    def is_rotation(self) -> bool:
        return self.name in ROTATIONS


@dataclass(frozen=True)
class Observable:
    """``offset + scale * <Z_w1 Z_w2 ...>`` over ``wires``."""

    wires: tuple[int, ...]
    scale: float = 1.0
    offset: float = 0.0

    @property
    def label(self) -> str:
        core = "".join(f"Z{w}" for w in self.wires)
        if (self.scale, self.offset) == (1.0, 0.0):
            return core
        return f"{self.offset:g}{self.scale:+g}*{core}"

    def pauli_string(self, n_qubits: int) -> str:
        """Qiskit's little-endian label: wire 0 is the rightmost character."""
        chars = ["I"] * n_qubits
        for w in self.wires:
            chars[n_qubits - 1 - w] = "Z"
        return "".join(chars)


@dataclass(frozen=True)
class Circuit:
    name: str
    n_qubits: int
    n_inputs: int
    n_weights: int
    gates: tuple[Gate, ...]
    observables: tuple[Observable, ...]

    @property
    def n_outputs(self) -> int:
        return len(self.observables)

    @property
    def rotations(self) -> tuple[Gate, ...]:
        return tuple(g for g in self.gates if g.is_rotation)

    def angles(self, inputs, weights):
        """Gate angles of every rotation, in gate order.

        ``inputs`` is a (batch, n_inputs) tensor and ``weights`` a (n_weights,)
        tensor; the result is a (batch, n_rotations) tensor built with torch
        operations, so autograd carries gradients back to both.
        """
        import torch

        batch = inputs.shape[0]
        columns = []
        for gate in self.rotations:
            value = gate.angle.evaluate(lambda i: inputs[:, i], lambda j: weights[j])
            if not torch.is_tensor(value) or value.dim() == 0:
                value = torch.as_tensor(value, dtype=inputs.dtype).expand(batch) + 0 * inputs[:, 0]
            columns.append(value)
        return torch.stack(columns, dim=1)

    def describe(self) -> str:
        lines = [f"{self.name}: {self.n_qubits} qubits, {self.n_inputs} inputs, "
                 f"{self.n_weights} weights, {len(self.gates)} gates"]
        for g in self.gates:
            arg = f"({g.angle!r})" if g.angle is not None else ""
            lines.append(f"  {g.name}{arg} on {list(g.wires)}")
        lines.append("  outputs: " + ", ".join(o.label for o in self.observables))
        return "\n".join(lines)


class CircuitBuilder:
    """Collects gates with bounds checks; ``build()`` freezes the circuit."""

    def __init__(self, name: str, n_qubits: int, n_inputs: int, n_weights: int):
        self.name, self.n_qubits = name, n_qubits
        self.n_inputs, self.n_weights = n_inputs, n_weights
        self.gates: list[Gate] = []
        self.x = [Input(i) for i in range(n_inputs)]
        self.w = [Weight(j) for j in range(n_weights)]

    def _wire(self, w: int) -> int:
        if not 0 <= w < self.n_qubits:
            raise ValueError(f"wire {w} outside 0..{self.n_qubits - 1}")
        return w

    def h(self, w): self.gates.append(Gate("H", (self._wire(w),)))
    def cnot(self, c, t): self.gates.append(Gate("CNOT", (self._wire(c), self._wire(t))))
    def rx(self, angle, w): self._rot("RX", angle, w)
    def ry(self, angle, w): self._rot("RY", angle, w)
    def rz(self, angle, w): self._rot("RZ", angle, w)

    def _rot(self, name, angle, w):
        self.gates.append(Gate(name, (self._wire(w),), _lift(angle)))

    def build(self, observables: Sequence[Observable]) -> Circuit:
        return Circuit(self.name, self.n_qubits, self.n_inputs, self.n_weights,
                       tuple(self.gates), tuple(observables))


def parity_readout(circuit: Circuit) -> bool:
    """True when every output is the probability of even or odd parity of all wires' bits.

    That is ``(1 +- <Z_0 ... Z_{n-1}>) / 2``: what a sampler with the tutorial's
    parity interpretation measures (on one wire, the probability of |0> or |1>,
    such as the textbook's P(|1>)).
    """
    every = tuple(range(circuit.n_qubits))
    return bool(circuit.observables) and all(
        o.wires == every and o.offset == 0.5 and abs(o.scale) == 0.5 for o in circuit.observables)
