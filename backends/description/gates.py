"""The gate table: the one place a gate is defined.

Each row gives a gate's wire count, its parameters, its matrix, its
parameter-shift rule and its name in Qiskit and in PennyLane; every backend
compiles by looking gates up here. Adding a gate is one row (and its test row).

Conventions. A matrix acts on its wires in the order given, the first wire the
most significant bit (so ``CNOT`` on (0, 1) has control 0), and is built with
``lib`` (numpy or torch) from parameters that are scalars or same-shaped
arrays, so one definition serves numpy checks and batched torch autograd.
Rotations are exp(-i theta G / 2) as in both frameworks.

Shift rules: ``(coefficient, shift)`` terms with df/dtheta = sum c f(theta + s),
exact when the generator has the eigenvalues the rule assumes: two-term for two
eigenvalues 1 apart (+-1/2: RX, RZZ, ...; 0 and 1: P, CP), four-term for the
controlled rotations (0 and +-1/2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

TWO_TERM = ((0.5, math.pi / 2), (-0.5, -math.pi / 2))
_CP, _CM = (math.sqrt(2) + 1) / (4 * math.sqrt(2)), (math.sqrt(2) - 1) / (4 * math.sqrt(2))
FOUR_TERM = ((_CP, math.pi / 2), (-_CP, -math.pi / 2), (-_CM, 3 * math.pi / 2), (_CM, -3 * math.pi / 2))


@dataclass(frozen=True)
class GateSpec:
    name: str
    wires: int                          # 0: any number of wires, at least one (MultiRZ)
    params: int
    matrix: Callable                    # (params, lib, n_wires) -> (..., 2**w, 2**w) complex
    qiskit: str                         # QuantumCircuit method, or "" when Qiskit has no such gate
    pennylane: str                      # qml operation ("adjoint:S" for an adjoint), or "" when it has none
    shift: tuple = TWO_TERM             # the rule for each parameter


class _Lib:
    """The few array operations the matrices need, for numpy or torch."""

    def __init__(self, lib):
        self.lib = lib
        self.torch = lib.__name__ == "torch"

    def c(self, x):
        if self.torch:
            return x.to(self.lib.complex128) if self.lib.is_tensor(x) else self.lib.tensor(x, dtype=self.lib.complex128)
        return self.lib.asarray(x, dtype=complex)

    def cos(self, x): return self.c(self.lib.cos(x / 2))
    def sin(self, x): return self.c(self.lib.sin(x / 2))
    def phase(self, x): return self.lib.exp(1j * self.c(x))

    def build(self, rows):
        """A (..., d, d) matrix from entries that are numbers or same-shaped arrays."""
        shape = next((tuple(e.shape) for r in rows for e in r if hasattr(e, "shape")), ())
        full = (lambda v: self.lib.full(shape, v, dtype=self.lib.complex128)) if self.torch else \
            (lambda v: self.lib.full(shape, v, dtype=complex))
        entries = [[e if hasattr(e, "shape") else full(complex(e)) for e in r] for r in rows]
        return self.lib.stack([self.lib.stack(r, -1) for r in entries], -2)


def _fixed(rows):
    return lambda params, lib, n: _Lib(lib).build(rows)


_S2 = 1 / math.sqrt(2)


def _rx(p, lib, n):
    L = _Lib(lib); c, s = L.cos(p[0]), L.sin(p[0])
    return L.build([[c, -1j * s], [-1j * s, c]])


def _ry(p, lib, n):
    L = _Lib(lib); c, s = L.cos(p[0]), L.sin(p[0])
    return L.build([[c, -s], [s, c]])


def _rz(p, lib, n):
    L = _Lib(lib); e = L.phase(p[0] / 2)
    return L.build([[1 / e, 0], [0, e]])


def _phase(p, lib, n):
    L = _Lib(lib)
    return L.build([[1, 0], [0, L.phase(p[0])]])


def _u(p, lib, n):
    # Qiskit's U(theta, phi, lambda) and PennyLane's U3: RZ(phi) RY(theta) RZ(lambda) up to a global phase
    L = _Lib(lib); c, s = L.cos(p[0]), L.sin(p[0])
    return L.build([[c, -L.phase(p[2]) * s], [L.phase(p[1]) * s, L.phase(p[1] + p[2]) * c]])


def _rot(p, lib, n):
    # PennyLane's Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi)
    L = _Lib(lib); c, s = L.cos(p[1]), L.sin(p[1])
    plus, minus = L.phase((p[0] + p[2]) / 2), L.phase((p[0] - p[2]) / 2)
    return L.build([[c / plus, -s * minus], [s / minus, c * plus]])


def _controlled(inner):
    def matrix(p, lib, n):
        L = _Lib(lib); m = inner(p, lib, 1)
        return L.build([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, m[..., 0, 0], m[..., 0, 1]],
                        [0, 0, m[..., 1, 0], m[..., 1, 1]]])
    return matrix


def _ising(kind):
    def matrix(p, lib, n):
        L = _Lib(lib); c, s = L.cos(p[0]), L.sin(p[0])
        if kind == "XX":
            return L.build([[c, 0, 0, -1j * s], [0, c, -1j * s, 0], [0, -1j * s, c, 0], [-1j * s, 0, 0, c]])
        if kind == "YY":
            return L.build([[c, 0, 0, 1j * s], [0, c, -1j * s, 0], [0, -1j * s, c, 0], [1j * s, 0, 0, c]])
        # ZX: Z on the first wire, X on the second
        return L.build([[c, -1j * s, 0, 0], [-1j * s, c, 0, 0], [0, 0, c, 1j * s], [0, 0, 1j * s, c]])
    return matrix


def _multi_rz(p, lib, n):
    """Diagonal exp(-i theta/2 Z...Z) on n wires: a phase by the parity of each basis state."""
    L = _Lib(lib); e = L.phase(p[0] / 2)
    d = 2 ** n
    rows = [[0] * d for _ in range(d)]
    for b in range(d):
        rows[b][b] = 1 / e if bin(b).count("1") % 2 == 0 else e
    return L.build(rows)


def _permutation(perm):
    d = len(perm)
    return _fixed([[1 if perm[c] == r else 0 for c in range(d)] for r in range(d)])


GATES: dict[str, GateSpec] = {g.name: g for g in [
    GateSpec("X", 1, 0, _fixed([[0, 1], [1, 0]]), "x", "PauliX"),
    GateSpec("Y", 1, 0, _fixed([[0, -1j], [1j, 0]]), "y", "PauliY"),
    GateSpec("Z", 1, 0, _fixed([[1, 0], [0, -1]]), "z", "PauliZ"),
    GateSpec("H", 1, 0, _fixed([[_S2, _S2], [_S2, -_S2]]), "h", "Hadamard"),
    GateSpec("S", 1, 0, _fixed([[1, 0], [0, 1j]]), "s", "S"),
    GateSpec("Sdg", 1, 0, _fixed([[1, 0], [0, -1j]]), "sdg", "adjoint:S"),
    GateSpec("T", 1, 0, _fixed([[1, 0], [0, complex(_S2, _S2)]]), "t", "T"),
    GateSpec("Tdg", 1, 0, _fixed([[1, 0], [0, complex(_S2, -_S2)]]), "tdg", "adjoint:T"),
    GateSpec("SX", 1, 0, _fixed([[0.5 + 0.5j, 0.5 - 0.5j], [0.5 - 0.5j, 0.5 + 0.5j]]), "sx", "SX"),
    GateSpec("RX", 1, 1, _rx, "rx", "RX"),
    GateSpec("RY", 1, 1, _ry, "ry", "RY"),
    GateSpec("RZ", 1, 1, _rz, "rz", "RZ"),
    GateSpec("P", 1, 1, _phase, "p", "PhaseShift"),
    GateSpec("U", 1, 3, _u, "u", "U3"),
    GateSpec("Rot", 1, 3, _rot, "", "Rot"),
    GateSpec("CNOT", 2, 0, _permutation([0, 1, 3, 2]), "cx", "CNOT"),
    GateSpec("CY", 2, 0, _fixed([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, -1j], [0, 0, 1j, 0]]), "cy", "CY"),
    GateSpec("CZ", 2, 0, _fixed([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, -1]]), "cz", "CZ"),
    GateSpec("SWAP", 2, 0, _permutation([0, 2, 1, 3]), "swap", "SWAP"),
    GateSpec("CRX", 2, 1, _controlled(_rx), "crx", "CRX", FOUR_TERM),
    GateSpec("CRY", 2, 1, _controlled(_ry), "cry", "CRY", FOUR_TERM),
    GateSpec("CRZ", 2, 1, _controlled(_rz), "crz", "CRZ", FOUR_TERM),
    GateSpec("CP", 2, 1, _controlled(_phase), "cp", "ControlledPhaseShift"),
    GateSpec("RXX", 2, 1, _ising("XX"), "rxx", "IsingXX"),
    GateSpec("RYY", 2, 1, _ising("YY"), "ryy", "IsingYY"),
    GateSpec("RZZ", 2, 1, lambda p, lib, n: _multi_rz(p, lib, 2), "rzz", "IsingZZ"),
    GateSpec("RZX", 2, 1, _ising("ZX"), "rzx", "PauliRot:ZX"),
    GateSpec("MultiRZ", 0, 1, _multi_rz, "", "MultiRZ"),
    GateSpec("Toffoli", 3, 0, _permutation([0, 1, 2, 3, 4, 5, 7, 6]), "ccx", "Toffoli"),
    GateSpec("CSWAP", 3, 0, _permutation([0, 1, 2, 3, 4, 6, 5, 7]), "cswap", "CSWAP"),
]}


def gate_spec(name: str) -> GateSpec:
    from backends.errors import UserError
    try:
        return GATES[name]
    except KeyError:
        raise UserError(f"unknown gate '{name}'; valid: {', '.join(GATES)}") from None


def matrix(name: str, params, lib, n_wires: int | None = None):
    """The gate's matrix on its wires (first wire most significant)."""
    spec = GATES[name]
    return spec.matrix(list(params), lib, n_wires or spec.wires)
