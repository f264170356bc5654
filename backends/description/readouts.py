"""Named readouts: the outputs of any circuit, sized by its qubits (``--observables NAME``).

The gradient methods' costs depend on the readout in opposite ways (adjoint
in Jacobian mode does one backward sweep per observable; with ``device_vjp``
one whatever the readout; backprop hardly cares), so the readout is a
configuration axis. Each name builds outputs for ``n`` qubits:

- ``z-all``: Z on every wire, n outputs (the entangler's own);
- ``z0``: Z on wire 0 only, one output (a single-qubit measurement);
- ``zz-ring``: Z_i Z_{i+1 mod n}, n two-qubit correlators (one for 2 qubits, none for 1);
- ``ising``: one output, the Hamiltonian sum_i Z_i + 0.5 sum_i Z_i Z_{i+1} (open chain): n + (n - 1) terms;
- ``xyz-all``: X, Y and Z on every wire, 3n outputs in three bases (all X, then all Y, then all Z).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .observables import Observable, pauli_sum, z_observable

ISING_COUPLING = 0.5          # the ZZ coefficient beside a field of 1 on every Z


@dataclass(frozen=True)
class Readout:
    name: str
    build: Callable[[int], tuple[Observable, ...]]
    summary: str
    min_qubits: int = 1


def _z_all(n):
    return tuple(z_observable((i,)) for i in range(n))


def _zz_ring(n):
    pairs = [(0, 1)] if n == 2 else [(i, (i + 1) % n) for i in range(n)]
    return tuple(z_observable(p) for p in pairs)


def _ising(n):
    terms = [(1.0, [(i, "Z")]) for i in range(n)]
    terms += [(ISING_COUPLING, [(i, "Z"), (i + 1, "Z")]) for i in range(n - 1)]
    return (pauli_sum(terms),)


def _xyz_all(n):
    return tuple(pauli_sum([(1.0, [(i, letter)])]) for letter in "XYZ" for i in range(n))


READOUTS: dict[str, Readout] = {r.name: r for r in [
    Readout("z-all", _z_all, "Z on every wire: n outputs"),
    Readout("z0", lambda n: (z_observable((0,)),), "Z on wire 0: one output"),
    Readout("zz-ring", _zz_ring, "Z_i Z_i+1 around the ring: n outputs (one for 2 qubits)", min_qubits=2),
    Readout("ising", _ising, f"one Hamiltonian: sum Z_i + {ISING_COUPLING:g} sum Z_i Z_i+1 (2n - 1 terms)"),
    Readout("xyz-all", _xyz_all, "X, Y and Z on every wire: 3n outputs in three bases"),
]}


def readout(name: str, n_qubits: int) -> tuple[Observable, ...]:
    """The outputs of readout ``name`` on ``n_qubits``; ``ValueError`` (one line) when it cannot be built."""
    spec = READOUTS[name]
    if n_qubits < spec.min_qubits:
        raise ValueError(f"readout {name} needs at least {spec.min_qubits} qubits; the circuit has {n_qubits}")
    return spec.build(n_qubits)
