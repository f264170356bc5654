"""The framework-neutral circuit description that every backend compiles.

A circuit is a list of gates on numbered wires. A rotation gate's angle is an
expression of the layer's inputs ``x[i]`` and trainable weights ``w[j]``,
written with ordinary Python arithmetic, so one expression can be evaluated on
floats, on torch tensors (a whole batch at once) or on Qiskit parameters.
The outputs are expectation values of Pauli-Z strings, each optionally mapped
through ``offset + scale * <P>`` (the textbook reads P(|1>) = (1 - <Z>) / 2).

Backends never hand-write circuits: they walk ``Circuit.gates``. The simplest
way to do so is in "gate-angle form": every rotation gate gets its own angle
``theta[k] = gate.angle(x, w)``, computed in torch, so the chain rule from the
gate angles back to inputs and weights stays in torch and a backend only has to
differentiate with respect to gate angles.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

ROTATIONS = ("RX", "RY", "RZ")
FIXED = ("H", "CNOT")


class Expr:
    """An angle expression built from inputs, weights and constants."""

    def evaluate(self, inp: Callable[[int], Any], weight: Callable[[int], Any]) -> Any:
        raise NotImplementedError

    def inputs_used(self) -> set[int]:
        raise NotImplementedError

    def weights_used(self) -> set[int]:
        raise NotImplementedError

    def derivative(self, kind: str, index: int) -> "Expr":
        """d(self)/d(x[index]) for ``kind`` "x", d(self)/d(w[index]) for "w"; constants folded."""
        raise NotImplementedError

    def __add__(self, other): return _Bin("+", self, _lift(other))
    def __radd__(self, other): return _Bin("+", _lift(other), self)
    def __sub__(self, other): return _Bin("-", self, _lift(other))
    def __rsub__(self, other): return _Bin("-", _lift(other), self)
    def __mul__(self, other): return _Bin("*", self, _lift(other))
    def __rmul__(self, other): return _Bin("*", _lift(other), self)
    def __neg__(self): return _Bin("*", Const(-1.0), self)


def _lift(value) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, (int, float)):
        return Const(float(value))
    raise TypeError(f"cannot use {type(value).__name__} in an angle expression")


@dataclass(frozen=True, eq=False)
class Const(Expr):
    value: float

    def evaluate(self, inp, weight): return self.value
    def inputs_used(self): return set()
    def weights_used(self): return set()
    def derivative(self, kind, index): return Const(0.0)
    def __repr__(self): return repr(self.value)


@dataclass(frozen=True, eq=False)
class Input(Expr):
    index: int

    def evaluate(self, inp, weight): return inp(self.index)
    def inputs_used(self): return {self.index}
    def weights_used(self): return set()
    def derivative(self, kind, index): return Const(float(kind == "x" and index == self.index))
    def __repr__(self): return f"x{self.index}"


@dataclass(frozen=True, eq=False)
class Weight(Expr):
    index: int

    def evaluate(self, inp, weight): return weight(self.index)
    def inputs_used(self): return set()
    def weights_used(self): return {self.index}
    def derivative(self, kind, index): return Const(float(kind == "w" and index == self.index))
    def __repr__(self): return f"w{self.index}"


@dataclass(frozen=True, eq=False)
class _Bin(Expr):
    op: str
    left: Expr
    right: Expr

    def evaluate(self, inp, weight):
        a = self.left.evaluate(inp, weight)
        b = self.right.evaluate(inp, weight)
        if self.op == "+":
            return a + b
        if self.op == "-":
            return a - b
        return a * b

    def inputs_used(self): return self.left.inputs_used() | self.right.inputs_used()
    def weights_used(self): return self.left.weights_used() | self.right.weights_used()

    def derivative(self, kind, index):
        da, db = self.left.derivative(kind, index), self.right.derivative(kind, index)
        if self.op in "+-":
            return _fold(self.op, da, db)
        # product rule
        return _fold("+", _fold("*", da, self.right), _fold("*", self.left, db))
    def __repr__(self): return f"({self.left!r} {self.op} {self.right!r})"


def _fold(op: str, a: Expr, b: Expr) -> Expr:
    """``a op b`` with constants folded, so derivatives stay as small as the angles."""
    if isinstance(a, Const) and isinstance(b, Const):
        return Const(_Bin(op, a, b).evaluate(None, None))
    if op == "*" and any(isinstance(e, Const) and e.value == 0.0 for e in (a, b)):
        return Const(0.0)
    if op == "*" and isinstance(a, Const) and a.value == 1.0:
        return b
    if op == "*" and isinstance(b, Const) and b.value == 1.0:
        return a
    if op in "+-" and isinstance(b, Const) and b.value == 0.0:
        return a
    if op == "+" and isinstance(a, Const) and a.value == 0.0:
        return b
    return _Bin(op, a, b)


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


class NumpyAngles:
    """A circuit's gate angles and their chain rule on numpy arrays.

    For a backend that is one autograd node of its own (``qiskit-shift``):
    building the angles from torch operations costs a dozen small autograd
    nodes per step, about a tenth of a ``moons`` training step. The
    derivatives are taken from the expressions once, here.
    """

    def __init__(self, circuit: Circuit):
        self.n_inputs, self.n_weights = circuit.n_inputs, circuit.n_weights
        self.exprs = [g.angle for g in circuit.rotations]
        # (rotation k, variable index, d angle_k / d variable), only where it can be non-zero
        self.d_inputs = [(k, i, e.derivative("x", i)) for k, e in enumerate(self.exprs)
                         for i in sorted(e.inputs_used())]
        self.d_weights = [(k, j, e.derivative("w", j)) for k, e in enumerate(self.exprs)
                          for j in sorted(e.weights_used())]

    @staticmethod
    def _column(expr: Expr, x, w):
        """One expression over the batch: a (batch,) array, or a scalar that broadcasts."""
        if isinstance(expr, Const):
            return expr.value
        return expr.evaluate(lambda i: x[:, i], lambda j: w[j])

    def values(self, x, w):
        """(batch, n_inputs), (n_weights,) float64 -> (batch, n_rotations) gate angles."""
        out = np.empty((x.shape[0], len(self.exprs)))
        for k, expr in enumerate(self.exprs):
            out[:, k] = self._column(expr, x, w)
        return out

    def backprop(self, x, w, grad_angles):
        """Gradients of the inputs (batch, n_inputs) and weights (n_weights,) from the angles'."""
        grad_x = np.zeros((x.shape[0], self.n_inputs))
        grad_w = np.zeros(self.n_weights)
        for k, i, d in self.d_inputs:
            grad_x[:, i] += grad_angles[:, k] * self._column(d, x, w)
        for k, j, d in self.d_weights:
            grad_w[j] += np.sum(grad_angles[:, k] * self._column(d, x, w))
        return grad_x, grad_w


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


