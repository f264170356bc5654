"""The framework-neutral circuit description that every backend compiles.

A circuit is a list of gates on numbered wires, each a row of the gate table
(``backends.description.gates``). A gate's parameters are expressions of the
layer's inputs and weights (``backends.description.expressions``).
The outputs are ``offset + sum_k c_k <P_k>`` over Pauli words
(``backends.description.observables``; the textbook reads P(|1>) = (1 - <Z>) / 2).

Backends never hand-write circuits: they walk ``Circuit.gates``. The simplest
way to do so is in "gate-angle form": every parameter slot of every gate (in
gate order, then parameter order: ``Circuit.slots``) gets its own angle
``theta[k]``, computed in torch, so the chain rule from the gate angles back to
inputs and weights stays in torch and a backend only has to differentiate with
respect to gate angles.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .expressions import Expr, Input, Weight, _lift
from .gates import GATES
from .observables import Observable

ROTATIONS = tuple(name for name, g in GATES.items() if g.params)      # gates with parameters


@dataclass(frozen=True)
class Gate:
    name: str                      # a row of the gate table
    wires: tuple[int, ...]
    params: tuple[Expr, ...] = ()  # one expression per parameter of the gate

    @property
    def is_rotation(self) -> bool:
        return bool(self.params)

    @property
    def angle(self) -> Expr | None:
        """The one parameter of a one-parameter gate (RX, CRZ, ...); None for a gate without."""
        return self.params[0] if len(self.params) == 1 else None


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
        """The gates with parameters, in gate order."""
        return tuple(g for g in self.gates if g.is_rotation)

    @property
    def slots(self) -> tuple[Expr, ...]:
        """Every parameter of every gate, in gate order: the columns of gate-angle form."""
        return tuple(p for g in self.gates for p in g.params)

    def angles(self, inputs, weights):
        """The gate angles of every slot, in slot order.

        ``inputs`` is a (batch, n_inputs) tensor and ``weights`` a (n_weights,)
        tensor; the result is a (batch, n_slots) tensor built with torch
        operations, so autograd carries gradients back to both.
        """
        import torch

        batch = inputs.shape[0]
        columns = []
        for expr in self.slots:
            value = expr.evaluate(lambda i: inputs[:, i], lambda j: weights[j])
            if not torch.is_tensor(value) or value.dim() == 0:
                value = torch.as_tensor(value, dtype=inputs.dtype).expand(batch) + 0 * inputs[:, 0]
            columns.append(value)
        if not columns:
            return inputs[:, :0]
        return torch.stack(columns, dim=1)

    def describe(self) -> str:
        lines = [f"{self.name}: {self.n_qubits} qubits, {self.n_inputs} inputs, "
                 f"{self.n_weights} weights, {len(self.gates)} gates"]
        for g in self.gates:
            arg = f"({', '.join(repr(p) for p in g.params)})" if g.params else ""
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

    def gate(self, name: str, wires, *params) -> None:
        """Any gate of the table on ``wires`` with its parameters (numbers or expressions)."""
        spec = GATES.get(name)
        if spec is None:
            raise ValueError(f"unknown gate {name!r}; valid: {', '.join(GATES)}")
        wires = tuple(self._wire(w) for w in (wires if isinstance(wires, (tuple, list)) else (wires,)))
        if (spec.wires and len(wires) != spec.wires) or not wires or len(set(wires)) != len(wires):
            raise ValueError(f"gate {name} takes {spec.wires or 'one or more'} distinct wires; received {wires}")
        if len(params) != spec.params:
            raise ValueError(f"gate {name} takes {spec.params} parameters; received {len(params)}")
        self.gates.append(Gate(name, wires, tuple(_lift(p) for p in params)))

    def h(self, w): self.gate("H", w)
    def cnot(self, c, t): self.gate("CNOT", (c, t))
    def rx(self, angle, w): self.gate("RX", w, angle)
    def ry(self, angle, w): self.gate("RY", w, angle)
    def rz(self, angle, w): self.gate("RZ", w, angle)

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
        o.single and o.z_only and o.wires == every and o.offset == 0.5 and abs(o.scale) == 0.5
        for o in circuit.observables)
