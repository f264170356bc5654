"""The TorchConnector tutorial's Part 1 circuits against Qiskit's own library circuits and by hand.

``tutorial-classify`` must be ``zz_feature_map(2)`` + ``real_amplitudes(2, reps=3)``
(``TwoLayerQNN(2)``'s defaults), ``tutorial-parity`` the feature map +
``real_amplitudes(2, entanglement="linear", reps=1)`` read out as the
probabilities of even and odd parity, and ``tutorial-regress`` RY(x) RY(w),
whose <Z> is cos(x + w).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import qiskit  # noqa: F401  (a hard dependency: a broken install fails here, it is not skipped)
import torch

from backends import build_layer, make_circuit
from backends.description import parity_readout


def _qiskit_reference(x, w, **ansatz):
    """Qiskit's own feature map + ansatz, bound by each parameter's vector index."""
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import real_amplitudes, zz_feature_map

    feature_map, ansatz_circuit = zz_feature_map(2), real_amplitudes(2, **ansatz)
    qc = QuantumCircuit(2)
    qc.compose(feature_map, inplace=True)
    qc.compose(ansatz_circuit, inplace=True)
    values = {p: x[p.index] for p in feature_map.parameters}
    values.update({p: w[p.index] for p in ansatz_circuit.parameters})
    assert len(values) == qc.num_parameters == 2 + len(w)
    return qc.assign_parameters(values)


@pytest.mark.parametrize("name,ansatz", [("tutorial-classify", {"reps": 3}),
                                         ("tutorial-parity", {"entanglement": "linear", "reps": 1})])
def test_tutorial_circuits_are_qiskits_library_circuits(name, ansatz):
    from qiskit.quantum_info import SparsePauliOp, Statevector

    from backends.qiskit.common import gate_angle_circuit

    circuit = make_circuit(name)
    ours, theta = gate_angle_circuit(circuit)
    layer = build_layer("torch", circuit, torch.zeros(circuit.n_weights))
    rng = np.random.default_rng(11)
    for _ in range(4):
        x = rng.uniform(-1, 1, 2)
        w = rng.uniform(-math.pi, math.pi, circuit.n_weights)
        angles = circuit.angles(torch.tensor(x)[None], torch.tensor(w))[0].numpy()
        mine = Statevector(ours.assign_parameters(dict(zip(theta, angles))))
        theirs = Statevector(_qiskit_reference(x, w, **ansatz))
        assert mine.equiv(theirs)                     # RZ and Qiskit's P differ by a global phase only
        # and the comparison can fail: the weights reversed give another state
        assert not Statevector(_qiskit_reference(x, w[::-1], **ansatz)).equiv(mine)
        with torch.no_grad():
            layer.weights.copy_(torch.tensor(w))
            out = layer(torch.tensor(x, dtype=torch.float32)[None])[0].double().numpy()
        if name == "tutorial-classify":
            assert out == pytest.approx([theirs.expectation_value(SparsePauliOp("ZZ")).real], abs=1e-6)
        else:
            p = theirs.probabilities()                 # |00>, |01>, |10>, |11>
            assert out == pytest.approx([p[0] + p[3], p[1] + p[2]], abs=1e-6)


def test_regression_circuit_is_cos_of_the_sum_by_hand():
    layer = build_layer("torch", make_circuit("tutorial-regress"), torch.tensor([0.3]))
    x = torch.tensor([[0.0], [1.0], [-2.5], [math.pi]])
    with torch.no_grad():
        out = layer(x)[:, 0].double()
    assert out.numpy() == pytest.approx(np.cos(x[:, 0].double().numpy() + 0.3), abs=1e-6)


def test_tutorial_circuit_sizes():
    sizes = {n: (c.n_qubits, c.n_inputs, c.n_weights, c.n_outputs)
             for n in ("tutorial-classify", "tutorial-parity", "tutorial-regress") for c in [make_circuit(n)]}
    assert sizes == {"tutorial-classify": (2, 2, 8, 1), "tutorial-parity": (2, 2, 4, 2),
                     "tutorial-regress": (1, 1, 1, 1)}


def test_parity_readout_is_the_parity_probabilities_only():
    served = {n: parity_readout(make_circuit(n)) for n in
              ("textbook", "moons", "tutorial", "entangler", "tutorial-classify", "tutorial-parity",
               "tutorial-regress")}
    assert [n for n, ok in served.items() if ok] == ["textbook", "tutorial-parity"]