# --- the named circuits -------------------------------------------------------

def textbook() -> Circuit:
    """Qiskit textbook: H then RY(x0) on one qubit; output P(|1>) = (1 - <Z>)/2."""
    b = CircuitBuilder("textbook", 1, 1, 0)
    b.h(0)
    b.ry(b.x[0], 0)
    return b.build([Observable((0,), scale=-0.5, offset=0.5)])


def moons() -> Circuit:
    """The PennyLane forum's make_moons circuit."""
    b = CircuitBuilder("moons", 2, 2, 2)
    for i in range(2):
        b.h(i)
        b.rz(2 * b.x[i], i)
    b.cnot(0, 1)
    b.ry(b.w[0], 0)
    b.ry(b.w[1], 1)
    return b.build([Observable((0,)), Observable((1,))])


def tutorial() -> Circuit:
    """qiskit-machine-learning's TorchConnector MNIST circuit.

    zz_feature_map(2) (reps=2) then real_amplitudes(2, reps=1), output <Z0 Z1>.
    Qiskit writes the feature map's phases as P gates; RZ equals P up to a
    global phase, so expectation values are the same.
    """
    b = CircuitBuilder("tutorial", 2, 2, 4)
    _zz_feature_map(b)
    _real_amplitudes(b, reps=1)
    return b.build([Observable((0, 1))])


