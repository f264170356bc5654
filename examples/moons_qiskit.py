"""The built-in ``moons`` circuit (backends/library.py) written as a Qiskit circuit file.

H and RZ(2 x_i) on each wire, CNOT(0, 1), RY(w_j) on each wire; outputs <Z0> and <Z1>.
"""
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp

input_params = [Parameter("x0"), Parameter("x1")]
weight_params = [Parameter("w0"), Parameter("w1")]

circuit = QuantumCircuit(2)
for i in range(2):
    circuit.h(i)
    circuit.rz(2 * input_params[i], i)
circuit.cx(0, 1)
circuit.ry(weight_params[0], 0)
circuit.ry(weight_params[1], 1)

observables = [SparsePauliOp("IZ"), SparsePauliOp("ZI")]     # little-endian: Z on qubit 0, then qubit 1
