"""Scaling workload: the `entangler` circuit on synthetic data as wide as the qubit count.

The circuit does nearly all the work (a Linear readout turns the n <Z_i>
values into two class scores), so a sweep over qubits, layers and batch size
times the per-step cost of the quantum layer itself.
"""
from __future__ import annotations

import torch
from torch import nn

from ..datasets.synthetic import load_synthetic


def load_data(cfg, circuit=None):
    # as wide as the circuit's inputs (the entangler: one per qubit)
    width = circuit.n_inputs if circuit is not None else cfg.qubits
    return load_synthetic(n_features=width, train_size=cfg.train_size, test_size=cfg.test_size, seed=cfg.seed)


def build_model(cfg, circuit, quantum_layer):
    return nn.Sequential(quantum_layer, nn.Linear(circuit.n_outputs, 2))


def loss(output, y):
    return nn.functional.cross_entropy(output, y)


def predict(output):
    return output.argmax(dim=1)


def optimizer(params, lr):
    return torch.optim.Adam(params, lr=lr)
