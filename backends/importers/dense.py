"""A small numpy statevector of the description, to check an import against its source as it is made.

Gates come from the table's matrices (numpy), one sample at a time; outputs are
``offset + sum_k c_k <P_k>`` with Pauli matrices applied to the state. It
shares nothing with the source frameworks, so an import that disagrees with
its source is refused before any work.
"""
from __future__ import annotations

import numpy as np

from backends.description import Circuit
from backends.description.gates import matrix

_PAULI = {"X": np.array([[0, 1], [1, 0]], dtype=complex), "Y": np.array([[0, -1j], [1j, 0]]),
          "Z": np.array([[1, 0], [0, -1]], dtype=complex)}


def _apply(state: np.ndarray, u: np.ndarray, wires) -> np.ndarray:
    k = len(wires)
    moved = np.moveaxis(state, wires, range(k))
    shape = moved.shape
    out = (u @ moved.reshape(2 ** k, -1)).reshape(shape)
    return np.moveaxis(out, range(k), wires)


def statevector(circuit: Circuit, x, w) -> np.ndarray:
    """The state (2,)*n after the circuit for one sample, wire w on axis w."""
    state = np.zeros((2,) * circuit.n_qubits, dtype=complex)
    state[(0,) * circuit.n_qubits] = 1.0
    for g in circuit.gates:
        params = [float(p.evaluate(lambda i: float(x[i]), lambda j: float(w[j]))) for p in g.params]
        state = _apply(state, np.asarray(matrix(g.name, params, np, len(g.wires))), list(g.wires))
    return state


def outputs(circuit: Circuit, x, w) -> np.ndarray:
    """(n_outputs,) values for one sample."""
    state = statevector(circuit, x, w)
    values = []
    for obs in circuit.observables:
        total = obs.offset
        for term in obs.terms:
            moved = state
            for wire, letter in term.word:
                moved = _apply(moved, _PAULI[letter], [wire])
            total += term.coeff * float(np.real(np.vdot(state, moved)))
        values.append(total)
    return np.array(values)
