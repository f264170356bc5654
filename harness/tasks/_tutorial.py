"""What the TorchConnector tutorial's Part 1 tasks share (qiskit-machine-learning's documentation).

Each model is the QNN alone (the tutorial puts no classical layer around it),
trained full-batch with ``torch.optim.LBFGS`` at its defaults: one
``optimizer.step(closure)`` is the tutorial's whole training. The tasks are
tiny, so the child also records the test points and the model's outputs on
them, for the report's plots.
"""
from __future__ import annotations

import torch
from torch import nn


def build_model(cfg, circuit, quantum_layer):
    return nn.Sequential(quantum_layer)


def optimizer(params, lr):
    return torch.optim.LBFGS(params, lr=lr)


MAX_POINTS = 200      # plotted points per run: the tutorial's 20, and room; a row stays a few kB


def points(X, target, prediction) -> dict:
    """Short lists for the row: inputs, targets and the model's predictions of the first ``MAX_POINTS``."""
    n = min(len(X), MAX_POINTS)
    return {"x": X[:n].tolist(), "target": target[:n].tolist(), "prediction": prediction[:n].tolist(),
            "shown": n, "of": len(X)}


def classifier_figures(predict, model, train, test) -> dict:
    model.eval()
    with torch.no_grad():
        prediction = predict(model(test[0]))
    model.train()
    return {"test_points": points(test[0], test[1], prediction)}
