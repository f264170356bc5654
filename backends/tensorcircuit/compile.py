"""The circuit description as a TensorCircuit-NG function ``f(x, w) -> (n_outputs,)`` for one sample.

It is the function a TensorCircuit user writes for ``tc.TorchLayer``: build a
``tc.Circuit``, apply the gates with their angles read from the sample's inputs
``x[i]`` and the weights ``w[j]``, return the real expectation of each output's
measured operator. The layer batches it with vmap; the same function runs on
TensorCircuit's PyTorch backend (torch tensors) and on its JAX backend (traced
JAX arrays), because angle expressions evaluate on both.

Gates: TensorCircuit's own gate wherever it has one (``NATIVE``; each was
checked against the table's matrix, wires in the same order, the first wire the
most significant); the others (``BY_MATRIX``: SX, Rot, RZX, MultiRZ) apply the
gate table's matrix with ``Circuit.unitary``, built with the backend's array
library so it is differentiated like the rest.

Observables: each Pauli word is one ``Circuit.expectation_ps(x=, y=, z=)``; a
sum of words is their weighted sum (the state is computed once and reused).
"""
from __future__ import annotations

from backends.description import Circuit
from backends.description.gates import GATES, matrix

# table gate -> TensorCircuit Circuit method
NATIVE = {"X": "x", "Y": "y", "Z": "z", "H": "h", "S": "s", "Sdg": "sd", "T": "t", "Tdg": "td",
          "RX": "rx", "RY": "ry", "RZ": "rz", "P": "phase", "U": "u",
          "CNOT": "cnot", "CY": "cy", "CZ": "cz", "SWAP": "swap", "CRX": "crx", "CRY": "cry", "CRZ": "crz",
          "CP": "cphase", "RXX": "rxx", "RYY": "ryy", "RZZ": "rzz", "Toffoli": "toffoli", "CSWAP": "cswap"}
BY_MATRIX = tuple(name for name in GATES if name not in NATIVE)


def _apply(tc, c, name: str, wires, params, lib) -> None:
    if name in NATIVE:
        method = getattr(c, NATIVE[name])
        if name == "U":
            method(*wires, theta=params[0], phi=params[1], lbd=params[2])
        elif params:
            method(*wires, theta=params[0])
        else:
            method(*wires)
        return
    # a constant angle is a Python float: made an array, since torch's functions take tensors only
    params = [p if hasattr(p, "shape") else tc.backend.convert_to_tensor(float(p)) for p in params]
    m = matrix(name, params, lib, len(wires))
    c.unitary(*wires, unitary=tc.backend.cast(m, tc.dtypestr))


def _measure(tc, c, obs):
    K = tc.backend
    total = 0.0
    for term in obs.measured:
        letters = {"x": [], "y": [], "z": []}
        for wire, letter in term.word:
            letters[letter.lower()].append(wire)
        total = total + term.coeff * K.real(c.expectation_ps(**letters))
    return total


def circuit_function(circuit: Circuit, ensure_backend):
    """``f(x, w)``: the outputs' measured expectations for one sample's inputs ``x`` and the weights ``w``.

    ``ensure_backend()`` runs first on every call (and so at every JAX trace): it
    puts TensorCircuit's global backend and dtype back to the layer's, in case
    another TensorCircuit layer in the same process switched them.
    """
    import tensorcircuit as tc

    gates, observables, n = circuit.gates, circuit.observables, circuit.n_qubits

    def f(x, w):
        ensure_backend()
        K = tc.backend
        lib = _array_lib(K.name)
        c = tc.Circuit(n)
        inp = lambda i: x[i]          # noqa: E731
        wgt = lambda j: w[j]          # noqa: E731
        for gate in gates:
            params = [p.evaluate(inp, wgt) for p in gate.params]
            _apply(tc, c, gate.name, gate.wires, params, lib if gate.name not in NATIVE else None)
        return K.stack([K.cast(_measure(tc, c, obs), tc.rdtypestr) for obs in observables])

    f.__name__ = f"{circuit.name}_tc"
    return f


def _array_lib(name: str):
    """The array library the gate table builds matrices with, for TensorCircuit backend ``name``."""
    if name == "jax":
        import jax.numpy as jnp
        return jnp
    import torch
    return torch
