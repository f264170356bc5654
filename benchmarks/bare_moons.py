"""The moons model trained as a bare script, the way the forum post wrote it.

No harness: a PennyLane TorchLayer on default.qubit with backprop between two
small torch nets, SGD, a DataLoader. ``overhead.py`` runs this and
``python -m harness run --backend default-backprop`` side by side to show what
the harness's own machinery costs. Prints {"train_s": ...} as JSON.
"""
import json
import sys
import time

import pennylane as qml
import torch
from sklearn.datasets import make_moons
from torch import nn


def main(seed: int) -> None:
    torch.manual_seed(seed)
    X, y = make_moons(n_samples=200, noise=0.1, random_state=seed)
    X = torch.tensor(X, dtype=torch.float32)
    y_hot = torch.nn.functional.one_hot(torch.tensor(y), 2).float()

    dev = qml.device("default.qubit", wires=2)

    @qml.qnode(dev, interface="torch", diff_method="backprop")
    def circuit(inputs, weights):
        for i in range(2):
            qml.Hadamard(i)
            qml.RZ(2.0 * inputs[..., i], wires=i)
        qml.CNOT(wires=[0, 1])
        qml.RY(weights[0], wires=0)
        qml.RY(weights[1], wires=1)
        return [qml.expval(qml.PauliZ(0)), qml.expval(qml.PauliZ(1))]

    def block():
        return nn.Sequential(nn.Linear(2, 10), nn.ReLU(), nn.Linear(10, 2), nn.Tanh())

    model = nn.Sequential(block(), qml.qnn.TorchLayer(circuit, {"weights": (2,)}), block())
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    loss_fn = nn.L1Loss()
    loader = torch.utils.data.DataLoader(list(zip(X, y_hot)), batch_size=5, shuffle=True, drop_last=True)
    start = time.perf_counter()
    for _ in range(6):
        for xs, ys in loader:
            opt.zero_grad()
            loss = loss_fn(model(xs), ys)
            loss.backward()
            opt.step()
    print(json.dumps({"train_s": time.perf_counter() - start}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