def _zz_feature_map(b: CircuitBuilder, reps: int = 2) -> None:
    """Qiskit's ``zz_feature_map(2)``: per rep H, RZ(2 x_i), then RZ(2 (pi - x0)(pi - x1)) between CNOTs."""
    x0, x1 = b.x
    for _ in range(reps):
        for i in range(2):
            b.h(i)
            b.rz(2 * b.x[i], i)
        b.cnot(0, 1)
        b.rz(2 * (math.pi - x0) * (math.pi - x1), 1)
        b.cnot(0, 1)


def _real_amplitudes(b: CircuitBuilder, reps: int) -> None:
    """Qiskit's ``real_amplitudes(2, reps=...)``: RY per wire, then reps x [CNOT, RY per wire].

    On two wires every entanglement pattern (full, linear, reverse linear) is
    the one CNOT(0, 1), so the tutorial's default and its ``linear`` agree.
    """
    for layer in range(reps + 1):
        if layer:
            b.cnot(0, 1)
        b.ry(b.w[2 * layer], 0)
        b.ry(b.w[2 * layer + 1], 1)


def tutorial_classify() -> Circuit:
    """The TorchConnector tutorial's classifier (Part 1, 1A): ``TwoLayerQNN(2)``.

    Its defaults: ZZ feature map (reps 2) then RealAmplitudes(2) with reps 3
    (8 weights); output <Z0 Z1>, whose sign is the class.
    """
    b = CircuitBuilder("tutorial-classify", 2, 2, 8)
    _zz_feature_map(b)
    _real_amplitudes(b, reps=3)
    return b.build([Observable((0, 1))])


def tutorial_parity() -> Circuit:
    """The tutorial's sampler classifier (Part 1, 1B): ZZ feature map then
    RealAmplitudes(2, entanglement="linear", reps=1), read out as the
    probabilities of even and odd parity of the measured bitstring, which is
    what ``SamplerQNN(interpret=parity, output_shape=2)`` returns:
    P(even) = (1 + <Z0 Z1>) / 2 and P(odd) = (1 - <Z0 Z1>) / 2.
    """
    b = CircuitBuilder("tutorial-parity", 2, 2, 4)
    _zz_feature_map(b)
    _real_amplitudes(b, reps=1)
    return b.build([Observable((0, 1), scale=0.5, offset=0.5), Observable((0, 1), scale=-0.5, offset=0.5)])


def tutorial_regress() -> Circuit:
    """The tutorial's regression QNN (Part 1, 2A): RY(x) then RY(w) on one qubit; output <Z> = cos(x + w)."""
    b = CircuitBuilder("tutorial-regress", 1, 1, 1)
    b.ry(b.x[0], 0)
    b.ry(b.w[0], 0)
    return b.build([Observable((0,))])


def parity_readout(circuit: Circuit) -> bool:
    """True when every output is the probability of even or odd parity of all wires' bits.

    That is ``(1 +- <Z_0 ... Z_{n-1}>) / 2``: what a sampler with the tutorial's
    parity interpretation measures (on one wire, the probability of |0> or |1>,
    such as the textbook's P(|1>)).
    """
    every = tuple(range(circuit.n_qubits))
    return bool(circuit.observables) and all(
        o.wires == every and o.offset == 0.5 and abs(o.scale) == 0.5 for o in circuit.observables)


def entangler(qubits: int = 4, layers: int = 2) -> Circuit:
    """Scaling workload: RX(x_i) per wire, then layers of [RY(w) per wire, CNOT ring]."""
    b = CircuitBuilder("entangler", qubits, qubits, qubits * layers)
    for i in range(qubits):
        b.rx(b.x[i], i)
    for layer in range(layers):
        for i in range(qubits):
            b.ry(b.w[layer * qubits + i], i)
        if qubits == 2:
            b.cnot(0, 1)          # a ring of two is one CNOT, not a pair that cancels
        elif qubits > 2:
            for i in range(qubits):
                b.cnot(i, (i + 1) % qubits)
    return b.build([Observable((i,)) for i in range(qubits)])
