"""The built-in ``moons`` circuit (backends/library.py) written as a PennyLane circuit file."""
import pennylane as qml

n_wires = 2
weight_shapes = {"weights": 2}


def qfunc(inputs, weights):
    for i in range(2):
        qml.Hadamard(wires=i)
        qml.RZ(2 * inputs[..., i], wires=i)
    qml.CNOT(wires=[0, 1])
    qml.RY(weights[0], wires=0)
    qml.RY(weights[1], wires=1)
    return [qml.expval(qml.PauliZ(0)), qml.expval(qml.PauliZ(1))]
