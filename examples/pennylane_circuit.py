"""A PennyLane circuit file for the harness: 2 wires, 2 inputs, 2 x 2 x 3 weights, 2 outputs.

Defines what ``qml.qnn.TorchLayer`` takes: a quantum function ``qfunc(inputs,
weights)``, ``n_wires`` and ``weight_shapes``. The weights are flattened row by
row into w[0..11] on import.
"""
import pennylane as qml

n_wires = 2
weight_shapes = {"weights": (2, n_wires, 3)}


def qfunc(inputs, weights):
    qml.AngleEmbedding(inputs, wires=range(n_wires), rotation="X")
    qml.StronglyEntanglingLayers(weights, wires=range(n_wires))
    return [qml.expval(qml.PauliZ(0)), qml.expval(0.5 * qml.PauliZ(0) @ qml.PauliZ(1) + 0.5 * qml.PauliX(1))]
