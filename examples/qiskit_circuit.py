"""A Qiskit circuit file for the harness: 3 qubits, 2 inputs, 6 weights, 2 outputs.

Defines what qiskit-machine-learning's EstimatorQNN takes: ``circuit``,
``input_params``, ``weight_params`` and ``observables``. The feature map is
Qiskit's ``zz_feature_map`` on the two inputs; the ansatz uses controlled
rotations; each output is a Hamiltonian (a SparsePauliOp sum; labels are
little-endian, "IIZ" is Z on qubit 0).
"""
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import zz_feature_map
from qiskit.quantum_info import SparsePauliOp

feature_map = zz_feature_map(2, reps=1)
w = ParameterVector("w", 6)

circuit = QuantumCircuit(3)
circuit.compose(feature_map, [0, 1], inplace=True)
circuit.h(2)
circuit.ry(w[0], 0)
circuit.ry(w[1], 1)
circuit.ry(w[2], 2)
circuit.crx(w[3], 0, 1)
circuit.cry(w[4], 1, 2)
circuit.crz(w[5], 2, 0)
circuit.measure_all()                      # final measurements are dropped on import

input_params = list(feature_map.parameters)          # x[0], x[1]
weight_params = list(w)
observables = [
    SparsePauliOp.from_list([("IIZ", 0.7), ("IZZ", 0.3)]),                 # 0.7 Z0 + 0.3 Z0 Z1
    SparsePauliOp.from_sparse_list([("XX", [1, 2], 0.5), ("Z", [2], -0.5)], num_qubits=3),
]
