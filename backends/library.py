"""The named circuits: the seed documents' own, and the scaling workload.

Each is built from the description in ``backends.description``; ``CIRCUITS``
maps a name to its factory, and ``make_circuit`` builds one by name.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from backends.checks import ranged
from backends.description import Circuit, CircuitBuilder, z_observable
from backends.errors import UserError


def textbook() -> Circuit:
    """Qiskit textbook: H then RY(x0) on one qubit; output P(|1>) = (1 - <Z>)/2."""
    b = CircuitBuilder("textbook", 1, 1, 0)
    b.h(0)
    b.ry(b.x[0], 0)
    return b.build([z_observable((0,), scale=-0.5, offset=0.5)])


def moons() -> Circuit:
    """The PennyLane forum's make_moons circuit."""
    b = CircuitBuilder("moons", 2, 2, 2)
    for i in range(2):
        b.h(i)
        b.rz(2 * b.x[i], i)
    b.cnot(0, 1)
    b.ry(b.w[0], 0)
    b.ry(b.w[1], 1)
    return b.build([z_observable((0,)), z_observable((1,))])


def tutorial() -> Circuit:
    """qiskit-machine-learning's TorchConnector MNIST circuit.

    zz_feature_map(2) (reps=2) then real_amplitudes(2, reps=1), output <Z0 Z1>.
    Qiskit writes the feature map's phases as P gates; RZ equals P up to a
    global phase, so expectation values are the same.
    """
    b = CircuitBuilder("tutorial", 2, 2, 4)
    _zz_feature_map(b)
    _real_amplitudes(b, reps=1)
    return b.build([z_observable((0, 1))])


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
    return b.build([z_observable((0, 1))])


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
    return b.build([z_observable((0, 1), scale=0.5, offset=0.5), z_observable((0, 1), scale=-0.5, offset=0.5)])


def tutorial_regress() -> Circuit:
    """The tutorial's regression QNN (Part 1, 2A): RY(x) then RY(w) on one qubit; output <Z> = cos(x + w)."""
    b = CircuitBuilder("tutorial-regress", 1, 1, 1)
    b.ry(b.x[0], 0)
    b.ry(b.w[0], 0)
    return b.build([z_observable((0,))])


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
    return b.build([z_observable((i,)) for i in range(qubits)])


@dataclass(frozen=True)
class CircuitSpec:
    name: str
    factory: Callable[..., Circuit]
    sizable: bool                  # takes qubits and layers
    summary: str


CIRCUITS: dict[str, CircuitSpec] = {s.name: s for s in [
    CircuitSpec("textbook", textbook, False, "1 qubit: H, RY(x0); output P(|1>)"),
    CircuitSpec("moons", moons, False, "2 qubits: H, RZ(2x) each, CNOT, RY(w) each; <Z0>, <Z1>"),
    CircuitSpec("tutorial", tutorial, False, "2 qubits: ZZ feature map (reps 2) + RealAmplitudes (reps 1); <Z0Z1>"),
    CircuitSpec("entangler", entangler, True, "n qubits, L layers: RX(x), L x [RY(w), CNOT ring]; <Z_i>"),
    CircuitSpec("tutorial-classify", tutorial_classify, False,
                "2 qubits: ZZ feature map (reps 2) + RealAmplitudes (reps 3); <Z0Z1>"),
    CircuitSpec("tutorial-parity", tutorial_parity, False,
                "2 qubits: ZZ feature map + RealAmplitudes (linear, reps 1); P(even), P(odd) parity"),
    CircuitSpec("tutorial-regress", tutorial_regress, False, "1 qubit: RY(x0), RY(w0); <Z>"),
]}

DEFAULT_QUBITS, DEFAULT_LAYERS = 4, 2


def make_circuit(name: str, qubits: int | None = None, layers: int | None = None) -> Circuit:
    try:
        spec = CIRCUITS[name]
    except KeyError:
        raise UserError(f"unknown circuit '{name}'; valid: {', '.join(CIRCUITS)}") from None
    qubits = None if qubits is None else ranged("qubits", qubits)
    layers = None if layers is None else ranged("layers", layers)
    if not spec.sizable:
        if qubits is not None or layers is not None:
            fixed = spec.factory()
            if qubits not in (None, fixed.n_qubits) or layers not in (None, 1):
                raise UserError(f"circuit '{name}' has a fixed size ({fixed.n_qubits} qubits); "
                                f"qubits and layers apply to: "
                                f"{', '.join(n for n, s in CIRCUITS.items() if s.sizable)}")
            return fixed
        return spec.factory()
    return spec.factory(qubits or DEFAULT_QUBITS, layers or DEFAULT_LAYERS)
